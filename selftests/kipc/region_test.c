// SPDX-License-Identifier: GPL-2.0
/* Regions: create, mmap, sharing, the buffer pool, info, attach, fdinfo, futex. */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NR_BUFS	8

/* Creation: sizes and buffer sizes, in pages (0 means a bad size). */
FIXTURE(create) {
	int ctx;
};

FIXTURE_VARIANT(create) {
	uint64_t bytes;		/* in pages, unless raw */
	uint64_t buf_size;	/* in pages, unless raw */
	int raw;		/* bytes and buf_size are in bytes */
	int expect_errno;
	uint32_t expect_bufs;
};

FIXTURE_VARIANT_ADD(create, one_page_no_pool) {
	.bytes = 1, .buf_size = 0, .expect_bufs = 0,
};
FIXTURE_VARIANT_ADD(create, pool_of_pages) {
	.bytes = 16, .buf_size = 1, .expect_bufs = 16,
};
FIXTURE_VARIANT_ADD(create, pool_of_four_pages) {
	.bytes = 16, .buf_size = 4, .expect_bufs = 4,
};
FIXTURE_VARIANT_ADD(create, one_buffer) {
	.bytes = 8, .buf_size = 8, .expect_bufs = 1,
};
FIXTURE_VARIANT_ADD(create, sixteen_mib) {
	.bytes = 4096, .buf_size = 256, .expect_bufs = 16,
};
FIXTURE_VARIANT_ADD(create, zero_bytes) {
	.bytes = 0, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(create, bytes_not_page_multiple) {
	.raw = 1, .bytes = 4096 + 1, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(create, bytes_half_page) {
	.raw = 1, .bytes = 2048, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(create, buf_size_not_page_multiple) {
	.raw = 1, .bytes = 8 * 4096, .buf_size = 100, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(create, buf_size_not_dividing) {
	.bytes = 16, .buf_size = 3, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(create, buf_size_beyond_bytes) {
	.bytes = 2, .buf_size = 4, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(create, beyond_max_region_bytes) {
	.raw = 1, .bytes = 1ULL << 42, .expect_errno = EFBIG,
};

FIXTURE_SETUP(create)
{
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_REGION);
}

FIXTURE_TEARDOWN(create)
{
	close(self->ctx);
}

TEST_F(create, sizes)
{
	uint64_t unit = variant->raw ? 1 : kt_page();
	struct kipc_region_create rc;
	struct kipc_region_info ri;
	int fd;

	fd = kt_region_create(self->ctx, variant->bytes * unit,
			      variant->buf_size * unit, 0, &rc);
	if (variant->expect_errno) {
		EXPECT_EQ(-variant->expect_errno, fd);
		if (fd >= 0)
			close(fd);
		return;
	}
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	EXPECT_EQ(variant->expect_bufs, rc.nr_bufs);
	EXPECT_NE(0, rc.id);
	ASSERT_EQ(0, kt_region_info(fd, &ri));
	EXPECT_EQ(variant->bytes * unit, ri.bytes);
	EXPECT_EQ(variant->buf_size * unit, ri.buf_size);
	EXPECT_EQ(rc.id, ri.id);
	EXPECT_EQ(variant->expect_bufs, ri.nr_bufs);
	EXPECT_EQ(variant->expect_bufs, ri.nr_free);
	EXPECT_EQ(0, ri.nr_owned);
	EXPECT_EQ(0, ri.nr_in_flight);
	close(fd);
}

/* Most tests: one region of NR_BUFS one-page buffers, mapped. */
FIXTURE(region) {
	int ctx;
	int fd;			/* the creating handle */
	long page;
	size_t bytes;
	uint64_t id;
	pid_t child;
};

FIXTURE_SETUP(region)
{
	struct kipc_region_create rc;

	self->fd = -1;
	self->child = 0;
	self->page = kt_page();
	self->bytes = NR_BUFS * self->page;
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_REGION);
	self->fd = kt_region_create(self->ctx, self->bytes, self->page, 0, &rc);
	ASSERT_LE(0, self->fd) TH_LOG("create: %s", strerror(-self->fd));
	self->id = rc.id;
}

FIXTURE_TEARDOWN(region)
{
	kt_reap(self->child);
	if (self->fd >= 0)
		close(self->fd);
	close(self->ctx);
}

TEST_F(region, fd_flags)
{
	int fd;

	EXPECT_EQ(0, fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, fcntl(self->fd, F_GETFL) & O_NONBLOCK);
	fd = kt_region_create(self->ctx, self->page, 0,
			      KIPC_FD_CLOEXEC | KIPC_FD_NONBLOCK, NULL);
	ASSERT_LE(0, fd);
	EXPECT_NE(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_NE(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
}

TEST_F(region, mmap_shared_bounds_and_no_exec)
{
	void *p;

	p = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	memset(p, 0x11, self->bytes);
	EXPECT_EQ(0, munmap(p, self->bytes));

	/* A window inside the region. */
	p = mmap(NULL, 2 * self->page, PROT_READ, MAP_SHARED, self->fd,
		 3 * self->page);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap window: %s", strerror(errno));
	EXPECT_EQ(0x11, ((unsigned char *)p)[0]);
	EXPECT_EQ(0, munmap(p, 2 * self->page));

	/* Never executable: not at mmap(), not by mprotect() later. */
	p = mmap(NULL, self->page, PROT_READ | PROT_EXEC, MAP_SHARED,
		 self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);
	if (p != MAP_FAILED)
		munmap(p, self->page);
	p = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, self->page, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, munmap(p, self->page));

	/* MAP_PRIVATE is refused. */
	p = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, self->bytes);

	/* Longer than the region. */
	p = mmap(NULL, self->bytes + self->page, PROT_READ, MAP_SHARED,
		 self->fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, self->bytes + self->page);

	/* Offset + length beyond the end. */
	p = mmap(NULL, 2 * self->page, PROT_READ, MAP_SHARED, self->fd,
		 self->bytes - self->page);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, 2 * self->page);

	/* Offset at the end. */
	p = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->fd,
		 self->bytes);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, self->page);
}

/*
 * A process whose personality has READ_IMPLIES_EXEC (setarch -X, old
 * 32-bit binaries) asks every PROT_READ with PROT_EXEC: it maps a region
 * all the same, never executable. The child maps, checks /proc/self/maps,
 * then calls a `ret` written into the mapping: it must die of SIGSEGV.
 */
TEST_F(region, read_implies_exec_maps_without_exec)
{
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		char line[256], want[32];
		void (*fn)(void);
		int found = 0;
		FILE *maps;
		void *p;

		if (personality(READ_IMPLIES_EXEC) < 0)
			_exit(10);
		p = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
		if (p == MAP_FAILED)
			_exit(errno == EPERM ? 11 : 12);
		snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
		maps = fopen("/proc/self/maps", "re");
		while (maps && fgets(line, sizeof(line), maps))
			if (!strncmp(line, want, strlen(want)))
				found = !strncmp(line + strcspn(line, " ") + 1,
						 "rw-s", 4) ? 1 : 2;
		if (found != 1)
			_exit(13 + found);
		if (!mprotect(p, self->page, PROT_READ | PROT_EXEC) ||
		    errno != EACCES)
			_exit(16);
		*(unsigned char *)p = 0xc3;	/* ret */
		fn = (void (*)(void))p;
		fn();
		_exit(20);
	}
	EXPECT_EQ(128 + SIGSEGV, kt_wait(self->child, 10000))
		TH_LOG("10: personality; 11: EPERM; 12: mmap; 13: not in maps; 15: executable; 16: mprotect to exec not EACCES; 20: it ran");
	self->child = 0;
}

