// SPDX-License-Identifier: GPL-2.0
/*
 * fake-tracefs.so, LD_PRELOADed by test-sys.sh: the trace instances of
 * kipcctl trace without a kipc module (the host test loads none): the
 * paths under /sys/kernel/tracing/instances are those under
 * $FAKE_TRACEFS/instances. An instance made there has the kipc_msg_recv
 * event's enable file, and its trace_pipe is $FAKE_TRACEFS/trace_pipe, a
 * FIFO the test writes events into. Removing the instance removes what
 * it holds. With $FAKE_TRACEFS_SIGINT_AT_END set, a read that finds the
 * end of a FIFO raises SIGINT before it returns: the signal that comes
 * just as the pipe ends, which no timing of a test hits for sure.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define INSTANCES	"/sys/kernel/tracing/instances"
#define EVENT_DIRS	3	/* events, events/kipc, events/kipc/kipc_msg_recv */

static const char *const event_dir[EVENT_DIRS] = {
	"events", "events/kipc", "events/kipc/kipc_msg_recv",
};

/* @path under $FAKE_TRACEFS when it is an instance's, into @buf. */
static const char *redirect(const char *path, char *buf)
{
	const char *root = getenv("FAKE_TRACEFS");

	if (!root || strncmp(path, INSTANCES, strlen(INSTANCES)))
		return path;
	snprintf(buf, PATH_MAX, "%s/instances%s", root,
		 path + strlen(INSTANCES));
	return buf;
}

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

int stat(const char *path, struct stat *st)
{
	int (*real)(const char *, struct stat *) = next("stat");
	char buf[PATH_MAX];

	return real(redirect(path, buf), st);
}

/* kipcctl's open() (64-bit: no open64()). */
int open(const char *path, int flags, ...)
{
	int (*real)(const char *, int, ...) = next("open");
	char buf[PATH_MAX];
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return real(redirect(path, buf), flags, mode);
}

/* In instance directory @dir: the event's directories and files. */
static int fill(const char *dir)
{
	char path[PATH_MAX + 64], target[PATH_MAX];
	int i, fd;

	for (i = 0; i < EVENT_DIRS; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, event_dir[i]);
		if (mkdir(path, 0700))
			return -1;
	}
	snprintf(path, sizeof(path), "%s/%s/enable", dir,
		 event_dir[EVENT_DIRS - 1]);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(path, sizeof(path), "%s/trace_pipe", dir);
	snprintf(target, sizeof(target), "%s/trace_pipe",
		 getenv("FAKE_TRACEFS"));
	return symlink(target, path);
}

int mkdir(const char *path, mode_t mode)
{
	int (*real)(const char *, mode_t) = next("mkdir");
	char buf[PATH_MAX];
	const char *to = redirect(path, buf);

	if (real(to, mode))
		return -1;
	return to == path ? 0 : fill(to);
}

int rmdir(const char *path)
{
	int (*real)(const char *) = next("rmdir");
	char buf[PATH_MAX], in[PATH_MAX + 64];
	const char *to = redirect(path, buf);
	int i;

	if (to != path) {
		snprintf(in, sizeof(in), "%s/trace_pipe", to);
		unlink(in);
		snprintf(in, sizeof(in), "%s/%s/enable", to,
			 event_dir[EVENT_DIRS - 1]);
		unlink(in);
		for (i = EVENT_DIRS - 1; i >= 0; i--) {
			snprintf(in, sizeof(in), "%s/%s", to, event_dir[i]);
			real(in);
		}
	}
	return real(to);
}

/* After read @n of @len bytes of @fd: SIGINT at a FIFO's end, if asked. */
static ssize_t sigint_at_end(int fd, size_t len, ssize_t n)
{
	struct stat st;

	if (!n && len && getenv("FAKE_TRACEFS_SIGINT_AT_END") &&
	    !fstat(fd, &st) && S_ISFIFO(st.st_mode))
		raise(SIGINT);
	return n;
}

ssize_t read(int fd, void *buf, size_t len)
{
	ssize_t (*real)(int, void *, size_t) = next("read");

	return sigint_at_end(fd, len, real(fd, buf, len));
}

/* read() of a kipcctl built with _FORTIFY_SOURCE (Debian's packages). */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	ssize_t (*real)(int, void *, size_t, size_t) = next("__read_chk");

	return sigint_at_end(fd, len, real(fd, buf, len, buflen));
}
