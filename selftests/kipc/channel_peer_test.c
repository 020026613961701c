// SPDX-License-Identifier: GPL-2.0
/*
 * Peer death: EPIPE, drain then EOF (also while another receiver puts a
 * message back), and every buffer back in the pool after SIGKILL
 * mid-transfer.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NR_BUFS	8
#define DEPTH	4

FIXTURE(peer) {
	int ctx;
	int region;		/* the test's own handle */
	int sfd, rfd;
	int ready[2];
	long page;
	pid_t child;
};

FIXTURE_SETUP(peer)
{
	int ret;

	self->region = self->sfd = self->rfd = -1;
	self->ready[0] = self->ready[1] = -1;
	self->child = 0;
	self->page = kt_page();
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL);
	self->region = kt_region_create(self->ctx, NR_BUFS * self->page,
					self->page, 0, NULL);
	ASSERT_LE(0, self->region);
	ret = kt_channel_create(self->ctx, 0, DEPTH, 0, self->region,
				&self->sfd, &self->rfd);
	ASSERT_EQ(0, ret) TH_LOG("channel create: %s", strerror(-ret));
	ASSERT_EQ(0, pipe(self->ready));
	/* A SIGPIPE would kill the test: none is expected. */
	signal(SIGPIPE, SIG_DFL);
}

FIXTURE_TEARDOWN(peer)
{
	kt_reap(self->child);
	if (self->ready[0] >= 0) {
		close(self->ready[0]);
		close(self->ready[1]);
	}
	if (self->sfd >= 0)
		close(self->sfd);
	if (self->rfd >= 0)
		close(self->rfd);
	if (self->region >= 0)
		close(self->region);
	close(self->ctx);
}

static int send_buf(int sfd, int handle, __u64 off, uint32_t len,
		    uint32_t flags)
{
	struct kipc_buf_ref ref = { .offset = off, .len = len };
	struct kipc_msg m;

	kt_msg_init(&m, NULL, 0, &ref, 1, off);
	return kt_io(sfd, KIPC_IOC_SEND, &m, 1, flags, handle, 0, 0);
}

static int recv_buf(int rfd, int handle, __u64 *off, uint32_t flags)
{
	struct kipc_buf_ref ref = { 0 };
	struct kipc_msg m;
	int n;

	kt_msg_init(&m, NULL, 0, &ref, 1, 0);
	n = kt_io(rfd, KIPC_IOC_RECV, &m, 1, flags, handle, 0, 0);
	*off = ref.offset;
	return n;
}

/* Wait for the child's "ready" byte. */
static int child_ready(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 && c == 'r';
}

TEST_F(peer, epipe_without_receivers)
{
	struct kipc_region_info ri;
	__u64 off;

	close(self->rfd);
	self->rfd = -1;
	EXPECT_EQ(-EPIPE, kt_send1(self->sfd, "x", 1, 0, 0));
	EXPECT_EQ(-EPIPE, kt_send1(self->sfd, "x", 1, 0, KIPC_IO_NONBLOCK));
	/* A buffer offered to nobody stays with its owner. */
	ASSERT_EQ(0, kt_buf_alloc(self->region, &off));
	EXPECT_EQ(-EPIPE, send_buf(self->sfd, self->region, off, 1, 0));
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(1, ri.nr_owned);
	EXPECT_EQ(0, ri.nr_in_flight);
	EXPECT_EQ(0, kt_buf_release(self->region, off));
}

TEST_F(peer, queued_buffers_return_when_receivers_close)
{
	struct kipc_region_info ri;
	__u64 off;
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kt_buf_alloc(self->region, &off));
		ASSERT_EQ(1, send_buf(self->sfd, self->region, off, 1, 0));
	}
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(3, ri.nr_in_flight);
	close(self->rfd);
	self->rfd = -1;
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(0, ri.nr_in_flight);
	EXPECT_EQ(NR_BUFS, ri.nr_free);
	EXPECT_EQ(-EPIPE, kt_send1(self->sfd, "x", 1, 0, 0));
}

TEST_F(peer, drain_then_eof)
{
	struct kipc_msg m;
	char b[4];
	__u64 off;

	ASSERT_EQ(1, kt_send1(self->sfd, "a", 1, 1, 0));
	ASSERT_EQ(0, kt_buf_alloc(self->region, &off));
	ASSERT_EQ(1, send_buf(self->sfd, self->region, off, 1, 0));
	ASSERT_EQ(1, kt_send1(self->sfd, "c", 1, 3, 0));
	close(self->sfd);
	self->sfd = -1;
	ASSERT_EQ(1, kt_recv1(self->rfd, b, sizeof(b), &m, 0));
	EXPECT_EQ(1, m.tag);
	ASSERT_EQ(1, recv_buf(self->rfd, self->region, &off, 0));
	ASSERT_EQ(1, kt_recv1(self->rfd, b, sizeof(b), &m, 0));
	EXPECT_EQ(3, m.tag);
	EXPECT_EQ(0, kt_recv1(self->rfd, b, sizeof(b), &m, 0));
	EXPECT_EQ(0, kt_buf_release(self->region, off));
	EXPECT_EQ(NR_BUFS, kt_region_free(self->region));
}

