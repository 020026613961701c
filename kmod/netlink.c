// SPDX-License-Identifier: GPL-2.0
/*
 * kipc generic netlink family "kipc": global counters, listings of regions
 * and channels, per-user usage and caps, and the events multicast group.
 *
 * The commands, attributes, policies and the split ops table are generated
 * from Documentation/netlink/specs/kipc.yaml by tools/ynl-regen into
 * netlink-gen.[ch]; netlink-gen.c is compiled as part of this file because
 * its multicast group table is static. This file holds the handlers.
 *
 * Visibility: a caller with CAP_SYS_ADMIN (netlink_capable(): both the
 * socket's opener and the caller) sees every object and the host-wide
 * counters; any other caller sees only the objects charged to its user
 * (its effective uid, or in a user namespace the user kipc_user_key()
 * names), and only that user's usage record. An object or record the
 * caller may not see is reported as absent (ENOENT), never as forbidden,
 * so that ids do not leak. The events group carries every user's events,
 * so subscribing to it needs CAP_SYS_ADMIN (6.1 cannot filter a multicast
 * per listener).
 *
 * Dumps walk objects in increasing id order through kipc_obj_next(), and a
 * get looks its one id up with kipc_obj_find(); both judge visibility from
 * the object's owner, creator and (for names) IPC namespace before
 * anything else of it is read, and hand back a reference;
 * each type's fill function then copies its state under the object's lock.
 * Users are walked in increasing uid order by kipc_user_next_stat(). No
 * lock is held across messages, and the cursor (the next id to visit, in
 * cb->ctx) stays valid whatever is created or destroyed between two
 * messages of the dump.
 */
#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/uidgid.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <linux/kipc.h>

#include "kipc.h"
#include "netlink-gen.c"

static struct genl_multicast_group kipc_nl_groups[ARRAY_SIZE(kipc_nl_mcgrps)];

static struct genl_family kipc_nl_family = {
	.name		= KIPC_GENL_NAME,
	.version	= KIPC_GENL_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.mcgrps		= kipc_nl_groups,
	.n_mcgrps	= ARRAY_SIZE(kipc_nl_groups),
};

/* The counters of stats-get, in attribute order. */
static const u16 kipc_nl_stat_attrs[KIPC_STAT_SEND_FAILED] = {
	[KIPC_STAT_REGIONS_CREATED]	= KIPC_A_STATS_REGIONS_CREATED,
	[KIPC_STAT_REGIONS_DESTROYED]	= KIPC_A_STATS_REGIONS_DESTROYED,
	[KIPC_STAT_CHANNELS_CREATED]	= KIPC_A_STATS_CHANNELS_CREATED,
	[KIPC_STAT_CHANNELS_DESTROYED]	= KIPC_A_STATS_CHANNELS_DESTROYED,
	[KIPC_STAT_MSGS_SENT]		= KIPC_A_STATS_MSGS_SENT,
	[KIPC_STAT_MSGS_RECEIVED]	= KIPC_A_STATS_MSGS_RECEIVED,
	[KIPC_STAT_BYTES_SENT]		= KIPC_A_STATS_BYTES_SENT,
	[KIPC_STAT_BYTES_RECEIVED]	= KIPC_A_STATS_BYTES_RECEIVED,
	[KIPC_STAT_BUFS_SENT]		= KIPC_A_STATS_BUFS_SENT,
	[KIPC_STAT_BUFS_RECEIVED]	= KIPC_A_STATS_BUFS_RECEIVED,
	[KIPC_STAT_SEND_WAITS]		= KIPC_A_STATS_SEND_WAITS,
	[KIPC_STAT_RECV_WAITS]		= KIPC_A_STATS_RECV_WAITS,
	[KIPC_STAT_BUF_ALLOC_WAITS]	= KIPC_A_STATS_BUF_ALLOC_WAITS,
	[KIPC_STAT_EVENTS_DROPPED]	= KIPC_A_STATS_EVENTS_DROPPED,
	[KIPC_STAT_WORD_WAITS]		= KIPC_A_STATS_WORD_WAITS,
	[KIPC_STAT_WORD_WAKES]		= KIPC_A_STATS_WORD_WAKES,
	[KIPC_STAT_LENDQS_CREATED]	= KIPC_A_STATS_LENDQS_CREATED,
	[KIPC_STAT_LENDQS_DESTROYED]	= KIPC_A_STATS_LENDQS_DESTROYED,
	[KIPC_STAT_NAMES_CREATED]	= KIPC_A_STATS_NAMES_CREATED,
	[KIPC_STAT_NAMES_DESTROYED]	= KIPC_A_STATS_NAMES_DESTROYED,
	[KIPC_STAT_SERVICES_CREATED]	= KIPC_A_STATS_SERVICES_CREATED,
	[KIPC_STAT_SERVICES_DESTROYED]	= KIPC_A_STATS_SERVICES_DESTROYED,
	[KIPC_STAT_CONNECTIONS]		= KIPC_A_STATS_CONNECTIONS,
	[KIPC_STAT_RECV_POLLS]		= KIPC_A_STATS_RECV_POLLS,
};

