// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl sys msg|sem|shm: the System V objects of the caller's IPC
 * namespace, from /proc/sysvipc/{msg,sem,shm} (which list every object of
 * the namespace, whatever their permissions). Columns are found by the
 * names in the file's header line, not by position.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kipcctl.h"
#include "sys.h"

#define MAX_COLS	24
#define COL_LEN		32

struct cols {
	char name[MAX_COLS][COL_LEN];
	char val[MAX_COLS][COL_LEN];
	int n;
};

/* Split @line into at most MAX_COLS words of @c (names or values). */
static int split(const char *line, char (*out)[COL_LEN])
{
	int n = 0, len;

	while (n < MAX_COLS && sscanf(line, " %31s%n", out[n], &len) == 1) {
		line += len;
		n++;
	}
	return n;
}

/* The value under column @name, as a number in @base; 0 when absent. */
static unsigned long long col(const struct cols *c, const char *name,
			      int base)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name))
			return strtoull(c->val[i], NULL, base);
	return 0;
}

static long long col_signed(const struct cols *c, const char *name)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name))
			return strtoll(c->val[i], NULL, 10);
	return 0;
}

struct sysv_kind {
	const char *file, *json_name, *title, *id_col;
	/* Extra columns: JSON name, file column, table heading. */
	const char *extra[4][3];
};

static const struct sysv_kind sysv_kinds[] = {
	[SYS_MSG] = { "/proc/sysvipc/msg", "sysv_msg",
		      "System V message queues (/proc/sysvipc/msg)", "msqid",
		      { { "cbytes", "cbytes", "CBYTES" },
			{ "qnum", "qnum", "QNUM" },
			{ "lspid", "lspid", "LSPID" },
			{ "lrpid", "lrpid", "LRPID" } } },
	[SYS_SEM] = { "/proc/sysvipc/sem", "sysv_sem",
		      "System V semaphore sets (/proc/sysvipc/sem)", "semid",
		      { { "nsems", "nsems", "NSEMS" } } },
	[SYS_SHM] = { "/proc/sysvipc/shm", "sysv_shm",
		      "System V shared memory (/proc/sysvipc/shm)", "shmid",
		      { { "size", "size", "SIZE" },
			{ "nattch", "nattch", "NATTCH" },
			{ "cpid", "cpid", "CPID" },
			{ "lpid", "lpid", "LPID" } } },
};

static void print_row(const struct sysv_kind *k, const struct cols *c,
		      size_t row)
{
	int i;

	if (json) {
		printf("%s{\"key\":%lld,\"id\":%lld,\"perms\":\"%04llo\","
		       "\"uid\":%llu,\"gid\":%llu,\"cuid\":%llu,\"cgid\":%llu",
		       row ? "," : "", col_signed(c, "key"),
		       col_signed(c, k->id_col), col(c, "perms", 8),
		       col(c, "uid", 10), col(c, "gid", 10),
		       col(c, "cuid", 10), col(c, "cgid", 10));
		for (i = 0; i < 4 && k->extra[i][0]; i++)
			printf(",\"%s\":%llu", k->extra[i][0],
			       col(c, k->extra[i][1], 10));
		printf("}");
		return;
	}
	if (!row) {
		printf("%-10s %-10s %-5s %-6s %-6s", "KEY", "ID", "PERMS",
		       "UID", "CUID");
		for (i = 0; i < 4 && k->extra[i][0]; i++)
			printf(" %12s", k->extra[i][2]);
		printf("\n");
	}
	printf("0x%08llx %-10lld %04llo  %-6llu %-6llu",
	       (unsigned long long)(unsigned int)col_signed(c, "key"),
	       col_signed(c, k->id_col), col(c, "perms", 8),
	       col(c, "uid", 10), col(c, "cuid", 10));
	for (i = 0; i < 4 && k->extra[i][0]; i++)
		printf(" %12llu", col(c, k->extra[i][1], 10));
	printf("\n");
}

/*
 * Each row of /proc/sysvipc/@file, with the header's column names, to
 * @cb (which stops the walk by returning non-zero). 0 or -errno.
 */
static int sysv_read(const char *file, int (*cb)(const struct cols *c,
						 void *arg), void *arg)
{
	char line[512];
	struct cols c;
	int ret = 0;
	FILE *f;

	f = fopen(file, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	c.n = split(line, c.name);
	while (!ret && fgets(line, sizeof(line), f))
		if (split(line, c.val) >= c.n)
			ret = cb(&c, arg);
	fclose(f);
	return ret < 0 ? ret : 0;
}

struct print_state {
	const struct sysv_kind *k;
	size_t rows;
};

static int print_cb(const struct cols *c, void *arg)
{
	struct print_state *ps = arg;

	print_row(ps->k, c, ps->rows++);
	return 0;
}

int sys_sysv(enum sys_kind kind)
{
	struct print_state ps = { .k = &sysv_kinds[kind] };
	int ret;

	sys_section(ps.k->json_name, ps.k->title);
	ret = sysv_read(ps.k->file, print_cb, &ps);
	if (ret)
		fprintf(stderr, "kipcctl: sys: %s: %s\n", ps.k->file,
			strerror(-ret));
	sys_section_end(ps.rows);
	return ret;
}

struct each_state {
	const struct sysv_kind *k;
	int (*cb)(const struct sys_sysv_row *r, void *arg);
	void *arg;
};

static int each_cb(const struct cols *c, void *arg)
{
	struct each_state *es = arg;
	struct sys_sysv_row r = {
		.key = col_signed(c, "key"), .id = col_signed(c, es->k->id_col),
		.uid = col(c, "uid", 10),
		.cbytes = col(c, "cbytes", 10), .qnum = col(c, "qnum", 10),
		.size = col(c, "size", 10), .nattch = col(c, "nattch", 10),
		.lspid = col(c, "lspid", 10), .lrpid = col(c, "lrpid", 10),
		.cpid = col(c, "cpid", 10), .lpid = col(c, "lpid", 10),
	};

	return es->cb(&r, es->arg);
}

int sys_sysv_each(enum sys_kind kind,
		  int (*cb)(const struct sys_sysv_row *r, void *arg), void *arg)
{
	struct each_state es = { &sysv_kinds[kind], cb, arg };

	return sysv_read(es.k->file, each_cb, &es);
}
