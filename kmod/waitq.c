// SPDX-License-Identifier: GPL-2.0
/*
 * kipc wait queues: futex semantics on 32-bit words of regions.
 *
 * A waiter sleeps while a word holds an expected value; a waker changes the
 * word in shared memory, then wakes. Waiters are keyed by (region, offset),
 * so processes mapping a region at different addresses meet on one queue.
 * Keys hash into a table of cacheline-separated buckets, each with its own
 * lock: there is no global lock on the hot path.
 *
 * READ this before changing the ordering (it is futex's argument, kept):
 *
 * A waiter must never sleep after the waker's change of the word is
 * visible to it and the waker's wake has passed over its bucket. The
 * waiter counts itself in the bucket before it reads the word; the waker
 * changes the word before it reads the count:
 *
 *   CPU 0 (waiter)                      CPU 1 (waker)
 *   atomic_inc(&b->waiters);            *word = new;        (user store)
 *   smp_mb__after_atomic();   (B)       smp_mb();           (A)
 *   lock(&b->lock);                     if (!atomic_read(&b->waiters))
 *   if (*word == val)                           return 0;
 *           queue(q), sleep;            lock(&b->lock); wake queued ...
 *
 * (A) pairs with (B): either CPU 1 sees the count and takes the lock
 * (after which CPU 0 is queued or has seen the new value, as both read
 * and queue happen under the lock), or CPU 0 sees the new value and does
 * not sleep. The wake with no waiters costs one barrier and one load.
 *
 * A waiter is taken off its bucket by whoever wakes it, under the bucket's
 * lock, and its task woken after the lock is dropped. q->state is written
 * under that lock too, last of all (a release: the waker touches q no more,
 * holding a reference to the task instead), so a woken waiter sees it with
 * an acquire and returns without the lock, as futex_unqueue() does; one
 * that removes itself after a timeout or a signal learns, under the lock,
 * whether it was woken first. Requeue moves waiters to another bucket
 * under both locks and updates q->bucket, which a waiter re-reads until it
 * holds the right lock.
 *
 * Peer death does not go through the buckets. A queued waiter judges, under
 * its region's words lock, whether it counts as asleep, and joins the
 * words' judged list; a death, declared under that lock, wakes what is on
 * the list then (and nothing of any other region), marking each wait dead
 * instead of taking it off its bucket: the task takes itself off, and off
 * the list, under the same lock, so an entry found on the list is still
 * there while the death holds the lock.
 */
#include <linux/highmem.h>
#include <linux/jhash.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "kipc.h"
#include "kipc_trace.h"

/* q->state */
#define KIPC_WAITER_QUEUED	0
#define KIPC_WAITER_WOKEN	1

/**
 * struct kipc_wq_bucket - one bucket of the waiter table
 * @waiters: waiters queued or about to be; read without the lock by wakers
 * @lock: protects @chain and the waiters on it
 * @chain: the queued waiters
 */
struct kipc_wq_bucket {
	atomic_t waiters;
	spinlock_t lock;	/* protects chain and its waiters */
	struct list_head chain;
} ____cacheline_aligned_in_smp;

static struct kipc_wq_bucket *kipc_wq_table;
static unsigned long kipc_wq_mask;

struct kipc_waiter;

/**
 * struct kipc_wait_call - the entries of one wait (lives on its stack)
 * @qs: the entries, every field but the queueing ones set before the first
 *	is queued: a waker of one entry visits them all
 * @n: how many
 * @woken: an entry was woken, a death woke the task, or the task stopped
 *	waiting: it runs again, and none of its entries waits any more (an
 *	entry not yet counted is not counted). Wakers and deaths claim the
 *	wait by setting it (xchg): whoever finds it set passes the wait by,
 *	so a wake-up counted always reaches a task that takes it
 * @dead: a death of a region it waits on woke it (a release, after
 *	@woken; under that region's words lock)
 * @counting: its words are all in one region: its entries may count with
 *	their holders' processes (else as others, keeping them awake)
 */
struct kipc_wait_call {
	struct kipc_waiter *qs;
	unsigned int n;
	int woken;
	bool dead;
	bool counting;
};

