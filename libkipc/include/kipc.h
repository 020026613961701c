/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc: the userspace library of kipc, kernel-assisted zero-copy IPC.
 *
 * Every function returns 0 (or a non-negative count) on success and a
 * negative errno on failure; errno itself means nothing after a call (the
 * system calls behind it may change it, on success too). Handles are opaque;
 * every handle has an accessor for its file descriptor so callers can use
 * their own event loop.
 */
#ifndef LIBKIPC_KIPC_H
#define LIBKIPC_KIPC_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The functions this header defines (kipc_buf_ptr(), kipc_msg_init(),
 * kipc_msg_lend()) are inline in C and C++ programs. libkipc-ffi, for
 * bindings from other languages, also exports them as functions: it
 * defines KIPC_INLINE before including this header.
 */
#ifndef KIPC_INLINE
#define KIPC_INLINE static inline
#endif

/*
 * The version of libkipc this header belongs to (the project's VERSION;
 * distinct from the module's KIPC_ABI_VERSION). KIPC_CHECK_VERSION(0, 7)
 * is true when the header is at least 0.7: code can test for functions of
 * a given release at compile time.
 */
#define KIPC_LIB_VERSION_MAJOR	0
#define KIPC_LIB_VERSION_MINOR	10
#define KIPC_CHECK_VERSION(major, minor)				\
	(KIPC_LIB_VERSION_MAJOR > (major) ||				\
	 (KIPC_LIB_VERSION_MAJOR == (major) &&				\
	  KIPC_LIB_VERSION_MINOR >= (minor)))

struct timespec;

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
 * Regions (KIPC_FEATURE_REGION): shared memory with an optional pool of
 * buffers whose ownership the kernel tracks. A struct kipc_region is one
 * region handle (a region fd) and its MAP_SHARED mapping.
 */
struct kipc_region;

/*
 * Library flags. The KIPC_FD_* bits of <linux/kipc.h> apply to file
 * descriptors. Every fd libkipc creates is close-on-exec: for those
 * KIPC_FD_CLOEXEC is accepted and implied, and KIPC_FD_NONBLOCK is
 * honoured. An fd the library adopts (kipc_region_open_fd() without
 * KIPC_REGION_OPEN_ATTACH, kipc_channel_from_fd()) keeps its flags, except
 * that KIPC_FD_CLOEXEC sets FD_CLOEXEC on it once the call can no longer
 * fail (kipc_service_from_fd() takes no flags: the fd keeps its own).
 * The library's own bits live above bit 15 so that they never collide
 * with the ABI's.
 */
#define KIPC_REGION_OPEN_ATTACH	(1U << 16) /* open_fd: take a private handle */
#define KIPC_REGION_NOMAP	(1U << 17) /* do not mmap the region */

/* A region's counters at one instant (KIPC_IOC_REGION_INFO). */
struct kipc_region_status {
	uint64_t bytes;		/* size of the region */
	uint64_t buf_size;	/* size of each buffer, 0 without a pool */
	uint64_t id;		/* the region's id (fdinfo, netlink) */
	uint32_t nr_bufs;	/* buffers in the pool */
	uint32_t nr_free;	/* buffers free */
	uint32_t nr_owned;	/* buffers owned by this handle */
	uint32_t nr_in_flight;	/* buffers queued on channels */
};

int kipc_region_create(struct kipc *k, uint64_t bytes, uint64_t buf_size,
		       unsigned int flags, struct kipc_region **rp);
int kipc_region_open_fd(int fd, unsigned int flags, struct kipc_region **rp);
int kipc_region_attach(struct kipc_region *r, unsigned int flags,
		       struct kipc_region **rp);
int kipc_region_close(struct kipc_region *r);
int kipc_region_fd(const struct kipc_region *r);
void *kipc_region_base(const struct kipc_region *r);
uint64_t kipc_region_size(const struct kipc_region *r);
uint64_t kipc_region_buf_size(const struct kipc_region *r);
int kipc_region_info(struct kipc_region *r, struct kipc_region_status *st);

/* Buffers of a region's pool, named by their offset in the region. */
#define KIPC_BUF_NONE		UINT64_MAX /* "no buffer" (kipc_buf_recv) */

int kipc_buf_alloc(struct kipc_region *r, uint64_t *offset);
int kipc_buf_release(struct kipc_region *r, uint64_t offset);

/*
 * The address of the buffer at @offset in this process's mapping of @r:
 * plain arithmetic on shared memory, no system call. @offset comes from
 * kipc_buf_alloc() or kipc_buf_recv(); @r must be mapped.
 */
