// SPDX-License-Identifier: GPL-2.0
/* The definitions of kipc's tracepoints, which kipc_trace.h declares. */
#define CREATE_TRACE_POINTS
#include "kipc_trace.h"
