/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kipc: kernel-assisted zero-copy inter-process communication.
 *
 * The one definition of the ABI between the kipc module (/dev/kipc) and
 * userspace. Every ioctl argument is an extensible struct whose first field
 * is its size as the caller knows it: the kernel accepts any size from the
 * first published version (KIPC_*_SIZE_VER0) up to a page, treats fields the
 * caller did not pass as zero, and rejects a larger struct whose unknown tail
 * is not zero (E2BIG). Reserved fields must be zero (EINVAL).
 */
#ifndef _UAPI_LINUX_KIPC_H
#define _UAPI_LINUX_KIPC_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define KIPC_DEVICE_PATH	"/dev/kipc"
#define KIPC_MAGIC		0xb7

/* The ABI version KIPC_IOC_VERSION reports. */
#define KIPC_ABI_VERSION	1

/*
 * Feature bits reported by KIPC_IOC_VERSION. A bit is set when the running
 * module implements the feature; a library checks it before using one.
 */
#define KIPC_FEATURE_REGION	_BITULL(0)	/* regions and their buffers */
#define KIPC_FEATURE_CHANNEL	_BITULL(1)	/* channels, inline and buffers */
#define KIPC_FEATURE_WAIT	_BITULL(2)	/* wait queues on region words */
#define KIPC_FEATURE_LEND	_BITULL(4)	/* lent pages, lend queues */
#define KIPC_FEATURE_NAMES	_BITULL(5)	/* names in the IPC namespace */
#define KIPC_FEATURE_CHANNEL_RW	_BITULL(6)	/* read(2)/write(2) of channels */
#define KIPC_FEATURE_SERVICE	_BITULL(7)	/* services, connections, calls */
#define KIPC_FEATURE_BUFS_LOST	_BITULL(8)	/* KIPC_MSG_BUFS_LOST receives */
#define KIPC_FEATURES_ALL	(KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL | \
				 KIPC_FEATURE_WAIT | KIPC_FEATURE_LEND | \
				 KIPC_FEATURE_NAMES | KIPC_FEATURE_CHANNEL_RW | \
				 KIPC_FEATURE_SERVICE | KIPC_FEATURE_BUFS_LOST)

/**
 * struct kipc_version - argument of %KIPC_IOC_VERSION
 * @size: in: sizeof(struct kipc_version) as the caller knows it
 * @abi_version: out: %KIPC_ABI_VERSION of the running module
 * @features: out: the KIPC_FEATURE_* bits the running module implements
 * @reserved: in: must be zero
 */
struct kipc_version {
	__u32 size;
	__u32 abi_version;
	__u64 features;
	__u64 reserved[2];
};

#define KIPC_VERSION_SIZE_VER0	32	/* sizeof first published struct */

/* "No file descriptor", in a __u32 fd field: (__u32)-1. */
#define KIPC_NO_FD		0xffffffffU

/* Flags every object-creating ioctl takes for the new file descriptors. */
#define KIPC_FD_CLOEXEC		_BITUL(0)	/* O_CLOEXEC */
#define KIPC_FD_NONBLOCK	_BITUL(1)	/* O_NONBLOCK */

/**
 * struct kipc_region_create - argument of %KIPC_IOC_REGION_CREATE
 * @size: in: sizeof(struct kipc_region_create) as the caller knows it
 * @flags: in: KIPC_FD_* for the new region fd
 * @bytes: in: size of the region: a non-zero multiple of the page size, at
 *	most the module parameter max_region_bytes
 * @buf_size: in: size of each buffer of the region's pool: a multiple of the
 *	page size that divides @bytes; 0 for a region without a buffer pool
 *	(plain shared memory)
 * @id: out: the region's id (as in fdinfo and netlink)
 * @nr_bufs: out: number of buffers in the pool (@bytes / @buf_size)
 * @reserved: in: must be zero
 *
 * Return: the new region fd (a region handle) on success.
 */
struct kipc_region_create {
	__u32 size;
	__u32 flags;
	__u64 bytes;
	__u64 buf_size;
	__u64 id;
	__u32 nr_bufs;
	__u32 reserved[3];
};

#define KIPC_REGION_CREATE_SIZE_VER0	48

