#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# make bench: sockredir against socat, ncat and tcpserver/tcpclient, with a
# hand-written socket program (floor.c) as the floor.  Every variant runs
# several times, interleaved with the others; every transfer is verified
# (each reply line, or a checksum); a variant that deadlocks or corrupts is
# reported as such, not timed.  Only ratios measured in this run are
# compared: each row shows its ratio to the floor of its section.
#
#   BENCH_QUICK=1   a reduced set, under a minute (the smoke test in make test)
#   BENCH_OUT=DIR   where results go (default build/bench); a full run also
#                   writes docs/benchmarks.md and docs/benchmarks.svg
#   BENCH_SECTIONS="dialogs bulk startup inetd"   the sections to run (default
#                   all); a partial run writes build/bench only
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$PWD
LIB=$ROOT/build/libsockredir.so
PEER=$ROOT/build/test/peer
LEGACY=$ROOT/build/test/legacy
FLOOR=$ROOT/build/test/floor
OUT=${BENCH_OUT:-$ROOT/build/bench}
QUICK=${BENCH_QUICK:-0}
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
printf 'section\tvariant\trep\tvalue\tunit\tstatus\n' >"$RESULTS"
date -u '+%Y-%m-%d %H:%M UTC' >"$OUT/run-date"

if [[ $QUICK == 1 ]]; then
	TURNS=200 REPS=1 BULK_REPS=1 BULK_LINES=50000 STARTS=20 SESSIONS=160 TICKS=5
	CAP_MS=300 DEADLOCK_S=1
else
	TURNS=2000 REPS=5 BULK_REPS=3 BULK_LINES=1000000 STARTS=200 SESSIONS=2000 TICKS=20
	CAP_MS=1500 DEADLOCK_S=2
fi
HOST=127.0.0.1
STDBUF=$(command -v stdbuf)
# The pool of the PREFORK rows (BENCH_PREFORK=N to try another).
PREFORK=${BENCH_PREFORK:-8}
# The dialogs run every process of a variant on one CPU: on two cores a turn's
# time depends on whether the scheduler wakes the other side on the same core
# or the other one, which moved even the floor by 3x between runs.  Bulk,
# start-up and inetd use the whole machine.  BENCH_DIALOG_CPUS= to turn off.
PIN=
if [[ -n ${BENCH_DIALOG_CPUS-0} ]] && command -v taskset >/dev/null; then
	PIN="taskset -c ${BENCH_DIALOG_CPUS-0}"
fi

have() {
	command -v "$1" >/dev/null 2>&1
}

