// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: --plot DIR.  For each test and mode, a data file with one
 * block per mechanism (size, figure), a gnuplot script and the PNG gnuplot
 * draws from them: latency and wake in microseconds, throughput in GB/s,
 * both against message size on log scales, memcpy as the reference line.
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
	if (r->status != KB_OK || strcmp(r->mech, mech))
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

	if (kb_plot_path(path, base, "png"))
		return -ENAMETOOLONG;
	kb_plot_path(path, base, "dat");
	dat = kb_open_out(path);
	if (!dat)
		return -errno;
	kb_plot_path(path, base, "gp");
	gp = kb_open_out(path);
	if (!gp) {
		ret = -errno;
		fclose(dat);
		return ret;
	}
	fprintf(gp, "set terminal pngcairo size 1000,640\nset output ");
	kb_plot_path(path, base, "png");
	kb_gp_str(gp, path);
	fprintf(gp, "\nset title '%s, %s mode'\nset logscale xy\n"
		"set format x '%%.0b%%B'\nset xlabel 'message size (bytes)'\n"
		"set ylabel '%s'\nset key outside right\nset grid\nplot",
		kb_test_name(test), kb_mode_name(mode),
		test == KB_THROUGHPUT ? "GB/s (10^9 bytes/s)" :
		test == KB_LATENCY ? "round trip, median (us)" :
		"wake-up, median (us)");
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

/**
 * kb_plot_write() - draw every (test, mode) that has results into @dir.
 *
 * Return: 0, or -errno (reported on stderr).
 */
int kb_plot_write(const char *dir, const struct kb_row *rows, size_t nr)
{
	char base[PATH_MAX], script[KB_PLOT_PATH];
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
			n = kb_plot_files(base, rows, nr, t, m);
			if (n > 0) {
				kb_plot_path(script, base, "gp");
				n = kb_gnuplot(script);
			} else if (!n) {	/* nothing measured */
				n = kb_plot_remove(base);
			}
			if (n < 0 && !ret)
				ret = n;
		}
	}
	return ret;
}
