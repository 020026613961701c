// SPDX-License-Identifier: GPL-2.0
/*
 * kipc ioctl entry points: the only file of the module that touches
 * __user pointers. Every argument is copied in and validated here, then
 * handed to the mechanics as a kernel struct.
 *
 * Dispatch is by table (kipc_ioctls[], indexed by ioctl number): each entry
 * names its handler and the sizes of its argument struct, so copying an
 * extensible struct in, checking it and copying it back out is written once.
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/kipc.h>

#include "kipc.h"

/* Largest argument struct a caller may pass, tail included. */
#define KIPC_ARG_SIZE_MAX	PAGE_SIZE

union kipc_ioctl_arg {
	struct kipc_version version;
};

/**
 * struct kipc_ioctl_def - one ioctl of /dev/kipc
 * @cmd: the command (matched on type, number and direction)
 * @size: sizeof the argument struct the module knows
 * @size_ver0: size of the argument struct first published
 * @handler: does the work on the copied-in argument; fills its output fields
 */
struct kipc_ioctl_def {
	unsigned int cmd;
	u32 size;
	u32 size_ver0;
	int (*handler)(struct kipc_ctx *ctx, union kipc_ioctl_arg *arg);
};

static int kipc_ioctl_version(struct kipc_ctx *ctx, union kipc_ioctl_arg *arg)
{
	struct kipc_version *v = &arg->version;

	if (memchr_inv(v->reserved, 0, sizeof(v->reserved)))
		return -EINVAL;
	v->abi_version = KIPC_ABI_VERSION;
	v->features = KIPC_FEATURES_ALL;
	return 0;
}

/* KIPC_IOCTL(VERSION, version): KIPC_IOC_VERSION, struct kipc_version. */
#define KIPC_IOCTL(_NAME, _name)					\
	[_IOC_NR(KIPC_IOC_##_NAME)] = {					\
		.cmd		= KIPC_IOC_##_NAME,			\
		.size		= sizeof(struct kipc_##_name),		\
		.size_ver0	= KIPC_##_NAME##_SIZE_VER0,		\
		.handler	= kipc_ioctl_##_name,			\
	}

static const struct kipc_ioctl_def kipc_ioctls[] = {
	KIPC_IOCTL(VERSION, version),
};

static const struct kipc_ioctl_def *kipc_ioctl_lookup(unsigned int cmd)
{
	const struct kipc_ioctl_def *def;
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != KIPC_MAGIC || nr >= ARRAY_SIZE(kipc_ioctls))
		return NULL;
	def = &kipc_ioctls[nr];
	if (!def->handler || _IOC_DIR(cmd) != _IOC_DIR(def->cmd))
		return NULL;
	return def;
}

/**
 * kipc_ioctl() - unlocked_ioctl of a /dev/kipc context
 * @file: the context file
 * @cmd: a KIPC_IOC_* command
 * @arg: user pointer to the command's extensible argument struct
 *
 * Copies the struct in (its first __u32 is its size), runs the handler and
 * copies the struct back out, at most as many bytes as the caller passed.
 *
 * Context: process context, may sleep.
 * Return: the handler's result (0 or positive) on success, or
 * * -ENOTTY - @cmd is not a kipc command
 * * -EFAULT - @arg is not a readable and writable user address
 * * -EINVAL - size below the first published version, or a reserved field
 *   or an input flag the module does not know is set
 * * -E2BIG - size above the module's struct with a non-zero tail, or above
 *   a page
 * * any error of the handler
 */
long kipc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	const struct kipc_ioctl_def *def;
	union kipc_ioctl_arg karg;
	u32 usize;
	int ret;

	def = kipc_ioctl_lookup(cmd);
	if (!def)
		return -ENOTTY;
	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < def->size_ver0)
		return -EINVAL;
	if (usize > KIPC_ARG_SIZE_MAX)
		return -E2BIG;
	ret = copy_struct_from_user(&karg, def->size, uarg, usize);
	if (ret)
		return ret;

	ret = def->handler(file->private_data, &karg);
	if (ret < 0)
		return ret;

	if ((_IOC_DIR(def->cmd) & _IOC_READ) &&
	    copy_to_user(uarg, &karg, min_t(u32, usize, def->size)))
		return -EFAULT;
	return ret;
}
