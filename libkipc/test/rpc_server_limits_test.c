// SPDX-License-Identifier: GPL-2.0
/*
 * What one client can make an RPC server hold (a guest test:
 * tools/vm/kipc-examples runs it). Each test starts a server of its own
 * shape in a child process, with kipc_rpc_server_run() called again after
 * every stop, and plays a client that does not follow the protocol:
 * - a client that never says HELLO is dropped when it is due, and one
 *   that says it just in time is welcomed and served;
 * - a uid has at most max_conns_per_uid connections: the next connect
 *   fails with -EUSERS, and succeeds again once one is closed;
 * - a client that leaves no room for a reply is dropped at once, not at
 *   its next message;
 * - a server out of fds does not spin waiting to accept, and accepts
 *   again once fds are free;
 * - a deadline too far to add to the clock does not wrap to the past;
 * - a stop does not lose the events a worker had taken with it;
 * - a connection that always has its next call waiting does not keep the
 *   worker that lingers on it from another connection's calls;
 * - a call whose answer cannot be sent, not even as an error, drops the
 *   connection rather than leave the client waiting for ever;
 * - the region buffers of a reply that cannot be sent go back to the
 *   pool;
 * - a client that closes its reply end is dropped at its first answer,
 *   not served for nobody;
 * - the second a connection's replies may wait for room comes back with
 *   time, not with a reply that finds room: a client cannot hold workers
 *   a second at a time, again and again, by reading now and then;
 * - a request cancelled while it waits behind a running one never runs,
 *   with one worker or two, its CANCEL sent by one of two threads of the
 *   client; and the requests a client left waiting when it closed neither
 *   run nor keep what they carried (region buffers, lent ranges); a
 *   CANCEL right behind as many requests as the backlog holds is read;
 * - the lent ranges of the requests a connection's backlog holds are 64
 *   mappings at most;
 * - a worker's receive room is on the heap, 64 KiB of inline bytes at
 *   most: the server runs on a thread of a 16 KiB stack, and at the
 *   largest max_inline in 768 KiB of address space to spare;
 * - a dropped backlog leaves no count on the ready eventfd, and a count
 *   wakes one worker, not a chain of them.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kt_leftovers.h"
#include "rpc_raw.h"

enum { M_ECHO = 1, M_FLOOD, M_STOP, M_NAP, M_BUFS_LATE, M_OWNED, M_HOLD,
       M_COUNT, M_GET, M_ANSWER_HOLD };
enum { E_FLOOD = 1 };

/* The server has a region of 16 buffers (its methods M_BUFS_LATE, M_OWNED). */
static int serve_region;

/*
 * The server runs on a thread of a stack this small (0: on the child's
 * main thread), with this much address space beyond what it has when it
 * starts to run (0: no limit).
 */
static size_t serve_stack, serve_as_room;

/* What the server's handlers and the test share (mapped before the fork). */
struct shared {
	uint32_t started;	/* M_HOLD calls begun */
	uint32_t release;	/* an M_HOLD sent n ends once this reaches n */
	uint32_t count;		/* M_COUNT calls run */
	uint32_t ticket;	/* M_COUNT calls begun */
	int32_t tid[2];		/* the threads of the last two begun */
	uint32_t count_us;	/* how long an M_COUNT sleeps */
};

static struct shared *shm;

/* ---- the server, in a child process ---- */

static int m_echo(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info info;

	kipc_rpc_req_info(req, &info);
	return kipc_rpc_reply(req, info.data, info.len);
}

/* Events to the caller until its reply channel is full, then the reply. */
static int m_flood(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info info;
	int i;

	kipc_rpc_req_info(req, &info);
	for (i = 0; i < 100000; i++)
		if (kipc_rpc_server_notify(arg, info.conn_id, E_FLOOD,
					   NULL) < 0)
			break;
	return 0;
}

/* An empty reply, 300 ms late. */
static int m_nap(struct kipc_rpc_req *req, void *arg)
{
	usleep(300 * 1000);
	return 0;
}

/* 300 ms late (the client may be gone), a reply of four new buffers. */
static int m_bufs_late(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_buf_ref refs[4];
	struct kipc_rpc_msg rep = { .bufs = refs, .nr_bufs = 4 };
	uint64_t off;
	int i;

	usleep(300 * 1000);
	for (i = 0; i < 4; i++) {
		if (kipc_buf_alloc(arg, &off))
			return -ENOBUFS;
		refs[i] = (struct kipc_buf_ref){ .offset = off, .len = 1 };
	}
	return kipc_rpc_reply_msg(req, &rep);
}

/* The buffers the server's region handle owns. */
static int m_owned(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_region_status st;
	uint32_t n;

	if (kipc_region_info(arg, &st))
		return -EIO;
	n = st.nr_owned;
	return kipc_rpc_reply(req, &n, sizeof(n));
}

/*
 * Hold the worker until the test's release reaches the number sent (1
 * without one), 10 s at most: the test knows what runs, and for how long.
 */
static int m_hold(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info info;
	uint64_t end = now_ms() + 10000;
	uint32_t n = 1;

	kipc_rpc_req_info(req, &info);
	if (info.len == sizeof(n))
		memcpy(&n, info.data, sizeof(n));
	__atomic_fetch_add(&shm->started, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&shm->release, __ATOMIC_SEQ_CST) < n &&
	       now_ms() < end)
		usleep(1000);
	return 0;
}

/* Answer at once, then hold as M_HOLD does. */
static int m_answer_hold(struct kipc_rpc_req *req, void *arg)
{
	kipc_rpc_reply(req, NULL, 0);
	return m_hold(req, arg);
}

/* Count the call; release the buffers it came with (@arg: the region). */
static int m_count(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info info;
	uint32_t i;

	kipc_rpc_req_info(req, &info);
	i = __atomic_fetch_add(&shm->ticket, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&shm->tid[i & 1], (int32_t)gettid(),
			 __ATOMIC_SEQ_CST);
	if (shm->count_us)
		usleep(shm->count_us);
	__atomic_fetch_add(&shm->count, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < info.nr_bufs; i++)
		kipc_buf_release(arg, info.bufs[i].offset);
	return 0;
}

/* The M_COUNT calls run so far. */
static int m_get(struct kipc_rpc_req *req, void *arg)
{
	uint32_t n = __atomic_load_n(&shm->count, __ATOMIC_SEQ_CST);

	return kipc_rpc_reply(req, &n, sizeof(n));
}

/* Stop the server, and keep this worker busy while requests arrive. */
static int m_stop(struct kipc_rpc_req *req, void *arg)
{
	kipc_rpc_server_stop(arg);
	usleep(300 * 1000);
	return 0;
}

