// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl top: a live view of every queue of the system, kipc's and the
 * stock ones, busiest first. Each refresh samples:
 *   kipc-channel  messages queued (netlink); rate: messages sent
 *   kipc-service  connections pending (fdinfo); rate: connections accepted
 *   sysv-msg      messages queued (/proc/sysvipc/msg qnum, cbytes)
 *   mqueue        bytes queued (QSIZE of the mqueue file system)
 *   unix          bytes in the receive queue (sock_diag; a listening
 *                 socket's pending connections)
 *   pipe, fifo    bytes queued (root: FIONREAD of a copy of one of its
 *                 descriptors, taken by a helper process, as kipcctl sys
 *                 pipes; none once the helper has hung)
 * The rate is per second over the last interval: of what the kernel counts
 * where it counts (basis "sent", "accepted"), else of the queue depth's
 * change (basis "depth": |change| / interval). Rows are sorted by rate,
 * then depth. On a terminal, without --limit, as many rows as it has
 * lines (read again on SIGWINCH, and the table drawn again at once): the
 * busiest stay on screen. --record FILE writes the samples instead, one
 * line per object per sample (text, or JSON lines with -j; kipcctl(8)), for
 * kipcctl plot. With -j and no --record, one JSON object per refresh.
 * The kipc module may come and go: while its netlink family is missing,
 * the other kinds show on, and each refresh tries to open it again.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kipcctl.h"
#include "sys.h"
#include "top.h"

struct tobj {
	char name[TOP_NAME_LEN];	/* "kind:id", no spaces or quotes */
	const char *kind;
	const char *unit;		/* of the depth: msgs, bytes, conns */
	const char *basis;		/* of the rate: sent, accepted, depth */
	long long depth, limit;		/* limit -1: unknown */
	uint64_t counter;		/* the kernel's count (basis != depth) */
	double rate;
	struct kipc_channel_stats st;	/* kipc-channel: for the old JSON */
	uint64_t moved;			/* kipc-channel: sent + received since the
					 * last sample, or since its creation */
};

struct sample {
	struct tobj *v;
	size_t n, cap;
	/* Left out: POSIX queues, processes whose fds could not be read. */
	unsigned int mq_unreadable, procs_unreadable;
	unsigned int kipc_gen;		/* top_kipc.gen when taken */
};

struct top_opts {
	double interval;
	unsigned int count, limit;
	unsigned int rows, cols;	/* fit: the terminal's; 0: unknown */
	int fit;			/* no --limit, a table on a terminal:
					 * fit it to the terminal's size */
	struct kipc_filter filter;
	const char *record;
};

static volatile sig_atomic_t stop, resized;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_winch(int sig)
{
	(void)sig;
	resized = 1;
}

/* Lines of the table besides its title and rows: blank, header, blank. */
#define TABLE_LINES	3
/* A row's columns besides OBJECT, and OBJECT's width where they fit. */
#define ROW_COLS	64
#define OBJECT_COLS	28
#define LINE_MAX_COLS	(ROW_COLS + TOP_NAME_LEN)

/*
 * With o->fit, the terminal's size into o->rows and o->cols (0: not
 * known, then every row, as elsewhere): at the start, and again after
 * each SIGWINCH.
 */
static void fit_rows(struct top_opts *o)
{
	struct winsize ws;

	resized = 0;
	if (!o->fit || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws))
		return;
	o->rows = ws.ws_row;
	o->cols = ws.ws_col;
}

static struct tobj *add(struct sample *s, const char *kind, const char *unit,
			const char *basis)
{
	struct tobj *o = array_add(&s->v, &s->n, &s->cap, sizeof(*s->v));

	if (!o)
		return NULL;
	o->kind = kind;
	o->unit = unit;
	o->basis = basis;
	o->limit = -1;
	return o;
}

/*
 * "KIND:ID" with whitespace, quotes, backquotes, backslashes, control
 * bytes, non-ASCII bytes and '%' as %XX: a name is another user's, and
 * goes into a record, JSON and plot scripts. Two names stay two: samples,
 * records and plots match objects by name. One too long for TOP_NAME_LEN
 * (a POSIX queue's: up to 255 bytes, 3 each escaped) is cut, and ends in
 * "~" and 16 hex digits of a hash (FNV-1a) of the whole, so that queues
 * named alike up to the cut stay apart.
 */
