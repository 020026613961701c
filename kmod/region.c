// SPDX-License-Identifier: GPL-2.0
/*
 * kipc regions: shmem-backed memory shared by mmap, with a pool of
 * fixed-size buffers whose ownership the kernel tracks.
 *
 * A buffer is free, owned by one region handle (a file of the region), or
 * in flight on a channel. Ownership moves only under the region's
 * pool_lock. A handle's buffers return to the pool when its file is
 * released, so a process that dies gives back what it held.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/personality.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "compat.h"
#include "kipc.h"

/* Buffers a closing handle scans for its own under pool_lock at a time. */
#define KIPC_RELEASE_BATCH	4096

/* The owner of a buffer queued on a channel. */
#define KIPC_BUF_IN_FLIGHT	((struct kipc_region_handle *)1UL)

/**
 * struct kipc_region - a region of shared memory and its buffer pool
 * @obj: the object; its references are held by each handle, each channel
 *	bound to the region and each name of it
 * @holders: the handles and names of the region: what a new handle can
 *	be made from. The last to go takes @shm, @bytes_charge, the pool's
 *	arrays, @pool_charge and the region's count in max_regions_per_user
 *	with it (kipc_region_unhold()); channels bound to the region keep
 *	only the region itself, whose buffers in flight are then only counted
 * @shm: the shmem file holding the pages, or NULL while being built and
 *	once the last holder is gone; every mapping takes its own reference,
 *	so pages outlive the region while mapped
 * @pool_charge: kernel bytes of @owner and @free charged to the creator,
 *	until the last holder goes
 * @bytes_charge: @bytes, charged to the creator until the last holder
 *	goes
 * @bytes: size of the region
 * @buf_size: size of each buffer, 0 without a pool
 * @nr_bufs: buffers in the pool
 * @pool_lock: protects @owner, @free, @nr_free, @nr_in_flight and every
 *	handle's nr_owned
 * @owner: per buffer: NULL when free, the owning handle, or
 *	KIPC_BUF_IN_FLIGHT; NULL (the array) once the last holder is gone
 * @free: stack of the indices of free buffers, @nr_free deep; NULL once
 *	the last holder is gone
 * @nr_free: free buffers
 * @nr_in_flight: buffers queued on channels
 * @pool_wait: allocators waiting for a free buffer
 * @words: the wait-queue state of the region's words (waitq.c's)
 */
struct kipc_region {
	struct kipc_obj obj;
	atomic_t holders;
	struct file *shm;
	unsigned long pool_charge;
	unsigned long bytes_charge;
	u64 bytes;
	u64 buf_size;
	u32 nr_bufs;

	/* protects owner, free, nr_free, nr_in_flight, handles' nr_owned */
	spinlock_t pool_lock;
	struct kipc_region_handle **owner;
	u32 *free;
	u32 nr_free;
	u32 nr_in_flight;
	wait_queue_head_t pool_wait;
	struct kipc_words words;
};

static const struct file_operations kipc_region_fops;

/* Kernel bytes of the bookkeeping of a pool of @n buffers. */
static unsigned long kipc_pool_bytes(u64 n)
{
	return n * (sizeof(struct kipc_region_handle *) + sizeof(u32));
}

static void kipc_region_release_obj(struct kipc_obj *obj)
{
	struct kipc_region *r = container_of(obj, struct kipc_region, obj);

	if (r->shm)
		fput(r->shm);
	kvfree(r->owner);
	kvfree(r->free);
	kipc_user_uncharge(obj->user, KIPC_RES_POOL, r->pool_charge);
	kipc_user_uncharge(obj->user, KIPC_RES_REGION_BYTES, r->bytes_charge);
}

static const struct kipc_obj_ops kipc_region_ops = {
	.type		= KIPC_OBJ_TYPE_REGION,
	.res		= KIPC_RES_REGIONS,
	.created	= KIPC_STAT_REGIONS_CREATED,
	.destroyed	= KIPC_STAT_REGIONS_DESTROYED,
	.release	= kipc_region_release_obj,
};

