// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: kipc's own rows, through libkipc.
 *
 * kipc-inline:	the message is inline bytes of a kipc channel, copied in at
 *		send and out at receive (at most 64 KiB, the ABI's cap), through
 *		libkipc's kipc_channel_send_bytes() and kipc_channel_recv()
 * kipc-rw:	the same messages with write(2) and read(2) on the channel's
 *		ends (KIPC_FEATURE_CHANNEL_RW), driven like a pipe
 * kipc-rw-nostats: kipc-rw with the module's statistics off for the row
 *		(its "stats" parameter N, put back after; root): what
 *		counting costs a message. Only when -m names it: the
 *		parameter is global, so other users of kipc go uncounted
 *		while the row runs.
 * kipc-rw-nopoll: kipc-rw with the receiver's polling off for the row
 *		(its "poll_max_ns" parameter 0, put back after; root): what
 *		polling before sleeping gains or costs.  Only when -m names
 *		it: the parameter is global too.
 * kipc-call:	kipc-inline's channels, but each half of a round trip is one
 *		kipc_call() (KIPC_IOC_CALL): the client sends and waits for
 *		the echo, the echoing side sends the echo and waits for the
 *		next message, one system call each instead of two
 * kipc-region:	the message lives in a buffer of a region's pool: the sender
 *		allocates a buffer (waiting while the pool is empty), builds
 *		the message in it and sends its offset; ownership moves to
 *		the receiver, which reads the bytes in place and releases the
 *		buffer back to the pool.  No byte is copied.
 *
 * Each direction is a channel of its own (side d sends on chan[d]); the
 * region is created before fork, so it is mapped at the same address in
 * both processes.  After fork each process attaches a region handle of its
 * own (without a second mapping): buffers are owned by handles, and a
 * private handle gives everything back when its process dies.
 *
 * kipc-lend is in mech-kipc-lend.c, kipc-wait and kipc-ring in
 * mech-kipc-wait.c; the setup, teardown and receive helpers all three use
 * (mech-kipc.h) are here.  Built without libkipc (standalone `make -C
 * tools/kipc-bench`), the rows are listed and reported unavailable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "kipc-bench.h"

#ifdef KB_HAVE_LIBKIPC
#include "mech-kipc.h"

/*
 * The pool: the same number of buffers at every size of a test, so that
 * the cost per message compares across sizes (a smaller pool makes the
 * sender wait for the receiver more often: under TCG on a loaded host a
 * pool of 4 made 4 KiB messages cost 2-3x what a pool of 8 did, the
 * 256 MiB row's two modes; on a quiet host about 1.05x).  The largest
 * size sets it (c->pool_for): its buffers must fit KB_KIPC_REGION_MAX.
 * Untouched, a buffer costs one page whatever its size; with --touch
 * every page is real, so the pool is capped.
 */
#define KB_KIPC_POOL_BUFS	8
#define KB_KIPC_TOUCH_BYTES	(256ULL << 20)
#define KB_KIPC_MIN_BUFS	2
/*
 * The module's default max_region_bytes, not read from the module: one
 * loaded with less fails the largest rows. 256 MiB messages get 4 buffers.
 */
#define KB_KIPC_REGION_MAX	(1ULL << 30)
#define KB_KIPC_MAX_INLINE	65536		/* KIPC_IOC_CHANNEL_CREATE cap */

struct kb_kchan {
	struct kb_kipc kb;
	struct kipc_region *mine;	/* kipc-region: this process's handle */
	uint64_t tx_off;		/* buffer tx_buf() handed out */
	uint64_t rx_off;		/* buffer recv() returned */
	void *rxbuf;			/* kipc-inline: receive buffer */
};

/*
 * kb_kipc_probe() - whether /dev/kipc is there and its module implements
 * the KIPC_FEATURE_* bits @need.  Shared with mech-kipc-lend.c and
 * mech-kipc-wait.c.
 */
int kb_kipc_probe(char *why, size_t len, uint64_t need)
{
	struct kipc_version_info info;
	struct kipc *k;
	int ret;

	if (access(KIPC_DEVICE_PATH, F_OK)) {
		snprintf(why, len, "%s missing", KIPC_DEVICE_PATH);
		return -ENOENT;
	}
	ret = kipc_open(&k, 0);
	if (ret < 0)
		return kb_err(ret, why, len, "kipc_open");
	ret = kipc_version(k, &info);
	kipc_close(k);
	if (ret < 0)
		return kb_err(ret, why, len, "kipc_version");
	if ((info.features & need) != need) {
		snprintf(why, len, "module lacks feature bits 0x%llx",
			 (unsigned long long)(need & ~info.features));
		return -EOPNOTSUPP;
	}
	return 0;
}

static int kb_kipc_inline_available(char *why, size_t len)
{
	return kb_kipc_probe(why, len, KIPC_FEATURE_CHANNEL);
}

static int kb_kipc_rw_available(char *why, size_t len)
{
	return kb_kipc_probe(why, len,
			     KIPC_FEATURE_CHANNEL | KIPC_FEATURE_CHANNEL_RW);
}

static int kb_kipc_region_available(char *why, size_t len)
{
	return kb_kipc_probe(why, len,
			     KIPC_FEATURE_CHANNEL | KIPC_FEATURE_REGION);
}

/**
 * kb_kipc_alloc() - allocate the private state of a kipc row and open a
 * context.
 * @privsize:	size of the row's state, which starts with a struct kb_kipc
 *
 * Return: 0 with the state in c->priv, or -errno with the reason in c->why.
 */
int kb_kipc_alloc(struct kb_chan *c, size_t privsize)
{
	struct kb_kipc *kb;
	int ret;

	kb = calloc(1, privsize);
	if (!kb)
		return kb_fail(c, -ENOMEM, "calloc");
	c->priv = kb;
	ret = kipc_open(&kb->k, 0);
	if (ret < 0) {
		kb_fail(c, ret, "kipc_open");
		kb_kipc_free(c);
		return ret;
	}
	return 0;
}

/* Close what the struct kb_kipc holds and free the row's state. */
void kb_kipc_free(struct kb_chan *c)
{
	struct kb_kipc *kb = c->priv;
	int d;

	for (d = 0; d < 2; d++) {
		if (kb->tx[d])
			kipc_channel_close(kb->tx[d]);
		if (kb->rx[d])
			kipc_channel_close(kb->rx[d]);
	}
	if (kb->region)
		kipc_region_close(kb->region);
	if (kb->k)
		kipc_close(kb->k);
	free(kb);
	c->priv = NULL;
}

/* Quotas and caps of the module read as "too large here": skip the row. */
int kb_kipc_limit(struct kb_chan *c, int ret, const char *what)
{
	if (ret == -EFBIG || ret == -ENOSPC || ret == -ENOMEM)
		ret = -ENOSPC;
	return kb_fail(c, ret, what);
}

/* The region of @bytes, with a pool of @buf_size buffers (0: none). */
int kb_kipc_region(struct kb_chan *c, uint64_t bytes, uint64_t buf_size)
{
	struct kb_kipc *kb = c->priv;
	int ret;

	ret = kipc_region_create(kb->k, bytes, buf_size, 0, &kb->region);
	if (ret < 0)
		return kb_kipc_limit(c, ret, "kipc_region_create");
	kb->base = kipc_region_base(kb->region);
	return 0;
}

/* A channel per direction, of @attr (NULL: the defaults). */
int kb_kipc_channels(struct kb_chan *c, const struct kipc_channel_attr *attr)
{
	struct kb_kipc *kb = c->priv;
	int d, ret;

	for (d = 0; d < 2; d++) {
		ret = kipc_channel_create(kb->k, attr, &kb->tx[d], &kb->rx[d]);
		if (ret < 0)
			return kb_kipc_limit(c, ret, "kipc_channel_create");
	}
	return 0;
}

/*
 * Receive one message into @m from the peer's channel, @mine owning what
 * buffers it carries: 0, -EAGAIN (@nonblock, none there), or -errno with
 * the reason in c->why (end of stream: -EPIPE).
 */
int kb_kipc_recv(struct kb_chan *c, struct kipc_msg *m, bool nonblock,
		 struct kipc_region *mine)
{
	struct kb_kipc *kb = c->priv;
	int ret;

	ret = kipc_channel_recv(kb->rx[!c->side], m, 1,
				nonblock ? KIPC_IO_NONBLOCK : 0, NULL, mine);
	if (ret == -EAGAIN && nonblock)
		return ret;
	if (ret < 0)
		return kb_fail(c, ret, "kipc_channel_recv");
	if (!ret)
		return kb_fail(c, -EPIPE, "kipc_channel_recv: end of stream");
	return 0;
}

static void kb_kipc_teardown(struct kb_chan *c)
{
	struct kb_kchan *p = c->priv;

	if (!p)
		return;
	if (p->mine)
		kipc_region_close(p->mine);
	kb_unmap(p->rxbuf, c->size);
	kb_kipc_free(c);
}

/*
 * Fault in, before the row is timed, what its messages will write: the
 * first page of each of the @n buffers of @buf bytes, or all of them with
 * --touch. Otherwise a buffer's first use in the measured phase (the pool
 * hands out its lowest free buffer, so the warm-up may use only a few)
 * would count its page allocation, a 2 MiB clear with huge pages, in the
 * row.
 */
static void kb_kipc_prefault(struct kb_chan *c, uint64_t n, uint64_t buf)
{
	struct kb_kipc *kb = c->priv;
	uint64_t i, off, len = c->touch ? buf : KB_KIPC_PAGE;

	for (i = 0; i < n; i++)
		for (off = 0; off < len; off += KB_KIPC_PAGE)
			((volatile char *)kb->base)[i * buf + off] = 0;
}

static int kb_kipc_setup(struct kb_chan *c, bool region)
{
	struct kipc_channel_attr attr = { 0 };
	struct kb_kchan *p;
	int ret;

	ret = kb_kipc_alloc(c, sizeof(*p));
	if (ret)
		return ret;
	p = c->priv;
	if (region) {
		uint64_t buf = kb_kipc_page_up(c->size);
		uint64_t most = kb_kipc_page_up(c->pool_for);
		uint64_t n = KB_KIPC_POOL_BUFS;

		if (c->touch && n * most > KB_KIPC_TOUCH_BYTES)
			n = KB_KIPC_TOUCH_BYTES / most;
		if (n * most > KB_KIPC_REGION_MAX)
			n = KB_KIPC_REGION_MAX / most;
		if (n < KB_KIPC_MIN_BUFS)
			n = KB_KIPC_MIN_BUFS;
		snprintf(c->note, sizeof(c->note), "a pool of %llu buffers",
			 (unsigned long long)n);
		ret = kb_kipc_region(c, n * buf, buf);
		if (ret)
			goto out_teardown;
		kb_kipc_prefault(c, n, buf);
		attr.region = p->kb.region;
	} else {
		attr.max_inline = c->size;
		p->rxbuf = kb_map(c->size);
		if (!p->rxbuf) {
			ret = kb_fail(c, -errno, "mmap receive buffer");
			goto out_teardown;
		}
	}
	ret = kb_kipc_channels(c, &attr);
	if (ret)
		goto out_teardown;
	return 0;

out_teardown:
	kb_kipc_teardown(c);
	return ret;
}

static int kb_kipc_inline_setup(struct kb_chan *c)
{
	return kb_kipc_setup(c, false);
}

static int kb_kipc_region_setup(struct kb_chan *c)
{
	return kb_kipc_setup(c, true);
}

/* After fork: a region handle of our own, sharing the inherited mapping. */
static int kb_kipc_region_attach(struct kb_chan *c)
{
	struct kb_kchan *p = c->priv;
	int ret;

	ret = kipc_region_attach(p->kb.region, KIPC_REGION_NOMAP, &p->mine);
	return ret < 0 ? kb_fail(c, ret, "kipc_region_attach") : 0;
}

static int kb_kipc_inline_send(struct kb_chan *c, const void *buf,
			       size_t len)
{
	struct kb_kchan *p = c->priv;
	int ret;

	ret = kipc_channel_send_bytes(p->kb.tx[c->side], buf, len, 0);
	return ret < 0 ? kb_fail(c, ret, "kipc_channel_send_bytes") : 0;
}

static int kb_kipc_inline_recv(struct kb_chan *c, const void **data,
			       size_t len, bool nonblock)
{
	struct kb_kchan *p = c->priv;
	struct kipc_msg m;
	int ret;

	kipc_msg_init(&m, p->rxbuf, c->size, NULL, 0, 0);
	ret = kb_kipc_recv(c, &m, nonblock, NULL);
	if (ret)
		return ret;
	if (m.data_len != len)
		return kb_fail(c, -EMSGSIZE, "message of the wrong size");
	*data = p->rxbuf;
	return 0;
}

/* kipc-call: send @len bytes at @buf and take the peer's next message. */
static int kb_kipc_call_exchange(struct kb_chan *c, const void *buf,
				 size_t len, const void **data)
{
	struct kb_kchan *p = c->priv;
	struct kipc_msg send, recv;
	int ret;

	kipc_msg_init(&send, (void *)buf, len, NULL, 0, 0);
	kipc_msg_init(&recv, p->rxbuf, c->size, NULL, 0, 0);
	ret = kipc_call(p->kb.tx[c->side], p->kb.rx[!c->side], &send, &recv,
			0, NULL, NULL, NULL);
	if (ret < 0)
		return kb_fail(c, ret, "kipc_call");
	if (!ret)
		return kb_fail(c, -EPIPE, "kipc_call: end of stream");
	if (recv.data_len != len)
		return kb_fail(c, -EMSGSIZE, "message of the wrong size");
	*data = p->rxbuf;
	return 0;
}

static int kb_kipc_call_available(char *why, size_t len)
{
	return kb_kipc_probe(why, len,
			     KIPC_FEATURE_CHANNEL | KIPC_FEATURE_SERVICE);
}

/*
 * kipc-rw: a channel per direction, whose ends become plain descriptors
 * (duplicated, the libkipc handles closed) of the fd mechanisms' harness:
 * one write() sends a message, one read() takes one.
 */
static int kb_kipc_rw_setup(struct kb_chan *c)
{
	struct kipc_channel_attr attr = { .max_inline = c->size };
	struct kipc_chan *tx, *rx;
	struct kb_fdchan *f;
	struct kipc *k;
	int d, ret;

	f = kb_fdchan_alloc(c, sizeof(*f), true);
	if (!f)
		return -ENOMEM;
	ret = kipc_open(&k, 0);
	if (ret < 0) {
		kb_fail(c, ret, "kipc_open");
		goto out_teardown;
	}
	for (d = 0; d < 2 && !ret; d++) {
		ret = kipc_channel_create(k, &attr, &tx, &rx);
		if (ret < 0) {
			kb_kipc_limit(c, ret, "kipc_channel_create");
			break;
		}
		f->fd[d][KB_TX] = fcntl(kipc_channel_fd(tx), F_DUPFD_CLOEXEC, 0);
		f->fd[!d][KB_RX] = fcntl(kipc_channel_fd(rx), F_DUPFD_CLOEXEC, 0);
		if (f->fd[d][KB_TX] < 0 || f->fd[!d][KB_RX] < 0)
			ret = kb_fail(c, -errno, "fcntl F_DUPFD_CLOEXEC");
		kipc_channel_close(tx);
		kipc_channel_close(rx);
	}
	kipc_close(k);
	if (!ret)
		return 0;
out_teardown:
	kb_fdchan_teardown(c);
	return ret;
}

/*
 * kipc-rw-nostats and kipc-rw-nopoll: kipc-rw with one module parameter
 * set for the row.  Setup (before fork) reads the parameter and writes
 * the row's value; the parent's teardown writes back what setup read.
 */
#define KB_KIPC_PARAM_DIR	"/sys/module/kipc/parameters/"

/**
 * struct kb_kipc_param_row - a kipc-rw row with a module parameter set.
 * @mech:	the row
 * @path:	the parameter's file
 * @value:	what the row writes there
 */
struct kb_kipc_param_row {
	const struct kb_mech *mech;
	const char *path;
	const char *value;
};

static const struct kb_kipc_param_row kb_kipc_param_rows[] = {
	{ &kb_mech_kipc_rw_nostats, KB_KIPC_PARAM_DIR "stats", "N" },
	{ &kb_mech_kipc_rw_nopoll, KB_KIPC_PARAM_DIR "poll_max_ns", "0" },
};

/* The parameter's value before the row ("Y", "200000"), put back after. */
static char kb_kipc_param_was[32];

/* @m's entry: @m is one of the rows of kb_kipc_param_rows[]. */
static const struct kb_kipc_param_row *
kb_kipc_param_row(const struct kb_mech *m)
{
	const struct kb_kipc_param_row *p = kb_kipc_param_rows;

	while (p->mech != m)
		p++;
	return p;
}

/* Read the value in @path, without its newline, into @buf: 0 or -errno. */
static int kb_kipc_param_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int ret;

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, size, 0);
	ret = n < 0 ? -errno : n == 0 || (size_t)n == size ? -EIO : 0;
	close(fd);
	if (!ret) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
	return ret;
}

