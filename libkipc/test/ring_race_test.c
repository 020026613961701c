// SPDX-License-Identifier: GPL-2.0
/*
 * A many-producer ring's check before sleeping, with another side acting
 * between two of its loads. The check reads the index, then that slot's
 * sequence: if another consumer (producer) takes the slot in between, the
 * slot reads as taken, and a check that stops there sees the ring empty
 * (full) while the next slot holds a message (is free), and sleeps beside
 * it: a lost wake-up, since the message was published before the sleeper
 * counted itself.
 *
 * The interleaving is made, not hoped for. The ring is placed so that its
 * slots start a page of their own; the wrapped poll before the sleep
 * (kipc__ring_poll) protects that page, so the check's first load of a
 * slot faults, and the handler plays the other sides there, between the
 * two loads, then lets the load go on. The region's handle is /dev/null:
 * a wait fails with ENOTTY at once, so a check that gets it wrong returns
 * that error instead of sleeping.
 *
 * And a deadline kept while a peer changes the sleep word for ever: every
 * wait then fails with EAGAIN at once, and a loop that only retries never
 * sees its deadline. The wrapped kipc_wait() plays that peer.
 *
 * And the poll state each side passes (the wrapped poll records it), and
 * the waiters flag an SPSC ring's sleeper takes back.
 *
 * Linked with the static libkipc, with -Wl,--wrap=kipc__ring_poll and
 * -Wl,--wrap=kipc_wait; no module.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc.h"
#include "ring.h"
#include "ring_poll.h"
#include "sys.h"

#define SLOTS	4
#define PAGE	4096

bool __real_kipc__ring_poll(struct kipc__ring_poll *p,
			    bool (*ready)(const void *), const void *arg,
			    uint64_t (*clock)(void));

int __real_kipc_wait(struct kipc_region *r, uint64_t offset, uint32_t val,
		     uint32_t bitset, unsigned int flags,
		     const struct timespec *deadline);

/* Set by a test: a peer bumps the word each wait is about to sleep on. */
static bool word_churns;

int __wrap_kipc_wait(struct kipc_region *r, uint64_t offset, uint32_t val,
		     uint32_t bitset, unsigned int flags,
		     const struct timespec *deadline)
{
	uint32_t *word = (uint32_t *)((char *)r->base + offset);

	if (!word_churns)
		return __real_kipc_wait(r, offset, val, bitset, flags,
					deadline);
	__atomic_fetch_add(word, 1, __ATOMIC_SEQ_CST);
	return -EAGAIN;		/* what the module says of a changed word */
}

/* Set by a test: the page to protect at the next poll, and the play. */
static unsigned char *slots_page;
static void (*play)(void);
static int faults;

/* Set by a test: each poll's state is recorded, and the poll fails. */
static bool record_polls;
static const struct kipc__ring_poll *polled;

/* No poll: the sleeper goes straight to its check, which will fault. */
bool __wrap_kipc__ring_poll(struct kipc__ring_poll *p,
			    bool (*ready)(const void *), const void *arg,
			    uint64_t (*clock)(void))
{
	if (record_polls) {
		polled = p;
		return false;
	}
	if (!slots_page)
		return __real_kipc__ring_poll(p, ready, arg, clock);
	mprotect(slots_page, PAGE, PROT_NONE);
	return false;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	unsigned char *a = si->si_addr;

	if (!slots_page || a < slots_page || a >= slots_page + PAGE) {
		signal(SIGSEGV, SIG_DFL);	/* a real fault: die of it */
		return;
	}
	mprotect(slots_page, PAGE, PROT_READ | PROT_WRITE);
	slots_page = NULL;
	faults++;
	play();
}

static struct ring_shared *sh;

static uint32_t *slot_seq(uint32_t pos)
{
	return (uint32_t *)(sh->slots + (pos % SLOTS) * 16);
}

static uint64_t *slot_msg(uint32_t pos)
{
	return (uint64_t *)(sh->slots + (pos % SLOTS) * 16 + 8);
}

FIXTURE(ring) {
	struct kipc_region r;
	struct kipc_ring *ring;
};

/* An MPMC ring of 4 slots of 8 bytes whose slots begin the second page. */
FIXTURE_SETUP(ring)
{
	uint64_t off = PAGE - offsetof(struct ring_shared, slots);
	struct sigaction sa = { .sa_sigaction = on_fault,
				.sa_flags = SA_SIGINFO };

	ASSERT_EQ(16 * SLOTS + sizeof(*sh),
		  kipc_ring_bytes(SLOTS, 8, KIPC_RING_MPMC));
	memset(&self->r, 0, sizeof(self->r));
	self->r.fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->r.fd);
	self->r.bytes = 2 * PAGE;
	self->r.base = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->r.base);
	ASSERT_EQ(0, kipc_ring_create(&self->r, off, SLOTS, 8, KIPC_RING_MPMC,
				      &self->ring));
	sh = (struct ring_shared *)((char *)self->r.base + off);
	ASSERT_EQ(0, (uintptr_t)sh->slots % PAGE);
	ASSERT_EQ(0, sigaction(SIGSEGV, &sa, NULL));
	faults = 0;
}

FIXTURE_TEARDOWN(ring)
{
	kipc_ring_close(self->ring);
	munmap(self->r.base, 2 * PAGE);
	close(self->r.fd);
}

/*
 * The consumer found the ring empty at head 0. Meanwhile a producer
 * published at 0 and 1, before the consumer counted itself (so it woke
 * nobody), and another consumer took 0.
 */
static void publish_two_take_one(void)
{
	*slot_msg(1) = 0xb;
	*slot_seq(1) = 1 + 1;
	sh->tail = 2;
	sh->head = 1;
	*slot_seq(0) = 0 + SLOTS;
}

