// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: kipc-lend, messages as lent pages, through libkipc.
 *
 * The sender builds the message in a buffer of a private pool of its own
 * (page-aligned, a page multiple) and lends it with kipc_lend_send(); the
 * receiver gets the pages mapped read-only (kipc_lend_recv()'s message,
 * received with KIPC_IO_NONBLOCK when polling), reads the bytes in place
 * and unmaps them with kipc_lend_release().  The sender's lend queue then
 * gets a completion; a buffer is reused only after its completion has been
 * reaped (tx_buf() reaps, waiting while every buffer is lent).  No byte is
 * copied: the kernel pins the sender's pages and maps them into the
 * receiver.
 *
 * A message of fewer bytes than a page still lends whole pages; the tag
 * carries its length.  Each direction is a channel of its own (side d
 * sends on chan[d]), created before fork; after fork each process creates
 * its own lend queue and pool (lent pages are pinned: they are charged to
 * RLIMIT_MEMLOCK, which setup() raises or the pool shrinks to fit).
 *
 * Built without libkipc, the row is listed and reported unavailable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "kipc-bench.h"

#ifdef KB_HAVE_LIBKIPC
#include "mech-kipc.h"

#define KB_LEND_POOL_BUFS	8		/* as kipc-region's pool */
#define KB_LEND_POOL_BYTES	(128ULL << 20)	/* pinned per process, at most */
#define KB_LEND_MIN_BUFS	2

struct kb_lend {
	struct kb_kipc kb;		/* no region: the pool is private */
	struct kipc_lendq *q;		/* this process's lend queue */
	char *pool;			/* nbufs buffers of buf bytes */
	bool *lent;			/* buffer i awaits its completion */
	unsigned int nbufs, next;	/* next: buffer tx_buf() tries */
	uint64_t buf;
	const void *rx_addr;		/* mapping recv() returned */
	size_t rx_len;
};

static int kb_kipc_lend_available(char *why, size_t len)
{
	return kb_kipc_probe(why, len,
			     KIPC_FEATURE_CHANNEL | KIPC_FEATURE_LEND);
}

static void kb_lend_teardown(struct kb_chan *c)
{
	struct kb_lend *p = c->priv;

	if (!p)
		return;
	if (p->rx_addr)
		kipc_lend_release(p->rx_addr, p->rx_len);
	if (p->q)
		kipc_lendq_close(p->q);
	kb_unmap(p->pool, p->nbufs * p->buf);
	free(p->lent);
	kb_kipc_free(c);
}

/*
 * Pool size: KB_LEND_POOL_BUFS buffers, fewer if they would pin more than
 * KB_LEND_POOL_BYTES or more than RLIMIT_MEMLOCK allows (raised if we
 * may); fewer than KB_LEND_MIN_BUFS skips the row.
 */
static int kb_lend_pool_bufs(struct kb_chan *c, uint64_t buf)
{
	uint64_t n = KB_LEND_POOL_BUFS, need;
	struct rlimit rl;

	if (n * buf > KB_LEND_POOL_BYTES)
		n = KB_LEND_POOL_BYTES / buf;
	if (n < KB_LEND_MIN_BUFS)
		n = KB_LEND_MIN_BUFS;
	need = n * buf;
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return kb_fail(c, -errno, "getrlimit RLIMIT_MEMLOCK");
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit want = { need, need };

		if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need)
			want.rlim_max = rl.rlim_max;
		if (setrlimit(RLIMIT_MEMLOCK, &want)) {
			if (rl.rlim_cur < rl.rlim_max)
				rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_MEMLOCK, &rl);
			n = rl.rlim_cur / buf;
		}
	}
	if (n < KB_LEND_MIN_BUFS)
		return kb_fail(c, -ENOSPC, "RLIMIT_MEMLOCK too low to lend");
	return n;
}

static int kb_kipc_lend_setup(struct kb_chan *c)
{
	struct kb_lend *p;
	int ret;

	ret = kb_kipc_alloc(c, sizeof(*p));
	if (ret)
		return ret;
	p = c->priv;
	p->buf = kb_kipc_page_up(c->size);
	ret = kb_lend_pool_bufs(c, p->buf);
	if (ret < 0)
		goto out_teardown;
	p->nbufs = ret;
	p->lent = calloc(p->nbufs, sizeof(*p->lent));
	if (!p->lent) {
		ret = kb_fail(c, -ENOMEM, "calloc");
		goto out_teardown;
	}
	ret = kb_kipc_channels(c, NULL);
	if (ret)
		goto out_teardown;
	return 0;

out_teardown:
	p->nbufs = 0;		/* no pool mapped yet */
	kb_lend_teardown(c);
	return ret;
}

/*
 * After fork: this process's lend queue, and its pool, written once so
 * that no page is the shared zero page when it is pinned.
 */
