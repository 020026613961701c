// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Regions and their buffers: creating, receiving and attaching region
 * handles, mapping them, and the buffer pool's alloc and release.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kipc.h"
#include "sys.h"

#define REGION_OPEN_FLAGS	(KIPC__FD_FLAGS | KIPC_REGION_OPEN_ATTACH | \
				 KIPC_REGION_NOMAP)

static int region_query(int fd, struct kipc_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->size = sizeof(*ri);
	return kipc__ioctl(fd, KIPC_IOC_REGION_INFO, ri);
}

/*
 * Wrap the region handle @fd in a struct kipc_region and map it unless
 * @flags has KIPC_REGION_NOMAP; with @cloexec, set FD_CLOEXEC on @fd as
 * the last step. On success the handle owns @fd; on failure @fd is left
 * open for the caller, its flags as they were.
 */
static int region_wrap(int fd, unsigned int flags, bool cloexec,
		       struct kipc_region **rp)
{
	struct kipc_region_info ri;
	struct kipc_region *r;
	int ret;

	ret = region_query(fd, &ri);
	if (ret < 0)
		return ret;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->bytes = ri.bytes;
	r->buf_size = ri.buf_size;
	r->id = ri.id;
	r->nr_bufs = ri.nr_bufs;
	if (!(flags & KIPC_REGION_NOMAP)) {
		ret = kipc__mmap(fd, r->bytes, &r->base);
		if (ret < 0)
			goto out_free_region;
	}
	if (cloexec) {
		ret = kipc__fd_set_cloexec(fd);
		if (ret < 0)
			goto out_unmap;
	}
	*rp = r;
	return 0;

out_unmap:
	kipc__munmap(r->base, r->bytes);
out_free_region:
	free(r);
	return ret;
}

/*
 * region_wrap() a handle the library just made (close-on-exec already):
 * close it on failure.
 */
static int region_wrap_new(int fd, unsigned int flags, struct kipc_region **rp)
{
	int ret = region_wrap(fd, flags, false, rp);

	if (ret < 0)
		kipc__close(fd);
	return ret;
}

static int region_attach_fd(int fd, unsigned int flags)
{
	struct kipc_region_attach ra;

	memset(&ra, 0, sizeof(ra));
	ra.size = sizeof(ra);
	ra.flags = KIPC_FD_CLOEXEC | (flags & KIPC_FD_NONBLOCK);
	return kipc__ioctl(fd, KIPC_IOC_REGION_ATTACH, &ra);
}

KIPC_API int kipc_region_create(struct kipc *k, uint64_t bytes,
				uint64_t buf_size, unsigned int flags,
				struct kipc_region **rp)
{
	struct kipc_region_create rc;
	int fd;

	if (!k || !rp || flags & ~(KIPC__FD_FLAGS | KIPC_REGION_NOMAP))
		return -EINVAL;
	memset(&rc, 0, sizeof(rc));
	rc.size = sizeof(rc);
	rc.flags = KIPC_FD_CLOEXEC | (flags & KIPC_FD_NONBLOCK);
	rc.bytes = bytes;
	rc.buf_size = buf_size;
	fd = kipc__ioctl(k->fd, KIPC_IOC_REGION_CREATE, &rc);
	if (fd < 0)
		return fd;
	return region_wrap_new(fd, flags, rp);
}

KIPC_API int kipc_region_open_fd(int fd, unsigned int flags,
				 struct kipc_region **rp)
{
	int ret;

	if (!rp || flags & ~REGION_OPEN_FLAGS)
		return -EINVAL;
	/* The flags of an adopted fd are the sender's: only a new one's. */
	if ((flags & KIPC_FD_NONBLOCK) && !(flags & KIPC_REGION_OPEN_ATTACH))
		return -EINVAL;
	ret = kipc__fd_check(fd);
	if (ret < 0)
		return ret;
	/* Adopts @fd; KIPC_FD_CLOEXEC sets FD_CLOEXEC, else its flags stay. */
	if (!(flags & KIPC_REGION_OPEN_ATTACH))
		return region_wrap(fd, flags, flags & KIPC_FD_CLOEXEC, rp);
	/* A private handle of the same region; the caller keeps @fd. */
	fd = region_attach_fd(fd, flags);
	if (fd < 0)
		return fd;
	return region_wrap_new(fd, flags, rp);
}

KIPC_API int kipc_region_attach(struct kipc_region *r, unsigned int flags,
				struct kipc_region **rp)
{
	int fd;

	if (!r || !rp || flags & ~(KIPC__FD_FLAGS | KIPC_REGION_NOMAP))
		return -EINVAL;
	fd = region_attach_fd(r->fd, flags);
	if (fd < 0)
		return fd;
	return region_wrap_new(fd, flags, rp);
}

KIPC_API int kipc_region_close(struct kipc_region *r)
{
	int ret;

	if (!r)
		return -EINVAL;
	kipc__munmap(r->base, r->bytes);
	ret = kipc__close(r->fd);
	free(r);
	return ret;
}

KIPC_API int kipc_region_fd(const struct kipc_region *r)
{
	return r ? r->fd : -EINVAL;
}

KIPC_API void *kipc_region_base(const struct kipc_region *r)
{
	return r ? r->base : NULL;
}

KIPC_API uint64_t kipc_region_size(const struct kipc_region *r)
{
	return r ? r->bytes : 0;
}

KIPC_API uint64_t kipc_region_buf_size(const struct kipc_region *r)
{
	return r ? r->buf_size : 0;
}

KIPC_API int kipc_region_info(struct kipc_region *r,
			      struct kipc_region_status *st)
{
	struct kipc_region_info ri;
	int ret;

	if (!r || !st)
		return -EINVAL;
	ret = region_query(r->fd, &ri);
	if (ret < 0)
		return ret;
	st->bytes = ri.bytes;
	st->buf_size = ri.buf_size;
	st->id = ri.id;
	st->nr_bufs = ri.nr_bufs;
	st->nr_free = ri.nr_free;
	st->nr_owned = ri.nr_owned;
	st->nr_in_flight = ri.nr_in_flight;
	return 0;
}

KIPC_API int kipc_buf_alloc(struct kipc_region *r, uint64_t *offset)
{
	struct kipc_buf_alloc ba;
	int ret;

	if (!r || !offset)
		return -EINVAL;
	memset(&ba, 0, sizeof(ba));
	ba.size = sizeof(ba);
	ret = kipc__ioctl(r->fd, KIPC_IOC_BUF_ALLOC, &ba);
	if (ret < 0)
		return ret;
	*offset = ba.offset;
	return 0;
}

KIPC_API int kipc_buf_release(struct kipc_region *r, uint64_t offset)
{
	struct kipc_buf_release br;
	int ret;

	if (!r)
		return -EINVAL;
	memset(&br, 0, sizeof(br));
	br.size = sizeof(br);
	br.offset = offset;
	ret = kipc__ioctl(r->fd, KIPC_IOC_BUF_RELEASE, &br);
	return ret < 0 ? ret : 0;
}
