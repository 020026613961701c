// SPDX-License-Identifier: GPL-2.0
/*
 * kipc lending: ranges of a sender's own memory carried by a message,
 * pinned while lent and mapped read-only into the receiver, and the lend
 * queues on which senders learn that they may reuse their memory.
 *
 * Life of a lent range (struct kipc_lend):
 *
 *   send     pin_user_pages_fast(FOLL_LONGTERM, FOLL_WRITE too when the
 *            range is all writable private memory, so that the pinned
 *            pages are the ones the sender's later writes land in) of the
 *            range; its pages are
 *            charged to the sending user's locked_vm (the kernel's per-user
 *            record, bounded by the sender's RLIMIT_MEMLOCK, as io_uring
 *            does), not to the sender's mm: the pins outlive the sender.
 *            The message holds the first reference.
 *   receive  a "[kipc-lend]" file is made and mapped with vm_mmap() into the
 *            receiver: read-only, never writable (VM_MAYWRITE cleared), not
 *            inherited by fork (VM_DONTCOPY), a VM_PFNMAP mapping since the
 *            pages are anonymous or page cache and vm_insert_page() refuses
 *            anonymous ones. Every page is mapped at once. The mapping holds
 *            the file, the file a reference on the range. The range counts
 *            as delivered only once the whole receive has succeeded; a
 *            receive that fails later unmaps it again.
 *   release  the last reference goes (the receiver unmapped all of it or
 *            exited, or the message was discarded unreceived): the pages are
 *            unpinned, the user is uncharged (exactly once, here), and the
 *            range itself becomes the completion queued on its lend queue,
 *            so that completing never allocates.
 *
 * The pins keep the pages alive whatever the sender does with its mapping;
 * the receiver sees the sender's later writes (the same pages), and a
 * sender that unmaps the range leaves the receiver's view intact.
 *
 * Lock order: a lend queue's lock is innermost. The final put of a range
 * takes no mmap_lock; it may sleep (unpinning), so it is never made under a
 * kipc spinlock.
 */
#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "compat.h"
#include "kipc.h"
#include "kipc_trace.h"

/* Pages pinned per call, so that a fatal signal is seen between calls. */
#define KIPC_LEND_PIN_BATCH	1024

/* Completions copied out per round of a reap. */
#define KIPC_LEND_REAP_BATCH	16

/**
 * struct kipc_lendq - a lend queue
 * @obj: the object; its references: one for the file, one per range lent
 *	on the queue and not freed. Its user is charged for the queue until
 *	the last range is freed
 * @lock: protects @done, @nr_lent, @nr_done and @closed
 * @done: completed ranges, oldest first, waiting to be reaped
 * @nr_lent: ranges pinned and not yet completed
 * @nr_done: ranges on @done
 * @closed: the file is released: completions are freed, not queued
 * @wait: reapers and pollers, woken by each completion
 * @reap_mutex: serialises reapers, so that what one copies out is still
 *	at the head of @done when it takes it off
 */
struct kipc_lendq {
	struct kipc_obj obj;

	/* protects done, nr_lent, nr_done, closed */
	spinlock_t lock;
	struct list_head done;
	u32 nr_lent;
	u32 nr_done;
	bool closed;
	wait_queue_head_t wait;
	/* serialises reapers */
	struct mutex reap_mutex;
};

/**
 * struct kipc_lend - a lent range
 * @ref: held by the message carrying the range and by the file mapped in
 *	the receiver
 * @q: the lend queue to complete on (a reference)
 * @user: the sending user's kipc record (a reference), charged @nr_pages
 * @cred: the sender's credentials (a reference): their user_struct's
 *	locked_vm is charged @nr_pages (6.1 does not export free_uid(), so
 *	the user is held through the credentials)
 * @map_file: the file kipc_lend_map() is mapping, the only one whose mmap
 *	may map the range; NULL otherwise
 * @pages: the pinned pages; NULL once unpinned
 * @nr_pages: pages at @pages
 * @addr: the range's address in the sender
 * @cookie: the sender's cookie
 * @sent: its message was queued: complete on @q when freed. False while
 *	the send can still fail, when the sender learns of it by the error.
 * @delivered: a receive handed the range over (completes as released)
 * @node: on @q->done once completed, under @q->lock
 */
