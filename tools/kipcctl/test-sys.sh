#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kipcctl sys host test: makes one object of each kind (SysV queue and
# segment, POSIX queue and /dev/shm file, a pipe, a FIFO, an eventfd, a
# socket pair), then checks that kipcctl sys shows each with the right
# facts, as a table and as JSON; that a pipe's depth is read through its
# next descriptor when the copy of one is another file (swap-getfd.so);
# that a pipe's copy whose close() hangs (slow-close.so) holds neither
# sys pipes nor top; that sys check finds
# planted problems; that top samples the queues (without the kipc module),
# records them and plot draws the record; and, with libkipc's netlink
# calls faked (fake-kipc.so: no module is loaded on the host), what top,
# list, users, monitor and sys check do with kipc's answers, and trace
# with its trace instance faked (fake-tracefs.so). Prints TAP and a
# kselftest Totals line.
# Usage: test-sys.sh [path/to/kipcctl]
set -u

KIPCCTL=${1:-build/bin/kipcctl}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kipcctl-sys-test.XXXXXX") || exit 1
NAME=kipcctl-test-$$
PIDS=()
MSG_ID= SHM_ID= MQ_MADE= TWIN_MQ= LONG_MQ= DET_ID=
n=0 pass=0 fails=0 skips=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "$MSG_ID" ] && ipcrm -q "$MSG_ID" 2>/dev/null
	[ -n "$SHM_ID" ] && ipcrm -m "$SHM_ID" 2>/dev/null
	[ -n "$ORPHAN_ID" ] && ipcrm -m "$ORPHAN_ID" 2>/dev/null
	[ -n "$FULL_MSG_ID" ] && ipcrm -q "$FULL_MSG_ID" 2>/dev/null
	[ -n "$DET_ID" ] && ipcrm -m "$DET_ID" 2>/dev/null
	[ -n "$LONG_MQ" ] && "$TMP/sys-helper" mq-unlink "$LONG_MQ-a" &&
		"$TMP/sys-helper" mq-unlink "$LONG_MQ-b"
	[ -n "$FULL_MQ" ] && "$TMP/sys-helper" mq-unlink "/$NAME-full"
	[ -n "$DOT_MQ" ] && "$TMP/sys-helper" mq-unlink "$DOT_MQ"
	[ -n "$TWIN_MQ" ] && "$TMP/sys-helper" mq-unlink "/$NAME-q\`x" &&
		"$TMP/sys-helper" mq-unlink "/$NAME-q'x"
	[ -f "$TMP/evil.pid" ] && kill "$(cat "$TMP/evil.pid")" 2>/dev/null
	[ -n "$MQ_MADE" ] && "$TMP/sys-helper" mq-unlink "/$NAME"
	rm -f "/dev/shm/$NAME"
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { n=$((n + 1)) pass=$((pass + 1)); echo "ok $n sys: $*"; }
not_ok() { n=$((n + 1)) fails=$((fails + 1)); echo "not ok $n sys: $*"; }
skip() { n=$((n + 1)) skips=$((skips + 1)); echo "ok $n sys: $* # SKIP"; }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# get FILE KEY: the value of "KEY VALUE" in the helper's FILE.
get() { awk -v k="$2" '$1 == k { print $2 }' "$TMP/$1"; }

# wait_for FILE: until the helper has written FILE (it closes stdout when
# done), at most 5 s.
wait_for() {
	local i
	for i in $(seq 50); do
		grep -q '^pid \|^qsize ' "$TMP/$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# hold NAME ARGS...: start the helper in the background, output in NAME.
hold() {
	local out=$1
	shift
	"$TMP/sys-helper" "$@" >"$TMP/$out" &
	PIDS+=($!)
	wait_for "$out"
}

echo "TAP version 13"
if ! cc -O2 -Wall -D_GNU_SOURCE -o "$TMP/sys-helper" \
	"$HERE/test/sys-helper.c" -lrt; then
	not_ok "build sys-helper"
	echo "1..$n"
	exit 1
fi
# fake_kipc ENV... -- ARGS...: kipcctl ARGS with fake-kipc.so preloaded.
FAKE_KIPC=
if cc -shared -fPIC -O2 -Wall -D_GNU_SOURCE -I"$HERE/../../libkipc/include" \
	-I"$HERE/../../uapi" -o "$TMP/fake-kipc.so" "$HERE/test/fake-kipc.c"; then
	FAKE_KIPC=$TMP/fake-kipc.so
else
	not_ok "build fake-kipc.so"
fi
fake_kipc() {
	local env=()
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	env "${env[@]}" LD_PRELOAD="$FAKE_KIPC" "$KIPCCTL" "$@"
}

# The objects.
"$TMP/sys-helper" msg >"$TMP/msg" || not_ok "helper: SysV queue"
MSG_ID=$(get msg id)
hold shm shm || not_ok "helper: SysV segment"
SHM_ID=$(get shm id)
"$TMP/sys-helper" mq "/$NAME" >"$TMP/mq" && MQ_MADE=1 ||
	not_ok "helper: POSIX queue"
hold map map "/$NAME" || not_ok "helper: /dev/shm file"
hold eventfd eventfd || not_ok "helper: eventfd"
PIDS+=("$(get eventfd child)")
hold sock socketpair || not_ok "helper: socketpair"
# A pipe with 5 bytes queued: the writer writes, the reader never reads.
# They and the FIFO's sides last until the end (cleanup kills them): rows
# as late as top's record use them, past 30 s on a loaded host.
sh -c 'echo $$ >"$1/pw"; printf hello; exec sleep 600' sh "$TMP" |
	sh -c 'echo $$ >"$1/pr"; exec sleep 600' sh "$TMP" &
# A FIFO: each side's redirection blocks until the other opens.
mkfifo "$TMP/fifo"
sh -c 'echo $$ >"$1/fr"; exec sleep 600' sh "$TMP" <"$TMP/fifo" &
sh -c 'echo $$ >"$1/fw"; exec sleep 600' sh "$TMP" >"$TMP/fifo" &
# slept FILE...: whether each process whose pid is in FILE runs sleep.
slept() {
	local f
	for f; do
		[ "$(cat "/proc/$(cat "$TMP/$f")/comm" 2>/dev/null)" = sleep ] ||
			return 1
	done
}
# Until each runs sleep: the pipe's writer has written by then.
for i in $(seq 50); do
	slept pw pr fw fr && break
	sleep 0.1
done
for f in pw pr fw fr; do PIDS+=("$(cat "$TMP/$f" 2>/dev/null)"); done

"$KIPCCTL" sys >"$TMP/table" 2>"$TMP/err"
check "table: exit 0" [ $? = 0 ]
"$KIPCCTL" -j sys >"$TMP/json" 2>"$TMP/err"
check "json: exit 0" [ $? = 0 ]
valid() { python3 -m json.tool "$1" >/dev/null; }
check "json: valid" valid "$TMP/json"
# A path with a newline starts a line of its owner's making in
# /proc/net/unix: here a copy of another socket's row with another path.
# Or a row of its own, of a socket that is not there (the inode of one
# closed): no process holds it, so it is no socket.
python3 -c 'import os, socket, sys, time
v = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
v.bind("\0kipcctl-victim-%d" % os.getpid())
ino = os.fstat(v.fileno()).st_ino
e = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
e.bind("\0x\n0000000000000000: 00000002 00000000 00010000 0001 01 %d /forged-%s" % (ino, sys.argv[1]))
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
gone = os.fstat(c.fileno()).st_ino
c.close()
m = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
m.bind("\0y\n0000000000000000: 00000002 00000000 00010000 0001 01 %d /made-up-%s" % (gone, sys.argv[1]))
open(sys.argv[2], "w").write("pid %d\n" % os.getpid())
time.sleep(20)' "$NAME" "$TMP/forger" &
PIDS+=($!)
wait_for forger
"$KIPCCTL" -j sys --no-sock-diag unix >"$TMP/json-forged" 2>"$TMP/err"
check "unix from /proc/net/unix: a path's newline forges no row" \
	sh -c "grep -q '\"unix\":' '$TMP/json-forged' && ! grep -q 'forged-$NAME' '$TMP/json-forged'"
check "unix from /proc/net/unix: nor a row of a socket no process holds" \
	sh -c "grep -q '\"unix\":\[{' '$TMP/json-forged' && ! grep -q 'made-up-$NAME' '$TMP/json-forged'"

"$KIPCCTL" -j sys --no-sock-diag unix >"$TMP/json-proc" 2>"$TMP/err"
check "json --no-sock-diag unix: exit 0" [ $? = 0 ]
"$KIPCCTL" sys --no-sock-diag unix >"$TMP/table-proc" 2>"$TMP/err"
# Without unix_diag (the kernel answers ENOENT): the fallback on its own.
if cc -shared -fPIC -O2 -Wall -D_GNU_SOURCE -o "$TMP/no-unix-diag.so" \
	"$HERE/test/no-unix-diag.c" -ldl; then
	LD_PRELOAD=$TMP/no-unix-diag.so "$KIPCCTL" sys unix >"$TMP/table-fb" 2>"$TMP/err"
	check "no unix_diag: the title says /proc/net/unix" \
		grep -q '^== Unix sockets (from /proc/net/unix: unix_diag is not available' "$TMP/table-fb"
	LD_PRELOAD=$TMP/no-unix-diag.so "$KIPCCTL" -j sys unix >"$TMP/json-fb" 2>"$TMP/err"
	check "no unix_diag: json unix_source" \
		grep -q '"unix_source":"/proc/net/unix"' "$TMP/json-fb"
	# No NETLINK_SOCK_DIAG socket at all: refused (EPERM, EACCES), or no
	# netlink (EAFNOSUPPORT). That was an error, and no socket listed.
	for e in 1:EPERM 13:EACCES 97:EAFNOSUPPORT; do
		NO_UNIX_DIAG_OPEN=${e%:*} LD_PRELOAD=$TMP/no-unix-diag.so \
			"$KIPCCTL" sys unix >"$TMP/table-fb-$e" 2>"$TMP/err"
		rc=$?
		check "no netlink socket (${e#*:}): exit 0 (got $rc), from /proc/net/unix" \
			sh -c "[ $rc = 0 ] && grep -q '^== Unix sockets (from /proc/net/unix: unix_diag is not available' '$TMP/table-fb-$e'"
	done
	# sock_diag failing otherwise (EIO): sys graph knows no Unix
	# socket, shows none, and says so (it exited 0 without a word).
	NO_UNIX_DIAG_ERRNO=5 LD_PRELOAD=$TMP/no-unix-diag.so \
		"$KIPCCTL" sys graph >"$TMP/graph-eio" 2>"$TMP/err"
	rc=$?
	check "graph, the Unix socket list failing: exit 1 (got $rc), said" \
		sh -c "[ $rc = 1 ] && grep -q '^PID ' '$TMP/graph-eio' &&
		       grep -q 'Unix sockets: Input/output error' '$TMP/err'"
else
	not_ok "build no-unix-diag.so"
fi
"$KIPCCTL" sys msg pipes >"$TMP/table-two" 2>"$TMP/err"
check "two kinds: only their sections" \
	[ "$(grep -c '^== ' "$TMP/table-two")" = 2 ]
"$KIPCCTL" sys nosuchkind >/dev/null 2>&1
check "unknown kind: exit 2" [ $? = 2 ]
if [ "$(id -u)" = 0 ]; then queued=5; else queued=-; fi

# section TITLE-PREFIX: the table's section that starts so.
section() {
	awk -v t="== $1" 'index($0, t) == 1 { on = 1; next }
		/^== / { on = 0 } on' "$TMP/${2:-table}"
}

# The table.
msg=$(get msg id) msgpid=$(get msg pid)
check "table msg: qnum 2, cbytes 30, lspid $msgpid" [ "$(section 'System V message' |
	awk -v id="$msg" '$2 == id { print $6, $7, $8 }')" = "30 2 $msgpid" ]
shm=$(get shm id) shmpid=$(get shm pid)
check "table shm: size 65536, nattch 1, cpid $shmpid" [ "$(section 'System V shared' |
	awk -v id="$shm" '$2 == id { print $6, $7, $8 }')" = "65536 1 $shmpid" ]
mappid=$(get map pid)
check "table posix-shm: $NAME of 8192 B mapped by $mappid" [ "$(section 'POSIX shared' |
	awk -v n="$NAME" '$1 == n { print $2, $5 }')" = "8192 $mappid(sys-helper)" ]
pw=$(cat "$TMP/pw") pr=$(cat "$TMP/pr") fw=$(cat "$TMP/fw") fr=$(cat "$TMP/fr")
check "table pipe: reader $pr, writer $pw, $queued queued" [ "$(section pipes |
	awk -v r="$pr(sleep)" -v w="$pw(sleep)" '$1 == "pipe" && $4 == r && $5 == w { print $3 }')" = "$queued" ]
check "table fifo: reader $fr, writer $fw, its path" [ "$(section pipes |
	awk -v r="$fr(sleep)" -v w="$fw(sleep)" '$1 == "fifo" && $4 == r && $5 == w { print $6 }')" = "$TMP/fifo" ]
evp=$(get eventfd pid) evc=$(get eventfd child)
check "table eventfd: held by $evp and $evc" [ "$(section eventfds |
	awk -v p="$evp(sys-helper),$evc(sys-helper)" '$3 == "-" && $4 == p' | wc -l)" = 1 ]
s0=$(get sock inode0) s1=$(get sock inode1) sp=$(get sock pid)
check "table unix: $s0 connected to $s1, held by $sp" [ "$(section Unix |
	awk -v i="$s0" '$1 == i { print $3, $4, $8 }')" = "connected $s1 $sp(sys-helper)" ]
check "table unix (/proc/net/unix): $s1 held by $sp" [ "$(section Unix table-proc |
	awk -v i="$s1" '$1 == i { print $2, $3, $4, $8 }')" = "stream connected - $sp(sys-helper)" ]
check "table: namespaces" grep -qxF "namespaces: $(readlink /proc/self/ns/ipc) $(readlink /proc/self/ns/net) $(readlink /proc/self/ns/pid)" "$TMP/table"

# The eventfd helper's locks, on the one inode of every eventfd on the
# machine, at offsets no other run takes: two runs at once in pid
# namespaces of their own (containers'), each its namespace's pid 1, both
# take theirs. At getpid() * 512 the second failed (review s46, 8).
ns="unshare -pf --kill-child"
[ "$(id -u)" = 0 ] || ns="unshare -rpf --kill-child"
if $ns true 2>/dev/null; then
	evns=()
	for i in 1 2; do
		$ns "$TMP/sys-helper" eventfd >"$TMP/evns$i" &
		evns+=($!)
	done
	wait_for evns1
	wait_for evns2
	check "eventfd helper, as pid 1 of two pid namespaces at once" \
		[ "$(get evns1 pid):$(get evns2 pid)" = 1:1 ]
	# unshare waits through SIGTERM; its child, SIGKILLed, ends the rest.
	kill -KILL "${evns[@]}"
	wait "${evns[@]}" 2>/dev/null
else
	skip "eventfd helper in two pid namespaces: no unshare -p here"
fi

# POSIX queues: shown where mqueue is mounted; in a mount namespace of
# our own when it is not (root only), the host's mounts untouched.
if grep -q ' - mqueue ' /proc/self/mountinfo; then
	"$KIPCCTL" sys mqueue >"$TMP/table-mq"
elif [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	mkdir "$TMP/mqfs"
	unshare -m sh -c 'mount -t mqueue none "$1" && "$2" sys mqueue' sh \
		"$TMP/mqfs" "$KIPCCTL" >"$TMP/table-mq"
else
	: >"$TMP/table-mq"
fi
if [ -s "$TMP/table-mq" ]; then
	check "table mqueue: /$NAME with 17 bytes" [ "$(section 'POSIX message' table-mq |
		awk -v n="/$NAME" '$1 == n { print $5 }')" = 17 ]
else
	skip "table mqueue: mqueue not mounted and no root to mount it privately"
fi

# The JSON.
out=$(python3 - "$TMP/json" "$TMP/json-proc" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))
n = $n
def check(what, cond):
    global n
    n += 1
    print(("ok" if cond else "not ok") + " %d sys: json %s" % (n, what))
def pids(l):
    return sorted(x["pid"] for x in l)
for k in ("ipc_ns", "net_ns", "pid_ns", "sysv_msg", "sysv_sem", "sysv_shm",
          "mqueue_mount", "posix_mqueue", "posix_shm", "pipes", "unix", "unix_source",
          "eventfd", "memfd"):
    check("has " + k, k in d)
check("ipc_ns", d.get("ipc_ns") == "$(readlink /proc/self/ns/ipc)")
m = [x for x in d["sysv_msg"] if x["id"] == $msg]
check("msg: qnum 2, cbytes 30, lspid", len(m) == 1 and m[0]["qnum"] == 2
      and m[0]["cbytes"] == 30 and m[0]["lspid"] == $msgpid
      and m[0]["perms"] == "0600")
s = [x for x in d["sysv_shm"] if x["id"] == $shm]
check("shm: nattch 1, cpid, size", len(s) == 1 and s[0]["nattch"] == 1
      and s[0]["cpid"] == $shmpid and s[0]["size"] == 65536)
s = [x for x in d["posix_shm"] if x["name"] == "$NAME"]
check("posix-shm: mapped by the helper, open by none", len(s) == 1
      and pids(s[0]["mapped_by"]) == [$mappid] and s[0]["open_by"] == []
      and s[0]["size"] == 8192)
q = "$queued"
pp = [x for x in d["pipes"] if x["type"] == "pipe"
      and pids(x["readers"]) == [$pr] and pids(x["writers"]) == [$pw]]
check("pipe: one reader, one writer, queued",
      len(pp) == 1 and pp[0]["queued_bytes"] == (5 if q == "5" else None))
f = [x for x in d["pipes"] if x["type"] == "fifo" and x["path"] == "$TMP/fifo"]
check("fifo: reader and writer", len(f) == 1
      and pids(f[0]["readers"]) == [$fr] and pids(f[0]["writers"]) == [$fw])
e = [x for x in d["eventfd"] if pids(x["processes"]) == sorted([$evp, $evc])]
check("eventfd: parent and child", len(e) == 1)
u = {x["inode"]: x for x in d["unix"]}
a = u.get($s0)
check("unix: source", d["unix_source"] in ("sock_diag", "/proc/net/unix"))
check("unix: pair, held by the helper", a is not None
      and a["type"] == "stream" and pids(a["processes"]) == [$sp]
      and (d["unix_source"] != "sock_diag" or
           (a["peer"] == $s1 and a["rqueue"] == 0)))
b = {x["inode"]: x for x in p["unix"]}.get($s1)
check("unix from /proc/net/unix: held by the helper, no peer",
      p["unix_source"] == "/proc/net/unix" and b is not None
      and pids(b["processes"]) == [$sp] and b["peer"] is None
      and b["uid"] == $(id -u))
PY
)
rc=$?
[ -n "$out" ] && echo "$out"
n=$((n + $(grep -c '^\(not \)\?ok ' <<<"$out")))
pass=$((pass + $(grep -c '^ok ' <<<"$out")))
fails=$((fails + $(grep -c '^not ok ' <<<"$out")))
[ $rc = 0 ] || not_ok "json checks ran (python3 exit $rc)"

