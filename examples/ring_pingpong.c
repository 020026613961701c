// SPDX-License-Identifier: GPL-2.0
/*
 * ring_pingpong: the libkipc rings under contention, with every message's
 * sequence number checked.
 *
 * 1. SPSC ping-pong: two processes bounce a message over two rings, N
 *    round trips; each side checks it gets back what it sent.
 * 2. SPSC stream: N messages one way, checked in order, in place: the
 *    producer builds each in a slot of the ring (kipc_ring_send_begin()),
 *    the consumer checks it there (kipc_ring_recv_begin()).
 * 3. MPMC: P producer and C consumer processes share one ring; each
 *    producer sends N/P messages {producer, seq}; each consumer checks that
 *    the seqs of every producer arrive increasing, and the consumers'
 *    counts and sums add up to exactly what was sent. Odd-numbered
 *    producers and consumers work in place, the others copy.
 *
 * Every child waits through a region handle of its own, attached by the
 * parent before the fork (kipc_region_attach()), and opens the rings
 * through it: the kernel judges a peer's death per handle (kipc_wait(3)).
 *
 * usage: ring_pingpong [-n MESSAGES] [-p PRODUCERS] [-c CONSUMERS]
 *                      [-s SLOTS]
 * Exits 0 when every check passed, 1 on a mismatch, 2 on an error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <kipc.h>

#define MAX_PROCS	16
#define STOP		0xffffffffU	/* producer id of "no more messages" */

struct msg {
	uint32_t producer;
	uint32_t pad;
	uint64_t seq;
	uint64_t payload[2];	/* seq-derived: torn copies show up */
};

/* What each consumer reports, in the region after the rings. */
struct tally {
	uint64_t count[MAX_PROCS];
	uint64_t sum[MAX_PROCS];
	uint64_t bad;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "ring_pingpong: %s: %s\n", what, strerror(-err));
	exit(2);
}

static void msg_make(struct msg *m, uint32_t producer, uint64_t seq)
{
	m->producer = producer;
	m->pad = 0;
	m->seq = seq;
	m->payload[0] = seq * 0x9e3779b97f4a7c15ULL;
	m->payload[1] = ~seq ^ producer;
}

static int msg_ok(const struct msg *m)
{
	return m->payload[0] == m->seq * 0x9e3779b97f4a7c15ULL &&
	       m->payload[1] == (~m->seq ^ m->producer);
}

/*
 * fork() with a region handle of the child's own, taken by the parent
 * before the fork, so that the child holds it before anyone waits: a
 * child that attached after fork() would hold, until then, only the
 * handle it shares with the parent, through which the kernel does not see
 * it, and a wait of the parent in that window, once an earlier child's
 * handle had closed, would be a death (EOWNERDEAD, kipc_wait(3)). Returns
 * the child's pid in the parent, which has closed @mine; 0 in the child,
 * which has closed the inherited @r and waits through @mine.
 */
static pid_t fork_with_handle(struct kipc_region *r, struct kipc_region **mine)
{
	pid_t pid;
	int ret;

	ret = kipc_region_attach(r, 0, mine);
	if (ret)
		die("region_attach", ret);
	pid = fork();
	if (pid < 0)
		die("fork", -errno);
	if (pid == 0)
		kipc_region_close(r);
	else
		kipc_region_close(*mine);
	return pid;
}

/* In a forked child: the ring at @offset of its own handle @mine. */
static struct kipc_ring *child_ring(struct kipc_region *mine, uint64_t offset)
{
	struct kipc_ring *ring;
	int ret;

	ret = kipc_ring_open(mine, offset, &ring);
	if (ret) {
		fprintf(stderr, "ring_pingpong: ring_open: %s\n",
			strerror(-ret));
		_exit(2);
	}
	return ring;
}

static int reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return 2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

