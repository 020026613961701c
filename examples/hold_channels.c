// SPDX-License-Identifier: GPL-2.0
/*
 * hold_channels N SECONDS: create N channels, send one message on each,
 * then hold them open for SECONDS (or until killed), so that `kipcctl list`
 * and the kernel's ynl have something to show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>

int main(int argc, char **argv)
{
	struct kipc_chan *tx, *rx;
	struct kipc *k;
	int i, n, ret;
	char byte = 'x';

	if (argc != 3) {
		fprintf(stderr, "usage: hold_channels N SECONDS\n");
		return 2;
	}
	n = atoi(argv[1]);
	ret = kipc_open(&k, 0);
	if (ret < 0) {
		fprintf(stderr, "hold_channels: %s\n", strerror(-ret));
		return 1;
	}
	for (i = 0; i < n; i++) {
		ret = kipc_channel_pair(k, NULL, &tx, &rx);
		if (ret < 0) {
			fprintf(stderr, "hold_channels: channel %d: %s\n", i,
				strerror(-ret));
			return 1;
		}
		ret = kipc_channel_send_bytes(tx, &byte, 1, i);
		if (ret < 0) {
			fprintf(stderr, "hold_channels: send: %s\n", strerror(-ret));
			return 1;
		}
	}
	printf("holding %d channels\n", n);
	fflush(stdout);
	sleep(atoi(argv[2]));
	return 0;
}
