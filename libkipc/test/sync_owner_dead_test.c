// SPDX-License-Identifier: GPL-2.0
/*
 * kipc_cond_wait() when the region's other holders die, against the
 * module (a guest test: tools/vm/kipc-examples runs it).
 *
 * Two different deaths reach a condition wait, and the caller must be able
 * to tell them apart, because only in one of them does it hold the mutex:
 * - the wait on the condition reports EOWNERDEAD (every other handle
 *   closed while it slept, and the waiter's process has no other thread)
 *   and the mutex, free, is taken again: -EOWNERDEAD, the mutex held;
 * - the wait was woken, but the mutex's holder died holding it, so
 *   taking it again fails: -ENOTRECOVERABLE, the mutex not held.
 * Each side has a handle of its own (kipc_region_attach()): the module
 * counts holders by handle.
 *
 * Deadlines, where the module cannot see a death or there is none:
 * - kipc_mutex_timedlock() on a mutex a live process holds: -ETIMEDOUT
 *   once the deadline passed, not held; taken once the holder lets go;
 * - a holder that dies holding the mutex while the waiter's process has
 *   another thread that runs: no death is declared (the thread could
 *   still unlock), and kipc_mutex_timedlock() returns -ETIMEDOUT by its
 *   deadline instead of sleeping for ever; alone, it sees the death;
 * - kipc_cond_wait() with a deadline whose relock finds the mutex held by
 *   a live process (after it signalled, or after the wait timed out): the
 *   relock waits until the deadline plus a second's grace, so a holder
 *   that lets go 200 ms after the deadline gives the mutex back (0 after
 *   the signal, -ETIMEDOUT after the timeout, held; a relock bound by the
 *   deadline itself gave up at once, -ENOLCK), and one that holds it past
 *   the grace makes it -ENOLCK about a second after the deadline, the
 *   mutex not held (the relock had no deadline: it waited for the holder);
 * - kipc_cond_wait() beside a running sibling thread after another
 *   handle closed: -ETIMEDOUT with the mutex held, not -EOWNERDEAD.
 * And the documented limit of a handle shared over fork() by a process
 * that does not wait through it (kipc_mutex_lock(3)): it is not seen, so
 * after another handle closed a waiter through it gets -EOWNERDEAD from
 * kipc_mutex_timedlock(), and -ENOTRECOVERABLE from kipc_cond_wait()'s
 * relock, while that process lives and holds the mutex. Those two tests
 * pin what the pages say; a module that sees such sharers fails them, and
 * the pages change with them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"

struct shared {
	struct kipc_mutex m;
	struct kipc_cond c;
	uint32_t attached;	/* the child has its own handle */
	uint32_t holding;	/* the child holds the mutex */
	uint32_t release;	/* the test tells the child to let it go */
	uint64_t release_at;	/* or when to (CLOCK_MONOTONIC ns; 0: never) */
};

FIXTURE(dead) {
	struct kipc *k;
	struct kipc_region *r;
	struct shared *sh;
	pid_t child;
	pthread_t sibling;
	int sibling_runs;
	uint32_t sibling_stop;
};

FIXTURE_SETUP(dead)
{
	self->child = 0;
	self->sibling_runs = 0;
	self->sibling_stop = 0;
	ASSERT_EQ(0, kipc_open(&self->k, 0));
	ASSERT_EQ(0, kipc_region_create(self->k, 4096, 0, 0, &self->r));
	self->sh = kipc_region_base(self->r);
	ASSERT_NE(NULL, self->sh);
}

FIXTURE_TEARDOWN(dead)
{
	int st;

	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, &st, 0);
	}
	if (self->sibling_runs) {
		__atomic_store_n(&self->sibling_stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(self->sibling, NULL);
	}
	kipc_region_close(self->r);
	kipc_close(self->k);
}

/* The child's handle of the region and its view of the shared words. */
static struct shared *child_attach(struct kipc_region *r,
				   struct kipc_region **mine)
{
	struct shared *sh;

	if (kipc_region_attach(r, 0, mine))
		_exit(10);
	sh = kipc_region_base(*mine);
	__atomic_store_n(&sh->attached, 1, __ATOMIC_SEQ_CST);
	return sh;
}