KIPC_INLINE void *kipc_buf_ptr(const struct kipc_region *r, uint64_t offset)
{
	return (char *)kipc_region_base(r) + offset;
}

/*
 * Channels (KIPC_FEATURE_CHANNEL): a struct kipc_chan is one end, the send
 * end or the receive end, holding its fd.
 */
struct kipc_chan;

/* What kipc_channel_create() makes; zero in a field means the default. */
struct kipc_channel_attr {
	uint32_t depth;		 /* most messages queued; 0: module default */
	uint32_t max_inline;	 /* most inline bytes a message; 0: 4096 */
	struct kipc_region *region; /* bind to this region; NULL: unbound */
	unsigned int flags;	 /* KIPC_FD_NONBLOCK for both ends */
	unsigned int reserved[7]; /* must be zero */
};

/* Flags of kipc_channel_send() and kipc_channel_recv(). */
/*	KIPC_IO_NONBLOCK	   (<linux/kipc.h>) -EAGAIN instead of waiting */
#define KIPC_DEADLINE_REALTIME	(1U << 31) /* deadline is CLOCK_REALTIME */

/*
 * Fill one message descriptor (struct kipc_msg of <linux/kipc.h>). No lend
 * queue: lendq_fd is KIPC_NO_FD, so that lends without kipc_msg_lend()'s
 * queue fail (EBADF) instead of going to whatever fd 0 is.
 */
KIPC_INLINE void kipc_msg_init(struct kipc_msg *m, void *data,
			       uint32_t data_len, struct kipc_buf_ref *bufs,
			       uint32_t nr_bufs, uint64_t tag)
{
	m->data = (uint64_t)(uintptr_t)data;
	m->data_len = data_len;
	m->nr_bufs = nr_bufs;
	m->bufs = (uint64_t)(uintptr_t)bufs;
	m->tag = tag;
	m->pid = 0;
	m->uid = 0;
	m->gid = 0;
	m->reserved = 0;
	m->lends = 0;
	m->nr_lends = 0;
	m->lendq_fd = KIPC_NO_FD;
}

int kipc_channel_create(struct kipc *k, const struct kipc_channel_attr *attr,
			struct kipc_chan **tx, struct kipc_chan **rx);
int kipc_channel_pair(struct kipc *k, struct kipc_region *region,
		      struct kipc_chan **tx, struct kipc_chan **rx);
int kipc_channel_from_fd(int fd, unsigned int flags, struct kipc_chan **cp);
int kipc_channel_fd(const struct kipc_chan *c);
int kipc_channel_close(struct kipc_chan *c);

/* The names of libkipc 0.2, aliases of the three above. */
int kipc_chan_from_fd(int fd, unsigned int flags, struct kipc_chan **cp)
	__attribute__((deprecated("use kipc_channel_from_fd")));
int kipc_chan_fd(const struct kipc_chan *c)
	__attribute__((deprecated("use kipc_channel_fd")));
int kipc_chan_close(struct kipc_chan *c)
	__attribute__((deprecated("use kipc_channel_close")));

/*
 * The arrays of kipc_channel_send(), kipc_channel_recv() and the two
 * messages of kipc_call() are struct kipc_msg as this header defines it,
 * KIPC_MSG_SIZE_VER1 (64) bytes each: the library's API freezes the
 * descriptor at that size, and passes it to the kernel as the stride
 * whatever header a program was built with. Programs built against the
 * headers of libkipc 0.2 or 0.3 (48-byte descriptors) that pass arrays of
 * messages must be rebuilt.
 */
int kipc_channel_send(struct kipc_chan *tx, struct kipc_msg *msgs,
		      unsigned int n, unsigned int flags,
		      const struct timespec *deadline,
		      struct kipc_region *bufs_owner);
int kipc_channel_recv(struct kipc_chan *rx, struct kipc_msg *msgs,
		      unsigned int n, unsigned int flags,
		      const struct timespec *deadline,
		      struct kipc_region *bufs_owner);
int kipc_channel_send_bytes(struct kipc_chan *tx, const void *buf, size_t len,
			    uint64_t tag);
int kipc_channel_recv_bytes(struct kipc_chan *rx, void *buf, size_t cap,
			    size_t *len, uint64_t *tag);
int kipc_buf_send(struct kipc_chan *tx, struct kipc_region *r,
		  uint64_t offset, uint64_t len, uint64_t tag);
int kipc_buf_recv(struct kipc_chan *rx, struct kipc_region *r,
		  uint64_t *offset, uint64_t *len, uint64_t *tag);

