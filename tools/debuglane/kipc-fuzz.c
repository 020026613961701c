// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz: an ioctl fuzzer that knows kipc's argument structs.
 *
 * P processes (--procs) each make --calls/P ioctls. Each keeps a pool of
 * file descriptors: contexts (/dev/kipc), regions and region handles,
 * channel ends created by its own successful ioctls, plus foreign fds (a
 * pipe, /dev/null, an eventfd) and numbers that are not open. Every call
 * picks a command (one of the KIPC_IOC_*, or one with a wrong direction,
 * size bits, number or type), a descriptor from the pool, and an argument:
 * mostly a well-typed struct with plausible values (sizes of real regions,
 * offsets of real buffers, fds of the pool), mutated field by field into
 * wrong sizes, reserved bits, huge counts, unmapped and kernel pointers,
 * arguments straddling an unmapped page. Blocking calls are cut short by
 * an interval timer (EINTR). Now and then a process maps a region, closes
 * a descriptor, forks a child that exits holding the pool, or sends and
 * receives with buffers. One call in 20 is a read() or write() of a channel
 * end instead (KIPC_FEATURE_CHANNEL_RW), with the same pointers and lengths
 * from empty to huge.
 *
 * Reproducible: process i draws from a PRNG seeded with (--seed, i); the
 * kernel's interleaving of the processes is not reproducible, so replay a
 * finding with the same seed and --procs, or with --procs 1 to isolate it.
 *
 * usage: kipc-fuzz [--calls N] [--procs P] [--seed S]
 *        kipc-fuzz --shared [--seconds 30] [--threads 3] [--seed S]
 *                  [--fault-pct 10]
 *
 * --shared is the race mode (kipc-fuzz-shared.c): threads of two processes
 * acting on the same objects at once, with invariants checked from user
 * space.
 */
#include <getopt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "dl.h"

#define POOL	48
#define PG	4096

enum kind { K_NONE, K_CTX, K_REGION, K_SEND, K_RECV, K_SERVICE, K_OTHER };

struct slot {
	int fd;
	enum kind kind;
	uint64_t bytes, buf_size;	/* regions */
};

static struct slot pool[POOL];
static uint64_t rs;
static char *arena;		/* two pages; the second is PROT_NONE */
static char *data;		/* 64 KiB of inline bytes */

struct stats {
	unsigned long long calls, ok, by_cmd[16], errno_hist[160], forks, maps,
			   closes, rws, rws_ok;
};
static struct stats st;

static const unsigned long cmds[] = {
	KIPC_IOC_VERSION, KIPC_IOC_REGION_CREATE, KIPC_IOC_CHANNEL_CREATE,
	KIPC_IOC_REGION_ATTACH, KIPC_IOC_BUF_ALLOC, KIPC_IOC_BUF_RELEASE,
	KIPC_IOC_REGION_INFO, KIPC_IOC_SEND, KIPC_IOC_RECV,
	KIPC_IOC_WAIT, KIPC_IOC_WAKE, KIPC_IOC_WAITV, KIPC_IOC_REQUEUE,
	KIPC_IOC_LENDQ_CREATE, KIPC_IOC_LEND_REAP, KIPC_IOC_NAME_OPEN,
	KIPC_IOC_NAME_UNLINK, KIPC_IOC_SERVICE_CREATE, KIPC_IOC_CONNECT,
	KIPC_IOC_ACCEPT, KIPC_IOC_CALL,
};
#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void on_alarm(int sig) { }

static sigjmp_buf touch_jb;
static void on_fault(int sig) { siglongjmp(touch_jb, 1); }

static uint64_t r64(void) { return dl_rand(&rs); }
static uint64_t below(uint64_t n) { return dl_below(&rs, n); }
static bool chance(int pct) { return below(100) < (uint64_t)pct; }

static void pool_add(int fd, enum kind k, uint64_t bytes, uint64_t bsz)
{
	int i = below(POOL);

	if (fd < 0)
		return;
	if (pool[i].kind != K_NONE && pool[i].kind != K_OTHER)
		close(pool[i].fd);
	pool[i] = (struct slot){ fd, k, bytes, bsz };
}

static struct slot *pick(enum kind want)
{
	int i, start = below(POOL);

	for (i = 0; i < POOL; i++) {
		struct slot *s = &pool[(start + i) % POOL];

		if (s->kind == want)
			return s;
	}
	return &pool[start];
}

