// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-rpc-test: libkipc's RPC layer against the running module: round
 * trips, 1000 asynchronous calls on one connection, deadlines,
 * cancellation, credentials, a 0600 service, malformed messages and a
 * fuzz loop, events both ways, a client and then the server killed
 * mid-call. Prints TAP;
 * SKIP without /dev/kipc or without services in the module.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>
#include <kipc_rpc.h>

#include "rpc_raw.h"

enum { M_ECHO = 1, M_ADD, M_SLOW, M_CONNS, M_WHOAMI, M_BUF, M_LEND,
       M_NOTIFY, M_LAST_EVENT, M_STORM, M_STORM_RESULT, M_NOTIFIED, M_HOLD,
       M_LET_GO };
enum { E_SEQ = 100, E_PING = 200 };

static int nr_test, failed, nr_pass, nr_fail, nr_skip;
static char name[64], priv_name[64], small_name[64];
static struct kipc_rpc_server *srv, *priv_srv, *small_srv;

static void result(int ok, const char *what, const char *detail)
{
	nr_test++;
	printf("%sok %d rpc: %s%s%s\n", ok ? "" : "not ", nr_test, what,
	       detail ? " # " : "", detail ? detail : "");
	if (!ok)
		failed = 1;
	if (!ok)
		nr_fail++;
	else if (detail && !strncmp(detail, "SKIP", 4))
		nr_skip++;
	else
		nr_pass++;
	fflush(stdout);
}

/* ---- the server (a child process) ---- */

static int m_echo(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info in;

	kipc_rpc_req_info(req, &in);
	return kipc_rpc_reply(req, in.data, in.len);
}

static int m_add(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info in;
	uint64_t x;

	kipc_rpc_req_info(req, &in);
	if (in.len != sizeof(x))
		return -EINVAL;
	memcpy(&x, in.data, sizeof(x));
	x += 1;
	return kipc_rpc_reply(req, &x, sizeof(x));
}

/*
 * M_LET_GO's count, one for the process's servers: an M_HOLD running
 * ends when it changes.
 */
static uint32_t let_go;

/*
 * M_SLOW (@arg NULL) sleeps the milliseconds asked; M_HOLD (@arg &let_go)
 * also answers once M_LET_GO was called after it started: a call as slow
 * as its caller needs. Both give up when cancelled.
 */
static int m_slow(struct kipc_rpc_req *req, void *arg)
{
	uint32_t *release = arg, seen = 0, ms = 0;
	struct kipc_rpc_req_info in;
	uint64_t end;

	if (release)
		seen = __atomic_load_n(release, __ATOMIC_ACQUIRE);
	kipc_rpc_req_info(req, &in);
	if (in.len == sizeof(ms))
		memcpy(&ms, in.data, sizeof(ms));
	end = now_ms() + ms;
	while (now_ms() < end &&
	       (!release ||
		__atomic_load_n(release, __ATOMIC_ACQUIRE) == seen)) {
		if (kipc_rpc_req_cancelled(req))
			return -ECANCELED;
		usleep(2000);
	}
	return kipc_rpc_reply(req, &ms, sizeof(ms));
}

static int m_let_go(struct kipc_rpc_req *req, void *arg)
{
	__atomic_fetch_add(&let_go, 1, __ATOMIC_RELEASE);
	return 0;
}

static int m_conns(struct kipc_rpc_req *req, void *arg)
{
	int32_t n = kipc_rpc_server_connections(srv);

	return kipc_rpc_reply(req, &n, sizeof(n));
}

static int m_whoami(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info in;
	uint32_t ids[3];

	kipc_rpc_req_info(req, &in);
	ids[0] = in.pid;
	ids[1] = in.uid;
	ids[2] = in.gid;
	return kipc_rpc_reply(req, ids, sizeof(ids));
}

/*
 * A region buffer and/or a lent range in: their byte sum back, inline,
 * and a fresh buffer filled with 0x5a.
 */
static int m_buf(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_region *r = arg;
	struct kipc_rpc_req_info in;
	struct kipc_buf_ref out;
	struct kipc_rpc_msg rep;
	uint64_t sum = 0, i, off;
	uint32_t b;
	int ret;

	kipc_rpc_req_info(req, &in);
	for (b = 0; b < in.nr_bufs; b++) {
		const unsigned char *p = kipc_buf_ptr(r, in.bufs[b].offset);

		for (i = 0; i < in.bufs[b].len; i++)
			sum += p[i];
		kipc_buf_release(r, in.bufs[b].offset);
	}
	for (b = 0; b < in.nr_lends; b++) {
		const unsigned char *p = (const void *)(uintptr_t)in.lends[b].addr;

		for (i = 0; i < in.lends[b].len; i++)
			sum += p[i];
	}
	ret = kipc_buf_alloc(r, &off);
	if (ret < 0)
		return ret;
	memset(kipc_buf_ptr(r, off), 0x5a, 4096);
	out.offset = off;
	out.len = 4096;
	memset(&rep, 0, sizeof(rep));
	rep.data = &sum;
	rep.len = sizeof(sum);
	rep.bufs = &out;
	rep.nr_bufs = 1;
	ret = kipc_rpc_reply_msg(req, &rep);
	if (ret < 0)
		kipc_buf_release(r, off);
	return ret;
}

/* A page of 0x77 lent in the reply; the lend queue reaped as it goes. */
static int m_lend(struct kipc_rpc_req *req, void *arg)
{
	static struct kipc_lend_completion comps[64];
	static unsigned char *page;
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct kipc_lendq *q = arg;
	struct kipc_lend_ref lend;
	struct kipc_rpc_msg rep;

	pthread_mutex_lock(&mu);
	if (!page) {
		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED) {
			page = NULL;
			pthread_mutex_unlock(&mu);
			return -ENOMEM;
		}
		memset(page, 0x77, 4096);
	}
	while (kipc_lendq_reap(q, comps, 64, KIPC_REAP_NONBLOCK) > 0)
		;
	pthread_mutex_unlock(&mu);
	memset(&lend, 0, sizeof(lend));
	lend.addr = (uintptr_t)page;
	lend.len = 4096;
	memset(&rep, 0, sizeof(rep));
	rep.lends = &lend;
	rep.nr_lends = 1;
	rep.lendq = q;
	return kipc_rpc_reply_msg(req, &rep);
}

/* M_NOTIFY: what to send, and what the sends gave. */
struct notify_req {
	uint32_t tag, count, size;	/* @count events of @size bytes */
};

struct notify_rep {
	int32_t sent, eagain, err;	/* err: the last other failure */
};

/* The bytes of event @seq of call @tag: a header, then a pattern. */
static void seq_fill(unsigned char *p, uint32_t size, uint32_t tag,
		     uint32_t seq)
{
	uint32_t i;

	memcpy(p, &tag, 4);
	memcpy(p + 4, &seq, 4);
	for (i = 8; i < size; i++)
		p[i] = (unsigned char)(tag * 31 + seq * 7 + i);
}

/* M_NOTIFY's calls through their sends (M_NOTIFIED tells). */
static uint32_t notified;

/* Sends the events asked to the caller's connection, then replies. */
static int m_notify(struct kipc_rpc_req *req, void *arg)
{
	unsigned char buf[16384];
	struct kipc_rpc_req_info in;
	struct notify_req nr;
	struct notify_rep out = { 0, 0, 0 };
	struct kipc_rpc_msg ev = { .data = buf };
	uint32_t seq;
	int ret;

	kipc_rpc_req_info(req, &in);
	if (in.len != sizeof(nr))
		return -EINVAL;
	memcpy(&nr, in.data, sizeof(nr));
	if (nr.size < 8 || nr.size > sizeof(buf))
		return -EINVAL;
	ev.len = nr.size;
	for (seq = 0; seq < nr.count; seq++) {
		seq_fill(buf, nr.size, nr.tag, seq);
		ret = kipc_rpc_server_notify(srv, in.conn_id, E_SEQ, &ev);
		if (ret == 0)
			out.sent++;
		else if (ret == -EAGAIN)
			out.eagain++;
		else
			out.err = ret;
	}
	__atomic_fetch_add(&notified, 1, __ATOMIC_RELEASE);
	return kipc_rpc_reply(req, &out, sizeof(out));
}

static int m_notified(struct kipc_rpc_req *req, void *arg)
{
	uint32_t n = __atomic_load_n(&notified, __ATOMIC_ACQUIRE);

	return kipc_rpc_reply(req, &n, sizeof(n));
}

/* The last event a client sent, as its handler saw it (M_LAST_EVENT). */
struct event_seen {
	uint32_t event, len, pid;
	int32_t reply;		/* kipc_rpc_reply() on the event */
	uint64_t call_id;
	char data[64];
};

static struct event_seen last_event;
static pthread_mutex_t last_event_mu = PTHREAD_MUTEX_INITIALIZER;

static int e_ping(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info in;

	kipc_rpc_req_info(req, &in);
	pthread_mutex_lock(&last_event_mu);
	last_event.event = in.method;
	last_event.len = (uint32_t)in.len;
	last_event.pid = in.pid;
	last_event.call_id = in.call_id;
	memset(last_event.data, 0, sizeof(last_event.data));
	memcpy(last_event.data, in.data,
	       in.len < sizeof(last_event.data) ? in.len
						: sizeof(last_event.data));
	last_event.reply = kipc_rpc_reply(req, "x", 1);
	pthread_mutex_unlock(&last_event_mu);
	return 0;
}

/* Reply with @len bytes at @p, which @mu guards. */
static int reply_locked(struct kipc_rpc_req *req, pthread_mutex_t *mu,
			const void *p, size_t len)
{
	int ret;

	pthread_mutex_lock(mu);
	ret = kipc_rpc_reply(req, p, len);
	pthread_mutex_unlock(mu);
	return ret;
}

static int m_last_event(struct kipc_rpc_req *req, void *arg)
{
	return reply_locked(req, &last_event_mu, &last_event,
			    sizeof(last_event));
}

/*
 * M_STORM: a thread of the server's own, not a worker, sends events to the
 * caller's connection for 300 ms while the client closes it, so that
 * kipc_rpc_server_notify() races the connection's release. Each outcome
 * is counted; M_STORM_RESULT reports them once the storm is over.
 */
struct storm {
	uint64_t conn_id;
	int sent, eagain, enoent, epipe, other, done;
};

static struct storm storm;
static pthread_mutex_t storm_mu = PTHREAD_MUTEX_INITIALIZER;

static void *storm_run(void *arg)
{
	struct kipc_rpc_msg ev = { .data = "storm", .len = 6 };
	struct storm st = { .conn_id = storm.conn_id };
	uint64_t end = now_ms() + 5000;
	int ret;

	(void)arg;
	/*
	 * Until the connection is gone (its client closes it 100 ms in), 5 s
	 * at most: a fixed 300 ms ended before the close on a stalled guest.
	 */
	while (now_ms() < end && !st.enoent) {
		ret = kipc_rpc_server_notify(srv, st.conn_id, E_PING, &ev);
		if (ret == 0)
			st.sent++;
		else if (ret == -EAGAIN)
			st.eagain++;
		else if (ret == -ENOENT)
			st.enoent++;
		else if (ret == -EPIPE)
			st.epipe++;
		else
			st.other++;
	}
	st.done = 1;
	pthread_mutex_lock(&storm_mu);
	storm = st;
	pthread_mutex_unlock(&storm_mu);
	return NULL;
}

static int m_storm(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info in;
	pthread_t t;

	kipc_rpc_req_info(req, &in);
	pthread_mutex_lock(&storm_mu);
	memset(&storm, 0, sizeof(storm));
	storm.conn_id = in.conn_id;
	pthread_mutex_unlock(&storm_mu);
	if (pthread_create(&t, NULL, storm_run, NULL))
		return -EAGAIN;
	pthread_detach(t);
	return 0;
}

static int m_storm_result(struct kipc_rpc_req *req, void *arg)
{
	return reply_locked(req, &storm_mu, &storm, sizeof(storm));
}

static void *run_server(void *arg)
{
	kipc_rpc_server_run(arg);
	return NULL;
}

static void server(int ready_fd)
{
	struct kipc_rpc_server_attr attr;
	struct kipc_lendq *q;
	struct kipc_region *r;
	struct kipc *k;
	pthread_t t[2];
	char ok = 1;

	if (kipc_open(&k, 0) < 0 ||
	    kipc_region_create(k, 1 << 20, 4096, 0, &r) < 0 ||
	    kipc_lendq_create(k, 0, &q) < 0)
		_exit(1);
	memset(&attr, 0, sizeof(attr));
	attr.nr_workers = 4;
	attr.region = r;
	/* Others may connect (write), not listen (read): see t_other_uid(). */
	if (kipc_rpc_server_create(k, name, 0622, &attr, &srv) < 0)
		_exit(1);
	attr.nr_workers = 1;
	attr.region = NULL;
	if (kipc_rpc_server_create(k, priv_name, 0600, &attr, &priv_srv) < 0)
		_exit(1);
	/* Four credits a connection, for calls queued behind a full one. */
	attr.nr_workers = 4;
	attr.depth = 4;
	if (kipc_rpc_server_create(k, small_name, 0622, &attr, &small_srv) < 0)
		_exit(1);
	kipc_rpc_server_register(srv, M_ECHO, m_echo, NULL);
	kipc_rpc_server_register(srv, M_ADD, m_add, NULL);
	kipc_rpc_server_register(srv, M_SLOW, m_slow, NULL);
	kipc_rpc_server_register(srv, M_CONNS, m_conns, NULL);
	kipc_rpc_server_register(srv, M_WHOAMI, m_whoami, NULL);
	kipc_rpc_server_register(srv, M_BUF, m_buf, r);
	kipc_rpc_server_register(srv, M_LEND, m_lend, q);
	kipc_rpc_server_register(srv, M_NOTIFY, m_notify, NULL);
	kipc_rpc_server_register(srv, M_NOTIFIED, m_notified, NULL);
	kipc_rpc_server_register(srv, M_LAST_EVENT, m_last_event, NULL);
	kipc_rpc_server_register(srv, M_STORM, m_storm, NULL);
	kipc_rpc_server_register(srv, M_STORM_RESULT, m_storm_result, NULL);
	kipc_rpc_server_register(srv, M_HOLD, m_slow, &let_go);
	kipc_rpc_server_register(srv, M_LET_GO, m_let_go, NULL);
	kipc_rpc_server_register_event(srv, E_PING, e_ping, NULL);
	kipc_rpc_server_register(priv_srv, M_WHOAMI, m_whoami, NULL);
	kipc_rpc_server_register(small_srv, M_ECHO, m_echo, NULL);
	kipc_rpc_server_register(small_srv, M_SLOW, m_slow, NULL);
	kipc_rpc_server_register(small_srv, M_HOLD, m_slow, &let_go);
	pthread_create(&t[0], NULL, run_server, priv_srv);
	pthread_create(&t[1], NULL, run_server, small_srv);
	if (write(ready_fd, &ok, 1) != 1)
		_exit(1);
	close(ready_fd);
	kipc_rpc_server_run(srv);
	_exit(0);
}

