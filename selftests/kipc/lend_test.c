// SPDX-License-Identifier: GPL-2.0
/* Lending: pinned, read-only mapped pages, completions, races and leaks. */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <grp.h>
#include <sched.h>
#include <poll.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define PG	4096UL
#define NOBODY	65534

/*
 * Pages pinned and not unpinned, system-wide (/proc/vmstat), after folding
 * the per-CPU counters in (vm.stat_refresh, root only): without it the
 * figures lag by up to a per-CPU threshold.
 */
static long pins_held(void)
{
	long acq = -1, rel = -1, v;
	char key[64];
	FILE *f = fopen("/proc/sys/vm/stat_refresh", "w");

	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2) {
		if (!strcmp(key, "nr_foll_pin_acquired"))
			acq = v;
		else if (!strcmp(key, "nr_foll_pin_released"))
			rel = v;
	}
	fclose(f);
	return acq < 0 || rel < 0 ? -1 : acq - rel;
}

/* This process's locked_vm, in kB (VmLck of /proc/self/status). */
static long vmlck_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int lendq_new(int ctx, unsigned int flags)
{
	struct kipc_lendq_create lc = { .size = sizeof(lc), .flags = flags };

	return ioctl(ctx, KIPC_IOC_LENDQ_CREATE, &lc);
}

/* Send one message lending @n ranges; returns the ioctl's result. */
static int lend_send(int tx, int q, struct kipc_lend_ref *refs, unsigned int n)
{
	struct kipc_msg m = {
		.lends = (uintptr_t)refs, .nr_lends = n, .lendq_fd = q,
		.tag = 7,
	};
	struct kipc_io io = {
		.size = sizeof(io), .msgs = (uintptr_t)&m, .nr_msgs = 1,
		.msg_size = sizeof(m), .region_fd = KIPC_NO_FD,
		.flags = KIPC_IO_NONBLOCK,
	};

	return ioctl(tx, KIPC_IOC_SEND, &io);
}

static int lend_send1(int tx, int q, void *addr, size_t len, uint64_t cookie)
{
	struct kipc_lend_ref r = {
		.addr = (uintptr_t)addr, .len = len, .cookie = cookie,
	};

	return lend_send(tx, q, &r, 1);
}

/* Receive one message with room for 16 ranges; @msg_size the stride. */
static int lend_recv(int rx, struct kipc_lend_ref *refs, uint32_t msg_size,
		     uint32_t *nr)
{
	struct kipc_msg m = {
		.lends = (uintptr_t)refs, .nr_lends = KIPC_MSG_LENDS_MAX,
	};
	struct kipc_io io = {
		.size = sizeof(io), .msgs = (uintptr_t)&m, .nr_msgs = 1,
		.msg_size = msg_size, .region_fd = KIPC_NO_FD,
		.flags = KIPC_IO_NONBLOCK,
	};
	int ret;

	if (msg_size < sizeof(m))
		m.nr_lends = 0;
	ret = ioctl(rx, KIPC_IOC_RECV, &io);
	if (nr)
		*nr = m.nr_lends;
	return ret;
}

static void *lend_recv1(int rx)
{
	struct kipc_lend_ref r[KIPC_MSG_LENDS_MAX];
	uint32_t nr = 0;

	if (lend_recv(rx, r, sizeof(struct kipc_msg), &nr) != 1 || nr != 1)
		return NULL;
	return (void *)(uintptr_t)r[0].addr;
}

static int reap(int q, struct kipc_lend_completion *c, uint32_t n,
		uint32_t flags)
{
	struct kipc_lend_reap lr = {
		.size = sizeof(lr), .flags = flags, .comps = (uintptr_t)c,
		.nr_comps = n,
	};

	return ioctl(q, KIPC_IOC_LEND_REAP, &lr);
}

static void *map_pages(size_t n, char fill)
{
	char *p = mmap(NULL, n * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, fill, n * PG);
	return p;
}

/* Whether a write to @p kills a child with SIGSEGV. */
static int write_faults(volatile char *p)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		*p = 1;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

FIXTURE(lend) {
	int ctx, q, tx, rx;
	long pins0, lck0;
};

FIXTURE_SETUP(lend)
{
	self->q = self->tx = self->rx = -1;
	kipc_test_open(self->ctx);
	self->pins0 = pins_held();
	self->lck0 = vmlck_kb();
	self->q = lendq_new(self->ctx, KIPC_FD_CLOEXEC);
	ASSERT_LE(0, self->q) TH_LOG("LENDQ_CREATE: %s", strerror(errno));
	ASSERT_EQ(0, kt_channel_create(self->ctx, KIPC_FD_CLOEXEC, 0, 0, -1,
				       &self->tx, &self->rx));
}

FIXTURE_TEARDOWN(lend)
{
	close(self->tx);
	close(self->rx);
	close(self->q);
	close(self->ctx);
}

/* Every pin dropped and every locked page uncharged. */
#define EXPECT_NO_LEAK()						\
	do {								\
		EXPECT_EQ(self->pins0, pins_held());			\
		EXPECT_EQ(self->lck0, vmlck_kb());			\
	} while (0)

