// SPDX-License-Identifier: GPL-2.0
/*
 * Many sender and receiver processes on one channel: every message delivered
 * exactly once, each naming the process that sent it (senders take turns
 * with the channel's spare message, which keeps its last sender's pid).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define MAX_PROCS	8
#define MAX_MSGS	400

struct payload {
	uint32_t sender;
	uint32_t seq;
	uint32_t check;
	uint32_t pid;		/* the sending process, as it knows itself */
};

/* Shared between the processes of a test. */
struct board {
	_Atomic uint32_t delivered[MAX_PROCS][MAX_MSGS];
	_Atomic uint32_t per_receiver[MAX_PROCS];
};

FIXTURE(multi) {
	int ctx;
	int sfd, rfd;
	struct board *board;
	pid_t pids[2 * MAX_PROCS];
	int nr_pids;
};

FIXTURE_VARIANT(multi) {
	uint32_t depth;
	unsigned int senders, receivers;
	unsigned int msgs;		/* per sender */
	unsigned int send_batch, recv_batch;
};

FIXTURE_VARIANT_ADD(multi, four_by_three_batched) {
	.depth = 64, .senders = 4, .receivers = 3, .msgs = 300,
	.send_batch = 16, .recv_batch = 8,
};
FIXTURE_VARIANT_ADD(multi, shallow_queue_single_messages) {
	.depth = 2, .senders = 3, .receivers = 3, .msgs = 150,
	.send_batch = 1, .recv_batch = 1,
};
FIXTURE_VARIANT_ADD(multi, eight_senders_two_receivers) {
	.depth = 16, .senders = 8, .receivers = 2, .msgs = 100,
	.send_batch = 5, .recv_batch = 32,
};
FIXTURE_VARIANT_ADD(multi, one_sender_many_receivers) {
	.depth = 8, .senders = 1, .receivers = 6, .msgs = MAX_MSGS,
	.send_batch = 3, .recv_batch = 2,
};

FIXTURE_SETUP(multi)
{
	int ret;

	self->sfd = self->rfd = -1;
	self->nr_pids = 0;
	self->board = MAP_FAILED;
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL);
	ret = kt_channel_create(self->ctx, 0, variant->depth, 0, -1,
				&self->sfd, &self->rfd);
	ASSERT_EQ(0, ret) TH_LOG("channel create: %s", strerror(-ret));
	self->board = mmap(NULL, sizeof(*self->board), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->board);
}

FIXTURE_TEARDOWN(multi)
{
	int i;

	for (i = 0; i < self->nr_pids; i++)
		kt_reap(self->pids[i]);
	if (self->board != MAP_FAILED)
		munmap(self->board, sizeof(*self->board));
	if (self->sfd >= 0)
		close(self->sfd);
	if (self->rfd >= 0)
		close(self->rfd);
	close(self->ctx);
}

static uint32_t check_word(uint32_t sender, uint32_t seq)
{
	return sender * 2654435761u ^ seq * 40503u ^ 0x5bd1e995u;
}

static int run_sender(int sfd, uint32_t id, unsigned int msgs,
		      unsigned int batch)
{
	struct payload p[64];
	struct kipc_msg m[64];
	unsigned int sent = 0, i, b;
	int n;

	while (sent < msgs) {
		b = msgs - sent < batch ? msgs - sent : batch;
		for (i = 0; i < b; i++) {
			p[i].sender = id;
			p[i].seq = sent + i;
			p[i].check = check_word(id, sent + i);
			p[i].pid = getpid();
			kt_msg_init(&m[i], &p[i], sizeof(p[i]), NULL, 0,
				    (uint64_t)id << 32 | (sent + i));
		}
		n = kt_send(sfd, m, b, 0);
		if (n <= 0)
			return 10;
		sent += n;
	}
	return 0;
}

static int run_receiver(int rfd, struct board *board, unsigned int me,
			unsigned int senders, unsigned int msgs,
			unsigned int batch)
{
	int64_t last[MAX_PROCS];
	struct payload p[64];
	struct kipc_msg m[64];
	unsigned int i;
	int n;

	for (i = 0; i < MAX_PROCS; i++)
		last[i] = -1;
	for (;;) {
		for (i = 0; i < batch; i++)
			kt_msg_init(&m[i], &p[i], sizeof(p[i]), NULL, 0, 0);
		n = kt_recv(rfd, m, batch, 0);
		if (n == 0)
			return 0;	/* every sender gone, queue drained */
		if (n < 0)
			return 20;
		for (i = 0; i < (unsigned int)n; i++) {
			uint32_t s = p[i].sender, q = p[i].seq;

			if (m[i].data_len != sizeof(p[i]) || s >= senders ||
			    q >= msgs || p[i].check != check_word(s, q) ||
			    m[i].tag != ((uint64_t)s << 32 | q))
				return 21;
			if (m[i].pid != p[i].pid)
				return 23;	/* named after another sender */
			/* Per sender, sequence numbers only increase. */
			if ((int64_t)q <= last[s])
				return 22;
			last[s] = q;
			atomic_fetch_add(&board->delivered[s][q], 1);
			atomic_fetch_add(&board->per_receiver[me], 1);
		}
	}
}

TEST_F_TIMEOUT(multi, exactly_once_in_order_per_sender, 60)
{
	unsigned int i, s, q, missing = 0, dup = 0, total = 0;
	int ret;

	for (i = 0; i < variant->receivers; i++) {
		pid_t pid = kt_fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			close(self->sfd);
			_exit(run_receiver(self->rfd, self->board, i,
					   variant->senders, variant->msgs,
					   variant->recv_batch));
		}
		self->pids[self->nr_pids++] = pid;
	}
	for (i = 0; i < variant->senders; i++) {
		pid_t pid = kt_fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			close(self->rfd);
			_exit(run_sender(self->sfd, i, variant->msgs,
					 variant->send_batch));
		}
		self->pids[self->nr_pids++] = pid;
	}
	/* The test keeps no end: EOF comes when the last sender exits. */
	close(self->sfd);
	close(self->rfd);
	self->sfd = self->rfd = -1;

	for (i = 0; i < (unsigned int)self->nr_pids; i++) {
		ret = kt_wait(self->pids[i], 50000);
		EXPECT_EQ(0, ret) TH_LOG("%s %u exited %d",
					 i < variant->receivers ? "receiver" :
					 "sender", i, ret);
		self->pids[i] = 0;
	}
	for (s = 0; s < variant->senders; s++)
		for (q = 0; q < variant->msgs; q++) {
			uint32_t c = atomic_load(&self->board->delivered[s][q]);

			missing += c == 0;
			dup += c > 1;
		}
	for (i = 0; i < variant->receivers; i++)
		total += atomic_load(&self->board->per_receiver[i]);
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, dup);
	EXPECT_EQ(variant->senders * variant->msgs, total);
}

KIPC_TEST_MAIN