/* Write @value to @path: 0 or -errno. */
static int kb_kipc_param_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);
	ssize_t n;
	int ret;

	if (fd < 0)
		return -errno;
	n = pwrite(fd, value, len, 0);
	ret = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return ret;
}

/* Put @p's parameter back as setup found it. */
static void kb_kipc_param_restore(const struct kb_kipc_param_row *p)
{
	int ret = kb_kipc_param_write(p->path, kb_kipc_param_was);

	if (ret)
		kb_warn("cannot put %s back to %s: %s", p->path,
			kb_kipc_param_was, strerror(-ret));
}

/* kipc-rw's probe, then whether @m's parameter is there to be written. */
static int kb_kipc_param_available(const struct kb_mech *m, char *why,
				   size_t len)
{
	const char *path = kb_kipc_param_row(m)->path;
	int ret = kb_kipc_rw_available(why, len);

	if (ret || !access(path, W_OK))
		return ret;
	ret = -errno;
	if (ret == -ENOENT)
		snprintf(why, len, "no %s: a kipc module without it", path);
	else
		snprintf(why, len, "cannot write %s: %s", path,
			 strerror(-ret));
	return ret;
}

static int kb_kipc_rw_nostats_available(char *why, size_t len)
{
	return kb_kipc_param_available(&kb_mech_kipc_rw_nostats, why, len);
}

