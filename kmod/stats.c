// SPDX-License-Identifier: GPL-2.0
/*
 * kipc statistics: per-CPU counters.
 *
 * The hot paths count with kipc_stat_inc() and kipc_stat_add() (kipc.h):
 * one this_cpu_add on the local CPU's copy, no lock, no shared cache line.
 * A reader sums the copies of every possible CPU; the sum is not a
 * snapshot (counters move while it is taken) but each counter only grows.
 */
#include <linux/errno.h>
#include <linux/kstrtox.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>
#include <linux/percpu.h>
#include <linux/string.h>

#include "kipc.h"

DEFINE_PER_CPU(struct kipc_stats, kipc_stats);
DEFINE_STATIC_KEY_TRUE(kipc_stats_on);

/*
 * "stats": write N to stop counting (the counting code is patched out), Y
 * to resume; for measuring what statistics cost. Netlink reads the totals
 * either way.
 */
static int kipc_stats_param_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret)
		return ret;
	if (on)
		static_branch_enable(&kipc_stats_on);
	else
		static_branch_disable(&kipc_stats_on);
	return 0;
}

static int kipc_stats_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n",
			  static_branch_likely(&kipc_stats_on) ? 'Y' : 'N');
}

static const struct kernel_param_ops kipc_stats_param_ops = {
	.set = kipc_stats_param_set,
	.get = kipc_stats_param_get,
};
module_param_cb(stats, &kipc_stats_param_ops, NULL, 0644);
MODULE_PARM_DESC(stats, "Count per-CPU statistics (default Y)");

/**
 * kipc_stats_read() - sum the counters of every CPU
 * @sum: filled with the totals, indexed by enum kipc_stat
 *
 * Context: any.
 */
void kipc_stats_read(struct kipc_stats *sum)
{
	unsigned int cpu, i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct kipc_stats *s = per_cpu_ptr(&kipc_stats, cpu);

		for (i = 0; i < KIPC_STAT_NR; i++)
			sum->count[i] += READ_ONCE(s->count[i]);
	}
}

/**
 * kipc_send_fail_reason() - classify the errno of a failed send
 * @err: the negative errno the sender gets
 *
 * Context: any.
 * Return: the KIPC_SEND_FAIL_REASON_* of @err.
 */
enum kipc_send_fail_reason kipc_send_fail_reason(int err)
{
	switch (err) {
	case -EAGAIN:
		return KIPC_SEND_FAIL_REASON_AGAIN;
	case -ETIMEDOUT:
		return KIPC_SEND_FAIL_REASON_TIMEDOUT;
	case -EINTR:
	case -ERESTARTSYS:
		return KIPC_SEND_FAIL_REASON_INTR;
	case -EPIPE:
		return KIPC_SEND_FAIL_REASON_PIPE;
	case -EMSGSIZE:
		return KIPC_SEND_FAIL_REASON_MSGSIZE;
	case -ENOBUFS:
		return KIPC_SEND_FAIL_REASON_NOBUFS;
	case -EPERM:
		return KIPC_SEND_FAIL_REASON_PERM;
	case -EINVAL:
	case -EBADF:
	case -E2BIG:
		return KIPC_SEND_FAIL_REASON_INVAL;
	case -EFAULT:
		return KIPC_SEND_FAIL_REASON_FAULT;
	default:
		return KIPC_SEND_FAIL_REASON_OTHER;
	}
}

/**
 * kipc_stat_send_failed() - count a failed send by its reason
 * @err: the negative errno the sender gets
 *
 * Context: any.
 * Return: the reason counted, for an event.
 */
enum kipc_send_fail_reason kipc_stat_send_failed(int err)
{
	enum kipc_send_fail_reason reason = kipc_send_fail_reason(err);

	kipc_stat_inc(KIPC_STAT_SEND_FAILED + reason - 1);
	return reason;
}