/**
 * struct kipc_waiter - a task waiting on a word (lives on its stack)
 * @node: in @bucket's chain, under its lock
 * @wnode: in @words' judged list while @listed, under the words' lock,
 *	from when it judges whether it counts (queued, its wait not woken)
 *	until its task or a death takes it off
 * @bucket: the bucket queued on; changed by requeue under both locks
 * @words: the words of the word's region
 * @holder: the handle waited through; counts this task waiting while
 *	@counted
 * @call: the wait this entry is part of
 * @offset: the word's offset
 * @bitset: wakers this waiter accepts
 * @task: the sleeping task
 * @state: KIPC_WAITER_*, written under the bucket lock
 * @listed: the first entry of @call on @words, the one a death finds
 * @counts: no earlier entry of @call counts the task in @holder already
 *	(a task is one waiter)
 * @other: counted as a waiter not of @holder's process, or of a wait on
 *	more than one region (which a wake through another region can end):
 *	it keeps @holder awake; under @words' lock
 * @counted: the task is counted waiting in @holder; under @words' lock.
 *	Set only once every entry of @call is queued, its word holding its
 *	value: a task about to find a word changed is no sleeper. A waker of
 *	any entry of @call clears it on every entry (under the bucket lock,
 *	before @state), else the task itself once awake: a woken task that
 *	has not run yet is no longer waiting, and must not make its waker's
 *	next wait, or a holder's close, look like every holder left is asleep
 */
struct kipc_waiter {
	struct list_head node;
	struct list_head wnode;
	struct kipc_wq_bucket *bucket;
	struct kipc_words *words;
	struct kipc_words_holder *holder;
	struct kipc_wait_call *call;
	u64 offset;
	u32 bitset;
	struct task_struct *task;
	int state;
	bool listed;
	bool counts;
	bool other;
	bool counted;
};

static struct kipc_wq_bucket *kipc_wq_bucket(struct kipc_words *w, u64 offset)
{
	u32 key[4] = {
		lower_32_bits((unsigned long)w), upper_32_bits((unsigned long)w),
		lower_32_bits(offset), upper_32_bits(offset),
	};

	return &kipc_wq_table[jhash2(key, ARRAY_SIZE(key), 0) & kipc_wq_mask];
}

/**
 * kipc_waitq_init() - allocate the waiter table
 *
 * Return: 0 or -ENOMEM.
 */
int kipc_waitq_init(void)
{
	unsigned long i, n = roundup_pow_of_two(256 * num_possible_cpus());

	kipc_wq_table = kvcalloc(n, sizeof(*kipc_wq_table), GFP_KERNEL);
	if (!kipc_wq_table)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		spin_lock_init(&kipc_wq_table[i].lock);
		INIT_LIST_HEAD(&kipc_wq_table[i].chain);
	}
	kipc_wq_mask = n - 1;
	return 0;
}

void kipc_waitq_exit(void)
{
	kvfree(kipc_wq_table);
}

/**
 * kipc_words_init() - set up the wait-queue state of a region's words
 * @w: the state, in the region
 * @mapping: the region's pages, while the region has a holder (a handle,
 *	through which every wait comes)
 * @bytes: the region's size
 */
void kipc_words_init(struct kipc_words *w, struct address_space *mapping,
		     u64 bytes)
{
	spin_lock_init(&w->lock);
	INIT_LIST_HEAD(&w->judged);
	INIT_LIST_HEAD(&w->waiting);
	INIT_LIST_HEAD(&w->asleep);
	w->mapping = mapping;
	w->bytes = bytes;
}

/*
 * Whether @h is asleep, from its counts and the live threads of its
 * waiters' process: a thread that waits while another thread of its
 * process runs leaves the handle awake, as that thread may wake it, and so
 * does a task of another process waiting through it, or a wait that
 * another region can end. The threads are read when a death is judged
 * (kipc_words_all_asleep()): one that exits while its siblings wait
 * leaves them asleep. Context: the words' lock held; a task of h->group
 * is counted, so it is alive.
 */
static bool kipc_words_holder_asleep(const struct kipc_words_holder *h)
{
	return h->nr_waiting && !h->nr_other &&
	       h->nr_waiting >= atomic_read(&h->group->live);
}