static int kipc_nl_put_u64(struct sk_buff *skb, int attr, u64 val, int pad)
{
	return nla_put_u64_64bit(skb, attr, val, pad);
}

static int kipc_nl_fill_stats(struct sk_buff *skb)
{
	struct kipc_stats sum;
	struct nlattr *nest;
	unsigned int i;

	kipc_stats_read(&sum);
	for (i = 0; i < ARRAY_SIZE(kipc_nl_stat_attrs); i++)
		if (kipc_nl_put_u64(skb, kipc_nl_stat_attrs[i], sum.count[i],
				    KIPC_A_STATS_PAD))
			return -EMSGSIZE;
	nest = nla_nest_start(skb, KIPC_A_STATS_SEND_FAILED);
	if (!nest)
		return -EMSGSIZE;
	/* Attribute types of send-failures are the reasons. */
	for (i = KIPC_SEND_FAIL_REASON_AGAIN; i <= KIPC_SEND_FAIL_REASON_MAX; i++)
		if (kipc_nl_put_u64(skb, i, sum.count[KIPC_STAT_SEND_FAILED + i - 1],
				    KIPC_A_SEND_FAILURES_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Commands without a request attribute reject any (a policy would not). */
static int kipc_nl_no_attrs(struct genl_info *info)
{
	if (!nlmsg_attrlen(info->nlhdr, GENL_HDRLEN))
		return 0;
	NL_SET_ERR_MSG(info->extack, "this command takes no attributes");
	return -EINVAL;
}

/**
 * kipc_nl_stats_get_doit() - KIPC_CMD_STATS_GET: the global counters
 * @skb: the request
 * @info: its parsed header
 *
 * Context: process context.
 * Return: 0, -EINVAL (an attribute was given), -EPERM (no CAP_SYS_ADMIN),
 * -ENOMEM or -EMSGSIZE.
 */
int kipc_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	ret = kipc_nl_no_attrs(info);
	if (ret)
		return ret;
	/* Host-wide counters describe every user's traffic. */
	if (!netlink_capable(skb, CAP_SYS_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "host-wide counters need CAP_SYS_ADMIN");
		return -EPERM;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kipc_nl_family, 0,
				KIPC_CMD_STATS_GET);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto out_free_msg;
	}
	ret = kipc_nl_fill_stats(msg);
	if (ret)
		goto out_free_msg;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
	return ret;
}

/**
 * struct kipc_nl_viewer - who asks, and which objects they asked for
 * @admin: CAP_SYS_ADMIN: every object is visible
 * @euid: otherwise only objects charged to this user (kipc_user_key() of
 *	the requester) are
 * @ipc_ns: the requester's IPC namespace: only its names are listed
 * @pid_ns: the requester's pid namespace: the pids of the filter and of
 *	the answers are of it
 * @uid: filter on the creator's uid, when @has_uid
 * @pid: filter on the creator's pid (in @pid_ns), when @has_pid
 * @has_uid: @uid is set
 * @has_pid: @pid is set
 *
 * A dump holds a reference on both namespaces from its start to its done:
 * its later steps run in whichever task reads the socket.
 */
struct kipc_nl_viewer {
	struct ipc_namespace *ipc_ns;
	struct pid_namespace *pid_ns;
	kuid_t euid;
	kuid_t uid;
	pid_t pid;
	bool admin;
	bool has_uid;
	bool has_pid;
};

static void kipc_nl_viewer_init(struct kipc_nl_viewer *v, struct sk_buff *skb)
{
	memset(v, 0, sizeof(*v));
	v->admin = netlink_capable(skb, CAP_SYS_ADMIN);
	v->euid = kipc_user_key(current_cred());
	v->ipc_ns = current->nsproxy->ipc_ns;
	v->pid_ns = task_active_pid_ns(current);
}

/* @pid as the viewer's pid namespace numbers it (0: not in it). */
static pid_t kipc_nl_pid(const struct kipc_nl_viewer *v, struct pid *pid)
{
	return pid_nr_ns(pid, v->pid_ns);
}

/* Parse the uid and pid filters of a dump request. */
static int kipc_nl_viewer_filter(struct kipc_nl_viewer *v, struct sk_buff *skb,
				 struct nlattr *uid, struct nlattr *pid,
				 struct netlink_ext_ack *extack)
{
	struct user_namespace *ns = sk_user_ns(NETLINK_CB(skb).sk);

	if (uid) {
		v->uid = make_kuid(ns, nla_get_u32(uid));
		if (!uid_valid(v->uid)) {
			NL_SET_ERR_MSG_ATTR(extack, uid, "uid not mapped");
			return -EINVAL;
		}
		v->has_uid = true;
	}
	if (pid) {
		v->pid = nla_get_u32(pid);
		v->has_pid = true;
	}
	return 0;
}

/* Whether a user record or an object's owner and creator pass the viewer. */
static bool kipc_nl_visible(const struct kipc_nl_viewer *v, kuid_t owner,
			    struct pid *pid)
{
	if (!v->admin && !uid_eq(owner, v->euid))
		return false;
	if (v->has_uid && !uid_eq(owner, v->uid))
		return false;
	return !v->has_pid || (pid && kipc_nl_pid(v, pid) == v->pid);
}

/*
 * For kipc_obj_next() and kipc_obj_find(): @arg is the viewer.
 * Context: RCU read side.
 */
static bool kipc_nl_obj_visible(const struct kipc_obj *obj, void *arg)
{
	const struct kipc_nl_viewer *v = arg;

	if (obj->ops->type == KIPC_OBJ_TYPE_NAME &&
	    !kipc_name_in_ns(obj, v->ipc_ns))
		return false;
	return kipc_nl_visible(v, obj->user->uid, obj->pid);
}

/**
 * struct kipc_nl_dump_ctx - state of a dump, in cb->ctx
 * @next_id: the cursor: the smallest id (or uid) not yet dumped
 * @viewer: the requester and its filters, set by kipc_nl_dump_start()
 */
struct kipc_nl_dump_ctx {
	u64 next_id;
	struct kipc_nl_viewer viewer;
};

static struct kipc_nl_dump_ctx *kipc_nl_dump_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct kipc_nl_dump_ctx) > sizeof(cb->ctx));
	return (struct kipc_nl_dump_ctx *)cb->ctx;
}