/**
 * struct kipc_region_attach - argument of %KIPC_IOC_REGION_ATTACH
 * @size: in: sizeof(struct kipc_region_attach)
 * @flags: in: KIPC_FD_* for the new handle
 * @reserved: in: must be zero
 *
 * Issued on a region fd. Return: a new region handle of the same region.
 * Buffers are owned by handles; each process should hold its own handle
 * so that its buffers return to the pool when it exits.
 */
struct kipc_region_attach {
	__u32 size;
	__u32 flags;
	__u64 reserved[2];
};

#define KIPC_REGION_ATTACH_SIZE_VER0	24

/**
 * struct kipc_region_info - argument of %KIPC_IOC_REGION_INFO
 * @size: in: sizeof(struct kipc_region_info)
 * @flags: in: zero
 * @bytes: out: size of the region (what to mmap)
 * @buf_size: out: size of each buffer, 0 without a pool
 * @id: out: the region's id
 * @nr_bufs: out: buffers in the pool
 * @nr_free: out: buffers free now
 * @nr_owned: out: buffers owned by this handle now
 * @nr_in_flight: out: buffers queued on channels now
 * @reserved: in: must be zero
 *
 * Issued on a region fd: what a process that received the fd needs to map it.
 */
struct kipc_region_info {
	__u32 size;
	__u32 flags;
	__u64 bytes;
	__u64 buf_size;
	__u64 id;
	__u32 nr_bufs;
	__u32 nr_free;
	__u32 nr_owned;
	__u32 nr_in_flight;
	__u64 reserved[2];
};

#define KIPC_REGION_INFO_SIZE_VER0	64

/**
 * struct kipc_buf_alloc - argument of %KIPC_IOC_BUF_ALLOC
 * @size: in: sizeof(struct kipc_buf_alloc)
 * @flags: in: zero
 * @offset: out: offset in the region of the buffer now owned by this handle
 * @reserved: in: must be zero
 *
 * Issued on a region handle; blocks while the pool is empty unless the
 * handle is non-blocking (EAGAIN).
 */
struct kipc_buf_alloc {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u64 reserved[2];
};

#define KIPC_BUF_ALLOC_SIZE_VER0	32

/**
 * struct kipc_buf_release - argument of %KIPC_IOC_BUF_RELEASE
 * @size: in: sizeof(struct kipc_buf_release)
 * @flags: in: zero
 * @offset: in: offset of a buffer this handle owns
 * @reserved: in: must be zero
 */
struct kipc_buf_release {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u64 reserved[2];
};

#define KIPC_BUF_RELEASE_SIZE_VER0	32

/**
 * struct kipc_channel_create - argument of %KIPC_IOC_CHANNEL_CREATE
 * @size: in: sizeof(struct kipc_channel_create)
 * @flags: in: KIPC_FD_* for both ends
 * @depth: in: the most messages queued at once; 0 for the default
 *	(module parameter default_depth), at most max_depth
 * @max_inline: in: the most inline bytes in one message; 0 for the default
 *	(4096), at most 65536
 * @region_fd: in: a region fd to bind the channel to, so that its messages
 *	can carry the region's buffers; %KIPC_NO_FD for none
 * @send_fd: out: the send end
 * @recv_fd: out: the receive end
 * @id: out: the channel's id
 * @reserved0: in: must be zero
 * @reserved: in: must be zero
 */
struct kipc_channel_create {
	__u32 size;
	__u32 flags;
	__u32 depth;
	__u32 max_inline;
	__u32 region_fd;
	__u32 send_fd;
	__u32 recv_fd;
	__u32 reserved0;
	__u64 id;
	__u64 reserved[2];
};

#define KIPC_CHANNEL_CREATE_SIZE_VER0	56

/**
 * struct kipc_buf_ref - a region buffer carried by a message
 * @offset: offset of the buffer in the channel's region
 * @len: bytes of the buffer that hold the payload (at most the buffer size)
 */
struct kipc_buf_ref {
	__u64 offset;
	__u64 len;
};

#define KIPC_MSG_BUFS_MAX	16

/**
 * struct kipc_lend_ref - a range of the sender's memory lent by a message
 * @addr: send: page-aligned start of the range in the sender; recv out: the
 *	address of its read-only mapping in the receiver
 * @len: send: a non-zero multiple of the page size; recv out: the same
 * @cookie: send: a value of the sender's, returned in the range's
 *	completion; recv out: zero
 * @reserved: send: must be zero; recv out: zero
 */
