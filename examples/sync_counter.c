// SPDX-License-Identifier: GPL-2.0
/*
 * sync_counter: the libkipc mutex and condition variable across processes.
 *
 * P processes each add 1 to a shared counter N times under a kipc_mutex;
 * the total must be P * N. Then a condition variable hands a "turn" word
 * round the P processes (each waits until the turn is its own, with a
 * deadline as a watchdog), and a final broadcast releases them all. Each
 * child waits through a region handle of its own, attached by the parent
 * before the fork (kipc_region_attach()).
 *
 * usage: sync_counter [-p PROCS] [-n ITERATIONS]
 * Exits 0 when the counts add up, 1 on a mismatch or a hang, 2 on an error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <kipc.h>

struct shared {
	struct kipc_mutex lock;
	struct kipc_cond turn_changed;
	uint32_t counter;
	uint32_t turn;
	uint32_t released;
	uint32_t gone;
};

static int child(struct kipc_region *r, struct shared *s, int me, int procs,
		 int n)
{
	struct timespec dl;
	int i, ret;

	for (i = 0; i < n; i++) {
		if (kipc_mutex_lock(r, &s->lock))
			return 2;
		s->counter++;
		if (kipc_mutex_unlock(r, &s->lock))
			return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += 30;
	if (kipc_mutex_lock(r, &s->lock))
		return 2;
	for (i = 0; i < 50; i++) {
		while (s->turn % procs != (uint32_t)me) {
			ret = kipc_cond_wait(r, &s->turn_changed, &s->lock, 0, &dl);
			if (ret) {
				fprintf(stderr, "child %d: cond_wait: %s\n", me,
					strerror(-ret));
				return 1;
			}
		}
		s->turn++;
		kipc_cond_broadcast(r, &s->turn_changed, &s->lock);
	}
	/* Everyone waits for the release, woken by one broadcast. */
	s->gone++;
	while (!s->released) {
		ret = kipc_cond_wait(r, &s->turn_changed, &s->lock, 0, &dl);
		if (ret) {
			fprintf(stderr, "child %d: release: %s\n", me,
				strerror(-ret));
			return 1;
		}
	}
	kipc_mutex_unlock(r, &s->lock);
	return 0;
}

int main(int argc, char **argv)
{
	int procs = 4, n = 100000, opt, i, st, fail = 0, ret;
	pid_t pids[64];
	struct kipc_region *r;
	struct shared *s;
	struct kipc *k;

	while ((opt = getopt(argc, argv, "p:n:")) != -1) {
		switch (opt) {
		case 'p': procs = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: sync_counter [-p PROCS] [-n ITERATIONS]\n");
			return 2;
		}
	}
	if (procs < 1 || procs > 64 || n < 0)
		return 2;
	ret = kipc_open(&k, 0);
	if (!ret)
		ret = kipc_region_create(k, 4096, 0, 0, &r);
	if (ret) {
		fprintf(stderr, "sync_counter: %s\n", strerror(-ret));
		return 2;
	}
	s = kipc_region_base(r);
	for (i = 0; i < procs; i++) {
		struct kipc_region *mine;

		/*
		 * The child's own handle, taken before the fork so that it
		 * holds it before anyone waits: the kernel judges a holder's
		 * death per handle and does not see a process through a
		 * handle it shares (kipc_mutex_lock(3)).
		 */
		ret = kipc_region_attach(r, 0, &mine);
		if (ret) {
			fprintf(stderr, "sync_counter: attach: %s\n",
				strerror(-ret));
			return 2;
		}
		pids[i] = fork();
		if (pids[i] == 0) {
			kipc_region_close(r);
			_exit(child(mine, kipc_region_base(mine), i, procs, n));
		}
		kipc_region_close(mine);
	}
	/* Release them once all are parked, with one broadcast. */
	for (;;) {
		kipc_mutex_lock(r, &s->lock);
		if (s->gone == (uint32_t)procs) {
			s->released = 1;
			kipc_cond_broadcast(r, &s->turn_changed, &s->lock);
			kipc_mutex_unlock(r, &s->lock);
			break;
		}
		kipc_mutex_unlock(r, &s->lock);
		usleep(1000);
	}
	for (i = 0; i < procs; i++) {
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			fail = 1;
	}
	printf("counter %u (want %u), turns %u (want %u), mutex word %u\n",
	       s->counter, (unsigned int)(procs * n), s->turn,
	       (unsigned int)(procs * 50), s->lock.word);
	if (s->counter != (uint32_t)(procs * n) ||
	    s->turn != (uint32_t)(procs * 50) || s->lock.word)
		fail = 1;
	kipc_region_close(r);
	kipc_close(k);
	return fail;
}