static int kb_kipc_rw_nopoll_available(char *why, size_t len)
{
	return kb_kipc_param_available(&kb_mech_kipc_rw_nopoll, why, len);
}

static int kb_kipc_param_setup(struct kb_chan *c)
{
	const struct kb_kipc_param_row *p = kb_kipc_param_row(c->mech);
	int ret;

	ret = kb_kipc_param_read(p->path, kb_kipc_param_was,
				 sizeof(kb_kipc_param_was));
	if (!ret)
		ret = kb_kipc_param_write(p->path, p->value);
	if (ret)
		return kb_fail(c, ret, p->path);
	ret = kb_kipc_rw_setup(c);
	if (ret)
		kb_kipc_param_restore(p);
	return ret;
}

/* The parent, which set the parameter, puts it back; the child leaves it. */
static void kb_kipc_param_teardown(struct kb_chan *c)
{
	kb_fdchan_teardown(c);
	if (c->side == 0)
		kb_kipc_param_restore(kb_kipc_param_row(c->mech));
}

/* The sender builds the message in a buffer of the pool. */
static void *kb_kipc_region_tx_buf(struct kb_chan *c)
{
	struct kb_kchan *p = c->priv;
	int ret;

	ret = kipc_buf_alloc(p->mine, &p->tx_off);
	if (ret < 0) {
		kb_fail(c, ret, "kipc_buf_alloc");
		return NULL;
	}
	return p->kb.base + p->tx_off;
}

