/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The kipc protocol: request/reply messages over a kipc connection
 * (Documentation/userspace-api/kipc/protocol.rst gives every rule).
 *
 * Every message of the protocol starts with struct kipc_rpc_hdr in its
 * inline bytes, in the host's byte order (both ends are on one host); the
 * inline payload follows it. Region buffers and lent ranges of the same
 * kipc message are the rest of the payload.
 */
#ifndef LIBKIPC_KIPC_RPC_H
#define LIBKIPC_KIPC_RPC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KIPC_RPC_MAGIC		0x4350526bU	/* "kRPC" in memory, LE */
#define KIPC_RPC_VERSION	1		/* this header's version */
#define KIPC_RPC_VERSION_MIN	1		/* the oldest still spoken */

/* Message types (struct kipc_rpc_hdr @type). */
enum kipc_rpc_type {
	KIPC_RPC_HELLO		= 1,	/* client -> server: versions offered */
	KIPC_RPC_REQUEST	= 2,	/* client -> server: a call */
	KIPC_RPC_REPLY		= 3,	/* server -> client: its result */
	KIPC_RPC_ERROR		= 4,	/* server -> client: the call failed */
	KIPC_RPC_CANCEL		= 5,	/* client -> server: drop call @call_id */
	KIPC_RPC_EVENT		= 6,	/* either way, no reply */
};

/* Flags (struct kipc_rpc_hdr @flags). */
#define KIPC_RPC_F_ONEWAY	0x0001	/* request: no reply wanted */
#define KIPC_RPC_F_DEADLINE	0x0002	/* @timeout_ns is set */

/**
 * struct kipc_rpc_hdr - the first bytes of every protocol message
 * @magic: KIPC_RPC_MAGIC
 * @version: the protocol version of the sender (in HELLO: the highest it
 *	speaks; afterwards: the version agreed)
 * @type: enum kipc_rpc_type
 * @flags: KIPC_RPC_F_*
 * @hdr_len: sizeof(struct kipc_rpc_hdr) as the sender knows it; the inline
 *	payload starts at this offset
 * @reserved0: zero
 * @method: request: the method id; reply/error: the request's
 * @call_id: the correlation id the client chose; a reply, an error or a
 *	cancel names the request it answers
 * @status: reply: 0; error: a negative errno; hello reply: the version
 *	the server chose
 * @payload_len: inline payload bytes after the header
 * @timeout_ns: request with KIPC_RPC_F_DEADLINE: nanoseconds left until
 *	the caller's deadline when the request was sent
 * @reserved: zero
 */
struct kipc_rpc_hdr {
	uint32_t magic;
	uint8_t version;
	uint8_t type;
	uint16_t flags;
	uint16_t hdr_len;
	uint16_t reserved0;
	uint32_t method;
	uint64_t call_id;
	int32_t status;
	uint32_t payload_len;
	uint64_t timeout_ns;
	uint64_t reserved;
};

#define KIPC_RPC_HDR_LEN	48	/* sizeof(struct kipc_rpc_hdr), v1 */

/* The payload of HELLO: the versions the client speaks. */
struct kipc_rpc_hello {
	uint32_t version_max;	/* the highest version offered */
	uint32_t version_min;	/* the lowest version accepted */
	uint32_t flags;		/* zero */
	uint32_t reserved;	/* zero */
};

/* The payload of the REPLY to HELLO (its status is the version chosen). */
struct kipc_rpc_welcome {
	uint32_t depth;		/* the connection's channel depth: credits */
	uint32_t max_inline;	/* inline bytes a message, header included */
	uint32_t flags;		/* KIPC_RPC_WELCOME_* */
	uint32_t reserved;	/* zero */
};

/* The service has a region, published as "<service name>.region". */
#define KIPC_RPC_WELCOME_REGION	0x0001
#define KIPC_RPC_REGION_SUFFIX	".region"

/*
 * libkipc's RPC layer (libkipc 0.8). A struct kipc_rpc_server serves a
 * named service with worker threads; a struct kipc_rpc_client is one
 * connection to it. Functions return 0 (or a count) or a negative errno.
 */
struct kipc;
struct kipc_region;
struct kipc_lendq;
struct kipc_buf_ref;
struct kipc_lend_ref;
struct timespec;

struct kipc_rpc_server;
struct kipc_rpc_req;
struct kipc_rpc_client;

/* What kipc_rpc_server_create() makes; zero in a field means the default. */
struct kipc_rpc_server_attr {
	uint32_t depth;		 /* each connection's channels; 0: default */
	uint32_t max_inline;	 /* inline bytes a message; 0: 4096 */
	uint32_t backlog;	 /* connections waiting for accept; 0: 128 */
	uint32_t nr_workers;	 /* threads of kipc_rpc_server_run(); 0: 1 */
	struct kipc_region *region; /* buffers of requests and replies */
	uint32_t max_conns_per_uid; /* connections of one uid; 0: 256 */
	uint32_t hello_timeout_ms; /* time a connection has for HELLO; 0: 10 s */
	unsigned int reserved[6]; /* must be zero */
};

/*
 * A method: handles @req, and answers it with kipc_rpc_reply() or
 * kipc_rpc_reply_error(); returning without an answer answers for it:
 * an empty REPLY when the handler returns 0, ERROR with its value when it
 * returns a negative errno. A handler of events (registered with
 * kipc_rpc_server_register_event()) gets the event as @req (call_id 0,
 * method: the event's number); an event is never answered and its return
 * value is ignored.
 */
typedef int (*kipc_rpc_handler)(struct kipc_rpc_req *req, void *arg);

