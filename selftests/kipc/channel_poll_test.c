// SPDX-License-Identifier: GPL-2.0
/*
 * poll and epoll readiness of channel ends: EPOLLIN, EPOLLOUT, EPOLLHUP,
 * EPOLLERR; and of a region's pool (EPOLLOUT: a buffer is free). A state
 * that lasts (end of stream, the last receiver gone, a pool's buffers
 * freed at once) reaches every epoll waiter, EPOLLEXCLUSIVE ones too.
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
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

#define NR_EXCL	3

/* A thread in epoll_wait() on an epoll instance of its own. */
struct excl_waiter {
	pthread_t thread;
	int ep;
	pid_t tid;
	int waiting;		/* set just before epoll_wait() */
	int n;			/* what epoll_wait() returned */
	uint32_t events;
};

static void *excl_wait(void *arg)
{
	struct excl_waiter *w = arg;
	struct epoll_event got = { 0 };

	w->tid = syscall(SYS_gettid);
	__atomic_store_n(&w->waiting, 1, __ATOMIC_RELEASE);
	w->n = epoll_wait(w->ep, &got, 1, 3000);
	w->events = got.events;
	return NULL;
}

/*
 * Start NR_EXCL threads, each waiting for @events | EPOLLEXCLUSIVE on @fd
 * through an epoll instance of its own; return once all of them sleep, so
 * that only a wake-up can end their wait. 0, or -1.
 */
static int excl_start(struct excl_waiter *w, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events | EPOLLEXCLUSIVE };
	int i;

	for (i = 0; i < NR_EXCL; i++) {
		w[i] = (struct excl_waiter){ .ep = epoll_create1(EPOLL_CLOEXEC) };
		if (w[i].ep < 0 || epoll_ctl(w[i].ep, EPOLL_CTL_ADD, fd, &ev) ||
		    pthread_create(&w[i].thread, NULL, excl_wait, &w[i]))
			return -1;
	}
	for (i = 0; i < NR_EXCL; i++) {
		while (!__atomic_load_n(&w[i].waiting, __ATOMIC_ACQUIRE))
			kt_sleep_ms(1);
		if (!kt_wait_sleeping(w[i].tid, 5000))
			return -1;
	}
	return 0;
}

/* Join the waiters: how many were woken with every bit of @want. */
static int excl_join(struct excl_waiter *w, uint32_t want)
{
	int i, woken = 0;

	for (i = 0; i < NR_EXCL; i++) {
		pthread_join(w[i].thread, NULL);
		close(w[i].ep);
		if (w[i].n == 1 && (w[i].events & want) == want)
			woken++;
	}
	return woken;
}

TEST_F(poll, epoll_exclusive_receivers_all_see_end_of_stream)
{
	struct excl_waiter w[NR_EXCL];

	ASSERT_EQ(0, excl_start(w, self->rfd, EPOLLIN));
	close(self->sfd);	/* the last send end */
	self->sfd = -1;
	EXPECT_EQ(NR_EXCL, excl_join(w, EPOLLHUP));
}

TEST_F(poll, epoll_exclusive_senders_all_see_receivers_gone)
{
	struct excl_waiter w[NR_EXCL];
	char b = 'x';

	/* Full, so that EPOLLOUT cannot be what wakes them. */
	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	ASSERT_EQ(0, excl_start(w, self->sfd, EPOLLOUT));
	close(self->rfd);	/* the last receive end */
	self->rfd = -1;
	EXPECT_EQ(NR_EXCL, excl_join(w, EPOLLERR | EPOLLHUP));
}

/*
 * A handle that owns every buffer of a pool closes: the buffers all come
 * free at once, and each pool waiter must hear of it.
 */
TEST(epoll_exclusive_pool_waiters_all_see_buffers_freed)
{
	struct excl_waiter w[NR_EXCL];
	int ctx, region, owner, i;
	__u64 off;

	kipc_test_open(ctx);
	kipc_test_require(ctx, KIPC_FEATURE_REGION);
	region = kt_region_create(ctx, NR_EXCL * kt_page(), kt_page(), 0,
				  NULL);
	ASSERT_LE(0, region);
	owner = kt_region_attach(region, KIPC_FD_NONBLOCK | KIPC_FD_CLOEXEC);
	ASSERT_LE(0, owner);
	for (i = 0; i < NR_EXCL; i++)
		ASSERT_EQ(0, kt_buf_alloc(owner, &off));
	ASSERT_EQ(-EAGAIN, kt_buf_alloc(owner, &off));
	ASSERT_EQ(0, excl_start(w, region, EPOLLOUT));
	close(owner);
	EXPECT_EQ(NR_EXCL, excl_join(w, EPOLLOUT));
	close(region);
	close(ctx);
}

KIPC_TEST_MAIN
