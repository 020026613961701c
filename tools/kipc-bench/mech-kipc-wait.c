// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: kipc's wait-queue rows, through libkipc.
 *
 * kipc-wait:	futex-shared with kipc's wait queues for a doorbell: a
 *		mailbox word per direction in a region, slept on with
 *		kipc_wait() and rung with kipc_wake(), and a message area per
 *		direction in the same region.  The mailbox is kb_mbox
 *		(mech-futex.c), sleeper count included, with a bell of
 *		kipc_wait() and kipc_wake(), so that the row and futex-shared
 *		differ only in the system call that sleeps and wakes.
 * futex-region: kipc-wait's mailbox and areas, in the same region, with
 *		futex-shared's bell (FUTEX_WAIT/FUTEX_WAKE on the mapped
 *		words): a futex on the very memory kipc-wait waits on.
 * kipc-ring:	two SPSC libkipc rings in a region, one per direction, of
 *		messages of the row's size (at most 1 MiB, libkipc's cap).
 *		kipc_ring_send() copies the message into a slot, and the
 *		receiver reads it there, between kipc_ring_recv_begin() and
 *		kipc_ring_recv_end(), as spin-ring's does; a full or empty
 *		ring spins briefly, then sleeps on a region word.  Ring
 *		messages are of one size: a shorter message (the throughput
 *		test's 8-byte ack) still moves a whole slot, read from the
 *		sender's buffer of c->size bytes.
 *
 * The region is created before fork, so it is mapped at the same address
 * in both processes, and both use the inherited handle: no buffer of a
 * pool is owned here, only words of the region are waited on.
 *
 * Built without libkipc, the rows are listed and reported unavailable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipc-bench.h"

#ifdef KB_HAVE_LIBKIPC
#include "mech-kipc.h"

#define KB_KRING_MAX_MSG	(1U << 20)	/* libkipc's RING_MAX_MSG */
#define KB_KRING_BYTES		(1U << 20)	/* aim for this much per ring */
#define KB_KRING_SLOTS		256
#define KB_KRING_ALIGN		64		/* a ring's offset */

struct kb_kwait {
	struct kb_kipc kb;		/* no channels: only the region */
	struct kb_mbox *mbox;		/* kipc-wait: mbox[d], then the areas */
	struct kb_bell bell;		/* kipc-wait: kipc_wait/kipc_wake */
	char *area;			/* direction d at area + d * size */
	struct kipc_ring *ring[2];	/* kipc-ring: direction d */
	const void *rxmsg;		/* kipc-ring: the slot being read */
};

static int kb_kipc_wait_available(char *why, size_t len)
{
	return kb_kipc_probe(why, len,
			     KIPC_FEATURE_REGION | KIPC_FEATURE_WAIT);
}

static void kb_kwait_teardown(struct kb_chan *c)
{
	struct kb_kwait *p = c->priv;
	int d;

	if (!p)
		return;
	for (d = 0; d < 2; d++)
		if (p->ring[d])
			kipc_ring_close(p->ring[d]);
	kb_kipc_free(c);
}

/* A region of @bytes, rounded up to a page, without a pool. */
static int kb_kwait_setup(struct kb_chan *c, uint64_t bytes)
{
	int ret;

	ret = kb_kipc_alloc(c, sizeof(struct kb_kwait));
	if (ret)
		return ret;
	bytes = kb_kipc_page_up(bytes);
	ret = kb_kipc_region(c, bytes, 0);
	if (ret)
		kb_kwait_teardown(c);
	return ret;
}

static uint64_t kb_kwait_off(struct kb_kwait *p, const void *word)
{
	return (uint64_t)((const char *)word - p->kb.base);
}

/* kipc-wait's bell: kipc_wait() and kipc_wake() on the mailbox word. */
static int kb_kwait_sleep(void *priv, uint32_t *word, uint32_t val)
{
	struct kb_kwait *p = priv;
	int ret;

	ret = kipc_wait(p->kb.region, kb_kwait_off(p, word), val,
			KIPC_BITSET_ANY, 0, NULL);
	return ret < 0 ? ret : 0;
}

static int kb_kwait_wake(void *priv, uint32_t *word)
{
	struct kb_kwait *p = priv;
	int ret;

	ret = kipc_wake(p->kb.region, kb_kwait_off(p, word), INT32_MAX,
			KIPC_BITSET_ANY);
	return ret < 0 ? ret : 0;
}

/*
 * The mailboxes and areas of kipc-wait and futex-region in the region,
 * rung with kipc's wait queues or, with @futex, with futex-shared's bell.
 */
static int kb_kwait_mbox_setup(struct kb_chan *c, bool futex)
{
	struct kb_kwait *p;
	int ret;

	ret = kb_kwait_setup(c, 2 * sizeof(struct kb_mbox) + 2 * c->size);
	if (ret)
		return ret;
	p = c->priv;
	p->mbox = (struct kb_mbox *)p->kb.base;
	kb_mbox_init(&p->mbox[0]);
	kb_mbox_init(&p->mbox[1]);
	p->area = (char *)&p->mbox[2];
	if (futex)
		p->bell = kb_futex_bell;
	else
		p->bell = (struct kb_bell){
			.wait = kb_kwait_sleep, .wake = kb_kwait_wake, .priv = p,
		};
	return 0;
}

static int kb_kipc_wait_setup(struct kb_chan *c)
{
	return kb_kwait_mbox_setup(c, false);
}

static int kb_futex_region_setup(struct kb_chan *c)
{
	return kb_kwait_mbox_setup(c, true);
}

static int kb_kipc_wait_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_kwait *p = c->priv;
	int d = c->side, ret;

	ret = kb_mbox_wait(&p->mbox[d], 0, false, &p->bell);
	if (ret)
		return kb_fail(c, ret, "mailbox wait");
	memcpy(p->area + d * c->size, buf, len);
	p->mbox[d].len = len;
	ret = kb_mbox_set(&p->mbox[d], 1, &p->bell);
	return ret ? kb_fail(c, ret, "mailbox wake") : 0;
}