/* The address space of this process now (VmSize), in bytes, or 0. */
static size_t vm_size(void)
{
	char line[128];
	size_t kb = 0;
	FILE *f;

	f = fopen("/proc/self/status", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* Run server @arg again after every stop, for ever. */
static void *serve_loop(void *arg)
{
	for (;;)
		if (kipc_rpc_server_run(arg) < 0)
			_exit(1);
}

static void __attribute__((noreturn))
serve(const char *name, const struct kipc_rpc_server_attr *attr,
      unsigned int nofile, int ready_fd)
{
	pthread_attr_t ta;
	pthread_t th;
	struct kipc_rpc_server_attr a = { 0 };
	struct rlimit rl = { nofile, nofile };
	struct kipc_rpc_server *s;
	struct kipc *k;
	char ok = 1;

	if (nofile && setrlimit(RLIMIT_NOFILE, &rl))
		_exit(1);
	if (attr)
		a = *attr;
	if (kipc_open(&k, 0) < 0 ||
	    (serve_region &&
	     kipc_region_create(k, 16 * 4096, 4096, 0, &a.region) < 0) ||
	    kipc_rpc_server_create(k, name, 0622, &a, &s) < 0)
		_exit(1);
	kipc_rpc_server_register(s, M_ECHO, m_echo, NULL);
	kipc_rpc_server_register(s, M_FLOOD, m_flood, s);
	kipc_rpc_server_register(s, M_STOP, m_stop, s);
	kipc_rpc_server_register(s, M_NAP, m_nap, NULL);
	kipc_rpc_server_register(s, M_HOLD, m_hold, NULL);
	kipc_rpc_server_register(s, M_COUNT, m_count, a.region);
	kipc_rpc_server_register(s, M_GET, m_get, NULL);
	kipc_rpc_server_register(s, M_ANSWER_HOLD, m_answer_hold, NULL);
	if (a.region) {
		kipc_rpc_server_register(s, M_BUFS_LATE, m_bufs_late, a.region);
		kipc_rpc_server_register(s, M_OWNED, m_owned, a.region);
	}
	if (serve_stack &&
	    (pthread_attr_init(&ta) ||
	     pthread_attr_setstacksize(&ta, serve_stack)))
		_exit(1);
	if (serve_as_room) {
		rl.rlim_cur = rl.rlim_max = vm_size() + serve_as_room;
		if (rl.rlim_cur == serve_as_room || setrlimit(RLIMIT_AS, &rl))
			_exit(1);
	}
	if (write(ready_fd, &ok, 1) != 1)
		_exit(1);
	close(ready_fd);
	if (!serve_stack)
		serve_loop(s);
	if (!pthread_create(&th, &ta, serve_loop, s))
		pthread_join(th, NULL);
	_exit(1);
}

/* ---- the client ---- */

/* A header without payload (req_hdr()), as one message: 1, or -errno. */
static int raw_send_hdr(struct raw *r, struct kipc_rpc_hdr *h)
{
	return raw_send(r, h, sizeof(*h));
}

/* HELLO on @r, and its welcome: 0, or -errno. */
static int raw_hello(struct raw *r)
{
	struct kipc_rpc_hdr h;
	char buf[256];

	if (raw_send(r, buf, hello_msg(buf, KIPC_RPC_VERSION,
				       KIPC_RPC_VERSION)) != 1)
		return -EIO;
	if (raw_recv(r, &h, 5000) != 1)
		return -ETIMEDOUT;
	return h.type == KIPC_RPC_REPLY ? 0 : -EPROTO;
}

/* Receive on @r until end of stream within @ms: 1 at end, 0 if not. */
static int raw_eof_within(struct raw *r, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	struct kipc_rpc_hdr h;
	int ret;

	do {
		ret = raw_recv(r, &h, 100);
		if (ret == 0)
			return 1;
	} while (now_ms() < end);
	return 0;
}

/*
 * Wait until the server has hung up @r's reply channel (its last end of
 * it closed: what is queued can still be read, then end of stream), at
 * most @ms, without reading: 1 when it has, 0 if not.
 */
static int raw_hup_within(struct raw *r, int ms)
{
	struct pollfd p = { .fd = kipc_channel_fd(r->rx), .events = 0 };
	uint64_t end = now_ms() + ms, now;

	/* Events 0: only the hang-up (or an error) ends the poll. */
	while ((now = now_ms()) < end) {
		if (poll(&p, 1, (int)(end - now)) > 0)
			return !!(p.revents & POLLHUP);
	}
	return 0;
}

/* CPU time of process @pid so far, in clock ticks. */
static long cpu_ticks(pid_t pid)
{
	unsigned long ut, st;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &st);
	fclose(f);
	return n == 2 ? (long)(ut + st) : -1;
}

#define NR_RAW 24

FIXTURE(srv) {
	struct kipc *k;
	char name[64];
	pid_t pid;
	struct raw raw[NR_RAW];
	int nr_raw;
	char poll_saved[32];	/* poll_max_ns to restore, or "" */
	char inflight_saved[32]; /* max_inflight_bytes_per_user, or "" */
};

FIXTURE_SETUP(srv)
{
	memset(self->raw, 0, sizeof(self->raw));
	self->nr_raw = 0;
	self->pid = 0;
	self->poll_saved[0] = '\0';
	self->inflight_saved[0] = '\0';
	snprintf(self->name, sizeof(self->name), "rpc-limits-%d", getpid());
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)shm);
	ASSERT_EQ(0, kipc_open(&self->k, 0));
}

static int param_swap(const char *param, const char *val, char *old,
		      size_t len);

#define POLL_MAX_NS	"poll_max_ns"
#define MAX_INFLIGHT	"max_inflight_bytes_per_user"

FIXTURE_TEARDOWN(srv)
{
	int i, st;

	/* Even when the test stopped at an assertion after changing them. */
	if (self->poll_saved[0] &&
	    param_swap(POLL_MAX_NS, self->poll_saved, NULL, 0))
		fprintf(stderr, "# could not restore poll_max_ns to %s\n",
			self->poll_saved);
	if (self->inflight_saved[0] &&
	    param_swap(MAX_INFLIGHT, self->inflight_saved, NULL, 0))
		fprintf(stderr, "# could not restore %s to %s\n",
			MAX_INFLIGHT, self->inflight_saved);

	for (i = 0; i < self->nr_raw; i++)
		raw_close(&self->raw[i]);
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, &st, 0);
	}
	munmap(shm, sizeof(*shm));
	kipc_close(self->k);
}

/* A server of @attr's shape with at most @nofile fds (0: as is). */
static pid_t start(struct __test_metadata *_metadata,
		   FIXTURE_DATA(srv) *self, const struct kipc_rpc_server_attr *attr,
		   unsigned int nofile)
{
	int ready[2];
	char x;

	ASSERT_EQ(0, pipe(ready));
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (!self->pid) {
		close(ready[0]);
		serve(self->name, attr, nofile, ready[1]);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &x, 1));
	close(ready[0]);
	return self->pid;
}

/* One more raw connection, kept in self->raw: 0, or -errno. */
static int raw_open(FIXTURE_DATA(srv) *self, struct raw **rp)
{
	struct raw *r = &self->raw[self->nr_raw];
	int ret;

	if (self->nr_raw == NR_RAW)
		return -ENOSPC;
	ret = kipc_connect(self->k, self->name, 0, NULL, &r->tx, &r->rx, NULL);
	if (ret < 0)
		return ret;
	self->nr_raw++;
	*rp = r;
	return 0;
}

static int echo_call(struct kipc_rpc_client *c)
{
	struct timespec dl = in_ms(5000);
	char in[8] = "limits", out[8];
	struct kipc_rpc_msg req = { .data = in, .len = sizeof(in) };
	struct kipc_rpc_msg rep = { .data = out, .len = sizeof(out) };

	return kipc_rpc_call(c, M_ECHO, &req, &rep, 0, &dl);
}

TEST_F(srv, hello_is_due)
{
	struct kipc_rpc_server_attr attr = { .hello_timeout_ms = 300 };
	struct kipc_rpc_client *c;
	struct raw *silent;
	uint64_t t0;

	start(_metadata, self, &attr, 0);
	/* Before the open: its timer starts when the server accepts it. */
	t0 = now_ms();
	ASSERT_EQ(0, raw_open(self, &silent));
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	/* Dropped, without a word: end of stream. */
	EXPECT_EQ(1, raw_eof_within(silent, 5000));
	EXPECT_LE(250, now_ms() - t0);
	/* A connection that said HELLO in time stays. */
	while (now_ms() < t0 + 700)
		usleep(50 * 1000);
	EXPECT_EQ(0, echo_call(c));
	kipc_rpc_client_close(c);
}

