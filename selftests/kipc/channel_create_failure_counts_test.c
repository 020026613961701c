// SPDX-License-Identifier: GPL-2.0
/*
 * A channel creation that fails leaves channels-created - destroyed equal
 * to the live channels. Regression test: a channel whose creation fails
 * after it got its id (an allocation of one of its two files fails) was
 * counted as destroyed but never as created, so the netlink counters
 * channels-created - channels-destroyed went below the number of live
 * channels (found by the fault-injection sweep,
 * tools/debuglane/kipc-faultinject). Makes each allocation of
 * KIPC_IOC_CHANNEL_CREATE fail in turn with /proc/thread-self/fail-nth and
 * checks that the difference stays the number of live channels. Needs
 * CONFIG_FAULT_INJECTION (the debug kernel); skips elsewhere.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

struct req {
	struct nlmsghdr nlh;
	struct genlmsghdr g;
	char attrs[64];
};

/* One genl request; calls @cb on each answer until the ack. */
static int nl_request(int fd, uint16_t type, uint8_t cmd, const char *name,
		      void (*cb)(struct nlmsghdr *, void *), void *arg)
{
	static char buf[16384];
	struct req r = { 0 };
	int n;

	r.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r.nlh.nlmsg_type = type;
	r.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	r.nlh.nlmsg_seq = 1;
	r.g.cmd = cmd;
	r.g.version = 1;
	if (name) {
		struct nlattr *a = (void *)((char *)&r + r.nlh.nlmsg_len);

		a->nla_type = CTRL_ATTR_FAMILY_NAME;
		a->nla_len = NLA_HDRLEN + strlen(name) + 1;
		strcpy((char *)a + NLA_HDRLEN, name);
		r.nlh.nlmsg_len += NLA_ALIGN(a->nla_len);
	}
	if (send(fd, &r, r.nlh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			cb(h, arg);
		}
	}
}

struct walk {
	int type[2];
	int64_t val[2];
};

static void attrs_cb(struct nlmsghdr *nlh, void *arg)
{
	struct walk *w = arg;
	struct nlattr *a = (void *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
	int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), i;

	for (; len >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len), a = (void *)((char *)a + NLA_ALIGN(a->nla_len)))
		for (i = 0; i < 2; i++) {
			if (a->nla_type != w->type[i])
				continue;
			if (a->nla_len == NLA_HDRLEN + 8)
				w->val[i] = *(uint64_t *)((char *)a + NLA_HDRLEN);
			else if (a->nla_len == NLA_HDRLEN + 4)
				w->val[i] = *(uint32_t *)((char *)a + NLA_HDRLEN);
			else if (a->nla_len == NLA_HDRLEN + 2)
				w->val[i] = *(uint16_t *)((char *)a + NLA_HDRLEN);
		}
}

/* channels-created - channels-destroyed */
static int64_t live_channels(int fd, uint16_t family)
{
	struct walk w = { { KIPC_A_STATS_CHANNELS_CREATED,
			    KIPC_A_STATS_CHANNELS_DESTROYED }, { -1, -1 } };

	if (nl_request(fd, family, KIPC_CMD_STATS_GET, NULL, attrs_cb, &w) ||
	    w.val[0] < 0 || w.val[1] < 0)
		return INT64_MIN;
	return w.val[0] - w.val[1];
}

/*
 * Write @n to fail-nth (n >= 0), or read it back (n < 0). The file stays
 * open: opening it after the ioctl would be an allocation of its own.
 */
static int fail_nth(int fd, int n)
{
	char buf[16] = "";

	if (n >= 0)
		return pwrite(fd, buf, snprintf(buf, sizeof(buf), "%d", n), 0) > 0 ? 0 : -1;
	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return atoi(buf);
}

/* A failure injected is logged without a stack dump ("Call Trace" is a report). */
static void quiet(const char *path, char *old, size_t size)
{
	int fd = open(path, O_RDWR);
	ssize_t k;

	if (fd < 0)
		return;
	if (old) {
		k = read(fd, old, size - 1);
		old[k > 0 ? k : 0] = 0;
		pwrite(fd, "1", 1, 0);
	}
	close(fd);
}

static void restore(const char *path, const char *old)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0 && *old)
		write(fd, old, strlen(old));
	if (fd >= 0)
		close(fd);
}

#define FAILSLAB_VERBOSE	"/sys/kernel/debug/failslab/verbose"
#define FAIL_PAGE_VERBOSE	"/sys/kernel/debug/fail_page_alloc/verbose"

TEST(channel_create_failure_keeps_counts)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct walk fam = { { CTRL_ATTR_FAMILY_ID, -1 }, { -1, -1 } };
	char old_slab[16] = "", old_page[16] = "";
	int ctx, fd, nth, n, r, injected = 0;
	int64_t base;

	nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth < 0)
		SKIP(return, "no fail-nth: the kernel lacks CONFIG_FAULT_INJECTION");
	quiet(FAILSLAB_VERBOSE, old_slab, sizeof(old_slab));
	quiet(FAIL_PAGE_VERBOSE, old_page, sizeof(old_page));
	ctx = open(KIPC_DEVICE_PATH, O_RDWR);
	ASSERT_GE(ctx, 0);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, bind(fd, (void *)&sa, sizeof(sa)));
	ASSERT_EQ(0, nl_request(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
				KIPC_GENL_NAME, attrs_cb, &fam));
	ASSERT_GT(fam.val[0], 0);
	base = live_channels(fd, fam.val[0]);
	ASSERT_NE(INT64_MIN, base);

	for (n = 1; n < 200; n++) {
		struct kipc_channel_create cc = {
			.size = sizeof(cc), .region_fd = KIPC_NO_FD,
		};
		int left;

		/* Every allocation of the task counts: only the ioctl in between. */
		ASSERT_EQ(0, fail_nth(nth, n));
		r = ioctl(ctx, KIPC_IOC_CHANNEL_CREATE, &cc);
		left = fail_nth(nth, -1);
		fail_nth(nth, 0);
		if (r == 0) {
			close(cc.send_fd);
			close(cc.recv_fd);
		}
		EXPECT_EQ(base, live_channels(fd, fam.val[0])) {
			TH_LOG("after failing allocation %d of channel-create (%s)",
			       n, r ? strerror(errno) : "it succeeded");
		}
		if (left > 0)
			break;	/* fewer than n allocations: all were tried */
		injected++;
	}
	TH_LOG("%d allocations of channel-create failed in turn", injected);
	restore(FAILSLAB_VERBOSE, old_slab);
	restore(FAIL_PAGE_VERBOSE, old_page);
	ASSERT_GT(injected, 0);
	close(nth);
	close(fd);
	close(ctx);
}

KIPC_TEST_MAIN