/*
 * Whether every holder of @w is asleep: nobody is left to wake a waiter.
 * A holder with no waiter is awake, so most calls end at the count. Else
 * the holders on w->waiting (those with a count or uncount since they
 * were last judged, the latest first) are judged until one is awake; one
 * found asleep moves to w->asleep, where it stays until its next count or
 * uncount: its threads all wait, so none can start another and wake it
 * up. Each holder is judged once per change, and an awake one ends the
 * walk: amortised O(1) per wait. Context: @w's lock held.
 */
static bool kipc_words_all_asleep(struct kipc_words *w)
{
	struct kipc_words_holder *h, *tmp;

	lockdep_assert_held(&w->lock);
	if (!w->nr_holders || w->nr_waiting_holders < w->nr_holders)
		return false;
	list_for_each_entry_safe(h, tmp, &w->waiting, waiting) {
		if (!kipc_words_holder_asleep(h))
			return false;
		list_move(&h->waiting, &w->asleep);
	}
	return true;
}

/*
 * After a count or uncount on @h: to the front of the holders to judge,
 * or off both lists once it has no waiter. Context: @w's lock held.
 */
static void kipc_words_holder_changed(struct kipc_words *w,
				      struct kipc_words_holder *h, bool had)
{
	bool has = h->nr_waiting || h->nr_other;

	lockdep_assert_held(&w->lock);
	if (had && has) {
		list_move(&h->waiting, &w->waiting);
	} else if (has) {
		list_add(&h->waiting, &w->waiting);
		w->nr_waiting_holders++;
	} else if (had) {
		list_del_init(&h->waiting);
		w->nr_waiting_holders--;
	}
}

/**
 * kipc_words_hold() - count a new holder (a region handle) of the words
 * @w: the words
 *
 * A new holder can wake the waiters: the words have an owner again, and
 * a waiter that would leave every holder waiting no longer fails at once.
 */
void kipc_words_hold(struct kipc_words *w)
{
	spin_lock(&w->lock);
	w->nr_holders++;
	w->holder_closed = false;
	spin_unlock(&w->lock);
}

/*
 * Count entry @q, of the current task, as waiting through its holder:
 * with the holder's process if it is of it (the first waiter names it),
 * else as another, which keeps the holder awake until it is gone; so does
 * a wait on more than one region. Context: @w's lock held.
 */
static void kipc_words_count(struct kipc_words *w, struct kipc_waiter *q)
{
	struct kipc_words_holder *h = q->holder;
	bool had = h->nr_waiting || h->nr_other;

	lockdep_assert_held(&w->lock);
	if (!h->nr_waiting && q->call->counting)
		h->group = current->signal;
	q->other = !q->call->counting || h->group != current->signal;
	if (q->other)
		h->nr_other++;
	else
		h->nr_waiting++;
	q->counted = true;
	kipc_words_holder_changed(w, h, had);
}

/* Uncount entry @q if it counts on @w. Context: @w's lock held. */
static void kipc_words_uncount(struct kipc_words *w, struct kipc_waiter *q)
{
	struct kipc_words_holder *h = q->holder;

	lockdep_assert_held(&w->lock);
	if (q->words != w || !q->counted)
		return;
	q->counted = false;
	if (q->other)
		h->nr_other--;
	else if (!--h->nr_waiting)
		h->group = NULL;	/* not read once none of it waits */
	kipc_words_holder_changed(w, h, true);
}

/*
 * A death: every holder left is asleep, and a holder has gone. Wake every
 * waiter judged so far with -EOWNERDEAD; one judged later judges from the
 * holders it finds then (a holder attached since keeps it asleep; a death
 * that still holds is declared again by it). The cost is the waiters of
 * these words only, each once: a death takes them off the list.
 * Context: the words' lock held. Every task on the list must take that
 * lock to leave it (kipc_words_wait_exit()), so none returns meanwhile.
 */
static void kipc_words_dead_locked(struct kipc_words *w)
{
	struct kipc_waiter *q, *tmp;

	lockdep_assert_held(&w->lock);
	list_for_each_entry_safe(q, tmp, &w->judged, wnode) {
		struct kipc_wait_call *call = q->call;
		unsigned int i;

		/*
		 * Off the list whatever it is: a wait woken already, or no
		 * longer waiting, never joins again (kipc_words_wait_enter()
		 * reads woken under this lock), and reports what it reports.
		 */
		list_del_init(&q->wnode);
		if (xchg(&call->woken, 1))
			continue;
		/* Its entries counted on these words. */
		for (i = 0; i < call->n; i++)
			kipc_words_uncount(w, &call->qs[i]);
		/* Pairs with the acquire in kipc_waiters_sleep(). */
		smp_store_release(&call->dead, true);
		wake_up_process(q->task);
	}
}

