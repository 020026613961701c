// SPDX-License-Identifier: GPL-2.0
/*
 * kipc ioctl entry points. With the *_io.c files (chan_io.c: channel
 * message marshalling, read and write), the only code of the module that
 * touches __user pointers: every argument is copied in and validated
 * here, then handed to the mechanics (region.c, chan.c, lend.c, names.c,
 * waitq.c) as kernel values.
 *
 * Dispatch is by table (kipc_ioctls[], indexed by ioctl number): each entry
 * names the kind of file it applies to, its handler, the sizes of its
 * argument struct and the flags it accepts, so that copying an extensible
 * struct in, checking its flags and reserved fields, copying its outputs
 * back out and installing new file descriptors is written once.
 */
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/kipc.h>

#include "kipc.h"

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
	struct kipc_service_create service_create;
	struct kipc_connect connect;
	struct kipc_accept accept;
	struct kipc_call call;
};

/* The kinds of kipc file, for the table's @on masks. */
enum kipc_file_kind {
	KIPC_ON_CTX	= BIT(0),
	KIPC_ON_REGION	= BIT(1),
	KIPC_ON_SEND	= BIT(2),
	KIPC_ON_RECV	= BIT(3),
	KIPC_ON_LENDQ	= BIT(4),
	KIPC_ON_SERVICE	= BIT(5),
};

/**
 * struct kipc_new_fds - what a handler creates, undone if the call fails
 * @nr: how many fds are reserved
 * @fd: the reserved numbers
 * @file: their files, installed only once the argument is copied out
 * @name: a name the handler published (a reference), removed again if
 *	the call fails after publishing it (no fd for it, or the argument
 *	cannot be copied out); NULL for none
 * @finish: NULL, or called once the call's outcome is known: with @ok
 *	after the files are installed, or without it before they would be
 *	put (it may take them back, clearing @file[])
 * @finish_arg: for @finish
 * @finish_svc: for @finish
 * @finish_offset: for @finish
 * @finish_gains: for @finish
 */
