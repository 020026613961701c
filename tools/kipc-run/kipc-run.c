// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-run: start a libkipc process group from a JSON file, print its state
 * changes, publish its state in /run/kipc/NAME.json (kipcctl groups reads
 * it) and exit with the group's status. Documentation/man/kipc-run.1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include <kipc.h>
#include <kipc_group.h>

#define STATE_DIR_DEFAULT	"/run/kipc"

static const char *state_dir;	/* NULL: state_dir_default() */
static char state_path[4096];
static char state_buf[4096];	/* the default state directory, per user */
static int quiet;

static int die(const char *what, const char *why)
{
	fprintf(stderr, "kipc-run: %s: %s\n", what, why);
	return 2;
}

static const char *member_state(uint32_t s)
{
	static const char *const names[] = { "starting", "running", "stopping",
					     "exited" };

	return s < 4 ? names[s] : "?";
}

static const char *group_state(int s)
{
	static const char *const names[] = { "running", "draining", "stopped",
					     "failed" };

	return s >= 0 && s < 4 ? names[s] : "?";
}

/* The group's state, written to a temporary file and renamed over. */
static void publish(struct kipc_group *g, const char *name)
{
	struct json_object *root, *members, *chans, *svcs, *o;
	struct kipc_group_member m;
	struct kipc_group_channel c;
	struct kipc_group_service sv;
	const char *report, *text;
	char tmp[4200], mname[64];
	unsigned int i;
	FILE *f;
	int st, fd;

	if (!state_path[0])
		return;
	st = kipc_group_state(g, &report);
	root = json_object_new_object();
	json_object_object_add(root, "name", json_object_new_string(name));
	json_object_object_add(root, "pid", json_object_new_int(getpid()));
	json_object_object_add(root, "state",
			       json_object_new_string(group_state(st)));
	json_object_object_add(root, "report",
			       report ? json_object_new_string(report) : NULL);
	json_object_object_add(root, "updated",
			       json_object_new_int64(time(NULL)));
	members = json_object_new_array();
	for (i = 0; !kipc_group_member_info(g, i, &m); i++) {
		o = json_object_new_object();
		snprintf(mname, sizeof(mname), "%s.%u", m.worker, m.instance);
		json_object_object_add(o, "name", json_object_new_string(mname));
		json_object_object_add(o, "worker", json_object_new_string(m.worker));
		json_object_object_add(o, "pid", json_object_new_int(m.pid));
		json_object_object_add(o, "state",
				       json_object_new_string(member_state(m.state)));
		json_object_object_add(o, "restarts", json_object_new_int(m.restarts));
		json_object_object_add(o, "last_status",
				       json_object_new_int(m.last_status));
		json_object_object_add(o, "acks", json_object_new_int64(m.acks));
		json_object_object_add(o, "redeliveries",
				       json_object_new_int(m.redeliveries));
		json_object_array_add(members, o);
	}
	json_object_object_add(root, "members", members);
	chans = json_object_new_array();
	for (i = 0; !kipc_group_channel_info(g, i, &c); i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(c.name));
		json_object_object_add(o, "id", json_object_new_int64(c.id));
		json_object_object_add(o, "depth", json_object_new_int(c.depth));
		json_object_object_add(o, "queued", json_object_new_int(c.queued));
		json_object_array_add(chans, o);
	}
	json_object_object_add(root, "channels", chans);
	svcs = json_object_new_array();
	for (i = 0; !kipc_group_service_info(g, i, &sv); i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(sv.name));
		json_object_object_add(o, "id", json_object_new_int64(sv.id));
		json_object_object_add(o, "backlog", json_object_new_int(sv.backlog));
		json_object_object_add(o, "pending", json_object_new_int(sv.pending));
		json_object_object_add(o, "accepted",
				       json_object_new_int64(sv.accepted));
		json_object_array_add(svcs, o);
	}
	json_object_object_add(root, "services", svcs);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	/*
	 * A temporary file of our own (O_EXCL, a random name: never a
	 * symlink or a file another process put there), renamed over.
	 */
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", state_path);
	fd = mkostemp(tmp, O_CLOEXEC);
	f = fd >= 0 && !fchmod(fd, 0644) ? fdopen(fd, "w") : NULL;
	if (f) {
		fprintf(f, "%s\n", text);
		if (fclose(f) == 0 && rename(tmp, state_path) == 0)
			tmp[0] = '\0';
	} else if (fd >= 0) {
		close(fd);
	}
	if (fd >= 0 && tmp[0])
		unlink(tmp);
	json_object_put(root);
}