static struct timespec in_seconds(int s)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += s;
	return ts;
}

static int reap(pid_t *child)
{
	int st;

	if (waitpid(*child, &st, 0) != *child)
		return -1;
	*child = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Lock the mutex and wait on the condition while a child, with a handle
 * of its own, exits: having first taken the mutex the wait let go and
 * signalled (@holding), or at once. Returns the wait's result.
 */
static int wait_while_child_exits(FIXTURE_DATA(dead) *self, int holding)
{
	struct timespec dl = in_seconds(10);

	if (kipc_mutex_lock(self->r, &self->sh->m))
		return -EIO;
	self->child = fork();
	if (self->child < 0)
		return -errno;
	if (self->child == 0) {
		struct kipc_region *mine;
		struct shared *sh = child_attach(self->r, &mine);

		if (holding && kipc_mutex_lock(mine, &sh->m))
			_exit(11);
		if (holding)
			kipc_cond_signal(mine, &sh->c);
		_exit(0);
	}
	while (!__atomic_load_n(&self->sh->attached, __ATOMIC_SEQ_CST))
		usleep(1000);
	return kipc_cond_wait(self->r, &self->sh->c, &self->sh->m, 0, &dl);
}

/*
 * The child takes the mutex the waiter let go, signals, and dies holding
 * it. The waiter is woken (or finds the condition changed) and cannot take
 * the mutex back: nobody is left to release it.
 */
TEST_F(dead, holder_died_holding_the_mutex_is_not_recoverable)
{
	int ret = wait_while_child_exits(self, 1);

	EXPECT_EQ(-ENOTRECOVERABLE, ret)
		TH_LOG("the relock failed: %d (EOWNERDEAD would say the mutex is held)",
		       ret);
	EXPECT_EQ(0, reap(&self->child));
	/* Still the dead holder's (2: locked, waited on), not ours to free. */
	EXPECT_NE(0, self->sh->m.word);
}

/*
 * The child attaches and exits; the waiter sleeps on the condition with
 * the mutex free. The wait reports the death, and the mutex is taken back.
 */
TEST_F(dead, death_during_the_wait_keeps_the_mutex)
{
	EXPECT_EQ(-EOWNERDEAD, wait_while_child_exits(self, 0));
	EXPECT_EQ(0, reap(&self->child));
	/* Held: ours to release. */
	EXPECT_EQ(0, kipc_mutex_unlock(self->r, &self->sh->m));
	EXPECT_EQ(0, self->sh->m.word);
}

/* Nanoseconds from @a to @b on CLOCK_MONOTONIC. */
static int64_t ns_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000LL +
	       (b->tv_nsec - a->tv_nsec);
}

static int64_t ns_past(const struct timespec *dl)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ns_between(dl, &now);
}

static struct timespec in_ms(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Returned within this of a deadline, even on a debug kernel under TCG. */
#define SLACK_NS	5000000000LL

/* How long past its deadline kipc_cond_wait(3)'s relock waits. */
#define GRACE_NS	1000000000LL

/* A deadline that a live holder or a running sibling outlasts. */
#define DEADLINE_MS	100

/*
 * A condition wait's first deadline in the relock cases: room for the
 * child, woken by the wait's unlock, to take the mutex before it passes.
 * A round whose child was later than that is run again with twice the
 * room, RELOCK_TRIES rounds at most (late_child()).
 */
#define RELOCK_DEADLINE_MS	500
#define RELOCK_TRIES		3

static uint64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000ULL + ts->tv_nsec;
}

static uint64_t now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ts_ns(&now);
}

/* Until *@flag is set, at most @secs seconds: 1 when it was. */
static int wait_for(const uint32_t *flag, int secs)
{
	int i;

	for (i = 0; i < secs * 1000; i++) {
		if (__atomic_load_n(flag, __ATOMIC_SEQ_CST))
			return 1;
		usleep(1000);
	}
	return 0;
}

/*
 * A thread of the test's process that runs (sleeps in short steps, never
 * on a region word) until the teardown stops it: while it lives, no
 * handle the process waits through is asleep.
 */