static int kb_kipc_region_send(struct kb_chan *c, const void *buf,
			       size_t len)
{
	struct kb_kchan *p = c->priv;
	int ret;

	(void)buf;		/* built in place, at tx_off */
	ret = kipc_buf_send(p->kb.tx[c->side], p->mine, p->tx_off, len, 0);
	return ret < 0 ? kb_fail(c, ret, "kipc_buf_send") : 0;
}

static int kb_kipc_region_recv(struct kb_chan *c, const void **data,
			       size_t len, bool nonblock)
{
	struct kb_kchan *p = c->priv;
	struct kipc_buf_ref ref = { .offset = KIPC_BUF_NONE };
	struct kipc_msg m;
	int ret;

	kipc_msg_init(&m, NULL, 0, &ref, 1, 0);
	ret = kb_kipc_recv(c, &m, nonblock, p->mine);
	if (ret)
		return ret;
	if (m.nr_bufs != 1)
		return kb_fail(c, -EBADMSG, "message without a buffer");
	p->rx_off = ref.offset;
	if (ref.len != len)
		return kb_fail(c, -EMSGSIZE, "message of the wrong size");
	*data = p->kb.base + ref.offset;
	return 0;
}

/* The receiver is done reading in place: the buffer goes back to the pool. */
static int kb_kipc_region_recv_done(struct kb_chan *c)
{
	struct kb_kchan *p = c->priv;
	int ret;

	ret = kipc_buf_release(p->mine, p->rx_off);
	return ret < 0 ? kb_fail(c, ret, "kipc_buf_release") : 0;
}

