// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Services and connections: create a service, accept connections on it,
 * connect to one by name, and the call that sends a message and waits for
 * the answer in one system call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kipc.h"
#include "sys.h"

#define CONN_FLAGS	(KIPC_FD_NONBLOCK | KIPC_FD_CLOEXEC | \
			 KIPC_CONN_NONBLOCK | KIPC_DEADLINE_REALTIME)

/*
 * kipc_call()'s messages are struct kipc_msg as the library knows it, and
 * the library's API freezes it at KIPC_MSG_SIZE_VER1 (see channel.c): a
 * uapi that grows it must not change the size kipc_call() passes.
 */
_Static_assert(sizeof(struct kipc_msg) == KIPC_MSG_SIZE_VER1,
	       "libkipc's API freezes struct kipc_msg at KIPC_MSG_SIZE_VER1");

KIPC_API int kipc_service_create(struct kipc *k,
				 const struct kipc_service_attr *attr,
				 struct kipc_service **sp)
{
	static const struct kipc_service_attr defaults;
	struct kipc_service_create sc;
	struct kipc_service *s;
	unsigned int i;
	int ret;

	if (!attr)
		attr = &defaults;
	if (!k || !sp || attr->flags & ~KIPC__FD_FLAGS)
		return -EINVAL;
	for (i = 0; i < sizeof(attr->reserved) / sizeof(attr->reserved[0]); i++)
		if (attr->reserved[i])
			return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(&sc, 0, sizeof(sc));
	sc.size = sizeof(sc);
	sc.flags = KIPC_FD_CLOEXEC | (attr->flags & KIPC_FD_NONBLOCK);
	sc.backlog = attr->backlog;
	sc.depth = attr->depth;
	sc.max_inline = attr->max_inline;
	sc.region_fd = attr->region ? (uint32_t)attr->region->fd : KIPC_NO_FD;
	ret = kipc__ioctl(k->fd, KIPC_IOC_SERVICE_CREATE, &sc);
	if (ret < 0) {
		free(s);
		return ret;
	}
	s->fd = ret;
	*sp = s;
	return 0;
}

KIPC_API int kipc_service_from_fd(int fd, struct kipc_service **sp)
{
	struct kipc_service *s;
	int ret;

	if (!sp)
		return -EINVAL;
	ret = kipc__fd_check(fd);
	if (ret < 0)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = fd;
	*sp = s;
	return 0;
}

KIPC_API int kipc_service_fd(const struct kipc_service *s)
{
	return s ? s->fd : -EINVAL;
}

KIPC_API int kipc_service_close(struct kipc_service *s)
{
	int ret;

	if (!s)
		return -EINVAL;
	ret = kipc__close(s->fd);
	free(s);
	return ret;
}

/*
 * The two ends of a connection, allocated before the call that makes it:
 * once the kernel has made it, nothing may fail.
 */
static int conn_alloc(struct kipc_chan **a, struct kipc_chan **b)
{
	*a = calloc(1, sizeof(**a));
	*b = calloc(1, sizeof(**b));
	if (*a && *b)
		return 0;
	free(*a);
	free(*b);
	return -ENOMEM;
}

/*
 * The flags, clock and deadline of a connect or an accept from the
 * library's @flags and @deadline. 0, or -EINVAL.
 */
static int conn_flags(unsigned int flags, const struct timespec *deadline,
		      __u32 *kflags, __u32 *clockid, __u64 *ns)
{
	__u32 timeout = 0;
	int ret;

	if (flags & ~CONN_FLAGS)
		return -EINVAL;
	ret = kipc__deadline(flags & KIPC_DEADLINE_REALTIME, deadline, &timeout,
			     clockid, ns);
	if (ret < 0)
		return ret;
	*kflags = KIPC_FD_CLOEXEC |
		  (flags & (KIPC_FD_NONBLOCK | KIPC_CONN_NONBLOCK)) |
		  (timeout ? KIPC_CONN_TIMEOUT : 0);
	return 0;
}

