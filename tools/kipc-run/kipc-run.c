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

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/*
 * The state changes not yet written to standard output, and how many did
 * not fit. Written only as far as the output takes them without waiting
 * (poll()), so that a reader that stops reading (a pager, a terminal on
 * XOFF, a stalled log pipe) never stops the supervisor: it still reaps,
 * restarts and drains, and the lines that do not fit are counted and the
 * count said once there is room.
 */
static char out_buf[16384];
static size_t out_len;
static unsigned long out_dropped;

/* Appends @len bytes of @line, or counts a line dropped. */
static void out_add(const char *line, size_t len)
{
	if (len > sizeof(out_buf) - out_len) {
		out_dropped++;
		return;
	}
	memcpy(out_buf + out_len, line, len);
	out_len += len;
}

/*
 * Writes what standard output takes now; a chunk at most as large as a
 * terminal is sure to take when it polls writable. When its reader has
 * gone (EPIPE: SIGPIPE is ignored), the group runs on and nothing more is
 * printed.
 */
static void out_flush(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	char note[96];
	ssize_t n;
	int len;

	while (out_len || out_dropped) {
		if (!out_len) {
			len = snprintf(note, sizeof(note), "kipc-run: %lu state changes not printed (standard output full)\n",
				       out_dropped);
			out_dropped = 0;
			out_add(note, (size_t)len);
		}
		if (poll(&p, 1, 0) != 1)
			return;
		if (!(p.revents & (POLLOUT | POLLERR))) {
			if (p.revents & (POLLHUP | POLLNVAL))
				goto gone;	/* a terminal hung up */
			return;
		}
		n = write(STDOUT_FILENO, out_buf, out_len < 256 ? out_len : 256);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			if (errno == EPIPE)
				fprintf(stderr, "kipc-run: standard output: %s: state changes no longer printed\n",
					strerror(EPIPE));
			goto gone;
		}
		memmove(out_buf, out_buf + n, out_len - (size_t)n);
		out_len -= (size_t)n;
	}
	return;
gone:
	quiet = 1;
	out_len = 0;
	out_dropped = 0;
}

/*
 * At the end: what is owed to standard output, waiting for it at most
 * @ms in all; what is left then is said on standard error.
 */
static void out_drain(unsigned int ms)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	uint64_t end = now_ms() + ms, now;

	out_flush();
	while ((out_len || out_dropped) && (now = now_ms()) < end &&
	       poll(&p, 1, end - now) >= 0)
		out_flush();
	if (out_len || out_dropped)
		fprintf(stderr, "kipc-run: standard output did not take the last state changes\n");
}

/* A state change on standard output, unless -q (out_flush()). */
void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int len;

	if (quiet)
		return;
	len = snprintf(line, sizeof(line), "kipc-run: ");
	va_start(ap, fmt);
	len += vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
	va_end(ap);
	if ((size_t)len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	out_add(line, (size_t)len);
	out_flush();
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

/*
 * The group's events until it stops (1) or fails (-errno), and its state
 * published every REFRESH_MS on a deadline of its own: events, however
 * many, neither starve the refresh nor push it back. SIGQUIT on @quit_fd.
 */
static int group_loop(struct kipc_group *g, int quit_fd)
{
	uint64_t next = now_ms() + REFRESH_MS, now;
	struct pollfd fds[3] = {
		{ .fd = kipc_group_fd(g), .events = POLLIN },
		{ .fd = quit_fd, .events = POLLIN },
		{ .fd = -1, .events = POLLOUT },	/* stdout, when owed */
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
		fds[2].fd = out_len || out_dropped ? STDOUT_FILENO : -1;
		ret = poll(fds, 3, next - now);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret > 0 && fds[1].revents)
			quit_read(g, quit_fd);
		if (ret > 0 && fds[2].revents)
			out_flush();
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
	state_names_reclaim(d);
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
	out_drain(1000);
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
