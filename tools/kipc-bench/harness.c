// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the harness.  One repeat of one row: set up the channel, fork,
 * warm up, calibrate the iteration count from --time, measure, tear down.
 *
 * Side 0 (parent) drives; side 1 (child) echoes (latency), drains and acks
 * (throughput), stamps its wake-up time (wake) or serves calls (rpc: it
 * checks each request's header and payload and answers with a 64-byte
 * reply that echoes the call_id).  Before each message that
 * starts something new, side 0 writes a command into the shared control page;
 * side 1 reads it after the message arrives, so the message itself orders
 * the two (for shared-memory mechanisms through their release/acquire pair,
 * for the others through the system calls).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kipc-bench.h"

#define KB_MIN_ITER	5
#define KB_MAX_ITER	10000000ULL
#define KB_INJECT_SEQ	3	/* --inject spoils the first from here */

enum kb_cmd {
	KB_CMD_GO,		/* carry on */
	KB_CMD_MARK,		/* the measured phase starts with this message */
	KB_CMD_STOP,		/* last message: record CPU cost and exit */
};

/* Shared by the two processes of a row (MAP_SHARED | MAP_ANONYMOUS). */
struct kb_ctl {
	uint32_t cmd;		/* enum kb_cmd, written by side 0 */
	uint64_t count;		/* throughput: messages in this phase */
	uint64_t ready;		/* wake: side 1 waits for this message */
	uint64_t t0;		/* wake: side 0's clock just before the send */
	uint64_t wake_ns;	/* wake: latency of the previous message */
	struct kb_cpu cpu;	/* side 1's cost over the measured phase */
	uint64_t cpus;		/* side 1's CPUs over the measured phase */
	uint64_t phase;		/* probe: the phases side 0 has begun */
	char why[160];		/* side 1's failure */
};

/* Everything one process needs during a row */
struct kb_side {
	struct kb_chan *c;
	const struct kb_opts *o;
	struct kb_ctl *ctl;
	enum kb_test test;
	void *tx;		/* private buffer for mechanisms without tx_buf */
	uint64_t seq;		/* last sequence number sent or received */
	bool injected;		/* --inject has spoiled its message */
};

/* Side 0's channel while its mechanism's kick() may be called, or NULL */
static struct kb_chan *volatile kb_kicked;

static void kb_on_signal(int sig)
{
	struct kb_chan *c = kb_kicked;
	int saved = errno;

	kb_abort = sig == SIGALRM ? SIGALRM : SIGCHLD;
	if (c)
		c->mech->kick(c);
	errno = saved;
}

/*
 * No SA_RESTART: a dead peer or the watchdog interrupts any wait.  A write
 * to a dead peer gives EPIPE, not SIGPIPE.
 */
static int kb_install_handlers(void)
{
	struct sigaction sa = { .sa_handler = kb_on_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };

	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGCHLD, &sa, NULL) || sigaction(SIGALRM, &sa, NULL) ||
	    sigaction(SIGPIPE, &ign, NULL))
		return -errno;
	return 0;
}

int kb_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	return 0;
}

void kb_cpu_now(struct kb_cpu *cpu)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru)) {
		kb_warn("getrusage: %s", strerror(errno));
		memset(&ru, 0, sizeof(ru));
	}
	cpu->user_ns = ru.ru_utime.tv_sec * 1000000000ULL +
		       ru.ru_utime.tv_usec * 1000ULL;
	cpu->sys_ns = ru.ru_stime.tv_sec * 1000000000ULL +
		      ru.ru_stime.tv_usec * 1000ULL;
	cpu->vcsw = ru.ru_nvcsw;
	cpu->ivcsw = ru.ru_nivcsw;
}

static void kb_cpu_add(struct kb_cpu *acc, const struct kb_cpu *x)
{
	acc->user_ns += x->user_ns;
	acc->sys_ns += x->sys_ns;
	acc->vcsw += x->vcsw;
	acc->ivcsw += x->ivcsw;
}

