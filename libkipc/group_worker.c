// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Process groups, the worker: finding the objects among the inherited fds
 * (LISTEN_FDS, LISTEN_FDNAMES), the lease of the message in hand (group.h
 * describes the protocol), beats for the watchdog, the stop request, and
 * RPC servers of the group's services.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "kipc.h"
#include "kipc_group.h"
#include "group.h"
#include "rpc.h"
#include "sys.h"

/* How long a blocked receive or send waits before it beats and looks again. */
#define TICK_NS		(KGRP_TICK_MS * 1000000LL)

struct kipc_group_worker {
	unsigned int slot;
	struct kipc_region *ctl_r;
	struct kipc_region *slot_r;	/* the slot's own region (group.h) */
	struct kgrp_ctl *ctl;
	struct kgrp_slot *sl;
	unsigned int nr_fds;
	struct {
		char name[KIPC_GROUP_NAME_MAX + 1];
		int fd;
	} fds[KGRP_MAX_FDS];
	struct kipc_region *h[KIPC_GROUP_MAX_REGIONS];	 /* the slot's handles */
	struct kipc_region *own[KIPC_GROUP_MAX_REGIONS]; /* attached, mapped */
	struct kipc_chan *chans[KIPC_GROUP_MAX_CHANNELS];
};

static volatile sig_atomic_t term_requested;
/*
 * The eventfd that the servers of kipc_group_worker_service() in this
 * process stop on for ever (each has a dup), written on SIGTERM and never
 * read; -1: none yet. One per process, kept for its life: the handler may
 * run in any thread at any moment, and a number closed here could be
 * another file's by the time it writes (helper-83's review).
 */
static volatile sig_atomic_t term_efd = -1;

/* Make @efd readable; a full counter is readable already. */
static void efd_signal(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) < 0)
		return;
}

static void on_sigterm(int sig)
{
	int efd = term_efd;

	(void)sig;
	term_requested = 1;
	if (efd >= 0)
		efd_signal(efd);
}

void kipc__grp_worker_forked(void)
{
	term_requested = 0;
	term_efd = -1;
}

/*
 * Is @stored (a name in the control region) @name? A name longer than a
 * group's names can be is none of them, not the one it starts with.
 */
static bool ctl_name_is(const char *stored, const char *name)
{
	return strnlen(name, KIPC_GROUP_NAME_MAX + 1) <= KIPC_GROUP_NAME_MAX &&
	       !strncmp(stored, name, KIPC_GROUP_NAME_MAX + 1);
}

static int ctl_find_chan(const struct kgrp_ctl *ctl, const char *name)
{
	unsigned int i;

	for (i = 0; i < ctl->nr_chans && i < KIPC_GROUP_MAX_CHANNELS; i++)
		if (ctl_name_is(ctl->chans[i].name, name))
			return i;
	return -1;
}

static int ctl_find_svc(const struct kgrp_ctl *ctl, const char *name)
{
	unsigned int i;

	for (i = 0; i < ctl->nr_svcs && i < KIPC_GROUP_MAX_SERVICES; i++)
		if (ctl_name_is(ctl->svcs[i].name, name))
			return i;
	return -1;
}

static int ctl_find_region(const struct kgrp_ctl *ctl, const char *name)
{
	unsigned int i;

	for (i = 0; i < ctl->nr_regions && i < KIPC_GROUP_MAX_REGIONS; i++)
		if (ctl_name_is(ctl->regions[i].name, name))
			return i;
	return -1;
}

/* LISTEN_FDS and LISTEN_FDNAMES into w->fds. */
static int listen_fds(struct kipc_group_worker *w)
{
	const char *s = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	const char *names = getenv("LISTEN_FDNAMES");
	unsigned int i, n;
	size_t len;

	if (!s || !names)
		return -ENOENT;
	if (pid && atol(pid) != (long)getpid())
		return -ENOENT;
	n = atoi(s);
	if (!n || n > sizeof(w->fds) / sizeof(w->fds[0]))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		len = strcspn(names, ":");
		if (!len || len > KIPC_GROUP_NAME_MAX)
			return -EINVAL;
		memcpy(w->fds[i].name, names, len);
		w->fds[i].name[len] = 0;
		w->fds[i].fd = 3 + i;
		names += len + (names[len] == ':');
	}
	w->nr_fds = n;
	return 0;
}