TEST_F(lend, map_read_only_and_complete)
{
	struct kipc_lend_completion c[4];
	char *src = map_pages(4, 'a');
	char *dst;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, 4 * PG, 42));
	/* Charged to the sending user, not to this process's mm. */
	EXPECT_EQ(self->lck0, vmlck_kb());
	EXPECT_EQ(-1, reap(self->q, c, 4, KIPC_REAP_NONBLOCK));
	EXPECT_EQ(EAGAIN, errno);

	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	EXPECT_EQ(0, memcmp(src, dst, 4 * PG));
	/* Never writable. */
	EXPECT_EQ(-1, mprotect(dst, PG, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(dst, PG, PROT_READ | PROT_EXEC));
	EXPECT_EQ(1, write_faults(dst));
	EXPECT_EQ('a', dst[0]);

	ASSERT_EQ(0, munmap(dst, 4 * PG));
	ASSERT_EQ(1, reap(self->q, c, 4, 0));
	EXPECT_EQ(42, c[0].cookie);
	EXPECT_EQ((uintptr_t)src, c[0].addr);
	EXPECT_EQ(4 * PG, c[0].len);
	EXPECT_EQ(KIPC_LEND_RELEASED, c[0].status);
	/* Nothing lent: a blocking reap returns 0 at once. */
	EXPECT_EQ(0, reap(self->q, c, 4, 0));
	munmap(src, 4 * PG);
	EXPECT_NO_LEAK();
}

/*
 * A reap whose argument cannot be written back fails with EFAULT before it
 * takes a completion: the next reap gets it.
 */
TEST_F(lend, reap_fault_loses_nothing)
{
	struct kipc_lend_completion c[4];
	struct kipc_lend_reap lr = {
		.size = sizeof(lr), .flags = KIPC_REAP_NONBLOCK,
		.comps = (uintptr_t)c, .nr_comps = 4,
	};
	char *src = map_pages(1, 'c');
	struct kipc_lend_reap *ro;
	char *dst;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, PG, 43));
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, munmap(dst, PG));
	ro = kt_read_only(&lr, sizeof(lr));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(self->q, KIPC_IOC_LEND_REAP, ro));
	EXPECT_EQ(EFAULT, errno);
	kt_read_only_free(ro);
	ASSERT_EQ(1, reap(self->q, c, 4, KIPC_REAP_NONBLOCK));
	EXPECT_EQ(43, c[0].cookie);
	EXPECT_EQ(KIPC_LEND_RELEASED, c[0].status);
	munmap(src, PG);
	EXPECT_NO_LEAK();
}

struct reapers {
	int q;
	volatile int stop;
	int got, zeros, errors;	/* atomics */
};

/* Reaps without waiting until told to stop, counting what each reap gave. */
static void *reap_spinning(void *arg)
{
	struct reapers *r = arg;
	struct kipc_lend_completion c[4];
	int ret;

	while (!r->stop) {
		ret = reap(r->q, c, 4, KIPC_REAP_NONBLOCK);
		if (ret > 0)
			__atomic_add_fetch(&r->got, ret, __ATOMIC_RELAXED);
		else if (!ret)
			__atomic_add_fetch(&r->zeros, 1, __ATOMIC_RELAXED);
		else if (errno != EAGAIN)
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Lend @src and have it mapped and unmapped: its completion is ready. */
static int lend_and_return(int tx, int q, int rx, char *src, uint64_t cookie)
{
	char *dst;

	if (lend_send1(tx, q, src, PG, cookie) != 1)
		return -1;
	dst = lend_recv1(rx);
	if (!dst)
		return -1;
	return munmap(dst, PG);
}

/*
 * Two threads reap one queue while a range stays lent: each completion
 * goes to one of them, and neither ever gets 0 (nothing lent) because the
 * other took the completion it had seen; a reap that finds nothing is
 * EAGAIN.
 */
TEST_F(lend, two_reapers_race)
{
	struct reapers r = { .q = self->q };
	uint64_t until = kt_now_ns(CLOCK_MONOTONIC) + 20000000000ULL;
	char *src = map_pages(2, 'd');
	pthread_t ta, tb;
	int tx2, rx2, i;

	ASSERT_NE(NULL, src);
	/* Kept lent (queued on another channel, never received). */
	ASSERT_EQ(0, kt_channel_create(self->ctx, KIPC_FD_CLOEXEC, 0, 0, -1,
				       &tx2, &rx2));
	ASSERT_EQ(1, lend_send1(tx2, self->q, src + PG, PG, 9));
	ASSERT_EQ(0, pthread_create(&ta, NULL, reap_spinning, &r));
	ASSERT_EQ(0, pthread_create(&tb, NULL, reap_spinning, &r));
	for (i = 0; i < 300; i++)
		ASSERT_EQ(0, lend_and_return(self->tx, self->q, self->rx,
					     src, i));
	while (__atomic_load_n(&r.got, __ATOMIC_RELAXED) < 300 &&
	       kt_now_ns(CLOCK_MONOTONIC) < until)
		kt_sleep_ms(1);
	r.stop = 1;
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	EXPECT_EQ(300, r.got);
	EXPECT_EQ(0, r.zeros);
	EXPECT_EQ(0, r.errors);
	close(tx2);
	close(rx2);
	munmap(src, 2 * PG);
}

TEST_F(lend, no_write_by_other_routes)
{
	struct kipc_lend_completion c;
	char *src = map_pages(1, 'b');
	char byte = 'x', *dst;
	struct iovec local = { &byte, 1 }, remote;
	int memfd;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, PG, 1));
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	remote.iov_base = dst;
	remote.iov_len = 1;
	EXPECT_GT(1, process_vm_writev(getpid(), &local, 1, &remote, 1, 0));
	memfd = open("/proc/self/mem", O_RDWR);
	if (memfd >= 0) {
		EXPECT_GT(1, pwrite(memfd, &byte, 1, (uintptr_t)dst));
		close(memfd);
	}
	/* Re-lending a lent mapping: it cannot be pinned. */
	EXPECT_EQ(-1, lend_send1(self->tx, self->q, dst, PG, 2));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ('b', dst[0]);
	ASSERT_EQ(0, munmap(dst, PG));
	ASSERT_EQ(1, reap(self->q, &c, 1, 0));
	munmap(src, PG);
	EXPECT_NO_LEAK();
}

