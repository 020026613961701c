// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl sys check: what is wrong with the system's IPC, each finding
 * with a severity, the object, the processes involved and a remedy:
 *  - System V segments nobody attaches whose creator is gone; System V
 *    queues holding messages with no live sender or receiver;
 *  - queues that are full or nearly so (System V at qbytes, POSIX at
 *    maxmsg) and full pipes (root: every page taken, writers block);
 *  - usage near a system limit (kernel.msgmni, shmmni, the semaphore sets
 *    of kernel.sem, fs.mqueue.queues_max), counted from the objects seen;
 *  - kipc channels that lost their receivers (with the processes holding
 *    their send ends), kipc services whose backlog is full or nearly so
 *    (with their listeners), and users near a kipc cap.
 * Exit status: 0 when nothing was found, 3 when something was (for
 * monitoring systems), 1 on an error, 2 on a usage error.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>

#include "kipcctl.h"
#include "sys.h"

#define NEAR_PCT	90	/* "nearly": at or above this share of a limit */

struct check {
	const struct sys_scan *s;
	unsigned int found;
	unsigned int msg, sem, shm, mq;	/* objects seen, for the limits */
	unsigned int mq_unreadable;	/* POSIX queues it may not open */
	int failed;			/* a part could not be checked */
};

/*
 * A part of the system that could not be checked: said on standard error,
 * and the check exits 1 rather than reporting the system healthy.
 */
static void check_failed(struct check *c, const char *what, int err)
{
	fprintf(stderr, "kipcctl: sys check: %s: %s\n", what, strerror(-err));
	c->failed = 1;
}

static int alive(int pid)
{
	return pid > 0 && (!kill(pid, 0) || errno == EPERM);
}

/* The inode of the initial PID namespace (PROC_PID_INIT_INO, fixed). */
#define PID_NS_INIT_INO	0xEFFFFFFCU

/*
 * Whether the caller is in the initial PID namespace, where every process
 * has a pid: elsewhere /proc/sysvipc shows a process of an outer
 * namespace as pid 0. Unknown (no /proc/self/ns): as if it were.
 */
static int initial_pid_ns(void)
{
	static int init = -1;
	struct stat st;

	if (init < 0)
		init = stat("/proc/self/ns/pid", &st) ||
		       st.st_ino == PID_NS_INIT_INO;
	return init;
}

/*
 * Whether @pid, as /proc/sysvipc shows it, is known to name no live
 * process: a pid that does not exist, or 0 (none) in the initial PID
 * namespace. Elsewhere 0 is a process of an outer namespace, alive or
 * not: unknown, so no verdict (a container's peers on the host live).
 */
static int gone(int pid)
{
	if (!pid)
		return initial_pid_ns();
	return pid > 0 && kill(pid, 0) && errno == ESRCH;
}

/*
 * Whether @used is at or above NEAR_PCT% of @limit: used >= ceil(limit *
 * NEAR_PCT / 100), computed as limit less what is above it, so that no
 * product overflows (a cap may be near 2^64: used * 100 or limit * 90
 * wrapped, and a tiny use read as nearly full).
 */
static int near_limit(uint64_t used, uint64_t limit)
{
	uint64_t above = limit / 100 * (100 - NEAR_PCT) +
			 limit % 100 * (100 - NEAR_PCT) / 100;

	return used >= limit - above;
}

/* One finding; @pids is "" or a list such as "123,456". */
static void finding(struct check *c, const char *severity, const char *object,
		    const char *pids, const char *problem, const char *remedy)
{
	char obj[SYS_ESC_MAX], text[4 * 256];

	if (json) {
		printf("%s{\"severity\":\"%s\",\"object\":", c->found ? "," : "",
		       severity);
		sys_str(object);
		printf(",\"pids\":[%s],\"problem\":", pids);
		sys_str(problem);
		printf(",\"remedy\":");
		sys_str(remedy);
		printf("}");
	} else {
		sys_escape(obj, sizeof(obj), object, SYS_ESC_TEXT);
		sys_escape(text, sizeof(text), problem, SYS_ESC_TEXT);
		printf("%-7s %s%s%s%s: %s\n        remedy: %s\n", severity,
		       obj, *pids ? " (pids " : "", pids, *pids ? ")" : "",
		       text, remedy);
	}
	c->found++;
}