struct kipc_lend_ref {
	__u64 addr;
	__u64 len;
	__u64 cookie;
	__u64 reserved;
};

#define KIPC_MSG_LENDS_MAX	16

/**
 * struct kipc_msg - one message of a batch
 * @data: user pointer to the inline bytes (send: source; recv: destination)
 * @data_len: send: bytes at @data; recv: in: room at @data, out: bytes
 *	received
 * @nr_bufs: send: entries at @bufs; recv: in: room at @bufs, out: entries
 *	received
 * @bufs: user pointer to struct kipc_buf_ref[@nr_bufs]
 * @tag: a value of the sender's, delivered unchanged
 * @pid: recv out: the sender's process id (in the receiver's pid namespace);
 *	ignored on send, like @uid and @gid
 * @uid: recv out: the sender's uid (in the receiver's user namespace)
 * @gid: recv out: the sender's gid
 * @flags: recv out: KIPC_MSG_* flags of the message received
 *	(%KIPC_FEATURE_BUFS_LOST; zero from older modules); send: must be
 *	zero, as @reserved was (clear it to send a received descriptor on)
 * @reserved: the name of @flags before %KIPC_FEATURE_BUFS_LOST, kept for
 *	the programs that zero it
 * @lends: user pointer to struct kipc_lend_ref[@nr_lends] (since VER1)
 * @nr_lends: send: ranges lent, at most %KIPC_MSG_LENDS_MAX; recv: in:
 *	room at @lends, out: ranges received and mapped (since VER1)
 * @lendq_fd: send, with @nr_lends: the lend queue (%KIPC_IOC_LENDQ_CREATE)
 *	that gets a completion per range once the receiver releases it;
 *	recv: ignored and zeroed (since VER1)
 */
struct kipc_msg {
	__u64 data;
	__u32 data_len;
	__u32 nr_bufs;
	__u64 bufs;
	__u64 tag;
	__u32 pid;
	__u32 uid;
	__u32 gid;
	/* @flags; @reserved is its name before KIPC_FEATURE_BUFS_LOST */
	__extension__ union {
		__u32 flags;
		__u32 reserved;
	};
	__u64 lends;
	__u32 nr_lends;
	__u32 lendq_fd;
};

#define KIPC_MSG_SIZE_VER0	48
#define KIPC_MSG_SIZE_VER1	64	/* adds lends, nr_lends, lendq_fd */

/*
 * Flags of struct kipc_msg, out on a receive. KIPC_MSG_BUFS_LOST: the
 * message was sent with region buffers, but no handle or name of their
 * region is left (none can be made again) to take them: it is delivered
 * without them (@nr_bufs out is zero) rather than never.
 */
#define KIPC_MSG_BUFS_LOST	_BITUL(0)

/* Flags of struct kipc_io. */
#define KIPC_IO_NONBLOCK	_BITUL(0)	/* EAGAIN instead of waiting */
#define KIPC_IO_TIMEOUT		_BITUL(1)	/* @timeout_ns is a deadline */

/**
 * struct kipc_io - argument of %KIPC_IOC_SEND and %KIPC_IOC_RECV
 * @size: in: sizeof(struct kipc_io)
 * @flags: in: KIPC_IO_*
 * @msgs: in: user pointer to an array of @nr_msgs message descriptors
 * @nr_msgs: in: number of descriptors, 1 to 1024
 * @msg_size: in: sizeof(struct kipc_msg) as the caller knows it; the stride
 *	of the @msgs array. %KIPC_MSG_SIZE_VER0, or %KIPC_MSG_SIZE_VER1 or
 *	more: a size between the two would cut the lending fields (EINVAL)
 * @region_fd: in: send: the region handle that owns the buffers sent;
 *	recv: the region handle that takes ownership of the buffers received;
 *	%KIPC_NO_FD when no message carries buffers
 * @clockid: in: CLOCK_MONOTONIC or CLOCK_REALTIME, with %KIPC_IO_TIMEOUT;
 *	otherwise must be zero
 * @timeout_ns: in: absolute deadline on @clockid, with %KIPC_IO_TIMEOUT;
 *	otherwise must be zero
 * @reserved: in: must be zero
 *
 * Issued on a send end (%KIPC_IOC_SEND) or a receive end (%KIPC_IOC_RECV).
 * Waits until at least one message can be moved, moves as many as it can
 * without waiting again, and returns their number. A receive on a drained
 * channel whose send ends are all closed returns 0 (end of stream).
 */
