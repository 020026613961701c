// SPDX-License-Identifier: GPL-2.0
/*
 * Services, connections and calls: connect by name, accept, a call in one
 * system call, the credentials each side sees, the backlog, peer death,
 * a failed hand-over that loses nothing, and races between two threads on
 * one service.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NOBODY	65534

static int service_create_depth(int ctx, uint32_t backlog, uint32_t depth,
				uint32_t flags)
{
	struct kipc_service_create sc = {
		.size = sizeof(sc), .flags = flags, .backlog = backlog,
		.depth = depth, .region_fd = KIPC_NO_FD,
	};
	int ret = ioctl(ctx, KIPC_IOC_SERVICE_CREATE, &sc);

	return ret < 0 ? -errno : ret;
}

static int service_create(int ctx, uint32_t backlog, uint32_t flags)
{
	return service_create_depth(ctx, backlog, 0, flags);
}

static int publish(int ctx, const char *name, int fd, uint32_t mode)
{
	struct kipc_name_open no = {
		.size = sizeof(no), .flags = KIPC_NAME_CREATE | KIPC_NAME_EXCL,
		.name = (uintptr_t)name, .fd = (uint32_t)fd, .mode = mode,
	};
	int ret = ioctl(ctx, KIPC_IOC_NAME_OPEN, &no);

	if (ret < 0)
		return -errno;
	close(ret);
	return no.kind == KIPC_NAME_SERVICE ? 0 : -EPROTO;
}

/* Publish any object: a region, a channel end or a service. */
static int publish_any(int ctx, const char *name, int fd)
{
	struct kipc_name_open no = {
		.size = sizeof(no), .flags = KIPC_NAME_CREATE | KIPC_NAME_EXCL,
		.name = (uintptr_t)name, .fd = (uint32_t)fd, .mode = 0600,
	};
	int ret = ioctl(ctx, KIPC_IOC_NAME_OPEN, &no);

	if (ret < 0)
		return -errno;
	close(ret);
	return 0;
}

static void unpublish(int ctx, const char *name)
{
	struct kipc_name_unlink nu = { .size = sizeof(nu), .name = (uintptr_t)name };

	ioctl(ctx, KIPC_IOC_NAME_UNLINK, &nu);
}

/* CONNECT; @timeout_ns is an absolute CLOCK_MONOTONIC deadline, 0 for none. */
static int do_connect(int ctx, const char *name, uint32_t flags,
		      uint64_t timeout_ns, struct kipc_connect *cn)
{
	memset(cn, 0, sizeof(*cn));
	cn->size = sizeof(*cn);
	cn->flags = flags | (timeout_ns ? KIPC_CONN_TIMEOUT : 0);
	cn->name = (uintptr_t)name;
	cn->clockid = timeout_ns ? CLOCK_MONOTONIC : 0;
	cn->timeout_ns = timeout_ns;
	return ioctl(ctx, KIPC_IOC_CONNECT, cn) ? -errno : 0;
}

static int do_accept(int svc, uint32_t flags, struct kipc_accept *ac)
{
	memset(ac, 0, sizeof(*ac));
	ac->size = sizeof(*ac);
	ac->flags = flags;
	return ioctl(svc, KIPC_IOC_ACCEPT, ac) ? -errno : 0;
}

/*
 * A call: send @out (if any), receive into @in, within @timeout_ns from
 * now (0: no deadline).
 */
static int do_call(int send_fd, int recv_fd, const char *out, char *in,
		   size_t room, uint64_t timeout_ns, struct kipc_msg *got,
		   uint32_t *sent)
{
	struct kipc_msg sm = { .data = (uintptr_t)out,
			       .data_len = out ? strlen(out) : 0 };
	struct kipc_msg rm = { .data = (uintptr_t)in, .data_len = room };
	struct kipc_call call = {
		.size = sizeof(call), .send_msg = out ? (uintptr_t)&sm : 0,
		.recv_msg = (uintptr_t)&rm, .msg_size = sizeof(rm),
		.recv_fd = (uint32_t)recv_fd, .region_fd = KIPC_NO_FD,
	};
	int ret;

	if (timeout_ns) {
		call.flags |= KIPC_IO_TIMEOUT;
		call.clockid = CLOCK_MONOTONIC;
		call.timeout_ns = kt_now_ns(CLOCK_MONOTONIC) + timeout_ns;
	}
	ret = ioctl(send_fd, KIPC_IOC_CALL, &call);
	if (sent)
		*sent = call.sent;
	if (got)
		*got = rm;
	return ret < 0 ? -errno : ret;
}

FIXTURE(service) {
	int ctx;
	int svc;
	char name[64];
	struct kt_param inflight;	/* restored by the teardown if saved */
	struct kt_param cap;		/* another, the same */
	char rname[80];			/* a name a test's child made, or "" */
};

FIXTURE_SETUP(service)
{
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_SERVICE);
	self->svc = service_create(self->ctx, 4, 0);
	ASSERT_LE(0, self->svc);
	snprintf(self->name, sizeof(self->name), "svc-test-%d", getpid());
	/* Others may connect (write), not listen (read: a listener). */
	ASSERT_EQ(0, publish(self->ctx, self->name, self->svc, 0622));
}

FIXTURE_TEARDOWN(service)
{
	kt_param_restore(&self->inflight);
	kt_param_restore(&self->cap);
	if (self->rname[0])
		unpublish(self->ctx, self->rname);
	unpublish(self->ctx, self->name);
	close(self->svc);
	close(self->ctx);
}