/* 1. Ping-pong over two SPSC rings at offsets 0 and @half. */
static int pingpong(struct kipc_region *r, uint64_t half, uint32_t slots,
		    uint64_t n)
{
	struct kipc_region *mine;
	struct kipc_ring *ab, *ba;
	struct msg m;
	uint64_t i, t0;
	pid_t pid;
	int ret;

	ret = kipc_ring_create(r, 0, slots, sizeof(m), 0, &ab);
	if (!ret)
		ret = kipc_ring_create(r, half, slots, sizeof(m), 0, &ba);
	if (ret)
		die("ring_create", ret);
	pid = fork_with_handle(r, &mine);
	if (pid == 0) {
		ab = child_ring(mine, 0);
		ba = child_ring(mine, half);
		for (i = 0; i < n; i++) {
			ret = kipc_ring_recv(ab, &m, 0, NULL);
			if (ret)
				_exit(2);
			if (m.seq != i || !msg_ok(&m))
				_exit(1);
			m.producer = 1;
			m.payload[1] = ~m.seq ^ 1;
			if (kipc_ring_send(ba, &m, 0, NULL))
				_exit(2);
		}
		_exit(0);
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		msg_make(&m, 0, i);
		ret = kipc_ring_send(ab, &m, 0, NULL);
		if (!ret)
			ret = kipc_ring_recv(ba, &m, 0, NULL);
		if (ret)
			die("ping-pong", ret);
		if (m.seq != i || m.producer != 1 || !msg_ok(&m)) {
			fprintf(stderr, "ping-pong: round %" PRIu64 " came back as %" PRIu64 "\n",
				i, m.seq);
			return 1;
		}
	}
	t0 = now_ns() - t0;
	printf("spsc ping-pong: %" PRIu64 " round trips, %.2f us each\n", n,
	       t0 / 1e3 / n);
	kipc_ring_close(ab);
	kipc_ring_close(ba);
	return reap(pid);
}

/* Build message @seq of @producer in a slot of @ring, and send it. */
static int send_in_place(struct kipc_ring *ring, uint32_t producer,
			 uint64_t seq)
{
	void *slot;
	int ret;

	ret = kipc_ring_send_begin(ring, &slot, 0, NULL);
	if (ret)
		return ret;
	msg_make(slot, producer, seq);
	return kipc_ring_send_end(ring, slot);
}

/* Receive into @m: a copy, or (@in_place) read in the ring's slot. */
static int recv_msg(struct kipc_ring *ring, struct msg *m, int in_place)
{
	const void *slot;
	int ret;

	if (!in_place)
		return kipc_ring_recv(ring, m, 0, NULL);
	ret = kipc_ring_recv_begin(ring, &slot, 0, NULL);
	if (ret)
		return ret;
	*m = *(const struct msg *)slot;
	return kipc_ring_recv_end(ring, slot);
}

/* 2. A stream of @n messages one way, built and read in place. */
static int stream(struct kipc_region *r, uint32_t slots, uint64_t n)
{
	struct kipc_region *mine;
	struct kipc_ring *ring;
	const struct msg *in;
	const void *slot;
	uint64_t i, t0;
	pid_t pid;
	int ret;

	ret = kipc_ring_create(r, 0, slots, sizeof(struct msg), 0, &ring);
	if (ret)
		die("ring_create", ret);
	pid = fork_with_handle(r, &mine);
	if (pid == 0) {
		ring = child_ring(mine, 0);
		for (i = 0; i < n; i++)
			if (send_in_place(ring, 0, i))
				_exit(2);
		_exit(0);
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		ret = kipc_ring_recv_begin(ring, &slot, 0, NULL);
		if (ret)
			die("stream recv", ret);
		in = slot;
		if (in->seq != i || !msg_ok(in)) {
			fprintf(stderr, "stream: message %" PRIu64 " has seq %" PRIu64 "\n",
				i, in->seq);
			return 1;
		}
		ret = kipc_ring_recv_end(ring, slot);
		if (ret)
			die("stream recv end", ret);
	}
	t0 = now_ns() - t0;
	printf("spsc stream: %" PRIu64 " messages, %.0f ns each\n", n,
	       (double)t0 / n);
	kipc_ring_close(ring);
	return reap(pid);
}

static int consumer(struct kipc_ring *ring, struct tally *t, int nprod,
		    int in_place)
{
	uint64_t last[MAX_PROCS];
	struct msg m;
	int ret, p;

	for (p = 0; p < MAX_PROCS; p++)
		last[p] = UINT64_MAX;
	for (;;) {
		ret = recv_msg(ring, &m, in_place);
		if (ret)
			return 2;
		if (m.producer == STOP)
			return 0;
		if (m.producer >= (uint32_t)nprod || !msg_ok(&m) ||
		    (last[m.producer] != UINT64_MAX &&
		     m.seq <= last[m.producer])) {
			t->bad++;
			continue;
		}
		last[m.producer] = m.seq;
		t->count[m.producer]++;
		t->sum[m.producer] += m.seq;
	}
}

