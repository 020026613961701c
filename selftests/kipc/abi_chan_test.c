// SPDX-License-Identifier: GPL-2.0
/* ABI tables for the region and channel ioctls: every bad struct, field and fd type, and its errno. */
#include "kselftest_harness.h"
#include "abi_table.h"

#define MSG_AREA	(128 * 1024)

enum on { ON_CTX, ON_REGION, ON_NOPOOL, ON_SEND, ON_RECV };
enum rfd { RFD_NONE, RFD_CTX, RFD_SEND, RFD_DEVNULL, RFD_CLOSED, RFD_REGION };

FIXTURE(abi) {
	KT_ABI_OBJS;
	int nopool;
	__u64 owned;		/* a buffer the region handle owns */
	unsigned char *msgs;	/* struct kipc_msg array of SEND/RECV */
	char data[256];
	struct kipc_buf_ref refs[KIPC_MSG_BUFS_MAX + 1];
};

FIXTURE_VARIANT(abi) {
	KT_ABI_ROW;
	enum rfd region_fd;	/* CHANNEL_CREATE's region_fd */
	/* SEND/RECV only */
	uint32_t msg_size;	/* stride, 0: sizeof(struct kipc_msg) */
	int nr_set;
	uint32_t nr_msgs;
	int msg_poke;		/* write @msg_poke_val at @msg_poke_off of msgs */
	size_t msg_poke_off;
	uint32_t msg_poke_val;
	int bad_msgs, bad_data, bad_bufs;
	uint32_t nr_bufs;
	uint32_t clockid;
};

#define MSGOFF(field)		offsetof(struct kipc_msg, field)
/* A message struct longer than the module's, for the tail rules. */
#define MSG_LONG	(sizeof(struct kipc_msg) + 16)

/* REGION_CREATE, on a context. */
STRUCT_RULES(region_create, KIPC_IOC_REGION_CREATE, ON_CTX,
	     kipc_region_create, KIPC_REGION_CREATE_SIZE_VER0, 0);
POKE(region_create_flag_bit2, KIPC_IOC_REGION_CREATE, ON_CTX,
	OFF(kipc_region_create, flags), 1u << 2, EINVAL);
POKE(region_create_flag_bit31, KIPC_IOC_REGION_CREATE, ON_CTX,
	OFF(kipc_region_create, flags), 1u << 31, EINVAL);
POKE(region_create_reserved0, KIPC_IOC_REGION_CREATE, ON_CTX,
	OFF(kipc_region_create, reserved[0]), 1, EINVAL);
POKE(region_create_reserved1, KIPC_IOC_REGION_CREATE, ON_CTX,
	OFF(kipc_region_create, reserved[1]), 1, EINVAL);
POKE(region_create_reserved2, KIPC_IOC_REGION_CREATE, ON_CTX,
	OFF(kipc_region_create, reserved[2]), 0x80000000u, EINVAL);
POKE(region_create_id_ignored, KIPC_IOC_REGION_CREATE, ON_CTX,
	OFF(kipc_region_create, id), 5, 0);
POKE(region_create_nr_bufs_ignored, KIPC_IOC_REGION_CREATE, ON_CTX,
	OFF(kipc_region_create, nr_bufs), 5, 0);
WRONG_FD(region_create_on_region, KIPC_IOC_REGION_CREATE, ON_REGION);
WRONG_FD(region_create_on_send, KIPC_IOC_REGION_CREATE, ON_SEND);

/* CHANNEL_CREATE, on a context. */
STRUCT_RULES(channel_create, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	     kipc_channel_create, KIPC_CHANNEL_CREATE_SIZE_VER0, 0);
POKE(channel_create_flag_bit2, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	OFF(kipc_channel_create, flags), 1u << 2, EINVAL);
POKE(channel_create_flag_bit31, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	OFF(kipc_channel_create, flags), 1u << 31, EINVAL);
POKE(channel_create_reserved0, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	OFF(kipc_channel_create, reserved0), 1, EINVAL);
POKE(channel_create_reserved_0, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	OFF(kipc_channel_create, reserved[0]), 1, EINVAL);
POKE(channel_create_reserved_1_high, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	OFF(kipc_channel_create, reserved[1]) + 4, 1, EINVAL);
POKE(channel_create_depth_huge, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	OFF(kipc_channel_create, depth), 0xffffffffu, EINVAL);
POKE(channel_create_max_inline_65537, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	OFF(kipc_channel_create, max_inline), 65537, EINVAL);
POKE(channel_create_max_inline_65536, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	OFF(kipc_channel_create, max_inline), 65536, 0);
POKE(channel_create_send_fd_ignored, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	OFF(kipc_channel_create, send_fd), 5, 0);
POKE(channel_create_id_ignored, KIPC_IOC_CHANNEL_CREATE, ON_CTX,
	OFF(kipc_channel_create, id), 5, 0);
