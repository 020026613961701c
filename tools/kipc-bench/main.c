// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: command line, and the order rows are run in.
 *
 * Repeats are interleaved: for each test, repeat 1 of every row (every
 * mechanism, mode and size), then repeat 2 of every row, and so on, each
 * round in an order of its own, so that a slow moment of the machine
 * spreads over all rows instead of spoiling one, and repeat k of any two
 * rows of a test, of one size or two, ran in the same round.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipc-bench.h"

#define KB_EXIT_USAGE	2

static const char kb_usage[] =
"usage: kipc-bench [options] [TEST...]    run TESTs (default: latency)\n"
"       kipc-bench list                   mechanisms and their availability\n"
"       kipc-bench compare A.json B.json  figures of two runs and B/A\n"
"       kipc-bench chanmem [N]            kernel slab bytes per idle kipc\n"
"                                         channel (N channels, default 1000)\n"
"\n"
"TEST: latency (ping-pong round trip), throughput (one-way stream),\n"
"      wake (send to wake-up), fanout (one wake of N sleepers on one\n"
"      word; its sizes are sleeper counts), rpc (a call of the kipc\n"
"      protocol: a request of the size, its header included, and a\n"
"      64-byte reply; unix-seqpacket, dbus, kipc-rpc; blocking only),\n"
"      all (latency, throughput and wake)\n"
"\n"
"  -m, --mech LIST      mechanisms, comma-separated (default: all)\n"
"  -s, --sizes LIST     message sizes, e.g. 8,64,4K,1M,64M (default:\n"
"                       latency 8,64,4K,64K; throughput 4K,64K,1M; wake 8;\n"
"                       fanout 64 sleepers; rpc 64,1M)\n"
"  -M, --mode LIST      blocking, busy-poll, spin-block, all (default: each\n"
"                       mechanism's first: blocking, spin-ring busy-poll)\n"
"  -r, --repeats N      repeats per row, median reported (default 3)\n"
"  -t, --time MS        measured time per repeat of a row (default 100)\n"
"  -n, --iterations N   fixed iteration count instead of --time\n"
"  -q, --quick          --repeats 1 --time 20\n"
"      --spin-us N      spin-block: poll N us before sleeping (default 20)\n"
"      --idle-us N      wake: the sender waits N us before each message, so\n"
"                       that the receiver sleeps (default 30); cpu/msg is\n"
"                       then what the receiver spends idle that long\n"
"      --touch          sender writes every byte, receiver checks every byte\n"
"      --no-reference   leave out the reference rows (memcpy, system call)\n"
"      --memory-pressure PCT  hold PCT percent of the available memory\n"
"                       (1-95) in a child process while the rows run\n"
"  -c, --cpu A[,B]      pin the driving process to CPU A, its peer to B\n"
"      --timeout SEC    give up on a repeat of a row after SEC (default 60)\n"
"  -j, --json FILE      write results as JSON (schema kipc-bench/1)\n"
"      --csv FILE       write results as CSV\n"
"      --plot DIR       write PNG charts (needs gnuplot)\n"
"      --inject KIND    self-test: spoil one message (corrupt, drop);\n"
"                       the rows must fail\n"
"  -h, --help           this text\n"
"  -V, --version        print the version\n";

enum {
	OPT_SPIN = 256, OPT_TOUCH, OPT_TIMEOUT, OPT_CSV, OPT_PLOT, OPT_INJECT,
	OPT_PRESSURE, OPT_IDLE, OPT_NO_REF,
};

