// SPDX-License-Identifier: GPL-2.0
/*
 * The deadline of kipc_mutex_timedlock() and of kipc_cond_wait()'s relock,
 * against a scripted kernel: the wrapped kipc_wait() records what each
 * wait was asked and answers from the test's script, playing the other
 * process too (it takes or frees the mutex, bumps the condition) before
 * it answers. Each step happens at a time relative to the caller's
 * deadline (at it, by default); a wait whose deadline comes before that
 * times out instead, the step not played, as the kernel's would. The
 * region is memory of the test's own; its handle is /dev/null, which
 * nothing here reaches.
 *
 * What must hold:
 * - kipc_mutex_timedlock() hands its flags and its exact deadline to
 *   every wait (no grace: a holder that lets go after it is -ETIMEDOUT),
 *   retries after -EAGAIN and -EINTR, and returns -ETIMEDOUT and
 *   -EOWNERDEAD as they come; kipc_mutex_lock() waits without a deadline;
 * - kipc_cond_wait()'s relock waits with the caller's flags and its
 *   deadline plus one second (it waited with none: a holder whose death
 *   the kernel does not see hung it for ever; then with the deadline
 *   itself: after a wait that timed out, any holder at that moment made
 *   the call -ENOLCK), saturated at the largest time_t; without a deadline
 *   it waits without one. A holder that lets go within that second gives
 *   the mutex back (-ETIMEDOUT, or 0 after a wake-up, held); a relock that
 *   times out is -ENOLCK, one that sees a death -ENOTRECOVERABLE, neither
 *   with the mutex; a wait that timed out with the mutex free returns
 *   -ETIMEDOUT holding it, without a second wait;
 * - a word that keeps changing (-EAGAIN, which the kernel answers before it
 *   looks at the deadline) ends the timed lock and the relock at their
 *   deadlines (they looped for ever), and a condition wait that finds it
 *   changed past its deadline is -ETIMEDOUT, not a spurious 0;
 * - kipc_cond_broadcast() whose requeue finds the condition changed wakes
 *   every waiter instead of retrying (it retried for as long as signals
 *   came).
 *
 * The clock libkipc reads between waits (kipc__deadline_passed()) is the
 * script's: the time of the last step played, or of the last deadline a
 * wait timed out at; before the first, a second before the deadline.
 *
 * Linked with the static libkipc, with -Wl,--wrap of kipc_wait,
 * kipc__deadline_passed, kipc_requeue and kipc_wake; no module.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"
#include "sys.h"

struct shared {
	struct kipc_mutex pad;	/* the mutex is not at offset 0 */
	struct kipc_mutex m;
	struct kipc_cond c;
};

/* What the other process does before a wait answers. */
enum play {
	NOTHING,
	TAKES,		/* takes the mutex (1) */
	TAKES_SIGNALS,	/* takes it, then signals the condition */
	FREES,		/* lets the mutex go (0) */
};

struct step {
	enum play play;
	int ret;	/* the wait's answer */
	int at_ms;	/* when, in ms after the caller's deadline */
};

/* The grace kipc_cond_wait(3) gives its relock past the deadline. */
#define GRACE_SEC	1

#define MAX_WAITS	8

/* One wait as libkipc asked for it. */
struct asked {
	uint64_t offset;
	uint32_t val;
	unsigned int flags;
	int has_deadline;
	struct timespec deadline;	/* its value, when it had one */
};

static struct shared *sh;
static const struct step *script;
static unsigned int nr_steps, nr_waits;
static struct asked asked[MAX_WAITS];
static const struct timespec *callers;	/* the caller's deadline */
static int64_t now_ms;			/* the script's clock */
/* kipc_requeue() answers -EAGAIN (else the real one runs); the calls. */
static int requeue_changed;
static unsigned int nr_requeues, nr_wakes;
static uint64_t woken_offset;
static int woken_nr;

/* Milliseconds from the caller's deadline to @dl (near it). */
static int64_t ms_after_callers(const struct timespec *dl)
{
	return ((int64_t)dl->tv_sec - (int64_t)callers->tv_sec) * 1000 +
	       ((int64_t)dl->tv_nsec - (int64_t)callers->tv_nsec) / 1000000;
}

