// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl: inspect and monitor kipc.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kipc.h>

static int json;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kipcctl [-j] COMMAND\n"
		"  -j, --json   print JSON\n"
		"commands:\n"
		"  version      ABI version and features of the loaded module\n");
}

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

static int cmd_version(void)
{
	struct kipc_version_info info;
	struct kipc *k;
	int ret;

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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "version"))
		return cmd_version();
	fprintf(stderr, "kipcctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
