// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the pipe family.
 *
 * pipe:	two anonymous pipes, one per direction, read()/write()
 * fifo:	the same through two named FIFOs (mkfifo), unlinked once open
 * vmsplice:	the sender maps its pages into the pipe with vmsplice(2), the
 *		receiver splices them into a memfd it has mapped
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "kipc-bench.h"

/*
 * Direction d (side d to side !d) is carried by pipe @p. A pipe holds a
 * whole message, up to pipe-max-size (an unprivileged process's limit, 1
 * MiB by default), as a program moving large messages would set it: its
 * writer then blocks no more than it must, as kipc-region's sender, with
 * a pool of buffers, does not.
 */
static void kb_pipe_assign(struct kb_chan *c, struct kb_fdchan *f, int d,
			   const int p[2])
{
	static long max;
	FILE *file;

	if (!max) {
		file = fopen("/proc/sys/fs/pipe-max-size", "r");
		if (!file || fscanf(file, "%ld", &max) != 1 || max < 4096)
			max = 65536;
		if (file)
			fclose(file);
	}
	if (c->size > 65536)
		fcntl(p[1], F_SETPIPE_SZ, (long)c->size < max ? (long)c->size : max);
	f->fd[d][KB_TX] = p[1];
	f->fd[!d][KB_RX] = p[0];
}

static int kb_pipe_setup(struct kb_chan *c)
{
	struct kb_fdchan *f;
	int p[2], d;

	f = kb_fdchan_alloc(c, sizeof(*f), false);
	if (!f)
		return -ENOMEM;
	for (d = 0; d < 2; d++) {
		if (pipe2(p, O_CLOEXEC)) {
			int ret = kb_fail(c, -errno, "pipe2");

			kb_fdchan_teardown(c);
			return ret;
		}
		kb_pipe_assign(c, f, d, p);
	}
	return 0;
}

static int kb_fifo_open(struct kb_chan *c, int p[2])
{
	char name[PATH_MAX], base[64];
	const char *dir = getenv("TMPDIR");
	int ret;

	ret = kb_tmpname(base, sizeof(base), "fifo");
	if (ret)
		return kb_fail(c, ret, "fifo name");
	snprintf(name, sizeof(name), "%s/%s", dir ? dir : "/tmp", base);
	if (mkfifo(name, 0600))
		return kb_fail(c, -errno, "mkfifo");
	/* a reader first, so that opening the writer does not block */
	p[0] = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	p[1] = p[0] < 0 ? -1 : open(name, O_WRONLY | O_CLOEXEC);
	if (p[1] < 0)
		ret = kb_fail(c, -errno, "open fifo");
	else if ((ret = kb_set_nonblock(p[0], false)))
		kb_fail(c, ret, "fcntl");
	if (unlink(name) && !ret)
		ret = kb_fail(c, -errno, "unlink fifo");
	if (ret) {
		if (p[1] >= 0)
			close(p[1]);
		if (p[0] >= 0)
			close(p[0]);
	}
	return ret;
}

static int kb_fifo_setup(struct kb_chan *c)
{
	struct kb_fdchan *f;
	int p[2], d, ret;

	f = kb_fdchan_alloc(c, sizeof(*f), false);
	if (!f)
		return -ENOMEM;
	for (d = 0; d < 2; d++) {
		ret = kb_fifo_open(c, p);
		if (ret) {
			kb_fdchan_teardown(c);
			return ret;
		}
		kb_pipe_assign(c, f, d, p);
	}
	return 0;
}

/*
 * vmsplice: the pipe holds references to the sender's pages, not copies,
 * so a page must not be rewritten until the receiver has spliced it out.
 * The sender cycles through enough buffers to cover a full pipe plus the
 * message being written: by the time it reuses one, that one has left the
 * pipe.
 */
struct kb_vmsplice {
	struct kb_fdchan f;	/* first: kb_fdchan_* use it */
	int memfd[2];		/* side s splices into memfd[s] ... */
	void *map[2];		/* ... and reads the message at map[s] */
	void *ring;		/* the sender's buffers */
	size_t slots, next;
};

