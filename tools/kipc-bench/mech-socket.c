// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the socket family.
 *
 * unix-stream, unix-dgram, unix-seqpacket:	socketpair(AF_UNIX)
 * tcp:	a TCP connection over 127.0.0.1 with TCP_NODELAY
 *
 * Each side sends and receives on its own socket.  Datagram sockets carry a
 * message in one datagram, so they stop at the socket buffer size.
 *
 * unix-seqpacket also runs the rpc test: a request is one message (the
 * protocol's header and its payload gathered by one sendmsg()), a reply
 * another.  For requests beyond the socket buffers its setup raises
 * SO_SNDBUF and SO_RCVBUF, past net.core.wmem_max and rmem_max with
 * SO_SNDBUFFORCE and SO_RCVBUFFORCE when it may (CAP_NET_ADMIN: root in the
 * guest), and says so in the row's note; without that the row is skipped.
 */
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "kipc-bench.h"

/*
 * rpc: make room for one request of c->size bytes in one message.  The
 * send buffer bounds a message (an AF_UNIX datagram may be at most
 * SO_SNDBUF less a little); the receive buffer is raised alike.
 */
static int kb_socket_fit_rpc(struct kb_chan *c, int fd)
{
	int want = c->size * 2 + 65536, have;
	socklen_t len = sizeof(have);
	const char *how = "";

	if (c->size > INT32_MAX / 4)
		return kb_fail(c, -EMSGSIZE, "larger than a socket buffer");
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len))
		return kb_fail(c, -errno, "getsockopt SO_SNDBUF");
	if (c->size + 1024 <= (size_t)have)
		return 0;		/* the default buffers do */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want)))
		return kb_fail(c, -errno, "setsockopt SO_SNDBUF, SO_RCVBUF");
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len))
		return kb_fail(c, -errno, "getsockopt SO_SNDBUF");
	if (c->size + 1024 > (size_t)have) {
		/* Capped by net.core.wmem_max: go past it if we may. */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want,
			       sizeof(want)) ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want,
			       sizeof(want)))
			return kb_fail(c, errno == EPERM ? -EMSGSIZE : -errno,
				       "larger than net.core.wmem_max allows, "
				       "and SO_SNDBUFFORCE needs CAP_NET_ADMIN");
		if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len))
			return kb_fail(c, -errno, "getsockopt SO_SNDBUF");
		how = " with SO_SNDBUFFORCE/SO_RCVBUFFORCE, past "
		      "net.core.wmem_max/rmem_max";
	}
	if (c->size + 1024 > (size_t)have)
		return kb_fail(c, -EMSGSIZE, "larger than the socket buffer");
	snprintf(c->note, sizeof(c->note), "SO_SNDBUF and SO_RCVBUF raised to "
		 "%d KiB%s: one message a request", have / 1024, how);
	return 0;
}

/* Side s uses socket sv[s] both ways. */
static void kb_socket_assign(struct kb_fdchan *f, const int sv[2])
{
	int s;

	for (s = 0; s < 2; s++)
		f->fd[s][KB_RX] = f->fd[s][KB_TX] = sv[s];
}

/* A datagram must fit in the send buffer; grow it, or skip the row. */
static int kb_socket_fit(struct kb_chan *c, int fd)
{
	int want = c->size * 2 + 65536, have;
	socklen_t len = sizeof(have);

	if (c->size > INT32_MAX / 4)
		return kb_fail(c, -EMSGSIZE, "larger than a socket buffer");
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)))
		return kb_fail(c, -errno, "setsockopt SO_SNDBUF");
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len))
		return kb_fail(c, -errno, "getsockopt SO_SNDBUF");
	if (c->size + 1024 > (size_t)have)
		return kb_fail(c, -EMSGSIZE,
			       "larger than the socket buffer (net.core.wmem_max)");
	return 0;
}

static int kb_socketpair_setup(struct kb_chan *c, int type)
{
	struct kb_fdchan *f;
	int sv[2], s, ret;

	f = kb_fdchan_alloc(c, sizeof(*f), type != SOCK_STREAM);
	if (!f)
		return -ENOMEM;
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv)) {
		ret = kb_fail(c, -errno, "socketpair");
		goto out_teardown;
	}
	kb_socket_assign(f, sv);
	for (s = 0; s < 2 && type != SOCK_STREAM; s++) {
		ret = c->test == KB_RPC ? kb_socket_fit_rpc(c, sv[s]) :
		      kb_socket_fit(c, sv[s]);
		if (ret)
			goto out_teardown;
	}
	return 0;

out_teardown:
	kb_fdchan_teardown(c);
	return ret;
}

static int kb_unix_stream_setup(struct kb_chan *c)
{
	return kb_socketpair_setup(c, SOCK_STREAM);
}

static int kb_unix_dgram_setup(struct kb_chan *c)
{
	return kb_socketpair_setup(c, SOCK_DGRAM);
}

static int kb_unix_seqpacket_setup(struct kb_chan *c)
{
	return kb_socketpair_setup(c, SOCK_SEQPACKET);
}

