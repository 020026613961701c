// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-bench: the System V family.
 *
 * sysv-msg:	one message queue, message type 1 + side for each direction
 * sysv-shm:	a shared memory segment with one message area per direction
 *		and a semaphore set: "full" and "empty" per direction
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "kipc-bench.h"

struct kb_msgbuf {
	long mtype;
	char mtext[];
};

struct kb_sysv_msg {
	int qid;
	struct kb_msgbuf *tx, *rx;
};

/* The largest message the kernel takes: kernel.msgmax. */
static size_t kb_sysv_msgmax(void)
{
	struct msginfo info;

	if (msgctl(0, IPC_INFO, (struct msqid_ds *)&info) < 0)
		return 0;
	return info.msgmax;
}

static void kb_sysv_msg_teardown(struct kb_chan *c)
{
	struct kb_sysv_msg *q = c->priv;

	if (!c->side && q->qid >= 0 && msgctl(q->qid, IPC_RMID, NULL))
		kb_warn("msgctl IPC_RMID: %s", strerror(errno));
	kb_unmap(q->tx, sizeof(*q->tx) + c->size);
	kb_unmap(q->rx, sizeof(*q->rx) + c->size);
	free(q);
	c->priv = NULL;
}

static int kb_sysv_msg_setup(struct kb_chan *c)
{
	size_t max = kb_sysv_msgmax();
	struct kb_sysv_msg *q;
	struct msqid_ds ds;
	int ret;

	if (c->size > max)
		return kb_fail(c, -EMSGSIZE, "larger than kernel.msgmax");
	q = calloc(1, sizeof(*q));
	if (!q)
		return kb_fail(c, -ENOMEM, "calloc");
	c->priv = q;
	q->tx = kb_map(sizeof(*q->tx) + c->size);
	q->rx = kb_map(sizeof(*q->rx) + c->size);
	q->qid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (!q->tx || !q->rx) {
		ret = kb_fail(c, -ENOMEM, "mmap message buffers");
		goto out_teardown;
	}
	if (q->qid < 0) {
		ret = kb_fail(c, -errno, "msgget");
		goto out_teardown;
	}
	/* room for a message each way, whatever kernel.msgmnb says */
	if (msgctl(q->qid, IPC_STAT, &ds)) {
		ret = kb_fail(c, -errno, "msgctl IPC_STAT");
		goto out_teardown;
	}
	if (ds.msg_qbytes < 2 * c->size) {
		ds.msg_qbytes = 2 * c->size;
		if (msgctl(q->qid, IPC_SET, &ds)) {
			ret = kb_fail(c, errno == EPERM ? -ENOSPC : -errno,
				      "msgctl IPC_SET msg_qbytes");
			goto out_teardown;
		}
	}
	return 0;

out_teardown:
	kb_sysv_msg_teardown(c);
	return ret;
}

static void *kb_sysv_msg_tx_buf(struct kb_chan *c)
{
	struct kb_sysv_msg *q = c->priv;

	return q->tx->mtext;
}

static int kb_sysv_msg_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_sysv_msg *q = c->priv;

	(void)buf;		/* built in place, in q->tx */
	q->tx->mtype = 1 + c->side;
	while (msgsnd(q->qid, q->tx, len, 0))
		if (errno != EINTR || kb_abort)
			return kb_fail(c, -errno, "msgsnd");
	return 0;
}

static int kb_sysv_msg_recv(struct kb_chan *c, const void **data, size_t len,
			    bool nonblock)
{
	struct kb_sysv_msg *q = c->priv;
	ssize_t n;

	for (;;) {
		n = msgrcv(q->qid, q->rx, c->size, 1 + !c->side,
			   nonblock ? IPC_NOWAIT : 0);
		if (n >= 0)
			break;
		if (errno == ENOMSG)
			return -EAGAIN;
		if (errno != EINTR || kb_abort)
			return kb_fail(c, -errno, "msgrcv");
	}
	if ((size_t)n != len)
		return kb_fail(c, -EMSGSIZE, "msgrcv: message of the wrong size");
	*data = q->rx->mtext;
	return 0;
}

/* sysv-shm: semaphore 2d is "direction d full", 2d + 1 "direction d empty" */
struct kb_sysv_shm {
	int semid;
	char *area;		/* direction d's message at area + d * size */
};

