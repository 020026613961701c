// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Process groups, the supervisor: declaring regions, channels and workers,
 * spawning each worker instance with its objects as LISTEN_FDS, and one
 * epoll loop over the workers' pidfds, a signalfd and a timerfd that
 * restarts, kills, drains and reloads them. group.h describes the control
 * region shared with the workers and the lease protocol.
 *
 * The supervisor holds both ends of every channel and a region handle per
 * worker slot: queues and leased buffers outlive any worker. It closes its
 * send end of a channel only once every worker that sends on it has ended
 * for good and its receivers are done with what was sent (nothing queued,
 * no message held), so that the receivers then see its end, and a message
 * of a receiver that dies meanwhile can still go back on it.
 * It also holds every service it published: connections waiting in a
 * service's backlog outlive the workers that accept them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kipc.h"
#include "kipc_group.h"
#include "group.h"
#include "sys.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define KGRP_MAX_INTENSITY	64	/* restarts remembered */
/* A failed start, a held zombie, a hand-on, a slow end-of-stream look. */
#define KGRP_RETRY_NS	100000000ULL
#define KGRP_CLOSE_NS	10000000ULL	/* an end of stream that waits */
#define KGRP_TEXT_MAX	256		/* an event's text */
#define EV_SIGNAL	(1ULL << 32)
#define EV_TIMER	(2ULL << 32)

struct grp_region {
	char name[KIPC_GROUP_NAME_MAX + 1];
	uint64_t bytes, buf_size;
	struct kipc_region *r;		/* the supervisor's handle */
};

struct grp_chan {
	char name[KIPC_GROUP_NAME_MAX + 1];
	int region;			/* -1: unbound */
	uint32_t depth;
	uint64_t id;
	struct kipc_chan *tx, *rx;	/* tx NULL once closed for the drain */
	uint64_t idle_at;		/* finished, first seen unused */
};

struct grp_svc {
	char name[KIPC_GROUP_NAME_MAX + 1];	/* published under it */
	struct kipc_service *svc;	/* the listening fd every server shares */
};

struct grp_worker {
	char name[KIPC_GROUP_NAME_MAX + 1];
	struct kipc_worker_attr attr;
	char **argv;			/* our copy, NULL-terminated */
	uint32_t in, out;		/* channel bitmasks */
	uint32_t serve;			/* service bitmask */
	unsigned int first_slot;
};

struct grp_slot {
	unsigned int worker, instance;
	uint32_t state;			/* KIPC_MEMBER_* */
	pid_t pid;
	int pidfd;
	uint32_t restarts;
	int32_t last_status;
	int planned;			/* killed by us, to be started again */
	int termed;			/* we sent SIGTERM (drain, reload) */
	uint64_t start_at;		/* STARTING: when to start, ns */
	uint64_t started;		/* when it last started, ns */
	uint32_t reload_gen;		/* the group's reloads when it started */
	uint64_t kill_at;		/* STOPPING: SIGKILL then, 0: none */
	uint32_t backoff_ms;
	uint32_t last_beat;
	uint64_t beat_at;		/* when @last_beat last changed */
	uint64_t reap_at;		/* a tracer holds it: look then */
	int lifeline;			/* lifeline's write end, or -1 */
	int handon;			/* a lease to hand on (slot_done()) */
	int handon_back;		/* a forward that cannot go: back */
	uint32_t handon_chans;		/* where it may go: kept open */
	uint32_t handed_on, lost;	/* leases it left: handed on, lost */
	struct kipc_region *h[KIPC_GROUP_MAX_REGIONS]; /* the slot's handles */
	struct kipc_region *sh_r;	/* the slot's own region (group.h) */
	struct kgrp_slot *sh;		/* its mapping */
};

/* An event of the notify callback, queued until its transition is done. */
struct grp_event {
	int32_t member, pid, status;
	char text[KGRP_TEXT_MAX];
};

struct kipc_group {
	char name[KIPC_GROUP_NAME_MAX + 1];
	struct kipc_group_attr attr;
	struct kipc *k;
	struct kipc_region *ctl_r;
	struct kgrp_ctl *ctl;
	unsigned int nr_regions, nr_chans, nr_svcs, nr_workers, nr_slots;
	struct grp_region regions[KIPC_GROUP_MAX_REGIONS];
	struct grp_chan chans[KIPC_GROUP_MAX_CHANNELS];
	struct grp_svc svcs[KIPC_GROUP_MAX_SERVICES];
	struct grp_worker workers[KIPC_GROUP_MAX_WORKERS];
	struct grp_slot slots[KIPC_GROUP_MAX_WORKERS];
	int epfd, sigfd, timerfd;
	sigset_t blocked;		/* the group blocked, destroy unblocks */
	int started;
	uint32_t state;			/* KIPC_GROUP_* */
	int status;			/* the group's exit status */
	char report[256];
	uint64_t drain_at;		/* DRAINING: SIGKILL everyone then; 0: done */
	int close_wait;			/* a finished channel in use */
	uint64_t close_since;		/* since when one is, ns */
	uint64_t restart_times[KGRP_MAX_INTENSITY]; /* recent restarts, ns */
	unsigned int nr_restart_times;
	uint32_t reload_gen;		/* reloads asked for */
	int reloading;			/* a rolling restart goes on */
	kipc_group_notify_fn notify;
	void *notify_arg;
	struct grp_event *events;	/* for the callback, once complete */
	unsigned int nr_events, max_events;
	int notifying;			/* in the callback */
};

static int name_ok(const char *name)
{
	size_t n;

	if (!name)
		return 0;
	n = strlen(name);
	/* ':' separates LISTEN_FDNAMES; "kipc-" is the library's prefix. */
	return n && n <= KIPC_GROUP_NAME_MAX && !strchr(name, ':') &&
	       strncmp(name, "kipc-", 5);
}

