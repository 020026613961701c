// SPDX-License-Identifier: GPL-2.0
/*
 * kipc channels: unidirectional, ordered, bounded message queues with a
 * send end and a receive end, each a file of its own.
 *
 * A message carries inline bytes (copied into the message) and region
 * buffers (their ownership moves: the bytes are never copied). Messages
 * are delivered once each, in the order they were queued.
 *
 * Lock order: a channel's lock, then its region's pool_lock.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "kipc.h"
#include "kipc_trace.h"

/**
 * struct kipc_channel - a channel
 * @obj: the object; its references are held by each end file and each
 *	name of an end. Its user is charged for the channel and the kernel
 *	bytes of its queued messages
 * @region: the bound region (a reference), or NULL
 * @depth: the most messages queued at once
 * @max_inline: the most inline bytes in one message
 * @ecred: messages carry their sender's effective uid and gid (the
 *	channels of a connection), else its real ones
 * @lock: protects @queue, @nr_queued, @nr_senders, @nr_receivers, @nr_sent,
 *	@nr_received, and the charge_moved and seq of queued messages
 * @queue: queued messages, oldest first
 * @nr_queued: messages in @queue
 * @nr_senders: open send-end files
 * @nr_receivers: open receive-end files
 * @nr_sent: messages queued since creation
 * @nr_received: messages taken since creation (counted when taken off the
 *	queue, uncounted if put back: the lock is taken once per receive)
 * @payer: the user charged for the kernel bytes of queued messages (a
 *	reference): the creator, or for a connection's reply channel the
 *	service's owner, whose server sends on it, until every send end is
 *	gone (kipc_kmsg_charge_to_creator())
 * @nr_taking: messages taken off the queue and not yet delivered or put
 *	back (raised under @lock, lowered by the delivery without it): the
 *	stream has not ended while one may come back
 * @send_wait: senders waiting for room; pollers of the send end
 * @recv_wait: receivers waiting for a message; pollers of the receive end
 * @spare: a received message kept for the next send, or NULL (xchg)
 * @poll_ns: how long a receiver polls for a message before it sleeps
 *	(kipc_wait_polled(); READ_ONCE/WRITE_ONCE, a hint)
 */
struct kipc_channel {
	struct kipc_obj obj;
	struct kipc_region *region;
	u32 depth;
	u32 max_inline;
	bool ecred;
	struct kipc_user *payer;

	/* protects queue, nr_queued, nr_senders, nr_receivers, nr_sent, nr_received */
	spinlock_t lock;
	struct list_head queue;
	u32 nr_queued;
	u32 nr_senders;
	u32 nr_receivers;
	u64 nr_sent;
	u64 nr_received;
	atomic_t nr_taking;
	wait_queue_head_t send_wait;
	wait_queue_head_t recv_wait;
	struct kipc_kmsg *spare;
	u32 poll_ns;
};

static const struct file_operations kipc_send_fops;
static const struct file_operations kipc_recv_fops;

/*
 * A channel keeps one received message of at most this many inline bytes
 * for its next send, as a pipe keeps a page: a ping-pong then allocates
 * nothing, and an idle channel holds one small object at most.
 */
#define KIPC_KMSG_SPARE_ROOM	256

/**
 * kipc_kmsg_alloc() - a message of @c with room for @data_len inline bytes
 * @c: the channel it will be sent on
 * @data_len: inline bytes
 *
 * Return: the message, with no buffers or lent ranges yet, or NULL. Its
 * sender is set by kipc_channel_enqueue().
 */
struct kipc_kmsg *kipc_kmsg_alloc(struct kipc_channel *c, u32 data_len)
{
	struct kipc_kmsg *m = xchg(&c->spare, NULL);
	size_t bytes;

	if (m && m->room < data_len) {
		put_pid(m->pid);
		kfree(m);
		m = NULL;
	}
	if (!m) {
		bytes = kmalloc_size_roundup(struct_size(m, data, data_len));
		m = kmalloc(bytes, GFP_KERNEL_ACCOUNT);
		if (!m)
			return NULL;
		m->room = bytes - offsetof(struct kipc_kmsg, data);
		m->pid = NULL;
	}
	/* A spare keeps its last sender's pid: see kipc_kmsg_set_sender(). */
	m->tag = 0;
	m->charge = offsetof(struct kipc_kmsg, data) + m->room;
	m->data_len = data_len;
	m->nr_bufs = 0;
	m->bufs_lost = false;
	m->charge_moved = false;
	m->nr_lends = 0;
	return m;
}

