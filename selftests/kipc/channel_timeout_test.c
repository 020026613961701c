// SPDX-License-Identifier: GPL-2.0
/*
 * Absolute deadlines (KIPC_IO_TIMEOUT) on send and receive, in a time
 * namespace too, and signals interrupting a wait.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define NSEC		1000000000ULL
#define MSEC		1000000ULL
/* A wait timed out: long beside a syscall, even a debug kernel's. */
#define WAIT_NS		(50 * MSEC)
/* Generous: the VM runs syscalls ~20x slower than the host. */
#define LATE_NS		(5 * NSEC)

FIXTURE(timeout) {
	int ctx;
	int sfd, rfd;
	pid_t child;
};

FIXTURE_VARIANT(timeout) {
	clockid_t clk;
};

FIXTURE_VARIANT_ADD(timeout, monotonic) {
	.clk = CLOCK_MONOTONIC,
};
FIXTURE_VARIANT_ADD(timeout, realtime) {
	.clk = CLOCK_REALTIME,
};

FIXTURE_SETUP(timeout)
{
	int ret;

	self->sfd = self->rfd = -1;
	self->child = 0;
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL);
	ret = kt_channel_create(self->ctx, 0, 1, 0, -1, &self->sfd, &self->rfd);
	ASSERT_EQ(0, ret) TH_LOG("channel create: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(timeout)
{
	kt_reap(self->child);
	if (self->sfd >= 0)
		close(self->sfd);
	if (self->rfd >= 0)
		close(self->rfd);
	close(self->ctx);
}

static volatile sig_atomic_t alarms, in_wait, alarms_in_wait;

static void on_alarm(int sig)
{
	alarms++;
	alarms_in_wait += in_wait;
}

static pthread_t alarm_thread;

/* SIGALRM for thread @arg once it sleeps. */
static void *alarm_when_asleep(void *arg)
{
	pid_t tid = (pid_t)(long)arg;

	kt_wait_state(tid, "S", 10000);	/* S: in the wait, not a fault */
	syscall(SYS_tgkill, getpid(), tid, SIGALRM);
	return NULL;
}

/*
 * SIGALRM, with SA_RESTART if @restart, for the calling thread once it
 * sleeps in the wait it makes next: the signal comes a moment after the
 * wait began however slow the kernel, where a timer, firing at a fixed
 * time whether or not the wait had begun, had to be 100 ms away.
 * alarm_join() once the wait is over. 0, or an errno.
 */
static int arm(int restart)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	alarms = 0;
	return pthread_create(&alarm_thread, NULL, alarm_when_asleep,
			      (void *)(long)syscall(SYS_gettid));
}

static void alarm_join(void)
{
	pthread_join(alarm_thread, NULL);
}

static int timed(int fd, unsigned long cmd, void *buf, uint32_t len,
		 clockid_t clk, uint64_t deadline)
{
	struct kipc_msg m;

	kt_msg_init(&m, buf, len, NULL, 0, 0);
	return kt_io(fd, cmd, &m, 1, KIPC_IO_TIMEOUT, -1, clk, deadline);
}

TEST_F(timeout, recv_on_empty_times_out_at_deadline)
{
	uint64_t deadline, now;
	char b;

	deadline = kt_now_ns(variant->clk) + WAIT_NS;
	EXPECT_EQ(-ETIMEDOUT, timed(self->rfd, KIPC_IOC_RECV, &b, 1,
				    variant->clk, deadline));
	now = kt_now_ns(variant->clk);
	EXPECT_LE(deadline, now) TH_LOG("returned %llu ns early",
					(unsigned long long)(deadline - now));
	EXPECT_GT(deadline + LATE_NS, now);
}

