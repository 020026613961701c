// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, finding 4: the kernel memory a user's objects hold is bounded.
 *
 * On 38ea9ff only a message's inline bytes counted against
 * max_inflight_bytes_per_user: every queued message costs hundreds of
 * bytes of slab, so empty messages were free (+127 MiB of unreclaimable
 * slab with the cap at 0), a lent range's struct and page array were not
 * counted either, lend queues were charged to nobody, and region pool
 * arrays had no per-user bound. The contract:
 *
 *  - each queued message counts its kernel footprint (its allocation,
 *    header and inline room, plus per lent range its struct and page
 *    array) against max_inflight_bytes_per_user, "kernel bytes held by
 *    queued messages"; over it SEND and write(2) fail with ENOBUFS, and
 *    with the cap at 0 even an empty message does;
 *  - max_lendqs_per_user (default 1024): LENDQ_CREATE fails with ENOSPC
 *    over it;
 *  - max_pool_bytes_per_user (bookkeeping of region buffer pools, 12 bytes
 *    per buffer, default 64 MiB): REGION_CREATE fails with ENOSPC over it;
 *  - a pool's buffers are below 4 GiB, whatever max_region_bytes allows.
 *
 * The parameters are set for the test and restored after; the two that
 * the contract adds must exist (their absence fails the test).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define MAX_FDS		64

FIXTURE(kmem) {
	int ctx;
	long page;
	struct kt_param inflight, depth, lendqs, pool, region_bytes;
	struct kt_param user_region_bytes;
	int fds[MAX_FDS];
	int nr_fds;
};

FIXTURE_SETUP(kmem)
{
	int ret;

	self->nr_fds = 0;
	self->page = kt_page();
	memset(&self->inflight, 0, sizeof(self->inflight));
	memset(&self->depth, 0, sizeof(self->depth));
	memset(&self->lendqs, 0, sizeof(self->lendqs));
	memset(&self->pool, 0, sizeof(self->pool));
	memset(&self->region_bytes, 0, sizeof(self->region_bytes));
	memset(&self->user_region_bytes, 0, sizeof(self->user_region_bytes));
	self->inflight.name = "max_inflight_bytes_per_user";
	self->depth.name = "max_depth";
	self->lendqs.name = "max_lendqs_per_user";
	self->pool.name = "max_pool_bytes_per_user";
	self->region_bytes.name = "max_region_bytes";
	self->user_region_bytes.name = "max_region_bytes_per_user";
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL |
			  KIPC_FEATURE_LEND);
	if (geteuid() != 0)
		SKIP(return, "needs root to change module parameters");
	/* Parameters of 38ea9ff: absent only without the module. */
	ret = kt_param_save(&self->inflight);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->inflight.name, strerror(-ret));
	ret = kt_param_save(&self->depth);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->depth.name, strerror(-ret));
	ret = kt_param_save(&self->region_bytes);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->region_bytes.name,
				 strerror(-ret));
	ASSERT_EQ(0, kt_param_set_num("max_depth", 4096));
	ASSERT_EQ(0, kt_param_set_num("max_region_bytes", 1 << 30));
}

FIXTURE_TEARDOWN(kmem)
{
	int i;

	for (i = 0; i < self->nr_fds; i++)
		close(self->fds[i]);
	kt_param_restore(&self->inflight);
	kt_param_restore(&self->depth);
	kt_param_restore(&self->lendqs);
	kt_param_restore(&self->pool);
	kt_param_restore(&self->region_bytes);
	kt_param_restore(&self->user_region_bytes);
	close(self->ctx);
}

/* Keep @fd until teardown. */
#define keep(fd)							\
	do {								\
		ASSERT_GT(MAX_FDS, self->nr_fds);			\
		self->fds[self->nr_fds++] = (fd);			\
	} while (0)

/* Empty messages until the first failure (at most @max): their number. */
static int fill_empty(int sfd, int max, int *err)
{
	int n = 0, ret;

	while (n < max) {
		ret = kt_send1(sfd, NULL, 0, 0, KIPC_IO_NONBLOCK);
		if (ret != 1) {
			*err = ret;
			break;
		}
		n++;
	}
	return n;
}

