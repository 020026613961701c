// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl sys unix: Unix sockets from NETLINK_SOCK_DIAG (unix_diag: bound
 * name, peer, queues, owner), or from /proc/net/unix when unix_diag is not
 * there or the caller may not use it (no peer, no queues, and only the
 * sockets some scanned process holds); each with the processes holding it,
 * matched by inode in the scan of /proc (sys-fds.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <libmnl/libmnl.h>

#include "kipcctl.h"
#include "sys.h"

#define NO_VALUE	UINT32_MAX
#ifndef MNL_SOCKET_DUMP_SIZE	/* libmnl before 1.0.5 */
#define MNL_SOCKET_DUMP_SIZE	32768
#endif

struct unix_sock {
	uint64_t ino, peer;	/* peer 0: none or unknown */
	uint32_t rqueue, wqueue, uid;	/* NO_VALUE when unknown */
	const char *state;
	uint8_t type;
	char *path;		/* NULL when unbound */
};

struct unix_list {
	struct unix_sock *v;
	size_t n, cap;
	int from_proc;		/* read from /proc/net/unix */
};

static struct unix_sock *add_sock(struct unix_list *l)
{
	struct unix_sock *u = array_add(&l->v, &l->n, &l->cap, sizeof(*l->v));

	if (!u)
		return NULL;
	u->rqueue = u->wqueue = u->uid = NO_VALUE;
	return u;
}

static void free_list(struct unix_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
}

/* sk_state as unix_diag reports it (TCP_* values). */
static const char *diag_state(uint8_t state)
{
	switch (state) {
	case 1:		return "connected";	/* TCP_ESTABLISHED */
	case 2:		return "connecting";	/* TCP_SYN_SENT */
	case 7:		return "unconnected";	/* TCP_CLOSE */
	case 10:	return "listen";	/* TCP_LISTEN */
	default:	return "unknown";
	}
}

/* socket->state and flags as /proc/net/unix has them. */
static const char *proc_state(unsigned int st, unsigned int flags)
{
	if (flags & 0x10000)	/* __SO_ACCEPTCON */
		return "listen";
	switch (st) {
	case 1:		return "unconnected";	/* SS_UNCONNECTED */
	case 2:		return "connecting";
	case 3:		return "connected";
	case 4:		return "disconnecting";
	default:	return "unknown";
	}
}

static const char *type_name(uint8_t type)
{
	switch (type) {
	case SOCK_STREAM:	return "stream";
	case SOCK_DGRAM:	return "dgram";
	case SOCK_SEQPACKET:	return "seqpacket";
	default:		return "unknown";
	}
}

/* A bound name of @len bytes; an abstract one (leading NUL) as "@...". */
static char *name_of(const char *name, size_t len)
{
	char *s = malloc(len + 1);
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < len; i++)
		s[i] = name[i] ? name[i] : '@';
	s[len] = '\0';
	if (len && !name[len - 1] && name[0])	/* a path's own NUL */
		s[len - 1] = '\0';
	return s;
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, UNIX_DIAG_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int diag_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[UNIX_DIAG_MAX + 1] = { 0 };
	const struct unix_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	const struct unix_diag_rqlen *q;
	struct unix_list *l = data;
	struct unix_sock *u;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) ||
	    mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (sys_pipe_probe_sock(m->udiag_ino))
		return MNL_CB_OK;	/* kipcctl's own, of late */
	u = add_sock(l);
	if (!u)
		return MNL_CB_ERROR;
	u->ino = m->udiag_ino;
	u->type = m->udiag_type;
	u->state = diag_state(m->udiag_state);
	if (tb[UNIX_DIAG_NAME]) {
		u->path = name_of(mnl_attr_get_payload(tb[UNIX_DIAG_NAME]),
				  mnl_attr_get_payload_len(tb[UNIX_DIAG_NAME]));
		if (!u->path)
			return MNL_CB_ERROR;
	}
	if (tb[UNIX_DIAG_PEER] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_PEER]) >= sizeof(uint32_t))
		u->peer = mnl_attr_get_u32(tb[UNIX_DIAG_PEER]);
	if (tb[UNIX_DIAG_RQLEN] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_RQLEN]) >= sizeof(*q)) {
		q = mnl_attr_get_payload(tb[UNIX_DIAG_RQLEN]);
		u->rqueue = q->udiag_rqueue;
		u->wqueue = q->udiag_wqueue;
	}
	/*
	 * A datagram socket's "receive queue" is the size of its next
	 * datagram (unix_inq_len()), and its datagrams' memory is charged
	 * to their senders: the kernel does not say how much it holds.
	 */
	if (u->type == SOCK_DGRAM)
		u->rqueue = NO_VALUE;
