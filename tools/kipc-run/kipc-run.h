/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc-run's parts: the group file, read and checked into a declaration
 * and then declared to libkipc (decl.c); the state it publishes and the
 * lock that keeps a second kipc-run of the group out (state.c); the run
 * itself (kipc-run.c). Documentation/man/kipc-run.1.
 */
#ifndef KIPC_RUN_H
#define KIPC_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include <kipc.h>
#include <kipc_group.h>

#define STATE_DIR_DEFAULT	"/run/kipc"	/* root's; kipcctl groups reads it */
#define RUN_ARGV_MAX		63	/* arguments of a worker's "exec" */

/* A worker's connections, in this order: "in", "out", "serve". */
#define RUN_NR_CONNS		3

struct run_region {
	const char *name;
	uint64_t bytes, buf_size;
};

struct run_channel {
	const char *name;
	const char *region;	/* NULL: unbound */
	uint32_t depth;		/* 0: the module's default */
};

struct run_service {
	const char *name;
	unsigned int mode;
	struct kipc_service_attr attr;
};

struct run_worker {
	const char *name;
	struct kipc_worker_attr attr;	/* its argv is @argv */
	char *argv[RUN_ARGV_MAX + 1];
	struct json_object *conns[RUN_NR_CONNS]; /* arrays of names, or NULL */
};

/* A group file, checked; its strings are @root's. */
struct run_decl {
	struct json_object *root;
	const char *name;
	struct kipc_group_attr attr;
	unsigned int nr_regions, nr_channels, nr_services, nr_workers;
	struct run_region regions[KIPC_GROUP_MAX_REGIONS];
	struct run_channel channels[KIPC_GROUP_MAX_CHANNELS];
	struct run_service services[KIPC_GROUP_MAX_SERVICES];
	struct run_worker workers[KIPC_GROUP_MAX_WORKERS];
};

int decl_read(const char *path, struct run_decl **dp, char *err, size_t len);
int decl_build(const struct run_decl *d, struct kipc_group *g, char *err,
	       size_t len);
void decl_free(struct run_decl *d);

int state_open(const char *dir, const char *name);
void state_publish(struct kipc_group *g);
/*
 * Unlink the names of @d's services that nobody serves any more
 * (ECONNREFUSED): a kipc-run killed before it wrote its first state file
 * left them, and they would refuse ours. After state_open(), which holds
 * the group's lock (when it publishes a state).
 */
void state_names_reclaim(const struct run_decl *d);
void state_close(void);

void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* KIPC_RUN_H */
