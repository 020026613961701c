// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, finding 8b: the host-wide counters are for the administrator.
 *
 * On 38ea9ff KIPC_CMD_STATS_GET, the module's counters for the whole host
 * (objects created, messages, bytes, waits), answered every user and
 * every container (the family is netnsok). The contract: it needs
 * CAP_SYS_ADMIN (of the initial user namespace); others get EPERM. Root of
 * a user namespace, in its own network namespace or not, is such an
 * "other". Dumps of the caller's own objects are not affected.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

FIXTURE(stats) {
	int ctx;
};

FIXTURE_VARIANT(stats) {
	int userns;	/* as root of a user namespace nobody made */
	int netns;	/* ... in a network namespace of its own */
};

FIXTURE_VARIANT_ADD(stats, nobody) { };
FIXTURE_VARIANT_ADD(stats, userns_root) { .userns = 1 };
FIXTURE_VARIANT_ADD(stats, userns_root_own_netns) { .userns = 1, .netns = 1 };

FIXTURE_SETUP(stats)
{
	struct kt_genl g;
	int ret;

	kipc_test_open(self->ctx);
	ret = kt_genl_open(&g);
	if (ret == -ENOENT)
		SKIP(return, "no netlink family kipc");
	ASSERT_EQ(0, ret);
	/* The administrator reads them. */
	EXPECT_EQ(0, kt_genl_call(&g, KIPC_CMD_STATS_GET, 0, 0, 0, NULL));
	close(g.fd);
	if (geteuid() != 0)
		SKIP(return, "needs root to become another user");
}

FIXTURE_TEARDOWN(stats)
{
	close(self->ctx);
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

TEST_F(stats, stats_get_needs_cap_sys_admin)
{
	pid_t pid;
	int status;

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kt_genl g;
		int ret;

		if (kt_become(KT_NOBODY, KT_NOBODY))
			_exit(100);
		/* Reset by the change of credentials; /proc/self needs it. */
		prctl(PR_SET_DUMPABLE, 1);
		if (variant->userns) {
			if (unshare(CLONE_NEWUSER | (variant->netns ?
						     CLONE_NEWNET : 0)))
				_exit(101);
			if (write_file("/proc/self/uid_map", "0 65534 1"))
				_exit(102);
		}
		ret = kt_genl_open(&g);
		if (ret)
			_exit(103);
		/* Its own objects: still listed. */
		if (kt_genl_call(&g, KIPC_CMD_REGION_GET, NLM_F_DUMP, 0, 0, NULL))
			_exit(104);
		ret = kt_genl_call(&g, KIPC_CMD_STATS_GET, 0, 0, 0, NULL);
		_exit(ret <= 0 && ret > -100 ? -ret : 105);
	}
	status = kt_wait(pid, 10000);
	if (status == 101)
		SKIP(return, "nobody cannot create the namespaces here");
	EXPECT_EQ(EPERM, status)
		TH_LOG("%s", status == 0 ? "STATS_GET answered an unprivileged caller" :
		       status >= 100 ? "the child failed to set up" :
		       strerror(status));
}

KIPC_TEST_MAIN