struct faulting_reader {
	int rfd;
	void *volatile bad;	/* an address nothing is mapped at */
	volatile int stop;
	int faults;
};

/* Reads into a bad address: each read takes the message and puts it back. */
static void *read_faulting(void *arg)
{
	struct faulting_reader *fr = arg;

	while (!fr->stop)
		if (read(fr->rfd, fr->bad, 16) < 0 && errno == EFAULT)
			__atomic_add_fetch(&fr->faults, 1, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * The last sender is gone and one message is left, which another thread
 * keeps taking and putting back (its reads fault): a reader must get the
 * message, never end of stream while the message may come back.
 */
TEST_F(peer, no_eof_while_a_message_is_put_back)
{
	struct faulting_reader fr;
	int round, sfd, early_eof = 0, faults = 0;
	pthread_t t;
	char buf[16];

	for (round = 0; round < 300; round++) {
		memset(&fr, 0, sizeof(fr));
		fr.bad = (void *)8;
		ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, 0, -1, &sfd,
					       &fr.rfd));
		ASSERT_EQ(1, write(sfd, "m", 1));
		close(sfd);
		ASSERT_EQ(0, pthread_create(&t, NULL, read_faulting, &fr));
		while (!__atomic_load_n(&fr.faults, __ATOMIC_RELAXED))
			;	/* it has the message at times */
		if (read(fr.rfd, buf, sizeof(buf)) != 1)
			early_eof++;
		fr.stop = 1;
		pthread_join(t, NULL);
		faults += fr.faults;
		close(fr.rfd);
	}
	EXPECT_EQ(0, early_eof);
	TH_LOG("%d rounds, %d faulting reads", round, faults);
}

TEST_F(peer, blocked_receiver_gets_eof_when_last_sender_dies)
{
	char b[4];

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(self->rfd);
		if (write(self->ready[1], "r", 1) != 1)
			_exit(10);
		kt_sleep_ms(200);
		kill(getpid(), SIGKILL);
		_exit(0);
	}
	close(self->sfd);
	self->sfd = -1;
	ASSERT_TRUE(child_ready(self->ready[0]));
	/* Blocks until the child's send end goes with it. */
	EXPECT_EQ(0, kt_recv1(self->rfd, b, sizeof(b), NULL, 0));
	EXPECT_EQ(128 + SIGKILL, kt_wait(self->child, 10000));
	self->child = 0;
}

TEST_F(peer, blocked_sender_gets_epipe_when_last_receiver_dies)
{
	int i;

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(self->sfd);
		if (write(self->ready[1], "r", 1) != 1)
			_exit(10);
		kt_sleep_ms(200);
		_exit(0);
	}
	close(self->rfd);
	self->rfd = -1;
	ASSERT_TRUE(child_ready(self->ready[0]));
	for (i = 0; i < DEPTH; i++)
		ASSERT_EQ(1, kt_send1(self->sfd, "x", 1, 0, KIPC_IO_NONBLOCK));
	/* Full: blocks until the child exits, then EPIPE (no SIGPIPE). */
	EXPECT_EQ(-EPIPE, kt_send1(self->sfd, "x", 1, 0, 0));
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
}

TEST_F(peer, sigkill_while_holding_buffers)
{
	struct kipc_region_info ri;

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int h = kt_region_attach(self->region, 0);
		__u64 off;
		int i;

		if (h < 0)
			_exit(10);
		for (i = 0; i < NR_BUFS / 2; i++)
			if (kt_buf_alloc(h, &off))
				_exit(11);
		if (write(self->ready[1], "r", 1) != 1)
			_exit(12);
		pause();
		_exit(0);
	}
	ASSERT_TRUE(child_ready(self->ready[0]));
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(NR_BUFS / 2, ri.nr_free);
	kill(self->child, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kt_wait(self->child, 10000));
	self->child = 0;
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(NR_BUFS, ri.nr_free);
	EXPECT_EQ(0, ri.nr_in_flight);
	EXPECT_EQ(0, ri.nr_owned);
}

/*
 * A receiver child holds buffers it received and sits blocked in RECV while
 * more are queued for it; a SIGKILL ends it. Its buffers return at once;
 * the queued ones when the channel goes.
 */