/*
 * Every worker can write the control region: a value taken from it is read
 * once, into our own memory, and checked against our own bounds before it
 * indexes anything; -EPROTO when it is out of them.
 *
 * Channel @c's region: *@r its index, -1 when the channel is unbound.
 */
static int chan_region(const struct kipc_group_worker *w, unsigned int c,
		       int *r)
{
	int32_t v = kgrp_load(&w->ctl->chans[c].region);

	if (v < -1 || v >= KIPC_GROUP_MAX_REGIONS)
		return -EPROTO;
	*r = v;
	return 0;
}

/* The lease of the slot, as read once. */
struct lease {
	unsigned int chan;		/* the channel it came from */
	uint32_t data_len, nr_bufs;
	struct kipc_region *owner;	/* the slot's handle of its region */
	struct kipc_region *own;	/* ours, mapped; NULL: unbound */
};

/* The slot's lease into @l, checked: -EPROTO when out of bounds. */
static int lease_read(const struct kipc_group_worker *w, struct lease *l)
{
	const struct kgrp_slot *sl = w->sl;
	int r, ret;

	l->chan = kgrp_load(&sl->lease_chan);
	l->data_len = kgrp_load(&sl->msg.data_len);
	l->nr_bufs = kgrp_load(&sl->msg.nr_bufs);
	if (l->chan >= KIPC_GROUP_MAX_CHANNELS ||
	    l->data_len > KIPC_GROUP_INLINE_MAX ||
	    l->nr_bufs > KIPC_GROUP_BUFS_MAX)
		return -EPROTO;
	ret = chan_region(w, l->chan, &r);
	if (ret < 0)
		return ret;
	l->owner = r >= 0 ? w->h[r] : NULL;
	l->own = r >= 0 ? w->own[r] : NULL;
	return 0;
}

/* The slot's descriptor is in its first page, with the lease (group.h). */
_Static_assert(offsetof(struct kgrp_slot, msg) + sizeof(struct kipc_msg) <=
	       4096, "the slot's descriptor spans two pages");

/*
 * The slot's receive descriptor, its uid the mark of "nothing delivered"
 * that a receive overwrites (group.h: KGRP_UID_NONE).
 */
static void msg_prepare(struct kgrp_slot *sl)
{
	kipc_msg_init(&sl->msg, sl->data, sizeof(sl->data), sl->bufs,
		      KIPC_GROUP_BUFS_MAX, 0);
	sl->msg.uid = KGRP_UID_NONE;
}

void kipc__grp_release_strays(
	struct kipc_region *const h[KIPC_GROUP_MAX_REGIONS])
{
	struct kipc_region_status st;
	unsigned int r, b;

	for (r = 0; r < KIPC_GROUP_MAX_REGIONS; r++) {
		if (!h[r] || kipc_region_info(h[r], &st) || !st.nr_owned)
			continue;
		for (b = 0; b < st.nr_bufs && st.nr_owned; b++)
			if (!kipc_buf_release(h[r], (uint64_t)b * st.buf_size))
				st.nr_owned--;
	}
}

/*
 * The supervisor's request to stop (a drain of a source, a reload, a
 * strategy's restart): the only one that makes kipc_group_recv() return
 * early or a blocked send give up. A SIGTERM alone (the supervisor died,
 * PR_SET_PDEATHSIG) only tells the program (kipc_group_stopping()): a
 * worker with inputs drains them until their end.
 */
static int stop_requested(const struct kipc_group_worker *w)
{
	return kgrp_load(&w->sl->stop);
}

static void deadline_in(struct timespec *ts, long long ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_nsec += ns;
	ts->tv_sec += ts->tv_nsec / 1000000000LL;
	ts->tv_nsec %= 1000000000LL;
}