static void set_name(struct tobj *o, const char *id)
{
	char full[TOP_NAME_LEN + 3 * NAME_MAX + 8];
	size_t k = snprintf(full, sizeof(full), "%s:", o->kind), cut;
	const unsigned char *p;
	uint64_t hash = 0xcbf29ce484222325ULL;

	for (p = (const unsigned char *)id; *p && k + 3 < sizeof(full); p++) {
		if (*p > ' ' && *p < 0x7f && !strchr("\"\\`'%", *p))
			full[k++] = *p;
		else
			k += snprintf(full + k, 4, "%%%02X", *p);
	}
	full[k] = '\0';
	if (k < sizeof(o->name)) {
		memcpy(o->name, full, k + 1);
		return;
	}
	for (p = (const unsigned char *)full; *p; p++)
		hash = (hash ^ *p) * 0x100000001b3ULL;
	/* Cut before a whole %XX: a name holds no half escape. */
	cut = sizeof(o->name) - 1 - 17;
	if (full[cut - 1] == '%')
		cut--;
	else if (full[cut - 2] == '%')
		cut -= 2;
	snprintf(o->name, sizeof(o->name), "%.*s~%016llx", (int)cut, full,
		 (unsigned long long)hash);
}

static int add_channel(const struct kipc_channel_stats *st, void *arg)
{
	struct tobj *o = add(arg, "kipc-channel", "msgs", "sent");
	char id[24];

	if (!o)
		return 1;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)st->id);
	set_name(o, id);
	o->depth = st->queued;
	o->limit = st->depth;
	o->counter = st->msgs_sent;
	o->st = *st;
	return 0;
}

static int add_msg(const struct sys_sysv_row *r, void *arg)
{
	struct tobj *o = add(arg, "sysv-msg", "msgs", "depth");
	char id[24];

	if (!o)
		return -ENOMEM;
	snprintf(id, sizeof(id), "%lld", r->id);
	set_name(o, id);
	o->depth = r->qnum;
	return 0;
}

static int add_mq(const char *name, long long qsize, void *arg)
{
	struct tobj *o = add(arg, "mqueue", "bytes", "depth");
	char id[300];

	if (!o)
		return -ENOMEM;
	snprintf(id, sizeof(id), "/%s", name);
	set_name(o, id);
	o->depth = qsize;
	return 0;
}

static int add_unix(const struct sys_unix_row *r, void *arg)
{
	struct tobj *o = add(arg, "unix", r->listen ? "conns" : "bytes",
			     "depth");
	char id[24];

	if (!o)
		return -ENOMEM;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)r->ino);
	set_name(o, id);
	o->depth = r->rqueue;
	if (r->listen)
		o->limit = r->wqueue;	/* the backlog */
	return 0;
}

/* Pipes (root) and kipc services, from the scan of /proc. */
static int add_scanned(struct sample *s, const struct sys_scan *scan)
{
	const struct sys_fd *f = scan->v, *end = scan->v + scan->n;
	struct sys_pipe_depth d;
	struct tobj *o;
	char id[48];
	size_t n;

	for (; f < end; f += n) {
		n = sys_fd_run(f, end);
		if (f->kind == SYS_FD_PIPE || f->kind == SYS_FD_FIFO) {
			if (sys_pipe_depth(f, n, &d, 0))
				continue;
			o = add(s, f->kind == SYS_FD_PIPE ? "pipe" : "fifo",
				"bytes", "depth");
			if (!o)
				return -ENOMEM;
			o->depth = d.bytes;
			o->limit = d.size;
		} else if (f->kind == SYS_FD_KIPC_SERVICE) {
			o = add(s, "kipc-service", "conns", "accepted");
			if (!o)
				return -ENOMEM;
			o->depth = f->svc.pending;
			o->limit = f->svc.backlog;
			o->counter = f->svc.accepted;
		} else {
			continue;
		}
		if (f->kind == SYS_FD_PIPE || f->kind == SYS_FD_FIFO)
			sys_pipe_id(f, id, sizeof(id));
		else
			snprintf(id, sizeof(id), "%llu",
				 (unsigned long long)f->ino);
		set_name(o, id);
	}
	return 0;
}

/*
 * kipc's side of top: the netlink handle, NULL while the module is not
 * loaded (or cannot be reached), why it could not be opened last (0,
 * -ENOENT: no family, or another -errno, said once on stderr), and the
 * module's generation: counted up each time its family is found after it
 * was missing or gone, when the module may have been loaded anew. A new
 * module numbers its channels from 1 again, and no service of the old
 * one survives it (their files hold it): a kipc object of another
 * generation is another object, whatever its id.
 */