struct kipc_new_fds {
	unsigned int nr;
	int fd[2];
	struct file *file[2];
	struct kipc_name *name;
	void (*finish)(struct kipc_new_fds *nf, bool ok);
	void *finish_arg;
	struct kipc_service *finish_svc;
	u64 finish_offset;
	u64 finish_gains;
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
 * @out_on_error: copy them back also when the handler fails
 * @has_flags: the argument has a __u32 flags field, at @flags_off
 * @valid_flags: the flags the module knows; any other set is -EINVAL
 * @flags_off: offset of the flags field
 * @reserved_off: offset of the reserved[] field, which must be zero
 * @reserved_len: its size
 */
struct kipc_ioctl_def {
	unsigned int cmd;
	unsigned int on;
	u32 size;
	u32 size_ver0;
	bool copy_out;
	bool out_on_error;
	bool has_flags;
	u32 valid_flags;
	u16 flags_off;
	u16 reserved_off;
	u16 reserved_len;
	int (*handler)(struct file *file, union kipc_ioctl_arg *arg,
		       struct kipc_new_fds *nf);
};

/*
 * Reserve an fd, close-on-exec when @flags has O_CLOEXEC (a file's own
 * f_flags do not keep it), for a file the handler sets in nf->file[] once
 * it has it. Reserved first by a handler that publishes something, so
 * that no fd table full (EMFILE) fails the call after others see it; the
 * dispatcher puts the fd if the call fails.
 */
static int kipc_reserve_fd(struct kipc_new_fds *nf, unsigned int flags)
{
	int fd = get_unused_fd_flags(flags & O_CLOEXEC);

	if (fd < 0)
		return fd;
	nf->fd[nf->nr] = fd;
	nf->file[nf->nr] = NULL;
	nf->nr++;
	return fd;
}

/* Reserve an fd for @file (see above); on failure @file is put. */
static int kipc_new_fd(struct kipc_new_fds *nf, struct file *file,
		       unsigned int flags)
{
	int fd;

	if (IS_ERR(file))
		return PTR_ERR(file);
	fd = kipc_reserve_fd(nf, flags);
	if (fd < 0) {
		fput(file);
		return fd;
	}
	nf->file[nf->nr - 1] = file;
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

	fd = kipc_new_fd(nf, kipc_region_new(ctx->user, rc->bytes,
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

	if (cc->reserved0)
		return -EINVAL;
	if (cc->region_fd != KIPC_NO_FD) {
		h = kipc_region_fget(cc->region_fd, &rfile);
		if (IS_ERR(h))
			return PTR_ERR(h);
	}
	ret = kipc_channel_new(ctx->user, NULL, cc->depth, cc->max_inline,
			       h ? h->region : NULL, kipc_fd_flags(cc->flags),
			       &send, &recv, &id);
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
	struct kipc_region_handle *h = kipc_region_handle_of(file);

	return kipc_new_fd(nf, kipc_region_open(h->region,
						kipc_fd_flags(ra->flags)),
			   kipc_fd_flags(ra->flags));
}

static int kipc_ioctl_region_info(struct file *file, union kipc_ioctl_arg *arg,
				  struct kipc_new_fds *nf)
{
	struct kipc_region_info *ri = &arg->region_info;
	struct kipc_region_stat st;

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

/*
 * A buffer whose offset could not be copied out goes back to the pool,
 * unless the handle has gained a buffer since (kipc_pool_unalloc()).
 */
static void kipc_buf_alloc_finish(struct kipc_new_fds *nf, bool ok)
{
	if (!ok)
		kipc_pool_unalloc(nf->finish_arg, nf->finish_offset,
				  nf->finish_gains);
}

static int kipc_ioctl_buf_alloc(struct file *file, union kipc_ioctl_arg *arg,
				struct kipc_new_fds *nf)
{
	struct kipc_buf_alloc *ba = &arg->buf_alloc;
	struct kipc_region_handle *h = kipc_region_handle_of(file);
	int ret;

	ret = kipc_pool_alloc(h, !(file->f_flags & O_NONBLOCK), &ba->offset,
			      &nf->finish_gains);
	if (ret)
		return ret;
	nf->finish = kipc_buf_alloc_finish;
	nf->finish_arg = h;
	nf->finish_offset = ba->offset;
	return 0;
}

static int kipc_ioctl_buf_release(struct file *file, union kipc_ioctl_arg *arg,
				  struct kipc_new_fds *nf)
{
	struct kipc_buf_release *br = &arg->buf_release;

	return kipc_pool_release(kipc_region_handle_of(file), br->offset);
}

static int kipc_ioctl_send(struct file *file, union kipc_ioctl_arg *arg,
			   struct kipc_new_fds *nf)
{
	return kipc_chan_io_send(file, &arg->io);
}

static int kipc_ioctl_recv(struct file *file, union kipc_ioctl_arg *arg,
			   struct kipc_new_fds *nf)
{
	return kipc_chan_io_recv(file, &arg->io);
}

static int kipc_ioctl_lendq_create(struct file *file,
				   union kipc_ioctl_arg *arg,
				   struct kipc_new_fds *nf)
{
	struct kipc_lendq_create *lc = &arg->lendq_create;
	struct kipc_ctx *ctx = file->private_data;

	return kipc_new_fd(nf, kipc_lendq_new(ctx->user,
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

static int kipc_ioctl_name_open(struct file *file, union kipc_ioctl_arg *arg,
				struct kipc_new_fds *nf)
{
	struct kipc_name_open *no = &arg->name_open;
	struct kipc_ctx *ctx = file->private_data;
	struct kipc_name_req req = {};
	struct kipc_name *published = NULL;
	struct file *opened;
	u32 kind, id;
	int ret;

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
	/*
	 * The fd first: a name this call publishes may be opened by others
	 * at once, so that only a copy-out made to fail by the caller's own
	 * threads can withdraw it again.
	 */
	ret = kipc_reserve_fd(nf, req.flags);
	if (ret >= 0) {
		opened = kipc_name_resolve(&req, &kind, &published, &id);
		if (IS_ERR(opened))
			ret = PTR_ERR(opened);
		else
			nf->file[0] = opened;
	}
	if (req.file)
		fput(req.file);
	/* Published by this call: unpublished again if the call fails. */
	nf->name = published;
	if (ret < 0)
		return ret;
	no->kind = kind;
	no->created = !!published;
	no->id = id;
	return ret;
}

static int kipc_ioctl_name_unlink(struct file *file, union kipc_ioctl_arg *arg,
				  struct kipc_new_fds *nf)
{
	struct kipc_name_unlink *nu = &arg->name_unlink;
	char name[KIPC_NAME_MAX + 1];
	int ret;

	ret = kipc_name_copy(name, nu->name);
	if (ret)
		return ret;
	return kipc_name_delete(name);
}

static int kipc_ioctl_service_create(struct file *file,
				     union kipc_ioctl_arg *arg,
				     struct kipc_new_fds *nf)
{
	struct kipc_service_create *sc = &arg->service_create;
	struct kipc_ctx *ctx = file->private_data;
	struct kipc_region_handle *h = NULL;
	struct file *sfile, *rfile;
	u32 id;
	int ret;

	if (sc->region_fd != KIPC_NO_FD) {
		h = kipc_region_fget(sc->region_fd, &rfile);
		if (IS_ERR(h))
			return PTR_ERR(h);
	}
	sfile = kipc_service_new(ctx->user, sc->backlog, sc->depth,
				 sc->max_inline, h ? h->region : NULL,
				 kipc_fd_flags(sc->flags), &id);
	if (h)
		fput(rfile);
	ret = kipc_new_fd(nf, sfile, kipc_fd_flags(sc->flags));
	if (ret >= 0)
		sc->id = id;
	return ret;
}

/* The deadline of a connect or an accept. */
static int kipc_conn_deadline(u32 flags, u32 clockid, u64 timeout_ns,
			      struct kipc_deadline *dl)
{
	return kipc_deadline_init(dl, flags & KIPC_CONN_TIMEOUT, clockid,
				  timeout_ns);
}

static int kipc_ioctl_connect(struct file *file, union kipc_ioctl_arg *arg,
			      struct kipc_new_fds *nf)
{
	struct kipc_connect *cn = &arg->connect;
	struct kipc_ctx *ctx = file->private_data;
	unsigned int flags = kipc_fd_flags(cn->flags);
	char name[KIPC_NAME_MAX + 1];
	struct kipc_conn_ends ends;
	struct kipc_service *svc;
	struct kipc_deadline dl;
	int ret;

	if (cn->reserved0 || cn->reserved1)
		return -EINVAL;
	ret = kipc_conn_deadline(cn->flags, cn->clockid, cn->timeout_ns, &dl);
	if (ret)
		return ret;
	ret = kipc_name_copy(name, cn->name);
	if (ret)
		return ret;
	svc = kipc_name_service(name);
	if (IS_ERR(svc))
		return PTR_ERR(svc);
	/*
	 * The fds first: once connected, the server may accept the
	 * connection, so nothing after that may fail.
	 */
	while (nf->nr < 2) {
		ret = kipc_reserve_fd(nf, flags);
		if (ret < 0)
			goto out_put;	/* the dispatcher puts the fds */
	}
	ret = kipc_service_connect(svc, ctx->user, flags,
				   !(cn->flags & KIPC_CONN_NONBLOCK), &dl, &ends);
	if (ret)
		goto out_put;
	cn->pid = pid_vnr(ends.pid);
	cn->uid = from_kuid_munged(current_user_ns(), ends.euid);
	cn->gid = from_kgid_munged(current_user_ns(), ends.egid);
	cn->id = ends.id;
	cn->reply_id = ends.reply_id;
	cn->service_id = kipc_service_id(svc);
	nf->file[0] = ends.send;
	nf->file[1] = ends.recv;
	cn->send_fd = nf->fd[0];
	cn->recv_fd = nf->fd[1];
out_put:
	kipc_service_put(svc);
	return ret;
}

/*
 * An accepted connection whose ends could not be handed over goes back to
 * the backlog with them; once they are installed, its record goes.
 */
static void kipc_accept_finish(struct kipc_new_fds *nf, bool ok)
{
	struct kipc_conn *conn = nf->finish_arg;
	struct kipc_service *svc = nf->finish_svc;

	if (ok) {
		kipc_conn_free(conn);
		return;
	}
	nf->file[0] = NULL;
	nf->file[1] = NULL;
	kipc_service_unaccept(svc, conn);
}

static int kipc_ioctl_accept(struct file *file, union kipc_ioctl_arg *arg,
			     struct kipc_new_fds *nf)
{
	struct kipc_accept *ac = &arg->accept;
	struct kipc_service *svc = kipc_service_of(file);
	unsigned int flags = kipc_fd_flags(ac->flags);
	struct kipc_conn_ends ends;
	struct kipc_deadline dl;
	struct kipc_conn *conn;
	int fd;

	if (ac->reserved0 || ac->reserved1)
		return -EINVAL;
	fd = kipc_conn_deadline(ac->flags, ac->clockid, ac->timeout_ns, &dl);
	if (fd)
		return fd;
	conn = kipc_service_accept(svc, !(ac->flags & KIPC_CONN_NONBLOCK) &&
				   !(file->f_flags & O_NONBLOCK), &dl, flags,
				   &ends);
	if (IS_ERR(conn))
		return PTR_ERR(conn);
	ac->pid = pid_vnr(ends.pid);
	ac->uid = from_kuid_munged(current_user_ns(), ends.euid);
	ac->gid = from_kgid_munged(current_user_ns(), ends.egid);
	ac->id = ends.id;
	ac->reply_id = ends.reply_id;
	/* The files stay the record's until the call's outcome is known. */
	fd = get_unused_fd_flags(flags & O_CLOEXEC);
	if (fd < 0)
		goto out_unaccept;
	nf->fd[0] = fd;
	fd = get_unused_fd_flags(flags & O_CLOEXEC);
	if (fd < 0) {
		put_unused_fd(nf->fd[0]);
		goto out_unaccept;
	}
	nf->fd[1] = fd;
	nf->file[0] = ends.recv;
	nf->file[1] = ends.send;
	nf->nr = 2;
	nf->finish = kipc_accept_finish;
	nf->finish_arg = conn;
	nf->finish_svc = svc;
	ac->recv_fd = nf->fd[0];
	ac->send_fd = nf->fd[1];
	return 0;

out_unaccept:
	kipc_service_unaccept(svc, conn);
	return fd;
}

static int kipc_ioctl_call(struct file *file, union kipc_ioctl_arg *arg,
			   struct kipc_new_fds *nf)
{
	return kipc_chan_io_call(file, &arg->call);
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

	if (w->reserved0)
		return -EINVAL;
	ret = kipc_deadline_init(&dl, w->flags & KIPC_WAIT_TIMEOUT, w->clockid,
				 w->timeout_ns);
	if (ret)
		return ret;
	kipc_wait_key_init(&key, kipc_region_handle_of(file));
	key.offset = w->offset;
	key.val = w->val;
	key.bitset = w->bitset;
	ret = kipc_waitq_wait(&key, 1, &dl);
	return ret < 0 ? ret : 0;
}

static int kipc_ioctl_wake(struct file *file, union kipc_ioctl_arg *arg,
			   struct kipc_new_fds *nf)
{
	struct kipc_wake *w = &arg->wake;

	return kipc_waitq_wake(kipc_region_words(kipc_region_handle_of(file)),
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

	ret = kipc_deadline_init(&dl, wv->flags & KIPC_WAIT_TIMEOUT, wv->clockid,
				 wv->timeout_ns);
	if (ret)
		return ret;
	if (!wv->nr || wv->nr > KIPC_WAITV_MAX)
		return -EINVAL;
	/* Held while the caller sleeps: charged to its memory cgroup. */
	a = kmalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
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
	ret = kipc_waitq_wait(a->keys, wv->nr, &dl);
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

	if (rq->reserved0)
		return -EINVAL;
	return kipc_waitq_requeue(kipc_region_words(kipc_region_handle_of(file)),
				  rq->offset, rq->val, rq->nr_wake, rq->nr_requeue,
				  rq->dst_offset);
}

/*
 * KIPC_IOCTL(REGION_CREATE, region_create, KIPC_ON_CTX, KIPC_OUT,
 * KIPC_FD_FLAGS): KIPC_IOC_REGION_CREATE, struct kipc_region_create,
 * handler kipc_ioctl_region_create(), on contexts, with output fields
 * (IN: the argument is only read; nothing is copied back), and the flags
 * it accepts. Every argument struct has a reserved[] field that must be
 * zero; all but struct kipc_version have flags.
 */
#define KIPC_OUT	true
#define KIPC_IN		false
#define KIPC_IOCTL_DEF(_NAME, _name, _on, _out)				\
		.cmd		= KIPC_IOC_##_NAME,			\
		.on		= _on,					\
		.size		= sizeof(struct kipc_##_name),		\
		.size_ver0	= KIPC_##_NAME##_SIZE_VER0,		\
		.handler	= kipc_ioctl_##_name,			\
		.copy_out	= _out,					\
		.reserved_off	= offsetof(struct kipc_##_name, reserved), \
		.reserved_len	= sizeof_field(struct kipc_##_name, reserved)
#define KIPC_IOCTL(_NAME, _name, _on, _out, _flags)			\
	[_IOC_NR(KIPC_IOC_##_NAME)] = {					\
		KIPC_IOCTL_DEF(_NAME, _name, _on, _out),		\
		.has_flags	= true,					\
		.valid_flags	= _flags,				\
		.flags_off	= offsetof(struct kipc_##_name, flags),	\
	}

/* An ioctl whose output fields are copied back also when it fails. */
#define KIPC_IOCTL_ERR_OUT(_NAME, _name, _on, _flags)			\
	[_IOC_NR(KIPC_IOC_##_NAME)] = {					\
		KIPC_IOCTL_DEF(_NAME, _name, _on, KIPC_OUT),		\
		.out_on_error	= true,					\
		.has_flags	= true,					\
		.valid_flags	= _flags,				\
		.flags_off	= offsetof(struct kipc_##_name, flags),	\
	}

#define KIPC_SEND_SIZE_VER0	KIPC_IO_SIZE_VER0
#define KIPC_RECV_SIZE_VER0	KIPC_IO_SIZE_VER0
#define kipc_send		kipc_io
#define kipc_recv		kipc_io

#define KIPC_IO_FLAGS	(KIPC_IO_NONBLOCK | KIPC_IO_TIMEOUT)

static const struct kipc_ioctl_def kipc_ioctls[] = {
	[_IOC_NR(KIPC_IOC_VERSION)] = {
		KIPC_IOCTL_DEF(VERSION, version, KIPC_ON_CTX, KIPC_OUT),
	},
	KIPC_IOCTL(REGION_CREATE, region_create, KIPC_ON_CTX, KIPC_OUT,
		   KIPC_FD_FLAGS),
	KIPC_IOCTL(CHANNEL_CREATE, channel_create, KIPC_ON_CTX, KIPC_OUT,
		   KIPC_FD_FLAGS),
	KIPC_IOCTL(REGION_ATTACH, region_attach, KIPC_ON_REGION, KIPC_IN,
		   KIPC_FD_FLAGS),
	KIPC_IOCTL(BUF_ALLOC, buf_alloc, KIPC_ON_REGION, KIPC_OUT, 0),
	KIPC_IOCTL(BUF_RELEASE, buf_release, KIPC_ON_REGION, KIPC_IN, 0),
	KIPC_IOCTL(REGION_INFO, region_info, KIPC_ON_REGION, KIPC_OUT, 0),
	KIPC_IOCTL(SEND, send, KIPC_ON_SEND, KIPC_IN, KIPC_IO_FLAGS),
	KIPC_IOCTL(RECV, recv, KIPC_ON_RECV, KIPC_IN, KIPC_IO_FLAGS),
	KIPC_IOCTL(WAIT, wait, KIPC_ON_REGION, KIPC_IN, KIPC_WAIT_TIMEOUT),
	KIPC_IOCTL(WAKE, wake, KIPC_ON_REGION, KIPC_IN, 0),
	KIPC_IOCTL(WAITV, waitv, KIPC_ON_CTX, KIPC_IN, KIPC_WAIT_TIMEOUT),
	KIPC_IOCTL(REQUEUE, requeue, KIPC_ON_REGION, KIPC_IN, 0),
	KIPC_IOCTL(LENDQ_CREATE, lendq_create, KIPC_ON_CTX, KIPC_IN,
		   KIPC_FD_FLAGS),
	KIPC_IOCTL(LEND_REAP, lend_reap, KIPC_ON_LENDQ, KIPC_OUT,
		   KIPC_REAP_NONBLOCK),
	KIPC_IOCTL(NAME_OPEN, name_open, KIPC_ON_CTX, KIPC_OUT,
		   KIPC_FD_FLAGS | KIPC_NAME_CREATE | KIPC_NAME_EXCL),
	KIPC_IOCTL(NAME_UNLINK, name_unlink, KIPC_ON_CTX, KIPC_IN, 0),
	KIPC_IOCTL(SERVICE_CREATE, service_create, KIPC_ON_CTX, KIPC_OUT,
		   KIPC_FD_FLAGS),
	KIPC_IOCTL(CONNECT, connect, KIPC_ON_CTX, KIPC_OUT,
		   KIPC_FD_FLAGS | KIPC_CONN_NONBLOCK | KIPC_CONN_TIMEOUT),
	KIPC_IOCTL(ACCEPT, accept, KIPC_ON_SERVICE, KIPC_OUT,
		   KIPC_FD_FLAGS | KIPC_CONN_NONBLOCK | KIPC_CONN_TIMEOUT),
	/* @sent tells a call that failed whether its message went. */
	KIPC_IOCTL_ERR_OUT(CALL, call, KIPC_ON_SEND, KIPC_IO_FLAGS),
};

/* The flags and reserved fields of a copied-in argument: -EINVAL if bad. */
static int kipc_ioctl_arg_check(const struct kipc_ioctl_def *def,
				const union kipc_ioctl_arg *karg)
{
	const u8 *base = (const u8 *)karg;
	u32 flags;

	if (def->has_flags) {
		memcpy(&flags, base + def->flags_off, sizeof(flags));
		if (flags & ~def->valid_flags)
			return -EINVAL;
	}
	if (memchr_inv(base + def->reserved_off, 0, def->reserved_len))
		return -EINVAL;
	return 0;
}

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
 * descriptors the handler created. An argument that cannot be written back
 * fails before the handler runs; only one made read-only meanwhile (by
 * another thread of the caller) fails after, and then the handler's
 * effects that cannot be undone (a reply or completions taken) stand.
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
	ret = kipc_ioctl_arg_check(def, &karg);
	if (ret)
		return ret;
	/*
	 * Some effects cannot be taken back (a reply received, completions
	 * reaped): write the argument back unchanged first, so that a
	 * read-only argument fails before anything is done.
	 */
	if (def->copy_out &&
	    copy_to_user(uarg, &karg, min_t(u32, usize, def->size)))
		return -EFAULT;

	ret = def->handler(file, &karg, &nf);
	if ((ret >= 0 || def->out_on_error) && def->copy_out &&
	    copy_to_user(uarg, &karg, min_t(u32, usize, def->size)) &&
	    ret >= 0)
		ret = -EFAULT;

	if (ret < 0 && nf.finish)
		nf.finish(&nf, false);
	for (i = 0; i < nf.nr; i++) {
		if (ret >= 0) {
			fd_install(nf.fd[i], nf.file[i]);
		} else {
			put_unused_fd(nf.fd[i]);
			if (nf.file[i])
				fput(nf.file[i]);
		}
	}
	if (ret >= 0 && nf.finish)
		nf.finish(&nf, true);
	if (nf.name)
		kipc_name_publish_end(nf.name, ret >= 0);
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
KIPC_FILE_IOCTL(service, KIPC_ON_SERVICE)