/*
 * After -EAGAIN from a call that was to wait a tick on channel @c: its end's
 * open file, which the supervisor and every instance share, was made
 * non-blocking by someone (an event loop that polls the inherited fd).
 * Wait the tick with poll() for @events, as the call would have, rather
 * than call again at once: every instance would spin, and beat while it
 * spins, so that no watchdog would see it.
 */
static void wait_nonblocking(struct kipc_group_worker *w, int c, short events)
{
	struct pollfd p = {
		.fd = kipc_channel_fd(w->chans[c]), .events = events,
	};

	/* Ready, a tick gone or a signal: the caller tries again anyway. */
	(void)poll(&p, 1, KGRP_TICK_MS);
}

/*
 * Send, beating once sent and while the queue is full; -EINTR when asked
 * to stop.
 */
static int send_one(struct kipc_group_worker *w, int c, struct kipc_msg *msg,
		    struct kipc_region *owner)
{
	struct timespec dl;
	int ret;

	for (;;) {
		deadline_in(&dl, TICK_NS);
		ret = kipc_channel_send(w->chans[c], msg, 1, 0, &dl, owner);
		if (ret == 1) {
			kipc_group_beat(w);	/* a source beats by sending */
			return 0;
		}
		if (ret != -ETIMEDOUT && ret != -EINTR && ret != -EAGAIN)
			return ret < 0 ? ret : -EIO;
		if (ret == -EAGAIN)
			wait_nonblocking(w, c, POLLOUT);
		kipc_group_beat(w);
		/*
		 * Every pass, not only after -EINTR: a SIGTERM between two
		 * sends, or a handler of the program's that restarts the
		 * ioctl (SA_RESTART), brings no -EINTR.
		 */
		if (stop_requested(w))
			return -EINTR;
	}
}

/*
 * Send the slot's forwarded payload and the lease's buffers on channel
 * @out (kipc_group_forward()); the buffers copied out of the shared slot.
 */
static int forward_send(struct kipc_group_worker *w, unsigned int out,
			const struct lease *l)
{
	struct kgrp_slot *sl = w->sl;
	struct kipc_buf_ref bufs[KIPC_GROUP_BUFS_MAX];
	uint32_t len = kgrp_load(&sl->out_len);
	struct kipc_msg msg;

	if (len > KIPC_GROUP_INLINE_MAX)
		return -EPROTO;
	memcpy(bufs, sl->bufs, sizeof(bufs));
	kipc_msg_init(&msg, sl->out, len, bufs, l->nr_bufs, sl->msg.tag);
	return send_one(w, out, &msg, l->owner);
}

/*
 * Finish the forward a previous holder of the slot began (group.h): sent
 * now, or -EPERM: the slot's handle no longer owns the buffers, the first
 * send happened. Any other error leaves the lease forwarding, the message
 * still the slot's, for kipc_group_recv() to try again.
 */
static int forward_resume(struct kipc_group_worker *w)
{
	struct kgrp_slot *sl = w->sl;
	uint32_t out = kgrp_load(&sl->lease_out);
	struct lease l;
	int ret;

	ret = lease_read(w, &l);
	if (ret < 0 || out >= KIPC_GROUP_MAX_CHANNELS)
		return ret < 0 ? ret : -EPROTO;
	if (!w->chans[out])
		return -ENOENT;
	ret = forward_send(w, out, &l);
	if (ret < 0 && ret != -EPERM)
		return ret;
	__atomic_add_fetch(&sl->acks, 1, __ATOMIC_RELAXED);
	kgrp_store(&sl->lease, KGRP_LEASE_NONE);
	kipc__grp_release_strays(w->h);
	return 0;
}

/* What the previous holder of this slot left: see group.h. */
static void lease_recover(struct kipc_group_worker *w)
{
	struct kgrp_slot *sl = w->sl;

	switch (kgrp_lease_now(sl, NULL)) {
	case KGRP_LEASE_RECEIVING:	/* nothing delivered: no uid */
		kgrp_store(&sl->lease, KGRP_LEASE_NONE);
		break;
	case KGRP_LEASE_HELD:	/* or delivered into the slot by the kernel */
		sl->redelivered = 1;
		__atomic_add_fetch(&sl->redeliveries, 1, __ATOMIC_RELAXED);
		kgrp_store(&sl->lease, KGRP_LEASE_HELD);
		return;		/* kipc_group_recv() hands it out again */
	case KGRP_LEASE_FORWARDING:
		forward_resume(w);	/* failed: kipc_group_recv() retries */
		return;
	}
	kipc__grp_release_strays(w->h);
}

