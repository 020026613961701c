// SPDX-License-Identifier: GPL-2.0
/*
 * kipc_cond_wait() when the region's other holders die, against the
 * module (a guest test: tools/vm/kipc-examples runs it).
 *
 * Two different deaths reach a condition wait, and the caller must be able
 * to tell them apart, because only in one of them does it hold the mutex:
 * - the wait on the condition reports EOWNERDEAD (every other handle
 *   closed while it slept) and the mutex, free, is taken again:
 *   -EOWNERDEAD, the mutex held;
 * - the wait was woken, but the mutex's holder died holding it, so
 *   taking it again fails: -ENOTRECOVERABLE, the mutex not held.
 * Each side has a handle of its own (kipc_region_attach()): the module
 * counts holders by handle.
 */
#include <errno.h>
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
};

FIXTURE(dead) {
	struct kipc *k;
	struct kipc_region *r;
	struct shared *sh;
	pid_t child;
};

FIXTURE_SETUP(dead)
{
	self->child = 0;
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

TEST_HARNESS_MAIN