/* An fd: usually of the wanted kind, sometimes any, sometimes junk. */
static int pick_fd(enum kind want)
{
	switch (below(20)) {
	case 0: return -1;
	case 1: return 1000 + below(100);		/* not open */
	case 2: return (int)r64();
	case 3: case 4: return pool[below(POOL)].fd;
	default: return pick(want)->fd;
	}
}

static uint32_t fuzz_fd_field(enum kind want)
{
	if (chance(10))
		return KIPC_NO_FD;
	return (uint32_t)pick_fd(want);
}

/* A user pointer: valid, NULL, unmapped, kernel, or at a page's edge. */
static uint64_t fuzz_ptr(void *good, size_t len)
{
	switch (below(24)) {
	case 0: return 0;
	case 1: return 0xdead0000ULL;
	case 2: return 0xffff888000000000ULL + below(1 << 20) * 8;
	case 3: return (uintptr_t)(arena + 2 * PG - (len ? below(len) + 1 : 1));
	case 4: return (uintptr_t)(arena + PG);
	case 5: return r64();
	default: return (uintptr_t)good;
	}
}

static uint32_t fuzz_size(uint32_t size, uint32_t ver0)
{
	switch (below(20)) {
	case 0: return 0;
	case 1: return ver0 - 1 - below(ver0);
	case 2: return ver0;
	case 3: return size + 8 * (1 + below(8));
	case 4: return PG;
	case 5: return PG + 1 + below(PG);
	case 6: return (uint32_t)r64();
	default: return size;
	}
}

static uint64_t fuzz_u64(uint64_t good)
{
	switch (below(16)) {
	case 0: return 0;
	case 1: return r64();
	case 2: return ~0ULL;
	case 3: return good + 1;
	case 4: return good ^ (1ULL << below(64));
	case 5: return (uint64_t)PG << below(40);
	default: return good;
	}
}

static uint32_t fuzz_flags(uint32_t good, uint32_t valid)
{
	if (chance(85))
		return good;
	return chance(50) ? (good | (1U << below(32))) : (uint32_t)r64();
}

static struct slot *region_of_pool(void)
{
	return pick(K_REGION);
}

/* Fill the message array and its buffer references for a send or recv. */
static uint64_t build_msgs(uint32_t nr, uint32_t msg_size, struct slot *reg,
			   bool send)
{
	static char msgbuf[8 * PG];
	struct kipc_buf_ref *refs;
	uint32_t i, j, room = sizeof(msgbuf) - 24 * sizeof(*refs) * 0;
	char *p;

	if ((uint64_t)nr * msg_size > sizeof(msgbuf) / 2)
		return fuzz_ptr(msgbuf, sizeof(msgbuf));
	(void)room;
	refs = (struct kipc_buf_ref *)(msgbuf + sizeof(msgbuf) / 2);
	for (j = 0; j < KIPC_MSG_BUFS_MAX + 1; j++) {
		uint64_t n = reg->buf_size ? reg->bytes / reg->buf_size : 1;

		refs[j].offset = chance(85) ? below(n) * (reg->buf_size ? reg->buf_size : PG)
					    : fuzz_u64(PG);
		refs[j].len = chance(85) ? below((reg->buf_size ? reg->buf_size : PG) + 1)
					 : fuzz_u64(PG);
	}
	for (i = 0; i < nr; i++) {
		struct kipc_msg m = { 0 };

		p = msgbuf + (size_t)i * msg_size;
		memset(p, chance(90) ? 0 : (int)below(256), msg_size);
		m.data_len = chance(70) ? below(send ? 512 : 65536) : (uint32_t)fuzz_u64(4096);
		m.data = fuzz_ptr(data, m.data_len);
		m.nr_bufs = chance(60) ? 0 : (chance(90) ? below(KIPC_MSG_BUFS_MAX + 1)
							  : (uint32_t)r64());
		m.bufs = fuzz_ptr(refs, sizeof(*refs) * KIPC_MSG_BUFS_MAX);
		m.tag = r64();
		if (chance(5))
			m.reserved = r64();
		if (chance(5))
			m.pid = r64();
		memcpy(p, &m, msg_size < sizeof(m) ? msg_size : sizeof(m));
	}
	return fuzz_ptr(msgbuf, (size_t)nr * msg_size);
}

