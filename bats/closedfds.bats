#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# A program started with fd 0, 1 or 2 closed (SPEC, Guarantees): while a
# server waits or an inetd listener serves, a closed standard fd may be held
# by /dev/null so that no socket takes its number; once main runs, every
# standard fd the mode does not put the connection on is as it was at start,
# closed if it was closed.  The program reports its fds into a file
# (legacy fdsto), whatever its fds 1 and 2 are.

load service	# helper.bash, start_inetd, stop_listener, require_tool, wait_listening

# expected_fds MODE CLOSED [STDERR]: the line legacy fdsto writes in main.
expected_fds() {
	local mode=$1 closed=$2 stderr=${3:-keep} line="fds:" fd on
	for fd in 0 1 2; do
		case $mode:$fd in
		out:1 | in:0 | client:[01] | server:[01] | inetd:[01] | attach:[01]) on=1 ;;
		in:2) on= ;;
		*:2) [[ $stderr == connection ]] && on=1 || on= ;;
		*) on= ;;
		esac
		if [[ -n $on ]]; then
			line+=" $fd"
			[[ $fd == 2 ]] && line+=":conn"
		elif [[ " $closed " != *" $fd "* ]]; then
			line+=" $fd"
		fi
	done
	echo "$line 100:cloexec:conn"
}

# No socket of the waiting process holds a number that was closed at start.
assert_no_socket_on() {
	local pid=$1 fd
	for fd in $2; do
		run readlink "/proc/$pid/fd/$fd"
		refute_output --partial socket
	done
}

client_side() {
	local mode=$1 closed=$2 stderr=${3:-keep}
	start_peer 127.0.0.1 eof
	CLOSE_FDS=$closed start_shimmed SOCKREDIR_MODE=$mode SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" SOCKREDIR_STDERR="$stderr" -- "$LEGACY" fdsto "$T/fds"
	wait_both
	assert_file_equals "$T/fds" "$(expected_fds "$mode" "$closed" "$stderr")"
}

@test "closed standard fds: out mode, main sees fd 0 and fd 2 as they were; a closed fd 1 becomes the connection" {
	for closed in 0 1 2 "0 2" "0 1 2"; do
		client_side out "$closed"
	done
}

@test "closed standard fds: in mode, main sees fd 1 and fd 2 as they were, STDERR=connection or not" {
	for closed in 0 1 2 "1 2" "0 1 2"; do
		client_side in "$closed"
		client_side in "$closed" connection
	done
}

@test "closed standard fds: client mode, main sees fd 2 as it was; closed fds 0 and 1 become the connection" {
	for closed in 0 1 2 "0 1" "0 1 2"; do
		client_side client "$closed"
	done
}

@test "closed standard fds: server mode, no socket on them while it waits; main sees fd 2 as it was" {
	for closed in 0 1 2 "0 1" "0 1 2"; do
		CLOSE_FDS=$closed start_server 127.0.0.1 -- "$LEGACY" fdsto "$T/fds"
		wait_listening "$PORT"
		assert_no_socket_on "$PROG_PID" "$closed"
		connect_peer 127.0.0.1 "$PORT" eof
		wait_both
		assert_file_equals "$T/fds" "$(expected_fds server "$closed")"
	done
}

@test "closed standard fds: inetd, no socket on them in the listener; each copy's main sees fd 2 as it was" {
	for closed in 0 1 2 "0 1 2"; do
		CLOSE_FDS=$closed start_inetd -- "$LEGACY" fdsto "$T/fds"
		wait_listening "$PORT"
		for copy in 1 2; do
			rm -f "$T/fds"
			"$PEER" -t 10 connect 127.0.0.1 "$PORT" eof
			assert_file_equals "$T/fds" "$(expected_fds inetd "$closed")"
		done
		assert_no_socket_on "$LISTENER" "$closed"
		stop_listener
	done
}

@test "closed standard fds: attach (tcpserver) with fd 2 closed, main sees it closed; fd 0 closed is 64 saying so" {
	require_tool tcpserver ucspi-tcp
	for stderr in keep connection; do
		PORT=$(free_port)
		start_program -- tcpserver -R -H 127.0.0.1 "$PORT" sh -c \
			'exec 2>&-; exec env LD_PRELOAD="$0" SOCKREDIR_MODE=attach SOCKREDIR_STDERR="$1" "$2" fdsto "$3"' \
			"$SHIM" "$stderr" "$LEGACY" "$T/fds"
		wait_listening "$PORT"
		"$PEER" -t 10 connect 127.0.0.1 "$PORT" eof
		kill -TERM "$PROG_PID"
		wait_prog
		assert_file_equals "$T/fds" "$(expected_fds attach 2 "$stderr")"
	done
	# (attach opens no socket: a closed fd is reported as closed.)
	run sh -c 'exec 0<&- env SOCKREDIR_MODE=attach LD_PRELOAD="$0" "$1" hello' "$SHIM" "$LEGACY"
	assert_refused 64 "fd 0 is closed"
}

@test "closed standard fds with STDERR=connection: a closed fd 2 becomes the connection in out, client, server and inetd copies" {
	for closed in 2 "0 2" "0 1 2"; do
		client_side out "$closed" connection
		client_side client "$closed" connection
		CLOSE_FDS=$closed start_server 127.0.0.1 SOCKREDIR_STDERR=connection -- \
			"$LEGACY" fdsto "$T/fds"
		connect_peer 127.0.0.1 "$PORT" eof
		wait_both
		assert_file_equals "$T/fds" "$(expected_fds server "$closed" connection)"
		CLOSE_FDS=$closed start_inetd SOCKREDIR_STDERR=connection -- "$LEGACY" fdsto "$T/fds"
		"$PEER" -t 10 connect 127.0.0.1 "$PORT" eof
		stop_listener
		assert_file_equals "$T/fds" "$(expected_fds inetd "$closed" connection)"
	done
}
