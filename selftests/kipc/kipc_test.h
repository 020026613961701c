/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kipc selftests.
 *
 * The kt_*() helpers issue raw ioctls (the selftests build inside a kernel
 * tree, without libkipc) and return a value >= 0 on success or -errno, so
 * that a test can write ASSERT_EQ(-EAGAIN, kt_...). They never touch
 * _metadata and are safe to call in forked children; the macros that do
 * (kipc_test_open(), kipc_test_require()) are for tests and fixtures only.
 */
#ifndef KIPC_TEST_H
#define KIPC_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/kipc.h>

#define KT_PARAM_DIR	"/sys/module/kipc/parameters/"

/* Open /dev/kipc; use where _metadata is in scope (a test or fixture). */
#define kipc_test_open(fd)						\
	do {								\
		(fd) = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);	\
		ASSERT_LE(0, (fd)) TH_LOG("open %s: %s",		\
					  KIPC_DEVICE_PATH,		\
					  strerror(errno));		\
	} while (0)

/* Features (KIPC_FEATURE_*) the module behind context @ctx implements. */
static inline uint64_t kt_features(int ctx)
{
	struct kipc_version v = { .size = sizeof(v) };

	if (ioctl(ctx, KIPC_IOC_VERSION, &v))
		return 0;
	return v.features;
}

/* SKIP the test unless the module implements every bit of @feat. */
#define kipc_test_require(ctx, feat)					\
	do {								\
		if ((kt_features(ctx) & (feat)) != (feat))		\
			SKIP(return, "module lacks feature 0x%llx",	\
			     (unsigned long long)(feat));		\
	} while (0)

