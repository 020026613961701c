// SPDX-License-Identifier: GPL-2.0
/* poll and epoll readiness of channel ends: EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR. */
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define DEPTH	2

FIXTURE(poll) {
	int ctx;
	int sfd, rfd;
	int ep;
	pid_t child;
};

FIXTURE_SETUP(poll)
{
	int ret;

	self->sfd = self->rfd = self->ep = -1;
	self->child = 0;
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL);
	ret = kt_channel_create(self->ctx, 0, DEPTH, 0, -1, &self->sfd,
				&self->rfd);
	ASSERT_EQ(0, ret) TH_LOG("channel create: %s", strerror(-ret));
	self->ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->ep);
}

FIXTURE_TEARDOWN(poll)
{
	kt_reap(self->child);
	if (self->ep >= 0)
		close(self->ep);
	if (self->sfd >= 0)
		close(self->sfd);
	if (self->rfd >= 0)
		close(self->rfd);
	close(self->ctx);
}

/* The events poll() reports on @fd now (asking for all of them). */
static short revents(int fd, int timeout_ms)
{
	struct pollfd p = {
		.fd = fd, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM,
	};

	if (poll(&p, 1, timeout_ms) < 0)
		return -1;
	return p.revents;
}

TEST_F(poll, empty_channel)
{
	EXPECT_EQ(0, revents(self->rfd, 0));
	EXPECT_EQ(POLLOUT | POLLWRNORM, revents(self->sfd, 0));
}

TEST_F(poll, queued_then_full_then_drained)
{
	char b = 'x';

	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	EXPECT_EQ(POLLIN | POLLRDNORM, revents(self->rfd, 0));
	EXPECT_EQ(POLLOUT | POLLWRNORM, revents(self->sfd, 0));
	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	/* Full: no more EPOLLOUT. */
	EXPECT_EQ(0, revents(self->sfd, 0));
	EXPECT_EQ(POLLIN | POLLRDNORM, revents(self->rfd, 0));
	ASSERT_EQ(1, kt_recv1(self->rfd, &b, 1, NULL, 0));
	EXPECT_EQ(POLLOUT | POLLWRNORM, revents(self->sfd, 0));
	EXPECT_EQ(POLLIN | POLLRDNORM, revents(self->rfd, 0));
	ASSERT_EQ(1, kt_recv1(self->rfd, &b, 1, NULL, 0));
	EXPECT_EQ(0, revents(self->rfd, 0));
}

TEST_F(poll, senders_gone_is_hup_on_recv_end)
{
	char b = 'x';

	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	close(self->sfd);
	self->sfd = -1;
	/* Still readable until drained, and hung up. */
	EXPECT_EQ(POLLIN | POLLRDNORM | POLLHUP, revents(self->rfd, 0));
	ASSERT_EQ(1, kt_recv1(self->rfd, &b, 1, NULL, 0));
	EXPECT_EQ(POLLHUP, revents(self->rfd, 0) & ~(POLLIN | POLLRDNORM));
	EXPECT_EQ(0, kt_recv1(self->rfd, &b, 1, NULL, 0));
}

TEST_F(poll, receivers_gone_is_err_hup_on_send_end)
{
	short ev;

	close(self->rfd);
	self->rfd = -1;
	ev = revents(self->sfd, 0);
	EXPECT_EQ(POLLERR | POLLHUP, ev & (POLLERR | POLLHUP));
	EXPECT_EQ(-EPIPE, kt_send1(self->sfd, "x", 1, 0, 0));
}

TEST_F(poll, poll_woken_by_send_from_child)
{
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		kt_sleep_ms(100);
		_exit(kt_send1(self->sfd, "x", 1, 0, 0) == 1 ? 0 : 10);
	}
	EXPECT_EQ(POLLIN | POLLRDNORM, revents(self->rfd, 20000));
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
}

TEST_F(poll, epoll_in_and_out)
{
	struct epoll_event ev, got[2];
	char b = 'x';

	ev.events = EPOLLIN;
	ev.data.u32 = 1;
	ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_ADD, self->rfd, &ev));
	ev.events = EPOLLOUT;
	ev.data.u32 = 2;
	ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_ADD, self->sfd, &ev));

	/* Only the send end is ready. */
	ASSERT_EQ(1, epoll_wait(self->ep, got, 2, 0));
	EXPECT_EQ(2, got[0].data.u32);
	EXPECT_EQ(EPOLLOUT, got[0].events);

	/* Fill it: only the receive end is ready. */
	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	ASSERT_EQ(1, epoll_wait(self->ep, got, 2, 0));
	EXPECT_EQ(1, got[0].data.u32);
	EXPECT_EQ(EPOLLIN, got[0].events);

	/* A receive in a child wakes an epoll_wait for EPOLLOUT. */
	ev.events = EPOLLOUT;
	ev.data.u32 = 2;
	ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_DEL, self->rfd, NULL));
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		kt_sleep_ms(100);
		if (kt_recv1(self->rfd, &b, 1, NULL, 0) != 1)
			_exit(10);
		_exit(0);	/* the child's send end closes too: not the last */
	}
	ASSERT_EQ(1, epoll_wait(self->ep, got, 2, 20000));
	EXPECT_EQ(2, got[0].data.u32);
	EXPECT_EQ(EPOLLOUT, got[0].events);
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
}

TEST_F(poll, epoll_hup_when_last_sender_exits)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;

	ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_ADD, self->rfd, &ev));
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(self->rfd);
		kt_sleep_ms(100);
		_exit(0);	/* closes the last send end */
	}
	close(self->sfd);
	self->sfd = -1;
	ASSERT_EQ(1, epoll_wait(self->ep, &got, 1, 20000));
	EXPECT_EQ(EPOLLHUP, got.events & (EPOLLHUP | EPOLLIN));
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
}

TEST_F(poll, epoll_err_when_last_receiver_exits)
{
	struct epoll_event ev = { .events = EPOLLOUT }, got;
	char b = 'x';

	/* Full, so that EPOLLOUT cannot be what wakes us. */
	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_ADD, self->sfd, &ev));
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(self->sfd);
		kt_sleep_ms(100);
		_exit(0);	/* closes the last receive end */
	}
	close(self->rfd);
	self->rfd = -1;
	ASSERT_EQ(1, epoll_wait(self->ep, &got, 1, 20000));
	EXPECT_EQ(EPOLLERR | EPOLLHUP, got.events & (EPOLLERR | EPOLLHUP));
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
}

KIPC_TEST_MAIN
