// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The RPC client: one connection to a service, synchronous calls (one
 * KIPC_IOC_CALL when nothing else is outstanding), asynchronous calls
 * multiplexed over the connection with the protocol's credits, and
 * cancellation (Documentation/userspace-api/kipc/protocol.rst).
 *
 * Every call is a struct rpc_call, found by its id in @calls. A call is
 * QUEUED in the library until a credit is free, then SENT; a SENT call
 * cancelled or timed out is ABANDONED: it has completed for the caller but
 * keeps its credit until the server's answer arrives and is dropped. A
 * finished asynchronous call becomes a completion on @done, which
 * kipc_rpc_complete() hands out; a synchronous caller waits for its own.
 * An EVENT of the server's becomes a completion on @done too, in the
 * order it arrived, whichever thread received it.
 *
 * kipc_rpc_client_fd() is an epoll set of the reply channel and @evfd, an
 * eventfd that counts while @done holds completions that no thread in
 * kipc_rpc_complete() is there to take: an event loop is woken by an
 * answer that another thread's kipc_rpc_call() took off the channel.
 *
 * @lock protects the state. One thread at a time receives answers (into
 * @rxbuf), with @receiving set and @lock dropped while it waits in the
 * kernel; it matches every answer to its call, whoever waits for it, and
 * wakes the other threads (@cond) after each one. A thread that needs an
 * answer while another receives waits on @cond until its own call is done
 * (or a completion is ready), or until nobody receives.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "rpc.h"
#include "sys.h"

#define NR_BUCKETS	256

/*
 * How often calls queued with none in flight try again to find room on
 * the request channel: no answer will come to tell (see receive()).
 */
#define RPC_RETRY_NS	100000000ULL

enum { QUEUED, SENT, ABANDONED };

struct rpc_call {
	uint64_t id;
	uint64_t user_data;
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC; 0: none */
	struct kipc_rpc_msg *rep;	/* the caller's room */
	int state;
	int sync;			/* a waiter of kipc_rpc_call() */
	int done;			/* sync: finished, with @status */
	int status;
	int filled;			/* an answer filled @rep */
	/* QUEUED: the message to send */
	void *wire;
	uint32_t wire_len;
	uint32_t nr_bufs, nr_lends;
	struct kipc_buf_ref bufs[KIPC_MSG_BUFS_MAX];
	struct kipc_lend_ref lends[KIPC_MSG_LENDS_MAX];
	struct kipc_lendq *lendq;
	struct rpc_call *hnext;		/* @calls bucket */
	struct rpc_call *qnext;		/* @queue */
	struct rpc_done *fin;		/* async: its completion, made with
					 * it, so that finishing cannot fail */
};

struct rpc_done {
	struct kipc_rpc_completion c;
	int filled;			/* an answer filled c.rep */
	struct rpc_done *next;
};

struct kipc_rpc_client {
	struct kipc_chan *tx, *rx;
	struct kipc_region *region;	/* the service's, attached; or NULL */
	uint32_t depth, max_inline;
	uint8_t version;
	pthread_mutex_t lock;		/* protects everything below */
	pthread_cond_t cond;		/* an answer was matched */
	int receiving;			/* a thread waits for answers */
	int dead;			/* 0, or why calls fail now: the
				 * server went (-ECONNRESET), or sent
				 * what cannot be received (-EPROTO) */
	uint32_t inflight;		/* SENT + ABANDONED: credits used */
	uint32_t nr_calls;		/* in @calls, ABANDONED ones too */
	uint32_t nr_abandoned;
	uint32_t nr_sync;		/* of kipc_rpc_call() that runs */
	uint32_t nr_events;		/* events in @done, not yet taken */
	uint64_t next_id;
	struct rpc_call *calls[NR_BUCKETS];
	struct rpc_call *queue, **queue_tail;
	struct rpc_done *done, **done_tail;
	int completers;			/* threads in kipc_rpc_complete() */
	bool signalled;			/* @evfd's count is not 0 */
	int evfd;			/* readable: see done_signal() */
	int epfd;			/* @rx and @evfd: kipc_rpc_client_fd() */
	void *rxbuf;
	void *txbuf;			/* for CANCEL */
	struct kipc_buf_ref rxbufs[KIPC_MSG_BUFS_MAX];
	struct kipc_lend_ref rxlends[KIPC_MSG_LENDS_MAX];
};

static struct rpc_call **call_slot(struct kipc_rpc_client *c, uint64_t id)
{
	struct rpc_call **pp = &c->calls[id % NR_BUCKETS];

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->hnext;
	return pp;
}

static void call_unlink(struct kipc_rpc_client *c, struct rpc_call *call)
{
	struct rpc_call **pp = call_slot(c, call->id);

	if (*pp)
		*pp = call->hnext;
	c->nr_calls--;
}

static void call_free(struct rpc_call *call)
{
	free(call->fin);
	free(call->wire);
	free(call);
}

/* Take a QUEUED @call off @queue. */
static void queue_remove(struct kipc_rpc_client *c, struct rpc_call *call)
{
	struct rpc_call **pp;

	for (pp = &c->queue; *pp != call; pp = &(*pp)->qnext)
		;
	*pp = call->qnext;
	if (!call->qnext)
		c->queue_tail = pp;
}

/* Release what an answer carried that nobody takes. */
static void drop_payload(struct kipc_rpc_client *c, const struct kipc_buf_ref *b,
			 uint32_t nr_bufs, const struct kipc_lend_ref *l,
			 uint32_t nr_lends)
{
	uint32_t i;

	rpc_bufs_release(c->region, b, nr_bufs);
	for (i = 0; i < nr_lends; i++)
		kipc_lend_release((const void *)(uintptr_t)l[i].addr, l[i].len);
}

/*
 * A server's ERROR status as the caller's errno: a negative errno value,
 * or -EPROTO for anything else (0, positive, or beyond the errno range,
 * which callers could not tell from other values).
 */
static int rpc_status(int32_t status)
{
	return status < 0 && status >= -4095 ? status : -EPROTO;
}

