/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc: the userspace library of kipc, kernel-assisted zero-copy IPC.
 *
 * Every function returns 0 (or a non-negative count) on success and a
 * negative errno on failure; errno itself is left alone. Handles are opaque;
 * every handle has an accessor for its file descriptor so callers can use
 * their own event loop.
 */
#ifndef LIBKIPC_KIPC_H
#define LIBKIPC_KIPC_H

#include <stdint.h>
#include <linux/kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An open context of /dev/kipc. */
struct kipc;

/** What the running module reports about itself. */
struct kipc_version_info {
	uint32_t abi_version;	/* KIPC_ABI_VERSION of the module */
	uint64_t features;	/* KIPC_FEATURE_* bits it implements */
};

int kipc_open(struct kipc **kp, unsigned int flags);
int kipc_close(struct kipc *k);
int kipc_fd(const struct kipc *k);
int kipc_version(struct kipc *k, struct kipc_version_info *info);

/*
 * Statistics, listings and events, over the generic netlink family "kipc"
 * (libmnl). A struct kipc_nl is a netlink socket bound to the family.
 */
struct kipc_nl;

/** Global counters (stats-get), summed over every CPU. */
struct kipc_global_stats {
	uint64_t regions_created;
	uint64_t regions_destroyed;
	uint64_t channels_created;
	uint64_t channels_destroyed;
	uint64_t msgs_sent;
	uint64_t msgs_received;
	uint64_t bytes_sent;		/* inline bytes */
	uint64_t bytes_received;
	uint64_t bufs_sent;		/* region buffers */
	uint64_t bufs_received;
	uint64_t send_waits;		/* sleeps on a full queue */
	uint64_t recv_waits;		/* sleeps on an empty queue */
	uint64_t buf_alloc_waits;	/* sleeps on an empty pool */
	uint64_t events_dropped;
	/* Failed sends, indexed by KIPC_SEND_FAIL_REASON_* (0 unused). */
	uint64_t send_failed[KIPC_SEND_FAIL_REASON_MAX + 1];
};

/** A channel as the kernel lists it (channel-get). */
struct kipc_channel_stats {
	uint64_t id;
	uint32_t uid;		/* creator */
	uint32_t pid;		/* creator, in the caller's pid namespace */
	uint32_t depth;
	uint32_t queued;
	uint32_t max_inline;
	uint32_t senders;	/* open send ends */
	uint32_t receivers;	/* open receive ends */
	uint32_t reserved;
	uint64_t region_id;	/* 0: unbound */
	uint64_t msgs_sent;
	uint64_t msgs_received;
};

/** A region as the kernel lists it (region-get). */
struct kipc_region_stats {
	uint64_t id;
	uint32_t uid;
	uint32_t pid;
	uint64_t bytes;
	uint64_t buf_size;
	uint32_t nr_bufs;
	uint32_t nr_free;
	uint32_t nr_in_flight;
	uint32_t reserved;
};

#define KIPC_FILTER_UID	(1U << 0)
#define KIPC_FILTER_PID	(1U << 1)

/** Dump filters: only objects created by @uid and/or by @pid. */
struct kipc_filter {
	uint32_t flags;		/* KIPC_FILTER_* */
	uint32_t uid;
	uint32_t pid;
};

/** An event of the "events" multicast group. */
struct kipc_event {
	uint32_t cmd;		/* KIPC_CMD_OBJECT_CREATED, ... */
	uint32_t obj_type;	/* KIPC_OBJ_TYPE_* */
	uint64_t id;
	uint32_t uid;		/* the object's creator */
	uint32_t pid;		/* the process that caused the event */
	uint32_t reason;	/* KIPC_SEND_FAIL_REASON_*, or 0 */
	uint32_t err;		/* positive errno of a failed send, or 0 */
};

/* Callbacks return 0 to go on, or a positive value to stop the walk. */
typedef int (*kipc_channel_cb)(const struct kipc_channel_stats *st, void *arg);
typedef int (*kipc_region_cb)(const struct kipc_region_stats *st, void *arg);
typedef int (*kipc_event_cb)(const struct kipc_event *ev, void *arg);

int kipc_nl_open(struct kipc_nl **nlp, unsigned int flags);
int kipc_nl_close(struct kipc_nl *nl);
int kipc_nl_fd(const struct kipc_nl *nl);
const char *kipc_nl_errmsg(const struct kipc_nl *nl);
int kipc_stats_get(struct kipc_nl *nl, struct kipc_global_stats *st);
int kipc_channel_stats_get(struct kipc_nl *nl, uint64_t id,
			   struct kipc_channel_stats *st);
int kipc_channel_stats_dump(struct kipc_nl *nl, const struct kipc_filter *filter,
			    kipc_channel_cb cb, void *arg);
int kipc_region_stats_get(struct kipc_nl *nl, uint64_t id,
			  struct kipc_region_stats *st);
int kipc_region_stats_dump(struct kipc_nl *nl, const struct kipc_filter *filter,
			   kipc_region_cb cb, void *arg);
int kipc_events_subscribe(struct kipc_nl *nl);
int kipc_events_read(struct kipc_nl *nl, kipc_event_cb cb, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* LIBKIPC_KIPC_H */