/* @acc += now - @start */
void kb_cpu_add_since(struct kb_cpu *acc, const struct kb_cpu *start)
{
	struct kb_cpu now;

	kb_cpu_now(&now);
	acc->user_ns += now.user_ns - start->user_ns;
	acc->sys_ns += now.sys_ns - start->sys_ns;
	acc->vcsw += now.vcsw - start->vcsw;
	acc->ivcsw += now.ivcsw - start->ivcsw;
}

/* Sample sched_getcpu() every this many iterations of the measured phase. */
#define KB_CPU_SAMPLE	64

void kb_cpus_seen(uint64_t *mask)
{
	int cpu = sched_getcpu();

	if (cpu >= 0)
		*mask |= 1ULL << (cpu < 63 ? cpu : 63);
}

/* @mask as a list of CPUs ("0", "0,1", "63+"); the length written. */
int kb_cpus_format(char *buf, size_t len, uint64_t mask, const char *sep)
{
	size_t n = 0;
	int cpu;

	buf[0] = '\0';
	for (cpu = 0; cpu < 64 && n < len; cpu++) {
		if (!(mask & (1ULL << cpu)))
			continue;
		n += snprintf(buf + n, len - n, "%s%d%s", n ? sep : "", cpu,
			      cpu == 63 ? "+" : "");
	}
	if (!n)
		n = snprintf(buf, len, "?");
	return n < len ? (int)n : (int)len - 1;
}

/* The next message to send, @len bytes built where the mechanism wants. */
static void *kb_build_msg(struct kb_side *s, size_t len)
{
	struct kb_chan *c = s->c;
	uint64_t seq = ++s->seq;
	void *buf = s->tx;
	bool spoil;

	if (c->mech->tx_buf) {
		buf = c->mech->tx_buf(c);
		if (!buf)
			return NULL;
	}
	spoil = s->o->inject && !c->side && !s->injected &&
		seq >= KB_INJECT_SEQ;
	if (spoil && s->o->inject == KB_INJECT_DROP)
		seq = ++s->seq;
	kb_msg_fill(buf, len, seq, s->o->touch);
	if (spoil && s->o->inject == KB_INJECT_CORRUPT)
		((unsigned char *)buf)[len - 1] ^= 0x5a;
	s->injected |= spoil;
	return buf;
}

static int kb_send_msg(struct kb_side *s, size_t len)
{
	struct kb_chan *c = s->c;
	void *buf = kb_build_msg(s, len);
	int ret;

	if (!buf)
		return -EIO;
	ret = c->mech->send(c, buf, len);
	if (ret && !c->why[0])
		kb_fail(c, ret, "send");
	return ret;
}

/* Receive in the row's mode: block, busy-poll, or spin then block. */
static int kb_recv_mode(struct kb_side *s, const void **data, size_t len)
{
	struct kb_chan *c = s->c;
	const struct kb_mech *m = c->mech;
	uint64_t deadline = 0, now;
	unsigned int n = 0;
	int ret;

	if (c->mode == KB_BLOCKING)
		return m->recv(c, data, len, false);
	for (;;) {
		ret = m->recv(c, data, len, true);
		if (ret != -EAGAIN)
			return ret;
		if (kb_abort)
			return -EINTR;
		kb_cpu_relax();
		if (c->mode != KB_SPIN_BLOCK)
			continue;
		/*
		 * The spin's deadline from the first miss, checked every 16
		 * polls after it: a poll by system call (pipe) and one by a
		 * load (kipc-ring) spin for the same time, not for the same
		 * number of polls before the clock is first read.
		 */
		if (!deadline) {
			deadline = kb_now_ns() + s->o->spin_ns;
			continue;
		}
		if (++n % 16)
			continue;
		now = kb_now_ns();
		if (now >= deadline)
			return m->recv(c, data, len, false);
	}
}

/* Check the message @data that the receive of @what returned (@ret). */
static int kb_recv_check(struct kb_side *s, int ret, const void *data,
			 size_t len, const char *what)
{
	struct kb_chan *c = s->c;

	if (ret) {
		if (!c->why[0])
			kb_fail(c, ret, kb_abort == SIGALRM ?
				"receive (watchdog)" : what);
		return ret;
	}
	if (kb_msg_check(data, len, ++s->seq, s->o->touch, c->why,
			 sizeof(c->why)))
		return -EBADMSG;
	return c->mech->recv_done ? c->mech->recv_done(c) : 0;
}

