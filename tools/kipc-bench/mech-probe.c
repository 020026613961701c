// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the probes, a check of the stock rows from outside the
 * harness's message path.
 *
 * A probe row runs a bare loop of one primitive's calls, as lmbench's
 * lat_pipe does: no sequence number, no check of the bytes, no clock and
 * no command between two calls. The harness times each phase of the loop
 * as one block (harness.c, kb_probe_phase()), in the same rounds as the
 * stock rows, so that a stock row and its probe are paired by repeat.
 * Nothing here is shared with the stock mechanisms' code.
 *
 * probe-pipe:		write() and read() on two pipes, one per direction
 * probe-unix:		send() and recv() on an AF_UNIX stream socketpair
 * probe-eventfd:	write() and read() of 8 bytes on two eventfds
 * probe-futex:		futex-shared's protocol: a mailbox a direction (a
 *			word and a count of sleepers) in a shared page, the
 *			message copied beside it; FUTEX_WAKE only when the
 *			peer sleeps, in FUTEX_WAIT
 *
 * probe-spin-ring:	spin-ring's ring (mech-ring.c): a slot copied, a
 *			head and a tail per direction, both ends spinning
 *
 * Side 0 sends first, side 1 answers. probe-pipe and probe-unix carry at
 * most PIPE_BUF bytes, so that one call moves one whole message (a pipe
 * writes that much atomically); a short transfer fails the row.
 *
 * The modes receive as the stock rows' do (harness.c, kb_recv_mode()):
 * blocking, one call that sleeps; busy-poll, a non-blocking receive
 * (O_NONBLOCK, or a load of the mailbox's word) retried with
 * kb_cpu_relax() between tries; spin-block, the same until --spin-us after
 * the first miss (the clock read then and every 16 tries after it), then
 * the blocking receive (poll() for a descriptor, as the stock rows'
 * kb_wait_fd()). A blocking row pays one test of its mode a receive (one
 * load and one branch).
 *
 * A dead peer ends a probe's loop as it ends a stock row's: after fork
 * each side of probe-pipe and probe-unix closes the ends it does not use,
 * so that the peer's death is an end of file or EPIPE; the peer's death
 * (SIGCHLD, side 0) or the watchdog (SIGALRM) interrupts a wait; and each
 * loop tests kb_abort before each round trip, so that a signal that came
 * between two calls is not slept through. That test is one load and one
 * branch a round trip, well under 1% of the cheapest (about 5 us native,
 * over 100 us under TCG). An eventfd or a futex has no end of file: for
 * a signal that comes between that test and the wait, the handler calls
 * the probe's kick(), which makes the wait return (a count on side 0's
 * eventfd; KB_PROBE_DEAD in both mailboxes' words, which FUTEX_WAIT finds
 * changed). It costs the loop nothing: it runs only in the handler.
 * (Side 1 needs none: it dies with side 0, PR_SET_PDEATHSIG.)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "kipc-bench.h"

/*
 * probe-futex: direction d's mailbox. @word is 0 (empty) or 1 (full), the
 * futex word; @waiters counts the processes asleep on it, or about to be.
 */
struct kb_probe_box {
	uint32_t word;
	uint32_t waiters;
} __attribute__((aligned(64)));

/*
 * probe-spin-ring: direction d's ring indices, each written by one side:
 * @head by the producer (messages sent), @tail by the consumer (freed).
 */
struct kb_probe_ring {
	uint64_t head __attribute__((aligned(64)));
	uint64_t tail __attribute__((aligned(64)));
};

/*
 * fd[d][KB_RX] reads direction d (side d to side !d), fd[d][KB_TX] writes
 * it; @buf is what a side sends and receives into; @shm, the shared page
 * of probe-futex (a mailbox per direction, then a message area per
 * direction) or of probe-spin-ring (a ring's indices per direction, then
 * @slots slots per direction).
 */
struct kb_probe {
	int fd[2][2];
	void *buf;
	union {
		struct kb_probe_box *shm;
		struct kb_probe_ring *ring;
	};
	size_t shm_len;
	size_t slots;
};

