// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl groups: the process groups kipc-run supervises, from the state
 * each publishes in /run/kipc/NAME.json (kipc-run(1) describes the file).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>

#include "kipcctl.h"
#include "sys.h"

#define GROUPS_DIR	"/run/kipc"

/* Room for a string of a state file escaped (longer ones are cut). */
#define STR_MAX		1024

/*
 * @o's @key as text into @buf (STR_MAX bytes), "-" when absent: escaped,
 * as names other users choose are (a state file is its writer's).
 */
static const char *str(struct json_object *o, const char *key, char *buf)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x) || !x)
		return "-";
	sys_escape(buf, STR_MAX, json_object_get_string(x), SYS_ESC_TEXT);
	return buf;
}

static long long num(struct json_object *o, const char *key)
{
	struct json_object *x;

	return json_object_object_get_ex(o, key, &x) ? json_object_get_int64(x) : 0;
}

/* @o's @key when it is an array, else NULL: a state file is not trusted. */
static struct json_object *array_of(struct json_object *o, const char *key)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x) ||
	    !json_object_is_type(x, json_type_array))
		return NULL;
	return x;
}

static void show(struct json_object *g)
{
	char a[STR_MAX], b[STR_MAX], c[STR_MAX];
	struct json_object *arr, *o = NULL;
	size_t i;
	long long pid = num(g, "pid");
	/* A state file whose supervisor is gone (or was no pid) says so. */
	int gone = pid > 0 &&
		   (pid > INT_MAX || (kill(pid, 0) && errno == ESRCH));

	if (!json_object_object_get_ex(g, "report", &o))
		o = NULL;
	printf("group %s: supervisor pid %lld, %s%s%s\n", str(g, "name", a), pid,
	       gone ? "gone (stale state)" : str(g, "state", b), o ? ": " : "",
	       o ? str(g, "report", c) : "");
	printf("  %-20s %7s %-9s %8s %10s %8s %6s %6s %6s\n", "MEMBER", "PID",
	       "STATE", "RESTARTS", "ACKS", "REDELIV", "HANDED", "LOST", "LAST");
	if ((arr = array_of(g, "members")))
		for (i = 0; i < json_object_array_length(arr); i++) {
			o = json_object_array_get_idx(arr, i);
			printf("  %-20s %7lld %-9s %8lld %10lld %8lld "
			       "%6lld %6lld %6lld\n",
			       str(o, "name", a), num(o, "pid"), str(o, "state", b),
			       num(o, "restarts"), num(o, "acks"),
			       num(o, "redeliveries"), num(o, "handed_on"),
			       num(o, "lost"), num(o, "last_status"));
		}
	printf("  %-20s %7s %6s %6s\n", "CHANNEL", "ID", "QUEUED", "DEPTH");
	if ((arr = array_of(g, "channels")))
		for (i = 0; i < json_object_array_length(arr); i++) {
			o = json_object_array_get_idx(arr, i);
			printf("  %-20s %7lld %6lld %6lld\n", str(o, "name", a),
			       num(o, "id"), num(o, "queued"), num(o, "depth"));
		}
	/* Services: in the state of a kipc-run that has them. */
	arr = array_of(g, "services");
	if (!arr || !json_object_array_length(arr))
		return;
	printf("  %-20s %7s %7s %7s %10s\n", "SERVICE", "ID", "PENDING",
	       "BACKLOG", "ACCEPTED");
	for (i = 0; i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		printf("  %-20s %7lld %7lld %7lld %10lld\n", str(o, "name", a),
		       num(o, "id"), num(o, "pending"), num(o, "backlog"),
		       num(o, "accepted"));
	}
}

/* The most a state file may hold (kipc-run's are a few KiB). */
#define STATE_MAX	(1 << 20)

/*
 * The state file @path parsed, or NULL with errno set. Another user may
 * own the directory: no link is followed, a FIFO or a device is not
 * opened for what opening it does (O_NONBLOCK, then only a regular file is
 * read), and at most STATE_MAX bytes are read.
 */
