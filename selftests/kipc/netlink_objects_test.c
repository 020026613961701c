// SPDX-License-Identifier: GPL-2.0
/*
 * Every kind of kipc object is listed over netlink the same way: lend
 * queues, names and services by id, with their creator, and created - destroyed
 * equal to the number listed; names only in the lister's IPC namespace;
 * a dump racing with creation and destruction sees only complete objects,
 * and one racing with the last put of an object reads nothing it frees.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

/* What a dump or a do found: the records of one type. */
struct found {
	int nr;
	uint64_t id[64];
	uint32_t uid[64], pid[64], kind[64], mode[64];
	uint32_t pending[64], listeners[64];	/* services */
	uint64_t target[64];
	char name[64][KIPC_NAME_MAX + 1];
	int incomplete;	/* records without an id, uid or pid */
};

struct walk {
	struct found *f;
	uint16_t id_attr, uid_attr, pid_attr;
};

static void collect(const struct nlmsghdr *h, void *arg)
{
	struct walk *w = arg;
	struct found *f = w->f;
	int i = f->nr, len, seen = 0;
	struct nlattr *a;

	if (i >= 64)
		return;
	memset(f->name[i], 0, sizeof(f->name[i]));
	kt_for_each_attr(a, len, h) {
		if (a->nla_type == w->id_attr) {
			f->id[i] = kt_attr_u64(a);
			seen |= 1;
		} else if (a->nla_type == w->uid_attr) {
			f->uid[i] = kt_attr_u32(a);
			seen |= 2;
		} else if (a->nla_type == w->pid_attr) {
			f->pid[i] = kt_attr_u32(a);
			seen |= 4;
		}
		if (w->id_attr == KIPC_A_SERVICE_ID) {
			if (a->nla_type == KIPC_A_SERVICE_PENDING)
				f->pending[i] = kt_attr_u32(a);
			else if (a->nla_type == KIPC_A_SERVICE_LISTENERS)
				f->listeners[i] = kt_attr_u32(a);
		}
		if (w->id_attr != KIPC_A_NAME_ID)
			continue;
		if (a->nla_type == KIPC_A_NAME_NAME)
			strncpy(f->name[i], (char *)a + NLA_HDRLEN, KIPC_NAME_MAX);
		else if (a->nla_type == KIPC_A_NAME_KIND)
			f->kind[i] = kt_attr_u32(a);
		else if (a->nla_type == KIPC_A_NAME_MODE)
			f->mode[i] = kt_attr_u32(a);
		else if (a->nla_type == KIPC_A_NAME_TARGET_ID)
			f->target[i] = kt_attr_u64(a);
	}
	if (seen != 7 || !f->id[i])
		f->incomplete++;
	f->nr++;
}

/* Dump (id 0) or get (id != 0) lend queues, names or services into @f. */
static int list(struct kt_genl *g, uint8_t cmd, uint64_t id, struct found *f)
{
	struct walk w = { .f = f };
	struct kt_genl_req r;

	if (cmd == KIPC_CMD_LEND_QUEUE_GET) {
		w.id_attr = KIPC_A_LEND_QUEUE_ID;
		w.uid_attr = KIPC_A_LEND_QUEUE_UID;
		w.pid_attr = KIPC_A_LEND_QUEUE_PID;
	} else if (cmd == KIPC_CMD_SERVICE_GET) {
		w.id_attr = KIPC_A_SERVICE_ID;
		w.uid_attr = KIPC_A_SERVICE_UID;
		w.pid_attr = KIPC_A_SERVICE_PID;
	} else {
		w.id_attr = KIPC_A_NAME_ID;
		w.uid_attr = KIPC_A_NAME_UID;
		w.pid_attr = KIPC_A_NAME_PID;
	}
	memset(f, 0, sizeof(*f));
	kt_genl_init(g, &r, g->family, cmd, id ? 0 : NLM_F_DUMP);
	if (id)
		kt_genl_attr(&r, w.id_attr, &id, sizeof(id));
	return kt_genl_run_each(g, &r, collect, &w);
}

static int find(const struct found *f, uint64_t id)
{
	int i;

	for (i = 0; i < f->nr; i++)
		if (f->id[i] == id)
			return i;
	return -1;
}

/* A counter of stats-get. */
static uint64_t stat_of(const struct nlmsghdr *h, uint16_t attr)
{
	struct nlattr *a;
	int len;

	kt_for_each_attr(a, len, h)
		if (a->nla_type == attr)
			return kt_attr_u64(a);
	return UINT64_MAX;
}

struct counters {
	uint64_t lendqs, names, services;	/* created - destroyed */
	int have;
};

