// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl top: a live view of the channels, busiest first: messages moved
 * (sent + received) during the last interval, then queue fill. Refreshes
 * every --interval seconds, --count times (0: until interrupted). With -j,
 * one JSON object per refresh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipcctl.h"

struct row {
	struct kipc_channel_stats st;
	uint64_t delta;		/* messages moved since the last refresh */
};

struct snap {
	struct row *rows;
	size_t n, cap;
};

static int add_row(const struct kipc_channel_stats *st, void *arg)
{
	struct snap *s = arg;
	struct row *r = array_add(&s->rows, &s->n, &s->cap, sizeof(*s->rows));

	if (!r)
		return 1;
	r->st = *st;
	return 0;
}

static int by_activity(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->delta != y->delta)
		return x->delta < y->delta ? 1 : -1;
	if (x->st.queued != y->st.queued)
		return x->st.queued < y->st.queued ? 1 : -1;
	return x->st.id < y->st.id ? -1 : x->st.id > y->st.id;
}

/* Messages @r moved since @prev (sorted by id), or all of them if new. */
static uint64_t moved(const struct row *r, const struct snap *prev)
{
	uint64_t now = r->st.msgs_sent + r->st.msgs_received;
	size_t i;

	for (i = 0; i < prev->n; i++)
		if (prev->rows[i].st.id == r->st.id)
			return now - (prev->rows[i].st.msgs_sent +
				      prev->rows[i].st.msgs_received);
	return now;
}

static void show(const struct snap *s, int interval)
{
	size_t i;

	if (json) {
		printf("{\"interval\":%d,\"channels\":[", interval);
		for (i = 0; i < s->n; i++) {
			printf("%s{\"id\":%llu,\"moved\":%llu,\"channel\":", i ? "," : "",
			       (unsigned long long)s->rows[i].st.id,
			       (unsigned long long)s->rows[i].delta);
			print_channel(&s->rows[i].st, 1);
			printf("}");
		}
		printf("]}\n");
	} else {
		if (isatty(STDOUT_FILENO))
			printf("\033[H\033[2J");
		printf("kipc top: %zu channels, busiest first (messages moved in %ds)\n\n",
		       s->n, interval);
		printf("%-8s %10s %6s %5s %4s %4s %-6s %-7s %10s %10s\n",
		       "CHANNEL", "MOVED", "QUEUED", "DEPTH", "SEND", "RECV",
		       "UID", "PID", "SENT", "RECEIVED");
		for (i = 0; i < s->n; i++) {
			const struct kipc_channel_stats *c = &s->rows[i].st;

			printf("%-8llu %10llu %6u %5u %4u %4u %-6u %-7u %10llu %10llu\n",
			       (unsigned long long)c->id,
			       (unsigned long long)s->rows[i].delta, c->queued,
			       c->depth, c->senders, c->receivers, c->uid, c->pid,
			       (unsigned long long)c->msgs_sent,
			       (unsigned long long)c->msgs_received);
		}
		printf("\n");
	}
	fflush(stdout);
}

int cmd_top(int argc, char **argv)
{
	struct snap prev = { 0 }, cur = { 0 };
	int interval = 1, count = 0, ind, ret, iter;
	struct kipc_filter f;
	struct kipc_nl *nl;
	size_t i;

	if (parse_filter(argc, argv, &ind, &f, &interval, &count) || ind != argc) {
		fprintf(stderr, "usage: kipcctl top [--interval S] [--count N] [--uid U] [--pid P]\n");
		return 2;
	}
	if (open_nl(&nl) < 0)
		return 1;
	for (iter = 0; !count || iter < count; iter++) {
		if (iter)
			sleep(interval);
		cur.n = 0;
		ret = kipc_channel_stats_dump(nl, &f, add_row, &cur);
		if (ret) {
			if (ret > 0)
				ret = -ENOMEM;
			nl_error(nl, "top", ret);
			break;
		}
		/* The dump comes in id order: keep that copy for next time. */
		for (i = 0; i < cur.n; i++)
			cur.rows[i].delta = moved(&cur.rows[i], &prev);
		free(prev.rows);
		prev.rows = malloc((cur.n ? cur.n : 1) * sizeof(*prev.rows));
		if (!prev.rows) {
			ret = -ENOMEM;
			break;
		}
		memcpy(prev.rows, cur.rows, cur.n * sizeof(*cur.rows));
		prev.n = prev.cap = cur.n;
		qsort(cur.rows, cur.n, sizeof(*cur.rows), by_activity);
		show(&cur, interval);
		ret = 0;
	}
	free(prev.rows);
	free(cur.rows);
	kipc_nl_close(nl);
	return ret ? 1 : 0;
}