static const struct option kb_longopts[] = {
	{ "mech",	required_argument,	NULL, 'm' },
	{ "sizes",	required_argument,	NULL, 's' },
	{ "mode",	required_argument,	NULL, 'M' },
	{ "repeats",	required_argument,	NULL, 'r' },
	{ "time",	required_argument,	NULL, 't' },
	{ "iterations",	required_argument,	NULL, 'n' },
	{ "quick",	no_argument,		NULL, 'q' },
	{ "spin-us",	required_argument,	NULL, OPT_SPIN },
	{ "idle-us",	required_argument,	NULL, OPT_IDLE },
	{ "touch",	no_argument,		NULL, OPT_TOUCH },
	{ "no-reference", no_argument,		NULL, OPT_NO_REF },
	{ "memory-pressure", required_argument,	NULL, OPT_PRESSURE },
	{ "cpu",	required_argument,	NULL, 'c' },
	{ "timeout",	required_argument,	NULL, OPT_TIMEOUT },
	{ "json",	required_argument,	NULL, 'j' },
	{ "csv",	required_argument,	NULL, OPT_CSV },
	{ "plot",	required_argument,	NULL, OPT_PLOT },
	{ "inject",	required_argument,	NULL, OPT_INJECT },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ NULL,		0,			NULL, 0 },
};

static const size_t kb_default_sizes[KB_NR_TESTS][4] = {
	[KB_LATENCY]	= { 8, 64, 4096, 65536 },
	[KB_THROUGHPUT]	= { 4096, 65536, 1 << 20 },
	[KB_WAKE]	= { 8 },
	[KB_FANOUT]	= { 64 },	/* sleepers, not bytes */
	[KB_RPC]	= { 64, 1 << 20 },	/* requests; replies are 64 B */
};

static void __attribute__((noreturn, format(printf, 1, 2)))
kb_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kipc-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", kb_usage);
	exit(KB_EXIT_USAGE);
}

/* A count that must be at least @min and at most @max. */
static uint64_t kb_arg_u64(const char *opt, const char *arg, uint64_t min,
			   uint64_t max)
{
	uint64_t v;

	if (kb_parse_u64(arg, &v) || v < min || v > max)
		kb_usage_error("%s: expected a number from %llu to %llu, "
			       "not '%s'", opt, (unsigned long long)min,
			       (unsigned long long)max, arg);
	return v;
}

static void kb_arg_sizes(struct kb_opts *o, const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	size_t size;

	if (!copy)
		kb_usage_error("out of memory");
	o->nr_sizes = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (kb_parse_size(tok, &size) || size < KB_MIN_SIZE)
			kb_usage_error("--sizes: '%s' is not a size from %d "
				       "bytes to 1G", tok, KB_MIN_SIZE);
		o->sizes = realloc(o->sizes, (o->nr_sizes + 1) *
				   sizeof(*o->sizes));
		if (!o->sizes)
			kb_usage_error("out of memory");
		o->sizes[o->nr_sizes++] = size;
	}
	free(copy);
	if (!o->nr_sizes)
		kb_usage_error("--sizes: empty list");
	o->sizes_given = true;
}

static void kb_arg_modes(struct kb_opts *o, const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int m;

	if (!copy)
		kb_usage_error("out of memory");
	o->modes = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		m = kb_mode_parse(tok);
		if (!strcmp(tok, "all"))
			o->modes = KB_ALL_MODES;
		else if (m < 0)
			kb_usage_error("--mode: unknown mode '%s'", tok);
		else
			o->modes |= BIT(m);
	}
	free(copy);
	if (!o->modes)
		kb_usage_error("--mode: empty list");
}

static void kb_arg_mechs(const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;

	if (!copy)
		kb_usage_error("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!kb_mech_find(tok))
			kb_usage_error("--mech: unknown mechanism '%s' "
				       "(see kipc-bench list)", tok);
	free(copy);
}

static void kb_arg_cpus(struct kb_opts *o, const char *arg)
{
	char *copy = strdup(arg), *comma;
	cpu_set_t allowed;
	uint64_t cpu;
	int i;

	if (!copy)
		kb_usage_error("out of memory");
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		kb_usage_error("sched_getaffinity: %s", strerror(errno));
	comma = strchr(copy, ',');
	if (comma)
		*comma++ = '\0';
	for (i = 0; i < KB_MAX_CPUS; i++) {
		const char *s = i && comma ? comma : copy;

		if (kb_parse_u64(s, &cpu) || cpu >= CPU_SETSIZE ||
		    !CPU_ISSET(cpu, &allowed))
			kb_usage_error("--cpu: '%s' is not a CPU this process "
				       "may run on", s);
		o->cpu[i] = cpu;
	}
	free(copy);
}

static bool kb_mech_selected(const struct kb_opts *o, const char *name)
{
	size_t n = strlen(name);
	const char *p = o->mechs;

	if (!p)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == o->mechs || p[-1] == ',') && (!p[n] || p[n] == ','))
			return true;
		p += n;
	}
	return false;
}