/* ---- the client ---- */

static int call_bytes(struct kipc_rpc_client *c, uint32_t method,
		      const void *in, size_t in_len, void *out, size_t *out_len,
		      const struct timespec *deadline)
{
	struct kipc_rpc_msg req = { .data = (void *)in, .len = in_len };
	struct kipc_rpc_msg rep = { .data = out, .len = *out_len };
	int ret = kipc_rpc_call(c, method, &req, &rep, 0, deadline);

	*out_len = rep.len;
	return ret;
}

static int conns(struct kipc_rpc_client *c)
{
	int32_t n = -1;
	size_t len = sizeof(n);
	int ret = call_bytes(c, M_CONNS, NULL, 0, &n, &len, NULL);

	return ret < 0 ? ret : n;
}

/* Connections the server holds drop back to @want within @ms. */
static int conns_settle(struct kipc_rpc_client *c, int want, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	int n;

	do {
		n = conns(c);
		if (n == want)
			return n;
		usleep(5000);
	} while (now_ms() < end);
	return n;
}

static void t_round_trip(struct kipc_rpc_client *c)
{
	char out[64];
	size_t len = sizeof(out);
	int ret = call_bytes(c, M_ECHO, "hello, kipc", 12, out, &len, NULL);

	result(ret == 0 && len == 12 && !strcmp(out, "hello, kipc"),
	       "a call's round trip echoes its bytes", NULL);
	memset(out, 0, sizeof(out));
	len = 5;
	ret = call_bytes(c, M_ECHO, "hello, kipc", 12, out, &len, NULL);
	result(ret == -EMSGSIZE && len == 5 && !memcmp(out, "hello", 6),
	       "an answer larger than the room: -EMSGSIZE, what fits is kept",
	       NULL);
	len = sizeof(out);
	ret = call_bytes(c, 77, "x", 1, out, &len, NULL);
	result(ret == -ENOSYS, "an unknown method gets -ENOSYS", NULL);
}

#define NR_ASYNC 1000

static void t_async(struct kipc_rpc_client *c)
{
	static uint64_t in[NR_ASYNC], out[NR_ASYNC];
	static struct kipc_rpc_msg reps[NR_ASYNC];
	struct kipc_rpc_completion comps[64];
	int done = 0, bad = 0, ret = 0, i, n;
	char detail[96];

	for (i = 0; i < NR_ASYNC; i++) {
		struct kipc_rpc_msg req = { .data = &in[i], .len = sizeof(in[i]) };

		in[i] = (uint64_t)i * 7919;
		reps[i].data = &out[i];
		reps[i].len = sizeof(out[i]);
		ret = kipc_rpc_submit(c, M_ADD, &req, &reps[i], 0, NULL, i, NULL);
		if (ret < 0)
			break;
	}
	while (ret >= 0 && done < NR_ASYNC) {
		n = kipc_rpc_complete(c, comps, 64, 0, NULL);
		if (n <= 0) {
			ret = n ? n : -EIO;
			break;
		}
		for (i = 0; i < n; i++) {
			uint64_t k = comps[i].user_data;

			if (comps[i].status || k >= NR_ASYNC ||
			    comps[i].rep != &reps[k] ||
			    reps[k].len != sizeof(uint64_t) ||
			    out[k] != in[k] + 1)
				bad++;
		}
		done += n;
	}
	snprintf(detail, sizeof(detail), "depth %d, %d completed, %d wrong, %d",
		 kipc_rpc_client_depth(c), done, bad, ret);
	result(ret >= 0 && done == NR_ASYNC && !bad,
	       "1000 outstanding asynchronous calls on one connection complete right",
	       detail);
}

static void t_deadline(struct kipc_rpc_client *c)
{
	struct timespec dl = in_ms(200);
	uint32_t ms = 2000, got;
	size_t len = sizeof(got);
	uint64_t t0 = now_ms(), dt;
	char detail[64];
	int ret;

	ret = call_bytes(c, M_SLOW, &ms, sizeof(ms), &got, &len, &dl);
	dt = now_ms() - t0;
	snprintf(detail, sizeof(detail), "%d after %llu ms", ret,
		 (unsigned long long)dt);
	result(ret == -ETIMEDOUT && dt >= 190 && dt < 700,
	       "a slow method past the deadline gives -ETIMEDOUT on time", detail);
	len = sizeof(got);
	ret = call_bytes(c, M_ECHO, "ok", 3, &got, &len, NULL);
	result(ret == 0 && len == 3, "the connection serves on after a timeout",
	       NULL);
}

/*
 * Each call that times out after its request went keeps its credit only
 * until its answer comes (the server's reply, or -ECANCELED for the
 * cancel the client sends): on a connection of four credits, four such
 * calls and then one more still leave the connection serving. The
 * client dropped the late answers of synchronous calls, and their
 * credits with them: the fifth call timed out, never sent.
 */
static void t_deadline_credits(struct kipc *k)
{
	struct kipc_rpc_client *c = NULL;
	uint32_t ms = 1000, got;
	size_t len;
	struct timespec dl;
	char detail[96];
	int ret, i, nr_timed_out = 0;

	ret = kipc_rpc_connect(k, small_name, 0, NULL, &c);
	for (i = 0; i < 5 && !ret; i++) {
		dl = in_ms(30);
		len = sizeof(got);
		nr_timed_out += call_bytes(c, M_SLOW, &ms, sizeof(ms), &got,
					   &len, &dl) == -ETIMEDOUT;
	}
	if (!ret) {
		dl = in_ms(3000);
		len = sizeof(got);
		ret = call_bytes(c, M_ECHO, "ok", 3, &got, &len, &dl);
	}
	snprintf(detail, sizeof(detail), "%d of 5 timed out, then %d",
		 nr_timed_out, ret);
	result(nr_timed_out == 5 && ret == 0 && len == 3,
	       "calls that timed out give their credits back when answered",
	       detail);
	kipc_rpc_client_close(c);
}

/*
 * A deadline that is not a time is refused (-EINVAL) by every entry, as
 * the kernel's own calls refuse it; one 584 years away does not wrap
 * into the past (the old client's sum did: the call timed out at once).
 */
static void t_deadline_checked(struct kipc_rpc_client *c)
{
	struct timespec bad = { .tv_sec = 1, .tv_nsec = 1000000000L };
	struct timespec far = { .tv_sec = 18446744074LL, .tv_nsec = 0 };
	struct kipc_rpc_msg req = { .data = "x", .len = 1 };
	struct kipc_rpc_completion comp;
	struct timespec dl = in_ms(5000);
	uint32_t ms = 50, got;
	size_t len = sizeof(got);
	char detail[96];
	int r1, r2, r3, ret;
	uint64_t id;

	r1 = kipc_rpc_call(c, M_ECHO, &req, NULL, 0, &bad);
	r2 = kipc_rpc_submit(c, M_ECHO, &req, NULL, 0, &bad, 1, &id);
	r3 = kipc_rpc_complete(c, &comp, 1, KIPC_RPC_NONBLOCK, &bad);
	snprintf(detail, sizeof(detail), "call %d, submit %d, complete %d",
		 r1, r2, r3);
	result(r1 == -EINVAL && r2 == -EINVAL && r3 == -EINVAL,
	       "a deadline with tv_nsec of 1e9 is -EINVAL for call, submit and complete",
	       detail);
	ret = kipc_rpc_submit(c, M_SLOW, &(struct kipc_rpc_msg){
				      .data = &ms, .len = sizeof(ms) },
			      NULL, 0, &far, 7, &id);
	if (!ret)
		ret = kipc_rpc_complete(c, &comp, 1, 0, &dl);
	snprintf(detail, sizeof(detail), "%d, status %d", ret,
		 ret == 1 ? comp.status : 0);
	result(ret == 1 && comp.status == 0,
	       "a deadline 584 years away does not wrap into the past", detail);
	ret = call_bytes(c, M_SLOW, &ms, sizeof(ms), &got, &len, &far);
	snprintf(detail, sizeof(detail), "%d", ret);
	result(ret == 0, "... nor for a call", detail);
	/*
	 * Room for buffers or ranges without their arrays: the answer, which
	 * the server decides, would be written through NULL.
	 */
	r1 = kipc_rpc_call(c, M_ECHO, &req, &(struct kipc_rpc_msg){
				   .nr_bufs = 1 }, 0, &dl);
	r2 = kipc_rpc_submit(c, M_ECHO, &req, &(struct kipc_rpc_msg){
				     .nr_lends = 1 }, 0, &dl, 1, &id);
	snprintf(detail, sizeof(detail), "call %d, submit %d", r1, r2);
	result(r1 == -EINVAL && r2 == -EINVAL,
	       "room for an answer's buffers or ranges without entries: -EINVAL",
	       detail);
}

/*
 * An event loop may set O_NONBLOCK on kipc_rpc_client_fd() (libuv's poll
 * handles do): blocking calls still block. The fd was the reply channel's
 * once, and the client's receive took its -EAGAIN for its own and
 * abandoned the call with it; it is an epoll set now, and the row keeps
 * the promise whatever the fd is.
 */
static void t_nonblock_fd(struct kipc_rpc_client *c)
{
	int fd = kipc_rpc_client_fd(c), fl = fcntl(fd, F_GETFL);
	struct kipc_rpc_msg req = { .data = NULL, .len = 0 };
	struct kipc_rpc_completion comp;
	struct timespec dl = in_ms(5000);
	uint32_t ms = 100;
	size_t len = 3;
	char detail[64], ok[3];
	int r1, r2 = 0;
	uint64_t id;

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	req.data = &ms;
	req.len = sizeof(ms);
	/* One call in flight: the next one takes the receive path. */
	r1 = kipc_rpc_submit(c, M_SLOW, &req, NULL, 0, &dl, 9, &id);
	if (!r1)
		r1 = call_bytes(c, M_ECHO, "ok", 3, ok, &len, &dl);
	if (!r1)
		r2 = kipc_rpc_complete(c, &comp, 1, 0, &dl);
	fcntl(fd, F_SETFL, fl);
	snprintf(detail, sizeof(detail), "call %d, complete %d, status %d", r1,
		 r2, r2 == 1 ? comp.status : 0);
	result(r1 == 0 && r2 == 1 && comp.status == 0,
	       "an O_NONBLOCK client fd: a blocking call and complete still wait",
	       detail);
}

static void t_cancel(struct kipc_rpc_client *c)
{
	struct kipc_rpc_completion comp;
	uint32_t ms = 3000, got;
	struct kipc_rpc_msg req = { .data = &ms, .len = sizeof(ms) };
	struct kipc_rpc_msg rep = { .data = &got, .len = sizeof(got) };
	uint64_t id, t0;
	char out[8], detail[64];
	size_t len = sizeof(out);
	int ret, n = -1;

	ret = kipc_rpc_submit(c, M_SLOW, &req, &rep, 0, NULL, 42, &id);
	usleep(20000);
	t0 = now_ms();
	if (!ret)
		ret = kipc_rpc_cancel(c, id);
	if (!ret)
		n = kipc_rpc_complete(c, &comp, 1, 0, NULL);
	snprintf(detail, sizeof(detail), "%d %d status %d in %llu ms", ret, n,
		 n == 1 ? comp.status : 0, (unsigned long long)(now_ms() - t0));
	result(ret == 0 && n == 1 && comp.user_data == 42 &&
	       comp.status == -ECANCELED && now_ms() - t0 < 200,
	       "a cancelled call completes at once with -ECANCELED", detail);
	/* The late answer is dropped; the next call gets its own. */
	ret = call_bytes(c, M_ECHO, "abc", 4, out, &len, NULL);
	result(ret == 0 && len == 4 && !strcmp(out, "abc"),
	       "the cancelled call's late answer is dropped", NULL);
}

static void t_creds(struct kipc_rpc_client *c)
{
	uint32_t ids[3] = { 0 };
	size_t len = sizeof(ids);
	int ret = call_bytes(c, M_WHOAMI, NULL, 0, ids, &len, NULL);

	result(ret == 0 && ids[0] == (uint32_t)getpid() &&
	       ids[1] == geteuid() && ids[2] == getegid(),
	       "a handler sees the caller's pid, euid and egid", NULL);
}

static void t_zero_copy(struct kipc *k, struct kipc_rpc_client *c)
{
	struct kipc_region *r = kipc_rpc_client_region(c);
	struct kipc_buf_ref in, back[2];
	struct kipc_lend_ref lend;
	struct kipc_lendq *q = NULL;
	struct kipc_rpc_msg req, rep;
	uint64_t off, sum = 0, want;
	unsigned char *page, *p;
	int ret, i, good;

	if (!r) {
		result(0, "region buffers both ways", "no region attached");
		return;
	}
	ret = kipc_buf_alloc(r, &off);
	if (ret < 0) {
		result(0, "region buffers both ways", "buf_alloc");
		return;
	}
	memset(kipc_buf_ptr(r, off), 3, 4096);
	in.offset = off;
	in.len = 4096;
	memset(&req, 0, sizeof(req));
	req.bufs = &in;
	req.nr_bufs = 1;
	memset(&rep, 0, sizeof(rep));
	rep.data = &sum;
	rep.len = sizeof(sum);
	rep.bufs = back;
	rep.nr_bufs = 2;
	ret = kipc_rpc_call(c, M_BUF, &req, &rep, 0, NULL);
	good = ret == 0 && sum == 3 * 4096 && rep.nr_bufs == 1 &&
	       back[0].len == 4096;
	if (good) {
		p = kipc_buf_ptr(r, back[0].offset);
		for (i = 0; i < 4096; i++)
			good &= p[i] == 0x5a;
		kipc_buf_release(r, back[0].offset);
	}
	result(good, "a region buffer in, a region buffer back, no copy", NULL);

	/* A lent page in. */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ret = page == MAP_FAILED ? -ENOMEM : kipc_lendq_create(k, 0, &q);
	if (ret < 0) {
		result(0, "a lent range in a request", "setup");
		return;
	}
	memset(page, 1, 4096);
	memset(&lend, 0, sizeof(lend));
	lend.addr = (uintptr_t)page;
	lend.len = 4096;
	memset(&req, 0, sizeof(req));
	req.lends = &lend;
	req.nr_lends = 1;
	req.lendq = q;
	rep.len = sizeof(sum);
	rep.nr_bufs = 2;
	sum = 0;
	ret = kipc_rpc_call(c, M_BUF, &req, &rep, 0, NULL);
	want = 4096;
	if (ret == 0 && rep.nr_bufs == 1)
		kipc_buf_release(r, back[0].offset);
	result(ret == 0 && sum == want, "a lent range in a request", NULL);
	kipc_lendq_close(q);
	munmap(page, 4096);
}

