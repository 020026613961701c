/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/kipc.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_KIPC_GEN_H
#define _LINUX_KIPC_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/kipc_nl.h>
#include <compat.h>

/* Ops table for kipc */
extern const struct genl_split_ops kipc_nl_ops[13];

int kipc_nl_dump_start(struct netlink_callback *cb);
int kipc_nl_dump_done(struct netlink_callback *cb);

int kipc_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info);
int kipc_nl_region_get_doit(struct sk_buff *skb, struct genl_info *info);
int kipc_nl_region_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int kipc_nl_channel_get_doit(struct sk_buff *skb, struct genl_info *info);
int kipc_nl_channel_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int kipc_nl_user_get_doit(struct sk_buff *skb, struct genl_info *info);
int kipc_nl_user_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int kipc_nl_lend_queue_get_doit(struct sk_buff *skb, struct genl_info *info);
int kipc_nl_lend_queue_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int kipc_nl_name_get_doit(struct sk_buff *skb, struct genl_info *info);
int kipc_nl_name_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int kipc_nl_service_get_doit(struct sk_buff *skb, struct genl_info *info);
int kipc_nl_service_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);

enum {
	KIPC_NLGRP_EVENTS,
};

#endif /* _LINUX_KIPC_GEN_H */
