// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: JSON output, schema "kipc-bench/1" (schema.json describes it,
 * Documentation/kipc-bench.md explains it).  Each result record is written
 * on a line of its own, which `kipc-bench compare` relies on.
 */
#include <errno.h>
#include <string.h>

#include "kipc-bench.h"

/* @s as a JSON string. */
static void kb_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void kb_json_env(FILE *f, const struct kb_env *env)
{
	fputs("{\"kernel\": ", f);
	kb_json_str(f, env->kernel);
	fputs(", \"machine\": ", f);
	kb_json_str(f, env->machine);
	fputs(", \"cpu_model\": ", f);
	kb_json_str(f, env->cpu_model);
	fprintf(f, ", \"cpus\": %ld, \"virt\": ", env->cpus);
	kb_json_str(f, env->virt);
	fputs(", \"hypervisor\": ", f);
	kb_json_str(f, env->hypervisor);
	fputs(", \"dmi_vendor\": ", f);
	kb_json_str(f, env->dmi_vendor);
	fputs(", \"dmi_product\": ", f);
	kb_json_str(f, env->dmi_product);
	fputs(", \"clocksource\": ", f);
	kb_json_str(f, env->clocksource);
	fputs(", \"date\": ", f);
	kb_json_str(f, env->date);
	fputc('}', f);
}

static void kb_json_hist(FILE *f, const struct kb_hist *h)
{
	const char *sep = "";
	unsigned int i;

	fputs(", \"histogram\": [", f);
	for (i = 0; i < KB_HIST_BUCKETS; i++) {
		if (!h->bucket[i])
			continue;
		fprintf(f, "%s[%.3f, %llu]", sep,
			kb_hist_bucket_low(i) / 1000.0,
			(unsigned long long)h->bucket[i]);
		sep = ", ";
	}
	fputc(']', f);
}

/*
 * A side's CPUs, from its mask, as a JSON array of integers: [] when it
 * was never sampled; 63 stands for 63 and above (the mask's last bit).
 */
static void kb_json_cpus(FILE *f, uint64_t mask)
{
	int cpu, n = 0;

	fputc('[', f);
	for (cpu = 0; cpu < 64; cpu++)
		if (mask & (1ULL << cpu))
			fprintf(f, "%s%d", n++ ? ", " : "", cpu);
	fputc(']', f);
}

static void kb_json_row(FILE *f, const struct kb_row *r,
			const struct kb_env *env)
{
	unsigned int i;

	fputs("{\"test\": ", f);
	kb_json_str(f, kb_test_name(r->test));
	fputs(", \"mechanism\": ", f);
	kb_json_str(f, r->mech);
	fputs(", \"mode\": ", f);
	kb_json_str(f, r->has_mode ? kb_mode_name(r->mode) : "none");
	fprintf(f, ", \"size\": %zu, \"status\": ", r->size);
	kb_json_str(f, kb_status_name(r->status));
	if (r->status != KB_OK) {
		fputs(", \"reason\": ", f);
		kb_json_str(f, r->reason);
	} else {
		if (r->reason[0]) {
			fputs(", \"note\": ", f);
			kb_json_str(f, r->reason);
		}
		fprintf(f, ", \"repeats\": %u, \"iterations\": %llu",
			r->repeats, (unsigned long long)r->iterations);
		for (i = 0; i < KB_NR_FIGS; i++)
			if (r->has[i])
				fprintf(f, ", \"%s\": %.6g", kb_fig_names[i],
					r->fig[i]);
		if (r->cpus[0] || r->cpus[1]) {
			fputs(", \"cpus\": [", f);
			kb_json_cpus(f, r->cpus[0]);
			fputs(", ", f);
			kb_json_cpus(f, r->cpus[1]);
			fputc(']', f);
		}
		if (r->wall_ns)
			fprintf(f, ", \"wall_ms\": %.3f", r->wall_ns / 1e6);
		if (r->rep_ns) {
			fputs(", \"repeat_ns\": [", f);
			for (i = 0; i < r->repeats; i++)
				fprintf(f, "%s%.6g", i ? ", " : "", r->rep_ns[i]);
			fputc(']', f);
		}
	}
	fputs(", \"environment\": ", f);
	kb_json_env(f, env);
	if (r->status == KB_OK && r->hist)
		kb_json_hist(f, r->hist);
	fputc('}', f);
}

/**
 * kb_json_write() - write the whole run to @path ("-" is stdout).
 *
 * The options say "rounds": "test": a round runs every row of a test, all
 * its sizes (main.c, kb_run_test()), so that repeat k of any two rows of a
 * test ran in round k (fan-out rows excepted: their rounds are per size).
 * Files without it ran a round per (test, size): their rows of two sizes
 * ran apart and pair nothing.
 *
 * Return: 0, or -errno (reported on stderr).
 */
int kb_json_write(const char *path, const struct kb_opts *o,
		  const struct kb_env *env, const struct kb_row *rows,
		  size_t nr)
{
	FILE *f = kb_open_out(path);
	size_t i;

	if (!f)
		return -errno;
	fprintf(f, "{\"schema\": \"%s\",\n\"generator\": \"kipc-bench %s\",\n",
		KB_SCHEMA, KB_VERSION);
	fputs("\"command\": [", f);
	for (i = 0; i < (size_t)o->argc; i++) {
		fputs(i ? ", " : "", f);
		kb_json_str(f, o->argv[i]);
	}
	fprintf(f, "],\n\"options\": {\"repeats\": %u, \"time_ms\": %llu, "
		"\"iterations\": %llu, \"spin_us\": %llu, \"touch\": %s, "
		"\"cpu\": [%d, %d], \"memory_pressure_pct\": %u, "
		"\"idle_us\": %llu, \"rounds\": \"test\"},\n"
		"\"environment\": ", o->repeats,
		(unsigned long long)(o->time_ns / 1000000),
		(unsigned long long)o->iterations,
		(unsigned long long)(o->spin_ns / 1000),
		o->touch ? "true" : "false", o->cpu[0], o->cpu[1],
		o->pressure_pct, (unsigned long long)(o->idle_ns / 1000));
	kb_json_env(f, env);
	fputs(",\n\"results\": [\n", f);
	for (i = 0; i < nr; i++) {
		kb_json_row(f, &rows[i], env);
		fputs(i + 1 < nr ? ",\n" : "\n", f);
	}
	fputs("]}\n", f);
	return kb_close_out(f, path);
}
