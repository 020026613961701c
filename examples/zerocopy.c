// SPDX-License-Identifier: GPL-2.0
/*
 * zerocopy: send one large region buffer to another process without a copy,
 * then the same bytes through a pipe, and compare.
 *
 * The parent creates a region whose pool holds one buffer of SIZE bytes
 * (64 MiB by default) and a channel bound to it, and forks. In each round it
 * allocates the buffer, fills it with a pattern, and sends it: only
 * ownership moves, the child reads the very same pages through its own
 * mapping, checks every byte and releases the buffer. Then the parent writes
 * the same SIZE bytes into a pipe; the child reads them into its own memory
 * and checks them. The child reports its timings back over a second kipc
 * channel (inline bytes). Both transfers are timed in the same run, from
 * the parent's first system call to the child holding the last byte, on
 * CLOCK_MONOTONIC; checking the bytes is timed apart.
 *
 * Exits 0 when every byte matched, 1 on a mismatch, 2 on an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <kipc.h>

#define MIB		((uint64_t)1 << 20)

/* What the child tells the parent after each transfer. */
struct report {
	uint64_t have_ns;	/* when the last byte was in the child's hands */
	uint64_t checked_ns;	/* when every byte was checked */
	uint64_t bad;		/* bytes that did not match */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The pattern of round @round: every 8-byte word differs, every round too. */
static void fill(void *p, uint64_t bytes, uint64_t round)
{
	uint64_t *w = p, i;

	for (i = 0; i < bytes / 8; i++)
		w[i] = (i * 0x9e3779b97f4a7c15ULL) ^ (round << 56 | round);
}

static uint64_t check(const void *p, uint64_t bytes, uint64_t round)
{
	const uint64_t *w = p;
	uint64_t i, bad = 0;

	for (i = 0; i < bytes / 8; i++) {
		uint64_t diff = w[i] ^ ((i * 0x9e3779b97f4a7c15ULL) ^
					(round << 56 | round));
		int b;

		for (b = 0; diff && b < 8; b++, diff >>= 8)
			bad += (diff & 0xff) != 0;
	}
	return bad;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "zerocopy: %s: %s\n", what, strerror(err));
	exit(2);
}

static void child(struct kipc_region *mine, struct kipc_chan *rx,
		  struct kipc_chan *reply, int pipe_rd, uint64_t bytes,
		  unsigned int rounds)
{
	unsigned int round;
	struct report rep;
	uint64_t off, len, tag, got;
	char *copy;
	ssize_t n;
	int ret;

	copy = malloc(bytes);
	if (!copy)
		die("child: malloc", ENOMEM);
	for (round = 1; round <= rounds; round++) {
		/* kipc: ownership of the buffer moves to our handle. */
		ret = kipc_buf_recv(rx, mine, &off, &len, &tag);
		rep.have_ns = now_ns();
		if (ret <= 0)
			die("child: kipc_buf_recv", ret ? -ret : EPIPE);
		if (off == KIPC_BUF_NONE || len != bytes || tag != round)
			die("child: unexpected message", EPROTO);
		rep.bad = check(kipc_buf_ptr(mine, off), len, round);
		rep.checked_ns = now_ns();
		ret = kipc_buf_release(mine, off);
		if (ret < 0)
			die("child: kipc_buf_release", -ret);
		ret = kipc_channel_send_bytes(reply, &rep, sizeof(rep), round);
		if (ret < 0)
			die("child: kipc_channel_send_bytes", -ret);

		/* The pipe: the same bytes, copied in and out of the kernel. */
		for (got = 0; got < bytes; got += n) {
			n = read(pipe_rd, copy + got, bytes - got);
			if (n <= 0)
				die("child: read", n ? errno : EPIPE);
		}
		rep.have_ns = now_ns();
		rep.bad = check(copy, bytes, round);
		rep.checked_ns = now_ns();
		ret = kipc_channel_send_bytes(reply, &rep, sizeof(rep), round);
		if (ret < 0)
			die("child: kipc_channel_send_bytes", -ret);
	}
	kipc_region_close(mine);
	exit(0);
}

static void get_report(struct kipc_chan *reply, unsigned int round,
		       struct report *rep)
{
	uint64_t tag;
	size_t len;
	int ret;