int __wrap_kipc_wait(struct kipc_region *r, uint64_t offset, uint32_t val,
		     uint32_t bitset, unsigned int flags,
		     const struct timespec *deadline)
{
	const struct step *s;
	struct asked *a;

	if (nr_waits >= nr_steps || nr_waits >= MAX_WAITS)
		return -EDEADLK;	/* a wait the script did not expect */
	a = &asked[nr_waits];
	*a = (struct asked){ offset, val, flags, deadline != NULL, { 0, 0 } };
	if (deadline)
		a->deadline = *deadline;
	s = &script[nr_waits++];
	/* What the real one refuses (kipc__deadline()), this one does too. */
	if (deadline && (deadline->tv_sec < 0 || deadline->tv_nsec < 0 ||
			 deadline->tv_nsec >= 1000000000L))
		return -EINVAL;
	/* The wait's deadline comes first: it times out, nothing played. */
	if (deadline && ms_after_callers(deadline) < s->at_ms) {
		if (now_ms < ms_after_callers(deadline))
			now_ms = ms_after_callers(deadline);
		return -ETIMEDOUT;
	}
	if (now_ms < s->at_ms)
		now_ms = s->at_ms;
	switch (s->play) {
	case NOTHING:
		break;
	case TAKES:
		__atomic_store_n(&sh->m.word, 1, __ATOMIC_SEQ_CST);
		break;
	case TAKES_SIGNALS:
		__atomic_store_n(&sh->m.word, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&sh->c.seq, 1, __ATOMIC_SEQ_CST);
		break;
	case FREES:
		__atomic_store_n(&sh->m.word, 0, __ATOMIC_SEQ_CST);
		break;
	}
	return s->ret;
}

bool __wrap_kipc__deadline_passed(unsigned int flags,
				  const struct timespec *deadline)
{
	return deadline && ms_after_callers(deadline) <= now_ms;
}

int __real_kipc_requeue(struct kipc_region *r, uint64_t offset, uint32_t val,
			int nr_wake, int nr_requeue, uint64_t offset2);
int __wrap_kipc_requeue(struct kipc_region *r, uint64_t offset, uint32_t val,
			int nr_wake, int nr_requeue, uint64_t offset2)
{
	nr_requeues++;
	if (!requeue_changed)
		return __real_kipc_requeue(r, offset, val, nr_wake, nr_requeue,
					   offset2);
	/* Another signal, always just before: a retry would never end. */
	__atomic_fetch_add(&sh->c.seq, 1, __ATOMIC_SEQ_CST);
	return nr_requeues > 100 ? -EDEADLK : -EAGAIN;
}

int __real_kipc_wake(struct kipc_region *r, uint64_t offset, int nr,
		     uint32_t bitset);
int __wrap_kipc_wake(struct kipc_region *r, uint64_t offset, int nr,
		     uint32_t bitset)
{
	if (!requeue_changed)
		return __real_kipc_wake(r, offset, nr, bitset);
	nr_wakes++;
	woken_offset = offset;
	woken_nr = nr;
	return 0;
}

FIXTURE(dl) {
	struct kipc_region r;
	struct timespec deadline;
	uint64_t moff, coff;
};

FIXTURE_SETUP(dl)
{
	memset(&self->r, 0, sizeof(self->r));
	self->r.fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->r.fd);
	self->r.bytes = 4096;
	self->r.base = aligned_alloc(4096, 4096);
	ASSERT_NE(NULL, self->r.base);
	memset(self->r.base, 0, 4096);
	sh = self->r.base;
	self->moff = offsetof(struct shared, m);
	self->coff = offsetof(struct shared, c);
	/* Any valid deadline: the script, not the clock, decides. */
	self->deadline.tv_sec = 12345;
	self->deadline.tv_nsec = 678;
	callers = &self->deadline;
	now_ms = -1000;
	nr_waits = 0;
	nr_steps = 0;
	requeue_changed = 0;
	nr_requeues = nr_wakes = 0;
	woken_offset = 0;
	woken_nr = 0;
	memset(asked, 0, sizeof(asked));
}

FIXTURE_TEARDOWN(dl)
{
	free(self->r.base);
	close(self->r.fd);
}

