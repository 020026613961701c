/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A ring's layout in its region (ring.c): shared by the processes that map
 * it, whatever libkipc each links, so words are only ever added, in room
 * that older versions zeroed. Kept apart from ring.c so that tests can
 * place a ring on pages of their choosing and read its words
 * (libkipc/test/ring_race_test.c, ring_notifier_death_test.c).
 */
#ifndef LIBKIPC_RING_H
#define LIBKIPC_RING_H

#include <stdint.h>

#define RING_MAGIC	0x6b72696eU	/* "kring" */
#define RING_CL		64

/*
 * An eventcount (ring.c tells how it is used). waiters is the flag of the
 * first libkipc versions, which a notifier clears; a sleeper still sets it
 * for notifiers of those versions. sleepers is the count a notifier never
 * touches: a notifier that dies before it wakes cannot lose the sleepers
 * counted in it.
 */
struct ring_ec {
	uint32_t seq;		/* bumped by a notifier that saw sleepers */
	uint32_t waiters;	/* set by a sleeper, cleared by a notifier */
	uint64_t wake_ns;	/* CLOCK_MONOTONIC of the last wake; 0: none */
	uint32_t sleepers;	/* each sleeper adds 1 while it may sleep */
};

/*
 * At the ring's offset (64-byte aligned), one cacheline each. Indices are
 * free-running u32 (nr_slots is a power of two, at most 2^30), so "t - h"
 * is the fill level across wrap-around.
 */
/* A ring's constants, written once by its creator before magic. */
struct ring_hdr {
	uint32_t magic;
	uint32_t flags;
	uint32_t nr_slots;
	uint32_t msg_size;
	uint32_t stride;
};

struct ring_shared {
	struct ring_hdr hdr __attribute__((aligned(RING_CL)));
	/* SPSC: next slot to write; MPMC: next position to claim */
	uint32_t tail __attribute__((aligned(RING_CL)));
	/* SPSC: next slot to read; MPMC: next position to take */
	uint32_t head __attribute__((aligned(RING_CL)));
	/* what consumers sleep on */
	struct ring_ec not_empty __attribute__((aligned(RING_CL)));
	/* what producers sleep on */
	struct ring_ec not_full __attribute__((aligned(RING_CL)));
	/* nr_slots x stride; an MPMC slot starts with a u32 sequence */
	unsigned char slots[] __attribute__((aligned(RING_CL)));
};

#endif /* LIBKIPC_RING_H */