struct kipc_io {
	__u32 size;
	__u32 flags;
	__u64 msgs;
	__u32 nr_msgs;
	__u32 msg_size;
	__u32 region_fd;
	__u32 clockid;
	__u64 timeout_ns;
	__u64 reserved[2];
};

#define KIPC_IO_SIZE_VER0	56
#define KIPC_IO_MSGS_MAX	1024

/**
 * struct kipc_lendq_create - argument of %KIPC_IOC_LENDQ_CREATE
 * @size: in: sizeof(struct kipc_lendq_create)
 * @flags: in: KIPC_FD_* for the new lend queue fd
 * @reserved: in: must be zero
 *
 * Return: the new lend queue fd. A lend queue collects the completions of
 * the ranges a sender lends (struct kipc_msg @lendq_fd); it is readable
 * (%EPOLLIN) while a completion waits to be reaped.
 */
struct kipc_lendq_create {
	__u32 size;
	__u32 flags;
	__u64 reserved[2];
};

#define KIPC_LENDQ_CREATE_SIZE_VER0	24

/* Status of struct kipc_lend_completion. */
#define KIPC_LEND_RELEASED	0	/* mapped by a receiver, now unmapped */
#define KIPC_LEND_DROPPED	1	/* discarded unreceived */

/**
 * struct kipc_lend_completion - one lent range given back to its sender
 * @cookie: the sender's @cookie of the range
 * @addr: the range's address in the sender, as lent
 * @len: the range's length
 * @status: KIPC_LEND_RELEASED or KIPC_LEND_DROPPED
 * @reserved: zero
 *
 * When a completion is reaped the pages are unpinned and uncharged: the
 * sender may reuse the memory.
 */
struct kipc_lend_completion {
	__u64 cookie;
	__u64 addr;
	__u64 len;
	__u32 status;
	__u32 reserved;
};

/* Flags of struct kipc_lend_reap. */
#define KIPC_REAP_NONBLOCK	_BITUL(0)	/* never wait */

/**
 * struct kipc_lend_reap - argument of %KIPC_IOC_LEND_REAP
 * @size: in: sizeof(struct kipc_lend_reap)
 * @flags: in: KIPC_REAP_*
 * @comps: in: user pointer to struct kipc_lend_completion[@nr_comps]
 * @nr_comps: in: room at @comps, 1 to 1024
 * @nr_outstanding: out: ranges of the queue still lent after the call
 * @reserved: in: must be zero
 *
 * Issued on a lend queue. Waits (unless %KIPC_REAP_NONBLOCK or the fd is
 * non-blocking) until a completion is ready or nothing is lent any more,
 * then moves as many completions as fit, oldest first. Return: their
 * number; 0 when nothing is lent and no completion waits.
 */
struct kipc_lend_reap {
	__u32 size;
	__u32 flags;
	__u64 comps;
	__u32 nr_comps;
	__u32 nr_outstanding;
	__u64 reserved[2];
};

#define KIPC_LEND_REAP_SIZE_VER0	40

#define KIPC_NAME_MAX		255	/* bytes of a name, NUL excluded */

/* Flags of struct kipc_name_open, above the KIPC_FD_* bits. */
#define KIPC_NAME_CREATE	_BITUL(8)	/* publish @fd if absent */
#define KIPC_NAME_EXCL		_BITUL(9)	/* with CREATE: EEXIST if present */

/* What a name refers to (struct kipc_name_open @kind). */
#define KIPC_NAME_REGION	1	/* a region: open attaches a handle */
#define KIPC_NAME_SEND		2	/* a channel's send end */
#define KIPC_NAME_RECV		3	/* a channel's receive end */
#define KIPC_NAME_SERVICE	4	/* a service: open gives a listener */