void kipc_region_get(struct kipc_region *r)
{
	kipc_obj_get(&r->obj);
}

void kipc_region_put(struct kipc_region *r)
{
	kipc_obj_put(&r->obj);
}

/*
 * The last holder of @r is gone: no handle can be made again, so nothing
 * can map the region, wait on its words or take, send or receive its
 * buffers. Its pages, the charge for its bytes, its pool and its count go
 * now, not when the last channel bound to it does (a client of a service
 * bound to the region holds two, and would keep the creator's memory and
 * charges after the creator had gone). Mappings keep their pages, each
 * holding the shmem file; buffers still in flight are only counted from
 * now on (kipc_bufs_move()). Context: process context; no handle is left,
 * so no ioctl of one runs.
 */
static void kipc_region_orphan(struct kipc_region *r)
{
	struct kipc_region_handle **owner;
	u32 *free;

	spin_lock(&r->pool_lock);
	owner = r->owner;
	free = r->free;
	r->owner = NULL;
	r->free = NULL;
	r->nr_free = 0;
	spin_unlock(&r->pool_lock);
	kvfree(owner);
	kvfree(free);
	kipc_user_uncharge(r->obj.user, KIPC_RES_POOL, r->pool_charge);
	r->pool_charge = 0;
	fput(r->shm);
	r->shm = NULL;
	/* Nothing reads the pages through the words again: no handle. */
	r->words.mapping = NULL;
	kipc_user_uncharge(r->obj.user, KIPC_RES_REGION_BYTES,
			   r->bytes_charge);
	r->bytes_charge = 0;
	/* Nor does it count against max_regions_per_user. */
	kipc_obj_return_count(&r->obj);
}

/* Drop a holder of @r: the last one orphans it. */
static void kipc_region_drop_holder(struct kipc_region *r)
{
	if (atomic_dec_and_test(&r->holders))
		kipc_region_orphan(r);
}

/**
 * kipc_region_hold() - a new holder of @r, a name of it, with a reference
 * @r: the region
 *
 * Context: the caller holds a handle of @r, from which the name is made:
 * the region has a holder.
 */
void kipc_region_hold(struct kipc_region *r)
{
	kipc_region_get(r);
	WARN_ON_ONCE(!atomic_inc_not_zero(&r->holders));
}

/**
 * kipc_region_held() - does a handle or a name still hold @r?
 * @r: the region
 *
 * Return: false once the last holder has gone, for good: no handle of @r
 * can be made again (kipc_region_open()).
 */
bool kipc_region_held(const struct kipc_region *r)
{
	return atomic_read(&r->holders) != 0;
}

/**
 * kipc_region_unhold() - a holder of @r is gone; put its reference
 * @r: the region
 *
 * The last holder takes the region's pages and charges with it
 * (kipc_region_orphan()).
 * Context: process context.
 */
void kipc_region_unhold(struct kipc_region *r)
{
	kipc_region_drop_holder(r);
	kipc_region_put(r);
}

u32 kipc_region_id(const struct kipc_region *r)
{
	return r->obj.id;
}

/* The user charged for @r: its creator, as kipc_user_key() names it. */
kuid_t kipc_region_owner(const struct kipc_region *r)
{
	return r->obj.user->uid;
}

static struct file *kipc_region_new_handle(struct kipc_region *r,
					   unsigned int flags)
{
	struct kipc_region_handle *h;
	struct file *file;

	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return ERR_PTR(-ENOMEM);
	h->region = r;
	file = anon_inode_getfile("[kipc-region]", &kipc_region_fops, h,
				  O_RDWR | flags);
	if (IS_ERR(file)) {
		kfree(h);
		return file;
	}
	kipc_region_get(r);
	kipc_words_hold(&r->words);
	return file;
}