KIPC_API int kipc_group_worker_open(struct kipc_group_worker **wp)
{
	struct kipc_group_worker *w;
	struct sigaction sa, old;
	const char *slot = getenv("KIPC_GROUP_SLOT");
	unsigned int i;
	int ret, r, c;

	if (!wp)
		return -EINVAL;
	if (!slot)
		return -ENOENT;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	ret = listen_fds(w);
	if (ret < 0)
		goto out_free;
	/*
	 * Close-on-exec, as sd_listen_fds() makes them: a program the worker
	 * runs (system(), popen()) must not hold its channel ends, or a
	 * helper that outlives it keeps a channel's end of stream away.
	 */
	for (i = 0; i < w->nr_fds; i++)
		fcntl(w->fds[i].fd, F_SETFD, FD_CLOEXEC);
	ret = -ENOENT;
	if (w->nr_fds < 2 || strcmp(w->fds[0].name, KGRP_CTL_NAME))
		goto out_free;
	ret = kipc_region_open_fd(w->fds[0].fd, 0, &w->ctl_r);
	if (ret < 0)
		goto out_free;
	w->ctl = kipc_region_base(w->ctl_r);
	w->slot = atoi(slot);
	ret = -EPROTO;
	if (kipc_region_size(w->ctl_r) < sizeof(*w->ctl) ||
	    w->ctl->magic != KGRP_MAGIC || w->ctl->version != KGRP_VERSION ||
	    w->slot >= KIPC_GROUP_MAX_WORKERS ||
	    w->slot >= kgrp_load(&w->ctl->nr_slots) ||
	    strcmp(w->fds[1].name, KGRP_SLOT_NAME))
		goto out_close;
	ret = kipc_region_open_fd(w->fds[1].fd, 0, &w->slot_r);
	if (ret < 0)
		goto out_close;
	ret = -EPROTO;
	if (kipc_region_size(w->slot_r) < sizeof(*w->sl))
		goto out_close;
	w->sl = kipc_region_base(w->slot_r);
	for (i = 2; i < w->nr_fds; i++) {
		r = ctl_find_region(w->ctl, w->fds[i].name);
		c = ctl_find_chan(w->ctl, w->fds[i].name);
		if (r >= 0 && !w->h[r]) {
			ret = kipc_region_open_fd(w->fds[i].fd, KIPC_REGION_NOMAP,
						  &w->h[r]);
			if (!ret)
				ret = kipc_region_attach(w->h[r], 0, &w->own[r]);
		} else if (c >= 0 && !w->chans[c]) {
			ret = kipc_channel_from_fd(w->fds[i].fd, 0, &w->chans[c]);
		} else if (ctl_find_svc(w->ctl, w->fds[i].name) >= 0) {
			ret = 0;	/* kipc_group_worker_service() serves it */
		} else {
			ret = -EPROTO;
		}
		if (ret < 0)
			goto out_close;
	}
	/* SIGTERM asks to stop (unless the program handles it itself). */
	if (!sigaction(SIGTERM, NULL, &old) && old.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigterm;	/* no SA_RESTART: EINTR */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
	}
	lease_recover(w);
	kipc_group_beat(w);
	*wp = w;
	return 0;

out_close:
	kipc_group_worker_close(w);
	return ret;
out_free:
	free(w);
	return ret;
}

KIPC_API int kipc_group_worker_close(struct kipc_group_worker *w)
{
	unsigned int i;

	if (!w)
		return -EINVAL;
	for (i = 0; i < KIPC_GROUP_MAX_CHANNELS; i++)
		if (w->chans[i])
			kipc_channel_close(w->chans[i]);
	for (i = 0; i < KIPC_GROUP_MAX_REGIONS; i++) {
		if (w->own[i])
			kipc_region_close(w->own[i]);
		if (w->h[i])
			kipc_region_close(w->h[i]);
	}
	if (w->slot_r)
		kipc_region_close(w->slot_r);
	if (w->ctl_r)
		kipc_region_close(w->ctl_r);
	free(w);
	return 0;
}

