// SPDX-License-Identifier: GPL-2.0
/* ABI tables for KIPC_IOC_WAIT, WAKE, WAITV and REQUEUE: every bad struct, field and fd type, and its errno. */
#include "kselftest_harness.h"
#include "abi_table.h"
#include "waitq_test.h"

enum on { ON_CTX, ON_REGION, ON_SEND, ON_RECV };
enum efd { EFD_REGION, EFD_CTX, EFD_SEND, EFD_DEVNULL, EFD_CLOSED };

FIXTURE(abi) {
	KT_ABI_OBJS;
	struct kipc_waitv_entry ents[KIPC_WAITV_MAX + 1];
};

FIXTURE_VARIANT(abi) {
	KT_ABI_ROW;
	/* WAITV only */
	int ent_poke;		/* write @ent_poke_val at @ent_poke_off of ents */
	size_t ent_poke_off;
	uint32_t ent_poke_val;
	enum efd ent_fd;	/* what entries[0].region_fd is */
	int bad_entries;
};

#define ENTOFF(field)		offsetof(struct kipc_waitv_entry, field)

/* WAIT, on a region. */
STRUCT_RULES(wait, KIPC_IOC_WAIT, ON_REGION, kipc_wait,
	     KIPC_WAIT_SIZE_VER0, EAGAIN);
POKE(wait_flag_bit1, KIPC_IOC_WAIT, ON_REGION, OFF(kipc_wait, flags), 2, EINVAL);
POKE(wait_flag_bit31, KIPC_IOC_WAIT, ON_REGION, OFF(kipc_wait, flags),
	1u << 31, EINVAL);
POKE(wait_reserved0, KIPC_IOC_WAIT, ON_REGION, OFF(kipc_wait, reserved0), 1,
	EINVAL);
POKE(wait_reserved_0, KIPC_IOC_WAIT, ON_REGION, OFF(kipc_wait, reserved[0]),
	1, EINVAL);
POKE(wait_reserved_1_high, KIPC_IOC_WAIT, ON_REGION,
	OFF(kipc_wait, reserved[1]) + 4, 1, EINVAL);
POKE(wait_clockid_without_timeout, KIPC_IOC_WAIT, ON_REGION,
	OFF(kipc_wait, clockid), CLOCK_MONOTONIC, EINVAL);
POKE(wait_timeout_ns_without_timeout, KIPC_IOC_WAIT, ON_REGION,
	OFF(kipc_wait, timeout_ns), 1, EINVAL);
POKE(wait_offset_misaligned, KIPC_IOC_WAIT, ON_REGION, OFF(kipc_wait, offset),
	2, EINVAL);
POKE(wait_offset_past_end, KIPC_IOC_WAIT, ON_REGION, OFF(kipc_wait, offset),
	1u << 20, EINVAL);
POKE(wait_offset_high_word, KIPC_IOC_WAIT, ON_REGION,
	OFF(kipc_wait, offset) + 4, 1, EINVAL);
POKE(wait_bitset_any_value, KIPC_IOC_WAIT, ON_REGION, OFF(kipc_wait, bitset),
	0xdeadbeef, EAGAIN);
WRONG_FD(wait_on_context, KIPC_IOC_WAIT, ON_CTX);
WRONG_FD(wait_on_send, KIPC_IOC_WAIT, ON_SEND);
WRONG_FD(wait_on_recv, KIPC_IOC_WAIT, ON_RECV);

/* WAKE, on a region. */
STRUCT_RULES(wake, KIPC_IOC_WAKE, ON_REGION, kipc_wake, KIPC_WAKE_SIZE_VER0, 0);
POKE(wake_flags, KIPC_IOC_WAKE, ON_REGION, OFF(kipc_wake, flags), 1, EINVAL);
POKE(wake_reserved_0, KIPC_IOC_WAKE, ON_REGION, OFF(kipc_wake, reserved[0]),
	1, EINVAL);
POKE(wake_reserved_1_high, KIPC_IOC_WAKE, ON_REGION,
	OFF(kipc_wake, reserved[1]) + 4, 1, EINVAL);
POKE(wake_offset_misaligned, KIPC_IOC_WAKE, ON_REGION, OFF(kipc_wake, offset),
	3, EINVAL);
POKE(wake_offset_past_end, KIPC_IOC_WAKE, ON_REGION, OFF(kipc_wake, offset),
	1u << 20, EINVAL);
POKE(wake_offset_high_word, KIPC_IOC_WAKE, ON_REGION,
	OFF(kipc_wake, offset) + 4, 1, EINVAL);
