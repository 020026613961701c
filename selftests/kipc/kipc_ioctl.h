/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw ioctls of kipc, one helper each, for the selftests and the debug-lane
 * tools (tools/debuglane): no libkipc, so that the selftests build inside a
 * kernel tree. Each returns a value >= 0 on success or -errno, never
 * touches a test's _metadata, and is safe to call in forked children.
 */
#ifndef KIPC_IOCTL_H
#define KIPC_IOCTL_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kipc.h>

/* Features (KIPC_FEATURE_*) the module behind context @ctx implements. */
static inline uint64_t kt_features(int ctx)
{
	struct kipc_version v = { .size = sizeof(v) };

	if (ioctl(ctx, KIPC_IOC_VERSION, &v))
		return 0;
	return v.features;
}

static inline long kt_page(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* KIPC_IOC_REGION_CREATE: the new region fd or -errno; @rc gets the output. */
static inline int kt_region_create(int ctx, uint64_t bytes, uint64_t buf_size,
				   uint32_t flags, struct kipc_region_create *rc)
{
	struct kipc_region_create tmp;
	int fd;

	if (!rc)
		rc = &tmp;
	memset(rc, 0, sizeof(*rc));
	rc->size = sizeof(*rc);
	rc->flags = flags;
	rc->bytes = bytes;
	rc->buf_size = buf_size;
	fd = ioctl(ctx, KIPC_IOC_REGION_CREATE, rc);
	return fd < 0 ? -errno : fd;
}

/* KIPC_IOC_REGION_ATTACH: a new handle of @region or -errno. */
static inline int kt_region_attach(int region, uint32_t flags)
{
	struct kipc_region_attach ra = { .size = sizeof(ra), .flags = flags };
	int fd = ioctl(region, KIPC_IOC_REGION_ATTACH, &ra);

	return fd < 0 ? -errno : fd;
}

static inline int kt_region_info(int region, struct kipc_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->size = sizeof(*ri);
	return ioctl(region, KIPC_IOC_REGION_INFO, ri) ? -errno : 0;
}

/* nr_free of @region, or -errno. */
static inline long kt_region_free(int region)
{
	struct kipc_region_info ri;
	int ret = kt_region_info(region, &ri);

	return ret ? ret : (long)ri.nr_free;
}

static inline int kt_buf_alloc(int region, __u64 *offset)
{
	struct kipc_buf_alloc ba = { .size = sizeof(ba) };

	if (ioctl(region, KIPC_IOC_BUF_ALLOC, &ba)) {
		*offset = ~0ULL;
		return -errno;
	}
	*offset = ba.offset;
	return 0;
}

static inline int kt_buf_release(int region, uint64_t offset)
{
	struct kipc_buf_release br = { .size = sizeof(br), .offset = offset };

	return ioctl(region, KIPC_IOC_BUF_RELEASE, &br) ? -errno : 0;
}

/*
 * KIPC_IOC_CHANNEL_CREATE: 0 or -errno. @region_fd < 0 for an unbound
 * channel; @id may be NULL.
 */
static inline int kt_channel_create(int ctx, uint32_t flags, uint32_t depth,
				    uint32_t max_inline, int region_fd,
				    int *send_fd, int *recv_fd)
{
	struct kipc_channel_create cc = {
		.size = sizeof(cc), .flags = flags, .depth = depth,
		.max_inline = max_inline,
		.region_fd = region_fd < 0 ? KIPC_NO_FD : (uint32_t)region_fd,
	};

	*send_fd = *recv_fd = -1;
	if (ioctl(ctx, KIPC_IOC_CHANNEL_CREATE, &cc))
		return -errno;
	*send_fd = cc.send_fd;
	*recv_fd = cc.recv_fd;
	return 0;
}

/*
 * KIPC_IOC_SEND or KIPC_IOC_RECV of @nr messages: the number moved or
 * -errno. @region_fd < 0 for none; @deadline_ns is used with
 * KIPC_IO_TIMEOUT in @flags.
 */
static inline int kt_io(int fd, unsigned long cmd, struct kipc_msg *msgs,
			uint32_t nr, uint32_t flags, int region_fd,
			clockid_t clockid, uint64_t deadline_ns)
{
	struct kipc_io io = {
		.size = sizeof(io), .flags = flags,
		.msgs = (uintptr_t)msgs, .nr_msgs = nr,
		.msg_size = sizeof(*msgs),
		.region_fd = region_fd < 0 ? KIPC_NO_FD : (uint32_t)region_fd,
		.clockid = (uint32_t)clockid, .timeout_ns = deadline_ns,
	};
	int ret = ioctl(fd, cmd, &io);

	return ret < 0 ? -errno : ret;
}

static inline int kt_send(int fd, struct kipc_msg *msgs, uint32_t nr,
			  uint32_t flags)
{
	return kt_io(fd, KIPC_IOC_SEND, msgs, nr, flags, -1, 0, 0);
}

static inline int kt_recv(int fd, struct kipc_msg *msgs, uint32_t nr,
			  uint32_t flags)
{
	return kt_io(fd, KIPC_IOC_RECV, msgs, nr, flags, -1, 0, 0);
}

/* Send one inline message: 1 or -errno. */
static inline int kt_send1(int fd, const void *data, uint32_t len,
			   uint64_t tag, uint32_t flags)
{
	struct kipc_msg m = {
		.data = (uintptr_t)data, .data_len = len, .tag = tag,
	};

	return kt_send(fd, &m, 1, flags);
}

/* Receive one inline message into @buf (@room bytes): 1, 0 (EOF) or -errno. */
static inline int kt_recv1(int fd, void *buf, uint32_t room,
			   struct kipc_msg *m, uint32_t flags)
{
	struct kipc_msg tmp;

	if (!m)
		m = &tmp;
	memset(m, 0, sizeof(*m));
	m->data = (uintptr_t)buf;
	m->data_len = room;
	return kt_recv(fd, m, 1, flags);
}

/* Prepare @m to send @len bytes at @data with one buffer ref @ref. */
static inline void kt_msg_init(struct kipc_msg *m, const void *data,
			       uint32_t len, struct kipc_buf_ref *refs,
			       uint32_t nr_refs, uint64_t tag)
{
	memset(m, 0, sizeof(*m));
	m->data = (uintptr_t)data;
	m->data_len = len;
	m->bufs = (uintptr_t)refs;
	m->nr_bufs = nr_refs;
	m->tag = tag;
}

/*
 * KIPC_IOC_NAME_OPEN of @name with @flags, publishing @fd (-1: none) with
 * @mode: the new fd or -errno. @res (may be NULL) gets the argument back:
 * kind, created, id.
 */
static inline int kt_name_open(int ctx, const char *name, uint32_t flags,
			       int fd, uint32_t mode,
			       struct kipc_name_open *res)
{
	struct kipc_name_open no = {
		.size = sizeof(no), .flags = flags, .name = (uintptr_t)name,
		.fd = fd < 0 ? KIPC_NO_FD : (uint32_t)fd, .mode = mode,
	};
	int ret = ioctl(ctx, KIPC_IOC_NAME_OPEN, &no);

	if (ret < 0)
		return -errno;
	if (res)
		*res = no;
	return ret;
}

/* KIPC_IOC_NAME_UNLINK of @name: 0 or -errno. */
static inline int kt_name_unlink(int ctx, const char *name)
{
	struct kipc_name_unlink nu = {
		.size = sizeof(nu), .name = (uintptr_t)name,
	};

	return ioctl(ctx, KIPC_IOC_NAME_UNLINK, &nu) ? -errno : 0;
}

/* KIPC_IOC_LENDQ_CREATE: the lend queue fd or -errno. */
static inline int kt_lendq_create(int ctx, uint32_t flags)
{
	struct kipc_lendq_create lc = { .size = sizeof(lc), .flags = flags };
	int fd = ioctl(ctx, KIPC_IOC_LENDQ_CREATE, &lc);

	return fd < 0 ? -errno : fd;
}

/*
 * Send one message lending [@addr, @addr + @len) on send end @tx,
 * completing on lend queue @q: 1 or -errno.
 */
static inline int kt_lend_send(int tx, int q, const void *addr, uint64_t len,
			       uint64_t cookie, uint32_t flags)
{
	struct kipc_lend_ref r = {
		.addr = (uintptr_t)addr, .len = len, .cookie = cookie,
	};
	struct kipc_msg m = {
		.lends = (uintptr_t)&r, .nr_lends = 1, .lendq_fd = (uint32_t)q,
	};

	return kt_send(tx, &m, 1, flags);
}

/* KIPC_IOC_LEND_REAP of up to @n completions: their number or -errno. */
static inline int kt_lend_reap(int q, struct kipc_lend_completion *c,
			       uint32_t n, uint32_t flags)
{
	struct kipc_lend_reap lr = {
		.size = sizeof(lr), .flags = flags, .comps = (uintptr_t)c,
		.nr_comps = n,
	};
	int ret = ioctl(q, KIPC_IOC_LEND_REAP, &lr);

	return ret < 0 ? -errno : ret;
}

#endif /* KIPC_IOCTL_H */
