/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scaffolding of the ABI table tests (abi_chan_test.c, abi_wait_test.c).
 *
 * A table is one fixture, abi, with a variant a row: an ioctl issued on one
 * kind of fd with an argument that breaks one rule, and the errno it must
 * give. A test's FIXTURE_VARIANT(abi) holds KT_ABI_ROW and the fields of
 * its own ioctls; its FIXTURE(abi) holds KT_ABI_OBJS and its own objects.
 */
#ifndef KIPC_ABI_TABLE_H
#define KIPC_ABI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "kipc_test.h"

#define KT_ABI_ARG_SIZE	8192	/* room for structs beyond a page */

/* The fields of a row every table has. */
#define KT_ABI_ROW_MEMBERS						\
	unsigned long cmd;						\
	int on;			/* the test's ON_*: the fd it goes to */ \
	int size_set;		/* use @size, else sizeof the struct */	\
	uint32_t size;							\
	int size_extra;		/* added to sizeof the struct */	\
	int poke;		/* write @poke_val (32 bits) at @poke_off */ \
	size_t poke_off;						\
	uint32_t poke_val;						\
	int bad_pointer;	/* the argument itself is unmapped */	\
	int expect_errno	/* 0: success */

struct kt_abi_row {
	KT_ABI_ROW_MEMBERS;
};

/* In FIXTURE_VARIANT(abi): the members, which are also a struct, row. */
#define KT_ABI_ROW							\
	union {								\
		struct { KT_ABI_ROW_MEMBERS; };				\
		struct kt_abi_row row;					\
	}

/*
 * The objects every table issues its ioctls on or names in its arguments:
 * a context, a region (the test creates it), a non-blocking channel,
 * /dev/null, a closed fd, and the argument.
 */
#define KT_ABI_OBJS_MEMBERS						\
	int ctx, region, sfd, rfd, devnull, closed;			\
	unsigned char *arg	/* KT_ABI_ARG_SIZE bytes */

struct kt_abi_objs {
	KT_ABI_OBJS_MEMBERS;
};

/* In FIXTURE(abi): the members, which are also a struct, objs. */
#define KT_ABI_OBJS							\
	union {								\
		struct { KT_ABI_OBJS_MEMBERS; };			\
		struct kt_abi_objs objs;				\
	}

#define ABI(name, ...) FIXTURE_VARIANT_ADD(abi, name) { __VA_ARGS__ }
#define OFF(type, field)	offsetof(struct type, field)

/*
 * The generic struct rules for ioctl @c of struct @type on @o; @ok is the
 * errno of a valid call (0: it succeeds).
 */
#define STRUCT_RULES(p, c, o, type, VER0, ok)				\
ABI(p##_exact, .cmd = c, .on = o, .expect_errno = ok);			\
ABI(p##_size_zero, .cmd = c, .on = o, .size_set = 1, .size = 0,	\
	.expect_errno = EINVAL);					\
ABI(p##_short_by_one, .cmd = c, .on = o, .size_set = 1,		\
	.size = VER0 - 1, .expect_errno = EINVAL);			\
ABI(p##_short_by_eight, .cmd = c, .on = o, .size_set = 1,		\
	.size = VER0 - 8, .expect_errno = EINVAL);			\
ABI(p##_size_four, .cmd = c, .on = o, .size_set = 1, .size = 4,	\
	.expect_errno = EINVAL);					\
ABI(p##_long_zero_tail, .cmd = c, .on = o, .size_extra = 64,		\
	.expect_errno = ok);						\
ABI(p##_long_nonzero_tail, .cmd = c, .on = o, .size_extra = 64,	\
	.poke = 1, .poke_off = sizeof(struct type) + 60, .poke_val = 1,	\
	.expect_errno = E2BIG);						\
ABI(p##_long_nonzero_first_tail_word, .cmd = c, .on = o,		\
	.size_extra = 8, .poke = 1, .poke_off = sizeof(struct type),	\
	.poke_val = 0x80000000u, .expect_errno = E2BIG);		\
ABI(p##_beyond_a_page, .cmd = c, .on = o, .size_set = 1, .size = 4097,	\
	.expect_errno = E2BIG);						\
ABI(p##_bad_pointer, .cmd = c, .on = o, .bad_pointer = 1,		\
	.expect_errno = EFAULT)

/* Ioctl @c on @o with the 32-bit word at @off set to @val gives @err. */
#define POKE(name, c, o, off, val, err)					\
ABI(name, .cmd = c, .on = o, .poke = 1, .poke_off = off,		\
	.poke_val = val, .expect_errno = err)

/* Ioctl @c on an fd of the wrong kind, @o. */
#define WRONG_FD(name, c, o)						\
ABI(name, .cmd = c, .on = o, .expect_errno = ENOTTY)

/* An address certain to be unmapped. */
static inline void *kt_unmapped(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p != MAP_FAILED)
		munmap(p, 4096);
	return p;
}