/* A request and its reply, each one call; both sides see who the other is. */
TEST_F(service, call_round_trip)
{
	struct kipc_connect cn;
	struct kipc_accept ac;
	struct kipc_msg got;
	char buf[64];
	uint32_t sent;
	pid_t pid;
	int status;

	ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn));
	EXPECT_EQ((uint32_t)getpid(), cn.pid);
	EXPECT_EQ(geteuid(), cn.uid);
	EXPECT_NE(cn.id, cn.reply_id);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The server: accept, then answer two requests in one call each. */
		char req[64];
		int n;

		/* Not the client's: the server sees it go when the parent closes. */
		close(cn.send_fd);
		close(cn.recv_fd);
		if (do_accept(self->svc, 0, &ac))
			_exit(10);
		if (ac.uid != geteuid() || ac.id != cn.id)
			_exit(11);
		n = do_call(ac.send_fd, ac.recv_fd, NULL, req, sizeof(req), 0,
			    &got, NULL);
		if (n != 1 || got.data_len != 4 || memcmp(req, "ping", 4))
			_exit(12);
		n = do_call(ac.send_fd, ac.recv_fd, "pong", req, sizeof(req), 0,
			    &got, NULL);
		if (n != 1 || got.data_len != 5 || memcmp(req, "ping2", 5))
			_exit(13);
		n = do_call(ac.send_fd, ac.recv_fd, "pong2", req, sizeof(req),
			    0, &got, NULL);
		/* The client closed its ends: end of stream. */
		_exit(n == 0 ? 0 : 14);
	}
	ASSERT_EQ(1, do_call(cn.send_fd, cn.recv_fd, "ping", buf, sizeof(buf),
			     5000000000ULL, &got, &sent));
	EXPECT_EQ(1, sent);
	EXPECT_EQ(4, got.data_len);
	EXPECT_EQ(0, memcmp(buf, "pong", 4));
	EXPECT_EQ((uint32_t)pid, got.pid);
	ASSERT_EQ(1, do_call(cn.send_fd, cn.recv_fd, "ping2", buf, sizeof(buf),
			     5000000000ULL, &got, &sent));
	EXPECT_EQ(0, memcmp(buf, "pong2", 5));
	close(cn.send_fd);
	close(cn.recv_fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* The service fd polls readable while a connection waits; accept takes it. */
TEST_F(service, poll_accept_nonblock)
{
	struct pollfd pfd = { .fd = self->svc, .events = POLLIN };
	struct kipc_connect cn;
	struct kipc_accept ac;

	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(-EAGAIN, do_accept(self->svc, KIPC_CONN_NONBLOCK, &ac));
	ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn));
	ASSERT_EQ(1, poll(&pfd, 1, 1000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(0, do_accept(self->svc, KIPC_FD_NONBLOCK, &ac));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	/* The accepted ends are O_NONBLOCK as asked; the client's are not. */
	EXPECT_TRUE(fcntl(ac.recv_fd, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(cn.recv_fd, F_GETFL) & O_NONBLOCK);
	close(ac.recv_fd);
	close(ac.send_fd);
	close(cn.send_fd);
	close(cn.recv_fd);
}

/* A full backlog: EAGAIN without waiting, ETIMEDOUT at a deadline. */
TEST_F(service, backlog_full)
{
	struct kipc_connect cn[5];
	uint64_t t0;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn[i]));
	EXPECT_EQ(-EAGAIN, do_connect(self->ctx, self->name,
				      KIPC_CONN_NONBLOCK, 0, &cn[4]));
	t0 = kt_now_ns(CLOCK_MONOTONIC);
	EXPECT_EQ(-ETIMEDOUT, do_connect(self->ctx, self->name, 0,
					 t0 + 50000000ULL, &cn[4]));
	EXPECT_LE(t0 + 50000000ULL, kt_now_ns(CLOCK_MONOTONIC));
	for (i = 0; i < 4; i++) {
		close(cn[i].send_fd);
		close(cn[i].recv_fd);
	}
}

/*
 * A non-blocking connect to a full backlog fails before it builds
 * anything: no channel is made and destroyed for it (a client retrying in
 * a loop would otherwise churn channels, their ids and the monitor's
 * events). Channel ids are given cyclically, so the next connection's
 * request channel takes the id after the last one made.
 */
TEST_F(service, full_backlog_refused_before_building)
{
	struct kipc_connect cn[5], busy;
	struct kipc_accept ac;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn[i]));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(-EAGAIN, do_connect(self->ctx, self->name,
					      KIPC_CONN_NONBLOCK, 0, &busy));
	ASSERT_EQ(0, do_accept(self->svc, 0, &ac));
	ASSERT_EQ(0, do_connect(self->ctx, self->name, KIPC_CONN_NONBLOCK, 0,
				&cn[4]));
	EXPECT_EQ(cn[3].reply_id + 1, cn[4].id)
		TH_LOG("the refused connects made channels %llu..%llu",
		       (unsigned long long)cn[3].reply_id + 1,
		       (unsigned long long)cn[4].id - 1);
	close(ac.recv_fd);
	close(ac.send_fd);
	for (i = 0; i < 5; i++) {
		close(cn[i].send_fd);
		close(cn[i].recv_fd);
	}
}

/*
 * The server's last service file closes with connections pending: their
 * clients see the server gone, and the name refuses new ones.
 */
TEST_F(service, server_gone)
{
	struct kipc_connect cn;
	uint32_t sent;
	char buf[16];

	ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn));
	close(self->svc);
	self->svc = -1;
	/* The request cannot be sent: nobody will ever receive it. */
	EXPECT_EQ(-EPIPE, do_call(cn.send_fd, cn.recv_fd, "x", buf,
				  sizeof(buf), 0, NULL, &sent));
	EXPECT_EQ(0, sent);
	/* Only receiving: end of stream at once, not at a deadline. */
	EXPECT_EQ(0, do_call(cn.send_fd, cn.recv_fd, NULL, buf, sizeof(buf),
			     0, NULL, NULL));
	EXPECT_EQ(-ECONNREFUSED, do_connect(self->ctx, self->name, 0, 0, &cn));
	close(cn.send_fd);
	close(cn.recv_fd);
}

/* A client that dies: the server reads end of stream, replies get EPIPE. */
TEST_F(service, client_gone)
{
	struct kipc_accept ac;
	char buf[16];
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_connect cn;
		struct kipc_msg m = { .data = (uintptr_t)"req", .data_len = 3 };
		struct kipc_io io = {
			.size = sizeof(io), .msgs = (uintptr_t)&m, .nr_msgs = 1,
			.msg_size = sizeof(m), .region_fd = KIPC_NO_FD,
		};

		if (do_connect(self->ctx, self->name, 0, 0, &cn))
			_exit(1);
		_exit(ioctl(cn.send_fd, KIPC_IOC_SEND, &io) == 1 ? 0 : 2);
	}
	ASSERT_EQ(0, kt_wait(pid, 5000));
	ASSERT_EQ(0, do_accept(self->svc, 0, &ac));
	/* The request sent before the client died is still delivered. */
	EXPECT_EQ(1, do_call(ac.send_fd, ac.recv_fd, NULL, buf, sizeof(buf),
			     0, NULL, NULL));
	EXPECT_EQ(0, do_call(ac.send_fd, ac.recv_fd, NULL, buf, sizeof(buf),
			     0, NULL, NULL));
	EXPECT_EQ(-EPIPE, do_call(ac.send_fd, ac.recv_fd, "reply", buf,
				  sizeof(buf), 0, NULL, NULL));
	close(ac.recv_fd);
	close(ac.send_fd);
}

/* A call whose receive times out or faults after the send says it sent. */
TEST_F(service, call_fails_after_send)
{
	struct kipc_connect cn;
	struct kipc_accept ac;
	struct kipc_msg sm = { .data = (uintptr_t)"a", .data_len = 1 };
	struct kipc_call call = {
		.size = sizeof(call), .send_msg = (uintptr_t)&sm,
		.recv_msg = 8, .msg_size = sizeof(sm),
		.region_fd = KIPC_NO_FD,
	};
	uint32_t sent = 7;
	char buf[16];

	ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn));
	ASSERT_EQ(0, do_accept(self->svc, 0, &ac));
	EXPECT_EQ(-ETIMEDOUT, do_call(cn.send_fd, cn.recv_fd, "q1", buf,
				      sizeof(buf), 20000000ULL, NULL, &sent));
	EXPECT_EQ(1, sent);
	/* A bad receive descriptor: the send went, the error says the rest. */
	call.recv_fd = (uint32_t)cn.recv_fd;
	EXPECT_EQ(-1, ioctl(cn.send_fd, KIPC_IOC_CALL, &call));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(1, call.sent);
	/* A receive fd that is not a receive end: nothing is sent. */
	call.recv_fd = (uint32_t)cn.send_fd;
	call.recv_msg = (uintptr_t)&sm;
	EXPECT_EQ(-1, ioctl(cn.send_fd, KIPC_IOC_CALL, &call));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, call.sent);
	/* Both sent requests wait for the server, in order. */
	EXPECT_EQ(1, do_call(ac.send_fd, ac.recv_fd, NULL, buf, sizeof(buf),
			     0, NULL, NULL));
	EXPECT_EQ(0, memcmp(buf, "q1", 2));
	EXPECT_EQ(1, do_call(ac.send_fd, ac.recv_fd, NULL, buf, sizeof(buf),
			     0, NULL, NULL));
	EXPECT_EQ('a', buf[0]);
	close(ac.recv_fd);
	close(ac.send_fd);
	close(cn.send_fd);
	close(cn.recv_fd);
}