/*
 * A request's buffers leave the caller whatever the call returns, but
 * for -EINVAL (arguments refused) and -EAGAIN (kipc_rpc_call(3)). A
 * request too large (-EMSGSIZE) releases them: the old library kept them
 * the caller's there, though -EMSGSIZE also means a reply too large for
 * its room, after the buffers were sent; a caller could not know whether
 * to release them.
 */
static void t_bufs_rule(struct kipc_rpc_client *c)
{
	static char big[8192];
	struct kipc_region *r = kipc_rpc_client_region(c);
	struct kipc_buf_ref ref = { .len = 1 };
	struct kipc_lend_ref lend = { .addr = 4096, .len = 4096 };
	struct kipc_rpc_msg req = { .data = big, .len = sizeof(big),
				    .bufs = &ref, .nr_bufs = 1 };
	int r1 = 1, r2 = 1, g1 = 1, g2 = 1;
	char detail[96];
	uint64_t off;

	if (r && !kipc_buf_alloc(r, &off)) {
		ref.offset = off;
		r1 = kipc_rpc_call(c, M_ECHO, &req, NULL, 0, NULL);
		g1 = kipc_buf_release(r, off);	/* -EALREADY: released */
	}
	if (r && !kipc_buf_alloc(r, &off)) {
		ref.offset = off;
		req.len = 1;
		req.lends = &lend;	/* without a lend queue */
		req.nr_lends = 1;
		r2 = kipc_rpc_call(c, M_ECHO, &req, NULL, 0, NULL);
		g2 = kipc_buf_release(r, off);	/* 0: still the caller's */
	}
	snprintf(detail, sizeof(detail),
		 "too large: %d, release after %d; invalid: %d, release after %d",
		 r1, g1, r2, g2);
	result(r1 == -EMSGSIZE && g1 == -EALREADY && r2 == -EINVAL && !g2,
	       "a request too large releases its buffers; one refused as invalid keeps them",
	       detail);
}

static void t_lent_reply(struct kipc_rpc_client *c)
{
	struct kipc_lend_ref lend;
	struct kipc_rpc_msg rep;
	const unsigned char *p;
	int ret, good, i;

	memset(&rep, 0, sizeof(rep));
	rep.lends = &lend;
	rep.nr_lends = 1;
	ret = kipc_rpc_call(c, M_LEND, NULL, &rep, 0, NULL);
	good = ret == 0 && rep.nr_lends == 1 && lend.len == 4096;
	if (good) {
		p = (const void *)(uintptr_t)lend.addr;
		for (i = 0; i < 4096; i++)
			good &= p[i] == 0x77;
		kipc_lend_release(p, 4096);
	}
	result(good, "a reply lends a page, mapped read-only in the client", NULL);
}

/* Async calls past their deadline; completions driven by poll(2). */
static void t_async_deadline_poll(struct kipc_rpc_client *c)
{
	static uint32_t ms[2] = { 2000, 10 }, got[2];
	static struct kipc_rpc_msg reps[2];
	struct kipc_rpc_completion comp;
	struct pollfd pfd = { .fd = kipc_rpc_client_fd(c), .events = POLLIN };
	struct timespec dl = in_ms(150);
	int i, n, st[2] = { 1, 1 }, ret = 0;
	uint64_t t0 = now_ms(), end = t0 + 3000;
	char detail[96];

	for (i = 0; i < 2; i++) {
		struct kipc_rpc_msg req = { .data = &ms[i], .len = sizeof(ms[i]) };

		reps[i].data = &got[i];
		reps[i].len = sizeof(got[i]);
		ret |= kipc_rpc_submit(c, M_SLOW, &req, &reps[i], 0,
				       i ? NULL : &dl, i, NULL);
	}
	/* The quick one through poll and a non-blocking completion. */
	while (st[1] == 1 && now_ms() < end && !ret) {
		if (poll(&pfd, 1, 1000) < 0)
			break;
		n = kipc_rpc_complete(c, &comp, 1, KIPC_RPC_NONBLOCK, NULL);
		if (n == 1)
			st[comp.user_data & 1] = comp.status;
		else if (n != -EAGAIN)
			break;
	}
	/* The slow one: due at its deadline, not at the server's pace. */
	while (st[0] == 1 && now_ms() < end) {
		n = kipc_rpc_complete(c, &comp, 1, 0, NULL);
		if (n != 1)
			break;
		st[comp.user_data & 1] = comp.status;
	}
	snprintf(detail, sizeof(detail), "%d and %d after %llu ms", st[0], st[1],
		 (unsigned long long)(now_ms() - t0));
	result(!ret && st[1] == 0 && st[0] == -ETIMEDOUT && now_ms() - t0 < 700,
	       "asynchronous calls: completions by poll, -ETIMEDOUT at the deadline",
	       detail);
}

/* Milliseconds from now until @ts, rounded up; 0 when it passed. */
static int ms_until(const struct timespec *ts)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(ts->tv_sec - now.tv_sec) * 1000000000 +
	     (ts->tv_nsec - now.tv_nsec);
	return ns <= 0 ? 0 : (int)((ns + 999999) / 1000000);
}

/*
 * How late an event loop may see a deadline: it wakes on time, but the
 * debug kernels under TCG are slow (without kipc_rpc_client_timeout() it
 * would be 450 ms and more).
 */
#define LATE_MS 250

/*
 * The next completion as an event loop gets it: kipc_rpc_complete()
 * without waiting, else epoll_wait() on @ep (the connection's fd) until
 * the time kipc_rpc_client_timeout() gives (none: 1 s at most here). 1,
 * -ETIMEDOUT at @end_ms, or another error.
 */
static int loop_next(struct kipc_rpc_client *c, int ep,
		     struct kipc_rpc_completion *comp, uint64_t end_ms)
{
	struct epoll_event ev;
	struct timespec next;
	int n;

	while (now_ms() < end_ms) {
		n = kipc_rpc_complete(c, comp, 1, KIPC_RPC_NONBLOCK, NULL);
		if (n != -EAGAIN && n != 0)
			return n;
		n = kipc_rpc_client_timeout(c, &next);
		if (n < 0)
			return n;
		if (epoll_wait(ep, &ev, 1, n ? ms_until(&next) : 1000) < 0 &&
		    errno != EINTR)
			return -errno;
	}
	return -ETIMEDOUT;
}

/* An epoll set of the connection's fd; -errno. */
static int loop_open(struct kipc_rpc_client *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -errno;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, kipc_rpc_client_fd(c), &ev)) {
		close(ep);
		return -errno;
	}
	return ep;
}

/*
 * An event loop: epoll on the connection's fd, its timeout armed from
 * kipc_rpc_client_timeout(), non-blocking completions. The slow call's
 * -ETIMEDOUT comes when its deadline wakes the loop; the quick call on the
 * same connection completes normally.
 */
static void t_timeout_epoll(struct kipc_rpc_client *c)
{
	static uint32_t ms[2] = { 2000, 20 }, got[2];
	static struct kipc_rpc_msg reps[2];
	struct kipc_rpc_completion comp;
	struct timespec dl = in_ms(200), next = { 0, 0 };
	int ep = loop_open(c), i, n, first, st[2] = { 1, 1 };
	uint64_t dl_ms = (uint64_t)dl.tv_sec * 1000 + dl.tv_nsec / 1000000;
	uint64_t end = now_ms() + 3000, t_out = 0;
	int ret = ep < 0 ? ep : 0;
	char detail[128];

	for (i = 0; i < 2 && !ret; i++) {
		struct kipc_rpc_msg req = { .data = &ms[i], .len = sizeof(ms[i]) };

		reps[i].data = &got[i];
		reps[i].len = sizeof(got[i]);
		ret = kipc_rpc_submit(c, M_SLOW, &req, &reps[i], 0,
				      i ? NULL : &dl, i, NULL);
	}
	first = kipc_rpc_client_timeout(c, &next);
	first = first == 1 && next.tv_sec == dl.tv_sec &&
		next.tv_nsec == dl.tv_nsec;
	while (!ret && (st[0] == 1 || st[1] == 1)) {
		ret = loop_next(c, ep, &comp, end);
		if (ret != 1)
			break;
		ret = 0;
		st[comp.user_data & 1] = comp.status;
		if (comp.user_data == 0)
			t_out = now_ms();
	}
	n = kipc_rpc_client_timeout(c, &next);
	snprintf(detail, sizeof(detail),
		 "timeout %s, %d and %d, -ETIMEDOUT %lld ms after the deadline, then %d",
		 first ? "= deadline" : "wrong", st[0], st[1],
		 t_out ? (long long)(t_out - dl_ms) : -1LL, n);
	result(!ret && first && st[0] == -ETIMEDOUT && st[1] == 0 &&
	       t_out >= dl_ms && t_out <= dl_ms + LATE_MS && n == 0,
	       "an epoll loop armed by kipc_rpc_client_timeout() gets -ETIMEDOUT at the deadline",
	       detail);
	if (ep >= 0)
		close(ep);
}

/*
 * Until thread @tid of this process sleeps (state S in its stat), 5 s at
 * most: a step that needs another thread asleep in its call waits for
 * that, not for a time it guesses the thread takes to get there. Said on
 * stderr when it did not, and the step goes on (its own checks judge it).
 */
static void thread_sleeps(volatile pid_t *tid)
{
	char path[64], line[512], *p;
	FILE *f;
	int i;

	for (i = 0; i < 5000 && !*tid; i++)
		usleep(1000);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)*tid);
	for (; i < 5000; i++) {
		f = *tid ? fopen(path, "re") : NULL;
		p = NULL;
		if (f && fgets(line, sizeof(line), f))
			p = strrchr(line, ')');
		if (f)
			fclose(f);
		if (p && p[1] == ' ' && p[2] == 'S')
			return;
		usleep(1000);
	}
	fprintf(stderr, "thread %d did not sleep within 5 s\n", (int)*tid);
}

/*
 * A thread of the client @c, in a call: @in set as it starts it, or @tid
 * just before the wait the test needs it asleep in; its result.
 */
struct completer {
	struct kipc_rpc_client *c;
	volatile pid_t tid;
	volatile int in;
	int ret;
};

/* A call the server answers once let go (M_LET_GO), 10 s at most. */
static void *call_slow(void *arg)
{
	struct completer *cp = arg;
	uint32_t ms = 10000;
	struct kipc_rpc_msg req = { .data = &ms, .len = sizeof(ms) };

	cp->in = 1;
	cp->ret = kipc_rpc_call(cp->c, M_HOLD, &req, NULL, 0, NULL);
	return NULL;
}

/*
 * An event loop's answer taken off the connection by another thread: a
 * thread waits in kipc_rpc_call() for a slow call (answered only when @c
 * lets it go, once the rest is seen), the loop submits an echo, which
 * that thread's receive takes, then sleeps on the connection's fd. The fd
 * shows the completion waiting in the library (a loop woken only by the
 * reply channel sleeps until the slow answer: past its 800 ms), and no
 * longer once it is taken.
 */
static void t_loop_woken_by_a_call(struct kipc *k, struct kipc_rpc_client *c)
{
	struct completer sc = { .c = NULL };
	struct kipc_rpc_msg req = { .data = "x", .len = 1 };
	struct kipc_rpc_completion comp = { .status = 1 };
	int ret, ep = -1, woke = -1, got = -1, after = -1;
	uint64_t t0 = 0, waited = 0;
	struct timespec dl;
	char detail[160];
	size_t len = 0;
	pthread_t t;

	ret = kipc_rpc_connect(k, name, 0, NULL, &sc.c);
	if (ret) {
		result(0, "an event loop is woken by an answer another thread's call took",
		       "connect failed");
		return;
	}
	ep = loop_open(sc.c);
	ret = ep < 0 ? ep : -pthread_create(&t, NULL, call_slow, &sc);
	if (!ret) {
		while (!sc.in)
			usleep(1000);
		usleep(100000);		/* the thread is in its call */
		ret = kipc_rpc_submit(sc.c, M_ECHO, &req, NULL, 0, NULL, 42,
				      NULL);
		usleep(300000);		/* and has taken the echo's answer */
		if (!ret) {
			struct epoll_event ev;

			t0 = now_ms();
			woke = epoll_wait(ep, &ev, 1, 800);
			waited = now_ms() - t0;
			/* Blocking: the thread may still be receiving. */
			dl = in_ms(1000);
			got = kipc_rpc_complete(sc.c, &comp, 1, 0, &dl);
			after = epoll_wait(ep, &ev, 1, 0);
		}
		/* The slow call's answer (its thread's result, 0) now. */
		call_bytes(c, M_LET_GO, NULL, 0, NULL, &len, NULL);
		pthread_join(t, NULL);
	}
	snprintf(detail, sizeof(detail),
		 "setup %d, readable %d after %llu ms, complete %d (data %llu, status %d), then readable %d, the slow call %d",
		 ret, woke, (unsigned long long)waited, got,
		 (unsigned long long)comp.user_data, comp.status, after,
		 sc.ret);
	result(!ret && woke == 1 && got == 1 && comp.user_data == 42 &&
	       comp.status == 0 && after == 0 && sc.ret == 0,
	       "an event loop is woken by an answer another thread's call took",
	       detail);
	if (ep >= 0)
		close(ep);
	kipc_rpc_client_close(sc.c);
}

/*
 * A call queued in the library behind a full connection (four credits,
 * all held by slow calls) times out at its deadline as well: the event
 * loop is woken for it, not when a credit comes back (600 ms, or once
 * the timeout is seen and @other lets the slow calls go).
 */
static void t_timeout_queued(struct kipc *k, struct kipc_rpc_client *other)
{
	struct kipc_rpc_client *c = NULL;
	uint32_t ms = 600;
	size_t len = 0;
	struct kipc_rpc_msg slow = { .data = &ms, .len = sizeof(ms) };
	struct kipc_rpc_msg req = { .data = "q", .len = 2 };
	struct kipc_rpc_completion comp;
	struct timespec dl = in_ms(150), next = { 0, 0 };
	uint64_t dl_ms = (uint64_t)dl.tv_sec * 1000 + dl.tv_nsec / 1000000;
	uint64_t end = now_ms() + 3000, t_out = 0;
	int ret = kipc_rpc_connect(k, small_name, 0, NULL, &c);
	int ep = ret ? ret : loop_open(c), i, first = 0, st = 1, nr_slow = 0;
	char detail[128];

	ret = ep < 0 ? ep : 0;
	for (i = 0; i < 4 && !ret; i++)
		ret = kipc_rpc_submit(c, M_HOLD, &slow, NULL, KIPC_RPC_NONBLOCK,
				      NULL, 100 + i, NULL);
	if (!ret)
		ret = kipc_rpc_submit(c, M_ECHO, &req, NULL, 0, &dl, 1, NULL);
	if (!ret)
		first = kipc_rpc_client_timeout(c, &next) == 1 &&
			next.tv_sec == dl.tv_sec && next.tv_nsec == dl.tv_nsec;
	while (!ret && (st == 1 || nr_slow < 4)) {
		ret = loop_next(c, ep, &comp, end);
		if (ret != 1)
			break;
		ret = 0;
		if (comp.user_data == 1) {
			st = comp.status;
			t_out = now_ms();
			call_bytes(other, M_LET_GO, NULL, 0, NULL, &len, NULL);
		} else {
			nr_slow += comp.status == 0;
		}
	}
	snprintf(detail, sizeof(detail),
		 "timeout %s, status %d %lld ms after the deadline, %d slow ones, %d",
		 first ? "= deadline" : "wrong", st,
		 t_out ? (long long)(t_out - dl_ms) : -1LL, nr_slow, ret);
	result(!ret && first && st == -ETIMEDOUT && t_out >= dl_ms &&
	       t_out <= dl_ms + LATE_MS && nr_slow == 4,
	       "a call queued behind a full connection gets -ETIMEDOUT at its deadline",
	       detail);
	if (ep >= 0)
		close(ep);
	kipc_rpc_client_close(c);
}

