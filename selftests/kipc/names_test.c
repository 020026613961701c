// SPDX-License-Identifier: GPL-2.0
/* Names: publish, open with permissions, unlink, IPC namespaces. */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NOBODY	65534

/* NAME_OPEN; returns the fd or -errno; fills @kind and @created. */
static int name_open(int ctx, const char *name, uint32_t flags, int fd,
		     uint32_t mode, uint32_t *kind, uint32_t *created)
{
	struct kipc_name_open res = { 0 };
	int ret = kt_name_open(ctx, name, flags, fd, mode, &res);

	if (ret >= 0 && kind)
		*kind = res.kind;
	if (ret >= 0 && created)
		*created = res.created;
	return ret;
}


/* Run @fn in a child as nobody; returns its exit status. */
static int as_nobody(int (*fn)(int ctx, const char *name), const char *name)
{
	int status, ctx;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		ctx = open(KIPC_DEVICE_PATH, O_RDWR);
		if (ctx < 0)
			_exit(101);
		_exit(fn(ctx, name));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(names) {
	int ctx, tx, rx;
};

FIXTURE_SETUP(names)
{
	kipc_test_open(self->ctx);
	ASSERT_EQ(0, kt_channel_create(self->ctx, KIPC_FD_CLOEXEC, 0, 0, -1,
				       &self->tx, &self->rx));
}

FIXTURE_TEARDOWN(names)
{
	close(self->tx);
	close(self->rx);
	close(self->ctx);
}

TEST_F(names, create_open_unlink)
{
	uint32_t kind = 0, created = 9;
	char buf[8] = "hello";
	int a, b;

	a = name_open(self->ctx, "/svc", KIPC_NAME_CREATE | KIPC_NAME_EXCL,
		      self->tx, 0600, &kind, &created);
	ASSERT_LE(0, a);
	EXPECT_EQ(KIPC_NAME_SEND, kind);
	EXPECT_EQ(1, created);
	EXPECT_EQ(-EEXIST, name_open(self->ctx, "/svc",
				     KIPC_NAME_CREATE | KIPC_NAME_EXCL,
				     self->tx, 0600, NULL, NULL));
	/* CREATE without EXCL opens the present name. */
	b = name_open(self->ctx, "/svc", KIPC_NAME_CREATE, self->rx, 0600,
		      &kind, &created);
	ASSERT_LE(0, b);
	EXPECT_EQ(KIPC_NAME_SEND, kind);
	EXPECT_EQ(0, created);
	close(b);
	b = name_open(self->ctx, "/svc", 0, -1, 0, &kind, NULL);
	ASSERT_LE(0, b);
	EXPECT_EQ(1, kt_send1(b, buf, 5, 0, KIPC_IO_NONBLOCK));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(1, kt_recv1(self->rx, buf, sizeof(buf), NULL,
			      KIPC_IO_NONBLOCK));
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(0, kt_name_unlink(self->ctx, "/svc"));
	EXPECT_EQ(-ENOENT, name_open(self->ctx, "/svc", 0, -1, 0, NULL, NULL));
	EXPECT_EQ(-ENOENT, kt_name_unlink(self->ctx, "/svc"));
	close(a);
	close(b);
}

/*
 * A NAME_OPEN(CREATE) with no free fd (EMFILE: RLIMIT_NOFILE reached)
 * fails before it publishes anything: no other process may open, for a
 * moment, a name its creator is told was not published. Up to this fix
 * it published the name, found no fd and withdrew the name: the global
 * names-created counter moved.
 */
TEST_F(names, create_without_a_free_fd_publishes_nothing)
{
	__u64 created0 = 0, created1 = 0;
	struct rlimit old, lim;
	int fd, counted;

	/* The counter needs CAP_SYS_ADMIN; the rest of the test does not. */
	counted = !kt_stat_get(KIPC_A_STATS_NAMES_CREATED, &created0);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	fd = dup(self->ctx);	/* the lowest free fd */
	ASSERT_LE(0, fd);
	close(fd);
	lim.rlim_cur = (rlim_t)fd;
	lim.rlim_max = old.rlim_max;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	EXPECT_EQ(-EMFILE, name_open(self->ctx, "/nofd",
				     KIPC_NAME_CREATE | KIPC_NAME_EXCL,
				     self->tx, 0600, NULL, NULL));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	if (counted) {
		ASSERT_EQ(0, kt_stat_get(KIPC_A_STATS_NAMES_CREATED,
					 &created1));
		EXPECT_EQ(created0, created1)
			TH_LOG("the failed NAME_OPEN published its name");
	}
	EXPECT_EQ(-ENOENT, kt_name_unlink(self->ctx, "/nofd"))
		TH_LOG("the failed NAME_OPEN left its name published");
	fd = name_open(self->ctx, "/nofd", KIPC_NAME_CREATE | KIPC_NAME_EXCL,
		       self->tx, 0600, NULL, NULL);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	kt_name_unlink(self->ctx, "/nofd");
}

TEST_F(names, receive_end_and_region)
{
	struct kipc_region_create rc = {
		.size = sizeof(rc), .bytes = 65536, .buf_size = 4096,
	};
	struct kipc_region_info ri = { .size = sizeof(ri) };
	uint32_t kind = 0;
	int r, a;

	a = name_open(self->ctx, "rx", KIPC_NAME_CREATE, self->rx, 0600,
		      &kind, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(KIPC_NAME_RECV, kind);
	EXPECT_EQ(1, kt_send1(self->tx, "x", 1, 0, KIPC_IO_NONBLOCK));
	EXPECT_EQ(1, kt_recv1(a, (char[4]){}, 4, NULL, KIPC_IO_NONBLOCK));
	close(a);

	r = ioctl(self->ctx, KIPC_IOC_REGION_CREATE, &rc);
	ASSERT_LE(0, r);
	a = name_open(self->ctx, "region", KIPC_NAME_CREATE, r, 0600, &kind,
		      NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(KIPC_NAME_REGION, kind);
	ASSERT_EQ(0, ioctl(a, KIPC_IOC_REGION_INFO, &ri));
	EXPECT_EQ(rc.id, ri.id);
	EXPECT_EQ(0, kt_name_unlink(self->ctx, "region"));
	EXPECT_EQ(0, kt_name_unlink(self->ctx, "rx"));
	close(a);
	close(r);
}

TEST_F(names, name_holds_its_end_open)
{
	char buf[4];
	int a;

	a = name_open(self->ctx, "held", KIPC_NAME_CREATE, self->tx, 0600,
		      NULL, NULL);
	ASSERT_LE(0, a);
	close(a);
	close(self->tx);
	self->tx = -1;
	/* The name is a holder of the send end: no end of stream yet. */
	EXPECT_EQ(-EAGAIN, kt_recv1(self->rx, buf, sizeof(buf), NULL,
				    KIPC_IO_NONBLOCK));
	EXPECT_EQ(0, kt_name_unlink(self->ctx, "held"));
	EXPECT_EQ(0, kt_recv1(self->rx, buf, sizeof(buf), NULL,
			      KIPC_IO_NONBLOCK));
}

static int nobody_open(int ctx, const char *name)
{
	int ret = name_open(ctx, name, 0, -1, 0, NULL, NULL);

	return ret >= 0 ? 0 : -ret;
}

static int nobody_unlink(int ctx, const char *name)
{
	return -kt_name_unlink(ctx, name);
}

TEST_F(names, second_uid_refused)
{
	int a, b;

	if (geteuid() != 0)
		SKIP(return, "needs root to become another user");
	a = name_open(self->ctx, "private", KIPC_NAME_CREATE, self->tx, 0600,
		      NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(EACCES, as_nobody(nobody_open, "private"));
	EXPECT_EQ(EACCES, as_nobody(nobody_unlink, "private"));
	/* Others may write: a send end opens, a receive end does not. */
	b = name_open(self->ctx, "w-others", KIPC_NAME_CREATE, self->tx, 0602,
		      NULL, NULL);
	ASSERT_LE(0, b);
	close(b);
	b = name_open(self->ctx, "w-others-rx", KIPC_NAME_CREATE, self->rx,
		      0602, NULL, NULL);
	ASSERT_LE(0, b);
	close(b);
	EXPECT_EQ(0, as_nobody(nobody_open, "w-others"));
	EXPECT_EQ(EACCES, as_nobody(nobody_open, "w-others-rx"));
	EXPECT_EQ(0, kt_name_unlink(self->ctx, "private"));
	EXPECT_EQ(0, kt_name_unlink(self->ctx, "w-others"));
	EXPECT_EQ(0, kt_name_unlink(self->ctx, "w-others-rx"));
	close(a);
}

TEST_F(names, other_ipc_namespace_does_not_see_it)
{
	int a, status;
	pid_t pid;

	a = name_open(self->ctx, "ns-name", KIPC_NAME_CREATE, self->tx, 0666,
		      NULL, NULL);
	ASSERT_LE(0, a);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint32_t created = 0;
		int fd;

		if (unshare(CLONE_NEWIPC))
			_exit(100);
		if (name_open(self->ctx, "ns-name", 0, -1, 0, NULL, NULL) !=
		    -ENOENT)
			_exit(1);
		/* Its own name of the same spelling is another name. */
		fd = name_open(self->ctx, "ns-name", KIPC_NAME_CREATE, self->rx,
			       0600, NULL, &created);
		if (fd < 0 || created != 1)
			_exit(2);
		_exit(0);	/* its namespace dies with its names */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 100)
		SKIP(goto out, "unshare(CLONE_NEWIPC) failed");
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Ours is untouched. */
	EXPECT_EQ(-EEXIST, name_open(self->ctx, "ns-name",
				     KIPC_NAME_CREATE | KIPC_NAME_EXCL,
				     self->tx, 0600, NULL, NULL));
out:
	EXPECT_EQ(0, kt_name_unlink(self->ctx, "ns-name"));
	close(a);
}

/* ABI table for KIPC_IOC_NAME_OPEN and KIPC_IOC_NAME_UNLINK. */
FIXTURE(names_abi) {
	int ctx, tx, rx, pipefd[2];
	unsigned char buf[8192];
	char longname[KIPC_NAME_MAX + 2];
};

FIXTURE_VARIANT(names_abi) {
	unsigned long cmd;
	uint32_t size;
	uint32_t flags;
	int name;		/* 0 "abi", 1 "", 2 too long, 3 bad pointer,
				 * 4 longest */
	int fd;			/* 0 none, 1 send end, 2 closed, 3 a pipe */
	uint32_t mode;
	size_t poke;
	int expect;		/* 1: a new fd, 0: zero, < 0: -errno */
};

#define NO	sizeof(struct kipc_name_open)
#define NU	sizeof(struct kipc_name_unlink)
#define CR	KIPC_NAME_CREATE

FIXTURE_VARIANT_ADD(names_abi, open_create_ok) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .flags = CR, .fd = 1,
	.mode = 0600, .expect = 1,
};
FIXTURE_VARIANT_ADD(names_abi, open_longest_name) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .flags = CR, .fd = 1,
	.name = 4, .expect = 1,
};
FIXTURE_VARIANT_ADD(names_abi, open_absent) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .expect = -ENOENT,
};
FIXTURE_VARIANT_ADD(names_abi, open_short) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = KIPC_NAME_OPEN_SIZE_VER0 - 1,
	.expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, open_long_nonzero_tail) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO + 8, .poke = NO + 1,
	.expect = -E2BIG,
};
FIXTURE_VARIANT_ADD(names_abi, open_bad_flag) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .flags = 1 << 12,
	.expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, open_excl_without_create) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .flags = KIPC_NAME_EXCL,
	.expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, open_mode_above_0777) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .flags = CR, .fd = 1,
	.mode = 01600, .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, open_mode_without_create) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .mode = 0600, .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, open_fd_without_create) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .fd = 1, .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, open_reserved) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO,
	.poke = offsetof(struct kipc_name_open, reserved[1]), .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, open_empty_name) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .name = 1, .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, open_name_too_long) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .name = 2,
	.expect = -ENAMETOOLONG,
};
FIXTURE_VARIANT_ADD(names_abi, open_name_bad_pointer) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .name = 3, .expect = -EFAULT,
};
FIXTURE_VARIANT_ADD(names_abi, open_create_closed_fd) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .flags = CR, .fd = 2,
	.expect = -EBADF,
};
FIXTURE_VARIANT_ADD(names_abi, open_create_not_kipc) {
	.cmd = KIPC_IOC_NAME_OPEN, .size = NO, .flags = CR, .fd = 3,
	.expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, unlink_absent) {
	.cmd = KIPC_IOC_NAME_UNLINK, .size = NU, .expect = -ENOENT,
};
FIXTURE_VARIANT_ADD(names_abi, unlink_short) {
	.cmd = KIPC_IOC_NAME_UNLINK, .size = KIPC_NAME_UNLINK_SIZE_VER0 - 1,
	.expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, unlink_flags) {
	.cmd = KIPC_IOC_NAME_UNLINK, .size = NU, .flags = 1, .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, unlink_reserved) {
	.cmd = KIPC_IOC_NAME_UNLINK, .size = NU,
	.poke = offsetof(struct kipc_name_unlink, reserved[0]),
	.expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, unlink_empty_name) {
	.cmd = KIPC_IOC_NAME_UNLINK, .size = NU, .name = 1, .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(names_abi, unlink_name_too_long) {
	.cmd = KIPC_IOC_NAME_UNLINK, .size = NU, .name = 2,
	.expect = -ENAMETOOLONG,
};

FIXTURE_SETUP(names_abi)
{
	kipc_test_open(self->ctx);
	ASSERT_EQ(0, kt_channel_create(self->ctx, KIPC_FD_CLOEXEC, 0, 0, -1,
				       &self->tx, &self->rx));
	ASSERT_EQ(0, pipe(self->pipefd));
	memset(self->longname, 'n', sizeof(self->longname));
	self->longname[sizeof(self->longname) - 1] = 0;
}

FIXTURE_TEARDOWN(names_abi)
{
	close(self->tx);
	close(self->rx);
	close(self->pipefd[0]);
	close(self->pipefd[1]);
	close(self->ctx);
}

TEST_F(names_abi, errno_table)
{
	const char *names[] = { "abi", "", self->longname, (char *)8,
				self->longname + 1 };
	uint64_t name = (uintptr_t)names[variant->name];
	int fds[] = { -1, self->tx, 999, self->pipefd[0] };
	int ret;

	memset(self->buf, 0, sizeof(self->buf));
	if (variant->cmd == KIPC_IOC_NAME_OPEN) {
		struct kipc_name_open *no = (void *)self->buf;

		no->flags = variant->flags;
		no->name = name;
		no->fd = fds[variant->fd] < 0 ? KIPC_NO_FD : fds[variant->fd];
		no->mode = variant->mode;
	} else {
		struct kipc_name_unlink *nu = (void *)self->buf;

		nu->flags = variant->flags;
		nu->name = name;
	}
	memcpy(self->buf, &variant->size, sizeof(variant->size));
	if (variant->poke)
		self->buf[variant->poke] = 0x5a;
	ret = ioctl(self->ctx, variant->cmd, self->buf);
	if (variant->expect > 0) {
		ASSERT_LE(0, ret) TH_LOG("errno %d", errno);
		close(ret);
		EXPECT_EQ(0, kt_name_unlink(self->ctx, names[variant->name]));
	} else if (variant->expect == 0) {
		EXPECT_EQ(0, ret) TH_LOG("errno %d", errno);
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(-variant->expect, errno);
	}
}

KIPC_TEST_MAIN
