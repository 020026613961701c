/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the RPC client and server share: the checks every received header
 * goes through, and filling the header of a message to send.
 */
#ifndef LIBKIPC_RPC_H
#define LIBKIPC_RPC_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "kipc.h"
#include "kipc_rpc.h"

#define RPC_DEFAULT_DEPTH	64	/* the module's default_depth default */
#define RPC_DEFAULT_INLINE	4096
#define RPC_MAX_INLINE		65536	/* a channel's most (kipc_channel_create) */
#define RPC_EVENTS_MAX		1024	/* events a client keeps untaken */

static inline struct timespec rpc_ns_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ULL),
		.tv_nsec = (long)(ns % 1000000000ULL),
	};

	return ts;
}

static inline void rpc_hdr_init(struct kipc_rpc_hdr *h, uint8_t version,
				uint8_t type, uint32_t method,
				uint64_t call_id, uint32_t payload_len)
{
	memset(h, 0, sizeof(*h));
	h->magic = KIPC_RPC_MAGIC;
	h->version = version;
	h->type = type;
	h->hdr_len = KIPC_RPC_HDR_LEN;
	h->method = method;
	h->call_id = call_id;
	h->payload_len = payload_len;
}

/*
 * The header of @len received inline bytes at @buf, checked (protocol.rst,
 * "Errors"): 0 and *@payload at the payload, or -EPROTO.
 */
static inline int rpc_hdr_check(const void *buf, size_t len,
				struct kipc_rpc_hdr *h, const void **payload)
{
	if (len < KIPC_RPC_HDR_LEN)
		return -EPROTO;
	memcpy(h, buf, sizeof(*h));
	if (h->magic != KIPC_RPC_MAGIC || h->hdr_len < KIPC_RPC_HDR_LEN ||
	    h->hdr_len > len || h->payload_len != len - h->hdr_len ||
	    h->type < KIPC_RPC_HELLO || h->type > KIPC_RPC_EVENT)
		return -EPROTO;
	*payload = (const char *)buf + h->hdr_len;
	return 0;
}

/*
 * A server of an inherited service (a process group's): @svc_fd and
 * @termfd are taken over, also on failure. @termfd is an eventfd that
 * nobody reads: once readable, it stops kipc_rpc_server_run() and every
 * later run at once, besides kipc_rpc_server_stop(). @attr gives the
 * depth and inline size the service's connections have. 0, or a negative
 * errno.
 */
/*
 * Release the region buffers @b[0..@n) of a message that was not sent,
 * each once: the module refuses a message that names a buffer twice
 * (-EPERM), and a second release could free the buffer another thread of
 * the handle was given meanwhile.
 */
static inline void rpc_bufs_release(struct kipc_region *r,
				    const struct kipc_buf_ref *b, uint32_t n)
{
	uint32_t i, j;

	for (i = 0; r && i < n; i++) {
		for (j = 0; j < i && b[j].offset != b[i].offset; j++)
			;
		if (j == i)
			kipc_buf_release(r, b[i].offset);
	}
}

/*
 * A payload a side can send (a request, a reply or an event), through a
 * connection with a region (@region) and @max_inline bytes a message:
 * 0, -EINVAL (not valid; the kernel would take a NULL lend queue for fd
 * 0), or -EMSGSIZE.
 */
static inline int rpc_msg_check(const struct kipc_rpc_msg *msg,
				const struct kipc_region *region,
				uint32_t max_inline)
{
	if (msg && ((!msg->data && msg->len) ||
		    msg->nr_bufs > KIPC_MSG_BUFS_MAX ||
		    msg->nr_lends > KIPC_MSG_LENDS_MAX ||
		    (msg->nr_bufs && (!msg->bufs || !region)) ||
		    (msg->nr_lends && (!msg->lends || !msg->lendq))))
		return -EINVAL;
	if (msg && msg->len > max_inline - KIPC_RPC_HDR_LEN)
		return -EMSGSIZE;
	return 0;
}

int kipc__rpc_server_adopt(int svc_fd, int termfd,
			   const struct kipc_rpc_server_attr *attr,
			   struct kipc_rpc_server **sp);

#endif /* LIBKIPC_RPC_H */
