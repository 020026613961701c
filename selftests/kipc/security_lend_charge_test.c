// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, finding 3: lent pages are charged to the sending user.
 *
 * On 38ea9ff a lent range was charged to the sender's mm (locked_vm,
 * against RLIMIT_MEMLOCK), but its pins live as long as the message or the
 * receiver's mapping, which outlive the sender: a name (or another
 * process) can hold the receive end with the sender gone, and a new
 * process of the same user starts from zero. One user pinned hundreds of
 * MiB with RLIMIT_MEMLOCK at 1 MiB. The contract: pins are charged to the
 * sending user (the user_struct's locked_vm, as io_uring does), checked
 * against the sender's RLIMIT_MEMLOCK unless CAP_IPC_LOCK, and uncharged
 * exactly once when the range is released.
 *
 * As uid nobody with RLIMIT_MEMLOCK at 1 MiB, a process lends 2 x 512 KiB
 * on a channel whose receive end is held by a name, or by another process,
 * and exits; a new process of nobody lending 4 KiB must get ENOMEM, while
 * another user is not affected. Once the channel goes (the name unlinked,
 * the holder closes) nobody can lend again.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NAME	"kipc-security-lend-charge"
#define LIMIT	(1 << 20)
#define HALF	(LIMIT / 2)

struct result {
	int step;	/* where a child failed, 0 if it did not */
	int ret[2];	/* the lending sends' results */
};

FIXTURE(charge) {
	int ctx, tx, rx;
	int named;
	struct result *res;
};

FIXTURE_VARIANT(charge) {
	int by_name;	/* the receive end is held by a name (else by us) */
};

FIXTURE_VARIANT_ADD(charge, receive_end_held_by_a_name) { .by_name = 1 };
FIXTURE_VARIANT_ADD(charge, receive_end_held_by_a_process) { .by_name = 0 };



FIXTURE_SETUP(charge)
{
	self->tx = self->rx = -1;
	self->named = 0;
	self->res = mmap(NULL, sizeof(*self->res), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL | KIPC_FEATURE_LEND |
			  KIPC_FEATURE_NAMES);
	if (geteuid() != 0)
		SKIP(return, "needs root to become another user");
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, 0, -1, &self->tx,
				       &self->rx));
}

FIXTURE_TEARDOWN(charge)
{
	if (self->named)
		kt_name_unlink(self->ctx, NAME);
	if (self->tx >= 0)
		close(self->tx);
	if (self->rx >= 0)
		close(self->rx);
	close(self->ctx);
	munmap(self->res, sizeof(*self->res));
}

/*
 * In a child: become @uid with RLIMIT_MEMLOCK at 1 MiB, then lend @nr
 * ranges of @len bytes on @tx (on a channel of its own if @tx < 0). The
 * results go to @res; the child exits, leaving what it lent queued.
 */