# The graph: the pipe's writer points at it, it points at its reader; the
# socket pair is one connection node held by the helper (with sock_diag).
"$KIPCCTL" sys graph >"$TMP/graph" 2>"$TMP/err"
pino=$(awk -v w="$pw" '$1 == w && $3 == "writes" && $4 ~ /^pipe:/ { print $4 }' "$TMP/graph" |
       while read -r o; do grep -q "^$pr .* reads *$o$" "$TMP/graph" && echo "$o"; done | head -1)
check "graph: $pw writes the pipe $pr reads (${pino:-none})" [ -n "$pino" ]
"$KIPCCTL" sys graph --dot >"$TMP/graph.dot" 2>"$TMP/err"
check "graph --dot: $pw -> $pino -> $pr" grep -q "\"p$pw\" -> \"$pino\"" "$TMP/graph.dot"
check "graph --dot: the reader's edge" grep -q "\"$pino\" -> \"p$pr\"" "$TMP/graph.dot"
if command -v dot >/dev/null; then
	check "graph --dot renders with graphviz (dot -Tsvg)" \
		sh -c "dot -Tsvg '$TMP/graph.dot' >'$TMP/graph.svg' && grep -q '$pino' '$TMP/graph.svg'"
else
	skip "graph --dot renders with graphviz: dot is not installed"
