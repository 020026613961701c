/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a test leaves behind, undone before the next test and when the
 * program ends: the settings it changed and the processes it left
 * running. Included by kipc_test.h (every selftest) and by libkipc's
 * guest tests that set module parameters. Each file that includes it
 * takes a snapshot of its own; they hold the same values, so the first to
 * restore does it all.
 */
#ifndef KT_LEFTOVERS_H
#define KT_LEFTOVERS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define KT_PARAM_DIR	"/sys/module/kipc/parameters/"

/* Read file @path into @val, trailing newlines stripped: 0 or -errno. */
static inline int kt_file_get(const char *path, char *val, size_t size)
{
	ssize_t n;
	int f;

	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, val, size - 1);
	close(f);
	if (n < 0)
		return -errno;
	while (n > 0 && val[n - 1] == '\n')
		n--;
	val[n] = '\0';
	return 0;
}

/* Write @val to file @path: 0 or -errno. */
static inline int kt_file_set(const char *path, const char *val)
{
	ssize_t n;
	int f;

	f = open(path, O_WRONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = write(f, val, strlen(val));
	close(f);
	return n < 0 ? -errno : 0;
}

/* Read module parameter @name into @val: 0 or -errno. */
static inline int kt_param_get(const char *name, char *val, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), KT_PARAM_DIR "%s", name);
	return kt_file_get(path, val, size);
}

static inline int kt_param_set(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), KT_PARAM_DIR "%s", name);
	return kt_file_set(path, val);
}

/*
 * The settings tests change (the module's writable parameters and
 * fs.file-max) as the program found them, written back before each test
 * and when the program ends, and the processes a test left running
 * killed then. A test restores what it changes and stops what it starts
 * in its teardown, but the harness never runs that teardown for a test it
 * killed at its timeout, nor (the 6.12 harness built with -O2) after a
 * failed ASSERT: without this, the later tests would run with that test's
 * settings and beside its servers, and fail for a reason not their own.
 * Only the harness's own process acts (it forks each test into a process
 * group of its own; a test's processes must not), and it says on stderr
 * what it restored.
 */
#define KT_SETTING_PATH	(sizeof(KT_PARAM_DIR) + 256)

struct kt_setting {
	char path[KT_SETTING_PATH];
	char val[64];
};

static struct kt_setting kt_settings[64];
static int kt_nsettings;
static pid_t kt_harness_pid;
static pid_t *kt_last_test;	/* shared: the harness's last test process */

static inline void kt_setting_save(const char *path)
{
	struct kt_setting *s = &kt_settings[kt_nsettings];

	if (kt_nsettings == (int)(sizeof(kt_settings) / sizeof(*s)) ||
	    access(path, W_OK))
		return;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (!kt_file_get(path, s->val, sizeof(s->val)))
		kt_nsettings++;
}

/* In every child a fork makes: the harness's test processes say so. */
static void kt_test_forked(void)
{
	if (kt_last_test && getppid() == kt_harness_pid)
		*kt_last_test = getpid();
}

__attribute__((destructor)) static void kt_leftovers_undo(void)
{
	char now[64];
	int i;

	if (getpid() != kt_harness_pid)
		return;
	if (kt_last_test && *kt_last_test > 0) {
		kill(-*kt_last_test, SIGKILL);
		*kt_last_test = 0;
	}
	for (i = 0; i < kt_nsettings; i++) {
		struct kt_setting *s = &kt_settings[i];

		if (kt_file_get(s->path, now, sizeof(now)) ||
		    !strcmp(now, s->val))
			continue;
		fprintf(stderr, "# %s left at %s: %s %s\n", s->path, now,
			kt_file_set(s->path, s->val) ? "could not restore" :
			"restored", s->val);
	}
}

__attribute__((constructor)) static void kt_leftovers_save(void)
{
	char path[KT_SETTING_PATH];
	struct dirent *e;
	void *p;
	DIR *d;

	kt_harness_pid = getpid();
	p = mmap(NULL, sizeof(*kt_last_test), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		kt_last_test = p;
	pthread_atfork(kt_leftovers_undo, NULL, kt_test_forked);
	kt_setting_save("/proc/sys/fs/file-max");
	d = opendir(KT_PARAM_DIR);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), KT_PARAM_DIR "%s", e->d_name);
		kt_setting_save(path);
	}
	closedir(d);
}

#endif /* KT_LEFTOVERS_H */
