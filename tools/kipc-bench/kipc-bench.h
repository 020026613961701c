/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc-bench: shared declarations.
 *
 * A benchmark row is one (test, mechanism, mode, size).  The harness forks
 * two processes per row: side 0 (the parent) drives the test and takes the
 * timings, side 1 (the child) echoes or drains.  Mechanisms only move
 * messages; everything else lives in the harness, so only the transport
 * changes between rows.
 */
#ifndef KIPC_BENCH_H
#define KIPC_BENCH_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <kipc_rpc.h>	/* libkipc/include: the protocol's wire header */

#define KB_SCHEMA	"kipc-bench/1"
#ifndef KB_VERSION
#define KB_VERSION	"standalone"	/* the top-level Makefile passes VERSION */
#endif
#define KB_PAGE		4096	/* the page size the per-page figure counts */

#define KB_MIN_SIZE	8		/* the sequence number */
#define KB_MAX_SIZE	(1ULL << 30)
#define KB_MAX_CPUS	2

#define BIT(n)		(1U << (n))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum kb_test {
	KB_LATENCY,		/* ping-pong round trip */
	KB_THROUGHPUT,		/* one-way stream */
	KB_WAKE,		/* sender's send to receiver's wake-up */
	KB_FANOUT,		/* one wake of N sleepers on one word */
	KB_RPC,			/* a call: request and reply, kipc protocol */
	KB_NR_TESTS,
	KB_REFERENCE = KB_NR_TESTS,	/* memcpy and null system call rows */
};

enum kb_mode {
	KB_BLOCKING,		/* sleep in the kernel until a message comes */
	KB_BUSY_POLL,		/* never sleep: retry a non-blocking receive */
	KB_SPIN_BLOCK,		/* poll for --spin-us, then sleep */
	KB_NR_MODES,
};

enum kb_status {
	KB_OK,
	KB_SKIPPED,
	KB_FAILED,
};

#define KB_ALL_TESTS	(BIT(KB_LATENCY) | BIT(KB_THROUGHPUT) | BIT(KB_WAKE))
#define KB_ALL_MODES	(BIT(KB_BLOCKING) | BIT(KB_BUSY_POLL) | \
			 BIT(KB_SPIN_BLOCK))

struct kb_chan;

/*
 * The rpc test: a call is a request of the row's size (a struct
 * kipc_rpc_hdr of KIPC_RPC_HDR_LEN bytes, then its payload) and a reply of
 * KB_RPC_REPLY bytes (the header and KB_RPC_REPLY - KIPC_RPC_HDR_LEN bytes
 * of payload), whatever the request's size.
 */
#define KB_RPC_REPLY	64
#define KB_RPC_METHOD	1	/* the method id every call names */

/**
 * struct kb_rpc_msg - one message of the rpc test, as laid out in memory.
 * @hdr:	its header
 * @payload:	its payload: right after @hdr, or elsewhere (@apart)
 * @len:	payload bytes
 * @apart:	the payload is not in the message's inline bytes (kipc-rpc's
 *		region buffer): hdr->payload_len, inline payload only, is 0
 */
struct kb_rpc_msg {
	struct kipc_rpc_hdr *hdr;
	void *payload;
	size_t len;
	bool apart;
};

/*
 * rpc, side 1, a server's loop: check the request payload @req of @len
 * bytes, write the reply's payload at @rep (room for KB_RPC_REPLY -
 * KIPC_RPC_HDR_LEN bytes) and its length in *@rep_len.  1: answer, that
 * was the last call; 0: answer and go on; a negative errno: stop, the row
 * failed.
 */
typedef int (*kb_rpc_answer_fn)(void *arg, const void *req, size_t len,
				void *rep, size_t *rep_len);

