// SPDX-License-Identifier: MIT
/*
 * group_pipeline: a process group (kipc_group_*) of a producer, a pool of
 * workers and a writer passing 1 MiB region buffers zero copy, pass-through
 * (the workers forward the producer's buffer) or compressed with zlib (-z);
 * workers can be SIGKILLed, hung or made to fail while it runs, and the
 * writer checks that every chunk arrived once (duplicates dropped by
 * sequence number) and that the output's CRC-32 is the expected one.
 *
 *   group_pipeline [-n WORKERS] [-c CHUNKS] [-z] [-k KILLS] [-i MS]
 *                  [-d MS] [-H] [-F] [-T MS] [-S MS] [-o FILE] [-q]
 *   -d MS     each worker takes MS per chunk (so that kills find work in hand)
 *   -k KILLS  SIGKILL a random worker KILLS times, every -i MS (default 30)
 *   -H        a worker hangs once (chunk 3 or later in hand): the watchdog
 *             must catch it
 *   -F        add a worker that always fails: the intensity limit stops all
 *   -T MS     SIGTERM the supervisor after MS: the group drains
 *   -S MS     SIGKILL the supervisor after MS: the workers drain alone
 *   -B        benchmark: the pipeline as a group (pass-through, zlib) and
 *             over pipes, in MiB/s
 *   group_pipeline -r producer|worker|writer [-c CHUNKS] [-z] [-d MS] [-o FILE]
 *             one worker, exec'd by a supervisor such as kipc-run(1)
 * The writer's verdict goes to FILE.result ("ok CHUNKS DUPS" or "FAIL ...");
 * the exit status is the group's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <kipc.h>
#include <kipc_group.h>

#define CHUNK		(1024 * 1024 - 512)	/* compressBound() fits 1 MiB */
#define BUF_SIZE	(1024 * 1024)

struct hdr {			/* the inline bytes of a "done" message */
	uint32_t zlib;
	uint32_t len;		/* uncompressed length */
};

static unsigned int nr_chunks = 32, nr_workers = 3, use_zlib, hang, quiet;
static unsigned int work_us;	/* -d: time each chunk takes a worker */
static unsigned int bench;	/* -B: only the chunk's number is written */
static unsigned int in_bench;	/* a group run by -B */
static const char *out_path = "/tmp/group_pipeline.out";

/* Chunk @seq's bytes: compressible text, different for every chunk. */
static void chunk_fill(uint8_t *p, uint64_t seq)
{
	static const char *words[] = { "kipc ", "zero ", "copy ", "queue ",
				       "buffer ", "region ", "worker ", "pid " };
	uint64_t x = seq * 0x9e3779b97f4a7c15ULL + 1;
	size_t i = 0;

	while (i < CHUNK) {
		const char *w;
		size_t n;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		w = words[x & 7];
		n = strlen(w);
		if (n > CHUNK - i)
			n = CHUNK - i;
		memcpy(p + i, w, n);
		i += n;
		if (!(x & 0x3f0) && i < CHUNK)
			p[i++] = '0' + seq % 10;
	}
}

static int producer(struct kipc_group_worker *w, void *arg)
{
	struct kipc_region *pool = kipc_group_worker_region(w, "pool");
	uint64_t seq, off;
	int ret;

	for (seq = 1; seq <= nr_chunks; seq++) {
		struct kipc_buf_ref ref;

		if (kipc_group_stopping(w))
			break;		/* drain: stop taking work */
		ret = kipc_buf_alloc(pool, &off);
		if (ret == -EINTR)
			break;
		if (ret < 0)
			return 1;
		if (bench)
			*(uint64_t *)kipc_buf_ptr(pool, off) = seq;
		else
			chunk_fill(kipc_buf_ptr(pool, off), seq);
		ref.offset = off;
		ref.len = CHUNK;
		/* The chunk's number is its sequence number: a restarted
		 * producer's repeats are dropped downstream. */
		ret = kipc_group_send(w, "work", NULL, 0, &ref, 1, seq);
		if (ret < 0) {
			kipc_buf_release(pool, off);
			if (ret == -EINTR)
				break;
			return 1;
		}
		kipc_group_beat(w);
	}
	return 0;
}