static void read_counters(const struct nlmsghdr *h, void *arg)
{
	struct counters *c = arg;

	c->lendqs = stat_of(h, KIPC_A_STATS_LENDQS_CREATED) -
		    stat_of(h, KIPC_A_STATS_LENDQS_DESTROYED);
	c->names = stat_of(h, KIPC_A_STATS_NAMES_CREATED) -
		   stat_of(h, KIPC_A_STATS_NAMES_DESTROYED);
	c->services = stat_of(h, KIPC_A_STATS_SERVICES_CREATED) -
		      stat_of(h, KIPC_A_STATS_SERVICES_DESTROYED);
	c->have = stat_of(h, KIPC_A_STATS_NAMES_DESTROYED) != UINT64_MAX;
}

static int counters(struct kt_genl *g, struct counters *c)
{
	struct kt_genl_req r;

	memset(c, 0, sizeof(*c));
	kt_genl_init(g, &r, g->family, KIPC_CMD_STATS_GET, 0);
	return kt_genl_run_each(g, &r, read_counters, c);
}

static int name_open(int ctx, const char *name, int fd, uint64_t *id)
{
	struct kipc_name_open res = { 0 };
	int ret = kt_name_open(ctx, name, KIPC_NAME_CREATE | KIPC_NAME_EXCL,
			       fd, 0640, &res);

	if (ret >= 0 && id)
		*id = res.id;
	return ret;
}


FIXTURE(objects) {
	int ctx;
	struct kt_genl g;
	struct found f;
};

FIXTURE_SETUP(objects)
{
	kipc_test_open(self->ctx);
	ASSERT_EQ(0, kt_genl_open(&self->g));
}

FIXTURE_TEARDOWN(objects)
{
	close(self->g.fd);
	close(self->ctx);
}

/* A lend queue is listed with its fdinfo id and its creator, until closed. */
TEST_F(objects, lend_queue_listed_until_closed)
{
	struct counters before, during, after;
	int q, i;
	long long id;

	ASSERT_EQ(0, counters(&self->g, &before));
	ASSERT_TRUE(before.have);
	q = kt_lendq_create(self->ctx, KIPC_FD_CLOEXEC);
	ASSERT_GE(q, 0);
	id = kt_fdinfo_num(q, "kipc-id");
	ASSERT_GT(id, 0);

	ASSERT_EQ(0, list(&self->g, KIPC_CMD_LEND_QUEUE_GET, 0, &self->f));
	EXPECT_EQ(0, self->f.incomplete);
	i = find(&self->f, id);
	ASSERT_GE(i, 0);
	EXPECT_EQ(getuid(), self->f.uid[i]);
	EXPECT_EQ(getpid(), self->f.pid[i]);
	ASSERT_EQ(0, list(&self->g, KIPC_CMD_LEND_QUEUE_GET, id, &self->f));
	ASSERT_EQ(1, self->f.nr);
	ASSERT_EQ(0, counters(&self->g, &during));
	EXPECT_EQ(before.lendqs + 1, during.lendqs);

	close(q);
	EXPECT_EQ(-ENOENT, list(&self->g, KIPC_CMD_LEND_QUEUE_GET, id, &self->f));
	ASSERT_EQ(0, counters(&self->g, &after));
	EXPECT_EQ(before.lendqs, after.lendqs);
}

/*
 * A service is listed with its creator and its pending connections while
 * a listener or a name holds it; closed and unlinked, it is destroyed.
 */
TEST_F(objects, service_listed_until_closed)
{
	struct kipc_service_create sc = {
		.size = sizeof(sc), .flags = KIPC_FD_CLOEXEC,
		.region_fd = KIPC_NO_FD,
	};
	struct counters before, during, after;
	struct kipc_connect cn = { .size = sizeof(cn) };
	char name[64];
	int svc, fd, i;
	long long id;

	kipc_test_require(self->ctx, KIPC_FEATURE_SERVICE);
	ASSERT_EQ(0, counters(&self->g, &before));
	svc = ioctl(self->ctx, KIPC_IOC_SERVICE_CREATE, &sc);
	ASSERT_GE(svc, 0);
	id = kt_fdinfo_num(svc, "kipc-id");
	EXPECT_EQ(sc.id, id);
	snprintf(name, sizeof(name), "nl-service-%d", getpid());
	fd = name_open(self->ctx, name, svc, NULL);
	ASSERT_GE(fd, 0);	/* a second listener */
	cn.name = (uintptr_t)name;
	ASSERT_EQ(0, ioctl(self->ctx, KIPC_IOC_CONNECT, &cn));

	ASSERT_EQ(0, list(&self->g, KIPC_CMD_SERVICE_GET, 0, &self->f));
	EXPECT_EQ(0, self->f.incomplete);
	i = find(&self->f, id);
	ASSERT_GE(i, 0);
	EXPECT_EQ(getuid(), self->f.uid[i]);
	EXPECT_EQ(getpid(), self->f.pid[i]);
	EXPECT_EQ(1, self->f.pending[i]);
	EXPECT_EQ(2, self->f.listeners[i]);
	ASSERT_EQ(0, counters(&self->g, &during));
	EXPECT_EQ(before.services + 1, during.services);

	/* No listener: it listens no more, but its name still holds it. */
	close(svc);
	close(fd);
	ASSERT_EQ(0, list(&self->g, KIPC_CMD_SERVICE_GET, id, &self->f));
	ASSERT_EQ(1, self->f.nr);
	EXPECT_EQ(0, self->f.pending[0]);
	EXPECT_EQ(0, self->f.listeners[0]);
	ASSERT_EQ(0, kt_name_unlink(self->ctx, name));
	EXPECT_EQ(-ENOENT, list(&self->g, KIPC_CMD_SERVICE_GET, id, &self->f));
	ASSERT_EQ(0, counters(&self->g, &after));
	EXPECT_EQ(before.services, after.services);
	close(cn.send_fd);
	close(cn.recv_fd);
}

