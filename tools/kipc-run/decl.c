// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-run's group file: read whole, checked value by value into a struct
 * run_decl before any object is made (every type and range, no unknown
 * key, no key twice in an object (dupkeys.c), no empty name: a message
 * naming the key), then declared to
 * libkipc, which checks what only it knows (a name taken, a connection to
 * what is not there). kipc-run(1) gives the format.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dupkeys.h"
#include "kipc-run.h"

#define INTENSITY_MAX		63	/* kipc_group_create(3) refuses 64 */
#define BACKOFF_MIN_DEFAULT	10	/* kipc_group_create(3)'s defaults */
#define BACKOFF_MAX_DEFAULT	1000
/* json-c holds a larger integer as INT64_MAX: not a value to trust. */
#define JSON_INT_MAX		(INT64_MAX - 1)

/* What is being checked, for the message of what is wrong with it. */
struct check {
	char *err;
	size_t len;
	char where[96];		/* "worker w: "; "" at the top */
};

/* The message, after what it is about; -1. */
static int __attribute__((format(printf, 2, 3)))
bad(struct check *c, const char *fmt, ...)
{
	size_t n = snprintf(c->err, c->len, "%s", c->where);
	va_list ap;

	if (n < c->len) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->len - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Every key of @o is one of @known (NULL-terminated). */
static int keys_check(struct check *c, struct json_object *o,
		      const char *const *known)
{
	struct json_object_iterator it = json_object_iter_begin(o);
	struct json_object_iterator end = json_object_iter_end(o);
	const char *key;
	unsigned int i;

	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		for (i = 0; known[i] && strcmp(key, known[i]); i++)
			;
		if (!known[i])
			return bad(c, "unknown key \"%s\"", key);
	}
	return 0;
}

/* @x is a string without a NUL in it, and not empty unless @empty_ok. */
static int is_text(struct json_object *x, int empty_ok)
{
	size_t len;

	if (!json_object_is_type(x, json_type_string))
		return 0;
	len = json_object_get_string_len(x);
	return strlen(json_object_get_string(x)) == len && (empty_ok || len);
}

/* @o's @key, a non-empty string, into *@s; absent, *@s stays. */
static int text_get(struct check *c, struct json_object *o, const char *key,
		    const char **s)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return 0;
	if (!is_text(x, 0))
		return bad(c, "\"%s\" must be a non-empty string", key);
	*s = json_object_get_string(x);
	return 0;
}

/* @o's @key, an integer from @min to @max, into *@v; absent, *@v stays. */
static int int_get(struct check *c, struct json_object *o, const char *key,
		   int64_t min, int64_t max, int64_t *v)
{
	struct json_object *x;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &x))
		return 0;
	n = json_object_get_int64(x);
	if (json_object_is_type(x, json_type_int) && n >= min && n <= max) {
		*v = n;
		return 0;
	}
	if (max == JSON_INT_MAX)
		return bad(c, "\"%s\" must be an integer of at least %lld", key,
			   (long long)min);
	return bad(c, "\"%s\" must be an integer from %lld to %lld", key,
		   (long long)min, (long long)max);
}

static int u32_get(struct check *c, struct json_object *o, const char *key,
		   uint32_t min, uint32_t max, uint32_t *v)
{
	int64_t n = *v;

	if (int_get(c, o, key, min, max, &n))
		return -1;
	*v = n;
	return 0;
}

/* @o's @key, one of @names (NULL-terminated), into *@v: its index. */
static int choice_get(struct check *c, struct json_object *o, const char *key,
		      const char *const *names, uint32_t *v)
{
	struct json_object *x;
	char list[128] = "";
	size_t n = 0;
	uint32_t i;

	if (!json_object_object_get_ex(o, key, &x))
		return 0;
	for (i = 0; names[i]; i++) {
		if (is_text(x, 0) && !strcmp(json_object_get_string(x), names[i])) {
			*v = i;
			return 0;
		}
		n += snprintf(list + n, sizeof(list) - n, "%s\"%s\"",
			      i ? ", " : "", names[i]);
	}
	return bad(c, "\"%s\" must be one of %s", key, list);
}