/* The rows of a run, in the order they were measured */
struct kb_rows {
	struct kb_row *v;
	size_t nr, cap;
};

static struct kb_row *kb_row_add(struct kb_rows *rows, enum kb_test test,
				 const char *mech, size_t size)
{
	struct kb_row *r;

	if (rows->nr == rows->cap) {
		rows->cap = rows->cap ? 2 * rows->cap : 64;
		r = realloc(rows->v, rows->cap * sizeof(*r));
		if (!r) {
			kb_warn("out of memory");
			exit(1);
		}
		rows->v = r;
	}
	r = &rows->v[rows->nr++];
	memset(r, 0, sizeof(*r));
	r->test = test;
	r->mech = mech;
	r->size = size;
	return r;
}

static void kb_row_skip(struct kb_row *r, enum kb_status status,
			const char *fmt, const char *arg)
{
	r->status = status;
	snprintf(r->reason, sizeof(r->reason), fmt, arg);
}

/* Allocate the per-repeat runs of a row; latency and wake keep samples. */
static struct kb_run *kb_runs_alloc(unsigned int n, bool hist)
{
	struct kb_run *runs = calloc(n, sizeof(*runs));
	unsigned int i;

	for (i = 0; runs && hist && i < n; i++) {
		runs[i].hist = malloc(sizeof(*runs[i].hist));
		if (!runs[i].hist)
			break;
		kb_hist_init(runs[i].hist);
	}
	if (!runs || (hist && i < n)) {
		kb_warn("out of memory");
		exit(1);
	}
	return runs;
}

/*
 * Whether a row keeps a sample per iteration: latency, wake and rpc rows,
 * but not a probe's, which times its loop as one block.
 */
static bool kb_row_samples(const struct kb_row *r)
{
	return r->test != KB_THROUGHPUT && !kb_mech_find(r->mech)->ping;
}

static void kb_runs_free(struct kb_run *runs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		free(runs[i].hist);
	free(runs);
}

static void kb_finish(struct kb_row *r, struct kb_run *runs, unsigned int n)
{
	if (r->status == KB_OK)
		kb_row_finish(r, runs, n);
	kb_table_row(stdout, r);
	fflush(stdout);
}

/* The sizes test @t runs at: *@n of them. */
static const size_t *kb_test_sizes(const struct kb_opts *o, int t, size_t *n)
{
	const size_t *sizes = o->sizes_given ? o->sizes : kb_default_sizes[t];
	size_t max = o->sizes_given ? o->nr_sizes :
		     ARRAY_SIZE(kb_default_sizes[t]);

	for (*n = 0; *n < max && sizes[*n]; ++*n)
		;
	return sizes;
}

/*
 * Progress on stderr: a line after each round of a batch (a test at all
 * its sizes; fan-out, a test at one size), so that a long run says where
 * it is, how much is left and how long it has taken.
 */
static struct {
	unsigned int done, total;	/* batches */
	uint64_t t0;
} kb_progress;

static void kb_progress_round(enum kb_test test, const size_t *sizes,
			      size_t nr, unsigned int round,
			      unsigned int rounds)
{
	char list[128], sz[16];
	size_t i, n = 0;

	if (round == rounds)
		kb_progress.done++;
	list[0] = '\0';
	for (i = 0; i < nr && n < sizeof(list); i++) {
		kb_format_size(sz, sizeof(sz), sizes[i]);
		n += snprintf(list + n, sizeof(list) - n, "%s%s", i ? "," : "",
			      sz);
	}
	fprintf(stderr, "kipc-bench: [%u/%u] %s %s: round %u/%u, %.1f s\n",
		kb_progress.done + (round < rounds), kb_progress.total,
		kb_test_name(test), list, round, rounds,
		(kb_now_ns() - kb_progress.t0) / 1e9);
}

