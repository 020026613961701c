// SPDX-License-Identifier: GPL-2.0
/*
 * kipc channel I/O: the marshalling of KIPC_IOC_SEND and KIPC_IOC_RECV
 * (batches of message descriptors, their buffers and lent ranges), and
 * write(2) and read(2) on channel ends. With ioctl.c, the only code of the
 * module that touches __user pointers: what it copies in is checked here
 * and handed to chan.c, region.c and lend.c as kernel values.
 */
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/kipc.h>

#include "kipc.h"

/*
 * Check a send or receive's arguments (its flags and reserved fields are
 * checked by ioctl.c's table); fill the deadline.
 */
static int kipc_io_check(const struct kipc_io *io, struct kipc_deadline *dl)
{
	if (!io->nr_msgs || io->nr_msgs > KIPC_IO_MSGS_MAX)
		return -EINVAL;
	/* A size that cuts VER1's fields would read some and write none. */
	if (io->msg_size < KIPC_MSG_SIZE_VER0 ||
	    (io->msg_size > KIPC_MSG_SIZE_VER0 &&
	     io->msg_size < KIPC_MSG_SIZE_VER1))
		return -EINVAL;
	if (io->msg_size > KIPC_ARG_SIZE_MAX)
		return -E2BIG;
	return kipc_deadline_init(dl, io->flags & KIPC_IO_TIMEOUT, io->clockid,
				  io->timeout_ns);
}

static void __user *kipc_io_msg_ptr(const struct kipc_io *io, u32 i)
{
	return u64_to_user_ptr(io->msgs + (u64)i * io->msg_size);
}

/* Pin the ranges a message lends, completing on lend queue @qfd. */
static int kipc_send_lends(struct kipc_kmsg *m, u32 qfd,
			   const struct kipc_lend_ref *lrefs, u32 n)
{
	struct kipc_lendq *q;
	struct kipc_lend *l;
	struct file *qfile;
	int ret = 0;

	qfile = fget(qfd);
	if (!qfile)
		return -EBADF;
	q = kipc_lendq_of(qfile);
	if (!q) {
		ret = -EINVAL;
		goto out_put_file;
	}
	for (m->nr_lends = 0; m->nr_lends < n; m->nr_lends++) {
		l = kipc_lend_create(q, lrefs[m->nr_lends].addr,
				     lrefs[m->nr_lends].len,
				     lrefs[m->nr_lends].cookie);
		if (IS_ERR(l)) {
			ret = PTR_ERR(l);
			break;
		}
		m->lends[m->nr_lends] = l;
		m->charge += kipc_lend_footprint(l);
	}
out_put_file:
	fput(qfile);
	return ret;
}

/* Whether the lent ranges of @m complete on their queues when freed. */
static void kipc_kmsg_set_sent(struct kipc_kmsg *m, bool sent)
{
	u32 i;

	for (i = 0; i < m->nr_lends; i++)
		kipc_lend_set_sent(m->lends[i], sent);
}

/**
 * struct kipc_chan_batch - what a send or receive batch works with
 * @dl: the deadline
 * @wait: the first message may wait (neither KIPC_IO_NONBLOCK nor an
 *	O_NONBLOCK file)
 * @h: the region handle named by io->region_fd, checked against the
 *	channel's region; NULL when none was named or it is not usable (the
 *	error is then in @h_err, reported only if a message needs a handle)
 * @h_err: why @h is NULL: -EBADF for none, or the lookup's error
 * @rfile: @h's file, referenced until kipc_chan_batch_end()
 */
struct kipc_chan_batch {
	struct kipc_deadline dl;
	bool wait;
	struct kipc_region_handle *h;
	int h_err;
	struct file *rfile;
};

/*
 * Check a batch's arguments and look its region handle up. The first
 * message waits when @wait, unless io->flags has KIPC_IO_NONBLOCK.
 */