/*
 * @ts, an absolute CLOCK_MONOTONIC deadline or NULL, in *@ns: 0 for none,
 * 1 for {0, 0} (due already), a far one saturated; -EINVAL when @ts is
 * not a time (a negative second, a nanosecond out of [0, 1e9)).
 */
static int deadline_ns(const struct timespec *ts, uint64_t *ns)
{
	__u32 wflags, clk;
	__u64 v;
	int ret = kipc__deadline(0, ts, &wflags, &clk, &v);

	if (ret < 0)
		return ret;
	*ns = ts ? (v ? v : 1) : 0;
	return 0;
}

/*
 * Make @evfd readable (@on) or not. It is readable while @done holds
 * completions and no thread in kipc_rpc_complete() will return them: one
 * that leaves sets it from what it leaves behind.
 */
static void done_signal(struct kipc_rpc_client *c, bool on)
{
	uint64_t v = 1;

	if (on == c->signalled)
		return;
	/* An eventfd of count 0 or 1 takes a write and gives a read. */
	if (on ? write(c->evfd, &v, sizeof(v)) == sizeof(v)
	       : read(c->evfd, &v, sizeof(v)) == sizeof(v))
		c->signalled = on;
}

static void done_add(struct kipc_rpc_client *c, struct rpc_done *d)
{
	*c->done_tail = d;
	c->done_tail = &d->next;
	if (!c->completers)
		done_signal(c, true);
}

/*
 * Release the region buffers of @call's request, which was not sent, once:
 * a call that fails twice over (its send, then the connection) must not
 * release buffers that the pool may have handed out again meanwhile.
 */
static void call_release(struct kipc_rpc_client *c, struct rpc_call *call)
{
	drop_payload(c, call->bufs, call->nr_bufs, NULL, 0);
	call->nr_bufs = 0;
}

/*
 * Whether a call that failed with @err before its request was sent leaves
 * the request's buffers the caller's (kipc_rpc_call(3)): when the call
 * refused its arguments (-EINVAL), or would have had to wait (-EAGAIN).
 * On every other error they are released to the pool.
 */
static bool bufs_kept(int err)
{
	return err == -EINVAL || err == -EAGAIN;
}

/* The completion of the async @call, made with it, onto @done. */
static void call_complete(struct kipc_rpc_client *c, struct rpc_call *call,
			 int status)
{
	struct rpc_done *d = call->fin;

	call->fin = NULL;
	d->c.call_id = call->id;
	d->c.user_data = call->user_data;
	d->c.status = status;
	d->c.rep = call->rep;
	d->filled = call->filled;
	done_add(c, d);
}

/*
 * @call finished with @status: to its waiter or onto @done. A synchronous
 * call finishes once: it stays in @calls until its thread wakes, and the
 * status (and answer) it got first is the one that thread returns.
 */
static void call_finish(struct kipc_rpc_client *c, struct rpc_call *call,
			int status)
{
	pthread_cond_broadcast(&c->cond);
	if (call->sync) {
		if (!call->done) {
			call->done = 1;
			call->status = status;
		}
		return;
	}
	call_complete(c, call, status);
	call_unlink(c, call);
	call_free(call);
}

/*
 * A call that failed with @err before it was sent, taken out of the
 * tables and freed; its buffers released unless bufs_kept(@err).
 */
static void call_drop(struct kipc_rpc_client *c, struct rpc_call *call,
		      int err)
{
	if (!bufs_kept(err))
		call_release(c, call);
	call_unlink(c, call);
	call_free(call);
}

/*
 * The connection is over: every call fails with @err at once, and so does
 * every later one. A synchronous call that finished already (answered, or
 * failed by pump()) keeps its result: only its thread has not woken yet.
 */
static void fail_all(struct kipc_rpc_client *c, int err)
{
	struct rpc_call *call, *next;
	unsigned int i;

	c->dead = err;
	c->queue = NULL;
	c->queue_tail = &c->queue;
	pthread_cond_broadcast(&c->cond);
	for (i = 0; i < NR_BUCKETS; i++)
		for (call = c->calls[i]; call; call = next) {
			next = call->hnext;
			if (call->sync && call->done)
				continue;
			if (call->state == QUEUED)
				call_release(c, call);
			if (call->state == ABANDONED) {
				c->nr_abandoned--;
				call_unlink(c, call);
				call_free(call);
			} else {
				call_finish(c, call, err);
			}
		}
	c->inflight = 0;
}

/*
 * The message of a QUEUED call, about to be sent: its deadline's time left
 * is counted from now, not from when the call was submitted, which may
 * be long before (a call waits for a credit or for room).
 */
static void msg_of(struct rpc_call *call, struct kipc_msg *m)
{
	struct kipc_rpc_hdr *h = call->wire;
	uint64_t now;

	if (call->deadline_ns) {
		now = kipc__now_ns();
		h->timeout_ns = call->deadline_ns > now ?
				call->deadline_ns - now : 0;
	}
	kipc_msg_init(m, call->wire, call->wire_len,
		      call->nr_bufs ? call->bufs : NULL, call->nr_bufs, 0);
	if (call->nr_lends)
		kipc_msg_lend(m, call->lends, call->nr_lends, call->lendq);
}

/* Send a QUEUED call; 0, -EAGAIN (channel full) or a call's error. */
static int call_send(struct kipc_rpc_client *c, struct rpc_call *call,
		     unsigned int flags, const struct timespec *deadline)
{
	struct kipc_msg m;
	int ret;

	msg_of(call, &m);
	ret = kipc_channel_send(c->tx, &m, 1, flags, deadline,
				call->nr_bufs ? c->region : NULL);
	if (ret == -EPIPE) {
		fail_all(c, -ECONNRESET);
		return -ECONNRESET;
	}
	if (ret < 0)
		return ret;
	call->state = SENT;
	free(call->wire);
	call->wire = NULL;
	c->inflight++;
	return 0;
}

