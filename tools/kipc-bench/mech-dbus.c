// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: dbus, the rpc test over D-Bus, peer to peer (no bus daemon).
 *
 * Setup makes a temporary directory and listens there with
 * dbus_server_listen("unix:path=DIR/s"), before fork, so that the socket
 * exists when the client connects.  After fork side 0, the client, opens a
 * private connection to it (dbus_connection_open_private()) and drops its
 * copy of the server, which removes the socket file; side 1, the server,
 * accepts the one connection by driving the server's watches with poll().
 *
 * A call is a method call org.kipc.Bench.Call on /org/kipc/Bench whose
 * arguments are the method id (u) and the whole request, the protocol's
 * header then its payload, as a byte array (ay); the reply is a method
 * return of the same signature carrying the 64-byte reply.  The client
 * waits in dbus_connection_send_with_reply_and_block(); the server pops
 * each call with dbus_connection_read_write() and
 * dbus_connection_pop_message() and answers with dbus_connection_send().
 * The uint32 before the array puts the array's bytes at an 8-byte boundary
 * of the message body, so the header is read in place.
 *
 * Built without libdbus-1 (pkg-config dbus-1 missing), the row is listed
 * and reported unavailable.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kipc-bench.h"

#ifdef KB_HAVE_DBUS
#include <dbus/dbus.h>

#define KB_DBUS_PATH		"/org/kipc/Bench"
#define KB_DBUS_IFACE		"org.kipc.Bench"
#define KB_DBUS_MEMBER		"Call"
#define KB_DBUS_WATCHES		8

struct kb_dbus {
	char dir[64];			/* the temporary directory */
	char addr[96];			/* unix:path=DIR/s */
	DBusServer *server;		/* both sides until attach */
	DBusConnection *conn;
	DBusWatch *watches[KB_DBUS_WATCHES];	/* the server's, side 1 */
	unsigned int nr_watches;
	DBusMessage *in;		/* the last call or reply received */
	void *rx;			/* an aligned copy, if ever needed */
};

/* Record a libdbus error as the row's reason; returns @err. */
static int kb_dbus_fail(struct kb_chan *c, int err, const char *what,
			DBusError *e)
{
	if (e && dbus_error_is_set(e)) {
		snprintf(c->why, sizeof(c->why), "%s: %s", what, e->message);
		dbus_error_free(e);
		return err;
	}
	return kb_fail(c, err, what);
}

static void kb_dbus_teardown(struct kb_chan *c)
{
	struct kb_dbus *d = c->priv;

	if (!d)
		return;
	if (d->in)
		dbus_message_unref(d->in);
	if (d->conn) {
		dbus_connection_close(d->conn);
		dbus_connection_unref(d->conn);
	}
	if (d->server) {
		dbus_server_disconnect(d->server);	/* removes the socket */
		dbus_server_unref(d->server);
	}
	if (!c->side && d->dir[0] && rmdir(d->dir))
		kb_warn("rmdir %s: %s", d->dir, strerror(errno));
	kb_unmap(d->rx, c->size);
	free(d);
	c->priv = NULL;
}