struct top_kipc {
	struct kipc_nl *nl;
	int err;
	unsigned int gen;
};

/* Opens k->nl; 0, or -errno (recorded, said on stderr when new). */
static int open_kipc(struct top_kipc *k)
{
	int ret = kipc_nl_open(&k->nl, 0);

	if (!ret && k->err == -ENOENT)
		k->gen++;
	if (ret) {
		k->nl = NULL;
		if (ret != -ENOENT && ret != k->err)
			fprintf(stderr, "kipcctl: top: kipc's netlink: %s: kipc's channels are left out, it is tried again at each refresh\n",
				strerror(-ret));
	}
	k->err = ret;
	return ret;
}

/*
 * The kipc channels into @s through k->nl, which is opened when NULL (the
 * module not loaded yet, gone, or its socket refused). When the module
 * goes away the dump fails (its family is unknown: ENOENT; EPROTO; a
 * family that took its id answers EOPNOTSUPP): k->nl is closed and opened
 * once more, for a module loaded again meanwhile under a new family id;
 * without one this dump's channels are dropped, so that the other kinds
 * show on. 0, or -errno (reported).
 */
static int take_kipc(struct sample *s, const struct top_opts *o,
		     struct top_kipc *k)
{
	size_t n = s->n;
	int ret, again = 1;

	if (!k->nl && open_kipc(k))
		return 0;
	for (;;) {
		ret = kipc_channel_stats_dump(k->nl, &o->filter, add_channel, s);
		if (ret != -ENOENT && ret != -EOPNOTSUPP && ret != -EPROTO)
			break;
		s->n = n;
		kipc_nl_close(k->nl);
		k->nl = NULL;
		k->err = -ENOENT;	/* gone: the next family is new */
		if (!again-- || open_kipc(k)) {
			fprintf(stderr, "kipcctl: top: kipc's netlink family is gone (the module unloaded?): the other kinds go on, kipc is looked for at each refresh\n");
			return 0;
		}
	}
	if (ret) {
		ret = ret > 0 ? -ENOMEM : ret;
		nl_error(k->nl, "top", ret);
	}
	return ret;
}

/* One sample of every kind into @s; 0 or -errno (reported). */
static int take(struct sample *s, const struct top_opts *o,
		struct top_kipc *k)
{
	struct sys_scan scan = { 0 };
	int ret;

	s->n = 0;
	s->mq_unreadable = 0;
	s->procs_unreadable = 0;
	ret = take_kipc(s, o, k);
	if (ret)
		return ret;
	s->kipc_gen = k->gen;
	ret = sys_sysv_each(SYS_MSG, add_msg, s);
	if (ret == -ENOMEM)
		goto out;
	ret = sys_mqueue_each(add_mq, s, &s->mq_unreadable);
	if (ret == -ENOMEM)
		goto out;
	ret = sys_unix_each(add_unix, s);	/* none without unix_diag */
	if (ret == -ENOMEM)
		goto out;
	ret = sys_scan_procs(&scan, 0);
	if (!ret)
		ret = add_scanned(s, &scan);
	s->procs_unreadable = scan.denied;
	sys_scan_free(&scan);
out:
	if (ret)
		fprintf(stderr, "kipcctl: top: %s\n", strerror(-ret));
	return ret;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct tobj *)a)->name,
		      ((const struct tobj *)b)->name);
}

static int by_activity(const void *a, const void *b)
{
	const struct tobj *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? 1 : -1;
	return strcmp(x->name, y->name);
}

/*
 * Whether @c is another object than @p, the previous sample's of the same
 * name: one of its counts went back (a channel's messages received too,
 * else a new channel that sent more than the old one took the old one's
 * place, and its messages moved wrapped), or it is kipc's and the module
 * may have been loaded anew in between (@new_kipc: top_kipc).
 */
static int another_object(const struct tobj *c, const struct tobj *p,
			  int new_kipc)
{
	if (c->counter < p->counter ||
	    c->st.msgs_received < p->st.msgs_received)
		return 1;
	return new_kipc && !strncmp(c->kind, "kipc-", 5);
}

