// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A process-shared mutex and condition variable on region words.
 *
 * The mutex is the three-state futex mutex of Drepper's "Futexes Are
 * Tricky" (mutex3): 0 unlocked, 1 locked, 2 locked and maybe waited on.
 * Lock takes 0->1 with an acquire compare-and-swap; a locker that fails
 * marks the word 2 (exchange) and sleeps while it holds 2. Unlock drops
 * the word with a release decrement; only when it was 2 does it store 0
 * and enter the kernel to wake one waiter. An uncontended lock and unlock
 * are two atomic instructions and no system call.
 *
 * The condition variable is a sequence word: a waiter reads it while it
 * holds the mutex, unlocks, and sleeps while the word still holds what it
 * read, so a signal between the unlock and the sleep (which bumps the word)
 * is never lost. Broadcast wakes one waiter and requeues the others onto
 * the mutex word, where each is woken by an unlock in turn instead of all
 * of them rushing at the mutex. A waiter always relocks in state 2: it
 * cannot know whether others were requeued behind it.
 *
 * A lock may have a deadline (kipc_mutex_timedlock()), and a condition
 * wait's relock has one too: the kernel does not see every holder's death
 * (not while a sibling thread of the waiter runs, nor through a handle
 * another process shares), so without one a lock can sleep for ever. The
 * relock's is the wait's plus RELOCK_GRACE_SEC, not the wait's itself: a
 * wait that timed out has reached its deadline, and a relock bound by it
 * could only try once, so that any holder at that instant, however brief,
 * would make the call fail. A relock that misses the grace too (the
 * mutex held a whole second past the deadline: a holder stuck, or dead
 * unseen) returns -ENOLCK, not held.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <time.h>

#include "kipc.h"
#include "sys.h"
#include "wait.h"

/* Tries of the lock before sleeping; a holder usually lets go soon. */
#define MUTEX_SPIN	100

/*
 * How long past the caller's deadline kipc_cond_wait() may wait to take
 * the mutex back: long beside any ordinary critical section, so that a
 * holder at the deadline makes the call late, not failed (as with
 * pthread_cond_timedwait(), whose relock has no bound), and short enough
 * to bound a holder that is stuck or died unseen.
 */
#define RELOCK_GRACE_SEC	1

/* time_t is a signed integer of 32 or 64 bits (32-bit builds, too). */
_Static_assert((time_t)-1 < 0, "time_t is signed");
#define MAX_TIME_T \
	((time_t)(((uintmax_t)1 << (sizeof(time_t) * CHAR_BIT - 1)) - 1))

static uint32_t mutex_cas(struct kipc_mutex *m, uint32_t old, uint32_t new)
{
	__atomic_compare_exchange_n(&m->word, &old, new, 0, __ATOMIC_ACQUIRE,
				    __ATOMIC_RELAXED);
	return old;
}

/*
 * Take the mutex, as 1 (@locked; a plain lock) or as 2 (a relock, which
 * cannot know whether others were requeued behind it): try a while, then
 * sleep on the word until it is taken from 0 to 2 by us or @deadline (as
 * kipc_wait()'s, with @flags) passes. Return: 0 with the mutex held, or
 * -ETIMEDOUT, -EOWNERDEAD (and others of kipc_wait()) without it.
 *
 * A wait that finds the word changed (EAGAIN) never reaches the kernel's
 * timeout: under contention, or with a peer that keeps changing the word
 * on purpose, the loop would run past @deadline, or for ever. So the
 * deadline is checked here too, after every wait that did not sleep to
 * its end.
 */
