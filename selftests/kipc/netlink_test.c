// SPDX-License-Identifier: GPL-2.0
/* The kipc generic netlink family: commands, dumps, events, permissions, bad requests. */
#include <grp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NOBODY		65534
#define BUFSZ		65536
#define NR_MANY		300	/* channels: more than one dump message holds */

struct nl {
	int fd;
	uint16_t family;
	uint32_t events;
	uint32_t seq;
	char extack[256];
};

struct req {
	struct nlmsghdr nlh;
	struct genlmsghdr g;
	char attrs[256];
};

static void put_attr(struct req *r, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (void *)((char *)r + NLMSG_ALIGN(r->nlh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nlh.nlmsg_len = NLMSG_ALIGN(r->nlh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void init_req(struct nl *nl, struct req *r, uint16_t type, uint8_t cmd,
		     uint16_t flags)
{
	memset(r, 0, sizeof(*r));
	r->nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->nlh.nlmsg_seq = ++nl->seq;
	r->g.cmd = cmd;
	r->g.version = 1;
}

/* Walk the attributes of a message after the genl header. */
#define for_each_attr(a, nlh, len)					\
	for (a = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN),	\
	     len = (nlh)->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);	\
	     len >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&	\
	     a->nla_len <= len;						\
	     len -= NLA_ALIGN(a->nla_len),				\
	     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))

typedef void (*msg_cb)(struct nlmsghdr *nlh, void *arg);

/* Keep the extack message of an error or done message. */
static void save_extack(struct nl *nl, struct nlmsghdr *nlh, size_t off)
{
	struct nlattr *a = (void *)((char *)NLMSG_DATA(nlh) + off);
	int len = nlh->nlmsg_len - NLMSG_LENGTH(off);

	while (len >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(nl->extack, sizeof(nl->extack), "%s",
				 (char *)a + NLA_HDRLEN);
		len -= NLA_ALIGN(a->nla_len);
		a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

/* Send @r, run @cb on each reply; return the ack's error (0 or -errno), and
 * the number of recv() calls in *nr_recv.
 */
static int run(struct nl *nl, struct req *r, msg_cb cb, void *arg, int *nr_recv)
{
	static char buf[BUFSZ];
	int n, recvs = 0;

	nl->extack[0] = '\0';
	if (send(nl->fd, r, r->nlh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h;

		n = recv(nl->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		recvs++;
		for (h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->nlh.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_flags & NLM_F_ACK_TLVS)
					save_extack(nl, h, sizeof(*e) +
						    ((h->nlmsg_flags & NLM_F_CAPPED) ? 0 :
						     e->msg.nlmsg_len - NLMSG_HDRLEN));
				if (nr_recv)
					*nr_recv = recvs;
				return e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = *(int *)NLMSG_DATA(h);

				if (h->nlmsg_flags & NLM_F_ACK_TLVS)
					save_extack(nl, h, sizeof(int));
				if (nr_recv)
					*nr_recv = recvs;
				return err;
			}
			if (cb)
				cb(h, arg);
		}
	}
}

static void family_cb(struct nlmsghdr *nlh, void *arg)
{
	struct nl *nl = arg;
	struct nlattr *a, *g, *f;
	int len, glen, flen;

	for_each_attr(a, nlh, len) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			nl->family = *(uint16_t *)((char *)a + NLA_HDRLEN);
		if (a->nla_type != CTRL_ATTR_MCAST_GROUPS)
			continue;
		for (g = (void *)((char *)a + NLA_HDRLEN), glen = a->nla_len - NLA_HDRLEN;
		     glen >= (int)NLA_HDRLEN; glen -= NLA_ALIGN(g->nla_len),
		     g = (void *)((char *)g + NLA_ALIGN(g->nla_len))) {
			uint32_t id = 0;
			const char *name = NULL;

			for (f = (void *)((char *)g + NLA_HDRLEN), flen = g->nla_len - NLA_HDRLEN;
			     flen >= (int)NLA_HDRLEN; flen -= NLA_ALIGN(f->nla_len),
			     f = (void *)((char *)f + NLA_ALIGN(f->nla_len))) {
				if (f->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = *(uint32_t *)((char *)f + NLA_HDRLEN);
				if (f->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
					name = (char *)f + NLA_HDRLEN;
			}
			if (name && !strcmp(name, KIPC_MCGRP_EVENTS))
				nl->events = id;
		}
	}
}

static int nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct req r;
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0 || bind(nl->fd, (void *)&sa, sizeof(sa)))
		return -errno;
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	init_req(nl, &r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	put_attr(&r, CTRL_ATTR_FAMILY_NAME, KIPC_GENL_NAME, sizeof(KIPC_GENL_NAME));
	return run(nl, &r, family_cb, nl, NULL);
}

/* Attribute @type of a message as u64 (u32 attributes widened), or -1. */
static int64_t get_attr(struct nlmsghdr *nlh, int type)
{
	struct nlattr *a;
	int len;

	for_each_attr(a, nlh, len) {
		if (a->nla_type != type)
			continue;
		if (a->nla_len == NLA_HDRLEN + 8)
			return *(uint64_t *)((char *)a + NLA_HDRLEN);
		if (a->nla_len == NLA_HDRLEN + 4)
			return *(uint32_t *)((char *)a + NLA_HDRLEN);
	}
	return -1;
}

struct ids {
	int n;
	uint64_t id[4 * NR_MANY];
	int64_t stat;	/* stats-get: channels-created */
};

static void ids_cb(struct nlmsghdr *nlh, void *arg)
{
	struct ids *ids = arg;

	if (ids->n < (int)(sizeof(ids->id) / sizeof(ids->id[0])))
		ids->id[ids->n++] = get_attr(nlh, KIPC_A_CHANNEL_ID);
}

static void stats_cb(struct nlmsghdr *nlh, void *arg)
{
	((struct ids *)arg)->stat = get_attr(nlh, KIPC_A_STATS_CHANNELS_CREATED);
}

static int channel_create(int ctx, uint64_t *id, int *send_fd, int *recv_fd)
{
	struct kipc_channel_create cc = {
		.size = sizeof(cc), .region_fd = KIPC_NO_FD,
	};

	if (ioctl(ctx, KIPC_IOC_CHANNEL_CREATE, &cc))
		return -errno;
	*id = cc.id;
	*send_fd = cc.send_fd;
	*recv_fd = cc.recv_fd;
	return 0;
}

FIXTURE(nl) {
	struct nl nl;
	int ctx;
};

FIXTURE_SETUP(nl)
{
	int ret = nl_open(&self->nl);

	if (ret == -ENOENT)
		SKIP(return, "no netlink family kipc");
	ASSERT_EQ(0, ret);
	ASSERT_NE(0, self->nl.family);
	kipc_test_open(self->ctx);
}

FIXTURE_TEARDOWN(nl)
{
	close(self->nl.fd);
	close(self->ctx);
}

TEST_F(nl, stats_get)
{
	struct ids before = { .stat = -1 }, after = { .stat = -1 };
	int s, r;
	uint64_t id;
	struct req q;

	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_STATS_GET, 0);
	ASSERT_EQ(0, run(&self->nl, &q, stats_cb, &before, NULL));
	ASSERT_LE(0, before.stat);
	ASSERT_EQ(0, channel_create(self->ctx, &id, &s, &r));
	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_STATS_GET, 0);
	ASSERT_EQ(0, run(&self->nl, &q, stats_cb, &after, NULL));
	EXPECT_EQ(before.stat + 1, after.stat);
	close(s);
	close(r);
}

TEST_F(nl, channel_get_and_dump_many)
{
	static int fds[NR_MANY][2];
	static uint64_t ids[NR_MANY];
	struct ids *got = calloc(1, sizeof(*got));
	int i, j, recvs = 0, found;
	struct req q;

	ASSERT_NE(NULL, got);
	for (i = 0; i < NR_MANY; i++)
		ASSERT_EQ(0, channel_create(self->ctx, &ids[i], &fds[i][0], &fds[i][1]));

	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_CHANNEL_GET, NLM_F_DUMP);
	ASSERT_EQ(0, run(&self->nl, &q, ids_cb, got, &recvs));
	EXPECT_LT(1, recvs) TH_LOG("the dump fit one message: not resumed");
	for (i = 0, found = 0; i < NR_MANY; i++)
		for (j = 0; j < got->n; j++)
			if (got->id[j] == ids[i]) {
				found++;
				break;
			}
	EXPECT_EQ(NR_MANY, found);
	for (j = 1; j < got->n; j++)
		EXPECT_LT(got->id[j - 1], got->id[j]);	/* id order, no repeats */

	/* get by id */
	got->n = 0;
	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_CHANNEL_GET, 0);
	put_attr(&q, KIPC_A_CHANNEL_ID, &ids[7], 8);
	ASSERT_EQ(0, run(&self->nl, &q, ids_cb, got, NULL));
	ASSERT_EQ(1, got->n);
	EXPECT_EQ(ids[7], got->id[0]);

	/* filter by pid: our pid has them all; pid 1 has none */
	for (i = 0; i < 2; i++) {
		uint32_t pid = i ? 1 : getpid();

		got->n = 0;
		init_req(&self->nl, &q, self->nl.family, KIPC_CMD_CHANNEL_GET, NLM_F_DUMP);
		put_attr(&q, KIPC_A_CHANNEL_PID, &pid, 4);
		ASSERT_EQ(0, run(&self->nl, &q, ids_cb, got, NULL));
		if (i) {
			EXPECT_EQ(0, got->n);
		} else {
			EXPECT_LE(NR_MANY, got->n);
		}
	}

	for (i = 0; i < NR_MANY; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
	/* gone */
	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_CHANNEL_GET, 0);
	put_attr(&q, KIPC_A_CHANNEL_ID, &ids[7], 8);
	EXPECT_EQ(-ENOENT, run(&self->nl, &q, NULL, NULL, NULL));
	EXPECT_STRNE("", self->nl.extack);
	free(got);
}