ABI(channel_create_bound, .cmd = KIPC_IOC_CHANNEL_CREATE, .on = ON_CTX,
	.region_fd = RFD_REGION);
ABI(channel_create_region_fd_closed, .cmd = KIPC_IOC_CHANNEL_CREATE,
	.on = ON_CTX, .region_fd = RFD_CLOSED, .expect_errno = EBADF);
ABI(channel_create_region_fd_devnull, .cmd = KIPC_IOC_CHANNEL_CREATE,
	.on = ON_CTX, .region_fd = RFD_DEVNULL, .expect_errno = EINVAL);
ABI(channel_create_region_fd_context, .cmd = KIPC_IOC_CHANNEL_CREATE,
	.on = ON_CTX, .region_fd = RFD_CTX, .expect_errno = EINVAL);
ABI(channel_create_region_fd_channel, .cmd = KIPC_IOC_CHANNEL_CREATE,
	.on = ON_CTX, .region_fd = RFD_SEND, .expect_errno = EINVAL);
WRONG_FD(channel_create_on_region, KIPC_IOC_CHANNEL_CREATE, ON_REGION);
WRONG_FD(channel_create_on_recv, KIPC_IOC_CHANNEL_CREATE, ON_RECV);

/* REGION_ATTACH, on a region. */
STRUCT_RULES(attach, KIPC_IOC_REGION_ATTACH, ON_REGION, kipc_region_attach,
	     KIPC_REGION_ATTACH_SIZE_VER0, 0);
POKE(attach_flag_bit2, KIPC_IOC_REGION_ATTACH, ON_REGION,
	OFF(kipc_region_attach, flags), 1u << 2, EINVAL);
POKE(attach_reserved0, KIPC_IOC_REGION_ATTACH, ON_REGION,
	OFF(kipc_region_attach, reserved[0]), 1, EINVAL);
POKE(attach_reserved1_high, KIPC_IOC_REGION_ATTACH, ON_REGION,
	OFF(kipc_region_attach, reserved[1]) + 4, 1, EINVAL);
WRONG_FD(attach_on_ctx, KIPC_IOC_REGION_ATTACH, ON_CTX);
WRONG_FD(attach_on_send, KIPC_IOC_REGION_ATTACH, ON_SEND);

