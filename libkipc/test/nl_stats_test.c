// SPDX-License-Identifier: GPL-2.0
/*
 * kipc_stats_get()'s two versions against the module (a guest test, run by
 * tools/vm/kipc-examples; the host-wide counters need CAP_SYS_ADMIN).
 *
 * struct kipc_global_stats grew in LIBKIPC_0.10 by the counters the module
 * had long sent and the struct had no room for: lend queues, names and
 * services created and destroyed, connections, receives that polled. A
 * program built before calls kipc_stats_get@LIBKIPC_0.3, which must write
 * no byte past the old struct's 216; one built now gets every counter.
 * (Old library: the fields do not exist and this file does not compile;
 * kipc_stats_get@LIBKIPC_0.3 is the only version.)
 */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"

#define OLD_SIZE	216	/* struct kipc_global_stats up to LIBKIPC_0.9 */

typedef int (*stats_get_fn)(struct kipc_nl *, struct kipc_global_stats *);

static void name_of(char *buf, size_t len)
{
	snprintf(buf, len, "kipc-nl-stats-test.%d", (int)getpid());
}

/* Whether the module counts (its "stats" parameter; N: nothing moves). */
static int counting(void)
{
	FILE *f = fopen("/sys/module/kipc/parameters/stats", "re");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	return c == 'Y';
}

/*
 * A lend queue, a published service, a connection to it; then all closed
 * and unlinked: each new counter moves by one.
 */
TEST(new_counters_count_what_was_made)
{
	struct kipc_global_stats a, b, c;
	struct kipc_chan *ctx, *crx, *stx, *srx;
	struct kipc_service *svc;
	struct kipc_lendq *q;
	struct kipc_nl *nl;
	struct kipc *k;
	char name[64];
	int fd;

	if (geteuid())
		SKIP(return, "the host-wide counters need CAP_SYS_ADMIN");
	if (!counting())
		SKIP(return, "the module's stats parameter is N: nothing counts");
	name_of(name, sizeof(name));
	ASSERT_EQ(0, kipc_open(&k, 0));
	ASSERT_EQ(0, kipc_nl_open(&nl, 0));
	ASSERT_EQ(0, kipc_stats_get(nl, &a));

	ASSERT_EQ(0, kipc_lendq_create(k, 0, &q));
	ASSERT_EQ(0, kipc_service_create(k, NULL, &svc));
	fd = kipc_name_open(k, name, KIPC_NAME_CREATE, 0600,
			    kipc_service_fd(svc), NULL);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, kipc_connect(k, name, 0, NULL, &ctx, &crx, NULL));
	ASSERT_EQ(0, kipc_service_accept(svc, 0, NULL, &srx, &stx, NULL));
	ASSERT_EQ(0, kipc_stats_get(nl, &b));
	EXPECT_EQ(a.lendqs_created + 1, b.lendqs_created);
	EXPECT_EQ(a.names_created + 1, b.names_created);
	EXPECT_EQ(a.services_created + 1, b.services_created);
	EXPECT_EQ(a.connections + 1, b.connections);
	EXPECT_EQ(a.lendqs_destroyed, b.lendqs_destroyed);
	EXPECT_EQ(a.names_destroyed, b.names_destroyed);
	EXPECT_EQ(a.services_destroyed, b.services_destroyed);

	ASSERT_EQ(0, kipc_name_unlink(k, name));
	kipc_channel_close(ctx);
	kipc_channel_close(crx);
	kipc_channel_close(stx);
	kipc_channel_close(srx);
	kipc_service_close(svc);
	kipc_lendq_close(q);
	ASSERT_EQ(0, kipc_stats_get(nl, &c));
	EXPECT_EQ(b.lendqs_destroyed + 1, c.lendqs_destroyed);
	EXPECT_EQ(b.names_destroyed + 1, c.names_destroyed);
	EXPECT_EQ(b.services_destroyed + 1, c.services_destroyed);
	EXPECT_EQ(b.connections, c.connections);
	kipc_nl_close(nl);
	kipc_close(k);
}

/*
 * The version older programs call fills the old struct's bytes, the same
 * counters as the new one, and writes nothing after them.
 */
TEST(old_version_writes_the_old_struct_only)
{
	union {
		struct kipc_global_stats st;
		unsigned char b[sizeof(struct kipc_global_stats) + 64];
	} old;
	struct kipc_global_stats now;
	stats_get_fn get_0_3, get_0_10;
	struct kipc_nl *nl;
	size_t i, poked = 0;

	if (geteuid())
		SKIP(return, "the host-wide counters need CAP_SYS_ADMIN");
	ASSERT_EQ(OLD_SIZE, offsetof(struct kipc_global_stats, lendqs_created));
	get_0_3 = (stats_get_fn)dlvsym(RTLD_DEFAULT, "kipc_stats_get",
				       "LIBKIPC_0.3");
	get_0_10 = (stats_get_fn)dlvsym(RTLD_DEFAULT, "kipc_stats_get",
					"LIBKIPC_0.10");
	ASSERT_NE(NULL, get_0_3) TH_LOG("no kipc_stats_get@LIBKIPC_0.3");
	ASSERT_NE(NULL, get_0_10) TH_LOG("no kipc_stats_get@LIBKIPC_0.10");
	ASSERT_NE(get_0_3, get_0_10);
	ASSERT_EQ(get_0_10, (stats_get_fn)kipc_stats_get);

	ASSERT_EQ(0, kipc_nl_open(&nl, 0));
	memset(&old, 0xa5, sizeof(old));
	ASSERT_EQ(0, get_0_3(nl, &old.st));
	ASSERT_EQ(0, get_0_10(nl, &now));
	for (i = OLD_SIZE; i < sizeof(old); i++)
		poked += old.b[i] != 0xa5;
	EXPECT_EQ(0, poked) TH_LOG("the 0.3 version wrote %zu bytes past %d",
				   poked, OLD_SIZE);
	/* Nothing here makes regions or channels between the two calls. */
	EXPECT_NE(0, now.channels_created);
	EXPECT_EQ(now.channels_created, old.st.channels_created);
	EXPECT_EQ(now.regions_created, old.st.regions_created);
	EXPECT_EQ(now.send_failed[KIPC_SEND_FAIL_REASON_MAX],
		  old.st.send_failed[KIPC_SEND_FAIL_REASON_MAX]);
	kipc_nl_close(nl);
}

TEST_HARNESS_MAIN
