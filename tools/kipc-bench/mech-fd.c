// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the common part of every mechanism whose two ends are file
 * descriptors (pipe, fifo, vmsplice, sockets, eventfd).
 *
 * Setup opens every descriptor in the parent; after fork each side closes
 * the ones only its peer uses, so that a dead peer shows up as end of file,
 * and non-blocking receive modes put the receiving descriptor in O_NONBLOCK.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipc-bench.h"

/**
 * kb_fdchan_alloc() - allocate the private state of an fd mechanism.
 * @privsize:	size of the mechanism's state, which starts with a
 *		struct kb_fdchan
 * @dgram:	one read() returns one whole message
 *
 * Return: the state (also in c->priv) with every fd -1, or NULL with the
 * reason in c->why.
 */
struct kb_fdchan *kb_fdchan_alloc(struct kb_chan *c, size_t privsize,
				  bool dgram)
{
	struct kb_fdchan *f;

	f = calloc(1, privsize);
	if (!f) {
		kb_fail(c, -ENOMEM, "calloc");
		return NULL;
	}
	memset(f->fd, -1, sizeof(f->fd));
	f->dgram = dgram;
	f->rx = kb_map(c->size);
	if (!f->rx) {
		kb_fail(c, -errno, "mmap receive buffer");
		free(f);
		return NULL;
	}
	c->priv = f;
	return f;
}

static bool kb_fdchan_mine(const struct kb_fdchan *f, int side, int fd)
{
	return f->fd[side][KB_RX] == fd || f->fd[side][KB_TX] == fd;
}

static void kb_fdchan_close(struct kb_fdchan *f, int fd)
{
	int s, d;

	if (close(fd))
		kb_warn("close: %s", strerror(errno));
	for (s = 0; s < 2; s++)
		for (d = 0; d < 2; d++)
			if (f->fd[s][d] == fd)
				f->fd[s][d] = -1;
}

int kb_fdchan_attach(struct kb_chan *c)
{
	struct kb_fdchan *f = c->priv;
	int peer = !c->side, d, ret;

	for (d = 0; d < 2; d++) {
		int fd = f->fd[peer][d];

		if (fd >= 0 && !kb_fdchan_mine(f, c->side, fd))
			kb_fdchan_close(f, fd);
	}
	if (c->mode == KB_BLOCKING)
		return 0;
	ret = kb_set_nonblock(f->fd[c->side][KB_RX], true);
	return ret ? kb_fail(c, ret, "fcntl O_NONBLOCK") : 0;
}

void kb_fdchan_teardown(struct kb_chan *c)
{
	struct kb_fdchan *f = c->priv;
	int s, d;

	for (s = 0; s < 2; s++)
		for (d = 0; d < 2; d++)
			if (f->fd[s][d] >= 0)
				kb_fdchan_close(f, f->fd[s][d]);
	kb_unmap(f->rx, c->size);
	free(f);
	c->priv = NULL;
}

int kb_fdchan_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_fdchan *f = c->priv;
	int ret;

	ret = kb_write_all(f->fd[c->side][KB_TX], buf, len);
	return ret ? kb_fail(c, ret, "write") : 0;
}

static int kb_fdchan_recv_dgram(struct kb_chan *c, size_t len, bool nonblock)
{
	struct kb_fdchan *f = c->priv;
	int fd = f->fd[c->side][KB_RX], ret;
	ssize_t n;

	for (;;) {
		n = read(fd, f->rx, c->size);
		if (n >= 0)
			break;
		if (errno == EAGAIN) {
			if (nonblock)
				return -EAGAIN;
			ret = kb_wait_fd(fd, POLLIN);
			if (ret)
				return kb_fail(c, ret, "poll");
		} else if (errno != EINTR || kb_abort) {
			return kb_fail(c, -errno, "read");
		}
	}
	if (!n)
		return kb_fail(c, -EPIPE, "read: peer closed");
	if ((size_t)n != len)
		return kb_fail(c, -EMSGSIZE, "read: message of the wrong size");
	return 0;
}

int kb_fdchan_recv(struct kb_chan *c, const void **data, size_t len,
		   bool nonblock)
{
	struct kb_fdchan *f = c->priv;
	int ret;

	if (f->dgram) {
		ret = kb_fdchan_recv_dgram(c, len, nonblock);
	} else {
		ret = kb_read_all(f->fd[c->side][KB_RX], f->rx, len, nonblock);
		if (ret && ret != -EAGAIN)
			kb_fail(c, ret, "read");
	}
	*data = f->rx;
	return ret;
}
