// SPDX-License-Identifier: GPL-2.0
/* Limits: queue depth bounds and the per-user caps set by module parameters. */
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NOBODY	65534

static const char *const params[] = {
	"max_region_bytes", "default_depth", "max_depth",
	"max_channels_per_user", "max_regions_per_user",
	"max_inflight_bytes_per_user",
};
#define NR_PARAMS	ARRAY_SIZE(params)

FIXTURE(limits) {
	int ctx;
	char saved[NR_PARAMS][64];
	int have_saved;
	int fds[64];
	int nr_fds;
	long page;
};

FIXTURE_SETUP(limits)
{
	unsigned int i;
	int ret;

	self->have_saved = 0;
	self->nr_fds = 0;
	self->page = kt_page();
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL);
	if (geteuid() != 0)
		SKIP(return, "needs root to change module parameters");
	for (i = 0; i < NR_PARAMS; i++) {
		ret = kt_param_get(params[i], self->saved[i],
				   sizeof(self->saved[i]));
		/* The module under test has them all: a missing one fails. */
		ASSERT_EQ(0, ret) TH_LOG("%s%s: %s", KT_PARAM_DIR, params[i],
					 strerror(-ret));
	}
	self->have_saved = 1;
}

FIXTURE_TEARDOWN(limits)
{
	unsigned int i;
	int i2;

	for (i2 = 0; i2 < self->nr_fds; i2++)
		close(self->fds[i2]);
	if (self->have_saved)
		for (i = 0; i < NR_PARAMS; i++)
			if (kt_param_set(params[i], self->saved[i]))
				TH_LOG("could not restore %s", params[i]);
	close(self->ctx);
}

static int set_num(const char *name, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	return kt_param_set(name, buf);
}

static unsigned long long get_num(const char *name)
{
	char buf[64];

	if (kt_param_get(name, buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 0);
}

/* Keep @fd until teardown. */
#define keep(fd)							\
	do {								\
		ASSERT_GT(64, self->nr_fds);				\
		self->fds[self->nr_fds++] = (fd);			\
	} while (0)

static int count_sends(int sfd)
{
	int n = 0;

	while (kt_send1(sfd, "x", 1, 0, KIPC_IO_NONBLOCK) == 1 && n < 10000)
		n++;
	return n;
}

TEST_F(limits, depth_bounds)
{
	unsigned long long max = get_num("max_depth");
	int s, r;

	ASSERT_LT(0, max);
	EXPECT_EQ(-EINVAL, kt_channel_create(self->ctx, 0, max + 1, 0, -1,
					     &s, &r));
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, max, 0, -1, &s, &r));
	EXPECT_EQ((long long)max, kt_fdinfo_num(s, "kipc-depth"));
	close(s);
	close(r);

	ASSERT_EQ(0, set_num("max_depth", 8));
	EXPECT_EQ(-EINVAL, kt_channel_create(self->ctx, 0, 9, 0, -1, &s, &r));
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 8, 0, -1, &s, &r));
	EXPECT_EQ(8, count_sends(s));
	EXPECT_EQ(-EAGAIN, kt_send1(s, "x", 1, 0, KIPC_IO_NONBLOCK));
	close(s);
	close(r);

	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 5, 0, -1, &s, &r));
	EXPECT_EQ(5, count_sends(s));
	close(s);
	close(r);
}

TEST_F(limits, default_depth)
{
	int s, r;

	ASSERT_EQ(0, set_num("default_depth", 3));
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, 0, -1, &s, &r));
	EXPECT_EQ(3, kt_fdinfo_num(s, "kipc-depth"));
	EXPECT_EQ(3, count_sends(s));
	close(s);
	close(r);
}

TEST_F(limits, max_inline_bound)
{
	static char big[65537];
	int s, r;

	EXPECT_EQ(-EINVAL, kt_channel_create(self->ctx, 0, 0, 65537, -1, &s,
					     &r));
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, 65536, -1, &s, &r));
	EXPECT_EQ(1, kt_send1(s, big, 65536, 0, 0));
	EXPECT_EQ(-EMSGSIZE, kt_send1(s, big, 65537, 0, 0));
	close(s);
	close(r);
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, 100, -1, &s, &r));
	EXPECT_EQ(1, kt_send1(s, big, 100, 0, 0));
	EXPECT_EQ(-EMSGSIZE, kt_send1(s, big, 101, 0, 0));
	close(s);
	close(r);
}

