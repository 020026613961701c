/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkipc's one way into the kernel, and the internal layout of handles.
 */
#ifndef LIBKIPC_SYS_H
#define LIBKIPC_SYS_H

#define KIPC_API __attribute__((visibility("default")))

struct kipc {
	int fd;
};

int kipc__ioctl(int fd, unsigned long cmd, void *arg);
int kipc__close(int fd);

#endif /* LIBKIPC_SYS_H */