struct kipc_lend {
	struct kref ref;
	struct kipc_lendq *q;
	struct kipc_user *user;
	const struct cred *cred;
	struct file *map_file;
	struct page **pages;
	unsigned long nr_pages;
	u64 addr;
	u64 cookie;
	bool sent;
	bool delivered;
	struct list_head node;
};

static const struct file_operations kipc_lendq_fops;
static const struct file_operations kipc_lend_fops;

static void kipc_lendq_release_obj(struct kipc_obj *obj)
{
	struct kipc_lendq *q = container_of(obj, struct kipc_lendq, obj);

	/* The file is gone and so is every range: @done is empty. */
	WARN_ON_ONCE(!list_empty(&q->done) || q->nr_lent);
	mutex_destroy(&q->reap_mutex);
}

static const struct kipc_obj_ops kipc_lendq_ops = {
	.type		= KIPC_OBJ_TYPE_LEND_QUEUE,
	.res		= KIPC_RES_LENDQS,
	.created	= KIPC_STAT_LENDQS_CREATED,
	.destroyed	= KIPC_STAT_LENDQS_DESTROYED,
	.release	= kipc_lendq_release_obj,
};

/**
 * kipc_lendq_new() - a new lend queue
 * @user: the creator, charged for it
 * @flags: O_CLOEXEC and O_NONBLOCK for its file
 *
 * Context: process context, may sleep.
 * Return: the queue's file, or ERR_PTR() of -ENOSPC (the user holds
 * max_lendqs_per_user queues) or -ENOMEM.
 */
struct file *kipc_lendq_new(struct kipc_user *user, unsigned int flags)
{
	struct kipc_lendq *q;
	struct file *file;
	int ret;

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q)
		return ERR_PTR(-ENOMEM);
	ret = kipc_obj_init(&q->obj, &kipc_lendq_ops, user);
	if (ret) {
		kfree(q);
		return ERR_PTR(ret);
	}
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->done);
	init_waitqueue_head(&q->wait);
	mutex_init(&q->reap_mutex);
	file = anon_inode_getfile("[kipc-lendq]", &kipc_lendq_fops, q,
				  O_RDONLY | flags);
	if (IS_ERR(file)) {
		kipc_obj_put(&q->obj);
		return file;
	}
	ret = kipc_obj_publish(&q->obj);
	if (ret) {
		fput(file);
		return ERR_PTR(ret);
	}
	return file;
}

/**
 * kipc_lendq_of() - the lend queue behind a file
 * @file: any file
 *
 * Return: the queue, or NULL when @file is not a kipc lend queue.
 */
struct kipc_lendq *kipc_lendq_of(const struct file *file)
{
	return file->f_op == &kipc_lendq_fops ? file->private_data : NULL;
}

/*
 * Whether the caller's range [@addr, @end) is all writable private memory,
 * whose pages the sender's first write may still replace (copy on
 * write): the zero page of memory never written, a private file
 * mapping's page cache page. Shared mappings are written in place.
 */