static void on_sigusr1(int sig)
{
}

struct interrupter {
	pthread_t caller;
	int server_recv;
};

/* Signals the caller once its request has reached the server. */
static void *interrupt_when_sent(void *arg)
{
	struct interrupter *in = arg;
	struct pollfd pfd = { .fd = in->server_recv, .events = POLLIN };

	if (poll(&pfd, 1, 5000) != 1)
		return (void *)"the request never arrived";
	usleep(20000);	/* the caller is asleep waiting for the reply */
	pthread_kill(in->caller, SIGUSR1);
	return NULL;
}

/*
 * A signal while a call waits for its reply ends the call with EINTR and
 * sent 1, even with SA_RESTART: a restart would send the request again.
 */
TEST_F(service, call_interrupted_is_not_resent)
{
	struct sigaction sa = { .sa_handler = on_sigusr1,
				.sa_flags = SA_RESTART };
	struct interrupter in;
	struct kipc_connect cn;
	struct kipc_accept ac;
	uint32_t sent = 7;
	char buf[16];
	pthread_t t;
	void *res;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn));
	ASSERT_EQ(0, do_accept(self->svc, 0, &ac));
	in.caller = pthread_self();
	in.server_recv = ac.recv_fd;
	ASSERT_EQ(0, pthread_create(&t, NULL, interrupt_when_sent, &in));
	EXPECT_EQ(-EINTR, do_call(cn.send_fd, cn.recv_fd, "once", buf,
				  sizeof(buf), 5000000000ULL, NULL, &sent));
	EXPECT_EQ(1, sent);
	ASSERT_EQ(0, pthread_join(t, &res));
	EXPECT_EQ(NULL, res);
	/* The server has the request once, not twice. */
	EXPECT_EQ(4, read(ac.recv_fd, buf, sizeof(buf)));
	EXPECT_EQ(0, fcntl(ac.recv_fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(ac.recv_fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	signal(SIGUSR1, SIG_DFL);
	close(ac.recv_fd);
	close(ac.send_fd);
	close(cn.send_fd);
	close(cn.recv_fd);
}

/*
 * An accept whose argument cannot be copied back (a read-only page) fails
 * with EFAULT and the connection stays pending, whole: the next accept
 * gets it and the request sent before.
 */
TEST_F(service, accept_fault_loses_nothing)
{
	struct kipc_accept *ro, ac;
	struct kipc_connect cn;
	char buf[16];

	ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn));
	ASSERT_EQ(1, write(cn.send_fd, "r", 1));
	memset(&ac, 0, sizeof(ac));
	ac.size = sizeof(ac);
	ro = kt_read_only(&ac, sizeof(ac));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(self->svc, KIPC_IOC_ACCEPT, ro));
	EXPECT_EQ(EFAULT, errno);
	kt_read_only_free(ro);
	ASSERT_EQ(0, do_accept(self->svc, KIPC_CONN_NONBLOCK, &ac));
	EXPECT_EQ(cn.id, ac.id);
	EXPECT_EQ(1, read(ac.recv_fd, buf, sizeof(buf)));
	close(ac.recv_fd);
	close(ac.send_fd);
	close(cn.send_fd);
	close(cn.recv_fd);
}

/* Open fds of this process. */
static int nr_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* An ACCEPT made by a thread: its argument, its thread id, its result. */
struct held_accept {
	int svc;
	struct kipc_accept *ac;
	pid_t tid;
	int ret;
};

static void *held_accept_thread(void *arg)
{
	struct held_accept *ha = arg;

	__atomic_store_n(&ha->tid, (pid_t)syscall(SYS_gettid),
			 __ATOMIC_RELEASE);
	ha->ret = ioctl(ha->svc, KIPC_IOC_ACCEPT, ha->ac) ? -errno : 0;
	return NULL;
}

/*
 * Review s47, test idea 4: an accept whose argument another thread makes
 * read-only after the first write-back (which passed), while the accept
 * waits. A connection arrives; the accept takes it, then fails to write
 * its argument back (held there by userfaultfd until this thread has
 * checked that the connection was taken, then made it read-only): EFAULT.
 * The connection must be back in the backlog, whole, its fds not
 * installed; the client must see no end of stream in the meantime, and
 * the next accept gets the connection with the request sent before.
 */
