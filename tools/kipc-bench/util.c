// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: small helpers shared by every file: time, parsing, memory,
 * file descriptor I/O and error reporting.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kipc-bench.h"

/* Set from signal handlers: the peer died or the watchdog fired. */
volatile int kb_abort;

uint64_t kb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Parse a decimal count; 0 or -EINVAL. */
int kb_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

/* Parse a size with an optional binary suffix: 8, 4K, 1M, 64M, 1G. */
int kb_parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (*end && strcmp(end + 1, "") && strcmp(end + 1, "i") &&
	    strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
		return -EINVAL;
	if (v > (KB_MAX_SIZE >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

/* The shortest exact form of a size: 8, 4K, 1M. */
void kb_format_size(char *buf, size_t len, size_t size)
{
	static const char suffix[] = "\0KMG";
	unsigned int i = 0;

	while (i < 3 && size && !(size & 1023)) {
		size >>= 10;
		i++;
	}
	snprintf(buf, len, "%zu%.1s", size, &suffix[i]);
}

/* Private anonymous memory, prefaulted so that no row measures faults. */
void *kb_map(size_t len)
{
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void kb_unmap(void *p, size_t len)
{
	if (p && munmap(p, len))
		kb_warn("munmap: %s", strerror(errno));
}

/* Sleep until @fd is ready for @events; 0 or -errno. */
int kb_wait_fd(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		if (kb_abort)
			return -EINTR;
		if (poll(&pfd, 1, -1) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* Write all of @buf; 0 or -errno.  Copes with O_NONBLOCK. */
int kb_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;
	int ret;

	while (len) {
		n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n == 0)
			return -EPIPE;
		if (errno == EAGAIN) {
			ret = kb_wait_fd(fd, POLLOUT);
			if (ret)
				return ret;
		} else if (errno != EINTR || kb_abort) {
			return -errno;
		}
	}
	return 0;
}

/*
 * Read exactly @len bytes.  With @nonblock (fd in O_NONBLOCK), return
 * -EAGAIN while nothing has arrived and spin for the rest once something has;
 * without it, sleep (in poll() if the fd is non-blocking).  End of file is
 * -EPIPE: the peer died.
 */
int kb_read_all(int fd, void *buf, size_t len, bool nonblock)
{
	size_t got = 0;
	ssize_t n;
	int ret;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n > 0) {
			got += n;
			continue;
		}
		if (n == 0)
			return -EPIPE;
		if (errno == EAGAIN) {
			if (nonblock && !got)
				return -EAGAIN;
			if (kb_abort)
				return -EINTR;
			if (nonblock)
				continue;
			ret = kb_wait_fd(fd, POLLIN);
			if (ret)
				return ret;
		} else if (errno != EINTR || kb_abort) {
			return -errno;
		}
	}
	return 0;
}

int kb_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	if (fcntl(fd, F_SETFL, fl) < 0)
		return -errno;
	return 0;
}

/* A unique name for a temporary object: kipc-bench-PID-N-WHAT. */
int kb_tmpname(char *buf, size_t len, const char *what)
{
	static unsigned int seq;
	int n;

	n = snprintf(buf, len, "kipc-bench-%d-%u-%s", (int)getpid(), seq++,
		     what);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void kb_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("kipc-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Report a failed call as "what: strerror" in @why; returns @err. */
int kb_err(int err, char *why, size_t len, const char *what)
{
	snprintf(why, len, "%s: %s", what, strerror(-err));
	return err;
}

/* Open an output file; "-" is stdout.  NULL with errno, reported. */
FILE *kb_open_out(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f)
		kb_warn("%s: %s", path, strerror(errno));
	return f;
}

/* Flush and close an output file; 0 or -errno, reported. */
int kb_close_out(FILE *f, const char *path)
{
	int ret = 0;

	if (fflush(f) || ferror(f))
		ret = errno ? -errno : -EIO;
	if (f != stdout && fclose(f) && !ret)
		ret = -errno;
	if (ret)
		kb_warn("%s: %s", path, strerror(-ret));
	return ret;
}
