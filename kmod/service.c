// SPDX-License-Identifier: GPL-2.0
/*
 * kipc services: the listening side of request/reply connections, like a
 * listening Unix socket.
 *
 * A server creates a service (a file of its own, pollable for pending
 * connections) and publishes it under a name. A client connects by name:
 * the module builds a connection, two private channels (requests, client
 * to server; replies, server to client), charged to the client, hands the
 * client the request send end and the reply receive end, and queues the
 * other two ends on the service's backlog. The server accepts and gets
 * them. Each end is an ordinary channel end: when a side goes, the other
 * reads end of stream and its sends fail with EPIPE.
 *
 * A service listens while any of its files is open; once the last one is
 * closed it never listens again: pending connections are dropped (their
 * clients see the server gone) and connects fail with ECONNREFUSED, even
 * while a name still refers to it.
 *
 * Lock order: kipc_names_lock, then a service's lock; no channel lock is
 * taken under it.
 */
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "kipc.h"

/**
 * struct kipc_service - a service
 * @obj: the object; its references are held by each service file and
 *	each name of it. Its user is charged for it
 * @region: the region every connection's channels are bound to (a
 *	reference), or NULL
 * @backlog: the most connections waiting to be accepted
 * @depth: depth of each connection's channels
 * @max_inline: inline bytes per message of each connection
 * @euid: the creator's effective uid, shown to clients
 * @egid: the creator's effective gid
 * @lock: protects @pending, @nr_pending, @nr_listeners and @nr_accepted
 * @pending: connections waiting to be accepted, oldest first
 * @nr_pending: connections in @pending
 * @nr_listeners: open service files; 0 for good once it drops to 0
 * @nr_accepted: connections accepted since creation
 * @accept_wait: acceptors waiting for a connection; pollers
 * @connect_wait: connectors waiting for room in the backlog
 */
struct kipc_service {
	struct kipc_obj obj;
	struct kipc_region *region;
	u32 backlog;
	u32 depth;
	u32 max_inline;
	kuid_t euid;
	kgid_t egid;

	/* protects pending, nr_pending, nr_listeners, nr_accepted */
	spinlock_t lock;
	struct list_head pending;
	u32 nr_pending;
	u32 nr_listeners;
	u64 nr_accepted;
	wait_queue_head_t accept_wait;
	wait_queue_head_t connect_wait;
};

/**
 * struct kipc_conn - a connection waiting to be accepted
 * @node: in its service's @pending
 * @ends: the server's ends (their file references) and the client's
 *	credentials (a reference on its pid)
 */
struct kipc_conn {
	struct list_head node;
	struct kipc_conn_ends ends;
};

static const struct file_operations kipc_service_fops;

static void kipc_conn_ends_put(struct kipc_conn_ends *ends)
{
	if (ends->send)
		fput(ends->send);
	if (ends->recv)
		fput(ends->recv);
	put_pid(ends->pid);
}

/**
 * kipc_conn_free() - free an accepted connection's record
 * @conn: from kipc_service_accept(); the caller has installed its files
 *	(their references are no longer the record's)
 */
void kipc_conn_free(struct kipc_conn *conn)
{
	put_pid(conn->ends.pid);
	kfree(conn);
}

/* Close the server's ends of connections nobody will accept. */
static void kipc_conns_drop(struct list_head *conns)
{
	struct kipc_conn *conn, *tmp;

	list_for_each_entry_safe(conn, tmp, conns, node) {
		list_del(&conn->node);
		kipc_conn_ends_put(&conn->ends);
		kfree(conn);
	}
}

static void kipc_service_release_obj(struct kipc_obj *obj)
{
	struct kipc_service *s = container_of(obj, struct kipc_service, obj);

	/* The last listener emptied the backlog; a service never built has none. */
	WARN_ON_ONCE(!list_empty(&s->pending));
	if (s->region)
		kipc_region_put(s->region);
}

static const struct kipc_obj_ops kipc_service_ops = {
	.type		= KIPC_OBJ_TYPE_SERVICE,
	.res		= KIPC_RES_SERVICES,
	.created	= KIPC_STAT_SERVICES_CREATED,
	.destroyed	= KIPC_STAT_SERVICES_DESTROYED,
	.release	= kipc_service_release_obj,
};

/**
 * kipc_service_new() - create a service and its first file
 * @user: the creator, charged for the service
 * @backlog: connections waiting at most; 0 for KIPC_DEFAULT_BACKLOG, or
 *	max_backlog when that is lower
 * @depth: depth of each connection's channels; 0 for the default
 * @max_inline: inline bytes per message; 0 for the default
 * @region: the region to bind every connection's channels to, or NULL
 * @flags: O_CLOEXEC and O_NONBLOCK for the file
 * @id: out: the service's id
 *
 * Context: process context, may sleep.
 * Return: the service file, or ERR_PTR() of -EINVAL (a size above its
 * cap), -ENOSPC (the user holds max_services_per_user services), -ENOMEM.
 */
