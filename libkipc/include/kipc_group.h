/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc process groups: spawn workers with their kipc objects handed
 * over, wire them with channels and regions, supervise them with pidfds
 * and restart them by policy; a message a worker was processing when it
 * died is delivered again to its replacement.
 *
 * The supervisor side (struct kipc_group) declares regions, channels,
 * RPC services and workers, connects workers to channels and services and
 * runs the group. The worker side
 * (struct kipc_group_worker) finds its objects among inherited file
 * descriptors described by LISTEN_FDS and LISTEN_FDNAMES, as systemd's
 * socket activation does, so that exec'd programs in any language can use
 * them. Documentation/userspace-api/kipc/groups.rst describes the design.
 */
#ifndef LIBKIPC_KIPC_GROUP_H
#define LIBKIPC_KIPC_GROUP_H

#include <stdint.h>
#include <kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KIPC_GROUP_MAX_WORKERS	64	/* slots: every instance of every worker */
#define KIPC_GROUP_MAX_CHANNELS	32
#define KIPC_GROUP_MAX_REGIONS	8
#define KIPC_GROUP_MAX_SERVICES	8
#define KIPC_GROUP_NAME_MAX	31	/* bytes of a name, NUL excluded */
#define KIPC_GROUP_INLINE_MAX	1024	/* inline bytes of a group message */
#define KIPC_GROUP_BUFS_MAX	4	/* region buffers of a group message */

/* Restart strategies (struct kipc_group_attr @strategy), as in Erlang/OTP. */
#define KIPC_GROUP_ONE_FOR_ONE	0	/* restart only the worker that ended */
#define KIPC_GROUP_ONE_FOR_ALL	1	/* stop and restart every worker */
#define KIPC_GROUP_REST_FOR_ONE	2	/* it and the workers declared after it */

/* Flags of struct kipc_group_attr. */
#define KIPC_GROUP_SIGNALS	(1U << 0) /* SIGTERM/SIGINT drain, SIGHUP reloads */

/* What kipc_group_create() makes; zero in a field means the default. */
struct kipc_group_attr {
	uint32_t strategy;	   /* KIPC_GROUP_ONE_FOR_ONE, ... */
	uint32_t intensity;	   /* most restarts in @period_ms; 0: 5 */
	uint32_t period_ms;	   /* 0: 5000 */
	uint32_t backoff_min_ms;   /* first restart's delay; 0: 10 */
	uint32_t backoff_max_ms;   /* delay doubles up to this; 0: 1000 */
	uint32_t drain_timeout_ms; /* SIGKILL this long after SIGTERM; 0: 5000 */
	unsigned int flags;	   /* KIPC_GROUP_SIGNALS */
	unsigned int reserved[9];  /* must be zero */
};

/* Restart policies (struct kipc_worker_attr @restart), as systemd's. */
#define KIPC_RESTART_ON_FAILURE	0	/* after a non-zero exit or a signal */
#define KIPC_RESTART_NEVER	1
#define KIPC_RESTART_ALWAYS	2	/* also after exit status 0 */

struct kipc_group;
struct kipc_group_worker;

/* A worker run as a function in a forked child; returns its exit status. */
typedef int (*kipc_group_fn)(struct kipc_group_worker *w, void *arg);

/* How to run one worker; zero in a field means the default. */
struct kipc_worker_attr {
	uint32_t instances;	/* copies sharing its channels (a pool); 0: 1 */
	uint32_t restart;	/* KIPC_RESTART_* */
	uint32_t watchdog_ms;	/* kill when no beat for this long; 0: none */
	uint32_t reserved0;	/* must be zero */
	kipc_group_fn fn;	/* either a function to call after fork() */
	void *arg;		/* ... and its argument */
	char *const *argv;	/* or a program to execvpe(); copied */
	unsigned int reserved[8]; /* must be zero */
};

/* Directions of kipc_group_connect(). */
#define KIPC_GROUP_IN		0	/* the worker receives from the channel */
#define KIPC_GROUP_OUT		1	/* the worker sends on it */
#define KIPC_GROUP_SERVE	2	/* the worker accepts on the service */

struct kipc_rpc_server;
struct kipc_rpc_server_attr;

int kipc_group_create(const char *name, const struct kipc_group_attr *attr,
		      struct kipc_group **gp);
int kipc_group_destroy(struct kipc_group *g);
int kipc_group_add_region(struct kipc_group *g, const char *name,
			  uint64_t bytes, uint64_t buf_size);
int kipc_group_add_channel(struct kipc_group *g, const char *name,
			   const char *region, uint32_t depth);
int kipc_group_add_worker(struct kipc_group *g, const char *name,
			  const struct kipc_worker_attr *attr);
int kipc_group_add_service(struct kipc_group *g, const char *name,
			   unsigned int mode,
			   const struct kipc_service_attr *attr);
int kipc_group_connect(struct kipc_group *g, const char *worker,
		       const char *channel, unsigned int dir);

int kipc_group_start(struct kipc_group *g);
int kipc_group_fd(const struct kipc_group *g);
int kipc_group_dispatch(struct kipc_group *g);
int kipc_group_run(struct kipc_group *g);
int kipc_group_stop(struct kipc_group *g);
int kipc_group_reload(struct kipc_group *g);

