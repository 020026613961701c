// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: kipc-rpc, the rpc test over a kipc service, through libkipc.
 *
 * Setup (before fork) creates a service and publishes it under a name
 * (kipc_service_create(), kipc_name_open() with KIPC_NAME_CREATE).  After
 * fork side 0, the client, connects by that name (kipc_connect()): the
 * send end of the connection's request channel and the receive end of its
 * reply channel; side 1, the server, takes the other two ends with
 * kipc_service_accept().  A call is one system call on each side:
 *
 *	client:	kipc_call(request on tx, reply from rx)
 *	server:	kipc_call(reply on tx, next request from rx)
 *
 * Requests of up to KB_KRPC_INLINE bytes travel inline, header and
 * payload.  Larger ones carry the header inline and the payload in a
 * buffer of a region bound to the service (struct kipc_service_attr
 * .region), created before fork so that both sides map it at the same
 * address; each side attaches a region handle of its own, which owns the
 * buffers it holds.  Ownership moves with the message: the server reads
 * the payload in place and returns the buffer in its reply (it does not
 * release it), so one buffer goes back and forth, the pool never drains
 * and the client allocates a buffer only for its first call.
 *
 * Built without libkipc, the row is listed and reported unavailable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipc-bench.h"

#ifdef KB_HAVE_LIBKIPC
#include "mech-kipc.h"

#define KB_KRPC_INLINE	4096	/* a service's default max_inline */
#define KB_KRPC_BUFS	2	/* the pool: one buffer circulates */

struct kb_krpc {
	struct kb_kipc kb;		/* the context and the region */
	struct kipc_service *svc;
	char name[64];			/* the service's published name */
	bool published;
	bool bufs;			/* payloads travel in region buffers */
	struct kipc_region *mine;	/* this side's region handle */
	struct kipc_chan *tx, *rx;	/* this side's ends of the connection */
	uint64_t buf;			/* the buffer this side holds, or
					 * KIPC_BUF_NONE */
	uint64_t buf_len;		/* its payload bytes, as received */
	struct kipc_rpc_hdr hdr;	/* client: the request header (bufs) */
	void *inl;			/* inline bytes received */
	size_t inl_len;
};

static int kb_krpc_available(char *why, size_t len)
{
	return kb_kipc_probe(why, len, KIPC_FEATURE_SERVICE |
			     KIPC_FEATURE_CHANNEL | KIPC_FEATURE_REGION |
			     KIPC_FEATURE_NAMES);
}

static void kb_krpc_teardown(struct kb_chan *c)
{
	struct kb_krpc *p = c->priv;

	if (!p)
		return;
	if (p->tx)
		kipc_channel_close(p->tx);
	if (p->rx)
		kipc_channel_close(p->rx);
	if (p->mine)
		kipc_region_close(p->mine);	/* gives back what it owns */
	if (p->published && !c->side)
		kipc_name_unlink(p->kb.k, p->name);
	if (p->svc)
		kipc_service_close(p->svc);
	kb_unmap(p->inl, p->inl_len);
	kb_kipc_free(c);
}

