// SPDX-License-Identifier: GPL-2.0
/*
 * libkipc's netlink handle with events subscribed (a guest test, run by
 * tools/vm/kipc-examples; needs CAP_SYS_ADMIN for the events group).
 *
 * libmnl lets notifications (sequence 0, port 0) through a request's
 * reply: on a subscribed handle, events that arrived during a get or a
 * dump were parsed as its replies, so a dump gained rows that were events
 * and a get could return an event's attributes. A request now takes only
 * messages of its own sequence, and kipc_events_read() only
 * notifications.
 *
 * Here a child process creates and closes channels as fast as it can (two
 * events each) while the parent, subscribed, dumps its own channels by
 * pid and gets each by id: every dump must list exactly the parent's
 * channels, every get the channel asked for.
 *
 * And a request made from a dump's callback, on the dump's handle: up to
 * 4b3e10b it overwrote the reply being parsed and read the dump's
 * messages as its own, and the handle failed with EPROTO for good.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"

#define MINE		4
#define ROUNDS		300

struct seen {
	int learn;		/* note the ids instead of checking them */
	uint64_t ids[MINE];
	unsigned int rows;
	unsigned int strangers;	/* rows that are not one of ours */
};

/* Dump callback: count rows, note ids (learning) or strangers. */
static int count_row(const struct kipc_channel_stats *st, void *arg)
{
	struct seen *s = arg;
	unsigned int i;

	if (s->learn) {
		if (s->rows < MINE)
			s->ids[s->rows] = st->id;
		s->rows++;
		return 0;
	}
	s->rows++;
	for (i = 0; i < MINE; i++)
		if (st->id == s->ids[i])
			return 0;
	s->strangers++;
	return 0;
}

/* In a child: create and close channels until killed. */
static void churn(void)
{
	struct kipc_chan *tx, *rx;
	struct kipc *k;

	if (kipc_open(&k, 0))
		_exit(1);
	for (;;) {
		if (kipc_channel_create(k, NULL, &tx, &rx))
			_exit(2);
		kipc_channel_close(tx);
		kipc_channel_close(rx);
		usleep(100);	/* steady, not a flood the socket drops */
	}
}

static int any_event(const struct kipc_event *ev, void *arg)
{
	return 0;
}

