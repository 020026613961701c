// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-stress: many processes hammer many regions and channels with random
 * sizes while a killer SIGKILLs them at random; after a bounded time every
 * counter must be back where it started.
 *
 * The parent runs G groups at once. A group is a region (random size and
 * buffer size) and 1-4 channels bound to it, created by the parent, then
 * 2-6 worker processes that inherit the fds, each attaching its own region
 * handle, and loop on random operations: allocate buffers, write them
 * through a mapping, send them with random inline bytes, receive, release,
 * create and drop private regions and channels, close ends. The parent
 * keeps one handle of each group's region (owning nothing) and closes its
 * channel fds. Every --kill-ms on average it SIGKILLs a random worker.
 * When all workers of a group are gone, the region must have every buffer
 * free and none in flight (REGION_INFO) before the parent drops it and
 * starts a new group. At the end: regions and channels created ==
 * destroyed (netlink stats-get) and none listed (dumps), and the pinned
 * pages of /proc/vmstat (nr_foll_pin_acquired - nr_foll_pin_released) back
 * to the value at the start. The runner checks that the module unloads.
 *
 * usage: kipc-stress [--seconds N] [--groups G] [--kill-ms MS] [--seed S]
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <kipc.h>

#include "dl.h"

#define MAX_GROUPS	16
#define MAX_WORKERS	6
#define MAX_CHANS	4

enum { OP_ALLOC, OP_SEND, OP_RECV, OP_RELEASE, OP_INFO, OP_PRIVATE,
       OP_ATTACH, OP_MMAP, OP_CLOSE_END, OP_NR };
static const char *op_names[OP_NR] = {
	"buf-alloc", "send", "recv", "buf-release", "region-info",
	"private-objects", "attach", "mmap", "close-end",
};

struct shared {
	unsigned long long ops[OP_NR];	/* calls made (atomic adds) */
	unsigned long long ok[OP_NR];	/* of which succeeded */
	unsigned long long unexpected;	/* errors no random use explains */
};
static struct shared *sh;

struct group {
	bool live;
	int region;		/* the parent's handle */
	uint32_t nr_bufs;
	uint64_t id;
	pid_t pid[MAX_WORKERS];
	int nr_workers;
};

static void count(int op, int r)
{
	__atomic_add_fetch(&sh->ops[op], 1, __ATOMIC_RELAXED);
	if (r >= 0)
		__atomic_add_fetch(&sh->ok[op], 1, __ATOMIC_RELAXED);
}

/* Errors a random worker can meet; anything else is reported. */
static void expect(int r, const char *what)
{
	switch (r) {
	case -EAGAIN: case -ETIMEDOUT: case -EPIPE: case -ENOBUFS:
	case -EMSGSIZE: case -EPERM: case -EINTR: case -EBADF: case -ENOMEM:
	case -EMFILE: case -ENOSPC: case -EDQUOT:
		return;
	}
	if (r >= 0)
		return;
	__atomic_add_fetch(&sh->unexpected, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "kipc-stress: pid %d: %s: unexpected %s\n", getpid(),
		what, strerror(-r));
}

struct owned {
	uint64_t off[64];
	int n;
};