static bool kipc_lend_range_cow(u64 addr, u64 end)
{
	VMA_ITERATOR(vmi, current->mm, addr);
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	u64 next = addr;

	mmap_read_lock(mm);
	for_each_vma_range(vmi, vma, end) {
		if (vma->vm_start > next ||
		    (vma->vm_flags & (VM_SHARED | VM_WRITE)) != VM_WRITE)
			break;
		next = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return next >= end;
}

/**
 * kipc_lend_create() - pin a range of the caller's memory for a message
 * @q: the lend queue to complete on
 * @addr: page-aligned start of the range in the caller
 * @len: non-zero multiple of the page size
 * @cookie: returned in the completion
 *
 * Charges the pages to the caller's user before pinning them
 * (kipc_user_pin()), and the range's own bookkeeping to its
 * max_inflight_bytes_per_user until its completion is reaped or its queue
 * closed (kipc_lend_done()): a completion is kernel memory too.
 * Context: process context, may sleep; takes the caller's mmap_lock.
 * Return: the range, holding the caller's reference, or ERR_PTR() of
 * * -EINVAL - @addr or @len not page-aligned, @len zero, or the range wraps
 * * -EFBIG - @len above max_lend_bytes
 * * -ENOBUFS - @q tracks max_lendq_entries ranges already, or the user's
 *   ranges and their unreaped completions fill max_inflight_bytes_per_user
 * * -ENOMEM - the range would take the user's locked_vm above the caller's
 *   RLIMIT_MEMLOCK (without CAP_IPC_LOCK), or out of memory
 * * -EFAULT - part of the range is not mapped, or cannot be pinned (a
 *   VM_IO or VM_PFNMAP mapping, such as a range lent to the caller)
 * * -EINTR - a fatal signal arrived while pinning
 */
struct kipc_lend *kipc_lend_create(struct kipc_lendq *q, u64 addr, u64 len,
				   u64 cookie)
{
	unsigned int gup_flags = FOLL_LONGTERM;
	unsigned long nr, done = 0;
	struct kipc_user *user;
	struct kipc_lend *l;
	int ret, pinned;

	if (!len || !PAGE_ALIGNED(addr) || !PAGE_ALIGNED(len) ||
	    addr + len < addr)
		return ERR_PTR(-EINVAL);
	if (len > kipc_max_lend_bytes())
		return ERR_PTR(-EFBIG);
	if (!current->mm)
		return ERR_PTR(-EFAULT);
	nr = len >> PAGE_SHIFT;

	spin_lock(&q->lock);
	if (q->nr_lent + q->nr_done >= kipc_max_lendq_entries()) {
		spin_unlock(&q->lock);
		return ERR_PTR(-ENOBUFS);
	}
	q->nr_lent++;
	spin_unlock(&q->lock);

	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l) {
		ret = -ENOMEM;
		goto out_unlend;
	}
	l->pages = kvmalloc_array(nr, sizeof(*l->pages), GFP_KERNEL_ACCOUNT);
	if (!l->pages) {
		ret = -ENOMEM;
		goto out_free_lend;
	}
	user = kipc_user_current();
	if (!user) {
		ret = -ENOMEM;
		goto out_free_pages;
	}
	ret = kipc_user_charge(user, KIPC_RES_INFLIGHT, sizeof(*l));
	if (ret)
		goto out_put_user;
	ret = kipc_user_pin(user, nr);
	if (ret)
		goto out_uncharge;
	/*
	 * Writable private memory is pinned for writing: a page the sender
	 * has not written yet (the zero page, a private file mapping's page
	 * cache page) is replaced by its own copy now, not at its first
	 * write, after which the receiver would keep the old page (6.1 does
	 * not unshare for a read-only pin). Anything else is pinned for
	 * reading, so that lending a shared file mapping neither dirties it
	 * nor touches its times. A range whose mappings change meanwhile
	 * may refuse the write pin: then it is pinned for reading.
	 */
	if (kipc_lend_range_cow(addr, addr + len))
		gup_flags |= FOLL_WRITE;
	while (done < nr) {
		pinned = pin_user_pages_fast(addr + (done << PAGE_SHIFT),
					     min_t(unsigned long, nr - done,
						   KIPC_LEND_PIN_BATCH),
					     gup_flags, l->pages + done);
		if (pinned == -EFAULT && gup_flags & FOLL_WRITE) {
			unpin_user_pages(l->pages, done);
			done = 0;
			gup_flags &= ~FOLL_WRITE;
			continue;
		}
		if (pinned <= 0) {
			ret = pinned ?: -EFAULT;
			goto out_unpin;
		}
		done += pinned;
		if (done < nr && fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out_unpin;
		}
	}

	kref_init(&l->ref);
	kipc_obj_get(&q->obj);
	l->q = q;
	l->user = user;
	l->cred = get_current_cred();
	l->nr_pages = nr;
	l->addr = addr;
	l->cookie = cookie;
	trace_kipc_lend(q->obj.id, len);
	return l;

out_unpin:
	unpin_user_pages(l->pages, done);
	kipc_user_unpin(user, current_user(), nr);
out_uncharge:
	kipc_user_uncharge(user, KIPC_RES_INFLIGHT, sizeof(*l));
out_put_user:
	kipc_user_put(user);
out_free_pages:
	kvfree(l->pages);
out_free_lend:
	kfree(l);
out_unlend:
	spin_lock(&q->lock);
	q->nr_lent--;
	spin_unlock(&q->lock);
	wake_up_interruptible_poll(&q->wait, EPOLLIN | EPOLLRDNORM);
	return ERR_PTR(ret);
}

