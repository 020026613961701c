// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl sys [KIND...]: the IPC objects of the system as the caller may
 * see them (System V, POSIX, pipes and FIFOs, Unix sockets, eventfds,
 * memfds, kipc channels and services), a section per kind, or one JSON
 * object.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipcctl.h"
#include "sys.h"

static const char *const kind_names[SYS_NR_KINDS] = {
	[SYS_MSG]	= "msg",
	[SYS_SEM]	= "sem",
	[SYS_SHM]	= "shm",
	[SYS_MQUEUE]	= "mqueue",
	[SYS_POSIX_SHM]	= "posix-shm",
	[SYS_PIPES]	= "pipes",
	[SYS_UNIX]	= "unix",
	[SYS_EVENTFD]	= "eventfd",
	[SYS_MEMFD]	= "memfd",
	[SYS_KIPC_CHANNEL] = "kipc-channel",
	[SYS_KIPC_SERVICE] = "kipc-service",
};

void sys_section(const char *json_name, const char *title)
{
	if (json)
		printf(",\"%s\":[", json_name);
	else
		printf("\n== %s\n", title);
}

void sys_section_end(size_t rows)
{
	if (json)
		printf("]");
	else if (!rows)
		printf("(none)\n");
}

/*
 * The length of the valid UTF-8 sequence at @p, its code point in *@c;
 * 0 when @p starts none (an overlong form, a surrogate, past U+10FFFF, a
 * byte that is no lead or a lead without its continuation bytes).
 */
static size_t utf8_char(const unsigned char *p, uint32_t *c)
{
	size_t n, i;

	*c = *p;
	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((*p == 0xe0 && p[1] < 0xa0) ||		/* overlong */
	    (*p == 0xed && p[1] >= 0xa0) ||		/* surrogates */
	    (*p == 0xf0 && p[1] < 0x90) || (*p == 0xf4 && p[1] >= 0x90))
		return 0;
	*c = *p & (0xff >> (n + 1));
	for (i = 1; i < n; i++)
		*c = *c << 6 | (p[i] & 0x3f);
	return n;
}

/*
 * Whether @c is drawn as itself: not a control (C0, DEL, C1), nor a
 * format character (Unicode's category Cf: bidi embeddings, overrides,
 * isolates and marks, zero-width characters, tags; with which a name may
 * reorder the columns of its row on a terminal that draws bidi text, or
 * hide), nor the line and paragraph separators.
 */