/* Send queued calls while credits and room last. */
static void pump(struct kipc_rpc_client *c)
{
	uint64_t now = 0;
	int ret;

	while (c->queue && c->inflight < c->depth && !c->dead) {
		struct rpc_call *call = c->queue;

		if (call->deadline_ns && !now)
			now = kipc__now_ns();
		if (call->deadline_ns && now >= call->deadline_ns) {
			ret = -ETIMEDOUT;
		} else {
			ret = call_send(c, call, KIPC_IO_NONBLOCK, NULL);
			if (ret == -EAGAIN || c->dead)
				return;
		}
		c->queue = call->qnext;
		if (!c->queue)
			c->queue_tail = &c->queue;
		if (ret < 0) {
			/*
			 * kipc_rpc_call() returns the error: its caller keeps
			 * the buffers as if it had failed at once. Those of
			 * a submitted call left its caller for good.
			 */
			if (!call->sync || !bufs_kept(ret))
				call_release(c, call);
			call_finish(c, call, ret);
		}
	}
}

/* Best effort: the server may skip the call (protocol.rst). */
static void send_cancel(struct kipc_rpc_client *c, uint64_t id)
{
	struct kipc_rpc_hdr h;
	struct kipc_msg m;

	rpc_hdr_init(&h, c->version, KIPC_RPC_CANCEL, 0, id, 0);
	memcpy(c->txbuf, &h, sizeof(h));
	kipc_msg_init(&m, c->txbuf, KIPC_RPC_HDR_LEN, NULL, 0, 0);
	kipc_channel_send(c->tx, &m, 1, KIPC_IO_NONBLOCK, NULL, NULL);
}

/*
 * A message whose buffers the kernel could not give (their region gone
 * since, KIPC_MSG_BUFS_LOST): the server sent buffers of a region this
 * client holds no handle of, which the protocol does not allow, and the
 * answer cannot be taken as it was meant. Its lent ranges are unmapped;
 * the caller fails the connection (-EPROTO). Returns -EBADF, the errno a
 * module without KIPC_FEATURE_BUFS_LOST gave for such a message.
 */
static int reply_refuse(struct kipc_rpc_client *c, const struct kipc_msg *m)
{
	drop_payload(c, NULL, 0, c->rxlends, m->nr_lends);
	return -EBADF;
}

/* A SENT call completes now with @status; its answer will be dropped. */
static void call_abandon(struct kipc_rpc_client *c, struct rpc_call *call,
			 int status)
{
	int sync = call->sync;

	pthread_cond_broadcast(&c->cond);
	call->state = ABANDONED;
	c->nr_abandoned++;
	call->sync = 0;
	if (sync) {
		call->done = 1;
		call->status = status;
	} else {
		call_complete(c, call, status);
	}
	call->rep = NULL;
	send_cancel(c, call->id);
}

/* Fill the caller's room with an answer; 0 or a negative errno. */
static int fill_reply(struct kipc_rpc_client *c, struct kipc_rpc_msg *rep,
		      const struct kipc_rpc_hdr *h, const void *payload,
		      const struct kipc_msg *m)
{
	int status = h->type == KIPC_RPC_ERROR ? rpc_status(h->status) : 0;
	uint32_t nb = m->nr_bufs, nl = m->nr_lends;

	if (!rep) {
		drop_payload(c, c->rxbufs, nb, c->rxlends, nl);
		return status;
	}
	if (h->payload_len > rep->len) {
		/* What fits is kept: rep->len bytes, the room. */
		status = status ? status : -EMSGSIZE;
		if (rep->len)
			memcpy(rep->data, payload, rep->len);
	} else {
		if (h->payload_len)
			memcpy(rep->data, payload, h->payload_len);
		rep->len = h->payload_len;
	}
	if (nb > rep->nr_bufs) {
		status = status ? status : -EMSGSIZE;
		drop_payload(c, c->rxbufs + rep->nr_bufs, nb - rep->nr_bufs,
			     NULL, 0);
		nb = rep->nr_bufs;
	}
	if (nb)
		memcpy(rep->bufs, c->rxbufs, nb * sizeof(*rep->bufs));
	rep->nr_bufs = nb;
	if (nl > rep->nr_lends) {
		status = status ? status : -EMSGSIZE;
		drop_payload(c, NULL, 0, c->rxlends + rep->nr_lends,
			     nl - rep->nr_lends);
		nl = rep->nr_lends;
	}
	if (nl)
		memcpy(rep->lends, c->rxlends, nl * sizeof(*rep->lends));
	rep->nr_lends = nl;
	return status;
}

/*
 * An EVENT received into @rxbuf and @m: a completion of its own, with a
 * copy of its payload in one allocation that the caller frees.
 */
static void event_queue(struct kipc_rpc_client *c, const struct kipc_rpc_hdr *h,
			const void *payload, const struct kipc_msg *m)
{
	size_t nb = m->nr_bufs, nl = m->nr_lends;
	struct kipc_rpc_msg *ev;
	struct rpc_done *d;
	char *p;

	/*
	 * A client that never takes its events (one that only calls) must
	 * not keep all a server sends: its memory, pool buffers and mapped
	 * ranges. Beyond RPC_EVENTS_MAX waiting, an event is dropped.
	 */
	if (c->nr_events >= RPC_EVENTS_MAX) {
		drop_payload(c, c->rxbufs, m->nr_bufs, c->rxlends, m->nr_lends);
		return;
	}
	d = calloc(1, sizeof(*d));
	ev = calloc(1, sizeof(*ev) + nb * sizeof(*ev->bufs) +
		    nl * sizeof(*ev->lends) + h->payload_len);
	if (!d || !ev) {	/* without memory the event is lost */
		free(d);
		free(ev);
		drop_payload(c, c->rxbufs, m->nr_bufs, c->rxlends, m->nr_lends);
		return;
	}
	p = (char *)(ev + 1);
	if (nb) {
		ev->bufs = memcpy(p, c->rxbufs, nb * sizeof(*ev->bufs));
		p += nb * sizeof(*ev->bufs);
	}
	if (nl) {
		ev->lends = memcpy(p, c->rxlends, nl * sizeof(*ev->lends));
		p += nl * sizeof(*ev->lends);
	}
	if (h->payload_len)
		ev->data = memcpy(p, payload, h->payload_len);
	ev->len = h->payload_len;
	ev->nr_bufs = (uint32_t)nb;
	ev->nr_lends = (uint32_t)nl;
	d->c.kind = KIPC_RPC_COMP_EVENT;
	d->c.event = h->method;
	d->c.rep = ev;
	done_add(c, d);
	c->nr_events++;
}