/* The permissions /proc/self/maps gives the mapping at @p ("r--s"), or "". */
static void maps_perms(const void *p, char perms[5])
{
	char line[512];
	unsigned long lo, hi;
	FILE *f = fopen("/proc/self/maps", "r");

	perms[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    lo <= (uintptr_t)p && (uintptr_t)p < hi)
			break;
		perms[0] = '\0';
	}
	if (f)
		fclose(f);
}

/*
 * A receiver whose personality has READ_IMPLIES_EXEC (setarch -X, an old
 * 32-bit binary) maps every PROT_READ with PROT_EXEC. Up to 4b3e10b the
 * lent range's mapping refused that with EACCES, which the receive
 * returned each time, the message staying at the head of the queue. It
 * is received now, and mapped without exec.
 */
TEST_F(lend, receiver_with_read_implies_exec)
{
	struct kipc_lend_completion c;
	char *src = map_pages(2, 'e');
	int status;
	pid_t pid;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, 2 * PG, 5));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char perms[5], *dst;

		if (personality(personality(0xffffffff) | READ_IMPLIES_EXEC) < 0)
			_exit(10);
		dst = lend_recv1(self->rx);
		if (!dst)
			_exit(20 + (errno & 0x3f));
		if (dst[0] != 'e' || dst[2 * PG - 1] != 'e')
			_exit(11);
		maps_perms(dst, perms);
		if (perms[0] != 'r' || perms[1] != '-' || perms[2] != '-')
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("status %d: 20 + errno of the receive (EACCES: 33), 12: mapped writable or executable",
		       WEXITSTATUS(status));
	if (WEXITSTATUS(status))
		return;		/* still queued: the teardown drops it */
	ASSERT_EQ(1, reap(self->q, &c, 1, 0));
	EXPECT_EQ(5, c.cookie);
	munmap(src, 2 * PG);
	EXPECT_NO_LEAK();
}

TEST_F(lend, sender_rewrites_and_unmaps)
{
	struct kipc_lend_completion c;
	char *src = map_pages(2, 'c');
	char *dst;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, 2 * PG, 3));
	src[0] = 'd';			/* before the receive */
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	EXPECT_EQ('d', dst[0]);
	src[PG] = 'e';			/* after: the same pages */
	EXPECT_EQ('e', dst[PG]);
	ASSERT_EQ(0, munmap(src, 2 * PG));
	/* The pins keep the pages. */
	EXPECT_EQ('d', dst[0]);
	EXPECT_EQ('c', dst[1]);
	EXPECT_EQ(-1, reap(self->q, &c, 1, KIPC_REAP_NONBLOCK));
	ASSERT_EQ(0, munmap(dst, 2 * PG));
	ASSERT_EQ(1, reap(self->q, &c, 1, 0));
	EXPECT_NO_LEAK();
}

/*
 * The sender's writes after the lend reach the receiver also for pages
 * it had not written before: on 6.1 a read-only long-term pin took the
 * shared zero page of untouched anonymous memory, or the page cache page
 * of a private file mapping, and the sender's first write then gave the
 * sender a copy the receiver never saw. And a range the sender may not
 * write (PROT_READ) is still lent, as it is.
 */
TEST_F(lend, later_writes_reach_untouched_pages)
{
	static char file_page[PG];
	char *anon, *priv, *ro, *dst;
	int fd = memfd_create("kipc-lend-test", MFD_CLOEXEC);

	ASSERT_LE(0, fd);
	memset(file_page, 'f', PG);
	ASSERT_EQ(PG, pwrite(fd, file_page, PG, 0));
	anon = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	priv = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ro = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, anon);
	ASSERT_NE(MAP_FAILED, priv);
	ASSERT_NE(MAP_FAILED, ro);

	/* Never written: the zero page until the first write. */
	ASSERT_EQ(1, lend_send1(self->tx, self->q, anon, PG, 1));
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	anon[0] = 'a';
	EXPECT_EQ('a', dst[0]) TH_LOG("the receiver kept the zero page");
	munmap(dst, PG);

	/* A private file mapping, read so far: the file's page. */
	ASSERT_EQ('f', priv[0]);
	ASSERT_EQ(1, lend_send1(self->tx, self->q, priv, PG, 2));
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	priv[0] = 'p';
	EXPECT_EQ('p', dst[0]) TH_LOG("the receiver kept the file's page");
	munmap(dst, PG);

	/* Read-only: lent all the same, showing the file. */
	ASSERT_EQ(1, lend_send1(self->tx, self->q, ro, PG, 3))
		TH_LOG("a read-only range: %s", strerror(errno));
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	EXPECT_EQ('f', dst[0]);
	munmap(dst, PG);

	munmap(anon, PG);
	munmap(priv, PG);
	munmap(ro, PG);
	close(fd);
	EXPECT_NO_LEAK();
}

