// SPDX-License-Identifier: GPL-2.0
/* Channels: inline messages arrive in order with tags and credentials; batches; EOF; failed receives. */
#include <grp.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define DEPTH	64

KT_CHANNEL_FIXTURE(order, DEPTH)

/* Message @i: (i % 97) + 1 bytes, each (i * 31 + j). */
static uint32_t msg_len(unsigned int i)
{
	return i % 97 + 1;
}

static void msg_fill(unsigned char *buf, unsigned int i)
{
	uint32_t j;

	for (j = 0; j < msg_len(i); j++)
		buf[j] = (unsigned char)(i * 31 + j);
}

static int msg_check(const unsigned char *buf, uint32_t len, unsigned int i)
{
	unsigned char want[128];

	msg_fill(want, i);
	return len == msg_len(i) && !memcmp(buf, want, len);
}

TEST_F(order, inline_in_order_with_tags_and_creds)
{
	unsigned char buf[128], rbuf[256];
	struct kipc_msg m;
	unsigned int i;

	for (i = 0; i < DEPTH; i++) {
		msg_fill(buf, i);
		ASSERT_EQ(1, kt_send1(self->sfd, buf, msg_len(i),
				      0xabcd000000000000ULL | i, 0));
	}
	for (i = 0; i < DEPTH; i++) {
		memset(&m, 0x5a, sizeof(m));
		memset(rbuf, 0, sizeof(rbuf));
		m.data = (uintptr_t)rbuf;
		m.data_len = sizeof(rbuf);
		m.nr_bufs = 0;
		m.bufs = 0;
		m.reserved = 0;
		ASSERT_EQ(1, kt_recv(self->rfd, &m, 1, KIPC_IO_NONBLOCK));
		EXPECT_TRUE(msg_check(rbuf, m.data_len, i))
			TH_LOG("message %u: len %u", i, m.data_len);
		EXPECT_EQ(0xabcd000000000000ULL | i, m.tag);
		EXPECT_EQ(0, m.nr_bufs);
		EXPECT_EQ(getpid(), m.pid);
		EXPECT_EQ(getuid(), m.uid);
		EXPECT_EQ(getgid(), m.gid);
		EXPECT_EQ(0, m.reserved);
	}
	EXPECT_EQ(-EAGAIN, kt_recv1(self->rfd, rbuf, sizeof(rbuf), NULL,
				    KIPC_IO_NONBLOCK));
}

TEST_F(order, credentials_are_the_senders)
{
	int root = geteuid() == 0;
	uid_t uid = root ? 4321 : getuid();
	gid_t gid = root ? 1234 : getgid();
	struct kipc_msg m;
	char buf[16];

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		if (root && (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
			     setresuid(uid, uid, uid)))
			_exit(10);
		_exit(kt_send1(self->sfd, "child", 5, 7, 0) == 1 ? 0 : 11);
	}
	ASSERT_EQ(0, kt_wait(self->child, 10000));
	ASSERT_EQ(1, kt_recv1(self->rfd, buf, sizeof(buf), &m, 0));
	EXPECT_EQ(self->child, m.pid);
	EXPECT_EQ(uid, m.uid);
	EXPECT_EQ(gid, m.gid);
	EXPECT_EQ(7, m.tag);
	EXPECT_EQ(5, m.data_len);
	EXPECT_EQ(0, memcmp(buf, "child", 5));
	self->child = 0;
	/* Captured at send time: a dead sender is still named. */
}

/*
 * A received small message is kept for the channel's next send with its
 * sender's pid: senders that take turns must each be named, and a
 * descriptor's inputs (pointers) come back as they were passed.
 */
TEST_F(order, alternating_senders_are_each_named)
{
	unsigned char rbuf[16];
	struct kipc_msg m;
	pid_t who[3];
	int i;

	for (i = 0; i < 3; i++) {
		if (i == 1) {
			self->child = kt_fork();
			ASSERT_LE(0, self->child);
			if (self->child == 0)
				_exit(kt_send1(self->sfd, "c", 1, i, 0) == 1 ? 0 : 11);
			ASSERT_EQ(0, kt_wait(self->child, 10000));
			who[i] = self->child;
			self->child = 0;
		} else {
			ASSERT_EQ(1, kt_send1(self->sfd, "p", 1, i, 0));
			who[i] = getpid();
		}
		memset(&m, 0, sizeof(m));
		m.data = (uintptr_t)rbuf;
		m.data_len = sizeof(rbuf);
		m.bufs = 0x1000;	/* an input the receive leaves alone */
		ASSERT_EQ(1, kt_recv(self->rfd, &m, 1, KIPC_IO_NONBLOCK));
		EXPECT_EQ(who[i], m.pid) TH_LOG("message %d", i);
		EXPECT_EQ((uint64_t)i, m.tag);
		EXPECT_EQ(1, m.data_len);
		EXPECT_EQ((uintptr_t)rbuf, m.data);
		EXPECT_EQ(0x1000, m.bufs);
	}
	EXPECT_NE(who[0], who[1]);
}

