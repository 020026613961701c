// SPDX-License-Identifier: GPL-2.0
/*
 * A small comparison matrix: the same messages through a kipc channel
 * (inline bytes, and region buffers for large messages) and through a pipe,
 * a Unix stream socket, a futex mailbox on shared memory and a shared-memory
 * ring. Every transport must deliver every message once, in order, with
 * every byte intact; the timings and their ratios are printed as TAP
 * diagnostics and never asserted (they are figures of a VM under TCG).
 * kipc-bench measures properly; this only shows the order of things.
 *
 * Raw ioctls on <linux/kipc.h>, no libkipc: it builds in a kernel tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define REPEATS		3
#define RING_SLOTS	4
#define REGION_BUFS	4
#define SPIN_LIMIT_NS	(20ULL * 1000000000ULL)	/* a stuck peer fails */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t pattern(uint64_t seq, size_t i)
{
	return seq * 0x9e3779b97f4a7c15ULL ^ i * 0xc2b2ae3d27d4eb4fULL;
}

/* Message @seq: word 0 is the sequence number, then a pattern. */
static void fill(void *buf, size_t len, uint64_t seq)
{
	uint64_t *w = buf;
	size_t i;

	w[0] = seq;
	for (i = 1; i < len / 8; i++)
		w[i] = pattern(seq, i);
}

/* Shared by the two processes of one run. */
struct shared {
	uint64_t ready;		/* the child is attached */
	uint64_t t_done;	/* child: when the last message was checked */
	uint64_t msgs;		/* messages received */
	uint64_t bytes;		/* bytes received */
	uint64_t out_of_order;	/* wrong sequence numbers */
	uint64_t bad_payload;	/* messages with a damaged byte */
	int err;		/* child: errno of a failed call */
	char what[64];
};

/* The futex mailbox and the ring live in one shared mapping. */
struct mbox {
	uint32_t full;
	uint32_t len;
} __attribute__((aligned(64)));

struct ring {
	uint32_t head;		/* written by the producer */
	uint32_t pad[15];
	uint32_t tail;		/* written by the consumer */
	uint32_t pad2[15];
};

struct ctx {
	const struct xport *xp;
	size_t size;
	int side;		/* 0 parent, 1 child */
	void *txbuf, *rxbuf;
	int fd[2][2];		/* pipe: fd[d] is direction d's pipe */
	int sock[2];		/* unix: side s uses sock[s] */
	void *shm;		/* futex and ring: shared mapping */
	size_t shm_len;
	int kfd;		/* /dev/kipc */
	int chan[2][2];		/* kipc: direction d's [send, recv] */
	int region;		/* kipc-region: this process's handle */
	char *base;
	size_t buf_size;
	uint64_t tx_off, rx_off;
};

struct xport {
	const char *name;
	int (*setup)(struct ctx *x);
	int (*attach)(struct ctx *x);
	void *(*tx_buf)(struct ctx *x, int d);
	int (*send)(struct ctx *x, int d, void *buf, size_t len);
	const void *(*recv)(struct ctx *x, int d, size_t len);
	int (*done)(struct ctx *x, int d);
	void (*teardown)(struct ctx *x);
};

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EPIPE;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* pipe: one pipe per direction */
static int pipe_setup(struct ctx *x)
{
	if (pipe(x->fd[0]))
		return -1;
	return pipe(x->fd[1]);
}

static int pipe_send(struct ctx *x, int d, void *buf, size_t len)
{
	return write_all(x->fd[d][1], buf, len);
}

static const void *pipe_recv(struct ctx *x, int d, size_t len)
{
	return read_all(x->fd[d][0], x->rxbuf, len) ? NULL : x->rxbuf;
}

static void pipe_teardown(struct ctx *x)
{
	int d;

	for (d = 0; d < 2; d++) {
		close(x->fd[d][0]);
		close(x->fd[d][1]);
	}
}

/* unix: a stream socket pair, side s holds sock[s] */
static int unix_setup(struct ctx *x)
{
	return socketpair(AF_UNIX, SOCK_STREAM, 0, x->sock);
}

