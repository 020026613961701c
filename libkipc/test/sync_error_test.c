// SPDX-License-Identifier: GPL-2.0
/*
 * kipc_cond_wait() on a region whose handle cannot wait (a file that is
 * not a kipc region: the wait fails with ENOTTY, or no file: EBADF) must
 * return that error with the mutex held again, not 0: a caller's
 * "while (!ready) kipc_cond_wait()" would otherwise spin for ever. The
 * region is memory of the test's own with such a handle; linked with the
 * static libkipc for the region's internal layout. No module.
 * The same holds when the unlock inside the wait cannot wake.
 *
 * And the arguments of kipc_mutex_timedlock() and kipc_cond_wait()'s
 * deadline: a bad deadline or flag is -EINVAL before anything is taken or
 * let go, a free mutex is taken whatever the deadline, and a contended
 * lock returns its wait's error without the mutex.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"
#include "sys.h"

struct shared {
	struct kipc_mutex m;
	struct kipc_cond c;
};

/* A region of the test's own memory whose handle is @fd. */
static struct shared *region_init(struct kipc_region *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->bytes = 4096;
	r->base = aligned_alloc(4096, 4096);
	if (r->base)
		memset(r->base, 0, 4096);
	return r->base;
}

/* Lock, then wait through @fd: the wait's error, the mutex held again. */
static int cond_wait_through(int fd, int *held)
{
	struct kipc_region r;
	struct shared *sh = region_init(&r, fd);
	int ret;

	if (!sh)
		return -ENOMEM;
	ret = kipc_mutex_lock(&r, &sh->m);
	if (!ret)
		ret = kipc_cond_wait(&r, &sh->c, &sh->m, 0, NULL);
	*held = sh->m.word != 0;
	free(r.base);
	return ret;
}

/* Not a kipc file: the wait's ioctl fails with ENOTTY. */
TEST(wait_error_is_returned_with_the_mutex_held)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC), held = 0;

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTTY, cond_wait_through(fd, &held));
	EXPECT_EQ(1, held) TH_LOG("the mutex is not held");
	close(fd);
}

/* No file at all: EBADF, the same way. */
TEST(bad_handle_is_returned_with_the_mutex_held)
{
	int held = 0;

	EXPECT_EQ(-EBADF, cond_wait_through(-1, &held));
	EXPECT_EQ(1, held);
}

/*
 * The mutex is marked waited on (2), so the unlock inside the wait enters
 * the kernel to wake, and that wake fails: the error comes back with the
 * mutex held again, as for a wait's error.
 */
TEST(unlock_wake_error_is_returned_with_the_mutex_held)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC), ret;
	struct kipc_region r;
	struct shared *sh;

	ASSERT_LE(0, fd);
	sh = region_init(&r, fd);
	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, kipc_mutex_lock(&r, &sh->m));
	__atomic_store_n(&sh->m.word, 2, __ATOMIC_RELAXED);
	ret = kipc_cond_wait(&r, &sh->c, &sh->m, 0, NULL);
	EXPECT_EQ(-ENOTTY, ret);
	EXPECT_NE(0, sh->m.word) TH_LOG("the mutex is not held");
	free(r.base);
	close(fd);
}

/* Deadlines kipc__deadline() refuses, each with its flags. */
static const struct {
	unsigned int flags;
	struct timespec ts;
	int null;		/* pass NULL instead of ts */
} bad_deadlines[] = {
	{ 0, { 1, 1000000000 }, 0 },		/* tv_nsec of a second */
	{ 0, { 1, -1 }, 0 },
	{ 0, { -1, 0 }, 0 },
	{ 1, { 1, 0 }, 0 },			/* an unknown flag */
	{ KIPC_DEADLINE_REALTIME | 2, { 1, 0 }, 0 },
	{ KIPC_DEADLINE_REALTIME, { 0, 0 }, 1 },	/* a clock, no deadline */
};

