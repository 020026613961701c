// SPDX-License-Identifier: GPL-2.0
/*
 * ABI table for the service ioctls (SERVICE_CREATE, CONNECT, ACCEPT, CALL):
 * every bad struct, field and fd type, and its errno.
 */
#include "kselftest_harness.h"
#include "abi_table.h"

/* The fds a row goes to: CALL on the client's request send end. */
enum on { ON_CTX, ON_SERVICE, ON_CSEND, ON_CRECV, ON_REGION };
/* What a row names as its region_fd (SERVICE_CREATE) or recv_fd (CALL). */
enum xfd { XFD_VALID, XFD_CLOSED, XFD_DEVNULL, XFD_SEND, XFD_SERVICE };

FIXTURE(abi) {
	KT_ABI_OBJS;
	int svc;
	int csend, crecv;	/* a client's ends, a reply queued on crecv */
	int ssend, srecv;	/* the server's ends of that connection */
	char name[64];
	char data[64];
	struct kipc_msg sm, rm;
};

FIXTURE_VARIANT(abi) {
	KT_ABI_ROW;
	enum xfd xfd;
	int bad_name, empty_name, unknown_name;
	int no_recv_msg, recv_only;
	uint32_t msg_size;
	uint32_t clockid;
};

#define CONN_FLAGS_BAD(p, c, o, type)					\
POKE(p##_flag_bit2, c, o, OFF(type, flags), 1u << 2, EINVAL);		\
POKE(p##_flag_bit10, c, o, OFF(type, flags), 1u << 10, EINVAL);	\
POKE(p##_flag_bit31, c, o, OFF(type, flags), 1u << 31, EINVAL);	\
POKE(p##_reserved0, c, o, OFF(type, reserved0), 1, EINVAL);		\
POKE(p##_reserved1, c, o, OFF(type, reserved1), 1, EINVAL);		\
POKE(p##_reserved, c, o, OFF(type, reserved[1]) + 4, 1, EINVAL);	\
ABI(p##_timeout_bad_clock, .cmd = c, .on = o, .poke = 1,		\
	.poke_off = OFF(type, flags),					\
	.poke_val = KIPC_CONN_TIMEOUT | KIPC_CONN_NONBLOCK,		\
	.clockid = 99, .expect_errno = EINVAL);				\
ABI(p##_clock_without_timeout, .cmd = c, .on = o,			\
	.clockid = 1, .expect_errno = EINVAL)

/* SERVICE_CREATE, on a context. */
STRUCT_RULES(create, KIPC_IOC_SERVICE_CREATE, ON_CTX, kipc_service_create,
	     KIPC_SERVICE_CREATE_SIZE_VER0, 0);
POKE(create_flag_bit2, KIPC_IOC_SERVICE_CREATE, ON_CTX,
     OFF(kipc_service_create, flags), 1u << 2, EINVAL);
POKE(create_flag_bit8, KIPC_IOC_SERVICE_CREATE, ON_CTX,
     OFF(kipc_service_create, flags), 1u << 8, EINVAL);
POKE(create_reserved, KIPC_IOC_SERVICE_CREATE, ON_CTX,
     OFF(kipc_service_create, reserved[0]), 1, EINVAL);
POKE(create_backlog_above_max, KIPC_IOC_SERVICE_CREATE, ON_CTX,
     OFF(kipc_service_create, backlog), 4097, EINVAL);
POKE(create_backlog_max, KIPC_IOC_SERVICE_CREATE, ON_CTX,
     OFF(kipc_service_create, backlog), 4096, 0);
POKE(create_depth_above_max, KIPC_IOC_SERVICE_CREATE, ON_CTX,
     OFF(kipc_service_create, depth), 4097, EINVAL);
POKE(create_inline_above_max, KIPC_IOC_SERVICE_CREATE, ON_CTX,
     OFF(kipc_service_create, max_inline), 65537, EINVAL);
POKE(create_id_ignored, KIPC_IOC_SERVICE_CREATE, ON_CTX,
     OFF(kipc_service_create, id), 5, 0);
ABI(create_region_closed, .cmd = KIPC_IOC_SERVICE_CREATE, .on = ON_CTX,
	.xfd = XFD_CLOSED, .expect_errno = EBADF);
ABI(create_region_devnull, .cmd = KIPC_IOC_SERVICE_CREATE, .on = ON_CTX,
	.xfd = XFD_DEVNULL, .expect_errno = EINVAL);
ABI(create_region_channel, .cmd = KIPC_IOC_SERVICE_CREATE, .on = ON_CTX,
	.xfd = XFD_SEND, .expect_errno = EINVAL);
WRONG_FD(create_on_service, KIPC_IOC_SERVICE_CREATE, ON_SERVICE);
WRONG_FD(create_on_region, KIPC_IOC_SERVICE_CREATE, ON_REGION);

/* CONNECT, on a context. */
STRUCT_RULES(connect, KIPC_IOC_CONNECT, ON_CTX, kipc_connect,
	     KIPC_CONNECT_SIZE_VER0, 0);
CONN_FLAGS_BAD(connect, KIPC_IOC_CONNECT, ON_CTX, kipc_connect);
POKE(connect_outputs_ignored, KIPC_IOC_CONNECT, ON_CTX,
     OFF(kipc_connect, send_fd), 7, 0);
ABI(connect_bad_name, .cmd = KIPC_IOC_CONNECT, .on = ON_CTX, .bad_name = 1,
	.expect_errno = EFAULT);
ABI(connect_empty_name, .cmd = KIPC_IOC_CONNECT, .on = ON_CTX,
	.empty_name = 1, .expect_errno = EINVAL);
ABI(connect_unknown_name, .cmd = KIPC_IOC_CONNECT, .on = ON_CTX,
	.unknown_name = 1, .expect_errno = ENOENT);
WRONG_FD(connect_on_service, KIPC_IOC_CONNECT, ON_SERVICE);
WRONG_FD(connect_on_send, KIPC_IOC_CONNECT, ON_CSEND);

/* ACCEPT, on a service (a connection is pending). */
STRUCT_RULES(accept, KIPC_IOC_ACCEPT, ON_SERVICE, kipc_accept,
	     KIPC_ACCEPT_SIZE_VER0, 0);
CONN_FLAGS_BAD(accept, KIPC_IOC_ACCEPT, ON_SERVICE, kipc_accept);
WRONG_FD(accept_on_ctx, KIPC_IOC_ACCEPT, ON_CTX);
WRONG_FD(accept_on_send, KIPC_IOC_ACCEPT, ON_CSEND);
WRONG_FD(accept_on_recv, KIPC_IOC_ACCEPT, ON_CRECV);
WRONG_FD(accept_on_region, KIPC_IOC_ACCEPT, ON_REGION);

/* CALL, on the client's send end (a reply waits on its receive end). */
STRUCT_RULES(call, KIPC_IOC_CALL, ON_CSEND, kipc_call, KIPC_CALL_SIZE_VER0, 0);
POKE(call_flag_bit2, KIPC_IOC_CALL, ON_CSEND, OFF(kipc_call, flags),
     1u << 2, EINVAL);
POKE(call_flag_bit31, KIPC_IOC_CALL, ON_CSEND, OFF(kipc_call, flags),
     1u << 31, EINVAL);
POKE(call_reserved0, KIPC_IOC_CALL, ON_CSEND, OFF(kipc_call, reserved0), 1,
     EINVAL);
POKE(call_reserved, KIPC_IOC_CALL, ON_CSEND, OFF(kipc_call, reserved[0]), 1,
     EINVAL);
POKE(call_sent_ignored, KIPC_IOC_CALL, ON_CSEND, OFF(kipc_call, sent), 1, 0);
ABI(call_recv_only, .cmd = KIPC_IOC_CALL, .on = ON_CSEND, .recv_only = 1);
ABI(call_no_recv_msg, .cmd = KIPC_IOC_CALL, .on = ON_CSEND,
	.no_recv_msg = 1, .expect_errno = EINVAL);
ABI(call_msg_size_short, .cmd = KIPC_IOC_CALL, .on = ON_CSEND,
	.msg_size = KIPC_MSG_SIZE_VER0 - 8, .expect_errno = EINVAL);
ABI(call_msg_size_beyond_page, .cmd = KIPC_IOC_CALL, .on = ON_CSEND,
	.msg_size = 4097, .expect_errno = E2BIG);
ABI(call_recv_fd_closed, .cmd = KIPC_IOC_CALL, .on = ON_CSEND,
	.xfd = XFD_CLOSED, .expect_errno = EBADF);
ABI(call_recv_fd_devnull, .cmd = KIPC_IOC_CALL, .on = ON_CSEND,
	.xfd = XFD_DEVNULL, .expect_errno = EINVAL);
ABI(call_recv_fd_send_end, .cmd = KIPC_IOC_CALL, .on = ON_CSEND,
	.xfd = XFD_SEND, .expect_errno = EINVAL);
ABI(call_recv_fd_service, .cmd = KIPC_IOC_CALL, .on = ON_CSEND,
	.xfd = XFD_SERVICE, .expect_errno = EINVAL);
ABI(call_timeout_bad_clock, .cmd = KIPC_IOC_CALL, .on = ON_CSEND, .poke = 1,
	.poke_off = OFF(kipc_call, flags), .poke_val = KIPC_IO_TIMEOUT,
	.clockid = 99, .expect_errno = EINVAL);
WRONG_FD(call_on_recv, KIPC_IOC_CALL, ON_CRECV);
WRONG_FD(call_on_ctx, KIPC_IOC_CALL, ON_CTX);
WRONG_FD(call_on_service, KIPC_IOC_CALL, ON_SERVICE);

FIXTURE_SETUP(abi)
{
	struct kipc_service_create sc = {
		.size = sizeof(sc), .flags = KIPC_FD_NONBLOCK,
		.region_fd = KIPC_NO_FD,
	};
	struct kipc_name_open no = {
		.size = sizeof(no), .flags = KIPC_NAME_CREATE | KIPC_NAME_EXCL,
		.mode = 0600,
	};
	struct kipc_connect cn = {
		.size = sizeof(cn), .flags = KIPC_FD_NONBLOCK,
	};
	struct kipc_accept ac = { .size = sizeof(ac), .flags = KIPC_CONN_NONBLOCK };
	int fd;

	self->svc = self->csend = self->crecv = -1;
	self->ssend = self->srecv = -1;
	if (!kt_abi_setup(_metadata, &self->objs,
			  KIPC_FEATURE_REGION | KIPC_FEATURE_SERVICE))
		return;
	self->region = kt_region_create(self->ctx, kt_page(), 0,
					KIPC_FD_NONBLOCK, NULL);
	ASSERT_LE(0, self->region);
	self->svc = ioctl(self->ctx, KIPC_IOC_SERVICE_CREATE, &sc);
	ASSERT_LE(0, self->svc);
	snprintf(self->name, sizeof(self->name), "abi-svc-%d", getpid());
	no.name = (uintptr_t)self->name;
	no.fd = (uint32_t)self->svc;
	fd = ioctl(self->ctx, KIPC_IOC_NAME_OPEN, &no);
	ASSERT_LE(0, fd);
	close(fd);
	/* A connection, accepted, whose server queues one reply. */
	cn.name = (uintptr_t)self->name;
	ASSERT_EQ(0, ioctl(self->ctx, KIPC_IOC_CONNECT, &cn));
	self->csend = cn.send_fd;
	self->crecv = cn.recv_fd;
	ASSERT_EQ(0, ioctl(self->svc, KIPC_IOC_ACCEPT, &ac));
	self->ssend = ac.send_fd;
	self->srecv = ac.recv_fd;
	ASSERT_EQ(5, write(self->ssend, "reply", 5));
	/* And one pending, for ACCEPT rows. */
	ASSERT_EQ(0, ioctl(self->ctx, KIPC_IOC_CONNECT, &cn));
	close(cn.send_fd);
	close(cn.recv_fd);
}

FIXTURE_TEARDOWN(abi)
{
	struct kipc_name_unlink nu = {
		.size = sizeof(nu), .name = (uintptr_t)self->name,
	};

	if (self->svc >= 0) {
		ioctl(self->ctx, KIPC_IOC_NAME_UNLINK, &nu);
		close(self->svc);
	}
	if (self->csend >= 0)
		close(self->csend);
	if (self->crecv >= 0)
		close(self->crecv);
	if (self->ssend >= 0)
		close(self->ssend);
	if (self->srecv >= 0)
		close(self->srecv);
	kt_abi_teardown(&self->objs);
}

static int pick_fd(FIXTURE_DATA(abi) *self, enum on on)
{
	switch (on) {
	case ON_CTX:		return self->ctx;
	case ON_SERVICE:	return self->svc;
	case ON_CSEND:		return self->csend;
	case ON_CRECV:		return self->crecv;
	case ON_REGION:		return self->region;
	}
	return -1;
}

static uint32_t pick_xfd(FIXTURE_DATA(abi) *self, enum xfd x, uint32_t valid)
{
	switch (x) {
	case XFD_VALID:		return valid;
	case XFD_CLOSED:	return self->closed;
	case XFD_DEVNULL:	return self->devnull;
	case XFD_SEND:		return self->csend;
	case XFD_SERVICE:	return self->svc;
	}
	return valid;
}

/* A valid argument for @cmd; returns sizeof the struct. */
static size_t fill_valid(FIXTURE_DATA(abi) *self,
			 const FIXTURE_VARIANT(abi) *variant)
{
	void *a = self->arg;
	const char *name = variant->empty_name ? "" :
			   variant->unknown_name ? "abi-svc-none" : self->name;
	uint64_t uname = variant->bad_name ? (uintptr_t)kt_unmapped() :
			 (uintptr_t)name;

	switch (_IOC_NR(variant->cmd)) {
	case 0x03: {
		struct kipc_service_create *sc = a;

		sc->region_fd = pick_xfd(self, variant->xfd, KIPC_NO_FD);
		return sizeof(*sc);
	}
	case 0x04: {
		struct kipc_connect *cn = a;

		cn->flags = KIPC_CONN_NONBLOCK;
		cn->name = uname;
		cn->clockid = variant->clockid;
		return sizeof(*cn);
	}
	case 0x50: {
		struct kipc_accept *ac = a;

		ac->flags = KIPC_CONN_NONBLOCK;
		ac->clockid = variant->clockid;
		return sizeof(*ac);
	}
	case 0x22: {
		struct kipc_call *call = a;

		memset(&self->sm, 0, sizeof(self->sm));
		memset(&self->rm, 0, sizeof(self->rm));
		self->sm.data = (uintptr_t)"req";
		self->sm.data_len = 3;
		self->rm.data = (uintptr_t)self->data;
		self->rm.data_len = sizeof(self->data);
		call->send_msg = variant->recv_only ? 0 : (uintptr_t)&self->sm;
		call->recv_msg = variant->no_recv_msg ? 0 :
				 (uintptr_t)&self->rm;
		call->msg_size = variant->msg_size ?: sizeof(struct kipc_msg);
		call->recv_fd = pick_xfd(self, variant->xfd, self->crecv);
		call->region_fd = KIPC_NO_FD;
		call->clockid = variant->clockid;
		return sizeof(*call);
	}
	}
	return 64;
}

TEST_F(abi, errno_table)
{
	int fd = pick_fd(self, variant->on);
	int ret = kt_abi_ioctl(&self->objs, &variant->row, fd,
			       fill_valid(self, variant));

	if (kt_abi_failed(_metadata, &variant->row, ret))
		return;
	ASSERT_LE(0, ret) TH_LOG("errno %d (%s)", errno, strerror(errno));
	switch (_IOC_NR(variant->cmd)) {
	case 0x03:
		EXPECT_NE(fd, ret);
		close(ret);
		break;
	case 0x04: {
		struct kipc_connect *cn = (void *)self->arg;

		EXPECT_EQ(0, ret);
		EXPECT_NE(cn->send_fd, cn->recv_fd);
		EXPECT_NE(cn->id, cn->reply_id);
		close(cn->send_fd);
		close(cn->recv_fd);
		break;
	}
	case 0x50: {
		struct kipc_accept *ac = (void *)self->arg;

		EXPECT_EQ(0, ret);
		EXPECT_NE(ac->send_fd, ac->recv_fd);
		close(ac->send_fd);
		close(ac->recv_fd);
		break;
	}
	case 0x22: {
		struct kipc_call *call = (void *)self->arg;

		EXPECT_EQ(1, ret);
		EXPECT_EQ(!variant->recv_only, call->sent);
		EXPECT_EQ(5, self->rm.data_len);
		EXPECT_EQ(0, memcmp(self->data, "reply", 5));
		break;
	}
	}
}

TEST_HARNESS_MAIN
