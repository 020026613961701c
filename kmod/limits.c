// SPDX-License-Identifier: GPL-2.0
/*
 * kipc limits: the module parameters that bound what one user may hold,
 * and the per-user accounting they are checked against.
 *
 * Who is "one user": a task of the initial user namespace is charged to
 * its effective uid; a task of any other user namespace to one user for
 * the outermost such namespace it is in (kipc_user_key(): its owner, or
 * the host uid of its uid 0 when root made it; the task's own euid when
 * that is root or unmapped), so that the uids mapped into a container
 * share one set of caps instead of multiplying them (the kernel's ucounts
 * do the same per namespace, but are not exported).
 *
 * Every charge is taken from the record of the user who will be held
 * responsible, and that record is referenced by the charged object until
 * the charge is dropped: a charge never outlives what it is charged to.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "kipc.h"

static unsigned long max_region_bytes = 1UL << 30;
module_param(max_region_bytes, ulong, 0644);
MODULE_PARM_DESC(max_region_bytes, "Largest region, in bytes (default 1 GiB)");

static unsigned int default_depth = 64;
module_param(default_depth, uint, 0644);
MODULE_PARM_DESC(default_depth, "Queue depth of a channel created with depth 0");

static unsigned int max_depth = 4096;
module_param(max_depth, uint, 0644);
MODULE_PARM_DESC(max_depth, "Largest queue depth of a channel");

static unsigned long max_channels_per_user = 4096;
module_param(max_channels_per_user, ulong, 0644);
MODULE_PARM_DESC(max_channels_per_user, "Channels one user may hold");

static unsigned long max_regions_per_user = 1024;
module_param(max_regions_per_user, ulong, 0644);
MODULE_PARM_DESC(max_regions_per_user, "Regions one user may hold");

static unsigned long max_lendqs_per_user = 1024;
module_param(max_lendqs_per_user, ulong, 0644);
MODULE_PARM_DESC(max_lendqs_per_user, "Lend queues one user may hold");

static unsigned long max_names_per_user = 1024;
module_param(max_names_per_user, ulong, 0644);
MODULE_PARM_DESC(max_names_per_user,
		 "Names one user may publish, over all IPC namespaces");

static unsigned long max_services_per_user = 256;
module_param(max_services_per_user, ulong, 0644);
MODULE_PARM_DESC(max_services_per_user, "Services one user may hold");

static unsigned int max_backlog = 4096;
module_param(max_backlog, uint, 0644);
MODULE_PARM_DESC(max_backlog,
		 "Largest backlog of a service: connections waiting to be accepted");

static unsigned long max_inflight_bytes_per_user = 64UL << 20;
module_param(max_inflight_bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(max_inflight_bytes_per_user,
		 "Kernel bytes held by messages queued on one user's channels (default 64 MiB)");

static unsigned long max_pool_bytes_per_user = 64UL << 20;
module_param(max_pool_bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(max_pool_bytes_per_user,
		 "Kernel bytes of the buffer-pool bookkeeping of one user's regions (default 64 MiB)");

/*
 * Region pages are shmem, committed as they are touched and charged to
 * the memory cgroup of whoever touches them; a name keeps a region after
 * every process of its user is gone. This bounds what one user can keep
 * that way, as tmpfs's size= bounds /dev/shm.
 */
