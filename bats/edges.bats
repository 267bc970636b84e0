#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The shim's edges, found by outside testing: fd 2 closed, a stale or forged
# peer description, a unix: path that changes under the listener.

load helper

# wait_for_file PATH: bounded wait (10 s) for a file a process creates.
wait_for_file() {
	for _ in $(seq 200); do
		[[ -e $1 ]] && return 0
		sleep 0.05
	done
	fail "timed out waiting for $1"
}

start_inetd_listener() {
	PORT=$(free_port)
	start_shimmed SOCKREDIR_MODE=inetd SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" "$@"
}

stop_inetd_listener() {
	kill -TERM "$PROG_PID"
	wait_prog
	assert_equal "$PROG_STATUS" 0
}

@test "fd 2 closed, DEBUG=1: client, out and in send the peer only the program's output" {
	for mode in client out; do
		start_peer 127.0.0.1 dump
		CLOSE_FDS=2 start_shimmed SOCKREDIR_MODE=$mode SOCKREDIR_HOST=127.0.0.1 \
			SOCKREDIR_PORT="$PORT" SOCKREDIR_DEBUG=1 -- "$LEGACY" hello
		wait_both
		assert_file_equals "$T/peer.out" "hello"
	done
	start_peer 127.0.0.1 dump
	CLOSE_FDS=2 start_shimmed SOCKREDIR_MODE=in SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" SOCKREDIR_DEBUG=1 -- "$LEGACY" hello
	wait_both
	assert_file_equals "$T/peer.out" ""
	assert_file_equals "$T/prog.out" "hello"
}

@test "fd 2 closed, DEBUG=1: server and inetd send the peer only the program's output" {
	CLOSE_FDS=2 start_server 127.0.0.1 SOCKREDIR_DEBUG=1 -- "$LEGACY" fds
	connect_peer 127.0.0.1 "$PORT" 'expect:fds: 0 1 100:cloexec:conn' eof
	wait_both
	CLOSE_FDS=2 start_inetd_listener SOCKREDIR_DEBUG=1 -- "$LEGACY" fds
	connect_peer 127.0.0.1 "$PORT" 'expect:fds: 0 1 100:cloexec:conn' eof
	wait_peer
	assert_equal "$PEER_STATUS" 0
	stop_inetd_listener
}

@test "fd 2 closed: an inetd listener refuses a peer not in ALLOW and goes on serving" {
	CLOSE_FDS=2 start_inetd_listener SOCKREDIR_ALLOW=127.0.0.2 -- "$LEGACY" hello
	for _ in 1 2 3; do
		connect_peer 127.0.0.1 "$PORT" eof
		wait_peer
		assert_equal "$PEER_STATUS" 0
	done
	kill -0 "$PROG_PID"
	# No socket of the listener took the number 2.
	run readlink "/proc/$PROG_PID/fd/2"
	refute_output --partial socket
	"$PEER" -t 10 -b 127.0.0.2 connect 127.0.0.1 "$PORT" expect:hello eof
	assert_equal "$PEER_STATUS" 0
	stop_inetd_listener
}

# The description's names that are set, sorted, as one line appended to DESCRIBED.
describe='line=$(env | grep -E "^(PROTO|TCP(LOCAL|REMOTE)(IP|PORT|HOST|INFO)|UNIX(LOCALPATH|REMOTE(PID|EUID|EGID)))=" | sort | tr "\n" " "); echo "$line" >>"$DESCRIBED"'
forged=(PROTO=FORGED TCPLOCALIP=6.6.6.6 TCPLOCALPORT=6 TCPLOCALHOST=forged.example
	TCPREMOTEIP=6.6.6.6 TCPREMOTEPORT=6 TCPREMOTEHOST=forged.example TCPREMOTEINFO=forged
	UNIXLOCALPATH=/forged UNIXREMOTEPID=6 UNIXREMOTEEUID=6 UNIXREMOTEEGID=6)
tcp_described='^PROTO=TCP TCPLOCALIP=127\.0\.0\.1 TCPLOCALPORT=[0-9]+ TCPREMOTEIP=127\.0\.0\.1 TCPREMOTEPORT=[0-9]+ ?$'

@test "forged and stale description variables are replaced or removed in every TCP mode" {
	export DESCRIBED=$T/described
	for mode in client out in; do
		start_peer 127.0.0.1 eof
		start_shimmed "${forged[@]}" DESCRIBED="$DESCRIBED" SOCKREDIR_MODE=$mode \
			SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" -- sh -c "$describe"
		wait_both
	done
	start_server 127.0.0.1 "${forged[@]}" DESCRIBED="$DESCRIBED" -- sh -c "$describe"
	connect_peer 127.0.0.1 "$PORT" eof
	wait_both
	start_inetd_listener "${forged[@]}" DESCRIBED="$DESCRIBED" -- sh -c "$describe"
	connect_peer 127.0.0.1 "$PORT" eof
	wait_peer
	stop_inetd_listener
	run cat "$DESCRIBED"
	assert_equal "${#lines[@]}" 5
	for line in "${lines[@]}"; do
		[[ $line =~ $tcp_described ]] || fail "described as: $line"
	done
}

