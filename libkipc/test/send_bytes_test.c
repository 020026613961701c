// SPDX-License-Identifier: GPL-2.0
/*
 * kipc_channel_send_bytes() without a tag (a guest test, run by
 * tools/vm/kipc-examples; as root, to change its effective uid).
 *
 * Without a tag it sent with write(2), which the module gives the
 * sender's real ids, where KIPC_IOC_SEND gives a connection's messages
 * the effective ones: on a connection, a root daemon acting for a user
 * (seteuid) was taken for root when it sent tag 0, and for the user with
 * any other tag. And an adopted fd that was no kipc send end (a pipe) got
 * the bytes, with 0 returned, instead of -ENOTTY. write(2) is kept for
 * the send ends of kipc_channel_create(), where it sends the same
 * message.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"

#define NAME	"kipc-send-bytes-test"
#define NOBODY	65534

/* The next message on @rx: its uid, or -errno. */
static long recv_uid(struct kipc_chan *rx)
{
	struct kipc_msg m;
	char buf[8];
	int ret;

	kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
	ret = kipc_channel_recv(rx, &m, 1, 0, NULL, NULL);
	return ret == 1 ? (long)m.uid : ret < 0 ? ret : -EIO;
}

TEST(connection_messages_carry_the_effective_uid)
{
	struct kipc_chan *ctx, *crx, *stx, *srx;
	struct kipc_service *svc;
	struct kipc *k;
	int fd;

	if (geteuid())
		SKIP(return, "needs root to change the effective uid");
	ASSERT_EQ(0, kipc_open(&k, 0));
	ASSERT_EQ(0, kipc_service_create(k, NULL, &svc));
	fd = kipc_name_open(k, NAME, KIPC_NAME_CREATE, 0600,
			    kipc_service_fd(svc), NULL);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, kipc_connect(k, NAME, 0, NULL, &ctx, &crx, NULL));
	ASSERT_EQ(0, kipc_service_accept(svc, 0, NULL, &srx, &stx, NULL));

	ASSERT_EQ(0, seteuid(NOBODY));
	EXPECT_EQ(0, kipc_channel_send_bytes(ctx, "a", 1, 0));
	EXPECT_EQ(0, kipc_channel_send_bytes(ctx, "b", 1, 7));
	ASSERT_EQ(0, seteuid(0));
	EXPECT_EQ(NOBODY, recv_uid(srx)) TH_LOG("tag 0: the real uid");
	EXPECT_EQ(NOBODY, recv_uid(srx)) TH_LOG("tag 7");

	kipc_name_unlink(k, NAME);
	kipc_channel_close(ctx);
	kipc_channel_close(crx);
	kipc_channel_close(stx);
	kipc_channel_close(srx);
	kipc_service_close(svc);
	kipc_close(k);
}

/* A channel of kipc_channel_create()'s: tag 0 goes by write(2), and works. */
TEST(created_channel_sends_without_a_tag)
{
	struct kipc_chan *tx, *rx;
	uint64_t tag = 1;
	struct kipc *k;
	char buf[8];
	size_t len;

	ASSERT_EQ(0, kipc_open(&k, 0));
	ASSERT_EQ(0, kipc_channel_create(k, NULL, &tx, &rx));
	ASSERT_EQ(0, kipc_channel_send_bytes(tx, "hello", 5, 0));
	ASSERT_EQ(1, kipc_channel_recv_bytes(rx, buf, sizeof(buf), &len, &tag));
	EXPECT_EQ(5, len);
	EXPECT_EQ(0, tag);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	kipc_channel_close(tx);
	kipc_channel_close(rx);
	kipc_close(k);
}

/* An adopted fd that is no send end: -ENOTTY, and nothing written. */
TEST(adopted_pipe_is_no_send_end)
{
	struct kipc_chan *c;
	char byte;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, kipc_channel_from_fd(p[1], 0, &c));
	EXPECT_EQ(-ENOTTY, kipc_channel_send_bytes(c, "x", 1, 0));
	kipc_channel_close(c);		/* closes p[1] */
	EXPECT_EQ(0, read(p[0], &byte, 1)) TH_LOG("the byte went into the pipe");
	close(p[0]);
}

TEST_HARNESS_MAIN