struct run_ctx {
	const char *name;
};

static void on_event(struct kipc_group *g, const struct kipc_group_event *ev,
		     void *arg)
{
	struct run_ctx *ctx = arg;

	if (!quiet) {
		printf("kipc-run: %s\n", ev->text);
		fflush(stdout);
	}
	publish(g, ctx->name);
}

static int json_u32(struct json_object *o, const char *key, uint32_t *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x))
		return 0;
	if (!json_object_is_type(x, json_type_int) || json_object_get_int64(x) < 0 ||
	    json_object_get_int64(x) > UINT32_MAX)
		return -1;
	*v = json_object_get_int64(x);
	return 0;
}

static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x) ||
	    !json_object_is_type(x, json_type_string))
		return NULL;
	return json_object_get_string(x);
}

/*
 * @o's @key into *@arr when it is an array, NULL when absent; -1 when it
 * is something else (json-c asserts on an array call on it).
 */
static int json_array(struct json_object *o, const char *key,
		      struct json_object **arr)
{
	if (!json_object_object_get_ex(o, key, arr)) {
		*arr = NULL;
		return 0;
	}
	return json_object_is_type(*arr, json_type_array) ? 0 : -1;
}

static int pick(const char *s, const char *const *names, unsigned int n,
		uint32_t *v)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, names[i])) {
			*v = i;
			return 0;
		}
	return -1;
}

