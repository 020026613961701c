#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kipc-bench host smoke test: every mechanism, every test and mode, tiny
# sizes; JSON and CSV validated (validate-json.py), doctored files rejected;
# bad options exit 2; injected faults fail.
# Usage: test-host.sh [path/to/kipc-bench]
set -u

BENCH=${1:-./kipc-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kipc-bench-test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
fails=0

pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; fails=$((fails + 1)); }

# expect STATUS DESCRIPTION COMMAND...: run COMMAND, compare its exit status
expect() {
	want=$1 what=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		pass "$what"
	else
		fail "$what (exit $got, wanted $want)"
		sed 's/^/# /' "$TMP/err" | head -5
	fi
}

MECHS="pipe fifo unix-stream unix-dgram unix-seqpacket tcp sysv-msg sysv-shm
posix-mq posix-shm futex-shared eventfd signal vmsplice cma cma-read spin-ring"

expect 0 "list" "$BENCH" list
PROBES="probe-pipe probe-unix probe-eventfd probe-futex"
for m in $MECHS $PROBES probe-spin-ring kipc-inline kipc-region kipc-lend kipc-wait \
	 kipc-ring; do
	grep -q "^$m " "$TMP/out" || fail "list shows $m"
done
# The rows that set a module parameter for their duration are listed, but
# run only when -m names them.
for m in kipc-rw-nostats kipc-rw-nopoll; do
	grep -q "^$m " "$TMP/out" || fail "list shows $m"
done

# The full matrix at tiny sizes; a failed row makes the exit status 1.
expect 0 "all tests, all modes, --touch" "$BENCH" -q -n 40 -r 2 -M all \
	--touch -s 8,4K -j "$TMP/a.json" --csv "$TMP/a.csv" all
! grep -Eq '"mechanism": "kipc-rw-no(stats|poll)"' "$TMP/a.json" ||
	fail "a run without -m leaves out kipc-rw-nostats and kipc-rw-nopoll"
grep -q '"test": "reference", "mechanism": "memcpy", "mode": "none", "size": 4096' \
	"$TMP/a.json" || fail "a run measures the reference rows"
expect 0 "--no-reference" "$BENCH" -q -n 20 --no-reference -m pipe -s 4K \
	-j "$TMP/noref.json" latency
grep -q '"test": "latency", "mechanism": "pipe"' "$TMP/noref.json" &&
	! grep -q '"test": "reference"' "$TMP/noref.json" ||
	fail "--no-reference: the pipe row and no reference row"
grep -Eq '"wall_ms": [0-9.]*[1-9]' "$TMP/noref.json" ||
	fail "a row records its wall time"
grep -Eq '^kipc-bench: \[1/1\] latency 4K: round 1/1, [0-9.]+ s$' "$TMP/err" ||
	fail "progress on stderr after the round"
# A round runs every row of a test, all its sizes, before the next round:
# one batch of rounds per test (fan-out: per size).
expect 0 "rounds over every size of a test" "$BENCH" -n 20 -r 2 \
	--no-reference -m pipe -s 8,4K latency wake
[ "$(grep -Ec '^kipc-bench: \[[12]/2\] (latency|wake) 8,4K: round [12]/2, ' \
	"$TMP/err")" = 4 ] || fail "a round of each test holds every size"
expect 0 "large message, throughput" "$BENCH" -q -n 6 -s 1M \
	-m pipe,unix-stream,sysv-shm,vmsplice,cma,cma-read,spin-ring \
	-j "$TMP/big.json" throughput latency

# The probes: bare loops timed as one block, in the stock rows' rounds;
# a figure per repeat, no histogram; at most 4 KiB (eventfd 8 B); skipped
# with --touch, which they would not honour.
expect 0 "probe rows beside the stock rows" "$BENCH" -n 200 -r 3 \
	--no-reference -s 8,64,64K -j "$TMP/probe.json" \
	-m pipe,unix-stream,eventfd,futex-shared,$(echo $PROBES | tr ' ' ,) \
	latency
python3 - "$TMP/probe.json" <<'PY' || fails=$((fails + 1))
import json, sys
rs = {(r["mechanism"], r["size"]): r
      for r in json.load(open(sys.argv[1]))["results"]}
