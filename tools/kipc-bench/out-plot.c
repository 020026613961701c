// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: --plot DIR.  For each test and mode, a data file with one
 * block per mechanism (size, figure), a gnuplot script and the PNG gnuplot
 * draws from them: latency and wake in microseconds, throughput in GB/s,
 * both against message size on log scales (a tick at each measured size),
 * memcpy as the reference line; no probe row.  For each latency and wake
 * size and mode, the distribution too: the fraction of iterations (y) at
 * or below each time (x), one curve per mechanism.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kipc-bench.h"

extern char **environ;

/* Room for a base name of up to PATH_MAX and an extension */
#define KB_PLOT_PATH	(PATH_MAX + 8)

/* @base.@ext into @buf (KB_PLOT_PATH); -ENAMETOOLONG if it is too long. */
static int kb_plot_path(char *buf, const char *base, const char *ext)
{
	int n = snprintf(buf, KB_PLOT_PATH, "%s.%s", base, ext);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* A gnuplot single-quoted string: a quote inside is doubled. */
static void kb_gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static bool kb_plot_wants(const struct kb_row *r, enum kb_test test,
			  enum kb_mode mode, const char *mech)
{
	const struct kb_mech *m = kb_mech_find(r->mech);

	if (r->status != KB_OK || strcmp(r->mech, mech))
		return false;
	/*
	 * Not a probe row: its median_ns is the median of its repeats'
	 * means, not of its round trips, the figure the plot shows.
	 */
	if (m && m->ping)
		return false;
	if (r->test == KB_REFERENCE)	/* memcpy on every size plot */
		return test != KB_WAKE && r->size;
	return r->test == test && r->mode == mode;
}

static double kb_plot_value(const struct kb_row *r, enum kb_test test)
{
	if (test == KB_THROUGHPUT)
		return r->fig[KB_BYTES_PER_SEC] / 1e9;
	return r->fig[KB_MEDIAN_NS] / 1e3;
}

/* Has @mech a row in an earlier slot than @i? */
static bool kb_seen(const struct kb_row *rows, size_t i, const char *mech)
{
	while (i--)
		if (!strcmp(rows[i].mech, mech))
			return true;
	return false;
}

/* Open @base.dat and @base.gp, the script's PNG output named; or -errno. */
static int kb_plot_open(const char *base, FILE **dat, FILE **gp)
{
	char path[KB_PLOT_PATH];
	int ret;

	if (kb_plot_path(path, base, "png"))
		return -ENAMETOOLONG;
	kb_plot_path(path, base, "dat");
	*dat = kb_open_out(path);
	if (!*dat)
		return -errno;
	kb_plot_path(path, base, "gp");
	*gp = kb_open_out(path);
	if (!*gp) {
		ret = -errno;
		fclose(*dat);
		return ret;
	}
	fprintf(*gp, "set terminal pngcairo size 1000,640\nset output ");
	kb_plot_path(path, base, "png");
	kb_gp_str(*gp, path);
	fputc('\n', *gp);
	return 0;
}

/* A tick on the size axis at each size a row of (@test, @mode) measured. */
static void kb_plot_xtics(FILE *gp, const struct kb_row *rows, size_t nr,
			  enum kb_test test, enum kb_mode mode)
{
	const char *sep = "";
	char label[16];
	size_t i, j;

	fputs("set xtics (", gp);
	for (i = 0; i < nr; i++) {
		if (rows[i].test != test || rows[i].mode != mode ||
		    rows[i].status != KB_OK)
			continue;
		for (j = 0; j < i; j++)
			if (rows[j].test == test && rows[j].mode == mode &&
			    rows[j].status == KB_OK &&
			    rows[j].size == rows[i].size)
				break;
		if (j < i)
			continue;
		kb_format_size(label, sizeof(label), rows[i].size);
		fprintf(gp, "%s\"%s\" %zu", sep, label, rows[i].size);
		sep = ", ";
	}
	fputs(")\n", gp);
}

/*
 * Write @base.dat and @base.gp; returns the number of IPC curves (memcpy
 * not counted), or -errno.
 */
static int kb_plot_files(const char *base, const struct kb_row *rows,
			 size_t nr, enum kb_test test, enum kb_mode mode)
{
	char path[KB_PLOT_PATH];
	FILE *dat, *gp;
	int curves = 0, ipc = 0, ret;
	size_t i, j;

	ret = kb_plot_open(base, &dat, &gp);
	if (ret)
		return ret;
	fprintf(gp, "set title '%s, %s mode'\nset logscale xy\n"
		"set xlabel 'message size (bytes)'\n"
		"set ylabel '%s'\nset key outside right\nset grid\n",
		kb_test_name(test), kb_mode_name(mode),
		test == KB_THROUGHPUT ? "GB/s (10^9 bytes/s)" :
		test == KB_LATENCY ? "round trip, median (us)" :
		test == KB_RPC ? "call, median (us)" :
		"wake-up, median (us)");
	kb_plot_xtics(gp, rows, nr, test, mode);
	fputs("plot", gp);
	for (i = 0; i < nr; i++) {
		bool any = false;

		if (kb_seen(rows, i, rows[i].mech))
			continue;
		for (j = i; j < nr; j++) {
			if (!kb_plot_wants(&rows[j], test, mode, rows[i].mech))
				continue;
			fprintf(dat, "%zu %g\n", rows[j].size,
				kb_plot_value(&rows[j], test));
			any = true;
		}
		if (!any)
			continue;
		fputs("\n\n", dat);
		fprintf(gp, "%s \\\n  ", curves ? "," : "");
		kb_plot_path(path, base, "dat");
		kb_gp_str(gp, path);
		fprintf(gp, " index %d with linespoints %stitle ", curves,
			rows[i].test == KB_REFERENCE ? "dashtype 2 " : "");
		kb_gp_str(gp, rows[i].mech);
		curves++;
		ipc += rows[i].test != KB_REFERENCE;
	}
	fputc('\n', gp);
	ret = kb_close_out(dat, base);
	if (kb_close_out(gp, base) && !ret)
		ret = -EIO;
	return ret ? ret : ipc;
}

/*
 * The distribution of the rows of (@test, @mode, @size): write @base.dat
 * and @base.gp; returns the number of curves, or -errno.
 */
static int kb_plot_cdf_files(const char *base, const struct kb_row *rows,
			     size_t nr, enum kb_test test, enum kb_mode mode,
			     size_t size)
{
	char path[KB_PLOT_PATH], label[16];
	uint64_t sum;
	FILE *dat, *gp;
	int curves = 0, ret;
	unsigned int b;
	size_t i;

	ret = kb_plot_open(base, &dat, &gp);
	if (ret)
		return ret;
	kb_format_size(label, sizeof(label), size);
	fprintf(gp, "set title '%s %s, %s mode: distribution'\n"
		"set logscale x\nset xlabel '%s (us)'\n"
		"set ylabel 'fraction of iterations at or below'\n"
		"set yrange [0:1]\nset key outside right\nset grid\nplot",
		kb_test_name(test), label, kb_mode_name(mode),
		test == KB_LATENCY ? "round trip" :
		test == KB_RPC ? "call" : "wake-up");
	for (i = 0; i < nr; i++) {
		const struct kb_hist *h = rows[i].hist;

		if (rows[i].test != test || rows[i].mode != mode ||
		    rows[i].size != size || rows[i].status != KB_OK ||
		    !h || !h->count)
			continue;
		for (b = 0, sum = 0; b < KB_HIST_BUCKETS; b++) {
			if (!h->bucket[b])
				continue;
			sum += h->bucket[b];
			fprintf(dat, "%g %g\n", kb_hist_bucket_low(b) / 1e6,
				(double)sum / h->count);
		}
		fputs("\n\n", dat);
		fprintf(gp, "%s \\\n  ", curves ? "," : "");
		kb_plot_path(path, base, "dat");
		kb_gp_str(gp, path);
		fprintf(gp, " index %d with steps title ", curves);
		kb_gp_str(gp, rows[i].mech);
		curves++;
	}
	fputc('\n', gp);
	ret = kb_close_out(dat, base);
	if (kb_close_out(gp, base) && !ret)
		ret = -EIO;
	return ret ? ret : curves;
}

static int kb_plot_remove(const char *base)
{
	static const char *const ext[] = { "dat", "gp" };
	char path[KB_PLOT_PATH];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ext); i++) {
		kb_plot_path(path, base, ext[i]);
		if (unlink(path)) {
			kb_warn("unlink %s: %s", path, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int kb_gnuplot(const char *script)
{
	char *argv[] = { "gnuplot", (char *)script, NULL };
	int ret, status;
	pid_t pid;

	ret = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
	if (ret) {
		kb_warn("gnuplot: %s%s", strerror(ret), ret == ENOENT ?
			" (install gnuplot-nox)" : "");
		return -ret;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		kb_warn("gnuplot %s failed", script);
		return -EIO;
	}
	return 0;
}

/* Draw one plot: @base.gp if it has curves, else remove its files. */
static int kb_plot_draw(const char *base, int curves)
{
	char script[KB_PLOT_PATH];

	if (curves < 0)
		return curves;
	if (!curves)		/* nothing measured */
		return kb_plot_remove(base);
	kb_plot_path(script, base, "gp");
	return kb_gnuplot(script);
}

/* The distributions of (@test, @mode): one plot per size measured. */
static int kb_plot_cdfs(const char *dir, const struct kb_row *rows, size_t nr,
			enum kb_test test, enum kb_mode mode)
{
	char base[PATH_MAX];
	int n, ret = 0;
	size_t i, j;

	for (i = 0; i < nr; i++) {
		if (rows[i].test != test || rows[i].mode != mode ||
		    rows[i].status != KB_OK || !rows[i].hist)
			continue;
		for (j = 0; j < i; j++)
			if (rows[j].test == test && rows[j].mode == mode &&
			    rows[j].size == rows[i].size)
				break;
		if (j < i)	/* drawn with an earlier row of its size */
			continue;
		n = snprintf(base, sizeof(base) - 8, "%s/%s-%s-%zu-cdf", dir,
			     kb_test_name(test), kb_mode_name(mode),
			     rows[i].size);
		if (n < 0 || (size_t)n >= sizeof(base) - 8)
			return -ENAMETOOLONG;
		n = kb_plot_draw(base, kb_plot_cdf_files(base, rows, nr, test,
							 mode, rows[i].size));
		if (n < 0 && !ret)
			ret = n;
	}
	return ret;
}

/**
 * kb_plot_write() - draw every (test, mode) that has results into @dir.
 *
 * Return: 0, or -errno (reported on stderr).
 */
int kb_plot_write(const char *dir, const struct kb_row *rows, size_t nr)
{
	char base[PATH_MAX];
	int t, m, n, ret = 0;

	if (mkdir(dir, 0777) && errno != EEXIST) {
		kb_warn("mkdir %s: %s", dir, strerror(errno));
		return -errno;
	}
	for (t = 0; t < KB_NR_TESTS; t++) {
		for (m = 0; m < KB_NR_MODES; m++) {
			n = snprintf(base, sizeof(base) - 8, "%s/%s-%s", dir,
				     kb_test_name(t), kb_mode_name(m));
			if (n < 0 || (size_t)n >= sizeof(base) - 8) {
				kb_warn("--plot: %s: name too long", dir);
				return -ENAMETOOLONG;
			}
			n = kb_plot_draw(base, kb_plot_files(base, rows, nr,
							     t, m));
			if (n < 0 && !ret)
				ret = n;
			if (t != KB_LATENCY && t != KB_WAKE && t != KB_RPC)
				continue;
			n = kb_plot_cdfs(dir, rows, nr, t, m);
			if (n < 0 && !ret)
				ret = n;
		}
	}
	return ret;
}
