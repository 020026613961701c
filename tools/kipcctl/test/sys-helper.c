// SPDX-License-Identifier: GPL-2.0
/*
 * sys-helper: makes the IPC objects test-sys.sh expects kipcctl sys to
 * find, writes what it made as "KEY VALUE" lines to stdout (then closes
 * it), and for the kinds that need a holder waits to be killed.
 *   msg                 a SysV queue with 2 messages (10 and 20 bytes)
 *   shm                 a 64 KiB SysV segment, attached
 *   shm-detached        an 8 KiB SysV segment nobody attaches, its creator
 *                       (this process) alive
 *   mq NAME             a POSIX queue with one 17-byte message
 *   mq-unlink NAME      remove it
 *   map NAME            /dev/shm/NAME of 8 KiB, mapped (its fd closed)
 *   eventfd             an eventfd held by this process (with 200 locks
 *                       on it) and a child
 *   socketpair          a Unix stream socket pair
 * and the problems kipcctl sys check must find (the helper then exits):
 *   orphan-shm          a SysV segment nobody attaches, its creator gone
 *   full-msg            a SysV queue filled to its qbytes (lowered to 64)
 *   full-mq NAME        a POSIX queue filled to its maxmsg (2)
 * and, for a guest without ipcrm (busybox has none):
 *   rm-shm ID, rm-msg ID  remove a System V segment or queue
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>

static void done(void)
{
	fflush(stdout);
	fclose(stdout);
}

static void hold(void)
{
	done();
	for (;;)
		pause();
}

static int make_msg(void)
{
	struct { long type; char text[20]; } m = { .type = 1 };
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	if (id < 0 || msgsnd(id, &m, 10, 0) || msgsnd(id, &m, 20, 0))
		return 1;
	printf("id %d\npid %d\n", id, (int)getpid());
	done();
	return 0;
}

static int make_shm(void)
{
	int id = shmget(IPC_PRIVATE, 65536, IPC_CREAT | 0600);

	if (id < 0 || shmat(id, NULL, 0) == (void *)-1)
		return 1;
	printf("id %d\npid %d\n", id, (int)getpid());
	hold();
	return 0;
}

static int make_shm_detached(void)
{
	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);

	if (id < 0)
		return 1;
	printf("id %d\npid %d\n", id, (int)getpid());
	hold();
	return 0;
}

static int make_mq(const char *name)
{
	struct mq_attr a = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_WRONLY, 0600, &a);

	if (q == (mqd_t)-1 || mq_send(q, "seventeen bytes!!", 17, 0))
		return 1;
	mq_close(q);
	printf("qsize 17\n");
	done();
	return 0;
}

static int make_map(const char *name)
{
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);

	if (fd < 0 || ftruncate(fd, 8192) ||
	    mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	    MAP_FAILED)
		return 1;
	close(fd);
	printf("pid %d\nsize 8192\n", (int)getpid());
	hold();
	return 0;
}

/*
 * 200 POSIX locks on eventfd @fd, at a random place: 0, or -1 (errno)
 * when another process holds one of them, none of them kept. Every
 * eventfd is one inode, whose locks all processes share: at getpid() *
 * 512 another run's helper in a pid namespace of its own (a container's)
 * had the same pid and took the same offsets (review s46, 8).
 */
static int lock_eventfd(int fd)
{
	struct flock l = { .l_whence = SEEK_SET, .l_len = 1 };
	off_t base;
	uint64_t r;
	int i, err;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		return -1;
	/* A multiple of 512 that leaves room in off_t (32 bits or 64). */
	base = (off_t)(r % ((1ULL << (sizeof(off_t) * 8 - 2)) / 512)) * 512;
	for (i = 0; i < 200; i++) {
		l.l_type = F_WRLCK;
		l.l_start = base + 2 * i;
		if (fcntl(fd, F_SETLK, &l)) {
			err = errno;
			l.l_type = F_UNLCK;
			l.l_start = base;
			l.l_len = 400;
			fcntl(fd, F_SETLK, &l);
			errno = err;
			return -1;
		}
	}
	return 0;
}

static int make_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC), i;
	pid_t child;

	if (fd < 0)
		return 1;
	/*
	 * 200 POSIX locks on it (this process's only: a child inherits
	 * none): fdinfo lists each before the eventfd's id, 11 KB of lines,
	 * so the id is found only by a reader of the whole file.
	 */
	for (i = 0; lock_eventfd(fd); i++)
		if (i == 10 || (errno != EAGAIN && errno != EACCES))
			return 1;
	child = fork();
	if (child < 0)
		return 1;
	if (!child) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	printf("pid %d\nchild %d\n", (int)getpid(), (int)child);
	hold();
	return 0;
}

static int make_socketpair(void)
{
	struct stat a, b;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || fstat(sv[0], &a) ||
	    fstat(sv[1], &b))
		return 1;
	printf("pid %d\ninode0 %llu\ninode1 %llu\n", (int)getpid(),
	       (unsigned long long)a.st_ino, (unsigned long long)b.st_ino);
	hold();
	return 0;
}

