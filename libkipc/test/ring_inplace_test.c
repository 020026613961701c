// SPDX-License-Identifier: GPL-2.0
/*
 * The rings' in-place send and receive: kipc_ring_send_begin() and
 * kipc_ring_recv_begin() hand out a slot of the ring, the ends hand it on.
 * Each case runs on a single-producer ring and on a many-producer one.
 *
 * - A message built in place arrives, whichever side copies and which
 *   works in place; a full or empty ring says -EAGAIN.
 * - An end takes only the slot its side's begin gave: a second end, a
 *   pointer into the middle of a slot or outside the ring, a slot nobody
 *   claimed (a message queued, the slot a send would fill next) are
 *   refused (-EINVAL), and the ring is unchanged; on a one-slot ring too,
 *   where every position is the same slot.
 * - Single-producer: a copying call of a side that holds a slot would use
 *   that very slot, and is refused (-EBUSY); a second begin gives the slot
 *   again.
 * - Many-producer: slots end out of order; a slot held stops the producers
 *   a lap later, and only there.
 * - Threads sending and receiving in place at once (two of each on the
 *   many-producer ring): every message arrives once, whole, in its
 *   producer's order.
 *
 * The ring lives in memory of the test's own, a region without a module:
 * every call is non-blocking (the guest's ring_pingpong sleeps in the
 * begins). Linked with the static libkipc for the region's layout.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "kipc.h"
#include "ring_test_region.h"

#define SLOTS		4
#define MSG		32
#define PER_PRODUCER	100000

struct msg {
	uint32_t producer;
	uint32_t pad;
	uint64_t seq;
	uint64_t check[2];	/* from seq and producer: a torn message shows */
};

static void msg_fill(struct msg *m, uint32_t producer, uint64_t seq)
{
	m->producer = producer;
	m->pad = 0;
	m->seq = seq;
	m->check[0] = seq * 0x9e3779b97f4a7c15ULL;
	m->check[1] = ~seq ^ producer;
}

static int msg_whole(const struct msg *m)
{
	return m->check[0] == m->seq * 0x9e3779b97f4a7c15ULL &&
	       m->check[1] == (~m->seq ^ m->producer);
}

FIXTURE(ring) {
	struct kipc_region r;
	struct kipc_ring *ring;
};

FIXTURE_VARIANT(ring) {
	unsigned int flags;
};

FIXTURE_VARIANT_ADD(ring, spsc) {
	.flags = 0,
};

FIXTURE_VARIANT_ADD(ring, mpmc) {
	.flags = KIPC_RING_MPMC,
};

FIXTURE_SETUP(ring)
{
	uint64_t bytes = kipc_ring_bytes(SLOTS, MSG, variant->flags);

	ASSERT_LT(0, bytes);
	ASSERT_EQ(0, ring_test_region(&self->r, bytes));
	ASSERT_EQ(0, kipc_ring_create(&self->r, 0, SLOTS, MSG, variant->flags,
				      &self->ring));
}

FIXTURE_TEARDOWN(ring)
{
	kipc_ring_close(self->ring);
	free(self->r.base);
}

/* Build message @seq in place and publish it: 0 or the error. */
static int send_in_place(struct kipc_ring *ring, uint64_t seq)
{
	void *slot;
	int ret;

	ret = kipc_ring_send_begin(ring, &slot, KIPC_IO_NONBLOCK, NULL);
	if (ret)
		return ret;
	msg_fill(slot, 0, seq);
	return kipc_ring_send_end(ring, slot);
}

/* Read the next message in place: its seq, or the error (negative). */
static int64_t recv_in_place(struct kipc_ring *ring)
{
	const void *slot;
	struct msg m;
	int ret;

	ret = kipc_ring_recv_begin(ring, &slot, KIPC_IO_NONBLOCK, NULL);
	if (ret)
		return ret;
	memcpy(&m, slot, sizeof(m));
	ret = kipc_ring_recv_end(ring, slot);
	if (ret)
		return ret;
	return msg_whole(&m) ? (int64_t)m.seq : -EBADMSG;
}