/* The uid an object's creator has in the requesting socket's namespace. */
static u32 kipc_nl_uid(struct sk_buff *req, kuid_t uid)
{
	return from_kuid_munged(sk_user_ns(NETLINK_CB(req).sk), uid);
}

static int kipc_nl_fill_region(struct sk_buff *skb, struct sk_buff *req,
			       struct kipc_obj *obj)
{
	struct kipc_nl_region_stat st;

	kipc_region_nl_stat(obj, &st);
	if (kipc_nl_put_u64(skb, KIPC_A_REGION_BYTES, st.bytes,
			    KIPC_A_REGION_PAD) ||
	    kipc_nl_put_u64(skb, KIPC_A_REGION_BUF_SIZE, st.buf_size,
			    KIPC_A_REGION_PAD) ||
	    nla_put_u32(skb, KIPC_A_REGION_NR_BUFS, st.nr_bufs) ||
	    nla_put_u32(skb, KIPC_A_REGION_NR_FREE, st.nr_free) ||
	    nla_put_u32(skb, KIPC_A_REGION_NR_IN_FLIGHT, st.nr_in_flight) ||
	    kipc_nl_put_u64(skb, KIPC_A_REGION_WORD_WAITS, st.word_waits,
			    KIPC_A_REGION_PAD) ||
	    kipc_nl_put_u64(skb, KIPC_A_REGION_WORD_WAKES, st.word_wakes,
			    KIPC_A_REGION_PAD) ||
	    kipc_nl_put_u64(skb, KIPC_A_REGION_WORD_WAIT_NS, st.word_wait_ns,
			    KIPC_A_REGION_PAD))
		return -EMSGSIZE;
	return 0;
}

static int kipc_nl_fill_channel(struct sk_buff *skb, struct sk_buff *req,
				struct kipc_obj *obj)
{
	struct kipc_nl_chan_stat st;

