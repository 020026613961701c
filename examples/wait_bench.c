// SPDX-License-Identifier: GPL-2.0
/*
 * wait_bench: kipc wait queues and rings against their kernel baselines,
 * on the same memory, interleaved, reporting medians.
 *
 *   pingpong  two processes hand a word back and forth with
 *             kipc_wait/kipc_wake, and with a shared FUTEX_WAIT/FUTEX_WAKE
 *             (no FUTEX_PRIVATE_FLAG) on the very same region word:
 *             time per round trip.
 *   ring      a 64-byte message bounced over two SPSC kipc rings, and over
 *             two pipes: time per round trip.
 *   wake64    64 processes sleep on one word; one wake of all of them,
 *             kipc and futex: time from the wake call until the last
 *             sleeper runs, and the wake call alone.
 *
 * usage: wait_bench [-n ROUNDS] [-r REPEATS] [-w WAITERS] [-c CPU,CPU] [-T]
 *   -c  pin the two sides of pingpong and ring to these CPUs
 *   -T  pingpong between two threads of one process, not two processes:
 *       no address-space switch between the sides (under QEMU's TCG, each
 *       such switch empties the emulated TLB; Documentation/dev/performance.md)
 * Each figure is the median of REPEATS runs (default 5, at most 32), the
 * mechanisms taking turns within each repeat; the ratios are also given as
 * the median of each repeat's own ratio, which a drifting host load
 * disturbs least. Exits 0; 1 when kipc_wait() or kipc_wake() broke the
 * protocol (each case printed); 2 on an error.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>

#define MAX_REPEATS	32
#define MAX_WAITERS	256
#define WORD		0		/* ping-pong word */
#define GO		64		/* wake64 word */
#define READY		128		/* wake64: sleepers about to sleep */
#define COUNTS		256		/* struct counts */
#define STAMPS		4096		/* wake64: uint64_t woken_ns[] */
#define RINGS		(64 * 1024)	/* two rings */

static struct kipc_region *R;
static char *base;
static uint64_t ring_half;
static int cpu[2] = { -1, -1 };	/* -c: the sides' CPUs; -1: unpinned */
static cpu_set_t all_cpus;	/* the affinity before pin(0) */
static int threads;		/* -T */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "wait_bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(2);
}

