// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the mechanism table.  One row per mechanism, in the order
 * `list` and the result tables show them.  A new mechanism is a struct
 * kb_mech in its family's file and one line here; the harness needs no
 * change.  kipc's own rows (kipc-inline, kipc-rw, kipc-region, kipc-lend,
 * kipc-wait, futex-region, kipc-ring, kipc-rpc) go at the end, with an available()
 * probe that reports "/dev/kipc missing" until the module is loaded.
 */
#include <string.h>

#include "kipc-bench.h"

const struct kb_mech *const kb_mechs[] = {
	&kb_mech_pipe,
	&kb_mech_fifo,
	&kb_mech_unix_stream,
	&kb_mech_unix_dgram,
	&kb_mech_unix_seqpacket,
	&kb_mech_tcp,
	&kb_mech_sysv_msg,
	&kb_mech_sysv_shm,
	&kb_mech_posix_mq,
	&kb_mech_posix_shm,
	&kb_mech_futex_shared,
	&kb_mech_eventfd,
	&kb_mech_signal,
	&kb_mech_vmsplice,
	&kb_mech_cma,
	&kb_mech_cma_read,
	&kb_mech_spin_ring,
	&kb_mech_probe_pipe,
	&kb_mech_probe_unix,
	&kb_mech_probe_eventfd,
	&kb_mech_probe_futex,
	&kb_mech_probe_spin_ring,
	&kb_mech_dbus,
	&kb_mech_kipc_inline,
	&kb_mech_kipc_rw,
	&kb_mech_kipc_rw_nostats,
	&kb_mech_kipc_rw_nopoll,
	&kb_mech_kipc_call,
	&kb_mech_kipc_region,
	&kb_mech_kipc_lend,
	&kb_mech_kipc_wait,
	&kb_mech_futex_region,
	&kb_mech_kipc_ring,
	&kb_mech_kipc_rpc,
	&kb_mech_kipc_rpc_lib,
};

const size_t kb_nr_mechs = ARRAY_SIZE(kb_mechs);

const struct kb_mech *kb_mech_find(const char *name)
{
	size_t i;

	for (i = 0; i < kb_nr_mechs; i++)
		if (!strcmp(kb_mechs[i]->name, name))
			return kb_mechs[i];
	return NULL;
}

enum kb_mode kb_mech_default_mode(const struct kb_mech *m)
{
	return __builtin_ctz(m->modes);
}
