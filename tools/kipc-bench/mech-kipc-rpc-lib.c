// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: kipc-rpc-lib, the rpc test through libkipc's RPC client and
 * server (<kipc_rpc.h>), as an application uses them.
 *
 * After fork side 1 makes a server (kipc_rpc_server_create(), one worker:
 * the calling thread) under a name and serves with kipc_rpc_server_run();
 * its handler hands each request's payload to the harness and answers
 * with kipc_rpc_reply(). Side 0 connects by that name (kipc_rpc_connect(),
 * HELLO included, retried while the server is not there yet) and calls
 * with kipc_rpc_call(). The library writes and checks the protocol header
 * (call ids, types, versions): the harness checks every payload, whose
 * bytes carry the call's sequence number both ways.
 *
 * Against kipc-rpc, which times the service's channels with one
 * kipc_call() a side, the row measures what the library adds: on the
 * server an epoll_wait(), the connection's lookup and a receive and a send
 * per call; on the client the header and the call's bookkeeping.
 * Requests travel inline (up to the server's max_inline, 4096 bytes with
 * the header).
 *
 * Built without libkipc, the row is listed and reported unavailable.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kipc-bench.h"

#ifdef KB_HAVE_LIBKIPC
#include <kipc_rpc.h>

#include "mech-kipc.h"

#define KB_LRPC_INLINE	4096	/* the server's default max_inline */

struct kb_lrpc {
	struct kb_kipc kb;		/* the context */
	char name[64];			/* the server's published name */
	struct kipc_rpc_server *srv;	/* side 1 */
	struct kipc_rpc_client *cl;	/* side 0 */
	kb_rpc_answer_fn answer;	/* side 1, while serving */
	void *answer_arg;
	int err;			/* side 1: what stopped the server */
	char rep[KB_RPC_REPLY];		/* a reply's payload, either side */
};

static int kb_lrpc_available(char *why, size_t len)
{
	return kb_kipc_probe(why, len, KIPC_FEATURE_SERVICE |
			     KIPC_FEATURE_CHANNEL | KIPC_FEATURE_NAMES);
}

static void kb_lrpc_teardown(struct kb_chan *c)
{
	struct kb_lrpc *p = c->priv;

	if (!p)
		return;
	if (p->cl)
		kipc_rpc_client_close(p->cl);
	if (p->srv)
		kipc_rpc_server_destroy(p->srv);	/* and its name */
	else if (!c->side && p->name[0])	/* a server that died */
		kipc_name_unlink(p->kb.k, p->name);
	kb_kipc_free(c);
}

static int kb_lrpc_setup(struct kb_chan *c)
{
	struct kb_lrpc *p;
	int ret;

	ret = kb_kipc_alloc(c, sizeof(struct kb_lrpc));
	if (ret)
		return ret;
	p = c->priv;
	ret = kb_tmpname(p->name, sizeof(p->name), "rpclib");
	if (ret) {
		kb_fail(c, ret, "server name");
		kb_lrpc_teardown(c);
	}
	return ret;
}

/* Side 1's handler: the harness checks the payload and writes the answer. */
static int kb_lrpc_handler(struct kipc_rpc_req *req, void *arg)
{
	struct kb_lrpc *p = arg;
	struct kipc_rpc_req_info in;
	size_t len = 0;
	int ret, last;

	ret = kipc_rpc_req_info(req, &in);
	if (ret < 0) {
		p->err = ret;
		goto stop;
	}
	last = p->answer(p->answer_arg, in.data, in.len, p->rep, &len);
	if (last < 0) {
		p->err = last;
		goto stop;
	}
	ret = kipc_rpc_reply(req, p->rep, len);
	if (ret < 0)
		p->err = ret;
	if (ret < 0 || last)
		goto stop;
	return 0;

stop:
	kipc_rpc_server_stop(p->srv);
	return p->err;
}

