// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics stay exact while receivers take each message the moment it is
 * queued. Regression test: kipc_channel_send() read the message's length
 * and buffer count for its statistics after queuing it and dropping the
 * channel's lock, when a receiver on another CPU may already have taken and
 * freed it (KASAN: slab-use-after-free in kipc_channel_send, found by
 * tools/debuglane/kipc-stress on the debug kernel). Receivers block on a
 * channel of depth 1 while senders send as fast as they can, so that every
 * message is taken the moment it is queued. On the debug kernel KASAN
 * reports the read (the runner fails on the report); elsewhere the test
 * checks that every message arrives and that the module's counters of
 * messages and bytes, sent and received, grew by exactly what was sent.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define SENDERS		2
#define RECEIVERS	2
#define PER_SENDER	3000
#define SECONDS		5	/* TCG with KASAN: a few hundred a second */
#define SIZES		300	/* message k of a sender has 1 + k % SIZES bytes */

/* The module's counters this test reads, by KIPC_A_STATS_* attribute. */
static const __u16 counters[] = {
	KIPC_A_STATS_MSGS_SENT, KIPC_A_STATS_MSGS_RECEIVED,
	KIPC_A_STATS_BYTES_SENT, KIPC_A_STATS_BYTES_RECEIVED,
};

#define NR_COUNTERS	ARRAY_SIZE(counters)

static int read_counters(__u64 *v)
{
	unsigned int i;
	int ret;

	for (i = 0; i < NR_COUNTERS; i++) {
		ret = kt_stat_get(counters[i], &v[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* The bytes of a sender's first @n messages. */
static __u64 bytes_of(int n)
{
	__u64 b = 0;
	int k;

	for (k = 0; k < n; k++)
		b += 1 + k % SIZES;
	return b;
}

TEST(send_stats_after_receiver_frees)
{
	__u64 before[NR_COUNTERS], after[NR_COUNTERS], bytes = 0;
	pid_t pids[SENDERS + RECEIVERS];
	int ctx, s, r, i, status, got = 0, sent = 0;
	int counts[2], sents[2];
	char stats[8] = "";

	ctx = open(KIPC_DEVICE_PATH, O_RDWR);
	ASSERT_GE(ctx, 0);
	ASSERT_EQ(0, kt_param_get("stats", stats, sizeof(stats)));
	if (stats[0] != 'Y')
		SKIP(return, "the module's statistics are off (stats=%s)", stats);
	ASSERT_EQ(0, kt_channel_create(ctx, 0, 1, 0, -1, &s, &r));
	ASSERT_EQ(0, pipe(counts));
	ASSERT_EQ(0, pipe(sents));
	ASSERT_EQ(0, read_counters(before));
	for (i = 0; i < RECEIVERS; i++) {
		pids[i] = kt_fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0) {
			char buf[512];
			int n = 0;

			close(s);
			while (kt_recv1(r, buf, sizeof(buf), NULL, 0) == 1)
				n++;
			write(counts[1], &n, sizeof(n));
			_exit(0);
		}
	}
	for (i = 0; i < SENDERS; i++) {
		pids[RECEIVERS + i] = kt_fork();
		ASSERT_GE(pids[RECEIVERS + i], 0);
		if (pids[RECEIVERS + i] == 0) {
			uint64_t end = kt_now_ns(CLOCK_MONOTONIC) + SECONDS * 1000000000ULL;
			char buf[SIZES] = { 1 };
			int k;

			close(r);
			for (k = 0; k < PER_SENDER && kt_now_ns(CLOCK_MONOTONIC) < end; k++)
				if (kt_send1(s, buf, 1 + k % sizeof(buf), k, 0) != 1)
					_exit(1);
			write(sents[1], &k, sizeof(k));
			_exit(0);
		}
	}
	close(s);
	close(r);
	close(counts[1]);
	close(sents[1]);
	for (i = 0; i < SENDERS + RECEIVERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (i = 0; i < RECEIVERS; i++) {
		int n = 0;

		ASSERT_EQ(sizeof(n), read(counts[0], &n, sizeof(n)));
		got += n;
	}
	for (i = 0; i < SENDERS; i++) {
		int n = 0;

		ASSERT_EQ(sizeof(n), read(sents[0], &n, sizeof(n)));
		sent += n;
		bytes += bytes_of(n);
	}
	ASSERT_EQ(0, read_counters(after));
	TH_LOG("%d messages sent and received, %llu bytes", got,
	       (unsigned long long)bytes);
	EXPECT_EQ(sent, got);
	EXPECT_GT(sent, 0);
	EXPECT_EQ(sent, after[0] - before[0]);
	EXPECT_EQ(sent, after[1] - before[1]);
	EXPECT_EQ(bytes, after[2] - before[2]);
	EXPECT_EQ(bytes, after[3] - before[3]);
	close(counts[0]);
	close(sents[0]);
	close(ctx);
}

KIPC_TEST_MAIN
