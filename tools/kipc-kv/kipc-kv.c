// SPDX-License-Identifier: GPL-2.0
/*
 * kipc-kv: a key-value store served over libkipc's RPC layer, whose values
 * travel without a copy: a put carries the value in region buffers of the
 * service's region, which the server keeps as they are; a get answers with
 * the value in fresh buffers of that region.
 *
 *   kipc-kv serve NAME             serve until SIGINT, SIGTERM, SIGHUP
 *                                  or SIGQUIT
 *   kipc-kv NAME put KEY FILE|-    store FILE (or stdin) under KEY
 *   kipc-kv NAME get KEY           write KEY's value to stdout
 *   kipc-kv NAME del KEY           remove KEY
 *   kipc-kv NAME list              keys and sizes, one a line
 *
 * A key is 1 to 255 bytes, none of them a control character (below 0x20,
 * or 0x7f), so that list prints what other users stored as it is. A get
 * from a store whose buffers are all taken fails with ENOSPC; a put waits
 * until a del frees the buffers it needs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>
#include <kipc_rpc.h>

#define KV_REGION_BYTES	(64ULL << 20)	/* 256 buffers of 256 KiB */
#define KV_BUF_SIZE	(256ULL << 10)
#define KV_MAX_INLINE	65536		/* room for list */
#define KV_KEY_MAX	255

enum { KV_PUT = 1, KV_GET, KV_DEL, KV_LIST };

struct kv_entry {
	char key[KV_KEY_MAX + 1];
	uint64_t size;
	uint32_t nr_bufs;
	struct kipc_buf_ref bufs[KIPC_MSG_BUFS_MAX];
};

/* The store; @lock protects it. */
static struct kipc_region *region;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kv_entry *table;
static size_t nr_entries;
static struct kipc_rpc_server *server;

static int key_of(const struct kipc_rpc_req_info *in, char *key)
{
	const unsigned char *p = in->data;
	uint32_t i;

	if (!in->len || in->len > KV_KEY_MAX)
		return -EINVAL;
	for (i = 0; i < in->len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return -EINVAL;
	memcpy(key, in->data, in->len);
	key[in->len] = 0;
	return 0;
}

/*
 * The buffers a request brought, the handler's (kipc_rpc_req_info(3)):
 * back to the region, for a request that does not keep them.
 */
static void req_bufs_release(const struct kipc_rpc_req_info *in)
{
	uint32_t i;

	for (i = 0; i < in->nr_bufs; i++)
		kipc_buf_release(region, in->bufs[i].offset);
}

static struct kv_entry *find(const char *key)
{
	size_t i;

	for (i = 0; i < nr_entries; i++)
		if (!strcmp(table[i].key, key))
			return &table[i];
	return NULL;
}

static void entry_release(struct kv_entry *e)
{
	uint32_t i;

	for (i = 0; i < e->nr_bufs; i++)
		kipc_buf_release(region, e->bufs[i].offset);
}

/* The value's buffers stay where they arrived: owned by the server. */
static int kv_put(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info in;
	struct kv_entry *e, *t;
	char key[KV_KEY_MAX + 1];
	uint32_t i;
	int ret;

	kipc_rpc_req_info(req, &in);
	ret = key_of(&in, key);
	if (ret < 0) {
		req_bufs_release(&in);
		return ret;
	}
	pthread_mutex_lock(&lock);
	e = find(key);
	if (e) {
		entry_release(e);
	} else {
		t = realloc(table, (nr_entries + 1) * sizeof(*t));
		if (!t) {
			pthread_mutex_unlock(&lock);
			req_bufs_release(&in);
			return -ENOMEM;
		}
		table = t;
		e = &table[nr_entries++];
		strcpy(e->key, key);
	}
	e->size = 0;
	e->nr_bufs = in.nr_bufs;
	for (i = 0; i < in.nr_bufs; i++) {
		e->bufs[i] = in.bufs[i];
		e->size += in.bufs[i].len;
	}
	pthread_mutex_unlock(&lock);
	return 0;
}

static int kv_get(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_buf_ref out[KIPC_MSG_BUFS_MAX];
	struct kipc_rpc_req_info in;
	char key[KV_KEY_MAX + 1];
	struct kipc_rpc_msg rep;
	struct kv_entry *e;
	uint32_t i, n = 0;
	int ret;

	kipc_rpc_req_info(req, &in);
	req_bufs_release(&in);
	ret = key_of(&in, key);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&lock);
	e = find(key);
	if (!e) {
		pthread_mutex_unlock(&lock);
		return -ENOENT;
	}
	/* The region's handle never waits: a full store is ENOSPC. */
	for (i = 0; i < e->nr_bufs; i++, n++) {
		uint64_t off;

		ret = kipc_buf_alloc(region, &off);
		if (ret < 0)
			break;
		out[i].offset = off;
		out[i].len = e->bufs[i].len;
		memcpy(kipc_buf_ptr(region, out[i].offset),
		       kipc_buf_ptr(region, e->bufs[i].offset), out[i].len);
	}
	pthread_mutex_unlock(&lock);
	if (ret < 0) {
		for (i = 0; i < n; i++)
			kipc_buf_release(region, out[i].offset);
		return ret == -EAGAIN ? -ENOSPC : ret;
	}
	memset(&rep, 0, sizeof(rep));
	rep.bufs = out;
	rep.nr_bufs = n;
	ret = kipc_rpc_reply_msg(req, &rep);
	/* Its other errors gave the buffers back (kipc_rpc_reply(3)). */
	if (ret == -EINVAL || ret == -EALREADY)
		for (i = 0; i < n; i++)
			kipc_buf_release(region, out[i].offset);
	return ret < 0 ? ret : 0;
}

