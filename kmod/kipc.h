/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc internal interfaces shared by the files of the module.
 *
 * Ownership at a glance:
 *   context file   -> struct kipc_ctx         (freed in its release)
 *   region fd      -> struct kipc_region_handle -> struct kipc_region (kref)
 *   channel ends   -> struct kipc_channel (kref; one per end file)
 *   channel        -> its region (kref), its queued messages
 *   every object   -> struct kipc_user of its creator (refcount)
 */
#ifndef _KIPC_INTERNAL_H
#define _KIPC_INTERNAL_H

#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/kipc.h>

/* limits.c: module parameters and per-user accounting */

/**
 * struct kipc_user - what one user holds, for the per-user caps
 * @node: in kipc_users, under kipc_users_lock
 * @uid: the user
 * @ref: one per context, region and channel charged to the user
 * @nr_regions: regions charged to the user
 * @nr_channels: channels charged to the user
 * @inflight: inline bytes queued on the user's channels
 */
struct kipc_user {
	struct hlist_node node;
	kuid_t uid;
	refcount_t ref;
	atomic_t nr_regions;
	atomic_t nr_channels;
	atomic_long_t inflight;
};

struct kipc_user *kipc_user_get(kuid_t uid);
void kipc_user_hold(struct kipc_user *user);
void kipc_user_put(struct kipc_user *user);
int kipc_user_charge_region(struct kipc_user *user);
void kipc_user_uncharge_region(struct kipc_user *user);
int kipc_user_charge_channel(struct kipc_user *user);
void kipc_user_uncharge_channel(struct kipc_user *user);
int kipc_user_charge_inflight(struct kipc_user *user, size_t bytes);
void kipc_user_uncharge_inflight(struct kipc_user *user, size_t bytes);

u64 kipc_max_region_bytes(void);
u32 kipc_default_depth(void);
u32 kipc_max_depth(void);

#define KIPC_DEFAULT_INLINE	4096
#define KIPC_MAX_INLINE		65536

/* main.c: the context */

/**
 * struct kipc_ctx - an open file of /dev/kipc
 * @user: the opener; objects created on the context are charged to it
 */
struct kipc_ctx {
	struct kipc_user *user;
};

bool kipc_file_is_ctx(const struct file *file);

/* wait.c: sleeping with an optional absolute deadline */

/**
 * struct kipc_deadline - when a blocking call gives up
 * @set: false to wait without a deadline
 * @clock: CLOCK_MONOTONIC or CLOCK_REALTIME
 * @expires: absolute time on @clock
 */
struct kipc_deadline {
	bool set;
	clockid_t clock;
	ktime_t expires;
};

int kipc_wait_until(wait_queue_head_t *wq, bool (*ready)(void *arg),
		    void *arg, const struct kipc_deadline *dl);

/* region.c: regions, their handles and their buffer pools */

struct kipc_region;

/**
 * struct kipc_region_handle - one file of a region; owns buffers
 * @region: the region (a reference)
 * @nr_owned: buffers this handle owns, under the region's pool_lock
 * @nr_waiting: tasks waiting on the region's words through this handle,
 *	under the region's pool_lock
 */
struct kipc_region_handle {
	struct kipc_region *region;
	u32 nr_owned;
	u32 nr_waiting;
};

struct file *kipc_region_create(struct kipc_user *user, u64 bytes,
				u64 buf_size, unsigned int flags,
				u32 *id, u32 *nr_bufs);
struct file *kipc_region_attach(struct kipc_region_handle *h,
				unsigned int flags);
struct kipc_region_handle *kipc_region_handle_of(const struct file *file);
void kipc_region_get(struct kipc_region *r);
void kipc_region_put(struct kipc_region *r);
u32 kipc_region_id(const struct kipc_region *r);

/**
 * struct kipc_region_stat - a snapshot of a region, for REGION_INFO
 * @bytes: size of the region
 * @buf_size: size of each buffer, 0 without a pool
 * @id: the region's id
 * @nr_bufs: buffers in the pool
 * @nr_free: buffers free
 * @nr_owned: buffers owned by the handle asked
 * @nr_in_flight: buffers queued on channels
 */
struct kipc_region_stat {
	u64 bytes;
	u64 buf_size;
	u32 id;
	u32 nr_bufs;
	u32 nr_free;
	u32 nr_owned;
	u32 nr_in_flight;
};