/* Rates of @cur (sorted by name) against @prev, @dt seconds before. */
static void rates(struct sample *cur, const struct sample *prev, double dt)
{
	int new_kipc = cur->kipc_gen != prev->kipc_gen;
	const struct tobj *p;
	struct tobj *c;
	size_t i;

	for (i = 0; i < cur->n; i++) {
		c = &cur->v[i];
		c->rate = 0;
		c->moved = c->st.msgs_sent + c->st.msgs_received;
		p = prev->n ? bsearch(c, prev->v, prev->n, sizeof(*c), by_name) : NULL;
		if (p && another_object(c, p, new_kipc))
			p = NULL;
		if (p)
			c->moved -= p->st.msgs_sent + p->st.msgs_received;
		if (!p || dt <= 0)
			continue;	/* new: no rate until its second sample */
		if (strcmp(c->basis, "depth"))
			c->rate = (double)(c->counter - p->counter) / dt;
		else
			c->rate = fabs((double)(c->depth - p->depth)) / dt;
	}
}

/* The table's title, of @n rows of @s shown, into @buf; its length. */
static size_t table_title(char *buf, size_t len, const struct sample *s,
			  const struct top_opts *o, const struct top_kipc *k,
			  size_t n)
{
	size_t i, kipc = 0;
	int w;

	for (i = 0; i < s->n; i++)
		kipc += !strcmp(s->v[i].kind, "kipc-channel");
	w = snprintf(buf, len, "kipc top: %zu queues (", s->n);
	if (k->nl)
		w += snprintf(buf + w, len - w, "%zu kipc channels", kipc);
	else if (!k->err || k->err == -ENOENT)
		w += snprintf(buf + w, len - w, "kipc not loaded");
	else
		w += snprintf(buf + w, len - w, "kipc unreadable: %s",
			      strerror(-k->err));
	if (s->mq_unreadable || s->procs_unreadable)
		w += snprintf(buf + w, len - w,
			      "; not readable: %u POSIX queues, "
			      "the fds of %u processes",
			      s->mq_unreadable, s->procs_unreadable);
	if (n < s->n)
		w += snprintf(buf + w, len - w, "), the %zu busiest", n);
	else
		w += snprintf(buf + w, len - w, "), busiest first");
	w += snprintf(buf + w, len - w, " (rate per second over %gs)",
		      o->interval);
	return (size_t)w < len ? (size_t)w : len - 1;
}

/*
 * How many rows of @s the table shows, its title into @buf: --limit's,
 * or with o->fit as many as the terminal's lines hold besides the title
 * (as many lines as it takes at the terminal's width, wrapped) and the
 * rest of the table (at least one row).
 */
static size_t table_rows(char *buf, size_t len, const struct sample *s,
			 const struct top_opts *o, const struct top_kipc *k)
{
	size_t n = o->limit && o->limit < s->n ? o->limit : s->n;
	size_t width = table_title(buf, len, s, o, k, n), lines, room;

	if (!o->fit || !o->rows || !o->cols)
		return n;
	/*
	 * The title of a cut table ("the N busiest") is longer than the
	 * whole one's ("busiest first"): its lines counted again from the
	 * title printed, until the rows fit under it (n falls each pass).
	 */
	for (;;) {
		lines = width ? (width + o->cols - 1) / o->cols : 1;
		room = o->rows > lines + TABLE_LINES ?
		       o->rows - lines - TABLE_LINES : 1;
		if (room >= n)
			return n;
		n = room;
		width = table_title(buf, len, s, o, k, n);
	}
}

/*
 * A row's OBJECT, @name, into @buf: in OBJECT_COLS columns, or as long as
 * it is; with o->fit, in fewer where the row would be wider than the
 * terminal, and a name longer than that is cut (its last column "+").
 */
static void object_cell(char *buf, size_t len, const char *name,
			const struct top_opts *o)
{
	size_t room = OBJECT_COLS + TOP_NAME_LEN;

	if (o->fit && o->cols)
		room = o->cols > ROW_COLS + 1 ? o->cols - ROW_COLS : 1;
	if (strlen(name) > room)
		snprintf(buf, len, "%.*s+", (int)room - 1, name);
	else
		snprintf(buf, len, "%-*s",
			 (int)(room < OBJECT_COLS ? room : OBJECT_COLS), name);
}

/* A line of the table: with o->fit, cut at the terminal's width. */
static void table_line(const char *line, const struct top_opts *o)
{
	printf("%.*s\n", o->fit && o->cols ? (int)o->cols : INT_MAX, line);
}