TEST_F(region, write_one_mapping_read_another_handle)
{
	unsigned char *a, *b;
	size_t i;
	int fd2;

	fd2 = kt_region_attach(self->fd, 0);
	ASSERT_LE(0, fd2) TH_LOG("attach: %s", strerror(-fd2));
	a = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	b = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, b);
	ASSERT_NE(a, b);

	for (i = 0; i < self->bytes; i++)
		a[i] = (unsigned char)(i * 7 + 3);
	for (i = 0; i < self->bytes; i++)
		if (b[i] != (unsigned char)(i * 7 + 3))
			break;
	EXPECT_EQ(self->bytes, i);

	/* And from another process, through its own handle and mapping. */
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int h = kt_region_attach(fd2, 0);
		unsigned char *c;

		if (h < 0)
			_exit(10);
		c = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
			 h, 0);
		if (c == MAP_FAILED)
			_exit(11);
		if (c[self->page + 5] != (unsigned char)((self->page + 5) * 7 + 3))
			_exit(12);
		memset(c, 0xa5, self->page);
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
	EXPECT_EQ(0xa5, a[0]);
	EXPECT_EQ(0xa5, b[self->page - 1]);
	EXPECT_EQ((unsigned char)(self->page * 7 + 3), b[self->page]);
	munmap(a, self->bytes);
	munmap(b, self->bytes);
	close(fd2);
}