/* A request as the server received it (kipc_rpc_req_info()). */
struct kipc_rpc_req_info {
	uint64_t call_id;	/* the client's id of the call */
	uint64_t conn_id;	/* the connection's id */
	uint64_t deadline_ns;	/* CLOCK_MONOTONIC; 0: no deadline */
	uint32_t method;
	uint32_t pid;		/* the caller, as the kernel saw it */
	uint32_t uid;		/* its effective uid at send */
	uint32_t gid;		/* its effective gid at send */
	const void *data;	/* inline payload, valid during the handler */
	size_t len;
	const struct kipc_buf_ref *bufs; /* now owned by the server's region */
	uint32_t nr_bufs;	/* handle: release, keep or send them on */
	uint32_t nr_lends;	/* lent ranges, released after the handler */
	const struct kipc_lend_ref *lends;
};

/* A payload: inline bytes, region buffers, lent ranges (with a queue). */
struct kipc_rpc_msg {
	void *data;		/* request: bytes sent; reply: room */
	size_t len;		/* request: bytes; reply: in room, out bytes */
	struct kipc_buf_ref *bufs; /* sent; or room for those received */
	uint32_t nr_bufs;	/* in: entries; reply: out: received */
	uint32_t nr_lends;	/* in: entries; reply: out: received */
	struct kipc_lend_ref *lends; /* lent; or room for those received */
	struct kipc_lendq *lendq;   /* with lends sent: their completions */
};

int kipc_rpc_server_create(struct kipc *k, const char *name,
			   unsigned int mode,
			   const struct kipc_rpc_server_attr *attr,
			   struct kipc_rpc_server **sp);
int kipc_rpc_server_register(struct kipc_rpc_server *s, uint32_t method,
			     kipc_rpc_handler fn, void *arg);
int kipc_rpc_server_register_event(struct kipc_rpc_server *s, uint32_t event,
				   kipc_rpc_handler fn, void *arg);
int kipc_rpc_server_notify(struct kipc_rpc_server *s, uint64_t conn_id,
			   uint32_t event, const struct kipc_rpc_msg *msg);
int kipc_rpc_server_run(struct kipc_rpc_server *s);
int kipc_rpc_server_stop(struct kipc_rpc_server *s);
int kipc_rpc_server_connections(const struct kipc_rpc_server *s);
int kipc_rpc_server_destroy(struct kipc_rpc_server *s);

int kipc_rpc_req_info(const struct kipc_rpc_req *req,
		      struct kipc_rpc_req_info *info);
int kipc_rpc_req_cancelled(const struct kipc_rpc_req *req);
int kipc_rpc_reply(struct kipc_rpc_req *req, const void *data, size_t len);
int kipc_rpc_reply_msg(struct kipc_rpc_req *req,
		       const struct kipc_rpc_msg *rep);
int kipc_rpc_reply_error(struct kipc_rpc_req *req, int err);

/* Flags of kipc_rpc_connect(), kipc_rpc_call(), kipc_rpc_submit(). */
#define KIPC_RPC_NONBLOCK	0x0001	/* -EAGAIN instead of waiting */

/* Kinds of completion (struct kipc_rpc_completion @kind). */
#define KIPC_RPC_COMP_CALL	0	/* an asynchronous call finished */
#define KIPC_RPC_COMP_EVENT	1	/* the server sent an event */

/*
 * What kipc_rpc_complete() hands out: a finished asynchronous call, or an
 * event of the server's. An event's payload (@rep, with its data, buffer
 * and lent range entries in the same allocation) is the caller's: take
 * or release its buffers and lent ranges, then free(@rep).
 */
struct kipc_rpc_completion {
	uint64_t call_id;	/* as kipc_rpc_submit() returned it; event: 0 */
	uint64_t user_data;	/* as given to kipc_rpc_submit(); event: 0 */
	int status;		/* 0, or a negative errno */
	uint32_t kind;		/* KIPC_RPC_COMP_* */
	struct kipc_rpc_msg *rep; /* the reply's room, filled in; or the event's */
	uint32_t event;		/* KIPC_RPC_COMP_EVENT: the event's number */
	uint32_t reserved;
};

int kipc_rpc_connect(struct kipc *k, const char *name, unsigned int flags,
		     const struct timespec *deadline,
		     struct kipc_rpc_client **cp);
int kipc_rpc_client_close(struct kipc_rpc_client *c);
int kipc_rpc_client_fd(const struct kipc_rpc_client *c);
struct kipc_region *kipc_rpc_client_region(const struct kipc_rpc_client *c);
int kipc_rpc_client_depth(const struct kipc_rpc_client *c);
int kipc_rpc_client_timeout(const struct kipc_rpc_client *c,
			    struct timespec *next);
int kipc_rpc_call(struct kipc_rpc_client *c, uint32_t method,
		  const struct kipc_rpc_msg *req, struct kipc_rpc_msg *rep,
		  unsigned int flags, const struct timespec *deadline);
int kipc_rpc_submit(struct kipc_rpc_client *c, uint32_t method,
		    const struct kipc_rpc_msg *req, struct kipc_rpc_msg *rep,
		    unsigned int flags, const struct timespec *deadline,
		    uint64_t user_data, uint64_t *call_id);
int kipc_rpc_complete(struct kipc_rpc_client *c,
		      struct kipc_rpc_completion *comps, unsigned int n,
		      unsigned int flags, const struct timespec *deadline);
int kipc_rpc_cancel(struct kipc_rpc_client *c, uint64_t call_id);
int kipc_rpc_notify(struct kipc_rpc_client *c, uint32_t event,
		    const struct kipc_rpc_msg *msg);

#ifdef __cplusplus
}
#endif

#endif /* LIBKIPC_KIPC_RPC_H */
