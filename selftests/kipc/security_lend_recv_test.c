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
 *
 * And the failed RECV unmaps only its own mapping: one that another thread
 * moved away (mremap) while the RECV was held in its copy-out (userfaultfd)
 * stays, and what that thread mapped in its place is left alone.
 *
 * Nor does it leave a mapping that thread split (mprotect) in place.
 *
 * A RECV that fails on its descriptor (made read-only by another thread
 * while the RECV was held in its write, userfaultfd) after that thread
 * moved the mapping: the moved mapping keeps the range pinned, and the
 * range completes (once) only when it is unmapped too (review s47, 3).
 *
 * A reap held in the copy-out of its completions (userfaultfd) holds the
 * queue's reapers off; a non-blocking reap by another thread must not wait
 * for it, whatever poll says.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
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

/* The first kipc-lend mapping of this process: its start, or NULL. */
static char *lend_mapping(void)
{
	unsigned long start = 0, end;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "kipc-lend") &&
		    sscanf(line, "%lx-%lx", &start, &end) == 2)
			break;
	fclose(f);
	return (char *)start;
}

struct lend_recv_call {
	int rx;
	struct kipc_msg m;
	char data[8];
	int ret;
};

static void *recv_thread(void *arg)
{
	struct lend_recv_call *rc = arg;

	rc->ret = kt_recv(rc->rx, &rc->m, 1, KIPC_IO_NONBLOCK);
	return NULL;
}

/*
 * A RECV on @rx in thread @t whose lends array is @upage, registered on
 * @uffd and never touched: it maps the message's range, then sits in the
 * copy-out. Return: 0 once it sits there, or -errno.
 */
static int recv_held(struct lend_recv_call *rc, int rx, int uffd,
		     void *upage, long pg, pthread_t *t)
{
	__u64 fault;
	int ret;

	ret = kt_uffd_register(uffd, upage, pg, UFFDIO_REGISTER_MODE_MISSING);
	if (ret)
		return ret;
	memset(&rc->m, 0, sizeof(rc->m));
	rc->m.data = (uintptr_t)rc->data;
	rc->m.data_len = sizeof(rc->data);
	rc->m.lends = (uintptr_t)upage;
	rc->m.nr_lends = KIPC_MSG_LENDS_MAX;
	rc->rx = rx;
	rc->ret = 1;
	if (pthread_create(t, NULL, recv_thread, rc))
		return -EAGAIN;
	return kt_uffd_wait_fault(uffd, 10000, &fault);
}

/*
 * A RECV that fails after mapping a lent range unmaps its mapping, not
 * whatever another thread put at that address: the RECV is held in the
 * copy-out of its lends array (userfaultfd) while this thread moves the
 * mapping elsewhere (mremap) and maps a page of its own in its place; then
 * the copy fails. The page must survive, the moved mapping stays this
 * process's to unmap, and the message is received again afterwards.
 */
