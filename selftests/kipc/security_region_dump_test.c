// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, finding 2: a region must be complete before it is reachable.
 *
 * On 38ea9ff KIPC_IOC_REGION_CREATE inserted the region in the id index
 * (the xarray netlink walks) before it set the region's user and pid, and a
 * netlink region dump or get, which any user may send, read r->user->uid of
 * the half-built region: a NULL dereference, an oops (a panic in the test
 * guest, which boots with oops=panic). The contract: an object is in an
 * index only once complete, so concurrent dumps while regions are created
 * and destroyed never oops.
 *
 * One side loops REGION_CREATE and close() as fast as it can; the other
 * loops KIPC_CMD_REGION_GET, alternating a get of the id the next region
 * will have (ids are allocated cyclically: the last id + 1) and a dump
 * from id 0, so that each request finds the region under construction if
 * there is one. Two threads of one process, or a dumping process of
 * another user (nobody). The window is a few instructions wide; on TCG
 * 38ea9ff oopses within the run. Where an oops does not panic, the
 * dumping task dies in the kernel: the test sees it stop making progress
 * and the kernel's taint flags change.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define RUN_NS		1500000000ULL	/* how long each variant races, */
#define MIN_CREATES	100		/* or longer, until this many regions */
#define MAX_NS		20000000000ULL	/* were created, but no longer */
#define STALL_NS	2000000000ULL	/* a side without progress this long is dead */

struct shared {
	volatile int stop;
	volatile __u64 last_id;
	volatile long creates;
	volatile long dumps;
	volatile int dump_err;		/* an unexpected netlink error */
	volatile int create_err;
};

FIXTURE(dump) {
	int ctx;
	struct shared *sh;
	pthread_t creator, dumper;
	int have_creator, have_dumper;
	pid_t child;
	long taint0;
};

FIXTURE_VARIANT(dump) {
	int dumper_process;	/* dump from a process of user nobody */
};

FIXTURE_VARIANT_ADD(dump, two_threads) { .dumper_process = 0 };
FIXTURE_VARIANT_ADD(dump, dumper_of_another_user) { .dumper_process = 1 };

FIXTURE_SETUP(dump)
{
	struct kt_genl g;
	int ret;

	self->have_creator = self->have_dumper = 0;
	self->child = 0;
	self->taint0 = kt_taint();
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_REGION);
	ret = kt_genl_open(&g);
	if (ret == -ENOENT)
		SKIP(return, "no netlink family kipc");
	ASSERT_EQ(0, ret) TH_LOG("netlink: %s", strerror(-ret));
	close(g.fd);
}

FIXTURE_TEARDOWN(dump)
{
	self->sh->stop = 1;
	if (self->have_creator)
		pthread_join(self->creator, NULL);
	if (self->have_dumper)
		pthread_join(self->dumper, NULL);
	kt_reap(self->child);
	close(self->ctx);
	munmap(self->sh, sizeof(*self->sh));
}

struct creator_arg {
	struct shared *sh;
	int ctx;
};

static void *creator_thread(void *arg)
{
	struct creator_arg *ca = arg;
	struct kipc_region_create rc;
	long page = kt_page();
	int fd;

	while (!ca->sh->stop) {
		fd = kt_region_create(ca->ctx, page, page, KIPC_FD_CLOEXEC, &rc);
		if (fd < 0) {
			ca->sh->create_err = -fd;
			break;
		}
		ca->sh->last_id = rc.id;
		close(fd);
		__atomic_add_fetch(&ca->sh->creates, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Get the next id, then dump everything, until told to stop. */
static void dump_loop(struct shared *sh)
{
	struct kt_genl g;
	int ret, i = 0;

	if (kt_genl_open(&g)) {
		sh->dump_err = 1000;
		return;
	}
	while (!sh->stop) {
		if (i++ & 1)
			ret = kt_genl_call(&g, KIPC_CMD_REGION_GET, NLM_F_DUMP,
					   0, 0, NULL);
		else
			ret = kt_genl_call(&g, KIPC_CMD_REGION_GET, 0,
					   KIPC_A_REGION_ID, sh->last_id + 1,
					   NULL);
		/* ENOENT: a get of a region not (or no longer) there. */
		if (ret && ret != -ENOENT) {
			sh->dump_err = -ret;
			break;
		}
		__atomic_add_fetch(&sh->dumps, 1, __ATOMIC_RELAXED);
	}
	close(g.fd);
}

static void *dumper_thread(void *arg)
{
	dump_loop(arg);
	return NULL;
}

TEST_F(dump, dumps_while_regions_are_created)
{
	struct creator_arg ca = { .sh = self->sh, .ctx = self->ctx };
	uint64_t t0, now, seen_at;
	long last_creates = 0, last_dumps = 0;
	int stalled = 0;

	if (variant->dumper_process) {
		if (geteuid() != 0)
			SKIP(return, "needs root to become another user");
		self->child = kt_fork();
		ASSERT_LE(0, self->child);
		if (self->child == 0) {
			if (kt_become(KT_NOBODY, KT_NOBODY))
				_exit(10);
			dump_loop(self->sh);
			_exit(self->sh->dump_err ? 11 : 0);
		}
	} else {
		ASSERT_EQ(0, pthread_create(&self->dumper, NULL, dumper_thread,
					    self->sh));
		self->have_dumper = 1;
	}
	ASSERT_EQ(0, pthread_create(&self->creator, NULL, creator_thread, &ca));
	self->have_creator = 1;

	t0 = seen_at = kt_now_ns(CLOCK_MONOTONIC);
	for (;;) {
		kt_sleep_ms(100);
		now = kt_now_ns(CLOCK_MONOTONIC);
		if (self->sh->dumps != last_dumps &&
		    self->sh->creates != last_creates) {
			last_dumps = self->sh->dumps;
			last_creates = self->sh->creates;
			seen_at = now;
		} else if (now - seen_at > STALL_NS) {
			stalled = 1;
			break;
		}
		if ((now - t0 > RUN_NS && self->sh->creates > MIN_CREATES) ||
		    now - t0 > MAX_NS || self->sh->dump_err ||
		    self->sh->create_err)
			break;
	}
	self->sh->stop = 1;
	TH_LOG("%ld regions created, %ld netlink requests", self->sh->creates,
	       self->sh->dumps);
	EXPECT_EQ(0, stalled)
		TH_LOG("no progress for 2 s: a side died in the kernel (oops?)");
	EXPECT_EQ(0, self->sh->create_err) TH_LOG("REGION_CREATE: %s",
						  strerror(self->sh->create_err));
	EXPECT_EQ(0, self->sh->dump_err) TH_LOG("netlink: %s",
						strerror(self->sh->dump_err));
	EXPECT_EQ(0, kt_new_reports(self->taint0))
		TH_LOG("the kernel reported an oops or a WARN (tainted %ld)",
		       kt_taint());
	if (!stalled) {
		pthread_join(self->creator, NULL);
		self->have_creator = 0;
		if (variant->dumper_process) {
			EXPECT_EQ(0, kt_wait(self->child, 10000));
			self->child = 0;
		} else {
			pthread_join(self->dumper, NULL);
			self->have_dumper = 0;
		}
	} else {
		/* A thread stuck or dead in the kernel cannot be joined. */
		self->have_creator = self->have_dumper = 0;
	}
	EXPECT_LT(MIN_CREATES, self->sh->creates) TH_LOG("the race barely ran");
}

KIPC_TEST_MAIN
