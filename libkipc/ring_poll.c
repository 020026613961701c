// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The poll before a ring side sleeps (ring_poll.h). */
#include "ring_poll.h"
#include "wait.h"

void kipc__ring_poll_init(struct kipc__ring_poll *p, bool smp)
{
	p->budget = smp ? KIPC__POLL_MAX : 0;
	p->wake_cost = 0;
}

/* The next budget after one of @budget polls that @succeeded. */
static void ring_poll_adapt(struct kipc__ring_poll *p, unsigned int budget,
			    bool succeeded)
{
	unsigned int next = succeeded ? budget * 2 : budget / 2;

	if (next > KIPC__POLL_MAX)
		next = KIPC__POLL_MAX;
	if (next < KIPC__POLL_MIN)
		next = KIPC__POLL_MIN;
	if (next != budget)	/* threads of an MPMC ring share it */
		__atomic_store_n(&p->budget, next, __ATOMIC_RELAXED);
}

bool kipc__ring_poll(struct kipc__ring_poll *p, bool (*ready)(const void *),
		     const void *arg, uint64_t (*clock)(void))
{
	unsigned int budget = __atomic_load_n(&p->budget, __ATOMIC_RELAXED);
	uint64_t cost, until;
	bool ok = false;
	unsigned int i;

	if (!budget)
		return false;
	cost = __atomic_load_n(&p->wake_cost, __ATOMIC_RELAXED);
	until = cost ? clock() + cost : 0;
	for (i = 0; i < budget; i++) {
		if (ready(arg)) {
			ok = true;
			break;
		}
		if (until && i % KIPC__POLL_CLOCK == KIPC__POLL_CLOCK - 1 &&
		    clock() >= until)
			break;
		kipc__cpu_relax();
	}
	ring_poll_adapt(p, budget, ok);
	return ok;
}

void kipc__ring_poll_woken(struct kipc__ring_poll *p, uint64_t wake_ns,
			   uint64_t now)
{
	uint64_t avg;

	if (!wake_ns || wake_ns > now || now - wake_ns > KIPC__WAKE_MAX)
		return;		/* none, or an old notifier's, or a stale one */
	avg = __atomic_load_n(&p->wake_cost, __ATOMIC_RELAXED);
	avg = avg ? avg - avg / 8 + (now - wake_ns) / 8 : now - wake_ns;
	__atomic_store_n(&p->wake_cost, avg, __ATOMIC_RELAXED);
}
