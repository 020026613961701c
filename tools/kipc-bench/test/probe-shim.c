// SPDX-License-Identifier: GPL-2.0
/*
 * probe-shim.so: preloaded into kipc-bench by test-host.sh to put a probe
 * row in a state a test needs, which timing alone reaches only by chance.
 * KB_SHIM says which:
 *
 * wake-sleep:	each FUTEX_WAKE made through syscall() is logged ("wake
 *		0" by side 0, the parent; "wake 1" by side 1) to the file
 *		KB_SHIM_LOG, and side 0 sleeps 20 ms after each of its own:
 *		side 1 answers, on side 0's CPU, before side 0 waits for the
 *		answer (2 ms was too short when a shared host took the CPU).
 * kill-write:N	side 0's Nth write() after fork first kills side 1 and
 *		returns once side 0 has taken its SIGCHLD: the peer dies
 *		between the probe's last test of kb_abort and its next wait,
 *		which nothing else would end.
 * kill-wait:N	the same at side 0's Nth FUTEX_WAIT.
 *
 * Side 0 is the process that forked (the last fork's child is its peer);
 * each kill is logged ("kill").
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/wait.h>

enum { SHIM_NONE, SHIM_WAKE_SLEEP, SHIM_KILL_WRITE, SHIM_KILL_WAIT };

static int shim_mode, shim_log = -1;
static long shim_nth, shim_calls;
static pid_t shim_child;	/* in side 0: its peer; in side 1: -1 */
static int shim_fired;

static ssize_t (*real_write)(int, const void *, size_t);
static long (*real_syscall)(long, ...);
static pid_t (*real_fork)(void);

__attribute__((constructor)) static void shim_init(void)
{
	const char *m = getenv("KB_SHIM"), *log = getenv("KB_SHIM_LOG");

	real_write = dlsym(RTLD_NEXT, "write");
	real_syscall = dlsym(RTLD_NEXT, "syscall");
	real_fork = dlsym(RTLD_NEXT, "fork");
	if (!m)
		return;
	if (!strcmp(m, "wake-sleep"))
		shim_mode = SHIM_WAKE_SLEEP;
	else if (!strncmp(m, "kill-write:", 11))
		shim_mode = SHIM_KILL_WRITE, shim_nth = atol(m + 11);
	else if (!strncmp(m, "kill-wait:", 10))
		shim_mode = SHIM_KILL_WAIT, shim_nth = atol(m + 10);
	if (log)
		shim_log = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				0644);
}

static void shim_note(const char *what)
{
	int saved = errno;

	if (shim_log >= 0 && real_write(shim_log, what, strlen(what)) < 0)
		perror("probe-shim: log");
	errno = saved;
}

pid_t fork(void)
{
	pid_t pid = real_fork();

	if (pid > 0)
		shim_child = pid;
	else if (!pid)
		shim_child = -1;
	return pid;
}

/* Side 0, once: kill side 1 and return when its SIGCHLD has been taken. */
static void shim_kill_peer(int mode)
{
	int saved = errno;
	siginfo_t si;

	if (shim_mode != mode || shim_child <= 0 || shim_fired ||
	    ++shim_calls != shim_nth)
		return;
	shim_fired = 1;
	shim_note("kill\n");
	kill(shim_child, SIGKILL);
	/*
	 * Until side 1 is a zombie (not reaped: the harness's waitpid()
	 * reaps it). Its SIGCHLD was sent before the wait returns, and its
	 * handler runs on the way back to user space.
	 */
	while (waitid(P_PID, shim_child, &si, WEXITED | WNOWAIT) &&
	       errno == EINTR)
		;
	errno = saved;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	shim_kill_peer(SHIM_KILL_WRITE);
	return real_write(fd, buf, len);
}

long syscall(long nr, ...)
{
	struct timespec pause = { 0, 20000000 };
	long a[6], ret;
	va_list ap;
	int i, op;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	op = nr == SYS_futex ? (int)(a[1] & FUTEX_CMD_MASK) : -1;
	if (op == FUTEX_WAIT)
		shim_kill_peer(SHIM_KILL_WAIT);
	ret = real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (op == FUTEX_WAKE && shim_mode == SHIM_WAKE_SLEEP) {
		int saved = errno;

		shim_note(shim_child > 0 ? "wake 0\n" : "wake 1\n");
		if (shim_child > 0)
			nanosleep(&pause, NULL);
		errno = saved;
	}
	return ret;
}