/*
 * Lending a shared file mapping leaves the file alone: pinned for
 * writing, every lend faulted its pages in for a write, which dirtied
 * them and set the file's modification time although nothing wrote.
 */
TEST_F(lend, shared_file_lent_keeps_its_times)
{
	static char file_page[PG];
	char path[] = "/tmp/kipc-lend-XXXXXX", *shared, *dst;
	struct stat before, after;
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	unlink(path);
	memset(file_page, 's', PG);
	ASSERT_EQ(PG, pwrite(fd, file_page, PG, 0));
	ASSERT_EQ(0, fstat(fd, &before));
	usleep(20000);			/* past the clock's granularity */
	shared = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, shared);	/* not touched: no page mapped yet */
	ASSERT_EQ(1, lend_send1(self->tx, self->q, shared, PG, 4));
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	EXPECT_EQ('s', dst[0]);
	munmap(dst, PG);
	ASSERT_EQ(0, fstat(fd, &after));
	EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	EXPECT_EQ(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec)
		TH_LOG("the lend wrote the file's modification time");
	munmap(shared, PG);
	close(fd);
	EXPECT_NO_LEAK();
}

TEST_F(lend, receiver_unmaps_in_parts)
{
	struct kipc_lend_completion c;
	char *src = map_pages(3, 'f');
	char *dst;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, 3 * PG, 4));
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, munmap(dst + PG, PG));
	EXPECT_EQ('f', dst[0]);
	EXPECT_EQ('f', dst[2 * PG]);
	EXPECT_EQ(-1, reap(self->q, &c, 1, KIPC_REAP_NONBLOCK));
	ASSERT_EQ(0, munmap(dst, PG));
	EXPECT_EQ(-1, reap(self->q, &c, 1, KIPC_REAP_NONBLOCK));
	ASSERT_EQ(0, munmap(dst + 2 * PG, PG));
	ASSERT_EQ(1, reap(self->q, &c, 1, 0));
	EXPECT_EQ(KIPC_LEND_RELEASED, c.status);
	munmap(src, 3 * PG);
	EXPECT_NO_LEAK();
}

TEST_F(lend, fork_of_receiver_and_sender)
{
	struct kipc_lend_completion c;
	char *src = map_pages(1, 'g');
	char *dst;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, PG, 5));
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The lent mapping is not inherited; the sender's copy is. */
		if (madvise(dst, PG, MADV_NORMAL) == 0 || errno != ENOMEM)
			_exit(1);
		src[0] = 'h';		/* the child's own copy */
		_exit(src[0] == 'h' ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ('g', dst[0]);		/* not the child's write */
	src[0] = 'i';
	EXPECT_EQ('i', dst[0]);		/* the parent's is seen */
	ASSERT_EQ(0, munmap(dst, PG));
	ASSERT_EQ(1, reap(self->q, &c, 1, 0));
	munmap(src, PG);
	EXPECT_NO_LEAK();
}

TEST_F(lend, receiver_killed_while_mapped)
{
	struct kipc_lend_completion c;
	char *src = map_pages(8, 'j');
	int pfd[2], status;
	char ok = 0;
	pid_t pid;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, 8 * PG, 6));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *dst = lend_recv1(self->rx);

		ok = dst && dst[7 * PG] == 'j';
		if (write(pfd[1], &ok, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(pfd[0], &ok, 1));
	EXPECT_EQ(1, ok);
	EXPECT_EQ(-1, reap(self->q, &c, 1, KIPC_REAP_NONBLOCK));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(1, reap(self->q, &c, 1, 0));
	EXPECT_EQ(KIPC_LEND_RELEASED, c.status);
	EXPECT_EQ(6, c.cookie);
	close(pfd[0]);
	close(pfd[1]);
	munmap(src, 8 * PG);
	EXPECT_NO_LEAK();
}

TEST_F(lend, sender_killed_while_lent)
{
	struct kipc_lend_completion c;
	char *dst;
	int status;
	pid_t pid;

	/* The child lends on our queue and channel, then dies. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *src = map_pages(4, 'k');

		if (!src || lend_send1(self->tx, self->q, src, 4 * PG, 8) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	while ((dst = lend_recv1(self->rx)) == NULL && errno == EAGAIN)
		usleep(1000);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_NE(NULL, dst);
	EXPECT_EQ('k', dst[4 * PG - 1]);	/* the dead sender's pages */
	ASSERT_EQ(0, munmap(dst, 4 * PG));
	ASSERT_EQ(1, reap(self->q, &c, 1, 0));
	EXPECT_EQ(8, c.cookie);
	EXPECT_EQ(self->pins0, pins_held());
}

