// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl show [channel|region] ID: one object by id. Channels and regions
 * are numbered apart (each type from 1), so a bare ID may name one of each:
 * then both are shown, and the caller told how to ask for one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipcctl.h"

enum { SHOW_CHANNEL = 1, SHOW_REGION = 2 };

static int usage(void)
{
	fprintf(stderr, "usage: kipcctl show [channel|region] ID\n");
	return 2;
}

int cmd_show(int argc, char **argv)
{
	struct kipc_channel_stats cs;
	struct kipc_region_stats rs;
	int want = SHOW_CHANNEL | SHOW_REGION, found = 0, ret = 0;
	unsigned long long id;
	struct kipc_nl *nl;
	const char *arg;
	char *end;

	if (argc == 3 && !strcmp(argv[1], "channel"))
		want = SHOW_CHANNEL;
	else if (argc == 3 && !strcmp(argv[1], "region"))
		want = SHOW_REGION;
	else if (argc != 2)
		return usage();
	arg = argv[argc - 1];
	errno = 0;
	id = strtoull(arg, &end, 0);
	if (errno || !*arg || *end) {
		fprintf(stderr, "kipcctl: show: bad id '%s'\n", arg);
		return 2;
	}
	if (open_nl(&nl) < 0)
		return 1;
	if (want & SHOW_CHANNEL) {
		ret = kipc_channel_stats_get(nl, id, &cs);
		if (!ret)
			found |= SHOW_CHANNEL;
		else if (ret != -ENOENT)
			goto out_error;
	}
	if (want & SHOW_REGION) {
		ret = kipc_region_stats_get(nl, id, &rs);
		if (!ret)
			found |= SHOW_REGION;
		else if (ret != -ENOENT)
			goto out_error;
	}
	if (!found) {
		fprintf(stderr, "kipcctl: show: no %s %llu%s\n",
			want == SHOW_CHANNEL ? "channel" :
			want == SHOW_REGION ? "region" : "channel or region", id,
			nl_sees_all(nl) ? "" : " that you may see (without CAP_SYS_ADMIN, only your own)");
		kipc_nl_close(nl);
		return 1;
	}
	kipc_nl_close(nl);
	if (json)
		printf("{");
	if (found & SHOW_CHANNEL) {
		if (json)
			printf("\"channel\":");
		print_channel(&cs, 1);
	}
	if (found == (SHOW_CHANNEL | SHOW_REGION)) {
		printf(json ? "," : "\n");
		fprintf(stderr, "kipcctl: show: %llu is both a channel and a region (show channel %llu, show region %llu: one of them)\n",
			id, id, id);
	}
	if (found & SHOW_REGION) {
		if (json)
			printf("\"region\":");
		print_region(&rs, 1);
	}
	if (json)
		printf("}\n");
	return 0;

out_error:
	nl_error(nl, "show", ret);
	kipc_nl_close(nl);
	return 1;
}