/* A word offset in @reg: mostly valid, sometimes misaligned or outside. */
static uint64_t fuzz_word_offset(const struct slot *reg)
{
	uint64_t words = reg->bytes / 4;

	if (chance(85) && words)
		return 4 * below(words < 64 ? words : 64);
	return fuzz_u64(reg->bytes);
}

/* A deadline for a wait: mostly a few milliseconds ahead. */
static void fuzz_deadline(bool set, __u32 *clockid, __u64 *ns)
{
	if (!set && !chance(3))
		return;
	*clockid = chance(90) ? (chance(50) ? CLOCK_MONOTONIC : CLOCK_REALTIME)
			      : (uint32_t)r64();
	*ns = chance(80) ? dl_mono_ns() + below(5000000) : fuzz_u64(0);
}

/* Build an argument for @cmd in @a (PG bytes); return the pointer to pass. */
/*
 * The fields of each command's struct other than size, flags and
 * reserved[], which build_arg() fuzzes the same way for every command.
 */
static void fill_region_create(unsigned long cmd, char *a)
{
	struct kipc_region_create *c = (void *)a;
	uint64_t np = 1 + below(chance(90) ? 32 : 4096), div = 1 + below(np);

	while (np % div)
		div--;
	c->flags = below(4);
	c->bytes = fuzz_u64(np * PG);
	c->buf_size = chance(20) ? 0 : fuzz_u64(np / div * PG);
	if (chance(5))
		c->id = r64();
}

static void fill_channel_create(unsigned long cmd, char *a)
{
	struct kipc_channel_create *c = (void *)a;

	c->flags = below(4);
	c->depth = chance(80) ? below(64) : (uint32_t)fuzz_u64(1 << 20);
	c->max_inline = chance(80) ? below(65537) : (uint32_t)fuzz_u64(65536);
	c->region_fd = chance(50) ? KIPC_NO_FD : fuzz_fd_field(K_REGION);
	if (chance(5))
		c->reserved0 = r64();
	if (chance(5))
		c->send_fd = r64();
}

static void fill_fd_flags(unsigned long cmd, char *a)
{
	/* REGION_ATTACH and LENDQ_CREATE: flags at the same place. */
	((struct kipc_region_attach *)a)->flags = below(4);
}

static void fill_buf_release(unsigned long cmd, char *a)
{
	struct kipc_buf_release *c = (void *)a;
	struct slot *reg = region_of_pool();

	c->offset = chance(80) && reg->buf_size ?
		below(reg->bytes / reg->buf_size) * reg->buf_size :
		fuzz_u64(PG);
}

static void fill_io(unsigned long cmd, char *a)
{
	struct kipc_io *io = (void *)a;
	struct slot *reg = region_of_pool();

	io->flags = chance(70) ? KIPC_IO_NONBLOCK :
		    chance(50) ? KIPC_IO_TIMEOUT : 0;
	io->nr_msgs = chance(85) ? 1 + below(4) :
		      chance(50) ? KIPC_IO_MSGS_MAX + below(2) : (uint32_t)r64();
	io->msg_size = chance(80) ? sizeof(struct kipc_msg) :
		       chance(50) ? KIPC_MSG_SIZE_VER0 - 8 + 8 * below(4)
				  : fuzz_size(sizeof(struct kipc_msg), KIPC_MSG_SIZE_VER0);
	io->region_fd = chance(30) ? KIPC_NO_FD : (chance(90) ? (uint32_t)reg->fd
							      : fuzz_fd_field(K_REGION));
	if (io->flags & KIPC_IO_TIMEOUT || chance(3)) {
		io->clockid = chance(90) ? (chance(50) ? CLOCK_MONOTONIC : CLOCK_REALTIME)
					 : (uint32_t)r64();
		io->timeout_ns = chance(80) ? dl_mono_ns() + below(5000000)
					    : fuzz_u64(0);
	}
	io->msgs = build_msgs(io->nr_msgs > 8 ? 8 : io->nr_msgs, io->msg_size,
			      reg, cmd == KIPC_IOC_SEND);
}

static void fill_wait(unsigned long cmd, char *a)
{
	struct kipc_wait *w = (void *)a;

	w->flags = chance(80) ? KIPC_WAIT_TIMEOUT : 0;
	w->offset = fuzz_word_offset(region_of_pool());
	w->val = chance(50) ? 0 : (uint32_t)r64();
	w->bitset = chance(70) ? 0 : (uint32_t)r64();
	fuzz_deadline(w->flags & KIPC_WAIT_TIMEOUT, &w->clockid, &w->timeout_ns);
	if (chance(5))
		w->reserved0 = r64();
}

