/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc compatibility: every difference between the kernels kipc supports
 * (Debian's 6.1 and 6.12), as small wrappers. Nothing else in the module
 * tests the kernel version.
 */
#ifndef _KIPC_COMPAT_H
#define _KIPC_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/* vm_flags_set() appeared in 6.3; before it vm_flags was written directly. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void kipc_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#else
static inline void kipc_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}
#endif

#endif /* _KIPC_COMPAT_H */