/* memcpy of every size any test will use, then the null system call. */
static void kb_run_refs(const struct kb_opts *o, struct kb_rows *rows)
{
	size_t sizes[64], nr = 0, i, j, k;
	unsigned int rep;
	int t;

	for (t = 0; t < KB_NR_TESTS; t++) {
		size_t n;
		const size_t *s = kb_test_sizes(o, t, &n);

		if (!(o->tests & BIT(t)))
			continue;
		for (i = 0; i < n && nr < ARRAY_SIZE(sizes); i++) {
			for (j = 0; j < nr && sizes[j] != s[i]; j++)
				;
			if (j == nr)
				sizes[nr++] = s[i];
		}
	}
	for (k = 0; k < kb_nr_refs; k++) {
		const struct kb_ref *ref = &kb_refs[k];

		for (i = 0; i < (ref->sized ? nr : 1); i++) {
			size_t size = ref->sized ? sizes[i] : 0;
			struct kb_row *r = kb_row_add(rows, KB_REFERENCE,
						      ref->name, size);
			struct kb_run *runs = kb_runs_alloc(o->repeats, true);

			for (rep = 0; rep < o->repeats && !r->status; rep++)
				if (kb_run_reference(o, ref, size, &runs[rep],
						     r->reason,
						     sizeof(r->reason)))
					r->status = KB_FAILED;
			kb_finish(r, runs, o->repeats);
			kb_runs_free(runs, o->repeats);
		}
	}
}

/*
 * The fan-out rows of @n sleepers: futex-shared and kipc-wait, taking
 * turns within each repeat.
 */
static void kb_run_fanouts(const struct kb_opts *o, struct kb_rows *rows,
			   size_t n)
{
	struct kb_row *r[KB_NR_FANOUT] = { 0 };
	struct kb_run *runs[KB_NR_FANOUT] = { 0 };
	unsigned int rep;
	int m, ret;

	for (m = 0; m < KB_NR_FANOUT; m++) {
		if (!kb_mech_selected(o, kb_fanout_mechs[m]))
			continue;
		r[m] = kb_row_add(rows, KB_FANOUT, kb_fanout_mechs[m], n);
		runs[m] = kb_runs_alloc(o->repeats, false);
	}
	/*
	 * One round unmeasured first: the first pays the first faults of a
	 * region and of a futex's hash bucket, which no later round does.
	 * A skip after a round that ran is a failure (kb_run_size()).
	 */
	for (rep = 0; rep <= o->repeats; rep++) {
		for (m = 0; m < KB_NR_FANOUT; m++) {
			struct kb_run warm = { 0 };
			uint64_t t0;

			if (!r[m] || r[m]->status)
				continue;
			t0 = kb_now_ns();
			ret = kb_run_fanout(m, n, rep ? &runs[m][rep - 1] :
					    &warm, r[m]->reason,
					    sizeof(r[m]->reason));
			r[m]->wall_ns += kb_now_ns() - t0;
			if ((ret == -ENOTSUP || ret == -ENOENT) && !rep)
				r[m]->status = KB_SKIPPED;
			else if (ret)
				r[m]->status = KB_FAILED;
		}
		if (rep)
			kb_progress_round(KB_FANOUT, &n, 1, rep, o->repeats);
	}
	for (m = 0; m < KB_NR_FANOUT; m++) {
		if (!r[m])
			continue;
		kb_finish(r[m], runs[m], o->repeats);
		kb_runs_free(runs[m], o->repeats);
	}
}

struct kb_avail {
	int err;
	char why[128];
};

/*
 * Round @rep's order of @nr rows: a shuffle drawn from a generator seeded
 * by the round (a run can be repeated as it was). A rotation kept each
 * row behind the same row in all rounds but one, so that whatever a row
 * leaves to the next (the emulator's translation cache, slab state, a
 * parameter its teardown wrote) was a fixed bias of their paired ratio;
 * shuffled, it is noise the interval covers.
 */