static void kb_sysv_shm_teardown(struct kb_chan *c)
{
	struct kb_sysv_shm *m = c->priv;

	if (m->area && shmdt(m->area))
		kb_warn("shmdt: %s", strerror(errno));
	if (!c->side && m->semid >= 0 && semctl(m->semid, 0, IPC_RMID))
		kb_warn("semctl IPC_RMID: %s", strerror(errno));
	free(m);
	c->priv = NULL;
}

static int kb_sysv_shm_setup(struct kb_chan *c)
{
	unsigned short init[4] = { 0, 1, 0, 1 };
	struct kb_sysv_shm *m;
	int shmid, ret;

	m = calloc(1, sizeof(*m));
	if (!m)
		return kb_fail(c, -ENOMEM, "calloc");
	c->priv = m;
	m->semid = semget(IPC_PRIVATE, 4, IPC_CREAT | 0600);
	if (m->semid < 0) {
		ret = kb_fail(c, -errno, "semget");
		goto out_teardown;
	}
	if (semctl(m->semid, 0, SETALL, init)) {
		ret = kb_fail(c, -errno, "semctl SETALL");
		goto out_teardown;
	}
	shmid = shmget(IPC_PRIVATE, 2 * c->size, IPC_CREAT | 0600);
	if (shmid < 0) {
		ret = kb_fail(c, errno == EINVAL ? -EMSGSIZE : -errno,
			      "shmget");
		goto out_teardown;
	}
	ret = 0;
	m->area = shmat(shmid, NULL, 0);
	if (m->area == (void *)-1) {
		m->area = NULL;
		ret = kb_fail(c, -errno, "shmat");
	}
	/* gone once both processes detach, even if they die */
	if (shmctl(shmid, IPC_RMID, NULL) && !ret)
		ret = kb_fail(c, -errno, "shmctl IPC_RMID");
	if (ret)
		goto out_teardown;
	return 0;

out_teardown:
	kb_sysv_shm_teardown(c);
	return ret;
}

static int kb_sysv_sem(struct kb_chan *c, int sem, int op, bool nonblock)
{
	struct kb_sysv_shm *m = c->priv;
	struct sembuf sb = {
		.sem_num = sem,
		.sem_op = op,
		.sem_flg = nonblock ? IPC_NOWAIT : 0,
	};

	while (semop(m->semid, &sb, 1)) {
		if (errno == EAGAIN && nonblock)
			return -EAGAIN;
		if (errno != EINTR || kb_abort)
			return kb_fail(c, -errno, "semop");
	}
	return 0;
}

static int kb_sysv_shm_send(struct kb_chan *c, const void *buf, size_t len)
{
	struct kb_sysv_shm *m = c->priv;
	int d = c->side, ret;

	ret = kb_sysv_sem(c, 2 * d + 1, -1, false);
	if (ret)
		return ret;
	memcpy(m->area + d * c->size, buf, len);
	return kb_sysv_sem(c, 2 * d, 1, false);
}

static int kb_sysv_shm_recv(struct kb_chan *c, const void **data, size_t len,
			    bool nonblock)
{
	struct kb_sysv_shm *m = c->priv;
	int d = !c->side;

	(void)len;
	*data = m->area + d * c->size;
	return kb_sysv_sem(c, 2 * d, -1, nonblock);
}

static int kb_sysv_shm_recv_done(struct kb_chan *c)
{
	return kb_sysv_sem(c, 2 * !c->side + 1, 1, false);
}

static int kb_sysv_available(char *why, size_t len)
{
	if (!kb_sysv_msgmax())
		return kb_err(-errno, why, len, "msgctl IPC_INFO");
	return 0;
}

const struct kb_mech kb_mech_sysv_msg = {
	.name		= "sysv-msg",
	.desc		= "System V message queue (msgsnd/msgrcv)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_sysv_available,
	.setup		= kb_sysv_msg_setup,
	.teardown	= kb_sysv_msg_teardown,
	.tx_buf		= kb_sysv_msg_tx_buf,
	.send		= kb_sysv_msg_send,
	.recv		= kb_sysv_msg_recv,
};

const struct kb_mech kb_mech_sysv_shm = {
	.name		= "sysv-shm",
	.desc		= "System V shared memory + semaphores (shmat/semop)",
	.tests		= KB_ALL_TESTS,
	.modes		= KB_ALL_MODES,
	.available	= kb_sysv_available,
	.setup		= kb_sysv_shm_setup,
	.teardown	= kb_sysv_shm_teardown,
	.send		= kb_sysv_shm_send,
	.recv		= kb_sysv_shm_recv,
	.recv_done	= kb_sysv_shm_recv_done,
};
