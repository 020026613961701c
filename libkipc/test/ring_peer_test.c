// SPDX-License-Identifier: GPL-2.0
/*
 * A ring whose shared words a peer has written (a crashed or hostile
 * process sharing the region). A many-producer ring's corrupted slot
 * sequence words: a send or a receive must come back (EAGAIN without
 * waiting), never spin for ever on a slot that claims to be ahead of the
 * ring's index. A header that says its messages are larger than the
 * opener expects: kipc_ring_open_checked() refuses it, where
 * kipc_ring_open() took the peer's size and a receive overflowed the
 * caller's buffer. The ring lives in memory of the test's own, a region
 * without a module; linked with the static libkipc for the region's
 * internal layout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kselftest_harness.h"
#include "kipc.h"
#include "ring.h"
#include "ring_test_region.h"

#define SLOTS	4

/* Where the 8 bytes @pattern sit in @base[0, @bytes), or NULL. */
static unsigned char *find(unsigned char *base, uint64_t bytes,
			   uint64_t pattern)
{
	uint64_t i;

	for (i = 0; i + 8 <= bytes; i += 8)
		if (!memcmp(base + i, &pattern, 8))
			return base + i;
	return NULL;
}

struct op {
	struct kipc_ring *ring;
	int send;
	int ret;
};

static void *run_op(void *arg)
{
	struct op *op = arg;
	uint64_t msg = 0;

	op->ret = op->send ?
		kipc_ring_send(op->ring, &msg, KIPC_IO_NONBLOCK, NULL) :
		kipc_ring_recv(op->ring, &msg, KIPC_IO_NONBLOCK, NULL);
	return NULL;
}

/* Run a non-blocking send or receive; -ETIMEDOUT if it is not back in 2 s. */
static int op_within_2s(struct kipc_ring *ring, int send)
{
	struct op op = { .ring = ring, .send = send, .ret = 1 };
	struct timespec until;
	pthread_t t;

	if (pthread_create(&t, NULL, run_op, &op))
		return -EAGAIN;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	if (pthread_timedjoin_np(t, NULL, &until))
		return -ETIMEDOUT;	/* the test's process ends it */
	return op.ret;
}

FIXTURE(ring) {
	struct kipc_region r;
	struct kipc_ring *ring;
	uint32_t *seq[SLOTS];	/* each slot's sequence word */
};

FIXTURE_SETUP(ring)
{
	uint64_t bytes = kipc_ring_bytes(SLOTS, 8, KIPC_RING_MPMC);
	uint64_t a = 0xa5a5a5a5a5a5a501ULL, b = 0xa5a5a5a5a5a5a502ULL, m;
	unsigned char *pa, *pb;
	int i;

	ASSERT_LT(0, bytes);
	ASSERT_EQ(0, ring_test_region(&self->r, bytes));
	ASSERT_EQ(0, kipc_ring_create(&self->r, 0, SLOTS, 8, KIPC_RING_MPMC,
				      &self->ring));
	/* Find slots 0 and 1 by what is sent in them: seq precedes data. */
	ASSERT_EQ(0, kipc_ring_send(self->ring, &a, KIPC_IO_NONBLOCK, NULL));
	ASSERT_EQ(0, kipc_ring_send(self->ring, &b, KIPC_IO_NONBLOCK, NULL));
	pa = find(self->r.base, self->r.bytes, a);
	pb = find(self->r.base, self->r.bytes, b);
	ASSERT_NE(NULL, pa);
	ASSERT_NE(NULL, pb);
	for (i = 0; i < SLOTS; i++)
		self->seq[i] = (uint32_t *)(pa - 8 + i * (pb - pa));
	ASSERT_EQ(0, kipc_ring_recv(self->ring, &m, KIPC_IO_NONBLOCK, NULL));
	ASSERT_EQ(a, m);
	ASSERT_EQ(0, kipc_ring_recv(self->ring, &m, KIPC_IO_NONBLOCK, NULL));
	ASSERT_EQ(b, m);
	/* Now head = tail = 2; slot 2 is free for this lap: its seq is 2. */
	ASSERT_EQ(2, *self->seq[2]);
}

