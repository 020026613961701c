// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl version: ABI version and features, through /dev/kipc.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kipcctl.h"

static int open_kipc(struct kipc **k)
{
	int ret = kipc_open(k, 0);

	if (ret == -ENOENT)
		fprintf(stderr, "kipcctl: %s: no such device: is the kipc module loaded?\n",
			KIPC_DEVICE_PATH);
	else if (ret < 0)
		fprintf(stderr, "kipcctl: %s: %s\n", KIPC_DEVICE_PATH,
			strerror(-ret));
	return ret;
}

int cmd_version(int argc, char **argv)
{
	struct kipc_version_info info;
	struct kipc *k;
	int ret;

	if (argc > 1) {
		fprintf(stderr, "kipcctl: version takes no arguments\n");
		return 2;
	}
	ret = open_kipc(&k);
	if (ret < 0)
		return 1;
	ret = kipc_version(k, &info);
	kipc_close(k);
	if (ret < 0) {
		fprintf(stderr, "kipcctl: version: %s\n", strerror(-ret));
		return 1;
	}
	if (json)
		printf("{\"abi_version\":%u,\"features\":%llu}\n",
		       info.abi_version, (unsigned long long)info.features);
	else
		printf("abi version %u\nfeatures    0x%llx\n", info.abi_version,
		       (unsigned long long)info.features);
	return 0;
}