const struct kb_mech kb_mech_kipc_inline = {
	.name		= "kipc-inline",
	.desc		= "kipc channel, inline bytes (copied in and out)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.max_size	= KB_KIPC_MAX_INLINE,
	.available	= kb_kipc_inline_available,
	.setup		= kb_kipc_inline_setup,
	.teardown	= kb_kipc_teardown,
	.send		= kb_kipc_inline_send,
	.recv		= kb_kipc_inline_recv,
};

const struct kb_mech kb_mech_kipc_call = {
	.name		= "kipc-call",
	.desc		= "kipc channels, inline bytes, a round trip's halves "
			  "one kipc_call() each",
	.tests		= BIT(KB_LATENCY),
	.modes		= BIT(KB_BLOCKING),
	.max_size	= KB_KIPC_MAX_INLINE,
	.available	= kb_kipc_call_available,
	.setup		= kb_kipc_inline_setup,
	.teardown	= kb_kipc_teardown,
	.send		= kb_kipc_inline_send,
	.recv		= kb_kipc_inline_recv,
	.exchange	= kb_kipc_call_exchange,
};

const struct kb_mech kb_mech_kipc_rw = {
	.name		= "kipc-rw",
	.desc		= "kipc channel ends, write/read of inline bytes",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.max_size	= KB_KIPC_MAX_INLINE,
	.available	= kb_kipc_rw_available,
	.setup		= kb_kipc_rw_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_fdchan_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
};

