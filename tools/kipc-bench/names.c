// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the names of tests, modes, statuses and figures, exactly as
 * every output and the command line spell them.  Part of the schema.
 */
#include <string.h>

#include "kipc-bench.h"

static const char *const kb_test_names[] = {
	[KB_LATENCY]	= "latency",
	[KB_THROUGHPUT]	= "throughput",
	[KB_WAKE]	= "wake",
	[KB_FANOUT]	= "fanout",
	[KB_RPC]	= "rpc",
	[KB_REFERENCE]	= "reference",
};

static const char *const kb_mode_names[] = {
	[KB_BLOCKING]	= "blocking",
	[KB_BUSY_POLL]	= "busy-poll",
	[KB_SPIN_BLOCK]	= "spin-block",
};

static const char *const kb_status_names[] = {
	[KB_OK]		= "ok",
	[KB_SKIPPED]	= "skipped",
	[KB_FAILED]	= "failed",
};

const char *const kb_fig_names[KB_NR_FIGS] = {
	[KB_MIN_NS]		= "min_ns",
	[KB_MEDIAN_NS]		= "median_ns",
	[KB_P90_NS]		= "p90_ns",
	[KB_P99_NS]		= "p99_ns",
	[KB_P999_NS]		= "p999_ns",
	[KB_MAX_NS]		= "max_ns",
	[KB_MEAN_NS]		= "mean_ns",
	[KB_BYTES_PER_SEC]	= "bytes_per_sec",
	[KB_MSGS_PER_SEC]	= "msgs_per_sec",
	[KB_CPU_USER_NS]	= "cpu_user_ns_per_msg",
	[KB_CPU_SYS_NS]		= "cpu_sys_ns_per_msg",
	[KB_VCSW]		= "vcsw_per_msg",
	[KB_IVCSW]		= "ivcsw_per_msg",
	[KB_SPREAD_PCT]		= "spread_pct",
	[KB_NS_PER_PAGE]	= "ns_per_page",
};

const char *kb_test_name(enum kb_test t)
{
	return kb_test_names[t];
}

const char *kb_mode_name(enum kb_mode m)
{
	return kb_mode_names[m];
}

const char *kb_status_name(enum kb_status s)
{
	return kb_status_names[s];
}

/* Name to enum; -1 if unknown. */
int kb_test_parse(const char *name)
{
	int i;

	for (i = 0; i < KB_NR_TESTS; i++)
		if (!strcmp(kb_test_names[i], name))
			return i;
	return -1;
}

int kb_mode_parse(const char *name)
{
	int i;

	for (i = 0; i < KB_NR_MODES; i++)
		if (!strcmp(kb_mode_names[i], name))
			return i;
	return -1;
}

/* The names of the tests (or modes) set in @bits, comma-separated. */
void kb_names_join(char *buf, size_t len, unsigned int bits, bool modes)
{
	const char *const *names = modes ? kb_mode_names : kb_test_names;
	int i, nr = modes ? KB_NR_MODES : KB_NR_TESTS;
	size_t off = 0;

	buf[0] = '\0';
	for (i = 0; i < nr && off < len; i++)
		if (bits & BIT(i))
			off += snprintf(buf + off, len - off, "%s%s",
					off ? "," : "", names[i]);
}
