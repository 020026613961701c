// SPDX-License-Identifier: GPL-2.0
/* libkipc argument checks and errors that need no module (runs on the host). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <kipc.h>

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
	EXPECT_EQ(-EINVAL, kipc_channel_from_fd(fd, 1, &c));
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

TEST(channel_create_rejects_bad_attributes)
{
	struct kipc_channel_attr bad_flags = { .flags = 1U << 7 };
	struct kipc_channel_attr bad_reserved = { .reserved = { [6] = 1 } };
	struct kipc_chan *tx = NULL, *rx = NULL;
	struct kipc *k;

	if (kipc_open(&k, 0) < 0)
		SKIP(return, "no %s: argument checks only need a handle", KIPC_DEVICE_PATH);
	EXPECT_EQ(-EINVAL, kipc_channel_create(k, &bad_flags, &tx, &rx));
	EXPECT_EQ(-EINVAL, kipc_channel_create(k, &bad_reserved, &tx, &rx));
	EXPECT_EQ(-EINVAL, kipc_channel_create(k, NULL, NULL, &rx));
	EXPECT_EQ(NULL, tx);
	kipc_close(k);
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

TEST(user_stats_need_the_family)
{
	struct kipc_user_stats st;
	struct kipc_nl *nl;
	int ret, n = 0;

	ret = kipc_nl_open(&nl, 0);
	if (ret == -ENOENT || ret == -EPROTONOSUPPORT || ret == -EACCES)
		SKIP(return, "no kipc netlink family here (%d)", ret);
	ASSERT_EQ(0, ret);
	/* The module is loaded on this host: a NULL out-argument is still ours. */
	EXPECT_EQ(-EINVAL, kipc_user_stats_get(nl, 0, NULL));
	EXPECT_EQ(-EINVAL, kipc_user_stats_dump(nl, NULL, &n));
	memset(&st, 0xff, sizeof(st));
	ret = kipc_user_stats_get(nl, geteuid(), &st);
	if (ret == -ENOENT)
		EXPECT_EQ(0, st.regions_limit);	/* cleared, not left as it was */
	kipc_nl_close(nl);
}

TEST_HARNESS_MAIN