/**
 * kipc_kmsg_free() - free a message of @c that is on no queue
 * @c: the channel it was sent on
 * @m: the message; its buffers must have been moved off it already
 *
 * Drops the message's references on its lent ranges: a range that no
 * receiver maps any more is unpinned and completed. A small message may
 * stay as @c's spare, with the reference on its sender's pid.
 * Context: process context, may sleep (when it holds lent ranges).
 */
void kipc_kmsg_free(struct kipc_channel *c, struct kipc_kmsg *m)
{
	u32 i;

	might_sleep_if(m->nr_lends);
	for (i = 0; i < m->nr_lends; i++)
		kipc_lend_put(m->lends[i]);
	if (m->room <= KIPC_KMSG_SPARE_ROOM && !cmpxchg(&c->spare, NULL, m))
		return;
	put_pid(m->pid);
	kfree(m);
}

/*
 * Record the calling process as @m's sender, with its effective ids when
 * the channel and @effective allow, else its real ones. A message that
 * was the channel's spare still holds the reference on its last sender's
 * pid: a ping-pong, where that is the caller, takes no pid reference per
 * message.
 */
static void kipc_kmsg_set_sender(const struct kipc_channel *c,
				 struct kipc_kmsg *m, bool effective)
{
	struct pid *pid = task_tgid(current);

	if (m->pid != pid) {
		put_pid(m->pid);
		m->pid = get_pid(pid);
	}
	effective = effective && c->ecred;
	m->uid = effective ? current_euid() : current_uid();
	m->gid = effective ? current_egid() : current_gid();
}

/* The user charged for @m, a message of @c, queued or taken. */
static struct kipc_user *kipc_kmsg_payer(const struct kipc_channel *c,
					 const struct kipc_kmsg *m)
{
	return m->charge_moved ? c->obj.user : c->payer;
}

/*
 * Every send end of @c is gone, and @m is queued: if a payer other than
 * the creator pays for it (the server, for a connection's reply channel),
 * the charge moves to the creator, whose receive end holds the message,
 * as far as the creator's cap allows. A server that closes a connection
 * gets back what its client left unread, whatever the client does with
 * its end (holds it, publishes it under a name, never reads), unless the
 * client's own bytes in flight are at their cap; and no user is charged
 * above its cap, so that the cap still bounds what two users together
 * can queue. Context: c->lock held.
 */
static void kipc_kmsg_charge_to_creator(struct kipc_channel *c,
					struct kipc_kmsg *m)
{
	lockdep_assert_held(&c->lock);
	if (c->payer == c->obj.user || m->charge_moved ||
	    kipc_user_charge(c->obj.user, KIPC_RES_INFLIGHT, m->charge))
		return;
	kipc_user_uncharge(c->payer, KIPC_RES_INFLIGHT, m->charge);
	m->charge_moved = true;
}

/*
 * Take every queued message off @c onto @dropped, returning their charge
 * to the user; kipc_kmsgs_free() returns their buffers to the pool and
 * frees them once the lock is dropped. Context: c->lock held.
 */
static void kipc_channel_drop_locked(struct kipc_channel *c,
				     struct list_head *dropped)
{
	struct kipc_kmsg *m;

	lockdep_assert_held(&c->lock);
	list_for_each_entry(m, &c->queue, node)
		kipc_user_uncharge(kipc_kmsg_payer(c, m), KIPC_RES_INFLIGHT,
				   m->charge);
	c->nr_queued = 0;
	list_splice_tail_init(&c->queue, dropped);
}

/*
 * Free the messages kipc_channel_drop_locked() took, and their buffers:
 * the pool's waiters are woken once, not once a message (a queue of
 * max_depth messages, and a region polled through many files, made that
 * seconds of wake-ups). Context: may sleep.
 */
