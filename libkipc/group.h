/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Process groups: the control region the supervisor shares with every
 * worker (libkipc/group.c is the supervisor, group_worker.c the worker).
 *
 * The control region is a region without a pool that the supervisor
 * creates and holds; every worker inherits the supervisor's handle of it
 * as its "kipc-ctl" fd. It holds the names of the group's regions,
 * channels and services, and a sequence counter per channel.
 *
 * Each worker instance has a slot, in a region of its own that only the
 * supervisor and that instance's workers (the one running, then its
 * replacements) hold, inherited as the "kipc-slot" fd: the watchdog's beat
 * word, the stop word, and the lease of the message the worker holds. The
 * kernel writes a received message where the slot's descriptor points, so
 * the descriptor must be out of other workers' reach: in the shared
 * control region, any worker could point another's receive at its memory.
 *
 * The lease protocol (the at-least-once guarantee) in one place:
 *
 *   worker                                  replacement (worker_open)
 *   lease = RECEIVING,
 *     msg.uid = KGRP_UID_NONE
 *   KIPC_IOC_RECV into the slot itself      RECEIVING, uid written: HELD
 *     (the kernel copies the message out     RECEIVING, uid NONE: NONE
 *      or undoes the dequeue; its buffers
 *      go to the slot's region handle,
 *      which the supervisor also holds)
 *   lease = HELD                            HELD: kipc_group_recv() gives
 *   ... work, send results with seq ...       the same message again
 *   kipc_group_ack():
 *     lease = NONE; release the buffers     NONE: release what the slot's
 *                                             handles still own (a death
 *                                             between the two steps)
 *   kipc_group_forward():
 *     out = the payload (msg, data kept)
 *     lease = FORWARDING; send out and the  FORWARDING: send out again;
 *       buffers                               -EPERM means the first send
 *     lease = NONE (a failed send: HELD,      happened; another error
 *       the message as it was received)       keeps the lease, and
 *                                             kipc_group_recv() retries
 *
 * Each slot has its own region handles (KIPC_IOC_REGION_ATTACH by the
 * supervisor), so a buffer owned by a slot's handle can only be the one
 * in its lease: the -EPERM test above cannot be fooled by the buffer
 * coming back through another worker.
 */
#ifndef LIBKIPC_GROUP_H
#define LIBKIPC_GROUP_H

#include <stdint.h>
#include "kipc_group.h"
#include "kipc_rpc.h"

#define KGRP_MAGIC		0x5052474bU	/* "KGRP" */
/*
 * 3: slots in regions of their own (0.8.0-0.10.0); 4: delivery into a
 * slot marked by msg.uid, not msg.tag (a tag-0 message was taken for none
 * delivered). The two read a RECEIVING lease differently: a version-3
 * worker's receive that delivered nothing leaves uid 0, which a version-4
 * supervisor would hand on as a message. kipc_group_worker_open() refuses
 * a control region of another version (-EPROTO) before it touches the slot.
 */
#define KGRP_VERSION		4

/* Lease states (struct kgrp_slot @lease). */
#define KGRP_LEASE_NONE		0
#define KGRP_LEASE_RECEIVING	1
#define KGRP_LEASE_HELD		2
#define KGRP_LEASE_FORWARDING	3

struct kgrp_region_desc {
	char name[KIPC_GROUP_NAME_MAX + 1];
	uint64_t buf_size;
};

struct kgrp_chan_desc {
	char name[KIPC_GROUP_NAME_MAX + 1];
	int32_t region;			/* index in @regions, -1: unbound */
	uint32_t pad;
	uint64_t seq;			/* last sequence number handed out */
};

/* A service: the connections' channels, as its RPC servers announce them. */
struct kgrp_svc_desc {
	char name[KIPC_GROUP_NAME_MAX + 1];
	uint32_t depth;			/* 0: the module's default */
	uint32_t max_inline;		/* 0: the kernel's default */
};

struct kgrp_slot {
	uint32_t beat;			/* bumped by the worker: the watchdog */
	uint32_t stop;			/* 1: the supervisor wants it to stop */
	uint32_t lease;			/* KGRP_LEASE_* */
	uint32_t lease_chan;		/* the channel it came from */
	uint32_t lease_out;		/* FORWARDING: the channel it goes to */
	uint32_t redelivered;		/* 1: the lease outlived a holder */
	uint64_t acks;
	uint64_t redeliveries;
	struct kipc_msg msg;		/* written by KIPC_IOC_RECV */
	struct kipc_buf_ref bufs[KIPC_GROUP_BUFS_MAX];
	uint8_t data[KIPC_GROUP_INLINE_MAX];
	uint32_t out_len;		/* FORWARDING: the payload sent on */
	uint32_t pad;
	uint8_t out[KIPC_GROUP_INLINE_MAX];
};