/* One message received into @rxbuf and @m: match it to its call. */
static void answer(struct kipc_rpc_client *c, const struct kipc_msg *m)
{
	struct rpc_call *call;
	struct kipc_rpc_hdr h;
	const void *payload;
	int status;

	if (rpc_hdr_check(c->rxbuf, m->data_len, &h, &payload) < 0 ||
	    (h.type != KIPC_RPC_REPLY && h.type != KIPC_RPC_ERROR &&
	     h.type != KIPC_RPC_EVENT)) {
		drop_payload(c, c->rxbufs, m->nr_bufs, c->rxlends, m->nr_lends);
		return;		/* noise: nothing to match */
	}
	if (h.type == KIPC_RPC_EVENT) {
		event_queue(c, &h, payload, m);
		return;
	}
	call = *call_slot(c, h.call_id);
	/*
	 * A call never sent, or one already answered (a synchronous call
	 * stays until its thread wakes): a second answer is the server's
	 * mistake, dropped with whatever it carries. A synchronous call that
	 * was abandoned is done too, but its answer is the first: it gives
	 * the credit back and frees the call, as an abandoned async one's.
	 */
	if (!call || call->state == QUEUED ||
	    (call->done && call->state != ABANDONED)) {
		drop_payload(c, c->rxbufs, m->nr_bufs, c->rxlends, m->nr_lends);
		return;
	}
	c->inflight--;
	if (call->state == ABANDONED) {
		drop_payload(c, c->rxbufs, m->nr_bufs, c->rxlends, m->nr_lends);
		c->nr_abandoned--;
		call_unlink(c, call);
		call_free(call);
		return;
	}
	status = fill_reply(c, call->rep, &h, payload, m);
	call->filled = !!call->rep;
	call_finish(c, call, status);
}

/* What a waiter needs: its own call done, or (@sync NULL) a completion. */
static int satisfied(const struct kipc_rpc_client *c,
		     const struct rpc_call *sync)
{
	return c->dead || (sync ? sync->done : c->done != NULL);
}

/*
 * Receive one answer, waiting until @deadline_ns (0: forever; with
 * KIPC_IO_NONBLOCK in @flags not at all), unless what the caller waits for
 * (see satisfied()) happens first. Called and returns with @lock held. 1
 * (an answer, or the caller satisfied), 0 at end of stream (every call
 * failed), or a negative errno.
 */
static int receive(struct kipc_rpc_client *c, unsigned int flags,
		   uint64_t deadline_ns, const struct rpc_call *sync)
{
	uint64_t until = deadline_ns, slice;
	struct timespec ts;
	struct kipc_msg m;
	int ret;

	/*
	 * While another thread receives (a kipc_rpc_call() that may wait for
	 * ever), a waiter for completions wakes every 100 ms too: a call
	 * submitted meanwhile may be due before anything is answered, and
	 * only the caller's loop (expire()) completes it.
	 */
	if (!sync && c->receiving && !(flags & KIPC_IO_NONBLOCK)) {
		slice = kipc__now_ns() + RPC_RETRY_NS;
		if (!until || slice < until)
			until = slice;
	}
	ts = rpc_ns_ts(until);
	while (c->receiving) {
		if (satisfied(c, sync))
			return 1;
		if (flags & KIPC_IO_NONBLOCK)
			return -EAGAIN;
		ret = until ? pthread_cond_timedwait(&c->cond, &c->lock, &ts)
			    : pthread_cond_wait(&c->cond, &c->lock);
		if (ret == ETIMEDOUT)
			return -ETIMEDOUT;
	}
	until = deadline_ns;
	if (satisfied(c, sync))
		return 1;
	/*
	 * Wait in slices of 100 ms, and try to send queued calls after each:
	 * calls queued with none in flight wait for room on the request
	 * channel, not for an answer (events and CANCELs filled it); and a
	 * call submitted meanwhile by another thread may have a deadline
	 * before ours, which the caller's loop then enforces.
	 */
	if (!(flags & KIPC_IO_NONBLOCK)) {
		slice = kipc__now_ns() + RPC_RETRY_NS;
		if (!until || slice < until)
			until = slice;
		ts = rpc_ns_ts(until);
	}
	c->receiving = 1;
	pthread_mutex_unlock(&c->lock);
	kipc_msg_init(&m, c->rxbuf, c->max_inline, c->rxbufs,
		      c->region ? KIPC_MSG_BUFS_MAX : 0, 0);
	kipc_msg_lend(&m, c->rxlends, KIPC_MSG_LENDS_MAX, NULL);
	ret = kipc_channel_recv(c->rx, &m, 1, flags, until ? &ts : NULL,
				c->region);
	pthread_mutex_lock(&c->lock);
	c->receiving = 0;
	if (ret > 0 && m.flags & KIPC_MSG_BUFS_LOST)
		ret = reply_refuse(c, &m);
	if (ret == -ETIMEDOUT && until != deadline_ns)
		pump(c);	/* the slice's end; the caller waits on */
	if (ret > 0) {
		answer(c, &m);
		pump(c);
	} else if (ret == 0) {
		fail_all(c, -ECONNRESET);
	} else if (ret != -ETIMEDOUT && ret != -EINTR && ret != -EAGAIN) {
		/*
		 * The server sent what no receive can take (more than the
		 * agreed max_inline, buffers without a region or of another
		 * region, ranges we cannot map): it stays at the head of the
		 * queue, and nothing behind it ever comes.
		 */
		fail_all(c, -EPROTO);
		ret = -EPROTO;
	}
	pthread_cond_broadcast(&c->cond);
	return ret;
}

/*
 * The earliest deadline of a pending asynchronous call, queued or sent (0:
 * none). With @now set, calls due at @now first complete with -ETIMEDOUT
 * (a sent one is abandoned; a queued one is never sent).
 */
