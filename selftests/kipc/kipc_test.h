/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kipc selftests.
 */
#ifndef KIPC_TEST_H
#define KIPC_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <linux/kipc.h>

/* Open /dev/kipc; use where _metadata is in scope (a test or fixture). */
#define kipc_test_open(fd)						\
	do {								\
		(fd) = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);	\
		ASSERT_LE(0, (fd)) TH_LOG("open %s: %s",		\
					  KIPC_DEVICE_PATH,		\
					  strerror(errno));		\
	} while (0)

/*
 * In place of TEST_HARNESS_MAIN: the whole program reports SKIP (exit 4)
 * when the module is not loaded.
 */
#define KIPC_TEST_MAIN							\
	int main(int argc, char **argv)					\
	{								\
		if (access(KIPC_DEVICE_PATH, F_OK))			\
			ksft_exit_skip("%s absent: kipc module not loaded\n", \
				       KIPC_DEVICE_PATH);		\
		return test_harness_run(argc, argv);			\
	}

#endif /* KIPC_TEST_H */