fi
"$KIPCCTL" -j sys graph >"$TMP/graph.json" 2>"$TMP/err"
check "graph -j: valid JSON with the pipe's two edges" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
e = {(x["pid"], x["how"]) for x in d["edges"] if x["object"] == sys.argv[2]}
sys.exit(not ({(int(sys.argv[3]), "writes"), (int(sys.argv[4]), "reads")} <= e))
' "$TMP/graph.json" "$pino" "$pw" "$pr"
if grep -q '"unix_source":"sock_diag"' "$TMP"/*.json 2>/dev/null ||
   "$KIPCCTL" -j sys unix 2>/dev/null | grep -q '"unix_source":"sock_diag"'; then
	check "graph: the socket pair is one connection node" \
		[ "$(awk -v p="$sp" '$1 == p && $4 ~ /^unix:/ { print $4 }' "$TMP/graph" | sort -u | wc -l)" = 1 ]
else
	skip "graph: socket pairs joined: no sock_diag here"
fi
# Only Unix sockets are unix: a TCP listener is none (it showed as
# unix:INODE), while its process's socket pair still is.
python3 -c 'import os, socket, sys, time
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("127.0.0.1", 0))
t.listen(1)
a, b = socket.socketpair()
open(sys.argv[1], "w").write("tcp %d\npid %d\n" % (os.fstat(t.fileno()).st_ino, os.getpid()))
time.sleep(30)' "$TMP/tcp" &
PIDS+=($!)
wait_for tcp || not_ok "helper: a TCP listener"
tcpino=$(get tcp tcp) tcppid=$(get tcp pid)
"$KIPCCTL" sys graph >"$TMP/graph-tcp" 2>"$TMP/err"
check "graph: a TCP listener ($tcpino) is no unix socket" \
	sh -c "[ -n '$tcpino' ] && ! grep -q ':$tcpino\$' '$TMP/graph-tcp'"
check "graph: ... its process's socket pair is" \
	[ "$(awk -v p="$tcppid" '$1 == p && $4 ~ /^unix:/' "$TMP/graph-tcp" | wc -l)" = 2 ]
# Each tmpfs numbers its inodes from the start: a FIFO on each of two and
# a /dev/shm file on each of two (one mounted over the other), held by one
# process in a mount namespace of its own, are four objects, not two.
if [ "$(id -u)" = 0 ]; then ns=(unshare -m); else ns=(unshare -Urm); fi
mkdir -p "$TMP/fs1" "$TMP/fs2"
"${ns[@]}" sh -c 'mount -t tmpfs none "$1/fs1" && mount -t tmpfs none "$1/fs2" &&
	mkfifo "$1/fs1/f" "$1/fs2/f" && exec 3<>"$1/fs1/f" 4<>"$1/fs2/f" &&
	mount -t tmpfs none /dev/shm && : >/dev/shm/x && exec 5</dev/shm/x &&
	mount -t tmpfs none /dev/shm && : >/dev/shm/x && exec 6</dev/shm/x &&
	echo "fifos $(stat -Lc %i /proc/self/fd/3 /proc/self/fd/4 | sort -u | wc -l)" >"$1/twins.tmp" &&
	echo "shms $(stat -Lc %i /proc/self/fd/5 /proc/self/fd/6 | sort -u | wc -l)" >>"$1/twins.tmp" &&
	echo "fifoino $(stat -Lc %i /proc/self/fd/3)" >>"$1/twins.tmp" &&
	echo "fifodevs $(stat -Lc %d /proc/self/fd/3 /proc/self/fd/4 | tr "\n" ,)" >>"$1/twins.tmp" &&
	echo "pid $$" >>"$1/twins.tmp" && mv "$1/twins.tmp" "$1/twins" && exec sleep 30' \
	sh "$TMP" 2>"$TMP/twins.err" &
PIDS+=($!)
if wait_for twins && [ "$(get twins fifos)" = 1 ] && [ "$(get twins shms)" = 1 ]; then
	twp=$(get twins pid)
	"$KIPCCTL" sys graph >"$TMP/graph-twins" 2>"$TMP/err"
	check "graph: FIFOs and /dev/shm files of two tmpfs, of one inode number, are 4 objects" \
		[ "$(awk -v p="$twp" '$1 == p && $4 ~ /^(fifo|shm):/ { print $4 }' "$TMP/graph-twins" |
		     sort -u | wc -l)" = 4 ]
	# top named a FIFO by its inode alone: the two were one object.
	if [ "$(id -u)" = 0 ]; then
		"$KIPCCTL" -j top --count 1 >"$TMP/top-twins-fifo.json" 2>"$TMP/err"
		check "top -j: FIFOs of two tmpfs, of one inode number, are two objects" python3 -c '
import json, os, sys
d = json.load(open(sys.argv[1]))
want = {"fifo:%d:%d:%s" % (os.major(int(x)), os.minor(int(x)), sys.argv[3])
        for x in sys.argv[2].strip(",").split(",")}
names = {o["object"] for o in d["objects"]}
sys.exit(not (len(want) == 2 and want <= names))
' "$TMP/top-twins-fifo.json" "$(get twins fifodevs)" "$(get twins fifoino)"
	fi
else
	skip "graph: FIFOs of two tmpfs: no mount namespace here, or inodes numbered apart"
fi

# A datagram socket's RQ is unknown: unix_diag's RQLEN for SOCK_DGRAM is
# the size of the next datagram (ten of 100 bytes read as 100 queued).
python3 - "$TMP" <<'PY' &
import os, socket, sys, time
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(10):
    a.send(b"x" * 100)
with open(sys.argv[1] + "/dgram.tmp", "w") as f:
    f.write("ino %d\npid %d\n" % (os.fstat(b.fileno()).st_ino, os.getpid()))
os.rename(sys.argv[1] + "/dgram.tmp", sys.argv[1] + "/dgram")
time.sleep(30)
PY
PIDS+=($!)
if ! wait_for dgram; then
	not_ok "helper: a datagram socket pair"
elif ! "$KIPCCTL" -j sys unix >"$TMP/dgram.json" 2>"$TMP/err" ||
     ! grep -q '"unix_source":"sock_diag"' "$TMP/dgram.json"; then
	skip "sys unix: a datagram socket's depth: no unix_diag here"
else
	check "sys unix: a datagram socket with ten datagrams of 100 bytes queued: rqueue null, not 100" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
u = [x for x in d["unix"] if x["inode"] == int(sys.argv[2])]
sys.exit(not (len(u) == 1 and u[0]["rqueue"] is None))
' "$TMP/dgram.json" "$(get dgram ino)"
fi

# A /proc/PID/maps line longer than a line buffer (a file deep in a tree):
# its tail, which looks like a mapping of /dev/shm/$NAME, is not one.
devino=$(python3 -c 'import os, sys
s = os.stat(sys.argv[1])
print("%02x:%02x %d" % (os.major(s.st_dev), os.minor(s.st_dev), s.st_ino))' "/dev/shm/$NAME")
hold longmap long-map "$TMP" "$devino" "$NAME" || not_ok "helper: a long maps line"
lp=$(get longmap pid)
"$KIPCCTL" -j sys posix-shm >"$TMP/shm2.json" 2>"$TMP/err"
check "posix-shm: a long maps line forges no mapping of /dev/shm/$NAME" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [x for x in d["posix_shm"] if x["name"] == sys.argv[2]]
sys.exit(not (len(s) == 1 and int(sys.argv[3]) not in
              [m["pid"] for m in s[0]["mapped_by"]]))
' "$TMP/shm2.json" "$NAME" "$lp"

# A FIFO whose path is longer than 1 KiB: shown whole, not cut.
seg=$(printf '%0200d' 0)
longfifo=$TMP/$seg/$seg/$seg/$seg/$seg/$seg/fifo
mkdir -p "${longfifo%/fifo}" && mkfifo "$longfifo"
# opened FIFO READER WRITER: until the open() of FIFO by each of the pids
# READER (fd 0) and WRITER (fd 1) returned, each waiting for the other,
# at most 5 s (review s46, 13: 0.2 s were given, and a scan before it saw
# no FIFO).
opened() {
	local i
	for i in $(seq 50); do
		[ "$(readlink "/proc/$2/fd/0")" = "$1" ] &&
			[ "$(readlink "/proc/$3/fd/1")" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
sh -c 'exec sleep 30' <"$longfifo" &
PIDS+=($!)
sh -c 'exec sleep 30' >"$longfifo" &
PIDS+=($!)
opened "$longfifo" "${PIDS[-2]}" "${PIDS[-1]}" ||
	not_ok "helper: the long FIFO's sides"
"$KIPCCTL" sys pipes >"$TMP/pipes-long" 2>"$TMP/err"
check "pipes: a FIFO's path of ${#longfifo} bytes, whole" \
	grep -q "^fifo .* $longfifo\$" "$TMP/pipes-long"
# Its path's copy failing (strdup(), out of memory): an error, not a scan
# without the FIFO that exits 0 (review s42, #12).
mkfifo "$TMP/nomem-fifo"
sh -c 'exec sleep 30' <"$TMP/nomem-fifo" &
PIDS+=($!)
sh -c 'exec sleep 30' >"$TMP/nomem-fifo" &
PIDS+=($!)
opened "$TMP/nomem-fifo" "${PIDS[-2]}" "${PIDS[-1]}" ||
	not_ok "helper: the FIFO's sides"
if cc -shared -fPIC -O2 -Wall -o "$TMP/fail-strdup.so" \
	"$HERE/test/fail-strdup.c" -ldl; then
	FAIL_STRDUP=$TMP/nomem-fifo LD_PRELOAD=$TMP/fail-strdup.so \
		"$KIPCCTL" sys pipes >/dev/null 2>"$TMP/err"
	rc=$?
	check "pipes: a FIFO's name out of memory: exit 1 (got $rc), said" \
		sh -c "[ $rc = 1 ] &&
		       grep -q 'sys: /proc: Cannot allocate memory' '$TMP/err'"
else
	not_ok "build fail-strdup.so"
fi

# A thread that unshared its fd table (CLONE_FILES) holds a pipe that the
# process's table does not show: it is listed, as the process's. Its bytes
# queued need a pidfd of the thread (PIDFD_THREAD, Linux 6.9) and root.
python3 -c 'import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
def own_table():
    if libc.unshare(0x400):	# CLONE_FILES
        os._exit(1)
    r, w = os.pipe()
    os.write(w, b"abc")
    with open(sys.argv[1], "w") as f:
        f.write("pid %d\n" % os.getpid())
    time.sleep(30)
threading.Thread(target=own_table, daemon=True).start()
time.sleep(30)' "$TMP/thr" &
PIDS+=($!)
wait_for thr || not_ok "helper: a thread with its own fd table"
thr=$(get thr pid)
kver=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
if [ "$(id -u)" = 0 ] && [ "$kver" -ge 6009 ]; then thrq=3; else thrq=-; fi
"$KIPCCTL" sys pipes >"$TMP/pipes-thr" 2>"$TMP/err"
check "pipes: a pipe in a thread's own fd table, held by $thr, $thrq queued" \
	[ "$(awk -v p="$thr(python3)" '$1 == "pipe" && $4 == p && $5 == p { print $3 }' \
		"$TMP/pipes-thr")" = "$thrq" ]
thrino=$(awk -v p="$thr(python3)" '$1 == "pipe" && $4 == p { print $2 }' "$TMP/pipes-thr")
check "pipes: ... which the process's own table does not hold" \
	sh -c "[ -n '$thrino' ] && ! ls -l /proc/$thr/fd | grep -qF 'pipe:[$thrino]'"

# The bytes queued are read through a copy of one of the pipe's
# descriptors, a writer's first, then each reader's in turn, until one is
# still the pipe (root only). swap-getfd.so gives /dev/null for the copy
# of each descriptor SWAP_GETFD names, as a dup2() since the scan would:
# a pipe whose write end (fd 11) and first read end (fd 10) are swapped is
# read through its other read end (fd 20); with all three swapped its
# depth is unknown (which shows the shim at work). The writer's copy
# answered the flipping row below on its own, whatever the readers' loop
# did (review s46, 6).
# swap_queued FDS: sys pipes' QUEUED of the pipe of $swp with FDS swapped.
swap_queued() {
	SWAP_GETFD="$swp:$1" LD_PRELOAD="$TMP/swap-getfd.so" "$KIPCCTL" \
		sys pipes 2>/dev/null |
		awk -v p="$swp(python3)" '$1 == "pipe" && $4 == p { print $3 }'
}
if [ "$(id -u)" != 0 ]; then
	skip "pipes: the next reader's copy: the bytes queued need root"
elif cc -shared -fPIC -O2 -Wall -o "$TMP/swap-getfd.so" \
	"$HERE/test/swap-getfd.c"; then
	python3 -c 'import os, sys, time
r, w = os.pipe()
os.write(w, b"hello")
os.dup2(r, 10)
os.dup2(r, 20)
os.dup2(w, 11)
os.close(r)
os.close(w)
with open(sys.argv[1], "w") as f:
    f.write("pid %d\n" % os.getpid())
time.sleep(300)' "$TMP/swap" &
	PIDS+=($!)
	wait_for swap || not_ok "helper: a pipe on fds 10, 11 and 20"
	swp=$(get swap pid)
	got=$(swap_queued 11,10)
	what="the next reader's copy read, 5 queued (got ${got:-none})"
	check "pipes: a writer's and a reader's copies swapped: $what" \
		[ "$got" = 5 ]
	got=$(swap_queued 11,10,20)
	check "pipes: ... all three swapped: - (got ${got:-none})" \
		[ "$got" = - ]
else
	not_ok "build swap-getfd.so"
fi

# A reader's descriptor that its process changes all the time: here fd
# 10 flips between a pipe's read end (fd 20 holds it too, fd 11 the write
# end, whose copy swap-getfd.so makes /dev/null) and an O_PATH descriptor
# of a FIFO whose writer blocks in open() until a reader comes. Reopening
# /proc/PID/fd/10 when it is the FIFO made root a reader of it, which let
# the writer's open() return; a copy of the descriptor opens nothing.
if [ "$(id -u)" = 0 ] && [ -e "$TMP/swap-getfd.so" ]; then
	mkfifo "$TMP/flipfifo"
	python3 -c 'import os, sys
fifo, out = sys.argv[1], sys.argv[2]
w = os.fork()
if w == 0:
    os.open(fifo, os.O_WRONLY)	# returns once a reader opened it
    open(out + ".opened", "w").close()
    os._exit(0)
r, wr = os.pipe()
os.dup2(r, 20)	# the read end, after fd 10: the reader kipcctl picks
os.dup2(wr, 11)
os.close(r)
os.close(wr)
opath = os.open(fifo, os.O_PATH)
with open(out, "w") as f:
    f.write("pid %d\nwriter %d\n" % (os.getpid(), w))
while True:
    os.dup2(20, 10)
    os.dup2(opath, 10)' "$TMP/flipfifo" "$TMP/flip" &
	PIDS+=($!)
	wait_for flip || not_ok "helper: the flipping descriptor"
	PIDS+=("$(get flip writer)")
	flipino=$(readlink "/proc/$(get flip pid)/fd/20" | tr -dc 0-9)
	for i in $(seq 40); do
		SWAP_GETFD="$(get flip pid):11" \
			LD_PRELOAD="$TMP/swap-getfd.so" \
			"$KIPCCTL" sys pipes >>"$TMP/flip-scans" 2>/dev/null
	done
	check "pipes: a descriptor that flips to a FIFO is never opened (40 scans)" \
		[ ! -e "$TMP/flip.opened" ]
	# Swapped between the readlink and the stat, the pipe's inode passed
	# for the FIFO the link named.
	check "pipes: ... and the pipe's inode $flipino never shows as the FIFO" \
		awk -v i="$flipino" 'BEGIN { bad = i == "" }
			$1 == "fifo" && $2 == i { bad = 1 } END { exit bad }' "$TMP/flip-scans"
	# Copied when it was the FIFO, fd 10 gave no bytes queued, and no
	# other descriptor of the pipe was tried (review s42, #12).
	# Without its write end swapped, the writer's copy answered each.
	check "pipes: ... whose bytes queued are read in every scan" \
		awk -v i="$flipino" '$1 == "pipe" && $2 == i {
				n++; bad += $3 != 0 }
			END { exit bad || n != 40 }' "$TMP/flip-scans"
else
	skip "pipes: a descriptor that flips to a FIFO: the bytes queued need root"
fi

# Closing the copy of a reader's descriptor runs the file's flush: a user
# who dup2()s a file of their own FUSE mount onto it has root's close()
# wait, unkillable, for a FUSE_FLUSH their daemon never answers (review
# s44, M1). slow-close.so makes each close() of a pidfd_getfd() copy sleep
# 60 s through any signal but SIGKILL: the helper that takes the copies
# hangs, kipcctl gives up on it after 1 s, says so once, and goes on with
# the depths unknown (root only).
# ms_since START: milliseconds since START (date +%s%N).
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
if [ "$(id -u)" != 0 ]; then
	skip "pipes, top: a copy whose close hangs: the bytes queued need root"
elif ! cc -shared -fPIC -O2 -Wall -o "$TMP/slow-close.so" \
	"$HERE/test/slow-close.c"; then
	not_ok "build slow-close.so"
else
	sh -c 'echo $$ >"$1/sw"; printf hello; exec sleep 30' sh "$TMP" |
		sh -c 'echo $$ >"$1/sr"; exec sleep 30' sh "$TMP" &
	for i in $(seq 50); do
		[ -s "$TMP/sw" ] && [ -s "$TMP/sr" ] && break
		sleep 0.1
	done
	sw=$(cat "$TMP/sw") sr=$(cat "$TMP/sr")
	PIDS+=("$sw" "$sr")
	sleep 0.2	# the writer has written
	note="^kipcctl: a pipe's depth could not be read in time"
	t0=$(date +%s%N)
	LD_PRELOAD=$TMP/slow-close.so timeout -s KILL 10 "$KIPCCTL" sys pipes \
		>"$TMP/pipes-slow" 2>"$TMP/err-slow"
	rc=$? ms=$(ms_since "$t0")
	check "pipes, a copy whose close hangs: exit 0 ($rc) in <= 4 s ($ms ms)" \
		[ "$rc" = 0 -a "$ms" -le 4000 ]
	check "pipes: ... the pipe $sw -> $sr shown, QUEUED -" \
		[ "$(awk -v r="$sr(sleep)" -v w="$sw(sleep)" \
			'$1 == "pipe" && $4 == r && $5 == w { print $3 }' \
			"$TMP/pipes-slow")" = - ]
	check "pipes: ... said once on stderr, and nothing else" \
		sh -c "grep -q \"$note\" '$TMP/err-slow' &&
		       [ \$(wc -l <'$TMP/err-slow') = 1 ]"
	sino=$(awk -v r="$sr(sleep)" '$1 == "pipe" && $4 == r { print $2 }' \
		"$TMP/pipes-slow")
	t0=$(date +%s%N)
	LD_PRELOAD=$TMP/slow-close.so timeout -s KILL 10 "$KIPCCTL" -j top \
		--count 2 --interval 0.2 >"$TMP/top-slow" 2>"$TMP/err-slow"
	rc=$? ms=$(ms_since "$t0")
	check "top, a copy whose close hangs: exit 0 ($rc), 2 samples in <= 4 s ($ms ms)" \
		[ "$rc" = 0 -a "$ms" -le 4000 -a \
		  "$(grep -c '"objects"' "$TMP/top-slow")" = 2 ]
	check "top: ... no pipe:${sino:-?} (its depth unknown), said once" \
		sh -c "[ -n '$sino' ] &&
		       ! grep -qF '\"pipe:$sino\"' '$TMP/top-slow' &&
		       [ \$(grep -c \"$note\" '$TMP/err-slow') = 1 ]"
	# Without the shim: one helper for the whole run (no child left per
	# refresh), holding its socket alone (fd 0: not top's stdout), and
	# the depth read.
	"$KIPCCTL" -j top --count 8 --interval 0.2 >"$TMP/top-probe" \
		2>"$TMP/err" &
	tp=$!
	sleep 1
	kids=$(ps -o comm= --ppid "$tp" | tr '\n' ' ')
	probe=$(pgrep -P "$tp")
	for i in 1 2 3; do	# not in the middle of a copy
		pfds=$(ls "/proc/$probe/fd" 2>/dev/null | tr '\n' ' ')
		[ "$pfds" = "0 " ] && break
	done
	psock=$(readlink "/proc/$probe/fd/0" | tr -dc 0-9)
	wait "$tp"
	rc=$?
	check "top: one child, kipcctl-probe ($kids), with fd 0 alone ($pfds)" \
		[ "$kids" = "kipcctl-probe " -a "$pfds" = "0 " ]
	check "top: ... exit 0 (got $rc), pipe:$sino with 5 bytes, nothing on stderr" \
		sh -c "[ $rc = 0 ] && [ ! -s '$TMP/err' ] &&
		       grep -qF '\"object\":\"pipe:$sino\",\"depth\":5,' \
				'$TMP/top-probe'"
	check "top: ... its socket (${psock:-?}) not among the unix rows" \
		sh -c "[ -n '$psock' ] &&
		       ! grep -qF '\"object\":\"unix:$psock\"' '$TMP/top-probe'"
	check "top: ... and reaped at exit" [ -n "$probe" -a ! -e "/proc/$probe" ]
fi

# Names are other users': a process named with a terminal escape, a quote
# and a backslash (prctl PR_SET_NAME) must not reach the terminal raw nor
# break the DOT graph.
ESC=$'\e'
# named_writer NAME FILE: a process named NAME (PR_SET_NAME, its bytes as
# they are), its pid in FILE once named, writing into a pipe that sleep
# reads.
named_writer() {
	python3 -c 'import ctypes, os, sys, time
ctypes.CDLL(None).prctl(15, os.fsencode(sys.argv[1]), 0, 0, 0)
open(sys.argv[2] + ".tmp", "w").write(str(os.getpid()))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(20)' "$1" "$2" | sleep 20 &
	PIDS+=($!)
	for i in $(seq 50); do
		[ -s "$2" ] && break
		sleep 0.1
	done
}
named_writer "$ESC[2Jq\"x\\" "$TMP/evil.pid"
evil=$(cat "$TMP/evil.pid" 2>/dev/null)
"$KIPCCTL" sys graph >"$TMP/graph2" 2>"$TMP/err"
check "graph: a name with a terminal escape is shown escaped" \
	sh -c "grep -qF '$evil' '$TMP/graph2' && grep -qF '\\x1b[2Jq' '$TMP/graph2' &&
	       ! grep -q '$ESC' '$TMP/graph2'"
"$KIPCCTL" sys graph --dot >"$TMP/graph2.dot" 2>"$TMP/err"
check "graph --dot: the name's quote, backslash and ESC escaped" \
	grep -qF "label=\"$evil\\n\\\\x1b[2Jq\\\"x\\\\\"" "$TMP/graph2.dot"
if command -v dot >/dev/null; then
	# graphviz drops the backslash of an escape it does not know (\x).
	check "graph --dot: dot draws the name with its \\x1b" \
		sh -c "dot -Tsvg '$TMP/graph2.dot' | grep -qF '>\\x1b[2Jq&quot;x\\<'"
else
	skip "graph --dot: the drawn name: dot is not installed"
fi
# A name that reads as the end of one PID(NAME) and another's start, or
# as two columns: one process, one column.
named_writer "x),1(init y" "$TMP/fake.pid"
fake=$(cat "$TMP/fake.pid" 2>/dev/null)
"$KIPCCTL" sys pipes >"$TMP/pipes-fake" 2>"$TMP/err"
"$KIPCCTL" sys graph >"$TMP/graph-fake" 2>"$TMP/err"
want='x\x29\x2c1\x28init\x20y'
check "pipes: a name with ),( and a space adds no process to a list" \
	sh -c "grep -qF ' $fake($want) ' '$TMP/pipes-fake' &&
	       ! grep -qF '1(init' '$TMP/pipes-fake'"
check "graph: a name with a space stays one column" \
	[ "$(awk -v p="$fake" '$1 == p { print $2 }' "$TMP/graph-fake" | sort -u)" = "$want" ]
# A name with a newline: the whole of it (a line of /proc/PID/comm ended
# at the first newline), escaped.
named_writer $'a\nb' "$TMP/nl.pid"
nlp=$(cat "$TMP/nl.pid" 2>/dev/null)
"$KIPCCTL" sys graph >"$TMP/graph-nl" 2>"$TMP/err"
check "graph: a name with a newline, whole and escaped" \
	[ "$(awk -v p="$nlp" '$1 == p { print $2 }' "$TMP/graph-nl" | sort -u)" = 'a\x0ab' ]
# A name with a bidi override (U+202E) and a zero-width space (U+200B),
# Unicode format characters: on a terminal that draws bidi text the first
# reversed the rest of the row (review s44, (e)). Escaped as the controls
# are: each byte \xNN in tables, the character \uNNNN in JSON.
named_writer $'r\xe2\x80\xaeo\xe2\x80\x8bw' "$TMP/bidi.pid"
bidi=$(cat "$TMP/bidi.pid" 2>/dev/null)
"$KIPCCTL" sys graph >"$TMP/graph-bidi" 2>"$TMP/err"
check "graph: a name with U+202E and U+200B, their bytes escaped" \
	[ "$(awk -v p="$bidi" '$1 == p { print $2 }' "$TMP/graph-bidi" |
	     sort -u)" = 'r\xe2\x80\xaeo\xe2\x80\x8bw' ]
"$KIPCCTL" -j sys pipes >"$TMP/pipes-bidi.json" 2>"$TMP/err"
check "pipes -j: ... as \\u202e and \\u200b" \
	grep -qF '"r\u202eo\u200bw"' "$TMP/pipes-bidi.json"
check "pipes -j: ... which read back are the name" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not any(w["comm"] == "r\u202eo\u200bw"
                 for p in d["pipes"] for w in p["writers"]))
' "$TMP/pipes-bidi.json"
# A format character above U+FFFF (U+E0001, a language tag, 4 bytes of
# UTF-8): in JSON as its surrogate pair, \udb40\udc01, which no row ran
# (review s46, 16).
named_writer $'a\xf3\xa0\x80\x81b' "$TMP/tag.pid"
tag=$(cat "$TMP/tag.pid" 2>/dev/null)
"$KIPCCTL" sys graph >"$TMP/graph-tag" 2>"$TMP/err"
check "graph: a name with U+E0001, its 4 bytes escaped" \
	[ "$(awk -v p="$tag" '$1 == p { print $2 }' "$TMP/graph-tag" |
	     sort -u)" = 'a\xf3\xa0\x80\x81b' ]
"$KIPCCTL" -j sys pipes >"$TMP/pipes-tag.json" 2>"$TMP/err"
check "pipes -j: ... as \\udb40\\udc01, which reads back as the name" \
	python3 -c '
import json, sys
t = open(sys.argv[1]).read()
d = json.loads(t)
sys.exit(not ("\"a\\udb40\\udc01b\"" in t and
              any(w["comm"] == "a\U000e0001b"
                  for p in d["pipes"] for w in p["writers"])))
' "$TMP/pipes-tag.json"
# The kernel cuts a name to 15 bytes, maybe inside a UTF-8 character:
# JSON output stays valid UTF-8.
python3 -c 'import ctypes, time
ctypes.CDLL(None).prctl(15, b"a" * 14 + "\u00e9".encode(), 0, 0, 0)
time.sleep(20)' | sleep 20 &
PIDS+=($!)
sleep 1
"$KIPCCTL" -j sys graph >"$TMP/graph2.json" 2>"$TMP/err"
check "graph -j: a name cut inside a UTF-8 character, valid JSON" python3 -c '
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(not any(p["comm"].startswith("a" * 14) for p in d["processes"]))
' "$TMP/graph2.json"
if command -v dot >/dev/null; then
	check "graph --dot with that name renders (dot -Tsvg)" \
		sh -c "dot -Tsvg '$TMP/graph2.dot' >/dev/null"
else
	skip "graph --dot with that name renders: dot is not installed"
fi

# sys check: planted problems are reported, the healthy objects are not.
"$TMP/sys-helper" orphan-shm >"$TMP/orphan" && ORPHAN_ID=$(get orphan id)
"$TMP/sys-helper" full-msg >"$TMP/fullmsg" && FULL_MSG_ID=$(get fullmsg id)
"$TMP/sys-helper" full-mq "/$NAME-full" >"$TMP/fullmq" && FULL_MQ=1
# A name may start with a dot, and hold a terminal escape.
"$TMP/sys-helper" full-mq "/.$NAME-e$ESC[2J" >"$TMP/dotmq" && DOT_MQ="/.$NAME-e$ESC[2J"
# yes fills the pipe and blocks.
sh -c 'echo $$ >"$1/yes"; exec yes' sh "$TMP" 2>/dev/null | sleep 30 &
PIDS+=($!)
# full_pipe FILE MODE: a pipe whose writer blocks with fewer bytes queued
# than its capacity, for the kernel counts pages (review s44, L5): MODE
# partly (its capacity written, one byte read, one more written: a byte
# short of full, 65535 of 65536 bytes with 4 KiB pages) or packet
# (O_DIRECT: a byte a page and one more written, 16 queued); in FILE its
# inode, its writer's pid, its size (F_GETPIPE_SZ), its pages and the
# bytes queued (a default pipe is 16 pages: 1 MiB with 64 KiB pages, where
# the sizes of 4 KiB pages failed these rows; review s46, 9), once they
# are queued (not 0.5 s later; review s46, 13). The writer dies of
# SIGPIPE when the reader ends (after 30 s), as yes does: python ignores
# it, and the blocked write's EPIPE printed a BrokenPipeError in the
# middle of the TAP output.
full_pipe() {
	python3 -c 'import fcntl, os, signal, struct, sys, termios, time
packet = sys.argv[2] == "packet"
r, w = os.pipe2(os.O_DIRECT if packet else 0)
size = fcntl.fcntl(w, 1032)	# F_GETPIPE_SZ
pages = size // os.sysconf("SC_PAGE_SIZE")
writer = os.fork()
if writer == 0:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.close(r)
    for b in [b"p"] * (pages + 1) if packet else [b"x" * size, b"y"]:
        os.write(w, b)
    os._exit(0)
os.close(w)
if not packet:
    os.read(r, 1)
queued = pages if packet else size - 1
while struct.unpack("i", fcntl.ioctl(r, termios.FIONREAD, b"0000"))[0] < queued:
    time.sleep(0.01)	# all written but the write that blocks
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("ino %d\nwriter %d\npid %d\nsize %d\npages %d\nqueued %d\n" %
            (os.fstat(r).st_ino, writer, os.getpid(), size, pages, queued))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(30)' "$TMP/$1" "$2" &
	PIDS+=($!)
	wait_for "$1" && PIDS+=("$(get "$1" writer)")
}
full_pipe partly partly || not_ok "helper: a pipe full a byte short"
full_pipe packet packet || not_ok "helper: a packet pipe full a byte a page"
# with_mqueue COMMAND...: with the mqueue file system mounted (in a private
# mount as root when it is not), or as is.
with_mqueue() {
	if grep -q ' - mqueue ' /proc/self/mountinfo; then
		"$@"
	elif [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
		mkdir -p "$TMP/mqmount"
		unshare -m sh -c 'mount -t mqueue none "$1" && shift && exec "$@"' \
			sh "$TMP/mqmount" "$@"
	else
		"$@"
	fi
}
run_check() { with_mqueue "$KIPCCTL" "$@" sys check; }
run_check >"$TMP/check" 2>"$TMP/err"
rc=$?
check "check: exit 3 when problems are found (got $rc)" [ $rc = 3 ]
check "check: the orphaned segment $ORPHAN_ID" grep -q "^warning sysv-shm:$ORPHAN_ID: .*creator .* is gone" "$TMP/check"
check "check: the full queue $FULL_MSG_ID" grep -q "^error   sysv-msg:$FULL_MSG_ID.*: full: .* of 64 bytes" "$TMP/check"
if [ "$(id -u)" = 0 ]; then
	check "check: the full POSIX queue /$NAME-full" grep -q "^error   /$NAME-full: full: 2 of 2 messages" "$TMP/check"
	check "check: the full POSIX queue /.$NAME-e\\x1b[2J, escaped" \
		sh -c "grep -qF 'error   /.$NAME-e\\x1b[2J: full' '$TMP/check' &&
		       ! grep -q '$ESC' '$TMP/check'"
	# yes's pipe is of the default size, as full_pipe's are.
	full="all its $(get partly pages) pages taken; its writers block"
	yes="(pids $(cat "$TMP/yes")): full: .* bytes queued, $full"
	check "check: the full pipe with its blocked writer, yes" \
		grep -q "^warning pipe:.* $yes" "$TMP/check"
	for p in partly packet; do
		q=$(get "$p" queued) size=$(get "$p" size)
		want="pipe:$(get "$p" ino) (pids $(get "$p" writer)): full:"
		check "check: the pipe whose writer blocks at $q of $size" \
			grep -qF "warning $want $q of $size bytes" \
			"$TMP/check"
	done
	check "check: not the pipe with 5 bytes" [ -z "$(grep "^warning pipe:$pino" "$TMP/check")" ]
	# Only a writer's copy tells that a pipe a byte short of full blocks
	# its writers: with the copy of its first write end (fd 10) another
	# file (swap-getfd.so), its second (fd 21) is polled; with both, none
	# is (its reader's copy, fd 20, does not tell), and it is no finding.
	python3 -c 'import fcntl, os, sys, time
r, w = os.pipe()
os.write(w, b"x" * fcntl.fcntl(w, 1032))	# F_GETPIPE_SZ
os.read(r, 1)
os.dup2(w, 10)
os.dup2(w, 21)
os.dup2(r, 20)
ino = os.fstat(r).st_ino
os.close(r)
os.close(w)
with open(sys.argv[1], "w") as f:
    f.write("pid %d\nino %d\n" % (os.getpid(), ino))
time.sleep(300)' "$TMP/wfull" &
	PIDS+=($!)
	wait_for wfull || not_ok "helper: a full pipe on fds 10, 20 and 21"
	# Its writer's pid once, though it holds two write ends.
	wf="^warning pipe:$(get wfull ino) (pids $(get wfull pid)): full:"
	for fds in 10:1 10,21:0; do
		SWAP_GETFD="$(get wfull pid):${fds%:*}" \
			LD_PRELOAD="$TMP/swap-getfd.so" "$KIPCCTL" sys check \
			>"$TMP/check-swap" 2>/dev/null
		got=$(grep -c "$wf" "$TMP/check-swap")
		check "check: full pipe, fds ${fds%:*} swapped: $got found" \
			[ "$got" = "${fds#*:}" ]
	done
	# A poll() of a writer's copy marks its pipe for good (Linux 5.16:
	# pipe->poll_usage, a wake-up on each later write): sys check polls,
	# sys pipes and top do not (review s46, 2). Both did on the old code.
	polls() {
		strace -f -qq -e trace=poll -o "$TMP/strace" "$KIPCCTL" "$@" \
			>/dev/null 2>&1
		grep -c POLLOUT "$TMP/strace"
	}
	if strace -f -qq -o /dev/null true 2>/dev/null; then
		got="$(polls sys pipes) $(polls -j top --count 1)"
		got="$got $(polls sys check)"
		check "sys pipes and top poll no pipe, sys check does: $got" \
			sh -c '[ "${1% *}" = "0 0" ] && [ "${1##* }" -gt 0 ]' \
			sh "$got"
	else
		skip "sys pipes and top poll no pipe: no strace here"
	fi
else
	skip "check: the full POSIX queue and the full pipe need root"
fi
check "check: not the attached segment $SHM_ID" [ -z "$(grep "sysv-shm:$SHM_ID:" "$TMP/check")" ]
check "check: not the POSIX queue with one message" [ -z "$(grep "^[a-z]* */$NAME:" "$TMP/check")" ]
check "check: a remedy for each finding" [ "$(grep -c '^        remedy: ' "$TMP/check")" -ge 3 ]
run_check -j >"$TMP/check.json" 2>"$TMP/err"
check "check -j: valid JSON, the same findings" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
objs = {f["object"] for f in d["findings"]}
sys.exit(not (d["count"] == len(d["findings"]) and
              "sysv-shm:" + sys.argv[2] in objs and "sysv-msg:" + sys.argv[3] in objs))
