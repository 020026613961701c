// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkipc-ffi: libkipc plus, as exported functions, what kipc.h defines
 * inline (kipc_buf_ptr(), kipc_msg_init(), kipc_msg_lend()), for bindings
 * from languages that cannot use a C header's inline functions (as
 * liburing-ffi does for liburing). With KIPC_INLINE a visibility
 * attribute, not "static inline", the header's definitions are external
 * ones of default visibility.
 */
#define KIPC_INLINE __attribute__((visibility("default")))
#include "kipc.h"
