// SPDX-License-Identifier: GPL-2.0
/*
 * libkipc argument checks and errors that need no module (make host-test),
 * also run with the module loaded (tools/vm/kipc-examples).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <kipc.h>

/*
 * A stand-in for the module: this program's ioctl() and open() take the
 * place of libc's for libkipc.so (the executable's symbols come first).
 * ioctl() answers KIPC_IOC_REGION_INFO for one fd, fake_region_fd (a
 * memfd, which maps like a region), notes the msg_size that channel I/O
 * and calls pass, and hands everything else to the kernel. open() opens
 * /dev/null for KIPC_DEVICE_PATH while fake_device is set: a handle
 * without the module. The test also runs in the guest, with the module.
 */
static int fake_device;
static int fake_region_fd = -1;
static uint64_t fake_region_bytes = 4096;
static int seen_msg_size = -1;

int ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (cmd == KIPC_IOC_REGION_INFO && fd >= 0 && fd == fake_region_fd) {
		struct kipc_region_info *ri = arg;

		ri->bytes = fake_region_bytes;
		ri->buf_size = 0;
		ri->id = 7;
		ri->nr_bufs = 0;
		return 0;
	}
	if (cmd == KIPC_IOC_SEND || cmd == KIPC_IOC_RECV)
		seen_msg_size = (int)((struct kipc_io *)arg)->msg_size;
	if (cmd == KIPC_IOC_CALL)
		seen_msg_size = (int)((struct kipc_call *)arg)->msg_size;
	return (int)syscall(SYS_ioctl, fd, cmd, arg);
}

int open(const char *path, int flags, ...)
{
	int mode = 0;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (fake_device && !strcmp(path, KIPC_DEVICE_PATH))
		path = "/dev/null";
	return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

/* A fake region's fd, without FD_CLOEXEC as if received without it. */
static int fake_region(void)
{
	int fd = memfd_create("fake-kipc-region", 0);

	if (fd < 0 || ftruncate(fd, 4096) < 0)
		return -1;
	fake_region_fd = fd;
	fake_region_bytes = 4096;
	return fd;
}

static int cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -errno : !!(fl & FD_CLOEXEC);
}

TEST(open_rejects_null_handle)
{
	EXPECT_EQ(-EINVAL, kipc_open(NULL, 0));
}

TEST(open_rejects_unknown_flags)
{
	struct kipc *k = NULL;

	EXPECT_EQ(-EINVAL, kipc_open(&k, 1));
	EXPECT_EQ(NULL, k);
}

TEST(open_reports_missing_device_as_errno)
{
	struct kipc *k = NULL;

	if (!access(KIPC_DEVICE_PATH, F_OK))
		SKIP(return, "%s exists on this machine", KIPC_DEVICE_PATH);
	EXPECT_EQ(-ENOENT, kipc_open(&k, 0));
	EXPECT_EQ(NULL, k);
}

TEST(null_handles_are_einval)
{
	struct kipc_version_info info;

	EXPECT_EQ(-EINVAL, kipc_close(NULL));
	EXPECT_EQ(-EINVAL, kipc_fd(NULL));
	EXPECT_EQ(-EINVAL, kipc_version(NULL, &info));
}

/* A handle-shaped object over a file that is not kipc: /dev/null. */
static int devnull(void)
{
	return open("/dev/null", O_RDWR | O_CLOEXEC);
}

TEST(region_null_arguments_are_einval)
{
	struct kipc_region *r = NULL;
	struct kipc_region_status st;
	uint64_t off;

	EXPECT_EQ(-EINVAL, kipc_region_create(NULL, 4096, 4096, 0, &r));
	EXPECT_EQ(-EINVAL, kipc_region_open_fd(0, 0, NULL));
	EXPECT_EQ(-EINVAL, kipc_region_attach(NULL, 0, &r));
	EXPECT_EQ(-EINVAL, kipc_region_close(NULL));
	EXPECT_EQ(-EINVAL, kipc_region_fd(NULL));
	EXPECT_EQ(NULL, kipc_region_base(NULL));
	EXPECT_EQ(0, kipc_region_size(NULL));
	EXPECT_EQ(0, kipc_region_buf_size(NULL));
	EXPECT_EQ(-EINVAL, kipc_region_info(NULL, &st));
	EXPECT_EQ(-EINVAL, kipc_buf_alloc(NULL, &off));
	EXPECT_EQ(-EINVAL, kipc_buf_release(NULL, 0));
	EXPECT_EQ(NULL, r);
}

