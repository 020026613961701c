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

	h = dl_region_attach(region_parent, KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK);
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
			uint64_t off;

			if (own.n >= 64)
				continue;
			r = dl_buf_alloc(h, &off);	/* the handle is non-blocking */
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
			r = dl_buf_release(h, own.off[i]);
			count(OP_RELEASE, r);
			expect(r, "buf-release");
			own.off[i] = own.off[--own.n];
		} else if (op < 90) {
			struct kipc_region_info ri;

			r = dl_region_info(h, &ri);
			count(OP_INFO, r);
			expect(r, "region-info");
		} else if (op < 95) {		/* private objects, left to close/exit */
			uint32_t nb;
			uint64_t pg = 4096, np = 1 + dl_below(&rs, 32), div = 1 + dl_below(&rs, np);
			int pr, s, rv, pm;

			while (np % div)
				div--;
			pr = dl_region_create(ctx, np * pg, dl_below(&rs, 4) ? (np / div) * pg : 0,
					      KIPC_FD_CLOEXEC, &nb);
			count(OP_PRIVATE, pr);
			expect(pr, "region-create");
			r = dl_channel_create(ctx, dl_below(&rs, 8), dl_below(&rs, 3) * 1024,
					      dl_below(&rs, 2) ? pr : -1,
					      KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK, &s, &rv);
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
			r = dl_region_attach(h, KIPC_FD_CLOEXEC);
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

static int nl_counts(struct kipc_nl *nl, long long *regions, long long *chans)
{
	struct kipc_global_stats st;
	int r = kipc_stats_get(nl, &st);

	if (r < 0)
		return r;
	*regions = st.regions_created - st.regions_destroyed;
	*chans = st.channels_created - st.channels_destroyed;
	return 0;
}

static int count_cb(const void *st, void *arg)
{
	(*(long long *)arg)++;
	return 0;
}

static int listed(struct kipc_nl *nl, long long *regions, long long *chans)
{
	int r;

	*regions = *chans = 0;
	r = kipc_region_stats_dump(nl, NULL, (kipc_region_cb)count_cb, regions);
	if (r >= 0)
		r = kipc_channel_stats_dump(nl, NULL, (kipc_channel_cb)count_cb, chans);
	return r;
}

int main(int argc, char **argv)
{
	int seconds = 60, ngroups = 6, kill_ms = 100, ctx, g, k, fail = 0;
	uint64_t seed = time(NULL), rs;
	unsigned long long started = 0, killed = 0, exited = 0, groups_done = 0,
			   groups_checked = 0, deferred = 0;
	long long reg0, ch0, lreg0, lch0, reg1 = 0, ch1 = 0, lreg1 = 0, lch1 = 0;
	long long pin_a0, pin_r0, pin_a1 = 0, pin_r1 = 0;
	struct group grp[MAX_GROUPS] = { 0 };
	struct kipc_nl *nl;
	double t0, t_end;
	static const struct option opts[] = {
		{ "seconds", 1, 0, 's' }, { "groups", 1, 0, 'g' },
		{ "kill-ms", 1, 0, 'k' }, { "seed", 1, 0, 'S' }, { 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "s:g:k:S:", opts, NULL)) != -1) {
		switch (o) {
		case 's': seconds = atoi(optarg); break;
		case 'g': ngroups = atoi(optarg); break;
		case 'k': kill_ms = atoi(optarg); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: kipc-stress [--seconds N] [--groups G] "
				"[--kill-ms MS] [--seed S]\n");
			return 2;
		}
	}
	if (ngroups < 1 || ngroups > MAX_GROUPS)
		ngroups = MAX_GROUPS;
	rs = dl_seed(seed, 0);
	printf("kipc-stress: seed %llu, %d s, %d groups, a kill every %d ms on average\n",
	       (unsigned long long)seed, seconds, ngroups, kill_ms);
	fflush(stdout);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ctx = dl_open();
	if (ctx < 0 || sh == MAP_FAILED || kipc_nl_open(&nl, 0) < 0) {
		fprintf(stderr, "kipc-stress: setup failed\n");
		return 1;
	}
	if (nl_counts(nl, &reg0, &ch0) < 0 || listed(nl, &lreg0, &lch0) < 0) {
		fprintf(stderr, "kipc-stress: netlink statistics failed\n");
		return 1;
	}
	pin_a0 = dl_vmstat("nr_foll_pin_acquired");
	pin_r0 = dl_vmstat("nr_foll_pin_released");

	t0 = dl_now();
	t_end = t0 + seconds;
	while (dl_now() < t_end) {
		int status;
		pid_t pid;

		/* Start groups. */
		for (g = 0; g < ngroups; g++) {
			uint64_t pg = 4096, np, bsz, bytes;
			int region, s[MAX_CHANS], r[MAX_CHANS], nch, w;
			bool bound[MAX_CHANS];

			if (grp[g].live)
				continue;
			np = 1 + dl_below(&rs, 64);
			bsz = (1 + dl_below(&rs, 4)) * pg;
			np = (np + bsz / pg - 1) / (bsz / pg) * (bsz / pg);
			bytes = np * pg;
			region = dl_region_create(ctx, bytes, bsz,
						  KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK,
						  &grp[g].nr_bufs);
			if (region == -ENOSPC) {	/* the user's cap, for now */
				deferred++;
				continue;
			}
			if (region < 0) {
				fprintf(stderr, "kipc-stress: region-create: %s\n",
					strerror(-region));
				fail = 1;
				goto out;
			}
			nch = 1 + dl_below(&rs, MAX_CHANS);
			for (k = 0; k < nch; k++) {
				int cr;

				bound[k] = dl_below(&rs, 4) != 0;
				cr = dl_channel_create(ctx, 1 + dl_below(&rs, 16),
						       dl_below(&rs, 2) ? 0 : 8192,
						       bound[k] ? region : -1,
						       KIPC_FD_CLOEXEC, &s[k], &r[k]);
				if (cr == -ENOSPC) {	/* the user's cap, for now */
					nch = k;
					break;
				}
				if (cr < 0) {
					fprintf(stderr, "kipc-stress: channel-create: %s\n",
						strerror(-cr));
					fail = 1;
					goto out;
				}
			}
			if (!nch) {
				deferred++;
				close(region);
				continue;
			}
			grp[g].live = true;
			grp[g].region = region;
			grp[g].nr_workers = 2 + dl_below(&rs, MAX_WORKERS - 1);
			for (w = 0; w < grp[g].nr_workers; w++) {
				uint64_t wseed = dl_rand(&rs);

				pid = fork();
				if (pid == 0) {
					kipc_nl_close(nl);
					worker(ctx, region, bytes, bsz, s, r, bound, nch, wseed);
				}
				grp[g].pid[w] = pid;
				if (pid > 0)
					started++;
			}
			for (k = 0; k < nch; k++) {
				close(s[k]);
				close(r[k]);
			}
		}

		/* Kill one at random. */
		usleep(1000 * (1 + dl_below(&rs, 2 * kill_ms)));
		g = dl_below(&rs, ngroups);
		k = dl_below(&rs, grp[g].nr_workers);
		if (grp[g].live && grp[g].pid[k] > 0 && kill(grp[g].pid[k], SIGKILL) == 0) {
			killed++;
			grp[g].pid[k] = -grp[g].pid[k];	/* killed, not reaped */
		}

		/* Reap; check the groups that are done. */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
				exited++;
			for (g = 0; g < ngroups; g++)
				for (k = 0; k < grp[g].nr_workers; k++)
					if (grp[g].pid[k] == pid || grp[g].pid[k] == -pid)
						grp[g].pid[k] = 0;
		}
		for (g = 0; g < ngroups; g++) {
			struct kipc_region_info ri;
			bool any = false;

			if (!grp[g].live)
				continue;
			for (k = 0; k < grp[g].nr_workers; k++)
				any |= grp[g].pid[k] != 0;
			if (any)
				continue;
			if (dl_region_info(grp[g].region, &ri) < 0 ||
			    ri.nr_free != ri.nr_bufs || ri.nr_in_flight || ri.nr_owned) {
				fprintf(stderr, "kipc-stress: region %llu after its workers: "
					"%u of %u buffers free, %u in flight, %u owned\n",
					(unsigned long long)ri.id, ri.nr_free, ri.nr_bufs,
					ri.nr_in_flight, ri.nr_owned);
				fail = 1;
			}
			groups_checked++;
			close(grp[g].region);
			grp[g].live = false;
			groups_done++;
		}
	}