/* probe-futex, kick(): a mailbox's word that no wait is for */
#define KB_PROBE_DEAD	2

/* probe-futex: the areas start after the two mailboxes */
#define KB_PROBE_AREA	(2 * sizeof(struct kb_probe_box))

static void kb_probe_teardown(struct kb_chan *c)
{
	struct kb_probe *p = c->priv;
	int d, e;

	for (d = 0; d < 2; d++)
		for (e = 0; e < 2; e++)
			if (p->fd[d][e] >= 0 && close(p->fd[d][e]))
				kb_warn("close: %s", strerror(errno));
	if (p->shm && munmap(p->shm, p->shm_len))
		kb_warn("munmap: %s", strerror(errno));
	kb_unmap(p->buf, c->size);
	free(p);
	c->priv = NULL;
}

/* c->priv: the state, every fd -1, and the buffer; 0 or -errno. */
static int kb_probe_alloc(struct kb_chan *c)
{
	struct kb_probe *p;

	if (c->touch)
		return kb_fail(c, -EOPNOTSUPP, "a probe touches no byte "
			       "(--touch)");
	p = calloc(1, sizeof(*p));
	if (!p)
		return kb_fail(c, -ENOMEM, "calloc");
	memset(p->fd, -1, sizeof(p->fd));
	c->priv = p;
	p->buf = kb_map(c->size);
	return p->buf ? 0 : kb_fail(c, -errno, "mmap");
}

/*
 * After fork, busy-poll and spin-block: the end this side reads does not
 * block (O_NONBLOCK, as the stock rows' kb_fdchan_attach() sets it).
 */
static int kb_probe_nonblock(struct kb_chan *c)
{
	struct kb_probe *p = c->priv;
	int fd = p->fd[!c->side][KB_RX], fl;

	if (c->mode == KB_BLOCKING)
		return 0;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return kb_fail(c, -errno, "fcntl O_NONBLOCK");
	return 0;
}

/*
 * After fork: close the ends this side does not use, direction @side's
 * read end and the other direction's write end, so that the peer's death
 * leaves no writer on the pipe (or socket) this side reads.
 */
static int kb_probe_attach(struct kb_chan *c)
{
	struct kb_probe *p = c->priv;
	int *fd[2] = { &p->fd[c->side][KB_RX], &p->fd[!c->side][KB_TX] };
	int i, ret = 0;

	for (i = 0; i < 2; i++) {
		if (*fd[i] >= 0 && close(*fd[i]) && !ret)
			ret = kb_fail(c, -errno, "close");
		*fd[i] = -1;
	}
	return ret ? ret : kb_probe_nonblock(c);
}

/* A signal (a dead peer, the watchdog) came between two calls. */
static int kb_probe_aborted(struct kb_chan *c)
{
	return kb_fail(c, -EINTR, kb_abort == SIGALRM ? "probe (watchdog)" :
		       "probe (peer gone)");
}

/* Setup failed with @err: free what there is, return @err. */
static int kb_probe_undo(struct kb_chan *c, int err)
{
	if (c->priv)
		kb_probe_teardown(c);
	return err;
}

static int kb_probe_pipe_setup(struct kb_chan *c)
{
	int d, ret = kb_probe_alloc(c);
	struct kb_probe *p = c->priv;

	if (ret)
		return kb_probe_undo(c, ret);
	for (d = 0; d < 2; d++)
		if (pipe2(p->fd[d], O_CLOEXEC))
			return kb_probe_undo(c, kb_fail(c, -errno, "pipe2"));
	return 0;
}