static unsigned long max_region_bytes_per_user = 16UL << 30;
module_param(max_region_bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(max_region_bytes_per_user,
		 "Bytes of the regions one user may hold, their sizes (default 16 GiB)");

u64 kipc_max_region_bytes(void)
{
	return READ_ONCE(max_region_bytes);
}

u32 kipc_default_depth(void)
{
	return clamp_t(u32, READ_ONCE(default_depth), 1, kipc_max_depth());
}

u32 kipc_max_depth(void)
{
	return max_t(u32, READ_ONCE(max_depth), 1);
}

/**
 * kipc_user_limit() - the cap of a per-user resource
 * @res: the resource
 *
 * Return: the module parameter that bounds @res.
 */
unsigned long kipc_user_limit(enum kipc_user_res res)
{
	switch (res) {
	case KIPC_RES_REGIONS:
		return READ_ONCE(max_regions_per_user);
	case KIPC_RES_CHANNELS:
		return READ_ONCE(max_channels_per_user);
	case KIPC_RES_LENDQS:
		return READ_ONCE(max_lendqs_per_user);
	case KIPC_RES_NAMES:
		return READ_ONCE(max_names_per_user);
	case KIPC_RES_INFLIGHT:
		return READ_ONCE(max_inflight_bytes_per_user);
	case KIPC_RES_POOL:
		return READ_ONCE(max_pool_bytes_per_user);
	case KIPC_RES_SERVICES:
		return READ_ONCE(max_services_per_user);
	case KIPC_RES_REGION_BYTES:
		return READ_ONCE(max_region_bytes_per_user);
	default:
		return 0;
	}
}

/* Every user holding a kipc object; kipc_users_lock protects the table. */
static DEFINE_HASHTABLE(kipc_users, 6);
static DEFINE_SPINLOCK(kipc_users_lock);

/**
 * kipc_user_key() - the user a task with credentials @cred is charged to
 * @cred: the task's credentials
 *
 * All the uids of a user namespace are one user: whoever made it may map
 * a range of them, which would multiply the caps. That user is the
 * namespace's owner, unless root made it (a container's): merged into
 * root's record, every container would share root's caps and see root's
 * objects, so such a namespace is the user its uid 0 maps to on the host
 * (a container's own range). One whose uid 0 is root's, or unmapped (a
 * service's private users, a map not yet written), charges each task to
 * its own uid on the host, as root chose it.
 * Return: @cred's euid in the initial user namespace; else, for the
 * outermost non-initial user namespace of @cred: its owner when that is
 * not root, else the host uid of its uid 0 when that is not root either,
 * else @cred's euid.
 */
kuid_t kipc_user_key(const struct cred *cred)
{
	struct user_namespace *ns = cred->user_ns;
	kuid_t root;

	if (ns == &init_user_ns)
		return cred->euid;
	while (ns->parent != &init_user_ns)
		ns = ns->parent;
	if (!uid_eq(ns->owner, GLOBAL_ROOT_UID))
		return ns->owner;
	root = make_kuid(ns, 0);
	if (uid_valid(root) && !uid_eq(root, GLOBAL_ROOT_UID))
		return root;
	return cred->euid;
}

/* Context: kipc_users_lock held. */
static struct kipc_user *kipc_user_find(kuid_t uid)
{
	struct kipc_user *user;

	lockdep_assert_held(&kipc_users_lock);
	hash_for_each_possible(kipc_users, user, node, __kuid_val(uid))
		if (uid_eq(user->uid, uid) && refcount_inc_not_zero(&user->ref))
			return user;
	return NULL;
}

/**
 * kipc_user_get() - the accounting record of a user, created on first use
 * @uid: the user, as kipc_user_key() gives it
 *
 * Context: process context, may sleep.
 * Return: the record with a reference the caller owns, or NULL when out of
 * memory.
 */
struct kipc_user *kipc_user_get(kuid_t uid)
{
	struct kipc_user *user, *fresh;

	spin_lock(&kipc_users_lock);
	user = kipc_user_find(uid);
	spin_unlock(&kipc_users_lock);
	if (user)
		return user;

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return NULL;
	spin_lock(&kipc_users_lock);
	user = kipc_user_find(uid);
	if (!user) {
		fresh->uid = uid;
		refcount_set(&fresh->ref, 1);
		hash_add(kipc_users, &fresh->node, __kuid_val(uid));
		user = fresh;
		fresh = NULL;
	}
	spin_unlock(&kipc_users_lock);
	kfree(fresh);
	return user;
}

/**
 * kipc_user_current() - the accounting record of the calling task's user
 *
 * Context: process context, may sleep.
 * Return: the record (a reference), or NULL when out of memory.
 */
struct kipc_user *kipc_user_current(void)
{
	return kipc_user_get(kipc_user_key(current_cred()));
}

/**
 * kipc_user_hold() - take another reference on a user record
 * @user: a record the caller holds a reference on
 */
void kipc_user_hold(struct kipc_user *user)
{
	refcount_inc(&user->ref);
}

/**
 * kipc_user_put() - drop a reference; the last one frees the record
 * @user: the record
 *
 * Context: any context that may take a spinlock.
 */
void kipc_user_put(struct kipc_user *user)
{
	unsigned int i;

	if (!refcount_dec_and_test(&user->ref))
		return;
	/*
	 * A lookup racing with us skips a record whose count is zero and
	 * adds a fresh one: both may be in the table until we remove ours.
	 */
	spin_lock(&kipc_users_lock);
	hash_del(&user->node);
	spin_unlock(&kipc_users_lock);
	/* Every charge holds a reference: none can be left. */
	for (i = 0; i < KIPC_RES_NR; i++)
		WARN_ON_ONCE(atomic_long_read(&user->used[i]));
	WARN_ON_ONCE(atomic_long_read(&user->pinned));
	kfree(user);
}

/* The error of a charge over the cap of @res. */
static int kipc_user_over(enum kipc_user_res res)
{
	return res == KIPC_RES_INFLIGHT ? -ENOBUFS : -ENOSPC;
}

/* Add @n to @v unless that takes it above @limit. Return: whether added. */
static bool kipc_add_within(atomic_long_t *v, unsigned long n,
			    unsigned long limit)
{
	long cur = atomic_long_read(v);

	do {
		if (n > limit || cur > limit - n)
			return false;
	} while (!atomic_long_try_cmpxchg(v, &cur, cur + n));
	return true;
}

/**
 * kipc_user_charge() - count @n more of @res against @user's cap
 * @user: the user held responsible; the caller keeps a reference on it
 *	until the matching kipc_user_uncharge()
 * @res: the resource
 * @n: how much (objects, or bytes)
 *
 * Context: any.
 * Return: 0, or -ENOSPC (-ENOBUFS for KIPC_RES_INFLIGHT) when the charge
 * would take @user above the cap; nothing is charged then.
 */
int kipc_user_charge(struct kipc_user *user, enum kipc_user_res res,
		     unsigned long n)
{
	/* Nothing to charge fits, also when a lowered cap is exceeded. */
	if (!n ||
	    kipc_add_within(&user->used[res], n, kipc_user_limit(res)))
		return 0;
	return kipc_user_over(res);
}

/**
 * kipc_user_uncharge() - give back what kipc_user_charge() took
 * @user: the user charged
 * @res: the resource
 * @n: how much
 *
 * Context: any.
 */
void kipc_user_uncharge(struct kipc_user *user, enum kipc_user_res res,
			unsigned long n)
{
	WARN_ON_ONCE(atomic_long_sub_return(n, &user->used[res]) < 0);
}

/**
 * kipc_user_pin() - charge @nr pinned pages to the calling task's user
 * @user: the caller's kipc record (kipc_user_current())
 * @nr: pages
 *
 * Pinned pages are charged to the kernel's record of the user (its
 * locked_vm, as io_uring charges registered buffers), not to the caller's
 * mm: the pins outlive the caller. The caller's RLIMIT_MEMLOCK bounds the
 * user's total unless it has CAP_IPC_LOCK; it also bounds @user's, which
 * in a user namespace stands for every uid mapped there, each of which has
 * a locked_vm of its own.
 * Context: process context.
 * Return: 0, or -ENOMEM over the limit.
 */
int kipc_user_pin(struct kipc_user *user, unsigned long nr)
{
	struct user_struct *u = current_user();
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;

	if (capable(CAP_IPC_LOCK)) {
		atomic_long_add(nr, &u->locked_vm);
		atomic_long_add(nr, &user->pinned);
		return 0;
	}
	if (!kipc_add_within(&user->pinned, nr, limit))
		return -ENOMEM;
	if (!kipc_add_within(&u->locked_vm, nr, limit)) {
		atomic_long_sub(nr, &user->pinned);
		return -ENOMEM;
	}
	return 0;
}

/**
 * kipc_user_unpin() - undo kipc_user_pin()
 * @user: the kipc record charged
 * @u: the kernel's user record charged (the pinning task's current_user())
 * @nr: pages
 *
 * Context: any.
 */
void kipc_user_unpin(struct kipc_user *user, struct user_struct *u,
		     unsigned long nr)
{
	atomic_long_sub(nr, &u->locked_vm);
	atomic_long_sub(nr, &user->pinned);
}

/**
 * kipc_user_next_stat() - the user record with the smallest uid >= @uid
 * @uid: where to start (a kuid value)
 * @st: out: its usage
 *
 * For netlink listings: the table is small and walked whole under its lock.
 * Return: 0, or -ENOENT when no record has a uid >= @uid.
 */
int kipc_user_next_stat(u64 uid, struct kipc_user_stat *st)
{
	struct kipc_user *user, *best = NULL;
	unsigned int bkt, i;

	if (uid > U32_MAX)
		return -ENOENT;
	spin_lock(&kipc_users_lock);
	hash_for_each(kipc_users, bkt, user, node) {
		if (__kuid_val(user->uid) < uid || !refcount_read(&user->ref))
			continue;
		if (!best || __kuid_val(user->uid) < __kuid_val(best->uid))
			best = user;
	}
	if (best) {
		st->uid = best->uid;
		for (i = 0; i < KIPC_RES_NR; i++) {
			st->used[i] = atomic_long_read(&best->used[i]);
			st->limit[i] = kipc_user_limit(i);
		}
		st->pinned = atomic_long_read(&best->pinned);
	}
	spin_unlock(&kipc_users_lock);
	return best ? 0 : -ENOENT;
}

static unsigned long max_lend_bytes = 1UL << 30;
module_param(max_lend_bytes, ulong, 0644);
MODULE_PARM_DESC(max_lend_bytes, "Largest lent range, in bytes (default 1 GiB)");

static unsigned int max_lendq_entries = 4096;
module_param(max_lendq_entries, uint, 0644);
MODULE_PARM_DESC(max_lendq_entries,
		 "Ranges one lend queue tracks: lent plus completions not reaped");

static unsigned int max_names = 65536;
module_param(max_names, uint, 0644);
MODULE_PARM_DESC(max_names, "Names published, over all IPC namespaces");

static int dev_group = -1;
module_param(dev_group, int, 0644);
MODULE_PARM_DESC(dev_group,
		 "Only members of this group (and CAP_SYS_ADMIN) may open /dev/kipc; -1: everybody");

u64 kipc_max_lend_bytes(void)
{
	return READ_ONCE(max_lend_bytes);
}

u32 kipc_max_lendq_entries(void)
{
	return READ_ONCE(max_lendq_entries);
}

u32 kipc_max_names(void)
{
	return READ_ONCE(max_names);
}

u32 kipc_max_backlog(void)
{
	return max_t(u32, READ_ONCE(max_backlog), 1);
}

/**
 * kipc_may_open() - whether the calling task may open /dev/kipc
 *
 * Return: 0, or -EACCES when dev_group is set and the caller is neither in
 * that group (effective or supplementary) nor CAP_SYS_ADMIN.
 */
int kipc_may_open(void)
{
	int gid = READ_ONCE(dev_group);

	/* Not audited: a refused open is this check's answer, not a denial. */
	if (gid < 0 || in_group_p(make_kgid(&init_user_ns, gid)) ||
	    ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN))
		return 0;
	return -EACCES;
}