/**
 * struct kipc_name_open - argument of %KIPC_IOC_NAME_OPEN
 * @size: in: sizeof(struct kipc_name_open)
 * @flags: in: KIPC_FD_* for the new fd, KIPC_NAME_CREATE, KIPC_NAME_EXCL
 * @name: in: user pointer to a NUL-terminated name of 1 to
 *	%KIPC_NAME_MAX bytes
 * @fd: in, with %KIPC_NAME_CREATE: the region, channel end or service to
 *	publish when the name is absent; otherwise must be %KIPC_NO_FD
 * @mode: in, with %KIPC_NAME_CREATE: permission bits (at most 0777) of a
 *	new name; otherwise must be zero
 * @kind: out: KIPC_NAME_REGION, KIPC_NAME_SEND, KIPC_NAME_RECV or
 *	KIPC_NAME_SERVICE
 * @created: out: 1 when this call published the name, else 0
 * @id: out: the id of the region, channel or service
 * @reserved: in: must be zero
 *
 * Issued on a context; names live in the caller's IPC namespace. Return: a
 * new fd of the named object: a new handle of a region, a new send or
 * receive end of a channel, a new listener of a service.
 */
struct kipc_name_open {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u32 fd;
	__u32 mode;
	__u32 kind;
	__u32 created;
	__u64 id;
	__u64 reserved[2];
};

#define KIPC_NAME_OPEN_SIZE_VER0	56

/**
 * struct kipc_name_unlink - argument of %KIPC_IOC_NAME_UNLINK
 * @size: in: sizeof(struct kipc_name_unlink)
 * @flags: in: zero
 * @name: in: user pointer to the NUL-terminated name
 * @reserved: in: must be zero
 *
 * Removes the name; the object lives on while anything holds it.
 */
struct kipc_name_unlink {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u64 reserved[2];
};

#define KIPC_NAME_UNLINK_SIZE_VER0	32
/**
 * struct kipc_service_create - argument of %KIPC_IOC_SERVICE_CREATE
 * @size: in: sizeof(struct kipc_service_create)
 * @flags: in: KIPC_FD_* for the service fd
 * @backlog: in: the most connections waiting to be accepted; 0 for the
 *	default (128), at most the module parameter max_backlog
 * @depth: in: depth of both channels of each connection; 0 for the default
 * @max_inline: in: inline bytes per message on each connection; 0 for the
 *	default
 * @region_fd: in: a region that the channels of every connection are bound
 *	to, so that requests and replies can carry its buffers; %KIPC_NO_FD
 *	for none
 * @id: out: the service's id
 * @reserved: in: must be zero
 *
 * Issued on a context. Return: the service fd, the listening side of a
 * service: %KIPC_IOC_ACCEPT takes connections from it, and it is readable
 * (%EPOLLIN) while a connection waits. Clients reach the service by a name
 * (%KIPC_IOC_NAME_OPEN with %KIPC_NAME_CREATE and the service fd).
 */
struct kipc_service_create {
	__u32 size;
	__u32 flags;
	__u32 backlog;
	__u32 depth;
	__u32 max_inline;
	__u32 region_fd;
	__u64 id;
	__u64 reserved[2];
};

#define KIPC_SERVICE_CREATE_SIZE_VER0	48

/* Flags of struct kipc_connect and struct kipc_accept, above KIPC_FD_*. */
#define KIPC_CONN_NONBLOCK	_BITUL(8)	/* EAGAIN instead of waiting */
#define KIPC_CONN_TIMEOUT	_BITUL(9)	/* @timeout_ns is a deadline */

/**
 * struct kipc_connect - argument of %KIPC_IOC_CONNECT
 * @size: in: sizeof(struct kipc_connect)
 * @flags: in: KIPC_FD_* for the new fds, %KIPC_CONN_NONBLOCK,
 *	%KIPC_CONN_TIMEOUT
 * @name: in: user pointer to the NUL-terminated name of the service
 * @clockid: in: CLOCK_MONOTONIC or CLOCK_REALTIME, with %KIPC_CONN_TIMEOUT;
 *	otherwise must be zero
 * @reserved0: in: must be zero
 * @timeout_ns: in: absolute deadline on @clockid, with %KIPC_CONN_TIMEOUT;
 *	otherwise must be zero
 * @send_fd: out: the send end of the connection's request channel
 * @recv_fd: out: the receive end of its reply channel
 * @id: out: the connection's id: the id of its request channel
 * @reply_id: out: the id of its reply channel
 * @service_id: out: the service's id
 * @pid: out: the process that created the service (in the caller's pid
 *	namespace)
 * @uid: out: its effective uid when it created the service
 * @gid: out: its effective gid then
 * @reserved1: in: must be zero; out: zero
 * @reserved: in: must be zero
 *
 * Issued on a context. Needs write permission on the name. Creates a
 * private pair of channels, charged to the caller, and queues the
 * connection on the service's backlog; waits while the backlog is full
 * (unless %KIPC_CONN_NONBLOCK or the deadline). Requests may be sent at
 * once; the server receives them after %KIPC_IOC_ACCEPT. On the channels of
 * a connection, the uid and gid of every message are the sender's
 * effective ids. Return: 0.
 */
