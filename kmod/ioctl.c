// SPDX-License-Identifier: GPL-2.0
/*
 * kipc ioctl entry points, and read and write of channel ends: the only
 * file of the module that touches __user pointers. Every argument is
 * copied in and validated here, then handed to the mechanics (region.c,
 * chan.c) as kernel values.
 *
 * Dispatch is by table (kipc_ioctls[], indexed by ioctl number): each entry
 * names the kind of file it applies to, its handler and the sizes of its
 * argument struct, so that copying an extensible struct in, checking it,
 * copying its outputs back out and installing new file descriptors is
 * written once.
 */
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/kipc.h>

#include "kipc.h"

/* Largest argument struct a caller may pass, tail included. */
#define KIPC_ARG_SIZE_MAX	PAGE_SIZE

union kipc_ioctl_arg {
	struct kipc_version version;
	struct kipc_region_create region_create;
	struct kipc_channel_create channel_create;
	struct kipc_region_attach region_attach;
	struct kipc_region_info region_info;
	struct kipc_buf_alloc buf_alloc;
	struct kipc_buf_release buf_release;
	struct kipc_io io;
	struct kipc_lendq_create lendq_create;
	struct kipc_lend_reap lend_reap;
	struct kipc_name_open name_open;
	struct kipc_name_unlink name_unlink;
	struct kipc_wait wait;
	struct kipc_wake wake;
	struct kipc_waitv waitv;
	struct kipc_requeue requeue;
};

/* The kinds of kipc file, for the table's @on masks. */
enum kipc_file_kind {
	KIPC_ON_CTX	= BIT(0),
	KIPC_ON_REGION	= BIT(1),
	KIPC_ON_SEND	= BIT(2),
	KIPC_ON_RECV	= BIT(3),
	KIPC_ON_LENDQ	= BIT(4),
};

/**
 * struct kipc_new_fds - what a handler creates, undone if the call fails
 * @nr: how many fds are reserved
 * @fd: the reserved numbers
 * @file: their files, installed only once the argument is copied out
 * @name_seq: a name the handler published (its sequence number), removed
 *	again if the argument cannot be copied out; 0 for none
 */
struct kipc_new_fds {
	unsigned int nr;
	int fd[2];
	struct file *file[2];
	u64 name_seq;
};

/**
 * struct kipc_ioctl_def - one ioctl of kipc
 * @cmd: the command (matched on type, number and direction)
 * @on: the KIPC_ON_* kinds of file it applies to
 * @size: sizeof the argument struct the module knows
 * @size_ver0: size of the argument struct first published
 * @handler: does the work on the copied-in argument; fills its output
 *	fields; may reserve new fds in its last argument
 * @copy_out: the handler writes output fields, to be copied back
 */
struct kipc_ioctl_def {
	unsigned int cmd;
	unsigned int on;
	u32 size;
	u32 size_ver0;
	bool copy_out;
	int (*handler)(struct file *file, union kipc_ioctl_arg *arg,
		       struct kipc_new_fds *nf);
};

/*
 * Reserve an fd for @file, close-on-exec when @flags has O_CLOEXEC (the
 * file's own f_flags do not keep it); on failure @file is put.
 */
static int kipc_new_fd(struct kipc_new_fds *nf, struct file *file,
		       unsigned int flags)
{
	int fd;

	if (IS_ERR(file))
		return PTR_ERR(file);
	fd = get_unused_fd_flags(flags & O_CLOEXEC);
	if (fd < 0) {
		fput(file);
		return fd;
	}
	nf->fd[nf->nr] = fd;
	nf->file[nf->nr] = file;
	nf->nr++;
	return fd;
}

static unsigned int kipc_fd_flags(u32 flags)
{
	return (flags & KIPC_FD_CLOEXEC ? O_CLOEXEC : 0) |
	       (flags & KIPC_FD_NONBLOCK ? O_NONBLOCK : 0);
}

#define KIPC_FD_FLAGS	(KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK)

static int kipc_ioctl_version(struct file *file, union kipc_ioctl_arg *arg,
			      struct kipc_new_fds *nf)
{
	struct kipc_version *v = &arg->version;

	if (memchr_inv(v->reserved, 0, sizeof(v->reserved)))
		return -EINVAL;
	v->abi_version = KIPC_ABI_VERSION;
	v->features = KIPC_FEATURES_ALL;
	return 0;
}

