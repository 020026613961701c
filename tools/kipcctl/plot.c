// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl plot FILE: gnuplot plots of a kipcctl top --record file (text,
 * or the JSON lines of -j top --record): queue depth over time (top) and
 * rate over time (bottom), one line per object for the --top N objects of
 * highest peak depth and of highest peak rate. The script carries its data
 * (gnuplot data blocks), so --script output runs anywhere; without
 * --script kipcctl runs gnuplot on it, writing --output (default
 * FILE.svg; .png for PNG).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "kipcctl.h"
#include "top.h"

struct point {
	double t, depth, rate;
	unsigned int obj;	/* index in the object table */
};

struct pobj {
	char name[TOP_NAME_LEN];
	char unit[8], basis[12];
	double peak_depth, peak_rate;
	int in_depth, in_rate;	/* plotted in that panel */
};

struct rec {
	struct point *p;
	size_t np, pcap;
	struct pobj *o;
	size_t no, ocap;
	size_t *slot;	/* the objects by name: index + 1, 0 when free */
	size_t nslots;	/* a power of two, over twice no */
};

/* FNV-1a: the names are mostly "KIND:NUMBER", a record's own. */
static size_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of @name: its object's, or the free one to take. */
static size_t *find_slot(const struct rec *r, const char *name)
{
	size_t mask = r->nslots - 1, h = name_hash(name) & mask;

	while (r->slot[h] && strcmp(r->o[r->slot[h] - 1].name, name))
		h = (h + 1) & mask;
	return &r->slot[h];
}

/* Room for one more object in the table; 0 or -1. */
static int grow_slots(struct rec *r)
{
	struct rec new = *r;
	size_t i;

	if (2 * (r->no + 1) < r->nslots)
		return 0;
	new.nslots = r->nslots ? 2 * r->nslots : 1024;
	new.slot = calloc(new.nslots, sizeof(*new.slot));
	if (!new.slot)
		return -1;
	for (i = 0; i < r->no; i++)
		*find_slot(&new, r->o[i].name) = i + 1;
	free(r->slot);
	r->slot = new.slot;
	r->nslots = new.nslots;
	return 0;
}

/*
 * The object named @name, added when new; -1 when out of memory. A hash
 * table: a record may hold every Unix socket of a system, tens of
 * thousands of objects a sample.
 */
static long obj_index(struct rec *r, const char *name, const char *unit,
		      const char *basis)
{
	struct pobj *o;
	size_t *slot;

	if (grow_slots(r))
		return -1;
	slot = find_slot(r, name);
	if (*slot)
		return *slot - 1;
	o = array_add(&r->o, &r->no, &r->ocap, sizeof(*r->o));
	if (!o)
		return -1;
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->unit, sizeof(o->unit), "%s", unit);
	snprintf(o->basis, sizeof(o->basis), "%s", basis);
	*slot = r->no;
	return r->no - 1;
}

/* One line of either format; 1 parsed, 0 not a sample line. */
static int parse_line(const char *line, double *t, char *name, double *depth,
		      char *unit, double *rate, char *basis)
{
	if (line[0] == '{')
		return sscanf(line, "{\"time\":%lf,\"sample\":%*u,\"kind\":\"%*[^\"]\","
			      "\"object\":\"%95[^\"]\",\"depth\":%lf,\"unit\":\"%7[^\"]\","
			      "\"limit\":%*[^,],\"rate\":%lf,\"basis\":\"%11[^\"]\"",
			      t, name, depth, unit, rate, basis) == 6;
	if (line[0] == '#')
		return 0;
	return sscanf(line, "%lf %*u %*s %95s %lf %7s %*s %lf %11s", t, name,
		      depth, unit, rate, basis) == 6;
}

static int read_record(const char *file, struct rec *r)
{
	char line[512], name[TOP_NAME_LEN], unit[8], basis[12];
	double t, depth, rate;
	struct point *p;
	long idx;
	FILE *f;

	f = fopen(file, "re");
	if (!f)
		return -errno;
	/* The text format's first line, or a JSON line of a sample. */
	if (!fgets(line, sizeof(line), f) ||
	    (strncmp(line, TOP_RECORD_MAGIC "\n", sizeof(TOP_RECORD_MAGIC)) &&
	     strncmp(line, "{\"time\":", 8))) {
		fclose(f);
		return -EINVAL;
	}
	do {
		if (!parse_line(line, &t, name, &depth, unit, &rate, basis))
			continue;
		idx = obj_index(r, name, unit, basis);
		p = idx < 0 ? NULL : array_add(&r->p, &r->np, &r->pcap, sizeof(*r->p));
		if (!p) {
			fclose(f);
			return -ENOMEM;
		}
		*p = (struct point){ t, depth, rate, idx };
		if (depth > r->o[idx].peak_depth)
			r->o[idx].peak_depth = depth;
		if (rate > r->o[idx].peak_rate)
			r->o[idx].peak_rate = rate;
	} while (fgets(line, sizeof(line), f));
	fclose(f);
	return 0;
}

/* Mark the @top objects of highest peak (depth or rate), peaks above 0. */
static void pick(struct rec *r, int rate, unsigned int top)
{
	unsigned int k;
	size_t i, best;
	double v, bv;

	for (k = 0; k < top; k++) {
		best = r->no;
		bv = 0;
		for (i = 0; i < r->no; i++) {
			if (rate ? r->o[i].in_rate : r->o[i].in_depth)
				continue;
			v = rate ? r->o[i].peak_rate : r->o[i].peak_depth;
			if (v > bv) {
				bv = v;
				best = i;
			}
		}
		if (best == r->no)
			return;
		if (rate)
			r->o[best].in_rate = 1;
		else
			r->o[best].in_depth = 1;
	}
}

