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
 *   lend queue fd  -> struct kipc_lendq (kref; also one per live lend)
 *   lent range     -> struct kipc_lend (kref: the message carrying it, the
 *                     receiver's mapping file); its pins, their charge on
 *                     the sending user (kipc_user and cred refs)
 *   name           -> the region, or the channel and one count of its end
 *
 * Locking at a glance (outer first; lockdep checks each "_locked" helper
 * and each function documented as called with a lock held):
 *   kipc_names_lock (mutex, names.c)
 *     -> a channel's lock (chan.c)         -> its region's pool_lock
 *     -> a region's words lock (waitq.c: holders, waiting holders)
 *     -> an object index's xarray lock (obj.c)
 *   a lend queue's reap_mutex (lend.c)     -> the queue's lock
 *   a wait-queue bucket lock (waitq.c); two at once in address order
 *     -> a region's words lock (waking a waiter uncounts it), one at a time
 *   kipc_users_lock (limits.c): innermost, never held while taking another
 * No kipc spinlock is held while sleeping, copying to or from user space,
 * mapping or unmapping (vm_mmap()/vm_munmap() of lent ranges take the
 * caller's mmap lock) or dropping a reference that may be the last.
 * Netlink holds no kipc lock across messages: each object's state is
 * copied under its own lock, with a reference taken by kipc_obj_next().
 */
#ifndef _KIPC_INTERNAL_H
#define _KIPC_INTERNAL_H

#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/jump_label.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <linux/kipc.h>

struct cred;
struct ipc_namespace;
struct user_struct;

/* limits.c: module parameters and per-user accounting */

/**
 * enum kipc_user_res - what one user may hold up to a cap
 * @KIPC_RES_REGIONS: regions (max_regions_per_user)
 * @KIPC_RES_CHANNELS: channels (max_channels_per_user)
 * @KIPC_RES_LENDQS: lend queues (max_lendqs_per_user)
 * @KIPC_RES_NAMES: published names (max_names_per_user)
 * @KIPC_RES_INFLIGHT: kernel bytes of queued messages
 *	(max_inflight_bytes_per_user)
 * @KIPC_RES_POOL: kernel bytes of buffer-pool bookkeeping
 *	(max_pool_bytes_per_user)
 * @KIPC_RES_SERVICES: services (max_services_per_user)
 * @KIPC_RES_REGION_BYTES: bytes of regions, their sizes
 *	(max_region_bytes_per_user)
 * @KIPC_RES_NR: the number of resources
 */
enum kipc_user_res {
	KIPC_RES_REGIONS,
	KIPC_RES_CHANNELS,
	KIPC_RES_LENDQS,
	KIPC_RES_NAMES,
	KIPC_RES_INFLIGHT,
	KIPC_RES_POOL,
	KIPC_RES_SERVICES,
	KIPC_RES_REGION_BYTES,
	KIPC_RES_NR,
};

/**
 * struct kipc_user - what one user holds, for the per-user caps
 * @node: in kipc_users, under kipc_users_lock
 * @uid: the user (kipc_user_key())
 * @ref: one per context, and one per object or charge of the user
 * @used: per enum kipc_user_res, what the user holds
 * @pinned: pages the user has lent and that are still pinned
 */
struct kipc_user {
	struct hlist_node node;
	kuid_t uid;
	refcount_t ref;
	atomic_long_t used[KIPC_RES_NR];
	atomic_long_t pinned;
};

/**
 * struct kipc_user_stat - a user's usage and limits, for netlink
 * @uid: the user
 * @used: per enum kipc_user_res, what the user holds
 * @limit: per enum kipc_user_res, its cap
 * @pinned: pages lent and pinned
 */
struct kipc_user_stat {
	kuid_t uid;
	u64 used[KIPC_RES_NR];
	u64 limit[KIPC_RES_NR];
	u64 pinned;
};

kuid_t kipc_user_key(const struct cred *cred);
struct kipc_user *kipc_user_get(kuid_t uid);
struct kipc_user *kipc_user_current(void);
void kipc_user_hold(struct kipc_user *user);
void kipc_user_put(struct kipc_user *user);
unsigned long kipc_user_limit(enum kipc_user_res res);
int kipc_user_charge(struct kipc_user *user, enum kipc_user_res res,
		     unsigned long n);
void kipc_user_uncharge(struct kipc_user *user, enum kipc_user_res res,
			unsigned long n);
int kipc_user_pin(struct kipc_user *user, unsigned long nr);
void kipc_user_unpin(struct kipc_user *user, struct user_struct *u,
		     unsigned long nr);
int kipc_user_next_stat(u64 uid, struct kipc_user_stat *st);
int kipc_may_open(void);

u64 kipc_max_region_bytes(void);
u32 kipc_default_depth(void);
u32 kipc_max_depth(void);
u64 kipc_max_lend_bytes(void);
u32 kipc_max_lendq_entries(void);
u32 kipc_max_names(void);
u32 kipc_max_backlog(void);

#define KIPC_DEFAULT_BACKLOG	128

#define KIPC_DEFAULT_INLINE	4096
#define KIPC_MAX_INLINE		65536

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
	KIPC_STAT_WORD_WAITS,
	KIPC_STAT_WORD_WAKES,
	KIPC_STAT_LENDQS_CREATED,
	KIPC_STAT_LENDQS_DESTROYED,
	KIPC_STAT_NAMES_CREATED,
	KIPC_STAT_NAMES_DESTROYED,
	KIPC_STAT_SERVICES_CREATED,
	KIPC_STAT_SERVICES_DESTROYED,
	KIPC_STAT_CONNECTIONS,
	KIPC_STAT_RECV_POLLS,
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
/* Counting on (module parameter "stats"); a patched jump when off. */
DECLARE_STATIC_KEY_TRUE(kipc_stats_on);

/* Count @n more of @stat on this CPU. Context: any. */
static inline void kipc_stat_add(enum kipc_stat stat, u64 n)
{
	if (static_branch_likely(&kipc_stats_on))
		this_cpu_add(kipc_stats.count[stat], n);
}

/* Count one more of @stat on this CPU. Context: any. */
static inline void kipc_stat_inc(enum kipc_stat stat)
{
	if (static_branch_likely(&kipc_stats_on))
		this_cpu_inc(kipc_stats.count[stat]);
}

void kipc_stats_read(struct kipc_stats *sum);
enum kipc_send_fail_reason kipc_send_fail_reason(int err);
enum kipc_send_fail_reason kipc_stat_send_failed(int err);

/* obj.c: the life every region, channel, lend queue and name shares */

struct kipc_obj;

/**
 * struct kipc_obj_ops - what differs between the types of objects
 * @type: the type, as netlink names it
 * @res: the per-user cap one object of the type counts against
 * @created: the counter of objects published
 * @destroyed: the counter of published objects destroyed
 * @release: drops what the container holds, before its memory is freed;
 *	copes with a container that was never published or fully built;
 *	NULL when it holds nothing
 */
struct kipc_obj_ops {
	enum kipc_obj_type type;
	enum kipc_user_res res;
	enum kipc_stat created;
	enum kipc_stat destroyed;
	void (*release)(struct kipc_obj *obj);
};

/**
 * struct kipc_obj - the part every kipc object shares; the first member
 *	of its container
 * @ref: the object's references (files, channels bound to a region,
 *	names, netlink walkers)
 * @ops: its type
 * @user: its creator, charged for it (a reference)
 * @pid: the creating process, for netlink listings (a reference)
 * @id: its id in its type's index, 0 until published
 * @count_returned: its count of @ops->res went back to @user early
 *	(kipc_obj_return_count())
 * @rcu: the memory is freed after a grace period, so that walkers of the
 *	index may try kref_get_unless_zero() on what they find
 */
struct kipc_obj {
	struct kref ref;
	const struct kipc_obj_ops *ops;
	struct kipc_user *user;
	struct pid *pid;
	u32 id;
	bool count_returned;
	struct rcu_head rcu;
};

typedef void kipc_obj_event_fn(u8 cmd, enum kipc_obj_type type, u64 id,
			       kuid_t owner, enum kipc_send_fail_reason reason,
			       int err);

int kipc_obj_init(struct kipc_obj *obj, const struct kipc_obj_ops *ops,
		  struct kipc_user *user);
void kipc_obj_return_count(struct kipc_obj *obj);
int kipc_obj_publish(struct kipc_obj *obj);
void kipc_obj_get(struct kipc_obj *obj);
void kipc_obj_put(struct kipc_obj *obj);
struct kipc_obj *kipc_obj_next(enum kipc_obj_type type, u64 id,
			       bool (*visible)(const struct kipc_obj *obj,
					       void *arg),
			       void *arg);
struct kipc_obj *kipc_obj_find(enum kipc_obj_type type, u64 id,
			       bool (*visible)(const struct kipc_obj *obj,
					       void *arg),
			       void *arg);
void kipc_obj_set_event_sink(kipc_obj_event_fn *fn);
void kipc_obj_event(const struct kipc_obj *obj, u8 cmd,
		    enum kipc_send_fail_reason reason, int err);
void kipc_obj_init_indexes(void);
void kipc_obj_exit_indexes(void);

/*
 * The last send end (@receivers_gone false) or the last receive end
 * (@receivers_gone true: reason pipe) of a channel closed. Context: any.
 */
static inline void kipc_event_peer_closed(const struct kipc_obj *obj,
					  bool receivers_gone)
{
	kipc_obj_event(obj, KIPC_CMD_PEER_CLOSED,
		       receivers_gone ? KIPC_SEND_FAIL_REASON_PIPE : 0, 0);
}

/* A send found a channel full. Context: any. */
static inline void kipc_event_queue_full(const struct kipc_obj *obj)
{
	kipc_obj_event(obj, KIPC_CMD_QUEUE_FULL, 0, 0);
}

/*
 * A send on a channel failed with @err (negative errno): counts it by
 * reason and announces it. Context: any.
 */
static inline void kipc_event_send_failed(const struct kipc_obj *obj, int err)
{
	kipc_obj_event(obj, KIPC_CMD_SEND_FAILED, kipc_stat_send_failed(err),
		       err);
}

/* main.c: the context */

/**
 * struct kipc_ctx - an open file of /dev/kipc
 * @user: the opener; objects created on the context are charged to it
 */
struct kipc_ctx {
	struct kipc_user *user;
};

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

int kipc_deadline_init(struct kipc_deadline *dl, bool set, u32 clockid,
		       u64 timeout_ns);
int kipc_sleep(const struct kipc_deadline *dl);
int kipc_wait_until(wait_queue_head_t *wq, bool (*ready)(void *arg),
		    void *arg, const struct kipc_deadline *dl);
int kipc_wait_polled(wait_queue_head_t *wq, bool (*ready)(void *arg),
		     void *arg, const struct kipc_deadline *dl, u32 *poll_ns);

/**
 * kipc_wake_all_poll() - wake every waiter of @wq, for a state that lasts
 * @wq: the wait queue
 * @events: the poll events of the state
 *
 * wake_up_interruptible_poll() stops at the first EPOLLEXCLUSIVE epoll
 * entry it wakes: right for an event that one waiter takes (a message,
 * room for one), wrong for a state every waiter must see (end of stream,
 * the last peer gone), after which no wake-up comes for the others. Pipes
 * wake all their waiters on such changes too.
 */
static inline void kipc_wake_all_poll(wait_queue_head_t *wq, __poll_t events)
{
	__wake_up(wq, TASK_INTERRUPTIBLE, 0, poll_to_key(events));
}

/* waitq.c: futex-style wait queues on region words */

/**
 * struct kipc_words - the wait-queue state of a region's words: owned by
 *	waitq.c, embedded in the region
 * @lock: protects @nr_holders, @nr_waiting_holders, @holder_closed,
 *	@judged, @waiting, @asleep and each holder's counts
 * @mapping: the region's pages; NULL once no handle or name holds it
 * @bytes: the region's size
 * @nr_holders: open handles of the region
 * @nr_waiting_holders: holders with waiters (on @waiting or @asleep); a
 *	death needs all of them, as a holder with no waiter is awake
 * @holder_closed: a holder has gone since the last one was added
 * @judged: the waiters of the words that have judged whether they
 *	count (struct kipc_waiter's @wnode): the ones a death wakes
 * @waiting: holders with waiters to judge (struct kipc_words_holder):
 *	counted or uncounted since last found asleep, the latest first
 * @asleep: holders with waiters found asleep, and unchanged since
 * @waits: waits queued on the words, for netlink
 * @wakes: waiters of the words woken, for netlink
 * @wait_ns: time waiters spent queued, for netlink
 */
struct kipc_words {
	spinlock_t lock;	/* the counts, the lists and each holder */
	struct address_space *mapping;
	u64 bytes;
	u32 nr_holders;
	u32 nr_waiting_holders;
	bool holder_closed;
	struct list_head judged;
	struct list_head waiting;
	struct list_head asleep;
	atomic64_t waits;
	atomic64_t wakes;
	atomic64_t wait_ns;
};

/**
 * struct kipc_words_holder - a region handle, as the wait queue sees it;
 *	every field under the words' lock
 * @group: the process (its signal_struct, compared, and read only while
 *	@nr_waiting holds one of its tasks) of the handle's waiters
 * @nr_waiting: tasks of @group waiting through the handle
 * @nr_other: tasks of other processes waiting through it: a handle two
 *	processes wait through is never asleep, as one may wake the other
 * @waiting: in the words' @waiting or @asleep list while it has waiters
 *
 * The handle is asleep when @nr_waiting covers every live thread of
 * @group and nobody else waits through it: nobody runs to wake anyone
 * through it.
 */
struct kipc_words_holder {
	struct signal_struct *group;
	u32 nr_waiting;
	u32 nr_other;
	struct list_head waiting;
};

/**
 * struct kipc_wait_key - one word to wait on
 * @words: the words of its region
 * @holder: the handle it is reached through (its file held by the caller)
 * @offset: the word's offset in the region
 * @val: the value it must hold for the caller to sleep
 * @bitset: wakers accepted; 0 for all
 */
struct kipc_wait_key {
	struct kipc_words *words;
	struct kipc_words_holder *holder;
	u64 offset;
	u32 val;
	u32 bitset;
};

int kipc_waitq_init(void);
void kipc_waitq_exit(void);
void kipc_words_init(struct kipc_words *w, struct address_space *mapping,
		     u64 bytes);
void kipc_words_hold(struct kipc_words *w);
void kipc_words_unhold(struct kipc_words *w, struct kipc_words_holder *h);
void kipc_words_stat(struct kipc_words *w, u64 *waits, u64 *wakes,
		     u64 *wait_ns);
int kipc_waitq_wait(const struct kipc_wait_key *keys, unsigned int n,
		    const struct kipc_deadline *dl);
int kipc_waitq_wake(struct kipc_words *w, u64 offset, u32 nr, u32 bitset);
int kipc_waitq_requeue(struct kipc_words *w, u64 offset, u32 val,
		       u32 nr_wake, u32 nr_requeue, u64 dst);

/* region.c: regions, their handles and their buffer pools */

struct kipc_region;

/**
 * struct kipc_region_handle - one file of a region; owns buffers
 * @region: the region (a reference)
 * @nr_owned: buffers this handle owns, under the region's pool_lock
 * @words: the handle as a holder of the region's words
 */
struct kipc_region_handle {
	struct kipc_region *region;
	u32 nr_owned;
	u64 gains;	/* buffers it came to own (pool_lock); never wraps */
	struct kipc_words_holder words;
};

struct file *kipc_region_new(struct kipc_user *user, u64 bytes,
			     u64 buf_size, unsigned int flags,
			     u32 *id, u32 *nr_bufs);
struct file *kipc_region_open(struct kipc_region *r, unsigned int flags);
struct kipc_region_handle *kipc_region_handle_of(const struct file *file);
struct kipc_region_handle *kipc_region_fget(u32 fd, struct file **filep);
void kipc_region_get(struct kipc_region *r);
void kipc_region_put(struct kipc_region *r);
bool kipc_region_held(const struct kipc_region *r);
void kipc_region_hold(struct kipc_region *r);
void kipc_region_unhold(struct kipc_region *r);
u32 kipc_region_id(const struct kipc_region *r);
kuid_t kipc_region_owner(const struct kipc_region *r);

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
int kipc_pool_alloc(struct kipc_region_handle *h, bool wait, u64 *offset,
		    u64 *gains);
int kipc_pool_release(struct kipc_region_handle *h, u64 offset);
void kipc_pool_unalloc(struct kipc_region_handle *h, u64 offset, u64 gains);

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
void kipc_bufs_drop_from_flight(struct kipc_region *r,
				const struct kipc_buf *bufs, unsigned int n);
void kipc_region_pool_wake(struct kipc_region *r);

struct kipc_words *kipc_region_words(struct kipc_region_handle *h);

/* chan.c: channels and their ends */

struct kipc_channel;
struct kipc_lend;

/**
 * struct kipc_kmsg - a message queued on a channel
 * @node: in the channel's queue, under its lock
 * @tag: the sender's tag
 * @pid: the sending process (a reference)
 * @uid: the sender's uid
 * @gid: the sender's gid
 * @charge: kernel bytes the message holds (its allocation and its lent
 *	ranges' bookkeeping), charged to the channel's user while queued
 * @queued_ns: ktime_get_ns() when it was queued, if kipc_msg_recv was
 *	being traced then; else 0
 * @data_len: inline bytes at @data
 * @room: inline bytes the allocation has room for
 * @nr_bufs: region buffers at @bufs
 * @bufs: the region buffers, in flight while queued
 * @nr_lends: lent ranges at @lends
 * @lends: the lent ranges (a reference each)
 * @data: the inline bytes
 */
struct kipc_kmsg {
	struct list_head node;
	u64 tag;
	struct pid *pid;
	kuid_t uid;
	kgid_t gid;
	unsigned long charge;
	u64 queued_ns;
	u32 data_len;
	u32 room;
	u32 nr_bufs;
	struct kipc_buf bufs[KIPC_MSG_BUFS_MAX];
	u32 nr_lends;
	bool bufs_lost;		/* its buffers' region went: KIPC_MSG_BUFS_LOST */
	bool charge_moved;	/* charged to the channel's creator, not payer */
	u32 seq;		/* its place in the channel's sends (wraps) */
	struct kipc_lend *lends[KIPC_MSG_LENDS_MAX];
	u8 data[];
};

/* Flags of kipc_channel_new(), above the O_* bits of the end files. */
#define KIPC_CHAN_ECRED	BIT(31)	/* messages carry effective uid and gid */

int kipc_channel_new(struct kipc_user *user, struct kipc_user *payer,
		     u32 depth, u32 max_inline, struct kipc_region *region,
		     unsigned int flags, struct file **send,
		     struct file **recv, u32 *id);
struct kipc_kmsg *kipc_kmsg_alloc(struct kipc_channel *c, u32 data_len);
void kipc_kmsg_free(struct kipc_channel *c, struct kipc_kmsg *m);
struct kipc_channel *kipc_channel_of_send(const struct file *file);
struct kipc_channel *kipc_channel_of_recv(const struct file *file);
u32 kipc_channel_max_inline(const struct kipc_channel *c);
struct kipc_region *kipc_channel_region(const struct kipc_channel *c);
void kipc_channel_send_failed(struct kipc_channel *c, int err);
int kipc_channel_enqueue(struct kipc_channel *c, struct kipc_region_handle *h,
			 struct kipc_kmsg *m, bool effective, bool wait,
			 const struct kipc_deadline *dl);
struct kipc_kmsg *kipc_channel_dequeue(struct kipc_channel *c,
				       struct kipc_region_handle *h,
				       u32 data_room, u32 bufs_room, u32 lends_room,
				       bool wait, const struct kipc_deadline *dl,
				       int *err);
void kipc_channel_dequeue_commit(struct kipc_channel *c,
				 struct kipc_region_handle *h,
				 struct kipc_kmsg *m);
void kipc_channel_dequeue_undo(struct kipc_channel *c, struct kipc_kmsg *m);

struct file *kipc_channel_new_end(struct kipc_channel *c, bool send,
				  unsigned int flags);
int kipc_channel_end_get(struct kipc_channel *c, bool send);
void kipc_channel_end_put(struct kipc_channel *c, bool send);
u32 kipc_channel_id(const struct kipc_channel *c);
kuid_t kipc_channel_owner(const struct kipc_channel *c);

/* lend.c: lent user pages and the lend queues that report their return */

struct kipc_lendq;

struct file *kipc_lendq_new(struct kipc_user *user, unsigned int flags);
struct kipc_lendq *kipc_lendq_of(const struct file *file);
struct kipc_lend *kipc_lend_create(struct kipc_lendq *q, u64 addr, u64 len,
				   u64 cookie);
void kipc_lend_put(struct kipc_lend *l);
void kipc_lend_set_sent(struct kipc_lend *l, bool sent);
void kipc_lend_set_delivered(struct kipc_lend *l);
unsigned long kipc_lend_footprint(const struct kipc_lend *l);
u64 kipc_lend_len(const struct kipc_lend *l);
int kipc_lend_map(struct kipc_lend *l, u64 *addr);
void kipc_lend_unmap(struct kipc_lend *l, u64 addr, u64 len);
int kipc_lend_reap(struct kipc_lendq *q,
		   int (*emit)(void *arg, u32 done,
			       const struct kipc_lend_completion *c, u32 n),
		   void *arg, u32 n, bool wait, u32 *nr_outstanding);

/* service.c: services, the connections waiting on them */

struct kipc_service;
struct kipc_conn;

struct file *kipc_service_new(struct kipc_user *user, u32 backlog, u32 depth,
			      u32 max_inline, struct kipc_region *region,
			      unsigned int flags, u32 *id);
struct kipc_service *kipc_service_of(const struct file *file);
struct file *kipc_service_open(struct kipc_service *s, unsigned int flags);
void kipc_service_get(struct kipc_service *s);
void kipc_service_put(struct kipc_service *s);
u32 kipc_service_id(const struct kipc_service *s);
kuid_t kipc_service_owner(const struct kipc_service *s);

/**
 * struct kipc_conn_ends - the two ends of a connection one side gets
 * @send: the send end (requests for a client, replies for a server)
 * @recv: the receive end
 * @id: the connection's id, its request channel's
 * @reply_id: its reply channel's id
 * @pid: the peer process (a reference)
 * @euid: the peer's effective uid when it connected or created the service
 * @egid: its effective gid then
 */
struct kipc_conn_ends {
	struct file *send;
	struct file *recv;
	u32 id;
	u32 reply_id;
	struct pid *pid;
	kuid_t euid;
	kgid_t egid;
};

int kipc_service_connect(struct kipc_service *s, struct kipc_user *user,
			 unsigned int flags, bool wait,
			 const struct kipc_deadline *dl,
			 struct kipc_conn_ends *ends);
struct kipc_conn *kipc_service_accept(struct kipc_service *s, bool wait,
				      const struct kipc_deadline *dl,
				      unsigned int flags,
				      struct kipc_conn_ends *ends);
void kipc_service_unaccept(struct kipc_service *s, struct kipc_conn *conn);
void kipc_conn_free(struct kipc_conn *conn);

/* names.c: regions and channel ends published in an IPC namespace */

/**
 * struct kipc_name_req - an open by name, checked and copied in
 * @name: the name, NUL-terminated
 * @create: publish @file's object if the name is absent
 * @excl: with @create, fail if the name is present
 * @file: with @create, the region or channel end to publish
 * @mode: with @create, the permission bits of a new name
 * @flags: O_CLOEXEC and O_NONBLOCK for the new file
 * @user: the caller's context's user, charged for a new name
 */
struct kipc_name_req {
	char name[KIPC_NAME_MAX + 1];
	bool create;
	bool excl;
	struct file *file;
	umode_t mode;
	unsigned int flags;
	struct kipc_user *user;
};

struct kipc_name;
struct file *kipc_name_resolve(const struct kipc_name_req *req, u32 *kind,
			       struct kipc_name **published, u32 *id);
struct kipc_service *kipc_name_service(const char *name);
void kipc_name_publish_end(struct kipc_name *n, bool keep);
int kipc_name_delete(const char *name);
void kipc_names_exit(void);

/* Largest argument struct a caller may pass, tail included. */
#define KIPC_ARG_SIZE_MAX	PAGE_SIZE

/* chan_io.c: send and receive batches, write(2) and read(2) of channel ends */
int kipc_chan_io_send(struct file *file, const struct kipc_io *io);
int kipc_chan_io_recv(struct file *file, const struct kipc_io *io);
int kipc_chan_io_call(struct file *file, struct kipc_call *call);
ssize_t kipc_send_write(struct file *file, const char __user *buf,
			size_t len, loff_t *ppos);
ssize_t kipc_recv_read(struct file *file, char __user *buf, size_t len,
		       loff_t *ppos);

/* ioctl.c: the unlocked_ioctl of each kind of file */
long kipc_ctx_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long kipc_region_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long kipc_send_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long kipc_recv_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long kipc_lendq_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long kipc_service_ioctl(struct file *file, unsigned int cmd,
			unsigned long arg);

/**
 * struct kipc_nl_region_stat - a region's state, as netlink lists it
 * @bytes: size of the region
 * @buf_size: size of each buffer, 0 without a pool
 * @nr_bufs: buffers in the pool
 * @nr_free: buffers free
 * @nr_in_flight: buffers queued on channels
 * @word_waits: waits queued on the region's words since creation
 * @word_wakes: waiters of its words woken since creation
 * @word_wait_ns: time waiters of its words spent queued
 */
struct kipc_nl_region_stat {
	u64 bytes;
	u64 buf_size;
	u32 nr_bufs;
	u32 nr_free;
	u32 nr_in_flight;
	u64 word_waits;
	u64 word_wakes;
	u64 word_wait_ns;
};

/**
 * struct kipc_nl_chan_stat - a channel's state, as netlink lists it
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
	u32 depth;
	u32 queued;
	u32 max_inline;
	u32 senders;
	u32 receivers;
	u64 region_id;
	u64 msgs_sent;
	u64 msgs_received;
};

/**
 * struct kipc_nl_lendq_stat - a lend queue's state, as netlink lists it
 * @lent: ranges lent and not yet returned
 * @completions: completions waiting to be reaped
 */
struct kipc_nl_lendq_stat {
	u32 lent;
	u32 completions;
};

/**
 * struct kipc_nl_name_stat - a name, as netlink lists it (all of it is
 *	fixed when the name is published)
 * @name: the name, NUL-terminated
 * @kind: KIPC_NAME_REGION, KIPC_NAME_SEND, KIPC_NAME_RECV or
 *	KIPC_NAME_SERVICE
 * @target_id: id of the region, channel or service
 * @uid: the name's owner
 * @gid: the name's group
 * @mode: its permission bits
 */
struct kipc_nl_name_stat {
	const char *name;
	u32 kind;
	u64 target_id;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
};

/**
 * struct kipc_nl_service_stat - a service's state, as netlink lists it
 * @backlog: the most connections waiting
 * @pending: connections waiting now
 * @listeners: open service files
 * @accepted: connections accepted since creation
 * @depth: depth of each connection's channels (0: the default)
 * @max_inline: inline bytes per message (0: the default)
 * @region_id: id of the bound region, 0 if none
 */
struct kipc_nl_service_stat {
	u32 backlog;
	u32 pending;
	u32 listeners;
	u64 accepted;
	u32 depth;
	u32 max_inline;
	u64 region_id;
};

/*
 * The state of an object netlink found, copied under the object's lock.
 * Context: process context; the caller holds a reference on @obj.
 */
void kipc_region_nl_stat(struct kipc_obj *obj, struct kipc_nl_region_stat *st);
void kipc_channel_nl_stat(struct kipc_obj *obj, struct kipc_nl_chan_stat *st);
void kipc_lendq_nl_stat(struct kipc_obj *obj, struct kipc_nl_lendq_stat *st);
void kipc_name_nl_stat(struct kipc_obj *obj, struct kipc_nl_name_stat *st);
void kipc_service_nl_stat(struct kipc_obj *obj,
			  struct kipc_nl_service_stat *st);
bool kipc_name_in_ns(const struct kipc_obj *obj,
		     const struct ipc_namespace *ns);

/*
 * Netlink (netlink.c): the generic netlink family "kipc". Events are
 * multicast to the "events" group (CAP_SYS_ADMIN to subscribe) in the
 * initial network namespace; they cost one test when nobody listens.
 */
int kipc_nl_init(void);
void kipc_nl_exit(void);

#endif /* _KIPC_INTERNAL_H */