/* Pin the calling thread to side @side's CPU, if -c gave one. */
static void pin(int side)
{
	cpu_set_t set;

	if (cpu[side] < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu[side], &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity", errno);
}

/* Side 0 is done: back to every CPU (wake64's sleepers inherit it). */
static void unpin(void)
{
	if (cpu[0] >= 0 && sched_setaffinity(0, sizeof(all_cpus), &all_cpus))
		die("sched_setaffinity", errno);
}

static uint32_t *word(uint64_t off)
{
	return (uint32_t *)(base + off);
}

/*
 * What the kipc calls returned, counted in the region: the children count
 * there too. kipc_wait() may return 0 (woken) or -EAGAIN (the word had
 * changed), the caller checks the word again either way; kipc_wake() the
 * number it woke, at most what it was asked to. Each wait that returned 0
 * was woken by a wake that counted it: over a run, woken == woke.
 */
struct counts {
	uint32_t woken;		/* kipc_wait() returned 0 */
	uint32_t woke;		/* the sum of kipc_wake()'s returns */
	uint32_t bad_wait, bad_wake;	/* unexpected returns */
	int32_t bad_wait_ret, bad_wake_ret;	/* the last of each */
};

static struct counts *counts(void)
{
	return (struct counts *)(base + COUNTS);
}

static int problems;		/* checks of a run that failed, printed */

static void kwait(uint64_t off, uint32_t v)
{
	struct counts *c = counts();
	int ret = kipc_wait(R, off, v, KIPC_BITSET_ANY, 0, NULL);

	if (!ret) {
		__atomic_fetch_add(&c->woken, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(word(off), __ATOMIC_RELAXED) == v)
			sched_yield();	/* a stale wake, or a wait that never sleeps */
	} else if (ret != -EAGAIN) {
		__atomic_fetch_add(&c->bad_wait, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&c->bad_wait_ret, ret, __ATOMIC_RELAXED);
		sched_yield();	/* the caller spins: let the other side run */
	}
}

/* kipc_wake() of up to @nr waiters, of whom at most @most are asleep. */
static void kwake(uint64_t off, uint32_t nr, int most)
{
	struct counts *c = counts();
	int ret = kipc_wake(R, off, nr, KIPC_BITSET_ANY);

	if (ret > 0)
		__atomic_fetch_add(&c->woke, ret, __ATOMIC_RELAXED);
	if (ret < 0 || ret > most) {
		__atomic_fetch_add(&c->bad_wake, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&c->bad_wake_ret, ret, __ATOMIC_RELAXED);
	}
}

/* A kipc run starts: no wait woken, no waiter woken. */
static void counts_start(void)
{
	counts()->woken = 0;
	counts()->woke = 0;
}

/* A kipc run ended, its children reaped: as many woken as the wakes woke. */
static void counts_check(const char *run)
{
	struct counts *c = counts();

	if (c->woken == c->woke)
		return;
	fprintf(stderr, "wait_bench: %s: kipc_wake() woke %u waiters, kipc_wait() returned woken %u times\n",
		run, c->woke, c->woken);
	problems++;
}

static void fwait(uint32_t *w, uint32_t v)
{
	syscall(SYS_futex, w, FUTEX_WAIT, v, NULL, NULL, 0);
}

static void fwake(uint32_t *w, int nr)
{
	syscall(SYS_futex, w, FUTEX_WAKE, nr, NULL, NULL, 0);
}

/* One side of the ping-pong: @n handoffs, waiting for parity @me. */
static void pp_side(int futex, int me, int n)
{
	uint32_t *w = word(WORD), v;
	int i;

	for (i = 0; i < n; i++) {
		while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) % 2 != (uint32_t)me) {
			if (futex)
				fwait(w, v);
			else
				kwait(WORD, v);
		}
		__atomic_store_n(w, v + 1, __ATOMIC_RELEASE);
		if (futex)
			fwake(w, 1);
		else
			kwake(WORD, 1, 1);
	}
}

static void reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child", EIO);
}

struct pp_args {
	int futex, n;
};

/* -T: side 1 of the ping-pong as a thread. */
static void *pp_thread(void *arg)
{
	const struct pp_args *a = arg;

	pin(1);
	pp_side(a->futex, 1, a->n);
	return NULL;
}

/* ns per round trip of the word ping-pong. */
static double pingpong(int futex, int n)
{
	struct pp_args a = { futex, n };
	pthread_t thread;
	uint64_t t0;
	pid_t pid = 0;
	int ret;

	*word(WORD) = 0;
	counts_start();
	pin(0);
	if (threads) {
		ret = pthread_create(&thread, NULL, pp_thread, &a);
		if (ret)
			die("pthread_create", ret);
	} else {
		pid = fork();
		if (pid == 0) {
			pin(1);
			pp_side(futex, 1, n);
			_exit(0);
		}
	}
	t0 = now_ns();
	pp_side(futex, 0, n);
	t0 = now_ns() - t0;
	if (threads)
		pthread_join(thread, NULL);
	else
		reap(pid);
	unpin();
	if (!futex)
		counts_check("pingpong");
	return (double)t0 / n;
}

struct msg64 {
	uint64_t w[8];
};