/* rpc: send one message of the protocol, header and payload gathered. */
static int kb_seqpacket_rpc_send(struct kb_chan *c, const struct kb_rpc_msg *m)
{
	struct kb_fdchan *f = c->priv;
	struct iovec iov[2] = {
		{ .iov_base = m->hdr, .iov_len = KIPC_RPC_HDR_LEN },
		{ .iov_base = m->payload, .iov_len = m->len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	do
		n = sendmsg(f->fd[c->side][KB_TX], &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR && !kb_abort);
	if (n < 0)
		return kb_fail(c, -errno, "sendmsg");
	if ((size_t)n != KIPC_RPC_HDR_LEN + m->len)
		return kb_fail(c, -EMSGSIZE, "sendmsg: short");
	return 0;
}

/* rpc: receive the next message whole into the receive buffer. */
static int kb_seqpacket_rpc_recv(struct kb_chan *c, struct kb_rpc_msg *m)
{
	struct kb_fdchan *f = c->priv;
	struct iovec iov = { .iov_base = f->rx, .iov_len = c->size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = recvmsg(f->fd[c->side][KB_RX], &mh, 0);
	while (n < 0 && errno == EINTR && !kb_abort);
	if (n < 0)
		return kb_fail(c, -errno, "recvmsg");
	if (!n)
		return kb_fail(c, -EPIPE, "recvmsg: peer closed");
	if ((mh.msg_flags & MSG_TRUNC) || n < KIPC_RPC_HDR_LEN)
		return kb_fail(c, -EMSGSIZE, "recvmsg: message truncated or "
			       "shorter than a header");
	m->hdr = f->rx;
	m->payload = (char *)f->rx + KIPC_RPC_HDR_LEN;
	m->len = n - KIPC_RPC_HDR_LEN;
	m->apart = false;
	return 0;
}

static int kb_seqpacket_call(struct kb_chan *c, const struct kb_rpc_msg *req,
			     struct kb_rpc_msg *rep)
{
	int ret = kb_seqpacket_rpc_send(c, req);

	return ret ? ret : kb_seqpacket_rpc_recv(c, rep);
}

static int kb_seqpacket_serve(struct kb_chan *c, const struct kb_rpc_msg *rep,
			      struct kb_rpc_msg *req)
{
	int ret = rep ? kb_seqpacket_rpc_send(c, rep) : 0;

	return ret || !req ? ret : kb_seqpacket_rpc_recv(c, req);
}

static int kb_tcp_nodelay(struct kb_chan *c, int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return kb_fail(c, -errno, "setsockopt TCP_NODELAY");
	return 0;
}

/* Connect sv[0] to sv[1] through a listener on an ephemeral port. */
static int kb_tcp_connect(struct kb_chan *c, int sv[2])
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sin);
	int lfd, ret = 0;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return kb_fail(c, -errno, "socket");
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) ||
	    listen(lfd, 1)) {
		ret = kb_fail(c, -errno, "listen on 127.0.0.1");
		goto out_close;
	}
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv[0] < 0) {
		ret = kb_fail(c, -errno, "socket");
		goto out_close;
	}
	if (connect(sv[0], (struct sockaddr *)&sin, sizeof(sin))) {
		ret = kb_fail(c, -errno, "connect to 127.0.0.1");
		goto out_close_client;
	}
	sv[1] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (sv[1] < 0) {
		ret = kb_fail(c, -errno, "accept");
		goto out_close_client;
	}
	goto out_close;

out_close_client:
	close(sv[0]);
out_close:
	close(lfd);
	return ret;
}

static int kb_tcp_setup(struct kb_chan *c)
{
	struct kb_fdchan *f;
	int sv[2], s, ret;

	f = kb_fdchan_alloc(c, sizeof(*f), false);
	if (!f)
		return -ENOMEM;
	ret = kb_tcp_connect(c, sv);
	if (ret)
		goto out_teardown;
	kb_socket_assign(f, sv);
	for (s = 0; s < 2; s++) {
		ret = kb_tcp_nodelay(c, sv[s]);
		if (ret)
			goto out_teardown;
	}
	return 0;

out_teardown:
	kb_fdchan_teardown(c);
	return ret;
}

const struct kb_mech kb_mech_unix_stream = {
	.name		= "unix-stream",
	.desc		= "AF_UNIX SOCK_STREAM socketpair",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.setup		= kb_unix_stream_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_fdchan_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
};

const struct kb_mech kb_mech_unix_dgram = {
	.name		= "unix-dgram",
	.desc		= "AF_UNIX SOCK_DGRAM socketpair, one datagram a message",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.setup		= kb_unix_dgram_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_fdchan_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
};

const struct kb_mech kb_mech_unix_seqpacket = {
	.name		= "unix-seqpacket",
	.desc		= "AF_UNIX SOCK_SEQPACKET socketpair; rpc: a message "
			  "a request and a reply",
	.tests		= KB_ALL_TESTS | BIT(KB_RPC),
	.modes		= KB_ALL_MODES,
	.setup		= kb_unix_seqpacket_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_fdchan_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
	.call		= kb_seqpacket_call,
	.serve		= kb_seqpacket_serve,
};

const struct kb_mech kb_mech_tcp = {
	.name		= "tcp",
	.desc		= "TCP over 127.0.0.1, TCP_NODELAY",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.setup		= kb_tcp_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_fdchan_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
};