/*
 * The fixture's setup but for the region, which the test creates after:
 * SKIPs and returns false when the module lacks a bit of @feat.
 */
static inline bool kt_abi_setup(struct __test_metadata *_metadata,
				struct kt_abi_objs *o, uint64_t feat)
{
	int ret;

	o->region = o->sfd = o->rfd = o->devnull = o->closed = -1;
	o->arg = NULL;
	kipc_test_open(o->ctx);
	if ((kt_features(o->ctx) & feat) != feat)
		SKIP(return false, "module lacks feature 0x%llx",
		     (unsigned long long)feat);
	o->arg = calloc(1, KT_ABI_ARG_SIZE);
	ASSERT_NE(NULL, o->arg);
	ret = kt_channel_create(o->ctx, KIPC_FD_NONBLOCK, 0, 0, -1,
				&o->sfd, &o->rfd);
	ASSERT_EQ(0, ret);
	o->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, o->devnull);
	/*
	 * A closed fd that stays closed: fds are allocated lowest first, so
	 * none the test opens later takes a number this high.
	 */
	o->closed = fcntl(o->devnull, F_DUPFD_CLOEXEC, 512);
	ASSERT_LE(0, o->closed);
	close(o->closed);
	return true;
}

static inline void kt_abi_teardown(struct kt_abi_objs *o)
{
	int *fds[] = { &o->region, &o->sfd, &o->rfd, &o->devnull };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	free(o->arg);
	close(o->ctx);
}

/*
 * Issue @row's ioctl on @fd. Its argument is the valid struct of @natural
 * bytes the test wrote to @o->arg, with @row's size and poke applied, or an
 * unmapped address. Returns what ioctl() returned, with its errno.
 */
static inline int kt_abi_ioctl(struct kt_abi_objs *o,
			       const struct kt_abi_row *row, int fd,
			       size_t natural)
{
	uint32_t size = row->size_set ? row->size : natural + row->size_extra;
	void *arg = o->arg;

	memcpy(o->arg, &size, sizeof(size));
	if (row->poke)
		memcpy(o->arg + row->poke_off, &row->poke_val, 4);
	if (row->bad_pointer)
		arg = kt_unmapped();
	return ioctl(fd, row->cmd, arg);
}

/*
 * For a row that expects an error, check that the call (its return @ret
 * and errno) gave it and return true; false for a row that expects success.
 */
static inline bool kt_abi_failed(struct __test_metadata *_metadata,
				 const struct kt_abi_row *row, int ret)
{
	if (!row->expect_errno)
		return false;
	EXPECT_EQ(-1, ret) TH_LOG("returned %d", ret);
	EXPECT_EQ(row->expect_errno, errno)
		TH_LOG("errno %d (%s)", errno, strerror(errno));
	return true;
}

#endif /* KIPC_ABI_TABLE_H */