/* Room for one more queued event; -ENOMEM. */
static int event_room(struct kipc_group *g)
{
	unsigned int max = g->max_events ? 2 * g->max_events : 16;
	struct grp_event *ev;

	if (g->nr_events < g->max_events)
		return 0;
	ev = realloc(g->events, max * sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	g->events = ev;
	g->max_events = max;
	return 0;
}

/*
 * Queue an event for the callback: a transition calls this midway, when
 * the group is not yet what the event says; notify_flush() delivers it
 * once the call that made the transition is done. Out of memory, the
 * callback misses it.
 */
static void notify(struct kipc_group *g, int member, int status,
		   const char *fmt, ...)
{
	struct grp_event *e;
	va_list ap;

	if (!g->notify || event_room(g) < 0)
		return;
	e = &g->events[g->nr_events++];
	e->member = member;
	e->status = status;
	e->pid = member >= 0 ? g->slots[member].pid : getpid();
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

/*
 * Deliver the queued events, at the end of each call that changes the
 * group's state: the callback sees the group as that call left it, every
 * transition complete (a member that exited may have restarted since),
 * and may call kipc_group_stop() and the like, whose events it then gets
 * after these (from this loop, not from a nested one).
 */
static void notify_flush(struct kipc_group *g)
{
	struct kipc_group_event ev;
	struct grp_event e;
	unsigned int i;

	if (g->notifying)
		return;
	g->notifying = 1;
	for (i = 0; i < g->nr_events && g->notify; i++) {
		e = g->events[i];	/* a callback's events move them */
		ev = (struct kipc_group_event){ .member = e.member,
						.pid = e.pid,
						.status = e.status,
						.text = e.text };
		g->notify(g, &ev, g->notify_arg);
	}
	g->nr_events = 0;
	g->notifying = 0;
}

static const char *slot_name(const struct kipc_group *g, unsigned int s,
			     char *buf, size_t len)
{
	const struct grp_worker *w = &g->workers[g->slots[s].worker];

	if (w->attr.instances > 1)
		snprintf(buf, len, "%s.%u", w->name, g->slots[s].instance);
	else
		snprintf(buf, len, "%s", w->name);
	return buf;
}

/*
 * Fds 0-2 closed in the supervisor would be taken by its own fds (the
 * device, a channel end), which its messages to stderr would then write
 * into and every worker would inherit as its stdio: /dev/null takes them
 * first.
 */
static int std_fds_fill(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return -errno;
	} while (fd <= STDERR_FILENO);
	close(fd);
	return 0;
}

/* @attr with its defaults filled in, checked: 0 or -EINVAL. */
static int group_attr(const struct kipc_group_attr *attr,
		      struct kipc_group_attr *a)
{
	static const struct kipc_group_attr defaults;
	unsigned int i;

	if (!attr)
		attr = &defaults;
	if (attr->strategy > KIPC_GROUP_REST_FOR_ONE ||
	    attr->flags & ~KIPC_GROUP_SIGNALS ||
	    attr->intensity >= KGRP_MAX_INTENSITY)
		return -EINVAL;
	for (i = 0; i < sizeof(attr->reserved) / sizeof(attr->reserved[0]); i++)
		if (attr->reserved[i])
			return -EINVAL;
	*a = *attr;
	if (!a->intensity)
		a->intensity = 5;
	if (!a->period_ms)
		a->period_ms = 5000;
	if (!a->backoff_min_ms)
		a->backoff_min_ms = 10;
	if (!a->backoff_max_ms)
		a->backoff_max_ms = 1000;
	if (!a->drain_timeout_ms)
		a->drain_timeout_ms = 5000;
	/* Compared as used: a delay that would shrink as it "doubles". */
	return a->backoff_min_ms > a->backoff_max_ms ? -EINVAL : 0;
}

KIPC_API int kipc_group_create(const char *name,
			       const struct kipc_group_attr *attr,
			       struct kipc_group **gp)
{
	struct kipc_group_attr a;
	struct kipc_group *g;
	int ret;

	if (!name_ok(name) || !gp)
		return -EINVAL;
	ret = group_attr(attr, &a);
	if (ret < 0)
		return ret;
	ret = std_fds_fill();
	if (ret < 0)
		return ret;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->attr = a;
	g->epfd = g->sigfd = g->timerfd = -1;
	ret = kipc_open(&g->k, 0);
	if (ret < 0)
		goto out_free_group;
	ret = kipc_region_create(g->k, (sizeof(struct kgrp_ctl) + 4095) & ~4095UL,
				 0, 0, &g->ctl_r);
	if (ret < 0)
		goto out_close_kipc;
	g->ctl = kipc_region_base(g->ctl_r);
	g->ctl->magic = KGRP_MAGIC;
	g->ctl->version = KGRP_VERSION;
	*gp = g;
	return 0;

out_close_kipc:
	kipc_close(g->k);
out_free_group:
	free(g);
	return ret;
}

static int find_region(const struct kipc_group *g, const char *name)
{
	unsigned int i;

	for (i = 0; i < g->nr_regions; i++)
		if (!strcmp(g->regions[i].name, name))
			return i;
	return -1;
}

static int find_chan(const struct kipc_group *g, const char *name)
{
	unsigned int i;

	for (i = 0; i < g->nr_chans; i++)
		if (!strcmp(g->chans[i].name, name))
			return i;
	return -1;
}

static int find_svc(const struct kipc_group *g, const char *name)
{
	unsigned int i;

	for (i = 0; i < g->nr_svcs; i++)
		if (!strcmp(g->svcs[i].name, name))
			return i;
	return -1;
}

static int find_worker(const struct kipc_group *g, const char *name)
{
	unsigned int i;

	for (i = 0; i < g->nr_workers; i++)
		if (!strcmp(g->workers[i].name, name))
			return i;
	return -1;
}

/* Any name of the group: fds of one worker are looked up by name. */
static int name_taken(const struct kipc_group *g, const char *name)
{
	return find_region(g, name) >= 0 || find_chan(g, name) >= 0 ||
	       find_svc(g, name) >= 0;
}

KIPC_API int kipc_group_add_region(struct kipc_group *g, const char *name,
				   uint64_t bytes, uint64_t buf_size)
{
	struct grp_region *gr;
	int ret;

	if (!g || !name_ok(name) || g->started)
		return -EINVAL;
	if (name_taken(g, name))
		return -EEXIST;
	if (g->nr_regions == KIPC_GROUP_MAX_REGIONS)
		return -ENOSPC;
	gr = &g->regions[g->nr_regions];
	ret = kipc_region_create(g->k, bytes, buf_size, KIPC_REGION_NOMAP,
				 &gr->r);
	if (ret < 0)
		return ret;
	snprintf(gr->name, sizeof(gr->name), "%s", name);
	gr->bytes = bytes;
	gr->buf_size = buf_size;
	snprintf(g->ctl->regions[g->nr_regions].name, sizeof(gr->name), "%s",
		 name);
	g->ctl->regions[g->nr_regions].buf_size = buf_size;
	g->ctl->nr_regions = ++g->nr_regions;
	return 0;
}

static int fdinfo_get(int fd, const char *key, uint64_t *val)
{
	char path[64], line[128];
	size_t n = strlen(key);
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			*val = strtoull(line + n + 1, NULL, 10);
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

KIPC_API int kipc_group_add_channel(struct kipc_group *g, const char *name,
				    const char *region, uint32_t depth)
{
	struct kipc_channel_attr ca = { .depth = depth,
					.max_inline = KIPC_GROUP_INLINE_MAX };
	struct grp_chan *c;
	int r = -1, ret;
	uint64_t v;

	if (!g || !name_ok(name) || g->started)
		return -EINVAL;
	if (name_taken(g, name))
		return -EEXIST;
	if (region) {
		r = find_region(g, region);
		if (r < 0)
			return -ENOENT;
		ca.region = g->regions[r].r;
	}
	if (g->nr_chans == KIPC_GROUP_MAX_CHANNELS)
		return -ENOSPC;
	c = &g->chans[g->nr_chans];
	ret = kipc_channel_create(g->k, &ca, &c->tx, &c->rx);
	if (ret < 0)
		return ret;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->region = r;
	if (!fdinfo_get(kipc_channel_fd(c->rx), "kipc-depth", &v))
		c->depth = v;
	fdinfo_get(kipc_channel_fd(c->rx), "kipc-id", &c->id);
	snprintf(g->ctl->chans[g->nr_chans].name, sizeof(c->name), "%s", name);
	g->ctl->chans[g->nr_chans].region = r;
	g->ctl->nr_chans = ++g->nr_chans;
	return 0;
}

KIPC_API int kipc_group_add_service(struct kipc_group *g, const char *name,
				    unsigned int mode,
				    const struct kipc_service_attr *attr)
{
	static const struct kipc_service_attr defaults;
	struct grp_svc *sv;
	int ret;

	if (!attr)
		attr = &defaults;
	/*
	 * The group's regions are its own: a service carries inline bytes.
	 * Its workers' RPC servers announce its depth and inline size to
	 * clients, which refuse what no server could answer with.
	 */
	if (!g || !name_ok(name) || g->started || mode > 0777 || attr->region ||
	    attr->depth > KGRP_SVC_DEPTH_MAX ||
	    (attr->max_inline && attr->max_inline < KGRP_SVC_INLINE_MIN))
		return -EINVAL;
	if (name_taken(g, name))
		return -EEXIST;
	if (g->nr_svcs == KIPC_GROUP_MAX_SERVICES)
		return -ENOSPC;
	sv = &g->svcs[g->nr_svcs];
	ret = kipc_service_create(g->k, attr, &sv->svc);
	if (ret < 0)
		return ret;
	ret = kipc__name_publish(g->k, name, mode, kipc_service_fd(sv->svc));
	if (ret < 0) {
		kipc_service_close(sv->svc);
		return ret;
	}
	snprintf(sv->name, sizeof(sv->name), "%s", name);
	snprintf(g->ctl->svcs[g->nr_svcs].name, sizeof(sv->name), "%s", name);
	g->ctl->svcs[g->nr_svcs].depth = attr->depth;
	g->ctl->svcs[g->nr_svcs].max_inline = attr->max_inline;
	g->ctl->nr_svcs = ++g->nr_svcs;
	return 0;
}

KIPC_API int kipc_group_add_worker(struct kipc_group *g, const char *name,
				   const struct kipc_worker_attr *attr)
{
	struct grp_worker *w;
	unsigned int i, n, inst;

	if (!g || !name_ok(name) || !attr || g->started ||
	    !attr->fn == !attr->argv || (attr->argv && !attr->argv[0]) ||
	    attr->restart > KIPC_RESTART_ALWAYS || attr->reserved0 ||
	    (attr->watchdog_ms && attr->watchdog_ms < KGRP_WATCHDOG_MIN_MS))
		return -EINVAL;
	for (i = 0; i < sizeof(attr->reserved) / sizeof(attr->reserved[0]); i++)
		if (attr->reserved[i])
			return -EINVAL;
	if (find_worker(g, name) >= 0)
		return -EEXIST;
	inst = attr->instances ? attr->instances : 1;
	/* Not g->nr_slots + inst: a sum that wraps passes that test. */
	if (inst > KIPC_GROUP_MAX_WORKERS - g->nr_slots)
		return -ENOSPC;
	w = &g->workers[g->nr_workers];
	memset(w, 0, sizeof(*w));
	if (attr->argv) {
		for (n = 0; attr->argv[n]; n++)
			;
		w->argv = calloc(n + 1, sizeof(char *));
		if (!w->argv)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			w->argv[i] = strdup(attr->argv[i]);
			if (!w->argv[i]) {
				while (i--)
					free(w->argv[i]);
				free(w->argv);
				w->argv = NULL;
				return -ENOMEM;
			}
		}
	}
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->attr = *attr;
	w->attr.instances = inst;
	w->attr.argv = NULL;
	w->first_slot = g->nr_slots;
	for (i = 0; i < inst; i++) {
		struct grp_slot *s = &g->slots[g->nr_slots++];

		s->worker = g->nr_workers;
		s->instance = i;
		s->pidfd = -1;
		s->lifeline = -1;
		s->state = KIPC_MEMBER_STARTING;
	}
	g->nr_workers++;
	return 0;
}

KIPC_API int kipc_group_connect(struct kipc_group *g, const char *worker,
				const char *channel, unsigned int dir)
{
	int w, c, sv;

	if (!g || !worker || !channel || dir > KIPC_GROUP_SERVE || g->started)
		return -EINVAL;
	w = find_worker(g, worker);
	c = find_chan(g, channel);
	sv = find_svc(g, channel);
	if (w < 0 || (c < 0 && sv < 0))
		return -ENOENT;
	/* A service is served, a channel is read or written. */
	if ((sv >= 0) != (dir == KIPC_GROUP_SERVE))
		return -EINVAL;
	if (sv >= 0) {
		if (g->workers[w].serve & (1U << sv))
			return -EEXIST;
		g->workers[w].serve |= 1U << sv;
		return 0;
	}
	/* One end of a channel per worker: its fd is named after the channel. */
	if ((g->workers[w].in | g->workers[w].out) & (1U << c))
		return -EEXIST;
	if (dir == KIPC_GROUP_IN)
		g->workers[w].in |= 1U << c;
	else
		g->workers[w].out |= 1U << c;
	return 0;
}

KIPC_API int kipc_group_set_notify(struct kipc_group *g,
				   kipc_group_notify_fn fn, void *arg)
{
	if (!g)
		return -EINVAL;
	g->notify = fn;
	g->notify_arg = arg;
	return 0;
}

/* The regions a worker needs a handle of: those of its channels. */
static uint32_t worker_regions(const struct kipc_group *g,
			       const struct grp_worker *w)
{
	uint32_t mask = 0;
	unsigned int c;

	for (c = 0; c < g->nr_chans; c++)
		if ((w->in | w->out) & (1U << c) && g->chans[c].region >= 0)
			mask |= 1U << g->chans[c].region;
	return mask;
}

/* The variables the supervisor sets in a worker's environment. */
static const char *const env_ours[] = {
	"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "KIPC_GROUP",
	"KIPC_GROUP_WORKER", "KIPC_GROUP_INSTANCE", "KIPC_GROUP_SLOT",
};
#define NR_ENV_OURS	(sizeof(env_ours) / sizeof(env_ours[0]))
#define PID_DIGITS	11		/* LISTEN_PID's room */

/*
 * What a worker's child needs, built before fork(): after it, in a
 * supervisor that may have threads, the child makes only system calls
 * (a lock another thread held at the fork, such as setenv()'s, would
 * never be released in the child).
 */
struct slot_exec {
	int fds[KGRP_MAX_FDS];		/* objects, lifeline: fds 3.. */
	unsigned int nr_fds;		/* the objects: LISTEN_FDS */
	int lifeline;			/* its write end */
	char **envp;			/* environ without ours, then ours */
	char *vars;			/* ours, envp points into it */
	char *pid;			/* LISTEN_PID's digits: the child's */
};

static int env_is_ours(const char *var)
{
	unsigned int i;
	size_t n;

	for (i = 0; i < NR_ENV_OURS; i++) {
		n = strlen(env_ours[i]);
		if (!strncmp(var, env_ours[i], n) && var[n] == '=')
			return 1;
	}
	return 0;
}

/* Append one variable at *@p (the room was counted) and step over it. */
static char *env_add(char **p, const char *fmt, ...)
{
	char *var = *p;
	va_list ap;

	va_start(ap, fmt);
	*p += vsprintf(var, fmt, ap) + 1;
	va_end(ap);
	return var;
}

/* Frees @x, and closes the lifeline's write end unless taken (-1). */
static void slot_exec_free(struct slot_exec *x)
{
	close(x->fds[x->nr_fds]);
	if (x->lifeline >= 0)
		close(x->lifeline);
	free(x->envp);
	free(x->vars);
}

/* Slot @s's fds, lifeline and environment into @x; -ENOMEM, -EMFILE. */
static int slot_exec_prepare(const struct kipc_group *g, unsigned int s,
			     struct slot_exec *x)
{
	const struct grp_slot *sl = &g->slots[s];
	const struct grp_worker *w = &g->workers[sl->worker];
	char names[(KIPC_GROUP_NAME_MAX + 2) * KGRP_MAX_FDS];
	uint32_t regions = worker_regions(g, w);
	unsigned int i, n = 0, k = 0;
	int lifeline[2];
	char *p;

	names[0] = 0;
	x->fds[n++] = kipc_region_fd(g->ctl_r);
	strcat(names, KGRP_CTL_NAME);
	x->fds[n++] = kipc_region_fd(sl->sh_r);
	strcat(names, ":" KGRP_SLOT_NAME);
	for (i = 0; i < g->nr_regions; i++)
		if (regions & (1U << i)) {
			x->fds[n++] = kipc_region_fd(sl->h[i]);
			strcat(names, ":");
			strcat(names, g->regions[i].name);
		}
	for (i = 0; i < g->nr_chans; i++) {
		if (w->in & (1U << i))
			x->fds[n++] = kipc_channel_fd(g->chans[i].rx);
		else if (w->out & (1U << i))
			x->fds[n++] = kipc_channel_fd(g->chans[i].tx);
		else
			continue;
		strcat(names, ":");
		strcat(names, g->chans[i].name);
	}
	for (i = 0; i < g->nr_svcs; i++)
		if (w->serve & (1U << i)) {
			x->fds[n++] = kipc_service_fd(g->svcs[i].svc);
			strcat(names, ":");
			strcat(names, g->svcs[i].name);
		}
	x->nr_fds = n;

	for (n = 0; environ && environ[n]; n++)
		;
	x->envp = calloc(n + NR_ENV_OURS + 1, sizeof(*x->envp));
	/* Names, values and '=' of ours: the numbers fit in 12 bytes. */
	x->vars = malloc(sizeof(names) + 2 * sizeof(g->name) + 4 * 12 +
			 PID_DIGITS + NR_ENV_OURS * 24);
	if (!x->envp || !x->vars || pipe2(lifeline, O_CLOEXEC)) {
		free(x->envp);
		free(x->vars);
		return -errno;
	}
	x->fds[x->nr_fds] = lifeline[0];
	x->lifeline = lifeline[1];
	for (i = 0; i < n; i++)
		if (!env_is_ours(environ[i]))
			x->envp[k++] = environ[i];
	p = x->vars;
	x->envp[k++] = env_add(&p, "LISTEN_FDS=%u", x->nr_fds);
	x->envp[k] = env_add(&p, "LISTEN_PID=%*s", PID_DIGITS, "");
	x->pid = x->envp[k++] + strlen("LISTEN_PID=");
	x->envp[k++] = env_add(&p, "LISTEN_FDNAMES=%s", names);
	x->envp[k++] = env_add(&p, "KIPC_GROUP=%s", g->name);
	x->envp[k++] = env_add(&p, "KIPC_GROUP_WORKER=%s", w->name);
	x->envp[k++] = env_add(&p, "KIPC_GROUP_INSTANCE=%u", sl->instance);
	x->envp[k++] = env_add(&p, "KIPC_GROUP_SLOT=%u", s);
	return 0;
}

/* @v in decimal at @s (PID_DIGITS at most), without the C library. */
static void dec_put(char *s, unsigned int v)
{
	char d[PID_DIGITS];
	int n = 0;

	do {
		d[n++] = '0' + v % 10;
		v /= 10;
	} while (v && n < PID_DIGITS);
	while (n)
		*s++ = d[--n];
	*s = 0;
}

/* In the child: exec of @prog failed with @err; system calls only. */
static void __attribute__((noreturn))
exec_failed(const struct kipc_group *g, const char *prog, int err)
{
	char num[PID_DIGITS + 1];
	struct iovec iov[] = {
		{ "kipc group ", 11 }, { (char *)g->name, strlen(g->name) },
		{ ": ", 2 }, { (char *)prog, strlen(prog) },
		{ ": exec failed, errno ", 21 }, { num, 0 }, { "\n", 1 },
	};

	dec_put(num, err);
	iov[5].iov_len = strlen(num);
	/* Nothing else to tell if even this fails. */
	if (writev(STDERR_FILENO, iov, sizeof(iov) / sizeof(iov[0])) < 0)
		_exit(127);
	_exit(127);
}

/* The fd named by /proc/self/fd entry @name, or -1 ("." and ".."). */
static int fd_of_name(const char *name)
{
	int fd = 0;

	if (!*name)
		return -1;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || fd > (INT_MAX - 9) / 10)
			return -1;
		fd = fd * 10 + *name - '0';
	}
	return fd;
}

