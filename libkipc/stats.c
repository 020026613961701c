// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Statistics, listings and events of the kipc generic netlink family,
 * over libmnl: resolve the family, run a do or a dump, read events.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "kipc.h"
#include "sys.h"

/*
 * struct kipc_global_stats' send_failed[] has a fixed size (ABI); reasons
 * the module adds past it are ignored. A reason added to the netlink spec
 * fails this until it is given room in a new struct (and symbol version).
 */
#define SEND_FAIL_SLOTS	\
	(sizeof(((struct kipc_global_stats *)0)->send_failed) / sizeof(uint64_t))
_Static_assert(KIPC_SEND_FAIL_REASON_MAX < SEND_FAIL_SLOTS,
	       "a send-fail reason has no room in struct kipc_global_stats");

struct kipc_nl {
	struct mnl_socket *sock;	/* requests; events once subscribed */
	unsigned int portid;
	/*
	 * Requests once subscribed: events that overflow @sock (ENOBUFS)
	 * make the kernel drop what else it sends there, replies included,
	 * until it is drained.
	 */
	struct mnl_socket *req;
	unsigned int req_portid;
	char *ev_buf;		/* events once subscribed: an event callback's
				 * request reads its reply into @buf */
	bool subscribed;	/* kipc_events_subscribe() succeeded */
	unsigned int seq;
	uint16_t family;
	uint32_t events_group;	/* 0: the family has none */
	char errmsg[256];	/* extack message of the last error */
	char *buf;		/* MNL_SOCKET_BUFFER_SIZE bytes: replies */
	/*
	 * A request is built apart from @buf, which holds the reply a
	 * callback may be called from: a request made there is refused
	 * (@busy) before it could overwrite what is being parsed.
	 */
	char req_buf[256] __attribute__((aligned(8)));
	int busy;		/* a request runs: a callback's own is -EBUSY */
};

/* A request in progress: its data callback, and how far the reply got. */
struct kipc_nl_run {
	mnl_cb_t cb;		/* for each data message, libmnl style */
	void *arg;
	int stopped;		/* cb returned MNL_CB_STOP: skip the rest */
	int finished;		/* the ack or NLMSG_DONE arrived */
	struct kipc_nl *nl;
	uint32_t seq;		/* what data messages must carry: a */
	uint16_t type;		/* reply's, or a notification's (seq 0) */
};

static struct nlmsghdr *kipc__nl_msg(struct kipc_nl *nl, uint16_t type,
				     uint16_t flags, uint8_t cmd,
				     uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->req_buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* The ack: keep the extack message of an error, if the kernel sent one. */
static int kipc__nl_err_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct kipc_nl_run *run = data;
	const struct nlattr *a;
	size_t off = sizeof(*err);

	if (nlh->nlmsg_seq != run->seq)
		return MNL_CB_OK;	/* an earlier request's, cut short */
	run->finished = 1;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += mnl_nlmsg_get_payload_len(&err->msg);
	/* The echoed request's length is the sender's word: bound it. */
	if (off > mnl_nlmsg_get_payload_len(nlh)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each(a, nlh, off) {
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
			    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING)) {
				snprintf(run->nl->errmsg, sizeof(run->nl->errmsg),
					 "%s", mnl_attr_get_str(a));
			}
		}
	}
	if (err->error) {
		errno = -err->error;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

/* The end of a dump: an error the dump ended with, and its extack message. */
static int kipc__nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kipc_nl_run *run = data;
	const struct nlattr *a;
	int err;

	if (nlh->nlmsg_seq != run->seq)
		return MNL_CB_OK;	/* an earlier request's, cut short */
	run->finished = 1;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return MNL_CB_STOP;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		mnl_attr_for_each(a, nlh, sizeof(err)) {
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
			    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
				snprintf(run->nl->errmsg, sizeof(run->nl->errmsg),
					 "%s", mnl_attr_get_str(a));
		}
	}
	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int kipc__nl_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kipc_nl_run *run = data;
	int ret;

	if (!run->cb || run->stopped)
		return MNL_CB_OK;
	/*
	 * libmnl lets notifications (sequence 0) through a request's run: on
	 * a subscribed handle an event is not the reply; a reply is not an
	 * event. Either is dropped.
	 */
	if (nlh->nlmsg_seq != run->seq || nlh->nlmsg_type != run->type)
		return MNL_CB_OK;
	ret = run->cb(nlh, run->arg);
	if (ret == MNL_CB_STOP) {
		/* Read on to the end of the reply, to keep the socket in step. */
		run->stopped = 1;
		return MNL_CB_OK;
	}
	return ret;
}