static int kb_kipc_wait_recv(struct kb_chan *c, const void **data,
			     size_t len, bool nonblock)
{
	struct kb_kwait *p = c->priv;
	int d = !c->side, ret;

	ret = kb_mbox_wait(&p->mbox[d], 1, nonblock, &p->bell);
	if (ret)
		return ret == -EAGAIN ? ret : kb_fail(c, ret, "mailbox wait");
	if (p->mbox[d].len != len)
		return kb_fail(c, -EMSGSIZE, "message of the wrong size");
	*data = p->area + d * c->size;
	return 0;
}

static int kb_kipc_wait_recv_done(struct kb_chan *c)
{
	struct kb_kwait *p = c->priv;
	int ret;

	ret = kb_mbox_set(&p->mbox[!c->side], 0, &p->bell);
	return ret ? kb_fail(c, ret, "mailbox wake") : 0;
}

/* Slots per ring: about KB_KRING_BYTES, a power of two in [2, 256]. */
static uint32_t kb_kring_slots(size_t size)
{
	uint32_t n = KB_KRING_SLOTS;

	while (n > 2 && (uint64_t)n * size > KB_KRING_BYTES)
		n /= 2;
	return n;
}

static int kb_kipc_ring_setup(struct kb_chan *c)
{
	uint32_t slots = kb_kring_slots(c->size);
	uint64_t bytes, half;
	struct kb_kwait *p;
	int d, ret;

	bytes = kipc_ring_bytes(slots, c->size, 0);
	if (!bytes)
		return kb_fail(c, -EMSGSIZE, "kipc_ring_bytes");
	half = (bytes + KB_KRING_ALIGN - 1) & ~(uint64_t)(KB_KRING_ALIGN - 1);
	ret = kb_kwait_setup(c, 2 * half);
	if (ret)
		return ret;
	p = c->priv;
	for (d = 0; d < 2; d++) {
		ret = kipc_ring_create(p->kb.region, d * half, slots, c->size, 0,
				       &p->ring[d]);
		if (ret < 0) {
			kb_fail(c, ret, "kipc_ring_create");
			goto out_teardown;
		}
	}
	return 0;

out_teardown:
	kb_kwait_teardown(c);
	return ret;
}

