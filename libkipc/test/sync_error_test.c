// SPDX-License-Identifier: GPL-2.0
/*
 * kipc_cond_wait() on a region whose handle cannot wait (a file that is
 * not a kipc region: the wait fails with ENOTTY, or no file: EBADF) must
 * return that error with the mutex held again, not 0: a caller's
 * "while (!ready) kipc_cond_wait()" would otherwise spin for ever. The
 * region is memory of the test's own with such a handle; linked with the
 * static libkipc for the region's internal layout. No module.
 * The same holds when the unlock inside the wait cannot wake.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

TEST_HARNESS_MAIN