/*
 * A HELLO that came in time is never dropped as late, even when the timer
 * fires while a worker answers it. Clients say HELLO about when it is due
 * (5 ms after the connect), each after a delay that moves towards where
 * the server starts dropping them (later after a welcome, earlier after a
 * drop); a client that was welcomed must be served. With more than one
 * worker, the timer runs beside the worker that answers: a server whose
 * timer looks only at the channel drops a connection whose HELLO a worker
 * has taken, and then welcomes it (its request gets end of stream).
 */
TEST_F(srv, hello_at_its_deadline)
{
	struct kipc_rpc_server_attr attr = { .hello_timeout_ms = 5,
					      .nr_workers = 4 };
	int welcomed = 0, late = 0, dropped = 0, ret;
	unsigned int delay_us = 4000;
	struct kipc_rpc_hdr h;
	char buf[256];
	size_t len = hello_msg(buf, KIPC_RPC_VERSION, KIPC_RPC_VERSION);
	uint64_t t0;

	start(_metadata, self, &attr, 0);
	/* 1.5 s, and on until the delays reached the deadline (10 s at most). */
	t0 = now_ms();
	while (now_ms() < t0 + 1500 ||
	       ((!late || !welcomed) && now_ms() < t0 + 10000)) {
		struct raw r;

		ASSERT_EQ(0, kipc_connect(self->k, self->name, 0, NULL, &r.tx,
					  &r.rx, NULL));
		usleep(delay_us);
		/* -EPIPE: dropped before the HELLO went, late. */
		ret = raw_send(&r, buf, len);
		if (ret == 1)
			ret = raw_recv(&r, &h, 5000);
		if (ret == 1 && h.type == KIPC_RPC_REPLY) {
			welcomed++;
			req_hdr(&h, M_ECHO, 0);
			ret = raw_send(&r, &h, sizeof(h));
			if (ret == 1)
				ret = raw_recv(&r, &h, 5000);
			if (ret != 1 || h.type != KIPC_RPC_REPLY)
				dropped++;
			delay_us += 50;
		} else {
			late++;
			delay_us = delay_us > 150 ? delay_us - 150 : 0;
		}
		raw_close(&r);
	}
	TH_LOG("%d welcomed, %d late, %d welcomed then dropped; delay %u us",
	       welcomed, late, dropped, delay_us);
	EXPECT_EQ(0, dropped);
	/* The delays reached the deadline: some were late. */
	EXPECT_LT(0, late);
	EXPECT_LT(0, welcomed);
}

TEST_F(srv, conns_per_uid_capped)
{
	struct kipc_rpc_server_attr attr = { .max_conns_per_uid = 4 };
	struct kipc_rpc_client *c[5];
	uint64_t end;
	int i, ret;

	start(_metadata, self, &attr, 0);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL,
					      &c[i]));
	EXPECT_EQ(-EUSERS, kipc_rpc_connect(self->k, self->name, 0, NULL,
					    &c[4]));
	/* The four are served. */
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, echo_call(c[i]));
	/* Once one is gone (the server sees its end of stream), room. */
	kipc_rpc_client_close(c[0]);
	end = now_ms() + 5000;
	do {
		ret = kipc_rpc_connect(self->k, self->name, 0, NULL, &c[0]);
		if (ret == -EUSERS)
			usleep(20 * 1000);
	} while (ret == -EUSERS && now_ms() < end);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, echo_call(c[0]));
	for (i = 0; i < 4; i++)
		kipc_rpc_client_close(c[i]);
}

TEST_F(srv, no_room_for_a_reply_drops_at_once)
{
	struct kipc_rpc_server_attr attr = { .depth = 4 };
	struct kipc_rpc_hdr h;
	struct raw *r;
	int events = 0, ret;

	start(_metadata, self, &attr, 0);
	ASSERT_EQ(0, raw_open(self, &r));
	ASSERT_EQ(0, raw_hello(r));
	/* The handler fills the reply channel with events; nobody reads. */
	req_hdr(&h, M_FLOOD, 0);
	ASSERT_EQ(1, raw_send_hdr(r, &h));
	/*
	 * The reply waits its second, then the connection goes; the client
	 * sends nothing more. Wait for the hang-up, 4.5 s at most, before
	 * reading: a read would make room for the reply.
	 */
	raw_hup_within(r, 4500);
	while ((ret = raw_recv(r, &h, 2000)) == 1)
		events += h.type == KIPC_RPC_EVENT;
	EXPECT_EQ(4, events);
	EXPECT_EQ(0, ret);	/* end of stream: dropped */
}

/*
 * The client closes its reply end and keeps sending: the first answer
 * finds no reader (-EPIPE) and the connection goes, so the next send
 * fails with -EPIPE. Up to this fix the server ran every request for
 * nobody, its connection kept.
 */
TEST_F(srv, reply_end_closed_drops_the_connection)
{
	struct kipc_rpc_hdr h;
	uint64_t end;
	struct kipc_msg m;
	struct raw *r;
	int ret = 1;

	start(_metadata, self, NULL, 0);
	ASSERT_EQ(0, raw_open(self, &r));
	ASSERT_EQ(0, raw_hello(r));
	kipc_channel_close(r->rx);
	r->rx = NULL;
	req_hdr(&h, M_ECHO, 0);
	kipc_msg_init(&m, &h, sizeof(h), NULL, 0, 0);
	for (end = now_ms() + 3000; ret >= 0 && now_ms() < end;
	     usleep(50 * 1000))
		ret = kipc_channel_send(r->tx, &m, 1, KIPC_IO_NONBLOCK, NULL,
					NULL);
	EXPECT_EQ(-EPIPE, ret) TH_LOG("the server still read requests");
}

/*
 * A client makes a reply wait 600 ms of its second, reads, and lets one
 * reply through at once; then it makes a reply wait again. That one has
 * 400 ms left (and what 30 s of the clock would give back), so the
 * connection is gone when the client looks: at the hang-up, 900 ms later
 * at the latest (half a second to spare for a slow guest). Up to this fix
 * the reply that found room gave the whole second back, and the reply
 * still waited then.
 */
TEST_F(srv, reply_wait_comes_back_with_time_not_replies)
{
	struct kipc_rpc_server_attr attr = { .depth = 4 };
	struct kipc_rpc_hdr h;
	struct raw *r;
	int ret;

	start(_metadata, self, &attr, 0);
	ASSERT_EQ(0, raw_open(self, &r));
	ASSERT_EQ(0, raw_hello(r));
	req_hdr(&h, M_FLOOD, 0);
	ASSERT_EQ(1, raw_send_hdr(r, &h));
	usleep(600 * 1000);
	while ((ret = raw_recv(r, &h, 300)) == 1 && h.type == KIPC_RPC_EVENT)
		;
	ASSERT_EQ(1, ret);
	ASSERT_EQ(KIPC_RPC_REPLY, h.type);
	req_hdr(&h, M_ECHO, 0);
	ASSERT_EQ(1, raw_send_hdr(r, &h));
	ASSERT_EQ(1, raw_recv(r, &h, 2000));	/* through at once */
	req_hdr(&h, M_FLOOD, 0);
	ASSERT_EQ(1, raw_send_hdr(r, &h));
	/* Gone about 400 ms from now: looked at then, by 900 ms at most. */
	raw_hup_within(r, 900);
	while ((ret = raw_recv(r, &h, 300)) == 1)
		;
	EXPECT_EQ(0, ret) TH_LOG("the reply waited past the second left");
}