/* A name is listed with what it names, until unlinked. */
TEST_F(objects, name_listed_until_unlinked)
{
	struct kipc_region_info ri = { .size = sizeof(ri) };
	struct counters before, during, after;
	char name[32];
	uint64_t id;
	int r, fd, i;

	snprintf(name, sizeof(name), "nl-objects-%d", getpid());
	/*
	 * Names of IPC namespaces that died (an earlier test's) go at the
	 * next name operation: let it happen before counting.
	 */
	ASSERT_EQ(-ENOENT, kt_name_unlink(self->ctx, name));
	ASSERT_EQ(0, counters(&self->g, &before));
	r = kt_region_create(self->ctx, kt_page(), 0, KIPC_FD_CLOEXEC, NULL);
	ASSERT_GE(r, 0);
	ASSERT_EQ(0, kt_region_info(r, &ri));
	fd = name_open(self->ctx, name, r, NULL);
	ASSERT_GE(fd, 0);
	close(fd);

	ASSERT_EQ(0, list(&self->g, KIPC_CMD_NAME_GET, 0, &self->f));
	EXPECT_EQ(0, self->f.incomplete);
	for (i = 0; i < self->f.nr; i++)
		if (!strcmp(self->f.name[i], name))
			break;
	ASSERT_LT(i, self->f.nr);
	id = self->f.id[i];
	EXPECT_EQ(KIPC_NAME_REGION, self->f.kind[i]);
	EXPECT_EQ(ri.id, self->f.target[i]);
	EXPECT_EQ(0640, self->f.mode[i]);
	EXPECT_EQ(getuid(), self->f.uid[i]);
	ASSERT_EQ(0, counters(&self->g, &during));
	EXPECT_EQ(before.names + 1, during.names);

	ASSERT_EQ(0, kt_name_unlink(self->ctx, name));
	EXPECT_EQ(-ENOENT, list(&self->g, KIPC_CMD_NAME_GET, id, &self->f));
	ASSERT_EQ(0, counters(&self->g, &after));
	EXPECT_EQ(before.names, after.names);
	close(r);
}

/* Names of another IPC namespace are not listed; the namespace's own are. */
TEST_F(objects, names_listed_per_ipc_namespace)
{
	int pipefd[2], status;
	uint64_t id = 0;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kt_genl g;
		struct found f;
		int ctx, r, fd;

		close(pipefd[0]);
		if (unshare(CLONE_NEWIPC))
			_exit(10);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		r = kt_region_create(ctx, kt_page(), 0, KIPC_FD_CLOEXEC, NULL);
		fd = name_open(ctx, "nl-objects-ns", r, NULL);
		if (ctx < 0 || r < 0 || fd < 0 || kt_genl_open(&g))
			_exit(11);
		if (list(&g, KIPC_CMD_NAME_GET, 0, &f) || f.nr != 1 ||
		    strcmp(f.name[0], "nl-objects-ns"))
			_exit(12);
		id = f.id[0];
		if (write(pipefd[1], &id, sizeof(id)) != sizeof(id))
			_exit(13);
		/* Stay in the namespace until the parent has looked. */
		if (read(pipefd[1], &c, 1) < 0)
			_exit(0);
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(id), read(pipefd[0], &id, sizeof(id)));
	ASSERT_EQ(0, list(&self->g, KIPC_CMD_NAME_GET, 0, &self->f));
	EXPECT_LT(find(&self->f, id), 0);
	EXPECT_EQ(-ENOENT, list(&self->g, KIPC_CMD_NAME_GET, id, &self->f));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