KIPC_API int kipc_group_worker_fd(const struct kipc_group_worker *w,
				  const char *name)
{
	unsigned int i;

	if (!w || !name)
		return -EINVAL;
	for (i = 0; i < w->nr_fds; i++)
		if (!strcmp(w->fds[i].name, name))
			return w->fds[i].fd;
	return -ENOENT;
}

KIPC_API struct kipc_region *kipc_group_worker_region(
	struct kipc_group_worker *w, const char *name)
{
	int r;

	if (!w || !name)
		return NULL;
	r = ctl_find_region(w->ctl, name);
	return r >= 0 ? w->own[r] : NULL;
}

/*
 * Service @sv's depth and inline size, which its servers announce to
 * clients, into @sa: bounded as kipc_group_add_service() bounds them
 * (and a client a welcome), or -EPROTO. Out of bounds, the server would
 * take buffers of any size or announce what every client refuses.
 */
static int svc_shape(const struct kipc_group_worker *w, int sv,
		     struct kipc_rpc_server_attr *sa)
{
	uint32_t depth = kgrp_load(&w->ctl->svcs[sv].depth);
	uint32_t max_inline = kgrp_load(&w->ctl->svcs[sv].max_inline);

	if (depth > KGRP_SVC_DEPTH_MAX ||
	    (max_inline && (max_inline < KGRP_SVC_INLINE_MIN ||
			    max_inline > RPC_MAX_INLINE)))
		return -EPROTO;
	sa->depth = depth;
	sa->max_inline = max_inline;
	return 0;
}

KIPC_API int kipc_group_worker_service(struct kipc_group_worker *w,
				       const char *name,
				       const struct kipc_rpc_server_attr *attr,
				       struct kipc_rpc_server **sp)
{
	struct kipc_rpc_server_attr sa;
	int sv, fd, svc_fd, termfd, ret;

	if (!w || !name || !sp)
		return -EINVAL;
	memset(&sa, 0, sizeof(sa));
	if (attr) {
		/* The connections' shape is the service's, set by the group. */
		if (attr->depth || attr->max_inline || attr->backlog ||
		    attr->region)
			return -EINVAL;
		sa = *attr;
	}
	sv = ctl_find_svc(w->ctl, name);
	fd = kipc_group_worker_fd(w, name);
	if (sv < 0 || fd < 0)
		return -ENOENT;
	ret = svc_shape(w, sv, &sa);
	if (ret < 0)
		return ret;
	if (term_efd < 0) {
		termfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (termfd < 0)
			return -errno;
		term_efd = termfd;
		/* A SIGTERM before the eventfd was there. */
		if (term_requested)
			efd_signal(termfd);
	}
	/* Our own fds: the server closes them, the inherited ones stay. */
	svc_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (svc_fd < 0)
		return -errno;
	termfd = fcntl(term_efd, F_DUPFD_CLOEXEC, 3);
	if (termfd < 0) {
		close(svc_fd);
		return -errno;
	}
	return kipc__rpc_server_adopt(svc_fd, termfd, &sa, sp);
}

KIPC_API int kipc_group_beat(struct kipc_group_worker *w)
{
	if (!w)
		return -EINVAL;
	__atomic_add_fetch(&w->sl->beat, 1, __ATOMIC_RELEASE);
	return 0;
}

KIPC_API int kipc_group_stopping(const struct kipc_group_worker *w)
{
	if (!w)
		return -EINVAL;
	return term_requested || kgrp_load(&w->sl->stop);
}

/* The held message of lease @l into @m. */
static void msg_fill(struct kipc_group_worker *w, const struct lease *l,
		     struct kipc_group_msg *m)
{
	const struct kgrp_slot *sl = w->sl;

