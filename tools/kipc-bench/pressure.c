// SPDX-License-Identifier: GPL-2.0
/*
 * --memory-pressure PCT: a child process that holds PCT% of the memory the
 * kernel calls available (MemAvailable) as touched anonymous memory while
 * the rows run, so that what the rows allocate (region pages, pipe
 * buffers, page cache) comes from a machine with little free memory, where
 * the kernel reclaims as it goes. Then it sleeps: it takes no CPU from the
 * rows. The child dies with kipc-bench (PR_SET_PDEATHSIG) or when
 * kb_pressure_stop() kills it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "kipc-bench.h"

/* MemAvailable of /proc/meminfo in bytes, or 0. */
static uint64_t kb_mem_available(void)
{
	unsigned long long kib = 0;
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib * 1024;
}

/* Touch @bytes of anonymous memory, tell @ready, then hold it. */
static void kb_pressure_child(size_t bytes, int ready)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p;
	size_t off;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL))
		_exit(1);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(1);
	for (off = 0; off < bytes; off += page)
		p[off] = 1;
	if (write(ready, "", 1) != 1)
		_exit(1);
	close(ready);
	for (;;)
		pause();
}

/**
 * kb_pressure_start() - hold @pct percent of the available memory
 * @pct: 1 to 95
 * @held: out: bytes held
 *
 * Return: the child's pid (for kb_pressure_stop()) once it holds the
 * memory, or -errno (-ENOMEM: the child could not map or touch it).
 */
pid_t kb_pressure_start(unsigned int pct, uint64_t *held)
{
	uint64_t avail = kb_mem_available();
	int fd[2], err;
	pid_t pid;
	char c;

	if (!avail)
		return -ENOENT;
	*held = avail / 100 * pct;
	if (pipe(fd))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fd[0]);
		close(fd[1]);
		return err;
	}
	if (!pid) {
		close(fd[0]);
		kb_pressure_child(*held, fd[1]);
	}
	close(fd[1]);
	/* Rows start once the memory is held: EOF means the child failed. */
	err = read(fd[0], &c, 1) == 1 ? 0 : -ENOMEM;
	close(fd[0]);
	if (err) {
		kb_pressure_stop(pid);
		return err;
	}
	return pid;
}

/* End the pressure of kb_pressure_start(); 0, or -ECHILD if it died. */
int kb_pressure_stop(pid_t pid)
{
	int status, alive = waitpid(pid, &status, WNOHANG) == 0;

	if (alive)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return alive ? 0 : -ECHILD;
}
