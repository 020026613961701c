// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl sys: the scan of every process the caller may read. For each
 * fd, /proc/PID/fd/N's link names what it is (pipe:[INO], socket:[INO],
 * anon_inode:[eventfd], anon_inode:[kipc-send], [kipc-recv] and
 * [kipc-service], /memfd:NAME, a FIFO's path, a file under /dev/shm);
 * /proc/PID/fdinfo/N gives the open flags, an eventfd's or a kipc object's
 * id and a kipc service's backlog, pending connections and accepts;
 * /proc/PID/maps the mappings of files under /dev/shm. A thread that
 * unshared its fd table (unshare(CLONE_FILES)) holds fds of its own: they
 * are read from /proc/PID/task/TID/ alike, once per table (kcmp()). The
 * entries end sorted by object, so that each object's holders are one run.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "kipcctl.h"
#include "sys.h"

#define SHM_DIR		"/dev/shm/"
#define MEMFD_PREFIX	"/memfd:"
#define DELETED		" (deleted)"

/* One fd table: a process's, or that of one of its threads. */
struct fd_table {
	pid_t pid;
	pid_t tid;		/* 0: the process's own table */
	char dir[48];		/* "/proc/PID" or "/proc/PID/task/TID" */
};

/*
 * The fd and fdinfo directories of a table being read, open: each fd's
 * files are looked up in them (readlinkat(), statx(), openat()), not by
 * a path from /proc down, which costs a walk per file. A process may hold
 * hundreds of thousands of fds.
 */
struct fd_dirs {
	int fd;			/* DIR/fd */
	int info;		/* DIR/fdinfo, opened at its first use; -1 */
	const struct fd_table *t;
};

static struct sys_fd *add_entry(struct sys_scan *s)
{
	return array_add(&s->v, &s->n, &s->cap, sizeof(*s->v));
}

/* A number after @prefix in @link ("pipe:[123]"); 0 or -EINVAL. */
static int link_inode(const char *link, const char *prefix, uint64_t *ino)
{
	size_t len = strlen(prefix);
	unsigned long long v;
	char end;

	if (strncmp(link, prefix, len) ||
	    sscanf(link + len, "%llu%c", &v, &end) != 2 || end != ']')
		return -EINVAL;
	*ino = v;
	return 0;
}

/*
 * One line of fdinfo: its flags (octal), the id of an eventfd (eventfd-id)
 * or of a kipc object (kipc-id, its kind in @obj), a kipc service's counts.
 */
static void fdinfo_line(const char *line, struct sys_fd *e, long long *id,
			char obj[32])
{
	struct sys_kipc_service *sv = &e->svc;
	unsigned long long v;

	/* What sscanf() would match begins so: the others skipped. */
	if (!strncmp(line, "flags:", 6)) {
		sscanf(line, "flags: %o", &e->flags);
		return;
	}
	if (strncmp(line, "kipc-", 5) && strncmp(line, "eventfd-id:", 11))
		return;
	/*
	 * Each id only for its kind of file: the process may have put
	 * another file at the fd since the link was read (an eventfd's small
	 * id read as a channel's would make it an end of another user's
	 * channel).
	 */
	if (e->kind == SYS_FD_EVENTFD &&
	    sscanf(line, "eventfd-id: %lld", id) == 1)
		return;
	if (e->kind != SYS_FD_EVENTFD && sscanf(line, "kipc-id: %lld", id) == 1)
		return;
	if (sscanf(line, "kipc-object: %31s", obj) == 1)
		return;
	if (e->kind != SYS_FD_KIPC_SERVICE ||
	    sscanf(line, "kipc-%*[a-z]: %llu", &v) != 1)
		return;
	if (!strncmp(line, "kipc-backlog:", 13))
		sv->backlog = v;
	else if (!strncmp(line, "kipc-pending:", 13))
		sv->pending = v;
	else if (!strncmp(line, "kipc-listeners:", 15))
		sv->listeners = v;
	else if (!strncmp(line, "kipc-accepted:", 14))
		sv->accepted = v;
}