TEST_F(region, alloc_until_empty)
{
	__u64 off[NR_BUFS], extra;
	struct kipc_region_info ri;
	int i, j, fd;

	fd = kt_region_attach(self->fd, KIPC_FD_NONBLOCK);
	ASSERT_LE(0, fd);
	for (i = 0; i < NR_BUFS; i++) {
		ASSERT_EQ(0, kt_buf_alloc(fd, &off[i]));
		EXPECT_EQ(0, off[i] % self->page);
		EXPECT_LT(off[i], self->bytes);
		for (j = 0; j < i; j++)
			EXPECT_NE(off[j], off[i]);
	}
	EXPECT_EQ(-EAGAIN, kt_buf_alloc(fd, &extra));
	ASSERT_EQ(0, kt_region_info(fd, &ri));
	EXPECT_EQ(0, ri.nr_free);
	EXPECT_EQ(NR_BUFS, ri.nr_owned);

	/* A blocking handle made non-blocking with fcntl says EAGAIN too. */
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kt_buf_alloc(self->fd, &extra));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, 0));

	/* One back, one out again: the same buffer. */
	ASSERT_EQ(0, kt_buf_release(fd, off[3]));
	ASSERT_EQ(0, kt_buf_alloc(fd, &extra));
	EXPECT_EQ(off[3], extra);
	EXPECT_EQ(-EAGAIN, kt_buf_alloc(fd, &extra));
	for (i = 0; i < NR_BUFS; i++)
		EXPECT_EQ(0, kt_buf_release(fd, off[i]));
	EXPECT_EQ(NR_BUFS, kt_region_free(self->fd));
	close(fd);
}

TEST_F(region, alloc_blocks_until_release)
{
	int ready[2], go[2], i;
	__u64 off, released;
	char c;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int h = kt_region_attach(self->fd, 0);
		__u64 o[NR_BUFS];

		if (h < 0)
			_exit(10);
		for (i = 0; i < NR_BUFS; i++)
			if (kt_buf_alloc(h, &o[i]))
				_exit(11);
		if (write(ready[1], &o[5], sizeof(o[5])) != sizeof(o[5]) ||
		    read(go[0], &c, 1) != 1)
			_exit(12);
		if (kt_buf_release(h, o[5]))
			_exit(13);
		pause();
		_exit(0);
	}
	ASSERT_EQ(sizeof(released), read(ready[0], &released, sizeof(released)));
	EXPECT_EQ(0, kt_region_free(self->fd));
	ASSERT_EQ(1, write(go[1], "g", 1));
	/* Blocks until the child's release. */
	ASSERT_EQ(0, kt_buf_alloc(self->fd, &off));
	EXPECT_EQ(released, off);
	kt_reap(self->child);
	self->child = 0;
	/* The child's handle died with it: its 7 buffers are back. */
	EXPECT_EQ(NR_BUFS - 1, kt_region_free(self->fd));
	EXPECT_EQ(0, kt_buf_release(self->fd, off));
	for (i = 0; i < 2; i++) {
		close(ready[i]);
		close(go[i]);
	}
}

struct blocked_alloc {
	int fd;
	struct kipc_buf_alloc *ba;
	int ret;
	volatile pid_t tid;
};

