// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Channels: creating the two ends, adopting a received end, and moving
 * batches of messages (inline bytes and region buffers) through them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kipc.h"
#include "sys.h"

/*
 * The library's API freezes the message descriptor at KIPC_MSG_SIZE_VER1:
 * send, recv and call pass sizeof(struct kipc_msg) as the stride of the
 * caller's array, and a program cannot tell the library the size it was
 * built with. A struct kipc_msg that grows in the uapi would change that
 * stride under every existing binary; it needs new entry points instead.
 */
_Static_assert(sizeof(struct kipc_msg) == KIPC_MSG_SIZE_VER1,
	       "libkipc's API freezes struct kipc_msg at KIPC_MSG_SIZE_VER1");

static struct kipc_chan *chan_new(int fd)
{
	struct kipc_chan *c = calloc(1, sizeof(*c));

	if (c)
		c->fd = fd;
	return c;
}

KIPC_API int kipc_channel_create(struct kipc *k,
				 const struct kipc_channel_attr *attr,
				 struct kipc_chan **tx, struct kipc_chan **rx)
{
	static const struct kipc_channel_attr defaults;
	struct kipc_channel_create cc;
	struct kipc_chan *s, *r;
	unsigned int i;
	int ret;

	if (!attr)
		attr = &defaults;
	if (!k || !tx || !rx || attr->flags & ~KIPC__FD_FLAGS)
		return -EINVAL;
	for (i = 0; i < sizeof(attr->reserved) / sizeof(attr->reserved[0]); i++)
		if (attr->reserved[i])
			return -EINVAL;
	s = chan_new(-1);
	r = chan_new(-1);
	if (!s || !r) {
		ret = -ENOMEM;
		goto out_free_ends;
	}
	memset(&cc, 0, sizeof(cc));
	cc.size = sizeof(cc);
	cc.flags = KIPC_FD_CLOEXEC | (attr->flags & KIPC_FD_NONBLOCK);
	cc.depth = attr->depth;
	cc.max_inline = attr->max_inline;
	cc.region_fd = attr->region ? (uint32_t)attr->region->fd : KIPC_NO_FD;
	ret = kipc__ioctl(k->fd, KIPC_IOC_CHANNEL_CREATE, &cc);
	if (ret < 0)
		goto out_free_ends;
	s->fd = cc.send_fd;
	s->write_ok = true;
	r->fd = cc.recv_fd;
	*tx = s;
	*rx = r;
	return 0;

out_free_ends:
	free(r);
	free(s);
	return ret;
}

KIPC_API int kipc_channel_pair(struct kipc *k, struct kipc_region *region,
			       struct kipc_chan **tx, struct kipc_chan **rx)
{
	struct kipc_channel_attr attr = { .region = region };

	return kipc_channel_create(k, &attr, tx, rx);
}

KIPC_API int kipc_channel_from_fd(int fd, unsigned int flags,
				  struct kipc_chan **cp)
{
	struct kipc_chan *c;
	int ret;

	/* An adopted fd keeps its flags: only KIPC_FD_CLOEXEC may set one. */
	if (!cp || flags & ~KIPC_FD_CLOEXEC)
		return -EINVAL;
	ret = kipc__fd_check(fd);
	if (ret < 0)
		return ret;
	c = chan_new(fd);
	if (!c)
		return -ENOMEM;
	/* Last, so that a failure leaves @fd as the caller gave it. */
	if (flags & KIPC_FD_CLOEXEC) {
		ret = kipc__fd_set_cloexec(fd);
		if (ret < 0) {
			free(c);
			return ret;
		}
	}
	*cp = c;
	return 0;
}

KIPC_API int kipc_channel_fd(const struct kipc_chan *c)
{
	return c ? c->fd : -EINVAL;
}

KIPC_API int kipc_channel_close(struct kipc_chan *c)
{
	int ret;

	if (!c)
		return -EINVAL;
	ret = kipc__close(c->fd);
	free(c);
	return ret;
}

/*
 * The names of libkipc 0.2 (kipc_chan_*), kept for binaries linked against
 * them: the same functions, under their old versions in libkipc.map.
 */
KIPC_API int kipc_chan_from_fd(int fd, unsigned int flags,
			       struct kipc_chan **cp)
	__attribute__((alias("kipc_channel_from_fd")));
KIPC_API int kipc_chan_fd(const struct kipc_chan *c)
	__attribute__((alias("kipc_channel_fd")));
KIPC_API int kipc_chan_close(struct kipc_chan *c)
	__attribute__((alias("kipc_channel_close")));

/*
 * Fill @io for a batch of @n messages. The library's flags map onto the
 * ABI's: a deadline sets KIPC_IO_TIMEOUT, KIPC_DEADLINE_REALTIME picks
 * its clock. More than KIPC_IO_MSGS_MAX messages are clamped: the call
 * returns a count, as for any batch that moves only in part.
 */
