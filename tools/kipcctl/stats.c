// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl stats: the module's global counters (CAP_SYS_ADMIN: they
 * describe every user's traffic).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "kipcctl.h"

#define ROW(f) { #f, offsetof(struct kipc_global_stats, f) }
static const struct {
	const char *name;
	size_t off;
} rows[] = {
	ROW(regions_created), ROW(regions_destroyed),
	ROW(channels_created), ROW(channels_destroyed),
	ROW(msgs_sent), ROW(msgs_received),
	ROW(bytes_sent), ROW(bytes_received),
	ROW(bufs_sent), ROW(bufs_received),
	ROW(send_waits), ROW(recv_waits), ROW(buf_alloc_waits),
	ROW(events_dropped),
	ROW(word_waits), ROW(word_wakes),
	ROW(lendqs_created), ROW(lendqs_destroyed),
	ROW(names_created), ROW(names_destroyed),
	ROW(services_created), ROW(services_destroyed),
	ROW(connections), ROW(recv_polls),
};

int cmd_stats(int argc, char **argv)
{
	struct kipc_global_stats st;
	struct kipc_nl *nl;
	unsigned int i;
	int ret;

	if (argc > 1) {
		fprintf(stderr, "kipcctl: stats takes no arguments\n");
		return 2;
	}
	if (open_nl(&nl) < 0)
		return 1;
	ret = kipc_stats_get(nl, &st);
	if (ret == -EPERM) {
		fprintf(stderr, "kipcctl: stats: the host-wide counters need CAP_SYS_ADMIN; `kipcctl users` shows your own usage and limits\n");
		kipc_nl_close(nl);
		return 1;
	}
	if (ret < 0) {
		nl_error(nl, "stats", ret);
		kipc_nl_close(nl);
		return 1;
	}
	kipc_nl_close(nl);
	if (json)
		printf("{");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned long long v = *(const uint64_t *)((const char *)&st +
							   rows[i].off);

		if (json)
			printf("%s\"%s\":%llu", i ? "," : "", rows[i].name, v);
		else
			printf("%-22s %llu\n", rows[i].name, v);
	}
	if (json)
		printf(",\"send_failed\":{");
	for (i = 1; i <= KIPC_SEND_FAIL_REASON_MAX; i++) {
		unsigned long long v = st.send_failed[i];

		if (json)
			printf("%s\"%s\":%llu", i > 1 ? "," : "", reason_name(i), v);
		else
			printf("send_failed_%-10s %llu\n", reason_name(i), v);
	}
	if (json)
		printf("}}\n");
	return 0;
}