static void fill_wake(unsigned long cmd, char *a)
{
	struct kipc_wake *w = (void *)a;

	w->offset = fuzz_word_offset(region_of_pool());
	w->nr = chance(80) ? below(8) : (uint32_t)r64();
	w->bitset = chance(70) ? 0 : (uint32_t)r64();
}

static void fill_waitv(unsigned long cmd, char *a)
{
	static struct kipc_waitv_entry ents[KIPC_WAITV_MAX];
	struct kipc_waitv *wv = (void *)a;
	uint32_t i, n;

	wv->flags = chance(80) ? KIPC_WAIT_TIMEOUT : 0;
	wv->nr = chance(85) ? 1 + below(8) :
		 chance(50) ? KIPC_WAITV_MAX + below(2) : (uint32_t)r64();
	n = wv->nr < KIPC_WAITV_MAX ? wv->nr : KIPC_WAITV_MAX;
	for (i = 0; i < n; i++) {
		struct slot *reg = region_of_pool();

		ents[i].region_fd = chance(90) ? (uint32_t)reg->fd :
				    fuzz_fd_field(K_REGION);
		ents[i].offset = fuzz_word_offset(reg);
		ents[i].val = chance(50) ? 0 : (uint32_t)r64();
		ents[i].bitset = chance(70) ? 0 : (uint32_t)r64();
		ents[i].reserved = chance(3) ? (uint32_t)r64() : 0;
	}
	wv->entries = fuzz_ptr(ents, sizeof(ents[0]) * n);
	fuzz_deadline(wv->flags & KIPC_WAIT_TIMEOUT, &wv->clockid,
		      &wv->timeout_ns);
}

static void fill_requeue(unsigned long cmd, char *a)
{
	struct kipc_requeue *rq = (void *)a;
	struct slot *reg = region_of_pool();

	rq->offset = fuzz_word_offset(reg);
	rq->dst_offset = fuzz_word_offset(reg);
	rq->val = chance(50) ? 0 : (uint32_t)r64();
	rq->nr_wake = below(4);
	rq->nr_requeue = chance(80) ? below(8) : (uint32_t)r64();
	if (chance(5))
		rq->reserved0 = r64();
}

static void fill_lend_reap(unsigned long cmd, char *a)
{
	static struct kipc_lend_completion comps[16];
	struct kipc_lend_reap *c = (void *)a;

	c->nr_comps = chance(80) ? below(17) : (uint32_t)r64();
	c->comps = fuzz_ptr(comps, sizeof(comps));
}

/* A few short names, so that opens and unlinks meet. */
static uint64_t fuzz_name(void)
{
	static char names[4][KIPC_NAME_MAX + 2];
	char *name = names[below(4)];

	if (chance(90))
		snprintf(name, sizeof(names[0]), "kipc-fuzz-%u",
			 (unsigned int)below(8));
	else
		memset(name, 'n', sizeof(names[0]) - 1);
	return fuzz_ptr(name, strlen(name) + 1);
}

static void fill_name_open(unsigned long cmd, char *a)
{
	struct kipc_name_open *no = (void *)a;

	no->flags = chance(50) ? KIPC_NAME_CREATE |
		    (chance(50) ? KIPC_NAME_EXCL : 0) : 0;
	no->name = fuzz_name();
	if (no->flags & KIPC_NAME_CREATE) {
		no->fd = fuzz_fd_field(chance(40) ? K_REGION :
				       chance(50) ? K_SEND : K_SERVICE);
		no->mode = chance(90) ? 0600 : (uint32_t)r64();
	} else {
		no->fd = chance(90) ? KIPC_NO_FD : (uint32_t)r64();
	}
}

static void fill_name_unlink(unsigned long cmd, char *a)
{
	((struct kipc_name_unlink *)a)->name = fuzz_name();
}