TEST_F(lend, sender_killed_while_blocked)
{
	struct kipc_channel_create cc = {
		.size = sizeof(cc), .depth = 1, .region_fd = KIPC_NO_FD,
	};
	char *src = map_pages(16, 'q');
	int status, fill = 0;
	pid_t pid;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(0, ioctl(self->ctx, KIPC_IOC_CHANNEL_CREATE, &cc));
	/* A full queue: the child's lending send blocks, pages pinned. */
	ASSERT_EQ(1, lend_send1(cc.send_fd, self->q, src, PG, 20));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kipc_lend_ref r = {
			.addr = (uintptr_t)src, .len = 16 * PG, .cookie = 21,
		};
		struct kipc_msg m = {
			.lends = (uintptr_t)&r, .nr_lends = 1,
			.lendq_fd = self->q,
		};
		struct kipc_io io = {
			.size = sizeof(io), .msgs = (uintptr_t)&m, .nr_msgs = 1,
			.msg_size = sizeof(m), .region_fd = KIPC_NO_FD,
		};

		ioctl(cc.send_fd, KIPC_IOC_SEND, &io);
		_exit(1);
	}
	/* Wait until it sleeps in the send, then kill it. */
	while (fill++ < 2000) {
		char path[64], state = 0, line[256];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f))
			state = strrchr(line, ')')[2];
		if (f)
			fclose(f);
		if (state == 'S')
			break;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	close(cc.send_fd);
	close(cc.recv_fd);
	/* Only the queued one completes (dropped); the killed send did not. */
	{
		struct kipc_lend_completion c[2];

		ASSERT_EQ(1, reap(self->q, c, 2, 0));
		EXPECT_EQ(20, c[0].cookie);
		EXPECT_EQ(KIPC_LEND_DROPPED, c[0].status);
	}
	munmap(src, 16 * PG);
	EXPECT_NO_LEAK();
}

TEST_F(lend, channel_closed_with_lends_queued)
{
	struct kipc_lend_completion c[4];
	char *src = map_pages(4, 'l');
	struct kipc_lend_ref r[2] = {
		{ .addr = (uintptr_t)src, .len = PG, .cookie = 10 },
		{ .addr = (uintptr_t)src + PG, .len = 3 * PG, .cookie = 11 },
	};

	ASSERT_NE(NULL, src);
	ASSERT_EQ(1, lend_send(self->tx, self->q, r, 2));
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, 4 * PG, 12));
	EXPECT_EQ(self->lck0, vmlck_kb());
	close(self->rx);
	self->rx = -1;
	ASSERT_EQ(3, reap(self->q, c, 4, 0));
	EXPECT_EQ(10, c[0].cookie);
	EXPECT_EQ(11, c[1].cookie);
	EXPECT_EQ(12, c[2].cookie);
	EXPECT_EQ(KIPC_LEND_DROPPED, c[2].status);
	munmap(src, 4 * PG);
	EXPECT_NO_LEAK();
}

TEST_F(lend, queue_closed_while_lent)
{
	char *src = map_pages(2, 'm');
	char *dst;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, 2 * PG, 13));
	close(self->q);
	self->q = -1;
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	EXPECT_EQ('m', dst[0]);
	ASSERT_EQ(0, munmap(dst, 2 * PG));
	munmap(src, 2 * PG);
	usleep(10000);
	EXPECT_NO_LEAK();
}

TEST_F(lend, old_receiver_gets_emsgsize)
{
	struct kipc_lend_ref r[KIPC_MSG_LENDS_MAX];
	struct kipc_lend_completion c;
	char *src = map_pages(1, 'n');
	char *dst;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, PG, 14));
	EXPECT_EQ(-1, lend_recv(self->rx, r, KIPC_MSG_SIZE_VER0, NULL));
	EXPECT_EQ(EMSGSIZE, errno);
	dst = lend_recv1(self->rx);		/* it stayed queued */
	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, munmap(dst, PG));
	ASSERT_EQ(1, reap(self->q, &c, 1, 0));
	munmap(src, PG);
	EXPECT_NO_LEAK();
}

TEST_F(lend, poll_on_completion)
{
	struct kipc_lend_completion c;
	char *src = map_pages(1, 'o');
	struct pollfd p = { .events = POLLIN };
	char *dst;

	ASSERT_NE(NULL, src);
	p.fd = self->q;
	ASSERT_EQ(1, lend_send1(self->tx, self->q, src, PG, 15));
	EXPECT_EQ(0, poll(&p, 1, 0));
	dst = lend_recv1(self->rx);
	ASSERT_NE(NULL, dst);
	ASSERT_EQ(0, munmap(dst, PG));
	EXPECT_EQ(1, poll(&p, 1, 1000));
	EXPECT_TRUE(p.revents & POLLIN);
	ASSERT_EQ(1, reap(self->q, &c, 1, 0));
	munmap(src, PG);
	EXPECT_NO_LEAK();
}