static int kv_del(struct kipc_rpc_req *req, void *arg)
{
	struct kipc_rpc_req_info in;
	char key[KV_KEY_MAX + 1];
	struct kv_entry *e;
	int ret;

	kipc_rpc_req_info(req, &in);
	req_bufs_release(&in);
	ret = key_of(&in, key);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&lock);
	e = find(key);
	if (e) {
		entry_release(e);
		*e = table[--nr_entries];
	}
	pthread_mutex_unlock(&lock);
	return e ? 0 : -ENOENT;
}

/*
 * Keys and sizes, one a line, as many as fit an answer; then, when some
 * did not, a last line "# N more keys" (no key begins with '#' there: it
 * is the line's whole).
 */
static int kv_list(struct kipc_rpc_req *req, void *arg)
{
	static char buf[KV_MAX_INLINE - KIPC_RPC_HDR_LEN];
	const size_t room = sizeof(buf) - sizeof("# 18446744073709551615 more keys\n");
	struct kipc_rpc_req_info in;
	size_t i, len = 0;
	int n, ret;

	kipc_rpc_req_info(req, &in);
	req_bufs_release(&in);
	pthread_mutex_lock(&lock);
	for (i = 0; i < nr_entries; i++) {
		n = snprintf(buf + len, room - len, "%s\t%llu\n",
			     table[i].key, (unsigned long long)table[i].size);
		if (n < 0 || (size_t)n >= room - len)
			break;
		len += (size_t)n;
	}
	if (i < nr_entries)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"# %zu more keys\n", nr_entries - i);
	ret = kipc_rpc_reply(req, buf, len);
	pthread_mutex_unlock(&lock);
	return ret;
}

/*
 * The signals that end the server: blocked in every thread from before
 * the names are published, taken by the signal thread alone, so that
 * none kills the server with its names left behind.
 */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

/*
 * Stops the server at the first of them; sent one by serve() when the
 * server ends first (no pthread_cancel(): its unwinding needs libgcc_s,
 * which a minimal system may lack, and aborts without it).
 */