static int kb_recv_msg(struct kb_side *s, size_t len)
{
	const void *data = NULL;
	int ret = kb_recv_mode(s, &data, len);

	return kb_recv_check(s, ret, data, len, "receive");
}

/* Whether the row's round trips use the mechanism's exchange(). */
static bool kb_exchanges(const struct kb_side *s)
{
	return s->test == KB_LATENCY && s->c->mode == KB_BLOCKING &&
	       s->c->mech->exchange;
}

/* Send a message of @len bytes and receive the peer's in one exchange(). */
static int kb_exchange_msg(struct kb_side *s, size_t len)
{
	struct kb_chan *c = s->c;
	const void *data = NULL;
	void *buf = kb_build_msg(s, len);
	int ret;

	if (!buf)
		return -EIO;
	ret = c->mech->exchange(c, buf, len, &data);
	return kb_recv_check(s, ret, data, len, "exchange");
}

static void kb_set_cmd(struct kb_side *s, enum kb_cmd cmd)
{
	kb_store_release(&s->ctl->cmd, cmd);
}

/* The header of an rpc message of @type for call @call_id. */
static void kb_rpc_hdr(struct kb_rpc_msg *m, unsigned int type,
		       uint64_t call_id)
{
	struct kipc_rpc_hdr *h = m->hdr;

	memset(h, 0, sizeof(*h));
	h->magic = KIPC_RPC_MAGIC;
	h->version = KIPC_RPC_VERSION;
	h->type = type;
	h->hdr_len = KIPC_RPC_HDR_LEN;
	h->method = KB_RPC_METHOD;
	h->call_id = call_id;
	h->payload_len = m->apart ? 0 : m->len;
}

/*
 * Check a received rpc message: a header of @type for call @call_id, then
 * @len bytes of payload as kb_msg_check() checks a message.
 */
static int kb_rpc_check(struct kb_side *s, const struct kb_rpc_msg *m,
			unsigned int type, uint64_t call_id, size_t len)
{
	const struct kipc_rpc_hdr *h = m->hdr;
	struct kb_chan *c = s->c;
	const char *what = type == KIPC_RPC_REQUEST ? "request" : "reply";

	if (!h) {		/* the mechanism checked its own header */
		if (!c->mech->own_header)
			return kb_fail(c, -EBADMSG, "no header");
		if (m->len != len) {
			snprintf(c->why, sizeof(c->why), "%s %llu: %zu bytes "
				 "of payload, expected %zu", what,
				 (unsigned long long)call_id, m->len, len);
			return -EMSGSIZE;
		}
		goto payload;
	}
	if (h->magic != KIPC_RPC_MAGIC || h->type != type ||
	    h->version != KIPC_RPC_VERSION ||
	    h->hdr_len != KIPC_RPC_HDR_LEN || h->method != KB_RPC_METHOD ||
	    h->status) {
		snprintf(c->why, sizeof(c->why), "%s %llu: bad header (magic "
			 "0x%08x, type %u, method %u, status %d)", what,
			 (unsigned long long)call_id, h->magic, h->type,
			 h->method, h->status);
		return -EBADMSG;
	}
	if (h->call_id != call_id) {
		snprintf(c->why, sizeof(c->why), "%s: call_id %llu, expected "
			 "%llu (lost or reordered)", what,
			 (unsigned long long)h->call_id,
			 (unsigned long long)call_id);
		return -EBADMSG;
	}
	if (m->len != len || h->payload_len != (m->apart ? 0 : m->len)) {
		snprintf(c->why, sizeof(c->why), "%s %llu: %zu bytes of payload "
			 "(%u inline), expected %zu", what,
			 (unsigned long long)call_id, m->len, h->payload_len,
			 len);
		return -EMSGSIZE;
	}
payload:
	if (kb_msg_check(m->payload, len, call_id, s->o->touch, c->why,
			 sizeof(c->why)))
		return -EBADMSG;
	return 0;
}