#ifdef UDIAG_SHOW_UID
	if (tb[UNIX_DIAG_UID] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_UID]) >= sizeof(uint32_t))
		u->uid = mnl_attr_get_u32(tb[UNIX_DIAG_UID]);
#endif
	return MNL_CB_OK;
}

static int diag_request(struct mnl_socket *nl, unsigned int seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct unix_diag_req *req;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = AF_UNIX;
	req->udiag_states = ~0u;
	req->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER |
			  UDIAG_SHOW_RQLEN;
#ifdef UDIAG_SHOW_UID
	req->udiag_show |= UDIAG_SHOW_UID;
#endif
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/* Every Unix socket of the network namespace; 0 or -errno. */
static int read_diag(struct unix_list *l)
{
	unsigned int seq = time(NULL), portid;
	char *buf;
	struct mnl_socket *nl;
	ssize_t len;
	int ret;

	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl)
		return -errno;
	buf = malloc(MNL_SOCKET_DUMP_SIZE);
	if (!buf) {
		mnl_socket_close(nl);
		return -ENOMEM;
	}
	ret = mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) ? -errno : 0;
	portid = mnl_socket_get_portid(nl);
	if (!ret)
		ret = diag_request(nl, seq);
	while (!ret) {
		len = mnl_socket_recvfrom(nl, buf, MNL_SOCKET_DUMP_SIZE);
		if (len < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, len, seq, portid, diag_cb, l);
		if (ret == MNL_CB_STOP)
			break;
		ret = ret < 0 ? (errno ? -errno : -EIO) : 0;
	}
	free(buf);
	mnl_socket_close(nl);
	return ret < 0 ? ret : 0;
}

static int cmp_sock(const void *a, const void *b)
{
	const struct unix_sock *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/*
 * A socket path is printed raw in /proc/net/unix: one with a newline
 * starts a line of its owner's making, which may copy another socket's
 * row with another path. A real inode appears once: every row of an inode
 * that appears twice is dropped (the real one cannot be told apart). A
 * made-up row with an inode of its own is kept out by read_proc().
 */
static void drop_forged(struct unix_list *l)
{
	size_t i, j, o = 0;

	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_sock);
	for (i = 0; i < l->n; i = j) {
		for (j = i + 1; j < l->n && l->v[j].ino == l->v[i].ino; j++)
			;
		if (j - i == 1) {
			l->v[o++] = l->v[i];
			continue;
		}
		while (i < j)
			free(l->v[i++].path);
	}
	l->n = o;
}

/*
 * /proc/net/unix: "Num RefCount Protocol Flags Type St Inode [Path]". Only
 * the rows of sockets a process of @s holds (socket:[INODE] in its fds):
 * those exist; any other row may be the tail of a path with a newline
 * (drop_forged()), naming a socket that does not.
 */
static int read_proc(struct unix_list *l, const struct sys_scan *s)
{
	unsigned int flags, type, st;
	unsigned long long ino;
	char line[4096 + 128];
	struct unix_sock *u;
	int pos, ret = 0;
	size_t held;
	FILE *f;

	f = fopen("/proc/net/unix", "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	while (fgets(line, sizeof(line), f)) {
		pos = 0;
		if (sscanf(line, "%*s %*x %*x %x %x %x %llu%n", &flags, &type,
			   &st, &ino, &pos) != 4 ||
		    !sys_scan_find(s, SYS_FD_SOCKET, 0, ino, &held))
			continue;
		u = add_sock(l);
		if (!u) {
			ret = -ENOMEM;
			break;
		}
		u->ino = ino;
		u->type = type;
		u->state = proc_state(st, flags);
		line[strcspn(line, "\n")] = '\0';
		while (line[pos] == ' ')
			pos++;
		if (!line[pos])
			continue;
		u->path = strdup(line + pos);
		if (!u->path) {
			ret = -ENOMEM;
			break;
		}
	}
	fclose(f);
	if (!ret)
		drop_forged(l);
	return ret;
}

/* @v in @width columns, "-" (table) or null (JSON) when unknown. */
static void print_u32(uint32_t v, int width)
{
	if (v != NO_VALUE)
		printf("%*u", json ? 0 : width, v);
	else if (json)
		printf("null");
	else
		printf("%*s", width, "-");
}