static void *alloc_into(void *arg)
{
	struct blocked_alloc *b = arg;

	b->tid = syscall(SYS_gettid);
	b->ret = ioctl(b->fd, KIPC_IOC_BUF_ALLOC, b->ba) ? -errno : 0;
	return NULL;
}

/*
 * A BUF_ALLOC whose result cannot be written back (another thread made
 * its argument read-only while it waited for a buffer) fails with
 * EFAULT, and the buffer it took goes back to the pool: it stayed with
 * the handle, which never learned its offset.
 */
TEST_F(region, alloc_lost_in_copy_out_goes_back)
{
	struct blocked_alloc b = { .fd = self->fd };
	struct kipc_region_info ri;
	__u64 off[NR_BUFS];
	pthread_t t;
	int h, i;

	h = kt_region_attach(self->fd, 0);
	ASSERT_LE(0, h);
	for (i = 0; i < NR_BUFS; i++)
		ASSERT_EQ(0, kt_buf_alloc(h, &off[i]));
	b.ba = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b.ba);
	*b.ba = (struct kipc_buf_alloc){ .size = sizeof(*b.ba) };
	ASSERT_EQ(0, pthread_create(&t, NULL, alloc_into, &b));
	while (!b.tid)
		kt_sleep_ms(1);
	ASSERT_EQ(1, kt_wait_sleeping(b.tid, 5000));	/* the pool is empty */
	ASSERT_EQ(0, mprotect(b.ba, self->page, PROT_READ));
	ASSERT_EQ(0, kt_buf_release(h, off[0]));
	pthread_join(t, NULL);
	EXPECT_EQ(-EFAULT, b.ret);
	ASSERT_EQ(0, kt_region_info(self->fd, &ri));
	EXPECT_EQ(1, ri.nr_free)
		TH_LOG("the buffer stayed with a handle that never learned its offset");
	EXPECT_EQ(0, ri.nr_owned);
	for (i = 1; i < NR_BUFS; i++)
		EXPECT_EQ(0, kt_buf_release(h, off[i]));
	close(h);
	munmap(b.ba, self->page);
}

/*
 * The same failed copy-out, but the handle gains the buffer again while
 * the copy is held (userfaultfd): the allocating thread took the one
 * free buffer, and before its copy-out failed another thread of the
 * same handle released that buffer and allocated it again, and uses it.
 * The failed call must not put it back in the pool: a third allocation
 * would hand out the buffer the second thread holds. Up to this fix the
 * undo released by offset, whoever owned the buffer by then.
 */
TEST_F(region, alloc_lost_in_copy_out_keeps_a_buffer_gained_since)
{
	struct blocked_alloc b = { .fd = self->fd };
	struct kipc_region_info ri;
	__u64 off[NR_BUFS], again, fault;
	pthread_t t;
	int i, uffd;

	uffd = kt_uffd_open(0);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(-uffd));
	for (i = 0; i < NR_BUFS; i++)
		ASSERT_EQ(0, kt_buf_alloc(self->fd, &off[i]));
	b.ba = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b.ba);
	*b.ba = (struct kipc_buf_alloc){ .size = sizeof(*b.ba) };
	ASSERT_EQ(0, kt_uffd_register(uffd, b.ba, self->page,
				      UFFDIO_REGISTER_MODE_MISSING));
	ASSERT_EQ(0, pthread_create(&t, NULL, alloc_into, &b));
	while (!b.tid)
		kt_sleep_ms(1);
	ASSERT_EQ(1, kt_wait_sleeping(b.tid, 5000));	/* the pool is empty */
	/* Its argument was written back already; the result's copy faults. */
	ASSERT_EQ(0, madvise(b.ba, self->page, MADV_DONTNEED));
	ASSERT_EQ(0, kt_buf_release(self->fd, off[0]));
	ASSERT_EQ(0, kt_uffd_wait_fault(uffd, 10000, &fault));
	/* The thread holds off[0] and waits in its copy-out: take it back. */
	ASSERT_EQ(0, kt_buf_release(self->fd, off[0]));
	ASSERT_EQ(0, kt_buf_alloc(self->fd, &again));
	ASSERT_EQ(off[0], again);
	ASSERT_EQ(0, kt_uffd_fail(uffd, b.ba, self->page));
	pthread_join(t, NULL);
	EXPECT_EQ(-EFAULT, b.ret);
	ASSERT_EQ(0, kt_region_info(self->fd, &ri));
	EXPECT_EQ(0, ri.nr_free)
		TH_LOG("the failed call freed the buffer allocated again");
	EXPECT_EQ(0, kt_buf_release(self->fd, again))
		TH_LOG("the buffer allocated again was not ours any more");
	for (i = 1; i < NR_BUFS; i++)
		EXPECT_EQ(0, kt_buf_release(self->fd, off[i]));
	close(uffd);
}

