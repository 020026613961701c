// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the socket family.
 *
 * unix-stream, unix-dgram, unix-seqpacket:	socketpair(AF_UNIX)
 * tcp:	a TCP connection over 127.0.0.1 with TCP_NODELAY
 *
 * Each side sends and receives on its own socket.  Datagram sockets carry a
 * message in one datagram, so they stop at the socket buffer size.
 */
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "kipc-bench.h"

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
		ret = kb_socket_fit(c, sv[s]);
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
	.desc		= "AF_UNIX SOCK_SEQPACKET socketpair",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.setup		= kb_unix_seqpacket_setup,
	.attach		= kb_fdchan_attach,
	.teardown	= kb_fdchan_teardown,
	.send		= kb_fdchan_send,
	.recv		= kb_fdchan_recv,
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