static void show_table(const struct sample *s, const struct top_opts *o,
		       const struct top_kipc *k)
{
	char line[LINE_MAX_COLS + 64], title[512], obj[TOP_NAME_LEN + 32];
	size_t i, n = table_rows(title, sizeof(title), s, o, k);
	const struct tobj *t;
	char limit[24];

	if (isatty(STDOUT_FILENO))
		printf("\033[H\033[2J");
	printf("%s\n\n", title);
	object_cell(obj, sizeof(obj), "OBJECT", o);
	snprintf(line, sizeof(line), "%-13s %s %10s %-5s %10s %12s %-8s",
		 "KIND", obj, "DEPTH", "UNIT", "LIMIT", "RATE", "BASIS");
	table_line(line, o);
	for (i = 0; i < n; i++) {
		t = &s->v[i];
		object_cell(obj, sizeof(obj), t->name + strlen(t->kind) + 1, o);
		if (t->limit >= 0)
			snprintf(limit, sizeof(limit), "%lld", t->limit);
		else
			snprintf(limit, sizeof(limit), "-");
		snprintf(line, sizeof(line),
			 "%-13s %s %10lld %-5s %10s %12.1f %-8s", t->kind, obj,
			 t->depth, t->unit, limit, t->rate, t->basis);
		table_line(line, o);
	}
	if (!o->fit || !o->rows)	/* on a terminal it would scroll */
		printf("\n");
}

static void json_obj(FILE *f, const struct tobj *t)
{
	fprintf(f, "\"kind\":\"%s\",\"object\":\"%s\",\"depth\":%lld,"
		"\"unit\":\"%s\",\"limit\":", t->kind, t->name, t->depth, t->unit);
	if (t->limit >= 0)
		fprintf(f, "%lld", t->limit);
	else
		fprintf(f, "null");
	fprintf(f, ",\"rate\":%.3f,\"basis\":\"%s\"", t->rate, t->basis);
}

/* One object per refresh: "objects" (every kind) and, as before, "channels". */
static void show_json(const struct sample *s, const struct top_opts *o,
		      double now)
{
	const struct tobj *t;
	size_t i, k = 0;

	printf("{\"interval\":%g,\"time\":%.3f,\"unreadable\":{\"mqueues\":%u,"
	       "\"processes\":%u},\"objects\":[", o->interval, now,
	       s->mq_unreadable, s->procs_unreadable);
	for (i = 0; i < s->n; i++) {
		printf("%s{", i ? "," : "");
		json_obj(stdout, &s->v[i]);
		printf("}");
	}
	printf("],\"channels\":[");
	for (i = 0; i < s->n; i++) {
		t = &s->v[i];
		if (strcmp(t->kind, "kipc-channel"))
			continue;
		printf("%s{\"id\":%llu,\"moved\":%llu,\"channel\":", k++ ? "," : "",
		       (unsigned long long)t->st.id, (unsigned long long)t->moved);
		print_channel(&t->st, 1);
		printf("}");
	}
	printf("]}\n");
}

/* The samples of one refresh to the record file. */
static void record(FILE *f, const struct sample *s, unsigned int nr, double t)
{
	const struct tobj *o;
	size_t i;

	for (i = 0; i < s->n; i++) {
		o = &s->v[i];
		if (json) {
			fprintf(f, "{\"time\":%.3f,\"sample\":%u,", t, nr);
			json_obj(f, o);
			fprintf(f, "}\n");
		} else {
			fprintf(f, "%.3f %u %s %s %lld %s %lld %.3f %s\n", t, nr,
				o->kind, o->name, o->depth, o->unit, o->limit,
				o->rate, o->basis);
		}
	}
	fflush(f);
}

/* Sleep until @t; 1 when a SIGWINCH came first (the rest not slept). */
static int sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t };

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
					NULL) == EINTR)
		if (resized)
			return 1;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: kipcctl [-j] top [--interval S] [--count N] [--limit N]\n"
		"                        [--uid U] [--pid P] [--record FILE]\n");
	return 2;
}