/*
 * The end of a range's bookkeeping: freed pinned and lent, or its
 * completion reaped or dropped with its queue. Context: no spinlock held.
 */
static void kipc_lend_done(struct kipc_lend *l)
{
	kipc_user_uncharge(l->user, KIPC_RES_INFLIGHT, sizeof(*l));
	kipc_user_put(l->user);
	kfree(l);
}

/* Free a list of completions taken off their queue. */
static void kipc_lend_done_list(struct list_head *list)
{
	struct kipc_lend *l, *tmp;

	list_for_each_entry_safe(l, tmp, list, node)
		kipc_lend_done(l);
}

static void kipc_lend_free(struct kref *ref)
{
	struct kipc_lend *l = container_of(ref, struct kipc_lend, ref);
	struct kipc_lendq *q = l->q;
	bool queued = false;

	trace_kipc_lend_release(q->obj.id, (u64)l->nr_pages << PAGE_SHIFT,
				l->sent, READ_ONCE(l->delivered));
	unpin_user_pages(l->pages, l->nr_pages);
	kipc_user_unpin(l->user, l->cred->user, l->nr_pages);
	put_cred(l->cred);
	kvfree(l->pages);
	l->pages = NULL;

	spin_lock(&q->lock);
	q->nr_lent--;
	if (l->sent && !q->closed) {
		list_add_tail(&l->node, &q->done);
		q->nr_done++;
		queued = true;
	}
	spin_unlock(&q->lock);
	if (!queued)
		kipc_lend_done(l);
	/* Pairs with prepare_to_wait() in kipc_wait_until() and poll. */
	wake_up_interruptible_poll(&q->wait, EPOLLIN | EPOLLRDNORM);
	kipc_obj_put(&q->obj);
}

/**
 * kipc_lend_put() - drop a reference on a lent range
 * @l: the range
 *
 * The last reference unpins the range, uncharges it and completes it.
 * Context: process context, may sleep; no kipc spinlock held.
 */
void kipc_lend_put(struct kipc_lend *l)
{
	might_sleep();
	kref_put(&l->ref, kipc_lend_free);
}

/**
 * kipc_lend_set_sent() - whether freeing @l is reported on its lend queue
 * @l: a range whose message the caller owns
 * @sent: true just before the message is queued; false again if queueing
 *	failed and the sender learns of it by an error
 */
void kipc_lend_set_sent(struct kipc_lend *l, bool sent)
{
	l->sent = sent;
}

/**
 * kipc_lend_set_delivered() - a receive handed @l over to its caller
 * @l: a range whose message the caller received
 *
 * Its completion will say KIPC_LEND_RELEASED rather than _DROPPED.
 */
void kipc_lend_set_delivered(struct kipc_lend *l)
{
	WRITE_ONCE(l->delivered, true);
}