/*
 * An event completion of E_SEQ: checked against its sender's pattern and
 * against *@next_seq of its tag, then freed. 1 when right.
 */
static int seq_check(const struct kipc_rpc_completion *comp, uint32_t size,
		     uint32_t nr_tags, uint32_t *next_seq)
{
	unsigned char want[16384];
	uint32_t tag, seq;
	int ok;

	ok = comp->kind == KIPC_RPC_COMP_EVENT && comp->event == E_SEQ &&
	     comp->call_id == 0 && comp->status == 0 && comp->rep &&
	     comp->rep->len == size && size <= sizeof(want);
	if (ok) {
		memcpy(&tag, comp->rep->data, 4);
		memcpy(&seq, (char *)comp->rep->data + 4, 4);
		ok = tag < nr_tags && seq == next_seq[tag];
		if (ok) {
			seq_fill(want, size, tag, seq);
			ok = !memcmp(want, comp->rep->data, size);
			next_seq[tag]++;
		}
	}
	if (comp->kind == KIPC_RPC_COMP_EVENT)
		free(comp->rep);
	return ok;
}

#define NR_NOTIFY 8
#define NR_EVENTS 5

/*
 * Eight asynchronous calls, each of which has the server send five events
 * of 300 bytes before it replies: every event arrives intact, in its
 * call's order, and before its call's reply.
 */
static void t_events_interleaved(struct kipc_rpc_client *c)
{
	static struct notify_rep out[NR_NOTIFY];
	static struct kipc_rpc_msg reps[NR_NOTIFY];
	struct kipc_rpc_completion comps[16];
	uint32_t next_seq[NR_NOTIFY] = { 0 }, t;
	int replied[NR_NOTIFY] = { 0 }, nr_replied = 0, nr_events = 0, bad = 0;
	struct timespec dl = in_ms(5000);
	int i, n, ret = 0;
	char detail[96];

	for (t = 0; t < NR_NOTIFY && !ret; t++) {
		struct notify_req nr = { t, NR_EVENTS, 300 };
		struct kipc_rpc_msg req = { .data = &nr, .len = sizeof(nr) };

		reps[t].data = &out[t];
		reps[t].len = sizeof(out[t]);
		ret = kipc_rpc_submit(c, M_NOTIFY, &req, &reps[t], 0, NULL, t,
				      NULL);
	}
	while (!ret && nr_replied < NR_NOTIFY) {
		n = kipc_rpc_complete(c, comps, 16, 0, &dl);
		if (n <= 0) {
			ret = n ? n : -EIO;
			break;
		}
		for (i = 0; i < n; i++) {
			if (comps[i].kind == KIPC_RPC_COMP_EVENT) {
				uint32_t tag = 0;

				if (comps[i].rep && comps[i].rep->len >= 4)
					memcpy(&tag, comps[i].rep->data, 4);
				/* after its call's reply: out of order */
				bad += tag < NR_NOTIFY && replied[tag];
				bad += !seq_check(&comps[i], 300, NR_NOTIFY,
						  next_seq);
				nr_events++;
				continue;
			}
			t = (uint32_t)comps[i].user_data;
			if (t >= NR_NOTIFY || comps[i].status ||
			    out[t].sent != NR_EVENTS || next_seq[t] != NR_EVENTS) {
				bad++;
				continue;
			}
			replied[t] = 1;
			nr_replied++;
		}
	}
	snprintf(detail, sizeof(detail), "%d replies, %d events, %d wrong, %d",
		 nr_replied, nr_events, bad, ret);
	result(!ret && nr_replied == NR_NOTIFY &&
	       nr_events == NR_NOTIFY * NR_EVENTS && !bad,
	       "server events interleaved with replies arrive intact, in order, before their call's reply",
	       detail);
}

/* M_NOTIFY's calls through their sends so far, asked on @c; -1. */
static int64_t notified_calls(struct kipc_rpc_client *c)
{
	uint32_t n;
	size_t len = sizeof(n);

	if (call_bytes(c, M_NOTIFIED, NULL, 0, &n, &len, NULL) ||
	    len != sizeof(n))
		return -1;
	return n;
}

/*
 * The server sends twice the channel's depth of events while the client
 * reads nothing (on @other, it asks until the handler is through): as
 * many as the channel holds go (more if the client reads before the
 * handler is through), the rest fail with -EAGAIN; the reply waits for
 * the client to read them, and nothing sent is lost.
 */
static void t_events_full(struct kipc *k, struct kipc_rpc_client *other)
{
	struct kipc_rpc_client *c = NULL;
	int ret = kipc_rpc_connect(k, name, 0, NULL, &c);
	uint32_t depth = c ? (uint32_t)kipc_rpc_client_depth(c) : 0;
	uint32_t next_seq = 0;
	struct notify_req nr = { 0, 2 * depth, 16 };
	struct kipc_rpc_msg req = { .data = &nr, .len = sizeof(nr) };
	struct notify_rep out = { -1, -1, -1 };
	struct kipc_rpc_msg rep = { .data = &out, .len = sizeof(out) };
	struct kipc_rpc_completion comp;
	int64_t before = notified_calls(other);
	uint64_t end = now_ms() + 5000;
	struct timespec dl;
	int n, events = 0, bad = 0, status = 1;
	char detail[128];

	if (!ret && before < 0)
		ret = -EPROTO;
	if (!ret)
		ret = kipc_rpc_submit(c, M_NOTIFY, &req, &rep, 0, NULL, 1, NULL);
	/* The handler fills the channel meanwhile: until it is through. */
	while (!ret && notified_calls(other) == before && now_ms() < end)
		usleep(5000);
	dl = in_ms(5000);
	while (!ret && status == 1) {
		n = kipc_rpc_complete(c, &comp, 1, 0, &dl);
		if (n != 1) {
			ret = n ? n : -EIO;
			break;
		}
		if (comp.kind == KIPC_RPC_COMP_EVENT) {
			bad += !seq_check(&comp, 16, 1, &next_seq);
			events++;
		} else {
			status = comp.status;
		}
	}
	snprintf(detail, sizeof(detail),
		 "depth %u: %d sent, %d -EAGAIN, %d received, %d wrong, reply %d, %d",
		 depth, out.sent, out.eagain, events, bad, status, ret);
	result(!ret && status == 0 && out.sent >= (int)depth &&
	       out.eagain > 0 && out.sent + out.eagain == 2 * (int)depth &&
	       out.err == 0 && events == out.sent && !bad,
	       "events to a full channel fail with -EAGAIN; the reply waits for the client to read",
	       detail);
	kipc_rpc_client_close(c);
}

/*
 * An event that arrives while a synchronous call waits for its reply is
 * kept for kipc_rpc_complete(), and the connection's fd shows it.
 */
/*
 * A client that only calls never takes its events: it keeps at most
 * 1024 of them (the rest are dropped, their payload released), not all
 * the server sends. Then, once taken, new ones are kept again. The old
 * client kept every one.
 */
static void t_events_bounded(struct kipc *k)
{
	struct kipc_rpc_client *c = NULL;
	struct notify_req nr = { 7, 64, 8 };
	struct kipc_rpc_msg req = { .data = &nr, .len = sizeof(nr) };
	struct notify_rep out;
	struct kipc_rpc_msg rep = { .data = &out, .len = sizeof(out) };
	struct kipc_rpc_completion comp;
	int i, ret, sent = 0, kept = 0, again = 0;
	char detail[128];

	ret = kipc_rpc_connect(k, name, 0, NULL, &c);
	for (i = 0; !ret && sent < 1400 && i < 100; i++) {
		rep.len = sizeof(out);
		ret = kipc_rpc_call(c, M_NOTIFY, &req, &rep, 0, NULL);
		sent += ret ? 0 : out.sent;
	}
	while (!ret && kipc_rpc_complete(c, &comp, 1, KIPC_RPC_NONBLOCK,
					 NULL) == 1)
		if (comp.kind == KIPC_RPC_COMP_EVENT) {
			kept++;
			free(comp.rep);
		}
	nr.count = 5;
	if (!ret)
		ret = kipc_rpc_call(c, M_NOTIFY, &req, &rep, 0, NULL);
	while (!ret && kipc_rpc_complete(c, &comp, 1, KIPC_RPC_NONBLOCK,
					 NULL) == 1)
		if (comp.kind == KIPC_RPC_COMP_EVENT) {
			again++;
			free(comp.rep);
		}
	snprintf(detail, sizeof(detail), "%d sent, %d kept; then %d of %d sent",
		 sent, kept, again, ret ? -1 : out.sent);
	result(!ret && sent > 1024 && kept == 1024 && again == out.sent &&
	       out.sent > 0,
	       "a client that never takes its events keeps 1024 of them, then new ones again",
	       detail);
	kipc_rpc_client_close(c);
}

static void t_event_sync(struct kipc_rpc_client *c)
{
	struct notify_req nr = { 0, 1, 64 };
	struct kipc_rpc_msg req = { .data = &nr, .len = sizeof(nr) };
	struct notify_rep out = { -1, -1, -1 };
	struct kipc_rpc_msg rep = { .data = &out, .len = sizeof(out) };
	struct kipc_rpc_completion comp = { 0 };
	struct pollfd pfd = { .fd = kipc_rpc_client_fd(c), .events = POLLIN };
	uint32_t next_seq = 0;
	int ret, shown, n, ok = 0;
	char detail[96];

	ret = kipc_rpc_call(c, M_NOTIFY, &req, &rep, 0, NULL);
	shown = poll(&pfd, 1, 0);
	n = kipc_rpc_complete(c, &comp, 1, KIPC_RPC_NONBLOCK, NULL);
	if (n == 1)
		ok = seq_check(&comp, 64, 1, &next_seq);
	snprintf(detail, sizeof(detail), "call %d sent %d, fd readable %d, complete %d",
		 ret, out.sent, shown, n);
	result(ret == 0 && out.sent == 1 && shown == 1 && n == 1 && ok,
	       "an event during a synchronous call waits for kipc_rpc_complete(), the fd readable",
	       detail);
	n = kipc_rpc_complete(c, &comp, 1, KIPC_RPC_NONBLOCK, NULL);
	shown = poll(&pfd, 1, 0);
	snprintf(detail, sizeof(detail), "complete %d, fd readable %d", n, shown);
	result(n == 0 && shown == 0, "... and nothing else is left", detail);
}

/* A client's event reaches the server's handler; it cannot answer it. */
static void t_event_to_server(struct kipc_rpc_client *c)
{
	struct kipc_rpc_msg ev = { .data = "ping!", .len = 6 };
	static char big[8192];
	uint64_t end = now_ms() + 2000;
	char detail[128];
	int ret, got = 0;
	struct event_seen seen;

	memset(&seen, 0, sizeof(seen));
	ret = kipc_rpc_notify(c, E_PING, &ev);
	/* The handler runs in another worker: ask until it has. */
	while (!ret && !got && now_ms() < end) {
		size_t len = sizeof(seen);

		memset(&seen, 0, sizeof(seen));
		ret = call_bytes(c, M_LAST_EVENT, NULL, 0, &seen, &len, NULL);
		got = !ret && seen.event == E_PING;
		if (!got)
			usleep(5000);
	}
	snprintf(detail, sizeof(detail),
		 "%d: event %u, %u bytes \"%.8s\", pid %u, call_id %llu, reply %d",
		 ret, seen.event, seen.len, seen.data, seen.pid,
		 (unsigned long long)seen.call_id, seen.reply);
	result(got && seen.len == 6 && !strcmp(seen.data, "ping!") &&
	       seen.pid == (uint32_t)getpid() && seen.call_id == 0 &&
	       seen.reply == -EINVAL,
	       "a client's event reaches the server's handler, which cannot answer it",
	       detail);

	ev.data = big;
	ev.len = sizeof(big);
	ret = kipc_rpc_notify(c, E_PING, &ev);
	{
		struct notify_req nr = { 0, 1, sizeof(big) };
		struct kipc_rpc_msg req = { .data = &nr, .len = sizeof(nr) };
		struct notify_rep out = { -1, -1, -1 };
		struct kipc_rpc_msg rep = { .data = &out, .len = sizeof(out) };
		int sret = kipc_rpc_call(c, M_NOTIFY, &req, &rep, 0, NULL);

		snprintf(detail, sizeof(detail),
			 "client %d; server: call %d, %d sent, error %d", ret,
			 sret, out.sent, out.err);
		result(ret == -EMSGSIZE && sret == 0 && out.sent == 0 &&
		       out.err == -EMSGSIZE,
		       "an event larger than the connection's messages is refused with -EMSGSIZE, both ways",
		       detail);
	}
}

/*
 * Events from a thread of the server's own to a connection its client
 * closes meanwhile: each send either goes, finds the channel full or
 * broken, or finds the connection gone; none touches a freed connection,
 * and the server keeps serving.
 */
static void t_event_storm(struct kipc *k, struct kipc_rpc_client *c)
{
	struct kipc_rpc_client *victim;
	struct storm st = { 0 };
	uint64_t end = now_ms() + 10000;	/* the storm's 5 s, and more */
	char detail[160];
	size_t len = 0;
	int ret;

	ret = kipc_rpc_connect(k, name, 0, NULL, &victim);
	if (ret == 0)
		ret = call_bytes(victim, M_STORM, NULL, 0, NULL, &len, NULL);
	if (ret == 0) {
		usleep(100000);		/* events arrive, unread */
		kipc_rpc_client_close(victim);
	}
	while (ret == 0 && !st.done && now_ms() < end) {
		usleep(50000);
		len = sizeof(st);
		ret = call_bytes(c, M_STORM_RESULT, NULL, 0, &st, &len, NULL);
	}
	snprintf(detail, sizeof(detail),
		 "%d: %d sent, %d full, %d gone, %d broken, %d other",
		 ret, st.sent, st.eagain, st.enoent, st.epipe, st.other);
	result(ret == 0 && st.done && st.sent > 0 && st.enoent > 0 &&
	       st.other == 0,
	       "events from a server thread race the connection's close: sent, refused or -ENOENT, nothing else",
	       detail);
}

