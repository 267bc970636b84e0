#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The connection described in the program's environment, UCSPI style, as
# tcpserver, tcpclient and ucspi-unix do; children see it too.

load helper

ucspi_tcp='echo "$PROTO $TCPLOCALIP $TCPLOCALPORT $TCPREMOTEIP $TCPREMOTEPORT"'

@test "client: PROTO=TCP and the local and remote address and port" {
	start_peer 127.0.0.1 'expect:TCP 127.0.0.1 {remoteport} 127.0.0.1 {localport}' eof
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- sh -c "$ucspi_tcp"
	wait_both
}

@test "server: the same variables, seen by a child of the program" {
	start_server 127.0.0.1 -- sh -c "sh -c '$ucspi_tcp'"
	connect_peer 127.0.0.1 "$PORT" 'expect:TCP 127.0.0.1 {remoteport} 127.0.0.1 {localport}' eof
	wait_both
}

@test "IPv6: addresses without brackets" {
	require_ipv6
	start_peer ::1 'expect:TCP ::1 {remoteport} ::1 {localport}' eof
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST='[::1]' SOCKREDIR_PORT="$PORT" \
		-- sh -c "$ucspi_tcp"
	wait_both
}

@test "an IPv4 peer of an IPv6 socket is written as IPv4, not ::ffff:" {
	require_ipv6
	start_server ::ffff:127.0.0.1 -- sh -c "$ucspi_tcp"
	connect_peer 127.0.0.1 "$PORT" 'expect:TCP 127.0.0.1 {remoteport} 127.0.0.1 {localport}' eof
	wait_both
}

@test "unix server: PROTO=UNIX, UNIXLOCALPATH, and the peer's PID, EUID, EGID" {
	start_shimmed SOCKREDIR_MODE=server SOCKREDIR_HOST="unix:$T/s" SOCKREDIR_TIMEOUT=10 \
		-- sh -c 'echo "$PROTO $UNIXLOCALPATH $UNIXREMOTEPID $UNIXREMOTEEUID $UNIXREMOTEEGID"'
	connect_peer "unix:$T/s" 0 "expect:UNIX $T/s {pid} $(id -u) $(id -g)" eof
	wait_both
}