/**
 * kipc_lend_footprint() - the kernel bytes a lent range holds for its message
 * @l: the range
 *
 * Return: the size of its page array, charged with its message (the range
 * itself is charged from kipc_lend_create() to kipc_lend_done()).
 */
unsigned long kipc_lend_footprint(const struct kipc_lend *l)
{
	return l->nr_pages * sizeof(*l->pages);
}

/**
 * kipc_lend_len() - the length of a lent range
 * @l: the range
 *
 * Return: its length in bytes, a multiple of the page size.
 */
u64 kipc_lend_len(const struct kipc_lend *l)
{
	return (u64)l->nr_pages << PAGE_SHIFT;
}

/**
 * struct kipc_lend_fill - state of the page-table walk that maps a range
 * @mm: the receiver's mm
 * @pages: the next page to map
 * @prot: protection of the mapping (read-only)
 */
struct kipc_lend_fill {
	struct mm_struct *mm;
	struct page **pages;
	pgprot_t prot;
};

/* apply_to_page_range() callback: one page, in address order. */
static int kipc_lend_set_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct kipc_lend_fill *f = data;
	unsigned long pfn = page_to_pfn(*f->pages++);

	/* Special: no struct page refcount or rmap, like vmf_insert_pfn(). */
	set_pte_at(f->mm, addr, pte, pte_mkspecial(pfn_pte(pfn, f->prot)));
	return 0;
}

/*
 * No fault handler: every page is mapped by mmap, and a VM_PFNMAP mapping
 * is never populated again (MADV_DONTNEED refuses it).
 */
static const struct vm_operations_struct kipc_lend_vm_ops = {
};

static int kipc_lend_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kipc_lend *l = file->private_data;
	struct kipc_lend_fill fill = {
		.mm	= vma->vm_mm,
		.pages	= l->pages,
	};

	/* Made by kipc_lend_map() only, read-only, once per file, whole. */
	if (vma->vm_flags & (VM_WRITE | VM_SHARED) ||
	    cmpxchg(&l->map_file, file, NULL) != file)
		return -EACCES;
	if (vma->vm_pgoff || vma_pages(vma) != l->nr_pages)
		return -EINVAL;
	/*
	 * Never writable, even by mprotect(); never executable (a receiver
	 * whose personality has READ_IMPLIES_EXEC maps every PROT_READ with
	 * PROT_EXEC: refusing it would refuse that receiver every lend);
	 * not inherited by fork.
	 */
	kipc_vm_flags_mod(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND |
			  VM_DONTDUMP | VM_DONTCOPY,
			  VM_MAYWRITE | VM_EXEC | VM_MAYEXEC);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	fill.prot = vma->vm_page_prot;
	vma->vm_ops = &kipc_lend_vm_ops;
	return apply_to_page_range(vma->vm_mm, vma->vm_start,
				   l->nr_pages << PAGE_SHIFT,
				   kipc_lend_set_pte, &fill);
}

static int kipc_lend_file_release(struct inode *inode, struct file *file)
{
	kipc_lend_put(file->private_data);
	return 0;
}

static const struct file_operations kipc_lend_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_lend_file_release,
	.mmap		= kipc_lend_mmap,
	.llseek		= noop_llseek,
};

/**
 * kipc_lend_map() - map a received range read-only into the caller
 * @l: the range; the caller holds a reference (its message's)
 * @addr: out: the address of the mapping
 *
 * The mapping takes a reference of its own: the range stays pinned until
 * the mapping is gone (munmap() of all of it, or exit) and the message's
 * reference is dropped.
 * Context: process context, may sleep; takes the caller's mmap_lock.
 * Return: 0, or -ENOMEM (no room in the address space, out of memory),
 * -EAGAIN (the address space is locked against mapping).
 */