/*
 * @s as a gnuplot string: single-quoted, where gnuplot substitutes no
 * backquoted command (names in a record are other users' objects, and a
 * record file may come from anywhere); ' doubled, control bytes as '?'.
 */
static void gp_str(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', out);
		fputc((unsigned char)*s < ' ' || *s == 0x7f ? '?' : *s, out);
	}
	fputc('\'', out);
}

static void panel(FILE *out, const struct rec *r, int rate)
{
	char title[192];
	int any = 0;
	size_t i;

	fprintf(out, "set title \"%s\"\nset ylabel \"%s\"\n",
		rate ? "rate (per second; basis: what the kernel counts, or the depth's change)" :
		"queue depth", rate ? "per second" : "depth");
	for (i = 0; i < r->no; i++) {
		if (!(rate ? r->o[i].in_rate : r->o[i].in_depth))
			continue;
		if (!rate)
			snprintf(title, sizeof(title), "%s (%s)", r->o[i].name,
				 r->o[i].unit);
		else if (!strcmp(r->o[i].basis, "depth"))
			snprintf(title, sizeof(title), "%s (depth change, %s/s)",
				 r->o[i].name, r->o[i].unit);
		else
			snprintf(title, sizeof(title), "%s (%s %s/s)",
				 r->o[i].name, r->o[i].unit, r->o[i].basis);
		fprintf(out, "%s$d%zu using 1:%d with linespoints title ",
			any ? ", \\\n     " : "plot ", i, rate ? 3 : 2);
		gp_str(out, title);
		any = 1;
	}
	if (!any)	/* nothing moved: an empty panel, not an error */
		fprintf(out, "set yrange [0:1]\nplot 0 with lines title \"%s\"\nset autoscale y",
			rate ? "no rate above 0" : "no queue above 0");
	fprintf(out, "\n");
}

static void script(FILE *out, const struct rec *r, const char *file,
		   const char *output)
{
	const char *ext = output ? strrchr(output, '.') : NULL;
	char title[PATH_MAX + 32];
	double tmax = 0;
	size_t i, k;

	if (output) {
		if (ext && !strcmp(ext, ".png"))
			fprintf(out, "set terminal pngcairo size 1200,900 noenhanced\n");
		else
			fprintf(out, "set terminal svg size 1200,900 dynamic noenhanced background rgb \"white\"\n");
		fprintf(out, "set output ");
		gp_str(out, output);
		fputc('\n', out);
	}
	for (i = 0; i < r->no; i++) {
		if (!r->o[i].in_depth && !r->o[i].in_rate)
			continue;
		fprintf(out, "$d%zu << EOD\n", i);
		for (k = 0; k < r->np; k++)
			if (r->p[k].obj == i)
				fprintf(out, "%.3f %.0f %.3f\n", r->p[k].t,
					r->p[k].depth, r->p[k].rate);
		fprintf(out, "EOD\n");
	}
	for (k = 0; k < r->np; k++)
		if (r->p[k].t > tmax)
			tmax = r->p[k].t;
	snprintf(title, sizeof(title), "kipcctl top --record %s", file);
	fprintf(out, "set multiplot layout 2,1 title ");
	gp_str(out, title);
	fprintf(out, "\nset xlabel \"seconds\"\nset xrange [0:%g]\n"
		"set key outside right top\nset grid\n", tmax > 0 ? tmax : 1);
	panel(out, r, 0);
	panel(out, r, 1);
	fprintf(out, "unset multiplot\n");
}

static int usage(void)
{
	fprintf(stderr, "usage: kipcctl plot [--output OUT.svg|OUT.png] [--top N] [--script] FILE\n");
	return 2;
}

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, 't' },
		{ "script", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	char *output = NULL, *def = NULL, *end;
	unsigned long top = 8;
	struct rec r = { 0 };
	int c, only_script = 0, ret;
	FILE *gp;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:t:s", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 't':
			top = strtoul(optarg, &end, 10);
			if (*end || !top || top > 100)
				return usage();
			break;
		case 's':
			only_script = 1;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc - 1)
		return usage();
	ret = read_record(argv[optind], &r);
	if (ret == -EINVAL) {
		fprintf(stderr, "kipcctl: plot: %s: not a kipcctl top --record file\n",
			argv[optind]);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "kipcctl: plot: %s: %s\n", argv[optind], strerror(-ret));
		return 1;
	}
	if (!r.np) {
		fprintf(stderr, "kipcctl: plot: %s: no samples (a kipcctl top --record file?)\n",
			argv[optind]);
		free(r.p);
		free(r.o);
		free(r.slot);
		return 1;
	}
	pick(&r, 0, top);
	pick(&r, 1, top);
	if (only_script) {
		script(stdout, &r, argv[optind], output);
		ret = fflush(stdout) ? -EIO : 0;
	} else {
		if (!output) {
			if (asprintf(&def, "%s.svg", argv[optind]) < 0)
				def = NULL;
			output = def;
		}
		gp = output ? popen("gnuplot", "we") : NULL;
		if (!gp) {
			fprintf(stderr, "kipcctl: plot: cannot run gnuplot: %s\n", strerror(errno));
			ret = -1;
		} else {
			script(gp, &r, argv[optind], output);
			ret = pclose(gp);
			if (ret)
				fprintf(stderr, "kipcctl: plot: gnuplot failed (%s)\n",
					WIFEXITED(ret) && WEXITSTATUS(ret) == 127 ?
					"is it installed? Debian: gnuplot-nox" : "exit status");
			else
				printf("%s\n", output);
		}
	}
	free(def);
	free(r.p);
	free(r.o);
	free(r.slot);
	return ret ? 1 : 0;
}
