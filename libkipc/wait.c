// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Wait queues on region words: wait, wake, wait on many and requeue
 * (KIPC_IOC_WAIT, WAKE, WAITV, REQUEUE).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "kipc.h"
#include "sys.h"
#include "wait.h"

KIPC_API int kipc_wait(struct kipc_region *r, uint64_t offset, uint32_t val,
		       uint32_t bitset, unsigned int flags,
		       const struct timespec *deadline)
{
	struct kipc_wait w;
	int ret;

	if (!r)
		return -EINVAL;
	memset(&w, 0, sizeof(w));
	ret = kipc__deadline(flags, deadline, &w.flags, &w.clockid,
			     &w.timeout_ns);
	if (ret < 0)
		return ret;
	w.size = sizeof(w);
	w.offset = offset;
	w.val = val;
	w.bitset = bitset;
	return kipc__ioctl(r->fd, KIPC_IOC_WAIT, &w);
}

KIPC_API int kipc_wake(struct kipc_region *r, uint64_t offset, uint32_t nr,
		       uint32_t bitset)
{
	struct kipc_wake w;

	if (!r)
		return -EINVAL;
	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.offset = offset;
	w.nr = nr;
	w.bitset = bitset;
	return kipc__ioctl(r->fd, KIPC_IOC_WAKE, &w);
}

KIPC_API int kipc_waitv(struct kipc *k, const struct kipc_wait_entry *ents,
			unsigned int n, unsigned int flags,
			const struct timespec *deadline)
{
	struct kipc_waitv_entry kents[KIPC_WAITV_MAX];
	struct kipc_waitv wv;
	unsigned int i;
	int ret;

	if (!k || !ents || !n || n > KIPC_WAITV_MAX)
		return -EINVAL;
	memset(&wv, 0, sizeof(wv));
	ret = kipc__deadline(flags, deadline, &wv.flags, &wv.clockid,
			     &wv.timeout_ns);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		if (!ents[i].region)
			return -EINVAL;
		kents[i].region_fd = (uint32_t)ents[i].region->fd;
		kents[i].val = ents[i].val;
		kents[i].offset = ents[i].offset;
		kents[i].bitset = ents[i].bitset;
		kents[i].reserved = 0;
	}
	wv.size = sizeof(wv);
	wv.entries = (uint64_t)(uintptr_t)kents;
	wv.nr = n;
	return kipc__ioctl(k->fd, KIPC_IOC_WAITV, &wv);
}

KIPC_API int kipc_requeue(struct kipc_region *r, uint64_t offset,
			  uint32_t val, uint32_t nr_wake, uint32_t nr_requeue,
			  uint64_t dst_offset)
{
	struct kipc_requeue rq;

	if (!r)
		return -EINVAL;
	memset(&rq, 0, sizeof(rq));
	rq.size = sizeof(rq);
	rq.offset = offset;
	rq.val = val;
	rq.nr_wake = nr_wake;
	rq.nr_requeue = nr_requeue;
	rq.dst_offset = dst_offset;
	return kipc__ioctl(r->fd, KIPC_IOC_REQUEUE, &rq);
}

int kipc__word_offset(const struct kipc_region *r, const void *p,
		      uint64_t *offset)
{
	uintptr_t base, addr = (uintptr_t)p;

	if (!r || !p || !r->base)
		return -EINVAL;
	base = (uintptr_t)r->base;
	if (addr < base || addr - base > r->bytes - sizeof(uint32_t) ||
	    addr % sizeof(uint32_t))
		return -EINVAL;
	*offset = addr - base;
	return 0;
}
