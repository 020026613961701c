// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, finding 9: waits and peer death.
 *
 * On 38ea9ff WAIT and WAITV checked the region's dead state (a handle has
 * closed and every handle left has a waiter) before they compared the
 * word: a WAIT whose word no longer held the expected value failed with
 * EOWNERDEAD instead of EAGAIN, so a lock holder that unlocked and exited
 * just before a waiter's WAIT made kipc_mutex_lock() fail although the
 * mutex was free. And once any handle had closed the state stayed for the
 * region's life: a later waiter that left every open handle waiting got
 * EOWNERDEAD at once, even when a handle attached after the death, whose
 * process had another thread to wake it, was open.
 *
 * The contract: the word is compared first (EAGAIN), and a handle
 * attached after a holder closed clears the dead state, so waiting
 * through one handle while another, attached later, is open blocks
 * normally and is woken by the later handle's WAKE.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "waitq_test.h"

#define W0	0
#define W1	64

FIXTURE(dead) {
	int ctx, region;	/* region: the creator's handle */
	size_t bytes;
	uint32_t *map;
	pid_t child;
};

FIXTURE_SETUP(dead)
{
	self->child = 0;
	self->bytes = kt_page();
	self->map = kt_wq_setup(_metadata, &self->ctx, &self->region,
				self->bytes);
}

FIXTURE_TEARDOWN(dead)
{
	kt_reap(self->child);
	kt_wq_teardown(self->ctx, self->region, self->map, self->bytes);
}

/*
 * The lock holder (another process with its own handle) unlocks (word 1
 * -> 0) and exits; then the waiter, last holder of the region, waits for
 * the word to be 1 (locked). The word differs: EAGAIN, through WAIT and
 * WAITV, not EOWNERDEAD.
 */
TEST_F(dead, changed_word_is_eagain_after_the_holder_left)
{
	struct kipc_waitv_entry e;
	int h;

	self->map[W0 / 4] = 1;		/* locked by the holder */
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int mine = kt_region_attach(self->region, 0);

		close(self->region);
		if (mine < 0)
			_exit(10);
		__atomic_store_n(&self->map[W0 / 4], 0, __ATOMIC_SEQ_CST);
		kt_wq_wake(mine, W0, 1, 0);
		_exit(0);		/* its handle closes */
	}
	ASSERT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
	ASSERT_EQ(0, self->map[W0 / 4]);

	EXPECT_EQ(-EAGAIN, kt_wq_wait(self->region, W0, 1, 0, 0, 0))
		TH_LOG("a word that no longer holds the value must give EAGAIN, whoever left");
	e = (struct kipc_waitv_entry){ .region_fd = self->region, .val = 1,
				       .offset = W0 };
	EXPECT_EQ(-EAGAIN, kt_wq_waitv(self->ctx, &e, 1, 0));

	/* The same through a second handle of this process. */
	h = kt_region_attach(self->region, 0);
	ASSERT_LE(0, h);
	close(self->region);
	self->region = h;
	EXPECT_EQ(-EAGAIN, kt_wq_wait(self->region, W0, 1, 0, 0, 0));
	/* A matching word, every holder waiting: the death is reported. */
	EXPECT_EQ(-EOWNERDEAD, kt_wq_wait_ms(self->region, W0, 0, 2000));
}

struct waiter_arg {
	int handle;
	uint64_t offset;
	unsigned int ms;	/* the wait's deadline; 0: 10 s */
	int ret;
	volatile pid_t tid;
};

static void *waiter_thread(void *arg)
{
	struct waiter_arg *wa = arg;

	wa->tid = syscall(SYS_gettid);
	wa->ret = kt_wq_wait_ms(wa->handle, wa->offset, 0, wa->ms ?: 10000);
	return NULL;
}

/*
 * The creator's handle closes (a worker died); the survivor attaches a
 * new handle for the restarted worker (h_new), one of whose threads waits
 * on W1 for work. Now the survivor waits on W0 through its own handle:
 * every open handle has a waiter, but h_new was attached after the death
 * and its process can still wake: the wait must block, and a WAKE through
 * h_new must wake it (0), not fail at once with EOWNERDEAD.
 */
