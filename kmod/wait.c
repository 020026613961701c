// SPDX-License-Identifier: GPL-2.0
/*
 * kipc sleeping: wait on a queue until a condition holds, a signal arrives
 * or an absolute deadline passes; a receiver polls first while that is
 * cheaper than a sleep and a wake-up.
 */
#include <linux/moduleparam.h>
#include <linux/nsproxy.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/time_namespace.h>

#include "kipc.h"

/*
 * The longest a receiver polls before it sleeps, in nanoseconds (0: never
 * polls). A poll is worth it only while the answer comes sooner than a
 * sleep and a wake-up would take; past that it burns a CPU for nothing.
 */
static unsigned int poll_max_ns = 200000;
module_param(poll_max_ns, uint, 0644);
MODULE_PARM_DESC(poll_max_ns,
		 "longest a receiver polls for a message before it sleeps (ns; 0: never)");

/* The first budget of a channel whose waits turned out short. */
#define KIPC_POLL_START_NS	10000

/*
 * @t, an absolute CLOCK_MONOTONIC time as the calling task's time namespace
 * reads that clock, on the host's clock, where the module's timers run:
 * what timens_ktime_to_host() does for futex and clock_nanosleep, which a
 * module cannot call (it compares with init_time_ns, not exported). The
 * initial namespace's offset is 0. A time before the offset has passed.
 */
static ktime_t kipc_monotonic_to_host(ktime_t t)
{
#ifdef CONFIG_TIME_NS
	const struct timespec64 *o =
		&current->nsproxy->time_ns->offsets.monotonic;
	ktime_t off = timespec64_to_ktime(*o);

	if (t < off)
		return 0;
	if (off < 0 && t > KTIME_MAX + off)
		return KTIME_MAX;
	return ktime_sub(t, off);
#else
	return t;
#endif
}

/**
 * kipc_deadline_init() - a deadline from a call's timeout fields
 * @dl: out
 * @set: the call's timeout flag (KIPC_IO_TIMEOUT, KIPC_WAIT_TIMEOUT)
 * @clockid: CLOCK_MONOTONIC or CLOCK_REALTIME, with @set; else 0
 * @timeout_ns: the absolute time on @clockid, with @set; else 0
 *
 * The one parser of every blocking call's deadline. A CLOCK_MONOTONIC time
 * is the caller's, in its time namespace.
 * Return: 0, or -EINVAL for another clock, or a clock or a time without
 * @set.
 */
int kipc_deadline_init(struct kipc_deadline *dl, bool set, u32 clockid,
		       u64 timeout_ns)
{
	dl->set = set;
	if (!set)
		return clockid || timeout_ns ? -EINVAL : 0;
	if (clockid != CLOCK_MONOTONIC && clockid != CLOCK_REALTIME)
		return -EINVAL;
	dl->clock = clockid;
	dl->expires = ns_to_ktime(min_t(u64, timeout_ns, KTIME_MAX));
	if (clockid == CLOCK_MONOTONIC)
		dl->expires = kipc_monotonic_to_host(dl->expires);
	return 0;
}

/**
 * kipc_sleep() - sleep once, until a wake-up or the deadline
 * @dl: an absolute deadline, or none
 *
 * Context: process context, the task state already set (and the task
 * queued where its waker will find it).
 * Return: 0 after a wake-up (or a signal, or a spurious one), -ETIMEDOUT
 * once the deadline has passed. The task is running again either way.
 */
int kipc_sleep(const struct kipc_deadline *dl)
{
	ktime_t expires;

	if (!dl->set) {
		schedule();
		return 0;
	}
	expires = dl->expires;
	/* The task's slack, as futex takes it. */
	return schedule_hrtimeout_range_clock(&expires, current->timer_slack_ns,
					      HRTIMER_MODE_ABS, dl->clock) ?
	       0 : -ETIMEDOUT;
}