TEST_F(order, batch_send_batch_recv)
{
	static const unsigned int sizes[] = { 1, 7, 13, 2, 64 };
	unsigned char data[DEPTH][128], room[DEPTH][128];
	struct kipc_msg m[DEPTH];
	unsigned int i, k, next = 0;
	int n;

	for (i = 0; i < DEPTH; i++) {
		msg_fill(data[i], i);
		kt_msg_init(&m[i], data[i], msg_len(i), NULL, 0, i);
	}
	ASSERT_EQ(DEPTH, kt_send(self->sfd, m, DEPTH, 0));

	for (k = 0; next < DEPTH; k++) {
		unsigned int want = sizes[k % 5];

		for (i = 0; i < want; i++)
			kt_msg_init(&m[i], room[i], sizeof(room[i]), NULL, 0, 0);
		n = kt_recv(self->rfd, m, want, KIPC_IO_NONBLOCK);
		ASSERT_EQ(want < DEPTH - next ? want : DEPTH - next, n);
		for (i = 0; i < (unsigned int)n; i++, next++) {
			EXPECT_EQ(next, m[i].tag);
			EXPECT_TRUE(msg_check(room[i], m[i].data_len, next));
			EXPECT_EQ(getpid(), m[i].pid);
		}
	}
	EXPECT_EQ(DEPTH, next);
}

TEST_F(order, batch_larger_than_room_moves_what_fits)
{
	static unsigned char data[2 * DEPTH][128];
	struct kipc_msg m[2 * DEPTH];
	unsigned int i;

	for (i = 0; i < 2 * DEPTH; i++) {
		msg_fill(data[i], i);
		kt_msg_init(&m[i], data[i], msg_len(i), NULL, 0, i);
	}
	ASSERT_EQ(DEPTH, kt_send(self->sfd, m, 2 * DEPTH, 0));
	EXPECT_EQ(-EAGAIN, kt_send(self->sfd, &m[DEPTH], DEPTH,
				   KIPC_IO_NONBLOCK));
	for (i = 0; i < DEPTH; i++)
		kt_msg_init(&m[i], data[i], sizeof(data[i]), NULL, 0, 0);
	ASSERT_EQ(DEPTH, kt_recv(self->rfd, m, 2 * DEPTH, 0));
	/* The rest continues the sequence. */
	for (i = DEPTH; i < 2 * DEPTH; i++) {
		msg_fill(data[i], i);
		kt_msg_init(&m[i], data[i], msg_len(i), NULL, 0, i);
	}
	ASSERT_EQ(DEPTH, kt_send(self->sfd, &m[DEPTH], DEPTH, 0));
	for (i = 0; i < DEPTH; i++)
		kt_msg_init(&m[i], data[i], sizeof(data[i]), NULL, 0, 0);
	ASSERT_EQ(DEPTH, kt_recv(self->rfd, m, DEPTH, 0));
	for (i = 0; i < DEPTH; i++) {
		EXPECT_EQ(DEPTH + i, m[i].tag);
		EXPECT_TRUE(msg_check(data[i], m[i].data_len, DEPTH + i));
	}
}

TEST_F(order, stream_from_child_in_batches_then_eof)
{
	const unsigned int total = 1000;
	static unsigned char room[50][128];
	struct kipc_msg m[50];
	unsigned int i, next = 0, k = 0;
	int n;

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		static unsigned char data[37][128];
		struct kipc_msg s[37];
		unsigned int sent = 0, b;

		close(self->rfd);
		while (sent < total) {
			b = total - sent < 37 ? total - sent : 37;
			for (i = 0; i < b; i++) {
				msg_fill(data[i], sent + i);
				kt_msg_init(&s[i], data[i], msg_len(sent + i),
					    NULL, 0, sent + i);
			}
			n = kt_send(self->sfd, s, b, 0);
			if (n <= 0)
				_exit(10);
			sent += n;	/* a partial batch resumes after n */
		}
		_exit(0);
	}
	close(self->sfd);
	self->sfd = -1;

	for (;;) {
		unsigned int want = k++ % 50 + 1;

		for (i = 0; i < want; i++)
			kt_msg_init(&m[i], room[i], sizeof(room[i]), NULL, 0, 0);
		n = kt_recv(self->rfd, m, want, 0);
		ASSERT_LE(0, n) TH_LOG("recv: %s", strerror(-n));
		if (n == 0)
			break;
		ASSERT_GE(want, (unsigned int)n);
		for (i = 0; i < (unsigned int)n; i++, next++) {
			ASSERT_EQ(next, m[i].tag);
			ASSERT_TRUE(msg_check(room[i], m[i].data_len, next));
			EXPECT_EQ(self->child, m[i].pid);
		}
	}
	EXPECT_EQ(total, next);
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
	/* EOF again. */
	EXPECT_EQ(0, kt_recv1(self->rfd, room[0], 128, NULL, 0));
}