/*
 * Send the request @nlh (at nl->req_buf) and read replies until its ack (a do)
 * or NLMSG_DONE (a dump), calling @cb for each data message. What is left
 * of an earlier request's reply (one that failed half-way) is read and
 * skipped: messages are told apart by their sequence numbers, so a
 * handle stays usable after any failure. A signal does not cut a reply
 * short: the read goes on.
 * Return: 0 or -errno; -EBUSY when called from a callback of a request
 * running on @nl (its reply would be read as this one's).
 */
static int kipc__nl_run(struct kipc_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
			void *arg)
{
	struct kipc_nl_run run = { .cb = cb, .arg = arg, .nl = nl,
				   .seq = nlh->nlmsg_seq,
				   .type = nlh->nlmsg_type };
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR]	= kipc__nl_err_cb,
		[NLMSG_DONE]	= kipc__nl_done_cb,
	};
	struct mnl_socket *sock = nl->req ? nl->req : nl->sock;
	unsigned int portid = nl->req ? nl->req_portid : nl->portid;
	ssize_t n;
	int ret = 0;

	if (nl->busy)
		return -EBUSY;
	nl->busy = 1;
	nl->errmsg[0] = '\0';
	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0)
		ret = -errno;
	while (!ret && !run.finished) {
		n = mnl_socket_recvfrom(sock, nl->buf, MNL_SOCKET_BUFFER_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = -errno;
		/* Sequence 0: the callbacks check it, and skip older ones. */
		else if (mnl_cb_run2(nl->buf, n, 0, portid, kipc__nl_data_cb,
				     &run, ctl, NLMSG_MIN_TYPE) < 0)
			ret = -errno;
	}
	nl->busy = 0;
	return ret;
}

/* What a CTRL_CMD_GETFAMILY tells of a family, and of its group @group. */
struct kipc_family_res {
	const char *group;	/* the multicast group looked for */
	uint16_t id;
	uint32_t group_id;	/* 0: the family has no such group */
};

static int kipc__grp_cb(const struct nlattr *a, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = { NULL };
	struct kipc_family_res *res = data;
	const struct nlattr *g;

	mnl_attr_for_each_nested(g, a) {
		int t = mnl_attr_get_type(g);

		if (t <= CTRL_ATTR_MCAST_GRP_MAX)
			tb[t] = g;
	}
	if (tb[CTRL_ATTR_MCAST_GRP_NAME] && tb[CTRL_ATTR_MCAST_GRP_ID] &&
	    !mnl_attr_validate(tb[CTRL_ATTR_MCAST_GRP_NAME],
			       MNL_TYPE_NUL_STRING) &&
	    !mnl_attr_validate(tb[CTRL_ATTR_MCAST_GRP_ID], MNL_TYPE_U32) &&
	    !strcmp(mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]),
		    res->group))
		res->group_id = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
	return MNL_CB_OK;
}

static int kipc__family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kipc_family_res *res = data;
	const struct nlattr *a, *g;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return MNL_CB_ERROR;
			res->id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a)
				kipc__grp_cb(g, res);
			break;
		}
	}
	return MNL_CB_OK;
}

/* A generic netlink socket bound to a port of its own, with extended acks. */
static struct mnl_socket *kipc__nl_socket(unsigned int *portid)
{
	struct mnl_socket *sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	int one = 1, err;