static int kb_krpc_setup(struct kb_chan *c)
{
	struct kipc_service_attr attr = { 0 };
	struct kb_krpc *p;
	uint32_t kind;
	int fd, ret;

	ret = kb_kipc_alloc(c, sizeof(*p));
	if (ret)
		return ret;
	p = c->priv;
	p->buf = KIPC_BUF_NONE;
	p->bufs = c->size > KB_KRPC_INLINE;
	if (p->bufs) {
		uint64_t buf = kb_kipc_page_up(c->size - KIPC_RPC_HDR_LEN);
		uint64_t off, len = c->touch ? buf : KB_KIPC_PAGE;
		unsigned int i;

		ret = kb_kipc_region(c, KB_KRPC_BUFS * buf, buf);
		if (ret)
			goto out_teardown;
		/* Fault in what the requests will write before timing them. */
		for (i = 0; i < KB_KRPC_BUFS; i++)
			for (off = 0; off < len; off += KB_KIPC_PAGE)
				((volatile char *)p->kb.base)[i * buf + off] = 0;
		attr.region = p->kb.region;
	}
	p->inl_len = p->bufs ? KB_RPC_REPLY : c->size;
	p->inl = kb_map(p->inl_len);
	if (!p->inl) {
		ret = kb_fail(c, -errno, "mmap receive buffer");
		goto out_teardown;
	}
	ret = kipc_service_create(p->kb.k, &attr, &p->svc);
	if (ret == -ENOTTY) {	/* a module that claims the bit, not the ioctl */
		ret = kb_fail(c, -EOPNOTSUPP, "module without "
			      "KIPC_IOC_SERVICE_CREATE (ENOTTY)");
		goto out_teardown;
	}
	if (ret < 0) {
		kb_kipc_limit(c, ret, "kipc_service_create");
		goto out_teardown;
	}
	ret = kb_tmpname(p->name, sizeof(p->name), "rpc");
	if (ret) {
		kb_fail(c, ret, "service name");
		goto out_teardown;
	}
	fd = kipc_name_open(p->kb.k, p->name, KIPC_NAME_CREATE | KIPC_NAME_EXCL,
			    0600, kipc_service_fd(p->svc), &kind);
	if (fd < 0) {
		ret = kb_kipc_limit(c, fd, "kipc_name_open");
		goto out_teardown;
	}
	p->published = true;
	close(fd);		/* a listener of our own: not needed */
	if (p->bufs)
		snprintf(c->note, sizeof(c->note), "header inline, payload in "
			 "a region buffer that the reply returns");
	return 0;

out_teardown:
	kb_krpc_teardown(c);
	return ret;
}

/* After fork: a region handle of our own, then connect or accept. */
static int kb_krpc_attach(struct kb_chan *c)
{
	struct kb_krpc *p = c->priv;
	int ret;

	if (p->bufs) {
		ret = kipc_region_attach(p->kb.region, KIPC_REGION_NOMAP,
					 &p->mine);
		if (ret < 0)
			return kb_fail(c, ret, "kipc_region_attach");
	}
	if (!c->side) {
		ret = kipc_connect(p->kb.k, p->name, 0, NULL, &p->tx, &p->rx,
				   NULL);
		return ret < 0 ? kb_fail(c, ret, "kipc_connect") : 0;
	}
	ret = kipc_service_accept(p->svc, 0, NULL, &p->rx, &p->tx, NULL);
	return ret < 0 ? kb_fail(c, ret, "kipc_service_accept") : 0;
}

/*
 * Point @out at the protocol message received in @m: the header inline,
 * the payload inline after it, or, when @buf_payload and the message
 * carries a buffer, in that buffer.
 */
static int kb_krpc_parse(struct kb_chan *c, const struct kipc_msg *m,
			 const struct kipc_buf_ref *ref, bool buf_payload,
			 struct kb_rpc_msg *out)
{
	struct kb_krpc *p = c->priv;

	if (m->data_len < KIPC_RPC_HDR_LEN)
		return kb_fail(c, -EMSGSIZE, "message shorter than a header");
	out->hdr = p->inl;
	if (buf_payload && m->nr_bufs) {
		if (m->data_len != KIPC_RPC_HDR_LEN)
			return kb_fail(c, -EBADMSG, "inline payload and a "
				       "buffer");
		out->payload = p->kb.base + ref->offset;
		out->len = ref->len;
		out->apart = true;
	} else {
		out->payload = (char *)p->inl + KIPC_RPC_HDR_LEN;
		out->len = m->data_len - KIPC_RPC_HDR_LEN;
		out->apart = false;
	}
	return 0;
}

/* Client: requests with a buffer are built in it; the header apart. */
static int kb_krpc_rpc_buf(struct kb_chan *c, struct kb_rpc_msg *req)
{
	struct kb_krpc *p = c->priv;
	int ret;

	if (!p->bufs)
		return 0;		/* inline: the default layout */
	if (p->buf == KIPC_BUF_NONE) {	/* the first call */
		ret = kipc_buf_alloc(p->mine, &p->buf);
		if (ret < 0) {
			p->buf = KIPC_BUF_NONE;
			return kb_fail(c, ret, "kipc_buf_alloc");
		}
	}
	req->hdr = &p->hdr;
	req->payload = p->kb.base + p->buf;
	req->apart = true;
	return 0;
}