static void worker(int ctx, int region_parent, uint64_t bytes, uint64_t bsz,
		   int *sends, int *recvs, const bool *bound, int nch,
		   uint64_t seed)
{
	uint64_t rs = seed;
	struct owned own = { .n = 0 };
	static char data[65536], rdata[65536];
	struct kipc_buf_ref refs[KIPC_MSG_BUFS_MAX], rrefs[KIPC_MSG_BUFS_MAX];
	struct kipc_msg m[4], rm[4];
	char *map = MAP_FAILED;
	int priv[24], npriv = 0;	/* private objects left open, oldest first */
	int h, i, r;

	h = kt_region_attach(region_parent, KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK);
	close(region_parent);
	if (h < 0) {
		expect(h, "attach");
		_exit(0);
	}
	if (!dl_below(&rs, 2))
		map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, h, 0);
	memset(data, 0xa5, sizeof(data));
	for (;;) {
		int op = dl_below(&rs, 100);
		int c = dl_below(&rs, nch);

		if (op < 20) {			/* buffers */
			__u64 off;

			if (own.n >= 64)
				continue;
			r = kt_buf_alloc(h, &off);	/* the handle is non-blocking */
			count(OP_ALLOC, r);
			expect(r, "buf-alloc");
			if (r >= 0) {
				own.off[own.n++] = off;
				if (map != MAP_FAILED)
					memset(map + off, (int)off, dl_below(&rs, bsz) + 1);
			}
		} else if (op < 45) {		/* send */
			uint32_t n = 1 + dl_below(&rs, 4), k;

			if (sends[c] < 0)
				continue;
			memset(m, 0, sizeof(m));
			for (k = 0; k < n; k++) {
				m[k].data = (uintptr_t)data;
				m[k].data_len = dl_below(&rs, 4) ? dl_below(&rs, 512) :
						dl_below(&rs, 8192);
				m[k].tag = dl_rand(&rs);
			}
			/* Hand over some owned buffers with the first message. */
			if (bound[c] && own.n && dl_below(&rs, 2)) {
				int nb = 1 + dl_below(&rs, own.n < 4 ? own.n : 4), b;

				for (b = 0; b < nb; b++) {
					refs[b].offset = own.off[own.n - 1 - b];
					refs[b].len = dl_below(&rs, bsz + 1);
				}
				m[0].bufs = (uintptr_t)refs;
				m[0].nr_bufs = nb;
			}
			r = dl_io(sends[c], KIPC_IOC_SEND, m, n, bound[c] ? h : -1,
				  dl_below(&rs, 3) ? -1 : (int)dl_below(&rs, 20));
			count(OP_SEND, r);
			expect(r, "send");
			if (r > 0 && m[0].nr_bufs)
				own.n -= m[0].nr_bufs;
		} else if (op < 70) {		/* receive */
			uint32_t n = 1 + dl_below(&rs, 4), k;

			if (recvs[c] < 0)
				continue;
			memset(rm, 0, sizeof(rm));
			for (k = 0; k < n; k++) {
				rm[k].data = (uintptr_t)rdata;
				rm[k].data_len = sizeof(rdata);
			}
			rm[0].bufs = (uintptr_t)rrefs;
			rm[0].nr_bufs = own.n <= 64 - 16 ? KIPC_MSG_BUFS_MAX : 0;
			/* Only the first may carry buffers: the others get none. */
			r = dl_io(recvs[c], KIPC_IOC_RECV, rm, rm[0].nr_bufs ? 1 : n,
				  bound[c] ? h : -1,
				  dl_below(&rs, 3) ? -1 : (int)dl_below(&rs, 20));
			count(OP_RECV, r);
			expect(r, "recv");
			if (r > 0)
				for (k = 0; k < rm[0].nr_bufs && k < 16; k++) {
					if (map != MAP_FAILED && rrefs[k].len)
						(void)*(volatile char *)(map + rrefs[k].offset);
					own.off[own.n++] = rrefs[k].offset;
				}
		} else if (op < 85) {		/* release */
			if (!own.n)
				continue;
			i = dl_below(&rs, own.n);
			r = kt_buf_release(h, own.off[i]);
			count(OP_RELEASE, r);
			expect(r, "buf-release");
			own.off[i] = own.off[--own.n];
		} else if (op < 90) {
			struct kipc_region_info ri;

			r = kt_region_info(h, &ri);
			count(OP_INFO, r);
			expect(r, "region-info");
		} else if (op < 95) {		/* private objects, left to close/exit */
			uint64_t pg = 4096, np = 1 + dl_below(&rs, 32), div = 1 + dl_below(&rs, np);
			int pr, s, rv, pm;

			while (np % div)
				div--;
			pr = kt_region_create(ctx, np * pg, dl_below(&rs, 4) ? (np / div) * pg : 0,
					      KIPC_FD_CLOEXEC, NULL);
			count(OP_PRIVATE, pr);
			expect(pr, "region-create");
			r = kt_channel_create(ctx, KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK,
					      dl_below(&rs, 8), dl_below(&rs, 3) * 1024,
					      dl_below(&rs, 2) ? pr : -1, &s, &rv);
			count(OP_PRIVATE, r);
			expect(r, "channel-create");
			/* Keep a few open (to exit with), within the per-user caps. */
			while (npriv > 21) {
				close(priv[0]);
				memmove(priv, priv + 1, --npriv * sizeof(priv[0]));
			}
			if (r >= 0) {
				struct kipc_msg pmsg = { .data = (uintptr_t)data, .data_len = 64 };

				pm = dl_io(s, KIPC_IOC_SEND, &pmsg, 1, -1, -1);
				expect(pm, "private send");
				/* Leave the message queued, or the ends open until exit. */
				if (dl_below(&rs, 2))
					close(s);
				else
					priv[npriv++] = s;
				if (dl_below(&rs, 2))
					close(rv);
				else
					priv[npriv++] = rv;
			}
			if (pr >= 0 && dl_below(&rs, 2))
				close(pr);
			else if (pr >= 0)
				priv[npriv++] = pr;
		} else if (op < 97) {
			r = kt_region_attach(h, KIPC_FD_CLOEXEC);
			count(OP_ATTACH, r);
			expect(r, "attach");
			if (r >= 0)
				close(r);
		} else if (op < 99) {
			char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, h, 0);

			count(OP_MMAP, p == MAP_FAILED ? -errno : 0);
			if (p != MAP_FAILED) {
				p[dl_below(&rs, bytes)] = 1;
				munmap(p, bytes);
			}
		} else {			/* drop one end of a shared channel */
			if (dl_below(&rs, 2)) {
				if (sends[c] >= 0)
					close(sends[c]);
				sends[c] = -1;
			} else {
				if (recvs[c] >= 0)
					close(recvs[c]);
				recvs[c] = -1;
			}
			count(OP_CLOSE_END, 0);
		}
	}
}