struct sync_arg {
	struct kipc_rpc_client *c;
	int id, bad;
};

static void *sync_caller(void *arg)
{
	struct sync_arg *a = arg;
	uint64_t x, y;
	int i;

	for (i = 0; i < 300; i++) {
		struct kipc_rpc_msg req = { .data = &x, .len = sizeof(x) };
		struct kipc_rpc_msg rep = { .data = &y, .len = sizeof(y) };

		x = (uint64_t)a->id << 32 | (uint64_t)i;
		if (kipc_rpc_call(a->c, M_ADD, &req, &rep, 0, NULL) ||
		    y != x + 1)
			a->bad++;
	}
	return NULL;
}

/* Four threads calling at once on one connection each get their answers. */
static void t_threads(struct kipc_rpc_client *c)
{
	struct sync_arg args[4];
	pthread_t t[4];
	int i, bad = 0;
	char detail[64];

	for (i = 0; i < 4; i++) {
		args[i] = (struct sync_arg){ c, i, 0 };
		pthread_create(&t[i], NULL, sync_caller, &args[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		bad += args[i].bad;
	}
	snprintf(detail, sizeof(detail), "%d wrong of 1200", bad);
	result(!bad, "four threads calling on one connection get their own answers",
	       detail);
}

/*
 * In a child with uid 65534: 0600 refuses; 0622 admits with that uid,
 * the service's region too (published 0666), but does not let it listen:
 * opening the name, which would give it a listener, needs read.
 */
static void t_other_uid(void)
{
	struct stat dev;
	int st;
	pid_t pid;

	if (geteuid() != 0) {
		result(1, "another uid gets -EACCES from a 0600 service",
		       "SKIP not root");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct kipc_rpc_client *c;
		uint32_t ids[3];
		size_t len = sizeof(ids);
		struct kipc *k;
		int ret;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (kipc_open(&k, 0) < 0)
			_exit(77);
		ret = kipc_rpc_connect(k, priv_name, 0, NULL, &c);
		if (ret != -EACCES)
			_exit(3);
		ret = kipc_rpc_connect(k, name, 0, NULL, &c);
		if (ret < 0 || !kipc_rpc_client_region(c))
			_exit(4);
		ret = call_bytes(c, M_WHOAMI, NULL, 0, ids, &len, NULL);
		if (ret || ids[1] != 65534 || ids[2] != 65534)
			_exit(5);
		ret = kipc_name_open(k, name, KIPC_FD_CLOEXEC, 0, -1, NULL);
		_exit(ret == -EACCES ? 0 : 6);
	}
	waitpid(pid, &st, 0);
	/* Only a device others may not open is a reason to skip. */
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77 &&
	    (stat(KIPC_DEVICE_PATH, &dev) || (dev.st_mode & 0006) != 0006)) {
		result(1, "another uid gets -EACCES from a 0600 service",
		       "SKIP uid 65534 may not open /dev/kipc");
		return;
	}
	result(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "another uid gets -EACCES from a 0600 service; its own ids and the region from a 0622 one, and no listener of it",
	       NULL);
}

static int raw_open(struct kipc *k, struct raw *r)
{
	return kipc_connect(k, name, 0, NULL, &r->tx, &r->rx, NULL);
}

/*
 * A server that lies, in a process of its own: it accepts one connection,
 * welcomes it with a depth of @depth and a max_inline of 64 (its channels
 * take 4096), reads @nr_reqs requests, then sends what @answer writes.
 */
struct liar {
	pid_t pid;
	char name[96];
};

typedef void (*liar_answer)(struct kipc_chan *rx, struct kipc_chan *tx,
			    const struct kipc_rpc_hdr *reqs, int n);

static void cpu_0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A message of the protocol in @m, built in @buf (512 bytes). */
static void liar_msg(struct kipc_msg *m, char *buf, uint8_t type,
		     uint64_t call_id, int32_t status, const void *payload,
		     uint32_t len)
{
	struct kipc_rpc_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = KIPC_RPC_MAGIC;
	h.version = KIPC_RPC_VERSION;
	h.type = type;
	h.hdr_len = KIPC_RPC_HDR_LEN;
	h.call_id = call_id;
	h.status = status;
	h.payload_len = len;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);
	kipc_msg_init(m, buf, sizeof(h) + len, NULL, 0, 0);
}

static int liar_send(struct kipc_chan *tx, uint8_t type, uint64_t call_id,
		     int32_t status, const void *payload, uint32_t len)
{
	char buf[512];
	struct kipc_msg m;

	liar_msg(&m, buf, type, call_id, status, payload, len);
	return kipc_channel_send(tx, &m, 1, 0, NULL, NULL);
}

/* The WELCOME a liar sends; max_inline 0: the usual { depth, 64 }. */
static struct kipc_rpc_welcome liar_welcome;

/*
 * Set: the liar's service is bound to a region of its own, liar_region,
 * that its WELCOME does not announce (no name, no flag).
 */
static int liar_hidden_region;
static struct kipc_region *liar_region;

static void __attribute__((noreturn))
liar_run(const char *nm, int ready_fd, uint32_t depth, int nr_reqs,
	 liar_answer answer)
{
	struct kipc_service_attr sa = { .backlog = 4, .depth = 4,
					.max_inline = 4096 };
	struct kipc_rpc_welcome w = liar_welcome.max_inline ? liar_welcome :
		(struct kipc_rpc_welcome){ .depth = depth, .max_inline = 64 };
	struct kipc_rpc_hdr reqs[4], h;
	struct timespec dl = in_ms(10000);
	struct kipc_chan *rx, *tx;
	struct kipc_service *s;
	char buf[4096];
	struct kipc_msg m;
	struct kipc *k;
	int i, fd;

	alarm(20);
	/* On the client's CPU: what it sends is queued before it runs. */
	cpu_0();
	if (kipc_open(&k, 0))
		_exit(2);
	/* A WELCOME with a region: one published as the protocol says. */
	if (w.flags & KIPC_RPC_WELCOME_REGION) {
		struct kipc_region *reg;

		snprintf(buf, sizeof(buf), "%s%s", nm, KIPC_RPC_REGION_SUFFIX);
		if (kipc_region_create(k, 65536, 4096, 0, &reg) ||
		    kipc_name_open(k, buf, KIPC_NAME_CREATE | KIPC_NAME_EXCL,
				   0600, kipc_region_fd(reg), NULL) < 0)
			_exit(2);
		sa.region = reg;
	}
	if (liar_hidden_region) {
		if (kipc_region_create(k, 65536, 4096, 0, &liar_region))
			_exit(2);
		sa.region = liar_region;
	}
	if (kipc_service_create(k, &sa, &s))
		_exit(2);
	fd = kipc_name_open(k, nm, KIPC_NAME_CREATE | KIPC_NAME_EXCL, 0600,
			    kipc_service_fd(s), NULL);
	if (fd < 0 || write(ready_fd, "y", 1) != 1)
		_exit(3);
	if (kipc_service_accept(s, 0, &dl, &rx, &tx, NULL))
		_exit(4);
	for (i = -1; i < nr_reqs; i++) {
		kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
		if (kipc_channel_recv(rx, &m, 1, 0, &dl, NULL) != 1 ||
		    m.data_len < sizeof(h))
			_exit(5);
		memcpy(i < 0 ? &h : &reqs[i], buf, sizeof(h));
		if (i < 0 && liar_send(tx, KIPC_RPC_REPLY, h.call_id,
				       KIPC_RPC_VERSION, &w, sizeof(w)) != 1)
			_exit(6);
	}
	answer(rx, tx, reqs, nr_reqs);
	/* Stays until the client is done: its close ends the recv. */
	kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
	while (kipc_channel_recv(rx, &m, 1, 0, &dl, NULL) == 1)
		kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
	_exit(0);
}

static int liar_start(struct liar *l, const char *what, uint32_t depth,
		      int nr_reqs, liar_answer answer)
{
	int ready[2];
	char x;

	snprintf(l->name, sizeof(l->name), "%s-liar-%s", name, what);
	if (pipe(ready))
		return -errno;
	l->pid = fork();
	if (l->pid == 0) {
		close(ready[0]);
		liar_run(l->name, ready[1], depth, nr_reqs, answer);
	}
	close(ready[1]);
	x = 0;
	if (l->pid < 0 || read(ready[0], &x, 1) != 1 || x != 'y') {
		close(ready[0]);
		return -EIO;
	}
	close(ready[0]);
	return 0;
}

/*
 * One row against a liar: @client runs in a child of its own, connected
 * (a crash or a hang, ended by its alarm, fails the row instead of the
 * whole test); it returns 0, or 1 + the index in @why of what went wrong.
 */
static void liar_row(const char *what, uint32_t depth, int nr_reqs,
		     liar_answer answer,
		     int (*client)(struct kipc_rpc_client *c),
		     const char *title, const char *const *why)
{
	struct kipc_rpc_client *c;
	struct kipc *k;
	struct liar l;
	int st;
	pid_t pid;

	if (liar_start(&l, what, depth, nr_reqs, answer)) {
		result(0, title, "the lying server did not start");
		return;
	}
	pid = fork();
	if (pid == 0) {
		alarm(20);
		if (kipc_open(&k, 0) ||
		    kipc_rpc_connect(k, l.name, 0, NULL, &c))
			_exit(100);
		_exit(client(c));
	}
	waitpid(pid, &st, 0);
	kill(l.pid, SIGKILL);
	waitpid(l.pid, NULL, 0);
	if (!WIFEXITED(st))
		result(0, title, "the client was killed: a crash, or a wait for ever");
	else
		result(!WEXITSTATUS(st), title,
		       !WEXITSTATUS(st) ? NULL :
		       WEXITSTATUS(st) == 100 ? "connect" :
		       why[WEXITSTATUS(st) - 1]);
}

/* An answer of 200 bytes: more than the max_inline it agreed. */
static void answer_oversized(struct kipc_chan *rx, struct kipc_chan *tx,
			     const struct kipc_rpc_hdr *reqs, int n)
{
	char big[152];

	memset(big, 'x', sizeof(big));
	liar_send(tx, KIPC_RPC_REPLY, reqs[0].call_id, 0, big, sizeof(big));
}

/*
 * The server answers what the client cannot receive (more than the
 * max_inline it agreed): the answer stays queued, nothing behind it can
 * come. With one credit, call X is sent and call Y queued; Y, and every
 * later call, must fail with -EPROTO. The old library returned 0 from Y
 * with its answer unfilled, having freed Y while it was still queued; the
 * next submit wrote through it (the client runs in a child, so that such
 * a crash fails this row instead of the whole test).
 */
static int client_oversized(struct kipc_rpc_client *c)
{
	struct timespec dl = in_ms(5000);
	struct kipc_rpc_msg req = { .data = "x", .len = 1 };
	char room[64];
	struct kipc_rpc_msg rep = { .data = room, .len = sizeof(room) };
	uint64_t id;
	int ret;

	if (kipc_rpc_submit(c, M_ECHO, &req, NULL, 0, NULL, 1, &id))
		return 1;
	ret = kipc_rpc_call(c, M_ECHO, &req, &rep, 0, &dl);
	if (ret != -EPROTO) {
		fprintf(stderr, "call: %d\n", ret);
		return 2;
	}
	ret = kipc_rpc_submit(c, M_ECHO, &req, NULL, 0, NULL, 2, &id);
	if (ret != -EPROTO) {
		fprintf(stderr, "submit after: %d\n", ret);
		return 3;
	}
	return 0;
}

/* No answer at all (the rows that only connect). */
static void answer_none(struct kipc_chan *rx, struct kipc_chan *tx,
			const struct kipc_rpc_hdr *reqs, int n)
{
}

static void t_liar_oversized(void)
{
	static const char *const why[] = {
		"submit", "the queued call", "a later call",
	};

	liar_row("big", 1, 1, answer_oversized, client_oversized,
		 "a server's answer beyond max_inline fails the connection with -EPROTO, a call queued behind it too",
		 why);
}

/* The file answer_lost_bufs() makes once its region is gone. */
static void lost_bufs_ready_path(char *path, size_t len)
{
	snprintf(path, len, "/tmp/%s-lost-bufs-ready", name);
}

/*
 * The answer to call 1, sent before the call is (the first call's id is
 * known): it carries a buffer of the service's region, which the WELCOME
 * did not announce, and the liar then closes that region, no handle or
 * name of it left (the service holds no handle). The client holds none
 * either: the kernel delivers the answer without its buffer, marked
 * KIPC_MSG_BUFS_LOST. A file tells the client that the region is gone.
 */
static void answer_lost_bufs(struct kipc_chan *rx, struct kipc_chan *tx,
			     const struct kipc_rpc_hdr *reqs, int n)
{
	struct kipc_buf_ref ref = { .len = 64 };
	char buf[512], path[128];
	struct kipc_msg m;
	uint64_t off;
	int fd;

	if (!liar_region || kipc_buf_alloc(liar_region, &off))
		_exit(7);
	ref.offset = off;
	liar_msg(&m, buf, KIPC_RPC_REPLY, 1, 0, "lost", 5);
	m.bufs = (uintptr_t)&ref;
	m.nr_bufs = 1;
	if (kipc_channel_send(tx, &m, 1, 0, NULL, liar_region) != 1)
		_exit(8);
	kipc_region_close(liar_region);
	lost_bufs_ready_path(path, sizeof(path));
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		_exit(9);
	close(fd);
}

/*
 * An answer whose buffer the kernel could not deliver is one the client
 * cannot take as it was meant: the connection fails with -EPROTO, on the
 * path of a lone synchronous call (one KIPC_IOC_CALL) as on the others.
 * That path completed the call with status 0 and no buffer, and the
 * connection served on. The call is made once the answer is queued and
 * its region gone, so that the CALL's receive finds it so.
 */
static int client_lost_bufs(struct kipc_rpc_client *c)
{
	struct timespec dl = in_ms(5000);
	struct kipc_rpc_msg req = { .data = "x", .len = 1 };
	char room[64], path[128];
	struct kipc_rpc_msg rep = { .data = room, .len = sizeof(room) };
	uint64_t id, end = now_ms() + 10000;
	int ret;

	lost_bufs_ready_path(path, sizeof(path));
	while (access(path, F_OK) && now_ms() < end)
		usleep(1000);
	if (unlink(path)) {
		fprintf(stderr, "the liar's region never went\n");
		return 1;
	}
	ret = kipc_rpc_call(c, M_ECHO, &req, &rep, 0, &dl);
	if (ret != -EPROTO) {
		fprintf(stderr, "call: %d, %zu bytes, %u buffers\n", ret,
			rep.len, rep.nr_bufs);
		return 2;
	}
	ret = kipc_rpc_submit(c, M_ECHO, &req, NULL, 0, NULL, 2, &id);
	if (ret != -EPROTO) {
		fprintf(stderr, "submit after: %d\n", ret);
		return 3;
	}
	return 0;
}