/* The message @rep or @req of @c: inline bytes, and the buffer if held. */
static void kb_krpc_msg(struct kb_krpc *p, struct kipc_msg *m,
			const struct kb_rpc_msg *msg, struct kipc_buf_ref *ref)
{
	bool buf = p->buf != KIPC_BUF_NONE;

	kipc_msg_init(m, msg->hdr, KIPC_RPC_HDR_LEN + (msg->apart ? 0 :
							msg->len),
		      buf ? ref : NULL, buf, 0);
}

/* Client: one call, one system call. */
static int kb_krpc_call(struct kb_chan *c, const struct kb_rpc_msg *req,
			struct kb_rpc_msg *rep)
{
	struct kb_krpc *p = c->priv;
	struct kipc_buf_ref out = { .offset = p->buf, .len = req->len };
	struct kipc_buf_ref in = { .offset = KIPC_BUF_NONE };
	struct kipc_msg send, recv;
	int ret, sent;

	kb_krpc_msg(p, &send, req, &out);
	kipc_msg_init(&recv, p->inl, p->inl_len, &in, p->bufs, 0);
	ret = kipc_call(p->tx, p->rx, &send, &recv, 0, NULL, p->mine, &sent);
	if (sent)
		p->buf = KIPC_BUF_NONE;	/* it went with the request */
	if (ret < 0)
		return kb_fail(c, ret, "kipc_call");
	if (!ret)
		return kb_fail(c, -EPIPE, "kipc_call: end of stream");
	if (recv.nr_bufs)
		p->buf = in.offset;	/* the server sent it back */
	return kb_krpc_parse(c, &recv, &in, false, rep);
}

/*
 * Server: the reply, returning the request's buffer, and the next request,
 * in one system call; the last reply alone.
 */
static int kb_krpc_serve(struct kb_chan *c, const struct kb_rpc_msg *rep,
			 struct kb_rpc_msg *req)
{
	struct kb_krpc *p = c->priv;
	struct kipc_buf_ref out = { .offset = p->buf, .len = p->buf_len };
	struct kipc_buf_ref in = { .offset = KIPC_BUF_NONE };
	struct kipc_msg send, recv;
	int ret, sent = 0;

	if (rep)
		kb_krpc_msg(p, &send, rep, &out);
	if (!req) {
		ret = kipc_channel_send(p->tx, &send, 1, 0, NULL, p->mine);
		if (ret < 0)
			return kb_fail(c, ret, "kipc_channel_send");
		p->buf = KIPC_BUF_NONE;
		return 0;
	}
	kipc_msg_init(&recv, p->inl, p->inl_len, &in, p->bufs, 0);
	ret = kipc_call(p->tx, p->rx, rep ? &send : NULL, &recv, 0, NULL,
			p->mine, &sent);
	if (sent)
		p->buf = KIPC_BUF_NONE;
	if (ret < 0)
		return kb_fail(c, ret, rep ? "kipc_call" : "kipc_call (receive)");
	if (!ret)
		return kb_fail(c, -EPIPE, "kipc_call: end of stream");
	if (recv.nr_bufs) {
		p->buf = in.offset;
		p->buf_len = in.len;
	}
	return kb_krpc_parse(c, &recv, &in, true, req);
}

const struct kb_mech kb_mech_kipc_rpc = {
	.name		= "kipc-rpc",
	.desc		= "kipc service and connection, kipc_call() (one system "
			  "call a call each side); rpc only",
	.tests		= BIT(KB_RPC),
	.modes		= BIT(KB_BLOCKING),
	.available	= kb_krpc_available,
	.setup		= kb_krpc_setup,
	.attach		= kb_krpc_attach,
	.teardown	= kb_krpc_teardown,
	.rpc_buf	= kb_krpc_rpc_buf,
	.call		= kb_krpc_call,
	.serve		= kb_krpc_serve,
};

#else /* !KB_HAVE_LIBKIPC */

const struct kb_mech kb_mech_kipc_rpc = {
	.name		= "kipc-rpc",
	.desc		= "kipc service and connection, kipc_call() (one system "
			  "call a call each side); rpc only",
	.tests		= BIT(KB_RPC),
	.modes		= BIT(KB_BLOCKING),
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

#endif /* KB_HAVE_LIBKIPC */
