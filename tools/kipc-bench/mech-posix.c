// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the POSIX family.
 *
 * posix-mq:	two message queues (mq_open), one per direction, each opened
 *		once for sending and once for receiving, unlinked at once
 * posix-shm:	shm_open'ed memory with a message area per direction and
 *		process-shared sem_t "full" and "empty" per direction
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "kipc-bench.h"

#define KB_MQ_DEPTH	4

struct kb_posix_mq {
	mqd_t q[2][2];		/* [direction][KB_RX or KB_TX] */
	void *rx;
};

static void kb_posix_mq_teardown(struct kb_chan *c)
{
	struct kb_posix_mq *p = c->priv;
	int d, e;

	for (d = 0; d < 2; d++)
		for (e = 0; e < 2; e++)
			if (p->q[d][e] != (mqd_t)-1 && mq_close(p->q[d][e]))
				kb_warn("mq_close: %s", strerror(errno));
	kb_unmap(p->rx, c->size);
	free(p);
	c->priv = NULL;
}

/* Queued bytes count against RLIMIT_MSGQUEUE: raise it if we may. */
static void kb_posix_mq_rlimit(size_t size)
{
	struct rlimit rl;
	rlim_t need = 2 * KB_MQ_DEPTH * (size + 4096) + 65536;

	if (getrlimit(RLIMIT_MSGQUEUE, &rl) || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	setrlimit(RLIMIT_MSGQUEUE, &rl);	/* failure shows in mq_open */
}

static int kb_posix_mq_open(struct kb_chan *c, mqd_t q[2])
{
	struct mq_attr attr = {
		.mq_maxmsg = KB_MQ_DEPTH,
		.mq_msgsize = c->size,
	};
	int rxflags = O_RDONLY | O_CLOEXEC, ret = 0;
	char name[80];

	if (c->mode != KB_BLOCKING)
		rxflags |= O_NONBLOCK;
	name[0] = '/';
	ret = kb_tmpname(name + 1, sizeof(name) - 1, "mq");
	if (ret)
		return kb_fail(c, ret, "mq name");
	q[KB_TX] = mq_open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			   0600, &attr);
	if (q[KB_TX] == (mqd_t)-1) {
		/* EINVAL: above fs.mqueue.msgsize_max; EMFILE: rlimit */
		ret = errno == EINVAL || errno == EMFILE || errno == ENOMEM ?
		      -EMSGSIZE : -errno;
		return kb_fail(c, ret, "mq_open");
	}
	q[KB_RX] = mq_open(name, rxflags);
	if (q[KB_RX] == (mqd_t)-1)
		ret = kb_fail(c, -errno, "mq_open");
	if (mq_unlink(name) && !ret)
		ret = kb_fail(c, -errno, "mq_unlink");
	return ret;
}

static int kb_posix_mq_setup(struct kb_chan *c)
{
	struct kb_posix_mq *p;
	int d, ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return kb_fail(c, -ENOMEM, "calloc");
	memset(p->q, -1, sizeof(p->q));
	c->priv = p;
	p->rx = kb_map(c->size);
	if (!p->rx) {
		ret = kb_fail(c, -errno, "mmap receive buffer");
		goto out_teardown;
	}
	kb_posix_mq_rlimit(c->size);
	for (d = 0; d < 2; d++) {
		ret = kb_posix_mq_open(c, p->q[d]);
		if (ret)
			goto out_teardown;
	}
	return 0;

out_teardown:
	kb_posix_mq_teardown(c);
	return ret;
}

static int kb_posix_mq_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_posix_mq *p = c->priv;

	while (mq_send(p->q[c->side][KB_TX], buf, len, 0))
		if (errno != EINTR || kb_abort)
			return kb_fail(c, -errno, "mq_send");
	return 0;
}

static int kb_posix_mq_recv(struct kb_chan *c, const void **data, size_t len,
			    bool nonblock)
{
	struct kb_posix_mq *p = c->priv;
	mqd_t q = p->q[!c->side][KB_RX];
	ssize_t n;
	int ret;

	for (;;) {
		n = mq_receive(q, p->rx, c->size, NULL);
		if (n >= 0)
			break;
		if (errno == EAGAIN) {
			/* O_NONBLOCK in every mode but blocking */
			if (nonblock)
				return -EAGAIN;
			ret = kb_wait_fd(q, POLLIN);	/* mqd_t is an fd */
			if (ret)
				return kb_fail(c, ret, "poll");
		} else if (errno != EINTR || kb_abort) {
			return kb_fail(c, -errno, "mq_receive");
		}
	}
	if ((size_t)n != len)
		return kb_fail(c, -EMSGSIZE, "mq_receive: wrong size");
	*data = p->rx;
	return 0;
}

