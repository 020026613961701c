// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: reference rows, measured in every run next to the IPC rows:
 * a memcpy of each message size (what any copy-based mechanism pays at least
 * once) and a null system call (what every kernel crossing pays).
 *
 * One operation is too short to time on its own, so each sample is the mean
 * of a batch that lasts at least KB_BATCH_NS.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "kipc-bench.h"

#define KB_BATCH_NS	2000
#define KB_MAX_SAMPLES	200000

static void kb_ref_memcpy(void *dst, const void *src, size_t size)
{
	memcpy(dst, src, size);
	__asm__ __volatile__("" : : "r"(dst) : "memory");
}

static void kb_ref_syscall(void *dst, const void *src, size_t size)
{
	(void)dst, (void)src, (void)size;
	syscall(SYS_getppid);	/* glibc's getppid() could be cached */
}

const struct kb_ref kb_refs[] = {
	{ "memcpy", "memcpy() of the message size, one process", true,
	  kb_ref_memcpy },
	{ "syscall", "null system call (getppid)", false, kb_ref_syscall },
};

const size_t kb_nr_refs = ARRAY_SIZE(kb_refs);

static uint64_t kb_ref_batch(const struct kb_ref *ref, void *dst,
			     const void *src, size_t size, uint64_t n)
{
	uint64_t i, t0 = kb_now_ns();

	for (i = 0; i < n; i++)
		ref->op(dst, src, size);
	return kb_now_ns() - t0;
}

/**
 * kb_run_reference() - one repeat of a reference row, in this process.
 * @run:	zeroed by the caller, with run->hist set
 *
 * Return: 0, or -errno with the reason in @why.
 */
int kb_run_reference(const struct kb_opts *o, const struct kb_ref *ref,
		     size_t size, struct kb_run *run, char *why, size_t len)
{
	uint64_t batch = 1, samples, i, t;
	size_t maplen = size ? size : 1;
	struct kb_cpu start;
	void *src, *dst;
	int ret = 0;

	src = kb_map(maplen);
	dst = kb_map(maplen);
	if (!src || !dst) {
		ret = kb_err(-errno, why, len, "mmap");
		goto out_unmap;
	}
	if (size >= KB_MIN_SIZE)
		kb_msg_fill(src, size, 1, true);

	/* warm up and size the batch */
	while (kb_ref_batch(ref, dst, src, size, batch) < KB_BATCH_NS)
		batch *= 2;
	t = kb_ref_batch(ref, dst, src, size, batch);
	samples = o->iterations ? o->iterations : o->time_ns / (t + 1);
	samples = samples < 5 ? 5 : samples > KB_MAX_SAMPLES ?
		  KB_MAX_SAMPLES : samples;

	kb_cpu_now(&start);
	for (i = 0; i < samples; i++) {
		t = kb_ref_batch(ref, dst, src, size, batch);
		kb_hist_add(run->hist, (double)t / batch);
		run->elapsed_ns += t;
	}
	kb_cpu_add_since(&run->cpu, &start);
	run->iterations = samples * batch;
	run->messages = samples * batch;

out_unmap:
	kb_unmap(src, maplen);
	kb_unmap(dst, maplen);
	return ret;
}