TEST(region_open_fd_rejects_bad_fds_and_flags)
{
	struct kipc_region *r = NULL;
	int fd = devnull();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADF, kipc_region_open_fd(-1, 0, &r));
	EXPECT_EQ(-EINVAL, kipc_region_open_fd(fd, 1U << 30, &r));
	/* An adopted fd keeps its flags: NONBLOCK needs OPEN_ATTACH. */
	EXPECT_EQ(-EINVAL, kipc_region_open_fd(fd, KIPC_FD_NONBLOCK, &r));
	/* Not a region: REGION_INFO is ENOTTY; the caller keeps the fd. */
	EXPECT_EQ(-ENOTTY, kipc_region_open_fd(fd, 0, &r));
	EXPECT_EQ(-ENOTTY, kipc_region_open_fd(fd, KIPC_REGION_OPEN_ATTACH, &r));
	EXPECT_EQ(NULL, r);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) < 0 ? -errno : 0);
	close(fd);
	EXPECT_EQ(-EBADF, kipc_region_open_fd(fd, 0, &r));
}

/*
 * kipc_lend_release() refuses what its page says it refuses, and unmaps
 * nothing then: an unaligned length was rounded up by munmap(), an
 * unaligned address failed there or unmapped from the page below.
 */
TEST(lend_release_rejects_unaligned_ranges)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-EINVAL, kipc_lend_release(NULL, page));
	EXPECT_EQ(-EINVAL, kipc_lend_release(p, 0));
	EXPECT_EQ(-EINVAL, kipc_lend_release(p, page + 1));
	EXPECT_EQ(-EINVAL, kipc_lend_release(p + 1, page));
	p[page] = 1;		/* the second page is still mapped */
	EXPECT_EQ(0, kipc_lend_release(p, 2 * page));
}

TEST(channel_null_arguments_are_einval)
{
	struct kipc_chan *tx = NULL, *rx = NULL;
	struct kipc_msg m;
	uint64_t off;
	size_t len;

	EXPECT_EQ(-EINVAL, kipc_channel_create(NULL, NULL, &tx, &rx));
	EXPECT_EQ(-EINVAL, kipc_channel_pair(NULL, NULL, &tx, &rx));
	EXPECT_EQ(-EINVAL, kipc_channel_from_fd(0, 0, NULL));
	EXPECT_EQ(-EINVAL, kipc_channel_fd(NULL));
	EXPECT_EQ(-EINVAL, kipc_channel_close(NULL));
	EXPECT_EQ(-EINVAL, kipc_channel_send(NULL, &m, 1, 0, NULL, NULL));
	EXPECT_EQ(-EINVAL, kipc_channel_recv(NULL, &m, 1, 0, NULL, NULL));
	EXPECT_EQ(-EINVAL, kipc_channel_send_bytes(NULL, "x", 1, 0));
	EXPECT_EQ(-EINVAL, kipc_channel_recv_bytes(NULL, &m, sizeof(m), &len, NULL));
	EXPECT_EQ(-EINVAL, kipc_buf_send(NULL, NULL, 0, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_buf_recv(NULL, NULL, &off, NULL, NULL));
	EXPECT_EQ(NULL, tx);
	EXPECT_EQ(NULL, rx);
}

TEST(chan_from_fd_checks_the_fd)
{
	struct kipc_chan *c = NULL;
	int fd = devnull();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADF, kipc_channel_from_fd(-1, 0, &c));
	/* Unknown bits; KIPC_FD_NONBLOCK (an adopted fd keeps its flags). */
	EXPECT_EQ(-EINVAL, kipc_channel_from_fd(fd, 1U << 5, &c));
	EXPECT_EQ(-EINVAL, kipc_channel_from_fd(fd, KIPC_FD_NONBLOCK, &c));
	EXPECT_EQ(NULL, c);
	ASSERT_EQ(0, kipc_channel_from_fd(fd, 0, &c));
	EXPECT_EQ(fd, kipc_channel_fd(c));
	EXPECT_EQ(0, kipc_channel_close(c));
	/* kipc_channel_close() closed the adopted fd. */
	EXPECT_EQ(-EBADF, kipc_channel_from_fd(fd, 0, &c));
}