/*
 * Side 0, rpc: one call, the request built where the mechanism wants it;
 * its time in ns, or -errno.  --inject drop skips a call_id, --inject
 * corrupt spoils a request's magic: the server's check fails the row.
 */
static int64_t kb_rpc_call(struct kb_side *s, enum kb_cmd cmd)
{
	struct kb_chan *c = s->c;
	struct kb_rpc_msg req = {
		.hdr = s->tx,
		.payload = (char *)s->tx + KIPC_RPC_HDR_LEN,
		.len = c->size - KIPC_RPC_HDR_LEN,
	}, rep = { 0 };
	uint64_t t0 = kb_now_ns(), seq;
	bool spoil;
	int ret;

	kb_set_cmd(s, cmd);
	if (c->mech->rpc_buf) {
		ret = c->mech->rpc_buf(c, &req);
		if (ret)
			return c->why[0] ? ret : kb_fail(c, ret, "rpc buffer");
	}
	seq = ++s->seq;
	spoil = s->o->inject && !s->injected && seq >= KB_INJECT_SEQ;
	if (spoil && s->o->inject == KB_INJECT_DROP)
		seq = ++s->seq;
	kb_rpc_hdr(&req, KIPC_RPC_REQUEST, seq);
	kb_msg_fill(req.payload, req.len, seq, s->o->touch);
	if (spoil && s->o->inject == KB_INJECT_CORRUPT)
		req.hdr->magic ^= 0x5a;
	s->injected |= spoil;
	ret = c->mech->call(c, &req, &rep);
	if (ret)
		return c->why[0] ? ret : kb_fail(c, ret, kb_abort == SIGALRM ?
						 "call (watchdog)" : "call");
	ret = kb_rpc_check(s, &rep, KIPC_RPC_REPLY, seq,
			   KB_RPC_REPLY - KIPC_RPC_HDR_LEN);
	return ret ? ret : (int64_t)(kb_now_ns() - t0);
}

/*
 * Side 1, after each message: act on side 0's command (MARK starts the
 * measured phase, STOP records its cost) and sample the CPU every
 * KB_CPU_SAMPLE messages (@n counts them). Return: whether the message was
 * the last.
 */
static bool kb_follow_cmd(struct kb_side *s, struct kb_cpu *start,
			  uint64_t *n)
{
	struct kb_ctl *ctl = s->ctl;

	switch (kb_load_acquire(&ctl->cmd)) {
	case KB_CMD_STOP:
		ctl->cpu = (struct kb_cpu){ 0 };
		kb_cpu_add_since(&ctl->cpu, start);
		kb_cpus_seen(&ctl->cpus);
		return true;
	case KB_CMD_MARK:
		kb_cpu_now(start);
		ctl->cpus = 0;
		*n = 0;
		break;
	}
	if (!((*n)++ % KB_CPU_SAMPLE))
		kb_cpus_seen(&ctl->cpus);
	return false;
}

/* Side 1, rpc, a mechanism's server loop: what kb_rpc_answer() keeps. */
struct kb_rpc_answering {
	struct kb_side *s;
	struct kb_cpu start;
	uint64_t n;
};

/* The kb_rpc_answer_fn of kb_rpc_follow(): as its loop, for payloads. */
static int kb_rpc_answer(void *arg, const void *req, size_t len, void *rep,
			 size_t *rep_len)
{
	struct kb_rpc_answering *a = arg;
	struct kb_side *s = a->s;
	struct kb_rpc_msg m = { .payload = (void *)req, .len = len };
	bool last;
	int ret;

	ret = kb_rpc_check(s, &m, KIPC_RPC_REQUEST, ++s->seq,
			   s->c->size - KIPC_RPC_HDR_LEN);
	if (ret)
		return ret;
	last = kb_follow_cmd(s, &a->start, &a->n);
	*rep_len = KB_RPC_REPLY - KIPC_RPC_HDR_LEN;
	kb_msg_fill(rep, *rep_len, s->seq, s->o->touch);
	return last;
}

/*
 * Side 1, rpc: check every request, answer it with a reply that echoes its
 * call_id, until the request that carries KB_CMD_STOP has its answer.
 */
