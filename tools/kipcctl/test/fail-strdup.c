// SPDX-License-Identifier: GPL-2.0
/*
 * fail-strdup.so, LD_PRELOADed by test-sys.sh: strdup() of a string that
 * holds $FAIL_STRDUP fails with ENOMEM, as when memory runs out, so that
 * kipcctl's answer to it can be seen.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *strdup(const char *s)
{
	char *(*real)(const char *) = (char *(*)(const char *))
		dlsym(RTLD_NEXT, "strdup");
	const char *mark = getenv("FAIL_STRDUP");

	if (mark && *mark && strstr(s, mark)) {
		errno = ENOMEM;
		return NULL;
	}
	return real(s);
}
