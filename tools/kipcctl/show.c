// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl show ID: one channel or region by id (channels first).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipcctl.h"

int cmd_show(int argc, char **argv)
{
	struct kipc_channel_stats cs;
	struct kipc_region_stats rs;
	unsigned long long id;
	struct kipc_nl *nl;
	char *end;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: kipcctl show ID\n");
		return 2;
	}
	errno = 0;
	id = strtoull(argv[1], &end, 0);
	if (errno || !*argv[1] || *end) {
		fprintf(stderr, "kipcctl: show: bad id '%s'\n", argv[1]);
		return 2;
	}
	if (open_nl(&nl) < 0)
		return 1;
	ret = kipc_channel_stats_get(nl, id, &cs);
	if (!ret) {
		if (json)
			printf("{\"channel\":");
		print_channel(&cs, 1);
		if (json)
			printf("}\n");
		goto out;
	}
	if (ret != -ENOENT)
		goto out_error;
	ret = kipc_region_stats_get(nl, id, &rs);
	if (!ret) {
		if (json)
			printf("{\"region\":");
		print_region(&rs, 1);
		if (json)
			printf("}\n");
		goto out;
	}
	if (ret == -ENOENT) {
		fprintf(stderr, "kipcctl: show: no channel or region %llu%s\n", id,
			geteuid() ? " owned by you" : "");
		kipc_nl_close(nl);
		return 1;
	}
out_error:
	nl_error(nl, "show", ret);
	kipc_nl_close(nl);
	return 1;
out:
	kipc_nl_close(nl);
	return 0;
}
