// SPDX-License-Identifier: GPL-2.0
/* Wait queue semantics: mismatch, timeouts on both clocks, wake counts, bitsets, requeue, waitv, signals, peer death. */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "waitq_test.h"

/* Word offsets in the region; children write their results at RES. */
#define W0	0
#define W1	64
#define W2	128
#define RES	1024		/* int results[], one per child */
#define NOT_YET	0x7fffffff

FIXTURE(wq) {
	int ctx, region;
	size_t bytes;
	uint32_t *map;
	int *res;
	pid_t kids[8];
	int nr_kids;
};

FIXTURE_SETUP(wq)
{
	int i;

	self->nr_kids = 0;
	self->bytes = 2 * kt_page();
	self->map = kt_wq_setup(_metadata, &self->ctx, &self->region,
				self->bytes);
	if (!self->map)
		return;
	self->res = (int *)((char *)self->map + RES);
	for (i = 0; i < 8; i++)
		self->res[i] = NOT_YET;
}

FIXTURE_TEARDOWN(wq)
{
	int i;

	for (i = 0; i < self->nr_kids; i++)
		kt_reap(self->kids[i]);
	kt_wq_teardown(self->ctx, self->region, self->map, self->bytes);
}

static uint32_t *word(FIXTURE_DATA(wq) *self, uint64_t off)
{
	return (uint32_t *)((char *)self->map + off);
}

/*
 * Fork a child that waits on @off for @val with @bitset (deadline 20 s,
 * a watchdog) and stores the result in res[@slot]; return once it sleeps.
 */
static pid_t waiter(FIXTURE_DATA(wq) *self, int slot, uint64_t off,
		    uint32_t val, uint32_t bitset)
{
	pid_t pid = kt_fork();

	if (pid == 0) {
		self->res[slot] = kt_wq_wait(self->region, off, val, bitset,
					     CLOCK_MONOTONIC,
					     kt_now_ns(CLOCK_MONOTONIC) +
					     20 * KT_NSEC);
		_exit(0);
	}
	if (pid > 0) {
		self->kids[self->nr_kids++] = pid;
		kt_wait_sleeping(pid, 5000);
	}
	return pid;
}

/* Wait for child @slot to finish: its result, or NOT_YET. */
static int result(FIXTURE_DATA(wq) *self, int slot)
{
	if (kt_wait(self->kids[slot], 10000) != 0)
		return NOT_YET;
	self->kids[slot] = 0;
	return __atomic_load_n(&self->res[slot], __ATOMIC_ACQUIRE);
}

TEST_F(wq, mismatch_is_eagain)
{
	*word(self, W0) = 5;
	ASSERT_EQ(-EAGAIN, kt_wq_wait(self->region, W0, 4, 0, 0, 0));
	ASSERT_EQ(-EAGAIN, kt_wq_wait_ms(self->region, W0, 0, 1000));
}

TEST_F(wq, bad_offsets_are_einval)
{
	ASSERT_EQ(-EINVAL, kt_wq_wait(self->region, 2, 0, 0, 0, 0));
	ASSERT_EQ(-EINVAL, kt_wq_wait(self->region, self->bytes, 0, 0, 0, 0));
	ASSERT_EQ(-EINVAL, kt_wq_wait(self->region, ~0ULL - 3, 0, 0, 0, 0));
	ASSERT_EQ(-EINVAL, kt_wq_wake(self->region, 1, 1, 0));
	ASSERT_EQ(-EINVAL, kt_wq_wake(self->region, self->bytes, 1, 0));
	ASSERT_EQ(-EINVAL, kt_wq_requeue(self->region, W0, 0, 1, 1, 6));
	ASSERT_EQ(-EINVAL, kt_wq_requeue(self->region, 6, 0, 1, 1, W0));
	/* The last word of the region is valid. */
	ASSERT_EQ(-EAGAIN, kt_wq_wait(self->region, self->bytes - 4, 1, 0, 0, 0));
}

static void timeout_on(struct __test_metadata *_metadata, int region,
		       clockid_t clk)
{
	uint64_t t0 = kt_now_ns(clk), t1;

	ASSERT_EQ(-ETIMEDOUT, kt_wq_wait(region, W0, 0, 0, clk,
					 t0 + 50 * 1000000ULL));
	t1 = kt_now_ns(clk);
	ASSERT_LE(t0 + 50 * 1000000ULL, t1);
	/* A deadline in the past times out at once. */
	ASSERT_EQ(-ETIMEDOUT, kt_wq_wait(region, W0, 0, 0, clk, 1));
}

TEST_F(wq, timeout_monotonic)
{
	timeout_on(_metadata, self->region, CLOCK_MONOTONIC);
}

TEST_F(wq, timeout_realtime)
{
	timeout_on(_metadata, self->region, CLOCK_REALTIME);
}

