// SPDX-License-Identifier: GPL-2.0
/*
 * A region's pages and its REGION_BYTES charge belong to its holders.
 *
 * A review found (F2): a channel bound to a region
 * (a service's connection channel, or one created bound to it) took a
 * reference on the region, and the region's shmem file and its charges on
 * the creator's user went only with the last reference. A client that
 * connected to a service bound to a region, or that holds an end of a
 * channel bound to one, kept the server's region, its pages and its
 * max_region_bytes_per_user charge alive after the server had closed every
 * handle and unlinked every name; the client itself can never use the
 * region (no handle: it can neither send nor receive its buffers). A
 * server restarted often enough used up its user's cap.
 *
 * The contract: a region's holders are its handles (region fds, wherever
 * they are) and its names. Channels bound to the region and services keep
 * only a reference. When the last holder goes, the shmem file is put (a
 * mapping keeps its pages) and the REGION_BYTES and POOL_BYTES charges and
 * the region's count in max_regions_per_user (REGIONS) on the creator's
 * user go, whoever still holds a channel bound to the region.
 *
 * Each case runs a server child as SERVER_UID (a user no other object is
 * charged to) and a client child as CLIENT_UID, each with its own context;
 * the parent (root) drives them step by step over a control socket, and
 * reads SERVER_UID's region bytes over netlink (KIPC_CMD_USER_GET,
 * KIPC_A_USER_REGION_BYTES; no record of the user reads as 0). Before the
 * server lets go, each case first checks that the measure sees the region
 * and that the client's fd is bound to it.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define SERVER_UID	65532		/* the region's creator */
#define CLIENT_UID	KT_OTHER_UID	/* holds a channel bound to it */
#define REGION_BYTES	(1024U * 1024)
#define BUF_BYTES	(64U * 1024)
/* Its pool's bookkeeping, 12 bytes a buffer (security.rst). */
#define POOL_BYTES	(REGION_BYTES / BUF_BYTES * 12)
#define STEP_MS		10000	/* the most a child takes to reach a step */
#define CHARGE_MS	2000	/* the most a charge takes to settle */
#define KID_ALARM_S	60	/* a child ends itself after this, whatever */
#define SEED		0x6b697063U
#define SEED2		0x686f6c64U

/* A child as the parent sees it: its pid and its end of the control socket. */
struct actor {
	const char *who;
	pid_t pid;
	int sock;
};

/* A child as it sees itself. */
struct kid {
	int sock;		/* its end of the control socket */
	int peer;		/* its end of the socket between the children */
	int ctx;		/* its own context, opened as its user */
	const char *name;	/* the test's name */
};

/* ---- the children's side ---- */

static void close_all_but(int a, int b)
{
	int fd;

	for (fd = 3; fd < 1024; fd++)
		if (fd != a && fd != b)
			close(fd);
}

/*
 * Report step value @val to the parent, then wait for its go: 0, or -1
 * when the parent has gone.
 */
static int kid_step(struct kid *k, int val)
{
	int go;

	if (send(k->sock, &val, sizeof(val), MSG_NOSIGNAL) != sizeof(val))
		return -1;
	return recv(k->sock, &go, sizeof(go), MSG_WAITALL) == sizeof(go) ?
	       0 : -1;
}

/* Report @val, then hold every fd until the parent kills us or goes. */
static int kid_hold(struct kid *k, int val)
{
	while (!kid_step(k, val))
		;
	return 0;
}

/* Pass @fd to the other child: 0 or -errno. */
static int give_fd(int sock, int fd)
{
	return kt_send_fd(sock, fd, "f", 1);
}

/* The fd give_fd() passed, or -1. */
static int take_fd(int sock)
{
	char byte;

	return kt_recv_fd(sock, &byte, 1);
}

/* A region of REGION_BYTES with a pool of BUF_BYTES buffers; its id in *@id. */
static int new_region(struct kid *k, int *id)
{
	struct kipc_region_create rc;
	int fd = kt_region_create(k->ctx, REGION_BYTES, BUF_BYTES, 0, &rc);

	*id = (int)rc.id;
	return fd;
}

/* SERVICE_CREATE bound to @region: the service fd or -errno. */
static int service_create(int ctx, int region)
{
	struct kipc_service_create sc = {
		.size = sizeof(sc), .region_fd = (__u32)region,
	};
	int ret = ioctl(ctx, KIPC_IOC_SERVICE_CREATE, &sc);

	return ret < 0 ? -errno : ret;
}

/* Publish @fd as @name with @mode (the fd NAME_OPEN gives is closed). */
static int publish(int ctx, const char *name, int fd, __u32 mode)
{
	int ret = kt_name_open(ctx, name, KIPC_NAME_CREATE | KIPC_NAME_EXCL,
			       fd, mode, NULL);

	if (ret < 0)
		return ret;
	close(ret);
	return 0;
}

/* CONNECT to @name, for up to 5 s: 0 or -errno. */
static int do_connect(int ctx, const char *name, struct kipc_connect *cn)
{
	memset(cn, 0, sizeof(*cn));
	cn->size = sizeof(*cn);
	cn->flags = KIPC_CONN_TIMEOUT;
	cn->name = (uintptr_t)name;
	cn->clockid = CLOCK_MONOTONIC;
	cn->timeout_ns = kt_now_ns(CLOCK_MONOTONIC) + 5000000000ULL;
	return ioctl(ctx, KIPC_IOC_CONNECT, cn) ? -errno : 0;
}

