// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-run's state: DIR/NAME.json, which kipcctl groups reads, rewritten
 * on every change and every second, removed at exit; and DIR/NAME.lock,
 * flock()ed while kipc-run runs the group, so that a second kipc-run of
 * it is refused and a state file whose kipc-run is gone (killed) is known
 * to be stale: it is replaced, and the names of its services unlinked.
 */
#include <errno.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kipc-run.h"

static const char *group_name;
static char state_path[PATH_MAX];	/* "": nothing published */
static char lock_path[PATH_MAX];
static int lock_fd = -1;
static int publish_failed;		/* said on stderr, not yet again */

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

static struct json_object *members_json(struct kipc_group *g)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct kipc_group_member m;
	char name[64];
	unsigned int i;

	for (i = 0; !kipc_group_member_info(g, i, &m); i++) {
		o = json_object_new_object();
		snprintf(name, sizeof(name), "%s.%u", m.worker, m.instance);
		json_object_object_add(o, "name", json_object_new_string(name));
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
		json_object_object_add(o, "handed_on",
				       json_object_new_int64(m.handed_on));
		json_object_object_add(o, "lost", json_object_new_int64(m.lost));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *channels_json(struct kipc_group *g)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct kipc_group_channel c;
	unsigned int i;

	for (i = 0; !kipc_group_channel_info(g, i, &c); i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(c.name));
		json_object_object_add(o, "id", json_object_new_int64(c.id));
		json_object_object_add(o, "depth", json_object_new_int(c.depth));
		json_object_object_add(o, "queued", json_object_new_int(c.queued));
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *services_json(struct kipc_group *g)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct kipc_group_service sv;
	unsigned int i;

	for (i = 0; !kipc_group_service_info(g, i, &sv); i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(sv.name));
		json_object_object_add(o, "id", json_object_new_int64(sv.id));
		json_object_object_add(o, "backlog", json_object_new_int(sv.backlog));
		json_object_object_add(o, "pending", json_object_new_int(sv.pending));
		json_object_object_add(o, "accepted",
				       json_object_new_int64(sv.accepted));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* The state file's object (kipc-run(1) gives the fields); NULL: no memory. */
static struct json_object *state_json(struct kipc_group *g)
{
	struct json_object *root = json_object_new_object();
	const char *report;
	int st;

	if (!root)
		return NULL;
	st = kipc_group_state(g, &report);
	json_object_object_add(root, "name", json_object_new_string(group_name));
	json_object_object_add(root, "pid", json_object_new_int(getpid()));
	json_object_object_add(root, "state",
			       json_object_new_string(group_state(st)));
	json_object_object_add(root, "report",
			       report ? json_object_new_string(report) : NULL);
	json_object_object_add(root, "updated", json_object_new_int64(time(NULL)));
	json_object_object_add(root, "members", members_json(g));
	json_object_object_add(root, "channels", channels_json(g));
	json_object_object_add(root, "services", services_json(g));
	return root;
}

/*
 * @text into the state file: written to a temporary file of our own
 * (O_EXCL, a random name: never a symlink or a file another process put
 * there), renamed over. 0 or -errno.
 */
static int state_write(const char *text)
{
	char tmp[sizeof(state_path) + 8];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", state_path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) || dprintf(fd, "%s\n", text) < 0)
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, state_path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

void state_publish(struct kipc_group *g)
{
	struct json_object *root;
	const char *text = NULL;
	int ret;

	if (!state_path[0])
		return;
	root = state_json(g);
	if (root)
		text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	ret = text ? state_write(text) : -ENOMEM;
	json_object_put(root);
	/* Once, not every second; again once it worked and failed anew. */
	if (ret < 0 && !publish_failed)
		fprintf(stderr, "kipc-run: %s: %s (state not updated)\n",
			state_path, strerror(-ret));
	publish_failed = ret < 0;
}

/*
 * mkdir(2) of @p, 0755 whatever the umask: others' kipcctl groups reads
 * the state (a umask of 077 made it root's alone). 0 or -errno; EEXIST
 * (left as it is) is 0.
 */
static int mkdir_0755(const char *p)
{
	int fd, ret = 0;

	if (mkdir(p, 0755))
		return errno == EEXIST ? 0 : -errno;
	/* The one just made, not what a symlink put there meanwhile. */
	fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0755))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret;
}

