// SPDX-License-Identifier: GPL-2.0
/*
 * The module's tracepoints: each send and receive of a channel is traced
 * with its channel and sizes, a receive with the time its message spent
 * queued (0 when it was queued before kipc_msg_recv was enabled), and
 * objects with their creation and destruction. Each test works in a trace
 * instance of its own. Skips without root or tracefs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/kipc_nl.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define DEPTH	16

static const char *const tracefs[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

static int kt_write(const char *dir, const char *file, const char *val)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/* The instance's whole trace buffer into @buf (NUL-terminated). */
static int kt_read_trace(const char *inst, char *buf, size_t size)
{
	char path[512];
	size_t have = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/trace", inst);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while (have < size - 1 &&
	       (n = read(fd, buf + have, size - 1 - have)) > 0)
		have += n;
	buf[have] = '\0';
	close(fd);
	return 0;
}

/* Lines of @trace holding @what, and the first one's text after it. */
static int kt_count(const char *trace, const char *what, char *first,
		    size_t len)
{
	const char *p = trace;
	int n = 0;

	while ((p = strstr(p, what))) {
		if (!n && first) {
			size_t l = strcspn(p, "\n");

			snprintf(first, len, "%.*s", (int)l, p);
		}
		n++;
		p += strlen(what);
	}
	return n;
}

FIXTURE(trace) {
	int ctx;
	int sfd, rfd;
	long long id;
	char inst[256];
	char buf[1 << 16];
};

FIXTURE_SETUP(trace)
{
	struct stat st;
	char path[300];
	unsigned int i;
	int ret;

	self->sfd = self->rfd = -1;
	self->inst[0] = '\0';
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL);
	if (geteuid())
		SKIP(return, "tracing needs root");
	for (i = 0; i < sizeof(tracefs) / sizeof(tracefs[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/kipc", tracefs[i]);
		if (!stat(path, &st))
			break;
	}
	if (i == sizeof(tracefs) / sizeof(tracefs[0]))
		SKIP(return, "no tracefs with kipc events");
	snprintf(self->inst, sizeof(self->inst), "%s/instances/kipc-test-%d",
		 tracefs[i], (int)getpid());
	ASSERT_EQ(0, mkdir(self->inst, 0700)) TH_LOG("%s: %s", self->inst,
						     strerror(errno));
	ASSERT_EQ(0, kt_write(self->inst, "events/kipc/enable", "1"));
	ret = kt_channel_create(self->ctx, 0, DEPTH, 0, -1, &self->sfd,
				&self->rfd);
	ASSERT_EQ(0, ret);
	self->id = kt_fdinfo_num(self->sfd, "kipc-id");
	ASSERT_LT(0, self->id);
}

FIXTURE_TEARDOWN(trace)
{
	if (self->sfd >= 0)
		close(self->sfd);
	if (self->rfd >= 0)
		close(self->rfd);
	close(self->ctx);
	if (self->inst[0]) {
		kt_write(self->inst, "events/kipc/enable", "0");
		rmdir(self->inst);
	}
}

TEST_F(trace, send_and_receive_are_traced_with_sizes)
{
	char what[128], line[256], rbuf[64];
	unsigned long long q;
	int i;

	for (i = 0; i < 5; i++)
		ASSERT_EQ(1, kt_send1(self->sfd, "0123456789abcd", 10 + i, i, 0));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(1, kt_recv1(self->rfd, rbuf, sizeof(rbuf), NULL, 0));
	ASSERT_EQ(0, kt_read_trace(self->inst, self->buf, sizeof(self->buf)));

	snprintf(what, sizeof(what), "kipc_msg_send: chan=%lld bytes=", self->id);
	EXPECT_EQ(5, kt_count(self->buf, what, NULL, 0));
	snprintf(what, sizeof(what),
		 "kipc_msg_send: chan=%lld bytes=12 bufs=0 lends=0 queued=3",
		 self->id);
	EXPECT_EQ(1, kt_count(self->buf, what, NULL, 0)) TH_LOG("%s", self->buf);
	snprintf(what, sizeof(what), "kipc_msg_recv: chan=%lld bytes=", self->id);
	EXPECT_EQ(5, kt_count(self->buf, what, line, sizeof(line)));
	/* Queued while the event was on: the time is stamped. */
	ASSERT_EQ(1, sscanf(strstr(line, "queued_ns="), "queued_ns=%llu", &q))
		TH_LOG("%s", line);
	EXPECT_LT(0, q);
}

TEST_F(trace, queued_time_is_the_time_spent_queued)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	char what[128], line[256], rbuf[16];
	unsigned long long q;

	ASSERT_EQ(1, kt_send1(self->sfd, "x", 1, 0, 0));
	nanosleep(&ts, NULL);
	ASSERT_EQ(1, kt_recv1(self->rfd, rbuf, sizeof(rbuf), NULL, 0));
	ASSERT_EQ(0, kt_read_trace(self->inst, self->buf, sizeof(self->buf)));
	snprintf(what, sizeof(what), "kipc_msg_recv: chan=%lld bytes=1 ", self->id);
	ASSERT_EQ(1, kt_count(self->buf, what, line, sizeof(line)));
	ASSERT_EQ(1, sscanf(strstr(line, "queued_ns="), "queued_ns=%llu", &q));
	EXPECT_LE(50000000ULL, q);
	EXPECT_GT(10000000000ULL, q);
}

TEST_F(trace, queued_before_tracing_is_not_timed)
{
	char what[128], line[256], rbuf[16];

	ASSERT_EQ(0, kt_write(self->inst, "events/kipc/kipc_msg_recv/enable", "0"));
	ASSERT_EQ(1, kt_send1(self->sfd, "y", 1, 0, 0));
	ASSERT_EQ(0, kt_write(self->inst, "events/kipc/kipc_msg_recv/enable", "1"));
	ASSERT_EQ(1, kt_recv1(self->rfd, rbuf, sizeof(rbuf), NULL, 0));
	ASSERT_EQ(0, kt_read_trace(self->inst, self->buf, sizeof(self->buf)));
	snprintf(what, sizeof(what), "kipc_msg_recv: chan=%lld bytes=1 ", self->id);
	ASSERT_EQ(1, kt_count(self->buf, what, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "queued_ns=0")) TH_LOG("%s", line);
}

TEST_F(trace, objects_are_traced_when_created_and_destroyed)
{
	char what[128];
	int sfd, rfd;
	long long id;

	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, DEPTH, 0, -1, &sfd, &rfd));
	id = kt_fdinfo_num(sfd, "kipc-id");
	close(sfd);
	close(rfd);
	ASSERT_EQ(0, kt_read_trace(self->inst, self->buf, sizeof(self->buf)));
	snprintf(what, sizeof(what), "kipc_obj_create: type=%u id=%lld uid=%u\n",
		 KIPC_OBJ_TYPE_CHANNEL, id, (unsigned int)getuid());
	EXPECT_EQ(1, kt_count(self->buf, what, NULL, 0)) TH_LOG("%s", self->buf);
	snprintf(what, sizeof(what), "kipc_obj_destroy: type=%u id=%lld uid=%u\n",
		 KIPC_OBJ_TYPE_CHANNEL, id, (unsigned int)getuid());
	EXPECT_EQ(1, kt_count(self->buf, what, NULL, 0));
}

KIPC_TEST_MAIN
