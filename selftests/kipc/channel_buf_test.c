// SPDX-License-Identifier: GPL-2.0
/* Channels move region buffers from the sender's handle to the receiver's, without a copy. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NR_BUFS	16

FIXTURE(buf) {
	int ctx;
	int snd_h, rcv_h;	/* sender's and receiver's region handles */
	int sfd, rfd;
	long page;
	size_t bytes;
	unsigned char *smap, *rmap;
	pid_t child;
};

FIXTURE_SETUP(buf)
{
	int ret;

	self->snd_h = self->rcv_h = self->sfd = self->rfd = -1;
	self->smap = self->rmap = MAP_FAILED;
	self->child = 0;
	self->page = kt_page();
	self->bytes = NR_BUFS * self->page;
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL);
	self->snd_h = kt_region_create(self->ctx, self->bytes, self->page, 0,
				       NULL);
	ASSERT_LE(0, self->snd_h);
	self->rcv_h = kt_region_attach(self->snd_h, 0);
	ASSERT_LE(0, self->rcv_h);
	ret = kt_channel_create(self->ctx, 0, 0, 0, self->snd_h, &self->sfd,
				&self->rfd);
	ASSERT_EQ(0, ret) TH_LOG("channel create: %s", strerror(-ret));
	self->smap = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->snd_h, 0);
	ASSERT_NE(MAP_FAILED, self->smap);
	self->rmap = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->rcv_h, 0);
	ASSERT_NE(MAP_FAILED, self->rmap);
}

FIXTURE_TEARDOWN(buf)
{
	kt_reap(self->child);
	if (self->smap != MAP_FAILED)
		munmap(self->smap, self->bytes);
	if (self->rmap != MAP_FAILED)
		munmap(self->rmap, self->bytes);
	if (self->sfd >= 0)
		close(self->sfd);
	if (self->rfd >= 0)
		close(self->rfd);
	if (self->rcv_h >= 0)
		close(self->rcv_h);
	if (self->snd_h >= 0)
		close(self->snd_h);
	close(self->ctx);
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}

static int check(const unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 131 + i * 7 + (i >> 8)))
			return 0;
	return 1;
}

static int send_bufs(int sfd, int handle, struct kipc_buf_ref *refs,
		     uint32_t nr, const char *hdr, uint64_t tag, uint32_t flags)
{
	struct kipc_msg m;

	kt_msg_init(&m, hdr, hdr ? strlen(hdr) : 0, refs, nr, tag);
	return kt_io(sfd, KIPC_IOC_SEND, &m, 1, flags, handle, 0, 0);
}

static int recv_bufs(int rfd, int handle, struct kipc_msg *m,
		     struct kipc_buf_ref *refs, uint32_t room, void *data,
		     uint32_t data_room, uint32_t flags)
{
	kt_msg_init(m, data, data_room, refs, room, 0);
	return kt_io(rfd, KIPC_IOC_RECV, m, 1, flags, handle, 0, 0);
}

TEST_F(buf, buffer_moves_sender_to_receiver)
{
	struct kipc_buf_ref ref, got[2];
	struct kipc_region_info si, ri;
	struct kipc_msg m;
	char hdr[16];
	__u64 off;

	ASSERT_EQ(0, kt_buf_alloc(self->snd_h, &off));
	fill(self->smap + off, self->page, 1);
	ref.offset = off;
	ref.len = self->page - 100;
	ASSERT_EQ(1, send_bufs(self->sfd, self->snd_h, &ref, 1, "hdr", 42, 0));

	ASSERT_EQ(0, kt_region_info(self->snd_h, &si));
	EXPECT_EQ(0, si.nr_owned);
	EXPECT_EQ(1, si.nr_in_flight);
	EXPECT_EQ(NR_BUFS - 1, si.nr_free);
	EXPECT_EQ(1, kt_fdinfo_num(self->snd_h, "kipc-bufs-in-flight"));
	/* In flight: the sender cannot release it any more. */
	EXPECT_EQ(-EPERM, kt_buf_release(self->snd_h, off));

	memset(got, 0, sizeof(got));
	ASSERT_EQ(1, recv_bufs(self->rfd, self->rcv_h, &m, got, 2, hdr,
			       sizeof(hdr), 0));
	EXPECT_EQ(42, m.tag);
	EXPECT_EQ(3, m.data_len);
	EXPECT_EQ(0, memcmp(hdr, "hdr", 3));
	ASSERT_EQ(1, m.nr_bufs);
	EXPECT_EQ(off, got[0].offset);
	EXPECT_EQ(self->page - 100, got[0].len);
	EXPECT_EQ(getpid(), m.pid);

	ASSERT_EQ(0, kt_region_info(self->rcv_h, &ri));
	EXPECT_EQ(1, ri.nr_owned);
	EXPECT_EQ(0, ri.nr_in_flight);
	EXPECT_EQ(NR_BUFS - 1, ri.nr_free);
	ASSERT_EQ(0, kt_region_info(self->snd_h, &si));
	EXPECT_EQ(0, si.nr_owned);

	/* The receiver reads the sender's bytes through its own mapping. */
	EXPECT_TRUE(check(self->rmap + got[0].offset, self->page, 1));

	EXPECT_EQ(-EPERM, kt_buf_release(self->snd_h, off));
	EXPECT_EQ(0, kt_buf_release(self->rcv_h, off));
	EXPECT_EQ(-EALREADY, kt_buf_release(self->rcv_h, off));
	EXPECT_EQ(NR_BUFS, kt_region_free(self->snd_h));
}

