// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: the /dev/kipc misc device, its file operations and module entry.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/kipc.h>

#include "kipc.h"

static int kipc_dev_open(struct inode *inode, struct file *file)
{
	struct kipc_ctx *ctx;
	int ret;

	ret = kipc_may_open();
	if (ret)
		return ret;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->user = kipc_user_current();
	if (!ctx->user) {
		kfree(ctx);
		return -ENOMEM;
	}
	file->private_data = ctx;
	return 0;
}

static int kipc_release(struct inode *inode, struct file *file)
{
	struct kipc_ctx *ctx = file->private_data;

	kipc_user_put(ctx->user);
	kfree(ctx);
	return 0;
}

static void kipc_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_ctx *ctx = file->private_data;

	seq_printf(m, "kipc-object:\tcontext\nkipc-abi:\t%u\nkipc-uid:\t%u\n",
		   KIPC_ABI_VERSION,
		   from_kuid_munged(seq_user_ns(m), ctx->user->uid));
}

static const struct file_operations kipc_fops = {
	.owner		= THIS_MODULE,
	.open		= kipc_dev_open,
	.release	= kipc_release,
	.unlocked_ioctl	= kipc_ctx_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kipc_show_fdinfo,
	.llseek		= noop_llseek,
};

static struct miscdevice kipc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kipc",
	.fops	= &kipc_fops,
	.mode	= 0666,
};

static int __init kipc_init(void)
{
	int ret;

	kipc_obj_init_indexes();
	ret = kipc_waitq_init();
	if (ret)
		return ret;
	ret = kipc_nl_init();
	if (ret) {
		pr_err("cannot register the kipc netlink family: %d\n", ret);
		goto out_waitq_exit;
	}
	ret = misc_register(&kipc_misc);
	if (ret) {
		pr_err("cannot register /dev/kipc: %d\n", ret);
		goto out_nl_exit;
	}
	pr_info("loaded, version %s, ABI %u\n", KIPC_VERSION, KIPC_ABI_VERSION);
	return 0;

out_nl_exit:
	kipc_nl_exit();
out_waitq_exit:
	kipc_waitq_exit();
	return ret;
}

static void __exit kipc_exit(void)
{
	misc_deregister(&kipc_misc);
	kipc_names_exit();
	kipc_nl_exit();
	kipc_waitq_exit();
	kipc_obj_exit_indexes();
}

module_init(kipc_init);
module_exit(kipc_exit);

MODULE_DESCRIPTION("kipc: kernel-assisted zero-copy inter-process communication");
MODULE_AUTHOR("kipc developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KIPC_VERSION);
