// SPDX-License-Identifier: GPL-2.0
/*
 * KIPC_IOC_VERSION reports the ABI version, every feature this header
 * knows and no other; the netlink family is there with the device.
 * The other tests skip a feature the module does not report, and a
 * missing netlink family: these two fail instead, so that a module that
 * lost a feature bit or its family cannot pass by skipping.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

FIXTURE(version) {
	int fd;
};

FIXTURE_SETUP(version)
{
	kipc_test_open(self->fd);
}

FIXTURE_TEARDOWN(version)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(version, reports_abi_and_features)
{
	struct kipc_version v = { .size = sizeof(v) };

	ASSERT_EQ(0, ioctl(self->fd, KIPC_IOC_VERSION, &v));
	EXPECT_EQ(KIPC_ABI_VERSION, v.abi_version);
	EXPECT_EQ(0, v.features & ~KIPC_FEATURES_ALL);
	EXPECT_EQ(sizeof(v), v.size);
}

TEST_F(version, reports_every_feature_this_header_knows)
{
	struct kipc_version v = { .size = sizeof(v) };

	ASSERT_EQ(0, ioctl(self->fd, KIPC_IOC_VERSION, &v));
	EXPECT_EQ(KIPC_FEATURES_ALL, v.features & KIPC_FEATURES_ALL)
		TH_LOG("missing features %#llx", (unsigned long long)
		       (KIPC_FEATURES_ALL & ~v.features));
}

TEST_F(version, netlink_family_is_registered)
{
	struct kt_genl g;

	ASSERT_EQ(0, kt_genl_open(&g)) TH_LOG("no netlink family %s",
					      KIPC_GENL_NAME);
	EXPECT_NE(0, g.family);
	close(g.fd);
}

TEST_F(version, output_fields_are_overwritten)
{
	struct kipc_version v = {
		.size = sizeof(v), .abi_version = 77, .features = ~0ULL,
	};

	ASSERT_EQ(0, ioctl(self->fd, KIPC_IOC_VERSION, &v));
	EXPECT_EQ(KIPC_ABI_VERSION, v.abi_version);
	EXPECT_EQ(0, v.features & ~KIPC_FEATURES_ALL);
}

TEST_F(version, fdinfo_names_the_context)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->fd);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_NE(NULL, strstr(buf, "kipc-object:\tcontext\n")) TH_LOG("%s", buf);
}

TEST_F(version, device_is_world_accessible)
{
	struct stat st;

	ASSERT_EQ(0, stat(KIPC_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 0777);
}

KIPC_TEST_MAIN
