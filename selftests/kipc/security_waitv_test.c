// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, finding 5: a WAITV that was woken must say so.
 *
 * On 38ea9ff KIPC_IOC_WAITV queued its entries one by one; when a later
 * entry failed (its word did not hold the expected value: EAGAIN; a bad
 * offset: EINVAL) it unqueued the earlier ones and returned the error,
 * ignoring that one of them had been woken meanwhile. The waker was told
 * (WAKE's return value) that it woke a waiter, and nobody woke: a lost
 * wake-up. The contract, as futex_waitv: WAITV then returns the woken
 * index.
 *
 * A waiter loops WAITV over entry 0 (word W0, expected value right), 126
 * more matching words (they widen the window between queueing entry 0 and
 * failing), and a last entry that fails; a waker loops WAKE(W0, 1), adding
 * up what it was told it woke. WAITV never sleeps (its last entry always
 * fails), so once both stop every waiter the wakes counted has returned:
 * the sum of WAKE results must equal the number of WAITV calls that
 * returned 0. On 38ea9ff WAITV never returns 0 and the wakes add up to
 * hundreds within the run on TCG.
 *
 * The run ends at ENOUGH_WAKES wake-ups, or at ENOUGH_CALLS WAITVs: with
 * EAGAIN nearly every WAITV is woken (300 of 302 on 6.12), so a WAITV
 * that lost its wake-ups would lose hundreds in that many. With EINVAL
 * nobody is woken now (none of 890000 wakes on 6.12), and the run went on
 * for the whole RUN_NS, 17000 WAITVs.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "waitq_test.h"

#define NR_ENT		KIPC_WAITV_MAX
#define RUN_NS		2000000000ULL	/* at most, */
#define MIN_CALLS	100		/* unless fewer WAITVs were made: then */
#define MAX_NS		20000000000ULL	/* until this many, this long at most */
#define ENOUGH_WAKES	300		/* stop early once this many */
#define ENOUGH_CALLS	2000		/* or once this many WAITVs */

struct shared {
	volatile int stop;
	volatile long woken;		/* sum of WAKE results */
	volatile long wake_calls;
	volatile long waitv_calls;
	volatile long waitv_index0;	/* WAITV returned 0 */
	volatile long waitv_other;	/* results neither 0 nor the error */
	volatile int last_other;
	volatile int wake_err;
};

FIXTURE(waitv) {
	int ctx, region;
	size_t bytes;
	uint32_t *map;
	struct shared *sh;
	pid_t child;
};

FIXTURE_VARIANT(waitv) {
	int fail;		/* what makes the last entry fail */
	int waker_process;	/* wake from another process */
};

FIXTURE_VARIANT_ADD(waitv, eagain_threads) { .fail = EAGAIN };
FIXTURE_VARIANT_ADD(waitv, eagain_processes) {
	.fail = EAGAIN, .waker_process = 1,
};
FIXTURE_VARIANT_ADD(waitv, einval_threads) { .fail = EINVAL };

FIXTURE_SETUP(waitv)
{
	self->child = 0;
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	self->bytes = kt_page();
	self->map = kt_wq_setup(_metadata, &self->ctx, &self->region,
				self->bytes);
}

FIXTURE_TEARDOWN(waitv)
{
	self->sh->stop = 1;
	kt_reap(self->child);
	kt_wq_teardown(self->ctx, self->region, self->map, self->bytes);
	munmap(self->sh, sizeof(*self->sh));
}

struct waker_arg {
	struct shared *sh;
	int region;
};

static void wake_loop(struct shared *sh, int region)
{
	int ret;

	while (!sh->stop && sh->woken < ENOUGH_WAKES) {
		ret = kt_wq_wake(region, 0, 1, 0);
		if (ret < 0) {
			sh->wake_err = -ret;
			break;
		}
		__atomic_add_fetch(&sh->woken, ret, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&sh->wake_calls, 1, __ATOMIC_RELAXED);
	}
	sh->stop = 1;
}

static void *waker_thread(void *arg)
{
	struct waker_arg *wa = arg;

	wake_loop(wa->sh, wa->region);
	return NULL;
}

TEST_F(waitv, woken_entry_wins_over_a_later_failure)
{
	struct waker_arg wa = { .sh = self->sh, .region = self->region };
	struct kipc_waitv_entry e[NR_ENT];
	uint64_t t0 = kt_now_ns(CLOCK_MONOTONIC);
	pthread_t waker;
	int i, ret;

	/* Every word is 0; entry 0 is W0, the last entry fails. */
	for (i = 0; i < NR_ENT; i++)
		e[i] = (struct kipc_waitv_entry){ .region_fd = self->region,
						  .offset = 4 * i };
	if (variant->fail == EAGAIN)
		e[NR_ENT - 1].val = 1;
	else
		e[NR_ENT - 1].offset = 4 * (NR_ENT - 1) + 2;	/* misaligned */
	ASSERT_EQ(-variant->fail, kt_wq_waitv(self->ctx, e, NR_ENT, 0));

	if (variant->waker_process) {
		self->child = kt_fork();
		ASSERT_LE(0, self->child);
		if (self->child == 0) {
			wake_loop(self->sh, self->region);
			_exit(0);
		}
	} else {
		ASSERT_EQ(0, pthread_create(&waker, NULL, waker_thread, &wa));
	}
	while (!self->sh->stop) {
		uint64_t ran = kt_now_ns(CLOCK_MONOTONIC) - t0;

		/* ENOUGH_CALLS count once the waker has been seen at work. */
		if (ran > MAX_NS || (self->sh->waitv_calls >= ENOUGH_CALLS &&
				     self->sh->wake_calls > MIN_CALLS) ||
		    (ran > RUN_NS && self->sh->waitv_calls > MIN_CALLS))
			break;
		ret = kt_wq_waitv(self->ctx, e, NR_ENT, 0);
		if (ret == 0) {
			self->sh->waitv_index0++;
		} else if (ret != -variant->fail) {
			self->sh->waitv_other++;
			self->sh->last_other = ret;
		}
		self->sh->waitv_calls++;
	}
	self->sh->stop = 1;
	if (variant->waker_process) {
		EXPECT_EQ(0, kt_wait(self->child, 10000));
		self->child = 0;
	} else {
		pthread_join(waker, NULL);
	}
	TH_LOG("%ld WAITV (%ld returned 0), %ld WAKE (%ld woken)",
	       self->sh->waitv_calls, self->sh->waitv_index0,
	       self->sh->wake_calls, self->sh->woken);
	EXPECT_EQ(0, self->sh->wake_err);
	EXPECT_EQ(0, self->sh->waitv_other)
		TH_LOG("WAITV returned %d", self->sh->last_other);
	EXPECT_EQ(self->sh->woken, self->sh->waitv_index0)
		TH_LOG("WAKE reported %ld waiters woken, WAITV returned the woken index %ld times: wake-ups lost",
		       self->sh->woken, self->sh->waitv_index0);
	EXPECT_LT(MIN_CALLS, self->sh->waitv_calls) TH_LOG("the race barely ran");
	EXPECT_LT(MIN_CALLS, self->sh->wake_calls)
		TH_LOG("the waker barely ran");
	/* Nobody is left queued on W0. */
	EXPECT_EQ(0, kt_wq_wake(self->region, 0, 10, 0));
}

/*
 * A wake-up counted reaches a task that takes it. T waits with WAITV on
 * word W0 twice (two entries, one task), then U waits on W0; WAKE(W0, 2)
 * must wake both. Before the wait claimed by its first wake-up was passed
 * by, the WAKE counted T's two entries, returned 2 and left U asleep.
 */
TEST(wake_counts_a_waitv_once)
{
	struct kipc_waitv_entry e[2] = {
		{ .offset = 0 }, { .offset = 0 },
	};
	size_t bytes = kt_page();
	int ctx, region, woken, ret;
	pid_t t, u;
	uint32_t *map;

	map = kt_wq_setup(_metadata, &ctx, &region, bytes);
	e[0].region_fd = e[1].region_fd = region;
	t = kt_fork();
	ASSERT_LE(0, t);
	if (t == 0) {
		ret = kt_wq_waitv(ctx, e, 2,
				  kt_now_ns(CLOCK_MONOTONIC) + 5 * KT_NSEC);
		_exit(ret == 0 || ret == 1 ? 0 : 100 - ret);
	}
	ASSERT_EQ(1, kt_wait_sleeping(t, 5000));
	u = kt_fork();
	ASSERT_LE(0, u);
	if (u == 0)
		_exit(-kt_wq_wait_ms(region, 0, 0, 3000));
	ASSERT_EQ(1, kt_wait_sleeping(u, 5000));
	map[0] = 1;
	woken = kt_wq_wake(region, 0, 2, 0);
	EXPECT_EQ(2, woken);
	ret = kt_wait(t, 10000);
	EXPECT_EQ(0, ret) TH_LOG("T: WAITV returned %d", 100 - ret);
	ret = kt_wait(u, 10000);
	EXPECT_EQ(0, ret) TH_LOG("U: %s (ETIMEDOUT: the WAKE counted T's wait twice)",
				 ret > 0 && ret < 128 ? strerror(ret) : "killed");
	kt_wq_teardown(ctx, region, map, bytes);
}

KIPC_TEST_MAIN
