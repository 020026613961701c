// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench compare A.json B.json: for each row present and ok in both
 * files, print the headline figure of each (median_ns for latency, wake
 * and reference rows, bytes_per_sec for throughput rows) and B relative to
 * A as time per message, with its 95% confidence interval from the two
 * files' repeats (kb_ratio_interval()): a change is real only when the
 * interval leaves 1.
 *
 * This reads what kipc-bench writes, not any JSON: a "kipc-bench/1" file
 * with one result record per line (see out-json.c).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kipc-bench.h"

#define KB_COMPARE_REPEATS	256

struct kb_rec {
	char test[16], mech[32], mode[16];
	unsigned long long size;
	double fig;
	bool higher_better;
	unsigned int nr_rep;
	double rep[KB_COMPARE_REPEATS];	/* time per message of each repeat */
};

/* The text after "key": on @line, or NULL. */
static const char *kb_json_find(const char *line, const char *key)
{
	char pat[48];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(line, pat);
	return p ? p + strlen(pat) : NULL;
}

static bool kb_json_get_str(const char *line, const char *key, char *buf,
			    size_t len)
{
	const char *p = kb_json_find(line, key), *end;

	if (!p || *p != '"')
		return false;
	end = strchr(++p, '"');
	if (!end || (size_t)(end - p) >= len)
		return false;
	memcpy(buf, p, end - p);
	buf[end - p] = '\0';
	return true;
}

static bool kb_json_get_num(const char *line, const char *key, double *v)
{
	const char *p = kb_json_find(line, key);
	char *end;

	if (!p)
		return false;
	*v = strtod(p, &end);
	return end != p;
}

/* The numbers of the array "repeat_ns": [...] on @line into @r. */
static void kb_json_get_repeats(const char *line, struct kb_rec *r)
{
	const char *p = kb_json_find(line, "repeat_ns");
	char *end;

	r->nr_rep = 0;
	if (!p || *p++ != '[')
		return;
	while (r->nr_rep < KB_COMPARE_REPEATS) {
		r->rep[r->nr_rep] = strtod(p, &end);
		if (end == p)
			break;
		r->nr_rep++;
		p = end + strspn(end, ", ");
	}
}

/* Parse one result line; false if it is not an ok result. */
static bool kb_rec_parse(const char *line, struct kb_rec *r)
{
	char status[16];
	double size;

	if (strncmp(line, "{\"test\": ", 9) ||
	    !kb_json_get_str(line, "test", r->test, sizeof(r->test)) ||
	    !kb_json_get_str(line, "mechanism", r->mech, sizeof(r->mech)) ||
	    !kb_json_get_str(line, "mode", r->mode, sizeof(r->mode)) ||
	    !kb_json_get_str(line, "status", status, sizeof(status)) ||
	    !kb_json_get_num(line, "size", &size) || strcmp(status, "ok"))
		return false;
	r->size = size;
	r->higher_better = !strcmp(r->test, "throughput");
	kb_json_get_repeats(line, r);
	return kb_json_get_num(line, r->higher_better ? "bytes_per_sec" :
			       "median_ns", &r->fig);
}

/* Every ok record of @path into *@recs; count, or -errno (reported). */
static int kb_load(const char *path, struct kb_rec **recs)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, len = 0;
	int n = 0, ret = 0;
	bool schema = false;
	char *line = NULL;
	struct kb_rec *tmp;

	*recs = NULL;
	if (!f) {
		kb_warn("%s: %s", path, strerror(errno));
		return -errno;
	}
	while (getline(&line, &cap, f) > 0) {
		if (strstr(line, "\"schema\": \"" KB_SCHEMA "\""))
			schema = true;
		if ((size_t)n == len) {
			len = len ? 2 * len : 64;
			tmp = realloc(*recs, len * sizeof(**recs));
			if (!tmp) {
				ret = -ENOMEM;
				break;
			}
			*recs = tmp;
		}
		n += kb_rec_parse(line, &(*recs)[n]);
	}
	if (!ret && ferror(f))
		ret = -EIO;
	free(line);
	fclose(f);
	if (!ret && !schema) {
		kb_warn("%s: not a %s file", path, KB_SCHEMA);
		ret = -EINVAL;
	} else if (ret) {
		kb_warn("%s: %s", path, strerror(-ret));
	}
	if (ret) {
		free(*recs);
		*recs = NULL;
		return ret;
	}
	return n;
}

/* One row of the comparison: both headline figures, B/A and its interval. */
static void kb_compare_row(const struct kb_rec *ra, const struct kb_rec *rb)
{
	struct kb_interval iv;
	char ci[40] = "-";
	double ratio;

	if (!kb_ratio_interval(ra->rep, ra->nr_rep, rb->rep, rb->nr_rep, &iv)) {
		ratio = iv.ratio;
		snprintf(ci, sizeof(ci), "[%.3f, %.3f]", iv.lo, iv.hi);
	} else if (ra->fig && rb->fig) {
		ratio = ra->higher_better ? ra->fig / rb->fig : rb->fig / ra->fig;
	} else {
		ratio = NAN;
	}
	printf("%-10s %-14s %-10s %9llu %-13s %12.6g %12.6g %7.3f %17s\n",
	       ra->test, ra->mech, ra->mode, ra->size,
	       ra->higher_better ? "bytes_per_sec" : "median_ns", ra->fig,
	       rb->fig, ratio, ci);
}

/**
 * kb_compare() - print B/A ratios for the rows both files measured.
 *
 * Return: 0, or -errno if a file cannot be read.
 */
int kb_compare(const char *a, const char *b)
{
	struct kb_rec *ra, *rb;
	int na, nb, i, j, matched = 0;

	na = kb_load(a, &ra);
	if (na < 0)
		return na;
	nb = kb_load(b, &rb);
	if (nb < 0) {
		free(ra);
		return nb;
	}
	printf("A: %s\nB: %s\n%-10s %-14s %-10s %9s %-13s %12s %12s %7s %17s\n",
	       a, b, "test", "mechanism", "mode", "size", "figure", "A", "B",
	       "B/A", "95% interval");
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++) {
			if (strcmp(ra[i].test, rb[j].test) ||
			    strcmp(ra[i].mech, rb[j].mech) ||
			    strcmp(ra[i].mode, rb[j].mode) ||
			    ra[i].size != rb[j].size)
				continue;
			kb_compare_row(&ra[i], &rb[j]);
			matched++;
			break;
		}
	}
	printf("%d rows in both; B/A is time per message (below 1: B is "
	       "faster), the geometric mean of the repeats, with its 95%% "
	       "confidence interval: a difference is real only when the "
	       "interval leaves 1 (\"-\": fewer than 2 repeats)\n", matched);
	free(ra);
	free(rb);
	return 0;
}