#define NR_BAD	(sizeof(bad_deadlines) / sizeof(bad_deadlines[0]))

/* Checked before the mutex, free, is taken: -EINVAL, still free. */
TEST(timedlock_bad_deadline_is_einval_and_takes_nothing)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct kipc_region r;
	struct shared *sh;
	unsigned int i;

	ASSERT_LE(0, fd);
	sh = region_init(&r, fd);
	ASSERT_NE(NULL, sh);
	for (i = 0; i < NR_BAD; i++) {
		EXPECT_EQ(-EINVAL, kipc_mutex_timedlock(&r, &sh->m,
				bad_deadlines[i].flags,
				bad_deadlines[i].null ? NULL :
							&bad_deadlines[i].ts))
			TH_LOG("bad deadline %u", i);
		EXPECT_EQ(0, sh->m.word) TH_LOG("bad deadline %u took it", i);
	}
	free(r.base);
	close(fd);
}

TEST(timedlock_bad_mutex_is_einval)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct timespec dl = { 1, 0 };
	struct kipc_region r;
	struct shared *sh;

	ASSERT_LE(0, fd);
	sh = region_init(&r, fd);
	ASSERT_NE(NULL, sh);
	EXPECT_EQ(-EINVAL, kipc_mutex_timedlock(NULL, &sh->m, 0, &dl));
	EXPECT_EQ(-EINVAL, kipc_mutex_timedlock(&r, NULL, 0, &dl));
	EXPECT_EQ(-EINVAL, kipc_mutex_timedlock(&r,
			(struct kipc_mutex *)((char *)r.base + 2), 0, &dl));
	EXPECT_EQ(-EINVAL, kipc_mutex_timedlock(&r,
			(struct kipc_mutex *)((char *)r.base + 4096), 0, &dl));
	free(r.base);
	close(fd);
}

/*
 * A free mutex is taken without a wait, even past the deadline, on
 * either clock; a held one through a handle that cannot wait returns that
 * error, the mutex still the other's.
 */
TEST(timedlock_free_is_taken_held_returns_the_wait_error)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct timespec past = { 0, 0 };
	struct kipc_region r;
	struct shared *sh;

	ASSERT_LE(0, fd);
	sh = region_init(&r, fd);
	ASSERT_NE(NULL, sh);
	EXPECT_EQ(0, kipc_mutex_timedlock(&r, &sh->m, 0, &past));
	EXPECT_EQ(1, sh->m.word);
	EXPECT_EQ(0, kipc_mutex_unlock(&r, &sh->m));
	EXPECT_EQ(0, kipc_mutex_timedlock(&r, &sh->m, KIPC_DEADLINE_REALTIME,
					  &past));
	EXPECT_EQ(1, sh->m.word);
	/* Held now (by "another"): the wait through /dev/null fails. */
	EXPECT_EQ(-ENOTTY, kipc_mutex_timedlock(&r, &sh->m, 0, &past));
	EXPECT_NE(0, sh->m.word);
	free(r.base);
	close(fd);
}

/* A bad deadline: nothing done, the mutex still held, not let go. */
TEST(cond_wait_bad_deadline_keeps_the_mutex)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct kipc_region r;
	struct shared *sh;
	unsigned int i;

	ASSERT_LE(0, fd);
	sh = region_init(&r, fd);
	ASSERT_NE(NULL, sh);
	ASSERT_EQ(0, kipc_mutex_lock(&r, &sh->m));
	for (i = 0; i < NR_BAD; i++) {
		EXPECT_EQ(-EINVAL, kipc_cond_wait(&r, &sh->c, &sh->m,
				bad_deadlines[i].flags,
				bad_deadlines[i].null ? NULL :
							&bad_deadlines[i].ts))
			TH_LOG("bad deadline %u", i);
		EXPECT_EQ(1, sh->m.word) TH_LOG("bad deadline %u", i);
	}
	free(r.base);
	close(fd);
}

TEST_HARNESS_MAIN