static void t_liar_lost_bufs(void)
{
	static const char *const why[] = {
		"the liar's region never went", "the call", "a later call",
	};

	liar_hidden_region = 1;
	liar_row("lost", 1, 0, answer_lost_bufs, client_lost_bufs,
		 "an answer whose buffer was lost fails the connection with -EPROTO, also a lone call's",
		 why);
	liar_hidden_region = 0;
}

/*
 * Call Y (synchronous) answered twice, "AAAA" then "BBBB", and then call
 * X; later, call Z answered once.
 */
static void answer_twice(struct kipc_chan *rx, struct kipc_chan *tx,
			 const struct kipc_rpc_hdr *reqs, int n)
{
	struct timespec dl = in_ms(10000);
	struct kipc_rpc_hdr z;
	char buf[256];
	struct kipc_msg m;

	liar_send(tx, KIPC_RPC_REPLY, reqs[1].call_id, 0, "AAAA", 4);
	liar_send(tx, KIPC_RPC_REPLY, reqs[1].call_id, 0, "BBBB", 4);
	liar_send(tx, KIPC_RPC_REPLY, reqs[0].call_id, 0, "XXXX", 4);
	kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
	if (kipc_channel_recv(rx, &m, 1, 0, &dl, NULL) == 1 &&
	    m.data_len >= sizeof(z)) {
		memcpy(&z, buf, sizeof(z));
		liar_send(tx, KIPC_RPC_REPLY, z.call_id, 0, "ZZZZ", 4);
	}
}

/* Submit X and wait for its completion: the connection's receiver. */
static void *complete_x(void *arg)
{
	struct completer *cp = arg;
	struct kipc_rpc_msg req = { .data = "x", .len = 1 };
	struct kipc_rpc_completion comp;
	struct timespec dl = in_ms(10000);
	uint64_t id;

	cp->ret = kipc_rpc_submit(cp->c, M_ECHO, &req, NULL, 0, NULL, 1, &id);
	cp->tid = gettid();
	if (!cp->ret)
		cp->ret = kipc_rpc_complete(cp->c, &comp, 1, 0, &dl);
	return NULL;
}

/*
 * A second answer to a synchronous call, taken by another thread before
 * the call's own thread wakes (everything on one CPU, the caller at
 * SCHED_IDLE: it runs once the receiver blocks). The call must keep the
 * first answer, and the second must not be counted as a credit back: the
 * old library wrote "BBBB" over the caller's answer and counted the call
 * answered twice, so the connection's calls in flight wrapped below zero
 * and call Z was never sent.
 */
/*
 * Call M_ECHO with the byte @byte into @rep while thread X waits in
 * kipc_rpc_complete() (@cp): X first, asleep in its receive; then this
 * thread at SCHED_IDLE on X's CPU, so that X runs first whenever both
 * can. The call's result; X's is in @cp (-1 when X could not start).
 */
static int call_beside_completer(struct kipc_rpc_client *c, char byte,
				 struct kipc_rpc_msg *rep,
				 struct completer *cp)
{
	struct kipc_rpc_msg req = { .data = &byte, .len = 1 };
	struct sched_param sp = { 0 };
	struct timespec dl;
	pthread_t t;
	int ret;

	cpu_0();
	if (pthread_create(&t, NULL, complete_x, cp)) {
		cp->ret = -1;
		return -EAGAIN;
	}
	thread_sleeps(&cp->tid);	/* the completer, in its receive */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	dl = in_ms(5000);
	ret = kipc_rpc_call(c, M_ECHO, &req, rep, 0, &dl);
	pthread_join(t, NULL);
	return ret;
}

static int client_twice(struct kipc_rpc_client *c)
{
	struct kipc_rpc_msg req = { .data = "y", .len = 1 };
	struct completer cp = { .c = c };
	struct timespec dl;
	char room[64];
	struct kipc_rpc_msg rep = { .data = room, .len = sizeof(room) };
	int ret;

	ret = call_beside_completer(c, 'y', &rep, &cp);
	if (ret || cp.ret != 1 || rep.len != 4 || memcmp(room, "AAAA", 4)) {
		fprintf(stderr, "Y: %d, %zu bytes: %.4s; X: %d\n", ret, rep.len,
			room, cp.ret);
		return 2;
	}
	dl = in_ms(3000);
	rep.len = sizeof(room);
	ret = kipc_rpc_call(c, M_ECHO, &req, &rep, 0, &dl);
	if (ret || rep.len != 4 || memcmp(room, "ZZZZ", 4)) {
		fprintf(stderr, "Z: %d\n", ret);
		return 3;
	}
	return 0;
}

static void t_liar_answers_twice(void)
{
	static const char *const why[] = {
		"set-up", "the answer was overwritten", "a later call",
	};

	liar_row("twice", 4, 2, answer_twice, client_twice,
		 "a second answer to a call is dropped: the call keeps the first, later calls go through",
		 why);
}

/*
 * The WELCOME is the server's word: a flag in bit 31 is one the client
 * does not know (the old client returned it from connect as INT_MIN), a
 * depth above INT_MAX or a max_inline above a channel's 65536 is a lie
 * (-EPROTO; the old client took them, and its depth read as an errno).
 */
static void t_liar_welcome(void)
{
	static const struct {
		struct kipc_rpc_welcome w;
		int want;
		const char *what;
	} rows[] = {
		{ { .flags = 1U << 31, .depth = 4, .max_inline = 64 }, 0,
		  "an unknown flag in bit 31" },
		{ { .depth = 1U << 31, .max_inline = 64 }, -EPROTO,
		  "a depth of 2^31" },
		{ { .depth = 4, .max_inline = 1U << 20 }, -EPROTO,
		  "a max_inline of 1 MiB" },
	};
	struct kipc_rpc_client *c;
	char title[128], detail[64];
	struct kipc *k;
	struct liar l;
	unsigned int i;
	int ret;

	if (kipc_open(&k, 0))
		return;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(title, sizeof(title),
			 "a WELCOME with %s: connect gives %d", rows[i].what,
			 rows[i].want);
		liar_welcome = rows[i].w;
		snprintf(detail, sizeof(detail), "welcome%u", i);
		ret = liar_start(&l, detail, 4, 0, answer_none);
		liar_welcome.max_inline = 0;
		if (ret) {
			result(0, title, "the lying server did not start");
			continue;
		}
		ret = kipc_rpc_connect(k, l.name, 0, NULL, &c);
		snprintf(detail, sizeof(detail), "%d, depth %d", ret,
			 ret ? 0 : kipc_rpc_client_depth(c));
		result(ret == rows[i].want &&
		       (ret || kipc_rpc_client_depth(c) == 4), title, detail);
		if (!ret)
			kipc_rpc_client_close(c);
		kill(l.pid, SIGKILL);
		waitpid(l.pid, NULL, 0);
	}
	kipc_close(k);
}

/* Hangs up right after its WELCOME. */
static void answer_hang_up(struct kipc_chan *rx, struct kipc_chan *tx,
			   const struct kipc_rpc_hdr *reqs, int n)
{
	_exit(0);
}

/*
 * A request's region buffers leave the caller, sent or not: a call that
 * fails before it is sent releases them. The server hung up after its
 * WELCOME; a call's send then fails (EPIPE: -ECONNRESET), and a later
 * call fails at once on the dead connection. The old client kept the
 * buffers owned in both cases, where a caller that trusted the man page
 * never released them.
 */
static void t_failed_call_releases_buffers(void)
{
	struct kipc_rpc_msg req = { .data = "x", .len = 1 };
	struct kipc_region_status st;
	struct kipc_buf_ref ref = { .len = 1 };
	struct kipc_rpc_client *c;
	struct kipc_region *r;
	int r1 = 1, r2 = 1, o1 = -1, o2 = -1;
	char detail[96];
	struct kipc *k;
	struct liar l;
	uint64_t off;

	if (kipc_open(&k, 0))
		return;
	liar_welcome = (struct kipc_rpc_welcome){
		.flags = KIPC_RPC_WELCOME_REGION, .depth = 4,
		.max_inline = 64 };
	r1 = liar_start(&l, "hangup", 4, 0, answer_hang_up);
	liar_welcome.max_inline = 0;
	if (r1 || kipc_rpc_connect(k, l.name, 0, NULL, &c)) {
		result(0, "a call that fails unsent releases its buffers",
		       "the lying server or the connect");
		kipc_close(k);
		return;
	}
	waitpid(l.pid, NULL, 0);	/* gone: the next send fails */
	r = kipc_rpc_client_region(c);
	req.bufs = &ref;
	req.nr_bufs = 1;
	if (r && !kipc_buf_alloc(r, &off)) {
		ref.offset = off;
		r1 = kipc_rpc_call(c, M_ECHO, &req, NULL, 0, NULL);
		o1 = kipc_region_info(r, &st) ? -1 : (int)st.nr_owned;
	}
	if (r && !kipc_buf_alloc(r, &off)) {
		ref.offset = off;
		r2 = kipc_rpc_call(c, M_ECHO, &req, NULL, 0, NULL);
		o2 = kipc_region_info(r, &st) ? -1 : (int)st.nr_owned;
	}
	snprintf(detail, sizeof(detail),
		 "call %d, %d owned after; next call %d, %d owned after",
		 r1, o1, r2, o2);
	result(r1 == -ECONNRESET && o1 == 0 && r2 == -ECONNRESET && o2 == 0,
	       "a call that fails unsent releases its buffers, on a dead connection too",
	       detail);
	kipc_rpc_client_close(c);
	kipc_close(k);
}

/*
 * The liar runs before the client's threads from now on (on their CPU,
 * SCHED_FIFO): what it sends in a row is all queued before the client
 * wakes. Without the privilege the rows still pass on a fixed library,
 * but may miss the old one's race.
 */
static void liar_first(void)
{
	struct sched_param sp = { .sched_priority = 1 };

	sched_setscheduler(0, SCHED_FIFO, &sp);
}

/*
 * Answers the second request (a synchronous call), then hangs up: the
 * answer and end of stream are queued together.
 */
static void answer_then_hang_up(struct kipc_chan *rx, struct kipc_chan *tx,
				const struct kipc_rpc_hdr *reqs, int n)
{
	liar_first();
	liar_send(tx, KIPC_RPC_REPLY, reqs[1].call_id, 0, "SSSS", 4);
	kipc_channel_close(tx);
}

/*
 * Thread X waits in kipc_rpc_complete() (the connection's receiver) while
 * the main thread calls S; the server answers S and hangs up. X receives
 * S's answer, then end of stream, before S's thread wakes (everything on
 * one CPU, S's thread at SCHED_IDLE). S must return its answer: the old
 * library failed every call in the table at end of stream, S too, though
 * it had finished, and returned -ECONNRESET with the answer (and the
 * buffers and ranges it carries) left in rep.
 */
static int client_hang_up_after_answer(struct kipc_rpc_client *c)
{
	struct completer cp = { .c = c };
	char room[64];
	struct kipc_rpc_msg rep = { .data = room, .len = sizeof(room) };
	int ret;

	ret = call_beside_completer(c, 's', &rep, &cp);
	if (cp.ret == -1)
		return 1;
	if (ret || rep.len != 4 || memcmp(room, "SSSS", 4)) {
		fprintf(stderr, "S: %d, %zu bytes\n", ret, rep.len);
		return 2;
	}
	if (cp.ret != 1) {
		fprintf(stderr, "X: %d\n", cp.ret);
		return 3;
	}
	return 0;
}

static void t_liar_hang_up_after_answer(void)
{
	static const char *const why[] = {
		"set-up", "the answered call failed at end of stream",
		"the other call's completion",
	};

	liar_row("answer-hangup", 4, 2, answer_then_hang_up,
		 client_hang_up_after_answer,
		 "a call answered just before the server hangs up returns its answer",
		 why);
}

/*
 * Waits for the client's event (its go: call S is queued behind X), then
 * answers X and hangs up, both queued together.
 */
static void answer_on_event_hang_up(struct kipc_chan *rx,
				    struct kipc_chan *tx,
				    const struct kipc_rpc_hdr *reqs, int n)
{
	struct timespec dl = in_ms(10000);
	char buf[256];
	struct kipc_msg m;

	kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
	if (kipc_channel_recv(rx, &m, 1, 0, &dl, NULL) != 1)
		return;
	liar_first();
	liar_send(tx, KIPC_RPC_REPLY, reqs[0].call_id, 0, "XXXX", 4);
	kipc_channel_close(tx);
}

/* The receiver of the row below: X, then a buffer, then end of stream. */
struct realloc_x {
	struct kipc_rpc_client *c;
	volatile pid_t tid;
	int first, second, release;
};

static void *complete_realloc(void *arg)
{
	struct realloc_x *x = arg;
	struct kipc_rpc_msg req = { .data = "x", .len = 1 };
	struct kipc_region *r = kipc_rpc_client_region(x->c);
	struct kipc_rpc_completion comp;
	struct timespec dl = in_ms(10000);
	uint64_t id, off;

	x->first = kipc_rpc_submit(x->c, M_ECHO, &req, NULL, 0, NULL, 1, &id);
	x->tid = gettid();
	if (x->first)
		return NULL;
	x->first = kipc_rpc_complete(x->c, &comp, 1, 0, &dl);
	if (x->first == 1 && comp.status)
		x->first = comp.status;
	/* The pool's last free buffer: the one S's failed send released. */
	x->release = kipc_buf_alloc(r, &off);
	x->second = kipc_rpc_complete(x->c, &comp, 1, 0, &dl);
	if (!x->release)
		x->release = kipc_buf_release(r, off);
	return NULL;
}

struct sync_s {
	struct kipc_rpc_client *c;
	volatile pid_t tid;
	uint64_t off;
	int ret;
};

/* S, at SCHED_IDLE: its buffer twice, a send the kernel refuses. */
static void *call_s_idle(void *arg)
{
	struct sched_param sp = { 0 };
	struct sync_s *ss = arg;
	struct kipc_buf_ref refs[2] = { { .offset = ss->off, .len = 1 },
					{ .offset = ss->off, .len = 1 } };
	struct kipc_rpc_msg req = { .data = "s", .len = 1, .bufs = refs,
				    .nr_bufs = 2 };

	pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
	ss->tid = gettid();
	ss->ret = kipc_rpc_call(ss->c, M_ECHO, &req, NULL, 0, NULL);
	return NULL;
}

/*
 * One credit: X is in flight, synchronous call S waits in the library.
 * X's answer frees the credit: the receiver (another thread) sends S,
 * which the kernel refuses (-EPERM: a buffer twice), so S fails and its
 * buffer goes back to the pool; the receiver allocates it again, then
 * reads end of stream before S's thread wakes. S must return -EPERM, and
 * the receiver keep its buffer: the old library failed S a second time
 * at end of stream (-ECONNRESET) and released S's buffer again, the one
 * the receiver had just been given.
 */