POKE(wake_nr_zero, KIPC_IOC_WAKE, ON_REGION, OFF(kipc_wake, nr), 0, 0);
WRONG_FD(wake_on_context, KIPC_IOC_WAKE, ON_CTX);
WRONG_FD(wake_on_send, KIPC_IOC_WAKE, ON_SEND);
WRONG_FD(wake_on_recv, KIPC_IOC_WAKE, ON_RECV);

/* WAITV, on a context. */
STRUCT_RULES(waitv, KIPC_IOC_WAITV, ON_CTX, kipc_waitv, KIPC_WAITV_SIZE_VER0,
	     EAGAIN);
POKE(waitv_flag_bit1, KIPC_IOC_WAITV, ON_CTX, OFF(kipc_waitv, flags), 2, EINVAL);
POKE(waitv_reserved_0, KIPC_IOC_WAITV, ON_CTX, OFF(kipc_waitv, reserved[0]),
	1, EINVAL);
POKE(waitv_reserved_1_high, KIPC_IOC_WAITV, ON_CTX,
	OFF(kipc_waitv, reserved[1]) + 4, 1, EINVAL);
POKE(waitv_nr_zero, KIPC_IOC_WAITV, ON_CTX, OFF(kipc_waitv, nr), 0, EINVAL);
POKE(waitv_nr_129, KIPC_IOC_WAITV, ON_CTX, OFF(kipc_waitv, nr),
	KIPC_WAITV_MAX + 1, EINVAL);
POKE(waitv_nr_128, KIPC_IOC_WAITV, ON_CTX, OFF(kipc_waitv, nr),
	KIPC_WAITV_MAX, EAGAIN);
POKE(waitv_clockid_without_timeout, KIPC_IOC_WAITV, ON_CTX,
	OFF(kipc_waitv, clockid), CLOCK_MONOTONIC + 1, EINVAL);
ABI(waitv_entries_unmapped, .cmd = KIPC_IOC_WAITV, .on = ON_CTX,
	.bad_entries = 1, .expect_errno = EFAULT);
ABI(waitv_entry_reserved, .cmd = KIPC_IOC_WAITV, .on = ON_CTX, .ent_poke = 1,
	.ent_poke_off = ENTOFF(reserved), .ent_poke_val = 1,
	.expect_errno = EINVAL);
ABI(waitv_entry_offset_misaligned, .cmd = KIPC_IOC_WAITV, .on = ON_CTX,
	.ent_poke = 1, .ent_poke_off = ENTOFF(offset), .ent_poke_val = 1,
	.expect_errno = EINVAL);
ABI(waitv_entry_offset_past_end, .cmd = KIPC_IOC_WAITV, .on = ON_CTX,
	.ent_poke = 1, .ent_poke_off = ENTOFF(offset) + 4, .ent_poke_val = 1,
	.expect_errno = EINVAL);
ABI(waitv_entry_fd_context, .cmd = KIPC_IOC_WAITV, .on = ON_CTX,
	.ent_fd = EFD_CTX, .expect_errno = EINVAL);
ABI(waitv_entry_fd_channel, .cmd = KIPC_IOC_WAITV, .on = ON_CTX,
	.ent_fd = EFD_SEND, .expect_errno = EINVAL);
ABI(waitv_entry_fd_devnull, .cmd = KIPC_IOC_WAITV, .on = ON_CTX,
	.ent_fd = EFD_DEVNULL, .expect_errno = EINVAL);
ABI(waitv_entry_fd_closed, .cmd = KIPC_IOC_WAITV, .on = ON_CTX,
	.ent_fd = EFD_CLOSED, .expect_errno = EBADF);
WRONG_FD(waitv_on_region, KIPC_IOC_WAITV, ON_REGION);
WRONG_FD(waitv_on_send, KIPC_IOC_WAITV, ON_SEND);
WRONG_FD(waitv_on_recv, KIPC_IOC_WAITV, ON_RECV);

/* REQUEUE, on a region. */
STRUCT_RULES(requeue, KIPC_IOC_REQUEUE, ON_REGION, kipc_requeue,
	     KIPC_REQUEUE_SIZE_VER0, 0);
POKE(requeue_flags, KIPC_IOC_REQUEUE, ON_REGION, OFF(kipc_requeue, flags), 1,
	EINVAL);
POKE(requeue_reserved0, KIPC_IOC_REQUEUE, ON_REGION,
	OFF(kipc_requeue, reserved0), 1, EINVAL);
POKE(requeue_reserved_0, KIPC_IOC_REQUEUE, ON_REGION,
	OFF(kipc_requeue, reserved[0]), 1, EINVAL);
