// SPDX-License-Identifier: GPL-2.0
/*
 * libkipc process groups, the supervisor and the worker's side under the
 * conditions a review found mishandled (a guest test: tools/vm/
 * kipc-group-tests runs it). Workers are functions run in the group's
 * forked children; they report what they saw by their exit status, which
 * the test reads with kipc_group_member_info(). Every run of a group is
 * bounded by an alarm: a regression fails instead of hanging.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"
#include "kipc_group.h"
#include "kipc_rpc.h"
#include "group.h"

FIXTURE(grp) {
	struct kipc_group *g;
};

FIXTURE_SETUP(grp)
{
	self->g = NULL;
}

FIXTURE_TEARDOWN(grp)
{
	if (self->g)
		kipc_group_destroy(self->g);
}

static struct kipc_group *group_new(struct __test_metadata *_metadata,
				    uint32_t drain_timeout_ms)
{
	struct kipc_group_attr ga = {
		.intensity = 3,
		.drain_timeout_ms = drain_timeout_ms,
		.backoff_min_ms = 1,
	};
	struct kipc_group *g = NULL;

	EXPECT_EQ(0, kipc_group_create("gsup", &ga, &g));
	return g;
}

static int add_worker(struct kipc_group *g, const char *name,
		      kipc_group_fn fn, uint32_t restart)
{
	struct kipc_worker_attr wa = { .fn = fn, .restart = restart };

	return kipc_group_add_worker(g, name, &wa);
}

/* Milliseconds on @clk since @t0, read on it. */
static long ms_since(clockid_t clk, const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(clk, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Run a group of one worker @fn serving the service "svc" until it ends
 * (at most @secs): kipc_group_run()'s result, and the worker's status.
 */
static int run_one_server(struct __test_metadata *_metadata,
			  struct kipc_group **gp, kipc_group_fn fn,
			  uint32_t drain_timeout_ms, unsigned int secs)
{
	struct kipc_group *g = group_new(_metadata, drain_timeout_ms);
	int ret;

	*gp = g;
	if (!g || kipc_group_add_service(g, "svc", 0600, NULL) ||
	    add_worker(g, "w", fn, KIPC_RESTART_NEVER) ||
	    kipc_group_connect(g, "w", "svc", KIPC_GROUP_SERVE))
		return INT32_MIN;
	alarm(secs);
	ret = kipc_group_run(g);
	alarm(0);
	return ret;
}

/* Member @idx's last exit status (or -signal). */
static int last_status(struct kipc_group *g, unsigned int idx)
{
	struct kipc_group_member m;

	if (kipc_group_member_info(g, idx, &m))
		return INT32_MIN;
	return m.last_status;
}

/* A shared page the test's workers count their runs in. */
static uint32_t *runs_page(struct __test_metadata *_metadata)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	EXPECT_NE(MAP_FAILED, p);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * Acknowledges what "in" brings until its end; on a channel nobody sends
 * on, it never sees that end.
 */
static int idle_consumer(struct kipc_group_worker *w, void *arg)
{
	struct kipc_group_msg m;
	int ret;

	while ((ret = kipc_group_recv(w, "in", &m)) == 1)
		kipc_group_ack(w);
	return ret < 0 ? 1 : 0;
}

/*
 * Makes its "in" end non-blocking, as an event loop that polls the fd
 * would: one open file, the supervisor's and every instance's. Says so
 * (*@arg 1), then waits for input that does not come.
 */
static int nonblocking_idle_consumer(struct kipc_group_worker *w, void *arg)
{
	int fd = kipc_group_worker_fd(w, "in"), fl;

	fl = fd < 0 ? -1 : fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return 2;
	__atomic_store_n((uint32_t *)arg, 1, __ATOMIC_SEQ_CST);
	return idle_consumer(w, arg);
}

/* CPU time of process @pid so far, in clock ticks; -1 if unknown. */
static long cpu_ticks(pid_t pid)
{
	unsigned long utime, stime;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* fields 14 and 15 after "pid (comm)" */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &utime, &stime) != 2)
		return -1;
	return utime + stime;
}

/*
 * An instance whose channel end was made non-blocking under it waits, as
 * on a blocking one: kipc_group_recv() retried each EAGAIN at once, and
 * spun at 100% of a CPU (beating, so no watchdog saw it).
 */
TEST_F(grp, nonblocking_end_does_not_spin)
{
	uint32_t *set = runs_page(_metadata);
	struct kipc_group_member m;
	long t0, t1;
	int i;

	ASSERT_NE(NULL, set);
	self->g = group_new(_metadata, 100);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "in", NULL, 4));
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "consumer",
		&(struct kipc_worker_attr){ .fn = nonblocking_idle_consumer,
					    .arg = set,
					    .restart = KIPC_RESTART_NEVER }));
	ASSERT_EQ(0, kipc_group_connect(self->g, "consumer", "in",
					KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_start(self->g));
	for (i = 0; i < 500; i++) {
		ASSERT_EQ(0, kipc_group_member_info(self->g, 0, &m));
		if (m.pid > 0 && __atomic_load_n(set, __ATOMIC_SEQ_CST))
			break;
		usleep(10000);
	}
	ASSERT_LT(0, m.pid);
	ASSERT_EQ(1, __atomic_load_n(set, __ATOMIC_SEQ_CST))
		TH_LOG("the consumer never made its end non-blocking");
	usleep(50000);		/* its end set, into its receive */
	t0 = cpu_ticks(m.pid);
	usleep(500000);
	t1 = cpu_ticks(m.pid);
	ASSERT_LE(0, t0);
	ASSERT_LE(t0, t1);
	/* A tick is 10 ms: a spinner spends about 50 in that half second. */
	EXPECT_GT(15, t1 - t0) TH_LOG("%ld ticks of CPU in 0.5 s idle",
				       t1 - t0);
	/* Nothing ends its input: the drain times out (as in the next test). */
	ASSERT_EQ(0, kipc_group_stop(self->g));
	alarm(5);
	EXPECT_EQ(1, kipc_group_run(self->g));
	alarm(0);
	munmap(set, 4096);
}

/*
 * A drain that times out SIGKILLs what still runs; a consumer killed so
 * had never been sent SIGTERM, and was started again as if it had crashed:
 * kipc_group_run() never returned. What the timeout kills stays dead.
 */
TEST_F(grp, drain_timeout_kill_is_final)
{
	struct timespec t0;
	long ms;

	self->g = group_new(_metadata, 100);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "in", NULL, 4));
	ASSERT_EQ(0, add_worker(self->g, "consumer", idle_consumer,
				KIPC_RESTART_ON_FAILURE));
	ASSERT_EQ(0, kipc_group_connect(self->g, "consumer", "in",
					KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_start(self->g));
	ASSERT_EQ(0, kipc_group_stop(self->g));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alarm(5);		/* the bug: kipc_group_run() never returns */
	EXPECT_EQ(1, kipc_group_run(self->g));	/* the drain timed out */
	alarm(0);
	ms = ms_since(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-SIGKILL, last_status(self->g, 0));
	EXPECT_EQ(KIPC_GROUP_STOPPED, kipc_group_state(self->g, NULL));
	TH_LOG("the group stopped %ld ms after kipc_group_stop()", ms);
}

#define ORIGINAL	"original"
#define FORWARDED	"forwarded payload"
#define BUF_BYTES	"buffer bytes"

/* Sends one message with a buffer of region "ra" on "in". */
static int producer(struct kipc_group_worker *w, void *arg)
{
	struct kipc_region *r = kipc_group_worker_region(w, "ra");
	struct kipc_buf_ref ref = { .len = sizeof(BUF_BYTES) };
	uint64_t off;

	if (!r || kipc_buf_alloc(r, &off))
		return 10;
	memcpy(kipc_buf_ptr(r, off), BUF_BYTES, sizeof(BUF_BYTES));
	ref.offset = off;
	return kipc_group_send(w, "in", ORIGINAL, sizeof(ORIGINAL), &ref, 1,
			       0) ? 11 : 0;
}

/* The message in hand is the one "producer" sent, bytes and buffer. */
static int msg_is_original(const struct kipc_group_msg *m)
{
	return m->data_len == sizeof(ORIGINAL) &&
	       !memcmp(m->data, ORIGINAL, sizeof(ORIGINAL)) &&
	       m->nr_bufs == 1 && m->region &&
	       !memcmp(kipc_buf_ptr(m->region, m->bufs[0].offset), BUF_BYTES,
		       sizeof(BUF_BYTES));
}

/*
 * Forwards to "out", of another region than "in": the kernel refuses the
 * buffer (-EINVAL). Exit status 0, or what went wrong.
 */
static int failing_forwarder(struct kipc_group_worker *w, void *arg)
{
	struct kipc_group_msg m;
	int ret;

	if (kipc_group_recv(w, "in", &m) != 1 || !msg_is_original(&m))
		return 2;
	ret = kipc_group_forward(w, "out", FORWARDED, sizeof(FORWARDED));
	if (ret != -EINVAL)
		return 3;
	if (kipc_group_recv(w, "in", &m) != 1)
		return 4;
	if (!msg_is_original(&m))
		return 5;	/* the bug: the forwarded payload instead */
	if (kipc_group_ack(w))
		return 6;
	ret = kipc_group_recv(w, "in", &m);
	return ret ? 7 : 0;	/* the end of "in" */
}

/* Regions "ra" and "rb", channel "in" of "ra" and "out" of "rb". */
static void two_regions(struct __test_metadata *_metadata,
			struct kipc_group *g)
{
	ASSERT_EQ(0, kipc_group_add_region(g, "ra", 4 * 4096, 4096));
	ASSERT_EQ(0, kipc_group_add_region(g, "rb", 4 * 4096, 4096));
	ASSERT_EQ(0, kipc_group_add_channel(g, "in", "ra", 4));
	ASSERT_EQ(0, kipc_group_add_channel(g, "out", "rb", 4));
}

/*
 * A forward whose send fails leaves the message held as it was received:
 * the payload was written over it, and the next receive (or a replacement)
 * got the forwarded bytes instead of the message.
 */
TEST_F(grp, failed_forward_keeps_the_message)
{
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	two_regions(_metadata, self->g);
	ASSERT_EQ(0, add_worker(self->g, "producer", producer,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, add_worker(self->g, "fwd", failing_forwarder,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_connect(self->g, "producer", "in",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "fwd", "in", KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_connect(self->g, "fwd", "out",
					KIPC_GROUP_OUT));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(0, last_status(self->g, 0));
	EXPECT_EQ(0, last_status(self->g, 1))
		TH_LOG("the forwarder: 5 means the message received again %s",
		       "was the forwarded payload");
}

/*
 * The worker's slot (in its own region) and the control region, as a
 * compromised worker sees them.
 */
static struct kgrp_slot *own_slot(struct kipc_group_worker *w,
				  struct kgrp_ctl **ctlp)
{
	struct kipc_region *r, *c;

	if (kipc_region_open_fd(kipc_group_worker_fd(w, KGRP_SLOT_NAME), 0,
				&r))
		return NULL;
	if (ctlp) {
		if (kipc_region_open_fd(kipc_group_worker_fd(w, KGRP_CTL_NAME),
					0, &c))
			return NULL;
		*ctlp = kipc_region_base(c);
	}
	return kipc_region_base(r);
}

/*
 * First run: receives the message and dies "while forwarding" it to a
 * channel whose resend fails in the replacement (lease_out names a
 * channel the worker has no end of: -ENOENT). Second run: the lease must
 * still be forwarding; pointed at "out" again, kipc_group_recv() finishes
 * the forward, then sees the end of "in".
 */
static int dying_forwarder(struct kipc_group_worker *w, void *arg)
{
	uint32_t run = __atomic_fetch_add((uint32_t *)arg, 1, __ATOMIC_SEQ_CST);
	struct kgrp_slot *sl = own_slot(w, NULL);
	struct kipc_group_msg m;

	if (!sl)
		return 2;
	if (run == 0) {
		if (kipc_group_recv(w, "in", &m) != 1 || !msg_is_original(&m))
			return 3;
		memcpy(sl->out, FORWARDED, sizeof(FORWARDED));
		sl->out_len = sizeof(FORWARDED);
		sl->lease_out = KIPC_GROUP_MAX_CHANNELS - 1;
		kgrp_store(&sl->lease, KGRP_LEASE_FORWARDING);
		_exit(1);	/* restarted: on-failure */
	}
	if (kgrp_load(&sl->lease) != KGRP_LEASE_FORWARDING)
		return 4;	/* the bug: the lease dropped, the message lost */
	sl->lease_out = 1;	/* "out" */
	return kipc_group_recv(w, "in", &m) ? 5 : 0;
}

/* Expects exactly the forwarded message on "out". */
static int sink(struct kipc_group_worker *w, void *arg)
{
	struct kipc_group_msg m;
	int ret, n = 0;

	while ((ret = kipc_group_recv(w, "out", &m)) == 1) {
		if (m.data_len != sizeof(FORWARDED) ||
		    memcmp(m.data, FORWARDED, sizeof(FORWARDED)) ||
		    m.nr_bufs != 1 || !m.region ||
		    memcmp(kipc_buf_ptr(m.region, m.bufs[0].offset), BUF_BYTES,
			   sizeof(BUF_BYTES)))
			return 20;
		n++;
		kipc_group_ack(w);
	}
	return ret < 0 ? 21 : n == 1 ? 0 : 22;
}

/*
 * A replacement whose resend of a forwarding lease failed (not -EPERM)
 * treated the forward as done: the lease dropped, its buffers released,
 * the message lost. It stays forwarding and kipc_group_recv() retries.
 */
TEST_F(grp, failed_forward_resend_keeps_the_lease)
{
	uint32_t *runs = runs_page(_metadata);

	ASSERT_NE(NULL, runs);
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_region(self->g, "ra", 4 * 4096, 4096));
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "in", "ra", 4));
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "out", "ra", 4));
	ASSERT_EQ(0, add_worker(self->g, "producer", producer,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "fwd",
		&(struct kipc_worker_attr){ .fn = dying_forwarder,
					    .arg = runs }));
	ASSERT_EQ(0, add_worker(self->g, "sink", sink, KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_connect(self->g, "producer", "in",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "fwd", "in", KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_connect(self->g, "fwd", "out",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "sink", "out",
					KIPC_GROUP_IN));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(2, *runs);
	EXPECT_EQ(0, last_status(self->g, 1))
		TH_LOG("the replacement: 4 means the forwarding lease was dropped");
	EXPECT_EQ(0, last_status(self->g, 2))
		TH_LOG("the sink: 22 means the message never arrived");
	munmap(runs, 4096);
}

/* What the workers of tag0_message_is_redelivered share (runs_page()). */
struct tag0_page {
	uint32_t runs;		/* the consumer's runs */
	uint32_t first;		/* its first run's checks: 0, or what failed */
	uint32_t second;	/* its second run's: 0, or what it saw */
};

#define TAG0_NOT_RUN	99	/* a run that never came */

/*
 * Sends "producer"'s message on "in" through the channel's raw end, with
 * tag 0: kipc_group_send() takes the channel counter's next, >= 1, but a
 * program can send on the fd (as a worker could make the counter wrap).
 */
static int raw_tag0_producer(struct kipc_group_worker *w, void *arg)
{
	struct kipc_region *r = kipc_group_worker_region(w, "ra");
	struct kipc_buf_ref ref = { .len = sizeof(BUF_BYTES) };
	struct kipc_chan *tx;
	struct kipc_msg msg;
	uint64_t off;

	if (!r || kipc_channel_from_fd(kipc_group_worker_fd(w, "in"), 0, &tx) ||
	    kipc_buf_alloc(r, &off))
		return 10;
	memcpy(kipc_buf_ptr(r, off), BUF_BYTES, sizeof(BUF_BYTES));
	ref.offset = off;
	kipc_msg_init(&msg, ORIGINAL, sizeof(ORIGINAL), &ref, 1, 0);
	return kipc_channel_send(tx, &msg, 1, 0, NULL, r) == 1 ? 0 : 11;
}

/*
 * First run: receives the tag-0 message, puts its slot back into the
 * state of a death between the receive's copy-out and the store of
 * "held" (lease RECEIVING, the message written into the slot by the
 * kernel), and dies (restarted: on-failure). Second run: must get the
 * message again, whole and redelivered, then the end of "in". Each run
 * writes what it saw into the page and exits 0, the first run's death
 * aside: a run restarted after a failed check would blur what it saw.
 */
static int tag0_consumer(struct kipc_group_worker *w, void *arg)
{
	struct tag0_page *tp = arg;
	uint32_t run = __atomic_fetch_add(&tp->runs, 1, __ATOMIC_SEQ_CST);
	struct kgrp_slot *sl = own_slot(w, NULL);
	uint32_t *out = run ? &tp->second : &tp->first;
	struct kipc_group_msg m;
	int ret;

	if (!sl) {
		*out = 2;
		return 0;
	}
	ret = kipc_group_recv(w, "in", &m);
	if (run == 0) {
		if (ret != 1 || !msg_is_original(&m) || m.seq || m.redelivered) {
			*out = 3;
			return 0;
		}
		*out = 0;
		kgrp_store(&sl->lease, KGRP_LEASE_RECEIVING);
		_exit(1);
	}
	if (ret == 0)
		*out = 5;	/* the bug: the message dropped, "in" ended */
	else if (ret < 0)
		*out = 6;
	else if (!msg_is_original(&m) || m.seq || !m.redelivered)
		*out = 7;
	else if (kipc_group_ack(w) || kipc_group_recv(w, "in", &m))
		*out = 8;
	else
		*out = 0;
	return 0;
}

/*
 * A message's delivery into a slot was told by its tag (!= 0): a message
 * sent with tag 0, whose receiver died between the kernel's copy-out and
 * the store of "held", was taken for none delivered, its buffer released,
 * and it was gone, neither redelivered nor reported lost. The kernel's
 * write of the sender's uid tells it now.
 */
TEST_F(grp, tag0_message_is_redelivered)
{
	struct tag0_page *tp = (void *)runs_page(_metadata);
	struct kipc_group_member m;

	ASSERT_NE(NULL, tp);
	tp->first = tp->second = TAG0_NOT_RUN;
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_region(self->g, "ra", 4 * 4096, 4096));
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "in", "ra", 4));
	ASSERT_EQ(0, add_worker(self->g, "source", raw_tag0_producer,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "consumer",
		&(struct kipc_worker_attr){ .fn = tag0_consumer, .arg = tp }));
	ASSERT_EQ(0, kipc_group_connect(self->g, "source", "in",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "consumer", "in",
					KIPC_GROUP_IN));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(0, last_status(self->g, 0))
		TH_LOG("the source: 10 a set-up, 11 the raw send failed");
	EXPECT_EQ(2, tp->runs);
	EXPECT_EQ(0, tp->first)
		TH_LOG("the first run: 3 means not the tag-0 message, whole");
	EXPECT_EQ(0, tp->second)
		TH_LOG("the second run: 5 means \"in\" ended at once, the "
		       "message dropped; 7 not the message again, redelivered; "
		       "99 no second run");
	ASSERT_EQ(0, kipc_group_member_info(self->g, 1, &m));
	EXPECT_EQ(1, m.redeliveries) TH_LOG("the consumer's redeliveries");
	EXPECT_EQ(1, m.acks) TH_LOG("the consumer's acknowledgements");
	EXPECT_EQ(0, m.lost);
	munmap(tp, 4096);
}