static void kipc_kmsgs_free(struct kipc_channel *c, struct list_head *dropped)
{
	struct kipc_kmsg *m, *tmp;
	bool freed = false;

	list_for_each_entry_safe(m, tmp, dropped, node) {
		list_del(&m->node);
		if (m->nr_bufs) {
			kipc_bufs_drop_from_flight(c->region, m->bufs,
						   m->nr_bufs);
			freed = true;
		}
		kipc_kmsg_free(c, m);
	}
	if (freed)
		kipc_region_pool_wake(c->region);
}

static void kipc_channel_release_obj(struct kipc_obj *obj)
{
	struct kipc_channel *c = container_of(obj, struct kipc_channel, obj);
	LIST_HEAD(dropped);

	/* Every end is closed: nobody else can see the queue. */
	spin_lock(&c->lock);
	kipc_channel_drop_locked(c, &dropped);
	spin_unlock(&c->lock);
	kipc_kmsgs_free(c, &dropped);
	if (c->spare) {
		put_pid(c->spare->pid);
		kfree(c->spare);
	}
	if (c->region)
		kipc_region_put(c->region);
	if (c->payer)
		kipc_user_put(c->payer);
}

static const struct kipc_obj_ops kipc_channel_ops = {
	.type		= KIPC_OBJ_TYPE_CHANNEL,
	.res		= KIPC_RES_CHANNELS,
	.created	= KIPC_STAT_CHANNELS_CREATED,
	.destroyed	= KIPC_STAT_CHANNELS_DESTROYED,
	.release	= kipc_channel_release_obj,
};

/**
 * kipc_channel_new() - create a channel and its two ends
 * @user: the creator, charged for the channel
 * @payer: charged for the queued messages: NULL for @user, or the user
 *	whose side sends on the channel (a service's owner, for the reply
 *	channel of a connection the client creates), so that a peer cannot
 *	spend the creator's cap by sending to it
 * @depth: queue depth, 0 for the default
 * @max_inline: inline bytes per message, 0 for the default
 * @region: the region to bind, or NULL
 * @flags: O_CLOEXEC and O_NONBLOCK for both ends; KIPC_CHAN_ECRED
 * @send: out: the send end
 * @recv: out: the receive end
 * @id: out: the channel's id
 *
 * Context: process context, may sleep.
 * Return: 0, or -EINVAL (@depth or @max_inline too large), -ENOSPC (the
 * user holds max_channels_per_user channels), -ENOMEM. On failure @send
 * and @recv are not set.
 */
int kipc_channel_new(struct kipc_user *user, struct kipc_user *payer,
		     u32 depth, u32 max_inline, struct kipc_region *region,
		     unsigned int flags, struct file **send,
		     struct file **recv, u32 *id)
{
	struct file *sfile, *rfile;
	struct kipc_channel *c;
	int ret;

	if (depth > kipc_max_depth() || max_inline > KIPC_MAX_INLINE)
		return -EINVAL;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	ret = kipc_obj_init(&c->obj, &kipc_channel_ops, user);
	if (ret) {
		kfree(c);
		return ret;
	}
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->queue);
	init_waitqueue_head(&c->send_wait);
	init_waitqueue_head(&c->recv_wait);
	c->depth = depth ?: kipc_default_depth();
	c->max_inline = max_inline ?: KIPC_DEFAULT_INLINE;
	c->ecred = flags & KIPC_CHAN_ECRED;
	flags &= ~KIPC_CHAN_ECRED;
	c->payer = payer ?: user;
	kipc_user_hold(c->payer);
	if (region) {
		c->region = region;
		kipc_region_get(c->region);
	}

	/* The creation reference becomes the send end's. */
	sfile = anon_inode_getfile("[kipc-send]", &kipc_send_fops, c,
				   O_WRONLY | flags);
	if (IS_ERR(sfile)) {
		kipc_obj_put(&c->obj);
		return PTR_ERR(sfile);
	}
	c->nr_senders = 1;
	kipc_obj_get(&c->obj);
	rfile = anon_inode_getfile("[kipc-recv]", &kipc_recv_fops, c,
				   O_RDONLY | flags);
	if (IS_ERR(rfile)) {
		ret = PTR_ERR(rfile);
		goto out_put_send;
	}
	c->nr_receivers = 1;
	ret = kipc_obj_publish(&c->obj);
	if (ret) {
		fput(rfile);
		goto out_fput_send;
	}
	*send = sfile;
	*recv = rfile;
	*id = c->obj.id;
	return 0;

