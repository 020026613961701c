// SPDX-License-Identifier: GPL-2.0
/*
 * A lent range's completion is kernel memory charged to its lender.
 *
 * A range lent with a message becomes a completion on its lend queue when
 * the message is done with (received and unmapped, or dropped), and stays
 * there until the lender reaps it or closes the queue. The pins and the
 * message's bytes were uncharged at that point, and nothing counted the
 * completion itself: only max_lendq_entries (4096) per queue and
 * max_lendqs_per_user (1024) queues bounded it, about 384 MiB of slab per
 * user that no per-user cap saw. The contract: a range's bookkeeping is
 * charged to its user's max_inflight_bytes_per_user from the lend until
 * its completion is reaped or its queue closed, so a lender that never
 * reaps is refused (ENOBUFS) once the cap is full, and gets its room back
 * by reaping or closing.
 *
 * With the cap at 16 KiB, one page is lent again and again on a fresh
 * channel whose receive end is then closed (the message dropped: a
 * completion), never reaped.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define CAP		16384
#define MANY		4096	/* max_lendq_entries: the only bound before */
#define FEW		1024	/* a completion is far more than 16 bytes */

FIXTURE(completions) {
	int ctx, q;
	char *page;
	struct kt_param cap;
};

FIXTURE_SETUP(completions)
{
	self->q = -1;
	self->cap.name = "max_inflight_bytes_per_user";
	self->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->page);
	memset(self->page, 'l', 4096);
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL | KIPC_FEATURE_LEND);
	if (geteuid() != 0)
		SKIP(return, "needs root to set the module's caps");
	ASSERT_EQ(0, kt_param_save(&self->cap));
	ASSERT_EQ(0, kt_param_set_num(self->cap.name, CAP));
	self->q = kt_lendq_create(self->ctx, 0);
	ASSERT_LE(0, self->q);
}

FIXTURE_TEARDOWN(completions)
{
	if (self->q >= 0)
		close(self->q);
	kt_param_restore(&self->cap);
	close(self->ctx);
	munmap(self->page, 4096);
}

/*
 * Lend the page on a channel of its own and drop the message: a
 * completion on @q. 1, or the send's -errno.
 */
static int lend_and_drop(int ctx, int q, const char *page)
{
	int tx, rx, ret;

	ret = kt_channel_create(ctx, 0, 0, 0, -1, &tx, &rx);
	if (ret)
		return ret;
	ret = kt_lend_send(tx, q, page, 4096, 7, KIPC_IO_NONBLOCK);
	close(rx);		/* the message is dropped: it completes */
	close(tx);
	return ret;
}

/* Lend until refused: how many went, and the refusal in *@err. */
static int lend_until_refused(int ctx, int q, const char *page, int *err)
{
	int n = 0, ret;

	while (n < MANY && (ret = lend_and_drop(ctx, q, page)) == 1)
		n++;
	*err = n < MANY ? ret : 0;
	return n;
}

TEST_F(completions, unreaped_completions_fill_the_cap)
{
	struct kipc_lend_completion c[64];
	int n, err, got, total = 0;

	n = lend_until_refused(self->ctx, self->q, self->page, &err);
	TH_LOG("%d completions held before a lend was refused", n);
	EXPECT_LT(0, n);
	/* Before: 4096, stopped only by the queue's own bound. */
	EXPECT_GT(FEW, n);
	EXPECT_EQ(-ENOBUFS, err);

	/* Reaping gives the room back. */
	while ((got = kt_lend_reap(self->q, c, 64, KIPC_REAP_NONBLOCK)) >
	       0)
		total += got;
	EXPECT_EQ(n, total);
	EXPECT_EQ(KIPC_LEND_DROPPED, c[0].status);
	EXPECT_EQ(1, lend_and_drop(self->ctx, self->q, self->page));
}

TEST_F(completions, closing_the_queue_gives_the_room_back)
{
	int n, m, err;

	n = lend_until_refused(self->ctx, self->q, self->page, &err);
	EXPECT_GT(FEW, n);
	EXPECT_EQ(-ENOBUFS, err);
	/* Closed with every completion unreaped: they go, and their charge. */
	close(self->q);
	self->q = kt_lendq_create(self->ctx, 0);
	ASSERT_LE(0, self->q);
	EXPECT_EQ(1, lend_and_drop(self->ctx, self->q, self->page));
	/* All the room: a fresh queue holds as many as the first did. */
	m = lend_until_refused(self->ctx, self->q, self->page, &err) + 1;
	TH_LOG("%d completions, then %d after closing the queue", n, m);
	EXPECT_LE(n - 1, m);
	EXPECT_GE(n + 1, m);
}

KIPC_TEST_MAIN