static int check_msg(const struct sys_sysv_row *r, void *arg)
{
	struct check *c = arg;
	char obj[64], pids[32] = "", text[160], remedy[96];
	struct msqid_ds ds;

	c->msg++;
	snprintf(obj, sizeof(obj), "sysv-msg:%lld", r->id);
	snprintf(remedy, sizeof(remedy), "ipcrm -q %lld if no program will read it", r->id);
	if (r->qnum && gone(r->lspid) && gone(r->lrpid)) {
		snprintf(text, sizeof(text),
			 "%llu messages (%llu bytes) queued, and neither its last sender nor its last receiver is alive",
			 (unsigned long long)r->qnum, (unsigned long long)r->cbytes);
		finding(c, "warning", obj, "", text, remedy);
	}
	if (msgctl((int)r->id, IPC_STAT, &ds) || !ds.msg_qbytes)
		return 0;	/* not ours to read: no verdict */
	if (!near_limit(r->cbytes, ds.msg_qbytes))
		return 0;
	if (alive(r->lrpid))
		snprintf(pids, sizeof(pids), "%d", r->lrpid);
	snprintf(text, sizeof(text), "%s: %llu of %lu bytes (qbytes) used%s",
		 r->cbytes >= ds.msg_qbytes ? "full" : "nearly full",
		 (unsigned long long)r->cbytes, (unsigned long)ds.msg_qbytes,
		 r->cbytes >= ds.msg_qbytes ? "; senders block or get EAGAIN" : "");
	finding(c, r->cbytes >= ds.msg_qbytes ? "error" : "warning", obj, pids,
		text, "a receiver that keeps up, or a larger msg_qbytes (IPC_SET)");
	return 0;
}

static int check_shm(const struct sys_sysv_row *r, void *arg)
{
	struct check *c = arg;
	char obj[64], text[160], remedy[96];

	c->shm++;
	if (r->nattch || !gone(r->cpid))
		return 0;
	snprintf(obj, sizeof(obj), "sysv-shm:%lld", r->id);
	snprintf(text, sizeof(text),
		 "%llu bytes that no process attaches, and its creator %d is gone",
		 (unsigned long long)r->size, r->cpid);
	snprintf(remedy, sizeof(remedy), "ipcrm -m %lld if nothing will attach it again",
		 r->id);
	finding(c, "warning", obj, "", text, remedy);
	return 0;
}

static int count_sem(const struct sys_sysv_row *r, void *arg)
{
	(void)r;
	((struct check *)arg)->sem++;
	return 0;
}

/* POSIX queues at or near maxmsg: each queue opened read-only, at once closed. */
static void check_mqueues(struct check *c)
{
	char dir[PATH_MAX], name[NAME_MAX + 2], text[160];
	struct dirent *e;
	struct mq_attr a;
	mqd_t q;
	DIR *d;

	if (sys_mqueue_mount(dir, sizeof(dir)))
		return;		/* no mqueue file system: no queue */
	d = opendir(dir);
	if (!d) {
		check_failed(c, dir, -errno);
		return;
	}
	while ((e = readdir(d))) {
		if (sys_dot_entry(e->d_name))
			continue;
		c->mq++;
		snprintf(name, sizeof(name), "/%s", e->d_name);
		q = mq_open(name, O_RDONLY | O_NONBLOCK);
		if (q == (mqd_t)-1) {
			c->mq_unreadable += errno == EACCES;
			continue;
		}
		if (!mq_getattr(q, &a) && a.mq_maxmsg > 0 &&
		    a.mq_curmsgs >= 0 && near_limit(a.mq_curmsgs, a.mq_maxmsg)) {
			snprintf(text, sizeof(text), "%s: %ld of %ld messages (maxmsg)%s",
				 a.mq_curmsgs >= a.mq_maxmsg ? "full" : "nearly full",
				 a.mq_curmsgs, a.mq_maxmsg,
				 a.mq_curmsgs >= a.mq_maxmsg ? "; senders block or get EAGAIN" : "");
			finding(c, a.mq_curmsgs >= a.mq_maxmsg ? "error" : "warning",
				name, "", text, "a receiver that keeps up, or a larger maxmsg at mq_open()");
		}
		mq_close(q);
	}
	closedir(d);
}

