// SPDX-License-Identifier: GPL-2.0
/*
 * no-unix-diag.so, LD_PRELOADed by test-sys.sh: every netlink answer read
 * through libmnl is the error of a kernel without unix_diag (ENOENT), so
 * that kipcctl sys unix takes its /proc/net/unix fallback on its own.
 */
#include <errno.h>
#include <libmnl/libmnl.h>

int mnl_cb_run(const void *buf, size_t numbytes, unsigned int seq,
	       unsigned int portid, mnl_cb_t cb_data, void *data)
{
	(void)buf, (void)numbytes, (void)seq, (void)portid, (void)cb_data;
	(void)data;
	errno = ENOENT;
	return MNL_CB_ERROR;
}