const struct kb_mech kb_mech_kipc_rw_nostats = {
	.name		= "kipc-rw-nostats",
	.desc		= "kipc-rw with the module's statistics off (root)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.max_size	= KB_KIPC_MAX_INLINE,
	.named_only	= true,
	.available	= kb_kipc_rw_nostats_available,
	.setup		= kb_kipc_param_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_kipc_param_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
};

const struct kb_mech kb_mech_kipc_rw_nopoll = {
	.name		= "kipc-rw-nopoll",
	.desc		= "kipc-rw with the receiver's polling off (root)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.max_size	= KB_KIPC_MAX_INLINE,
	.named_only	= true,
	.available	= kb_kipc_rw_nopoll_available,
	.setup		= kb_kipc_param_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_kipc_param_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
};

const struct kb_mech kb_mech_kipc_region = {
	.name		= "kipc-region",
	.desc		= "kipc channel carrying region buffers (zero copy)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_kipc_region_available,
	.setup		= kb_kipc_region_setup,
	.attach		= kb_kipc_region_attach,
	.teardown	= kb_kipc_teardown,
	.tx_buf		= kb_kipc_region_tx_buf,
	.send		= kb_kipc_region_send,
	.recv		= kb_kipc_region_recv,
	.recv_done	= kb_kipc_region_recv_done,
};

/* Slab bytes: /proc/meminfo's Slab and, when readable, /proc/slabinfo. */
struct kb_slab {
	long long slab_kb, sunreclaim_kb;
	long long active_bytes;		/* sum of active_objs * objsize */
};

static void kb_slab_read(struct kb_slab *s)
{
	char line[512], name[64];
	long long active, num, objsize, v;
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->active_bytes = -1;
	f = fopen("/proc/meminfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "Slab: %lld kB", &v) == 1)
				s->slab_kb = v;
			else if (sscanf(line, "SUnreclaim: %lld kB", &v) == 1)
				s->sunreclaim_kb = v;
		}
		fclose(f);
	}
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return;
	s->active_bytes = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld %lld %lld", name, &active, &num,
			   &objsize) == 4)
			s->active_bytes += active * objsize;
	fclose(f);
}

/**
 * kb_kipc_chanmem() - `kipc-bench chanmem [N]`: kernel memory per idle
 * channel.  Creates @n unbound channels (default depth and max_inline),
 * reads slab usage before and after, and prints bytes per channel; the
 * figure includes the two open files of each channel.
 */