/*
 * fdinfo's flags (octal), and the id of an eventfd (eventfd-id) or of a
 * kipc object (kipc-id), -1 when absent; a kipc service's counts in @e.
 */
static void read_fdinfo(struct fd_dirs *d, const char *fd, struct sys_fd *e,
			long long *id)
{
	char path[64], buf[4096], obj[32] = "", *line, *nl;
	size_t have = 0;
	bool cut = false;
	ssize_t len;
	int f;

	e->flags = 0;
	*id = -1;
	if (d->info < 0) {
		snprintf(path, sizeof(path), "%s/fdinfo", d->t->dir);
		d->info = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d->info < 0)
			return;
	}
	f = openat(d->info, fd, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return;
	/*
	 * The whole file, a buffer at a time: a process's locks come first
	 * (a line each), and the lines sought can be far into it. Only whole
	 * lines are parsed: one longer than the buffer is skipped, and a last
	 * one without its newline may have been cut (an id cut short would
	 * be another object's).
	 */
	for (;;) {
		len = read(f, buf + have, sizeof(buf) - 1 - have);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		have += len;
		for (line = buf; (nl = memchr(line, '\n', buf + have - line));
		     line = nl + 1) {
			*nl = '\0';
			if (!cut)
				fdinfo_line(line, e, id, obj);
			cut = false;
		}
		have = buf + have - line;
		if (have == sizeof(buf) - 1) {
			cut = true;	/* the rest of this line is skipped */
			have = 0;
		} else {
			memmove(buf, line, have);
		}
	}
	close(f);
	/* And a kipc id only of the kind of object the link named. */
	if ((e->kind == SYS_FD_KIPC_CHAN && strncmp(obj, "channel-", 8)) ||
	    (e->kind == SYS_FD_KIPC_SERVICE && strcmp(obj, "service")))
		*id = -1;
}

/* Drop " (deleted)" from the end of @s. */
static void strip_deleted(char *s)
{
	size_t len = strlen(s), dl = strlen(DELETED);

	if (len >= dl && !strcmp(s + len - dl, DELETED))
		s[len - dl] = '\0';
}

/*
 * Whether @st is a named FIFO, not a pipe: both are S_IFIFO, but a pipe
 * lives on pipefs. A process may swap the fd between its readlink() and
 * our stat(); a pipe's inode must not pass for the FIFO the link named.
 */
static int is_named_fifo(const struct stat *st)
{
	static dev_t pipefs;
	struct stat ps;
	int p[2];

	if (!pipefs && !pipe2(p, O_CLOEXEC)) {
		if (!fstat(p[0], &ps))
			pipefs = ps.st_dev;
		close(p[0]);
		close(p[1]);
	}
	return S_ISFIFO(st->st_mode) && st->st_dev != pipefs;
}

/*
 * stat() of fd @fd (its name in @d's fd directory) from what the kernel
 * has cached (AT_STATX_DONT_SYNC): a file of FUSE or NFS is not asked to
 * its server, which may never answer (its user's FUSE daemon, a hung hard
 * mount). A file's type, inode and device never change; its owner is as
 * last seen. Only st_mode, st_ino, st_dev and st_uid are filled; 0, or -1
 * with errno set.
 */
static int fd_stat(const struct fd_dirs *d, const char *fd, struct stat *st)
{
	struct statx sx;

	if (statx(d->fd, fd, AT_STATX_DONT_SYNC,
		  STATX_TYPE | STATX_MODE | STATX_INO | STATX_UID, &sx))
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_mode = sx.stx_mode;
	st->st_ino = sx.stx_ino;
	st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->st_uid = sx.stx_uid;
	return 0;
}

/* Classify fd @fd of @d by its @link; 1 when it is IPC, 0 when not. */
static int classify(const struct fd_dirs *d, const char *fd, const char *link,
		    struct sys_fd *e)
{
	struct stat st;