static int kb_kipc_ring_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_kwait *p = c->priv;
	int ret;

	(void)len;		/* a slot is c->size bytes: see the top */
	ret = kipc_ring_send(p->ring[c->side], buf, 0, NULL);
	return ret < 0 ? kb_fail(c, ret, "kipc_ring_send") : 0;
}

static int kb_kipc_ring_recv(struct kb_chan *c, const void **data,
			     size_t len, bool nonblock)
{
	struct kb_kwait *p = c->priv;
	int ret;

	(void)len;
	ret = kipc_ring_recv_begin(p->ring[!c->side], &p->rxmsg,
				   nonblock ? KIPC_IO_NONBLOCK : 0, NULL);
	if (ret == -EAGAIN && nonblock)
		return ret;
	if (ret < 0)
		return kb_fail(c, ret, "kipc_ring_recv_begin");
	*data = p->rxmsg;
	return 0;
}

static int kb_kipc_ring_recv_done(struct kb_chan *c)
{
	struct kb_kwait *p = c->priv;
	int ret;

	ret = kipc_ring_recv_end(p->ring[!c->side], p->rxmsg);
	return ret < 0 ? kb_fail(c, ret, "kipc_ring_recv_end") : 0;
}

const struct kb_mech kb_mech_kipc_wait = {
	.name		= "kipc-wait",
	.desc		= "region mailbox, kipc_wait/kipc_wake doorbell",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_kipc_wait_available,
	.setup		= kb_kipc_wait_setup,
	.teardown	= kb_kwait_teardown,
	.send		= kb_kipc_wait_send,
	.recv		= kb_kipc_wait_recv,
	.recv_done	= kb_kipc_wait_recv_done,
};

const struct kb_mech kb_mech_futex_region = {
	.name		= "futex-region",
	.desc		= "kipc-wait's region mailbox, futex doorbell",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_kipc_wait_available,
	.setup		= kb_futex_region_setup,
	.teardown	= kb_kwait_teardown,
	.send		= kb_kipc_wait_send,
	.recv		= kb_kipc_wait_recv,
	.recv_done	= kb_kipc_wait_recv_done,
};

const struct kb_mech kb_mech_kipc_ring = {
	.name		= "kipc-ring",
	.desc		= "libkipc SPSC rings in a region (copied in, read in place)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.max_size	= KB_KRING_MAX_MSG,
	.available	= kb_kipc_wait_available,
	.setup		= kb_kipc_ring_setup,
	.teardown	= kb_kwait_teardown,
	.send		= kb_kipc_ring_send,
	.recv		= kb_kipc_ring_recv,
	.recv_done	= kb_kipc_ring_recv_done,
};

#else /* !KB_HAVE_LIBKIPC */

const struct kb_mech kb_mech_kipc_wait = {
	.name		= "kipc-wait",
	.desc		= "region mailbox, kipc_wait/kipc_wake doorbell",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

const struct kb_mech kb_mech_futex_region = {
	.name		= "futex-region",
	.desc		= "kipc-wait's region mailbox, futex doorbell",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

const struct kb_mech kb_mech_kipc_ring = {
	.name		= "kipc-ring",
	.desc		= "libkipc SPSC rings in a region (copied in, read in place)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.max_size	= 1U << 20,
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

#endif /* KB_HAVE_LIBKIPC */