/* @o's @key, an array of at most @max, into *@arr; absent: NULL. */
static int array_get(struct check *c, struct json_object *o, const char *key,
		     size_t max, struct json_object **arr)
{
	if (!json_object_object_get_ex(o, key, arr)) {
		*arr = NULL;
		return 0;
	}
	if (!json_object_is_type(*arr, json_type_array))
		return bad(c, "\"%s\" is not an array", key);
	if (json_object_array_length(*arr) > max)
		return bad(c, "\"%s\": more than %zu", key, max);
	return 0;
}

/*
 * Element @i of the array @key: an object with a "name" (into *@name) and
 * only @known keys. Later messages are about "@what NAME".
 */
static struct json_object *item_open(struct check *c, struct json_object *arr,
				     const char *key, size_t i,
				     const char *what,
				     const char *const *known,
				     const char **name)
{
	struct json_object *o = json_object_array_get_idx(arr, i);

	snprintf(c->where, sizeof(c->where), "\"%s\"[%zu]: ", key, i);
	if (!json_object_is_type(o, json_type_object)) {
		bad(c, "not an object");
		return NULL;
	}
	*name = NULL;
	if (text_get(c, o, "name", name))
		return NULL;
	if (!*name) {
		bad(c, "no \"name\"");
		return NULL;
	}
	snprintf(c->where, sizeof(c->where), "%s %s: ", what, *name);
	return keys_check(c, o, known) ? NULL : o;
}

static int region_check(struct check *c, struct json_object *arr, size_t i,
			struct run_region *r)
{
	static const char *const known[] = { "name", "bytes", "buf_size", NULL };
	struct json_object *o;
	int64_t bytes = 0, buf = 0;

	o = item_open(c, arr, "regions", i, "region", known, &r->name);
	if (!o)
		return -1;
	if (!json_object_object_get_ex(o, "bytes", NULL))
		return bad(c, "no \"bytes\"");
	if (int_get(c, o, "bytes", 1, JSON_INT_MAX, &bytes) ||
	    int_get(c, o, "buf_size", 0, JSON_INT_MAX, &buf))
		return -1;
	r->bytes = bytes;
	r->buf_size = buf;
	return 0;
}

static int channel_check(struct check *c, struct json_object *arr, size_t i,
			 struct run_channel *ch)
{
	static const char *const known[] = { "name", "region", "depth", NULL };
	struct json_object *o;

	o = item_open(c, arr, "channels", i, "channel", known, &ch->name);
	if (!o || text_get(c, o, "region", &ch->region) ||
	    u32_get(c, o, "depth", 1, UINT32_MAX, &ch->depth))
		return -1;
	return 0;
}

/* "mode": octal digits in a string, as chmod(1) takes them; 0600 absent. */
static int mode_get(struct check *c, struct json_object *o, unsigned int *mode)
{
	struct json_object *x;
	unsigned long m;
	const char *s;

	*mode = 0600;
	if (!json_object_object_get_ex(o, "mode", &x))
		return 0;
	s = is_text(x, 0) ? json_object_get_string(x) : "";
	m = strtoul(s, NULL, 8);
	if (!*s || s[strspn(s, "01234567")] || m > 0777)
		return bad(c, "\"mode\" is not an octal string such as \"0600\"");
	*mode = m;
	return 0;
}

static int service_check(struct check *c, struct json_object *arr, size_t i,
			 struct run_service *sv)
{
	static const char *const known[] = { "name", "mode", "backlog", "depth",
					     "max_inline", NULL };
	struct json_object *o;

	o = item_open(c, arr, "services", i, "service", known, &sv->name);
	if (!o || mode_get(c, o, &sv->mode) ||
	    u32_get(c, o, "backlog", 1, UINT32_MAX, &sv->attr.backlog) ||
	    u32_get(c, o, "depth", 1, UINT32_MAX, &sv->attr.depth) ||
	    u32_get(c, o, "max_inline", 1, UINT32_MAX, &sv->attr.max_inline))
		return -1;
	return 0;
}