static int kb_kipc_lend_attach(struct kb_chan *c)
{
	struct kb_lend *p = c->priv;
	int ret;

	ret = kipc_lendq_create(p->kb.k, 0, &p->q);
	if (ret < 0)
		return kb_fail(c, ret, "kipc_lendq_create");
	p->pool = kb_map(p->nbufs * p->buf);
	if (!p->pool)
		return kb_fail(c, -errno, "mmap lend pool");
	memset(p->pool, 0, p->nbufs * p->buf);
	return 0;
}

/* Reap what completions there are, waiting for one if @wait. */
static int kb_lend_reap(struct kb_chan *c, bool wait)
{
	struct kipc_lend_completion comp[KB_LEND_POOL_BUFS];
	struct kb_lend *p = c->priv;
	int i, ret;

	ret = kipc_lendq_reap(p->q, comp, ARRAY_SIZE(comp),
			      wait ? 0 : KIPC_REAP_NONBLOCK);
	if (ret == -EAGAIN && !wait)
		return 0;
	if (ret < 0)
		return kb_fail(c, ret, "kipc_lendq_reap");
	if (!ret && wait)
		return kb_fail(c, -EPROTO, "kipc_lendq_reap: nothing lent");
	for (i = 0; i < ret; i++) {
		if (comp[i].status != KIPC_LEND_RELEASED)
			return kb_fail(c, -EPIPE, "lent pages dropped unread");
		if (comp[i].cookie >= p->nbufs)
			return kb_fail(c, -EBADMSG, "completion of no buffer");
		p->lent[comp[i].cookie] = false;
	}
	return 0;
}

/* The sender builds the message in the next buffer once it is back. */
static void *kb_kipc_lend_tx_buf(struct kb_chan *c)
{
	struct kb_lend *p = c->priv;

	while (p->lent[p->next]) {
		if (kb_abort) {
			kb_fail(c, -EINTR, "kipc_lendq_reap");
			return NULL;
		}
		if (kb_lend_reap(c, true))
			return NULL;
	}
	return p->pool + p->next * p->buf;
}

static int kb_kipc_lend_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_lend *p = c->priv;
	unsigned int i = p->next;
	int ret;

	ret = kipc_lend_send(p->kb.tx[c->side], p->q, buf, p->buf, i, len);
	if (ret < 0)
		return kb_fail(c, ret, "kipc_lend_send");
	p->lent[i] = true;
	p->next = (i + 1) % p->nbufs;
	/* Take back what the receiver has released, without waiting. */
	return kb_lend_reap(c, false);
}

static int kb_kipc_lend_recv(struct kb_chan *c, const void **data,
			     size_t len, bool nonblock)
{
	struct kb_lend *p = c->priv;
	struct kipc_lend_ref ref;
	struct kipc_msg m;
	int ret;

	memset(&ref, 0, sizeof(ref));
	kipc_msg_init(&m, NULL, 0, NULL, 0, 0);
	kipc_msg_lend(&m, &ref, 1, NULL);
	ret = kb_kipc_recv(c, &m, nonblock, NULL);
	if (ret)
		return ret;
	if (m.nr_lends != 1)
		return kb_fail(c, -EBADMSG, "message without lent pages");
	p->rx_addr = (const void *)(uintptr_t)ref.addr;
	p->rx_len = ref.len;
	if (m.tag != len || ref.len < len)
		return kb_fail(c, -EMSGSIZE, "message of the wrong size");
	*data = p->rx_addr;
	return 0;
}

/* The receiver is done reading in place: unmap, completing the lend. */
static int kb_kipc_lend_recv_done(struct kb_chan *c)
{
	struct kb_lend *p = c->priv;
	int ret;

	ret = kipc_lend_release(p->rx_addr, p->rx_len);
	p->rx_addr = NULL;
	return ret < 0 ? kb_fail(c, ret, "kipc_lend_release") : 0;
}

const struct kb_mech kb_mech_kipc_lend = {
	.name		= "kipc-lend",
	.desc		= "kipc channel lending the sender's pages (zero copy)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_kipc_lend_available,
	.setup		= kb_kipc_lend_setup,
	.attach		= kb_kipc_lend_attach,
	.teardown	= kb_lend_teardown,
	.tx_buf		= kb_kipc_lend_tx_buf,
	.send		= kb_kipc_lend_send,
	.recv		= kb_kipc_lend_recv,
	.recv_done	= kb_kipc_lend_recv_done,
};

#else /* !KB_HAVE_LIBKIPC */

const struct kb_mech kb_mech_kipc_lend = {
	.name		= "kipc-lend",
	.desc		= "kipc channel lending the sender's pages (zero copy)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

#endif /* KB_HAVE_LIBKIPC */
