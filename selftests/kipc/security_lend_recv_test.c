// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, finding 6: a RECV that fails after mapping a lent range must
 * not wedge the channel.
 *
 * On 38ea9ff a RECV mapped the message's lent ranges, then copied out the
 * `lends` array and the message descriptor; when one of those copies
 * failed (EFAULT) it unmapped the ranges and put the message back, but
 * the range kept its `mapped` flag: every retry failed with EACCES, for
 * ever, and when the message was finally dropped unreceived its sender's
 * completion said KIPC_LEND_RELEASED for a range never delivered.
 *
 * The contract: the failed RECV unmaps the range and leaves the message
 * queued; a retry with good pointers succeeds; the completion says
 * KIPC_LEND_RELEASED only if a RECV delivered the range, and
 * KIPC_LEND_DROPPED if the message was dropped undelivered (receive end
 * closed).
 *
 * The failing copy is deterministic: the `lends` array, or the message
 * descriptor, sits on a read-only page.
 */
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NPAGES	2

FIXTURE(lend_recv) {
	int ctx, q, tx, rx;
	long page;
	char *src;		/* the lent pages, NPAGES */
	char *ro;		/* a read-only page */
};

/* What is read-only, and what follows the failed RECV. */
FIXTURE_VARIANT(lend_recv) {
	int desc;	/* the descriptor is read-only (else the lends array) */
	int drop;	/* close the receive end (else retry the RECV) */
};

FIXTURE_VARIANT_ADD(lend_recv, lends_readonly_then_retry) { };
FIXTURE_VARIANT_ADD(lend_recv, desc_readonly_then_retry) { .desc = 1 };
FIXTURE_VARIANT_ADD(lend_recv, lends_readonly_then_drop) { .drop = 1 };
FIXTURE_VARIANT_ADD(lend_recv, desc_readonly_then_drop) {
	.desc = 1, .drop = 1,
};

FIXTURE_SETUP(lend_recv)
{
	self->q = self->tx = self->rx = -1;
	self->page = kt_page();
	self->src = mmap(NULL, NPAGES * self->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->src);
	memset(self->src, 's', NPAGES * self->page);
	self->ro = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ro);
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL | KIPC_FEATURE_LEND);
	self->q = kt_lendq_create(self->ctx, KIPC_FD_CLOEXEC);
	ASSERT_LE(0, self->q);
	ASSERT_EQ(0, kt_channel_create(self->ctx, KIPC_FD_CLOEXEC, 0, 0, -1,
				       &self->tx, &self->rx));
}

FIXTURE_TEARDOWN(lend_recv)
{
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	if (self->q >= 0)
		close(self->q);
	close(self->ctx);
	munmap(self->ro, self->page);
	munmap(self->src, NPAGES * self->page);
}

TEST_F(lend_recv, failed_copy_out_after_mapping)
{
	struct kipc_lend_ref lrefs[KIPC_MSG_LENDS_MAX];
	struct kipc_lend_completion c;
	struct kipc_msg *m, ok;
	int maps0 = kt_lend_mappings(), ret;
	char data[8], *dst;

	ASSERT_LE(0, maps0);
	ASSERT_EQ(1, kt_lend_send(self->tx, self->q, self->src,
				  NPAGES * self->page, 77, KIPC_IO_NONBLOCK));

	/* A RECV whose lends array or descriptor cannot be written. */
	m = variant->desc ? (struct kipc_msg *)self->ro : &ok;
	memset(m, 0, sizeof(*m));
	m->data = (uintptr_t)data;
	m->data_len = sizeof(data);
	m->lends = (uintptr_t)(variant->desc ? (void *)lrefs : self->ro);
	m->nr_lends = KIPC_MSG_LENDS_MAX;
	ASSERT_EQ(0, mprotect(self->ro, self->page, PROT_READ));
	ret = kt_recv(self->rx, m, 1, KIPC_IO_NONBLOCK);
	EXPECT_EQ(-EFAULT, ret);
	/* Nothing left mapped; the message is still queued. */
	EXPECT_EQ(maps0, kt_lend_mappings());
	EXPECT_EQ(1, kt_fdinfo_num(self->rx, "kipc-queued"));
	EXPECT_EQ(-EAGAIN, kt_lend_reap(self->q, &c, 1, KIPC_REAP_NONBLOCK));

	if (variant->drop) {
		/* Dropped undelivered: DROPPED, though a RECV once mapped it. */
		close(self->rx);
		self->rx = -1;
		ASSERT_EQ(1, kt_lend_reap(self->q, &c, 1, 0));
		EXPECT_EQ(77, c.cookie);
		EXPECT_EQ(KIPC_LEND_DROPPED, c.status)
			TH_LOG("a range no RECV delivered completed as %s",
			       c.status == KIPC_LEND_RELEASED ? "RELEASED" :
			       "unknown");
		return;
	}

	/* A retry with good pointers delivers it. */
	memset(&ok, 0, sizeof(ok));
	ok.data = (uintptr_t)data;
	ok.data_len = sizeof(data);
	ok.lends = (uintptr_t)lrefs;
	ok.nr_lends = KIPC_MSG_LENDS_MAX;
	memset(lrefs, 0, sizeof(lrefs));
	ret = kt_recv(self->rx, &ok, 1, KIPC_IO_NONBLOCK);
	ASSERT_EQ(1, ret) TH_LOG("the retry of the RECV failed: %s",
				 strerror(-ret));
	ASSERT_EQ(1, ok.nr_lends);
	EXPECT_EQ(NPAGES * self->page, lrefs[0].len);
	dst = (char *)(uintptr_t)lrefs[0].addr;
	EXPECT_EQ('s', dst[0]);
	EXPECT_EQ('s', dst[NPAGES * self->page - 1]);
	EXPECT_EQ(maps0 + 1, kt_lend_mappings());
	ASSERT_EQ(0, munmap(dst, NPAGES * self->page));
	ASSERT_EQ(1, kt_lend_reap(self->q, &c, 1, 0));
	EXPECT_EQ(77, c.cookie);
	EXPECT_EQ(KIPC_LEND_RELEASED, c.status);
}

KIPC_TEST_MAIN