struct kipc_connect {
	__u32 size;
	__u32 flags;
	__u64 name;
	__u32 clockid;
	__u32 reserved0;
	__u64 timeout_ns;
	__u32 send_fd;
	__u32 recv_fd;
	__u64 id;
	__u64 reply_id;
	__u64 service_id;
	__u32 pid;
	__u32 uid;
	__u32 gid;
	__u32 reserved1;
	__u64 reserved[2];
};

#define KIPC_CONNECT_SIZE_VER0	96

/**
 * struct kipc_accept - argument of %KIPC_IOC_ACCEPT
 * @size: in: sizeof(struct kipc_accept)
 * @flags: in: KIPC_FD_* for the new fds, %KIPC_CONN_NONBLOCK,
 *	%KIPC_CONN_TIMEOUT
 * @clockid: in: as in &struct kipc_connect
 * @reserved0: in: must be zero
 * @timeout_ns: in: as in &struct kipc_connect
 * @recv_fd: out: the receive end of the connection's request channel
 * @send_fd: out: the send end of its reply channel
 * @id: out: the connection's id (its request channel's)
 * @reply_id: out: its reply channel's id
 * @pid: out: the process that connected (in the caller's pid namespace)
 * @uid: out: its effective uid when it connected
 * @gid: out: its effective gid then
 * @reserved1: in: must be zero; out: zero
 * @reserved: in: must be zero
 *
 * Issued on a service fd. Waits (unless %KIPC_CONN_NONBLOCK, an
 * O_NONBLOCK service fd or the deadline) for a connection, and takes the
 * oldest. Return: 0.
 */
struct kipc_accept {
	__u32 size;
	__u32 flags;
	__u32 clockid;
	__u32 reserved0;
	__u64 timeout_ns;
	__u32 recv_fd;
	__u32 send_fd;
	__u64 id;
	__u64 reply_id;
	__u32 pid;
	__u32 uid;
	__u32 gid;
	__u32 reserved1;
	__u64 reserved[2];
};

#define KIPC_ACCEPT_SIZE_VER0	80

/**
 * struct kipc_call - argument of %KIPC_IOC_CALL
 * @size: in: sizeof(struct kipc_call)
 * @flags: in: %KIPC_IO_NONBLOCK (the send does not wait for room: EAGAIN),
 *	%KIPC_IO_TIMEOUT (both steps end at the deadline)
 * @send_msg: in: user pointer to the message descriptor to send (as in
 *	%KIPC_IOC_SEND), or 0 to only receive
 * @recv_msg: in: user pointer to the message descriptor to receive into
 *	(as in %KIPC_IOC_RECV)
 * @msg_size: in: sizeof(struct kipc_msg) as the caller knows it
 * @recv_fd: in: the receive end to wait on
 * @region_fd: in: the region handle that owns the buffers sent and takes
 *	the buffers received, as in &struct kipc_io; %KIPC_NO_FD for none
 * @clockid: in: CLOCK_MONOTONIC or CLOCK_REALTIME, with %KIPC_IO_TIMEOUT;
 *	otherwise must be zero
 * @timeout_ns: in: absolute deadline on @clockid, with %KIPC_IO_TIMEOUT;
 *	otherwise must be zero
 * @sent: out, also when the call fails: 1 when the message was queued
 * @reserved0: in: must be zero; out: zero
 * @reserved: in: must be zero
 *
 * Issued on a send end: sends one message, then waits on @recv_fd for one
 * message and receives it, in one system call. A client calls with its
 * request channel's send end and its reply channel's receive end; a server
 * with its reply send end (the reply) and its request receive end (the
 * next request). The send wakes the receiver synchronously. The O_NONBLOCK
 * flags of the two files are not consulted. Return: 1 when a message was
 * received, 0 when @recv_fd is at end of stream (every send end of its
 * channel closed: the peer is gone).
 */
