// SPDX-License-Identifier: MIT
/*
 * group_rpc: an RPC service of a process group (kipc_group_add_service)
 * served by a pool of workers, and a client that kills them under its
 * calls. Run by kipc-run(1) with a "services" section (tools/vm/
 * kipc-group-tests has the file):
 *
 *   group_rpc -r server -s SERVICE [-t SERVICE2]
 *             a worker: serves SERVICE with the RPC server, one thread
 *             (and SERVICE2 with another server in a second thread);
 *             method 1 answers its pid, method 2 sleeps MS then does too
 *   group_rpc -r client -s SERVICE [-t SERVICE2] -p SUPERVISOR_PID
 *             the checks, one line each ("check NAME ok|FAIL detail"):
 *             pool: a second connection is served by the other worker
 *               while the first one's only thread is busy;
 *             reset: the worker of a connection SIGKILLed mid-call: the
 *               call fails with -ECONNRESET at once, so does a new one;
 *             survivor: the other worker's connection still answers;
 *             new-conn: a new connection is served;
 *             backlog: every worker SIGKILLed, then a connect: it waits
 *               in the backlog and is served after the restart;
 *             second: SERVICE2, when given, answers too.
 *             Exit status 1 when one failed.
 */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <kipc.h>
#include <kipc_group.h>
#include <kipc_rpc.h>

enum { M_PID = 1, M_SLEEP };