/**
 * struct kb_mech - one IPC mechanism: the row of the mechanism table.
 * @name:	short stable name, for scripts
 * @desc:	one line for `kipc-bench list`
 * @tests:	BIT(enum kb_test) of the tests it can run
 * @modes:	BIT(enum kb_mode) of the receive modes it supports; the first
 *		set bit is its default mode
 * @max_size:	largest message it carries, 0 if none but memory
 * @available:	probe; 0, or -errno with a reason written to @why
 * @setup:	before fork: create the channel for c->size bytes.  -EMSGSIZE
 *		or -ENOSPC means "too large here", -EOPNOTSUPP "not here"
 *		(a module without the feature), and skips the row.
 * @attach:	after fork, in each process (c->side, c->peer set); optional
 * @teardown:	in each process after the run; side 0 runs last and removes
 *		every name.  Called whenever @setup succeeded.
 * @tx_buf:	optional: where the sender builds the next message (may wait
 *		until that buffer is free).  Default: a private buffer.
 * @send:	send @len bytes at @buf to the peer; 0 or -errno
 * @recv:	receive one message of @len bytes; point *@data at it.  With
 *		@nonblock, return -EAGAIN if none has started to arrive.
 * @recv_done:	optional: the receiver is finished with *@data; 0 or -errno
 * @exchange:	optional, latency test, blocking mode: send @len bytes at
 *		@buf, then wait for the peer's message of @len bytes and point
 *		*@data at it, in one step (kipc-call: one KIPC_IOC_CALL).  The
 *		harness uses it for both halves of a round trip.
 * @rpc_buf:	optional, rpc, side 0: lay out the next request, pointing
 *		@req->hdr and @req->payload where the harness builds it (may
 *		wait for a free buffer; sets @req->apart).  Default: a private
 *		buffer holding the header, then the payload.
 * @call:	rpc, side 0: send the request @req and wait for its reply;
 *		point @rep at the reply.  0 or -errno.
 * @serve:	rpc, side 1: send the reply @rep (NULL: none, before the
 *		first request), then, unless @req is NULL (the last reply),
 *		wait for the next request and point @req at it.  0 or -errno.
 * @serve_all:	rpc, side 1, instead of @serve: a server that runs its own
 *		loop (a library's) and calls @answer for every request until
 *		@answer returns 1 (that call was the last, answer it and
 *		return 0) or a negative errno (return it).
 * @own_header:	rpc: the mechanism writes and checks the protocol header
 *		itself (a library's RPC); @call and @answer see payloads, and
 *		@call points @rep->hdr at NULL.
 * @ping:	a probe (latency; mech-probe.c), side 0: @n round
 *		trips of c->size bytes as a bare loop of the primitive's
 *		calls, which the harness times as one block; 0 or -errno.
 *		A probe has no @send or @recv.
 * @pong:	a probe, side 1: answer @n round trips; 0 or -errno
 * @kick:	optional, side 0: make a wait that began after the last test
 *		of kb_abort return at once (a probe whose wait no dead peer
 *		ends: an eventfd, a futex). The handler of the signal that
 *		sets kb_abort (SIGCHLD, the watchdog's SIGALRM) calls it, so
 *		it must be async-signal-safe.
 */
struct kb_mech {
	const char *name;
	const char *desc;
	unsigned int tests;
	unsigned int modes;
	size_t max_size;
	bool named_only;	/* runs only when -m names it */
	int (*available)(char *why, size_t len);
	int (*setup)(struct kb_chan *c);
	int (*attach)(struct kb_chan *c);
	void (*teardown)(struct kb_chan *c);
	void *(*tx_buf)(struct kb_chan *c);
	int (*send)(struct kb_chan *c, const void *buf, size_t len);
	int (*recv)(struct kb_chan *c, const void **data, size_t len,
		    bool nonblock);
	int (*recv_done)(struct kb_chan *c);
	int (*exchange)(struct kb_chan *c, const void *buf, size_t len,
			const void **data);
	int (*rpc_buf)(struct kb_chan *c, struct kb_rpc_msg *req);
	int (*call)(struct kb_chan *c, const struct kb_rpc_msg *req,
		    struct kb_rpc_msg *rep);
	int (*serve)(struct kb_chan *c, const struct kb_rpc_msg *rep,
		     struct kb_rpc_msg *req);
	int (*serve_all)(struct kb_chan *c, kb_rpc_answer_fn answer,
			 void *arg);
	bool own_header;
	int (*ping)(struct kb_chan *c, uint64_t n);
	int (*pong)(struct kb_chan *c, uint64_t n);
	void (*kick)(struct kb_chan *c);
};

/**
 * struct kb_chan - one channel between the two processes of a row.
 * @mech:	its mechanism
 * @test:	the row's test (setup may size the channel for it)
 * @mode:	receive mode of the row
 * @size:	message size in bytes
 * @side:	0 in the parent, 1 in the child
 * @peer:	the other process
 * @priv:	the mechanism's state, allocated by @setup
 * @touch:	--touch: every byte of every message is written and read
 * @timeout:	--timeout in seconds, for mechanisms that wait in a library
 * @spin_ns:	--spin-us, for a probe's own spin-block loop
 * @why:	what failed, set with kb_fail()
 * @note:	optional, set by setup: how the row was set up, when it
 *		differs from the mechanism's usual (JSON "note")
 */