static void *map_region(int region)
{
	void *p = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		       region, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void fill(void *p, size_t len, __u32 seed)
{
	__u32 *w = p;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = seed + (__u32)i * 2654435761U;
}

/* 0 when @p holds fill()'s pattern of @seed, else 1. */
static int check(const void *p, size_t len, __u32 seed)
{
	const __u32 *w = p;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		if (w[i] != seed + (__u32)i * 2654435761U)
			return 1;
	return 0;
}

/*
 * Client: take the fd the server passed (a channel end bound to the
 * region), report the region id it is bound to, hold it. Exit 30-31.
 */
static int client_take(struct kid *k)
{
	int fd = take_fd(k->peer);

	if (fd < 0)
		return 30;
	return kid_hold(k, (int)kt_fdinfo_num(fd, "kipc-region-id"));
}

/* ---- the parent's side ---- */

/*
 * Fork a child that becomes @uid, opens its own context and runs @fn with
 * @peer (-1: none) as its end of the socket between the children; it
 * exits with what @fn returns, or 90-92 when its setup failed.
 */
static int actor_spawn(struct actor *a, uid_t uid, int peer, const char *name,
		       int (*fn)(struct kid *k))
{
	pid_t parent = getpid();
	int sv[2], ret;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	a->pid = kt_fork();
	if (a->pid < 0) {
		ret = -errno;
		a->pid = 0;
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	if (a->pid == 0) {
		struct kid k = { .sock = sv[1], .peer = peer, .name = name };

		close_all_but(sv[1], peer);
		/* Whatever goes wrong, the child does not outlive the run. */
		signal(SIGALRM, SIG_DFL);
		alarm(KID_ALARM_S);
		if (kt_become(uid, uid))
			_exit(90);
		/* A new euid clears the parent-death signal: set it again. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(91);
		k.ctx = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (k.ctx < 0)
			_exit(92);
		_exit(fn(&k));
	}
	close(sv[1]);
	a->sock = sv[0];
	return 0;
}

/*
 * Wait for @a's next step: 0 with its value in *@val; -ETIMEDOUT (it is
 * killed); or, when it exited instead, its exit status (the step that
 * failed), -EPIPE for status 0. A child that ended is reaped.
 */
static int actor_await(struct actor *a, int *val)
{
	struct pollfd p = { .fd = a->sock, .events = POLLIN };
	int ret, v;

	if (a->pid <= 0)
		return -ESRCH;
	ret = poll(&p, 1, STEP_MS);
	if (ret < 0)
		return -errno;
	if (ret == 0) {
		kt_reap(a->pid);
		a->pid = 0;
		return -ETIMEDOUT;
	}
	if (recv(a->sock, &v, sizeof(v), MSG_WAITALL) == sizeof(v)) {
		if (val)
			*val = v;
		return 0;
	}
	ret = kt_wait(a->pid, STEP_MS);
	a->pid = 0;
	return ret ? ret : -EPIPE;
}

/* Let @a go on to its next step. */
static int actor_go(struct actor *a)
{
	int go = 1;

	return send(a->sock, &go, sizeof(go), MSG_NOSIGNAL) == sizeof(go) ?
	       0 : -EPIPE;
}

/* Wait for @a to exit: its status (0: done), as kt_wait() gives it. */
static int actor_end(struct actor *a)
{
	int ret;

	if (a->pid <= 0)
		return -ESRCH;
	ret = kt_wait(a->pid, STEP_MS);
	a->pid = 0;
	return ret;
}

static void actor_kill(struct actor *a)
{
	kt_reap(a->pid);
	a->pid = 0;
}

/*
 * The charge @attr (KIPC_A_USER_REGION_BYTES, _POOL_BYTES) of @uid now: 0,
 * or -errno. No record holds none.
 */
static int user_charge(uid_t uid, __u16 attr, __u64 *bytes)
{
	int ret = kt_genl_get_u64(KIPC_CMD_USER_GET, KIPC_A_USER_UID, uid,
				  attr, bytes);

	if (ret == -ENOENT) {
		*bytes = 0;
		ret = 0;
	}
	return ret;
}

/*
 * SERVER_UID's charge @attr in *@got once it is @want, or after CHARGE_MS
 * as it is then: 0, or -errno of the netlink request. The module charges
 * and uncharges in the calls and releases themselves (a close's release
 * has run when close() returns, an exit's before waitpid() sees it), and
 * the test reads a charge once it has seen the child's step or exit: no
 * pause before the first read.
 */
static int settle_charge(__u16 attr, __u64 want, __u64 *got)
{
	unsigned int waited;
	int ret;

	for (waited = 0;; waited += 10) {
		ret = user_charge(SERVER_UID, attr, got);
		if (ret || *got == want || waited >= CHARGE_MS)
			return ret;
		kt_sleep_ms(10);
	}
}

FIXTURE(holders) {
	struct actor server, client;
	int peer[2];		/* the server's end, the client's end */
	char name[64];
	long taint;
};

FIXTURE_SETUP(holders)
{
	__u64 bytes;
	int ctx, ret;

	self->server = (struct actor){ .who = "server", .sock = -1 };
	self->client = (struct actor){ .who = "client", .sock = -1 };
	self->peer[0] = -1;
	self->peer[1] = -1;
	snprintf(self->name, sizeof(self->name), "region-holders-%d",
		 getpid());
	kipc_test_open(ctx);
	kipc_test_require(ctx, KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL |
			  KIPC_FEATURE_NAMES | KIPC_FEATURE_SERVICE);
	if (geteuid() != 0) {
		close(ctx);
		SKIP(return, "needs root to run children as other users");
	}
	/* Root holds a context: its record must carry the attribute. */
	ret = kt_genl_get_u64(KIPC_CMD_USER_GET, KIPC_A_USER_UID, 0,
			      KIPC_A_USER_REGION_BYTES, &bytes);
	close(ctx);
	ASSERT_EQ(0, ret) TH_LOG("user-get of root, region bytes: %s",
				 strerror(-ret));
	ret = settle_charge(KIPC_A_USER_REGION_BYTES, 0, &bytes);
	ASSERT_EQ(0, ret) TH_LOG("user-get of uid %d: %s", SERVER_UID,
				 strerror(-ret));
	ASSERT_EQ(0, bytes)
		TH_LOG("uid %d holds %llu region bytes before the test",
		       SERVER_UID, (unsigned long long)bytes);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				self->peer));
	self->taint = kt_taint();
}

FIXTURE_TEARDOWN(holders)
{
	int ctx;

	kt_reap(self->server.pid);
	kt_reap(self->client.pid);
	if (self->server.sock >= 0)
		close(self->server.sock);
	if (self->client.sock >= 0)
		close(self->client.sock);
	if (self->peer[0] >= 0)
		close(self->peer[0]);
	if (self->peer[1] >= 0)
		close(self->peer[1]);
	/* A server that failed may have left its name. */
	ctx = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (ctx >= 0) {
		kt_name_unlink(ctx, self->name);
		close(ctx);
	}
}

/* Spawn child @a (&self->server or &self->client), failing the test if it cannot be. */
#define SPAWN(a, uid, peer, fn)						\
	do {								\
		struct actor *__a = (a);				\
		int __ret = actor_spawn(__a, (uid), (peer), self->name, \
					(fn));				\
		ASSERT_EQ(0, __ret) TH_LOG("fork of the %s: %s",	\
					   __a->who, strerror(-__ret)); \
	} while (0)

/* Wait for @a's next step, its value in @val (an int *, may be NULL). */
#define AWAIT(a, val)							\
	do {								\
		struct actor *__a = (a);				\
		int __ret = actor_await(__a, (val));			\
		ASSERT_EQ(0, __ret)					\
			TH_LOG("the %s: %d (> 0: the step that failed)", \
			       __a->who, __ret);			\
	} while (0)

#define GO(a)								\
	do {								\
		struct actor *__a = (a);				\
		ASSERT_EQ(0, actor_go(__a)) TH_LOG("the %s is gone", __a->who); \
	} while (0)

/* Wait for @a's exit, which must be its success. */
#define END(a)								\
	do {								\
		struct actor *__a = (a);				\
		int __ret = actor_end(__a);				\
		ASSERT_EQ(0, __ret)					\
			TH_LOG("the %s exited with %d (the step that failed)", \
			       __a->who, __ret);			\
	} while (0)

/* The children have their ends of the peer socket: the parent needs none. */
#define CLOSE_PEER()							\
	do {								\
		close(self->peer[0]);					\
		close(self->peer[1]);					\
		self->peer[0] = -1;					\
		self->peer[1] = -1;					\
	} while (0)

/* SERVER_UID's charge @attr, named @unit, must be (or become) @want. */
#define EXPECT_CHARGE(attr, unit, want, what)				\
	do {								\
		__u64 __want = (want), __got = ~0ULL;			\
		int __ret = settle_charge((attr), __want, &__got);	\
		ASSERT_EQ(0, __ret) TH_LOG("user-get of uid %d: %s",	\
					   SERVER_UID, strerror(-__ret)); \
		EXPECT_EQ(__want, __got)				\
			TH_LOG("%s: uid %d has %llu %s charged, not %llu", \
			       (what), SERVER_UID,			\
			       (unsigned long long)__got, (unit),	\
			       (unsigned long long)__want);		\
	} while (0)

#define EXPECT_REGION_BYTES(want, what)					\
	EXPECT_CHARGE(KIPC_A_USER_REGION_BYTES, "region bytes", want, what)
#define EXPECT_POOL_BYTES(want, what)					\
	EXPECT_CHARGE(KIPC_A_USER_POOL_BYTES, "pool bytes", want, what)
#define EXPECT_REGIONS(want, what)					\
	EXPECT_CHARGE(KIPC_A_USER_REGIONS, "regions", want, what)

/*
 * Server of bound_channel_keeps_no_bytes_after_the_last_handle: a region,
 * a service bound to it published 0622; at the go, unlink, close, exit.
 * Step: the region's id. Exit 10-14.
 */
static int server_service(struct kid *k)
{
	int region, svc, id;

	region = new_region(k, &id);
	if (region < 0)
		return 10;
	svc = service_create(k->ctx, region);
	if (svc < 0)
		return 11;
	if (publish(k->ctx, k->name, svc, 0622))
		return 12;
	if (kid_step(k, id))
		return 13;
	if (kt_name_unlink(k->ctx, k->name))
		return 14;
	close(svc);
	close(region);
	close(k->ctx);
	return 0;
}

/*
 * Client: connect (not accepted: the connection's channels are bound to
 * the region all the same), report the region id its send end is bound
 * to, hold both ends. Exit 20.
 */
static int client_connect(struct kid *k)
{
	struct kipc_connect cn;

	if (do_connect(k->ctx, k->name, &cn))
		return 20;
	return kid_hold(k, (int)kt_fdinfo_num(cn.send_fd, "kipc-region-id"));
}

/*
 * A client connected to a service bound to a region: the server unlinks
 * the service's name, closes the service and the region fd and exits. The
 * region's bytes, its pool and its count are no longer charged to the
 * server's user, while the client still holds its connection's channels
 * (bound to the region), and after it has gone.
 */
TEST_F(holders, bound_channel_keeps_no_bytes_after_the_last_handle)
{
	int id, bound;

	SPAWN(&self->server, SERVER_UID, -1, server_service);
	AWAIT(&self->server, &id);
	SPAWN(&self->client, CLIENT_UID, -1, client_connect);
	AWAIT(&self->client, &bound);
	CLOSE_PEER();
	ASSERT_EQ(id, bound) TH_LOG("the connection is not bound to the region");
	EXPECT_REGION_BYTES(REGION_BYTES, "the server holds its region");
	EXPECT_POOL_BYTES(POOL_BYTES, "the server holds its region's pool");
	EXPECT_REGIONS(1, "the server holds its region");

	GO(&self->server);
	END(&self->server);
	ASSERT_EQ(0, kill(self->client.pid, 0)) TH_LOG("the client is gone");
	EXPECT_REGION_BYTES(0, "no handle or name left, a client's connection kept");
	EXPECT_POOL_BYTES(0, "no handle or name left, a client's connection kept");
	EXPECT_REGIONS(0, "no handle or name left, a client's connection kept");

	actor_kill(&self->client);
	EXPECT_REGION_BYTES(0, "the client is gone too");
	EXPECT_EQ(0, kt_new_reports(self->taint))
		TH_LOG("the kernel reported a WARN or an oops");
}

/*
 * Server of channel_bound_to_a_region_keeps_no_bytes: a region, a channel
 * bound to it whose receive end goes to the client; at the go, close all,
 * exit. Step: the region's id. Exit 10-13.
 */
static int server_channel(struct kid *k)
{
	int region, id, s, r;

	region = new_region(k, &id);
	if (region < 0)
		return 10;
	if (kt_channel_create(k->ctx, 0, 0, 0, region, &s, &r))
		return 11;
	if (give_fd(k->peer, r))
		return 12;
	close(r);
	if (kid_step(k, id))
		return 13;
	close(s);
	close(region);
	close(k->ctx);
	return 0;
}

/*
 * The receive end of a channel created bound to a region, held by another
 * user: the creator closes the region fd and the channel's send end and
 * exits; the region's bytes and its count are no longer charged to it.
 */
TEST_F(holders, channel_bound_to_a_region_keeps_no_bytes)
{
	int id, bound;

	SPAWN(&self->server, SERVER_UID, self->peer[0], server_channel);
	AWAIT(&self->server, &id);
	SPAWN(&self->client, CLIENT_UID, self->peer[1], client_take);
	AWAIT(&self->client, &bound);
	CLOSE_PEER();
	ASSERT_EQ(id, bound) TH_LOG("the client's receive end is not bound to the region");
	EXPECT_REGION_BYTES(REGION_BYTES, "the creator holds its region");
	EXPECT_REGIONS(1, "the creator holds its region");

	GO(&self->server);
	END(&self->server);
	ASSERT_EQ(0, kill(self->client.pid, 0)) TH_LOG("the client is gone");
	EXPECT_REGION_BYTES(0, "no handle or name left, a bound channel's end kept");
	EXPECT_REGIONS(0, "no handle or name left, a bound channel's end kept");

	actor_kill(&self->client);
	EXPECT_REGION_BYTES(0, "the client is gone too");
	EXPECT_EQ(0, kt_new_reports(self->taint))
		TH_LOG("the kernel reported a WARN or an oops");
}

/*
 * Server of a_handle_or_a_name_keeps_the_bytes, one holder at a time:
 * 1. a region and a bound channel whose receive end goes to the client;
 * 2. a second handle, the first closed;
 * 3. a name of it (0600), the handle closed;
 * 4. a handle opened by the name, the name unlinked;
 * then that handle goes to the client, and the server exits.
 * Steps: the region's id, then 0. Exit 10-22.
 */
static int server_holders(struct kid *k)
{
	struct kipc_name_open res = { 0 };
	int region, h2, h3, named, id, s, r;

	region = new_region(k, &id);
	if (region < 0)
		return 10;
	if (kt_channel_create(k->ctx, 0, 0, 0, region, &s, &r))
		return 11;
	if (give_fd(k->peer, r))
		return 12;
	close(r);
	if (kid_step(k, id))
		return 13;

	h2 = kt_region_attach(region, KIPC_FD_CLOEXEC);
	if (h2 < 0)
		return 14;
	close(region);
	if (kid_step(k, 0))
		return 15;

	named = kt_name_open(k->ctx, k->name,
			     KIPC_NAME_CREATE | KIPC_NAME_EXCL, h2, 0600, NULL);
	if (named < 0)
		return 16;
	close(named);
	close(h2);
	if (kid_step(k, 0))
		return 17;

	h3 = kt_name_open(k->ctx, k->name, KIPC_FD_CLOEXEC, -1, 0, &res);
	if (h3 < 0)
		return 18;
	if (res.kind != KIPC_NAME_REGION || res.id != (__u32)id)
		return 19;
	if (kt_name_unlink(k->ctx, k->name))
		return 20;
	if (kid_step(k, 0))
		return 21;

	if (give_fd(k->peer, h3))
		return 22;
	close(h3);
	close(s);
	close(k->ctx);
	return 0;
}

/*
 * Client of a_handle_or_a_name_keeps_the_bytes: take the receive end
 * (step: the region id it is bound to), then the server's last handle
 * (step: its region's id), close that handle, hold the receive end.
 * Exit 30-34.
 */
static int client_holders(struct kid *k)
{
	struct kipc_region_info ri;
	int r, h;

	r = take_fd(k->peer);
	if (r < 0)
		return 30;
	if (kid_step(k, (int)kt_fdinfo_num(r, "kipc-region-id")))
		return 31;
	h = take_fd(k->peer);
	if (h < 0)
		return 32;
	if (kt_region_info(h, &ri))
		return 33;
	if (kid_step(k, (int)ri.id))
		return 34;
	close(h);
	return kid_hold(k, 0);
}

/*
 * The control case: the charge follows the holders both ways. Whatever
 * else holds the region (a channel bound to it, held by another user), a
 * handle of the creator's, a name alone, a handle opened by that name, and
 * a handle another user holds each keep its bytes charged to the creator;
 * when the last of them goes, the bytes go.
 */
TEST_F(holders, a_handle_or_a_name_keeps_the_bytes)
{
	int id, bound, held;

	SPAWN(&self->server, SERVER_UID, self->peer[0], server_holders);
	AWAIT(&self->server, &id);
	SPAWN(&self->client, CLIENT_UID, self->peer[1], client_holders);
	AWAIT(&self->client, &bound);
	CLOSE_PEER();
	ASSERT_EQ(id, bound) TH_LOG("the client's receive end is not bound to the region");
	EXPECT_REGION_BYTES(REGION_BYTES, "the region fd");

	GO(&self->server);
	AWAIT(&self->server, NULL);
	EXPECT_REGION_BYTES(REGION_BYTES, "a second handle, the first closed");

	GO(&self->server);
	AWAIT(&self->server, NULL);
	EXPECT_REGION_BYTES(REGION_BYTES, "a name, every handle closed");

	GO(&self->server);
	AWAIT(&self->server, NULL);
	EXPECT_REGION_BYTES(REGION_BYTES, "a handle opened by the name, the name unlinked");

	GO(&self->server);
	END(&self->server);
	GO(&self->client);
	AWAIT(&self->client, &held);
	ASSERT_EQ(id, held) TH_LOG("the client did not get a handle of the region");
	EXPECT_REGION_BYTES(REGION_BYTES, "a handle another user holds, the creator gone");

	GO(&self->client);
	AWAIT(&self->client, NULL);
	EXPECT_REGION_BYTES(0, "the last handle closed, no name, a bound channel kept");

	actor_kill(&self->client);
	EXPECT_REGION_BYTES(0, "the client is gone too");
	EXPECT_EQ(0, kt_new_reports(self->taint))
		TH_LOG("the kernel reported a WARN or an oops");
}

/*
 * Server of a_mapping_outlives_the_last_handle: a region mapped and
 * filled, a bound channel whose receive end goes to the client; at the
 * go, close the region fd (the only handle, no name ever) and the
 * channel's send end, step with the mapping's check (0: the pattern is
 * there); at the next go, check it again, write and check another, unmap.
 * Exit 10-15, or 40 + what failed of the last checks.
 */
static int server_mapping(struct kid *k)
{
	int region, id, s, r, bad;
	void *map;

	region = new_region(k, &id);
	if (region < 0)
		return 10;
	map = map_region(region);
	if (!map)
		return 11;
	fill(map, REGION_BYTES, SEED);
	if (kt_channel_create(k->ctx, 0, 0, 0, region, &s, &r))
		return 12;
	if (give_fd(k->peer, r))
		return 13;
	close(r);
	if (kid_step(k, id))
		return 14;

	close(region);
	close(s);
	close(k->ctx);
	if (kid_step(k, check(map, REGION_BYTES, SEED)))
		return 15;

	bad = check(map, REGION_BYTES, SEED);
	fill(map, REGION_BYTES, SEED2);
	bad |= check(map, REGION_BYTES, SEED2) << 1;
	munmap(map, REGION_BYTES);
	return bad ? 40 + bad : 0;
}

/*
 * A mapping keeps the pages, not the charge: the last handle of a mapped
 * region closes (it never had a name) while another user holds a channel
 * bound to it. The mapping still reads what was written, and can be
 * written and read again, before and after the channel goes; the region's
 * bytes are no longer charged.
 */
TEST_F(holders, a_mapping_outlives_the_last_handle)
{
	int id, bound, bad;

	SPAWN(&self->server, SERVER_UID, self->peer[0], server_mapping);
	AWAIT(&self->server, &id);
	SPAWN(&self->client, CLIENT_UID, self->peer[1], client_take);
	AWAIT(&self->client, &bound);
	CLOSE_PEER();
	ASSERT_EQ(id, bound) TH_LOG("the client's receive end is not bound to the region");
	EXPECT_REGION_BYTES(REGION_BYTES, "the region fd and a mapping");

	GO(&self->server);
	AWAIT(&self->server, &bad);
	EXPECT_EQ(0, bad) TH_LOG("the mapping lost its pages with the last handle");
	EXPECT_REGION_BYTES(0, "only a mapping and a bound channel left");

	actor_kill(&self->client);
	EXPECT_REGION_BYTES(0, "the client is gone too");
	GO(&self->server);
	END(&self->server);
	EXPECT_EQ(0, kt_new_reports(self->taint))
		TH_LOG("the kernel reported a WARN or an oops");
}

/*
 * Server of buffers_in_flight_when_the_last_holder_goes: a region, a
 * bound channel whose receive end goes to the client, two messages
 * carrying one of the region's buffers each ("head", "mid ") queued on it,
 * then an inline one ("tail"); at the go, close the region fd (its only
 * handle, no name) and the send end, exit. Step: the region's id.
 * Exit 10-18.
 */
static int server_inflight(struct kid *k)
{
	static const char *const data[] = { "head", "mid ", "tail" };
	struct kipc_region_info ri;
	struct kipc_buf_ref ref;
	struct kipc_msg m;
	int region, id, s, r, i;
	void *map;
	__u64 off;

	region = new_region(k, &id);
	if (region < 0)
		return 10;
	map = map_region(region);
	if (!map)
		return 11;
	if (kt_channel_create(k->ctx, 0, 0, 0, region, &s, &r))
		return 12;
	if (give_fd(k->peer, r))
		return 13;
	close(r);
	for (i = 0; i < 2; i++) {
		if (kt_buf_alloc(region, &off))
			return 14;
		fill((char *)map + off, BUF_BYTES, SEED);
		ref.offset = off;
		ref.len = BUF_BYTES;
		kt_msg_init(&m, data[i], 4, &ref, 1, i + 1);
		if (kt_io(s, KIPC_IOC_SEND, &m, 1, KIPC_IO_NONBLOCK, region,
			  0, 0) != 1)
			return 15;
	}
	if (kt_send1(s, data[2], 4, 3, KIPC_IO_NONBLOCK) != 1)
		return 16;
	if (kt_region_info(region, &ri) || ri.nr_in_flight != 2)
		return 17;
	munmap(map, REGION_BYTES);
	if (kid_step(k, id))
		return 18;

	close(region);
	close(s);
	close(k->ctx);
	return 0;
}

/*
 * What a receive of the client of buffers_in_flight_when_the_last_holder_goes
 * got, into @m and @buf (64 bytes): its result, or 100 + 10 * flags +
 * nr_bufs out for one message whose data is @want (4 bytes) and whose tag
 * is @tag, or -1000 for another one.
 */
static int inflight_recv(int r, int region_fd, const char *want, __u64 tag,
			 struct kipc_msg *m, char *buf)
{
	static struct kipc_buf_ref ref;
	int ret;

	kt_msg_init(m, buf, 64, &ref, 1, 0);
	ret = kt_io(r, KIPC_IOC_RECV, m, 1, KIPC_IO_NONBLOCK, region_fd, 0, 0);
	if (ret != 1)
		return ret;
	if (m->data_len != 4 || memcmp(buf, want, 4) || m->tag != tag)
		return -1000;
	return 100 + 10 * (int)m->flags + (int)m->nr_bufs;
}

/*
 * Client of buffers_in_flight_when_the_last_holder_goes: take the receive
 * end (step: the region id it is bound to; then the messages queued). At
 * each go after: while the region is held, a receive without a region
 * handle and one with a handle of a region of its own (step: each
 * result, then the messages queued); once it is not, receives without a
 * handle: into a bad pointer, into too little room, then one that takes
 * the message, whose descriptor it sends on on a channel of its own, as
 * it is and with its flags cleared, and receives there; then a read(2), a receive with its own region's
 * handle, and one more (step: each result; read(2)'s is its length, or
 * -1000 for other bytes). Exit 30-49.
 */
static int client_inflight(struct kid *k)
{
	struct kipc_msg m;
	char buf[64];
	int r, own, fs, fr;
	ssize_t n;

	r = take_fd(k->peer);
	if (r < 0)
		return 30;
	own = kt_region_create(k->ctx, kt_page(), 0, 0, NULL);
	if (own < 0)
		return 31;
	if (kt_channel_create(k->ctx, 0, 0, 0, -1, &fs, &fr))
		return 32;
	if (kid_step(k, (int)kt_fdinfo_num(r, "kipc-region-id")))
		return 33;
	if (kid_step(k, (int)kt_fdinfo_num(r, "kipc-queued")))
		return 34;

	if (kid_step(k, inflight_recv(r, -1, "head", 1, &m, buf)))
		return 35;
	if (kid_step(k, inflight_recv(r, own, "head", 1, &m, buf)))
		return 36;
	if (kid_step(k, (int)kt_fdinfo_num(r, "kipc-queued")))
		return 37;

	/* The server has gone with the region's last handle. */
	kt_msg_init(&m, (void *)8, sizeof(buf), NULL, 0, 0);
	if (kid_step(k, kt_io(r, KIPC_IOC_RECV, &m, 1, KIPC_IO_NONBLOCK, -1,
			      0, 0)))
		return 38;
	kt_msg_init(&m, buf, 2, NULL, 0, 0);
	if (kid_step(k, kt_io(r, KIPC_IOC_RECV, &m, 1, KIPC_IO_NONBLOCK, -1,
			      0, 0)))
		return 39;
	if (kid_step(k, inflight_recv(r, -1, "head", 1, &m, buf)))
		return 40;
	if (kid_step(k, kt_io(fs, KIPC_IOC_SEND, &m, 1, KIPC_IO_NONBLOCK, -1,
			      0, 0)))
		return 41;
	m.flags = 0;
	if (kid_step(k, kt_io(fs, KIPC_IOC_SEND, &m, 1, KIPC_IO_NONBLOCK, -1,
			      0, 0)))
		return 46;
	if (kid_step(k, inflight_recv(fr, -1, "head", 1, &m, buf)))
		return 42;
	n = read(r, buf, sizeof(buf));
	if (kid_step(k, n == 4 && !memcmp(buf, "mid ", 4) ? 4 :
			n < 0 ? -errno : -1000))
		return 43;
	if (kid_step(k, inflight_recv(r, own, "tail", 3, &m, buf)))
		return 44;
	if (kid_step(k, inflight_recv(r, -1, "", 0, &m, buf)))
		return 45;
	close(own);
	return kid_hold(k, (int)kt_fdinfo_num(r, "kipc-queued"));
}

/*
 * Messages carrying region buffers are queued on a channel bound to the
 * region when the region's last handle closes (no name), the receive end
 * held by another user. While the region is held, a receive without a
 * region handle fails with EBADF and one with a handle of another region
 * with EINVAL, the message staying queued. Once no handle or name is left
 * (none can be made again), the bytes are no longer charged and the
 * messages go on without their buffers (ioctl-recv.rst): a receive that
 * faults or has too little room leaves the first queued, the next gets
 * it with nr_bufs 0 and KIPC_MSG_BUFS_LOST, and its descriptor is sent
 * on once its flags are cleared (a send's must be zero, as the reserved
 * word's always had to be; the flag is not delivered);
 * read(2) gets the second's bytes, the inline one follows unmarked, then
 * end of stream: the channel is not stuck behind them. The kernel reports
 * nothing on the way.
 */
TEST_F(holders, buffers_in_flight_when_the_last_holder_goes)
{
	const int lost = 100 + 10 * KIPC_MSG_BUFS_LOST;
	int id, val;

	SPAWN(&self->server, SERVER_UID, self->peer[0], server_inflight);
	AWAIT(&self->server, &id);
	SPAWN(&self->client, CLIENT_UID, self->peer[1], client_inflight);
	AWAIT(&self->client, &val);
	CLOSE_PEER();
	ASSERT_EQ(id, val) TH_LOG("the client's receive end is not bound to the region");
	GO(&self->client);
	AWAIT(&self->client, &val);
	ASSERT_EQ(3, val) TH_LOG("messages queued");
	EXPECT_REGION_BYTES(REGION_BYTES, "the region fd, buffers in flight");

	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(-EBADF, val) TH_LOG("a receive without a region handle: %d", val);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(-EINVAL, val) TH_LOG("a receive with another region's handle: %d", val);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(3, val) TH_LOG("the messages with buffers did not stay queued");

	GO(&self->server);
	END(&self->server);
	EXPECT_REGION_BYTES(0, "only buffers in flight and a bound channel left");

	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(-EFAULT, val) TH_LOG("a receive into a bad pointer: %d", val);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(-EMSGSIZE, val) TH_LOG("a receive with room for 2 bytes: %d", val);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(lost, val)
		TH_LOG("a receive without a handle, the region gone: %d (%d: delivered, BUFS_LOST, no buffer)",
		       val, lost);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(-EINVAL, val) TH_LOG("sending the received descriptor on, flags set: %d", val);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(1, val) TH_LOG("sending it on, flags cleared: %d", val);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(100, val) TH_LOG("the message sent on: %d (100: no flag, no buffer)", val);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(4, val) TH_LOG("read(2) of the second message: %d", val);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(100, val) TH_LOG("the inline message: %d (100: no flag, no buffer)", val);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(0, val) TH_LOG("no end of stream after the messages: %d", val);
	GO(&self->client);
	AWAIT(&self->client, &val);
	EXPECT_EQ(0, val) TH_LOG("messages left queued");
	EXPECT_REGION_BYTES(0, "after the receives");

	actor_kill(&self->client);
	EXPECT_REGION_BYTES(0, "the client is gone, its channel with it");
	EXPECT_EQ(0, kt_new_reports(self->taint))
		TH_LOG("the kernel reported a WARN or an oops");
}

/*
 * the_last_handle_races_a_message_drop: the region's last handle and the
 * receive end of a channel bound to it, whose queue holds messages with
 * RACE_MSGS * KIPC_MSG_BUFS_MAX of its buffers, closed at the same moment
 * by two threads, RACE_NS long (at least RACE_MIN rounds, at most
 * RACE_ENOUGH: 6.12 runs 1200 rounds a second, the debug kernel 80,
 * KCSAN 530; whichever thread wins a round, it is a new draw). The last
 * holder's going (the pool's arrays freed) and the drop of the queued
 * messages (their buffers given back to the pool, or only counted once
 * it is gone) meet under the pool's lock.
 * the_last_handle_races_a_receive: the same, but the first thread takes
 * the messages with receives that give no region handle instead.
 */
#define RACE_BUF	4096U
#define RACE_MSGS	8
#define RACE_NS		1000000000ULL
#define RACE_MIN	20
#define RACE_ENOUGH	400

struct race {
	pthread_barrier_t start, done;
	int region;
	int closed;	/* the region fd's close has returned */
	int stop;
};

/* The second thread: close the region fd at each start. */
static void *race_closer(void *arg)
{
	struct race *rc = arg;

	for (;;) {
		pthread_barrier_wait(&rc->start);
		if (rc->stop)
			return NULL;
		close(rc->region);
		__atomic_store_n(&rc->closed, 1, __ATOMIC_RELEASE);
		pthread_barrier_wait(&rc->done);
	}
}

/* One round's region, channel and queued buffers: 0, or the step that failed. */
static int race_setup(struct kid *k, struct race *rc, int *s, int *r)
{
	struct kipc_buf_ref refs[KIPC_MSG_BUFS_MAX];
	struct kipc_region_info ri;
	struct kipc_msg m;
	__u64 off;
	int i, j;

	rc->region = kt_region_create(k->ctx, REGION_BYTES, RACE_BUF, 0, NULL);
	if (rc->region < 0)
		return 10;
	if (kt_channel_create(k->ctx, 0, RACE_MSGS, 0, rc->region, s, r))
		return 11;
	for (i = 0; i < RACE_MSGS; i++) {
		for (j = 0; j < KIPC_MSG_BUFS_MAX; j++) {
			if (kt_buf_alloc(rc->region, &off))
				return 12;
			refs[j].offset = off;
			refs[j].len = 1;
		}
		kt_msg_init(&m, "race", 4, refs, KIPC_MSG_BUFS_MAX, i);
		if (kt_io(*s, KIPC_IOC_SEND, &m, 1, KIPC_IO_NONBLOCK,
			  rc->region, 0, 0) != 1)
			return 13;
	}
	if (kt_region_info(rc->region, &ri) ||
	    ri.nr_in_flight != RACE_MSGS * KIPC_MSG_BUFS_MAX)
		return 14;
	return 0;
}

/* A round's drop: close the receive end, and with it the queue. 0. */
static int race_drop(struct race *rc, int s, int r)
{
	(void)rc;
	close(r);
	close(s);
	return 0;
}

/*
 * A round's receives: take every message without a region handle (EBADF
 * while the region is held, as often as it takes, but not once its last
 * handle's close has returned), each whole but for its buffers
 * (KIPC_MSG_BUFS_LOST) and in order, then end of stream once the send
 * end is closed. 0, or the step that failed.
 */
static int race_receive(struct race *rc, int s, int r)
{
	struct kipc_buf_ref refs[KIPC_MSG_BUFS_MAX];
	struct kipc_msg m;
	int got = 0, ret, closed;
	char buf[8];

	while (got < RACE_MSGS) {
		closed = __atomic_load_n(&rc->closed, __ATOMIC_ACQUIRE);
		kt_msg_init(&m, buf, sizeof(buf), refs, KIPC_MSG_BUFS_MAX, 0);
		ret = kt_io(r, KIPC_IOC_RECV, &m, 1, KIPC_IO_NONBLOCK, -1, 0, 0);
		if (ret == -EBADF && !closed)
			continue;
		if (ret != 1)
			return 20;
		if (m.tag != (__u64)got || m.data_len != 4 ||
		    memcmp(buf, "race", 4) || m.nr_bufs ||
		    m.flags != KIPC_MSG_BUFS_LOST)
			return 21;
		got++;
	}
	close(s);
	kt_msg_init(&m, buf, sizeof(buf), refs, KIPC_MSG_BUFS_MAX, 0);
	ret = kt_io(r, KIPC_IOC_RECV, &m, 1, KIPC_IO_NONBLOCK, -1, 0, 0);
	close(r);
	return ret ? 22 : 0;
}

/*
 * Server of the race tests: each round, @take the queue (and close both
 * ends) while the second thread closes the region's last handle. Step:
 * the rounds run. Exit 10-22.
 */
static int race_server(struct kid *k,
		       int (*take)(struct race *rc, int s, int r))
{
	uint64_t t0 = kt_now_ns(CLOCK_MONOTONIC);
	struct race rc = { .region = -1 };
	int rounds = 0, ret = 0, s, r;
	pthread_t t;

	if (pthread_barrier_init(&rc.start, NULL, 2) ||
	    pthread_barrier_init(&rc.done, NULL, 2) ||
	    pthread_create(&t, NULL, race_closer, &rc))
		return 15;
	while (rounds < RACE_MIN ||
	       (rounds < RACE_ENOUGH &&
		kt_now_ns(CLOCK_MONOTONIC) - t0 < RACE_NS)) {
		ret = race_setup(k, &rc, &s, &r);
		if (ret)
			break;
		rc.closed = 0;	/* before the start: the closer sets it */
		pthread_barrier_wait(&rc.start);
		ret = take(&rc, s, r);
		pthread_barrier_wait(&rc.done);
		if (ret)
			break;
		rounds++;
	}
	rc.stop = 1;
	pthread_barrier_wait(&rc.start);
	pthread_join(t, NULL);
	if (ret)
		return ret;
	return kid_step(k, rounds) ? 16 : 0;
}

static int server_race_drop(struct kid *k)
{
	return race_server(k, race_drop);
}

static int server_race_receive(struct kid *k)
{
	return race_server(k, race_receive);
}

/*
 * Run race test server @server: the rounds it ran are logged; once it is
 * gone, the creator's user is charged for no region, region byte or pool
 * byte, and the kernel reported nothing.
 */
static void race_run(struct __test_metadata *_metadata,
		     FIXTURE_DATA(holders) *self, int (*server)(struct kid *))
{
	int rounds;

	SPAWN(&self->server, SERVER_UID, self->peer[0], server);
	CLOSE_PEER();
	AWAIT(&self->server, &rounds);
	TH_LOG("%d rounds", rounds);
	GO(&self->server);
	END(&self->server);
	EXPECT_REGION_BYTES(0, "every round's region and channel closed");
	EXPECT_POOL_BYTES(0, "every round's region and channel closed");
	EXPECT_REGIONS(0, "every round's region and channel closed");
	EXPECT_EQ(0, kt_new_reports(self->taint))
		TH_LOG("the kernel reported a WARN or an oops");
}

/*
 * The last handle of a region and the drop of the messages queued on a
 * channel bound to it, carrying its buffers, race in two threads of one
 * process: whichever comes first, the kernel reports nothing, and once
 * both are gone the creator's user is charged for no region byte and no
 * pool byte.
 */
TEST_F(holders, the_last_handle_races_a_message_drop)
{
	race_run(_metadata, self, server_race_drop);
}

/*
 * The last handle of a region and receives without a region handle of
 * the messages queued on a channel bound to it, carrying its buffers,
 * race in two threads of one process: every message is received once,
 * in order, whole but for its buffers; then end of stream. The kernel
 * reports nothing, and the creator's user is left charged for nothing.
 */
TEST_F(holders, the_last_handle_races_a_receive)
{
	race_run(_metadata, self, server_race_receive);
}

KIPC_TEST_MAIN