/* The names of libkipc 0.2 are the same functions (binaries linked to them). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST(chan_names_of_0_2_still_work)
{
	struct kipc_chan *c = NULL;
	int fd = devnull();

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADF, kipc_chan_from_fd(-1, 0, &c));
	ASSERT_EQ(0, kipc_chan_from_fd(fd, 0, &c));
	EXPECT_EQ(fd, kipc_chan_fd(c));
	EXPECT_EQ(0, kipc_chan_close(c));
	EXPECT_EQ(-EINVAL, kipc_chan_close(NULL));
}
#pragma GCC diagnostic pop

/* Flags, counts and deadlines are checked before the kernel sees them. */
TEST(io_argument_table)
{
	static const struct {
		const char *what;
		unsigned int n, flags;
		struct timespec ts;
		int with_ts, with_msgs, err;
	} t[] = {
		{ "no messages",	 0, 0, { 0, 0 }, 0, 1, -EINVAL },
		{ "NULL messages",	 1, 0, { 0, 0 }, 0, 0, -EINVAL },
		{ "unknown flag",	 1, 1U << 5, { 0, 0 }, 0, 1, -EINVAL },
		{ "ABI TIMEOUT flag",	 1, KIPC_IO_TIMEOUT, { 0, 0 }, 0, 1, -EINVAL },
		{ "REALTIME, no deadline", 1, KIPC_DEADLINE_REALTIME, { 0, 0 }, 0, 1, -EINVAL },
		{ "negative tv_sec",	 1, 0, { -1, 0 }, 1, 1, -EINVAL },
		{ "negative tv_nsec",	 1, 0, { 0, -1 }, 1, 1, -EINVAL },
		{ "tv_nsec too big",	 1, 0, { 0, 1000000000 }, 1, 1, -EINVAL },
		/* Valid: reaches the ioctl, which /dev/null refuses. */
		{ "valid, no deadline",	 1, 0, { 0, 0 }, 0, 1, -ENOTTY },
		{ "valid, nonblock",	 1, KIPC_IO_NONBLOCK, { 0, 0 }, 0, 1, -ENOTTY },
		{ "valid, deadline",	 1, 0, { 1, 999999999 }, 1, 1, -ENOTTY },
		{ "valid, realtime",	 1, KIPC_DEADLINE_REALTIME, { 1, 0 }, 1, 1, -ENOTTY },
		{ "huge deadline",	 1, 0, { 0x7fffffffffffffffLL, 0 }, 1, 1, -ENOTTY },
		{ "more than the max",	 KIPC_IO_MSGS_MAX + 1, 0, { 0, 0 }, 0, 1, -ENOTTY },
	};
	static struct kipc_msg msgs[KIPC_IO_MSGS_MAX + 1];
	struct kipc_chan *c;
	unsigned int i;
	int fd = devnull();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kipc_channel_from_fd(fd, 0, &c));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct timespec *ts = t[i].with_ts ? &t[i].ts : NULL;
		struct kipc_msg *m = t[i].with_msgs ? msgs : NULL;

		EXPECT_EQ(t[i].err, kipc_channel_send(c, m, t[i].n, t[i].flags, ts, NULL))
			TH_LOG("send: %s", t[i].what);
		EXPECT_EQ(t[i].err, kipc_channel_recv(c, m, t[i].n, t[i].flags, ts, NULL))
			TH_LOG("recv: %s", t[i].what);
	}
	kipc_channel_close(c);
}

TEST(helpers_check_their_arguments)
{
	struct kipc_chan *c;
	uint64_t off, tag;
	size_t len;
	int fd = devnull();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kipc_channel_from_fd(fd, 0, &c));
	EXPECT_EQ(-EINVAL, kipc_channel_send_bytes(c, NULL, 1, 0));
	EXPECT_EQ(-EINVAL, kipc_channel_recv_bytes(c, NULL, 1, &len, &tag));
	EXPECT_EQ(-EINVAL, kipc_buf_send(c, NULL, 0, 4096, 0));
	EXPECT_EQ(-EINVAL, kipc_buf_recv(c, NULL, &off, NULL, NULL));
	/* Empty inline messages are legal: they reach the kernel. */
	EXPECT_EQ(-ENOTTY, kipc_channel_send_bytes(c, NULL, 0, 7));
	EXPECT_EQ(-ENOTTY, kipc_channel_recv_bytes(c, NULL, 0, &len, &tag));
	kipc_channel_close(c);
}