	if (!sock)
		return NULL;
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		mnl_socket_close(sock);
		errno = err;
		return NULL;
	}
	/* Extended acks: the kernel's message for a refused request. */
	mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof(one));
	*portid = mnl_socket_get_portid(sock);
	return sock;
}

/*
 * Family @name's id and the id of its multicast group res->group, through
 * @nl's socket: 0, or -errno (-ENOENT: no such family, -EPROTO: no id).
 */
static int kipc__family_resolve(struct kipc_nl *nl, const char *name,
				struct kipc_family_res *res)
{
	struct nlmsghdr *nlh;
	int ret;

	nlh = kipc__nl_msg(nl, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	ret = kipc__nl_run(nl, nlh, kipc__family_cb, res);
	if (ret < 0)
		return ret;
	return res->id ? 0 : -EPROTO;
}

KIPC_API int kipc_nl_open(struct kipc_nl **nlp, unsigned int flags)
{
	struct kipc_family_res res = { .group = KIPC_MCGRP_EVENTS };
	struct kipc_nl *nl;
	int ret;

	if (!nlp || flags)
		return -EINVAL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!nl->buf) {
		ret = -ENOMEM;
		goto out_free_nl;
	}
	nl->sock = kipc__nl_socket(&nl->portid);
	if (!nl->sock) {
		ret = -errno;
		goto out_free_buf;
	}
	nl->seq = time(NULL);

	ret = kipc__family_resolve(nl, KIPC_GENL_NAME, &res);
	if (ret < 0)
		goto out_close;	/* -ENOENT: the module is not loaded */
	nl->family = res.id;
	nl->events_group = res.group_id;
	*nlp = nl;
	return 0;

out_close:
	mnl_socket_close(nl->sock);
out_free_buf:
	free(nl->buf);
out_free_nl:
	free(nl);
	return ret;
}

KIPC_API int kipc_nl_close(struct kipc_nl *nl)
{
	if (!nl)
		return -EINVAL;
	if (nl->req)
		mnl_socket_close(nl->req);
	mnl_socket_close(nl->sock);
	free(nl->ev_buf);
	free(nl->buf);
	free(nl);
	return 0;
}

KIPC_API int kipc_nl_fd(const struct kipc_nl *nl)
{
	return nl ? mnl_socket_get_fd(nl->sock) : -EINVAL;
}

KIPC_API const char *kipc_nl_errmsg(const struct kipc_nl *nl)
{
	return nl && nl->errmsg[0] ? nl->errmsg : NULL;
}

/* Global counters. */