	ret = kipc_channel_recv_bytes(reply, rep, sizeof(*rep), &len, &tag);
	if (ret == 0)
		die("the child exited early", EPIPE);
	if (ret < 0)
		die("kipc_channel_recv_bytes", -ret);
	if (len != sizeof(*rep) || tag != round)
		die("unexpected report", EPROTO);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	}
	if (*end || !v) {
		fprintf(stderr, "zerocopy: bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

static void usage(FILE *f, int status)
{
	fprintf(f,
		"usage: zerocopy [-s SIZE] [-r ROUNDS]\n"
		"  -s SIZE    bytes per transfer, a multiple of the page size,\n"
		"             with K, M or G (default 64M)\n"
		"  -r ROUNDS  transfers of each kind (default 3)\n");
	exit(status);
}

int main(int argc, char **argv)
{
	uint64_t bytes = 64 * MIB, best_kipc = UINT64_MAX, best_pipe = UINT64_MAX;
	struct kipc_chan *tx, *rx, *reply_tx, *reply_rx;
	unsigned int rounds = 3, round;
	struct kipc_region *r, *mine;
	struct kipc *k;
	int pfd[2], opt, ret, status, failed = 0;
	pid_t pid;
	char *src;

	while ((opt = getopt(argc, argv, "s:r:h")) != -1) {
		switch (opt) {
		case 's': bytes = parse_size(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	}
	if (!rounds || bytes % sysconf(_SC_PAGESIZE))
		usage(stderr, 2);

	ret = kipc_open(&k, 0);
	if (ret < 0)
		die(ret == -ENOENT ? "/dev/kipc (is the module loaded?)" :
				     "kipc_open", -ret);
	/* One buffer of @bytes: the whole region. */
	ret = kipc_region_create(k, bytes, bytes, 0, &r);
	if (ret < 0)
		die("kipc_region_create", -ret);
	ret = kipc_channel_pair(k, r, &tx, &rx);
	if (ret < 0)
		die("kipc_channel_pair", -ret);
	ret = kipc_channel_pair(k, NULL, &reply_tx, &reply_rx);
	if (ret < 0)
		die("kipc_channel_pair", -ret);
	if (pipe2(pfd, O_CLOEXEC))
		die("pipe2", errno);
	/* The largest pipe an unprivileged user may ask for: the pipe's best. */
	fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20);
	src = malloc(bytes);
	if (!src)
		die("malloc", ENOMEM);
	kipc_close(k);
	/*
	 * The child's handle of its own, made before fork(), as
	 * kipc_region_open_fd(3) says: the buffers it receives are its, and
	 * go back to the pool if it dies. It closes the parent's.
	 */
	ret = kipc_region_attach(r, 0, &mine);
	if (ret < 0)
		die("kipc_region_attach", -ret);

	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		/* Close the ends we do not use, so that peer death is seen. */
		kipc_channel_close(tx);
		kipc_channel_close(reply_rx);
		kipc_region_close(r);
		close(pfd[1]);
		free(src);
		child(mine, rx, reply_tx, pfd[0], bytes, rounds);
	}
	kipc_region_close(mine);
	kipc_channel_close(rx);
	kipc_channel_close(reply_tx);
	close(pfd[0]);

	printf("zerocopy: %" PRIu64 " MiB, %u rounds, child pid %d\n",
	       bytes / MIB, rounds, (int)pid);
	for (round = 1; round <= rounds; round++) {
		struct report kr, pr;
		uint64_t off, t0, t_kipc, t_pipe, put;
		ssize_t n;

		ret = kipc_buf_alloc(r, &off);
		if (ret < 0)
			die("kipc_buf_alloc", -ret);
		fill(kipc_buf_ptr(r, off), bytes, round);
		t0 = now_ns();
		ret = kipc_buf_send(tx, r, off, bytes, round);
		if (ret < 0)
			die("kipc_buf_send", -ret);
		get_report(reply_rx, round, &kr);
		t_kipc = kr.have_ns - t0;

		fill(src, bytes, round);
		t0 = now_ns();
		for (put = 0; put < bytes; put += n) {
			n = write(pfd[1], src + put, bytes - put);
			if (n < 0)
				die("write", errno);
		}
		get_report(reply_rx, round, &pr);
		t_pipe = pr.have_ns - t0;

		printf("round %u: kipc channel %10.3f ms (child checked it in %.1f ms, %"
		       PRIu64 " bad bytes)\n", round, t_kipc / 1e6,
		       (kr.checked_ns - kr.have_ns) / 1e6, kr.bad);
		printf("         pipe         %10.3f ms (child checked it in %.1f ms, %"
		       PRIu64 " bad bytes)\n", t_pipe / 1e6,
		       (pr.checked_ns - pr.have_ns) / 1e6, pr.bad);
		failed |= kr.bad || pr.bad;
		if (t_kipc < best_kipc)
			best_kipc = t_kipc;
		if (t_pipe < best_pipe)
			best_pipe = t_pipe;
	}
	close(pfd[1]);
	kipc_channel_close(tx);
	kipc_channel_close(reply_rx);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "zerocopy: the child failed (status %#x)\n", status);
		return 2;
	}
	kipc_region_close(r);
	free(src);

	printf("best of %u: %" PRIu64 " MiB through a kipc channel in %.3f ms, "
	       "through a pipe in %.3f ms: the pipe took %.0fx as long\n",
	       rounds, bytes / MIB, best_kipc / 1e6, best_pipe / 1e6,
	       (double)best_pipe / (best_kipc ? best_kipc : 1));
	if (failed) {
		printf("zerocopy: FAIL, the child saw bytes that differ\n");
		return 1;
	}
	printf("zerocopy: every byte matched, both ways\n");
	return 0;
}