' "$TMP/check.json" "$ORPHAN_ID" "$FULL_MSG_ID"
# In a PID namespace of its own (a container), /proc/sysvipc shows a
# process outside it as pid 0: the creator of a segment nobody attaches,
# alive outside, is not "gone" (it was: pid 0 is no live process).
if [ "$(id -u)" = 0 ] && unshare -p -f --mount-proc true 2>/dev/null; then
	hold detached shm-detached || not_ok "helper: a segment nobody attaches"
	DET_ID=$(get detached id)
	unshare -p -f --mount-proc "$KIPCCTL" sys check >"$TMP/check-pidns" 2>&1
	check "check in a PID namespace: segment $DET_ID, its creator alive outside, is no finding" \
		sh -c "[ -n '$DET_ID' ] && grep -q 'problems\? found' '$TMP/check-pidns' &&
		       ! grep -q 'sysv-shm:$DET_ID:' '$TMP/check-pidns'"
	run_check >"$TMP/check-det" 2>&1
	check "check: ... nor where its creator $(get detached pid) is seen alive" \
		sh -c "! grep -q 'sysv-shm:$DET_ID:' '$TMP/check-det'"
else
	skip "check in a PID namespace: needs root"
	skip "check: a segment whose creator is alive: needs root"
fi
# A cap near 2^64 (fake-kipc.so: 1 region of 204963823041217241): 1 is
# not 90% of it (the cap times 90 wrapped to 74, and 1 * 100 passed it).
fake_kipc -- sys check >"$TMP/check-cap" 2>&1
check "check: 1 region of a cap of 2^64 / 90 is no finding" \
	sh -c "grep -q 'problems\? found' '$TMP/check-cap' && ! grep -q 'kipc-user:' '$TMP/check-cap'"
