// SPDX-License-Identifier: GPL-2.0
/* An unprivileged user can open /dev/kipc and use a context. */
#include <grp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NOBODY	65534

TEST(open_as_nobody)
{
	struct kipc_version v = { .size = sizeof(v) };
	int fd, status;
	pid_t pid;

	kipc_test_open(fd);
	close(fd);
	if (geteuid() != 0)
		SKIP(return, "needs root to become another user");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(10);
		fd = open(KIPC_DEVICE_PATH, O_RDWR);
		if (fd < 0)
			_exit(11);
		if (ioctl(fd, KIPC_IOC_VERSION, &v) || v.abi_version != KIPC_ABI_VERSION)
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child step %d failed",
						 WEXITSTATUS(status));
}

KIPC_TEST_MAIN