TEST_F(lend, memlock_limit)
{
	char *src = map_pages(256, 'p');
	int status;
	pid_t pid;

	ASSERT_NE(NULL, src);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit rl = { 64 * 1024, 64 * 1024 };

		/* Without CAP_IPC_LOCK the limit applies. */
		if (getuid() == 0 &&
		    (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)))
			_exit(10);
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(11);
		if (lend_send1(self->tx, self->q, src, 256 * PG, 16) != -1)
			_exit(12);
		if (errno != ENOMEM)
			_exit(13);
		/* Within the limit it works. */
		if (lend_send1(self->tx, self->q, src, 16 * PG, 17) != 1)
			_exit(14);
		/* The user is charged, not the process's mm. */
		_exit(vmlck_kb() == 0 ? 0 : 15);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child step %d",
						 WEXITSTATUS(status));
	/*
	 * The 16 pages are still queued, so still charged to the user after
	 * the sender exited: another process of that user cannot pin more.
	 */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit rl = { 64 * 1024, 64 * 1024 };

		if (getuid() == 0 &&
		    (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)))
			_exit(10);
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(11);
		if (lend_send1(self->tx, self->q, src, PG, 18) != -1 ||
		    errno != ENOMEM)
			_exit(16);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("second child step %d",
						 WEXITSTATUS(status));
	close(self->rx);
	self->rx = -1;
	munmap(src, 256 * PG);
	EXPECT_EQ(self->pins0, pins_held());
}

/*
 * Lending charges the sending user: its pages to the user's locked_vm
 * (against RLIMIT_MEMLOCK), the range's bookkeeping to its in-flight
 * bytes. A charge must come back exactly once whatever ends the range,
 * also when the ends race each other. Three threads of one process (run
 * as nobody, so that the limit applies) work one channel and one queue:
 * a lender lends without waiting until the channel or the queue is gone;
 * a receiver maps and unmaps what comes, then closes the receive end
 * with lends still queued; the test's own thread closes the queue at a
 * moment that moves from round to round, while lends are being sent.
 * Then the user's charge is probed by its limit: with RLIMIT_MEMLOCK at
 * 64 KiB, 16 pages can be lent and a 17th cannot. A leaked charge fails
 * the first, a charge returned twice (locked_vm below zero) the second.
 */
#define RACE_PAGES	4
#define RACE_ROUNDS	60

struct lend_race {
	int tx, rx, q;
	char *src;
	int recv_max;		/* the receiver closes rx after this many */
	int sent, got;
	int lender_done;	/* atomic */
	int bad_errno;		/* an error neither side expects */
};

static void *race_lender(void *arg)
{
	struct lend_race *r = arg;
	uint64_t until = kt_now_ns(CLOCK_MONOTONIC) + 5000000000ULL;

	while (kt_now_ns(CLOCK_MONOTONIC) < until) {
		if (lend_send1(r->tx, r->q, r->src, RACE_PAGES * PG,
			       r->sent) == 1) {
			r->sent++;
			continue;
		}
		if (errno == EAGAIN || errno == ENOMEM || errno == ENOBUFS) {
			sched_yield();	/* full, or the charges not back yet */
			continue;
		}
		if (errno != EPIPE && errno != EBADF)
			r->bad_errno = errno;
		break;
	}
	if (kt_now_ns(CLOCK_MONOTONIC) >= until)
		r->bad_errno = ETIMEDOUT;	/* never stopped: a charge kept? */
	__atomic_store_n(&r->lender_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *race_receiver(void *arg)
{
	struct lend_race *r = arg;
	char *dst;

	while (r->got < r->recv_max) {
		dst = lend_recv1(r->rx);
		if (dst) {
			munmap(dst, RACE_PAGES * PG);
			r->got++;
		} else if (errno != EAGAIN) {
			r->bad_errno = errno;
			break;
		} else if (__atomic_load_n(&r->lender_done,
					   __ATOMIC_ACQUIRE)) {
			break;
		} else {
			sched_yield();
		}
	}
	close(r->rx);		/* what is still queued is dropped */
	return NULL;
}

/*
 * With RLIMIT_MEMLOCK at 64 KiB: 0 when 16 pages can be lent and a 17th
 * cannot; else the step that went wrong.
 */
static int charge_probe(int ctx, char *src)
{
	struct rlimit rl = { 64 * 1024, 64 * 1024 }, old;
	int tx, rx, q, step = 0;

	if (getrlimit(RLIMIT_MEMLOCK, &old) || setrlimit(RLIMIT_MEMLOCK, &rl))
		return 1;
	q = lendq_new(ctx, KIPC_FD_CLOEXEC);
	if (q < 0 || kt_channel_create(ctx, KIPC_FD_CLOEXEC, 0, 0, -1, &tx,
				       &rx))
		return 2;
	if (lend_send1(tx, q, src, 16 * PG, 1) != 1)
		step = 3;		/* a charge left behind */
	else if (lend_send1(tx, q, src, PG, 2) != -1 || errno != ENOMEM)
		step = 4;		/* a charge given back twice */
	close(rx);
	close(tx);
	close(q);
	setrlimit(RLIMIT_MEMLOCK, &old);
	return step;
}

/* The rounds, as nobody: 0, or where they went wrong. */
static int lend_race_rounds(int ctx)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	char *src = map_pages(16, 'r');
	struct lend_race r;
	pthread_t lender, receiver;
	int i, step;

	if (!src)
		return 20;
	if (getuid() == 0 &&
	    (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)))
		return 21;
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return 22;
	step = charge_probe(ctx, src);
	if (step)
		return 30 + step;	/* wrong before any race */
	for (i = 0; i < RACE_ROUNDS; i++) {
		memset(&r, 0, sizeof(r));
		r.src = src;
		r.recv_max = i % 7;
		r.q = lendq_new(ctx, KIPC_FD_CLOEXEC);
		if (r.q < 0 || kt_channel_create(ctx, KIPC_FD_CLOEXEC, 4, 0, -1,
						 &r.tx, &r.rx))
			return 23;
		if (pthread_create(&lender, NULL, race_lender, &r))
			return 24;
		if (pthread_create(&receiver, NULL, race_receiver, &r))
			return 24;
		/* The queue closes early, late, or after the others. */
		if (i % 3 != 2) {
			usleep((i % 3) * 300 + (i % 5) * 50);
			close(r.q);
		}
		pthread_join(lender, NULL);
		pthread_join(receiver, NULL);
		if (i % 3 == 2)
			close(r.q);
		close(r.tx);
		if (r.bad_errno)
			return 100 + (r.bad_errno < 150 ? r.bad_errno : 0);
	}
	step = charge_probe(ctx, src);
	return step ? 40 + step : 0;
}