/* mkdir -p @dir (/run/kipc on a system without /run); 0 or -errno. */
static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];
	size_t i;
	int ret;

	snprintf(p, sizeof(p), "%s", dir);
	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		ret = mkdir_0755(p);
		if (ret)
			return ret;
		p[i] = '/';
	}
	return mkdir_0755(p);
}

/*
 * The group's lock, held until we exit: 0, -EBUSY when another kipc-run
 * holds it, or -errno. Mode 0600: a lock others may open, they could hold.
 * We remove the file at exit, holding the lock, so a file locked here may
 * have been removed meanwhile by its holder: it must still be the one at
 * @lock_path, or the next kipc-run would lock another.
 */
static int lock_take(void)
{
	struct stat held, there;
	int fd, ret;

	for (;;) {
		fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			  0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
			close(fd);
			return ret;
		}
		ret = fstat(fd, &held) || stat(lock_path, &there) ? -errno : 0;
		if (!ret && held.st_dev == there.st_dev &&
		    held.st_ino == there.st_ino) {
			lock_fd = fd;
			return 0;
		}
		close(fd);
		if (ret && ret != -ENOENT)
			return ret;
		/* Removed or replaced by the kipc-run that held it: again. */
	}
}

/*
 * @name, a service of the group that is gone (of id @id then), unlinked
 * when it names a service that listens no more, or still that one: its
 * kipc-run, killed, could not unlink it, and it would refuse ours. A
 * service of another id is another program's now (the state file outlived
 * a reboot, say): its name stays.
 */
static void service_name_unlink(struct kipc *k, const char *name, int64_t id)
{
	struct kipc_name_info info = { 0 };
	int fd = kipc_name_open_info(k, name, 0, 0, -1, &info);

	if (fd >= 0)
		close(fd);
	/* Left when this fails: declaring the service then says so. */
	if (fd == -ECONNREFUSED ||
	    (fd >= 0 && info.kind == KIPC_NAME_SERVICE && id > 0 &&
	     info.id == (uint64_t)id))
		kipc_name_unlink(k, name);
}

void state_names_reclaim(const struct run_decl *d)
{
	struct kipc *k;
	unsigned int i;

	if (kipc_open(&k, 0) < 0)
		return;
	for (i = 0; i < d->nr_services; i++)
		service_name_unlink(k, d->services[i].name, 0);
	kipc_close(k);
}

static void service_names_unlink(struct json_object *old)
{
	struct json_object *svcs, *svc, *name, *id;
	struct kipc *k;
	size_t i;

	if (!json_object_object_get_ex(old, "services", &svcs) ||
	    !json_object_is_type(svcs, json_type_array) ||
	    kipc_open(&k, 0) < 0)
		return;
	for (i = 0; i < json_object_array_length(svcs); i++) {
		svc = json_object_array_get_idx(svcs, i);
		if (json_object_object_get_ex(svc, "name", &name) &&
		    json_object_is_type(name, json_type_string))
			service_name_unlink(k, json_object_get_string(name),
				json_object_object_get_ex(svc, "id", &id) ?
				json_object_get_int64(id) : 0);
	}
	kipc_close(k);
}

/*
 * Is @s the six characters mkostemp() puts for XXXXXX, letters and digits?
 * Another group's files end in ".json" or ".lock": never six of them.
 */