static int make_orphan_shm(void)
{
	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);

	if (id < 0)
		return 1;
	printf("id %d\n", id);
	done();
	return 0;
}

static int make_full_msg(void)
{
	struct { long type; char text[16]; } m = { .type = 1 };
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	struct msqid_ds ds;

	if (id < 0 || msgctl(id, IPC_STAT, &ds))
		return 1;
	ds.msg_qbytes = 64;
	if (msgctl(id, IPC_SET, &ds))
		return 1;
	while (!msgsnd(id, &m, sizeof(m.text), IPC_NOWAIT))
		;
	printf("id %d\n", id);
	done();
	return 0;
}

static int make_full_mq(const char *name)
{
	struct mq_attr a = { .mq_maxmsg = 2, .mq_msgsize = 16 };
	mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_WRONLY, 0600, &a);

	if (q == (mqd_t)-1 || mq_send(q, "a", 1, 0) || mq_send(q, "b", 1, 0))
		return 1;
	mq_close(q);
	printf("name %s\n", name);
	done();
	return 0;
}

/*
 * Map a file whose path is so long that /proc/PID/maps shows it past a
 * 4224-byte line buffer, with a component "a b c DEV INO " then
 * "dev/shm/NAME": read in pieces, the line's tail looks like a mapping of
 * /dev/shm/NAME (device DEV, inode INO). The path is at offset 73 of a
 * maps line (64-bit), so the component starts 4150 bytes into it.
 */
#define LONG_MAP_AT	(4224 - 1 - 73)

static int make_long_map(const char *dir, const char *devino,
			 const char *name)
{
	char comp[256], real[PATH_MAX];
	size_t len, n;
	int fd;

	if (!realpath(dir, real) || chdir(real))
		return 1;
	len = strlen(real);
	memset(comp, 'd', 200);
	comp[200] = '\0';
	while (LONG_MAP_AT - len - 1 > 250) {
		if (mkdir(comp, 0700) || chdir(comp))
			return 1;
		len += 201;
	}
	n = LONG_MAP_AT - len - 2;	/* then "/" and the next component */
	memset(comp, 'p', n);
	comp[n] = '\0';
	if (mkdir(comp, 0700) || chdir(comp))
		return 1;
	snprintf(comp, sizeof(comp), "a b c %s ", devino);
	if (mkdir(comp, 0700) || chdir(comp) || mkdir("dev", 0700) ||
	    chdir("dev") || mkdir("shm", 0700) || chdir("shm"))
		return 1;
	fd = open(name, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, 4096) ||
	    mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED)
		return 1;
	printf("pid %d\n", (int)getpid());
	hold();
	return 0;
}

/* Run a command as @uid and @gid, without supplementary groups. */
static int run_as(const char *uid, const char *gid, char **cmd)
{
	if (setgroups(0, NULL) || setgid(atoi(gid)) || setuid(atoi(uid)))
		return 126;
	execvp(cmd[0], cmd);
	return 127;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "run-as"))
		return run_as(argv[2], argv[3], argv + 4);
	if (argc == 2 && !strcmp(argv[1], "orphan-shm"))
		return make_orphan_shm();
	if (argc == 2 && !strcmp(argv[1], "full-msg"))
		return make_full_msg();
	if (argc == 3 && !strcmp(argv[1], "full-mq"))
		return make_full_mq(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "rm-shm"))
		return shmctl(atoi(argv[2]), IPC_RMID, NULL) ? 1 : 0;
	if (argc == 3 && !strcmp(argv[1], "rm-msg"))
		return msgctl(atoi(argv[2]), IPC_RMID, NULL) ? 1 : 0;
	if (argc == 2 && !strcmp(argv[1], "msg"))
		return make_msg();
	if (argc == 2 && !strcmp(argv[1], "shm"))
		return make_shm();
	if (argc == 2 && !strcmp(argv[1], "shm-detached"))
		return make_shm_detached();
	if (argc == 3 && !strcmp(argv[1], "mq"))
		return make_mq(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "mq-unlink"))
		return mq_unlink(argv[2]) ? 1 : 0;
	if (argc == 3 && !strcmp(argv[1], "map"))
		return make_map(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "long-map"))
		return make_long_map(argv[2], argv[3], argv[4]);
	if (argc == 2 && !strcmp(argv[1], "eventfd"))
		return make_eventfd();
	if (argc == 2 && !strcmp(argv[1], "socketpair"))
		return make_socketpair();
	fprintf(stderr, "usage: sys-helper msg|shm|shm-detached|mq NAME|run-as UID GID CMD...|mq-unlink NAME|map NAME|eventfd|socketpair|orphan-shm|full-msg|full-mq NAME|rm-shm ID|rm-msg ID|long-map DIR DEV:INO NAME\n");
	return 2;
}