#define RUN(steps) do { script = (steps); \
	nr_steps = sizeof(steps) / sizeof((steps)[0]); } while (0)

/*
 * Every wait from @from on was on @off with @flags and the fixture's
 * deadline plus @plus_sec seconds.
 */
static int waits_had_deadline(FIXTURE_DATA(dl) *self, uint64_t off,
			      unsigned int from, unsigned int flags,
			      time_t plus_sec)
{
	unsigned int i;

	for (i = from; i < nr_waits; i++) {
		if (asked[i].offset != off || asked[i].val != 2 ||
		    asked[i].flags != flags || !asked[i].has_deadline ||
		    asked[i].deadline.tv_sec != self->deadline.tv_sec + plus_sec ||
		    asked[i].deadline.tv_nsec != self->deadline.tv_nsec) {
			fprintf(TH_LOG_STREAM,
				"# wait %u: offset %llu, flags %#x, deadline %s%lld.%09ld (the caller's %lld.%09ld)\n",
			       i, (unsigned long long)asked[i].offset,
			       asked[i].flags,
			       asked[i].has_deadline ? "" : "none ",
			       (long long)asked[i].deadline.tv_sec,
			       (long)asked[i].deadline.tv_nsec,
			       (long long)self->deadline.tv_sec,
			       (long)self->deadline.tv_nsec);
			return 0;
		}
	}
	return 1;
}

/* The timed lock's waits: the caller's deadline itself. */
#define waits_kept_the_deadline(self, off, from, flags) \
	waits_had_deadline(self, off, from, flags, 0)
/* The relock's waits: the caller's deadline plus the grace. */
#define waits_had_the_grace(self, off, from, flags) \
	waits_had_deadline(self, off, from, flags, GRACE_SEC)

TEST_F(dl, timedlock_hands_its_deadline_to_the_wait)
{
	static const struct step steps[] = { { NOTHING, -ETIMEDOUT, 0 } };

	RUN(steps);
	sh->m.word = 1;		/* another holds it */
	EXPECT_EQ(-ETIMEDOUT, kipc_mutex_timedlock(&self->r, &sh->m,
						   KIPC_DEADLINE_REALTIME,
						   &self->deadline));
	EXPECT_EQ(1, nr_waits);
	EXPECT_TRUE(waits_kept_the_deadline(self, self->moff, 0,
					    KIPC_DEADLINE_REALTIME));
	/* Still the other's, marked waited on. */
	EXPECT_EQ(2, sh->m.word);
}

/*
 * The timed lock's deadline is exact: a holder that lets go 200 ms after
 * it is too late (the grace is the condition wait's relock's alone).
 */
TEST_F(dl, timedlock_has_no_grace)
{
	static const struct step steps[] = { { FREES, 0, 200 } };

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(-ETIMEDOUT, kipc_mutex_timedlock(&self->r, &sh->m, 0,
						   &self->deadline));
	EXPECT_EQ(1, nr_waits);
	EXPECT_TRUE(waits_kept_the_deadline(self, self->moff, 0, 0));
	EXPECT_EQ(2, sh->m.word);	/* the other's */
}

TEST_F(dl, timedlock_retries_until_the_holder_lets_go)
{
	static const struct step steps[] = {
		{ NOTHING, -EAGAIN, -30 }, { NOTHING, -EINTR, -20 },
		{ FREES, 0, -10 },
	};

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(0, kipc_mutex_timedlock(&self->r, &sh->m, 0,
					  &self->deadline));
	EXPECT_EQ(3, nr_waits);
	EXPECT_TRUE(waits_kept_the_deadline(self, self->moff, 0, 0));
	EXPECT_EQ(2, sh->m.word);	/* ours, maybe waited on */
}

TEST_F(dl, timedlock_death_is_eownerdead_not_held)
{
	static const struct step steps[] = { { NOTHING, -EOWNERDEAD, 0 } };

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(-EOWNERDEAD, kipc_mutex_timedlock(&self->r, &sh->m, 0,
						    &self->deadline));
	EXPECT_EQ(1, nr_waits);
}

