// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Every system call libkipc makes goes through here, turning the libc
 * convention (-1 and errno) into the library's (-errno).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kipc.h"
#include "sys.h"

#define NSEC_PER_SEC	1000000000ULL

/*
 * A signal that interrupts a blocking call is the caller's to see: -EINTR
 * is returned, not retried (with SA_RESTART the kernel restarts the call).
 */
int kipc__ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

ssize_t kipc__write(int fd, const void *buf, size_t len)
{
	ssize_t ret = write(fd, buf, len);

	return ret < 0 ? -errno : ret;
}

int kipc__close(int fd)
{
	/* Linux releases the fd even when close() fails: never retry. */
	return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

int kipc__mmap(int fd, uint64_t bytes, void **base)
{
	void *p;

	if (bytes > SIZE_MAX)
		return -ENOMEM;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*base = p;
	return 0;
}

void kipc__munmap(void *base, uint64_t bytes)
{
	if (base)
		munmap(base, bytes);
}

int kipc__fd_check(int fd)
{
	if (fd < 0)
		return -EBADF;
	return fcntl(fd, F_GETFD) < 0 ? -errno : 0;
}

int kipc__fd_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return -errno;
	if (!(fl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int kipc__deadline(unsigned int flags, const struct timespec *deadline,
		   __u32 *wflags, __u32 *clockid, __u64 *ns)
{
	uint64_t sec;

	if (flags & ~KIPC_DEADLINE_REALTIME)
		return -EINVAL;
	*wflags = 0;
	*clockid = 0;
	*ns = 0;
	if (!deadline)
		return flags ? -EINVAL : 0;
	if (deadline->tv_sec < 0 || deadline->tv_nsec < 0 ||
	    deadline->tv_nsec >= (long)NSEC_PER_SEC)
		return -EINVAL;
	*wflags = KIPC_WAIT_TIMEOUT;
	*clockid = flags & KIPC_DEADLINE_REALTIME ? CLOCK_REALTIME :
						    CLOCK_MONOTONIC;
	/* The kernel keeps deadlines as signed ktime: saturate far ones. */
	sec = deadline->tv_sec;
	if (sec > (INT64_MAX - deadline->tv_nsec) / NSEC_PER_SEC)
		*ns = INT64_MAX;
	else
		*ns = sec * NSEC_PER_SEC + deadline->tv_nsec;
	return 0;
}

uint64_t kipc__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

bool kipc__deadline_passed(unsigned int flags, const struct timespec *deadline)
{
	struct timespec now;

	if (!deadline)
		return false;
	clock_gettime(flags & KIPC_DEADLINE_REALTIME ? CLOCK_REALTIME :
						       CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec &&
		now.tv_nsec >= deadline->tv_nsec);
}