/*
 * An allocation whose argument cannot be written back (the offset would
 * be lost) fails with EFAULT before it takes a buffer.
 */
TEST_F(buf, alloc_fault_takes_nothing)
{
	struct kipc_buf_alloc ba = { .size = sizeof(ba) };
	struct kipc_buf_alloc *ro = kt_read_only(&ba, sizeof(ba));

	ASSERT_NE(NULL, ro);
	EXPECT_EQ(NR_BUFS, kt_region_free(self->snd_h));
	EXPECT_EQ(-1, ioctl(self->snd_h, KIPC_IOC_BUF_ALLOC, ro));
	EXPECT_EQ(EFAULT, errno);
	kt_read_only_free(ro);
	EXPECT_EQ(NR_BUFS, kt_region_free(self->snd_h));
}

TEST_F(buf, sixteen_buffers_in_one_message)
{
	struct kipc_buf_ref refs[KIPC_MSG_BUFS_MAX], got[KIPC_MSG_BUFS_MAX];
	struct kipc_region_info ri;
	struct kipc_msg m;
	int i;

	for (i = 0; i < KIPC_MSG_BUFS_MAX; i++) {
		ASSERT_EQ(0, kt_buf_alloc(self->snd_h, &refs[i].offset));
		refs[i].len = self->page - i;
		fill(self->smap + refs[i].offset, refs[i].len, 100 + i);
	}
	ASSERT_EQ(1, send_bufs(self->sfd, self->snd_h, refs,
			       KIPC_MSG_BUFS_MAX, NULL, 9, 0));
	ASSERT_EQ(0, kt_region_info(self->snd_h, &ri));
	EXPECT_EQ(0, ri.nr_free);
	EXPECT_EQ(KIPC_MSG_BUFS_MAX, ri.nr_in_flight);

	/* Too little room for the refs: EMSGSIZE, and it stays queued. */
	EXPECT_EQ(-EMSGSIZE, recv_bufs(self->rfd, self->rcv_h, &m, got,
				       KIPC_MSG_BUFS_MAX - 1, NULL, 0, 0));
	ASSERT_EQ(0, kt_region_info(self->rcv_h, &ri));
	EXPECT_EQ(0, ri.nr_owned);
	EXPECT_EQ(KIPC_MSG_BUFS_MAX, ri.nr_in_flight);

	ASSERT_EQ(1, recv_bufs(self->rfd, self->rcv_h, &m, got,
			       KIPC_MSG_BUFS_MAX, NULL, 0, 0));
	ASSERT_EQ(KIPC_MSG_BUFS_MAX, m.nr_bufs);
	EXPECT_EQ(0, m.data_len);
	for (i = 0; i < KIPC_MSG_BUFS_MAX; i++) {
		EXPECT_EQ(refs[i].offset, got[i].offset);
		EXPECT_EQ(refs[i].len, got[i].len);
		EXPECT_TRUE(check(self->rmap + got[i].offset, got[i].len,
				  100 + i));
	}
	ASSERT_EQ(0, kt_region_info(self->rcv_h, &ri));
	EXPECT_EQ(KIPC_MSG_BUFS_MAX, ri.nr_owned);
	EXPECT_EQ(0, ri.nr_in_flight);
	for (i = 0; i < KIPC_MSG_BUFS_MAX; i++)
		EXPECT_EQ(0, kt_buf_release(self->rcv_h, got[i].offset));
	EXPECT_EQ(NR_BUFS, kt_region_free(self->snd_h));
}