static void *sibling(void *arg)
{
	const uint32_t *stop = arg;

	while (!__atomic_load_n(stop, __ATOMIC_SEQ_CST))
		usleep(1000);
	return NULL;
}

static int start_sibling(FIXTURE_DATA(dead) *self)
{
	if (pthread_create(&self->sibling, NULL, sibling, &self->sibling_stop))
		return -1;
	self->sibling_runs = 1;
	return 0;
}

/*
 * The child's end of the holder tests: take the mutex through @r (the
 * child's own handle, or the inherited one, shared), signal the condition
 * if @signal, say so, hold it until the test says to let go or its
 * release_at time comes (at most 20 s), and let go. Exit 0 when the unlock
 * found the mutex locked.
 */
static void __attribute__((noreturn)) hold_until_released(
	struct kipc_region *r, struct shared *sh, int signal)
{
	uint64_t at;
	int i;

	if (kipc_mutex_lock(r, &sh->m))
		_exit(11);
	if (signal && kipc_cond_signal(r, &sh->c))
		_exit(12);
	__atomic_store_n(&sh->holding, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 20000; i++) {
		if (__atomic_load_n(&sh->release, __ATOMIC_SEQ_CST))
			break;
		at = __atomic_load_n(&sh->release_at, __ATOMIC_SEQ_CST);
		if (at && now_ns() >= at)
			break;
		usleep(1000);
	}
	_exit(kipc_mutex_unlock(r, &sh->m) ? 13 : 0);
}

/* A child with a handle of its own that takes the mutex and holds it. */
static pid_t fork_holder(FIXTURE_DATA(dead) *self, int signal)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct kipc_region *mine;
		struct shared *sh = child_attach(self->r, &mine);

		hold_until_released(mine, sh, signal);
	}
	return pid;
}

/*
 * After a relock case's condition wait returned @ret: 0 when the child
 * took the mutex before the wait's relock did, as the case needs; 1 when
 * it had not (a guest too slow for the deadline: the relock found the
 * mutex free, and the round tests nothing), its end cleaned up: the mutex
 * given back, the child told to let go and reaped.
 */