/* Malformed requests: each refused with an errno and an extack message. */
TEST_F(nl, malformed)
{
	uint32_t u32 = 1;
	uint64_t u64 = 1;
	uint16_t u16 = 1;
	struct req q;

	/* unknown attribute on a do */
	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_CHANNEL_GET, 0);
	put_attr(&q, KIPC_A_CHANNEL_ID, &u64, 8);
	put_attr(&q, KIPC_A_CHANNEL_MAX + 5, &u32, 4);
	EXPECT_EQ(-EINVAL, run(&self->nl, &q, NULL, NULL, NULL));
	EXPECT_STRNE("", self->nl.extack);

	/* an attribute of the dump's policy on the do */
	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_CHANNEL_GET, 0);
	put_attr(&q, KIPC_A_CHANNEL_ID, &u64, 8);
	put_attr(&q, KIPC_A_CHANNEL_UID, &u32, 4);
	EXPECT_EQ(-EINVAL, run(&self->nl, &q, NULL, NULL, NULL));
	EXPECT_STRNE("", self->nl.extack);

	/* wrong type: id as 16 bits */
	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_REGION_GET, 0);
	put_attr(&q, KIPC_A_REGION_ID, &u16, 2);
	EXPECT_EQ(-EINVAL, run(&self->nl, &q, NULL, NULL, NULL));
	EXPECT_STRNE("", self->nl.extack);

	/* missing id */
	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_CHANNEL_GET, 0);
	EXPECT_EQ(-EINVAL, run(&self->nl, &q, NULL, NULL, NULL));
	EXPECT_STRNE("", self->nl.extack);

	/* stats-get takes no attribute */
	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_STATS_GET, 0);
	put_attr(&q, 1, &u32, 4);
	EXPECT_EQ(-EINVAL, run(&self->nl, &q, NULL, NULL, NULL));
	EXPECT_STRNE("", self->nl.extack);

	/* unknown attribute on a dump */
	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_REGION_GET, NLM_F_DUMP);
	put_attr(&q, KIPC_A_REGION_MAX + 1, &u32, 4);
	EXPECT_EQ(-EINVAL, run(&self->nl, &q, NULL, NULL, NULL));

	/* a command without a do */
	init_req(&self->nl, &q, self->nl.family, KIPC_CMD_OBJECT_CREATED, 0);
	EXPECT_EQ(-EOPNOTSUPP, run(&self->nl, &q, NULL, NULL, NULL));
}

