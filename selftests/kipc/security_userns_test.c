// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, finding 8c: per-user caps in user namespaces.
 *
 * On 38ea9ff the per-user caps (regions, channels, bytes in flight, ...)
 * were keyed by the caller's kuid: a user namespace with a range of uids
 * mapped multiplied them, each mapped uid getting a full set. The
 * contract: a caller inside a user namespace other than the initial one is
 * charged to the owner (the creator's euid) of the outermost non-initial
 * user namespace it is in, so the uids mapped inside one namespace, and
 * those of namespaces nested in it, share one set of caps.
 *
 * User nobody creates a user namespace; root maps 100 uids into it. With
 * max_regions_per_user at 2, uid 0 of the namespace creates 2 regions and
 * keeps them; uid 1 then gets ENOSPC at once, and so does uid 2 from a
 * user namespace of its own nested inside.
 *
 * The same for pinned pages, whose RLIMIT_MEMLOCK check against the
 * kernel's per-uid locked_vm alone gave each mapped uid a full limit.
 *
 * Sharing a set of caps is not sharing rights: uid 1 of the namespace may
 * not unlink a name uid 0 published of its own region.
 *
 * A namespace root made (a container's) is charged to the host uid its
 * uid 0 maps to, its uids together. Up to 4b3e10b they were all charged
 * to root, sharing root's caps (and seeing root's objects over netlink).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define BASE	200000		/* first kuid mapped into the namespace */
#define CAP	2		/* max_regions_per_user for the test */

struct shared {
	int count[3];		/* regions created by ns uid 0, 1, 2 */
	int err[3];		/* what stopped each */
	char name[64];		/* a name published inside the namespace */
	int step;		/* where the namespace side failed */
	volatile int ready0;	/* uid 0 holds its regions */
	volatile int release0;	/* uid 0 may exit */
};

FIXTURE(userns) {
	struct kt_param regions;
	struct shared *sh;
	pid_t child;
	int sync[2];		/* child -> parent: namespace created */
	int go[2];		/* parent -> child: maps written */
	int by_root;		/* root, not nobody, creates the namespace */
	const char *uid_map;	/* and gid_map: what the parent writes */
};

FIXTURE_SETUP(userns)
{
	int ctx;

	self->child = 0;
	self->by_root = 0;
	self->uid_map = "0 200000 100";
	memset(&self->regions, 0, sizeof(self->regions));
	self->regions.name = "max_regions_per_user";
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	ASSERT_EQ(0, pipe(self->sync));
	ASSERT_EQ(0, pipe(self->go));
	kipc_test_open(ctx);
	kipc_test_require(ctx, KIPC_FEATURE_REGION);
	close(ctx);
	if (geteuid() != 0)
		SKIP(return, "needs root to map uids into a user namespace");
	ASSERT_EQ(0, kt_param_save(&self->regions));
}

FIXTURE_TEARDOWN(userns)
{
	self->sh->release0 = 1;
	kt_reap(self->child);
	kt_param_restore(&self->regions);
	close(self->sync[0]);
	close(self->sync[1]);
	close(self->go[0]);
	close(self->go[1]);
	munmap(self->sh, sizeof(*self->sh));
}

/* A context for ns uid @i, or -1 with what stopped it in err[i]. */
static int open_ctx(struct shared *sh, int i)
{
	int ctx = open(KIPC_DEVICE_PATH, O_RDWR);

	sh->err[i] = ctx < 0 ? errno : 0;
	return ctx;
}

/* Create regions until the first failure (at most CAP + 2). */
static void create_regions(struct shared *sh, int i)
{
	int ctx = open_ctx(sh, i), fd;

	if (ctx < 0)
		return;
	for (sh->count[i] = 0; sh->count[i] < CAP + 2; sh->count[i]++) {
		fd = kt_region_create(ctx, kt_page(), 0, 0, NULL);
		if (fd < 0) {
			sh->err[i] = -fd;
			break;
		}
	}
}

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
 * ns uid 0 publishes a name (mode 0600) of a region it creates, and holds
 * it; any other uid tries to unlink the name: what it got in err[i].
 */
static void publish_or_unlink(struct shared *sh, int i)
{
	struct kipc_name_unlink nu = {
		.size = sizeof(nu), .name = (uintptr_t)sh->name,
	};
	struct kipc_name_open no = {
		.size = sizeof(no), .flags = KIPC_NAME_CREATE | KIPC_NAME_EXCL,
		.name = (uintptr_t)sh->name, .mode = 0600,
	};
	int ctx = open_ctx(sh, i), fd;

	if (ctx < 0)
		return;
	if (i) {
		sh->err[i] = ioctl(ctx, KIPC_IOC_NAME_UNLINK, &nu) ? errno : 0;
		return;
	}
	fd = kt_region_create(ctx, kt_page(), 0, 0, NULL);
	if (fd < 0) {
		sh->err[0] = -fd;
		return;
	}
	no.fd = (uint32_t)fd;
	if (ioctl(ctx, KIPC_IOC_NAME_OPEN, &no) < 0)
		sh->err[0] = errno;
	else
		sh->count[0] = 1;
}

/*
 * A process as @uid of the namespace doing @work (its index @i in the
 * shared counts); @nested: in a user namespace of its own. Returns its
 * status, or for i 0 its pid once its work is done (it then waits for
 * release0).
 */
static int ns_child(struct shared *sh, uid_t uid, int nested, int i,
		    void (*work)(struct shared *sh, int i))
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (kt_become(uid, uid))
			_exit(20);
		/* Both are reset by the change of credentials. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_DUMPABLE, 1);
		if (nested) {
			char map[32];

			/* Unprivileged: map its own uid only. */
			if (unshare(CLONE_NEWUSER))
				_exit(21);
			snprintf(map, sizeof(map), "0 %u 1", uid);
			if (write_file("/proc/self/uid_map", map))
				_exit(22);
		}
		work(sh, i);
		if (i == 0) {
			int waited;

			sh->ready0 = 1;
			for (waited = 0; !sh->release0 && waited < 20000;
			     waited += 10)
				kt_sleep_ms(10);
		}
		_exit(0);
	}
	if (i == 0) {
		while (!sh->ready0) {
			if (waitpid(pid, NULL, WNOHANG) == pid)
				return -1;
			kt_sleep_ms(10);
		}
		return pid;
	}
	return kt_wait(pid, 10000);
}