TEST_F(timeout, send_on_full_times_out_at_deadline)
{
	uint64_t deadline, now;
	char b = 'x';

	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	deadline = kt_now_ns(variant->clk) + WAIT_NS;
	EXPECT_EQ(-ETIMEDOUT, timed(self->sfd, KIPC_IOC_SEND, &b, 1,
				    variant->clk, deadline));
	now = kt_now_ns(variant->clk);
	EXPECT_LE(deadline, now);
	EXPECT_GT(deadline + LATE_NS, now);
	EXPECT_EQ(1, kt_fdinfo_num(self->sfd, "kipc-queued"));
}

TEST_F(timeout, past_deadline_returns_at_once)
{
	uint64_t start = kt_now_ns(CLOCK_MONOTONIC);
	char b = 'x';

	EXPECT_EQ(-ETIMEDOUT, timed(self->rfd, KIPC_IOC_RECV, &b, 1,
				    variant->clk,
				    kt_now_ns(variant->clk) - NSEC));
	EXPECT_EQ(-ETIMEDOUT, timed(self->rfd, KIPC_IOC_RECV, &b, 1,
				    variant->clk, 0));
	EXPECT_GT(start + NSEC / 2, kt_now_ns(CLOCK_MONOTONIC));
	/* With a message ready, nothing waits and the deadline is moot. */
	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 3, 0));
	EXPECT_EQ(-ETIMEDOUT, timed(self->sfd, KIPC_IOC_SEND, &b, 1,
				    variant->clk, 1));
	EXPECT_EQ(1, timed(self->rfd, KIPC_IOC_RECV, &b, 1, variant->clk, 1));
}

TEST_F(timeout, far_deadline)
{
	char b = 'x';

	/* A deadline beyond what the kernel can represent is just far. */
	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	EXPECT_EQ(1, timed(self->rfd, KIPC_IOC_RECV, &b, 1, variant->clk,
			   ~0ULL));
	ASSERT_EQ(0, arm(0));
	EXPECT_EQ(-EINTR, timed(self->rfd, KIPC_IOC_RECV, &b, 1, variant->clk,
				~0ULL));
	alarm_join();
	EXPECT_EQ(1, alarms);
	signal(SIGALRM, SIG_DFL);
}

TEST_F(timeout, message_before_deadline_wins)
{
	uint64_t start = kt_now_ns(CLOCK_MONOTONIC);
	char b = 0;

	self->child = kt_fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		/* Once the receive waits (or 10 s on: it then fails late). */
		kt_wait_state(getppid(), "S", 10000);
		_exit(kt_send1(self->sfd, "y", 1, 0, 0) == 1 ? 0 : 10);
	}
	EXPECT_EQ(1, timed(self->rfd, KIPC_IOC_RECV, &b, 1, variant->clk,
			   kt_now_ns(variant->clk) + 30 * NSEC));
	EXPECT_EQ('y', b);
	EXPECT_GT(start + 20 * NSEC, kt_now_ns(CLOCK_MONOTONIC));
	EXPECT_EQ(0, kt_wait(self->child, 10000));
	self->child = 0;
}

TEST_F(timeout, bad_clockid)
{
	static const clockid_t bad[] = {
		CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
		CLOCK_MONOTONIC_RAW, CLOCK_TAI, 99, -1,
	};
	uint64_t deadline = kt_now_ns(variant->clk) + WAIT_NS;
	unsigned int i;
	char b = 'x';

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, timed(self->rfd, KIPC_IOC_RECV, &b, 1,
					 bad[i], deadline))
			TH_LOG("clockid %d", (int)bad[i]);
		EXPECT_EQ(-EINVAL, timed(self->sfd, KIPC_IOC_SEND, &b, 1,
					 bad[i], deadline))
			TH_LOG("clockid %d", (int)bad[i]);
	}
	/* Nothing was sent by the failed calls. */
	EXPECT_EQ(0, kt_fdinfo_num(self->sfd, "kipc-queued"));
}

