/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kipc selftests.
 *
 * The raw-ioctl helpers are in kipc_ioctl.h (shared with tools/debuglane);
 * these, like them, return a value >= 0 on success or -errno, so that a
 * test can write ASSERT_EQ(-EAGAIN, kt_...). They never touch _metadata and
 * are safe to call in forked children; the macros that do
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

#include "kipc_ioctl.h"
#include "kt_leftovers.h"

/* Open /dev/kipc; use where _metadata is in scope (a test or fixture). */
#define kipc_test_open(fd)						\
	do {								\
		(fd) = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);	\
		ASSERT_LE(0, (fd)) TH_LOG("open %s: %s",		\
					  KIPC_DEVICE_PATH,		\
					  strerror(errno));		\
	} while (0)

/* SKIP the test unless the module implements every bit of @feat. */
#define kipc_test_require(ctx, feat)					\
	do {								\
		if ((kt_features(ctx) & (feat)) != (feat))		\
			SKIP(return, "module lacks feature 0x%llx",	\
			     (unsigned long long)(feat));		\
	} while (0)

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
 * Whether task @tid's state (/proc/TID/stat's third field) is one of
 * @states now ("S": asleep interruptibly; "SD": asleep).
 */
static inline int kt_task_in_state(pid_t tid, const char *states)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] && strchr(states, p[2]);
}

/*
 * True once task @tid's state is one of @states (kt_task_in_state()),
 * waiting up to @timeout_ms; 0 when it never was or is gone.
 */
static inline int kt_wait_state(pid_t tid, const char *states,
				unsigned int timeout_ms)
{
	unsigned int waited;

	for (waited = 0; waited <= timeout_ms; waited++) {
		if (kt_task_in_state(tid, states))
			return 1;
		kt_sleep_ms(1);
	}
	return 0;
}

/*
 * True once @pid sleeps (state S or D in /proc/PID/stat), waiting up to
 * @timeout_ms: used to know a child is blocked in the kernel.
 */
static inline int kt_wait_sleeping(pid_t pid, unsigned int timeout_ms)
{
	return kt_wait_state(pid, "SD", timeout_ms);
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

/*
 * Helpers of the security regression tests (issue 12). Appended: the
 * helpers above stay as they were.
 */
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/userfaultfd.h>

#define KT_NOBODY	65534	/* the unprivileged user of the tests */
#define KT_OTHER_UID	65533	/* a second unprivileged user */

/*
 * A copy of @len bytes of @src on a page of its own made read-only, for an
 * argument the module cannot write back; kt_read_only_free() unmaps it.
 * NULL if it cannot be made.
 */
static inline void *kt_read_only(const void *src, size_t len)
{
	void *p;

	if (len > 4096)
		return NULL;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, src, len);
	if (mprotect(p, 4096, PROT_READ)) {
		munmap(p, 4096);
		return NULL;
	}
	return p;
}

static inline void kt_read_only_free(void *p)
{
	munmap(p, 4096);
}

/* Drop to @uid/@gid with no supplementary group: 0 or -errno. */
/*
 * Pass @fd over the Unix socket @sock with the @len bytes at @buf (one at
 * least): 0, or -errno (a short send is -EIO).
 */
static inline int kt_send_fd(int sock, int fd, const void *buf, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ssize_t n;

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/*
 * Receive what kt_send_fd() sent, its @len bytes into @buf: the fd (close
 * on exec), or -1 when the message or its fd is not there.
 */
static inline int kt_recv_fd(int sock, void *buf, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)len)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static inline int kt_become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
		return -errno;
	return 0;
}

/*
 * /proc/sys/kernel/tainted, or -1. A kernel report (oops: TAINT_DIE, bit
 * 7; WARN: TAINT_WARN, bit 9) sets a bit for good, so a test compares the
 * value before and after: on the cloud kernels, without panic_on_warn, a
 * WARN leaves no other trace a test can see.
 */
#define KT_TAINT_REPORTS	((1L << 7) | (1L << 9))

