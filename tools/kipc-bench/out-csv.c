// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: CSV output: one header line, then one line per row with the
 * same names as the JSON records and the environment repeated on each line,
 * so that files from several runs can simply be concatenated (minus their
 * headers).  An absent figure is an empty cell.
 */
#include <errno.h>
#include <string.h>

#include "kipc-bench.h"

static void kb_csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/**
 * kb_csv_write() - write every row to @path ("-" is stdout).
 *
 * Return: 0, or -errno (reported on stderr).
 */
int kb_csv_write(const char *path, const struct kb_env *env,
		 const struct kb_row *rows, size_t nr)
{
	FILE *f = kb_open_out(path);
	const struct kb_row *r;
	unsigned int j;
	size_t i;

	if (!f)
		return -errno;
	fputs("schema,test,mechanism,mode,size,status,repeats,iterations", f);
	for (j = 0; j < KB_NR_FIGS; j++)
		fprintf(f, ",%s", kb_fig_names[j]);
	fputs(",reason,kernel,virt,cpus,clocksource,date\n", f);
	for (i = 0; i < nr; i++) {
		r = &rows[i];
		fprintf(f, "%s,%s,%s,%s,%zu,%s,%u,%llu", KB_SCHEMA,
			kb_test_name(r->test), r->mech,
			r->has_mode ? kb_mode_name(r->mode) : "none", r->size,
			kb_status_name(r->status), r->repeats,
			(unsigned long long)r->iterations);
		for (j = 0; j < KB_NR_FIGS; j++) {
			if (r->status == KB_OK && r->has[j])
				fprintf(f, ",%.6g", r->fig[j]);
			else
				fputc(',', f);
		}
		fputc(',', f);
		kb_csv_str(f, r->status == KB_OK ? "" : r->reason);
		fputc(',', f);
		kb_csv_str(f, env->kernel);
		fprintf(f, ",%s,%ld,%s,%s\n", env->virt, env->cpus,
			env->clocksource, env->date);
	}
	return kb_close_out(f, path);
}
