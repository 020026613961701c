// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/kipc.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/kipc_nl.h>
#include <compat.h>

/* KIPC_CMD_REGION_GET - do */
static const struct nla_policy kipc_region_get_do_nl_policy[KIPC_A_REGION_ID + 1] = {
	[KIPC_A_REGION_ID] = { .type = NLA_U64, },
};

/* KIPC_CMD_REGION_GET - dump */
static const struct nla_policy kipc_region_get_dump_nl_policy[KIPC_A_REGION_PID + 1] = {
	[KIPC_A_REGION_UID] = { .type = NLA_U32, },
	[KIPC_A_REGION_PID] = { .type = NLA_U32, },
};

/* KIPC_CMD_CHANNEL_GET - do */
static const struct nla_policy kipc_channel_get_do_nl_policy[KIPC_A_CHANNEL_ID + 1] = {
	[KIPC_A_CHANNEL_ID] = { .type = NLA_U64, },
};

/* KIPC_CMD_CHANNEL_GET - dump */
static const struct nla_policy kipc_channel_get_dump_nl_policy[KIPC_A_CHANNEL_PID + 1] = {
	[KIPC_A_CHANNEL_UID] = { .type = NLA_U32, },
	[KIPC_A_CHANNEL_PID] = { .type = NLA_U32, },
};

/* KIPC_CMD_USER_GET - do */
static const struct nla_policy kipc_user_get_do_nl_policy[KIPC_A_USER_UID + 1] = {
	[KIPC_A_USER_UID] = { .type = NLA_U32, },
};

/* KIPC_CMD_USER_GET - dump */
static const struct nla_policy kipc_user_get_dump_nl_policy[KIPC_A_USER_UID + 1] = {
	[KIPC_A_USER_UID] = { .type = NLA_U32, },
};

/* KIPC_CMD_LEND_QUEUE_GET - do */
static const struct nla_policy kipc_lend_queue_get_do_nl_policy[KIPC_A_LEND_QUEUE_ID + 1] = {
	[KIPC_A_LEND_QUEUE_ID] = { .type = NLA_U64, },
};

/* KIPC_CMD_LEND_QUEUE_GET - dump */
static const struct nla_policy kipc_lend_queue_get_dump_nl_policy[KIPC_A_LEND_QUEUE_PID + 1] = {
	[KIPC_A_LEND_QUEUE_UID] = { .type = NLA_U32, },
	[KIPC_A_LEND_QUEUE_PID] = { .type = NLA_U32, },
};

/* KIPC_CMD_NAME_GET - do */
static const struct nla_policy kipc_name_get_do_nl_policy[KIPC_A_NAME_ID + 1] = {
	[KIPC_A_NAME_ID] = { .type = NLA_U64, },
};

/* KIPC_CMD_NAME_GET - dump */
static const struct nla_policy kipc_name_get_dump_nl_policy[KIPC_A_NAME_PID + 1] = {
	[KIPC_A_NAME_UID] = { .type = NLA_U32, },
	[KIPC_A_NAME_PID] = { .type = NLA_U32, },
};

/* KIPC_CMD_SERVICE_GET - do */
static const struct nla_policy kipc_service_get_do_nl_policy[KIPC_A_SERVICE_ID + 1] = {
	[KIPC_A_SERVICE_ID] = { .type = NLA_U64, },
};

/* KIPC_CMD_SERVICE_GET - dump */
static const struct nla_policy kipc_service_get_dump_nl_policy[KIPC_A_SERVICE_PID + 1] = {
	[KIPC_A_SERVICE_UID] = { .type = NLA_U32, },
	[KIPC_A_SERVICE_PID] = { .type = NLA_U32, },
};

/* Ops table for kipc */
const struct genl_split_ops kipc_nl_ops[13] = {
	{
		.cmd	= KIPC_CMD_STATS_GET,
		.doit	= kipc_nl_stats_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KIPC_CMD_REGION_GET,
		.doit		= kipc_nl_region_get_doit,
		.policy		= kipc_region_get_do_nl_policy,
		.maxattr	= KIPC_A_REGION_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KIPC_CMD_REGION_GET,
		.start		= kipc_nl_dump_start,
		.dumpit		= kipc_nl_region_get_dumpit,
		.done		= kipc_nl_dump_done,
		.policy		= kipc_region_get_dump_nl_policy,
		.maxattr	= KIPC_A_REGION_PID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= KIPC_CMD_CHANNEL_GET,
		.doit		= kipc_nl_channel_get_doit,
		.policy		= kipc_channel_get_do_nl_policy,
		.maxattr	= KIPC_A_CHANNEL_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KIPC_CMD_CHANNEL_GET,
		.start		= kipc_nl_dump_start,
		.dumpit		= kipc_nl_channel_get_dumpit,
		.done		= kipc_nl_dump_done,
		.policy		= kipc_channel_get_dump_nl_policy,
		.maxattr	= KIPC_A_CHANNEL_PID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= KIPC_CMD_USER_GET,
		.doit		= kipc_nl_user_get_doit,
		.policy		= kipc_user_get_do_nl_policy,
		.maxattr	= KIPC_A_USER_UID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KIPC_CMD_USER_GET,
		.start		= kipc_nl_dump_start,
		.dumpit		= kipc_nl_user_get_dumpit,
		.done		= kipc_nl_dump_done,
		.policy		= kipc_user_get_dump_nl_policy,
		.maxattr	= KIPC_A_USER_UID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= KIPC_CMD_LEND_QUEUE_GET,
		.doit		= kipc_nl_lend_queue_get_doit,
		.policy		= kipc_lend_queue_get_do_nl_policy,
		.maxattr	= KIPC_A_LEND_QUEUE_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KIPC_CMD_LEND_QUEUE_GET,
		.start		= kipc_nl_dump_start,
		.dumpit		= kipc_nl_lend_queue_get_dumpit,
		.done		= kipc_nl_dump_done,
		.policy		= kipc_lend_queue_get_dump_nl_policy,
		.maxattr	= KIPC_A_LEND_QUEUE_PID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= KIPC_CMD_NAME_GET,
		.doit		= kipc_nl_name_get_doit,
		.policy		= kipc_name_get_do_nl_policy,
		.maxattr	= KIPC_A_NAME_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KIPC_CMD_NAME_GET,
		.start		= kipc_nl_dump_start,
		.dumpit		= kipc_nl_name_get_dumpit,
		.done		= kipc_nl_dump_done,
		.policy		= kipc_name_get_dump_nl_policy,
		.maxattr	= KIPC_A_NAME_PID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= KIPC_CMD_SERVICE_GET,
		.doit		= kipc_nl_service_get_doit,
		.policy		= kipc_service_get_do_nl_policy,
		.maxattr	= KIPC_A_SERVICE_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= KIPC_CMD_SERVICE_GET,
		.start		= kipc_nl_dump_start,
		.dumpit		= kipc_nl_service_get_dumpit,
		.done		= kipc_nl_dump_done,
		.policy		= kipc_service_get_dump_nl_policy,
		.maxattr	= KIPC_A_SERVICE_PID,
		.flags		= GENL_CMD_CAP_DUMP,
	},
};

static const struct genl_multicast_group kipc_nl_mcgrps[] = {
	[KIPC_NLGRP_EVENTS] = { "events", },
};