struct kipc_call {
	__u32 size;
	__u32 flags;
	__u64 send_msg;
	__u64 recv_msg;
	__u32 msg_size;
	__u32 recv_fd;
	__u32 region_fd;
	__u32 clockid;
	__u64 timeout_ns;
	__u32 sent;
	__u32 reserved0;
	__u64 reserved[2];
};

#define KIPC_CALL_SIZE_VER0	72

/* Flags of the wait queue ioctls. */
#define KIPC_WAIT_TIMEOUT	_BITUL(0)	/* @timeout_ns is a deadline */

/**
 * struct kipc_wait - argument of %KIPC_IOC_WAIT
 * @size: in: sizeof(struct kipc_wait)
 * @flags: in: %KIPC_WAIT_TIMEOUT or 0
 * @offset: in: offset of a 32-bit word in the region, 4-byte aligned
 * @val: in: the value the word must hold for the caller to sleep
 * @bitset: in: the wakers to match (see &struct kipc_wake); 0 for all
 * @clockid: in: CLOCK_MONOTONIC or CLOCK_REALTIME, with %KIPC_WAIT_TIMEOUT;
 *	otherwise must be zero
 * @reserved0: in: must be zero
 * @timeout_ns: in: absolute deadline on @clockid, with %KIPC_WAIT_TIMEOUT;
 *	otherwise must be zero
 * @reserved: in: must be zero
 *
 * Issued on a region fd. Sleeps while the word at @offset holds @val: the
 * comparison and the queueing are atomic against %KIPC_IOC_WAKE, so a wake
 * that follows a change of the word is never lost. Waiters meet on
 * (region, offset), whatever address each process maps the region at.
 * Return: 0 when woken.
 */
struct kipc_wait {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u32 val;
	__u32 bitset;
	__u32 clockid;
	__u32 reserved0;
	__u64 timeout_ns;
	__u64 reserved[2];
};

#define KIPC_WAIT_SIZE_VER0	56

/**
 * struct kipc_wake - argument of %KIPC_IOC_WAKE
 * @size: in: sizeof(struct kipc_wake)
 * @flags: in: zero
 * @offset: in: offset of the word, 4-byte aligned
 * @nr: in: the most waiters to wake (0 wakes none)
 * @bitset: in: wake only waiters whose bitset shares a bit; 0 for all
 * @reserved: in: must be zero
 *
 * Issued on a region fd. Return: the number of waiters woken.
 */
struct kipc_wake {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u32 nr;
	__u32 bitset;
	__u64 reserved[2];
};

#define KIPC_WAKE_SIZE_VER0	40

/**
 * struct kipc_waitv_entry - one word of %KIPC_IOC_WAITV
 * @region_fd: a region fd
 * @val: the value the word must hold
 * @offset: offset of the word in that region, 4-byte aligned
 * @bitset: as in &struct kipc_wait
 * @reserved: must be zero
 */
struct kipc_waitv_entry {
	__u32 region_fd;
	__u32 val;
	__u64 offset;
	__u32 bitset;
	__u32 reserved;
};

#define KIPC_WAITV_MAX		128

/**
 * struct kipc_waitv - argument of %KIPC_IOC_WAITV
 * @size: in: sizeof(struct kipc_waitv)
 * @flags: in: %KIPC_WAIT_TIMEOUT or 0
 * @entries: in: user pointer to struct kipc_waitv_entry[@nr]
 * @nr: in: 1 to %KIPC_WAITV_MAX
 * @clockid: in: as in &struct kipc_wait
 * @timeout_ns: in: as in &struct kipc_wait
 * @reserved: in: must be zero
 *
 * Issued on a context. Sleeps while every word holds its value.
 * Return: the index of an entry that was woken.
 */
struct kipc_waitv {
	__u32 size;
	__u32 flags;
	__u64 entries;
	__u32 nr;
	__u32 clockid;
	__u64 timeout_ns;
	__u64 reserved[2];
};

#define KIPC_WAITV_SIZE_VER0	48