/* The flags and the two reserved words of @type must be zero. */
#define FLAGS_AND_RESERVED(p, c, o, type)				\
POKE(p##_flags, c, o, OFF(type, flags), 1, EINVAL);			\
POKE(p##_reserved0, c, o, OFF(type, reserved[0]), 1, EINVAL);		\
POKE(p##_reserved1, c, o, OFF(type, reserved[1]), 1, EINVAL)

/* BUF_ALLOC, on a region. */
STRUCT_RULES(alloc, KIPC_IOC_BUF_ALLOC, ON_REGION, kipc_buf_alloc,
	     KIPC_BUF_ALLOC_SIZE_VER0, 0);
FLAGS_AND_RESERVED(alloc, KIPC_IOC_BUF_ALLOC, ON_REGION, kipc_buf_alloc);
ABI(alloc_without_pool, .cmd = KIPC_IOC_BUF_ALLOC, .on = ON_NOPOOL,
	.expect_errno = EINVAL);
WRONG_FD(alloc_on_ctx, KIPC_IOC_BUF_ALLOC, ON_CTX);
WRONG_FD(alloc_on_recv, KIPC_IOC_BUF_ALLOC, ON_RECV);

/* BUF_RELEASE, on a region (of a buffer the handle owns). */
STRUCT_RULES(release, KIPC_IOC_BUF_RELEASE, ON_REGION, kipc_buf_release,
	     KIPC_BUF_RELEASE_SIZE_VER0, 0);
FLAGS_AND_RESERVED(release, KIPC_IOC_BUF_RELEASE, ON_REGION, kipc_buf_release);
POKE(release_offset_high, KIPC_IOC_BUF_RELEASE, ON_REGION,
	OFF(kipc_buf_release, offset) + 4, 1, EINVAL);
WRONG_FD(release_on_send, KIPC_IOC_BUF_RELEASE, ON_SEND);
WRONG_FD(release_on_ctx, KIPC_IOC_BUF_RELEASE, ON_CTX);

/* REGION_INFO, on a region. */
STRUCT_RULES(info, KIPC_IOC_REGION_INFO, ON_REGION, kipc_region_info,
	     KIPC_REGION_INFO_SIZE_VER0, 0);
FLAGS_AND_RESERVED(info, KIPC_IOC_REGION_INFO, ON_REGION, kipc_region_info);
WRONG_FD(info_on_ctx, KIPC_IOC_REGION_INFO, ON_CTX);
WRONG_FD(info_on_recv, KIPC_IOC_REGION_INFO, ON_RECV);

/* SEND and RECV: struct kipc_io, and the kipc_msg array. */
#define IO_RULES(p, c, o)						\
STRUCT_RULES(p, c, o, kipc_io, KIPC_IO_SIZE_VER0, 0);			\
POKE(p##_flag_bit2, c, o, OFF(kipc_io, flags), 1u << 2, EINVAL);	\
POKE(p##_flag_bit31, c, o, OFF(kipc_io, flags), 1u << 31, EINVAL);	\
POKE(p##_reserved0, c, o, OFF(kipc_io, reserved[0]), 1, EINVAL);	\
POKE(p##_reserved1_high, c, o, OFF(kipc_io, reserved[1]) + 4, 1,	\
	EINVAL);								\
ABI(p##_nr_msgs_zero, .cmd = c, .on = o, .nr_set = 1, .nr_msgs = 0,	\
	.expect_errno = EINVAL);						\
ABI(p##_nr_msgs_1025, .cmd = c, .on = o, .nr_set = 1, .nr_msgs = 1025,	\
	.expect_errno = EINVAL);						\
ABI(p##_msg_size_zero, .cmd = c, .on = o, .msg_size = 0xffffffffu,	\
	.expect_errno = EINVAL);						\
ABI(p##_msg_size_short, .cmd = c, .on = o,				\
	.msg_size = KIPC_MSG_SIZE_VER0 - 8, .expect_errno = EINVAL);	\
ABI(p##_msg_size_cuts_nr_lends, .cmd = c, .on = o, .msg_size = 56,	\
	.expect_errno = EINVAL);						\
ABI(p##_msg_size_cuts_lendq_fd, .cmd = c, .on = o, .msg_size = 60,	\
	.expect_errno = EINVAL);						\
ABI(p##_msg_size_beyond_page, .cmd = c, .on = o, .msg_size = 4097,	\
	.expect_errno = E2BIG);						\
ABI(p##_msg_size_long_zero_tail, .cmd = c, .on = o, .msg_size = MSG_LONG); \
ABI(p##_msgs_bad_pointer, .cmd = c, .on = o, .bad_msgs = 1,		\
	.expect_errno = EFAULT);						\
ABI(p##_timeout_bad_clock, .cmd = c, .on = o, .poke = 1,		\
	.poke_off = OFF(kipc_io, flags), .poke_val = KIPC_IO_TIMEOUT,	\
	.clockid = 99, .expect_errno = EINVAL)

IO_RULES(send, KIPC_IOC_SEND, ON_SEND);
ABI(send_msg_tail_nonzero, .cmd = KIPC_IOC_SEND, .on = ON_SEND,
	.msg_size = MSG_LONG, .msg_poke = 1, .msg_poke_off = MSG_LONG - 4,
	.msg_poke_val = 1, .expect_errno = E2BIG);
ABI(send_msg_reserved, .cmd = KIPC_IOC_SEND, .on = ON_SEND, .msg_poke = 1,
	.msg_poke_off = MSGOFF(reserved), .msg_poke_val = 1,
	.expect_errno = EINVAL);
/* Output fields are ignored on input. */
ABI(send_msg_pid_ignored, .cmd = KIPC_IOC_SEND, .on = ON_SEND, .msg_poke = 1,
	.msg_poke_off = MSGOFF(pid), .msg_poke_val = 1);
ABI(send_msg_gid_ignored, .cmd = KIPC_IOC_SEND, .on = ON_SEND, .msg_poke = 1,
	.msg_poke_off = MSGOFF(gid), .msg_poke_val = 1);
ABI(send_data_bad_pointer, .cmd = KIPC_IOC_SEND, .on = ON_SEND,
	.bad_data = 1, .expect_errno = EFAULT);
ABI(send_data_too_long, .cmd = KIPC_IOC_SEND, .on = ON_SEND, .msg_poke = 1,
	.msg_poke_off = MSGOFF(data_len), .msg_poke_val = 4097,
	.expect_errno = EMSGSIZE);
ABI(send_nr_bufs_17, .cmd = KIPC_IOC_SEND, .on = ON_SEND,
	.nr_bufs = KIPC_MSG_BUFS_MAX + 1, .expect_errno = EINVAL);
ABI(send_bufs_on_unbound, .cmd = KIPC_IOC_SEND, .on = ON_SEND, .nr_bufs = 1,
	.expect_errno = EINVAL);
WRONG_FD(send_on_recv, KIPC_IOC_SEND, ON_RECV);
WRONG_FD(send_on_ctx, KIPC_IOC_SEND, ON_CTX);
WRONG_FD(send_on_region, KIPC_IOC_SEND, ON_REGION);
ABI(send_wrong_direction, .cmd = _IOW(KIPC_MAGIC, 0x20, struct kipc_io),
	.on = ON_SEND, .expect_errno = ENOTTY);
ABI(send_unknown_number, .cmd = _IOWR(KIPC_MAGIC, 0x2f, struct kipc_io),
	.on = ON_SEND, .expect_errno = ENOTTY);

IO_RULES(recv, KIPC_IOC_RECV, ON_RECV);
WRONG_FD(recv_on_send, KIPC_IOC_RECV, ON_SEND);
WRONG_FD(recv_on_region, KIPC_IOC_RECV, ON_REGION);
ABI(recv_msg_tail_nonzero, .cmd = KIPC_IOC_RECV, .on = ON_RECV,
	.msg_size = MSG_LONG, .msg_poke = 1,
	.msg_poke_off = sizeof(struct kipc_msg), .msg_poke_val = 1,
	.expect_errno = E2BIG);
ABI(recv_msg_reserved_ignored, .cmd = KIPC_IOC_RECV, .on = ON_RECV,
	.msg_poke = 1, .msg_poke_off = MSGOFF(reserved), .msg_poke_val = 1);
ABI(recv_room_too_small, .cmd = KIPC_IOC_RECV, .on = ON_RECV, .msg_poke = 1,
	.msg_poke_off = MSGOFF(data_len), .msg_poke_val = 2,
	.expect_errno = EMSGSIZE);

WRONG_FD(version_on_region, KIPC_IOC_VERSION, ON_REGION);
WRONG_FD(version_on_recv, KIPC_IOC_VERSION, ON_RECV);
ABI(unknown_on_region, .cmd = _IOWR(KIPC_MAGIC, 0x1f, struct kipc_region_info),
	.on = ON_REGION, .expect_errno = ENOTTY);

FIXTURE_SETUP(abi)
{
	long page = kt_page();

	self->nopool = -1;
	self->msgs = NULL;
	if (!kt_abi_setup(_metadata, &self->objs,
			  KIPC_FEATURE_REGION | KIPC_FEATURE_CHANNEL))
		return;
	self->msgs = calloc(1, MSG_AREA);
	ASSERT_NE(NULL, self->msgs);
	/* Non-blocking, so that no case can wait. */
	self->region = kt_region_create(self->ctx, 4 * page, page,
					KIPC_FD_NONBLOCK, NULL);
	ASSERT_LE(0, self->region);
	ASSERT_EQ(0, kt_buf_alloc(self->region, &self->owned));
	self->nopool = kt_region_create(self->ctx, page, 0, KIPC_FD_NONBLOCK,
					NULL);
	ASSERT_LE(0, self->nopool);
	/* Something to receive. */
	ASSERT_EQ(1, kt_send1(self->sfd, "queued", 6, 1, 0));
	memset(self->data, 'd', sizeof(self->data));
}

FIXTURE_TEARDOWN(abi)
{
	if (self->nopool >= 0)
		close(self->nopool);
	free(self->msgs);
	kt_abi_teardown(&self->objs);
}

static int pick_fd(FIXTURE_DATA(abi) *self, enum on on)
{
	switch (on) {
	case ON_CTX:	return self->ctx;
	case ON_REGION:	return self->region;
	case ON_NOPOOL:	return self->nopool;
	case ON_SEND:	return self->sfd;
	case ON_RECV:	return self->rfd;
	}
	return -1;
}

/* A valid argument for @cmd; returns sizeof the struct. */
static size_t fill_valid(FIXTURE_DATA(abi) *self,
			 const FIXTURE_VARIANT(abi) *variant)
{
	unsigned long nr = _IOC_NR(variant->cmd);
	long page = kt_page();
	void *a = self->arg;

	switch (nr) {
	case 0x00:
		return sizeof(struct kipc_version);
	case 0x01: {
		struct kipc_region_create *rc = a;

		rc->bytes = 2 * page;
		rc->buf_size = page;
		return sizeof(*rc);
	}
	case 0x02: {
		struct kipc_channel_create *cc = a;
		int fds[] = { [RFD_NONE] = KIPC_NO_FD, [RFD_CTX] = self->ctx,
			      [RFD_SEND] = self->sfd,
			      [RFD_DEVNULL] = self->devnull,
			      [RFD_CLOSED] = self->closed,
			      [RFD_REGION] = self->region };

		cc->region_fd = fds[variant->region_fd];
		return sizeof(*cc);
	}
	case 0x10:
		return sizeof(struct kipc_region_attach);
	case 0x11:
		return sizeof(struct kipc_buf_alloc);
	case 0x12:
		((struct kipc_buf_release *)a)->offset = self->owned;
		return sizeof(struct kipc_buf_release);
	case 0x13:
		return sizeof(struct kipc_region_info);
	case 0x20: case 0x21: case 0x2f: {
		int send = nr != 0x21;
		uint32_t stride = variant->msg_size ? variant->msg_size :
				  sizeof(struct kipc_msg);
		struct kipc_io *io = a;
		struct kipc_msg *m = (void *)self->msgs;
		unsigned int i;

		if (stride == 0xffffffffu)
			stride = 0;
		for (i = 0; i <= KIPC_MSG_BUFS_MAX; i++) {
			self->refs[i].offset = i * page;
			self->refs[i].len = 1;
		}
		m->data = (uintptr_t)(variant->bad_data ? kt_unmapped() :
				      self->data);
		m->data_len = send ? 3 : sizeof(self->data);
		m->nr_bufs = variant->nr_bufs;
		m->bufs = (uintptr_t)self->refs;
		m->tag = 77;
		if (variant->msg_poke)
			memcpy(self->msgs + variant->msg_poke_off,
			       &variant->msg_poke_val, 4);
		io->msgs = (uintptr_t)(variant->bad_msgs ? kt_unmapped() :
				       self->msgs);
		io->nr_msgs = variant->nr_set ? variant->nr_msgs : 1;
		io->msg_size = stride;
		io->region_fd = KIPC_NO_FD;
		io->clockid = variant->clockid;
		return sizeof(*io);
	}
	}
	return 64;	/* unknown commands */
}

TEST_F(abi, errno_table)
{
	int fd = pick_fd(self, variant->on);
	int ret = kt_abi_ioctl(&self->objs, &variant->row, fd,
			       fill_valid(self, variant));

	if (kt_abi_failed(_metadata, &variant->row, ret)) {
		if (ret >= 0 && (variant->cmd == KIPC_IOC_REGION_CREATE ||
				 variant->cmd == KIPC_IOC_REGION_ATTACH))
			close(ret);
		return;
	}
	ASSERT_LE(0, ret) TH_LOG("errno %d (%s)", errno, strerror(errno));
	switch (_IOC_NR(variant->cmd)) {
	case 0x01:
	case 0x10:
		EXPECT_LE(0, ret);
		EXPECT_NE(fd, ret);
		close(ret);
		break;
	case 0x02: {
		struct kipc_channel_create *cc = (void *)self->arg;

		EXPECT_EQ(0, ret);
		EXPECT_NE(cc->send_fd, cc->recv_fd);
		EXPECT_NE(0, cc->id);
		close(cc->send_fd);
		close(cc->recv_fd);
		break;
	}
	case 0x11:
	case 0x12:
		EXPECT_EQ(0, ret);
		break;
	case 0x13: {
		struct kipc_region_info *ri = (void *)self->arg;

		EXPECT_EQ(0, ret);
		EXPECT_EQ(4, ri->nr_bufs);
		EXPECT_EQ(1, ri->nr_owned);
		break;
	}
	case 0x20:
		EXPECT_EQ(1, ret);
		EXPECT_EQ(2, kt_fdinfo_num(self->sfd, "kipc-queued"));
		break;
	case 0x21: {
		struct kipc_msg *m = (void *)self->msgs;

		EXPECT_EQ(1, ret);
		EXPECT_EQ(6, m->data_len);
		EXPECT_EQ(1, m->tag);
		EXPECT_EQ(0, memcmp(self->data, "queued", 6));
		break;
	}
	}
}

/* The kipc_msg array is read and written at the caller's stride. */
FIXTURE(stride) {
	int ctx, sfd, rfd;
};

FIXTURE_SETUP(stride)
{
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_CHANNEL);
	ASSERT_EQ(0, kt_channel_create(self->ctx, KIPC_FD_NONBLOCK, 0, 0, -1,
				       &self->sfd, &self->rfd));
}

FIXTURE_TEARDOWN(stride)
{
	close(self->sfd);
	close(self->rfd);
	close(self->ctx);
}

static int io_stride(int fd, unsigned long cmd, void *msgs, uint32_t nr,
		     uint32_t stride)
{
	struct kipc_io io = {
		.size = sizeof(io), .msgs = (uintptr_t)msgs, .nr_msgs = nr,
		.msg_size = stride, .region_fd = KIPC_NO_FD,
	};
	int ret = ioctl(fd, cmd, &io);

	return ret < 0 ? -errno : ret;
}

TEST_F(stride, send_and_recv_use_msg_size)
{
	unsigned char area[4 * 128] = { 0 };
	char a[8] = "first", b[8] = "second", ra[8], rb[8];
	struct kipc_msg *m0 = (void *)area, *m1 = (void *)(area + MSG_LONG);

	kt_msg_init(m0, a, 5, NULL, 0, 100);
	kt_msg_init(m1, b, 6, NULL, 0, 101);
	ASSERT_EQ(2, io_stride(self->sfd, KIPC_IOC_SEND, area, 2, MSG_LONG));

	memset(area, 0, sizeof(area));
	m0 = (void *)area;
	m1 = (void *)(area + 128);
	kt_msg_init(m0, ra, sizeof(ra), NULL, 0, 0);
	kt_msg_init(m1, rb, sizeof(rb), NULL, 0, 0);
	/* zero tail between them */
	memset(area + sizeof(struct kipc_msg), 0, 128 - sizeof(struct kipc_msg));
	memset(area + 256, 0xee, 256);		/* beyond the second */
	ASSERT_EQ(2, io_stride(self->rfd, KIPC_IOC_RECV, area, 2, 128));
	EXPECT_EQ(100, m0->tag);
	EXPECT_EQ(5, m0->data_len);
	EXPECT_EQ(0, memcmp(ra, "first", 5));
	EXPECT_EQ(101, m1->tag);
	EXPECT_EQ(6, m1->data_len);
	EXPECT_EQ(0, memcmp(rb, "second", 6));
	EXPECT_EQ(getpid(), m1->pid);
	EXPECT_EQ(0xee, area[256]);
}

TEST_F(stride, tail_of_a_later_message_is_checked)
{
	unsigned char area[3 * MSG_LONG] __attribute__((aligned(8))) = { 0 };
	char a[4] = "abc";
	int i;

	for (i = 0; i < 3; i++)
		kt_msg_init((void *)(area + MSG_LONG * i), a, 3, NULL, 0, i);
	area[2 * MSG_LONG + MSG_LONG - 1] = 1;	/* the third message's tail */
	/* Either the whole batch is refused or it stops before message 2. */
	i = io_stride(self->sfd, KIPC_IOC_SEND, area, 3, MSG_LONG);
	EXPECT_TRUE(i == -E2BIG || i == 2) TH_LOG("returned %d", i);
}

KIPC_TEST_MAIN