/**
 * kipc_wait_until() - sleep until @ready(@arg) is true
 * @wq: the wait queue whose wake-ups may make @ready true
 * @ready: the condition; called with the task already queued on @wq, so a
 *	wake-up between the check and the sleep is not lost
 * @arg: passed to @ready
 * @dl: an absolute deadline, or none
 *
 * Context: process context, may sleep; no locks held.
 * Return: 0 when @ready holds, -ETIMEDOUT when the deadline passed, or
 * -ERESTARTSYS on a signal (with an absolute deadline a restart is safe).
 */
int kipc_wait_until(wait_queue_head_t *wq, bool (*ready)(void *arg),
		    void *arg, const struct kipc_deadline *dl)
{
	DEFINE_WAIT(wait);
	int ret = 0;

	for (;;) {
		prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);
		if (ready(arg))
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (kipc_sleep(dl)) {
			ret = ready(arg) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	finish_wait(wq, &wait);
	return ret;
}

/* Whether @dl has passed: a poll must not outlast a deadline. */
static bool kipc_deadline_passed(const struct kipc_deadline *dl)
{
	ktime_t now;

	if (!dl->set)
		return false;
	now = dl->clock == CLOCK_REALTIME ? ktime_get_real() : ktime_get();
	return ktime_compare(now, dl->expires) >= 0;
}

/*
 * Poll @ready for at most @budget ns, while this task is the only one
 * runnable on its CPU (the one that would make @ready true may run only
 * elsewhere) and nothing else wants the CPU.
 */
static bool kipc_poll(bool (*ready)(void *arg), void *arg, u64 start,
		      u32 budget, const struct kipc_deadline *dl)
{
	do {
		if (ready(arg))
			return true;
		cpu_relax();
	} while (!need_resched() && !signal_pending(current) &&
		 single_task_running() && ktime_get_ns() - start < budget &&
		 !kipc_deadline_passed(dl));
	return false;
}

/**
 * kipc_wait_polled() - kipc_wait_until(), polling first when that pays
 * @wq: as kipc_wait_until()
 * @ready: as kipc_wait_until()
 * @arg: as kipc_wait_until()
 * @dl: as kipc_wait_until()
 * @poll_ns: the waited object's poll budget in ns, adapted here
 *	(READ_ONCE/WRITE_ONCE: concurrent waiters may lose an update)
 *
 * A wait that another CPU ends within microseconds costs less polled than
 * slept: no sleep, no wake-up, no inter-processor interrupt. The budget
 * follows KVM's halt polling: a wait that a wake-up ended within
 * poll_max_ns doubles it (from KIPC_POLL_START_NS, up to poll_max_ns), a
 * longer one, or one that its deadline or a signal ended, halves it, one
 * that the poll ended keeps it. Nothing is
 * polled while another task is runnable on this CPU (the task that would
 * end the wait may be that one, and it runs only once this one sleeps),
 * with one CPU online, or with poll_max_ns 0; a poll stops at a signal,
 * a pending reschedule or @dl.
 * Context: process context, may sleep; no locks held.
 * Return: 1 when the poll saw @ready, else as kipc_wait_until().
 */
int kipc_wait_polled(wait_queue_head_t *wq, bool (*ready)(void *arg),
		     void *arg, const struct kipc_deadline *dl, u32 *poll_ns)
{
	u32 max = READ_ONCE(poll_max_ns);
	u32 budget = min(READ_ONCE(*poll_ns), max);
	u64 start, waited;
	int ret;

	if (!max || num_online_cpus() == 1 || !single_task_running())
		return kipc_wait_until(wq, ready, arg, dl);
	start = ktime_get_ns();
	if (budget && kipc_poll(ready, arg, start, budget, dl))
		return 1;
	ret = kipc_wait_until(wq, ready, arg, dl);
	waited = ktime_get_ns() - start;
	/* A deadline or a signal ended it: no wake-up a poll would catch. */
	if (ret || waited > max)
		budget /= 2;
	else if (waited > budget)
		budget = min_t(u64, max_t(u64, (u64)budget * 2,
					  KIPC_POLL_START_NS), max);
	WRITE_ONCE(*poll_ns, budget);
	return ret;
}