static int kb_vmsplice_setup(struct kb_chan *c)
{
	struct kb_vmsplice *v;
	int p[2], d, ret, pipesz = 0;

	v = (struct kb_vmsplice *)kb_fdchan_alloc(c, sizeof(*v), false);
	if (!v)
		return -ENOMEM;
	v->memfd[0] = v->memfd[1] = -1;
	for (d = 0; d < 2; d++) {
		if (pipe2(p, O_CLOEXEC)) {
			ret = kb_fail(c, -errno, "pipe2");
			goto out_teardown;
		}
		kb_pipe_assign(c, &v->f, d, p);
		pipesz = fcntl(p[0], F_GETPIPE_SZ);
		if (pipesz < 0) {
			ret = kb_fail(c, -errno, "F_GETPIPE_SZ");
			goto out_teardown;
		}
		v->memfd[d] = memfd_create("kipc-bench", MFD_CLOEXEC);
		if (v->memfd[d] < 0) {
			ret = kb_fail(c, -errno, "memfd_create");
			goto out_teardown;
		}
		if (ftruncate(v->memfd[d], c->size)) {
			ret = kb_fail(c, -errno, "ftruncate memfd");
			goto out_teardown;
		}
		v->map[d] = mmap(NULL, c->size, PROT_READ, MAP_SHARED,
				 v->memfd[d], 0);
		if (v->map[d] == MAP_FAILED) {
			v->map[d] = NULL;
			ret = kb_fail(c, -errno, "mmap memfd");
			goto out_teardown;
		}
	}
	v->slots = pipesz / c->size + 2;
	v->ring = kb_map(v->slots * c->size);
	if (!v->ring) {
		ret = kb_fail(c, -errno, "mmap send buffers");
		goto out_teardown;
	}
	return 0;

out_teardown:
	c->mech->teardown(c);
	return ret;
}

static void kb_vmsplice_teardown(struct kb_chan *c)
{
	struct kb_vmsplice *v = c->priv;
	int d;

	for (d = 0; d < 2; d++) {
		if (v->map[d] && munmap(v->map[d], c->size))
			kb_warn("munmap: %s", strerror(errno));
		if (v->memfd[d] >= 0 && close(v->memfd[d]))
			kb_warn("close: %s", strerror(errno));
	}
	kb_unmap(v->ring, v->slots * c->size);
	kb_fdchan_teardown(c);
}

static void *kb_vmsplice_tx_buf(struct kb_chan *c)
{
	struct kb_vmsplice *v = c->priv;

	v->next = (v->next + 1) % v->slots;
	return (char *)v->ring + v->next * c->size;
}

static int kb_vmsplice_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_vmsplice *v = c->priv;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	int fd = v->f.fd[c->side][KB_TX];
	ssize_t n;

	while (iov.iov_len) {
		n = vmsplice(fd, &iov, 1, 0);
		if (n > 0) {
			iov.iov_base = (char *)iov.iov_base + n;
			iov.iov_len -= n;
		} else if (n == 0 || (errno != EINTR || kb_abort)) {
			return kb_fail(c, n ? -errno : -EPIPE, "vmsplice");
		}
	}
	return 0;
}

static int kb_vmsplice_recv(struct kb_chan *c, const void **data, size_t len,
			    bool nonblock)
{
	struct kb_vmsplice *v = c->priv;
	int fd = v->f.fd[c->side][KB_RX], ret;
	loff_t off = 0;
	ssize_t n;

	while ((size_t)off < len) {
		n = splice(fd, NULL, v->memfd[c->side], &off, len - off,
			   SPLICE_F_MOVE);
		if (n > 0)
			continue;
		if (n == 0)
			return kb_fail(c, -EPIPE, "splice: peer closed");
		if (errno == EAGAIN) {
			if (nonblock && !off)
				return -EAGAIN;
			if (kb_abort)
				return kb_fail(c, -EINTR, "splice");
			if (nonblock)
				continue;
			ret = kb_wait_fd(fd, POLLIN);
			if (ret)
				return kb_fail(c, ret, "poll");
		} else if (errno != EINTR || kb_abort) {
			return kb_fail(c, -errno, "splice");
		}
	}
	*data = v->map[c->side];
	return 0;
}

const struct kb_mech kb_mech_pipe = {
	.name		= "pipe",
	.desc		= "anonymous pipe pair, read/write",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.setup		= kb_pipe_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_fdchan_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
};

const struct kb_mech kb_mech_fifo = {
	.name		= "fifo",
	.desc		= "named FIFO pair (mkfifo), read/write",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.setup		= kb_fifo_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_fdchan_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
};

const struct kb_mech kb_mech_vmsplice = {
	.name		= "vmsplice",
	.desc		= "vmsplice into a pipe, splice out into a mapped memfd",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.setup		= kb_vmsplice_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_vmsplice_teardown,
	.tx_buf		= kb_vmsplice_tx_buf,
	.send		= kb_vmsplice_send,
	.recv		= kb_vmsplice_recv,
};
