// SPDX-License-Identifier: GPL-2.0
/*
 * libkipc's core wrappers against the module (a guest test, run by
 * tools/vm/kipc-examples): the fixes of a review of them.
 *
 * - kipc_name_open_info(): two processes racing KIPC_NAME_CREATE on one
 *   name both got an fd of the winner's object from kipc_name_open(), and
 *   neither could tell whether its own was published. Exactly one sees
 *   created == 1 now, and both see the winner's id. (Old library: the
 *   function does not exist, this file does not link.)
 * - kipc_name_open(3)'s example closed the fd kipc_region_open_fd() had
 *   adopted; its publish() and lookup() are run here as the page has them.
 * - KIPC_FD_CLOEXEC on an adopted fd: a send end received without
 *   MSG_CMSG_CLOEXEC and adopted with it is not held by a program exec'd
 *   afterwards, so the receiver reads end of stream once it is closed.
 *   (Old library: kipc_channel_from_fd() refused the flag with -EINVAL;
 *   kipc_region_open_fd() took it and left FD_CLOEXEC clear.)
 * - kipc_msg_init() names no lend queue (KIPC_NO_FD): a message that
 *   lends without one fails with EBADF instead of completing on fd 0.
 *   (Old library: lendq_fd 0, and fd 0 here is a lend queue: the send
 *   succeeded and lent the page.)
 * - What the man pages now say: a receive with no region handle of a
 *   message with buffers is EBADF and the message stays queued; a failed
 *   kipc_lend_send() gives no completion.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"

#define ROUNDS	40

static void name_of(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "kipc-core-test.%s.%d", what, (int)getpid());
}

static int cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -errno : !!(fl & FD_CLOEXEC);
}

/* What a racer reports to the parent. */
struct race_report {
	int32_t ret;		/* kipc_name_open_info()'s, or a step's error */
	uint32_t created;
	uint64_t info_id;	/* what the call said it opened */
	uint64_t own_id;	/* the racer's own region */
	uint64_t opened_id;	/* the region of the fd it got */
};

/*
 * A racer: its own region, then, when the parent says go, create-or-open
 * @name with it; report what it saw.
 */
static void racer(struct kipc *k, const char *name, int go, int out)
{
	struct race_report rep = { 0 };
	struct kipc_region_status st;
	struct kipc_name_info info;
	struct kipc_region *own, *opened;
	char byte;
	int fd;

	if (kipc_region_create(k, 4096, 0, KIPC_REGION_NOMAP, &own) < 0 ||
	    kipc_region_info(own, &st) < 0)
		_exit(10);
	rep.own_id = st.id;
	if (read(go, &byte, 1) != 1)
		_exit(11);
	fd = kipc_name_open_info(k, name, KIPC_NAME_CREATE, 0600,
				 kipc_region_fd(own), &info);
	rep.ret = fd;
	if (fd >= 0) {
		rep.created = info.created;
		rep.info_id = info.id;
		if (info.kind != KIPC_NAME_REGION || info.reserved[0] ||
		    info.reserved[1])
			rep.ret = -EPROTO;
		else if (kipc_region_open_fd(fd, KIPC_REGION_NOMAP, &opened) < 0 ||
			 kipc_region_info(opened, &st) < 0)
			rep.ret = -EIO;
		else
			rep.opened_id = st.id;
	}
	if (write(out, &rep, sizeof(rep)) != sizeof(rep))
		_exit(12);
	_exit(0);
}