static void fill_service_create(unsigned long cmd, char *a)
{
	struct kipc_service_create *c = (void *)a;

	c->flags = below(4);
	c->backlog = chance(80) ? below(8) : (uint32_t)fuzz_u64(4096);
	c->depth = chance(80) ? below(64) : (uint32_t)fuzz_u64(1 << 20);
	c->max_inline = chance(80) ? below(4097) : (uint32_t)fuzz_u64(65536);
	c->region_fd = chance(60) ? KIPC_NO_FD : fuzz_fd_field(K_REGION);
	if (chance(5))
		c->id = r64();
}

/* CONNECT and ACCEPT: mostly without waiting, sometimes briefly. */
static void fill_connect(unsigned long cmd, char *a)
{
	struct kipc_connect *c = (void *)a;

	c->flags = below(4) | (chance(80) ? KIPC_CONN_NONBLOCK : KIPC_CONN_TIMEOUT);
	c->name = fuzz_name();
	fuzz_deadline(c->flags & KIPC_CONN_TIMEOUT, &c->clockid, &c->timeout_ns);
	if (chance(5))
		c->reserved0 = r64();
	if (chance(5))
		c->send_fd = r64();
}

static void fill_accept(unsigned long cmd, char *a)
{
	struct kipc_accept *c = (void *)a;

	c->flags = below(4) | (chance(80) ? KIPC_CONN_NONBLOCK : KIPC_CONN_TIMEOUT);
	fuzz_deadline(c->flags & KIPC_CONN_TIMEOUT, &c->clockid, &c->timeout_ns);
	if (chance(5))
		c->reserved1 = r64();
}

/* CALL: one message each way; the receive always waits, so with a deadline. */
static void fill_call(unsigned long cmd, char *a)
{
	struct kipc_call *c = (void *)a;
	struct slot *reg = region_of_pool();

	c->flags = KIPC_IO_TIMEOUT | (chance(50) ? KIPC_IO_NONBLOCK : 0);
	c->msg_size = chance(90) ? sizeof(struct kipc_msg) :
		      (uint32_t)fuzz_u64(sizeof(struct kipc_msg));
	c->send_msg = chance(20) ? 0 : build_msgs(1, c->msg_size, reg, true);
	c->recv_msg = build_msgs(1, c->msg_size, reg, false);
	c->recv_fd = fuzz_fd_field(K_RECV);
	c->region_fd = chance(50) ? KIPC_NO_FD : fuzz_fd_field(K_REGION);
	fuzz_deadline(true, &c->clockid, &c->timeout_ns);
	if (chance(5))
		c->sent = r64();
}

/*
 * One ioctl as the fuzzer builds its argument: the file it targets, the
 * struct's size and first published size, where its flags (NO_FLAGS: none)
 * and reserved[] are, the flags that are valid, and the filler of the rest.
 */
#define NO_FLAGS	((size_t)-1)
struct arg_def {
	unsigned long cmd;
	enum kind target;
	uint32_t size, ver0;
	size_t flags_off;
	uint32_t valid;
	size_t reserved_off, reserved_len;
	void (*fill)(unsigned long cmd, char *a);
};

#define ARG(_CMD, _type, _target, _valid, _fill)			\
	{ KIPC_IOC_##_CMD, _target, sizeof(struct _type),		\
	  KIPC_##_CMD##_SIZE_VER0, offsetof(struct _type, flags), _valid, \
	  offsetof(struct _type, reserved),				\
	  sizeof(((struct _type *)0)->reserved), _fill }
#define KIPC_SEND_SIZE_VER0	KIPC_IO_SIZE_VER0
#define KIPC_RECV_SIZE_VER0	KIPC_IO_SIZE_VER0

