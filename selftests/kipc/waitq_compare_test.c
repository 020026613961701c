// SPDX-License-Identifier: GPL-2.0
/* The same ping-pong over a shared futex on the region's pages and over kipc waits completes with the same counts. */
#include <linux/futex.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "waitq_test.h"

#define ROUNDS		3000
#define WATCHDOG_S	20
#define WORD		0	/* the ping-pong word */
#define STATS		64	/* struct side[2] */

/* What each side counted. */
struct side {
	uint32_t rounds;	/* handoffs it made */
	uint32_t sleeps;	/* waits that went to sleep and were woken */
	uint32_t mismatches;	/* waits refused: the word had moved on */
	uint32_t errors;	/* anything else: a timeout is a lost wake-up */
};

enum mech { FUTEX, KIPC };

FIXTURE(cmp) {
	int ctx, region;
	size_t bytes;
	char *map;
};

FIXTURE_SETUP(cmp)
{
	self->bytes = kt_page();
	self->map = kt_wq_setup(_metadata, &self->ctx, &self->region,
				self->bytes);
}

FIXTURE_TEARDOWN(cmp)
{
	kt_wq_teardown(self->ctx, self->region, self->map, self->bytes);
}

/* A shared (not FUTEX_PRIVATE_FLAG) futex wait with an absolute deadline. */
static int futex_wait_abs(uint32_t *w, uint32_t val, uint64_t deadline_ns)
{
	struct timespec ts = { deadline_ns / KT_NSEC, deadline_ns % KT_NSEC };

	if (syscall(SYS_futex, w, FUTEX_WAIT_BITSET, val, &ts, NULL,
		    FUTEX_BITSET_MATCH_ANY) < 0)
		return -errno;
	return 0;
}

static int futex_wake(uint32_t *w, int nr)
{
	long ret = syscall(SYS_futex, w, FUTEX_WAKE, nr, NULL, NULL, 0);

	return ret < 0 ? -errno : (int)ret;
}

/*
 * Side @me (0 or 1) moves the word from values of its parity to the next,
 * ROUNDS times, waiting while the word is the other side's.
 */
static void play(FIXTURE_DATA(cmp) *self, enum mech mech, int me)
{
	uint32_t *w = (uint32_t *)(self->map + WORD), v;
	struct side *s = (struct side *)(self->map + STATS) + me;
	uint64_t dl;
	int ret, n;

	for (n = 0; n < ROUNDS; n++) {
		while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) % 2 != (uint32_t)me) {
			dl = kt_now_ns(CLOCK_MONOTONIC) + WATCHDOG_S * KT_NSEC;
			ret = mech == FUTEX ? futex_wait_abs(w, v, dl) :
			      kt_wq_wait(self->region, WORD, v, 0,
					 CLOCK_MONOTONIC, dl);
			if (ret == 0)
				s->sleeps++;
			else if (ret == -EAGAIN)
				s->mismatches++;
			else if (ret != -EINTR) {
				s->errors++;
				return;
			}
		}
		__atomic_store_n(w, v + 1, __ATOMIC_RELEASE);
		ret = mech == FUTEX ? futex_wake(w, 1) :
		      kt_wq_wake(self->region, WORD, 1, 0);
		if (ret < 0) {
			s->errors++;
			return;
		}
		s->rounds++;
	}
}

/* Run the ping-pong over @mech; return its time in ns, or 0 on failure. */
static uint64_t run(struct __test_metadata *_metadata,
		    FIXTURE_DATA(cmp) *self, enum mech mech, struct side out[2])
{
	uint64_t t0;
	pid_t pid;
	int st;

	memset(self->map, 0, self->bytes);
	t0 = kt_now_ns(CLOCK_MONOTONIC);
	pid = kt_fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		play(self, mech, 1);
		_exit(0);
	}
	play(self, mech, 0);
	st = kt_wait(pid, 2 * WATCHDOG_S * 1000);
	t0 = kt_now_ns(CLOCK_MONOTONIC) - t0;
	memcpy(out, self->map + STATS, 2 * sizeof(*out));
	EXPECT_EQ(0, st);
	return st ? 0 : t0;
}

TEST_F(cmp, futex_and_kipc_agree)
{
	struct side f[2], k[2];
	uint64_t tf, tk;
	int i;

	tf = run(_metadata, self, FUTEX, f);
	ASSERT_EQ(2 * ROUNDS, *(uint32_t *)(self->map + WORD));
	tk = run(_metadata, self, KIPC, k);
	ASSERT_EQ(2 * ROUNDS, *(uint32_t *)(self->map + WORD));
	ASSERT_NE(0, tf);
	ASSERT_NE(0, tk);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, f[i].errors);
		EXPECT_EQ(0, k[i].errors);
		EXPECT_EQ(ROUNDS, f[i].rounds);
		EXPECT_EQ(k[i].rounds, f[i].rounds);
	}
	/* Timings are for the reader only: never assert speed. */
	ksft_print_msg("futex: %d round trips in %.1f ms (%.2f us each), sleeps %u+%u\n",
		       ROUNDS, tf / 1e6, tf / 1e3 / ROUNDS, f[0].sleeps,
		       f[1].sleeps);
	ksft_print_msg("kipc:  %d round trips in %.1f ms (%.2f us each), sleeps %u+%u\n",
		       ROUNDS, tk / 1e6, tk / 1e3 / ROUNDS, k[0].sleeps,
		       k[1].sleeps);
}

KIPC_TEST_MAIN