static int kb_posix_mq_available(char *why, size_t len)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = 8 };
	char name[80] = "/";
	mqd_t q;
	int ret;

	ret = kb_tmpname(name + 1, sizeof(name) - 1, "probe");
	if (ret)
		return kb_err(ret, why, len, "mq name");
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	if (q == (mqd_t)-1)
		return kb_err(-errno, why, len, "mq_open");
	if (mq_close(q) || mq_unlink(name))
		return kb_err(-errno, why, len, "mq_unlink");
	return 0;
}

/* posix-shm: the layout of the shared object */
struct kb_posix_shm_hdr {
	sem_t full[2];		/* direction d's area holds a message */
	sem_t empty[2];		/* direction d's area may be written */
} __attribute__((aligned(64)));

struct kb_posix_shm {
	struct kb_posix_shm_hdr *hdr;
	size_t len;
	char *area;		/* direction d's message at area + d * size */
};

static void kb_posix_shm_teardown(struct kb_chan *c)
{
	struct kb_posix_shm *p = c->priv;

	if (p->hdr && munmap(p->hdr, p->len))
		kb_warn("munmap: %s", strerror(errno));
	free(p);
	c->priv = NULL;
}

static int kb_posix_shm_map(struct kb_chan *c, struct kb_posix_shm *p)
{
	char name[80] = "/";
	int fd, d, ret = 0;

	ret = kb_tmpname(name + 1, sizeof(name) - 1, "shm");
	if (ret)
		return kb_fail(c, ret, "shm name");
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return kb_fail(c, -errno, "shm_open");
	if (shm_unlink(name)) {
		ret = kb_fail(c, -errno, "shm_unlink");
		goto out_close;
	}
	p->len = sizeof(*p->hdr) + 2 * c->size;
	if (ftruncate(fd, p->len)) {
		ret = kb_fail(c, errno == EFBIG ? -ENOSPC : -errno,
			      "ftruncate");
		goto out_close;
	}
	p->hdr = mmap(NULL, p->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p->hdr == MAP_FAILED) {
		p->hdr = NULL;
		ret = kb_fail(c, -errno, "mmap");
		goto out_close;
	}
	p->area = (char *)(p->hdr + 1);
	for (d = 0; d < 2 && !ret; d++)
		if (sem_init(&p->hdr->full[d], 1, 0) ||
		    sem_init(&p->hdr->empty[d], 1, 1))
			ret = kb_fail(c, -errno, "sem_init");
out_close:
	if (close(fd) && !ret)
		ret = kb_fail(c, -errno, "close");
	return ret;
}

static int kb_posix_shm_setup(struct kb_chan *c)
{
	struct kb_posix_shm *p;
	int ret;

	p = calloc(1, sizeof(*p));
	if (!p)
		return kb_fail(c, -ENOMEM, "calloc");
	c->priv = p;
	ret = kb_posix_shm_map(c, p);
	if (ret)
		kb_posix_shm_teardown(c);
	return ret;
}

static int kb_posix_sem_wait(struct kb_chan *c, sem_t *sem, bool nonblock)
{
	while (nonblock ? sem_trywait(sem) : sem_wait(sem)) {
		if (errno == EAGAIN && nonblock)
			return -EAGAIN;
		if (errno != EINTR || kb_abort)
			return kb_fail(c, -errno, "sem_wait");
	}
	return 0;
}

static int kb_posix_sem_post(struct kb_chan *c, sem_t *sem)
{
	return sem_post(sem) ? kb_fail(c, -errno, "sem_post") : 0;
}

static int kb_posix_shm_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_posix_shm *p = c->priv;
	int d = c->side, ret;

	ret = kb_posix_sem_wait(c, &p->hdr->empty[d], false);
	if (ret)
		return ret;
	memcpy(p->area + d * c->size, buf, len);
	return kb_posix_sem_post(c, &p->hdr->full[d]);
}

static int kb_posix_shm_recv(struct kb_chan *c, const void **data,
			     size_t len, bool nonblock)
{
	struct kb_posix_shm *p = c->priv;
	int d = !c->side;

	(void)len;
	*data = p->area + d * c->size;
	return kb_posix_sem_wait(c, &p->hdr->full[d], nonblock);
}

static int kb_posix_shm_recv_done(struct kb_chan *c)
{
	struct kb_posix_shm *p = c->priv;

	return kb_posix_sem_post(c, &p->hdr->empty[!c->side]);
}

const struct kb_mech kb_mech_posix_mq = {
	.name		= "posix-mq",
	.desc		= "POSIX message queues (mq_send/mq_receive)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_posix_mq_available,
	.setup		= kb_posix_mq_setup,
	.teardown	= kb_posix_mq_teardown,
	.send		= kb_posix_mq_send,
	.recv		= kb_posix_mq_recv,
};

const struct kb_mech kb_mech_posix_shm = {
	.name		= "posix-shm",
	.desc		= "POSIX shared memory (shm_open) + process-shared sem_t",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.setup		= kb_posix_shm_setup,
	.teardown	= kb_posix_shm_teardown,
	.send		= kb_posix_shm_send,
	.recv		= kb_posix_shm_recv,
	.recv_done	= kb_posix_shm_recv_done,
};