/* With the cap at 0 not even an empty message may be queued. */
TEST_F(kmem, empty_message_over_a_zero_cap)
{
	int s, r;

	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, 0, -1, &s, &r));
	keep(s);
	keep(r);
	ASSERT_EQ(0, kt_param_set_num("max_inflight_bytes_per_user", 0));
	EXPECT_EQ(-ENOBUFS, kt_send1(s, NULL, 0, 0, KIPC_IO_NONBLOCK))
		TH_LOG("an empty message was queued with max_inflight_bytes_per_user=0");
	errno = 0;
	EXPECT_EQ(-1, write(s, "", 0));
	EXPECT_EQ(ENOBUFS, errno);
	EXPECT_EQ(0, kt_fdinfo_num(s, "kipc-queued"));
}

/*
 * Each empty message costs its header (hundreds of bytes): under a 64 KiB
 * cap at most 512 fit (128 bytes each, a low bound), not the channel's
 * depth of 4096. A receive gives its bytes back.
 */
TEST_F(kmem, message_headers_are_counted)
{
	const int cap = 65536;
	int s, r, n, n2, err = 0;
	char buf[8];

	ASSERT_EQ(0, kt_param_set_num("max_inflight_bytes_per_user", cap));
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 4096, 0, -1, &s, &r));
	keep(s);
	keep(r);
	n = fill_empty(s, 4096, &err);
	TH_LOG("%d empty messages queued under a %d-byte cap", n, cap);
	EXPECT_EQ(-ENOBUFS, err) TH_LOG("the first failure was %d", err);
	EXPECT_GE(cap / 128, n) TH_LOG("%d empty messages cost nothing against the cap", n);
	EXPECT_LE(16, n);
	/* One received: one more fits. */
	ASSERT_EQ(1, kt_recv1(r, buf, sizeof(buf), NULL, KIPC_IO_NONBLOCK));
	EXPECT_EQ(1, kt_send1(s, NULL, 0, 0, KIPC_IO_NONBLOCK));
	EXPECT_EQ(-ENOBUFS, kt_send1(s, NULL, 0, 0, KIPC_IO_NONBLOCK));
	/* Closed, the channel gives everything back. */
	close(self->fds[--self->nr_fds]);
	close(self->fds[--self->nr_fds]);
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 4096, 0, -1, &s, &r));
	keep(s);
	keep(r);
	err = 0;
	n2 = fill_empty(s, 4096, &err);
	EXPECT_EQ(n, n2);
}

/*
 * A lent range of 1024 pages holds a page array of 8 KiB: under a 64 KiB
 * cap at most 8 such messages fit, not 64.
 */
TEST_F(kmem, lent_ranges_are_counted)
{
	const int cap = 65536, pages = 1024, max = 64;
	size_t len = (size_t)pages * self->page;
	int s, r, q, n, ret = 0;
	char *mem;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 'k', len);
	q = kt_lendq_create(self->ctx, 0);
	ASSERT_LE(0, q);
	keep(q);
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, max, 0, -1, &s, &r));
	keep(r);
	ASSERT_EQ(0, kt_param_set_num("max_inflight_bytes_per_user", cap));
	for (n = 0; n < max; n++) {
		ret = kt_lend_send(s, q, mem, len, n, KIPC_IO_NONBLOCK);
		if (ret != 1)
			break;
	}
	TH_LOG("%d messages lending %d pages each under a %d-byte cap", n,
	       pages, cap);
	EXPECT_EQ(-ENOBUFS, ret) TH_LOG("the first failure was %d", ret);
	EXPECT_GE(cap / (pages * 8), n)
		TH_LOG("lent ranges' page arrays are not counted");
	/* And lending works: at least half of the 8 that fit went. */
	EXPECT_LE(cap / (pages * 8) / 2, n)
		TH_LOG("a lent range is charged more than its page array");
	close(s);		/* drops the messages, unpins */
	munmap(mem, len);
}