TEST_F(ring, in_place_and_copies_meet)
{
	const void *in;
	struct msg m;
	void *out;
	int i;

	/* In place both ways, until full, then until empty. */
	for (i = 0; i < SLOTS; i++)
		ASSERT_EQ(0, send_in_place(self->ring, i));
	EXPECT_EQ(-EAGAIN, kipc_ring_send_begin(self->ring, &out,
						KIPC_IO_NONBLOCK, NULL));
	for (i = 0; i < SLOTS; i++)
		ASSERT_EQ(i, recv_in_place(self->ring));
	EXPECT_EQ(-EAGAIN, kipc_ring_recv_begin(self->ring, &in,
						KIPC_IO_NONBLOCK, NULL));
	/* Built in place, copied out; copied in, read in place. */
	ASSERT_EQ(0, send_in_place(self->ring, 7));
	ASSERT_EQ(0, kipc_ring_recv(self->ring, &m, KIPC_IO_NONBLOCK, NULL));
	EXPECT_EQ(7, m.seq);
	EXPECT_TRUE(msg_whole(&m));
	msg_fill(&m, 0, 8);
	ASSERT_EQ(0, kipc_ring_send(self->ring, &m, KIPC_IO_NONBLOCK, NULL));
	EXPECT_EQ(8, recv_in_place(self->ring));
	/* The begins check their arguments as send and receive do. */
	EXPECT_EQ(-EINVAL, kipc_ring_send_begin(self->ring, NULL, 0, NULL));
	EXPECT_EQ(-EINVAL, kipc_ring_recv_begin(NULL, &in, 0, NULL));
	EXPECT_EQ(-EINVAL, kipc_ring_recv_begin(self->ring, &in,
						KIPC_DEADLINE_REALTIME, NULL));
}

TEST_F(ring, ends_take_only_what_a_begin_gave)
{
	unsigned char outside[MSG];
	const void *in;
	void *out;

	/* Nothing begun: no slot of the ring is this side's to hand on. */
	EXPECT_EQ(-EINVAL, kipc_ring_recv_end(self->ring, NULL));
	EXPECT_EQ(-EINVAL, kipc_ring_recv_end(NULL, outside));
	EXPECT_EQ(-EINVAL, kipc_ring_send_end(self->ring, outside));
	ASSERT_EQ(0, kipc_ring_send_begin(self->ring, &out, KIPC_IO_NONBLOCK,
					  NULL));
	msg_fill(out, 0, 1);
	/* Inside the slot, not its start; then the start, once. */
	EXPECT_EQ(-EINVAL, kipc_ring_send_end(self->ring,
					      (unsigned char *)out + 8));
	EXPECT_EQ(-EINVAL, kipc_ring_recv_end(self->ring, out));
	ASSERT_EQ(0, kipc_ring_send_end(self->ring, out));
	EXPECT_EQ(-EINVAL, kipc_ring_send_end(self->ring, out));
	ASSERT_EQ(0, kipc_ring_recv_begin(self->ring, &in, KIPC_IO_NONBLOCK,
					  NULL));
	EXPECT_EQ(out, in);
	EXPECT_EQ(-EINVAL, kipc_ring_recv_end(self->ring,
					      (const unsigned char *)in + 1));
	EXPECT_EQ(-EINVAL, kipc_ring_send_end(self->ring, (void *)in));
	ASSERT_EQ(0, kipc_ring_recv_end(self->ring, in));
	EXPECT_EQ(-EINVAL, kipc_ring_recv_end(self->ring, in));
	/* Nothing lost or made up by the refusals: the ring is empty. */
	EXPECT_EQ(-EAGAIN, kipc_ring_recv_begin(self->ring, &in,
						KIPC_IO_NONBLOCK, NULL));
	EXPECT_EQ(0, send_in_place(self->ring, 2));
	EXPECT_EQ(2, recv_in_place(self->ring));
}

/*
 * The slots a send or a receive would use next, which no begin gave: a
 * queued message's, and the free one after it. The ring's slots are
 * found from two begins, then every position goes round to them again.
 */