struct churn {
	int ctx;
	volatile int stop;
	int errors;
};

static void *churn_lendqs(void *arg)
{
	struct churn *c = arg;
	int q;

	while (!c->stop) {
		q = kt_lendq_create(c->ctx, KIPC_FD_CLOEXEC);
		if (q < 0)
			c->errors++;
		else
			close(q);
	}
	return NULL;
}

/*
 * Dumps while another thread creates and closes lend queues: every record
 * is complete, ids only grow within a dump, and nothing leaks.
 */
TEST_F(objects, dump_races_with_create_and_close)
{
	struct churn c = { .ctx = self->ctx };
	struct counters before, after;
	pthread_t t;
	int round, i;

	ASSERT_EQ(0, counters(&self->g, &before));
	ASSERT_EQ(0, pthread_create(&t, NULL, churn_lendqs, &c));
	for (round = 0; round < 300; round++) {
		ASSERT_EQ(0, list(&self->g, KIPC_CMD_LEND_QUEUE_GET, 0, &self->f));
		ASSERT_EQ(0, self->f.incomplete);
		for (i = 1; i < self->f.nr; i++)
			ASSERT_LT(self->f.id[i - 1], self->f.id[i]);
	}
	c.stop = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(0, c.errors);
	ASSERT_EQ(0, counters(&self->g, &after));
	EXPECT_EQ(before.lendqs, after.lendqs);
}

/* As another user, publish a name of a new region, then exit. */
static void publish_as_nobody(const char *name)
{
	int ctx, r;

	if (kt_become(KT_NOBODY, KT_NOBODY))
		_exit(1);
	ctx = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (ctx < 0)
		_exit(2);
	r = kt_region_create(ctx, kt_page(), 0, KIPC_FD_CLOEXEC, NULL);
	if (r < 0 || name_open(ctx, name, r, NULL) < 0)
		_exit(3);
	_exit(0);
}

struct last_puts {
	int ctx;
	volatile int stop;
	int rounds, errors;
};

/*
 * Names whose publisher has exited: the name holds the last reference on
 * the publisher's pid and kipc user record, so its unlink frees both.
 */
static void *churn_last_puts(void *arg)
{
	struct last_puts *lp = arg;
	char name[48];
	pid_t pid;

	while (!lp->stop) {
		snprintf(name, sizeof(name), "nl-last-put-%d-%d", getpid(),
			 lp->rounds);
		pid = fork();
		if (pid < 0) {
			lp->errors++;
			break;
		}
		if (!pid)
			publish_as_nobody(name);
		if (kt_wait(pid, 10000) || kt_name_unlink(lp->ctx, name))
			lp->errors++;
		lp->rounds++;
	}
	return NULL;
}

/*
 * Dumps (with and without a pid filter, which reads each name's creator)
 * while other names' last references go: a dump must read an object's
 * user and pid only while it holds the object. Without that, KASAN
 * reports a use after free on the debug kernel.
 */
TEST_F_TIMEOUT(objects, dump_races_with_last_put, 90)
{
	struct last_puts lp = { .ctx = self->ctx };
	uint64_t start = kt_now_ns(CLOCK_MONOTONIC);
	/* Forks are the slow side: 60 s for 20 on a slow debug guest. */
	uint64_t until = start + 60000000000ULL;
	uint32_t me = (uint32_t)getpid();
	struct kt_genl_req r;
	pthread_t t;
	int round;

	if (geteuid())
		SKIP(return, "needs root to publish as another user");
	ASSERT_EQ(0, pthread_create(&t, NULL, churn_last_puts, &lp));
	for (round = 0; round < 400 || lp.rounds < 20; round++) {
		ASSERT_EQ(0, list(&self->g, KIPC_CMD_NAME_GET, 0, &self->f));
		ASSERT_EQ(0, self->f.incomplete);
		kt_genl_init(&self->g, &r, self->g.family, KIPC_CMD_NAME_GET,
			     NLM_F_DUMP);
		kt_genl_attr(&r, KIPC_A_NAME_PID, &me, sizeof(me));
		ASSERT_EQ(0, kt_genl_run(&self->g, &r, NULL));
		ASSERT_GT(until, kt_now_ns(CLOCK_MONOTONIC))
			TH_LOG("%d last puts in 60 s", lp.rounds);
	}
	lp.stop = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(0, lp.errors);
	TH_LOG("%d dumps against %d last puts in %llu ms", round, lp.rounds,
	       (unsigned long long)((kt_now_ns(CLOCK_MONOTONIC) - start) /
				    1000000));
}

KIPC_TEST_MAIN