/*
 * Services (KIPC_FEATURE_SERVICE): a server creates a service and publishes
 * it under a name (kipc_name_open() with KIPC_NAME_CREATE and the service's
 * fd); a client connects by that name and gets the send end of a private
 * request channel and the receive end of a private reply channel; the
 * server accepts and gets the other two ends. Messages on a connection
 * carry the sender's effective uid and gid.
 */
struct kipc_service;

/* What kipc_service_create() makes; zero in a field means the default. */
struct kipc_service_attr {
	uint32_t backlog;	 /* connections waiting for accept; 0: 128 */
	uint32_t depth;		 /* each connection's channels; 0: default */
	uint32_t max_inline;	 /* inline bytes a message; 0: 4096 */
	struct kipc_region *region; /* bind every connection to it; or NULL */
	unsigned int flags;	 /* KIPC_FD_NONBLOCK for the service fd */
	unsigned int reserved[7]; /* must be zero */
};

/* Who is at the other end of a connection, as the kernel saw it. */
struct kipc_peer {
	uint64_t id;		/* the connection's id (its request channel) */
	uint32_t pid;		/* the peer process, in the caller's pid ns */
	uint32_t uid;		/* its effective uid at connect (or create) */
	uint32_t gid;		/* its effective gid then */
};

/*
 * Flags of kipc_connect() and kipc_service_accept(): KIPC_FD_NONBLOCK for
 * the new channel ends, KIPC_CONN_NONBLOCK (<linux/kipc.h>) to fail with
 * -EAGAIN instead of waiting, KIPC_DEADLINE_REALTIME.
 */
int kipc_service_create(struct kipc *k, const struct kipc_service_attr *attr,
			struct kipc_service **sp);
int kipc_service_from_fd(int fd, struct kipc_service **sp);
int kipc_service_fd(const struct kipc_service *s);
int kipc_service_close(struct kipc_service *s);
int kipc_service_accept(struct kipc_service *s, unsigned int flags,
			const struct timespec *deadline, struct kipc_chan **rx,
			struct kipc_chan **tx, struct kipc_peer *client);
int kipc_connect(struct kipc *k, const char *name, unsigned int flags,
		 const struct timespec *deadline, struct kipc_chan **tx,
		 struct kipc_chan **rx, struct kipc_peer *server);
int kipc_call(struct kipc_chan *tx, struct kipc_chan *rx,
	      struct kipc_msg *send, struct kipc_msg *recv,
	      unsigned int flags, const struct timespec *deadline,
	      struct kipc_region *bufs_owner, int *sent);

/*
 * Wait queues (KIPC_FEATURE_WAIT): futex semantics on 32-bit words of a
 * region, keyed by (region, offset) so that processes mapping the region
 * at different addresses meet. @offset is 4-byte aligned and inside the
 * region. A @bitset of 0 (KIPC_BITSET_ANY) matches every waker or waiter.
 * A deadline is absolute, on CLOCK_MONOTONIC, or on CLOCK_REALTIME with
 * KIPC_DEADLINE_REALTIME in @flags; NULL waits without a deadline.
 */
#define KIPC_BITSET_ANY		0U

/** One word of kipc_waitv(). */
struct kipc_wait_entry {
	struct kipc_region *region;	/* a region handle */
	uint64_t offset;		/* the word */
	uint32_t val;			/* sleep while the word holds this */
	uint32_t bitset;		/* KIPC_BITSET_ANY or wakers to match */
};

int kipc_wait(struct kipc_region *r, uint64_t offset, uint32_t val,
	      uint32_t bitset, unsigned int flags,
	      const struct timespec *deadline);
int kipc_wake(struct kipc_region *r, uint64_t offset, uint32_t nr,
	      uint32_t bitset);
int kipc_waitv(struct kipc *k, const struct kipc_wait_entry *ents,
	       unsigned int n, unsigned int flags,
	       const struct timespec *deadline);
int kipc_requeue(struct kipc_region *r, uint64_t offset, uint32_t val,
		 uint32_t nr_wake, uint32_t nr_requeue, uint64_t dst_offset);

/*
 * A process-shared mutex and condition variable that live in a mapped
 * region (4-byte aligned); all-zero memory is an unlocked mutex and a
 * fresh condition variable. The region handle @r is the caller's own
 * handle of the region holding them. kipc_mutex_timedlock() and
 * kipc_cond_wait() take a deadline as kipc_wait() does. kipc_cond_wait()'s
 * relock may go on one second past it (a grace: a holder at the deadline
 * lets go in time); one that misses that too (the mutex held a whole
 * second past the deadline) returns -ENOLCK, the mutex not held.
 */
struct kipc_mutex {
	uint32_t word;		/* 0 unlocked, 1 locked, 2 locked + waiters */
};

