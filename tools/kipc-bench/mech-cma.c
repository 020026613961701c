// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: cross memory attach (process_vm_writev/readv).
 *
 * Buffers are mapped before fork, so they sit at the same address in both
 * processes and each side can name the other's copy.  A kb_mbox per
 * direction in shared memory is the doorbell (see mech-futex.c).
 *
 * cma:		the sender writes into the receiver's buffer, rings
 * cma-read:	the sender builds the message in its own buffer and rings;
 *		the receiver reads it out of the sender
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>

#include "kipc-bench.h"

struct kb_cma {
	struct kb_mbox *mbox;	/* shared: mbox[d] for direction d */
	void *buf[2];		/* direction d's message lands in buf[d] */
	void *tx[2];		/* cma-read: side s builds in tx[s] */
};

static void kb_cma_teardown(struct kb_chan *c)
{
	struct kb_cma *m = c->priv;
	int d;

	if (m->mbox && munmap(m->mbox, 2 * sizeof(*m->mbox)))
		kb_warn("munmap: %s", strerror(errno));
	for (d = 0; d < 2; d++) {
		kb_unmap(m->buf[d], c->size);
		kb_unmap(m->tx[d], c->size);
	}
	free(m);
	c->priv = NULL;
}

static int kb_cma_setup(struct kb_chan *c)
{
	struct kb_cma *m;
	int d, ret;

	m = calloc(1, sizeof(*m));
	if (!m)
		return kb_fail(c, -ENOMEM, "calloc");
	c->priv = m;
	m->mbox = mmap(NULL, 2 * sizeof(*m->mbox), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m->mbox == MAP_FAILED) {
		m->mbox = NULL;
		ret = kb_fail(c, -errno, "mmap");
		goto out_teardown;
	}
	for (d = 0; d < 2; d++) {
		kb_mbox_init(&m->mbox[d]);
		m->buf[d] = kb_map(c->size);
		if (c->mech->tx_buf)
			m->tx[d] = kb_map(c->size);
		if (!m->buf[d] || (c->mech->tx_buf && !m->tx[d])) {
			ret = kb_fail(c, -errno, "mmap message buffer");
			goto out_teardown;
		}
	}
	return 0;

out_teardown:
	kb_cma_teardown(c);
	return ret;
}

/* Yama's ptrace_scope=1 lets only ancestors attach: let the child in too. */
static int kb_cma_attach(struct kb_chan *c)
{
	if (!c->side && prctl(PR_SET_PTRACER, c->peer, 0, 0, 0) &&
	    errno != EINVAL)
		return kb_fail(c, -errno, "prctl PR_SET_PTRACER");
	return 0;
}

/* Move @len bytes between @local here and @remote in the peer. */
static int kb_cma_copy(struct kb_chan *c, void *local, void *remote,
		       size_t len, bool write)
{
	struct iovec l, r;
	ssize_t n;
	size_t done = 0;

	while (done < len) {
		l.iov_base = (char *)local + done;
		r.iov_base = (char *)remote + done;
		l.iov_len = r.iov_len = len - done;
		n = write ? process_vm_writev(c->peer, &l, 1, &r, 1, 0) :
			    process_vm_readv(c->peer, &l, 1, &r, 1, 0);
		if (n <= 0)
			return kb_fail(c, n ? -errno : -EIO, write ?
				       "process_vm_writev" :
				       "process_vm_readv");
		done += n;
	}
	return 0;
}

static int kb_cma_ring(struct kb_chan *c, int d, size_t len)
{
	struct kb_cma *m = c->priv;
	int ret;

	m->mbox[d].len = len;
	ret = kb_mbox_set(&m->mbox[d], 1, &kb_futex_bell);
	return ret ? kb_fail(c, ret, "futex wake") : 0;
}

static int kb_cma_wait(struct kb_chan *c, int d, uint32_t want,
		       bool nonblock)
{
	struct kb_cma *m = c->priv;
	int ret;

	ret = kb_mbox_wait(&m->mbox[d], want, nonblock, &kb_futex_bell);
	if (ret && ret != -EAGAIN)
		kb_fail(c, ret, "futex wait");
	return ret;
}

static int kb_cma_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_cma *m = c->priv;
	int d = c->side, ret;

	ret = kb_cma_wait(c, d, 0, false);
	if (!ret)
		ret = kb_cma_copy(c, (void *)buf, m->buf[d], len, true);
	return ret ? ret : kb_cma_ring(c, d, len);
}

static int kb_cma_recv(struct kb_chan *c, const void **data, size_t len,
		       bool nonblock)
{
	struct kb_cma *m = c->priv;
	int d = !c->side, ret;

	ret = kb_cma_wait(c, d, 1, nonblock);
	if (ret)
		return ret;
	if (m->mbox[d].len != len)
		return kb_fail(c, -EMSGSIZE, "message of the wrong size");
	*data = m->buf[d];
	return 0;
}

static int kb_cma_recv_done(struct kb_chan *c)
{
	struct kb_cma *m = c->priv;
	int ret;

	ret = kb_mbox_set(&m->mbox[!c->side], 0, &kb_futex_bell);
	return ret ? kb_fail(c, ret, "futex wake") : 0;
}

/* cma-read: the buffer is free again once the receiver has copied it. */
static void *kb_cma_read_tx_buf(struct kb_chan *c)
{
	struct kb_cma *m = c->priv;

	return kb_cma_wait(c, c->side, 0, false) ? NULL : m->tx[c->side];
}

static int kb_cma_read_send(struct kb_chan *c, const void *buf, size_t len)
{
	(void)buf;		/* built in place, in tx[side] */
	return kb_cma_ring(c, c->side, len);
}

static int kb_cma_read_recv(struct kb_chan *c, const void **data, size_t len,
			    bool nonblock)
{
	struct kb_cma *m = c->priv;
	int d = !c->side, ret;

	ret = kb_cma_wait(c, d, 1, nonblock);
	if (ret)
		return ret;
	if (m->mbox[d].len != len)
		return kb_fail(c, -EMSGSIZE, "message of the wrong size");
	ret = kb_cma_copy(c, m->buf[d], m->tx[d], len, false);
	if (ret)
		return ret;
	*data = m->buf[d];
	return kb_cma_recv_done(c);
}

static int kb_cma_available(char *why, size_t len)
{
	char a = 1, b = 0;
	struct iovec l = { &b, 1 }, r = { &a, 1 };

	if (process_vm_readv(getpid(), &l, 1, &r, 1, 0) != 1)
		return kb_err(-errno, why, len, "process_vm_readv");
	return 0;
}

const struct kb_mech kb_mech_cma = {
	.name		= "cma",
	.desc		= "process_vm_writev into the receiver, futex doorbell",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_cma_available,
	.setup		= kb_cma_setup,
	.attach		= kb_cma_attach,
	.teardown	= kb_cma_teardown,
	.send		= kb_cma_send,
	.recv		= kb_cma_recv,
	.recv_done	= kb_cma_recv_done,
};

const struct kb_mech kb_mech_cma_read = {
	.name		= "cma-read",
	.desc		= "process_vm_readv out of the sender, futex doorbell",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_cma_available,
	.setup		= kb_cma_setup,
	.attach		= kb_cma_attach,
	.teardown	= kb_cma_teardown,
	.tx_buf		= kb_cma_read_tx_buf,
	.send		= kb_cma_read_send,
	.recv		= kb_cma_read_recv,
};
