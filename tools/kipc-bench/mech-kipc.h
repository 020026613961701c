/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc-bench: what kipc's rows (mech-kipc.c, mech-kipc-lend.c and
 * mech-kipc-wait.c) share, built with libkipc only: a context, a channel
 * per direction and a region, created before fork.
 */
#ifndef KB_MECH_KIPC_H
#define KB_MECH_KIPC_H

#include <kipc.h>

#include "kipc-bench.h"

#define KB_KIPC_PAGE		4096ULL

/* @bytes rounded up to whole pages (a region's buffer, a lent range). */
static inline uint64_t kb_kipc_page_up(uint64_t bytes)
{
	return (bytes + KB_KIPC_PAGE - 1) & ~(KB_KIPC_PAGE - 1);
}

/* The start of each kipc row's private state (c->priv). */
struct kb_kipc {
	struct kipc *k;
	struct kipc_chan *tx[2];	/* direction d: side d sends */
	struct kipc_chan *rx[2];
	struct kipc_region *region;	/* created before fork: the mapping */
	char *base;			/* the region, same in both sides */
};

int kb_kipc_alloc(struct kb_chan *c, size_t privsize);
void kb_kipc_free(struct kb_chan *c);
int kb_kipc_limit(struct kb_chan *c, int ret, const char *what);
int kb_kipc_region(struct kb_chan *c, uint64_t bytes, uint64_t buf_size);
int kb_kipc_channels(struct kb_chan *c, const struct kipc_channel_attr *attr);
int kb_kipc_recv(struct kb_chan *c, struct kipc_msg *m, bool nonblock,
		 struct kipc_region *mine);

#endif /* KB_MECH_KIPC_H */
