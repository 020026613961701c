// SPDX-License-Identifier: GPL-2.0
/*
 * fake-kipc.so, LD_PRELOADed by test-sys.sh: libkipc's netlink calls as a
 * kipc module would answer them, without one (the host test loads no
 * module), scripted by the environment:
 *   FAKE_KIPC_OPEN  one letter per kipc_nl_open() call: y succeeds, n
 *                   fails with ENOENT (no family: the module is not
 *                   loaded), e with EACCES (a socket refused, as by an
 *                   LSM); past its end, y
 *   FAKE_KIPC_DUMP  one letter per kipc_channel_stats_dump() call: o lists
 *                   channel 7 (sent and received 10 more each time), g
 *                   fails with ENOENT as the dump of a family that went
 *                   away does, f lists channel 7 and then fails with EIO
 *                   (a dump cut short), r lists channel 7 of a module
 *                   loaded again (sent 25, received 10: counts that may
 *                   follow o's first), d channel 7 with fewer received
 *                   than o's first (sent 15, received 0); past its end, o
 *   FAKE_KIPC_USERNS  set: the caller in a user namespace, charged to
 *                   uid 100000 (its owner), which holds 10 channels of
 *                   10; kipc_user_stats_get() of any uid fails with
 *                   ENOENT, kipc_user_stats_dump() gives that record
 * Events: subscribing succeeds, and none ever comes (kipc_nl_fd() is a
 * pipe that nothing writes; kipc_events_read() waits on it, as the real
 * one does on its socket). Regions: none. Users: the caller, 1 region of a
 * cap just above 2^64 / 90 (times 90 it wraps to 74), and no other cap;
 * kipc_user_stats_dump() lists it and then fails with EIO;
 * kipc_user_stats_get() of another uid fails with ENOENT.
 * kipc_stats_get(): EPERM (the caller has no CAP_SYS_ADMIN).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>

static int handle;	/* what a struct kipc_nl * points at */

/* The next letter of script @env (@i its calls so far), or @dflt. */
static char next(const char *env, unsigned int *i, char dflt)
{
	const char *s = getenv(env);
	char c = s && *i < strlen(s) ? s[*i] : dflt;

	++*i;
	return c;
}

int kipc_nl_open(struct kipc_nl **nlp, unsigned int flags)
{
	static unsigned int calls;

	char c = next("FAKE_KIPC_OPEN", &calls, 'y');

	(void)flags;
	if (c != 'y')
		return c == 'e' ? -EACCES : -ENOENT;
	*nlp = (struct kipc_nl *)&handle;
	return 0;
}

int kipc_nl_close(struct kipc_nl *nl)
{
	(void)nl;
	return 0;
}

const char *kipc_nl_errmsg(const struct kipc_nl *nl)
{
	(void)nl;
	return NULL;
}

int kipc_channel_stats_dump(struct kipc_nl *nl,
			    const struct kipc_filter *filter,
			    kipc_channel_cb cb, void *arg)
{
	static unsigned int calls;
	struct kipc_channel_stats st = {
		.id = 7, .uid = getuid(), .pid = getpid(), .depth = 64,
		.queued = 1, .senders = 1, .receivers = 1,
	};
	char c = next("FAKE_KIPC_DUMP", &calls, 'o');

	(void)nl;
	if (c == 'g')
		return -ENOENT;
	switch (c) {
	case 'r':
		st.msgs_sent = 25;
		st.msgs_received = 10;
		break;
	case 'd':
		st.msgs_sent = 15;
		break;
	default:
		st.msgs_sent = 10 * calls;
		st.msgs_received = st.msgs_sent;
	}
	/* As the module filters: channel 7 is the caller's. */
	if (filter && filter->flags & KIPC_FILTER_UID && filter->uid != st.uid)
		return c == 'f' ? -EIO : 0;
	if (cb(&st, arg))
		return 1;
	return c == 'f' ? -EIO : 0;
}

/* The read end of a pipe whose write end stays open: never readable. */
static int events_fd(void)
{
	static int p[2] = { -1, -1 };

	if (p[0] < 0 && pipe(p))
		return -1;
	return p[0];
}

int kipc_nl_fd(const struct kipc_nl *nl)
{
	(void)nl;
	return events_fd();
}

int kipc_events_subscribe(struct kipc_nl *nl)
{
	(void)nl;
	return 0;
}

int kipc_events_read(struct kipc_nl *nl, kipc_event_cb cb, void *arg)
{
	char c;

	(void)nl, (void)cb, (void)arg;
	return read(events_fd(), &c, 1) < 0 ? -errno : -EIO;
}

int kipc_region_stats_dump(struct kipc_nl *nl,
			   const struct kipc_filter *filter,
			   kipc_region_cb cb, void *arg)
{
	(void)nl, (void)filter, (void)cb, (void)arg;
	return 0;
}

static void user(struct kipc_user_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->uid = geteuid();
	st->regions = 1;
	st->regions_limit = UINT64_MAX / 90 + 1;
}

int kipc_user_stats_get(struct kipc_nl *nl, uint32_t uid,
			struct kipc_user_stats *st)
{
	(void)nl;
	if (uid != geteuid() || getenv("FAKE_KIPC_USERNS"))
		return -ENOENT;
	user(st);
	return 0;
}

int kipc_user_stats_dump(struct kipc_nl *nl, kipc_user_cb cb, void *arg)
{
	struct kipc_user_stats st;

	(void)nl;
	if (getenv("FAKE_KIPC_USERNS")) {
		memset(&st, 0, sizeof(st));
		st.uid = 100000;
		st.channels = 10;
		st.channels_limit = 10;
		return cb(&st, arg) ? 1 : 0;
	}
	user(&st);
	if (cb(&st, arg))
		return 1;
	return -EIO;
}

int kipc_stats_get(struct kipc_nl *nl, struct kipc_global_stats *st)
{
	(void)nl, (void)st;
	return -EPERM;
}