TEST_F(limits, max_region_bytes_is_efbig)
{
	int fd;

	ASSERT_EQ(0, set_num("max_region_bytes", 16 * self->page));
	fd = kt_region_create(self->ctx, 16 * self->page, 0, 0, NULL);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-EFBIG, kt_region_create(self->ctx, 17 * self->page, 0, 0,
					   NULL));
	EXPECT_EQ(-EFBIG, kt_region_create(self->ctx, 32 * self->page,
					   self->page, 0, NULL));
}

TEST_F(limits, regions_per_user_is_enospc)
{
	pid_t pid;
	int fd, n;

	ASSERT_EQ(0, set_num("max_regions_per_user", 3));
	for (n = 0; n < 10; n++) {
		fd = kt_region_create(self->ctx, self->page, 0, 0, NULL);
		if (fd < 0)
			break;
		keep(fd);
	}
	EXPECT_EQ(-ENOSPC, fd);
	EXPECT_GE(3, n);
	EXPECT_LE(1, n);

	/* Per user: another user still has room. */
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ctx;

		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(10);
		/* Charged to the context's user: open one as nobody. */
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		if (ctx < 0)
			_exit(11);
		fd = kt_region_create(ctx, self->page, 0, 0, NULL);
		_exit(fd >= 0 ? 0 : 12);
	}
	EXPECT_EQ(0, kt_wait(pid, 10000));

	/* A closed region gives its slot back. */
	close(self->fds[--self->nr_fds]);
	fd = kt_region_create(self->ctx, self->page, 0, 0, NULL);
	ASSERT_LE(0, fd);
	keep(fd);
	EXPECT_EQ(-ENOSPC, kt_region_create(self->ctx, self->page, 0, 0, NULL));
}

TEST_F(limits, channels_per_user_is_enospc)
{
	int s, r, ret, n;

	ASSERT_EQ(0, set_num("max_channels_per_user", 3));
	for (n = 0; n < 10; n++) {
		ret = kt_channel_create(self->ctx, 0, 0, 0, -1, &s, &r);
		if (ret)
			break;
		keep(s);
		keep(r);
	}
	EXPECT_EQ(-ENOSPC, ret);
	EXPECT_GE(3, n);
	EXPECT_LE(1, n);
	/* Both ends must go for the channel's slot to come back. */
	close(self->fds[--self->nr_fds]);
	close(self->fds[--self->nr_fds]);
	ret = kt_channel_create(self->ctx, 0, 0, 0, -1, &s, &r);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	keep(s);
	keep(r);
}

/*
 * The cap counts the kernel bytes queued messages hold: each message's
 * allocation (its header and inline bytes, rounded up by the slab
 * allocator: 8 KiB for 4 KiB of data, 4 KiB for 2 KiB, 512 bytes for an
 * empty one), not only its inline bytes.
 */
TEST_F(limits, inflight_bytes_per_user_is_enobufs)
{
	static char data[3][4096];
	struct kipc_msg m[3];
	char room[4096];
	int s, r, i;

	ASSERT_EQ(0, set_num("max_inflight_bytes_per_user", 16384));
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 64, 0, -1, &s, &r));
	keep(s);
	keep(r);
	ASSERT_EQ(1, kt_send1(s, data[0], 4096, 0, 0));
	ASSERT_EQ(1, kt_send1(s, data[0], 4096, 0, 0));
	EXPECT_EQ(-ENOBUFS, kt_send1(s, data[0], 1, 0, 0));
	EXPECT_EQ(-ENOBUFS, kt_send1(s, data[0], 0, 0, KIPC_IO_NONBLOCK));
	EXPECT_EQ(-ENOBUFS, write(s, data[0], 0) < 0 ? -errno : 0);
	EXPECT_EQ(2, kt_fdinfo_num(s, "kipc-queued"));

	/* A receive frees bytes; a batch stops where the cap is reached. */
	ASSERT_EQ(1, kt_recv1(r, room, sizeof(room), NULL, 0));
	for (i = 0; i < 3; i++)
		kt_msg_init(&m[i], data[i], 2048, NULL, 0, i);
	EXPECT_EQ(2, kt_send(s, m, 3, 0));
	EXPECT_EQ(3, kt_fdinfo_num(s, "kipc-queued"));
}

/* With the cap at 0 not even an empty message can be queued. */
TEST_F(limits, inflight_cap_zero_refuses_empty_messages)
{
	int s, r;

	ASSERT_EQ(0, set_num("max_inflight_bytes_per_user", 0));
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 64, 0, -1, &s, &r));
	keep(s);
	keep(r);
	EXPECT_EQ(-ENOBUFS, kt_send1(s, "", 0, 0, KIPC_IO_NONBLOCK));
	EXPECT_EQ(0, kt_fdinfo_num(s, "kipc-queued"));
}

KIPC_TEST_MAIN
