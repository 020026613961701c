// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl monitor: print the events of the "events" group as they come
 * (one line each; one JSON object per line with -j). Needs CAP_SYS_ADMIN.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/*
 * Subscribe a new handle of the kipc family to its events into *@nl: 0,
 * or -errno (reported; -ENOENT, the module not loaded or gone meanwhile,
 * only when not @quiet).
 */
static int subscribe(struct kipc_nl **nl, int quiet)
{
	int ret = kipc_nl_open(nl, 0);

	if (ret < 0 && !(quiet && ret == -ENOENT))
		open_nl_error(ret);
	if (ret < 0)
		return ret;
	ret = kipc_events_subscribe(*nl);
	if (ret == -EPERM || ret == -EACCES)
		fprintf(stderr, "kipcctl: monitor: permission denied: events name every user's objects, listening needs CAP_SYS_ADMIN\n");
	else if (ret < 0 && !(quiet && ret == -ENOENT))
		nl_error(*nl, "monitor", ret);
	if (ret < 0) {
		kipc_nl_close(*nl);
		*nl = NULL;
	}
	return ret;
}

/*
 * Events were lost (@why: the socket's buffer overran, the module went):
 * said on standard error and, with -j, in the stream itself, so that a
 * consumer of the JSON sees the gap.
 */
static void say_lost(const char *why, const char *text)
{
	fprintf(stderr, "kipcctl: monitor: %s\n", text);
	if (json) {
		printf("{\"event\":\"lost\",\"reason\":\"%s\"}\n", why);
		fflush(stdout);
	}
}

/*
 * The module went (kipc_events_read(): -ENOENT): wait for its family to
 * come back, a second at a time, and subscribe again. 0, or -errno.
 */
static int resubscribe(struct kipc_nl **nl)
{
	int ret;

	kipc_nl_close(*nl);
	*nl = NULL;
	say_lost("module-gone",
		 "kipc's netlink family is gone (the module unloaded?): waiting for it");
	while ((ret = subscribe(nl, 1)) == -ENOENT)
		sleep(1);
	if (!ret)
		fprintf(stderr, "kipcctl: monitor: kipc's netlink family is back: monitoring again\n");
	return ret;
}

int cmd_monitor(int argc, char **argv)
{
	struct kipc_filter f;
	struct kipc_nl *nl;
	int ret = 0, ind;

	remaining = 0;
	done = 0;
	if (parse_filter(argc, argv, &ind, &f, NULL, &remaining) || f.flags ||
	    ind != argc) {
		fprintf(stderr, "usage: kipcctl monitor [--count N]\n");
		return 2;
	}
	if (subscribe(&nl, 0) < 0)
		return 1;
	if (!json)
		fprintf(stderr, "kipcctl: monitoring kipc events\n");
	while (!done) {
		ret = kipc_events_read(nl, print_event, NULL);
		if (ret == -ENOBUFS) {
			say_lost("overrun", "events lost (socket buffer overrun)");
			continue;
		}
		if (ret == -ENOENT && !done) {
			ret = resubscribe(&nl);
			if (ret < 0)
				return 1;
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