TEST_F(buf, only_the_owner_can_send)
{
	struct kipc_buf_ref ref, two[2];
	__u64 off;

	ASSERT_EQ(0, kt_buf_alloc(self->rcv_h, &off));
	ref.offset = off;
	ref.len = self->page;
	/* Owned by another handle. */
	EXPECT_EQ(-EPERM, send_bufs(self->sfd, self->snd_h, &ref, 1, NULL, 0,
				    KIPC_IO_NONBLOCK));
	/* Free. */
	ref.offset = (off + self->page) % self->bytes;
	EXPECT_EQ(-EPERM, send_bufs(self->sfd, self->snd_h, &ref, 1, NULL, 0,
				    KIPC_IO_NONBLOCK));
	EXPECT_EQ(0, kt_fdinfo_num(self->rfd, "kipc-queued"));
	EXPECT_EQ(NR_BUFS - 1, kt_region_free(self->snd_h));
	/* The same buffer twice in one message: the second is not owned. */
	ASSERT_EQ(0, kt_buf_alloc(self->snd_h, &off));
	two[0].offset = two[1].offset = off;
	two[0].len = two[1].len = self->page;
	EXPECT_NE(1, send_bufs(self->sfd, self->snd_h, two, 2, NULL, 0,
			       KIPC_IO_NONBLOCK));
	EXPECT_EQ(NR_BUFS - 2, kt_region_free(self->snd_h));
}

TEST_F(buf, bad_buffer_refs)
{
	struct kipc_buf_ref ref;
	__u64 off;
	int other, s2, r2;

	ASSERT_EQ(0, kt_buf_alloc(self->snd_h, &off));
	ref.offset = off;
	ref.len = self->page + 1;		/* longer than a buffer */
	EXPECT_EQ(-EINVAL, send_bufs(self->sfd, self->snd_h, &ref, 1, NULL, 0,
				     KIPC_IO_NONBLOCK));
	ref.len = self->page;
	ref.offset = off + 8;			/* not a buffer start */
	EXPECT_EQ(-EINVAL, send_bufs(self->sfd, self->snd_h, &ref, 1, NULL, 0,
				     KIPC_IO_NONBLOCK));
	ref.offset = self->bytes;		/* outside the region */
	EXPECT_EQ(-EINVAL, send_bufs(self->sfd, self->snd_h, &ref, 1, NULL, 0,
				     KIPC_IO_NONBLOCK));
	ref.offset = off;
	/* region_fd not open, then not a handle of the channel's region. */
	EXPECT_EQ(-EBADF, send_bufs(self->sfd, -1, &ref, 1, NULL, 0,
				    KIPC_IO_NONBLOCK));
	other = kt_region_create(self->ctx, self->bytes, self->page, 0, NULL);
	ASSERT_LE(0, other);
	EXPECT_EQ(-EINVAL, send_bufs(self->sfd, other, &ref, 1, NULL, 0,
				     KIPC_IO_NONBLOCK));
	EXPECT_EQ(-EINVAL, send_bufs(self->sfd, self->ctx, &ref, 1, NULL, 0,
				     KIPC_IO_NONBLOCK));
	/* Buffers on an unbound channel. */
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, 0, -1, &s2, &r2));
	EXPECT_EQ(-EINVAL, send_bufs(s2, self->snd_h, &ref, 1, NULL, 0,
				     KIPC_IO_NONBLOCK));
	close(s2);
	close(r2);
	close(other);
	/* Nothing moved. */
	EXPECT_EQ(0, kt_fdinfo_num(self->rfd, "kipc-queued"));
	EXPECT_EQ(NR_BUFS - 1, kt_region_free(self->snd_h));
	EXPECT_EQ(0, kt_buf_release(self->snd_h, off));
}

TEST_F(buf, receiver_handle_must_be_of_the_region)
{
	struct kipc_buf_ref ref, got;
	struct kipc_msg m;
	int other;

	ASSERT_EQ(0, kt_buf_alloc(self->snd_h, &ref.offset));
	ref.len = 1;
	ASSERT_EQ(1, send_bufs(self->sfd, self->snd_h, &ref, 1, NULL, 5, 0));
	other = kt_region_create(self->ctx, self->bytes, self->page, 0, NULL);
	ASSERT_LE(0, other);
	EXPECT_EQ(-EBADF, recv_bufs(self->rfd, -1, &m, &got, 1, NULL, 0, 0));
	EXPECT_EQ(-EINVAL, recv_bufs(self->rfd, other, &m, &got, 1, NULL, 0, 0));
	close(other);
	/* Still queued. */
	ASSERT_EQ(1, recv_bufs(self->rfd, self->rcv_h, &m, &got, 1, NULL, 0, 0));
	EXPECT_EQ(5, m.tag);
	EXPECT_EQ(ref.offset, got.offset);
	EXPECT_EQ(1, got.len);
	EXPECT_EQ(0, kt_buf_release(self->rcv_h, got.offset));
}