static int kb_rpc_follow(struct kb_side *s)
{
	struct kb_chan *c = s->c;
	struct kb_rpc_msg req = { 0 }, rep = {
		.hdr = s->tx,
		.payload = (char *)s->tx + KIPC_RPC_HDR_LEN,
		.len = KB_RPC_REPLY - KIPC_RPC_HDR_LEN,
	};
	struct kb_cpu start = { 0 };
	bool last = false;
	uint64_t n = 0;
	int ret;

	if (c->mech->serve_all) {
		struct kb_rpc_answering a = { .s = s };

		ret = c->mech->serve_all(c, kb_rpc_answer, &a);
		goto out;
	}
	ret = c->mech->serve(c, NULL, &req);
	while (!ret && !last) {
		ret = kb_rpc_check(s, &req, KIPC_RPC_REQUEST, ++s->seq,
				   c->size - KIPC_RPC_HDR_LEN);
		if (ret)
			break;
		last = kb_follow_cmd(s, &start, &n);
		kb_rpc_hdr(&rep, KIPC_RPC_REPLY, req.hdr->call_id);
		kb_msg_fill(rep.payload, rep.len, s->seq, s->o->touch);
		ret = c->mech->serve(c, &rep, last ? NULL : &req);
	}
out:
	if (ret && !c->why[0])
		kb_fail(c, ret, kb_abort == SIGALRM ? "serve (watchdog)" :
			"serve");
	return ret;
}

/* Side 0, latency: one round trip; returns its time in ns, or -errno. */
static int64_t kb_round_trip(struct kb_side *s, enum kb_cmd cmd)
{
	uint64_t t0 = kb_now_ns();
	int ret;

	kb_set_cmd(s, cmd);
	if (kb_exchanges(s)) {
		ret = kb_exchange_msg(s, s->c->size);
	} else {
		ret = kb_send_msg(s, s->c->size);
		if (!ret)
			ret = kb_recv_msg(s, s->c->size);
	}
	return ret ? ret : (int64_t)(kb_now_ns() - t0);
}

/* Side 0, throughput: stream @count messages, wait for the ack. */
static int64_t kb_stream(struct kb_side *s, uint64_t count, enum kb_cmd cmd)
{
	uint64_t i, t0 = kb_now_ns();
	int ret = 0;

	s->ctl->count = count;
	kb_set_cmd(s, cmd);
	for (i = 0; i < count && !ret; i++)
		ret = kb_send_msg(s, s->c->size);
	if (!ret)
		ret = kb_recv_msg(s, KB_MIN_SIZE);
	return ret ? ret : (int64_t)(kb_now_ns() - t0);
}

/*
 * Wait until the peer has set the control page's @word to @val, spinning
 * and yielding the CPU (both sides may share one); 0, or -EINTR (@what
 * failed: the peer died, or the watchdog).
 */
static int kb_await(struct kb_side *s, const uint64_t *word, uint64_t val,
		    const char *what)
{
	unsigned int spins = 0;

	while (kb_load_acquire(word) != val) {
		if (kb_abort)
			return kb_fail(s->c, -EINTR, what);
		if (++spins % 64 == 0)
			sched_yield();
		else
			kb_cpu_relax();
	}
	return 0;
}

/* Side 0, wake: wait until side 1 sleeps on the next message, send it. */
static int64_t kb_wake_one(struct kb_side *s, enum kb_cmd cmd)
{
	struct timespec settle = { s->o->idle_ns / 1000000000,
				   s->o->idle_ns % 1000000000 };
	int ret;

	ret = kb_await(s, &s->ctl->ready, s->seq + 1, "wake: peer");
	if (ret)
		return ret;
	/*
	 * Before STOP too: side 1's CPU time runs from MARK to STOP, and so
	 * holds a settle for each of the n messages it is divided by.
	 */
	if (s->c->mode != KB_BUSY_POLL)
		nanosleep(&settle, NULL);
	kb_set_cmd(s, cmd);
	kb_store_release(&s->ctl->t0, kb_now_ns());
	return kb_send_msg(s, s->c->size);
}