static void lend_as(struct result *res, uid_t uid, int tx, size_t len, int nr)
{
	struct rlimit rl = { LIMIT, LIMIT };
	int ctx, q, rx, i;
	char *mem;

	res->step = 1;
	if (kt_become(uid, uid))
		_exit(1);
	res->step = 2;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		_exit(1);
	res->step = 3;
	ctx = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (ctx < 0)
		_exit(1);
	q = kt_lendq_create(ctx, 0);
	if (q < 0)
		_exit(1);
	if (tx < 0 && kt_channel_create(ctx, 0, 0, 0, -1, &tx, &rx))
		_exit(1);
	res->step = 4;
	mem = mmap(NULL, nr * len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		_exit(1);
	memset(mem, 'c', nr * len);
	for (i = 0; i < nr; i++)
		res->ret[i] = kt_lend_send(tx, q, mem + i * len, len, i,
					   KIPC_IO_NONBLOCK);
	res->step = 0;
	_exit(0);
}

/* Run lend_as() in a child and wait for it. */
static int run_lend_as(struct result *res, uid_t uid, int tx, size_t len,
		       int nr)
{
	pid_t pid;

	memset(res, 0, sizeof(*res));
	res->ret[0] = res->ret[1] = 1;
	pid = kt_fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		lend_as(res, uid, tx, len, nr);
	return kt_wait(pid, 20000);
}

/*
 * nobody lends @nr x @len on a channel of its own, retrying for 2 s while
 * it gets ENOMEM: releases may be deferred. 0, or what run_lend_as() gave.
 */
static int lend_again(struct result *res, size_t len, int nr)
{
	int i, ret;

	for (i = 0; i < 20; i++) {
		ret = run_lend_as(res, KT_NOBODY, -1, len, nr);
		if (ret || res->step)
			return ret ? ret : -res->step;
		if (res->ret[0] != -ENOMEM && res->ret[nr - 1] != -ENOMEM)
			break;
		kt_sleep_ms(100);
	}
	return 0;
}

TEST_F(charge, pins_outlive_the_sender_but_not_its_charge)
{
	long page = kt_page();
	int ret;

	if (variant->by_name) {
		ret = kt_name_open(self->ctx, NAME,
				   KIPC_NAME_CREATE | KIPC_FD_CLOEXEC,
				   self->rx, 0600, NULL);
		ASSERT_LE(0, ret) TH_LOG("NAME_OPEN: %s", strerror(-ret));
		close(ret);
		self->named = 1;
		close(self->rx);	/* the name holds the receive end */
		self->rx = -1;
	}

	/* nobody lends its whole RLIMIT_MEMLOCK, then exits. */
	ASSERT_EQ(0, run_lend_as(self->res, KT_NOBODY, self->tx, HALF, 2));
	ASSERT_EQ(0, self->res->step) TH_LOG("child failed at step %d",
					     self->res->step);
	ASSERT_EQ(1, self->res->ret[0]) TH_LOG("lending 512 KiB: %s",
					       strerror(-self->res->ret[0]));
	ASSERT_EQ(1, self->res->ret[1]) TH_LOG("lending 512 KiB more: %s",
					       strerror(-self->res->ret[1]));
	EXPECT_EQ(2, kt_fdinfo_num(self->tx, "kipc-queued"));

	/* A new process of nobody: the user's pins are at its limit. */
	ASSERT_EQ(0, run_lend_as(self->res, KT_NOBODY, -1, page, 1));
	ASSERT_EQ(0, self->res->step);
	EXPECT_EQ(-ENOMEM, self->res->ret[0])
		TH_LOG("nobody lent again (%d) while 1 MiB it lent from an exited process is still pinned: the charge died with the process",
		       self->res->ret[0]);

	/* Another user is not affected. */
	ASSERT_EQ(0, run_lend_as(self->res, KT_OTHER_UID, -1, page, 1));
	ASSERT_EQ(0, self->res->step);
	EXPECT_EQ(1, self->res->ret[0]) TH_LOG("another user: %s",
					       strerror(-self->res->ret[0]));

	/* The channel goes: its messages are dropped, the pins uncharged. */
	if (variant->by_name) {
		EXPECT_EQ(0, kt_name_unlink(self->ctx, NAME));
		self->named = 0;
	} else {
		close(self->rx);
		self->rx = -1;
	}
	EXPECT_EQ(0, kt_fdinfo_num(self->tx, "kipc-queued"));
	ASSERT_EQ(0, lend_again(self->res, page, 1));
	EXPECT_EQ(1, self->res->ret[0])
		TH_LOG("nobody cannot lend after its ranges were dropped: %s",
		       strerror(-self->res->ret[0]));
	/* And its whole limit: uncharged exactly once. */
	ASSERT_EQ(0, lend_again(self->res, HALF, 2));
	EXPECT_EQ(1, self->res->ret[0]);
	EXPECT_EQ(1, self->res->ret[1]);
}

KIPC_TEST_MAIN