TEST_F(srv, out_of_fds_does_not_spin)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 2 };
	struct kipc_rpc_client *c;
	long t0, t1;
	struct raw *r;
	pid_t pid;
	int i;

	/* 16 fds: the server's own take about 10, each connection two. */
	pid = start(_metadata, self, &attr, 16);
	for (i = 0; i < NR_RAW; i++)
		ASSERT_EQ(0, raw_open(self, &r));
	usleep(300 * 1000);	/* it accepts what it can */
	t0 = cpu_ticks(pid);
	usleep(1000 * 1000);
	t1 = cpu_ticks(pid);
	ASSERT_LE(0, t0);
	/*
	 * At most half a CPU (clock ticks are 10 ms); a spinning worker
	 * takes a whole one, and the server has two. A quiet guest shows 3
	 * to 5 ticks; the debug kernel on a busy host showed 22, where every
	 * failed accept costs several times its CPU time.
	 */
	EXPECT_GE(sysconf(_SC_CLK_TCK) / 2, t1 - t0);
	TH_LOG("server CPU while out of fds: %ld ticks in 1 s", t1 - t0);
	/* Closing the client ends frees the server's: it accepts again. */
	for (i = 0; i < self->nr_raw; i++)
		raw_close(&self->raw[i]);
	self->nr_raw = 0;
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	EXPECT_EQ(0, echo_call(c));
	kipc_rpc_client_close(c);
}

TEST_F(srv, far_deadline_does_not_wrap)
{
	struct kipc_rpc_hdr h;
	struct raw *r;

	start(_metadata, self, NULL, 0);
	ASSERT_EQ(0, raw_open(self, &r));
	ASSERT_EQ(0, raw_hello(r));
	req_hdr(&h, M_ECHO, 0);
	h.flags = KIPC_RPC_F_DEADLINE;
	h.timeout_ns = UINT64_MAX - 1;
	ASSERT_EQ(1, raw_send_hdr(r, &h));
	ASSERT_EQ(1, raw_recv(r, &h, 5000));
	EXPECT_EQ(KIPC_RPC_REPLY, h.type);
	EXPECT_EQ(0, h.status);
}

#define NR_WAITING 8

TEST_F(srv, stop_loses_no_event)
{
	struct kipc_rpc_client *c[NR_WAITING + 1];
	struct kipc_rpc_completion comp;
	struct timespec dl;
	int i, done = 0;
	uint64_t id;

	start(_metadata, self, NULL, 0);
	for (i = 0; i <= NR_WAITING; i++)
		ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL,
					      &c[i]));
	/* The one worker stops the server, then stays busy 300 ms ... */
	ASSERT_EQ(0, kipc_rpc_submit(c[0], M_STOP, NULL, NULL, 0, NULL, 0,
				     &id));
	usleep(50 * 1000);
	/* ... while requests arrive on other connections: ready with the
	 * stop when it next waits. The server runs again after the stop. */
	for (i = 1; i <= NR_WAITING; i++)
		ASSERT_EQ(0, kipc_rpc_submit(c[i], M_ECHO, NULL, NULL, 0,
					     NULL, 0, &id));
	for (i = 1; i <= NR_WAITING; i++) {
		dl = in_ms(5000);
		if (kipc_rpc_complete(c[i], &comp, 1, 0, &dl) == 1 &&
		    comp.status == 0)
			done++;
	}
	EXPECT_EQ(NR_WAITING, done);
	for (i = 0; i <= NR_WAITING; i++)
		kipc_rpc_client_close(c[i]);
}

#define BUSY_DEPTH	32

/*
 * Calls on @c until told to stop, BUSY_DEPTH in flight: the connection
 * always has its next request waiting.
 */
struct busy {
	struct kipc_rpc_client *c;
	int stop;
	unsigned long calls;
	int err;
};

static void *busy_caller(void *arg)
{
	char in[8] = "busy", out[BUSY_DEPTH][8];
	struct kipc_rpc_msg req = { .data = in, .len = sizeof(in) };
	struct kipc_rpc_msg rep[BUSY_DEPTH];
	struct kipc_rpc_completion comp;
	struct busy *b = arg;
	struct timespec dl;
	unsigned int i;
	uint64_t id;
	int ret = 0;

	for (i = 0; i < BUSY_DEPTH && !ret; i++) {
		rep[i] = (struct kipc_rpc_msg){ .data = out[i],
						.len = sizeof(out[i]) };
		ret = kipc_rpc_submit(b->c, M_ECHO, &req, &rep[i], 0, NULL, i,
				      &id);
	}
	while (!ret && !__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
		dl = in_ms(5000);
		ret = kipc_rpc_complete(b->c, &comp, 1, 0, &dl);
		if (ret != 1) {
			ret = ret < 0 ? ret : -EPROTO;
			break;
		}
		ret = comp.status;
		if (ret)
			break;
		b->calls++;
		i = comp.user_data;
		rep[i].len = sizeof(out[i]);
		ret = kipc_rpc_submit(b->c, M_ECHO, &req, &rep[i], 0, NULL, i,
				      &id);
	}
	b->err = ret;
	return NULL;
}

#define NR_OTHER_CALLS	20

/* Write @val to the module's parameter @param; the old value into @old. */
static int param_swap(const char *param, const char *val, char *old,
		      size_t len)
{
	int ret = old ? kt_param_get(param, old, len) : 0;

	return ret ? ret : kt_param_set(param, val);
}

/*
 * After answering, the one worker lingers on the connection for its next
 * call. A client that always has its next call waiting would keep it there
 * for ever if the worker did not first take any other event waiting: the
 * other connection's calls would wait out their deadline. The server reads
 * its linger from poll_max_ns when it is made: 50 ms here, so that only
 * a client idle that long would end a linger.
 */
TEST_F(srv, busy_connection_does_not_starve_another)
{
	struct kipc_rpc_client *other;
	struct busy b = { 0 };
	struct timespec t0, t1;
	pthread_t th;
	long ms;
	int i, ok = 0;

	if (param_swap(POLL_MAX_NS, "50000000", self->poll_saved,
		       sizeof(self->poll_saved)))
		SKIP(return, "cannot set %s", POLL_MAX_NS);
	start(_metadata, self, NULL, 0);	/* reads it once, here */
	ASSERT_EQ(0, param_swap(POLL_MAX_NS, self->poll_saved, NULL, 0));
	self->poll_saved[0] = '\0';
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &b.c));
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &other));
	ASSERT_EQ(0, pthread_create(&th, NULL, busy_caller, &b));
	usleep(100 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < NR_OTHER_CALLS; i++)
		ok += !echo_call(other);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	__atomic_store_n(&b.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	TH_LOG("%d calls in %ld ms beside %lu calls, %d in flight", ok, ms,
	       b.calls, BUSY_DEPTH);
	EXPECT_EQ(NR_OTHER_CALLS, ok);
	EXPECT_GT(2000, ms);
	EXPECT_EQ(0, b.err);
	EXPECT_LT(0, b.calls);
	kipc_rpc_client_close(other);
	kipc_rpc_client_close(b.c);
}

/*
 * The server's user has no bytes in flight left (the module's cap lowered
 * below what any message takes) when a handler answers: neither the reply
 * nor the ERROR in its place can be sent. The connection must go, the
 * client seeing end of stream; the old server kept it, and the call was
 * never answered: a client without a deadline waited for ever.
 */
TEST_F(srv, unanswerable_call_drops_the_connection)
{
	struct kipc_rpc_client *c;
	struct kipc_rpc_hdr h;
	struct raw *r;
	int ret;

	start(_metadata, self, NULL, 0);
	ASSERT_EQ(0, raw_open(self, &r));
	ASSERT_EQ(0, raw_hello(r));
	req_hdr(&h, M_NAP, 0);
	ASSERT_EQ(1, raw_send_hdr(r, &h));
	/* Sent and charged: the handler answers 300 ms from now. */
	if (param_swap(MAX_INFLIGHT, "1", self->inflight_saved,
		       sizeof(self->inflight_saved)))
		SKIP(return, "cannot set %s", MAX_INFLIGHT);
	ret = raw_recv(r, &h, 3000);
	ASSERT_EQ(0, param_swap(MAX_INFLIGHT, self->inflight_saved, NULL, 0));
	self->inflight_saved[0] = '\0';
	EXPECT_EQ(0, ret);	/* end of stream; the old server: -ETIMEDOUT */
	/* The others are served. */
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	EXPECT_EQ(0, echo_call(c));
	kipc_rpc_client_close(c);
}