/*
 * What must return to its start once every worker is gone, as a table:
 * live regions and channels (created - destroyed), regions and channels
 * listed by netlink, pages pinned.
 */
enum { CNT_REGIONS, CNT_CHANNELS, CNT_LISTED_REGIONS, CNT_LISTED_CHANNELS,
       CNT_PINNED, CNT_NR };
static const char *const cnt_names[CNT_NR] = {
	"live regions", "live channels", "listed regions", "listed channels",
	"pinned pages",
};

static int count_cb(const void *st, void *arg)
{
	(*(long long *)arg)++;
	return 0;
}

/* Read every counter of the table: 0 or -errno. */
static int read_counters(struct kipc_nl *nl, long long c[CNT_NR])
{
	struct kipc_global_stats st;
	int r = kipc_stats_get(nl, &st);

	if (r < 0)
		return r;
	c[CNT_REGIONS] = st.regions_created - st.regions_destroyed;
	c[CNT_CHANNELS] = st.channels_created - st.channels_destroyed;
	c[CNT_LISTED_REGIONS] = c[CNT_LISTED_CHANNELS] = 0;
	r = kipc_region_stats_dump(nl, NULL, (kipc_region_cb)count_cb,
				   &c[CNT_LISTED_REGIONS]);
	if (r >= 0)
		r = kipc_channel_stats_dump(nl, NULL, (kipc_channel_cb)count_cb,
					    &c[CNT_LISTED_CHANNELS]);
	c[CNT_PINNED] = dl_vmstat("nr_foll_pin_acquired") -
			dl_vmstat("nr_foll_pin_released");
	return r < 0 ? r : 0;
}

/* The state of a run. */
struct run {
	int seconds, ngroups, kill_ms, ctx;
	uint64_t rs;
	struct kipc_nl *nl;
	struct group grp[MAX_GROUPS];
	unsigned long long started, killed, exited, groups_checked, deferred;
	int fail;
};

static int parse_args(struct run *run, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", 1, 0, 's' }, { "groups", 1, 0, 'g' },
		{ "kill-ms", 1, 0, 'k' }, { "seed", 1, 0, 'S' }, { 0 },
	};
	uint64_t seed = time(NULL);
	int o;

	run->seconds = 60;
	run->ngroups = 6;
	run->kill_ms = 100;
	while ((o = getopt_long(argc, argv, "s:g:k:S:", opts, NULL)) != -1) {
		switch (o) {
		case 's': run->seconds = atoi(optarg); break;
		case 'g': run->ngroups = atoi(optarg); break;
		case 'k': run->kill_ms = atoi(optarg); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: kipc-stress [--seconds N] [--groups G] "
				"[--kill-ms MS] [--seed S]\n");
			return -1;
		}
	}
	if (run->ngroups < 1 || run->ngroups > MAX_GROUPS)
		run->ngroups = MAX_GROUPS;
	run->rs = dl_seed(seed, 0);
	printf("kipc-stress: seed %llu, %d s, %d groups, a kill every %d ms on average\n",
	       (unsigned long long)seed, run->seconds, run->ngroups, run->kill_ms);
	fflush(stdout);
	return 0;
}