/**
 * kipc_region_new() - create a region and its first handle
 * @user: the creator, charged for the region
 * @bytes: size: a non-zero multiple of the page size
 * @buf_size: buffer size: a page multiple dividing @bytes, or 0
 * @flags: O_CLOEXEC and O_NONBLOCK for the handle's file
 * @id: out: the region's id
 * @nr_bufs: out: buffers in the pool
 *
 * Context: process context, may sleep.
 * Return: the handle's file, or ERR_PTR() of
 * * -EINVAL - a size is zero, not a page multiple, or @buf_size does not
 *   divide @bytes
 * * -EFBIG - @bytes exceeds max_region_bytes
 * * -ENOSPC - the user holds max_regions_per_user regions, or the new
 *   one would take its regions' bytes past max_region_bytes_per_user (or
 *   its pools' bookkeeping past max_pool_bytes_per_user)
 * * -ENOMEM - out of memory
 */
struct file *kipc_region_new(struct kipc_user *user, u64 bytes,
			     u64 buf_size, unsigned int flags,
			     u32 *id, u32 *nr_bufs)
{
	struct kipc_region *r;
	struct file *file;
	u64 n = 0;
	int ret;
	u32 i;

	/* A buffer's length and the number of buffers are 32-bit fields. */
	if (!bytes || !PAGE_ALIGNED(bytes) || !PAGE_ALIGNED(buf_size) ||
	    buf_size > U32_MAX)
		return ERR_PTR(-EINVAL);
	if (buf_size) {
		n = div64_u64(bytes, buf_size);
		if (n * buf_size != bytes || n > U32_MAX)
			return ERR_PTR(-EINVAL);
	}
	if (bytes > kipc_max_region_bytes())
		return ERR_PTR(-EFBIG);

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return ERR_PTR(-ENOMEM);
	ret = kipc_obj_init(&r->obj, &kipc_region_ops, user);
	if (ret) {
		kfree(r);
		return ERR_PTR(ret);
	}
	/* From here kipc_region_put() undoes everything, the charges too. */
	spin_lock_init(&r->pool_lock);
	init_waitqueue_head(&r->pool_wait);
	r->bytes = bytes;
	r->buf_size = buf_size;
	r->nr_bufs = n;
	r->nr_free = n;
	ret = kipc_user_charge(user, KIPC_RES_POOL, kipc_pool_bytes(n));
	if (ret)
		goto out_put;
	r->pool_charge = kipc_pool_bytes(n);
	ret = kipc_user_charge(user, KIPC_RES_REGION_BYTES, bytes);
	if (ret)
		goto out_put;
	r->bytes_charge = bytes;
	if (n) {
		r->owner = kvcalloc(n, sizeof(*r->owner), GFP_KERNEL_ACCOUNT);
		r->free = kvmalloc_array(n, sizeof(*r->free), GFP_KERNEL_ACCOUNT);
		ret = -ENOMEM;
		if (!r->owner || !r->free)
			goto out_put;
		/* Pop order: lowest offset first. */
		for (i = 0; i < n; i++)
			r->free[i] = n - 1 - i;
	}
	/*
	 * Committed page by page as pages are allocated (as a memfd is): a
	 * pool of large buffers that are mostly never touched costs only what
	 * is touched, and its size is not refused by the overcommit policy.
	 */
	file = shmem_file_setup("kipc-region", bytes, VM_NORESERVE);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_put;
	}
	r->shm = file;
	kipc_words_init(&r->words, file->f_mapping, bytes);

	/* The first holder: the handle made now. */
	atomic_set(&r->holders, 1);
	file = kipc_region_new_handle(r, flags);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_put;
	}
	ret = kipc_obj_publish(&r->obj);
	if (ret) {
		fput(file);
		goto out_put;
	}
	*id = r->obj.id;
	*nr_bufs = r->nr_bufs;
	/* The handle holds the region now. */
	kipc_region_put(r);
	return file;

out_put:
	kipc_region_put(r);
	return ERR_PTR(ret);
}

/**
 * kipc_region_open() - a new handle of region @r
 * @r: a region the caller holds a reference on, through a holder (a
 *	handle or a name) for it to succeed
 * @flags: O_CLOEXEC and O_NONBLOCK for the new file
 *
 * Return: the new handle's file, or ERR_PTR(-ENOMEM), or ERR_PTR(-ENOENT)
 * when no handle or name holds @r any more (its pages are gone).
 */