int kb_kipc_chanmem(unsigned int n)
{
	struct kipc_chan **ch;
	struct kb_slab a, b, c;
	struct rlimit rl = { 2 * n + 64, 2 * n + 64 };
	struct kipc *k;
	unsigned int i;
	int ret;

	if (access(KIPC_DEVICE_PATH, F_OK)) {
		fprintf(stderr, "kipc-bench: %s missing\n", KIPC_DEVICE_PATH);
		return 1;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl))
		kb_warn("setrlimit RLIMIT_NOFILE %u: %s", 2 * n + 64,
			strerror(errno));
	ch = calloc(2 * (size_t)n, sizeof(*ch));
	if (!ch)
		return 1;
	ret = kipc_open(&k, 0);
	if (ret < 0) {
		fprintf(stderr, "kipc-bench: kipc_open: %s\n", strerror(-ret));
		free(ch);
		return 1;
	}
	sync();
	kb_slab_read(&a);
	for (i = 0; i < n; i++) {
		ret = kipc_channel_create(k, NULL, &ch[2 * i], &ch[2 * i + 1]);
		if (ret < 0) {
			fprintf(stderr, "kipc-bench: channel %u: %s\n", i,
				strerror(-ret));
			break;
		}
	}
	kb_slab_read(&b);
	n = i;
	for (i = 0; i < 2 * n; i++)
		kipc_channel_close(ch[i]);
	kipc_close(k);
	free(ch);
	usleep(200000);		/* let deferred frees (RCU, fput) run */
	kb_slab_read(&c);
	if (!n)
		return 1;
	printf("idle channels: %u (default depth and max_inline)\n", n);
	printf("meminfo Slab:       %+lld kB, %.0f bytes per channel "
	       "(after close: %+lld kB)\n", b.slab_kb - a.slab_kb,
	       (b.slab_kb - a.slab_kb) * 1024.0 / n, c.slab_kb - a.slab_kb);
	printf("meminfo SUnreclaim: %+lld kB, %.0f bytes per channel\n",
	       b.sunreclaim_kb - a.sunreclaim_kb,
	       (b.sunreclaim_kb - a.sunreclaim_kb) * 1024.0 / n);
	if (a.active_bytes >= 0)
		printf("slabinfo active objects: %+lld bytes, %.0f bytes per "
		       "channel (after close: %+lld bytes)\n",
		       b.active_bytes - a.active_bytes,
		       (double)(b.active_bytes - a.active_bytes) / n,
		       c.active_bytes - a.active_bytes);
	return 0;
}

#else /* !KB_HAVE_LIBKIPC */

int kb_kipc_unbuilt(char *why, size_t len)
{
	snprintf(why, len, "%s", access("/dev/kipc", F_OK) ?
		 "/dev/kipc missing" : "kipc-bench built without libkipc");
	return -EOPNOTSUPP;
}

int kb_kipc_probe(char *why, size_t len, uint64_t need)
{
	(void)need;
	return kb_kipc_unbuilt(why, len);
}

/* Never set up: available() always fails. */
int kb_kipc_nosetup(struct kb_chan *c)
{
	return kb_fail(c, -EOPNOTSUPP, "built without libkipc");
}

const struct kb_mech kb_mech_kipc_inline = {
	.name		= "kipc-inline",
	.desc		= "kipc channel, inline bytes (copied in and out)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

const struct kb_mech kb_mech_kipc_call = {
	.name		= "kipc-call",
	.desc		= "kipc channels, inline bytes, a round trip's halves "
			  "one kipc_call() each",
	.tests		= BIT(KB_LATENCY),
	.modes		= BIT(KB_BLOCKING),
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

const struct kb_mech kb_mech_kipc_rw = {
	.name		= "kipc-rw",
	.desc		= "kipc channel ends, write/read of inline bytes",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

const struct kb_mech kb_mech_kipc_rw_nostats = {
	.name		= "kipc-rw-nostats",
	.desc		= "kipc-rw with the module's statistics off (root)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.named_only	= true,
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

const struct kb_mech kb_mech_kipc_rw_nopoll = {
	.name		= "kipc-rw-nopoll",
	.desc		= "kipc-rw with the receiver's polling off (root)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.named_only	= true,
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

const struct kb_mech kb_mech_kipc_region = {
	.name		= "kipc-region",
	.desc		= "kipc channel carrying region buffers (zero copy)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

int kb_kipc_chanmem(unsigned int n)
{
	(void)n;
	fprintf(stderr, "kipc-bench: built without libkipc\n");
	return 1;
}

#endif /* KB_HAVE_LIBKIPC */