/*
 * A handler replies with four new region buffers after its client went:
 * the reply fails (-EPIPE), and its buffers, which kipc_rpc_reply(3) says
 * leave the handler, must go back to the pool. The old server kept them
 * owned by its region handle, four lost each time.
 */
TEST_F(srv, failed_reply_releases_its_buffers)
{
	struct kipc_rpc_client *c;
	uint32_t owned = UINT32_MAX;
	struct kipc_rpc_msg rep = { .data = &owned, .len = sizeof(owned) };
	struct timespec dl;
	uint64_t id;

	serve_region = 1;
	start(_metadata, self, NULL, 0);
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	ASSERT_EQ(0, kipc_rpc_submit(c, M_BUFS_LATE, NULL, NULL, 0, NULL, 0,
				     &id));
	usleep(50 * 1000);	/* the handler runs */
	kipc_rpc_client_close(c);
	/* The one worker answers HELLO once the handler returned. */
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	dl = in_ms(5000);
	EXPECT_EQ(0, kipc_rpc_call(c, M_OWNED, NULL, &rep, 0, &dl));
	EXPECT_EQ(0, owned);
	kipc_rpc_client_close(c);
}

/* Wait until @n M_HOLD calls have begun, 5 s at most: 1 when they have. */
static int holds_started(uint32_t n)
{
	uint64_t end = now_ms() + 5000;

	while (__atomic_load_n(&shm->started, __ATOMIC_SEQ_CST) < n) {
		if (now_ms() >= end)
			return 0;
		usleep(1000);
	}
	return 1;
}

/* End the M_HOLD calls sent @n or less. */
static void holds_release(uint32_t n)
{
	__atomic_store_n(&shm->release, n, __ATOMIC_SEQ_CST);
}

/* An M_HOLD on @c sent @n, with @tag as its user data: 0, or -errno. */
static int hold_submit(struct kipc_rpc_client *c, uint32_t n, uint64_t tag)
{
	struct kipc_rpc_msg req = { .data = &n, .len = sizeof(n) };
	uint64_t id;

	return kipc_rpc_submit(c, M_HOLD, &req, NULL, 0, NULL, tag, &id);
}

/* The server's M_GET: the M_COUNT calls run, or -errno. */
static int64_t count_get(struct kipc_rpc_client *c)
{
	struct timespec dl = in_ms(5000);
	uint32_t n = UINT32_MAX;
	struct kipc_rpc_msg rep = { .data = &n, .len = sizeof(n) };
	int ret = kipc_rpc_call(c, M_GET, NULL, &rep, 0, &dl);

	return ret < 0 ? ret : n;
}

/*
 * Review s44 M3. One worker runs an M_HOLD while the client sends an
 * M_COUNT and cancels it at once: the channel holds [M_COUNT, CANCEL].
 * The worker must read the CANCEL before it starts the M_COUNT, and skip
 * it, answering ERROR -ECANCELED (which gives the credit back). The old
 * server read one message at a time: it ran the M_COUNT to the end and
 * read its CANCEL after (M_GET: 1).
 */
TEST_F(srv, cancel_skips_a_queued_request)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 1, .depth = 4 };
	struct kipc_rpc_completion comp;
	struct kipc_rpc_client *c;
	int held = 1, counted = 1, i, n = 0;
	struct timespec dl;
	uint64_t id;

	start(_metadata, self, &attr, 0);
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	ASSERT_EQ(0, hold_submit(c, 1, 1));
	ASSERT_EQ(1, holds_started(1));
	ASSERT_EQ(0, kipc_rpc_submit(c, M_COUNT, NULL, NULL, 0, NULL, 2, &id));
	ASSERT_EQ(0, kipc_rpc_cancel(c, id));
	holds_release(1);
	for (i = 0; i < 2; i++) {
		dl = in_ms(5000);
		if (kipc_rpc_complete(c, &comp, 1, 0, &dl) != 1)
			break;
		if (comp.user_data == 1)
			held = comp.status;
		else
			counted = comp.status;
	}
	EXPECT_EQ(0, held);
	EXPECT_EQ(-ECANCELED, counted);
	EXPECT_EQ(0, count_get(c)) TH_LOG("the cancelled M_COUNT ran");
	/* Its ERROR came before M_GET's reply, with its credit: 4 go. */
	for (i = 0; i < 4; i++)
		n += !kipc_rpc_submit(c, M_ECHO, NULL, NULL, KIPC_RPC_NONBLOCK,
				      NULL, 3, &id);
	EXPECT_EQ(4, n) TH_LOG("a credit did not come back");
	for (i = 0; i < n; i++) {
		dl = in_ms(5000);
		EXPECT_EQ(1, kipc_rpc_complete(c, &comp, 1, 0, &dl));
	}
	kipc_rpc_client_close(c);
}

/* A thread that sends four M_COUNT on a shared client, cancelling two. */
struct canceller {
	struct kipc_rpc_client *c;
	uint64_t tag;		/* the calls' user data: tag + 0..3 */
	int err;
};

static void *submit_and_cancel(void *arg)
{
	struct canceller *t = arg;
	uint64_t id;
	int i, ret = 0;

	for (i = 0; i < 4 && !ret; i++) {
		ret = kipc_rpc_submit(t->c, M_COUNT, NULL, NULL, 0, NULL,
				      t->tag + i, &id);
		if (!ret && i % 2)	/* the odd ones, tag + 1 and + 3 */
			ret = kipc_rpc_cancel(t->c, id);
	}
	t->err = ret;
	return NULL;
}

/*
 * Both workers hold while two threads of one client each send four
 * M_COUNT and cancel two of them, their CANCELs interleaved on the one
 * channel. Once the workers are free, the four cancelled never run (the
 * old server ran nearly all of them), the four others do, each once.
 */
TEST_F(srv, cancels_of_two_threads_skip_with_two_workers)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 2, .depth = 16 };
	struct canceller t[2] = { { .tag = 100 }, { .tag = 200 } };
	int i, done = 0, ran = 0, skipped = 0, wrong = 0;
	struct kipc_rpc_completion comp;
	struct kipc_rpc_client *c;
	struct timespec dl;
	pthread_t th[2];

	start(_metadata, self, &attr, 0);
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	ASSERT_EQ(0, hold_submit(c, 1, 1));
	ASSERT_EQ(0, hold_submit(c, 1, 2));
	ASSERT_EQ(1, holds_started(2));
	for (i = 0; i < 2; i++) {
		t[i].c = c;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, submit_and_cancel,
					    &t[i]));
	}
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, t[i].err);
	}
	holds_release(1);
	for (done = 0; done < 10; done++) {
		dl = in_ms(5000);
		if (kipc_rpc_complete(c, &comp, 1, 0, &dl) != 1)
			break;
		if (comp.user_data < 100)
			wrong += comp.status != 0;
		else if (comp.user_data % 2)
			skipped += comp.status == -ECANCELED;
		else
			ran += comp.status == 0;
	}
	TH_LOG("%d completions: %d ran, %d cancelled, %d holds failed", done,
	       ran, skipped, wrong);
	EXPECT_EQ(10, done);
	EXPECT_EQ(4, ran);
	EXPECT_EQ(4, skipped);
	EXPECT_EQ(0, wrong);
	EXPECT_EQ(4, count_get(c)) TH_LOG("cancelled M_COUNTs ran");
	kipc_rpc_client_close(c);
}