struct file *kipc_region_open(struct kipc_region *r, unsigned int flags)
{
	struct file *file;

	/* A region no handle or name holds any more has no pages to open. */
	if (!atomic_inc_not_zero(&r->holders))
		return ERR_PTR(-ENOENT);
	file = kipc_region_new_handle(r, flags);
	if (IS_ERR(file))
		kipc_region_drop_holder(r);
	return file;
}

/**
 * kipc_region_handle_of() - the region handle behind a file
 * @file: any file
 *
 * Return: the handle, or NULL when @file is not a kipc region.
 */
struct kipc_region_handle *kipc_region_handle_of(const struct file *file)
{
	return file->f_op == &kipc_region_fops ? file->private_data : NULL;
}

/**
 * kipc_region_fget() - the region handle behind a file descriptor
 * @fd: the descriptor
 * @filep: out: its file, with a reference the caller puts
 *
 * Return: the handle, or ERR_PTR(-EBADF) if @fd is not open,
 * ERR_PTR(-EINVAL) if it is not a region.
 */
struct kipc_region_handle *kipc_region_fget(u32 fd, struct file **filep)
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

/**
 * kipc_region_stat() - a snapshot of the region's counters
 * @h: the handle asking (for nr_owned)
 * @st: out
 */
void kipc_region_stat(struct kipc_region_handle *h, struct kipc_region_stat *st)
{
	struct kipc_region *r = h->region;

	st->bytes = r->bytes;
	st->buf_size = r->buf_size;
	st->id = r->obj.id;
	st->nr_bufs = r->nr_bufs;
	spin_lock(&r->pool_lock);
	st->nr_free = r->nr_free;
	st->nr_owned = h->nr_owned;
	st->nr_in_flight = r->nr_in_flight;
	spin_unlock(&r->pool_lock);
}

static bool kipc_region_has_free(void *arg)
{
	struct kipc_region *r = arg;

	return READ_ONCE(r->nr_free) != 0;
}

/**
 * kipc_pool_alloc() - take a free buffer for @h
 * @h: the handle that will own the buffer
 * @wait: sleep while no buffer is free
 * @offset: out: the buffer's offset in the region
 * @gains: out: @h's count of buffers gained, this one included, for
 *	kipc_pool_unalloc()
 *
 * Context: process context, may sleep when @wait.
 * Return: 0, or -EINVAL (the region has no pool), -EAGAIN (none free and
 * !@wait), -ERESTARTSYS (a signal while waiting).
 */
int kipc_pool_alloc(struct kipc_region_handle *h, bool wait, u64 *offset,
		    u64 *gains)
{
	static const struct kipc_deadline forever;
	struct kipc_region *r = h->region;
	u32 idx;
	int ret;

	/*
	 * 64 bits: a copy-out that stalls (userfaultfd, FUSE) while other
	 * threads gain 2^32 buffers must still see the count moved.
	 */
	BUILD_BUG_ON(sizeof(h->gains) < sizeof(u64));
	might_sleep_if(wait);
	if (!r->nr_bufs)
		return -EINVAL;
	for (;;) {
		spin_lock(&r->pool_lock);
		if (r->nr_free)
			break;
		spin_unlock(&r->pool_lock);
		if (!wait)
			return -EAGAIN;
		kipc_stat_inc(KIPC_STAT_BUF_ALLOC_WAITS);
		ret = kipc_wait_until(&r->pool_wait, kipc_region_has_free, r,
				      &forever);
		if (ret)
			return ret;
	}
	idx = r->free[--r->nr_free];
	r->owner[idx] = h;
	h->nr_owned++;
	*gains = ++h->gains;
	spin_unlock(&r->pool_lock);
	*offset = (u64)idx * r->buf_size;
	return 0;
}