# In a user namespace kipc charges the caller to the namespace's owner
# (uid 100000 here, at its channel cap): the get of the caller's own uid
# finds nothing, the dump gives the caller's one record. sys check missed
# the cap.
fake_kipc FAKE_KIPC_USERNS=1 -- sys check >"$TMP/check-userns" 2>&1
check "check: in a user namespace, the owner's record at its cap is an error" \
	grep -q 'kipc-user:100000.*10 of 10 channels' "$TMP/check-userns"

# top: without the module, every stock queue; --record and plot.
"$KIPCCTL" top --record "$TMP/rec" --interval 0.2 --count 2 2>"$TMP/err"
check "top --record: exit 0, a versioned header" \
	sh -c "[ $? = 0 ] && head -1 '$TMP/rec' | grep -qx '# kipcctl top --record 1'"
check "top --record: sysv-msg:$msg with 2 messages in both samples" \
	[ "$(awk -v o="sysv-msg:$msg" '$3 == "sysv-msg" && $4 == o && $5 == 2 && $6 == "msgs"' "$TMP/rec" | wc -l)" = 2 ]
# Two queues whose names differ in a backquote and a quote, which a
# record cannot hold as they are: they stay two objects.
"$TMP/sys-helper" full-mq "/$NAME-q\`x" >/dev/null &&
	"$TMP/sys-helper" full-mq "/$NAME-q'x" >/dev/null && TWIN_MQ=1