static int client_failed_queued_call(struct kipc_rpc_client *c)
{
	struct kipc_region *r = kipc_rpc_client_region(c);
	struct realloc_x x = { .c = c };
	struct sync_s ss = { .c = c };
	pthread_t tx, ts;

	cpu_0();
	if (!r || kipc_buf_alloc(r, &ss.off) ||
	    pthread_create(&tx, NULL, complete_realloc, &x))
		return 1;
	thread_sleeps(&x.tid);		/* X's thread, in its receive */
	if (pthread_create(&ts, NULL, call_s_idle, &ss))
		return 1;
	thread_sleeps(&ss.tid);		/* S, waiting for X's credit */
	if (kipc_rpc_notify(c, 1, NULL))
		return 1;
	pthread_join(tx, NULL);
	pthread_join(ts, NULL);
	if (ss.ret != -EPERM) {
		fprintf(stderr, "S: %d\n", ss.ret);
		return 2;
	}
	/* End of stream: -ECONNRESET, or 0 had S's thread ended S first. */
	if (x.first != 1 || (x.second && x.second != -ECONNRESET) ||
	    x.release) {
		fprintf(stderr, "X: %d, then %d; its buffer: %d\n", x.first,
			x.second, x.release);
		return 3;
	}
	return 0;
}

static void t_liar_failed_queued_call(void)
{
	static const char *const why[] = {
		"set-up", "the failed call's error was replaced",
		"its buffer was released twice",
	};

	liar_welcome = (struct kipc_rpc_welcome){
		.flags = KIPC_RPC_WELCOME_REGION, .depth = 1,
		.max_inline = 64 };
	liar_row("failed-queued", 1, 1, answer_on_event_hang_up,
		 client_failed_queued_call,
		 "a queued call whose send failed keeps its error at end of stream, its buffers released once",
		 why);
	liar_welcome.max_inline = 0;
}

/* Reads nothing more: its request channel stays full. */
static void answer_nothing(struct kipc_chan *rx, struct kipc_chan *tx,
			   const struct kipc_rpc_hdr *reqs, int n)
{
	sleep(20);
}

struct blocked_call {
	struct kipc_rpc_client *c;
	volatile uint64_t dl_ms;	/* its deadline, now_ms()'s clock */
	volatile pid_t tid;
	volatile int done;
	int ret;
};

/*
 * The blocking submit's deadline: a non-blocking complete beside it must
 * return before the submit does, and before its deadline (one that waited
 * for the submit returns at the deadline, about a second after it was
 * called). Judged by order, not by a bound on its time, so that a guest
 * stalled for half a second does not fail a correct library.
 */
#define FULL_SUBMIT_MS		1200

/* A call submitted with a deadline: it waits for room. */
static void *submit_blocked(void *arg)
{
	struct blocked_call *bc = arg;
	struct kipc_rpc_msg req = { .data = "c", .len = 1 };
	struct timespec dl;
	uint64_t id;

	bc->dl_ms = now_ms() + FULL_SUBMIT_MS;
	dl = in_ms(FULL_SUBMIT_MS);
	bc->tid = gettid();
	bc->ret = kipc_rpc_submit(bc->c, M_ECHO, &req, NULL, 0, &dl, 1, &id);
	bc->done = 1;
	return NULL;
}

/*
 * The request channel full of events (which take no credit), nothing in
 * flight: a non-blocking submit fails with -EAGAIN; a blocking one waits
 * for room until its deadline, but without holding the connection: a
 * non-blocking kipc_rpc_complete() from another thread meanwhile returns
 * at once. The old library waited in the kernel with the connection's
 * lock held, for ever in the non-blocking submit, and the whole of the
 * other one's deadline in kipc_rpc_complete().
 */
static int client_full_channel(struct kipc_rpc_client *c)
{
	struct kipc_rpc_msg req = { .data = "n", .len = 1 };
	struct kipc_rpc_completion comp;
	struct blocked_call bc = { .c = c };
	uint64_t t0, t1, id;
	pthread_t t;
	int i, ret;

	for (i = 0; i < 4; i++)
		if (kipc_rpc_notify(c, 1, &req))
			return 1;
	ret = kipc_rpc_submit(c, M_ECHO, &req, NULL, KIPC_RPC_NONBLOCK, NULL,
			      1, &id);
	if (ret != -EAGAIN) {
		fprintf(stderr, "submit: %d\n", ret);
		return 2;
	}
	if (pthread_create(&t, NULL, submit_blocked, &bc))
		return 1;
	thread_sleeps(&bc.tid);		/* it waits for room */
	t0 = now_ms();
	ret = kipc_rpc_complete(c, &comp, 1, KIPC_RPC_NONBLOCK, NULL);
	t1 = now_ms();
	if (ret != -EAGAIN || bc.done || t1 >= bc.dl_ms) {
		fprintf(stderr, "complete: %d after %llu ms, %s\n", ret,
			(unsigned long long)(t1 - t0), bc.done ?
			"after the blocking submit returned" :
			"at the blocking submit's deadline or later");
		return 3;
	}
	pthread_join(t, NULL);
	if (bc.ret != -ETIMEDOUT) {
		fprintf(stderr, "blocking submit: %d\n", bc.ret);
		return 4;
	}
	return 0;
}

static void t_full_channel_nonblock(void)
{
	static const char *const why[] = {
		"set-up", "the non-blocking submit", "complete waited for the submit",
		"the blocking submit's deadline",
	};

	liar_row("mute", 4, 0, answer_nothing, client_full_channel,
		 "a full request channel: a non-blocking submit fails at once, a blocking one waits without holding the connection",
		 why);
}

/* Submit X without a deadline and wait for the next completion. */
static void *complete_any(void *arg)
{
	struct completer *cp = arg;
	struct kipc_rpc_msg req = { .data = "x", .len = 1 };
	struct kipc_rpc_completion comp;
	uint64_t id;

	cp->ret = kipc_rpc_submit(cp->c, M_ECHO, &req, NULL, 0, NULL, 1, &id);
	cp->tid = gettid();
	if (!cp->ret)
		cp->ret = kipc_rpc_complete(cp->c, &comp, 1, 0, NULL);
	if (cp->ret == 1 && (comp.user_data != 2 || comp.status != -ETIMEDOUT))
		cp->ret = -EBADMSG;
	return NULL;
}

/*
 * A thread waits in kipc_rpc_complete() for X (no deadline); another
 * submits Y with a deadline of 300 ms; the server answers nothing. Y's
 * deadline must end the wait with Y's -ETIMEDOUT, not wait for ever: the
 * old library's receiver slept with the deadline it had when it started.
 */
static int client_later_deadline(struct kipc_rpc_client *c)
{
	struct kipc_rpc_msg req = { .data = "y", .len = 1 };
	struct completer cp = { .c = c };
	struct timespec dl;
	uint64_t t0, id;
	pthread_t t;

	alarm(10);
	if (pthread_create(&t, NULL, complete_any, &cp))
		return 1;
	thread_sleeps(&cp.tid);	/* in its receive or behind one */
	t0 = now_ms();
	dl = in_ms(300);
	if (kipc_rpc_submit(c, M_ECHO, &req, NULL, 0, &dl, 2, &id))
		return 1;
	pthread_join(t, NULL);
	if (cp.ret != 1 || now_ms() - t0 > 2000) {
		fprintf(stderr, "complete: %d after %llu ms\n", cp.ret,
			(unsigned long long)(now_ms() - t0));
		return 2;
	}
	return 0;
}

/* What a later deadline's rows report, by client_later_deadline()'s status. */
static const char *const later_deadline_why[] = {
	"set-up", "late or wrong completion",
};

static void t_later_deadline_enforced(void)
{
	liar_row("deaf", 4, 0, answer_nothing, client_later_deadline,
		 "a deadline submitted while another thread waits in kipc_rpc_complete() ends that wait",
		 later_deadline_why);
}

/* A call without a deadline to a server that answers nothing: for ever. */
static void *call_forever(void *arg)
{
	struct completer *cp = arg;
	char out[8];
	size_t len = sizeof(out);

	cp->tid = gettid();
	cp->ret = call_bytes(cp->c, M_ECHO, "a", 2, out, &len, NULL);
	return NULL;
}

/*
 * As client_later_deadline(), but a third thread's kipc_rpc_call() (no
 * deadline, never answered) is the connection's receiver: the thread in
 * kipc_rpc_complete() waits for it, not in a receive of its own, and must
 * still see Y's deadline. The old library's waiter slept until the
 * receiver's answer came, which was never.
 */
static int client_deadline_beside_a_call(struct kipc_rpc_client *c)
{
	struct completer caller = { .c = c };
	pthread_t a;

	if (pthread_create(&a, NULL, call_forever, &caller))
		return 1;
	thread_sleeps(&caller.tid);	/* it receives, for ever */
	/* The call's thread is left blocked: the client's exit ends it. */
	return client_later_deadline(c);
}

static void t_deadline_beside_a_call(void)
{
	liar_row("deaf-call", 4, 0, answer_nothing,
		 client_deadline_beside_a_call,
		 "a deadline submitted while kipc_rpc_complete() waits behind another thread's kipc_rpc_call() ends that wait",
		 later_deadline_why);
}

/*
 * The client's word to the liar in the row below: the file @what (in
 * /tmp, of this test's name) made, or waited for at most @ms and removed
 * (1 when it came).
 */
static void room_path(char *path, size_t len, const char *what)
{
	snprintf(path, len, "/tmp/%s-room-%s", name, what);
}

static int room_say(const char *what)
{
	char path[128];
	int fd;

	room_path(path, sizeof(path), what);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int room_heard(const char *what, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	char path[128];

	room_path(path, sizeof(path), what);
	while (access(path, F_OK) && now_ms() < end)
		usleep(1000);
	return !unlink(path);
}

/*
 * Answers X once the client has filled the channel again with events and
 * queued Y ("queued"), then reads them once it has taken X's answer
 * ("answered"), then Y.
 */
static void answer_late_room(struct kipc_chan *rx, struct kipc_chan *tx,
			     const struct kipc_rpc_hdr *reqs, int n)
{
	struct kipc_rpc_hdr h;
	struct timespec dl;
	char buf[256];
	struct kipc_msg m;
	int i;

	room_heard("queued", 5000);
	liar_send(tx, KIPC_RPC_REPLY, reqs[0].call_id, 0, "XXXX", 4);
	room_heard("answered", 5000);
	dl = in_ms(5000);
	for (i = 0; i < 5; i++) {
		kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
		if (kipc_channel_recv(rx, &m, 1, 0, &dl, NULL) != 1 ||
		    m.data_len < sizeof(h))
			return;
		memcpy(&h, buf, sizeof(h));
		if (h.type == KIPC_RPC_REQUEST) {
			liar_send(tx, KIPC_RPC_REPLY, h.call_id, 0, "YYYY", 4);
			return;
		}
	}
}

/*
 * Call Y queued behind X's credit; X's answer comes while the request
 * channel is full of events, so Y cannot go then. Room comes later, with
 * no answer to tell the client: Y must still be sent. The old library
 * tried only when an answer came or a call was submitted: Y waited for
 * ever.
 */
static int client_late_room(struct kipc_rpc_client *c)
{
	struct kipc_rpc_msg req = { .data = "q", .len = 1 };
	struct kipc_rpc_completion comp;
	struct timespec dl;
	uint64_t id, idy;
	int i, ret;

	if (kipc_rpc_submit(c, M_ECHO, &req, NULL, 0, NULL, 1, &id))
		return 1;
	/* Fill the channel again once the liar has read X. */
	for (i = 0; i < 4; i++) {
		while ((ret = kipc_rpc_notify(c, 1, &req)) == -EAGAIN)
			usleep(1000);
		if (ret)
			return 1;
	}
	if (kipc_rpc_submit(c, M_ECHO, &req, NULL, 0, NULL, 2, &idy) ||
	    room_say("queued"))
		return 1;
	dl = in_ms(3000);
	ret = kipc_rpc_complete(c, &comp, 1, 0, &dl);
	if (ret != 1 || comp.call_id != id)
		return 2;
	/* X's answer came with the channel full: Y could not go. Room now. */
	if (room_say("answered"))
		return 1;
	dl = in_ms(3000);
	ret = kipc_rpc_complete(c, &comp, 1, 0, &dl);
	if (ret != 1 || comp.call_id != idy || comp.status) {
		fprintf(stderr, "Y: %d\n", ret);
		return 3;
	}
	return 0;
}

static void t_queued_call_sent_on_room(void)
{
	static const char *const why[] = {
		"set-up", "X's answer", "Y was never sent",
	};
	char path[128];

	liar_row("room", 1, 1, answer_late_room, client_late_room,
		 "a queued call is sent once the request channel has room, with no answer to prompt it",
		 why);
	/* Left by a row that failed. */
	room_path(path, sizeof(path), "queued");
	unlink(path);
	room_path(path, sizeof(path), "answered");
	unlink(path);
}

/* Each bad message after HELLO: the server closes the connection. */
static void t_malformed(struct kipc *k, struct kipc_rpc_client *c)
{
	static const char *const what[] = {
		"a truncated header", "a bad magic", "hdr_len past the message",
		"hdr_len below 48", "payload_len not matching", "an unknown type",
		"a reply type from a client", "a second HELLO",
		"another version than agreed",
	};
	char buf[8192], detail[128] = "";
	struct kipc_rpc_hdr h, a;
	unsigned int i;
	struct raw r;
	int ret, bad = 0;
	size_t len;

	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		if (raw_open(k, &r) < 0) {
			bad++;
			continue;
		}
		raw_send(&r, buf, hello_msg(buf, 1, 1));
		ret = raw_recv(&r, &a, 1000);
		if (ret != 1 || a.type != KIPC_RPC_REPLY || a.status != 1) {
			bad++;
			raw_close(&r);
			continue;
		}
		req_hdr(&h, M_ECHO, 4);
		len = sizeof(h) + 4;
		switch (i) {
		case 0: len = 20; break;
		case 1: h.magic = 0xdeadbeef; break;
		case 2: h.hdr_len = 200; break;
		case 3: h.hdr_len = 16; break;
		case 4: h.payload_len = 400; break;
		case 5: h.type = 99; break;
		case 6: h.type = KIPC_RPC_REPLY; break;
		case 7: len = hello_msg(buf, 1, 1); break;
		case 8: h.version = 7; break;
		}
		if (i != 7)
			memcpy(buf, &h, sizeof(h));
		raw_send(&r, buf, len);
		ret = raw_recv(&r, &a, 2000);
		if (ret != 0) {
			bad++;
			snprintf(detail, sizeof(detail), "%s: %d", what[i], ret);
		}
		raw_close(&r);
	}
	result(!bad, "malformed headers: the server closes the connection",
	       bad ? detail : NULL);

	/* No HELLO first. */
	ret = raw_open(k, &r);
	req_hdr(&h, M_ECHO, 0);
	if (!ret)
		raw_send(&r, &h, sizeof(h));
	ret = ret ? ret : raw_recv(&r, &a, 2000);
	raw_close(&r);
	result(ret == 0, "a request before HELLO: the server closes", NULL);

	/* Versions the server does not speak. */
	ret = raw_open(k, &r);
	if (!ret)
		raw_send(&r, buf, hello_msg(buf, 9, 5));
	ret = ret ? ret : raw_recv(&r, &a, 2000);
	if (ret == 1 && a.type == KIPC_RPC_ERROR &&
	    a.status == -EPROTONOSUPPORT)
		ret = raw_recv(&r, &a, 2000) == 0;	/* then it closes */
	else
		ret = 0;
	result(ret, "HELLO with unknown versions gets ERROR -EPROTONOSUPPORT, then the server closes",
	       NULL);
	raw_close(&r);

	/*
	 * A newer client: it offers versions 1 to 3 and writes a longer
	 * header (hdr_len 56, the 8 bytes it adds zero); the server agrees on
	 * version 1 and skips the header bytes it does not know.
	 */
	ret = raw_open(k, &r);
	if (!ret)
		raw_send(&r, buf, hello_msg(buf, 3, 1));
	ret = ret ? ret : raw_recv(&r, &a, 2000);
	if (ret == 1 && a.type == KIPC_RPC_REPLY && a.status == 1) {
		req_hdr(&h, M_ECHO, 3);
		h.hdr_len = KIPC_RPC_HDR_LEN + 8;
		memset(buf, 0, KIPC_RPC_HDR_LEN + 8);
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + KIPC_RPC_HDR_LEN + 8, "abc", 3);
		raw_send(&r, buf, KIPC_RPC_HDR_LEN + 8 + 3);
		ret = raw_recv(&r, &a, 2000) == 1 && a.type == KIPC_RPC_REPLY &&
		      a.call_id == 9 && a.status == 0;
	} else {
		ret = 0;
	}
	raw_close(&r);
	result(ret, "a client of versions 1-3 with a longer header: version 1 agreed, its request answered",
	       NULL);

	/* Oversized: the kernel refuses it before the server sees it. */
	ret = raw_open(k, &r);
	if (!ret) {
		raw_send(&r, buf, hello_msg(buf, 1, 1));
		raw_recv(&r, &a, 1000);
		req_hdr(&h, M_ECHO, 8000);
		memcpy(buf, &h, sizeof(h));
		ret = raw_send(&r, buf, sizeof(h) + 8000);
	}
	raw_close(&r);
	result(ret == -EMSGSIZE, "an oversized request is refused with -EMSGSIZE",
	       NULL);

	len = 8;
	ret = call_bytes(c, M_ECHO, "alive", 6, buf, &len, NULL);
	result(ret == 0 && len == 6, "the server serves on after bad messages",
	       NULL);
}