POKE(requeue_reserved_1_high, KIPC_IOC_REQUEUE, ON_REGION,
	OFF(kipc_requeue, reserved[1]) + 4, 1, EINVAL);
POKE(requeue_val_differs, KIPC_IOC_REQUEUE, ON_REGION,
	OFF(kipc_requeue, val), 1, EAGAIN);
POKE(requeue_offset_misaligned, KIPC_IOC_REQUEUE, ON_REGION,
	OFF(kipc_requeue, offset), 2, EINVAL);
POKE(requeue_offset_past_end, KIPC_IOC_REQUEUE, ON_REGION,
	OFF(kipc_requeue, offset), 1u << 20, EINVAL);
POKE(requeue_dst_misaligned, KIPC_IOC_REQUEUE, ON_REGION,
	OFF(kipc_requeue, dst_offset), 6, EINVAL);
POKE(requeue_dst_past_end, KIPC_IOC_REQUEUE, ON_REGION,
	OFF(kipc_requeue, dst_offset) + 4, 1, EINVAL);
WRONG_FD(requeue_on_context, KIPC_IOC_REQUEUE, ON_CTX);
WRONG_FD(requeue_on_send, KIPC_IOC_REQUEUE, ON_SEND);
WRONG_FD(requeue_on_recv, KIPC_IOC_REQUEUE, ON_RECV);

FIXTURE_SETUP(abi)
{
	if (!kt_abi_setup(_metadata, &self->objs,
			  KIPC_FEATURE_WAIT | KIPC_FEATURE_CHANNEL))
		return;
	/* A fresh region reads as zeros: every word holds 0. */
	self->region = kt_region_create(self->ctx, kt_page(), 0, 0, NULL);
	ASSERT_LE(0, self->region);
}

FIXTURE_TEARDOWN(abi)
{
	kt_abi_teardown(&self->objs);
}

static int pick_fd(FIXTURE_DATA(abi) *self, enum on on)
{
	switch (on) {
	case ON_CTX:	return self->ctx;
	case ON_REGION:	return self->region;
	case ON_SEND:	return self->sfd;
	case ON_RECV:	return self->rfd;
	}
	return -1;
}

/* A valid argument for the variant's command; returns sizeof the struct. */
static size_t fill_valid(FIXTURE_DATA(abi) *self,
			 const FIXTURE_VARIANT(abi) *variant)
{
	int efds[] = { [EFD_REGION] = self->region, [EFD_CTX] = self->ctx,
		       [EFD_SEND] = self->sfd, [EFD_DEVNULL] = self->devnull,
		       [EFD_CLOSED] = self->closed };
	void *a = self->arg;
	unsigned int i;

	switch (_IOC_NR(variant->cmd)) {
	case 0x30:
		((struct kipc_wait *)a)->val = 1;	/* the word holds 0 */
		((struct kipc_wait *)a)->offset = 8;
		return sizeof(struct kipc_wait);
	case 0x31:
		((struct kipc_wake *)a)->nr = 1;
		((struct kipc_wake *)a)->offset = 8;
		return sizeof(struct kipc_wake);
	case 0x32: {
		struct kipc_waitv *wv = a;

		for (i = 0; i <= KIPC_WAITV_MAX; i++)
			self->ents[i] = (struct kipc_waitv_entry){
				.region_fd = self->region, .offset = 4 * i,
				.val = i == KIPC_WAITV_MAX - 1 || i == 0,
			};
		self->ents[0].region_fd = efds[variant->ent_fd];
		if (variant->ent_poke)
			memcpy((char *)self->ents + variant->ent_poke_off,
			       &variant->ent_poke_val, 4);
		wv->entries = (uintptr_t)(variant->bad_entries ? kt_unmapped() :
					  self->ents);
		wv->nr = 1;
		return sizeof(*wv);
	}
	case 0x33: {
		struct kipc_requeue *rq = a;

		rq->offset = 8;
		rq->dst_offset = 16;
		rq->nr_wake = 1;
		rq->nr_requeue = 1;
		return sizeof(*rq);
	}
	}
	return 64;
}

TEST_F(abi, errno_table)
{
	int ret = kt_abi_ioctl(&self->objs, &variant->row,
			       pick_fd(self, variant->on),
			       fill_valid(self, variant));

	if (kt_abi_failed(_metadata, &variant->row, ret))
		return;
	/* WAKE and REQUEUE of a word nobody waits on. */
	EXPECT_EQ(0, ret) TH_LOG("errno %d (%s)", errno, strerror(errno));
}

KIPC_TEST_MAIN
