// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the terminal table, one line per row as soon as its repeats
 * are done.  Times get the unit that keeps three significant digits; rates
 * are decimal (1 GB/s = 10^9 bytes per second).
 */
#include <string.h>

#include "kipc-bench.h"

static void kb_fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1e3)
		snprintf(buf, len, "%.1f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.2f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", ns / 1e9);
}

static void kb_fmt_rate(char *buf, size_t len, double bps)
{
	if (bps < 1e9)
		snprintf(buf, len, "%.1f MB/s", bps / 1e6);
	else
		snprintf(buf, len, "%.2f GB/s", bps / 1e9);
}

/* Figure @f of @r through @fmt, or "-" */
static void kb_fmt_fig(char *buf, size_t len, const struct kb_row *r,
		       enum kb_fig f,
		       void (*fmt)(char *, size_t, double))
{
	if (r->has[f])
		fmt(buf, len, r->fig[f]);
	else
		snprintf(buf, len, "-");
}

void kb_table_header(FILE *f)
{
	fprintf(f, "%-10s %-14s %-10s %5s %10s %10s %10s %11s %9s %6s %s\n",
		"test", "mechanism", "mode", "size", "median", "p99", "max",
		"rate", "cpu/msg", "csw", "cpus");
}

void kb_table_row(FILE *f, const struct kb_row *r)
{
	char size[16], med[16], p99[16], max[16], rate[16], cpu[16], where[64];
	size_t n;

	kb_format_size(size, sizeof(size), r->size);
	fprintf(f, "%-10s %-14s %-10s %5s ", kb_test_name(r->test), r->mech,
		r->has_mode ? kb_mode_name(r->mode) : "-",
		r->test == KB_REFERENCE && !r->size ? "-" : size);
	if (r->status != KB_OK) {
		fprintf(f, "%s: %s\n", kb_status_name(r->status), r->reason);
		return;
	}
	kb_fmt_fig(med, sizeof(med), r, KB_MEDIAN_NS, kb_fmt_ns);
	kb_fmt_fig(p99, sizeof(p99), r, KB_P99_NS, kb_fmt_ns);
	kb_fmt_fig(max, sizeof(max), r, KB_MAX_NS, kb_fmt_ns);
	kb_fmt_fig(rate, sizeof(rate), r, KB_BYTES_PER_SEC, kb_fmt_rate);
	kb_fmt_ns(cpu, sizeof(cpu),
		  r->fig[KB_CPU_USER_NS] + r->fig[KB_CPU_SYS_NS]);
	if (r->cpus[0] || r->cpus[1]) {
		kb_cpus_format(where, sizeof(where) / 2, r->cpus[0], ",");
		n = strlen(where);
		where[n++] = '/';
		kb_cpus_format(where + n, sizeof(where) - n, r->cpus[1], ",");
	} else {
		snprintf(where, sizeof(where), "-");
	}
	fprintf(f, "%10s %10s %10s %11s %9s %6.2f %s%s%s\n", med, p99, max,
		rate, cpu, r->fig[KB_VCSW] + r->fig[KB_IVCSW], where,
		r->reason[0] ? "  # " : "", r->reason);
}