TEST_F(dl, lock_waits_without_a_deadline)
{
	static const struct step steps[] = { { FREES, 0, 0 } };

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(0, kipc_mutex_lock(&self->r, &sh->m));
	ASSERT_EQ(1, nr_waits);
	EXPECT_EQ(0, asked[0].flags);
	EXPECT_EQ(0, asked[0].has_deadline);
}

/* A free mutex is taken without a wait, whatever the deadline. */
TEST_F(dl, timedlock_takes_a_free_mutex_without_waiting)
{
	struct timespec past = { 0, 0 };

	EXPECT_EQ(0, kipc_mutex_timedlock(&self->r, &sh->m, 0, &past));
	EXPECT_EQ(0, nr_waits);
	EXPECT_EQ(1, sh->m.word);
}

/*
 * Woken by a signal, but the signaller keeps the mutex past the deadline
 * and the grace: the relock times out, -ENOLCK, the mutex the other's.
 * The condition's wait had the caller's flags and deadline; the relock the
 * same flags and the deadline plus a second (it waited with none, then
 * with the deadline itself).
 */
TEST_F(dl, cond_relock_that_times_out_is_enolck)
{
	static const struct step steps[] = {
		{ TAKES_SIGNALS, 0, -500 }, { FREES, 0, 1500 },
	};

	RUN(steps);
	sh->m.word = 1;		/* ours, as kipc_cond_wait() wants */
	EXPECT_EQ(-ENOLCK, kipc_cond_wait(&self->r, &sh->c, &sh->m,
					  KIPC_DEADLINE_REALTIME,
					  &self->deadline));
	ASSERT_EQ(2, nr_waits);
	/* The condition's wait, then the relock's. */
	EXPECT_EQ(self->coff, asked[0].offset);
	EXPECT_EQ(KIPC_DEADLINE_REALTIME, asked[0].flags);
	EXPECT_EQ(1, asked[0].has_deadline);
	EXPECT_EQ(self->deadline.tv_sec, asked[0].deadline.tv_sec);
	EXPECT_EQ(self->deadline.tv_nsec, asked[0].deadline.tv_nsec);
	EXPECT_TRUE(waits_had_the_grace(self, self->moff, 1,
					KIPC_DEADLINE_REALTIME));
	EXPECT_EQ(2, sh->m.word);	/* the signaller's */
}

/*
 * Woken by a signal; the signaller lets go 200 ms after the deadline,
 * within the grace: a wake-up, 0, the mutex held. A relock bound by the
 * deadline itself returned -ENOLCK.
 */
TEST_F(dl, cond_woken_holder_lets_go_within_the_grace_is_a_wake_up)
{
	static const struct step steps[] = {
		{ TAKES_SIGNALS, 0, -500 }, { FREES, 0, 200 },
	};

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(0, kipc_cond_wait(&self->r, &sh->c, &sh->m, 0,
				    &self->deadline));
	EXPECT_EQ(2, nr_waits);
	EXPECT_TRUE(waits_had_the_grace(self, self->moff, 1, 0));
	EXPECT_EQ(2, sh->m.word);	/* ours */
}

/*
 * The wait timed out, and another took the mutex at that moment, letting
 * go 200 ms later, within the grace: the relock waits for it, -ETIMEDOUT
 * with the mutex held, as pthread_cond_timedwait() would. A relock bound
 * by the deadline itself only tried, and returned -ENOLCK.
 */
TEST_F(dl, cond_timeout_holder_lets_go_within_the_grace_is_held)
{
	static const struct step steps[] = {
		{ TAKES, -ETIMEDOUT, 0 }, { FREES, 0, 200 },
	};

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(-ETIMEDOUT, kipc_cond_wait(&self->r, &sh->c, &sh->m, 0,
					     &self->deadline))
		TH_LOG("-ENOLCK: the relock gave up at the deadline");
	EXPECT_EQ(2, nr_waits);
	EXPECT_TRUE(waits_had_the_grace(self, self->moff, 1, 0));
	EXPECT_EQ(2, sh->m.word);	/* held, in state 2 */
}

/*
 * The wait timed out and another took the mutex, holding it past the
 * grace too: -ENOLCK, not held.
 */
