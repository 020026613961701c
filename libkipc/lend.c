// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Lending: send ranges of ordinary memory without a copy (pinned by the
 * kernel, mapped read-only into the receiver), and the lend queues that
 * say when the sender may reuse them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kipc.h"
#include "sys.h"

/*
 * The most completions one KIPC_IOC_LEND_REAP takes (nr_comps is 1 to 1024
 * in <linux/kipc.h>); more room is clamped, and the call returns a count.
 */
#define KIPC_LEND_REAP_MAX	1024

KIPC_API int kipc_lendq_create(struct kipc *k, unsigned int flags,
			       struct kipc_lendq **qp)
{
	struct kipc_lendq_create lc;
	struct kipc_lendq *q;
	int ret;

	if (!k || !qp || flags & ~KIPC__FD_FLAGS)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	memset(&lc, 0, sizeof(lc));
	lc.size = sizeof(lc);
	lc.flags = KIPC_FD_CLOEXEC | (flags & KIPC_FD_NONBLOCK);
	ret = kipc__ioctl(k->fd, KIPC_IOC_LENDQ_CREATE, &lc);
	if (ret < 0) {
		free(q);
		return ret;
	}
	q->fd = ret;
	*qp = q;
	return 0;
}

KIPC_API int kipc_lendq_fd(const struct kipc_lendq *q)
{
	return q ? q->fd : -EINVAL;
}

KIPC_API int kipc_lendq_close(struct kipc_lendq *q)
{
	int ret;

	if (!q)
		return -EINVAL;
	ret = kipc__close(q->fd);
	free(q);
	return ret;
}

KIPC_API int kipc_lendq_reap(struct kipc_lendq *q,
			     struct kipc_lend_completion *comps,
			     unsigned int n, unsigned int flags)
{
	struct kipc_lend_reap lr;

	if (!q || !comps || !n || flags & ~KIPC_REAP_NONBLOCK)
		return -EINVAL;
	memset(&lr, 0, sizeof(lr));
	lr.size = sizeof(lr);
	lr.flags = flags;
	lr.comps = (uint64_t)(uintptr_t)comps;
	lr.nr_comps = n > KIPC_LEND_REAP_MAX ? KIPC_LEND_REAP_MAX : n;
	return kipc__ioctl(q->fd, KIPC_IOC_LEND_REAP, &lr);
}

KIPC_API int kipc_lend_send(struct kipc_chan *tx, struct kipc_lendq *q,
			    const void *addr, size_t len, uint64_t cookie,
			    uint64_t tag)
{
	struct kipc_lend_ref ref;
	struct kipc_msg m;
	int ret;

	if (!tx || !q)
		return -EINVAL;
	memset(&ref, 0, sizeof(ref));
	ref.addr = (uint64_t)(uintptr_t)addr;
	ref.len = len;
	ref.cookie = cookie;
	kipc_msg_init(&m, NULL, 0, NULL, 0, tag);
	kipc_msg_lend(&m, &ref, 1, q);
	ret = kipc_channel_send(tx, &m, 1, 0, NULL, NULL);
	return ret < 0 ? ret : 0;
}

KIPC_API int kipc_lend_recv(struct kipc_chan *rx, const void **addr,
			    size_t *len, uint64_t *tag)
{
	struct kipc_lend_ref ref;
	struct kipc_msg m;
	int ret;

	if (!rx || !addr || !len)
		return -EINVAL;
	memset(&ref, 0, sizeof(ref));
	kipc_msg_init(&m, NULL, 0, NULL, 0, 0);
	kipc_msg_lend(&m, &ref, 1, NULL);
	ret = kipc_channel_recv(rx, &m, 1, 0, NULL, NULL);
	if (ret <= 0)
		return ret;
	*addr = m.nr_lends ? (const void *)(uintptr_t)ref.addr : NULL;
	*len = m.nr_lends ? ref.len : 0;
	if (tag)
		*tag = m.tag;
	return 1;
}

KIPC_API int kipc_lend_release(const void *addr, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);

	/* As kipc_lend_send.3 says; munmap() would round len up. */
	if (!addr || !len || ((uintptr_t)addr | len) & (page - 1))
		return -EINVAL;
	/* The kernel unpins and completes once the whole range is unmapped. */
	return munmap((void *)addr, len) ? -errno : 0;
}
