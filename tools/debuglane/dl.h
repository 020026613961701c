/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the debug-lane programs (kipc-stress, kipc-fuzz,
 * kipc-faultinject): raw kipc ioctls, a small seeded PRNG, counters read
 * back from the kernel.
 */
#ifndef KIPC_DEBUGLANE_H
#define KIPC_DEBUGLANE_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/kipc.h>

/* The raw-ioctl helpers, shared with the selftests. */
#include "kipc_ioctl.h"

/* xorshift64*: seeded, reproducible, cheap. */
static inline uint64_t dl_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t dl_seed(uint64_t seed, uint64_t idx)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + idx + 1;

	s ^= s >> 31;
	return s ? s : 1;
}

/* A value in [0, n). */
static inline uint64_t dl_below(uint64_t *s, uint64_t n)
{
	return n ? dl_rand(s) % n : 0;
}

static inline double dl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint64_t dl_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Return the ioctl's result, or -errno. */
static inline int dl_ioctl(int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

static inline int dl_open(void)
{
	int fd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Send or receive @n messages; @timeout_ms < 0: non-blocking. */
static inline int dl_io(int fd, unsigned long cmd, struct kipc_msg *msgs,
			uint32_t n, int region_fd, int timeout_ms)
{
	if (timeout_ms < 0)
		return kt_io(fd, cmd, msgs, n, KIPC_IO_NONBLOCK, region_fd, 0, 0);
	return kt_io(fd, cmd, msgs, n, KIPC_IO_TIMEOUT, region_fd,
		     CLOCK_MONOTONIC, dl_mono_ns() + timeout_ms * 1000000ULL);
}

/* A /proc/vmstat counter, or -1. */
static inline long long dl_vmstat(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long long v = -1;
	FILE *f;

	/* Fold the per-CPU deltas first (root): without it a counter read
	 * lags by up to the per-CPU threshold, and two reads disagree. */
	f = fopen("/proc/sys/vm/stat_refresh", "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ' ') {
			v = atoll(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

#endif
