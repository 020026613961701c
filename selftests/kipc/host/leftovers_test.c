// SPDX-License-Identifier: GPL-2.0
/*
 * kt_leftovers.h on the host, with the kselftest harness as the
 * selftests build it (-O2). A harness run of two tests, each of which
 * starts a process that never ends and then fails an ASSERT (so the
 * harness skips the teardown that would kill it): the process the first
 * left must be gone when the second starts, and the second's when the
 * run ends. Whichever order the harness runs them in. The settings half
 * needs the module (the guest's selftests run it).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

/* What the two tests saw, shared with the main program. */
struct seen {
	pid_t left[2];		/* the process each test left */
	int runs;		/* tests that started */
	int earlier_ended;	/* the later test found the earlier's gone */
};

static struct seen *seen;

/* 1 when @pid has ended (gone, or a zombie nobody reaped yet). */
static int ended(pid_t pid)
{
	return (kill(pid, 0) && errno == ESRCH) || kt_task_in_state(pid, "Z");
}

/* Until @pid has ended, 2 s at most: 1 when it did. */
static int wait_ended(pid_t pid)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 200 && !ended(pid); i++)
		nanosleep(&nap, NULL);
	return ended(pid);
}

/* Start a process that never ends, then fail without the teardown. */
static void leave_a_process(struct __test_metadata *_metadata)
{
	int n = __atomic_fetch_add(&seen->runs, 1, __ATOMIC_SEQ_CST);
	pid_t pid;

	if (n == 1)
		seen->earlier_ended = wait_ended(seen->left[0]);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (;;)
			pause();
	}
	seen->left[n] = pid;
	ASSERT_EQ(0, 1) TH_LOG("fails on purpose, leaving process %d",
			       (int)pid);
}

TEST(first_leaves_a_process)
{
	leave_a_process(_metadata);
}

TEST(second_leaves_a_process)
{
	leave_a_process(_metadata);
}

/* The run's own report, as comments: its tests fail on purpose. */
static void show_run(FILE *log)
{
	char line[512];

	rewind(log);
	while (fgets(line, sizeof(line), log))
		printf("# %s", line);
}

int main(void)
{
	char *args[] = { "leftovers_test", NULL };
	FILE *log = tmpfile();
	int status, ok, all = 1;
	pid_t run;

	ksft_print_header();
	ksft_set_plan(2);
	seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (seen == MAP_FAILED || !log)
		ksft_exit_fail_msg("mmap, tmpfile: %s\n", strerror(errno));
	memset(seen, 0, sizeof(*seen));
	fflush(stdout);
	run = fork();
	if (run == 0) {
		/* This process is the harness of the run. */
		kt_harness_pid = getpid();
		dup2(fileno(log), STDOUT_FILENO);
		dup2(fileno(log), STDERR_FILENO);
		test_harness_run(1, args);
	}
	if (run < 0 || waitpid(run, &status, 0) != run)
		ksft_exit_fail_msg("the harness run: %s\n", strerror(errno));
	ok = seen->runs == 2 && seen->earlier_ended;
	all &= ok;
	ksft_test_result(ok, "the process a failed test left is gone when the next test starts (%d tests ran)\n",
			 seen->runs);
	ok = seen->runs == 2 && wait_ended(seen->left[1]);
	all &= ok;
	ksft_test_result(ok, "the last test's is gone when the run ends\n");
	if (!all)
		show_run(log);
	for (ok = 0; ok < 2; ok++)
		if (seen->left[ok] > 0)
			kill(seen->left[ok], SIGKILL);
	ksft_finished();
}
