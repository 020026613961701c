/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipcctl sys: an inventory of the system's stock IPC objects. sys.c has
 * the command and its output helpers; sys-sysv.c, sys-posix.c, sys-fds.c
 * (the scan of /proc/PID/fd, fdinfo and maps) and sys-unix.c one kind each.
 */
#ifndef KIPCCTL_SYS_H
#define KIPCCTL_SYS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What a process holds, as the scan of /proc found it. */
enum sys_fd_kind {
	SYS_FD_PIPE,	/* "pipe:[INO]" */
	SYS_FD_FIFO,	/* a named pipe (S_ISFIFO, a path) */
	SYS_FD_SOCKET,	/* "socket:[INO]" */
	SYS_FD_EVENTFD,	/* "anon_inode:[eventfd]", keyed by its eventfd-id */
	SYS_FD_MEMFD,	/* "/memfd:NAME (deleted)" */
	SYS_FD_SHM,	/* an open file under /dev/shm */
	SYS_FD_SHM_MAP,	/* a mapping of a file under /dev/shm (fd is -1) */
	SYS_FD_KIPC_CHAN, /* "anon_inode:[kipc-send]" or [kipc-recv], by kipc-id */
	SYS_FD_KIPC_SERVICE, /* "anon_inode:[kipc-service]", by kipc-id */
};

/* What fdinfo says of a kipc service (zero for other kinds). */
struct sys_kipc_service {
	uint32_t backlog, pending, listeners;
	uint64_t accepted;
};

#define SYS_UID_UNKNOWN	UINT32_MAX

struct sys_fd {
	enum sys_fd_kind kind;
	uint64_t dev;		/* 0 for pipes, sockets and eventfds */
	uint64_t ino;		/* the inode, or the eventfd-id */
	pid_t pid;
	pid_t tid;		/* the thread whose own fd table holds fd (it
				 * unshared CLONE_FILES); 0: the process's */
	int fd;
	unsigned int flags;	/* fdinfo's flags: O_ACCMODE gives the end (a
				 * kipc send end is O_WRONLY, a receive end
				 * O_RDONLY); of pipes, FIFOs, eventfds and
				 * kipc files only, 0 for the others */
	uint32_t uid;		/* the file's owner (st_uid); of a kipc file, its
				 * holder's effective uid (anon inodes are
				 * root's), or SYS_UID_UNKNOWN */
	char comm[17];
	char *name;		/* FIFO path, memfd name; NULL otherwise */
	struct sys_kipc_service svc;	/* SYS_FD_KIPC_SERVICE */
};

struct sys_scan {
	struct sys_fd *v;	/* sorted by kind, dev, ino, pid, fd */
	size_t n, cap;
	unsigned int procs;	/* processes whose fds were read */
	unsigned int denied;	/* processes whose fds were not readable */
};

/* Which kinds of sys_scan_procs() and the output want. */
enum sys_kind {
	SYS_MSG, SYS_SEM, SYS_SHM, SYS_MQUEUE, SYS_POSIX_SHM, SYS_PIPES,
	SYS_UNIX, SYS_EVENTFD, SYS_MEMFD, SYS_KIPC_CHANNEL, SYS_KIPC_SERVICE,
	SYS_NR_KINDS,
};

struct sys_opts {
	int want[SYS_NR_KINDS];
	int all;		/* --all: unshared eventfds and memfds too */
	int no_sock_diag;	/* --no-sock-diag: read /proc/net/unix */
};

/* sys-fds.c: scan /proc (maps too when @maps); 0 or -errno. */
int sys_scan_procs(struct sys_scan *s, int maps);
void sys_scan_free(struct sys_scan *s);
/* The entries of one object: *@n of them from the returned one, or NULL. */
const struct sys_fd *sys_scan_find(const struct sys_scan *s,
				   enum sys_fd_kind kind, uint64_t dev,
				   uint64_t ino, size_t *n);
/* sys-pipes.c: whether @f reads (or writes) the pipe or kipc channel. */
int sys_fd_is_reader(const struct sys_fd *f);
int sys_fd_is_writer(const struct sys_fd *f);
/* The length of the run of entries from @f (of @end) on the same object. */
size_t sys_fd_run(const struct sys_fd *f, const struct sys_fd *end);
/*
 * A pipe's or FIFO's id in object names: its inode, a FIFO's with its
 * device (MAJ:MIN:INO), since inode numbers repeat across file systems.
 */
void sys_pipe_id(const struct sys_fd *f, char *buf, size_t len);

/* One object of /proc/sysvipc/{msg,sem,shm}; fields of other kinds are 0. */
struct sys_sysv_row {
	long long key, id;
	uint32_t uid;
	uint64_t cbytes, qnum;		/* msg */
	uint64_t size, nattch;		/* shm */
	int lspid, lrpid;		/* msg: last send and receive */
	int cpid, lpid;			/* shm: creator, last attach/detach */
};

