#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# Socket activation (systemd's LISTEN_PID/LISTEN_FDS) in server and inetd
# modes, with systemd's own systemd-socket-activate passing the sockets.

load service

# start_activated ADDRESS VAR=VALUE... -- PROGRAM ARG...: the program under
# systemd-socket-activate listening on ADDRESS, the shim and the variables
# given to the program alone (-E).  LISTENER is its PID: the tool execs it.
start_activated() {
	require_tool systemd-socket-activate systemd
	local address=$1 settings=() pool
	shift
	while [[ $1 != -- ]]; do settings+=(-E "$1"); shift; done
	shift
	pool=$(test_pool)
	[[ -n $pool && " ${settings[*]} " == *" SOCKREDIR_MODE=inetd "* ]] && settings+=(-E "$pool")
	start_program -- systemd-socket-activate -l "$address" -E LD_PRELOAD="$SHIM" \
		"${settings[@]}" "$@"
	LISTENER=$PROG_PID
	wait_until grep -qs "^Listening on" "$T/prog.err"
}

@test "inetd with a passed socket: several connections, each its own copy; HOST and PORT not even read" {
	PORT=$(free_port)
	start_activated "127.0.0.1:$PORT" SOCKREDIR_MODE=inetd SOCKREDIR_HOST=no.such.host.invalid \
		SOCKREDIR_PORT=not-a-port -- sh -c 'echo "$PROTO $TCPREMOTEPORT $TCPLOCALPORT"'
	"$PEER" -t 10 -n 5 connect 127.0.0.1 "$PORT" 'expect:TCP {localport} {remoteport}' eof
	kill -0 "$LISTENER" || fail "the listener is gone"
	stop_listener
}

@test "inetd with a passed socket: LISTEN_* removed for the copies, which hold no passed socket" {
	PORT=$(free_port)
	start_activated "127.0.0.1:$PORT" SOCKREDIR_MODE=inetd -- sh -c \
		'echo "${LISTEN_PID-unset} ${LISTEN_FDS-unset} ${LISTEN_FDNAMES-unset}"; for fd in /proc/$$/fd/*; do readlink "$fd"; done'
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'expect:unset unset unset' dump >"$T/fds.out"
	local listening
	listening=$(socket_inode "$LISTENER" 3)
	[[ $listening == socket:* ]] || fail "fd 3 of the listener is $listening"
	run grep -cF "$listening" "$T/fds.out"
	assert_output 0
	stop_listener
}

@test "two passed sockets (LISTEN_FDS=2): both served, and DEBUG=1 logs each" {
	require_tool systemd-socket-activate systemd
	PORT=$(free_port)
	local other
	other=$(free_port)
	start_program -- systemd-socket-activate -l "127.0.0.1:$PORT" -l "127.0.0.1:$other" \
		-E LD_PRELOAD="$SHIM" -E SOCKREDIR_MODE=inetd -E SOCKREDIR_DEBUG=1 \
		${SOCKREDIR_TEST_PREFORK:+-E SOCKREDIR_PREFORK=$SOCKREDIR_TEST_PREFORK} "$LEGACY" hello
	LISTENER=$PROG_PID
	wait_until count_is 2 grep -cs "^Listening on" "$T/prog.err"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:hello eof
	"$PEER" -t 10 connect 127.0.0.1 "$other" expect:hello eof
	stop_listener
	run grep "^sockredir: inetd: listening" "$T/prog.err"
	assert_line --index 0 "sockredir: inetd: listening on 127.0.0.1 port $PORT, max 40"
	assert_line --index 1 "sockredir: inetd: listening on 127.0.0.1 port $other, max 40"
}

@test "server with a passed socket: one conversation, and the passed socket is closed once it is accepted" {
	PORT=$(free_port)
	start_activated "127.0.0.1:$PORT" SOCKREDIR_MODE=server SOCKREDIR_PORT=not-a-port -- sh -c \
		'read -r line; echo "got $line"; for fd in /proc/$$/fd/*; do readlink "$fd"; done; exit 0'
	local listening
	listening=$(socket_inode "$LISTENER" 3)
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" send:hi 'expect:got hi' dump >"$T/fds.out"
	wait_prog
	assert_equal "$PROG_STATUS" 0
	run grep -cF "$listening" "$T/fds.out"
	assert_output 0
}

@test "a passed Unix socket: UNIX description, the socket file left to its owner, ALLOW refused" {
	start_activated "$T/s" SOCKREDIR_MODE=inetd -- sh -c 'echo "$PROTO $UNIXLOCALPATH"'
	"$PEER" -t 10 -n 2 connect "unix:$T/s" 0 "expect:UNIX $T/s" eof
	stop_listener
	[[ -S $T/s ]] || fail "the listener removed the socket file systemd made"
	rm -f "$T/s"
	start_activated "$T/s" SOCKREDIR_MODE=inetd SOCKREDIR_ALLOW=127.0.0.1 -- "$LEGACY" hello
	"$PEER" -t 10 connect "unix:$T/s" 0 eof || true
	wait_prog
	assert_equal "$PROG_STATUS" 64
	run grep "^sockredir:" "$T/prog.err"
	assert_output --partial "SOCKREDIR_ALLOW: does not apply to a passed unix socket"
}

@test "a passed fd that is not a listening socket is EX_USAGE naming the fd" {
	run sh -c 'exec env LISTEN_PID=$$ LISTEN_FDS=1 SOCKREDIR_MODE=inetd LD_PRELOAD="$1" "$2" hello 3</dev/null' \
		sh "$SHIM" "$LEGACY"
	assert_refused 64 "fd 3 is not a listening stream socket"
	# A stream socket that does not listen (getsockname takes it, unlike /dev/null).
	run timeout 20 "$PYTHON" -c 'import os, socket, sys
s = socket.socket()
if s.fileno() == 3:
    s.set_inheritable(True)
else:
    os.dup2(s.fileno(), 3)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="1", SOCKREDIR_MODE="inetd",
                  LD_PRELOAD=sys.argv[1])
os.execv(sys.argv[2], sys.argv[2:] + ["hello"])' "$SHIM" "$LEGACY"
	assert_refused 64 "fd 3 is not a listening stream socket"
	run sh -c 'exec env LISTEN_PID=$$ LISTEN_FDS=x SOCKREDIR_MODE=server LD_PRELOAD="$1" "$2" hello' \
		sh "$SHIM" "$LEGACY"
	assert_refused 64 'LISTEN_FDS="x"'
}

@test "LISTEN_PID of another process: the variables are left alone and HOST:PORT is bound" {
	start_server 127.0.0.1 LISTEN_PID=1 LISTEN_FDS=1 -- sh -c 'echo "$LISTEN_PID $LISTEN_FDS"'
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'expect:1 1' eof
	wait_prog
	assert_equal "$PROG_STATUS" 0
}
