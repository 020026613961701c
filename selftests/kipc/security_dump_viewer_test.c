// SPDX-License-Identifier: GPL-2.0
/*
 * A netlink dump lists what the task that asked may see, whoever reads it.
 *
 * Netlink runs a dump's first step when the request is sent, unless the
 * socket's receive buffer is already full: then every step, the first
 * included, runs in the recvmsg() of whoever reads the socket. Before this
 * test the module took the viewer (the user whose objects are listed) at
 * the first step, from the task running it: a user could ask with a full
 * buffer and have another task read, with other credentials (a descriptor
 * passed on, or its own credentials changed in between), and get that
 * task's objects listed. The contract: the viewer is the requester's, taken
 * when the request is sent.
 *
 * Here one process asks as nobody (effective uid 65534, its saved uid
 * still root's), with a receive buffer filled by a reply it does not read,
 * then takes root's effective uid back and reads the dump. It must list
 * the region nobody made, and not root's.
 *
 * The pids a dump reports are in the requester's pid namespace too: a
 * process that is pid 1 of a new namespace asks the same way and passes
 * the socket to a reader in the initial namespace, which must read pid 1
 * as its region's creator, not the number it sees that process by.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

/* What the reader found in the dump: regions by creator. */
struct listing {
	int own;	/* made by nobody: the requester may see them */
	int others;	/* made by anyone else */
	int done;	/* the dump's end was read */
	__u64 id;	/* a region to find, */
	__s64 id_pid;	/* and its creator's pid as listed (-1: not seen) */
};

static void count_region(const struct nlmsghdr *h, struct listing *l)
{
	__s64 pid = -1;
	struct nlattr *a;
	bool found = false;
	int len;

	kt_for_each_attr(a, len, h) {
		if (a->nla_type == KIPC_A_REGION_ID && kt_attr_u64(a) == l->id)
			found = true;
		if (a->nla_type == KIPC_A_REGION_PID)
			pid = kt_attr_u32(a);
		if (a->nla_type != KIPC_A_REGION_UID)
			continue;
		if (kt_attr_u32(a) == KT_NOBODY)
			l->own++;
		else
			l->others++;
	}
	if (found)
		l->id_pid = pid;
}

/* Read answers to @seq until its dump ends; 0 or -errno. */
static int read_dump(int fd, __u32 seq, struct listing *l)
{
	static char buf[32768];
	struct nlmsghdr *h;
	int n, overruns = 0;

	/*
	 * With the buffer full, the request's first step fails with ENOBUFS
	 * (an error answer, or the socket's error when that answer did not
	 * fit either) and the dump goes on at the reads.
	 */
	while (!l->done) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == ENOBUFS && overruns++ < 4)
			continue;
		if (n < 0)
			return -errno;
		for (h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR &&
			    ((struct nlmsgerr *)NLMSG_DATA(h))->error == -ENOBUFS &&
			    overruns++ < 4)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE)
				l->done = 1;
			else
				count_region(h, l);
		}
	}
	return 0;
}

/* A context and a region of a page, in *@ctx and *@region: 0, or 11-12. */
static int new_region(int *ctx, int *region)
{
	struct kipc_region_create rc = {
		.size = sizeof(rc), .bytes = 4096,
	};

	*ctx = open("/dev/kipc", O_RDWR | O_CLOEXEC);
	if (*ctx < 0)
		return 11;
	*region = ioctl(*ctx, KIPC_IOC_REGION_CREATE, &rc);
	return *region < 0 ? 12 : 0;
}

/*
 * Open a kipc netlink socket whose receive buffer is full, and ask it for a
 * dump of regions: the dump's steps, the first included, run in whoever
 * reads @g next. Return 0, or 13-16 for what failed.
 */
