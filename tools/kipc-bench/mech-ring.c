// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: spin-ring, a single-producer single-consumer ring of message
 * slots per direction in shared anonymous memory.  No system call at all:
 * both ends spin, so it only runs in busy-poll mode, and only makes sense
 * with the two processes on different CPUs.
 *
 * The producer's release store of @head publishes the slot it filled; the
 * consumer's acquire load of @head pairs with it.  The consumer's release
 * store of @tail hands the slot back; the producer's acquire load pairs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kipc-bench.h"

#define KB_RING_BYTES	(1 << 20)	/* aim for this much per ring */
#define KB_RING_SLOTS	256

struct kb_ring_idx {
	uint64_t head __attribute__((aligned(64)));	/* producer's */
	uint64_t tail __attribute__((aligned(64)));	/* consumer's */
};

struct kb_ring {
	struct kb_ring_idx *idx;	/* shared: idx[d] for direction d */
	char *slots;			/* direction d: slots + d * nslots */
	size_t nslots, len;
};

static void kb_ring_teardown(struct kb_chan *c)
{
	struct kb_ring *r = c->priv;

	if (r->idx && munmap(r->idx, r->len))
		kb_warn("munmap: %s", strerror(errno));
	free(r);
	c->priv = NULL;
}

static int kb_ring_setup(struct kb_chan *c)
{
	struct kb_ring *r;

	r = calloc(1, sizeof(*r));
	if (!r)
		return kb_fail(c, -ENOMEM, "calloc");
	c->priv = r;
	r->nslots = KB_RING_BYTES / c->size;
	if (r->nslots < 2)
		r->nslots = 2;
	if (r->nslots > KB_RING_SLOTS)
		r->nslots = KB_RING_SLOTS;
	r->len = 2 * sizeof(*r->idx) + 2 * r->nslots * c->size;
	r->idx = mmap(NULL, r->len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (r->idx == MAP_FAILED) {
		int ret = kb_fail(c, -errno, "mmap");

		r->idx = NULL;
		kb_ring_teardown(c);
		return ret;
	}
	r->slots = (char *)&r->idx[2];
	return 0;
}

static char *kb_ring_slot(struct kb_chan *c, int d, uint64_t i)
{
	struct kb_ring *r = c->priv;

	return r->slots + (d * r->nslots + i % r->nslots) * c->size;
}

static int kb_ring_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_ring *r = c->priv;
	struct kb_ring_idx *x = &r->idx[c->side];
	uint64_t head = x->head;

	while (head - kb_load_acquire(&x->tail) >= r->nslots) {
		if (kb_abort)
			return kb_fail(c, -EINTR, "ring full");
		kb_cpu_relax();
	}
	memcpy(kb_ring_slot(c, c->side, head), buf, len);
	kb_store_release(&x->head, head + 1);
	return 0;
}

static int kb_ring_recv(struct kb_chan *c, const void **data, size_t len,
			bool nonblock)
{
	struct kb_ring *r = c->priv;
	struct kb_ring_idx *x = &r->idx[!c->side];
	uint64_t tail = x->tail;

	(void)len;
	while (kb_load_acquire(&x->head) == tail) {
		if (nonblock)
			return -EAGAIN;
		if (kb_abort)
			return kb_fail(c, -EINTR, "ring empty");
		kb_cpu_relax();
	}
	*data = kb_ring_slot(c, !c->side, tail);
	return 0;
}

static int kb_ring_recv_done(struct kb_chan *c)
{
	struct kb_ring *r = c->priv;
	struct kb_ring_idx *x = &r->idx[!c->side];

	kb_store_release(&x->tail, x->tail + 1);
	return 0;
}

const struct kb_mech kb_mech_spin_ring = {
	.name		= "spin-ring",
	.desc		= "SPSC ring of slots in shared memory, both ends spin",
	.tests		= KB_ALL_TESTS,
	.modes		= BIT(KB_BUSY_POLL),
	.setup		= kb_ring_setup,
	.teardown	= kb_ring_teardown,
	.send		= kb_ring_send,
	.recv		= kb_ring_recv,
	.recv_done	= kb_ring_recv_done,
};