struct kipc_cond {
	uint32_t seq;		/* bumped by every signal and broadcast */
};

#define KIPC_MUTEX_INIT		{ 0 }
#define KIPC_COND_INIT		{ 0 }

int kipc_mutex_lock(struct kipc_region *r, struct kipc_mutex *m);
int kipc_mutex_timedlock(struct kipc_region *r, struct kipc_mutex *m,
			 unsigned int flags, const struct timespec *deadline);
int kipc_mutex_trylock(struct kipc_region *r, struct kipc_mutex *m);
int kipc_mutex_unlock(struct kipc_region *r, struct kipc_mutex *m);
int kipc_cond_wait(struct kipc_region *r, struct kipc_cond *c,
		   struct kipc_mutex *m, unsigned int flags,
		   const struct timespec *deadline);
int kipc_cond_signal(struct kipc_region *r, struct kipc_cond *c);
int kipc_cond_broadcast(struct kipc_region *r, struct kipc_cond *c,
			struct kipc_mutex *m);

/*
 * Rings of fixed-size messages in a region: lock-free, single-producer/
 * single-consumer or multi-producer/multi-consumer. A full or empty ring
 * spins briefly, then sleeps on a wait word; the other side enters the
 * kernel to wake it only when a sleeper says so in shared memory. The
 * memory ordering is described in Documentation/userspace-api/kipc/waitq.rst
 * and at the top of libkipc/ring.c. A struct kipc_ring is this process's
 * handle of a ring; the ring itself lives at an offset of the region.
 */
struct kipc_ring;

#define KIPC_RING_MPMC		(1U << 0) /* many producers and consumers */

uint64_t kipc_ring_bytes(uint32_t nr_slots, uint32_t msg_size,
			 unsigned int flags);
int kipc_ring_create(struct kipc_region *r, uint64_t offset,
		     uint32_t nr_slots, uint32_t msg_size, unsigned int flags,
		     struct kipc_ring **ringp);
int kipc_ring_open(struct kipc_region *r, uint64_t offset,
		   struct kipc_ring **ringp);
int kipc_ring_open_checked(struct kipc_region *r, uint64_t offset,
			   uint32_t nr_slots, uint32_t msg_size,
			   unsigned int flags, struct kipc_ring **ringp);
uint32_t kipc_ring_msg_size(const struct kipc_ring *ring);
int kipc_ring_close(struct kipc_ring *ring);
int kipc_ring_send(struct kipc_ring *ring, const void *msg,
		   unsigned int flags, const struct timespec *deadline);
int kipc_ring_recv(struct kipc_ring *ring, void *msg, unsigned int flags,
		   const struct timespec *deadline);
/*
 * In place: a begin gives a slot of the ring itself, to build a message in
 * (send) or to read one from (receive), waiting as kipc_ring_send() and
 * kipc_ring_recv() do; the end hands the slot on. No copy either way.
 * The slot is 8-byte aligned, not more: copy a type that needs 16.
 */
int kipc_ring_send_begin(struct kipc_ring *ring, void **msgp,
			 unsigned int flags, const struct timespec *deadline);
int kipc_ring_send_end(struct kipc_ring *ring, void *msg);
int kipc_ring_recv_begin(struct kipc_ring *ring, const void **msgp,
			 unsigned int flags, const struct timespec *deadline);
int kipc_ring_recv_end(struct kipc_ring *ring, const void *msg);

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
	uint64_t word_waits;		/* waits queued on region words */
	uint64_t word_wakes;		/* waiters of region words woken */
	/*
	 * Failed sends, indexed by KIPC_SEND_FAIL_REASON_* (0 unused). The
	 * bound is fixed (KIPC_SEND_FAIL_REASON_MAX + 1 when it was set): the
	 * struct's size is ABI and must not follow the generated enum.
	 * Reasons beyond it are not reported.
	 */
	uint64_t send_failed[11];
	/*
	 * Since LIBKIPC_0.10 (a program built against an older kipc.h gets
	 * the 216 bytes above from kipc_stats_get@LIBKIPC_0.3).
	 */
	uint64_t lendqs_created;
	uint64_t lendqs_destroyed;
	uint64_t names_created;		/* names published */
	uint64_t names_destroyed;	/* unlinked, or gone with their
					 * IPC namespace */
	uint64_t services_created;
	uint64_t services_destroyed;
	uint64_t connections;		/* made to services */
	uint64_t recv_polls;		/* receives a message ended while
					 * they polled (poll_max_ns) */
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
	uint64_t word_waits;	/* waits queued on its words */
	uint64_t word_wakes;	/* waiters of its words woken */
	uint64_t word_wait_ns;	/* time its waiters spent queued */
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

