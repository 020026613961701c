// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl sys pipes|eventfd|memfd: the objects that live only as open
 * files, grouped from the scan of /proc (sys-fds.c): pipes and FIFOs with
 * their reader and writer processes, eventfds and memfds with the
 * processes holding them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kipcctl.h"
#include "sys.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD	O_EXCL
#endif

/* How long kipcctl waits for the prober's answer of one pipe. */
#define PROBE_WAIT_MS	1000

int sys_fd_is_reader(const struct sys_fd *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY;
}

int sys_fd_is_writer(const struct sys_fd *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY;
}

/*
 * What the prober is asked, of one descriptor of a pipe; it answers a
 * struct sys_pipe_depth.
 */
struct probe_req {
	pid_t pid, tid;		/* as struct sys_fd */
	int fd;
	int want_full;		/* poll a writer's copy (probe_full()) */
	uint64_t ino, dev;
};

/*
 * A copy of descriptor @f->fd of process @f->pid, when it is still the
 * pipe or FIFO @f names (a process may dup2() another file onto it, and a
 * pid may be reused, between the scan and now); -1 otherwise. A copy
 * (pidfd_getfd(2), which asks the right to ptrace the process) is the
 * process's own open file: the pipe gets no new reader. Opening
 * /proc/PID/fd/N instead would open whatever file is there by then, a
 * device of the process's choosing among them. But a copy is closed as any
 * file is, by its ->flush: for a file of a FUSE file system that waits,
 * killed or not, for the file system's daemon, which the process's user
 * may run. Only the prober (below) makes copies.
 */
static int pipe_copy(const struct probe_req *f)
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
 * Whether the writers of the pipe of copy @fd block: every slot of its
 * ring taken (the kernel's pipe_full(), which counts pages, not bytes: a
 * partly read page, the tail of a write and a packet of an O_DIRECT pipe
 * each take one, so a pipe may block its writers with 65535 of 65536
 * bytes queued, or 16). poll() tells it of a writer's file, at once
 * (POLLOUT; POLLERR: no reader left, so writes fail, not block); of a
 * reader's, not: -1. Asked only by sys check: from Linux 5.16 a poll()
 * marks the pipe for good (pipe->poll_usage), and each later write to it
 * wakes its readers' wait queue, empty or not.
 */
static int probe_full(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY || poll(&p, 1, 0) < 0)
		return -1;
	return !(p.revents & (POLLOUT | POLLERR));
}

/*
 * The prober's loop: for each request, the bytes queued in the pipe, its
 * capacity and whether its writers block (-1: unknown), answered once
 * the copy is closed. Ends when kipcctl closes its end.
 */
static void __attribute__((noreturn)) probe_serve(int sock)
{
	struct sys_pipe_depth a;
	struct probe_req rq;
	int fd, bytes;
	ssize_t n;

	for (;;) {
		n = recv(sock, &rq, sizeof(rq), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(rq))
			_exit(0);
		a.bytes = -1;
		a.size = -1;
		a.full = -1;
		fd = pipe_copy(&rq);
		if (fd >= 0) {
			if (!ioctl(fd, FIONREAD, &bytes))
				a.bytes = bytes;
			a.size = fcntl(fd, F_GETPIPE_SZ);
			if (rq.want_full)
				a.full = probe_full(fd);
			close(fd);
		}
		if (send(sock, &a, sizeof(a), MSG_NOSIGNAL) != sizeof(a))
			_exit(0);
	}
}

/*
 * The prober: a child that takes the copies, so that a close that hangs
 * (pipe_copy()) holds it and not kipcctl. Started on the first pipe, it
 * serves the whole run over a socket pair. kipcctl waits PROBE_WAIT_MS for
 * each answer; past that it kills the prober (the kill takes effect when
 * the close returns), never waits for it, and reads no depth again.
 */
static struct {
	pid_t pid;	/* 0: not started */
	int sock;	/* -1: none (not started, or given up) */
	int off;	/* no depths any more: failed or timed out */
	int killed;	/* the prober timed out: killed, not waited for */
	uint64_t ino[2];	/* the socket pair's inodes */
} prober = { .sock = -1 };

int sys_pipe_probe_sock(uint64_t ino)
{
	return ino && (ino == prober.ino[0] || ino == prober.ino[1]);
}

/* At exit: the prober reads the end of its socket and exits; reaped. */
static void probe_end(void)
{
	if (prober.sock >= 0)
		close(prober.sock);
	prober.sock = -1;
	if (!prober.pid)
		return;
	while (waitpid(prober.pid, NULL, prober.killed ? WNOHANG : 0) < 0 &&
	       errno == EINTR)
		;
	prober.pid = 0;
}

/* No more depths: @why said on stderr, the prober killed if @kill_it. */
static void probe_off(const char *why, int kill_it)
{
	prober.off = 1;
	if (why)
		fprintf(stderr, "kipcctl: %s; depths unknown from now on\n",
			why);
	if (prober.sock >= 0)
		close(prober.sock);
	prober.sock = -1;
	if (kill_it && prober.pid) {
		kill(prober.pid, SIGKILL);
		prober.killed = 1;
	}
}