if with_mqueue "$KIPCCTL" sys mqueue 2>/dev/null | grep -q "$NAME-full"; then
	with_mqueue "$KIPCCTL" -j top --count 1 >"$TMP/top-twins.json" 2>"$TMP/err"
	check "top -j: two queues named q\`x and q'x stay two" \
		sh -c "grep -qF '\"mqueue:/$NAME-q%60x\"' '$TMP/top-twins.json' &&
		       grep -qF '\"mqueue:/$NAME-q%27x\"' '$TMP/top-twins.json'"
else
	skip "top -j: two queues named alike: no mqueue file system"
fi
# Two queues whose names share their first 170 bytes: they were cut to one
# name (TOP_NAME_LEN), so that each sample's rate was the other's.
LONG_MQ=/$NAME-$(printf '%0150d' 0 | tr 0 l)
"$TMP/sys-helper" full-mq "$LONG_MQ-a" >/dev/null &&
	"$TMP/sys-helper" full-mq "$LONG_MQ-b" >/dev/null
if with_mqueue "$KIPCCTL" sys mqueue 2>/dev/null | grep -q "$NAME-full"; then
	with_mqueue "$KIPCCTL" -j top --count 1 >"$TMP/top-long.json" 2>"$TMP/err"
	check "top -j: two queues named alike for 170 bytes stay two" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = [o["object"] for o in d["objects"] if o["object"].startswith("mqueue:" + sys.argv[2][:60])]
sys.exit(not (len(n) == 2 and len(set(n)) == 2))
' "$TMP/top-long.json" "$LONG_MQ"
else
	skip "top -j: two queues of long names alike: no mqueue file system"
fi
# top_tty ROWS COLS RESIZE ARGS...: kipcctl top ARGS on a terminal of ROWS
# lines of COLS columns, resized to RESIZE lines after its first table (0:
# not). Per table drawn: the queues in all, the rows shown, the widest line
# but the title (which wraps), the title's lines, the title's length.
cat >"$TMP/top-tty.py" <<'PY'
import fcntl, os, pty, select, struct, sys, termios, time
kipcctl, (rows, cols, resize) = sys.argv[1], map(int, sys.argv[2:5])
def size(fd, rows):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
pid, fd = pty.fork()
if pid == 0:
    size(1, rows)
    os.execv(kipcctl, [kipcctl, "top"] + sys.argv[5:])
out, t0 = b"", time.time()
while time.time() - t0 < 30:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            d = os.read(fd, 65536)
        except OSError:
            break
        if not d:
            break
        out += d
    elif resize and b"KIND" in out:
        size(fd, resize)
        resize = 0
os.waitpid(pid, 0)
s = out.decode(errors="replace").replace("\r", "")
for t in s.split("\x1b[H\x1b[2J")[1:]:
    lines = t.split("\n")
    print(lines[0].split()[2], len(lines[3:lines.index("", 3)]),
          max(len(x) for x in lines[1:]), -(-len(lines[0]) // cols),
          len(lines[0]))
PY
top_tty() { python3 "$TMP/top-tty.py" "$KIPCCTL" "$@"; }
# On a terminal without --limit: the busiest rows that fit (10 lines: 6
# rows), and after a resize to 14 lines (SIGWINCH) drawn again at once,
# with 10. Every row was printed, and the busiest scrolled off the top.
top_tty 10 200 14 --interval 3 --count 2 >"$TMP/top-tty" 2>"$TMP/err"
if [ "$(awk 'NR == 1 { print $1 }' "$TMP/top-tty")" -gt 10 ] 2>/dev/null; then
	check "top on a 10-line terminal: 6 rows, then 10 at once on a resize to 14 lines, and after" \
		[ "$(awk '{ printf "%s ", $2 }' "$TMP/top-tty")" = "6 10 10 " ]
else
	skip "top on a terminal: 10 queues or fewer here ($(head -1 "$TMP/top-tty"))"
fi
# On a terminal of 12 lines of 72 columns, with a title of 2 lines there
# (kipc's socket refused: its error in the title): every line within 72
# columns (a row has 92 with an OBJECT of 28), and the table within 12
# lines, its title's two and the cursor's counted: 7 rows (review s44,
# (f)). Rows wrapped, and the title scrolled off.
LD_PRELOAD=$FAKE_KIPC FAKE_KIPC_OPEN=e top_tty 12 72 0 --count 1 \
	>"$TMP/top-narrow" 2>"$TMP/err"
read -r nq nrows widest tlines _ <"$TMP/top-narrow"
if [ "${nq:-0}" -gt 10 ] 2>/dev/null; then
	check "top, 12 lines of 72: $nrows rows, widest $widest, title $tlines" \
		[ "$nrows:$widest:$tlines" = "7:72:2" ]
else
	skip "top on 72 columns: 10 queues or fewer here ($nq)"
fi
# On a terminal exactly as wide as the whole table's title ("busiest
# first", measured on a large one) and 15 lines high: the title of the
# cut table ("the 10 busiest") is a column longer and wraps to 2 lines,
# so 10 rows fit (2 + 3 + 10). The old code counted the lines of the
# title not printed: 11 rows, and the title scrolled off.
top_tty 500 1000 0 --count 1 >"$TMP/top-wide" 2>"$TMP/err"
read -r nq _ _ _ tlen <"$TMP/top-wide"
if [ "${nq:-0}" -gt 11 ] 2>/dev/null && [ "${tlen:-0}" -gt 64 ]; then
	top_tty 15 "$tlen" 0 --count 1 >"$TMP/top-edge" 2>"$TMP/err"
	read -r _ nrows _ tlines _ <"$TMP/top-edge"
	what="$nrows rows, title $tlines lines"
	check "top, 15 lines of $tlen (the whole title's): $what" \
		[ "$nrows:$tlines" = "10:2" ]
else
	skip "top on the title's width: 11 queues or fewer here ($nq)"
fi
# The kipc module gone after the first sample (the open tried again at
# once fails), still gone at the third, back at the fourth (fake-kipc.so):
# top samples on, channel 7 again once kipc is back, and says so once. top
# ended at the second, the error twice.
fake_kipc FAKE_KIPC_OPEN=ynny FAKE_KIPC_DUMP=ogo -- top --record "$TMP/rec-gone" \
	--interval 0.2 --count 4 2>"$TMP/err-gone"
rc=$?
sed 's/^/# /' "$TMP/err-gone"
check "top: kipc gone mid-run: exit 0 (got $rc), 4 samples of sysv-msg:$msg" \
	[ "$rc:$(awk -v o="sysv-msg:$msg" '$4 == o { print $2 }' "$TMP/rec-gone" | tr '\n' ' ')" = "0:0 1 2 3 " ]
check "top: ... kipc-channel:7 in samples 0 and 3, once kipc is back" \
	[ "$(awk '$4 == "kipc-channel:7" { print $2 }' "$TMP/rec-gone" | tr '\n' ' ')" = "0 3 " ]
check "top: ... one line on stderr" [ "$(wc -l <"$TMP/err-gone")" = 1 ]
# A module unloaded and loaded again between two samples: the dump of the
# old family fails, the open tried again at once finds the new one.
fake_kipc FAKE_KIPC_OPEN=yy FAKE_KIPC_DUMP=go -- top --record "$TMP/rec-reload" \
	--interval 0.2 --count 1 2>"$TMP/err-reload"
rc=$?
sed 's/^/# /' "$TMP/err-reload"
check "top: kipc reloaded: exit 0 (got $rc), channel 7 in the sample, nothing on stderr" \
	[ "$rc:$(awk '$4 == "kipc-channel:7" { print $2 }' "$TMP/rec-reload"):$(wc -c <"$TMP/err-reload")" = "0:0:0" ]
# A module reloaded between two samples numbers its channels from 1
# again: the new one's channel 7 (sent 25, received 10) is another object
# than the old one's (sent 10, received 10): rate 0 and its messages moved
# since its creation, not 15 sent in the interval (review s44, L1). Nor is
# a channel 7 that received fewer than the one before (sent 15, received
# 0): its messages moved wrapped to 2^64 - 5.
for d in ogr od; do
	fake_kipc FAKE_KIPC_DUMP=$d -- -j top --interval 0.2 --count 2 \
		>"$TMP/top-another-$d" 2>"$TMP/err"
	check "top -j: dumps $d: channel 7 new again, rate 0" python3 -c '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])][1]
o = [x for x in d["objects"] if x["object"] == "kipc-channel:7"]
c = d["channels"]
ch = c[0]["channel"] if len(c) == 1 else {}
sys.exit(not (len(o) == 1 and o[0]["rate"] == 0 and len(c) == 1 and
              c[0]["moved"] == ch["msgs_sent"] + ch["msgs_received"]))
' "$TMP/top-another-$d"
done
# sys kipc-channel: without the module the section says so, exit 0; with
# kipc's socket refused it says the section is unreadable, exit 1.
fake_kipc FAKE_KIPC_OPEN=n -- sys kipc-channel >"$TMP/kc-n" 2>"$TMP/err"
rc=$?
check "sys kipc-channel, no module: exit 0 (got $rc), not loaded" \
	[ "$rc:$(grep -c 'module is not loaded' "$TMP/kc-n")" = "0:1" ]
fake_kipc FAKE_KIPC_OPEN=e -- sys kipc-channel >"$TMP/kc-e" 2>"$TMP/err"
rc=$?
sed 's/^/# /' "$TMP/err"
check "sys kipc-channel, socket refused: exit 1 (got $rc), unreadable, the error on stderr" \
	[ "$rc:$(grep -c 'unreadable' "$TMP/kc-e"):$(grep -c 'sys kipc-channel: Permission denied' "$TMP/err")" = "1:1:1" ]
# kipc's socket refused (EACCES) twice, then opened: said once on stderr,
# the title says why kipc is missing, not that it is not loaded.
fake_kipc FAKE_KIPC_OPEN=eey -- top --interval 0.2 --count 3 \
	>"$TMP/top-denied" 2>"$TMP/err-denied"
rc=$?
sed 's/^/# /' "$TMP/err-denied"
check "top: kipc refused: exit 0 (got $rc), one line on stderr naming the error" \
	[ "$rc:$(grep -c 'Permission denied' "$TMP/err-denied"):$(wc -l <"$TMP/err-denied")" = "0:1:1" ]
check "top: ... titles: unreadable twice, then 1 kipc channels" \
	[ "$(grep -o '(kipc unreadable: Permission denied\|(1 kipc channels' "$TMP/top-denied" | tr '\n' ' ')" = "(kipc unreadable: Permission denied (kipc unreadable: Permission denied (1 kipc channels " ]
if [ "$(id -u)" = 0 ]; then
	check "top --record: $pino with 5 bytes (root)" \
		[ "$(awk -v o="$pino" '$4 == o && $5 == 5 && $6 == "bytes"' "$TMP/rec" | wc -l)" = 2 ]
else
	skip "top --record: bytes queued in a pipe need root"
fi
# What a caller without privilege cannot read is left out, and said so:
# the POSIX queue (0600, root's) and root's processes' fds.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod o+x "$TMP"	# to a private mqueue mount in it
	with_mqueue setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KIPCCTL" top --count 1 >"$TMP/top-nobody" 2>"$TMP/err"
	head -1 "$TMP/top-nobody" | sed 's/^/# /'
	check "top as nobody: the title counts what it could not read" \
		sh -c "head -1 '$TMP/top-nobody' | grep -Eq 'not readable: [1-9][0-9]* POSIX queues, the fds of [1-9][0-9]* processes'"
	with_mqueue setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KIPCCTL" -j top --count 1 >"$TMP/top-nobody.json" 2>"$TMP/err"
	check "top -j as nobody: unreadable counts" python3 -c '
import json, sys
u = json.load(open(sys.argv[1]))["unreadable"]
sys.exit(not (u["mqueues"] >= 1 and u["processes"] >= 1))
' "$TMP/top-nobody.json"
	with_mqueue setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$KIPCCTL" sys check >"$TMP/check-nobody" 2>"$TMP/err"
	check "sys check as nobody: says what it could not check" \
		grep -Eq '^not checked \(not readable by this user\): [1-9][0-9]* POSIX queues, the fds of [1-9][0-9]* processes$' "$TMP/check-nobody"
else
	skip "top as nobody: needs root and setpriv"
	skip "top -j as nobody: needs root and setpriv"
	skip "sys check as nobody: needs root and setpriv"
fi
"$KIPCCTL" -j top --count 1 --limit 3 >"$TMP/top.json" 2>"$TMP/err"
check "top -j: valid JSON, objects and channels" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (isinstance(d["objects"], list) and isinstance(d["channels"], list)
              and any(o["object"] == "sysv-msg:" + sys.argv[2] and o["depth"] == 2
                      and o["basis"] == "depth" for o in d["objects"])))
