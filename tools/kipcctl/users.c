// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl users [--uid U]: each user's usage of the module's per-user caps,
 * next to the caps (every user with CAP_SYS_ADMIN, else the caller's own).
 * Read whole before anything is printed: a failed request leaves no table
 * or JSON on stdout, only its error on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipcctl.h"

#define U(x) ((unsigned long long)(x))

struct users {
	struct kipc_user_stats *v;
	size_t n, cap;
};

/* "used/limit", for the table. */
static const char *pair(char *buf, size_t size, uint64_t used, uint64_t limit)
{
	snprintf(buf, size, "%llu/%llu", U(used), U(limit));
	return buf;
}

static void print_user(const struct kipc_user_stats *st, int first)
{
	char r[48], c[48], l[48], n[48], i[48], p[48], s[48], b[48];

	if (json) {
		printf("%s{\"uid\":%u,\"regions\":%llu,\"regions_limit\":%llu,"
		       "\"channels\":%llu,\"channels_limit\":%llu,"
		       "\"lendqs\":%llu,\"lendqs_limit\":%llu,"
		       "\"names\":%llu,\"names_limit\":%llu,"
		       "\"inflight_bytes\":%llu,\"inflight_bytes_limit\":%llu,"
		       "\"pool_bytes\":%llu,\"pool_bytes_limit\":%llu,"
		       "\"pinned_pages\":%llu,"
		       "\"services\":%llu,\"services_limit\":%llu,"
		       "\"region_bytes\":%llu,\"region_bytes_limit\":%llu}",
		       first ? "" : ",", st->uid,
		       U(st->regions), U(st->regions_limit),
		       U(st->channels), U(st->channels_limit),
		       U(st->lendqs), U(st->lendqs_limit),
		       U(st->names), U(st->names_limit),
		       U(st->inflight_bytes), U(st->inflight_bytes_limit),
		       U(st->pool_bytes), U(st->pool_bytes_limit),
		       U(st->pinned_pages), U(st->services),
		       U(st->services_limit), U(st->region_bytes),
		       U(st->region_bytes_limit));
		return;
	}
	if (first)
		printf("%-6s %-11s %-11s %-11s %-11s %-11s %-20s %-20s %-25s %s\n",
		       "UID", "REGIONS", "CHANNELS", "LENDQS", "NAMES",
		       "SERVICES", "INFLIGHT_BYTES", "POOL_BYTES",
		       "REGION_BYTES", "PINNED_PAGES");
	printf("%-6u %-11s %-11s %-11s %-11s %-11s %-20s %-20s %-25s %llu\n",
	       st->uid,
	       pair(r, sizeof(r), st->regions, st->regions_limit),
	       pair(c, sizeof(c), st->channels, st->channels_limit),
	       pair(l, sizeof(l), st->lendqs, st->lendqs_limit),
	       pair(n, sizeof(n), st->names, st->names_limit),
	       pair(s, sizeof(s), st->services, st->services_limit),
	       pair(i, sizeof(i), st->inflight_bytes, st->inflight_bytes_limit),
	       pair(p, sizeof(p), st->pool_bytes, st->pool_bytes_limit),
	       pair(b, sizeof(b), st->region_bytes, st->region_bytes_limit),
	       U(st->pinned_pages));
}

static int add_user(const struct kipc_user_stats *st, void *arg)
{
	struct users *u = arg;
	struct kipc_user_stats *slot = array_add(&u->v, &u->n, &u->cap,
						 sizeof(*slot));

	if (!slot)
		return 1;
	*slot = *st;
	return 0;
}

int cmd_users(int argc, char **argv)
{
	struct users u = { 0 };
	struct kipc_user_stats st;
	struct kipc_filter f;
	struct kipc_nl *nl;
	int ret, ind;
	size_t i;

	if (parse_filter(argc, argv, &ind, &f, NULL, NULL) ||
	    (f.flags & KIPC_FILTER_PID) || ind != argc) {
		fprintf(stderr, "usage: kipcctl users [--uid UID]\n");
		return 2;
	}
	if (open_nl(&nl) < 0)
		return 1;
	if (f.flags & KIPC_FILTER_UID) {
		ret = kipc_user_stats_get(nl, f.uid, &st);
		if (!ret)
			ret = add_user(&st, &u);
	} else {
		ret = kipc_user_stats_dump(nl, add_user, &u);
	}
	if (ret > 0)	/* a callback stops the dump: out of memory */
		ret = -ENOMEM;
	if (ret == -ENOENT && (f.flags & KIPC_FILTER_UID)) {
		if (!nl_sees_all(nl))
			fprintf(stderr, "kipcctl: users: no record of uid %u that you may see (without CAP_SYS_ADMIN, only your own)\n",
				f.uid);
		else
			fprintf(stderr, "kipcctl: users: uid %u holds nothing of kipc\n",
				f.uid);
		goto out;
	}
	if (ret == -EOPNOTSUPP) {
		fprintf(stderr, "kipcctl: users: the loaded kipc module has no per-user usage (user-get)\n");
		goto out;
	}
	if (ret < 0) {
		nl_error(nl, "users", ret);
		goto out;
	}
	if (json)
		printf("{\"users\":[");
	for (i = 0; i < u.n; i++)
		print_user(&u.v[i], !i);
	if (json)
		printf("]}\n");
	if (!u.n && !json)
		fprintf(stderr, "kipcctl: users: %s\n", !nl_sees_all(nl) ?
			"you hold nothing of kipc (no open /dev/kipc, object or pinned page)" :
			"no user holds anything of kipc");
out:
	kipc_nl_close(nl);
	free(u.v);
	return ret ? 1 : 0;
}
