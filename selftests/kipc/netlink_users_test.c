// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, deliverable 4: every user's usage of the per-user caps, and
 * the caps, over netlink (KIPC_CMD_USER_GET).
 *
 * As root: a do for uid 0 counts exactly the regions, channels, lend
 * queues, names, queued message bytes and pool bytes this test creates,
 * and every limit is the module parameter's value (also after a change).
 * As nobody: a dump lists nobody's own record only, a do for uid 0 (a
 * record that exists) is ENOENT, STATS_GET is EPERM; root meanwhile sees
 * both records. As root of a user namespace of nobody, the record of
 * nobody (the namespace's owner) shows as uid 0, the uid that maps to it.
 * Lending as nobody: pinned-pages grows by the pages lent and goes back
 * to 0 once every range is released (unmapped by the receiver, or
 * dropped with its channel).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NR_RECS		64

/* One user-get reply: every attribute by type, and which were present. */
struct urec {
	uint64_t v[KIPC_A_USER_MAX + 1];
	uint32_t present;	/* bit per attribute type */
};

/* The attributes of the per-user caps: usage, its cap, the parameter. */
static const struct {
	int used, limit;
	const char *param;
} res_attrs[] = {
	{ KIPC_A_USER_REGIONS, KIPC_A_USER_REGIONS_LIMIT, "max_regions_per_user" },
	{ KIPC_A_USER_CHANNELS, KIPC_A_USER_CHANNELS_LIMIT, "max_channels_per_user" },
	{ KIPC_A_USER_LENDQS, KIPC_A_USER_LENDQS_LIMIT, "max_lendqs_per_user" },
	{ KIPC_A_USER_NAMES, KIPC_A_USER_NAMES_LIMIT, "max_names_per_user" },
	{ KIPC_A_USER_INFLIGHT_BYTES, KIPC_A_USER_INFLIGHT_BYTES_LIMIT,
	  "max_inflight_bytes_per_user" },
	{ KIPC_A_USER_POOL_BYTES, KIPC_A_USER_POOL_BYTES_LIMIT,
	  "max_pool_bytes_per_user" },
	{ KIPC_A_USER_SERVICES, KIPC_A_USER_SERVICES_LIMIT,
	  "max_services_per_user" },
	{ KIPC_A_USER_REGION_BYTES, KIPC_A_USER_REGION_BYTES_LIMIT,
	  "max_region_bytes_per_user" },
};

#define NR_RES	(int)(sizeof(res_attrs) / sizeof(res_attrs[0]))

/* Every attribute of the set but pad: a reply carries them all. */
#define ALL_ATTRS	(((1U << (KIPC_A_USER_MAX + 1)) - 1) & \
			 ~((1U << KIPC_A_USER_PAD) | 1U))

struct unl {
	int fd;
	uint16_t family;
	uint32_t seq;
	char extack[256];
};