/*
 * Put buffer @idx back on the free stack. A buffer that is free already is
 * refused, never pushed twice: the stack has room for each buffer once.
 * Context: pool_lock held.
 */
static void kipc_buf_free_locked(struct kipc_region *r, u32 idx)
{
	lockdep_assert_held(&r->pool_lock);
	if (WARN_ON_ONCE(!r->owner[idx] || r->nr_free >= r->nr_bufs))
		return;
	r->owner[idx] = NULL;
	r->free[r->nr_free++] = idx;
}

static int kipc_buf_index(const struct kipc_region *r, u64 offset, u32 *idx)
{
	u64 i;

	if (!r->nr_bufs || offset >= r->bytes)
		return -EINVAL;
	i = div64_u64(offset, r->buf_size);
	if (i * r->buf_size != offset)
		return -EINVAL;
	*idx = i;
	return 0;
}

/*
 * Return buffer @offset, which @h owns, to the pool; with @gains, only if
 * @h has gained no buffer since kipc_pool_alloc() gave that count (else
 * -EBUSY, the buffer kept).
 */
static int kipc_pool_put(struct kipc_region_handle *h, u64 offset,
			 const u64 *gains)
{
	struct kipc_region *r = h->region;
	int ret;
	u32 idx;

	ret = kipc_buf_index(r, offset, &idx);
	if (ret)
		return ret;
	spin_lock(&r->pool_lock);
	if (!r->owner[idx]) {
		ret = -EALREADY;
	} else if (r->owner[idx] != h) {
		ret = -EPERM;
	} else if (gains && h->gains != *gains) {
		ret = -EBUSY;
	} else {
		kipc_buf_free_locked(r, idx);
		h->nr_owned--;
	}
	spin_unlock(&r->pool_lock);
	if (!ret)
		wake_up(&r->pool_wait);
	return ret;
}

/**
 * kipc_pool_release() - return a buffer @h owns to the pool
 * @h: the owner
 * @offset: the buffer's offset
 *
 * Return: 0, or -EINVAL (not a buffer start in the region), -EALREADY (the
 * buffer is free), -EPERM (another handle owns it, or it is in flight).
 */
int kipc_pool_release(struct kipc_region_handle *h, u64 offset)
{
	return kipc_pool_put(h, offset, NULL);
}

/**
 * kipc_pool_unalloc() - undo a kipc_pool_alloc() whose offset nobody learnt
 * @h: the handle
 * @offset: the buffer's offset
 * @gains: what kipc_pool_alloc() gave
 *
 * The buffer goes back to the pool only if @h has gained no buffer since:
 * by then a thread of the caller may have released that one and been given
 * it again, or received it back, and uses it. Otherwise it stays @h's
 * until @h closes.
 */
void kipc_pool_unalloc(struct kipc_region_handle *h, u64 offset, u64 gains)
{
	kipc_pool_put(h, offset, &gains);
}

/**
 * kipc_bufs_check() - turn a message's buffer references into buffers
 * @r: the channel's region
 * @refs: the references, as the sender gave them
 * @bufs: out: the buffers
 * @n: number of references
 *
 * Checks bounds only; ownership is checked when the buffers move.
 * Return: 0, or -EINVAL for an offset that is not a buffer start or a
 * length above the buffer size.
 */
int kipc_bufs_check(struct kipc_region *r, const struct kipc_buf_ref *refs,
		    struct kipc_buf *bufs, unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = kipc_buf_index(r, refs[i].offset, &bufs[i].index);
		if (ret)
			return ret;
		if (refs[i].len > r->buf_size)
			return -EINVAL;
		bufs[i].len = refs[i].len;
	}
	return 0;
}

u64 kipc_buf_offset(const struct kipc_region *r, const struct kipc_buf *b)
{
	return (u64)b->index * r->buf_size;
}

/**
 * kipc_bufs_to_flight() - move buffers from their owner onto a channel
 * @h: the handle that must own every buffer
 * @bufs: the buffers
 * @n: how many
 *
 * All or nothing.
 * Context: may be called under a channel's lock.
 * Return: 0, or -EPERM when @h does not own one of them (or one appears
 * twice).
 */