TEST_F(service, accept_fault_after_taking_the_connection_loses_nothing)
{
	long pg = kt_page();
	struct held_accept ha = { .svc = self->svc, .ret = 1 };
	struct kipc_accept *ap, ac;
	struct kipc_connect cn;
	struct kipc_msg got;
	struct pollfd pfd;
	int uffd, ret, fds0, waited;
	__u64 fault = 0;
	char buf[16];
	pthread_t t;
	pid_t tid;

	uffd = kt_uffd_open(UFFD_FEATURE_PAGEFAULT_FLAG_WP);
	if (uffd < 0)
		SKIP(return, "userfaultfd write-protect: %s", strerror(-uffd));
	ap = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ap);
	memset(ap, 0, pg);
	ap->size = sizeof(*ap);
	ap->flags = KIPC_CONN_TIMEOUT;	/* bounded, whatever happens */
	ap->clockid = CLOCK_MONOTONIC;
	ap->timeout_ns = kt_now_ns(CLOCK_MONOTONIC) + 10000000000ULL;
	/* Registered, not yet write-protected: the first write-back passes. */
	ret = kt_uffd_register(uffd, ap, pg, UFFDIO_REGISTER_MODE_WP);
	if (ret == -EINVAL)
		SKIP(return, "no userfaultfd write-protect on anonymous memory");
	ASSERT_EQ(0, ret);
	fds0 = nr_fds();
	ASSERT_LT(0, fds0);

	ha.ac = ap;
	ASSERT_EQ(0, pthread_create(&t, NULL, held_accept_thread, &ha));
	for (waited = 0; !(tid = __atomic_load_n(&ha.tid, __ATOMIC_ACQUIRE)) &&
	     waited < 10000; waited++)
		kt_sleep_ms(1);
	ASSERT_NE(0, tid);
	/* Asleep in the accept: its argument read and written back. */
	ASSERT_TRUE(kt_wait_state(tid, "S", 10000))
		TH_LOG("the accept never waited (it returned %d)", ha.ret);
	EXPECT_EQ(0, kt_fdinfo_num(self->svc, "kipc-accepted"));

	/* Its next write of the argument, after it took a connection, waits. */
	ASSERT_EQ(0, kt_uffd_wp(uffd, ap, pg));
	ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn));
	ASSERT_EQ(3, write(cn.send_fd, "req", 3));
	ret = kt_uffd_wait_fault(uffd, 10000, &fault);
	ASSERT_EQ(0, ret)
		TH_LOG("the accept never wrote its argument back (ret %d)",
		       ha.ret);
	EXPECT_EQ((uintptr_t)ap, fault & ~(__u64)(pg - 1));
	EXPECT_EQ(1, kt_fdinfo_num(self->svc, "kipc-accepted"))
		TH_LOG("held before it took the connection");
	EXPECT_EQ(0, kt_fdinfo_num(self->svc, "kipc-pending"));

	/* Read-only now: the write-back fails. */
	ASSERT_EQ(0, kt_uffd_fail_read_only(uffd, ap, pg));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-EFAULT, ha.ret);

	/* Given back whole; no fd of it installed (the client's 2 are new). */
	EXPECT_EQ(1, kt_fdinfo_num(self->svc, "kipc-pending"))
		TH_LOG("the connection did not return to the backlog");
	EXPECT_EQ(0, kt_fdinfo_num(self->svc, "kipc-accepted"));
	EXPECT_EQ(fds0 + 2, nr_fds()) TH_LOG("the failed accept left fds");
	/* The client sees nothing: no end of stream, its sends still go. */
	pfd.fd = cn.recv_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	EXPECT_EQ(0, poll(&pfd, 1, 0))
		TH_LOG("the client's reply end polls %#x", pfd.revents);
	EXPECT_EQ(-EAGAIN, kt_recv1(cn.recv_fd, buf, sizeof(buf), NULL,
				    KIPC_IO_NONBLOCK))
		TH_LOG("the client read end of stream");
	EXPECT_EQ(1, write(cn.send_fd, "2", 1))
		TH_LOG("the client's second request: %s", strerror(errno));

	/* The next accept gets the connection and both requests. */
	ASSERT_EQ(0, do_accept(self->svc, KIPC_CONN_NONBLOCK, &ac));
	EXPECT_EQ(cn.id, ac.id);
	EXPECT_EQ(getpid(), (pid_t)ac.pid);
	EXPECT_EQ(0, kt_fdinfo_num(self->svc, "kipc-pending"));
	EXPECT_EQ(1, kt_fdinfo_num(self->svc, "kipc-accepted"));
	EXPECT_EQ(1, kt_recv1(ac.recv_fd, buf, sizeof(buf), &got,
			      KIPC_IO_NONBLOCK));
	EXPECT_EQ(3, got.data_len);
	EXPECT_EQ(0, memcmp(buf, "req", 3));
	EXPECT_EQ(1, kt_recv1(ac.recv_fd, buf, sizeof(buf), &got,
			      KIPC_IO_NONBLOCK));
	EXPECT_EQ(1, got.data_len);
	EXPECT_EQ('2', buf[0]);
	/* A reply reaches the client; end of stream once the server closes. */
	EXPECT_EQ(3, write(ac.send_fd, "rep", 3));
	EXPECT_EQ(1, kt_recv1(cn.recv_fd, buf, sizeof(buf), &got,
			      KIPC_IO_NONBLOCK));
	EXPECT_EQ(3, got.data_len);
	EXPECT_EQ(0, memcmp(buf, "rep", 3));
	close(ac.send_fd);
	EXPECT_EQ(0, kt_recv1(cn.recv_fd, buf, sizeof(buf), NULL,
			      KIPC_IO_NONBLOCK));
	close(ac.recv_fd);
	close(cn.send_fd);
	close(cn.recv_fd);
	munmap(ap, pg);
	close(uffd);
}

struct opener {
	volatile int stop;
	int enfile, other;
};

/*
 * As an unprivileged user, open @name as a listener until told to stop;
 * with fs.file-max reached every open that finds the service fails with
 * ENFILE after it has counted itself a listener.
 */
static void open_listeners_without_files(int ctx, const char *name,
					 struct opener *op)
{
	struct kipc_name_open no = {
		.size = sizeof(no), .name = (uintptr_t)name, .fd = KIPC_NO_FD,
	};

	if (kt_become(NOBODY, NOBODY))
		_exit(2);
	while (!op->stop) {
		if (ioctl(ctx, KIPC_IOC_NAME_OPEN, &no) >= 0)
			_exit(3);
		if (errno == ENFILE)
			__atomic_add_fetch(&op->enfile, 1, __ATOMIC_RELAXED);
		else if (errno != ENOENT && errno != ECONNREFUSED)
			op->other = errno;
	}
	_exit(0);
}

/*
 * A listener whose file cannot be made (ENFILE) is undone whole, also
 * when the service's other listener closed meanwhile: then it was the
 * last, and the service's pending connection is dropped (its client reads
 * end of stream) as the last close would. Another process opens while
 * this one creates, connects to and closes services under one name.
 */
TEST_F(service, race_listener_open_failure_with_close)
{
	struct opener *op;
	char max[32], name[80], buf[4];
	int fd, i, svc, hung = 0, enfile = 0;
	struct kipc_connect cn;
	struct pollfd pfd;
	uint64_t until;
	ssize_t len;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root for fs.file-max");
	/*
	 * Every failing open sums fs.file-max's per-CPU counter, which reads
	 * other CPUs' counts racily by design: on a KCSAN kernel that is a
	 * report with kipc frames under it, though not a race of kipc's.
	 */
	if (!access("/sys/kernel/debug/kcsan", F_OK))
		SKIP(return, "KCSAN: the VFS's file count is summed racily");
	op = mmap(NULL, sizeof(*op), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, op);
	memset(op, 0, sizeof(*op));
	snprintf(name, sizeof(name), "%s-open", self->name);
	fd = open("/proc/sys/fs/file-max", O_RDWR);
	ASSERT_LE(0, fd);
	len = read(fd, max, sizeof(max));
	ASSERT_LT(0, len);
	ASSERT_EQ(1, pwrite(fd, "1", 1, 0));
	pid = kt_fork();
	if (!pid)
		open_listeners_without_files(self->ctx, name, op);
	for (i = 0; pid > 0 && i < 200; i++) {
		svc = service_create(self->ctx, 4, 0);
		/* 0666: nobody's opens must reach the service, as listeners. */
		if (svc < 0 || publish(self->ctx, name, svc, 0666) ||
		    do_connect(self->ctx, name, 0, 0, &cn))
			break;
		/* Until the opener has found this service. */
		enfile = __atomic_load_n(&op->enfile, __ATOMIC_RELAXED);
		until = kt_now_ns(CLOCK_MONOTONIC) + 2000000000ULL;
		while (__atomic_load_n(&op->enfile, __ATOMIC_RELAXED) == enfile &&
		       kt_now_ns(CLOCK_MONOTONIC) < until)
			;
		close(svc);
		unpublish(self->ctx, name);
		pfd.fd = cn.recv_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 2000) != 1 || read(cn.recv_fd, buf, 4))
			hung++;
		close(cn.send_fd);
		close(cn.recv_fd);
	}
	op->stop = 1;
	EXPECT_EQ(len, pwrite(fd, max, len, 0));
	close(fd);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, kt_wait(pid, 10000));
	EXPECT_EQ(200, i);
	EXPECT_EQ(0, hung);
	EXPECT_EQ(0, op->other);
	TH_LOG("%d rounds, %d failed opens", i, op->enfile);
	munmap(op, sizeof(*op));
}