/* Bad attributes are -EINVAL before the ioctl; good ones reach it. */
static void channel_create_checks(struct __test_metadata *_metadata,
				  struct kipc *k, int want)
{
	struct kipc_channel_attr bad_flags = { .flags = 1U << 7 };
	struct kipc_channel_attr bad_reserved = { .reserved = { [6] = 1 } };
	struct kipc_channel_attr nonblock = { .flags = KIPC_FD_NONBLOCK };
	struct kipc_chan *tx = NULL, *rx = NULL;

	EXPECT_EQ(-EINVAL, kipc_channel_create(k, &bad_flags, &tx, &rx));
	EXPECT_EQ(-EINVAL, kipc_channel_create(k, &bad_reserved, &tx, &rx));
	EXPECT_EQ(-EINVAL, kipc_channel_create(k, NULL, NULL, &rx));
	EXPECT_EQ(-EINVAL, kipc_channel_create(k, NULL, &tx, NULL));
	EXPECT_EQ(NULL, tx);
	EXPECT_EQ(NULL, rx);
	EXPECT_EQ(want, kipc_channel_create(k, &nonblock, &tx, &rx));
	if (want) {
		EXPECT_EQ(NULL, tx);
		EXPECT_EQ(NULL, rx);
		return;
	}
	ASSERT_NE(NULL, tx);
	ASSERT_NE(NULL, rx);
	EXPECT_EQ(0, kipc_channel_close(tx));
	EXPECT_EQ(0, kipc_channel_close(rx));
}

TEST(channel_create_rejects_bad_attributes)
{
	struct kipc *k;

	/* A handle on /dev/null: the valid call fails only at the ioctl. */
	fake_device = 1;
	ASSERT_EQ(0, kipc_open(&k, 0));
	fake_device = 0;
	channel_create_checks(_metadata, k, -ENOTTY);
	EXPECT_EQ(0, kipc_close(k));
	/* With the module (the guest's run), a real handle as well. */
	if (access(KIPC_DEVICE_PATH, F_OK))
		return;
	ASSERT_EQ(0, kipc_open(&k, 0));
	channel_create_checks(_metadata, k, 0);
	EXPECT_EQ(0, kipc_close(k));
}

/* An MPMC ring needs two slots; one-slot SPSC rings are sound. */
TEST(ring_sizes)
{
	EXPECT_EQ(0, kipc_ring_bytes(1, 8, KIPC_RING_MPMC));
	EXPECT_NE(0, kipc_ring_bytes(2, 8, KIPC_RING_MPMC));
	EXPECT_NE(0, kipc_ring_bytes(1, 8, 0));
	EXPECT_EQ(0, kipc_ring_bytes(0, 8, 0));
	EXPECT_EQ(0, kipc_ring_bytes(3, 8, 0));
	EXPECT_EQ(0, kipc_ring_bytes(4, 0, 0));
}

static int count_user(const struct kipc_user_stats *st, void *arg)
{
	++*(int *)arg;
	return 0;
}

static int count_event(const struct kipc_event *ev, void *arg)
{
	++*(int *)arg;
	return 0;
}

/*
 * kipc_events_read() read the handle before its check (SIGSEGV), and
 * kipc_service_close() took NULL for success.
 */
