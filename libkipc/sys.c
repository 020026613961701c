// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Every system call libkipc makes goes through here, turning the libc
 * convention (-1 and errno) into the library's (-errno).
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sys.h"

/*
 * A signal that interrupts a blocking call is the caller's to see: -EINTR
 * is returned, not retried (with SA_RESTART the kernel restarts the call).
 */
int kipc__ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

int kipc__close(int fd)
{
	/* Linux releases the fd even when close() fails: never retry. */
	return close(fd) < 0 && errno != EINTR ? -errno : 0;
}