/**
 * kipc_words_unhold() - a holder of the words is gone
 * @w: the words
 * @h: the holder, being released
 *
 * When every holder left is asleep, nobody will ever wake their waiters:
 * they are woken with -EOWNERDEAD.
 * Context: process context; the holder waits on nothing (its file is being
 * released, so its ioctls are done): it is not asleep.
 */
void kipc_words_unhold(struct kipc_words *w, struct kipc_words_holder *h)
{
	spin_lock(&w->lock);
	/*
	 * Its waiters held its file: none can be left. Were one left (a
	 * bug), the holder is unlinked so that walks over the lists stay
	 * sound; that waiter's own uncount would still touch freed memory.
	 */
	if (WARN_ON_ONCE(h->nr_waiting || h->nr_other)) {
		h->nr_waiting = 0;
		h->nr_other = 0;
		kipc_words_holder_changed(w, h, true);
	}
	w->nr_holders--;
	w->holder_closed = true;
	if (kipc_words_all_asleep(w))
		kipc_words_dead_locked(w);
	spin_unlock(&w->lock);
}

/**
 * kipc_words_stat() - the statistics of waits on the words
 * @w: the words
 * @waits: out: waits queued since creation
 * @wakes: out: waiters woken since creation
 * @wait_ns: out: time waiters spent queued
 */
void kipc_words_stat(struct kipc_words *w, u64 *waits, u64 *wakes,
		     u64 *wait_ns)
{
	*waits = atomic64_read(&w->waits);
	*wakes = atomic64_read(&w->wakes);
	*wait_ns = atomic64_read(&w->wait_ns);
}

/* Whether @offset names a 32-bit word of @w: aligned and inside. */
static bool kipc_word_ok(const struct kipc_words *w, u64 offset)
{
	return IS_ALIGNED(offset, sizeof(u32)) && offset < w->bytes;
}

/*
 * The page holding a word, with a reference the caller puts: the shmem
 * page every mapping of the region shows, allocated if nobody touched it
 * yet. Context: process context, may sleep.
 * Return: 0, -EINVAL for a bad offset, or the error of reading the page.
 */
static int kipc_word_page(struct kipc_words *w, u64 offset, struct page **page)
{
	struct page *p;

	if (!kipc_word_ok(w, offset))
		return -EINVAL;
	/* The lockless page-cache lookup first: the page is usually there. */
	p = find_get_page(w->mapping, offset >> PAGE_SHIFT);
	if (p && PageUptodate(p)) {
		*page = p;
		return 0;
	}
	if (p)
		put_page(p);
	p = shmem_read_mapping_page(w->mapping, offset >> PAGE_SHIFT);
	if (IS_ERR(p))
		return PTR_ERR(p);
	*page = p;
	return 0;
}

/*
 * Judge entry @q, queued: unless its wait was woken already, put it on
 * its words' judged list (a death wakes it from now on) and, if it
 * counts, count it as waiting through its holder; both undone by
 * kipc_wait_call_woken(). Only a queued entry counts: a task about to find
 * its word changed is no sleeper.
 * Return: true when it counts, a holder closed since the last one was
 * added, and every holder left is now asleep: nobody is left to wake any
 * waiter. The death is declared and every waiter judged woken, this one
 * too.
 */
static bool kipc_words_wait_enter(struct kipc_waiter *q)
{
	struct kipc_words *w = q->words;
	bool orphaned = false;

	if (!q->listed && !q->counts)
		return false;
	spin_lock(&w->lock);
	/* Pairs with the waker's store before it takes this lock. */
	if (!READ_ONCE(q->call->woken)) {
		if (q->listed)
			list_add_tail(&q->wnode, &w->judged);
		if (q->counts) {
			kipc_words_count(w, q);
			orphaned = w->holder_closed && kipc_words_all_asleep(w);
		}
		if (orphaned)
			kipc_words_dead_locked(w);
	}
	spin_unlock(&w->lock);
	return orphaned;
}