/*
 * A call whose argument cannot be written back (so that @sent could not
 * say what happened) fails with EFAULT before it sends or receives: the
 * server gets no request and the reply waiting for the client stays.
 */
TEST_F(service, call_fault_does_nothing)
{
	struct kipc_msg sm = { .data = (uintptr_t)"q", .data_len = 1 };
	char in[16];
	struct kipc_msg rm = { .data = (uintptr_t)in, .data_len = sizeof(in) };
	struct kipc_call call = {
		.size = sizeof(call), .send_msg = (uintptr_t)&sm,
		.recv_msg = (uintptr_t)&rm, .msg_size = sizeof(rm),
		.region_fd = KIPC_NO_FD,
	};
	struct kipc_connect cn;
	struct kipc_accept ac;
	struct kipc_call *ro;
	char buf[16];

	ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn));
	ASSERT_EQ(0, do_accept(self->svc, 0, &ac));
	ASSERT_EQ(1, write(ac.send_fd, "r", 1));
	call.recv_fd = (uint32_t)cn.recv_fd;
	ro = kt_read_only(&call, sizeof(call));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(cn.send_fd, KIPC_IOC_CALL, ro));
	EXPECT_EQ(EFAULT, errno);
	kt_read_only_free(ro);
	ASSERT_EQ(0, fcntl(ac.recv_fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(ac.recv_fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, read(cn.recv_fd, buf, sizeof(buf)));
	EXPECT_EQ('r', buf[0]);
	close(ac.recv_fd);
	close(ac.send_fd);
	close(cn.send_fd);
	close(cn.recv_fd);
}

/*
 * A connect that finds no fd for the client's ends (EMFILE: RLIMIT_NOFILE
 * reached) queues no connection: the server never accepts one whose
 * client has gone.
 */
TEST_F(service, connect_without_a_free_fd_queues_nothing)
{
	struct kipc_connect cn;
	struct kipc_accept ac;
	struct rlimit old, lim;
	int fd;

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	fd = dup(self->ctx);	/* the lowest free fd: room for one, not two */
	ASSERT_LE(0, fd);
	close(fd);
	lim.rlim_cur = (rlim_t)fd + 1;
	lim.rlim_max = old.rlim_max;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	EXPECT_EQ(-EMFILE, do_connect(self->ctx, self->name, 0, 0, &cn));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	EXPECT_EQ(0, kt_fdinfo_num(self->svc, "kipc-pending"));
	EXPECT_EQ(-EAGAIN, do_accept(self->svc, KIPC_CONN_NONBLOCK, &ac));
	fd = dup(self->ctx);
	EXPECT_EQ(lim.rlim_cur - 1, (rlim_t)fd) TH_LOG("an fd leaked");
	close(fd);
}

/* A connect whose argument cannot be written back queues no connection. */
TEST_F(service, connect_fault_queues_nothing)
{
	struct kipc_connect cn = {
		.size = sizeof(cn), .flags = KIPC_CONN_NONBLOCK,
		.name = (uintptr_t)self->name,
	};
	struct kipc_connect *ro = kt_read_only(&cn, sizeof(cn));
	struct kipc_accept ac;

	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(self->ctx, KIPC_IOC_CONNECT, ro));
	EXPECT_EQ(EFAULT, errno);
	kt_read_only_free(ro);
	EXPECT_EQ(0, kt_fdinfo_num(self->svc, "kipc-pending"));
	EXPECT_EQ(-EAGAIN, do_accept(self->svc, KIPC_CONN_NONBLOCK, &ac));
}

/* Names of other objects are not services; open of a service is a listener. */
TEST_F(service, names)
{
	struct kipc_channel_create cc = {
		.size = sizeof(cc), .region_fd = KIPC_NO_FD,
	};
	struct kipc_name_open no = {
		.size = sizeof(no), .name = (uintptr_t)self->name,
		.fd = KIPC_NO_FD,
	};
	char other[80];
	struct kipc_connect cn;
	struct kipc_accept ac;
	int lfd;

	ASSERT_EQ(0, ioctl(self->ctx, KIPC_IOC_CHANNEL_CREATE, &cc));
	snprintf(other, sizeof(other), "%s-chan", self->name);
	ASSERT_EQ(0, publish_any(self->ctx, other, cc.send_fd));
	EXPECT_EQ(-ECONNREFUSED, do_connect(self->ctx, other, 0, 0, &cn));
	EXPECT_EQ(-ENOENT, do_connect(self->ctx, "svc-test-none", 0, 0, &cn));
	unpublish(self->ctx, other);
	close(cc.send_fd);
	close(cc.recv_fd);

	/* A second listener opened by name accepts on the same service. */
	lfd = ioctl(self->ctx, KIPC_IOC_NAME_OPEN, &no);
	ASSERT_LE(0, lfd);
	EXPECT_EQ(KIPC_NAME_SERVICE, no.kind);
	ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn));
	ASSERT_EQ(0, do_accept(lfd, KIPC_CONN_NONBLOCK, &ac));
	EXPECT_EQ(cn.id, ac.id);
	/* The first listener gone, the second keeps the service listening. */
	close(self->svc);
	self->svc = lfd;
	close(ac.recv_fd);
	close(ac.send_fd);
	close(cn.send_fd);
	close(cn.recv_fd);
	ASSERT_EQ(0, do_connect(self->ctx, self->name, 0, 0, &cn));
	close(cn.send_fd);
	close(cn.recv_fd);
}