/*
 * Start group @g: a region, channels on it, workers sharing them. Return 0,
 * 1 when the per-user caps defer it, -1 on an unexpected error.
 */
static int start_group(struct run *run, struct group *g)
{
	uint64_t pg = 4096, np, bsz, bytes;
	int region, s[MAX_CHANS], r[MAX_CHANS], nch, k, w, cr;
	struct kipc_region_create rc;
	bool bound[MAX_CHANS];
	pid_t pid;

	np = 1 + dl_below(&run->rs, 64);
	bsz = (1 + dl_below(&run->rs, 4)) * pg;
	np = (np + bsz / pg - 1) / (bsz / pg) * (bsz / pg);
	bytes = np * pg;
	region = kt_region_create(run->ctx, bytes, bsz,
				  KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK, &rc);
	if (region == -ENOSPC)		/* the user's cap, for now */
		return 1;
	if (region < 0) {
		fprintf(stderr, "kipc-stress: region-create: %s\n", strerror(-region));
		return -1;
	}
	g->nr_bufs = rc.nr_bufs;
	nch = 1 + dl_below(&run->rs, MAX_CHANS);
	for (k = 0; k < nch; k++) {
		bound[k] = dl_below(&run->rs, 4) != 0;
		cr = kt_channel_create(run->ctx, KIPC_FD_CLOEXEC,
				       1 + dl_below(&run->rs, 16),
				       dl_below(&run->rs, 2) ? 0 : 8192,
				       bound[k] ? region : -1, &s[k], &r[k]);
		if (cr == -ENOSPC) {	/* the user's cap, for now */
			nch = k;
			break;
		}
		if (cr < 0) {
			fprintf(stderr, "kipc-stress: channel-create: %s\n",
				strerror(-cr));
			return -1;
		}
	}
	if (!nch) {
		close(region);
		return 1;
	}
	g->live = true;
	g->region = region;
	g->nr_workers = 2 + dl_below(&run->rs, MAX_WORKERS - 1);
	for (w = 0; w < g->nr_workers; w++) {
		uint64_t wseed = dl_rand(&run->rs);

		pid = fork();
		if (pid == 0) {
			kipc_nl_close(run->nl);
			worker(run->ctx, region, bytes, bsz, s, r, bound, nch, wseed);
		}
		g->pid[w] = pid;
		if (pid > 0)
			run->started++;
	}
	for (k = 0; k < nch; k++) {
		close(s[k]);
		close(r[k]);
	}
	return 0;
}

/* Once its workers are gone, every buffer of group @g's region is free. */
static void check_group(struct run *run, struct group *g, const char *when)
{
	struct kipc_region_info ri;

	if (kt_region_info(g->region, &ri) < 0 ||
	    ri.nr_free != ri.nr_bufs || ri.nr_in_flight || ri.nr_owned) {
		fprintf(stderr, "kipc-stress: region %llu %s: %u of %u buffers "
			"free, %u in flight, %u owned\n", (unsigned long long)ri.id,
			when, ri.nr_free, ri.nr_bufs, ri.nr_in_flight, ri.nr_owned);
		run->fail = 1;
	}
	run->groups_checked++;
	close(g->region);
	g->live = false;
}

/* Reap workers; check the groups none of whose workers is left. */
static void reap(struct run *run)
{
	struct group *g;
	int status, k, i;
	bool any;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			run->exited++;
		for (i = 0; i < run->ngroups; i++)
			for (k = 0; k < run->grp[i].nr_workers; k++)
				if (run->grp[i].pid[k] == pid ||
				    run->grp[i].pid[k] == -pid)
					run->grp[i].pid[k] = 0;
	}
	for (i = 0; i < run->ngroups; i++) {
		g = &run->grp[i];
		if (!g->live)
			continue;
		any = false;
		for (k = 0; k < g->nr_workers; k++)
			any |= g->pid[k] != 0;
		if (!any)
			check_group(run, g, "after its workers");
	}
}