static inline long kt_page(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* KIPC_IOC_REGION_CREATE: the new region fd or -errno; @rc gets the output. */
static inline int kt_region_create(int ctx, uint64_t bytes, uint64_t buf_size,
				   uint32_t flags, struct kipc_region_create *rc)
{
	struct kipc_region_create tmp;
	int fd;

	if (!rc)
		rc = &tmp;
	memset(rc, 0, sizeof(*rc));
	rc->size = sizeof(*rc);
	rc->flags = flags;
	rc->bytes = bytes;
	rc->buf_size = buf_size;
	fd = ioctl(ctx, KIPC_IOC_REGION_CREATE, rc);
	return fd < 0 ? -errno : fd;
}

/* KIPC_IOC_REGION_ATTACH: a new handle of @region or -errno. */
static inline int kt_region_attach(int region, uint32_t flags)
{
	struct kipc_region_attach ra = { .size = sizeof(ra), .flags = flags };
	int fd = ioctl(region, KIPC_IOC_REGION_ATTACH, &ra);

	return fd < 0 ? -errno : fd;
}

static inline int kt_region_info(int region, struct kipc_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->size = sizeof(*ri);
	return ioctl(region, KIPC_IOC_REGION_INFO, ri) ? -errno : 0;
}

/* nr_free of @region, or -errno. */
static inline long kt_region_free(int region)
{
	struct kipc_region_info ri;
	int ret = kt_region_info(region, &ri);

	return ret ? ret : (long)ri.nr_free;
}

static inline int kt_buf_alloc(int region, __u64 *offset)
{
	struct kipc_buf_alloc ba = { .size = sizeof(ba) };

	if (ioctl(region, KIPC_IOC_BUF_ALLOC, &ba)) {
		*offset = ~0ULL;
		return -errno;
	}
	*offset = ba.offset;
	return 0;
}

static inline int kt_buf_release(int region, uint64_t offset)
{
	struct kipc_buf_release br = { .size = sizeof(br), .offset = offset };

	return ioctl(region, KIPC_IOC_BUF_RELEASE, &br) ? -errno : 0;
}

/*
 * KIPC_IOC_CHANNEL_CREATE: 0 or -errno. @region_fd < 0 for an unbound
 * channel; @id may be NULL.
 */
static inline int kt_channel_create(int ctx, uint32_t flags, uint32_t depth,
				    uint32_t max_inline, int region_fd,
				    int *send_fd, int *recv_fd)
{
	struct kipc_channel_create cc = {
		.size = sizeof(cc), .flags = flags, .depth = depth,
		.max_inline = max_inline,
		.region_fd = region_fd < 0 ? KIPC_NO_FD : (uint32_t)region_fd,
	};

	*send_fd = *recv_fd = -1;
	if (ioctl(ctx, KIPC_IOC_CHANNEL_CREATE, &cc))
		return -errno;
	*send_fd = cc.send_fd;
	*recv_fd = cc.recv_fd;
	return 0;
}

/*
 * KIPC_IOC_SEND or KIPC_IOC_RECV of @nr messages: the number moved or
 * -errno. @region_fd < 0 for none; @deadline_ns is used with
 * KIPC_IO_TIMEOUT in @flags.
 */
static inline int kt_io(int fd, unsigned long cmd, struct kipc_msg *msgs,
			uint32_t nr, uint32_t flags, int region_fd,
			clockid_t clockid, uint64_t deadline_ns)
{
	struct kipc_io io = {
		.size = sizeof(io), .flags = flags,
		.msgs = (uintptr_t)msgs, .nr_msgs = nr,
		.msg_size = sizeof(*msgs),
		.region_fd = region_fd < 0 ? KIPC_NO_FD : (uint32_t)region_fd,
		.clockid = (uint32_t)clockid, .timeout_ns = deadline_ns,
	};
	int ret = ioctl(fd, cmd, &io);

	return ret < 0 ? -errno : ret;
}

static inline int kt_send(int fd, struct kipc_msg *msgs, uint32_t nr,
			  uint32_t flags)
{
	return kt_io(fd, KIPC_IOC_SEND, msgs, nr, flags, -1, 0, 0);
}

static inline int kt_recv(int fd, struct kipc_msg *msgs, uint32_t nr,
			  uint32_t flags)
{
	return kt_io(fd, KIPC_IOC_RECV, msgs, nr, flags, -1, 0, 0);
}

/* Send one inline message: 1 or -errno. */
static inline int kt_send1(int fd, const void *data, uint32_t len,
			   uint64_t tag, uint32_t flags)
{
	struct kipc_msg m = {
		.data = (uintptr_t)data, .data_len = len, .tag = tag,
	};

	return kt_send(fd, &m, 1, flags);
}

/* Receive one inline message into @buf (@room bytes): 1, 0 (EOF) or -errno. */
static inline int kt_recv1(int fd, void *buf, uint32_t room,
			   struct kipc_msg *m, uint32_t flags)
{
	struct kipc_msg tmp;

	if (!m)
		m = &tmp;
	memset(m, 0, sizeof(*m));
	m->data = (uintptr_t)buf;
	m->data_len = room;
	return kt_recv(fd, m, 1, flags);
}

/* Prepare @m to send @len bytes at @data with one buffer ref @ref. */
static inline void kt_msg_init(struct kipc_msg *m, const void *data,
			       uint32_t len, struct kipc_buf_ref *refs,
			       uint32_t nr_refs, uint64_t tag)
{
	memset(m, 0, sizeof(*m));
	m->data = (uintptr_t)data;
	m->data_len = len;
	m->bufs = (uintptr_t)refs;
	m->nr_bufs = nr_refs;
	m->tag = tag;
}

/*
 * Copy the value of "@key:\t" in /proc/self/fdinfo/@fd into @val (newline
 * stripped): 0, or -ENOENT when the key is absent, -errno on error.
 */
static inline int kt_fdinfo(int fd, const char *key, char *val, size_t size)
{
	char path[64], buf[4096], *p, *end;
	size_t klen = strlen(key);
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, klen) || p[klen] != ':' || p[klen + 1] != '\t')
			continue;
		p += klen + 2;
		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		snprintf(val, size, "%.*s", (int)(end - p), p);
		return 0;
	}
	return -ENOENT;
}