	kipc_channel_nl_stat(obj, &st);
	if (nla_put_u32(skb, KIPC_A_CHANNEL_DEPTH, st.depth) ||
	    nla_put_u32(skb, KIPC_A_CHANNEL_QUEUED, st.queued) ||
	    nla_put_u32(skb, KIPC_A_CHANNEL_MAX_INLINE, st.max_inline) ||
	    nla_put_u32(skb, KIPC_A_CHANNEL_SENDERS, st.senders) ||
	    nla_put_u32(skb, KIPC_A_CHANNEL_RECEIVERS, st.receivers) ||
	    kipc_nl_put_u64(skb, KIPC_A_CHANNEL_REGION_ID, st.region_id,
			    KIPC_A_CHANNEL_PAD) ||
	    kipc_nl_put_u64(skb, KIPC_A_CHANNEL_MSGS_SENT, st.msgs_sent,
			    KIPC_A_CHANNEL_PAD) ||
	    kipc_nl_put_u64(skb, KIPC_A_CHANNEL_MSGS_RECEIVED,
			    st.msgs_received, KIPC_A_CHANNEL_PAD))
		return -EMSGSIZE;
	return 0;
}

static int kipc_nl_fill_lendq(struct sk_buff *skb, struct sk_buff *req,
			      struct kipc_obj *obj)
{
	struct kipc_nl_lendq_stat st;

	kipc_lendq_nl_stat(obj, &st);
	if (nla_put_u32(skb, KIPC_A_LEND_QUEUE_LENT, st.lent) ||
	    nla_put_u32(skb, KIPC_A_LEND_QUEUE_COMPLETIONS, st.completions))
		return -EMSGSIZE;
	return 0;
}

static int kipc_nl_fill_service(struct sk_buff *skb, struct sk_buff *req,
				struct kipc_obj *obj)
{
	struct kipc_nl_service_stat st;

	kipc_service_nl_stat(obj, &st);
	if (nla_put_u32(skb, KIPC_A_SERVICE_BACKLOG, st.backlog) ||
	    nla_put_u32(skb, KIPC_A_SERVICE_PENDING, st.pending) ||
	    nla_put_u32(skb, KIPC_A_SERVICE_LISTENERS, st.listeners) ||
	    kipc_nl_put_u64(skb, KIPC_A_SERVICE_ACCEPTED, st.accepted,
			    KIPC_A_SERVICE_PAD) ||
	    nla_put_u32(skb, KIPC_A_SERVICE_DEPTH, st.depth) ||
	    nla_put_u32(skb, KIPC_A_SERVICE_MAX_INLINE, st.max_inline) ||
	    kipc_nl_put_u64(skb, KIPC_A_SERVICE_REGION_ID, st.region_id,
			    KIPC_A_SERVICE_PAD))
		return -EMSGSIZE;
	return 0;
}

static int kipc_nl_fill_name(struct sk_buff *skb, struct sk_buff *req,
			     struct kipc_obj *obj)
{
	struct user_namespace *ns = sk_user_ns(NETLINK_CB(req).sk);
	struct kipc_nl_name_stat st;

	kipc_name_nl_stat(obj, &st);
	if (nla_put_string(skb, KIPC_A_NAME_NAME, st.name) ||
	    nla_put_u32(skb, KIPC_A_NAME_KIND, st.kind) ||
	    kipc_nl_put_u64(skb, KIPC_A_NAME_TARGET_ID, st.target_id,
			    KIPC_A_NAME_PAD) ||
	    nla_put_u32(skb, KIPC_A_NAME_OWNER_UID,
			from_kuid_munged(ns, st.uid)) ||
	    nla_put_u32(skb, KIPC_A_NAME_OWNER_GID,
			from_kgid_munged(ns, st.gid)) ||
	    nla_put_u32(skb, KIPC_A_NAME_MODE, st.mode))
		return -EMSGSIZE;
	return 0;
}

/* The attributes of each resource of user-get: its usage and its cap. */
static const u16 kipc_nl_user_attrs[KIPC_RES_NR][2] = {
	[KIPC_RES_REGIONS]  = { KIPC_A_USER_REGIONS, KIPC_A_USER_REGIONS_LIMIT },
	[KIPC_RES_CHANNELS] = { KIPC_A_USER_CHANNELS, KIPC_A_USER_CHANNELS_LIMIT },
	[KIPC_RES_LENDQS]   = { KIPC_A_USER_LENDQS, KIPC_A_USER_LENDQS_LIMIT },
	[KIPC_RES_NAMES]    = { KIPC_A_USER_NAMES, KIPC_A_USER_NAMES_LIMIT },
	[KIPC_RES_INFLIGHT] = { KIPC_A_USER_INFLIGHT_BYTES,
				KIPC_A_USER_INFLIGHT_BYTES_LIMIT },
	[KIPC_RES_POOL]     = { KIPC_A_USER_POOL_BYTES,
				KIPC_A_USER_POOL_BYTES_LIMIT },
	[KIPC_RES_SERVICES] = { KIPC_A_USER_SERVICES,
				KIPC_A_USER_SERVICES_LIMIT },
	[KIPC_RES_REGION_BYTES] = { KIPC_A_USER_REGION_BYTES,
				    KIPC_A_USER_REGION_BYTES_LIMIT },
};