/* Side d writes its socket sv[d]; side !d reads direction d from sv[!d]. */
static int kb_probe_unix_setup(struct kb_chan *c)
{
	int sv[2], d, ret = kb_probe_alloc(c);
	struct kb_probe *p = c->priv;

	if (ret)
		return kb_probe_undo(c, ret);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return kb_probe_undo(c, kb_fail(c, -errno, "socketpair"));
	p->fd[0][KB_TX] = sv[0];
	p->fd[1][KB_TX] = sv[1];
	for (d = 0; d < 2; d++) {
		p->fd[d][KB_RX] = dup(sv[!d]);
		if (p->fd[d][KB_RX] < 0)
			return kb_probe_undo(c, kb_fail(c, -errno, "dup"));
	}
	return 0;
}

/* The 8 bytes each side writes are the counter's increment, 1. */
static int kb_probe_eventfd_setup(struct kb_chan *c)
{
	int d, ret = kb_probe_alloc(c);
	struct kb_probe *p = c->priv;

	if (ret)
		return kb_probe_undo(c, ret);
	*(uint64_t *)p->buf = 1;
	for (d = 0; d < 2; d++) {
		p->fd[d][KB_RX] = eventfd(0, EFD_CLOEXEC);
		if (p->fd[d][KB_RX] < 0)
			return kb_probe_undo(c, kb_fail(c, -errno, "eventfd"));
		p->fd[d][KB_TX] = dup(p->fd[d][KB_RX]);
		if (p->fd[d][KB_TX] < 0)
			return kb_probe_undo(c, kb_fail(c, -errno, "dup"));
	}
	return 0;
}

/*
 * The probe's state and @len bytes of shared anonymous memory (shmem, as
 * futex-shared's memfd) at p->shm, shared with side 1 from fork on.
 */
static int kb_probe_map(struct kb_chan *c, size_t len)
{
	int ret = kb_probe_alloc(c);
	struct kb_probe *p = c->priv;
	void *shm;

	if (ret)
		return kb_probe_undo(c, ret);
	shm = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (shm == MAP_FAILED)
		return kb_probe_undo(c, kb_fail(c, -errno, "mmap"));
	p->shm = shm;
	p->shm_len = len;
	return 0;
}

/* probe-futex: two mailboxes and their message areas */
static int kb_probe_futex_setup(struct kb_chan *c)
{
	return kb_probe_map(c, KB_PROBE_AREA + 2 * c->size);
}

/*
 * probe-eventfd, side 0, from the signal handler: a count on the eventfd
 * it reads, so that a read() begun after the loop's last test of kb_abort
 * returns; the next test ends the loop.
 */
static void kb_probe_eventfd_kick(struct kb_chan *c)
{
	struct kb_probe *p = c->priv;
	uint64_t one = 1;
	ssize_t n = write(p->fd[1][KB_RX], &one, sizeof(one));

	(void)n;	/* nothing to do in a handler if it failed */
}

/* probe-spin-ring: spin-ring's slots, 1 MiB a ring, from 2 to 256 */
static int kb_probe_ring_setup(struct kb_chan *c)
{
	size_t slots = (1 << 20) / c->size;
	int ret;

	slots = slots < 2 ? 2 : slots > 256 ? 256 : slots;
	ret = kb_probe_map(c, 2 * sizeof(struct kb_probe_ring) +
			      2 * slots * c->size);
	if (!ret)
		((struct kb_probe *)c->priv)->slots = slots;
	return ret;
}

/* A call that moved @n bytes, not c->size: the row fails. */
static int kb_probe_short(struct kb_chan *c, ssize_t n, const char *what)
{
	return kb_fail(c, n < 0 ? -errno : -EMSGSIZE, what);
}

/*
 * Busy-poll and spin-block: receive c->size bytes on @fd (O_NONBLOCK) with
 * read(), or recv() if @sock, tried again as kb_recv_mode() tries a stock
 * row's receive; what the call returns, or -1 and EINTR after a signal.
 */