/* LENDQ_CREATE over max_lendqs_per_user: ENOSPC, per user. */
TEST_F(kmem, lend_queues_per_user)
{
	int q, n, status;
	pid_t pid;

	kt_param_require(&self->lendqs);
	ASSERT_EQ(0, kt_param_set_num(self->lendqs.name, 3));
	for (n = 0; n < 10; n++) {
		q = kt_lendq_create(self->ctx, 0);
		if (q < 0)
			break;
		keep(q);
	}
	EXPECT_EQ(-ENOSPC, q);
	EXPECT_EQ(3, n);

	/* Another user still has room. */
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ctx;

		if (kt_become(KT_NOBODY, KT_NOBODY))
			_exit(10);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		if (ctx < 0)
			_exit(11);
		_exit(kt_lendq_create(ctx, 0) >= 0 ? 0 : 12);
	}
	status = kt_wait(pid, 10000);
	EXPECT_EQ(0, status) TH_LOG("another user: step %d", status);

	/* A closed queue gives its slot back. */
	close(self->fds[--self->nr_fds]);
	q = kt_lendq_create(self->ctx, 0);
	ASSERT_LE(0, q);
	keep(q);
	EXPECT_EQ(-ENOSPC, kt_lendq_create(self->ctx, 0));
}

/*
 * REGION_CREATE over max_pool_bytes_per_user: ENOSPC. With the cap at
 * 64 KiB and 12 bytes per buffer, two pools of 2048 buffers fit (48 KiB),
 * a third does not; a region without a pool still does; closing one makes
 * room; another user is not affected.
 */
TEST_F(kmem, pool_bookkeeping_per_user)
{
	uint64_t bytes = 2048 * self->page;
	int a, b, c, fd, status;
	pid_t pid;

	kt_param_require(&self->pool);
	ASSERT_EQ(0, kt_param_set_num(self->pool.name, 65536));
	a = kt_region_create(self->ctx, bytes, self->page, 0, NULL);
	ASSERT_LE(0, a) TH_LOG("first pool: %s", strerror(-a));
	keep(a);
	b = kt_region_create(self->ctx, bytes, self->page, 0, NULL);
	ASSERT_LE(0, b) TH_LOG("second pool: %s", strerror(-b));
	keep(b);
	c = kt_region_create(self->ctx, bytes, self->page, 0, NULL);
	EXPECT_EQ(-ENOSPC, c);
	if (c >= 0)
		keep(c);
	fd = kt_region_create(self->ctx, bytes, 0, 0, NULL);
	EXPECT_LE(0, fd) TH_LOG("a region without a pool: %s", strerror(-fd));
	if (fd >= 0)
		keep(fd);

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ctx;

		if (kt_become(KT_NOBODY, KT_NOBODY))
			_exit(10);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		if (ctx < 0)
			_exit(11);
		_exit(kt_region_create(ctx, bytes, kt_page(), 0, NULL) >= 0 ?
		      0 : 12);
	}
	status = kt_wait(pid, 10000);
	EXPECT_EQ(0, status) TH_LOG("another user: step %d", status);

	close(a);
	self->fds[0] = -1;
	c = kt_region_create(self->ctx, bytes, self->page, 0, NULL);
	EXPECT_LE(0, c) TH_LOG("after a pool was closed: %s", strerror(-c));
	if (c >= 0)
		keep(c);
}

/*
 * REGION_CREATE over max_region_bytes_per_user: ENOSPC. The sizes of a
 * user's regions count, touched or not, pool or none: with the cap at 64
 * pages above what root holds already, 48 and 16 fit, 1 more does not;
 * another user is not affected; a name keeps its region's bytes charged
 * after the last handle closed, until it is unlinked.
 */