/* "exec": the program and its arguments, strings; the program not empty. */
static int exec_get(struct check *c, struct json_object *o,
		    struct run_worker *w)
{
	struct json_object *cmd;
	size_t i, n = 0;

	if (json_object_object_get_ex(o, "exec", &cmd) &&
	    json_object_is_type(cmd, json_type_array))
		n = json_object_array_length(cmd);
	if (!n || n > RUN_ARGV_MAX)
		return bad(c, "\"exec\" must be an array of 1 to %d strings",
			   RUN_ARGV_MAX);
	for (i = 0; i < n; i++) {
		struct json_object *arg = json_object_array_get_idx(cmd, i);

		if (!is_text(arg, i > 0))
			return bad(c, "\"exec\"[%zu] must be a %sstring", i,
				   i ? "" : "non-empty ");
		w->argv[i] = (char *)json_object_get_string(arg);
	}
	w->argv[n] = NULL;
	w->attr.argv = w->argv;
	return 0;
}

/* A worker's connections: the key of each, and its direction. */
static const char *const conn_keys[RUN_NR_CONNS] = { "in", "out", "serve" };
static const unsigned int conn_dirs[RUN_NR_CONNS] = {
	KIPC_GROUP_IN, KIPC_GROUP_OUT, KIPC_GROUP_SERVE };

/* How many names @w's connections @j ("in", ...) have. */
static size_t conns_len(const struct run_worker *w, unsigned int j)
{
	return w->conns[j] ? json_object_array_length(w->conns[j]) : 0;
}

/* Name @k of them. */
static struct json_object *conn_at(const struct run_worker *w, unsigned int j,
				   size_t k)
{
	return json_object_array_get_idx(w->conns[j], k);
}

/* "in", "out", "serve": arrays of names. */
static int conns_get(struct check *c, struct json_object *o,
		     struct run_worker *w)
{
	static const size_t max[RUN_NR_CONNS] = { KIPC_GROUP_MAX_CHANNELS,
						  KIPC_GROUP_MAX_CHANNELS,
						  KIPC_GROUP_MAX_SERVICES };
	unsigned int j;
	size_t k;

	for (j = 0; j < RUN_NR_CONNS; j++) {
		if (array_get(c, o, conn_keys[j], max[j], &w->conns[j]))
			return -1;
		for (k = 0; k < conns_len(w, j); k++)
			if (!is_text(conn_at(w, j, k), 0))
				return bad(c, "\"%s\"[%zu] must be a non-empty string",
					   conn_keys[j], k);
	}
	return 0;
}

static int worker_check(struct check *c, struct json_object *arr, size_t i,
			struct run_worker *w)
{
	static const char *const known[] = { "name", "exec", "instances",
					     "restart", "watchdog_ms", "in",
					     "out", "serve", NULL };
	static const char *const restarts[] = { "on-failure", "never",
						"always", NULL };
	struct json_object *o;

	o = item_open(c, arr, "workers", i, "worker", known, &w->name);
	if (!o || exec_get(c, o, w) ||
	    u32_get(c, o, "instances", 1, KIPC_GROUP_MAX_WORKERS,
		    &w->attr.instances) ||
	    choice_get(c, o, "restart", restarts, &w->attr.restart) ||
	    u32_get(c, o, "watchdog_ms", 0, UINT32_MAX, &w->attr.watchdog_ms) ||
	    conns_get(c, o, w))
		return -1;
	return 0;
}

