// SPDX-License-Identifier: GPL-2.0
/*
 * A many-producer ring whose slot sequence words a peer has corrupted (a
 * crashed or hostile process sharing the region): a send or a receive must
 * come back (EAGAIN without waiting), never spin for ever on a slot that
 * claims to be ahead of the ring's index. The ring lives in memory of the
 * test's own, a region without a module; linked with the static libkipc
 * for the region's internal layout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kselftest_harness.h"
#include "kipc.h"
#include "sys.h"

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
	memset(&self->r, 0, sizeof(self->r));
	self->r.fd = -1;
	self->r.bytes = (bytes + 4095) & ~4095ULL;
	self->r.base = aligned_alloc(4096, self->r.bytes);
	ASSERT_NE(NULL, self->r.base);
	memset(self->r.base, 0, self->r.bytes);
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

TEST_HARNESS_MAIN