/* A worker slot's state (struct kipc_group_member @state). */
#define KIPC_MEMBER_STARTING	0	/* declared, or waiting out its backoff */
#define KIPC_MEMBER_RUNNING	1
#define KIPC_MEMBER_STOPPING	2	/* signalled, not yet exited */
#define KIPC_MEMBER_EXITED	3	/* ended, not to be restarted */

/* One instance of a worker, as the supervisor sees it. */
struct kipc_group_member {
	const char *worker;	/* its worker's name */
	uint32_t instance;	/* 0 .. instances - 1 */
	uint32_t state;		/* KIPC_MEMBER_* */
	int32_t pid;		/* 0 when not running */
	uint32_t restarts;	/* times it was started again */
	int32_t last_status;	/* last exit status, or -signal; 0 at first */
	uint32_t redeliveries;	/* messages its replacements got again */
	uint64_t acks;		/* messages it acknowledged */
	uint32_t handed_on;	/* 1: its message handed on as it ended */
	uint32_t lost;		/* 1: its message lost as it ended */
	uint64_t reserved[3];
};

/* One channel of the group. */
struct kipc_group_channel {
	const char *name;
	uint32_t depth;		/* the queue's bound */
	uint32_t queued;	/* messages queued now */
	uint64_t id;		/* the channel's id (fdinfo, netlink) */
	uint64_t reserved[2];
};

/* One service of the group. */
struct kipc_group_service {
	const char *name;	/* also its name in the IPC namespace */
	uint32_t backlog;	/* connections that may wait for an accept */
	uint32_t pending;	/* connections waiting now */
	uint64_t id;		/* the service's id (fdinfo) */
	uint64_t accepted;	/* connections accepted so far */
	uint64_t reserved[2];
};

/* The group's state (kipc_group_state()). */
#define KIPC_GROUP_RUNNING	0
#define KIPC_GROUP_DRAINING	1	/* stopping: sources told to stop */
#define KIPC_GROUP_STOPPED	2	/* every worker ended */
#define KIPC_GROUP_FAILED	3	/* a limit was reached: see the report */

int kipc_group_state(const struct kipc_group *g, const char **report);
int kipc_group_member_info(const struct kipc_group *g, unsigned int idx,
			   struct kipc_group_member *m);
int kipc_group_channel_info(const struct kipc_group *g, unsigned int idx,
			    struct kipc_group_channel *c);
int kipc_group_service_info(const struct kipc_group *g, unsigned int idx,
			    struct kipc_group_service *s);

/* An event for the notify callback: a member or the group changed state. */
struct kipc_group_event {
	int32_t member;		/* index of the member, -1 for the group */
	int32_t pid;
	int32_t status;		/* exit status or -signal, when it exited */
	uint32_t reserved;
	const char *text;	/* one line, e.g. "worker.1 exited: killed by 9" */
};

typedef void (*kipc_group_notify_fn)(struct kipc_group *g,
				     const struct kipc_group_event *ev,
				     void *arg);
int kipc_group_set_notify(struct kipc_group *g, kipc_group_notify_fn fn,
			  void *arg);

/*
 * The worker side. A received message stays leased to this worker until
 * kipc_group_ack() or kipc_group_forward(); if the worker dies first, the
 * message is delivered again, by kipc_group_recv(), to its replacement.
 */
struct kipc_group_msg {
	uint64_t seq;		/* its sequence number: >= 1, or a raw send's */
	const void *data;	/* its inline bytes; valid until the ack */
	uint32_t data_len;
	uint32_t nr_bufs;
	struct kipc_buf_ref bufs[KIPC_GROUP_BUFS_MAX]; /* in @region */
	struct kipc_region *region; /* the channel's region (mapped), or NULL */
	uint32_t redelivered;	/* 1: a previous holder died with it */
	uint32_t pid;		/* the sender */
	uint64_t reserved[2];
};

int kipc_group_worker_open(struct kipc_group_worker **wp);
int kipc_group_worker_close(struct kipc_group_worker *w);
int kipc_group_worker_fd(const struct kipc_group_worker *w, const char *name);
struct kipc_region *kipc_group_worker_region(struct kipc_group_worker *w,
					     const char *name);
int kipc_group_worker_service(struct kipc_group_worker *w, const char *name,
			      const struct kipc_rpc_server_attr *attr,
			      struct kipc_rpc_server **sp);
int kipc_group_recv(struct kipc_group_worker *w, const char *channel,
		    struct kipc_group_msg *m);
int kipc_group_send(struct kipc_group_worker *w, const char *channel,
		    const void *data, uint32_t len,
		    const struct kipc_buf_ref *bufs, unsigned int nr_bufs,
		    uint64_t seq);
int kipc_group_forward(struct kipc_group_worker *w, const char *channel,
		       const void *data, uint32_t len);
int kipc_group_ack(struct kipc_group_worker *w);
int kipc_group_beat(struct kipc_group_worker *w);
int kipc_group_stopping(const struct kipc_group_worker *w);

#ifdef __cplusplus
}
#endif

#endif /* LIBKIPC_KIPC_GROUP_H */