static int worker(struct kipc_group_worker *w, void *arg)
{
	struct kipc_region *pool = kipc_group_worker_region(w, "pool");
	struct kipc_group_msg m;
	int ret;

	while ((ret = kipc_group_recv(w, "work", &m)) > 0) {
		struct hdr h = { .zlib = use_zlib, .len = m.bufs[0].len };

		if (hang && m.seq >= 3 &&
		    open("/tmp/group_pipeline.hung", O_CREAT | O_EXCL, 0600) >= 0)
			for (;;)
				pause();	/* hung, with a chunk in hand */
		if (work_us)
			usleep(work_us);	/* a kill lands with work in hand */
		if (!use_zlib) {
			ret = kipc_group_forward(w, "done", &h, sizeof(h));
		} else {
			uLongf zlen = BUF_SIZE;
			struct kipc_buf_ref ref;
			uint64_t off;

			ret = kipc_buf_alloc(pool, &off);
			if (ret < 0)
				return 1;
			if (compress2(kipc_buf_ptr(pool, off), &zlen,
				      kipc_buf_ptr(m.region, m.bufs[0].offset),
				      m.bufs[0].len, 1) != Z_OK)
				return 1;
			ref.offset = off;
			ref.len = zlen;
			ret = kipc_group_send(w, "done", &h, sizeof(h), &ref, 1,
					      m.seq);
			if (ret < 0)
				kipc_buf_release(pool, off);
			else
				ret = kipc_group_ack(w);
		}
		if (ret < 0)
			return ret == -EINTR ? 0 : 1;
	}
	return ret < 0 ? 1 : 0;
}

static int failing(struct kipc_group_worker *w, void *arg)
{
	usleep(20000);
	return 3;
}

static void verdict(const char *fmt, ...)
{
	char path[256];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s.result", out_path);
	f = fopen(path, "w");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static int writer(struct kipc_group_worker *w, void *arg)
{
	uint8_t *seen = calloc(nr_chunks + 1, 1), *tmp = malloc(BUF_SIZE);
	uint8_t *expect = malloc(BUF_SIZE);
	unsigned long got = 0, dups = 0, max = 0, s;
	uLong crc = crc32(0, NULL, 0), want = crc32(0, NULL, 0);
	struct kipc_group_msg m;
	int fd, ret;

	fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || !seen || !tmp || !expect)
		return 1;
	while ((ret = kipc_group_recv(w, "done", &m)) > 0) {
		const struct hdr *h = m.data;
		const uint8_t *p = kipc_buf_ptr(m.region, m.bufs[0].offset);
		uLongf len = h->len;

		if (m.seq < 1 || m.seq > nr_chunks || m.nr_bufs != 1) {
			verdict("FAIL bad message seq %llu\n",
				(unsigned long long)m.seq);
			return 1;
		}
		if (bench && !seen[m.seq]) {	/* only the number is checked */
			if (*(const uint64_t *)p != m.seq) {
				verdict("FAIL chunk %llu holds another\n",
					(unsigned long long)m.seq);
				return 1;
			}
			seen[m.seq] = 1;
			got++;
			max = m.seq > max ? m.seq : max;
		} else if (seen[m.seq]) {
			dups++;		/* a redelivery's repeat */
		} else {
			if (h->zlib) {
				if (uncompress(tmp, &len, p, m.bufs[0].len) != Z_OK ||
				    len != h->len) {
					verdict("FAIL chunk %llu does not inflate\n",
						(unsigned long long)m.seq);
					return 1;
				}
				p = tmp;
			}
			if (pwrite(fd, p, len, (m.seq - 1) * (off_t)CHUNK) != (ssize_t)len)
				return 1;
			seen[m.seq] = 1;
			got++;
			if (m.seq > max)
				max = m.seq;
		}
		kipc_group_ack(w);
	}
	if (ret < 0) {
		verdict("FAIL recv: %s\n", strerror(-ret));
		return 1;
	}
	/* Every chunk up to the last one produced, each once, intact. */
	for (s = 1; s <= max && bench; s++)
		if (!seen[s]) {
			verdict("FAIL chunk %lu lost\n", s);
			return 1;
		}
	for (s = 1; s <= max && !bench; s++) {
		if (!seen[s]) {
			verdict("FAIL chunk %lu lost (%lu of %lu arrived)\n", s,
				got, max);
			return 1;
		}
		chunk_fill(expect, s);
		want = crc32(want, expect, CHUNK);
		if (pread(fd, tmp, CHUNK, (s - 1) * (off_t)CHUNK) != CHUNK)
			return 1;
		crc = crc32(crc, tmp, CHUNK);
	}
	close(fd);
	if (crc != want) {
		verdict("FAIL crc32 %08lx, expected %08lx\n", crc, want);
		return 1;
	}
	verdict("ok %lu %lu %08lx\n", got, dups, crc);
	if (!quiet)
		printf("writer: %lu chunks of %u bytes in order, crc32 %08lx "
		       "verified, %lu duplicates dropped\n", got, CHUNK, crc,
		       dups);
	return 0;
}

