// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl sys graph: who talks to whom. The processes and the IPC objects
 * they hold (pipes, FIFOs, Unix socket connections, eventfds, memfds,
 * /dev/shm files, kipc channels and services), from the scan of /proc, as
 * edges: a writer points at a pipe and the pipe at its reader, a kipc
 * channel's sender at it and it at its receiver (the way the data flows);
 * the two ends of a connected Unix socket pair are one connection node
 * (sock_diag gives the peers); other objects (a kipc service among them:
 * its listeners) are joined to their holders without a direction. A
 * socket is a Unix socket only when sys unix lists its inode: the others
 * (TCP, UDP, netlink, ...) are left out. Objects on a file system (FIFOs,
 * memfds, /dev/shm files) are named by device and inode: inode numbers
 * repeat across file systems (each tmpfs counts its own). As a table,
 * JSON (-j) or Graphviz DOT (--dot: kipcctl sys graph --dot | dot -Tsvg >
 * ipc.svg).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "kipcctl.h"
#include "sys.h"

enum fmt { FMT_TABLE, FMT_JSON, FMT_DOT };

static const char *const kind_name[] = {
	[SYS_FD_PIPE] = "pipe", [SYS_FD_FIFO] = "fifo",
	[SYS_FD_SOCKET] = "unix", [SYS_FD_EVENTFD] = "eventfd",
	[SYS_FD_MEMFD] = "memfd", [SYS_FD_SHM] = "shm",
	[SYS_FD_SHM_MAP] = "shm", [SYS_FD_KIPC_CHAN] = "kipc-channel",
	[SYS_FD_KIPC_SERVICE] = "kipc-service",
};