' "$TMP/top.json" "$msg"
"$KIPCCTL" -j top --record "$TMP/rec.json" --interval 0.2 --count 2 2>"$TMP/err"
check "top -j --record: JSON lines" python3 -c '
import json, sys
l = [json.loads(x) for x in open(sys.argv[1])]
sys.exit(not ({x["sample"] for x in l} == {0, 1} and
              all(set(x) == {"time", "sample", "kind", "object", "depth", "unit",
                             "limit", "rate", "basis"} for x in l)))
' "$TMP/rec.json"
"$KIPCCTL" top --interval 0 --count 1 >/dev/null 2>&1
check "top --interval 0: exit 2" [ $? = 2 ]
"$KIPCCTL" monitor --count 3000000000 >/dev/null 2>&1
check "monitor --count above INT_MAX: exit 2, not a count that wraps" [ $? = 2 ]
# monitor_bg [SIG]: kipcctl monitor in the background (fake-kipc.so: no
# event comes), its pid in mp once it is monitoring; SIGINT and SIGTERM
# at their defaults (bash has background commands ignore SIGINT), but SIG
# (INT or TERM) ignored. The watchdog is an alarm that kipcctl inherits:
# a watchdog process would be left to kill whatever had the pid later,
# and a signal sent to bash's child before it runs a command runs the
# EXIT trap (cleanup) there; hence also no "monitoring" of the last run.
monitor_bg() {
	rm -f "$TMP/err-mon"
	env LD_PRELOAD="$FAKE_KIPC" python3 -c 'import os, signal, sys
for s in signal.SIGINT, signal.SIGTERM:
    signal.signal(s, signal.SIG_DFL)
if sys.argv[1]:
    signal.signal(getattr(signal, "SIG" + sys.argv[1]), signal.SIG_IGN)
signal.alarm(10)
os.execv(sys.argv[2], sys.argv[2:])' "${1:-}" "$KIPCCTL" monitor \
		>/dev/null 2>"$TMP/err-mon" &
	mp=$!
	for i in $(seq 50); do
		grep -q 'monitoring' "$TMP/err-mon" && break
		sleep 0.1
	done
}
# monitor "until interrupted" ends on SIGINT and SIGTERM as top does, exit
# 0: it died of them, 130 or 143, to a script (review s44, (b)).
for sig in INT TERM; do
	monitor_bg
	kill -"$sig" "$mp"
	wait "$mp"
	rc=$?
	check "monitor, sent SIG$sig: exit 0 (got $rc)" [ "$rc" = 0 ]