int kipc_lend_map(struct kipc_lend *l, u64 *addr)
{
	struct file *file;
	unsigned long a;

	kref_get(&l->ref);
	file = anon_inode_getfile("[kipc-lend]", &kipc_lend_fops, l, O_RDONLY);
	if (IS_ERR(file)) {
		kipc_lend_put(l);
		return PTR_ERR(file);
	}
	WRITE_ONCE(l->map_file, file);
	a = vm_mmap(file, 0, kipc_lend_len(l), PROT_READ, MAP_SHARED, 0);
	WRITE_ONCE(l->map_file, NULL);
	/* The mapping holds the file now; if it failed, nothing does. */
	fput(file);
	if (IS_ERR_VALUE(a))
		return (int)a;
	*addr = a;
	return 0;
}

/*
 * The first piece of a mapping of @l in [@addr, @end) of the caller: its
 * bounds in @start and @stop. Return: whether there is one.
 */
static bool kipc_lend_mapped_piece(struct kipc_lend *l, u64 addr, u64 end,
				   u64 *start, u64 *stop)
{
	VMA_ITERATOR(vmi, current->mm, addr);
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	bool found = false;

	mmap_read_lock(mm);
	for_each_vma_range(vmi, vma, end) {
		if (vma->vm_file && vma->vm_file->f_op == &kipc_lend_fops &&
		    vma->vm_file->private_data == l) {
			*start = max_t(u64, vma->vm_start, addr);
			*stop = min_t(u64, vma->vm_end, end);
			found = true;
			break;
		}
	}
	mmap_read_unlock(mm);
	return found;
}

/**
 * kipc_lend_unmap() - take back a mapping kipc_lend_map() just made
 * @l: the range it maps
 * @addr: its address
 * @len: its length
 *
 * For a receive that fails after mapping: the message goes back on its
 * queue and still holds the range. Another thread of the caller may have
 * split the mapping (mprotect), moved it or a piece of it (mremap) and
 * mapped something else in its place: every piece of a mapping of @l
 * still in [@addr, @addr + @len) is unmapped, never what replaced one. A
 * piece moved away stays the caller's to unmap; the range completes once
 * it is.
 * Context: process context; takes the caller's mmap_lock.
 */
void kipc_lend_unmap(struct kipc_lend *l, u64 addr, u64 len)
{
	u64 start, stop;

	/*
	 * Each pass unmaps a piece, and none is made again (the lend file
	 * cannot be mapped anew): it ends, or stops at an unmap that fails
	 * (a piece across the range's end, split at the map count's cap, or
	 * sealed by mseal(): it stays until the process exits, lending.rst).
	 * A move between the check and the unmap is the caller's own race.
	 */
	while (kipc_lend_mapped_piece(l, addr, addr + len, &start, &stop))
		if (vm_munmap(start, stop - start))
			break;
}

static bool kipc_lendq_reapable(void *arg)
{
	struct kipc_lendq *q = arg;

	return READ_ONCE(q->nr_done) || !READ_ONCE(q->nr_lent);
}

/**
 * kipc_lend_reap() - take completions off a lend queue
 * @q: the queue
 * @emit: hands a batch of completions to the caller's caller (copies them
 *	to userspace); returns 0, or an error that leaves them queued
 * @arg: for @emit
 * @n: the most completions to take
 * @wait: sleep until a completion is ready or nothing is lent
 * @nr_outstanding: out: ranges still lent
 *
 * Context: process context, may sleep.
 * Return: the number of completions taken, or -EAGAIN (!@wait, and none
 * ready with ranges lent, or another reaper at work), -ERESTARTSYS, or
 * @emit's error when it failed on the first batch.
 */
