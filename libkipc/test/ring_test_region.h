/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A region in a host test's own memory, without a module (fd -1): rings
 * live in it, and calls that need no system call work on it. Tests that
 * include this link the static libkipc for struct kipc_region (sys.h).
 */
#ifndef RING_TEST_REGION_H
#define RING_TEST_REGION_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sys.h"

/* @r: @bytes rounded up to a page, zeroed. 0, or -1 without memory. */
static inline int ring_test_region(struct kipc_region *r, uint64_t bytes)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->bytes = (bytes + 4095) & ~4095ULL;
	r->base = aligned_alloc(4096, r->bytes);
	if (!r->base)
		return -1;
	memset(r->base, 0, r->bytes);
	return 0;
}

#endif /* RING_TEST_REGION_H */
