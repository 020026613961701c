// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, finding 8c: per-user caps in user namespaces.
 *
 * On 38ea9ff the per-user caps (regions, channels, bytes in flight, ...)
 * were keyed by the caller's kuid: a user namespace with a range of uids
 * mapped multiplied them, each mapped uid getting a full set. The
 * contract: a caller inside a user namespace other than the initial one is
 * charged to the owner (the creator's euid) of the outermost non-initial
 * user namespace it is in, so the uids mapped inside one namespace, and
 * those of namespaces nested in it, share one set of caps.
 *
 * User nobody creates a user namespace; root maps 100 uids into it. With
 * max_regions_per_user at 2, uid 0 of the namespace creates 2 regions and
 * keeps them; uid 1 then gets ENOSPC at once, and so does uid 2 from a
 * user namespace of its own nested inside.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define BASE	200000		/* first kuid mapped into the namespace */
#define CAP	2		/* max_regions_per_user for the test */

struct shared {
	int count[3];		/* regions created by ns uid 0, 1, 2 */
	int err[3];		/* what stopped each */
	int step;		/* where the namespace side failed */
	volatile int ready0;	/* uid 0 holds its regions */
	volatile int release0;	/* uid 0 may exit */
};

FIXTURE(userns) {
	struct kt_param regions;
	struct shared *sh;
	pid_t child;
	int sync[2];		/* child -> parent: namespace created */
	int go[2];		/* parent -> child: maps written */
};

FIXTURE_SETUP(userns)
{
	int ctx;

	self->child = 0;
	memset(&self->regions, 0, sizeof(self->regions));
	self->regions.name = "max_regions_per_user";
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	ASSERT_EQ(0, pipe(self->sync));
	ASSERT_EQ(0, pipe(self->go));
	kipc_test_open(ctx);
	kipc_test_require(ctx, KIPC_FEATURE_REGION);
	close(ctx);
	if (geteuid() != 0)
		SKIP(return, "needs root to map uids into a user namespace");
	ASSERT_EQ(0, kt_param_save(&self->regions));
}

FIXTURE_TEARDOWN(userns)
{
	self->sh->release0 = 1;
	kt_reap(self->child);
	kt_param_restore(&self->regions);
	close(self->sync[0]);
	close(self->sync[1]);
	close(self->go[0]);
	close(self->go[1]);
	munmap(self->sh, sizeof(*self->sh));
}

/* Create regions until the first failure (at most CAP + 2). */
static void create_regions(struct shared *sh, int i)
{
	int ctx, fd;

	sh->err[i] = 0;
	ctx = open(KIPC_DEVICE_PATH, O_RDWR);
	if (ctx < 0) {
		sh->err[i] = errno;
		return;
	}
	for (sh->count[i] = 0; sh->count[i] < CAP + 2; sh->count[i]++) {
		fd = kt_region_create(ctx, kt_page(), 0, 0, NULL);
		if (fd < 0) {
			sh->err[i] = -fd;
			break;
		}
	}
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* A process as @uid of the namespace; @fn its work. Returns its status. */
static int ns_child(struct shared *sh, uid_t uid, int nested, int i)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (kt_become(uid, uid))
			_exit(20);
		/* Both are reset by the change of credentials. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_DUMPABLE, 1);
		if (nested) {
			char map[32];

			/* Unprivileged: map its own uid only. */
			if (unshare(CLONE_NEWUSER))
				_exit(21);
			snprintf(map, sizeof(map), "0 %u 1", uid);
			if (write_file("/proc/self/uid_map", map))
				_exit(22);
		}
		create_regions(sh, i);
		if (i == 0) {
			int waited;

			sh->ready0 = 1;
			for (waited = 0; !sh->release0 && waited < 20000;
			     waited += 10)
				kt_sleep_ms(10);
		}
		_exit(0);
	}
	if (i == 0) {
		while (!sh->ready0) {
			if (waitpid(pid, NULL, WNOHANG) == pid)
				return -1;
			kt_sleep_ms(10);
		}
		return pid;
	}
	return kt_wait(pid, 10000);
}

TEST_F(userns, mapped_uids_share_the_owner_caps)
{
	struct shared *sh = self->sh;
	char path[64], c = 0;
	int ret;

	ASSERT_EQ(0, kt_param_set_num(self->regions.name, CAP));
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		pid_t holder;

		sh->step = 1;
		if (kt_become(KT_NOBODY, KT_NOBODY))
			_exit(1);
		sh->step = 2;
		c = unshare(CLONE_NEWUSER) ? 'n' : 'y';
		if (write(self->sync[1], &c, 1) != 1 || c != 'y')
			_exit(2);
		sh->step = 3;
		if (read(self->go[0], &c, 1) != 1 || c != 'y')
			_exit(3);
		sh->step = 4;
		holder = ns_child(sh, 0, 0, 0);
		if (holder < 0)
			_exit(4);
		sh->step = 5;
		if (ns_child(sh, 1, 0, 1))
			_exit(5);
		sh->step = 6;
		ret = ns_child(sh, 2, 1, 2);
		sh->release0 = 1;
		if (ret)
			_exit(ret);
		waitpid(holder, NULL, 0);
		sh->step = 0;
		_exit(0);
	}
	ASSERT_EQ(1, read(self->sync[0], &c, 1));
	if (c != 'y')
		SKIP(return, "nobody cannot create a user namespace here");
	snprintf(path, sizeof(path), "/proc/%d/uid_map", self->child);
	ASSERT_EQ(0, write_file(path, "0 200000 100"));
	snprintf(path, sizeof(path), "/proc/%d/gid_map", self->child);
	ASSERT_EQ(0, write_file(path, "0 200000 100"));
	c = 'y';
	ASSERT_EQ(1, write(self->go[1], &c, 1));
	ret = kt_wait(self->child, 20000);
	self->child = 0;
	ASSERT_EQ(0, ret) TH_LOG("the namespace side failed at step %d (status %d)",
				 sh->step, ret);

	TH_LOG("regions created: ns uid 0: %d (%s), ns uid 1: %d (%s), nested ns uid 2: %d (%s)",
	       sh->count[0], strerror(sh->err[0]), sh->count[1],
	       strerror(sh->err[1]), sh->count[2], strerror(sh->err[2]));
	EXPECT_EQ(CAP, sh->count[0]);
	EXPECT_EQ(ENOSPC, sh->err[0]);
	EXPECT_EQ(0, sh->count[1])
		TH_LOG("a second uid of the namespace has caps of its own");
	EXPECT_EQ(ENOSPC, sh->err[1]);
	EXPECT_EQ(0, sh->count[2])
		TH_LOG("a nested user namespace has caps of its own");
	EXPECT_EQ(ENOSPC, sh->err[2]);
}

KIPC_TEST_MAIN