static const struct arg_def arg_defs[] = {
	{ KIPC_IOC_VERSION, K_CTX, sizeof(struct kipc_version),
	  KIPC_VERSION_SIZE_VER0, NO_FLAGS, 0,
	  offsetof(struct kipc_version, reserved),
	  sizeof(((struct kipc_version *)0)->reserved), NULL },
	ARG(REGION_CREATE, kipc_region_create, K_CTX, 3, fill_region_create),
	ARG(CHANNEL_CREATE, kipc_channel_create, K_CTX, 3, fill_channel_create),
	ARG(REGION_ATTACH, kipc_region_attach, K_REGION, 3, fill_fd_flags),
	ARG(BUF_ALLOC, kipc_buf_alloc, K_REGION, 0, NULL),
	ARG(BUF_RELEASE, kipc_buf_release, K_REGION, 0, fill_buf_release),
	ARG(REGION_INFO, kipc_region_info, K_REGION, 0, NULL),
	ARG(SEND, kipc_io, K_SEND, 3, fill_io),
	ARG(RECV, kipc_io, K_RECV, 3, fill_io),
	ARG(WAIT, kipc_wait, K_REGION, 1, fill_wait),
	ARG(WAKE, kipc_wake, K_REGION, 0, fill_wake),
	ARG(WAITV, kipc_waitv, K_CTX, 1, fill_waitv),
	ARG(REQUEUE, kipc_requeue, K_REGION, 0, fill_requeue),
	ARG(LENDQ_CREATE, kipc_lendq_create, K_CTX, 3, fill_fd_flags),
	/* Lend queues are not pooled: mostly the wrong kind of fd. */
	ARG(LEND_REAP, kipc_lend_reap, K_OTHER, 0, fill_lend_reap),
	ARG(NAME_OPEN, kipc_name_open, K_CTX,
	    KIPC_NAME_CREATE | KIPC_NAME_EXCL | 3, fill_name_open),
	ARG(NAME_UNLINK, kipc_name_unlink, K_CTX, 0, fill_name_unlink),
	ARG(SERVICE_CREATE, kipc_service_create, K_CTX, 3, fill_service_create),
	ARG(CONNECT, kipc_connect, K_CTX,
	    3 | KIPC_CONN_NONBLOCK | KIPC_CONN_TIMEOUT, fill_connect),
	ARG(ACCEPT, kipc_accept, K_SERVICE,
	    3 | KIPC_CONN_NONBLOCK | KIPC_CONN_TIMEOUT, fill_accept),
	ARG(CALL, kipc_call, K_SEND, KIPC_IO_NONBLOCK | KIPC_IO_TIMEOUT,
	    fill_call),
};

static const struct arg_def *arg_def_of(unsigned long cmd)
{
	size_t i;

	for (i = 0; i < sizeof(arg_defs) / sizeof(arg_defs[0]); i++)
		if (arg_defs[i].cmd == cmd)
			return &arg_defs[i];
	return NULL;
}

static void *build_arg(unsigned long cmd, char *a, enum kind *target)
{
	const struct arg_def *d = arg_def_of(cmd);
	uint32_t *flags;

	memset(a, 0, PG);
	if (chance(3) || !d) {	/* pure garbage */
		size_t i;

		for (i = 0; i < 128; i += 8)
			*(uint64_t *)(a + i) = r64();
		return a;
	}
	*target = d->target;
	*(uint32_t *)a = fuzz_size(d->size, d->ver0);
	if (d->fill)
		d->fill(cmd, a);
	if (d->flags_off != NO_FLAGS) {
		flags = (uint32_t *)(a + d->flags_off);
		*flags = fuzz_flags(*flags, d->valid);
	}
	/* A non-zero reserved word, in any of its slots. */
	if (chance(5))
		*(uint32_t *)(a + d->reserved_off +
			      4 * below(d->reserved_len / 4)) = 1 | r64();
	/* Sometimes the whole struct straddles the unmapped page. */
	if (chance(3)) {
		size_t n = *(uint32_t *)a;
		char *edge;

		n = n > PG ? 64 : n;
		edge = arena + PG - (n ? below(n) + 1 : 1);
		memmove(edge, a, arena + PG - edge);
		return edge;
	}
	return chance(1) ? (void *)(uintptr_t)fuzz_ptr(a, 64) : a;
}

static unsigned long fuzz_cmd(unsigned long cmd)
{
	switch (below(40)) {
	case 0: return cmd ^ (1UL << (16 + below(14)));		/* size bits */
	case 1: return (cmd & ~(3UL << 30)) | (below(4) << 30);	/* direction */
	case 2: return (cmd & ~0xffUL) | below(256);		/* number */
	case 3: return (cmd & ~0xff00UL) | (below(256) << 8);	/* type */
	case 4: return (uint32_t)r64();
	default: return cmd;
	}
}