static int parse(int argc, char **argv, struct top_opts *o)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "limit", required_argument, NULL, 'l' },
		{ "uid", required_argument, NULL, 'u' },
		{ "pid", required_argument, NULL, 'p' },
		{ "record", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int c, limited = 0;

	memset(o, 0, sizeof(*o));
	o->interval = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+i:n:l:u:p:r:", opts, NULL)) != -1) {
		if (c == '?')
			return 2;
		if (c == 'r') {
			o->record = optarg;
			continue;
		}
		if (c == 'i') {
			o->interval = strtod(optarg, &end);
			if (*end || !(o->interval >= 0.01 && o->interval <= 86400))
				return 2;
			continue;
		}
		errno = 0;
		v = strtoul(optarg, &end, 0);
		if (errno || !*optarg || *end || v > UINT32_MAX)
			return 2;
		switch (c) {
		case 'n':
			o->count = v;
			break;
		case 'l':
			o->limit = v;
			limited = 1;
			break;
		case 'u':
			o->filter.flags |= KIPC_FILTER_UID;
			o->filter.uid = v;
			break;
		case 'p':
			o->filter.flags |= KIPC_FILTER_PID;
			o->filter.pid = v;
			break;
		}
	}
	o->fit = !limited && !json && !o->record && isatty(STDOUT_FILENO);
	return optind == argc ? 0 : 2;
}

int cmd_top(int argc, char **argv)
{
	struct sigaction winch = { .sa_handler = on_winch };
	struct sample prev = { 0 }, cur = { 0 };
	struct tobj *v;
	struct top_kipc k = { 0 };
	double start, origin, now, last = 0;
	struct top_opts o;
	FILE *rec = NULL;
	unsigned int iter;
	int ret = 0;

	if (parse(argc, argv, &o))
		return usage();
	if (o.record) {
		rec = fopen(o.record, "we");
		if (!rec) {
			fprintf(stderr, "kipcctl: top: %s: %s\n", o.record,
				strerror(errno));
			return 1;
		}
		if (!json)
			fprintf(rec, "%s\n# interval %g, started %ld (Unix time)\n"
				"%s\n", TOP_RECORD_MAGIC, o.interval,
				(long)time(NULL), TOP_RECORD_COLUMNS);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* Not restarted: a resize cuts the sleep short, to draw again. */
	if (o.fit)
		sigaction(SIGWINCH, &winch, NULL);
	fit_rows(&o);
	start = origin = mono_ns() / 1e9;	/* origin: the times printed */
	for (iter = 0; !stop && (!o.count || iter < o.count); iter++) {
		/*
		 * Behind (stopped by ^Z, or a sample slower than the
		 * interval): the schedule starts again from now, rather than
		 * a burst of samples over a few ms each, or no sleep at all.
		 */
		if (iter && mono_ns() / 1e9 > start + iter * o.interval)
			start = mono_ns() / 1e9 - (iter - 1) * o.interval;
		while (iter && sleep_until(start + iter * o.interval)) {
			fit_rows(&o);
			show_table(&cur, &o, &k);
			fflush(stdout);
		}
		if (stop)
			break;
		now = mono_ns() / 1e9;
		ret = take(&cur, &o, &k);
		if (ret)
			break;
		qsort(cur.v, cur.n, sizeof(*cur.v), by_name);
		rates(&cur, &prev, iter ? now - last : 0);
		last = now;
		/* A copy in name order for the next rates. */
		if (prev.cap < cur.n) {
			v = realloc(prev.v, cur.n * sizeof(*v));
			if (!v) {
				ret = -ENOMEM;
				fprintf(stderr, "kipcctl: top: %s\n", strerror(-ret));
				break;
			}
			prev.v = v;
			prev.cap = cur.n;
		}
		if (cur.n)
			memcpy(prev.v, cur.v, cur.n * sizeof(*cur.v));
		prev.n = cur.n;
		prev.kipc_gen = cur.kipc_gen;
		qsort(cur.v, cur.n, sizeof(*cur.v), by_activity);
		if (rec) {
			record(rec, &cur, iter, now - origin);
		} else if (json) {
			show_json(&cur, &o, now - origin);
		} else {
			if (resized)	/* while sampling */
				fit_rows(&o);
			show_table(&cur, &o, &k);
		}
		fflush(stdout);
	}
	free(prev.v);
	free(cur.v);
	if (k.nl)
		kipc_nl_close(k.nl);
	/* Each error is reported where it happened, once. */
	if (rec && fclose(rec)) {
		fprintf(stderr, "kipcctl: top: %s: %s\n", o.record, strerror(errno));
		ret = ret ? ret : -EIO;
	}
	return ret ? 1 : 0;
}