TEST(null_netlink_and_service_handles_are_einval)
{
	int n = 0;

	EXPECT_EQ(-EINVAL, kipc_events_read(NULL, count_event, &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(-EINVAL, kipc_service_close(NULL));
}

TEST(user_stats_null_arguments_are_einval)
{
	struct kipc_user_stats st;
	int n = 0;

	EXPECT_EQ(-EINVAL, kipc_user_stats_get(NULL, 0, &st));
	EXPECT_EQ(-EINVAL, kipc_user_stats_dump(NULL, count_user, &n));
	EXPECT_EQ(0, n);
}

/*
 * The struct is the caller's: its layout is ABI (reserved room included).
 * The services took the first two reserved words, the region bytes the
 * next two: the size stays.
 */
TEST(user_stats_layout)
{
	EXPECT_EQ(168, sizeof(struct kipc_user_stats));
	EXPECT_EQ(8, offsetof(struct kipc_user_stats, regions));
	EXPECT_EQ(104, offsetof(struct kipc_user_stats, pinned_pages));
	EXPECT_EQ(112, offsetof(struct kipc_user_stats, services));
	EXPECT_EQ(120, offsetof(struct kipc_user_stats, services_limit));
	EXPECT_EQ(128, offsetof(struct kipc_user_stats, region_bytes));
	EXPECT_EQ(136, offsetof(struct kipc_user_stats, region_bytes_limit));
	EXPECT_EQ(144, offsetof(struct kipc_user_stats, reserved));
}

/* A cap is set (not 0) and usage is within it. */
#define USED_WITHIN(used, limit) do {					\
	EXPECT_NE(0, st.limit) TH_LOG(#limit);				\
	EXPECT_LE(st.used, st.limit) TH_LOG(#used);			\
} while (0)

TEST(user_stats_need_the_family)
{
	struct kipc_chan *tx = NULL, *rx = NULL;
	struct kipc_user_stats st;
	struct kipc *k = NULL;
	struct kipc_nl *nl;
	int ret, n = 0;

	ret = kipc_nl_open(&nl, 0);
	/* With /dev/kipc the module is loaded: its family must be there. */
	if ((ret == -ENOENT || ret == -EPROTONOSUPPORT || ret == -EACCES) &&
	    access(KIPC_DEVICE_PATH, F_OK))
		SKIP(return, "no kipc netlink family here (%d)", ret);
	ASSERT_EQ(0, ret);
	/* The module is loaded on this host: a NULL out-argument is still ours. */
	EXPECT_EQ(-EINVAL, kipc_user_stats_get(nl, 0, NULL));
	EXPECT_EQ(-EINVAL, kipc_user_stats_dump(nl, NULL, &n));
	/* A context and a channel of ours: our uid has a record. */
	if (!kipc_open(&k, 0))
		ASSERT_EQ(0, kipc_channel_create(k, NULL, &tx, &rx));
	memset(&st, 0xff, sizeof(st));
	ret = kipc_user_stats_get(nl, geteuid(), &st);
	if (k)
		ASSERT_EQ(0, ret);
	ASSERT_TRUE(ret == 0 || ret == -ENOENT) TH_LOG("ret %d", ret);
	if (ret == -ENOENT) {
		/* Cleared, not left as it was. */
		EXPECT_EQ(0, st.uid);
		EXPECT_EQ(0, st.regions_limit);
		EXPECT_EQ(0, st.region_bytes_limit);
	} else {
		EXPECT_EQ(geteuid(), st.uid);
		if (k)
			EXPECT_LE(1, st.channels);
		USED_WITHIN(regions, regions_limit);
		USED_WITHIN(channels, channels_limit);
		USED_WITHIN(lendqs, lendqs_limit);
		USED_WITHIN(names, names_limit);
		USED_WITHIN(inflight_bytes, inflight_bytes_limit);
		USED_WITHIN(pool_bytes, pool_bytes_limit);
		USED_WITHIN(services, services_limit);
		USED_WITHIN(region_bytes, region_bytes_limit);
		EXPECT_EQ(0, st.reserved[0] | st.reserved[1] | st.reserved[2]);
	}
	if (k) {
		kipc_channel_close(tx);
		kipc_channel_close(rx);
		kipc_close(k);
	}
	kipc_nl_close(nl);
}

/*
 * kipc_name_open(3)'s lookup() once closed the fd that
 * kipc_region_open_fd() had just adopted: the handle kept a dead number,
 * which the next open() reused, and kipc_region_close() closed that other
 * file. Here is the example's sequence after kipc_name_open(), on a fake
 * region: the handle's fd stays open, and a failed adoption's fd is closed.
 */
static int lookup_tail(int fd, struct kipc_region **rp)
{
	int ret = kipc_region_open_fd(fd, 0, rp);	/* *rp adopts fd */

	if (ret < 0)
		close(fd);	/* still ours: open_fd failed */
	return ret;
}

TEST(name_open_example_keeps_the_adopted_fd)
{
	struct kipc_region *r = NULL;
	int fd = fake_region(), victim, other;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lookup_tail(fd, &r));
	EXPECT_EQ(fd, kipc_region_fd(r));
	EXPECT_LE(0, cloexec(kipc_region_fd(r))) TH_LOG("the handle's fd was closed");
	victim = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, victim);
	EXPECT_NE(kipc_region_fd(r), victim) TH_LOG("a new file got the handle's fd");
	EXPECT_EQ(0, kipc_region_close(r));
	fake_region_fd = -1;
	EXPECT_EQ(1, write(victim, "x", 1)) TH_LOG("closing the region closed another file");
	close(victim);
	/* Not a region: the example closes what it could not adopt. */
	other = devnull();
	ASSERT_LE(0, other);
	EXPECT_EQ(-ENOTTY, lookup_tail(other, &r));
	EXPECT_EQ(-EBADF, cloexec(other));
}

/*
 * KIPC_FD_CLOEXEC was "accepted and implied" but an adopted region fd
 * stayed inheritable across exec: it is set now, as the last step.
 * Without the flag the adopted fd keeps its flags.
 */
TEST(region_open_fd_cloexec_sets_it_on_the_adopted_fd)
{
	struct kipc_region *r = NULL;
	int fd = fake_region();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cloexec(fd));
	ASSERT_EQ(0, kipc_region_open_fd(fd, KIPC_FD_CLOEXEC, &r));
	EXPECT_EQ(fd, kipc_region_fd(r));
	EXPECT_EQ(1, cloexec(fd)) TH_LOG("KIPC_FD_CLOEXEC left FD_CLOEXEC clear");
	EXPECT_NE(NULL, kipc_region_base(r));
	EXPECT_EQ(0, kipc_region_close(r));

	fd = fake_region();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kipc_region_open_fd(fd, 0, &r));
	EXPECT_EQ(0, cloexec(fd)) TH_LOG("without the flag the fd keeps its flags");
	EXPECT_EQ(0, kipc_region_close(r));

	fd = fake_region();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kipc_region_open_fd(fd, KIPC_FD_CLOEXEC | KIPC_REGION_NOMAP, &r));
	EXPECT_EQ(1, cloexec(fd));
	EXPECT_EQ(NULL, kipc_region_base(r));
	EXPECT_EQ(0, kipc_region_close(r));
}

