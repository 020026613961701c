// SPDX-License-Identifier: GPL-2.0
/* ABI table for KIPC_IOC_VERSION: every bad struct and the errno it gives. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

/* A buffer larger than any struct, so that sizes beyond it can be tried. */
#define ABI_BUF_SIZE	8192

FIXTURE(abi) {
	int fd;
	unsigned char *buf;
};

FIXTURE_VARIANT(abi) {
	unsigned long cmd;
	uint32_t size;		/* the struct's size field */
	size_t poke;		/* byte offset to set non-zero, or 0 for none */
	int bad_pointer;	/* pass an unmapped address instead */
	int expect_errno;	/* 0: success */
};

FIXTURE_VARIANT_ADD(abi, exact_size) {
	.cmd = KIPC_IOC_VERSION, .size = sizeof(struct kipc_version),
};
FIXTURE_VARIANT_ADD(abi, size_zero) {
	.cmd = KIPC_IOC_VERSION, .size = 0, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(abi, size_one_word) {
	.cmd = KIPC_IOC_VERSION, .size = 4, .expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(abi, short_by_one) {
	.cmd = KIPC_IOC_VERSION, .size = KIPC_VERSION_SIZE_VER0 - 1,
	.expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(abi, long_zero_tail) {
	.cmd = KIPC_IOC_VERSION, .size = sizeof(struct kipc_version) + 64,
};
FIXTURE_VARIANT_ADD(abi, long_nonzero_tail) {
	.cmd = KIPC_IOC_VERSION, .size = sizeof(struct kipc_version) + 64,
	.poke = sizeof(struct kipc_version) + 63, .expect_errno = E2BIG,
};
FIXTURE_VARIANT_ADD(abi, long_nonzero_first_tail_byte) {
	.cmd = KIPC_IOC_VERSION, .size = sizeof(struct kipc_version) + 8,
	.poke = sizeof(struct kipc_version), .expect_errno = E2BIG,
};
FIXTURE_VARIANT_ADD(abi, beyond_a_page) {
	.cmd = KIPC_IOC_VERSION, .size = 4097, .expect_errno = E2BIG,
};
FIXTURE_VARIANT_ADD(abi, reserved0_set) {
	.cmd = KIPC_IOC_VERSION, .size = sizeof(struct kipc_version),
	.poke = offsetof(struct kipc_version, reserved[0]),
	.expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(abi, reserved1_set) {
	.cmd = KIPC_IOC_VERSION, .size = sizeof(struct kipc_version),
	.poke = offsetof(struct kipc_version, reserved[1]) + 7,
	.expect_errno = EINVAL,
};
FIXTURE_VARIANT_ADD(abi, bad_pointer) {
	.cmd = KIPC_IOC_VERSION, .bad_pointer = 1, .expect_errno = EFAULT,
};
FIXTURE_VARIANT_ADD(abi, unknown_number) {
	.cmd = _IOWR(KIPC_MAGIC, 0x7f, struct kipc_version),
	.size = sizeof(struct kipc_version), .expect_errno = ENOTTY,
};
FIXTURE_VARIANT_ADD(abi, wrong_magic) {
	.cmd = _IOWR(KIPC_MAGIC + 1, 0x00, struct kipc_version),
	.size = sizeof(struct kipc_version), .expect_errno = ENOTTY,
};
FIXTURE_VARIANT_ADD(abi, wrong_direction) {
	.cmd = _IOW(KIPC_MAGIC, 0x00, struct kipc_version),
	.size = sizeof(struct kipc_version), .expect_errno = ENOTTY,
};
FIXTURE_VARIANT_ADD(abi, generic_tty_ioctl) {
	.cmd = TCGETS, .size = sizeof(struct kipc_version),
	.expect_errno = ENOTTY,
};

FIXTURE_SETUP(abi)
{
	self->buf = NULL;
	kipc_test_open(self->fd);
	self->buf = calloc(1, ABI_BUF_SIZE);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(abi)
{
	free(self->buf);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(abi, errno_table)
{
	void *arg = self->buf;
	int ret;

	memcpy(self->buf, &variant->size, sizeof(variant->size));
	if (variant->poke)
		self->buf[variant->poke] = 0x5a;
	if (variant->bad_pointer) {
		/* An address certain to be unmapped: map a page, unmap it. */
		arg = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
		ASSERT_NE(MAP_FAILED, arg);
		ASSERT_EQ(0, munmap(arg, 4096));
	}

	ret = ioctl(self->fd, variant->cmd, arg);
	if (!variant->expect_errno) {
		struct kipc_version *v = arg;

		ASSERT_EQ(0, ret) TH_LOG("errno %d", errno);
		EXPECT_EQ(KIPC_ABI_VERSION, v->abi_version);
		return;
	}
	ASSERT_EQ(-1, ret);
	EXPECT_EQ(variant->expect_errno, errno);
}

TEST(null_argument_is_efault)
{
	int fd;

	kipc_test_open(fd);
	EXPECT_EQ(-1, ioctl(fd, KIPC_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

KIPC_TEST_MAIN