TEST(subscribed_handle_keeps_replies_and_events_apart)
{
	struct kipc_filter f = { .flags = KIPC_FILTER_PID, .pid = getpid() };
	struct kipc_chan *tx[MINE], *rx[MINE];
	unsigned int i, r, bad_rows = 0, bad_gets = 0;
	struct kipc_channel_stats st;
	struct seen s = { .learn = 1 };
	struct kipc_nl *nl;
	struct kipc *k;
	pid_t child;
	int ret;

	ASSERT_EQ(0, kipc_open(&k, 0));
	ret = kipc_nl_open(&nl, 0);
	if (ret == -EOPNOTSUPP || ret == -ENOENT)
		SKIP(return, "no kipc netlink family");
	ASSERT_EQ(0, ret);
	for (i = 0; i < MINE; i++)
		ASSERT_EQ(0, kipc_channel_create(k, NULL, &tx[i], &rx[i]));
	/* Our channels' ids, before any event is subscribed to. */
	ASSERT_EQ(0, kipc_channel_stats_dump(nl, &f, count_row, &s));
	ASSERT_EQ(MINE, s.rows);
	s.learn = 0;
	/* Not subscribed: refused, not a read into the requests' buffer. */
	EXPECT_EQ(-EINVAL, kipc_events_read(nl, any_event, NULL));
	ret = kipc_events_subscribe(nl);
	if (ret == -EPERM || ret == -EOPNOTSUPP)
		SKIP(return, "events need CAP_SYS_ADMIN and the events group");
	ASSERT_EQ(0, ret);
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		churn();

	for (r = 0; r < ROUNDS; r++) {
		s.rows = s.strangers = 0;
		ret = kipc_channel_stats_dump(nl, &f, count_row, &s);
		if (ret || s.rows != MINE || s.strangers)
			bad_rows++;
		for (i = 0; i < MINE; i++) {
			memset(&st, 0, sizeof(st));
			ret = kipc_channel_stats_get(nl, s.ids[i], &st);
			if (ret || st.id != s.ids[i] || st.pid != f.pid)
				bad_gets++;
		}
	}
	/*
	 * The handle still reads events: the churn's, queued meanwhile on
	 * the events socket, whose overflow is reported once (-ENOBUFS).
	 */
	ret = kipc_events_read(nl, any_event, NULL);
	if (ret == -ENOBUFS)
		ret = kipc_events_read(nl, any_event, NULL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	TH_LOG("%u of %u dumps and %u of %u gets went wrong", bad_rows,
	       ROUNDS, bad_gets, ROUNDS * MINE);
	EXPECT_EQ(0, bad_rows);
	EXPECT_EQ(0, bad_gets);
	EXPECT_LT(0, ret) TH_LOG("kipc_events_read(): %d", ret);
	for (i = 0; i < MINE; i++) {
		kipc_channel_close(tx[i]);
		kipc_channel_close(rx[i]);
	}
	kipc_nl_close(nl);
	kipc_close(k);
}

/*
 * Events that overflowed a subscribed handle's socket (ENOBUFS) made the
 * kernel drop the replies of the handle's next requests: a get failed,
 * then waited for ever, or read an older request's reply and failed with
 * EPROTO from then on. A subscribed handle makes its requests on a socket
 * of its own now; the events socket reports the overflow and reads on.
 */
TEST(overflowed_events_leave_requests_alone)
{
	struct kipc_filter f = { .flags = KIPC_FILTER_PID, .pid = getpid() };
	struct kipc_chan *tx, *rx, *t2, *r2;
	struct kipc_channel_stats st;
	struct seen s = { .learn = 1 };
	struct kipc_nl *nl;
	struct kipc *k;
	int i, one = 1, ret;

	ASSERT_EQ(0, kipc_open(&k, 0));
	ret = kipc_nl_open(&nl, 0);
	if (ret == -EOPNOTSUPP || ret == -ENOENT)
		SKIP(return, "no kipc netlink family");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, kipc_channel_create(k, NULL, &tx, &rx));
	ASSERT_EQ(0, kipc_channel_stats_dump(nl, &f, count_row, &s));
	ASSERT_EQ(1, s.rows);
	ret = kipc_events_subscribe(nl);
	if (ret == -EPERM || ret == -EOPNOTSUPP)
		SKIP(return, "events need CAP_SYS_ADMIN and the events group");
	ASSERT_EQ(0, ret);
	/* The smallest buffer: a few events fill it. */
	ASSERT_EQ(0, setsockopt(kipc_nl_fd(nl), SOL_SOCKET, SO_RCVBUF, &one,
				sizeof(one)));
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, kipc_channel_create(k, NULL, &t2, &r2));
		kipc_channel_close(t2);
		kipc_channel_close(r2);
	}
	alarm(10);			/* a request that hangs fails the test */
	for (i = 0; i < 3; i++) {
		memset(&st, 0, sizeof(st));
		ret = kipc_channel_stats_get(nl, s.ids[0], &st);
		EXPECT_EQ(0, ret) TH_LOG("get %d after the overflow: %d", i, ret);
		EXPECT_EQ(s.ids[0], st.id);
	}
	ret = kipc_events_read(nl, any_event, NULL);
	EXPECT_EQ(-ENOBUFS, ret) TH_LOG("the overflow is reported once: %d", ret);
	EXPECT_EQ(0, kipc_channel_stats_get(nl, s.ids[0], &st));
	alarm(0);
	kipc_channel_close(tx);
	kipc_channel_close(rx);
	kipc_nl_close(nl);
	kipc_close(k);
}

#define MANY	150		/* channels: a dump of several messages */

struct nested {
	struct kipc_nl *nl;
	int ret;		/* the get made from the callback */
	uint64_t id;		/* the channel it asked for */
	unsigned int rows;
};

static int get_from_callback(const struct kipc_channel_stats *st, void *arg)
{
	struct kipc_channel_stats other;
	struct nested *n = arg;

	if (!n->rows++) {
		n->id = st->id;
		n->ret = kipc_channel_stats_get(n->nl, st->id, &other);
	}
	return 0;
}

/*
 * A get made from a dump's callback, on the dump's handle: it is refused
 * (EBUSY), the dump lists every channel, and the handle works after.
 */
TEST(a_request_from_a_callback_is_ebusy)
{
	struct kipc_filter f = { .flags = KIPC_FILTER_PID, .pid = getpid() };
	struct kipc_chan *tx[MANY], *rx[MANY];
	struct kipc_channel_stats st;
	struct nested n = { .ret = 1 };
	struct kipc *k;
	int i, ret;

	ASSERT_EQ(0, kipc_open(&k, 0));
	ret = kipc_nl_open(&n.nl, 0);
	if (ret == -EOPNOTSUPP || ret == -ENOENT)
		SKIP(return, "no kipc netlink family");
	ASSERT_EQ(0, ret);
	for (i = 0; i < MANY; i++)
		ASSERT_EQ(0, kipc_channel_create(k, NULL, &tx[i], &rx[i]));
	alarm(10);		/* a request that hangs fails the test */
	ret = kipc_channel_stats_dump(n.nl, &f, get_from_callback, &n);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(-EBUSY, n.ret);
	EXPECT_EQ(MANY, n.rows);
	memset(&st, 0, sizeof(st));
	EXPECT_EQ(0, kipc_channel_stats_get(n.nl, n.id, &st));
	EXPECT_EQ(n.id, st.id);
	alarm(0);
	for (i = 0; i < MANY; i++) {
		kipc_channel_close(tx[i]);
		kipc_channel_close(rx[i]);
	}
	kipc_nl_close(n.nl);
	kipc_close(k);
}

TEST_HARNESS_MAIN
