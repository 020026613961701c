// SPDX-License-Identifier: GPL-2.0
/*
 * kipc sleeping: wait on a queue until a condition holds, a signal arrives
 * or an absolute deadline passes.
 */
#include <linux/sched/signal.h>

#include "kipc.h"

/**
 * kipc_deadline_init() - a deadline from a call's timeout fields
 * @dl: out
 * @set: the call's timeout flag (KIPC_IO_TIMEOUT, KIPC_WAIT_TIMEOUT)
 * @clockid: CLOCK_MONOTONIC or CLOCK_REALTIME, with @set; else 0
 * @timeout_ns: the absolute time on @clockid, with @set; else 0
 *
 * The one parser of every blocking call's deadline.
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
	return schedule_hrtimeout_range_clock(&expires, 0, HRTIMER_MODE_ABS,
					      dl->clock) ? 0 : -ETIMEDOUT;
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