static int kipc__stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kipc_global_stats *st = data;
	const struct nlattr *a, *f;
	uint64_t *field[KIPC_A_STATS_MAX + 1] = {
		[KIPC_A_STATS_REGIONS_CREATED]	= &st->regions_created,
		[KIPC_A_STATS_REGIONS_DESTROYED] = &st->regions_destroyed,
		[KIPC_A_STATS_CHANNELS_CREATED]	= &st->channels_created,
		[KIPC_A_STATS_CHANNELS_DESTROYED] = &st->channels_destroyed,
		[KIPC_A_STATS_MSGS_SENT]	= &st->msgs_sent,
		[KIPC_A_STATS_MSGS_RECEIVED]	= &st->msgs_received,
		[KIPC_A_STATS_BYTES_SENT]	= &st->bytes_sent,
		[KIPC_A_STATS_BYTES_RECEIVED]	= &st->bytes_received,
		[KIPC_A_STATS_BUFS_SENT]	= &st->bufs_sent,
		[KIPC_A_STATS_BUFS_RECEIVED]	= &st->bufs_received,
		[KIPC_A_STATS_SEND_WAITS]	= &st->send_waits,
		[KIPC_A_STATS_RECV_WAITS]	= &st->recv_waits,
		[KIPC_A_STATS_BUF_ALLOC_WAITS]	= &st->buf_alloc_waits,
		[KIPC_A_STATS_EVENTS_DROPPED]	= &st->events_dropped,
		[KIPC_A_STATS_WORD_WAITS]	= &st->word_waits,
		[KIPC_A_STATS_WORD_WAKES]	= &st->word_wakes,
		[KIPC_A_STATS_LENDQS_CREATED]	= &st->lendqs_created,
		[KIPC_A_STATS_LENDQS_DESTROYED]	= &st->lendqs_destroyed,
		[KIPC_A_STATS_NAMES_CREATED]	= &st->names_created,
		[KIPC_A_STATS_NAMES_DESTROYED]	= &st->names_destroyed,
		[KIPC_A_STATS_SERVICES_CREATED]	= &st->services_created,
		[KIPC_A_STATS_SERVICES_DESTROYED] = &st->services_destroyed,
		[KIPC_A_STATS_CONNECTIONS]	= &st->connections,
		[KIPC_A_STATS_RECV_POLLS]	= &st->recv_polls,
	};

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		unsigned int t = mnl_attr_get_type(a);

		if (t == KIPC_A_STATS_SEND_FAILED) {
			mnl_attr_for_each_nested(f, a) {
				unsigned int r = mnl_attr_get_type(f);

				/* A newer module's reasons: not reported. */
				if (r >= 1 && r < SEND_FAIL_SLOTS &&
				    mnl_attr_get_payload_len(f) == 8)
					st->send_failed[r] = mnl_attr_get_u64(f);
			}
		} else if (t <= KIPC_A_STATS_MAX && field[t] &&
			   mnl_attr_get_payload_len(a) == 8) {
			*field[t] = mnl_attr_get_u64(a);
		}
	}
	return MNL_CB_OK;
}

/*
 * Fill the first @size bytes of @st. Programs built against libkipc 0.3 to
 * 0.9 call kipc_stats_get@LIBKIPC_0.3, whose struct ended at send_failed[]:
 * they get those bytes only.
 */
static int kipc__stats_get(struct kipc_nl *nl, struct kipc_global_stats *st,
			   size_t size)
{
	struct kipc_global_stats all = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	if (!nl || !st)
		return -EINVAL;
	nlh = kipc__nl_msg(nl, nl->family, 0, KIPC_CMD_STATS_GET,
			   KIPC_GENL_VERSION);
	ret = kipc__nl_run(nl, nlh, kipc__stats_cb, &all);
	memcpy(st, &all, size);
	return ret;
}

#ifdef KIPC_STATIC
/* libkipc.a: the current version alone, no symbol version (Makefile). */
KIPC_API int kipc_stats_get(struct kipc_nl *nl, struct kipc_global_stats *st)
{
	return kipc__stats_get(nl, st, sizeof(*st));
}
#else
#define STATS_SIZE_0_3	offsetof(struct kipc_global_stats, lendqs_created)
_Static_assert(STATS_SIZE_0_3 == 216,
	       "struct kipc_global_stats of LIBKIPC_0.3 changed");

KIPC_API int kipc__stats_get_0_3(struct kipc_nl *nl,
				 struct kipc_global_stats *st);
__attribute__((symver("kipc_stats_get@LIBKIPC_0.3")))
KIPC_API int kipc__stats_get_0_3(struct kipc_nl *nl,
				 struct kipc_global_stats *st)
{
	return kipc__stats_get(nl, st, STATS_SIZE_0_3);
}

KIPC_API int kipc__stats_get_0_10(struct kipc_nl *nl,
				  struct kipc_global_stats *st);
__attribute__((symver("kipc_stats_get@@LIBKIPC_0.10")))
KIPC_API int kipc__stats_get_0_10(struct kipc_nl *nl,
				  struct kipc_global_stats *st)
{
	return kipc__stats_get(nl, st, sizeof(*st));
}
#endif

/* Channels and regions. */

static uint64_t kipc__u64(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) == 8 ? mnl_attr_get_u64(a) : 0;
}

static uint32_t kipc__u32(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) == 4 ? mnl_attr_get_u32(a) : 0;
}

