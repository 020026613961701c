// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl-kipc-helper: makes the kipc objects (and, for the scale test,
 * the many stock ones) that tools/vm/kipc-tool-tests expects kipcctl sys,
 * sys check, sys graph and top to find; writes what it made as "KEY VALUE"
 * lines to stdout, closes it, and holds them until SIGTERM, when it
 * removes what would outlive it (names, System V objects).
 *   chan-noreceiver     a channel with one message queued whose receive
 *                       end is closed: its send end held here
 *   chan-fork           a channel whose send end this process holds and
 *                       whose receive end a child holds, one message queued
 *   service-full NAME B a service of backlog B published as NAME, with B
 *                       connections of this process waiting for an accept
 *   service-nodump NAME a service of backlog 1 published as NAME, one
 *                       connection waiting, held by a process that is not
 *                       dumpable (its /proc/PID is root's)
 *   same-id             a channel and a region of the same id (each type
 *                       is numbered on its own): both held here
 *   scale C S U         C channels (both ends held), S System V objects
 *                       (message queues and semaphore sets, half each) and
 *                       U Unix sockets (socket pairs)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/socket.h>

#include <kipc.h>

static volatile sig_atomic_t stop;
static struct kipc *k;
static const char *name;
static int *sysv_ids;
static int nr_msg, nr_sem;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Close stdout (the test reads until EOF), wait for SIGTERM, clean up. */
static int hold(void)
{
	int i;

	fflush(stdout);
	fclose(stdout);
	while (!stop)
		pause();
	if (name)
		kipc_name_unlink(k, name);
	for (i = 0; i < nr_msg; i++)
		msgctl(sysv_ids[i], IPC_RMID, NULL);
	for (i = 0; i < nr_sem; i++)
		semctl(sysv_ids[nr_msg + i], 0, IPC_RMID);
	return 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "kipcctl-kipc-helper: %s: %s\n", what, strerror(-err));
	return 1;
}

/* The kipc-id of fd @fd, from our own fdinfo; -1 when absent. */
static long long kipc_id(int fd)
{
	char path[64], line[128];
	long long id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "kipc-id: %lld", &id) == 1)
			break;
	fclose(f);
	return id;
}

static int chan_noreceiver(void)
{
	struct kipc_chan *tx, *rx;
	int ret;

	ret = kipc_channel_pair(k, NULL, &tx, &rx);
	if (ret < 0)
		return fail("channel", ret);
	ret = kipc_channel_send_bytes(tx, "x", 1, 0);
	if (ret < 0)
		return fail("send", ret);
	kipc_channel_close(rx);
	printf("id %lld\npid %d\n", kipc_id(kipc_channel_fd(tx)), (int)getpid());
	return hold();
}

