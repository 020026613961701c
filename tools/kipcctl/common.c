// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl: what the netlink commands share: opening the family, errors,
 * printing objects, names of enums, option parsing, the clock.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kipcctl.h"

int open_nl(struct kipc_nl **nl)
{
	int ret = kipc_nl_open(nl, 0);

	open_nl_error(ret);
	return ret;
}

void open_nl_error(int ret)
{
	if (ret == -ENOENT)
		fprintf(stderr, "kipcctl: no netlink family \"%s\": is the kipc module loaded?\n",
			KIPC_GENL_NAME);
	else if (ret < 0)
		fprintf(stderr, "kipcctl: netlink: %s\n", strerror(-ret));
}

int nl_sees_all(struct kipc_nl *nl)
{
	struct kipc_global_stats st;
	int ret = kipc_stats_get(nl, &st);

	if (ret == -EPERM)
		return 0;
	return !ret || !geteuid();	/* other errors: the euid's guess */
}

void nl_error(struct kipc_nl *nl, const char *what, int err)
{
	const char *msg = kipc_nl_errmsg(nl);

	fprintf(stderr, "kipcctl: %s: %s%s%s\n", what, strerror(-err),
		msg ? ": " : "", msg ? msg : "");
}

void print_channel(const struct kipc_channel_stats *st, int first)
{
	if (json) {
		printf("%s{\"id\":%llu,\"uid\":%u,\"pid\":%u,\"depth\":%u,"
		       "\"queued\":%u,\"max_inline\":%u,\"senders\":%u,"
		       "\"receivers\":%u,\"region_id\":%llu,\"msgs_sent\":%llu,"
		       "\"msgs_received\":%llu}", first ? "" : ",",
		       (unsigned long long)st->id, st->uid, st->pid, st->depth,
		       st->queued, st->max_inline, st->senders, st->receivers,
		       (unsigned long long)st->region_id,
		       (unsigned long long)st->msgs_sent,
		       (unsigned long long)st->msgs_received);
		return;
	}
	if (first)
		printf("%-8s %-6s %-7s %5s %6s %6s %4s %4s %-7s %10s %10s\n",
		       "CHANNEL", "UID", "PID", "DEPTH", "QUEUED", "INLINE",
		       "SEND", "RECV", "REGION", "SENT", "RECEIVED");
	printf("%-8llu %-6u %-7u %5u %6u %6u %4u %4u %-7llu %10llu %10llu\n",
	       (unsigned long long)st->id, st->uid, st->pid, st->depth,
	       st->queued, st->max_inline, st->senders, st->receivers,
	       (unsigned long long)st->region_id,
	       (unsigned long long)st->msgs_sent,
	       (unsigned long long)st->msgs_received);
}

void print_region(const struct kipc_region_stats *st, int first)
{
	if (json) {
		printf("%s{\"id\":%llu,\"uid\":%u,\"pid\":%u,\"bytes\":%llu,"
		       "\"buf_size\":%llu,\"nr_bufs\":%u,\"nr_free\":%u,"
		       "\"nr_in_flight\":%u,\"word_waits\":%llu,"
		       "\"word_wakes\":%llu,\"word_wait_ns\":%llu}",
		       first ? "" : ",",
		       (unsigned long long)st->id, st->uid, st->pid,
		       (unsigned long long)st->bytes,
		       (unsigned long long)st->buf_size, st->nr_bufs,
		       st->nr_free, st->nr_in_flight,
		       (unsigned long long)st->word_waits,
		       (unsigned long long)st->word_wakes,
		       (unsigned long long)st->word_wait_ns);
		return;
	}
	if (first)
		printf("%-8s %-6s %-7s %12s %10s %6s %6s %9s %8s %8s %10s\n",
		       "REGION", "UID", "PID", "BYTES", "BUF_SIZE", "BUFS",
		       "FREE", "IN_FLIGHT", "WAITS", "WAKES", "WAITED_US");
	printf("%-8llu %-6u %-7u %12llu %10llu %6u %6u %9u %8llu %8llu %10llu\n",
	       (unsigned long long)st->id, st->uid, st->pid,
	       (unsigned long long)st->bytes, (unsigned long long)st->buf_size,
	       st->nr_bufs, st->nr_free, st->nr_in_flight,
	       (unsigned long long)st->word_waits,
	       (unsigned long long)st->word_wakes,
	       (unsigned long long)(st->word_wait_ns / 1000));
}