static void parse_urec(struct nlmsghdr *h, struct urec *r)
{
	struct nlattr *a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
	int len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	memset(r, 0, sizeof(*r));
	while (len >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		int t = a->nla_type & NLA_TYPE_MASK;
		void *p = (char *)a + NLA_HDRLEN;

		if (t <= KIPC_A_USER_MAX) {
			if (a->nla_len == NLA_HDRLEN + 8)
				memcpy(&r->v[t], p, 8);
			else if (a->nla_len == NLA_HDRLEN + 4)
				r->v[t] = *(uint32_t *)p;
			r->present |= 1U << t;
		}
		len -= NLA_ALIGN(a->nla_len);
		a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

static void save_extack(struct unl *nl, struct nlmsghdr *h, size_t off)
{
	struct nlattr *a = (void *)((char *)NLMSG_DATA(h) + off);
	int len = h->nlmsg_len - NLMSG_LENGTH(off);

	while (len >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(nl->extack, sizeof(nl->extack), "%s",
				 (char *)a + NLA_HDRLEN);
		len -= NLA_ALIGN(a->nla_len);
		a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

/*
 * Send @r; parse up to @max user records into @recs (*@n of them, may be
 * NULL for none). Return: the error of the ack or of the dump's end.
 */
static int unl_run(struct unl *nl, struct kt_genl_req *r, struct urec *recs,
		   int max, int *n)
{
	static char buf[32768];
	struct nlmsghdr *h;
	int len, count = 0;

	nl->extack[0] = '\0';
	if (send(nl->fd, r, r->nlh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		len = recv(nl->fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (h = (void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != r->nlh.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_flags & NLM_F_ACK_TLVS)
					save_extack(nl, h, sizeof(*e) +
						    ((h->nlmsg_flags & NLM_F_CAPPED) ?
						     0 : e->msg.nlmsg_len - NLMSG_HDRLEN));
				if (n)
					*n = count;
				return e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				if (h->nlmsg_flags & NLM_F_ACK_TLVS)
					save_extack(nl, h, sizeof(int));
				if (n)
					*n = count;
				return *(int *)NLMSG_DATA(h);
			}
			if (h->nlmsg_type == nl->family && recs && count < max)
				parse_urec(h, &recs[count++]);
		}
	}
}

static int unl_open(struct unl *nl)
{
	struct kt_genl g;
	int one = 1, ret;

	memset(nl, 0, sizeof(*nl));
	ret = kt_genl_open(&g);
	if (ret)
		return ret;
	nl->fd = g.fd;
	nl->family = g.family;
	nl->seq = g.seq;
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return 0;
}

static void unl_req(struct unl *nl, struct kt_genl_req *r, uint8_t cmd,
		    uint16_t flags)
{
	struct kt_genl g = { .fd = nl->fd, .family = nl->family,
			     .seq = nl->seq };

	kt_genl_init(&g, r, nl->family, cmd, flags);
	nl->seq = g.seq;
}

/* USER_GET do for @uid: 0 with the record in @rec, or -errno. */
static int user_get(struct unl *nl, uint32_t uid, struct urec *rec)
{
	struct kt_genl_req r;
	int n = 0, ret;

	unl_req(nl, &r, KIPC_CMD_USER_GET, 0);
	kt_genl_attr(&r, KIPC_A_USER_UID, &uid, sizeof(uid));
	memset(rec, 0, sizeof(*rec));
	ret = unl_run(nl, &r, rec, 1, &n);
	if (!ret && n != 1)
		return -EBADMSG;
	return ret;
}

/* USER_GET dump: 0 with *@n records in @recs, or -errno. */
static int user_dump(struct unl *nl, struct urec *recs, int *n)
{
	struct kt_genl_req r;

	unl_req(nl, &r, KIPC_CMD_USER_GET, NLM_F_DUMP);
	return unl_run(nl, &r, recs, NR_RECS, n);
}

static int stats_get(struct unl *nl)
{
	struct kt_genl_req r;

	unl_req(nl, &r, KIPC_CMD_STATS_GET, 0);
	return unl_run(nl, &r, NULL, 0, NULL);
}

/* The record of @uid among @n dumped ones, or NULL. */
static struct urec *find_uid(struct urec *recs, int n, uint32_t uid)
{
	int i;

	for (i = 0; i < n; i++)
		if (recs[i].v[KIPC_A_USER_UID] == uid)
			return &recs[i];
	return NULL;
}

static int param_u64(const char *name, uint64_t *v)
{
	char buf[64], *end;
	int ret = kt_param_get(name, buf, sizeof(buf));

	if (ret)
		return ret;
	*v = strtoull(buf, &end, 0);
	return *end ? -EINVAL : 0;
}



/* What a child reports: the step it failed at (0: none) and why. */
struct report {
	int step;
	char why[512];
	uint64_t seen[8];	/* values for the parent's checks */
};

#define CHILD_FAIL(rep, n, ...)						\
	do {								\
		(rep)->step = (n);					\
		snprintf((rep)->why, sizeof((rep)->why), __VA_ARGS__);	\
		_exit(n);						\
	} while (0)

/*
 * Both fixtures: a context of root (so that uid 0 has a record), a netlink
 * socket, a report page shared with children.
 */
#define USERS_FIXTURE(fx)					\
	FIXTURE(fx) {							\
		int ctx;						\
		struct unl nl;						\
		struct report *rep;					\
		struct kt_param param;					\
		char name[64];						\
		int named;						\
	};								\
	FIXTURE_SETUP(fx)						\
	{								\
		int ret;						\
									\
		self->named = 0;					\
		self->param.have = 0;					\
		self->nl.fd = -1;					\
		self->rep = mmap(NULL, sizeof(*self->rep),		\
				 PROT_READ | PROT_WRITE,		\
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);	\
		ASSERT_NE(MAP_FAILED, self->rep);			\
		memset(self->rep, 0, sizeof(*self->rep));		\
		kipc_test_open(self->ctx);				\
		ret = unl_open(&self->nl);				\
		if (ret == -ENOENT)					\
			SKIP(return, "no netlink family kipc");		\
		ASSERT_EQ(0, ret);					\
		snprintf(self->name, sizeof(self->name),		\
			 "kipc-nl-users-%d", getpid());			\
		if (geteuid() != 0)					\
			SKIP(return, "needs root (uid 0's record, becoming nobody)"); \
	}								\
	FIXTURE_TEARDOWN(fx)						\
	{								\
		kt_param_restore(&self->param);				\
		if (self->named)					\
			kt_name_unlink(self->ctx, self->name);		\
		if (self->nl.fd >= 0)					\
			close(self->nl.fd);				\
		close(self->ctx);					\
		munmap(self->rep, sizeof(*self->rep));			\
	}

USERS_FIXTURE(users)
USERS_FIXTURE(visible)

/* Root's own record: the counts of what it creates, and the caps. */
TEST_F(users, root_counts_and_limits)
{
	struct urec before, mid, after, *d;
	struct urec *recs = calloc(NR_RECS, sizeof(*recs));
	int reg[3], tx[2], rx[2], q, i, n, ret;
	uint64_t want;
	char msg[200], buf[256];

	ASSERT_NE(NULL, recs);
	kipc_test_require(self->ctx, KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL |
			  KIPC_FEATURE_LEND | KIPC_FEATURE_NAMES);
	/* Our open /dev/kipc alone gives uid 0 a record. */
	ret = user_get(&self->nl, 0, &before);
	ASSERT_EQ(0, ret) TH_LOG("USER_GET uid 0: %s (%s)", strerror(-ret),
				 self->nl.extack);
	EXPECT_EQ(ALL_ATTRS, before.present & ALL_ATTRS)
		TH_LOG("attributes present: 0x%x", before.present);
	EXPECT_EQ(0, before.v[KIPC_A_USER_UID]);
	for (i = 0; i < NR_RES; i++) {
		const char *param = res_attrs[i].param;

		ASSERT_EQ(0, param_u64(param, &want))
			TH_LOG("no module parameter %s", param);
		EXPECT_EQ(want, before.v[res_attrs[i].limit])
			TH_LOG("%s", param);
	}

	/* 3 regions (one with a pool of 16 buffers), 2 channels, a lend queue, a name. */
	reg[0] = kt_region_create(self->ctx, 65536, 4096, KIPC_FD_CLOEXEC, NULL);
	reg[1] = kt_region_create(self->ctx, 65536, 0, KIPC_FD_CLOEXEC, NULL);
	reg[2] = kt_region_create(self->ctx, 4096, 0, KIPC_FD_CLOEXEC, NULL);
	ASSERT_LE(0, reg[0]) TH_LOG("REGION_CREATE: %s", strerror(-reg[0]));
	ASSERT_LE(0, reg[1]) TH_LOG("REGION_CREATE: %s", strerror(-reg[1]));
	ASSERT_LE(0, reg[2]) TH_LOG("REGION_CREATE: %s", strerror(-reg[2]));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, kt_channel_create(self->ctx, 0, 0, 0, -1, &tx[i],
					       &rx[i]));
	q = kt_lendq_create(self->ctx, KIPC_FD_CLOEXEC);
	ASSERT_LE(0, q);
	ret = kt_name_open(self->ctx, self->name,
			   KIPC_NAME_CREATE | KIPC_FD_CLOEXEC, rx[1], 0600,
			   NULL);
	ASSERT_LE(0, ret) TH_LOG("NAME_OPEN: %s", strerror(-ret));
	close(ret);
	self->named = 1;

	ASSERT_EQ(0, user_get(&self->nl, 0, &mid));
	EXPECT_EQ(before.v[KIPC_A_USER_REGIONS] + 3, mid.v[KIPC_A_USER_REGIONS]);
	EXPECT_EQ(before.v[KIPC_A_USER_CHANNELS] + 2, mid.v[KIPC_A_USER_CHANNELS]);
	EXPECT_EQ(before.v[KIPC_A_USER_LENDQS] + 1, mid.v[KIPC_A_USER_LENDQS]);
	EXPECT_EQ(before.v[KIPC_A_USER_NAMES] + 1, mid.v[KIPC_A_USER_NAMES]);
	/* The pool's bookkeeping: 12 bytes per buffer (issue 12, F4). */
	EXPECT_EQ(before.v[KIPC_A_USER_POOL_BYTES] + 16 * 12,
		  mid.v[KIPC_A_USER_POOL_BYTES]);
	/* Their sizes, touched or not. */
	EXPECT_EQ(before.v[KIPC_A_USER_REGION_BYTES] + 2 * 65536 + 4096,
		  mid.v[KIPC_A_USER_REGION_BYTES]);
	EXPECT_EQ(before.v[KIPC_A_USER_INFLIGHT_BYTES],
		  mid.v[KIPC_A_USER_INFLIGHT_BYTES]);

	/* The dump holds the same record. */
	ASSERT_EQ(0, user_dump(&self->nl, recs, &n));
	d = find_uid(recs, n, 0);
	ASSERT_NE(NULL, d) TH_LOG("uid 0 not in a dump of %d records", n);
	EXPECT_EQ(mid.v[KIPC_A_USER_CHANNELS], d->v[KIPC_A_USER_CHANNELS]);
	EXPECT_EQ(mid.v[KIPC_A_USER_REGIONS], d->v[KIPC_A_USER_REGIONS]);
	for (i = 1; i < n; i++)
		EXPECT_LT(recs[i - 1].v[KIPC_A_USER_UID],
			  recs[i].v[KIPC_A_USER_UID]);	/* uid order */
	/* A dump filtered by uid: that record only. */
	{
		struct kt_genl_req r;
		uint32_t uid = 0;

		unl_req(&self->nl, &r, KIPC_CMD_USER_GET, NLM_F_DUMP);
		kt_genl_attr(&r, KIPC_A_USER_UID, &uid, sizeof(uid));
		ASSERT_EQ(0, unl_run(&self->nl, &r, recs, NR_RECS, &n));
		ASSERT_EQ(1, n);
		EXPECT_EQ(0, recs[0].v[KIPC_A_USER_UID]);
		EXPECT_EQ(mid.v[KIPC_A_USER_REGIONS], recs[0].v[KIPC_A_USER_REGIONS]);
	}

	/* A queued message holds kernel bytes, more than its inline ones. */
	memset(msg, 'm', sizeof(msg));
	ASSERT_EQ(1, kt_send1(tx[0], msg, sizeof(msg), 1, KIPC_IO_NONBLOCK));
	ASSERT_EQ(0, user_get(&self->nl, 0, &after));
	EXPECT_LT(mid.v[KIPC_A_USER_INFLIGHT_BYTES] + sizeof(msg),
		  after.v[KIPC_A_USER_INFLIGHT_BYTES]);
	ASSERT_EQ(1, kt_recv1(rx[0], buf, sizeof(buf), NULL, KIPC_IO_NONBLOCK));
	ASSERT_EQ(0, user_get(&self->nl, 0, &after));
	EXPECT_EQ(mid.v[KIPC_A_USER_INFLIGHT_BYTES],
		  after.v[KIPC_A_USER_INFLIGHT_BYTES]);

	/* A cap is read when asked for. */
	self->param.name = "max_lendqs_per_user";
	kt_param_require(&self->param);
	ASSERT_EQ(0, kt_param_set_num("max_lendqs_per_user", 77));
	ASSERT_EQ(0, user_get(&self->nl, 0, &after));
	EXPECT_EQ(77, after.v[KIPC_A_USER_LENDQS_LIMIT]);
	kt_param_restore(&self->param);

	/* Everything goes back. */
	ASSERT_EQ(0, kt_name_unlink(self->ctx, self->name));
	self->named = 0;
	close(q);
	for (i = 0; i < 2; i++) {
		close(tx[i]);
		close(rx[i]);
	}
	for (i = 0; i < 3; i++)
		close(reg[i]);
	ASSERT_EQ(0, user_get(&self->nl, 0, &after));
	for (i = 0; i < NR_RES; i++) {
		const char *param = res_attrs[i].param;

		EXPECT_EQ(before.v[res_attrs[i].used], after.v[res_attrs[i].used])
			TH_LOG("%s: usage did not go back", param);
	}
	free(recs);
}

/* Malformed requests: the do needs a uid; unknown attributes are refused. */
TEST_F(users, malformed)
{
	struct kt_genl_req r;
	uint32_t u32 = 0;
	uint64_t u64 = 0;

	unl_req(&self->nl, &r, KIPC_CMD_USER_GET, 0);
	EXPECT_EQ(-EINVAL, unl_run(&self->nl, &r, NULL, 0, NULL));
	EXPECT_STRNE("", self->nl.extack);

	unl_req(&self->nl, &r, KIPC_CMD_USER_GET, 0);
	kt_genl_attr(&r, KIPC_A_USER_UID, &u64, sizeof(u64));	/* not u32 */
	EXPECT_EQ(-EINVAL, unl_run(&self->nl, &r, NULL, 0, NULL));

	unl_req(&self->nl, &r, KIPC_CMD_USER_GET, 0);
	kt_genl_attr(&r, KIPC_A_USER_UID, &u32, sizeof(u32));
	kt_genl_attr(&r, KIPC_A_USER_REGIONS, &u64, sizeof(u64));
	EXPECT_EQ(-EINVAL, unl_run(&self->nl, &r, NULL, 0, NULL));

	unl_req(&self->nl, &r, KIPC_CMD_USER_GET, NLM_F_DUMP);
	kt_genl_attr(&r, KIPC_A_USER_MAX + 1, &u32, sizeof(u32));
	EXPECT_EQ(-EINVAL, unl_run(&self->nl, &r, NULL, 0, NULL));
}

FIXTURE_VARIANT(visible) {
	int userns;	/* nobody as root of a user namespace it made */
};

FIXTURE_VARIANT_ADD(visible, nobody) { };
FIXTURE_VARIANT_ADD(visible, nobody_userns_root) { .userns = 1 };

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/*
 * In a child: become nobody (in a user namespace of its own, mapping its
 * uid 0 to nobody, with @userns), hold a context and a channel, let the
 * parent look (@go: written when ready, then read until the parent is
 * done), then check what nobody sees.
 */
static void nobody_child(struct report *rep, int userns, int ready, int go)
{
	/* In the namespace, nobody is uid 0 there. */
	uint32_t self_uid = userns ? 0 : KT_NOBODY;
	struct urec *recs = calloc(NR_RECS, sizeof(*recs));
	int ctx, tx, rx, n = 0, ret;
	struct urec rec;
	struct unl nl;
	char c = 0;

	if (!recs)
		CHILD_FAIL(rep, 10, "calloc");
	if (kt_become(KT_NOBODY, KT_NOBODY))
		CHILD_FAIL(rep, 11, "becoming nobody: %s", strerror(errno));
	prctl(PR_SET_DUMPABLE, 1);
	if (userns) {
		if (unshare(CLONE_NEWUSER))
			CHILD_FAIL(rep, 101, "unshare: %s", strerror(errno));
		if (write_file("/proc/self/uid_map", "0 65534 1"))
			CHILD_FAIL(rep, 12, "uid_map");
	}
	ctx = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (ctx < 0)
		CHILD_FAIL(rep, 13, "open %s: %s", KIPC_DEVICE_PATH, strerror(errno));
	ret = kt_channel_create(ctx, 0, 0, 0, -1, &tx, &rx);
	if (ret)
		CHILD_FAIL(rep, 14, "CHANNEL_CREATE: %s", strerror(-ret));
	ret = unl_open(&nl);
	if (ret)
		CHILD_FAIL(rep, 15, "netlink: %s", strerror(-ret));
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		CHILD_FAIL(rep, 16, "pipe");

	ret = user_dump(&nl, recs, &n);
	if (ret)
		CHILD_FAIL(rep, 20, "dump: %s (%.200s)", strerror(-ret), nl.extack);
	if (n != 1 || recs[0].v[KIPC_A_USER_UID] != self_uid)
		CHILD_FAIL(rep, 21, "dump as nobody: %d records, the first of uid %lld; want 1 of uid %u",
			   n, n ? (long long)recs[0].v[KIPC_A_USER_UID] : -1LL,
			   self_uid);
	if (recs[0].v[KIPC_A_USER_CHANNELS] != 1)
		CHILD_FAIL(rep, 22, "nobody holds %llu channels, want 1",
			   (unsigned long long)recs[0].v[KIPC_A_USER_CHANNELS]);
	ret = user_get(&nl, self_uid, &rec);
	if (ret || rec.v[KIPC_A_USER_CHANNELS] != 1)
		CHILD_FAIL(rep, 23, "do for its own uid %u: %s, %llu channels",
			   self_uid, strerror(-ret),
			   (unsigned long long)rec.v[KIPC_A_USER_CHANNELS]);
	if (userns) {
		/* Root (uid 0 outside) is not mapped here. */
		ret = user_get(&nl, 1, &rec);
		if (ret != -EINVAL)
			CHILD_FAIL(rep, 24, "do for an unmapped uid: %s, want EINVAL",
				   strerror(-ret));
	} else {
		/* Root's record exists (the parent holds a context). */
		ret = user_get(&nl, 0, &rec);
		if (ret != -ENOENT)
			CHILD_FAIL(rep, 24, "do for uid 0 as nobody: %s, want ENOENT",
				   ret ? strerror(-ret) : "answered");
		if (!strlen(nl.extack))
			CHILD_FAIL(rep, 25, "ENOENT without an extack message");
		ret = user_get(&nl, KT_OTHER_UID, &rec);
		if (ret != -ENOENT)
			CHILD_FAIL(rep, 26, "do for uid %d as nobody: %s, want ENOENT",
				   KT_OTHER_UID, ret ? strerror(-ret) : "answered");
	}
	ret = stats_get(&nl);
	if (ret != -EPERM)
		CHILD_FAIL(rep, 27, "STATS_GET as nobody: %s, want EPERM",
			   ret ? strerror(-ret) : "answered");
	rep->step = 0;
	_exit(0);
}

/* nobody sees its own record only; root sees both. */
TEST_F(visible, nobody_sees_only_its_own)
{
	struct urec *recs = calloc(NR_RECS, sizeof(*recs)), *d;
	int ready[2], go[2], n = 0, status;
	pid_t pid;
	char c = 0;

	ASSERT_NE(NULL, recs);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		nobody_child(self->rep, variant->userns, ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &c, 1) == 1) {
		/* The administrator sees root's record and nobody's. */
		ASSERT_EQ(0, user_dump(&self->nl, recs, &n));
		EXPECT_NE(NULL, find_uid(recs, n, 0));
		d = find_uid(recs, n, KT_NOBODY);
		ASSERT_NE(NULL, d) TH_LOG("nobody's record not in root's dump");
		EXPECT_LE(1, d->v[KIPC_A_USER_CHANNELS]);
		EXPECT_EQ(0, user_get(&self->nl, KT_NOBODY, recs));
		EXPECT_EQ(0, stats_get(&self->nl));
		ASSERT_EQ(1, write(go[1], &c, 1));
	}
	status = kt_wait(pid, 20000);
	close(ready[0]);
	close(go[1]);
	if (status == 101)
		SKIP(return, "nobody cannot create a user namespace here");
	EXPECT_EQ(0, status) TH_LOG("child step %d: %s", self->rep->step,
				    self->rep->why);
	free(recs);
}

/* nobody's pinned pages, read by nobody: 0 when nothing is lent. */
static int pinned_now(struct unl *nl, uint64_t *pinned)
{
	struct urec rec;
	int ret = user_get(nl, KT_NOBODY, &rec);

	*pinned = rec.v[KIPC_A_USER_PINNED_PAGES];
	return ret;
}

/* Wait up to 2 s for nobody's pinned pages to be @want. */
static int pinned_wait(struct unl *nl, uint64_t want, uint64_t *got)
{
	int i, ret = 0;

	for (i = 0; i < 200; i++) {
		ret = pinned_now(nl, got);
		if (ret || *got == want)
			return ret;
		kt_sleep_ms(10);
	}
	return ret;
}

static void lend_child(struct report *rep)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	long page = kt_page();
	struct kipc_lend_ref refs[KIPC_MSG_LENDS_MAX];
	struct kipc_msg m;
	int ctx, q, tx, rx, ret;
	uint64_t pinned;
	struct unl nl;
	char *mem;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		CHILD_FAIL(rep, 10, "RLIMIT_MEMLOCK: %s", strerror(errno));
	if (kt_become(KT_NOBODY, KT_NOBODY))
		CHILD_FAIL(rep, 11, "becoming nobody: %s", strerror(errno));
	ctx = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (ctx < 0)
		CHILD_FAIL(rep, 12, "open: %s", strerror(errno));
	q = kt_lendq_create(ctx, KIPC_FD_CLOEXEC);
	if (q < 0)
		CHILD_FAIL(rep, 13, "LENDQ_CREATE: %s", strerror(-q));
	ret = kt_channel_create(ctx, 0, 0, 0, -1, &tx, &rx);
	if (ret)
		CHILD_FAIL(rep, 14, "CHANNEL_CREATE: %s", strerror(-ret));
	ret = unl_open(&nl);
	if (ret)
		CHILD_FAIL(rep, 15, "netlink: %s", strerror(-ret));
	ret = pinned_wait(&nl, 0, &pinned);
	if (ret || pinned)
		CHILD_FAIL(rep, 16, "before lending: %s, %llu pinned pages",
			   strerror(-ret), (unsigned long long)pinned);
	mem = mmap(NULL, 6 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		CHILD_FAIL(rep, 17, "mmap");
	memset(mem, 'p', 6 * page);

	/* 4 pages, then 2: both queued. */
	ret = kt_lend_send(tx, q, mem, 4 * page, 1, KIPC_IO_NONBLOCK);
	if (ret != 1)
		CHILD_FAIL(rep, 20, "lending 4 pages: %s", strerror(-ret));
	ret = pinned_now(&nl, &pinned);
	rep->seen[0] = pinned;
	if (ret || pinned != 4)
		CHILD_FAIL(rep, 21, "4 pages lent: %s, %llu pinned", strerror(-ret),
			   (unsigned long long)pinned);
	ret = kt_lend_send(tx, q, mem + 4 * page, 2 * page, 2, KIPC_IO_NONBLOCK);
	if (ret != 1)
		CHILD_FAIL(rep, 22, "lending 2 pages: %s", strerror(-ret));
	ret = pinned_now(&nl, &pinned);
	rep->seen[1] = pinned;
	if (ret || pinned != 6)
		CHILD_FAIL(rep, 23, "6 pages lent: %s, %llu pinned", strerror(-ret),
			   (unsigned long long)pinned);

	/* Received: mapped in the receiver, still pinned. */
	memset(&m, 0, sizeof(m));
	m.lends = (uintptr_t)refs;
	m.nr_lends = KIPC_MSG_LENDS_MAX;
	ret = kt_recv(rx, &m, 1, KIPC_IO_NONBLOCK);
	if (ret != 1 || m.nr_lends != 1)
		CHILD_FAIL(rep, 24, "RECV: %s, %u ranges", strerror(-ret), m.nr_lends);
	ret = pinned_now(&nl, &pinned);
	rep->seen[2] = pinned;
	if (ret || pinned != 6)
		CHILD_FAIL(rep, 25, "one range mapped: %s, %llu pinned",
			   strerror(-ret), (unsigned long long)pinned);

	/* Unmapped by the receiver: released. */
	if (munmap((void *)(uintptr_t)refs[0].addr, refs[0].len))
		CHILD_FAIL(rep, 26, "munmap: %s", strerror(errno));
	ret = pinned_wait(&nl, 2, &pinned);
	rep->seen[3] = pinned;
	if (ret || pinned != 2)
		CHILD_FAIL(rep, 27, "after the unmap: %s, %llu pinned, want 2",
			   strerror(-ret), (unsigned long long)pinned);

	/* Dropped with its channel: released. */
	close(rx);
	close(tx);
	ret = pinned_wait(&nl, 0, &pinned);
	rep->seen[4] = pinned;
	if (ret || pinned)
		CHILD_FAIL(rep, 28, "after the channel went: %s, %llu pinned, want 0",
			   strerror(-ret), (unsigned long long)pinned);
	rep->step = 0;
	_exit(0);
}

/* Pages nobody lends show in its record until they are released. */
TEST_F(users, nobody_pinned_pages)
{
	int status;
	pid_t pid;

	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL | KIPC_FEATURE_LEND);
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		lend_child(self->rep);
	status = kt_wait(pid, 20000);
	EXPECT_EQ(0, status) TH_LOG("child step %d: %s", self->rep->step,
				    self->rep->why);
	TH_LOG("pinned pages seen: %llu after 4 lent, %llu after 2 more, %llu received, %llu unmapped, %llu dropped",
	       (unsigned long long)self->rep->seen[0],
	       (unsigned long long)self->rep->seen[1],
	       (unsigned long long)self->rep->seen[2],
	       (unsigned long long)self->rep->seen[3],
	       (unsigned long long)self->rep->seen[4]);
}

KIPC_TEST_MAIN