/*
 * Take entry @q off its words' judged list, and uncount it if it is
 * counted. Context: by a waker of an entry of @q's wait, under that
 * entry's bucket lock; or by the task itself, awake, for every entry
 * before it returns (a death relies on it). Nests inside a bucket lock.
 */
static void kipc_words_wait_exit(struct kipc_waiter *q)
{
	struct kipc_words *w = q->words;

	if (!q->listed && !q->counts)
		return;
	spin_lock(&w->lock);
	list_del_init(&q->wnode);
	kipc_words_uncount(w, q);
	spin_unlock(&w->lock);
}

/*
 * The task of @call runs again: none of its entries waits any more. Called
 * by a waker, whose waiter cannot have returned: it unqueues the entry
 * being woken, under the bucket lock its waker holds, before it looks at
 * any entry. Or by the task itself, once it stops waiting.
 */
static void kipc_wait_call_woken(struct kipc_wait_call *call)
{
	unsigned int i;

	WRITE_ONCE(call->woken, 1);
	for (i = 0; i < call->n; i++)
		kipc_words_wait_exit(&call->qs[i]);
}

static void kipc_words_count_wait(struct kipc_words *w, u64 ns)
{
	atomic64_inc(&w->waits);
	atomic64_add(ns, &w->wait_ns);
	kipc_stat_inc(KIPC_STAT_WORD_WAITS);
}

static void kipc_words_count_wakes(struct kipc_words *w, u32 n)
{
	atomic64_add(n, &w->wakes);
	kipc_stat_add(KIPC_STAT_WORD_WAKES, n);
}

/* Read the word at @offset of @page. Context: any; does not sleep. */
static u32 kipc_word_read(struct page *page, u64 offset)
{
	u32 *p = kmap_local_page(page);
	u32 val = READ_ONCE(p[offset_in_page(offset) / sizeof(u32)]);

	kunmap_local(p);
	return val;
}

/*
 * Tasks to wake once the bucket lock is dropped, so that a woken waiter
 * does not spin on the lock its waker still holds (futex's wake_q, which
 * modules cannot use).
 */
#define KIPC_WAKE_BATCH	16

struct kipc_wake_list {
	unsigned int nr;
	struct task_struct *tasks[KIPC_WAKE_BATCH];
};

/*
 * Mark @q woken and take it off its bucket; its task is woken by
 * kipc_wake_list_flush(). Context: q->bucket->lock held; the caller has
 * claimed @q's wait (kipc_waiter_claim()).
 */
static void kipc_waiter_wake(struct kipc_waiter *q, struct kipc_wake_list *wl)
{
	struct task_struct *task = q->task;

	lockdep_assert_held(&q->bucket->lock);
	list_del_init(&q->node);
	atomic_dec(&q->bucket->waiters);
	kipc_wait_call_woken(q->call);	/* running again, not waiting */
	/* Once state is seen q may vanish: hold the task instead. */
	get_task_struct(task);
	/* Pairs with kipc_waiter_unqueue(). */
	smp_store_release(&q->state, KIPC_WAITER_WOKEN);
	if (wl->nr < KIPC_WAKE_BATCH) {
		wl->tasks[wl->nr++] = task;
	} else {
		wake_up_process(task);
		put_task_struct(task);
	}
}

/*
 * Claim @q's wait for a wake-up: false when it was woken through another
 * entry or by a death, or its task stopped waiting. Waking it then would
 * count a wake-up that nobody takes, and leave a waiter behind it asleep.
 * Context: q->bucket->lock held: the wait cannot return while @q is
 * queued.
 */
static bool kipc_waiter_claim(struct kipc_waiter *q)
{
	return !xchg(&q->call->woken, 1);
}

static void kipc_wake_list_flush(struct kipc_wake_list *wl)
{
	unsigned int i;

	for (i = 0; i < wl->nr; i++) {
		wake_up_process(wl->tasks[i]);
		put_task_struct(wl->tasks[i]);
	}
	wl->nr = 0;
}

/*
 * Take @q off its bucket if it is still queued. Return: false if a waker
 * took it off first: it was woken.
 */