static uint64_t deadlines(struct kipc_rpc_client *c, uint64_t now)
{
	struct rpc_call *call, *hn;
	uint64_t next = 0;
	unsigned int i;

	for (i = 0; i < NR_BUCKETS; i++)
		for (call = c->calls[i]; call; call = hn) {
			hn = call->hnext;
			if (!call->deadline_ns || call->state == ABANDONED ||
			    call->sync)
				continue;
			if (!now || now < call->deadline_ns) {
				if (!next || call->deadline_ns < next)
					next = call->deadline_ns;
			} else if (call->state == SENT) {
				call_abandon(c, call, -ETIMEDOUT);
			} else {
				queue_remove(c, call);
				call_release(c, call);
				call_finish(c, call, -ETIMEDOUT);
			}
		}
	return next;
}

/* Calls whose deadline passed complete with -ETIMEDOUT; the next one. */
static uint64_t expire(struct kipc_rpc_client *c)
{
	uint64_t next = deadlines(c, kipc__now_ns());

	pump(c);
	return next;
}

/* The handshake; 0 with the WELCOME's flags in *@flags, or -errno. */
static int hello(struct kipc_rpc_client *c, const struct timespec *deadline,
		 uint32_t *flags)
{
	struct kipc_rpc_hello hi = { .version_max = KIPC_RPC_VERSION,
				     .version_min = KIPC_RPC_VERSION_MIN };
	char buf[KIPC_RPC_HDR_LEN + sizeof(hi)];
	char rbuf[256];
	struct kipc_rpc_welcome w;
	struct kipc_msg sm, rm;
	struct kipc_rpc_hdr h;
	const void *payload;
	int ret;

	rpc_hdr_init(&h, KIPC_RPC_VERSION, KIPC_RPC_HELLO, 0, 0, sizeof(hi));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + KIPC_RPC_HDR_LEN, &hi, sizeof(hi));
	kipc_msg_init(&sm, buf, sizeof(buf), NULL, 0, 0);
	kipc_msg_init(&rm, rbuf, sizeof(rbuf), NULL, 0, 0);
	ret = kipc_call(c->tx, c->rx, &sm, &rm, 0, deadline, NULL, NULL);
	if (ret == -EPIPE)	/* refused before HELLO: the server may say why */
		ret = kipc_channel_recv(c->rx, &rm, 1, KIPC_IO_NONBLOCK, NULL,
					NULL);
	if (ret == 0 || ret == -EPIPE || ret == -EAGAIN)
		return -ECONNRESET;
	if (ret < 0)
		return ret;
	if (rpc_hdr_check(rbuf, rm.data_len, &h, &payload) < 0)
		return -EPROTO;
	if (h.type == KIPC_RPC_ERROR)
		return rpc_status(h.status);
	if (h.type != KIPC_RPC_REPLY || h.payload_len < sizeof(w) ||
	    h.status < KIPC_RPC_VERSION_MIN || h.status > KIPC_RPC_VERSION)
		return -EPROTO;
	memcpy(&w, payload, sizeof(w));
	/* The server's word, bounded as the kernel bounds a channel. */
	if (!w.depth || w.depth > INT_MAX || w.max_inline < KIPC_RPC_HDR_LEN ||
	    w.max_inline > RPC_MAX_INLINE)
		return -EPROTO;
	c->version = (uint8_t)h.status;
	c->depth = w.depth;
	c->max_inline = w.max_inline;
	*flags = w.flags;
	return 0;
}

static int attach_region(struct kipc *k, const char *name,
			 struct kipc_region **rp)
{
	size_t n = strlen(name);
	char *rname = malloc(n + sizeof(KIPC_RPC_REGION_SUFFIX));
	uint32_t kind = 0;
	int fd, ret;

	if (!rname)
		return -ENOMEM;
	memcpy(rname, name, n);
	memcpy(rname + n, KIPC_RPC_REGION_SUFFIX, sizeof(KIPC_RPC_REGION_SUFFIX));
	fd = kipc_name_open(k, rname, KIPC_FD_CLOEXEC, 0, -1, &kind);
	free(rname);
	if (fd < 0)
		return fd;
	if (kind != KIPC_NAME_REGION) {
		kipc__close(fd);
		return -EPROTO;
	}
	ret = kipc_region_open_fd(fd, 0, rp);
	if (ret < 0)
		kipc__close(fd);
	return ret;
}

/* The fd of kipc_rpc_client_fd(): an epoll set of @rx and @evfd; -errno. */
static int fd_open(struct kipc_rpc_client *c)
{
	struct epoll_event ev = { .events = EPOLLIN };

	c->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->evfd < 0 || c->epfd < 0 ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, kipc_channel_fd(c->rx), &ev) ||
	    epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->evfd, &ev))
		return -errno;
	return 0;
}

static void fd_close(struct kipc_rpc_client *c)
{
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->evfd >= 0)
		close(c->evfd);
}

KIPC_API int kipc_rpc_connect(struct kipc *k, const char *name,
			      unsigned int flags,
			      const struct timespec *deadline,
			      struct kipc_rpc_client **cp)
{
	struct kipc_rpc_client *c;
	uint32_t wflags;
	int ret;

	if (!k || !name || !cp || flags & ~KIPC_RPC_NONBLOCK)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_condattr_t ca;

	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	c->queue_tail = &c->queue;
	c->done_tail = &c->done;
	c->next_id = 1;
	c->evfd = -1;
	c->epfd = -1;
	ret = kipc_connect(k, name,
			   flags & KIPC_RPC_NONBLOCK ? KIPC_CONN_NONBLOCK : 0,
			   deadline, &c->tx, &c->rx, NULL);
	if (ret < 0)
		goto out_free;
	ret = hello(c, deadline, &wflags);
	if (ret < 0)
		goto out_close;
	if (wflags & KIPC_RPC_WELCOME_REGION) {
		ret = attach_region(k, name, &c->region);
		if (ret < 0)
			goto out_close;
	}
	c->rxbuf = malloc(c->max_inline);
	c->txbuf = malloc(KIPC_RPC_HDR_LEN);
	if (!c->rxbuf || !c->txbuf) {
		ret = -ENOMEM;
		goto out_close;
	}
	ret = fd_open(c);
	if (ret < 0)
		goto out_close;
	*cp = c;
	return 0;

out_close:
	fd_close(c);
	kipc_region_close(c->region);
	kipc_channel_close(c->tx);
	kipc_channel_close(c->rx);
out_free:
	free(c->rxbuf);
	free(c->txbuf);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return ret;
}