static int kipc_chan_batch_begin(struct kipc_chan_batch *b,
				 struct kipc_channel *c, bool wait,
				 const struct kipc_io *io)
{
	struct kipc_region_handle *h;
	int ret;

	might_sleep();
	ret = kipc_io_check(io, &b->dl);
	if (ret)
		return ret;
	b->wait = wait && !(io->flags & KIPC_IO_NONBLOCK);
	b->h = NULL;
	b->h_err = -EBADF;
	if (io->region_fd == KIPC_NO_FD)
		return 0;
	h = kipc_region_fget(io->region_fd, &b->rfile);
	if (IS_ERR(h)) {
		b->h_err = PTR_ERR(h);
	} else if (h->region != kipc_channel_region(c)) {
		fput(b->rfile);
		b->h_err = -EINVAL;
	} else {
		b->h = h;
	}
	return 0;
}

static void kipc_chan_batch_end(struct kipc_chan_batch *b)
{
	if (b->h)
		fput(b->rfile);
}

/* Copy in, check and build message @i of a send. */
static struct kipc_kmsg *kipc_send_prepare(struct kipc_channel *c,
					   const struct kipc_io *io, u32 i,
					   const struct kipc_chan_batch *b)
{
	struct kipc_lend_ref lrefs[KIPC_MSG_LENDS_MAX];
	struct kipc_buf_ref refs[KIPC_MSG_BUFS_MAX];
	struct kipc_region *r = kipc_channel_region(c);
	struct kipc_kmsg *m;
	struct kipc_msg um;
	int ret;
	u32 j;

	ret = copy_struct_from_user(&um, sizeof(um), kipc_io_msg_ptr(io, i),
				    io->msg_size);
	if (ret)
		return ERR_PTR(ret);
	/* pid, uid and gid are outputs of a receive: ignored here. */
	/* Zero, as @reserved always had to be: binary compatibility. */
	if (um.flags)
		return ERR_PTR(-EINVAL);
	if (um.data_len > kipc_channel_max_inline(c))
		return ERR_PTR(-EMSGSIZE);
	if (um.nr_bufs > KIPC_MSG_BUFS_MAX || (um.nr_bufs && !r))
		return ERR_PTR(-EINVAL);
	if (um.nr_bufs && !b->h)
		return ERR_PTR(b->h_err);
	if (um.nr_bufs && copy_from_user(refs, u64_to_user_ptr(um.bufs),
					 um.nr_bufs * sizeof(refs[0])))
		return ERR_PTR(-EFAULT);
	if (um.nr_lends > KIPC_MSG_LENDS_MAX)
		return ERR_PTR(-EINVAL);
	if (um.nr_lends && copy_from_user(lrefs, u64_to_user_ptr(um.lends),
					  um.nr_lends * sizeof(lrefs[0])))
		return ERR_PTR(-EFAULT);
	for (j = 0; j < um.nr_lends; j++)
		if (lrefs[j].reserved)
			return ERR_PTR(-EINVAL);

	m = kipc_kmsg_alloc(c, um.data_len);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->tag = um.tag;
	m->nr_bufs = um.nr_bufs;
	ret = kipc_bufs_check(r, refs, m->bufs, um.nr_bufs);
	if (!ret && copy_from_user(m->data, u64_to_user_ptr(um.data), um.data_len))
		ret = -EFAULT;
	/* Pinned last: the most expensive step, and the one to undo. */
	if (!ret && um.nr_lends)
		ret = kipc_send_lends(m, um.lendq_fd, lrefs, um.nr_lends);
	if (ret) {
		kipc_kmsg_free(c, m);
		return ERR_PTR(ret);
	}
	return m;
}