@test "forged and stale description variables are replaced or removed on unix: connections" {
	export DESCRIBED=$T/described
	start_shimmed "${forged[@]}" DESCRIBED="$DESCRIBED" SOCKREDIR_MODE=server \
		SOCKREDIR_HOST="unix:$T/s" SOCKREDIR_TIMEOUT=10 -- sh -c "$describe"
	connect_peer "unix:$T/s" 0 eof
	wait_both
	start_peer "unix:$T/c" eof
	start_shimmed "${forged[@]}" DESCRIBED="$DESCRIBED" SOCKREDIR_MODE=client \
		SOCKREDIR_HOST="unix:$T/c" -- sh -c "$describe"
	wait_both
	run cat "$DESCRIBED"
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp "^PROTO=UNIX UNIXLOCALPATH=$T/s UNIXREMOTEEGID=$(id -g) UNIXREMOTEEUID=$(id -u) UNIXREMOTEPID=[0-9]+ ?\$"
	assert_line --index 1 --regexp "^PROTO=UNIX UNIXREMOTEEGID=$(id -g) UNIXREMOTEEUID=$(id -u) UNIXREMOTEPID=[0-9]+ ?\$"
}

# A copy whose connection can no longer be described: the peer resets it
# while the copy is held (by libstall.so) just before its getpeername.  SPEC
# leaves it to the implementation whether such a copy runs main; if it does,
# it sees none of the names, forged or real.
@test "inetd: a copy whose connection was reset before it was described sees none of the names" {
	export DESCRIBED=$T/described
	PRELOAD="${FIRST:+$FIRST:}$BIN/libstall.so:$LIB" start_inetd_listener "${forged[@]}" \
		DESCRIBED="$DESCRIBED" STALL_PEERNAME=1 STALL_DIR="$T" -- sh -c "$describe"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" "gate:$T/stalled" reset
	touch "$T/go"
	stop_inetd_listener
	# The copy, if it ran main, wrote one empty line; if not, nothing.
	[[ ! -e $DESCRIBED ]] || assert_file_equals "$DESCRIBED" ""
}

# The same by chance, many at once: a connection reset before the listener
# accepts it may be dropped by accept (Linux: ECONNABORTED) or reach a copy,
# described or not; and the listener may be stopped before it accepted any
# (the stop closes the backlog).  So any number of copies runs, from 0 to
# 50, and each saw its connection described or nothing.
@test "inetd: copies whose connection was reset before they ran never see the forged values" {
	export DESCRIBED=$T/described
	# Whether a copy whose connection is gone runs main at all is the
	# implementation's choice: none may have written a line.
	: >"$DESCRIBED"
	start_inetd_listener "${forged[@]}" DESCRIBED="$DESCRIBED" -- sh -c "$describe"
	"$PEER" -n 50 connect 127.0.0.1 "$PORT" reset 2>"$T/peer.err"
	stop_inetd_listener
	run cat "$DESCRIBED"
	refute_output --partial 6.6.6.6
	refute_output --partial FORGED
	refute_output --partial forged
	refute_output --partial "=6 "
	# bats drops empty lines from lines: those are the undescribed copies.
	for line in "${lines[@]}"; do
		[[ $line =~ $tcp_described ]] || fail "described as: $line"
	done
}

@test "unix: a file moved onto the path while the stale socket is probed is not removed" {
	"$PYTHON" -c "import socket; socket.socket(socket.AF_UNIX).bind('$T/s')"
	[[ -S $T/s ]]
	PRELOAD="${FIRST:+$FIRST:}$BIN/libstall.so:$LIB" start_shimmed STALL_PATH="$T/s" \
		STALL_DIR="$T" SOCKREDIR_MODE=server SOCKREDIR_HOST="unix:$T/s" SOCKREDIR_TIMEOUT=5 \
		-- "$LEGACY" hello
	wait_for_file "$T/stalled"
	echo precious >"$T/file"
	mv "$T/file" "$T/s"
	touch "$T/go"
	wait_prog
	assert_equal "$PROG_STATUS" 69
	run cat "$T/prog.err"
	assert_output --regexp "^sockredir: listen on unix:$T/s: .*left untouched$"
	assert_file_equals "$T/s" precious
}

@test "unix: a server removes its socket file after accept only if it is still its own" {
	start_shimmed SOCKREDIR_MODE=server SOCKREDIR_HOST="unix:$T/s" SOCKREDIR_TIMEOUT=10 \
		-- "$LEGACY" hello
	wait_for_file "$T/s"
	mv "$T/s" "$T/moved"
	echo precious >"$T/s"
	connect_peer "unix:$T/moved" 0 expect:hello eof
	wait_both
	assert_file_equals "$T/s" precious
}

@test "unix: an inetd listener stopping removes its socket file only if it is still its own" {
	start_shimmed SOCKREDIR_MODE=inetd SOCKREDIR_HOST="unix:$T/s" -- "$LEGACY" hello
	wait_for_file "$T/s"
	connect_peer "unix:$T/s" 0 expect:hello eof
	wait_peer
	assert_equal "$PEER_STATUS" 0
	mv "$T/s" "$T/moved"
	echo precious >"$T/s"
	stop_inetd_listener
	assert_file_equals "$T/s" precious
	[[ -S $T/moved ]]
}