/*
 * Ignores the group's protocol: a message of KIPC_GROUP_BUFS_MAX + 1
 * buffers with plain kipc_channel_send(), then a good one.
 */
static int rogue_producer(struct kipc_group_worker *w, void *arg)
{
	struct kipc_region *r = kipc_group_worker_region(w, "ra");
	struct kipc_buf_ref refs[KIPC_GROUP_BUFS_MAX + 1];
	struct kipc_chan *tx;
	struct kipc_msg msg;
	unsigned int i;
	uint64_t off;

	if (!r || kipc_channel_from_fd(kipc_group_worker_fd(w, "in"), 0, &tx))
		return 10;
	for (i = 0; i <= KIPC_GROUP_BUFS_MAX; i++) {
		if (kipc_buf_alloc(r, &off))
			return 11;
		refs[i].offset = off;
		refs[i].len = 1;
	}
	kipc_msg_init(&msg, "rogue", 5, refs, KIPC_GROUP_BUFS_MAX + 1, 1);
	if (kipc_channel_send(tx, &msg, 1, 0, NULL, r) != 1)
		return 12;
	return producer(w, arg);
}

/*
 * The rogue message is dropped with -EBADMSG, its buffers released; the
 * good one comes next. Exit status 0, or what went wrong.
 */
static int checking_consumer(struct kipc_group_worker *w, void *arg)
{
	struct kipc_region_status st;
	struct kipc_group_msg m;
	struct kipc_region *h;
	int ret;

	ret = kipc_group_recv(w, "in", &m);
	if (ret != -EBADMSG)
		return ret == -EMSGSIZE ? 2 : 3;
	/* The slot's handle (our inherited fd "ra") owns none of them. */
	if (kipc_region_open_fd(kipc_group_worker_fd(w, "ra"),
				KIPC_REGION_NOMAP, &h) ||
	    kipc_region_info(h, &st) || st.nr_owned)
		return 4;
	if (kipc_group_recv(w, "in", &m) != 1 || !msg_is_original(&m))
		return 5;
	kipc_group_ack(w);
	return kipc_group_recv(w, "in", &m) ? 6 : 0;
}

/*
 * A message with more buffers than a slot has room for stayed at the head
 * of the queue (the kernel's -EMSGSIZE does not dequeue): every receive
 * failed for ever. It is dropped, reported once with -EBADMSG.
 */
TEST_F(grp, oversized_message_is_dropped)
{
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_region(self->g, "ra", 8 * 4096, 4096));
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "in", "ra", 4));
	ASSERT_EQ(0, add_worker(self->g, "rogue", rogue_producer,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, add_worker(self->g, "consumer", checking_consumer,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_connect(self->g, "rogue", "in",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "consumer", "in",
					KIPC_GROUP_IN));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(0, last_status(self->g, 0));
	EXPECT_EQ(0, last_status(self->g, 1))
		TH_LOG("the consumer: 2 means the receive failed with EMSGSIZE");
}

/* Bits of the exit status of corrupted_worker(): the checks that failed. */
#define BAD_SEND_REGION	(1 << 0)	/* a channel's region index */
#define BAD_RECV_BUFS	(1 << 1)	/* the lease's nr_bufs, on a recv */
#define BAD_ACK_BUFS	(1 << 2)	/* ... on an ack */
#define BAD_LEASE_CHAN	(1 << 3)	/* the lease's channel */
#define BAD_DATA_LEN	(1 << 4)	/* the lease's data_len */
#define BAD_SLOT	(1 << 5)	/* the slot number, nr_slots */
#define BAD_CLEAN_UP	(1 << 6)	/* restored, the lease does not work */

/* kipc_group_worker_open() in a child, told it is slot @slot. */
static int open_as_slot(struct kipc_group_worker *w, const char *slot)
{
	struct kipc_group_worker *w2;
	char pid[16];
	pid_t child;
	int st;

	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		setenv("LISTEN_PID", pid, 1);
		setenv("KIPC_GROUP_SLOT", slot, 1);
		_exit(kipc_group_worker_open(&w2) == -EPROTO ? 0 : 1);
	}
	if (waitpid(child, &st, 0) != child)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Writes out-of-bounds values into the control region, as a compromised
 * worker could, and checks that each worker-side call fails with -EPROTO
 * instead of indexing past its arrays; the exit status has a BAD_* bit
 * per check that failed.
 */
static int corrupted_worker(struct kipc_group_worker *w, void *arg)
{
	struct kipc_region *r = kipc_group_worker_region(w, "ra");
	struct kipc_buf_ref ref = { .len = 1 };
	struct kgrp_ctl *ctl;
	struct kgrp_slot *sl = own_slot(w, &ctl);
	struct kipc_group_msg m;
	uint32_t saved;
	uint64_t off;
	int bad = 0;

	if (!sl || !r || kipc_buf_alloc(r, &off))
		return 0xff;
	ref.offset = off;
	saved = ctl->chans[1].region;		/* "out" */
	ctl->chans[1].region = 1000;
	if (kipc_group_send(w, "out", "x", 1, &ref, 1, 0) != -EPROTO)
		bad |= BAD_SEND_REGION;
	ctl->chans[1].region = saved;
	kipc_buf_release(r, off);

	if (kipc_group_recv(w, "in", &m) != 1)
		return 0xfe;
	saved = sl->msg.nr_bufs;
	sl->msg.nr_bufs = 1000;
	if (kipc_group_recv(w, "in", &m) != -EPROTO)
		bad |= BAD_RECV_BUFS;
	sl->msg.nr_bufs = saved;

	saved = sl->lease_chan;
	sl->lease_chan = 1000;
	if (kipc_group_recv(w, "in", &m) != -EPROTO)
		bad |= BAD_LEASE_CHAN;
	sl->lease_chan = saved;
	saved = sl->msg.data_len;
	sl->msg.data_len = 5000;
	if (kipc_group_recv(w, "in", &m) != -EPROTO)
		bad |= BAD_DATA_LEN;
	sl->msg.data_len = saved;

	saved = ctl->nr_slots;
	ctl->nr_slots = 100000;
	if (open_as_slot(w, "5000"))
		bad |= BAD_SLOT;
	ctl->nr_slots = saved;

	saved = sl->msg.nr_bufs;
	sl->msg.nr_bufs = 1000;
	if (kipc_group_ack(w) != -EPROTO)
		bad |= BAD_ACK_BUFS;
	sl->msg.nr_bufs = saved;
	/* An ack that went through ended the lease: nothing to clean up. */
	if (kgrp_load(&sl->lease) != KGRP_LEASE_HELD)
		return bad | BAD_CLEAN_UP;
	if (kipc_group_recv(w, "in", &m) != 1 || !msg_is_original(&m) ||
	    kipc_group_ack(w) || kipc_group_recv(w, "in", &m))
		bad |= BAD_CLEAN_UP;
	return bad;
}

/*
 * Every worker can write the control region: values read from it indexed
 * the worker's arrays (a channel's region, the lease's buffers, the slot)
 * unchecked. A value out of bounds is -EPROTO.
 */
TEST_F(grp, corrupted_control_region_is_eproto)
{
	int st;

	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_region(self->g, "ra", 4 * 4096, 4096));
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "in", "ra", 4));
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "out", "ra", 4));
	ASSERT_EQ(0, add_worker(self->g, "producer", producer,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, add_worker(self->g, "victim", corrupted_worker,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_connect(self->g, "producer", "in",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "victim", "in",
					KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_connect(self->g, "victim", "out",
					KIPC_GROUP_OUT));
	alarm(10);
	kipc_group_run(self->g);
	alarm(0);
	st = last_status(self->g, 1);
	EXPECT_EQ(0, st)
		TH_LOG("failed checks (BAD_* bits, or -signal): %#x%s%s%s%s%s%s%s",
		       st, st & BAD_SEND_REGION ? " send-region" : "",
		       st & BAD_RECV_BUFS ? " recv-nr_bufs" : "",
		       st & BAD_ACK_BUFS ? " ack-nr_bufs" : "",
		       st & BAD_LEASE_CHAN ? " lease_chan" : "",
		       st & BAD_DATA_LEN ? " data_len" : "",
		       st & BAD_SLOT ? " slot" : "",
		       st & BAD_CLEAN_UP ? " clean-up" : "");
}

static int exits_zero(struct kipc_group_worker *w, void *arg)
{
	return 0;
}

/* 0 when every fd the worker inherited is close-on-exec; else 1 + fd. */
static int inherited_cloexec(struct kipc_group_worker *w, void *arg)
{
	const char *n = getenv("LISTEN_FDS");
	int fd, nfds = n ? atoi(n) : 0;

	if (nfds < 2)
		return 100;
	for (fd = 3; fd < 3 + nfds; fd++)
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			return 1 + fd;
	return 0;
}

/*
 * A worker's inherited fds are close-on-exec, as sd_listen_fds() makes
 * them: a program it runs (system(), popen()) and that outlives it would
 * hold the send end of its output, and the consumers would never see the
 * end of the stream.
 */
TEST_F(grp, inherited_fds_are_cloexec)
{
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "out", NULL, 4));
	ASSERT_EQ(0, add_worker(self->g, "w", inherited_cloexec,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_connect(self->g, "w", "out", KIPC_GROUP_OUT));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(0, last_status(self->g, 0))
		TH_LOG("100: too few fds; else 1 + the fd without FD_CLOEXEC");
}

/* One more than the highest fd open now. */
static int fd_end(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int fd, end = 0;

	while (dir && (d = readdir(dir))) {
		fd = atoi(d->d_name);
		if (fd >= end && fd != dirfd(dir))
			end = fd + 1;
	}
	if (dir)
		closedir(dir);
	return end;
}

/*
 * A start that fails for want of fds is retried as the limit grows: each
 * failure leaves no signal blocked, a retry makes nothing twice, and one
 * succeeds. The old start left SIGTERM, SIGINT and SIGHUP blocked when
 * signalfd() failed, and leaked the epoll and timer fds of each retry,
 * which made every retry fail sooner.
 */
/* Start @g with the fd limit raised one at a time; kipc_group_start()'s. */
static int start_as_fds_allow(struct __test_metadata *_metadata,
			      struct kipc_group *g)
{
	struct rlimit rl, low;
	int extra, ret = -1, end = fd_end();
	sigset_t mask;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	for (extra = 0; extra < 8 && ret; extra++) {
		low = rl;
		low.rlim_cur = end + extra;
		if (setrlimit(RLIMIT_NOFILE, &low))
			return -errno;
		ret = kipc_group_start(g);
		setrlimit(RLIMIT_NOFILE, &rl);
		sigprocmask(SIG_BLOCK, NULL, &mask);
		if (ret)
			EXPECT_FALSE(sigismember(&mask, SIGTERM))
				TH_LOG("SIGTERM blocked after a start failed (%d) with %d fds more",
				       ret, extra);
	}
	TH_LOG("start: %d with %d fds more", ret, extra - 1);
	return ret;
}

TEST_F(grp, failed_start_undone_and_retried)
{
	struct kipc_group_attr ga = { .intensity = 3, .backoff_min_ms = 1,
				      .drain_timeout_ms = 2000,
				      .flags = KIPC_GROUP_SIGNALS };

	ASSERT_EQ(0, kipc_group_create("gstart", &ga, &self->g));
	ASSERT_EQ(0, add_worker(self->g, "w", exits_zero, KIPC_RESTART_NEVER));
	ASSERT_EQ(0, start_as_fds_allow(_metadata, self->g))
		TH_LOG("no start succeeded with up to 7 fds more");
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
}

/*
 * A SIGTERM after the group's last dispatch stays pending in the signalfd;
 * destroy unblocked it, and the program died of it instead of returning
 * the group's status.
 */
TEST_F(grp, signal_after_the_run_is_the_groups)
{
	struct kipc_group_attr ga = { .intensity = 3, .backoff_min_ms = 1,
				      .drain_timeout_ms = 2000,
				      .flags = KIPC_GROUP_SIGNALS };

	ASSERT_EQ(0, kipc_group_create("gsig", &ga, &self->g));
	ASSERT_EQ(0, add_worker(self->g, "w", exits_zero, KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_start(self->g));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	ASSERT_EQ(0, kill(getpid(), SIGTERM));	/* blocked: pending */
	kipc_group_destroy(self->g);
	self->g = NULL;
	/* Still here: the signal was the group's. */
}

/*
 * Destroy unblocks the signals the group blocked, and only those: it set
 * the whole mask saved at start again, which undid what the program
 * blocked since, and delivered a signal pending there.
 */
TEST(destroy_keeps_what_the_program_blocked_since)
{
	struct kipc_group_attr ga = { .intensity = 3, .backoff_min_ms = 1,
				      .drain_timeout_ms = 2000,
				      .flags = KIPC_GROUP_SIGNALS };
	struct kipc_group *g;
	sigset_t usr1, now;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_UNBLOCK, &usr1, NULL));
	ASSERT_EQ(0, kipc_group_create("gmask", &ga, &g));
	ASSERT_EQ(0, add_worker(g, "w", exits_zero, KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_start(g));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(g));
	alarm(0);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &usr1, NULL));
	ASSERT_EQ(0, kill(getpid(), SIGUSR1));	/* blocked: pending */
	kipc_group_destroy(g);
	/* Still here: SIGUSR1 stayed blocked. */
	ASSERT_EQ(0, sigprocmask(SIG_SETMASK, NULL, &now));
	EXPECT_TRUE(sigismember(&now, SIGUSR1));
	EXPECT_FALSE(sigismember(&now, SIGTERM));
	signal(SIGUSR1, SIG_IGN);	/* the pending one, away */
	ASSERT_EQ(0, sigprocmask(SIG_UNBLOCK, &usr1, NULL));
	signal(SIGUSR1, SIG_DFL);
}