static int kipc_nl_fill_user(struct sk_buff *skb, struct sk_buff *req,
			     const struct kipc_user_stat *st)
{
	unsigned int i;

	if (nla_put_u32(skb, KIPC_A_USER_UID, kipc_nl_uid(req, st->uid)))
		return -EMSGSIZE;
	for (i = 0; i < KIPC_RES_NR; i++)
		if (kipc_nl_put_u64(skb, kipc_nl_user_attrs[i][0], st->used[i],
				    KIPC_A_USER_PAD) ||
		    kipc_nl_put_u64(skb, kipc_nl_user_attrs[i][1],
				    st->limit[i], KIPC_A_USER_PAD))
			return -EMSGSIZE;
	if (kipc_nl_put_u64(skb, KIPC_A_USER_PINNED_PAGES, st->pinned,
			    KIPC_A_USER_PAD))
		return -EMSGSIZE;
	return 0;
}

/*
 * One type of object as the get commands see it: its command, the
 * attributes of the fields every object has, and how to put the rest of an
 * object in a message.
 */
struct kipc_nl_kind {
	enum kipc_obj_type type;
	u8 cmd;
	int id_attr, uid_attr, pid_attr, pad_attr;
	int (*fill)(struct sk_buff *skb, struct sk_buff *req,
		    struct kipc_obj *obj);
};

static const struct kipc_nl_kind kipc_nl_kinds[KIPC_OBJ_TYPE_MAX + 1] = {
	[KIPC_OBJ_TYPE_REGION] = {
		KIPC_OBJ_TYPE_REGION, KIPC_CMD_REGION_GET, KIPC_A_REGION_ID,
		KIPC_A_REGION_UID, KIPC_A_REGION_PID, KIPC_A_REGION_PAD,
		kipc_nl_fill_region },
	[KIPC_OBJ_TYPE_CHANNEL] = {
		KIPC_OBJ_TYPE_CHANNEL, KIPC_CMD_CHANNEL_GET, KIPC_A_CHANNEL_ID,
		KIPC_A_CHANNEL_UID, KIPC_A_CHANNEL_PID, KIPC_A_CHANNEL_PAD,
		kipc_nl_fill_channel },
	[KIPC_OBJ_TYPE_LEND_QUEUE] = {
		KIPC_OBJ_TYPE_LEND_QUEUE, KIPC_CMD_LEND_QUEUE_GET,
		KIPC_A_LEND_QUEUE_ID, KIPC_A_LEND_QUEUE_UID,
		KIPC_A_LEND_QUEUE_PID, KIPC_A_LEND_QUEUE_PAD, kipc_nl_fill_lendq },
	[KIPC_OBJ_TYPE_NAME] = {
		KIPC_OBJ_TYPE_NAME, KIPC_CMD_NAME_GET, KIPC_A_NAME_ID,
		KIPC_A_NAME_UID, KIPC_A_NAME_PID, KIPC_A_NAME_PAD,
		kipc_nl_fill_name },
	[KIPC_OBJ_TYPE_SERVICE] = {
		KIPC_OBJ_TYPE_SERVICE, KIPC_CMD_SERVICE_GET, KIPC_A_SERVICE_ID,
		KIPC_A_SERVICE_UID, KIPC_A_SERVICE_PID, KIPC_A_SERVICE_PAD,
		kipc_nl_fill_service },
};

/* The filter attributes of a dump of @cmd (@pid_attr 0: none). */
static int kipc_nl_dump_filters(u8 cmd, int *uid_attr, int *pid_attr)
{
	unsigned int t;

	*pid_attr = 0;
	if (cmd == KIPC_CMD_USER_GET) {
		*uid_attr = KIPC_A_USER_UID;
		return 0;
	}
	for (t = 0; t < ARRAY_SIZE(kipc_nl_kinds); t++) {
		if (kipc_nl_kinds[t].fill && kipc_nl_kinds[t].cmd == cmd) {
			*uid_attr = kipc_nl_kinds[t].uid_attr;
			*pid_attr = kipc_nl_kinds[t].pid_attr;
			return 0;
		}
	}
	return -EOPNOTSUPP;
}