static int kipc_ioctl_region_create(struct file *file,
				    union kipc_ioctl_arg *arg,
				    struct kipc_new_fds *nf)
{
	struct kipc_region_create *rc = &arg->region_create;
	struct kipc_ctx *ctx = file->private_data;
	u32 id, nr_bufs;
	int fd;

	if (rc->flags & ~KIPC_FD_FLAGS ||
	    memchr_inv(rc->reserved, 0, sizeof(rc->reserved)))
		return -EINVAL;
	fd = kipc_new_fd(nf, kipc_region_create(ctx->user, rc->bytes,
						rc->buf_size,
						kipc_fd_flags(rc->flags),
						&id, &nr_bufs),
			 kipc_fd_flags(rc->flags));
	if (fd < 0)
		return fd;
	rc->id = id;
	rc->nr_bufs = nr_bufs;
	return fd;
}

/*
 * The region handle behind fd @fd, with a reference on its file in *@filep:
 * ERR_PTR(-EBADF) if @fd is not open, ERR_PTR(-EINVAL) if not a region.
 */
static struct kipc_region_handle *kipc_region_fget(u32 fd, struct file **filep)
{
	struct kipc_region_handle *h;
	struct file *file;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	h = kipc_region_handle_of(file);
	if (!h) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	*filep = file;
	return h;
}

static int kipc_ioctl_channel_create(struct file *file,
				     union kipc_ioctl_arg *arg,
				     struct kipc_new_fds *nf)
{
	struct kipc_channel_create *cc = &arg->channel_create;
	struct kipc_ctx *ctx = file->private_data;
	struct kipc_region_handle *h = NULL;
	struct file *send, *recv, *rfile;
	u32 id;
	int ret;

	if (cc->flags & ~KIPC_FD_FLAGS || cc->reserved0 ||
	    memchr_inv(cc->reserved, 0, sizeof(cc->reserved)))
		return -EINVAL;
	if (cc->region_fd != KIPC_NO_FD) {
		h = kipc_region_fget(cc->region_fd, &rfile);
		if (IS_ERR(h))
			return PTR_ERR(h);
	}
	ret = kipc_channel_create(ctx->user, cc->depth, cc->max_inline, h,
				  kipc_fd_flags(cc->flags), &send, &recv, &id);
	if (h)
		fput(rfile);
	if (ret)
		return ret;
	ret = kipc_new_fd(nf, send, kipc_fd_flags(cc->flags));
	if (ret < 0) {
		fput(recv);
		return ret;
	}
	cc->send_fd = ret;
	ret = kipc_new_fd(nf, recv, kipc_fd_flags(cc->flags));
	if (ret < 0)
		return ret;	/* the dispatcher puts the send end */
	cc->recv_fd = ret;
	cc->id = id;
	return 0;
}

static int kipc_ioctl_region_attach(struct file *file,
				    union kipc_ioctl_arg *arg,
				    struct kipc_new_fds *nf)
{
	struct kipc_region_attach *ra = &arg->region_attach;

	if (ra->flags & ~KIPC_FD_FLAGS ||
	    memchr_inv(ra->reserved, 0, sizeof(ra->reserved)))
		return -EINVAL;
	return kipc_new_fd(nf, kipc_region_attach(kipc_region_handle_of(file),
						  kipc_fd_flags(ra->flags)),
			   kipc_fd_flags(ra->flags));
}

static int kipc_ioctl_region_info(struct file *file, union kipc_ioctl_arg *arg,
				  struct kipc_new_fds *nf)
{
	struct kipc_region_info *ri = &arg->region_info;
	struct kipc_region_stat st;

	if (ri->flags || memchr_inv(ri->reserved, 0, sizeof(ri->reserved)))
		return -EINVAL;
	kipc_region_stat(kipc_region_handle_of(file), &st);
	ri->bytes = st.bytes;
	ri->buf_size = st.buf_size;
	ri->id = st.id;
	ri->nr_bufs = st.nr_bufs;
	ri->nr_free = st.nr_free;
	ri->nr_owned = st.nr_owned;
	ri->nr_in_flight = st.nr_in_flight;
	return 0;
}