/* ns per round trip of a 64-byte message over rings (or pipes). */
static double ring_rt(int use_pipe, int n)
{
	struct kipc_ring *ab = NULL, *ba = NULL;
	int p1[2], p2[2], i, ret;
	struct msg64 m = { { 0 } };
	uint64_t t0;
	pid_t pid;

	if (use_pipe) {
		if (pipe(p1) || pipe(p2))
			die("pipe", errno);
	} else {
		ret = kipc_ring_create(R, RINGS, 64, sizeof(m), 0, &ab);
		if (!ret)
			ret = kipc_ring_create(R, RINGS + ring_half, 64,
					       sizeof(m), 0, &ba);
		if (ret)
			die("ring_create", ret);
	}
	pin(0);
	pid = fork();
	if (pid == 0) {
		pin(1);
		for (i = 0; i < n; i++) {
			if (use_pipe) {
				if (read(p1[0], &m, sizeof(m)) != sizeof(m) ||
				    write(p2[1], &m, sizeof(m)) != sizeof(m))
					_exit(1);
			} else if (kipc_ring_recv(ab, &m, 0, NULL) ||
				   kipc_ring_send(ba, &m, 0, NULL)) {
				_exit(1);
			}
		}
		_exit(0);
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		m.w[0] = i;
		if (use_pipe) {
			if (write(p1[1], &m, sizeof(m)) != sizeof(m) ||
			    read(p2[0], &m, sizeof(m)) != sizeof(m))
				die("pipe io", errno);
		} else if (kipc_ring_send(ab, &m, 0, NULL) ||
			   kipc_ring_recv(ba, &m, 0, NULL)) {
			die("ring io", EIO);
		}
		if (m.w[0] != (uint64_t)i)
			die("ring: wrong message", EIO);
	}
	t0 = now_ns() - t0;
	reap(pid);
	unpin();
	if (use_pipe) {
		close(p1[0]); close(p1[1]); close(p2[0]); close(p2[1]);
	} else {
		kipc_ring_close(ab);
		kipc_ring_close(ba);
	}
	return (double)t0 / n;
}

/* Whether @pid is asleep (state S). */
static int sleeping(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		ret = p && p[2] == 'S';
	}
	fclose(f);
	return ret;
}

/*
 * @nw processes sleep on GO; one call wakes them all. Return the ns until
 * the last one ran; *call_ns gets the wake call's own time.
 */