/* Reads a line of stdin into @arg: blocks holding stdin's lock. */
static void *reads_stdin(void *arg)
{
	return fgets(arg, 16, stdin);
}

/*
 * A program worker starts while another thread of the supervisor is
 * blocked in fgets(): every start flushed every stdio stream first, and
 * waited for stdin's lock until that thread's line came.
 */
TEST(exec_start_waits_for_no_stdio_lock)
{
	static char *const argv[] = { "sh", "-c", "exit 0", NULL };
	struct kipc_group *g;
	int p[2], in;
	char line[16];
	pthread_t t;

	ASSERT_EQ(0, pipe(p));
	in = dup(0);
	ASSERT_LE(0, in);
	ASSERT_EQ(0, dup2(p[0], 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, reads_stdin, line));
	usleep(100000);		/* into fgets(), stdin locked */
	g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, kipc_group_add_worker(g, "w",
		&(struct kipc_worker_attr){ .argv = argv,
					    .restart = KIPC_RESTART_NEVER }));
	alarm(5);		/* the bug: the start waits for the line */
	EXPECT_EQ(0, kipc_group_run(g));
	alarm(0);
	kipc_group_destroy(g);
	ASSERT_EQ(3, write(p[1], "x\n", 3));
	pthread_join(t, NULL);
	dup2(in, 0);
	close(in);
	close(p[0]);
	close(p[1]);
}

#define HELD_MAX	30	/* kipc ids one worker records */

/*
 * Records, in its row of the shared page @arg, the id of its slot's
 * region, then the kipc id of every fd it holds (fdinfo's kipc-id).
 */
static int slot_ids(struct kipc_group_worker *w, void *arg)
{
	uint64_t *row = (uint64_t *)arg +
			(HELD_MAX + 1) * atoi(getenv("KIPC_GROUP_SLOT"));
	char path[300], line[128];
	struct kipc_region_status st;
	struct kipc_region *r;
	unsigned int k = 0;
	long long id;
	struct dirent *d;
	DIR *dir;
	FILE *f;

	if (kipc_region_open_fd(dup(kipc_group_worker_fd(w, KGRP_SLOT_NAME)),
				KIPC_REGION_NOMAP, &r) || kipc_region_info(r, &st))
		return 1;
	row[0] = st.id;
	kipc_region_close(r);
	dir = opendir("/proc/self/fd");
	while (dir && (d = readdir(dir)) && k < HELD_MAX) {
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", d->d_name);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "kipc-id: %lld", &id) == 1)
				row[1 + k++] = id;
		if (f)
			fclose(f);
	}
	if (dir)
		closedir(dir);
	return 0;
}

/*
 * A slot's descriptor is where the kernel writes a received message: it
 * must be out of other workers' reach. Each instance's slot is a region
 * of its own, which no other instance holds (the control region, which
 * every worker writes, held the slots before). Ids are per object kind,
 * so a channel of the same id is no match: the rows hold regions only
 * when no channel is declared, as here.
 */
TEST_F(grp, slot_out_of_other_workers_reach)
{
	uint64_t *ids = (uint64_t *)runs_page(_metadata);
	unsigned int a, k;

	ASSERT_NE(NULL, ids);
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "w",
		&(struct kipc_worker_attr){ .fn = slot_ids, .arg = ids,
					    .instances = 2,
					    .restart = KIPC_RESTART_NEVER }));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	ASSERT_NE(0, ids[0]);
	ASSERT_NE(0, ids[HELD_MAX + 1]);
	EXPECT_NE(ids[0], ids[HELD_MAX + 1]);
	for (a = 0; a < 2; a++) {
		uint64_t other = ids[(1 - a) * (HELD_MAX + 1)];
		uint64_t *held = &ids[a * (HELD_MAX + 1) + 1];

		for (k = 0; k < HELD_MAX && held[k]; k++)
			EXPECT_NE(other, held[k])
				TH_LOG("instance %u holds instance %u's slot",
				       a, 1 - a);
	}
	munmap(ids, 4096);
}

/*
 * Records, in its row of the shared page @arg, the inode of every kipc
 * region it has mapped (/proc/self/maps: a region maps its shmem file,
 * "/kipc-region"), its own and any it inherited.
 */
static int mapped_regions(struct kipc_group_worker *w, void *arg)
{
	uint64_t *row = (uint64_t *)arg +
			(HELD_MAX + 1) * atoi(getenv("KIPC_GROUP_SLOT"));
	unsigned long long ino;
	char line[512];
	unsigned int k = 0;
	FILE *f;

	(void)w;
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f) && k < HELD_MAX)
		if (strstr(line, "/kipc-region") &&
		    sscanf(line, "%*s %*s %*s %*s %llu", &ino) == 1)
			row[1 + k++] = ino;
	fclose(f);
	row[0] = k;
	return 0;
}

/*
 * Nor in reach through memory: a function worker is a fork of the
 * supervisor, which maps every slot. The two instances share only the
 * control region; they shared both slots, writable, too: one could
 * rewrite the other's receive descriptor, so that the kernel wrote its
 * next message where the first chose, or forge its lease.
 */
TEST_F(grp, slot_not_mapped_in_other_workers)
{
	uint64_t *rows = (uint64_t *)runs_page(_metadata);
	unsigned int i, j, shared = 0;
	uint64_t *a = rows + 1, *b = rows + HELD_MAX + 2;

	ASSERT_NE(NULL, rows);
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "w",
		&(struct kipc_worker_attr){ .fn = mapped_regions, .arg = rows,
					    .instances = 2,
					    .restart = KIPC_RESTART_NEVER }));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	ASSERT_NE(0, rows[0]);
	ASSERT_NE(0, rows[HELD_MAX + 1]);
	/* Distinct inodes both map: the control region's alone. */
	for (i = 0; i < rows[0]; i++) {
		for (j = 0; j < i && a[j] != a[i]; j++)
			;
		if (j < i)
			continue;
		for (j = 0; j < rows[HELD_MAX + 1]; j++)
			if (b[j] == a[i])
				break;
		shared += j < rows[HELD_MAX + 1];
	}
	EXPECT_EQ(1, shared)
		TH_LOG("the two instances map %u regions in common (%u and %u mappings)",
		       shared, (unsigned int)rows[0],
		       (unsigned int)rows[HELD_MAX + 1]);
	munmap(rows, 4096);
}

/* Says in @arg whether it starts stopping: 1 no, 2 yes. */
static int reports_stopping(struct kipc_group_worker *w, void *arg)
{
	__atomic_store_n((uint32_t *)arg, 1 + (kipc_group_stopping(w) == 1),
			 __ATOMIC_RELEASE);
	return 0;
}

/*
 * A worker told to stop (its own SIGTERM) that runs a group of its own:
 * 0 when that group's function worker says it does not start stopping.
 */
static int nested_after_sigterm(struct kipc_group_worker *w, void *arg)
{
	struct kipc_group_attr ga = { .intensity = 1, .drain_timeout_ms = 2000 };
	struct kipc_group *inner;
	int ret;

	raise(SIGTERM);
	if (kipc_group_stopping(w) != 1)
		return 10;
	if (kipc_group_create("ginner", &ga, &inner))
		return 11;
	ret = kipc_group_add_worker(inner, "in",
		&(struct kipc_worker_attr){ .fn = reports_stopping, .arg = arg,
					    .restart = KIPC_RESTART_NEVER });
	if (!ret)
		ret = kipc_group_run(inner);
	kipc_group_destroy(inner);
	return ret ? 12 : 0;
}

/*
 * The inner group's function workers are forks of a worker that got a
 * SIGTERM: they began stopping, every source at once, and the eventfd
 * number their SIGTERM would write was one the fork had closed.
 */
TEST_F(grp, nested_group_workers_start_afresh)
{
	uint32_t *said = runs_page(_metadata);

	ASSERT_NE(NULL, said);
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "outer",
		&(struct kipc_worker_attr){ .fn = nested_after_sigterm,
					    .arg = said,
					    .restart = KIPC_RESTART_NEVER }));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(1, __atomic_load_n(said, __ATOMIC_ACQUIRE))
		TH_LOG("the inner worker %s", *said == 2 ?
		       "started stopping" : "did not run");
	munmap(said, 4096);
}

/*
 * With SIGCHLD ignored the kernel reaps the workers itself: waitid() on a
 * readable pidfd fails, and the supervisor returned quietly, the pidfd
 * still readable: kipc_group_run() spun for ever. The worker counts as
 * gone, with status 255 (unknown).
 */
TEST_F(grp, worker_reaped_elsewhere_is_gone)
{
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, add_worker(self->g, "w", exits_zero, KIPC_RESTART_NEVER));
	signal(SIGCHLD, SIG_IGN);
	alarm(5);		/* the bug: kipc_group_run() spins for ever */
	EXPECT_EQ(255, kipc_group_run(self->g));
	alarm(0);
	signal(SIGCHLD, SIG_DFL);
	EXPECT_EQ(255, last_status(self->g, 0));
}

/* Sends three messages on "in" and ends. */
static int three_messages(struct kipc_group_worker *w, void *arg)
{
	int i;

	for (i = 0; i < 3; i++)
		if (kipc_group_send(w, "in", "m", 1, NULL, 0, 0))
			return 10;
	return 0;
}

/*
 * runs[0] counts the runs; the first says it is up (runs[1]) and waits,
 * receiving nothing, to be stopped; the others count what they receive
 * (runs[2]) until the end of "in".
 */
static int late_consumer(struct kipc_group_worker *w, void *arg)
{
	uint32_t *runs = arg;
	struct kipc_group_msg m;
	int ret;

	if (__atomic_fetch_add(&runs[0], 1, __ATOMIC_SEQ_CST) == 0) {
		__atomic_store_n(&runs[1], 1, __ATOMIC_SEQ_CST);
		while (!kipc_group_stopping(w))
			usleep(1000);
		return 0;
	}
	while ((ret = kipc_group_recv(w, "in", &m)) == 1) {
		__atomic_add_fetch(&runs[2], 1, __ATOMIC_SEQ_CST);
		kipc_group_ack(w);
	}
	return ret < 0 ? 1 : 0;
}

/* Dispatch until the producer (member 0) ended and *@up; 0 or -1 (5 s). */
static int wait_ready(struct kipc_group *g, const uint32_t *up)
{
	struct pollfd pfd = { .fd = kipc_group_fd(g), .events = POLLIN };
	struct kipc_group_member m;
	int i;

	for (i = 0; i < 500; i++) {
		if (kipc_group_dispatch(g) < 0)
			return -1;
		if (!kipc_group_member_info(g, 0, &m) &&
		    m.state == KIPC_MEMBER_EXITED &&
		    __atomic_load_n(up, __ATOMIC_SEQ_CST))
			return 0;
		poll(&pfd, 1, 10);
	}
	return -1;
}

/*
 * A drain arriving during a rolling restart: the consumer the reload had
 * just stopped was marked ended for good, and the messages queued on its
 * input were dropped, the group stopping with status 0. It is started
 * again to drain them.
 */
TEST_F(grp, drain_during_reload_processes_the_queue)
{
	uint32_t *runs = runs_page(_metadata);

	ASSERT_NE(NULL, runs);
	self->g = group_new(_metadata, 5000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "in", NULL, 4));
	ASSERT_EQ(0, add_worker(self->g, "producer", three_messages,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "consumer",
		&(struct kipc_worker_attr){ .fn = late_consumer,
					    .arg = runs }));
	ASSERT_EQ(0, kipc_group_connect(self->g, "producer", "in",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "consumer", "in",
					KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_start(self->g));
	ASSERT_EQ(0, wait_ready(self->g, &runs[1]));
	ASSERT_EQ(0, kipc_group_reload(self->g));	/* stops the consumer */
	ASSERT_EQ(0, kipc_group_stop(self->g));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(3, runs[2])
		TH_LOG("messages the consumer's replacement drained; runs %u",
		       runs[0]);
	munmap(runs, 4096);
}

static void on_term(int sig)
{
}

/*
 * Sends on "out" until a send fails; -EINTR (the supervisor asked it to
 * stop) is a clean end. Its own SIGTERM handler restarts system calls
 * (SA_RESTART), as signal() installs it: a send blocked on a full queue
 * sees no -EINTR then, only its timeouts.
 */
static int restarting_producer(struct kipc_group_worker *w, void *arg)
{
	struct sigaction sa = { .sa_handler = on_term,
				.sa_flags = SA_RESTART };
	uint32_t *sends = arg;
	int ret;

	sigaction(SIGTERM, &sa, NULL);
	do {
		__atomic_add_fetch(sends, 1, __ATOMIC_SEQ_CST);
		ret = kipc_group_send(w, "out", "x", 1, NULL, 0, 0);
	} while (!ret);
	return ret == -EINTR ? 0 : 1;
}

/*
 * A producer blocked on a full queue must give up when the supervisor
 * asks it to stop, whatever its SIGTERM does. The old send loop looked at
 * the stop word only after -EINTR: it sent on until the drain's timeout
 * killed it (status -9, kipc_group_run() 1, after 3 s).
 */
TEST_F(grp, blocked_send_sees_the_stop)
{
	uint32_t *sends = runs_page(_metadata);
	struct pollfd pfd;
	struct timespec t0;
	long ms;
	int i;

	ASSERT_NE(NULL, sends);
	self->g = group_new(_metadata, 3000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "out", NULL, 1));
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "producer",
		&(struct kipc_worker_attr){ .fn = restarting_producer,
					    .arg = sends,
					    .restart = KIPC_RESTART_NEVER }));
	ASSERT_EQ(0, kipc_group_connect(self->g, "producer", "out",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_start(self->g));
	/* The second send blocks: the queue holds one message. */
	pfd = (struct pollfd){ .fd = kipc_group_fd(self->g), .events = POLLIN };
	for (i = 0; i < 500 && __atomic_load_n(sends, __ATOMIC_SEQ_CST) < 2;
	     i++) {
		ASSERT_LE(0, kipc_group_dispatch(self->g));
		poll(&pfd, 1, 10);
	}
	ASSERT_EQ(2, __atomic_load_n(sends, __ATOMIC_SEQ_CST));
	usleep(300000);		/* through a few of its 100 ms timeouts */
	ASSERT_EQ(0, kipc_group_stop(self->g));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	ms = ms_since(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(0, last_status(self->g, 0));
	EXPECT_GT(2000, ms) TH_LOG("the producer stopped %ld ms after the stop",
				   ms);
	munmap(sends, 4096);
}

#define BIG_ENV		20000	/* variables: setenv() scans them locked */

static int noise_stop;

/* Replaces the last variable's value for ever: the lock is nearly always held. */
static void *env_noise(void *arg)
{
	unsigned int i = 0;
	char v[16];

	while (!__atomic_load_n(&noise_stop, __ATOMIC_RELAXED)) {
		snprintf(v, sizeof(v), "%u", i++);
		setenv("GSUP_NOISE", v, 1);
	}
	return NULL;
}

/*
 * The child of a worker called setenv() after fork(): in a supervisor with
 * another thread in setenv() at that moment, the child inherited the
 * environment's lock held by nobody and hung for ever. The environment is
 * built before fork(). Here a thread keeps that lock held nearly always
 * (setenv() on a big environment) while four workers start.
 */
TEST_F(grp, child_environment_built_before_fork)
{
	char **saved = environ, **big;
	struct kipc_worker_attr wa = { .fn = exits_zero, .instances = 4,
				       .restart = KIPC_RESTART_NEVER };
	pthread_t th;
	unsigned int i;

	big = calloc(BIG_ENV + 2, sizeof(*big));
	ASSERT_NE(NULL, big);
	for (i = 0; i < BIG_ENV; i++)
		ASSERT_LT(0, asprintf(&big[i], "GSUP_%u=x", i));
	big[BIG_ENV] = "GSUP_NOISE=0";	/* last: each setenv() scans all */
	environ = big;
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "w", &wa));
	ASSERT_EQ(0, pthread_create(&th, NULL, env_noise, NULL));
	alarm(10);		/* the bug: a worker hangs in setenv() */
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	__atomic_store_n(&noise_stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	environ = saved;
}

