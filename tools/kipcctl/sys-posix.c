// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl sys mqueue|posix-shm: POSIX message queues, from the mqueue file
 * system (mounted at /dev/mqueue, or wherever /proc/self/mountinfo says),
 * and POSIX shared memory, the files of /dev/shm with the processes that
 * map them or hold them open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kipcctl.h"
#include "sys.h"

#define SHM_PATH	"/dev/shm"

/* Where the mqueue file system is mounted: 0, or -ENOENT when nowhere. */
int sys_mqueue_mount(char *dir, size_t size)
{
	char line[PATH_MAX + 256], mnt[PATH_MAX], fstype[64];
	const char *sep;
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE ... */
	while (fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep, " - %63s", fstype) != 1 ||
		    strcmp(fstype, "mqueue") ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		/* The first one, or /dev/mqueue when it is one of them. */
		if (ret || !strcmp(mnt, "/dev/mqueue"))
			snprintf(dir, size, "%s", mnt);
		ret = 0;
	}
	fclose(f);
	return ret;
}

struct mq_status {
	long long qsize, notify, signo, notify_pid;
};

/* "QSIZE:N NOTIFY:N SIGNO:N NOTIFY_PID:N"; 0 or -errno (not readable). */
static int read_mq(const char *path, struct mq_status *m)
{
	char buf[256];
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	if (sscanf(buf, "QSIZE:%lld NOTIFY:%lld SIGNO:%lld NOTIFY_PID:%lld",
		   &m->qsize, &m->notify, &m->signo, &m->notify_pid) != 4)
		return -EINVAL;
	return 0;
}

int sys_mqueue_each(int (*cb)(const char *name, long long qsize, void *arg),
		    void *arg, unsigned int *unreadable)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct mq_status m;
	struct dirent *d;
	int ret;
	DIR *mq;

	ret = sys_mqueue_mount(dir, sizeof(dir));
	if (ret)
		return ret;
	mq = opendir(dir);
	if (!mq)
		return -errno;
	while (!ret && (d = readdir(mq))) {
		if (sys_dot_entry(d->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (!read_mq(path, &m))
			ret = cb(d->d_name, m.qsize, arg);
		else
			++*unreadable;
	}
	closedir(mq);
	return ret < 0 ? ret : 0;
}

static void print_mq(const char *name, const struct stat *st,
		     const struct mq_status *m, int readable, size_t row)
{
	if (json) {
		printf("%s{\"name\":", row ? "," : "");
		sys_str(name);
		printf(",\"uid\":%u,\"gid\":%u,\"perms\":\"%04o\"",
		       (unsigned int)st->st_uid, (unsigned int)st->st_gid,
		       (unsigned int)(st->st_mode & 07777));
		if (readable)
			printf(",\"qsize\":%lld,\"notify\":%lld,\"signo\":%lld,"
			       "\"notify_pid\":%lld", m->qsize, m->notify,
			       m->signo, m->notify_pid);
		else
			printf(",\"qsize\":null,\"notify\":null,\"signo\":null,"
			       "\"notify_pid\":null");
		printf("}");
		return;
	}
	if (!row)
		printf("%-24s %-6s %-6s %-5s %10s %6s %5s %10s\n", "NAME", "UID",
		       "GID", "PERMS", "QSIZE", "NOTIFY", "SIGNO",
		       "NOTIFY_PID");
	printf("/");
	sys_str(name);
	printf("%*s %-6u %-6u %04o ", (int)(strlen(name) < 23 ?
	       23 - strlen(name) : 0), "", (unsigned int)st->st_uid,
	       (unsigned int)st->st_gid, (unsigned int)(st->st_mode & 07777));
	if (readable)
		printf(" %10lld %6lld %5lld %10lld\n", m->qsize, m->notify,
		       m->signo, m->notify_pid);
	else
		printf(" %10s %6s %5s %10s\n", "-", "-", "-", "-");
}

int sys_mqueue(void)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct mq_status m;
	struct dirent *d;
	struct stat st;
	size_t rows = 0;
	DIR *mq;
	int ret;

	ret = sys_mqueue_mount(dir, sizeof(dir));
	if (json) {
		printf(",\"mqueue_mount\":");
		if (ret)
			printf("null");
		else
			sys_str(dir);
	}
	sys_section("posix_mqueue", ret ? "POSIX message queues (mqueue is not mounted: mount -t mqueue none /dev/mqueue)" :
		    "POSIX message queues");
	if (ret) {
		sys_section_end(rows);
		return ret == -ENOENT ? 0 : ret;
	}
	if (!json)
		printf("(from %s)\n", dir);
	mq = opendir(dir);
	if (!mq) {
		ret = -errno;
		sys_section_end(rows);
		return ret;
	}
	while ((d = readdir(mq))) {
		if (sys_dot_entry(d->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		print_mq(d->d_name, &st, &m, !read_mq(path, &m), rows++);
	}
	closedir(mq);
	sys_section_end(rows);
	return 0;
}

static void print_shm(const char *name, const struct stat *st,
		      const struct sys_scan *s, size_t row)
{
	const struct sys_fd *maps, *open;
	size_t nmaps, nopen;

	maps = sys_scan_find(s, SYS_FD_SHM_MAP, st->st_dev, st->st_ino,
			     &nmaps);
	open = sys_scan_find(s, SYS_FD_SHM, st->st_dev, st->st_ino, &nopen);
	if (json) {
		printf("%s{\"name\":", row ? "," : "");
		sys_str(name);
		printf(",\"size\":%lld,\"uid\":%u,\"gid\":%u,\"perms\":\"%04o\","
		       "\"inode\":%llu,\"mapped_by\":",
		       (long long)st->st_size, (unsigned int)st->st_uid,
		       (unsigned int)st->st_gid,
		       (unsigned int)(st->st_mode & 07777),
		       (unsigned long long)st->st_ino);
		sys_pids(maps, nmaps, NULL);
		printf(",\"open_by\":");
		sys_pids(open, nopen, NULL);
		printf("}");
		return;
	}
	if (!row)
		printf("%-24s %12s %-6s %-5s %-24s %s\n", "NAME", "SIZE", "UID",
		       "PERMS", "MAPPED_BY", "OPEN_BY");
	sys_str(name);
	printf("%*s %12lld %-6u %04o  ", (int)(strlen(name) < 24 ?
	       24 - strlen(name) : 0), "", (long long)st->st_size,
	       (unsigned int)st->st_uid, (unsigned int)(st->st_mode & 07777));
	sys_pids(maps, nmaps, NULL);
	printf(" ");
	sys_pids(open, nopen, NULL);
	printf("\n");
}

int sys_posix_shm(const struct sys_scan *s)
{
	char path[PATH_MAX];
	struct dirent *d;
	struct stat st;
	size_t rows = 0;
	DIR *shm;
	int ret;

	sys_section("posix_shm", "POSIX shared memory (" SHM_PATH ")");
	shm = opendir(SHM_PATH);
	if (!shm) {
		ret = -errno;
		sys_section_end(rows);
		return ret == -ENOENT ? 0 : ret;
	}
	while ((d = readdir(shm))) {
		snprintf(path, sizeof(path), SHM_PATH "/%s", d->d_name);
		if (lstat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		print_shm(d->d_name, &st, s, rows++);
	}
	closedir(shm);
	sys_section_end(rows);
	return 0;
}