int kipc_bufs_to_flight(struct kipc_region_handle *h, const struct kipc_buf *bufs,
			unsigned int n)
{
	struct kipc_region *r = h->region;
	unsigned int i;

	spin_lock(&r->pool_lock);
	for (i = 0; i < n; i++) {
		if (r->owner[bufs[i].index] != h)
			goto out_undo;
		r->owner[bufs[i].index] = KIPC_BUF_IN_FLIGHT;
	}
	h->nr_owned -= n;
	r->nr_in_flight += n;
	spin_unlock(&r->pool_lock);
	return 0;

out_undo:
	while (i--)
		r->owner[bufs[i].index] = h;
	spin_unlock(&r->pool_lock);
	return -EPERM;
}

/* Move @n buffers, all in flight, to @to, or free them (NULL). */
static void kipc_bufs_move(struct kipc_region *r, struct kipc_region_handle *to,
			   const struct kipc_buf *bufs, unsigned int n)
{
	unsigned int i;
	u32 idx;

	spin_lock(&r->pool_lock);
	if (!r->owner) {
		/* Orphaned: nobody can own them again, they are only counted. */
		WARN_ON_ONCE(to);
		r->nr_in_flight -= n;
		spin_unlock(&r->pool_lock);
		return;
	}
	for (i = 0; i < n; i++) {
		idx = bufs[i].index;
		/* Only a channel moves its buffers: never one it does not hold. */
		if (WARN_ON_ONCE(r->owner[idx] != KIPC_BUF_IN_FLIGHT))
			continue;
		r->nr_in_flight--;
		if (to) {
			r->owner[idx] = to;
			to->nr_owned++;
			to->gains++;
		} else {
			kipc_buf_free_locked(r, idx);
		}
	}
	spin_unlock(&r->pool_lock);
}

/**
 * kipc_bufs_from_flight() - move buffers off a channel
 * @r: their region
 * @to: the new owner, or NULL to free them
 * @bufs: the buffers, all in flight
 * @n: how many
 *
 * Context: may be called under a channel's lock.
 */
void kipc_bufs_from_flight(struct kipc_region *r, struct kipc_region_handle *to,
			   const struct kipc_buf *bufs, unsigned int n)
{
	if (!n)
		return;
	kipc_bufs_move(r, to, bufs, n);
	if (!to)	/* one waiter per buffer: epoll's exclusive ones count */
		wake_up_nr(&r->pool_wait, n);
}

/**
 * kipc_bufs_drop_from_flight() - free buffers of a dropped message
 * @r: their region
 * @bufs: the buffers, all in flight
 * @n: how many
 *
 * The pool's waiters are not woken: the caller, freeing the buffers of
 * many messages, wakes them once with kipc_region_pool_wake(). A wake-up
 * walks every waiter, and pollers of a region stay queued.
 */
void kipc_bufs_drop_from_flight(struct kipc_region *r,
				const struct kipc_buf *bufs, unsigned int n)
{
	if (n)
		kipc_bufs_move(r, NULL, bufs, n);
}

/*
 * Wake who waits for a free buffer of @r, after kipc_bufs_drop_from_flight()
 * of many: all, EPOLLEXCLUSIVE epoll entries too, which wake_up() would
 * stop at the first of.
 */
void kipc_region_pool_wake(struct kipc_region *r)
{
	wake_up_all(&r->pool_wait);
}