/* Open the service's region, as a client: 0, or -errno. */
static int region_open(FIXTURE_DATA(srv) *self, struct kipc_region **rp)
{
	char name[80];
	uint32_t kind;
	int fd, ret;

	snprintf(name, sizeof(name), "%s%s", self->name,
		 KIPC_RPC_REGION_SUFFIX);
	fd = kipc_name_open(self->k, name, 0, 0, -1, &kind);
	if (fd < 0)
		return fd;
	ret = kipc_region_open_fd(fd, 0, rp);
	if (ret < 0)
		close(fd);
	return ret;
}

/* A header (req_hdr()) with @n after it as payload, on @r: 1, or -errno. */
static int raw_send_n(struct raw *r, struct kipc_rpc_hdr *h, uint32_t n)
{
	char buf[sizeof(*h) + sizeof(n)];

	h->payload_len = sizeof(n);
	memcpy(buf, h, sizeof(*h));
	memcpy(buf + sizeof(*h), &n, sizeof(n));
	return raw_send(r, buf, sizeof(buf));
}

/* M_COUNT on @r with buffer @b of @reg, or range @l lent with @q. */
static int raw_send_count(struct raw *r, struct kipc_region *reg,
			  struct kipc_buf_ref *b, struct kipc_lend_ref *l,
			  struct kipc_lendq *q)
{
	struct kipc_rpc_hdr h;
	struct kipc_msg m;

	req_hdr(&h, M_COUNT, 0);
	kipc_msg_init(&m, &h, sizeof(h), b, b ? 1 : 0, 0);
	if (l)
		kipc_msg_lend(&m, l, 1, q);
	return kipc_channel_send(r->tx, &m, 1, 0, NULL, b ? reg : NULL);
}

/* The buffers the server's region handle owns, once they are @want. */
static int64_t owned_settle(struct kipc_rpc_client *c, uint32_t want)
{
	uint64_t end = now_ms() + 2000;
	uint32_t owned;
	struct kipc_rpc_msg rep = { .data = &owned, .len = sizeof(owned) };
	struct timespec dl;
	int ret;

	do {
		owned = UINT32_MAX;
		dl = in_ms(5000);
		ret = kipc_rpc_call(c, M_OWNED, NULL, &rep, 0, &dl);
		if (ret < 0)
			return ret;
		if (owned == want)
			break;
		usleep(10 * 1000);
	} while (now_ms() < end);
	return owned;
}

/*
 * Three M_COUNT (one with a region buffer, one with a lent range) wait in
 * the backlog of a connection whose two workers hold: the second worker
 * read them ahead when it took its M_HOLD. The client closes. When the
 * workers are free, none of the three may run (its client is gone: the
 * old server, reading one message at a time, ran the first before it saw
 * end of stream), the buffer goes back to the pool and the range is
 * unmapped (the client's lend queue hears of it). The M_HOLDs are oneway,
 * so that no failed answer drops the connection first.
 */
TEST_F(srv, closed_client_backlog_runs_nothing_and_leaks_nothing)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 2, .depth = 8 };
	struct kipc_lend_completion lc;
	struct kipc_rpc_client *c;
	struct kipc_region *reg;
	struct kipc_buf_ref b = { .len = 1 };
	struct kipc_lend_ref l = { .len = 4096 };
	struct kipc_rpc_hdr h;
	struct kipc_lendq *q;
	uint64_t end, off;
	struct raw *r;
	void *page;
	int reaped = 0;

	serve_region = 1;
	start(_metadata, self, &attr, 0);
	ASSERT_EQ(0, raw_open(self, &r));
	ASSERT_EQ(0, raw_hello(r));
	ASSERT_EQ(0, region_open(self, &reg));
	ASSERT_EQ(0, kipc_lendq_create(self->k, 0, &q));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	memset(page, 0x3c, 4096);
	l.addr = (uintptr_t)page;
	ASSERT_EQ(0, kipc_buf_alloc(reg, &off));
	b.offset = off;

	/* Worker 1 holds until 1, worker 2 until 3. */
	req_hdr(&h, M_HOLD, 0);
	h.flags = KIPC_RPC_F_ONEWAY;
	ASSERT_EQ(1, raw_send_n(r, &h, 1));
	ASSERT_EQ(1, raw_send_n(r, &h, 3));
	ASSERT_EQ(1, holds_started(2));
	/* Queued behind a hold until 2: worker 1 takes all four. */
	ASSERT_EQ(1, raw_send_n(r, &h, 2));
	ASSERT_EQ(1, raw_send_count(r, reg, &b, NULL, NULL));
	ASSERT_EQ(1, raw_send_count(r, NULL, NULL, &l, q));
	ASSERT_EQ(1, raw_send_count(r, NULL, NULL, NULL, NULL));
	holds_release(1);
	ASSERT_EQ(1, holds_started(3));
	raw_close(r);
	r->tx = NULL;
	r->rx = NULL;
	holds_release(3);

	/* The range comes back: the connection is gone, its backlog too. */
	for (end = now_ms() + 5000; !reaped && now_ms() < end;
	     usleep(10 * 1000))
		reaped = kipc_lendq_reap(q, &lc, 1, KIPC_REAP_NONBLOCK) == 1;
	EXPECT_EQ(1, reaped) TH_LOG("the lent range was never unmapped");
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	EXPECT_EQ(0, count_get(c)) TH_LOG("a request of a closed client ran");
	EXPECT_EQ(0, owned_settle(c, 0)) TH_LOG("the buffer was not released");
	kipc_rpc_client_close(c);
	kipc_lendq_close(q);
	kipc_region_close(reg);
	munmap(page, 4096);
}

/* A header of @type (req_hdr()'s fields) with call id @id, on @r. */
static int raw_send_typed(struct raw *r, uint32_t type, uint32_t method,
			  uint32_t id, uint16_t flags)
{
	struct kipc_rpc_hdr h;

	req_hdr(&h, method, 0);
	h.type = type;
	h.call_id = id;
	h.flags = flags;
	return raw_send_hdr(r, &h);
}

/*
 * A worker that read what waited on a connection and then took its
 * oldest request had left the slot that take freed unread: the CANCEL
 * right behind a client's requests (four, its depth) stayed in the
 * channel and its request ran. B's oneway M_COUNT, taken off the ready
 * eventfd first, puts the eventfd behind A's channel in epoll's list, so
 * that A's requests are taken by a read of A's channel, the path that
 * had it (M_GET: 5 counted, two of them B's, not 6).
 */
