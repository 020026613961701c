// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The RPC server: a named service, its methods, and worker threads that
 * accept connections, answer HELLO and dispatch requests
 * (Documentation/userspace-api/kipc/protocol.rst). A process group's
 * worker serves the group's service, which it inherited, the same way
 * (kipc__rpc_server_adopt(), for kipc_group_worker_service()).
 *
 * Every connection is in the server's epoll set with EPOLLONESHOT, under
 * a key of its own: the one worker that gets its event looks the key up
 * (a reference, or nothing when the connection went meanwhile), receives
 * what waits on the channel, re-arms the connection, then runs the first
 * request, so that other workers can take the connection's next requests
 * meanwhile. A connection lives while it is registered or a worker holds
 * it (@refs). Any thread holding it may drop it (conn_drop()): a worker
 * that reads end of stream or a message it cannot trust, a reply the
 * client leaves no room for, the timer when HELLO is late. The last
 * reference closes its ends, which the client sees as end of stream.
 *
 * A worker reads a connection's channel ahead (conn_read(): one reader at
 * a time, in order, at most @depth messages waiting in all) before it
 * starts a request, so that a CANCEL already queued behind its request
 * skips it: requests and events wait in the connection's backlog, in the
 * order they came, until a worker takes the oldest. Each one waiting is a
 * count on the server's ready eventfd, which wakes a free worker for it
 * (ready_event(), the connections with a backlog in turn): one worker a
 * count, the eventfd being watched one-shot, again by the worker that
 * read a count as soon as it has. A connection whose backlog is full is
 * not watched until a worker takes from it. A connection that goes gives
 * back what its backlog held, unanswered (no answer can reach its
 * client), and takes back its counts.
 *
 * A worker that answered a request and finds no other event waiting
 * lingers on that connection: its next message is received with a
 * deadline of the module's poll_max_ns, which the module polls for on an
 * otherwise idle CPU (epoll_wait() lets the CPU go idle, and the next
 * request pays for waking it). Another event waiting ends the lingering.
 *
 * What one client can make the server hold is bounded: connections per
 * uid (the rest get ERROR -EUSERS and are closed), the time a connection
 * may stay without HELLO, the time replies may wait for room, and the
 * requests read ahead (@depth a connection). When accepting fails for
 * want of fds or memory the service is not watched for a while, instead
 * of waking every worker for nothing.
 *
 * An EVENT of a client's runs its handler as a request runs its method,
 * and is never answered. kipc_rpc_server_notify() sends an event on a
 * connection's reply channel from any thread, holding a reference found
 * by the connection's id.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "list.h"
#include "rpc.h"
#include "sys.h"

/* Keys of the epoll set: the stop eventfd, the service, the timer, the
 * ready eventfd; then the connections'. */
#define KEY_STOP	0
#define KEY_SERVICE	1
#define KEY_TIMER	2
#define KEY_READY	3
#define KEY_CONN0	16
#define CONN_HASH	256

/* Defaults of struct kipc_rpc_server_attr's limits. */
#define DEFAULT_CONNS_PER_UID	256
#define DEFAULT_HELLO_MS	10000

/* How long the service is not watched after accepting failed (EMFILE). */
#define ACCEPT_PAUSE_NS		100000000ULL

/*
 * Messages a worker takes off a channel in one receive, at most, and
 * their inline bytes at most: fewer messages when max_inline is large,
 * one at least (a read ahead goes on while receives come back full).
 */
#define RX_BATCH		16
#define RX_BYTES		RPC_MAX_INLINE

/*
 * Lent ranges a connection's backlog may hold. Each is a mapping of the
 * server's own, made as it is read: read ahead without a bound, a client
 * could have depth x KIPC_MSG_LENDS_MAX of them per connection, and a few
 * users all of the process's vm.max_map_count, failing every other
 * client's receive. Past this the rest waits in the channel, unmapped.
 */
#define BACKLOG_LENDS		(4 * KIPC_MSG_LENDS_MAX)

struct rpc_method {
	uint32_t id;
	kipc_rpc_handler fn;
	void *arg;
};

struct rpc_conn {
	struct kipc_rpc_server *s;
	struct kipc_chan *rx, *tx;
	struct kipc_peer peer;
	uint64_t key;			/* its epoll data (conn_get()) */
	uint64_t hello_by;		/* CLOCK_MONOTONIC: HELLO due */
	atomic_int refs;		/* registration + holders */
	atomic_int broken;		/* dropped, or to be: nothing more goes */
	atomic_int notified;		/* sent events: a reply may wait */
	atomic_int hello;		/* HELLO answered */
	int registered;			/* in the lists (s->lock) */
	pthread_mutex_t rxlock;		/* one reader of @rx: conn_read() */
	pthread_mutex_t lock;		/* protects the fields below */
	uint8_t version;		/* agreed at HELLO */
	/* reply_wait()'s budget: ns waited, and its waiters' one wait */
	unsigned long long reply_waited, reply_seen;
	unsigned long long reply_from, reply_until;
	unsigned int reply_waiters;
	struct kipc_rpc_req *running;	/* requests started, for CANCEL */
	struct kipc_rpc_req *backlog;	/* read, not started, in order */
	uint32_t nr_backlog;
	uint32_t nr_backlog_lends;	/* lent ranges the backlog maps */
	int parked;			/* not watched: the backlog is full */
	struct list_node link;		/* s->conns (s->lock) */
	struct rpc_conn *hnext;		/* its key's chain (s->lock) */
	struct list_node rlink;		/* s->ready, or none (s->lock) */
	struct rpc_conn *doomed;	/* timer_event()'s list */
};

/*
 * A request or an event read off a connection, with what it carried: in
 * the connection's backlog, then in its running list while a worker runs
 * it (or on the list of the worker that read it, until conn_read() adds
 * that list to the backlog).
 */
struct kipc_rpc_req {
	struct rpc_conn *conn;
	struct kipc_rpc_req_info info;
	uint16_t flags;			/* the request's KIPC_RPC_F_* */
	int answered;
	int event;			/* an EVENT: never answered */
	int cancelled;			/* under conn->lock */
	struct kipc_rpc_req *next;	/* conn->backlog, conn->running */
	void *txbuf;			/* the worker's, max_inline bytes */
	struct kipc_buf_ref bufs[KIPC_MSG_BUFS_MAX];
	struct kipc_lend_ref lends[KIPC_MSG_LENDS_MAX];
	char data[];			/* the inline payload */
};

struct kipc_rpc_server {
	struct kipc *k;
	struct kipc_service *svc;
	struct kipc_region *region;	/* the caller's, or NULL */
	char *name;
	char *region_name;		/* published, or NULL */
	uint32_t depth;
	uint32_t max_inline;
	unsigned int nr_workers;
	uint32_t max_conns_per_uid;
	uint64_t hello_timeout_ns;
	uint64_t linger_ns;		/* the module's poll_max_ns; 0: none */
	int epfd;
	int stopfd;			/* an eventfd: readable = stop */
	int termfd;			/* -1, or readable once for ever */
	int timerfd;			/* HELLO deadlines, accept's pause */
	int readyfd;			/* an eventfd: requests in backlogs */
	struct rpc_method *methods;	/* set before run, read-only after */
	size_t nr_methods;
	struct rpc_method *events;	/* handlers of events, likewise */
	size_t nr_events;
	atomic_int nr_conns;
	atomic_int running;		/* kipc_rpc_server_run() runs */
	pthread_mutex_t lock;		/* protects the fields below */
	struct list_node conns;		/* registered connections */
	struct rpc_conn *by_key[CONN_HASH];
	uint64_t next_key;
	uint64_t timer_at;		/* when timerfd fires; 0: disarmed */
	uint64_t accept_resume;		/* 0, or when accepting resumes */
	struct list_node ready;		/* with a backlog: taken in turn */
};