TEST(failed_recv_leaves_a_moved_mapping_and_its_replacement)
{
	long pg = kt_page();
	struct kipc_lend_ref lrefs[KIPC_MSG_LENDS_MAX];
	struct lend_recv_call rc;
	char data[8], *src, *upage, *at, *moved, *mine;
	struct kipc_lend_completion c;
	struct kipc_msg ok;
	int ctx, q, tx, rx, uffd;
	unsigned char vec;
	pthread_t t;

	kipc_test_open(ctx);
	kipc_test_require(ctx, KIPC_FEATURE_CHANNEL | KIPC_FEATURE_LEND);
	uffd = kt_uffd_open(0);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(-uffd));
	q = kt_lendq_create(ctx, KIPC_FD_CLOEXEC);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kt_channel_create(ctx, KIPC_FD_CLOEXEC, 0, 0, -1, &tx, &rx));
	src = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	upage = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	moved = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, upage);
	ASSERT_NE(MAP_FAILED, moved);
	memset(src, 's', pg);
	ASSERT_EQ(1, kt_lend_send(tx, q, src, pg, 78, KIPC_IO_NONBLOCK));
	/* The lends array on a page never touched: its copy-out faults. */
	ASSERT_EQ(0, recv_held(&rc, rx, uffd, upage, pg, &t));

	/* The RECV has mapped the range and sits in the copy-out. */
	at = lend_mapping();
	ASSERT_NE(NULL, at);
	ASSERT_EQ(moved, mremap(at, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED,
				moved)) TH_LOG("mremap: %s", strerror(errno));
	mine = mmap(at, pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(at, mine);
	memset(mine, 'm', pg);
	ASSERT_EQ(0, kt_uffd_fail(uffd, upage, pg));
	pthread_join(t, NULL);
	EXPECT_EQ(-EFAULT, rc.ret);

	EXPECT_EQ(0, mincore(at, pg, &vec))
		TH_LOG("the failed RECV unmapped the page that replaced its mapping");
	if (!mincore(at, pg, &vec))
		EXPECT_EQ('m', at[pg - 1]);
	EXPECT_EQ('s', moved[0]);
	EXPECT_EQ(0, munmap(moved, pg));
	EXPECT_EQ(1, kt_fdinfo_num(rx, "kipc-queued"));

	/* Received again, then returned: one completion. */
	memset(&ok, 0, sizeof(ok));
	ok.data = (uintptr_t)data;
	ok.data_len = sizeof(data);
	ok.lends = (uintptr_t)lrefs;
	ok.nr_lends = KIPC_MSG_LENDS_MAX;
	ASSERT_EQ(1, kt_recv(rx, &ok, 1, KIPC_IO_NONBLOCK));
	ASSERT_EQ(1, ok.nr_lends);
	EXPECT_EQ(0, munmap((void *)(uintptr_t)lrefs[0].addr, pg));
	ASSERT_EQ(1, kt_lend_reap(q, &c, 1, 0));
	EXPECT_EQ(78, c.cookie);
	EXPECT_EQ(KIPC_LEND_RELEASED, c.status);
	munmap(at, pg);
	munmap(src, pg);
	close(uffd);
	close(tx);
	close(rx);
	close(q);
	close(ctx);
}

/*
 * As above, but the other thread splits the mapping in three (mprotect of
 * its middle page) instead of moving it: the failed RECV unmaps every
 * piece. The old module recognised only a mapping in one piece, and left
 * all three.
 */
TEST(failed_recv_unmaps_a_split_mapping)
{
	long pg = kt_page();
	struct kipc_lend_ref lrefs[KIPC_MSG_LENDS_MAX];
	struct lend_recv_call rc;
	struct kipc_lend_completion c;
	char data[8], *src, *upage, *at;
	struct kipc_msg ok;
	int ctx, q, tx, rx, uffd;
	pthread_t t;

	kipc_test_open(ctx);
	kipc_test_require(ctx, KIPC_FEATURE_CHANNEL | KIPC_FEATURE_LEND);
	uffd = kt_uffd_open(0);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(-uffd));
	q = kt_lendq_create(ctx, KIPC_FD_CLOEXEC);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kt_channel_create(ctx, KIPC_FD_CLOEXEC, 0, 0, -1, &tx, &rx));
	src = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	upage = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, upage);
	memset(src, 's', 3 * pg);
	ASSERT_EQ(1, kt_lend_send(tx, q, src, 3 * pg, 79, KIPC_IO_NONBLOCK));
	/* The lends array on a page never touched: its copy-out faults. */
	ASSERT_EQ(0, recv_held(&rc, rx, uffd, upage, pg, &t));

	at = lend_mapping();
	ASSERT_NE(NULL, at);
	ASSERT_EQ(0, mprotect(at + pg, pg, PROT_NONE))
		TH_LOG("mprotect: %s", strerror(errno));
	ASSERT_EQ(0, kt_uffd_fail(uffd, upage, pg));
	pthread_join(t, NULL);
	EXPECT_EQ(-EFAULT, rc.ret);
	EXPECT_EQ(NULL, lend_mapping())
		TH_LOG("the failed RECV left pieces of its mapping");
	EXPECT_EQ(1, kt_fdinfo_num(rx, "kipc-queued"));

	/* Received again, then returned: one completion, released. */
	memset(&ok, 0, sizeof(ok));
	ok.data = (uintptr_t)data;
	ok.data_len = sizeof(data);
	ok.lends = (uintptr_t)lrefs;
	ok.nr_lends = KIPC_MSG_LENDS_MAX;
	ASSERT_EQ(1, kt_recv(rx, &ok, 1, KIPC_IO_NONBLOCK));
	ASSERT_EQ(1, ok.nr_lends);
	EXPECT_EQ('s', ((char *)(uintptr_t)lrefs[0].addr)[2 * pg]);
	EXPECT_EQ(0, munmap((void *)(uintptr_t)lrefs[0].addr, 3 * pg));
	while ((at = lend_mapping()))	/* pieces the old module left */
		munmap(at, pg);
	ASSERT_EQ(1, kt_lend_reap(q, &c, 1, 0));
	EXPECT_EQ(79, c.cookie);
	EXPECT_EQ(KIPC_LEND_RELEASED, c.status);
	munmap(src, 3 * pg);
	close(uffd);
	close(tx);
	close(rx);
	close(q);
	close(ctx);
}

