// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-run: start a libkipc process group from a JSON file (decl.c), print
 * its state changes, publish its state in /run/kipc/NAME.json (state.c;
 * kipcctl groups reads it) and exit with the group's status.
 * Documentation/man/kipc-run.1.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "kipc-run.h"

#define REFRESH_MS	1000	/* the state file, rewritten at least this often */

static int quiet;

static int die(const char *what, const char *why)
{
	fprintf(stderr, "kipc-run: %s: %s\n", what, why);
	return 2;
}

/*
 * A state change on standard output, unless -q. When its reader has gone
 * (EPIPE: SIGPIPE is ignored), the group runs on and nothing more is
 * printed.
 */
void say(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	errno = 0;
	fputs("kipc-run: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!fflush(stdout) && !ferror(stdout))
		return;
	if (errno == EPIPE) {
		quiet = 1;
		fprintf(stderr, "kipc-run: standard output: %s: state changes no longer printed\n",
			strerror(EPIPE));
	}
	clearerr(stdout);
}

static void on_event(struct kipc_group *g, const struct kipc_group_event *ev,
		     void *arg)
{
	say("%s", ev->text);
	state_publish(g);
}

/*
 * SIGPIPE ignored: a reader of our output that goes away is an EPIPE, not
 * our death with the workers and the state left behind. SIGTERM, SIGINT,
 * SIGHUP and SIGQUIT blocked from the start: one that comes before the
 * signalfd that takes it (the group's, kipc_group_start(); ours for
 * SIGQUIT, quit_open()) waits for it, rather than killing us with the
 * services' names published.
 */
static void signals_setup(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/*
 * SIGQUIT (a terminal's Ctrl-\) drains the group as SIGTERM does: its
 * default action would kill us with a core, leaving the state file and the
 * services' names behind and the workers to drain without us. The group's
 * signalfd (KIPC_GROUP_SIGNALS) takes only SIGTERM, SIGINT and SIGHUP, so
 * SIGQUIT has one of ours. Made after kipc_group_create(), which gives
 * closed fds 0-2 /dev/null: not on a worker's standard input.
 */
static int quit_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGQUIT);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Every SIGQUIT that came: the drain, as the group does for SIGTERM. */
static void quit_read(struct kipc_group *g, int fd)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si))
		kipc_group_stop(g);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/*
 * The group's events until it stops (1) or fails (-errno), and its state
 * published every REFRESH_MS on a deadline of its own: events, however
 * many, neither starve the refresh nor push it back. SIGQUIT on @quit_fd.
 */
static int group_loop(struct kipc_group *g, int quit_fd)
{
	uint64_t next = now_ms() + REFRESH_MS, now;
	struct pollfd fds[2] = {
		{ .fd = kipc_group_fd(g), .events = POLLIN },
		{ .fd = quit_fd, .events = POLLIN },
	};
	int ret;

	for (;;) {
		ret = kipc_group_dispatch(g);
		if (ret)
			return ret;
		now = now_ms();
		if (now >= next) {
			state_publish(g);
			/* Held up for more than a period: skip what it missed. */
			next = next + REFRESH_MS > now ? next + REFRESH_MS :
							 now + REFRESH_MS;
		}
		ret = poll(fds, 2, next - now);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret > 0 && fds[1].revents)
			quit_read(g, quit_fd);
	}
}

/* The exit status of the group that @ret of group_loop() ended. */
static int group_status(struct kipc_group *g, const char *name, int ret)
{
	const char *report;

	if (ret < 0) {
		fprintf(stderr, "kipc-run: %s\n", strerror(-ret));
		return 1;
	}
	ret = kipc_group_run(g);	/* stopped: its status */
	if (kipc_group_state(g, &report) == KIPC_GROUP_FAILED && report)
		fprintf(stderr, "kipc-run: group %s failed: %s\n", name, report);
	return ret < 0 ? 1 : ret;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kipc-run [-q] [--state-dir DIR] FILE.json\n"
		   "  Start the process group FILE describes, print its state changes,\n"
		   "  publish its state in DIR/NAME.json (default " STATE_DIR_DEFAULT ",\n"
		   "  or $XDG_RUNTIME_DIR/kipc for a user other than root)\n"
		   "  and exit with the group's status. SIGTERM, SIGINT and SIGQUIT\n"
		   "  drain, SIGHUP restarts the workers one by one.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *state_dir = NULL;	/* NULL: the default */
	struct kipc_group *g;
	struct run_decl *d;
	const char *path;
	char err[512];
	int opt, ret, quit_fd = -1;

	signals_setup();
	while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'q': quiet = 1; break;
		case 's': state_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	path = argv[optind];
	if (decl_read(path, &d, err, sizeof(err)) < 0)
		return die(path, err);
	/* First: it gives closed fds 0-2 /dev/null, so our lock is not there. */
	ret = kipc_group_create(d->name, &d->attr, &g);
	if (ret < 0) {
		snprintf(err, sizeof(err), "group \"%s\": %s", d->name,
			 strerror(-ret));
		decl_free(d);
		return die(path, err);
	}
	ret = 2;
	if (state_open(state_dir, d->name) < 0)
		goto out;
	if (decl_build(d, g, err, sizeof(err)) < 0) {
		die(path, err);
		goto out;
	}
	quit_fd = quit_open();
	if (quit_fd < 0) {
		ret = die("signalfd", strerror(errno));
		goto out;
	}
	kipc_group_set_notify(g, on_event, NULL);
	ret = kipc_group_start(g);
	if (ret < 0) {
		ret = die("start", strerror(-ret));
		goto out;
	}
	ret = group_status(g, d->name, group_loop(g, quit_fd));
out:
	/*
	 * The group first (its services' names unlinked), then the state and
	 * the lock: a kipc-run that takes the lock finds the names free.
	 */
	kipc_group_destroy(g);
	if (quit_fd >= 0)
		close(quit_fd);
	state_close();
	decl_free(d);
	return ret;
}
