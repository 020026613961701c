// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12: restricting /dev/kipc to a group.
 *
 * /dev/kipc is a misc device of mode 0666 whose node's group the module
 * cannot set. The contract adds the module parameter dev_group (int,
 * default -1: every user; writable at runtime): when it is >= 0, open()
 * of /dev/kipc fails with EACCES unless the caller is in that group (its
 * effective or a supplementary group, as in_group_p() decides) or has
 * CAP_SYS_ADMIN. The parameter is absent on 38ea9ff: that fails the test.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define GROUP	4242

FIXTURE(group) {
	struct kt_param dev_group;
};

FIXTURE_SETUP(group)
{
	int ctx;

	memset(&self->dev_group, 0, sizeof(self->dev_group));
	self->dev_group.name = "dev_group";
	kipc_test_open(ctx);
	close(ctx);
	if (geteuid() != 0)
		SKIP(return, "needs root to change module parameters");
	kt_param_require(&self->dev_group);
}

FIXTURE_TEARDOWN(group)
{
	kt_param_restore(&self->dev_group);
}

/*
 * open() of /dev/kipc by a child as nobody with egid @gid and the
 * supplementary groups @groups: 0 or the errno.
 */
static int open_as_nobody(gid_t gid, const gid_t *groups, int nr)
{
	pid_t pid = kt_fork();
	int fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(nr, groups) || setgid(gid) || setuid(KT_NOBODY))
			_exit(100);
		fd = open(KIPC_DEVICE_PATH, O_RDWR);
		_exit(fd < 0 ? errno : 0);
	}
	return kt_wait(pid, 10000);
}

TEST_F(group, open_needs_the_group)
{
	const gid_t groups[] = { 7, GROUP };
	int fd;

	/* -1: every user. */
	ASSERT_EQ(0, kt_param_set_num("dev_group", -1));
	EXPECT_EQ(0, open_as_nobody(KT_NOBODY, NULL, 0));

	ASSERT_EQ(0, kt_param_set_num("dev_group", GROUP));
	EXPECT_EQ(EACCES, open_as_nobody(KT_NOBODY, NULL, 0))
		TH_LOG("a user outside dev_group opened /dev/kipc");
	EXPECT_EQ(0, open_as_nobody(KT_NOBODY, groups, 2))
		TH_LOG("a supplementary group member was refused");
	EXPECT_EQ(0, open_as_nobody(GROUP, NULL, 0))
		TH_LOG("a member by its effective gid was refused");
	/* CAP_SYS_ADMIN passes. */
	fd = open(KIPC_DEVICE_PATH, O_RDWR);
	EXPECT_LE(0, fd) TH_LOG("root: %s", strerror(errno));
	if (fd >= 0)
		close(fd);

	/* Back to -1 at run time: everyone again. */
	ASSERT_EQ(0, kt_param_set_num("dev_group", -1));
	EXPECT_EQ(0, open_as_nobody(KT_NOBODY, NULL, 0));
}

KIPC_TEST_MAIN