TEST_F(wq, wake_returns_the_number_woken)
{
	int i;

	ASSERT_EQ(0, kt_wq_wake(self->region, W0, 10, 0));
	for (i = 0; i < 3; i++)
		ASSERT_LT(0, waiter(self, i, W0, 0, 0));
	ASSERT_EQ(0, kt_wq_wake(self->region, W0, 0, 0));
	ASSERT_EQ(0, kt_wq_wake(self->region, W1, 10, 0));
	ASSERT_EQ(2, kt_wq_wake(self->region, W0, 2, 0));
	ASSERT_EQ(1, kt_wq_wake(self->region, W0, 10, 0));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, result(self, i));
}

TEST_F(wq, bitsets_match_wakers)
{
	ASSERT_LT(0, waiter(self, 0, W0, 0, 0x1));
	ASSERT_LT(0, waiter(self, 1, W0, 0, 0x2));
	ASSERT_LT(0, waiter(self, 2, W0, 0, 0));	/* 0: all */
	/* Only the bitset-0 waiter (which accepts every waker) matches. */
	ASSERT_EQ(1, kt_wq_wake(self->region, W0, 10, 0x4 | 0x8));
	ASSERT_EQ(0, result(self, 2));
	ASSERT_EQ(0, kt_wq_wake(self->region, W0, 10, 0x4));
	ASSERT_EQ(1, kt_wq_wake(self->region, W0, 10, 0x2));
	ASSERT_EQ(0, result(self, 1));
	ASSERT_EQ(1, kt_wq_wake(self->region, W0, 10, 0));
	ASSERT_EQ(0, result(self, 0));
}

TEST_F(wq, requeue_wakes_then_moves)
{
	int i;

	*word(self, W0) = 7;
	for (i = 0; i < 4; i++)
		ASSERT_LT(0, waiter(self, i, W0, 7, 0));
	ASSERT_EQ(-EAGAIN, kt_wq_requeue(self->region, W0, 6, 1, 10, W1));
	ASSERT_EQ(3, kt_wq_requeue(self->region, W0, 7, 1, 2, W1));
	/* One woken, two on W1, one still on W0. */
	ASSERT_EQ(1, kt_wq_wake(self->region, W0, 10, 0));
	ASSERT_EQ(2, kt_wq_wake(self->region, W1, 10, 0));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, result(self, i));
}

TEST_F(wq, waitv_returns_the_woken_index)
{
	int r2 = kt_region_create(self->ctx, kt_page(), 0, 0, NULL), ret;
	struct kipc_waitv_entry e[3] = {
		{ .region_fd = self->region, .val = 0, .offset = W0 },
		{ .region_fd = self->region, .val = 0, .offset = W1 },
		{ .region_fd = r2, .val = 0, .offset = W2 },
	};
	pid_t pid;

	ASSERT_LE(0, r2);
	pid = kt_fork();
	if (pid == 0) {
		self->res[0] = kt_wq_waitv(self->ctx, e, 3,
					   kt_now_ns(CLOCK_MONOTONIC) +
					   20 * KT_NSEC);
		_exit(0);
	}
	self->kids[self->nr_kids++] = pid;
	ASSERT_EQ(1, kt_wait_sleeping(pid, 5000));
	ASSERT_EQ(1, kt_wq_wake(r2, W2, 1, 0));
	ASSERT_EQ(2, result(self, 0));
	/* A word that differs: EAGAIN at once. */
	*word(self, W1) = 1;
	ret = kt_wq_waitv(self->ctx, e, 3, 0);
	ASSERT_EQ(-EAGAIN, ret);
	/* Timeout across regions. */
	*word(self, W1) = 0;
	ASSERT_EQ(-ETIMEDOUT,
		  kt_wq_waitv(self->ctx, e, 3,
			      kt_now_ns(CLOCK_MONOTONIC) + 20000000ULL));
	close(r2);
}

TEST_F(wq, waitv_128_entries)
{
	struct kipc_waitv_entry e[KIPC_WAITV_MAX];
	pid_t pid;
	int i;

	for (i = 0; i < KIPC_WAITV_MAX; i++)
		e[i] = (struct kipc_waitv_entry){ .region_fd = self->region,
						  .offset = 4 * i };
	pid = kt_fork();
	if (pid == 0) {
		self->res[0] = kt_wq_waitv(self->ctx, e, KIPC_WAITV_MAX,
					   kt_now_ns(CLOCK_MONOTONIC) +
					   20 * KT_NSEC);
		_exit(0);
	}
	self->kids[self->nr_kids++] = pid;
	ASSERT_EQ(1, kt_wait_sleeping(pid, 5000));
	ASSERT_EQ(1, kt_wq_wake(self->region, 4 * 127, 1, 0));
	ASSERT_EQ(127, result(self, 0));
	ASSERT_EQ(-EINVAL, kt_wq_waitv(self->ctx, e, KIPC_WAITV_MAX + 1, 0));
}