static int failed;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec in_ms(unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static int on_pid(struct kipc_rpc_req *req, void *arg)
{
	uint32_t pid = getpid();

	(void)arg;
	return kipc_rpc_reply(req, &pid, sizeof(pid));
}

static int on_sleep(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info ri;
	uint32_t ms = 0;

	kipc_rpc_req_info(req, &ri);
	if (ri.len == sizeof(ms))
		memcpy(&ms, ri.data, sizeof(ms));
	usleep(ms * 1000);
	return on_pid(req, arg);
}

static int serve(struct kipc_group_worker *w, const char *service,
		 struct kipc_rpc_server **sp)
{
	int ret = kipc_group_worker_service(w, service, NULL, sp);

	if (ret < 0) {
		fprintf(stderr, "group_rpc: %s: %s\n", service, strerror(-ret));
		return ret;
	}
	kipc_rpc_server_register(*sp, M_PID, on_pid, NULL);
	kipc_rpc_server_register(*sp, M_SLEEP, on_sleep, NULL);
	return 0;
}

static void *run_thread(void *s)
{
	kipc_rpc_server_run(s);		/* until SIGTERM */
	return NULL;
}

static int server(const char *service, const char *second)
{
	struct kipc_rpc_server *s = NULL, *s2 = NULL;
	struct kipc_group_worker *w;
	pthread_t tid;
	int ret;

	ret = kipc_group_worker_open(&w);
	if (ret < 0) {
		fprintf(stderr, "group_rpc: worker_open: %s\n", strerror(-ret));
		return 1;
	}
	ret = serve(w, service, &s);
	if (!ret && second && !serve(w, second, &s2) &&
	    pthread_create(&tid, NULL, run_thread, s2)) {
		kipc_rpc_server_destroy(s2);
		s2 = NULL;
	}
	if (!ret)
		ret = kipc_rpc_server_run(s);	/* until SIGTERM */
	if (s2) {		/* SIGTERM stops both */
		pthread_join(tid, NULL);
		kipc_rpc_server_destroy(s2);
	}
	if (s)
		kipc_rpc_server_destroy(s);
	kipc_group_worker_close(w);
	return ret < 0 || (second && !s2);
}

static void check(const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("check %s %s ", name, ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failed = 1;
}

/* Method M_PID on @c: the serving worker's pid, or a negative errno. */
static int call_pid(struct kipc_rpc_client *c)
{
	struct timespec dl = in_ms(10000);
	uint32_t pid = 0;
	struct kipc_rpc_msg rep = { .data = &pid, .len = sizeof(pid) };
	int ret = kipc_rpc_call(c, M_PID, NULL, &rep, 0, &dl);

	return ret < 0 ? ret : (int)pid;
}

/* Send @sig to every child of @ppid; their pids in @pids (at most @max). */
static unsigned int children(pid_t ppid, int sig, pid_t *pids,
			     unsigned int max)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");
	char path[64], line[512], *p;
	int pid, parent;
	FILE *f;

	while (d && (de = readdir(d)) && n < max) {
		pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
		fclose(f);
		if (p && sscanf(p + 1, " %*c %d", &parent) == 1 &&
		    parent == ppid && !kill(pid, sig))
			pids[n++] = pid;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * Until a thread of process @pid sleeps in (clock_)nanosleep, method 2's
 * handler, 5 s at most: 1 when one did. A worker idle in its receive
 * sleeps too, in an ioctl, so the state letter would not tell them apart.
 */
static int in_handler(pid_t pid)
{
	char path[96], line[64];
	struct dirent *de;
	int i, nr, found = 0;
	DIR *d;
	FILE *f;

	for (i = 0; i < 5000 && !found; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		d = opendir(path);
		while (d && (de = readdir(d)) && !found) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall",
				 pid, atoi(de->d_name));
			f = fopen(path, "re");
			if (f && fgets(line, sizeof(line), f) &&
			    sscanf(line, "%d", &nr) == 1)
				found = nr == SYS_clock_nanosleep ||
					nr == SYS_nanosleep;
			if (f)
				fclose(f);
		}
		if (d)
			closedir(d);
		if (!found)
			usleep(1000);
	}
	return found;
}

static int client(const char *service, const char *second, pid_t supervisor)
{
	struct kipc_rpc_client *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	struct kipc_rpc_client *e = NULL;
	struct kipc_rpc_completion comp;
	struct kipc_rpc_msg req, rep;
	uint32_t ms = 5000, pid_rep = 0;
	struct timespec dl;
	pid_t killed[8];
	int pa, pb, pc, pd, ret;
	unsigned int i, n;
	struct kipc *k;
	uint64_t t0;

	memset(&comp, 0, sizeof(comp));
	ret = kipc_open(&k, 0);
	if (ret < 0) {
		fprintf(stderr, "group_rpc: kipc_open: %s\n", strerror(-ret));
		return 1;
	}
	/* pool: B is accepted by the other worker while A's is busy. */
	dl = in_ms(10000);
	ret = kipc_rpc_connect(k, service, 0, &dl, &a);
	pa = ret < 0 ? ret : call_pid(a);
	if (pa <= 0) {
		check("pool", 0, "first connection: %s", strerror(-pa));
		return 1;
	}
	memset(&req, 0, sizeof(req));
	memset(&rep, 0, sizeof(rep));
	req.data = &ms;
	req.len = sizeof(ms);
	rep.data = &pid_rep;
	rep.len = sizeof(pid_rep);
	dl = in_ms(10000);
	ret = kipc_rpc_submit(a, M_SLEEP, &req, &rep, 0, &dl, 1, NULL);
	if (!ret && !in_handler(pa))
		fprintf(stderr, "group_rpc: worker %d not in its handler after 5 s\n",
			pa);
	dl = in_ms(10000);
	ret = ret < 0 ? ret : kipc_rpc_connect(k, service, 0, &dl, &b);
	pb = ret < 0 ? ret : call_pid(b);
	check("pool", pb > 0 && pb != pa, "A served by %d, B by %d", pa, pb);
	if (pb <= 0)
		return 1;

	/* reset: A's worker SIGKILLed while it runs A's call. */
	t0 = now_ms();
	kill(pa, SIGKILL);
	dl = in_ms(10000);
	n = kipc_rpc_complete(a, &comp, 1, 0, &dl);
	check("reset", n == 1 && comp.status == -ECONNRESET &&
	      now_ms() - t0 < 2000,
	      "in-flight call: %d completion, status %d (%s) after %llu ms, deadline 10000 ms",
	      (int)n, comp.status, strerror(-comp.status),
	      (unsigned long long)(now_ms() - t0));
	t0 = now_ms();
	ret = call_pid(a);
	check("reset-new-call", ret == -ECONNRESET && now_ms() - t0 < 2000,
	      "a new call on A: %d (%s)", ret, strerror(-ret));

	/* survivor: B's worker still answers. */
	ret = call_pid(b);
	check("survivor", ret == pb, "B's call: %d", ret);

	/* new-conn: served by the survivor or A's replacement. */
	dl = in_ms(10000);
	ret = kipc_rpc_connect(k, service, 0, &dl, &c);
	pc = ret < 0 ? ret : call_pid(c);
	check("new-conn", pc > 0 && pc != pa, "C served by %d (%s)", pc,
	      pc < 0 ? strerror(-pc) : "ok");

	/* backlog: no worker left; a connect waits for the restart. */
	for (i = 0; i < 100 && children(supervisor, 0, killed, 8) < 2; i++)
		usleep(50000);	/* A's replacement is started */
	n = children(supervisor, SIGKILL, killed, 8);
	t0 = now_ms();
	dl = in_ms(15000);
	ret = kipc_rpc_connect(k, service, 0, &dl, &d);
	pd = ret < 0 ? ret : call_pid(d);
	for (i = 0; i < n && pd > 0; i++)
		if (killed[i] == pd)
			pd = -ESRCH;
	check("backlog", n >= 2 && pd > 0 && now_ms() - t0 >= 200,
	      "%u workers killed; connect served by %d after %llu ms", n, pd,
	      (unsigned long long)(now_ms() - t0));

	/* second: the other service of the same workers. */
	if (second) {
		dl = in_ms(10000);
		ret = kipc_rpc_connect(k, second, 0, &dl, &e);
		ret = ret < 0 ? ret : call_pid(e);
		check("second", ret > 0, "%s served by %d", second, ret);
	}

	kipc_rpc_client_close(e);
	kipc_rpc_client_close(d);
	kipc_rpc_client_close(c);
	kipc_rpc_client_close(b);
	kipc_rpc_client_close(a);
	kipc_close(k);
	return failed;
}

int main(int argc, char **argv)
{
	const char *role = NULL, *service = NULL, *second = NULL;
	pid_t supervisor = 0;
	int opt;

	while ((opt = getopt(argc, argv, "r:s:t:p:")) != -1) {
		switch (opt) {
		case 'r': role = optarg; break;
		case 's': service = optarg; break;
		case 't': second = optarg; break;
		case 'p': supervisor = atoi(optarg); break;
		default: role = NULL; optind = argc; break;
		}
	}
	if (role && service && !strcmp(role, "server"))
		return server(service, second);
	if (role && service && supervisor > 0 && !strcmp(role, "client"))
		return client(service, second, supervisor);
	fprintf(stderr, "usage: group_rpc -r server -s SERVICE [-t SERVICE2]\n"
			"       group_rpc -r client -s SERVICE [-t SERVICE2] -p SUPERVISOR_PID\n");
	return 2;
}