TEST_F(region, release_and_double_release)
{
	struct kipc_region_info ri;
	__u64 off;

	ASSERT_EQ(0, kt_buf_alloc(self->fd, &off));
	ASSERT_EQ(0, kt_region_info(self->fd, &ri));
	EXPECT_EQ(NR_BUFS - 1, ri.nr_free);
	EXPECT_EQ(1, ri.nr_owned);
	EXPECT_EQ(0, kt_buf_release(self->fd, off));
	ASSERT_EQ(0, kt_region_info(self->fd, &ri));
	EXPECT_EQ(NR_BUFS, ri.nr_free);
	EXPECT_EQ(0, ri.nr_owned);
	EXPECT_EQ(-EALREADY, kt_buf_release(self->fd, off));
	/* A buffer never allocated is free too. */
	EXPECT_EQ(-EALREADY, kt_buf_release(self->fd, (off + self->page) %
					    self->bytes));
}

TEST_F(region, foreign_handle_cannot_release)
{
	__u64 off;
	int fd2, other;

	fd2 = kt_region_attach(self->fd, 0);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, kt_buf_alloc(self->fd, &off));
	EXPECT_EQ(-EPERM, kt_buf_release(fd2, off));
	EXPECT_EQ(NR_BUFS - 1, kt_region_free(self->fd));
	EXPECT_EQ(0, kt_buf_release(self->fd, off));

	close(fd2);

	/* A handle of another region releases its own (free) buffer. */
	other = kt_region_create(self->ctx, self->bytes, self->page, 0, NULL);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, kt_buf_alloc(self->fd, &off));
	EXPECT_EQ(-EALREADY, kt_buf_release(other, off));
	EXPECT_EQ(NR_BUFS - 1, kt_region_free(self->fd));
	EXPECT_EQ(0, kt_buf_release(self->fd, off));
	close(other);
}

TEST_F(region, bad_offsets)
{
	int fd;

	EXPECT_EQ(-EINVAL, kt_buf_release(self->fd, self->bytes));
	EXPECT_EQ(-EINVAL, kt_buf_release(self->fd, self->bytes + self->page));
	EXPECT_EQ(-EINVAL, kt_buf_release(self->fd, 1));
	EXPECT_EQ(-EINVAL, kt_buf_release(self->fd, self->page + 8));
	EXPECT_EQ(-EINVAL, kt_buf_release(self->fd, ~0ULL));
	EXPECT_EQ(-EINVAL, kt_buf_release(self->fd, ~0ULL - self->page + 1));

	/* Buffers of two pages: an odd page is inside a buffer. */
	fd = kt_region_create(self->ctx, 4 * self->page, 2 * self->page, 0,
			      NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, kt_buf_release(fd, self->page));
	EXPECT_EQ(-EALREADY, kt_buf_release(fd, 2 * self->page));
	close(fd);
}

TEST_F(region, no_pool_no_alloc)
{
	__u64 off;
	int fd;

	fd = kt_region_create(self->ctx, 4 * self->page, 0, 0, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, kt_buf_alloc(fd, &off));
	EXPECT_EQ(-EINVAL, kt_buf_release(fd, 0));
	close(fd);
}