TEST(name_open_info_one_creator_in_a_race)
{
	struct race_report rep[2];
	char name[64];
	struct kipc *k;
	int round, i, st;

	ASSERT_EQ(0, kipc_open(&k, 0));
	name_of(name, sizeof(name), "race");
	for (round = 0; round < ROUNDS; round++) {
		int go[2], out[2];
		pid_t pid[2];

		ASSERT_EQ(0, pipe(go));
		ASSERT_EQ(0, pipe(out));
		for (i = 0; i < 2; i++) {
			pid[i] = fork();
			ASSERT_LE(0, pid[i]);
			if (pid[i] == 0) {
				close(go[1]);
				close(out[0]);
				racer(k, name, go[0], out[1]);
			}
		}
		close(go[0]);
		close(out[1]);
		ASSERT_EQ(2, write(go[1], "gg", 2));
		for (i = 0; i < 2; i++)
			ASSERT_EQ(sizeof(rep[i]), read(out[0], &rep[i], sizeof(rep[i])));
		for (i = 0; i < 2; i++) {
			ASSERT_EQ(pid[i], waitpid(pid[i], &st, 0));
			EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
		close(go[1]);
		close(out[0]);
		ASSERT_LE(0, rep[0].ret) TH_LOG("round %d: %d", round, rep[0].ret);
		ASSERT_LE(0, rep[1].ret) TH_LOG("round %d: %d", round, rep[1].ret);
		EXPECT_EQ(1, rep[0].created + rep[1].created)
			TH_LOG("round %d: created %u and %u", round,
			       rep[0].created, rep[1].created);
		EXPECT_EQ(rep[0].info_id, rep[1].info_id);
		for (i = 0; i < 2; i++) {
			struct race_report *w = rep[i].created ? &rep[i] : &rep[!i];

			/* Both opened the winner's region, and were told so. */
			EXPECT_EQ(w->own_id, rep[i].info_id);
			EXPECT_EQ(w->own_id, rep[i].opened_id);
		}
		EXPECT_NE(rep[0].own_id, rep[1].own_id);
		ASSERT_EQ(0, kipc_name_unlink(k, name));
	}
	kipc_close(k);
}

TEST(name_open_info_without_create_and_with_excl)
{
	struct kipc_region_status st;
	struct kipc_name_info info;
	struct kipc_region *r;
	struct kipc *k;
	char name[64];
	int fd;

	ASSERT_EQ(0, kipc_open(&k, 0));
	ASSERT_EQ(0, kipc_region_create(k, 4096, 0, 0, &r));
	ASSERT_EQ(0, kipc_region_info(r, &st));
	name_of(name, sizeof(name), "info");
	memset(&info, 0xff, sizeof(info));
	EXPECT_EQ(-ENOENT, kipc_name_open_info(k, name, 0, 0, -1, &info));
	EXPECT_EQ(0, info.kind);
	EXPECT_EQ(0, info.id);
	fd = kipc_name_open_info(k, name, KIPC_NAME_CREATE | KIPC_NAME_EXCL,
				 0600, kipc_region_fd(r), &info);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, cloexec(fd));
	EXPECT_EQ(KIPC_NAME_REGION, info.kind);
	EXPECT_EQ(1, info.created);
	EXPECT_EQ(st.id, info.id);
	close(fd);
	memset(&info, 0xff, sizeof(info));
	fd = kipc_name_open_info(k, name, 0, 0, -1, &info);
	ASSERT_LE(0, fd);
	EXPECT_EQ(KIPC_NAME_REGION, info.kind);
	EXPECT_EQ(0, info.created);
	EXPECT_EQ(st.id, info.id);
	EXPECT_EQ(0, info.reserved[0]);
	EXPECT_EQ(0, info.reserved[1]);
	close(fd);
	EXPECT_EQ(-EEXIST, kipc_name_open_info(k, name, KIPC_NAME_CREATE |
					       KIPC_NAME_EXCL, 0600,
					       kipc_region_fd(r), &info));
	EXPECT_EQ(0, info.created);
	EXPECT_EQ(0, kipc_name_unlink(k, name));
	kipc_region_close(r);
	kipc_close(k);
}

/* kipc_name_open(3)'s EXAMPLE, as the page has it (name made unique). */
static char demo_name[64];