static inline long kt_taint(void)
{
	char buf[32];
	ssize_t n;
	int f;

	f = open("/proc/sys/kernel/tainted", O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Report bits (oops, WARN) set since @before, a kt_taint() value. */
static inline long kt_new_reports(long before)
{
	long now = kt_taint();

	if (before < 0 || now < 0)
		return 0;
	return now & ~before & KT_TAINT_REPORTS;
}

/*
 * A module parameter a test changes and restores: kt_param_save() before
 * the first change, kt_param_restore() in the teardown.
 */
struct kt_param {
	const char *name;
	char saved[64];
	int have;
};

static inline int kt_param_save(struct kt_param *p)
{
	int ret = kt_param_get(p->name, p->saved, sizeof(p->saved));

	p->have = !ret;
	return ret;
}

static inline void kt_param_restore(struct kt_param *p)
{
	if (p->have && kt_param_set(p->name, p->saved))
		fprintf(stderr, "# could not restore %s%s to %s\n",
			KT_PARAM_DIR, p->name, p->saved);
	p->have = 0;
}

static inline int kt_param_set_num(const char *name, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return kt_param_set(name, buf);
}

/*
 * Save parameter @p, failing the test when it does not exist: a parameter
 * the contract of issue 12 adds is required, its absence (the module of
 * 38ea9ff) is a failure, not a reason to skip.
 */
#define kt_param_require(p)						\
	do {								\
		int __ret = kt_param_save(p);				\
		ASSERT_EQ(0, __ret)					\
			TH_LOG("module parameter %s%s: %s; issue 12 "	\
			       "requires it (a module without the fix?)", \
			       KT_PARAM_DIR, (p)->name, strerror(-__ret)); \
	} while (0)

/*
 * The buffer pool invariant at a quiescent point: nr_free + the nr_owned
 * of every handle + nr_in_flight == nr_bufs. @handles must be every open
 * handle of one region. Return: 0, or -1 with the counts in @why.
 */
static inline int kt_pool_consistent(const int *handles, int n, char *why,
				     size_t size)
{
	struct kipc_region_info ri = { 0 };
	unsigned long owned = 0;
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = kt_region_info(handles[i], &ri);
		if (ret) {
			snprintf(why, size, "REGION_INFO: %s", strerror(-ret));
			return -1;
		}
		owned += ri.nr_owned;
	}
	if (ri.nr_free > ri.nr_bufs ||
	    ri.nr_free + owned + ri.nr_in_flight != ri.nr_bufs) {
		snprintf(why, size, "nr_free %u + nr_owned %lu + nr_in_flight %u != nr_bufs %u",
			 ri.nr_free, owned, ri.nr_in_flight, ri.nr_bufs);
		return -1;
	}
	return 0;
}

/*
 * Take every free buffer of the region of handle @region through a new
 * non-blocking handle, checking that no offset comes twice, that each is
 * a buffer start inside the region, and that as many come as REGION_INFO
 * said were free; then close that handle (its buffers go back). This is
 * how a double free in the pool shows from user space on a kernel that
 * does not report it. Return: the number taken, or -1 with @why.
 */
static inline int kt_pool_alloc_all(int region, char *why, size_t size)
{
	struct kipc_region_info ri;
	unsigned char *seen;
	int h, n = 0, ret;
	__u64 off, i;

	h = kt_region_attach(region, KIPC_FD_NONBLOCK | KIPC_FD_CLOEXEC);
	if (h < 0) {
		snprintf(why, size, "REGION_ATTACH: %s", strerror(-h));
		return -1;
	}
	ret = kt_region_info(h, &ri);
	if (ret || !ri.buf_size) {
		snprintf(why, size, "REGION_INFO: %s", ret ? strerror(-ret) :
			 "no pool");
		close(h);
		return -1;
	}
	seen = calloc(ri.nr_bufs + 1, 1);
	if (!seen) {
		close(h);
		snprintf(why, size, "out of memory");
		return -1;
	}
	/* At most nr_bufs + 2 tries: a corrupt pool may give more. */
	for (i = 0; i < (__u64)ri.nr_bufs + 2; i++) {
		ret = kt_buf_alloc(h, &off);
		if (ret == -EAGAIN)
			break;
		if (ret) {
			snprintf(why, size, "BUF_ALLOC: %s", strerror(-ret));
			n = -1;
			break;
		}
		if (off >= ri.bytes || off % ri.buf_size) {
			snprintf(why, size, "BUF_ALLOC gave offset %llu: not a buffer of a %llu-byte region of %llu-byte buffers",
				 (unsigned long long)off,
				 (unsigned long long)ri.bytes,
				 (unsigned long long)ri.buf_size);
			n = -1;
			break;
		}
		if (seen[off / ri.buf_size]++) {
			snprintf(why, size, "BUF_ALLOC gave offset %llu twice (a buffer freed twice)",
				 (unsigned long long)off);
			n = -1;
			break;
		}
		n++;
	}
	if (n >= 0 && (unsigned int)n != ri.nr_free) {
		snprintf(why, size, "%d buffers allocated, REGION_INFO said %u were free",
			 n, ri.nr_free);
		n = -1;
	}
	free(seen);
	close(h);
	return n;
}

/*
 * userfaultfd, to hold a copy-out of the kernel on a page: the copy blocks
 * in the fault until the test wakes it. The test can then make the copy
 * fail (EFAULT) by unmapping the page before the wake. Faults of the kernel
 * (not of user mode) need CAP_SYS_PTRACE or vm.unprivileged_userfaultfd.
 * Return: the uffd (non-blocking) or -errno.
 */
static inline int kt_uffd_open(__u64 features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/* Register [@addr, @addr + @len) with @mode (UFFDIO_REGISTER_MODE_*). */
static inline int kt_uffd_register(int fd, void *addr, size_t len, __u64 mode)
{
	struct uffdio_register r = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = mode,
	};

	return ioctl(fd, UFFDIO_REGISTER, &r) ? -errno : 0;
}

/* Write-protect [@addr, @addr + @len) (registered with MODE_WP). */
static inline int kt_uffd_wp(int fd, void *addr, size_t len)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};

	return ioctl(fd, UFFDIO_WRITEPROTECT, &wp) ? -errno : 0;
}