/* In the child: close the fds from @from on that /proc lists; 0 or -1. */
static int fds_close_listed(int from)
{
	char buf[2048];
	struct dirent64 *d;
	long len, off;
	int dir, fd;

	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	/* Closing fds already listed moves none that are still to come. */
	while ((len = getdents64(dir, buf, sizeof(buf))) > 0)
		for (off = 0; off < len; off += d->d_reclen) {
			d = (struct dirent64 *)(buf + off);
			fd = fd_of_name(d->d_name);
			if (fd >= from && fd != dir)
				close(fd);
		}
	close(dir);
	return len < 0 ? -1 : 0;
}

/*
 * In the child: close every fd from @from on, which the worker must not
 * hold (the supervisor's channel ends, other slots' handles). Before
 * Linux 5.9, or under a seccomp filter that refuses it, close_range()
 * fails: then the fds /proc lists, or without /proc every number below
 * the hard RLIMIT_NOFILE (a soft limit lowered after an open leaves fds
 * above it). System calls only; a worker that cannot shed them dies.
 */
static void fds_close_from(int from)
{
	struct rlimit rl;
	rlim_t fd;

	if (!syscall(SYS_close_range, from, ~0U, 0) || !fds_close_listed(from))
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		_exit(127);
	for (fd = from; fd < rl.rlim_max; fd++)
		close(fd);
}

/*
 * In the child: SIGTERM when the supervisor's process is gone. That is
 * PR_SET_PDEATHSIG's job, but the kernel clears it when the worker's
 * credentials change (a set-id exec, a worker that drops root). The
 * lifeline is a pipe whose write end only the supervisor holds (our
 * copy is closed below): when its last holder closes it, the kernel
 * signals the owner of the read end (O_ASYNC, F_SETSIG), across exec and
 * credential changes, if the credentials that F_SETOWN records (the
 * supervisor's) may signal the worker as it is then: when they are
 * root's, or their real or effective uid is the worker's real or saved
 * uid.
 */
static int lifeline_arm(int fd)
{
	if (fcntl(fd, F_SETSIG, SIGTERM) || fcntl(fd, F_SETOWN, getpid()) ||
	    fcntl(fd, F_SETFL, O_ASYNC))
		return -1;
	return 0;
}

/*
 * In the child: the objects onto fds 3.., the lifeline after them, every
 * other fd closed, the environment that describes them, then the worker.
 * Never returns.
 */
static void __attribute__((noreturn))
child_run(struct kipc_group *g, unsigned int s, pid_t parent,
	  struct slot_exec *x)
{
	const struct grp_worker *w = &g->workers[g->slots[s].worker];
	struct kipc_group_worker *gw;
	unsigned int i, n = x->nr_fds + 1;	/* with the lifeline */
	sigset_t all;
	int ret;

	/*
	 * The supervisor gone, workers drain (SIGTERM): see groups.rst.
	 * This holds until the worker's credentials change; the lifeline
	 * (below) also after that.
	 */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	/*
	 * A process group of its own: a terminal's SIGINT and SIGHUP reach
	 * the supervisor, which drains the workers; one that came before
	 * this (blocked, so pending) is discarded by SIG_IGN below.
	 */
	setpgid(0, 0);
	sigemptyset(&all);
	for (i = 1; i < NSIG; i++) {
		if (i == SIGKILL || i == SIGSTOP)
			continue;
		if (i == SIGINT || i == SIGHUP || i == SIGQUIT)
			signal(i, SIG_IGN);
		signal(i, SIG_DFL);
	}
	sigprocmask(SIG_SETMASK, &all, NULL);