/* One server's kipc_rpc_server_run() in a thread; @done set when it returns. */
struct serving {
	struct kipc_rpc_server *s;
	pthread_t th;
	int ret;
	int done;
};

static void *serve(void *arg)
{
	struct serving *sv = arg;

	sv->ret = kipc_rpc_server_run(sv->s);
	__atomic_store_n(&sv->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int serve_start(struct serving *sv)
{
	sv->done = 0;
	return pthread_create(&sv->th, NULL, serve, sv);
}

/* Whether @sv's run returned within @ms, joined if so. */
static int serve_returned(struct serving *sv, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < ms && !__atomic_load_n(&sv->done, __ATOMIC_ACQUIRE);
	     i++)
		usleep(1000);
	if (!__atomic_load_n(&sv->done, __ATOMIC_ACQUIRE))
		return 0;
	pthread_join(sv->th, NULL);
	return 1;
}

#define STOP_ONE_STOPPED_BOTH	(1 << 0)
#define STOP_ONE_MISSED		(1 << 1)
#define TERM_MISSED		(1 << 2)
#define TERM_NOT_FOR_EVER	(1 << 3)
#define TERM_LOST_FOR_B		(1 << 4)

/*
 * Two servers of service "svc" in one worker process. Exit status 0, a
 * STOP_ and TERM_ bit per check that failed, or 0x80 | what failed to set
 * up. A server that never stops fails here within 2 s per check, not by
 * hanging.
 */
static int two_servers_worker(struct kipc_group_worker *w, void *arg)
{
	struct serving a = { 0 }, b = { 0 };
	int bad = 0;

	if (kipc_group_worker_service(w, "svc", NULL, &a.s) ||
	    kipc_group_worker_service(w, "svc", NULL, &b.s))
		return 0x81;
	if (serve_start(&a) || serve_start(&b))
		return 0x82;
	usleep(50000);			/* both wait in epoll_wait() */
	if (kipc_rpc_server_stop(a.s))
		return 0x83;
	if (!serve_returned(&a, 2000) || a.ret)
		bad |= STOP_ONE_MISSED;
	if (serve_returned(&b, 200))
		bad |= STOP_ONE_STOPPED_BOTH;
	else if (raise(SIGTERM) || !serve_returned(&b, 2000))
		bad |= TERM_MISSED;
	/* A stop by SIGTERM is for ever: every later run returns at once. */
	if (serve_start(&a) || !serve_returned(&a, 2000))
		bad |= TERM_NOT_FOR_EVER;
	if (serve_start(&b) || !serve_returned(&b, 2000))
		bad |= TERM_LOST_FOR_B;
	/* A thread that never returned keeps its server: exit without them. */
	if (!(bad & (TERM_MISSED | TERM_NOT_FOR_EVER | TERM_LOST_FOR_B))) {
		kipc_rpc_server_destroy(a.s);
		kipc_rpc_server_destroy(b.s);
	}
	return bad;
}

/*
 * The servers of one service in one worker shared one stop eventfd, which
 * the first kipc_rpc_server_run() to return read back to 0: a SIGTERM
 * reached the servers whose workers waited at that moment, and a server
 * whose workers were busy (or that ran again) never stopped. And
 * kipc_rpc_server_stop() of one server stopped the others. Each server
 * now has its own stop eventfd; SIGTERM's stays readable for ever.
 */
TEST_F(grp, servers_of_one_service_stop_apart)
{
	ASSERT_EQ(0, run_one_server(_metadata, &self->g, two_servers_worker,
				    5000, 20));
	EXPECT_EQ(0, last_status(self->g, 0))
		TH_LOG("bits: 1 stop(a) stopped b, 2 stop(a) missed, 4 SIGTERM missed b, 8 a ran on after SIGTERM, 16 b did");
}

/*
 * Sends SIGINT to the supervisor's process group, as a terminal's Ctrl-C
 * does, then waits for the drain: 0 when it came, 100 when the signal
 * could not be sent, 101 when no stop came.
 */
static int interrupts_like_a_terminal(struct kipc_group_worker *w, void *arg)
{
	pid_t pgrp = getpgid(getppid());
	int i;

	if (pgrp <= 0 || kill(-pgrp, SIGINT))
		return 100;
	for (i = 0; i < 500 && !kipc_group_stopping(w); i++)
		usleep(10000);
	return kipc_group_stopping(w) ? 0 : 101;
}

/*
 * Workers shared the supervisor's process group: a terminal's Ctrl-C or
 * hang-up killed every worker at once (SIGINT's default action), with
 * whatever it held, instead of the supervisor's drain. Each worker has a
 * process group of its own; the signal reaches the supervisor only.
 */
TEST_F(grp, terminal_signals_reach_the_supervisor_only)
{
	struct kipc_group_attr ga = { .intensity = 3, .backoff_min_ms = 1,
				      .drain_timeout_ms = 5000,
				      .flags = KIPC_GROUP_SIGNALS };

	/* Our own group: the SIGINT must not reach the harness. */
	ASSERT_EQ(0, setpgid(0, 0));
	ASSERT_EQ(0, kipc_group_create("gsig", &ga, &self->g));
	ASSERT_EQ(0, add_worker(self->g, "w", interrupts_like_a_terminal,
				KIPC_RESTART_NEVER));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(0, last_status(self->g, 0))
		TH_LOG("-2: the worker died of the SIGINT; 101: no drain came");
}

/* 0 when fds 0-2 are /dev/null; else 1 + the first that is not. */
static int std_fds_are_dev_null(struct kipc_group_worker *w, void *arg)
{
	struct stat st;
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fstat(fd, &st) || !S_ISCHR(st.st_mode) ||
		    st.st_rdev != makedev(1, 3))
			return 1 + fd;
	return 0;
}

/*
 * A supervisor started with fds 0-2 closed put its own fds there (the
 * device, the control region, a channel end): its messages to stderr
 * went into them, and every worker inherited them as its stdio. They
 * are /dev/null now.
 */
TEST_F(grp, closed_std_fds_become_dev_null)
{
	int saved = dup(STDERR_FILENO), fd, ok;

	ASSERT_LE(0, saved);
	for (fd = 0; fd <= 2; fd++)
		close(fd);
	/* Nothing reports until stderr is back. */
	self->g = group_new(_metadata, 2000);
	ok = self->g && !kipc_group_add_channel(self->g, "out", NULL, 4) &&
	     !add_worker(self->g, "w", std_fds_are_dev_null,
			 KIPC_RESTART_NEVER) &&
	     !kipc_group_connect(self->g, "w", "out", KIPC_GROUP_OUT);
	alarm(10);
	if (ok)
		kipc_group_run(self->g);
	alarm(0);
	dup2(saved, STDOUT_FILENO);
	dup2(saved, STDERR_FILENO);
	ASSERT_TRUE(ok);
	EXPECT_EQ(0, last_status(self->g, 0))
		TH_LOG("1 + the first of fds 0-2 that is not /dev/null");
}

#define NAME_31 "c234567890123456789012345678901"

/* 0 when a longer name is not the channel it starts with; else 1 or 2. */
static int sends_by_name(struct kipc_group_worker *w, void *arg)
{
	if (kipc_group_send(w, NAME_31 "x", "m", 1, NULL, 0, 0) != -ENOENT)
		return 1;
	if (kipc_group_send(w, NAME_31, "m", 1, NULL, 0, 0))
		return 2;
	return 0;
}

/*
 * A worker found a channel, region or service by the first 31 bytes of
 * the name it asked for: a longer name was the one it starts with.
 */
TEST_F(grp, longer_name_is_not_its_prefix)
{
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, NAME_31, NULL, 4));
	ASSERT_EQ(0, add_worker(self->g, "w", sends_by_name,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_connect(self->g, "w", NAME_31,
					KIPC_GROUP_OUT));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(0, last_status(self->g, 0))
		TH_LOG("1: the longer name was found; 2: the name itself was not");
}

/* Sends on "out" for a second, never blocked (a consumer drains it). */
static int sending_source(struct kipc_group_worker *w, void *arg)
{
	struct timespec t0, t;
	uint32_t n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (kipc_group_send(w, "out", &n, sizeof(n), NULL, 0, 0))
			return 10;
		n++;
		usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 +
		 (t.tv_nsec - t0.tv_nsec) / 1000000 < 2500);
	return 0;
}

static int draining_consumer(struct kipc_group_worker *w, void *arg)
{
	struct kipc_group_msg m;
	int ret;

	while ((ret = kipc_group_recv(w, "out", &m)) == 1)
		kipc_group_ack(w);
	return ret < 0 ? 1 : 0;
}

/* Forks a child that waits for ever, tells its pid in @arg, never beats. */
static int hung_with_a_child(struct kipc_group_worker *w, void *arg)
{
	uint32_t *pid = arg;
	pid_t c;

	(void)w;
	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	if (c < 0)
		return 1;
	__atomic_store_n(pid, c, __ATOMIC_RELEASE);
	for (;;)
		pause();
}

/* Is process @pid gone, or a zombie, within @ms? */
static int gone_within(pid_t pid, unsigned int ms)
{
	char path[64], st[256], *p;
	FILE *f;

	for (; ms; ms -= 10) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "re");
		if (!f)
			return 1;
		p = fgets(st, sizeof(st), f) ? strrchr(st, ')') : NULL;
		fclose(f);
		if (p && p[1] == ' ' && p[2] == 'Z')
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * The watchdog kills a hung worker and what it started with it: only the
 * worker was killed, and its child lived on with the slot's mapping and
 * the worker's channel ends, a second holder of the lease the
 * replacement got.
 */
TEST(watchdog_kills_what_the_worker_started)
{
	uint32_t *pid = runs_page(_metadata);
	struct kipc_group *g;
	int gone;

	ASSERT_NE(NULL, pid);
	g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, kipc_group_add_worker(g, "w",
		&(struct kipc_worker_attr){ .fn = hung_with_a_child, .arg = pid,
					    .watchdog_ms = 200,
					    .restart = KIPC_RESTART_NEVER }));
	alarm(10);
	EXPECT_NE(0, kipc_group_run(g));
	alarm(0);
	kipc_group_destroy(g);
	ASSERT_NE(0, __atomic_load_n(pid, __ATOMIC_ACQUIRE));
	gone = gone_within(*pid, 2000);
	if (!gone)
		kill(*pid, SIGKILL);	/* not reaped: still the child's pid */
	EXPECT_TRUE(gone) TH_LOG("the hung worker's child %u outlived it",
				 *pid);
	munmap(pid, 4096);
}

/*
 * A source with a watchdog of 1 s that only sends, for 2.5 s, and whose
 * sends never block: a send beats. Up to 4b3e10b only a blocked send
 * beat, and the watchdog killed the source again and again until the
 * group failed. (300 ms, as it was, is a stall a shared host can give a
 * guest's vCPU with no bug.)
 */
TEST_F(grp, a_sending_source_beats)
{
	struct kipc_worker_attr wa = { .fn = sending_source, .watchdog_ms = 1000 };
	struct kipc_group_member m;

	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "out", NULL, 256));
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "source", &wa));
	ASSERT_EQ(0, add_worker(self->g, "sink", draining_consumer,
				KIPC_RESTART_ON_FAILURE));
	ASSERT_EQ(0, kipc_group_connect(self->g, "source", "out",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "sink", "out",
					KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_start(self->g));
	alarm(15);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	ASSERT_EQ(0, kipc_group_member_info(self->g, 0, &m));
	EXPECT_EQ(0, m.restarts) TH_LOG("the watchdog killed the source %u times (last status %d)",
					 m.restarts, m.last_status);
	EXPECT_EQ(0, m.last_status);
}

#ifndef P_PIDFD
#define P_PIDFD		3
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif
#ifndef SYS_close_range
#define SYS_close_range	436
#endif
#if defined(__x86_64__)
#define SECCOMP_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH	AUDIT_ARCH_AARCH64
#endif

/*
 * Makes system call @nr fail with @err in this process and the children
 * it forks from now on (a seccomp filter; each test runs in a process of
 * its own), only when its first argument is @arg0 unless that is -1: an
 * older kernel, as the library sees it. 0, or -1 without seccomp.
 */
static int syscall_refused(long nr, long arg0, int err)
{
#ifdef SECCOMP_ARCH
	struct sock_filter f[10];
	struct sock_fprog prog = { .filter = f };
	unsigned int n = 0;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		SECCOMP_ARCH, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr,
		1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	if (arg0 >= 0) {	/* its low 32 bits (little-endian) */
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, args[0]));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
			BPF_K, arg0, 1, 0);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_ALLOW);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ERRNO | err);
	prog.len = n;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -1;
	return 0;
#else
	return -1;
#endif
}

/*
 * How long the tracer holds the zombie: destroy must not wait for it (a
 * bound of half of it), and a supervisor that spun through it would use
 * nearly all of it in CPU (a bound of half of the shorter one, so that
 * the bound is what it was with 1 s).
 */
#define HOLD_MS		1000
#define SPIN_HOLD_MS	500

/* Returns once the tracer has attached (*@arg 1) or failed to (2). */
static int waits_for_tracer(struct kipc_group_worker *w, void *arg)
{
	int i;

	for (i = 0; i < 5000 && !__atomic_load_n((uint32_t *)arg,
						 __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	return 0;
}

/*
 * In a child: traces @pid, and once it has exited holds its zombie for
 * @hold_ms (WNOWAIT leaves it unreaped, and only its tracer may reap it
 * first), then releases it to its parent, the supervisor. Exits 0, or 1
 * when it may not trace it.
 */
static void __attribute__((noreturn)) zombie_holder(pid_t pid, uint32_t *up,
						    unsigned int hold_ms)
{
	siginfo_t si;
	int st;

	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL)) {
		__atomic_store_n(up, 2, __ATOMIC_SEQ_CST);
		_exit(1);
	}
	__atomic_store_n(up, 1, __ATOMIC_SEQ_CST);
	if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT))
		_exit(2);
	usleep(hold_ms * 1000);
	_exit(waitpid(pid, &st, __WALL) == pid ? 0 : 3);
}

/*
 * A started group of one worker @fn (arg @up), and in *@tracer a child
 * that traces it and holds its zombie @hold_ms (zombie_holder()); its pid
 * in *@worker. NULL on failure.
 */
static struct kipc_group *traced_group(struct __test_metadata *_metadata,
				       kipc_group_fn fn, uint32_t *up,
				       unsigned int hold_ms, pid_t *worker,
				       pid_t *tracer)
{
	struct kipc_group_member m;
	struct kipc_group *g = group_new(_metadata, 2000);

	if (!g)
		return NULL;
	if (kipc_group_add_worker(g, "w",
		&(struct kipc_worker_attr){ .fn = fn, .arg = up,
					    .restart = KIPC_RESTART_NEVER }) ||
	    kipc_group_start(g) || kipc_group_member_info(g, 0, &m) ||
	    m.pid <= 0 || (*tracer = fork()) < 0) {
		kipc_group_destroy(g);
		return NULL;
	}
	if (*tracer == 0)
		zombie_holder(m.pid, up, hold_ms);
	*worker = m.pid;
	return g;
}

/*
 * A worker that exited while another process traced it stays a zombie
 * that only its tracer may reap first: its pidfd was readable, waitid()
 * found nothing to reap, and the supervisor went round its loop at 100%
 * of a CPU until the tracer let go. It looks again every 100 ms instead.
 * (This test, the two below and watchdog_kills_what_the_worker_started
 * above are TEST()s: as TEST_F()s, gcc's -Wclobbered flags a variable of
 * the harness's fixture wrapper.)
 */
TEST(traced_zombie_does_not_spin)
{
	uint32_t *up = runs_page(_metadata);
	struct kipc_group *g;
	struct timespec t0;
	pid_t tracer, worker;
	long cpu;
	int st;

	ASSERT_NE(NULL, up);
	g = traced_group(_metadata, waits_for_tracer, up, SPIN_HOLD_MS,
			 &worker, &tracer);
	ASSERT_NE(NULL, g);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	alarm(10);		/* SPIN_HOLD_MS, then the worker is reaped */
	EXPECT_EQ(0, kipc_group_run(g));
	alarm(0);
	cpu = ms_since(CLOCK_THREAD_CPUTIME_ID, &t0);
	ASSERT_EQ(tracer, waitpid(tracer, &st, 0));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 1) {
		kipc_group_destroy(g);
		SKIP(return, "cannot ptrace the worker");
	}
	EXPECT_EQ(0, st);
	EXPECT_EQ(0, last_status(g, 0));
	EXPECT_GT(SPIN_HOLD_MS / 2, cpu)
		TH_LOG("the supervisor used %ld ms of CPU while a tracer held its worker's zombie for %d ms",
		       cpu, SPIN_HOLD_MS);
	kipc_group_destroy(g);
	munmap(up, 4096);
}