/* A failed adoption leaves the fd as it was: open, FD_CLOEXEC clear. */
TEST(region_open_fd_failure_leaves_the_fd_alone)
{
	struct kipc_region *r = NULL;
	int fd = fake_region(), dn;

	ASSERT_LE(0, fd);
	fake_region_bytes = 1ULL << 62;	/* the mapping fails */
	EXPECT_EQ(-ENOMEM, kipc_region_open_fd(fd, KIPC_FD_CLOEXEC, &r));
	EXPECT_EQ(NULL, r);
	EXPECT_EQ(0, cloexec(fd)) TH_LOG("a failed open_fd changed the fd's flags");
	close(fd);
	fake_region_fd = -1;
	/* Not a region, with or without OPEN_ATTACH. */
	dn = open("/dev/null", O_RDWR);
	ASSERT_LE(0, dn);
	EXPECT_EQ(-ENOTTY, kipc_region_open_fd(dn, KIPC_FD_CLOEXEC, &r));
	EXPECT_EQ(-ENOTTY, kipc_region_open_fd(dn, KIPC_FD_CLOEXEC |
					       KIPC_REGION_OPEN_ATTACH, &r));
	EXPECT_EQ(0, cloexec(dn));
	close(dn);
}

/*
 * kipc_channel_from_fd() refused KIPC_FD_CLOEXEC (-EINVAL): an end
 * received without MSG_CMSG_CLOEXEC could not be made close-on-exec by
 * the library. It takes the flag now; an adopted fd otherwise keeps its
 * flags, so KIPC_FD_NONBLOCK is still refused.
 */
TEST(channel_from_fd_cloexec)
{
	struct kipc_chan *c = NULL;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-EINVAL, kipc_channel_from_fd(p[1], KIPC_FD_NONBLOCK, &c));
	EXPECT_EQ(-EINVAL, kipc_channel_from_fd(p[1], KIPC_FD_CLOEXEC | (1U << 16), &c));
	EXPECT_EQ(NULL, c);
	EXPECT_EQ(0, cloexec(p[1]));
	ASSERT_EQ(0, kipc_channel_from_fd(p[1], KIPC_FD_CLOEXEC, &c))
		TH_LOG("KIPC_FD_CLOEXEC refused");
	EXPECT_EQ(1, cloexec(p[1]));
	EXPECT_EQ(0, kipc_channel_close(c));
	ASSERT_EQ(0, kipc_channel_from_fd(p[0], 0, &c));
	EXPECT_EQ(0, cloexec(p[0])) TH_LOG("without the flag the fd keeps its flags");
	EXPECT_EQ(0, kipc_channel_close(c));
	EXPECT_EQ(-EBADF, kipc_channel_from_fd(-1, KIPC_FD_CLOEXEC, &c));
}