static int late_child(struct __test_metadata *_metadata,
		      FIXTURE_DATA(dead) *self, int ret)
{
	if (__atomic_load_n(&self->sh->holding, __ATOMIC_SEQ_CST))
		return 0;
	TH_LOG("the child had not taken the mutex when the wait returned %d: run again",
	       ret);
	if (ret == 0 || ret == -ETIMEDOUT)
		EXPECT_EQ(0, kipc_mutex_unlock(self->r, &self->sh->m));
	__atomic_store_n(&self->sh->release, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(0, reap(&self->child));
	return 1;
}

/*
 * A relock case's round: the mutex locked, a holder child forked (that
 * signals the condition if @signal, and lets go @release_after ns past
 * the deadline, or when told: 0), then the condition waited on with a
 * deadline; run again with twice the deadline while the child was late
 * (late_child()), RELOCK_TRIES rounds at most. The wait's result, and in
 * @past how long after its deadline it returned.
 */
static int relock_wait(struct __test_metadata *_metadata,
		       FIXTURE_DATA(dead) *self, int signal,
		       int64_t release_after, int64_t *past)
{
	struct timespec dl;
	int try, ret;

	for (try = 0; ; try++) {
		self->sh->attached = 0;
		self->sh->holding = 0;
		self->sh->release = 0;
		ASSERT_EQ(0, kipc_mutex_lock(self->r, &self->sh->m));
		self->child = fork_holder(self, signal);
		ASSERT_LT(0, self->child);
		ASSERT_TRUE(wait_for(&self->sh->attached, 10));
		dl = in_ms(RELOCK_DEADLINE_MS << try);
		__atomic_store_n(&self->sh->release_at, release_after ?
				 ts_ns(&dl) + release_after : 0,
				 __ATOMIC_SEQ_CST);
		ret = kipc_cond_wait(self->r, &self->sh->c, &self->sh->m, 0,
				     &dl);
		*past = ns_past(&dl);
		if (try + 1 == RELOCK_TRIES || !late_child(_metadata, self, ret))
			return ret;
	}
}

/*
 * A live process holds the mutex: kipc_mutex_timedlock() gives up at its
 * deadline, on either clock and with one already past, without the mutex;
 * once the holder lets go it is taken.
 */
TEST_F(dead, timedlock_on_a_live_holder_times_out)
{
	struct timespec dl, rt;
	int64_t past;

	self->child = fork_holder(self, 0);
	ASSERT_LT(0, self->child);
	ASSERT_TRUE(wait_for(&self->sh->holding, 10));

	dl = in_ms(DEADLINE_MS);
	EXPECT_EQ(-ETIMEDOUT, kipc_mutex_timedlock(self->r, &self->sh->m, 0,
						   &dl));
	past = ns_past(&dl);
	EXPECT_LE(0, past) TH_LOG("returned %lld ns before its deadline",
				  (long long)-past);
	EXPECT_GT(SLACK_NS, past) TH_LOG("returned %lld ns after its deadline",
					 (long long)past);
	/* Already past: at once. */
	dl.tv_sec = 0;
	dl.tv_nsec = 0;
	EXPECT_EQ(-ETIMEDOUT, kipc_mutex_timedlock(self->r, &self->sh->m, 0,
						   &dl));
	clock_gettime(CLOCK_REALTIME, &rt);
	rt.tv_nsec += DEADLINE_MS * 1000000L;
	if (rt.tv_nsec >= 1000000000L) {
		rt.tv_sec++;
		rt.tv_nsec -= 1000000000L;
	}
	EXPECT_EQ(-ETIMEDOUT, kipc_mutex_timedlock(self->r, &self->sh->m,
						   KIPC_DEADLINE_REALTIME,
						   &rt));
	/* Not ours: the holder's unlock (exit 0) finds it locked. */
	EXPECT_NE(0, self->sh->m.word);

	__atomic_store_n(&self->sh->release, 1, __ATOMIC_SEQ_CST);
	dl = in_ms(10000);
	EXPECT_EQ(0, kipc_mutex_timedlock(self->r, &self->sh->m, 0, &dl));
	EXPECT_EQ(0, reap(&self->child));
	EXPECT_EQ(0, kipc_mutex_unlock(self->r, &self->sh->m));
	EXPECT_EQ(0, self->sh->m.word);
}

/* A child with a handle of its own takes the mutex and dies holding it. */
static int holder_dies_holding(FIXTURE_DATA(dead) *self)
{
	self->child = fork();
	if (self->child < 0)
		return -errno;
	if (self->child == 0) {
		struct kipc_region *mine;
		struct shared *sh = child_attach(self->r, &mine);

		_exit(kipc_mutex_lock(mine, &sh->m) ? 11 : 0);
	}
	return reap(&self->child);	/* its handle is closed */
}

/*
 * The holder died holding the mutex, but a sibling thread of the waiter
 * runs: the module declares no death (the sibling could unlock), so only
 * the deadline ends the lock, without the mutex. kipc_mutex_lock() would
 * sleep here for ever.
 */
TEST_F(dead, timedlock_beside_a_running_thread_times_out)
{
	struct timespec dl;
	int64_t past;

	ASSERT_EQ(0, holder_dies_holding(self));
	ASSERT_EQ(0, start_sibling(self));
	dl = in_ms(DEADLINE_MS);
	EXPECT_EQ(-ETIMEDOUT, kipc_mutex_timedlock(self->r, &self->sh->m, 0,
						   &dl))
		TH_LOG("EOWNERDEAD would mean a death declared beside a running thread");
	past = ns_past(&dl);
	EXPECT_LE(0, past);
	EXPECT_GT(SLACK_NS, past) TH_LOG("returned %lld ns after its deadline",
					 (long long)past);
	/* Still the dead holder's. */
	EXPECT_NE(0, self->sh->m.word);
}

/*
 * The same death with no other thread: the module sees it, and the timed
 * lock reports it long before its deadline, without the mutex.
 */
TEST_F(dead, timedlock_alone_sees_the_holder_die)
{
	struct timespec dl;

	ASSERT_EQ(0, holder_dies_holding(self));
	dl = in_ms(10000);
	EXPECT_EQ(-EOWNERDEAD, kipc_mutex_timedlock(self->r, &self->sh->m, 0,
						    &dl));
	EXPECT_GT(-SLACK_NS, ns_past(&dl)) TH_LOG("seen only at the deadline");
	EXPECT_NE(0, self->sh->m.word);
}

/*
 * Lock, then wait on the condition with a deadline (RELOCK_DEADLINE_MS)
 * while a child with a handle of its own takes the mutex the wait let go
 * and holds it past the deadline and the second of grace after it: having
 * signalled (the wait is woken), or not (the wait times out). The relock
 * gives up at the deadline plus the grace: -ENOLCK, the mutex the child's;
 * then the child lets go and the mutex is taken.
 */
TEST_F(dead, cond_relock_held_past_the_grace_is_enolck)
{
	struct timespec dl;
	int64_t past;
	int signal, ret;

	for (signal = 1; signal >= 0; signal--) {
		ret = relock_wait(_metadata, self, signal, 0, &past);
		EXPECT_EQ(-ENOLCK, ret)
			TH_LOG("%s: 0 or -ETIMEDOUT would mean the relock waited for the holder",
			       signal ? "signalled" : "timed out");
		EXPECT_LE(GRACE_NS, past)
			TH_LOG("%s: returned %lld ns after its deadline, within the grace",
			       signal ? "signalled" : "timed out",
			       (long long)past);
		EXPECT_GT(GRACE_NS + SLACK_NS, past)
			TH_LOG("returned %lld ns after its deadline",
			       (long long)past);
		EXPECT_EQ(1, __atomic_load_n(&self->sh->holding,
					     __ATOMIC_SEQ_CST));
		EXPECT_NE(0, self->sh->m.word);

		__atomic_store_n(&self->sh->release, 1, __ATOMIC_SEQ_CST);
		dl = in_ms(10000);
		EXPECT_EQ(0, kipc_mutex_timedlock(self->r, &self->sh->m, 0,
						  &dl));
		EXPECT_EQ(0, reap(&self->child))
			TH_LOG("the child's unlock failed");
		EXPECT_EQ(0, kipc_mutex_unlock(self->r, &self->sh->m));
	}
}

/*
 * As above, but the child lets go 200 ms after the deadline, within the
 * grace: the relock takes the mutex back, the wait's own result (0 after
 * the signal, -ETIMEDOUT after the timeout) with the mutex held, as
 * pthread_cond_timedwait() would. A relock bound by the deadline itself
 * found the child holding it then and returned -ENOLCK.
 */
TEST_F(dead, cond_relock_let_go_within_the_grace_is_held)
{
	int64_t past;
	int signal, ret;

	for (signal = 1; signal >= 0; signal--) {
		ret = relock_wait(_metadata, self, signal, 200000000, &past);
		EXPECT_EQ(signal ? 0 : -ETIMEDOUT, ret)
			TH_LOG("%s: -ENOLCK would mean the relock gave up at the deadline",
			       signal ? "signalled" : "timed out");
		/* Not before the child let go, and within the grace. */
		EXPECT_LE(200000000, past);
		EXPECT_GT(GRACE_NS + SLACK_NS, past)
			TH_LOG("returned %lld ns after its deadline",
			       (long long)past);
		EXPECT_EQ(1, __atomic_load_n(&self->sh->holding,
					     __ATOMIC_SEQ_CST));
		/* The child's unlock came first (exit 0); now it is ours. */
		EXPECT_EQ(0, reap(&self->child))
			TH_LOG("the child's unlock failed");
		if (ret == 0 || ret == -ETIMEDOUT)
			EXPECT_EQ(0, kipc_mutex_unlock(self->r, &self->sh->m));
		EXPECT_EQ(0, self->sh->m.word);
	}
}

/*
 * Another handle closed, and the waiter's process has a running sibling
 * thread: the condition wait is not a death, it times out, the mutex held
 * again. (death_during_the_wait_keeps_the_mutex is the same without the
 * sibling.)
 */
TEST_F(dead, cond_wait_beside_a_running_thread_times_out)
{
	struct timespec dl;
	int64_t past;

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		struct kipc_region *mine;

		child_attach(self->r, &mine);
		_exit(0);
	}
	ASSERT_EQ(0, reap(&self->child));	/* its handle is closed */
	ASSERT_EQ(0, start_sibling(self));
	ASSERT_EQ(0, kipc_mutex_lock(self->r, &self->sh->m));
	dl = in_ms(DEADLINE_MS);
	EXPECT_EQ(-ETIMEDOUT, kipc_cond_wait(self->r, &self->sh->c,
					     &self->sh->m, 0, &dl));
	past = ns_past(&dl);
	EXPECT_LE(0, past);
	EXPECT_GT(SLACK_NS, past);
	/* Held again: ours to release. */
	EXPECT_EQ(0, kipc_mutex_unlock(self->r, &self->sh->m));
	EXPECT_EQ(0, self->sh->m.word);
}

