// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the futex family.
 *
 * kb_mbox is a one-slot mailbox in shared memory: a word that is 0 (empty)
 * or 1 (full), slept on with FUTEX_WAIT (not private: two processes), and a
 * count of sleepers so that the setter only enters the kernel when someone
 * sleeps.  futex-shared uses it with the futex for a doorbell
 * (kb_futex_bell), kipc-wait with kipc's wait queues; the cma mechanisms'
 * rings count messages in words of the same kind (kb_word_wait(),
 * kb_word_set()).
 *
 * futex-shared: a shared mapping of a memfd (a tmpfs page) holding a
 * mailbox and a message area per direction.
 *
 * Why the sleeper count cannot lose a wake-up (all accesses seq_cst):
 *
 *	waiter				setter
 *	waiters++			full = val
 *	if (full != want)		if (waiters)
 *		FUTEX_WAIT(full, !want)		FUTEX_WAKE(full)
 *
 * Either the setter sees waiters != 0 and wakes (FUTEX_WAIT either queued
 * first or finds full changed and returns EAGAIN), or its load came before
 * the increment, so its store did too and the waiter sees full == want.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kipc-bench.h"

static int kb_futex_wait(void *priv, uint32_t *word, uint32_t val)
{
	(void)priv;
	return syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0) ?
	       -errno : 0;
}

static int kb_futex_wake(void *priv, uint32_t *word)
{
	(void)priv;
	return syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0) < 0 ?
	       -errno : 0;
}

const struct kb_bell kb_futex_bell = {
	.wait	= kb_futex_wait,
	.wake	= kb_futex_wake,
};

void kb_mbox_init(struct kb_mbox *mb)
{
	memset(mb, 0, sizeof(*mb));
}

/**
 * kb_word_wait() - wait while a shared word is @busy.
 * @word:	the word, set by the other process with kb_word_set()
 * @waiters:	the count of its sleepers
 * @nonblock:	return -EAGAIN instead of sleeping
 * @bell:	how to sleep on the word
 *
 * Return: 0, -EAGAIN, -EINTR (peer died or watchdog) or the error of
 * @bell's wait.
 */
int kb_word_wait(uint32_t *word, uint32_t *waiters, uint32_t busy,
		 bool nonblock, const struct kb_bell *bell)
{
	int ret;

	for (;;) {
		if (kb_load_acquire(word) != busy)
			return 0;
		if (nonblock)
			return -EAGAIN;
		if (kb_abort)
			return -EINTR;
		__atomic_fetch_add(waiters, 1, __ATOMIC_SEQ_CST);
		ret = 0;
		if (__atomic_load_n(word, __ATOMIC_SEQ_CST) == busy)
			ret = bell->wait(bell->priv, word, busy);
		__atomic_fetch_sub(waiters, 1, __ATOMIC_SEQ_CST);
		if (ret && ret != -EAGAIN && ret != -EINTR)
			return ret;
	}
}

/**
 * kb_word_set() - set a shared word to @val, waking its sleepers if any.
 * @waiters:	the count of its sleepers
 * @bell:	how to wake the sleepers on the word
 *
 * Return: 0, or the error of @bell's wake.
 */
int kb_word_set(uint32_t *word, uint32_t *waiters, uint32_t val,
		const struct kb_bell *bell)
{
	__atomic_store_n(word, val, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(waiters, __ATOMIC_SEQ_CST))
		return 0;
	return bell->wake(bell->priv, word);
}

/**
 * kb_mbox_wait() - wait until the mailbox word is @want (0 or 1).
 * @nonblock:	return -EAGAIN instead of sleeping
 * @bell:	how to sleep on the word
 *
 * Return: as kb_word_wait().
 */
int kb_mbox_wait(struct kb_mbox *mb, uint32_t want, bool nonblock,
		 const struct kb_bell *bell)
{
	return kb_word_wait(&mb->full, &mb->waiters, !want, nonblock, bell);
}

/**
 * kb_mbox_set() - set the mailbox word to @val, waking a sleeper.
 * @bell:	how to wake the sleepers on the word
 *
 * Return: 0, or the error of @bell's wake.
 */
