/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A doubly linked list threaded through its entries: a struct list_node
 * in each, and one more as the head, linked in a ring. Adding at the tail
 * and removing an entry take no search. An entry that is on no list links
 * to itself, so that list_linked() tells whether it is on one. Nothing
 * here locks: the list's owner does.
 */
#ifndef LIBKIPC_LIST_H
#define LIBKIPC_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *next, *prev;
};

/* An empty list (@n a head), or an entry on no list. */
static inline void list_init(struct list_node *n)
{
	n->next = n;
	n->prev = n;
}

static inline bool list_empty(const struct list_node *head)
{
	return head->next == head;
}

/* Whether entry @n is on a list. */
static inline bool list_linked(const struct list_node *n)
{
	return n->next != n;
}

/* Put entry @n last on @head's list. */
static inline void list_add_tail(struct list_node *head, struct list_node *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

/* Take entry @n off its list, if it is on one. */
static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/* The entry of type @type whose member @member is node @n. */
#define list_entry(n, type, member) \
	((type *)((char *)(n) - offsetof(type, member)))

/* The first entry of @head's list, or NULL when it is empty. */
#define list_first(head, type, member) \
	(list_empty(head) ? NULL : list_entry((head)->next, type, member))

/* Each entry @e (a @type *) of @head's list, in order. */
#define list_for_each_entry(e, head, type, member)			\
	for ((e) = list_first(head, type, member); (e);			\
	     (e) = (e)->member.next != (head) ?				\
		   list_entry((e)->member.next, type, member) : NULL)

/*
 * Each entry @e (a @type *) of @head's list, in order; @nx holds the
 * next, so that the body may take @e off.
 */
#define list_for_each_entry_safe(e, nx, head, type, member)		\
	for ((e) = list_first(head, type, member),			\
	     (nx) = (e) && (e)->member.next != (head) ?			\
		    list_entry((e)->member.next, type, member) : NULL;	\
	     (e);							\
	     (e) = (nx),						\
	     (nx) = (e) && (e)->member.next != (head) ?			\
		    list_entry((e)->member.next, type, member) : NULL)

#endif