/*
 * One worker's receive room, @batch messages (worker_batch()), and its
 * send buffer: on the heap, not on the stack of the thread that runs it
 * (kipc_rpc_server_run()'s caller's among them).
 */
struct rpc_worker {
	struct kipc_rpc_server *s;
	uint32_t batch;			/* messages a receive takes */
	char *rxbuf;			/* max_inline bytes a message */
	void *txbuf;			/* max_inline bytes */
	struct kipc_msg *m;
	struct kipc_buf_ref (*bufs)[KIPC_MSG_BUFS_MAX];
	struct kipc_lend_ref (*lends)[KIPC_MSG_LENDS_MAX];
};

/* The module's parameter @name, or 0 when it cannot be read. */
static uint32_t module_param_u32(const char *name)
{
	char path[96];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/kipc/parameters/%s", name);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static int ep_ctl(int epfd, int op, int fd, uint32_t events, uint64_t key)
{
	struct epoll_event ev = { .events = events, .data.u64 = key };

	return epoll_ctl(epfd, op, fd, &ev) ? -errno : 0;
}

/* A server of @attr's shape, listening on nothing yet. */
static int server_new(const struct kipc_rpc_server_attr *attr,
		      struct kipc_rpc_server **sp)
{
	static const struct kipc_rpc_server_attr defaults;
	struct kipc_rpc_server *s;
	unsigned int i;

	if (!attr)
		attr = &defaults;
	for (i = 0; i < sizeof(attr->reserved) / sizeof(attr->reserved[0]); i++)
		if (attr->reserved[i])
			return -EINVAL;
	if (attr->max_inline && attr->max_inline < KIPC_RPC_HDR_LEN +
						   sizeof(struct kipc_rpc_welcome))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->epfd = -1;
	s->stopfd = -1;
	s->termfd = -1;
	s->timerfd = -1;
	s->readyfd = -1;
	s->next_key = KEY_CONN0;
	s->region = attr->region;
	s->depth = attr->depth ? attr->depth
			       : module_param_u32("default_depth") ?:
				 RPC_DEFAULT_DEPTH;
	s->linger_ns = module_param_u32("poll_max_ns");
	s->max_inline = attr->max_inline ? attr->max_inline : RPC_DEFAULT_INLINE;
	s->nr_workers = attr->nr_workers ? attr->nr_workers : 1;
	s->max_conns_per_uid = attr->max_conns_per_uid ?
			       attr->max_conns_per_uid : DEFAULT_CONNS_PER_UID;
	s->hello_timeout_ns = (attr->hello_timeout_ms ? attr->hello_timeout_ms
						      : DEFAULT_HELLO_MS) *
			      1000000ULL;
	pthread_mutex_init(&s->lock, NULL);
	list_init(&s->conns);
	list_init(&s->ready);
	*sp = s;
	return 0;
}

/*
 * Watch the stop eventfd (and the adopted one that stops for ever), the
 * service, the timer and the ready eventfd: ready to run.
 */
static int server_listen(struct kipc_rpc_server *s)
{
	int ret;

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stopfd < 0)
		return -errno;
	s->timerfd = timerfd_create(CLOCK_MONOTONIC,
				    TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timerfd < 0)
		return -errno;
	s->readyfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
	if (s->readyfd < 0)
		return -errno;
	ret = ep_ctl(s->epfd, EPOLL_CTL_ADD, s->stopfd, EPOLLIN, KEY_STOP);
	if (!ret && s->termfd >= 0)
		ret = ep_ctl(s->epfd, EPOLL_CTL_ADD, s->termfd, EPOLLIN,
			     KEY_STOP);
	if (!ret)
		ret = ep_ctl(s->epfd, EPOLL_CTL_ADD, kipc_service_fd(s->svc),
			     EPOLLIN | EPOLLONESHOT, KEY_SERVICE);
	if (!ret)
		ret = ep_ctl(s->epfd, EPOLL_CTL_ADD, s->timerfd,
			     EPOLLIN | EPOLLONESHOT, KEY_TIMER);
	if (!ret)
		ret = ep_ctl(s->epfd, EPOLL_CTL_ADD, s->readyfd,
			     EPOLLIN | EPOLLONESHOT, KEY_READY);
	return ret;
}

/* What server_new() and server_listen() made, and the names' copies. */
static void server_free(struct kipc_rpc_server *s)
{
	if (s->stopfd >= 0)
		close(s->stopfd);
	if (s->termfd >= 0)
		close(s->termfd);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->readyfd >= 0)
		close(s->readyfd);
	kipc_service_close(s->svc);
	pthread_mutex_destroy(&s->lock);
	free(s->methods);
	free(s->events);
	free(s->region_name);
	free(s->name);
	free(s);
}

/*
 * The mode of the region's name: the service's, with read added wherever
 * it grants write. Opening a region needs read and write, and a service's
 * name grants those who may only connect write alone (its read bit would
 * let them listen: Documentation/userspace-api/kipc/services.rst), so a
 * service of 0622 publishes its region 0666, one of 0620 0660. Whoever
 * may connect may map the region and write it, as a client must to send
 * its buffers.
 */
static unsigned int region_mode(unsigned int mode)
{
	return mode | (mode & 0222) << 1;
}

KIPC_API int kipc_rpc_server_create(struct kipc *k, const char *name,
				    unsigned int mode,
				    const struct kipc_rpc_server_attr *attr,
				    struct kipc_rpc_server **sp)
{
	struct kipc_service_attr sa;
	struct kipc_rpc_server *s;
	int ret;

	if (!k || !name || !*name || !sp || mode > 0777)
		return -EINVAL;
	ret = server_new(attr, &s);
	if (ret < 0)
		return ret;
	s->k = k;
	s->name = strdup(name);
	if (!s->name) {
		ret = -ENOMEM;
		goto out_free;
	}
	memset(&sa, 0, sizeof(sa));
	sa.backlog = attr ? attr->backlog : 0;
	sa.depth = s->depth;
	sa.max_inline = s->max_inline;
	sa.region = s->region;
	sa.flags = KIPC_FD_NONBLOCK;
	ret = kipc_service_create(k, &sa, &s->svc);
	if (ret < 0)
		goto out_free;
	ret = server_listen(s);
	if (ret < 0)
		goto out_free;
	if (s->region) {
		if (asprintf(&s->region_name, "%s%s", name,
			     KIPC_RPC_REGION_SUFFIX) < 0) {
			s->region_name = NULL;
			ret = -ENOMEM;
			goto out_free;
		}
		ret = kipc__name_publish(k, s->region_name, region_mode(mode),
					 kipc_region_fd(s->region));
		if (ret < 0)
			goto out_free;
	}
	ret = kipc__name_publish(k, name, mode, kipc_service_fd(s->svc));
	if (ret < 0)
		goto out_unlink_region;
	*sp = s;
	return 0;

out_unlink_region:
	if (s->region_name)
		kipc_name_unlink(k, s->region_name);
out_free:
	server_free(s);
	return ret;
}

int kipc__rpc_server_adopt(int svc_fd, int termfd,
			   const struct kipc_rpc_server_attr *attr,
			   struct kipc_rpc_server **sp)
{
	struct kipc_rpc_server *s;
	int ret;

	ret = server_new(attr, &s);
	if (ret < 0) {
		close(termfd);
		close(svc_fd);
		return ret;
	}
	s->termfd = termfd;
	ret = kipc_service_from_fd(svc_fd, &s->svc);
	if (ret < 0) {
		close(svc_fd);
		goto out_free;
	}
	ret = server_listen(s);
	if (ret < 0)
		goto out_free;
	*sp = s;
	return 0;

out_free:
	server_free(s);
	return ret;
}

static const struct rpc_method *method_find(const struct rpc_method *tab,
					    size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i].id == id)
			return &tab[i];
	return NULL;
}