record() {	# section variant rep value unit status
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

free_port() {
	"$PEER" freeport "$HOST"
}

# stop PID: end a program we started, by PID, whether or not it is done.
stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# A command template is a string evaluated with PORT set, and exec'd in the
# background job, so that $! is the tool itself and stop ends it.

# dialog SECTION ROLE K NAME TEMPLATE [expect-deadlock]
#   ROLE client: the program connects to our listening peer.
#   ROLE server: the program listens; our peer connects.
dialog_once() {
	local section=$1 role=$2 k=$3 name=$4 template=$5 rep=$6 expect=${7:-}
	local out=$OUT/peer.out err=$OUT/peer.err program peer timeout=10 cap=$CAP_MS
	[[ $expect == deadlock ]] && timeout=$DEADLOCK_S
	PORT=$(free_port)
	if [[ $role == client ]]; then
		rm -f "$OUT/ready"
		mkfifo "$OUT/ready"
		exec {ready}<>"$OUT/ready"
		$PIN "$PEER" -t "$timeout" -r "$OUT/ready" listen "$HOST" "$PORT" \
			"turns:$TURNS:$k:$cap" shut >"$out" 2>"$err" &
		peer=$!
		read -r -t 10 -u "$ready" PORT
		exec {ready}<&-
		eval "exec $PIN $template" </dev/null >/dev/null 2>"$OUT/program.err" &
		program=$!
	else
		eval "exec $PIN $template" </dev/null >/dev/null 2>"$OUT/program.err" &
		program=$!
		$PIN "$PEER" -t "$timeout" connect "$HOST" "$PORT" "turns:$TURNS:$k:$cap" shut \
			>"$out" 2>"$err" &
		peer=$!
	fi
	wait "$peer"
	local peer_status=$?
	stop "$program"
	local done ms
	read -r _ done _ ms <"$out" 2>/dev/null
	if grep -q "timed out" "$err"; then
		record "$section" "$name" "$rep" - - deadlock
	elif [[ $peer_status -ne 0 || -z ${done:-} ]]; then
		record "$section" "$name" "$rep" - - "failed: $(head -c 200 "$err" | tr '\t\n' '  ')"
	elif [[ $done -lt $TURNS ]]; then
		# A stalling variant, capped: the mean time per turn of what it did.
		record "$section" "$name" "$rep" "$(awk -v m="$ms" -v d="$done" 'BEGIN {printf "%.1f", m * 1000 / d}')" "us/turn" "capped: $done turns in ${ms%.*} ms"
	else
		record "$section" "$name" "$rep" "$(awk -v m="$ms" -v d="$done" 'BEGIN {printf "%.1f", m * 1000 / d}')" "us/turn" ok
	fi
}

bulk_once() {	# name template rep
	local name=$1 template=$2 rep=$3 program peer
	PORT=$(free_port)
	rm -f "$OUT/ready"
	mkfifo "$OUT/ready"
	exec {ready}<>"$OUT/ready"
	"$PEER" -t 30 -r "$OUT/ready" listen "$HOST" "$PORT" sink clock \
		>"$OUT/peer.out" 2>"$OUT/peer.err" &
	peer=$!
	read -r -t 10 -u "$ready" PORT
	exec {ready}<&-
	eval "exec $template" </dev/null >/dev/null 2>"$OUT/program.err" &
	program=$!
	wait "$peer"
	local peer_status=$?
	wait "$program" 2>/dev/null
	local bytes hash ms
	read -r _ bytes _ hash <"$OUT/peer.out"
	ms=$(sed -n 's/^ms //p' "$OUT/peer.out")
	if [[ $peer_status -ne 0 ]]; then
		record bulk "$name" "$rep" - - "failed: $(head -c 200 "$OUT/peer.err" | tr '\t\n' '  ')"
	elif [[ $bytes != $((BULK_LINES * 64)) || $hash != "${BULK_HASH:-$hash}" ]]; then
		record bulk "$name" "$rep" - - "corrupt: $bytes bytes, fnv $hash"
	else
		BULK_HASH=$hash
		record bulk "$name" "$rep" "$ms" ms ok
	fi
}

startup_once() {	# rep
	local rep=$1 acceptor start end i failures=0
	PORT=$(free_port)
	"$FLOOR" acceptor "$HOST" "$PORT" &
	acceptor=$!
	"$PEER" -t 10 connect "$HOST" "$PORT"	# until it listens
	start=$(date +%s%N)
	for ((i = 0; i < STARTS; i++)); do
		env "$LEGACY" hello >/dev/null 2>&1 || failures=$((failures + 1))
	done
	end=$(date +%s%N)
	record startup "plain run, no network" "$rep" "$(( (end - start) / STARTS / 1000 ))" "us/run" \
		"$([[ $failures == 0 ]] && echo ok || echo "failed: $failures runs")"
	start=$(date +%s%N)
	for ((i = 0; i < STARTS; i++)); do
		env SOCKREDIR_MODE=out SOCKREDIR_HOST=$HOST SOCKREDIR_PORT=$PORT LD_PRELOAD="$LIB" \
			"$LEGACY" hello >/dev/null 2>&1 || failures=$((failures + 1))
	done
	end=$(date +%s%N)
	record startup "sockredir: connect, converse, exit path" "$rep" \
		"$(( (end - start) / STARTS / 1000 ))" "us/run" \
		"$([[ $failures == 0 ]] && echo ok || echo "failed: $failures runs")"
	start=$(date +%s%N)
	for ((i = 0; i < STARTS; i++)); do
		env SOCKREDIR_MODE=out SOCKREDIR_HOST=$HOST SOCKREDIR_PORT=$PORT LD_PRELOAD="$LIB" \
			SOCKREDIR_BUFFER=auto "$LEGACY" hello >/dev/null 2>&1 || failures=$((failures + 1))
	done
	end=$(date +%s%N)
	record startup "sockredir BUFFER=auto: the same" "$rep" \
		"$(( (end - start) / STARTS / 1000 ))" "us/run" \
		"$([[ $failures == 0 ]] && echo ok || echo "failed: $failures runs")"
	stop "$acceptor"
}

# BUFFER=auto's idle flush: a program that computes and prints a line every
# 100 ms, reading nothing; how long each line took to reach the peer.
idle_flush_once() {	# rep
	local rep=$1 peer
	rm -f "$OUT/ready"
	mkfifo "$OUT/ready"
	exec {ready}<>"$OUT/ready"
	"$PEER" -t 10 -r "$OUT/ready" listen "$HOST" 0 stamps >"$OUT/stamps" 2>/dev/null &
	peer=$!
	read -r -t 10 -u "$ready" PORT
	exec {ready}<&-
	env SOCKREDIR_MODE=out SOCKREDIR_HOST=$HOST SOCKREDIR_PORT=$PORT LD_PRELOAD="$LIB" \
		SOCKREDIR_BUFFER=auto "$LEGACY" ticks "$TICKS" >/dev/null 2>&1
	wait "$peer"
	if [[ $(wc -l <"$OUT/stamps") -ne $TICKS ]]; then
		record "auto idle flush" "line every 100 ms: worst delay" "$rep" - - "failed"
		return
	fi
	record "auto idle flush" "line every 100 ms: median delay" "$rep" \
		"$(awk '{print $5 - $3}' "$OUT/stamps" | sort -n | awk '{d[NR] = $1} END {printf "%.1f", d[int((NR + 1) / 2)]}')" \
		ms ok
	record "auto idle flush" "line every 100 ms: worst delay" "$rep" \
		"$(awk '{print $5 - $3}' "$OUT/stamps" | sort -n | tail -1)" ms ok
}

# inetd_once C NAME TEMPLATE REP: SESSIONS short sessions, C at a time; the
# rate, and each session's time from connect to the reply (one segment: its
# first byte) as the clients saw it, median and 99th percentile.
inetd_once() {	# concurrency name template rep
	local c=$1 name=$2 template=$3 rep=$4 server start end w pids=() failures=0
	PORT=$(free_port)
	eval "exec $template" </dev/null >/dev/null 2>"$OUT/server.err" &
	server=$!
	# One session first, retried until the server listens; not timed.
	if ! "$PEER" -t 10 connect "$HOST" "$PORT" send:ping 'expect:pong ping' eof 2>/dev/null; then
		record "inetd c=$c" "$name" "$rep" - - "failed: no session"
		stop "$server"
		return
	fi
	start=$(date +%s%N)
	rm -f "$OUT"/first-byte.*
	for ((w = 0; w < c; w++)); do
		"$PEER" -t 10 -n $((SESSIONS / c)) connect "$HOST" "$PORT" send:ping \
			'expect:pong ping' clock eof >"$OUT/first-byte.$w" 2>>"$OUT/inetd.err" &
		pids+=($!)
	done
	for w in "${pids[@]}"; do
		wait "$w" || failures=$((failures + 1))
	done
	end=$(date +%s%N)
	stop "$server"
	if [[ $failures -ne 0 ]]; then
		record "inetd c=$c" "$name" "$rep" - - "failed: $failures clients"
	else
		record "inetd c=$c" "$name" "$rep" \
			"$(awk -v n="$SESSIONS" -v ns="$((end - start))" 'BEGIN {printf "%.0f", n / (ns / 1e9)}')" \
			"sessions/s" ok
		local sorted=$OUT/first-byte.sorted
		sed -n 's/^ms //p' "$OUT"/first-byte.* | sort -g >"$sorted"
		record "inetd c=$c first byte, median" "$name" "$rep" \
			"$(awk '{v[NR] = $1} END {printf "%.3f", v[int((NR + 1) / 2)]}' "$sorted")" ms ok
		record "inetd c=$c first byte, p99" "$name" "$rep" \
			"$(awk '{v[NR] = $1} END {i = int(NR * 0.99); if (i < 1) i = 1; printf "%.3f", v[i]}' "$sorted")" ms ok
	fi
}

# xinetd_conf PORT SERVER ARGS [ENV]: an xinetd configuration serving one
# stream service on PORT (connection-rate limit off: its default, 50 a
# second, would throttle the run); prints the file's name.
xinetd_conf() {
	local file=$OUT/xinetd-$1.conf
	cat >"$file" <<CONF
service sockredir-bench
{
	type = UNLISTED
	socket_type = stream
	protocol = tcp
	wait = no
	user = $(id -un)
	bind = $HOST
	port = $1
	server = $2
	server_args = $3
	${4:+env = $4}
	instances = 40
	cps = 100000 1
	log_on_success =
	log_on_failure =
}
CONF
	echo "$file"
}

# --- the variants --------------------------------------------------------
# Each list: NAME<TAB>TOOL (or -)<TAB>TEMPLATE<TAB>expect-deadlock (or -)

shim_env="env SOCKREDIR_HOST=$HOST SOCKREDIR_PORT=\$PORT LD_PRELOAD=$LIB"

client_variants() {	# K
	local k=$1
	cat <<EOF
floor: C program on a socket	-	$FLOOR client $HOST \$PORT $k	-
sockredir	-	$shim_env SOCKREDIR_MODE=client $LEGACY reply$k	-
sockredir BUFFER=auto	-	$shim_env SOCKREDIR_MODE=client SOCKREDIR_BUFFER=auto $LEGACY reply$k	-
socat EXEC stdbuf -oL	socat	socat TCP:$HOST:\$PORT EXEC:'$STDBUF -oL $LEGACY reply$k'	-
socat EXEC pty,raw,echo=0	socat	socat TCP:$HOST:\$PORT EXEC:'$LEGACY reply$k',pty,raw,echo=0	-
ncat --exec stdbuf -oL	ncat	ncat $HOST \$PORT --exec '$STDBUF -oL $LEGACY reply$k'	-
tcpclient stdbuf -oL	tcpclient	tcpclient -H -R -l0 $HOST \$PORT sh -c 'exec $STDBUF -oL $LEGACY reply$k <&6 >&7'	-
EOF
	[[ $k == 2 ]] && cat <<EOF
floor, one write a line	-	$FLOOR client $HOST \$PORT $k split	-
tcpclient -D stdbuf -oL	tcpclient	tcpclient -D -H -R -l0 $HOST \$PORT sh -c 'exec $STDBUF -oL $LEGACY reply$k <&6 >&7'	-
EOF
	cat <<EOF
socat EXEC, no stdbuf	socat	socat TCP:$HOST:\$PORT EXEC:'$LEGACY reply$k'	deadlock
ncat --exec, no stdbuf	ncat	ncat $HOST \$PORT --exec '$LEGACY reply$k'	deadlock
tcpclient, no stdbuf	tcpclient	tcpclient -H -R -l0 $HOST \$PORT sh -c 'exec $LEGACY reply$k <&6 >&7'	deadlock
EOF
}

server_variants() {	# K
	local k=$1
	cat <<EOF
floor: C program on a socket	-	$FLOOR server $HOST \$PORT $k	-
sockredir	-	$shim_env SOCKREDIR_MODE=server SOCKREDIR_TIMEOUT=10 $LEGACY reply$k	-
sockredir BUFFER=auto	-	$shim_env SOCKREDIR_MODE=server SOCKREDIR_TIMEOUT=10 SOCKREDIR_BUFFER=auto $LEGACY reply$k	-
socat TCP-LISTEN stdbuf -oL	socat	socat TCP-LISTEN:\$PORT,bind=$HOST,reuseaddr EXEC:'$STDBUF -oL $LEGACY reply$k'	-
ncat -l --exec stdbuf -oL	ncat	ncat -l $HOST \$PORT --exec '$STDBUF -oL $LEGACY reply$k'	-
tcpserver stdbuf -oL	tcpserver	tcpserver -H -R -l0 $HOST \$PORT $STDBUF -oL $LEGACY reply$k	-
EOF
	[[ $k == 2 ]] && cat <<EOF
floor, one write a line	-	$FLOOR server $HOST \$PORT $k split	-
tcpserver -D stdbuf -oL	tcpserver	tcpserver -D -H -R -l0 $HOST \$PORT $STDBUF -oL $LEGACY reply$k	-
EOF
	cat <<EOF
socat TCP-LISTEN, no stdbuf	socat	socat TCP-LISTEN:\$PORT,bind=$HOST,reuseaddr EXEC:'$LEGACY reply$k'	deadlock
tcpserver, no stdbuf	tcpserver	tcpserver -H -R -l0 $HOST \$PORT $LEGACY reply$k	deadlock
EOF
}

bulk_variants() {
	cat <<EOF
floor: fully buffered writes	-	$FLOOR bulk $HOST \$PORT $BULK_LINES
sockredir BUFFER=full	-	$shim_env SOCKREDIR_MODE=out SOCKREDIR_BUFFER=full $LEGACY bulk $BULK_LINES
sockredir BUFFER=line	-	$shim_env SOCKREDIR_MODE=out SOCKREDIR_BUFFER=line $LEGACY bulk $BULK_LINES
sockredir BUFFER=none	-	$shim_env SOCKREDIR_MODE=out SOCKREDIR_BUFFER=none $LEGACY bulk $BULK_LINES
sockredir BUFFER=auto	-	$shim_env SOCKREDIR_MODE=out SOCKREDIR_BUFFER=auto $LEGACY bulk $BULK_LINES
socat EXEC	socat	socat -u EXEC:'$LEGACY bulk $BULK_LINES' TCP:$HOST:\$PORT
socat EXEC stdbuf -oL	socat	socat -u EXEC:'$STDBUF -oL $LEGACY bulk $BULK_LINES' TCP:$HOST:\$PORT
ncat --exec	ncat	ncat $HOST \$PORT --exec '$LEGACY bulk $BULK_LINES'
ncat --exec stdbuf -oL	ncat	ncat $HOST \$PORT --exec '$STDBUF -oL $LEGACY bulk $BULK_LINES'
EOF
}

# LD_BIND_NOW=1: the dynamic linker binds every symbol at start, in the
# listener, where a copy would bind lazily what only it reaches (libc's own
# _dl_audit_preinit after the constructor, and whatever main calls first in a
# program not linked with -z now).
inetd_variants() {
	cat <<EOF
floor: forking C server	-	$FLOOR forkserver $HOST \$PORT
forking C server, stdio child	-	$FLOOR stdioserver $HOST \$PORT
sockredir inetd	-	$shim_env SOCKREDIR_MODE=inetd $LEGACY once
sockredir inetd BUFFER=auto	-	$shim_env SOCKREDIR_MODE=inetd SOCKREDIR_BUFFER=auto $LEGACY once
sockredir inetd PREFORK=$PREFORK	-	$shim_env SOCKREDIR_MODE=inetd SOCKREDIR_PREFORK=$PREFORK $LEGACY once
sockredir inetd BUFFER=auto PREFORK=$PREFORK	-	$shim_env SOCKREDIR_MODE=inetd SOCKREDIR_BUFFER=auto SOCKREDIR_PREFORK=$PREFORK $LEGACY once
sockredir inetd, program started with LD_BIND_NOW=1	-	env LD_BIND_NOW=1 $shim_env SOCKREDIR_MODE=inetd $LEGACY once
sockredir inetd, DEBUG=1 service log	-	$shim_env SOCKREDIR_MODE=inetd SOCKREDIR_DEBUG=1 $LEGACY once
sockredir inetd x2 behind HAProxy	haproxy	$ROOT/test/bench/behind-haproxy.sh \$PORT 0 $LEGACY once
sockredir inetd x2 PROXY=1 behind HAProxy send-proxy-v2	haproxy	$ROOT/test/bench/behind-haproxy.sh \$PORT 1 $LEGACY once
tcpserver stdbuf -oL	tcpserver	tcpserver -c 40 -H -R -l0 $HOST \$PORT $STDBUF -oL $LEGACY once
xinetd stdbuf -oL	xinetd	xinetd -dontfork -pidfile $OUT/xinetd.pid -f \$(xinetd_conf \$PORT $STDBUF '-oL $LEGACY once')
xinetd, sockredir attach	xinetd	xinetd -dontfork -pidfile $OUT/xinetd.pid -f \$(xinetd_conf \$PORT $LEGACY once 'LD_PRELOAD=$LIB SOCKREDIR_MODE=attach')
socat TCP-LISTEN,fork stdbuf -oL	socat	socat TCP-LISTEN:\$PORT,bind=$HOST,reuseaddr,fork EXEC:'$STDBUF -oL $LEGACY once'
ncat -lk --exec stdbuf -oL	ncat	ncat -lk $HOST \$PORT --exec '$STDBUF -oL $LEGACY once'
EOF
}

# --- running -------------------------------------------------------------

run_dialogs() {	# section role k
	local section=$1 role=$2 k=$3 rep name tool template expect
	local list
	list=$("${role}_variants" "$k")
	while IFS=$'\t' read -r name tool template expect; do
		[[ $tool == - ]] || have "$tool" || record "$section" "$name" 0 - - "not installed"
		# Expected deadlocks are shown once, not timed.
		[[ $expect == deadlock ]] && { have "$tool" && dialog_once "$section" "$role" "$k" "$name" "$template" 1 deadlock; }
	done <<<"$list"
	for ((rep = 1; rep <= REPS; rep++)); do
		while IFS=$'\t' read -r name tool template expect; do
			[[ $expect == deadlock ]] && continue
			[[ $tool == - ]] || have "$tool" || continue
			dialog_once "$section" "$role" "$k" "$name" "$template" "$rep"
		done <<<"$list"
	done
}

SECTIONS=${BENCH_SECTIONS:-dialogs bulk startup inetd}
section_wanted() {
	[[ " $SECTIONS " == *" $1 "* ]]
}

echo "sockredir bench: $( [[ $QUICK == 1 ]] && echo quick || echo full ) run of $SECTIONS, results in $RESULTS"
if section_wanted dialogs; then
run_dialogs "1 dialog, program as client" client 1
run_dialogs "2 two-line dialog, program as client" client 2
run_dialogs "3a dialog, program as server" server 1
run_dialogs "3b two-line dialog, program as server" server 2
fi

section_wanted bulk && {
bulk_list=$(bulk_variants)
while IFS=$'\t' read -r name tool template; do
	[[ $tool == - ]] || have "$tool" || record bulk "$name" 0 - - "not installed"
done <<<"$bulk_list"
for ((rep = 1; rep <= BULK_REPS; rep++)); do
	while IFS=$'\t' read -r name tool template; do
		[[ $tool == - ]] || have "$tool" || continue
		bulk_once "$name" "$template" "$rep"
	done <<<"$bulk_list"
done
}

section_wanted startup && {
for ((rep = 1; rep <= REPS; rep++)); do
	startup_once "$rep"
done
for ((rep = 1; rep <= BULK_REPS; rep++)); do
	idle_flush_once "$rep"
done
}

# The floors and sockredir's own rows run REPS times, the other tools (5x to
# 10x slower, and there to be compared at a distance) BULK_REPS times.
section_wanted inetd && {
inetd_list=$(inetd_variants)
for c in 1 4 16; do
	while IFS=$'\t' read -r name tool template; do
		[[ $tool == - ]] || have "$tool" || record "inetd c=$c" "$name" 0 - - "not installed"
	done <<<"$inetd_list"
	for ((rep = 1; rep <= REPS; rep++)); do
		while IFS=$'\t' read -r name tool template; do
			[[ $tool == - ]] || { have "$tool" && ((rep <= BULK_REPS)); } || continue
			inetd_once "$c" "$name" "$template" "$rep"
		done <<<"$inetd_list"
	done
done
}

# Only a full run of every section rewrites docs/benchmarks.md.
partial=$QUICK
[[ $SECTIONS == "dialogs bulk startup inetd" ]] || partial=1
python3 "$ROOT/test/bench/report.py" "$RESULTS" "$OUT" "$partial"
