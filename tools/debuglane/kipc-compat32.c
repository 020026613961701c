// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-compat32: a 32-bit (i386) caller of every kipc ioctl, built static
 * (gcc -m32 -static) so that it runs in the guest without 32-bit
 * libraries. Its ioctls reach the module through compat_ioctl
 * (compat_ptr_ioctl): the argument pointer is a 32-bit one, every pointer
 * inside a struct is a __u64 holding a 32-bit address, and the structs must
 * have the 64-bit layout (no 4-byte alignment of __u64 on i386 may move a
 * field: asserted below at compile time). Checks results, not only
 * return codes: buffer contents through the mapping, lent pages, pids.
 *
 * Prints one line per check ("ok"/"FAIL") and exits 1 on any failure.
 * usage: kipc-compat32 [--probe]   (--probe: exit 0 at once; a kernel
 *                                   without IA32 emulation cannot exec it)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kipc.h>

#define PG 4096

/* The layout of every struct is the x86_64 one. */
_Static_assert(sizeof(void *) == 4, "build with -m32");
_Static_assert(sizeof(struct kipc_version) == KIPC_VERSION_SIZE_VER0, "version");
_Static_assert(sizeof(struct kipc_region_create) == KIPC_REGION_CREATE_SIZE_VER0, "");
_Static_assert(sizeof(struct kipc_region_attach) == KIPC_REGION_ATTACH_SIZE_VER0, "");
_Static_assert(sizeof(struct kipc_region_info) == KIPC_REGION_INFO_SIZE_VER0, "");
_Static_assert(sizeof(struct kipc_buf_alloc) == KIPC_BUF_ALLOC_SIZE_VER0, "");
_Static_assert(sizeof(struct kipc_buf_release) == KIPC_BUF_RELEASE_SIZE_VER0, "");
_Static_assert(sizeof(struct kipc_channel_create) == KIPC_CHANNEL_CREATE_SIZE_VER0, "");
_Static_assert(sizeof(struct kipc_buf_ref) == 16, "kipc_buf_ref");
_Static_assert(sizeof(struct kipc_lend_ref) == 32, "kipc_lend_ref");
_Static_assert(sizeof(struct kipc_msg) == KIPC_MSG_SIZE_VER1, "kipc_msg");
_Static_assert(sizeof(struct kipc_io) == KIPC_IO_SIZE_VER0, "kipc_io");
_Static_assert(sizeof(struct kipc_lendq_create) == KIPC_LENDQ_CREATE_SIZE_VER0, "");
_Static_assert(sizeof(struct kipc_lend_completion) == 32, "kipc_lend_completion");
_Static_assert(sizeof(struct kipc_lend_reap) == KIPC_LEND_REAP_SIZE_VER0, "");
_Static_assert(sizeof(struct kipc_name_open) == KIPC_NAME_OPEN_SIZE_VER0, "");
_Static_assert(sizeof(struct kipc_name_unlink) == KIPC_NAME_UNLINK_SIZE_VER0, "");
_Static_assert(sizeof(struct kipc_wait) == KIPC_WAIT_SIZE_VER0, "kipc_wait");
_Static_assert(sizeof(struct kipc_wake) == KIPC_WAKE_SIZE_VER0, "kipc_wake");
_Static_assert(sizeof(struct kipc_waitv_entry) == 24, "kipc_waitv_entry");
_Static_assert(sizeof(struct kipc_waitv) == KIPC_WAITV_SIZE_VER0, "kipc_waitv");
_Static_assert(sizeof(struct kipc_requeue) == KIPC_REQUEUE_SIZE_VER0, "kipc_requeue");
_Static_assert(__builtin_offsetof(struct kipc_msg, lends) == 48, "msg.lends");
_Static_assert(__builtin_offsetof(struct kipc_io, timeout_ns) == 32, "io.timeout");
_Static_assert(__builtin_offsetof(struct kipc_wait, timeout_ns) == 32, "wait.timeout");
_Static_assert(__builtin_offsetof(struct kipc_waitv, timeout_ns) == 24, "waitv.timeout");

