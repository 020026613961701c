/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc internal interfaces shared by the files of the module.
 */
#ifndef _KIPC_INTERNAL_H
#define _KIPC_INTERNAL_H

#include <linux/cred.h>
#include <linux/fs.h>

/**
 * struct kipc_ctx - an open file of /dev/kipc
 * @cred: credentials of the opener; objects created on the context are
 *	charged to this user
 *
 * Owned by the file: allocated in open, freed in release.
 */
struct kipc_ctx {
	const struct cred *cred;
};

long kipc_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _KIPC_INTERNAL_H */
