// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: fan-out rows. N processes sleep on one shared word; one call
 * wakes them all. A row's figure is the time from just before the wake
 * call until the last sleeper runs (each sleeper stamps CLOCK_MONOTONIC
 * when it returns), one sample per repeat; the row's size is N.
 *
 *   futex-shared  FUTEX_WAIT / FUTEX_WAKE (shared, not private) on a word
 *                 of an anonymous shared mapping
 *   kipc-wait     kipc_wait() / kipc_wake() on a word of a kipc region
 *
 * Before the wake, every sleeper has said it is about to sleep and shows
 * as sleeping in /proc, and the parent waits 20 ms more, so that the wake
 * finds them all queued.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kipc-bench.h"

#ifdef KB_HAVE_LIBKIPC
#include <kipc.h>
#endif

#define KB_FANOUT_GO		0	/* the word slept on */
#define KB_FANOUT_READY		64	/* sleepers about to sleep */
#define KB_FANOUT_STAMPS	128	/* uint64_t woken_ns[N] */

const char *const kb_fanout_mechs[KB_NR_FANOUT] = {
	[KB_FANOUT_FUTEX]	= "futex-shared",
	[KB_FANOUT_KIPC]	= "kipc-wait",
};

/* The shared page(s) of a run, and how its mechanism sleeps and wakes. */
struct kb_fanout {
	enum kb_fanout_mech mech;
	char *base;
	size_t bytes;
#ifdef KB_HAVE_LIBKIPC
	struct kipc *k;
	struct kipc_region *r;
#endif
};

static uint32_t *kb_fanout_word(struct kb_fanout *f, size_t off)
{
	return (uint32_t *)(f->base + off);
}

static void kb_fanout_sleep(struct kb_fanout *f)
{
	uint32_t *go = kb_fanout_word(f, KB_FANOUT_GO);

	while (!__atomic_load_n(go, __ATOMIC_ACQUIRE)) {
#ifdef KB_HAVE_LIBKIPC
		if (f->mech == KB_FANOUT_KIPC) {
			kipc_wait(f->r, KB_FANOUT_GO, 0, 0, 0, NULL);
			continue;
		}
#endif
		syscall(SYS_futex, go, FUTEX_WAIT, 0, NULL, NULL, 0);
	}
}

static void kb_fanout_wake(struct kb_fanout *f)
{
	uint32_t *go = kb_fanout_word(f, KB_FANOUT_GO);

	__atomic_store_n(go, 1, __ATOMIC_RELEASE);
#ifdef KB_HAVE_LIBKIPC
	if (f->mech == KB_FANOUT_KIPC) {
		kipc_wake(f->r, KB_FANOUT_GO, UINT32_MAX, 0);
		return;
	}
#endif
	syscall(SYS_futex, go, FUTEX_WAKE, KB_FANOUT_MAX, NULL, NULL, 0);
}

static int kb_fanout_setup(struct kb_fanout *f, size_t n, char *why,
			   size_t len)
{
	f->bytes = (KB_FANOUT_STAMPS + n * sizeof(uint64_t) + 4095) & ~4095UL;
	if (f->mech == KB_FANOUT_FUTEX) {
		/* Shared with the sleepers forked later, unlike kb_map()'s. */
		f->base = mmap(NULL, f->bytes, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (f->base == MAP_FAILED) {
			f->base = NULL;
			return kb_err(-errno, why, len, "mmap");
		}
		return 0;
	}
#ifdef KB_HAVE_LIBKIPC
	{
		int ret = kipc_open(&f->k, 0);

		if (!ret)
			ret = kipc_region_create(f->k, f->bytes, 0, 0, &f->r);
		if (ret)
			return kb_err(ret, why, len, "kipc region");
		f->base = kipc_region_base(f->r);
		return 0;
	}
#else
	return kb_err(-ENOTSUP, why, len, "built without libkipc");
#endif
}

static void kb_fanout_teardown(struct kb_fanout *f)
{
#ifdef KB_HAVE_LIBKIPC
	if (f->mech == KB_FANOUT_KIPC) {
		if (f->r)
			kipc_region_close(f->r);
		if (f->k)
			kipc_close(f->k);
		return;
	}
#endif
	if (f->base)
		munmap(f->base, f->bytes);
}

/* Whether @pid shows as sleeping ('S') in /proc/PID/stat. */
static bool kb_fanout_sleeping(pid_t pid)
{
	char path[64], buf[256], *p;
	bool ret = false;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "r");
	if (!fp)
		return false;
	if (fgets(buf, sizeof(buf), fp)) {
		p = strrchr(buf, ')');
		ret = p && p[1] == ' ' && p[2] == 'S';
	}
	fclose(fp);
	return ret;
}

/**
 * kb_run_fanout() - one repeat of a fan-out row
 * @mech:	KB_FANOUT_FUTEX or KB_FANOUT_KIPC
 * @n:		sleepers, 1 to KB_FANOUT_MAX
 * @run:	zeroed by the caller: gets one message of the time until the
 *		last sleeper ran
 *
 * Return: 0, or -errno with the reason in @why (-ENOTSUP: the mechanism is
 * not available in this build).
 */
int kb_run_fanout(enum kb_fanout_mech mech, size_t n, struct kb_run *run,
		  char *why, size_t len)
{
	struct kb_fanout f = { .mech = mech };
	pid_t pids[KB_FANOUT_MAX];
	uint64_t *stamps, t0, last = 0;
	size_t i, started = 0;
	int ret, st, waited;

	if (!n || n > KB_FANOUT_MAX)
		return kb_err(-EINVAL, why, len, "fan-out size (1 to 256 sleepers)");
	ret = kb_fanout_setup(&f, n, why, len);
	if (ret)
		goto out;
	stamps = (uint64_t *)(f.base + KB_FANOUT_STAMPS);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			ret = kb_err(-errno, why, len, "fork");
			break;
		}
		if (pids[i] == 0) {
			__atomic_fetch_add(kb_fanout_word(&f, KB_FANOUT_READY), 1,
					   __ATOMIC_SEQ_CST);
			kb_fanout_sleep(&f);
			stamps[i] = kb_now_ns();
			_exit(0);
		}
		started++;
	}
	if (!ret) {
		for (waited = 0; __atomic_load_n(kb_fanout_word(&f, KB_FANOUT_READY),
						 __ATOMIC_ACQUIRE) < n; waited++) {
			if (waited > 30000) {
				ret = kb_err(-ETIMEDOUT, why, len, "sleepers starting");
				break;
			}
			usleep(1000);
		}
		for (i = 0; !ret && i < n; i++)
			for (waited = 0; !kb_fanout_sleeping(pids[i]); waited++) {
				if (waited > 30000) {
					ret = kb_err(-ETIMEDOUT, why, len,
						     "sleepers sleeping");
					break;
				}
				usleep(1000);
			}
		usleep(20000);
	}
	t0 = kb_now_ns();
	kb_fanout_wake(&f);	/* also on failure: lets every sleeper go */
	for (i = 0; i < started; i++) {
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			ret = ret ? ret : kb_err(-ECHILD, why, len, "a sleeper");
		if (stamps[i] > last)
			last = stamps[i];
	}
	if (!ret) {
		run->iterations = 1;
		run->messages = 1;
		run->elapsed_ns = last > t0 ? last - t0 : 1;
	}
out:
	kb_fanout_teardown(&f);
	return ret;
}