/* sys-sysv.c: each object of @kind to @cb (non-zero stops); 0 or -errno. */
int sys_sysv_each(enum sys_kind kind,
		  int (*cb)(const struct sys_sysv_row *r, void *arg), void *arg);

/* The sections; each prints a table or a JSON member, 0 or -errno. */
int sys_sysv(enum sys_kind kind);
int sys_mqueue(void);
/* sys-posix.c: where the mqueue file system is mounted; 0 or -ENOENT. */
int sys_mqueue_mount(char *dir, size_t size);
/* sys-check.c: kipcctl sys check. */
int sys_check(int argc, char **argv);
int sys_posix_shm(const struct sys_scan *s);
int sys_pipes(const struct sys_scan *s);
/* What is known of the bytes queued in a pipe or FIFO (-1: unknown). */
struct sys_pipe_depth {
	long long bytes, size;	/* queued, and its capacity */
	int full;		/* 1: its writers block (every page taken) */
};

/*
 * sys-pipes.c: the depth of the pipe of @f[0..n) (root) into *@d; 0, or
 * -1 when its bytes queued are not known. d->full is asked (a poll() of
 * a writer's copy) only with @want_full: -1 otherwise but when bytes
 * queued reach the capacity.
 */
int sys_pipe_depth(const struct sys_fd *f, size_t n, struct sys_pipe_depth *d,
		   int want_full);
/*
 * Whether Unix socket @ino is one of the pair between kipcctl and the
 * helper process that reads the pipes (left out of the Unix sockets).
 */
int sys_pipe_probe_sock(uint64_t ino);
int sys_fd_objects(const struct sys_scan *s, enum sys_fd_kind kind, int all);
int sys_unix(const struct sys_scan *s, int no_sock_diag);
/*
 * sys-unix.c: { ino, peer } of each Unix socket (malloc()ed, *@n of them;
 * peer 0: none, or unknown without unix_diag), as sys unix finds them
 * (/proc/net/unix: those some process of @s holds); 0 or -errno.
 */
int sys_unix_socks(const struct sys_scan *s, uint64_t (**inos)[2], size_t *n);
/*
 * sys-kipc.c: kipc's channels (netlink, with the processes holding their
 * ends from the scan) and services (from the scan's fdinfo).
 */
int sys_kipc_channels(const struct sys_scan *s);
int sys_kipc_services(const struct sys_scan *s);
/*
 * sys-posix.c: each POSIX queue's name and bytes queued (QSIZE) to @cb
 * (non-zero stops), and how many could not be read (permissions) added
 * to *@unreadable; 0 or -errno (-ENOENT: mqueue is mounted nowhere).
 */
int sys_mqueue_each(int (*cb)(const char *name, long long qsize, void *arg),
		    void *arg, unsigned int *unreadable);

/* A Unix socket's queues, as sock_diag reports them. */
struct sys_unix_row {
	uint64_t ino;
	uint32_t rqueue, wqueue;	/* listen: pending connections, backlog */
	int listen;
};

/* sys-unix.c: each socket with queues known to @cb; 0 or -errno. */
int sys_unix_each(int (*cb)(const struct sys_unix_row *r, void *arg),
		  void *arg);
/* sys-graph.c: kipcctl sys graph [--dot]. */
int sys_graph(int argc, char **argv);

/* sys.c: output helpers shared by the sections. */
/* Start a section: a title (table) or "NAME":[ (JSON, comma as needed). */
void sys_section(const char *json_name, const char *title);
/* End it: "(none)" when @rows is 0 (table) or ] (JSON). */
void sys_section_end(size_t rows);
/* A string: JSON-escaped and quoted, or as sys_escape(SYS_ESC_TEXT). */
/* How sys_escape() writes a string read from the system. */
enum sys_esc {
	SYS_ESC_TEXT,	/* controls and bytes that are not UTF-8 as \xNN */
	SYS_ESC_DOT,	/* for a DOT string: " and \ escaped, \\xNN */
	SYS_ESC_FIELD,	/* TEXT, and space ( ) , as \xNN: a name in a
			 * column or a list of PID(NAME) */
};

/*
 * @buf (@len bytes) gets @s, a string read from the system, escaped: never
 * a terminal control sequence or a forged line. SYS_ESC_MAX bytes hold a
 * name of up to PATH_MAX bytes (a FIFO's path) escaped for text.
 */
#define SYS_ESC_MAX	(4 * PATH_MAX + 8)
void sys_escape(char *buf, size_t len, const char *s, enum sys_esc how);
/* Whether directory entry @name is "." or ".." (".x" is a name like any). */
int sys_dot_entry(const char *name);
void sys_str(const char *s);
/*
 * The processes among @f[0..n) that @keep (NULL: all) accepts, each once:
 * "PID(COMM),..." or [{"pid":P,"comm":C},...]; "-" when none.
 */
void sys_pids(const struct sys_fd *f, size_t n,
	      int (*keep)(const struct sys_fd *f));

#endif /* KIPCCTL_SYS_H */