/*
 * Oneway requests to a method that answers with a region buffer, more than
 * the pool holds: the answers' buffers go back, and a call that needs one
 * is still served.
 */
static void t_oneway_bufs(struct kipc *k, struct kipc_rpc_client *c)
{
	struct kipc_region *r = kipc_rpc_client_region(c);
	struct timespec dl = in_ms(5000);
	struct kipc_rpc_msg req, rep;
	struct kipc_rpc_hdr h, a;
	struct kipc_buf_ref back;
	uint64_t sum = 0;
	char buf[256];
	struct raw ra;
	int ret, i;

	if (!r) {
		result(0, "oneway answers give their buffers back", "no region");
		return;
	}
	ret = raw_open(k, &ra);
	if (!ret) {
		raw_send(&ra, buf, hello_msg(buf, 1, 1));
		ret = raw_recv(&ra, &a, 2000) == 1 ? 0 : -EPROTO;
	}
	for (i = 0; !ret && i < 300; i++) {
		req_hdr(&h, M_BUF, 0);
		h.flags = KIPC_RPC_F_ONEWAY;
		memcpy(buf, &h, sizeof(h));
		ret = raw_send(&ra, buf, sizeof(h)) == 1 ? 0 : -EIO;
	}
	/* Answered after the 300: the server has run them all. */
	if (!ret) {
		req_hdr(&h, M_ECHO, 0);
		memcpy(buf, &h, sizeof(h));
		ret = raw_send(&ra, buf, sizeof(h)) == 1 &&
		      raw_recv(&ra, &a, 10000) == 1 &&
		      a.type == KIPC_RPC_REPLY ? 0 : -EPROTO;
	}
	raw_close(&ra);
	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	rep.data = &sum;
	rep.len = sizeof(sum);
	rep.bufs = &back;
	rep.nr_bufs = 1;
	if (!ret)
		ret = kipc_rpc_call(c, M_BUF, &req, &rep, 0, &dl);
	if (!ret && rep.nr_bufs == 1)
		kipc_buf_release(r, back.offset);
	result(ret == 0 && rep.nr_bufs == 1,
	       "300 oneway requests answered with buffers leak none: a call needing one is served",
	       ret ? strerror(-ret) : NULL);
}

/* Random bytes as requests for @ms: the server neither crashes nor hangs. */
static void t_fuzz(struct kipc *k, struct kipc_rpc_client *c, unsigned int ms)
{
	uint64_t end = now_ms() + ms;
	unsigned int seed = (unsigned int)getpid(), conns_made = 0, sent = 0;
	char buf[4096], detail[96];
	struct kipc_rpc_hdr h, a;
	struct raw r;
	size_t len;
	int n, i, ret;

	while (now_ms() < end) {
		if (raw_open(k, &r) < 0)
			break;
		conns_made++;
		if (rand_r(&seed) % 4) {
			raw_send(&r, buf, hello_msg(buf, 1, 1));
			raw_recv(&r, &a, 500);
		}
		n = 1 + rand_r(&seed) % 8;
		for (i = 0; i < n; i++) {
			unsigned int j;

			len = rand_r(&seed) % 600;
			for (j = 0; j < len; j++)
				buf[j] = (char)rand_r(&seed);
			if (len >= sizeof(h) && rand_r(&seed) % 2) {
				/* a plausible header with random fields */
				req_hdr(&h, rand_r(&seed) % 8,
					(uint32_t)(len - sizeof(h)));
				if (rand_r(&seed) % 3 == 0)
					h.type = (uint8_t)rand_r(&seed);
				if (rand_r(&seed) % 3 == 0)
					h.flags = (uint16_t)rand_r(&seed);
				if (rand_r(&seed) % 3 == 0)
					h.timeout_ns = rand_r(&seed) % 1000;
				if (h.method == M_SLOW)
					h.method = M_ECHO;
				memcpy(buf, &h, sizeof(h));
			}
			if (raw_send(&r, buf, len) == 1)
				sent++;
		}
		raw_close(&r);
	}
	len = 8;
	ret = call_bytes(c, M_ECHO, "alive", 6, buf, &len, NULL);
	n = conns_settle(c, 2, 3000);
	snprintf(detail, sizeof(detail),
		 "%u connections, %u messages; server holds %d", conns_made,
		 sent, n);
	result(ret == 0 && len == 6 && n == 2,
	       "fuzz: random bytes as requests neither crash nor hang the server",
	       detail);
}

/*
 * A client SIGKILLed mid-call: the server frees its connection, and the
 * running handler sees its call cancelled (M_SLOW stops at once rather
 * than after its 5 s).
 */
static void t_client_killed(struct kipc_rpc_client *c)
{
	int pipefd[2], st, n, before;
	uint64_t t0, dt;
	char detail[96], x;
	pid_t pid;

	if (pipe(pipefd))
		return;
	pid = fork();
	if (pid == 0) {
		struct kipc_rpc_client *cc;
		uint32_t ms = 5000, got;
		size_t len = sizeof(got);
		struct kipc *k;

		if (kipc_open(&k, 0) < 0 || kipc_rpc_connect(k, name, 0, NULL, &cc))
			_exit(1);
		x = 1;
		if (write(pipefd[1], &x, 1) != 1)
			_exit(1);
		call_bytes(cc, M_SLOW, &ms, sizeof(ms), &got, &len, NULL);
		_exit(0);
	}
	close(pipefd[1]);
	before = read(pipefd[0], &x, 1) == 1 ? conns(c) : -1;
	close(pipefd[0]);
	usleep(50000);		/* its call is running */
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	t0 = now_ms();
	n = conns_settle(c, 2, 6000);
	dt = now_ms() - t0;
	snprintf(detail, sizeof(detail),
		 "%d connections with it, freed %llu ms after the kill", before,
		 (unsigned long long)dt);
	result(n == 2 && dt < 3000,
	       "a client killed mid-call: its running call is cancelled, the server frees its connection",
	       detail);
}

struct killer {
	pid_t pid;
	unsigned int ms;
};

static void *kill_later(void *arg)
{
	struct killer *kl = arg;

	usleep(kl->ms * 1000);
	kill(kl->pid, SIGKILL);
	return NULL;
}

/* The server SIGKILLed: every pending call fails at once. */
static void t_server_killed(struct kipc_rpc_client *a, struct kipc_rpc_client *b,
			    pid_t server_pid)
{
	static uint32_t ms = 5000, got[8];
	static struct kipc_rpc_msg reps[8];
	struct kipc_rpc_completion comps[8];
	struct kipc_rpc_msg req = { .data = &ms, .len = sizeof(ms) };
	struct killer kl = { server_pid, 200 };
	struct timespec dl = in_ms(8000);
	uint64_t t0 = now_ms(), dt;
	int ret, n, done = 0, bad = 0, i;
	size_t len = sizeof(got[0]);
	char detail[96];
	pthread_t t;

	for (i = 0; i < 8; i++) {
		reps[i].data = &got[i];
		reps[i].len = sizeof(got[i]);
		kipc_rpc_submit(b, M_SLOW, &req, &reps[i], 0, &dl, i, NULL);
	}
	pthread_create(&t, NULL, kill_later, &kl);
	ret = call_bytes(a, M_SLOW, &ms, sizeof(ms), &got[0], &len, &dl);
	dt = now_ms() - t0;
	pthread_join(t, NULL);
	snprintf(detail, sizeof(detail), "%d after %llu ms", ret,
		 (unsigned long long)dt);
	result(ret == -ECONNRESET && dt < 1500,
	       "the server killed mid-call: a synchronous call fails with -ECONNRESET at once",
	       detail);
	while (done < 8) {
		n = kipc_rpc_complete(b, comps, 8, 0, NULL);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			bad += comps[i].status != -ECONNRESET;
		done += n;
	}
	dt = now_ms() - t0;
	snprintf(detail, sizeof(detail), "%d of 8, %d wrong, after %llu ms", done,
		 bad, (unsigned long long)dt);
	result(done == 8 && !bad && dt < 1500,
	       "... and every pending asynchronous call with -ECONNRESET", detail);
	ret = kipc_rpc_submit(b, M_ECHO, NULL, NULL, 0, NULL, 0, NULL);
	result(ret == -ECONNRESET, "a call on a dead connection: -ECONNRESET",
	       NULL);
}

int main(void)
{
	struct kipc_rpc_client *c, *c2, *c3, *ce;
	struct kipc_version_info vi;
	int ready[2], ret, st;
	struct kipc *k;
	pid_t server_pid;
	char x;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	if (kipc_open(&k, 0) < 0) {
		printf("1..0 # SKIP no /dev/kipc\n");
		return 0;
	}
	if (kipc_version(k, &vi) < 0 || !(vi.features & KIPC_FEATURE_SERVICE)) {
		printf("1..0 # SKIP the module has no services\n");
		return 0;
	}
	snprintf(name, sizeof(name), "kipc-rpc-test-%d", getpid());
	snprintf(priv_name, sizeof(priv_name), "kipc-rpc-test-%d-0600", getpid());
	snprintf(small_name, sizeof(small_name), "kipc-rpc-test-%d-small",
		 getpid());
	if (pipe(ready))
		return 1;
	server_pid = fork();
	if (server_pid == 0) {
		close(ready[0]);
		server(ready[1]);
	}
	close(ready[1]);
	if (read(ready[0], &x, 1) != 1) {
		printf("not ok 1 rpc: the server starts\n1..1\n");
		return 1;
	}
	ret = kipc_rpc_connect(k, name, 0, NULL, &c);
	if (ret == 0)
		ret = kipc_rpc_connect(k, name, 0, NULL, &c2);
	if (ret == 0)
		ret = kipc_rpc_connect(k, name, 0, NULL, &c3);
	result(ret == 0, "connect by name (HELLO, version 1)", NULL);
	if (ret) {
		kill(server_pid, SIGKILL);
		printf("1..%d\n", nr_test);
		return 1;
	}
	t_round_trip(c);
	t_creds(c);
	t_async(c);
	t_deadline(c);
	t_deadline_checked(c);
	t_nonblock_fd(c);
	t_cancel(c);
	t_zero_copy(k, c);
	t_bufs_rule(c);
	t_lent_reply(c);
	t_async_deadline_poll(c);
	t_timeout_epoll(c);
	t_timeout_queued(k, c);
	t_deadline_credits(k);
	t_threads(c);
	t_loop_woken_by_a_call(k, c);
	ret = kipc_rpc_connect(k, name, 0, NULL, &ce);
	result(ret == 0, "a connection for events", NULL);
	if (ret == 0) {
		t_events_interleaved(ce);
		t_event_sync(ce);
		t_event_to_server(ce);
		kipc_rpc_client_close(ce);
	}
	t_event_storm(k, c);
	t_events_full(k, c);
	t_events_bounded(k);
	t_other_uid();
	t_malformed(k, c);
	t_oneway_bufs(k, c);
	t_liar_oversized();
	t_liar_lost_bufs();
	t_liar_answers_twice();
	t_liar_welcome();
	t_failed_call_releases_buffers();
	t_liar_hang_up_after_answer();
	t_liar_failed_queued_call();
	t_full_channel_nonblock();
	t_queued_call_sent_on_room();
	t_later_deadline_enforced();
	t_deadline_beside_a_call();
	/* From here the server holds two connections: c and c2. */
	kipc_rpc_client_close(c3);
	ret = conns_settle(c, 2, 2000);
	result(ret == 2, "a closed client's connection is freed", NULL);
	t_client_killed(c);
	t_fuzz(k, c, 2000);
	c3 = NULL;
	if (kipc_rpc_connect(k, name, 0, NULL, &c3) < 0)
		c3 = NULL;
	t_server_killed(c2, c3 ? c3 : c2, server_pid);
	waitpid(server_pid, &st, 0);
	kipc_rpc_client_close(c);
	kipc_rpc_client_close(c2);
	kipc_rpc_client_close(c3);
	kipc_close(k);
	printf("1..%d\n", nr_test);
	/* tools/check counts the cases of a program by its Totals line. */
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       nr_pass, nr_fail, nr_skip);
	return failed;
}