/*
 * Events arrive in order: created, peer closed (receivers gone: reason
 * pipe), peer closed (senders gone), destroyed.
 */
TEST_F(nl, events_in_order)
{
	static char buf[BUFSZ];
	int cmds[8], reasons[8], n = 0, len, s, r;
	struct nlmsghdr *h;
	uint64_t id;

	if (geteuid())
		SKIP(return, "events need CAP_SYS_ADMIN");
	ASSERT_NE(0, self->nl.events);
	ASSERT_EQ(0, setsockopt(self->nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&self->nl.events, sizeof(self->nl.events)));
	ASSERT_EQ(0, channel_create(self->ctx, &id, &s, &r));
	close(r);	/* peer closed: receivers gone */
	close(s);	/* destroyed */
	while (n < 4) {
		len = recv(self->nl.fd, buf, sizeof(buf), MSG_DONTWAIT);
		ASSERT_LT(0, len) TH_LOG("only %d events", n);
		for (h = (void *)buf; NLMSG_OK(h, len) && n < 8; h = NLMSG_NEXT(h, len)) {
			struct genlmsghdr *g = NLMSG_DATA(h);

			if (h->nlmsg_type != self->nl.family ||
			    (uint64_t)get_attr(h, KIPC_A_EVENT_ID) != id ||
			    get_attr(h, KIPC_A_EVENT_OBJ_TYPE) != KIPC_OBJ_TYPE_CHANNEL)
				continue;
			reasons[n] = get_attr(h, KIPC_A_EVENT_REASON);
			cmds[n++] = g->cmd;
		}
	}
	EXPECT_EQ(KIPC_CMD_OBJECT_CREATED, cmds[0]);
	EXPECT_EQ(KIPC_CMD_PEER_CLOSED, cmds[1]);
	EXPECT_EQ(KIPC_SEND_FAIL_REASON_PIPE, reasons[1]);
	EXPECT_EQ(KIPC_CMD_PEER_CLOSED, cmds[2]);
	EXPECT_EQ(-1, reasons[2]);
	EXPECT_EQ(KIPC_CMD_OBJECT_DESTROYED, cmds[3]);
}