static int char_shown(uint32_t c)
{
	static const uint32_t hidden[][2] = {
		{ 0x0000, 0x001f }, { 0x007f, 0x009f }, { 0x00ad, 0x00ad },
		{ 0x0600, 0x0605 }, { 0x061c, 0x061c }, { 0x06dd, 0x06dd },
		{ 0x070f, 0x070f }, { 0x0890, 0x0891 }, { 0x08e2, 0x08e2 },
		{ 0x180e, 0x180e }, { 0x200b, 0x200f }, { 0x2028, 0x202e },
		{ 0x2060, 0x2064 }, { 0x2066, 0x206f }, { 0xfeff, 0xfeff },
		{ 0xfff9, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
		{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 },
		{ 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
		{ 0xe0020, 0xe007f },
	};
	size_t i;

	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (c >= hidden[i][0] && c <= hidden[i][1])
			return 0;
	return 1;
}

/* The length of the sequence at @p of a character drawn as itself, or 0. */
static size_t utf8_printable(const unsigned char *p)
{
	uint32_t c;
	size_t n = utf8_char(p, &c);

	return n && char_shown(c) ? n : 0;
}

void sys_escape(char *buf, size_t len, const char *s, enum sys_esc how)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n;

	if (!len)
		return;
	for (; *p && o + 6 < len; p += n ? n : 1) {
		n = utf8_printable(p);
		if (n && how == SYS_ESC_FIELD && strchr(" (),", *p))
			n = 0;		/* a separator: written as \xNN */
		if (n && how == SYS_ESC_DOT && (*p == '"' || *p == '\\')) {
			buf[o++] = '\\';
			buf[o++] = *p;
		} else if (n) {
			if (o + n >= len)
				break;
			memcpy(buf + o, p, n);
			o += n;
		} else {
			/* graphviz drops the \ of \x: \\x shows as \x. */
			o += snprintf(buf + o, len - o, how == SYS_ESC_DOT ?
				      "\\\\x%02x" : "\\x%02x", *p);
		}
	}
	buf[o] = '\0';
}

int sys_dot_entry(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/*
 * Character @c, in JSON: \uXXXX, or a surrogate pair past U+FFFF, so
 * that the string read is the name whole.
 */
static void json_char(uint32_t c)
{
	if (c > 0xffff)
		printf("\\u%04x\\u%04x", 0xd800 + ((c - 0x10000) >> 10),
		       0xdc00 + ((c - 0x10000) & 0x3ff));
	else
		printf("\\u%04x", c);
}

void sys_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t n;

	if (!json) {
		/* Each byte takes at most 4 ("\xNN"): the name whole. */
		size_t len = 4 * strlen(s) + 6;
		char *text = malloc(len);

		if (!text) {
			fputs("?", stdout);
			return;
		}
		sys_escape(text, len, s, SYS_ESC_TEXT);
		fputs(text, stdout);
		free(text);
		return;
	}
	putchar('"');
	for (; *p; p += n ? n : 1) {
		n = utf8_char(p, &c);
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (n && char_shown(c))
			fwrite(p, 1, n, stdout);
		else if (n)	/* a control or a format character */
			json_char(c);
		else	/* a byte that is not UTF-8: as Latin-1 */
			printf("\\u%04x", *p);
	}
	putchar('"');
}

void sys_pids(const struct sys_fd *f, size_t n,
	      int (*keep)(const struct sys_fd *f))
{
	char comm[4 * sizeof(f->comm) + 8];
	pid_t last = 0;
	size_t i, shown = 0;

	if (json)
		putchar('[');
	for (i = 0; i < n; i++) {
		if ((keep && !keep(&f[i])) || f[i].pid == last)
			continue;
		last = f[i].pid;
		if (json) {
			printf("%s{\"pid\":%d,\"comm\":", shown ? "," : "",
			       (int)f[i].pid);
			sys_str(f[i].comm);
			putchar('}');
		} else {
			/* A name "x),1(init" must not add a process. */
			sys_escape(comm, sizeof(comm), f[i].comm,
				   SYS_ESC_FIELD);
			printf("%s%d(%s)", shown ? "," : "", (int)f[i].pid,
			       comm);
		}
		shown++;
	}
	if (json)
		putchar(']');
	else if (!shown)
		putchar('-');
}

/* The namespace @ns of the caller ("ipc:[4026531839]"), or "?". */
static void print_ns(const char *ns, const char *json_name)
{
	char path[64], link[64];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		snprintf(link, sizeof(link), "?");
	else
		link[len] = '\0';
	if (json) {
		printf("%s\"%s\":", !strcmp(ns, "ipc") ? "" : ",", json_name);
		sys_str(link);
	} else {
		printf("%s%s", !strcmp(ns, "ipc") ? "" : " ", link);
	}
}

static void print_header(const struct sys_scan *s, int scanned)
{
	if (json)
		printf("{");
	else
		printf("namespaces: ");
	print_ns("ipc", "ipc_ns");
	print_ns("net", "net_ns");
	print_ns("pid", "pid_ns");
	if (json) {
		printf(",\"euid\":%u", (unsigned int)geteuid());
		if (scanned)
			printf(",\"processes_scanned\":%u,\"processes_unreadable\":%u",
			       s->procs, s->denied);
		return;
	}
	printf("\n");
	if (!scanned)
		return;
	if (geteuid())
		printf("processes: %u readable, %u not (not yours: run as root to see every process)\n",
		       s->procs, s->denied);
	else
		printf("processes: %u readable, %u not\n", s->procs, s->denied);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: kipcctl [-j] sys [--all] [--no-sock-diag] [KIND...]\n"
		"       kipcctl [-j] sys graph [--dot]\n"
		"       kipcctl [-j] sys check\n"
		"  KIND: msg sem shm mqueue posix-shm pipes unix eventfd memfd\n"
		"        kipc-channel kipc-service (default: all of them)\n");
}