static int mutex_lock(struct kipc_region *r, struct kipc_mutex *m,
		      uint64_t off, uint32_t locked, unsigned int flags,
		      const struct timespec *deadline)
{
	uint32_t c;
	int ret, i;

	c = mutex_cas(m, 0, locked);
	for (i = 0; c != 0 && c != 2 && i < MUTEX_SPIN; i++) {
		kipc__cpu_relax();
		c = mutex_cas(m, 0, locked);
	}
	if (c == 0)
		return 0;
	if (c != 2)
		c = __atomic_exchange_n(&m->word, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		/*
		 * A waker's wake-up is never lost to a timeout: a woken
		 * wait returns 0 (its index), even past its deadline.
		 */
		ret = kipc_wait(r, off, 2, KIPC_BITSET_ANY, flags, deadline);
		if (ret < 0 && ret != -EAGAIN && ret != -EINTR)
			return ret;
		c = __atomic_exchange_n(&m->word, 2, __ATOMIC_ACQUIRE);
		if (c != 0 && ret < 0 && kipc__deadline_passed(flags, deadline))
			return -ETIMEDOUT;
	}
	return 0;
}

/*
 * The relock's deadline: @deadline (valid, so tv_sec >= 0) plus the grace,
 * saturated at the largest time_t rather than wrapped to a negative one.
 */
static struct timespec relock_deadline(const struct timespec *deadline)
{
	struct timespec dl = *deadline;

	if (dl.tv_sec > MAX_TIME_T - RELOCK_GRACE_SEC)
		dl.tv_sec = MAX_TIME_T;
	else
		dl.tv_sec += RELOCK_GRACE_SEC;
	return dl;
}

KIPC_API int kipc_mutex_timedlock(struct kipc_region *r, struct kipc_mutex *m,
				  unsigned int flags,
				  const struct timespec *deadline)
{
	__u32 wflags, clk;
	uint64_t off;
	__u64 ns;
	int ret;

	ret = kipc__word_offset(r, m, &off);
	if (ret < 0)
		return ret;
	/* A bad deadline is -EINVAL even when the mutex is free. */
	ret = kipc__deadline(flags, deadline, &wflags, &clk, &ns);
	if (ret < 0)
		return ret;
	return mutex_lock(r, m, off, 1, flags, deadline);
}

KIPC_API int kipc_mutex_lock(struct kipc_region *r, struct kipc_mutex *m)
{
	return kipc_mutex_timedlock(r, m, 0, NULL);
}

KIPC_API int kipc_mutex_trylock(struct kipc_region *r, struct kipc_mutex *m)
{
	uint64_t off;
	int ret;

	ret = kipc__word_offset(r, m, &off);
	if (ret < 0)
		return ret;
	return mutex_cas(m, 0, 1) == 0 ? 0 : -EBUSY;
}

KIPC_API int kipc_mutex_unlock(struct kipc_region *r, struct kipc_mutex *m)
{
	uint64_t off;
	int ret;

	ret = kipc__word_offset(r, m, &off);
	if (ret < 0)
		return ret;
	if (__atomic_load_n(&m->word, __ATOMIC_RELAXED) == 0)
		return -EPERM;
	/* Release: the critical section happens before the next lock. */
	if (__atomic_fetch_sub(&m->word, 1, __ATOMIC_RELEASE) == 1)
		return 0;
	__atomic_store_n(&m->word, 0, __ATOMIC_RELEASE);
	ret = kipc_wake(r, off, 1, KIPC_BITSET_ANY);
	return ret < 0 ? ret : 0;
}