KIPC_API int kipc_rpc_client_close(struct kipc_rpc_client *c)
{
	struct rpc_call *call, *next;
	struct rpc_done *d;
	unsigned int i;

	if (!c)
		return 0;
	for (i = 0; i < NR_BUCKETS; i++)
		for (call = c->calls[i]; call; call = next) {
			next = call->hnext;
			call_free(call);
		}
	while ((d = c->done)) {
		c->done = d->next;
		if (d->c.kind == KIPC_RPC_COMP_EVENT) {
			drop_payload(c, d->c.rep->bufs, d->c.rep->nr_bufs,
				     d->c.rep->lends, d->c.rep->nr_lends);
			free(d->c.rep);
		} else if (d->filled) {
			/*
			 * An answer nobody took: its ranges, which the caller
			 * cannot tell from others, are unmapped (the buffers
			 * go with the region handle).
			 */
			drop_payload(c, NULL, 0, d->c.rep->lends,
				     d->c.rep->nr_lends);
			d->c.rep->nr_lends = 0;
		}
		free(d);
	}
	fd_close(c);
	kipc_channel_close(c->tx);
	kipc_channel_close(c->rx);
	kipc_region_close(c->region);
	free(c->rxbuf);
	free(c->txbuf);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return 0;
}

KIPC_API int kipc_rpc_client_fd(const struct kipc_rpc_client *c)
{
	return c ? c->epfd : -EINVAL;
}

KIPC_API struct kipc_region *
kipc_rpc_client_region(const struct kipc_rpc_client *c)
{
	return c ? c->region : NULL;
}

KIPC_API int kipc_rpc_client_depth(const struct kipc_rpc_client *c)
{
	return c ? (int)c->depth : -EINVAL;
}

KIPC_API int kipc_rpc_client_timeout(const struct kipc_rpc_client *c,
				     struct timespec *next)
{
	struct kipc_rpc_client *cc = (struct kipc_rpc_client *)c;
	uint64_t ns, retry;

	if (!c || !next)
		return -EINVAL;
	pthread_mutex_lock(&cc->lock);
	ns = deadlines(cc, 0);
	/*
	 * Calls queued with none in flight wait for room on the request
	 * channel (events filled it), which no answer will announce on the
	 * fd: the loop tries again (kipc_rpc_complete() sends them) in
	 * slices, as a thread waiting in the library does.
	 */
	if (cc->queue && !cc->inflight && !cc->dead) {
		retry = kipc__now_ns() + RPC_RETRY_NS;
		if (!ns || retry < ns)
			ns = retry;
	}
	pthread_mutex_unlock(&cc->lock);
	if (!ns)
		return 0;
	*next = rpc_ns_ts(ns);
	return 1;
}

/* A payload this side can send: rpc_msg_check() with its connection's. */
static int msg_check(const struct kipc_rpc_client *c,
		     const struct kipc_rpc_msg *msg)
{
	return rpc_msg_check(msg, c->region, c->max_inline);
}

/*
 * A new QUEUED call of @method with @req, whose arguments were checked,
 * not yet linked anywhere.
 */
static int call_new(struct kipc_rpc_client *c, uint32_t method,
		    const struct kipc_rpc_msg *req, struct kipc_rpc_msg *rep,
		    uint64_t deadline, struct rpc_call **callp)
{
	size_t len = req ? req->len : 0;
	struct kipc_rpc_hdr h;
	struct rpc_call *call;

	call = calloc(1, sizeof(*call));
	if (!call)
		return -ENOMEM;
	call->wire = malloc(KIPC_RPC_HDR_LEN + len);
	if (!call->wire) {
		free(call);
		return -ENOMEM;
	}
	call->wire_len = (uint32_t)(KIPC_RPC_HDR_LEN + len);
	call->rep = rep;
	call->deadline_ns = deadline;
	call->id = c->next_id++;
	rpc_hdr_init(&h, c->version, KIPC_RPC_REQUEST, method, call->id,
		     (uint32_t)len);
	/* timeout_ns: at each send (msg_of()). */
	if (call->deadline_ns)
		h.flags |= KIPC_RPC_F_DEADLINE;
	memcpy(call->wire, &h, sizeof(h));
	if (len)
		memcpy((char *)call->wire + KIPC_RPC_HDR_LEN, req->data, len);
	if (req && req->nr_bufs) {
		memcpy(call->bufs, req->bufs, req->nr_bufs * sizeof(*req->bufs));
		call->nr_bufs = req->nr_bufs;
	}
	if (req && req->nr_lends) {
		memcpy(call->lends, req->lends,
		       req->nr_lends * sizeof(*req->lends));
		call->nr_lends = req->nr_lends;
		call->lendq = req->lendq;
	}
	call->hnext = c->calls[call->id % NR_BUCKETS];
	c->calls[call->id % NR_BUCKETS] = call;
	c->nr_calls++;
	*callp = call;
	return 0;
}

/*
 * A new call on @c, unless its arguments are not valid (-EINVAL), the
 * request is too large (-EMSGSIZE), the connection is dead (-ECONNRESET,
 * -EPROTO) or, with KIPC_RPC_NONBLOCK, it has no credit left (-EAGAIN).
 * The request's buffers of a call that fails here are released but for
 * bufs_kept() errors, as when it fails later unsent. Called with c->lock
 * held.
 */
static int call_admit(struct kipc_rpc_client *c, uint32_t method,
		      const struct kipc_rpc_msg *req, struct kipc_rpc_msg *rep,
		      unsigned int flags, const struct timespec *deadline,
		      struct rpc_call **callp)
{
	uint64_t until;
	int ret;