/* Latency of the message before the one side 1 now waits for. */
static int64_t kb_wake_sample(struct kb_side *s)
{
	int ret = kb_await(s, &s->ctl->ready, s->seq + 1, "wake: peer");

	return ret ? ret : (int64_t)kb_load_acquire(&s->ctl->wake_ns);
}

/*
 * Side 0, a probe: one phase of @count round trips, the loop of the
 * mechanism's ping() timed as one block; its time in ns, or -errno.
 * Before the clock starts, side 1 has taken the phase's count and command
 * (kb_probe_follow()); STOP only hands over the command.
 */
static int64_t kb_probe_phase(struct kb_side *s, uint64_t count,
			      enum kb_cmd cmd)
{
	struct kb_chan *c = s->c;
	struct kb_ctl *ctl = s->ctl;
	uint64_t t0;
	int ret;

	ctl->count = count;
	kb_set_cmd(s, cmd);
	kb_store_release(&ctl->phase, ++s->seq);
	if (cmd == KB_CMD_STOP)
		return 0;
	ret = kb_await(s, &ctl->ready, s->seq, "probe: peer");
	if (ret)
		return ret;
	t0 = kb_now_ns();
	ret = c->mech->ping(c, count);
	if (ret)
		return c->why[0] ? ret : kb_fail(c, ret, "ping");
	return kb_now_ns() - t0;
}

/* Side 0: the last message, which side 1 does not answer (rpc: a call). */
static int kb_stop(struct kb_side *s)
{
	int64_t t;

	if (s->test == KB_WAKE)
		return kb_wake_one(s, KB_CMD_STOP);
	if (s->c->mech->ping)
		return kb_probe_phase(s, 0, KB_CMD_STOP);
	if (s->test == KB_RPC) {
		t = kb_rpc_call(s, KB_CMD_STOP);
		return t < 0 ? t : 0;
	}
	kb_set_cmd(s, KB_CMD_STOP);
	return kb_send_msg(s, s->c->size);
}

/* Side 0, latency or wake: one iteration; its time in ns, or -errno. */
static int64_t kb_step(struct kb_side *s, enum kb_cmd cmd)
{
	int64_t t;

	if (s->test == KB_LATENCY)
		return kb_round_trip(s, cmd);
	if (s->test == KB_RPC)
		return kb_rpc_call(s, cmd);
	t = kb_wake_one(s, cmd);
	return t < 0 ? t : kb_wake_sample(s);
}

/* Side 0: @count iterations of the test; their time in ns, or -errno. */
static int64_t kb_phase(struct kb_side *s, uint64_t count, enum kb_cmd cmd,
			struct kb_hist *hist, uint64_t *cpus)
{
	int64_t t, sum = 0;
	uint64_t i;

	if (s->test == KB_THROUGHPUT)
		return kb_stream(s, count, cmd);
	if (s->c->mech->ping)
		return kb_probe_phase(s, count, cmd);
	for (i = 0; i < count; i++) {
		t = kb_step(s, i ? KB_CMD_GO : cmd);
		if (t < 0)
			return t;
		if (hist)
			kb_hist_add(hist, t);
		if (cpus && !(i % KB_CPU_SAMPLE))
			kb_cpus_seen(cpus);
		sum += t;
	}
	return sum;
}

/*
 * Side 0: warm up in doubling batches for a tenth of --time (or a tenth of
 * --iterations), size the measured phase from the last batch, measure,
 * then stop side 1.
 */