/* The file into the group; 0, or an error message in @err. */
static int load(struct json_object *root, struct kipc_group **gp, char *err,
		size_t len)
{
	static const char *const strategies[] = { "one-for-one", "one-for-all",
						  "rest-for-one" };
	static const char *const restarts[] = { "on-failure", "never", "always" };
	struct kipc_group_attr ga = { .flags = KIPC_GROUP_SIGNALS };
	struct json_object *arr, *o, *x;
	const char *name, *s;
	struct kipc_group *g;
	size_t i, j;
	int ret;

#define FAIL(...) do { snprintf(err, len, __VA_ARGS__); return -1; } while (0)
	name = json_str(root, "name");
	if (!name)
		FAIL("no \"name\"");
	/* The state file's name, in the state directory. */
	if (strchr(name, '/') || name[0] == '.')
		FAIL("group \"%s\": a name with '/' or a leading '.'", name);
	/* Checked here, before any object is made: the loops below trust it. */
	if (json_array(root, "regions", &o) || json_array(root, "channels", &o) ||
	    json_array(root, "services", &o) || json_array(root, "workers", &o))
		FAIL("\"regions\", \"channels\", \"services\" and \"workers\" are arrays");
	s = json_str(root, "strategy");
	if (s && pick(s, strategies, 3, &ga.strategy))
		FAIL("unknown strategy \"%s\"", s);
	if (json_u32(root, "intensity", &ga.intensity) ||
	    json_u32(root, "period_ms", &ga.period_ms) ||
	    json_u32(root, "backoff_min_ms", &ga.backoff_min_ms) ||
	    json_u32(root, "backoff_max_ms", &ga.backoff_max_ms) ||
	    json_u32(root, "drain_timeout_ms", &ga.drain_timeout_ms))
		FAIL("a number out of range");
	ret = kipc_group_create(name, &ga, &g);
	if (ret < 0)
		FAIL("group \"%s\": %s", name, strerror(-ret));
	*gp = g;
	if (json_object_object_get_ex(root, "regions", &arr))
		for (i = 0; i < json_object_array_length(arr); i++) {
			uint64_t bytes = 0, buf = 0;

			o = json_object_array_get_idx(arr, i);
			if (json_object_object_get_ex(o, "bytes", &x))
				bytes = json_object_get_int64(x);
			if (json_object_object_get_ex(o, "buf_size", &x))
				buf = json_object_get_int64(x);
			s = json_str(o, "name");
			ret = kipc_group_add_region(g, s ? s : "", bytes, buf);
			if (ret < 0)
				FAIL("region %zu: %s", i, strerror(-ret));
		}
	if (json_object_object_get_ex(root, "channels", &arr))
		for (i = 0; i < json_object_array_length(arr); i++) {
			uint32_t depth = 0;

			o = json_object_array_get_idx(arr, i);
			s = json_str(o, "name");
			if (json_u32(o, "depth", &depth))
				FAIL("channel %zu: bad depth", i);
			ret = kipc_group_add_channel(g, s ? s : "",
						     json_str(o, "region"), depth);
			if (ret < 0)
				FAIL("channel %s: %s", s ? s : "?", strerror(-ret));
		}
	if (json_object_object_get_ex(root, "services", &arr))
		for (i = 0; i < json_object_array_length(arr); i++) {
			struct kipc_service_attr sa;
			unsigned long mode = 0600;
			char *end;

			memset(&sa, 0, sizeof(sa));
			o = json_object_array_get_idx(arr, i);
			s = json_str(o, "name");
			if (json_u32(o, "backlog", &sa.backlog) ||
			    json_u32(o, "depth", &sa.depth) ||
			    json_u32(o, "max_inline", &sa.max_inline))
				FAIL("service %s: a number out of range",
				     s ? s : "?");
			if (json_object_object_get_ex(o, "mode", &x)) {
				const char *m = json_str(o, "mode");

				/* A string of octal digits, as chmod(1)'s. */
				mode = m ? strtoul(m, &end, 8) : ~0UL;
				if (!m || *end || end == m || mode > 0777)
					FAIL("service %s: \"mode\" is not an octal string such as \"0600\"",
					     s ? s : "?");
			}
			ret = kipc_group_add_service(g, s ? s : "", mode, &sa);
			if (ret < 0)
				FAIL("service %s: %s", s ? s : "?", strerror(-ret));
		}
	if (!json_object_object_get_ex(root, "workers", &arr) ||
	    !json_object_array_length(arr))
		FAIL("no \"workers\"");
	for (i = 0; i < json_object_array_length(arr); i++) {
		struct kipc_worker_attr wa;
		struct json_object *cmd, *io;
		char *argv[64];
		size_t n;

		memset(&wa, 0, sizeof(wa));
		o = json_object_array_get_idx(arr, i);
		s = json_str(o, "name");
		if (!s)
			FAIL("worker %zu: no \"name\"", i);
		if (!json_object_object_get_ex(o, "exec", &cmd) ||
		    !json_object_is_type(cmd, json_type_array) ||
		    !(n = json_object_array_length(cmd)) || n > 63)
			FAIL("worker %s: \"exec\" is not a command (an array)", s);
		for (j = 0; j < n; j++)
			argv[j] = (char *)json_object_get_string(
				json_object_array_get_idx(cmd, j));
		argv[n] = NULL;
		wa.argv = argv;
		if (json_u32(o, "instances", &wa.instances) ||
		    json_u32(o, "watchdog_ms", &wa.watchdog_ms))
			FAIL("worker %s: a number out of range", s);
		if (json_str(o, "restart") &&
		    pick(json_str(o, "restart"), restarts, 3, &wa.restart))
			FAIL("worker %s: unknown restart \"%s\"", s,
			     json_str(o, "restart"));
		ret = kipc_group_add_worker(g, s, &wa);
		if (ret < 0)
			FAIL("worker %s: %s", s, strerror(-ret));
		for (j = 0; j < 3; j++) {
			static const char *const keys[] = { "in", "out", "serve" };
			static const unsigned int dirs[] = {
				KIPC_GROUP_IN, KIPC_GROUP_OUT, KIPC_GROUP_SERVE };
			const char *key = keys[j];
			size_t k;

			if (json_array(o, key, &io))
				FAIL("worker %s: \"%s\" is not an array", s, key);
			if (!io)
				continue;
			for (k = 0; k < json_object_array_length(io); k++) {
				const char *c = json_object_get_string(
					json_object_array_get_idx(io, k));

				ret = kipc_group_connect(g, s, c ? c : "",
							 dirs[j]);
				if (ret < 0)
					FAIL("worker %s: %s \"%s\": %s", s, key,
					     c ? c : "?", strerror(-ret));
			}
		}
	}
#undef FAIL
	return 0;
}