int kb_mbox_set(struct kb_mbox *mb, uint32_t val, const struct kb_bell *bell)
{
	return kb_word_set(&mb->full, &mb->waiters, val, bell);
}

struct kb_futex_shared {
	struct kb_mbox *mbox;	/* mbox[d] for direction d, then the areas */
	char *area;		/* direction d's message at area + d * size */
	size_t len;
};

static void kb_futex_shared_teardown(struct kb_chan *c)
{
	struct kb_futex_shared *f = c->priv;

	if (f->mbox && munmap(f->mbox, f->len))
		kb_warn("munmap: %s", strerror(errno));
	free(f);
	c->priv = NULL;
}

/*
 * A tmpfs file (memfd), whatever file system $TMPDIR is on: a page of a
 * disk file system's page cache would take write faults after writeback.
 */
static int kb_tmpfile(struct kb_chan *c)
{
	int fd = memfd_create("kipc-bench-futex", MFD_CLOEXEC);

	return fd < 0 ? kb_fail(c, -errno, "memfd_create") : fd;
}

static int kb_futex_shared_setup(struct kb_chan *c)
{
	struct kb_futex_shared *f;
	int fd, ret = 0;

	f = calloc(1, sizeof(*f));
	if (!f)
		return kb_fail(c, -ENOMEM, "calloc");
	c->priv = f;
	fd = kb_tmpfile(c);
	if (fd < 0) {
		ret = fd;
		goto out_teardown;
	}
	f->len = 2 * sizeof(struct kb_mbox) + 2 * c->size;
	if (ftruncate(fd, f->len)) {
		ret = kb_fail(c, errno == EFBIG ? -ENOSPC : -errno,
			      "ftruncate");
	} else {
		f->mbox = mmap(NULL, f->len, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_POPULATE, fd, 0);
		if (f->mbox == MAP_FAILED) {
			f->mbox = NULL;
			ret = kb_fail(c, -errno, "mmap");
		}
	}
	if (close(fd) && !ret)
		ret = kb_fail(c, -errno, "close");
	if (ret)
		goto out_teardown;
	kb_mbox_init(&f->mbox[0]);
	kb_mbox_init(&f->mbox[1]);
	f->area = (char *)&f->mbox[2];
	return 0;

out_teardown:
	kb_futex_shared_teardown(c);
	return ret;
}

static int kb_futex_shared_send(struct kb_chan *c, const void *buf,
				size_t len)
{
	struct kb_futex_shared *f = c->priv;
	int d = c->side, ret;

	ret = kb_mbox_wait(&f->mbox[d], 0, false, &kb_futex_bell);
	if (ret)
		return kb_fail(c, ret, "futex wait");
	memcpy(f->area + d * c->size, buf, len);
	f->mbox[d].len = len;
	ret = kb_mbox_set(&f->mbox[d], 1, &kb_futex_bell);
	return ret ? kb_fail(c, ret, "futex wake") : 0;
}

static int kb_futex_shared_recv(struct kb_chan *c, const void **data,
				size_t len, bool nonblock)
{
	struct kb_futex_shared *f = c->priv;
	int d = !c->side, ret;

	ret = kb_mbox_wait(&f->mbox[d], 1, nonblock, &kb_futex_bell);
	if (ret)
		return ret == -EAGAIN ? ret : kb_fail(c, ret, "futex wait");
	if (f->mbox[d].len != len)
		return kb_fail(c, -EMSGSIZE, "message of the wrong size");
	*data = f->area + d * c->size;
	return 0;
}

static int kb_futex_shared_recv_done(struct kb_chan *c)
{
	struct kb_futex_shared *f = c->priv;
	int ret;

	ret = kb_mbox_set(&f->mbox[!c->side], 0, &kb_futex_bell);
	return ret ? kb_fail(c, ret, "futex wake") : 0;
}

const struct kb_mech kb_mech_futex_shared = {
	.name		= "futex-shared",
	.desc		= "shared mapping of a temporary file, futex doorbell",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.setup		= kb_futex_shared_setup,
	.teardown	= kb_futex_shared_teardown,
	.send		= kb_futex_shared_send,
	.recv		= kb_futex_shared_recv,
	.recv_done	= kb_futex_shared_recv_done,
};