static ssize_t kb_probe_rx_poll(struct kb_chan *c, int fd, bool sock)
{
	struct kb_probe *p = c->priv;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t deadline = 0;
	unsigned int n = 0;
	bool sleep = false;
	ssize_t got;

	for (;;) {
		got = sock ? recv(fd, p->buf, c->size, 0) :
			     read(fd, p->buf, c->size);
		if (got >= 0 || errno != EAGAIN)
			return got;
		if (kb_abort) {
			errno = EINTR;
			return -1;
		}
		if (sleep) {		/* spin-block, past its deadline */
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		kb_cpu_relax();
		if (c->mode != KB_SPIN_BLOCK)
			continue;
		if (!deadline) {
			deadline = kb_now_ns() + c->spin_ns;
			continue;
		}
		if (!(++n % 16) && kb_now_ns() >= deadline)
			sleep = true;
	}
}

/* Receive c->size bytes on @fd in the row's mode (@sock: recv()). */
static inline ssize_t kb_probe_rx(struct kb_chan *c, int fd, bool sock)
{
	struct kb_probe *p = c->priv;

	if (c->mode != KB_BLOCKING)
		return kb_probe_rx_poll(c, fd, sock);
	return sock ? recv(fd, p->buf, c->size, 0) :
		      read(fd, p->buf, c->size);
}

/*
 * One round trip's half on two pipes, eventfds (@sock false) or a socket
 * pair: side k sends on fd[k] and receives on fd[!k].
 */
static inline int kb_probe_fd_send(struct kb_chan *c, bool sock)
{
	struct kb_probe *p = c->priv;
	int fd = p->fd[c->side][KB_TX];
	ssize_t got = sock ? send(fd, p->buf, c->size, 0) :
			     write(fd, p->buf, c->size);

	return got == (ssize_t)c->size ? 0 :
	       kb_probe_short(c, got, sock ? "send" : "write");
}

static inline int kb_probe_fd_recv(struct kb_chan *c, bool sock)
{
	struct kb_probe *p = c->priv;
	ssize_t got = kb_probe_rx(c, p->fd[!c->side][KB_RX], sock);

	return got == (ssize_t)c->size ? 0 :
	       kb_probe_short(c, got, sock ? "recv" : "read");
}

static int kb_probe_rw_send(struct kb_chan *c)
{
	return kb_probe_fd_send(c, false);
}

static int kb_probe_rw_recv(struct kb_chan *c)
{
	return kb_probe_fd_recv(c, false);
}

static int kb_probe_sock_send(struct kb_chan *c)
{
	return kb_probe_fd_send(c, true);
}

static int kb_probe_sock_recv(struct kb_chan *c)
{
	return kb_probe_fd_recv(c, true);
}

/*
 * probe-futex, futex-shared's protocol (mech-futex.c, kb_mbox_wait() and
 * kb_mbox_set()) written out: wait until mailbox @b's word is @want, asleep
 * in FUTEX_WAIT, counted in its sleepers, while it is !@want. Why the
 * count loses no wake-up is said there.
 */
static int kb_probe_box_wait(struct kb_chan *c, struct kb_probe_box *b,
			     uint32_t want)
{
	long ret;

	for (;;) {
		if (__atomic_load_n(&b->word, __ATOMIC_ACQUIRE) == want)
			return 0;
		if (kb_abort)
			return kb_probe_aborted(c);
		__atomic_fetch_add(&b->waiters, 1, __ATOMIC_SEQ_CST);
		ret = 0;
		if (__atomic_load_n(&b->word, __ATOMIC_SEQ_CST) == !want)
			ret = syscall(SYS_futex, &b->word, FUTEX_WAIT, !want,
				      NULL, NULL, 0);
		__atomic_fetch_sub(&b->waiters, 1, __ATOMIC_SEQ_CST);
		if (ret && errno != EAGAIN && errno != EINTR)
			return kb_fail(c, -errno, "FUTEX_WAIT");
	}
}

/*
 * probe-futex, side 0, from the signal handler: both mailboxes' words
 * KB_PROBE_DEAD, so that a FUTEX_WAIT begun after kb_probe_box_wait()'s
 * test of kb_abort returns (EAGAIN: the word is not what it expected, or
 * no wait: the load before it sees the change) and the loop's next test
 * ends the wait; side 0 stores to a word only outside that window.
 */
static void kb_probe_futex_kick(struct kb_chan *c)
{
	struct kb_probe *p = c->priv;

	__atomic_store_n(&p->shm[0].word, KB_PROBE_DEAD, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->shm[1].word, KB_PROBE_DEAD, __ATOMIC_SEQ_CST);
}

/* Set mailbox @b's word to @val; FUTEX_WAKE only if someone sleeps on it. */
static int kb_probe_box_set(struct kb_chan *c, struct kb_probe_box *b,
			    uint32_t val)
{
	__atomic_store_n(&b->word, val, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&b->waiters, __ATOMIC_SEQ_CST) &&
	    syscall(SYS_futex, &b->word, FUTEX_WAKE, INT_MAX, NULL, NULL,
		    0) < 0)
		return kb_fail(c, -errno, "FUTEX_WAKE");
	return 0;
}