TEST_F(region, info_counters_per_handle)
{
	struct kipc_region_info a, b;
	__u64 o[3];
	int fd2, i;

	fd2 = kt_region_attach(self->fd, 0);
	ASSERT_LE(0, fd2);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, kt_buf_alloc(self->fd, &o[i]));
	ASSERT_EQ(0, kt_buf_alloc(fd2, &o[2]));

	ASSERT_EQ(0, kt_region_info(self->fd, &a));
	ASSERT_EQ(0, kt_region_info(fd2, &b));
	EXPECT_EQ(self->bytes, a.bytes);
	EXPECT_EQ(self->page, a.buf_size);
	EXPECT_EQ(self->id, a.id);
	EXPECT_EQ(self->id, b.id);
	EXPECT_EQ(NR_BUFS, a.nr_bufs);
	EXPECT_EQ(NR_BUFS - 3, a.nr_free);
	EXPECT_EQ(NR_BUFS - 3, b.nr_free);
	EXPECT_EQ(2, a.nr_owned);
	EXPECT_EQ(1, b.nr_owned);
	EXPECT_EQ(0, a.nr_in_flight);
	EXPECT_EQ(0, a.reserved[0]);
	EXPECT_EQ(0, a.reserved[1]);

	/* Closing a handle gives its buffers back, not the others'. */
	close(fd2);
	ASSERT_EQ(0, kt_region_info(self->fd, &a));
	EXPECT_EQ(NR_BUFS - 2, a.nr_free);
	EXPECT_EQ(2, a.nr_owned);
}