static int kipc_ioctl_buf_alloc(struct file *file, union kipc_ioctl_arg *arg,
				struct kipc_new_fds *nf)
{
	struct kipc_buf_alloc *ba = &arg->buf_alloc;

	if (ba->flags || memchr_inv(ba->reserved, 0, sizeof(ba->reserved)))
		return -EINVAL;
	return kipc_buf_alloc(kipc_region_handle_of(file),
			      !(file->f_flags & O_NONBLOCK), &ba->offset);
}

static int kipc_ioctl_buf_release(struct file *file, union kipc_ioctl_arg *arg,
				  struct kipc_new_fds *nf)
{
	struct kipc_buf_release *br = &arg->buf_release;

	if (br->flags || memchr_inv(br->reserved, 0, sizeof(br->reserved)))
		return -EINVAL;
	return kipc_buf_release(kipc_region_handle_of(file), br->offset);
}

#define KIPC_IO_FLAGS	(KIPC_IO_NONBLOCK | KIPC_IO_TIMEOUT)

/* Check a send or receive's arguments; fill the deadline. */
static int kipc_io_check(const struct kipc_io *io, struct kipc_deadline *dl)
{
	if (io->flags & ~KIPC_IO_FLAGS ||
	    memchr_inv(io->reserved, 0, sizeof(io->reserved)))
		return -EINVAL;
	if (!io->nr_msgs || io->nr_msgs > KIPC_IO_MSGS_MAX)
		return -EINVAL;
	if (io->msg_size < KIPC_MSG_SIZE_VER0)
		return -EINVAL;
	if (io->msg_size > KIPC_ARG_SIZE_MAX)
		return -E2BIG;
	dl->set = io->flags & KIPC_IO_TIMEOUT;
	if (dl->set) {
		if (io->clockid != CLOCK_MONOTONIC &&
		    io->clockid != CLOCK_REALTIME)
			return -EINVAL;
		dl->clock = io->clockid;
		dl->expires = ns_to_ktime(min_t(u64, io->timeout_ns, KTIME_MAX));
	} else if (io->clockid || io->timeout_ns) {
		return -EINVAL;
	}
	return 0;
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

/* Copy in, check and build message @i of a send. */
static struct kipc_kmsg *kipc_send_prepare(struct kipc_channel *c,
					   const struct kipc_io *io, u32 i,
					   struct kipc_region_handle *h)
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
	if (um.reserved)
		return ERR_PTR(-EINVAL);
	if (um.data_len > kipc_channel_max_inline(c))
		return ERR_PTR(-EMSGSIZE);
	if (um.nr_bufs > KIPC_MSG_BUFS_MAX || (um.nr_bufs && !r))
		return ERR_PTR(-EINVAL);
	if (um.nr_bufs && IS_ERR(h))
		return ERR_CAST(h);
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

/*
 * The region handle named by io->region_fd, checked against the channel's
 * region, with its file referenced in *@filep; an ERR_PTR() is kept and
 * reported only if a message needs a handle.
 */
static struct kipc_region_handle *kipc_io_region(struct kipc_channel *c,
						 const struct kipc_io *io,
						 struct file **filep)
{
	struct kipc_region_handle *h;

	if (io->region_fd == KIPC_NO_FD)
		return ERR_PTR(-EBADF);
	h = kipc_region_fget(io->region_fd, filep);
	if (!IS_ERR(h) && h->region != kipc_channel_region(c)) {
		fput(*filep);
		return ERR_PTR(-EINVAL);
	}
	return h;
}

static int kipc_ioctl_send(struct file *file, union kipc_ioctl_arg *arg,
			   struct kipc_new_fds *nf)
{
	struct kipc_channel *c = kipc_channel_of_send(file);
	struct kipc_io *io = &arg->io;
	struct kipc_region_handle *h;
	struct kipc_deadline dl;
	struct kipc_kmsg *m;
	struct file *rfile;
	bool wait;
	int ret;
	u32 i;

	ret = kipc_io_check(io, &dl);
	if (ret)
		return ret;
	wait = !(io->flags & KIPC_IO_NONBLOCK) && !(file->f_flags & O_NONBLOCK);
	h = kipc_io_region(c, io, &rfile);
	for (i = 0; i < io->nr_msgs; i++) {
		m = kipc_send_prepare(c, io, i, h);
		if (IS_ERR(m)) {
			ret = PTR_ERR(m);
			kipc_channel_send_failed(c, ret);
			break;
		}
		/* Only the first message of a batch may wait. */
		kipc_kmsg_set_sent(m, true);
		ret = kipc_channel_send(c, IS_ERR(h) ? NULL : h, m, wait && !i, &dl);
		if (ret) {
			kipc_kmsg_set_sent(m, false);
			kipc_kmsg_free(c, m);
			break;
		}
	}
	if (!IS_ERR(h))
		fput(rfile);
	return i ? i : ret;
}

/**
 * kipc_send_write() - write(2) on a send end: one message of inline bytes
 * @file: the send end
 * @buf: the bytes
 * @len: how many, at most the channel's max_inline
 * @ppos: unused: a channel is a stream of messages
 *
 * A write is KIPC_IOC_SEND of one message without buffers, lent ranges or
 * tag, waiting unless the file is O_NONBLOCK, with two copies fewer.
 * Context: process context, may sleep.
 * Return: @len, or -EMSGSIZE, -EFAULT, -ENOMEM and the errors of
 * kipc_channel_send().
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
	ret = kipc_channel_send(c, NULL, m, !(file->f_flags & O_NONBLOCK), &dl);
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
 * A read is KIPC_IOC_RECV of one message that has only inline bytes. A
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

	m = kipc_channel_recv(c, NULL, min_t(size_t, len, U32_MAX), 0, 0,
			      !(file->f_flags & O_NONBLOCK), &dl, &ret);
	if (!m)
		return ret;
	if (copy_to_user(buf, m->data, m->data_len)) {
		kipc_channel_unrecv(c, m);
		return -EFAULT;
	}
	kipc_channel_recv_commit(c, NULL, m);
	ret = m->data_len;
	kipc_kmsg_free(c, m);
	return ret;
}

/* Hand received message @m to message descriptor @i of a receive. */
static int kipc_recv_deliver(struct kipc_channel *c, const struct kipc_io *io,
			     u32 i, const struct kipc_msg *in,
			     const struct kipc_kmsg *m)
{
	struct kipc_lend_ref lrefs[KIPC_MSG_LENDS_MAX];
	struct kipc_buf_ref refs[KIPC_MSG_BUFS_MAX];
	struct kipc_region *r = kipc_channel_region(c);
	struct kipc_msg out = *in;
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
	out.data_len = m->data_len;
	out.nr_bufs = m->nr_bufs;
	out.tag = m->tag;
	out.pid = pid_vnr(m->pid);
	out.uid = from_kuid_munged(current_user_ns(), m->uid);
	out.gid = from_kgid_munged(current_user_ns(), m->gid);
	out.reserved = 0;
	out.lendq_fd = 0;

	/* Lent ranges last: mapping them is the one step to undo. */
	for (k = 0; k < m->nr_lends; k++) {
		memset(&lrefs[k], 0, sizeof(lrefs[k]));
		ret = kipc_lend_map(m->lends[k], &lrefs[k].addr);
		if (ret)
			goto out_unmap;
		lrefs[k].len = kipc_lend_len(m->lends[k]);
	}
	out.nr_lends = m->nr_lends;
	ret = -EFAULT;
	if (m->nr_lends && copy_to_user(u64_to_user_ptr(in->lends), lrefs,
					m->nr_lends * sizeof(lrefs[0])))
		goto out_unmap;
	/* Only the fields of the caller's struct; its tail was zero. */
	if (copy_to_user(kipc_io_msg_ptr(io, i), &out,
			 min_t(u32, io->msg_size, sizeof(out))))
		goto out_unmap;
	return 0;

out_unmap:
	while (k--)
		kipc_lend_unmap(lrefs[k].addr, lrefs[k].len);
	return ret;
}

static int kipc_ioctl_recv(struct file *file, union kipc_ioctl_arg *arg,
			   struct kipc_new_fds *nf)
{
	struct kipc_channel *c = kipc_channel_of_recv(file);
	struct kipc_io *io = &arg->io;
	struct kipc_region_handle *h;
	struct kipc_deadline dl;
	struct kipc_kmsg *m;
	struct kipc_msg in;
	struct file *rfile;
	bool wait;
	int ret;
	u32 i;

	ret = kipc_io_check(io, &dl);
	if (ret)
		return ret;
	wait = !(io->flags & KIPC_IO_NONBLOCK) && !(file->f_flags & O_NONBLOCK);
	h = kipc_io_region(c, io, &rfile);
	for (i = 0; i < io->nr_msgs; i++) {
		ret = copy_struct_from_user(&in, sizeof(in),
					    kipc_io_msg_ptr(io, i), io->msg_size);
		if (ret)
			break;
		m = kipc_channel_recv(c, IS_ERR(h) ? NULL : h, in.data_len,
				      in.nr_bufs, in.nr_lends, wait && !i,
				      &dl, &ret);
		if (!m) {
			if (ret == -EBADF && IS_ERR(h))
				ret = PTR_ERR(h);
			break;
		}
		ret = kipc_recv_deliver(c, io, i, &in, m);
		if (ret) {
			kipc_channel_unrecv(c, m);
			break;
		}
		/* Delivered: only now do its buffers become the caller's. */
		kipc_channel_recv_commit(c, IS_ERR(h) ? NULL : h, m);
		kipc_kmsg_free(c, m);
	}
	if (!IS_ERR(h))
		fput(rfile);
	return i ? i : ret;
}

static int kipc_ioctl_lendq_create(struct file *file,
				   union kipc_ioctl_arg *arg,
				   struct kipc_new_fds *nf)
{
	struct kipc_lendq_create *lc = &arg->lendq_create;
	struct kipc_ctx *ctx = file->private_data;

	if (lc->flags & ~KIPC_FD_FLAGS ||
	    memchr_inv(lc->reserved, 0, sizeof(lc->reserved)))
		return -EINVAL;
	return kipc_new_fd(nf, kipc_lendq_create(ctx->user,
						 kipc_fd_flags(lc->flags)),
			   kipc_fd_flags(lc->flags));
}

/* kipc_lend_reap()'s @emit: copy a batch of completions out. */
static int kipc_reap_emit(void *arg, u32 done,
			  const struct kipc_lend_completion *c, u32 n)
{
	const struct kipc_lend_reap *lr = arg;
	void __user *to = u64_to_user_ptr(lr->comps + (u64)done * sizeof(*c));

	return copy_to_user(to, c, n * sizeof(*c)) ? -EFAULT : 0;
}

static int kipc_ioctl_lend_reap(struct file *file, union kipc_ioctl_arg *arg,
				struct kipc_new_fds *nf)
{
	struct kipc_lend_reap *lr = &arg->lend_reap;
	bool wait;

	if (lr->flags & ~KIPC_REAP_NONBLOCK ||
	    memchr_inv(lr->reserved, 0, sizeof(lr->reserved)))
		return -EINVAL;
	if (!lr->nr_comps || lr->nr_comps > KIPC_IO_MSGS_MAX)
		return -EINVAL;
	wait = !(lr->flags & KIPC_REAP_NONBLOCK) &&
	       !(file->f_flags & O_NONBLOCK);
	return kipc_lend_reap(kipc_lendq_of(file), kipc_reap_emit, lr,
			      lr->nr_comps, wait, &lr->nr_outstanding);
}

/* Copy in a name: -EINVAL when empty, -ENAMETOOLONG when too long. */
static int kipc_name_copy(char *name, u64 uname)
{
	long len;

	len = strncpy_from_user(name, u64_to_user_ptr(uname), KIPC_NAME_MAX + 1);
	if (len < 0)
		return len;
	if (!len)
		return -EINVAL;
	if (len > KIPC_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

#define KIPC_NAME_FLAGS	(KIPC_FD_FLAGS | KIPC_NAME_CREATE | KIPC_NAME_EXCL)

static int kipc_ioctl_name_open(struct file *file, union kipc_ioctl_arg *arg,
				struct kipc_new_fds *nf)
{
	struct kipc_name_open *no = &arg->name_open;
	struct kipc_ctx *ctx = file->private_data;
	struct kipc_name_req req = {};
	u64 seq = 0;
	u32 kind, id;
	int ret;

	if (no->flags & ~KIPC_NAME_FLAGS ||
	    memchr_inv(no->reserved, 0, sizeof(no->reserved)))
		return -EINVAL;
	req.create = no->flags & KIPC_NAME_CREATE;
	req.excl = no->flags & KIPC_NAME_EXCL;
	if (req.excl && !req.create)
		return -EINVAL;
	if (req.create && no->mode & ~0777)
		return -EINVAL;
	if (!req.create && (no->mode || no->fd != KIPC_NO_FD))
		return -EINVAL;
	ret = kipc_name_copy(req.name, no->name);
	if (ret)
		return ret;
	req.mode = no->mode;
	req.flags = kipc_fd_flags(no->flags);
	req.user = ctx->user;
	if (req.create) {
		req.file = fget(no->fd);
		if (!req.file)
			return -EBADF;
	}
	ret = kipc_new_fd(nf, kipc_name_open(&req, &kind, &seq, &id),
			  req.flags);
	if (req.file)
		fput(req.file);
	if (ret < 0)
		return ret;
	/* Published by this call: unpublished again if the call fails. */
	nf->name_seq = seq;
	no->kind = kind;
	no->created = seq != 0;
	no->id = id;
	return ret;
}

static int kipc_ioctl_name_unlink(struct file *file, union kipc_ioctl_arg *arg,
				  struct kipc_new_fds *nf)
{
	struct kipc_name_unlink *nu = &arg->name_unlink;
	char name[KIPC_NAME_MAX + 1];
	int ret;

	if (nu->flags || memchr_inv(nu->reserved, 0, sizeof(nu->reserved)))
		return -EINVAL;
	ret = kipc_name_copy(name, nu->name);
	if (ret)
		return ret;
	return kipc_name_unlink(name);
}

/* Fill a deadline from a wait's flags, clock and time. */
static int kipc_wait_deadline(u32 flags, u32 clockid, u64 timeout_ns,
			      struct kipc_deadline *dl)
{
	if (flags & ~KIPC_WAIT_TIMEOUT)
		return -EINVAL;
	dl->set = flags & KIPC_WAIT_TIMEOUT;
	if (!dl->set)
		return clockid || timeout_ns ? -EINVAL : 0;
	if (clockid != CLOCK_MONOTONIC && clockid != CLOCK_REALTIME)
		return -EINVAL;
	dl->clock = clockid;
	dl->expires = ns_to_ktime(min_t(u64, timeout_ns, KTIME_MAX));
	return 0;
}

/* A key of a word of the region of @h, waited on through @h. */
static void kipc_wait_key_init(struct kipc_wait_key *key,
			       struct kipc_region_handle *h)
{
	key->words = kipc_region_words(h);
	key->holder = &h->words;
}

static int kipc_ioctl_wait(struct file *file, union kipc_ioctl_arg *arg,
			   struct kipc_new_fds *nf)
{
	struct kipc_wait *w = &arg->wait;
	struct kipc_wait_key key;
	struct kipc_deadline dl;
	int ret;

	if (w->reserved0 || memchr_inv(w->reserved, 0, sizeof(w->reserved)))
		return -EINVAL;
	ret = kipc_wait_deadline(w->flags, w->clockid, w->timeout_ns, &dl);
	if (ret)
		return ret;
	kipc_wait_key_init(&key, kipc_region_handle_of(file));
	key.offset = w->offset;
	key.val = w->val;
	key.bitset = w->bitset;
	ret = kipc_waitv(&key, 1, &dl);
	return ret < 0 ? ret : 0;
}

static int kipc_ioctl_wake(struct file *file, union kipc_ioctl_arg *arg,
			   struct kipc_new_fds *nf)
{
	struct kipc_wake *w = &arg->wake;

	if (w->flags || memchr_inv(w->reserved, 0, sizeof(w->reserved)))
		return -EINVAL;
	return kipc_wake(kipc_region_words(kipc_region_handle_of(file)),
			 w->offset, w->nr, w->bitset);
}

/* The copied-in entries of a WAITV, too large for the stack. */
struct kipc_waitv_args {
	struct kipc_waitv_entry ents[KIPC_WAITV_MAX];
	struct kipc_wait_key keys[KIPC_WAITV_MAX];
	struct file *files[KIPC_WAITV_MAX];
};

static int kipc_ioctl_waitv(struct file *file, union kipc_ioctl_arg *arg,
			    struct kipc_new_fds *nf)
{
	struct kipc_waitv *wv = &arg->waitv;
	struct kipc_region_handle *h;
	struct kipc_waitv_args *a;
	struct kipc_deadline dl;
	unsigned int i, held = 0;
	int ret;

	if (memchr_inv(wv->reserved, 0, sizeof(wv->reserved)))
		return -EINVAL;
	ret = kipc_wait_deadline(wv->flags, wv->clockid, wv->timeout_ns, &dl);
	if (ret)
		return ret;
	if (!wv->nr || wv->nr > KIPC_WAITV_MAX)
		return -EINVAL;
	a = kmalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	if (copy_from_user(a->ents, u64_to_user_ptr(wv->entries),
			   wv->nr * sizeof(a->ents[0]))) {
		ret = -EFAULT;
		goto out_free;
	}
	for (i = 0; i < wv->nr; i++) {
		if (a->ents[i].reserved) {
			ret = -EINVAL;
			goto out_put;
		}
		h = kipc_region_fget(a->ents[i].region_fd, &a->files[i]);
		if (IS_ERR(h)) {
			ret = PTR_ERR(h);
			goto out_put;
		}
		held++;
		kipc_wait_key_init(&a->keys[i], h);
		a->keys[i].offset = a->ents[i].offset;
		a->keys[i].val = a->ents[i].val;
		a->keys[i].bitset = a->ents[i].bitset;
	}
	ret = kipc_waitv(a->keys, wv->nr, &dl);
out_put:
	for (i = 0; i < held; i++)
		fput(a->files[i]);
out_free:
	kfree(a);
	return ret;
}

static int kipc_ioctl_requeue(struct file *file, union kipc_ioctl_arg *arg,
			      struct kipc_new_fds *nf)
{
	struct kipc_requeue *rq = &arg->requeue;

	if (rq->flags || rq->reserved0 ||
	    memchr_inv(rq->reserved, 0, sizeof(rq->reserved)))
		return -EINVAL;
	return kipc_requeue(kipc_region_words(kipc_region_handle_of(file)),
			    rq->offset, rq->val, rq->nr_wake, rq->nr_requeue,
			    rq->dst_offset);
}

/*
 * KIPC_IOCTL(VERSION, version, CTX, OUT): KIPC_IOC_VERSION, struct
 * kipc_version, handler kipc_ioctl_version(), on contexts, with output
 * fields (IN: the argument is only read; nothing is copied back).
 */
#define KIPC_OUT	true
#define KIPC_IN		false
#define KIPC_IOCTL(_NAME, _name, _on, _out)				\
	[_IOC_NR(KIPC_IOC_##_NAME)] = {					\
		.cmd		= KIPC_IOC_##_NAME,			\
		.on		= _on,					\
		.size		= sizeof(struct kipc_##_name),		\
		.size_ver0	= KIPC_##_NAME##_SIZE_VER0,		\
		.handler	= kipc_ioctl_##_name,			\
		.copy_out	= _out,					\
	}

#define KIPC_SEND_SIZE_VER0	KIPC_IO_SIZE_VER0
#define KIPC_RECV_SIZE_VER0	KIPC_IO_SIZE_VER0
#define kipc_send		kipc_io
#define kipc_recv		kipc_io

static const struct kipc_ioctl_def kipc_ioctls[] = {
	KIPC_IOCTL(VERSION, version, KIPC_ON_CTX, KIPC_OUT),
	KIPC_IOCTL(REGION_CREATE, region_create, KIPC_ON_CTX, KIPC_OUT),
	KIPC_IOCTL(CHANNEL_CREATE, channel_create, KIPC_ON_CTX, KIPC_OUT),
	KIPC_IOCTL(REGION_ATTACH, region_attach, KIPC_ON_REGION, KIPC_IN),
	KIPC_IOCTL(BUF_ALLOC, buf_alloc, KIPC_ON_REGION, KIPC_OUT),
	KIPC_IOCTL(BUF_RELEASE, buf_release, KIPC_ON_REGION, KIPC_IN),
	KIPC_IOCTL(REGION_INFO, region_info, KIPC_ON_REGION, KIPC_OUT),
	KIPC_IOCTL(SEND, send, KIPC_ON_SEND, KIPC_IN),
	KIPC_IOCTL(RECV, recv, KIPC_ON_RECV, KIPC_IN),
	KIPC_IOCTL(WAIT, wait, KIPC_ON_REGION, KIPC_IN),
	KIPC_IOCTL(WAKE, wake, KIPC_ON_REGION, KIPC_IN),
	KIPC_IOCTL(WAITV, waitv, KIPC_ON_CTX, KIPC_IN),
	KIPC_IOCTL(REQUEUE, requeue, KIPC_ON_REGION, KIPC_IN),
	KIPC_IOCTL(LENDQ_CREATE, lendq_create, KIPC_ON_CTX, KIPC_IN),
	KIPC_IOCTL(LEND_REAP, lend_reap, KIPC_ON_LENDQ, KIPC_OUT),
	KIPC_IOCTL(NAME_OPEN, name_open, KIPC_ON_CTX, KIPC_OUT),
	KIPC_IOCTL(NAME_UNLINK, name_unlink, KIPC_ON_CTX, KIPC_IN),
};

static const struct kipc_ioctl_def *kipc_ioctl_lookup(unsigned int cmd,
						      unsigned int on)
{
	const struct kipc_ioctl_def *def;
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != KIPC_MAGIC || nr >= ARRAY_SIZE(kipc_ioctls))
		return NULL;
	def = &kipc_ioctls[nr];
	if (!def->handler || _IOC_DIR(cmd) != _IOC_DIR(def->cmd) ||
	    !(def->on & on))
		return NULL;
	return def;
}

/*
 * Copies the struct in (its first __u32 is its size), runs the handler,
 * copies the struct back out if the handler has output fields (at most as
 * many bytes as the caller passed) and only then installs the file
 * descriptors the handler created.
 *
 * Return: the handler's result (0, a count or a new fd) on success, or
 * -ENOTTY (@cmd is not a kipc command for this kind of file), -EFAULT
 * (@arg is not a readable and writable user address), -EINVAL (size below
 * the first published version, or a reserved field or an input flag the
 * module does not know is set), -E2BIG (size above the module's struct with
 * a non-zero tail, or above a page), or any error of the handler.
 */
static long kipc_ioctl(struct file *file, unsigned int cmd, unsigned long arg,
		       unsigned int on)
{
	void __user *uarg = (void __user *)arg;
	const struct kipc_ioctl_def *def;
	struct kipc_new_fds nf = {};
	union kipc_ioctl_arg karg;
	unsigned int i;
	u32 usize;
	int ret;

	def = kipc_ioctl_lookup(cmd, on);
	if (!def)
		return -ENOTTY;
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < def->size_ver0)
		return -EINVAL;
	if (usize > KIPC_ARG_SIZE_MAX)
		return -E2BIG;
	ret = copy_struct_from_user(&karg, def->size, uarg, usize);
	if (ret)
		return ret;

	ret = def->handler(file, &karg, &nf);
	if (ret >= 0 && def->copy_out &&
	    copy_to_user(uarg, &karg, min_t(u32, usize, def->size)))
		ret = -EFAULT;

	for (i = 0; i < nf.nr; i++) {
		if (ret >= 0) {
			fd_install(nf.fd[i], nf.file[i]);
		} else {
			put_unused_fd(nf.fd[i]);
			fput(nf.file[i]);
		}
	}
	if (ret < 0 && nf.name_seq)
		kipc_name_unpublish(nf.name_seq);
	return ret;
}

/*
 * The unlocked_ioctl of each kind of kipc file: the kind is known from the
 * file_operations the call came through, so no lookup decides it.
 * Context: process context, may sleep.
 */
#define KIPC_FILE_IOCTL(_kind, _on)					\
long kipc_##_kind##_ioctl(struct file *file, unsigned int cmd,		\
			  unsigned long arg)				\
{									\
	return kipc_ioctl(file, cmd, arg, _on);				\
}

KIPC_FILE_IOCTL(ctx, KIPC_ON_CTX)
KIPC_FILE_IOCTL(region, KIPC_ON_REGION)
KIPC_FILE_IOCTL(send, KIPC_ON_SEND)
KIPC_FILE_IOCTL(recv, KIPC_ON_RECV)
KIPC_FILE_IOCTL(lendq, KIPC_ON_LENDQ)