/*
 * The forked child: as nobody (or root, with by_root), create a user
 * namespace, tell the parent, wait for it to map 100 uids. Returns only
 * when the maps are written.
 */
static void enter_ns(FIXTURE_DATA(userns) *self)
{
	char c;

	self->sh->step = 1;
	if (!self->by_root && kt_become(KT_NOBODY, KT_NOBODY))
		_exit(1);
	self->sh->step = 2;
	c = unshare(CLONE_NEWUSER) ? 'n' : 'y';
	if (write(self->sync[1], &c, 1) != 1 || c != 'y')
		_exit(2);
	self->sh->step = 3;
	if (read(self->go[0], &c, 1) != 1 || c != 'y')
		_exit(3);
}

/* The parent: map uids BASE.. into the child's namespace: 0, or -errno. */
static int map_ns(FIXTURE_DATA(userns) *self)
{
	char path[64], c = 0;
	int ret;

	if (read(self->sync[0], &c, 1) != 1)
		return -EIO;
	if (c != 'y')
		return -EPERM;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", self->child);
	ret = write_file(path, self->uid_map);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", self->child);
	if (!ret)
		ret = write_file(path, self->uid_map);
	c = 'y';
	if (!ret && write(self->go[1], &c, 1) != 1)
		ret = -EIO;
	return ret;
}

/*
 * The namespace side, in the forked child: ns uid 0 does @work and holds
 * on, then ns uid 1 does it, then (@nested) ns uid 2 from a user
 * namespace of its own. Exits with 0, or the step that failed.
 */
static void ns_side(FIXTURE_DATA(userns) *self,
		    void (*work)(struct shared *sh, int i), int nested)
{
	struct shared *sh = self->sh;
	pid_t holder;
	int ret = 0;

	enter_ns(self);
	sh->step = 4;
	holder = ns_child(sh, 0, 0, 0, work);
	if (holder < 0)
		_exit(4);
	sh->step = 5;
	if (ns_child(sh, 1, 0, 1, work))
		ret = 5;
	sh->step = 6;
	if (!ret && nested)
		ret = ns_child(sh, 2, 1, 2, work);
	sh->release0 = 1;
	if (ret)
		_exit(ret);
	waitpid(holder, NULL, 0);
	sh->step = 0;
	_exit(0);
}

/*
 * Fork ns_side() and wait for it: its exit status, or -EPERM (nobody
 * cannot create a user namespace here), or -errno.
 */
static int run_ns(FIXTURE_DATA(userns) *self,
		  void (*work)(struct shared *sh, int i), int nested)
{
	int ret;

	self->child = kt_fork();
	if (self->child < 0)
		return -errno;
	if (!self->child)
		ns_side(self, work, nested);
	ret = map_ns(self);
	if (ret)
		return ret;
	ret = kt_wait(self->child, 20000);
	self->child = 0;
	return ret;
}