/* Attach a handle of the region and close it: a handle has closed. */
static int close_a_handle(struct kipc_region *r)
{
	struct kipc_region *x;
	int ret = kipc_region_attach(r, KIPC_REGION_NOMAP, &x);

	return ret ? ret : kipc_region_close(x);
}

/*
 * Pins a documented limit. The child holds the mutex through the handle
 * it inherited (it never attaches one of its own) and never waits through
 * it, so the module does not see it. After another handle closed, a lock
 * through that shared handle is judged a death at once: -EOWNERDEAD, not
 * held, while the holder lives and will let go.
 */
TEST_F(dead, shared_handle_holder_unseen_timedlock_eownerdead)
{
	struct timespec dl;

	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0)
		hold_until_released(self->r, self->sh, 0);
	ASSERT_TRUE(wait_for(&self->sh->holding, 10));
	/* Only this process has that handle: its close is a real close. */
	ASSERT_EQ(0, close_a_handle(self->r));
	dl = in_ms(10000);
	EXPECT_EQ(-EOWNERDEAD, kipc_mutex_timedlock(self->r, &self->sh->m, 0,
						    &dl))
		TH_LOG("a module that sees a sharer that does not wait: update kipc_mutex_lock(3)");
	EXPECT_GT(-SLACK_NS, ns_past(&dl));
	EXPECT_EQ(0, waitpid(self->child, NULL, WNOHANG)) TH_LOG("the holder is gone");
	__atomic_store_n(&self->sh->release, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(0, reap(&self->child)) TH_LOG("the holder's unlock failed");
}