out_put_send:
	kipc_obj_put(&c->obj);
out_fput_send:
	fput(sfile);	/* its release drops the last reference */
	return ret;
}

struct kipc_channel *kipc_channel_of_send(const struct file *file)
{
	return file->f_op == &kipc_send_fops ? file->private_data : NULL;
}

struct kipc_channel *kipc_channel_of_recv(const struct file *file)
{
	return file->f_op == &kipc_recv_fops ? file->private_data : NULL;
}

u32 kipc_channel_max_inline(const struct kipc_channel *c)
{
	return c->max_inline;
}

struct kipc_region *kipc_channel_region(const struct kipc_channel *c)
{
	return c->region;
}

static bool kipc_channel_writable(void *arg)
{
	struct kipc_channel *c = arg;

	return READ_ONCE(c->nr_queued) < c->depth ||
	       !READ_ONCE(c->nr_receivers);
}

/* End of stream: no sender, and no message that may return to the queue. */
static bool kipc_channel_ended(struct kipc_channel *c)
{
	return !READ_ONCE(c->nr_senders) && !atomic_read(&c->nr_taking);
}

static bool kipc_channel_readable(void *arg)
{
	struct kipc_channel *c = arg;

	return !list_empty_careful(&c->queue) || kipc_channel_ended(c);
}

/**
 * kipc_channel_send_failed() - count and report a send on @c that failed
 * @c: the channel
 * @err: the negative errno the sender gets
 *
 * For failures in the channel and for messages refused before they reach it.
 * Context: any.
 */
void kipc_channel_send_failed(struct kipc_channel *c, int err)
{
	kipc_event_send_failed(&c->obj, err);
}

/**
 * kipc_channel_enqueue() - queue a message
 * @c: the channel
 * @h: the handle that owns @m's buffers (NULL when it has none)
 * @m: the message; on success the channel owns it
 * @effective: the message may carry the caller's effective ids (on a
 *	connection's channels); false for write(2), which carries the real
 *	ids, as SCM_CREDENTIALS does: a setuid program writing to a send end
 *	it inherited must not lend its privilege to the message
 * @wait: sleep while the queue is full
 * @dl: deadline of the sleep
 *
 * Context: process context, may sleep when @wait.
 * Return: 0, or -EPIPE (no receive end), -EAGAIN (full and !@wait),
 * -ETIMEDOUT, -ERESTARTSYS, -EPERM (@h does not own a buffer), -ENOBUFS
 * (the payer's bytes in flight are at their cap: see kipc_channel_new()).
 */
