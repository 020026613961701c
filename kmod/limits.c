// SPDX-License-Identifier: GPL-2.0
/*
 * kipc limits: the module parameters that bound what one user may hold,
 * and the per-user accounting they are checked against.
 */
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

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

static unsigned int max_channels_per_user = 4096;
module_param(max_channels_per_user, uint, 0644);
MODULE_PARM_DESC(max_channels_per_user, "Channels one user may hold");

static unsigned int max_regions_per_user = 1024;
module_param(max_regions_per_user, uint, 0644);
MODULE_PARM_DESC(max_regions_per_user, "Regions one user may hold");

static unsigned long max_inflight_bytes_per_user = 64UL << 20;
module_param(max_inflight_bytes_per_user, ulong, 0644);
MODULE_PARM_DESC(max_inflight_bytes_per_user,
		 "Inline bytes queued on one user's channels (default 64 MiB)");

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

/* Every user holding a kipc object; kipc_users_lock protects the table. */
static DEFINE_HASHTABLE(kipc_users, 6);
static DEFINE_SPINLOCK(kipc_users_lock);

/**
 * kipc_user_get() - the accounting record of a user, created on first use
 * @uid: the user
 *
 * Context: process context, may sleep.
 * Return: the record with a reference the caller owns, or NULL when out of
 * memory.
 */
struct kipc_user *kipc_user_get(kuid_t uid)
{
	struct kipc_user *user, *fresh;
	u32 key = __kuid_val(uid);

	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return NULL;

	spin_lock(&kipc_users_lock);
	hash_for_each_possible(kipc_users, user, node, key) {
		if (uid_eq(user->uid, uid) && refcount_inc_not_zero(&user->ref)) {
			spin_unlock(&kipc_users_lock);
			kfree(fresh);
			return user;
		}
	}
	fresh->uid = uid;
	refcount_set(&fresh->ref, 1);
	hash_add(kipc_users, &fresh->node, key);
	spin_unlock(&kipc_users_lock);
	return fresh;
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
	if (!refcount_dec_and_test(&user->ref))
		return;
	/*
	 * A lookup racing with us skips a record whose count is zero and
	 * adds a fresh one: both may be in the table until we remove ours.
	 */
	spin_lock(&kipc_users_lock);
	hash_del(&user->node);
	spin_unlock(&kipc_users_lock);
	WARN_ON_ONCE(atomic_read(&user->nr_regions) ||
		     atomic_read(&user->nr_channels) ||
		     atomic_long_read(&user->inflight));
	kfree(user);
}

static int kipc_user_charge(atomic_t *count, unsigned int max)
{
	if (atomic_inc_return(count) > max) {
		atomic_dec(count);
		return -ENOSPC;
	}
	return 0;
}

/**
 * kipc_user_charge_region() - count a new region against its user's cap
 * @user: the creator
 *
 * Return: 0, or -ENOSPC when the user holds max_regions_per_user already.
 */
int kipc_user_charge_region(struct kipc_user *user)
{
	return kipc_user_charge(&user->nr_regions,
				READ_ONCE(max_regions_per_user));
}

void kipc_user_uncharge_region(struct kipc_user *user)
{
	atomic_dec(&user->nr_regions);
}

/**
 * kipc_user_charge_channel() - count a new channel against its user's cap
 * @user: the creator
 *
 * Return: 0, or -ENOSPC when the user holds max_channels_per_user already.
 */
int kipc_user_charge_channel(struct kipc_user *user)
{
	return kipc_user_charge(&user->nr_channels,
				READ_ONCE(max_channels_per_user));
}

void kipc_user_uncharge_channel(struct kipc_user *user)
{
	atomic_dec(&user->nr_channels);
}

/**
 * kipc_user_charge_inflight() - count inline bytes queued on a channel
 * @user: the channel's creator
 * @bytes: bytes to queue
 *
 * Return: 0, or -ENOBUFS when the user would exceed
 * max_inflight_bytes_per_user.
 */
int kipc_user_charge_inflight(struct kipc_user *user, size_t bytes)
{
	if (atomic_long_add_return(bytes, &user->inflight) >
	    READ_ONCE(max_inflight_bytes_per_user)) {
		atomic_long_sub(bytes, &user->inflight);
		return -ENOBUFS;
	}
	return 0;
}

void kipc_user_uncharge_inflight(struct kipc_user *user, size_t bytes)
{
	atomic_long_sub(bytes, &user->inflight);
}

static unsigned long max_lend_bytes = 1UL << 30;
module_param(max_lend_bytes, ulong, 0644);
MODULE_PARM_DESC(max_lend_bytes, "Largest lent range, in bytes (default 1 GiB)");

static unsigned int max_lendq_entries = 4096;
module_param(max_lendq_entries, uint, 0644);
MODULE_PARM_DESC(max_lendq_entries,
		 "Ranges one lend queue tracks: lent plus completions not reaped");

static unsigned int max_names = 4096;
module_param(max_names, uint, 0644);
MODULE_PARM_DESC(max_names, "Names published, over all IPC namespaces");

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