static bool kipc_waiter_unqueue(struct kipc_waiter *q)
{
	struct kipc_wq_bucket *b;
	bool queued;

	/* Woken: off its bucket already, and no waker touches it again. */
	if (smp_load_acquire(&q->state) != KIPC_WAITER_QUEUED)
		return false;
	for (;;) {
		b = READ_ONCE(q->bucket);
		spin_lock(&b->lock);
		if (b == READ_ONCE(q->bucket))
			break;
		spin_unlock(&b->lock);	/* requeued meanwhile */
	}
	queued = !list_empty(&q->node);
	if (queued) {
		list_del_init(&q->node);
		atomic_dec(&b->waiters);
	}
	spin_unlock(&b->lock);
	return queued;
}

/*
 * Queue @q if the word still holds @val. Return: 0 when queued, or
 * -EAGAIN when the word differs.
 */
static int kipc_waiter_queue(struct kipc_waiter *q, struct page *page, u32 val)
{
	struct kipc_wq_bucket *b = kipc_wq_bucket(q->words, q->offset);
	int ret = 0;

	q->bucket = b;
	q->task = current;
	q->state = KIPC_WAITER_QUEUED;
	INIT_LIST_HEAD(&q->node);

	atomic_inc(&b->waiters);
	smp_mb__after_atomic();		/* (B), pairs with (A) in kipc_waitq_wake() */
	spin_lock(&b->lock);
	if (kipc_word_read(page, q->offset) != val)
		ret = -EAGAIN;
	else
		list_add_tail(&q->node, &b->chain);
	spin_unlock(&b->lock);
	if (ret)
		atomic_dec(&b->waiters);
	return ret;
}

static bool kipc_waiters_any_woken(struct kipc_waiter *qs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (READ_ONCE(qs[i].state) != KIPC_WAITER_QUEUED)
			return true;
	return false;
}

/*
 * Sleep until a waiter of @call is woken, a death, a signal, or the
 * deadline.
 */
static int kipc_waiters_sleep(struct kipc_wait_call *call,
			      const struct kipc_deadline *dl)
{
	int ret = 0;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kipc_waiters_any_woken(call->qs, call->n) ||
		    smp_load_acquire(&call->dead))	/* the death's release */
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		ret = kipc_sleep(dl);
		if (ret)
			break;
	}
	__set_current_state(TASK_RUNNING);
	return ret;
}

/*
 * Unqueue the first @n waiters of @call and turn the outcome into a
 * result: the index of the first woken one, -EOWNERDEAD, or @sleep_ret.
 * Context: after kipc_wait_call_woken(): no death marks @call any more.
 */
static int kipc_waiters_finish(struct kipc_wait_call *call, unsigned int n,
			       int sleep_ret)
{
	int woken = -1;
	unsigned int i;

	/* One a waker took off first was woken. */
	for (i = 0; i < n; i++)
		if (!kipc_waiter_unqueue(&call->qs[i]) && woken < 0)
			woken = i;
	if (woken >= 0)
		return woken;
	return READ_ONCE(call->dead) ? -EOWNERDEAD : sleep_ret;
}

/*
 * Set up how entry @i of @qs (words and holders set up to @i) judges
 * itself: whether it is its wait's first on its words (@listed), and
 * whether it counts its task in its holder (@counts: no earlier entry
 * does). WAITV entries are few (KIPC_WAITV_MAX).
 */
static void kipc_waiter_judging(struct kipc_waiter *qs, unsigned int i)
{
	unsigned int j;

	qs[i].listed = true;
	qs[i].counts = true;
	for (j = 0; j < i; j++) {
		if (qs[j].words == qs[i].words)
			qs[i].listed = false;
		if (qs[j].holder == qs[i].holder)
			qs[i].counts = false;
	}
}

/**
 * kipc_waitq_wait() - wait on one or more words
 * @keys: the words, each with its region's words, holder, expected value
 *	and bitset
 * @n: how many, 1 to KIPC_WAITV_MAX
 * @dl: deadline
 *
 * Context: process context, may sleep; the caller holds the handles' files.
 * Return: the index of a woken word, or -EINVAL (a misaligned or outside
 * offset), -EAGAIN (a word does not hold its value), -ETIMEDOUT,
 * -ERESTARTSYS, -EOWNERDEAD (no holder of a region is left to wake the
 * caller), -ENOMEM.
 */
