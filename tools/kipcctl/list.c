// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl list [channels|regions]: the objects the caller may see (all of
 * them with CAP_SYS_ADMIN, else its own), filtered by creator uid or pid.
 * Both dumps are read whole before anything is printed: a dump that fails
 * half-way leaves no table or JSON cut short on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kipcctl.h"

struct listing {
	struct kipc_channel_stats *chans;
	struct kipc_region_stats *regions;
	size_t nchans, nregions, cap_chans, cap_regions;
};

static int add_channel(const struct kipc_channel_stats *st, void *arg)
{
	struct listing *l = arg;
	struct kipc_channel_stats *c = array_add(&l->chans, &l->nchans,
						 &l->cap_chans, sizeof(*c));

	if (!c)
		return 1;
	*c = *st;
	return 0;
}

static int add_region(const struct kipc_region_stats *st, void *arg)
{
	struct listing *l = arg;
	struct kipc_region_stats *r = array_add(&l->regions, &l->nregions,
						&l->cap_regions, sizeof(*r));

	if (!r)
		return 1;
	*r = *st;
	return 0;
}

int cmd_list(int argc, char **argv)
{
	int chans = 1, regions = 1, ret = 0, ind;
	struct listing l = { 0 };
	struct kipc_filter f;
	struct kipc_nl *nl;
	size_t i;

	if (parse_filter(argc, argv, &ind, &f, NULL, NULL) || ind + 1 < argc) {
		fprintf(stderr, "usage: kipcctl list [channels|regions] [--uid UID] [--pid PID]\n");
		return 2;
	}
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
	if (chans)
		ret = kipc_channel_stats_dump(nl, &f, add_channel, &l);
	if (!ret && regions)
		ret = kipc_region_stats_dump(nl, &f, add_region, &l);
	if (ret) {
		/* A callback stops the dump (1) only when out of memory. */
		nl_error(nl, "list", ret > 0 ? -ENOMEM : ret);
		goto out;
	}
	if (json)
		printf("{");
	if (chans) {
		if (json)
			printf("\"channels\":[");
		for (i = 0; i < l.nchans; i++)
			print_channel(&l.chans[i], !i);
		if (json)
			printf("]");
		else if (regions)
			printf("\n");
	}
	if (regions) {
		if (json)
			printf("%s\"regions\":[", chans ? "," : "");
		for (i = 0; i < l.nregions; i++)
			print_region(&l.regions[i], !i);
		if (json)
			printf("]");
	}
	if (json)
		printf("}\n");
out:
	kipc_nl_close(nl);
	free(l.chans);
	free(l.regions);
	return ret ? 1 : 0;
}