static void *signal_thread(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	stop_signals(&set);
	if (!sigwait(&set, &sig))
		kipc_rpc_server_stop(server);
	return NULL;
}

static int serve(struct kipc *k, const char *name)
{
	struct kipc_rpc_server_attr attr;
	pthread_t sigt;
	sigset_t set;
	int ret;

	stop_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* Non-blocking: a get never waits, lock held, for a free buffer. */
	ret = kipc_region_create(k, KV_REGION_BYTES, KV_BUF_SIZE,
				 KIPC_FD_NONBLOCK, &region);
	if (ret < 0) {
		fprintf(stderr, "kipc-kv: region: %s\n", strerror(-ret));
		return 1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.region = region;
	attr.max_inline = KV_MAX_INLINE;
	attr.nr_workers = 2;
	/*
	 * Every user may connect (write), none but ours may listen (read):
	 * a name's read bit would let another user accept our clients'
	 * connections and answer them in our place. The region is published
	 * 0666 (kipc_rpc_server_create(3)): every client may map it.
	 */
	ret = kipc_rpc_server_create(k, name, 0622, &attr, &server);
	if (ret < 0) {
		fprintf(stderr, "kipc-kv: serve %s: %s\n", name, strerror(-ret));
		return 1;
	}
	kipc_rpc_server_register(server, KV_PUT, kv_put, NULL);
	kipc_rpc_server_register(server, KV_GET, kv_get, NULL);
	kipc_rpc_server_register(server, KV_DEL, kv_del, NULL);
	kipc_rpc_server_register(server, KV_LIST, kv_list, NULL);
	ret = pthread_create(&sigt, NULL, signal_thread, NULL);
	if (ret) {
		fprintf(stderr, "kipc-kv: serve %s: %s\n", name, strerror(ret));
		kipc_rpc_server_destroy(server);
		kipc_region_close(region);
		return 1;
	}
	fprintf(stderr, "kipc-kv: serving %s\n", name);
	ret = kipc_rpc_server_run(server);
	pthread_kill(sigt, SIGTERM);	/* ESRCH when it ended: no matter */
	pthread_join(sigt, NULL);
	kipc_rpc_server_destroy(server);
	while (nr_entries)
		entry_release(&table[--nr_entries]);
	free(table);
	kipc_region_close(region);
	return ret < 0 ? 1 : 0;
}

/* Read @fd into region buffers, straight into the shared memory. */
static int put(struct kipc_rpc_client *c, const char *key, int fd)
{
	struct kipc_region *r = kipc_rpc_client_region(c);
	struct kipc_buf_ref bufs[KIPC_MSG_BUFS_MAX];
	uint64_t bs = kipc_region_buf_size(r);
	struct kipc_rpc_msg req;
	uint32_t n = 0, i;
	int ret = 0;

	for (;;) {
		uint64_t off, len = 0;
		ssize_t got = 1;
		char *p;

		if (n == KIPC_MSG_BUFS_MAX) {
			char x;

			if (read(fd, &x, 1) > 0)
				ret = -EFBIG;
			break;
		}
		ret = kipc_buf_alloc(r, &off);
		if (ret < 0)
			break;
		p = kipc_buf_ptr(r, off);
		while (len < bs && (got = read(fd, p + len, bs - len)) > 0)
			len += (uint64_t)got;
		if (got < 0)
			ret = -errno;
		if (!len || ret < 0) {
			kipc_buf_release(r, off);
			break;
		}
		bufs[n].offset = off;
		bufs[n++].len = len;
		if (len < bs)
			break;
	}
	if (ret < 0) {
		for (i = 0; i < n; i++)
			kipc_buf_release(r, bufs[i].offset);
		return ret;
	}
	memset(&req, 0, sizeof(req));
	req.data = (void *)key;
	req.len = strlen(key);
	req.bufs = bufs;
	req.nr_bufs = n;
	return kipc_rpc_call(c, KV_PUT, &req, NULL, 0, NULL);
}

static int get(struct kipc_rpc_client *c, const char *key)
{
	struct kipc_region *r = kipc_rpc_client_region(c);
	struct kipc_buf_ref bufs[KIPC_MSG_BUFS_MAX];
	struct kipc_rpc_msg req, rep;
	uint32_t i;
	int ret;

	memset(&req, 0, sizeof(req));
	req.data = (void *)key;
	req.len = strlen(key);
	memset(&rep, 0, sizeof(rep));
	rep.bufs = bufs;
	rep.nr_bufs = KIPC_MSG_BUFS_MAX;
	ret = kipc_rpc_call(c, KV_GET, &req, &rep, 0, NULL);
	if (ret < 0)
		return ret;
	for (i = 0; i < rep.nr_bufs; i++) {
		const char *p = kipc_buf_ptr(r, bufs[i].offset);
		uint64_t done = 0;

		while (done < bufs[i].len && ret >= 0) {
			ssize_t w = write(1, p + done, bufs[i].len - done);

			if (w < 0)
				ret = -errno;
			else
				done += (uint64_t)w;
		}
		kipc_buf_release(r, bufs[i].offset);
	}
	return ret;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: kipc-kv serve NAME\n"
		"       kipc-kv NAME put KEY FILE|-\n"
		"       kipc-kv NAME get KEY\n"
		"       kipc-kv NAME del KEY\n"
		"       kipc-kv NAME list\n");
	return 2;
}