int kipc_waitq_wait(const struct kipc_wait_key *keys, unsigned int n,
		    const struct kipc_deadline *dl)
{
	struct kipc_waiter stack_q, *qs = &stack_q;
	struct kipc_wait_call call = { .n = n, .counting = true };
	unsigned int i, queued = 0;
	struct page *page;
	u64 start, end;
	int ret;

	might_sleep();

	if (n > 1) {
		/* Up to KIPC_WAITV_MAX: order 2, where memory may be cut up. */
		qs = kvcalloc(n, sizeof(*qs), GFP_KERNEL_ACCOUNT);
		if (!qs)
			return -ENOMEM;
	}
	call.qs = qs;
	/* Every offset first: a bad one is EINVAL, never a woken index. */
	for (i = 0; i < n; i++) {
		if (!kipc_word_ok(keys[i].words, keys[i].offset)) {
			ret = -EINVAL;
			goto out_free;
		}
		if (keys[i].words != keys[0].words)
			call.counting = false;
	}
	/* Every entry before the first is queued: a waker visits them all. */
	for (i = 0; i < n; i++) {
		qs[i].words = keys[i].words;
		qs[i].holder = keys[i].holder;
		qs[i].call = &call;
		qs[i].task = current;
		INIT_LIST_HEAD(&qs[i].wnode);
		kipc_waiter_judging(qs, i);
		qs[i].counted = false;
		qs[i].offset = keys[i].offset;
		qs[i].bitset = keys[i].bitset ?: U32_MAX;
	}
	for (queued = 0; queued < n; queued++) {
		ret = kipc_word_page(qs[queued].words, qs[queued].offset, &page);
		if (ret)
			goto out_unqueue;
		ret = kipc_waiter_queue(&qs[queued], page, keys[queued].val);
		put_page(page);
		if (ret)
			goto out_unqueue;
	}
	/*
	 * Every word held its value: only now does the task count as waiting,
	 * each count with its check that some holder can still wake it. A
	 * close that comes after a count sees it, and wakes this task queued.
	 * A count that completes the death (the last thread of the last
	 * awake process) wakes every waiter of the words dead, this one too.
	 */
	for (i = 0; i < n; i++) {
		if (kipc_words_wait_enter(&qs[i])) {
			ret = -EOWNERDEAD;
			goto out_unqueue;
		}
	}
	/*
	 * The time waited is a statistic: local_clock() (the TSC where there
	 * is one), not ktime_get_ns(), whose clocksource may be an HPET that
	 * costs more to read under emulation than the rest of the wait.
	 */
	start = local_clock();
	ret = kipc_waiters_sleep(&call, dl);
	kipc_wait_call_woken(&call);	/* awake: waiting through none */
	ret = kipc_waiters_finish(&call, n, ret);
	/* A task woken on another CPU may read a slightly earlier clock. */
	end = max(local_clock(), start);
	for (i = 0; i < n; i++)
		kipc_words_count_wait(qs[i].words, end - start);
	trace_kipc_wait(keys[0].offset, n, ret, end - start);
	goto out_free;

out_unqueue:
	/*
	 * Take back the entries queued. One of them may have been woken
	 * meanwhile; its waker counted a wake-up, so the caller must learn of
	 * it (as futex_waitv() returns the woken index).
	 */
	kipc_wait_call_woken(&call);
	ret = kipc_waiters_finish(&call, queued, ret);
out_free:
	if (qs != &stack_q)
		kvfree(qs);
	return ret;
}

/**
 * kipc_waitq_wake() - wake waiters of a word
 * @w: the words of the word's region
 * @offset: the word
 * @nr: the most waiters to wake
 * @bitset: only waiters sharing a bit; 0 for all
 *
 * Context: any process context; does not sleep.
 * Return: the number woken, or -EINVAL for a bad offset.
 */