/* A slot region's size: whole pages. */
#define KGRP_SLOT_BYTES	((sizeof(struct kgrp_slot) + 4095) & ~4095UL)

struct kgrp_ctl {
	uint32_t magic;
	uint32_t version;
	uint32_t nr_slots;
	uint32_t nr_chans;
	uint32_t nr_regions;
	uint32_t state;			/* KIPC_GROUP_RUNNING, ... */
	struct kgrp_region_desc regions[KIPC_GROUP_MAX_REGIONS];
	struct kgrp_chan_desc chans[KIPC_GROUP_MAX_CHANNELS];
	uint32_t nr_svcs;
	uint32_t pad;
	struct kgrp_svc_desc svcs[KIPC_GROUP_MAX_SERVICES];
};

/*
 * A worker's inherited fds at most: the control region, its slot, then its
 * objects, and the lifeline after them (group.c: lifeline_arm()).
 */
#define KGRP_MAX_FDS		(3 + KIPC_GROUP_MAX_REGIONS + \
				 KIPC_GROUP_MAX_CHANNELS + \
				 KIPC_GROUP_MAX_SERVICES)

/* The fd names of the control region and of the slot's, first and second. */
#define KGRP_CTL_NAME		"kipc-ctl"
#define KGRP_SLOT_NAME		"kipc-slot"
/*
 * A region's fd is named after the region: the slot's own handle. A
 * service's fd is the supervisor's (one listening file shared by all).
 */

/*
 * How often a worker waiting in kipc_group_recv() or kipc_group_send()
 * beats: a watchdog must allow twice that, or it kills idle workers.
 */
#define KGRP_TICK_MS		100
#define KGRP_WATCHDOG_MIN_MS	(2 * KGRP_TICK_MS)

/*
 * The least inline size of a service's connections that an RPC server
 * can answer on (a header and its welcome), and the largest depth a
 * client takes in a welcome.
 */
#define KGRP_SVC_INLINE_MIN	(KIPC_RPC_HDR_LEN + \
				 sizeof(struct kipc_rpc_welcome))
#define KGRP_SVC_DEPTH_MAX	INT32_MAX

#define kgrp_load(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define kgrp_store(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

/*
 * The sender's uid that a receive descriptor holds until the kernel
 * delivers into it. A receive writes the uid as the receiver's user
 * namespace sees it (kmod/chan_io.c, kipc_recv_put_msg():
 * from_kuid_munged()), which is never (uid_t)-1: an unmapped uid is the
 * overflow uid, at most 65535. It is written last of the receive's
 * outputs, after the message's bytes, buffer references, tag and the rest
 * of the descriptor; then comes the dequeue's commit (the buffers become
 * the slot handle's), which cannot fail: a uid written is a message
 * delivered (selftests: security_recv_test, uid_is_written_last). The
 * tag is no such mark: a raw send (kipc_channel_send()) may carry 0.
 */
#define KGRP_UID_NONE		UINT32_MAX

/*
 * A slot's lease as it stands: RECEIVING with the sender's uid written is
 * a message the kernel delivered into the slot, held (its holder ended
 * before it could say so). *@tag (if not NULL): its sequence number, the
 * one read (the slot is its worker's to write: read once).
 */
static inline uint32_t kgrp_lease_now(const struct kgrp_slot *sl,
				      uint64_t *tag)
{
	uint32_t lease = kgrp_load(&sl->lease);
	uint32_t uid = kgrp_load(&sl->msg.uid);

	if (tag)
		*tag = kgrp_load(&sl->msg.tag);
	if (lease == KGRP_LEASE_RECEIVING && uid != KGRP_UID_NONE)
		return KGRP_LEASE_HELD;
	return lease;
}

struct kipc_region;

/*
 * Give back to the pool every buffer a slot's handles @h (NULL: none)
 * own: outside a lease, none is anyone's message.
 */
void kipc__grp_release_strays(
	struct kipc_region *const h[KIPC_GROUP_MAX_REGIONS]);

/*
 * In a function worker, forked from a supervisor that may be a worker
 * itself: forget the SIGTERM that process saw and its eventfd, which the
 * child closed (group_worker.c).
 */
void kipc__grp_worker_forked(void);

#endif /* LIBKIPC_GROUP_H */
