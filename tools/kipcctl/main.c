// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl: inspect and monitor kipc. Dispatches to one file per command.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kipcctl.h"

int json;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kipcctl [-j] COMMAND [ARGS]\n"
		"       kipcctl --version\n"
		"  -j, --json   print JSON\n"
		"  -V, --version  print kipcctl's version (the module's: version)\n"
		"commands:\n"
		"  version                       ABI version and features of the loaded module\n"
		"  stats                         global counters (CAP_SYS_ADMIN)\n"
		"  list [channels|regions] [--uid U] [--pid P]\n"
		"                                the objects the caller may see\n"
		"  show [channel|region] ID      one channel or region (a bare ID:\n"
		"                                each of them with that id)\n"
		"  monitor [--count N]           print events as they happen\n"
		"  top [--interval S] [--count N] [--limit N] [--uid U] [--pid P]\n"
		"      [--record FILE]           every queue (kipc and stock) by\n"
		"                                activity, refreshed, or recorded\n"
		"  plot [--output OUT] [--top N] [--script] FILE\n"
		"                                gnuplot plots of a top --record file\n"
		"  users [--uid U]               per-user usage and caps (yours, or\n"
		"                                every user's with CAP_SYS_ADMIN)\n"
		"  trace [--interval S] [--count N]\n"
		"                                per-channel histograms of the time\n"
		"                                messages spend queued (root, tracefs)\n"
		"  sys [--all] [--no-sock-diag] [KIND...]\n"
		"                                the system's stock IPC objects: msg sem\n"
		"                                shm mqueue posix-shm pipes unix eventfd\n"
		"                                memfd kipc-channel kipc-service\n"
		"                                (default: all)\n"
		"  sys graph [--dot]             processes and the IPC objects between\n"
		"                                them: table, JSON (-j) or Graphviz DOT\n"
		"  sys check                     what is wrong (orphans, full queues and\n"
		"                                pipes, limits); exit 3 when found\n"
		"  groups [DIR]                  process groups kipc-run supervises\n");
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "version", cmd_version },
	{ "stats", cmd_stats },
	{ "list", cmd_list },
	{ "show", cmd_show },
	{ "monitor", cmd_monitor },
	{ "top", cmd_top },
	{ "users", cmd_users },
	{ "trace", cmd_trace },
	{ "sys", cmd_sys },
	{ "plot", cmd_plot },
	{ "groups", cmd_groups },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int i;
	int c;

	while ((c = getopt_long(argc, argv, "+jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("kipcctl %s (libkipc %d.%d)\n", KIPC_TOOLS_VERSION,
			       KIPC_LIB_VERSION_MAJOR, KIPC_LIB_VERSION_MINOR);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[optind], commands[i].name)) {
			argc -= optind;
			argv += optind;
			optind = 1;
			return commands[i].fn(argc, argv);
		}
	}
	fprintf(stderr, "kipcctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