/* The group's own keys: its name, strategy and numbers. */
static int group_check(struct check *c, struct run_decl *d)
{
	static const char *const strategies[] = { "one-for-one", "one-for-all",
						  "rest-for-one", NULL };
	struct kipc_group_attr *ga = &d->attr;
	uint32_t min, max;

	if (text_get(c, d->root, "name", &d->name))
		return -1;
	if (!d->name)
		return bad(c, "no \"name\"");
	/* The state file's name, in the state directory. */
	if (strchr(d->name, '/') || d->name[0] == '.')
		return bad(c, "group \"%s\": a name with '/' or a leading '.'",
			   d->name);
	if (choice_get(c, d->root, "strategy", strategies, &ga->strategy) ||
	    u32_get(c, d->root, "intensity", 1, INTENSITY_MAX, &ga->intensity) ||
	    u32_get(c, d->root, "period_ms", 1, UINT32_MAX, &ga->period_ms) ||
	    u32_get(c, d->root, "backoff_min_ms", 1, UINT32_MAX,
		    &ga->backoff_min_ms) ||
	    u32_get(c, d->root, "backoff_max_ms", 1, UINT32_MAX,
		    &ga->backoff_max_ms) ||
	    u32_get(c, d->root, "drain_timeout_ms", 1, UINT32_MAX,
		    &ga->drain_timeout_ms))
		return -1;
	min = ga->backoff_min_ms ? ga->backoff_min_ms : BACKOFF_MIN_DEFAULT;
	max = ga->backoff_max_ms ? ga->backoff_max_ms : BACKOFF_MAX_DEFAULT;
	if (min > max)
		return bad(c, "\"backoff_min_ms\" (%u) is more than \"backoff_max_ms\" (%u)",
			   min, max);
	return 0;
}

/* @d->root, the whole file, into @d. */
static int root_check(struct check *c, struct run_decl *d)
{
	static const char *const known[] = {
		"name", "strategy", "intensity", "period_ms", "backoff_min_ms",
		"backoff_max_ms", "drain_timeout_ms", "regions", "channels",
		"services", "workers", NULL };
	struct json_object *regions, *channels, *services, *workers;
	size_t i;

	if (keys_check(c, d->root, known) || group_check(c, d) ||
	    array_get(c, d->root, "regions", KIPC_GROUP_MAX_REGIONS, &regions) ||
	    array_get(c, d->root, "channels", KIPC_GROUP_MAX_CHANNELS,
		      &channels) ||
	    array_get(c, d->root, "services", KIPC_GROUP_MAX_SERVICES,
		      &services) ||
	    array_get(c, d->root, "workers", KIPC_GROUP_MAX_WORKERS, &workers))
		return -1;
	if (!workers || !json_object_array_length(workers))
		return bad(c, "no \"workers\"");
	for (i = 0; regions && i < json_object_array_length(regions); i++)
		if (region_check(c, regions, i, &d->regions[i]))
			return -1;
	d->nr_regions = i;
	for (i = 0; channels && i < json_object_array_length(channels); i++)
		if (channel_check(c, channels, i, &d->channels[i]))
			return -1;
	d->nr_channels = i;
	for (i = 0; services && i < json_object_array_length(services); i++)
		if (service_check(c, services, i, &d->services[i]))
			return -1;
	d->nr_services = i;
	for (i = 0; i < json_object_array_length(workers); i++)
		if (worker_check(c, workers, i, &d->workers[i]))
			return -1;
	d->nr_workers = i;
	return 0;
}

/* The text of @path, NUL-terminated, into *@textp (*@lenp bytes). */
static int file_read(const char *path, char **textp, size_t *lenp)
{
	size_t len = 0, cap = 0;
	char *text = NULL, *p;
	int ret = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			p = realloc(text, cap + 1);
			if (!p) {
				ret = -ENOMEM;
				break;
			}
			text = p;
		}
		len += fread(text + len, 1, cap - len, f);
	} while (!feof(f) && !ferror(f));
	if (!ret && ferror(f))
		ret = -errno;
	fclose(f);
	if (ret) {
		free(text);
		return ret;
	}
	text[len] = '\0';
	*textp = text;
	*lenp = len;
	return 0;
}