TEST_F(dl, cond_timeout_held_past_the_grace_is_enolck)
{
	static const struct step steps[] = {
		{ TAKES, -ETIMEDOUT, 0 }, { FREES, 0, 1500 },
	};

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(-ENOLCK, kipc_cond_wait(&self->r, &sh->c, &sh->m, 0,
					  &self->deadline));
	EXPECT_EQ(2, nr_waits);
	EXPECT_TRUE(waits_had_the_grace(self, self->moff, 1, 0));
	EXPECT_EQ(2, sh->m.word);	/* the other's */
}

/*
 * The grace saturates: a deadline at or next to the largest time_t (of
 * whatever width) gives the relock the largest time_t, never one wrapped
 * negative (which the kernel refuses, -EINVAL, -ENOTRECOVERABLE here).
 */
TEST_F(dl, cond_relock_deadline_saturates)
{
	static const struct step steps[] = {
		{ TAKES_SIGNALS, 0, 0 }, { FREES, 0, 0 },
	};
	const time_t max = (time_t)(((uintmax_t)1 <<
				     (sizeof(time_t) * CHAR_BIT - 1)) - 1);
	time_t secs[] = { max, max - GRACE_SEC, max - GRACE_SEC - 1 };
	unsigned int i;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		struct timespec far = { secs[i], 999999999 };

		nr_waits = 0;
		RUN(steps);
		callers = &far;
		sh->m.word = 1;
		EXPECT_EQ(0, kipc_cond_wait(&self->r, &sh->c, &sh->m, 0,
					    &far))
			TH_LOG("tv_sec %lld", (long long)far.tv_sec);
		ASSERT_EQ(2, nr_waits);
		EXPECT_EQ(1, asked[1].has_deadline);
		EXPECT_EQ(i < 2 ? max : far.tv_sec + GRACE_SEC,
			  asked[1].deadline.tv_sec)
			TH_LOG("tv_sec %lld", (long long)far.tv_sec);
		EXPECT_EQ(999999999, asked[1].deadline.tv_nsec);
		EXPECT_EQ(2, sh->m.word);	/* held */
	}
}

/* The wait timed out, the mutex is free: taken again, no second wait. */
TEST_F(dl, cond_timeout_with_the_mutex_free_is_held)
{
	static const struct step steps[] = { { NOTHING, -ETIMEDOUT, 0 } };

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(-ETIMEDOUT, kipc_cond_wait(&self->r, &sh->c, &sh->m, 0,
					     &self->deadline));
	EXPECT_EQ(1, nr_waits);
	EXPECT_EQ(2, sh->m.word);	/* held, in state 2 */
}

/* The relock sees the holder's death: -ENOTRECOVERABLE, not -ENOLCK. */
TEST_F(dl, cond_relock_death_is_enotrecoverable)
{
	static const struct step steps[] = {
		{ TAKES_SIGNALS, 0, 0 }, { NOTHING, -EOWNERDEAD, 0 },
	};

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(-ENOTRECOVERABLE, kipc_cond_wait(&self->r, &sh->c, &sh->m,
						   0, &self->deadline));
	EXPECT_EQ(2, nr_waits);
}

/* Woken; the signaller lets go before the deadline: 0, the mutex held. */
TEST_F(dl, cond_relock_in_time_is_a_wake_up)
{
	static const struct step steps[] = {
		{ TAKES_SIGNALS, 0, -500 }, { FREES, 0, -200 },
	};

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(0, kipc_cond_wait(&self->r, &sh->c, &sh->m, 0,
				    &self->deadline));
	EXPECT_EQ(2, nr_waits);
	EXPECT_TRUE(waits_had_the_grace(self, self->moff, 1, 0));
	EXPECT_EQ(2, sh->m.word);
}

/* No deadline: neither wait has one (the relock is unbounded, as before). */
TEST_F(dl, cond_without_a_deadline_relocks_without_one)
{
	static const struct step steps[] = {
		{ TAKES_SIGNALS, 0, 0 }, { FREES, 0, 5000 },
	};

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(0, kipc_cond_wait(&self->r, &sh->c, &sh->m, 0, NULL));
	ASSERT_EQ(2, nr_waits);
	EXPECT_EQ(0, asked[0].has_deadline);
	EXPECT_EQ(0, asked[1].has_deadline);
	EXPECT_EQ(0, asked[1].flags);
}

