// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-run's group file: a key given twice in one object. json-c keeps
 * the last value without a word, so {"name": "a", "name": "b"} would run
 * as "b", and a worker's second "exec" would replace its first: a file
 * edited in haste would run what its author did not read. json-c has no
 * option to refuse it, so this walks the text once more, keeping the keys
 * of every object it is in.
 *
 * The text is one that json-c has parsed already (decl.c, text_parse()),
 * so the walk follows json-c's grammar, which is more than JSON's, and
 * need not check it: strings in double or single quotes with backslash
 * escapes, comments between tokens, and bare words (numbers, true, null,
 * NaN, Infinity) that hold no quote, bracket, brace, comma or slash.
 *
 * Keys compare as json-c keeps them: unescaped by json-c itself (the key's
 * text parsed as a string) and cut at a NUL, as its strdup() of a key
 * does. So "name" and "n\u0061me" are one key here, as they are to json-c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "dupkeys.h"

#define DEPTH_MAX	JSON_TOKENER_DEFAULT_DEPTH	/* json-c's */
#define KEYS_MAX	64	/* keys compared per object: key_add() */

/* An object or an array that the walk is in. */
struct level {
	char open;			/* '{' or '[' */
	int want_key;			/* '{': the next string is a key */
	size_t index;			/* '[': the element the walk is in */
	unsigned int nr_keys;		/* '{': in keys[] */
	/* '{': its keys so far; the spare last: the current one when full */
	char *keys[KEYS_MAX + 1];
	const char *key;		/* '{': of the value the walk is in */
};

struct scan {
	const char *text;
	size_t len;
	struct json_tokener *tok;	/* unescapes the keys */
	unsigned int depth;		/* levels open */
	struct level lv[DEPTH_MAX];
	char *err;
	size_t err_len;
};