KIPC_API int kipc_service_accept(struct kipc_service *s, unsigned int flags,
				 const struct timespec *deadline,
				 struct kipc_chan **rx, struct kipc_chan **tx,
				 struct kipc_peer *client)
{
	struct kipc_chan *r, *t;
	struct kipc_accept ac;
	int ret;

	if (!s || !rx || !tx)
		return -EINVAL;
	memset(&ac, 0, sizeof(ac));
	ret = conn_flags(flags, deadline, &ac.flags, &ac.clockid,
			 &ac.timeout_ns);
	if (ret < 0)
		return ret;
	ac.size = sizeof(ac);
	ret = conn_alloc(&r, &t);
	if (ret < 0)
		return ret;
	ret = kipc__ioctl(s->fd, KIPC_IOC_ACCEPT, &ac);
	if (ret < 0) {
		free(r);
		free(t);
		return ret;
	}
	r->fd = (int)ac.recv_fd;
	t->fd = (int)ac.send_fd;
	*rx = r;
	*tx = t;
	if (client) {
		client->id = ac.id;
		client->pid = ac.pid;
		client->uid = ac.uid;
		client->gid = ac.gid;
	}
	return 0;
}

KIPC_API int kipc_connect(struct kipc *k, const char *name, unsigned int flags,
			  const struct timespec *deadline,
			  struct kipc_chan **tx, struct kipc_chan **rx,
			  struct kipc_peer *server)
{
	struct kipc_chan *t, *r;
	struct kipc_connect cn;
	int ret;

	if (!k || !name || !tx || !rx)
		return -EINVAL;
	memset(&cn, 0, sizeof(cn));
	ret = conn_flags(flags, deadline, &cn.flags, &cn.clockid,
			 &cn.timeout_ns);
	if (ret < 0)
		return ret;
	cn.size = sizeof(cn);
	cn.name = (uint64_t)(uintptr_t)name;
	ret = conn_alloc(&t, &r);
	if (ret < 0)
		return ret;
	ret = kipc__ioctl(k->fd, KIPC_IOC_CONNECT, &cn);
	if (ret < 0) {
		free(t);
		free(r);
		return ret;
	}
	t->fd = (int)cn.send_fd;
	r->fd = (int)cn.recv_fd;
	*tx = t;
	*rx = r;
	if (server) {
		server->id = cn.id;
		server->pid = cn.pid;
		server->uid = cn.uid;
		server->gid = cn.gid;
	}
	return 0;
}

KIPC_API int kipc_call(struct kipc_chan *tx, struct kipc_chan *rx,
		       struct kipc_msg *send, struct kipc_msg *recv,
		       unsigned int flags, const struct timespec *deadline,
		       struct kipc_region *bufs_owner, int *sent)
{
	struct kipc_call call;
	__u32 timeout = 0;
	int ret;

	if (sent)
		*sent = 0;
	if (!tx || !rx || !recv ||
	    flags & ~(KIPC_IO_NONBLOCK | KIPC_DEADLINE_REALTIME))
		return -EINVAL;
	memset(&call, 0, sizeof(call));
	ret = kipc__deadline(flags & KIPC_DEADLINE_REALTIME, deadline, &timeout,
			     &call.clockid, &call.timeout_ns);
	if (ret < 0)
		return ret;
	call.size = sizeof(call);
	call.flags = (flags & KIPC_IO_NONBLOCK) |
		     (timeout ? KIPC_IO_TIMEOUT : 0);
	call.send_msg = (uint64_t)(uintptr_t)send;
	call.recv_msg = (uint64_t)(uintptr_t)recv;
	call.msg_size = KIPC_MSG_SIZE_VER1;	/* == sizeof(*recv), frozen */
	call.recv_fd = (uint32_t)rx->fd;
	call.region_fd = bufs_owner ? (uint32_t)bufs_owner->fd : KIPC_NO_FD;
	ret = kipc__ioctl(tx->fd, KIPC_IOC_CALL, &call);
	if (sent)
		*sent = (int)call.sent;
	return ret;
}
