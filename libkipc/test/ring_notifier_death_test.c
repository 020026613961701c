// SPDX-License-Identifier: GPL-2.0
/*
 * A ring's notifier killed between its decision to wake and its wake: the
 * sleeper it was about to wake must be woken by the next notifier, not
 * sleep for ever. A notifier that clears what tells it there are
 * sleepers, then dies, leaves nothing for the next one to see.
 *
 * The notifier is a child process sharing the parent's region handle (its
 * exit closes no handle, so the sleeper is not told EOWNERDEAD). It dies
 * in its first read of the clock, which the notify makes after it decided
 * to wake and before it bumps the sequence and wakes: the test wraps
 * kipc__now_ns (-Wl,--wrap), linked with the static libkipc. A guest test
 * (KIPC_IOC_WAIT), run by tools/vm/kipc-examples.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"
#include "ring.h"

#define DIED_IN_NOTIFY	42

uint64_t __real_kipc__now_ns(void);

static int die_at_clock;

uint64_t __wrap_kipc__now_ns(void)
{
	if (die_at_clock)
		_exit(DIED_IN_NOTIFY);
	return __real_kipc__now_ns();
}

struct sleeper {
	struct kipc_ring *ring;
	uint64_t msg;
	int ret;
};

/* Receive one message, for at most 5 s. */
static void *sleep_recv(void *arg)
{
	struct sleeper *s = arg;
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 5;
	s->ret = kipc_ring_recv(s->ring, &s->msg, 0, &until);
	return NULL;
}

FIXTURE(ring) {
	struct kipc *k;
	struct kipc_region *r;
	struct kipc_ring *ring;
	struct ring_shared *sh;
};

FIXTURE_SETUP(ring)
{
	int ret = kipc_open(&self->k, 0);

	if (ret == -ENOENT)
		SKIP(return, "no /dev/kipc (module not loaded)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, kipc_region_create(self->k, 4096, 0, 0, &self->r));
	ASSERT_EQ(0, kipc_ring_create(self->r, 0, 4, 8, 0, &self->ring));
	self->sh = kipc_region_base(self->r);
}

FIXTURE_TEARDOWN(ring)
{
	if (!self->k)
		return;
	kipc_ring_close(self->ring);
	kipc_region_close(self->r);
	kipc_close(self->k);
}

TEST_F(ring, next_notifier_wakes_the_sleeper)
{
	struct sleeper s = { .ring = self->ring, .ret = 1 };
	struct ring_ec *ec = &self->sh->not_empty;
	uint64_t one = 1, two = 2, m;
	pthread_t t;
	int i, status;
	pid_t pid;

	ASSERT_EQ(0, pthread_create(&t, NULL, sleep_recv, &s));
	/* Both versions of the eventcount set the flag before the wait. */
	for (i = 0; i < 2000 && !__atomic_load_n(&ec->waiters,
						 __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	ASSERT_NE(0, ec->waiters) TH_LOG("the receiver never got to sleep");
	usleep(50000);		/* into the kernel's wait, most likely */

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		die_at_clock = 1;
		kipc_ring_send(self->ring, &one, 0, NULL);
		_exit(0);	/* the notify did not want to wake */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(DIED_IN_NOTIFY, WEXITSTATUS(status))
		TH_LOG("the notifier did not die in its notify");
	ASSERT_EQ(1, self->sh->tail);	/* published before it died */

	ASSERT_EQ(0, kipc_ring_send(self->ring, &two, 0, NULL));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, s.ret) TH_LOG("the sleeper was not woken: %d", s.ret);
	EXPECT_EQ(1, s.msg);
	EXPECT_EQ(0, kipc_ring_recv(self->ring, &m, KIPC_IO_NONBLOCK, NULL));
	EXPECT_EQ(2, m);
	EXPECT_EQ(0, ec->sleepers);
}

TEST_HARNESS_MAIN