static void kb_round_order(size_t *order, size_t nr, unsigned int rep)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (rep + 1);
	size_t i, j, t;

	for (i = 0; i < nr; i++)
		order[i] = i;
	for (i = nr; i > 1; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % i;
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
}

/* The rows of one (test, size): every mechanism and mode selected. */
static void kb_add_rows(const struct kb_opts *o, struct kb_rows *rows,
			const struct kb_avail *avail, enum kb_test test,
			size_t size)
{
	size_t i;

	for (i = 0; i < kb_nr_mechs; i++) {
		const struct kb_mech *m = kb_mechs[i];
		unsigned int modes = o->modes ? o->modes :
				     BIT(kb_mech_default_mode(m));
		int mode;

		if (!kb_mech_selected(o, m->name) || !(m->tests & BIT(test)) ||
		    (m->named_only && !o->mechs))
			continue;
		for (mode = 0; mode < KB_NR_MODES; mode++) {
			struct kb_row *r;

			if (!(modes & BIT(mode)))
				continue;
			r = kb_row_add(rows, test, m->name, size);
			r->mode = mode;
			r->has_mode = true;
			if (avail[i].err)
				kb_row_skip(r, KB_SKIPPED, "unavailable: %s",
					    avail[i].why);
			else if (!(m->modes & BIT(mode)))
				kb_row_skip(r, KB_SKIPPED, "%s mode not "
					    "supported", kb_mode_name(mode));
		}
	}
}

/*
 * Every row of one test, all its sizes, interleaved: a round runs each
 * row once, and repeat k of every row is in round k. A row's channel is
 * set up and torn down within each of its repeats, so no two rows' memory
 * is held at once, whatever the order.
 */
static void kb_run_test(const struct kb_opts *o, struct kb_rows *rows,
			const struct kb_avail *avail, enum kb_test test,
			const size_t *sizes, size_t nr_sizes)
{
	size_t first = rows->nr, i, j, nr, *order;
	struct kb_run **runs;
	unsigned int rep;
	uint64_t t0;

	for (i = 0; i < nr_sizes; i++)
		kb_add_rows(o, rows, avail, test, sizes[i]);
	nr = rows->nr - first;
	runs = calloc(nr, sizeof(*runs));
	order = calloc(nr ? nr : 1, sizeof(*order));
	if (!runs || !order) {
		kb_warn("out of memory");
		exit(1);
	}
	for (i = 0; i < nr; i++)
		runs[i] = kb_runs_alloc(o->repeats,
					kb_row_samples(&rows->v[first + i]));
	/*
	 * Repeats interleaved, each round in an order of its own: no row
	 * always runs first (after another test's rows), last, or behind
	 * the same row.
	 */
	for (rep = 0; rep < o->repeats; rep++) {
		kb_round_order(order, nr, rep);
		for (j = 0; j < nr; j++) {
			struct kb_row *r;

			i = order[j];
			r = &rows->v[first + i];

			if (r->status != KB_OK)
				continue;
			t0 = kb_now_ns();
			r->status = kb_run_row(o, kb_mech_find(r->mech), test,
					       r->mode, r->size, &runs[i][rep],
					       r->reason, sizeof(r->reason));
			r->wall_ns += kb_now_ns() - t0;
			/*
			 * What could not run after a repeat that did (out
			 * of memory under pressure, say) is a failure: a
			 * skip would hide it from the targets.
			 */
			if (r->status == KB_SKIPPED && rep)
				r->status = KB_FAILED;
		}
		kb_progress_round(test, sizes, nr_sizes, rep + 1, o->repeats);
	}
	for (i = 0; i < nr; i++) {
		kb_finish(&rows->v[first + i], runs[i], o->repeats);
		kb_runs_free(runs[i], o->repeats);
	}
	free(order);
	free(runs);
}

