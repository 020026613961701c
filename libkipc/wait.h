/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Internal helpers of the wait queue, mutex and ring code, and the shared
 * memory primitives they build on.
 */
#ifndef LIBKIPC_WAIT_H
#define LIBKIPC_WAIT_H

#include <stdint.h>
#include <time.h>
#include <linux/types.h>

struct kipc_region;

/* The offset in @r of the 32-bit word at @p of its mapping, or -EINVAL. */
int kipc__word_offset(const struct kipc_region *r, const void *p,
		      uint64_t *offset);

static inline void kipc__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* LIBKIPC_WAIT_H */