/* SIGKILL worker @k of group @g if it is alive. */
static void kill_worker(struct run *run, struct group *g, int k)
{
	if (g->live && g->pid[k] > 0 && kill(g->pid[k], SIGKILL) == 0) {
		run->killed++;
		g->pid[k] = -g->pid[k];	/* killed, not reaped */
	}
}

/* SIGKILL a random worker. */
static void kill_one(struct run *run)
{
	struct group *g = &run->grp[dl_below(&run->rs, run->ngroups)];

	kill_worker(run, g, dl_below(&run->rs, g->nr_workers));
}

static void kill_all(struct run *run)
{
	int i, k;

	for (i = 0; i < run->ngroups; i++)
		for (k = 0; k < run->grp[i].nr_workers; k++)
			kill_worker(run, &run->grp[i], k);
}

int main(int argc, char **argv)
{
	long long c0[CNT_NR], c1[CNT_NR] = { 0 };
	struct run run = { 0 };
	double t0, t_end;
	int i, r;

	if (parse_args(&run, argc, argv))
		return 2;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	run.ctx = dl_open();
	if (run.ctx < 0 || sh == MAP_FAILED || kipc_nl_open(&run.nl, 0) < 0) {
		fprintf(stderr, "kipc-stress: setup failed\n");
		return 1;
	}
	if (read_counters(run.nl, c0) < 0) {
		fprintf(stderr, "kipc-stress: netlink statistics failed\n");
		return 1;
	}

	t0 = dl_now();
	t_end = t0 + run.seconds;
	while (!run.fail && dl_now() < t_end) {
		for (i = 0; i < run.ngroups && !run.fail; i++) {
			if (run.grp[i].live)
				continue;
			r = start_group(&run, &run.grp[i]);
			if (r > 0)
				run.deferred++;
			else if (r < 0)
				run.fail = 1;
		}
		usleep(1000 * (1 + dl_below(&run.rs, 2 * run.kill_ms)));
		kill_one(&run);
		reap(&run);
	}

	/* The end: kill everyone, check the groups once more. */
	kill_all(&run);
	while (wait(NULL) > 0)
		;
	for (i = 0; i < run.ngroups; i++)
		if (run.grp[i].live)
			check_group(&run, &run.grp[i], "at the end");
	close(run.ctx);

	/* Counters back to the start (closing is synchronous; allow a little
	 * time for anything deferred). */
	for (r = 0; r < 50; r++) {
		if (read_counters(run.nl, c1) < 0) {
			fprintf(stderr, "kipc-stress: netlink statistics failed\n");
			run.fail = 1;
			break;
		}
		if (!memcmp(c0, c1, sizeof(c0)))
			break;
		usleep(100000);
	}
	printf("kipc-stress: %.1f s, %llu processes started, %llu killed by SIGKILL, "
	       "%llu exited otherwise, %llu groups checked, %llu starts deferred by the caps\n",
	       dl_now() - t0, run.started, run.killed, run.exited,
	       run.groups_checked, run.deferred);
	for (i = 0; i < OP_NR; i++)
		printf("kipc-stress:   %-16s %10llu calls, %10llu succeeded\n",
		       op_names[i], sh->ops[i], sh->ok[i]);
	for (i = 0; i < CNT_NR; i++) {
		printf("kipc-stress: %s %lld -> %lld\n", cnt_names[i], c0[i], c1[i]);
		if (c0[i] != c1[i]) {
			fprintf(stderr, "kipc-stress: %s did not return to its start\n",
				cnt_names[i]);
			run.fail = 1;
		}
	}
	if (sh->unexpected) {
		fprintf(stderr, "kipc-stress: %llu unexpected errors\n", sh->unexpected);
		run.fail = 1;
	}
	if (run.exited) {
		fprintf(stderr, "kipc-stress: %llu workers died of something else "
			"than the killer\n", run.exited);
		run.fail = 1;
	}
	kipc_nl_close(run.nl);
	printf("kipc-stress: %s\n", run.fail ? "FAIL" : "PASS");
	return run.fail;
}