static int kb_cmd_run(struct kb_opts *o)
{
	struct kb_avail avail[kb_nr_mechs];
	struct kb_rows rows = { 0 };
	pid_t pressure = 0;
	uint64_t held = 0;
	struct kb_env env;
	int ret = 0, t;
	size_t i, n;

	kb_env_probe(&env);
	if (kb_env_is_virtual(&env))
		kb_warn("warning: running %s (%s%s%s); figures are not "
			"bare-metal figures", !strcmp(env.virt, "tcg") ?
			"on an emulated CPU" : "in a virtual machine",
			env.virt, env.hypervisor[0] ? ", " : "",
			env.hypervisor);
	if (o->pressure_pct) {	/* before pinning: the child runs anywhere */
		pressure = kb_pressure_start(o->pressure_pct, &held);
		if (pressure < 0) {
			kb_warn("--memory-pressure: %s", strerror(-pressure));
			return 1;
		}
	}
	if (kb_pin(o->cpu[0])) {
		kb_warn("sched_setaffinity: %s", strerror(errno));
		ret = 1;
		goto out_pressure;
	}
	for (i = 0; i < kb_nr_mechs; i++)
		avail[i].err = kb_mechs[i]->available ?
			kb_mechs[i]->available(avail[i].why,
					       sizeof(avail[i].why)) : 0;

	printf("# kipc-bench %s, kernel %s, %ld CPUs, %s, clocksource %s\n",
	       KB_VERSION, env.kernel, env.cpus, env.virt, env.clocksource);
	if (pressure > 0)
		printf("# memory pressure: %llu MiB held (%u%% of MemAvailable)\n",
		       (unsigned long long)(held >> 20), o->pressure_pct);
	kb_table_header(stdout);
	kb_progress.t0 = kb_now_ns();
	for (t = 0; t < KB_NR_TESTS; t++) {
		const size_t *sizes = kb_test_sizes(o, t, &n);

		if (!(o->tests & BIT(t)))
			continue;
		kb_progress.total += t == KB_FANOUT ? n : 1;
		for (i = 0; i < n; i++)
			if (sizes[i] > o->largest[t])
				o->largest[t] = sizes[i];
	}
	if (!o->no_refs)
		kb_run_refs(o, &rows);
	for (t = 0; t < KB_NR_TESTS; t++) {
		const size_t *sizes = kb_test_sizes(o, t, &n);

		if (!(o->tests & BIT(t)))
			continue;
		if (t != KB_FANOUT)
			kb_run_test(o, &rows, avail, t, sizes, n);
		for (i = 0; t == KB_FANOUT && i < n; i++)
			kb_run_fanouts(o, &rows, sizes[i]);
	}

	if (pressure > 0 && kb_pressure_stop(pressure)) {
		kb_warn("--memory-pressure: the child holding the memory died "
			"during the run (the OOM killer?)");
		ret = 1;
	}
	pressure = 0;
	for (i = 0; i < rows.nr; i++)
		ret |= rows.v[i].status == KB_FAILED;
	if (o->json && kb_json_write(o->json, o, &env, rows.v, rows.nr))
		ret = 1;
	if (o->csv && kb_csv_write(o->csv, &env, rows.v, rows.nr))
		ret = 1;
	if (o->plot && kb_plot_write(o->plot, rows.v, rows.nr))
		ret = 1;
	for (i = 0; i < rows.nr; i++) {
		free(rows.v[i].hist);
		free(rows.v[i].rep_ns);
	}
	free(rows.v);
out_pressure:
	if (pressure > 0)
		kb_pressure_stop(pressure);
	return ret;
}

static int kb_cmd_list(void)
{
	char why[128], tests[64], modes[64];
	size_t i;

	printf("%-15s %-24s %-30s %s\n", "mechanism", "tests", "modes",
	       "available");
	for (i = 0; i < kb_nr_mechs; i++) {
		const struct kb_mech *m = kb_mechs[i];
		int err = m->available ? m->available(why, sizeof(why)) : 0;

		kb_names_join(tests, sizeof(tests), m->tests, false);
		kb_names_join(modes, sizeof(modes), m->modes, true);
		printf("%-15s %-24s %-30s %s%s\n%15s %s\n", m->name, tests,
		       modes, err ? "unavailable: " : "yes", err ? why : "",
		       "", m->desc);
	}
	return 0;
}