TEST_F(dead, handle_attached_after_a_death_clears_it)
{
	struct waiter_arg worker = { .offset = W1 };
	pthread_t worker_thread;
	int h_old, h_new, ret;

	h_old = kt_region_attach(self->region, 0);
	ASSERT_LE(0, h_old);
	close(self->region);		/* the dead worker's handle */
	self->region = h_old;
	/* Alone and waiting: dead, as before. */
	EXPECT_EQ(-EOWNERDEAD, kt_wq_wait_ms(h_old, W0, 0, 2000));

	h_new = kt_region_attach(h_old, 0);	/* the restarted worker */
	ASSERT_LE(0, h_new);
	worker.handle = h_new;
	ASSERT_EQ(0, pthread_create(&worker_thread, NULL, waiter_thread,
				    &worker));
	/* Let the worker thread queue itself on W1. */
	while (!worker.tid)
		kt_sleep_ms(1);
	ASSERT_EQ(1, kt_wait_sleeping(worker.tid, 5000));
	kt_sleep_ms(20);

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		/* The worker's other thread: wake the survivor once it sleeps. */
		int i;

		for (i = 0; i < 60; i++) {
			kt_sleep_ms(50);
			if (kt_wq_wake(h_new, W0, 1, 0) == 1)
				_exit(0);
		}
		_exit(1);
	}
	ret = kt_wq_wait_ms(h_old, W0, 0, 10000);
	EXPECT_EQ(0, ret) TH_LOG("waiting while a handle attached after the death is open: %s",
				 strerror(-ret));
	EXPECT_EQ(0, kt_wait(self->child, 10000))
		TH_LOG("the WAKE through the new handle woke nobody");
	self->child = 0;

	/* Release the worker thread. */
	EXPECT_EQ(1, kt_wq_wake(h_new, W1, 1, 0));
	pthread_join(worker_thread, NULL);
	EXPECT_EQ(0, worker.ret) TH_LOG("worker: %s", strerror(-worker.ret));
	close(h_new);
}

#define NR_MOVED	4

struct mover {
	int handle;
	volatile int stop;
	int moves;
};

/* Requeues W0's waiters to another word and back, word after word. */
static void *requeue_around(void *arg)
{
	struct mover *m = arg;
	uint64_t y = 8;

	while (!m->stop) {
		if (kt_wq_requeue(m->handle, W0, 0, 0, NR_MOVED, y) > 0)
			m->moves++;
		kt_wq_requeue(m->handle, y, 0, 0, NR_MOVED, W0);
		do
			y = y + 4 >= 4096 ? 8 : y + 4;
		while (y == W1);
	}
	return NULL;
}

/*
 * A holder closes, leaving every other holder waiting, while another
 * thread moves waiters between words (and so between buckets of the
 * module's table) with REQUEUE: every waiter must get EOWNERDEAD, also
 * one moved into a bucket the death's scan had passed.
 */
TEST_F(dead, requeue_racing_a_death)
{
	struct waiter_arg w1, w0[NR_MOVED];
	int round, i, h2, h3, missed = 0, moves = 0;
	pthread_t t1, t0[NR_MOVED], tm;
	struct mover m;

	for (round = 0; round < 30 && !missed; round++) {
		h2 = kt_region_attach(self->region, 0);
		h3 = kt_region_attach(self->region, 0);
		ASSERT_LE(0, h2);
		ASSERT_LE(0, h3);
		/* The creator's handle waits on W1, the second on W0. */
		w1 = (struct waiter_arg){ .handle = self->region, .offset = W1,
					  .ms = 3000 };
		ASSERT_EQ(0, pthread_create(&t1, NULL, waiter_thread, &w1));
		for (i = 0; i < NR_MOVED; i++) {
			w0[i] = (struct waiter_arg){ .handle = h2, .offset = W0,
						     .ms = 3000 };
			ASSERT_EQ(0, pthread_create(&t0[i], NULL,
						    waiter_thread, &w0[i]));
		}
		while (!w1.tid)
			kt_sleep_ms(1);
		ASSERT_EQ(1, kt_wait_sleeping(w1.tid, 5000));
		for (i = 0; i < NR_MOVED; i++) {
			while (!w0[i].tid)
				kt_sleep_ms(1);
			ASSERT_EQ(1, kt_wait_sleeping(w0[i].tid, 5000));
		}
		m = (struct mover){ .handle = self->region };
		ASSERT_EQ(0, pthread_create(&tm, NULL, requeue_around, &m));
		while (!m.moves)
			kt_sleep_ms(1);
		close(h3);		/* every holder left waits: dead */
		pthread_join(t1, NULL);
		for (i = 0; i < NR_MOVED; i++) {
			pthread_join(t0[i], NULL);
			missed += w0[i].ret != -EOWNERDEAD;
		}
		m.stop = 1;
		pthread_join(tm, NULL);
		EXPECT_EQ(-EOWNERDEAD, w1.ret);
		moves += m.moves;
		close(h2);
	}
	EXPECT_EQ(0, missed);
	TH_LOG("%d rounds, %d requeues that moved", round, moves);
}

