// SPDX-License-Identifier: GPL-2.0
/*
 * Bodies of the compat.h wrappers too long to be inline: on 6.1, generic
 * netlink split ops (6.2) emulated over struct genl_ops. Empty on 6.2+.
 */
#include <linux/slab.h>

#include "compat.h"

#ifndef KIPC_HAVE_GENL_SPLIT_OPS

/* The split ops of the one family kipc registers. */
static const struct genl_split_ops *kipc_split_ops;
static unsigned int kipc_n_split_ops;

static const struct genl_split_ops *kipc_split_op(u8 cmd, u8 cap)
{
	unsigned int i;

	for (i = 0; i < kipc_n_split_ops; i++)
		if (kipc_split_ops[i].cmd == cmd &&
		    (kipc_split_ops[i].flags & cap))
			return &kipc_split_ops[i];
	return NULL;
}

/* Parse a request with @op's policy, strictly, as 6.2+ genetlink does. */
static struct nlattr **kipc_split_parse(const struct genl_split_ops *op,
					const struct nlmsghdr *nlh,
					struct netlink_ext_ack *extack)
{
	struct nlattr **tb;
	int ret;

	if (!op->maxattr)
		return NULL;
	tb = kmalloc_array(op->maxattr + 1, sizeof(*tb), GFP_KERNEL);
	if (!tb)
		return ERR_PTR(-ENOMEM);
	ret = __nlmsg_parse(nlh, GENL_HDRLEN, tb, op->maxattr, op->policy,
			    NL_VALIDATE_STRICT, extack);
	if (ret) {
		kfree(tb);
		return ERR_PTR(ret);
	}
	return tb;
}

static int kipc_compat_doit(struct sk_buff *skb, struct genl_info *info)
{
	const struct genl_split_ops *op;
	struct nlattr **tb;
	int ret;

	op = kipc_split_op(info->genlhdr->cmd, GENL_CMD_CAP_DO);
	if (!op)
		return -EOPNOTSUPP;
	tb = kipc_split_parse(op, info->nlhdr, info->extack);
	if (IS_ERR(tb))
		return PTR_ERR(tb);
	info->attrs = tb;
	ret = op->doit(skb, info);
	info->attrs = NULL;
	kfree(tb);
	return ret;
}

static const struct genl_split_ops *kipc_dump_op(struct netlink_callback *cb)
{
	const struct genlmsghdr *hdr = nlmsg_data(cb->nlh);

	return kipc_split_op(hdr->cmd, GENL_CMD_CAP_DUMP);
}

/* genl_start() has set up the dump info; genetlink frees ->attrs at done. */
static int kipc_compat_start(struct netlink_callback *cb)
{
	struct genl_dumpit_info *info = cb->data;
	const struct genl_split_ops *op = kipc_dump_op(cb);
	struct nlattr **tb;
	int ret;

	if (!op)
		return -EOPNOTSUPP;
	tb = kipc_split_parse(op, cb->nlh, cb->extack);
	if (IS_ERR(tb))
		return PTR_ERR(tb);
	info->attrs = tb;
	if (!op->start)
		return 0;
	ret = op->start(cb);
	if (ret) {
		info->attrs = NULL;
		kfree(tb);
	}
	return ret;
}

static int kipc_compat_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return kipc_dump_op(cb)->dumpit(skb, cb);
}

static int kipc_compat_done(struct netlink_callback *cb)
{
	const struct genl_split_ops *op = kipc_dump_op(cb);

	return op && op->done ? op->done(cb) : 0;
}

/**
 * kipc_genl_register_family() - register a family given split ops (6.1)
 * @family: the family, without ops
 * @ops: split ops, at most one do and one dump per command
 * @n_ops: entries in @ops
 *
 * Builds one struct genl_ops per command whose handlers are trampolines
 * that apply the split op's own policy.
 *
 * Context: module init.
 * Return: 0, -ENOMEM, or an error of genl_register_family().
 */
int kipc_genl_register_family(struct genl_family *family,
			      const struct genl_split_ops *ops,
			      unsigned int n_ops)
{
	const u8 caps = GENL_CMD_CAP_DO | GENL_CMD_CAP_DUMP | GENL_CMD_CAP_HASPOL;
	struct genl_ops *gops;
	unsigned int i, j, n = 0;
	int ret;

	gops = kcalloc(n_ops, sizeof(*gops), GFP_KERNEL);
	if (!gops)
		return -ENOMEM;
	for (i = 0; i < n_ops; i++) {
		for (j = 0; j < n && gops[j].cmd != ops[i].cmd; j++)
			;
		if (j == n)
			n++;
		gops[j].cmd = ops[i].cmd;
		gops[j].flags |= ops[i].flags & ~caps;
		/* Leave parsing to the trampolines (see resv_start_op). */
		gops[j].validate = GENL_DONT_VALIDATE_STRICT |
				   GENL_DONT_VALIDATE_DUMP;
		if (ops[i].flags & GENL_CMD_CAP_DO) {
			gops[j].doit = kipc_compat_doit;
		} else {
			gops[j].start = kipc_compat_start;
			gops[j].dumpit = kipc_compat_dumpit;
			gops[j].done = kipc_compat_done;
		}
	}
	kipc_split_ops = ops;
	kipc_n_split_ops = n_ops;
	/*
	 * 6.1 gives a command at or above resv_start_op without a policy a
	 * reject-all one, and refuses validate flags on it: mark every
	 * command as older, so that genetlink hands the request over as it
	 * came and the trampolines apply the split op's strict policy.
	 */
	family->resv_start_op = U8_MAX;
	family->ops = gops;
	family->n_ops = n;
	ret = genl_register_family(family);
	if (ret) {
		family->ops = NULL;
		kfree(gops);
	}
	return ret;
}

/**
 * kipc_genl_unregister_family() - unregister a family registered above
 * @family: the family
 *
 * Context: module exit.
 */
void kipc_genl_unregister_family(struct genl_family *family)
{
	genl_unregister_family(family);
	kfree(family->ops);
	family->ops = NULL;
}

#endif
