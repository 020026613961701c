// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: notifications that carry one 64-bit word, the sequence
 * number: so they run only at --sizes 8.
 *
 * eventfd:	an eventfd per direction; write adds the word, read takes it
 * signal:	sigqueue(SIGRTMIN) with the word as sival_ptr, sigwaitinfo
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>

#include "kipc-bench.h"

static int kb_eventfd_setup(struct kb_chan *c)
{
	struct kb_fdchan *f;
	int d, fd, ret;

	f = kb_fdchan_alloc(c, sizeof(*f), false);
	if (!f)
		return -ENOMEM;
	for (d = 0; d < 2; d++) {
		fd = eventfd(0, EFD_CLOEXEC);
		if (fd < 0) {
			ret = kb_fail(c, -errno, "eventfd");
			kb_fdchan_teardown(c);
			return ret;
		}
		f->fd[d][KB_TX] = fd;
		f->fd[!d][KB_RX] = fd;
	}
	return 0;
}

/* signal: SIGRTMIN stays blocked in both processes during a row. */
struct kb_signal {
	sigset_t set, old;
	uint64_t rx;
};

static int kb_signal_setup(struct kb_chan *c)
{
	struct kb_signal *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return kb_fail(c, -ENOMEM, "calloc");
	sigemptyset(&s->set);
	sigaddset(&s->set, SIGRTMIN);
	ret = sigprocmask(SIG_BLOCK, &s->set, &s->old);
	if (ret) {
		free(s);
		return kb_fail(c, -errno, "sigprocmask");
	}
	c->priv = s;
	return 0;
}

static void kb_signal_teardown(struct kb_chan *c)
{
	struct kb_signal *s = c->priv;
	siginfo_t info;
	struct timespec zero = { 0 };

	/* drop what a failed run left queued, then unblock */
	while (sigtimedwait(&s->set, &info, &zero) > 0)
		;
	if (sigprocmask(SIG_SETMASK, &s->old, NULL))
		kb_warn("sigprocmask: %s", strerror(errno));
	free(s);
	c->priv = NULL;
}

static int kb_signal_send(struct kb_chan *c, const void *buf, size_t len)
{
	union sigval v;
	uint64_t word;

	(void)len;
	memcpy(&word, buf, sizeof(word));
	v.sival_ptr = (void *)(uintptr_t)word;
	while (sigqueue(c->peer, SIGRTMIN, v)) {
		if (kb_abort || (errno != EAGAIN && errno != EINTR))
			return kb_fail(c, -errno, "sigqueue");
		sched_yield();		/* queue full: let the receiver run */
	}
	return 0;
}

static int kb_signal_recv(struct kb_chan *c, const void **data, size_t len,
			  bool nonblock)
{
	struct kb_signal *s = c->priv;
	struct timespec zero = { 0 };
	siginfo_t info;
	int sig;

	(void)len;
	for (;;) {
		sig = nonblock ? sigtimedwait(&s->set, &info, &zero) :
				 sigwaitinfo(&s->set, &info);
		if (sig > 0)
			break;
		if (errno == EAGAIN && nonblock)
			return -EAGAIN;
		if (errno != EINTR || kb_abort)
			return kb_fail(c, -errno, "sigwaitinfo");
	}
	if (info.si_code != SI_QUEUE || info.si_pid != c->peer)
		return kb_fail(c, -EPROTO, "signal not from the peer");
	s->rx = (uintptr_t)info.si_value.sival_ptr;
	*data = &s->rx;
	return 0;
}

const struct kb_mech kb_mech_eventfd = {
	.name		= "eventfd",
	.desc		= "eventfd per direction, the value is the message",
	.tests		= BIT(KB_LATENCY) | BIT(KB_WAKE),
	.modes		= KB_ALL_MODES,
	.max_size	= sizeof(uint64_t),
	.setup		= kb_eventfd_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_fdchan_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
};

const struct kb_mech kb_mech_signal = {
	.name		= "signal",
	.desc		= "sigqueue(SIGRTMIN) + sigwaitinfo, value is the message",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.max_size	= sizeof(uint64_t),
	.setup		= kb_signal_setup,
	.teardown	= kb_signal_teardown,
	.send		= kb_signal_send,
	.recv		= kb_signal_recv,
};