/**
 * kipc_nl_dump_start() - the start of every dump: who asks, and for what
 * @cb: the dump's state (policy: the command's uid and pid filters)
 *
 * The viewer is taken here, in the context of the task that sent the
 * request, and not in the first dumpit: that one runs at the reader's
 * recvmsg() when the socket's receive buffer is full at the request, and
 * the reader may be another task, with other credentials, than the one
 * that asked (a descriptor passed on, or the sender's own credentials
 * changed in between).
 *
 * Context: process context, the requester's.
 * Return: 0, -EINVAL (an unmapped uid) or -EOPNOTSUPP (not a dump of ours).
 */
int kipc_nl_dump_start(struct netlink_callback *cb)
{
	struct kipc_nl_dump_ctx *ctx = kipc_nl_dump_ctx(cb);
	struct nlattr **attrs = kipc_genl_dump_attrs(cb);
	u8 cmd = ((struct genlmsghdr *)nlmsg_data(cb->nlh))->cmd;
	int uid_attr, pid_attr, ret;

	ret = kipc_nl_dump_filters(cmd, &uid_attr, &pid_attr);
	if (ret)
		return ret;
	kipc_nl_viewer_init(&ctx->viewer, cb->skb);
	ret = kipc_nl_viewer_filter(&ctx->viewer, cb->skb,
				    attrs ? attrs[uid_attr] : NULL,
				    attrs && pid_attr ? attrs[pid_attr] : NULL,
				    cb->extack);
	if (ret)
		return ret;
	get_ipc_ns(ctx->viewer.ipc_ns);
	get_pid_ns(ctx->viewer.pid_ns);
	return 0;
}

/**
 * kipc_nl_dump_done() - the end of every dump
 * @cb: the dump's state
 *
 * Drops the viewer's namespace references taken by kipc_nl_dump_start().
 * A dump never finished keeps them until its socket closes: the names of
 * a dead IPC namespace stay that long (as its other users keep them).
 * Context: process context.
 * Return: 0.
 */
int kipc_nl_dump_done(struct netlink_callback *cb)
{
	struct kipc_nl_viewer *v = &kipc_nl_dump_ctx(cb)->viewer;

	kipc_put_ipc_ns(v->ipc_ns);
	put_pid_ns(v->pid_ns);
	return 0;
}

/* Put the fields every object has, then its type's, for viewer @v. */
static int kipc_nl_fill_obj(const struct kipc_nl_kind *kind,
			    const struct kipc_nl_viewer *v,
			    struct sk_buff *skb, struct sk_buff *req,
			    struct kipc_obj *obj)
{
	if (kipc_nl_put_u64(skb, kind->id_attr, obj->id, kind->pad_attr) ||
	    nla_put_u32(skb, kind->uid_attr, kipc_nl_uid(req, obj->user->uid)) ||
	    nla_put_u32(skb, kind->pid_attr, kipc_nl_pid(v, obj->pid)))
		return -EMSGSIZE;
	return kind->fill(skb, req, obj);
}

/* Reply to a do with @obj. */
static int kipc_nl_get_reply(const struct kipc_nl_kind *kind,
			     const struct kipc_nl_viewer *v,
			     struct sk_buff *skb, struct genl_info *info,
			     struct kipc_obj *obj)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kipc_nl_family, 0, kind->cmd);
	if (!hdr || kipc_nl_fill_obj(kind, v, msg, skb, obj)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int kipc_nl_get_doit(const struct kipc_nl_kind *kind,
			    struct sk_buff *skb, struct genl_info *info)
{
	struct kipc_nl_viewer viewer;
	struct kipc_obj *obj;
	u64 id;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, kind->id_attr)) {
		NL_SET_ERR_MSG(info->extack, "missing attribute: id");
		return -EINVAL;
	}
	id = nla_get_u64(info->attrs[kind->id_attr]);
	kipc_nl_viewer_init(&viewer, skb);
	obj = kipc_obj_find(kind->type, id, kipc_nl_obj_visible, &viewer);
	if (!obj) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[kind->id_attr],
				    "no object with this id");
		return -ENOENT;
	}
	ret = kipc_nl_get_reply(kind, &viewer, skb, info, obj);
	kipc_obj_put(obj);
	return ret;
}

/* Start a message of a dump; NULL when @skb is full. */
static void *kipc_nl_dump_put(struct sk_buff *skb, struct netlink_callback *cb,
			      u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   &kipc_nl_family, NLM_F_MULTI, cmd);
}