static int chan_fork(void)
{
	struct kipc_chan *tx, *rx;
	pid_t child;
	int ret;

	ret = kipc_channel_pair(k, NULL, &tx, &rx);
	if (ret < 0)
		return fail("channel", ret);
	ret = kipc_channel_send_bytes(tx, "x", 1, 0);
	if (ret < 0)
		return fail("send", ret);
	child = fork();
	if (child < 0)
		return fail("fork", -errno);
	if (!child) {
		kipc_channel_close(tx);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	kipc_channel_close(rx);
	printf("id %lld\nsender %d\nreceiver %d\n",
	       kipc_id(kipc_channel_fd(tx)), (int)getpid(), (int)child);
	ret = hold();
	kill(child, SIGKILL);
	return ret;
}

static int service_full(const char *n, unsigned int backlog)
{
	struct kipc_service_attr attr = { .backlog = backlog };
	struct kipc_chan *tx, *rx;
	struct kipc_service *s;
	unsigned int i;
	int ret, fd;

	ret = kipc_service_create(k, &attr, &s);
	if (ret < 0)
		return fail("service", ret);
	fd = kipc_name_open(k, n, KIPC_NAME_CREATE, 0600, kipc_service_fd(s),
			    NULL);
	if (fd < 0)
		return fail("name", fd);
	close(fd);	/* a second listener: one is enough */
	name = n;
	for (i = 0; i < backlog; i++) {
		ret = kipc_connect(k, n, KIPC_CONN_NONBLOCK, NULL, &tx, &rx, NULL);
		if (ret < 0)
			return fail("connect", ret);
	}
	ret = kipc_connect(k, n, KIPC_CONN_NONBLOCK, NULL, &tx, &rx, NULL);
	printf("id %lld\npid %d\nfull %s\n", kipc_id(kipc_service_fd(s)),
	       (int)getpid(), ret == -EAGAIN ? "yes" : "no");
	return hold();
}

/*
 * Ids of each type only grow (until they wrap at 2^32): make channels and
 * regions, closing each one behind the other type's at once, until the
 * newest of each has the same id. One 4 KiB region without a mapping.
 * Within 8 s: after a boot's selftests one counter may be tens of
 * thousands ahead of the other, and a region costs a shmem file; then it
 * prints "skip" with both ids instead.
 */
/* A region of @bytes, held: the sizes of root's regions grow by them. */
static int region_hold(unsigned long long bytes)
{
	struct kipc_region *r;
	int ret;

	ret = kipc_region_create(k, bytes, 0, 0, &r);
	if (ret < 0)
		return fail("region", ret);
	printf("id %lld\npid %d\n", kipc_id(kipc_region_fd(r)), (int)getpid());
	return hold();
}

/* Replace the channel *@tx, *@rx (if any) by a new one: 0 or 1. */
static int new_channel(struct kipc_chan **tx, struct kipc_chan **rx)
{
	int ret;

	if (*tx) {
		kipc_channel_close(*tx);
		kipc_channel_close(*rx);
	}
	ret = kipc_channel_pair(k, NULL, tx, rx);
	return ret < 0 ? fail("channel", ret) : 0;
}

/* Replace the region *@r (if any) by a new one: 0 or 1. */
static int new_region(struct kipc_region **r)
{
	int ret;

	if (*r)
		kipc_region_close(*r);
	ret = kipc_region_create(k, 4096, 0, KIPC_REGION_NOMAP, r);
	return ret < 0 ? fail("region", ret) : 0;
}

/* The id of region @r, or -1. */
static long long region_id(struct kipc_region *r)
{
	struct kipc_region_status st;
	int ret = kipc_region_info(r, &st);

	if (ret < 0) {
		fail("region info", ret);
		return -1;
	}
	return st.id;
}

/*
 * Hold a channel and a region of the same id. Each type has its own ids,
 * given in turn (one more per object made), and after the selftests they
 * are tens of thousands apart: the type behind is made and closed as many
 * times as it is behind, less a few in case others make objects meanwhile,
 * and its id read once; then one at a time.
 */
static int same_id(void)
{
	struct kipc_chan *tx = NULL, *rx = NULL;
	struct kipc_region *r = NULL;
	long long chan, region, n;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (new_channel(&tx, &rx) || new_region(&r))
		return 1;
	chan = kipc_id(kipc_channel_fd(tx));
	region = region_id(r);
	while (chan >= 0 && region >= 0 && chan != region) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= 60) {
			printf("skip channel %lld region %lld\npid %d\n",
			       chan, region, (int)getpid());
			return hold();
		}
		n = chan < region ? region - chan : chan - region;
		for (n = n > 8 ? n - 8 : 1; n > 0; n--)
			if (chan < region ? new_channel(&tx, &rx) :
					    new_region(&r))
				return 1;
		if (chan < region)
			chan = kipc_id(kipc_channel_fd(tx));
		else
			region = region_id(r);
	}
	if (chan < 0 || region < 0)
		return fail("kipc-id", -ENOENT);
	printf("id %lld\npid %d\n", chan, (int)getpid());
	return hold();
}

static int scale(int chans, int sysv, int socks)
{
	struct rlimit rl = { .rlim_cur = 2 * chans + socks + 64 };
	struct kipc_chan *tx, *rx;
	int i, ret, sv[2];

	rl.rlim_max = rl.rlim_cur;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return fail("RLIMIT_NOFILE", -errno);
	for (i = 0; i < chans; i++) {
		ret = kipc_channel_pair(k, NULL, &tx, &rx);
		if (ret < 0)
			return fail("channel", ret);
	}
	sysv_ids = calloc(sysv + 1, sizeof(*sysv_ids));
	if (!sysv_ids)
		return fail("calloc", -ENOMEM);
	for (i = 0; i < sysv / 2; i++, nr_msg++) {
		sysv_ids[nr_msg] = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (sysv_ids[nr_msg] < 0)
			return fail("msgget", -errno);
	}
	for (i = 0; i < sysv - sysv / 2; i++, nr_sem++) {
		sysv_ids[nr_msg + nr_sem] = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
		if (sysv_ids[nr_msg + nr_sem] < 0)
			return fail("semget", -errno);
	}
	for (i = 0; i < socks / 2; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return fail("socketpair", -errno);
	printf("pid %d\nready 1\n", (int)getpid());
	return hold();
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	int ret;

	sigaction(SIGTERM, &sa, NULL);
	ret = kipc_open(&k, 0);
	if (ret < 0)
		return fail("kipc_open", ret);
	if (argc == 2 && !strcmp(argv[1], "chan-noreceiver"))
		return chan_noreceiver();
	if (argc == 2 && !strcmp(argv[1], "chan-fork"))
		return chan_fork();
	if (argc == 4 && !strcmp(argv[1], "service-full"))
		return service_full(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "service-nodump")) {
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
			return fail("PR_SET_DUMPABLE", -errno);
		return service_full(argv[2], 1);
	}
	if (argc == 2 && !strcmp(argv[1], "same-id"))
		return same_id();
	if (argc == 3 && !strcmp(argv[1], "region"))
		return region_hold(strtoull(argv[2], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "scale"))
		return scale(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: kipcctl-kipc-helper chan-noreceiver|chan-fork|service-full NAME BACKLOG|service-nodump NAME|same-id|region BYTES|scale CHANNELS SYSV SOCKETS\n");
	return 2;
}