static void kipc__parse_channel(const struct nlmsghdr *nlh,
				struct kipc_channel_stats *st)
{
	const struct nlattr *a;

	memset(st, 0, sizeof(*st));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case KIPC_A_CHANNEL_ID:
			st->id = kipc__u64(a);
			break;
		case KIPC_A_CHANNEL_UID:
			st->uid = kipc__u32(a);
			break;
		case KIPC_A_CHANNEL_PID:
			st->pid = kipc__u32(a);
			break;
		case KIPC_A_CHANNEL_DEPTH:
			st->depth = kipc__u32(a);
			break;
		case KIPC_A_CHANNEL_QUEUED:
			st->queued = kipc__u32(a);
			break;
		case KIPC_A_CHANNEL_MAX_INLINE:
			st->max_inline = kipc__u32(a);
			break;
		case KIPC_A_CHANNEL_SENDERS:
			st->senders = kipc__u32(a);
			break;
		case KIPC_A_CHANNEL_RECEIVERS:
			st->receivers = kipc__u32(a);
			break;
		case KIPC_A_CHANNEL_REGION_ID:
			st->region_id = kipc__u64(a);
			break;
		case KIPC_A_CHANNEL_MSGS_SENT:
			st->msgs_sent = kipc__u64(a);
			break;
		case KIPC_A_CHANNEL_MSGS_RECEIVED:
			st->msgs_received = kipc__u64(a);
			break;
		}
	}
}

static void kipc__parse_region(const struct nlmsghdr *nlh,
			       struct kipc_region_stats *st)
{
	const struct nlattr *a;

	memset(st, 0, sizeof(*st));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case KIPC_A_REGION_ID:
			st->id = kipc__u64(a);
			break;
		case KIPC_A_REGION_UID:
			st->uid = kipc__u32(a);
			break;
		case KIPC_A_REGION_PID:
			st->pid = kipc__u32(a);
			break;
		case KIPC_A_REGION_BYTES:
			st->bytes = kipc__u64(a);
			break;
		case KIPC_A_REGION_BUF_SIZE:
			st->buf_size = kipc__u64(a);
			break;
		case KIPC_A_REGION_NR_BUFS:
			st->nr_bufs = kipc__u32(a);
			break;
		case KIPC_A_REGION_NR_FREE:
			st->nr_free = kipc__u32(a);
			break;
		case KIPC_A_REGION_NR_IN_FLIGHT:
			st->nr_in_flight = kipc__u32(a);
			break;
		case KIPC_A_REGION_WORD_WAITS:
			st->word_waits = kipc__u64(a);
			break;
		case KIPC_A_REGION_WORD_WAKES:
			st->word_wakes = kipc__u64(a);
			break;
		case KIPC_A_REGION_WORD_WAIT_NS:
			st->word_wait_ns = kipc__u64(a);
			break;
		}
	}
}

static void kipc__parse_user(const struct nlmsghdr *nlh,
			     struct kipc_user_stats *st)
{
	uint64_t *field[KIPC_A_USER_MAX + 1] = {
		[KIPC_A_USER_REGIONS]		= &st->regions,
		[KIPC_A_USER_REGIONS_LIMIT]	= &st->regions_limit,
		[KIPC_A_USER_CHANNELS]		= &st->channels,
		[KIPC_A_USER_CHANNELS_LIMIT]	= &st->channels_limit,
		[KIPC_A_USER_LENDQS]		= &st->lendqs,
		[KIPC_A_USER_LENDQS_LIMIT]	= &st->lendqs_limit,
		[KIPC_A_USER_NAMES]		= &st->names,
		[KIPC_A_USER_NAMES_LIMIT]	= &st->names_limit,
		[KIPC_A_USER_INFLIGHT_BYTES]	= &st->inflight_bytes,
		[KIPC_A_USER_INFLIGHT_BYTES_LIMIT] = &st->inflight_bytes_limit,
		[KIPC_A_USER_POOL_BYTES]	= &st->pool_bytes,
		[KIPC_A_USER_POOL_BYTES_LIMIT]	= &st->pool_bytes_limit,
		[KIPC_A_USER_PINNED_PAGES]	= &st->pinned_pages,
		[KIPC_A_USER_SERVICES]		= &st->services,
		[KIPC_A_USER_SERVICES_LIMIT]	= &st->services_limit,
		[KIPC_A_USER_REGION_BYTES]	= &st->region_bytes,
		[KIPC_A_USER_REGION_BYTES_LIMIT] = &st->region_bytes_limit,
	};
	const struct nlattr *a;