/*
 * Send on this side's mailbox as futex-shared does: wait until it is
 * empty, copy the message into its area, set it full.
 */
static int kb_probe_futex_send(struct kb_chan *c)
{
	struct kb_probe *p = c->priv;
	struct kb_probe_box *b = &p->shm[c->side];
	int ret = kb_probe_box_wait(c, b, 0);

	if (ret)
		return ret;
	memcpy((char *)p->shm + KB_PROBE_AREA + c->side * c->size, p->buf,
	       c->size);
	return kb_probe_box_set(c, b, 1);
}

/*
 * Busy-poll and spin-block: wait until mailbox @b is full by loads of its
 * word, as kb_probe_rx_poll() tries a call; spin-block then sleeps.
 */
static int kb_probe_box_poll(struct kb_chan *c, struct kb_probe_box *b)
{
	uint64_t deadline = 0;
	unsigned int n = 0;

	while (__atomic_load_n(&b->word, __ATOMIC_ACQUIRE) != 1) {
		if (kb_abort)
			return kb_probe_aborted(c);
		kb_cpu_relax();
		if (c->mode != KB_SPIN_BLOCK)
			continue;
		if (!deadline) {
			deadline = kb_now_ns() + c->spin_ns;
			continue;
		}
		if (!(++n % 16) && kb_now_ns() >= deadline)
			return kb_probe_box_wait(c, b, 1);
	}
	return 0;
}

/*
 * Receive on the peer's mailbox: wait until it is full (in the row's mode;
 * a sender's wait for an empty box blocks in every mode, as
 * futex-shared's), set it empty.
 */
static int kb_probe_futex_recv(struct kb_chan *c)
{
	struct kb_probe *p = c->priv;
	struct kb_probe_box *b = &p->shm[!c->side];
	int ret = c->mode == KB_BLOCKING ? kb_probe_box_wait(c, b, 1) :
					   kb_probe_box_poll(c, b);

	return ret ? ret : kb_probe_box_set(c, b, 0);
}

/* probe-spin-ring: direction @d's slot @i */
static char *kb_probe_slot(struct kb_chan *c, int d, uint64_t i)
{
	struct kb_probe *p = c->priv;

	return (char *)&p->ring[2] + (d * p->slots + i % p->slots) * c->size;
}

/*
 * probe-spin-ring, as spin-ring sends: wait for a free slot, copy the
 * message into it, publish it (release; the receiver's acquire pairs).
 */
static int kb_probe_ring_send(struct kb_chan *c)
{
	struct kb_probe *p = c->priv;
	struct kb_probe_ring *r = &p->ring[c->side];
	uint64_t head = r->head;

	while (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= p->slots) {
		if (kb_abort)
			return kb_probe_aborted(c);
		kb_cpu_relax();
	}
	memcpy(kb_probe_slot(c, c->side, head), p->buf, c->size);
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

/* probe-spin-ring: spin until a message is there, free its slot. */
static int kb_probe_ring_recv(struct kb_chan *c)
{
	struct kb_probe *p = c->priv;
	struct kb_probe_ring *r = &p->ring[!c->side];
	uint64_t tail = r->tail;

	while (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == tail) {
		if (kb_abort)
			return kb_probe_aborted(c);
		kb_cpu_relax();
	}
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	return 0;
}

/*
 * The bare loop: @n times @first, then @second (side 0 sends, then
 * receives; side 1 the other way round). Inlined with its two calls
 * into each mechanism's ping and pong below: no call through a pointer.
 */
static inline int kb_probe_loop(struct kb_chan *c, uint64_t n,
				int (*first)(struct kb_chan *),
				int (*second)(struct kb_chan *))
{
	uint64_t i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++) {
		if (kb_abort)
			return kb_probe_aborted(c);
		ret = first(c);
		if (!ret)
			ret = second(c);
	}
	return ret;
}

