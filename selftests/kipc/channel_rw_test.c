// SPDX-License-Identifier: GPL-2.0
/*
 * read(2) and write(2) on channel ends: one write is one message of inline
 * bytes, one read takes one; they mix with KIPC_IOC_SEND/RECV, keep message
 * boundaries, refuse what does not fit without losing it, block and wake,
 * and report end of stream and a closed peer as the ioctls do.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define DEPTH	4

KT_CHANNEL_FIXTURE(rw, DEPTH)

/* read() or write() result as a count or -errno. */
static ssize_t kt_rw_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

static ssize_t kt_rw_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : n;
}

TEST_F(rw, one_write_is_one_message)
{
	char buf[64];
	struct kipc_msg m;

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	ASSERT_EQ(5, kt_rw_write(self->sfd, "hello", 5));
	ASSERT_EQ(3, kt_rw_write(self->sfd, "abc", 3));
	/* Boundaries kept: the first read takes "hello" only. */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(5, kt_rw_read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	/* A write is a message like any other: the ioctl sees tag 0, creds. */
	ASSERT_EQ(1, kt_recv1(self->rfd, buf, sizeof(buf), &m, 0));
	EXPECT_EQ(3, m.data_len);
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(0, m.tag);
	EXPECT_EQ(getpid(), m.pid);
	EXPECT_EQ(getuid(), m.uid);
}

TEST_F(rw, read_takes_an_ioctl_message_and_its_order)
{
	char buf[16];
	unsigned int i;

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	for (i = 0; i < DEPTH; i++) {
		if (i % 2) {
			ASSERT_EQ(sizeof(i), kt_rw_write(self->sfd, &i, sizeof(i)));
		} else {
			ASSERT_EQ(1, kt_send1(self->sfd, &i, sizeof(i), 99, 0));
		}
	}
	for (i = 0; i < DEPTH; i++) {
		memset(buf, 0xff, sizeof(buf));
		ASSERT_EQ(sizeof(i), kt_rw_read(self->rfd, buf, sizeof(buf)));
		EXPECT_EQ(0, memcmp(buf, &i, sizeof(i)));
	}
}

TEST_F(rw, short_read_is_emsgsize_and_keeps_the_message)
{
	char buf[8];

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	ASSERT_EQ(6, kt_rw_write(self->sfd, "abcdef", 6));
	EXPECT_EQ(-EMSGSIZE, kt_rw_read(self->rfd, buf, 5));
	EXPECT_EQ(1, kt_fdinfo_num(self->rfd, "kipc-queued"));
	ASSERT_EQ(6, kt_rw_read(self->rfd, buf, 6));
	EXPECT_EQ(0, memcmp(buf, "abcdef", 6));
}

TEST_F(rw, write_above_max_inline_is_emsgsize)
{
	static char big[4097];
	int s, r;

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	/* The fixture's channel has the default max_inline of 4096. */
	EXPECT_EQ(-EMSGSIZE, kt_rw_write(self->sfd, big, sizeof(big)));
	EXPECT_EQ(4096, kt_rw_write(self->sfd, big, 4096));
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, DEPTH, 16, -1, &s, &r));
	EXPECT_EQ(-EMSGSIZE, kt_rw_write(s, big, 17));
	EXPECT_EQ(16, kt_rw_write(s, big, 16));
	EXPECT_EQ(1, kt_fdinfo_num(s, "kipc-queued"));
	close(s);
	close(r);
}

TEST_F(rw, bad_user_pointers_are_efault_and_lose_nothing)
{
	void *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char buf[8];

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, 4096));
	EXPECT_EQ(-EFAULT, kt_rw_write(self->sfd, gone, 8));
	EXPECT_EQ(0, kt_fdinfo_num(self->sfd, "kipc-queued"));
	ASSERT_EQ(4, kt_rw_write(self->sfd, "data", 4));
	EXPECT_EQ(-EFAULT, kt_rw_read(self->rfd, gone, 8));
	EXPECT_EQ(1, kt_fdinfo_num(self->rfd, "kipc-queued"));
	ASSERT_EQ(4, kt_rw_read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "data", 4));
}