static void on_usr1(int sig)
{
}

/* A child waiting on W0 with @flags for SIGUSR1; its result in res[0]. */
static pid_t signalled_waiter(FIXTURE_DATA(wq) *self, int sa_flags)
{
	pid_t pid = kt_fork();

	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1,
					.sa_flags = sa_flags };

		sigaction(SIGUSR1, &sa, NULL);
		self->res[1] = 1;	/* handler installed */
		self->res[0] = kt_wq_wait(self->region, W0, 0, 0, 0, 0);
		_exit(0);
	}
	if (pid > 0)
		self->kids[self->nr_kids++] = pid;
	while (pid > 0 && !__atomic_load_n(&self->res[1], __ATOMIC_ACQUIRE))
		kt_sleep_ms(1);
	if (pid > 0)
		kt_wait_sleeping(pid, 5000);
	return pid;
}

TEST_F(wq, signal_is_eintr)
{
	pid_t pid = signalled_waiter(self, 0);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_EQ(-EINTR, result(self, 0));
}

TEST_F(wq, signal_with_sa_restart_restarts)
{
	pid_t pid = signalled_waiter(self, SA_RESTART);

	ASSERT_LT(0, pid);
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	kt_sleep_ms(50);
	ASSERT_EQ(1, kt_wait_sleeping(pid, 5000));
	ASSERT_EQ(NOT_YET, __atomic_load_n(&self->res[0], __ATOMIC_ACQUIRE));
	ASSERT_EQ(1, kt_wq_wake(self->region, W0, 1, 0));
	ASSERT_EQ(0, result(self, 0));
}

/*
 * The parent holds the region's first handle, the child a second one it
 * waits through. When the parent closes its handle, only waiters hold
 * the region: the child wakes with EOWNERDEAD, and a new wait fails so
 * at once.
 */
TEST_F(wq, peer_death_is_eownerdead)
{
	int h = kt_region_attach(self->region, 0);
	pid_t pid;

	ASSERT_LE(0, h);
	pid = kt_fork();
	if (pid == 0) {
		close(self->region);
		self->res[0] = kt_wq_wait(h, W0, 0, 0, CLOCK_MONOTONIC,
					  kt_now_ns(CLOCK_MONOTONIC) +
					  20 * KT_NSEC);
		self->res[1] = kt_wq_wait(h, W0, 0, 0, CLOCK_MONOTONIC,
					  kt_now_ns(CLOCK_MONOTONIC) +
					  20 * KT_NSEC);
		/* Not a waiter: a wake still works and finds nobody. */
		self->res[2] = kt_wq_wake(h, W0, 1, 0);
		_exit(0);
	}
	self->kids[self->nr_kids++] = pid;
	close(h);
	ASSERT_EQ(1, kt_wait_sleeping(pid, 5000));
	/* The region stays mapped here: the mapping is not a handle. */
	close(self->region);
	self->region = -1;
	ASSERT_EQ(0, kt_wait(pid, 10000));
	self->kids[0] = 0;
	ASSERT_EQ(-EOWNERDEAD, self->res[0]);
	ASSERT_EQ(-EOWNERDEAD, self->res[1]);
	ASSERT_EQ(0, self->res[2]);
}

/* Before any handle has closed, a lone waiter sleeps (no false death). */
TEST_F(wq, lone_waiter_is_not_dead)
{
	ASSERT_EQ(-ETIMEDOUT, kt_wq_wait_ms(self->region, W0, 0, 20));
}

/* Two processes map the region at different addresses and meet. */
TEST_F(wq, keys_are_region_offsets)
{
	pid_t pid = kt_fork();

	if (pid == 0) {
		/* Another mapping, at another address, of the same words. */
		uint32_t *m2 = kt_wq_map(self->region, self->bytes);

		self->res[0] = m2 && m2 != self->map ?
			kt_wq_wait(self->region, W1, 0, 0, CLOCK_MONOTONIC,
				   kt_now_ns(CLOCK_MONOTONIC) + 20 * KT_NSEC) :
			-ENOMEM;
		self->res[1] = m2 ? (int)m2[W1 / 4] : -1;
		_exit(0);
	}
	self->kids[self->nr_kids++] = pid;
	ASSERT_EQ(1, kt_wait_sleeping(pid, 5000));
	*word(self, W1) = 9;
	ASSERT_EQ(1, kt_wq_wake(self->region, W1, 1, 0));
	ASSERT_EQ(0, result(self, 0));
	ASSERT_EQ(9, self->res[1]);
}

KIPC_TEST_MAIN