KIPC_API int kipc_cond_wait(struct kipc_region *r, struct kipc_cond *c,
			    struct kipc_mutex *m, unsigned int flags,
			    const struct timespec *deadline)
{
	struct timespec relock_dl;
	uint64_t coff, moff;
	__u32 seq, wflags, clk;
	bool late;
	__u64 ns;
	int ret, relock;

	ret = kipc__word_offset(r, c, &coff);
	if (ret < 0)
		return ret;
	ret = kipc__word_offset(r, m, &moff);
	if (ret < 0)
		return ret;
	ret = kipc__deadline(flags, deadline, &wflags, &clk, &ns);
	if (ret < 0)
		return ret;
	/* Read under the mutex: a signal after the unlock changes it. */
	seq = __atomic_load_n(&c->seq, __ATOMIC_RELAXED);
	ret = kipc_mutex_unlock(r, m);
	if (ret == -EPERM)
		return ret;	/* not locked: nothing to hold again */
	/*
	 * Any other failure of the unlock is its wake's: the word is free
	 * by then, so take it again below and return that error.
	 */
	if (!ret)
		ret = kipc_wait(r, coff, seq, KIPC_BITSET_ANY, flags,
				deadline);
	/*
	 * A changed word or a signal past the deadline is a timeout, not a
	 * spurious wake-up: a peer that keeps bumping the condition between
	 * our read and the kernel's would otherwise make every call return
	 * 0, and "while (!ret && !ready)" would never end.
	 */
	late = (ret == -EAGAIN || ret == -EINTR) &&
	       kipc__deadline_passed(flags, deadline);
	/*
	 * The relock waits until the deadline plus RELOCK_GRACE_SEC (on the
	 * same clock), not the deadline: after a wait that timed out, the
	 * deadline has passed, and a relock bound by it would only try, so a
	 * holder at that moment, even for a microsecond, would fail the call.
	 * With the grace the call returns at most about that long after the
	 * deadline. Without a deadline the relock has none either.
	 *
	 * A relock that fails has codes of its own, since -ETIMEDOUT and
	 * -EOWNERDEAD from the wait above come with the mutex held: -ENOLCK
	 * when the grace passed too (the mutex held all that time past the
	 * deadline: a holder stuck, or dead without the kernel seeing it),
	 * -ENOTRECOVERABLE when it failed otherwise (its holder died holding
	 * it).
	 */
	if (deadline) {
		relock_dl = relock_deadline(deadline);
		deadline = &relock_dl;
	}
	relock = mutex_lock(r, m, moff, 2, flags, deadline);
	if (relock == -ETIMEDOUT)
		return -ENOLCK;
	if (relock < 0)
		return -ENOTRECOVERABLE;
	if (late)
		return -ETIMEDOUT;
	/*
	 * A mismatch or a signal is a spurious wake-up, as pthreads allow;
	 * any other error (a bad handle, no wait support) is the caller's
	 * to see, or its predicate loop would spin on it.
	 */
	return ret == -EAGAIN || ret == -EINTR ? 0 : ret;
}

KIPC_API int kipc_cond_signal(struct kipc_region *r, struct kipc_cond *c)
{
	uint64_t off;
	int ret;

	ret = kipc__word_offset(r, c, &off);
	if (ret < 0)
		return ret;
	__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
	ret = kipc_wake(r, off, 1, KIPC_BITSET_ANY);
	return ret < 0 ? ret : 0;
}

KIPC_API int kipc_cond_broadcast(struct kipc_region *r, struct kipc_cond *c,
				 struct kipc_mutex *m)
{
	uint64_t coff, moff;
	uint32_t seq;
	int ret;

	ret = kipc__word_offset(r, c, &coff);
	if (ret < 0)
		return ret;
	if (!m) {
		__atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
		ret = kipc_wake(r, coff, INT32_MAX, KIPC_BITSET_ANY);
		return ret < 0 ? ret : 0;
	}
	ret = kipc__word_offset(r, m, &moff);
	if (ret < 0)
		return ret;
	seq = __atomic_add_fetch(&c->seq, 1, __ATOMIC_SEQ_CST);
	/*
	 * Requeued waiters sleep on the mutex word: make sure the holder's
	 * unlock enters the kernel to wake them.
	 */
	mutex_cas(m, 1, 2);
	ret = kipc_requeue(r, coff, seq, 1, INT32_MAX, moff);
	/*
	 * Another signal bumped the word meanwhile. Retrying at its new value
	 * could go on for ever against signals (or a peer bumping it on
	 * purpose); waking every waiter is as right, @seq bumped before:
	 * only the requeue's saving is lost, this once.
	 */
	if (ret == -EAGAIN)
		ret = kipc_wake(r, coff, INT32_MAX, KIPC_BITSET_ANY);
	return ret < 0 ? ret : 0;
}