int kipc_channel_enqueue(struct kipc_channel *c, struct kipc_region_handle *h,
			 struct kipc_kmsg *m, bool effective, bool wait,
			 const struct kipc_deadline *dl)
{
	bool full = false;
	int ret;

	kipc_kmsg_set_sender(c, m, effective);

	spin_lock(&c->lock);
	for (;;) {
		if (!c->nr_receivers) {
			ret = -EPIPE;
			goto out_unlock;
		}
		if (c->nr_queued < c->depth)
			break;
		spin_unlock(&c->lock);
		if (!full) {
			full = true;
			kipc_event_queue_full(&c->obj);
		}
		if (!wait) {
			ret = -EAGAIN;
			goto out_failed;
		}
		kipc_stat_inc(KIPC_STAT_SEND_WAITS);
		ret = kipc_wait_until(&c->send_wait, kipc_channel_writable, c, dl);
		if (ret)
			goto out_failed;
		spin_lock(&c->lock);
	}
	ret = kipc_user_charge(c->payer, KIPC_RES_INFLIGHT, m->charge);
	if (ret)
		goto out_unlock;
	if (m->nr_bufs) {
		ret = kipc_bufs_to_flight(h, m->bufs, m->nr_bufs);
		if (ret) {
			kipc_user_uncharge(c->payer, KIPC_RES_INFLIGHT, m->charge);
			goto out_unlock;
		}
	}
	/*
	 * Once queued and unlocked, @m belongs to the receivers, who may free
	 * it at once: count it before.
	 */
	kipc_stat_inc(KIPC_STAT_MSGS_SENT);
	kipc_stat_add(KIPC_STAT_BYTES_SENT, m->data_len);
	kipc_stat_add(KIPC_STAT_BUFS_SENT, m->nr_bufs);
	/* Stamped only while someone traces receives. */
	m->queued_ns = trace_kipc_msg_recv_enabled() ? ktime_get_ns() : 0;
	m->seq = (u32)c->nr_sent;
	list_add_tail(&m->node, &c->queue);
	c->nr_queued++;
	c->nr_sent++;
	trace_kipc_msg_send(c->obj.id, m->data_len, m->nr_bufs, m->nr_lends,
			    c->nr_queued);
	spin_unlock(&c->lock);
	/*
	 * The barrier of wq_has_sleeper() pairs with the one of
	 * prepare_to_wait() in kipc_wait_until(): a receiver that queued
	 * itself before this load is woken, one that queues itself after
	 * sees the message. Pollers check under c->lock, which orders them.
	 */
	if (wq_has_sleeper(&c->recv_wait))
		wake_up_interruptible_sync_poll(&c->recv_wait,
						EPOLLIN | EPOLLRDNORM);
	return 0;

out_unlock:
	spin_unlock(&c->lock);
out_failed:
	kipc_channel_send_failed(c, ret);
	return ret;
}

/**
 * kipc_channel_dequeue() - take the oldest message off the queue
 * @c: the channel
 * @h: the handle to own the message's buffers (NULL if the caller has none)
 * @data_room: inline bytes the caller can take
 * @bufs_room: buffer references the caller can take
 * @lends_room: lent ranges the caller can take
 * @wait: sleep while the queue is empty
 * @dl: deadline of the sleep
 * @err: out, when NULL is returned: 0 at end of stream (no sender, and no
 *	message another receiver may put back), or -EAGAIN,
 *	-ETIMEDOUT, -ERESTARTSYS, -EMSGSIZE (the message does not fit the
 *	room), -EBADF (it carries buffers and @h is NULL), -EINVAL (@h is
 *	not of the channel's region)
 *
 * A message whose buffers' region has no holder left (no handle or name,
 * and none can be made again) loses its buffers here and is taken as one
 * without them, marked @bufs_lost, whatever @h and @bufs_room are.
 *
 * The message leaves the queue but is not received yet: its buffers (if
 * not lost) stay in flight and its charge stays on the channel's user
 * until the caller has handed it to user space and calls
 * kipc_channel_dequeue_commit(), which cannot fail; if handing it over
 * fails, kipc_channel_dequeue_undo() puts it back as it was. No buffer,
 * charge or mapping moves to the receiver before delivery has succeeded;
 * the bytes a failed hand-over copied before it failed stay in the
 * caller's memory (as a pipe's read that faults leaves them), the message
 * queued for the next receive.
 * A message that is not returned stays at the head of the queue.
 * Context: process context, may sleep when @wait.
 * Return: the message, or NULL.
 */