struct kb_chan {
	const struct kb_mech *mech;
	enum kb_test test;
	enum kb_mode mode;
	size_t size;
	int side;
	pid_t peer;
	void *priv;
	bool touch;
	size_t pool_for;	/* pools hold as many buffers as at this size */
	unsigned int timeout;
	uint64_t spin_ns;
	char why[160];
	char note[160];
};

/* mech.c: the mechanism table */
extern const struct kb_mech *const kb_mechs[];
extern const size_t kb_nr_mechs;
const struct kb_mech *kb_mech_find(const char *name);
enum kb_mode kb_mech_default_mode(const struct kb_mech *m);

/* Mechanism families, one file each */
extern const struct kb_mech kb_mech_pipe, kb_mech_fifo, kb_mech_vmsplice;
extern const struct kb_mech kb_mech_unix_stream, kb_mech_unix_dgram;
extern const struct kb_mech kb_mech_unix_seqpacket, kb_mech_tcp;
extern const struct kb_mech kb_mech_sysv_msg, kb_mech_sysv_shm;
extern const struct kb_mech kb_mech_posix_mq, kb_mech_posix_shm;
extern const struct kb_mech kb_mech_futex_shared;
extern const struct kb_mech kb_mech_cma, kb_mech_cma_read;
extern const struct kb_mech kb_mech_eventfd, kb_mech_signal;
extern const struct kb_mech kb_mech_spin_ring;
extern const struct kb_mech kb_mech_probe_pipe, kb_mech_probe_unix;
extern const struct kb_mech kb_mech_probe_eventfd, kb_mech_probe_futex;
extern const struct kb_mech kb_mech_probe_spin_ring;
extern const struct kb_mech kb_mech_kipc_inline, kb_mech_kipc_rw;
extern const struct kb_mech kb_mech_kipc_rw_nostats, kb_mech_kipc_rw_nopoll;
extern const struct kb_mech kb_mech_kipc_call;
extern const struct kb_mech kb_mech_kipc_region;
extern const struct kb_mech kb_mech_kipc_lend;
extern const struct kb_mech kb_mech_kipc_wait, kb_mech_futex_region;
extern const struct kb_mech kb_mech_kipc_ring;
extern const struct kb_mech kb_mech_dbus, kb_mech_kipc_rpc, kb_mech_kipc_rpc_lib;
int kb_kipc_probe(char *why, size_t len, uint64_t need);
/* Built without libkipc, kipc's rows' available() and setup() (mech-kipc.c) */
int kb_kipc_unbuilt(char *why, size_t len);
int kb_kipc_nosetup(struct kb_chan *c);
int kb_kipc_chanmem(unsigned int n);

/* Histogram (stats.c): log-linear, 32 linear buckets per power of two */
#define KB_HIST_SUB_BITS	5
#define KB_HIST_SUB		(1U << KB_HIST_SUB_BITS)
#define KB_HIST_BUCKETS		((64 - KB_HIST_SUB_BITS + 1) * KB_HIST_SUB)

struct kb_hist {
	uint64_t count;
	uint64_t min;		/* picoseconds */
	uint64_t max;
	double sum;
	uint64_t bucket[KB_HIST_BUCKETS];
};

void kb_hist_init(struct kb_hist *h);
void kb_hist_add(struct kb_hist *h, double ns);
void kb_hist_merge(struct kb_hist *dst, const struct kb_hist *src);
double kb_hist_percentile(const struct kb_hist *h, double p);
uint64_t kb_hist_bucket_low(unsigned int idx);
double kb_median(double *v, unsigned int n);

/* B/A of two sets of repeats and its 95% confidence interval (stats.c) */
struct kb_interval {
	double ratio, lo, hi;
};
int kb_ratio_interval(const double *a, unsigned int na, const double *b,
		      unsigned int nb, struct kb_interval *iv);

/* CPU cost of a run, both processes */
struct kb_cpu {
	uint64_t user_ns;
	uint64_t sys_ns;
	uint64_t vcsw;
	uint64_t ivcsw;
};

/* Figures of one row, after all its repeats */
enum kb_fig {
	KB_MIN_NS, KB_MEDIAN_NS, KB_P90_NS, KB_P99_NS, KB_P999_NS,
	KB_MAX_NS, KB_MEAN_NS, KB_BYTES_PER_SEC, KB_MSGS_PER_SEC,
	KB_CPU_USER_NS, KB_CPU_SYS_NS, KB_VCSW, KB_IVCSW,
	KB_SPREAD_PCT, KB_NS_PER_PAGE, KB_NR_FIGS,
};

extern const char *const kb_fig_names[KB_NR_FIGS];