/*
 * A task woken but not yet running again still counted as waiting in its
 * handle until it returned from its WAIT. Its waker's next WAIT, or a
 * holder's close, then saw every holder left waiting: EOWNERDEAD for a
 * region whose other holder was alive and about to answer. A woken task
 * is uncounted by its waker now. The woken side runs as SCHED_IDLE on
 * the waker's CPU, so that it runs only once the waker sleeps: the window
 * is open every time.
 */
#define ROUNDS	50

#define W2	128

struct answerer {
	int handle;
	int ctx;		/* not -1: wait with WAITV on W0 and W2 */
	uint32_t *map;
	uint32_t rounds;	/* wait for P to reach 1..rounds, answer on Q */
	int ret;
	volatile pid_t tid;
};

/*
 * Wait on W0 for it to leave @val: WAIT, or WAITV on W0 and W2 (which
 * nobody wakes) through the same handle. 0 when W0 was woken, or -errno.
 */
static int wait_w0(const struct answerer *a, uint32_t val)
{
	struct kipc_waitv_entry e[2] = {
		{ .region_fd = a->handle, .offset = W0, .val = val },
		{ .region_fd = a->handle, .offset = W2, .val = 0 },
	};
	int ret;

	if (a->ctx < 0)
		return kt_wq_wait_ms(a->handle, W0, val, 10000);
	ret = kt_wq_waitv(a->ctx, e, 2, kt_now_ns(CLOCK_MONOTONIC) +
					  10 * KT_NSEC);
	return ret > 0 ? -EIO : ret;	/* W2 woke it: nobody does that */
}

static void *wait_then_answer(void *arg)
{
	struct answerer *a = arg;
	struct sched_param sp = { 0 };
	uint32_t k;
	int ret;

	a->tid = syscall(SYS_gettid);
	if (sched_setscheduler(0, SCHED_IDLE, &sp)) {
		a->ret = -errno;
		return NULL;
	}
	for (k = 1; k <= a->rounds; k++) {
		while (__atomic_load_n(&a->map[W0 / 4], __ATOMIC_ACQUIRE) < k) {
			ret = wait_w0(a, k - 1);
			if (ret && ret != -EAGAIN) {
				a->ret = ret;
				return NULL;
			}
		}
		__atomic_store_n(&a->map[W1 / 4], k, __ATOMIC_RELEASE);
		kt_wq_wake(a->handle, W1, 1, 0);
	}
	return NULL;
}

/* Both sides on CPU 0, or -errno. */
static int on_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * Two holders (a third closed), ping-pong: each round wakes the other
 * side, asleep on W0, then waits for its answer on W1.
 */
