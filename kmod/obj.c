// SPDX-License-Identifier: GPL-2.0
/*
 * kipc objects: the life every region, channel, lend queue and name shares.
 *
 * An object is allocated by its type's file with a struct kipc_obj as its
 * first member, charged to its creating user by kipc_obj_init(), filled in,
 * and only then published by kipc_obj_publish(): it gets an id in its
 * type's index, is counted as created and announced. Until then nobody but
 * its creator can reach it, so netlink walkers of the index may read any
 * field of what they find. The last kipc_obj_put() unpublishes it (counted
 * as destroyed only if it was published: created - destroyed is the number
 * of live objects), lets its type release what it holds, uncharges the user
 * and frees the memory after an RCU grace period.
 *
 * Events (created, destroyed, and the channel events) leave through
 * kipc_obj_event(), to the sink netlink.c registers: no object file calls
 * netlink.c.
 */
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "kipc.h"
#include "kipc_trace.h"

/**
 * struct kipc_obj_index - the published objects of one type
 * @xa: objects by id
 * @next: the cursor of cyclic id allocation
 */
struct kipc_obj_index {
	struct xarray xa;
	u32 next;
};

static struct kipc_obj_index kipc_obj_index[KIPC_OBJ_TYPE_MAX + 1];

static kipc_obj_event_fn __rcu *kipc_obj_sink;

/**
 * kipc_obj_init() - charge the creator of a new object and set it up
 * @obj: the object, the first member of its zeroed container
 * @ops: its type
 * @user: the creator, charged one of @ops->res
 *
 * On success the object holds a reference on @user and on the current
 * process, and every later failure goes through kipc_obj_put(), which
 * calls @ops->release on the partly built container. On failure nothing
 * is held and the caller frees the container itself.
 *
 * Context: process context.
 * Return: 0, or -ENOSPC when @user holds as many objects of the type as
 * its cap allows.
 */
int kipc_obj_init(struct kipc_obj *obj, const struct kipc_obj_ops *ops,
		  struct kipc_user *user)
{
	int ret;

	ret = kipc_user_charge(user, ops->res, 1);
	if (ret)
		return ret;
	kref_init(&obj->ref);
	obj->ops = ops;
	kipc_user_hold(user);
	obj->user = user;
	obj->pid = get_pid(task_tgid(current));
	obj->id = 0;
	return 0;
}

/**
 * kipc_obj_publish() - make a complete object reachable by id
 * @obj: the object, every field set
 *
 * Context: process context, may sleep.
 * Return: 0, or -EBUSY (no id free) or -ENOMEM; the object then stays
 * unpublished and its creator puts it.
 */
int kipc_obj_publish(struct kipc_obj *obj)
{
	struct kipc_obj_index *idx = &kipc_obj_index[obj->ops->type];
	u32 id;
	int ret;

	/*
	 * Reserve the id (walkers skip a reserved slot), give it to the
	 * object, and only then store the object: walkers that find it read
	 * a complete object, its id included. Storing into a reserved slot
	 * allocates nothing.
	 */
	ret = xa_alloc_cyclic(&idx->xa, &id, NULL, xa_limit_32b, &idx->next,
			      GFP_KERNEL);
	if (ret < 0)
		return ret;
	obj->id = id;
	xa_store(&idx->xa, id, obj, GFP_KERNEL);
	trace_kipc_obj_create(obj->ops->type, id,
			      from_kuid(&init_user_ns, obj->user->uid));
	kipc_stat_inc(obj->ops->created);
	kipc_obj_event(obj, KIPC_CMD_OBJECT_CREATED, 0, 0);
	return 0;
}

/**
 * kipc_obj_return_count() - give an object's count back to its creator
 *	before the object goes
 * @obj: the object, referenced by the caller
 *
 * For an object whose creator can no longer use it, while others still
 * hold references (a region without a holder, kept by channels bound to
 * it): it no longer counts against the creator's cap. Once per object.
 * Context: the caller is the only one to return @obj's count.
 */
void kipc_obj_return_count(struct kipc_obj *obj)
{
	if (WARN_ON_ONCE(obj->count_returned))
		return;
	kipc_user_uncharge(obj->user, obj->ops->res, 1);
	obj->count_returned = true;
}

static void kipc_obj_release(struct kref *ref)
{
	struct kipc_obj *obj = container_of(ref, struct kipc_obj, ref);
	struct kipc_user *user = obj->user;

	might_sleep();
	if (obj->id) {
		xa_erase(&kipc_obj_index[obj->ops->type].xa, obj->id);
		trace_kipc_obj_destroy(obj->ops->type, obj->id,
				       from_kuid(&init_user_ns, user->uid));
		kipc_stat_inc(obj->ops->destroyed);
		kipc_obj_event(obj, KIPC_CMD_OBJECT_DESTROYED, 0, 0);
	}
	if (obj->ops->release)
		obj->ops->release(obj);
	put_pid(obj->pid);
	/* The last put follows kipc_obj_return_count(): kref orders them. */
	if (!obj->count_returned)
		kipc_user_uncharge(user, obj->ops->res, 1);
	kipc_user_put(user);
	/* The container starts with @obj: this frees all of it. */
	kfree_rcu(obj, rcu);
}