TEST_F(peer, sigkill_receiver_mid_transfer)
{
	struct kipc_region_info ri;
	__u64 off;
	int i;

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int h = kt_region_attach(self->region, 0);
		__u64 o;

		close(self->sfd);
		if (h < 0)
			_exit(10);
		for (i = 0; i < 2; i++)
			if (recv_buf(self->rfd, h, &o, 0) != 1)
				_exit(11);
		if (write(self->ready[1], "r", 1) != 1)
			_exit(12);
		/* Blocks: the test sends no more until the kill. */
		for (;;)
			recv_buf(self->rfd, h, &o, 0) == 1 ? pause() : 0;
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kt_buf_alloc(self->region, &off));
		ASSERT_EQ(1, send_buf(self->sfd, self->region, off, 1, 0));
	}
	ASSERT_TRUE(child_ready(self->ready[0]));
	ASSERT_TRUE(kt_wait_sleeping(self->child, 10000));
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(NR_BUFS - 2, ri.nr_free);
	EXPECT_EQ(0, ri.nr_in_flight);

	kill(self->child, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kt_wait(self->child, 10000));
	self->child = 0;
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(NR_BUFS, ri.nr_free);

	/* Now queue buffers, then the channel goes away with them. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, kt_buf_alloc(self->region, &off));
		ASSERT_EQ(1, send_buf(self->sfd, self->region, off, 1, 0));
	}
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(3, ri.nr_in_flight);
	close(self->sfd);
	close(self->rfd);
	self->sfd = self->rfd = -1;
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(NR_BUFS, ri.nr_free);
	EXPECT_EQ(0, ri.nr_in_flight);
}

/*
 * A sender child with its own handle fills the queue with buffers, holds
 * more, and is blocked in SEND (and another in BUF_ALLOC) when it is killed.
 */
TEST_F(peer, sigkill_sender_mid_transfer)
{
	struct kipc_region_info ri;
	__u64 off;
	int i, n;

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int h = kt_region_attach(self->region, 0);
		__u64 o;

		close(self->rfd);
		if (h < 0)
			_exit(10);
		for (i = 0; i < DEPTH; i++) {
			if (kt_buf_alloc(h, &o) ||
			    send_buf(self->sfd, h, o, self->page, 0) != 1)
				_exit(11);
		}
		if (kt_buf_alloc(h, &o))
			_exit(12);
		if (write(self->ready[1], "r", 1) != 1)
			_exit(13);
		send_buf(self->sfd, h, o, self->page, 0);	/* blocks */
		_exit(14);
	}
	ASSERT_TRUE(child_ready(self->ready[0]));
	ASSERT_TRUE(kt_wait_sleeping(self->child, 10000));
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(DEPTH, ri.nr_in_flight);
	EXPECT_EQ(NR_BUFS - DEPTH - 1, ri.nr_free);

	kill(self->child, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kt_wait(self->child, 10000));
	self->child = 0;
	/* The held buffer is back; the queued ones are still deliverable. */
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(NR_BUFS - DEPTH, ri.nr_free);
	EXPECT_EQ(DEPTH, ri.nr_in_flight);
	for (i = 0; i < DEPTH; i++) {
		n = recv_buf(self->rfd, self->region, &off, KIPC_IO_NONBLOCK);
		ASSERT_EQ(1, n) TH_LOG("recv %d: %s", i, strerror(-n));
		EXPECT_EQ(0, kt_buf_release(self->region, off));
	}
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(NR_BUFS, ri.nr_free);
	EXPECT_EQ(0, ri.nr_owned);
	EXPECT_EQ(0, ri.nr_in_flight);
}

TEST_F(peer, sigkill_while_blocked_in_alloc)
{
	struct kipc_region_info ri;

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int h = kt_region_attach(self->region, 0);
		__u64 o;
		int i;

		if (h < 0)
			_exit(10);
		for (i = 0; i < NR_BUFS; i++)
			if (kt_buf_alloc(h, &o))
				_exit(11);
		if (write(self->ready[1], "r", 1) != 1)
			_exit(12);
		kt_buf_alloc(h, &o);	/* blocks: the pool is empty */
		_exit(13);
	}
	ASSERT_TRUE(child_ready(self->ready[0]));
	ASSERT_TRUE(kt_wait_sleeping(self->child, 10000));
	EXPECT_EQ(0, kt_region_free(self->region));
	kill(self->child, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kt_wait(self->child, 10000));
	self->child = 0;
	ASSERT_EQ(0, kt_region_info(self->region, &ri));
	EXPECT_EQ(NR_BUFS, ri.nr_free);
	EXPECT_EQ(0, ri.nr_owned);
}

KIPC_TEST_MAIN