TEST_F(lend, charges_settle_when_threads_race)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(lend_race_rounds(self->ctx));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("step %d: 3x the probe before the rounds, 4x after (x3 a charge left, x4 returned twice), 1xx an errno",
		       WEXITSTATUS(status));
	EXPECT_NO_LEAK();
}

/* Every bad lent range and the errno its send gives. */
FIXTURE(lend_send_abi) {
	int ctx, q, tx, rx;
	char *mem;
};

FIXTURE_VARIANT(lend_send_abi) {
	long off;		/* addr: offset from a mapped 4-page area */
	uint64_t len;
	uint32_t nr;		/* nr_lends, 0: 1 */
	int bad_q;		/* 1: closed fd; 2: not a lend queue */
	uint64_t reserved;
	int unmapped;		/* range not mapped */
	int expect_errno;
};

FIXTURE_VARIANT_ADD(lend_send_abi, ok) { .len = PG };
FIXTURE_VARIANT_ADD(lend_send_abi, addr_unaligned) {
	.off = 8, .len = PG, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(lend_send_abi, len_zero) { .len = 0, .expect_errno = EINVAL };
FIXTURE_VARIANT_ADD(lend_send_abi, len_unaligned) {
	.len = PG + 1, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(lend_send_abi, len_wraps) {
	.len = -PG, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(lend_send_abi, too_many) {
	.len = PG, .nr = KIPC_MSG_LENDS_MAX + 1, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(lend_send_abi, reserved_set) {
	.len = PG, .reserved = 1, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(lend_send_abi, queue_fd_closed) {
	.len = PG, .bad_q = 1, .expect_errno = EBADF,
};
FIXTURE_VARIANT_ADD(lend_send_abi, queue_fd_not_a_queue) {
	.len = PG, .bad_q = 2, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(lend_send_abi, range_unmapped) {
	.len = PG, .unmapped = 1, .expect_errno = EFAULT,
};
FIXTURE_VARIANT_ADD(lend_send_abi, range_past_mapping) {
	.len = 5 * PG, .expect_errno = EFAULT,
};

FIXTURE_SETUP(lend_send_abi)
{
	kipc_test_open(self->ctx);
	self->q = lendq_new(self->ctx, 0);
	ASSERT_LE(0, self->q);
	ASSERT_EQ(0, kt_channel_create(self->ctx, KIPC_FD_CLOEXEC, 0, 0, -1,
				       &self->tx, &self->rx));
	self->mem = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	memset(self->mem, 1, 4 * PG);
	ASSERT_EQ(0, munmap(self->mem + 4 * PG, 4 * PG));
}

FIXTURE_TEARDOWN(lend_send_abi)
{
	close(self->tx);
	close(self->rx);
	close(self->q);
	close(self->ctx);
	munmap(self->mem, 4 * PG);
}

TEST_F(lend_send_abi, errno_table)
{
	struct kipc_lend_ref r[KIPC_MSG_LENDS_MAX + 1];
	uint32_t i, nr = variant->nr ?: 1;
	int q = self->q, ret;
	long pins0 = pins_held(), lck0 = vmlck_kb();

	for (i = 0; i < nr; i++) {
		r[i].addr = (uintptr_t)self->mem + variant->off +
			    (variant->unmapped ? 4 * PG : 0);
		r[i].len = variant->len;
		r[i].cookie = i;
		r[i].reserved = variant->reserved;
	}
	if (variant->bad_q == 1)
		q = 999;
	else if (variant->bad_q == 2)
		q = self->tx;
	ret = lend_send(self->tx, q, r, nr);
	if (!variant->expect_errno) {
		EXPECT_EQ(1, ret);
		return;
	}
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(variant->expect_errno, errno);
	/* A failed send pins nothing and charges nothing. */
	EXPECT_EQ(pins0, pins_held());
	EXPECT_EQ(lck0, vmlck_kb());
}

/* ABI table for KIPC_IOC_LENDQ_CREATE and KIPC_IOC_LEND_REAP. */
FIXTURE(lendq_abi) {
	int ctx, q;
	unsigned char buf[8192];
};

FIXTURE_VARIANT(lendq_abi) {
	int on_q;		/* issue on a lend queue, else on the context */
	unsigned long cmd;
	uint32_t size;
	size_t poke;		/* byte to set non-zero, 0: none */
	uint32_t flags;
	uint32_t nr_comps;
	int expect;		/* >= 0: return value; < 0: -errno */
};

#define LQ	sizeof(struct kipc_lendq_create)
#define LR	sizeof(struct kipc_lend_reap)

FIXTURE_VARIANT_ADD(lendq_abi, create_ok) {
	.cmd = KIPC_IOC_LENDQ_CREATE, .size = LQ, .expect = 1,
};
FIXTURE_VARIANT_ADD(lendq_abi, create_short) {
	.cmd = KIPC_IOC_LENDQ_CREATE, .size = KIPC_LENDQ_CREATE_SIZE_VER0 - 1,
	.expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(lendq_abi, create_long_zero_tail) {
	.cmd = KIPC_IOC_LENDQ_CREATE, .size = LQ + 8, .expect = 1,
};
FIXTURE_VARIANT_ADD(lendq_abi, create_long_nonzero_tail) {
	.cmd = KIPC_IOC_LENDQ_CREATE, .size = LQ + 8, .poke = LQ + 7,
	.expect = -E2BIG,
};
FIXTURE_VARIANT_ADD(lendq_abi, create_bad_flag) {
	.cmd = KIPC_IOC_LENDQ_CREATE, .size = LQ, .flags = 1 << 5,
	.expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(lendq_abi, create_reserved) {
	.cmd = KIPC_IOC_LENDQ_CREATE, .size = LQ,
	.poke = offsetof(struct kipc_lendq_create, reserved[1]),
	.expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(lendq_abi, create_on_queue) {
	.on_q = 1, .cmd = KIPC_IOC_LENDQ_CREATE, .size = LQ, .expect = -ENOTTY,
};
FIXTURE_VARIANT_ADD(lendq_abi, reap_empty) {
	.on_q = 1, .cmd = KIPC_IOC_LEND_REAP, .size = LR, .nr_comps = 1,
	.expect = 0,
};
FIXTURE_VARIANT_ADD(lendq_abi, reap_nonblock_empty) {
	.on_q = 1, .cmd = KIPC_IOC_LEND_REAP, .size = LR, .nr_comps = 1,
	.flags = KIPC_REAP_NONBLOCK, .expect = 0,
};
FIXTURE_VARIANT_ADD(lendq_abi, reap_short) {
	.on_q = 1, .cmd = KIPC_IOC_LEND_REAP,
	.size = KIPC_LEND_REAP_SIZE_VER0 - 1, .nr_comps = 1, .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(lendq_abi, reap_long_nonzero_tail) {
	.on_q = 1, .cmd = KIPC_IOC_LEND_REAP, .size = LR + 8, .poke = LR,
	.nr_comps = 1, .expect = -E2BIG,
};
FIXTURE_VARIANT_ADD(lendq_abi, reap_zero_room) {
	.on_q = 1, .cmd = KIPC_IOC_LEND_REAP, .size = LR, .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(lendq_abi, reap_room_above_max) {
	.on_q = 1, .cmd = KIPC_IOC_LEND_REAP, .size = LR, .nr_comps = 1025,
	.expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(lendq_abi, reap_bad_flag) {
	.on_q = 1, .cmd = KIPC_IOC_LEND_REAP, .size = LR, .nr_comps = 1,
	.flags = 2, .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(lendq_abi, reap_reserved) {
	.on_q = 1, .cmd = KIPC_IOC_LEND_REAP, .size = LR, .nr_comps = 1,
	.poke = offsetof(struct kipc_lend_reap, reserved[0]), .expect = -EINVAL,
};
FIXTURE_VARIANT_ADD(lendq_abi, reap_on_context) {
	.cmd = KIPC_IOC_LEND_REAP, .size = LR, .nr_comps = 1, .expect = -ENOTTY,
};

FIXTURE_SETUP(lendq_abi)
{
	kipc_test_open(self->ctx);
	self->q = lendq_new(self->ctx, 0);
	ASSERT_LE(0, self->q);
}

FIXTURE_TEARDOWN(lendq_abi)
{
	close(self->q);
	close(self->ctx);
}

TEST_F(lendq_abi, errno_table)
{
	struct kipc_lend_completion c[4];
	int fd = variant->on_q ? self->q : self->ctx;
	int ret;

	memset(self->buf, 0, sizeof(self->buf));
	if (variant->cmd == KIPC_IOC_LEND_REAP) {
		struct kipc_lend_reap *lr = (void *)self->buf;

		lr->flags = variant->flags;
		lr->comps = (uintptr_t)c;
		lr->nr_comps = variant->nr_comps;
	} else {
		struct kipc_lendq_create *lc = (void *)self->buf;

		lc->flags = variant->flags;
	}
	memcpy(self->buf, &variant->size, sizeof(variant->size));
	if (variant->poke)
		self->buf[variant->poke] = 0x5a;
	ret = ioctl(fd, variant->cmd, self->buf);
	if (variant->expect > 0) {
		ASSERT_LE(0, ret) TH_LOG("errno %d", errno);
		close(ret);
	} else if (variant->expect == 0) {
		EXPECT_EQ(0, ret) TH_LOG("errno %d", errno);
	} else {
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(-variant->expect, errno);
	}
}

KIPC_TEST_MAIN