TEST_F(kmem, region_bytes_per_user)
{
	const char *name = "kmem-region-bytes";
	uint64_t p = self->page;
	__u64 held;
	int a, b, c, named, status, ret;
	pid_t pid;

	kt_param_require(&self->user_region_bytes);
	ret = kt_genl_get_u64(KIPC_CMD_USER_GET, KIPC_A_USER_UID, 0,
			      KIPC_A_USER_REGION_BYTES, &held);
	ASSERT_EQ(0, ret) TH_LOG("user-get of root: %s", strerror(-ret));
	ASSERT_EQ(0, kt_param_set_num(self->user_region_bytes.name,
				      held + 64 * p));
	a = kt_region_create(self->ctx, 48 * p, p, 0, NULL);
	ASSERT_LE(0, a) TH_LOG("48 pages: %s", strerror(-a));
	b = kt_region_create(self->ctx, 16 * p, 0, 0, NULL);
	ASSERT_LE(0, b) TH_LOG("16 more: %s", strerror(-b));
	c = kt_region_create(self->ctx, p, 0, 0, NULL);
	EXPECT_EQ(-ENOSPC, c);
	if (c >= 0)
		close(c);

	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ctx;

		close(a);
		close(b);
		if (kt_become(KT_NOBODY, KT_NOBODY))
			_exit(10);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		if (ctx < 0)
			_exit(11);
		_exit(kt_region_create(ctx, kt_page(), 0, 0, NULL) >= 0 ?
		      0 : 12);
	}
	status = kt_wait(pid, 10000);
	EXPECT_EQ(0, status) TH_LOG("another user: step %d", status);

	/* A name keeps the 16 pages charged; its unlink gives them back. */
	named = kt_name_open(self->ctx, name, KIPC_NAME_CREATE | KIPC_NAME_EXCL,
			     b, 0600, NULL);
	ASSERT_LE(0, named) TH_LOG("NAME_OPEN: %s", strerror(-named));
	close(named);
	close(b);
	close(a);
	c = kt_region_create(self->ctx, 49 * p, 0, 0, NULL);
	EXPECT_EQ(-ENOSPC, c) TH_LOG("the named region's bytes were given back");
	if (c >= 0)
		close(c);
	c = kt_region_create(self->ctx, 48 * p, 0, 0, NULL);
	EXPECT_LE(0, c) TH_LOG("after the close: %s", strerror(-c));
	if (c >= 0)
		close(c);
	ASSERT_EQ(0, kt_name_unlink(self->ctx, name));
	c = kt_region_create(self->ctx, 64 * p, 0, 0, NULL);
	EXPECT_LE(0, c) TH_LOG("after the unlink: %s", strerror(-c));
	if (c >= 0)
		close(c);
}

/*
 * Buffers are at most 4 GiB - 1 bytes (a buffer reference's length and a
 * message's record of it are 32-bit): with max_region_bytes raised, a
 * pool of larger buffers is refused, where it used to be made and to
 * truncate the length of what was sent in it.
 */
TEST_F(kmem, buffer_above_4g_refused)
{
	const uint64_t g = 1ULL << 30;
	struct kipc_region_create rc;

	ASSERT_EQ(0, kt_param_set_num("max_region_bytes", 16 * g));
	EXPECT_EQ(-EINVAL, kt_region_create(self->ctx, 8 * g, 8 * g, 0, &rc));
	EXPECT_EQ(-EINVAL, kt_region_create(self->ctx, 8 * g, 4 * g, 0, &rc));
}

/*
 * A region without a pool charges no pool bytes: it is made also when
 * root has lowered max_pool_bytes_per_user below what the user's pooled
 * regions already hold.
 */
TEST_F(kmem, region_without_pool_despite_a_lowered_cap)
{
	int fd;

	ASSERT_EQ(0, kt_param_save(&self->pool));
	fd = kt_region_create(self->ctx, 16 * self->page, self->page, 0, NULL);
	ASSERT_LE(0, fd);
	keep(fd);
	ASSERT_EQ(0, kt_param_set_num(self->pool.name, 1));
	EXPECT_EQ(-ENOSPC, kt_region_create(self->ctx, 16 * self->page,
					    self->page, 0, NULL));
	fd = kt_region_create(self->ctx, 16 * self->page, 0, 0, NULL);
	EXPECT_LE(0, fd) TH_LOG("no pool, refused: %s", strerror(-fd));
	if (fd >= 0)
		keep(fd);
}

KIPC_TEST_MAIN