static int publish(struct kipc *k, struct kipc_region *r)
{
	int fd = kipc_name_open(k, demo_name, KIPC_NAME_CREATE | KIPC_NAME_EXCL,
				0600, kipc_region_fd(r), NULL);

	if (fd < 0)
		return fd;
	close(fd);		/* the name holds the region */
	return 0;
}

static int lookup(struct kipc *k, struct kipc_region **rp)
{
	uint32_t kind;
	int ret, fd = kipc_name_open(k, demo_name, 0, 0, -1, &kind);

	if (fd < 0)
		return fd;
	if (kind != KIPC_NAME_REGION) {
		close(fd);
		return -EINVAL;
	}
	ret = kipc_region_open_fd(fd, 0, rp);	/* *rp adopts fd */
	if (ret < 0)
		close(fd);	/* still ours: open_fd failed */
	return ret;
}

TEST(name_open_example_keeps_the_handle_working)
{
	struct kipc_region *r, *got, *other;
	struct kipc_region_status st;
	uint32_t *word;
	struct kipc *k;

	ASSERT_EQ(0, kipc_open(&k, 0));
	name_of(demo_name, sizeof(demo_name), "demo");
	ASSERT_EQ(0, kipc_region_create(k, 4096, 0, 0, &r));
	ASSERT_EQ(0, publish(k, r));
	ASSERT_EQ(-EEXIST, publish(k, r));
	ASSERT_EQ(0, lookup(k, &got));
	EXPECT_LE(0, cloexec(kipc_region_fd(got))) TH_LOG("lookup() closed its handle's fd");
	/* The next object made must not take the handle's fd number. */
	ASSERT_EQ(0, kipc_region_create(k, 4096, 0, 0, &other));
	EXPECT_NE(kipc_region_fd(got), kipc_region_fd(other));
	/* The handle still speaks to the named region. */
	ASSERT_EQ(0, kipc_region_info(got, &st));
	EXPECT_EQ(4096, st.bytes);
	word = kipc_region_base(got);
	*word = 42;
	EXPECT_EQ(42, *(uint32_t *)kipc_region_base(r));
	EXPECT_EQ(0, kipc_wake(got, 0, 1, KIPC_BITSET_ANY));
	EXPECT_EQ(0, kipc_region_close(got));
	/* Closing it closed its own fd, not the other region's. */
	EXPECT_EQ(0, kipc_region_info(other, &st));
	EXPECT_EQ(0, kipc_name_unlink(k, demo_name));
	kipc_region_close(other);
	kipc_region_close(r);
	kipc_close(k);
}

/* Pass @fd over @sock and receive it without MSG_CMSG_CLOEXEC. */
static int pass_fd(int sock[2], int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int got;

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock[0], &mh, 0) != 1)
		return -errno;
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_controllen = sizeof(cbuf);
	if (recvmsg(sock[1], &mh, 0) != 1)
		return -errno;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&got, CMSG_DATA(c), sizeof(int));
	return got;
}

/*
 * A send end received without MSG_CMSG_CLOEXEC, adopted with
 * KIPC_FD_CLOEXEC, then a program exec'd: once the adopter closes the
 * end, the receiver reads end of stream although that program runs.
 */
