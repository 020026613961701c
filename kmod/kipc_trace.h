/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc tracepoints: messages sent and received (with the time a message
 * spent queued), waits and wake-ups on region words, lent ranges pinned
 * and completed, objects created and destroyed. Disabled, each costs a
 * patched-out branch; the queued-time stamp is taken only while
 * kipc_msg_recv is enabled. Documentation/userspace-api/kipc/tracing.rst.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kipc

#if !defined(_KIPC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KIPC_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(kipc_msg_send,
	    TP_PROTO(u32 chan, u32 bytes, u32 nr_bufs, u32 nr_lends, u32 queued),
	    TP_ARGS(chan, bytes, nr_bufs, nr_lends, queued),
	    TP_STRUCT__entry(__field(u32, chan)
			     __field(u32, bytes)
			     __field(u32, nr_bufs)
			     __field(u32, nr_lends)
			     __field(u32, queued)),
	    TP_fast_assign(__entry->chan = chan;
			   __entry->bytes = bytes;
			   __entry->nr_bufs = nr_bufs;
			   __entry->nr_lends = nr_lends;
			   __entry->queued = queued;),
	    TP_printk("chan=%u bytes=%u bufs=%u lends=%u queued=%u",
		      __entry->chan, __entry->bytes, __entry->nr_bufs,
		      __entry->nr_lends, __entry->queued)
);

TRACE_EVENT(kipc_msg_recv,
	    TP_PROTO(u32 chan, u32 bytes, u32 nr_bufs, u32 nr_lends,
		     u64 queued_ns),
	    TP_ARGS(chan, bytes, nr_bufs, nr_lends, queued_ns),
	    TP_STRUCT__entry(__field(u32, chan)
			     __field(u32, bytes)
			     __field(u32, nr_bufs)
			     __field(u32, nr_lends)
			     __field(u64, queued_ns)),
	    TP_fast_assign(__entry->chan = chan;
			   __entry->bytes = bytes;
			   __entry->nr_bufs = nr_bufs;
			   __entry->nr_lends = nr_lends;
			   __entry->queued_ns = queued_ns;),
	    TP_printk("chan=%u bytes=%u bufs=%u lends=%u queued_ns=%llu",
		      __entry->chan, __entry->bytes, __entry->nr_bufs,
		      __entry->nr_lends, __entry->queued_ns)
);

TRACE_EVENT(kipc_wait,
	    TP_PROTO(u64 offset, u32 nr_words, int ret, u64 waited_ns),
	    TP_ARGS(offset, nr_words, ret, waited_ns),
	    TP_STRUCT__entry(__field(u64, offset)
			     __field(u32, nr_words)
			     __field(int, ret)
			     __field(u64, waited_ns)),
	    TP_fast_assign(__entry->offset = offset;
			   __entry->nr_words = nr_words;
			   __entry->ret = ret;
			   __entry->waited_ns = waited_ns;),
	    TP_printk("offset=%llu words=%u ret=%d waited_ns=%llu",
		      __entry->offset, __entry->nr_words, __entry->ret,
		      __entry->waited_ns)
);

TRACE_EVENT(kipc_wake,
	    TP_PROTO(u64 offset, u32 nr, int woken),
	    TP_ARGS(offset, nr, woken),
	    TP_STRUCT__entry(__field(u64, offset)
			     __field(u32, nr)
			     __field(int, woken)),
	    TP_fast_assign(__entry->offset = offset;
			   __entry->nr = nr;
			   __entry->woken = woken;),
	    TP_printk("offset=%llu nr=%u woken=%d",
		      __entry->offset, __entry->nr, __entry->woken)
);

TRACE_EVENT(kipc_lend,
	    TP_PROTO(u32 lendq, u64 len),
	    TP_ARGS(lendq, len),
	    TP_STRUCT__entry(__field(u32, lendq)
			     __field(u64, len)),
	    TP_fast_assign(__entry->lendq = lendq;
			   __entry->len = len;),
	    TP_printk("lendq=%u len=%llu",
		      __entry->lendq, __entry->len)
);

TRACE_EVENT(kipc_lend_release,
	    TP_PROTO(u32 lendq, u64 len, bool sent, bool delivered),
	    TP_ARGS(lendq, len, sent, delivered),
	    TP_STRUCT__entry(__field(u32, lendq)
			     __field(u64, len)
			     __field(bool, sent)
			     __field(bool, delivered)),
	    TP_fast_assign(__entry->lendq = lendq;
			   __entry->len = len;
			   __entry->sent = sent;
			   __entry->delivered = delivered;),
	    TP_printk("lendq=%u len=%llu sent=%d delivered=%d",
		      __entry->lendq, __entry->len, __entry->sent,
		      __entry->delivered)
);

DECLARE_EVENT_CLASS(kipc_obj_class,
		    TP_PROTO(u32 type, u32 id, u32 uid),
		    TP_ARGS(type, id, uid),
		    TP_STRUCT__entry(__field(u32, type)
				     __field(u32, id)
				     __field(u32, uid)),
		    TP_fast_assign(__entry->type = type;
				   __entry->id = id;
				   __entry->uid = uid;),
		    TP_printk("type=%u id=%u uid=%u",
			      __entry->type, __entry->id, __entry->uid)
);

DEFINE_EVENT(kipc_obj_class, kipc_obj_create,
	     TP_PROTO(u32 type, u32 id, u32 uid),
	     TP_ARGS(type, id, uid));

DEFINE_EVENT(kipc_obj_class, kipc_obj_destroy,
	     TP_PROTO(u32 type, u32 id, u32 uid),
	     TP_ARGS(type, id, uid));

#endif /* _KIPC_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kipc_trace
#include <trace/define_trace.h>
