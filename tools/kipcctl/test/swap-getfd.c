// SPDX-License-Identifier: GPL-2.0
/*
 * swap-getfd.so, LD_PRELOADed by test-sys.sh: pidfd_getfd() of one of the
 * descriptors $SWAP_GETFD names ("PID:FD,FD,..."; PID's own, not a
 * thread's) gives a copy of /dev/null instead, as when the process has
 * dup2()ed another file onto it since kipcctl's scan. The pipe prober then
 * has to try the pipe's next descriptor (review s46, 6): no race needed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

/* The pid @pidfd refers to (its fdinfo's Pid: line), or -1. */
static long pidfd_pid(int pidfd)
{
	char path[64], line[128];
	long pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %ld", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

/* Whether $SWAP_GETFD names descriptor @fd of process @pid. */
static int swapped(long pid, int fd)
{
	const char *s = getenv("SWAP_GETFD");
	char *end;

	if (!s || strtol(s, &end, 10) != pid || *end != ':')
		return 0;
	do {
		if (strtol(end + 1, &end, 10) == fd)
			return 1;
	} while (*end == ',');
	return 0;
}

int pidfd_getfd(int pidfd, int targetfd, unsigned int flags)
{
	if (swapped(pidfd_pid(pidfd), targetfd))
		return open("/dev/null", O_RDONLY | O_CLOEXEC);
	return syscall(SYS_pidfd_getfd, pidfd, targetfd, flags);
}