	/* Above the targets first, so that no dup2() overwrites a source. */
	for (i = 0; i < n; i++) {
		x->fds[i] = fcntl(x->fds[i], F_DUPFD_CLOEXEC, 3 + n);
		if (x->fds[i] < 0)
			_exit(127);
	}
	for (i = 0; i < n; i++)
		if (dup2(x->fds[i], 3 + i) < 0)
			_exit(127);
	if (lifeline_arm(3 + x->nr_fds))
		_exit(127);
	fds_close_from(3 + n);
	dec_put(x->pid, getpid());

	if (w->argv) {
		execvpe(w->argv[0], w->argv, x->envp);
		exec_failed(g, w->argv[0], errno);
	}
	environ = x->envp;
	kipc__grp_worker_forked();
	ret = kipc_group_worker_open(&gw);
	if (ret < 0) {
		fprintf(stderr, "kipc group %s: worker %s: %s\n", g->name,
			w->name, strerror(-ret));
		_exit(127);
	}
	ret = w->attr.fn(gw, w->attr.arg);
	kipc_group_worker_close(gw);
	fflush(NULL);
	_exit(ret & 0xff);
}

/*
 * Is the process of @pidfd our child? Ours, reaped before pidfd_open()
 * (SIGCHLD ignored), leaves its number free for any process: waitid() on
 * that one is ECHILD. A kernel without P_PIDFD (5.3) cannot tell: EINVAL.
 */
static int pidfd_is_child(int pidfd)
{
	siginfo_t si;

	return !waitid(P_PIDFD, pidfd, &si, WEXITED | WNOHANG | WNOWAIT) ||
	       errno != ECHILD;
}

/* The exit status of a worker reaped by someone else: a failure. */
#define KGRP_STATUS_UNKNOWN	255

static void slot_start(struct kipc_group *g, unsigned int s)
{
	struct grp_slot *sl = &g->slots[s];
	struct epoll_event ev = { .events = EPOLLIN };
	pid_t parent = getpid(), pid = 0;
	struct slot_exec x = { .lifeline = -1 };
	sigset_t all, mask;
	char nm[48];
	int err;

	/* Before the child can look: a stop left from the last run is not its. */
	kgrp_store(&sl->sh->stop, 0);
	/* It runs what is there now: a reload asked for before is done. */
	sl->reload_gen = g->reload_gen;
	err = slot_exec_prepare(g, s, &x);
	if (!err) {
		/*
		 * A function worker would write what stdio holds again at
		 * its end; an exec throws it away, and the flush, which
		 * takes every stream's lock, would wait for a thread that
		 * holds one (blocked in fgets(), say).
		 */
		if (!g->workers[sl->worker].argv)
			fflush(NULL);
		/*
		 * Every signal blocked across the fork, as posix_spawn()
		 * does: until child_run() has reset the dispositions, a
		 * signal would run the supervisor's handler in the child.
		 */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &mask);
		pid = fork();
		if (pid == 0)
			child_run(g, s, parent, &x);
		err = pid < 0 ? -errno : 0;
		pthread_sigmask(SIG_SETMASK, &mask, NULL);
		if (!err) {
			sl->lifeline = x.lifeline;
			x.lifeline = -1;
		}
		slot_exec_free(&x);
	}
	if (err) {
		sl->start_at = kipc__now_ns() + KGRP_RETRY_NS; /* try again */
		notify(g, s, 0, "%s: fork: %s", slot_name(g, s, nm, sizeof(nm)),
		       strerror(-err));
		return;
	}
	sl->pid = pid;
	sl->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (sl->pidfd >= 0 && !pidfd_is_child(sl->pidfd)) {
		close(sl->pidfd);
		sl->pidfd = -1;
		errno = ESRCH;
	}
	if (sl->pidfd < 0 && errno == ESRCH) {
		/*
		 * Exited and reaped already, not by us (SIGCHLD ignored, a
		 * waitpid(-1) elsewhere): its number may be another
		 * process's by now (a pidfd, then, not of our child), so no
		 * kill(). It ran and is gone, its status unknown:
		 * slot_reap() says so at once, from the timers, where a
		 * transition is taken whole (not here, in the middle of
		 * kipc_group_start()'s or the timers' loop), and without a
		 * waitid() on a number that is not its.
		 */
		sl->state = KIPC_MEMBER_RUNNING;
		sl->planned = sl->termed = 0;
		sl->started = sl->beat_at = sl->reap_at = kipc__now_ns();
		sl->last_beat = kgrp_load(&sl->sh->beat);
		return;
	}
	ev.data.u64 = s;
	if (sl->pidfd < 0 || epoll_ctl(g->epfd, EPOLL_CTL_ADD, sl->pidfd, &ev)) {
		/* Cannot watch it: it must not run unwatched. */
		err = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (sl->pidfd >= 0)
			close(sl->pidfd);
		close(sl->lifeline);
		sl->lifeline = -1;
		sl->pidfd = -1;
		sl->pid = 0;
		sl->start_at = kipc__now_ns() + KGRP_RETRY_NS;
		notify(g, s, 0, "%s: cannot watch it: %s",
		       slot_name(g, s, nm, sizeof(nm)), strerror(err));
		return;
	}
	sl->state = KIPC_MEMBER_RUNNING;
	sl->planned = sl->termed = 0;
	sl->started = sl->beat_at = kipc__now_ns();
	sl->last_beat = kgrp_load(&sl->sh->beat);
	notify(g, s, 0, "%s started, pid %d", slot_name(g, s, nm, sizeof(nm)),
	       (int)pid);
}

/*
 * Signal a slot's process through its pidfd: a pid may be another
 * process's once the slot's is reaped (by us, or by the kernel with
 * SIGCHLD ignored); a pidfd names that process only. No pidfd: no process.
 * Then the rest of its process group (child_run()'s setpgid()): what the
 * worker started would outlive it, holding its slot, its channels' ends
 * and a lease the replacement shares. While the worker is our child, not
 * reaped, its number is nobody else's, as a pid or as a group's id; a
 * worker that left its group, or has not made it yet, is signalled alone.
 */
static void slot_kill(const struct grp_slot *sl, int sig)
{
	if (sl->pidfd < 0)
		return;
	/* Once: the group holds the worker, which must not get it twice. */
	if (pidfd_is_child(sl->pidfd) && getpgid(sl->pid) == sl->pid &&
	    !kill(-sl->pid, sig))
		return;
	syscall(SYS_pidfd_send_signal, sl->pidfd, sig, NULL, 0);
}

/* Ask a running slot to stop: SIGTERM now, SIGKILL after the timeout. */
static void slot_term(struct kipc_group *g, unsigned int s, int sig)
{
	struct grp_slot *sl = &g->slots[s];

	if ((sl->state != KIPC_MEMBER_RUNNING &&
	     sl->state != KIPC_MEMBER_STOPPING) || sl->pid <= 0)
		return;
	kgrp_store(&sl->sh->stop, 1);
	kipc_wake(sl->sh_r, offsetof(struct kgrp_slot, stop),
		  INT32_MAX, KIPC_BITSET_ANY);
	if (sig == SIGTERM)
		sl->termed = 1;
	if (sl->state == KIPC_MEMBER_RUNNING) {
		sl->state = KIPC_MEMBER_STOPPING;
		sl->kill_at = sig == SIGKILL ? 0 :
			kipc__now_ns() + g->attr.drain_timeout_ms * 1000000ULL;
	}
	slot_kill(sl, sig);
}

/*
 * Will slot @o receive again: not ended for good, not being stopped for
 * good (a failed group's, a timed-out drain's, a stop that no start
 * follows: kipc_group_recv() returns at once once asked to stop)?
 */
static int slot_reads_on(const struct kipc_group *g, unsigned int o)
{
	const struct grp_slot *sl = &g->slots[o];

	if (g->state == KIPC_GROUP_FAILED ||
	    (g->state == KIPC_GROUP_DRAINING && !g->drain_at))
		return 0;
	return sl->state != KIPC_MEMBER_EXITED &&
	       (sl->state != KIPC_MEMBER_STOPPING || sl->planned);
}

/* Will slot @o receive from channel @c again? */
static int slot_reads_chan(const struct kipc_group *g, unsigned int o,
			   unsigned int c)
{
	return slot_reads_on(g, o) &&
	       g->workers[g->slots[o].worker].in & (1U << c);
}

/* Does a slot other than @s that will receive again read channel @c? */
static int chan_receivers_left(const struct kipc_group *g, unsigned int c,
			       unsigned int s)
{
	unsigned int o;

	for (o = 0; o < g->nr_slots; o++)
		if (o != s && slot_reads_chan(g, o, c))
			return 1;
	return 0;
}

/* Is a message queued on channel @c (while our send end is open)? */
static int chan_queued(const struct kipc_group *g, unsigned int c)
{
	struct pollfd p = {
		.fd = kipc_channel_fd(g->chans[c].rx), .events = POLLIN,
	};

	return poll(&p, 1, 0) == 1;
}

/*
 * Does a slot other than @s that will receive again hold a message of
 * channel @c (or forward one)? Should it end for good, slot_hand_on()
 * sends it on to its output, or back on @c.
 */
static int chan_held(const struct kipc_group *g, unsigned int c,
		     unsigned int s)
{
	const struct kgrp_slot *sh;
	unsigned int o;
	uint32_t lease;

	for (o = 0; o < g->nr_slots; o++) {
		sh = g->slots[o].sh;
		if (o == s || !sh || !slot_reads_chan(g, o, c) ||
		    kgrp_load(&sh->lease_chan) != c)
			continue;
		lease = kgrp_lease_now(sh, NULL);
		if (lease == KGRP_LEASE_HELD || lease == KGRP_LEASE_FORWARDING)
			return 1;
	}
	return 0;
}