static int kb_drive(struct kb_side *s, struct kb_run *run)
{
	const struct kb_opts *o = s->o;
	uint64_t batch = 1, n, warm_n = 0, warm_ns = 0;
	struct kb_cpu start;
	int64_t t;

	if (s->test == KB_THROUGHPUT) {
		batch = (1 << 20) / s->c->size;
		batch = batch < 2 ? 2 : batch > 256 ? 256 : batch;
	}
	for (;; batch *= 2) {
		if (o->iterations && batch > o->iterations / 10)
			batch = o->iterations / 10 ? o->iterations / 10 : 1;
		t = kb_phase(s, batch, KB_CMD_GO, NULL, NULL);
		if (t < 0)
			return t;
		warm_n += batch;
		warm_ns += t;
		if (o->iterations ? warm_n * 10 >= o->iterations :
		    warm_ns * 10 >= o->time_ns)
			break;
	}

	n = o->iterations;
	if (!n)
		n = o->time_ns * batch / (t + 1);
	n = n < KB_MIN_ITER ? KB_MIN_ITER : n > KB_MAX_ITER ? KB_MAX_ITER : n;

	kb_cpu_now(&start);
	kb_cpus_seen(&run->cpus[0]);
	t = kb_phase(s, n, KB_CMD_MARK, run->hist, &run->cpus[0]);
	if (t < 0)
		return t;
	kb_cpus_seen(&run->cpus[0]);
	run->elapsed_ns = t;
	run->iterations = n;
	run->messages = s->test == KB_LATENCY ? 2 * n : n; /* rpc: calls */
	if (s->test != KB_WAKE)		/* wake: the receiver's cost only */
		kb_cpu_add_since(&run->cpu, &start);
	return kb_stop(s);
}

/*
 * Side 1, a probe: for each phase, take its count and command, say so
 * (side 0 starts its clock then), and answer that many round trips with
 * the mechanism's pong(); until KB_CMD_STOP.
 */
static int kb_probe_follow(struct kb_side *s)
{
	struct kb_chan *c = s->c;
	struct kb_ctl *ctl = s->ctl;
	struct kb_cpu start = { 0 };
	uint64_t phase, n = 0;
	int ret;

	for (phase = 1;; phase++) {
		ret = kb_await(s, &ctl->phase, phase, "probe: peer");
		if (ret)
			return ret;
		if (kb_follow_cmd(s, &start, &n))
			return 0;
		kb_store_release(&ctl->ready, phase);
		ret = c->mech->pong(c, ctl->count);
		if (ret)
			return c->why[0] ? ret : kb_fail(c, ret, "pong");
	}
}

/* Side 1: follow side 0's commands until KB_CMD_STOP. */
static int kb_follow(struct kb_side *s)
{
	struct kb_ctl *ctl = s->ctl;
	struct kb_cpu start = { 0 };
	size_t len = s->c->size;
	uint64_t t1, i, count, n = 0;
	bool received = false;	/* the exchange took the next message */
	int ret;

	if (s->test == KB_RPC)
		return kb_rpc_follow(s);
	if (s->c->mech->pong)
		return kb_probe_follow(s);
	for (;;) {
		if (s->test == KB_WAKE)
			kb_store_release(&ctl->ready, s->seq + 1);
		ret = received ? 0 : kb_recv_msg(s, len);
		if (ret)
			return ret;
		/* Only wake reads it: no clock read in a round trip's path. */
		t1 = s->test == KB_WAKE ? kb_now_ns() : 0;
		if (kb_follow_cmd(s, &start, &n))
			return 0;
		switch (s->test) {
		case KB_LATENCY:
			received = kb_exchanges(s);
			ret = received ? kb_exchange_msg(s, len) :
					 kb_send_msg(s, len);
			break;
		case KB_THROUGHPUT:
			count = ctl->count;
			for (i = 1; i < count && !ret; i++)
				ret = kb_recv_msg(s, len);
			if (!ret)
				ret = kb_send_msg(s, KB_MIN_SIZE);
			break;
		default:
			kb_store_release(&ctl->wake_ns,
					 t1 - kb_load_acquire(&ctl->t0));
			break;
		}
		if (ret)
			return ret;
	}
}

static void kb_child(struct kb_side *s, pid_t parent, int cpu)
{
	struct kb_chan *c = s->c;
	int ret;

	c->side = 1;
	c->peer = parent;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	ret = kb_pin(cpu);
	if (ret)
		kb_fail(c, ret, "sched_setaffinity");
	else if (c->mech->attach)
		ret = c->mech->attach(c);
	if (!ret)
		ret = kb_follow(s);
	if (ret)
		memcpy(s->ctl->why, c->why, sizeof(s->ctl->why));
	c->mech->teardown(c);
	_exit(ret ? 1 : 0);
}