TEST_F(ring, ends_refuse_slots_no_begin_gave)
{
	const void *in;
	void *p0, *p1;
	struct msg m;
	int i;

	ASSERT_EQ(0, kipc_ring_send_begin(self->ring, &p0, KIPC_IO_NONBLOCK,
					  NULL));
	msg_fill(p0, 0, 0);
	ASSERT_EQ(0, kipc_ring_send_end(self->ring, p0));
	ASSERT_EQ(0, kipc_ring_send_begin(self->ring, &p1, KIPC_IO_NONBLOCK,
					  NULL));
	msg_fill(p1, 0, 1);
	ASSERT_EQ(0, kipc_ring_send_end(self->ring, p1));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(i, recv_in_place(self->ring));
	/* Round to position SLOTS, slot 0 again, by copies. */
	for (i = 2; i < SLOTS; i++) {
		msg_fill(&m, 0, i);
		ASSERT_EQ(0, kipc_ring_send(self->ring, &m, KIPC_IO_NONBLOCK,
					    NULL));
		ASSERT_EQ(0, kipc_ring_recv(self->ring, &m, KIPC_IO_NONBLOCK,
					    NULL));
	}
	msg_fill(&m, 0, SLOTS);
	ASSERT_EQ(0, kipc_ring_send(self->ring, &m, KIPC_IO_NONBLOCK, NULL));
	/* Slot 0 holds a message no receive began; slot 1 is the next free. */
	EXPECT_EQ(-EINVAL, kipc_ring_recv_end(self->ring, p0));
	EXPECT_EQ(-EINVAL, kipc_ring_send_end(self->ring, p1));
	EXPECT_EQ(SLOTS, recv_in_place(self->ring));
	EXPECT_EQ(-EAGAIN, kipc_ring_recv_begin(self->ring, &in,
						KIPC_IO_NONBLOCK, NULL));
}

TEST_F(ring, copies_of_a_side_that_holds_a_slot)
{
	bool spsc = !(variant->flags & KIPC_RING_MPMC);
	const void *in, *again;
	void *out, *again_out;
	struct msg m;

	ASSERT_EQ(0, kipc_ring_send_begin(self->ring, &out, KIPC_IO_NONBLOCK,
					  NULL));
	msg_fill(out, 0, 0);
	msg_fill(&m, 0, 1);
	/* SPSC: the copy would fill the slot held; MPMC: a slot of its own. */
	EXPECT_EQ(spsc ? -EBUSY : 0,
		  kipc_ring_send(self->ring, &m, KIPC_IO_NONBLOCK, NULL));
	if (spsc) {
		ASSERT_EQ(0, kipc_ring_send_begin(self->ring, &again_out,
						  KIPC_IO_NONBLOCK, NULL));
		EXPECT_EQ(out, again_out);
	}
	ASSERT_EQ(0, kipc_ring_send_end(self->ring, out));
	if (spsc)
		ASSERT_EQ(0, kipc_ring_send(self->ring, &m, KIPC_IO_NONBLOCK,
					    NULL));
	/* Messages 0 and 1 are queued; the receive side holds 0. */
	ASSERT_EQ(0, kipc_ring_recv_begin(self->ring, &in, KIPC_IO_NONBLOCK,
					  NULL));
	EXPECT_EQ(0, ((const struct msg *)in)->seq);
	memset(&m, 0, sizeof(m));
	if (spsc) {
		EXPECT_EQ(-EBUSY, kipc_ring_recv(self->ring, &m,
						 KIPC_IO_NONBLOCK, NULL));
		ASSERT_EQ(0, kipc_ring_recv_begin(self->ring, &again,
						  KIPC_IO_NONBLOCK, NULL));
		EXPECT_EQ(in, again);
		ASSERT_EQ(0, kipc_ring_recv_end(self->ring, in));
		ASSERT_EQ(0, kipc_ring_recv(self->ring, &m, KIPC_IO_NONBLOCK,
					    NULL));
	} else {
		ASSERT_EQ(0, kipc_ring_recv(self->ring, &m, KIPC_IO_NONBLOCK,
					    NULL));
		ASSERT_EQ(0, kipc_ring_recv_end(self->ring, in));
	}
	EXPECT_EQ(1, m.seq);
	EXPECT_EQ(-EAGAIN, kipc_ring_recv_begin(self->ring, &in,
						KIPC_IO_NONBLOCK, NULL));
}