/**
 * One user's usage of the module's per-user caps, and the caps (user-get).
 * A user is an effective uid; in a user namespace, the owner of the
 * outermost one, or, for a namespace root made, the host uid its uid 0
 * maps to (the euid itself when that is root or unmapped). @uid is as the
 * caller's namespace maps it.
 */
struct kipc_user_stats {
	uint32_t uid;
	uint32_t reserved0;
	uint64_t regions;		/* regions held */
	uint64_t regions_limit;		/* max_regions_per_user */
	uint64_t channels;
	uint64_t channels_limit;	/* max_channels_per_user */
	uint64_t lendqs;		/* lend queues */
	uint64_t lendqs_limit;		/* max_lendqs_per_user */
	uint64_t names;			/* names published */
	uint64_t names_limit;		/* max_names_per_user */
	uint64_t inflight_bytes;	/* kernel bytes of queued messages */
	uint64_t inflight_bytes_limit;	/* max_inflight_bytes_per_user */
	uint64_t pool_bytes;		/* kernel bytes of buffer pools */
	uint64_t pool_bytes_limit;	/* max_pool_bytes_per_user */
	uint64_t pinned_pages;		/* lent pages still pinned */
	uint64_t services;		/* services held */
	uint64_t services_limit;	/* max_services_per_user */
	uint64_t region_bytes;		/* bytes of regions held (0.9) */
	uint64_t region_bytes_limit;	/* max_region_bytes_per_user */
	uint64_t reserved[3];		/* zero: room for later resources */
};

typedef int (*kipc_user_cb)(const struct kipc_user_stats *st, void *arg);

int kipc_user_stats_get(struct kipc_nl *nl, uint32_t uid,
			struct kipc_user_stats *st);
int kipc_user_stats_dump(struct kipc_nl *nl, kipc_user_cb cb, void *arg);

/*
 * Lending (KIPC_FEATURE_LEND): a message lends page-aligned ranges of the
 * sender's memory; the receiver gets them mapped read-only, and the
 * sender's lend queue gets a completion per range once the receiver has
 * unmapped it (kipc_lend_release()) or died. Until then the sender must
 * not reuse the memory (its writes are visible to the receiver).
 */
struct kipc_lendq;

int kipc_lendq_create(struct kipc *k, unsigned int flags,
		      struct kipc_lendq **qp);
int kipc_lendq_fd(const struct kipc_lendq *q);
int kipc_lendq_close(struct kipc_lendq *q);
int kipc_lendq_reap(struct kipc_lendq *q, struct kipc_lend_completion *comps,
		    unsigned int n, unsigned int flags);

/* Attach lent ranges to a message: send, with @q; recv, room (q NULL). */
KIPC_INLINE void kipc_msg_lend(struct kipc_msg *m, struct kipc_lend_ref *refs,
			       uint32_t nr, const struct kipc_lendq *q)
{
	m->lends = (uint64_t)(uintptr_t)refs;
	m->nr_lends = nr;
	m->lendq_fd = q ? (uint32_t)kipc_lendq_fd(q) : KIPC_NO_FD;
}

int kipc_lend_send(struct kipc_chan *tx, struct kipc_lendq *q,
		   const void *addr, size_t len, uint64_t cookie, uint64_t tag);
int kipc_lend_recv(struct kipc_chan *rx, const void **addr, size_t *len,
		   uint64_t *tag);
int kipc_lend_release(const void *addr, size_t len);

/*
 * Names (KIPC_FEATURE_NAMES): regions and channel ends published in the
 * caller's IPC namespace. kipc_name_open() returns a new fd: adopt it with
 * kipc_region_open_fd() or kipc_channel_from_fd() according to *kind.
 */
int kipc_name_open(struct kipc *k, const char *name, unsigned int flags,
		   unsigned int mode, int fd, uint32_t *kind);

/* What kipc_name_open_info() opened (libkipc 0.9, LIBKIPC_0.9). */
struct kipc_name_info {
	uint32_t kind;		/* KIPC_NAME_REGION, _SEND, _RECV, _SERVICE */
	uint32_t created;	/* 1: this call published the name */
	uint64_t id;		/* the named region's, channel's or service's id */
	uint64_t reserved[2];	/* zeroed */
};

int kipc_name_open_info(struct kipc *k, const char *name, unsigned int flags,
			unsigned int mode, int fd, struct kipc_name_info *info);
int kipc_name_unlink(struct kipc *k, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* LIBKIPC_KIPC_H */