TEST_F(userns, mapped_uids_share_the_owner_caps)
{
	struct shared *sh = self->sh;
	int ret;

	ASSERT_EQ(0, kt_param_set_num(self->regions.name, CAP));
	ret = run_ns(self, create_regions, 1);
	if (ret == -EPERM)
		SKIP(return, "nobody cannot create a user namespace here");
	ASSERT_EQ(0, ret) TH_LOG("the namespace side failed at step %d (status %d)",
				 sh->step, ret);

	TH_LOG("regions created: ns uid 0: %d (%s), ns uid 1: %d (%s), nested ns uid 2: %d (%s)",
	       sh->count[0], strerror(sh->err[0]), sh->count[1],
	       strerror(sh->err[1]), sh->count[2], strerror(sh->err[2]));
	EXPECT_EQ(CAP, sh->count[0]);
	EXPECT_EQ(ENOSPC, sh->err[0]);
	EXPECT_EQ(0, sh->count[1])
		TH_LOG("a second uid of the namespace has caps of its own");
	EXPECT_EQ(ENOSPC, sh->err[1]);
	EXPECT_EQ(0, sh->count[2])
		TH_LOG("a nested user namespace has caps of its own");
	EXPECT_EQ(ENOSPC, sh->err[2]);
}

/*
 * Root holds its CAP regions while a namespace root made, with @uid_map,
 * runs create_regions (ns uid 0, 1, and 2 nested): the namespace side's
 * status, its counts in self->sh.
 */
static int regions_beside_roots(struct __test_metadata *_metadata,
				FIXTURE_DATA(userns) *self, const char *uid_map)
{
	struct shared *sh = self->sh;
	int ctx, i, fds[CAP], ret;

	EXPECT_EQ(0, kt_param_set_num(self->regions.name, CAP));
	ctx = open(KIPC_DEVICE_PATH, O_RDWR);
	if (ctx < 0)
		return -errno;
	for (i = 0; i < CAP; i++) {
		fds[i] = kt_region_create(ctx, kt_page(), 0, 0, NULL);
		EXPECT_LE(0, fds[i]);	/* root's own, held */
	}
	self->by_root = 1;
	self->uid_map = uid_map;
	ret = run_ns(self, create_regions, 1);
	for (i = 0; i < CAP; i++)
		close(fds[i]);
	close(ctx);
	TH_LOG("regions created: ns uid 0: %d (%s), ns uid 1: %d (%s), nested ns uid 2: %d (%s)",
	       sh->count[0], strerror(sh->err[0]), sh->count[1],
	       strerror(sh->err[1]), sh->count[2], strerror(sh->err[2]));
	return ret;
}

/*
 * A namespace root made: ns uid 0 still gets CAP regions of its own (the
 * container is the user its uid 0 maps to, BASE, not root); ns uid 1 and
 * ns uid 2, nested, share them.
 */
TEST_F(userns, a_namespace_root_made_is_a_user_of_its_own)
{
	struct shared *sh = self->sh;
	int ret = regions_beside_roots(_metadata, self, "0 200000 100");

	ASSERT_EQ(0, ret) TH_LOG("the namespace side failed at step %d (status %d)",
				 sh->step, ret);
	EXPECT_EQ(CAP, sh->count[0])
		TH_LOG("the container shares root's caps");
	EXPECT_EQ(ENOSPC, sh->err[0]);
	EXPECT_EQ(0, sh->count[1]) TH_LOG("a uid of the container has caps of its own");
	EXPECT_EQ(0, sh->count[2]);
}

/*
 * A namespace root made whose uid 0 is root (systemd's PrivateUsers=,
 * "0 0 1" and a range): ns uid 0 is root, whose cap root holds; ns uid 1
 * (kuid BASE + 1) and ns uid 2, nested, are users of their own. Up to
 * 8dc38c0 such a namespace was the user of its uid 0, root.
 */
TEST_F(userns, a_namespace_whose_root_is_root_charges_each_uid)
{
	struct shared *sh = self->sh;
	int ret = regions_beside_roots(_metadata, self, "0 0 1\n1 200001 99");

	ASSERT_EQ(0, ret) TH_LOG("the namespace side failed at step %d (status %d)",
				 sh->step, ret);
	EXPECT_EQ(0, sh->count[0]) TH_LOG("ns uid 0 is root");
	EXPECT_EQ(CAP, sh->count[1]) TH_LOG("ns uid 1 charged to root");
	EXPECT_EQ(CAP, sh->count[2]);
}