/* Waits for ever once the tracer has attached (*@arg 1) or failed to (2). */
static int __attribute__((noreturn))
traced_then_waits(struct kipc_group_worker *w, void *arg)
{
	waits_for_tracer(w, arg);
	for (;;)
		pause();
}

/*
 * Destroy kills a worker a tracer has attached to: the tracer holds its
 * zombie HOLD_MS, and destroy waited all that time (a debugger at its
 * prompt: for ever). It leaves the zombie, which comes back to this
 * process when the tracer lets go, to be reaped here.
 */
TEST(destroy_does_not_wait_for_a_tracer)
{
	uint32_t *up = runs_page(_metadata);
	struct kipc_group *g;
	struct timespec t0;
	pid_t tracer, worker;
	int i, st;
	long took;

	ASSERT_NE(NULL, up);
	g = traced_group(_metadata, traced_then_waits, up, HOLD_MS, &worker,
			 &tracer);
	ASSERT_NE(NULL, g);
	for (i = 0; i < 5000 && !__atomic_load_n(up, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	if (__atomic_load_n(up, __ATOMIC_SEQ_CST) != 1) {
		kipc_group_destroy(g);
		waitpid(tracer, &st, 0);
		SKIP(return, "cannot ptrace the worker");
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alarm(10);
	kipc_group_destroy(g);
	alarm(0);
	took = ms_since(CLOCK_MONOTONIC, &t0);
	EXPECT_GT(HOLD_MS / 2, took)
		TH_LOG("destroy waited %ld ms for the tracer", took);
	ASSERT_EQ(tracer, waitpid(tracer, &st, 0));
	EXPECT_EQ(0, st);
	/* Let go by the tracer, the worker's zombie is this process's. */
	EXPECT_EQ(worker, waitpid(worker, &st, 0));
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	munmap(up, 4096);
}

/* 0 when no fd @arg lists (up to -1) is open; else 1 + its index. */
static int holds_none_of(struct kipc_group_worker *w, void *arg)
{
	const int *fds = arg;
	int i;

	for (i = 0; fds[i] >= 0; i++)
		if (fcntl(fds[i], F_GETFD) >= 0)
			return 1 + i;
	return 0;
}

static const int planted[] = { 100, 900, -1 };

/*
 * Plants fds 100 and 900 in the supervisor and refuses close_range() as
 * before Linux 5.9; with @no_listing, getdents64() too (as without
 * /proc), and the soft fd limit lowered below the second. (The
 * supervisor's own fds are close-on-exec, which does nothing for a
 * function worker: it does not exec.) 0, or -1 without seccomp.
 */
static int plant_and_refuse(struct __test_metadata *_metadata, int no_listing)
{
	struct rlimit rl;
	int fd = open("/dev/null", O_RDONLY);

	EXPECT_LE(0, fd);
	EXPECT_EQ(100, dup2(fd, 100));
	EXPECT_EQ(900, dup2(fd, 900));
	close(fd);
	if (syscall_refused(SYS_close_range, -1, ENOSYS) ||
	    (no_listing && syscall_refused(SYS_getdents64, -1, ENOSYS)))
		return -1;
	if (no_listing) {
		EXPECT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
		rl.rlim_cur = 512;
		EXPECT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	}
	return 0;
}

/* A worker of @g checks that it holds no planted fd. */
static void planted_fds_closed(struct __test_metadata *_metadata,
			       struct kipc_group *g)
{
	ASSERT_EQ(0, kipc_group_add_worker(g, "w",
		&(struct kipc_worker_attr){ .fn = holds_none_of,
					    .arg = (void *)planted,
					    .restart = KIPC_RESTART_NEVER }));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(g));
	alarm(0);
	EXPECT_EQ(0, last_status(g, 0))
		TH_LOG("1 + the index of the planted fd (100, 900) the worker held");
}

/*
 * A function worker's child closed the fds it must not hold with
 * close_range() only, its failure ignored: on a kernel without it, every
 * fd of the supervisor's stayed open in every worker (a consumer holding
 * the send end of its own input never sees its end). The fds /proc lists
 * are closed instead.
 */
TEST(fds_closed_without_close_range)
{
	struct kipc_group *g;

	if (plant_and_refuse(_metadata, 0))
		SKIP(return, "no seccomp filter");
	g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, g);
	planted_fds_closed(_metadata, g);
	kipc_group_destroy(g);
}

/* Nor /proc: every fd number below the hard limit. */
TEST(fds_closed_without_close_range_or_listing)
{
	struct kipc_group *g;

	if (plant_and_refuse(_metadata, 1))
		SKIP(return, "no seccomp filter");
	g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, g);
	planted_fds_closed(_metadata, g);
	kipc_group_destroy(g);
}

/*
 * Drops root, says so with its pid in @arg[0], then waits up to 10 s to
 * be asked to stop: @arg[1] is 1 when it was, 2 when not.
 */
static int drops_root(struct kipc_group_worker *w, void *arg)
{
	uint32_t *page = arg;
	int i;

	if (setresuid(65534, 65534, 65534))
		return 10;
	__atomic_store_n(&page[0], getpid(), __ATOMIC_SEQ_CST);
	for (i = 0; i < 1000 && !kipc_group_stopping(w); i++)
		usleep(10000);
	__atomic_store_n(&page[1], kipc_group_stopping(w) ? 1 : 2,
			 __ATOMIC_SEQ_CST);
	return 0;
}

/* A supervisor of one worker @fn(@arg), in a child: its exit status. */
static int supervise_one(kipc_group_fn fn, void *arg)
{
	struct kipc_group *g;
	int ret;

	if (kipc_group_create("gone", NULL, &g) ||
	    kipc_group_add_worker(g, "w", &(struct kipc_worker_attr){
				  .fn = fn, .arg = arg,
				  .restart = KIPC_RESTART_NEVER }))
		return 100;
	ret = kipc_group_run(g);
	kipc_group_destroy(g);
	return ret < 0 ? 101 : ret;
}

/*
 * The kernel clears PR_SET_PDEATHSIG when a process's credentials change
 * (a worker that drops root, a set-id exec): such a worker never heard of
 * its supervisor's death and ran on, orphaned. The lifeline's SIGTERM
 * reaches it.
 */
TEST(supervisor_death_reaches_a_worker_that_dropped_root)
{
	uint32_t *page;
	pid_t sup, worker;
	int i;

	if (geteuid())
		SKIP(return, "needs root, to drop it");
	page = runs_page(_metadata);
	ASSERT_NE(NULL, page);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1)); /* its orphan */
	sup = fork();
	ASSERT_LE(0, sup);
	if (sup == 0)
		_exit(supervise_one(drops_root, page));
	for (i = 0; i < 500 && !__atomic_load_n(&page[0], __ATOMIC_SEQ_CST);
	     i++)
		usleep(10000);
	worker = __atomic_load_n(&page[0], __ATOMIC_SEQ_CST);
	kill(sup, SIGKILL);
	waitpid(sup, NULL, 0);
	ASSERT_LT(0, worker) TH_LOG("the worker never dropped root");
	for (i = 0; i < 300 && !__atomic_load_n(&page[1], __ATOMIC_SEQ_CST);
	     i++)
		usleep(10000);
	EXPECT_EQ(1, __atomic_load_n(&page[1], __ATOMIC_SEQ_CST))
		TH_LOG("0: no SIGTERM within 3 s of the supervisor's death");
	kill(worker, SIGKILL);
	waitpid(worker, NULL, 0);
	munmap(page, 4096);
}

/* The group as a callback finds it: what is wrong, the first time. */
static unsigned int nr_events, nr_inconsistent;
static char first_inconsistent[300];

static void inconsistent(const struct kipc_group_event *ev, const char *what,
			 unsigned int idx)
{
	if (!nr_inconsistent++)
		snprintf(first_inconsistent, sizeof(first_inconsistent),
			 "\"%s\": member %u %s", ev->text, idx, what);
}

/*
 * What a complete transition leaves: a member has a process while, and
 * only while, it runs or stops; a failed group has asked every member
 * to stop and starts none.
 */
static void check_group(struct kipc_group *g, const struct kipc_group_event *ev,
			void *arg)
{
	int failed = kipc_group_state(g, NULL) == KIPC_GROUP_FAILED;
	struct kipc_group_member m;
	unsigned int i;

	nr_events++;
	for (i = 0; !kipc_group_member_info(g, i, &m); i++) {
		int alive = m.state == KIPC_MEMBER_RUNNING ||
			    m.state == KIPC_MEMBER_STOPPING;

		if (alive != (m.pid != 0))
			inconsistent(ev, alive ? "runs without a pid" :
					     "has a pid and no process", i);
		if (failed && (m.state == KIPC_MEMBER_RUNNING ||
			       m.state == KIPC_MEMBER_STARTING))
			inconsistent(ev, "runs on in a failed group", i);
	}
}

static int exits_three(struct kipc_group_worker *w, void *arg)
{
	return 3;
}

/* A source that runs until it is asked to stop. */
static int runs_until_stopped(struct kipc_group_worker *w, void *arg)
{
	while (!kipc_group_stopping(w))
		usleep(1000);
	return 0;
}

/*
 * The notify callback ran midway through a transition: a member that
 * exited still running, without a pid; a group failed, its members not
 * yet told to stop (kipc-run's state file, written from the callback,
 * showed that). It runs once the call that made the transition is done.
 */
TEST_F(grp, notify_sees_complete_transitions)
{
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, add_worker(self->g, "crasher", exits_three,
				KIPC_RESTART_ON_FAILURE));
	ASSERT_EQ(0, add_worker(self->g, "source", runs_until_stopped,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_set_notify(self->g, check_group, NULL));
	alarm(10);
	EXPECT_EQ(1, kipc_group_run(self->g));	/* the intensity */
	alarm(0);
	EXPECT_EQ(KIPC_GROUP_FAILED, kipc_group_state(self->g, NULL));
	EXPECT_LT(0, nr_events);
	EXPECT_EQ(0, nr_inconsistent)
		TH_LOG("%u of %u events saw the group midway, the first %s",
		       nr_inconsistent, nr_events, first_inconsistent);
}

/*
 * A consumer with restart "always" that drained its input to the end and
 * exited 0 was started again, saw the end again, and so on: the group
 * failed on the intensity (or, with room for it, never stopped). A
 * consumer whose inputs ended and that exited 0 is done.
 */
TEST_F(grp, always_consumer_done_at_end_of_input)
{
	struct kipc_group_member m;

	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "in", NULL, 4));
	ASSERT_EQ(0, add_worker(self->g, "producer", three_messages,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, add_worker(self->g, "consumer", idle_consumer,
				KIPC_RESTART_ALWAYS));
	ASSERT_EQ(0, kipc_group_connect(self->g, "producer", "in",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "consumer", "in",
					KIPC_GROUP_IN));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(KIPC_GROUP_STOPPED, kipc_group_state(self->g, NULL));
	ASSERT_EQ(0, kipc_group_member_info(self->g, 1, &m));
	EXPECT_EQ(0, m.restarts);
	EXPECT_EQ(0, m.last_status);
}

/*
 * The hand-on tests: HAND_N messages, each with its sequence number in its
 * bytes and in a buffer of "ra", go through a pool of two instances that
 * never restart; the first instance to receive seq @dies dies holding it.
 * Shared between the test's workers (a page of the test's):
 */
#define HAND_N		12
struct hand {
	uint32_t dies;			/* the sequence number held by the dead */
	uint32_t late_ms;		/* the second instance's sleep at start */
	uint32_t started;		/* instances started */
	uint32_t died;			/* an instance died holding @dies */
	uint32_t seen[HAND_N + 1];	/* the sink's count per sequence number */
	uint32_t all_seen;		/* the sink has seen every one */
};

/*
 * Sends seqs 1..HAND_N on "in", then stays (a sender that ended would
 * close "in" for its end of stream) until the sink has seen them all, at
 * most 10 s: 0, or 1 on a timeout, 2-3 on a failed send.
 */
static int hand_producer(struct kipc_group_worker *w, void *arg)
{
	struct kipc_region *r = kipc_group_worker_region(w, "ra");
	struct hand *h = arg;
	struct kipc_buf_ref ref = { .len = sizeof(uint64_t) };
	uint64_t seq, off;
	int i;

	for (seq = 1; seq <= HAND_N; seq++) {
		if (!r || kipc_buf_alloc(r, &off))
			return 2;
		memcpy(kipc_buf_ptr(r, off), &seq, sizeof(seq));
		ref.offset = off;
		if (kipc_group_send(w, "in", &seq, sizeof(seq), &ref, 1, seq))
			return 3;
	}
	for (i = 0; i < 1000 && !__atomic_load_n(&h->all_seen, __ATOMIC_ACQUIRE);
	     i++)
		usleep(10000);
	return h->all_seen ? 0 : 1;
}

/*
 * An instance of the pool: each message's sequence number, as its bytes
 * and its buffer say, on to "out"; the first to hold h->dies exits
 * without acknowledging it (status 7). The second to start sleeps
 * h->late_ms first. 4-6: what it got was not whole.
 */
static int hand_instance(struct kipc_group_worker *w, void *arg)
{
	struct hand *h = arg;
	struct kipc_group_msg m;
	uint64_t seq, in_buf;
	int ret;

	if (__atomic_fetch_add(&h->started, 1, __ATOMIC_SEQ_CST) == 1)
		usleep(h->late_ms * 1000);

	while ((ret = kipc_group_recv(w, "in", &m)) == 1) {
		if (m.data_len != sizeof(seq) || m.nr_bufs != 1 || !m.region)
			return 4;
		memcpy(&seq, m.data, sizeof(seq));
		memcpy(&in_buf, kipc_buf_ptr(m.region, m.bufs[0].offset),
		       sizeof(in_buf));
		if (seq != m.seq || in_buf != seq)
			return 5;
		if (seq == h->dies &&
		    !__atomic_exchange_n(&h->died, 1, __ATOMIC_SEQ_CST))
			_exit(7);
		if (kipc_group_send(w, "out", &seq, sizeof(seq), NULL, 0, seq))
			return 6;
		kipc_group_ack(w);
	}
	return ret < 0 ? 8 : 0;
}

/* Counts what "out" brings until its end: 0 when each seq came once or more. */
static int hand_sink(struct kipc_group_worker *w, void *arg)
{
	struct hand *h = arg;
	struct kipc_group_msg m;
	uint64_t seq;
	int ret, i, missing;

	while ((ret = kipc_group_recv(w, "out", &m)) == 1) {
		memcpy(&seq, m.data, sizeof(seq));
		if (m.data_len == sizeof(seq) && seq >= 1 && seq <= HAND_N)
			h->seen[seq]++;
		kipc_group_ack(w);
		for (missing = 0, i = 1; i <= HAND_N; i++)
			missing += !h->seen[i];
		if (!missing)
			__atomic_store_n(&h->all_seen, 1, __ATOMIC_RELEASE);
	}
	return ret < 0 ? 20 : h->all_seen ? 0 : 21;
}

/*
 * Runs the hand-on group: "in" of @depth, @h's instance dying holding
 * h->dies; checks that the sink saw every message.
 */
static void hand_run(struct __test_metadata *_metadata, struct kipc_group **gp,
		     struct hand *h, uint32_t depth)
{
	struct kipc_worker_attr pool = {
		.fn = hand_instance, .arg = h,
		.restart = KIPC_RESTART_NEVER, .instances = 2,
	};
	struct kipc_worker_attr wa = {
		.restart = KIPC_RESTART_NEVER, .arg = h,
	};
	struct kipc_group *g = group_new(_metadata, 2000);
	int i, missing;