static int kb_parent(struct kb_side *s, pid_t child, struct kb_run *run,
		     unsigned int timeout)
{
	struct kb_chan *c = s->c;
	int ret = 0, status;

	c->side = 0;
	c->peer = child;
	if (c->mech->attach)
		ret = c->mech->attach(c);
	if (!ret) {
		if (c->mech->kick)
			kb_kicked = c;
		alarm(timeout);
		ret = kb_drive(s, run);
		alarm(0);
		kb_kicked = NULL;	/* before the teardown frees its state */
	}
	if (ret && kill(child, SIGKILL))
		kb_warn("kill %d: %s", (int)child, strerror(errno));
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = kb_fail(c, -errno, "waitpid");
			break;
		}
	}
	if (s->ctl->why[0])		/* the peer's account comes first */
		memcpy(c->why, s->ctl->why, sizeof(c->why));
	else if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status)))
		ret = kb_fail(c, -ECHILD, "peer process failed");
	if (!ret) {
		kb_cpu_add(&run->cpu, &s->ctl->cpu);
		run->cpus[1] = s->ctl->cpus;
	}
	return ret;
}

/**
 * kb_run_row() - run one repeat of one row.
 * @run:	zeroed by the caller, with run->hist set for latency and wake
 *
 * Return: KB_OK, with the setup's note (or "") in @why; KB_SKIPPED (the
 * mechanism cannot carry this size here) or KB_FAILED, with the reason in
 * @why.
 */
int kb_run_row(const struct kb_opts *o, const struct kb_mech *m,
	       enum kb_test test, enum kb_mode mode, size_t size,
	       struct kb_run *run, char *why, size_t whylen)
{
	struct kb_chan c = { .mech = m, .test = test, .mode = mode,
			     .size = size, .touch = o->touch,
			     .pool_for = o->largest[test] > size ?
					 o->largest[test] : size,
			     .timeout = o->timeout, .spin_ns = o->spin_ns };
	struct kb_side s = { .c = &c, .o = o, .test = test };
	pid_t pid, parent = getpid();
	int ret;

	if (m->max_size && size > m->max_size) {
		snprintf(why, whylen, "carries at most %zu bytes", m->max_size);
		return KB_SKIPPED;
	}
	if (test == KB_RPC && size < KB_RPC_REPLY) {
		snprintf(why, whylen, "rpc requests start at %d bytes (the "
			 "reply's size)", KB_RPC_REPLY);
		return KB_SKIPPED;
	}
	if (test == KB_RPC && mode != KB_BLOCKING) {
		snprintf(why, whylen, "rpc: blocking calls only");
		return KB_SKIPPED;
	}
	ret = kb_install_handlers();
	if (ret)
		return kb_err(ret, why, whylen, "sigaction"), KB_FAILED;
	ret = m->setup(&c);
	if (ret) {
		snprintf(why, whylen, "%s", c.why[0] ? c.why : strerror(-ret));
		return ret == -EMSGSIZE || ret == -ENOSPC ||
		       ret == -EOPNOTSUPP ? KB_SKIPPED : KB_FAILED;
	}
	s.ctl = mmap(NULL, sizeof(*s.ctl), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s.ctl == MAP_FAILED) {
		s.ctl = NULL;
		ret = kb_fail(&c, -errno, "mmap control page");
		goto out_teardown;
	}
	if (!m->tx_buf) {
		s.tx = kb_map(size);
		if (!s.tx) {
			ret = kb_fail(&c, -errno, "mmap message buffer");
			goto out_unmap_ctl;
		}
	}
	kb_abort = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = kb_fail(&c, -errno, "fork");
		goto out_unmap_tx;
	}
	if (!pid)
		kb_child(&s, parent, o->cpu[1]);
	ret = kb_parent(&s, pid, run, o->timeout);

out_unmap_tx:
	kb_unmap(s.tx, size);
out_unmap_ctl:
	if (s.ctl)
		munmap(s.ctl, sizeof(*s.ctl));
out_teardown:
	m->teardown(&c);
	if (ret)
		snprintf(why, whylen, "%s", c.why[0] ? c.why : strerror(-ret));
	else
		snprintf(why, whylen, "%s", c.note);
	return ret ? KB_FAILED : KB_OK;
}