/* One slot, single producer: every position is slot 0. */
TEST(one_slot_ring_takes_each_end_once)
{
	uint64_t bytes = kipc_ring_bytes(1, MSG, 0);
	struct kipc_region r;
	struct kipc_ring *ring;
	const void *in;
	struct msg m;
	void *out;

	ASSERT_LT(0, bytes);
	ASSERT_EQ(0, ring_test_region(&r, bytes));
	ASSERT_EQ(0, kipc_ring_create(&r, 0, 1, MSG, 0, &ring));
	/* Sent in place and taken: a second end would send it again. */
	ASSERT_EQ(0, kipc_ring_send_begin(ring, &out, KIPC_IO_NONBLOCK, NULL));
	msg_fill(out, 0, 0);
	ASSERT_EQ(0, kipc_ring_send_end(ring, out));
	ASSERT_EQ(0, kipc_ring_recv(ring, &m, KIPC_IO_NONBLOCK, NULL));
	EXPECT_EQ(-EINVAL, kipc_ring_send_end(ring, out));
	EXPECT_EQ(-EAGAIN, kipc_ring_recv(ring, &m, KIPC_IO_NONBLOCK, NULL));
	/* Read in place, then another sent: a second end would drop it. */
	msg_fill(&m, 0, 1);
	ASSERT_EQ(0, kipc_ring_send(ring, &m, KIPC_IO_NONBLOCK, NULL));
	ASSERT_EQ(0, kipc_ring_recv_begin(ring, &in, KIPC_IO_NONBLOCK, NULL));
	ASSERT_EQ(0, kipc_ring_recv_end(ring, in));
	msg_fill(&m, 0, 2);
	ASSERT_EQ(0, kipc_ring_send(ring, &m, KIPC_IO_NONBLOCK, NULL));
	EXPECT_EQ(-EINVAL, kipc_ring_recv_end(ring, in));
	ASSERT_EQ(0, kipc_ring_recv(ring, &m, KIPC_IO_NONBLOCK, NULL));
	EXPECT_EQ(2, m.seq);
	kipc_ring_close(ring);
	free(r.base);
}

/*
 * Many producers and consumers: slots end in any order; one held stops
 * the producers when they come round to it, a lap later, and only then. A
 * slot published but claimed by no receive is no receiver's to hand on.
 */
TEST_F(ring, mpmc_slots_end_out_of_order)
{
	const void *a, *b;
	size_t stride;
	void *out;
	int i;

	if (!(variant->flags & KIPC_RING_MPMC))
		SKIP(return, "one consumer ends in order");
	for (i = 0; i < SLOTS; i++)
		ASSERT_EQ(0, send_in_place(self->ring, i));
	ASSERT_EQ(0, kipc_ring_recv_begin(self->ring, &a, KIPC_IO_NONBLOCK,
					  NULL));
	ASSERT_EQ(0, kipc_ring_recv_begin(self->ring, &b, KIPC_IO_NONBLOCK,
					  NULL));
	EXPECT_EQ(0, ((const struct msg *)a)->seq);
	EXPECT_EQ(1, ((const struct msg *)b)->seq);
	stride = (const unsigned char *)b - (const unsigned char *)a;
	/* Slot 2 holds message 2, which no receive claimed. */
	EXPECT_EQ(-EINVAL, kipc_ring_recv_end(self->ring,
					      (const unsigned char *)b + stride));
	ASSERT_EQ(0, kipc_ring_recv_end(self->ring, b));
	/* The next send's slot is slot 0, still held. */
	EXPECT_EQ(-EAGAIN, kipc_ring_send_begin(self->ring, &out,
						KIPC_IO_NONBLOCK, NULL));
	ASSERT_EQ(0, kipc_ring_recv_end(self->ring, a));
	ASSERT_EQ(0, send_in_place(self->ring, 4));
	ASSERT_EQ(0, send_in_place(self->ring, 5));
	for (i = 2; i < 6; i++)
		EXPECT_EQ(i, recv_in_place(self->ring));
}