/*
 * What it is for: a program run after adopting (system(), posix_spawn())
 * does not hold the end. A pipe stands in for a channel: once the adopted
 * write end is closed, the reader sees end of stream although an exec'd
 * child still runs. Without FD_CLOEXEC the child held it: EAGAIN.
 */
TEST(adopted_cloexec_end_is_not_inherited_by_exec)
{
	struct kipc_chan *tx;
	int p[2], sync[2], status;
	char byte;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, fcntl(p[0], F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, pipe2(sync, O_CLOEXEC));
	ASSERT_EQ(0, kipc_channel_from_fd(p[1], KIPC_FD_CLOEXEC, &tx));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execlp("sleep", "sleep", "10", (char *)NULL);
		_exit(127);
	}
	close(sync[1]);
	/* EOF on sync: the child has exec'd (or exited). */
	EXPECT_EQ(0, read(sync[0], &byte, 1));
	close(sync[0]);
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG)) TH_LOG("sleep(1) did not start");
	EXPECT_EQ(0, kipc_channel_close(tx));
	EXPECT_EQ(0, read(p[0], &byte, 1)) TH_LOG("the exec'd child holds the end: %s",
						  strerror(errno));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(p[0]);
}

/*
 * The library's API freezes struct kipc_msg at KIPC_MSG_SIZE_VER1: send,
 * recv and call pass 64 as the stride of the caller's array.
 */
TEST(msg_descriptor_is_frozen_at_ver1)
{
	struct kipc_chan *c;
	struct kipc_msg m[2];
	int sent = 1, fd = devnull();

	EXPECT_EQ(64, KIPC_MSG_SIZE_VER1);
	EXPECT_EQ(KIPC_MSG_SIZE_VER1, sizeof(struct kipc_msg));
	EXPECT_EQ(48, offsetof(struct kipc_msg, lends));
	EXPECT_EQ(56, offsetof(struct kipc_msg, nr_lends));
	EXPECT_EQ(60, offsetof(struct kipc_msg, lendq_fd));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kipc_channel_from_fd(fd, 0, &c));
	kipc_msg_init(&m[0], NULL, 0, NULL, 0, 0);
	kipc_msg_init(&m[1], NULL, 0, NULL, 0, 0);
	seen_msg_size = -1;
	EXPECT_EQ(-ENOTTY, kipc_channel_send(c, m, 2, 0, NULL, NULL));
	EXPECT_EQ(KIPC_MSG_SIZE_VER1, seen_msg_size);
	seen_msg_size = -1;
	EXPECT_EQ(-ENOTTY, kipc_channel_recv(c, m, 2, 0, NULL, NULL));
	EXPECT_EQ(KIPC_MSG_SIZE_VER1, seen_msg_size);
	seen_msg_size = -1;
	EXPECT_EQ(-ENOTTY, kipc_call(c, c, &m[0], &m[1], 0, NULL, NULL, &sent));
	EXPECT_EQ(KIPC_MSG_SIZE_VER1, seen_msg_size);
	EXPECT_EQ(0, sent);
	kipc_channel_close(c);
}

/*
 * kipc_msg_init() and kipc_msg_lend(q NULL) left lendq_fd 0: a send that
 * lent without a queue went to whatever fd 0 was. KIPC_NO_FD now.
 */
TEST(msg_init_names_no_lend_queue)
{
	struct kipc_lend_ref ref;
	struct kipc_msg m;
	char buf[4];

	memset(&m, 0xa5, sizeof(m));
	kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 9);
	EXPECT_EQ(KIPC_NO_FD, m.lendq_fd);
	EXPECT_EQ(0, m.nr_lends);
	EXPECT_EQ(0, m.lends);
	EXPECT_EQ(0, m.reserved);
	EXPECT_EQ(9, m.tag);
	m.lendq_fd = 0;
	kipc_msg_lend(&m, &ref, 1, NULL);
	EXPECT_EQ(KIPC_NO_FD, m.lendq_fd);
	EXPECT_EQ(1, m.nr_lends);
	EXPECT_EQ((uint64_t)(uintptr_t)&ref, m.lends);
}