static int kipc_nl_get_dumpit(const struct kipc_nl_kind *kind,
			      struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kipc_nl_dump_ctx *ctx = kipc_nl_dump_ctx(cb);
	struct kipc_obj *obj;
	void *hdr;
	int ret;

	while ((obj = kipc_obj_next(kind->type, ctx->next_id,
				    kipc_nl_obj_visible, &ctx->viewer))) {
		hdr = kipc_nl_dump_put(skb, cb, kind->cmd);
		ret = hdr ? kipc_nl_fill_obj(kind, &ctx->viewer, skb, cb->skb,
					     obj) : -EMSGSIZE;
		if (!ret) {
			genlmsg_end(skb, hdr);
			ctx->next_id = (u64)obj->id + 1;
		} else if (hdr) {
			genlmsg_cancel(skb, hdr);
		}
		kipc_obj_put(obj);
		if (ret)
			break;
	}
	return skb->len;
}

/**
 * kipc_nl_region_get_doit() - KIPC_CMD_REGION_GET do: one region by id
 * @skb: the request
 * @info: its header and attributes (policy: id)
 *
 * The do handlers of every object type: region, channel, lend-queue, name.
 * Context: process context.
 * Return: 0, or -EINVAL (id missing), -ENOENT (no object of the type with
 * that id that the caller may see), -ENOMEM, -EMSGSIZE.
 */
int kipc_nl_region_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return kipc_nl_get_doit(&kipc_nl_kinds[KIPC_OBJ_TYPE_REGION], skb, info);
}

/**
 * kipc_nl_region_get_dumpit() - KIPC_CMD_REGION_GET dump: visible regions
 * @skb: the message to fill
 * @cb: the dump's state (policy: uid, pid filters)
 *
 * The dump handlers of every object type: region, channel, lend-queue,
 * name (names: only those of the requester's IPC namespace).
 * Context: process context.
 * Return: bytes put (more to come) or 0 (done).
 */
int kipc_nl_region_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return kipc_nl_get_dumpit(&kipc_nl_kinds[KIPC_OBJ_TYPE_REGION], skb, cb);
}

int kipc_nl_channel_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return kipc_nl_get_doit(&kipc_nl_kinds[KIPC_OBJ_TYPE_CHANNEL], skb, info);
}

int kipc_nl_channel_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return kipc_nl_get_dumpit(&kipc_nl_kinds[KIPC_OBJ_TYPE_CHANNEL], skb, cb);
}

int kipc_nl_lend_queue_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return kipc_nl_get_doit(&kipc_nl_kinds[KIPC_OBJ_TYPE_LEND_QUEUE], skb,
				info);
}

int kipc_nl_lend_queue_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	return kipc_nl_get_dumpit(&kipc_nl_kinds[KIPC_OBJ_TYPE_LEND_QUEUE], skb,
				  cb);
}

int kipc_nl_name_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return kipc_nl_get_doit(&kipc_nl_kinds[KIPC_OBJ_TYPE_NAME], skb, info);
}

int kipc_nl_name_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return kipc_nl_get_dumpit(&kipc_nl_kinds[KIPC_OBJ_TYPE_NAME], skb, cb);
}

int kipc_nl_service_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return kipc_nl_get_doit(&kipc_nl_kinds[KIPC_OBJ_TYPE_SERVICE], skb,
				info);
}

int kipc_nl_service_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	return kipc_nl_get_dumpit(&kipc_nl_kinds[KIPC_OBJ_TYPE_SERVICE], skb,
				  cb);
}

/**
 * kipc_nl_user_get_doit() - KIPC_CMD_USER_GET do: one user's usage and caps
 * @skb: the request
 * @info: its header and attributes (policy: uid, in the requesting
 *	socket's user namespace)
 *
 * Context: process context.
 * Return: 0, or -EINVAL (uid missing or not mapped), -ENOENT (no record of
 * that user, or one the caller may not see: not its own and no
 * CAP_SYS_ADMIN), -ENOMEM, -EMSGSIZE.
 */