	if (!link_inode(link, "pipe:[", &e->ino)) {
		e->kind = SYS_FD_PIPE;
		return 1;
	}
	if (!link_inode(link, "socket:[", &e->ino)) {
		e->kind = SYS_FD_SOCKET;
		return 1;
	}
	if (!strcmp(link, "anon_inode:[eventfd]")) {
		e->kind = SYS_FD_EVENTFD;
		return 1;
	}
	if (!strcmp(link, "anon_inode:[kipc-send]") ||
	    !strcmp(link, "anon_inode:[kipc-recv]")) {
		e->kind = SYS_FD_KIPC_CHAN;
		return 1;
	}
	if (!strcmp(link, "anon_inode:[kipc-service]")) {
		e->kind = SYS_FD_KIPC_SERVICE;
		return 1;
	}
	if (strncmp(link, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) &&
	    strncmp(link, SHM_DIR, strlen(SHM_DIR)) && link[0] == '/') {
		/* Only a FIFO among the other paths: stat it (no open). */
		if (fd_stat(d, fd, &st) || !is_named_fifo(&st))
			return 0;
		e->kind = SYS_FD_FIFO;
	} else if (link[0] == '/') {
		e->kind = link[1] == 'm' ? SYS_FD_MEMFD : SYS_FD_SHM;
	} else {
		return 0;
	}
	return 1;
}

/*
 * Fill inode, owner, flags and name of a classified entry; 0 or -errno.
 * fdinfo is read for what only it has: the flags of a pipe's or a kipc
 * channel's end, an eventfd's or a kipc object's id; a kipc file is not
 * stat()ed (an anon inode: root's, the holder's uid is taken instead).
 */
static int describe(struct fd_dirs *d, const char *fd, const char *link,
		    struct sys_fd *e)
{
	const struct fd_table *t = d->t;
	struct stat st;
	long long id = -1;

	if (e->kind == SYS_FD_KIPC_CHAN || e->kind == SYS_FD_KIPC_SERVICE) {
		read_fdinfo(d, fd, e, &id);
		if (id < 0)
			return -ENOENT;	/* closed meanwhile, or not kipc's */
		e->ino = id;
		if (e->kind == SYS_FD_KIPC_CHAN)	/* the end, as for a pipe */
			e->flags = (e->flags & ~O_ACCMODE) |
				   (strstr(link, "send") ? O_WRONLY : O_RDONLY);
		return 0;
	}
	if (fd_stat(d, fd, &st))
		return -errno;
	e->uid = st.st_uid;
	if (e->kind == SYS_FD_PIPE || e->kind == SYS_FD_FIFO ||
	    e->kind == SYS_FD_EVENTFD)
		read_fdinfo(d, fd, e, &id);
	if (e->kind == SYS_FD_EVENTFD) {
		/*
		 * Every eventfd shares one anon inode: its id tells them
		 * apart (without it, each fd counts alone).
		 */
		e->ino = id >= 0 ? (uint64_t)id :
			 ((uint64_t)(t->tid ? t->tid : t->pid) << 32 |
			  atoi(fd));
		return 0;
	}
	if (e->kind == SYS_FD_PIPE || e->kind == SYS_FD_SOCKET)
		return 0;
	if (e->kind == SYS_FD_FIFO && !is_named_fifo(&st))
		return -EAGAIN;		/* swapped since classify() */
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	if (e->kind == SYS_FD_SHM)
		return 0;
	e->name = strdup(e->kind == SYS_FD_MEMFD ?
			 link + strlen(MEMFD_PREFIX) : link);
	if (!e->name)
		return -ENOMEM;
	strip_deleted(e->name);
	return 0;
}

/*
 * The effective uid of the task of @t ("Uid: REAL EFFECTIVE SAVED FS" in
 * its status, where the name is escaped: no line of its making), or
 * SYS_UID_UNKNOWN. Not the owner of /proc/PID: that is root for a
 * process that is not dumpable, whoever runs it.
 */