/* An unprivileged user sees its own channels only, and cannot listen. */
TEST_F(nl, permissions)
{
	int s, r, status;
	uint64_t id;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to become another user");
	ASSERT_EQ(0, channel_create(self->ctx, &id, &s, &r));	/* root's */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct ids *got = calloc(1, sizeof(*got));
		int ctx, s2, r2, j, mine = 0;
		uint64_t id2;
		struct nl nl;
		struct req q;

		if (!got || setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(10);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		if (ctx < 0 || channel_create(ctx, &id2, &s2, &r2) || nl_open(&nl))
			_exit(11);
		init_req(&nl, &q, nl.family, KIPC_CMD_CHANNEL_GET, NLM_F_DUMP);
		if (run(&nl, &q, ids_cb, got, NULL))
			_exit(12);
		for (j = 0; j < got->n; j++) {
			if (got->id[j] == id)
				_exit(13);	/* root's channel visible */
			mine += got->id[j] == id2;
		}
		if (mine != 1)
			_exit(14);
		init_req(&nl, &q, nl.family, KIPC_CMD_CHANNEL_GET, 0);
		put_attr(&q, KIPC_A_CHANNEL_ID, &id, 8);
		if (run(&nl, &q, NULL, NULL, NULL) != -ENOENT)
			_exit(15);
		if (!setsockopt(nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&nl.events, sizeof(nl.events)))
			_exit(16);	/* joined the events group */
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child step %d failed",
						 WEXITSTATUS(status));
	close(s);
	close(r);
}

KIPC_TEST_MAIN