	*gp = g;
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, kipc_group_add_region(g, "ra", 16 * 4096, 4096));
	ASSERT_EQ(0, kipc_group_add_channel(g, "in", "ra", depth));
	ASSERT_EQ(0, kipc_group_add_channel(g, "out", NULL, HAND_N));
	wa.fn = hand_producer;
	ASSERT_EQ(0, kipc_group_add_worker(g, "producer", &wa));
	ASSERT_EQ(0, kipc_group_add_worker(g, "pool", &pool));
	wa.fn = hand_sink;
	ASSERT_EQ(0, kipc_group_add_worker(g, "sink", &wa));
	ASSERT_EQ(0, kipc_group_connect(g, "producer", "in", KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(g, "pool", "in", KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_connect(g, "pool", "out", KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(g, "sink", "out", KIPC_GROUP_IN));
	alarm(30);
	EXPECT_EQ(7, kipc_group_run(g)) TH_LOG("the instance that died");
	alarm(0);
	EXPECT_EQ(1, h->died);
	for (missing = 0, i = HAND_N; i >= 1; i--)
		if (!h->seen[i])
			missing = i;
	EXPECT_EQ(0, missing) TH_LOG("seq %d never reached the sink", missing);
	EXPECT_EQ(0, last_status(g, 0)) TH_LOG("the producer: 1 is a timeout");
	EXPECT_EQ(0, last_status(g, 3)) TH_LOG("the sink");
}

static struct hand *hand_page(struct __test_metadata *_metadata)
{
	struct hand *h = mmap(NULL, sizeof(*h), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	EXPECT_NE(MAP_FAILED, h);
	if (h == MAP_FAILED)
		return NULL;
	memset(h, 0, sizeof(*h));
	return h;
}

/*
 * An instance of a pool that never restarts dies holding a message: no
 * replacement reads its lease, so the message stayed in its slot for
 * good, with its buffer, and no other instance ever got it. The
 * supervisor now sends it back on its channel, bytes, buffer and sequence
 * number, and the other instance takes it.
 */
TEST_F(grp, message_held_by_an_instance_that_ends_for_good_goes_on)
{
	struct hand *h = hand_page(_metadata);

	ASSERT_NE(NULL, h);
	h->dies = 3;
	hand_run(_metadata, &self->g, h, HAND_N);
	munmap(h, sizeof(*h));
}

/*
 * The same with the channel full when the instance dies (depth 2, the
 * producer blocked on it, the other instance asleep for a second): the
 * supervisor does not wait in its loop; the lease waits, the channel is
 * kept open for it, and the message goes once there is room. A send
 * that waited a tick gave up and lost it.
 */
TEST_F(grp, held_message_waits_for_room_on_a_full_channel)
{
	struct hand *h = hand_page(_metadata);

	ASSERT_NE(NULL, h);
	h->dies = 1;
	h->late_ms = 1000;
	hand_run(_metadata, &self->g, h, 2);
	munmap(h, sizeof(*h));
}

/* Bits of corrupted_service()'s status: what it served, corrupted. */
#define BAD_SVC_INLINE	(1 << 0)	/* the service's max_inline */
#define BAD_SVC_DEPTH	(1 << 1)	/* its depth */
#define BAD_SVC_CLEAN	(1 << 2)	/* restored, it does not serve */

/* kipc_group_worker_service() of "svc": -EPROTO is what is expected. */
static int serve_corrupted(struct kipc_group_worker *w)
{
	struct kipc_rpc_server *s;
	int ret = kipc_group_worker_service(w, "svc", NULL, &s);

	if (!ret)
		kipc_rpc_server_destroy(s);
	return ret;
}

/*
 * Writes shapes of service "svc" out of bounds into the control region,
 * as a compromised worker could, and tries to serve it.
 */
static int corrupted_service(struct kipc_group_worker *w, void *arg)
{
	static const uint32_t inlines[] = {
		1, KGRP_SVC_INLINE_MIN - 1, 65537, UINT32_MAX,
	};
	struct kgrp_ctl *ctl;
	uint32_t saved;
	unsigned int i;
	int bad = 0;

	if (!own_slot(w, &ctl))
		return 0xff;
	saved = ctl->svcs[0].max_inline;
	for (i = 0; i < sizeof(inlines) / sizeof(inlines[0]); i++) {
		ctl->svcs[0].max_inline = inlines[i];
		if (serve_corrupted(w) != -EPROTO)
			bad |= BAD_SVC_INLINE;
	}
	ctl->svcs[0].max_inline = saved;
	saved = ctl->svcs[0].depth;
	ctl->svcs[0].depth = (uint32_t)INT32_MAX + 1;
	if (serve_corrupted(w) != -EPROTO)
		bad |= BAD_SVC_DEPTH;
	ctl->svcs[0].depth = saved;
	if (serve_corrupted(w))
		bad |= BAD_SVC_CLEAN;
	return bad;
}

/*
 * A service's depth and inline size came from the control region, which
 * every worker writes, unchecked into the worker's RPC server: the server
 * took buffers of any size, and announced what every client refuses. Out
 * of bounds, kipc_group_worker_service() is -EPROTO.
 */
TEST_F(grp, corrupted_service_shape_is_eproto)
{
	ASSERT_NE(INT32_MIN, run_one_server(_metadata, &self->g,
					    corrupted_service, 2000, 10));
	EXPECT_EQ(0, last_status(self->g, 0))
		TH_LOG("bits: 1 a max_inline out of bounds served, 2 a depth, 4 the good one not");
}

/*
 * A restart's backoff whose minimum is above its maximum (as given, or
 * above the default maximum) shrank as it "doubled". Runs on the host
 * too: the attributes are checked before /dev/kipc is opened.
 */
TEST(bad_group_parameters_are_einval)
{
	struct kipc_group *g = NULL;

	EXPECT_EQ(-EINVAL, kipc_group_create("gbad",
		&(struct kipc_group_attr){ .backoff_min_ms = 500,
					   .backoff_max_ms = 100 }, &g));
	EXPECT_EQ(-EINVAL, kipc_group_create("gbad",
		&(struct kipc_group_attr){ .backoff_min_ms = 2000 }, &g))
		TH_LOG("above the default maximum, 1000 ms");
	EXPECT_EQ(NULL, g);
}

/*
 * A watchdog shorter than twice the beat of a waiting worker killed idle
 * workers; a service inline size too small for the RPC protocol made
 * every worker's kipc_group_worker_service() fail.
 */
TEST_F(grp, bad_worker_and_service_parameters_are_einval)
{
	struct kipc_worker_attr wa = { .fn = exits_zero, .watchdog_ms = 50 };

	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	EXPECT_EQ(-EINVAL, kipc_group_add_worker(self->g, "w", &wa));
	wa.watchdog_ms = KGRP_WATCHDOG_MIN_MS - 1;
	EXPECT_EQ(-EINVAL, kipc_group_add_worker(self->g, "w", &wa));
	wa.watchdog_ms = KGRP_WATCHDOG_MIN_MS;
	EXPECT_EQ(0, kipc_group_add_worker(self->g, "w", &wa));
	EXPECT_EQ(-EINVAL, kipc_group_add_service(self->g, "s", 0600,
		&(struct kipc_service_attr){ .max_inline = 16 }));
	EXPECT_EQ(-EINVAL, kipc_group_add_service(self->g, "s", 0600,
		&(struct kipc_service_attr){
			.max_inline = KGRP_SVC_INLINE_MIN - 1 }));
}

/*
 * Before Linux 5.4 waitid() has no P_PIDFD (EINVAL): every worker counted
 * as reaped by someone else, status 255, and stayed a zombie. It is
 * reaped by its pid then, with its status.
 */
TEST_F(grp, waitid_without_p_pidfd_reaps_by_pid)
{
	if (syscall_refused(SYS_waitid, P_PIDFD, EINVAL))
		SKIP(return, "no seccomp filter");
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, add_worker(self->g, "w", exits_three,
				KIPC_RESTART_NEVER));
	alarm(10);
	EXPECT_EQ(3, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(3, last_status(self->g, 0))
		TH_LOG("255: taken for a worker someone else reaped");
}

/*
 * Before Linux 5.3 there is no pidfd_open(): every start forked a worker,
 * could not watch it, killed it and tried again 100 ms later, for ever
 * and silently. kipc_group_start() fails with -ENOSYS.
 */
TEST_F(grp, start_without_pidfd_open_is_enosys)
{
	if (syscall_refused(SYS_pidfd_open, -1, ENOSYS))
		SKIP(return, "no seccomp filter");
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, add_worker(self->g, "w", exits_zero, KIPC_RESTART_NEVER));
	EXPECT_EQ(-ENOSYS, kipc_group_start(self->g));
}

/* Counts the notify texts that hold the string at @arg's start. */
struct texts {
	const char *want;
	int seen;
};

static void count_texts(struct kipc_group *g, const struct kipc_group_event *ev,
			void *arg)
{
	struct texts *t = arg;

	if (ev->text && strstr(ev->text, t->want))
		t->seen++;
}

/*
 * Writes a held lease into its slot naming channel "other" (it has no end
 * of it; its one receiver never receives) with bytes of its own, then
 * exits 0 (the slot is not started again).
 */
static int forges_a_lease(struct kipc_group_worker *w, void *arg)
{
	struct kgrp_slot *sl = own_slot(w, NULL);
	struct kgrp_ctl *ctl;

	if (!sl || !own_slot(w, &ctl))
		return 2;
	memcpy(sl->data, "forged", 6);
	sl->msg.data_len = 6;
	sl->msg.nr_bufs = 0;
	sl->msg.tag = 77;
	sl->lease_chan = 1;	/* "other" */
	kgrp_store(&sl->lease, KGRP_LEASE_HELD);
	return 0;
}

/*
 * The supervisor hands on the lease of a slot that ended for good: a
 * worker could write one naming any channel of the group, and have the
 * supervisor send its bytes there, a channel it has no end of. Such a
 * lease is reported lost and nothing is sent.
 */
TEST_F(grp, forged_lease_is_not_handed_on)
{
	struct texts t = { .want = "seq 77 lost" };
	struct kipc_group_channel ci;
	struct kipc_group_member m;
	int i;

	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "in", NULL, 4));
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "other", NULL, 4));
	ASSERT_EQ(0, add_worker(self->g, "w", forges_a_lease,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, add_worker(self->g, "r", runs_until_stopped,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_connect(self->g, "w", "in", KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_connect(self->g, "r", "other",
					KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_set_notify(self->g, count_texts, &t));
	ASSERT_EQ(0, kipc_group_start(self->g));
	for (i = 0; i < 1000; i++) {	/* until "w" has ended: 10 s */
		ASSERT_LE(0, kipc_group_dispatch(self->g));
		if (!kipc_group_member_info(self->g, 0, &m) &&
		    m.state == KIPC_MEMBER_EXITED)
			break;
		usleep(10000);
	}
	ASSERT_EQ(KIPC_MEMBER_EXITED, m.state);
	ASSERT_EQ(0, kipc_group_channel_info(self->g, 1, &ci));
	EXPECT_EQ(0, ci.queued) TH_LOG("the forged message was sent on \"other\"");
	EXPECT_EQ(1, t.seen) TH_LOG("no \"%s\" notice", t.want);
}

static int exits_one(struct kipc_group_worker *w, void *arg)
{
	return 1;
}

/*
 * A worker that is reaped (SIGCHLD ignored) before the supervisor could
 * open its pidfd: pidfd_open() is ESRCH, and the supervisor killed the
 * pid, a number that may be another process's by then, waited for a
 * child it no longer had, and tried again 100 ms later for ever. It is
 * taken as a worker that ran and exited, its status unknown (255), and
 * restarted as such: here until the restart intensity fails the group.
 * pidfd_open() is made to say ESRCH after the first start (a seccomp
 * filter), as it does for a worker reaped that early.
 */
TEST_F(grp, worker_reaped_before_its_pidfd_is_gone)
{
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, add_worker(self->g, "w", exits_one,
				KIPC_RESTART_ON_FAILURE));
	ASSERT_EQ(0, kipc_group_start(self->g));
	if (syscall_refused(SYS_pidfd_open, -1, ESRCH))
		SKIP(return, "no seccomp filter");
	alarm(20);
	EXPECT_LT(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(KIPC_GROUP_FAILED, kipc_group_state(self->g, NULL));
	EXPECT_EQ(255, last_status(self->g, 0))
		TH_LOG("the status of a worker reaped elsewhere");
}

/* What the workers of the lease tests below share (runs_page()). */
struct lease_page {
	uint32_t took;		/* an instance took the message, to die */
	uint32_t again;		/* another instance received it, whole */
	uint32_t holding;	/* the instance to die holds the message */
	uint32_t held;		/* its sequence number */
	uint32_t stays;		/* dies_in_turn(): instance 1 runs on */
	uint32_t go;		/* the test lets it die */
};

/* Waits (10 s at most) for *@word: 1 once set, 0 on a timeout. */
static int wait_word(const uint32_t *word)
{
	int i;

	for (i = 0; i < 1000 && !__atomic_load_n(word, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	return __atomic_load_n(word, __ATOMIC_SEQ_CST) != 0;
}

/*
 * "producer"'s message on "in", then stays (its end would close "in")
 * until another instance got it again: 0, or 1 after 10 s without.
 */
static int staying_producer(struct kipc_group_worker *w, void *arg)
{
	struct lease_page *lp = arg;
	int ret = producer(w, NULL);

	if (ret)
		return ret;
	return wait_word(&lp->again) ? 0 : 1;
}

/*
 * An instance of a pool: the first to receive the message dies while
 * forwarding it to "out" (its lease as kipc_group_forward() writes it
 * before its send); the other receives it again and acknowledges it.
 * Both run until the end of "in".
 */
static int dies_forwarding(struct kipc_group_worker *w, void *arg)
{
	struct kgrp_slot *sl = own_slot(w, NULL);
	struct lease_page *lp = arg;
	struct kipc_group_msg m;
	int ret;

	if (!sl)
		return 2;
	while ((ret = kipc_group_recv(w, "in", &m)) == 1) {
		if (!msg_is_original(&m))
			return 3;
		if (!__atomic_exchange_n(&lp->took, 1, __ATOMIC_SEQ_CST)) {
			memcpy(sl->out, FORWARDED, sizeof(FORWARDED));
			sl->out_len = sizeof(FORWARDED);
			sl->lease_out = 1;	/* "out" */
			kgrp_store(&sl->lease, KGRP_LEASE_FORWARDING);
			_exit(7);
		}
		__atomic_store_n(&lp->again, 1, __ATOMIC_SEQ_CST);
		kipc_group_ack(w);
	}
	return ret < 0 ? 4 : 0;
}

/* Acknowledges what "out" brings until its end: 0, or 1 if anything came. */
static int empty_out(struct kipc_group_worker *w, void *arg)
{
	struct kipc_group_msg m;
	int ret, n = 0;

	while ((ret = kipc_group_recv(w, "out", &m)) == 1) {
		n++;
		kipc_group_ack(w);
	}
	return ret < 0 ? 2 : n ? 1 : 0;
}

/*
 * The group of the test below: a producer of "producer"'s message on
 * "in" (of region "ra") that stays until the message came again, a pool
 * of two dies_forwarding() instances forwarding to "out" (of region
 * "rb": the kernel refuses the buffer), and a sink of "out". @t counts
 * the notices.
 */
static void forward_back_group(struct __test_metadata *_metadata,
			       struct kipc_group **gp, struct lease_page *lp,
			       struct texts *t)
{
	struct kipc_worker_attr pool = {
		.fn = dies_forwarding, .arg = lp,
		.restart = KIPC_RESTART_NEVER, .instances = 2,
	};
	struct kipc_group *g = group_new(_metadata, 2000);

	*gp = g;
	ASSERT_NE(NULL, g);
	two_regions(_metadata, g);
	ASSERT_EQ(0, kipc_group_add_worker(g, "producer",
		&(struct kipc_worker_attr){ .fn = staying_producer, .arg = lp,
					    .restart = KIPC_RESTART_NEVER }));
	ASSERT_EQ(0, kipc_group_add_worker(g, "pool", &pool));
	ASSERT_EQ(0, add_worker(g, "sink", empty_out, KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_connect(g, "producer", "in", KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(g, "pool", "in", KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_connect(g, "pool", "out", KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(g, "sink", "out", KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_set_notify(g, count_texts, t));
}

/*
 * An instance that ends for good while forwarding: the supervisor sends
 * the forward on for it. When that send fails for another reason than
 * "it went already" (here the kernel refuses the buffer: "out" is of
 * another region), the message was reported lost, though it was whole in
 * the slot. It goes back on its input, as a worker's failed forward
 * leaves it held, and the pool's other instance gets it.
 */
TEST_F(grp, forward_that_cannot_go_goes_back_on_its_input)
{
	struct lease_page *lp = (void *)runs_page(_metadata);
	struct texts t = { .want = "handed on to in" };
	struct kipc_group_member m1, m2;

	ASSERT_NE(NULL, lp);
	forward_back_group(_metadata, &self->g, lp, &t);
	alarm(30);
	EXPECT_EQ(7, kipc_group_run(self->g)) TH_LOG("the instance that died");
	alarm(0);
	EXPECT_EQ(1, lp->again) TH_LOG("the message never came back on \"in\"");
	EXPECT_EQ(0, last_status(self->g, 0))
		TH_LOG("the producer: 1 is a timeout");
	EXPECT_EQ(0, last_status(self->g, 3))
		TH_LOG("the sink: 1 is a forward");
	EXPECT_EQ(1, t.seen) TH_LOG("no \"%s\" notice", t.want);
	ASSERT_EQ(0, kipc_group_member_info(self->g, 1, &m1));
	ASSERT_EQ(0, kipc_group_member_info(self->g, 2, &m2));
	EXPECT_EQ(1, m1.handed_on + m2.handed_on);
	EXPECT_EQ(0, m1.lost + m2.lost);
	munmap(lp, 4096);
}

/*
 * Receives the message, forwards it to "out" once the test says so
 * ("out"'s only receiver has ended by then), and dies with its lease
 * still forwarding: a death between kipc_group_forward()'s send and the
 * end of its lease.
 */
static int dies_after_forwarding(struct kipc_group_worker *w, void *arg)
{
	struct kgrp_slot *sl = own_slot(w, NULL);
	struct lease_page *lp = arg;
	struct kipc_group_msg m;

	if (!sl || kipc_group_recv(w, "in", &m) != 1 || !msg_is_original(&m))
		return 2;
	if (!wait_word(&lp->go))
		return 3;
	if (kipc_group_forward(w, "out", FORWARDED, sizeof(FORWARDED)))
		return 4;
	kgrp_store(&sl->lease, KGRP_LEASE_FORWARDING);
	_exit(7);
}

/* Dispatches @g until member @idx is in @state: 1, or 0 after 10 s. */
static int dispatch_until(struct kipc_group *g, unsigned int idx,
			  uint32_t state)
{
	struct kipc_group_member m;
	int i;

	for (i = 0; i < 1000; i++) {
		if (kipc_group_dispatch(g) < 0)
			return 0;
		if (!kipc_group_member_info(g, idx, &m) && m.state == state)
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * Starts group @g; once member @idx is in @state lets the holder of
 * @lp die (go), and dispatches until the group is done (10 s at most).
 */
static void run_letting_go(struct __test_metadata *_metadata,
			   struct kipc_group *g, struct lease_page *lp,
			   unsigned int idx, uint32_t state)
{
	int i, done = 0;

	ASSERT_EQ(0, kipc_group_start(g));
	ASSERT_EQ(1, dispatch_until(g, idx, state))
		TH_LOG("member %u never reached state %u", idx, state);
	__atomic_store_n(&lp->go, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 1000 && !done; i++) {
		done = kipc_group_dispatch(g);
		ASSERT_LE(0, done);
		usleep(10000);
	}
	ASSERT_EQ(1, done);
}

/*
 * The group of the test below: a producer of "producer"'s message on
 * "in", a dies_after_forwarding() instance forwarding it to "out" (one
 * region), and "out"'s only receiver, which ends at once. @t counts the
 * notices.
 */
static void forward_went_group(struct __test_metadata *_metadata,
			       struct kipc_group **gp, struct lease_page *lp,
			       struct texts *t)
{
	struct kipc_group *g = group_new(_metadata, 2000);

	*gp = g;
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, kipc_group_add_region(g, "ra", 4 * 4096, 4096));
	ASSERT_EQ(0, kipc_group_add_channel(g, "in", "ra", 4));
	ASSERT_EQ(0, kipc_group_add_channel(g, "out", "ra", 4));
	ASSERT_EQ(0, add_worker(g, "producer", producer, KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_add_worker(g, "fwd",
		&(struct kipc_worker_attr){ .fn = dies_after_forwarding,
					    .arg = lp,
					    .restart = KIPC_RESTART_NEVER }));
	ASSERT_EQ(0, add_worker(g, "gone", exits_zero, KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_connect(g, "producer", "in", KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(g, "fwd", "in", KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_connect(g, "fwd", "out", KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(g, "gone", "out", KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_set_notify(g, count_texts, t));
}

/*
 * A forward that went before its instance ended, with no receiver of its
 * channel left: its buffers are the channel's, not the slot's. It was
 * reported lost (nobody left to receive it); it went, and is reported so,
 * once, and not sent again.
 */
TEST_F(grp, forward_that_went_is_not_reported_lost)
{
	struct lease_page *lp = (void *)runs_page(_metadata);
	struct texts lost = { .want = "lost" };
	struct kipc_group_channel ci;
	struct kipc_group_member m;

	ASSERT_NE(NULL, lp);
	forward_went_group(_metadata, &self->g, lp, &lost);
	run_letting_go(_metadata, self->g, lp, 2, KIPC_MEMBER_EXITED);
	EXPECT_EQ(7, last_status(self->g, 1)) TH_LOG("the forwarder");
	EXPECT_EQ(0, lost.seen) TH_LOG("the forward that went reported lost");
	ASSERT_EQ(0, kipc_group_member_info(self->g, 1, &m));
	EXPECT_EQ(1, m.handed_on);
	ASSERT_EQ(0, kipc_group_channel_info(self->g, 1, &ci));
	EXPECT_EQ(1, ci.queued) TH_LOG("the forward, once, on \"out\"");
	munmap(lp, 4096);
}

/* "producer"'s message on "in", then runs until it is asked to stop. */
static int producer_until_stopped(struct kipc_group_worker *w, void *arg)
{
	int ret = producer(w, NULL);

	return ret ? ret : runs_until_stopped(w, arg);
}

/*
 * Instance 0 receives the message and dies holding it when the test says
 * so; instance 1 dies first (status 7), holding nothing, once instance 0
 * holds it, or with lp->stays runs until it is asked to stop, receiving
 * nothing.
 */
static int dies_in_turn(struct kipc_group_worker *w, void *arg)
{
	const char *inst = getenv("KIPC_GROUP_INSTANCE");
	struct lease_page *lp = arg;
	struct kipc_group_msg m;

	if (inst && !strcmp(inst, "0")) {
		if (kipc_group_recv(w, "in", &m) != 1)
			return 2;
		__atomic_store_n(&lp->holding, 1, __ATOMIC_SEQ_CST);
		wait_word(&lp->go);
		_exit(7);
	}
	if (lp->stays)
		return runs_until_stopped(w, arg);
	wait_word(&lp->holding);
	_exit(7);
}

/*
 * The group of the tests below: a producer of "producer"'s message on
 * "in" that runs until stopped, and a pool of two dies_in_turn() instances
 * restarted on failure, 5 s apart, one restart allowed; with lp->stays a
 * worker that fails at once (member 3), taking that restart. @t counts
 * the notices.
 */
static void pass_lost_group(struct __test_metadata *_metadata,
			    struct kipc_group **gp, struct lease_page *lp,
			    struct texts *t)
{
	struct kipc_group_attr ga = {
		.intensity = 1, .period_ms = 60000, .backoff_min_ms = 5000,
		.backoff_max_ms = 10000, .drain_timeout_ms = 2000,
	};
	struct kipc_worker_attr pool = {
		.fn = dies_in_turn, .arg = lp, .instances = 2,
	};
	struct kipc_group *g = NULL;

	ASSERT_EQ(0, kipc_group_create("gsup", &ga, &g));
	*gp = g;
	ASSERT_EQ(0, add_worker(g, "producer", producer_until_stopped,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_add_worker(g, "pool", &pool));
	ASSERT_EQ(0, kipc_group_add_region(g, "ra", 4 * 4096, 4096));
	ASSERT_EQ(0, kipc_group_add_channel(g, "in", "ra", 4));
	ASSERT_EQ(0, kipc_group_connect(g, "producer", "in", KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(g, "pool", "in", KIPC_GROUP_IN));
	if (lp->stays)
		ASSERT_EQ(0, add_worker(g, "crasher", exits_three,
					KIPC_RESTART_ON_FAILURE));
	ASSERT_EQ(0, kipc_group_set_notify(g, count_texts, t));
}

/*
 * Whether a message goes on or is lost must not depend on the order in
 * which one pass ends slots. Instance 1 of a pool died and waits out its
 * restart; instance 0 dies holding the message, one restart too many: the
 * group fails, and neither will run again. The hand-on of instance 0's
 * message counted instance 1, still to be ended in that pass, as its
 * receiver, sent the message to nobody and said "handed on". It is lost,
 * and said so.
 */
TEST_F(grp, message_of_a_pass_that_ends_every_receiver_is_lost)
{
	struct lease_page *lp = (void *)runs_page(_metadata);
	struct texts lost = { .want = "seq 1 lost" };
	struct kipc_group_member m;

	ASSERT_NE(NULL, lp);
	pass_lost_group(_metadata, &self->g, lp, &lost);
	/* Instance 1 (member 2) died first and waits out its restart. */
	run_letting_go(_metadata, self->g, lp, 2, KIPC_MEMBER_STARTING);
	EXPECT_EQ(KIPC_GROUP_FAILED, kipc_group_state(self->g, NULL));
	EXPECT_EQ(1, lost.seen) TH_LOG("no \"%s\" notice", lost.want);
	ASSERT_EQ(0, kipc_group_member_info(self->g, 1, &m));
	EXPECT_EQ(1, m.lost);
	EXPECT_EQ(0, m.handed_on);
	munmap(lp, 4096);
}

/*
 * The same with instance 1 running when the group fails: it is asked to
 * stop and never receives again, yet was counted as a receiver, and the
 * message was "handed on" to nobody.
 */
TEST_F(grp, message_of_a_failed_group_is_lost)
{
	struct lease_page *lp = (void *)runs_page(_metadata);
	struct texts lost = { .want = "seq 1 lost" };
	struct kipc_group_member m;

	ASSERT_NE(NULL, lp);
	lp->stays = 1;
	pass_lost_group(_metadata, &self->g, lp, &lost);
	/* The crasher (member 3) took the one restart allowed. */
	run_letting_go(_metadata, self->g, lp, 3, KIPC_MEMBER_STARTING);
	EXPECT_EQ(KIPC_GROUP_FAILED, kipc_group_state(self->g, NULL));
	EXPECT_EQ(1, lost.seen) TH_LOG("no \"%s\" notice", lost.want);
	ASSERT_EQ(0, kipc_group_member_info(self->g, 1, &m));
	EXPECT_EQ(1, m.lost);
	EXPECT_EQ(0, m.handed_on);
	munmap(lp, 4096);
}

/*
 * Sends seqs 1..4 on "in" (inline) and ends once an instance holds one:
 * "in" has no sender left.
 */
static int finite_producer(struct kipc_group_worker *w, void *arg)
{
	struct lease_page *lp = arg;
	uint64_t seq;

	for (seq = 1; seq <= 4; seq++)
		if (kipc_group_send(w, "in", &seq, sizeof(seq), NULL, 0, seq))
			return 2;
	return wait_word(&lp->holding) ? 0 : 3;
}

/*
 * Instance 0 receives one message and dies holding it when the test
 * says so; instance 1 starts receiving once instance 0 holds one, and
 * notes whether that one came to it too. Instance 1 runs until the end
 * of "in".
 */
static int holds_past_the_end(struct kipc_group_worker *w, void *arg)
{
	const char *inst = getenv("KIPC_GROUP_INSTANCE");
	struct lease_page *lp = arg;
	struct kipc_group_msg m;
	int ret;

	if (inst && !strcmp(inst, "0")) {
		if (kipc_group_recv(w, "in", &m) != 1)
			return 2;
		__atomic_store_n(&lp->held, (uint32_t)m.seq, __ATOMIC_SEQ_CST);
		__atomic_store_n(&lp->holding, 1, __ATOMIC_SEQ_CST);
		wait_word(&lp->go);
		_exit(7);
	}
	if (!wait_word(&lp->holding))
		return 3;
	while ((ret = kipc_group_recv(w, "in", &m)) == 1) {
		if (m.seq == __atomic_load_n(&lp->held, __ATOMIC_SEQ_CST))
			__atomic_store_n(&lp->again, 1, __ATOMIC_SEQ_CST);
		kipc_group_ack(w);
	}
	return ret < 0 ? 4 : 0;
}

/*
 * The group of the test below: finite_producer() on "in" and a pool of
 * two holds_past_the_end() instances that never restart.
 */
static void finite_group(struct __test_metadata *_metadata,
			 struct kipc_group **gp, struct lease_page *lp)
{
	struct kipc_worker_attr pool = {
		.fn = holds_past_the_end, .arg = lp,
		.restart = KIPC_RESTART_NEVER, .instances = 2,
	};
	struct kipc_group *g = group_new(_metadata, 2000);

	*gp = g;
	ASSERT_NE(NULL, g);
	ASSERT_EQ(0, kipc_group_add_channel(g, "in", NULL, 4));
	ASSERT_EQ(0, kipc_group_add_worker(g, "producer",
		&(struct kipc_worker_attr){ .fn = finite_producer, .arg = lp,
					    .restart = KIPC_RESTART_NEVER }));
	ASSERT_EQ(0, kipc_group_add_worker(g, "pool", &pool));
	ASSERT_EQ(0, kipc_group_connect(g, "producer", "in", KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(g, "pool", "in", KIPC_GROUP_IN));
}

/*
 * A finite pipeline: once its producer ended, the supervisor closed
 * "in" for its end of stream, and an instance that then died holding a
 * message of it (never restarted) had it reported lost: it could not go
 * back on a closed channel. "in" now stays open while an instance that
 * may still end holds one of its messages, and the message goes back to
 * the other instance.
 */
TEST_F(grp, message_held_past_its_channels_end_goes_on)
{
	struct lease_page *lp = (void *)runs_page(_metadata);
	struct kipc_group_member m;

	ASSERT_NE(NULL, lp);
	finite_group(_metadata, &self->g, lp);
	/* The producer (member 0) ended: "in" has no sender left. */
	run_letting_go(_metadata, self->g, lp, 0, KIPC_MEMBER_EXITED);
	EXPECT_EQ(0, last_status(self->g, 0)) TH_LOG("the producer");
	EXPECT_EQ(1, lp->again) TH_LOG("seq %u never reached instance 1",
				       lp->held);
	EXPECT_EQ(0, last_status(self->g, 2)) TH_LOG("instance 1");
	ASSERT_EQ(0, kipc_group_member_info(self->g, 1, &m));
	EXPECT_EQ(1, m.handed_on);
	EXPECT_EQ(0, m.lost);
	munmap(lp, 4096);
}

/* One message on "a" and one on "b", then ends. */
static int sends_a_and_b(struct kipc_group_worker *w, void *arg)
{
	uint64_t seq = 1;

	if (kipc_group_send(w, "a", &seq, sizeof(seq), NULL, 0, seq) ||
	    kipc_group_send(w, "b", &seq, sizeof(seq), NULL, 0, seq))
		return 2;
	return 0;
}

/* Reads "a" to its end, never "b": 0, or 1 on an error. */
static int reads_a_only(struct kipc_group_worker *w, void *arg)
{
	struct kipc_group_msg m;
	int ret;

	while ((ret = kipc_group_recv(w, "a", &m)) == 1)
		kipc_group_ack(w);
	return ret < 0 ? 1 : 0;
}

/*
 * A consumer restarted always is done once it exits 0 with its inputs
 * ended, their senders ended for good. An input it left unread keeps
 * messages queued and so stays open (its end of stream waits for its
 * receivers), and the consumer was started again and again until the
 * restart intensity failed the group.
 */
TEST_F(grp, always_consumer_that_leaves_an_input_unread_is_done)
{
	struct kipc_group_member m;

	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "a", NULL, 4));
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "b", NULL, 4));
	ASSERT_EQ(0, add_worker(self->g, "producer", sends_a_and_b,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, add_worker(self->g, "consumer", reads_a_only,
				KIPC_RESTART_ALWAYS));
	ASSERT_EQ(0, kipc_group_connect(self->g, "producer", "a",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "producer", "b",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "consumer", "a",
					KIPC_GROUP_IN));
	ASSERT_EQ(0, kipc_group_connect(self->g, "consumer", "b",
					KIPC_GROUP_IN));
	alarm(20);
	EXPECT_EQ(0, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(KIPC_GROUP_STOPPED, kipc_group_state(self->g, NULL));
	ASSERT_EQ(0, kipc_group_member_info(self->g, 1, &m));
	EXPECT_EQ(0, m.restarts);
}

/* pidfd_open() of another pid than the caller's is of this one (once). */
static pid_t pidfd_open_as;

/*
 * The library's syscall(), seen first: pidfd_open() of a worker as if
 * its pid had been taken by another process (SIGCHLD ignored, the worker
 * reaped before its pidfd was taken), the test's pidfd_open_as.
 */
long syscall(long nr, ...)
{
	static long (*next)(long nr, ...);
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!next)
		next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (!next) {
		errno = ENOSYS;
		return -1;
	}
	if (nr == SYS_pidfd_open && pidfd_open_as && (pid_t)a[0] != getpid()) {
		a[0] = pidfd_open_as;
		pidfd_open_as = 0;
	}
	return next(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* A process that is not our child (its parent exited): its pid, or -1. */
static pid_t orphan_start(void)
{
	int p[2];
	pid_t pid = -1, mid;

	if (pipe(p))
		return -1;
	mid = fork();
	if (mid == 0) {
		pid = fork();
		if (pid == 0) {
			close(p[0]);
			close(p[1]);
			sleep(30);
			_exit(0);
		}
		if (write(p[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (mid < 0 || read(p[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -1;
	close(p[0]);
	if (mid > 0)
		waitpid(mid, NULL, 0);
	return pid;
}

/*
 * The worker's pid, reaped before pidfd_open() (SIGCHLD ignored), can be
 * another process's by then: the supervisor watched that process as its
 * worker, waited for its end, and signalled it when the group stopped.
 * A pidfd that is not of a child of ours is taken as the worker reaped,
 * its status unknown (255).
 */
TEST_F(grp, worker_pid_taken_by_another_process_is_not_watched)
{
	pid_t orphan = orphan_start();

	ASSERT_LT(0, orphan);
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, add_worker(self->g, "w", exits_zero, KIPC_RESTART_NEVER));
	pidfd_open_as = orphan;
	alarm(20);
	EXPECT_EQ(255, kipc_group_run(self->g));
	alarm(0);
	EXPECT_EQ(0, pidfd_open_as)
		TH_LOG("the worker's pidfd_open() was not seen");
	EXPECT_EQ(255, last_status(self->g, 0));
	EXPECT_EQ(0, kill(orphan, 0)) TH_LOG("the other process was signalled");
	kill(orphan, SIGKILL);
}

/* Says it runs (*@arg), then runs on for 30 s whatever it is asked. */
static int deaf_source(struct kipc_group_worker *w, void *arg)
{
	int i;

	__atomic_store_n((uint32_t *)arg, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 3000; i++)
		usleep(10000);
	return 0;
}

/*
 * kipc_group_stop() from a caller's own loop set a kill deadline that no
 * timer was armed for: a worker deaf to SIGTERM kept the group's fd
 * quiet, and a loop that dispatches when the fd is readable waited for
 * ever. The fd is readable at once after kipc_group_stop() and
 * kipc_group_reload().
 */
TEST_F(grp, stop_wakes_the_callers_loop)
{
	uint32_t *up = runs_page(_metadata);
	struct pollfd pfd;
	int i, done = 0;

	ASSERT_NE(NULL, up);
	self->g = group_new(_metadata, 300);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_worker(self->g, "deaf",
		&(struct kipc_worker_attr){ .fn = deaf_source, .arg = up,
					    .restart = KIPC_RESTART_NEVER }));
	ASSERT_EQ(0, kipc_group_start(self->g));
	pfd = (struct pollfd){ .fd = kipc_group_fd(self->g), .events = POLLIN };
	for (i = 0; i < 500 && !__atomic_load_n(up, __ATOMIC_SEQ_CST); i++) {
		ASSERT_LE(0, kipc_group_dispatch(self->g));
		poll(&pfd, 1, 10);
	}
	ASSERT_EQ(1, __atomic_load_n(up, __ATOMIC_SEQ_CST));
	ASSERT_EQ(0, kipc_group_stop(self->g));
	for (i = 0; i < 20 && !done; i++) {
		if (poll(&pfd, 1, 2000) != 1)
			break;	/* the bug: nothing wakes the loop */
		done = kipc_group_dispatch(self->g);
	}
	EXPECT_EQ(1, done) TH_LOG("the group's fd stayed quiet for 2 s");
	EXPECT_EQ(-SIGKILL, last_status(self->g, 0));
	munmap(up, 4096);
}

/*
 * What the reload tests' workers share: the runs of each slot, the
 * "binary" deployed (set by the test before a reload) and the one each
 * slot's latest run found.
 */
struct reload_page {
	uint32_t runs[2];
	uint32_t deployed;
	uint32_t runs_deployed[2];
};

/* Counts its runs and the binary it found, then waits until told to stop. */
static int counts_runs(struct kipc_group_worker *w, void *arg)
{
	struct reload_page *rp = arg;
	int s = atoi(getenv("KIPC_GROUP_SLOT"));

	__atomic_store_n(&rp->runs_deployed[s],
			 __atomic_load_n(&rp->deployed, __ATOMIC_SEQ_CST),
			 __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&rp->runs[s], 1, __ATOMIC_SEQ_CST);
	while (!kipc_group_stopping(w))
		usleep(10000);
	return 0;
}

/* Whether both slots ran @n times, the latest with binary @deployed. */
static bool both_ran(struct reload_page *rp, uint32_t n, uint32_t deployed)
{
	int s;

	for (s = 0; s < 2; s++)
		if (__atomic_load_n(&rp->runs[s], __ATOMIC_SEQ_CST) < n ||
		    __atomic_load_n(&rp->runs_deployed[s], __ATOMIC_SEQ_CST) !=
		    deployed)
			return false;
	return true;
}

/* A group of two instances of counts_runs(), started, each run once. */
static struct kipc_group *reload_group(struct __test_metadata *_metadata,
				       struct reload_page *rp, struct texts *t)
{
	struct kipc_group *g = group_new(_metadata, 2000);
	struct pollfd pfd;
	int i;

	if (!g)
		return NULL;
	EXPECT_EQ(0, kipc_group_add_worker(g, "w",
		&(struct kipc_worker_attr){ .fn = counts_runs, .arg = rp,
					    .instances = 2 }));
	EXPECT_EQ(0, kipc_group_set_notify(g, count_texts, t));
	EXPECT_EQ(0, kipc_group_start(g));
	pfd = (struct pollfd){ .fd = kipc_group_fd(g), .events = POLLIN };
	for (i = 0; i < 500 && !both_ran(rp, 1, 0); i++) {
		EXPECT_LE(0, kipc_group_dispatch(g));
		poll(&pfd, 1, 10);
	}
	EXPECT_TRUE(both_ran(rp, 1, 0));
	return g;
}

/* Deploys binary @binary (what the next runs find), then reloads. */
static int deploy_and_reload(struct kipc_group *g, struct reload_page *rp,
			     uint32_t binary)
{
	__atomic_store_n(&rp->deployed, binary, __ATOMIC_SEQ_CST);
	return kipc_group_reload(g);
}

/* Stops reload_group()'s group: its workers end at once, with 0. */
static void reload_group_end(struct __test_metadata *_metadata,
			     struct kipc_group *g, struct reload_page *rp)
{
	EXPECT_EQ(0, kipc_group_stop(g));
	alarm(10);
	EXPECT_EQ(0, kipc_group_run(g));
	alarm(0);
	munmap(rp, 4096);
}

/* Dispatch for up to 10 s, until the rolling restart ended @n times. */
static void until_reloaded(struct __test_metadata *_metadata,
			   struct kipc_group *g, struct texts *t, int n)
{
	struct pollfd pfd = { .fd = kipc_group_fd(g), .events = POLLIN };
	int i;

	for (i = 0; i < 1000 && t->seen < n; i++) {
		ASSERT_LE(0, kipc_group_dispatch(g));
		poll(&pfd, 1, 10);
	}
	ASSERT_EQ(n, t->seen) TH_LOG("no \"reloaded\" after 10 s");
}

/*
 * A reload asked for while a rolling restart goes on extends it: it was
 * dropped, and the workers the pass had restarted before kept what they
 * ran (a binary deployed in between, say).
 */
TEST_F(grp, reload_during_a_reload_is_not_lost)
{
	struct texts t = { .want = "group gsup reloaded" };
	struct reload_page *rp = (void *)runs_page(_metadata);
	struct pollfd pfd;
	int i;

	ASSERT_NE(NULL, rp);
	self->g = reload_group(_metadata, rp, &t);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, deploy_and_reload(self->g, rp, 1));
	/* Until instance 0's replacement runs binary 1, and then 2. */
	pfd = (struct pollfd){ .fd = kipc_group_fd(self->g), .events = POLLIN };
	for (i = 0; i < 1000 && rp->runs_deployed[0] != 1; i++) {
		ASSERT_LE(0, kipc_group_dispatch(self->g));
		poll(&pfd, 1, 10);
	}
	ASSERT_EQ(1, rp->runs_deployed[0]);
	ASSERT_EQ(0, deploy_and_reload(self->g, rp, 2));
	/* Extends the first's pass, or makes one of its own if it ended. */
	until_reloaded(_metadata, self->g, &t, t.seen + 1);
	for (i = 0; i < 500 && !both_ran(rp, 2, 2); i++)
		usleep(10000);
	EXPECT_EQ(3, rp->runs[0])
		TH_LOG("instance 0 ran %u times: the second reload lost",
		       rp->runs[0]);
	EXPECT_EQ(2, rp->runs_deployed[0]);
	EXPECT_EQ(2, rp->runs_deployed[1]);
	reload_group_end(_metadata, self->g, rp);
}

/*
 * Two reloads asked for before the first has stopped anyone restart each
 * worker once: the second used to make a pass of its own once the first
 * ended, stopping the replacements that had started after it, possibly
 * before they had run a line of theirs.
 */
TEST_F(grp, reload_twice_restarts_each_worker_once)
{
	struct texts t = { .want = "group gsup reloaded" };
	struct reload_page *rp = (void *)runs_page(_metadata);
	struct kipc_group_member m;
	struct pollfd pfd;
	unsigned int s;
	int i;

	ASSERT_NE(NULL, rp);
	self->g = reload_group(_metadata, rp, &t);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, deploy_and_reload(self->g, rp, 1));
	ASSERT_EQ(0, kipc_group_reload(self->g));
	until_reloaded(_metadata, self->g, &t, 1);
	/* Reloaded: as the dispatch that said so left it, all run again. */
	for (s = 0; s < 2; s++) {
		ASSERT_EQ(0, kipc_group_member_info(self->g, s, &m));
		EXPECT_EQ(KIPC_MEMBER_RUNNING, m.state)
			TH_LOG("instance %u stopped again", s);
		EXPECT_EQ(1, m.restarts);
	}
	for (i = 0; i < 500 && !both_ran(rp, 2, 1); i++)
		usleep(10000);
	/* Nothing more: a second pass would stop instance 0 at once. */
	pfd = (struct pollfd){ .fd = kipc_group_fd(self->g), .events = POLLIN };
	for (i = 0; i < 20; i++) {
		ASSERT_LE(0, kipc_group_dispatch(self->g));
		poll(&pfd, 1, 10);
	}
	EXPECT_EQ(1, t.seen);
	for (s = 0; s < 2; s++) {
		ASSERT_EQ(0, kipc_group_member_info(self->g, s, &m));
		EXPECT_EQ(1, m.restarts);
	}
	EXPECT_EQ(2, rp->runs[0]);
	EXPECT_EQ(2, rp->runs[1]);
	EXPECT_EQ(1, rp->runs_deployed[0]);
	EXPECT_EQ(1, rp->runs_deployed[1]);
	reload_group_end(_metadata, self->g, rp);
}

/* What the two workers of the group region test share, in "shm". */
struct shm_words {
	struct kipc_mutex m;
	uint32_t ready;		/* the holder took the mutex, made the ring */
	uint32_t holder;	/* its pid */
};

#define SHM_RING	4096	/* the ring's offset in "shm" */

/* Takes the mutex, makes a ring it never sends on, and dies holding it. */
static int dies_holding(struct kipc_group_worker *w, void *arg)
{
	struct kipc_region *r = kipc_group_worker_region(w, "shm");
	struct kipc_ring *ring;
	struct shm_words *sw;

	if (!r)
		return 2;
	sw = kipc_region_base(r);
	if (kipc_mutex_lock(r, &sw->m) ||
	    kipc_ring_create(r, SHM_RING, 8, 8, 0, &ring))
		return 3;
	__atomic_store_n(&sw->holder, getpid(), __ATOMIC_SEQ_CST);
	__atomic_store_n(&sw->ready, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* CLOCK_MONOTONIC's now + 300 ms: a wait's deadline. */
static struct timespec in_300_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 300000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

/*
 * Once the holder is gone (its files closed: a zombie or reaped), waits
 * on the empty ring and on the mutex it died holding, each with a
 * deadline: 0 when both time out, 12/14 when one sees a death, 15 when
 * the mutex was taken, 17 when the holder did not exit.
 */
static int waits_on_a_dead_peer(struct kipc_group_worker *w, void *arg)
{
	struct kipc_region *r = kipc_group_worker_region(w, "shm");
	struct kipc_ring *ring;
	struct shm_words *sw;
	struct timespec dl;
	uint64_t msg;
	int i, ret;

	if (!r)
		return 2;
	sw = kipc_region_base(r);
	for (i = 0; i < 1000 && !__atomic_load_n(&sw->ready, __ATOMIC_SEQ_CST);
	     i++)
		usleep(10000);
	if (!sw->ready)
		return 10;
	if (!gone_within(__atomic_load_n(&sw->holder, __ATOMIC_SEQ_CST),
			 10000))
		return 17;
	if (kipc_ring_open(r, SHM_RING, &ring))
		return 11;
	dl = in_300_ms();
	ret = kipc_ring_recv(ring, &msg, 0, &dl);
	if (ret != -ETIMEDOUT)
		return ret == -EOWNERDEAD ? 12 : 13;
	dl = in_300_ms();
	ret = kipc_mutex_timedlock(r, &sw->m, 0, &dl);
	if (ret != -ETIMEDOUT)
		return ret == -EOWNERDEAD ? 14 : ret == 0 ? 15 : 16;
	kipc_ring_close(ring);
	return 0;
}

/*
 * A group region always has handles nothing waits through (the
 * supervisor's, the workers' inherited ones), so its waits never see a
 * peer's death, as kipc_group_worker_open(3) says: a worker whose ring
 * peer died, or whose mutex holder died holding it, waits until its
 * deadline. A wait that ignored its deadline hangs until the alarm.
 */
TEST_F(grp, group_region_waits_see_no_death_and_keep_deadlines)
{
	self->g = group_new(_metadata, 2000);
	ASSERT_NE(NULL, self->g);
	ASSERT_EQ(0, kipc_group_add_region(self->g, "shm", 4 * 4096, 4096));
	/* A worker gets the regions of its channels. */
	ASSERT_EQ(0, kipc_group_add_channel(self->g, "c", "shm", 4));
	ASSERT_EQ(0, add_worker(self->g, "holder", dies_holding,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, add_worker(self->g, "waiter", waits_on_a_dead_peer,
				KIPC_RESTART_NEVER));
	ASSERT_EQ(0, kipc_group_connect(self->g, "holder", "c",
					KIPC_GROUP_OUT));
	ASSERT_EQ(0, kipc_group_connect(self->g, "waiter", "c",
					KIPC_GROUP_IN));
	alarm(20);
	kipc_group_run(self->g);
	alarm(0);
	EXPECT_EQ(0, last_status(self->g, 0));
	EXPECT_EQ(0, last_status(self->g, 1))
		TH_LOG("the waiter: 12 and 14 mean a death seen (ring, mutex), "
		       "15 the mutex taken, 17 the holder never exited");
}

TEST_HARNESS_MAIN