static uint32_t task_euid(const struct fd_table *t)
{
	uint32_t uid = SYS_UID_UNKNOWN;
	unsigned int real, eff;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/status", t->dir);
	f = fopen(path, "re");
	if (!f)
		return uid;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u %u", &real, &eff) == 2) {
			uid = eff;
			break;
		}
	}
	fclose(f);
	return uid;
}

static int scan_fds(struct sys_scan *s, const struct fd_table *t,
		    const char *comm)
{
	struct fd_dirs dirs = { .info = -1, .t = t };
	char dir[64], link[PATH_MAX];
	uint32_t euid = SYS_UID_UNKNOWN;
	struct sys_fd e, *slot;
	struct dirent *d;
	int ret = 0, have_euid = 0;
	ssize_t len;
	DIR *fds;

	snprintf(dir, sizeof(dir), "%s/fd", t->dir);
	fds = opendir(dir);
	if (!fds)
		return -errno;
	dirs.fd = dirfd(fds);
	while (!ret && (d = readdir(fds))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		len = readlinkat(dirs.fd, d->d_name, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		memset(&e, 0, sizeof(e));
		if (!classify(&dirs, d->d_name, link, &e))
			continue;
		/* Gone or swapped meanwhile: skipped; out of memory: failed. */
		ret = describe(&dirs, d->d_name, link, &e);
		if (ret) {
			ret = ret == -ENOMEM ? ret : 0;
			continue;
		}
		e.pid = t->pid;
		e.tid = t->tid;
		e.fd = atoi(d->d_name);
		/* kipc's files are anon inodes, all root's: the holder's uid. */
		if (e.kind == SYS_FD_KIPC_CHAN ||
		    e.kind == SYS_FD_KIPC_SERVICE) {
			if (!have_euid)
				euid = task_euid(t);
			have_euid = 1;
			e.uid = euid;
		}
		snprintf(e.comm, sizeof(e.comm), "%s", comm);
		slot = add_entry(s);
		if (!slot) {
			free(e.name);
			ret = -ENOMEM;
			break;
		}
		*slot = e;
	}
	if (dirs.info >= 0)
		close(dirs.info);
	closedir(fds);
	return ret;
}

/* kcmp() of the fd tables of @a and @b: 0 the same, > 0 not, -1 unknown. */
static int cmp_files(pid_t a, pid_t b)
{
	return syscall(SYS_kcmp, a, b, KCMP_FILES, 0, 0);
}

/*
 * The fds of @pid's threads that hold tables of their own (not the
 * process's, nor one read already). Threads that cannot be compared (no
 * kcmp(), or no right to) are taken to share the process's table.
 */
static int scan_threads(struct sys_scan *s, pid_t pid, const char *comm)
{
	pid_t *seen = NULL, tid;
	size_t nseen = 0, cap = 0, i;
	struct fd_table t;
	struct dirent *d;
	char dir[48];
	int ret = 0;
	DIR *tasks;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	tasks = opendir(dir);
	if (!tasks)
		return 0;	/* it exited */
	while (!ret && (d = readdir(tasks))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		tid = atoi(d->d_name);
		if (tid == pid || cmp_files(pid, tid) <= 0)
			continue;
		for (i = 0; i < nseen && cmp_files(seen[i], tid); i++)
			;
		if (i < nseen)
			continue;
		if (!array_add(&seen, &nseen, &cap, sizeof(*seen))) {
			ret = -ENOMEM;
			break;
		}
		seen[nseen - 1] = tid;
		t.pid = pid;
		t.tid = tid;
		snprintf(t.dir, sizeof(t.dir), "/proc/%d/task/%d", (int)pid,
			 (int)tid);
		ret = scan_fds(s, &t, comm);
		if (ret != -ENOMEM)
			ret = 0;	/* gone, or not readable: as unseen */
	}
	closedir(tasks);
	free(seen);
	return ret;
}

/* The mappings of files under /dev/shm, one entry per file and process. */
static int scan_maps(struct sys_scan *s, pid_t pid, const char *comm)
{
	unsigned long long ino, last = 0;
	unsigned int major, minor;
	char path[64], *line = NULL, file[PATH_MAX];
	struct sys_fd *e;
	size_t room = 0;
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* Whole lines: the tail of a long one is not a mapping of its own. */
	while (getline(&line, &room, f) > 0) {
		/* addr perms offset MAJ:MIN INODE PATH */
		if (sscanf(line, "%*s %*s %*s %x:%x %llu %4095[^\n]", &major,
			   &minor, &ino, file) != 4 ||
		    strncmp(file, SHM_DIR, strlen(SHM_DIR)) || ino == last)
			continue;
		last = ino;
		e = add_entry(s);
		if (!e) {
			ret = -ENOMEM;
			break;
		}
		e->kind = SYS_FD_SHM_MAP;
		e->dev = makedev(major, minor);
		e->ino = ino;
		e->pid = pid;
		e->fd = -1;
		snprintf(e->comm, sizeof(e->comm), "%s", comm);
	}
	free(line);
	fclose(f);
	return ret;
}

/*
 * The process's name: what /proc/PID/comm holds but its last newline. A
 * name may hold newlines of its own (PR_SET_NAME takes any byte but NUL):
 * a line would end at the first.
 */
static void read_comm(pid_t pid, char *comm, size_t size)
{
	char path[64];
	ssize_t len;
	int fd;

	snprintf(comm, size, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, comm, size - 1);
	close(fd);
	if (len <= 0)
		return;
	if (comm[len - 1] == '\n')
		len--;
	comm[len] = '\0';
}

static int cmp_fd(const void *a, const void *b)
{
	const struct sys_fd *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

int sys_scan_procs(struct sys_scan *s, int maps)
{
	struct fd_table t = { 0 };
	struct dirent *d;
	char comm[17];
	DIR *proc;
	pid_t pid;
	int ret = 0;

	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while (!ret && (d = readdir(proc))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pid = atoi(d->d_name);
		read_comm(pid, comm, sizeof(comm));
		t.pid = pid;
		snprintf(t.dir, sizeof(t.dir), "/proc/%d", (int)pid);
		ret = scan_fds(s, &t, comm);
		if (ret == -EACCES || ret == -EPERM) {
			s->denied++;
			ret = 0;
			continue;
		}
		if (ret == -ENOENT) {	/* it exited */
			ret = 0;
			continue;
		}
		if (ret)
			break;
		s->procs++;
		ret = scan_threads(s, pid, comm);
		if (!ret && maps && scan_maps(s, pid, comm) == -ENOMEM)
			ret = -ENOMEM;
	}
	closedir(proc);
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_fd);
	return ret;
}

void sys_scan_free(struct sys_scan *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

size_t sys_fd_run(const struct sys_fd *f, const struct sys_fd *end)
{
	const struct sys_fd *g = f;

	while (g < end && g->kind == f->kind && g->dev == f->dev &&
	       g->ino == f->ino)
		g++;
	return g - f;
}

void sys_pipe_id(const struct sys_fd *f, char *buf, size_t len)
{
	if (f->kind == SYS_FD_FIFO)
		snprintf(buf, len, "%u:%u:%llu", major(f->dev), minor(f->dev),
			 (unsigned long long)f->ino);
	else
		snprintf(buf, len, "%llu", (unsigned long long)f->ino);
}

const struct sys_fd *sys_scan_find(const struct sys_scan *s,
				   enum sys_fd_kind kind, uint64_t dev,
				   uint64_t ino, size_t *n)
{
	struct sys_fd key = { .kind = kind, .dev = dev, .ino = ino };
	size_t lo = 0, hi = s->n, mid;

	/* The first entry not below (kind, dev, ino, pid 0). */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp_fd(&s->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*n = lo < s->n ? sys_fd_run(&s->v[lo], s->v + s->n) : 0;
	if (*n && (s->v[lo].kind != kind || s->v[lo].dev != dev ||
		   s->v[lo].ino != ino))
		*n = 0;
	return *n ? &s->v[lo] : NULL;
}