	memset(m, 0, sizeof(*m));
	m->seq = sl->msg.tag;
	m->data = sl->data;
	m->data_len = l->data_len;
	m->nr_bufs = l->nr_bufs;
	memcpy(m->bufs, sl->bufs, sizeof(m->bufs));
	m->region = l->own;
	m->redelivered = sl->redelivered;
	m->pid = sl->msg.pid;
}

/*
 * The message at the head of channel @c does not fit a slot (more than
 * KIPC_GROUP_BUFS_MAX buffers, or lent ranges: not sent by the group's
 * calls) and the kernel left it queued. Take it with room for the
 * kernel's most, release its buffers and ranges: -EBADMSG. A death in
 * between leaves the buffers strays of the slot's handle (lease NONE).
 */
static int msg_drop(struct kipc_group_worker *w, int c,
		    struct kipc_region *owner)
{
	struct kipc_buf_ref bufs[KIPC_MSG_BUFS_MAX];
	struct kipc_lend_ref lends[KIPC_MSG_LENDS_MAX];
	uint8_t data[KIPC_GROUP_INLINE_MAX];
	struct kipc_msg msg;
	unsigned int i;
	int ret;

	kipc_msg_init(&msg, data, sizeof(data), bufs, KIPC_MSG_BUFS_MAX, 0);
	kipc_msg_lend(&msg, lends, KIPC_MSG_LENDS_MAX, NULL);
	ret = kipc_channel_recv(w->chans[c], &msg, 1, KIPC_IO_NONBLOCK, NULL,
				owner);
	if (ret != 1)
		return ret;	/* another worker took it: -EAGAIN */
	for (i = 0; i < msg.nr_bufs && owner; i++)
		kipc_buf_release(owner, bufs[i].offset);
	for (i = 0; i < msg.nr_lends; i++)
		kipc_lend_release((const void *)(uintptr_t)lends[i].addr,
				  lends[i].len);
	return -EBADMSG;
}

KIPC_API int kipc_group_recv(struct kipc_group_worker *w, const char *channel,
			     struct kipc_group_msg *m)
{
	struct kgrp_slot *sl;
	struct kipc_region *owner;
	struct timespec dl;
	struct lease l;
	int c, r, ret;

	if (!w || !channel || !m)
		return -EINVAL;
	sl = w->sl;
	c = ctl_find_chan(w->ctl, channel);
	if (c < 0 || !w->chans[c])
		return -ENOENT;
	if (kgrp_load(&sl->lease) == KGRP_LEASE_HELD) {
		ret = lease_read(w, &l);
		if (ret < 0)
			return ret;
		if (l.chan != (unsigned int)c)
			return -EBUSY;		/* ack the one in hand first */
		msg_fill(w, &l, m);
		return 1;
	}
	if (kgrp_load(&sl->lease) == KGRP_LEASE_FORWARDING) {
		ret = forward_resume(w);
		if (ret < 0)
			return ret == -EINTR && stop_requested(w) ? 0 : ret;
	}
	ret = chan_region(w, c, &r);
	if (ret < 0)
		return ret;
	owner = r >= 0 ? w->h[r] : NULL;
	for (;;) {
		if (stop_requested(w))
			return 0;
		sl->lease_chan = c;
		msg_prepare(sl);
		kgrp_store(&sl->lease, KGRP_LEASE_RECEIVING);
		deadline_in(&dl, TICK_NS);
		ret = kipc_channel_recv(w->chans[c], &sl->msg, 1, 0, &dl,
					owner);
		if (ret == 1) {
			sl->redelivered = 0;
			kgrp_store(&sl->lease, KGRP_LEASE_HELD);
			kipc_group_beat(w);
			ret = lease_read(w, &l);
			if (ret < 0)
				return ret;
			msg_fill(w, &l, m);
			return 1;
		}
		kgrp_store(&sl->lease, KGRP_LEASE_NONE);
		if (ret == -EMSGSIZE)
			ret = msg_drop(w, c, owner);
		if (ret != -ETIMEDOUT && ret != -EINTR && ret != -EAGAIN)
			return ret;	/* 0: end of stream */
		if (ret == -EAGAIN)
			wait_nonblocking(w, c, POLLIN);
		kipc_group_beat(w);	/* idle is not hung */
	}
}