static int kb_dbus_setup(struct kb_chan *c)
{
	const char *tmp = getenv("TMPDIR");
	struct kb_dbus *d;
	DBusError e;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return kb_fail(c, -ENOMEM, "calloc");
	c->priv = d;
	d->rx = kb_map(c->size);
	if (!d->rx) {
		ret = kb_fail(c, -errno, "mmap receive buffer");
		goto out_teardown;
	}
	if (snprintf(d->dir, sizeof(d->dir), "%s/kipc-bench-dbus.XXXXXX",
		     tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp") >=
	    (int)sizeof(d->dir) || !mkdtemp(d->dir)) {
		d->dir[0] = '\0';
		ret = kb_fail(c, -errno, "mkdtemp");
		goto out_teardown;
	}
	snprintf(d->addr, sizeof(d->addr), "unix:path=%s/s", d->dir);
	dbus_error_init(&e);
	d->server = dbus_server_listen(d->addr, &e);
	if (!d->server) {
		ret = kb_dbus_fail(c, -EIO, "dbus_server_listen", &e);
		goto out_teardown;
	}
	return 0;

out_teardown:
	kb_dbus_teardown(c);
	return ret;
}

static dbus_bool_t kb_dbus_add_watch(DBusWatch *w, void *data)
{
	struct kb_dbus *d = data;

	if (d->nr_watches == KB_DBUS_WATCHES)
		return FALSE;
	d->watches[d->nr_watches++] = w;
	return TRUE;
}

static void kb_dbus_remove_watch(DBusWatch *w, void *data)
{
	struct kb_dbus *d = data;
	unsigned int i;

	for (i = 0; i < d->nr_watches; i++) {
		if (d->watches[i] == w) {
			d->watches[i] = d->watches[--d->nr_watches];
			break;
		}
	}
}

static void kb_dbus_new_conn(DBusServer *server, DBusConnection *conn,
			     void *data)
{
	struct kb_dbus *d = data;

	(void)server;
	if (!d->conn)		/* without a reference it would be closed */
		d->conn = dbus_connection_ref(conn);
}

/* Side 1: accept the client's connection, polling the server's watches. */
static int kb_dbus_accept(struct kb_chan *c)
{
	struct kb_dbus *d = c->priv;
	uint64_t deadline = kb_now_ns() + c->timeout * 1000000000ULL;
	struct pollfd pfd[KB_DBUS_WATCHES];
	unsigned int i, n;

	dbus_server_set_new_connection_function(d->server, kb_dbus_new_conn,
						d, NULL);
	if (!dbus_server_set_watch_functions(d->server, kb_dbus_add_watch,
					     kb_dbus_remove_watch, NULL, d,
					     NULL))
		return kb_fail(c, -ENOMEM, "dbus_server_set_watch_functions");
	while (!d->conn) {
		if (kb_abort || kb_now_ns() > deadline)
			return kb_fail(c, -ETIMEDOUT, "dbus: accept");
		for (i = n = 0; i < d->nr_watches; i++) {
			if (!dbus_watch_get_enabled(d->watches[i]))
				continue;
			pfd[n].fd = dbus_watch_get_unix_fd(d->watches[i]);
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (poll(pfd, n, 100) < 0 && errno != EINTR)
			return kb_fail(c, -errno, "poll");
		for (i = 0; i < n && i < d->nr_watches; i++)
			if (pfd[i].revents)
				dbus_watch_handle(d->watches[i],
						  DBUS_WATCH_READABLE);
	}
	dbus_server_disconnect(d->server);
	return 0;
}

static int kb_dbus_attach(struct kb_chan *c)
{
	struct kb_dbus *d = c->priv;
	DBusError e;

	if (c->side)
		return kb_dbus_accept(c);
	dbus_error_init(&e);
	d->conn = dbus_connection_open_private(d->addr, &e);
	if (!d->conn)
		return kb_dbus_fail(c, -ECONNREFUSED,
				    "dbus_connection_open_private", &e);
	dbus_connection_set_exit_on_disconnect(d->conn, FALSE);
	/* Connected: this side's copy of the server can go, and the socket. */
	dbus_server_disconnect(d->server);
	return 0;
}

/*
 * Append the arguments of a call or a reply: the method id and the message
 * (header, then payload, contiguous: the default rpc layout).
 */
static int kb_dbus_append(struct kb_chan *c, DBusMessage *m,
			  const struct kb_rpc_msg *msg)
{
	const unsigned char *bytes = (const unsigned char *)msg->hdr;
	dbus_uint32_t method = KB_RPC_METHOD;
	int len = KIPC_RPC_HDR_LEN + msg->len;

	if (msg->payload != (char *)msg->hdr + KIPC_RPC_HDR_LEN)
		return kb_fail(c, -EINVAL, "dbus: message not contiguous");
	if (!dbus_message_append_args(m, DBUS_TYPE_UINT32, &method,
				      DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &bytes,
				      len, DBUS_TYPE_INVALID))
		return kb_fail(c, -ENOMEM, "dbus_message_append_args");
	return 0;
}

/* Point @msg at the protocol message that d->in carries. */
static int kb_dbus_parse(struct kb_chan *c, struct kb_rpc_msg *msg)
{
	struct kb_dbus *d = c->priv;
	const unsigned char *bytes;
	dbus_uint32_t method;
	DBusError e;
	int len;

	dbus_error_init(&e);
	if (!dbus_message_get_args(d->in, &e, DBUS_TYPE_UINT32, &method,
				   DBUS_TYPE_ARRAY, DBUS_TYPE_BYTE, &bytes,
				   &len, DBUS_TYPE_INVALID))
		return kb_dbus_fail(c, -EBADMSG, "dbus_message_get_args", &e);
	if (len < KIPC_RPC_HDR_LEN || (size_t)len > c->size)
		return kb_fail(c, -EMSGSIZE, "dbus: message size");
	if ((uintptr_t)bytes % 8) {	/* not expected: see the top */
		memcpy(d->rx, bytes, len);
		bytes = d->rx;
	}
	msg->hdr = (struct kipc_rpc_hdr *)bytes;
	msg->payload = (char *)bytes + KIPC_RPC_HDR_LEN;
	msg->len = len - KIPC_RPC_HDR_LEN;
	msg->apart = false;
	return 0;
}

static int kb_dbus_call(struct kb_chan *c, const struct kb_rpc_msg *req,
			struct kb_rpc_msg *rep)
{
	struct kb_dbus *d = c->priv;
	DBusMessage *m;
	DBusError e;
	int ret;

	if (d->in) {
		dbus_message_unref(d->in);
		d->in = NULL;
	}
	m = dbus_message_new_method_call(NULL, KB_DBUS_PATH, KB_DBUS_IFACE,
					 KB_DBUS_MEMBER);
	if (!m)
		return kb_fail(c, -ENOMEM, "dbus_message_new_method_call");
	ret = kb_dbus_append(c, m, req);
	if (ret) {
		dbus_message_unref(m);
		return ret;
	}
	dbus_error_init(&e);
	d->in = dbus_connection_send_with_reply_and_block(d->conn, m,
							  c->timeout * 1000,
							  &e);
	dbus_message_unref(m);
	if (!d->in)
		return kb_dbus_fail(c, -EIO,
				    "dbus_connection_send_with_reply_and_block",
				    &e);
	return kb_dbus_parse(c, rep);
}

/* Side 1: wait for the next call; d->in holds it. */
static int kb_dbus_next_call(struct kb_chan *c)
{
	struct kb_dbus *d = c->priv;
	DBusMessage *m;

	for (;;) {
		m = dbus_connection_pop_message(d->conn);
		if (m && dbus_message_is_method_call(m, KB_DBUS_IFACE,
						     KB_DBUS_MEMBER)) {
			d->in = m;
			return 0;
		}
		if (m && dbus_message_is_signal(m, DBUS_INTERFACE_LOCAL,
						"Disconnected")) {
			dbus_message_unref(m);
			return kb_fail(c, -EPIPE, "dbus: client disconnected");
		}
		if (m) {
			dbus_message_unref(m);
			continue;
		}
		if (kb_abort)
			return kb_fail(c, -EINTR, kb_abort == SIGALRM ?
				       "dbus: wait for a call (watchdog)" :
				       "dbus: wait for a call");
		/* A bounded wait: libdbus retries its poll() on EINTR. */
		if (!dbus_connection_read_write(d->conn, 1000))
			return kb_fail(c, -EPIPE, "dbus: disconnected");
	}
}

static int kb_dbus_serve(struct kb_chan *c, const struct kb_rpc_msg *rep,
			 struct kb_rpc_msg *req)
{
	struct kb_dbus *d = c->priv;
	DBusMessage *m;
	int ret;

	if (rep) {
		m = dbus_message_new_method_return(d->in);
		if (!m)
			return kb_fail(c, -ENOMEM,
				       "dbus_message_new_method_return");
		ret = kb_dbus_append(c, m, rep);
		if (!ret && !dbus_connection_send(d->conn, m, NULL))
			ret = kb_fail(c, -ENOMEM, "dbus_connection_send");
		dbus_message_unref(m);
		if (ret)
			return ret;
		dbus_message_unref(d->in);
		d->in = NULL;
		if (!req)
			dbus_connection_flush(d->conn);
	}
	if (!req)
		return 0;
	ret = kb_dbus_next_call(c);
	return ret ? ret : kb_dbus_parse(c, req);
}

const struct kb_mech kb_mech_dbus = {
	.name		= "dbus",
	.desc		= "D-Bus method call, peer to peer (libdbus-1, no bus "
			  "daemon); rpc only",
	.tests		= BIT(KB_RPC),
	.modes		= BIT(KB_BLOCKING),
	.setup		= kb_dbus_setup,
	.attach		= kb_dbus_attach,
	.teardown	= kb_dbus_teardown,
	.call		= kb_dbus_call,
	.serve		= kb_dbus_serve,
};

#else /* !KB_HAVE_DBUS */

static int kb_dbus_unbuilt(char *why, size_t len)
{
	snprintf(why, len, "kipc-bench built without libdbus-1 (libdbus-1-dev)");
	return -EOPNOTSUPP;
}

static int kb_dbus_nosetup(struct kb_chan *c)
{
	return kb_fail(c, -EOPNOTSUPP, "built without libdbus-1");
}

const struct kb_mech kb_mech_dbus = {
	.name		= "dbus",
	.desc		= "D-Bus method call, peer to peer (libdbus-1, no bus "
			  "daemon); rpc only",
	.tests		= BIT(KB_RPC),
	.modes		= BIT(KB_BLOCKING),
	.available	= kb_dbus_unbuilt,
	.setup		= kb_dbus_nosetup,
};

#endif /* KB_HAVE_DBUS */