static void track_result(unsigned long cmd, enum kind target, const char *a,
			 int fd, int r)
{
	if (r < 0)
		return;
	if (cmd == KIPC_IOC_REGION_CREATE && a != NULL) {
		const struct kipc_region_create *c = (const void *)a;

		pool_add(r, K_REGION, c->bytes, c->buf_size);
	} else if (cmd == KIPC_IOC_REGION_ATTACH) {
		struct slot *s;
		int i;

		for (i = 0, s = NULL; i < POOL; i++)
			if (pool[i].fd == fd && pool[i].kind == K_REGION)
				s = &pool[i];
		pool_add(r, K_REGION, s ? s->bytes : 0, s ? s->buf_size : 0);
	} else if (cmd == KIPC_IOC_CHANNEL_CREATE && a != NULL) {
		const struct kipc_channel_create *c = (const void *)a;

		pool_add(c->send_fd, K_SEND, 0, 0);
		pool_add(c->recv_fd, K_RECV, 0, 0);
	} else if (cmd == KIPC_IOC_SERVICE_CREATE) {
		pool_add(r, K_SERVICE, 0, 0);
	} else if (cmd == KIPC_IOC_CONNECT && a != NULL) {
		const struct kipc_connect *c = (const void *)a;

		pool_add(c->send_fd, K_SEND, 0, 0);
		pool_add(c->recv_fd, K_RECV, 0, 0);
	} else if (cmd == KIPC_IOC_ACCEPT && a != NULL) {
		const struct kipc_accept *c = (const void *)a;

		pool_add(c->send_fd, K_SEND, 0, 0);
		pool_add(c->recv_fd, K_RECV, 0, 0);
	}
}

static void side_action(void)
{
	int k = below(100);

	if (k < 40) {		/* new context */
		pool_add(dl_open(), K_CTX, 0, 0);
	} else if (k < 70) {	/* close something */
		struct slot *s = &pool[below(POOL)];

		if (s->kind != K_NONE && s->kind != K_OTHER) {
			close(s->fd);
			*s = (struct slot){ 1000 + (int)below(100), K_NONE, 0, 0 };
			st.closes++;
		}
	} else if (k < 90) {	/* map a region and touch it */
		struct slot *s = pick(K_REGION);
		uint64_t len = chance(80) && s->bytes && s->bytes <= (64 << 20) ?
			       s->bytes : (below(16) + 1) * PG;
		char *p;

		p = mmap(NULL, len, chance(80) ? PROT_READ | PROT_WRITE : PROT_READ,
			 chance(90) ? MAP_SHARED : MAP_PRIVATE, s->fd,
			 chance(80) ? 0 : below(8) * PG);
		if (p != MAP_FAILED) {
			st.maps++;
			/* Touch only what surely exists: a short region SIGBUSes. */
			if (s->kind == K_REGION && len <= s->bytes &&
			    !sigsetjmp(touch_jb, 1))
				(void)*(volatile char *)(p + below(len));
			munmap(p, len);
		}
	} else {		/* a child exits holding everything */
		pid_t pid = fork();

		if (pid == 0) {
			alarm(1);
			if (chance(50)) {
				struct slot *s = pick(K_REGION);
				struct kipc_buf_alloc ba = { .size = sizeof(ba) };

				ioctl(s->fd, KIPC_IOC_BUF_ALLOC, &ba);
			}
			_exit(0);
		}
		if (pid > 0) {
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			st.forks++;
		}
	}
}

/* A read() of a receive end or a write() of a send end, mostly. */
static void fuzz_rw(void)
{
	bool wr = chance(50);
	int fd = pick_fd(wr ? K_SEND : K_RECV);
	size_t len;
	ssize_t r;
	void *buf;

	switch (below(5)) {
	case 0: len = 0; break;
	case 1: len = below(64) + 1; break;
	case 2: len = below(65536) + 1; break;
	case 3: len = 65536 + 1 + below(PG); break;	/* above any max_inline */
	default: len = (size_t)r64(); break;
	}
	/*
	 * data holds 64 KiB, the most one message carries; an edge pointer
	 * stays within the arena's last PG bytes before its unmapped page, so
	 * a read() never lands on the fuzzer's own memory.
	 */
	buf = (void *)(uintptr_t)fuzz_ptr(data, len < PG ? len : PG);
	r = wr ? write(fd, buf, len) : read(fd, buf, len);
	st.rws++;
	if (r >= 0)
		st.rws_ok++;
}

