// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Names: publish a region or a channel end in the caller's IPC namespace,
 * open one by name, unlink one.
 */
#include <errno.h>
#include <string.h>

#include "kipc.h"
#include "sys.h"

#define NAME_FLAGS	(KIPC_FD_NONBLOCK | KIPC_FD_CLOEXEC | \
			 KIPC_NAME_CREATE | KIPC_NAME_EXCL)

/* KIPC_IOC_NAME_OPEN; @no has the kernel's answer. The new fd or -errno. */
static int name_open(struct kipc *k, const char *name, unsigned int flags,
		     unsigned int mode, int fd, struct kipc_name_open *no)
{
	if (!k || !name || flags & ~NAME_FLAGS)
		return -EINVAL;
	memset(no, 0, sizeof(*no));
	no->size = sizeof(*no);
	no->flags = flags | KIPC_FD_CLOEXEC;
	no->name = (uint64_t)(uintptr_t)name;
	no->fd = flags & KIPC_NAME_CREATE ? (uint32_t)fd : KIPC_NO_FD;
	no->mode = flags & KIPC_NAME_CREATE ? mode : 0;
	return kipc__ioctl(k->fd, KIPC_IOC_NAME_OPEN, no);
}

KIPC_API int kipc_name_open(struct kipc *k, const char *name,
			    unsigned int flags, unsigned int mode, int fd,
			    uint32_t *kind)
{
	struct kipc_name_open no;
	int ret;

	ret = name_open(k, name, flags, mode, fd, &no);
	if (ret >= 0 && kind)
		*kind = no.kind;
	return ret;
}

/*
 * kipc_name_open() that also says whether this call published the name
 * (the kernel's created, set since names exist) and the object's id: a
 * create-or-open caller knows whether its own object won.
 */
KIPC_API int kipc_name_open_info(struct kipc *k, const char *name,
				 unsigned int flags, unsigned int mode, int fd,
				 struct kipc_name_info *info)
{
	struct kipc_name_open no;
	int ret;

	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	ret = name_open(k, name, flags, mode, fd, &no);
	if (ret < 0)
		return ret;
	info->kind = no.kind;
	info->created = no.created ? 1 : 0;
	info->id = no.id;
	return ret;
}

KIPC_API int kipc_name_unlink(struct kipc *k, const char *name)
{
	struct kipc_name_unlink nu;

	if (!k || !name)
		return -EINVAL;
	memset(&nu, 0, sizeof(nu));
	nu.size = sizeof(nu);
	nu.name = (uint64_t)(uintptr_t)name;
	return kipc__ioctl(k->fd, KIPC_IOC_NAME_UNLINK, &nu);
}

int kipc__name_publish(struct kipc *k, const char *name, unsigned int mode,
		       int fd)
{
	int ret = kipc_name_open(k, name, KIPC_NAME_CREATE | KIPC_NAME_EXCL |
				 KIPC_FD_CLOEXEC, mode, fd, NULL);

	if (ret < 0)
		return ret;
	kipc__close(ret);	/* the name holds the object */
	return 0;
}
