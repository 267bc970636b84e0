# SPDX-License-Identifier: BSD-2-Clause
# Shared set-up for the integration tests: real programs, a real peer, on
# loopback.  Every wait is bounded; only processes started here are killed.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
LIB="${SOCKREDIR_LIB:-$ROOT/build/libsockredir.so}"
LAUNCHER="$(dirname "$LIB")/sockredir"
BIN="${SOCKREDIR_TESTBIN:-$ROOT/build/test}"
# What LD_PRELOAD must hold before the shim: the sanitizer runtime, when the
# suite runs against the sanitized build (test/run-tests.sh sets it).
FIRST="${SOCKREDIR_PRELOAD_FIRST:-}"
# A lane of another platform (test/lane.sh) points the tests at its build:
# SOCKREDIR_LIB is its library, SOCKREDIR_TESTBIN its test programs,
# SOCKREDIR_TEST_PRELOAD what LD_PRELOAD holds (a path with ld.so's $LIB, so
# that a host program the platform's program starts, such as system's
# /bin/sh, loads the host's build instead of failing to load the platform's),
# SOCKREDIR_TEST_PEER the host's peer, and SOCKREDIR_TEST_PATH the
# directories of that platform's real programs, first in the PATH of every
# program started with the shim.
SHIM="${FIRST:+$FIRST:}${SOCKREDIR_TEST_PRELOAD:-$LIB}"
PEER="${SOCKREDIR_TEST_PEER:-$BIN/peer}"
LEGACY="$BIN/legacy"
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON="$(command -v python3)"

# A test that passes without the shim proves nothing: glibc only warns when a
# preload cannot be loaded, so check that this one is really loaded (into a
# program of the platform under test: the legacy program).
require_shim() {
	[[ -f $LIB ]] || { echo "missing $LIB: run make" >&2; return 1; }
	local status=0
	SOCKREDIR_MODE=no-such-mode LD_PRELOAD="$SHIM" "$LEGACY" hello 2>/dev/null || status=$?
	[[ $status -eq 64 ]] || { echo "$LIB does not load (status $status)" >&2; return 1; }
}

setup() {
	require_shim
	T="$BATS_TEST_TMPDIR"
	PEER_PID= PROG_PID=
}

teardown() {
	local pid
	for pid in $PEER_PID $PROG_PID; do
		kill "$pid" 2>/dev/null || true
	done
}

# The seed's servers as peer scripts.  Dialog 3's reads each line and
# answers it; dialogs 4 and 5's speak first and print each answer.
SEED_ANSWERS=(recv 'send:server {pid} got [{line}]' recv 'send:server {pid} got [{line}]'
	recv 'send:server {pid} got [{line}]' eof)
SEED_SPEAKS_FIRST=('send:server {pid}: 0' recv 'print:server {pid} got [{line}]'
	'send:server {pid}: 1' recv 'print:server {pid} got [{line}]'
	'send:server {pid}: 2' recv 'print:server {pid} got [{line}]' eof)

# start_peer HOST ACTION...: a listening peer on a free port (or PEER_PORT);
# sets PORT and PEER_PID.  It reports its port through a FIFO once listening.
start_peer() {
	local host=$1 fifo="$T/ready"
	shift
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {READY_FD}<>"$fifo"
	"$PEER" -t "${PEER_TIMEOUT:-10}" -r "$fifo" listen "$host" "${PEER_PORT:-0}" "$@" \
		>"$T/peer.out" 2>"$T/peer.err" &
	PEER_PID=$!
	read -r -t 10 -u "$READY_FD" PORT || { exec {READY_FD}<&-; fail "peer did not start"; }
	exec {READY_FD}<&-
}

# connect_peer HOST PORT ACTION...: a peer that connects (retrying while the
# shimmed server starts) and runs its script in the background.
connect_peer() {
	"$PEER" -t "${PEER_TIMEOUT:-10}" connect "$@" >"$T/peer.out" 2>"$T/peer.err" &
	PEER_PID=$!
}

# require_ipv6: a test on ::1 skips, rather than fails, on a host without
# IPv6 loopback (a container started with IPv6 off, say).
require_ipv6() {
	"$PEER" freeport ::1 >/dev/null 2>&1 || skip "no IPv6 loopback (::1) on this host"
}

# The dynamic loader of this machine (the one /bin/true names), for
# ld.so --preload.
dynamic_loader() {
	readelf -lW /bin/true | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p'
}

# The sanitized run cannot host every runtime (a JVM and ASan fight over
# signals); such tests skip there and run in the plain run.
skip_if_sanitized() {
	[[ -z $FIRST ]] || skip "not under the sanitizer runtime"
}

# wait_listening PORT: bounded wait (10 s) until something listens on PORT,
# seen from outside with ss; for servers that give no readiness signal.
wait_listening() {
	for _ in $(seq 200); do
		[[ -n $(ss -Hltn "sport = :$1") ]] && return 0
		sleep 0.05
	done
	fail "nothing listened on port $1"
}

free_port() {
	"$PEER" freeport "${1:-127.0.0.1}"
}