TEST_F(rw, message_with_a_buffer_is_not_for_read)
{
	struct kipc_buf_ref ref;
	struct kipc_msg m;
	int region, s, r;
	__u64 off;
	char buf[64];

	kipc_test_require(self->ctx,
			  KIPC_FEATURE_CHANNEL_RW | KIPC_FEATURE_REGION);
	region = kt_region_create(self->ctx, 4 * kt_page(), kt_page(), 0, NULL);
	ASSERT_LE(0, region);
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, DEPTH, 0, region, &s, &r));
	ASSERT_EQ(0, kt_buf_alloc(region, &off));
	ref.offset = off;
	ref.len = 1;
	kt_msg_init(&m, NULL, 0, &ref, 1, 0);
	ASSERT_EQ(1, kt_io(s, KIPC_IOC_SEND, &m, 1, 0, region, 0, 0));
	/* read() cannot take a buffer: EMSGSIZE, and the message stays. */
	EXPECT_EQ(-EMSGSIZE, kt_rw_read(r, buf, sizeof(buf)));
	kt_msg_init(&m, NULL, 0, &ref, 1, 0);
	EXPECT_EQ(1, kt_io(r, KIPC_IOC_RECV, &m, 1, 0, region, 0, 0));
	EXPECT_EQ(off, ref.offset);
	close(s);
	close(r);
	close(region);
}

TEST_F(rw, nonblocking_full_and_empty)
{
	unsigned int i;
	char buf[8];
	int fl = fcntl(self->sfd, F_GETFL);

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	ASSERT_EQ(0, fcntl(self->sfd, F_SETFL, fl | O_NONBLOCK));
	ASSERT_EQ(0, fcntl(self->rfd, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kt_rw_read(self->rfd, buf, sizeof(buf)));
	for (i = 0; i < DEPTH; i++)
		ASSERT_EQ(1, kt_rw_write(self->sfd, "x", 1));
	EXPECT_EQ(-EAGAIN, kt_rw_write(self->sfd, "y", 1));
	EXPECT_EQ(DEPTH, kt_fdinfo_num(self->sfd, "kipc-queued"));
}

TEST_F(rw, blocked_read_wakes_on_write_and_poll_agrees)
{
	struct pollfd pfd = { .fd = self->rfd, .events = POLLIN };
	char buf[8], c;
	int go[2];

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	ASSERT_EQ(0, pipe(go));
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		/* After the parent's poll, once its read sleeps: no timing. */
		close(go[1]);
		if (read(go[0], &c, 1) != 1 || !kt_wait_sleeping(getppid(), 10000))
			_exit(2);
		_exit(kt_rw_write(self->sfd, "late", 4) == 4 ? 0 : 1);
	}
	close(go[0]);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	ASSERT_EQ(4, kt_rw_read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "late", 4));
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
}

TEST_F(rw, blocked_write_wakes_when_a_read_makes_room)
{
	unsigned int i;
	char buf[8];

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	for (i = 0; i < DEPTH; i++)
		ASSERT_EQ(1, kt_rw_write(self->sfd, "x", 1));
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0)
		_exit(kt_rw_write(self->sfd, "last", 4) == 4 ? 0 : 1);
	ASSERT_TRUE(kt_wait_sleeping(self->child, 10000));
	ASSERT_EQ(1, kt_rw_read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
	for (i = 1; i < DEPTH; i++)
		ASSERT_EQ(1, kt_rw_read(self->rfd, buf, sizeof(buf)));
	ASSERT_EQ(4, kt_rw_read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "last", 4));
}

TEST_F(rw, end_of_stream_and_closed_receiver)
{
	char buf[8];

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	ASSERT_EQ(2, kt_rw_write(self->sfd, "ok", 2));
	ASSERT_EQ(0, close(self->sfd));
	self->sfd = -1;
	/* Drained first, then end of stream. */
	EXPECT_EQ(2, kt_rw_read(self->rfd, buf, sizeof(buf)));
	EXPECT_EQ(0, kt_rw_read(self->rfd, buf, sizeof(buf)));
}

TEST_F(rw, write_without_receivers_is_epipe_without_sigpipe)
{
	int s, r;

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	/* A SIGPIPE would kill the test: the ioctl's rule holds for write(). */
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, DEPTH, 0, -1, &s, &r));
	ASSERT_EQ(0, close(r));
	EXPECT_EQ(-EPIPE, kt_rw_write(s, "x", 1));
	close(s);
}

TEST_F(rw, wrong_end_and_no_seeking)
{
	char buf[8];

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL_RW);

	EXPECT_EQ(-EBADF, kt_rw_read(self->sfd, buf, sizeof(buf)));
	EXPECT_EQ(-EBADF, kt_rw_write(self->rfd, "x", 1));
	ASSERT_EQ(1, kt_rw_write(self->sfd, "x", 1));
	EXPECT_EQ(-1, pread(self->rfd, buf, sizeof(buf), 0));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(-1, pwrite(self->sfd, "x", 1, 0));
	EXPECT_EQ(ESPIPE, errno);
}

KIPC_TEST_MAIN
