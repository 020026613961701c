// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 12, findings 7 and 8 (a, d): names.
 *
 * F7: max_names was one pool for the host: one unprivileged user could
 * take every name of every IPC namespace. The contract adds the module
 * parameter max_names_per_user (default 1024; max_names becomes 65536):
 * NAME_OPEN with CREATE fails with ENOSPC when the caller's user holds that
 * many names, counted over all IPC namespaces, while another user, in the
 * same or a fresh IPC namespace, can still publish.
 *
 * F8a: a holder of another user's channel end (or region) could publish it
 * under a name its creator could not unlink, pinning the creator's quotas.
 * The contract: NAME_UNLINK is also allowed to the uid that created the
 * named region or channel.
 *
 * F8d: NAME_OPEN with CREATE published the name, then failed with EFAULT
 * when its result could not be copied out, leaving the name behind. The
 * contract: no name is left (an open without CREATE then fails ENOENT).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define THIRD_UID	65532	/* neither owner nor creator */
#define PREFIX		"kipc-security-names-"

/* NAME_OPEN, close-on-exec: the new fd or -errno. */
static int name_open(int ctx, const char *name, uint32_t flags, int fd,
		     uint32_t mode)
{
	return kt_name_open(ctx, name, flags | KIPC_FD_CLOEXEC, fd, mode, NULL);
}

static int name_publish(int ctx, const char *name, int fd, uint32_t mode)
{
	int ret = name_open(ctx, name, KIPC_NAME_CREATE | KIPC_NAME_EXCL, fd,
			    mode);

	if (ret >= 0) {
		close(ret);
		ret = 0;
	}
	return ret;
}


/* What a child reports through shared memory. */
struct result {
	int step;	/* the step that failed, 0 if none */
	int n;		/* names published */
	int err;	/* the error that stopped it */
};

/*
 * Fork a child that optionally enters a fresh IPC namespace (as root),
 * becomes @uid, opens a context and publishes @nr names (PREFIX@tag-i) of a
 * channel of its own, stopping at the first error; the names stay after it
 * exits. Return: 0, or the child's exit status.
 */
static int publish_as(struct result *res, uid_t uid, int new_ipc_ns,
		      const char *tag, int nr)
{
	char name[64];
	int ctx, s, r, ret;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	pid = kt_fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		res->step = 1;
		if (new_ipc_ns && unshare(CLONE_NEWIPC))
			_exit(1);
		res->step = 2;
		if (kt_become(uid, uid))
			_exit(1);
		res->step = 3;
		ctx = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
		if (ctx < 0 || kt_channel_create(ctx, 0, 0, 0, -1, &s, &r))
			_exit(1);
		res->step = 0;
		for (res->n = 0; res->n < nr; res->n++) {
			snprintf(name, sizeof(name), PREFIX "%s-%d", tag,
				 res->n);
			ret = name_publish(ctx, name, s, 0600);
			if (ret) {
				res->err = -ret;
				break;
			}
		}
		_exit(0);
	}
	return kt_wait(pid, 20000);
}

FIXTURE(names) {
	int ctx, tx, rx;
	struct kt_param per_user;
	struct result *res;
};

FIXTURE_SETUP(names)
{
	memset(&self->per_user, 0, sizeof(self->per_user));
	self->per_user.name = "max_names_per_user";
	self->res = mmap(NULL, sizeof(*self->res), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->res);
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL | KIPC_FEATURE_NAMES);
	ASSERT_EQ(0, kt_channel_create(self->ctx, KIPC_FD_CLOEXEC, 0, 0, -1,
				       &self->tx, &self->rx));
}

FIXTURE_TEARDOWN(names)
{
	char name[64];
	int i;

	/* Names of the tests in this namespace (root: CAP_IPC_OWNER). */
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), PREFIX "nobody-%d", i);
		kt_name_unlink(self->ctx, name);
		snprintf(name, sizeof(name), PREFIX "other-%d", i);
		kt_name_unlink(self->ctx, name);
		snprintf(name, sizeof(name), PREFIX "again-%d", i);
		kt_name_unlink(self->ctx, name);
	}
	kt_param_restore(&self->per_user);
	close(self->tx);
	close(self->rx);
	close(self->ctx);
	munmap(self->res, sizeof(*self->res));
}

/*
 * F7: with max_names_per_user at 4, nobody publishes 4 names and the
 * fifth fails ENOSPC, in its namespace and in a fresh one (the cap counts
 * over all namespaces); another user publishes in both; once nobody's
 * names are unlinked it publishes again.
 */
TEST_F(names, names_per_user)
{
	int ret;

	if (geteuid() != 0)
		SKIP(return, "needs root to change module parameters");
	kt_param_require(&self->per_user);
	ASSERT_EQ(0, kt_param_set_num(self->per_user.name, 4));

	ASSERT_EQ(0, publish_as(self->res, KT_NOBODY, 0, "nobody", 8));
	ASSERT_EQ(0, self->res->step) TH_LOG("child step %d", self->res->step);
	EXPECT_EQ(4, self->res->n) TH_LOG("nobody published %d names", self->res->n);
	EXPECT_EQ(ENOSPC, self->res->err) TH_LOG("stopped by %s",
						 strerror(self->res->err));

	ret = publish_as(self->res, KT_NOBODY, 1, "fresh", 1);
	ASSERT_EQ(0, ret);
	if (self->res->step == 1)
		SKIP(return, "unshare(CLONE_NEWIPC): cannot test namespaces");
	ASSERT_EQ(0, self->res->step);
	EXPECT_EQ(0, self->res->n) TH_LOG("a fresh IPC namespace escapes the per-user cap");
	EXPECT_EQ(ENOSPC, self->res->err);

	/* Another user: here and in a fresh namespace. */
	ASSERT_EQ(0, publish_as(self->res, KT_OTHER_UID, 0, "other", 1));
	ASSERT_EQ(0, self->res->step);
	EXPECT_EQ(1, self->res->n) TH_LOG("another user: %s",
					  strerror(self->res->err));
	ASSERT_EQ(0, publish_as(self->res, KT_OTHER_UID, 1, "fresh", 1));
	ASSERT_EQ(0, self->res->step);
	EXPECT_EQ(1, self->res->n) TH_LOG("another user, fresh namespace: %s",
					  strerror(self->res->err));

	/* nobody's names unlinked: it has room again. */
	EXPECT_EQ(0, kt_name_unlink(self->ctx, PREFIX "nobody-0"));
	ASSERT_EQ(0, publish_as(self->res, KT_NOBODY, 0, "again", 2));
	ASSERT_EQ(0, self->res->step);
	EXPECT_EQ(1, self->res->n);
	EXPECT_EQ(ENOSPC, self->res->err);
}