/* Run @fn in a child as @uid (effective only when @euid_only). */
static int as_user(int (*fn)(int ctx, const char *name), const char *name,
		   bool euid_only)
{
	int status, ctx;
	pid_t pid = fork();

	if (pid == 0) {
		if (euid_only) {
			if (setegid(NOBODY) || seteuid(NOBODY))
				_exit(100);
		} else if (setgroups(0, NULL) || setgid(NOBODY) ||
			   setuid(NOBODY)) {
			_exit(100);
		}
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		if (ctx < 0)
			_exit(101);
		_exit(fn(ctx, name));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int connect_errno(int ctx, const char *name)
{
	struct kipc_connect cn;

	return -do_connect(ctx, name, 0, 0, &cn);
}

/* Sends one request on a fresh connection and exits with its errno. */
static int connect_and_send(int ctx, const char *name)
{
	struct kipc_connect cn;
	int ret = do_connect(ctx, name, 0, 0, &cn);

	if (ret)
		return -ret;
	ret = kt_send1(cn.send_fd, "hi", 2, 0, 0);
	return ret == 1 ? 0 : -ret;
}

/* As a setuid program: the client writes to the send end, then sends. */
static int connect_write_and_send(int ctx, const char *name)
{
	struct kipc_connect cn;
	int ret = do_connect(ctx, name, 0, 0, &cn);

	if (ret)
		return -ret;
	if (write(cn.send_fd, "w", 1) != 1)
		return errno;
	ret = kt_send1(cn.send_fd, "s", 1, 0, 0);
	return ret == 1 ? 0 : -ret;
}

/*
 * A 0600 service refuses another uid; messages sent on a connection carry
 * the sender's effective ids, the same the accept reports.
 */
TEST_F(service, credentials)
{
	struct kipc_msg m;
	struct kipc_accept ac;
	struct kipc_io io = {
		.size = sizeof(io), .msgs = (uintptr_t)&m, .nr_msgs = 1,
		.msg_size = sizeof(m), .region_fd = KIPC_NO_FD,
	};
	char other[80], buf[8];
	int svc2, send_fd, recv_fd;

	if (geteuid())
		SKIP(return, "needs root to switch uids");
	EXPECT_EQ(0, as_user(connect_and_send, self->name, true));
	ASSERT_EQ(0, do_accept(self->svc, KIPC_CONN_NONBLOCK, &ac));
	EXPECT_EQ(NOBODY, ac.uid);
	EXPECT_EQ(NOBODY, ac.gid);
	memset(&m, 0, sizeof(m));
	m.data = (uintptr_t)buf;
	m.data_len = sizeof(buf);
	ASSERT_EQ(1, ioctl(ac.recv_fd, KIPC_IOC_RECV, &io));
	/* The client's real uid is root; the effective one is what counts. */
	EXPECT_EQ(NOBODY, m.uid);
	EXPECT_EQ(NOBODY, m.gid);
	close(ac.recv_fd);
	close(ac.send_fd);

	svc2 = service_create(self->ctx, 0, 0);
	ASSERT_LE(0, svc2);
	snprintf(other, sizeof(other), "%s-0600", self->name);
	ASSERT_EQ(0, publish(self->ctx, other, svc2, 0600));
	EXPECT_EQ(EACCES, as_user(connect_errno, other, false));
	EXPECT_EQ(0, connect_errno(self->ctx, other));
	unpublish(self->ctx, other);
	close(svc2);

	/*
	 * A name the caller may not use tells nothing of what it names: a
	 * channel's, 0600, is EACCES as a service's is, not ECONNREFUSED.
	 */
	snprintf(other, sizeof(other), "%s-chan-0600", self->name);
	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, 0, -1, &send_fd,
				       &recv_fd));
	ASSERT_EQ(0, publish_any(self->ctx, other, send_fd));
	EXPECT_EQ(EACCES, as_user(connect_errno, other, false));
	EXPECT_EQ(ECONNREFUSED, connect_errno(self->ctx, other));
	unpublish(self->ctx, other);
	close(send_fd);
	close(recv_fd);
}

/*
 * A message written with write(2) carries the writer's real ids, also on a
 * connection: a setuid-root program (real uid nobody, effective root)
 * writing to a send end it inherited does not make its text root's. Its
 * KIPC_IOC_SEND carries the effective ids, as before.
 */