int kipc_waitq_wake(struct kipc_words *w, u64 offset, u32 nr, u32 bitset)
{
	struct kipc_wake_list wl = {};
	struct kipc_waiter *q, *tmp;
	struct kipc_wq_bucket *b;
	int woken = 0;

	if (!kipc_word_ok(w, offset))
		return -EINVAL;
	b = kipc_wq_bucket(w, offset);
	bitset = bitset ?: U32_MAX;

	smp_mb();	/* (A), pairs with (B) in kipc_waiter_queue() */
	if (!nr || !atomic_read(&b->waiters)) {
		trace_kipc_wake(offset, nr, 0);
		return 0;
	}

	spin_lock(&b->lock);
	list_for_each_entry_safe(q, tmp, &b->chain, node) {
		if (q->words != w || q->offset != offset ||
		    !(q->bitset & bitset) || !kipc_waiter_claim(q))
			continue;
		kipc_waiter_wake(q, &wl);
		if (++woken >= nr)
			break;
	}
	spin_unlock(&b->lock);
	kipc_wake_list_flush(&wl);
	if (woken)
		kipc_words_count_wakes(w, woken);
	trace_kipc_wake(offset, nr, woken);
	return woken;
}

/* Lock two buckets in address order; one lock when they are the same. */
static void kipc_wq_double_lock(struct kipc_wq_bucket *b1,
				struct kipc_wq_bucket *b2)
	__acquires(&b1->lock) __acquires(&b2->lock)
{
	if (b1 > b2)
		swap(b1, b2);
	spin_lock(&b1->lock);
	if (b1 != b2)
		spin_lock_nested(&b2->lock, SINGLE_DEPTH_NESTING);
	else
		__acquire(&b2->lock);
}

static void kipc_wq_double_unlock(struct kipc_wq_bucket *b1,
				  struct kipc_wq_bucket *b2)
	__releases(&b1->lock) __releases(&b2->lock)
{
	spin_unlock(&b1->lock);
	if (b1 != b2)
		spin_unlock(&b2->lock);
	else
		__release(&b2->lock);
}

/**
 * kipc_waitq_requeue() - wake some waiters of a word, move others to another
 * @w: the words of the region
 * @offset: the source word
 * @val: the value the source word must hold
 * @nr_wake: the most waiters to wake
 * @nr_requeue: the most waiters to move
 * @dst: the destination word, in the same region
 *
 * Context: process context, may sleep (to read the word's page).
 * Return: woken plus moved, or -EINVAL (bad offsets), -EAGAIN (the source
 * word does not hold @val), -ENOMEM. A waiter moved stays on its words'
 * judged list: a death finds it wherever it is queued.
 */
int kipc_waitq_requeue(struct kipc_words *w, u64 offset, u32 val,
		       u32 nr_wake, u32 nr_requeue, u64 dst)
{
	struct kipc_wake_list wl = {};
	struct kipc_wq_bucket *b1, *b2;
	struct kipc_waiter *q, *tmp;
	u32 woken = 0, moved = 0;
	struct page *page;
	int ret;

	might_sleep();

	if (!kipc_word_ok(w, dst))
		return -EINVAL;
	ret = kipc_word_page(w, offset, &page);
	if (ret)
		return ret;
	b1 = kipc_wq_bucket(w, offset);
	b2 = kipc_wq_bucket(w, dst);

	atomic_inc(&b2->waiters);
	/* Count a prospective waiter on b2 first, as a waiter would: (B). */
	smp_mb__after_atomic();
	kipc_wq_double_lock(b1, b2);
	if (kipc_word_read(page, offset) != val) {
		ret = -EAGAIN;
		goto out_unlock;
	}
	list_for_each_entry_safe(q, tmp, &b1->chain, node) {
		if (q->words != w || q->offset != offset)
			continue;
		if (woken < nr_wake) {
			if (kipc_waiter_claim(q)) {
				kipc_waiter_wake(q, &wl);
				woken++;
			}
			continue;
		}
		/* A wait already woken is no waiter to move. */
		if (READ_ONCE(q->call->woken))
			continue;
		if (moved >= nr_requeue)
			break;
		moved++;
		q->offset = dst;
		if (b1 != b2) {
			list_move_tail(&q->node, &b2->chain);
			atomic_dec(&b1->waiters);
			atomic_inc(&b2->waiters);
			WRITE_ONCE(q->bucket, b2);
		}
	}
	ret = woken + moved;
	kipc_words_count_wakes(w, woken);
out_unlock:
	kipc_wq_double_unlock(b1, b2);
	kipc_wake_list_flush(&wl);
	atomic_dec(&b2->waiters);
	put_page(page);
	return ret;
}
