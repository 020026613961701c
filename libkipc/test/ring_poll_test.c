// SPDX-License-Identifier: GPL-2.0
/*
 * The poll a ring side makes before it sleeps (libkipc/ring_poll.c), run
 * against a clock of the test's own: how many polls it makes, for how long
 * by that clock, and what it learns from each poll and wake-up. Linked
 * with the static libkipc, whose internal symbols it calls; no module.
 */
#include <stdbool.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "ring_poll.h"

/* The test's clock: each read moves it on by step_ns. */
static uint64_t now_ns, step_ns, clock_reads;

static uint64_t test_clock(void)
{
	clock_reads++;
	now_ns += step_ns;
	return now_ns;
}

/* Ready on the ready_at'th poll (0: never); counts the polls. */
struct peer {
	unsigned int polls;
	unsigned int ready_at;
};

static bool peer_ready(const void *arg)
{
	struct peer *p = (struct peer *)arg;

	return ++p->polls == p->ready_at;
}

static void clock_reset(uint64_t step)
{
	now_ns = 1000000000ULL;
	step_ns = step;
	clock_reads = 0;
}

TEST(one_cpu_never_polls)
{
	struct kipc__ring_poll p;
	struct peer peer = { .ready_at = 1 };

	kipc__ring_poll_init(&p, false);
	clock_reset(100);
	EXPECT_FALSE(kipc__ring_poll(&p, peer_ready, &peer, test_clock));
	EXPECT_EQ(0, peer.polls);
	EXPECT_EQ(0, clock_reads);
	EXPECT_EQ(0, p.budget);
}

/* No wake-up measured yet: the budget alone bounds the poll, no clock read. */
TEST(unmeasured_poll_runs_its_budget_then_halves_it)
{
	struct kipc__ring_poll p;
	struct peer peer = {};

	kipc__ring_poll_init(&p, true);
	ASSERT_EQ(KIPC__POLL_MAX, p.budget);
	clock_reset(100);
	EXPECT_FALSE(kipc__ring_poll(&p, peer_ready, &peer, test_clock));
	EXPECT_EQ(KIPC__POLL_MAX, peer.polls);
	EXPECT_EQ(0, clock_reads);
	EXPECT_EQ(KIPC__POLL_MAX / 2, p.budget);
}

/*
 * The bound this file is for: with a wake-up measured at 1 us and a clock
 * that moves 100 ns a read, a poll that fails stops once 1 us has passed
 * (the clock is read every KIPC__POLL_CLOCK polls), far short of its
 * budget of 2000 polls.
 */
TEST(failed_poll_lasts_no_longer_than_the_wake_cost)
{
	struct kipc__ring_poll p;
	struct peer peer = {};
	uint64_t start;

	kipc__ring_poll_init(&p, true);
	kipc__ring_poll_woken(&p, 5000, 6000);
	ASSERT_EQ(1000, p.wake_cost);
	clock_reset(100);
	start = now_ns;
	EXPECT_FALSE(kipc__ring_poll(&p, peer_ready, &peer, test_clock));
	/* The start, then one read per 64 polls until start + 1000 ns. */
	EXPECT_EQ(11, clock_reads);
	EXPECT_EQ(10 * KIPC__POLL_CLOCK, peer.polls);
	EXPECT_LE(now_ns - start, 1000 + step_ns);
	EXPECT_EQ(KIPC__POLL_MAX / 2, p.budget);
}

/* A wake cost longer than the budget's polls: the budget stops it. */
TEST(budget_bounds_a_poll_shorter_than_the_wake_cost)
{
	struct kipc__ring_poll p;
	struct peer peer = {};

	kipc__ring_poll_init(&p, true);
	kipc__ring_poll_woken(&p, 1000, 1000 + KIPC__WAKE_MAX);
	clock_reset(1);
	EXPECT_FALSE(kipc__ring_poll(&p, peer_ready, &peer, test_clock));
	EXPECT_EQ(KIPC__POLL_MAX, peer.polls);
}

TEST(success_doubles_failure_halves_within_bounds)
{
	struct kipc__ring_poll p;
	struct peer peer = {};
	int i;

	kipc__ring_poll_init(&p, true);
	clock_reset(100);
	for (i = 0; i < 12; i++) {
		peer.polls = 0;
		EXPECT_FALSE(kipc__ring_poll(&p, peer_ready, &peer,
					     test_clock));
	}
	EXPECT_EQ(KIPC__POLL_MIN, p.budget);	/* not 0: it keeps trying */
	peer.polls = 0;
	peer.ready_at = 3;
	EXPECT_TRUE(kipc__ring_poll(&p, peer_ready, &peer, test_clock));
	EXPECT_EQ(3, peer.polls);		/* stops at the first success */
	EXPECT_EQ(2 * KIPC__POLL_MIN, p.budget);
	for (i = 0; i < 12; i++) {
		peer.polls = 0;
		EXPECT_TRUE(kipc__ring_poll(&p, peer_ready, &peer,
					    test_clock));
	}
	EXPECT_EQ(KIPC__POLL_MAX, p.budget);
}

/* The wake cost: the first sample, then a moving average of weight 1/8. */
TEST(wake_cost_averages_good_samples_only)
{
	struct kipc__ring_poll p;

	kipc__ring_poll_init(&p, true);
	kipc__ring_poll_woken(&p, 0, 5000);		/* no wake known */
	EXPECT_EQ(0, p.wake_cost);
	kipc__ring_poll_woken(&p, 7000, 5000);		/* from the future */
	EXPECT_EQ(0, p.wake_cost);
	kipc__ring_poll_woken(&p, 1000, 2000 + KIPC__WAKE_MAX);	/* stale */
	EXPECT_EQ(0, p.wake_cost);
	kipc__ring_poll_woken(&p, 1000, 9000);
	EXPECT_EQ(8000, p.wake_cost);
	kipc__ring_poll_woken(&p, 1000, 17000);		/* a sample of 16000 */
	EXPECT_EQ(9000, p.wake_cost);
	kipc__ring_poll_woken(&p, 1000, 1000 + KIPC__WAKE_MAX + 1);
	EXPECT_EQ(9000, p.wake_cost);
}

TEST_HARNESS_MAIN
