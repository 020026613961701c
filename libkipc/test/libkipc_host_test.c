// SPDX-License-Identifier: GPL-2.0
/* libkipc argument checks and errors that need no module (runs on the host). */
#include <errno.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <kipc.h>

TEST(open_rejects_null_handle)
{
	EXPECT_EQ(-EINVAL, kipc_open(NULL, 0));
}

TEST(open_rejects_unknown_flags)
{
	struct kipc *k = NULL;

	EXPECT_EQ(-EINVAL, kipc_open(&k, 1));
	EXPECT_EQ(NULL, k);
}

TEST(open_reports_missing_device_as_errno)
{
	struct kipc *k = NULL;

	if (!access(KIPC_DEVICE_PATH, F_OK))
		SKIP(return, "%s exists on this machine", KIPC_DEVICE_PATH);
	EXPECT_EQ(-ENOENT, kipc_open(&k, 0));
	EXPECT_EQ(NULL, k);
}

TEST(null_handles_are_einval)
{
	struct kipc_version_info info;

	EXPECT_EQ(-EINVAL, kipc_close(NULL));
	EXPECT_EQ(-EINVAL, kipc_fd(NULL));
	EXPECT_EQ(-EINVAL, kipc_version(NULL, &info));
}

TEST_HARNESS_MAIN