TEST_F(srv, cancel_behind_a_full_backlog_is_read)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 1, .depth = 4 };
	struct kipc_rpc_hdr h;
	struct raw *a, *b;
	int i, r1 = 1;
	uint64_t end;

	start(_metadata, self, &attr, 0);
	ASSERT_EQ(0, raw_open(self, &a));
	ASSERT_EQ(0, raw_hello(a));
	ASSERT_EQ(0, raw_open(self, &b));
	ASSERT_EQ(0, raw_hello(b));
	req_hdr(&h, M_HOLD, 0);
	h.flags = KIPC_RPC_F_ONEWAY;
	ASSERT_EQ(1, raw_send_n(b, &h, 1));
	ASSERT_EQ(1, holds_started(1));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(1, raw_send_typed(b, KIPC_RPC_REQUEST, M_COUNT, 0,
					    KIPC_RPC_F_ONEWAY));
	ASSERT_EQ(1, raw_send_n(a, &h, 2));
	for (i = 11; i <= 12; i++)
		ASSERT_EQ(1, raw_send_typed(a, KIPC_RPC_REQUEST, M_COUNT, i, 0));
	/* B's first M_COUNT runs, then A's hold until 2: A's 11, 12 wait. */
	holds_release(1);
	ASSERT_EQ(1, holds_started(2));
	for (i = 13; i <= 14; i++)
		ASSERT_EQ(1, raw_send_typed(a, KIPC_RPC_REQUEST, M_COUNT, i, 0));
	ASSERT_EQ(1, raw_send_typed(a, KIPC_RPC_CANCEL, 0, 11, 0));
	holds_release(2);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, raw_recv(a, &h, 5000)) TH_LOG("answer %d of 4", i);
		if (h.call_id == 11)
			r1 = h.type == KIPC_RPC_ERROR ? h.status : 0;
	}
	EXPECT_EQ(-ECANCELED, r1) TH_LOG("call 11 ran, its CANCEL unread");
	for (end = now_ms() + 2000; now_ms() < end &&
	     __atomic_load_n(&shm->count, __ATOMIC_SEQ_CST) < 5;
	     usleep(10 * 1000))
		;
	EXPECT_EQ(5, __atomic_load_n(&shm->count, __ATOMIC_SEQ_CST));
}

/* The mappings of lent ranges process @pid has ("[kipc-lend]"). */
static int lend_maps(pid_t pid)
{
	char path[64], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "[kipc-lend]") != NULL;
	fclose(f);
	return n;
}

/*
 * Each lent range a request read ahead carries is a mapping of the
 * server's, made as it is received: a backlog of 16 requests of 16 ranges
 * each was 256 mappings for one connection (1024 at the default depth),
 * and a few users' connections could take all of the server's
 * vm.max_map_count. A backlog maps 64 at most; the rest wait in the
 * channel, and all run in the end.
 */
TEST_F(srv, backlog_maps_a_bounded_number_of_lent_ranges)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 1, .depth = 64 };
	struct kipc_lend_ref l[KIPC_MSG_LENDS_MAX];
	struct kipc_rpc_client *c;
	struct kipc_rpc_hdr h;
	struct kipc_lendq *q;
	struct kipc_msg m;
	uint64_t end;
	struct raw *r;
	char *pages;
	int i, maps;

	start(_metadata, self, &attr, 0);
	ASSERT_EQ(0, raw_open(self, &r));
	ASSERT_EQ(0, raw_hello(r));
	ASSERT_EQ(0, kipc_lendq_create(self->k, 0, &q));
	pages = mmap(NULL, KIPC_MSG_LENDS_MAX * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	memset(pages, 0x5a, KIPC_MSG_LENDS_MAX * 4096);
	for (i = 0; i < KIPC_MSG_LENDS_MAX; i++)
		l[i] = (struct kipc_lend_ref){
			.addr = (uintptr_t)pages + i * 4096, .len = 4096 };

	/* The worker holds; behind it a hold until 2 and 16 M_COUNTs. */
	req_hdr(&h, M_HOLD, 0);
	h.flags = KIPC_RPC_F_ONEWAY;
	ASSERT_EQ(1, raw_send_n(r, &h, 1));
	ASSERT_EQ(1, holds_started(1));
	ASSERT_EQ(1, raw_send_n(r, &h, 2));
	for (i = 0; i < 16; i++) {
		req_hdr(&h, M_COUNT, 0);
		h.flags = KIPC_RPC_F_ONEWAY;
		kipc_msg_init(&m, &h, sizeof(h), NULL, 0, 0);
		kipc_msg_lend(&m, l, KIPC_MSG_LENDS_MAX, q);
		ASSERT_EQ(1, kipc_channel_send(r->tx, &m, 1, 0, NULL, NULL));
	}
	/* It reads ahead as it takes the hold until 2, and holds again. */
	holds_release(1);
	ASSERT_EQ(1, holds_started(2));
	maps = lend_maps(self->pid);
	EXPECT_LE(KIPC_MSG_LENDS_MAX, maps) TH_LOG("nothing read ahead");
	EXPECT_GE(4 * KIPC_MSG_LENDS_MAX, maps)
		TH_LOG("%d lent ranges mapped for one backlog", maps);
	holds_release(2);
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	for (end = now_ms() + 5000; count_get(c) < 16 && now_ms() < end;
	     usleep(10 * 1000))
		;
	EXPECT_EQ(16, count_get(c)) TH_LOG("requests left in the channel");
	kipc_rpc_client_close(c);
	kipc_lendq_close(q);
	munmap(pages, KIPC_MSG_LENDS_MAX * 4096);
}

/*
 * kipc_rpc_server_run() called on a thread of the smallest stack that
 * pthreads allow (16 KiB on x86-64, part of it taken by the thread's own
 * descriptor and TLS) serves: the worker that runs on the caller's
 * thread keeps its receive room on the heap. The old server had 13 KiB
 * of it on that stack (struct rpc_worker) and died of SIGSEGV at its
 * first event, or before.
 */
TEST_F(srv, server_runs_on_a_small_stack)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 1 };
	long min = sysconf(_SC_THREAD_STACK_MIN);
	struct kipc_rpc_client *c;
	int i;

	serve_stack = min > 16384 ? (size_t)min : 16384;
	TH_LOG("the server's thread has a stack of %zu bytes", serve_stack);
	start(_metadata, self, &attr, 0);
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	for (i = 0; i < 10; i++)
		EXPECT_EQ(0, echo_call(c));
	kipc_rpc_client_close(c);
}

/*
 * A worker's receive room holds 64 KiB of inline bytes at most: one
 * message at the largest max_inline, not 16. The server runs with 768
 * KiB of address space to spare, which a worker that wants 129 KiB has
 * and the old one, which wanted 1 MiB for its receive room (16 x 64 KiB,
 * the depth being 64), had not: its run failed with -ENOMEM, and the
 * server was gone before the connect. The calls of 60 KiB each, four in
 * flight, take the backlog as well: all are answered, in full.
 */
TEST_F(srv, receive_room_is_bounded)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 1, .depth = 64,
					      .max_inline = 65536 };
	static char in[60 * 1024], out[4][60 * 1024];
	struct kipc_rpc_msg req = { .data = in, .len = sizeof(in) };
	struct kipc_rpc_msg rep[4];
	struct kipc_rpc_completion comp;
	struct kipc_rpc_client *c;
	struct timespec dl;
	int i, ok = 0;
	uint64_t id;

	serve_as_room = 768 * 1024;
	start(_metadata, self, &attr, 0);
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c))
		TH_LOG("the server could not run");
	memset(in, 0x6b, sizeof(in));
	for (i = 0; i < 4; i++) {
		rep[i] = (struct kipc_rpc_msg){ .data = out[i],
						.len = sizeof(out[i]) };
		ASSERT_EQ(0, kipc_rpc_submit(c, M_ECHO, &req, &rep[i], 0, NULL,
					     i, &id));
	}
	for (i = 0; i < 4; i++) {
		dl = in_ms(5000);
		if (kipc_rpc_complete(c, &comp, 1, 0, &dl) != 1)
			break;
		ok += comp.status == 0 && rep[comp.user_data].len ==
		      sizeof(in) && !memcmp(out[comp.user_data], in,
					    sizeof(in));
	}
	EXPECT_EQ(4, ok);
	kipc_rpc_client_close(c);
}

/* The sum of the counts of process @pid's eventfds, or -errno. */
static int64_t eventfd_counts(pid_t pid)
{
	char path[320], link[64], line[128];
	unsigned long long v;
	struct dirent *d;
	int64_t sum = 0;
	ssize_t n;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
			 d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "anon_inode:[eventfd]"))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid,
			 d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "eventfd-count: %llx", &v) == 1)
				sum += (int64_t)v;
		fclose(f);
	}
	closedir(dir);
	return sum;
}

