// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-fuzz --shared: the race mode of kipc-fuzz. A small set of objects
 * is made once and then acted on at the same time by T threads in each of
 * two processes (the child is forked after the objects exist, so both act
 * on the SAME region, channels, names and words):
 *
 *   R    a region with a pool of 16 one-page buffers; its creator handle
 *        is shared by both processes, and each process attaches 2 more
 *        handles that its threads close and reopen (NAME_OPEN of R's name,
 *        or REGION_ATTACH) while the others use them
 *   W    a plain region of one page whose words are waited on and woken
 *   3 channels bound to R (depth 4), whose ends are dup'ed, closed,
 *        reopened by name, and replaced by fresh channels in per-process
 *        slots while other threads send, receive, read() and write()
 *   lend queues (2 per process), closed and reopened
 *   4 names, published, opened and unlinked concurrently
 *   S    a service (unbound) made before the fork under a name of its own:
 *        both processes connect to it, accept on it or on listeners they
 *        reopen by name, call on the ends they hold and close them, while
 *        faulty pointers make accepts fail to hand their connection over
 *   temporary regions and channels created and closed while other threads
 *   dump regions and channels over netlink
 *
 * Odd-numbered threads inject faults: a fraction (--fault-pct) of their
 * pointers are NULL, in an unmapped page, straddle into one, or point to a
 * read-only page where the kernel must write (RECV's messages, buffer and
 * lend arrays, the ioctl struct itself).
 *
 * What it checks from user space, and fails on (exit 1):
 *   - a buffer offset from BUF_ALLOC or RECV that is outside the pool or
 *     not a multiple of buf_size, or that a live handle still holds (a
 *     shadow table of claims in shared memory: a thread claims a buffer
 *     once BUF_ALLOC or RECV gave it to a handle, and drops the claim
 *     before it releases or sends it; a handle's claims die with it)
 *   - REGION_INFO with nr_free + nr_owned + nr_in_flight > nr_bufs
 *   - at the end, with every thread stopped: nr_free + sum(nr_owned) +
 *     nr_in_flight == nr_bufs, each handle owning at least its claims,
 *     every claimed buffer releasable; once both processes closed
 *     everything, every buffer free and none in flight
 *   - wake-ups: the waiters WAKE and REQUEUE report woken on the counted
 *     words equal the WAIT/WAITV calls that returned woken on them
 *   - lending: each lent range completes once, with its address and
 *     length; none completes twice or unknown; at the end, with every
 *     receiver unmapped and every channel closed, none is outstanding
 *   - netlink dumps showing R with impossible counts
 * Kernel reports (KASAN, KCSAN, lockdep) are the runner's business.
 *
 * Each thread draws from a PRNG seeded with (--seed, process, thread): its
 * sequence of choices is reproducible, the interleaving is not.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <kipc.h>

#include "dl.h"

#define PG		4096
#define NBUF		16		/* buffers of R */
#define KH		2		/* attached R handle slots per process */
#define KW		2		/* W handle slots per process */
#define NCH		3		/* channels made before the fork */
#define NSLOT		4		/* send and receive end slots per process */
#define NLQ		2		/* lend queue slots per process */
#define NNAME		4
#define MAXT		16
#define NWORD		8		/* words 0-3 counted, 4-7 not */
#define NCOUNTED	4
#define MAXCHAN		4096
#define MAXCOOKIE	(1 << 16)
#define MAXMAP		256

/* Fixed descriptor numbers: a slot is replaced with dup2(), never left
 * closed (a closed slot is dup2(placeholder)), so a number never points to
 * an object of another kind. */
enum {
	FD_CTX = 100, FD_PLACE, FD_H0, FD_W0, FD_HCHECK,
	FD_HSLOT = 110,			/* +KH */
	FD_WSLOT = 115,			/* +KW */
	FD_SORIG = 120, FD_RORIG = 125,	/* +NCH */
	FD_SSLOT = 130, FD_RSLOT = 140,	/* +NSLOT */
	FD_LQ = 150,			/* +NLQ */
	FD_SVC = 160, FD_LSLOT = 161,	/* +NLS */
	FD_CSEND = 170, FD_CRECV = 175,	/* client ends, +NCONN */
	FD_ASEND = 180, FD_ARECV = 185,	/* accepted ends, +NCONN */
};
#define NLS		2		/* listener slots per process */
#define NCONN		3		/* connection slots per process and side */

/* The last attached slot of each process is the "wild" handle: its buffers
 * are not claimed, and buffers are released blind through it only. */
#define WILD_FD		(FD_HSLOT + KH - 1)
#define CLAIM_WILD	(1ULL << 63)

struct shared {
	_Atomic uint64_t claim[NBUF];
	_Atomic uint32_t wild_moves[NBUF];	/* odd: one is under way */
	_Atomic uint8_t claim_how[NBUF];	/* what set the claim: for reports */
	_Atomic uint32_t claim_seq;
	_Atomic uint32_t hgen[1 + 2 * KH];	/* 0: the shared creator handle */
	_Atomic uint64_t wakes, woken;		/* on the counted words */
	_Atomic uint64_t chan_ids[MAXCHAN];	/* channels bound to R */
	_Atomic uint32_t nchan;
	_Atomic int stop;
	double t_end;				/* CLOCK_MONOTONIC: both processes */
	_Atomic int barrier[6];
	_Atomic uint64_t violations;
	_Atomic uint64_t owned[2];		/* per process, at the end */
	_Atomic uint64_t ops[2][32], ok[2][32];
	_Atomic uint64_t lent[2], completed[2], acquired[2], races[2];
	_Atomic uint64_t unjudged[2];
	_Atomic uint64_t over_depth;
	uint64_t r_id, w_id, bytes, buf_size;
	uint32_t nr_bufs;
	char names[NNAME][48];
	char svc_name[48];
};

static struct shared *sh;
static int proc;			/* 0: parent, 1: child */
static int nthreads = 3, fault_pct = 10, seconds = 30;
static uint64_t seed = 1;
static bool verbose;
static uint32_t *wmap;			/* W mapped */
/*
 * The R handle slots of this process: replacing one takes its lock for
 * writing; releasing or sending claimed buffers through one takes it for
 * reading, so that the descriptor still names the handle the claims were
 * made on. Without it, a new handle put in the slot meanwhile may own the
 * same buffer (the old handle's close freed it, another thread allocated
 * it), and the release or send would take it from under that thread's
 * claim.
 */
static pthread_rwlock_t hslot_rw[KH];

/* Lending bookkeeping of this process (its lend queues' cookies). */
enum { CK_FREE, CK_SENDING, CK_LENT, CK_DONE };
struct cookie {
	uint8_t state, orphan, lq;
	uint32_t lqgen;
	uint64_t addr, len;
};
static struct cookie *cookies;
static pthread_mutex_t ck_mu = PTHREAD_MUTEX_INITIALIZER;
static uint32_t lqgen[NLQ];
static _Atomic uint32_t next_cookie = 1;

/* Lent ranges mapped into this process by RECV. */
struct lmap { uint64_t addr, len; };
static struct lmap maps[MAXMAP];
static int nmaps;
static pthread_mutex_t map_mu = PTHREAD_MUTEX_INITIALIZER;

enum op {
	OP_ALLOC, OP_RELEASE, OP_BLIND, OP_SEND, OP_RECV, OP_RW, OP_LMAP,
	OP_REAP, OP_WAIT, OP_WAITV, OP_WAKE, OP_REQUEUE, OP_NAME, OP_SLOT,
	OP_TEMP, OP_DUMP, OP_INFO, OP_SERVICE, OP_N
};
static const char *const op_names[OP_N] = {
	"alloc", "release", "blind-release", "send", "recv", "read/write",
	"lend-unmap", "reap", "wait", "waitv", "wake", "requeue", "name",
	"reopen", "create/close", "dump", "info", "service",
};
static int op_weight[OP_N] = {
	10, 7, 5, 10, 10, 4, 3, 3, 4, 3, 5, 1, 5, 4, 2, 2, 2, 6,
};

struct thr {
	int idx;
	uint64_t rs;
	bool faulty;
	char *ro, *scratch, *none;	/* adjacent: ro, scratch, none */
	size_t ro_used;			/* reset by each operation, as */
	bool edge_used;			/* one pointer at most is at the edge */
	char *lendsrc;			/* 8 pages to lend */
	struct kipc_nl *nl;
	struct { uint64_t claim, off; } held[NBUF * 2];
	int nheld;
};

static __thread sigjmp_buf *touch_jb;

static void violation(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void violation(const char *fmt, ...)
{
	va_list ap;
	uint64_t n = atomic_fetch_add(&sh->violations, 1);

	if (n >= 30)
		return;
	fprintf(stderr, "kipc-fuzz: VIOLATION (process %d): ", proc);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t r64(struct thr *t) { return dl_rand(&t->rs); }
static uint64_t below(struct thr *t, uint64_t n) { return dl_below(&t->rs, n); }
static bool chance(struct thr *t, int pct) { return below(t, 100) < (uint64_t)pct; }

/* ---- fault injection ---------------------------------------------------- */

enum fault { F_NONE, F_NULL, F_UNMAPPED, F_EDGE, F_RO };

static enum fault pick_fault(struct thr *t, bool output)
{
	if (!t->faulty || !chance(t, fault_pct))
		return F_NONE;
	switch (below(t, output ? 5 : 3)) {
	case 0: return F_NULL;
	case 1: return F_UNMAPPED;
	case 2: return F_EDGE;
	default: return F_RO;
	}
}

/* Where to pass @len bytes of @src: itself, or a bad place holding a copy
 * (read-only: readable, not writable; edge: the tail is unmapped). */
static void *place(struct thr *t, void *src, size_t len, enum fault f)
{
	char *p;

	switch (f) {
	case F_NULL:
		return NULL;
	case F_UNMAPPED:
		return t->none + below(t, PG / 8) * 8;
	case F_EDGE:
		/* A second copy at the edge would overwrite the first. */
		if (t->edge_used)
			return t->none;
		t->edge_used = true;
		len = len > PG ? PG : len;
		p = t->scratch + PG - (len > 8 ? len / 2 : 1);
		memcpy(p, src, t->scratch + PG - p);
		return p;
	case F_RO:
		if (len > PG - t->ro_used)
			return src;
		mprotect(t->ro, PG, PROT_READ | PROT_WRITE);
		p = t->ro + t->ro_used;
		memcpy(p, src, len);
		t->ro_used = (t->ro_used + len + 7) & ~7UL;
		mprotect(t->ro, PG, PROT_READ);
		return p;
	default:
		return src;
	}
}

static int xioctl(struct thr *t, int fd, unsigned long cmd, void *arg,
		  size_t size, bool output)
{
	enum fault f = pick_fault(t, output);

	return dl_ioctl(fd, cmd, place(t, arg, size, f));
}

/* ---- claims of R's buffers ---------------------------------------------- */

static uint32_t hslot_index(int fd)	/* the claim slot of an R handle fd */
{
	if (fd == FD_H0)
		return 0;
	return 1 + proc * KH + (fd - FD_HSLOT);
}

/*
 * A claim, in sh->claim[buffer]: bits 56-62 the handle slot + 1, 32-55 the
 * slot's generation, 0-31 a number unique to this claim (so that a thread
 * with a stale claim can never drop another's). A thread claims a buffer
 * once BUF_ALLOC or RECV gave it to a handle and drops the claim before the
 * buffer leaves the handle (BUF_RELEASE, SEND); replacing a handle bumps
 * its slot's generation, which kills its claims. So a live claim means the
 * handle owns the buffer, and the kernel giving the buffer to anyone else
 * is a double allocation. Buffers of the wild handle are never claimed
 * (bit 63 in a thread's own list): releases of buffers nobody holds, as
 * after a RECV that failed, go through it without racing the claims.
 */
enum { HOW_NONE, HOW_ALLOC, HOW_RECV, HOW_RESEND };
static const char *const how_names[] = {
	"?", "BUF_ALLOC", "RECV", "a failed SEND's reclaim",
};

static const char *claim_how(int i)
{
	return how_names[atomic_load(&sh->claim_how[i]) & 3];
}

static uint32_t claim_slot(uint64_t c) { return ((c >> 56) & 0x7f) - 1; }
static uint32_t claim_gen(uint64_t c) { return (c >> 32) & 0xffffff; }

static uint64_t claim_new(uint32_t slot, uint32_t gen)
{
	return ((uint64_t)(slot + 1) << 56) | ((uint64_t)(gen & 0xffffff) << 32) |
	       atomic_fetch_add(&sh->claim_seq, 1);
}

static bool claim_live(uint64_t c)
{
	uint32_t slot = claim_slot(c);

	if (!c || c & CLAIM_WILD)
		return false;
	return slot < 1 + 2 * KH &&
	       (atomic_load(&sh->hgen[slot]) & 0xffffff) == claim_gen(c);
}

static bool claim_of_handle(uint64_t c, uint32_t slot, uint32_t gen)
{
	return c && !(c & CLAIM_WILD) && claim_slot(c) == slot &&
	       claim_gen(c) == (gen & 0xffffff);
}

static bool offset_ok(uint64_t off, const char *how)
{
	if (off >= sh->bytes || off % sh->buf_size) {
		violation("%s returned offset %#llx: outside the pool or not a "
			  "multiple of %llu", how, (unsigned long long)off,
			  (unsigned long long)sh->buf_size);
		return false;
	}
	return true;
}

/* Whether handle slot @fd is still at generation @gen, not being replaced. */
static bool gen_same(int fd, uint32_t gen)
{
	return !(gen & 1) && atomic_load(&sh->hgen[hslot_index(fd)]) == gen;
}

/* Keep R handle slot @fd on the handle of generation @gen (the creator's
 * handle is never replaced while threads run): false if it is another. */
static bool hslot_hold(int fd, uint32_t gen)
{
	if (fd < FD_HSLOT || fd >= FD_HSLOT + KH)
		return true;
	pthread_rwlock_rdlock(&hslot_rw[fd - FD_HSLOT]);
	if (gen_same(fd, gen))
		return true;
	pthread_rwlock_unlock(&hslot_rw[fd - FD_HSLOT]);
	return false;
}

static void hslot_unhold(int fd)
{
	if (fd >= FD_HSLOT && fd < FD_HSLOT + KH)
		pthread_rwlock_unlock(&hslot_rw[fd - FD_HSLOT]);
}

static void hold(struct thr *t, uint64_t claim, uint64_t off);

/*
 * A buffer can leave a wild handle at any moment: a blind release, a
 * release or send of a stale entry through it. Each such call is bracketed
 * by wild_move_begin/end() on the buffers it names, so that a check of a
 * buffer the wild handle just received can tell whether the buffer may
 * have left it again (and been claimed by another handle) before the check.
 */
typedef uint32_t wild_snap_t[NBUF];

static void wild_move(uint64_t off)
{
	if (off < sh->bytes && !(off % sh->buf_size))
		atomic_fetch_add(&sh->wild_moves[off / sh->buf_size], 1);
}

static void wild_snapshot(wild_snap_t snap)
{
	uint32_t i;

	for (i = 0; i < sh->nr_bufs; i++)
		snap[i] = atomic_load(&sh->wild_moves[i]);
}

/* @off was just given to handle @fd (read at generation @gen before the
 * call, still @gen after it; @snap taken before the call). A live claim
 * of another handle is a double allocation, unless @fd's handle was
 * replaced since or, for the wild handle, the buffer may have left it
 * since: then the check cannot judge. */
static void acquire(struct thr *t, int fd, uint32_t gen, const wild_snap_t snap,
		    uint64_t off, const char *how)
{
	uint32_t slot = hslot_index(fd);
	uint64_t want = claim_new(slot, gen), cur;
	int i = off / sh->buf_size;
	bool judged;

	if (!offset_ok(off, how))
		return;
	atomic_fetch_add(&sh->acquired[proc], 1);
	cur = atomic_load(&sh->claim[i]);
	if (fd == WILD_FD) {	/* checked, held, not claimed */
		if (claim_live(cur)) {
			judged = !(snap[i] & 1) &&
				 atomic_load(&sh->wild_moves[i]) == snap[i] &&
				 gen_same(fd, gen);
			if (!judged)
				atomic_fetch_add(&sh->unjudged[proc], 1);
			else
				violation("%s gave buffer %#llx to the wild handle, "
					  "but handle slot %u (generation %u) still "
					  "owns it (claimed by %s)", how,
					  (unsigned long long)off, claim_slot(cur),
					  claim_gen(cur), claim_how(i));
		}
		hold(t, want | CLAIM_WILD, off);
		return;
	}
	for (;;) {
		if (claim_live(cur)) {
			if (!gen_same(fd, gen)) {
				atomic_fetch_add(&sh->unjudged[proc], 1);
				return;
			}
			violation("%s gave buffer %#llx to handle slot %u, but "
				  "handle slot %u (generation %u) still owns it "
				  "(claimed by %s)", how, (unsigned long long)off,
				  slot, claim_slot(cur), claim_gen(cur),
				  claim_how(i));
			return;
		}
		if (atomic_compare_exchange_weak(&sh->claim[i], &cur, want))
			break;
	}
	atomic_store(&sh->claim_how[i], how[0] == 'R' ? HOW_RECV : HOW_ALLOC);
	hold(t, want, off);
}

/* Give up the claim before the buffer leaves the handle; false if the
 * claim is gone (a blind release through the handle took it). */
static bool unclaim(uint64_t claim, uint64_t off)
{
	if (claim & CLAIM_WILD)
		return true;
	return atomic_compare_exchange_strong(&sh->claim[off / sh->buf_size],
					      &claim, 0);
}

static void reclaim(uint64_t claim, uint64_t off)
{
	uint64_t zero = 0;

	if (!(claim & CLAIM_WILD) &&
	    atomic_compare_exchange_strong(&sh->claim[off / sh->buf_size], &zero,
					   claim))
		atomic_store(&sh->claim_how[off / sh->buf_size], HOW_RESEND);
}

static void drop_held(struct thr *t, int k)
{
	t->held[k] = t->held[--t->nheld];
}

static void hold(struct thr *t, uint64_t claim, uint64_t off)
{
	if (t->nheld < (int)(sizeof(t->held) / sizeof(t->held[0]))) {
		t->held[t->nheld].claim = claim;
		t->held[t->nheld].off = off;
		t->nheld++;
	} else {
		unclaim(claim, off);	/* cannot track it: forget it */
	}
}

static int handle_fd_of(uint64_t claim)
{
	uint32_t slot = claim_slot(claim);

	return slot ? FD_HSLOT + (int)(slot - 1 - proc * KH) : FD_H0;
}

/* A random R handle fd of this process, with its generation (odd: being
 * replaced). */
static int pick_rhandle(struct thr *t, uint32_t *gen)
{
	/* A faulty thread leaves buffers owned where nobody knows: not in the
	 * creator handle, which lives to the end; half of them in the wild
	 * one, where blind releases meet them (finding 1). */
	int fd = t->faulty ? (chance(t, 50) ? WILD_FD : FD_HSLOT + (int)below(t, KH))
			   : chance(t, 40) ? FD_H0 : FD_HSLOT + (int)below(t, KH);

	*gen = atomic_load(&sh->hgen[hslot_index(fd)]);
	return fd;
}

/* ---- operations ------------------------------------------------------------ */

static int op_alloc(struct thr *t)
{
	struct kipc_buf_alloc ba = { .size = sizeof(ba) };
	wild_snap_t snap;
	uint32_t gen;
	int fd = pick_rhandle(t, &gen), r;

	wild_snapshot(snap);
	r = xioctl(t, fd, KIPC_IOC_BUF_ALLOC, &ba, sizeof(ba), true);
	if (r >= 0 && gen_same(fd, gen))
		acquire(t, fd, gen, snap, ba.offset, "BUF_ALLOC");
	return r;
}

static int op_release(struct thr *t)
{
	struct kipc_buf_release br = { .size = sizeof(br) };
	int k, r, fd;

	if (!t->nheld)
		return op_alloc(t);
	k = below(t, t->nheld);
	fd = handle_fd_of(t->held[k].claim);
	/* A claim of a replaced handle is dead: nothing to release. */
	if (!hslot_hold(fd, atomic_load(&sh->hgen[hslot_index(fd)])))
		return -ESTALE;
	if ((!(t->held[k].claim & CLAIM_WILD) && !claim_live(t->held[k].claim)) ||
	    !unclaim(t->held[k].claim, t->held[k].off)) {
		hslot_unhold(fd);
		drop_held(t, k);
		return -ESTALE;
	}
	br.offset = t->held[k].off;
	if (fd == WILD_FD)	/* the entry may be stale: as blind */
		wild_move(br.offset);
	r = xioctl(t, fd, KIPC_IOC_BUF_RELEASE, &br, sizeof(br), false);
	if (fd == WILD_FD)
		wild_move(br.offset);
	if (r < 0 && claim_live(t->held[k].claim) && !t->faulty)
		/* A claimed buffer of a live handle: it must release, unless a
		 * blind release stole it after we unclaimed (rare). */
		atomic_fetch_add(&sh->races[proc], 1);
	hslot_unhold(fd);
	drop_held(t, k);
	return r;
}

/* Release, through the wild handle, a buffer this thread does not hold:
 * the wild handle may own it (a RECV that failed, a BUF_ALLOC whose
 * struct could not be written back) while others allocate and receive. */
static int op_blind(struct thr *t)
{
	struct kipc_buf_release br = { .size = sizeof(br) };
	int i = below(t, sh->nr_bufs), n = 1 + below(t, sh->nr_bufs), r, ok = 0;
	uint64_t before, after;

	/* A sweep of n offsets: a RECV failing meanwhile is caught in its
	 * window more often than by one release. */
	for (; n--; i = (i + 1) % sh->nr_bufs) {
		before = atomic_load(&sh->claim[i]);
		br.offset = (uint64_t)i * sh->buf_size;
		wild_move(br.offset);
		r = xioctl(t, WILD_FD, KIPC_IOC_BUF_RELEASE, &br, sizeof(br), false);
		wild_move(br.offset);
		after = atomic_load(&sh->claim[i]);
		/* The same claim before and after: another handle held the
		 * buffer all along, so the wild one cannot have owned it. */
		if (r >= 0 && before == after && claim_live(after))
			violation("BUF_RELEASE through the wild handle freed "
				  "buffer %#llx that handle slot %u (generation "
				  "%u) holds", (unsigned long long)br.offset,
				  claim_slot(after), claim_gen(after));
		ok += r >= 0;
	}
	return ok ? 0 : -EPERM;
}

static int pick_send(struct thr *t)
{
	return chance(t, 30) ? FD_SORIG + (int)below(t, NCH)
			     : FD_SSLOT + (int)below(t, NSLOT);
}

static int pick_recv(struct thr *t)
{
	return chance(t, 30) ? FD_RORIG + (int)below(t, NCH)
			     : FD_RSLOT + (int)below(t, NSLOT);
}

static void fill_deadline(struct thr *t, struct kipc_io *io)
{
	if (chance(t, 50)) {
		io->flags |= KIPC_IO_NONBLOCK;
	} else {
		io->flags |= KIPC_IO_TIMEOUT;
		io->clockid = CLOCK_MONOTONIC;
		io->timeout_ns = dl_mono_ns() + below(t, 10) * 1000000ULL;
	}
}

static int op_send(struct thr *t)
{
	struct kipc_msg m[2];
	struct kipc_buf_ref refs[2][4];
	struct kipc_lend_ref lends[2][2];
	uint64_t claims[2][4];
	uint32_t gen;
	struct kipc_io io = { .size = sizeof(io), .msg_size = sizeof(m[0]) };
	int fd = pick_rhandle(t, &gen), sfd = pick_send(t), nm = 1 + below(t, 2);
	uint32_t slot = hslot_index(fd), lq = below(t, NLQ);
	int i, j, r;
	char data[512];

	/* The slot stays on the handle of @gen until the claims are settled. */
	if (!hslot_hold(fd, gen))
		return -ESTALE;
	memset(m, 0, sizeof(m));
	memset(data, 0x5a, sizeof(data));
	io.region_fd = chance(t, 90) ? (uint32_t)fd : KIPC_NO_FD;
	for (i = 0; i < nm; i++) {
		uint32_t nb = below(t, 4), nl = chance(t, 30) ? 1 + below(t, 2) : 0;

		m[i].data_len = below(t, sizeof(data));
		m[i].data = (uintptr_t)place(t, data, m[i].data_len, pick_fault(t, false));
		m[i].tag = r64(t);
		/* Buffers this thread holds through the same handle leave
		 * its list, unclaimed; the unsent come back below. */
		for (j = 0; j < t->nheld && m[i].nr_bufs < nb; j++) {
			if (claim_slot(t->held[j].claim) != slot ||
			    claim_gen(t->held[j].claim) != (gen & 0xffffff))
				continue;
			if (unclaim(t->held[j].claim, t->held[j].off)) {
				claims[i][m[i].nr_bufs] = t->held[j].claim;
				refs[i][m[i].nr_bufs].offset = t->held[j].off;
				refs[i][m[i].nr_bufs].len = below(t, sh->buf_size + 1);
				m[i].nr_bufs++;
			}
			drop_held(t, j--);
		}
		m[i].bufs = (uintptr_t)place(t, refs[i], sizeof(refs[i]),
					     pick_fault(t, false));
		for (j = 0; j < (int)nl; j++) {
			uint32_t c = atomic_fetch_add(&next_cookie, 1);
			uint32_t pages = 1 + below(t, 3), at = below(t, 8 - pages + 1);

			if (c >= MAXCOOKIE)
				break;
			lends[i][j].addr = (uintptr_t)t->lendsrc + at * PG;
			if (pick_fault(t, false))
				lends[i][j].addr = (uintptr_t)t->none;
			lends[i][j].len = pages * PG;
			lends[i][j].cookie = c;
			lends[i][j].reserved = 0;
			pthread_mutex_lock(&ck_mu);
			cookies[c] = (struct cookie){ CK_SENDING, 0, lq, 0,
				lends[i][j].addr, lends[i][j].len };
			pthread_mutex_unlock(&ck_mu);
			m[i].nr_lends++;
		}
		m[i].lends = (uintptr_t)place(t, lends[i], sizeof(lends[i]),
					      pick_fault(t, false));
		m[i].lendq_fd = m[i].nr_lends ? FD_LQ + lq : 0;
	}
	fill_deadline(t, &io);
	io.nr_msgs = nm;
	io.msgs = (uintptr_t)place(t, m, sizeof(m), pick_fault(t, false));
	/* A send from the wild handle may name buffers it no longer owns. */
	for (i = 0; fd == WILD_FD && i < nm; i++)
		for (j = 0; j < (int)m[i].nr_bufs; j++)
			wild_move(refs[i][j].offset);
	r = xioctl(t, sfd, KIPC_IOC_SEND, &io, sizeof(io), false);
	for (i = 0; fd == WILD_FD && i < nm; i++)
		for (j = 0; j < (int)m[i].nr_bufs; j++)
			wild_move(refs[i][j].offset);
	for (i = 0; i < nm; i++) {
		bool sent = r > i;

		if (!sent)	/* still owned by the handle: claim again */
			for (j = 0; j < (int)m[i].nr_bufs; j++)
				if (gen_same(fd, gen)) {
					reclaim(claims[i][j], refs[i][j].offset);
					hold(t, claims[i][j], refs[i][j].offset);
				}
		pthread_mutex_lock(&ck_mu);
		for (j = 0; j < (int)m[i].nr_lends; j++) {
			struct cookie *c = &cookies[lends[i][j].cookie];

			if (sent) {
				atomic_fetch_add(&sh->lent[proc], 1);
				if (c->state == CK_SENDING)
					c->state = CK_LENT;
			} else if (c->state == CK_SENDING) {
				c->state = CK_FREE;
			} else {
				violation("lent range cookie %llu completed although "
					  "its SEND failed (%d)",
					  (unsigned long long)lends[i][j].cookie, r);
			}
		}
		pthread_mutex_unlock(&ck_mu);
	}
	hslot_unhold(fd);
	return r;
}

static void record_map(uint64_t addr, uint64_t len)
{
	pthread_mutex_lock(&map_mu);
	if (nmaps < MAXMAP) {
		maps[nmaps].addr = addr;
		maps[nmaps].len = len;
		nmaps++;
	} else {
		munmap((void *)(uintptr_t)addr, len);
	}
	pthread_mutex_unlock(&map_mu);
}

static int op_recv(struct thr *t)
{
	static __thread char data[65536];
	struct kipc_msg m[2], *mp;
	struct kipc_buf_ref refs[2][KIPC_MSG_BUFS_MAX];
	struct kipc_lend_ref lends[2][KIPC_MSG_LENDS_MAX];
	struct kipc_io io = { .size = sizeof(io), .msg_size = sizeof(m[0]) };
	wild_snap_t snap;
	uint32_t gen;
	int fd = pick_rhandle(t, &gen), rfd = pick_recv(t), nm = 1 + below(t, 2);
	int i, j, r;

	memset(m, 0, sizeof(m));
	io.region_fd = chance(t, 90) ? (uint32_t)fd : KIPC_NO_FD;
	for (i = 0; i < nm; i++) {
		m[i].data_len = chance(t, 90) ? sizeof(data) : below(t, 64);
		m[i].data = (uintptr_t)place(t, data, 512, pick_fault(t, true));
		m[i].nr_bufs = chance(t, 95) ? KIPC_MSG_BUFS_MAX : below(t, 2);
		m[i].bufs = (uintptr_t)place(t, refs[i], sizeof(refs[i]),
					     pick_fault(t, true));
		m[i].nr_lends = chance(t, 95) ? KIPC_MSG_LENDS_MAX : below(t, 2);
		m[i].lends = (uintptr_t)place(t, lends[i], sizeof(lends[i]),
					      pick_fault(t, true));
	}
	fill_deadline(t, &io);
	io.nr_msgs = nm;
	mp = place(t, m, sizeof(m), pick_fault(t, true));
	io.msgs = (uintptr_t)mp;
	wild_snapshot(snap);
	r = xioctl(t, rfd, KIPC_IOC_RECV, &io, sizeof(io), false);
	for (i = 0; i < r && i < nm; i++) {
		/* Delivered: every copy-out of this message succeeded, so its
		 * descriptor and arrays are where we passed them. */
		const struct kipc_msg *d = mp;
		const struct kipc_buf_ref *br;
		const struct kipc_lend_ref *lr;

		if (!d) {
			violation("RECV returned %d with a NULL message array", r);
			break;
		}
		d += i;
		br = (const void *)(uintptr_t)d->bufs;
		lr = (const void *)(uintptr_t)d->lends;
		if (d->nr_bufs > KIPC_MSG_BUFS_MAX || d->nr_lends > KIPC_MSG_LENDS_MAX) {
			violation("RECV delivered %u buffers and %u lends",
				  d->nr_bufs, d->nr_lends);
			continue;
		}
		for (j = 0; j < (int)d->nr_bufs; j++) {
			if (io.region_fd != (uint32_t)fd) {
				violation("RECV without a region handle delivered "
					  "a buffer");
				break;
			}
			if (gen_same(fd, gen))
				acquire(t, fd, gen, snap, br[j].offset, "RECV");
		}
		for (j = 0; j < (int)d->nr_lends; j++) {
			if (lr[j].addr % PG || !lr[j].len || lr[j].len % PG)
				violation("RECV mapped a lent range at %#llx+%llu",
					  (unsigned long long)lr[j].addr,
					  (unsigned long long)lr[j].len);
			else
				record_map(lr[j].addr, lr[j].len);
		}
	}
	return r;
}

static int op_rw(struct thr *t)
{
	char buf[1024];
	void *p;
	ssize_t r;

	memset(buf, 0x33, sizeof(buf));
	if (chance(t, 50)) {
		p = place(t, buf, sizeof(buf), pick_fault(t, false));
		r = write(pick_send(t), p, below(t, sizeof(buf)));
	} else {
		p = place(t, buf, sizeof(buf), pick_fault(t, true));
		r = read(pick_recv(t), p, chance(t, 80) ? sizeof(buf) : below(t, 8));
	}
	return r < 0 ? -errno : (int)r;
}

static void on_segv(int sig)
{
	if (touch_jb)
		siglongjmp(*touch_jb, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Unmap a received lent range (all of it, or its first page), or read it. */
static int op_lmap(struct thr *t)
{
	struct lmap lm;
	sigjmp_buf jb;
	int k;

	pthread_mutex_lock(&map_mu);
	if (!nmaps) {
		pthread_mutex_unlock(&map_mu);
		return -ENOENT;
	}
	k = below(t, nmaps);
	lm = maps[k];
	if (chance(t, 30)) {	/* read it, while others may unmap it */
		pthread_mutex_unlock(&map_mu);
		touch_jb = &jb;
		if (!sigsetjmp(jb, 1))
			(void)*(volatile char *)(uintptr_t)(lm.addr + below(t, lm.len));
		touch_jb = NULL;
		return 0;
	}
	if (chance(t, 20) && lm.len > PG) {	/* partial: the rest stays */
		maps[k].addr += PG;
		maps[k].len -= PG;
		lm.len = PG;
	} else {
		maps[k] = maps[--nmaps];
	}
	pthread_mutex_unlock(&map_mu);
	return munmap((void *)(uintptr_t)lm.addr, lm.len) ? -errno : 0;
}

/* Reap lend completions: each cookie completes once, as it was lent. */
static int reap_one(struct thr *t, int lq, bool nonblock, uint32_t *outstanding)
{
	struct kipc_lend_completion c[16];
	struct kipc_lend_reap lr = {
		.size = sizeof(lr), .flags = nonblock ? KIPC_REAP_NONBLOCK : 0,
		.nr_comps = 16,
	};
	enum fault f = t ? pick_fault(t, true) : F_NONE;
	int r, i;

	/* Not the struct itself: a reap whose struct cannot be written back
	 * has consumed its completions (see the lane's notes). */
	if (f == F_RO || f == F_EDGE)
		f = F_NONE;
	lr.comps = (uintptr_t)(t ? place(t, c, sizeof(c), f) : c);
	r = dl_ioctl(FD_LQ + lq, KIPC_IOC_LEND_REAP, &lr);
	if (outstanding)
		*outstanding = lr.nr_outstanding;
	if (r <= 0)
		return r;
	pthread_mutex_lock(&ck_mu);
	for (i = 0; i < r && i < 16; i++) {
		const struct kipc_lend_completion *x = (void *)(uintptr_t)lr.comps;
		struct cookie *k;

		x += i;
		if (x->cookie >= MAXCOOKIE) {
			violation("completion of an unknown cookie %llu",
				  (unsigned long long)x->cookie);
			continue;
		}
		k = &cookies[x->cookie];
		if (k->state == CK_FREE || k->state == CK_DONE) {
			violation("completion of cookie %llu which is %s",
				  (unsigned long long)x->cookie,
				  k->state == CK_DONE ? "already complete" : "not lent");
			continue;
		}
		if (x->addr != k->addr || x->len != k->len ||
		    (x->status != KIPC_LEND_RELEASED && x->status != KIPC_LEND_DROPPED))
			violation("completion of cookie %llu: %#llx+%llu status %u, "
				  "lent %#llx+%llu", (unsigned long long)x->cookie,
				  (unsigned long long)x->addr,
				  (unsigned long long)x->len, x->status,
				  (unsigned long long)k->addr,
				  (unsigned long long)k->len);
		if (k->state == CK_LENT)
			atomic_fetch_add(&sh->completed[proc], 1);
		k->state = CK_DONE;
	}
	pthread_mutex_unlock(&ck_mu);
	return r;
}

static int op_reap(struct thr *t)
{
	return reap_one(t, below(t, NLQ), true, NULL);
}

static int pick_whandle(struct thr *t)
{
	return chance(t, 40) ? FD_W0 : FD_WSLOT + (int)below(t, KW);
}

static uint64_t deadline_ms(struct thr *t, int ms)
{
	return dl_mono_ns() + below(t, ms + 1) * 1000000ULL;
}

static int op_wait(struct thr *t)
{
	uint32_t w = below(t, NWORD);
	struct kipc_wait wt = {
		.size = sizeof(wt), .flags = KIPC_WAIT_TIMEOUT, .offset = 4 * w,
		.clockid = CLOCK_MONOTONIC, .timeout_ns = deadline_ms(t, 10),
	};
	int r;

	wt.val = chance(t, 90) ? atomic_load((_Atomic uint32_t *)&wmap[w])
			       : (uint32_t)r64(t);
	r = xioctl(t, pick_whandle(t), KIPC_IOC_WAIT, &wt, sizeof(wt), false);
	if (r == 0 && w < NCOUNTED)
		atomic_fetch_add(&sh->woken, 1);
	return r;
}

/* Entry 0 on a counted word; the others on uncounted words, the last one
 * sometimes with a stale value (the lost wake-up of finding 5). */
static int op_waitv(struct thr *t)
{
	struct kipc_waitv_entry e[4];
	struct kipc_waitv wv = {
		.size = sizeof(wv), .flags = KIPC_WAIT_TIMEOUT,
		.clockid = CLOCK_MONOTONIC, .timeout_ns = deadline_ms(t, 10),
	};
	int n = 1 + below(t, 4), i, r;

	for (i = 0; i < n; i++) {
		uint32_t w = i == 0 ? below(t, NCOUNTED)
				    : NCOUNTED + below(t, NWORD - NCOUNTED);

		e[i].region_fd = pick_whandle(t);
		e[i].offset = 4 * w;
		e[i].val = atomic_load((_Atomic uint32_t *)&wmap[w]);
		e[i].bitset = 0;
		e[i].reserved = 0;
	}
	if (n > 1 && chance(t, 40))
		e[n - 1].val++;
	wv.nr = n;
	wv.entries = (uintptr_t)place(t, e, sizeof(e[0]) * n, pick_fault(t, false));
	r = xioctl(t, FD_CTX, KIPC_IOC_WAITV, &wv, sizeof(wv), false);
	if (r == 0)
		atomic_fetch_add(&sh->woken, 1);
	return r;
}

static int op_wake(struct thr *t)
{
	uint32_t w = below(t, NWORD);
	struct kipc_wake wk = {
		.size = sizeof(wk), .offset = 4 * w, .nr = below(t, 4),
	};
	int r;

	if (chance(t, 50))
		atomic_fetch_add((_Atomic uint32_t *)&wmap[w], 1);
	r = xioctl(t, pick_whandle(t), KIPC_IOC_WAKE, &wk, sizeof(wk), false);
	if (r > 0 && w < NCOUNTED)
		atomic_fetch_add(&sh->wakes, r);
	return r;
}

/* Within the counted words or within the others: a waiter never leaves
 * its class, so the counts stay exact. */
static int op_requeue(struct thr *t)
{
	bool counted = chance(t, 50);
	uint32_t base = counted ? 0 : NCOUNTED, w = base + below(t, 4);
	struct kipc_requeue rq = {
		.size = sizeof(rq), .offset = 4 * w,
		.dst_offset = 4 * (base + below(t, 4)),
		.nr_wake = below(t, 2), .nr_requeue = below(t, 4),
	};
	int r;

	rq.val = atomic_load((_Atomic uint32_t *)&wmap[w]);
	r = xioctl(t, pick_whandle(t), KIPC_IOC_REQUEUE, &rq, sizeof(rq), false);
	if (r > 0 && counted)
		atomic_fetch_add(&sh->wakes, (uint32_t)r < rq.nr_wake ? (uint32_t)r
							     : rq.nr_wake);
	return r;
}

static bool chan_is_r_bound(uint64_t id)
{
	uint32_t i, n = atomic_load(&sh->nchan);

	for (i = 0; i < n && i < MAXCHAN; i++)
		if (atomic_load(&sh->chan_ids[i]) == id)
			return true;
	return false;
}

/* Replace a descriptor slot with @newfd (closes what it held). */
static void put_slot(int slot, int newfd)
{
	dup2(newfd, slot);
	if (newfd != FD_PLACE && newfd != slot)
		close(newfd);
}

/* Replace an R handle slot, bumping its generation around the swap so that
 * claims through the old handle die with it. */
static void put_hslot(int k, int newfd)
{
	uint32_t s = 1 + proc * KH + k;

	pthread_rwlock_wrlock(&hslot_rw[k]);
	atomic_fetch_add(&sh->hgen[s], 1);
	put_slot(FD_HSLOT + k, newfd);
	atomic_fetch_add(&sh->hgen[s], 1);
	pthread_rwlock_unlock(&hslot_rw[k]);
}

/* Publish, open or unlink one of the shared names. */
static int op_name(struct thr *t)
{
	const char *name = sh->names[below(t, NNAME)];
	int k = below(t, 3), r, objs[] = {
		FD_H0, FD_HSLOT, FD_SORIG, FD_RORIG, FD_SSLOT, FD_RSLOT, FD_W0,
	};

	if (k == 0) {
		struct kipc_name_unlink nu = { .size = sizeof(nu) };

		nu.name = (uintptr_t)place(t, (void *)name, strlen(name) + 1,
					   pick_fault(t, false));
		return xioctl(t, FD_CTX, KIPC_IOC_NAME_UNLINK, &nu, sizeof(nu), false);
	}
	struct kipc_name_open no = {
		.size = sizeof(no), .flags = KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK,
		.fd = KIPC_NO_FD,
	};
	if (k == 1) {
		int o = objs[below(t, sizeof(objs) / sizeof(objs[0]))];

		if (o == FD_HSLOT)
			o += below(t, KH);
		else if (o == FD_SORIG || o == FD_RORIG)
			o += below(t, NCH);
		else if (o == FD_SSLOT || o == FD_RSLOT)
			o += below(t, NSLOT);
		no.flags |= KIPC_NAME_CREATE | (chance(t, 30) ? KIPC_NAME_EXCL : 0);
		no.fd = o;
		no.mode = 0600;
	}
	no.name = (uintptr_t)place(t, (void *)name, strlen(name) + 1,
				   pick_fault(t, false));
	r = xioctl(t, FD_CTX, KIPC_IOC_NAME_OPEN, &no, sizeof(no), true);
	if (r < 0)
		return r;
	/* Keep what we opened in a slot of its kind, when it is one of ours. */
	if (no.kind == KIPC_NAME_REGION && no.id == sh->r_id && chance(t, 50))
		put_hslot(below(t, KH), r);
	else if (no.kind == KIPC_NAME_REGION && no.id == sh->w_id && chance(t, 50))
		put_slot(FD_WSLOT + below(t, KW), r);
	else if (no.kind == KIPC_NAME_SEND && chan_is_r_bound(no.id))
		put_slot(FD_SSLOT + below(t, NSLOT), r);
	else if (no.kind == KIPC_NAME_RECV && chan_is_r_bound(no.id))
		put_slot(FD_RSLOT + below(t, NSLOT), r);
	else
		close(r);
	return 0;
}

static int new_r_channel(int *sfd, int *rfd)
{
	struct kipc_channel_create cc = {
		.size = sizeof(cc), .flags = KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK,
		.depth = 4, .max_inline = 1024, .region_fd = FD_H0,
	};
	int r = dl_ioctl(FD_CTX, KIPC_IOC_CHANNEL_CREATE, &cc);
	uint32_t n;

	if (r < 0)
		return r;
	n = atomic_fetch_add(&sh->nchan, 1);
	if (n < MAXCHAN)
		atomic_store(&sh->chan_ids[n], cc.id);
	*sfd = cc.send_fd;
	*rfd = cc.recv_fd;
	return 0;
}

/* Close and reopen a slot: R or W handles, channel ends, lend queues. */
static int op_slot(struct thr *t)
{
	int k = below(t, 6), i, fd, sfd, rfd, r;

	switch (k) {
	case 0: {	/* an R handle: attach again, or close */
		struct kipc_region_attach ra = {
			.size = sizeof(ra), .flags = KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK,
		};

		fd = chance(t, 80) ? dl_ioctl(FD_H0, KIPC_IOC_REGION_ATTACH, &ra)
				   : FD_PLACE;
		if (fd < 0)
			return fd;
		put_hslot(below(t, KH), fd);
		return 0;
	}
	case 1: {	/* a W handle */
		struct kipc_region_attach ra = { .size = sizeof(ra), .flags = KIPC_FD_CLOEXEC };

		fd = chance(t, 80) ? dl_ioctl(FD_W0, KIPC_IOC_REGION_ATTACH, &ra)
				   : FD_PLACE;
		if (fd < 0)
			return fd;
		put_slot(FD_WSLOT + below(t, KW), fd);
		return 0;
	}
	case 2:		/* a channel end slot: a dup of an original, or closed */
		i = below(t, NCH);
		if (chance(t, 50))
			put_slot(FD_SSLOT + below(t, NSLOT),
				 chance(t, 80) ? dup(FD_SORIG + i) : FD_PLACE);
		else
			put_slot(FD_RSLOT + below(t, NSLOT),
				 chance(t, 80) ? dup(FD_RORIG + i) : FD_PLACE);
		return 0;
	case 3:		/* a fresh channel in a slot pair, maybe named */
		r = new_r_channel(&sfd, &rfd);
		if (r < 0)
			return r;
		i = below(t, NSLOT);
		if (chance(t, 30)) {
			struct kipc_name_open no = {
				.size = sizeof(no), .flags = KIPC_NAME_CREATE,
				.name = (uintptr_t)sh->names[below(t, NNAME)],
				.fd = chance(t, 50) ? sfd : rfd, .mode = 0600,
			};

			r = dl_ioctl(FD_CTX, KIPC_IOC_NAME_OPEN, &no);
			if (r >= 0)
				close(r);
		}
		put_slot(FD_SSLOT + i, sfd);
		put_slot(FD_RSLOT + i, rfd);
		return 0;
	case 4: {	/* a lend queue: its completions are lost with it */
		struct kipc_lendq_create lc = {
			.size = sizeof(lc), .flags = KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK,
		};

		i = below(t, NLQ);
		fd = dl_ioctl(FD_CTX, KIPC_IOC_LENDQ_CREATE, &lc);
		if (fd < 0)
			return fd;
		pthread_mutex_lock(&ck_mu);
		lqgen[i]++;
		for (k = 0; k < MAXCOOKIE; k++)
			if (cookies[k].lq == i && cookies[k].state != CK_FREE)
				cookies[k].orphan = 1;
		put_slot(FD_LQ + i, fd);
		pthread_mutex_unlock(&ck_mu);
		return 0;
	}
	default:	/* a W handle closed while others wait through W0 */
		put_slot(FD_WSLOT + below(t, KW), FD_PLACE);
		return 0;
	}
}

/* A temporary region (with buffers taken) or channel, created and closed
 * while netlink dumps walk the lists. */
static int op_temp(struct thr *t)
{
	uint64_t np = 1 + below(t, 8);
	__u64 off;
	uint32_t nb;
	int fd, sfd, rfd, r;

	if (chance(t, 60)) {
		struct kipc_region_create rc = {
			.size = sizeof(rc), .flags = KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK,
			.bytes = np * PG, .buf_size = chance(t, 70) ? PG : 0,
		};

		fd = xioctl(t, FD_CTX, KIPC_IOC_REGION_CREATE, &rc, sizeof(rc), true);
		if (fd < 0)
			return fd;
		nb = rc.nr_bufs;
		while (nb-- && chance(t, 50))
			kt_buf_alloc(fd, &off);
		if (chance(t, 20)) {
			struct kipc_name_open no = {
				.size = sizeof(no), .flags = KIPC_NAME_CREATE,
				.name = (uintptr_t)sh->names[below(t, NNAME)],
				.fd = fd, .mode = 0600,
			};

			r = dl_ioctl(FD_CTX, KIPC_IOC_NAME_OPEN, &no);
			if (r >= 0)
				close(r);
		}
		if (chance(t, 50))
			sched_yield();
		close(fd);
		return 0;
	}
	r = kt_channel_create(FD_CTX, KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK,
			      1 + below(t, 4), 0, -1, &sfd, &rfd);
	if (r < 0)
		return r;
	if (chance(t, 70)) {
		struct kipc_msg m = { .data_len = 8, .data = (uintptr_t)&off };

		dl_io(sfd, KIPC_IOC_SEND, &m, 1, -1, -1);
	}
	if (chance(t, 50)) {
		close(rfd);
		close(sfd);
	} else {
		close(sfd);
		close(rfd);
	}
	return 0;
}

struct dump_ctx { int n; };

static int region_cb(const struct kipc_region_stats *st, void *arg)
{
	struct dump_ctx *d = arg;

	d->n++;
	if (st->id == sh->r_id &&
	    (st->nr_bufs != sh->nr_bufs || st->nr_free > st->nr_bufs ||
	     st->nr_in_flight > st->nr_bufs))
		violation("netlink shows region %llu with %u buffers, %u free, "
			  "%u in flight", (unsigned long long)st->id,
			  st->nr_bufs, st->nr_free, st->nr_in_flight);
	return 0;
}

static int chan_cb(const struct kipc_channel_stats *st, void *arg)
{
	struct dump_ctx *d = arg;

	d->n++;
	/* Not a violation: a RECV that fails puts its message back at the
	 * head, past a sender that took the freed place meanwhile. */
	if (st->queued > st->depth)
		atomic_fetch_add(&sh->over_depth, 1);
	return 0;
}

static int op_dump(struct thr *t)
{
	struct dump_ctx d = { 0 };
	struct kipc_global_stats gs;

	if (!t->nl && kipc_nl_open(&t->nl, 0) < 0) {
		t->nl = NULL;
		return -ENOTSUP;
	}
	switch (below(t, 3)) {
	case 0: return kipc_region_stats_dump(t->nl, NULL, region_cb, &d);
	case 1: return kipc_channel_stats_dump(t->nl, NULL, chan_cb, &d);
	default: return kipc_stats_get(t->nl, &gs);
	}
}

static int op_info(struct thr *t)
{
	struct kipc_region_info ri = { .size = sizeof(ri) };
	uint32_t gen;
	int fd = pick_rhandle(t, &gen), r;

	r = xioctl(t, fd, KIPC_IOC_REGION_INFO, &ri, sizeof(ri), true);
	if (r < 0 || !gen_same(fd, gen) || t->ro_used)
		return r;
	if (ri.nr_bufs != sh->nr_bufs ||
	    (uint64_t)ri.nr_free + ri.nr_owned + ri.nr_in_flight > ri.nr_bufs)
		violation("REGION_INFO: %u free + %u owned + %u in flight, of %u",
			  ri.nr_free, ri.nr_owned, ri.nr_in_flight, ri.nr_bufs);
	return r;
}

/* One call on a connection's ends: a short message, a 1 ms deadline. */
static int service_call(struct thr *t, int sfd, int rfd, bool send)
{
	char in[64];
	struct kipc_msg sm = { .data = (uintptr_t)"race", .data_len = 4 };
	struct kipc_msg rm = { .data = (uintptr_t)in, .data_len = sizeof(in) };
	struct kipc_call call = {
		.size = sizeof(call), .flags = KIPC_IO_TIMEOUT,
		.send_msg = send ? (uintptr_t)&sm : 0,
		.recv_msg = (uintptr_t)place(t, &rm, sizeof(rm),
					     pick_fault(t, true)),
		.msg_size = sizeof(rm), .recv_fd = (uint32_t)rfd,
		.region_fd = KIPC_NO_FD, .clockid = CLOCK_MONOTONIC,
		.timeout_ns = dl_mono_ns() + 1000000,
	};

	return xioctl(t, sfd, KIPC_IOC_CALL, &call, sizeof(call), true);
}

/*
 * S: connect, accept (through S or a reopened listener), call as client
 * or server, reopen or close listeners and connection ends.
 */
static int op_service(struct thr *t)
{
	int i = below(t, NCONN), r;

	switch (below(t, 6)) {
	case 0: {
		struct kipc_connect cn = {
			.size = sizeof(cn),
			.flags = KIPC_FD_CLOEXEC | KIPC_CONN_NONBLOCK,
			.name = (uintptr_t)sh->svc_name,
		};

		r = xioctl(t, FD_CTX, KIPC_IOC_CONNECT, &cn, sizeof(cn), true);
		if (r < 0)
			return r;
		put_slot(FD_CSEND + i, cn.send_fd);
		put_slot(FD_CRECV + i, cn.recv_fd);
		return r;
	}
	case 1: {
		struct kipc_accept ac = {
			.size = sizeof(ac),
			.flags = KIPC_FD_CLOEXEC | KIPC_CONN_NONBLOCK,
		};
		int fd = chance(t, 50) ? FD_SVC : FD_LSLOT + below(t, NLS);

		r = xioctl(t, fd, KIPC_IOC_ACCEPT, &ac, sizeof(ac), true);
		if (r < 0)
			return r;
		if (!ac.id || ac.id == ac.reply_id)
			violation("ACCEPT: connection ids %llu and %llu",
				  (unsigned long long)ac.id,
				  (unsigned long long)ac.reply_id);
		put_slot(FD_ASEND + i, ac.send_fd);
		put_slot(FD_ARECV + i, ac.recv_fd);
		return r;
	}
	case 2:
		return service_call(t, FD_CSEND + i, FD_CRECV + i, true);
	case 3:
		return service_call(t, FD_ASEND + i, FD_ARECV + i, chance(t, 70));
	case 4: {
		struct kipc_name_open no = {
			.size = sizeof(no),
			.flags = KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK,
			.name = (uintptr_t)sh->svc_name, .fd = KIPC_NO_FD,
		};

		if (chance(t, 30)) {
			put_slot(FD_LSLOT + below(t, NLS), FD_PLACE);
			return 0;
		}
		r = xioctl(t, FD_CTX, KIPC_IOC_NAME_OPEN, &no, sizeof(no), true);
		if (r >= 0)
			put_slot(FD_LSLOT + below(t, NLS), r);
		return r;
	}
	default:
		if (chance(t, 50)) {
			put_slot(FD_CSEND + i, FD_PLACE);
			put_slot(FD_CRECV + i, FD_PLACE);
		} else {
			put_slot(FD_ASEND + i, FD_PLACE);
			put_slot(FD_ARECV + i, FD_PLACE);
		}
		return 0;
	}
}

static int (*const ops[OP_N])(struct thr *) = {
	op_alloc, op_release, op_blind, op_send, op_recv, op_rw, op_lmap,
	op_reap, op_wait, op_waitv, op_wake, op_requeue, op_name, op_slot,
	op_temp, op_dump, op_info, op_service,
};

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	int total = 0, i, k, r;

	for (i = 0; i < OP_N; i++)
		total += op_weight[i];
	while (!atomic_load(&sh->stop) && dl_now() < sh->t_end) {
		int x = below(t, total);

		for (k = 0; x >= op_weight[k]; k++)
			x -= op_weight[k];
		/* The bad places are reused by the next operation only: the
		 * copies one operation puts there never overlap. */
		t->ro_used = 0;
		t->edge_used = false;
		r = ops[k](t);
		atomic_fetch_add(&sh->ops[proc][k], 1);
		if (r >= 0)
			atomic_fetch_add(&sh->ok[proc][k], 1);
	}
	return NULL;
}

/* ---- set-up, the end, the checks ---------------------------------------- */

static void barrier(int n)
{
	atomic_fetch_add(&sh->barrier[n], 1);
	while (atomic_load(&sh->barrier[n]) < 2)
		usleep(1000);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "kipc-fuzz: %s: %s\n", what, strerror(-err));
	exit(2);
}

/* S: a service with a small backlog, published under its own name. */
static void setup_service(void)
{
	struct kipc_service_create sc = {
		.size = sizeof(sc), .flags = KIPC_FD_NONBLOCK, .backlog = 4,
		.depth = 4, .region_fd = KIPC_NO_FD,
	};
	struct kipc_name_open no = {
		.size = sizeof(no), .flags = KIPC_NAME_CREATE | KIPC_NAME_EXCL,
		.mode = 0600,
	};
	int fd, i;

	fd = dl_ioctl(FD_CTX, KIPC_IOC_SERVICE_CREATE, &sc);
	if (fd < 0)
		die("SERVICE_CREATE", fd);
	dup2(fd, FD_SVC);
	close(fd);
	snprintf(sh->svc_name, sizeof(sh->svc_name), "kipc-race-%d-svc",
		 (int)getpid());
	no.name = (uintptr_t)sh->svc_name;
	no.fd = FD_SVC;
	fd = dl_ioctl(FD_CTX, KIPC_IOC_NAME_OPEN, &no);
	if (fd < 0)
		die("NAME_OPEN of the service", fd);
	close(fd);
	for (i = 0; i < NLS; i++)
		dup2(FD_PLACE, FD_LSLOT + i);
	for (i = 0; i < NCONN; i++) {
		dup2(FD_PLACE, FD_CSEND + i);
		dup2(FD_PLACE, FD_CRECV + i);
		dup2(FD_PLACE, FD_ASEND + i);
		dup2(FD_PLACE, FD_ARECV + i);
	}
}

/* S's name and every fd of S this process holds. */
static void teardown_service(void)
{
	struct kipc_name_unlink nu = {
		.size = sizeof(nu), .name = (uintptr_t)sh->svc_name,
	};
	int i;

	dl_ioctl(FD_CTX, KIPC_IOC_NAME_UNLINK, &nu);
	for (i = 0; i < NLS; i++)
		put_slot(FD_LSLOT + i, FD_PLACE);
	for (i = 0; i < NCONN; i++) {
		put_slot(FD_CSEND + i, FD_PLACE);
		put_slot(FD_CRECV + i, FD_PLACE);
		put_slot(FD_ASEND + i, FD_PLACE);
		put_slot(FD_ARECV + i, FD_PLACE);
	}
	put_slot(FD_SVC, FD_PLACE);
}

static void setup_objects(void)
{
	struct kipc_region_create rc = {
		.size = sizeof(rc), .flags = KIPC_FD_NONBLOCK,
		.bytes = NBUF * PG, .buf_size = PG,
	};
	struct kipc_region_info ri;
	int fd, i, s, r;

	fd = dl_open();
	if (fd < 0)
		die("open /dev/kipc", fd);
	dup2(fd, FD_CTX);
	close(fd);
	fd = open("/dev/null", O_RDWR);
	dup2(fd, FD_PLACE);
	close(fd);
	fd = dl_ioctl(FD_CTX, KIPC_IOC_REGION_CREATE, &rc);
	if (fd < 0)
		die("REGION_CREATE", fd);
	dup2(fd, FD_H0);
	close(fd);
	sh->r_id = rc.id;
	sh->nr_bufs = rc.nr_bufs;
	sh->bytes = rc.bytes;
	sh->buf_size = rc.buf_size;
	fd = kt_region_attach(FD_H0, KIPC_FD_NONBLOCK);
	if (fd < 0)
		die("REGION_ATTACH", fd);
	dup2(fd, FD_HCHECK);
	close(fd);
	fd = kt_region_create(FD_CTX, PG, 0, 0, NULL);
	if (fd < 0)
		die("REGION_CREATE (words)", fd);
	dup2(fd, FD_W0);
	close(fd);
	kt_region_info(FD_W0, &ri);
	sh->w_id = ri.id;
	wmap = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, FD_W0, 0);
	if (wmap == MAP_FAILED)
		die("mmap of the words' region", -errno);
	for (i = 0; i < NCH; i++) {
		r = new_r_channel(&s, &fd);
		if (r < 0)
			die("CHANNEL_CREATE", r);
		dup2(s, FD_SORIG + i);
		dup2(fd, FD_RORIG + i);
		close(s);
		close(fd);
	}
	for (i = 0; i < NNAME; i++)
		snprintf(sh->names[i], sizeof(sh->names[i]), "kipc-race-%d-%d",
			 (int)getpid(), i);
	setup_service();
}

/* After the fork: this process's own slots. */
static void setup_process(void)
{
	struct kipc_lendq_create lc = {
		.size = sizeof(lc), .flags = KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK,
	};
	int i, fd;

	if (proc == 1)
		close(FD_HCHECK);
	for (i = 0; i < KH; i++) {
		fd = kt_region_attach(FD_H0, KIPC_FD_NONBLOCK);
		if (fd < 0)
			die("REGION_ATTACH", fd);
		put_slot(FD_HSLOT + i, fd);
	}
	for (i = 0; i < KW; i++) {
		fd = kt_region_attach(FD_W0, 0);
		if (fd < 0)
			die("REGION_ATTACH (words)", fd);
		put_slot(FD_WSLOT + i, fd);
	}
	for (i = 0; i < NSLOT; i++) {
		put_slot(FD_SSLOT + i, dup(FD_SORIG + i % NCH));
		put_slot(FD_RSLOT + i, dup(FD_RORIG + i % NCH));
	}
	for (i = 0; i < NLQ; i++) {
		fd = dl_ioctl(FD_CTX, KIPC_IOC_LENDQ_CREATE, &lc);
		if (fd < 0)
			die("LENDQ_CREATE", fd);
		put_slot(FD_LQ + i, fd);
	}
}

static int owned_by(int fd)
{
	struct kipc_region_info ri;

	return kt_region_info(fd, &ri) < 0 ? -1 : (int)ri.nr_owned;
}

/* Threads stopped in both processes: the counts must add up. */
static void check_quiescent(struct thr *ts)
{
	int i, k, fds[1 + KH], n = 0, own;
	struct kipc_region_info ri;

	if (proc == 0)
		fds[n++] = FD_H0;
	for (i = 0; i < KH; i++)
		fds[n++] = FD_HSLOT + i;
	for (i = 0; i < n; i++) {
		uint32_t slot = hslot_index(fds[i]);
		uint32_t gen = atomic_load(&sh->hgen[slot]);
		int claims = 0;

		own = owned_by(fds[i]);
		for (k = 0; k < (int)sh->nr_bufs; k++)
			if (claim_of_handle(atomic_load(&sh->claim[k]), slot, gen))
				claims++;
		if (own < 0)	/* a closed slot (the placeholder) */
			continue;
		if (own < claims)
			violation("handle slot %u owns %d buffers but %d are "
				  "claimed through it", slot, own, claims);
		atomic_fetch_add(&sh->owned[proc], own);
	}
	barrier(1);
	if (proc == 0) {
		uint64_t owned = atomic_load(&sh->owned[0]) + atomic_load(&sh->owned[1]);

		kt_region_info(FD_HCHECK, &ri);
		if (ri.nr_free + owned + ri.nr_in_flight != ri.nr_bufs)
			violation("at rest: %u free + %llu owned + %u in flight "
				  "!= %u buffers", ri.nr_free,
				  (unsigned long long)owned, ri.nr_in_flight,
				  ri.nr_bufs);
		printf("kipc-fuzz: at rest: %u free, %llu owned, %u in flight, "
		       "of %u\n", ri.nr_free, (unsigned long long)owned,
		       ri.nr_in_flight, ri.nr_bufs);
	}
	barrier(5);
	/* Every live claim releases. */
	for (i = 0; i < nthreads; i++) {
		struct thr *t = &ts[i];

		for (k = 0; k < t->nheld; k++) {
			int fd = handle_fd_of(t->held[k].claim);
			int r;

			if (!claim_live(t->held[k].claim) ||
			    !unclaim(t->held[k].claim, t->held[k].off))
				continue;
			r = kt_buf_release(fd, t->held[k].off);
			if (r < 0)
				violation("release of claimed buffer %#llx through "
					  "handle slot %u failed: %s",
					  (unsigned long long)t->held[k].off,
					  claim_slot(t->held[k].claim), strerror(-r));
		}
	}
}

/* Close everything but the lend queues (and the parent's check handle). */
static void close_all(void)
{
	int i;

	pthread_mutex_lock(&map_mu);
	for (i = 0; i < nmaps; i++)
		munmap((void *)(uintptr_t)maps[i].addr, maps[i].len);
	nmaps = 0;
	pthread_mutex_unlock(&map_mu);
	for (i = 0; i < NNAME; i++) {
		struct kipc_name_unlink nu = {
			.size = sizeof(nu), .name = (uintptr_t)sh->names[i],
		};

		dl_ioctl(FD_CTX, KIPC_IOC_NAME_UNLINK, &nu);
	}
	teardown_service();
	for (i = 0; i < KH; i++)
		put_hslot(i, FD_PLACE);
	for (i = 0; i < KW; i++)
		put_slot(FD_WSLOT + i, FD_PLACE);
	for (i = 0; i < NSLOT; i++) {
		put_slot(FD_SSLOT + i, FD_PLACE);
		put_slot(FD_RSLOT + i, FD_PLACE);
	}
	for (i = 0; i < NCH; i++) {
		put_slot(FD_SORIG + i, FD_PLACE);
		put_slot(FD_RORIG + i, FD_PLACE);
	}
	munmap(wmap, PG);
	atomic_fetch_add(&sh->hgen[0], 2);
	put_slot(FD_H0, FD_PLACE);
	put_slot(FD_W0, FD_PLACE);
}

/* Every channel gone, every mapping unmapped: every range lent through a
 * queue still open completes. */
static void check_lends(void)
{
	double t0 = dl_now();
	uint32_t out[NLQ] = { 0 };
	int i, k, lost = 0;

	for (;;) {
		bool busy = false;

		for (i = 0; i < NLQ; i++) {
			while (reap_one(NULL, i, true, &out[i]) > 0)
				;
			busy |= out[i] != 0;
		}
		if (!busy || dl_now() - t0 > 10)
			break;
		usleep(20000);
	}
	pthread_mutex_lock(&ck_mu);
	for (k = 0; k < MAXCOOKIE; k++)
		if (cookies[k].state == CK_LENT && !cookies[k].orphan)
			lost++;
	pthread_mutex_unlock(&ck_mu);
	if (lost || out[0] || out[1])
		violation("%d lent ranges never completed (%u + %u still "
			  "outstanding) with every channel closed and every "
			  "mapping unmapped", lost, out[0], out[1]);
}

static int run_process(void)
{
	struct thr ts[MAXT];
	pthread_t th[MAXT];
	struct sigaction sa = { .sa_handler = on_segv };
	int i;

	cookies = calloc(MAXCOOKIE, sizeof(*cookies));
	for (i = 0; i < 256; i++)
		if (i < KH)
			pthread_rwlock_init(&hslot_rw[i], NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	setup_process();
	barrier(0);
	if (proc == 0)	/* the clock starts once both are set up */
		sh->t_end = dl_now() + seconds;
	barrier(4);
	for (i = 0; i < nthreads; i++) {
		struct thr *t = &ts[i];
		char *a = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		memset(t, 0, sizeof(*t));
		t->idx = i;
		t->rs = dl_seed(seed, proc * 64 + i);
		t->faulty = i & 1;
		t->ro = a;
		t->scratch = a + PG;
		t->none = a + 2 * PG;
		mprotect(t->ro, PG, PROT_READ);
		mprotect(t->none, PG, PROT_NONE);
		t->lendsrc = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(t->lendsrc, 0x6c, 8 * PG);
		pthread_create(&th[i], NULL, thread_main, t);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	barrier(2);		/* both processes at rest */
	check_quiescent(ts);
	close_all();
	barrier(3);		/* both closed everything */
	check_lends();
	for (i = 0; i < nthreads; i++)
		if (ts[i].nl)
			kipc_nl_close(ts[i].nl);
	return 0;
}

static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p++)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

int shared_main(int argc, char **argv);
int shared_main(int argc, char **argv)
{
	struct kipc_region_info ri;
	int i, k, status, fail = 0;
	pid_t child;
	double t0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--shared"))
			continue;
		if (!strcmp(a, "-v")) {
			verbose = true;
			continue;
		}
		if (!v)
			goto usage;
		if (!strcmp(a, "--seconds"))
			seconds = atoi(v);
		else if (!strcmp(a, "--threads"))
			nthreads = atoi(v);
		else if (!strcmp(a, "--seed"))
			seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--fault-pct"))
			fault_pct = atoi(v);
		else if (!strcmp(a, "--skip") || !strcmp(a, "--only"))
			for (k = 0; k < OP_N; k++) {
				bool in = in_list(v, op_names[k]);

				if (a[2] == 's' ? in : !in)
					op_weight[k] = 0;
			}
		else
			goto usage;
		i++;
	}
	if (nthreads < 1 || nthreads > MAXT || seconds < 1)
		goto usage;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	setup_objects();
	printf("kipc-fuzz: shared objects, seed %llu, 2 processes x %d threads, "
	       "%d s, faults in %d%% of the odd threads' pointers\n",
	       (unsigned long long)seed, nthreads, seconds, fault_pct);
	fflush(stdout);
	t0 = dl_now();
	child = fork();
	if (child < 0)
		die("fork", -errno);
	if (child == 0) {
		proc = 1;
		alarm(seconds + 120);
		run_process();
		fflush(stdout);
		_exit(0);
	}
	alarm(seconds + 120);
	run_process();
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "kipc-fuzz: a process died (status %#x)\n",
				status);
			fail = 1;
		}
	/* Everything closed in both processes: the pool is whole again. */
	if (kt_region_info(FD_HCHECK, &ri) < 0 || ri.nr_free != ri.nr_bufs ||
	    ri.nr_in_flight || ri.nr_owned)
		violation("after both processes closed everything: %u free, "
			  "%u in flight, %u owned, of %u", ri.nr_free,
			  ri.nr_in_flight, ri.nr_owned, ri.nr_bufs);
	if (atomic_load(&sh->wakes) != atomic_load(&sh->woken))
		violation("WAKE/REQUEUE woke %llu waiters of the counted words, "
			  "but %llu WAIT/WAITV calls returned woken",
			  (unsigned long long)atomic_load(&sh->wakes),
			  (unsigned long long)atomic_load(&sh->woken));
	printf("kipc-fuzz: %.1f s; calls (succeeded) per operation:\n",
	       dl_now() - t0);
	for (k = 0; k < OP_N; k++)
		printf("  %-13s %8llu (%llu)\n", op_names[k],
		       (unsigned long long)(sh->ops[0][k] + sh->ops[1][k]),
		       (unsigned long long)(sh->ok[0][k] + sh->ok[1][k]));
	printf("kipc-fuzz: %llu buffers acquired, %llu ranges lent, %llu "
	       "completed, %llu waiters woken, %llu claim races, %llu channels "
	       "seen over their depth, %llu acquisitions not judged (the "
	       "buffer may have moved on before the check)\n",
	       (unsigned long long)(sh->acquired[0] + sh->acquired[1]),
	       (unsigned long long)(sh->lent[0] + sh->lent[1]),
	       (unsigned long long)(sh->completed[0] + sh->completed[1]),
	       (unsigned long long)atomic_load(&sh->woken),
	       (unsigned long long)(sh->races[0] + sh->races[1]),
	       (unsigned long long)atomic_load(&sh->over_depth),
	       (unsigned long long)(sh->unjudged[0] + sh->unjudged[1]));
	if (atomic_load(&sh->violations))
		fail = 1;
	printf("kipc-fuzz: %llu violations: %s\n",
	       (unsigned long long)atomic_load(&sh->violations),
	       fail ? "FAIL" : "PASS");
	return fail;
usage:
	fprintf(stderr, "usage: kipc-fuzz --shared [--seconds 30] [--threads 3] "
		"[--seed S] [--fault-pct 10] [--skip OPS|--only OPS]\n"
		"  OPS: a list of operations of the summary (e.g. dump,create/close)\n");
	return 2;
}