static void kb_parse(struct kb_opts *o, int argc, char **argv)
{
	int c, t;

	while ((c = getopt_long(argc, argv, "m:s:M:r:t:n:qc:j:hV",
				kb_longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			kb_arg_mechs(optarg);
			o->mechs = optarg;
			break;
		case 's':
			kb_arg_sizes(o, optarg);
			break;
		case 'M':
			kb_arg_modes(o, optarg);
			break;
		case 'r':
			o->repeats = kb_arg_u64("--repeats", optarg, 1, 1000);
			break;
		case 't':
			o->time_ns = kb_arg_u64("--time", optarg, 1, 3600000) *
				     1000000;
			break;
		case 'n':
			o->iterations = kb_arg_u64("--iterations", optarg, 1,
						   10000000);
			break;
		case 'q':
			o->repeats = 1;
			o->time_ns = 20000000;
			break;
		case OPT_SPIN:
			o->spin_ns = kb_arg_u64("--spin-us", optarg, 0,
						1000000) * 1000;
			break;
		case OPT_TOUCH:
			o->touch = true;
			break;
		case OPT_NO_REF:
			o->no_refs = true;
			break;
		case 'c':
			kb_arg_cpus(o, optarg);
			break;
		case OPT_TIMEOUT:
			o->timeout = kb_arg_u64("--timeout", optarg, 1, 86400);
			break;
		case OPT_IDLE:
			o->idle_ns = kb_arg_u64("--idle-us", optarg, 1,
						60000000) * 1000;
			break;
		case OPT_PRESSURE:
			o->pressure_pct = kb_arg_u64("--memory-pressure", optarg,
						     1, 95);
			break;
		case 'j':
			o->json = optarg;
			break;
		case OPT_CSV:
			o->csv = optarg;
			break;
		case OPT_PLOT:
			o->plot = optarg;
			break;
		case OPT_INJECT:
			if (!strcmp(optarg, "corrupt"))
				o->inject = KB_INJECT_CORRUPT;
			else if (!strcmp(optarg, "drop"))
				o->inject = KB_INJECT_DROP;
			else
				kb_usage_error("--inject: corrupt or drop, "
					       "not '%s'", optarg);
			break;
		case 'h':
			fputs(kb_usage, stdout);
			exit(0);
		case 'V':
			printf("kipc-bench %s (schema %s)\n", KB_VERSION,
			       KB_SCHEMA);
			exit(0);
		default:
			fprintf(stderr, "%s", kb_usage);
			exit(KB_EXIT_USAGE);
		}
	}
	for (; optind < argc; optind++) {
		if (!strcmp(argv[optind], "all")) {
			o->tests = KB_ALL_TESTS;
			continue;
		}
		t = kb_test_parse(argv[optind]);
		if (t < 0)
			kb_usage_error("unknown test '%s'", argv[optind]);
		o->tests |= BIT(t);
	}
	if (!o->tests)
		o->tests = BIT(KB_LATENCY);
}

int main(int argc, char **argv)
{
	struct kb_opts o = {
		.repeats = 3,
		.time_ns = 100000000,
		.spin_ns = 20000,
		.idle_ns = 30000,
		.cpu = { -1, -1 },
		.timeout = 60,
		.argc = argc,
		.argv = argv,
	};

	if (argc > 1 && !strcmp(argv[1], "list")) {
		if (argc != 2)
			kb_usage_error("list takes no arguments");
		return kb_cmd_list();
	}
	if (argc > 1 && !strcmp(argv[1], "compare")) {
		if (argc != 4)
			kb_usage_error("compare takes two JSON files");
		return kb_compare(argv[2], argv[3]) ? 1 : 0;
	}
	if (argc > 1 && !strcmp(argv[1], "chanmem")) {
		uint64_t n = 1000;

		if (argc > 3 || (argc == 3 && (kb_parse_u64(argv[2], &n) ||
					       !n || n > 100000)))
			kb_usage_error("chanmem takes a count, 1 to 100000");
		return kb_kipc_chanmem(n);
	}
	kb_parse(&o, argc, argv);
	return kb_cmd_run(&o);
}