/*
 * Where the state is published without --state-dir: /run/kipc for root;
 * for another user, whom root's /run/kipc does not let in, their own
 * $XDG_RUNTIME_DIR/kipc (/run/kipc when it is unset). kipcctl groups reads
 * both.
 */
static const char *state_dir_default(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (!geteuid() || !xdg || xdg[0] != '/')
		return STATE_DIR_DEFAULT;
	snprintf(buf, len, "%s/kipc", xdg);
	return buf;
}

/* mkdir -p DIR (/run/kipc on a system without /run). */
static int mkdir_p(const char *dir)
{
	char p[4096];
	size_t i;

	snprintf(p, sizeof(p), "%s", dir);
	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			return -1;
		p[i] = '/';
	}
	return mkdir(p, 0755) && errno != EEXIST ? -1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kipc-run [-q] [--state-dir DIR] FILE.json\n"
		   "  Start the process group FILE describes, print its state changes,\n"
		   "  publish its state in DIR/NAME.json (default " STATE_DIR_DEFAULT ",\n"
		   "  or $XDG_RUNTIME_DIR/kipc for a user other than root)\n"
		   "  and exit with the group's status. SIGTERM drains, SIGHUP restarts\n"
		   "  the workers one by one.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kipc_group *g = NULL;
	struct json_object *root;
	struct run_ctx ctx;
	char err[512];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'q': quiet = 1; break;
		case 's': state_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	root = json_object_from_file(argv[optind]);
	if (!root)
		return die(argv[optind], json_util_get_last_err());
	if (load(root, &g, err, sizeof(err)) < 0) {
		if (g)
			kipc_group_destroy(g);
		json_object_put(root);
		return die(argv[optind], err);
	}
	ctx.name = json_str(root, "name");
	if (!state_dir)
		state_dir = state_dir_default(state_buf, sizeof(state_buf));
	if (*state_dir && mkdir_p(state_dir) == 0)
		snprintf(state_path, sizeof(state_path), "%s/%s.json", state_dir,
			 ctx.name);
	else if (*state_dir)
		fprintf(stderr, "kipc-run: %s: %s (state not published)\n",
			state_dir, strerror(errno));
	kipc_group_set_notify(g, on_event, &ctx);
	ret = kipc_group_start(g);
	if (ret < 0) {
		kipc_group_destroy(g);
		json_object_put(root);
		return die("start", strerror(-ret));
	}
	/* Our loop: the group's fd, and the state refreshed every second. */
	for (;;) {
		struct epoll_event ev;

		ret = kipc_group_dispatch(g);
		if (ret)
			break;
		if (epoll_wait(kipc_group_fd(g), &ev, 1, 1000) == 0)
			publish(g, ctx.name);
	}
	if (ret > 0) {
		const char *report;

		ret = kipc_group_run(g);	/* stopped: its status */
		if (kipc_group_state(g, &report) == KIPC_GROUP_FAILED && report)
			fprintf(stderr, "kipc-run: group %s failed: %s\n",
				ctx.name, report);
		publish(g, ctx.name);
	} else {
		fprintf(stderr, "kipc-run: %s\n", strerror(-ret));
		ret = 1;
	}
	if (state_path[0])
		unlink(state_path);
	kipc_group_destroy(g);
	json_object_put(root);
	return ret;
}
