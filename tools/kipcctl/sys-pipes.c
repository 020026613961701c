// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl sys pipes|eventfd|memfd: the objects that live only as open
 * files, grouped from the scan of /proc (sys-fds.c): pipes and FIFOs with
 * their reader and writer processes, eventfds and memfds with the
 * processes holding them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

#include "kipcctl.h"
#include "sys.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD	O_EXCL
#endif

int sys_fd_is_reader(const struct sys_fd *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY;
}

int sys_fd_is_writer(const struct sys_fd *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY;
}

/*
 * A copy of descriptor @f->fd of process @f->pid, when it is still the
 * pipe or FIFO @f names (a process may dup2() another file onto it, and a
 * pid may be reused, between the scan and now); -1 otherwise. A copy
 * (pidfd_getfd(2), which asks the right to ptrace the process) is the
 * process's own open file: the pipe gets no new reader, and closing the
 * copy wakes no one. Opening /proc/PID/fd/N instead would open whatever
 * file is there by then, a device of the process's choosing among them.
 */
static int pipe_copy(const struct sys_fd *f)
{
	int pidfd, fd;
	struct stat st;

	/* A thread's own table: its pidfd (Linux 6.9), else no copy. */
	pidfd = pidfd_open(f->tid ? f->tid : f->pid,
			   f->tid ? PIDFD_THREAD : 0);
	if (pidfd < 0)
		return -1;
	fd = pidfd_getfd(pidfd, f->fd, 0);
	close(pidfd);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISFIFO(st.st_mode) || st.st_ino != f->ino ||
	    (f->dev && st.st_dev != f->dev)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The bytes queued in the pipe of @f[0..n), or -1 when unknown (and its
 * capacity in *@size, when @size is not NULL). Only for root, and only
 * when processes hold both ends: read through a copy of a reader's
 * descriptor (pipe_copy()).
 */
long long sys_pipe_queued(const struct sys_fd *f, size_t n, long long *size)
{
	const struct sys_fd *reader = NULL;
	int fd, bytes, writer = 0;
	size_t i;

	if (geteuid())
		return -1;
	for (i = 0; i < n; i++) {
		if (!reader && sys_fd_is_reader(&f[i]))
			reader = &f[i];
		writer |= sys_fd_is_writer(&f[i]);
	}
	if (!reader || !writer)
		return -1;
	fd = pipe_copy(reader);
	if (fd < 0)
		return -1;
	if (ioctl(fd, FIONREAD, &bytes))
		bytes = -1;
	if (size)
		*size = fcntl(fd, F_GETPIPE_SZ);
	close(fd);
	return bytes;
}

static void print_pipe(const struct sys_fd *f, size_t n, size_t row)
{
	const char *type = f->kind == SYS_FD_PIPE ? "pipe" : "fifo";
	long long queued = sys_pipe_queued(f, n, NULL);

	if (json) {
		printf("%s{\"type\":\"%s\",\"inode\":%llu,\"path\":",
		       row ? "," : "", type, (unsigned long long)f->ino);
		if (f->name)
			sys_str(f->name);
		else
			printf("null");
		printf(",\"queued_bytes\":");
		if (queued < 0)
			printf("null");
		else
			printf("%lld", queued);
		printf(",\"readers\":");
		sys_pids(f, n, sys_fd_is_reader);
		printf(",\"writers\":");
		sys_pids(f, n, sys_fd_is_writer);
		printf("}");
		return;
	}
	if (!row)
		printf("%-4s %-10s %8s %-24s %-24s %s\n", "TYPE", "INODE",
		       "QUEUED", "READERS", "WRITERS", "PATH");
	printf("%-4s %-10llu ", type, (unsigned long long)f->ino);
	if (queued < 0)
		printf("%8s ", "-");
	else
		printf("%8lld ", queued);
	sys_pids(f, n, sys_fd_is_reader);
	printf(" ");
	sys_pids(f, n, sys_fd_is_writer);
	printf(" ");
	sys_str(f->name ? f->name : "-");
	printf("\n");
}

int sys_pipes(const struct sys_scan *s)
{
	const struct sys_fd *f = s->v, *end = s->v + s->n;
	size_t n, rows = 0;

	sys_section("pipes", "pipes and FIFOs");
	for (; f < end; f += n) {
		n = sys_fd_run(f, end);
		if (f->kind == SYS_FD_PIPE || f->kind == SYS_FD_FIFO)
			print_pipe(f, n, rows++);
	}
	sys_section_end(rows);
	return 0;
}

/* How many processes hold the object of @f[0..n) (sorted by pid). */
static size_t nr_procs(const struct sys_fd *f, size_t n)
{
	size_t i, procs = 0;

	for (i = 0; i < n; i++)
		if (!i || f[i].pid != f[i - 1].pid)
			procs++;
	return procs;
}

static void print_object(const struct sys_fd *f, size_t n, size_t row)
{
	const char *id = f->kind == SYS_FD_EVENTFD ? "eventfd_id" : "inode";

	if (json) {
		printf("%s{\"%s\":%llu,", row ? "," : "", id,
		       (unsigned long long)f->ino);
		if (f->kind == SYS_FD_MEMFD) {
			printf("\"name\":");
			sys_str(f->name ? f->name : "");
			printf(",");
		}
		printf("\"uid\":%u,\"processes\":", f->uid);
		sys_pids(f, n, NULL);
		printf("}");
		return;
	}
	if (!row)
		printf("%-10s %-6s %-24s %s\n",
		       f->kind == SYS_FD_EVENTFD ? "ID" : "INODE", "UID",
		       "NAME", "PROCESSES");
	printf("%-10llu %-6u ", (unsigned long long)f->ino, f->uid);
	sys_str(f->kind == SYS_FD_MEMFD && f->name ? f->name : "-");
	printf(" ");
	sys_pids(f, n, NULL);
	printf("\n");
}

int sys_fd_objects(const struct sys_scan *s, enum sys_fd_kind kind, int all)
{
	const struct sys_fd *f = s->v, *end = s->v + s->n;
	size_t n, rows = 0;

	if (kind == SYS_FD_EVENTFD)
		sys_section("eventfd", all ? "eventfds" :
			    "eventfds held by more than one process");
	else
		sys_section("memfd", all ? "memfds" :
			    "memfds held by more than one process");
	for (; f < end; f += n) {
		n = sys_fd_run(f, end);
		if (f->kind == kind && (all || nr_procs(f, n) > 1))
			print_object(f, n, rows++);
	}
	sys_section_end(rows);
	return 0;
}
