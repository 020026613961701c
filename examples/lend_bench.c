// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * lend_bench: what lending costs against copying, in one run.
 *
 * For each size, three transfers that each end with the peer having read
 * one byte per page and the sender knowing it: a pipe transfer (a command
 * message, the bytes through a pipe, a 1-byte ack back), a
 * process_vm_writev() into the peer (the call, a command message, a 1-byte
 * ack back), and a lend cycle (send; the peer, polling, receives the
 * read-only mapping, reads it and releases it; the sender reaps the
 * completion). Medians (and minimums) of -r repeats, interleaved.
 * Also memcpy of 4 KiB, to set against the lend cost per page.
 *
 * usage: lend_bench [-s MAXSIZE] [-r REPEATS]
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

static pid_t peer;	/* the receiver, killed when the sender gives up */

/* A command: the bytes of a pipe transfer, or CMD_PVMW | bytes written. */
#define CMD_PVMW	(1ULL << 63)

static void die(const char *what, int err)
{
	fprintf(stderr, "lend_bench: %s: %s\n", what, strerror(err));
	if (peer > 0)
		kill(peer, SIGKILL);
	exit(1);
}

static int full_write(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

static int full_read(int fd, char *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t max = 4 << 20, size, pg = sysconf(_SC_PAGESIZE);
	struct kipc_chan *tx, *rx, *atx, *arx;
	int reps = 7, opt, data[2], ack[2], i, ret, status;
	struct kipc_lend_completion c;
	struct kipc_lendq *q;
	char *src, *dst, *tmp;
	struct kipc *k;
	double *t[3], m4k;
	pid_t pid;

	while ((opt = getopt(argc, argv, "s:r:")) != -1) {
		if (opt == 's')
			max = strtoull(optarg, &tmp, 0) << (*tmp == 'M' ? 20 : *tmp == 'K' ? 10 : 0);
		else if (opt == 'r')
			reps = atoi(optarg);
		else
			return 2;
	}
	if (reps < 1 || max < pg)
		return 2;
	ret = kipc_open(&k, 0);
	if (ret)
		die("kipc_open", -ret);
	if ((ret = kipc_lendq_create(k, 0, &q)) ||
	    (ret = kipc_channel_pair(k, NULL, &tx, &rx)) ||
	    (ret = kipc_channel_pair(k, NULL, &atx, &arx)))
		die("setup", -ret);
	if (pipe(data) || pipe(ack))
		die("pipe", errno);
	src = mmap(NULL, max, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, max, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		die("mmap", errno);
	memset(src, 'x', max);
	memset(dst, 0, max);

	pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid > 0)
		peer = pid;
	if (pid == 0) {
		/* The peer: serve pipe transfers and lends until told to stop. */
		struct pollfd pfd[2] = {
			{ .fd = kipc_channel_fd(arx), .events = POLLIN },
			{ .fd = kipc_channel_fd(rx), .events = POLLIN },
		};

		for (;;) {
			uint64_t cmd;
			const void *a;
			size_t len, n;
			volatile char sum = 0;

			if (poll(pfd, 2, -1) < 0)
				_exit(1);
			if (pfd[1].revents & POLLIN) {
				if (kipc_lend_recv(rx, &a, &len, NULL) != 1 || !a)
					_exit(1);
				for (n = 0; n < len; n += pg)
					sum += ((const char *)a)[n];
				if (kipc_lend_release(a, len))
					_exit(1);
			}
			if (!(pfd[0].revents & POLLIN))
				continue;
			if (kipc_channel_recv_bytes(arx, &cmd, sizeof(cmd), NULL, NULL) != 1)
				_exit(1);
			if (cmd == 0)
				_exit(0);
			if (cmd & CMD_PVMW) {
				/* process_vm_writev wrote dst: read it */
				for (n = 0; n < (cmd & ~CMD_PVMW); n += pg)
					sum += dst[n];
			} else if (full_read(data[0], dst, cmd)) {
				_exit(1);	/* pipe: cmd bytes */
			}
			if (write(ack[1], "a", 1) != 1)
				_exit(1);
		}
	}

	for (i = 0; i < 3; i++)
		t[i] = calloc(reps, sizeof(double));
	/* memcpy of one page. */
	{
		double v[64];

		for (i = 0; i < 64; i++) {
			double t0 = now_us();
			int j;

			for (j = 0; j < 256; j++) {
				memcpy(dst + (j % 16) * pg, src + (j % 16) * pg, pg);
				__asm__ __volatile__("" ::: "memory");
			}
			v[i] = (now_us() - t0) / 256;
		}
		m4k = median(v, 64);
	}
	printf("memcpy 4 KiB: %.3f us\n", m4k);
	printf("%9s %10s %10s %10s %8s %8s %9s  %s\n", "bytes", "pipe_us",
	       "pvmw_us", "lend_us", "l/pipe", "l/pvmw", "l_us/pg",
	       "min: pipe pvmw lend");
	for (size = pg; size <= max; size *= 4) {
		for (i = 0; i < reps; i++) {
			uint64_t cmd = size;
			struct iovec l = { src, size }, r = { dst, size };
			double t0;
			char a;

			/* pipe */
			t0 = now_us();
			if (kipc_channel_send_bytes(atx, &cmd, sizeof(cmd), 0) ||
			    full_write(data[1], src, size) || read(ack[0], &a, 1) != 1)
				die("pipe round", errno);
			t[0][i] = now_us() - t0;
			/* process_vm_writev, then the peer is told */
			t0 = now_us();
			if (process_vm_writev(pid, &l, 1, &r, 1, 0) == (ssize_t)size) {
				cmd = size | CMD_PVMW;
				if (kipc_channel_send_bytes(atx, &cmd, sizeof(cmd), 0) ||
				    read(ack[0], &a, 1) != 1)
					die("process_vm_writev round", errno);
				t[1][i] = now_us() - t0;
			} else if (errno == ENOSYS) {	/* !CROSS_MEMORY_ATTACH */
				t[1][i] = NAN;
			} else {
				die("process_vm_writev", errno);
			}
			/* lend cycle */
			t0 = now_us();
			ret = kipc_lend_send(tx, q, src, size, i, 0);
			if (ret)
				die("lend", -ret);
			ret = kipc_lendq_reap(q, &c, 1, 0);
			if (ret != 1 || c.status != KIPC_LEND_RELEASED)
				die("reap", ret < 0 ? -ret : EPROTO);
			t[2][i] = now_us() - t0;
		}
		{
			double p = median(t[0], reps), v = median(t[1], reps);
			double l = median(t[2], reps);

			/* median() sorted them: [0] is the minimum. */
			printf("%9zu %10.1f %10.1f %10.1f %8.3f %8.3f %9.3f  %.1f %.1f %.1f\n",
			       size, p, v, l, l / p, l / v, l / (size / pg),
			       t[0][0], t[1][0], t[2][0]);
		}
	}
	{
		uint64_t stop = 0;

		kipc_channel_send_bytes(atx, &stop, sizeof(stop), 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		die("peer", EPROTO);
	return 0;
}
