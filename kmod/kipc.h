/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc internal interfaces shared by the files of the module.
 */
#ifndef _KIPC_INTERNAL_H
#define _KIPC_INTERNAL_H

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/percpu.h>
#include <linux/kipc.h>

/**
 * struct kipc_ctx - an open file of /dev/kipc
 * @cred: credentials of the opener; objects created on the context are
 *	charged to this user
 *
 * Owned by the file: allocated in open, freed in release.
 */
struct kipc_ctx {
	const struct cred *cred;
};

long kipc_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/*
 * Statistics (stats.c): per-CPU counters, summed when read over netlink.
 * The failed-send counters are indexed by reason: KIPC_STAT_SEND_FAILED +
 * KIPC_SEND_FAIL_REASON_X - 1.
 */
enum kipc_stat {
	KIPC_STAT_REGIONS_CREATED,
	KIPC_STAT_REGIONS_DESTROYED,
	KIPC_STAT_CHANNELS_CREATED,
	KIPC_STAT_CHANNELS_DESTROYED,
	KIPC_STAT_MSGS_SENT,
	KIPC_STAT_MSGS_RECEIVED,
	KIPC_STAT_BYTES_SENT,
	KIPC_STAT_BYTES_RECEIVED,
	KIPC_STAT_BUFS_SENT,
	KIPC_STAT_BUFS_RECEIVED,
	KIPC_STAT_SEND_WAITS,
	KIPC_STAT_RECV_WAITS,
	KIPC_STAT_BUF_ALLOC_WAITS,
	KIPC_STAT_EVENTS_DROPPED,
	KIPC_STAT_SEND_FAILED,
	KIPC_STAT_NR = KIPC_STAT_SEND_FAILED + KIPC_SEND_FAIL_REASON_MAX,
};

/**
 * struct kipc_stats - one CPU's counters, or their sum
 * @count: indexed by enum kipc_stat
 */
struct kipc_stats {
	u64 count[KIPC_STAT_NR];
};

DECLARE_PER_CPU(struct kipc_stats, kipc_stats);

/* Count @n more of @stat on this CPU. Context: any. */
static inline void kipc_stat_add(enum kipc_stat stat, u64 n)
{
	this_cpu_add(kipc_stats.count[stat], n);
}

/* Count one more of @stat on this CPU. Context: any. */
static inline void kipc_stat_inc(enum kipc_stat stat)
{
	this_cpu_inc(kipc_stats.count[stat]);
}

void kipc_stats_read(struct kipc_stats *sum);
enum kipc_send_fail_reason kipc_send_fail_reason(int err);
enum kipc_send_fail_reason kipc_stat_send_failed(int err);

/**
 * struct kipc_nl_region_stat - a region's state, as netlink lists it
 * @id: the region's id
 * @uid: its creator's effective uid
 * @pid: its creator's process id, in the current task's pid namespace
 *	(0 when not visible there)
 * @bytes: size of the region
 * @buf_size: size of each buffer, 0 without a pool
 * @nr_bufs: buffers in the pool
 * @nr_free: buffers free
 * @nr_in_flight: buffers queued on channels
 */
struct kipc_nl_region_stat {
	u64 id;
	kuid_t uid;
	pid_t pid;
	u64 bytes;
	u64 buf_size;
	u32 nr_bufs;
	u32 nr_free;
	u32 nr_in_flight;
};

/**
 * struct kipc_nl_chan_stat - a channel's state, as netlink lists it
 * @id: the channel's id
 * @uid: its creator's effective uid
 * @pid: its creator's process id, in the current task's pid namespace
 * @depth: the most messages queued at once
 * @queued: messages queued now
 * @max_inline: the most inline bytes per message
 * @senders: open send ends
 * @receivers: open receive ends
 * @region_id: id of the bound region, 0 if unbound
 * @msgs_sent: messages queued since creation
 * @msgs_received: messages taken since creation
 */
struct kipc_nl_chan_stat {
	u64 id;
	kuid_t uid;
	pid_t pid;
	u32 depth;
	u32 queued;
	u32 max_inline;
	u32 senders;
	u32 receivers;
	u64 region_id;
	u64 msgs_sent;
	u64 msgs_received;
};

/*
 * Iterators for netlink: copy the state of the live object with the
 * smallest id >= @id into @st. Return 0, or -ENOENT when there is none.
 * Context: process context; takes and drops the registry's lock.
 */
int kipc_nl_region_next_stat(u64 id, struct kipc_nl_region_stat *st);
int kipc_nl_chan_next_stat(u64 id, struct kipc_nl_chan_stat *st);

/*
 * Netlink (netlink.c): the generic netlink family "kipc". Events are
 * multicast to the "events" group (CAP_SYS_ADMIN to subscribe) in the
 * initial network namespace; they cost one test when nobody listens.
 */
int kipc_nl_init(void);
void kipc_nl_exit(void);
void kipc_nl_event(u8 cmd, enum kipc_obj_type type, u64 id, kuid_t owner,
		   enum kipc_send_fail_reason reason, int err);

/* An object was created (KIPC_CMD_OBJECT_CREATED). Context: any. */
static inline void kipc_nl_obj_created(enum kipc_obj_type type, u64 id,
				       kuid_t owner)
{
	kipc_nl_event(KIPC_CMD_OBJECT_CREATED, type, id, owner, 0, 0);
}

/* An object was destroyed (KIPC_CMD_OBJECT_DESTROYED). Context: any. */
static inline void kipc_nl_obj_destroyed(enum kipc_obj_type type, u64 id,
					 kuid_t owner)
{
	kipc_nl_event(KIPC_CMD_OBJECT_DESTROYED, type, id, owner, 0, 0);
}

/*
 * The last send end (@receivers_gone false) or the last receive end
 * (@receivers_gone true: reason pipe) of channel @id closed. Context: any.
 */
static inline void kipc_nl_peer_closed(u64 id, kuid_t owner,
				       bool receivers_gone)
{
	kipc_nl_event(KIPC_CMD_PEER_CLOSED, KIPC_OBJ_TYPE_CHANNEL, id, owner,
		      receivers_gone ? KIPC_SEND_FAIL_REASON_PIPE : 0, 0);
}

/* A send found channel @id full. Context: any. */
static inline void kipc_nl_queue_full(u64 id, kuid_t owner)
{
	kipc_nl_event(KIPC_CMD_QUEUE_FULL, KIPC_OBJ_TYPE_CHANNEL, id, owner, 0, 0);
}

/*
 * A send on channel @id failed with @err (negative errno): counts it by
 * reason and multicasts the event. Context: any.
 */
static inline void kipc_nl_send_failed(u64 id, kuid_t owner, int err)
{
	enum kipc_send_fail_reason reason = kipc_stat_send_failed(err);

	kipc_nl_event(KIPC_CMD_SEND_FAILED, KIPC_OBJ_TYPE_CHANNEL, id, owner,
		      reason, err);
}

#endif /* _KIPC_INTERNAL_H */
