// SPDX-License-Identifier: GPL-2.0
/* Blocking and non-blocking send/receive: EAGAIN when full or empty, and wake-ups. */
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define DEPTH	4

KT_CHANNEL_FIXTURE(block, DEPTH)

static int fill(int sfd, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (kt_send1(sfd, &i, sizeof(i), i, KIPC_IO_NONBLOCK) != 1)
			return -1;
	return 0;
}

TEST_F(block, io_nonblock_full_and_empty)
{
	unsigned int v;

	EXPECT_EQ(-EAGAIN, kt_recv1(self->rfd, &v, sizeof(v), NULL,
				    KIPC_IO_NONBLOCK));
	ASSERT_EQ(0, fill(self->sfd, DEPTH));
	EXPECT_EQ(-EAGAIN, kt_send1(self->sfd, &v, sizeof(v), 0,
				    KIPC_IO_NONBLOCK));
	EXPECT_EQ(DEPTH, kt_fdinfo_num(self->sfd, "kipc-queued"));
	/* One out makes room for exactly one. */
	ASSERT_EQ(1, kt_recv1(self->rfd, &v, sizeof(v), NULL, KIPC_IO_NONBLOCK));
	EXPECT_EQ(0, v);
	EXPECT_EQ(1, kt_send1(self->sfd, &v, sizeof(v), 0, KIPC_IO_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kt_send1(self->sfd, &v, sizeof(v), 0,
				    KIPC_IO_NONBLOCK));
}

TEST_F(block, fd_nonblock_flag)
{
	unsigned int v = 0;
	int s, r;

	ASSERT_EQ(0, kt_channel_create(self->ctx, KIPC_FD_NONBLOCK, DEPTH, 0,
				       -1, &s, &r));
	EXPECT_NE(0, fcntl(s, F_GETFL) & O_NONBLOCK);
	EXPECT_NE(0, fcntl(r, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(s, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-EAGAIN, kt_recv1(r, &v, sizeof(v), NULL, 0));
	ASSERT_EQ(0, fill(s, DEPTH));
	EXPECT_EQ(-EAGAIN, kt_send1(s, &v, sizeof(v), 0, 0));
	close(s);
	close(r);

	ASSERT_EQ(0, kt_channel_create(self->ctx, KIPC_FD_CLOEXEC, DEPTH, 0,
				       -1, &s, &r));
	EXPECT_NE(0, fcntl(s, F_GETFD) & FD_CLOEXEC);
	EXPECT_NE(0, fcntl(r, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, fcntl(r, F_GETFL) & O_NONBLOCK);
	close(s);
	close(r);
}

TEST_F(block, fcntl_nonblock)
{
	unsigned int v = 0;

	ASSERT_EQ(0, fcntl(self->rfd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, fcntl(self->sfd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kt_recv1(self->rfd, &v, sizeof(v), NULL, 0));
	ASSERT_EQ(0, fill(self->sfd, DEPTH));
	EXPECT_EQ(-EAGAIN, kt_send1(self->sfd, &v, sizeof(v), 0, 0));
}

TEST_F(block, blocking_batch_moves_what_fits_without_waiting_again)
{
	unsigned int v[DEPTH + 3] = { 0 }, i;
	struct kipc_msg m[DEPTH + 3];

	for (i = 0; i < DEPTH + 3; i++)
		kt_msg_init(&m[i], &v[i], sizeof(v[i]), NULL, 0, i);
	/* Room for DEPTH: a blocking send of DEPTH + 3 returns DEPTH. */
	ASSERT_EQ(DEPTH, kt_send(self->sfd, m, DEPTH + 3, 0));
	for (i = 0; i < DEPTH + 3; i++)
		kt_msg_init(&m[i], &v[i], sizeof(v[i]), NULL, 0, 0);
	ASSERT_EQ(DEPTH, kt_recv(self->rfd, m, DEPTH + 3, 0));
}

TEST_F(block, blocked_sender_woken_by_receive)
{
	unsigned int v;

	ASSERT_EQ(0, fill(self->sfd, DEPTH));
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		v = 1000;
		_exit(kt_send1(self->sfd, &v, sizeof(v), 1000, 0) == 1 ? 0 : 10);
	}
	ASSERT_TRUE(kt_wait_sleeping(self->child, 10000));
	kt_sleep_ms(50);
	/* Still blocked: nothing moved. */
	ASSERT_EQ(0, waitpid(self->child, NULL, WNOHANG));
	EXPECT_EQ(DEPTH, kt_fdinfo_num(self->sfd, "kipc-queued"));

	ASSERT_EQ(1, kt_recv1(self->rfd, &v, sizeof(v), NULL, 0));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
	/* The woken sender's message is last. */
	EXPECT_EQ(DEPTH, kt_fdinfo_num(self->sfd, "kipc-queued"));
	for (int i = 1; i < DEPTH; i++) {
		ASSERT_EQ(1, kt_recv1(self->rfd, &v, sizeof(v), NULL, 0));
		EXPECT_EQ(i, v);
	}
	ASSERT_EQ(1, kt_recv1(self->rfd, &v, sizeof(v), NULL, 0));
	EXPECT_EQ(1000, v);
}

TEST_F(block, blocked_receiver_woken_by_send)
{
	unsigned int v = 77;

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		struct kipc_msg m;
		unsigned int got = 0;

		if (kt_recv1(self->rfd, &got, sizeof(got), &m, 0) != 1)
			_exit(10);
		_exit(got == 77 && m.tag == 5 ? 0 : 11);
	}
	ASSERT_TRUE(kt_wait_sleeping(self->child, 10000));
	kt_sleep_ms(50);
	ASSERT_EQ(0, waitpid(self->child, NULL, WNOHANG));
	ASSERT_EQ(1, kt_send1(self->sfd, &v, sizeof(v), 5, 0));
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
	EXPECT_EQ(0, kt_fdinfo_num(self->sfd, "kipc-queued"));
}

TEST_F(block, many_blocked_receivers_each_get_one)
{
	pid_t kids[3];
	unsigned int v, i;

	for (i = 0; i < 3; i++) {
		kids[i] = kt_fork();
		ASSERT_LE(0, kids[i]);
		if (kids[i] == 0)
			_exit(kt_recv1(self->rfd, &v, sizeof(v), NULL, 0) == 1 ?
			      0 : 10);
	}
	for (i = 0; i < 3; i++)
		ASSERT_TRUE(kt_wait_sleeping(kids[i], 10000));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(1, kt_send1(self->sfd, &i, sizeof(i), i, 0));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, kt_wait(kids[i], 10000));
	EXPECT_EQ(0, kt_fdinfo_num(self->sfd, "kipc-queued"));
}

KIPC_TEST_MAIN
