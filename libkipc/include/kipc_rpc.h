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

#ifdef __cplusplus
}
#endif

#endif /* LIBKIPC_KIPC_RPC_H */
