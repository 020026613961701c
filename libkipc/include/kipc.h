/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc: the userspace library of kipc, kernel-assisted zero-copy IPC.
 *
 * Every function returns 0 (or a non-negative count) on success and a
 * negative errno on failure; errno itself is left alone. Handles are opaque;
 * every handle has an accessor for its file descriptor so callers can use
 * their own event loop.
 */
#ifndef LIBKIPC_KIPC_H
#define LIBKIPC_KIPC_H

#include <stdint.h>
#include <linux/kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An open context of /dev/kipc. */
struct kipc;

/** What the running module reports about itself. */
struct kipc_version_info {
	uint32_t abi_version;	/* KIPC_ABI_VERSION of the module */
	uint64_t features;	/* KIPC_FEATURE_* bits it implements */
};

int kipc_open(struct kipc **kp, unsigned int flags);
int kipc_close(struct kipc *k);
int kipc_fd(const struct kipc *k);
int kipc_version(struct kipc *k, struct kipc_version_info *info);

#ifdef __cplusplus
}
#endif

#endif /* LIBKIPC_KIPC_H */