	if ((rep && ((!rep->data && rep->len) ||
		     (!rep->bufs && rep->nr_bufs) ||
		     (!rep->lends && rep->nr_lends))) ||
	    deadline_ns(deadline, &until))
		return -EINVAL;
	ret = msg_check(c, req);
	if (!ret && c->dead)
		ret = c->dead;
	else if (!ret && flags & KIPC_RPC_NONBLOCK &&
		 (c->queue || c->inflight >= c->depth))
		ret = -EAGAIN;
	if (!ret)
		ret = call_new(c, method, req, rep, until, callp);
	if (ret < 0 && !bufs_kept(ret) && req)
		drop_payload(c, req->bufs, req->nr_bufs, NULL, 0);
	return ret;
}

/*
 * Queue @call behind the calls waiting for credits and send what fits.
 * With nothing in flight, no answer will send it later: its caller waits
 * for room (events and CANCELs take no credit and may fill the channel),
 * with c->lock dropped so that the connection's other threads go on (one
 * of them may send it meanwhile), until its deadline; with
 * KIPC_RPC_NONBLOCK it does not wait. Returns 0 (queued or sent; a
 * connection found dead fails the call through its completion), or the
 * send's error (-EAGAIN, -ETIMEDOUT, ...), @call freed.
 * Called with c->lock held.
 */
static int call_enqueue(struct kipc_rpc_client *c, struct rpc_call *call,
			unsigned int flags)
{
	struct pollfd p = { .fd = kipc_channel_fd(c->tx), .events = POLLOUT };
	uint64_t now, left, id = call->id;
	int ret;

	*c->queue_tail = call;
	c->queue_tail = &call->qnext;
	pump(c);
	/*
	 * Our call by its id, not its address: while we poll, another
	 * thread may end it (a cancel, its deadline) and a new call take
	 * its memory. Once it is not at the head, it is not ours to end.
	 */
	while (c->queue && c->queue->id == id && !c->inflight && !c->dead) {
		ret = call_send(c, call, KIPC_IO_NONBLOCK, NULL);
		if (!ret || ret == -ECONNRESET) {
			if (!ret)
				queue_remove(c, call);
			return 0;
		}
		if (ret == -EAGAIN && !(flags & KIPC_RPC_NONBLOCK)) {
			now = call->deadline_ns ? kipc__now_ns() : 0;
			if (now < call->deadline_ns || !call->deadline_ns) {
				/* Slices of 100 ms at most: a look again. */
				left = call->deadline_ns ?
				       call->deadline_ns - now : UINT64_MAX;
				left = left > RPC_RETRY_NS ?
				       RPC_RETRY_NS / 1000000 :
				       (left + 999999) / 1000000;
				pthread_mutex_unlock(&c->lock);
				poll(&p, 1, (int)left);
				pthread_mutex_lock(&c->lock);
				continue;
			}
			ret = -ETIMEDOUT;
		}
		queue_remove(c, call);
		call_drop(c, call, ret);
		return ret;
	}
	return 0;
}