struct file *kipc_service_new(struct kipc_user *user, u32 backlog, u32 depth,
			      u32 max_inline, struct kipc_region *region,
			      unsigned int flags, u32 *id)
{
	struct kipc_service *s;
	struct file *file;
	int ret;

	if (backlog > kipc_max_backlog() || depth > kipc_max_depth() ||
	    max_inline > KIPC_MAX_INLINE)
		return ERR_PTR(-EINVAL);
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);
	ret = kipc_obj_init(&s->obj, &kipc_service_ops, user);
	if (ret) {
		kfree(s);
		return ERR_PTR(ret);
	}
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->pending);
	init_waitqueue_head(&s->accept_wait);
	init_waitqueue_head(&s->connect_wait);
	s->backlog = backlog ?: min_t(u32, KIPC_DEFAULT_BACKLOG,
				     kipc_max_backlog());
	s->depth = depth;
	s->max_inline = max_inline;
	s->euid = current_euid();
	s->egid = current_egid();
	if (region) {
		s->region = region;
		kipc_region_get(region);
	}

	/* The creation reference becomes the file's. */
	file = anon_inode_getfile("[kipc-service]", &kipc_service_fops, s,
				  O_RDWR | flags);
	if (IS_ERR(file)) {
		kipc_obj_put(&s->obj);
		return file;
	}
	s->nr_listeners = 1;
	ret = kipc_obj_publish(&s->obj);
	if (ret) {
		fput(file);	/* its release drops the last reference */
		return ERR_PTR(ret);
	}
	*id = s->obj.id;
	return file;
}

struct kipc_service *kipc_service_of(const struct file *file)
{
	return file->f_op == &kipc_service_fops ? file->private_data : NULL;
}

void kipc_service_get(struct kipc_service *s)
{
	kipc_obj_get(&s->obj);
}

void kipc_service_put(struct kipc_service *s)
{
	kipc_obj_put(&s->obj);
}

u32 kipc_service_id(const struct kipc_service *s)
{
	return s->obj.id;
}

/* The user charged for @s: its creator, as kipc_user_key() names it. */
kuid_t kipc_service_owner(const struct kipc_service *s)
{
	return s->obj.user->uid;
}

/**
 * kipc_service_unlisten() - one listener fewer, and its reference
 * @s: the service
 *
 * The last listener's going refuses the service: pending connections are
 * dropped (their clients read end of stream), waiting connectors fail.
 * Context: process context.
 */
static void kipc_service_unlisten(struct kipc_service *s)
{
	LIST_HEAD(dropped);
	bool last;

	spin_lock(&s->lock);
	last = !--s->nr_listeners;
	if (last) {
		list_splice_init(&s->pending, &dropped);
		s->nr_pending = 0;
	}
	spin_unlock(&s->lock);
	if (last) {
		/* Their clients read end of stream; waiting connectors fail. */
		kipc_conns_drop(&dropped);
		wake_up_interruptible_all(&s->connect_wait);
		kipc_wake_all_poll(&s->accept_wait, EPOLLHUP);
	}
	kipc_obj_put(&s->obj);
}

/**
 * kipc_service_open() - a new file of a service, for another listener
 * @s: the service
 * @flags: O_CLOEXEC and O_NONBLOCK
 *
 * Return: the file, or ERR_PTR() of -ECONNREFUSED (every file of the
 * service is closed: it listens no more), -ENFILE or -ENOMEM.
 */
struct file *kipc_service_open(struct kipc_service *s, unsigned int flags)
{
	struct file *file;
	int ret = 0;

	spin_lock(&s->lock);
	if (s->nr_listeners)
		s->nr_listeners++;
	else
		ret = -ECONNREFUSED;
	spin_unlock(&s->lock);
	if (ret)
		return ERR_PTR(ret);
	kipc_obj_get(&s->obj);
	file = anon_inode_getfile("[kipc-service]", &kipc_service_fops, s,
				  O_RDWR | flags);
	/* The others may all have closed meanwhile: this was the last. */
	if (IS_ERR(file))
		kipc_service_unlisten(s);
	return file;
}

/* Set or clear O_NONBLOCK of a file nobody else holds yet. */
static void kipc_file_set_nonblock(struct file *file, bool nonblock)
{
	spin_lock(&file->f_lock);
	if (nonblock)
		file->f_flags |= O_NONBLOCK;
	else
		file->f_flags &= ~O_NONBLOCK;
	spin_unlock(&file->f_lock);
}