/* A numeric fdinfo value, or -1 when absent or not a number. */
static inline long long kt_fdinfo_num(int fd, const char *key)
{
	char val[64], *end;
	long long v;

	if (kt_fdinfo(fd, key, val, sizeof(val)))
		return -1;
	v = strtoll(val, &end, 0);
	return (end == val || *end) ? -1 : v;
}

/* Read module parameter @name into @val: 0 or -errno. */
static inline int kt_param_get(const char *name, char *val, size_t size)
{
	char path[128];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), KT_PARAM_DIR "%s", name);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, val, size - 1);
	close(f);
	if (n < 0)
		return -errno;
	while (n > 0 && val[n - 1] == '\n')
		n--;
	val[n] = '\0';
	return 0;
}

static inline int kt_param_set(const char *name, const char *val)
{
	char path[128];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), KT_PARAM_DIR "%s", name);
	f = open(path, O_WRONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = write(f, val, strlen(val));
	close(f);
	return n < 0 ? -errno : 0;
}

static inline uint64_t kt_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void kt_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * fork() for tests: the child is SIGKILLed when the test process dies (an
 * ASSERT that bails out leaves no child behind). Children report through
 * their exit status and must end with _exit().
 */
static inline pid_t kt_fork(void)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
	}
	return pid;
}

/*
 * Wait for @pid for up to @timeout_ms: its exit status, 128 + signal if it
 * was killed, -ETIMEDOUT (the child is then killed and reaped) or -errno.
 */
static inline int kt_wait(pid_t pid, unsigned int timeout_ms)
{
	unsigned int waited = 0;
	int status;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, &status, WNOHANG);
		if (ret < 0)
			return -errno;
		if (ret == pid)
			break;
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		kt_sleep_ms(5);
		waited += 5;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Kill and reap @pid if it is still running (for teardowns). */
static inline void kt_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * True once @pid sleeps (state S or D in /proc/PID/stat), waiting up to
 * @timeout_ms: used to know a child is blocked in the kernel.
 */
static inline int kt_wait_sleeping(pid_t pid, unsigned int timeout_ms)
{
	char path[64], buf[512], *p;
	unsigned int waited;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (waited = 0; waited <= timeout_ms; waited += 2) {
		f = open(path, O_RDONLY | O_CLOEXEC);
		if (f < 0)
			return 0;
		n = read(f, buf, sizeof(buf) - 1);
		close(f);
		if (n > 0) {
			buf[n] = '\0';
			p = strrchr(buf, ')');
			if (p && (p[2] == 'S' || p[2] == 'D'))
				return 1;
		}
		kt_sleep_ms(2);
	}
	return 0;
}

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

/*
 * KT_CHANNEL_FIXTURE(name, depth): a fixture holding a context (ctx), one
 * unbound channel of @depth (sfd, rfd) and a child (child) that teardown
 * reaps; for tests of a channel's own behaviour.
 */
#define KT_CHANNEL_FIXTURE(name, depth)					\
	FIXTURE(name) {							\
		int ctx;						\
		int sfd, rfd;						\
		pid_t child;						\
	};								\
	FIXTURE_SETUP(name)						\
	{								\
		int ret;						\
									\
		self->sfd = self->rfd = -1;				\
		self->child = 0;					\
		kipc_test_open(self->ctx);				\
		kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL);	\
		ret = kt_channel_create(self->ctx, 0, depth, 0, -1,	\
					&self->sfd, &self->rfd);	\
		ASSERT_EQ(0, ret) TH_LOG("channel create: %s",		\
					 strerror(-ret));		\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		kt_reap(self->child);					\
		if (self->sfd >= 0)					\
			close(self->sfd);				\
		if (self->rfd >= 0)					\
			close(self->rfd);				\
		close(self->ctx);					\
	}

#endif /* KIPC_TEST_H */
