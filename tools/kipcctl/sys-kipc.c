// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl sys kipc-channel|kipc-service: kipc's own objects beside the
 * stock ones. Channels come from the module's netlink family (what the
 * caller may see: its own, or every one with CAP_SYS_ADMIN), with the
 * processes holding their send and receive ends matched by kipc-id in the
 * scan of /proc (sys-fds.c). Services come from the scan alone: the
 * fdinfo of a service's descriptor gives its backlog, pending
 * connections, listeners and accepted connections, and its holders are
 * the processes listening on it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kipcctl.h"
#include "sys.h"

struct chan_state {
	const struct sys_scan *s;
	size_t rows;
};

static int print_chan(const struct kipc_channel_stats *st, void *arg)
{
	struct chan_state *cs = arg;
	const struct sys_fd *f;
	size_t n;

	f = sys_scan_find(cs->s, SYS_FD_KIPC_CHAN, 0, st->id, &n);
	if (json) {
		printf("%s{\"id\":%llu,\"uid\":%u,\"pid\":%u,\"depth\":%u,"
		       "\"queued\":%u,\"senders\":%u,\"receivers\":%u,"
		       "\"msgs_sent\":%llu,\"msgs_received\":%llu,"
		       "\"send_ends\":", cs->rows ? "," : "",
		       (unsigned long long)st->id, st->uid, st->pid, st->depth,
		       st->queued, st->senders, st->receivers,
		       (unsigned long long)st->msgs_sent,
		       (unsigned long long)st->msgs_received);
		sys_pids(f, n, sys_fd_is_writer);
		printf(",\"receive_ends\":");
		sys_pids(f, n, sys_fd_is_reader);
		printf("}");
	} else {
		if (!cs->rows)
			printf("%-8s %-6s %-7s %5s %6s %4s %4s %10s %10s %-24s %s\n",
			       "ID", "UID", "PID", "DEPTH", "QUEUED", "SEND",
			       "RECV", "SENT", "RECEIVED", "SEND_ENDS",
			       "RECEIVE_ENDS");
		printf("%-8llu %-6u %-7u %5u %6u %4u %4u %10llu %10llu ",
		       (unsigned long long)st->id, st->uid, st->pid, st->depth,
		       st->queued, st->senders, st->receivers,
		       (unsigned long long)st->msgs_sent,
		       (unsigned long long)st->msgs_received);
		sys_pids(f, n, sys_fd_is_writer);
		printf(" ");
		sys_pids(f, n, sys_fd_is_reader);
		printf("\n");
	}
	cs->rows++;
	return 0;
}

int sys_kipc_channels(const struct sys_scan *s)
{
	struct chan_state cs = { .s = s };
	struct kipc_nl *nl;
	int ret;

	ret = kipc_nl_open(&nl, 0);
	if (json)
		printf(",\"kipc_module\":%s", ret ? "false" : "true");
	sys_section("kipc_channels", !ret ? "kipc channels (netlink)" :
		    ret == -ENOENT ? "kipc channels (the kipc module is not loaded)" :
		    "kipc channels (unreadable: kipc's netlink could not be opened)");
	if (ret) {
		sys_section_end(0);
		if (ret == -ENOENT)
			return 0;
		nl_error(NULL, "sys kipc-channel", ret);
		return ret;
	}
	ret = kipc_channel_stats_dump(nl, NULL, print_chan, &cs);
	if (ret > 0)
		ret = -ENOMEM;
	if (ret)
		nl_error(nl, "sys kipc-channel", ret);
	sys_section_end(cs.rows);
	kipc_nl_close(nl);
	return ret;
}

static void print_service(const struct sys_fd *f, size_t n, size_t row)
{
	const struct sys_kipc_service *sv = &f->svc;
	char uid[16] = "-";

	if (f->uid != SYS_UID_UNKNOWN)
		snprintf(uid, sizeof(uid), "%u", f->uid);
	else if (json)
		snprintf(uid, sizeof(uid), "null");
	if (json) {
		printf("%s{\"id\":%llu,\"uid\":%s,\"backlog\":%u,\"pending\":%u,"
		       "\"listeners\":%u,\"accepted\":%llu,\"processes\":",
		       row ? "," : "", (unsigned long long)f->ino, uid,
		       sv->backlog, sv->pending, sv->listeners,
		       (unsigned long long)sv->accepted);
		sys_pids(f, n, NULL);
		printf("}");
		return;
	}
	if (!row)
		printf("%-8s %-6s %7s %7s %9s %10s %s\n", "ID", "UID", "BACKLOG",
		       "PENDING", "LISTENERS", "ACCEPTED", "PROCESSES");
	printf("%-8llu %-6s %7u %7u %9u %10llu ", (unsigned long long)f->ino,
	       uid, sv->backlog, sv->pending, sv->listeners,
	       (unsigned long long)sv->accepted);
	sys_pids(f, n, NULL);
	printf("\n");
}

int sys_kipc_services(const struct sys_scan *s)
{
	const struct sys_fd *f = s->v, *end = s->v + s->n;
	size_t n, rows = 0;

	sys_section("kipc_services", "kipc services (from /proc/PID/fdinfo)");
	for (; f < end; f += n) {
		n = sys_fd_run(f, end);
		if (f->kind == SYS_FD_KIPC_SERVICE)
			print_service(f, n, rows++);
	}
	sys_section_end(rows);
	return 0;
}
