// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: cross memory attach (process_vm_writev/readv).
 *
 * Buffers are mapped before fork, so they sit at the same address in both
 * processes and each side can name the other's copy.  Each direction is a
 * ring of up to KB_CMA_BUFS buffers, as kipc-region's and kipc-lend's pools
 * hold, so that a sender may run that many messages ahead of its receiver:
 * two counters in shared memory, messages sent and messages freed, each a
 * futex word that a side sleeps on while the ring is empty or full (the
 * mailbox's algorithm, see mech-futex.c).
 *
 * cma:		the sender writes into the receiver's next buffer, rings
 * cma-read:	the sender builds the message in its own next buffer and
 *		rings; the receiver reads it out of the sender, then frees it
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>

#include "kipc-bench.h"

#define KB_CMA_BUFS		8		/* as kipc's pools */
#define KB_CMA_RING_BYTES	(128ULL << 20)	/* a ring's, or one buffer */

/* A count of messages in shared memory, slept on while it stays put. */
struct kb_cma_count {
	uint32_t n;		/* the futex word */
	uint32_t waiters;	/* processes asleep, or about to sleep, on @n */
} __attribute__((aligned(64)));

/* One direction's ring: written by the sender, then by the receiver. */
struct kb_cma_ring {
	struct kb_cma_count sent;	/* messages sent */
	struct kb_cma_count freed;	/* messages the receiver is done with */
	uint64_t len[KB_CMA_BUFS];	/* each buffer's message length */
};

struct kb_cma {
	struct kb_cma_ring *ring;	/* shared: ring[d] for direction d */
	unsigned int bufs[2];	/* ring[d]'s buffers, at most KB_CMA_BUFS */
	size_t msg[2];		/* the largest message of direction d */
	void *buf[2];		/* direction d's messages land in buf[d] */
	void *tx[2];		/* cma-read: side s builds in tx[s] */
	size_t buf_len[2], tx_len[2];	/* of buf[d], of tx[s] */
};

static void kb_cma_teardown(struct kb_chan *c)
{
	struct kb_cma *m = c->priv;
	int d;

	if (m->ring && munmap(m->ring, 2 * sizeof(*m->ring)))
		kb_warn("munmap: %s", strerror(errno));
	for (d = 0; d < 2; d++) {
		kb_unmap(m->buf[d], m->buf_len[d]);
		kb_unmap(m->tx[d], m->tx_len[d]);
	}
	free(m);
	c->priv = NULL;
}

/*
 * KB_CMA_BUFS buffers of @size a ring, fewer (a power of two) if they
 * would take more than KB_CMA_RING_BYTES, down to one: above
 * KB_CMA_RING_BYTES / 2 a ring is the one-slot mailbox it replaced, so
 * that a row holds no more than that did.
 */
static unsigned int kb_cma_ring_bufs(size_t size)
{
	uint64_t n = KB_CMA_RING_BYTES / size;

	if (n >= KB_CMA_BUFS)
		return KB_CMA_BUFS;
	if (!n)
		return 1;
	while (n & (n - 1))	/* a power of two: seq % n runs on at wrap */
		n &= n - 1;
	return n;
}

/*
 * The largest message of direction 1: the message in a round trip; an
 * ack (throughput) or nothing (wake) otherwise.
 */
static size_t kb_cma_msg1(struct kb_chan *c)
{
	return c->test == KB_LATENCY ? c->size : KB_MIN_SIZE;
}

/*
 * Where a ring goes, at the same address in both processes: mapped before
 * fork but populated after it, by the one process that uses it
 * (kb_cma_attach()), so that neither holds a copy of the other's.
 */
static void *kb_cma_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * cma: a ring of buffers a direction in the receiver; cma-read: a ring in
 * the sender (tx), and one buffer in the receiver, which frees the
 * sender's as soon as it has read it.
 */
static int kb_cma_setup(struct kb_chan *c)
{
	struct kb_cma *m;
	int d, ret;

	m = calloc(1, sizeof(*m));
	if (!m)
		return kb_fail(c, -ENOMEM, "calloc");
	c->priv = m;
	m->msg[0] = c->size;
	m->msg[1] = kb_cma_msg1(c);
	for (d = 0; d < 2; d++) {
		m->bufs[d] = kb_cma_ring_bufs(m->msg[d]);
		m->buf_len[d] = (c->mech->tx_buf ? 1 : m->bufs[d]) * m->msg[d];
		m->tx_len[d] = c->mech->tx_buf ? m->bufs[d] * m->msg[d] : 0;
	}
	if (m->bufs[0] > 1 && m->bufs[0] < KB_CMA_BUFS)
		snprintf(c->note, sizeof(c->note), "a ring of %u buffers "
			 "(%zu MiB) a direction of messages", m->bufs[0],
			 m->bufs[0] * c->size >> 20);
	else if (m->bufs[0] == 1)
		snprintf(c->note, sizeof(c->note), "one buffer (%zu MiB) a "
			 "direction of messages: a ring takes %llu MiB at most",
			 c->size >> 20, KB_CMA_RING_BYTES >> 20);
	m->ring = mmap(NULL, 2 * sizeof(*m->ring), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m->ring == MAP_FAILED) {
		m->ring = NULL;
		ret = kb_fail(c, -errno, "mmap");
		goto out_teardown;
	}
	for (d = 0; d < 2; d++) {
		m->buf[d] = kb_cma_map(m->buf_len[d]);
		if (m->tx_len[d])
			m->tx[d] = kb_cma_map(m->tx_len[d]);
		if (!m->buf[d] || (m->tx_len[d] && !m->tx[d])) {
			ret = kb_fail(c, -errno, "mmap message buffers");
			goto out_teardown;
		}
	}
	return 0;

out_teardown:
	kb_cma_teardown(c);
	return ret;
}

/*
 * Fault in, writable, the pages of a ring this side uses, keeping what the
 * peer may already have written there; a kernel older than 5.14 (EINVAL)
 * faults them in at the first messages, in the warm-up.
 */
static int kb_cma_populate(struct kb_chan *c, void *p, size_t len)
{
	if (madvise(p, len, MADV_POPULATE_WRITE) && errno != EINVAL)
		return kb_fail(c, -errno, "madvise MADV_POPULATE_WRITE");
	return 0;
}

/*
 * Populate the buffers this side uses (the receiver's, and cma-read's
 * sender's), so that no page is first touched in the timed part. Yama's
 * ptrace_scope=1 lets only ancestors attach: let the child in too.
 */
static int kb_cma_attach(struct kb_chan *c)
{
	struct kb_cma *m = c->priv;
	int ret;

	ret = kb_cma_populate(c, m->buf[!c->side], m->buf_len[!c->side]);
	if (!ret && m->tx_len[c->side])
		ret = kb_cma_populate(c, m->tx[c->side], m->tx_len[c->side]);
	if (ret)
		return ret;
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

/* The buffer of message @seq in direction @d's ring of buffers at @base. */
static void *kb_cma_slot(struct kb_chan *c, int d, void *base, uint32_t seq)
{
	struct kb_cma *m = c->priv;

	return (char *)base + (size_t)(seq % m->bufs[d]) * m->msg[d];
}

/* Sleep while @cnt is @busy; 0, -EAGAIN (@nonblock) or -errno. */
static int kb_cma_wait(struct kb_chan *c, struct kb_cma_count *cnt,
		       uint32_t busy, bool nonblock)
{
	int ret;

	ret = kb_word_wait(&cnt->n, &cnt->waiters, busy, nonblock,
			   &kb_futex_bell);
	if (ret && ret != -EAGAIN)
		kb_fail(c, ret, "futex wait");
	return ret;
}

static int kb_cma_count_set(struct kb_chan *c, struct kb_cma_count *cnt,
			    uint32_t val)
{
	int ret;

	ret = kb_word_set(&cnt->n, &cnt->waiters, val, &kb_futex_bell);
	return ret ? kb_fail(c, ret, "futex wake") : 0;
}

/* The sender: wait while direction @d's ring is full; the next message. */
static int kb_cma_room(struct kb_chan *c, int d, uint32_t *seq)
{
	struct kb_cma *m = c->priv;
	struct kb_cma_ring *r = &m->ring[d];

	*seq = r->sent.n;
	return kb_cma_wait(c, &r->freed, *seq - m->bufs[d], false);
}

/* The sender: message @seq of @len bytes is in place; ring. */
static int kb_cma_ring_bell(struct kb_chan *c, int d, uint32_t seq,
			    size_t len)
{
	struct kb_cma_ring *r = &((struct kb_cma *)c->priv)->ring[d];

	r->len[seq % KB_CMA_BUFS] = len;
	return kb_cma_count_set(c, &r->sent, seq + 1);
}

/*
 * The receiver: wait while direction @d's ring is empty; the next message
 * is *@seq, of @len bytes as it must be.
 */
static int kb_cma_next(struct kb_chan *c, int d, size_t len, bool nonblock,
		       uint32_t *seq)
{
	struct kb_cma_ring *r = &((struct kb_cma *)c->priv)->ring[d];
	int ret;

	*seq = r->freed.n;
	ret = kb_cma_wait(c, &r->sent, *seq, nonblock);
	if (ret)
		return ret;
	if (r->len[*seq % KB_CMA_BUFS] != len)
		return kb_fail(c, -EMSGSIZE, "message of the wrong size");
	return 0;
}

static int kb_cma_free(struct kb_chan *c, int d, uint32_t seq)
{
	struct kb_cma *m = c->priv;

	return kb_cma_count_set(c, &m->ring[d].freed, seq + 1);
}

static int kb_cma_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_cma *m = c->priv;
	int d = c->side, ret;
	uint32_t seq;

	ret = kb_cma_room(c, d, &seq);
	if (!ret)
		ret = kb_cma_copy(c, (void *)buf,
				  kb_cma_slot(c, d, m->buf[d], seq), len, true);
	return ret ? ret : kb_cma_ring_bell(c, d, seq, len);
}

static int kb_cma_recv(struct kb_chan *c, const void **data, size_t len,
		       bool nonblock)
{
	struct kb_cma *m = c->priv;
	int d = !c->side, ret;
	uint32_t seq;

	ret = kb_cma_next(c, d, len, nonblock, &seq);
	if (!ret)
		*data = kb_cma_slot(c, d, m->buf[d], seq);
	return ret;
}

static int kb_cma_recv_done(struct kb_chan *c)
{
	struct kb_cma *m = c->priv;
	int d = !c->side;

	return kb_cma_free(c, d, m->ring[d].freed.n);
}

/* cma-read: the sender's next buffer, once the receiver has read it. */
static void *kb_cma_read_tx_buf(struct kb_chan *c)
{
	struct kb_cma *m = c->priv;
	uint32_t seq;

	if (kb_cma_room(c, c->side, &seq))
		return NULL;
	return kb_cma_slot(c, c->side, m->tx[c->side], seq);
}

static int kb_cma_read_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_cma *m = c->priv;

	(void)buf;		/* built in place, by kb_cma_read_tx_buf() */
	return kb_cma_ring_bell(c, c->side, m->ring[c->side].sent.n, len);
}

static int kb_cma_read_recv(struct kb_chan *c, const void **data, size_t len,
			    bool nonblock)
{
	struct kb_cma *m = c->priv;
	int d = !c->side, ret;
	uint32_t seq;

	ret = kb_cma_next(c, d, len, nonblock, &seq);
	if (!ret)
		ret = kb_cma_copy(c, m->buf[d], kb_cma_slot(c, d, m->tx[d], seq),
				  len, false);
	if (ret)
		return ret;
	*data = m->buf[d];
	return kb_cma_free(c, d, seq);
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
	.desc		= "process_vm_writev into the receiver's ring of 8",
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
	.desc		= "process_vm_readv out of the sender's ring of 8",
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
