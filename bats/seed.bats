#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The seed's five dialogs (test-socket_stream_redirect.py, pairs 1-5), with an
# unmodified C program that never flushes in place of the seed's client.

load helper

@test "dialog 1, out: the server gets the client's three printed lines" {
	start_peer 127.0.0.1 \
		recv 'print:server {pid} got [{line}]' \
		recv 'print:server {pid} got [{line}]' \
		recv 'print:server {pid} got [{line}]' eof
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" 1
	local server=$PEER_PID client=$PROG_PID
	wait_both
	assert_file_equals "$T/peer.out" "server $server got [client $client: 0]
server $server got [client $client: 1]
server $server got [client $client: 2]"
	assert_file_equals "$T/prog.out" ""
}

@test "dialog 2, in: the client reads the server's three lines from stdin" {
	start_peer 127.0.0.1 \
		'send:server {pid}: 0' 'send:server {pid}: 1' 'send:server {pid}: 2' eof
	start_shimmed SOCKREDIR_MODE=in SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" 2
	local server=$PEER_PID client=$PROG_PID
	wait_both
	assert_file_equals "$T/prog.out" "client $client got [server $server: 0]
client $client got [server $server: 1]
client $client got [server $server: 2]"
}

@test "dialog 3, client: print, read the reply, report it on stderr (nested transcript)" {
	start_peer 127.0.0.1 "${SEED_ANSWERS[@]}"
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" 3
	local server=$PEER_PID client=$PROG_PID
	wait_both
	assert_file_equals "$T/prog.err" \
		"$(printf "client $client got [server $server got [client $client: %d]]\n" 0 1 2)"
}

@test "dialog 4, server: the program listens and answers a connecting client" {
	start_server 127.0.0.1 -- "$LEGACY" 4
	connect_peer 127.0.0.1 "$PORT" "${SEED_SPEAKS_FIRST[@]}"
	local server=$PEER_PID client=$PROG_PID
	wait_both
	assert_file_equals "$T/peer.out" \
		"$(printf "server $server got [client $client got [server $server: %d]]\n" 0 1 2)"
}

@test "dialog 5, client: the other side speaks first" {
	start_peer 127.0.0.1 "${SEED_SPEAKS_FIRST[@]}"
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" 5
	local server=$PEER_PID client=$PROG_PID
	wait_both
	assert_file_equals "$T/peer.out" \
		"$(printf "server $server got [client $client got [server $server: %d]]\n" 0 1 2)"
}

@test "both is the same mode as client" {
	start_peer 127.0.0.1 \
		'send:ping 0' recv 'print:{line}' \
		'send:ping 1' recv 'print:{line}' \
		'send:ping 2' recv 'print:{line}' eof
	start_shimmed SOCKREDIR_MODE=both SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" 5
	local client=$PROG_PID
	wait_both
	assert_file_equals "$T/peer.out" "client $client got [ping 0]
client $client got [ping 1]
client $client got [ping 2]"
}