	memset(st, 0, sizeof(*st));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		unsigned int t = mnl_attr_get_type(a);

		if (t == KIPC_A_USER_UID)
			st->uid = kipc__u32(a);
		else if (t <= KIPC_A_USER_MAX && field[t])
			*field[t] = kipc__u64(a);
	}
}

struct kipc__dump {
	kipc_channel_cb chan_cb;
	kipc_region_cb region_cb;
	kipc_user_cb user_cb;
	kipc_event_cb event_cb;
	void *arg;
	int count;
	int stop;		/* the positive value a user callback stopped with */
};

/* A user callback's 0 goes on; a positive value stops the walk. */
static int kipc__user_ret(struct kipc__dump *d, int ret)
{
	if (!ret)
		return MNL_CB_OK;
	d->stop = ret;
	return MNL_CB_STOP;
}

static int kipc__channel_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kipc__dump *d = data;
	struct kipc_channel_stats st;

	kipc__parse_channel(nlh, &st);
	return kipc__user_ret(d, d->chan_cb(&st, d->arg));
}

static int kipc__region_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kipc__dump *d = data;
	struct kipc_region_stats st;

	kipc__parse_region(nlh, &st);
	return kipc__user_ret(d, d->region_cb(&st, d->arg));
}

static int kipc__user_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kipc__dump *d = data;
	struct kipc_user_stats st;

	kipc__parse_user(nlh, &st);
	return kipc__user_ret(d, d->user_cb(&st, d->arg));
}

static int kipc__copy_channel(const struct kipc_channel_stats *st, void *arg)
{
	*(struct kipc_channel_stats *)arg = *st;
	return 0;
}

static int kipc__copy_region(const struct kipc_region_stats *st, void *arg)
{
	*(struct kipc_region_stats *)arg = *st;
	return 0;
}

static int kipc__copy_user(const struct kipc_user_stats *st, void *arg)
{
	*(struct kipc_user_stats *)arg = *st;
	return 0;
}

static int kipc__filter(struct nlmsghdr *nlh, const struct kipc_filter *f,
			int uid_attr, int pid_attr)
{
	if (!f)
		return 0;
	if (f->flags & ~(KIPC_FILTER_UID | KIPC_FILTER_PID))
		return -EINVAL;
	if (f->flags & KIPC_FILTER_UID)
		mnl_attr_put_u32(nlh, uid_attr, f->uid);
	if (f->flags & KIPC_FILTER_PID)
		mnl_attr_put_u32(nlh, pid_attr, f->pid);
	return 0;
}

KIPC_API int kipc_channel_stats_get(struct kipc_nl *nl, uint64_t id,
				    struct kipc_channel_stats *st)
{
	struct kipc__dump d = { .chan_cb = kipc__copy_channel, .arg = st };
	struct nlmsghdr *nlh;

	int ret;