struct kipc_kmsg *kipc_channel_dequeue(struct kipc_channel *c,
				       struct kipc_region_handle *h,
				       u32 data_room, u32 bufs_room, u32 lends_room,
				       bool wait, const struct kipc_deadline *dl,
				       int *err)
{
	struct kipc_kmsg *m;
	bool ended;

	spin_lock(&c->lock);
	while (list_empty(&c->queue)) {
		/* Under the lock: a message put back is queued or still taken. */
		ended = kipc_channel_ended(c);
		spin_unlock(&c->lock);
		if (ended) {
			*err = 0;
			return NULL;
		}
		if (!wait) {
			*err = -EAGAIN;
			return NULL;
		}
		kipc_stat_inc(KIPC_STAT_RECV_WAITS);
		*err = kipc_wait_polled(&c->recv_wait, kipc_channel_readable, c,
					dl, &c->poll_ns);
		if (*err > 0) {
			kipc_stat_inc(KIPC_STAT_RECV_POLLS);
			*err = 0;
		}
		if (*err)
			return NULL;
		spin_lock(&c->lock);
	}
	m = list_first_entry(&c->queue, struct kipc_kmsg, node);
	if (m->nr_bufs && !kipc_region_held(c->region)) {
		/*
		 * No handle of the region can be made again to take them: the
		 * message goes on without its buffers rather than never.
		 */
		kipc_bufs_drop_from_flight(c->region, m->bufs, m->nr_bufs);
		m->nr_bufs = 0;
		m->bufs_lost = true;
	}
	if (m->data_len > data_room || m->nr_bufs > bufs_room ||
	    m->nr_lends > lends_room) {
		*err = -EMSGSIZE;
		goto out_unlock;
	}
	if (m->nr_bufs && !h) {
		*err = -EBADF;
		goto out_unlock;
	}
	if (m->nr_bufs && h->region != c->region) {
		*err = -EINVAL;
		goto out_unlock;
	}
	list_del(&m->node);
	c->nr_queued--;
	c->nr_received++;
	atomic_inc(&c->nr_taking);
	spin_unlock(&c->lock);
	return m;

out_unlock:
	spin_unlock(&c->lock);
	return NULL;
}

/**
 * kipc_channel_dequeue_commit() - a message taken by kipc_channel_dequeue() is
 *	delivered
 * @c: the channel
 * @h: the handle that now owns the message's buffers (NULL when it has
 *	none)
 * @m: the message; the caller still owns the allocation
 *
 * Moves the buffers from flight to @h, uncharges the message and counts it
 * received. Cannot fail.
 * Context: process context.
 */
void kipc_channel_dequeue_commit(struct kipc_channel *c,
				 struct kipc_region_handle *h,
				 struct kipc_kmsg *m)
{
	u32 i;

	kipc_bufs_from_flight(c->region, h, m->bufs, m->nr_bufs);
	for (i = 0; i < m->nr_lends; i++)
		kipc_lend_set_delivered(m->lends[i]);
	kipc_user_uncharge(kipc_kmsg_payer(c, m), KIPC_RES_INFLIGHT, m->charge);
	if (trace_kipc_msg_recv_enabled())
		trace_kipc_msg_recv(c->obj.id, m->data_len, m->nr_bufs,
				    m->nr_lends, m->queued_ns ?
				    ktime_get_ns() - m->queued_ns : 0);
	/* As in kipc_channel_enqueue(), for senders waiting for room. */
	if (wq_has_sleeper(&c->send_wait))
		wake_up_interruptible_sync_poll(&c->send_wait,
						EPOLLOUT | EPOLLWRNORM);
	/*
	 * Receivers that found the queue empty and no sender wait for this;
	 * pollers that come later read nr_taking after a full barrier
	 * (kipc_recv_poll()).
	 */
	if (atomic_dec_and_test(&c->nr_taking) && !READ_ONCE(c->nr_senders))
		kipc_wake_all_poll(&c->recv_wait, EPOLLHUP);
	kipc_stat_inc(KIPC_STAT_MSGS_RECEIVED);
	kipc_stat_add(KIPC_STAT_BYTES_RECEIVED, m->data_len);
	kipc_stat_add(KIPC_STAT_BUFS_RECEIVED, m->nr_bufs);
}

/**
 * kipc_channel_dequeue_undo() - put back a message kipc_channel_dequeue() took
 * @c: the channel
 * @m: the message, as kipc_channel_dequeue() returned it
 *
 * For a receive that could not hand the message to its caller: the message
 * returns to the queue as kipc_channel_dequeue() left it (its buffers
 * never left flight, unless they were lost), so that nothing is lost,
 * in its place in send order: ahead of every message sent after it, and
 * behind those that other failed receives put back before it. The queue
 * may briefly exceed its depth.
 */
