// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: statistics.  A log-linear histogram (32 linear buckets per
 * power of two, so a percentile is within 3% of the true value) holds every
 * sample of a run in fixed space; min, max and mean are exact.  Samples are
 * kept in picoseconds so that sub-nanosecond reference figures (memcpy of
 * 8 bytes) survive; the interface speaks nanoseconds.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kipc-bench.h"

static unsigned int kb_hist_index(uint64_t v)
{
	unsigned int e;

	if (v < KB_HIST_SUB)
		return v;
	e = 63 - __builtin_clzll(v);	/* >= KB_HIST_SUB_BITS */
	return (e - KB_HIST_SUB_BITS + 1) * KB_HIST_SUB +
	       ((v >> (e - KB_HIST_SUB_BITS)) & (KB_HIST_SUB - 1));
}

/* Smallest value that falls in bucket @idx. */
uint64_t kb_hist_bucket_low(unsigned int idx)
{
	unsigned int e, sub;

	if (idx < KB_HIST_SUB)
		return idx;
	e = idx / KB_HIST_SUB + KB_HIST_SUB_BITS - 1;
	sub = idx % KB_HIST_SUB;
	return (uint64_t)(KB_HIST_SUB + sub) << (e - KB_HIST_SUB_BITS);
}

void kb_hist_init(struct kb_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void kb_hist_add(struct kb_hist *h, double ns)
{
	uint64_t v = ns * 1000 + 0.5;

	h->bucket[kb_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void kb_hist_merge(struct kb_hist *dst, const struct kb_hist *src)
{
	unsigned int i;

	for (i = 0; i < KB_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/*
 * The value below which a fraction @p of the samples fall: the middle of
 * the bucket holding that rank, clamped to the exact min and max.
 */
double kb_hist_percentile(const struct kb_hist *h, double p)
{
	uint64_t rank, seen = 0, low, high;
	unsigned int i;
	double v;

	if (!h->count)
		return 0;
	rank = (uint64_t)(p * h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < KB_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	low = kb_hist_bucket_low(i);
	high = i + 1 < KB_HIST_BUCKETS ? kb_hist_bucket_low(i + 1) : low + 1;
	v = (low + high - 1) / 2.0;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v / 1000;
}

static int kb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of @n values; sorts @v in place. */
double kb_median(double *v, unsigned int n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), kb_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Set figure @f of @r to the median over the repeats of @v. */
static void kb_set_median(struct kb_row *r, enum kb_fig f, double *v,
			  unsigned int n)
{
	r->fig[f] = kb_median(v, n);
	r->has[f] = true;
}

static const struct {
	enum kb_fig fig;
	double p;
} kb_percentiles[] = {
	{ KB_P90_NS, 0.90 },
	{ KB_P99_NS, 0.99 },
	{ KB_P999_NS, 0.999 },
};

/*
 * Percentile figures of a row: each is the median over the repeats of that
 * percentile in each repeat; min and max are over all repeats.  spread_pct
 * is the range of the repeats' medians relative to their median.
 */
static void kb_row_hist(struct kb_row *r, const struct kb_run *runs,
			unsigned int n, double *v)
{
	double lo = 0, hi = 0;
	unsigned int i, j;

	r->hist = malloc(sizeof(*r->hist));
	if (r->hist)
		kb_hist_init(r->hist);
	for (i = 0; i < n; i++) {
		v[i] = kb_hist_percentile(runs[i].hist, 0.5);
		lo = !i || v[i] < lo ? v[i] : lo;
		hi = !i || v[i] > hi ? v[i] : hi;
		if (r->hist)
			kb_hist_merge(r->hist, runs[i].hist);
	}
	kb_set_median(r, KB_MEDIAN_NS, v, n);
	if (r->fig[KB_MEDIAN_NS] > 0) {
		r->fig[KB_SPREAD_PCT] = (hi - lo) * 100 / r->fig[KB_MEDIAN_NS];
		r->has[KB_SPREAD_PCT] = true;
	}
	for (j = 0; j < ARRAY_SIZE(kb_percentiles); j++) {
		for (i = 0; i < n; i++)
			v[i] = kb_hist_percentile(runs[i].hist,
						  kb_percentiles[j].p);
		kb_set_median(r, kb_percentiles[j].fig, v, n);
	}
	for (i = 0; i < n; i++)
		v[i] = runs[i].hist->sum / runs[i].hist->count / 1000;
	kb_set_median(r, KB_MEAN_NS, v, n);
	r->fig[KB_MIN_NS] = runs[0].hist->min / 1000.0;
	r->fig[KB_MAX_NS] = runs[0].hist->max / 1000.0;
	for (i = 1; i < n; i++) {
		if (runs[i].hist->min / 1000.0 < r->fig[KB_MIN_NS])
			r->fig[KB_MIN_NS] = runs[i].hist->min / 1000.0;
		if (runs[i].hist->max / 1000.0 > r->fig[KB_MAX_NS])
			r->fig[KB_MAX_NS] = runs[i].hist->max / 1000.0;
	}
	r->has[KB_MIN_NS] = r->has[KB_MAX_NS] = true;
}

/**
 * kb_row_finish() - turn the @n repeats of a row into its figures.
 *
 * Latency, wake and reference rows have per-iteration samples (run->hist);
 * throughput, fan-out and probe rows have one figure per repeat, its
 * elapsed time over its iterations.  CPU cost is per message.
 */
void kb_row_finish(struct kb_row *r, const struct kb_run *runs,
		   unsigned int n)
{
	double v[n];
	unsigned int i;

	r->repeats = n;
	r->iterations = runs[n - 1].iterations;
	for (i = 0; i < n; i++) {
		r->cpus[0] |= runs[i].cpus[0];
		r->cpus[1] |= runs[i].cpus[1];
	}
	/*
	 * Exact per repeat (a median is a bucket), for confidence intervals;
	 * per iteration: a probe's round trip is two messages.
	 */
	r->rep_ns = malloc(n * sizeof(*r->rep_ns));
	for (i = 0; r->rep_ns && i < n; i++)
		r->rep_ns[i] = runs[i].hist ?
			runs[i].hist->sum / runs[i].hist->count / 1000 :
			(double)runs[i].elapsed_ns / runs[i].iterations;
	if (runs[0].hist) {
		kb_row_hist(r, runs, n, v);
	} else {
		for (i = 0; i < n; i++)
			v[i] = (double)runs[i].elapsed_ns / runs[i].iterations;
		kb_set_median(r, KB_MEDIAN_NS, v, n);
		for (i = 0; i < n; i++)
			v[i] = runs[i].messages * 1e9 / runs[i].elapsed_ns;
		kb_set_median(r, KB_MSGS_PER_SEC, v, n);
	}
	if (r->test == KB_THROUGHPUT || (r->test == KB_REFERENCE && r->size)) {
		r->fig[KB_BYTES_PER_SEC] = r->size * 1e9 / r->fig[KB_MEDIAN_NS];
		r->has[KB_BYTES_PER_SEC] = true;
	}
	/*
	 * What moving a page costs, for messages of whole pages: the lending
	 * cost per page of kipc-lend beside a copy's (memcpy, pipe, ...).
	 */
	if ((r->test == KB_THROUGHPUT || r->test == KB_REFERENCE) &&
	    r->size >= KB_PAGE && r->size % KB_PAGE == 0) {
		r->fig[KB_NS_PER_PAGE] = r->fig[KB_MEDIAN_NS] * KB_PAGE / r->size;
		r->has[KB_NS_PER_PAGE] = true;
	}
#define KB_PER_MSG(fig, field)						\
	do {								\
		for (i = 0; i < n; i++)					\
			v[i] = (double)runs[i].cpu.field / runs[i].messages; \
		kb_set_median(r, fig, v, n);				\
	} while (0)
	KB_PER_MSG(KB_CPU_USER_NS, user_ns);
	KB_PER_MSG(KB_CPU_SYS_NS, sys_ns);
	KB_PER_MSG(KB_VCSW, vcsw);
	KB_PER_MSG(KB_IVCSW, ivcsw);
#undef KB_PER_MSG
}

/* Student's t, two-sided 95%, for @df degrees of freedom. */
static double kb_t95(double df)
{
	static const double t[] = {
		12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
		2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101,
		2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052,
		2.048, 2.045, 2.042,
	};
	unsigned int i = df < 1 ? 0 : (unsigned int)df - 1;

	return i < ARRAY_SIZE(t) ? t[i] : 1.96 + 2.4 / df;
}

static void kb_log_mean_var(const double *v, unsigned int n, double *mean,
			    double *var)
{
	double s = 0, ss = 0, d;
	unsigned int i;

	for (i = 0; i < n; i++)
		s += log(v[i]);
	*mean = s / n;
	for (i = 0; i < n; i++) {
		d = log(v[i]) - *mean;
		ss += d * d;
	}
	*var = n > 1 ? ss / (n - 1) : 0;
}

/**
 * kb_ratio_interval() - B/A and its 95% confidence interval
 * @a: A's repeats (time per message), @na of them
 * @b: B's repeats, @nb of them
 * @iv: out: the ratio of the geometric means and the interval around it
 *
 * Welch's interval on the logarithms (two runs, not paired by repeat):
 * exp(mean log b - mean log a -+ t95(df) * sqrt(var_a/na + var_b/nb)).
 * Return: 0, or -EINVAL when a side has fewer than 2 repeats or a value
 * is not positive (no interval).
 */
int kb_ratio_interval(const double *a, unsigned int na, const double *b,
		      unsigned int nb, struct kb_interval *iv)
{
	double ma, va, mb, vb, se2, df, h;
	unsigned int i;

	if (na < 2 || nb < 2)
		return -EINVAL;
	for (i = 0; i < na; i++)
		if (!(a[i] > 0))
			return -EINVAL;
	for (i = 0; i < nb; i++)
		if (!(b[i] > 0))
			return -EINVAL;
	kb_log_mean_var(a, na, &ma, &va);
	kb_log_mean_var(b, nb, &mb, &vb);
	se2 = va / na + vb / nb;
	df = se2 > 0 ? se2 * se2 / (va * va / ((double)na * na * (na - 1)) +
				    vb * vb / ((double)nb * nb * (nb - 1))) :
		       na + nb - 2;
	h = kb_t95(df) * sqrt(se2);
	iv->ratio = exp(mb - ma);
	iv->lo = exp(mb - ma - h);
	iv->hi = exp(mb - ma + h);
	return 0;
}