/* Queue a batch of messages on @c; see kipc_chan_io_send(). */
static int kipc_chan_send(struct kipc_channel *c, bool wait,
			  const struct kipc_io *io)
{
	struct kipc_chan_batch b;
	struct kipc_kmsg *m;
	int ret;
	u32 i;

	ret = kipc_chan_batch_begin(&b, c, wait, io);
	if (ret)
		return ret;
	for (i = 0; i < io->nr_msgs; i++) {
		m = kipc_send_prepare(c, io, i, &b);
		if (IS_ERR(m)) {
			ret = PTR_ERR(m);
			kipc_channel_send_failed(c, ret);
			break;
		}
		/* Only the first message of a batch may wait. */
		kipc_kmsg_set_sent(m, true);
		ret = kipc_channel_enqueue(c, b.h, m, true, b.wait && !i,
					   &b.dl);
		if (ret) {
			kipc_kmsg_set_sent(m, false);
			kipc_kmsg_free(c, m);
			break;
		}
	}
	kipc_chan_batch_end(&b);
	return i ? i : ret;
}

/**
 * kipc_chan_io_send() - KIPC_IOC_SEND: queue a batch of messages
 * @file: the send end
 * @io: the copied-in argument
 *
 * Context: process context, may sleep (only for the first message).
 * Return: the number of messages queued if any, else the error of the
 * first (ioctl-send.rst lists them).
 */
int kipc_chan_io_send(struct file *file, const struct kipc_io *io)
{
	return kipc_chan_send(kipc_channel_of_send(file),
			      !(file->f_flags & O_NONBLOCK), io);
}

/**
 * kipc_send_write() - write(2) on a send end: one message of inline bytes
 * @file: the send end
 * @buf: the bytes
 * @len: how many, at most the channel's max_inline
 * @ppos: unused: a channel is a stream of messages
 *
 * A write is KIPC_IOC_SEND of one message without buffers, lent ranges or
 * tag, waiting unless the file is O_NONBLOCK, with two copies fewer, but
 * the message carries the writer's real ids even on a connection.
 * Context: process context, may sleep.
 * Return: @len, or -EMSGSIZE, -EFAULT, -ENOMEM and the errors of
 * kipc_channel_enqueue().
 */
ssize_t kipc_send_write(struct file *file, const char __user *buf,
			size_t len, loff_t *ppos)
{
	struct kipc_channel *c = kipc_channel_of_send(file);
	struct kipc_deadline dl = {};
	struct kipc_kmsg *m;
	int ret;

	if (len > kipc_channel_max_inline(c)) {
		ret = -EMSGSIZE;
		goto out_failed;
	}
	m = kipc_kmsg_alloc(c, len);
	if (!m) {
		ret = -ENOMEM;
		goto out_failed;
	}
	if (copy_from_user(m->data, buf, len)) {
		kipc_kmsg_free(c, m);
		ret = -EFAULT;
		goto out_failed;
	}
	ret = kipc_channel_enqueue(c, NULL, m, false,
				   !(file->f_flags & O_NONBLOCK), &dl);
	if (ret) {
		kipc_kmsg_free(c, m);
		return ret;
	}
	return len;

out_failed:
	kipc_channel_send_failed(c, ret);
	return ret;
}

/**
 * kipc_recv_read() - read(2) on a receive end: the inline bytes of one message
 * @file: the receive end
 * @buf: where to put them
 * @len: room at @buf
 * @ppos: unused
 *
 * A read is KIPC_IOC_RECV of one message that has only inline bytes (or
 * whose buffers are lost: kipc_channel_dequeue()). A
 * message that does not fit (more bytes than @len, or region buffers or
 * lent ranges, which need KIPC_IOC_RECV) stays queued.
 * Context: process context, may sleep.
 * Return: the message's length, 0 at end of stream (or for an empty
 * message), or -EMSGSIZE, -EFAULT, -EAGAIN, -ERESTARTSYS.
 */
ssize_t kipc_recv_read(struct file *file, char __user *buf, size_t len,
		       loff_t *ppos)
{
	struct kipc_channel *c = kipc_channel_of_recv(file);
	struct kipc_deadline dl = {};
	struct kipc_kmsg *m;
	int ret;

	m = kipc_channel_dequeue(c, NULL, min_t(size_t, len, U32_MAX), 0, 0,
				 !(file->f_flags & O_NONBLOCK), &dl, &ret);
	if (!m)
		return ret;
	if (copy_to_user(buf, m->data, m->data_len)) {
		kipc_channel_dequeue_undo(c, m);
		return -EFAULT;
	}
	kipc_channel_dequeue_commit(c, NULL, m);
	ret = m->data_len;
	kipc_kmsg_free(c, m);
	return ret;
}