static int io_prepare(struct kipc_io *io, struct kipc_msg *msgs,
		      unsigned int n, unsigned int flags,
		      const struct timespec *deadline, struct kipc_region *owner)
{
	__u32 timeout;
	int ret;

	if (!msgs || !n || flags & ~(KIPC_IO_NONBLOCK | KIPC_DEADLINE_REALTIME))
		return -EINVAL;
	memset(io, 0, sizeof(*io));
	ret = kipc__deadline(flags & KIPC_DEADLINE_REALTIME, deadline, &timeout,
			     &io->clockid, &io->timeout_ns);
	if (ret < 0)
		return ret;
	io->size = sizeof(*io);
	io->flags = flags & KIPC_IO_NONBLOCK;
	io->msgs = (uint64_t)(uintptr_t)msgs;
	io->nr_msgs = n > KIPC_IO_MSGS_MAX ? KIPC_IO_MSGS_MAX : n;
	io->msg_size = KIPC_MSG_SIZE_VER1;	/* == sizeof(*msgs), frozen */
	io->region_fd = owner ? (uint32_t)owner->fd : KIPC_NO_FD;
	if (timeout)
		io->flags |= KIPC_IO_TIMEOUT;
	return 0;
}

KIPC_API int kipc_channel_send(struct kipc_chan *tx, struct kipc_msg *msgs,
			       unsigned int n, unsigned int flags,
			       const struct timespec *deadline,
			       struct kipc_region *bufs_owner)
{
	struct kipc_io io;
	int ret;

	if (!tx)
		return -EINVAL;
	ret = io_prepare(&io, msgs, n, flags, deadline, bufs_owner);
	if (ret < 0)
		return ret;
	return kipc__ioctl(tx->fd, KIPC_IOC_SEND, &io);
}

KIPC_API int kipc_channel_recv(struct kipc_chan *rx, struct kipc_msg *msgs,
			       unsigned int n, unsigned int flags,
			       const struct timespec *deadline,
			       struct kipc_region *bufs_owner)
{
	struct kipc_io io;
	int ret;

	if (!rx)
		return -EINVAL;
	ret = io_prepare(&io, msgs, n, flags, deadline, bufs_owner);
	if (ret < 0)
		return ret;
	return kipc__ioctl(rx->fd, KIPC_IOC_RECV, &io);
}

KIPC_API int kipc_channel_send_bytes(struct kipc_chan *tx, const void *buf,
				     size_t len, uint64_t tag)
{
	struct kipc_msg m;
	int ret;

	if (!tx || (!buf && len))
		return -EINVAL;
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	/*
	 * Without a tag, on an end of kipc_channel_create()'s, the message
	 * is a write(2): two copies of descriptors fewer than KIPC_IOC_SEND,
	 * and the same message. A module without KIPC_FEATURE_CHANNEL_RW
	 * (-EINVAL) takes the ioctl. A connection's end does not (write(2)
	 * would carry the real ids, the ioctl the effective ones), nor does
	 * an adopted fd, which may be no kipc file.
	 */
	if (!tag && tx->write_ok) {
		ssize_t n = kipc__write(tx->fd, buf, len);

		if (n >= 0)
			return 0;
		if (n != -EINVAL && n != -EBADF)
			return (int)n;
	}
	kipc_msg_init(&m, (void *)buf, len, NULL, 0, tag);
	ret = kipc_channel_send(tx, &m, 1, 0, NULL, NULL);
	return ret < 0 ? ret : 0;
}

KIPC_API int kipc_channel_recv_bytes(struct kipc_chan *rx, void *buf,
				     size_t cap, size_t *len, uint64_t *tag)
{
	struct kipc_msg m;
	int ret;

	if (!rx || (!buf && cap))
		return -EINVAL;
	/* Not read(2): it returns no tag, and an empty message reads as EOF. */
	kipc_msg_init(&m, buf, cap > UINT32_MAX ? UINT32_MAX : cap, NULL, 0, 0);
	ret = kipc_channel_recv(rx, &m, 1, 0, NULL, NULL);
	if (ret <= 0)
		return ret;
	if (len)
		*len = m.data_len;
	if (tag)
		*tag = m.tag;
	return 1;
}

KIPC_API int kipc_buf_send(struct kipc_chan *tx, struct kipc_region *r,
			   uint64_t offset, uint64_t len, uint64_t tag)
{
	struct kipc_buf_ref ref = { .offset = offset, .len = len };
	struct kipc_msg m;
	int ret;

	if (!tx || !r)
		return -EINVAL;
	kipc_msg_init(&m, NULL, 0, &ref, 1, tag);
	ret = kipc_channel_send(tx, &m, 1, 0, NULL, r);
	return ret < 0 ? ret : 0;
}

KIPC_API int kipc_buf_recv(struct kipc_chan *rx, struct kipc_region *r,
			   uint64_t *offset, uint64_t *len, uint64_t *tag)
{
	struct kipc_buf_ref ref = { .offset = KIPC_BUF_NONE, .len = 0 };
	struct kipc_msg m;
	int ret;

	if (!rx || !r || !offset)
		return -EINVAL;
	kipc_msg_init(&m, NULL, 0, &ref, 1, 0);
	ret = kipc_channel_recv(rx, &m, 1, 0, NULL, r);
	if (ret <= 0)
		return ret;
	*offset = m.nr_bufs ? ref.offset : KIPC_BUF_NONE;
	if (len)
		*len = m.nr_bufs ? ref.len : 0;
	if (tag)
		*tag = m.tag;
	return 1;
}
