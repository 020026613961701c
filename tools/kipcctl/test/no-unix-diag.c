// SPDX-License-Identifier: GPL-2.0
/*
 * no-unix-diag.so, LD_PRELOADed by test-sys.sh: every netlink answer read
 * through libmnl is the error of a kernel without unix_diag (ENOENT), so
 * that kipcctl sys unix takes its /proc/net/unix fallback on its own. With
 * NO_UNIX_DIAG_OPEN=N in the environment, opening a netlink socket fails
 * instead, with errno N: a kernel without netlink (EAFNOSUPPORT), or a
 * security module or seccomp that refuses it (EPERM, EACCES). With
 * NO_UNIX_DIAG_ERRNO=N, the answers' error is N instead of ENOENT: one
 * that is no sign of a kernel without unix_diag, such as EIO.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <libmnl/libmnl.h>

int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq,
	       unsigned int portid, mnl_cb_t cb_data, void *data)
{
	const char *err = getenv("NO_UNIX_DIAG_ERRNO");

	(void)buf, (void)numbytes, (void)seq, (void)portid, (void)cb_data;
	(void)data;
	errno = err ? atoi(err) : ENOENT;
	return MNL_CB_ERROR;
}

struct mnl_socket *mnl_socket_open(int bus)
{
	struct mnl_socket *(*real)(int) = (struct mnl_socket *(*)(int))
		dlsym(RTLD_NEXT, "mnl_socket_open");
	const char *err = getenv("NO_UNIX_DIAG_OPEN");

	if (err) {
		errno = atoi(err);
		return NULL;
	}
	return real(bus);
}