TEST_F(order, eof_only_after_every_sender_closed)
{
	char buf[16];
	int dup_fd;

	dup_fd = dup(self->sfd);
	ASSERT_LE(0, dup_fd);
	ASSERT_EQ(1, kt_send1(self->sfd, "a", 1, 1, 0));
	ASSERT_EQ(1, kt_send1(dup_fd, "b", 1, 2, 0));
	close(self->sfd);
	self->sfd = -1;
	/* A dup still holds the send end open. */
	ASSERT_EQ(1, kt_send1(dup_fd, "c", 1, 3, 0));
	close(dup_fd);

	ASSERT_EQ(1, kt_recv1(self->rfd, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ('a', buf[0]);
	ASSERT_EQ(1, kt_recv1(self->rfd, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ('b', buf[0]);
	ASSERT_EQ(1, kt_recv1(self->rfd, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ('c', buf[0]);
	EXPECT_EQ(0, kt_recv1(self->rfd, buf, sizeof(buf), NULL, 0));
	EXPECT_EQ(0, kt_recv1(self->rfd, buf, sizeof(buf), NULL,
			      KIPC_IO_NONBLOCK));
}

TEST_F(order, open_sender_means_eagain_not_eof)
{
	char buf[16];

	EXPECT_EQ(-EAGAIN, kt_recv1(self->rfd, buf, sizeof(buf), NULL,
				    KIPC_IO_NONBLOCK));
}

TEST_F(order, too_small_room_keeps_the_message)
{
	char big[300], room[300];
	struct kipc_msg m;

	memset(big, 'x', sizeof(big));
	ASSERT_EQ(1, kt_send1(self->sfd, big, sizeof(big), 11, 0));
	ASSERT_EQ(1, kt_send1(self->sfd, "next", 4, 12, 0));
	EXPECT_EQ(-EMSGSIZE, kt_recv1(self->rfd, room, 299, &m, 0));
	ASSERT_EQ(1, kt_recv1(self->rfd, room, sizeof(room), &m, 0));
	EXPECT_EQ(11, m.tag);
	EXPECT_EQ(sizeof(big), m.data_len);
	EXPECT_EQ(0, memcmp(big, room, sizeof(big)));
	ASSERT_EQ(1, kt_recv1(self->rfd, room, sizeof(room), &m, 0));
	EXPECT_EQ(12, m.tag);
}

TEST_F(order, max_inline_default)
{
	static char big[4097], room[4097];
	struct kipc_msg m;

	memset(big, 'q', sizeof(big));
	/* Default max_inline is 4096. */
	EXPECT_EQ(-EMSGSIZE, kt_send1(self->sfd, big, 4097, 1, 0));
	ASSERT_EQ(1, kt_send1(self->sfd, big, 4096, 2, 0));
	ASSERT_EQ(1, kt_recv1(self->rfd, room, sizeof(room), &m, 0));
	EXPECT_EQ(2, m.tag);
	EXPECT_EQ(4096, m.data_len);
	EXPECT_EQ(0, memcmp(big, room, 4096));
}

struct held_recv {
	int rfd;
	void *data;
	int ret;
};

static void *held_recv_run(void *arg)
{
	struct held_recv *hr = arg;
	struct kipc_msg m;

	hr->ret = kt_recv1(hr->rfd, hr->data, 16, &m, KIPC_IO_NONBLOCK);
	return NULL;
}

/*
 * Two receives take the first two messages and both fail their copy-out
 * (each blocked on a userfaultfd page, then the page unmapped), the first
 * taker first: both messages go back in send order, ahead of the third.
 * Each one used to go back at the head of the queue: 2, 1, 3.
 */
TEST_F(order, receives_that_fail_put_messages_back_in_send_order)
{
	long page = sysconf(_SC_PAGESIZE);
	struct held_recv hr[2];
	pthread_t t[2];
	struct kipc_msg m;
	char room[16];
	__u64 fault = 0;
	int uffd, i;

	if (geteuid() != 0)
		SKIP(return, "userfaultfd on kernel copies needs CAP_SYS_PTRACE: run as root");
	uffd = kt_uffd_open(0);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(-uffd));
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(1, kt_send1(self->sfd, "m", 1, i, 0));
	for (i = 0; i < 2; i++) {
		hr[i].rfd = self->rfd;
		hr[i].data = mmap(NULL, page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, hr[i].data);
		ASSERT_EQ(0, kt_uffd_register(uffd, hr[i].data, page,
					      UFFDIO_REGISTER_MODE_MISSING));
		hr[i].ret = 1;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, held_recv_run, &hr[i]));
		/* Receive i holds message i + 1 in its copy-out. */
		ASSERT_EQ(0, kt_uffd_wait_fault(uffd, 10000, &fault));
		ASSERT_EQ((uintptr_t)hr[i].data, fault & ~(page - 1));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, kt_uffd_fail(uffd, hr[i].data, page));
		pthread_join(t[i], NULL);
		EXPECT_EQ(-EFAULT, hr[i].ret);
	}
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(1, kt_recv1(self->rfd, room, sizeof(room), &m,
				      KIPC_IO_NONBLOCK));
		EXPECT_EQ(i, m.tag) TH_LOG("receive %d after the failures", i);
	}
	close(uffd);
}

TEST_F(order, empty_message_carries_its_tag)
{
	char room[16];
	struct kipc_msg m;

	ASSERT_EQ(1, kt_send1(self->sfd, NULL, 0, 3, 0));
	ASSERT_EQ(1, kt_recv1(self->rfd, room, sizeof(room), &m, 0));
	EXPECT_EQ(3, m.tag);
	EXPECT_EQ(0, m.data_len);
}

TEST_F(order, fdinfo_of_both_ends)
{
	char val[64];

	ASSERT_EQ(1, kt_send1(self->sfd, "x", 1, 0, 0));
	ASSERT_EQ(0, kt_fdinfo(self->sfd, "kipc-object", val, sizeof(val)));
	EXPECT_STREQ("channel-send", val);
	ASSERT_EQ(0, kt_fdinfo(self->rfd, "kipc-object", val, sizeof(val)));
	EXPECT_STREQ("channel-recv", val);
	EXPECT_LT(0, kt_fdinfo_num(self->sfd, "kipc-id"));
	EXPECT_EQ(kt_fdinfo_num(self->sfd, "kipc-id"),
		  kt_fdinfo_num(self->rfd, "kipc-id"));
	EXPECT_EQ(DEPTH, kt_fdinfo_num(self->rfd, "kipc-depth"));
	EXPECT_EQ(1, kt_fdinfo_num(self->rfd, "kipc-queued"));
	EXPECT_EQ(1, kt_fdinfo_num(self->sfd, "kipc-senders"));
	EXPECT_EQ(1, kt_fdinfo_num(self->sfd, "kipc-receivers"));
	EXPECT_EQ(0, kt_fdinfo_num(self->sfd, "kipc-region-id"));
}

/* SEND and RECV only read their struct kipc_io (abi.rst): it may be const. */
TEST_F(order, io_struct_may_be_read_only)
{
	long pg = kt_page();
	struct kipc_msg rm = { 0 }, *sm;
	struct kipc_io *sio, *rio;
	char rbuf[16];
	char *p;

	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	sio = (struct kipc_io *)p;
	rio = (struct kipc_io *)(p + 128);
	sm = (struct kipc_msg *)(p + 256);
	memcpy(p + 512, "ro", 2);
	sm->data = (uintptr_t)(p + 512);
	sm->data_len = 2;
	*sio = (struct kipc_io){
		.size = sizeof(*sio), .msgs = (uintptr_t)sm, .nr_msgs = 1,
		.msg_size = sizeof(*sm), .region_fd = KIPC_NO_FD,
	};
	rm.data = (uintptr_t)rbuf;
	rm.data_len = sizeof(rbuf);
	*rio = *sio;
	rio->msgs = (uintptr_t)&rm;
	ASSERT_EQ(0, mprotect(p, pg, PROT_READ));

	/* The message descriptors of a send are input too. */
	EXPECT_EQ(1, ioctl(self->sfd, KIPC_IOC_SEND, sio));
	EXPECT_EQ(1, ioctl(self->rfd, KIPC_IOC_RECV, rio));
	EXPECT_EQ(2, rm.data_len);
	EXPECT_EQ(0, memcmp(rbuf, "ro", 2));
	EXPECT_EQ(0, munmap(p, pg));
}

KIPC_TEST_MAIN