static int failures, checks;

#define CHECK(cond, ...) check(!!(cond), #cond, __LINE__, __VA_ARGS__)
static void check(int ok, const char *what, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void check(int ok, const char *what, int line, const char *fmt, ...)
{
	va_list ap;

	checks++;
	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		printf("  (line %d: %s; errno %s)", line, what, strerror(errno));
		failures++;
	}
	printf("\n");
	fflush(stdout);
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

static uint64_t ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int region_info(int fd, struct kipc_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->size = sizeof(*ri);
	return xioctl(fd, KIPC_IOC_REGION_INFO, ri);
}

int main(int argc, char **argv)
{
	struct kipc_version v = { .size = sizeof(v) };
	struct kipc_region_create rc = {
		.size = sizeof(rc), .flags = KIPC_FD_CLOEXEC,
		.bytes = 8 * PG, .buf_size = PG,
	};
	struct kipc_region_attach ra = { .size = sizeof(ra), .flags = KIPC_FD_CLOEXEC };
	struct kipc_region_info ri;
	struct kipc_buf_alloc ba = { .size = sizeof(ba) };
	struct kipc_buf_release br = { .size = sizeof(br) };
	struct kipc_channel_create cc = { .size = sizeof(cc), .flags = KIPC_FD_CLOEXEC };
	struct kipc_msg m, rm;
	struct kipc_buf_ref refs[2], rrefs[KIPC_MSG_BUFS_MAX];
	struct kipc_lend_ref lref, rlref[KIPC_MSG_LENDS_MAX];
	struct kipc_io io;
	char data[64], rdata[256];
	uint64_t off[2];
	int ctx, reg, h2, sfd, rfd, r, i;
	char *base;

	if (argc > 1 && !strcmp(argv[1], "--probe"))
		return 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("kipc-compat32: a 32-bit process (pointer size %u), pid %d\n",
	       (unsigned int)sizeof(void *), (int)getpid());

	ctx = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	CHECK(ctx >= 0, "open %s", KIPC_DEVICE_PATH);
	if (ctx < 0)
		return 1;

	/* VERSION */
	r = xioctl(ctx, KIPC_IOC_VERSION, &v);
	CHECK(r == 0 && v.abi_version == KIPC_ABI_VERSION,
	      "VERSION: abi %u, features %#llx", v.abi_version,
	      (unsigned long long)v.features);
	CHECK((v.features & (KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL |
			     KIPC_FEATURE_WAIT | KIPC_FEATURE_LEND |
			     KIPC_FEATURE_NAMES)) ==
	      (KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL | KIPC_FEATURE_WAIT |
	       KIPC_FEATURE_LEND | KIPC_FEATURE_NAMES),
	      "VERSION: regions, channels, waits, lending and names");
	/* An unknown size tail must still be refused through compat. */
	{
		char big[64] = { 0 };

		((struct kipc_version *)big)->size = sizeof(big);
		big[40] = 1;
		r = xioctl(ctx, KIPC_IOC_VERSION, big);
		CHECK(r == -E2BIG, "VERSION with a non-zero tail: E2BIG (%d)", r);
	}

	/* REGION_CREATE, INFO, ATTACH, mmap */
	reg = xioctl(ctx, KIPC_IOC_REGION_CREATE, &rc);
	CHECK(reg >= 0 && rc.nr_bufs == 8 && rc.id,
	      "REGION_CREATE: fd %d, id %llu, %u buffers", reg,
	      (unsigned long long)rc.id, rc.nr_bufs);
	if (reg < 0)
		return 1;
	r = region_info(reg, &ri);
	CHECK(r == 0 && ri.bytes == 8 * PG && ri.buf_size == PG &&
	      ri.id == rc.id && ri.nr_bufs == 8 && ri.nr_free == 8,
	      "REGION_INFO: %llu bytes, buffers of %llu, %u free",
	      (unsigned long long)ri.bytes, (unsigned long long)ri.buf_size,
	      ri.nr_free);
	h2 = xioctl(reg, KIPC_IOC_REGION_ATTACH, &ra);
	CHECK(h2 >= 0 && region_info(h2, &ri) == 0 && ri.id == rc.id,
	      "REGION_ATTACH: a second handle of region %llu",
	      (unsigned long long)ri.id);
	base = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, reg, 0);
	CHECK(base != MAP_FAILED, "mmap of the region at %p", (void *)base);
	if (base == MAP_FAILED || h2 < 0)
		return 1;

	/* BUF_ALLOC x2 */
	for (i = 0; i < 2; i++) {
		r = xioctl(reg, KIPC_IOC_BUF_ALLOC, &ba);
		off[i] = ba.offset;
		CHECK(r == 0 && ba.offset < 8 * PG && ba.offset % PG == 0,
		      "BUF_ALLOC: offset %#llx", (unsigned long long)ba.offset);
		memset(base + ba.offset, 'A' + i, PG);
	}
	CHECK(off[0] != off[1], "two buffers, two offsets");
	r = region_info(reg, &ri);
	CHECK(r == 0 && ri.nr_owned == 2 && ri.nr_free == 6,
	      "REGION_INFO: 2 owned, 6 free (%u, %u)", ri.nr_owned, ri.nr_free);

	/* CHANNEL_CREATE bound to the region; SEND and RECV with buffers */
	cc.region_fd = reg;
	cc.depth = 4;
	r = xioctl(ctx, KIPC_IOC_CHANNEL_CREATE, &cc);
	sfd = cc.send_fd;
	rfd = cc.recv_fd;
	CHECK(r == 0 && cc.id, "CHANNEL_CREATE: send %d, recv %d, id %llu",
	      sfd, rfd, (unsigned long long)cc.id);
	if (r)
		return 1;
	memset(data, 'd', sizeof(data));
	refs[0] = (struct kipc_buf_ref){ off[0], PG };
	refs[1] = (struct kipc_buf_ref){ off[1], 100 };
	memset(&m, 0, sizeof(m));
	m.data = ptr(data);
	m.data_len = sizeof(data);
	m.bufs = ptr(refs);
	m.nr_bufs = 2;
	m.tag = 0x1122334455667788ULL;
	io = (struct kipc_io){ .size = sizeof(io), .msgs = ptr(&m), .nr_msgs = 1,
			       .msg_size = sizeof(m), .region_fd = reg,
			       .flags = KIPC_IO_NONBLOCK };
	r = xioctl(sfd, KIPC_IOC_SEND, &io);
	CHECK(r == 1, "SEND: 64 inline bytes and 2 buffers (%d)", r);
	r = region_info(reg, &ri);
	CHECK(r == 0 && ri.nr_owned == 0 && ri.nr_in_flight == 2,
	      "REGION_INFO: 0 owned, 2 in flight (%u, %u)", ri.nr_owned,
	      ri.nr_in_flight);
	memset(&rm, 0, sizeof(rm));
	rm.data = ptr(rdata);
	rm.data_len = sizeof(rdata);
	rm.bufs = ptr(rrefs);
	rm.nr_bufs = KIPC_MSG_BUFS_MAX;
	rm.lends = ptr(rlref);
	rm.nr_lends = KIPC_MSG_LENDS_MAX;
	io = (struct kipc_io){ .size = sizeof(io), .msgs = ptr(&rm), .nr_msgs = 1,
			       .msg_size = sizeof(rm), .region_fd = h2,
			       .flags = KIPC_IO_TIMEOUT, .clockid = CLOCK_MONOTONIC,
			       .timeout_ns = mono_ns() + 2000000000ULL };
	r = xioctl(rfd, KIPC_IOC_RECV, &io);
	CHECK(r == 1 && rm.data_len == sizeof(data) && !memcmp(rdata, data, sizeof(data)),
	      "RECV: %u inline bytes as sent", rm.data_len);
	CHECK(rm.nr_bufs == 2 && rrefs[0].offset == off[0] && rrefs[0].len == PG &&
	      rrefs[1].offset == off[1] && rrefs[1].len == 100,
	      "RECV: the 2 buffers, offsets and lengths as sent");
	CHECK(rm.tag == 0x1122334455667788ULL && rm.pid == (uint32_t)getpid() &&
	      rm.uid == getuid() && rm.nr_lends == 0,
	      "RECV: tag %#llx, pid %u, uid %u", (unsigned long long)rm.tag,
	      rm.pid, rm.uid);
	CHECK(base[off[0]] == 'A' && base[off[1] + PG - 1] == 'B',
	      "the buffers' bytes through the 32-bit mapping");
	r = region_info(h2, &ri);
	CHECK(r == 0 && ri.nr_owned == 2 && ri.nr_in_flight == 0,
	      "REGION_INFO of the receiving handle: 2 owned (%u)", ri.nr_owned);
	for (i = 0; i < 2; i++) {
		br.offset = off[i];
		r = xioctl(reg, KIPC_IOC_BUF_RELEASE, &br);
		CHECK(r == -EPERM, "BUF_RELEASE through the sender's handle: EPERM (%d)", r);
		r = xioctl(h2, KIPC_IOC_BUF_RELEASE, &br);
		CHECK(r == 0, "BUF_RELEASE through the owner (%d)", r);
	}
	r = region_info(reg, &ri);
	CHECK(r == 0 && ri.nr_free == 8, "all 8 buffers free");

	/* A bad pointer in a message array: EFAULT, the message stays. */
	{
		char b[8] = "inline!";

		memset(&m, 0, sizeof(m));
		m.data = ptr(b);
		m.data_len = sizeof(b);
		io = (struct kipc_io){ .size = sizeof(io), .msgs = ptr(&m),
				       .nr_msgs = 1, .msg_size = sizeof(m),
				       .region_fd = KIPC_NO_FD,
				       .flags = KIPC_IO_NONBLOCK };
		r = xioctl(sfd, KIPC_IOC_SEND, &io);
		memset(&rm, 0, sizeof(rm));
		rm.data = 4;		/* the NULL page */
		rm.data_len = sizeof(rdata);
		io.msgs = ptr(&rm);
		r = xioctl(rfd, KIPC_IOC_RECV, &io);
		CHECK(r == -EFAULT, "RECV into an unmapped 32-bit address: EFAULT (%d)", r);
		/* read(2) of the receive end, compat or not the same path */
		r = read(rfd, rdata, sizeof(rdata));
		CHECK(r == (int)sizeof(b) && !memcmp(rdata, b, sizeof(b)),
		      "read() of the receive end: the message stayed (%d)", r);
		r = write(sfd, "written", 8);
		CHECK(r == 8, "write() of the send end (%d)", r);
		r = read(rfd, rdata, sizeof(rdata));
		CHECK(r == 8 && !strcmp(rdata, "written"), "read() it back (%d)", r);
	}

	/* LENDQ_CREATE, SEND with a lent range, RECV maps it, munmap, REAP */
	{
		struct kipc_lendq_create lc = { .size = sizeof(lc), .flags = KIPC_FD_CLOEXEC };
		struct kipc_lend_completion comp[4];
		struct kipc_lend_reap lr = { .size = sizeof(lr), .comps = ptr(comp),
					     .nr_comps = 4, .flags = KIPC_REAP_NONBLOCK };
		char *src = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int lq = xioctl(ctx, KIPC_IOC_LENDQ_CREATE, &lc);
		const char *seen;

		CHECK(lq >= 0, "LENDQ_CREATE (%d)", lq);
		memset(src, 'L', 2 * PG);
		src[PG] = 'M';
		lref = (struct kipc_lend_ref){ ptr(src), 2 * PG, 0xc00c1e, 0 };
		memset(&m, 0, sizeof(m));
		m.lends = ptr(&lref);
		m.nr_lends = 1;
		m.lendq_fd = lq;
		io = (struct kipc_io){ .size = sizeof(io), .msgs = ptr(&m),
				       .nr_msgs = 1, .msg_size = sizeof(m),
				       .region_fd = KIPC_NO_FD,
				       .flags = KIPC_IO_NONBLOCK };
		r = xioctl(sfd, KIPC_IOC_SEND, &io);
		CHECK(r == 1, "SEND lending 2 pages at %p (%d)", (void *)src, r);
		memset(&rm, 0, sizeof(rm));
		rm.lends = ptr(rlref);
		rm.nr_lends = KIPC_MSG_LENDS_MAX;
		io.msgs = ptr(&rm);
		r = xioctl(rfd, KIPC_IOC_RECV, &io);
		seen = (const char *)(uintptr_t)rlref[0].addr;
		CHECK(r == 1 && rm.nr_lends == 1 && rlref[0].len == 2 * PG &&
		      rlref[0].addr && rlref[0].addr < (1ULL << 32) &&
		      rlref[0].cookie == 0,
		      "RECV mapped the range at %#llx (below 4 GiB)",
		      (unsigned long long)rlref[0].addr);
		if (r == 1 && rlref[0].addr < (1ULL << 32))
			CHECK(seen[0] == 'L' && seen[PG] == 'M',
			      "the lent bytes through the receiver's mapping");
		r = xioctl(lq, KIPC_IOC_LEND_REAP, &lr);
		CHECK(r == -EAGAIN && lr.nr_outstanding == 0,
		      "LEND_REAP while lent: EAGAIN (%d)", r);
		if (rm.nr_lends == 1)
			munmap((void *)seen, 2 * PG);
		r = xioctl(lq, KIPC_IOC_LEND_REAP, &lr);
		CHECK(r == 1 && comp[0].cookie == 0xc00c1e && comp[0].addr == ptr(src) &&
		      comp[0].len == 2 * PG && comp[0].status == KIPC_LEND_RELEASED &&
		      lr.nr_outstanding == 0,
		      "LEND_REAP after munmap: cookie %#llx, status %u",
		      (unsigned long long)comp[0].cookie, comp[0].status);
		close(lq);
		munmap(src, 2 * PG);
	}

	/* WAIT, WAKE, WAITV, REQUEUE on words of the region */
	{
		volatile uint32_t *w = (volatile uint32_t *)base;
		struct kipc_wait wt = { .size = sizeof(wt), .offset = 0, .val = 1 };
		struct kipc_wake wk = { .size = sizeof(wk), .offset = 0, .nr = 1 };
		pid_t pid;
		int st, woke = 0;

		w[0] = 0;
		w[1] = 7;
		r = xioctl(reg, KIPC_IOC_WAIT, &wt);
		CHECK(r == -EAGAIN, "WAIT on a word not holding the value: EAGAIN (%d)", r);
		wt.val = 0;
		wt.flags = KIPC_WAIT_TIMEOUT;
		wt.clockid = CLOCK_MONOTONIC;
		wt.timeout_ns = mono_ns() + 50000000ULL;
		r = xioctl(reg, KIPC_IOC_WAIT, &wt);
		CHECK(r == -ETIMEDOUT, "WAIT with a 64-bit deadline: ETIMEDOUT (%d)", r);
		pid = fork();
		if (pid == 0) {	/* waits on word 1 (WAITV) then word 0 */
			struct kipc_waitv_entry e[2] = {
				{ .region_fd = reg, .val = 5, .offset = 0 },
				{ .region_fd = h2, .val = 7, .offset = 4 },
			};
			struct kipc_waitv wv = {
				.size = sizeof(wv), .entries = ptr(e), .nr = 2,
				.flags = KIPC_WAIT_TIMEOUT, .clockid = CLOCK_MONOTONIC,
				.timeout_ns = mono_ns() + 20000000000ULL,
			};

			w[0] = 5;
			r = xioctl(ctx, KIPC_IOC_WAITV, &wv);
			_exit(r == 1 ? 0 : 10 + (r < 0 ? -r : 0));
		}
		/* Wake word 1 until the child was there to be woken. */
		for (i = 0; i < 2000 && !woke; i++) {
			wk.offset = 4;
			r = xioctl(h2, KIPC_IOC_WAKE, &wk);
			woke = r == 1;
			if (!woke)
				usleep(10000);
		}
		CHECK(woke, "WAKE woke the child's WAITV (after %d tries)", i);
		waitpid(pid, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "WAITV returned the index of the woken word (status %#x)", st);
		{
			struct kipc_requeue rq = {
				.size = sizeof(rq), .offset = 0, .val = w[0],
				.nr_wake = 1, .nr_requeue = 1, .dst_offset = 8,
			};

			r = xioctl(reg, KIPC_IOC_REQUEUE, &rq);
			CHECK(r == 0, "REQUEUE with no waiter: 0 (%d)", r);
			rq.val = w[0] + 1;
			r = xioctl(reg, KIPC_IOC_REQUEUE, &rq);
			CHECK(r == -EAGAIN, "REQUEUE on a changed word: EAGAIN (%d)", r);
		}
	}

	/* NAME_OPEN (create, open), NAME_UNLINK */
	{
		char name[64];
		struct kipc_name_open no = {
			.size = sizeof(no), .flags = KIPC_NAME_CREATE | KIPC_NAME_EXCL |
					     KIPC_FD_CLOEXEC,
			.fd = reg, .mode = 0600,
		};
		struct kipc_name_unlink nu = { .size = sizeof(nu) };
		int fd;

		snprintf(name, sizeof(name), "kipc-compat32-%d", (int)getpid());
		no.name = ptr(name);
		nu.name = ptr(name);
		fd = xioctl(ctx, KIPC_IOC_NAME_OPEN, &no);
		CHECK(fd >= 0 && no.created == 1 && no.kind == KIPC_NAME_REGION &&
		      no.id == rc.id, "NAME_OPEN create: '%s' names region %llu",
		      name, (unsigned long long)no.id);
		if (fd >= 0)
			close(fd);
		no.flags = KIPC_FD_CLOEXEC;
		no.fd = KIPC_NO_FD;
		no.mode = 0;
		fd = xioctl(ctx, KIPC_IOC_NAME_OPEN, &no);
		CHECK(fd >= 0 && no.created == 0 && region_info(fd, &ri) == 0 &&
		      ri.id == rc.id, "NAME_OPEN: a new handle of the region");
		if (fd >= 0)
			close(fd);
		no.fd = rfd;
		no.flags = KIPC_NAME_CREATE | KIPC_NAME_EXCL;
		no.mode = 0600;
		r = xioctl(ctx, KIPC_IOC_NAME_OPEN, &no);
		CHECK(r == -EEXIST, "NAME_OPEN create exclusive of a taken name: "
		      "EEXIST (%d)", r);
		r = xioctl(ctx, KIPC_IOC_NAME_UNLINK, &nu);
		CHECK(r == 0, "NAME_UNLINK (%d)", r);
		no.flags = 0;
		no.fd = KIPC_NO_FD;
		no.mode = 0;
		r = xioctl(ctx, KIPC_IOC_NAME_OPEN, &no);
		CHECK(r == -ENOENT, "NAME_OPEN after unlink: ENOENT (%d)", r);
	}

	close(sfd);
	close(rfd);
	close(h2);
	munmap(base, 8 * PG);
	close(reg);
	close(ctx);
	printf("kipc-compat32: %d checks, %d failed: %s\n", checks, failures,
	       failures ? "FAIL" : "PASS");
	return failures != 0;
}