const char *event_name(uint32_t cmd)
{
	switch (cmd) {
	case KIPC_CMD_OBJECT_CREATED:	return "object-created";
	case KIPC_CMD_OBJECT_DESTROYED:	return "object-destroyed";
	case KIPC_CMD_PEER_CLOSED:	return "peer-closed";
	case KIPC_CMD_QUEUE_FULL:	return "queue-full";
	case KIPC_CMD_SEND_FAILED:	return "send-failed";
	default:			return "unknown";
	}
}

const char *obj_type_name(uint32_t type)
{
	switch (type) {
	case KIPC_OBJ_TYPE_REGION:	return "region";
	case KIPC_OBJ_TYPE_CHANNEL:	return "channel";
	case KIPC_OBJ_TYPE_LEND_QUEUE:	return "lend-queue";
	case KIPC_OBJ_TYPE_NAME:	return "name";
	case KIPC_OBJ_TYPE_SERVICE:	return "service";
	default:			return "unknown";
	}
}

static const char *const reasons[KIPC_SEND_FAIL_REASON_MAX + 1] = {
	[KIPC_SEND_FAIL_REASON_AGAIN]		= "again",
	[KIPC_SEND_FAIL_REASON_TIMEDOUT]	= "timedout",
	[KIPC_SEND_FAIL_REASON_INTR]		= "intr",
	[KIPC_SEND_FAIL_REASON_PIPE]		= "pipe",
	[KIPC_SEND_FAIL_REASON_MSGSIZE]		= "msgsize",
	[KIPC_SEND_FAIL_REASON_NOBUFS]		= "nobufs",
	[KIPC_SEND_FAIL_REASON_PERM]		= "perm",
	[KIPC_SEND_FAIL_REASON_INVAL]		= "inval",
	[KIPC_SEND_FAIL_REASON_FAULT]		= "fault",
	[KIPC_SEND_FAIL_REASON_OTHER]		= "other",
};

const char *reason_name(uint32_t reason)
{
	return reason <= KIPC_SEND_FAIL_REASON_MAX && reasons[reason] ?
	       reasons[reason] : "none";
}

int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 0);
	if (errno || !*s || *end || n > UINT32_MAX)
		return -1;
	*v = n;
	return 0;
}

int parse_filter(int argc, char **argv, int *optind_out,
		 struct kipc_filter *f, int *interval, int *count)
{
	static const struct option opts[] = {
		{ "uid", required_argument, NULL, 'u' },
		{ "pid", required_argument, NULL, 'p' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i, nw = 0;
	char *words[argc];
	uint32_t v;

	memset(f, 0, sizeof(*f));
	/*
	 * Options before and after the words (`list channels --uid U`, as
	 * kipcctl.8 shows it): the leading '-' has getopt hand each word
	 * back as option 1, in every mode (POSIXLY_CORRECT set too, which
	 * would stop at the first word). optind 0 starts it afresh, in that
	 * mode, not in main()'s (which stops at the first word). The words
	 * then go to the end, in their order, after the options.
	 */
	optind = 0;
	while ((c = getopt_long(argc, argv, "-u:p:i:n:", opts, NULL)) != -1) {
		if (c == 1) {
			words[nw++] = optarg;
			continue;
		}
		/* An interval or a count above INT_MAX would wrap negative. */
		if (c == '?' || parse_u32(optarg, &v) ||
		    ((c == 'i' || c == 'n') && v > INT_MAX)) {
			if (c != '?')
				fprintf(stderr, "kipcctl: bad number '%s'\n", optarg);
			return 2;
		}
		switch (c) {
		case 'u':
			f->flags |= KIPC_FILTER_UID;
			f->uid = v;
			break;
		case 'p':
			f->flags |= KIPC_FILTER_PID;
			f->pid = v;
			break;
		case 'i':
			if (!interval || !v)
				return 2;
			*interval = v;
			break;
		case 'n':
			if (!count)
				return 2;
			*count = v;
			break;
		}
	}
	/* After "--", the rest are words. */
	for (i = optind; i < argc; i++)
		words[nw++] = argv[i];
	*optind_out = argc - nw;
	memcpy(argv + *optind_out, words, nw * sizeof(*words));
	return 0;
}

void *array_add(void *v, size_t *n, size_t *cap, size_t size)
{
	void **arr = v;
	char *p;

	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;

		p = realloc(*arr, c * size);
		if (!p)
			return NULL;
		*arr = p;
		*cap = c;
	}
	p = (char *)*arr + (*n)++ * size;
	memset(p, 0, size);
	return p;
}

uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