/*
 * Wait up to @ms for a page fault on @fd: 0 with its address in *@addr,
 * -ETIMEDOUT, or -errno.
 */
static inline int kt_uffd_wait_fault(int fd, unsigned int ms, __u64 *addr)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct uffd_msg msg;
	ssize_t n;
	int ret;

	for (;;) {
		ret = poll(&p, 1, ms);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (!ret)
			return -ETIMEDOUT;
		n = read(fd, &msg, sizeof(msg));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n != sizeof(msg))
			return n < 0 ? -errno : -EIO;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		*addr = msg.arg.pagefault.address;
		return 0;
	}
}

/*
 * Make a copy-out blocked on @page (@len bytes, registered on @fd) fail:
 * unmap the page, then wake the fault, which finds no mapping any more.
 */
static inline int kt_uffd_fail(int fd, void *page, size_t len)
{
	struct uffdio_range r = { .start = (uintptr_t)page, .len = len };

	if (munmap(page, len))
		return -errno;
	return ioctl(fd, UFFDIO_WAKE, &r) ? -errno : 0;
}

/*
 * The same for an argument made read-only meanwhile: @page stays mapped,
 * readable (the caller unmaps it), and the woken write finds no write
 * permission (EFAULT). For a copy-out held by a write-protect fault.
 */
static inline int kt_uffd_fail_read_only(int fd, void *page, size_t len)
{
	struct uffdio_range r = { .start = (uintptr_t)page, .len = len };

	if (mprotect(page, len, PROT_READ))
		return -errno;
	return ioctl(fd, UFFDIO_WAKE, &r) ? -errno : 0;
}

/*
 * A generic netlink socket bound to the kipc family, for requests whose
 * answers a test only counts.
 */
struct kt_genl {
	int fd;
	__u16 family;
	__u32 seq;
};

struct kt_genl_req {
	struct nlmsghdr nlh;
	struct genlmsghdr g;
	char attrs[64];
};

static inline void kt_genl_init(struct kt_genl *g, struct kt_genl_req *r,
				__u16 type, __u8 cmd, __u16 flags)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->nlh.nlmsg_seq = ++g->seq;
	r->g.cmd = cmd;
	r->g.version = 1;
}