/* A RECV of one message into descriptor @m, made by a thread. */
struct desc_recv_call {
	int rx;
	struct kipc_msg *m;
	int ret;
};

static void *desc_recv_thread(void *arg)
{
	struct desc_recv_call *rc = arg;

	rc->ret = kt_recv(rc->rx, rc->m, 1, KIPC_IO_NONBLOCK);
	return NULL;
}

/*
 * Review s47, test idea 3: a RECV that fails on its message descriptor,
 * made read-only by another thread of the receiver, when the range is
 * mapped and the lends array written (the descriptor is written last).
 * The RECV is held in that write (userfaultfd, write-protect) while this
 * thread moves the mapping away (mremap), then makes the descriptor
 * read-only. The RECV fails with EFAULT and leaves the moved mapping,
 * which still shows the range; the message stays queued. The range is
 * pinned, and completes, for as long as any mapping of it is left: with
 * @drop, the receive end closes (the message is dropped) and the range
 * completes as DROPPED only once the moved mapping is unmapped; else a
 * later RECV maps it anew, and the range completes as RELEASED only once
 * both that mapping and the moved one are unmapped. Once, either way.
 */
static void moved_mapping_outlives_a_failed_recv(
	struct __test_metadata *_metadata, int drop)
{
	long pg = kt_page();
	struct kipc_lend_ref lrefs[KIPC_MSG_LENDS_MAX];
	struct kipc_lend_ref again[KIPC_MSG_LENDS_MAX];
	struct desc_recv_call rc = { 0 };
	struct kipc_lend_completion c;
	char data[8], data2[8], *src, *dpage, *at, *moved, *mine;
	int ctx, q, tx, rx, uffd, maps0, ret;
	struct kipc_msg ok, *dm;
	__u64 fault = 0;
	pthread_t t;