static void fuzz_proc(int idx, uint64_t seed, unsigned long long calls)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	char *a;
	int p[2], i;
	unsigned long long n;

	rs = dl_seed(seed, idx);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: blocking calls end */
	setitimer(ITIMER_REAL, &it, NULL);
	sa.sa_handler = on_fault;
	sigaction(SIGBUS, &sa, NULL);	/* a stale fd: a smaller region */
	arena = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(arena + PG, PG, PROT_NONE);
	data = malloc(65536);
	a = aligned_alloc(PG, PG);
	memset(data, 0x3c, 65536);
	for (i = 0; i < POOL; i++)
		pool[i] = (struct slot){ 1000 + i, K_NONE, 0, 0 };
	pool_add(dl_open(), K_CTX, 0, 0);
	pool_add(dl_open(), K_CTX, 0, 0);
	if (pipe(p) == 0) {
		pool[0] = (struct slot){ p[0], K_OTHER, 0, 0 };
		pool[1] = (struct slot){ p[1], K_OTHER, 0, 0 };
	}
	pool[2] = (struct slot){ open("/dev/null", O_RDWR), K_OTHER, 0, 0 };
	pool[3] = (struct slot){ eventfd(0, 0), K_OTHER, 0, 0 };

	for (n = 0; n < calls; n++) {
		unsigned long base = cmds[below(NR_CMDS)], cmd;
		enum kind target = K_CTX;
		void *arg;
		int fd, r;

		if (chance(2))
			side_action();
		if (chance(5))
			fuzz_rw();
		arg = build_arg(base, a, &target);
		cmd = fuzz_cmd(base);
		fd = pick_fd(target);
		r = dl_ioctl(fd, cmd, arg);
		st.calls++;
		st.by_cmd[_IOC_NR(base) & 0xf]++;
		st.errno_hist[r < 0 && -r < 160 ? -r : 0]++;
		if (r >= 0)
			st.ok++;
		if (cmd == base && arg == a)
			track_result(base, target, a, fd, r);
	}
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
}

int shared_main(int argc, char **argv);

int main(int argc, char **argv)
{
	unsigned long long calls = 100000, total = 0, ok = 0, forks = 0, maps = 0,
			   rws = 0, rws_ok = 0;
	uint64_t seed = 1;
	int procs = 4, i, o, fail = 0, status;
	double t0;
	struct stats *all;
	static const struct option opts[] = {
		{ "calls", 1, 0, 'n' }, { "procs", 1, 0, 'p' },
		{ "seed", 1, 0, 's' }, { 0 },
	};

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--shared"))
			return shared_main(argc, argv);
	while ((o = getopt_long(argc, argv, "n:p:s:", opts, NULL)) != -1) {
		switch (o) {
		case 'n': calls = strtoull(optarg, NULL, 0); break;
		case 'p': procs = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: kipc-fuzz [--calls N] [--procs P] [--seed S]\n"
				"       kipc-fuzz --shared [--seconds 30] [--threads 3] "
				"[--seed S] [--fault-pct 10]\n");
			return 2;
		}
	}
	if (procs < 1)
		procs = 1;
	all = mmap(NULL, sizeof(*all) * procs, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	printf("kipc-fuzz: seed %llu, %d processes, %llu ioctls\n",
	       (unsigned long long)seed, procs, calls);
	fflush(stdout);
	t0 = dl_now();
	for (i = 0; i < procs; i++) {
		if (fork() == 0) {
			fuzz_proc(i, seed, calls / procs + (i < (int)(calls % procs)));
			all[i] = st;
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "kipc-fuzz: a fuzzing process died (status %#x)\n",
				status);
			fail = 1;
		}
	for (i = 0; i < procs; i++) {
		total += all[i].calls;
		ok += all[i].ok;
		forks += all[i].forks;
		maps += all[i].maps;
		rws += all[i].rws;
		rws_ok += all[i].rws_ok;
	}
	printf("kipc-fuzz: %llu ioctls in %.1f s (%.0f/s), %llu succeeded; "
	       "%llu mmaps, %llu forks; %llu reads and writes, %llu succeeded\n",
	       total, dl_now() - t0, total / (dl_now() - t0), ok, maps, forks,
	       rws, rws_ok);
	printf("kipc-fuzz: errno histogram:");
	for (o = 0; o < 160; o++) {
		unsigned long long c = 0;

		for (i = 0; i < procs; i++)
			c += all[i].errno_hist[o];
		if (c)
			printf(" %s=%llu", o ? strerrorname_np(o) : "ok", c);
	}
	printf("\n");
	if (total != calls)
		fail = 1;
	printf("kipc-fuzz: %s\n", fail ? "FAIL" : "PASS");
	return fail;
}
