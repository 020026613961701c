/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipcctl: shared declarations of the commands (one file each).
 */
#ifndef KIPCCTL_H
#define KIPCCTL_H

#include <stdint.h>
#include <stdio.h>

#include <kipc.h>

extern int json;	/* -j: print JSON */

/* Each command: argc/argv start at the command's name. */
int cmd_version(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_users(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_sys(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_groups(int argc, char **argv);	/* groups.c */

/*
 * The next element of the growing array *@v (*@n used of *@cap, each of
 * @size bytes), zeroed and counted; NULL when out of memory.
 */
void *array_add(void *v, size_t *n, size_t *cap, size_t size);

/*
 * CLOCK_MONOTONIC in nanoseconds: the intervals and deadlines of top,
 * trace and the pipe prober.
 */
uint64_t mono_ns(void);

/* Open the netlink family, printing a clear error. 0 or -errno. */
int open_nl(struct kipc_nl **nl);
/* Print why kipc_nl_open() failed with @ret (nothing when 0). */
void open_nl_error(int ret);
/* Print "kipcctl: WHAT: strerror(-err)" and the kernel's message. */
void nl_error(struct kipc_nl *nl, const char *what, int err);
/*
 * Whether the caller sees every user's kipc objects and records, not only
 * its own: the module's CAP_SYS_ADMIN test (netlink_capable(), in the
 * initial user namespace), which the host-wide counters need, not the
 * euid (a container's root is not it; a capable non-root user is).
 */
int nl_sees_all(struct kipc_nl *nl);

/* One object's fields, as text or as JSON. */
void print_channel(const struct kipc_channel_stats *st, int first);
void print_region(const struct kipc_region_stats *st, int first);
const char *event_name(uint32_t cmd);
const char *obj_type_name(uint32_t type);
const char *reason_name(uint32_t reason);

/* A whole number (decimal, 0x hex, 0 octal) up to UINT32_MAX; 0 or -1. */
int parse_u32(const char *s, uint32_t *v);
/* Parse the --uid/--pid options of list and top. 0, or 2 on a usage error. */
int parse_filter(int argc, char **argv, int *optind_out,
		 struct kipc_filter *f, int *interval, int *count);

#endif /* KIPCCTL_H */