static void on_event(struct kipc_group *g, const struct kipc_group_event *ev,
		     void *arg)
{
	if (!quiet)
		printf("group: %s\n", ev->text);
	fflush(stdout);
}

/* A random running worker of the pool ("worker"), or 0. */
static pid_t random_worker(struct kipc_group *g)
{
	struct kipc_group_member mem;
	pid_t pids[64];
	unsigned int i, n = 0;

	for (i = 0; !kipc_group_member_info(g, i, &mem); i++)
		if (!strcmp(mem.worker, "worker") && mem.pid &&
		    mem.state == KIPC_MEMBER_RUNNING)
			pids[n++] = mem.pid;
	return n ? pids[rand() % n] : 0;
}

/* The same pipeline over pipes: each stage copies every chunk. */
static int pipe_pipeline(void)
{
	int a[2], b[2];
	pid_t pids[3];
	unsigned int i, st = 0;
	uint8_t *buf = malloc(BUF_SIZE);
	int status;

	if (!buf || pipe(a) || pipe(b))
		return 1;
	fcntl(a[1], F_SETPIPE_SZ, BUF_SIZE);
	fcntl(b[1], F_SETPIPE_SZ, BUF_SIZE);
	for (i = 0; i < 3; i++) {
		pids[i] = fork();
		if (pids[i])
			continue;
		for (uint64_t seq = 1; seq <= nr_chunks; seq++) {
			size_t n;
			ssize_t r;

			if (i > 0)	/* worker, writer: read a whole chunk */
				for (n = 0; n < CHUNK; n += r) {
					r = read(i == 1 ? a[0] : b[0], buf + n,
						 CHUNK - n);
					if (r <= 0)
						_exit(1);
				}
			else
				*(uint64_t *)buf = seq;
			if (i == 2) {
				if (*(uint64_t *)buf != seq)
					_exit(1);
				continue;
			}
			for (n = 0; n < CHUNK; n += r) {
				r = write(i == 0 ? a[1] : b[1], buf + n, CHUNK - n);
				if (r <= 0)
					_exit(1);
			}
		}
		_exit(0);
	}
	close(a[0]), close(a[1]), close(b[0]), close(b[1]);
	for (i = 0; i < 3; i++) {
		waitpid(pids[i], &status, 0);
		st |= !WIFEXITED(status) || WEXITSTATUS(status);
	}
	free(buf);
	return st;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * -B: the pipeline producer -> worker -> writer with 1 MiB chunks, once
 * as a group passing the buffers on (only each chunk's number written and
 * checked), once over pipes copying them, once as a group compressing
 * them with zlib (data generated and every byte checked). Returns 0 in the
 * child that is to run a group, 1 in the parent when done.
 */
static int bench_run(int *status)
{
	const char *names[] = { "kipc group, pass-through", "pipes, copying",
				"kipc group, zlib (+ generate, verify)" };
	double t[3], t0;
	unsigned int i;
	int st;

	printf("pipeline: producer -> worker -> writer, %u chunks of 1 MiB\n",
	       nr_chunks);
	for (i = 0; i < 3; i++) {
		pid_t pid;

		fflush(stdout);		/* or the children print it again */
		t0 = now_s();
		if (i == 1) {
			st = pipe_pipeline();
		} else {
			pid = fork();
			if (pid == 0) {
				bench = i == 0;
				use_zlib = i == 2;
				nr_workers = 1;
				quiet = 1;
				in_bench = 1;
				return 0;	/* the child runs the group */
			}
			waitpid(pid, &st, 0);
			st = !WIFEXITED(st) || WEXITSTATUS(st);
		}
		t[i] = now_s() - t0;
		printf("  %-40s %8.1f MiB/s %s\n", names[i], nr_chunks / t[i],
		       st ? "FAILED" : "");
		*status |= st;
	}
	printf("  kipc pass-through / pipes: %.1fx\n", t[1] / t[0]);
	return 1;
}

/*
 * -r ROLE: one worker of a group that kipc-run (or any supervisor) started
 * with this program as its command: the objects are inherited fds.
 */
static int run_role(const char *role)
{
	struct kipc_group_worker *w;
	int ret;

	ret = kipc_group_worker_open(&w);
	if (ret < 0) {
		fprintf(stderr, "group_pipeline -r %s: kipc_group_worker_open: %s\n",
			role, strerror(-ret));
		return 1;
	}
	if (!strcmp(role, "producer"))
		ret = producer(w, NULL);
	else if (!strcmp(role, "worker"))
		ret = worker(w, NULL);
	else if (!strcmp(role, "writer"))
		ret = writer(w, NULL);
	else
		ret = 2;
	kipc_group_worker_close(w);
	return ret;
}

int main(int argc, char **argv)
{
	struct kipc_group_attr ga = { .flags = KIPC_GROUP_SIGNALS,
				      .intensity = 50, .period_ms = 10000 };
	struct kipc_worker_attr wa;
	unsigned int kills = 0, kdone = 0, every = 30, term_ms = 0, die_ms = 0, fail = 0;
	struct kipc_group_member mem;
	unsigned long long redeliveries = 0;
	struct timespec t0, t1;
	struct kipc_group *g;
	const char *report;
	int opt, ret, ms = 0;
	unsigned int i;

	const char *role = NULL;

	while ((opt = getopt(argc, argv, "n:c:zk:i:HFT:S:o:qd:r:B")) != -1) {
		switch (opt) {
		case 'n': nr_workers = atoi(optarg); break;
		case 'c': nr_chunks = atoi(optarg); break;
		case 'z': use_zlib = 1; break;
		case 'k': kills = atoi(optarg); break;
		case 'i': every = atoi(optarg); break;
		case 'H': hang = 1; unlink("/tmp/group_pipeline.hung"); break;
		case 'F': fail = 1; ga.intensity = 3; ga.period_ms = 5000; break;
		case 'T': term_ms = atoi(optarg); break;
		case 'S': die_ms = atoi(optarg); break;
		case 'o': out_path = optarg; break;
		case 'q': quiet = 1; break;
		case 'd': work_us = atoi(optarg) * 1000; break;
		case 'r': role = optarg; break;
		case 'B': bench = 1; break;
		default:
			fprintf(stderr, "usage: group_pipeline [-n WORKERS] [-c CHUNKS] [-z] [-k KILLS] [-i MS] [-d MS] [-H] [-F] [-T MS] [-S MS] [-o FILE] [-q] [-B]\n");
			return 2;
		}
	}
	if (role)
		return run_role(role);
	if (bench) {
		int status = 0;

		if (bench_run(&status))
			return status;
		/* The child: run one group, quietly. */
	}
	srand(getpid());
	ret = kipc_group_create("pipeline", &ga, &g);
	if (ret < 0) {
		fprintf(stderr, "kipc_group_create: %s\n", strerror(-ret));
		return 1;
	}
	kipc_group_set_notify(g, on_event, NULL);
	/* 1 MiB buffers: a few per stage. */
	ret = kipc_group_add_region(g, "pool", (uint64_t)(2 * nr_workers + 8) *
				    BUF_SIZE, BUF_SIZE);
	if (!ret)
		ret = kipc_group_add_channel(g, "work", "pool", 4);
	if (!ret)
		ret = kipc_group_add_channel(g, "done", "pool", 4);
	memset(&wa, 0, sizeof(wa));
	wa.fn = producer;
	if (!ret)
		ret = kipc_group_add_worker(g, "producer", &wa);
	wa.fn = worker;
	wa.instances = nr_workers;
	wa.watchdog_ms = 2000;
	if (!ret)
		ret = kipc_group_add_worker(g, "worker", &wa);
	memset(&wa, 0, sizeof(wa));
	wa.fn = writer;
	if (!ret)
		ret = kipc_group_add_worker(g, "writer", &wa);
	if (!ret && fail) {
		wa.fn = failing;
		ret = kipc_group_add_worker(g, "failing", &wa);
	}
	if (!ret)
		ret = kipc_group_connect(g, "producer", "work", KIPC_GROUP_OUT);
	if (!ret)
		ret = kipc_group_connect(g, "worker", "work", KIPC_GROUP_IN);
	if (!ret)
		ret = kipc_group_connect(g, "worker", "done", KIPC_GROUP_OUT);
	if (!ret)
		ret = kipc_group_connect(g, "writer", "done", KIPC_GROUP_IN);
	if (!ret)
		ret = kipc_group_start(g);
	if (ret < 0) {
		fprintf(stderr, "group: %s\n", strerror(-ret));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The supervisor's loop, with chaos on the side. */
	for (;;) {
		struct epoll_event ev;
		int tmo = kills || term_ms || die_ms ? 5 : -1;

		ret = kipc_group_dispatch(g);
		if (ret)
			break;
		epoll_wait(kipc_group_fd(g), &ev, 1, tmo);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (kills && ms >= (int)(every * (kdone + 1))) {
			pid_t pid = random_worker(g);

			if (pid) {
				if (!quiet)
					printf("chaos: SIGKILL worker pid %d\n", (int)pid);
				kill(pid, SIGKILL);
				kdone++;
				kills--;
			}
		}
		if (term_ms && ms >= (int)term_ms) {
			if (!quiet)
				printf("chaos: SIGTERM to the supervisor\n");
			kill(getpid(), SIGTERM);
			term_ms = 0;
		}
		if (die_ms && ms >= (int)die_ms) {
			printf("chaos: SIGKILL to the supervisor\n");
			fflush(stdout);
			kill(getpid(), SIGKILL);
		}
	}
	if (ret < 0) {
		fprintf(stderr, "group: %s\n", strerror(-ret));
		return 1;
	}
	for (i = 0; !kipc_group_member_info(g, i, &mem); i++)
		redeliveries += mem.redeliveries;
	kipc_group_state(g, &report);
	ret = kipc_group_run(g);	/* already stopped: the status */
	if (!in_bench)
		printf("group_pipeline: %u chunks, %u workers, %s, %llu redelivered, "
	       "status %d%s%s\n", nr_chunks, nr_workers,
	       use_zlib ? "zlib" : "pass-through", redeliveries, ret,
	       report ? ": " : "", report ? report : "");
	kipc_group_destroy(g);
	return ret;
}