/* 3. @np producers and @nc consumers on one MPMC ring. */
static int mpmc(struct kipc_region *r, uint64_t tallies, uint32_t slots,
		uint64_t n, int np, int nc)
{
	struct tally *t = (struct tally *)((char *)kipc_region_base(r) + tallies);
	uint64_t per = n / np, i, count, sum, t0;
	pid_t pids[2 * MAX_PROCS];
	struct kipc_region *mine;
	struct kipc_ring *ring;
	struct msg m;
	int ret, p, c, fail = 0;

	memset(t, 0, nc * sizeof(*t));
	ret = kipc_ring_create(r, 0, slots, sizeof(m), KIPC_RING_MPMC, &ring);
	if (ret)
		die("ring_create mpmc", ret);
	t0 = now_ns();
	for (c = 0; c < nc; c++) {
		pids[c] = fork_with_handle(r, &mine);
		if (pids[c] == 0) {
			t = (struct tally *)((char *)kipc_region_base(mine) +
					     tallies);
			_exit(consumer(child_ring(mine, 0), &t[c], np,
				       c % 2));
		}
	}
	for (p = 0; p < np; p++) {
		pids[nc + p] = fork_with_handle(r, &mine);
		if (pids[nc + p] == 0) {
			ring = child_ring(mine, 0);
			for (i = 0; i < per; i++) {
				if (p % 2) {
					ret = send_in_place(ring, p, i);
				} else {
					msg_make(&m, p, i);
					ret = kipc_ring_send(ring, &m, 0, NULL);
				}
				if (ret)
					_exit(2);
			}
			_exit(0);
		}
	}
	for (p = 0; p < np; p++)
		fail |= reap(pids[nc + p]);
	for (c = 0; c < nc; c++) {
		msg_make(&m, STOP, 0);
		ret = kipc_ring_send(ring, &m, 0, NULL);
		if (ret)
			die("stop", ret);
	}
	for (c = 0; c < nc; c++)
		fail |= reap(pids[c]);
	t0 = now_ns() - t0;
	for (p = 0; p < np; p++) {
		count = sum = 0;
		for (c = 0; c < nc; c++) {
			count += t[c].count[p];
			sum += t[c].sum[p];
		}
		if (count != per || sum != per * (per - 1) / 2) {
			fprintf(stderr, "mpmc: producer %d: %" PRIu64 " of %" PRIu64 " messages\n",
				p, count, per);
			fail |= 1;
		}
	}
	for (c = 0; c < nc; c++)
		if (t[c].bad) {
			fprintf(stderr, "mpmc: consumer %d saw %" PRIu64 " bad or out-of-order messages\n",
				c, t[c].bad);
			fail |= 1;
		}
	printf("mpmc %dx%d: %" PRIu64 " messages, %.0f ns each\n", np, nc,
	       per * np, (double)t0 / (per * np));
	kipc_ring_close(ring);
	return fail;
}

int main(int argc, char **argv)
{
	uint64_t n = 1000000, half, bytes;
	int np = 2, nc = 2, opt, fail = 0, ret;
	uint32_t slots = 256;
	struct kipc_region *r;
	struct kipc *k;

	while ((opt = getopt(argc, argv, "n:p:c:s:")) != -1) {
		switch (opt) {
		case 'n': n = strtoull(optarg, NULL, 0); break;
		case 'p': np = atoi(optarg); break;
		case 'c': nc = atoi(optarg); break;
		case 's': slots = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: ring_pingpong [-n MESSAGES] [-p PRODUCERS] [-c CONSUMERS] [-s SLOTS]\n");
			return 2;
		}
	}
	if (!n || np < 1 || np > MAX_PROCS || nc < 1 || nc > MAX_PROCS ||
	    !kipc_ring_bytes(slots, sizeof(struct msg), KIPC_RING_MPMC)) {
		fprintf(stderr, "ring_pingpong: bad arguments\n");
		return 2;
	}
	half = (kipc_ring_bytes(slots, sizeof(struct msg), KIPC_RING_MPMC) +
		4095) & ~4095ULL;
	bytes = 2 * half + 4096 * 2;
	ret = kipc_open(&k, 0);
	if (!ret)
		ret = kipc_region_create(k, bytes, 0, 0, &r);
	if (ret)
		die("region", ret);
	fail |= pingpong(r, half, slots, n / 10 ? n / 10 : 1);
	fail |= stream(r, slots, n);
	fail |= mpmc(r, 2 * half, slots, n, np, nc);
	kipc_region_close(r);
	kipc_close(k);
	printf("%s\n", fail ? "FAILED" : "all sequence numbers checked");
	return fail ? (fail & 2 ? 2 : 1) : 0;
}
