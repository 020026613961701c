/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc compatibility: every difference between the kernels kipc supports
 * (Debian's 6.1 and 6.12), as small wrappers. Nothing else in the module
 * tests the kernel version.
 */
#ifndef _KIPC_COMPAT_H
#define _KIPC_COMPAT_H

#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/proc_ns.h>
#include <linux/version.h>

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
	ns->ns.ops->put(&ns->ns);
}
#else
static inline void kipc_put_ipc_ns(struct ipc_namespace *ns)
{
	put_ipc_ns(ns);
}
#endif

#endif /* _KIPC_COMPAT_H */
