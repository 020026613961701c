// SPDX-License-Identifier: GPL-2.0
/*
 * Region pages and memory cgroups: a region's pages are shmem pages,
 * charged to the memory cgroup of the task that first faults each one in,
 * not to the region's creator: a region does not let a task confined by
 * memory.max put its memory on another cgroup's account. (Going over the
 * limit OOM-kills inside the cgroup, as for any shmem; the test stays under
 * it, since the OOM report would count as a kernel report here.)
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kipc_test.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define CG_DIR		CG_ROOT "/kipc-region-memcg"
#define CG_LIMIT	(32UL << 20)
#define REGION_BYTES	(16UL << 20)
#define HALF		(REGION_BYTES / 2)

static int cg_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* The value of "key N" in a cgroup file, or -1. */
static long long cg_key(const char *path, const char *key)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen(path, "r");
	size_t len = strlen(key);

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ' ')
			v = atoll(line + len + 1);
	fclose(f);
	return v;
}

/* Whether cgroup v2 with the memory controller is at CG_ROOT. */
static int cg_memory_ready(void)
{
	char buf[512] = "";
	ssize_t n;
	int fd;

	mkdir(CG_ROOT, 0755);
	fd = open(CG_ROOT "/cgroup.controllers", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
			return 0;
		fd = open(CG_ROOT "/cgroup.controllers", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || !strstr(buf, "memory"))
		return 0;
	return cg_write(CG_ROOT "/cgroup.subtree_control", "+memory") == 0;
}

FIXTURE(memcg) {
	int ctx;
	int region;
};

FIXTURE_SETUP(memcg)
{
	char val[32];

	self->region = -1;
	kipc_test_open(self->ctx);
	kipc_test_require(self->ctx, KIPC_FEATURE_REGION);
	if (geteuid() != 0)
		SKIP(return, "needs root to configure cgroups");
	if (!cg_memory_ready())
		SKIP(return, "no cgroup v2 memory controller in this kernel");
	rmdir(CG_DIR);
	ASSERT_EQ(0, mkdir(CG_DIR, 0755));
	snprintf(val, sizeof(val), "%lu", CG_LIMIT);
	ASSERT_EQ(0, cg_write(CG_DIR "/memory.max", val));
	cg_write(CG_DIR "/memory.swap.max", "0");
	/* Created by this task, outside the limited cgroup. */
	self->region = kt_region_create(self->ctx, REGION_BYTES, 0,
					KIPC_FD_CLOEXEC, NULL);
	ASSERT_LE(0, self->region);
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->region >= 0)
		close(self->region);
	close(self->ctx);
	rmdir(CG_DIR);
}

/* Fault in the pages of [@off, @off + @len) of the region; exit on error. */
static void touch_region(int fd, size_t off, size_t len)
{
	char *p = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	size_t i;

	if (p == MAP_FAILED)
		_exit(2);
	for (i = off; i < off + len; i += 4096)
		p[i] = 1;
	munmap(p, REGION_BYTES);
}

TEST_F(memcg, faulting_task_is_charged)
{
	long long before, after, mine, file;
	char pid[32];
	int status;
	pid_t child;

	before = cg_key(CG_DIR "/memory.stat", "shmem");
	ASSERT_LE(0, before);
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		snprintf(pid, sizeof(pid), "%d", getpid());
		if (cg_write(CG_DIR "/cgroup.procs", pid))
			_exit(3);
		touch_region(self->region, 0, HALF);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* The confined child faulted HALF: its cgroup pays for it. */
	after = cg_key(CG_DIR "/memory.stat", "shmem");
	EXPECT_LE(before + (long long)HALF, after);
	file = cg_key(CG_DIR "/memory.stat", "file");
	ASSERT_LE(0, file) TH_LOG("no \"file\" in memory.stat");
	EXPECT_GE((long long)CG_LIMIT, file);

	/* The creator faults the other half: not charged to the child's. */
	touch_region(self->region, HALF, HALF);
	mine = cg_key(CG_DIR "/memory.stat", "shmem");
	EXPECT_GT(after + (long long)HALF, mine);
}

KIPC_TEST_MAIN