void kipc_channel_dequeue_undo(struct kipc_channel *c, struct kipc_kmsg *m)
{
	struct kipc_kmsg *pos;

	spin_lock(&c->lock);
	if (!c->nr_senders)
		kipc_kmsg_charge_to_creator(c, m);
	/* Past those put back only: the first is later as a rule. */
	list_for_each_entry(pos, &c->queue, node)
		if ((s32)(pos->seq - m->seq) > 0)
			break;
	list_add_tail(&m->node, &pos->node);
	c->nr_queued++;
	c->nr_received--;
	atomic_dec(&c->nr_taking);
	spin_unlock(&c->lock);
	wake_up_interruptible_poll(&c->recv_wait, EPOLLIN | EPOLLRDNORM);
}

/**
 * kipc_channel_end_get() - count one more holder of an end
 * @c: the channel
 * @send: the send end, or the receive end
 *
 * For a new end file, or a name that keeps the end open. Takes a
 * reference on the channel, dropped by kipc_channel_end_put().
 *
 * Return: 0, or -EPIPE when every holder of that end is gone already (the
 * peers have seen end of stream or EPIPE; the end cannot come back).
 */
int kipc_channel_end_get(struct kipc_channel *c, bool send)
{
	u32 *nr = send ? &c->nr_senders : &c->nr_receivers;
	int ret = 0;

	spin_lock(&c->lock);
	if (*nr) {
		(*nr)++;
		kipc_obj_get(&c->obj);
	} else {
		ret = -EPIPE;
	}
	spin_unlock(&c->lock);
	return ret;
}

/**
 * kipc_channel_end_put() - a holder of an end is gone
 * @c: the channel
 * @send: the send end, or the receive end
 *
 * The last send end gone, receivers see end of stream once the queue
 * drains, and the channel's creator pays for what is queued where it can
 * (kipc_kmsg_charge_to_creator()); the last receive end gone, queued
 * messages are dropped (their buffers return to the pool, their lent
 * ranges are completed as dropped) and senders get EPIPE.
 * Context: process context, may sleep.
 */
void kipc_channel_end_put(struct kipc_channel *c, bool send)
{
	LIST_HEAD(dropped);
	struct kipc_kmsg *m;
	bool last;

	might_sleep();
	spin_lock(&c->lock);
	if (send) {
		last = !--c->nr_senders;
		if (last)
			list_for_each_entry(m, &c->queue, node)
				kipc_kmsg_charge_to_creator(c, m);
	} else {
		last = !--c->nr_receivers;
		/* Nobody can receive them: give their buffers back now. */
		if (last)
			kipc_channel_drop_locked(c, &dropped);
	}
	spin_unlock(&c->lock);
	kipc_kmsgs_free(c, &dropped);
	/* Only the last end's going changes what the other side sees. */
	if (last) {
		kipc_event_peer_closed(&c->obj, !send);
		if (send)
			kipc_wake_all_poll(&c->recv_wait, EPOLLHUP);
		else
			kipc_wake_all_poll(&c->send_wait,
					   EPOLLERR | EPOLLHUP);
	}
	kipc_obj_put(&c->obj);
}

/**
 * kipc_channel_new_end() - a new file of an end of @c
 * @c: the channel
 * @send: a send end, or a receive end
 * @flags: O_CLOEXEC and O_NONBLOCK
 *
 * Return: the file, or ERR_PTR() of -EPIPE (see kipc_channel_end_get()),
 * -ENOMEM.
 */
struct file *kipc_channel_new_end(struct kipc_channel *c, bool send,
				  unsigned int flags)
{
	struct file *file;
	int ret;

	ret = kipc_channel_end_get(c, send);
	if (ret)
		return ERR_PTR(ret);
	if (send)
		file = anon_inode_getfile("[kipc-send]", &kipc_send_fops, c,
					  O_WRONLY | flags);
	else
		file = anon_inode_getfile("[kipc-recv]", &kipc_recv_fops, c,
					  O_RDONLY | flags);
	if (IS_ERR(file))
		kipc_channel_end_put(c, send);
	return file;
}

/**
 * kipc_channel_id() - the id of a channel
 * @c: the channel
 *
 * Return: its id, as in fdinfo and netlink.
 */
u32 kipc_channel_id(const struct kipc_channel *c)
{
	return c->obj.id;
}