	kipc_test_open(ctx);
	kipc_test_require(ctx, KIPC_FEATURE_CHANNEL | KIPC_FEATURE_LEND);
	uffd = kt_uffd_open(UFFD_FEATURE_PAGEFAULT_FLAG_WP);
	if (uffd < 0)
		SKIP(return, "no userfaultfd write-protect: %s",
		     strerror(-uffd));
	maps0 = kt_lend_mappings();
	ASSERT_LE(0, maps0);
	q = kt_lendq_create(ctx, KIPC_FD_CLOEXEC);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kt_channel_create(ctx, KIPC_FD_CLOEXEC, 0, 0, -1,
				       &tx, &rx));
	src = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dpage = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	moved = mmap(NULL, 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, dpage);
	ASSERT_NE(MAP_FAILED, moved);
	memset(src, 's', 2 * pg);
	ASSERT_EQ(1, kt_lend_send(tx, q, src, 2 * pg, 80, KIPC_IO_NONBLOCK));

	/* The descriptor: present, so read; its write-back faults. */
	dm = (struct kipc_msg *)dpage;
	memset(dm, 0, sizeof(*dm));
	dm->data = (uintptr_t)data;
	dm->data_len = sizeof(data);
	dm->lends = (uintptr_t)lrefs;
	dm->nr_lends = KIPC_MSG_LENDS_MAX;
	ret = kt_uffd_register(uffd, dpage, pg, UFFDIO_REGISTER_MODE_WP);
	if (ret == -EINVAL)
		SKIP(return, "no userfaultfd write-protect on anonymous memory");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, kt_uffd_wp(uffd, dpage, pg));
	rc.rx = rx;
	rc.m = dm;
	rc.ret = 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, desc_recv_thread, &rc));
	ret = kt_uffd_wait_fault(uffd, 10000, &fault);
	ASSERT_EQ(0, ret)
		TH_LOG("the RECV never faulted on its descriptor (ret %d)",
		       rc.ret);
	EXPECT_EQ((uintptr_t)dpage, fault & ~(__u64)(pg - 1));

	/* The RECV has mapped the range and sits in the last copy-out. */
	at = lend_mapping();
	ASSERT_NE(NULL, at);
	ASSERT_EQ(moved, mremap(at, 2 * pg, 2 * pg,
				MREMAP_MAYMOVE | MREMAP_FIXED, moved))
		TH_LOG("mremap: %s", strerror(errno));
	ASSERT_EQ(0, kt_uffd_fail_read_only(uffd, dpage, pg));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-EFAULT, rc.ret);

	/* The moved mapping is left, whole; the message is still queued. */
	EXPECT_EQ(moved, lend_mapping());
	EXPECT_EQ(maps0 + 1, kt_lend_mappings());
	EXPECT_EQ('s', moved[0]);
	EXPECT_EQ('s', moved[2 * pg - 1]);
	EXPECT_EQ(1, kt_fdinfo_num(rx, "kipc-queued"));
	EXPECT_EQ(1, kt_fdinfo_num(q, "kipc-lent"));
	EXPECT_EQ(-EAGAIN, kt_lend_reap(q, &c, 1, KIPC_REAP_NONBLOCK))
		TH_LOG("completed after the failed RECV, a mapping left");

	if (drop) {
		/* Dropped unreceived: the moved mapping holds the range. */
		close(rx);
		rx = -1;
	} else {
		/* Received again: a mapping of its own, then unmapped. */
		memset(&ok, 0, sizeof(ok));
		ok.data = (uintptr_t)data2;
		ok.data_len = sizeof(data2);
		ok.lends = (uintptr_t)again;
		ok.nr_lends = KIPC_MSG_LENDS_MAX;
		ASSERT_EQ(1, kt_recv(rx, &ok, 1, KIPC_IO_NONBLOCK));
		ASSERT_EQ(1, ok.nr_lends);
		EXPECT_EQ(2 * pg, again[0].len);
		mine = (char *)(uintptr_t)again[0].addr;
		EXPECT_NE(moved, mine);
		EXPECT_EQ('s', mine[2 * pg - 1]);
		EXPECT_EQ(maps0 + 2, kt_lend_mappings());
		EXPECT_EQ(0, kt_fdinfo_num(rx, "kipc-queued"));
		ASSERT_EQ(0, munmap(mine, 2 * pg));
	}
	EXPECT_EQ(-EAGAIN, kt_lend_reap(q, &c, 1, KIPC_REAP_NONBLOCK))
		TH_LOG("completed while the moved mapping still maps it");
	EXPECT_EQ(1, kt_fdinfo_num(q, "kipc-lent"));
	EXPECT_EQ(0, kt_fdinfo_num(q, "kipc-completions"));
	EXPECT_EQ('s', moved[pg]);

	/* The last mapping gone, the range completes, once. */
	ASSERT_EQ(0, munmap(moved, 2 * pg));
	ASSERT_EQ(1, kt_lend_reap(q, &c, 1, KIPC_REAP_NONBLOCK))
		TH_LOG("no completion once the moved mapping was unmapped");
	EXPECT_EQ(80, c.cookie);
	EXPECT_EQ((uintptr_t)src, c.addr);
	EXPECT_EQ(2 * pg, c.len);
	EXPECT_EQ(drop ? KIPC_LEND_DROPPED : KIPC_LEND_RELEASED, c.status)
		TH_LOG("completed as %u", c.status);
	EXPECT_EQ(0, kt_lend_reap(q, &c, 1, KIPC_REAP_NONBLOCK))
		TH_LOG("a second completion, or the range still lent");
	EXPECT_EQ(maps0, kt_lend_mappings());
	munmap(dpage, pg);
	munmap(src, 2 * pg);
	close(uffd);
	close(tx);
	if (rx >= 0)
		close(rx);
	close(q);
	close(ctx);
}

TEST(failed_recv_on_a_read_only_desc_then_retry_completes_after_the_move)
{
	moved_mapping_outlives_a_failed_recv(_metadata, 0);
}

TEST(failed_recv_on_a_read_only_desc_then_drop_completes_after_the_move)
{
	moved_mapping_outlives_a_failed_recv(_metadata, 1);
}