out:
	/* The end: kill everyone, check the groups once more. */
	for (g = 0; g < ngroups; g++)
		for (k = 0; k < grp[g].nr_workers; k++)
			if (grp[g].live && grp[g].pid[k] > 0 &&
			    kill(grp[g].pid[k], SIGKILL) == 0)
				killed++;
	while (wait(NULL) > 0)
		;
	for (g = 0; g < ngroups; g++) {
		struct kipc_region_info ri;

		if (!grp[g].live)
			continue;
		if (dl_region_info(grp[g].region, &ri) < 0 ||
		    ri.nr_free != ri.nr_bufs || ri.nr_in_flight || ri.nr_owned) {
			fprintf(stderr, "kipc-stress: region %llu at the end: %u of %u "
				"buffers free, %u in flight, %u owned\n",
				(unsigned long long)ri.id, ri.nr_free, ri.nr_bufs,
				ri.nr_in_flight, ri.nr_owned);
			fail = 1;
		}
		groups_checked++;
		close(grp[g].region);
	}
	close(ctx);

	/* Counters back to the start (closing is synchronous; allow a little
	 * time for anything deferred). */
	for (k = 0; k < 50; k++) {
		if (nl_counts(nl, &reg1, &ch1) < 0 || listed(nl, &lreg1, &lch1) < 0) {
			fprintf(stderr, "kipc-stress: netlink statistics failed\n");
			fail = 1;
			break;
		}
		pin_a1 = dl_vmstat("nr_foll_pin_acquired");
		pin_r1 = dl_vmstat("nr_foll_pin_released");
		if (reg1 == reg0 && ch1 == ch0 && lreg1 == lreg0 && lch1 == lch0 &&
		    pin_a1 - pin_r1 == pin_a0 - pin_r0)
			break;
		usleep(100000);
	}
	printf("kipc-stress: %.1f s, %llu processes started, %llu killed by SIGKILL, "
	       "%llu exited otherwise, %llu groups checked, %llu starts deferred by the caps\n",
	       dl_now() - t0, started, killed, exited, groups_checked, deferred);
	for (k = 0; k < OP_NR; k++)
		printf("kipc-stress:   %-16s %10llu calls, %10llu succeeded\n",
		       op_names[k], sh->ops[k], sh->ok[k]);
	printf("kipc-stress: live regions %lld -> %lld, channels %lld -> %lld; "
	       "listed regions %lld -> %lld, channels %lld -> %lld; "
	       "pinned pages %lld -> %lld (acquired %lld, released %lld)\n",
	       reg0, reg1, ch0, ch1, lreg0, lreg1, lch0, lch1,
	       pin_a0 - pin_r0, pin_a1 - pin_r1, pin_a1 - pin_a0, pin_r1 - pin_r0);
	if (reg1 != reg0 || ch1 != ch0 || lreg1 != lreg0 || lch1 != lch0 ||
	    pin_a1 - pin_r1 != pin_a0 - pin_r0) {
		fprintf(stderr, "kipc-stress: counters did not return to their start\n");
		fail = 1;
	}
	if (sh->unexpected) {
		fprintf(stderr, "kipc-stress: %llu unexpected errors\n", sh->unexpected);
		fail = 1;
	}
	if (exited) {
		fprintf(stderr, "kipc-stress: %llu workers died of something else "
			"than the killer\n", exited);
		fail = 1;
	}
	kipc_nl_close(nl);
	printf("kipc-stress: %s\n", fail ? "FAIL" : "PASS");
	return fail;
}
