// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl monitor: print the events of the "events" group as they come
 * (one line each; one JSON object per line with -j). Needs CAP_SYS_ADMIN.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kipcctl.h"

static int remaining;	/* events to print before exiting; 0: forever */
static int done;

static int print_event(const struct kipc_event *ev, void *arg)
{
	if (json) {
		printf("{\"event\":\"%s\",\"obj_type\":\"%s\",\"id\":%llu,"
		       "\"uid\":%u,\"pid\":%u", event_name(ev->cmd),
		       obj_type_name(ev->obj_type), (unsigned long long)ev->id,
		       ev->uid, ev->pid);
		if (ev->reason)
			printf(",\"reason\":\"%s\"", reason_name(ev->reason));
		if (ev->err)
			printf(",\"errno\":%u", ev->err);
		printf("}\n");
	} else {
		printf("%-16s %-7s %-8llu uid %-6u pid %-7u", event_name(ev->cmd),
		       obj_type_name(ev->obj_type), (unsigned long long)ev->id,
		       ev->uid, ev->pid);
		if (ev->reason)
			printf(" reason %s", reason_name(ev->reason));
		if (ev->err)
			printf(" (%s)", strerror(ev->err));
		printf("\n");
	}
	fflush(stdout);
	if (remaining && --remaining == 0)
		done = 1;
	return done;
}

int cmd_monitor(int argc, char **argv)
{
	struct kipc_filter f;
	struct kipc_nl *nl;
	int ret, ind;

	remaining = 0;
	done = 0;
	if (parse_filter(argc, argv, &ind, &f, NULL, &remaining) || f.flags ||
	    ind != argc) {
		fprintf(stderr, "usage: kipcctl monitor [--count N]\n");
		return 2;
	}
	if (open_nl(&nl) < 0)
		return 1;
	ret = kipc_events_subscribe(nl);
	if (ret == -EPERM || ret == -EACCES) {
		fprintf(stderr, "kipcctl: monitor: permission denied: events name every user's objects, listening needs CAP_SYS_ADMIN\n");
		kipc_nl_close(nl);
		return 1;
	}
	if (ret < 0) {
		nl_error(nl, "monitor", ret);
		kipc_nl_close(nl);
		return 1;
	}
	if (!json)
		fprintf(stderr, "kipcctl: monitoring kipc events\n");
	while (!done) {
		ret = kipc_events_read(nl, print_event, NULL);
		if (ret == -ENOBUFS) {
			fprintf(stderr, "kipcctl: monitor: events lost (socket buffer overrun)\n");
			continue;
		}
		if (ret < 0)
			break;
	}
	kipc_nl_close(nl);
	if (!done && ret < 0 && ret != -EINTR) {
		fprintf(stderr, "kipcctl: monitor: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