KIPC_API int kipc_rpc_submit(struct kipc_rpc_client *c, uint32_t method,
			     const struct kipc_rpc_msg *req,
			     struct kipc_rpc_msg *rep, unsigned int flags,
			     const struct timespec *deadline,
			     uint64_t user_data, uint64_t *call_id)
{
	struct rpc_call *call;
	int ret;

	if (!c || flags & ~KIPC_RPC_NONBLOCK)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	ret = call_admit(c, method, req, rep, flags, deadline, &call);
	if (ret < 0)
		goto out_unlock;
	call->fin = calloc(1, sizeof(*call->fin));
	if (!call->fin) {
		ret = -ENOMEM;
		call_drop(c, call, ret);
		goto out_unlock;
	}
	call->user_data = user_data;
	if (call_id)
		*call_id = call->id;
	ret = call_enqueue(c, call, flags);
out_unlock:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

KIPC_API int kipc_rpc_complete(struct kipc_rpc_client *c,
			       struct kipc_rpc_completion *comps,
			       unsigned int n, unsigned int flags,
			       const struct timespec *deadline)
{
	uint64_t until, next;
	unsigned int got = 0;
	int ret;

	if (!c || !comps || !n || flags & ~KIPC_RPC_NONBLOCK ||
	    deadline_ns(deadline, &until))
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	c->completers++;
	for (;;) {
		while (c->done && got < n) {
			struct rpc_done *d = c->done;

			c->done = d->next;
			if (!c->done)
				c->done_tail = &c->done;
			if (d->c.kind == KIPC_RPC_COMP_EVENT)
				c->nr_events--;
			comps[got++] = d->c;
			free(d);
		}
		if (got)
			break;
		if (c->dead) {
			ret = c->dead;
			goto out_unlock;
		}
		next = expire(c);
		if (c->done)
			continue;
		if (c->nr_calls == c->nr_abandoned + c->nr_sync) {
			/*
			 * Nothing pending: what the fd still shows (a late
			 * answer) is taken without waiting, so that an event
			 * loop does not find it readable again and again.
			 */
			if (receive(c, KIPC_IO_NONBLOCK, 0, NULL) > 0)
				continue;
			ret = 0;
			goto out_unlock;
		}
		if (until && (!next || until < next))
			next = until;
		ret = receive(c, flags & KIPC_RPC_NONBLOCK ? KIPC_IO_NONBLOCK
							   : 0, next, NULL);
		if (ret == -ETIMEDOUT) {
			if (until && kipc__now_ns() >= until && !c->done)
				goto out_unlock;
		} else if (ret < 0 && ret != -EINTR) {
			if (!c->done)
				goto out_unlock;
		} else if (ret == -EINTR && !c->done) {
			goto out_unlock;
		}
		if (flags & KIPC_RPC_NONBLOCK && !c->done) {
			ret = -EAGAIN;
			goto out_unlock;
		}
	}
	ret = (int)got;
out_unlock:
	/* What this call leaves in @done is the fd's to show. */
	if (!--c->completers)
		done_signal(c, c->done != NULL);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

KIPC_API int kipc_rpc_cancel(struct kipc_rpc_client *c, uint64_t call_id)
{
	struct rpc_call *call;
	int ret = 0;

	if (!c)
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	call = *call_slot(c, call_id);
	if (!call || call->state == ABANDONED || call->sync) {
		ret = -ENOENT;
	} else if (call->state == QUEUED) {
		queue_remove(c, call);
		call_release(c, call);
		call_finish(c, call, -ECANCELED);
	} else {
		call_abandon(c, call, -ECANCELED);
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

KIPC_API int kipc_rpc_notify(struct kipc_rpc_client *c, uint32_t event,
			     const struct kipc_rpc_msg *msg)
{
	size_t len = msg ? msg->len : 0;
	struct kipc_rpc_hdr h;
	struct kipc_msg m;
	void *wire;
	int ret;

	if (!c)
		return -EINVAL;
	ret = msg_check(c, msg);
	if (ret < 0)
		return ret;
	wire = malloc(KIPC_RPC_HDR_LEN + len);
	if (!wire)
		return -ENOMEM;
	rpc_hdr_init(&h, c->version, KIPC_RPC_EVENT, event, 0, (uint32_t)len);
	memcpy(wire, &h, sizeof(h));
	if (len)
		memcpy((char *)wire + KIPC_RPC_HDR_LEN, msg->data, len);
	kipc_msg_init(&m, wire, (uint32_t)(KIPC_RPC_HDR_LEN + len),
		      msg && msg->nr_bufs ? msg->bufs : NULL,
		      msg ? msg->nr_bufs : 0, 0);
	if (msg && msg->nr_lends)
		kipc_msg_lend(&m, msg->lends, msg->nr_lends, msg->lendq);
	pthread_mutex_lock(&c->lock);
	/* No credit: an event never waits (protocol.rst, "Events"). */
	ret = c->dead ?: kipc_channel_send(c->tx, &m, 1, KIPC_IO_NONBLOCK,
					   NULL, m.nr_bufs ? c->region : NULL);
	if (ret == -EPIPE) {
		fail_all(c, -ECONNRESET);
		ret = -ECONNRESET;
	}
	pthread_mutex_unlock(&c->lock);
	free(wire);
	return ret < 0 ? ret : 0;
}

KIPC_API int kipc_rpc_call(struct kipc_rpc_client *c, uint32_t method,
			   const struct kipc_rpc_msg *req,
			   struct kipc_rpc_msg *rep, unsigned int flags,
			   const struct timespec *deadline)
{
	struct kipc_msg sm, rm;
	struct rpc_call *call;
	int ret, sent = 0;
	uint64_t until;

	if (!c || flags & ~KIPC_RPC_NONBLOCK || deadline_ns(deadline, &until))
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	ret = call_admit(c, method, req, rep, flags, deadline, &call);
	if (ret < 0)
		goto out_unlock;
	call->sync = 1;
	c->nr_sync++;		/* never a completion: complete() skips it */
	if (!c->queue && c->nr_calls == 1 && !c->receiving) {
		/* Nothing else outstanding: one KIPC_IOC_CALL. */
		call->state = SENT;
		c->inflight++;
		c->receiving = 1;
		pthread_mutex_unlock(&c->lock);
		msg_of(call, &sm);
		kipc_msg_init(&rm, c->rxbuf, c->max_inline, c->rxbufs,
			      c->region ? KIPC_MSG_BUFS_MAX : 0, 0);
		kipc_msg_lend(&rm, c->rxlends, KIPC_MSG_LENDS_MAX, NULL);
		ret = kipc_call(c->tx, c->rx, &sm, &rm,
				flags & KIPC_RPC_NONBLOCK ? KIPC_IO_NONBLOCK : 0,
				deadline, c->region, &sent);
		pthread_mutex_lock(&c->lock);
		c->receiving = 0;
		free(call->wire);
		call->wire = NULL;
		if (ret > 0 && rm.flags & KIPC_MSG_BUFS_LOST) {
			ret = reply_refuse(c, &rm);	/* the call was sent */
			fail_all(c, -EPROTO);
		}
		if (ret < 0 && !sent) {
			/*
			 * Not sent: its buffers are still the client's. If
			 * another thread failed the connection meanwhile, it
			 * finished this call as sent (no buffers released)
			 * and took every credit back: release them now unless
			 * the error this call returns (@ret: call_drop() below,
			 * or -ECONNRESET for -EPIPE) leaves them the caller's,
			 * and take no credit back twice.
			 */
			if (call->done && !bufs_kept(ret))
				call_release(c, call);
			else if (!call->done)
				c->inflight--;
			call->state = QUEUED;
		}
		if (ret > 0)
			answer(c, &rm);
		else if (ret == 0 || ret == -EPIPE)
			fail_all(c, -ECONNRESET);	/* QUEUED: released */
		pthread_cond_broadcast(&c->cond);
		if (ret < 0 && ret != -EPIPE && !sent) {
			call_drop(c, call, ret);
			goto out_sync;
		}
		pump(c);
	} else {
		ret = call_enqueue(c, call, flags);
		if (ret < 0)
			goto out_sync;
	}
	while (!call->done) {
		if (until && kipc__now_ns() >= until)
			ret = -ETIMEDOUT;
		else
			ret = receive(c, 0, until, call);
		if (ret == -ETIMEDOUT && (!until || kipc__now_ns() < until))
			continue;
		if (ret >= 0 || ret == -EINTR || call->done)
			continue;
		/* The deadline, or a receive that failed: the call ends. */
		if (call->state == QUEUED) {
			/* Never sent: it leaves the queue, freed here. */
			queue_remove(c, call);
			call_release(c, call);
			call_unlink(c, call);
			call_free(call);
			goto out_sync;
		}
		/* Sent: abandoned, its answer dropped when it comes. */
		call_abandon(c, call, ret);
		break;
	}
	ret = call->status;
	if (call->state != ABANDONED) {
		call_unlink(c, call);
		call_free(call);
	}
out_sync:
	c->nr_sync--;
out_unlock:
	pthread_mutex_unlock(&c->lock);
	return ret;
}
