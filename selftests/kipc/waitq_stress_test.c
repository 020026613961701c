// SPDX-License-Identifier: GPL-2.0
/* Lost wake-ups: many processes hand a token around, share a futex mutex and ping-pong; every wait has a watchdog deadline. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "waitq_test.h"

#define NPROC		4
#define WATCHDOG_S	15	/* a wait longer than this is a lost wake-up */
#define TOKEN		0
#define MUTEX		64
#define COUNTER		128
#define PING		192
#define STOP		256
#define WOKE		320	/* waiters woken: the sum of the wakes' returns */
#define WOKEN		384	/* waits a wake ended */
#define TIMED_OUT	448	/* waits their deadline ended */
#define RUNNING		512	/* waiters still running */
#define RACE_MAX_S	10	/* longest the race runs on to see the counts */

/* Child exit codes. */
#define E_HUNG		10	/* the watchdog fired */
#define E_ERR		11	/* an unexpected errno */

FIXTURE(stress) {
	int ctx, region;
	size_t bytes;
	uint32_t *map;
	pid_t kids[NPROC];
};

FIXTURE_SETUP(stress)
{
	memset(self->kids, 0, sizeof(self->kids));
	self->bytes = kt_page();
	self->map = kt_wq_setup(_metadata, &self->ctx, &self->region,
				self->bytes);
}

FIXTURE_TEARDOWN(stress)
{
	int i;

	for (i = 0; i < NPROC; i++)
		kt_reap(self->kids[i]);
	kt_wq_teardown(self->ctx, self->region, self->map, self->bytes);
}

static uint32_t *word(FIXTURE_DATA(stress) *self, uint64_t off)
{
	return (uint32_t *)((char *)self->map + off);
}

/* A wait with the watchdog: 0 (woken or changed) or an exit code. */
static int wait_watched(int region, uint64_t off, uint32_t val,
			uint32_t bitset)
{
	int ret = kt_wq_wait(region, off, val, bitset, CLOCK_MONOTONIC,
			     kt_now_ns(CLOCK_MONOTONIC) +
			     WATCHDOG_S * KT_NSEC);

	if (ret == 0 || ret == -EAGAIN || ret == -EINTR)
		return 0;
	return ret == -ETIMEDOUT ? E_HUNG : E_ERR;
}

/* Run @fn(self, i, iters) in NPROC children; assert every one exits 0. */
static void run_all(struct __test_metadata *_metadata,
		    FIXTURE_DATA(stress) *self,
		    int (*fn)(FIXTURE_DATA(stress) *, int, int), int iters)
{
	uint64_t t0 = kt_now_ns(CLOCK_MONOTONIC);
	int i, st;

	for (i = 0; i < NPROC; i++) {
		self->kids[i] = kt_fork();
		ASSERT_LE(0, self->kids[i]);
		if (self->kids[i] == 0)
			_exit(fn(self, i, iters));
	}
	for (i = 0; i < NPROC; i++) {
		st = kt_wait(self->kids[i], 4 * WATCHDOG_S * 1000);
		self->kids[i] = 0;
		EXPECT_EQ(0, st) TH_LOG("child %d: %s", i,
					st == E_HUNG ? "lost wake-up" :
					st == -ETIMEDOUT ? "hung" : "error");
	}
	TH_LOG("%d processes x %d iterations in %.1f ms", NPROC, iters,
	       (kt_now_ns(CLOCK_MONOTONIC) - t0) / 1e6);
}

/*
 * Process i waits, with bitset 1 << i, until the token is i modulo NPROC,
 * passes it on and wakes only the next process's bitset, one waiter.
 */
static int token_child(FIXTURE_DATA(stress) *self, int me, int iters)
{
	uint32_t *tok = word(self, TOKEN), t;
	int n, ret;

	for (n = 0; n < iters; n++) {
		while ((t = __atomic_load_n(tok, __ATOMIC_ACQUIRE)) % NPROC != (uint32_t)me) {
			ret = wait_watched(self->region, TOKEN, t, 1u << me);
			if (ret)
				return ret;
		}
		__atomic_store_n(tok, t + 1, __ATOMIC_RELEASE);
		ret = kt_wq_wake(self->region, TOKEN, 1, 1u << ((me + 1) % NPROC));
		if (ret < 0)
			return E_ERR;
	}
	return 0;
}

/*
 * 1500 laps of NPROC hand-offs, each a bitset WAKE of one process and its
 * wait: 6000 hand-offs (it was 12000, 2 s on 6.12 and 5 s on the debug
 * kernel); a lost one hangs the ring at once.
 */
TEST_F(stress, token_ring_with_bitsets)
{
	int iters = 1500;

	run_all(_metadata, self, token_child, iters);
	ASSERT_EQ((uint32_t)(NPROC * iters), *word(self, TOKEN));
}

/* Drepper's mutex3 on raw ioctls; the counter it guards is plain. */
static int mutex_child(FIXTURE_DATA(stress) *self, int me, int iters)
{
	uint32_t *m = word(self, MUTEX), *cnt = word(self, COUNTER), c;
	int n, ret;

	for (n = 0; n < iters; n++) {
		c = 0;
		if (!__atomic_compare_exchange_n(m, &c, 1, 0, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED)) {
			if (c != 2)
				c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
			while (c) {
				ret = wait_watched(self->region, MUTEX, 2, 0);
				if (ret)
					return ret;
				c = __atomic_exchange_n(m, 2, __ATOMIC_ACQUIRE);
			}
		}
		(*(volatile uint32_t *)cnt)++;
		if (__atomic_fetch_sub(m, 1, __ATOMIC_RELEASE) != 1) {
			__atomic_store_n(m, 0, __ATOMIC_RELEASE);
			if (kt_wq_wake(self->region, MUTEX, 1, 0) < 0)
				return E_ERR;
		}
	}
	return 0;
}