/* @text, one JSON object and nothing after it but space, into *@rootp. */
static int text_parse(struct check *c, const char *text, size_t len,
		      struct json_object **rootp)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error e;
	size_t end;

	if (!tok)
		return bad(c, "%s", strerror(ENOMEM));
	/* With its NUL: the end of the text is the end of the input. */
	*rootp = json_tokener_parse_ex(tok, text, len + 1);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (e != json_tokener_success)
		return bad(c, "not JSON: %s, at byte %zu",
			   json_tokener_error_desc(e), end);
	if (end < len && end + strspn(text + end, " \t\r\n") != len)
		return bad(c, "text after the JSON object, at byte %zu", end);
	if (!json_object_is_type(*rootp, json_type_object))
		return bad(c, "not a JSON object");
	return 0;
}

/*
 * The group file @path, checked, into *@dp (decl_free() it); -1 with the
 * message in @err.
 */
int decl_read(const char *path, struct run_decl **dp, char *err, size_t len)
{
	struct check c = { .err = err, .len = len };
	struct run_decl *d;
	char *text = NULL;
	size_t n = 0;
	int ret;

	ret = file_read(path, &text, &n);
	if (ret < 0)
		return bad(&c, "%s", strerror(-ret));
	d = calloc(1, sizeof(*d));
	if (!d) {
		free(text);
		return bad(&c, "%s", strerror(ENOMEM));
	}
	/* The group takes SIGTERM, SIGINT, SIGHUP (SIGQUIT: kipc-run.c). */
	d->attr.flags = KIPC_GROUP_SIGNALS;
	ret = text_parse(&c, text, n, &d->root);
	/* Before the checks: they see only the value json-c kept. */
	if (!ret && dupkeys_check(text, n, err, len))
		ret = -1;
	free(text);
	if (ret || root_check(&c, d)) {
		decl_free(d);
		return -1;
	}
	*dp = d;
	return 0;
}

void decl_free(struct run_decl *d)
{
	json_object_put(d->root);
	free(d);
}

/* Worker @w's channels and services. */
static int conns_build(struct check *c, const struct run_worker *w,
		       struct kipc_group *g)
{
	const char *name;
	unsigned int j;
	size_t k;
	int ret;

	for (j = 0; j < RUN_NR_CONNS; j++)
		for (k = 0; k < conns_len(w, j); k++) {
			name = json_object_get_string(conn_at(w, j, k));
			ret = kipc_group_connect(g, w->name, name, conn_dirs[j]);
			if (ret < 0)
				return bad(c, "worker %s: %s \"%s\": %s", w->name,
					   conn_keys[j], name, strerror(-ret));
		}
	return 0;
}

/*
 * @d's regions, channels, services and workers into @g; -1 with the
 * message in @err.
 */
int decl_build(const struct run_decl *d, struct kipc_group *g, char *err,
	       size_t len)
{
	struct check c = { .err = err, .len = len };
	unsigned int i;
	int ret;

	for (i = 0; i < d->nr_regions; i++) {
		const struct run_region *r = &d->regions[i];

		ret = kipc_group_add_region(g, r->name, r->bytes, r->buf_size);
		if (ret < 0)
			return bad(&c, "region %s: %s", r->name,
				   strerror(-ret));
	}
	for (i = 0; i < d->nr_channels; i++) {
		const struct run_channel *ch = &d->channels[i];

		ret = kipc_group_add_channel(g, ch->name, ch->region, ch->depth);
		if (ret < 0)
			return bad(&c, "channel %s: %s", ch->name,
				   strerror(-ret));
	}
	for (i = 0; i < d->nr_services; i++) {
		const struct run_service *sv = &d->services[i];

		ret = kipc_group_add_service(g, sv->name, sv->mode, &sv->attr);
		if (ret < 0)
			return bad(&c, "service %s: %s", sv->name,
				   strerror(-ret));
	}
	for (i = 0; i < d->nr_workers; i++) {
		const struct run_worker *w = &d->workers[i];

		ret = kipc_group_add_worker(g, w->name, &w->attr);
		if (ret < 0)
			return bad(&c, "worker %s: %s", w->name,
				   strerror(-ret));
		if (conns_build(&c, w, g))
			return -1;
	}
	return 0;
}