static int cmp_peer(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/*
 * The node of the object of @f into @buf: "KIND:INODE", "KIND:MAJ:MIN:INODE"
 * for a file system's object, or for a Unix socket "unix:" the smaller
 * inode of its connection, or its own. @socks (sorted by cmp_peer) are the
 * Unix sockets: one user may hold hundreds of thousands, so no linear
 * search per socket. 0, or -ENOENT for a socket that is not a Unix one.
 */
static int node_id(char *buf, size_t len, const struct sys_fd *f,
		   uint64_t (*socks)[2], size_t ns)
{
	uint64_t key[2] = { f->ino, 0 }, ino = f->ino;
	const uint64_t *p;

	if (f->kind == SYS_FD_SOCKET) {
		p = ns ? bsearch(key, socks, ns, sizeof(*socks), cmp_peer) :
			 NULL;
		if (!p)
			return -ENOENT;
		if (p[1] && p[1] < ino)
			ino = p[1];
	}
	if (f->dev)
		snprintf(buf, len, "%s:%u:%u:%llu", kind_name[f->kind],
			 major(f->dev), minor(f->dev), (unsigned long long)ino);
	else
		snprintf(buf, len, "%s:%llu", kind_name[f->kind],
			 (unsigned long long)ino);
	return 0;
}

/* One edge between process @f->pid and object @obj, in @fmt. */
static void edge(enum fmt fmt, const struct sys_fd *f, const char *obj,
		 int *first)
{
	char comm[4 * sizeof(f->comm)];
	int w = (f->flags & O_ACCMODE) != O_RDONLY;
	int r = (f->flags & O_ACCMODE) != O_WRONLY;
	int kchan = f->kind == SYS_FD_KIPC_CHAN;
	int flow = f->kind == SYS_FD_PIPE || f->kind == SYS_FD_FIFO || kchan;
	const char *how = f->kind == SYS_FD_SHM_MAP ? "maps" :
			  f->kind == SYS_FD_KIPC_SERVICE ? "listens" :
			  !flow ? "holds" : kchan ? (w ? "sends" : "receives") :
			  w && r ? "reads+writes" : w ? "writes" : "reads";

	switch (fmt) {
	case FMT_JSON:
		printf("%s{\"pid\":%d,\"object\":\"%s\",\"how\":\"%s\"}",
		       *first ? "" : ",", (int)f->pid, obj, how);
		break;
	case FMT_DOT:
		if (flow && w)
			printf("  \"p%d\" -> \"%s\";\n", (int)f->pid, obj);
		if (flow && r)
			printf("  \"%s\" -> \"p%d\";\n", obj, (int)f->pid);
		if (!flow)
			printf("  \"p%d\" -> \"%s\" [dir=none%s];\n",
			       (int)f->pid, obj,
			       f->kind == SYS_FD_SHM_MAP ? ", style=dashed" : "");
		break;
	default:
		sys_escape(comm, sizeof(comm), f->comm, SYS_ESC_FIELD);
		printf("%-8d %-16s %-13s %s\n", (int)f->pid, comm, how, obj);
	}
	*first = 0;
}

/* A process's first entry in the scan: sorted, the processes once each. */
struct proc_ref {
	pid_t pid;
	size_t i;
};

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_ref *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The processes, once each (by pid), as DOT nodes or JSON objects. */
static void processes(enum fmt fmt, const struct sys_scan *s)
{
	char comm[5 * sizeof(s->v[0].comm)];	/* \\xNN a byte */
	struct proc_ref *p = malloc((s->n ? s->n : 1) * sizeof(*p));
	size_t i, k;
	int first = 1;

	if (!p)
		return;
	for (k = 0; k < s->n; k++)
		p[k] = (struct proc_ref){ s->v[k].pid, k };
	qsort(p, s->n, sizeof(*p), cmp_proc);
	for (k = 0; k < s->n; k++) {
		if (k && p[k].pid == p[k - 1].pid)
			continue;
		i = p[k].i;
		if (fmt == FMT_DOT) {
			sys_escape(comm, sizeof(comm), s->v[i].comm,
				   SYS_ESC_DOT);
			printf("  \"p%d\" [shape=box, label=\"%d\\n%s\"];\n",
			       (int)s->v[i].pid, (int)s->v[i].pid, comm);
		} else {
			printf("%s{\"pid\":%d,\"comm\":", first ? "" : ",",
			       (int)s->v[i].pid);
			sys_str(s->v[i].comm);
			printf("}");
			first = 0;
		}
	}
	free(p);
}

int sys_graph(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dot", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	enum fmt fmt = json ? FMT_JSON : FMT_TABLE;
	uint64_t (*socks)[2] = NULL;
	struct sys_scan s = { 0 };
	char obj[64];
	size_t ns = 0, i;
	int c, ret, unix_err, first = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd') {
			fprintf(stderr, "usage: kipcctl [-j] sys graph [--dot]\n");
			return 2;
		}
		fmt = FMT_DOT;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: kipcctl [-j] sys graph [--dot]\n");
		return 2;
	}
	ret = sys_scan_procs(&s, 1);
	if (ret < 0) {
		fprintf(stderr, "kipcctl: sys graph: /proc: %s\n", strerror(-ret));
		return 1;
	}
	/*
	 * Without unix_diag each Unix socket stays a node of its own. Without
	 * a list of them (sock_diag failed otherwise, /proc/net/unix not
	 * readable, no memory), no socket is known for a Unix one: none is
	 * shown, and that is said, and an error.
	 */
	unix_err = sys_unix_socks(&s, &socks, &ns);
	if (unix_err)
		fprintf(stderr, "kipcctl: sys graph: Unix sockets: %s: %s\n",
			strerror(-unix_err), "no socket is shown");
	if (ns)
		qsort(socks, ns, sizeof(*socks), cmp_peer);

	if (fmt == FMT_DOT) {
		printf("digraph ipc {\n  rankdir=LR;\n  node [fontsize=10];\n");
		processes(fmt, &s);
	} else if (fmt == FMT_JSON) {
		printf("{\"processes\":[");
		processes(fmt, &s);
		printf("],\"edges\":[");
	} else {
		printf("%-8s %-16s %-13s %s\n", "PID", "COMM", "HOW", "OBJECT");
	}
	for (i = 0; i < s.n; i++) {
		if (node_id(obj, sizeof(obj), &s.v[i], socks, ns))
			continue;
		if (fmt == FMT_DOT && (!i || s.v[i].kind != s.v[i - 1].kind ||
				       s.v[i].ino != s.v[i - 1].ino ||
				       s.v[i].dev != s.v[i - 1].dev))
			printf("  \"%s\" [shape=ellipse];\n", obj);
		edge(fmt, &s.v[i], obj, &first);
	}
	if (fmt == FMT_DOT)
		printf("}\n");
	else if (fmt == FMT_JSON)
		printf("]}\n");
	free(socks);
	sys_scan_free(&s);
	return unix_err ? 1 : 0;
}