TEST_F(stress, futex_mutex_counter)
{
	int iters = 20000;

	run_all(_metadata, self, mutex_child, iters);
	ASSERT_EQ((uint32_t)(NPROC * iters), *word(self, COUNTER));
	ASSERT_EQ(0, *word(self, MUTEX));
}

/*
 * Pairs of processes ping-pong on one word each: even children wait for
 * odd values, odd children for even ones, never spinning.
 */
static int pingpong_child(FIXTURE_DATA(stress) *self, int me, int iters)
{
	uint64_t off = PING + 4 * (me / 2);
	uint32_t *w = word(self, off), v;
	int n, ret;

	for (n = 0; n < iters; n++) {
		while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) % 2 != (uint32_t)(me % 2)) {
			ret = wait_watched(self->region, off, v, 0);
			if (ret)
				return ret;
		}
		__atomic_store_n(w, v + 1, __ATOMIC_RELEASE);
		if (kt_wq_wake(self->region, off, 1, 0) < 0)
			return E_ERR;
	}
	return 0;
}

/* 2500 round trips a pair (5000: 1 s on 6.12, 2.7 s on the debug kernel). */
TEST_F(stress, pingpong_pairs)
{
	int iters = 2500;

	run_all(_metadata, self, pingpong_child, iters);
	ASSERT_EQ((uint32_t)(2 * iters), *word(self, PING));
	ASSERT_EQ((uint32_t)(2 * iters), *word(self, PING + 4));
}

/*
 * Wakers race timeouts: waiters use deadlines of 20 us to 2.56 ms, wakers
 * pause 0 to 150 us between wakes, so wakes land while waiters unqueue
 * themselves. Nothing may hang, and a wake never reports more waiters
 * than were there: each waiter a wake counts returns 0, and only those
 * do. The race must have happened: waiters woken, and waits a deadline
 * ended. The children count in the region; past @iters rounds they go on
 * until both are seen, for RACE_MAX_S at most. Wakers wake until the
 * waiters are done.
 */
static uint32_t count(FIXTURE_DATA(stress) *self, uint64_t off)
{
	return __atomic_load_n(word(self, off), __ATOMIC_RELAXED);
}

static void add(FIXTURE_DATA(stress) *self, uint64_t off, uint32_t n)
{
	__atomic_fetch_add(word(self, off), n, __ATOMIC_RELAXED);
}

static bool race_seen(FIXTURE_DATA(stress) *self)
{
	return count(self, WOKE) && count(self, WOKEN) &&
	       count(self, TIMED_OUT);
}

/* A waker's pause: it spins, so that it stays on its CPU. */
static void spin_ns(uint64_t ns)
{
	uint64_t end = kt_now_ns(CLOCK_MONOTONIC) + ns;

	while (kt_now_ns(CLOCK_MONOTONIC) < end)
		;
}

static int racer_waiter(FIXTURE_DATA(stress) *self, int iters, uint64_t end)
{
	int n, ret;

	for (n = 0; n < iters || (!race_seen(self) &&
				  kt_now_ns(CLOCK_MONOTONIC) < end); n++) {
		ret = kt_wq_wait(self->region, STOP, 0, 0, CLOCK_MONOTONIC,
				 kt_now_ns(CLOCK_MONOTONIC) +
				 (20000ULL << (n % 8)));
		if (ret == 0)
			add(self, WOKEN, 1);
		else if (ret == -ETIMEDOUT)
			add(self, TIMED_OUT, 1);
		else
			return E_ERR;
	}
	return 0;
}

static int racer_child(FIXTURE_DATA(stress) *self, int me, int iters)
{
	uint64_t end = kt_now_ns(CLOCK_MONOTONIC) + RACE_MAX_S * KT_NSEC;
	int n, ret;

	if (me % 2 == 0) {
		ret = racer_waiter(self, iters, end);
		__atomic_fetch_sub(word(self, RUNNING), 1, __ATOMIC_RELEASE);
		return ret;
	}
	for (n = 0; n < iters || (__atomic_load_n(word(self, RUNNING),
						  __ATOMIC_ACQUIRE) &&
				  kt_now_ns(CLOCK_MONOTONIC) < end); n++) {
		ret = kt_wq_wake(self->region, STOP, 2, 0);
		if (ret < 0 || ret > NPROC / 2)
			return E_ERR;
		add(self, WOKE, ret);
		spin_ns(10000 * (n % 16));
	}
	return 0;
}

TEST_F(stress, wake_races_timeout)
{
	/* 1500 rounds, on until both ends were seen (3000 took 1.1-2.7 s). */
	*word(self, RUNNING) = NPROC / 2;
	run_all(_metadata, self, racer_child, 1500);
	TH_LOG("wakes woke %u waiters; waits: %u woken, %u timed out",
	       count(self, WOKE), count(self, WOKEN), count(self, TIMED_OUT));
	EXPECT_LT(0, count(self, WOKE));
	EXPECT_EQ(count(self, WOKE), count(self, WOKEN));
	EXPECT_LT(0, count(self, TIMED_OUT));
}

KIPC_TEST_MAIN