/*
 * Send a leased message on channel @c, never waiting: 1 or -errno. @bufs
 * is the lease's copy, read once: the kernel writes back into it.
 */
static int handon_send(struct kipc_group *g, unsigned int c, void *data,
		       uint32_t len, const struct kipc_buf_ref *bufs,
		       uint32_t nb, uint64_t seq, struct kipc_region *owner)
{
	struct kipc_buf_ref refs[KIPC_GROUP_BUFS_MAX];
	struct pollfd p = {
		.fd = kipc_channel_fd(g->chans[c].tx), .events = POLLOUT,
	};
	struct kipc_msg m;
	int ret;

	/* No room: no send, which would say "queue full" on every retry. */
	if (!poll(&p, 1, 0))
		return -EAGAIN;
	memcpy(refs, bufs, sizeof(refs));
	kipc_msg_init(&m, data, len, refs, nb, seq);
	ret = kipc_channel_send(g->chans[c].tx, &m, 1, KIPC_IO_NONBLOCK, NULL,
				owner);
	if (ret != -ENOBUFS)
		return ret;
	/*
	 * The cap on bytes in flight (per user, all channels): room comes
	 * as this queue's receivers take what it holds; an empty queue
	 * frees nothing for it to wait for.
	 */
	return chan_queued(g, c) ? -EAGAIN : ret;
}

/* Has the slot's handle @owner let go of every buffer: did its send go? */
static int handon_bufs_gone(struct kipc_region *owner)
{
	struct kipc_region_status st;

	return owner && !kipc_region_info(owner, &st) && !st.nr_owned;
}

/*
 * Did the forward of a lease that cannot go any more go before its slot
 * ended? Then its first buffer (@offset) is not the handle's: in flight,
 * another handle's (-EPERM) or free again (-EALREADY). One that still is
 * the handle's is released by the question, as it would be anyway: the
 * answer is final. It holds where handon_bufs_gone() cannot tell: the
 * handle also owns buffers the worker took and never sent.
 */
static int handon_forward_went(struct kipc_region *owner, uint64_t offset)
{
	int ret = owner ? kipc_buf_release(owner, offset) : 0;

	return ret == -EPERM || ret == -EALREADY;
}

/*
 * Slot @s has ended for good: no replacement will read its lease (group.h).
 * What it held goes on from here, with its sequence number and buffers
 * (the slot's handle, which we share, owns them): a forward it began, to
 * where it was going; a message it held (or that the kernel delivered
 * into the slot as it died), and a forward that cannot go (its channel
 * gone, closed or with no receiver left, the kernel refusing it), back on
 * the channel it came from, for another instance. A forward whose buffers
 * the slot's handle no longer owns went already (-EPERM from the send, or
 * none owned). Never waiting: on a full queue (or bytes in flight at
 * their cap) the lease waits (@handon, its channels kept open for it,
 * handons_run() trying again each tick). A message that cannot go is
 * reported lost: its channel closed for its end of stream (every sender
 * ended), no slot left to receive it, or a lease naming a channel its
 * worker has no end of (the slot is the worker's to write: we read
 * nothing there on trust). Returns 1 once done, 0 while it waits.
 */
static int slot_hand_on(struct kipc_group *g, unsigned int s)
{
	struct grp_slot *sl = &g->slots[s];
	const struct grp_worker *w = &g->workers[sl->worker];
	struct kipc_buf_ref bufs[KIPC_GROUP_BUFS_MAX];
	struct kgrp_slot *sh = sl->sh;
	struct kipc_region *owner = NULL;
	uint32_t lease, from, out, to, nb, len, out_len;
	const char *how = "handed on to";
	uint64_t seq;
	char nm[48];
	int ret;

	lease = kgrp_lease_now(sh, &seq);
	if (lease != KGRP_LEASE_HELD && lease != KGRP_LEASE_FORWARDING)
		goto out;
	/* Read once: the slot is the worker's (and its orphans') to write. */
	from = kgrp_load(&sh->lease_chan);
	out = kgrp_load(&sh->lease_out);
	nb = kgrp_load(&sh->msg.nr_bufs);
	len = kgrp_load(&sh->msg.data_len);
	out_len = kgrp_load(&sh->out_len);
	memcpy(bufs, sh->bufs, sizeof(bufs));
	ret = -EPROTO;
	if (from >= g->nr_chans || !(w->in & (1U << from)) ||
	    len > KIPC_GROUP_INLINE_MAX || nb > KIPC_GROUP_BUFS_MAX ||
	    (lease == KGRP_LEASE_FORWARDING &&
	     (out >= g->nr_chans || !(w->out & (1U << out)) ||
	      out_len > KIPC_GROUP_INLINE_MAX)))
		goto lost;
	if (g->chans[from].region >= 0)
		owner = sl->h[g->chans[from].region];
	if (lease == KGRP_LEASE_FORWARDING && nb && handon_bufs_gone(owner))
		goto went_before;
	if (lease == KGRP_LEASE_FORWARDING && !sl->handon_back) {
		to = out;
		ret = -EPIPE;
		if (g->chans[to].tx && chan_receivers_left(g, to, s))
			ret = handon_send(g, to, sh->out, out_len, bufs, nb,
					  seq, owner);
		if (ret == -EAGAIN)
			return 0;
		if (ret == 1)
			goto handed_on;
		if (ret == -EPERM)
			goto went_before;
		/* It cannot go: the message as it came, back on its input. */
		sl->handon_back = 1;
	}
	to = from;
	ret = -EPIPE;
	if (g->chans[from].tx && chan_receivers_left(g, from, s))
		ret = handon_send(g, from, sh->data, len, bufs, nb, seq,
				  owner);
	if (ret == -EAGAIN)
		return 0;
	if (ret == 1)
		goto handed_on;
	if (lease == KGRP_LEASE_FORWARDING && nb &&
	    handon_forward_went(owner, bufs[0].offset))
		goto went_before;
	goto lost;
went_before:
	how = "forwarded before it ended, to";
	to = out;
handed_on:
	notify(g, s, 0, "%s: its message seq %llu %s %s",
	       slot_name(g, s, nm, sizeof(nm)), (unsigned long long)seq, how,
	       g->chans[to].name);
	sl->handed_on++;
	goto out;
lost:
	notify(g, s, 0, "%s: its message seq %llu lost: %s",
	       slot_name(g, s, nm, sizeof(nm)), (unsigned long long)seq,
	       strerror(ret < 0 ? -ret : EIO));
	sl->lost++;
out:
	kgrp_store(&sh->lease, KGRP_LEASE_NONE);
	kipc__grp_release_strays(sl->h);
	return 1;
}

/*
 * Slot @s has ended for good. Its lease is handed on by handons_run(),
 * once every change of the pass is made: whether any slot is left to
 * receive it is known only then (its last receiver may end in the same
 * pass, after it). Until then the channels it may go to stay open.
 */
static void slot_done(struct kipc_group *g, unsigned int s)
{
	struct grp_slot *sl = &g->slots[s];
	uint32_t lease, from, out;

	sl->state = KIPC_MEMBER_EXITED;
	if (!sl->sh)
		return;		/* never started */
	sl->handon = 1;
	sl->handon_back = 0;
	sl->handon_chans = 0;
	lease = kgrp_load(&sl->sh->lease);
	from = kgrp_load(&sl->sh->lease_chan);
	out = kgrp_load(&sl->sh->lease_out);
	if (lease == KGRP_LEASE_NONE || from >= g->nr_chans)
		return;
	sl->handon_chans = 1U << from;
	if (lease == KGRP_LEASE_FORWARDING && out < g->nr_chans)
		sl->handon_chans |= 1U << out;
}

/* Has every sender of channel @c ended for good? */
static int chan_senders_done(const struct kipc_group *g, unsigned int c)
{
	unsigned int s, n = 0;

	for (s = 0; s < g->nr_slots; s++) {
		/* Kept open for a lease to hand on (slot_done()). */
		if (g->slots[s].handon && g->slots[s].handon_chans & (1U << c))
			return 0;
		if (!(g->workers[g->slots[s].worker].out & (1U << c)))
			continue;
		n++;
		if (g->slots[s].state != KIPC_MEMBER_EXITED)
			return 0;
	}
	return n > 0;
}

/*
 * Has every input of slot @s's worker ended: is it a consumer whose
 * senders all ended for good (the queue closed for it to see its end, or
 * to be closed once its receivers are done: close_finished_chans()), and
 * of which no other receiver holds a message that may come back?
 */
static int inputs_ended(const struct kipc_group *g, unsigned int s)
{
	const struct grp_worker *w = &g->workers[g->slots[s].worker];
	unsigned int c;

	for (c = 0; c < g->nr_chans; c++)
		if (w->in & (1U << c) && g->chans[c].tx &&
		    (!chan_senders_done(g, c) || chan_held(g, c, s)))
			return 0;
	return w->in != 0;
}

/*
 * Has channel @c work left for a receiver that will receive again (*@live
 * says whether there is one): messages queued for it, or one it holds?
 * Its end of stream waits for them.
 */
static int chan_work_left(const struct kipc_group *g, unsigned int c,
			  int *live)
{
	int queued = chan_queued(g, c);
	unsigned int o;

	*live = 0;
	for (o = 0; o < g->nr_slots; o++)
		if (slot_reads_chan(g, o, c))
			*live = 1;
	return *live && (queued || chan_held(g, c, UINT_MAX));
}

/*
 * Close our send ends that no worker will use again: end of stream, once
 * the receivers are done with what was sent, as seen at @now (the time of
 * timers_run()'s pass). Returns when to look again (UINT64_MAX: no need):
 * a channel seen unused is closed by a second look KGRP_CLOSE_NS after
 * the first; one in use is looked at every KGRP_CLOSE_NS, every
 * KGRP_RETRY_NS once one waited a second (a receiver that never reads
 * need not wake us often).
 */