int kipc_nl_user_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct kipc_nl_viewer viewer;
	struct kipc_user_stat st;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KIPC_A_USER_UID)) {
		NL_SET_ERR_MSG(info->extack, "missing attribute: uid");
		return -EINVAL;
	}
	/* The uid asked for is the viewer's uid filter. */
	kipc_nl_viewer_init(&viewer, skb);
	ret = kipc_nl_viewer_filter(&viewer, skb, info->attrs[KIPC_A_USER_UID],
				    NULL, info->extack);
	if (ret)
		return ret;
	ret = kipc_user_next_stat(__kuid_val(viewer.uid), &st);
	if (ret || !kipc_nl_visible(&viewer, st.uid, NULL)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KIPC_A_USER_UID],
				    "no usage record of this uid");
		return -ENOENT;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kipc_nl_family, 0,
				KIPC_CMD_USER_GET);
	if (!hdr || kipc_nl_fill_user(msg, skb, &st)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/**
 * kipc_nl_user_get_dumpit() - KIPC_CMD_USER_GET dump: visible users
 * @skb: the message to fill
 * @cb: the dump's state (policy: uid filter)
 *
 * Every user holding a kipc context or object, in uid order, for a caller
 * with CAP_SYS_ADMIN; the caller's own user only, for any other. A user
 * record's cursor is its kuid value.
 *
 * Context: process context.
 * Return: bytes put (more to come) or 0 (done).
 */
int kipc_nl_user_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kipc_nl_dump_ctx *ctx = kipc_nl_dump_ctx(cb);
	struct kipc_user_stat st;
	void *hdr;

	while (ctx->next_id <= U32_MAX &&
	       !kipc_user_next_stat(ctx->next_id, &st)) {
		if (kipc_nl_visible(&ctx->viewer, st.uid, NULL)) {
			hdr = kipc_nl_dump_put(skb, cb, KIPC_CMD_USER_GET);
			if (!hdr)
				break;
			if (kipc_nl_fill_user(skb, cb->skb, &st)) {
				genlmsg_cancel(skb, hdr);
				break;
			}
			genlmsg_end(skb, hdr);
		}
		ctx->next_id = (u64)__kuid_val(st.uid) + 1;
	}
	return skb->len;
}

/**
 * kipc_nl_event() - multicast an event to the events group: the sink of
 *	kipc_obj_event()
 * @cmd: KIPC_CMD_OBJECT_CREATED, _OBJECT_DESTROYED, _PEER_CLOSED,
 *	_QUEUE_FULL or _SEND_FAILED
 * @type: the object's type
 * @id: the object's id
 * @owner: the object's creator
 * @reason: a KIPC_SEND_FAIL_REASON_*, or 0 for none
 * @err: a negative errno, or 0 for none
 *
 * Costs one test when nobody listens. A message that cannot be allocated
 * is counted in KIPC_STAT_EVENTS_DROPPED.
 *
 * Context: any; allocates with GFP_ATOMIC.
 */
static void kipc_nl_event(u8 cmd, enum kipc_obj_type type, u64 id,
			  kuid_t owner, enum kipc_send_fail_reason reason,
			  int err)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&kipc_nl_family, &init_net, KIPC_NLGRP_EVENTS))
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!msg)
		goto out_dropped;
	hdr = genlmsg_put(msg, 0, 0, &kipc_nl_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(msg, KIPC_A_EVENT_OBJ_TYPE, type) ||
	    kipc_nl_put_u64(msg, KIPC_A_EVENT_ID, id, KIPC_A_EVENT_PAD) ||
	    nla_put_u32(msg, KIPC_A_EVENT_UID,
			from_kuid_munged(&init_user_ns, owner)) ||
	    nla_put_u32(msg, KIPC_A_EVENT_PID, task_tgid_nr(current)) ||
	    (reason && nla_put_u32(msg, KIPC_A_EVENT_REASON, reason)) ||
	    (err && nla_put_u32(msg, KIPC_A_EVENT_ERRNO, -err))) {
		nlmsg_free(msg);
		goto out_dropped;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&kipc_nl_family, msg, 0, KIPC_NLGRP_EVENTS,
			  GFP_ATOMIC);
	return;

out_dropped:
	kipc_stat_inc(KIPC_STAT_EVENTS_DROPPED);
}

/**
 * kipc_nl_init() - register the family
 *
 * Context: module init.
 * Return: 0 or the error of genl_register_family().
 */
int kipc_nl_init(void)
{
	int ret;

	memcpy(kipc_nl_groups, kipc_nl_mcgrps, sizeof(kipc_nl_groups));
	/* Events name every user's objects: listening needs CAP_SYS_ADMIN. */
	kipc_nl_groups[KIPC_NLGRP_EVENTS].flags = GENL_MCAST_CAP_SYS_ADMIN;
	ret = kipc_genl_register_family(&kipc_nl_family, kipc_nl_ops,
					ARRAY_SIZE(kipc_nl_ops));
	if (!ret)
		kipc_obj_set_event_sink(kipc_nl_event);
	return ret;
}

/**
 * kipc_nl_exit() - unregister the family
 *
 * Context: module exit.
 */
void kipc_nl_exit(void)
{
	kipc_obj_set_event_sink(NULL);
	kipc_genl_unregister_family(&kipc_nl_family);
}