static struct json_object *read_state(const char *path)
{
	struct json_object *g = NULL;
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0, got;
	int fd, err;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		err = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > STATE_MAX) {
		err = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto out;
	}
	buf = malloc(STATE_MAX + 1);
	if (!buf) {
		err = ENOMEM;
		goto out;
	}
	while (n < STATE_MAX && (got = read(fd, buf + n, STATE_MAX - n)) > 0)
		n += got;
	buf[n] = '\0';
	g = json_tokener_parse(buf);
	err = g ? 0 : EINVAL;
out:
	free(buf);
	close(fd);
	errno = err;
	return g;
}

/*
 * @dir may hold another user's state: only a directory (not a link to
 * one) owned by the caller or root is read unasked (the caller's
 * $XDG_RUNTIME_DIR, which root inherits through su or sudo -E).
 */
static int dir_is_ours(const char *dir)
{
	struct stat st;

	return !lstat(dir, &st) && S_ISDIR(st.st_mode) &&
	       (st.st_uid == geteuid() || st.st_uid == 0);
}

/*
 * The state files in @dir, added to @all; a directory that does not exist
 * is none when @may_miss (kipc-run makes it when it first publishes).
 * 0, or -errno when @dir or a file could not be read (reported; the
 * others are read all the same). A file removed meanwhile (its group
 * ended) is none.
 */
static int read_dir(const char *dir, struct json_object *all, int may_miss)
{
	DIR *d = opendir(dir);
	struct json_object *g;
	struct dirent *de;
	char path[4096];
	int ret = 0;
	size_t len;

	if (!d) {
		if (errno == ENOENT && may_miss)
			return 0;
		ret = -errno;
		fprintf(stderr, "kipcctl: groups: %s: %s\n", dir, strerror(-ret));
		return ret;
	}
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		g = read_state(path);
		if (!g && errno == ENOENT)
			continue;
		if (!g) {
			ret = errno == EINVAL ? -EINVAL : -errno;
			fprintf(stderr, "kipcctl: groups: %s: %s\n", path,
				errno == EINVAL ? "not a state file (JSON)" :
				strerror(errno));
			continue;
		}
		json_object_array_add(all, g);
	}
	closedir(d);
	return ret;
}

/*
 * @o as JSON, its keys and strings through sys_str(): json-c escapes only
 * the bytes below 0x20, and a state file's strings are another user's
 * (C1 controls, DEL and bytes that are not UTF-8 must not reach a
 * terminal raw). Numbers, booleans and null as json-c writes them.
 */
static void put_json(struct json_object *o)
{
	size_t i, n;
	int first = 1;

	switch (json_object_get_type(o)) {
	case json_type_string:
		sys_str(json_object_get_string(o));
		break;
	case json_type_array:
		putchar('[');
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (i)
				putchar(',');
			put_json(json_object_array_get_idx(o, i));
		}
		putchar(']');
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			putchar(first ? '{' : ',');
			first = 0;
			sys_str(key);
			putchar(':');
			put_json(val);
		}
		if (first)
			putchar('{');
		putchar('}');
		break;
	}
	default:
		fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
		      stdout);
	}
}

int cmd_groups(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : GROUPS_DIR;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct json_object *all;
	char mine[4096];
	size_t i, n;
	int ret, err;

	if (argc > 2) {
		fprintf(stderr, "kipcctl: groups [DIR]\n");
		return 2;
	}
	all = json_object_new_array();
	if (!all) {
		fprintf(stderr, "kipcctl: groups: %s\n", strerror(ENOMEM));
		return 1;
	}
	/* A DIR named must be there; the default ones may not be yet. */
	ret = read_dir(dir, all, argc == 1);
	/* Without DIR also the caller's own groups (kipc-run as a user). */
	if (argc == 1 && xdg && xdg[0] == '/') {
		snprintf(mine, sizeof(mine), "%s/kipc", xdg);
		err = strcmp(mine, GROUPS_DIR) && dir_is_ours(mine) ?
		      read_dir(mine, all, 1) : 0;
		ret = ret ? ret : err;
	}
	n = json_object_array_length(all);
	if (json) {
		put_json(all);
		putchar('\n');
	} else if (!n)
		printf("no process groups (kipc-run publishes them in %s)\n", dir);
	for (i = 0; !json && i < n; i++)
		show(json_object_array_get_idx(all, i));
	json_object_put(all);
	return ret ? 1 : 0;
}