TEST_F(timeout, signal_interrupts_wait)
{
	uint64_t deadline;
	char b = 'x';

	/* Without SA_RESTART: EINTR, long before the deadline. */
	ASSERT_EQ(0, arm(0));
	deadline = kt_now_ns(variant->clk) + 30 * NSEC;
	EXPECT_EQ(-EINTR, timed(self->rfd, KIPC_IOC_RECV, &b, 1, variant->clk,
				deadline));
	alarm_join();
	EXPECT_EQ(1, alarms);
	EXPECT_LT(kt_now_ns(variant->clk) + 10 * NSEC, deadline);

	/* A blocking receive without a deadline too. */
	ASSERT_EQ(0, arm(0));
	EXPECT_EQ(-EINTR, kt_recv1(self->rfd, &b, 1, NULL, 0));
	alarm_join();
	EXPECT_EQ(1, alarms);

	/* And a blocked send. */
	ASSERT_EQ(1, kt_send1(self->sfd, &b, 1, 0, 0));
	ASSERT_EQ(0, arm(0));
	EXPECT_EQ(-EINTR, kt_send1(self->sfd, &b, 1, 0, 0));
	alarm_join();
	EXPECT_EQ(1, alarms);
	EXPECT_EQ(1, kt_fdinfo_num(self->sfd, "kipc-queued"));
	signal(SIGALRM, SIG_DFL);
}

TEST_F(timeout, sa_restart_keeps_the_absolute_deadline)
{
	uint64_t deadline, now, wait_ms = 150;
	int ret;
	char b;

	/*
	 * The signal comes ms into the wait, long before its deadline. A
	 * host that kept the signalling thread from running until the wait
	 * was over (its signal then lands in pthread_join()) tests nothing:
	 * again with a deadline four times as far, at most twice more.
	 */
	for (;;) {
		ASSERT_EQ(0, arm(1));
		alarms_in_wait = 0;
		deadline = kt_now_ns(variant->clk) + wait_ms * MSEC;
		in_wait = 1;
		ret = timed(self->rfd, KIPC_IOC_RECV, &b, 1, variant->clk,
			    deadline);
		in_wait = 0;
		now = kt_now_ns(variant->clk);
		alarm_join();
		if (alarms_in_wait || wait_ms >= 16 * 150)
			break;
		wait_ms *= 4;
	}
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_EQ(1, alarms);
	EXPECT_EQ(1, alarms_in_wait) TH_LOG("the signal never came in the wait");
	EXPECT_LE(deadline, now);
	EXPECT_GT(deadline + LATE_NS, now);
	signal(SIGALRM, SIG_DFL);
}

/*
 * A process in a time namespace whose CLOCK_MONOTONIC runs a day ahead
 * gives a deadline on its clock, as futex and clock_nanosleep take it:
 * the wait ends at that deadline, not a day later.
 */
TEST(monotonic_deadline_in_a_time_namespace)
{
	static const char offsets[] = "monotonic 86400 0";
	int ctx, sfd, rfd, f, ret;
	uint64_t deadline, now;
	pid_t child;
	char b;

	if (unshare(CLONE_NEWTIME))
		SKIP(return, "no time namespaces: %s", strerror(errno));
	f = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, f);
	ASSERT_EQ((ssize_t)strlen(offsets), write(f, offsets, strlen(offsets)));
	close(f);
	child = kt_fork();	/* the first process of the namespace */
	ASSERT_LE(0, child);
	if (child == 0) {
		kipc_test_open(ctx);
		if (kt_channel_create(ctx, 0, 1, 0, -1, &sfd, &rfd))
			_exit(2);
		deadline = kt_now_ns(CLOCK_MONOTONIC) + WAIT_NS;
		ret = timed(rfd, KIPC_IOC_RECV, &b, 1, CLOCK_MONOTONIC,
			    deadline);
		now = kt_now_ns(CLOCK_MONOTONIC);
		_exit(ret == -ETIMEDOUT && now >= deadline &&
		      now < deadline + LATE_NS ? 0 : 1);
	}
	/* Before the fix the receive slept until a day past its deadline. */
	EXPECT_EQ(0, kt_wait(child, 10000));
}

KIPC_TEST_MAIN
