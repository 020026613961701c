// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Contexts: opening /dev/kipc and asking the module what it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "kipc.h"
#include "sys.h"

KIPC_API int kipc_open(struct kipc **kp, unsigned int flags)
{
	struct kipc *k;

	if (!kp || flags)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->fd = open(KIPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (k->fd < 0) {
		int err = -errno;

		free(k);
		return err;
	}
	*kp = k;
	return 0;
}

KIPC_API int kipc_close(struct kipc *k)
{
	int ret;

	if (!k)
		return -EINVAL;
	ret = kipc__close(k->fd);
	free(k);
	return ret;
}

KIPC_API int kipc_fd(const struct kipc *k)
{
	return k ? k->fd : -EINVAL;
}

KIPC_API int kipc_version(struct kipc *k, struct kipc_version_info *info)
{
	struct kipc_version v;
	int ret;

	if (!k || !info)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	ret = kipc__ioctl(k->fd, KIPC_IOC_VERSION, &v);
	if (ret < 0)
		return ret;
	info->abi_version = v.abi_version;
	info->features = v.features;
	return 0;
}