/*
 * Pins the same limit for a condition wait: the child, through the shared
 * handle, takes the mutex the wait let go (by trying, so as never to wait
 * through it), signals, and closes a handle of its own making. The relock
 * is judged a death: -ENOTRECOVERABLE while the holder lives.
 */
TEST_F(dead, shared_handle_holder_unseen_cond_wait_enotrecoverable)
{
	struct timespec dl;
	int ret;

	ASSERT_EQ(0, kipc_mutex_lock(self->r, &self->sh->m));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int i;

		for (i = 0; kipc_mutex_trylock(self->r, &self->sh->m); i++) {
			if (i == 10000)
				_exit(10);
			usleep(1000);
		}
		__atomic_store_n(&self->sh->holding, 1, __ATOMIC_SEQ_CST);
		if (kipc_cond_signal(self->r, &self->sh->c) ||
		    close_a_handle(self->r))
			_exit(12);
		wait_for(&self->sh->release, 10);
		_exit(kipc_mutex_unlock(self->r, &self->sh->m) ? 13 : 0);
	}
	dl = in_ms(10000);
	ret = kipc_cond_wait(self->r, &self->sh->c, &self->sh->m, 0, &dl);
	EXPECT_EQ(-ENOTRECOVERABLE, ret)
		TH_LOG("a module that sees a sharer that does not wait: update kipc_cond_wait(3)");
	EXPECT_GT(-SLACK_NS, ns_past(&dl));
	EXPECT_EQ(1, __atomic_load_n(&self->sh->holding, __ATOMIC_SEQ_CST));
	EXPECT_EQ(0, waitpid(self->child, NULL, WNOHANG)) TH_LOG("the holder is gone");
	__atomic_store_n(&self->sh->release, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(0, reap(&self->child)) TH_LOG("the holder's unlock failed");
}

TEST_HARNESS_MAIN