bad = []
for m in ("probe-pipe", "probe-unix", "probe-eventfd", "probe-futex"):
    for s in (8, 64, 65536):
        r = rs[(m, s)]
        fits = s == 8 or (m != "probe-eventfd" and
                          (s <= 4096 or m == "probe-futex"))
        if not fits:
            if r["status"] != "skipped" or "carries at most" not in r["reason"]:
                bad.append("%s %d not skipped" % (m, s))
            continue
        if (r["status"] != "ok" or len(r["repeat_ns"]) != 3 or
                "histogram" in r or "p99_ns" in r or
                not 0 < r["median_ns"] == sorted(r["repeat_ns"])[1] or
                r["iterations"] < 5):
            bad.append("%s %d: %s" % (m, s, r))
if bad:
    print("not ok - probe rows: %s" % "; ".join(bad))
    sys.exit(1)
print("ok - probe rows: a mean per repeat, no histogram, sizes capped")
PY
# The probes spin as the stock rows do in the spinning runs (review s46,
# finding 2): spin-block and busy-poll variants, probe-spin-ring besides
# (spin-ring's ring). --spin-us 1 on one CPU: the spin ends and every
# receive sleeps (about a sleep a message); busy-poll on two CPUs never
# sleeps. The old code skipped these modes (and knew no probe-spin-ring).
SPIN_PROBES="probe-pipe,probe-unix,probe-eventfd,probe-futex"
expect 0 "probe rows, spin-block" "$BENCH" -n 200 -r 3 --no-reference \
	-s 8,64 -c 0,0 -M spin-block --spin-us 1 -j "$TMP/probe-spin.json" \
	-m pipe,unix-stream,eventfd,$SPIN_PROBES latency
spin_cpus=0,1
[ "$(nproc)" -ge 2 ] || spin_cpus=0,0
expect 0 "probe rows, busy-poll" "$BENCH" -n 200 -r 3 --no-reference \
	-s 8,64 -c $spin_cpus -M busy-poll -j "$TMP/probe-poll.json" \
	-m spin-ring,$SPIN_PROBES,probe-spin-ring latency
python3 - "$TMP/probe-spin.json" "$TMP/probe-poll.json" $spin_cpus \
	<<'PY' || fails=$((fails + 1))
import json, sys
bad = []
# ok rows: pipe, unix and futex at 8 and 64 B, eventfd at 8 B; busy-poll
# also probe-spin-ring at both.
for path, mode, want in ((sys.argv[1], "spin-block", 7),
                         (sys.argv[2], "busy-poll", 9)):
    ok = [r for r in json.load(open(path))["results"]
          if r["mechanism"].startswith("probe-") and r["mode"] == mode and
          r["status"] == "ok" and len(r["repeat_ns"]) == 3]
    if len(ok) != want:
        bad.append("%s: %d ok probe rows, not %d" % (mode, len(ok), want))
    for r in ok:
        vcsw = r["vcsw_per_msg"]
        if (mode == "spin-block" and vcsw < 0.5) or \
                (mode == "busy-poll" and sys.argv[3] == "0,1" and vcsw > 0.1):
            bad.append("%s %s %d: %.2f sleeps a message" % (
                r["mechanism"], mode, r["size"], vcsw))
if bad:
    print("not ok - probes spin as the stock rows: %s" % "; ".join(bad))
    sys.exit(1)
print("ok - probes spin as the stock rows: spin-block sleeps after "
      "--spin-us, busy-poll never")
PY
expect 0 "probe rows with --touch" "$BENCH" -q -n 20 --touch \
	--no-reference -s 8 -m probe-pipe,probe-futex -j "$TMP/probe-t.json" \
	latency