int kipc_lend_reap(struct kipc_lendq *q,
		   int (*emit)(void *arg, u32 done,
			       const struct kipc_lend_completion *c, u32 n),
		   void *arg, u32 n, bool wait, u32 *nr_outstanding)
{
	static const struct kipc_deadline forever;
	struct kipc_lend_completion batch[KIPC_LEND_REAP_BATCH];
	struct kipc_lend *l, *tmp;
	u32 done = 0, k, left;
	int ret = 0;

retry:
	if (!kipc_lendq_reapable(q)) {
		if (!wait)
			return -EAGAIN;
		ret = kipc_wait_until(&q->wait, kipc_lendq_reapable, q,
				      &forever);
		if (ret)
			return ret;
	}
	/*
	 * Another reaper may sit in its copy-out as long as its user likes
	 * (userfaultfd): one that must not wait does not wait for it.
	 */
	if (!wait) {
		if (!mutex_trylock(&q->reap_mutex))
			return -EAGAIN;
	} else if (mutex_lock_interruptible(&q->reap_mutex)) {
		return -ERESTARTSYS;
	}
	while (done < n) {
		LIST_HEAD(reaped);

		k = 0;
		spin_lock(&q->lock);
		list_for_each_entry(l, &q->done, node) {
			if (k == KIPC_LEND_REAP_BATCH || done + k == n)
				break;
			batch[k].cookie = l->cookie;
			batch[k].addr = l->addr;
			batch[k].len = kipc_lend_len(l);
			batch[k].status = l->delivered ? KIPC_LEND_RELEASED :
							 KIPC_LEND_DROPPED;
			batch[k].reserved = 0;
			k++;
		}
		spin_unlock(&q->lock);
		if (!k)
			break;
		ret = emit(arg, done, batch, k);
		if (ret)
			break;
		/* Only reapers take entries off, and we are the one. */
		left = k;
		spin_lock(&q->lock);
		list_for_each_entry_safe(l, tmp, &q->done, node) {
			if (!left--)
				break;
			list_move_tail(&l->node, &reaped);
			q->nr_done--;
		}
		spin_unlock(&q->lock);
		kipc_lend_done_list(&reaped);
		done += k;
	}
	mutex_unlock(&q->reap_mutex);
	/* Another reaper took what woke us, and ranges are still lent. */
	if (!done && !ret && READ_ONCE(q->nr_lent))
		goto retry;
	*nr_outstanding = READ_ONCE(q->nr_lent);
	return done ? done : ret;
}

static int kipc_lendq_release(struct inode *inode, struct file *file)
{
	struct kipc_lendq *q = file->private_data;
	LIST_HEAD(done);

	spin_lock(&q->lock);
	q->closed = true;
	list_splice_init(&q->done, &done);
	q->nr_done = 0;
	spin_unlock(&q->lock);
	kipc_lend_done_list(&done);
	/* Ranges still lent hold the queue and are freed when they return. */
	kipc_obj_put(&q->obj);
	return 0;
}

static __poll_t kipc_lendq_poll(struct file *file, poll_table *wait)
{
	struct kipc_lendq *q = file->private_data;

	poll_wait(file, &q->wait, wait);
	return READ_ONCE(q->nr_done) ? EPOLLIN | EPOLLRDNORM : 0;
}

static void kipc_lendq_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_lendq *q = file->private_data;
	u32 lent, done;

	spin_lock(&q->lock);
	lent = q->nr_lent;
	done = q->nr_done;
	spin_unlock(&q->lock);
	seq_printf(m, "kipc-object:\tlend-queue\nkipc-id:\t%u\nkipc-lent:\t%u\n"
		   "kipc-completions:\t%u\n", q->obj.id, lent, done);
}

static const struct file_operations kipc_lendq_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_lendq_release,
	.poll		= kipc_lendq_poll,
	.unlocked_ioctl	= kipc_lendq_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kipc_lendq_show_fdinfo,
	.llseek		= noop_llseek,
};

/**
 * kipc_lendq_nl_stat() - a lend queue's state, for netlink
 * @obj: the queue's object, with a reference held by the caller
 * @st: out
 */
void kipc_lendq_nl_stat(struct kipc_obj *obj, struct kipc_nl_lendq_stat *st)
{
	struct kipc_lendq *q = container_of(obj, struct kipc_lendq, obj);

	spin_lock(&q->lock);
	st->lent = q->nr_lent;
	st->completions = q->nr_done;
	spin_unlock(&q->lock);
}