struct kb_row {
	enum kb_test test;
	const char *mech;
	enum kb_mode mode;
	bool has_mode;		/* false for reference rows */
	size_t size;
	enum kb_status status;
	char reason[192];	/* not ok: why; ok: the setup's note, or "" */
	unsigned int repeats;
	uint64_t iterations;	/* of the last repeat */
	bool has[KB_NR_FIGS];
	double fig[KB_NR_FIGS];
	struct kb_hist *hist;	/* merged over repeats, or NULL */
	double *rep_ns;		/* each repeat's time per message, or NULL */
	uint64_t cpus[2];	/* CPUs each side was seen on, over repeats */
	uint64_t wall_ns;	/* its repeats' wall time, set-up included */
};

/*
 * Where a side ran: bit N of a mask is CPU N, as sched_getcpu() sampled it
 * during the measured phase (CPU 63 and above share bit 63).
 */
void kb_cpus_seen(uint64_t *mask);
int kb_cpus_format(char *buf, size_t len, uint64_t mask, const char *sep);

/* One repeat of one row, as measured by the harness */
struct kb_run {
	uint64_t iterations;
	uint64_t messages;
	uint64_t elapsed_ns;
	struct kb_cpu cpu;
	struct kb_hist *hist;	/* per-iteration times, or NULL */
	uint64_t cpus[2];	/* CPUs each side was seen on (kb_cpus_seen) */
};

/* Options shared by the harness and the outputs */
struct kb_opts {
	unsigned int tests;		/* BIT(enum kb_test) */
	unsigned int modes;		/* 0: each mechanism's default */
	const char *mechs;		/* comma list, or NULL for all */
	size_t *sizes;
	unsigned int nr_sizes;
	bool sizes_given;
	unsigned int repeats;
	uint64_t time_ns;		/* per repeat of a row */
	uint64_t iterations;		/* fixed count, 0 = from time_ns */
	uint64_t spin_ns;		/* spin-block: spin before sleeping */
	uint64_t idle_ns;		/* wake: the sender's pause before a send */
	bool touch;
	bool no_refs;			/* --no-reference */
	unsigned int pressure_pct;	/* --memory-pressure, 0: none */
	size_t largest[KB_NR_TESTS];	/* each test's largest size */
	int inject;			/* KB_INJECT_* */
	int cpu[KB_MAX_CPUS];		/* -1: not pinned */
	unsigned int timeout;		/* seconds per repeat of a row */
	const char *json;
	const char *csv;
	const char *plot;
	int argc;
	char **argv;
};

enum {
	KB_INJECT_NONE,
	KB_INJECT_CORRUPT,	/* flip a payload byte of one message */
	KB_INJECT_DROP,		/* skip one sequence number */
};

/* Environment (env.c) */
struct kb_env {
	char kernel[128];
	char machine[65];
	char cpu_model[128];
	long cpus;
	char hypervisor[16];	/* cpuid vendor, "" on bare metal */
	char dmi_vendor[64];
	char dmi_product[64];
	char virt[32];		/* bare-metal, kvm, tcg, hyperv, ... */
	char clocksource[32];
	char date[32];
};

void kb_env_probe(struct kb_env *env);
bool kb_env_is_virtual(const struct kb_env *env);

/* harness.c */
int kb_run_row(const struct kb_opts *o, const struct kb_mech *m,
	       enum kb_test test, enum kb_mode mode, size_t size,
	       struct kb_run *run, char *why, size_t whylen);
/* fanout.c: one wake of N sleepers (the row's size) on one shared word */
enum kb_fanout_mech { KB_FANOUT_FUTEX, KB_FANOUT_KIPC, KB_NR_FANOUT };
#define KB_FANOUT_MAX	256
extern const char *const kb_fanout_mechs[KB_NR_FANOUT];
int kb_run_fanout(enum kb_fanout_mech mech, size_t n, struct kb_run *run,
		  char *why, size_t len);

/* reference.c: rows that involve no IPC */
struct kb_ref {
	const char *name;
	const char *desc;
	bool sized;		/* one row per message size */
	void (*op)(void *dst, const void *src, size_t size);
};

extern const struct kb_ref kb_refs[];
extern const size_t kb_nr_refs;
int kb_run_reference(const struct kb_opts *o, const struct kb_ref *ref,
		     size_t size, struct kb_run *run, char *why, size_t len);
int kb_pin(int cpu);
void kb_cpu_now(struct kb_cpu *cpu);
void kb_cpu_add_since(struct kb_cpu *acc, const struct kb_cpu *start);

/* msg.c: payload, sequence numbers and --touch */
void kb_msg_fill(void *buf, size_t size, uint64_t seq, bool touch);
int kb_msg_check(const void *buf, size_t size, uint64_t seq, bool touch,
		 char *why, size_t len);

