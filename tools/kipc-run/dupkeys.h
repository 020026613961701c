/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A key given twice in one object of a group file, which json-c takes
 * without a word (it keeps the last value): found in the file's text
 * (dupkeys.c).
 */
#ifndef KIPC_RUN_DUPKEYS_H
#define KIPC_RUN_DUPKEYS_H

#include <stddef.h>

int dupkeys_check(const char *text, size_t len, char *err, size_t err_len);

#endif /* KIPC_RUN_DUPKEYS_H */