/* The user charged for @c: its creator, as kipc_user_key() names it. */
kuid_t kipc_channel_owner(const struct kipc_channel *c)
{
	return c->obj.user->uid;
}

static int kipc_send_release(struct inode *inode, struct file *file)
{
	kipc_channel_end_put(file->private_data, true);
	return 0;
}

static int kipc_recv_release(struct inode *inode, struct file *file)
{
	kipc_channel_end_put(file->private_data, false);
	return 0;
}

static __poll_t kipc_send_poll(struct file *file, poll_table *wait)
{
	struct kipc_channel *c = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &c->send_wait, wait);
	spin_lock(&c->lock);
	if (!c->nr_receivers)
		mask |= EPOLLERR | EPOLLHUP;
	else if (c->nr_queued < c->depth)
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&c->lock);
	return mask;
}

static __poll_t kipc_recv_poll(struct file *file, poll_table *wait)
{
	struct kipc_channel *c = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &c->recv_wait, wait);
	spin_lock(&c->lock);
	/*
	 * The end of stream needs both the last sender's close (seen through
	 * this lock) and the last commit's decrement of nr_taking, and that
	 * commit wakes nobody when it still read a sender: store buffering
	 * across three CPUs. Pairs with the full barrier of the commit's
	 * atomic_dec_and_test(); without it a CPU that is not multi-copy
	 * atomic could read the old nr_taking here and report no EPOLLHUP,
	 * with no wake-up to come. No instruction on x86-64.
	 */
	smp_mb__after_spinlock();
	if (c->nr_queued)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (kipc_channel_ended(c))
		mask |= EPOLLHUP;
	spin_unlock(&c->lock);
	return mask;
}

static void kipc_channel_show_fdinfo(struct seq_file *m, struct file *file,
				     const char *end)
{
	struct kipc_channel *c = file->private_data;
	u32 queued, senders, receivers;

	spin_lock(&c->lock);
	queued = c->nr_queued;
	senders = c->nr_senders;
	receivers = c->nr_receivers;
	spin_unlock(&c->lock);
	seq_printf(m, "kipc-object:\t%s\nkipc-id:\t%u\nkipc-depth:\t%u\n"
		   "kipc-queued:\t%u\nkipc-senders:\t%u\nkipc-receivers:\t%u\n"
		   "kipc-region-id:\t%u\nkipc-poll-ns:\t%u\n", end, c->obj.id,
		   c->depth, queued, senders, receivers,
		   c->region ? kipc_region_id(c->region) : 0,
		   READ_ONCE(c->poll_ns));
}

static void kipc_send_show_fdinfo(struct seq_file *m, struct file *file)
{
	kipc_channel_show_fdinfo(m, file, "channel-send");
}

static void kipc_recv_show_fdinfo(struct seq_file *m, struct file *file)
{
	kipc_channel_show_fdinfo(m, file, "channel-recv");
}

static const struct file_operations kipc_send_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_send_release,
	.write		= kipc_send_write,
	.poll		= kipc_send_poll,
	.unlocked_ioctl	= kipc_send_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kipc_send_show_fdinfo,
	.llseek		= noop_llseek,
};

static const struct file_operations kipc_recv_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_recv_release,
	.read		= kipc_recv_read,
	.poll		= kipc_recv_poll,
	.unlocked_ioctl	= kipc_recv_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kipc_recv_show_fdinfo,
	.llseek		= noop_llseek,
};

/**
 * kipc_channel_nl_stat() - a channel's state, for netlink
 * @obj: the channel's object, with a reference held by the caller
 * @st: out
 */
void kipc_channel_nl_stat(struct kipc_obj *obj, struct kipc_nl_chan_stat *st)
{
	struct kipc_channel *c = container_of(obj, struct kipc_channel, obj);

	st->depth = c->depth;
	st->max_inline = c->max_inline;
	st->region_id = c->region ? kipc_region_id(c->region) : 0;
	spin_lock(&c->lock);
	st->queued = c->nr_queued;
	st->senders = c->nr_senders;
	st->receivers = c->nr_receivers;
	st->msgs_sent = c->nr_sent;
	st->msgs_received = c->nr_received;
	spin_unlock(&c->lock);
}
