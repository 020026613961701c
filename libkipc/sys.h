/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc's one way into the kernel, and the internal layout of handles.
 */
#ifndef LIBKIPC_SYS_H
#define LIBKIPC_SYS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <linux/types.h>

#define KIPC_API __attribute__((visibility("default")))

/* Every fd libkipc creates is close-on-exec; these are the bits it passes. */
#define KIPC__FD_FLAGS		(KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK)

struct kipc {
	int fd;
};

/* One region handle and this process's mapping of it. */
struct kipc_region {
	int fd;			/* the handle; owned, closed by region_close */
	void *base;		/* MAP_SHARED of [0, bytes); NULL with NOMAP */
	uint64_t bytes;
	uint64_t buf_size;
	uint64_t id;
	uint32_t nr_bufs;
};

/* One end of a channel. */
struct kipc_chan {
	int fd;			/* owned, closed by chan_close */
	/*
	 * A send end of kipc_channel_create()'s: write(2) sends what
	 * KIPC_IOC_SEND would, the same ids included (a connection's ends
	 * carry effective ids by ioctl only, real ones by write(2); an
	 * adopted fd may be no kipc file at all).
	 */
	bool write_ok;
};

/* A service (its listening fd). */
struct kipc_service {
	int fd;			/* owned, closed by service_close */
};

/* A lend queue. */
struct kipc_lendq {
	int fd;			/* owned, closed by lendq_close */
};

int kipc__ioctl(int fd, unsigned long cmd, void *arg);
ssize_t kipc__write(int fd, const void *buf, size_t len);
int kipc__close(int fd);
int kipc__mmap(int fd, uint64_t bytes, void **base);
void kipc__munmap(void *base, uint64_t bytes);
int kipc__fd_check(int fd);
/* Set FD_CLOEXEC on an adopted @fd: 0, or -errno with @fd unchanged. */
int kipc__fd_set_cloexec(int fd);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t kipc__now_ns(void);
/* Publish @fd's object under @name (exclusive create); the name holds it. */
int kipc__name_publish(struct kipc *k, const char *name, unsigned int mode,
		       int fd);

/*
 * The library's one deadline parser: a deadline (KIPC_DEADLINE_REALTIME in
 * @flags picks its clock; NULL for none) onto an ioctl's timeout fields.
 * *@wflags gets KIPC_WAIT_TIMEOUT when the call has a deadline (channel
 * I/O sets KIPC_IO_TIMEOUT instead). 0, or -EINVAL for unknown flags, a
 * clock without a deadline, or a bad timespec.
 */
int kipc__deadline(unsigned int flags, const struct timespec *deadline,
		   __u32 *wflags, __u32 *clockid, __u64 *ns);
/*
 * Whether @deadline (NULL: none) has passed on the clock @flags names
 * (KIPC_DEADLINE_REALTIME or monotonic). A wait that keeps finding its
 * word changed (EAGAIN) never reaches the kernel's timeout, whether the
 * other sides are busy or a peer changes it on purpose: its loop asks.
 */
bool kipc__deadline_passed(unsigned int flags, const struct timespec *deadline);

#endif /* LIBKIPC_SYS_H */