/* Add handler @fn of @id to the table @tab of *@n entries. */
static int method_add(struct rpc_method **tab, size_t *n, uint32_t id,
		      kipc_rpc_handler fn, void *arg)
{
	struct rpc_method *m;

	if (method_find(*tab, *n, id))
		return -EEXIST;
	m = realloc(*tab, (*n + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	m[(*n)++] = (struct rpc_method){ id, fn, arg };
	*tab = m;
	return 0;
}

KIPC_API int kipc_rpc_server_register(struct kipc_rpc_server *s,
				      uint32_t method, kipc_rpc_handler fn,
				      void *arg)
{
	if (!s || !fn)
		return -EINVAL;
	return method_add(&s->methods, &s->nr_methods, method, fn, arg);
}

KIPC_API int kipc_rpc_server_register_event(struct kipc_rpc_server *s,
					    uint32_t event,
					    kipc_rpc_handler fn, void *arg)
{
	if (!s || !fn)
		return -EINVAL;
	return method_add(&s->events, &s->nr_events, event, fn, arg);
}

/* Give back the region buffers and lent ranges that nobody will use. */
static void payload_release(struct kipc_rpc_server *s,
			    const struct kipc_buf_ref *bufs, uint32_t nr_bufs,
			    const struct kipc_lend_ref *lends, uint32_t nr_lends)
{
	uint32_t i;

	for (i = 0; i < nr_bufs && s->region; i++)
		kipc_buf_release(s->region, bufs[i].offset);
	for (i = 0; i < nr_lends; i++)
		kipc_lend_release((const void *)(uintptr_t)lends[i].addr,
				  lends[i].len);
}

/* Free the requests of list @r, not run, with what they carried. */
static void reqs_discard(struct kipc_rpc_server *s, struct kipc_rpc_req *r)
{
	struct kipc_rpc_req *next;

	for (; r; r = next) {
		next = r->next;
		payload_release(s, r->bufs, r->info.nr_bufs, r->lends,
				r->info.nr_lends);
		free(r);
	}
}

/* Free @c: its last reference went, or its server does. */
static void conn_free(struct rpc_conn *c)
{
	kipc_channel_close(c->rx);
	kipc_channel_close(c->tx);
	pthread_mutex_destroy(&c->rxlock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void conn_put(struct rpc_conn *c)
{
	struct kipc_rpc_server *s = c->s;

	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	conn_free(c);
	atomic_fetch_sub(&s->nr_conns, 1);
}

/* Take a reference on a registered @c (s->lock held): 1, or 0 if it went. */
static int conn_hold(struct rpc_conn *c)
{
	if (!c || !c->registered)
		return 0;
	atomic_fetch_add(&c->refs, 1);
	return 1;
}

/* The registered connection of @key, held, or NULL. */
static struct rpc_conn *conn_get(struct kipc_rpc_server *s, uint64_t key)
{
	struct rpc_conn *c;

	pthread_mutex_lock(&s->lock);
	for (c = s->by_key[key % CONN_HASH]; c && c->key != key; c = c->hnext)
		;
	if (!conn_hold(c))
		c = NULL;
	pthread_mutex_unlock(&s->lock);
	return c;
}

/* Take @c out of the server's lists (s->lock held). */
static void conn_unlink(struct kipc_rpc_server *s, struct rpc_conn *c)
{
	struct rpc_conn **pp;

	c->registered = 0;
	list_del(&c->rlink);
	list_del(&c->link);
	for (pp = &s->by_key[c->key % CONN_HASH]; *pp != c; pp = &(*pp)->hnext)
		;
	*pp = c->hnext;
}

/* After conn_unlink(): out of the epoll set, the registration's put. */
static void conn_forget(struct rpc_conn *c)
{
	epoll_ctl(c->s->epfd, EPOLL_CTL_DEL, kipc_channel_fd(c->rx), NULL);
	conn_put(c);
}

/* Mark the requests of list @r that @call_id names (NULL: all). */
static void mark(struct kipc_rpc_req *r, const uint64_t *call_id)
{
	for (; r; r = r->next)
		if (!call_id || (!r->event && r->info.call_id == *call_id))
			r->cancelled = 1;
}

/*
 * Mark @c's call @call_id cancelled, or all its calls (@call_id NULL: the
 * connection goes), whether it runs (kipc_rpc_req_cancelled()), waits in
 * the backlog or on the list @l that a worker reads: one not started is
 * skipped.
 */
static void cancel(struct rpc_conn *c, struct kipc_rpc_req *l,
		   const uint64_t *call_id)
{
	pthread_mutex_lock(&c->lock);
	mark(c->running, call_id);
	mark(c->backlog, call_id);
	mark(l, call_id);
	pthread_mutex_unlock(&c->lock);
}

/*
 * Give back what @c's backlog holds, which is off the ready list: the
 * connection went. Take back its counts from the ready eventfd (a read
 * takes one), so that no worker wakes for them. Counts are not tied to
 * a connection: one taken back may be another backlog's, whose request
 * then goes to the worker that read this backlog's count already, or to
 * the count its reader writes once it lets go of its locks (conn_read()).
 * A count not there to take back (read already, or not yet written)
 * makes one too many later: a worker wakes and finds no backlog
 * (ready_event()). Never one too few: no request waits uncounted.
 */
static void backlog_discard(struct rpc_conn *c)
{
	struct kipc_rpc_server *s = c->s;
	struct kipc_rpc_req *r;
	uint64_t one;
	uint32_t n;

	pthread_mutex_lock(&c->lock);
	r = c->backlog;
	n = c->nr_backlog;
	c->backlog = NULL;
	c->nr_backlog = 0;
	c->nr_backlog_lends = 0;
	pthread_mutex_unlock(&c->lock);
	reqs_discard(s, r);
	while (n-- && read(s->readyfd, &one, sizeof(one)) == sizeof(one))
		;
}

/*
 * Unregister @c: no worker gets it again, its running calls are
 * cancelled, and it goes with its last reference. Any thread holding it
 * may call this, once or more.
 */
static void conn_drop(struct rpc_conn *c)
{
	struct kipc_rpc_server *s = c->s;
	int was;

	pthread_mutex_lock(&s->lock);
	was = c->registered;
	if (was)
		conn_unlink(s, c);
	pthread_mutex_unlock(&s->lock);
	if (was) {
		/*
		 * No answer can reach the client now: the calls running are
		 * cancelled, and the backlog given back. A worker that read
		 * requests and has not yet added them to the backlog finds
		 * the connection unregistered, and gives them back itself
		 * (backlog_add()); one lingering on the connection sees
		 * @broken.
		 */
		atomic_store(&c->broken, 1);
		cancel(c, NULL, NULL);
		backlog_discard(c);
		conn_forget(c);
	}
}

static void conn_rearm(struct rpc_conn *c)
{
	if (ep_ctl(c->s->epfd, EPOLL_CTL_MOD, kipc_channel_fd(c->rx),
		   EPOLLIN | EPOLLONESHOT, c->key))
		conn_drop(c);
}

/*
 * Is @c's backlog full (c->lock held): no room for a request, or for the
 * lent ranges one may carry? Then it holds one request at least.
 */
static bool backlog_full(const struct rpc_conn *c)
{
	return c->nr_backlog >= c->s->depth ||
	       c->nr_backlog_lends + KIPC_MSG_LENDS_MAX > BACKLOG_LENDS;
}

/*
 * The worker that had @c's event is done reading: watch @c again, unless
 * its backlog is full (then the worker that takes from it re-arms it:
 * backlog_pop()), so that a client cannot make the server read without
 * end while its requests wait.
 */
static void conn_park(struct rpc_conn *c)
{
	int full;

	pthread_mutex_lock(&c->lock);
	full = backlog_full(c);
	c->parked = full;
	pthread_mutex_unlock(&c->lock);
	if (!full)
		conn_rearm(c);
}

/* Make timerfd fire at @at, if that is sooner than it would (s->lock). */
static void timer_arm(struct kipc_rpc_server *s, uint64_t at)
{
	struct itimerspec its = { .it_value = rpc_ns_ts(at) };

	if (s->timer_at && s->timer_at <= at)
		return;
	if (!timerfd_settime(s->timerfd, TFD_TIMER_ABSTIME, &its, NULL))
		s->timer_at = at;
}

static void service_rearm(struct kipc_rpc_server *s)
{
	ep_ctl(s->epfd, EPOLL_CTL_MOD, kipc_service_fd(s->svc),
	       EPOLLIN | EPOLLONESHOT, KEY_SERVICE);
}

/* Whether a message waits on @c's request channel. */
static int rx_waiting(struct rpc_conn *c)
{
	struct pollfd pfd = { .fd = kipc_channel_fd(c->rx), .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

/*
 * The timer: drop connections whose HELLO is late, resume accepting after
 * a pause, and arm the timer for what is due next.
 */
static void timer_event(struct kipc_rpc_server *s)
{
	struct rpc_conn *c, *next, *doomed = NULL;
	uint64_t now = kipc__now_ns(), ticks, at = 0;
	int resume = 0;

	if (read(s->timerfd, &ticks, sizeof(ticks)) < 0)
		ticks = 0;	/* re-armed since it fired: nothing to read */
	pthread_mutex_lock(&s->lock);
	s->timer_at = 0;
	if (s->accept_resume && s->accept_resume <= now) {
		s->accept_resume = 0;
		resume = 1;
	}
	list_for_each_entry_safe(c, next, &s->conns, struct rpc_conn, link) {
		if (atomic_load(&c->hello))
			continue;
		/*
		 * A HELLO that came in time is not late: one that waits on
		 * the channel, or one that a worker took and answers (it holds
		 * @c, taken under s->lock, from before it received). A worker
		 * sets hello before it lets go of @c: look again after.
		 */
		if (c->hello_by <= now &&
		    (rx_waiting(c) || atomic_load(&c->refs) > 1))
			c->hello_by = now + s->hello_timeout_ns;
		if (c->hello_by <= now && !atomic_load(&c->hello)) {
			conn_unlink(s, c);
			c->doomed = doomed;
			doomed = c;
		} else if (c->hello_by > now && (!at || c->hello_by < at)) {
			at = c->hello_by;
		}
	}
	if (s->accept_resume && (!at || s->accept_resume < at))
		at = s->accept_resume;
	if (at)
		timer_arm(s, at);
	pthread_mutex_unlock(&s->lock);
	ep_ctl(s->epfd, EPOLL_CTL_MOD, s->timerfd, EPOLLIN | EPOLLONESHOT,
	       KEY_TIMER);
	if (resume)
		service_rearm(s);
	for (c = doomed; c; c = doomed) {
		doomed = c->doomed;
		conn_forget(c);
	}
}

/* Accepting failed for want of a resource: retry in ACCEPT_PAUSE_NS. */
static void accept_pause(struct kipc_rpc_server *s)
{
	pthread_mutex_lock(&s->lock);
	s->accept_resume = kipc__now_ns() + ACCEPT_PAUSE_NS;
	timer_arm(s, s->accept_resume);
	pthread_mutex_unlock(&s->lock);
}

/* Refuse @c, one connection too many of its uid: ERROR -EUSERS, closed. */
static void conn_refuse(struct rpc_conn *c, void *txbuf)
{
	struct kipc_rpc_hdr h;
	struct kipc_msg m;

	rpc_hdr_init(&h, KIPC_RPC_VERSION, KIPC_RPC_ERROR, 0, 0, 0);
	h.status = -EUSERS;
	memcpy(txbuf, &h, sizeof(h));
	kipc_msg_init(&m, txbuf, KIPC_RPC_HDR_LEN, NULL, 0, 0);
	kipc_channel_send(c->tx, &m, 1, KIPC_IO_NONBLOCK, NULL, NULL);
	kipc_channel_close(c->rx);
	kipc_channel_close(c->tx);
	free(c);
}

/* Register the accepted @c: 0, or -EUSERS when its uid has enough. */
static int conn_link(struct kipc_rpc_server *s, struct rpc_conn *c)
{
	struct rpc_conn *o;
	uint32_t n = 0;

	pthread_mutex_lock(&s->lock);
	list_for_each_entry(o, &s->conns, struct rpc_conn, link)
		if (o->peer.uid == c->peer.uid && ++n == s->max_conns_per_uid)
			break;
	if (n >= s->max_conns_per_uid) {
		pthread_mutex_unlock(&s->lock);
		return -EUSERS;
	}
	atomic_fetch_add(&s->nr_conns, 1);
	c->key = s->next_key++;
	c->hello_by = kipc__now_ns() + s->hello_timeout_ns;
	c->registered = 1;
	list_add_tail(&s->conns, &c->link);
	c->hnext = s->by_key[c->key % CONN_HASH];
	s->by_key[c->key % CONN_HASH] = c;
	timer_arm(s, c->hello_by);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/*
 * Connections accepted an event: then the service goes to the back of
 * epoll's ready list, so that a flood of connects (refused past
 * max_conns_per_uid) cannot keep the only worker from every connection.
 */
#define ACCEPT_BATCH	16

/* Take waiting connections; @txbuf: the worker's, for refusals. */
static void accept_all(struct kipc_rpc_server *s, void *txbuf)
{
	unsigned int n;

	for (n = 0; n < ACCEPT_BATCH; n++) {
		struct rpc_conn *c = calloc(1, sizeof(*c));
		int ret;

		if (!c) {
			accept_pause(s);
			return;
		}
		ret = kipc_service_accept(s->svc, KIPC_FD_NONBLOCK |
					  KIPC_CONN_NONBLOCK, NULL, &c->rx,
					  &c->tx, &c->peer);
		if (ret < 0) {
			free(c);
			if (ret == -EAGAIN || ret == -EINTR)
				service_rearm(s);
			else	/* EMFILE, ENFILE, ENOMEM: later */
				accept_pause(s);
			return;
		}
		c->s = s;
		list_init(&c->link);
		list_init(&c->rlink);
		/* Registration, and ours until the ADD: once linked, the
		 * timer may drop it. */
		atomic_init(&c->refs, 2);
		pthread_mutex_init(&c->rxlock, NULL);
		pthread_mutex_init(&c->lock, NULL);
		if (conn_link(s, c) < 0) {
			pthread_mutex_destroy(&c->rxlock);
			pthread_mutex_destroy(&c->lock);
			conn_refuse(c, txbuf);
			continue;
		}
		if (ep_ctl(s->epfd, EPOLL_CTL_ADD, kipc_channel_fd(c->rx),
			   EPOLLIN | EPOLLONESHOT, c->key) < 0)
			conn_drop(c);
		conn_put(c);
	}
	service_rearm(s);	/* more may wait: after the others' events */
}

/* Give back what a received message carried that nobody will use. */
static void msg_discard(struct kipc_rpc_server *s, const struct kipc_msg *m)
{
	payload_release(s, (const void *)(uintptr_t)m->bufs, m->nr_bufs,
			(const void *)(uintptr_t)m->lends, m->nr_lends);
}

/* How long replies wait for a client to read the events ahead of them. */
#define REPLY_WAIT_NS	1000000000ULL
/* The budget comes back at one second for every REPLY_REFILL of the clock. */
#define REPLY_REFILL	30

/*
 * Wait for room on @c's reply channel and send @m. A connection's replies
 * wait REPLY_WAIT_NS in all, regained at a second per REPLY_REFILL
 * seconds, and replies that wait at the same time share one wait (its end
 * is the first one's): a client that does not read holds the workers its
 * replies took for a second, then as much as the clock gives back. The
 * budget is time, not replies: a client that lets a reply through now and
 * then gains nothing by it.
 */
static int reply_wait(struct rpc_conn *c, struct kipc_msg *m,
		      struct kipc_region *region)
{
	struct pollfd pfd = { .fd = kipc_channel_fd(c->tx), .events = POLLOUT };
	unsigned long long now, until, back;
	int ret = -EAGAIN, ms;

	pthread_mutex_lock(&c->lock);
	now = kipc__now_ns();	/* not before another's reply_seen */
	if (!c->reply_waiters) {
		back = (now - c->reply_seen) / REPLY_REFILL;
		c->reply_waited -= back < c->reply_waited ? back
							  : c->reply_waited;
		c->reply_seen = now;
		if (c->reply_waited >= REPLY_WAIT_NS) {
			pthread_mutex_unlock(&c->lock);
			return -EAGAIN;
		}
		c->reply_from = now;
		c->reply_until = now + REPLY_WAIT_NS - c->reply_waited;
	}
	c->reply_waiters++;
	until = c->reply_until;
	pthread_mutex_unlock(&c->lock);

	while (ret == -EAGAIN && !atomic_load(&c->broken) &&
	       (now = kipc__now_ns()) < until) {
		ms = (int)((until - now + 999999) / 1000000);
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			break;
		ret = kipc_channel_send(c->tx, m, 1, KIPC_IO_NONBLOCK, NULL,
					region);
	}

	pthread_mutex_lock(&c->lock);
	if (!--c->reply_waiters) {	/* the last: the wait is over */
		now = kipc__now_ns();
		if (now > c->reply_until)
			now = c->reply_until;
		c->reply_waited += now - c->reply_from;
		c->reply_seen = kipc__now_ns();
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/* A payload this side can send: rpc_msg_check() with its connection's. */
static int msg_check(const struct kipc_rpc_server *s,
		     const struct kipc_rpc_msg *msg)
{
	return rpc_msg_check(msg, s->region, s->max_inline);
}

/*
 * Send one answer or event, whose payload passed msg_check(). An event
 * never waits: -EAGAIN when the reply channel is full. An answer has the
 * room the client's credits keep, unless events took it: on a connection
 * that was sent events it waits (reply_wait()); otherwise a full channel
 * means the client broke the rule, and the connection is dropped
 * (-EAGAIN). On a dropped connection nothing is sent (-EPIPE). The caller
 * holds @c.
 */
static int conn_send(struct rpc_conn *c, void *txbuf, uint8_t type,
		     uint32_t method, uint64_t call_id, int32_t status,
		     const struct kipc_rpc_msg *rep)
{
	struct kipc_rpc_server *s = c->s;
	struct kipc_region *region = rep && rep->nr_bufs ? s->region : NULL;
	struct kipc_rpc_hdr h;
	struct kipc_msg m;
	size_t len = rep ? rep->len : 0;
	int ret;

	if (atomic_load(&c->broken))
		return -EPIPE;
	rpc_hdr_init(&h, c->version ? c->version : KIPC_RPC_VERSION, type,
		     method, call_id, (uint32_t)len);
	h.status = status;
	memcpy(txbuf, &h, sizeof(h));
	if (len)
		memcpy((char *)txbuf + KIPC_RPC_HDR_LEN, rep->data, len);
	kipc_msg_init(&m, txbuf, (uint32_t)(KIPC_RPC_HDR_LEN + len),
		      rep ? rep->bufs : NULL, rep ? rep->nr_bufs : 0, 0);
	if (rep && rep->nr_lends)
		kipc_msg_lend(&m, rep->lends, rep->nr_lends, rep->lendq);
	if (type == KIPC_RPC_EVENT)	/* before it can take a reply's room */
		atomic_store(&c->notified, 1);
	ret = kipc_channel_send(c->tx, &m, 1, KIPC_IO_NONBLOCK, NULL, region);
	if (ret == -EAGAIN && type != KIPC_RPC_EVENT &&
	    atomic_load(&c->notified))
		ret = reply_wait(c, &m, region);
	/*
	 * -EPIPE: the client closed its reply end (a client that keeps its
	 * request end could make the server run its calls for nobody).
	 */
	if ((ret == -EAGAIN && type != KIPC_RPC_EVENT) || ret == -EPIPE) {
		atomic_store(&c->broken, 1);
		conn_drop(c);
	}
	return ret < 0 ? ret : 0;
}

static void hello(struct rpc_conn *c, void *txbuf, const struct kipc_rpc_hdr *h,
		  const void *payload)
{
	struct kipc_rpc_server *s = c->s;
	struct kipc_rpc_welcome w;
	struct kipc_rpc_hello hi;
	struct kipc_rpc_msg rep;
	uint32_t v;

	if (h->payload_len < sizeof(hi)) {
		atomic_store(&c->broken, 1);
		return;
	}
	memcpy(&hi, payload, sizeof(hi));
	v = hi.version_max < KIPC_RPC_VERSION ? hi.version_max : KIPC_RPC_VERSION;
	if (hi.version_max < hi.version_min || v < hi.version_min ||
	    v < KIPC_RPC_VERSION_MIN) {
		conn_send(c, txbuf, KIPC_RPC_ERROR, 0, h->call_id,
			  -EPROTONOSUPPORT, NULL);
		atomic_store(&c->broken, 1);
		return;
	}
	pthread_mutex_lock(&c->lock);
	c->version = (uint8_t)v;
	pthread_mutex_unlock(&c->lock);
	memset(&w, 0, sizeof(w));
	w.depth = s->depth;
	w.max_inline = s->max_inline;
	w.flags = s->region ? KIPC_RPC_WELCOME_REGION : 0;
	memset(&rep, 0, sizeof(rep));
	rep.data = &w;
	rep.len = sizeof(w);
	/*
	 * A welcome that cannot go (the server's user has no bytes in flight
	 * left: -ENOBUFS) leaves a client that waits for it for ever, unless
	 * it hears end of stream: the connection goes.
	 */
	if (conn_send(c, txbuf, KIPC_RPC_REPLY, 0, h->call_id, (int32_t)v,
		      &rep) < 0) {
		atomic_store(&c->broken, 1);
		return;
	}
	/* Events may go from now on: the welcome is ahead of them. */
	atomic_store(&c->hello, 1);
}

/*
 * A REQUEST, or an EVENT of the client's, message @i of the worker's
 * receive, kept with what it carries until a worker runs it: its deadline
 * counts from now. NULL without memory.
 */
static struct kipc_rpc_req *req_new(struct rpc_worker *w, struct rpc_conn *c,
				    unsigned int i,
				    const struct kipc_rpc_hdr *h,
				    const void *payload)
{
	const struct kipc_msg *m = &w->m[i];
	struct kipc_rpc_req *r = malloc(sizeof(*r) + h->payload_len);
	uint64_t now;

	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->conn = c;
	r->event = h->type == KIPC_RPC_EVENT;
	r->flags = h->flags;
	memcpy(r->data, payload, h->payload_len);
	memcpy(r->bufs, w->bufs[i], m->nr_bufs * sizeof(r->bufs[0]));
	memcpy(r->lends, w->lends[i], m->nr_lends * sizeof(r->lends[0]));
	r->info.call_id = h->call_id;
	r->info.conn_id = c->peer.id;
	r->info.method = h->method;
	r->info.pid = m->pid;
	r->info.uid = m->uid;
	r->info.gid = m->gid;
	r->info.data = r->data;
	r->info.len = h->payload_len;
	r->info.bufs = r->bufs;
	r->info.nr_bufs = m->nr_bufs;
	r->info.lends = r->lends;
	r->info.nr_lends = m->nr_lends;
	if (h->flags & KIPC_RPC_F_DEADLINE && !r->event) {
		now = kipc__now_ns();
		r->info.deadline_ns = h->timeout_ns < UINT64_MAX - now ?
				      now + h->timeout_ns : UINT64_MAX;
	}
	return r;
}

/* Whether received message @m is one the server may take from @c. */
static bool msg_trusted(struct rpc_conn *c, const struct kipc_msg *m,
			struct kipc_rpc_hdr *h, const void **payload)
{
	return rpc_hdr_check((const void *)(uintptr_t)m->data, m->data_len,
			     h, payload) == 0 &&
	       (h->type == KIPC_RPC_HELLO || h->type == KIPC_RPC_REQUEST ||
		h->type == KIPC_RPC_CANCEL || h->type == KIPC_RPC_EVENT) &&
	       (h->type == KIPC_RPC_HELLO) != atomic_load(&c->hello) &&
	       (h->type == KIPC_RPC_HELLO || h->version == c->version);
}

/*
 * Take message @i of the worker's receive from @c: a HELLO is answered, a
 * CANCEL marks its call (also on @l, the requests read before it), a
 * request or an event goes at *@end. 1 when one did, 0, or -EPIPE when
 * the connection must go: a message it cannot trust, no common version,
 * no memory.
 */
static int msg_take(struct rpc_worker *w, struct rpc_conn *c, unsigned int i,
		    struct kipc_rpc_req *l, struct kipc_rpc_req ***end)
{
	const struct kipc_msg *m = &w->m[i];
	struct kipc_rpc_req *r;
	const void *payload;
	struct kipc_rpc_hdr h;

	if (!msg_trusted(c, m, &h, &payload)) {
		msg_discard(w->s, m);
		return -EPIPE;
	}
	if (h.type == KIPC_RPC_REQUEST || h.type == KIPC_RPC_EVENT) {
		r = req_new(w, c, i, &h, payload);
		if (!r) {
			msg_discard(w->s, m);
			return -EPIPE;
		}
		**end = r;
		*end = &r->next;
		return 1;
	}
	msg_discard(w->s, m);
	if (h.type == KIPC_RPC_CANCEL)
		cancel(c, l, &h.call_id);
	else
		hello(c, w->txbuf, &h, payload);
	return atomic_load(&c->broken) ? -EPIPE : 0;
}

/*
 * Move the oldest of @c's backlog to its running list (s->lock and c->lock
 * held), @c going to the back of the ready list while more wait. Return
 * it; *@rearm: whether @c, which was not watched for want of room, is to
 * be watched again.
 */
static struct kipc_rpc_req *backlog_pop(struct kipc_rpc_server *s,
					struct rpc_conn *c, bool *rearm)
{
	struct kipc_rpc_req *r = c->backlog;

	c->backlog = r->next;
	c->nr_backlog--;
	c->nr_backlog_lends -= r->info.nr_lends;
	r->next = c->running;
	c->running = r;
	*rearm = c->parked;
	c->parked = 0;
	list_del(&c->rlink);
	if (c->backlog)
		list_add_tail(&s->ready, &c->rlink);
	return r;
}

/*
 * Add the @n requests of list @l, which a worker read off @c, to the
 * backlog; *@more is how many the caller must count on the ready eventfd
 * once it holds no lock (a worker woken by the count would wait for
 * them): @n, less the oldest of the backlog, which with @take the worker
 * takes instead. Returns that, or NULL. A connection that went meanwhile
 * (conn_drop() gave its backlog back) has them given back here.
 */
static struct kipc_rpc_req *backlog_add(struct rpc_conn *c,
					struct kipc_rpc_req *l, uint32_t n,
					bool take, uint64_t *more)
{
	struct kipc_rpc_server *s = c->s;
	struct kipc_rpc_req *r = NULL, **pp;
	bool added, rearm = false;

	pthread_mutex_lock(&s->lock);
	pthread_mutex_lock(&c->lock);
	added = c->registered;
	if (added) {
		for (pp = &c->backlog; *pp; pp = &(*pp)->next)
			;
		*pp = l;
		c->nr_backlog += n;
		for (; l; l = l->next)
			c->nr_backlog_lends += l->info.nr_lends;
		if (!list_linked(&c->rlink))
			list_add_tail(&s->ready, &c->rlink);
		if (take)
			r = backlog_pop(s, c, &rearm);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&c->lock);
	*more = added ? n - (r != NULL) : 0;
	if (!added) {
		reqs_discard(s, l);
		return NULL;
	}
	if (rearm)
		conn_rearm(c);
	return r;
}

/*
 * Receive up to @n messages off @c's request channel into the worker's
 * room: those waiting, or with @until the first to come until then (a
 * linger blocks whatever the ends say: kipc_call()) and those behind it.
 */
static int conn_recv(struct rpc_worker *w, struct rpc_conn *c, uint32_t n,
		     const struct timespec *until)
{
	struct kipc_rpc_server *s = w->s;
	uint32_t i;
	int ret, more;

	for (i = 0; i < n; i++) {
		kipc_msg_init(&w->m[i], w->rxbuf + (size_t)i * s->max_inline,
			      s->max_inline, w->bufs[i], KIPC_MSG_BUFS_MAX, 0);
		kipc_msg_lend(&w->m[i], w->lends[i], KIPC_MSG_LENDS_MAX, NULL);
	}
	if (!until)
		return kipc_channel_recv(c->rx, w->m, n, KIPC_IO_NONBLOCK, NULL,
					 s->region);
	ret = kipc_call(c->tx, c->rx, NULL, w->m, 0, until, s->region, NULL);
	if (ret == 1 && n > 1) {
		more = kipc_channel_recv(c->rx, &w->m[1], n - 1,
					 KIPC_IO_NONBLOCK, NULL, s->region);
		if (more > 0)
			ret += more;
	}
	return ret;
}

/*
 * How many requests and events @c's backlog has room for, and in
 * *@lends how many lent ranges.
 */
static uint32_t backlog_room(struct rpc_conn *c, uint32_t *lends)
{
	uint32_t n;

	pthread_mutex_lock(&c->lock);
	n = c->s->depth - c->nr_backlog;
	*lends = BACKLOG_LENDS - c->nr_backlog_lends;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * Read what waits on @c's request channel, as much as its backlog has
 * room for, in order: one reader at a time, so that a CANCEL finds the
 * requests read before it, and the backlog keeps the order they came in.
 * A CANCEL takes no room: batches go on while they come back full, up to
 * @depth messages (what the channel holds). A batch asks for no more
 * messages than the lent ranges left room for could come with. With
 * @until, wait until then for the first message (a linger); with @rp,
 * take the oldest request of the backlog to run (*@rp, or NULL), which
 * makes room for one more: a client within its credits then never keeps
 * a CANCEL unread behind its requests. Returns 0, or -EPIPE when the
 * connection went.
 */
static int conn_read(struct rpc_worker *w, struct rpc_conn *c,
		     const struct timespec *until, struct kipc_rpc_req **rp)
{
	struct kipc_rpc_req *l = NULL, **end = &l, *r;
	uint32_t room, left = c->s->depth, want, i, n = 0;
	uint32_t lends, lent = 0;
	uint64_t more = 0;
	int ret, taken = 0;

	pthread_mutex_lock(&c->rxlock);
	room = backlog_room(c, &lends) + (rp != NULL);
	do {
		want = min_u32(min_u32(room - n, left), w->batch);
		want = min_u32(want, (lends - lent) / KIPC_MSG_LENDS_MAX);
		ret = want ? conn_recv(w, c, want, until) : 0;
		for (i = 0; ret > 0 && i < (uint32_t)ret; i++) {
			if (taken >= 0)
				taken = msg_take(w, c, i, l, &end);
			else
				msg_discard(w->s, &w->m[i]);
			n += taken > 0;
			lent += taken > 0 ? w->m[i].nr_lends : 0;
		}
		left -= ret > 0 ? (uint32_t)ret : 0;
		until = NULL;
	} while (taken >= 0 && want && ret == (int)want);
	/* Or end of stream (0 read when asked for some): the client went. */
	if (taken < 0 || (want && ret == 0) ||
	    (ret < 0 && ret != -EAGAIN && ret != -EINTR &&
	     ret != -ETIMEDOUT)) {
		reqs_discard(w->s, l);
		conn_drop(c);
		ret = -EPIPE;
	} else {
		ret = 0;
		r = n ? backlog_add(c, l, n, rp, &more) : NULL;
		if (rp)
			*rp = r;
	}
	pthread_mutex_unlock(&c->rxlock);
	/* The count cannot reach its most (2^64 - 2): no failure to see. */
	if (more && write(w->s->readyfd, &more, sizeof(more)) < 0)
		more = 0;
	return ret;
}

/*
 * Run @r, which this worker took into @c's running list: its handler, or
 * the answer the server gives on its own; then @r goes.
 */
static void request_run(struct rpc_worker *w, struct rpc_conn *c,
			struct kipc_rpc_req *r)
{
	struct kipc_rpc_server *s = w->s;
	const struct rpc_method *meth =
		r->event ? method_find(s->events, s->nr_events, r->info.method)
			 : method_find(s->methods, s->nr_methods,
				       r->info.method);
	struct kipc_rpc_req **pp;
	int err = 0, ret;

	r->txbuf = w->txbuf;
	if (!meth)
		err = -ENOSYS;
	else if (r->info.deadline_ns && kipc__now_ns() >= r->info.deadline_ns)
		err = -ETIMEDOUT;
	else if (kipc_rpc_req_cancelled(r) || atomic_load(&c->broken))
		err = -ECANCELED;	/* not started: skipped */
	if (err) {
		payload_release(s, r->bufs, r->info.nr_bufs, NULL, 0);
		if (!r->event)	/* an event nobody handles is dropped */
			kipc_rpc_reply_error(r, err);
	} else {
		ret = meth->fn(r, meth->arg);
		if (!r->answered && !r->event)
			ret < 0 ? kipc_rpc_reply_error(r, ret)
				: kipc_rpc_reply(r, NULL, 0);
	}
	payload_release(s, NULL, 0, r->lends, r->info.nr_lends);

	pthread_mutex_lock(&c->lock);
	for (pp = &c->running; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	pthread_mutex_unlock(&c->lock);
	free(r);
}

/*
 * The connection's next messages, read at once (@until NULL: its epoll
 * event), or waited for until @until (a linger). The caller holds @c.
 * Return: whether a request or an event ran and @c is still served, so
 * that a worker may linger on it.
 */
static bool conn_event(struct rpc_worker *w, struct rpc_conn *c,
		       const struct timespec *until)
{
	struct kipc_rpc_req *r = NULL;

	if (atomic_load(&c->broken)) {
		conn_drop(c);
		return false;
	}
	if (!conn_read(w, c, until, &r) && !until)
		conn_park(c);
	if (!r)
		return false;
	request_run(w, c, r);
	return !atomic_load(&c->broken);
}

/*
 * Watch the ready eventfd again: its next count wakes one worker. It is
 * watched one-shot, so that a count wakes one, not each idle worker in
 * turn until one has read it (a level-triggered fd that epoll_wait()
 * reports stays ready for the next waiter, whom it wakes).
 */
static void ready_rearm(struct kipc_rpc_server *s)
{
	ep_ctl(s->epfd, EPOLL_CTL_MOD, s->readyfd, EPOLLIN | EPOLLONESHOT,
	       KEY_READY);
}

/* Whether a backlog waits (then a worker takes from it, not lingers). */
static bool backlog_waits(struct kipc_rpc_server *s)
{
	bool ret;

	pthread_mutex_lock(&s->lock);
	ret = !list_empty(&s->ready);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/*
 * The ready eventfd: take one count and watch it again at once, for the
 * next count's worker; then take the oldest request of the next
 * connection with a backlog, read what waits behind it (a CANCEL of it
 * skips it) and run it. Returns the connection, held, when a request ran
 * and it is still served, so that the worker may linger on it; NULL
 * otherwise. The request taken is the oldest, but another worker reading
 * the connection meanwhile (the read waits for it) takes the next one
 * when its read is done and may start it first: a connection's requests
 * start in order with one worker only (protocol.rst, Cancellation).
 */
static struct rpc_conn *ready_event(struct rpc_worker *w)
{
	struct kipc_rpc_server *s = w->s;
	struct kipc_rpc_req *r = NULL;
	bool rearm = false;
	struct rpc_conn *c;
	uint64_t one;

	if (read(s->readyfd, &one, sizeof(one)) < 0)
		one = 0;	/* a drop took it back */
	ready_rearm(s);
	if (!one)
		return NULL;
	pthread_mutex_lock(&s->lock);
	c = list_first(&s->ready, struct rpc_conn, rlink);
	if (c) {
		pthread_mutex_lock(&c->lock);
		r = backlog_pop(s, c, &rearm);
		pthread_mutex_unlock(&c->lock);
		conn_hold(c);
	}
	pthread_mutex_unlock(&s->lock);
	if (!c)
		return NULL;	/* its connection went */
	if (rearm)
		conn_rearm(c);
	if (!atomic_load(&c->broken))
		conn_read(w, c, NULL, NULL);
	request_run(w, c, r);
	if (!atomic_load(&c->broken))
		return c;
	conn_put(c);
	return NULL;
}

/*
 * The messages a worker's receive takes at most: RX_BATCH, RX_BYTES of
 * inline bytes, and no more than a backlog holds (conn_read() takes a
 * batch that fits it). Its room is then RX_BYTES at most (64 KiB, a
 * receive of one message at the largest max_inline), with about 800
 * bytes of arrays a message.
 */
static uint32_t worker_batch(const struct kipc_rpc_server *s)
{
	uint32_t n = min_u32(min_u32(s->depth, RX_BATCH),
			     RX_BYTES / s->max_inline);

	return n ? n : 1;
}

/*
 * A worker takes one event at a time: a connection's next message waits
 * for the first free worker, not behind a handler that runs long. Returns
 * 0 once stopped, or -ENOMEM when it could not start: then it stops the
 * others, so that kipc_rpc_server_run() does not serve with fewer workers
 * than asked for without a word.
 */
static int worker_run(struct kipc_rpc_server *s)
{
	struct rpc_worker w = { .s = s, .batch = worker_batch(s) };
	struct rpc_conn *c, *last = NULL;
	struct epoll_event ev;
	struct timespec until;
	int n, ret = 0;

	w.rxbuf = malloc((size_t)w.batch * s->max_inline);
	w.txbuf = malloc(s->max_inline);
	w.m = calloc(w.batch, sizeof(*w.m));
	w.bufs = calloc(w.batch, sizeof(*w.bufs));
	w.lends = calloc(w.batch, sizeof(*w.lends));
	if (!w.rxbuf || !w.txbuf || !w.m || !w.bufs || !w.lends) {
		ret = -ENOMEM;
		kipc_rpc_server_stop(s);
		goto out;
	}
	for (;;) {
		/*
		 * @last, held: the connection just answered (only when the
		 * server lingers). With no other event waiting, wait for its
		 * next message in a receive the module polls for, rather than
		 * in epoll_wait(), where the CPU goes idle. Taking any waiting
		 * event first keeps a busy connection from holding the worker;
		 * a backlog also waits for a worker while the one that read
		 * the ready eventfd has yet to watch it again.
		 */
		n = 0;
		if (last) {
			n = epoll_wait(s->epfd, &ev, 1, 0);
			if (n <= 0 && !backlog_waits(s)) {
				until = rpc_ns_ts(kipc__now_ns() + s->linger_ns);
				if (conn_event(&w, last, &until))
					continue;
			}
			conn_put(last);
			last = NULL;
		}
		if (n <= 0) {
			n = epoll_wait(s->epfd, &ev, 1, -1);
			if (n < 0 && errno != EINTR)
				break;
			if (n <= 0)
				continue;
		}
		switch (ev.data.u64) {
		case KEY_STOP:
			goto out;
		case KEY_SERVICE:
			accept_all(s, w.txbuf);
			break;
		case KEY_TIMER:
			timer_event(s);
			break;
		case KEY_READY:
			c = ready_event(&w);
			if (c && s->linger_ns)
				last = c;
			else if (c)
				conn_put(c);
			break;
		default:
			c = conn_get(s, ev.data.u64);
			if (c && conn_event(&w, c, NULL) && s->linger_ns)
				last = c;
			else if (c)
				conn_put(c);
		}
	}
out:
	free(w.lends);
	free(w.bufs);
	free(w.m);
	free(w.rxbuf);
	free(w.txbuf);
	return ret;
}

static void *worker(void *arg)
{
	return (void *)(intptr_t)worker_run(arg);
}

KIPC_API int kipc_rpc_server_run(struct kipc_rpc_server *s)
{
	pthread_t *tids;
	unsigned int i, n = 0;
	void *res;
	uint64_t v;
	int ret = 0;

	if (!s)
		return -EINVAL;
	/*
	 * One run at a time: the stop eventfd is reset by the run that
	 * returns, and a second run's workers could miss the stop.
	 */
	if (atomic_exchange(&s->running, 1))
		return -EBUSY;
	tids = calloc(s->nr_workers, sizeof(*tids));
	if (!tids) {
		atomic_store(&s->running, 0);
		return -ENOMEM;
	}
	for (i = 1; i < s->nr_workers; i++) {
		ret = -pthread_create(&tids[n], NULL, worker, s);
		if (ret)
			break;
		n++;
	}
	if (!ret)
		ret = worker_run(s);
	else
		kipc_rpc_server_stop(s);
	for (i = 0; i < n; i++) {
		pthread_join(tids[i], &res);
		if (!ret)
			ret = (int)(intptr_t)res;
	}
	free(tids);
	/* Stopped: ready to run again. */
	if (read(s->stopfd, &v, sizeof(v)) < 0 && !ret)
		ret = 0;
	atomic_store(&s->running, 0);
	return ret;
}

KIPC_API int kipc_rpc_server_stop(struct kipc_rpc_server *s)
{
	uint64_t one = 1;

	if (!s)
		return -EINVAL;
	return write(s->stopfd, &one, sizeof(one)) < 0 ? -errno : 0;
}

KIPC_API int kipc_rpc_server_connections(const struct kipc_rpc_server *s)
{
	return s ? atomic_load(&((struct kipc_rpc_server *)s)->nr_conns)
		 : -EINVAL;
}

KIPC_API int kipc_rpc_server_destroy(struct kipc_rpc_server *s)
{
	struct rpc_conn *c;

	if (!s)
		return 0;
	if (s->name)		/* a server of a group's service has none */
		kipc_name_unlink(s->k, s->name);
	if (s->region_name)
		kipc_name_unlink(s->k, s->region_name);
	while ((c = list_first(&s->conns, struct rpc_conn, link))) {
		list_del(&c->link);
		reqs_discard(s, c->backlog);
		conn_free(c);
	}
	server_free(s);
	return 0;
}

KIPC_API int kipc_rpc_server_notify(struct kipc_rpc_server *s,
				    uint64_t conn_id, uint32_t event,
				    const struct kipc_rpc_msg *msg)
{
	struct rpc_conn *c;
	void *txbuf;
	int held, hello, ret;

	if (!s)
		return -EINVAL;
	ret = msg_check(s, msg);
	if (ret < 0)
		return ret;
	/* A reference, unless the connection is already going away. */
	pthread_mutex_lock(&s->lock);
	list_for_each_entry(c, &s->conns, struct rpc_conn, link)
		if (c->peer.id == conn_id)
			break;
	held = conn_hold(c);
	pthread_mutex_unlock(&s->lock);
	if (!held)
		return -ENOENT;
	hello = atomic_load(&c->hello);
	txbuf = hello ? malloc(KIPC_RPC_HDR_LEN + (msg ? msg->len : 0)) : NULL;
	if (!hello)
		ret = -ENOENT;		/* not a connection of the protocol yet */
	else if (!txbuf)
		ret = -ENOMEM;
	else
		ret = conn_send(c, txbuf, KIPC_RPC_EVENT, event, 0, 0, msg);
	free(txbuf);
	conn_put(c);
	return ret;
}

KIPC_API int kipc_rpc_req_info(const struct kipc_rpc_req *req,
			       struct kipc_rpc_req_info *info)
{
	if (!req || !info)
		return -EINVAL;
	*info = req->info;
	return 0;
}

KIPC_API int kipc_rpc_req_cancelled(const struct kipc_rpc_req *req)
{
	struct rpc_conn *c;
	int ret;

	if (!req)
		return -EINVAL;
	c = req->conn;
	pthread_mutex_lock(&c->lock);
	ret = req->cancelled;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/*
 * Answer @req with a message of @type. An answer's region buffers leave
 * the handler whatever happens (kipc_rpc_reply(3)): sent, or released
 * here when the answer is not sent. But for -EINVAL and -EALREADY: an
 * answer that is not valid, or a second one, answers nothing, and its
 * buffers stay the handler's.
 */
static int answer(struct kipc_rpc_req *req, uint8_t type, int32_t status,
		  const struct kipc_rpc_msg *rep)
{
	struct rpc_conn *c;
	int ret, err;

	if (!req || req->event)
		return -EINVAL;
	c = req->conn;
	ret = msg_check(c->s, rep);
	if (ret == -EINVAL)
		return ret;
	if (req->answered)
		return -EALREADY;
	req->answered = 1;
	if (req->flags & KIPC_RPC_F_ONEWAY)
		ret = 0;	/* not sent, as if it were */
	else if (!ret)
		ret = conn_send(c, req->txbuf, type, req->info.method,
				req->info.call_id, status, rep);
	if (rep && (ret < 0 || req->flags & KIPC_RPC_F_ONEWAY))
		/* The kernel moves all of a message's buffers, or none. */
		rpc_bufs_release(c->s->region, rep->bufs, rep->nr_bufs);
	/*
	 * -EAGAIN dropped the connection, -EPIPE found it gone. Otherwise
	 * a reply that cannot go still answers the call, as an error; when
	 * the error cannot go either (the server's user has no bytes in
	 * flight left: -ENOBUFS), the call would stay unanswered and its
	 * credit lost, the client waiting for ever: the connection goes, and
	 * the client sees its calls fail with -ECONNRESET.
	 */
	if (ret < 0 && ret != -EAGAIN && ret != -EPIPE) {
		err = type == KIPC_RPC_REPLY ?
		      conn_send(c, req->txbuf, KIPC_RPC_ERROR,
				req->info.method, req->info.call_id, ret,
				NULL) : ret;
		if (err < 0) {
			atomic_store(&c->broken, 1);
			conn_drop(c);
		}
	}
	return ret;
}

KIPC_API int kipc_rpc_reply_msg(struct kipc_rpc_req *req,
				const struct kipc_rpc_msg *rep)
{
	return answer(req, KIPC_RPC_REPLY, 0, rep);
}

KIPC_API int kipc_rpc_reply(struct kipc_rpc_req *req, const void *data,
			    size_t len)
{
	struct kipc_rpc_msg rep = { .data = (void *)data, .len = len };

	return answer(req, KIPC_RPC_REPLY, 0, &rep);
}

KIPC_API int kipc_rpc_reply_error(struct kipc_rpc_req *req, int err)
{
	if (err >= 0)
		return -EINVAL;
	return answer(req, KIPC_RPC_ERROR, err, NULL);
}