int main(int argc, char **argv)
{
	static char buf[KV_MAX_INLINE];
	struct kipc_rpc_client *c;
	struct kipc_rpc_msg req, rep;
	const char *cmd;
	struct kipc *k;
	int ret, fd;

	if (argc < 3)
		return usage();
	ret = kipc_open(&k, 0);
	if (ret < 0) {
		fprintf(stderr, "kipc-kv: /dev/kipc: %s\n", strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[1], "serve")) {
		ret = argc == 3 ? serve(k, argv[2]) : usage();
		kipc_close(k);
		return ret;
	}
	cmd = argv[2];
	if (!((!strcmp(cmd, "put") && argc == 5) ||
	      ((!strcmp(cmd, "get") || !strcmp(cmd, "del")) && argc == 4) ||
	      (!strcmp(cmd, "list") && argc == 3))) {
		kipc_close(k);
		return usage();
	}
	ret = kipc_rpc_connect(k, argv[1], 0, NULL, &c);
	if (ret < 0) {
		fprintf(stderr, "kipc-kv: connect %s: %s\n", argv[1],
			strerror(-ret));
		kipc_close(k);
		return 1;
	}
	if (!strcmp(cmd, "put")) {
		fd = strcmp(argv[4], "-") ? open(argv[4], O_RDONLY | O_CLOEXEC) : 0;
		ret = fd < 0 ? -errno : put(c, argv[3], fd);
	} else if (!strcmp(cmd, "get")) {
		ret = get(c, argv[3]);
	} else if (!strcmp(cmd, "del")) {
		memset(&req, 0, sizeof(req));
		req.data = argv[3];
		req.len = strlen(argv[3]);
		ret = kipc_rpc_call(c, KV_DEL, &req, NULL, 0, NULL);
	} else if (!strcmp(cmd, "list")) {
		memset(&rep, 0, sizeof(rep));
		rep.data = buf;
		rep.len = sizeof(buf);
		ret = kipc_rpc_call(c, KV_LIST, NULL, &rep, 0, NULL);
		if (ret >= 0 && (fwrite(buf, 1, rep.len, stdout) != rep.len ||
				 fflush(stdout)))
			ret = -EIO;
	}
	kipc_rpc_client_close(c);
	kipc_close(k);
	if (ret < 0) {
		fprintf(stderr, "kipc-kv: %s %s: %s\n", cmd,
			argc > 3 ? argv[3] : "", strerror(-ret));
		return 1;
	}
	return 0;
}