FIXTURE_TEARDOWN(ring)
{
	kipc_ring_close(self->ring);
	free(self->r.base);
}

/* The slot at the tail says it was published already (seq = tail + 1). */
TEST_F(ring, send_to_a_slot_ahead_returns)
{
	*self->seq[2] = 3;
	EXPECT_EQ(-EAGAIN, op_within_2s(self->ring, 1));
	*self->seq[2] = 2;
	EXPECT_EQ(0, op_within_2s(self->ring, 1));
}

/* The slot at the head says it is a lap ahead (seq = head + 1 + SLOTS). */
TEST_F(ring, recv_from_a_slot_ahead_returns)
{
	*self->seq[2] = 2 + 1 + SLOTS;
	EXPECT_EQ(-EAGAIN, op_within_2s(self->ring, 0));
	*self->seq[2] = 2;
	EXPECT_EQ(-EAGAIN, op_within_2s(self->ring, 0));	/* empty */
}

/*
 * The ring another process laid out: the opener that expects it gets it,
 * and sees its message size; any other slot count, size or flags is
 * -EPROTO, before a handle exists.
 */
TEST_F(ring, open_checked_takes_only_the_ring_expected)
{
	struct kipc_ring *mine = NULL;

	EXPECT_EQ(0, kipc_ring_open_checked(&self->r, 0, SLOTS, 8,
					    KIPC_RING_MPMC, &mine));
	ASSERT_NE(NULL, mine);
	EXPECT_EQ(8, kipc_ring_msg_size(mine));
	kipc_ring_close(mine);
	mine = NULL;
	EXPECT_EQ(-EPROTO, kipc_ring_open_checked(&self->r, 0, SLOTS, 16,
						  KIPC_RING_MPMC, &mine));
	EXPECT_EQ(-EPROTO, kipc_ring_open_checked(&self->r, 0, 2 * SLOTS, 8,
						  KIPC_RING_MPMC, &mine));
	EXPECT_EQ(-EPROTO, kipc_ring_open_checked(&self->r, 0, SLOTS, 8, 0,
						  &mine));
	EXPECT_EQ(NULL, mine);
	EXPECT_EQ(-EINVAL, kipc_ring_open_checked(&self->r, 0, 3, 8, 0, &mine));
	EXPECT_EQ(-ENOENT, kipc_ring_open_checked(&self->r, 64, SLOTS, 8,
						  KIPC_RING_MPMC, &mine));
	EXPECT_EQ(0, kipc_ring_msg_size(NULL));
}

/*
 * A peer rewrites an SPSC ring's header to messages of 4 KiB, which the
 * region has room for, before this process opens it expecting 64 bytes:
 * kipc_ring_open() hands out a handle whose receive copies 4 KiB, and
 * says so through kipc_ring_msg_size(); kipc_ring_open_checked() refuses.
 */
TEST(peer_grown_message_size_is_refused)
{
	struct kipc_region r = { .fd = -1 };
	struct kipc_ring *ring, *opened = NULL;
	struct ring_shared *sh;

	r.bytes = kipc_ring_bytes(SLOTS, 4096, 0);
	ASSERT_LT(0, r.bytes);
	r.base = calloc(1, r.bytes);
	ASSERT_NE(NULL, r.base);
	ASSERT_EQ(0, kipc_ring_create(&r, 0, SLOTS, 64, 0, &ring));
	sh = r.base;
	sh->hdr.msg_size = 4096;
	sh->hdr.stride = 4096;
	EXPECT_EQ(-EPROTO, kipc_ring_open_checked(&r, 0, SLOTS, 64, 0,
						  &opened));
	EXPECT_EQ(NULL, opened);
	ASSERT_EQ(0, kipc_ring_open(&r, 0, &opened));
	EXPECT_EQ(4096, kipc_ring_msg_size(opened)) TH_LOG("the size a receive through this handle copies");
	kipc_ring_close(opened);
	kipc_ring_close(ring);
	free(r.base);
}

TEST_HARNESS_MAIN