/* The message; -1. */
static int __attribute__((format(printf, 2, 3)))
fail(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, s->err_len, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The end (the index after it) of the comment at @pos, as json-c ends it:
 * "//" at the end of the line; "/" "*" at the first "*" whose next byte is
 * "/", the byte after a "*" being passed over either way (so "**" "/" does
 * not end it, to json-c).
 */
static size_t comment_end(const struct scan *s, size_t pos)
{
	const char *nl;
	size_t i;

	if (pos + 1 == s->len || s->text[pos + 1] != '*') {
		nl = memchr(s->text + pos, '\n', s->len - pos);
		return nl ? (size_t)(nl - s->text) + 1 : s->len;
	}
	for (i = pos + 2; i < s->len; i++)
		if (s->text[i] == '*' && ++i < s->len && s->text[i] == '/')
			return i + 1;
	return s->len;
}

/* The end (the index after its quote) of the string that opens at @pos. */
static size_t string_end(const struct scan *s, size_t pos)
{
	size_t i;

	for (i = pos + 1; i < s->len && s->text[i] != s->text[pos]; i++)
		if (s->text[i] == '\\')
			i++;	/* escaped: a quote there is no end */
	return i < s->len ? i + 1 : s->len;
}

/* The key whose text (quotes with it) is @pos to @end, as json-c keeps it. */
static char *key_decode(struct scan *s, size_t pos, size_t end)
{
	size_t n = end - pos;
	struct json_object *str;
	char *buf, *key = NULL;

	buf = malloc(n + 1);
	if (!buf)
		return NULL;
	memcpy(buf, s->text + pos, n);
	buf[n] = '\0';
	json_tokener_reset(s->tok);
	/* With its NUL, as text_parse(): the string is the whole input. */
	str = json_tokener_parse_ex(s->tok, buf, n + 1);
	if (json_object_is_type(str, json_type_string))
		key = strdup(json_object_get_string(str));
	json_object_put(str);
	free(buf);
	return key;
}

/*
 * The message for @key given twice at @pos: the path to its object, as
 * decl.c names an element ("workers"[1]: ...), then the key; -1.
 */
static int dup_report(struct scan *s, const char *key, size_t pos)
{
	const struct level *l;
	size_t n = 0;
	unsigned int i;

	/* Every level but the innermost, the object the key is in. */
	for (i = 0; i + 1 < s->depth && n < s->err_len; i++) {
		l = &s->lv[i];
		if (l->open == '[')
			n += snprintf(s->err + n, s->err_len - n, "[%zu]",
				      l->index);
		else
			n += snprintf(s->err + n, s->err_len - n, "%s\"%s\"",
				      n ? "." : "", l->key ? l->key : "?");
	}
	if (n && n < s->err_len)
		n += snprintf(s->err + n, s->err_len - n, ": ");
	if (n < s->err_len)
		snprintf(s->err + n, s->err_len - n,
			 "\"%s\" given twice, at byte %zu", key, pos);
	return -1;
}

/*
 * The key at @pos to @end, into @l's keys; -1 when it is there already.
 * Only an object's first KEYS_MAX keys are kept, so that a file of many
 * keys costs no more than KEYS_MAX comparisons a key: none of a group
 * file's objects takes more than 11 keys, so one with more than KEYS_MAX
 * different ones has unknown keys, which decl.c refuses.
 */
static int key_add(struct scan *s, struct level *l, size_t pos, size_t end)
{
	unsigned int i, slot;
	char *key;

	key = key_decode(s, pos, end);
	if (!key)
		return fail(s, "%s", strerror(ENOMEM));
	for (i = 0; i < l->nr_keys; i++) {
		if (!strcmp(l->keys[i], key)) {
			dup_report(s, key, pos);
			free(key);
			return -1;
		}
	}
	slot = l->nr_keys < KEYS_MAX ? l->nr_keys++ : KEYS_MAX;
	free(l->keys[slot]);
	l->keys[slot] = key;
	l->key = key;
	l->want_key = 0;
	return 0;
}

static int level_push(struct scan *s, char open)
{
	struct level *l;

	/* json-c parses nothing deeper: not to happen, but not to overflow. */
	if (s->depth == DEPTH_MAX)
		return fail(s, "nested more than %d deep", DEPTH_MAX);
	l = &s->lv[s->depth++];
	memset(l, 0, sizeof(*l));
	l->open = open;
	l->want_key = open == '{';
	return 0;
}

static void level_pop(struct scan *s)
{
	struct level *l;
	unsigned int i;

	if (!s->depth)
		return;
	l = &s->lv[--s->depth];
	for (i = 0; i <= KEYS_MAX; i++)
		free(l->keys[i]);
}

/* The text, byte by byte; a string, a comment at a time. */
static int walk(struct scan *s)
{
	struct level *l;
	size_t pos, end;

	for (pos = 0; pos < s->len; pos = end) {
		l = s->depth ? &s->lv[s->depth - 1] : NULL;
		end = pos + 1;
		switch (s->text[pos]) {
		case '/':
			end = comment_end(s, pos);
			break;
		case '"':
		case '\'':
			end = string_end(s, pos);
			/* Else a value: what it holds is no key. */
			if (l && l->want_key && key_add(s, l, pos, end))
				return -1;
			break;
		case '{':
		case '[':
			if (level_push(s, s->text[pos]))
				return -1;
			break;
		case '}':
		case ']':
			level_pop(s);
			break;
		case ',':
			if (l && l->open == '{')
				l->want_key = 1;
			else if (l)
				l->index++;
			break;
		}
	}
	return 0;
}

/*
 * @text (@len bytes), which json-c parsed: 0, or -1 for a key given twice
 * in one object (or no memory), with the message in @err.
 */
int dupkeys_check(const char *text, size_t len, char *err, size_t err_len)
{
	struct scan *s = calloc(1, sizeof(*s));
	int ret;

	if (s)
		s->tok = json_tokener_new();
	if (!s || !s->tok) {
		free(s);
		snprintf(err, err_len, "%s", strerror(ENOMEM));
		return -1;
	}
	s->text = text;
	s->len = len;
	s->err = err;
	s->err_len = err_len;
	ret = walk(s);
	while (s->depth)
		level_pop(s);
	json_tokener_free(s->tok);
	free(s);
	return ret;
}