/**
 * struct kipc_requeue - argument of %KIPC_IOC_REQUEUE
 * @size: in: sizeof(struct kipc_requeue)
 * @flags: in: zero
 * @offset: in: the word whose waiters are woken or moved
 * @val: in: the value the word must hold (else EAGAIN, nothing moves)
 * @nr_wake: in: the most waiters to wake
 * @nr_requeue: in: the most further waiters to move to @dst_offset
 * @reserved0: in: must be zero
 * @dst_offset: in: the word, in the same region, they then wait on
 * @reserved: in: must be zero
 *
 * Issued on a region fd. Return: waiters woken plus waiters moved.
 */
struct kipc_requeue {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u32 val;
	__u32 nr_wake;
	__u32 nr_requeue;
	__u32 reserved0;
	__u64 dst_offset;
	__u64 reserved[2];
};

#define KIPC_REQUEUE_SIZE_VER0	56

/*
 * The ioctl number carries the struct type for documentation and strace;
 * the kernel matches commands on type, number and direction, and takes the
 * argument's size from its size field.
 */
/* On a context (/dev/kipc). */
#define KIPC_IOC_VERSION	_IOWR(KIPC_MAGIC, 0x00, struct kipc_version)
#define KIPC_IOC_REGION_CREATE	_IOWR(KIPC_MAGIC, 0x01, struct kipc_region_create)
#define KIPC_IOC_CHANNEL_CREATE	_IOWR(KIPC_MAGIC, 0x02, struct kipc_channel_create)
#define KIPC_IOC_SERVICE_CREATE	_IOWR(KIPC_MAGIC, 0x03, struct kipc_service_create)
#define KIPC_IOC_CONNECT	_IOWR(KIPC_MAGIC, 0x04, struct kipc_connect)
/* On a region fd. */
#define KIPC_IOC_REGION_ATTACH	_IOWR(KIPC_MAGIC, 0x10, struct kipc_region_attach)
#define KIPC_IOC_BUF_ALLOC	_IOWR(KIPC_MAGIC, 0x11, struct kipc_buf_alloc)
#define KIPC_IOC_BUF_RELEASE	_IOWR(KIPC_MAGIC, 0x12, struct kipc_buf_release)
#define KIPC_IOC_REGION_INFO	_IOWR(KIPC_MAGIC, 0x13, struct kipc_region_info)
/* On a channel's send end, and on its receive end. */
#define KIPC_IOC_SEND		_IOWR(KIPC_MAGIC, 0x20, struct kipc_io)
#define KIPC_IOC_RECV		_IOWR(KIPC_MAGIC, 0x21, struct kipc_io)
#define KIPC_IOC_CALL		_IOWR(KIPC_MAGIC, 0x22, struct kipc_call)
/* Wait queues: on a region fd, and WAITV on a context. */
#define KIPC_IOC_WAIT		_IOWR(KIPC_MAGIC, 0x30, struct kipc_wait)
#define KIPC_IOC_WAKE		_IOWR(KIPC_MAGIC, 0x31, struct kipc_wake)
#define KIPC_IOC_WAITV		_IOWR(KIPC_MAGIC, 0x32, struct kipc_waitv)
#define KIPC_IOC_REQUEUE	_IOWR(KIPC_MAGIC, 0x33, struct kipc_requeue)
/* Lending (a context; a lend queue) and names (a context). */
#define KIPC_IOC_LENDQ_CREATE	_IOWR(KIPC_MAGIC, 0x40, struct kipc_lendq_create)
#define KIPC_IOC_LEND_REAP	_IOWR(KIPC_MAGIC, 0x41, struct kipc_lend_reap)
#define KIPC_IOC_NAME_OPEN	_IOWR(KIPC_MAGIC, 0x42, struct kipc_name_open)
#define KIPC_IOC_NAME_UNLINK	_IOWR(KIPC_MAGIC, 0x43, struct kipc_name_unlink)
/* On a service fd. */
#define KIPC_IOC_ACCEPT		_IOWR(KIPC_MAGIC, 0x50, struct kipc_accept)

/*
 * The generic netlink family "kipc": its commands, attributes and enums,
 * generated from Documentation/netlink/specs/kipc.yaml.
 */
#include <linux/kipc_nl.h>

#endif /* _UAPI_LINUX_KIPC_H */
