/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the wait queue selftests: the four ioctls as raw calls that
 * return >= 0 or -errno (safe in forked children), and a mapped region.
 */
#ifndef KIPC_WAITQ_TEST_H
#define KIPC_WAITQ_TEST_H

#include <stdint.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "kipc_test.h"

#define KT_NSEC		1000000000ULL

/* KIPC_IOC_WAIT; @deadline_ns 0 waits without a deadline. */
static inline int kt_wq_wait(int region, uint64_t offset, uint32_t val,
			     uint32_t bitset, clockid_t clk, uint64_t deadline_ns)
{
	struct kipc_wait w = {
		.size = sizeof(w), .offset = offset, .val = val,
		.bitset = bitset,
	};

	if (deadline_ns) {
		w.flags = KIPC_WAIT_TIMEOUT;
		w.clockid = clk;
		w.timeout_ns = deadline_ns;
	}
	return ioctl(region, KIPC_IOC_WAIT, &w) < 0 ? -errno : 0;
}

/* KIPC_IOC_WAIT with a deadline @ms from now on CLOCK_MONOTONIC. */
static inline int kt_wq_wait_ms(int region, uint64_t offset, uint32_t val,
				unsigned int ms)
{
	return kt_wq_wait(region, offset, val, 0, CLOCK_MONOTONIC,
			  kt_now_ns(CLOCK_MONOTONIC) + ms * 1000000ULL);
}

static inline int kt_wq_wake(int region, uint64_t offset, uint32_t nr,
			     uint32_t bitset)
{
	struct kipc_wake w = {
		.size = sizeof(w), .offset = offset, .nr = nr, .bitset = bitset,
	};
	int ret = ioctl(region, KIPC_IOC_WAKE, &w);

	return ret < 0 ? -errno : ret;
}

static inline int kt_wq_waitv(int ctx, struct kipc_waitv_entry *ents,
			      uint32_t nr, uint64_t deadline_ns)
{
	struct kipc_waitv wv = {
		.size = sizeof(wv), .entries = (uintptr_t)ents, .nr = nr,
	};
	int ret;

	if (deadline_ns) {
		wv.flags = KIPC_WAIT_TIMEOUT;
		wv.clockid = CLOCK_MONOTONIC;
		wv.timeout_ns = deadline_ns;
	}
	ret = ioctl(ctx, KIPC_IOC_WAITV, &wv);
	return ret < 0 ? -errno : ret;
}

static inline int kt_wq_requeue(int region, uint64_t offset, uint32_t val,
				uint32_t nr_wake, uint32_t nr_requeue,
				uint64_t dst)
{
	struct kipc_requeue rq = {
		.size = sizeof(rq), .offset = offset, .val = val,
		.nr_wake = nr_wake, .nr_requeue = nr_requeue, .dst_offset = dst,
	};
	int ret = ioctl(region, KIPC_IOC_REQUEUE, &rq);

	return ret < 0 ? -errno : ret;
}

/* Map region @fd of @bytes shared: the address or NULL. */
static inline uint32_t *kt_wq_map(int fd, size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * The fixtures' setup: a context in *@ctx and a region of @bytes without a
 * pool in *@region, mapped shared. Returns the mapping, or NULL once it
 * SKIPped because the module lacks KIPC_FEATURE_WAIT.
 */
static inline void *kt_wq_setup(struct __test_metadata *_metadata, int *ctx,
				int *region, size_t bytes)
{
	uint32_t *map;

	*region = -1;
	kipc_test_open(*ctx);
	if (!(kt_features(*ctx) & KIPC_FEATURE_WAIT))
		SKIP(return NULL, "module lacks KIPC_FEATURE_WAIT");
	*region = kt_region_create(*ctx, bytes, 0, 0, NULL);
	ASSERT_LE(0, *region);
	map = kt_wq_map(*region, bytes);
	ASSERT_NE(NULL, map);
	return map;
}

/* The fixtures' teardown: what kt_wq_setup() made, as far as it got. */
static inline void kt_wq_teardown(int ctx, int region, void *map,
				  size_t bytes)
{
	if (map)
		munmap(map, bytes);
	if (region >= 0)
		close(region);
	close(ctx);
}

#endif /* KIPC_WAITQ_TEST_H */
