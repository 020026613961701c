// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Rings of fixed-size messages in a region: single-producer/single-consumer
 * and multi-producer/multi-consumer (Vyukov's bounded queue), lock-free,
 * sleeping on region words when full or empty. The layout in the region is
 * ring.h's.
 *
 * Ordering of the data (acquire/release pairs):
 *
 *   SPSC  (R1) the producer's store-release of tail after writing a slot
 *              pairs with the consumer's load-acquire of tail: the message
 *              bytes are visible before the consumer reads them.
 *         (R2) the consumer's store-release of head after reading a
 *              slot (a copy out, or kipc_ring_recv_end()) pairs with the
 *              producer's load-acquire of head: the consumer is done with
 *              the slot before it is overwritten.
 *   MPMC  (R3) a producer's store-release of slot.seq = pos + 1 after
 *              writing pairs with the consumer's load-acquire of slot.seq.
 *         (R4) a consumer's store-release of slot.seq = pos + nr_slots
 *              after reading the slot pairs with the next lap's producer's
 *              load-acquire of slot.seq. The positions themselves are
 *              claimed with relaxed compare-and-swap: the slot sequence,
 *              not the position, carries the data's ordering.
 *
 * Ordering of sleep and wake-up (no lost wake-up, no system call while the
 * other side is awake): each side that may sleep uses an eventcount.
 *
 *   sleeper (e.g. consumer)              notifier (e.g. producer)
 *   s = load-acquire(ec.seq)             publish (R1 / R3)
 *   ec.sleepers += 1                     fence seq_cst              (F2)
 *   store(ec.waiters, 1)                 if (ec.sleepers || ec.waiters) {
 *   fence seq_cst               (F1)         store(ec.waiters, 0)
 *   if (ring not empty) goto out             ec.seq++
 *   KIPC_IOC_WAIT(ec.seq, s)                 KIPC_IOC_WAKE(ec.seq, all)
 *   out: ec.sleepers -= 1                }
 *
 * (F1) pairs with (F2), a store-buffering (Dekker) pattern: either the
 * sleeper sees the publication and does not sleep, or the notifier sees
 * it counted and bumps seq and wakes. The sleeper read s before it
 * counted itself, so that bump changes seq from s: the kernel's
 * compare-and-queue (atomic against WAKE) then either refuses to sleep
 * (EAGAIN) or is woken. A notifier that finds neither word set makes no
 * system call: while both sides run, a message costs no kernel entry.
 *
 * Only sleepers change sleepers, each its own share. A notifier that dies
 * between its check and its wake leaves the sleepers counted, so the next
 * notifier wakes them; the flag alone, which it clears, would leave them
 * asleep for ever. A sleeper that dies while counted leaves its share
 * behind: each notify then costs a wake system call, and nothing is lost.
 * waiters is the flag the first versions of libkipc slept and woke by
 * (ring.h): a sleeper sets it for their notifiers, and a notifier wakes
 * their sleepers, which set only it. On an SPSC ring the one sleeper of a
 * side clears it again once awake; on an MPMC ring only a notifier does,
 * so a sleep that ended without a wake-up costs the next notify one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kipc.h"
#include "ring.h"
#include "ring_poll.h"
#include "sys.h"
#include "wait.h"

#define RING_MAX_SLOTS	(1U << 30)
#define RING_MAX_MSG	(1U << 20)
#define RING_SEQ_BYTES	8	/* an MPMC slot's sequence word, padded */

/* This process's handle: the constants copied once, never re-read. */
struct kipc_ring {
	struct kipc_region *r;
	struct ring_shared *sh;
	uint64_t off_not_empty;	/* offset of not_empty.seq in the region */
	uint64_t off_not_full;
	uint32_t mask;
	uint32_t msg_size;
	uint32_t stride;
	uint32_t flags;
	/*
	 * Before sleeping (ring_poll.h), one per side, [true] the send
	 * side's: an idle receiver would cut a sender's polls short, a
	 * polling sender lengthen an idle receiver's.
	 */
	struct kipc__ring_poll poll[2];
	/*
	 * SPSC: the slot a begin of this handle's send (receive) side gave
	 * and no end has handed on yet. Nothing shared shows it: the index
	 * moves only at the end. Each written by its side's one thread.
	 */
	bool send_held, recv_held;
	uint32_t send_pos, recv_pos;
};

/*
 * For the helpers of a message's path that take @send: each caller gets
 * its own copy with the direction folded in, and no call (see
 * ring_notify() for what a call costs here).
 */
#define RING_PATH	static inline __attribute__((always_inline))

#define RING_FLAGS	KIPC_RING_MPMC
#define IO_FLAGS	(KIPC_IO_NONBLOCK | KIPC_DEADLINE_REALTIME)

static uint32_t ring_stride(uint32_t msg_size, unsigned int flags)
{
	uint32_t seq = flags & KIPC_RING_MPMC ? RING_SEQ_BYTES : 0;

	return (seq + msg_size + 7) & ~7U;
}

KIPC_API uint64_t kipc_ring_bytes(uint32_t nr_slots, uint32_t msg_size,
				  unsigned int flags)
{
	/*
	 * An MPMC slot's sequence word tells a lap from the next only with
	 * two slots or more: with one, a second send would overwrite the
	 * unread message and a receive would spin forever.
	 */
	if (!nr_slots || nr_slots > RING_MAX_SLOTS ||
	    (nr_slots & (nr_slots - 1)) || !msg_size ||
	    msg_size > RING_MAX_MSG || flags & ~RING_FLAGS ||
	    (flags & KIPC_RING_MPMC && nr_slots < 2))
		return 0;
	return sizeof(struct ring_shared) +
	       (uint64_t)nr_slots * ring_stride(msg_size, flags);
}

static unsigned char *ring_slot(const struct kipc_ring *ring, uint32_t pos)
{
	return ring->sh->slots + (uint64_t)(pos & ring->mask) * ring->stride;
}

static uint32_t *ring_slot_seq(const struct kipc_ring *ring, uint32_t pos)
{
	return (uint32_t *)ring_slot(ring, pos);
}

/* Build the handle of the ring at @offset of @r, whose constants are given. */
static int ring_handle(struct kipc_region *r, uint64_t offset,
		       uint32_t nr_slots, uint32_t msg_size, uint32_t flags,
		       struct kipc_ring **ringp)
{
	struct kipc_ring *ring;
	struct ring_shared *sh;
	uint64_t bytes;

	bytes = kipc_ring_bytes(nr_slots, msg_size, flags);
	if (!bytes || offset % RING_CL || offset > r->bytes ||
	    bytes > r->bytes - offset)
		return -EINVAL;
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	sh = (struct ring_shared *)((char *)r->base + offset);
	ring->r = r;
	ring->sh = sh;
	ring->off_not_empty = offset + offsetof(struct ring_shared, not_empty.seq);
	ring->off_not_full = offset + offsetof(struct ring_shared, not_full.seq);
	ring->mask = nr_slots - 1;
	ring->msg_size = msg_size;
	ring->stride = ring_stride(msg_size, flags);
	ring->flags = flags;
	kipc__ring_poll_init(&ring->poll[false],
			     sysconf(_SC_NPROCESSORS_ONLN) > 1);
	ring->poll[true] = ring->poll[false];
	*ringp = ring;
	return 0;
}

KIPC_API int kipc_ring_create(struct kipc_region *r, uint64_t offset,
			      uint32_t nr_slots, uint32_t msg_size,
			      unsigned int flags, struct kipc_ring **ringp)
{
	struct kipc_ring *ring;
	struct ring_shared *sh;
	uint32_t i;
	int ret;

	if (!r || !r->base || !ringp)
		return -EINVAL;
	ret = ring_handle(r, offset, nr_slots, msg_size, flags, &ring);
	if (ret < 0)
		return ret;
	sh = ring->sh;
	memset(sh, 0, sizeof(*sh));
	sh->hdr.flags = flags;
	sh->hdr.nr_slots = nr_slots;
	sh->hdr.msg_size = msg_size;
	sh->hdr.stride = ring->stride;
	if (flags & KIPC_RING_MPMC)
		for (i = 0; i < nr_slots; i++)
			*ring_slot_seq(ring, i) = i;
	/* Pairs with the acquire in kipc_ring_open(): the rest is set. */
	__atomic_store_n(&sh->hdr.magic, RING_MAGIC, __ATOMIC_RELEASE);
	*ringp = ring;
	return 0;
}

/*
 * The handle of the ring another process laid out at @offset. Its header
 * is the peer's and is not trusted: each field is read once, and the
 * ring it describes is checked against the region; with @want, it must
 * also be that ring (nr_slots, msg_size, flags), or -EPROTO.
 */
static int ring_open(struct kipc_region *r, uint64_t offset,
		     const struct ring_hdr *want, struct kipc_ring **ringp)
{
	struct ring_shared *sh;
	struct kipc_ring *ring;
	uint32_t nr_slots, msg_size, flags, stride;
	int ret;

	if (!r || !r->base || !ringp || offset % RING_CL ||
	    offset > r->bytes || r->bytes - offset < sizeof(*sh))
		return -EINVAL;
	sh = (struct ring_shared *)((char *)r->base + offset);
	if (__atomic_load_n(&sh->hdr.magic, __ATOMIC_ACQUIRE) != RING_MAGIC)
		return -ENOENT;
	nr_slots = __atomic_load_n(&sh->hdr.nr_slots, __ATOMIC_RELAXED);
	msg_size = __atomic_load_n(&sh->hdr.msg_size, __ATOMIC_RELAXED);
	flags = __atomic_load_n(&sh->hdr.flags, __ATOMIC_RELAXED);
	stride = __atomic_load_n(&sh->hdr.stride, __ATOMIC_RELAXED);
	if (want && (nr_slots != want->nr_slots ||
		     msg_size != want->msg_size || flags != want->flags))
		return -EPROTO;
	ret = ring_handle(r, offset, nr_slots, msg_size, flags, &ring);
	if (ret < 0)
		return ret;
	if (ring->stride != stride) {
		free(ring);
		return -EINVAL;
	}
	*ringp = ring;
	return 0;
}

KIPC_API int kipc_ring_open(struct kipc_region *r, uint64_t offset,
			    struct kipc_ring **ringp)
{
	return ring_open(r, offset, NULL, ringp);
}

KIPC_API int kipc_ring_open_checked(struct kipc_region *r, uint64_t offset,
				    uint32_t nr_slots, uint32_t msg_size,
				    unsigned int flags,
				    struct kipc_ring **ringp)
{
	const struct ring_hdr want = {
		.nr_slots = nr_slots, .msg_size = msg_size, .flags = flags,
	};

	if (!kipc_ring_bytes(nr_slots, msg_size, flags))
		return -EINVAL;
	return ring_open(r, offset, &want, ringp);
}

KIPC_API uint32_t kipc_ring_msg_size(const struct kipc_ring *ring)
{
	return ring ? ring->msg_size : 0;
}

KIPC_API int kipc_ring_close(struct kipc_ring *ring)
{
	if (!ring)
		return -EINVAL;
	free(ring);
	return 0;
}

/*
 * The next position of @idx (tail for a producer, head for a consumer)
 * whose slot's sequence is the position + @ahead (0: free for this lap,
 * 1: published), without claiming it; @pos is where to look first (a load
 * of @idx). Returns the slot's sequence word and its position in @pos, or
 * NULL when the slot is not there yet (the ring is full, or empty) or its
 * sequence cannot be right (a corrupted ring: the caller sees it full or
 * empty).
 */
static uint32_t *mpmc_find(const struct kipc_ring *ring, const uint32_t *idx,
			   uint32_t ahead, uint32_t *pos)
{
	uint32_t seq, *sp, now;
	int32_t dif;

	for (;;) {
		sp = ring_slot_seq(ring, *pos);
		/* (R4) for a producer, (R3) for a consumer */
		seq = __atomic_load_n(sp, __ATOMIC_ACQUIRE);
		dif = (int32_t)(seq - (*pos + ahead));
		if (dif == 0)
			return sp;
		if (dif < 0)
			return NULL;
		/*
		 * Another side took *@pos: the acquire above saw its
		 * release, so @idx has moved on. If it has not, the slot
		 * lies (a peer wrote it): give up, not spin.
		 */
		now = __atomic_load_n(idx, __ATOMIC_RELAXED);
		if (now == *pos)
			return NULL;
		*pos = now;
	}
}

/*
 * Claim the position mpmc_find() finds, with a relaxed compare-and-swap of
 * @idx. Returns the slot's sequence word and its position in @posp, or
 * NULL (full, or empty).
 */
static uint32_t *mpmc_claim(struct kipc_ring *ring, uint32_t *idx,
			    uint32_t ahead, uint32_t *posp)
{
	uint32_t pos = __atomic_load_n(idx, __ATOMIC_RELAXED);
	uint32_t *sp;

	do {
		sp = mpmc_find(ring, idx, ahead, &pos);
		if (!sp)
			return NULL;
	} while (!__atomic_compare_exchange_n(idx, &pos, pos + 1, 1,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*posp = pos;
	return sp;
}

/*
 * Whether a send or a receive on the ring @arg could go ahead now (a hint,
 * not a claim). On an MPMC ring, a slot another side took between the
 * load of the index and the load of its sequence must not read as full or
 * empty: the check follows the index as a claim does, or a sleeper would
 * sleep beside a free slot or a message (a lost wake-up).
 */
static bool ring_can_send(const void *arg)
{
	const struct kipc_ring *ring = arg;
	struct ring_shared *sh = ring->sh;
	uint32_t pos = __atomic_load_n(&sh->tail, __ATOMIC_RELAXED);

	if (ring->flags & KIPC_RING_MPMC)
		return mpmc_find(ring, &sh->tail, 0, &pos);
	return pos - __atomic_load_n(&sh->head, __ATOMIC_ACQUIRE) <= ring->mask;
}

static bool ring_can_recv(const void *arg)
{
	const struct kipc_ring *ring = arg;
	struct ring_shared *sh = ring->sh;
	uint32_t pos = __atomic_load_n(&sh->head, __ATOMIC_RELAXED);

	if (ring->flags & KIPC_RING_MPMC)
		return mpmc_find(ring, &sh->head, 1, &pos);
	return __atomic_load_n(&sh->tail, __ATOMIC_ACQUIRE) != pos;
}

/* Where the message of the slot at @pos starts: after an MPMC slot's seq. */
static inline unsigned char *ring_msg(const struct kipc_ring *ring,
				      uint32_t pos)
{
	return ring_slot(ring, pos) + (ring->flags & KIPC_RING_MPMC ?
				       RING_SEQ_BYTES : 0);
}

/*
 * The slot a send may fill, its message's bytes, and its position in
 * @pos; NULL when the ring is full. SPSC: the slot at the tail, which
 * stays unpublished until ring_hand_on(); MPMC: a position claimed.
 */
static inline unsigned char *ring_reserve(struct kipc_ring *ring,
					  uint32_t *pos)
{
	struct ring_shared *sh = ring->sh;

	if (ring->flags & KIPC_RING_MPMC)
		return mpmc_claim(ring, &sh->tail, 0, pos) ?
		       ring_msg(ring, *pos) : NULL;
	*pos = __atomic_load_n(&sh->tail, __ATOMIC_RELAXED);
	if (*pos - __atomic_load_n(&sh->head, __ATOMIC_ACQUIRE) > ring->mask)
		return NULL;					/* (R2) */
	return ring_msg(ring, *pos);
}

/*
 * The oldest message a receive may read, and its position in @pos; NULL
 * when the ring is empty. SPSC: the slot at the head, which stays the
 * consumer's until ring_hand_on(); MPMC: a position claimed.
 */
static inline unsigned char *ring_take(struct kipc_ring *ring, uint32_t *pos)
{
	struct ring_shared *sh = ring->sh;

	if (ring->flags & KIPC_RING_MPMC)
		return mpmc_claim(ring, &sh->head, 1, pos) ?
		       ring_msg(ring, *pos) : NULL;
	*pos = __atomic_load_n(&sh->head, __ATOMIC_RELAXED);
	if (__atomic_load_n(&sh->tail, __ATOMIC_ACQUIRE) == *pos)
		return NULL;					/* (R1) */
	return ring_msg(ring, *pos);
}

/* The notifier's wake-up, for sleepers counted or flagged in @ec. */
static void ring_wake(struct kipc_ring *ring, struct ring_ec *ec, uint64_t off)
{
	/* Before the bump: a flag set after it is for a later sleep. */
	__atomic_store_n(&ec->waiters, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&ec->wake_ns, kipc__now_ns(), __ATOMIC_RELAXED);
	__atomic_fetch_add(&ec->seq, 1, __ATOMIC_SEQ_CST);
	/* A wake of a valid word cannot fail: nothing to report. */
	kipc_wake(ring->r, off, INT32_MAX, KIPC_BITSET_ANY);
}

/*
 * The notifier's half of the eventcount: wake sleepers if there are any.
 * Inline, with the helpers above, and the wake-up out of line: each call
 * and return on a message's path costs, most under an emulator (QEMU TCG:
 * a kipc_ring_send() and kipc_ring_recv() of one message took 313 ns with
 * these helpers out of line, 184 ns inline).
 */
static inline void ring_notify(struct kipc_ring *ring, struct ring_ec *ec,
			       uint64_t off)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);		/* (F2) */
	if (__atomic_load_n(&ec->sleepers, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&ec->waiters, __ATOMIC_RELAXED))
		ring_wake(ring, ec, off);
}

/*
 * Hand the slot at @pos on: a send (@send) publishes the message
 * ring_reserve() gave it to the consumers, a receive gives the slot
 * ring_take() gave it back to the producers; then the other side is
 * notified.
 */
RING_PATH void ring_hand_on(struct kipc_ring *ring, bool send, uint32_t pos)
{
	struct ring_shared *sh = ring->sh;
	bool mpmc = ring->flags & KIPC_RING_MPMC;

	if (send) {
		if (mpmc)
			__atomic_store_n(ring_slot_seq(ring, pos), pos + 1,
					 __ATOMIC_RELEASE);	/* (R3) */
		else
			__atomic_store_n(&sh->tail, pos + 1,
					 __ATOMIC_RELEASE);	/* (R1) */
		ring_notify(ring, &sh->not_empty, ring->off_not_empty);
	} else {
		if (mpmc)
			__atomic_store_n(ring_slot_seq(ring, pos),
					 pos + ring->mask + 1,
					 __ATOMIC_RELEASE);	/* (R4) */
		else
			__atomic_store_n(&sh->head, pos + 1,
					 __ATOMIC_RELEASE);	/* (R2) */
		ring_notify(ring, &sh->not_full, ring->off_not_full);
	}
}

/*
 * The sleeper's half, for a side that could not go ahead: -EAGAIN when
 * @flags has KIPC_IO_NONBLOCK, -ETIMEDOUT once the deadline has passed;
 * else poll @ready a while, then sleep on @send's word (not_full, else
 * not_empty) unless @ready became true.
 * Return: 0 to try again, or -EAGAIN, -ETIMEDOUT, -EINTR, -EOWNERDEAD.
 */
static int ring_sleep(struct kipc_ring *ring, bool send,
		      bool (*ready)(const void *ring),
		      unsigned int flags, const struct timespec *deadline)
{
	struct ring_ec *ec = send ? &ring->sh->not_full : &ring->sh->not_empty;
	uint64_t off = send ? ring->off_not_full : ring->off_not_empty;
	struct kipc__ring_poll *p = &ring->poll[send];
	uint32_t s;
	int ret;

	if (flags & KIPC_IO_NONBLOCK)
		return -EAGAIN;
	if (kipc__deadline_passed(flags, deadline))
		return -ETIMEDOUT;
	if (kipc__ring_poll(p, ready, ring, kipc__now_ns))
		return 0;
	s = __atomic_load_n(&ec->seq, __ATOMIC_ACQUIRE);
	__atomic_fetch_add(&ec->sleepers, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&ec->waiters, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);		/* (F1) */
	if (ready(ring)) {
		ret = 0;
	} else {
		ret = kipc_wait(ring->r, off, s, KIPC_BITSET_ANY,
				flags & KIPC_DEADLINE_REALTIME, deadline);
		if (!ret)
			kipc__ring_poll_woken(p,
					      __atomic_load_n(&ec->wake_ns,
							      __ATOMIC_RELAXED),
					      kipc__now_ns());
	}
	/*
	 * A single-consumer (-producer) side has one sleeper: awake now, it
	 * takes its flag back, or the next notify would wake nobody (a sleep
	 * called off, ended by its deadline or a signal). Many may share an
	 * MPMC side, among them libkipc 0.7's, which the flag alone wakes.
	 */
	if (!(ring->flags & KIPC_RING_MPMC))
		__atomic_store_n(&ec->waiters, 0, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&ec->sleepers, 1, __ATOMIC_RELAXED);
	return ret == -EAGAIN ? 0 : ret;
}

/* The checks common to send and receive: 0 or -EINVAL. */
static inline int ring_check_io(const struct kipc_ring *ring,
				const void *msg, unsigned int flags,
				const struct timespec *deadline)
{
	__u32 wflags, clk;
	__u64 ns;

	if (!ring || !msg || flags & ~IO_FLAGS)
		return -EINVAL;
	if (!deadline && !(flags & KIPC_DEADLINE_REALTIME))
		return 0;		/* nothing to parse: no call */
	return kipc__deadline(flags & KIPC_DEADLINE_REALTIME, deadline,
			      &wflags, &clk, &ns);
}

/*
 * A slot to send in (@send), sleeping on not_full for one, or a message
 * to receive, sleeping on not_empty: in @slot and @pos.
 */
RING_PATH int ring_wait(struct kipc_ring *ring, bool send,
			unsigned char **slot, uint32_t *pos, unsigned int flags,
			const struct timespec *deadline)
{
	int ret = 0;

	while (!ret && !(*slot = send ? ring_reserve(ring, pos) :
					ring_take(ring, pos)))
		ret = ring_sleep(ring, send,
				 send ? ring_can_send : ring_can_recv, flags,
				 deadline);
	return ret;
}

/*
 * An MPMC ring's ring_end_pos(): the slot @msg lies in, and the position
 * its claim took, which the slot's seq keeps (pos, or pos + 1 once
 * published) until its end: the slot's lap, behind the index the claim
 * moved. The shared words are all it has: once another side has claimed
 * the slot's next lap, an end of this one is taken for that claim's. The
 * words read are the caller's own or were checked in the begin; a peer
 * that wrote them can make the end refuse, never make it hand on another
 * slot than the one @msg lies in.
 */
static int mpmc_held_pos(const struct kipc_ring *ring, const void *msg,
			 bool send, uint32_t *pos)
{
	uintptr_t first = (uintptr_t)ring_msg(ring, 0);
	uintptr_t off = (uintptr_t)msg - first;
	uint32_t idx, seq, at;

	if ((uintptr_t)msg < first || off % ring->stride ||
	    off / ring->stride > ring->mask)
		return -EINVAL;
	idx = off / ring->stride;
	seq = __atomic_load_n(ring_slot_seq(ring, idx), __ATOMIC_RELAXED);
	*pos = send ? seq : seq - 1;
	at = __atomic_load_n(send ? &ring->sh->tail : &ring->sh->head,
			     __ATOMIC_RELAXED);
	if ((*pos & ring->mask) != idx || (int32_t)(*pos - at) >= 0)
		return -EINVAL;
	return 0;
}

/*
 * The position of the slot whose message starts at @msg, which a begin of
 * this handle's send (@send) or receive side gave and no end has handed on
 * yet; the end hands it on. 0, or -EINVAL for any other pointer.
 */
static inline int ring_end_pos(struct kipc_ring *ring, const void *msg,
			       bool send, uint32_t *pos)
{
	bool *held = send ? &ring->send_held : &ring->recv_held;

	if (ring->flags & KIPC_RING_MPMC)
		return mpmc_held_pos(ring, msg, send, pos);
	*pos = send ? ring->send_pos : ring->recv_pos;
	if (!*held || msg != ring_msg(ring, *pos))
		return -EINVAL;
	*held = false;
	return 0;
}

/* A send sleeps on not_full and, once done, notifies not_empty. */
KIPC_API int kipc_ring_send(struct kipc_ring *ring, const void *msg,
			    unsigned int flags, const struct timespec *deadline)
{
	unsigned char *slot;
	uint32_t pos;
	int ret;

	ret = ring_check_io(ring, msg, flags, deadline);
	if (!ret && ring->send_held)
		ret = -EBUSY;	/* the slot this would fill is held */
	if (!ret)
		ret = ring_wait(ring, true, &slot, &pos, flags, deadline);
	if (ret)
		return ret;
	memcpy(slot, msg, ring->msg_size);
	ring_hand_on(ring, true, pos);
	return 0;
}

/* A receive sleeps on not_empty and, once done, notifies not_full. */
KIPC_API int kipc_ring_recv(struct kipc_ring *ring, void *msg,
			    unsigned int flags, const struct timespec *deadline)
{
	unsigned char *slot;
	uint32_t pos;
	int ret;

	ret = ring_check_io(ring, msg, flags, deadline);
	if (!ret && ring->recv_held)
		ret = -EBUSY;	/* the slot this would take is held */
	if (!ret)
		ret = ring_wait(ring, false, &slot, &pos, flags, deadline);
	if (ret)
		return ret;
	memcpy(msg, slot, ring->msg_size);
	ring_hand_on(ring, false, pos);
	return 0;
}

/*
 * A begin of this handle's send (@send) or receive side: on a single-
 * producer ring the slot it holds already, if any; else a slot it waits
 * for, which it then holds (on a many-producer ring the slot's claim is
 * all that holds it).
 */
RING_PATH int ring_begin(struct kipc_ring *ring, bool send, void **msgp,
			 unsigned int flags, const struct timespec *deadline)
{
	unsigned char *slot;
	uint32_t *held_pos;
	uint32_t pos;
	bool *held;
	int ret;

	ret = ring_check_io(ring, msgp, flags, deadline);
	if (ret)
		return ret;
	held = send ? &ring->send_held : &ring->recv_held;
	held_pos = send ? &ring->send_pos : &ring->recv_pos;
	if (*held) {
		*msgp = ring_msg(ring, *held_pos);
		return 0;
	}
	ret = ring_wait(ring, send, &slot, &pos, flags, deadline);
	if (ret)
		return ret;
	if (!(ring->flags & KIPC_RING_MPMC)) {
		*held_pos = pos;
		*held = true;
	}
	*msgp = slot;
	return 0;
}

/* An end: hand the slot @msg on (ring_hand_on()). */
RING_PATH int ring_end(struct kipc_ring *ring, const void *msg, bool send)
{
	uint32_t pos;

	if (!ring || ring_end_pos(ring, msg, send, &pos))
		return -EINVAL;
	ring_hand_on(ring, send, pos);
	return 0;
}

KIPC_API int kipc_ring_send_begin(struct kipc_ring *ring, void **msgp,
				  unsigned int flags,
				  const struct timespec *deadline)
{
	return ring_begin(ring, true, msgp, flags, deadline);
}

KIPC_API int kipc_ring_send_end(struct kipc_ring *ring, void *msg)
{
	return ring_end(ring, msg, true);
}

KIPC_API int kipc_ring_recv_begin(struct kipc_ring *ring, const void **msgp,
				  unsigned int flags,
				  const struct timespec *deadline)
{
	return ring_begin(ring, false, (void **)msgp, flags, deadline);
}

KIPC_API int kipc_ring_recv_end(struct kipc_ring *ring, const void *msg)
{
	return ring_end(ring, msg, false);
}