KIPC_API int kipc_group_send(struct kipc_group_worker *w, const char *channel,
			     const void *data, uint32_t len,
			     const struct kipc_buf_ref *bufs,
			     unsigned int nr_bufs, uint64_t seq)
{
	struct kipc_buf_ref refs[KIPC_GROUP_BUFS_MAX];
	struct kipc_msg msg;
	int c, r, ret;

	if (!w || !channel || (!data && len) || (!bufs && nr_bufs) ||
	    nr_bufs > KIPC_GROUP_BUFS_MAX)
		return -EINVAL;
	if (len > KIPC_GROUP_INLINE_MAX)
		return -EMSGSIZE;
	c = ctl_find_chan(w->ctl, channel);
	if (c < 0 || !w->chans[c])
		return -ENOENT;
	ret = chan_region(w, c, &r);
	if (ret < 0)
		return ret;
	if (nr_bufs && r < 0)
		return -EINVAL;
	/*
	 * The channel's next, never 0 (the counter wraps once any worker
	 * wrote it: the control region is every worker's to write).
	 */
	while (!seq)
		seq = __atomic_add_fetch(&w->ctl->chans[c].seq, 1,
					 __ATOMIC_RELAXED);
	if (nr_bufs)
		memcpy(refs, bufs, nr_bufs * sizeof(*refs));
	kipc_msg_init(&msg, (void *)data, len, nr_bufs ? refs : NULL, nr_bufs,
		      seq);
	return send_one(w, c, &msg, r >= 0 ? w->own[r] : NULL);
}

KIPC_API int kipc_group_forward(struct kipc_group_worker *w,
				const char *channel, const void *data,
				uint32_t len)
{
	struct kgrp_slot *sl;
	struct lease l;
	int c, ret;

	if (!w || !channel || (!data && len))
		return -EINVAL;
	if (len > KIPC_GROUP_INLINE_MAX)
		return -EMSGSIZE;
	sl = w->sl;
	if (kgrp_load(&sl->lease) != KGRP_LEASE_HELD)
		return -EINVAL;
	c = ctl_find_chan(w->ctl, channel);
	if (c < 0 || !w->chans[c])
		return -ENOENT;
	ret = lease_read(w, &l);
	if (ret < 0)
		return ret;
	/*
	 * The payload beside the message, which stays as it came: the
	 * replacement repeats the send from the slot if we die in between,
	 * and a failed send leaves the message held, to be received again.
	 */
	if (len)
		memmove(sl->out, data, len);
	sl->out_len = len;
	sl->lease_out = c;
	kgrp_store(&sl->lease, KGRP_LEASE_FORWARDING);
	ret = forward_send(w, c, &l);
	if (ret < 0) {
		kgrp_store(&sl->lease, KGRP_LEASE_HELD);
		return ret;
	}
	__atomic_add_fetch(&sl->acks, 1, __ATOMIC_RELAXED);
	kgrp_store(&sl->lease, KGRP_LEASE_NONE);
	return 0;
}

KIPC_API int kipc_group_ack(struct kipc_group_worker *w)
{
	struct kipc_buf_ref bufs[KIPC_GROUP_BUFS_MAX];
	struct kgrp_slot *sl;
	struct lease l;
	unsigned int i;
	int ret;

	if (!w)
		return -EINVAL;
	sl = w->sl;
	if (kgrp_load(&sl->lease) != KGRP_LEASE_HELD)
		return -EINVAL;
	ret = lease_read(w, &l);
	if (ret < 0)
		return ret;
	memcpy(bufs, sl->bufs, sizeof(bufs));
	/* First the lease, then the buffers: a death in between only strays. */
	kgrp_store(&sl->lease, KGRP_LEASE_NONE);
	__atomic_add_fetch(&sl->acks, 1, __ATOMIC_RELAXED);
	for (i = 0; i < l.nr_bufs && l.owner; i++)
		kipc_buf_release(l.owner, bufs[i].offset);
	kipc_group_beat(w);
	return 0;
}
