// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl monitor: print the events of the "events" group as they come
 * (one line each; one JSON object per line with -j). Needs CAP_SYS_ADMIN.
 * SIGINT and SIGTERM end it as --count does, exit status 0.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kipcctl.h"

static int remaining;	/* events to print before exiting; 0: forever */
static int done;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Until @fd is readable (1; 0 when @fd is -1: after @ms ms), or SIGINT or
 * SIGTERM came (0), or -errno. The two (@sigs) are blocked from the test
 * of stop until the wait, which unblocks them, so that one that comes in
 * between is not slept through; and only there, so that one ends a write
 * blocked on a stalled reader of standard output (EINTR: no SA_RESTART).
 */
static int wait_readable(int fd, int ms, const sigset_t *sigs)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = ms % 1000 * 1000000L };
	sigset_t unblocked;
	int ret = 0, err = 0;

	sigprocmask(SIG_BLOCK, sigs, &unblocked);
	if (!stop) {
		ret = ppoll(&p, 1, ms < 0 ? NULL : &ts, &unblocked);
		err = errno;
	}
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
	if (ret < 0)
		return err == EINTR ? 0 : -err;
	return ret > 0;
}

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
 * come back, a second at a time, and subscribe again. 0 (*@nl NULL when
 * stopped meanwhile), or -errno.
 */
static int resubscribe(struct kipc_nl **nl, const sigset_t *sigs)
{
	int ret;

	kipc_nl_close(*nl);
	*nl = NULL;
	say_lost("module-gone",
		 "kipc's netlink family is gone (the module unloaded?): waiting for it");
	while ((ret = subscribe(nl, 1)) == -ENOENT) {
		ret = wait_readable(-1, 1000, sigs);
		if (ret < 0 || stop)
			return ret;
	}
	if (!ret)
		fprintf(stderr, "kipcctl: monitor: kipc's netlink family is back: monitoring again\n");
	return ret;
}

/*
 * SIGINT and SIGTERM (into @sigs): caught (blocked only in
 * wait_readable()'s test of stop); one ignored at start stays ignored, as
 * a shell's background job expects (a script's "kipcctl monitor &" is
 * left alone by the ^C meant for its foreground).
 */
static void catch_signals(sigset_t *sigs)
{
	static const int nums[] = { SIGINT, SIGTERM };
	struct sigaction sa = { .sa_handler = on_signal }, old;
	size_t i;

	sigemptyset(sigs);
	sigaddset(sigs, SIGINT);
	sigaddset(sigs, SIGTERM);
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (!sigaction(nums[i], NULL, &old) &&
		    old.sa_handler != SIG_IGN)
			sigaction(nums[i], &sa, NULL);
}

int cmd_monitor(int argc, char **argv)
{
	struct kipc_filter f;
	struct kipc_nl *nl;
	sigset_t sigs;
	int ret = 0, ind;

	remaining = 0;
	done = 0;
	stop = 0;
	if (parse_filter(argc, argv, &ind, &f, NULL, &remaining) || f.flags ||
	    ind != argc) {
		fprintf(stderr, "usage: kipcctl monitor [--count N]\n");
		return 2;
	}
	catch_signals(&sigs);
	if (subscribe(&nl, 0) < 0)
		return stop ? 0 : 1;	/* stopped: EINTR */
	if (!json)
		fprintf(stderr, "kipcctl: monitoring kipc events\n");
	while (!done && !stop) {
		ret = wait_readable(kipc_nl_fd(nl), -1, &sigs);
		if (ret < 0)
			break;
		if (!ret)
			continue;	/* stopped */
		ret = kipc_events_read(nl, print_event, NULL);
		if (ret == -ENOBUFS) {
			say_lost("overrun", "events lost (socket buffer overrun)");
			continue;
		}
		if (ret == -ENOENT && !done) {
			ret = resubscribe(&nl, &sigs);
			if (ret < 0)
				return stop ? 0 : 1;
			continue;
		}
		if (ret < 0)
			break;
	}
	if (nl)
		kipc_nl_close(nl);
	if (!done && !stop && ret < 0) {
		fprintf(stderr, "kipcctl: monitor: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