[ "$(grep -c '"status": "skipped", "reason": "a probe touches no byte' \
	"$TMP/probe-t.json")" = 2 ] || fail "--touch skips the probe rows"

# make bench's report judges each stock row against its probe by the
# paired interval of repeat_ns, never median_ns: doctored repeats give
# each verdict. pipe 8 B: the same as its probe (agrees, though its
# median is 10x); unix-stream: 20 us, twice its probe (harness cost
# shown, 10 us a round trip); eventfd: 0.8, 1.25, 1 times
# (inconclusive); futex-shared 8 B: half its probe (probe slower).
# latency-2cpu.json is the run as measured.
mkdir -p "$TMP/raw"
cp "$TMP/probe.json" "$TMP/raw/latency-2cpu.json"
# The spinning runs' probes as measured: spin-block (latency-2cpu-spin,
# and ringspin, pipe's at 8 and 64 B) and busy-poll (ringpoll,
# spin-ring's).
cp "$TMP/probe-spin.json" "$TMP/raw/latency-2cpu-spin.json"
cp "$TMP/probe-spin.json" "$TMP/raw/ringspin.json"
cp "$TMP/probe-poll.json" "$TMP/raw/ringpoll.json"
python3 - "$TMP/probe.json" "$TMP/raw/latency.json" <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
rs = {(r["mechanism"], r["size"]): r for r in d["results"]}
rs[("unix-stream", 8)]["repeat_ns"] = [20000] * 3
for stock, probe, times in (("pipe", "probe-pipe", (1, 1, 1)),
                            ("unix-stream", "probe-unix", (2, 2, 2)),
                            ("eventfd", "probe-eventfd", (0.8, 1.25, 1)),
                            ("futex-shared", "probe-futex", (.5, .5, .5))):
    rs[(probe, 8)]["repeat_ns"] = [x / t for x, t in
                                   zip(rs[(stock, 8)]["repeat_ns"], times)]
rs[("pipe", 8)]["median_ns"] *= 10
json.dump(d, open(sys.argv[2], "w"))
PY
	fail "doctored latency.json written"
python3 "$HERE/report.py" "$TMP/raw" "$TMP/report.md" test rev \
	>/dev/null 2>"$TMP/err" || fail "report.py runs on the probe rows"
# verdict DESCRIPTION NAME REST: the report's row NAME (a fixed string)
# goes on as the extended regular expression REST says.
verdict() {
	grep -F "| $2 | " "$TMP/report.md" | head -1 >"$TMP/line"
	if [ -s "$TMP/line" ] &&
	   cut -c$((${#2} + 6))- "$TMP/line" | grep -Eq "^$3"; then
		pass "report: $1"
	else
		fail "report: $1 (no row '$2' going on like '$3')"
	fi
}
us='-?[0-9.]+'
iv="[0-9.]+ \\| \\[[0-9.]+, [0-9.]+\\] \\| $us us \\[$us, $us\\]"
verdict "a stock row equal to its probe agrees" \
	"pipe / probe-pipe, 8 B round trip, CPU 0,0" \
	'1\.000 \| \[1\.000, 1\.000\] \| 0\.0 us \[0\.0, 0\.0\] \| agrees \|'
verdict "a stock row twice its probe: harness cost shown, 10 us" \
	"unix-stream / probe-unix, 8 B round trip, CPU 0,0" \
	'2\.000 \| \[2\.000, 2\.000\] \| 10\.0 us \[10\.0, 10\.0\] \| '\
'\*\*harness cost shown\*\* \|'
verdict "a noisy pair is inconclusive" \
	"eventfd / probe-eventfd, 8 B round trip, CPU 0,0" \
	"$iv \\| inconclusive \\|"
verdict "a stock row half its probe: probe slower" \
	"futex-shared / probe-futex, 8 B round trip, CPU 0,0" \
	"0\\.500 \\| \\[0\\.500, 0\\.500\\] \\| -[0-9.]+ us .* \\| "\
'\*\*probe slower\*\* \|'
verdict "the probes of the run as measured, 64 B" \
	"futex-shared / probe-futex, 64 B round trip, CPU 0,1, no polling" \
	"$iv \\| (agrees|\\*\\*harness cost shown\\*\\*|"\
'\*\*probe slower\*\*|inconclusive) \|'
verdict "the spinning runs' probes: spin-block, 200 us" \
	"unix-stream / probe-unix, 64 B round trip, CPU 0,1, every receiver spins 200 us" \
	"$iv \\| (agrees|\\*\\*harness cost shown\\*\\*|"\
'\*\*probe slower\*\*|inconclusive) \|'
verdict "the spinning runs' probes: busy-poll, spin-ring" \
	"spin-ring / probe-spin-ring, 64 B round trip, CPU 0,1, busy-poll" \
	"$iv \\| (agrees|\\*\\*harness cost shown\\*\\*|"\
'\*\*probe slower\*\*|inconclusive) \|'
# The tables of medians leave the probe rows out (review s46, finding 7):
# a probe's median_ns is the median of its repeats' means, a stock row's
# the median of its round trips; so does --plot's figure against size.
sed -n '/^## Latency: round trip, median (blocking), CPU 0,0$/,/^## /p' \
	"$TMP/report.md" | grep '^|' >"$TMP/table"
grep -q '^| size | .*pipe' "$TMP/table" && ! grep -q 'probe-' "$TMP/table" &&
	pass "report: no probe column in the tables of medians" ||
	fail "report: no probe column in the tables of medians"
"$BENCH" -q -n 20 --no-reference -s 8 -m pipe,probe-pipe \
	--plot "$TMP/plot-medians" latency >/dev/null 2>&1
grep -q "title 'pipe'$" "$TMP/plot-medians/latency-blocking.gp" 2>/dev/null &&
	! grep -q "probe-" "$TMP/plot-medians/latency-blocking.gp" &&
	pass "--plot: no probe curve on the plot of medians" ||
	fail "--plot: no probe curve on the plot of medians"
# The sizes of a run are paired too: a round runs every size. Doctored
# zero-copy repeats whose 64 MiB row is 1.1 times the 4 KiB row in every
# round, through a drift of 4x: paired, exactly 1.1 (met); Welch's
# interval, which pairs nothing, would straddle the goal of 1.5.
python3 - "$TMP/big.json" "$TMP/raw/zerocopy.json" <<'PY' ||
import json, sys
d = json.load(open(sys.argv[1]))
r = next(r for r in d["results"] if r["mechanism"] == "pipe" and
         r["test"] == "throughput")
zc = []
for size, times in ((4096, 1), (64 << 20, 1.1), (256 << 20, 2)):
    zc.append(dict(r, mechanism="kipc-region", size=size,
                   repeat_ns=[t * times for t in (1000, 2000, 4000)]))
d["results"] = zc
json.dump(d, open(sys.argv[2], "w"))
PY
	fail "doctored zerocopy.json written"
python3 "$HERE/report.py" "$TMP/raw" "$TMP/report.md" test rev \
	>/dev/null 2>"$TMP/err" || fail "report.py runs on the zero-copy rows"
verdict "sizes of one run paired: 64 MiB 1.1 times 4 KiB in each round" \
	"kipc-region 64 MiB / 4 KiB, per message (zero copy flat)" \
	'1\.100 \| \[1\.100, 1\.100\] \| <= 1\.5 \| met \|'
verdict "sizes of one run paired: 256 MiB twice 4 KiB" \
	"kipc-region 256 MiB / 4 KiB, per message (zero copy flat)" \
	'2\.000 \| \[2\.000, 2\.000\] \| <= 1\.5 \| \*\*missed\*\* \|'
# A file without "rounds": "test" (review s46, finding 4) ran a round per
# size, the sizes minutes apart: its sizes are not paired (Welch's
# interval, which holds 1.5 through the drift), its same-size rows are.
grep -q '"idle_us": [0-9]*, "rounds": "test"}' "$TMP/big.json" ||
	fail "the JSON options say \"rounds\": \"test\""
python3 - "$TMP/raw/zerocopy.json" <<'PY' || fail "doctored zerocopy.json written"
import json, sys
d = json.load(open(sys.argv[1]))
d["options"].pop("rounds", None)
json.dump(d, open(sys.argv[1], "w"))
PY
python3 "$HERE/report.py" "$TMP/raw" "$TMP/report.md" test rev \
	>/dev/null 2>"$TMP/err" || fail "report.py runs on an older zerocopy.json"
verdict "sizes of a file without rounds: Welch's interval, not paired" \
	"kipc-region 64 MiB / 4 KiB, per message (zero copy flat)" \
	'1\.100 \| \[0\.[0-9]+, [2-9][0-9.]*\] \| <= 1\.5 \| inconclusive \|'

# Every size a probe carries (pipe, unix 8 and 64 B, eventfd 8, futex 8,
# 64 B and 64 KiB, in both blocking runs; pipe, unix 8 and 64 B and
# eventfd 8 spinning 200 us; pipe 8 and 64 B spinning 20 us; spin-ring 8
# and 64 B busy-polling), and no other.
python3 - "$TMP/report.md" <<'PY' ||
import re, sys
t = open(sys.argv[1]).read()
n = re.search(r"^Probes: (\d+) agrees, (\d+) harness cost shown, "
              r"(\d+) probe slower, (\d+) inconclusive, "
              r"0 not measured\.$", t, re.M)
sys.exit(not n or sum(map(int, n.groups())) != 2 * 8 + 5 + 2 + 2 or
         not re.search(r"^Of 25 ratios, \d+ are above 1 and \d+ intervals "
                       r"lie wholly above 1; .* the median excess -?[0-9.]+ "
                       r"us per round trip\.$", t, re.M))
PY
	fail "report: a pair at each size a probe carries, no other"

# A probe whose peer dies ends at once, not at the watchdog (review s46,
# finding 5): after fork each side of probe-pipe and probe-unix holds
# only the 2 ends it uses (4 before: a dead peer left a writer, and a
# SIGCHLD between two calls was slept through), so that side 1's death
# is an end of file. Ends inherited from this shell are not counted.
own_ends() {	# PID KIND: its KIND descriptors of files this shell lacks
	ls -l "/proc/$$/fd" 2>/dev/null | grep -o "$2:\[[0-9]*\]" \
		>"$TMP/ends"
	echo "-" >>"$TMP/ends"
	ls -l "/proc/$1/fd" 2>/dev/null | grep -o "$2:\[[0-9]*\]" |
		grep -cvxF -f "$TMP/ends"
}
for pk in probe-pipe:pipe probe-unix:socket; do
	"$BENCH" -r 1 -t 4000 --timeout 30 --no-reference -s 8 \
		-m "${pk%:*}" -j "$TMP/probe-kill.json" latency \
		>/dev/null 2>&1 &
	bpid=$! kid=
	for i in $(seq 100); do
		kid=$(cat "/proc/$bpid/task/$bpid/children" 2>/dev/null)
		[ -n "$kid" ] && break
		sleep 0.1
	done
	# Until each side has closed the ends it does not use (5 s at most).
	for i in $(seq 50); do
		ends="$(own_ends "$bpid" "${pk#*:}") $(own_ends $kid "${pk#*:}")"
		[ "$ends" = "2 2" ] && break
		sleep 0.1
	done
	t0=$(date +%s)
	[ -n "$kid" ] && kill -KILL $kid
	wait "$bpid"
	t=$(($(date +%s) - t0))
	if [ "$ends" = "2 2" ] && [ "$t" -lt 10 ] &&
	   grep -q '"status": "failed"' "$TMP/probe-kill.json"; then
		pass "${pk%:*}: 2 ends a side; its peer killed, failed in ${t} s"
	else
		fail "${pk%:*}: ends '$ends' (2 2), failed in ${t} s (< 10)"
	fi
done

# probe-shim.so (test/probe-shim.c) puts a probe row in a state that
# timing reaches only by chance; KB_SHIM says which.
SHIM=
if cc -shared -fPIC -O2 -Wall -D_GNU_SOURCE -o "$TMP/probe-shim.so" \
	"$HERE/test/probe-shim.c" -ldl; then
	SHIM=$TMP/probe-shim.so
else
	fail "build probe-shim.so"
fi
# shim MODE ARGS...: kipc-bench ARGS with the shim in MODE, its log in
# $TMP/shim.log.
shim() {
	mode=$1
	shift
	rm -f "$TMP/shim.log"
	LD_PRELOAD=$SHIM KB_SHIM=$mode KB_SHIM_LOG=$TMP/shim.log \
		"$BENCH" "$@" >"$TMP/out" 2>"$TMP/err"
}

# probe-futex is futex-shared's protocol (review s46, finding 6): a
# mailbox a direction with a count of its sleepers, FUTEX_WAKE only when
# the peer sleeps. Side 0 sleeps 20 ms after each of its wakes (the shim),
# so side 1 answers before side 0 waits for the answer: side 1 then wakes
# nobody. The old probe woke at every turn, as many as side 0 (47 each).
if [ -n "$SHIM" ]; then
	shim wake-sleep -n 40 -r 1 --no-reference -s 8 -c 0,0 -m probe-futex \
		latency
	w0=$(grep -c "^wake 0$" "$TMP/shim.log")
	w1=$(grep -c "^wake 1$" "$TMP/shim.log")
	if [ "$w0" -ge 40 ] && [ $((w1 * 4)) -lt "$w0" ]; then
		pass "probe-futex wakes only a sleeping peer" \
			"($w1 of side 0's $w0)"
	else
		fail "probe-futex wakes only a sleeping peer: side 1 woke $w1" \
			"times, side 0 $w0 (>= 40, over 4 times side 1's)"
	fi
fi

# A probe whose peer dies between its test of kb_abort and its wait ends
# at once, not at the watchdog. An eventfd or a futex has no end of file:
# the signal's handler kicks the wait (a count on side 0's eventfd; both
# mailboxes' words KB_PROBE_DEAD). The shim kills side 1 at side 0's 30th
# write() (probe-eventfd: before the read of the answer) or FUTEX_WAIT
# (probe-futex) and returns once side 0 has taken its SIGCHLD; the old
# code slept in that read or FUTEX_WAIT until the watchdog (10 s here).
for mk in probe-eventfd:kill-write:30 probe-futex:kill-wait:30; do
	[ -n "$SHIM" ] || break
	t0=$(date +%s)
	shim "${mk#*:}" -r 1 -t 4000 --timeout 10 --no-reference -s 8 \
		-c 0,0 -m "${mk%%:*}" -j "$TMP/probe-kick.json" latency
	t=$(($(date +%s) - t0))
	if grep -q '^kill$' "$TMP/shim.log" && [ "$t" -lt 5 ] &&
	   grep -q '"status": "failed", "reason": "probe (peer gone)' \
		"$TMP/probe-kick.json"; then
		pass "${mk%%:*}: its peer killed before its wait, failed in $t s"
	else
		fail "${mk%%:*}: its peer killed before its wait, failed in $t s" \
			"(< 5), $(grep -o '"reason": "[^"]*"' "$TMP/probe-kick.json")"
	fi
done

# cma and cma-read: a ring of 8 buffers a direction, fewer (4 at 32 MiB)
# beyond 128 MiB, which the row's note says.
expect 0 "cma rings at 32 MiB" "$BENCH" -q -n 6 --no-reference -s 32M \
	-m cma,cma-read -j "$TMP/cma.json" throughput latency
[ "$(grep -c '"note": "a ring of 4 buffers (128 MiB) a direction of messages"' \
	"$TMP/cma.json")" = 4 ] || fail "cma rows at 32 MiB: rings of 4 buffers"
# Above 128 MiB one buffer a direction, as the one-slot mailbox had, and
# a stream's acks a ring of 8 bytes each: a 256 MiB stream maps 512 MiB
# (the message ring and the sender's buffer), so it runs in an address
# space of 700000 KiB. A floor of 2 buffers, or an ack ring of the
# message's size, maps 768 MiB or more (1.25 GiB before).
(ulimit -v 700000 && "$BENCH" -q -n 4 --no-reference -s 256M \
	-m cma,cma-read -j "$TMP/cma-big.json" throughput) >/dev/null 2>&1 &&
	[ "$(grep -c '"note": "one buffer (256 MiB) a direction of messages' \
		"$TMP/cma-big.json")" = 2 ] &&
	pass "cma rows at 256 MiB: one buffer, acks in a ring of their own" ||
	fail "cma rows at 256 MiB: one buffer, acks in a ring of their own"
! grep -q '"note": "a ring' "$TMP/big.json" ||
	fail "cma rows at 1 MiB: rings of 8 buffers, no note"

# validate FILE.json... [--csv F] [--mechs M]: validate-json.py against
# the schema; it exits 1 and names each error on stderr.
validate() { python3 "$HERE/validate-json.py" "$HERE/schema.json" "$@"; }
expect 0 "JSON and CSV validate" validate --csv "$TMP/a.csv" \
	--mechs "$MECHS" "$TMP/a.json" "$TMP/big.json" "$TMP/probe.json"

# The validator rejects each defect doctored into a.json, and names it.
python3 - "$TMP/a.json" "$TMP" <<'PY' || fail "doctored copies of a.json written"
import json, sys
src, tmp = sys.argv[1:]
def doctored(name, change):
    d = json.load(open(src))
    change(d)
    json.dump(d, open("%s/%s.json" % (tmp, name), "w"))
def failed(d):
    d["results"][-1]["status"] = "failed"
    d["results"][-1]["reason"] = "injected"
def median0(d):
    next(r for r in d["results"] if r["status"] == "ok")["median_ns"] = 0
def schema(d):
    d["schema"] = "kipc-bench/0"
def rounds(d):
    d["options"]["rounds"] = "size"
doctored("bad-failed", failed)
doctored("bad-rounds", rounds)
doctored("bad-median", median0)
doctored("bad-schema", schema)
PY
rejects() { # DESCRIPTION FILE MESSAGE
	validate "$2" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq 1 ] && grep -q "$3" "$TMP/err"; then
		pass "validator rejects $1"
	else
		fail "validator rejects $1 (exit $got, wanted 1 and '$3')"
		sed 's/^/# /' "$TMP/err" | head -5
	fi
}
rejects "a row with status failed" "$TMP/bad-failed.json" \
	' failed: injected$'
rejects "an ok row with median_ns 0" "$TMP/bad-median.json" \
	'median_ns is not positive$'
rejects "a wrong schema field" "$TMP/bad-schema.json" \
	"schema field is 'kipc-bench/0'$"
rejects "options.rounds not \"test\"" "$TMP/bad-rounds.json" \
	"options.rounds is 'size', not 'test'$"

# The rpc test: calls over unix-seqpacket and dbus (kipc-rpc needs the
# module: skipped here), 64 B and 1 MiB requests, checked end to end.
expect 0 "rpc: unix-seqpacket, dbus, kipc-rpc" "$BENCH" -q -n 20 -r 2 --touch \
	-s 64,1M -m unix-seqpacket,dbus,kipc-rpc -j "$TMP/rpc.json" rpc
python3 - "$TMP/rpc.json" <<'PY' || fails=$((fails + 1))
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
ok = {(r["mechanism"], r["size"]) for r in rs if r["test"] == "rpc" and r["status"] == "ok"}
want = {(m, s) for m in ("unix-seqpacket", "dbus") for s in (64, 1 << 20)}
if not want <= ok:
    print("not ok - rpc rows missing: %s" % sorted(want - ok))
    sys.exit(1)
print("ok - rpc rows of unix-seqpacket and dbus")
PY
expect 1 "--inject drop fails the rpc rows" "$BENCH" -q -n 20 -s 64 \
	-m unix-seqpacket,dbus --inject drop rpc
grep -q "call_id" "$TMP/out" ||
	fail "--inject drop: failed rpc rows name the call_id"
expect 1 "--inject corrupt fails the rpc rows" "$BENCH" -q -n 20 -s 64 \
	-m unix-seqpacket,dbus --inject corrupt rpc

# Spoiled messages must fail their rows (exit 1, status failed).
expect 1 "--inject drop fails the rows" "$BENCH" -q -n 20 -s 8 \
	-m pipe,futex-shared,spin-ring --inject drop -j "$TMP/drop.json" latency
grep -q '"status": "failed", "reason": "sequence error' "$TMP/drop.json" ||
	fail "--inject drop: failed rows name the sequence error"
expect 1 "--inject corrupt --touch fails the rows" "$BENCH" -q -n 20 \
	-s 4K -m pipe,sysv-shm,cma --touch --inject corrupt throughput

# Rows can run while a child holds memory; the run says so.
expect 0 "--memory-pressure 5" "$BENCH" -q -n 20 -s 4K -m pipe \
	--memory-pressure 5 -j "$TMP/pressure.json" throughput
grep -q '^# memory pressure: [0-9]* MiB held (5% of MemAvailable)' "$TMP/out" ||
	fail "--memory-pressure: the table says how much memory is held"
grep -q '"memory_pressure_pct": 5,' "$TMP/pressure.json" ||
	fail "--memory-pressure: the JSON options record it"

# Each row records the CPUs its sides ran on: where they were pinned.
if [ "$(nproc)" -ge 2 ]; then
	expect 0 "--cpu 0,1 latency" "$BENCH" -q -n 20 -s 8 -m pipe -c 0,1 \
		-j "$TMP/cpu.json" latency
	grep -q '"mechanism": "pipe".*"cpus": \[\[0\], \[1\]\]' "$TMP/cpu.json" ||
		fail "a row pinned with -c 0,1 records cpus [[0], [1]]"
	grep -q 'latency    pipe .* 0/1$' "$TMP/out" ||
		fail "the table shows where the sides ran (0/1)"
	# cma's ring lets a stream run ahead: at most about one sleep a
	# message between the two sides, where a one-slot mailbox made
	# each side sleep for each message (2.0).
	expect 0 "cma stream, -c 0,1" "$BENCH" -q -n 400 --no-reference \
		-s 64K -m cma -c 0,1 -j "$TMP/cma-run.json" throughput
	python3 - "$TMP/cma-run.json" <<'PY' ||
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
sys.exit(not r["vcsw_per_msg"] < 1.5)
PY
		fail "cma stream: under 1.5 sleeps a message (a ring)"
fi

expect 0 "compare" "$BENCH" compare "$TMP/a.json" "$TMP/a.json"
grep -q ' 1\.000 ' "$TMP/out" || fail "compare of a file with itself gives 1.000"
# Eight repeats per row: A near 100, B twice as slow with one repeat 10%
# slower still. The interval must hold B/A and 2 and leave out 1.
python3 - "$TMP/a.json" "$TMP/a8.json" "$TMP/slow.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def write(path, reps):
    for r in d["results"]:
        if "repeat_ns" in r:
            r["repeat_ns"] = reps
    with open(path, "w") as f:
        f.write('{"schema": "%s",\n"results": [\n' % d["schema"])
        f.write(",\n".join(json.dumps(r) for r in d["results"]))
        f.write("]}\n")
a = [100, 101, 99, 100, 102, 98, 100, 101]
write(sys.argv[2], a)
write(sys.argv[3], [2 * v for v in a[:-1]] + [2.2 * a[-1]])
PY
expect 0 "compare of 8 repeats with themselves" "$BENCH" compare "$TMP/a8.json" "$TMP/a8.json"
python3 - "$TMP/out" <<'PY' || fail "compare: a file against itself: 1.000, an interval around 1"
import re, sys
rows = [re.search(r" ([0-9.]+) +\[([0-9.]+), ([0-9.]+)\]$", l)
        for l in open(sys.argv[1])]
rows = [tuple(map(float, m.groups())) for m in rows if m]
sys.exit(not rows or not all(r == 1 and lo < 1 < hi for r, lo, hi in rows))
PY
expect 0 "compare with a slower copy" "$BENCH" compare "$TMP/a8.json" "$TMP/slow.json"
python3 - "$TMP/out" <<'PY' || fail "compare: the interval of a 2x slower copy holds 2, not 1"
import re, sys
rows = [re.search(r" ([0-9.]+) +\[([0-9.]+), ([0-9.]+)\]$", l)
        for l in open(sys.argv[1])]
rows = [tuple(map(float, m.groups())) for m in rows if m]
sys.exit(not rows or not all(lo <= 2.0 <= hi and lo > 1 and lo < r < hi
                             for r, lo, hi in rows))
PY
expect 1 "compare of a missing file" "$BENCH" compare "$TMP/none" "$TMP/a.json"

if command -v gnuplot >/dev/null; then
	expect 0 "--plot" "$BENCH" -q -n 20 -s 8,4K -m pipe,unix-stream \
		--plot "$TMP/plot" latency throughput
	for p in latency-blocking throughput-blocking latency-blocking-8-cdf \
		 latency-blocking-4096-cdf; do
		head -c 8 "$TMP/plot/$p.png" 2>/dev/null | grep -q PNG ||
			fail "--plot wrote $p.png"
	done
	grep -q '^set xtics ("8" 8, "4K" 4096)$' "$TMP/plot/latency-blocking.gp" ||
		fail "--plot: a tick at each measured size"
	[ "$(grep -c . "$TMP/plot/latency-blocking-8-cdf.dat")" -gt 2 ] ||
		fail "--plot: the distribution has points"
	[ ! -e "$TMP/plot/throughput-blocking-4096-cdf.png" ] ||
		fail "--plot: no distribution for throughput rows"
else
	echo "ok - --plot # SKIP gnuplot not installed"
fi

for bad in "--bogus" "--sizes 0" "--sizes 7" "--sizes 4X" "--sizes 2G" \
	   "--repeats 0" "--time -1" "--mode sideways" "--mech nosuch" \
	   "--cpu 100000" "--inject maybe" "nosuchtest" "list extra" \
	   "compare onlyone" "chanmem 0" "chanmem x" "chanmem 1 2" \
	   "--memory-pressure 0" "--memory-pressure 96"; do
	# shellcheck disable=SC2086
	expect 2 "bad option: $bad" "$BENCH" $bad
	grep -q '^usage:' "$TMP/err" || fail "bad option $bad prints usage"
done

if [ "$fails" -ne 0 ]; then
	echo "FAIL: $fails check(s) failed"
	exit 1
fi
echo "PASS"