static int unix_send(struct ctx *x, int d, void *buf, size_t len)
{
	return write_all(x->sock[x->side], buf, len);
}

static const void *unix_recv(struct ctx *x, int d, size_t len)
{
	return read_all(x->sock[x->side], x->rxbuf, len) ? NULL : x->rxbuf;
}

static void unix_teardown(struct ctx *x)
{
	close(x->sock[0]);
	close(x->sock[1]);
}

static int shm_setup(struct ctx *x, size_t len)
{
	x->shm_len = len;
	x->shm = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (x->shm == MAP_FAILED) {
		x->shm = NULL;
		return -1;
	}
	return 0;
}

static void shm_teardown(struct ctx *x)
{
	if (x->shm)
		munmap(x->shm, x->shm_len);
}

static long futex(uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/* futex: a one-slot mailbox per direction, copied into shared memory */
static struct mbox *mbox_of(struct ctx *x, int d)
{
	return (struct mbox *)x->shm + d;
}

static char *mbox_data(struct ctx *x, int d)
{
	return (char *)x->shm + 2 * sizeof(struct mbox) + d * x->size;
}

static int mbox_wait(struct mbox *mb, uint32_t want)
{
	uint64_t t0 = now_ns();

	while (__atomic_load_n(&mb->full, __ATOMIC_ACQUIRE) != want) {
		if (futex(&mb->full, FUTEX_WAIT, !want) && errno != EAGAIN &&
		    errno != EINTR)
			return -1;
		if (now_ns() - t0 > SPIN_LIMIT_NS) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

static void mbox_set(struct mbox *mb, uint32_t val)
{
	__atomic_store_n(&mb->full, val, __ATOMIC_RELEASE);
	futex(&mb->full, FUTEX_WAKE, 1);
}

static int futex_setup(struct ctx *x)
{
	return shm_setup(x, 2 * sizeof(struct mbox) + 2 * x->size);
}

static int futex_send(struct ctx *x, int d, void *buf, size_t len)
{
	if (mbox_wait(mbox_of(x, d), 0))
		return -1;
	memcpy(mbox_data(x, d), buf, len);
	mbox_of(x, d)->len = len;
	mbox_set(mbox_of(x, d), 1);
	return 0;
}

static const void *futex_recv(struct ctx *x, int d, size_t len)
{
	if (mbox_wait(mbox_of(x, d), 1))
		return NULL;
	if (mbox_of(x, d)->len != len) {
		errno = EMSGSIZE;
		return NULL;
	}
	return mbox_data(x, d);
}

static int futex_done(struct ctx *x, int d)
{
	mbox_set(mbox_of(x, d), 0);
	return 0;
}

/* ring: RING_SLOTS slots per direction, spin with sched_yield() */
static struct ring *ring_of(struct ctx *x, int d)
{
	return (struct ring *)x->shm + d;
}

static char *ring_slot(struct ctx *x, int d, uint32_t n)
{
	return (char *)x->shm + 2 * sizeof(struct ring) +
	       ((size_t)d * RING_SLOTS + n % RING_SLOTS) * x->size;
}

/* Spin (yielding) while *@w == @val; the peer moves it on. */
static int spin_while(const uint32_t *w, uint32_t val)
{
	uint64_t t0 = now_ns();
	unsigned int n = 0;

	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == val) {
		if (++n % 16 == 0)
			sched_yield();
		if (n % 1024 == 0 && now_ns() - t0 > SPIN_LIMIT_NS) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

static int ring_setup(struct ctx *x)
{
	return shm_setup(x, 2 * sizeof(struct ring) +
			 2 * RING_SLOTS * x->size);
}

static int ring_send(struct ctx *x, int d, void *buf, size_t len)
{
	struct ring *r = ring_of(x, d);
	uint32_t head = r->head;

	/* Full while tail == head - RING_SLOTS. */
	if (spin_while(&r->tail, head - RING_SLOTS))
		return -1;
	memcpy(ring_slot(x, d, head), buf, len);
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

static const void *ring_recv(struct ctx *x, int d, size_t len)
{
	struct ring *r = ring_of(x, d);

	/* Empty while head == tail. */
	if (spin_while(&r->head, r->tail))
		return NULL;
	return ring_slot(x, d, r->tail);
}

static int ring_done(struct ctx *x, int d)
{
	struct ring *r = ring_of(x, d);

	__atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
	return 0;
}

/* kipc: a channel per direction, raw ioctls */
static int kipc_channel(struct ctx *x, int d, uint32_t max_inline,
			int region)
{
	struct kipc_channel_create cc = {
		.size = sizeof(cc), .flags = KIPC_FD_CLOEXEC,
		.max_inline = max_inline,
		.region_fd = region < 0 ? KIPC_NO_FD : (uint32_t)region,
	};

	if (ioctl(x->kfd, KIPC_IOC_CHANNEL_CREATE, &cc))
		return -1;
	x->chan[d][0] = cc.send_fd;
	x->chan[d][1] = cc.recv_fd;
	return 0;
}

static int kipc_io(int fd, unsigned long cmd, struct kipc_msg *m, int region)
{
	struct kipc_io io = {
		.size = sizeof(io), .msgs = (uintptr_t)m, .nr_msgs = 1,
		.msg_size = sizeof(*m),
		.region_fd = region < 0 ? KIPC_NO_FD : (uint32_t)region,
	};
	int ret;

	do
		ret = ioctl(fd, cmd, &io);
	while (ret < 0 && errno == EINTR);
	if (ret == 0)
		errno = EPIPE;		/* end of stream */
	return ret == 1 ? 0 : -1;
}

static int kinline_setup(struct ctx *x)
{
	x->region = -1;
	x->kfd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (x->kfd < 0)
		return -1;
	if (kipc_channel(x, 0, x->size, -1))
		return -1;
	return kipc_channel(x, 1, x->size, -1);
}

static int kinline_send(struct ctx *x, int d, void *buf, size_t len)
{
	struct kipc_msg m = { .data = (uintptr_t)buf, .data_len = len };

	return kipc_io(x->chan[d][0], KIPC_IOC_SEND, &m, -1);
}

static const void *kinline_recv(struct ctx *x, int d, size_t len)
{
	struct kipc_msg m = { .data = (uintptr_t)x->rxbuf,
			      .data_len = x->size };

	if (kipc_io(x->chan[d][1], KIPC_IOC_RECV, &m, -1))
		return NULL;
	if (m.data_len != len || m.nr_bufs) {
		errno = EMSGSIZE;
		return NULL;
	}
	return x->rxbuf;
}

static void kipc_teardown(struct ctx *x)
{
	int d;

	for (d = 0; d < 2; d++) {
		close(x->chan[d][0]);
		close(x->chan[d][1]);
	}
	if (x->base)
		munmap(x->base, REGION_BUFS * x->buf_size);
	if (x->region >= 0)
		close(x->region);
	close(x->kfd);
}

/* kipc-region: direction 0 carries region buffers, direction 1 inline */
static int kregion_setup(struct ctx *x)
{
	struct kipc_region_create rc = { .size = sizeof(rc),
					 .flags = KIPC_FD_CLOEXEC };
	void *p;

	x->region = -1;
	x->kfd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (x->kfd < 0)
		return -1;
	x->buf_size = (x->size + 4095) & ~4095UL;
	rc.bytes = REGION_BUFS * x->buf_size;
	rc.buf_size = x->buf_size;
	x->region = ioctl(x->kfd, KIPC_IOC_REGION_CREATE, &rc);
	if (x->region < 0)
		return -1;
	p = mmap(NULL, rc.bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		 x->region, 0);
	if (p == MAP_FAILED)
		return -1;
	x->base = p;
	if (kipc_channel(x, 0, 0, x->region))
		return -1;
	return kipc_channel(x, 1, 0, -1);
}

/* The child takes a region handle of its own: its buffers are its own. */
static int kregion_attach(struct ctx *x)
{
	struct kipc_region_attach ra = { .size = sizeof(ra),
					 .flags = KIPC_FD_CLOEXEC };
	int fd;

	if (!x->side)
		return 0;
	fd = ioctl(x->region, KIPC_IOC_REGION_ATTACH, &ra);
	if (fd < 0)
		return -1;
	close(x->region);
	x->region = fd;
	return 0;
}

static void *kregion_tx_buf(struct ctx *x, int d)
{
	struct kipc_buf_alloc ba = { .size = sizeof(ba) };
	int ret;

	if (d)
		return x->txbuf;
	do
		ret = ioctl(x->region, KIPC_IOC_BUF_ALLOC, &ba);
	while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return NULL;
	x->tx_off = ba.offset;
	return x->base + ba.offset;
}

static int kregion_send(struct ctx *x, int d, void *buf, size_t len)
{
	struct kipc_buf_ref ref = { .offset = x->tx_off, .len = len };
	struct kipc_msg m = { .nr_bufs = 1, .bufs = (uintptr_t)&ref };

	if (d)
		return kinline_send(x, d, buf, len);
	return kipc_io(x->chan[0][0], KIPC_IOC_SEND, &m, x->region);
}

static const void *kregion_recv(struct ctx *x, int d, size_t len)
{
	struct kipc_buf_ref ref = { .offset = ~0ULL };
	struct kipc_msg m = { .nr_bufs = 1, .bufs = (uintptr_t)&ref };

	if (d)
		return kinline_recv(x, d, len);
	if (kipc_io(x->chan[0][1], KIPC_IOC_RECV, &m, x->region))
		return NULL;
	if (m.nr_bufs != 1 || ref.len != len ||
	    ref.offset % x->buf_size || ref.offset >= REGION_BUFS * x->buf_size) {
		errno = EBADMSG;
		return NULL;
	}
	x->rx_off = ref.offset;
	return x->base + ref.offset;
}

static int kregion_done(struct ctx *x, int d)
{
	struct kipc_buf_release br = { .size = sizeof(br),
				       .offset = x->rx_off };

	return d ? 0 : ioctl(x->region, KIPC_IOC_BUF_RELEASE, &br);
}

static const struct xport xp_pipe = {
	"pipe", pipe_setup, NULL, NULL, pipe_send, pipe_recv, NULL,
	pipe_teardown,
};
static const struct xport xp_unix = {
	"unix-stream", unix_setup, NULL, NULL, unix_send, unix_recv, NULL,
	unix_teardown,
};
static const struct xport xp_futex = {
	"futex-shm", futex_setup, NULL, NULL, futex_send, futex_recv,
	futex_done, shm_teardown,
};
static const struct xport xp_ring = {
	"shm-ring", ring_setup, NULL, NULL, ring_send, ring_recv, ring_done,
	shm_teardown,
};
static const struct xport xp_kinline = {
	"kipc-inline", kinline_setup, NULL, NULL, kinline_send, kinline_recv,
	NULL, kipc_teardown,
};
static const struct xport xp_kregion = {
	"kipc-region", kregion_setup, kregion_attach, kregion_tx_buf,
	kregion_send, kregion_recv, kregion_done, kipc_teardown,
};

enum pattern_kind { STREAM, PING_PONG };

/* Receive message @seq of @len bytes and check it; count it in @sh. */
static int recv_check(struct ctx *x, int d, size_t len, uint64_t seq,
		      struct shared *sh)
{
	const uint64_t *w = x->xp->recv(x, d, len);
	size_t i;

	if (!w)
		return -1;
	if (w[0] != seq)
		sh->out_of_order++;
	for (i = 1; i < len / 8; i++)
		if (w[i] != pattern(w[0], i)) {
			sh->bad_payload++;
			break;
		}
	sh->msgs++;
	sh->bytes += len;
	return x->xp->done ? x->xp->done(x, d) : 0;
}

static int send_one(struct ctx *x, int d, size_t len, uint64_t seq)
{
	void *buf = x->xp->tx_buf ? x->xp->tx_buf(x, d) : x->txbuf;

	if (!buf)
		return -1;
	fill(buf, len, seq);
	return x->xp->send(x, d, buf, len);
}

static void child_run(struct ctx *x, enum pattern_kind kind, uint64_t n,
		      struct shared *sh)
{
	struct shared local = { 0 };
	const char *what = "attach";
	uint64_t i;

	x->side = 1;
	if (x->xp->attach && x->xp->attach(x))
		goto fail;
	__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
	for (i = 1; i <= n; i++) {
		what = "receive";
		if (recv_check(x, 0, x->size, i, &local))
			goto fail;
		if (kind == PING_PONG) {
			what = "send";
			if (send_one(x, 1, x->size, i))
				goto fail;
		}
	}
	local.t_done = now_ns();
	local.ready = 1;
	*sh = local;
	x->xp->teardown(x);
	_exit(0);
fail:
	local.err = errno;
	snprintf(local.what, sizeof(local.what), "%s", what);
	*sh = local;
	_exit(1);
}

/* A check that fails the test without leaving the helper. */
#define CHECK(cond, fmt, ...) do {					\
		if (!(cond)) {						\
			*failed = true;					\
			TH_LOG("%s: " fmt, xp->name, ##__VA_ARGS__);	\
		}							\
	} while (0)

/*
 * One run: @n messages of @size bytes, one way (STREAM) or there and back
 * (PING_PONG). Returns nanoseconds per message (STREAM) or per round trip;
 * sets *@failed when a message was lost, repeated, reordered or damaged.
 */
static double run_one(struct __test_metadata *_metadata,
		      const struct xport *xp, size_t size,
		      enum pattern_kind kind, uint64_t n, bool *failed)
{
	struct ctx x = { .xp = xp, .size = size };
	struct shared *sh, res, mine = { 0 };
	uint64_t t0 = 0, t1 = 0, i;
	int status;
	pid_t pid;

	memset(x.fd, -1, sizeof(x.fd));
	memset(x.sock, -1, sizeof(x.sock));
	memset(x.chan, -1, sizeof(x.chan));
	x.kfd = -1;
	x.region = -1;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED, "mmap: %s", strerror(errno));
	if (sh == MAP_FAILED)
		return 0;
	x.txbuf = malloc(size);
	x.rxbuf = malloc(size);
	CHECK(x.txbuf && x.rxbuf, "malloc");
	if (!x.txbuf || !x.rxbuf)
		goto out;
	if (xp->setup(&x)) {
		CHECK(0, "setup: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid < 0)
		goto out;
	if (!pid)
		child_run(&x, kind, n, sh);

	while (!__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE) &&
	       !waitpid(pid, &status, WNOHANG))
		sched_yield();
	t0 = now_ns();
	for (i = 1; i <= n; i++) {
		if (send_one(&x, 0, size, i))
			break;
		if (kind == PING_PONG && recv_check(&x, 1, size, i, &mine))
			break;
	}
	t1 = now_ns();
	CHECK(i == n + 1, "message %llu: %s", (unsigned long long)i,
	      strerror(errno));
	if (i <= n)
		kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	res = *sh;
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
	      "receiver failed: %s: %s", res.what, strerror(res.err));
	/* Correctness: every message once, in order, every byte intact. */
	CHECK(res.msgs == n, "%llu messages of %llu",
	      (unsigned long long)res.msgs, (unsigned long long)n);
	CHECK(res.bytes == n * size, "%llu bytes of %llu",
	      (unsigned long long)res.bytes, (unsigned long long)(n * size));
	CHECK(!res.out_of_order, "%llu out of order",
	      (unsigned long long)res.out_of_order);
	CHECK(!res.bad_payload, "%llu damaged",
	      (unsigned long long)res.bad_payload);
	if (kind == PING_PONG) {
		CHECK(mine.msgs == n && mine.bytes == n * size,
		      "%llu replies", (unsigned long long)mine.msgs);
		CHECK(!mine.out_of_order && !mine.bad_payload,
		      "replies out of order or damaged");
	} else {
		t1 = res.t_done;
	}
	if (xp == &xp_kregion && !*failed) {
		struct kipc_region_info ri = { .size = sizeof(ri) };

		/* The receiver released every buffer: the pool is whole. */
		CHECK(!ioctl(x.region, KIPC_IOC_REGION_INFO, &ri),
		      "REGION_INFO: %s", strerror(errno));
		CHECK(ri.nr_bufs == ri.nr_free, "%u of %u buffers free",
		      ri.nr_free, ri.nr_bufs);
	}
out:
	xp->teardown(&x);
	free(x.txbuf);
	free(x.rxbuf);
	munmap(sh, sizeof(*sh));
	return *failed || t1 <= t0 ? 0 : (double)(t1 - t0) / n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static bool kipc_has(uint64_t features)
{
	struct kipc_version v = { .size = sizeof(v) };
	int fd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = !ioctl(fd, KIPC_IOC_VERSION, &v) &&
	     (v.features & features) == features;
	close(fd);
	return ok;
}

/*
 * Run @xps (kipc's first) REPEATS times, interleaved, check every run and
 * print the medians and each one's ratio to kipc's.
 */
static void matrix(struct __test_metadata *_metadata, const char *title,
		   const struct xport *const *xps, int nr, size_t size,
		   enum pattern_kind kind, uint64_t n)
{
	double t[8][REPEATS], med[8];
	bool failed = false;
	int i, r;

	for (r = 0; r < REPEATS; r++)
		for (i = 0; i < nr; i++) {
			t[i][r] = run_one(_metadata, xps[i], size, kind, n,
					  &failed);
			ASSERT_FALSE(failed);
		}
	for (i = 0; i < nr; i++) {
		qsort(t[i], REPEATS, sizeof(double), cmp_double);
		med[i] = t[i][REPEATS / 2];
	}
	ksft_print_msg("%s: %zu B x %llu, median of %d, %s; ratio: %s's "
		       "time over the row's (below 1: %s is faster)\n", title,
		       size, (unsigned long long)n, REPEATS,
		       kind == STREAM ? "ns per message" : "ns per round trip",
		       xps[0]->name, xps[0]->name);
	for (i = 0; i < nr; i++)
		ksft_print_msg("  %-12s %12.0f ns   %s/%s %.3f\n", xps[i]->name,
			       med[i], xps[0]->name, xps[i]->name,
			       med[i] > 0 ? med[0] / med[i] : 0.0);
}

static const struct xport *const small[] = {
	&xp_kinline, &xp_pipe, &xp_unix, &xp_futex, &xp_ring,
};

static const struct xport *const large[] = {
	&xp_kregion, &xp_pipe, &xp_unix, &xp_futex, &xp_ring,
};

TEST(ping_pong_64b)
{
	if (!kipc_has(KIPC_FEATURE_CHANNEL))
		SKIP(return, "no channels in this module");
	matrix(_metadata, "ping-pong", small, ARRAY_SIZE(small), 64,
	       PING_PONG, 100);
}

TEST(stream_64b)
{
	if (!kipc_has(KIPC_FEATURE_CHANNEL))
		SKIP(return, "no channels in this module");
	matrix(_metadata, "stream", small, ARRAY_SIZE(small), 64, STREAM,
	       1000);
}

TEST(stream_4k)
{
	if (!kipc_has(KIPC_FEATURE_CHANNEL))
		SKIP(return, "no channels in this module");
	matrix(_metadata, "stream", small, ARRAY_SIZE(small), 4096, STREAM,
	       200);
}

/* Region buffers: the receiver checks every byte in place. */
TEST(stream_1m_region)
{
	if (!kipc_has(KIPC_FEATURE_CHANNEL | KIPC_FEATURE_REGION))
		SKIP(return, "no regions in this module");
	matrix(_metadata, "stream (payload written and checked)", large,
	       ARRAY_SIZE(large), 1 << 20, STREAM, 4);
}

KIPC_TEST_MAIN