	if (!nl || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	nlh = kipc__nl_msg(nl, nl->family, 0, KIPC_CMD_CHANNEL_GET,
			   KIPC_GENL_VERSION);
	mnl_attr_put_u64(nlh, KIPC_A_CHANNEL_ID, id);
	ret = kipc__nl_run(nl, nlh, kipc__channel_cb, &d);
	/* An ack without the object (ids start at 1): nothing to show. */
	return !ret && !st->id ? -EPROTO : ret;
}

KIPC_API int kipc_channel_stats_dump(struct kipc_nl *nl,
				     const struct kipc_filter *filter,
				     kipc_channel_cb cb, void *arg)
{
	struct kipc__dump d = { .chan_cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	int ret;

	if (!nl || !cb)
		return -EINVAL;
	nlh = kipc__nl_msg(nl, nl->family, NLM_F_DUMP, KIPC_CMD_CHANNEL_GET,
			   KIPC_GENL_VERSION);
	ret = kipc__filter(nlh, filter, KIPC_A_CHANNEL_UID, KIPC_A_CHANNEL_PID);
	if (ret)
		return ret;
	ret = kipc__nl_run(nl, nlh, kipc__channel_cb, &d);
	return ret ? ret : d.stop;
}

KIPC_API int kipc_region_stats_get(struct kipc_nl *nl, uint64_t id,
				   struct kipc_region_stats *st)
{
	struct kipc__dump d = { .region_cb = kipc__copy_region, .arg = st };
	struct nlmsghdr *nlh;

	int ret;

	if (!nl || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	nlh = kipc__nl_msg(nl, nl->family, 0, KIPC_CMD_REGION_GET,
			   KIPC_GENL_VERSION);
	mnl_attr_put_u64(nlh, KIPC_A_REGION_ID, id);
	ret = kipc__nl_run(nl, nlh, kipc__region_cb, &d);
	/* An ack without the object (ids start at 1): nothing to show. */
	return !ret && !st->id ? -EPROTO : ret;
}

KIPC_API int kipc_region_stats_dump(struct kipc_nl *nl,
				    const struct kipc_filter *filter,
				    kipc_region_cb cb, void *arg)
{
	struct kipc__dump d = { .region_cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	int ret;

	if (!nl || !cb)
		return -EINVAL;
	nlh = kipc__nl_msg(nl, nl->family, NLM_F_DUMP, KIPC_CMD_REGION_GET,
			   KIPC_GENL_VERSION);
	ret = kipc__filter(nlh, filter, KIPC_A_REGION_UID, KIPC_A_REGION_PID);
	if (ret)
		return ret;
	ret = kipc__nl_run(nl, nlh, kipc__region_cb, &d);
	return ret ? ret : d.stop;
}

/* Per-user usage and caps. */

KIPC_API int kipc_user_stats_get(struct kipc_nl *nl, uint32_t uid,
				 struct kipc_user_stats *st)
{
	struct kipc__dump d = { .user_cb = kipc__copy_user, .arg = st };
	struct nlmsghdr *nlh;

	if (!nl || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	nlh = kipc__nl_msg(nl, nl->family, 0, KIPC_CMD_USER_GET,
			   KIPC_GENL_VERSION);
	mnl_attr_put_u32(nlh, KIPC_A_USER_UID, uid);
	return kipc__nl_run(nl, nlh, kipc__user_cb, &d);
}

KIPC_API int kipc_user_stats_dump(struct kipc_nl *nl, kipc_user_cb cb,
				  void *arg)
{
	struct kipc__dump d = { .user_cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	int ret;

	if (!nl || !cb)
		return -EINVAL;
	nlh = kipc__nl_msg(nl, nl->family, NLM_F_DUMP, KIPC_CMD_USER_GET,
			   KIPC_GENL_VERSION);
	ret = kipc__nl_run(nl, nlh, kipc__user_cb, &d);
	return ret ? ret : d.stop;
}

/* Events. */

/* Is @nl's family gone, or another in its place, as the kernel says now? */
static bool kipc__family_changed(struct kipc_nl *nl)
{
	struct kipc_family_res res = { .group = KIPC_MCGRP_EVENTS };
	int ret = kipc__family_resolve(nl, KIPC_GENL_NAME, &res);

	return ret == -ENOENT || (!ret && res.id != nl->family);
}

KIPC_API int kipc_events_subscribe(struct kipc_nl *nl)
{
	struct kipc_family_res ctrl = { .group = "notify" };
	int ret;

	if (!nl)
		return -EINVAL;
	if (!nl->events_group)
		return -EOPNOTSUPP;
	if (!nl->ev_buf) {
		nl->ev_buf = malloc(MNL_SOCKET_BUFFER_SIZE);
		if (!nl->ev_buf)
			return -ENOMEM;
	}
	if (!nl->req) {
		nl->req = kipc__nl_socket(&nl->req_portid);
		if (!nl->req)
			return -errno;
	}
	/*
	 * The controller's notifications too: when the module goes, the
	 * kernel drops the socket from the events group without a word,
	 * and only CTRL_CMD_DELFAMILY tells (kipc_events_read(): -ENOENT).
	 */
	ret = kipc__family_resolve(nl, "nlctrl", &ctrl);
	if (ret < 0)
		return ret;
	if (!ctrl.group_id)
		return -EOPNOTSUPP;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP,
				  &ctrl.group_id, sizeof(ctrl.group_id)) < 0 ||
	    mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP,
				  &nl->events_group,
				  sizeof(nl->events_group)) < 0)
		return -errno;
	/* Gone before the controller was heard: nothing would tell. */
	if (kipc__family_changed(nl))
		return -ENOENT;
	nl->subscribed = true;
	return 0;
}

/* Is @nlh the controller's word that @nl's family is gone? */
static bool kipc__family_gone(const struct kipc_nl *nl,
			      const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g) ||
	    g->cmd != CTRL_CMD_DELFAMILY)
		return false;
	mnl_attr_for_each(a, nlh, sizeof(*g))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    !mnl_attr_validate(a, MNL_TYPE_U16))
			return mnl_attr_get_u16(a) == nl->family;
	return false;
}