struct reap_call {
	int q;
	struct kipc_lend_completion *c;
	uint32_t flags;
	int ret;
	volatile int done;
};

static void *reap_thread(void *arg)
{
	struct reap_call *rc = arg;

	rc->ret = kt_lend_reap(rc->q, rc->c, 1, rc->flags);
	__atomic_store_n(&rc->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * One completion is ready; reaper A copies it out to a page that faults
 * (userfaultfd) and stays there. Reaper B, non-blocking, must return at
 * once (EAGAIN: the completion is A's to hand over or give back), not
 * sleep until A's fault is resolved. Then A's copy fails, and the
 * completion is still there for the next reap.
 */
TEST(nonblocking_reap_does_not_wait_for_a_stalled_reaper)
{
	long pg = kt_page();
	struct kipc_lend_ref lrefs[KIPC_MSG_LENDS_MAX];
	struct kipc_msg m = {
		.lends = (uintptr_t)lrefs, .nr_lends = KIPC_MSG_LENDS_MAX,
	};
	struct kipc_lend_completion c;
	struct reap_call a = { 0 }, b = { 0 };
	pthread_t ta, tb;
	char *src, *upage;
	int ctx, q, tx, rx, tx2, rx2, uffd, waited;
	__u64 fault;

	kipc_test_open(ctx);
	kipc_test_require(ctx, KIPC_FEATURE_CHANNEL | KIPC_FEATURE_LEND);
	uffd = kt_uffd_open(0);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(-uffd));
	q = kt_lendq_create(ctx, KIPC_FD_CLOEXEC);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, kt_channel_create(ctx, KIPC_FD_CLOEXEC, 0, 0, -1, &tx, &rx));
	ASSERT_EQ(0, kt_channel_create(ctx, KIPC_FD_CLOEXEC, 0, 0, -1, &tx2,
				       &rx2));
	src = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	upage = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, upage);
	memset(src, 's', 2 * pg);
	/* Still lent while the test runs: a reap that finds nothing waits. */
	ASSERT_EQ(1, kt_lend_send(tx2, q, src + pg, pg, 2, KIPC_IO_NONBLOCK));
	/* Lent, received and returned: one completion ready. */
	ASSERT_EQ(1, kt_lend_send(tx, q, src, pg, 1, KIPC_IO_NONBLOCK));
	ASSERT_EQ(1, kt_recv(rx, &m, 1, KIPC_IO_NONBLOCK));
	ASSERT_EQ(1, m.nr_lends);
	ASSERT_EQ(0, munmap((void *)(uintptr_t)lrefs[0].addr, pg));
	ASSERT_EQ(0, kt_uffd_register(uffd, upage, pg,
				      UFFDIO_REGISTER_MODE_MISSING));
	a.q = q;
	a.c = (struct kipc_lend_completion *)upage;
	ASSERT_EQ(0, pthread_create(&ta, NULL, reap_thread, &a));
	ASSERT_EQ(0, kt_uffd_wait_fault(uffd, 10000, &fault));

	b.q = q;
	b.c = &c;
	b.flags = KIPC_REAP_NONBLOCK;
	ASSERT_EQ(0, pthread_create(&tb, NULL, reap_thread, &b));
	for (waited = 0; !__atomic_load_n(&b.done, __ATOMIC_SEQ_CST) &&
	     waited < 3000; waited += 10)
		kt_sleep_ms(10);
	EXPECT_TRUE(b.done)
		TH_LOG("the non-blocking reap waited %d ms for the stalled one",
		       waited);
	ASSERT_EQ(0, kt_uffd_fail(uffd, upage, pg));
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	EXPECT_EQ(-EFAULT, a.ret);
	EXPECT_EQ(-EAGAIN, b.ret);
	/* Nothing was lost: the completion is reaped now. */
	ASSERT_EQ(1, kt_lend_reap(q, &c, 1, KIPC_REAP_NONBLOCK));
	EXPECT_EQ(1, c.cookie);
	EXPECT_EQ(KIPC_LEND_RELEASED, c.status);
	close(uffd);
	close(tx2);
	close(rx2);
	close(tx);
	close(rx);
	close(q);
	munmap(src, 2 * pg);
	close(ctx);
}

KIPC_TEST_MAIN