TEST_F(buf, receiver_sends_it_on)
{
	struct kipc_buf_ref ref, got;
	struct kipc_msg m;

	ASSERT_EQ(0, kt_buf_alloc(self->snd_h, &ref.offset));
	ref.len = self->page;
	fill(self->smap + ref.offset, self->page, 7);
	ASSERT_EQ(1, send_bufs(self->sfd, self->snd_h, &ref, 1, NULL, 1, 0));
	ASSERT_EQ(1, recv_bufs(self->rfd, self->rcv_h, &m, &got, 1, NULL, 0, 0));
	/* Back through the same channel, now from the receiver's handle. */
	EXPECT_EQ(-EPERM, send_bufs(self->sfd, self->snd_h, &got, 1, NULL, 2,
				    KIPC_IO_NONBLOCK));
	ASSERT_EQ(1, send_bufs(self->sfd, self->rcv_h, &got, 1, NULL, 2, 0));
	ASSERT_EQ(1, recv_bufs(self->rfd, self->snd_h, &m, &got, 1, NULL, 0, 0));
	EXPECT_EQ(2, m.tag);
	EXPECT_EQ(ref.offset, got.offset);
	EXPECT_TRUE(check(self->smap + got.offset, self->page, 7));
	EXPECT_EQ(-EPERM, kt_buf_release(self->rcv_h, got.offset));
	EXPECT_EQ(0, kt_buf_release(self->snd_h, got.offset));
}

TEST_F(buf, receiver_in_another_process)
{
	struct kipc_buf_ref refs[4];
	int i;

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		struct kipc_buf_ref got[KIPC_MSG_BUFS_MAX];
		struct kipc_region_info ri;
		unsigned char *map;
		struct kipc_msg m;
		int h, n, seen = 0;

		close(self->sfd);
		h = kt_region_attach(self->rcv_h, 0);
		if (h < 0)
			_exit(10);
		map = mmap(NULL, self->bytes, PROT_READ, MAP_SHARED, h, 0);
		if (map == MAP_FAILED)
			_exit(11);
		while ((n = recv_bufs(self->rfd, h, &m, got, 16, NULL, 0, 0)) == 1) {
			if (m.nr_bufs != 1 || m.pid != (uint32_t)getppid())
				_exit(12);
			if (!check(map + got[0].offset, got[0].len, m.tag))
				_exit(13);
			if (kt_region_info(h, &ri) || ri.nr_owned != 1)
				_exit(14);
			if (kt_buf_release(h, got[0].offset))
				_exit(15);
			seen++;
		}
		_exit(n == 0 && seen == 40 ? 0 : 16);
	}
	close(self->rfd);
	self->rfd = -1;
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, kt_buf_alloc(self->snd_h, &refs[0].offset));
		refs[0].len = self->page - i;
		fill(self->smap + refs[0].offset, refs[0].len, i);
		ASSERT_EQ(1, send_bufs(self->sfd, self->snd_h, refs, 1, NULL,
				       i, 0));
	}
	close(self->sfd);
	self->sfd = -1;
	EXPECT_EQ(0, kt_wait(self->child, 20000));
	self->child = 0;
	EXPECT_EQ(NR_BUFS, kt_region_free(self->snd_h));
}

/*
 * The receive end closes with every buffer of the pool queued, one a
 * message, while another process waits in BUF_ALLOC: the queue's buffers
 * go back to the pool at once, and the waiter is woken (once for the
 * whole queue) and gets one.
 */
TEST_F(buf, dropped_queue_wakes_an_allocator)
{
	struct kipc_buf_ref ref;
	__u64 off;
	int i;

	for (i = 0; i < NR_BUFS; i++) {
		ASSERT_EQ(0, kt_buf_alloc(self->snd_h, &off));
		ref = (struct kipc_buf_ref){ .offset = off, .len = 1 };
		ASSERT_EQ(1, send_bufs(self->sfd, self->snd_h, &ref, 1, NULL,
				       i, KIPC_IO_NONBLOCK));
	}
	ASSERT_EQ(0, kt_region_free(self->snd_h));
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(self->rfd);	/* ours is the last receive end */
		close(self->sfd);
		_exit(kt_buf_alloc(self->snd_h, &off) ? 1 : 0);
	}
	ASSERT_EQ(1, kt_wait_sleeping(self->child, 5000));
	kt_sleep_ms(20);
	close(self->rfd);		/* the last receive end: queue dropped */
	self->rfd = -1;
	EXPECT_EQ(0, kt_wait(self->child, 10000))
		TH_LOG("the allocator was not woken by the dropped buffers");
	self->child = 0;
	/* The child's buffer is its handle's, which is ours too. */
	EXPECT_EQ(NR_BUFS - 1, kt_region_free(self->snd_h));
}

KIPC_TEST_MAIN
