/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The poll a ring side makes before it sleeps: how many times and for how
 * long it polls, and what each poll and each wake-up teaches it. Kept
 * apart from the ring so that it can be tested with a clock of the test's
 * own (libkipc/test/ring_poll_test.c).
 */
#ifndef LIBKIPC_RING_POLL_H
#define LIBKIPC_RING_POLL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The budget adapts between the two bounds: halved by each poll that
 * fails (the peer is not running, e.g. it shares our CPU, where a poll
 * only delays it), doubled by each that succeeds. And a poll
 * lasts no longer than a sleep and its wake-up cost, as last measured (the
 * notifier's time of the wake to the sleeper's return, averaged with a
 * weight of 1/8): polling longer than that cannot be cheaper than sleeping
 * at once.
 */
#define KIPC__POLL_MAX		2000
#define KIPC__POLL_MIN		16
#define KIPC__POLL_CLOCK	64		/* polls between reads of the clock */
#define KIPC__WAKE_MAX		10000000ULL	/* a longer wake-up is no sample */

/*
 * One per side of a ring handle, shared by the threads of that side: read
 * and written atomically.
 */
struct kipc__ring_poll {
	unsigned int budget;	/* polls; 0 on one CPU: never poll */
	uint64_t wake_cost;	/* ns, a moving average; 0: not measured yet */
};

/* @smp: more than one CPU is online (on one, a poll only delays the peer). */
void kipc__ring_poll_init(struct kipc__ring_poll *p, bool smp);

/*
 * Poll @ready(@arg) until it is true, at most the budget's times and for at
 * most the wake cost by @clock, then adapt the budget.
 * Return: whether @ready became true.
 */
bool kipc__ring_poll(struct kipc__ring_poll *p, bool (*ready)(const void *),
		     const void *arg, uint64_t (*clock)(void));

/* A sleeper woke at @now from a wake made at @wake_ns (0: none known). */
void kipc__ring_poll_woken(struct kipc__ring_poll *p, uint64_t wake_ns,
			   uint64_t now);

#endif /* LIBKIPC_RING_POLL_H */