/* Side 0 connects once side 1's server is there, within the row's timeout. */
static int kb_lrpc_connect(struct kb_chan *c, struct kb_lrpc *p)
{
	uint64_t end = kb_now_ns() + (c->timeout ? c->timeout : 10) *
				     1000000000ULL;
	struct timespec until = { .tv_sec = end / 1000000000ULL,
				  .tv_nsec = end % 1000000000ULL };
	int ret;

	while ((ret = kipc_rpc_connect(p->kb.k, p->name, 0, &until,
				       &p->cl)) == -ENOENT &&
	       kb_now_ns() < end)
		usleep(1000);
	return ret < 0 ? kb_fail(c, ret, "kipc_rpc_connect") : 0;
}

static int kb_lrpc_attach(struct kb_chan *c)
{
	struct kipc_rpc_server_attr attr = { .nr_workers = 1 };
	struct kb_lrpc *p = c->priv;
	int ret;

	if (!c->side)
		return kb_lrpc_connect(c, p);
	ret = kipc_rpc_server_create(p->kb.k, p->name, 0600, &attr, &p->srv);
	if (ret < 0)
		return kb_kipc_limit(c, ret, "kipc_rpc_server_create");
	ret = kipc_rpc_server_register(p->srv, KB_RPC_METHOD, kb_lrpc_handler,
				       p);
	return ret < 0 ? kb_fail(c, ret, "kipc_rpc_server_register") : 0;
}

/* Side 0: one call; the library checked the reply's header. */
static int kb_lrpc_call(struct kb_chan *c, const struct kb_rpc_msg *req,
			struct kb_rpc_msg *rep)
{
	struct kb_lrpc *p = c->priv;
	struct kipc_rpc_msg rq = { .data = req->payload, .len = req->len };
	struct kipc_rpc_msg rp = { .data = p->rep, .len = sizeof(p->rep) };
	int ret;

	/* --inject corrupt spoils the header the library does not send. */
	if (req->hdr->magic != KIPC_RPC_MAGIC)
		return kb_fail(c, -EBADMSG, "a spoiled header (the library "
			       "writes its own)");
	ret = kipc_rpc_call(p->cl, req->hdr->method, &rq, &rp, 0, NULL);
	if (ret < 0)
		return kb_fail(c, ret, "kipc_rpc_call");
	*rep = (struct kb_rpc_msg){ .payload = p->rep, .len = rp.len };
	return 0;
}

/* Side 1: serve until the harness's answer says the last call came. */
static int kb_lrpc_serve_all(struct kb_chan *c, kb_rpc_answer_fn answer,
			     void *arg)
{
	struct kb_lrpc *p = c->priv;
	int ret;

	p->answer = answer;
	p->answer_arg = arg;
	ret = kipc_rpc_server_run(p->srv);
	if (p->err)
		return p->err;
	return ret < 0 ? kb_fail(c, ret, "kipc_rpc_server_run") : 0;
}

const struct kb_mech kb_mech_kipc_rpc_lib = {
	.name		= "kipc-rpc-lib",
	.desc		= "libkipc's RPC client and server (kipc_rpc_call(), "
			  "kipc_rpc_server_run()); rpc only, inline requests",
	.tests		= BIT(KB_RPC),
	.modes		= BIT(KB_BLOCKING),
	.max_size	= KB_LRPC_INLINE,
	.available	= kb_lrpc_available,
	.setup		= kb_lrpc_setup,
	.attach		= kb_lrpc_attach,
	.teardown	= kb_lrpc_teardown,
	.call		= kb_lrpc_call,
	.serve_all	= kb_lrpc_serve_all,
	.own_header	= true,
};

#else /* !KB_HAVE_LIBKIPC */

const struct kb_mech kb_mech_kipc_rpc_lib = {
	.name		= "kipc-rpc-lib",
	.desc		= "libkipc's RPC client and server (kipc_rpc_call(), "
			  "kipc_rpc_server_run()); rpc only, inline requests",
	.tests		= BIT(KB_RPC),
	.modes		= BIT(KB_BLOCKING),
	.available	= kb_kipc_unbuilt,
	.setup		= kb_kipc_nosetup,
};

#endif /* KB_HAVE_LIBKIPC */