static int tmp_suffix(const char *s)
{
	int i;

	for (i = 0; i < 6; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * What a kipc-run of the group that is gone left (its lock is ours): the
 * temporary files of state_write() a kill cut short, the names of its
 * services, then its state file.
 */
static void stale_remove(const char *name)
{
	char tmp[sizeof(state_path) + 8], who[32] = "";
	struct json_object *old, *pid;
	char *base = strrchr(state_path, '/');	/* path_make(): DIR/NAME.json */
	size_t blen = strlen(base + 1);
	struct dirent *e;
	DIR *dir;
	int fd;

	/*
	 * NAME.json.XXXXXX (mkostemp()), not matched as a pattern: NAME may
	 * hold any character but '/'.
	 */
	*base = '\0';
	dir = opendir(*state_path ? state_path : "/");
	*base = '/';
	while (dir && (e = readdir(dir)))
		if (!strncmp(e->d_name, base + 1, blen) &&
		    e->d_name[blen] == '.' && strlen(e->d_name) == blen + 7 &&
		    tmp_suffix(e->d_name + blen + 1)) {
			snprintf(tmp, sizeof(tmp), "%s.%s", state_path,
				 e->d_name + blen + 1);
			unlink(tmp);
		}
	if (dir)
		closedir(dir);
	fd = open(state_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	old = json_object_from_fd(fd);
	close(fd);
	service_names_unlink(old);
	if (json_object_object_get_ex(old, "pid", &pid) &&
	    json_object_get_int64(pid) > 0)
		snprintf(who, sizeof(who), " (pid %lld)",
			 (long long)json_object_get_int64(pid));
	say("group %s: its last kipc-run%s is gone: its state and names removed",
	    name, who);
	json_object_put(old);
	unlink(state_path);
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
	return (size_t)snprintf(buf, len, "%s/kipc", xdg) < len ? buf : NULL;
}

/* @dir/@name@ext into @path (PATH_MAX); 0 or -ENAMETOOLONG. */
static int path_make(char *path, const char *dir, const char *name,
		     const char *ext)
{
	if ((size_t)snprintf(path, PATH_MAX, "%s/%s%s", dir, name, ext) <
	    PATH_MAX)
		return 0;
	path[0] = '\0';
	return -ENAMETOOLONG;
}

/*
 * The state of group @name in @dir (NULL: the default; "": none), its
 * lock taken and what a killed kipc-run of it left removed. 0, also when
 * the state cannot be published (said on stderr); -1 when kipc-run must
 * not go on (said): the group runs already, or the path is too long.
 */
int state_open(const char *dir, const char *name)
{
	char buf[PATH_MAX];
	int ret;

	if (!dir)
		dir = state_dir_default(buf, sizeof(buf));
	if (dir && !*dir)
		return 0;
	if (!dir || path_make(lock_path, dir, name, ".lock") ||
	    path_make(state_path, dir, name, ".json")) {
		fprintf(stderr, "kipc-run: the state directory: %s\n",
			strerror(ENAMETOOLONG));
		return -1;
	}
	group_name = name;
	ret = mkdir_p(dir);
	if (ret < 0) {
		fprintf(stderr, "kipc-run: %s: %s (state not published)\n", dir,
			strerror(-ret));
		state_path[0] = '\0';
		return 0;
	}
	ret = lock_take();
	if (ret == -EBUSY) {
		fprintf(stderr, "kipc-run: group %s: already running (another kipc-run holds %s)\n",
			name, lock_path);
		state_path[0] = '\0';
		return -1;
	}
	if (ret < 0) {
		fprintf(stderr, "kipc-run: %s: %s (state not published)\n",
			lock_path, strerror(-ret));
		state_path[0] = '\0';
		return 0;
	}
	stale_remove(name);
	return 0;
}

/* At exit: the state file, then the lock's, which we still hold. */
void state_close(void)
{
	if (state_path[0])
		unlink(state_path);
	if (lock_fd >= 0) {
		unlink(lock_path);
		close(lock_fd);
	}
}