static uint64_t close_finished_chans(struct kipc_group *g, uint64_t now)
{
	uint64_t at = UINT64_MAX, tick;
	struct grp_chan *ch;
	unsigned int c;
	int live, busy = 0;

	for (c = 0; c < g->nr_chans; c++) {
		ch = &g->chans[c];
		if (!ch->tx)
			continue;
		if (!chan_senders_done(g, c)) {
			ch->idle_at = 0;	/* a first look is to come */
			continue;
		}
		if (chan_work_left(g, c, &live)) {
			ch->idle_at = 0;
			busy = 1;
			continue;
		}
		/*
		 * A receiver inside its receive call may have taken the last
		 * message and not yet written it into its slot: seen nowhere.
		 * Closed when a look KGRP_CLOSE_NS later finds nothing either.
		 */
		if (live && !ch->idle_at)
			ch->idle_at = kipc__now_ns();	/* this look's time */
		if (live && now < ch->idle_at + KGRP_CLOSE_NS) {
			if (ch->idle_at + KGRP_CLOSE_NS < at)
				at = ch->idle_at + KGRP_CLOSE_NS;
			continue;
		}
		kipc_channel_close(ch->tx);
		ch->tx = NULL;
	}
	if (busy && !g->close_wait)
		g->close_since = now;
	g->close_wait = busy;
	if (busy) {
		tick = now - g->close_since < 1000000000ULL ? KGRP_CLOSE_NS :
							      KGRP_RETRY_NS;
		if (now + tick < at)
			at = now + tick;
	}
	return at;
}

/*
 * The leases of slots that ended for good: handed on, or waiting for room;
 * then the ends of stream that follow. Returns when to look again at
 * those (close_finished_chans()).
 */
static uint64_t handons_run(struct kipc_group *g, uint64_t now)
{
	unsigned int s;

	for (s = 0; s < g->nr_slots; s++)
		if (g->slots[s].handon && slot_hand_on(g, s))
			g->slots[s].handon = 0;
	/*
	 * After the pass too: which senders ended for good, and what a
	 * waiting hand-on keeps open, is known only then.
	 */
	return close_finished_chans(g, now);
}

static void group_fail(struct kipc_group *g, const char *fmt, ...)
{
	unsigned int s;
	va_list ap;

	if (g->state == KIPC_GROUP_FAILED)
		return;
	va_start(ap, fmt);
	vsnprintf(g->report, sizeof(g->report), fmt, ap);
	va_end(ap);
	g->state = KIPC_GROUP_FAILED;
	kgrp_store(&g->ctl->state, g->state);
	g->status = 1;
	notify(g, -1, 0, "group %s failed: %s", g->name, g->report);
	g->drain_at = kipc__now_ns() + g->attr.drain_timeout_ms * 1000000ULL;
	for (s = 0; s < g->nr_slots; s++) {
		if (g->slots[s].state == KIPC_MEMBER_STARTING)
			slot_done(g, s);
		slot_term(g, s, SIGTERM);
	}
}

/* Count a restart against the intensity; 0, or -1 when it is exceeded. */
static int intensity_check(struct kipc_group *g)
{
	uint64_t now = kipc__now_ns(), period = g->attr.period_ms * 1000000ULL;
	unsigned int i, n = 0, cap = sizeof(g->restart_times) /
				     sizeof(g->restart_times[0]);

	g->restart_times[g->nr_restart_times++ % cap] = now;
	for (i = 0; i < cap && i < g->nr_restart_times; i++)
		if (now - g->restart_times[i] <= period)
			n++;
	return n > g->attr.intensity ? -1 : 0;
}

static void slot_schedule(struct kipc_group *g, unsigned int s, int backoff)
{
	struct grp_slot *sl = &g->slots[s];
	uint64_t now = kipc__now_ns();

	if (!backoff) {
		sl->backoff_ms = 0;
	} else if (now - sl->started > 2000000000ULL ||
		   !sl->backoff_ms) {	/* it ran a while: start over */
		sl->backoff_ms = g->attr.backoff_min_ms;
	} else if (sl->backoff_ms >= g->attr.backoff_max_ms / 2) {
		sl->backoff_ms = g->attr.backoff_max_ms;	/* no doubling wraps */
	} else {
		sl->backoff_ms *= 2;
	}
	sl->state = KIPC_MEMBER_STARTING;
	sl->start_at = now + sl->backoff_ms * 1000000ULL;
	sl->restarts++;
}

static void status_text(int status, char *buf, size_t len)
{
	if (status >= 0)
		snprintf(buf, len, "exit status %d", status);
	else
		snprintf(buf, len, "killed by signal %d (%s)", -status,
			 strsignal(-status));
}

/* The restart a strategy asks for when slot @s ends. */
static void strategy_restart(struct kipc_group *g, unsigned int s)
{
	unsigned int o, from = 0, to = g->nr_slots;

	slot_schedule(g, s, 1);
	if (g->attr.strategy == KIPC_GROUP_ONE_FOR_ONE)
		return;
	if (g->attr.strategy == KIPC_GROUP_REST_FOR_ONE)
		from = g->workers[g->slots[s].worker].first_slot +
		       g->workers[g->slots[s].worker].attr.instances;
	for (o = from; o < to; o++) {
		if (o == s || g->slots[o].state == KIPC_MEMBER_EXITED)
			continue;
		if (g->slots[o].state == KIPC_MEMBER_RUNNING) {
			g->slots[o].planned = 1;
			slot_term(g, o, SIGTERM);
		}
	}
}

static void slot_exited(struct kipc_group *g, unsigned int s, int status)
{
	struct grp_slot *sl = &g->slots[s];
	const struct grp_worker *w = &g->workers[sl->worker];
	int failed = status != 0, restart;
	char nm[48], st[64];
	pid_t pid;

	/* ENOENT when it was held (slot_reap()): nothing to undo. */
	epoll_ctl(g->epfd, EPOLL_CTL_DEL, sl->pidfd, NULL);
	close(sl->pidfd);
	sl->pidfd = -1;
	close(sl->lifeline);
	sl->lifeline = -1;
	sl->reap_at = 0;
	sl->last_status = status;
	sl->kill_at = 0;
	status_text(status, st, sizeof(st));
	slot_name(g, s, nm, sizeof(nm));
	/* SIGTERM that we sent is how a stopped worker ends. */
	if (sl->termed && status == -SIGTERM)
		failed = 0;
	/* Reaped: its pid is no longer its own, even for notify's callback. */
	pid = sl->pid;
	sl->pid = 0;
	notify(g, s, status, "%s exited, pid %d: %s", nm, (int)pid, st);

	if (g->state == KIPC_GROUP_FAILED) {
		slot_done(g, s);
		return;
	}
	if (sl->planned && g->state == KIPC_GROUP_DRAINING) {
		/*
		 * Stopped for a restart (a reload's, a strategy's) when the
		 * drain came: a consumer is started again to drain its
		 * inputs, unless the drain timed out; a source is done.
		 */
		if (w->in && g->drain_at) {
			slot_schedule(g, s, 0);
			return;
		}
		slot_done(g, s);
		return;
	}
	if (sl->planned) {		/* a strategy's or a reload's restart */
		slot_schedule(g, s, 0);
		return;
	}
	switch (w->attr.restart) {
	case KIPC_RESTART_NEVER:
		restart = 0;
		break;
	case KIPC_RESTART_ALWAYS:
		/*
		 * Except a consumer that finished: its inputs ended (their
		 * senders did, no other receiver holds a message of them)
		 * and it exited 0. Started again, it would only see their
		 * end again, for ever; what it left queued stays for its
		 * channel's other receivers, if any.
		 */
		restart = failed || !inputs_ended(g, s);
		break;
	default:
		restart = failed;
	}
	/*
	 * Draining: a worker that stops is done; a crash is still redone,
	 * unless the drain timed out (drain_at 0): what its SIGKILL ended,
	 * never sent SIGTERM, must not run again.
	 */
	if (g->state == KIPC_GROUP_DRAINING &&
	    (!failed || sl->termed || !g->drain_at))
		restart = 0;
	if (!restart) {
		slot_done(g, s);
		if (failed && !g->status)
			g->status = status > 0 ? status : 128 - status;
		return;
	}
	if (intensity_check(g) < 0) {
		slot_done(g, s);
		group_fail(g, "%s ended (%s): more than %u restarts in %u ms",
			   nm, st, g->attr.intensity, g->attr.period_ms);
		return;
	}
	if (g->state == KIPC_GROUP_DRAINING)
		slot_schedule(g, s, 1);	/* finish its work; nobody else */
	else
		strategy_restart(g, s);
	notify(g, s, status, "%s restarting in %u ms (restart %u)", nm,
	       sl->backoff_ms, sl->restarts);
}

/*
 * waitid() on slot @sl's process: by its pidfd, or by its pid before
 * Linux 5.4, whose waitid() has no P_PIDFD (EINVAL). Its pid stays its
 * own until we reap it, unless someone else reaped it (SIGCHLD ignored,
 * a waitpid(-1) elsewhere) and the number went to a new child of ours.
 */
static int slot_waitid(const struct grp_slot *sl, siginfo_t *si, int options)
{
	memset(si, 0, sizeof(*si));
	if (!waitid(P_PIDFD, sl->pidfd, si, options))
		return 0;
	if (errno != EINVAL)
		return -errno;
	return waitid(P_PID, sl->pid, si, options) ? -errno : 0;
}

/*
 * Until @sl's process, sent SIGKILL, has ended (its pidfd readable), then
 * reap it unless a tracer holds its zombie: that one the tracer hands
 * back to this process when it lets go (kipc_group_create.3), and a wait
 * for it would wait for the tracer, a debugger at its prompt say.
 */