TEST(adopted_send_end_with_cloexec_is_not_inherited)
{
	struct kipc_chan *tx, *rx, *adopted;
	int sock[2], sync[2], fd, st;
	struct kipc_msg m;
	char byte, buf[8];
	struct kipc *k;
	pid_t pid;

	ASSERT_EQ(0, kipc_open(&k, 0));
	ASSERT_EQ(0, kipc_channel_create(k, NULL, &tx, &rx));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sock));
	fd = pass_fd(sock, kipc_channel_fd(tx));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cloexec(fd));
	ASSERT_EQ(0, kipc_channel_close(tx));
	ASSERT_EQ(0, kipc_channel_from_fd(fd, KIPC_FD_CLOEXEC, &adopted))
		TH_LOG("kipc_channel_from_fd refuses KIPC_FD_CLOEXEC");
	EXPECT_EQ(1, cloexec(fd));
	EXPECT_EQ(0, kipc_channel_send_bytes(adopted, "hi", 2, 1));

	ASSERT_EQ(0, pipe2(sync, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execlp("sleep", "sleep", "10", (char *)NULL);
		_exit(127);
	}
	close(sync[1]);
	EXPECT_EQ(0, read(sync[0], &byte, 1));	/* EOF: it has exec'd */
	close(sync[0]);
	ASSERT_EQ(0, waitpid(pid, &st, WNOHANG)) TH_LOG("sleep(1) did not start");
	EXPECT_EQ(0, kipc_channel_close(adopted));
	kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
	EXPECT_EQ(1, kipc_channel_recv(rx, &m, 1, KIPC_IO_NONBLOCK, NULL, NULL));
	kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
	EXPECT_EQ(0, kipc_channel_recv(rx, &m, 1, KIPC_IO_NONBLOCK, NULL, NULL))
		TH_LOG("no end of stream: the exec'd program holds the send end");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	kipc_channel_close(rx);
	close(sock[0]);
	close(sock[1]);
	kipc_close(k);
}

/* The same for a region fd: FD_CLOEXEC set on the adopted fd. */
TEST(adopted_region_fd_with_cloexec)
{
	struct kipc_region *r, *adopted;
	int sock[2], fd;
	struct kipc *k;

	ASSERT_EQ(0, kipc_open(&k, 0));
	ASSERT_EQ(0, kipc_region_create(k, 4096, 0, 0, &r));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sock));
	fd = pass_fd(sock, kipc_region_fd(r));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cloexec(fd));
	ASSERT_EQ(0, kipc_region_open_fd(fd, KIPC_FD_CLOEXEC, &adopted));
	EXPECT_EQ(fd, kipc_region_fd(adopted));
	EXPECT_EQ(1, cloexec(fd)) TH_LOG("KIPC_FD_CLOEXEC left FD_CLOEXEC clear");
	EXPECT_EQ(0, kipc_region_close(adopted));
	kipc_region_close(r);
	close(sock[0]);
	close(sock[1]);
	kipc_close(k);
}

/*
 * kipc_msg_init() sets lendq_fd to KIPC_NO_FD: a message without lends
 * still sends (the module ignores lendq_fd when nr_lends is 0), and one
 * that lends without a queue fails with EBADF, even when fd 0 is a lend
 * queue (here it is).
 */
TEST(lends_without_a_queue_fail)
{
	struct kipc_lend_completion c;
	struct kipc_chan *tx, *rx;
	struct kipc_lend_ref ref;
	struct kipc_lendq *q;
	struct kipc_msg m;
	struct kipc *k;
	char buf[8];
	void *page;

	ASSERT_EQ(0, kipc_open(&k, 0));
	ASSERT_EQ(0, kipc_channel_create(k, NULL, &tx, &rx));
	ASSERT_EQ(0, kipc_lendq_create(k, 0, &q));
	ASSERT_EQ(0, dup2(kipc_lendq_fd(q), 0));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	memset(page, 1, 4096);

	kipc_msg_init(&m, "ok", 2, NULL, 0, 5);
	EXPECT_EQ(KIPC_NO_FD, m.lendq_fd);
	EXPECT_EQ(1, kipc_channel_send(tx, &m, 1, 0, NULL, NULL));

	memset(&ref, 0, sizeof(ref));
	ref.addr = (uint64_t)(uintptr_t)page;
	ref.len = 4096;
	kipc_msg_init(&m, NULL, 0, NULL, 0, 6);
	m.lends = (uint64_t)(uintptr_t)&ref;	/* kipc_msg_lend() forgotten */
	m.nr_lends = 1;
	EXPECT_EQ(-EBADF, kipc_channel_send(tx, &m, 1, 0, NULL, NULL))
		TH_LOG("the lend went to fd 0");
	kipc_msg_lend(&m, &ref, 1, NULL);
	EXPECT_EQ(KIPC_NO_FD, m.lendq_fd);
	EXPECT_EQ(-EBADF, kipc_channel_send(tx, &m, 1, 0, NULL, NULL));
	EXPECT_EQ(0, kipc_lendq_reap(q, &c, 1, KIPC_REAP_NONBLOCK));

	kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
	EXPECT_EQ(1, kipc_channel_recv(rx, &m, 1, KIPC_IO_NONBLOCK, NULL, NULL));
	EXPECT_EQ(5, m.tag);
	kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
	EXPECT_EQ(-EAGAIN, kipc_channel_recv(rx, &m, 1, KIPC_IO_NONBLOCK, NULL, NULL));
	munmap(page, 4096);
	kipc_lendq_close(q);
	kipc_channel_close(tx);
	kipc_channel_close(rx);
	kipc_close(k);
}