/* The pids among @f[0..n) that @keep accepts (NULL: all), as "1,2". */
static void pid_list(char *buf, size_t size, const struct sys_fd *f,
		     size_t n, int (*keep)(const struct sys_fd *f))
{
	size_t i, len = 0;
	pid_t last = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len + 12 < size; i++) {
		if ((keep && !keep(&f[i])) || f[i].pid == last)
			continue;
		last = f[i].pid;
		len += snprintf(buf + len, size - len, "%s%d", len ? "," : "",
				(int)f[i].pid);
	}
}

/*
 * Full pipes (root): those whose writers block, by the kernel's rule
 * (sys_pipe_depth()): every page of the pipe taken, however many bytes
 * they hold.
 */
static void check_pipes(struct check *c, const struct sys_scan *s)
{
	const struct sys_fd *f = s->v, *end = s->v + s->n;
	char obj[64], pids[128], text[160], id[48];
	struct sys_pipe_depth d;
	long page = sysconf(_SC_PAGESIZE);
	size_t n;

	for (; f < end; f += n) {
		n = sys_fd_run(f, end);
		if ((f->kind != SYS_FD_PIPE && f->kind != SYS_FD_FIFO) ||
		    sys_pipe_depth(f, n, &d, 1) || d.full != 1)
			continue;
		pid_list(pids, sizeof(pids), f, n, sys_fd_is_writer);
		sys_pipe_id(f, id, sizeof(id));
		snprintf(obj, sizeof(obj), "%s:%s",
			 f->kind == SYS_FD_PIPE ? "pipe" : "fifo", id);
		snprintf(text, sizeof(text),
			 "full: %lld of %lld bytes queued, all its %lld pages "
			 "taken; its writers block",
			 d.bytes, d.size, page > 0 ? d.size / page : 0);
		finding(c, "warning", obj, pids, text,
			"a reader that keeps up (the reader's pid is in kipcctl sys pipes)");
	}
}

