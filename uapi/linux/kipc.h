/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kipc: kernel-assisted zero-copy inter-process communication.
 *
 * The one definition of the ABI between the kipc module (/dev/kipc) and
 * userspace. Every ioctl argument is an extensible struct whose first field
 * is its size as the caller knows it: the kernel accepts any size from the
 * first published version (KIPC_*_SIZE_VER0) up to a page, treats fields the
 * caller did not pass as zero, and rejects a larger struct whose unknown tail
 * is not zero (E2BIG). Reserved fields must be zero (EINVAL).
 */
#ifndef _UAPI_LINUX_KIPC_H
#define _UAPI_LINUX_KIPC_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KIPC_DEVICE_PATH	"/dev/kipc"
#define KIPC_MAGIC		0xb7

/* The ABI version KIPC_IOC_VERSION reports. */
#define KIPC_ABI_VERSION	1

/*
 * Feature bits reported by KIPC_IOC_VERSION. A bit is set when the running
 * module implements the feature; a library checks it before using one.
 */
#define KIPC_FEATURES_ALL	0ULL

/**
 * struct kipc_version - argument of %KIPC_IOC_VERSION
 * @size: in: sizeof(struct kipc_version) as the caller knows it
 * @abi_version: out: %KIPC_ABI_VERSION of the running module
 * @features: out: the KIPC_FEATURE_* bits the running module implements
 * @reserved: in: must be zero
 */
struct kipc_version {
	__u32 size;
	__u32 abi_version;
	__u64 features;
	__u64 reserved[2];
};

#define KIPC_VERSION_SIZE_VER0	32	/* sizeof first published struct */

/*
 * The ioctl number carries the struct type for documentation and strace;
 * the kernel matches commands on type, number and direction, and takes the
 * argument's size from its size field.
 */
#define KIPC_IOC_VERSION	_IOWR(KIPC_MAGIC, 0x00, struct kipc_version)

/*
 * The generic netlink family "kipc": its commands, attributes and enums,
 * generated from Documentation/netlink/specs/kipc.yaml.
 */
#include <linux/kipc_nl.h>

#endif /* _UAPI_LINUX_KIPC_H */