/* Options and kinds into @o; 0, or 2 on a usage error. */
static int parse_args(int argc, char **argv, struct sys_opts *o)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "no-sock-diag", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i, k, any = 0;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->all = 1;
			break;
		case 'N':
			o->no_sock_diag = 1;
			break;
		default:
			return 2;
		}
	}
	for (i = optind; i < argc; i++) {
		for (k = 0; k < SYS_NR_KINDS; k++)
			if (!strcmp(argv[i], kind_names[k]))
				break;
		if (k == SYS_NR_KINDS) {
			fprintf(stderr, "kipcctl: sys: unknown kind '%s'\n",
				argv[i]);
			return 2;
		}
		o->want[k] = 1;
		any = 1;
	}
	if (!any)
		for (k = 0; k < SYS_NR_KINDS; k++)
			o->want[k] = 1;
	return 0;
}

/* Keep the first error of the sections in @ret. */
static void keep_error(int *ret, int err)
{
	if (err < 0 && !*ret)
		*ret = err;
}

static int run_sections(const struct sys_opts *o, const struct sys_scan *s)
{
	int ret = 0, k;

	for (k = SYS_MSG; k <= SYS_SHM; k++)
		if (o->want[k])
			keep_error(&ret, sys_sysv(k));
	if (o->want[SYS_MQUEUE])
		keep_error(&ret, sys_mqueue());
	if (o->want[SYS_POSIX_SHM])
		keep_error(&ret, sys_posix_shm(s));
	if (o->want[SYS_PIPES])
		keep_error(&ret, sys_pipes(s));
	if (o->want[SYS_UNIX])
		keep_error(&ret, sys_unix(s, o->no_sock_diag));
	if (o->want[SYS_EVENTFD])
		keep_error(&ret, sys_fd_objects(s, SYS_FD_EVENTFD, o->all));
	if (o->want[SYS_MEMFD])
		keep_error(&ret, sys_fd_objects(s, SYS_FD_MEMFD, o->all));
	if (o->want[SYS_KIPC_CHANNEL])
		keep_error(&ret, sys_kipc_channels(s));
	if (o->want[SYS_KIPC_SERVICE])
		keep_error(&ret, sys_kipc_services(s));
	return ret;
}

int cmd_sys(int argc, char **argv)
{
	struct sys_scan s = { 0 };
	struct sys_opts o;
	int scan, ret;

	if (argc > 1 && !strcmp(argv[1], "graph"))
		return sys_graph(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "check"))
		return sys_check(argc - 1, argv + 1);
	if (parse_args(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	scan = o.want[SYS_POSIX_SHM] || o.want[SYS_PIPES] ||
	       o.want[SYS_UNIX] || o.want[SYS_EVENTFD] || o.want[SYS_MEMFD] ||
	       o.want[SYS_KIPC_CHANNEL] || o.want[SYS_KIPC_SERVICE];
	if (scan) {
		ret = sys_scan_procs(&s, o.want[SYS_POSIX_SHM]);
		if (ret < 0) {
			fprintf(stderr, "kipcctl: sys: /proc: %s\n",
				strerror(-ret));
			return 1;
		}
	}
	print_header(&s, scan);
	ret = run_sections(&o, &s);
	if (json)
		printf("}\n");
	sys_scan_free(&s);
	if (ret < 0) {
		fprintf(stderr, "kipcctl: sys: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
