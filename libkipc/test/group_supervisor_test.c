// SPDX-License-Identifier: GPL-2.0
/*
 * libkipc process groups, the supervisor and the worker's side under the
 * conditions a review found mishandled (a guest test: tools/vm/
 * kipc-group-tests runs it). Workers are functions run in the group's
 * forked children; they report what they saw by their exit status, which
 * the test reads with kipc_group_member_info(). Every run of a group is
 * bounded by an alarm: a regression fails instead of hanging.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"
#include "kipc_group.h"

FIXTURE(grp) {
	struct kipc_group *g;
};

FIXTURE_SETUP(grp)
{
	self->g = NULL;
}

FIXTURE_TEARDOWN(grp)
{
	if (self->g)
		kipc_group_destroy(self->g);
}

static struct kipc_group *group_new(struct __test_metadata *_metadata,
				    uint32_t drain_timeout_ms)
{
	struct kipc_group_attr ga = {
		.intensity = 3,
		.drain_timeout_ms = drain_timeout_ms,
		.backoff_min_ms = 1,
	};
	struct kipc_group *g = NULL;

	EXPECT_EQ(0, kipc_group_create("gsup", &ga, &g));
	return g;
}

static int add_worker(struct kipc_group *g, const char *name,
		      kipc_group_fn fn, uint32_t restart)
{
	struct kipc_worker_attr wa = { .fn = fn, .restart = restart };

	return kipc_group_add_worker(g, name, &wa);
}

/* Member @idx's last exit status (or -signal). */
static int last_status(struct kipc_group *g, unsigned int idx)
{
	struct kipc_group_member m;

	if (kipc_group_member_info(g, idx, &m))
		return INT32_MIN;
	return m.last_status;
}

/* A consumer of a channel nobody sends on: it never sees its end. */
static int idle_consumer(struct kipc_group_worker *w, void *arg)
{
	struct kipc_group_msg m;
	int ret;

	while ((ret = kipc_group_recv(w, "in", &m)) == 1)
		kipc_group_ack(w);
	return ret < 0 ? 1 : 0;
}

/*
 * A drain that times out SIGKILLs what still runs; a consumer killed so
 * had never been sent SIGTERM, and was started again as if it had crashed:
 * kipc_group_run() never returned. What the timeout kills stays dead.
 */
TEST_F(grp, drain_timeout_kill_is_final)
{
	struct timespec t0, t1;
	long ms;

	self->g = group_new(_metadata, 100);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "in", NULL, 4));
	ASSERT_EQ(0, add_worker(self->g, "consumer", idle_consumer,
				KIPC_RESTART_ON_FAILURE));
	ASSERT_EQ(0, kipc_group_connect(self->g, "consumer", "in",
					KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_start(self->g));
	ASSERT_EQ(0, kipc_group_stop(self->g));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alarm(5);		/* the bug: kipc_group_run() never returns */
	EXPECT_EQ(1, kipc_group_run(self->g));	/* the drain timed out */
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	EXPECT_EQ(-SIGKILL, last_status(self->g, 0));
	EXPECT_EQ(KIPC_GROUP_STOPPED, kipc_group_state(self->g, NULL));
	TH_LOG("the group stopped %ld ms after kipc_group_stop()", ms);
}

TEST_HARNESS_MAIN