static void close_from(int lowfd)
{
	long fd, max;

	if (!close_range(lowfd, ~0U, 0))
		return;
	max = sysconf(_SC_OPEN_MAX);	/* before Linux 5.9 */
	for (fd = lowfd; fd < max; fd++)
		close(fd);
}

/* Fork the prober; 0 or -errno. */
static int probe_start(void)
{
	int sv[2], err, i;
	struct stat st;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	for (i = 0; i < 2; i++)
		if (!fstat(sv[i], &st))
			prober.ino[i] = st.st_ino;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (!pid) {
		/*
		 * It keeps its socket alone, as fd 0: not kipcctl's standard
		 * output (a pipe whose reader would wait for its end as long
		 * as the prober hangs) nor any other of its files. Ctrl-C
		 * and SIGTERM are kipcctl's, which top catches to end its
		 * refresh (the prober would die in the middle of one): the
		 * prober ends when kipcctl closes the socket.
		 */
		if (dup2(sv[1], 0) < 0)
			_exit(1);
		close_from(1);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGWINCH, SIG_DFL);
		prctl(PR_SET_NAME, "kipcctl-probe");
		probe_serve(0);
	}
	close(sv[1]);
	prober.pid = pid;
	prober.sock = sv[0];
	atexit(probe_end);
	return 0;
}

/*
 * The prober's answer for @f into *@a (whether the writers block only
 * with @want_full); 0, or -1 when there is none.
 */
static int probe(const struct sys_fd *f, struct sys_pipe_depth *a,
		 int want_full)
{
	struct probe_req rq = {
		.pid = f->pid, .tid = f->tid, .fd = f->fd,
		.want_full = want_full, .ino = f->ino, .dev = f->dev,
	};
	struct pollfd p = { .events = POLLIN };
	long long deadline, left;
	char why[96];
	int ret;

	if (prober.off)
		return -1;
	if (!prober.pid) {
		ret = probe_start();
		if (ret) {
			snprintf(why, sizeof(why),
				 "pipes' depths: no helper process: %s",
				 strerror(-ret));
			probe_off(why, 0);
			return -1;
		}
	}
	if (send(prober.sock, &rq, sizeof(rq), MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    sizeof(rq)) {
		probe_off("pipes' depths: the helper process is gone", 1);
		return -1;
	}
	p.fd = prober.sock;
	deadline = (long long)(mono_ns() / 1000000) + PROBE_WAIT_MS;
	do {	/* top's signals cut the wait short: the rest is waited */
		left = deadline - (long long)(mono_ns() / 1000000);
		ret = poll(&p, 1, left > 0 ? (int)left : 0);
	} while (ret < 0 && errno == EINTR);
	if (!ret) {
		probe_off("a pipe's depth could not be read in time (a descriptor swapped for a file whose close blocks?)",
			  1);
		return -1;
	}
	if (ret < 0 || recv(prober.sock, a, sizeof(*a), MSG_DONTWAIT) !=
	    sizeof(*a)) {
		probe_off("pipes' depths: the helper process is gone", 1);
		return -1;
	}
	return 0;
}

/*
 * The prober's answer, into *@d, for the first descriptor among @f[0..n)
 * of a writer (@writer) or of a reader that does not write that can be
 * copied: one swapped for another file or closed since the scan, its
 * process gone, a thread's own table before Linux 6.9, leave the next to
 * try. 0, or -1 when none answered.
 */
static int probe_each(const struct sys_fd *f, size_t n, int writer,
		      struct sys_pipe_depth *d, int want_full)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sys_fd_is_writer(&f[i]) == writer &&
		    !probe(&f[i], d, want_full) && d->bytes >= 0)
			return 0;
	return -1;
}

/*
 * Only for root, and only when processes hold both ends: read by the
 * prober through a copy of one of the descriptors (pipe_copy()), a
 * writer's first, whose copy also tells, polled (@want_full), whether the
 * writers block.
 */
int sys_pipe_depth(const struct sys_fd *f, size_t n, struct sys_pipe_depth *d,
		   int want_full)
{
	int reader = 0, writer = 0;
	size_t i;

	if (geteuid())
		return -1;
	for (i = 0; i < n; i++) {
		reader |= sys_fd_is_reader(&f[i]);
		writer |= sys_fd_is_writer(&f[i]);
	}
	if (!reader || !writer ||
	    (probe_each(f, n, 1, d, want_full) &&
	     probe_each(f, n, 0, d, want_full)))
		return -1;
	/* Known from a reader's copy too: a page holds PAGE_SIZE bytes. */
	if (d->full < 0 && d->size > 0 && d->bytes >= d->size)
		d->full = 1;
	return 0;
}

static void print_pipe(const struct sys_fd *f, size_t n, size_t row)
{
	const char *type = f->kind == SYS_FD_PIPE ? "pipe" : "fifo";
	struct sys_pipe_depth d;
	long long queued = sys_pipe_depth(f, n, &d, 0) ? -1 : d.bytes;

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