TEST_F(ring, recv_check_follows_the_head)
{
	uint64_t m = 0;

	slots_page = sh->slots;
	play = publish_two_take_one;
	EXPECT_EQ(0, kipc_ring_recv(self->ring, &m, 0, NULL))
		TH_LOG("the consumer slept beside a message");
	EXPECT_EQ(1, faults);
	EXPECT_EQ(0xb, m);
	EXPECT_EQ(2, sh->head);
	EXPECT_EQ(0, sh->not_empty.sleepers);
}

/*
 * The producer found the ring full at tail 4. Meanwhile two consumers took
 * 0 and 1, before the producer counted itself, and another producer
 * claimed 4 (slot 0) and published it.
 */
static void take_two_publish_one(void)
{
	sh->head = 2;
	*slot_seq(1) = 1 + SLOTS;
	*slot_msg(4) = 0xc;
	*slot_seq(4) = 4 + 1;
	sh->tail = 5;
}

TEST_F(ring, send_check_follows_the_tail)
{
	uint64_t m;

	for (m = 0; m < SLOTS; m++)
		ASSERT_EQ(0, kipc_ring_send(self->ring, &m, KIPC_IO_NONBLOCK,
					    NULL));
	m = 0xd;
	slots_page = sh->slots;
	play = take_two_publish_one;
	EXPECT_EQ(0, kipc_ring_send(self->ring, &m, 0, NULL))
		TH_LOG("the producer slept beside a free slot");
	EXPECT_EQ(1, faults);
	EXPECT_EQ(6, sh->tail);
	EXPECT_EQ(0xd, *slot_msg(5));
	EXPECT_EQ(0, sh->not_full.sleepers);
}

/*
 * The control: nobody acts between the loads, the ring stays empty, and
 * the sleeper's wait is the one that fails (ENOTTY). Its share of the
 * sleepers count is given back on that path too.
 */
static void nothing(void)
{
}

TEST_F(ring, empty_ring_sleeps)
{
	uint64_t m;

	slots_page = sh->slots;
	play = nothing;
	EXPECT_EQ(-ENOTTY, kipc_ring_recv(self->ring, &m, 0, NULL));
	EXPECT_EQ(1, faults);
	EXPECT_EQ(0, sh->not_empty.sleepers);
	EXPECT_EQ(1, sh->not_empty.waiters);
}

/*
 * An empty ring whose sleep word a peer bumps before every wait: the
 * receive must give up at its deadline, 50 ms away. Up to 4b3e10b it
 * retried for ever (SIGALRM after 5 s).
 */
TEST_F(ring, deadline_holds_while_the_word_churns)
{
	struct timespec dl;
	uint64_t m;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_nsec += 50 * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	word_churns = true;
	alarm(5);
	ret = kipc_ring_recv(self->ring, &m, 0, &dl);
	alarm(0);
	word_churns = false;
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_EQ(0, sh->not_empty.sleepers);
}

/*
 * A handle's send side and receive side poll with states of their own:
 * they shared one, so that an idle receiver's failed polls cut the
 * sender's polls short, and a sender's good ones lengthened an idle
 * receiver's. Each wait fails (ENOTTY) after its poll.
 */
TEST_F(ring, send_and_recv_poll_apart)
{
	const struct kipc__ring_poll *recv_poll;
	uint64_t m = 0;

	record_polls = true;
	EXPECT_EQ(-ENOTTY, kipc_ring_recv(self->ring, &m, 0, NULL));
	recv_poll = polled;
	for (m = 0; m < SLOTS; m++)
		ASSERT_EQ(0, kipc_ring_send(self->ring, &m, KIPC_IO_NONBLOCK,
					    NULL));
	polled = NULL;
	EXPECT_EQ(-ENOTTY, kipc_ring_send(self->ring, &m, 0, NULL));
	record_polls = false;
	ASSERT_NE(NULL, recv_poll);
	ASSERT_NE(NULL, polled);
	EXPECT_NE(recv_poll, polled)
		TH_LOG("the send side polled with the receive side's state");
}

/*
 * An SPSC ring's one sleeper of a side takes its waiters flag back when
 * its sleep ends without a wake-up (here the wait fails, ENOTTY): the
 * next send then finds nobody to wake and makes no call. Up to this fix
 * the flag stayed set, and that send bumped the word and called WAKE.
 * (An MPMC ring keeps the flag: empty_ring_sleeps.)
 */
TEST(spsc_sleeper_takes_its_flag_back)
{
	struct kipc_region r = { .bytes = PAGE };
	struct kipc_ring *ring;
	struct ring_shared *spsc;
	uint32_t seq;
	uint64_t m = 0;

	r.fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, r.fd);
	r.base = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r.base);
	ASSERT_EQ(0, kipc_ring_create(&r, 0, SLOTS, 8, 0, &ring));
	spsc = r.base;
	EXPECT_EQ(-ENOTTY, kipc_ring_recv(ring, &m, 0, NULL));
	EXPECT_EQ(0, spsc->not_empty.sleepers);
	EXPECT_EQ(0, spsc->not_empty.waiters)
		TH_LOG("the consumer left its flag for a wake-up of nobody");
	seq = spsc->not_empty.seq;
	EXPECT_EQ(0, kipc_ring_send(ring, &m, KIPC_IO_NONBLOCK, NULL));
	EXPECT_EQ(seq, spsc->not_empty.seq)
		TH_LOG("the send bumped the word to wake nobody");
	kipc_ring_close(ring);
	munmap(r.base, PAGE);
	close(r.fd);
}

TEST_HARNESS_MAIN