done
# A signal ignored at start stays ignored, as a shell's background job
# expects (a script's "kipcctl monitor &" ignores the ^C meant for its
# foreground command): the other one still ends it, exit 0. The old code
# caught the ignored one too, and ended on it (review s46, 3).
for sig in INT:TERM TERM:INT; do
	ign=${sig%:*} end=${sig#*:}
	monitor_bg "$ign"
	kill -"$ign" "$mp"
	sleep 0.3
	kill -0 "$mp" 2>/dev/null && alive=alive || alive=gone
	kill -"$end" "$mp" 2>/dev/null
	wait "$mp"
	rc=$?
	what="$alive after it, exit $rc on SIG$end"
	check "monitor, SIG$ign ignored at start: $what" \
		[ "$alive:$rc" = "alive:0" ]
done
# trace's numbers too (each refused before any tracing starts).
for a in "--count 4294967297" "--count 2147483648" "--interval 1x" \
	 "--interval 4294967297"; do
	"$KIPCCTL" trace $a >/dev/null 2>&1
	check "trace $a: exit 2, not a number that wraps or is cut" [ $? = 2 ]
done
# trace keeps up with the events of 40 000 channels: 6 each, 240 000 in
# all, written at once into the trace_pipe of its instance (fake-tracefs.so:
# a FIFO), are all counted. A search of its channels for each event
# counted 78 000 of them in 3 s (review s44, (g)), and the kernel's trace
# buffer would have dropped the rest. No interval to beat (all in 4 s
# was at the mercy of a loaded host; review s46, 13): the writer waits
# until trace has read the FIFO empty, times that and ends trace with
# SIGINT; the 240 000 events of one channel, read the same way, are the
# yardstick.
# trace_drain CHANNELS NAME: the drain of the 240 000 events of CHANNELS
# channels by trace; its output in $TMP/NAME.json, its exit status and
# the drain's seconds in $TMP/NAME.
trace_drain() {
	FAKE_TRACEFS=$TMP/tracefs LD_PRELOAD=$TMP/fake-tracefs.so \
		"$KIPCCTL" -j trace --interval 120 --count 1 \
		>"$TMP/$2.json" 2>"$TMP/err-$2" &
	local tp=$! secs
	secs=$(timeout 60 python3 -c 'import fcntl, os, signal, struct, sys
import termios, time
fifo, pid, chans = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
line = ("          <...>-1234    [001] d..1.  12.345678: kipc_msg_recv: "
        "chan=%d bytes=8 bufs=0 lends=0 queued_ns=1500\n")
block = "".join(line % (c % chans + 1) for c in range(40000))
with open(fifo, "w") as f:	# once trace opened it
    t = time.monotonic()
    for r in range(6):
        f.write(block)
    f.flush()
    while struct.unpack("i", fcntl.ioctl(f, termios.FIONREAD, b"0000"))[0]:
        time.sleep(0.01)
    print("%.2f" % (time.monotonic() - t))
    # The end of file, with SIGINT, is an error: closed once trace ended.
    os.kill(pid, signal.SIGINT)
    try:	# until trace is a zombie, or reaped
        while open("/proc/%d/stat" % pid).read().split(")")[-1][1] != "Z":
            time.sleep(0.01)
    except OSError:
        pass' "$TMP/tracefs/trace_pipe" "$tp" "$1")
	wait "$tp"
	echo "$? ${secs:-none}" >"$TMP/$2"
}
if cc -shared -fPIC -O2 -Wall -D_GNU_SOURCE -o "$TMP/fake-tracefs.so" \
	"$HERE/test/fake-tracefs.c" -ldl; then
	mkdir -p "$TMP/tracefs/instances"
	mkfifo "$TMP/tracefs/trace_pipe"
	trace_drain 1 trace-one
	trace_drain 40000 trace
	read -r rc secs <"$TMP/trace"
	read -r rc1 secs1 <"$TMP/trace-one"
	got=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(len(d["channels"]), sum(c["msgs"] for c in d["channels"]))' \
		"$TMP/trace.json" 2>/dev/null)
	check "trace: 240000 events of 40000 channels counted ($got)" \
		[ "$rc:$rc1:$got" = "0:0:40000 240000" ]
	# About 3 times (a table of 40000 channels); a search, 80 and more.
	check "trace: ... in $secs s, < 5 times one channel's $secs1 + 1" \
		python3 -c 'import sys
sys.exit(not float(sys.argv[1]) < 5 * float(sys.argv[2]) + 1)' \
		"$secs" "$secs1"
	check "trace: ... its instance removed" \
		sh -c "[ -z \"\$(ls '$TMP/tracefs/instances')\" ]"
	# SIGINT just as the trace pipe ends (raised by fake-tracefs.so in
	# the read that finds the end): a stop like any SIGINT, the events
	# counted, status 0, the instance removed. It was "reading:
	# Input/output error" and status 1.
	FAKE_TRACEFS_SIGINT_AT_END=1 FAKE_TRACEFS=$TMP/tracefs \
		LD_PRELOAD=$TMP/fake-tracefs.so "$KIPCCTL" -j trace \
		--interval 120 --count 1 >"$TMP/trace-end.json" \
		2>"$TMP/err-trace-end" &
	tp=$!
	timeout 60 python3 -c 'import sys
line = ("          <...>-1234    [001] d..1.  12.345678: kipc_msg_recv: "
        "chan=7 bytes=8 bufs=0 lends=0 queued_ns=1500\n")
with open(sys.argv[1], "w") as f:	# once trace opened it
    f.write(line * 3)' "$TMP/tracefs/trace_pipe"
	wait "$tp"
	rc=$?
	got=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%d:%d" % (c["id"], c["msgs"]) for c in d["channels"]))' \
		"$TMP/trace-end.json" 2>/dev/null)
	sed 's/^/# /' "$TMP/err-trace-end"
	check "trace: SIGINT as its pipe ends: status $rc, channel 7 with 3 messages ($got), no error, the instance removed" \
		sh -c "[ '$rc:$got' = '0:7:3' ] && [ ! -s '$TMP/err-trace-end' ] &&
		       [ -z \"\$(ls '$TMP/tracefs/instances')\" ]"
else
	not_ok "build fake-tracefs.so"
fi
"$KIPCCTL" plot --script "$TMP/rec" >"$TMP/plot.gp" 2>"$TMP/err"
check "plot --script: data blocks and two panels" \
	sh -c "grep -q '^\\\$d[0-9]* << EOD' '$TMP/plot.gp' && [ \$(grep -c '^plot ' '$TMP/plot.gp') = 2 ]"
# Object names are other users' (an mqueue may be named with backquotes),
# and a record may come from anywhere: gnuplot runs a backquoted command
# in a double-quoted string, never in a single-quoted one. The record of
# our queue alone: plot draws the two busiest objects, and on a busy host
# other pipes hold more than its two messages.
grep -F "\"sysv-msg:$msg\"" "$TMP/rec.json" >"$TMP/rec-msg.json"
sed "s|\"object\":\"sysv-msg:$msg\"|\"object\":\"mqueue:/q\`touch $TMP/PWNED\`\"|" \
	"$TMP/rec-msg.json" >"$TMP/evil.json"
"$KIPCCTL" plot --script "$TMP/evil.json" >"$TMP/evil.gp" 2>"$TMP/err"
check "plot --script: a name's backquotes only in single quotes" \
	sh -c "grep -q 'touch' '$TMP/evil.gp' && ! grep -q '\"[^\"]*\`' '$TMP/evil.gp'"
if command -v gnuplot >/dev/null; then
	"$KIPCCTL" plot --output "$TMP/plot.svg" "$TMP/rec-msg.json" >/dev/null 2>"$TMP/err"
	check "plot: gnuplot draws the JSON-lines record to SVG" \
		grep -q "sysv-msg:$msg" "$TMP/plot.svg"
	"$KIPCCTL" plot --output "$TMP/evil.svg" "$TMP/evil.json" >/dev/null 2>"$TMP/err"
	check "plot: a name's backquoted command is not run" \
		sh -c "[ -s '$TMP/evil.svg' ] && [ ! -e '$TMP/PWNED' ]"
else
	skip "plot: gnuplot is not installed"
	skip "plot: a name's backquoted command is not run: no gnuplot"
fi
"$KIPCCTL" plot "$TMP/table" >/dev/null 2>&1
check "plot: not a record: exit 1" [ $? = 1 ]
# A record of many objects (a system with 60,000 Unix sockets): the two
# of highest peak depth are plotted with their samples, in a time linear
# in the record (5 s is ample; finding each line's object among all
# before it took 16 s here).
python3 -c 'import sys
n = 60000
print("# kipcctl top --record 1")
for k in range(3):
    for i in range(n):
        print("%d %d unix unix:%d %d bytes -1 0.000 depth" %
              (k, k, i, 10 * k + 3 if i in (17, n - 1) else 1))' >"$TMP/rec-many"
start=$(date +%s%N)
"$KIPCCTL" plot --script --top 2 "$TMP/rec-many" >"$TMP/many.gp" 2>"$TMP/err"
rc=$? ms=$((($(date +%s%N) - start) / 1000000))
check "plot: a record of 60,000 objects, the two busiest drawn" \
	sh -c "[ $rc = 0 ] && [ \$(grep -c '^\\\$d[0-9]* << EOD' '$TMP/many.gp') = 2 ] &&
	       grep -q \"unix:17 (bytes)\" '$TMP/many.gp' &&
	       grep -q \"unix:59999 (bytes)\" '$TMP/many.gp' &&
	       [ \$(grep -c '^2\\.000 23 ' '$TMP/many.gp') = 2 ]"
check "plot: a record of 60,000 objects within 5 s (${ms} ms)" [ "$ms" -lt 5000 ]

# top stopped (^Z) for 2 s at a 0.2 s interval: after it, samples are an
# interval apart again, not 10 at once over a few ms each. A burst is two
# gaps in a row under 0.05 s: one wake-up the shared host delayed leaves
# one short gap after it, and the next on time.
rm -f "$TMP/stopped.rec"
"$KIPCCTL" top --record "$TMP/stopped.rec" --interval 0.2 --count 12 \
	>/dev/null 2>&1 &
top_pid=$!
sleep 0.5
kill -STOP $top_pid
sleep 2
kill -CONT $top_pid
wait $top_pid
check "top after a stop: its samples an interval apart, no burst" \
	awk 'BEGIN { s = -1 }
	     !/^#/ && $2 != s {
		if (n++ && $1 - t < 0.05) { if (++short >= 2) bad = 1 }
		else short = 0
		t = $1; s = $2 }
	     END { exit bad || n < 12 }' "$TMP/stopped.rec"

# A command that takes no arguments refuses them: exit 2, a usage error.
"$KIPCCTL" version extra >/dev/null 2>"$TMP/err"
rc=$?
check "version with an argument: exit 2 (got $rc), said so" \
	sh -c "[ $rc = 2 ] && grep -q 'version takes no arguments' '$TMP/err'"

# groups: a state file is read, not trusted: fields of the wrong type
# (json-c asserts on an array call on a number) are shown as absent.
mkdir -p "$TMP/groups"
echo '{"name":"bad","pid":1,"state":"running","members":5,"channels":{"a":1},"services":"x"}' \
	>"$TMP/groups/bad.json"
"$KIPCCTL" groups "$TMP/groups" >"$TMP/groups.out" 2>&1
rc=$?
check "groups: a malformed state file is shown, not a crash (exit $rc)" \
	sh -c "[ $rc = 0 ] && grep -q '^group bad: ' '$TMP/groups.out'"
# A state file's strings are its writer's: escaped, as other names.
printf '%s\n' '{"name":"g\u001b[2J","pid":1,"state":"r\u009b2J","report":"x\ny",' \
	'"members":[{"name":"m\nfake","state":"\u001b]0;t\u0007"}]}' \
	>"$TMP/groups/esc.json"
"$KIPCCTL" groups "$TMP/groups" >"$TMP/groups-esc.out" 2>&1
# ascii_text FILE: only printable ASCII and newlines (nothing raw).
ascii_text() {
	python3 -c 'import sys
sys.exit(any(c < 32 and c != 10 or c > 126 for c in open(sys.argv[1], "rb").read()))' "$1"
}
check "groups: a state file's strings are escaped" \
	sh -c "grep -qF 'group g\\x1b[2J: supervisor pid 1, r\\xc2\\x9b2J: x\\x0ay' '$TMP/groups-esc.out' &&
	       grep -qF '  m\\x0afake ' '$TMP/groups-esc.out'"
check "groups: no control byte of a state file reaches the output" \
	ascii_text "$TMP/groups-esc.out"
# -j too: json-c escapes only the bytes below 0x20; C1 controls, DEL and
# bytes that are not UTF-8 went out raw, and the output was no UTF-8.
printf '{"name":"\377x\177","pid":1,"state":"r"}\n' >"$TMP/groups/raw.json"
"$KIPCCTL" -j groups "$TMP/groups" >"$TMP/groups-esc.json" 2>&1
check "groups -j: no control byte or non-UTF-8 byte of a state file reaches the output" \
	ascii_text "$TMP/groups-esc.json"
check "groups -j: valid JSON, the raw bytes as \\u00NN" \
	sh -c "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$TMP/groups-esc.json' &&
	       grep -qF '\\u00ffx\\u007f' '$TMP/groups-esc.json'"
rm -f "$TMP/groups/raw.json"
# A state directory may be another user's: a FIFO is not waited on, a
# link not followed (to a device, or a file only root may read).
mkdir -p "$TMP/groups3"
mkfifo "$TMP/groups3/fifo.json"
echo '{"name":"secret","pid":1,"state":"running"}' >"$TMP/secret.json"
ln -s "$TMP/secret.json" "$TMP/groups3/link.json"
timeout 10 "$KIPCCTL" -j groups "$TMP/groups3" >"$TMP/groups3.out" 2>"$TMP/err"
rc=$?
check "groups: a FIFO and a link in the state directory: exit 1 (got $rc), neither read" \
	sh -c "[ $rc = 1 ] && grep -q 'fifo.json: not a state file' '$TMP/err' &&
	       grep -q 'link.json: ' '$TMP/err' && ! grep -q secret '$TMP/groups3.out'"
# $XDG_RUNTIME_DIR/kipc of another user (root with su's environment) is
# not read unasked.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$TMP/xdg/kipc"
	echo '{"name":"theirs","pid":1,"state":"running"}' >"$TMP/xdg/kipc/t.json"
	chown -R 65534 "$TMP/xdg/kipc"
	XDG_RUNTIME_DIR="$TMP/xdg" "$KIPCCTL" groups >"$TMP/groups-xdg.out" 2>&1
	check "groups as root: another user's \$XDG_RUNTIME_DIR/kipc is not read" \
		sh -c "! grep -q theirs '$TMP/groups-xdg.out'"
	chown -R 0 "$TMP/xdg/kipc"
	XDG_RUNTIME_DIR="$TMP/xdg" "$KIPCCTL" groups >"$TMP/groups-xdg.out" 2>&1
	check "groups as root: its own \$XDG_RUNTIME_DIR/kipc is read" \
		grep -q '^group theirs: ' "$TMP/groups-xdg.out"
fi
# A DIR that is not there, or a state file that is no JSON, is an error
# (exit 1; the other files shown all the same); a pid past 2^32 is shown
# whole, and as no process (it was cut to 1, init: alive).
"$KIPCCTL" groups "$TMP/no-such-dir" >/dev/null 2>"$TMP/err"
rc=$?
check "groups: DIR missing: exit 1 (got $rc), said so" \
	sh -c "[ $rc = 1 ] && grep -q 'no-such-dir: No such file' '$TMP/err'"
mkdir -p "$TMP/groups2"
echo '{"name":"big","pid":4294967297,"state":"running"}' >"$TMP/groups2/big.json"
echo '{"name":"cut' >"$TMP/groups2/cut.json"
"$KIPCCTL" groups "$TMP/groups2" >"$TMP/groups2.out" 2>"$TMP/err"
rc=$?
check "groups: a state file that is no JSON: exit 1 (got $rc), named, the others shown" \
	sh -c "[ $rc = 1 ] && grep -q 'cut.json: not a state file (JSON)' '$TMP/err' &&
	       grep -q '^group big: ' '$TMP/groups2.out'"
check "groups: pid 4294967297 whole, no process" \
	grep -q '^group big: supervisor pid 4294967297, gone (stale state)' "$TMP/groups2.out"
# A dump that fails half-way (fake-kipc.so): no JSON cut short on stdout
# (list printed {"channels":[{...} and a newline; users its rows, or [],
# whole), only the error.
fake_kipc FAKE_KIPC_DUMP=f -- -j list >"$TMP/list-fail" 2>"$TMP/err"
rc=$?
check "list -j, its dump failing: exit 1 (got $rc), nothing on stdout" \
	sh -c "[ $rc = 1 ] && [ ! -s '$TMP/list-fail' ] && grep -q 'list: Input/output error' '$TMP/err'"
fake_kipc -- -j list >"$TMP/list-ok" 2>"$TMP/err"
check "list -j (fake kipc): valid JSON, channel 7" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not ([c["id"] for c in d["channels"]] == [7] and d["regions"] == []))
' "$TMP/list-ok"
# The filter after the kind, as kipcctl.8 shows it, is the filter: it was
# not read (getopt stopped at the kind), and every channel listed.
fake_kipc -- -j list channels --uid 4242 >"$TMP/list-uid" 2>"$TMP/err"
check "list -j channels --uid 4242 (fake kipc): no channel of another uid" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["channels"] == [] and "regions" not in d))
' "$TMP/list-uid"
# The same with POSIXLY_CORRECT set, under which getopt does not move the
# words: it was a usage error.
fake_kipc POSIXLY_CORRECT=1 -- -j list channels --uid 4242 >"$TMP/list-posix" 2>"$TMP/err"
rc=$?
check "list -j channels --uid 4242, POSIXLY_CORRECT: exit 0 (got $rc), no channel" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (d["channels"] == [] and "regions" not in d))
' "$TMP/list-posix"
fake_kipc -- -j list channels --uid "$(id -u)" >"$TMP/list-mine" 2>"$TMP/err"
check "list -j channels --uid (own uid): channel 7" \
	grep -q '"id":7' "$TMP/list-mine"
fake_kipc -- list channels extra >/dev/null 2>"$TMP/err"
rc=$?
check "list channels extra: exit 2 (got $rc), with a usage line" \
	sh -c "[ $rc = 2 ] && grep -q '^usage: kipcctl list' '$TMP/err'"
# A part sys check could not look at is an error, not a healthy system:
# it said "0 problems found" and exited 0 or 3.
fake_kipc FAKE_KIPC_DUMP=f -- sys check >/dev/null 2>"$TMP/err"
rc=$?
check "sys check, kipc's dump failing: exit 1 (got $rc), the failure named" \
	sh -c "[ $rc = 1 ] && grep -q 'sys check: kipc channels: Input/output error' '$TMP/err'"
fake_kipc -- -j users >"$TMP/users-fail" 2>"$TMP/err"
rc=$?
check "users -j, its dump failing: exit 1 (got $rc), nothing on stdout" \
	sh -c "[ $rc = 1 ] && [ ! -s '$TMP/users-fail' ]"
fake_kipc -- -j users --uid 4000000 >"$TMP/users-none" 2>"$TMP/err"
rc=$?
check "users -j --uid of no record: exit 1 (got $rc), nothing on stdout" \
	sh -c "[ $rc = 1 ] && [ ! -s '$TMP/users-none' ]"
# Who sees every record is the module's CAP_SYS_ADMIN test, not the euid:
# fake-kipc.so's host-wide counters say EPERM, so even root here is told
# that it may see only its own (a container's root was told that uid
# 4000000 holds nothing).
fake_kipc -- users --uid 4000000 >/dev/null 2>"$TMP/err"
check "users --uid of no record, not admin: only your own may be seen" \
	grep -q 'no record of uid 4000000 that you may see' "$TMP/err"
check "json: kipc sections" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(not (isinstance(d["kipc_module"], bool) and "kipc_channels" in d
              and isinstance(d["kipc_services"], list)))
' "$TMP/json"

echo "1..$n"
echo "# Totals: pass:$pass fail:$fails xfail:0 xpass:0 skip:$skips error:0"
[ $fails = 0 ]
