// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-faultinject: the driver of the fault-injection sweep (see
 * kipc-faultinject-sweep, which sets failslab and fail_page_alloc up so that
 * only allocations with kipc's module text on their stack can fail).
 *
 * For each operation, for N = 1, 2, ...: set up its preconditions, write N
 * to /proc/thread-self/fail-nth (the Nth eligible allocation of this task
 * fails), run the operation, read fail-nth back (0: the failure was
 * injected; positive: the operation made fewer than N eligible
 * allocations, so the sweep of this operation is over and it must have
 * succeeded), tear down, then check that no object is left behind (netlink
 * stats: created == destroyed) and that the module still works (a region,
 * a bound channel, a send and a receive with a buffer). An injected failure
 * must end in an error return or be absorbed (success); never a crash.
 *
 * usage: kipc-faultinject [--max N] [OP...]     (default: every operation)
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <kipc.h>

#include "dl.h"

struct st {
	int ctx, region, region2, send, recv, extra;
	__u64 off[2];
	struct kipc_nl *nl;
	uint64_t region_id;
};

static int nl_open(struct st *s)
{
	struct timeval tv = { 2, 0 };
	int r = kipc_nl_open(&s->nl, 0);

	if (r < 0)
		return r;
	setsockopt(kipc_nl_fd(s->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

static int mk_region(struct st *s)
{
	struct kipc_region_info ri;

	s->region = kt_region_create(s->ctx, 16 * 4096, 4096, KIPC_FD_NONBLOCK, NULL);
	if (s->region < 0)
		return s->region;
	if (kt_region_info(s->region, &ri) < 0)
		return -1;
	s->region_id = ri.id;
	return 0;
}

static int mk_chan(struct st *s, bool bound)
{
	return kt_channel_create(s->ctx, KIPC_FD_NONBLOCK, 8, 0,
				 bound ? s->region : -1, &s->send, &s->recv);
}

static int send_msg(struct st *s, int nbufs)
{
	static char d[256];
	struct kipc_buf_ref refs[2];
	struct kipc_msg m = { .data = (uintptr_t)d, .data_len = sizeof(d) };
	int i;

	for (i = 0; i < nbufs; i++)
		refs[i] = (struct kipc_buf_ref){ s->off[i], 100 };
	m.bufs = (uintptr_t)refs;
	m.nr_bufs = nbufs;
	return dl_io(s->send, KIPC_IOC_SEND, &m, 1, nbufs ? s->region : -1, -1);
}

static int recv_msg(struct st *s, bool bufs)
{
	static char d[4096];
	struct kipc_buf_ref refs[KIPC_MSG_BUFS_MAX];
	struct kipc_msg m = { .data = (uintptr_t)d, .data_len = sizeof(d),
			      .bufs = (uintptr_t)refs,
			      .nr_bufs = bufs ? KIPC_MSG_BUFS_MAX : 0 };

	return dl_io(s->recv, KIPC_IOC_RECV, &m, 1, bufs ? s->region : -1, -1);
}

static int need(int r) { return r < 0 ? r : 0; }

static int count_cb(const void *st, void *arg) { (*(int *)arg)++; return 0; }

/* Setup for the operations: everything but the operation itself. */
static int setup(const char *op, struct st *s)
{
	int r = 0;

	if (strcmp(op, "open"))
		r = need(s->ctx = dl_open());
	if (r)
		return r;
	if (!strncmp(op, "region-", 7) && strncmp(op, "region-create", 13))
		r = mk_region(s);
	else if (!strncmp(op, "buf-", 4) || !strcmp(op, "channel-create-bound") ||
		 !strcmp(op, "close-region"))
		r = mk_region(s);
	else if (!strcmp(op, "send-inline") || !strcmp(op, "recv-inline") ||
		 !strcmp(op, "close-channel"))
		r = mk_chan(s, false);
	else if (!strcmp(op, "send-bufs") || !strcmp(op, "recv-bufs")) {
		r = mk_region(s);
		if (!r)
			r = need(mk_chan(s, true));
		if (!r)
			r = need(kt_buf_alloc(s->region, &s->off[0]));
		if (!r)
			r = need(kt_buf_alloc(s->region, &s->off[1]));
	} else if (!strncmp(op, "nl-", 3)) {
		r = nl_open(s);
		if (!r)
			r = mk_region(s);
		if (!r)
			r = need(mk_chan(s, true));
		if (!r && !strcmp(op, "nl-events"))
			r = kipc_events_subscribe(s->nl);
	}
	if (r)
		return r;
	if (!strcmp(op, "buf-release"))
		r = need(kt_buf_alloc(s->region, &s->off[0]));
	else if (!strcmp(op, "recv-inline") || !strcmp(op, "close-channel"))
		r = need(send_msg(s, 0));
	else if (!strcmp(op, "recv-bufs"))
		r = need(send_msg(s, 2));
	return r;
}

static int region_cb(const struct kipc_region_stats *st, void *arg)
{
	return count_cb(st, arg);
}

static int chan_cb(const struct kipc_channel_stats *st, void *arg)
{
	return count_cb(st, arg);
}

/* The operation under injection. */
static int run(const char *op, struct st *s)
{
	struct kipc_version v = { .size = sizeof(v) };
	struct kipc_global_stats gs;
	struct kipc_region_stats rst;
	int n = 0, r;

	if (!strcmp(op, "open"))
		return need(s->ctx = dl_open());
	if (!strcmp(op, "version"))
		return dl_ioctl(s->ctx, KIPC_IOC_VERSION, &v);
	if (!strcmp(op, "region-create"))
		return need(s->extra = kt_region_create(s->ctx, 16 * 4096, 4096, 0, NULL));
	if (!strcmp(op, "region-create-nopool"))
		return need(s->extra = kt_region_create(s->ctx, 16 * 4096, 0, 0, NULL));
	if (!strcmp(op, "region-create-large"))	/* 4096 buffers: a bigger pool array */
		return need(s->extra = kt_region_create(s->ctx, 4096 * 4096, 4096, 0, NULL));
	if (!strcmp(op, "region-attach"))
		return need(s->extra = kt_region_attach(s->region, 0));
	if (!strcmp(op, "region-info")) {
		struct kipc_region_info ri;

		return kt_region_info(s->region, &ri);
	}
	if (!strcmp(op, "region-mmap")) {
		char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			       s->region, 0);

		if (p == MAP_FAILED)
			return -errno;
		p[0] = 1;
		munmap(p, 16 * 4096);
		return 0;
	}
	if (!strcmp(op, "buf-alloc"))
		return kt_buf_alloc(s->region, &s->off[0]);
	if (!strcmp(op, "buf-release"))
		return kt_buf_release(s->region, s->off[0]);
	if (!strcmp(op, "channel-create"))
		return need(mk_chan(s, false));
	if (!strcmp(op, "channel-create-bound"))
		return need(mk_chan(s, true));
	if (!strcmp(op, "send-inline"))
		return need(send_msg(s, 0));
	if (!strcmp(op, "send-bufs"))
		return need(send_msg(s, 2));
	if (!strcmp(op, "recv-inline"))
		return need(recv_msg(s, false));
	if (!strcmp(op, "recv-bufs"))
		return need(recv_msg(s, true));
	if (!strcmp(op, "close-region")) {	/* the release runs at syscall exit */
		r = close(s->region);
		s->region = -1;
		return r;
	}
	if (!strcmp(op, "close-channel")) {
		close(s->send);
		close(s->recv);
		s->send = s->recv = -1;
		return 0;
	}
	if (!strcmp(op, "close-context")) {
		r = close(s->ctx);
		s->ctx = -1;
		return r;
	}
	if (!strcmp(op, "nl-stats"))
		return kipc_stats_get(s->nl, &gs);
	if (!strcmp(op, "nl-region-get"))
		return kipc_region_stats_get(s->nl, s->region_id, &rst);
	if (!strcmp(op, "nl-region-dump"))
		return kipc_region_stats_dump(s->nl, NULL, region_cb, &n);
	if (!strcmp(op, "nl-channel-dump"))
		return kipc_channel_stats_dump(s->nl, NULL, chan_cb, &n);
	if (!strcmp(op, "nl-events"))	/* an event to a listener per object */
		return need(s->extra = kt_region_create(s->ctx, 4096, 0, 0, NULL));
	return -ENOSYS;
}

static void teardown(struct st *s)
{
	int *fds[] = { &s->ctx, &s->region, &s->region2, &s->send, &s->recv, &s->extra };
	unsigned int i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	if (s->nl)
		kipc_nl_close(s->nl);
}

static int fail_nth(int n)
{
	char buf[32];
	int fd = open("/proc/thread-self/fail-nth", O_RDWR), r = -1;

	if (fd < 0)
		return -1;
	if (n >= 0) {
		r = dprintf(fd, "%d", n) > 0 ? 0 : -1;
	} else {
		ssize_t k = read(fd, buf, sizeof(buf) - 1);

		if (k > 0) {
			buf[k] = 0;
			r = atoi(buf);
		}
	}
	close(fd);
	return r;
}

/* The module still works: a region, a bound channel, a buffer there and back. */
static int usable(void)
{
	struct st s = { -1, -1, -1, -1, -1, -1, { 0 }, NULL, 0 };
	int r;

	r = need(s.ctx = dl_open());
	if (!r)
		r = mk_region(&s);
	if (!r)
		r = need(mk_chan(&s, true));
	if (!r)
		r = need(kt_buf_alloc(s.region, &s.off[0]));
	if (!r)
		r = send_msg(&s, 1) == 1 ? 0 : -EIO;
	if (!r)
		r = recv_msg(&s, true) == 1 ? 0 : -EIO;
	if (!r)
		r = need(kt_buf_release(s.region, s.off[0]));
	teardown(&s);
	return r;
}

static int live_objects(struct kipc_nl *nl, long long *n)
{
	struct kipc_global_stats gs;
	int r = kipc_stats_get(nl, &gs);

	*n = (long long)(gs.regions_created - gs.regions_destroyed) +
	     (long long)(gs.channels_created - gs.channels_destroyed);
	return r;
}

static const char *all_ops[] = {
	"open", "version", "region-create", "region-create-nopool",
	"region-create-large", "region-attach", "region-info", "region-mmap",
	"buf-alloc", "buf-release", "channel-create", "channel-create-bound",
	"send-inline", "send-bufs", "recv-inline", "recv-bufs", "close-region",
	"close-channel", "close-context", "nl-stats", "nl-region-get",
	"nl-region-dump", "nl-channel-dump", "nl-events",
};

/* "START END" of kipc's code: .text to the end of the module's memory. */
static int text_range(void)
{
	unsigned long long text = 0, base = 0, size = 0, start, end;
	char line[512], name[64];
	FILE *f = fopen("/sys/module/kipc/sections/.text", "r");

	if (!f || fscanf(f, "%llx", &text) != 1)
		return 1;
	fclose(f);
	f = fopen("/proc/modules", "r");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %llu %*s %*s %*s %llx", name, &size, &base) == 3 &&
		    !strcmp(name, "kipc"))
			break;
	fclose(f);
	if (!text || !base || !size)
		return 1;
	start = text < base ? text : base;
	end = base + size;
	if (end <= text)
		return 1;
	printf("0x%llx 0x%llx\n", start, end);
	return 0;
}

int main(int argc, char **argv)
{
	const char **ops = all_ops;
	int nops = sizeof(all_ops) / sizeof(all_ops[0]), max = 500, i, n, fail = 0;
	unsigned long long sites = 0, errors = 0, absorbed = 0;
	struct kipc_nl *nl;
	long long base, now;
	double t0 = dl_now();

	if (argc == 2 && !strcmp(argv[1], "--text-range"))
		return text_range();
	if (argc > 2 && !strcmp(argv[1], "--max")) {
		max = atoi(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc > 1) {
		ops = (const char **)argv + 1;
		nops = argc - 1;
	}
	if (fail_nth(-1) < 0) {
		fprintf(stderr, "kipc-faultinject: no /proc/thread-self/fail-nth "
			"(CONFIG_FAULT_INJECTION)\n");
		return 1;
	}
	if (kipc_nl_open(&nl, 0) < 0 || live_objects(nl, &base) < 0) {
		fprintf(stderr, "kipc-faultinject: netlink statistics failed\n");
		return 1;
	}
	for (i = 0; i < nops; i++) {
		int op_sites = 0, op_err = 0, op_abs = 0;
		bool done = false;

		for (n = 1; n <= max && !done; n++) {
			struct st s = { -1, -1, -1, -1, -1, -1, { 0 }, NULL, 0 };
			int r, left, u;

			r = setup(ops[i], &s);
			if (r) {
				fprintf(stderr, "kipc-faultinject: %s: setup failed: %s\n",
					ops[i], strerror(-r));
				fail = 1;
				teardown(&s);
				break;
			}
			fail_nth(n);
			r = run(ops[i], &s);
			left = fail_nth(-1);
			fail_nth(0);
			if (r == -ENOSYS) {
				fprintf(stderr, "kipc-faultinject: unknown operation %s\n", ops[i]);
				fail = 1;
				teardown(&s);
				break;
			}
			if (left > 0) {		/* fewer than n allocations: not injected */
				done = true;
				if (r < 0) {
					fprintf(stderr, "kipc-faultinject: %s failed without an "
						"injected fault: %s\n", ops[i], strerror(-r));
					fail = 1;
				}
			} else {
				op_sites++;
				if (r < 0)
					op_err++;
				else
					op_abs++;
			}
			teardown(&s);
			u = usable();
			if (u) {
				fprintf(stderr, "kipc-faultinject: %s, fault %d: the module is "
					"not usable after it: %s\n", ops[i], n, strerror(-u));
				fail = 1;
			}
			if (live_objects(nl, &now) < 0 || now != base) {
				fprintf(stderr, "kipc-faultinject: %s, fault %d: %lld objects "
					"left behind\n", ops[i], n, now - base);
				fail = 1;
				base = now;
			}
		}
		if (!done && n > max) {
			fprintf(stderr, "kipc-faultinject: %s: still failing at fault %d\n",
				ops[i], max);
			fail = 1;
		}
		printf("kipc-faultinject: %-22s %3d fault sites: %3d errors returned, "
		       "%3d absorbed\n", ops[i], op_sites, op_err, op_abs);
		sites += op_sites;
		errors += op_err;
		absorbed += op_abs;
	}
	kipc_nl_close(nl);
	printf("kipc-faultinject: %d operations, %llu fault sites injected (%llu errors "
	       "returned, %llu absorbed), %.1f s\n", nops, sites, errors, absorbed,
	       dl_now() - t0);
	printf("kipc-faultinject: %s\n", fail ? "FAIL" : "PASS");
	return fail;
}
