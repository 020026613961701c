// SPDX-License-Identifier: GPL-2.0
/* The same message stream through a pipe, a SOCK_SEQPACKET socket and a kipc channel arrives identical. */
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NR_MSGS		2000
#define MAX_LEN		4096
#define BATCH		16

/* The stream: message i has stream_len(i) bytes from a seeded xorshift. */
static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static uint32_t stream_len(uint32_t i)
{
	uint32_t s = i * 2654435761u + 1;

	xorshift(&s);
	/* Mostly small, some full-size: 1..MAX_LEN. */
	return (i % 10 == 9) ? MAX_LEN - (s % 8) : s % MAX_LEN + 1;
}

static void stream_fill(unsigned char *buf, uint32_t i)
{
	uint32_t s = i * 40503u + 0x9e3779b9u, len = stream_len(i), j;

	for (j = 0; j < len; j++)
		buf[j] = (unsigned char)xorshift(&s);
}

/* What a receiver saw: the lengths in order and the bytes concatenated. */
struct seen {
	uint32_t nr;
	uint32_t len[NR_MSGS];
	unsigned char *bytes;
	size_t used;
};

static int seen_add(struct seen *s, const void *p, uint32_t len)
{
	if (s->nr >= NR_MSGS)
		return -1;
	s->len[s->nr++] = len;
	memcpy(s->bytes + s->used, p, len);
	s->used += len;
	return 0;
}

FIXTURE(compare) {
	int ctx;
	pid_t child;
	struct seen *pipe_seen, *seq_seen, *kipc_seen;
};

static struct seen *seen_new(void)
{
	struct seen *s = calloc(1, sizeof(*s));

	if (s)
		s->bytes = malloc((size_t)NR_MSGS * MAX_LEN);
	return s && s->bytes ? s : NULL;
}

static void seen_free(struct seen *s)
{
	if (s) {
		free(s->bytes);
		free(s);
	}
}

FIXTURE_SETUP(compare)
{
	self->child = 0;
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL);
	self->pipe_seen = seen_new();
	self->seq_seen = seen_new();
	self->kipc_seen = seen_new();
	ASSERT_NE(NULL, self->pipe_seen);
	ASSERT_NE(NULL, self->seq_seen);
	ASSERT_NE(NULL, self->kipc_seen);
}

FIXTURE_TEARDOWN(compare)
{
	kt_reap(self->child);
	seen_free(self->pipe_seen);
	seen_free(self->seq_seen);
	seen_free(self->kipc_seen);
	close(self->ctx);
}

static int write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len) {
		n = write(fd, c, len);
		if (n <= 0)
			return -1;
		c += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t len)
{
	char *c = p;
	ssize_t n;

	while (len) {
		n = read(fd, c, len);
		if (n <= 0)
			return n == 0 && c == (char *)p ? 0 : -1;
		c += n;
		len -= n;
	}
	return 1;
}

/* Pipe: a byte stream, so each message is framed by its length. */
static int pipe_send(int fd)
{
	static unsigned char buf[4 + MAX_LEN];
	uint32_t i, len;

	for (i = 0; i < NR_MSGS; i++) {
		len = stream_len(i);
		memcpy(buf, &len, 4);
		stream_fill(buf + 4, i);
		if (write_all(fd, buf, 4 + len))
			return 10;
	}
	return 0;
}

static int pipe_recv(int fd, struct seen *s)
{
	static unsigned char buf[MAX_LEN];
	uint32_t len;
	int r;

	while ((r = read_all(fd, &len, 4)) == 1) {
		if (len == 0 || len > MAX_LEN || read_all(fd, buf, len) != 1 ||
		    seen_add(s, buf, len))
			return -1;
	}
	return r;
}

static int seq_send(int fd)
{
	static unsigned char buf[MAX_LEN];
	uint32_t i;

	for (i = 0; i < NR_MSGS; i++) {
		stream_fill(buf, i);
		if (send(fd, buf, stream_len(i), 0) != (ssize_t)stream_len(i))
			return 10;
	}
	return 0;
}

static int seq_recv(int fd, struct seen *s)
{
	static unsigned char buf[MAX_LEN + 1];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		if (seen_add(s, buf, n))
			return -1;
	return n;
}