FIXTURE(creator) {
	int ctx;
};

FIXTURE_VARIANT(creator) {
	int region;	/* publish a region (else a channel's send end) */
};

FIXTURE_VARIANT_ADD(creator, channel_end) { .region = 0 };
FIXTURE_VARIANT_ADD(creator, region) { .region = 1 };

FIXTURE_SETUP(creator)
{
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL |
			  KIPC_FEATURE_NAMES);
}

FIXTURE_TEARDOWN(creator)
{
	close(self->ctx);
}

/*
 * F8a: user 65533 creates a channel (or region); nobody, holding an end
 * (a handle), publishes it under a name of mode 0600. A third user may
 * not unlink it; the creator may, though it owns neither the name nor
 * CAP_IPC_OWNER.
 */
TEST_F(creator, creator_may_unlink)
{
	const char *name = PREFIX "creator";
	int ctx2, obj, s, r, status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to become other users");
	/* Create as 65533: a context opened with that euid. */
	ASSERT_EQ(0, seteuid(KT_OTHER_UID));
	ctx2 = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (ctx2 >= 0 && variant->region) {
		obj = kt_region_create(ctx2, kt_page(), 0, 0, NULL);
		s = r = -1;
	} else if (ctx2 >= 0) {
		obj = kt_channel_create(ctx2, 0, 0, 0, -1, &s, &r) ?: s;
	} else {
		obj = -1;
	}
	ASSERT_EQ(0, seteuid(0));
	ASSERT_LE(0, ctx2);
	ASSERT_LE(0, obj);
	kt_name_unlink(self->ctx, name);

	/* nobody publishes the object it holds. */
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ctx;

		if (kt_become(KT_NOBODY, KT_NOBODY))
			_exit(10);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		if (ctx < 0)
			_exit(11);
		_exit(name_publish(ctx, name, obj, 0600) ? 12 : 0);
	}
	ASSERT_EQ(0, kt_wait(pid, 10000));
	if (variant->region) {
		close(obj);
	} else {
		close(s);
		close(r);
	}

	/* A third user may not unlink; the creator may. */
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ctx;

		if (kt_become(THIRD_UID, THIRD_UID))
			_exit(100);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		_exit(ctx < 0 ? 101 : -kt_name_unlink(ctx, name));
	}
	status = kt_wait(pid, 10000);
	EXPECT_EQ(EACCES, status) TH_LOG("a third user's unlink: %s",
					 strerror(status));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (kt_become(KT_OTHER_UID, KT_OTHER_UID))
			_exit(100);
		/* The creator's own context, kept across the switch. */
		_exit(-kt_name_unlink(ctx2, name));
	}
	status = kt_wait(pid, 10000);
	EXPECT_EQ(0, status) TH_LOG("the creator could not unlink the name of its %s: %s",
				    variant->region ? "region" : "channel",
				    strerror(status));
	EXPECT_EQ(-ENOENT, name_open(self->ctx, name, 0, -1, 0));
	kt_name_unlink(self->ctx, name);
	close(ctx2);
}

/*
 * F8d: NAME_OPEN with CREATE on an argument struct that can be read but
 * not written: it fails with EFAULT and leaves no name and no fd.
 */
TEST_F(names, create_with_unwritable_result)
{
	const char *name = PREFIX "efault";
	struct kipc_name_open *no;
	long page = kt_page();
	int ret, fd0, fd1;

	kt_name_unlink(self->ctx, name);
	no = mmap(NULL, page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, no);
	no->size = sizeof(*no);
	no->flags = KIPC_NAME_CREATE | KIPC_NAME_EXCL | KIPC_FD_CLOEXEC;
	no->name = (uintptr_t)name;
	no->fd = self->tx;
	no->mode = 0600;
	ASSERT_EQ(0, mprotect(no, page, PROT_READ));
	fd0 = dup(0);
	ASSERT_LE(0, fd0);
	close(fd0);

	ret = ioctl(self->ctx, KIPC_IOC_NAME_OPEN, no);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EFAULT, errno);
	if (ret >= 0)
		close(ret);
	ret = name_open(self->ctx, name, 0, -1, 0);
	EXPECT_EQ(-ENOENT, ret) TH_LOG("a NAME_OPEN that failed with EFAULT left its name behind");
	if (ret >= 0)
		close(ret);
	fd1 = dup(0);
	EXPECT_EQ(fd0, fd1) TH_LOG("an fd leaked");
	close(fd1);
	/* Nothing in the way: publishing now works. */
	EXPECT_EQ(0, name_publish(self->ctx, name, self->tx, 0600));
	EXPECT_EQ(0, kt_name_unlink(self->ctx, name));
	munmap(no, page);
}

KIPC_TEST_MAIN