static int kipc_region_release(struct inode *inode, struct file *file)
{
	struct kipc_region_handle *h = file->private_data;
	struct kipc_region *r = h->region;
	unsigned int freed = 0;
	u32 i;

	/*
	 * A pool has up to max_region_bytes / PAGE_SIZE buffers: the scan
	 * lets others at the pool between batches. Nothing else gives this
	 * handle buffers meanwhile (no fd of it is left to receive with).
	 */
	spin_lock(&r->pool_lock);
	for (i = 0; h->nr_owned && i < r->nr_bufs; i++) {
		if (r->owner[i] == h) {
			kipc_buf_free_locked(r, i);
			h->nr_owned--;
			freed++;
		}
		if (!((i + 1) % KIPC_RELEASE_BATCH)) {
			spin_unlock(&r->pool_lock);
			cond_resched();
			spin_lock(&r->pool_lock);
		}
	}
	spin_unlock(&r->pool_lock);
	if (freed)	/* one waiter per buffer, as in kipc_bufs_from_flight() */
		wake_up_nr(&r->pool_wait, freed);
	/* Nobody waits through a file being released: its ioctls are done. */
	kipc_words_unhold(&r->words, &h->words);
	kfree(h);
	kipc_region_unhold(r);
	return 0;
}

/**
 * kipc_region_words() - the words of the region of @h, for the wait queue
 * @h: a handle
 */
struct kipc_words *kipc_region_words(struct kipc_region_handle *h)
{
	return &h->region->words;
}

static int kipc_region_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kipc_region_handle *h = file->private_data;
	struct kipc_region *r = h->region;
	unsigned long nr_pages = r->bytes >> PAGE_SHIFT;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/*
	 * Memory other processes write is data, never code (nor later). A
	 * caller whose personality has READ_IMPLIES_EXEC asks every PROT_READ
	 * with PROT_EXEC: it gets the mapping without exec, as a lent range.
	 */
	if (vma->vm_flags & VM_EXEC &&
	    !(current->personality & READ_IMPLIES_EXEC))
		return -EPERM;
	if (vma->vm_pgoff >= nr_pages || vma_pages(vma) > nr_pages - vma->vm_pgoff)
		return -EINVAL;
	/* The mapping is of the shmem file: real page-cache pages. */
	vma_set_file(vma, r->shm);
	kipc_vm_flags_mod(vma, VM_DONTEXPAND, VM_EXEC | VM_MAYEXEC);
	return r->shm->f_op->mmap(r->shm, vma);
}

static __poll_t kipc_region_poll(struct file *file, poll_table *wait)
{
	struct kipc_region_handle *h = file->private_data;
	struct kipc_region *r = h->region;

	poll_wait(file, &r->pool_wait, wait);
	return READ_ONCE(r->nr_free) ? EPOLLOUT | EPOLLWRNORM : 0;
}

static void kipc_region_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_region_handle *h = file->private_data;
	struct kipc_region_stat st;

	kipc_region_stat(h, &st);
	seq_printf(m, "kipc-object:\tregion\nkipc-id:\t%u\nkipc-bytes:\t%llu\n"
		   "kipc-buf-size:\t%llu\nkipc-bufs:\t%u\nkipc-bufs-free:\t%u\n"
		   "kipc-bufs-owned:\t%u\nkipc-bufs-in-flight:\t%u\n",
		   st.id, st.bytes, st.buf_size, st.nr_bufs, st.nr_free,
		   st.nr_owned, st.nr_in_flight);
}

static const struct file_operations kipc_region_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_region_release,
	.mmap		= kipc_region_mmap,
	.poll		= kipc_region_poll,
	.unlocked_ioctl	= kipc_region_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kipc_region_show_fdinfo,
	.llseek		= noop_llseek,
};

/**
 * kipc_region_nl_stat() - a region's state, for netlink
 * @obj: the region's object, with a reference held by the caller
 * @st: out
 */
void kipc_region_nl_stat(struct kipc_obj *obj, struct kipc_nl_region_stat *st)
{
	struct kipc_region *r = container_of(obj, struct kipc_region, obj);

	st->bytes = r->bytes;
	st->buf_size = r->buf_size;
	st->nr_bufs = r->nr_bufs;
	spin_lock(&r->pool_lock);
	st->nr_free = r->nr_free;
	st->nr_in_flight = r->nr_in_flight;
	spin_unlock(&r->pool_lock);
	kipc_words_stat(&r->words, &st->word_waits, &st->word_wakes,
			&st->word_wait_ns);
}
