// SPDX-License-Identifier: GPL-2.0
/*
 * slow-close.so, LD_PRELOADed by test-sys.sh: close() of a descriptor that
 * pidfd_getfd() returned sleeps 60 s before closing it, through any
 * signal but SIGKILL. That is what closing root's copy of a file of a FUSE
 * mount does when its daemon does not answer FUSE_FLUSH (review s44, M1):
 * kipcctl must not wait for it.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define MAX_FD	4096

static unsigned char copies[MAX_FD];

int pidfd_getfd(int pidfd, int targetfd, unsigned int flags)
{
	long fd = syscall(SYS_pidfd_getfd, pidfd, targetfd, flags);

	if (fd >= 0 && fd < MAX_FD)
		copies[fd] = 1;
	return fd;
}

int close(int fd)
{
	struct timespec left = { .tv_sec = 60 };

	if (fd >= 0 && fd < MAX_FD && copies[fd]) {
		copies[fd] = 0;
		while (nanosleep(&left, &left) && errno == EINTR)
			;
	}
	return syscall(SYS_close, fd);
}
