// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl trace: live per-channel latency histograms from the module's
 * kipc_msg_recv tracepoint (the time each message spent queued, from its
 * send to its receive). Works in a trace instance of its own
 * (instances/kipcctl-PID under tracefs), so the system's trace buffer and
 * other tracers are left alone; the instance is removed on exit, SIGINT
 * and SIGTERM included. Needs root (tracefs) and a mounted tracefs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kipcctl.h"

#define NR_BUCKETS	40	/* log2 buckets of ns: up to 2^39 ns (9 min) */

struct chan_hist {
	uint32_t id;
	uint64_t msgs, bytes, timed;
	uint64_t max_ns;
	uint64_t bucket[NR_BUCKETS];
};

struct trace_state {
	char inst[PATH_MAX];
	struct chan_hist *ch;		/* in the order first seen */
	size_t n, cap;
	uint32_t *slot;		/* by channel id: 1 + its index in ch, 0 free */
	size_t nslots;		/* a power of two, above twice n; 0: none */
	uint64_t untimed;	/* received messages queued before tracing */
	uint64_t lost;		/* events the trace buffer dropped */
	char buf[65536];	/* trace_pipe bytes not yet a whole line */
	size_t have;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *const tracefs_dirs[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

/* Write @val into @dir/@file; 0 or -errno. */
static int write_file(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	int fd, ret = 0;
	ssize_t len = strlen(val);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/* Create our instance with kipc_msg_recv enabled; 0 or -errno (reported). */
static int instance_create(struct trace_state *t)
{
	const char *root = NULL;
	char events[PATH_MAX];
	struct stat st;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(tracefs_dirs) / sizeof(tracefs_dirs[0]); i++) {
		snprintf(events, sizeof(events), "%s/instances",
			 tracefs_dirs[i]);
		if (!stat(events, &st)) {
			root = tracefs_dirs[i];
			break;
		}
	}
	if (!root) {
		fprintf(stderr, "kipcctl: trace: tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)\n");
		return -ENOENT;
	}
	snprintf(t->inst, sizeof(t->inst), "%s/instances/kipcctl-%d", root,
		 (int)getpid());
	if (mkdir(t->inst, 0700)) {
		ret = -errno;
		fprintf(stderr, "kipcctl: trace: %s: %s%s\n", t->inst,
			strerror(-ret), ret == -EACCES || ret == -EPERM ?
			" (tracing needs root)" : "");
		t->inst[0] = '\0';
		return ret;
	}
	ret = write_file(t->inst, "events/kipc/kipc_msg_recv/enable", "1");
	if (ret)
		fprintf(stderr, "kipcctl: trace: enabling kipc_msg_recv: %s%s\n",
			strerror(-ret), ret == -ENOENT ?
			" (is the kipc module loaded?)" : "");
	return ret;
}

static void instance_remove(struct trace_state *t)
{
	if (!t->inst[0])
		return;
	write_file(t->inst, "events/kipc/kipc_msg_recv/enable", "0");
	if (rmdir(t->inst))
		fprintf(stderr, "kipcctl: trace: rmdir %s: %s\n", t->inst,
			strerror(errno));
}

/*
 * The slot of channel @id in t->slot (open addressing, probed linearly):
 * its own, or the free one where it goes. Each event looks its channel
 * up: among thousands of channels, a search of t->ch for each had trace
 * fall behind the events, and the trace buffer drop them.
 */
static size_t chan_slot(const struct trace_state *t, uint32_t id)
{
	/*
	 * The high bits of a multiplicative (Fibonacci) hash: its low bits
	 * are those of id, and ids a power of two apart shared a slot.
	 */
	size_t mask = t->nslots - 1;
	size_t i = (size_t)((id * 0x9e3779b97f4a7c15ULL) >>
			    (64 - __builtin_ctzll(t->nslots)));

	while (t->slot[i] && t->ch[t->slot[i] - 1].id != id)
		i = (i + 1) & mask;
	return i;
}

/* t->slot twice as large (256 at first), filled again; 0 or -ENOMEM. */
static int chan_slots_grow(struct trace_state *t)
{
	size_t n = t->nslots ? 2 * t->nslots : 256, i;
	uint32_t *slot = calloc(n, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	free(t->slot);
	t->slot = slot;
	t->nslots = n;
	for (i = 0; i < t->n; i++)
		t->slot[chan_slot(t, t->ch[i].id)] = i + 1;
	return 0;
}

static struct chan_hist *chan_of(struct trace_state *t, uint32_t id)
{
	struct chan_hist *c;
	size_t i;

	if (2 * (t->n + 1) > t->nslots && chan_slots_grow(t))
		return NULL;
	i = chan_slot(t, id);
	if (t->slot[i])
		return &t->ch[t->slot[i] - 1];
	c = array_add(&t->ch, &t->n, &t->cap, sizeof(*t->ch));
	if (!c)
		return NULL;
	c->id = id;
	t->slot[i] = t->n;
	return c;
}

/* No channel: the next interval's figures start from none. */
static void chans_clear(struct trace_state *t)
{
	t->n = 0;
	if (t->nslots)
		memset(t->slot, 0, t->nslots * sizeof(*t->slot));
}

static unsigned int bucket_of(uint64_t ns)
{
	unsigned int b = 0;

	while (ns > 1 && b < NR_BUCKETS - 1) {
		ns >>= 1;
		b++;
	}
	return b;
}

/*
 * One line of trace_pipe; lines of other events are ignored. A line
 * begins with the task's name, which any process chooses: the event is
 * the last "kipc_msg_recv: " of the line (its fields are numbers). The
 * kernel's note of events its buffer dropped, "CPU:N [LOST M EVENTS]",
 * begins at the line's start, where an event's line has the name padded.
 */
static int account_line(struct trace_state *t, const char *line)
{
	static const char event[] = "kipc_msg_recv: ";
	unsigned int id, bytes, bufs, lends, cpu;
	const char *p = NULL, *at;
	unsigned long long q;
	struct chan_hist *c;
	int n;

	/*
	 * The note is the whole line: a task's name (15 bytes, a newline
	 * among them) can start a line "CPU:0 [LOST 99" but not end it.
	 * "[LOST EVENTS]": a count the kernel does not know, one at least.
	 */
	n = -1;
	if (sscanf(line, "CPU:%u [LOST %llu EVENTS]%n", &cpu, &q, &n) == 2 &&
	    n >= 0 && !line[n]) {
		t->lost += q;
		return 0;
	}
	n = -1;
	if (sscanf(line, "CPU:%u [LOST EVENTS]%n", &cpu, &n) == 1 && n >= 0 &&
	    !line[n]) {
		t->lost++;
		return 0;
	}
	for (at = line; (at = strstr(at, event)); at++)
		p = at;
	if (!p || sscanf(p, "kipc_msg_recv: chan=%u bytes=%u bufs=%u lends=%u queued_ns=%llu",
			 &id, &bytes, &bufs, &lends, &q) != 5)
		return 0;
	c = chan_of(t, id);
	if (!c)
		return -ENOMEM;
	c->msgs++;
	c->bytes += bytes;
	if (!q) {		/* sent before tracing started */
		t->untimed++;
		return 0;
	}
	c->timed++;
	c->bucket[bucket_of(q)]++;
	if (q > c->max_ns)
		c->max_ns = q;
	return 0;
}

/* The smallest bucket bound at or above fraction @p of @c's timed messages. */
static uint64_t percentile(const struct chan_hist *c, double p)
{
	uint64_t want = (uint64_t)(p * c->timed + 0.999999), sum = 0;
	unsigned int b;

	for (b = 0; b < NR_BUCKETS; b++) {
		sum += c->bucket[b];
		if (sum >= want && sum)
			return 2ULL << b;
	}
	return 0;
}

static void fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 1000000000ULL)
		snprintf(buf, len, "%.2fs", ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else if (ns >= 1000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 "ns", ns);
}

static void show(const struct trace_state *t, int interval)
{
	char p50[16], p99[16], max[16];
	uint64_t top;
	unsigned int b;
	size_t i;

	if (json) {
		printf("{\"interval\":%d,\"untimed\":%" PRIu64 ",\"lost\":%" PRIu64
		       ",\"channels\":[", interval, t->untimed, t->lost);
		for (i = 0; i < t->n; i++) {
			const struct chan_hist *c = &t->ch[i];

			printf("%s{\"id\":%u,\"msgs\":%" PRIu64 ",\"bytes\":%" PRIu64
			       ",\"timed\":%" PRIu64 ",\"p50_ns\":%" PRIu64
			       ",\"p99_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64
			       ",\"log2_ns_buckets\":[", i ? "," : "", c->id,
			       c->msgs, c->bytes, c->timed, percentile(c, 0.5),
			       percentile(c, 0.99), c->max_ns);
			for (b = 0; b < NR_BUCKETS; b++)
				printf("%s%" PRIu64, b ? "," : "", c->bucket[b]);
			printf("]}");
		}
		printf("]}\n");
		fflush(stdout);
		return;
	}
	if (isatty(STDOUT_FILENO))
		printf("\033[H\033[2J");
	printf("kipc trace: time queued per message, send to receive, by channel (last %ds)\n\n",
	       interval);
	printf("%-8s %10s %12s %9s %9s %9s\n", "CHANNEL", "MSGS", "BYTES",
	       "P50", "P99", "MAX");
	for (i = 0; i < t->n; i++) {
		const struct chan_hist *c = &t->ch[i];

		fmt_ns(p50, sizeof(p50), percentile(c, 0.5));
		fmt_ns(p99, sizeof(p99), percentile(c, 0.99));
		fmt_ns(max, sizeof(max), c->max_ns);
		printf("%-8u %10" PRIu64 " %12" PRIu64 " %9s %9s %9s\n", c->id,
		       c->msgs, c->bytes, c->timed ? p50 : "-",
		       c->timed ? p99 : "-", c->timed ? max : "-");
		for (top = 0, b = 0; b < NR_BUCKETS; b++)
			if (c->bucket[b] > top)
				top = c->bucket[b];
		for (b = 0; b < NR_BUCKETS; b++) {
			char lo[16];

			if (!c->bucket[b])
				continue;
			fmt_ns(lo, sizeof(lo), b ? 1ULL << b : 0);
			printf("    >= %-8s %10" PRIu64 " %.*s\n", lo, c->bucket[b],
			       (int)(c->bucket[b] * 40 / top ?: 1),
			       "########################################");
		}
	}
	if (t->untimed)
		printf("\n%" PRIu64 " messages were queued before tracing began: counted, not timed\n",
		       t->untimed);
	if (t->lost)
		printf("\n%" PRIu64 " events lost (the trace buffer overran): the figures above are short\n",
		       t->lost);
	printf("\n");
	fflush(stdout);
}

/* Read trace_pipe until @deadline (CLOCK_MONOTONIC ns); 0 or -errno. */
static int drain_until(struct trace_state *t, int fd, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now_ns, ms;
	char *nl, *line;
	ssize_t n;
	int ret;

	for (;;) {
		now_ns = mono_ns();
		if (stop || now_ns >= deadline)
			return 0;
		/* At most INT_MAX ms (24 days): an --interval may be longer. */
		ms = (deadline - now_ns) / 1000000 + 1;
		ret = poll(&pfd, 1, ms < INT_MAX ? (int)ms : INT_MAX);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret <= 0)
			continue;
		n = read(fd, t->buf + t->have, sizeof(t->buf) - 1 - t->have);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		/* A stop that came as the pipe ended is no failure. */
		if (n <= 0)
			return stop ? 0 : n ? -errno : -EIO;
		t->have += n;
		t->buf[t->have] = '\0';
		for (line = t->buf; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			ret = account_line(t, line);
			if (ret)
				return ret;
		}
		t->have -= line - t->buf;
		memmove(t->buf, line, t->have);
		if (t->have == sizeof(t->buf) - 1)	/* a line longer than buf */
			t->have = 0;
	}
}

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct trace_state t = { 0 };	/* 64 KiB: main's stack */
	struct sigaction sa = { .sa_handler = on_signal };
	int interval = 1, count = 0, iter, fd = -1, ret, c;
	char path[PATH_MAX + 16];
	uint64_t next;
	uint32_t v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		/* Whole numbers up to INT_MAX: atoi() wrapped or cut them. */
		if (c == '?' || parse_u32(optarg, &v) || v > INT_MAX) {
			interval = 0;
			break;
		}
		if (c == 'i')
			interval = v;
		else
			count = v;
	}
	if (interval <= 0 || optind != argc) {
		fprintf(stderr, "usage: kipcctl trace [--interval S] [--count N]\n");
		return 2;
	}
	/* Each ends the run, which removes the instance: a closed pipe too. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	ret = instance_create(&t);
	if (!ret) {
		snprintf(path, sizeof(path), "%s/trace_pipe", t.inst);
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			fprintf(stderr, "kipcctl: trace: %s: %s\n", path,
				strerror(-ret));
		}
	}
	next = mono_ns();
	for (iter = 0; !ret && !stop && (!count || iter < count); iter++) {
		next += interval * 1000000000ULL;
		ret = drain_until(&t, fd, next);
		if (ret)
			fprintf(stderr, "kipcctl: trace: reading: %s\n",
				strerror(-ret));
		else
			show(&t, interval);
		chans_clear(&t);
		t.untimed = 0;
		t.lost = 0;
	}
	if (fd >= 0)
		close(fd);
	instance_remove(&t);
	free(t.ch);
	free(t.slot);
	return ret ? 1 : 0;
}