static double wake_all(int futex, int nw, double *call_ns)
{
	uint64_t *stamps = (uint64_t *)(base + STAMPS), t0, t1, last = 0;
	pid_t pids[MAX_WAITERS];
	int i, tries;

	*word(GO) = 0;
	*word(READY) = 0;
	counts_start();
	for (i = 0; i < nw; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			__atomic_fetch_add(word(READY), 1, __ATOMIC_SEQ_CST);
			while (!__atomic_load_n(word(GO), __ATOMIC_ACQUIRE)) {
				if (futex)
					fwait(word(GO), 0);
				else
					kwait(GO, 0);
			}
			stamps[i] = now_ns();
			_exit(0);
		}
	}
	while (__atomic_load_n(word(READY), __ATOMIC_ACQUIRE) < (uint32_t)nw)
		usleep(1000);
	/* A wait that does not sleep: said after 10 s, not a hang. */
	for (i = 0, tries = 0; i < nw; i++)
		while (!sleeping(pids[i]) && tries < 10000) {
			usleep(1000);
			if (++tries == 10000) {
				fprintf(stderr, "wait_bench: wake: sleeper %d not asleep after 10 s\n", i);
				problems++;
			}
		}
	usleep(20000);
	t0 = now_ns();
	__atomic_store_n(word(GO), 1, __ATOMIC_RELEASE);
	if (futex)
		fwake(word(GO), MAX_WAITERS);
	else
		kwake(GO, MAX_WAITERS, nw);
	t1 = now_ns();
	for (i = 0; i < nw; i++) {
		reap(pids[i]);
		if (stamps[i] > last)
			last = stamps[i];
	}
	if (!futex)
		counts_check("wake");
	*call_ns = t1 - t0;
	return last - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	double ppk[MAX_REPEATS], ppf[MAX_REPEATS], rr[MAX_REPEATS],
	       rp[MAX_REPEATS], wk[MAX_REPEATS], wf[MAX_REPEATS],
	       wkc[MAX_REPEATS], wfc[MAX_REPEATS], ppq[MAX_REPEATS],
	       rrq[MAX_REPEATS];
	int n = 20000, reps = 5, nw = 64, opt, i, ret;
	struct counts *c;
	struct kipc *k;

	while ((opt = getopt(argc, argv, "n:r:w:c:T")) != -1) {
		switch (opt) {
		case 'n': n = atoi(optarg); break;
		case 'r': reps = atoi(optarg); break;
		case 'w': nw = atoi(optarg); break;
		case 'c':
			if (sscanf(optarg, "%d,%d", &cpu[0], &cpu[1]) != 2 ||
			    cpu[0] < 0 || cpu[1] < 0 || cpu[0] >= CPU_SETSIZE ||
			    cpu[1] >= CPU_SETSIZE)
				die("-c takes two CPU numbers, e.g. 0,1", EINVAL);
			break;
		case 'T': threads = 1; break;
		default:
			fprintf(stderr, "usage: wait_bench [-n ROUNDS] [-r REPEATS] [-w WAITERS] [-c CPU,CPU] [-T]\n");
			return 2;
		}
	}
	if (n < 1 || reps < 1 || reps > MAX_REPEATS || nw < 1 ||
	    nw > MAX_WAITERS)
		die("bad arguments", EINVAL);
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus))
		die("sched_getaffinity", errno);
	ring_half = (kipc_ring_bytes(64, sizeof(struct msg64), 0) + 63) & ~63ULL;
	ret = kipc_open(&k, 0);
	if (!ret)
		ret = kipc_region_create(k, 256 * 1024, 0, 0, &R);
	if (ret)
		die("region", ret);
	base = kipc_region_base(R);
	for (i = 0; i < reps; i++) {
		/* Alternate which mechanism goes first. */
		if (i % 2) {
			ppf[i] = pingpong(1, n);
			ppk[i] = pingpong(0, n);
			rp[i] = ring_rt(1, n);
			rr[i] = ring_rt(0, n);
			wf[i] = wake_all(1, nw, &wfc[i]);
			wk[i] = wake_all(0, nw, &wkc[i]);
		} else {
			ppk[i] = pingpong(0, n);
			ppf[i] = pingpong(1, n);
			rr[i] = ring_rt(0, n);
			rp[i] = ring_rt(1, n);
			wk[i] = wake_all(0, nw, &wkc[i]);
			wf[i] = wake_all(1, nw, &wfc[i]);
		}
		ppq[i] = ppk[i] / ppf[i];
		rrq[i] = rp[i] / rr[i];
		printf("repeat %d: pingpong kipc %.0f futex %.0f ns; ring %.0f pipe %.0f ns; wake%d kipc %.0f futex %.0f us\n",
		       i, ppk[i], ppf[i], rr[i], rp[i], nw, wk[i] / 1e3,
		       wf[i] / 1e3);
	}
	printf("medians of %d repeats, %d rounds each; pingpong between two %s",
	       reps, n, threads ? "threads" : "processes");
	if (cpu[0] >= 0)
		printf(", sides on CPUs %d and %d", cpu[0], cpu[1]);
	printf(":\n");
	printf("  pingpong round trip  kipc %8.0f ns  futex %8.0f ns  kipc/futex %.3f\n",
	       median(ppk, reps), median(ppf, reps),
	       median(ppk, reps) / median(ppf, reps));
	printf("  64B ring round trip  ring %8.0f ns  pipe  %8.0f ns  pipe/ring  %.1fx\n",
	       median(rr, reps), median(rp, reps),
	       median(rp, reps) / median(rr, reps));
	/* Each repeat runs both back to back: their ratio cancels drift. */
	printf("  median of the %d repeats' own ratios: kipc/futex %.3f, pipe/ring %.1fx\n",
	       reps, median(ppq, reps), median(rrq, reps));
	printf("  wake %d sleepers     kipc %8.1f us  futex %8.1f us  (wake call: kipc %.1f us, futex %.1f us)\n",
	       nw, median(wk, reps) / 1e3, median(wf, reps) / 1e3,
	       median(wkc, reps) / 1e3, median(wfc, reps) / 1e3);
	c = counts();
	if (c->bad_wait)
		fprintf(stderr, "wait_bench: %u unexpected kipc_wait() returns, the last %d (%s)\n",
			c->bad_wait, c->bad_wait_ret, strerror(-c->bad_wait_ret));
	if (c->bad_wake)
		fprintf(stderr, "wait_bench: %u unexpected kipc_wake() returns, the last %d%s%s\n",
			c->bad_wake, c->bad_wake_ret, c->bad_wake_ret < 0 ? ": " : "",
			c->bad_wake_ret < 0 ? strerror(-c->bad_wake_ret) : "");
	ret = c->bad_wait || c->bad_wake || problems;
	kipc_region_close(R);
	kipc_close(k);
	return ret;
}