# start_program VAR=VALUE... -- PROGRAM ARG...: the program in the
# background with fds 0, 1, 2 only (not bats' own; CLOSE_FDS="0 1" closes
# those too; PROG_STDIN and PROG_STDERR name other files for 0 and 2);
# PROG_PID is its PID (env execs it).
start_program() {
	local vars=()
	while [[ $1 != -- ]]; do vars+=("$1"); shift; done
	shift
	(
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			((fd > 2)) && eval "exec $fd>&-"
		done
		exec <"${PROG_STDIN:-/dev/null}" >"$T/prog.out" 2>"${PROG_STDERR:-$T/prog.err}"
		for fd in ${CLOSE_FDS:-}; do
			eval "exec $fd>&-"
		done
		exec env "${vars[@]}" "$@"
	) &
	PROG_PID=$!
}

# start_shimmed VAR=VALUE... -- PROGRAM ARG...: the same with the shim.
# LD_PRELOAD is set on the program alone, never on a wrapper.  With
# SOCKREDIR_TEST_BUFFER set (the suite's pass with BUFFER=auto), that is the
# buffering of every test that does not choose its own.
#
# With SOCKREDIR_TEST_PREFORK=N (the suite's pass with a pool), an inetd
# listener that does not choose its own pool keeps N copies waiting, or MAX
# if the test sets a smaller MAX; POOL is the pool the listener keeps (0
# without), for the tests that count its children.
start_shimmed() {
	local vars=() own_buffer= inetd= own_pool= max=40
	while [[ $1 != -- ]]; do
		[[ $1 == SOCKREDIR_BUFFER=* ]] && own_buffer=1
		[[ $1 == SOCKREDIR_MODE=inetd ]] && inetd=1
		[[ $1 == SOCKREDIR_PREFORK=* ]] && own_pool=${1#*=}
		[[ $1 == SOCKREDIR_MAX=* ]] && max=${1#*=}
		vars+=("$1")
		shift
	done
	shift
	[[ -n ${SOCKREDIR_TEST_BUFFER:-} && -z $own_buffer ]] &&
		vars+=("SOCKREDIR_BUFFER=$SOCKREDIR_TEST_BUFFER")
	[[ -n ${SOCKREDIR_TEST_PATH:-} ]] && vars=("PATH=$SOCKREDIR_TEST_PATH:$PATH" "${vars[@]}")
	POOL=${own_pool:-0}
	if [[ -n $inetd && -z $own_pool && -n ${SOCKREDIR_TEST_PREFORK:-} ]]; then
		POOL=$((SOCKREDIR_TEST_PREFORK < max ? SOCKREDIR_TEST_PREFORK : max))
		vars+=("SOCKREDIR_PREFORK=$POOL")
	fi
	start_program "${vars[@]}" LD_PRELOAD="${PRELOAD:-$SHIM}" -- "$@"
}

# test_pool: SOCKREDIR_PREFORK=N for a listener a test starts by other means
# (setsid, prlimit, systemd-socket-activate), or nothing.  Callers take it
# with $(test_pool), a subshell: it sets no POOL of theirs.
test_pool() {
	local pool=${SOCKREDIR_TEST_PREFORK:-0}
	[[ $pool -gt 0 ]] && echo "SOCKREDIR_PREFORK=$pool"
	return 0
}

# start_server HOST VAR=VALUE... -- PROGRAM ARG...: the program in server
# mode on HOST and a free port (PORT), giving up if nobody calls in 10 s.
start_server() {
	local host=$1
	shift
	PORT=$(free_port "$(tr -d '[]' <<<"$host")")
	start_shimmed SOCKREDIR_MODE=server SOCKREDIR_HOST="$host" SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_TIMEOUT=10 "$@"
}

wait_peer() {
	PEER_STATUS=0
	wait "$PEER_PID" || PEER_STATUS=$?
	PEER_PID=
	if [[ $PEER_STATUS -ne 0 ]]; then
		echo "peer failed ($PEER_STATUS):" >&2
		cat "$T/peer.err" >&2
	fi
}

wait_prog() {
	PROG_STATUS=0
	wait "$PROG_PID" || PROG_STATUS=$?
	PROG_PID=
	if grep -qs 'cannot be preloaded' "$T/prog.err"; then
		cat "$T/prog.err" >&2
		fail "the shim was not loaded" || return
	fi
	if grep -qs 'runtime error:\|ERROR: AddressSanitizer' "$T/prog.err"; then
		cat "$T/prog.err" >&2
		fail "a sanitizer report" || return
	fi
}

# Both ends finished cleanly.
wait_both() {
	wait_peer
	wait_prog
	[[ $PEER_STATUS -eq 0 ]] || fail "peer exited $PEER_STATUS"
	[[ $PROG_STATUS -eq 0 ]] || { cat "$T/prog.err" >&2; fail "program exited $PROG_STATUS"; }
}

# assert_file_equals FILE EXPECTED: the whole transcript, exactly.
assert_file_equals() {
	local actual
	actual="$(cat "$1")"
	assert_equal "$actual" "$2"
}

# A failed start: exactly one line, "sockredir: ...", the given exit code,
# and main never ran (legacy hello would have said so).
assert_refused() {
	local code=$1 pattern=$2
	assert_equal "$status" "$code"
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp "^sockredir: "
	assert_line --index 0 --partial "$pattern"
	refute_output --partial "main ran"
	refute_output --partial "hello"
}