/* kipc: batches of 1..BATCH messages per call. */
static int kipc_send_stream(int fd)
{
	static unsigned char buf[BATCH][MAX_LEN];
	struct kipc_msg m[BATCH];
	uint32_t i = 0, b, k;
	int n;

	while (i < NR_MSGS) {
		b = i % BATCH + 1;
		if (b > NR_MSGS - i)
			b = NR_MSGS - i;
		for (k = 0; k < b; k++) {
			stream_fill(buf[k], i + k);
			kt_msg_init(&m[k], buf[k], stream_len(i + k), NULL, 0,
				    i + k);
		}
		n = kt_send(fd, m, b, 0);
		if (n <= 0)
			return 10;
		i += n;
	}
	return 0;
}

static int kipc_recv_stream(int fd, struct seen *s)
{
	static unsigned char buf[BATCH][MAX_LEN];
	struct kipc_msg m[BATCH];
	int n, k;

	for (;;) {
		for (k = 0; k < BATCH; k++)
			kt_msg_init(&m[k], buf[k], MAX_LEN, NULL, 0, 0);
		n = kt_recv(fd, m, BATCH, 0);
		if (n <= 0)
			return n;
		for (k = 0; k < n; k++)
			if (m[k].tag != s->nr ||
			    seen_add(s, buf[k], m[k].data_len))
				return -1;
	}
}

enum transport { PIPE, SEQPACKET, KIPC };

/* Run a sender child on @wfd and receive on @rfd into @s. */
static int transfer(FIXTURE_DATA(compare) *self, enum transport t, int wfd,
		    int rfd, struct seen *s)
{
	int ret;

	self->child = kt_fork();
	if (self->child < 0)
		return -1;
	if (self->child == 0) {
		close(rfd);
		_exit(t == PIPE ? pipe_send(wfd) : t == SEQPACKET ?
		      seq_send(wfd) : kipc_send_stream(wfd));
	}
	close(wfd);
	ret = t == PIPE ? pipe_recv(rfd, s) : t == SEQPACKET ?
	      seq_recv(rfd, s) : kipc_recv_stream(rfd, s);
	close(rfd);
	if (kt_wait(self->child, 60000))
		ret = -1;
	self->child = 0;
	return ret;
}

TEST_F_TIMEOUT(compare, pipe_seqpacket_kipc_agree, 90)
{
	static unsigned char want[MAX_LEN];
	size_t total = 0, at = 0;
	int p[2], sv[2], s, r;
	uint32_t i;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, transfer(self, PIPE, p[1], p[0], self->pipe_seen));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	ASSERT_EQ(0, transfer(self, SEQPACKET, sv[0], sv[1], self->seq_seen));
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, MAX_LEN, -1, &s, &r));
	ASSERT_EQ(0, transfer(self, KIPC, s, r, self->kipc_seen));

	/* Same number of messages, same boundaries, same bytes. */
	ASSERT_EQ(NR_MSGS, self->pipe_seen->nr);
	ASSERT_EQ(NR_MSGS, self->seq_seen->nr);
	ASSERT_EQ(NR_MSGS, self->kipc_seen->nr);
	EXPECT_EQ(0, memcmp(self->pipe_seen->len, self->seq_seen->len,
			    sizeof(self->pipe_seen->len)));
	EXPECT_EQ(0, memcmp(self->pipe_seen->len, self->kipc_seen->len,
			    sizeof(self->pipe_seen->len)));
	ASSERT_EQ(self->pipe_seen->used, self->seq_seen->used);
	ASSERT_EQ(self->pipe_seen->used, self->kipc_seen->used);
	EXPECT_EQ(0, memcmp(self->pipe_seen->bytes, self->seq_seen->bytes,
			    self->pipe_seen->used));
	EXPECT_EQ(0, memcmp(self->pipe_seen->bytes, self->kipc_seen->bytes,
			    self->pipe_seen->used));

	/* And all three are the stream that was sent. */
	for (i = 0; i < NR_MSGS; i++) {
		ASSERT_EQ(stream_len(i), self->kipc_seen->len[i]);
		stream_fill(want, i);
		ASSERT_EQ(0, memcmp(want, self->kipc_seen->bytes + at,
				    stream_len(i))) TH_LOG("message %u", i);
		at += stream_len(i);
		total += stream_len(i);
	}
	EXPECT_EQ(total, self->kipc_seen->used);
}

KIPC_TEST_MAIN
