// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl list [channels|regions]: the objects the caller may see (all of
 * them with CAP_SYS_ADMIN, else its own), filtered by creator uid or pid.
 */
#include <stdio.h>
#include <string.h>

#include "kipcctl.h"

static int n_listed;

static int list_channel(const struct kipc_channel_stats *st, void *arg)
{
	print_channel(st, n_listed++ == 0);
	return 0;
}

static int list_region(const struct kipc_region_stats *st, void *arg)
{
	print_region(st, n_listed++ == 0);
	return 0;
}

int cmd_list(int argc, char **argv)
{
	int chans = 1, regions = 1, ret, ind;
	struct kipc_filter f;
	struct kipc_nl *nl;

	if (parse_filter(argc, argv, &ind, &f, NULL, NULL))
		return 2;
	if (ind < argc) {
		if (!strcmp(argv[ind], "channels"))
			regions = 0;
		else if (!strcmp(argv[ind], "regions"))
			chans = 0;
		else {
			fprintf(stderr, "kipcctl: list: unknown kind '%s'\n", argv[ind]);
			return 2;
		}
	}
	if (open_nl(&nl) < 0)
		return 1;
	if (json)
		printf("{");
	if (chans) {
		if (json)
			printf("\"channels\":[");
		n_listed = 0;
		ret = kipc_channel_stats_dump(nl, &f, list_channel, NULL);
		if (ret < 0)
			goto out_error;
		if (json)
			printf("]");
		else if (regions)
			printf("\n");
	}
	if (regions) {
		if (json)
			printf("%s\"regions\":[", chans ? "," : "");
		n_listed = 0;
		ret = kipc_region_stats_dump(nl, &f, list_region, NULL);
		if (ret < 0)
			goto out_error;
		if (json)
			printf("]");
	}
	if (json)
		printf("}\n");
	kipc_nl_close(nl);
	return 0;

out_error:
	if (json)
		printf("\n");
	nl_error(nl, "list", ret);
	kipc_nl_close(nl);
	return 1;
}