static bool kipc_service_room(void *arg)
{
	struct kipc_service *s = arg;

	return READ_ONCE(s->nr_pending) < s->backlog ||
	       !READ_ONCE(s->nr_listeners);
}

static bool kipc_service_acceptable(void *arg)
{
	struct kipc_service *s = arg;

	return !list_empty_careful(&s->pending);
}

/**
 * kipc_service_connect() - connect to a service
 * @s: the service (a reference held by the caller)
 * @user: the connecting context's user, charged for both channels
 * @flags: O_CLOEXEC and O_NONBLOCK for the client's ends
 * @wait: sleep while the backlog is full
 * @dl: deadline of that sleep
 * @ends: out: the client's ends (request send end, reply receive end),
 *	the connection's ids and the service creator's credentials (@pid is
 *	the service's reference, valid while the caller holds @s)
 *
 * The connection is complete (both channels, the server's ends, the
 * client's credentials) before it is queued: an acceptor never sees a
 * part of one.
 * Context: process context, may sleep.
 * Return: 0, or -ECONNREFUSED (the service listens no more), -EAGAIN (the
 * backlog is full and !@wait), -ETIMEDOUT, -ERESTARTSYS, and the errors
 * of kipc_channel_new() (-ENOSPC: the user's channel cap).
 */
int kipc_service_connect(struct kipc_service *s, struct kipc_user *user,
			 unsigned int flags, bool wait,
			 const struct kipc_deadline *dl,
			 struct kipc_conn_ends *ends)
{
	struct file *req_send, *req_recv, *rep_send, *rep_recv;
	struct kipc_conn *conn;
	u32 id, reply_id;
	int ret;

	might_sleep();
	if (!READ_ONCE(s->nr_listeners))
		return -ECONNREFUSED;
	/*
	 * A full backlog refuses a non-blocking connect before two channels
	 * are made for nothing; the check under s->lock below decides.
	 */
	if (!wait && READ_ONCE(s->nr_pending) >= s->backlog)
		return -EAGAIN;
	conn = kzalloc(sizeof(*conn), GFP_KERNEL_ACCOUNT);
	if (!conn)
		return -ENOMEM;
	ret = kipc_channel_new(user, NULL, s->depth, s->max_inline, s->region,
			       flags | KIPC_CHAN_ECRED, &req_send, &req_recv,
			       &id);
	if (ret)
		goto out_free_conn;
	/* Replies are the server's to pay for: see kipc_channel_new(). */
	ret = kipc_channel_new(user, s->obj.user, s->depth, s->max_inline,
			       s->region, KIPC_CHAN_ECRED, &rep_send, &rep_recv,
			       &reply_id);
	if (ret)
		goto out_put_req;
	/* Both ends of a channel are made alike: the server's get its own at accept. */
	kipc_file_set_nonblock(rep_recv, flags & O_NONBLOCK);
	conn->ends.recv = req_recv;
	conn->ends.send = rep_send;
	conn->ends.id = id;
	conn->ends.reply_id = reply_id;
	conn->ends.pid = get_pid(task_tgid(current));
	conn->ends.euid = current_euid();
	conn->ends.egid = current_egid();

	spin_lock(&s->lock);
	for (;;) {
		if (!s->nr_listeners) {
			ret = -ECONNREFUSED;
			goto out_unlock;
		}
		if (s->nr_pending < s->backlog)
			break;
		spin_unlock(&s->lock);
		if (!wait) {
			ret = -EAGAIN;
			goto out_put_conn;
		}
		ret = kipc_wait_until(&s->connect_wait, kipc_service_room, s, dl);
		if (ret)
			goto out_put_conn;
		spin_lock(&s->lock);
	}
	list_add_tail(&conn->node, &s->pending);
	s->nr_pending++;
	spin_unlock(&s->lock);
	/* Paired with prepare_to_wait() in kipc_wait_until(), as in chan.c. */
	if (wq_has_sleeper(&s->accept_wait))
		wake_up_interruptible_poll(&s->accept_wait, EPOLLIN | EPOLLRDNORM);
	kipc_stat_inc(KIPC_STAT_CONNECTIONS);
	ends->send = req_send;
	ends->recv = rep_recv;
	ends->id = id;
	ends->reply_id = reply_id;
	ends->pid = s->obj.pid;
	ends->euid = s->euid;
	ends->egid = s->egid;
	return 0;

out_unlock:
	spin_unlock(&s->lock);
out_put_conn:
	kipc_conn_ends_put(&conn->ends);
	fput(rep_recv);
	goto out_put_req_send;
out_put_req:
	fput(req_recv);
out_put_req_send:
	fput(req_send);
out_free_conn:
	kfree(conn);
	return ret;
}