TEST(name_open_info_null_arguments_are_einval)
{
	struct kipc_name_info info;

	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(-EINVAL, kipc_name_open_info(NULL, "x", 0, 0, -1, &info));
	EXPECT_EQ(0, info.kind);
	EXPECT_EQ(0, info.created);
	EXPECT_EQ(0, info.id);
	EXPECT_EQ(0, info.reserved[0]);
	EXPECT_EQ(0, info.reserved[1]);
	EXPECT_EQ(-EINVAL, kipc_name_open_info(NULL, "x", 0, 0, -1, NULL));
}

/*
 * The layouts of the public structs the library fills or reads are ABI:
 * a binary built against an older header passes its own. A change here
 * (a field added, an array that follows a generated enum) fails make
 * check. Values for LP64 (x86_64, arm64: 8-byte aligned uint64_t).
 */
#define LAYOUT(type, field, off) \
	EXPECT_EQ(off, offsetof(type, field)) TH_LOG(#type "." #field)
#define SIZE(type, n) \
	EXPECT_EQ(n, sizeof(type)) TH_LOG("sizeof(" #type ")")

TEST(public_struct_layouts)
{
	if (sizeof(void *) != 8 || __alignof__(uint64_t) != 8)
		SKIP(return, "the rows are for LP64");
	SIZE(struct kipc_version_info, 16);
	LAYOUT(struct kipc_version_info, features, 8);

	SIZE(struct kipc_region_status, 40);
	LAYOUT(struct kipc_region_status, id, 16);
	LAYOUT(struct kipc_region_status, nr_bufs, 24);
	LAYOUT(struct kipc_region_status, nr_in_flight, 36);

	SIZE(struct kipc_peer, 24);
	LAYOUT(struct kipc_peer, pid, 8);
	LAYOUT(struct kipc_peer, gid, 16);

	SIZE(struct kipc_channel_attr, 48);
	LAYOUT(struct kipc_channel_attr, region, 8);
	LAYOUT(struct kipc_channel_attr, flags, 16);
	LAYOUT(struct kipc_channel_attr, reserved, 20);

	SIZE(struct kipc_service_attr, 56);
	LAYOUT(struct kipc_service_attr, region, 16);
	LAYOUT(struct kipc_service_attr, flags, 24);
	LAYOUT(struct kipc_service_attr, reserved, 28);

	SIZE(struct kipc_wait_entry, 24);
	LAYOUT(struct kipc_wait_entry, offset, 8);
	LAYOUT(struct kipc_wait_entry, bitset, 20);

	/* 216 bytes up to LIBKIPC_0.9 (kipc_stats_get@LIBKIPC_0.3's). */
	SIZE(struct kipc_global_stats, 280);
	LAYOUT(struct kipc_global_stats, word_wakes, 120);
	LAYOUT(struct kipc_global_stats, send_failed, 128);
	LAYOUT(struct kipc_global_stats, lendqs_created, 216);
	LAYOUT(struct kipc_global_stats, recv_polls, 272);
	EXPECT_EQ(11, sizeof(((struct kipc_global_stats *)0)->send_failed) /
		      sizeof(uint64_t));
	EXPECT_GT(11, KIPC_SEND_FAIL_REASON_MAX);

	SIZE(struct kipc_channel_stats, 64);
	LAYOUT(struct kipc_channel_stats, uid, 8);
	LAYOUT(struct kipc_channel_stats, reserved, 36);
	LAYOUT(struct kipc_channel_stats, region_id, 40);
	LAYOUT(struct kipc_channel_stats, msgs_received, 56);

	SIZE(struct kipc_region_stats, 72);
	LAYOUT(struct kipc_region_stats, bytes, 16);
	LAYOUT(struct kipc_region_stats, nr_bufs, 32);
	LAYOUT(struct kipc_region_stats, reserved, 44);
	LAYOUT(struct kipc_region_stats, word_waits, 48);
	LAYOUT(struct kipc_region_stats, word_wait_ns, 64);

	SIZE(struct kipc_filter, 12);
	SIZE(struct kipc_event, 32);
	LAYOUT(struct kipc_event, id, 8);
	LAYOUT(struct kipc_event, err, 28);

	SIZE(struct kipc_mutex, 4);
	SIZE(struct kipc_cond, 4);

	SIZE(struct kipc_name_info, 32);
	LAYOUT(struct kipc_name_info, created, 4);
	LAYOUT(struct kipc_name_info, id, 8);
	LAYOUT(struct kipc_name_info, reserved, 16);
}

TEST_HARNESS_MAIN