/*
 * Write the outputs of a receive into message descriptor @um, whose caller
 * knows @msg_size bytes of it: field by field in one user access section,
 * leaving the caller's inputs (pointers, rooms) as they were. The sender's
 * uid goes last: a receiver that presets it to -1, which it never is, can
 * tell from it that every output of a delivered message is written
 * (libkipc's process groups do, to lease a message whose receiver dies).
 */
static int kipc_recv_put_msg(struct kipc_msg __user *um, u32 msg_size,
			     const struct kipc_kmsg *m)
{
	u32 pid = pid_vnr(m->pid);
	u32 uid = from_kuid_munged(current_user_ns(), m->uid);
	u32 gid = from_kgid_munged(current_user_ns(), m->gid);

	if (!user_write_access_begin(um, msg_size))
		return -EFAULT;
	unsafe_put_user(m->data_len, &um->data_len, efault);
	unsafe_put_user(m->nr_bufs, &um->nr_bufs, efault);
	unsafe_put_user(m->tag, &um->tag, efault);
	unsafe_put_user(pid, &um->pid, efault);
	unsafe_put_user(gid, &um->gid, efault);
	unsafe_put_user(m->bufs_lost ? KIPC_MSG_BUFS_LOST : 0, &um->flags,
			efault);
	if (msg_size >= offsetofend(struct kipc_msg, lendq_fd)) {
		unsafe_put_user(m->nr_lends, &um->nr_lends, efault);
		unsafe_put_user(0, &um->lendq_fd, efault);
	}
	unsafe_put_user(uid, &um->uid, efault);
	user_write_access_end();
	return 0;

efault:
	user_write_access_end();
	return -EFAULT;
}

/* Hand received message @m to message descriptor @i of a receive. */
static int kipc_recv_deliver(struct kipc_channel *c, const struct kipc_io *io,
			     u32 i, const struct kipc_msg *in,
			     const struct kipc_kmsg *m)
{
	struct kipc_lend_ref lrefs[KIPC_MSG_LENDS_MAX];
	struct kipc_buf_ref refs[KIPC_MSG_BUFS_MAX];
	struct kipc_region *r = kipc_channel_region(c);
	u32 b, k;
	int ret;

	if (copy_to_user(u64_to_user_ptr(in->data), m->data, m->data_len))
		return -EFAULT;
	for (b = 0; b < m->nr_bufs; b++) {
		refs[b].offset = kipc_buf_offset(r, &m->bufs[b]);
		refs[b].len = m->bufs[b].len;
	}
	if (m->nr_bufs && copy_to_user(u64_to_user_ptr(in->bufs), refs,
				       m->nr_bufs * sizeof(refs[0])))
		return -EFAULT;

	/* Lent ranges last: mapping them is the one step to undo. */
	for (k = 0; k < m->nr_lends; k++) {
		memset(&lrefs[k], 0, sizeof(lrefs[k]));
		ret = kipc_lend_map(m->lends[k], &lrefs[k].addr);
		if (ret)
			goto out_unmap;
		lrefs[k].len = kipc_lend_len(m->lends[k]);
	}
	ret = -EFAULT;
	if (m->nr_lends && copy_to_user(u64_to_user_ptr(in->lends), lrefs,
					m->nr_lends * sizeof(lrefs[0])))
		goto out_unmap;
	ret = kipc_recv_put_msg(kipc_io_msg_ptr(io, i), io->msg_size, m);
	if (ret)
		goto out_unmap;
	return 0;

out_unmap:
	while (k--)
		kipc_lend_unmap(m->lends[k], lrefs[k].addr, lrefs[k].len);
	return ret;
}