/**
 * kipc_obj_get() - take a reference on an object
 * @obj: an object the caller holds a reference on
 */
void kipc_obj_get(struct kipc_obj *obj)
{
	kref_get(&obj->ref);
}

/**
 * kipc_obj_put() - drop a reference; the last one destroys the object
 * @obj: the object
 *
 * Context: process context, may sleep when it is the last.
 */
void kipc_obj_put(struct kipc_obj *obj)
{
	kref_put(&obj->ref, kipc_obj_release);
}

/**
 * kipc_obj_next() - the published object of a type with the smallest id
 *	>= @id that @visible accepts
 * @type: the type
 * @id: where to start
 * @visible: judges an object from its struct kipc_obj fields (and the
 *	immutable fields of its container) before anything else is read;
 *	called under RCU with a reference held, must not sleep
 * @arg: for @visible
 *
 * Context: process context, may sleep (an object @visible rejects is put,
 * and that may be its last reference).
 * Return: the object with a reference the caller puts, or NULL.
 */
struct kipc_obj *kipc_obj_next(enum kipc_obj_type type, u64 id,
			       bool (*visible)(const struct kipc_obj *obj,
					       void *arg),
			       void *arg)
{
	struct xarray *xa = &kipc_obj_index[type].xa;
	unsigned long index = id;
	struct kipc_obj *obj;

	if (id > U32_MAX)
		return NULL;
	rcu_read_lock();
	for (;;) {
		obj = xa_find(xa, &index, U32_MAX, XA_PRESENT);
		if (!obj)
			break;
		/*
		 * The reference first: the last put frees the user and the
		 * pid that @visible reads (only the container waits for RCU).
		 */
		if (kref_get_unless_zero(&obj->ref)) {
			if (visible(obj, arg))
				break;
			rcu_read_unlock();
			kipc_obj_put(obj);
			cond_resched();	/* a walk may pass every object */
			rcu_read_lock();
		}
		if (index == U32_MAX) {
			obj = NULL;
			break;
		}
		index++;
	}
	rcu_read_unlock();
	return obj;
}

/**
 * kipc_obj_find() - the published object of a type with id @id, if
 *	@visible accepts it
 * @type: the type
 * @id: the id
 * @visible: as for kipc_obj_next()
 * @arg: for @visible
 *
 * One lookup: unlike kipc_obj_next(), it never passes other objects, so
 * that a request for an id the caller may not see costs no more than one
 * for its own, and puts no reference of another object than that one.
 *
 * Context: process context, may sleep (as kipc_obj_next()).
 * Return: the object with a reference the caller puts, or NULL.
 */
struct kipc_obj *kipc_obj_find(enum kipc_obj_type type, u64 id,
			       bool (*visible)(const struct kipc_obj *obj,
					       void *arg),
			       void *arg)
{
	struct kipc_obj *obj;

	if (id > U32_MAX)
		return NULL;
	rcu_read_lock();
	obj = xa_load(&kipc_obj_index[type].xa, id);
	/* The reference first, as in kipc_obj_next(). */
	if (obj && !kref_get_unless_zero(&obj->ref))
		obj = NULL;
	if (obj && !visible(obj, arg)) {
		rcu_read_unlock();
		kipc_obj_put(obj);
		return NULL;
	}
	rcu_read_unlock();
	return obj;
}

/**
 * kipc_obj_set_event_sink() - where kipc_obj_event() sends events
 * @fn: the sink, or NULL to drop events
 *
 * Context: module init and exit; clearing waits for callers of the old sink.
 */
void kipc_obj_set_event_sink(kipc_obj_event_fn *fn)
{
	rcu_assign_pointer(kipc_obj_sink, fn);
	if (!fn)
		synchronize_rcu();
}

/**
 * kipc_obj_event() - announce something that happened to @obj
 * @obj: a published object (events of an unpublished one are dropped)
 * @cmd: KIPC_CMD_OBJECT_CREATED, _OBJECT_DESTROYED, _PEER_CLOSED,
 *	_QUEUE_FULL or _SEND_FAILED
 * @reason: a KIPC_SEND_FAIL_REASON_*, or 0
 * @err: a negative errno, or 0
 *
 * Context: any.
 */
void kipc_obj_event(const struct kipc_obj *obj, u8 cmd,
		    enum kipc_send_fail_reason reason, int err)
{
	kipc_obj_event_fn *fn;

	if (!obj->id)
		return;
	rcu_read_lock();
	fn = rcu_dereference(kipc_obj_sink);
	if (fn)
		fn(cmd, obj->ops->type, obj->id, obj->user->uid, reason, err);
	rcu_read_unlock();
}

/**
 * kipc_obj_init_indexes() - set up the index of every type
 *
 * Context: module init.
 */
void kipc_obj_init_indexes(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kipc_obj_index); i++)
		xa_init_flags(&kipc_obj_index[i].xa, XA_FLAGS_ALLOC1);
}

/**
 * kipc_obj_exit_indexes() - check that every object is gone
 *
 * Context: module exit, after the last object was put.
 */
void kipc_obj_exit_indexes(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kipc_obj_index); i++) {
		WARN_ON_ONCE(!xa_empty(&kipc_obj_index[i].xa));
		xa_destroy(&kipc_obj_index[i].xa);
	}
}