TEST_F(region, attach)
{
	struct kipc_region_info ri;
	__u64 off;
	int fd2, fd3;

	fd2 = kt_region_attach(self->fd, KIPC_FD_CLOEXEC);
	ASSERT_LE(0, fd2);
	EXPECT_NE(self->fd, fd2);
	EXPECT_NE(0, fcntl(fd2, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, fcntl(fd2, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(0, kt_region_info(fd2, &ri));
	EXPECT_EQ(self->id, ri.id);
	EXPECT_EQ(self->bytes, ri.bytes);

	/* Attach of an attached handle, then the creator goes away. */
	fd3 = kt_region_attach(fd2, KIPC_FD_NONBLOCK);
	ASSERT_LE(0, fd3);
	EXPECT_NE(0, fcntl(fd3, F_GETFL) & O_NONBLOCK);
	close(self->fd);
	self->fd = -1;
	close(fd2);
	ASSERT_EQ(0, kt_buf_alloc(fd3, &off));
	ASSERT_EQ(0, kt_region_info(fd3, &ri));
	EXPECT_EQ(self->id, ri.id);
	EXPECT_EQ(NR_BUFS - 1, ri.nr_free);
	EXPECT_EQ(0, kt_buf_release(fd3, off));
	close(fd3);
}

TEST_F(region, child_exit_returns_buffers)
{
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int h = kt_region_attach(self->fd, 0);
		__u64 o;
		int i;

		if (h < 0)
			_exit(10);
		for (i = 0; i < 5; i++)
			if (kt_buf_alloc(h, &o))
				_exit(11);
		_exit(kt_region_free(self->fd) == NR_BUFS - 5 ? 0 : 12);
	}
	ASSERT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
	EXPECT_EQ(NR_BUFS, kt_region_free(self->fd));
}

/*
 * A closing handle gives its buffers back in batches, letting others at
 * the pool in between (a pool has up to 262144 buffers). Here the handle
 * owns every buffer of a pool of several batches, the last one included,
 * while a child blocks in BUF_ALLOC on a handle of its own: the child gets
 * a buffer, and every other one is back, none twice.
 */
TEST(closing_a_big_owner_wakes_an_allocator_and_frees_all)
{
	const uint32_t nr = 3 * 4096 + 5;
	struct kipc_region_create rc;
	char why[160];
	int ctx, fd, h, ready[2];
	uint32_t i;
	pid_t child;
	__u64 off;
	char c;

	kipc_test_open(ctx);
	kipc_test_require(ctx, KIPC_FEATURE_REGION);
	fd = kt_region_create(ctx, (uint64_t)nr * kt_page(), kt_page(), 0, &rc);
	ASSERT_LE(0, fd) TH_LOG("create: %s", strerror(-fd));
	ASSERT_EQ(nr, rc.nr_bufs);
	h = kt_region_attach(fd, 0);
	ASSERT_LE(0, h);
	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, kt_buf_alloc(h, &off));
	ASSERT_EQ(0, pipe(ready));
	child = kt_fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int mine = kt_region_attach(fd, 0);

		close(h);
		if (mine < 0 || write(ready[1], "r", 1) != 1)
			_exit(10);
		/* Blocks until the parent closes its owning handle. */
		_exit(kt_buf_alloc(mine, &off) ? 11 : 0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(1, kt_wait_sleeping(child, 10000));
	close(h);
	EXPECT_EQ(0, kt_wait(child, 10000));
	/* The child's handle died with it: every buffer is free again. */
	EXPECT_EQ(nr, kt_pool_alloc_all(fd, why, sizeof(why))) TH_LOG("%s", why);
	close(ready[0]);
	close(ready[1]);
	close(fd);
	close(ctx);
}

TEST_F(region, fdinfo_keys)
{
	char val[64];
	__u64 off;

	ASSERT_EQ(0, kt_buf_alloc(self->fd, &off));
	ASSERT_EQ(0, kt_fdinfo(self->fd, "kipc-object", val, sizeof(val)));
	EXPECT_STREQ("region", val);
	EXPECT_EQ((long long)self->id, kt_fdinfo_num(self->fd, "kipc-id"));
	EXPECT_EQ((long long)self->bytes, kt_fdinfo_num(self->fd, "kipc-bytes"));
	EXPECT_EQ(self->page, kt_fdinfo_num(self->fd, "kipc-buf-size"));
	EXPECT_EQ(NR_BUFS, kt_fdinfo_num(self->fd, "kipc-bufs"));
	EXPECT_EQ(NR_BUFS - 1, kt_fdinfo_num(self->fd, "kipc-bufs-free"));
	EXPECT_EQ(1, kt_fdinfo_num(self->fd, "kipc-bufs-owned"));
	EXPECT_EQ(0, kt_fdinfo_num(self->fd, "kipc-bufs-in-flight"));
	EXPECT_EQ(0, kt_buf_release(self->fd, off));
	EXPECT_EQ(NR_BUFS, kt_fdinfo_num(self->fd, "kipc-bufs-free"));
	EXPECT_EQ(0, kt_fdinfo_num(self->fd, "kipc-bufs-owned"));
}

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

TEST_F(region, futex_wait_wake)
{
	struct timespec short_ts = { 0, 1000000 };
	_Atomic uint32_t *word;
	int woken = 0, tries;
	void *p;

	p = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	word = (_Atomic uint32_t *)((char *)p + self->page + 64);
	atomic_store(word, 1);

	/* The value differs: EAGAIN at once. */
	EXPECT_EQ(-1, futex(word, FUTEX_WAIT, 0, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* The value matches: waits, here until a short timeout. */
	EXPECT_EQ(-1, futex(word, FUTEX_WAIT, 1, &short_ts));
	EXPECT_EQ(ETIMEDOUT, errno);

	/* A waiter in another process, on its own handle and mapping. */
	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		int h = kt_region_attach(self->fd, 0);
		_Atomic uint32_t *w;
		char *q;

		if (h < 0)
			_exit(10);
		q = mmap(NULL, self->bytes, PROT_READ | PROT_WRITE,
			 MAP_SHARED, h, 0);
		if (q == MAP_FAILED)
			_exit(11);
		w = (_Atomic uint32_t *)(q + self->page + 64);
		while (atomic_load(w) == 1)
			if (futex(w, FUTEX_WAIT, 1, NULL) && errno != EAGAIN &&
			    errno != EINTR)
				_exit(12);
		_exit(atomic_load(w) == 2 ? 0 : 13);
	}
	/* Wake (without changing the value) until the waiter is reached. */
	for (tries = 0; tries < 2000 && !woken; tries++) {
		woken = futex(word, FUTEX_WAKE, 1, NULL);
		if (!woken)
			kt_sleep_ms(5);
	}
	EXPECT_EQ(1, woken);
	atomic_store(word, 2);
	futex(word, FUTEX_WAKE, 1, NULL);
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
	munmap(p, self->bytes);
}

KIPC_TEST_MAIN