static void slot_wait_killed(const struct grp_slot *sl)
{
	struct pollfd p = { .fd = sl->pidfd, .events = POLLIN };
	siginfo_t si;

	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	slot_waitid(sl, &si, WEXITED | WNOHANG);
}

static void slot_reap(struct kipc_group *g, unsigned int s)
{
	struct grp_slot *sl = &g->slots[s];
	siginfo_t si;

	if (sl->pidfd < 0) {
		/* Reaped before it could be watched (slot_start()): no waitid. */
		slot_exited(g, s, KGRP_STATUS_UNKNOWN);
		return;
	}
	if (slot_waitid(sl, &si, WEXITED | WNOHANG) < 0) {
		/*
		 * Its pidfd is readable, so it has exited, but it is not ours
		 * to reap (SIGCHLD ignored, a waitpid(-1) elsewhere): gone,
		 * its status unknown. Kept, the pidfd would wake us for ever.
		 */
		slot_exited(g, s, KGRP_STATUS_UNKNOWN);
		return;
	}
	if (si.si_pid) {
		slot_exited(g, s, si.si_code == CLD_EXITED ? si.si_status :
				  -si.si_status);
		return;
	}
	/*
	 * Exited (its pidfd is readable) yet not to be reaped: a tracer
	 * holds the zombie until it has waited for it (ptrace(2)). Its
	 * pidfd would wake us for ever meanwhile: look again later.
	 */
	if (!sl->reap_at)
		epoll_ctl(g->epfd, EPOLL_CTL_DEL, sl->pidfd, NULL);
	sl->reap_at = kipc__now_ns() + KGRP_RETRY_NS;
}

static int group_done(const struct kipc_group *g)
{
	unsigned int s;

	for (s = 0; s < g->nr_slots; s++)
		if (g->slots[s].state != KIPC_MEMBER_EXITED ||
		    g->slots[s].handon)
			return 0;
	return 1;
}

static void group_stop(struct kipc_group *g)
{
	unsigned int s;

	if (g->state != KIPC_GROUP_RUNNING)
		return;
	g->state = KIPC_GROUP_DRAINING;
	kgrp_store(&g->ctl->state, g->state);
	g->reloading = 0;
	g->drain_at = kipc__now_ns() + g->attr.drain_timeout_ms * 1000000ULL;
	notify(g, -1, 0, "group %s draining (SIGKILL in %u ms)", g->name,
	       g->attr.drain_timeout_ms);
	/*
	 * Sources (no input) stop taking work; everyone else finishes what
	 * is queued and sees the end of its input once its senders ended.
	 */
	for (s = 0; s < g->nr_slots; s++) {
		struct grp_slot *sl = &g->slots[s];

		if (g->workers[sl->worker].in)
			continue;	/* started if waiting: it drains */
		if (sl->state == KIPC_MEMBER_STARTING)
			sl->state = KIPC_MEMBER_EXITED;
		else
			slot_term(g, s, SIGTERM);
	}
}

/*
 * Make the group's fd readable at once: a call from outside the loop
 * gave kipc_group_dispatch() work (a kill deadline to arm, a group that
 * ended), which a caller's loop would otherwise wait for in vain.
 */
static void dispatch_soon(struct kipc_group *g)
{
	struct itimerspec its = { .it_value.tv_nsec = 1 };

	timerfd_settime(g->timerfd, 0, &its, NULL);
}

KIPC_API int kipc_group_stop(struct kipc_group *g)
{
	if (!g || !g->started)
		return -EINVAL;
	group_stop(g);
	dispatch_soon(g);
	notify_flush(g);
	return 0;
}

/*
 * Rolling restart: one running slot after the other, each that started
 * before the last reload. A reload asked for during one extends it: the
 * slots it restarted already come again, not those started since (its
 * replacements, a restart after a crash), which run what is there now.
 */
static void reload_step(struct kipc_group *g)
{
	unsigned int s;

	if (!g->reloading || g->state != KIPC_GROUP_RUNNING)
		return;
	for (s = 0; s < g->nr_slots; s++)
		if (g->slots[s].state == KIPC_MEMBER_STOPPING ||
		    (g->slots[s].planned &&
		     g->slots[s].state == KIPC_MEMBER_STARTING))
			return;		/* one at a time */
	for (s = 0; s < g->nr_slots; s++)
		if (g->slots[s].state == KIPC_MEMBER_RUNNING &&
		    g->slots[s].reload_gen != g->reload_gen)
			break;
	if (s == g->nr_slots) {
		g->reloading = 0;
		notify(g, -1, 0, "group %s reloaded", g->name);
		return;
	}
	g->slots[s].planned = 1;
	slot_term(g, s, SIGTERM);
}

static int group_reload(struct kipc_group *g)
{
	if (g->state != KIPC_GROUP_RUNNING)
		return -EBUSY;
	g->reload_gen++;
	if (!g->reloading) {
		g->reloading = 1;
		notify(g, -1, 0, "group %s: rolling restart", g->name);
		reload_step(g);
	}
	return 0;
}

KIPC_API int kipc_group_reload(struct kipc_group *g)
{
	int ret;

	if (!g || !g->started)
		return -EINVAL;
	ret = group_reload(g);
	dispatch_soon(g);
	notify_flush(g);
	return ret;
}

/* Timers: held zombies, starts, watchdogs, kill deadlines, hand-ons; re-arm. */
static void timers_run(struct kipc_group *g)
{
	uint64_t now = kipc__now_ns(), next = UINT64_MAX, close_at;
	struct itimerspec its;
	unsigned int s;
	char nm[48];

	/* First: what reaping one does to the others is seen below. */
	for (s = 0; s < g->nr_slots; s++)
		if (g->slots[s].reap_at && g->slots[s].reap_at <= now)
			slot_reap(g, s);
	for (s = 0; s < g->nr_slots; s++) {
		struct grp_slot *sl = &g->slots[s];
		uint32_t wd = g->workers[sl->worker].attr.watchdog_ms, beat;

		if (sl->reap_at)	/* exited: nothing to watch or kill */
			continue;
		if (sl->state == KIPC_MEMBER_STARTING &&
		    (g->state == KIPC_GROUP_RUNNING ||
		     g->state == KIPC_GROUP_DRAINING)) {
			if (sl->start_at <= now)
				slot_start(g, s);
			/* Not started (a fork failed): it tries again later. */
			if (sl->state == KIPC_MEMBER_STARTING &&
			    sl->start_at < next)
				next = sl->start_at;
		}
		if (sl->state == KIPC_MEMBER_STOPPING && sl->kill_at) {
			if (sl->kill_at <= now) {
				notify(g, s, 0, "%s did not stop in %u ms: SIGKILL",
				       slot_name(g, s, nm, sizeof(nm)),
				       g->attr.drain_timeout_ms);
				sl->kill_at = 0;
				slot_kill(sl, SIGKILL);
			} else if (sl->kill_at < next) {
				next = sl->kill_at;
			}
		}
		if (sl->state != KIPC_MEMBER_RUNNING || !wd)
			continue;
		beat = kgrp_load(&sl->sh->beat);
		if (sl->beat_at > now) {
			/* Started in this pass: @now is older than its start. */
		} else if (beat != sl->last_beat) {
			sl->last_beat = beat;
			sl->beat_at = now;
		} else if (now - sl->beat_at >= wd * 1000000ULL) {
			notify(g, s, 0, "%s: watchdog: no beat for %u ms, SIGKILL",
			       slot_name(g, s, nm, sizeof(nm)), wd);
			slot_kill(sl, SIGKILL);	/* its exit restarts it */
			sl->beat_at = now;
			continue;
		}
		/* Look again a quarter of the watchdog from now. */
		if (sl->beat_at + wd * 1000000ULL < next)
			next = sl->beat_at + wd * 1000000ULL;
		if (now + wd * 250000ULL < next)
			next = now + wd * 250000ULL;
	}
	if (g->state == KIPC_GROUP_DRAINING && g->drain_at) {
		if (g->drain_at <= now) {
			notify(g, -1, 0, "group %s: drain timed out, SIGKILL",
			       g->name);
			for (s = 0; s < g->nr_slots; s++) {
				if (g->slots[s].state == KIPC_MEMBER_STARTING)
					slot_done(g, s);
				slot_kill(&g->slots[s], SIGKILL);
			}
			g->drain_at = 0;
			if (!g->status)
				g->status = 1;
		} else if (g->drain_at < next) {
			next = g->drain_at;
		}
	}
	/* Once every slot that ends in this pass (or the dispatch's) has. */
	close_at = handons_run(g, now);
	if (close_at < next)
		next = close_at;
	/*
	 * Reaps and hand-ons to come, after the pass: it sets some going
	 * itself once their slot was looked at (a start reaped at once, a
	 * hand-on waiting for room).
	 */
	for (s = 0; s < g->nr_slots; s++) {
		if (g->slots[s].reap_at && g->slots[s].reap_at < next)
			next = g->slots[s].reap_at;
		if (g->slots[s].handon && now + KGRP_RETRY_NS < next)
			next = now + KGRP_RETRY_NS;
	}
	memset(&its, 0, sizeof(its));
	if (next != UINT64_MAX) {
		if (next <= now)
			next = now + 1000;
		its.it_value.tv_sec = next / 1000000000ULL;
		its.it_value.tv_nsec = next % 1000000000ULL;
	}
	timerfd_settime(g->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/*
 * pidfds watch the workers (pidfd_open(), Linux 5.3): without them no
 * worker could run watched, and every start would be undone.
 */
static int pidfd_check(void)
{
	int fd = syscall(SYS_pidfd_open, getpid(), 0);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

KIPC_API int kipc_group_start(struct kipc_group *g)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int s, r;
	sigset_t set;
	int ret, err;

	if (!g || g->started || !g->nr_slots)
		return -EINVAL;
	ret = pidfd_check();
	if (ret < 0)
		return ret;
	/*
	 * Per slot: its own region (group.h), and a handle of every region
	 * its worker uses, the owner of the lease's buffers.
	 */
	for (s = 0; s < g->nr_slots; s++) {
		uint32_t need = worker_regions(g, &g->workers[g->slots[s].worker]);
		struct grp_slot *sl = &g->slots[s];

		if (!sl->sh_r) {
			ret = kipc_region_create(g->k, KGRP_SLOT_BYTES, 0, 0,
						 &sl->sh_r);
			if (ret < 0)
				return ret;
			sl->sh = kipc_region_base(sl->sh_r);
			/*
			 * Not into the function workers, forks of this
			 * process: each maps its own slot alone.
			 */
			if (madvise(sl->sh, KGRP_SLOT_BYTES, MADV_DONTFORK)) {
				ret = -errno;
				kipc_region_close(sl->sh_r);
				sl->sh_r = NULL;
				sl->sh = NULL;
				return ret;
			}
		}

		for (r = 0; r < g->nr_regions; r++) {
			if (!(need & (1U << r)) || sl->h[r])
				continue;	/* a retry keeps what it made */
			ret = kipc_region_attach(g->regions[r].r, KIPC_REGION_NOMAP,
						 &sl->h[r]);
			if (ret < 0)
				return ret;
		}
	}
	g->ctl->nr_slots = g->nr_slots;
	/*
	 * What a failure leaves is kept for a retry, or undone here: never
	 * signals left blocked, nor a second epoll registration.
	 */
	if (g->epfd < 0) {
		g->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (g->epfd < 0)
			return -errno;
	}
	if (g->timerfd < 0) {
		ret = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (ret < 0)
			return -errno;
		ev.data.u64 = EV_TIMER;
		if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, ret, &ev)) {
			err = errno;
			close(ret);
			return -err;
		}
		g->timerfd = ret;
	}
	if (g->attr.flags & KIPC_GROUP_SIGNALS && g->sigfd < 0) {
		static const int group_sigs[3] = { SIGTERM, SIGINT, SIGHUP };
		unsigned int i;
		sigset_t old;

		sigemptyset(&set);
		for (i = 0; i < 3; i++)
			sigaddset(&set, group_sigs[i]);
		sigprocmask(SIG_BLOCK, &set, &old);
		ret = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		ev.data.u64 = EV_SIGNAL;
		if (ret < 0 || epoll_ctl(g->epfd, EPOLL_CTL_ADD, ret, &ev)) {
			err = errno;
			if (ret >= 0)
				close(ret);
			sigprocmask(SIG_SETMASK, &old, NULL);
			return -err;
		}
		g->sigfd = ret;
		/* Of the three, those the program had not blocked itself. */
		sigemptyset(&g->blocked);
		for (i = 0; i < 3; i++)
			if (!sigismember(&old, group_sigs[i]))
				sigaddset(&g->blocked, group_sigs[i]);
	}
	g->started = 1;
	notify(g, -1, 0, "group %s starting: %u workers, %u channels",
	       g->name, g->nr_slots, g->nr_chans);
	for (s = 0; s < g->nr_slots; s++)
		slot_start(g, s);
	timers_run(g);
	notify_flush(g);
	return 0;
}