/**
 * kipc_service_accept() - take the oldest connection of a service
 * @s: the service
 * @wait: sleep while none is pending
 * @dl: deadline of that sleep
 * @flags: O_NONBLOCK for the server's ends
 * @ends: out: the server's ends (request receive end, reply send end),
 *	the ids and the client's credentials, all still the record's
 *
 * The caller installs the ends and then frees the record with
 * kipc_conn_free(), or, if it cannot hand them over, gives the connection
 * back with kipc_service_unaccept(): nothing is lost.
 * Context: process context, may sleep when @wait.
 * Return: the connection's record, or ERR_PTR() of -EAGAIN (none pending
 * and !@wait), -ETIMEDOUT, -ERESTARTSYS.
 */
struct kipc_conn *kipc_service_accept(struct kipc_service *s, bool wait,
				      const struct kipc_deadline *dl,
				      unsigned int flags,
				      struct kipc_conn_ends *ends)
{
	struct kipc_conn *conn;
	int ret;

	spin_lock(&s->lock);
	while (list_empty(&s->pending)) {
		spin_unlock(&s->lock);
		if (!wait)
			return ERR_PTR(-EAGAIN);
		ret = kipc_wait_until(&s->accept_wait, kipc_service_acceptable,
				      s, dl);
		if (ret)
			return ERR_PTR(ret);
		spin_lock(&s->lock);
	}
	conn = list_first_entry(&s->pending, struct kipc_conn, node);
	list_del(&conn->node);
	s->nr_pending--;
	s->nr_accepted++;
	spin_unlock(&s->lock);
	if (wq_has_sleeper(&s->connect_wait))
		wake_up_interruptible_poll(&s->connect_wait, EPOLLOUT);
	kipc_file_set_nonblock(conn->ends.send, flags & O_NONBLOCK);
	kipc_file_set_nonblock(conn->ends.recv, flags & O_NONBLOCK);
	*ends = conn->ends;
	return conn;
}

/**
 * kipc_service_unaccept() - give back a connection kipc_service_accept() took
 * @s: the service
 * @conn: the record, its ends not handed over
 *
 * The connection returns to the head of the backlog (which may briefly
 * exceed its size); if the service listens no more it is dropped.
 */
void kipc_service_unaccept(struct kipc_service *s, struct kipc_conn *conn)
{
	LIST_HEAD(dropped);

	spin_lock(&s->lock);
	s->nr_accepted--;
	if (s->nr_listeners) {
		list_add(&conn->node, &s->pending);
		s->nr_pending++;
	} else {
		list_add(&conn->node, &dropped);
	}
	spin_unlock(&s->lock);
	kipc_conns_drop(&dropped);
	wake_up_interruptible_poll(&s->accept_wait, EPOLLIN | EPOLLRDNORM);
}

static int kipc_service_release(struct inode *inode, struct file *file)
{
	kipc_service_unlisten(file->private_data);
	return 0;
}

static __poll_t kipc_service_poll(struct file *file, poll_table *wait)
{
	struct kipc_service *s = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &s->accept_wait, wait);
	spin_lock(&s->lock);
	if (s->nr_pending)
		mask |= EPOLLIN | EPOLLRDNORM;
	spin_unlock(&s->lock);
	return mask;
}

static void kipc_service_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_service *s = file->private_data;
	u32 pending, listeners;
	u64 accepted;

	spin_lock(&s->lock);
	pending = s->nr_pending;
	listeners = s->nr_listeners;
	accepted = s->nr_accepted;
	spin_unlock(&s->lock);
	seq_printf(m, "kipc-object:\tservice\nkipc-id:\t%u\nkipc-backlog:\t%u\n"
		   "kipc-pending:\t%u\nkipc-listeners:\t%u\nkipc-accepted:\t%llu\n"
		   "kipc-region-id:\t%u\n", s->obj.id, s->backlog, pending,
		   listeners, accepted, s->region ? kipc_region_id(s->region) : 0);
}

static const struct file_operations kipc_service_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_service_release,
	.poll		= kipc_service_poll,
	.unlocked_ioctl	= kipc_service_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kipc_service_show_fdinfo,
	.llseek		= noop_llseek,
};

/**
 * kipc_service_nl_stat() - a service's state, for netlink
 * @obj: the service's object, with a reference held by the caller
 * @st: out
 */
void kipc_service_nl_stat(struct kipc_obj *obj, struct kipc_nl_service_stat *st)
{
	struct kipc_service *s = container_of(obj, struct kipc_service, obj);

	st->backlog = s->backlog;
	st->depth = s->depth;
	st->max_inline = s->max_inline;
	st->region_id = s->region ? kipc_region_id(s->region) : 0;
	spin_lock(&s->lock);
	st->pending = s->nr_pending;
	st->listeners = s->nr_listeners;
	st->accepted = s->nr_accepted;
	spin_unlock(&s->lock);
}