/* @used objects against the limit in @file (field @field, from 0). */
static void check_limit(struct check *c, const char *what, unsigned int used,
			const char *file, int field, const char *remedy)
{
	unsigned long long v[4] = { 0 };
	char text[160];
	FILE *f = fopen(file, "re");
	int n;

	if (!f)
		return;
	n = fscanf(f, "%llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]);
	fclose(f);
	if (n <= field || !v[field] || !near_limit(used, v[field]))
		return;
	snprintf(text, sizeof(text),
		 "%u %s against a limit of %llu (%s; counted from the objects this namespace shows)",
		 used, what, v[field], file);
	finding(c, used >= v[field] ? "error" : "warning", file, "", text, remedy);
}

static int kipc_chan_cb(const struct kipc_channel_stats *st, void *arg)
{
	struct check *c = arg;
	char obj[32], pids[128], text[128];
	const struct sys_fd *f;
	size_t n;

	if (st->receivers)
		return 0;
	snprintf(obj, sizeof(obj), "kipc-channel:%llu", (unsigned long long)st->id);
	/* Those holding its send ends; its creator when none is visible. */
	f = sys_scan_find(c->s, SYS_FD_KIPC_CHAN, 0, st->id, &n);
	if (n)
		pid_list(pids, sizeof(pids), f, n, sys_fd_is_writer);
	else
		snprintf(pids, sizeof(pids), "%u", st->pid);
	snprintf(text, sizeof(text),
		 "no receive end left: its %u senders get EPIPE", st->senders);
	finding(c, "warning", obj, pids, text,
		"restart the receiver, or close the send ends");
	return 0;
}

/*
 * kipc services whose backlog is full or nearly so: connections wait that
 * no listener accepts, and further connects wait or fail with EAGAIN.
 * From fdinfo (sys-fds.c), so without the module's netlink too.
 */
static void check_services(struct check *c)
{
	const struct sys_fd *f = c->s->v, *end = c->s->v + c->s->n;
	char obj[32], pids[128], text[160];
	const struct sys_kipc_service *sv;
	size_t n;
	int full;

	for (; f < end; f += n) {
		n = sys_fd_run(f, end);
		sv = &f->svc;
		if (f->kind != SYS_FD_KIPC_SERVICE || !sv->backlog ||
		    !near_limit(sv->pending, sv->backlog))
			continue;
		full = sv->pending >= sv->backlog;
		snprintf(obj, sizeof(obj), "kipc-service:%llu", (unsigned long long)f->ino);
		pid_list(pids, sizeof(pids), f, n, NULL);
		snprintf(text, sizeof(text),
			 "%s: %u of %u connections wait for an accept (backlog; %u listeners)%s",
			 full ? "backlog full" : "backlog nearly full", sv->pending,
			 sv->backlog, sv->listeners,
			 full ? "; connects wait or fail with EAGAIN" : "");
		finding(c, full ? "error" : "warning", obj, pids, text,
			"accept faster (the listeners are the pids shown; another process may open the service's name and accept too), or a larger backlog at kipc_service_create()");
	}
}

/* A user record the dump gave: the first into @arg's record, counted. */
struct own_user {
	struct kipc_user_stats *u;
	unsigned int n;
};

static int own_user_cb(const struct kipc_user_stats *st, void *arg)
{
	struct own_user *o = arg;

	if (!o->n++)
		*o->u = *st;
	return 0;
}

/*
 * The caller's usage record into @u: 0, -ENOENT (it holds nothing) or
 * -errno. kipc charges a process in a user namespace to the namespace's
 * owner (or the host uid of its root: kipc_user_key()), not to the uid
 * it sees, so a get of geteuid() finds nothing there. A caller without
 * CAP_SYS_ADMIN (nl_sees_all()) is shown only its own
 * record, which a dump then gives, whatever it is keyed by.
 */
static int own_user(struct kipc_nl *nl, struct kipc_user_stats *u)
{
	struct own_user o = { .u = u };
	int ret;

	ret = kipc_user_stats_get(nl, geteuid(), u);
	if (ret != -ENOENT || nl_sees_all(nl))
		return ret;
	ret = kipc_user_stats_dump(nl, own_user_cb, &o);
	if (ret)
		return ret > 0 ? -ENOMEM : ret;
	return o.n == 1 ? 0 : -ENOENT;
}

/* kipc's own: channels without receivers, users near a per-user cap. */
static void check_kipc(struct check *c)
{
	static const char *const names[] = { "regions", "channels",
		"lend queues", "names", "bytes in flight", "pool bytes",
		"services", "region bytes" };
	struct kipc_user_stats u;
	uint64_t used[8], limit[8];
	char obj[32], text[128];
	struct kipc_nl *nl;
	int i, ret;

	ret = kipc_nl_open(&nl, 0);
	if (ret == -ENOENT)
		return;		/* no module: nothing of kipc to check */
	if (ret) {
		check_failed(c, "kipc", ret);
		return;
	}
	ret = kipc_channel_stats_dump(nl, NULL, kipc_chan_cb, c);
	if (ret)
		check_failed(c, "kipc channels", ret > 0 ? -ENOMEM : ret);
	ret = own_user(nl, &u);
	/* ENOENT: the user holds nothing; EOPNOTSUPP: an older module */
	if (ret && ret != -ENOENT && ret != -EOPNOTSUPP)
		check_failed(c, "kipc user", ret);
	if (!ret) {
		used[0] = u.regions; limit[0] = u.regions_limit;
		used[1] = u.channels; limit[1] = u.channels_limit;
		used[2] = u.lendqs; limit[2] = u.lendqs_limit;
		used[3] = u.names; limit[3] = u.names_limit;
		used[4] = u.inflight_bytes; limit[4] = u.inflight_bytes_limit;
		used[5] = u.pool_bytes; limit[5] = u.pool_bytes_limit;
		used[6] = u.services; limit[6] = u.services_limit;
		used[7] = u.region_bytes; limit[7] = u.region_bytes_limit;
		for (i = 0; i < 8; i++) {
			if (!limit[i] || !near_limit(used[i], limit[i]))
				continue;
			snprintf(obj, sizeof(obj), "kipc-user:%u", u.uid);
			snprintf(text, sizeof(text), "%llu of %llu %s (the module's per-user cap)",
				 (unsigned long long)used[i],
				 (unsigned long long)limit[i], names[i]);
			finding(c, used[i] >= limit[i] ? "error" : "warning", obj,
				"", text, "close what is not needed, or raise the module parameter");
		}
	}
	kipc_nl_close(nl);
}

int sys_check(int argc, char **argv)
{
	static const struct {
		enum sys_kind kind;
		int (*cb)(const struct sys_sysv_row *r, void *arg);
		const char *what;
	} sysv[] = {
		{ SYS_MSG, check_msg, "System V message queues" },
		{ SYS_SHM, check_shm, "System V segments" },
		{ SYS_SEM, count_sem, "System V semaphore sets" },
	};
	struct sys_scan s = { 0 };
	struct check c = { .s = &s };
	unsigned int i;
	int ret;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: kipcctl [-j] sys check\n");
		return 2;
	}
	ret = sys_scan_procs(&s, 0);
	if (ret < 0) {
		fprintf(stderr, "kipcctl: sys check: /proc: %s\n", strerror(-ret));
		return 1;
	}
	if (json)
		printf("{\"findings\":[");
	for (i = 0; i < sizeof(sysv) / sizeof(sysv[0]); i++) {
		ret = sys_sysv_each(sysv[i].kind, sysv[i].cb, &c);
		if (ret < 0 && ret != -ENOENT)	/* ENOENT: no System V IPC */
			check_failed(&c, sysv[i].what, ret);
	}
	check_mqueues(&c);
	check_pipes(&c, &s);
	check_services(&c);
	check_limit(&c, "System V message queues", c.msg, "/proc/sys/kernel/msgmni", 0,
		    "remove unused queues (ipcrm), or raise kernel.msgmni");
	check_limit(&c, "System V segments", c.shm, "/proc/sys/kernel/shmmni", 0,
		    "remove unused segments (ipcrm), or raise kernel.shmmni");
	check_limit(&c, "System V semaphore sets", c.sem, "/proc/sys/kernel/sem", 3,
		    "remove unused sets (ipcrm), or raise the 4th field of kernel.sem");
	check_limit(&c, "POSIX message queues", c.mq, "/proc/sys/fs/mqueue/queues_max", 0,
		    "remove unused queues (mq_unlink), or raise fs.mqueue.queues_max");
	check_kipc(&c);
	/*
	 * What this caller may not read was not checked: said, so that "0
	 * problems" of a user without privilege is not read as the whole
	 * system's health (the status stays the findings').
	 */
	if (json) {
		printf("],\"count\":%u,\"unreadable\":{\"mqueues\":%u,"
		       "\"processes\":%u}}\n", c.found, c.mq_unreadable,
		       s.denied);
	} else {
		if (c.mq_unreadable || s.denied)
			printf("not checked (not readable by this user): "
			       "%u POSIX queues, the fds of %u processes\n",
			       c.mq_unreadable, s.denied);
		printf("%u problem%s found\n", c.found, c.found == 1 ? "" : "s");
	}
	sys_scan_free(&s);
	return c.failed ? 1 : c.found ? 3 : 0;
}