/* Take a batch of messages off @c; see kipc_chan_io_recv(). */
static int kipc_chan_recv(struct kipc_channel *c, bool wait,
			  const struct kipc_io *io)
{
	struct kipc_chan_batch b;
	struct kipc_kmsg *m;
	struct kipc_msg in;
	int ret;
	u32 i;

	ret = kipc_chan_batch_begin(&b, c, wait, io);
	if (ret)
		return ret;
	for (i = 0; i < io->nr_msgs; i++) {
		ret = copy_struct_from_user(&in, sizeof(in),
					    kipc_io_msg_ptr(io, i), io->msg_size);
		if (ret)
			break;
		m = kipc_channel_dequeue(c, b.h, in.data_len, in.nr_bufs,
					 in.nr_lends, b.wait && !i, &b.dl, &ret);
		if (!m) {
			if (ret == -EBADF && !b.h)
				ret = b.h_err;
			break;
		}
		ret = kipc_recv_deliver(c, io, i, &in, m);
		if (ret) {
			kipc_channel_dequeue_undo(c, m);
			break;
		}
		/* Delivered: only now do its buffers become the caller's. */
		kipc_channel_dequeue_commit(c, b.h, m);
		kipc_kmsg_free(c, m);
	}
	kipc_chan_batch_end(&b);
	return i ? i : ret;
}

/**
 * kipc_chan_io_recv() - KIPC_IOC_RECV: take a batch of messages
 * @file: the receive end
 * @io: the copied-in argument
 *
 * A message's buffers become the caller's only once it is delivered: one
 * that cannot be (a bad pointer) goes back on the queue, in its place.
 * Context: process context, may sleep (only for the first message).
 * Return: the number of messages delivered if any, else the error of the
 * first (ioctl-recv.rst lists them).
 */
int kipc_chan_io_recv(struct file *file, const struct kipc_io *io)
{
	return kipc_chan_recv(kipc_channel_of_recv(file),
			      !(file->f_flags & O_NONBLOCK), io);
}

/**
 * kipc_chan_io_call() - KIPC_IOC_CALL: send one message, receive one
 * @file: the send end
 * @call: the copied-in argument; @call->sent is set
 *
 * The send is KIPC_IOC_SEND of one message (waiting for room unless
 * KIPC_IO_NONBLOCK); once it is queued, the receive is KIPC_IOC_RECV of one
 * message on @call->recv_fd, waiting until the deadline. The O_NONBLOCK
 * flags of the files do not count: a call is one blocking operation.
 * Context: process context, may sleep.
 * Return: 1 (a message received), 0 (end of stream), or the error of the
 * send (then @call->sent is 0) or of the receive (ioctl-call.rst). A signal
 * while receiving is -EINTR, never a restart: the message has gone.
 */
int kipc_chan_io_call(struct file *file, struct kipc_call *call)
{
	struct kipc_io io = {
		.size = sizeof(io),
		.flags = call->flags,
		.nr_msgs = 1,
		.msg_size = call->msg_size,
		.region_fd = call->region_fd,
		.clockid = call->clockid,
		.timeout_ns = call->timeout_ns,
	};
	struct kipc_channel *rc;
	struct file *rfile;
	int ret;

	call->sent = 0;
	if (call->reserved0 || !call->recv_msg)
		return -EINVAL;
	rfile = fget(call->recv_fd);
	if (!rfile)
		return -EBADF;
	rc = kipc_channel_of_recv(rfile);
	if (!rc) {
		ret = -EINVAL;
		goto out_put;
	}
	if (call->send_msg) {
		io.msgs = call->send_msg;
		ret = kipc_chan_send(kipc_channel_of_send(file), true, &io);
		if (ret < 0)
			goto out_put;
		call->sent = 1;
	}
	io.msgs = call->recv_msg;
	io.flags &= ~KIPC_IO_NONBLOCK;
	ret = kipc_chan_recv(rc, true, &io);
	/* A restarted call would send its request a second time. */
	if (ret == -ERESTARTSYS && call->sent)
		ret = -EINTR;
out_put:
	fput(rfile);
	return ret;
}