#define PIN_LIMIT	16	/* RLIMIT_MEMLOCK of the lenders, in pages */
#define PIN_LEND	12	/* pages a lender lends in a message */

/*
 * Lend PIN_LEND pages in a message, twice, under an RLIMIT_MEMLOCK of
 * PIN_LIMIT pages; the messages stay queued (pinned) while this process
 * lives. count[i]: messages sent; err[i]: what stopped the next.
 */
static void lend_pins(struct shared *sh, int i)
{
	size_t pg = kt_page(), len = PIN_LEND * pg;
	struct rlimit rl = { PIN_LIMIT * pg, PIN_LIMIT * pg };
	int ctx = open_ctx(sh, i), q, tx, rx, ret;
	char *src;

	if (ctx < 0)
		return;
	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || setrlimit(RLIMIT_MEMLOCK, &rl)) {
		sh->err[i] = errno;
		return;
	}
	memset(src, 'p', len);
	q = kt_lendq_create(ctx, 0);
	ret = q < 0 ? q : kt_channel_create(ctx, 0, 4, 0, -1, &tx, &rx);
	for (sh->count[i] = 0; !ret && sh->count[i] < 2; sh->count[i]++) {
		ret = kt_lend_send(tx, q, src, len, sh->count[i],
				   KIPC_IO_NONBLOCK);
		if (ret != 1)
			break;
		ret = 0;
	}
	sh->err[i] = -ret;
}

/*
 * Pins are bounded by the lender's RLIMIT_MEMLOCK against its user's
 * locked_vm, which is per kernel uid: each uid mapped into a namespace has
 * its own. The namespace's kipc user (its owner) bounds them together:
 * ns uid 0 pins PIN_LEND pages and holds them; ns uid 1, whose locked_vm
 * is empty, may not pin PIN_LEND more. The old module let it.
 */
TEST_F(userns, mapped_uids_share_the_pin_limit)
{
	struct shared *sh = self->sh;
	int ret;

	ret = run_ns(self, lend_pins, 0);
	if (ret == -EPERM)
		SKIP(return, "nobody cannot create a user namespace here");
	ASSERT_EQ(0, ret) TH_LOG("the namespace side failed at step %d (status %d)",
				 sh->step, ret);
	TH_LOG("messages of %d pages sent: ns uid 0: %d (%s), ns uid 1: %d (%s)",
	       PIN_LEND, sh->count[0], strerror(sh->err[0]), sh->count[1],
	       strerror(sh->err[1]));
	EXPECT_EQ(1, sh->count[0]);
	EXPECT_EQ(ENOMEM, sh->err[0]);
	EXPECT_EQ(0, sh->count[1])
		TH_LOG("a second uid of the namespace pinned past the limit");
	EXPECT_EQ(ENOMEM, sh->err[1]);
}

/*
 * The uids of one user namespace share a kipc user (above), but not each
 * other's rights: ns uid 1 may not unlink a name (mode 0600) that ns uid
 * 0 published of its own region, although both are charged to the same
 * user. On the old module the creator clause compared that shared user,
 * so any uid of the namespace could unlink, then take over, the name.
 */
TEST_F(userns, uids_of_one_namespace_cannot_unlink_each_others_names)
{
	struct kipc_name_unlink nu = { .size = sizeof(nu) };
	struct shared *sh = self->sh;
	int ctx, ret;

	snprintf(sh->name, sizeof(sh->name), "userns-unlink-%d", getpid());
	nu.name = (uintptr_t)sh->name;
	ret = run_ns(self, publish_or_unlink, 0);
	if (ret == -EPERM)
		SKIP(return, "nobody cannot create a user namespace here");
	ASSERT_EQ(0, ret) TH_LOG("the namespace side failed at step %d (status %d)",
				 sh->step, ret);
	EXPECT_EQ(1, sh->count[0]) TH_LOG("publish: %s", strerror(sh->err[0]));
	EXPECT_EQ(EACCES, sh->err[1])
		TH_LOG("another uid of the namespace unlinked the name: %s",
		       strerror(sh->err[1]));
	/* Root (CAP_IPC_OWNER) removes it, if it is still there. */
	kipc_test_open(ctx);
	ret = ioctl(ctx, KIPC_IOC_NAME_UNLINK, &nu) ? errno : 0;
	EXPECT_EQ(sh->err[1] ? 0 : ENOENT, ret);
	close(ctx);
}

KIPC_TEST_MAIN