TEST_F(dead, woken_waiter_is_not_waiting)
{
	struct answerer a = { .ctx = -1, .map = self->map, .rounds = ROUNDS };
	int h_c, k, ret, dead = 0, errors = 0;
	pthread_t t;

	ASSERT_EQ(0, on_cpu0());
	a.handle = kt_region_attach(self->region, 0);
	h_c = kt_region_attach(self->region, 0);
	ASSERT_LE(0, a.handle);
	ASSERT_LE(0, h_c);
	close(self->region);		/* a holder closed */
	self->region = h_c;
	ASSERT_EQ(0, pthread_create(&t, NULL, wait_then_answer, &a));
	while (!a.tid)
		kt_sleep_ms(1);
	for (k = 1; k <= ROUNDS && !dead && !errors; k++) {
		/* It runs only while we sleep: let it reach its WAIT. */
		if (!kt_wait_sleeping(a.tid, 5000)) {
			errors++;
			break;
		}
		__atomic_store_n(&self->map[W0 / 4], k, __ATOMIC_RELEASE);
		kt_wq_wake(h_c, W0, 1, 0);
		while (__atomic_load_n(&self->map[W1 / 4], __ATOMIC_ACQUIRE) <
		       (uint32_t)k) {
			ret = kt_wq_wait_ms(h_c, W1, k - 1, 10000);
			if (ret == -EOWNERDEAD)
				dead++;
			else if (ret && ret != -EAGAIN)
				errors++;
			if (dead || errors)
				break;
		}
	}
	if (dead || errors) {		/* let the other side run out */
		__atomic_store_n(&self->map[W0 / 4], ROUNDS + 1,
				 __ATOMIC_RELEASE);
		kt_wq_wake(h_c, W0, 1, 0);
	}
	pthread_join(t, NULL);
	EXPECT_EQ(0, dead) TH_LOG("EOWNERDEAD in round %d: the woken side counted as waiting",
				  k - 1);
	EXPECT_EQ(0, errors);
	EXPECT_EQ(0, a.ret) TH_LOG("the other side: %s", strerror(-a.ret));
	close(a.handle);
}

/*
 * Three holders: A waits on W0, C on W1; B wakes A and closes its handle
 * before A has run. A is alive and answers C: C must get its answer, not
 * EOWNERDEAD from B's close. With WAITV, A waits on W0 and on W2 through
 * its handle: woken on W0, it waits through neither.
 */
static void close_after_a_wake(struct __test_metadata *_metadata,
			       FIXTURE_DATA(dead) *self, int waitv)
{
	struct answerer a = { .ctx = waitv ? self->ctx : -1, .map = self->map,
			      .rounds = 1 };
	struct waiter_arg c = { .offset = W1 };
	int h_b;
	pthread_t ta, tc;

	ASSERT_EQ(0, on_cpu0());
	a.handle = kt_region_attach(self->region, 0);
	h_b = kt_region_attach(self->region, 0);
	ASSERT_LE(0, a.handle);
	ASSERT_LE(0, h_b);
	c.handle = self->region;	/* C waits through the creator's */
	ASSERT_EQ(0, pthread_create(&ta, NULL, wait_then_answer, &a));
	ASSERT_EQ(0, pthread_create(&tc, NULL, waiter_thread, &c));
	while (!a.tid || !c.tid)
		kt_sleep_ms(1);
	ASSERT_EQ(1, kt_wait_sleeping(a.tid, 5000));
	ASSERT_EQ(1, kt_wait_sleeping(c.tid, 5000));
	kt_sleep_ms(20);
	__atomic_store_n(&self->map[W0 / 4], 1, __ATOMIC_RELEASE);
	EXPECT_EQ(1, kt_wq_wake(h_b, W0, 1, 0));
	close(h_b);			/* before A runs: SCHED_IDLE, our CPU */
	pthread_join(ta, NULL);
	pthread_join(tc, NULL);
	EXPECT_EQ(0, a.ret) TH_LOG("A: %s", strerror(-a.ret));
	EXPECT_EQ(0, c.ret) TH_LOG("C: %s (EOWNERDEAD: B's close took woken A for a sleeper)",
				   strerror(-c.ret));
	close(a.handle);
}

TEST_F(dead, close_after_a_wake_is_no_death)
{
	close_after_a_wake(_metadata, self, 0);
}

TEST_F(dead, close_after_a_waitv_wake_is_no_death)
{
	close_after_a_wake(_metadata, self, 1);
}

KIPC_TEST_MAIN