#define KB_PROBE_LOOPS(name)						\
static int kb_probe_##name##_ping(struct kb_chan *c, uint64_t n)	\
{									\
	return kb_probe_loop(c, n, kb_probe_##name##_send,		\
			     kb_probe_##name##_recv);			\
}									\
static int kb_probe_##name##_pong(struct kb_chan *c, uint64_t n)	\
{									\
	return kb_probe_loop(c, n, kb_probe_##name##_recv,		\
			     kb_probe_##name##_send);			\
}

KB_PROBE_LOOPS(rw)
KB_PROBE_LOOPS(sock)
KB_PROBE_LOOPS(futex)
KB_PROBE_LOOPS(ring)

const struct kb_mech kb_mech_probe_pipe = {
	.name		= "probe-pipe",
	.desc		= "probe: a bare write()/read() loop on two pipes",
	.tests		= BIT(KB_LATENCY),
	.modes		= KB_ALL_MODES,
	.max_size	= PIPE_BUF,
	.setup		= kb_probe_pipe_setup,
	.attach		= kb_probe_attach,
	.teardown	= kb_probe_teardown,
	.ping		= kb_probe_rw_ping,
	.pong		= kb_probe_rw_pong,
};

const struct kb_mech kb_mech_probe_unix = {
	.name		= "probe-unix",
	.desc		= "probe: a bare send()/recv() loop, unix stream",
	.tests		= BIT(KB_LATENCY),
	.modes		= KB_ALL_MODES,
	.max_size	= PIPE_BUF,
	.setup		= kb_probe_unix_setup,
	.attach		= kb_probe_attach,
	.teardown	= kb_probe_teardown,
	.ping		= kb_probe_sock_ping,
	.pong		= kb_probe_sock_pong,
};

const struct kb_mech kb_mech_probe_eventfd = {
	.name		= "probe-eventfd",
	.desc		= "probe: a bare write()/read() loop on two eventfds",
	.tests		= BIT(KB_LATENCY),
	.modes		= KB_ALL_MODES,
	.max_size	= sizeof(uint64_t),
	.setup		= kb_probe_eventfd_setup,
	.attach		= kb_probe_nonblock,
	.teardown	= kb_probe_teardown,
	.ping		= kb_probe_rw_ping,
	.pong		= kb_probe_rw_pong,
	.kick		= kb_probe_eventfd_kick,
};

const struct kb_mech kb_mech_probe_futex = {
	.name		= "probe-futex",
	.desc		= "probe: futex-shared's mailboxes, a bare loop",
	.tests		= BIT(KB_LATENCY),
	.modes		= KB_ALL_MODES,
	.setup		= kb_probe_futex_setup,
	.teardown	= kb_probe_teardown,
	.ping		= kb_probe_futex_ping,
	.pong		= kb_probe_futex_pong,
	.kick		= kb_probe_futex_kick,
};

const struct kb_mech kb_mech_probe_spin_ring = {
	.name		= "probe-spin-ring",
	.desc		= "probe: spin-ring's ring, a bare loop, both ends spin",
	.tests		= BIT(KB_LATENCY),
	.modes		= BIT(KB_BUSY_POLL),
	.setup		= kb_probe_ring_setup,
	.teardown	= kb_probe_teardown,
	.ping		= kb_probe_ring_ping,
	.pong		= kb_probe_ring_pong,
};