static int kipc__event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct kipc__dump *d = data;
	struct kipc_event ev = { 0 };
	const struct nlattr *a;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return MNL_CB_OK;	/* no header: not one of ours */
	ev.cmd = g->cmd;

	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		switch (mnl_attr_get_type(a)) {
		case KIPC_A_EVENT_OBJ_TYPE:
			ev.obj_type = kipc__u32(a);
			break;
		case KIPC_A_EVENT_ID:
			ev.id = kipc__u64(a);
			break;
		case KIPC_A_EVENT_UID:
			ev.uid = kipc__u32(a);
			break;
		case KIPC_A_EVENT_PID:
			ev.pid = kipc__u32(a);
			break;
		case KIPC_A_EVENT_REASON:
			ev.reason = kipc__u32(a);
			break;
		case KIPC_A_EVENT_ERRNO:
			ev.err = kipc__u32(a);
			break;
		}
	}
	d->count++;
	return d->event_cb(&ev, d->arg) ? MNL_CB_STOP : MNL_CB_OK;
}

KIPC_API int kipc_events_read(struct kipc_nl *nl, kipc_event_cb cb, void *arg)
{
	struct kipc__dump d = { .event_cb = cb, .arg = arg };
	struct kipc_nl_run run = { .cb = kipc__event_cb, .arg = &d, .nl = nl };
	const struct nlmsghdr *nlh;
	bool gone = false;
	int ret, left;
	char *buf;
	ssize_t n;

	/* Never subscribed: no events come, and nl->buf is the requests'. */
	if (!nl || !cb || !nl->subscribed)
		return -EINVAL;
	run.type = nl->family;
	buf = nl->ev_buf;
	n = mnl_socket_recvfrom(nl->sock, buf, MNL_SOCKET_BUFFER_SIZE);
	if (n < 0) {
		ret = -errno;
		/* An overrun may have dropped the controller's word too. */
		if (ret == -ENOBUFS && kipc__family_changed(nl))
			return -ENOENT;
		return ret;
	}
	/* Notifications carry sequence 0 and port 0: match any. */
	ret = mnl_cb_run(buf, n, 0, 0, kipc__nl_data_cb, &run);
	if (ret < 0)
		return -errno;
	/* The events before it were delivered; none comes after it. */
	left = n;
	for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left))
		gone = gone || kipc__family_gone(nl, nlh);
	return gone ? -ENOENT : d.count;
}