static inline void kt_genl_attr(struct kt_genl_req *r, __u16 type,
				const void *data, __u16 len)
{
	struct nlattr *a = (void *)((char *)r + NLMSG_ALIGN(r->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Each attribute @a of the generic netlink message @h; @len is scratch. */
#define kt_for_each_attr(a, len, h)					\
	for (a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN),		\
	     len = (h)->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);		\
	     len >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&	\
	     a->nla_len <= len;						\
	     len -= NLA_ALIGN(a->nla_len),				\
	     a = (void *)((char *)a + NLA_ALIGN(a->nla_len)))

/* The payload of attribute @a as a u32 or a u64. */
static inline __u32 kt_attr_u32(const struct nlattr *a)
{
	__u32 v;

	memcpy(&v, (const char *)a + NLA_HDRLEN, sizeof(v));
	return v;
}

static inline __u64 kt_attr_u64(const struct nlattr *a)
{
	__u64 v;

	memcpy(&v, (const char *)a + NLA_HDRLEN, sizeof(v));
	return v;
}

/*
 * Send @r and read the answers until its ack or the end of its dump:
 * the error of the ack (0 or -errno). @fn (may be NULL) is called on each
 * answer before it, with @arg.
 */
static inline int kt_genl_run_each(struct kt_genl *g, struct kt_genl_req *r,
				   void (*fn)(const struct nlmsghdr *h,
					      void *arg),
				   void *arg)
{
	static __thread char buf[32768];
	struct nlmsghdr *h;
	int n;

	if (send(g->fd, r, r->nlh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		n = recv(g->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->nlh.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return *(int *)NLMSG_DATA(h);
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (fn)
				fn(h, arg);
		}
	}
}

/* kt_genl_run()'s walker: counts answers, notes a family id found. */
struct kt_genl_count {
	struct kt_genl *g;
	int count;
};

static inline void kt_genl_count_msg(const struct nlmsghdr *h, void *arg)
{
	struct kt_genl_count *c = arg;
	struct nlattr *a;
	int len;

	c->count++;
	if (h->nlmsg_type != GENL_ID_CTRL)
		return;
	kt_for_each_attr(a, len, h)
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(&c->g->family, (char *)a + NLA_HDRLEN, 2);
}

/*
 * Send @r and read the answers until its ack or the end of its dump:
 * the error of the ack (0 or -errno). The answers before it are counted
 * in *@nr_msgs (may be NULL); for CTRL_CMD_GETFAMILY the family id found
 * is stored in g->family.
 */
static inline int kt_genl_run(struct kt_genl *g, struct kt_genl_req *r,
			      int *nr_msgs)
{
	struct kt_genl_count c = { .g = g };
	int ret = kt_genl_run_each(g, r, kt_genl_count_msg, &c);

	if (nr_msgs)
		*nr_msgs = c.count;
	return ret;
}

/* Open @g on the kipc family: 0, -ENOENT (no family) or -errno. */
static inline int kt_genl_open(struct kt_genl *g)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct kt_genl_req r;
	int ret;

	memset(g, 0, sizeof(*g));
	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (g->fd < 0)
		return -errno;
	if (bind(g->fd, (void *)&sa, sizeof(sa))) {
		ret = -errno;
		close(g->fd);
		return ret;
	}
	kt_genl_init(g, &r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	kt_genl_attr(&r, CTRL_ATTR_FAMILY_NAME, KIPC_GENL_NAME,
		     sizeof(KIPC_GENL_NAME));
	ret = kt_genl_run(g, &r, NULL);
	if (!ret && !g->family)
		ret = -ENOENT;
	if (ret)
		close(g->fd);
	return ret;
}

/* One request of @cmd on @g (@flags: NLM_F_DUMP or 0), an optional u64 attribute. */
static inline int kt_genl_call(struct kt_genl *g, __u8 cmd, __u16 flags,
			       __u16 attr, __u64 val, int *nr_msgs)
{
	struct kt_genl_req r;

	kt_genl_init(g, &r, g->family, cmd, flags);
	if (attr)
		kt_genl_attr(&r, attr, &val, sizeof(val));
	return kt_genl_run(g, &r, nr_msgs);
}

/* kt_stat_get()'s walker: the value of one attribute of the answer. */
struct kt_stat_pick {
	__u16 attr;
	int found;
	__u64 val;
};

static inline void kt_stat_pick_msg(const struct nlmsghdr *h, void *arg)
{
	struct kt_stat_pick *p = arg;
	struct nlattr *a;
	int len;

	kt_for_each_attr(a, len, h)
		if (a->nla_type == p->attr) {
			p->val = kt_attr_u64(a);
			p->found = 1;
		}
}

/*
 * One request of @cmd (with the u32 attribute @key_attr = @key unless
 * @key_attr is 0); its answer's u64 attribute @attr into *@val: 0,
 * -ENOENT when the answer lacks it, or -errno.
 */
static inline int kt_genl_get_u64(__u8 cmd, __u16 key_attr, __u32 key,
				  __u16 attr, __u64 *val)
{
	struct kt_stat_pick p = { .attr = attr };
	struct kt_genl_req r;
	struct kt_genl g;
	int ret;

	ret = kt_genl_open(&g);
	if (ret)
		return ret;
	kt_genl_init(&g, &r, g.family, cmd, 0);
	if (key_attr)
		kt_genl_attr(&r, key_attr, &key, sizeof(key));
	ret = kt_genl_run_each(&g, &r, kt_stat_pick_msg, &p);
	close(g.fd);
	if (!ret && !p.found)
		ret = -ENOENT;
	*val = p.val;
	return ret;
}

/*
 * Global counter @attr (KIPC_A_STATS_*) of KIPC_CMD_STATS_GET into *@val:
 * 0, -ENOENT when the answer lacks it, or -errno.
 */
static inline int kt_stat_get(__u16 attr, __u64 *val)
{
	return kt_genl_get_u64(KIPC_CMD_STATS_GET, 0, 0, attr, val);
}

/* Mappings of lent ranges ("[kipc-lend]") in this process, or -1. */
static inline int kt_lend_mappings(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, "kipc-lend");
	fclose(f);
	return n;
}

#endif /* KIPC_TEST_H */