static void print_sock(const struct unix_sock *u, const struct sys_scan *s,
		       size_t row)
{
	const struct sys_fd *f;
	uint32_t uid = u->uid;
	size_t n;

	f = sys_scan_find(s, SYS_FD_SOCKET, 0, u->ino, &n);
	if (uid == NO_VALUE && n)
		uid = f->uid;
	if (json) {
		printf("%s{\"inode\":%llu,\"type\":\"%s\",\"state\":\"%s\","
		       "\"path\":", row ? "," : "", (unsigned long long)u->ino,
		       type_name(u->type), u->state);
		if (u->path)
			sys_str(u->path);
		else
			printf("null");
		if (u->peer)
			printf(",\"peer\":%llu", (unsigned long long)u->peer);
		else
			printf(",\"peer\":null");
		printf(",\"rqueue\":");
		print_u32(u->rqueue, 0);
		printf(",\"wqueue\":");
		print_u32(u->wqueue, 0);
		printf(",\"uid\":");
		print_u32(uid, 0);
		printf(",\"processes\":");
		sys_pids(f, n, NULL);
		printf("}");
		return;
	}
	if (!row)
		printf("%-10s %-9s %-13s %-10s %6s %6s %-6s %-24s %s\n",
		       "INODE", "TYPE", "STATE", "PEER", "RQ", "WQ", "UID",
		       "PROCESSES", "PATH");
	printf("%-10llu %-9s %-13s ", (unsigned long long)u->ino,
	       type_name(u->type), u->state);
	if (u->peer)
		printf("%-10llu ", (unsigned long long)u->peer);
	else
		printf("%-10s ", "-");
	print_u32(u->rqueue, 6);
	printf(" ");
	print_u32(u->wqueue, 6);
	printf(" ");
	print_u32(uid, -6);
	printf(" ");
	sys_pids(f, n, NULL);
	printf(" ");
	sys_str(u->path ? u->path : "-");
	printf("\n");
}

/*
 * Every Unix socket of the network namespace: from unix_diag, or (without
 * it, or with @no_sock_diag) from /proc/net/unix. unix_diag is missing
 * when the kernel answers ENOENT (no module), EOPNOTSUPP or
 * EPROTONOSUPPORT, or has no netlink at all (EAFNOSUPPORT); a security
 * module or seccomp may refuse the socket (EPERM, EACCES). 0 or -errno.
 */
static int read_socks(struct unix_list *l, const struct sys_scan *s,
		      int no_sock_diag)
{
	int ret = -EOPNOTSUPP;

	if (!no_sock_diag)
		ret = read_diag(l);
	if (ret != -ENOENT && ret != -EOPNOTSUPP && ret != -EPROTONOSUPPORT &&
	    ret != -EAFNOSUPPORT && ret != -EPERM && ret != -EACCES)
		return ret;
	free_list(l);
	memset(l, 0, sizeof(*l));
	l->from_proc = 1;
	return read_proc(l, s);
}

int sys_unix(const struct sys_scan *s, int no_sock_diag)
{
	struct unix_list l = { 0 };
	size_t i;
	int ret;

	ret = read_socks(&l, s, no_sock_diag);
	if (json)
		printf(",\"unix_source\":\"%s\"", l.from_proc ?
		       "/proc/net/unix" : "sock_diag");
	sys_section("unix", !l.from_proc ? "Unix sockets (from sock_diag)" :
		    no_sock_diag ? "Unix sockets (from /proc/net/unix, as asked: no peers or queues)" :
		    "Unix sockets (from /proc/net/unix: unix_diag is not available, so no peers or queues)");
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_sock);
	for (i = 0; !ret && i < l.n; i++)
		print_sock(&l.v[i], s, i);
	sys_section_end(ret ? 0 : l.n);
	free_list(&l);
	return ret;
}

int sys_unix_each(int (*cb)(const struct sys_unix_row *r, void *arg),
		  void *arg)
{
	struct unix_list l = { 0 };
	struct sys_unix_row r;
	size_t i;
	int ret;

	ret = read_diag(&l);
	for (i = 0; !ret && i < l.n; i++) {
		if (l.v[i].rqueue == NO_VALUE)
			continue;
		r.ino = l.v[i].ino;
		r.rqueue = l.v[i].rqueue;
		r.wqueue = l.v[i].wqueue;
		r.listen = !strcmp(l.v[i].state, "listen");
		ret = cb(&r, arg);
	}
	free_list(&l);
	return ret < 0 ? ret : 0;
}

/*
 * For kipcctl sys graph: which sockets are Unix ones (others are left
 * out), and the two ends of each connection (one node).
 */
int sys_unix_socks(const struct sys_scan *s, uint64_t (**inos)[2], size_t *n)
{
	struct unix_list l = { 0 };
	size_t i;
	int ret;

	*inos = NULL;
	*n = 0;
	ret = read_socks(&l, s, 0);
	if (!ret && l.n) {
		*inos = malloc(l.n * sizeof(**inos));
		if (!*inos)
			ret = -ENOMEM;
	}
	for (i = 0; !ret && i < l.n; i++) {
		(*inos)[i][0] = l.v[i].ino;
		(*inos)[i][1] = l.v[i].peer;
	}
	if (!ret)
		*n = l.n;
	free_list(&l);
	return ret;
}