TEST_F(service, write_carries_real_ids)
{
	struct kipc_accept ac;
	struct kipc_msg m;
	int pid, status;
	char buf[8];

	if (geteuid())
		SKIP(return, "needs root to switch uids");
	pid = fork();
	if (!pid) {
		int ctx;

		if (setresgid(NOBODY, 0, 0) || setresuid(NOBODY, 0, 0))
			_exit(100);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		_exit(ctx < 0 ? 101 : connect_write_and_send(ctx, self->name));
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("killed by signal %d", WTERMSIG(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, do_accept(self->svc, KIPC_CONN_NONBLOCK, &ac));
	EXPECT_EQ(0, ac.uid);
	ASSERT_EQ(1, do_call(ac.send_fd, ac.recv_fd, NULL, buf, sizeof(buf), 0,
			     &m, NULL));
	EXPECT_EQ('w', buf[0]);
	EXPECT_EQ(NOBODY, m.uid) TH_LOG("write(2) carried the effective uid");
	EXPECT_EQ(NOBODY, m.gid);
	ASSERT_EQ(1, do_call(ac.send_fd, ac.recv_fd, NULL, buf, sizeof(buf), 0,
			     &m, NULL));
	EXPECT_EQ('s', buf[0]);
	EXPECT_EQ(0, m.uid);
	EXPECT_EQ(0, m.gid);
	close(ac.recv_fd);
	close(ac.send_fd);
}

#define REPLY_BYTES	1024

/*
 * Non-blocking replies of REPLY_BYTES on @fd until one fails, at most
 * 1000: the failure (ENOBUFS at the owner's cap), their count in *@sent.
 */
static int reply_until_full(int fd, int *sent)
{
	static const char big[REPLY_BYTES];
	int ret;

	do {
		ret = kt_send1(fd, big, sizeof(big), 0, KIPC_IO_NONBLOCK);
		*sent += ret == 1;
	} while (ret == 1 && *sent < 1000);
	return ret;
}

/*
 * The replies a server queues for a client are the server's to pay for:
 * a server (root) that floods a client (nobody) with unread replies hits
 * its own max_inflight_bytes_per_user, and the client can still send on
 * a channel of its own. On the old module the client's cap paid for both.
 */
TEST_F(service, replies_are_the_servers_to_pay)
{
	int go[2], done[2], pid, status, ret, sent = 0;
	struct kipc_accept ac;
	char c;

	if (geteuid())
		SKIP(return, "needs root to switch uids and set the cap");
	self->inflight.name = "max_inflight_bytes_per_user";
	ASSERT_EQ(0, kt_param_save(&self->inflight));
	ASSERT_EQ(0, kt_param_set_num(self->inflight.name, 16384));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	if (!pid) {
		struct kipc_connect cn;
		int ctx, tx, rx;

		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		if (ctx < 0 || do_connect(ctx, self->name, 0, 0, &cn) ||
		    kt_channel_create(ctx, 0, 0, 0, -1, &tx, &rx))
			_exit(101);
		c = 'c';
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(102);
		/* The server's replies sit unread on cn.recv_fd. */
		ret = kt_send1(tx, "mine", 4, 0, KIPC_IO_NONBLOCK);
		_exit(ret == 1 ? 0 : -ret);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(done[0], &c, 1));
	ASSERT_EQ(0, do_accept(self->svc, KIPC_CONN_NONBLOCK, &ac));
	ret = reply_until_full(ac.send_fd, &sent);
	EXPECT_EQ(-ENOBUFS, ret) TH_LOG("%d replies, then %d", sent, ret);
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	kt_param_restore(&self->inflight);
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("killed by signal %d", WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("the client's own send failed: %s",
		       strerror(WEXITSTATUS(status)));
	close(ac.recv_fd);
	close(ac.send_fd);
}

/*
 * A service made with backlog 0 takes the default (128) only within
 * max_backlog: root's cap holds for it as for a backlog given. It queued
 * 128 connections whatever the cap said.
 */
TEST_F(service, default_backlog_is_within_max_backlog)
{
	struct kipc_connect cn[3];
	char nm[80];
	int svc, i;

	if (geteuid())
		SKIP(return, "needs root to set the cap");
	self->cap.name = "max_backlog";
	ASSERT_EQ(0, kt_param_save(&self->cap));
	ASSERT_EQ(0, kt_param_set_num(self->cap.name, 2));
	svc = service_create(self->ctx, 0, 0);
	ASSERT_LE(0, svc);
	snprintf(nm, sizeof(nm), "%s-backlog", self->name);
	ASSERT_EQ(0, publish(self->ctx, nm, svc, 0600));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, do_connect(self->ctx, nm, KIPC_CONN_NONBLOCK, 0,
					&cn[i]));
	EXPECT_EQ(-EAGAIN, do_connect(self->ctx, nm, KIPC_CONN_NONBLOCK, 0,
				      &cn[2]))
		TH_LOG("a third connection waits in a backlog of max_backlog 2");
	unpublish(self->ctx, nm);
	close(svc);
}

/* @uid's kernel bytes in flight (0 when the module has no record of it). */
static __u64 inflight_of(uid_t uid)
{
	__u64 v = 0;

	if (kt_genl_get_u64(KIPC_CMD_USER_GET, KIPC_A_USER_UID, uid,
			    KIPC_A_USER_INFLIGHT_BYTES, &v))
		return 0;
	return v;
}

/*
 * Replies are the server's to pay for while it can send more; once it
 * has closed its send end, what is left unread is the client's, whose
 * receive end holds it. A client that never read its replies, published
 * its reply end under a name and exited held the server's bytes in
 * flight for good: every send of the server's user then failed with
 * ENOBUFS, and only CAP_IPC_OWNER could unlink the name. The server that
 * closes gets its bytes back; the client's user pays until the name goes.
 */
TEST_F(service, unread_replies_are_the_clients_once_the_server_closes)
{
	int go[2], done[2], pid, status, ret, sent = 0, tx, rx;
	__u64 nobody_before, nobody_held, root_held;
	static const char one[REPLY_BYTES];
	struct kipc_accept ac;
	char c;

	if (geteuid())
		SKIP(return, "needs root to switch uids and set the cap");
	snprintf(self->rname, sizeof(self->rname), "%s-replies", self->name);
	nobody_before = inflight_of(NOBODY);
	self->inflight.name = "max_inflight_bytes_per_user";
	ASSERT_EQ(0, kt_param_save(&self->inflight));
	ASSERT_EQ(0, kt_param_set_num(self->inflight.name, 16384));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	if (!pid) {
		struct kipc_connect cn;
		int ctx;

		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		if (ctx < 0 || do_connect(ctx, self->name, 0, 0, &cn))
			_exit(101);
		if (publish_any(ctx, self->rname, cn.recv_fd))
			_exit(102);
		c = 'c';
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(103);
		_exit(0);	/* the name keeps the reply end, unread */
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(done[0], &c, 1));
	ASSERT_EQ(0, do_accept(self->svc, KIPC_CONN_NONBLOCK, &ac));
	ret = reply_until_full(ac.send_fd, &sent);
	EXPECT_EQ(-ENOBUFS, ret) TH_LOG("%d replies, then %d", sent, ret);
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("killed by signal %d", WTERMSIG(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("the client: %d",
						 WEXITSTATUS(status));
	root_held = inflight_of(geteuid());
	close(ac.send_fd);
	close(ac.recv_fd);

	ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, 0, -1, &tx, &rx));
	ret = kt_send1(tx, one, sizeof(one), 0, KIPC_IO_NONBLOCK);
	nobody_held = inflight_of(NOBODY);
	EXPECT_EQ(1, ret)
		TH_LOG("the server's send after it closed the connection: %s (%llu bytes in flight before the close)",
		       strerror(-ret), (unsigned long long)root_held);
	EXPECT_LE(nobody_before + sent * REPLY_BYTES, nobody_held)
		TH_LOG("the client's user pays %llu bytes for %d unread replies",
		       (unsigned long long)(nobody_held - nobody_before), sent);
	unpublish(self->ctx, self->rname);
	EXPECT_EQ(nobody_before, inflight_of(NOBODY))
		TH_LOG("the replies' bytes once their name is gone");
	kt_param_restore(&self->inflight);
	close(tx);
	close(rx);
}

struct held_reply {
	int rfd;
	void *data;
	int ret;
};

/* Receives a reply into @arg's data, a page userfaultfd holds. */
static void *held_reply_run(void *arg)
{
	struct held_reply *hr = arg;
	struct kipc_msg m;

	hr->ret = kt_recv1(hr->rfd, hr->data, REPLY_BYTES, &m, 0);
	return NULL;
}

/*
 * The same with the reply taken by a receive when the server closes, and
 * put back once the receive fails its copy-out: it is queued again after
 * the last send end went, so it is the client's to pay for then, as if it
 * had been queued at the close. The client runs as root here (userfaultfd
 * on kernel copies), the server as nobody.
 */
TEST_F(service, a_reply_put_back_after_the_close_is_the_clients)
{
	__u64 nobody_before, root_before, charge, fault = 0;
	static const char one[REPLY_BYTES];
	int go[2], done[2], pid, status, uffd;
	long page = sysconf(_SC_PAGESIZE);
	static char room[REPLY_BYTES];
	struct held_reply hr = { .ret = 1 };
	struct kipc_connect cn;
	struct kipc_msg m;
	pthread_t t;
	char c;

	if (geteuid())
		SKIP(return, "needs root: userfaultfd on kernel copies, and to switch uids");
	uffd = kt_uffd_open(0);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(-uffd));
	snprintf(self->rname, sizeof(self->rname), "%s-nobody", self->name);
	nobody_before = inflight_of(NOBODY);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	if (!pid) {
		struct kipc_accept ac;
		int ctx, svc;

		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		svc = ctx < 0 ? -1 : service_create(ctx, 4, 0);
		if (svc < 0 || publish(ctx, self->rname, svc, 0622))
			_exit(101);
		c = 'p';
		if (write(done[1], &c, 1) != 1 || do_accept(svc, 0, &ac))
			_exit(102);
		if (kt_send1(ac.send_fd, one, sizeof(one), 0, 0) != 1)
			_exit(103);
		c = 's';
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(104);
		close(ac.send_fd);	/* the connection's last send end */
		close(ac.recv_fd);
		c = 'x';
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(105);
		_exit(0);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(done[0], &c, 1));
	ASSERT_EQ(0, do_connect(self->ctx, self->rname, 0, 0, &cn));
	ASSERT_EQ(1, read(done[0], &c, 1));
	ASSERT_EQ('s', c);
	root_before = inflight_of(geteuid());
	/* The reply's charge: its bytes and the message's own. */
	charge = inflight_of(NOBODY) - nobody_before;
	ASSERT_LE(REPLY_BYTES, charge);

	hr.rfd = cn.recv_fd;
	hr.data = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hr.data);
	ASSERT_EQ(0, kt_uffd_register(uffd, hr.data, page,
				      UFFDIO_REGISTER_MODE_MISSING));
	ASSERT_EQ(0, pthread_create(&t, NULL, held_reply_run, &hr));
	ASSERT_EQ(0, kt_uffd_wait_fault(uffd, 10000, &fault));
	/* The receive holds the reply in its copy-out: the server closes. */
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(1, read(done[0], &c, 1));
	ASSERT_EQ('x', c);
	ASSERT_EQ(0, kt_uffd_fail(uffd, hr.data, page));
	pthread_join(t, NULL);
	EXPECT_EQ(-EFAULT, hr.ret);
	EXPECT_EQ(nobody_before, inflight_of(NOBODY))
		TH_LOG("the server's user still pays for the reply put back");
	EXPECT_EQ(root_before + charge, inflight_of(geteuid()))
		TH_LOG("the client's user pays %lld bytes of its %llu",
		       (long long)(inflight_of(geteuid()) - root_before),
		       (unsigned long long)charge);
	ASSERT_EQ(1, kt_recv1(cn.recv_fd, room, sizeof(room), &m,
			      KIPC_IO_NONBLOCK));
	EXPECT_EQ(REPLY_BYTES, m.data_len);
	EXPECT_EQ(root_before, inflight_of(geteuid()));
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("killed by signal %d", WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the server: %d",
						 WEXITSTATUS(status));
	munmap(hr.data, page);
	close(cn.send_fd);
	close(cn.recv_fd);
	close(uffd);
}

