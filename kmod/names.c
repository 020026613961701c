// SPDX-License-Identifier: GPL-2.0
/*
 * kipc names: a region or a channel end published under a name in the
 * publisher's IPC namespace, with an owner, a group and permission bits,
 * and opened by name by whoever passes the check (like mq_open()).
 *
 * A name refers to one end of a channel, not to the channel: a server
 * publishes its send end for clients to send to, or its receive end for
 * clients to receive from, and an end can be published only by a holder of
 * that end. A name counts as a holder of its end: the end stays open (no
 * end of stream, no EPIPE) until the name is unlinked. Opening needs write
 * permission for a send end, read permission for a receive end and both
 * for a region or a service (a new listener of it). Connecting to a
 * service (service.c) needs write permission, as for a Unix socket.
 *
 * Each IPC namespace with names has a record holding a reference on it.
 * When that reference is the last (every process and nsfs file of the
 * namespace is gone) the namespace's names are removed at the next name
 * operation, or when the module unloads.
 */
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/stringhash.h>

#include "compat.h"
#include "kipc.h"

/**
 * struct kipc_names_ns - the names of one IPC namespace
 * @node: in kipc_names_nss
 * @ns: the namespace (a reference)
 * @names: its names
 */
struct kipc_names_ns {
	struct list_head node;
	struct ipc_namespace *ns;
	struct list_head names;
};

/**
 * struct kipc_name - a published name
 * @obj: the object: the name table holds one reference until the name is
 *	removed, the NAME_OPEN call that published it one until the call
 *	ends (kipc_name_publish_end()), netlink walkers take others. Its user
 *	(the publisher) is charged for the name
 * @hnode: in kipc_names, hashed by namespace and name
 * @node: in its namespace's @names
 * @nsr: its namespace's record, NULL once removed
 * @ns: its namespace, only compared (netlink lists a namespace's names)
 * @uid: owner
 * @gid: group
 * @mode: permission bits
 * @kind: KIPC_NAME_REGION, KIPC_NAME_SEND, KIPC_NAME_RECV or
 *	KIPC_NAME_SERVICE
 * @region: with KIPC_NAME_REGION, the region (a holder of it)
 * @service: with KIPC_NAME_SERVICE, the service (a reference)
 * @channel: with KIPC_NAME_SEND or _RECV, the channel and one count of the
 *	end (kipc_channel_end_get())
 * @target_id: the id of @region or @channel
 * @hash: hash of @name
 * @name: NUL-terminated
 */
struct kipc_name {
	struct kipc_obj obj;
	struct hlist_node hnode;
	struct list_head node;
	struct kipc_names_ns *nsr;
	const struct ipc_namespace *ns;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	u32 kind;
	struct kipc_region *region;
	struct kipc_service *service;
	struct kipc_channel *channel;
	u64 target_id;
	u32 hash;
	char name[];
};

static const struct kipc_obj_ops kipc_name_ops = {
	.type		= KIPC_OBJ_TYPE_NAME,
	.res		= KIPC_RES_NAMES,
	.created	= KIPC_STAT_NAMES_CREATED,
	.destroyed	= KIPC_STAT_NAMES_DESTROYED,
};

/* protects kipc_names, kipc_names_nss, kipc_nr_names, kipc_name.nsr */
static DEFINE_MUTEX(kipc_names_lock);
static DEFINE_HASHTABLE(kipc_names, 8);
static LIST_HEAD(kipc_names_nss);
static u32 kipc_nr_names;

static u32 kipc_name_hash(const struct ipc_namespace *ns, const char *name)
{
	return full_name_hash(ns, name, strlen(name));
}

/* Context: kipc_names_lock held. */
static struct kipc_name *kipc_name_find(const struct ipc_namespace *ns,
					const char *name, u32 hash)
{
	struct kipc_name *n;

	lockdep_assert_held(&kipc_names_lock);

	hash_for_each_possible(kipc_names, n, hnode, hash)
		if (n->hash == hash && n->nsr->ns == ns && !strcmp(n->name, name))
			return n;
	return NULL;
}

/*
 * Take @n out of the table onto @dead; kipc_names_prune() then frees its
 * namespace's record if it was the last. Context: kipc_names_lock held.
 */
