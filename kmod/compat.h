/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc compatibility: every difference between the kernels kipc supports
 * (Debian's 6.1 and 6.12), as small wrappers. Nothing else in the module
 * tests the kernel version.
 *
 * Generic netlink: the family's ops come from the YAML spec as a table of
 * struct genl_split_ops (one entry per do and per dump, each with its own
 * policy). 6.2 added split ops; on 6.1 the table is registered as one
 * struct genl_ops per command without a policy, and kipc's trampolines
 * (compat.c) parse each request with its split op's policy, strictly, so
 * that both kernels validate every request the same way.
 */
#ifndef _KIPC_COMPAT_H
#define _KIPC_COMPAT_H

#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/proc_ns.h>
#include <linux/version.h>
#include <net/genetlink.h>

/* vm_flags_set() appeared in 6.3; before it vm_flags was written directly. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void kipc_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void kipc_vm_flags_mod(struct vm_area_struct *vma,
				     vm_flags_t set, vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#else
static inline void kipc_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}

static inline void kipc_vm_flags_mod(struct vm_area_struct *vma,
				     vm_flags_t set, vm_flags_t clear)
{
	vm_flags_mod(vma, set, clear);
}
#endif

/*
 * put_ipc_ns() is exported to modules by 6.12 but not by 6.1 (Debian's
 * Module.symvers of each); there the namespace's own proc_ns_operations
 * put, which calls it, drops a reference taken with get_ipc_ns().
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
static inline void kipc_put_ipc_ns(struct ipc_namespace *ns)
{
	/* Without IPC namespaces get_ipc_ns() takes nothing (and no ops). */
	if (IS_ENABLED(CONFIG_IPC_NS))
		ns->ns.ops->put(&ns->ns);
}
#else
static inline void kipc_put_ipc_ns(struct ipc_namespace *ns)
{
	put_ipc_ns(ns);
}
#endif

/*
 * Names live in the caller's IPC namespace, which a kernel without System
 * V IPC and POSIX message queues does not have (nsproxy's ipc_ns is NULL).
 */
#if !defined(CONFIG_SYSVIPC) && !defined(CONFIG_POSIX_MQUEUE)
#error "kipc's names need CONFIG_SYSVIPC or CONFIG_POSIX_MQUEUE"
#endif

/*
 * Whether nothing but kipc holds @ns any more. Without IPC namespaces the
 * only one is the initial namespace, which never goes, and get_ipc_ns()
 * counts nothing: its count stays 1.
 */
static inline bool kipc_ipc_ns_unused(struct ipc_namespace *ns)
{
	return IS_ENABLED(CONFIG_IPC_NS) && refcount_read(&ns->ns.count) == 1;
}

/* genl_split_ops appeared in 6.2. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define KIPC_HAVE_GENL_SPLIT_OPS	1
#endif

#ifndef KIPC_HAVE_GENL_SPLIT_OPS

/* The 6.2 layout, as the generated op table fills it. */
struct genl_split_ops {
	union {
		struct {
			int (*pre_doit)(const struct genl_split_ops *ops,
					struct sk_buff *skb,
					struct genl_info *info);
			int (*doit)(struct sk_buff *skb,
				    struct genl_info *info);
			void (*post_doit)(const struct genl_split_ops *ops,
					  struct sk_buff *skb,
					  struct genl_info *info);
		};
		struct {
			int (*start)(struct netlink_callback *cb);
			int (*dumpit)(struct sk_buff *skb,
				      struct netlink_callback *cb);
			int (*done)(struct netlink_callback *cb);
		};
	};
	const struct nla_policy *policy;
	unsigned int		maxattr;
	u8			cmd;
	u8			internal_flags;
	u8			flags;
	u8			validate;
};

int kipc_genl_register_family(struct genl_family *family,
			      const struct genl_split_ops *ops,
			      unsigned int n_ops);
void kipc_genl_unregister_family(struct genl_family *family);

/* The request's attributes, parsed by compat.c's dump start. */
static inline struct nlattr **kipc_genl_dump_attrs(struct netlink_callback *cb)
{
	return ((struct genl_dumpit_info *)cb->data)->attrs;
}

#else /* 6.2 and later */

static inline int kipc_genl_register_family(struct genl_family *family,
					    const struct genl_split_ops *ops,
					    unsigned int n_ops)
{
	family->split_ops = ops;
	family->n_split_ops = n_ops;
	return genl_register_family(family);
}

static inline void kipc_genl_unregister_family(struct genl_family *family)
{
	genl_unregister_family(family);
}

static inline struct nlattr **kipc_genl_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}

#endif

#endif /* _KIPC_COMPAT_H */