KIPC_API int kipc_group_fd(const struct kipc_group *g)
{
	return g && g->started ? g->epfd : -EINVAL;
}

static void signal_read(struct kipc_group *g)
{
	struct signalfd_siginfo si;

	while (read(g->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			group_reload(g);
		else
			group_stop(g);
	}
}

KIPC_API int kipc_group_dispatch(struct kipc_group *g)
{
	struct epoll_event evs[16];
	int i, n, done;

	if (!g || !g->started)
		return -EINVAL;
	n = epoll_wait(g->epfd, evs, 16, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		uint64_t d = evs[i].data.u64, v;

		if (d == EV_TIMER) {
			if (read(g->timerfd, &v, sizeof(v)) < 0)
				continue;
		} else if (d == EV_SIGNAL) {
			signal_read(g);
		} else if (d < g->nr_slots && g->slots[d].pidfd >= 0) {
			slot_reap(g, d);
		}
	}
	timers_run(g);
	if (g->reloading) {	/* the next once a replacement runs */
		reload_step(g);
		timers_run(g);
	}
	done = group_done(g);
	if (done) {
		if (g->state == KIPC_GROUP_RUNNING ||
		    g->state == KIPC_GROUP_DRAINING) {
			g->state = KIPC_GROUP_STOPPED;
			notify(g, -1, g->status, "group %s stopped: status %d",
			       g->name, g->status);
		}
		kgrp_store(&g->ctl->state, g->state);
	}
	notify_flush(g);
	return done;
}

KIPC_API int kipc_group_run(struct kipc_group *g)
{
	struct epoll_event ev;
	int ret;

	if (!g)
		return -EINVAL;
	if (!g->started) {
		ret = kipc_group_start(g);
		if (ret < 0)
			return ret;
	}
	for (;;) {
		ret = kipc_group_dispatch(g);
		if (ret < 0)
			return ret;
		if (ret)
			return g->status;
		if (epoll_wait(g->epfd, &ev, 1, -1) < 0 && errno != EINTR)
			return -errno;
	}
}

KIPC_API int kipc_group_state(const struct kipc_group *g, const char **report)
{
	if (!g)
		return -EINVAL;
	if (report)
		*report = g->report[0] ? g->report : NULL;
	return g->state;
}

KIPC_API int kipc_group_member_info(const struct kipc_group *g,
				    unsigned int idx,
				    struct kipc_group_member *m)
{
	const struct grp_slot *sl;

	if (!g || !m)
		return -EINVAL;
	if (idx >= g->nr_slots)
		return -ENOENT;
	sl = &g->slots[idx];
	memset(m, 0, sizeof(*m));
	m->worker = g->workers[sl->worker].name;
	m->instance = sl->instance;
	m->state = sl->state;
	m->pid = sl->pid;
	m->restarts = sl->restarts;
	m->last_status = sl->last_status;
	m->acks = g->slots[idx].sh ? kgrp_load(&g->slots[idx].sh->acks) : 0;
	m->redeliveries = g->slots[idx].sh ?
			  kgrp_load(&g->slots[idx].sh->redeliveries) : 0;
	m->handed_on = sl->handed_on;
	m->lost = sl->lost;
	return 0;
}

KIPC_API int kipc_group_channel_info(const struct kipc_group *g,
				     unsigned int idx,
				     struct kipc_group_channel *c)
{
	uint64_t q = 0;

	if (!g || !c)
		return -EINVAL;
	if (idx >= g->nr_chans)
		return -ENOENT;
	memset(c, 0, sizeof(*c));
	c->name = g->chans[idx].name;
	c->depth = g->chans[idx].depth;
	c->id = g->chans[idx].id;
	fdinfo_get(kipc_channel_fd(g->chans[idx].rx), "kipc-queued", &q);
	c->queued = q;
	return 0;
}

KIPC_API int kipc_group_service_info(const struct kipc_group *g,
				     unsigned int idx,
				     struct kipc_group_service *s)
{
	uint64_t v;
	int fd;

	if (!g || !s)
		return -EINVAL;
	if (idx >= g->nr_svcs)
		return -ENOENT;
	memset(s, 0, sizeof(*s));
	s->name = g->svcs[idx].name;
	fd = kipc_service_fd(g->svcs[idx].svc);
	fdinfo_get(fd, "kipc-id", &s->id);
	fdinfo_get(fd, "kipc-accepted", &s->accepted);
	if (!fdinfo_get(fd, "kipc-backlog", &v))
		s->backlog = v;
	if (!fdinfo_get(fd, "kipc-pending", &v))
		s->pending = v;
	return 0;
}

KIPC_API int kipc_group_destroy(struct kipc_group *g)
{
	unsigned int i, r;

	if (!g)
		return -EINVAL;
	for (i = 0; i < g->nr_slots; i++) {
		struct grp_slot *sl = &g->slots[i];

		/*
		 * Still running: it must not outlive us. A zombie that a
		 * tracer holds has ended: waiting would wait for the tracer.
		 */
		if (sl->pid && sl->pidfd >= 0 && !sl->reap_at) {
			slot_kill(sl, SIGKILL);
			slot_wait_killed(sl);
		}
		if (sl->pidfd >= 0)
			close(sl->pidfd);
		if (sl->lifeline >= 0)
			close(sl->lifeline);
		for (r = 0; r < KIPC_GROUP_MAX_REGIONS; r++)
			if (sl->h[r])
				kipc_region_close(sl->h[r]);
		kipc_region_close(sl->sh_r);
	}
	for (i = 0; i < g->nr_chans; i++) {
		if (g->chans[i].tx)
			kipc_channel_close(g->chans[i].tx);
		kipc_channel_close(g->chans[i].rx);
	}
	for (i = 0; i < g->nr_svcs; i++) {
		kipc_name_unlink(g->k, g->svcs[i].name);
		kipc_service_close(g->svcs[i].svc);
	}
	for (i = 0; i < g->nr_regions; i++)
		kipc_region_close(g->regions[i].r);
	for (i = 0; i < g->nr_workers; i++) {
		char **a = g->workers[i].argv;

		while (a && *a)
			free(*a++);
		free(g->workers[i].argv);
	}
	if (g->sigfd >= 0) {
		struct signalfd_siginfo si;

		/*
		 * Signals the group took and did not read (one after the last
		 * dispatch) were the group's: unblocked, they would end the
		 * program as the group ends, by that signal.
		 */
		while (read(g->sigfd, &si, sizeof(si)) == sizeof(si))
			;
		close(g->sigfd);
		/* Not start's whole mask: what the program blocked stays. */
		sigprocmask(SIG_UNBLOCK, &g->blocked, NULL);
	}
	if (g->timerfd >= 0)
		close(g->timerfd);
	if (g->epfd >= 0)
		close(g->epfd);
	kipc_region_close(g->ctl_r);
	kipc_close(g->k);
	free(g->events);
	free(g);
	return 0;
}