/* What the threads of one run share. */
struct run {
	struct kipc_ring *ring;
	int nr_producers;
	int producing;		/* producers not yet done */
	int failed;		/* a side failed: the others stop */
};

struct side {
	struct run *run;
	uint32_t id;
	uint64_t count, sum;	/* a consumer's messages, and their seqs */
	int ret;
};

static void side_failed(struct side *s, int ret)
{
	s->ret = ret;
	__atomic_store_n(&s->run->failed, 1, __ATOMIC_RELAXED);
}

static void *produce(void *arg)
{
	struct side *s = arg;
	struct run *run = s->run;
	uint64_t seq;
	void *slot;
	int ret = 0;

	for (seq = 0; seq < PER_PRODUCER && !ret; seq++) {
		while ((ret = kipc_ring_send_begin(run->ring, &slot,
						   KIPC_IO_NONBLOCK, NULL)) ==
		       -EAGAIN) {
			if (__atomic_load_n(&run->failed, __ATOMIC_RELAXED))
				return NULL;
			sched_yield();
		}
		if (!ret) {
			msg_fill(slot, s->id, seq);
			ret = kipc_ring_send_end(run->ring, slot);
		}
	}
	if (ret)
		side_failed(s, ret);
	__atomic_fetch_sub(&run->producing, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Take messages until the producers are done and the ring is empty: a
 * message lost shows in the count, one taken twice in the count or the
 * order, a torn one in its check words.
 */
static void *consume(void *arg)
{
	uint64_t next[2] = { 0, 0 };
	struct side *s = arg;
	struct run *run = s->run;
	const struct msg *m;
	const void *slot;
	int done, ret = 0;

	while (!__atomic_load_n(&run->failed, __ATOMIC_RELAXED)) {
		done = !__atomic_load_n(&run->producing, __ATOMIC_ACQUIRE);
		ret = kipc_ring_recv_begin(run->ring, &slot, KIPC_IO_NONBLOCK,
					   NULL);
		if (ret == -EAGAIN && done)
			return NULL;
		if (ret == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (ret)
			break;
		m = slot;
		if (m->producer >= (uint32_t)run->nr_producers ||
		    m->seq < next[m->producer] || !msg_whole(m)) {
			ret = -EBADMSG;
			break;
		}
		next[m->producer] = m->seq + 1;
		s->count++;
		s->sum += m->seq;
		ret = kipc_ring_recv_end(run->ring, slot);
		if (ret)
			break;
	}
	if (ret)
		side_failed(s, ret);
	return NULL;
}

/* Spinning threads on a shared host: 120 s, not the harness's 30. */
TEST_F_TIMEOUT(ring, threads_in_place_lose_nothing, 120)
{
	int i, n = variant->flags & KIPC_RING_MPMC ? 2 : 1;
	struct run run = {
		.ring = self->ring, .nr_producers = n, .producing = n,
	};
	struct side prod[2], cons[2];
	uint64_t count = 0, sum = 0;
	pthread_t tp[2], tc[2];

	for (i = 0; i < n; i++) {
		prod[i] = (struct side){ .run = &run, .id = i };
		cons[i] = (struct side){ .run = &run };
		ASSERT_EQ(0, pthread_create(&tc[i], NULL, consume, &cons[i]));
		ASSERT_EQ(0, pthread_create(&tp[i], NULL, produce, &prod[i]));
	}
	for (i = 0; i < n; i++) {
		pthread_join(tp[i], NULL);
		pthread_join(tc[i], NULL);
	}
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, prod[i].ret);
		EXPECT_EQ(0, cons[i].ret);
		count += cons[i].count;
		sum += cons[i].sum;
	}
	EXPECT_EQ(n * (uint64_t)PER_PRODUCER, count);
	EXPECT_EQ(n * (uint64_t)PER_PRODUCER * (PER_PRODUCER - 1) / 2, sum);
}

TEST_HARNESS_MAIN