static void kipc_name_remove(struct kipc_name *n, struct list_head *dead)
{
	lockdep_assert_held(&kipc_names_lock);
	hash_del(&n->hnode);
	list_move(&n->node, dead);
	kipc_nr_names--;
	n->nsr = NULL;
}

/*
 * Free the records of namespaces left without names, dropping their
 * references. Context: kipc_names_lock held.
 */
static void kipc_names_prune(void)
{
	struct kipc_names_ns *nsr, *tmp;

	lockdep_assert_held(&kipc_names_lock);

	list_for_each_entry_safe(nsr, tmp, &kipc_names_nss, node) {
		if (!list_empty(&nsr->names))
			continue;
		list_del(&nsr->node);
		kipc_put_ipc_ns(nsr->ns);
		kfree(nsr);
	}
}

/* Drop the region, the service or the count of the channel end @n holds. */
static void kipc_name_drop_target(struct kipc_name *n)
{
	if (n->kind == KIPC_NAME_REGION)
		kipc_region_unhold(n->region);
	else if (n->kind == KIPC_NAME_SERVICE)
		kipc_service_put(n->service);
	else
		kipc_channel_end_put(n->channel, n->kind == KIPC_NAME_SEND);
}

/* Drop the objects of removed names. Context: kipc_names_lock not held. */
static void kipc_names_free(struct list_head *dead)
{
	struct kipc_name *n, *tmp;

	lockdep_assert_not_held(&kipc_names_lock);

	list_for_each_entry_safe(n, tmp, dead, node) {
		kipc_name_drop_target(n);
		list_del(&n->node);
		kipc_obj_put(&n->obj);
	}
}

/*
 * Remove the names of namespaces that only kipc holds any more: nobody can
 * enter such a namespace again. Context: kipc_names_lock held.
 */
static void kipc_names_collect(struct list_head *dead)
{
	struct kipc_names_ns *nsr, *ntmp;
	struct kipc_name *n, *tmp;

	lockdep_assert_held(&kipc_names_lock);

	list_for_each_entry_safe(nsr, ntmp, &kipc_names_nss, node) {
		if (!kipc_ipc_ns_unused(nsr->ns))
			continue;
		list_for_each_entry_safe(n, tmp, &nsr->names, node)
			kipc_name_remove(n, dead);
	}
}

/* The mode bits opening a name of @kind needs: write, read, or both. */
static umode_t kipc_name_want(u32 kind)
{
	switch (kind) {
	case KIPC_NAME_SEND:
		return 02;
	case KIPC_NAME_RECV:
		return 04;
	default:
		return 06;
	}
}

/*
 * Like ipcperms(): owner, then group, then others; CAP_IPC_OWNER passes.
 * @want: the mode bits needed (kipc_name_want())
 */