/*
 * A connection goes with 8 requests in its backlog while the one worker
 * holds: the client closed its reply end, so the answer of the request
 * the worker took (M_ANSWER_HOLD, which then holds) finds no reader and
 * the connection is dropped. The drop takes back the 8 counts of the
 * server's ready eventfd: its eventfds count 0 meanwhile. The old server
 * left them there (8), each to wake a worker for nothing. None of the 8
 * runs.
 */
TEST_F(srv, dropped_backlog_takes_back_its_counts)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 1, .depth = 16 };
	struct kipc_rpc_client *c;
	struct kipc_rpc_hdr h;
	int64_t counts;
	struct raw *r;
	int i;

	start(_metadata, self, &attr, 0);
	ASSERT_EQ(0, raw_open(self, &r));
	ASSERT_EQ(0, raw_hello(r));
	req_hdr(&h, M_HOLD, 0);
	h.flags = KIPC_RPC_F_ONEWAY;
	ASSERT_EQ(1, raw_send_n(r, &h, 1));
	ASSERT_EQ(1, holds_started(1));
	req_hdr(&h, M_ANSWER_HOLD, 0);
	ASSERT_EQ(1, raw_send_n(r, &h, 2));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(1, raw_send_typed(r, KIPC_RPC_REQUEST, M_COUNT, 0,
					    KIPC_RPC_F_ONEWAY));
	kipc_channel_close(r->rx);
	r->rx = NULL;
	holds_release(1);
	ASSERT_EQ(1, holds_started(2));
	counts = eventfd_counts(self->pid);
	EXPECT_EQ(0, counts) TH_LOG("%lld counts left behind",
				    (long long)counts);
	holds_release(2);
	ASSERT_EQ(0, kipc_rpc_connect(self->k, self->name, 0, NULL, &c));
	EXPECT_EQ(0, count_get(c)) TH_LOG("a dropped request ran");
	kipc_rpc_client_close(c);
}

#define WAKE_THREADS	16

/* The voluntary context switches of each thread of process @pid. */
struct nvcsw {
	int n;
	int32_t tid[WAKE_THREADS];
	long v[WAKE_THREADS];
};

/* Read them into @t; 0, or -1. */
static int nvcsw_read(pid_t pid, struct nvcsw *t)
{
	char path[320], line[128];
	struct dirent *d;
	DIR *dir;
	FILE *f;
	long v;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	t->n = 0;
	while ((d = readdir(dir)) && t->n < WAKE_THREADS) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status",
			 (int)pid, d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "voluntary_ctxt_switches: %ld",
				   &v) == 1) {
				t->tid[t->n] = atoi(d->d_name);
				t->v[t->n++] = v;
			}
		fclose(f);
	}
	closedir(dir);
	return 0;
}

/*
 * The switches from @a to @b of the threads that are not @ran[0] or
 * @ran[1]: the wake-ups of threads that ran no request.
 */
static long nvcsw_idle(const struct nvcsw *a, const struct nvcsw *b,
		       const int32_t *ran)
{
	long sum = 0;
	int i, j;

	for (i = 0; i < b->n; i++) {
		if (b->tid[i] == ran[0] || b->tid[i] == ran[1])
			continue;
		for (j = 0; j < a->n; j++)
			if (a->tid[j] == b->tid[i])
				sum += b->v[i] - a->v[j];
	}
	return sum;
}

#define WAKE_ROUNDS	200

/*
 * Two one-way requests at once on a connection of a server of four idle
 * workers, which do not linger (poll_max_ns 0): the worker woken by the
 * channel reads both and runs one; the other is a count on the ready
 * eventfd, which wakes a second worker to run it. The other two stay
 * asleep. The old server watched the eventfd level-triggered: the second
 * worker's epoll_wait() left it ready and woke a third, which found the
 * count taken and slept again (or took it, and the second found none).
 * Each request sleeps 3 ms, so that the first worker cannot come back
 * and take the count while the worker it woke is on its way (epoll wakes
 * a sleeper, but a thread that calls epoll_wait() first takes the event:
 * the sleeper then wakes for nothing, with or without the fix). Counted
 * in each round: the voluntary context switches of the threads that ran
 * neither request. Measured over 200 rounds (TCG, three runs, the old
 * server twice beside): 0.46-0.61 a round on 6.12, 0.51-0.66 on 6.1,
 * 0.07-0.34 on KCSAN; the old server 2.02, 1.47-1.64 and 1.53-1.59.
 * Fewer than 1.2 a round passes. Only rounds whose two requests two
 * workers ran count: in the others the woken worker came too late (a
 * host that left its vCPU waiting past the 3 ms) and woke for nothing,
 * fix or not. CI, counting every round, saw 0.70-0.86 on 6.1 and 6.12
 * (which rounds added it was not logged); 6.12 with this rule: 0.59
 * over 200 rounds of 200.
 */
TEST_F(srv, a_count_wakes_one_worker)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 4, .depth = 16 };
	struct nvcsw before, after;
	struct kipc_rpc_hdr h[2];
	struct kipc_msg m[2];
	int32_t ran[2];
	struct raw *r;
	long idle = 0;
	uint64_t end;
	int i, j, rounds = 0;

	if (param_swap(POLL_MAX_NS, "0", self->poll_saved,
		       sizeof(self->poll_saved)))
		SKIP(return, "cannot set %s", POLL_MAX_NS);
	shm->count_us = 3000;
	start(_metadata, self, &attr, 0);	/* reads it once, here */
	ASSERT_EQ(0, param_swap(POLL_MAX_NS, self->poll_saved, NULL, 0));
	self->poll_saved[0] = '\0';
	ASSERT_EQ(0, raw_open(self, &r));
	ASSERT_EQ(0, raw_hello(r));
	for (j = 0; j < 2; j++) {
		req_hdr(&h[j], M_COUNT, 0);
		h[j].flags = KIPC_RPC_F_ONEWAY;
		kipc_msg_init(&m[j], &h[j], sizeof(h[j]), NULL, 0, 0);
	}
	/* Ten rounds to warm up, then the measured ones. */
	for (i = -10; i < WAKE_ROUNDS; i++) {
		ASSERT_EQ(0, nvcsw_read(self->pid, &before));
		ASSERT_LE(4, before.n);	/* the four workers */
		ASSERT_EQ(2, kipc_channel_send(r->tx, m, 2, 0, NULL, NULL));
		for (end = now_ms() + 2000; now_ms() < end &&
		     __atomic_load_n(&shm->count, __ATOMIC_SEQ_CST) <
		     (uint32_t)(2 * (i + 11));)
			usleep(100);
		ASSERT_EQ(2 * (i + 11),
			  __atomic_load_n(&shm->count, __ATOMIC_SEQ_CST));
		usleep(2000);	/* every worker back in epoll_wait() */
		ASSERT_EQ(0, nvcsw_read(self->pid, &after));
		for (j = 0; j < 2; j++)
			ran[j] = __atomic_load_n(&shm->tid[j],
						 __ATOMIC_SEQ_CST);
		if (i >= 0 && ran[0] != ran[1]) {
			idle += nvcsw_idle(&before, &after, ran);
			rounds++;
		}
	}
	if (rounds < WAKE_ROUNDS / 2)
		SKIP(return, "a busy guest: two workers ran the requests of %d rounds of %d",
		     rounds, WAKE_ROUNDS);
	TH_LOG("%.2f wake-ups a round of workers that ran nothing (%d rounds of %d: those two workers ran)",
	       (double)idle / rounds, rounds, WAKE_ROUNDS);
	EXPECT_GT(rounds * 6 / 5, idle);
}

TEST_HARNESS_MAIN