/* max_services_per_user bounds the services one user holds. */
/*
 * The cap is one above what the user holds already: the fixture's service,
 * and any that an earlier program left (kipc-rpc-test's servers, run before
 * in the same guest, may still be going).
 */
TEST_F(service, per_user_cap)
{
	char old[32];
	__u64 held;
	int a, b, ret;

	ret = kt_genl_get_u64(KIPC_CMD_USER_GET, KIPC_A_USER_UID, geteuid(),
			      KIPC_A_USER_SERVICES, &held);
	ASSERT_EQ(0, ret) TH_LOG("user-get, services: %s", strerror(-ret));
	ASSERT_LE(1, held);
	ASSERT_EQ(0, kt_param_get("max_services_per_user", old, sizeof(old)));
	ASSERT_EQ(0, kt_param_set_num("max_services_per_user", held + 1));
	a = service_create(self->ctx, 0, 0);
	b = service_create(self->ctx, 0, 0);
	EXPECT_LE(0, a);
	EXPECT_EQ(-ENOSPC, b);
	ASSERT_EQ(0, kt_param_set("max_services_per_user", old));
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

struct race {
	int ctx;
	const char *name;
	int svc;
	int refused;
	int connected;
	int stop;
};

static void *race_connect(void *arg)
{
	struct race *r = arg;
	struct kipc_connect cn;
	int ret;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		ret = do_connect(r->ctx, r->name, KIPC_CONN_NONBLOCK, 0, &cn);
		if (!ret) {
			r->connected++;
			close(cn.send_fd);
			close(cn.recv_fd);
		} else if (ret == -ECONNREFUSED) {
			r->refused++;
		} else if (ret != -EAGAIN && ret != -ENOENT) {
			return (void *)(intptr_t)ret;
		}
	}
	return NULL;
}

/*
 * One thread connects while another accepts, closes the service and
 * publishes a new one under the name: every connect either succeeds with
 * whole ends or is refused, and nothing is left behind.
 */
TEST_F(service, race_connect_close)
{
	struct race r = { .ctx = self->ctx, .name = self->name };
	struct kipc_accept ac;
	pthread_t t;
	void *res;
	int i, svc;

	ASSERT_EQ(0, pthread_create(&t, NULL, race_connect, &r));
	for (i = 0; i < 300; i++) {
		while (!do_accept(self->svc, KIPC_CONN_NONBLOCK, &ac)) {
			close(ac.recv_fd);
			close(ac.send_fd);
		}
		unpublish(self->ctx, self->name);
		close(self->svc);
		svc = service_create(self->ctx, 4, 0);
		ASSERT_LE(0, svc);
		self->svc = svc;
		ASSERT_EQ(0, publish(self->ctx, self->name, svc, 0622));
		usleep(200);	/* room for connects to succeed, not only fail */
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(t, &res));
	EXPECT_EQ(NULL, res);
	EXPECT_LT(0, r.connected);
	TH_LOG("%d connected, %d refused", r.connected, r.refused);
}

#define RACE_CONNS	50

struct acceptor {
	int svc;
	int nr;
	int *total;		/* accepted by both, of RACE_CONNS */
	uint64_t ids[64];
};

/*
 * Accept until both acceptors have RACE_CONNS between them: each ACCEPT
 * waits 300 ms and is tried again while some are missing (20 s at most),
 * so that a connecting thread the host left waiting for longer is no
 * failure.
 */
static void *accept_all(void *arg)
{
	uint64_t give_up = kt_now_ns(CLOCK_MONOTONIC) + 20000000000ULL;
	struct acceptor *a = arg;
	struct kipc_accept ac;

	memset(&ac, 0, sizeof(ac));
	ac.size = sizeof(ac);
	ac.flags = KIPC_CONN_TIMEOUT;
	ac.clockid = CLOCK_MONOTONIC;
	while (a->nr < 64) {
		ac.timeout_ns = kt_now_ns(CLOCK_MONOTONIC) + 300000000ULL;
		if (!ioctl(a->svc, KIPC_IOC_ACCEPT, &ac)) {
			a->ids[a->nr++] = ac.id;
			__atomic_add_fetch(a->total, 1, __ATOMIC_RELAXED);
			close(ac.recv_fd);
			close(ac.send_fd);
		} else if (errno != ETIMEDOUT ||
			   __atomic_load_n(a->total, __ATOMIC_RELAXED) >=
			   RACE_CONNS ||
			   kt_now_ns(CLOCK_MONOTONIC) > give_up) {
			break;
		}
	}
	return NULL;
}

/* Two threads accept on one service: each connection goes to exactly one. */
TEST_F(service, race_two_acceptors)
{
	int total = 0;
	struct acceptor a = { .svc = self->svc, .total = &total };
	struct acceptor b = { .svc = self->svc, .total = &total };
	struct kipc_connect cn;
	pthread_t ta, tb;
	int i, j, k;

	ASSERT_EQ(0, pthread_create(&ta, NULL, accept_all, &a));
	ASSERT_EQ(0, pthread_create(&tb, NULL, accept_all, &b));
	for (i = 0; i < RACE_CONNS; i++) {
		/* The backlog (4) fills while both acceptors are busy: wait. */
		ASSERT_EQ(0, do_connect(self->ctx, self->name, 0,
					kt_now_ns(CLOCK_MONOTONIC) + 5000000000ULL,
					&cn));
		close(cn.send_fd);
		close(cn.recv_fd);
	}
	ASSERT_EQ(0, pthread_join(ta, NULL));
	ASSERT_EQ(0, pthread_join(tb, NULL));
	EXPECT_EQ(RACE_CONNS, a.nr + b.nr);
	for (i = 0; i < a.nr; i++)
		for (j = 0; j < b.nr; j++)
			EXPECT_NE(a.ids[i], b.ids[j]);
	for (k = 1; k < a.nr; k++)
		EXPECT_LT(a.ids[k - 1], a.ids[k]);
	TH_LOG("accepted %d and %d", a.nr, b.nr);
}

KIPC_TEST_MAIN