static int ask_with_a_full_buffer(struct kt_genl *g, __u32 *seq)
{
	struct timeval tv = { .tv_sec = 10 };
	struct kt_genl_req r;
	int one = 1;

	if (kt_genl_open(g))
		return 13;
	/* The smallest buffer, filled by a reply of some KiB left unread. */
	if (setsockopt(g->fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)) ||
	    setsockopt(g->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return 14;
	kt_genl_init(g, &r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	r.nlh.nlmsg_flags = NLM_F_REQUEST;
	kt_genl_attr(&r, CTRL_ATTR_FAMILY_NAME, KIPC_GENL_NAME,
		     sizeof(KIPC_GENL_NAME));
	if (send(g->fd, &r, r.nlh.nlmsg_len, 0) < 0)
		return 15;
	kt_genl_init(g, &r, g->family, KIPC_CMD_REGION_GET, NLM_F_DUMP);
	*seq = r.nlh.nlmsg_seq;
	if (send(g->fd, &r, r.nlh.nlmsg_len, 0) < 0)
		return 16;
	return 0;
}

/*
 * The child: ask as nobody with a full receive buffer, read as root.
 * Exit 0 when the dump listed nobody's region and nothing else.
 */
static int ask_as_nobody_read_as_root(void)
{
	struct listing l = { 0 };
	struct kt_genl g;
	int ctx, region, ret;
	__u32 seq;

	if (setgroups(0, NULL) || setresgid(-1, KT_NOBODY, -1) ||
	    setresuid(-1, KT_NOBODY, -1))
		return 10;
	ret = new_region(&ctx, &region);
	if (ret)
		return ret;
	ret = ask_with_a_full_buffer(&g, &seq);
	if (ret)
		return ret;
	if (setresuid(-1, 0, -1))
		return 17;
	ret = read_dump(g.fd, seq, &l);
	if (ret) {
		fprintf(stderr, "dump: %s\n", strerror(-ret));
		return 18;
	}
	fprintf(stderr, "dump read as root listed %d of nobody's regions, %d of others\n",
		l.own, l.others);
	if (l.others)
		return 1;
	return l.own == 1 ? 0 : 2;
}

TEST(dump_lists_the_requesters_objects_whoever_reads)
{
	struct kipc_region_create rc = {
		.size = sizeof(rc), .bytes = 4096,
	};
	struct kt_genl g;
	int ctx, region, ret;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to ask as another user");
	kipc_test_open(ctx);
	ret = kt_genl_open(&g);
	if (ret == -ENOENT)
		SKIP(return, "no netlink family kipc");
	ASSERT_EQ(0, ret);
	close(g.fd);
	/* Root's region, which nobody's dump must not list. */
	region = ioctl(ctx, KIPC_IOC_REGION_CREATE, &rc);
	ASSERT_LE(0, region);
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(ask_as_nobody_read_as_root());
	ret = kt_wait(pid, 30000);
	EXPECT_EQ(0, ret) TH_LOG("1: root's region listed; 2: nobody's not listed; 10-18: setup failed");
	close(region);
	close(ctx);
}

/* What pid 1 of a new namespace hands its reader, with the socket. */
struct asked {
	__u64 id;	/* the region it made */
	__u32 seq;	/* its dump request */
};

/* Pass @fd with @a over @sock: 0 or -errno. */
static int send_asked(int sock, int fd, const struct asked *a)
{
	return kt_send_fd(sock, fd, a, sizeof(*a));
}

/* Receive what send_asked() sent: the descriptor, or -1. */
static int recv_asked(int sock, struct asked *a)
{
	return kt_recv_fd(sock, a, sizeof(*a));
}

/*
 * Pid 1 of a new pid namespace: make a region, ask for a dump with a full
 * buffer, hand the socket to the reader on @sock and keep the region until
 * the reader says it is done. Exit 0, or 11-23 for what failed.
 */
static int ask_as_pid_1(int sock)
{
	struct asked a = { 0 };
	struct kt_genl g;
	long long id;
	int ctx, region, ret;
	char done;

	if (getpid() != 1)
		return 20;
	ret = new_region(&ctx, &region);
	if (ret)
		return ret;
	id = kt_fdinfo_num(region, "kipc-id");
	if (id < 0)
		return 21;
	a.id = id;
	ret = ask_with_a_full_buffer(&g, &a.seq);
	if (ret)
		return ret;
	if (send_asked(sock, g.fd, &a))
		return 22;
	close(g.fd);
	if (read(sock, &done, 1) != 1)
		return 23;
	return 0;
}

TEST(dump_pids_are_in_the_requesters_namespace)
{
	struct listing l = { .id_pid = -1 };
	struct asked a;
	struct kt_genl g;
	int sv[2], fd, ret, status;
	pid_t pid, child;

	if (geteuid() != 0)
		SKIP(return, "needs root to make a pid namespace");
	ret = kt_genl_open(&g);
	if (ret == -ENOENT)
		SKIP(return, "no netlink family kipc");
	ASSERT_EQ(0, ret);
	close(g.fd);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = kt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		if (unshare(CLONE_NEWPID))
			_exit(errno == EINVAL ? 30 : 31);
		child = fork();
		if (child < 0)
			_exit(32);
		if (child == 0)
			_exit(ask_as_pid_1(sv[1]));
		close(sv[1]);
		if (waitpid(child, &status, 0) != child)
			_exit(33);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 34);
	}
	close(sv[1]);
	fd = recv_asked(sv[0], &a);
	if (fd < 0) {
		close(sv[0]);
		status = kt_wait(pid, 30000);
		if (status == 30)
			SKIP(return, "no pid namespaces (CONFIG_PID_NS)");
		ASSERT_LE(0, fd) TH_LOG("pid 1 handed no socket: status %d",
					status);
	}
	l.id = a.id;
	ret = read_dump(fd, a.seq, &l);
	close(fd);
	EXPECT_EQ(1, write(sv[0], "x", 1));
	close(sv[0]);
	status = kt_wait(pid, 30000);
	ASSERT_EQ(0, ret) TH_LOG("dump: %s", strerror(-ret));
	EXPECT_EQ(0, status);
	EXPECT_EQ(1, l.id_pid) TH_LOG("region %llu listed with pid %lld, not 1",
				     (unsigned long long)l.id,
				     (long long)l.id_pid);
}

KIPC_TEST_MAIN