static int kipc_name_permission(const struct kipc_name *n, umode_t want)
{
	umode_t granted = n->mode;

	if (uid_eq(current_euid(), n->uid))
		granted >>= 6;
	else if (in_group_p(n->gid))
		granted >>= 3;
	if ((granted & want) == want)
		return 0;
	if (ns_capable(n->nsr->ns->user_ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/* A new file of the object @n names. */
static struct file *kipc_name_file(const struct kipc_name *n,
				   unsigned int flags, u32 *id)
{
	if (n->kind == KIPC_NAME_REGION) {
		*id = kipc_region_id(n->region);
		return kipc_region_open(n->region, flags);
	}
	if (n->kind == KIPC_NAME_SERVICE) {
		*id = kipc_service_id(n->service);
		return kipc_service_open(n->service, flags);
	}
	*id = kipc_channel_id(n->channel);
	return kipc_channel_new_end(n->channel, n->kind == KIPC_NAME_SEND,
				    flags);
}

/*
 * A new name @req->name in @ns for the object of @req->file, owned by the
 * caller. Context: kipc_names_lock held.
 */
static struct kipc_name *kipc_name_add(struct ipc_namespace *ns,
				       const struct kipc_name_req *req,
				       u32 hash)
{
	struct kipc_region_handle *rh = kipc_region_handle_of(req->file);
	struct kipc_service *svc = kipc_service_of(req->file);
	struct kipc_names_ns *nsr = NULL, *it;
	size_t len = strlen(req->name);
	struct kipc_channel *c = NULL;
	struct kipc_name *n;
	int ret;

	lockdep_assert_held(&kipc_names_lock);

	if (kipc_nr_names >= kipc_max_names())
		return ERR_PTR(-ENOSPC);
	if (!rh && !svc) {
		c = kipc_channel_of_send(req->file);
		if (!c && !kipc_channel_of_recv(req->file))
			return ERR_PTR(-EINVAL);
	}
	n = kzalloc(struct_size(n, name, len + 1), GFP_KERNEL_ACCOUNT);
	if (!n)
		return ERR_PTR(-ENOMEM);
	ret = kipc_obj_init(&n->obj, &kipc_name_ops, req->user);
	if (ret) {
		kfree(n);
		return ERR_PTR(ret);
	}
	memcpy(n->name, req->name, len + 1);
	n->ns = ns;
	n->hash = hash;
	n->uid = current_euid();
	n->gid = current_egid();
	n->mode = req->mode;
	if (rh) {
		n->kind = KIPC_NAME_REGION;
	} else if (svc) {
		n->kind = KIPC_NAME_SERVICE;
	} else if (c) {
		n->kind = KIPC_NAME_SEND;
	} else {
		c = kipc_channel_of_recv(req->file);
		n->kind = KIPC_NAME_RECV;
	}

	list_for_each_entry(it, &kipc_names_nss, node) {
		if (it->ns == ns) {
			nsr = it;
			break;
		}
	}
	if (!nsr) {
		nsr = kzalloc(sizeof(*nsr), GFP_KERNEL_ACCOUNT);
		ret = -ENOMEM;
		if (!nsr)
			goto out_put_name;
		INIT_LIST_HEAD(&nsr->names);
	}
	/* The caller's file holds the region or the end: it cannot be gone. */
	if (rh) {
		n->region = rh->region;
		kipc_region_hold(n->region);
		n->target_id = kipc_region_id(n->region);
	} else if (svc) {
		n->service = svc;
		kipc_service_get(svc);
		n->target_id = kipc_service_id(svc);
	} else {
		ret = kipc_channel_end_get(c, n->kind == KIPC_NAME_SEND);
		if (ret)
			goto out_free_nsr;
		n->channel = c;
		n->target_id = kipc_channel_id(c);
	}
	ret = kipc_obj_publish(&n->obj);
	if (ret) {
		kipc_name_drop_target(n);
		goto out_free_nsr;
	}

	if (list_empty(&nsr->names) && !nsr->ns) {
		nsr->ns = get_ipc_ns(ns);
		list_add(&nsr->node, &kipc_names_nss);
	}
	n->nsr = nsr;
	list_add(&n->node, &nsr->names);
	hash_add(kipc_names, &n->hnode, hash);
	kipc_nr_names++;
	return n;

out_free_nsr:
	if (!nsr->ns)
		kfree(nsr);
out_put_name:
	kipc_obj_put(&n->obj);
	return ERR_PTR(ret);
}

/**
 * kipc_name_resolve() - open a name of the caller's IPC namespace
 * @req: what to open, checked and copied in
 * @kind: out: KIPC_NAME_REGION, KIPC_NAME_SEND, KIPC_NAME_RECV or
 *	KIPC_NAME_SERVICE
 * @published: out: when this call published the name, the name, with a
 *	reference for kipc_name_publish_end(); else NULL
 * @id: out: the region's or channel's id
 *
 * A present name is opened if the permission check passes (unless
 * @req->excl); an absent one is published when @req->create, owned by the
 * caller's euid and egid, and the caller opens it without a check.
 * Context: process context, may sleep.
 * Return: a new file of the named object (a region handle, a channel end),
 * or ERR_PTR() of
 * * -ENOENT - absent, and not @req->create
 * * -EEXIST - present, with @req->create and @req->excl
 * * -EACCES - the permission check failed
 * * -EINVAL - @req->file is not a region, a channel end or a service
 * * -EPIPE - the named end of the channel is closed everywhere
 * * -ECONNREFUSED - the named service listens no more
 * * -ENOSPC - max_names names exist, or the user holds max_names_per_user
 * * -ENOMEM - out of memory
 */
struct file *kipc_name_resolve(const struct kipc_name_req *req, u32 *kind,
			       struct kipc_name **published, u32 *id)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	u32 hash = kipc_name_hash(ns, req->name);
	struct kipc_name *n, *added = NULL;
	struct file *file;
	LIST_HEAD(dead);
	int ret = 0;

	might_sleep();

	*published = NULL;
	mutex_lock(&kipc_names_lock);
	kipc_names_collect(&dead);
	n = kipc_name_find(ns, req->name, hash);
	if (n && req->create && req->excl)
		ret = -EEXIST;
	else if (n)
		ret = kipc_name_permission(n, kipc_name_want(n->kind));
	else if (!req->create)
		ret = -ENOENT;
	if (ret) {
		file = ERR_PTR(ret);
		goto out_unlock;
	}
	if (!n) {
		n = kipc_name_add(ns, req, hash);
		if (IS_ERR(n)) {
			file = ERR_CAST(n);
			goto out_unlock;
		}
		added = n;
	}
	*kind = n->kind;
	file = kipc_name_file(n, req->flags, id);
	/* A name this call published goes again if it cannot be opened. */
	if (IS_ERR(file) && added) {
		kipc_name_remove(added, &dead);
	} else if (added) {
		kipc_obj_get(&added->obj);
		*published = added;
	}
out_unlock:
	kipc_names_prune();
	mutex_unlock(&kipc_names_lock);
	kipc_names_free(&dead);
	return file;
}

/*
 * Find @name in the caller's IPC namespace and run @act on it under
 * kipc_names_lock; names it removes onto @dead are freed after the lock
 * is dropped. Returns -ENOENT when the name is absent, else @act's result.
 * Context: process context, may sleep.
 */
static int kipc_name_act(const char *name,
			 int (*act)(struct kipc_name *n, struct list_head *dead,
				    void *arg),
			 void *arg)
{
	struct ipc_namespace *ns = current->nsproxy->ipc_ns;
	struct kipc_name *n;
	LIST_HEAD(dead);
	int ret;

	might_sleep();

	mutex_lock(&kipc_names_lock);
	kipc_names_collect(&dead);
	n = kipc_name_find(ns, name, kipc_name_hash(ns, name));
	ret = n ? act(n, &dead, arg) : -ENOENT;
	kipc_names_prune();
	mutex_unlock(&kipc_names_lock);
	kipc_names_free(&dead);
	return ret;
}

/* kipc_name_act()'s action for kipc_name_service(). */
static int kipc_name_take_service(struct kipc_name *n, struct list_head *dead,
				  void *arg)
{
	struct kipc_service **svc = arg;
	int ret;

	/* Permission first: a name one may not use tells nothing of its kind. */
	ret = kipc_name_permission(n, 02);
	if (ret)
		return ret;
	if (n->kind != KIPC_NAME_SERVICE)
		return -ECONNREFUSED;
	*svc = n->service;
	kipc_service_get(*svc);
	return 0;
}

/**
 * kipc_name_service() - the service a name of the caller's IPC namespace
 *	refers to, for a connect
 * @name: the name
 *
 * Context: process context, may sleep.
 * Return: the service, with a reference for the caller, or ERR_PTR() of
 * -ENOENT (no such name), -ECONNREFUSED (the name is not a service's), -EACCES
 * (no write permission on the name).
 */
struct kipc_service *kipc_name_service(const char *name)
{
	struct kipc_service *svc;
	int ret;

	ret = kipc_name_act(name, kipc_name_take_service, &svc);
	return ret ? ERR_PTR(ret) : svc;
}

/**
 * kipc_name_publish_end() - the call that published a name ends
 * @n: the name, from kipc_name_resolve()
 * @keep: whether the call succeeded: the name stays published; else it is
 *	removed again (unless unlinked meanwhile)
 *
 * Drops the reference kipc_name_resolve() gave. The name is found by that
 * reference, without a search of the table.
 * Context: process context, may sleep; kipc_names_lock not held.
 */
void kipc_name_publish_end(struct kipc_name *n, bool keep)
{
	LIST_HEAD(dead);

	might_sleep();

	if (!keep) {
		mutex_lock(&kipc_names_lock);
		if (n->nsr)
			kipc_name_remove(n, &dead);
		kipc_names_prune();
		mutex_unlock(&kipc_names_lock);
		kipc_names_free(&dead);
	}
	kipc_obj_put(&n->obj);
}

/* The user charged for the object @n names (its creator). */
static kuid_t kipc_name_object_owner(const struct kipc_name *n)
{
	if (n->kind == KIPC_NAME_REGION)
		return kipc_region_owner(n->region);
	if (n->kind == KIPC_NAME_SERVICE)
		return kipc_service_owner(n->service);
	return kipc_channel_owner(n->channel);
}

/*
 * Whether the caller created the object @n names. The object records the
 * user it charges, which is the creator's euid only in the initial user
 * namespace: in another, it is in general one user shared by the
 * namespace's uids (kipc_user_key()), and none is the creator by that
 * token.
 */
static bool kipc_name_caller_created_object(const struct kipc_name *n)
{
	return current_user_ns() == &init_user_ns &&
	       uid_eq(current_euid(), kipc_name_object_owner(n));
}

/*
 * Who may unlink @n: its owner, the creator of the object it names (whose
 * caps the name keeps charged), or CAP_IPC_OWNER in its namespace.
 */
static int kipc_name_may_unlink(const struct kipc_name *n,
				struct ipc_namespace *ns)
{
	if (uid_eq(current_euid(), n->uid) ||
	    kipc_name_caller_created_object(n) ||
	    ns_capable(ns->user_ns, CAP_IPC_OWNER))
		return 0;
	return -EACCES;
}

/* kipc_name_act()'s action for kipc_name_delete(). */
static int kipc_name_unlink_one(struct kipc_name *n, struct list_head *dead,
				void *arg)
{
	int ret = kipc_name_may_unlink(n, n->nsr->ns);

	if (!ret)
		kipc_name_remove(n, dead);
	return ret;
}

/**
 * kipc_name_delete() - remove a name of the caller's IPC namespace
 * @name: the name
 *
 * The object lives on while anything else holds it; a channel end the
 * name held open is closed by it.
 * Context: process context, may sleep.
 * Return: 0, or -ENOENT (no such name), -EACCES (the caller is neither the
 * name's owner nor the creator of the named object, and lacks
 * CAP_IPC_OWNER).
 */
int kipc_name_delete(const char *name)
{
	return kipc_name_act(name, kipc_name_unlink_one, NULL);
}

/**
 * kipc_names_exit() - remove every name, at module unload
 */
void kipc_names_exit(void)
{
	struct kipc_names_ns *nsr, *ntmp;
	struct kipc_name *n, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&kipc_names_lock);
	list_for_each_entry_safe(nsr, ntmp, &kipc_names_nss, node)
		list_for_each_entry_safe(n, tmp, &nsr->names, node)
			kipc_name_remove(n, &dead);
	kipc_names_prune();
	mutex_unlock(&kipc_names_lock);
	kipc_names_free(&dead);
}

/**
 * kipc_name_in_ns() - whether a name belongs to an IPC namespace
 * @obj: the name's object
 * @ns: the namespace
 *
 * Context: any; reads only what is fixed before the name is published.
 */
bool kipc_name_in_ns(const struct kipc_obj *obj,
		     const struct ipc_namespace *ns)
{
	return container_of(obj, struct kipc_name, obj)->ns == ns;
}

/**
 * kipc_name_nl_stat() - a name, for netlink
 * @obj: the name's object, with a reference held by the caller
 * @st: out: points into the name, valid while the reference is held
 */
void kipc_name_nl_stat(struct kipc_obj *obj, struct kipc_nl_name_stat *st)
{
	struct kipc_name *n = container_of(obj, struct kipc_name, obj);

	st->name = n->name;
	st->kind = n->kind;
	st->target_id = n->target_id;
	st->uid = n->uid;
	st->gid = n->gid;
	st->mode = n->mode;
}