/* util.c */
uint64_t kb_now_ns(void);
int kb_parse_size(const char *s, size_t *out);
int kb_parse_u64(const char *s, uint64_t *out);
void kb_format_size(char *buf, size_t len, size_t size);
void *kb_map(size_t len);
void kb_unmap(void *p, size_t len);
int kb_write_all(int fd, const void *buf, size_t len);
int kb_read_all(int fd, void *buf, size_t len, bool nonblock);
int kb_set_nonblock(int fd, bool on);
int kb_wait_fd(int fd, short events);
int kb_tmpname(char *buf, size_t len, const char *what);
FILE *kb_open_out(const char *path);
int kb_close_out(FILE *f, const char *path);
void kb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kb_err(int err, char *why, size_t len, const char *what);
extern volatile int kb_abort;

/* Record in the channel which call failed; returns @err (a -errno). */
static inline int kb_fail(struct kb_chan *c, int err, const char *what)
{
	return kb_err(err, c->why, sizeof(c->why), what);
}

static inline void kb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Shared-memory acquire/release helpers */
#define kb_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define kb_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

/*
 * mech-fd.c: a channel made of file descriptors, shared by the pipe, socket
 * and eventfd families.  Side s receives on fd[s][KB_RX] and sends on
 * fd[s][KB_TX]; a descriptor may appear in several slots.
 */
enum { KB_RX, KB_TX };

struct kb_fdchan {
	int fd[2][2];
	void *rx;		/* receive buffer of c->size bytes */
	bool dgram;		/* one read() is one message */
};

struct kb_fdchan *kb_fdchan_alloc(struct kb_chan *c, size_t privsize,
				  bool dgram);
int kb_fdchan_attach(struct kb_chan *c);
void kb_fdchan_teardown(struct kb_chan *c);
int kb_fdchan_send(struct kb_chan *c, const void *buf, size_t len);
int kb_fdchan_recv(struct kb_chan *c, const void **data, size_t len,
		   bool nonblock);

/* mech-futex.c: a one-slot mailbox with a futex doorbell, in shared memory */
struct kb_mbox {
	uint32_t full;		/* 0 empty, 1 full: the futex word */
	uint32_t waiters;	/* processes asleep, or about to sleep, on @full */
	uint64_t len;
} __attribute__((aligned(64)));

/*
 * How a mailbox sleeps on its word and wakes the sleepers: @wait sleeps
 * while *@word is @val (0, or -errno: -EAGAIN and -EINTR are retried),
 * @wake wakes all (0 or -errno).  kb_futex_bell uses the futex system call;
 * kipc-wait has one of kipc_wait() and kipc_wake() (mech-kipc-wait.c).
 */
struct kb_bell {
	int (*wait)(void *priv, uint32_t *word, uint32_t val);
	int (*wake)(void *priv, uint32_t *word);
	void *priv;
};

extern const struct kb_bell kb_futex_bell;

int kb_word_wait(uint32_t *word, uint32_t *waiters, uint32_t busy,
		 bool nonblock, const struct kb_bell *bell);
int kb_word_set(uint32_t *word, uint32_t *waiters, uint32_t val,
		const struct kb_bell *bell);
void kb_mbox_init(struct kb_mbox *mb);
int kb_mbox_wait(struct kb_mbox *mb, uint32_t want, bool nonblock,
		 const struct kb_bell *bell);
int kb_mbox_set(struct kb_mbox *mb, uint32_t val, const struct kb_bell *bell);

/* names.c and the outputs */
const char *kb_test_name(enum kb_test t);
const char *kb_mode_name(enum kb_mode m);
const char *kb_status_name(enum kb_status s);
int kb_test_parse(const char *name);
int kb_mode_parse(const char *name);
void kb_names_join(char *buf, size_t len, unsigned int bits, bool modes);
void kb_row_finish(struct kb_row *r, const struct kb_run *runs,
		   unsigned int n);
void kb_table_header(FILE *f);
void kb_table_row(FILE *f, const struct kb_row *r);
int kb_json_write(const char *path, const struct kb_opts *o,
		  const struct kb_env *env, const struct kb_row *rows,
		  size_t nr);
int kb_csv_write(const char *path, const struct kb_env *env,
		 const struct kb_row *rows, size_t nr);
int kb_plot_write(const char *dir, const struct kb_row *rows, size_t nr);
int kb_compare(const char *a, const char *b);
pid_t kb_pressure_start(unsigned int pct, uint64_t *held);
int kb_pressure_stop(pid_t pid);

#endif /* KIPC_BENCH_H */