void kipc_region_stat(struct kipc_region_handle *h, struct kipc_region_stat *st);
int kipc_buf_alloc(struct kipc_region_handle *h, bool wait, u64 *offset);
int kipc_buf_release(struct kipc_region_handle *h, u64 offset);

/**
 * struct kipc_buf - a region buffer carried by a message
 * @index: the buffer's index in its region's pool
 * @len: payload bytes
 */
struct kipc_buf {
	u32 index;
	u32 len;
};

int kipc_bufs_check(struct kipc_region *r, const struct kipc_buf_ref *refs,
		    struct kipc_buf *bufs, unsigned int n);
u64 kipc_buf_offset(const struct kipc_region *r, const struct kipc_buf *b);
int kipc_bufs_to_flight(struct kipc_region_handle *h, const struct kipc_buf *bufs,
			unsigned int n);
void kipc_bufs_from_flight(struct kipc_region *r, struct kipc_region_handle *to,
			   const struct kipc_buf *bufs, unsigned int n);

bool kipc_region_word_ok(const struct kipc_region *r, u64 offset);
int kipc_region_word_page(struct kipc_region *r, u64 offset, struct page **page);
int kipc_region_wait_enter(struct kipc_region_handle *h, u32 *dead_seq);
void kipc_region_wait_exit(struct kipc_region_handle *h);
u32 kipc_region_dead_seq(const struct kipc_region *r);

/* waitq.c: futex-style wait queues on region words */

/**
 * struct kipc_wait_key - one word to wait on
 * @h: the handle it is reached through (its file held by the caller)
 * @offset: the word's offset in the region
 * @val: the value it must hold for the caller to sleep
 * @bitset: wakers accepted; 0 for all
 */
struct kipc_wait_key {
	struct kipc_region_handle *h;
	u64 offset;
	u32 val;
	u32 bitset;
};

int kipc_waitq_init(void);
void kipc_waitq_exit(void);
int kipc_waitv(const struct kipc_wait_key *keys, unsigned int n,
	       const struct kipc_deadline *dl);
int kipc_wake(struct kipc_region_handle *h, u64 offset, u32 nr, u32 bitset);
int kipc_requeue(struct kipc_region_handle *h, u64 offset, u32 val,
		 u32 nr_wake, u32 nr_requeue, u64 dst);
void kipc_waitq_region_dead(struct kipc_region *r);

/* chan.c: channels and their ends */

struct kipc_channel;

/**
 * struct kipc_kmsg - a message queued on a channel
 * @node: in the channel's queue, under its lock
 * @tag: the sender's tag
 * @pid: the sending process (a reference)
 * @uid: the sender's uid
 * @gid: the sender's gid
 * @data_len: inline bytes at @data
 * @nr_bufs: region buffers at @bufs
 * @bufs: the region buffers, in flight while queued
 * @data: the inline bytes
 */
struct kipc_kmsg {
	struct list_head node;
	u64 tag;
	struct pid *pid;
	kuid_t uid;
	kgid_t gid;
	u32 data_len;
	u32 nr_bufs;
	struct kipc_buf bufs[KIPC_MSG_BUFS_MAX];
	u8 data[];
};

struct kipc_kmsg *kipc_kmsg_alloc(u32 data_len);
void kipc_kmsg_free(struct kipc_kmsg *m);

int kipc_channel_create(struct kipc_user *user, u32 depth, u32 max_inline,
			struct kipc_region_handle *region,
			unsigned int flags, struct file **send,
			struct file **recv, u32 *id);
struct kipc_channel *kipc_channel_of_send(const struct file *file);
struct kipc_channel *kipc_channel_of_recv(const struct file *file);
u32 kipc_channel_max_inline(const struct kipc_channel *c);
struct kipc_region *kipc_channel_region(const struct kipc_channel *c);
int kipc_channel_send(struct kipc_channel *c, struct kipc_region_handle *h,
		      struct kipc_kmsg *m, bool wait,
		      const struct kipc_deadline *dl);
struct kipc_kmsg *kipc_channel_recv(struct kipc_channel *c,
				    struct kipc_region_handle *h,
				    u32 data_room, u32 bufs_room, bool wait,
				    const struct kipc_deadline *dl, int *err);
void kipc_channel_unrecv(struct kipc_channel *c, struct kipc_region_handle *h,
			 struct kipc_kmsg *m);

/* ioctl.c */
long kipc_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _KIPC_INTERNAL_H */
