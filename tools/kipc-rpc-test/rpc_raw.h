/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the RPC layer's guest tests (kipc-rpc-test and
 * libkipc/test/rpc_server_limits_test): monotonic times, and a connection
 * spoken to by hand, message by message, to play a client that does not
 * follow the protocol.
 */
#ifndef KIPC_RPC_RAW_H
#define KIPC_RPC_RAW_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <kipc.h>
#include <kipc_rpc.h>

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* CLOCK_MONOTONIC @ms from now, as a deadline. */
static inline struct timespec in_ms(unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/* A raw connection, as kipc_connect() gives it. */
struct raw {
	struct kipc_chan *tx, *rx;
};

static inline void raw_close(struct raw *r)
{
	kipc_channel_close(r->tx);
	kipc_channel_close(r->rx);
}

/* @len bytes at @buf as one message: 1, or -errno. */
static inline int raw_send(struct raw *r, const void *buf, size_t len)
{
	struct kipc_msg m;

	kipc_msg_init(&m, (void *)buf, (uint32_t)len, NULL, 0, 0);
	return kipc_channel_send(r->tx, &m, 1, 0, NULL, NULL);
}

/* The next message within @ms: 1 (its header in *h), 0 at end of stream. */
static inline int raw_recv(struct raw *r, struct kipc_rpc_hdr *h,
			   unsigned int ms)
{
	struct timespec dl = in_ms(ms);
	char buf[4096];
	struct kipc_msg m;
	int ret;

	kipc_msg_init(&m, buf, sizeof(buf), NULL, 0, 0);
	ret = kipc_channel_recv(r->rx, &m, 1, 0, &dl, NULL);
	if (ret == 1) {
		if (m.data_len < sizeof(*h))
			return -EPROTO;
		memcpy(h, buf, sizeof(*h));
	}
	return ret;
}

/* HELLO offering versions @vmin to @vmax, into @buf: its length. */
static inline size_t hello_msg(char *buf, uint32_t vmax, uint32_t vmin)
{
	struct kipc_rpc_hello hi = { .version_max = vmax, .version_min = vmin };
	struct kipc_rpc_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = KIPC_RPC_MAGIC;
	h.version = (uint8_t)vmax;
	h.type = KIPC_RPC_HELLO;
	h.hdr_len = KIPC_RPC_HDR_LEN;
	h.payload_len = sizeof(hi);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &hi, sizeof(hi));
	return sizeof(h) + sizeof(hi);
}

/* A version-1 REQUEST header of @method, call_id 9, @len payload bytes. */
static inline void req_hdr(struct kipc_rpc_hdr *h, uint32_t method,
			   uint32_t len)
{
	memset(h, 0, sizeof(*h));
	h->magic = KIPC_RPC_MAGIC;
	h->version = KIPC_RPC_VERSION;
	h->type = KIPC_RPC_REQUEST;
	h->hdr_len = KIPC_RPC_HDR_LEN;
	h->method = method;
	h->call_id = 9;
	h->payload_len = len;
}

#endif /* KIPC_RPC_RAW_H */