/*
 * A receive with no region handle of a message that carries a buffer:
 * EBADF, and the message stays at the head of the queue (kipc_channel_send(3)).
 */
TEST(recv_without_owner_keeps_a_buffer_message)
{
	struct kipc_buf_ref ref = { .offset = KIPC_BUF_NONE };
	uint64_t off, got, len, tag;
	struct kipc_chan *tx, *rx;
	struct kipc_region *r;
	struct kipc_msg m;
	struct kipc *k;

	ASSERT_EQ(0, kipc_open(&k, 0));
	ASSERT_EQ(0, kipc_region_create(k, 2 * 4096, 4096, 0, &r));
	ASSERT_EQ(0, kipc_channel_pair(k, r, &tx, &rx));
	ASSERT_EQ(0, kipc_buf_alloc(r, &off));
	ASSERT_EQ(0, kipc_buf_send(tx, r, off, 100, 3));
	kipc_msg_init(&m, NULL, 0, &ref, 1, 0);
	EXPECT_EQ(-EBADF, kipc_channel_recv(rx, &m, 1, KIPC_IO_NONBLOCK, NULL, NULL));
	kipc_msg_init(&m, NULL, 0, &ref, 1, 0);
	EXPECT_EQ(-EBADF, kipc_call(tx, rx, NULL, &m, KIPC_IO_NONBLOCK, NULL,
				    NULL, NULL));
	/* Still queued: a receive with the region's handle takes it. */
	ASSERT_EQ(1, kipc_buf_recv(rx, r, &got, &len, &tag));
	EXPECT_EQ(off, got);
	EXPECT_EQ(100, len);
	EXPECT_EQ(3, tag);
	EXPECT_EQ(0, kipc_buf_release(r, got));
	kipc_channel_close(tx);
	kipc_channel_close(rx);
	kipc_region_close(r);
	kipc_close(k);
}

/* A failed kipc_lend_send() lends nothing: no completion comes. */
TEST(failed_lend_send_has_no_completion)
{
	struct kipc_lend_completion c;
	struct kipc_chan *tx, *rx;
	struct kipc_lendq *q;
	struct kipc *k;
	void *page;

	ASSERT_EQ(0, kipc_open(&k, 0));
	ASSERT_EQ(0, kipc_channel_create(k, NULL, &tx, &rx));
	ASSERT_EQ(0, kipc_lendq_create(k, 0, &q));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	memset(page, 1, 4096);
	ASSERT_EQ(0, kipc_channel_close(rx));
	EXPECT_EQ(-EPIPE, kipc_lend_send(tx, q, page, 4096, 77, 0));
	/* Blocking reap: 0 at once, nothing lent. */
	EXPECT_EQ(0, kipc_lendq_reap(q, &c, 1, 0));
	munmap(page, 4096);
	kipc_lendq_close(q);
	kipc_channel_close(tx);
	kipc_close(k);
}

TEST_HARNESS_MAIN