/*
 * The word keeps changing (a peer storing 3 in it, or other lockers):
 * every wait is -EAGAIN, which the kernel answers before it looks at the
 * deadline. The timed lock ends at its deadline, not holding the mutex
 * (it looped for ever: here it ran out of script, -EDEADLK).
 */
TEST_F(dl, timedlock_ends_at_its_deadline_while_the_word_keeps_changing)
{
	static const struct step steps[] = {
		{ TAKES, -EAGAIN, -20 }, { TAKES, -EAGAIN, -10 },
		{ TAKES, -EAGAIN, 0 }, { TAKES, -EAGAIN, 10 },
		{ TAKES, -EAGAIN, 20 }, { TAKES, -EAGAIN, 30 },
		{ TAKES, -EAGAIN, 40 }, { TAKES, -EAGAIN, 50 },
	};

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(-ETIMEDOUT, kipc_mutex_timedlock(&self->r, &sh->m, 0,
						   &self->deadline));
	EXPECT_EQ(3, nr_waits);
	EXPECT_TRUE(waits_kept_the_deadline(self, self->moff, 0, 0));
	EXPECT_NE(0, sh->m.word);	/* the other's */
}

/* The same for the relock of a condition wait: it ends at the grace. */
TEST_F(dl, cond_relock_ends_at_the_grace_while_the_word_keeps_changing)
{
	static const struct step steps[] = {
		{ TAKES_SIGNALS, 0, -500 }, { TAKES, -EAGAIN, 500 },
		{ TAKES, -EAGAIN, 1000 }, { TAKES, -EAGAIN, 1500 },
		{ TAKES, -EAGAIN, 2000 }, { TAKES, -EAGAIN, 2500 },
		{ TAKES, -EAGAIN, 3000 }, { TAKES, -EAGAIN, 3500 },
	};

	RUN(steps);
	sh->m.word = 1;
	EXPECT_EQ(-ENOLCK, kipc_cond_wait(&self->r, &sh->c, &sh->m, 0,
					  &self->deadline));
	EXPECT_EQ(3, nr_waits);
	EXPECT_TRUE(waits_had_the_grace(self, self->moff, 1, 0));
}

/*
 * A condition wait that finds the word changed after its deadline (a
 * peer bumping it between the read and the kernel's compare, each time)
 * is -ETIMEDOUT with the mutex held, not a spurious 0: a caller's
 * "while (!ret && !ready)" loop ends. Before the deadline it is still 0.
 */
TEST_F(dl, cond_changed_word_past_the_deadline_is_etimedout)
{
	static const struct step late[] = { { NOTHING, -EAGAIN, 0 } };
	static const struct step early[] = { { NOTHING, -EINTR, -100 } };

	RUN(late);
	sh->m.word = 1;
	EXPECT_EQ(-ETIMEDOUT, kipc_cond_wait(&self->r, &sh->c, &sh->m, 0,
					     &self->deadline));
	EXPECT_EQ(1, nr_waits);
	EXPECT_NE(0, sh->m.word);	/* held again */

	RUN(early);
	nr_waits = 0;
	now_ms = -1000;
	sh->m.word = 1;
	EXPECT_EQ(0, kipc_cond_wait(&self->r, &sh->c, &sh->m, 0,
				    &self->deadline));
	EXPECT_EQ(1, nr_waits);
	EXPECT_NE(0, sh->m.word);
}

/*
 * A broadcast whose requeue finds the condition changed (a signal in
 * between, every time) wakes every waiter of the condition instead: it
 * retried for as long as signals came.
 */
TEST_F(dl, broadcast_wakes_all_when_the_condition_keeps_changing)
{
	requeue_changed = 1;
	EXPECT_EQ(0, kipc_cond_broadcast(&self->r, &sh->c, &sh->m));
	EXPECT_EQ(1, nr_requeues);
	EXPECT_EQ(1, nr_wakes);
	EXPECT_EQ(self->coff, woken_offset);
	EXPECT_EQ(INT32_MAX, woken_nr);
}

TEST_HARNESS_MAIN
