// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: message contents.  Every message starts with its sequence
 * number; with --touch the sender writes every byte and the receiver reads
 * every byte back, so that a lost, repeated, reordered or damaged message
 * fails the row.
 */
#include <inttypes.h>
#include <string.h>

#include "kipc-bench.h"

/* The 64-bit word at index @i (> 0) of message @seq. */
static inline uint64_t kb_pattern(uint64_t seq, size_t i)
{
	return seq * 0x9e3779b97f4a7c15ULL ^ i * 0xc2b2ae3d27d4eb4fULL;
}

void kb_msg_fill(void *buf, size_t size, uint64_t seq, bool touch)
{
	uint64_t *w = buf;
	size_t i, words = size / 8;
	unsigned char *tail;

	w[0] = seq;
	if (!touch)
		return;
	for (i = 1; i < words; i++)
		w[i] = kb_pattern(seq, i);
	tail = (unsigned char *)&w[words];
	for (i = 0; i < size % 8; i++)
		tail[i] = (unsigned char)kb_pattern(seq, words + i);
}

int kb_msg_check(const void *buf, size_t size, uint64_t seq, bool touch,
		 char *why, size_t len)
{
	const uint64_t *w = buf;
	size_t i, words = size / 8;
	const unsigned char *tail;
	uint64_t got;

	memcpy(&got, buf, sizeof(got));
	if (got != seq) {
		snprintf(why, len,
			 "sequence error: expected message %" PRIu64 ", got %"
			 PRIu64 " (lost or reordered)", seq, got);
		return -1;
	}
	if (!touch)
		return 0;
	for (i = 1; i < words; i++)
		if (w[i] != kb_pattern(seq, i))
			goto corrupt;
	tail = (const unsigned char *)&w[words];
	for (i = 0; i < size % 8; i++)
		if (tail[i] != (unsigned char)kb_pattern(seq, words + i))
			goto corrupt;
	return 0;

corrupt:
	snprintf(why, len, "payload of message %" PRIu64
		 " damaged near byte %zu", seq, i * 8);
	return -1;
}
