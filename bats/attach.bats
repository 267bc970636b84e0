#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# attach mode: a service manager (systemd Accept=yes, tcpserver, inetd) has
# put the connection on fds 0 and 1; the shim opens nothing and does the
# rest: buffering, TCP_NODELAY, the peer description, the exit path.

load service

# start_socket_activate VAR=VALUE... -- PROGRAM ARG...: systemd's
# Accept=yes, as systemd-socket-activate --inetd does it, on PORT.
start_socket_activate() {
	require_tool systemd-socket-activate systemd
	local settings=()
	while [[ $1 != -- ]]; do settings+=(-E "$1"); shift; done
	shift
	PORT=$(free_port)
	start_program -- systemd-socket-activate -l "127.0.0.1:$PORT" -a --inetd \
		-E LD_PRELOAD="$SHIM" -E SOCKREDIR_MODE=attach "${settings[@]}" "$@"
	LISTENER=$PROG_PID
	wait_until grep -qs "^Listening on" "$T/prog.err"
}

@test "systemd-socket-activate --inetd: a dialog works (line buffering), several connections" {
	start_socket_activate -- "$LEGACY" hold
	# Without the shim stdout is a socket, fully buffered: "first" would
	# never leave before the program waits for its input.
	"$PEER" -t 10 -n 3 connect 127.0.0.1 "$PORT" expect:first send:x 'expect:second [x]' eof
	kill -TERM "$LISTENER"
	wait_prog
}

@test "systemd-socket-activate --inetd: the connection is described, a forged description replaced" {
	start_socket_activate TCPREMOTEIP=192.0.2.1 TCPREMOTEHOST=forged -- sh -c \
		'echo "$PROTO $TCPREMOTEIP $TCPREMOTEPORT $TCPLOCALPORT ${TCPREMOTEHOST-unset}"'
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'expect:TCP 127.0.0.1 {localport} {remoteport} unset' eof
	kill -TERM "$LISTENER"
	wait_prog
}

@test "tcpserver: attach gives the program line buffering and TCP_NODELAY" {
	start_tcpserver -- sh -c '"$0" nodelay 2>&1; "$0" hold' "$LEGACY"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'expect:nodelay 1' expect:first send:y \
		'expect:second [y]' eof
	kill -TERM "$LISTENER"
	wait_prog
}

@test "tcpserver: attach arms the exit path: unread input is drained, the peer reads EOF, not a reset" {
	start_tcpserver -- "$LEGACY" hello
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:hello sendlines:2000 eof
	kill -TERM "$LISTENER"
	wait_prog
	# The control: the same without the exit path is reset.
	start_tcpserver SOCKREDIR_LINGER=0 -- "$LEGACY" hello
	run "$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:hello sendlines:2000 eof
	assert_failure
	assert_output --regexp 'Connection reset by peer|Broken pipe'
	kill -TERM "$LISTENER"
	wait_prog
}

@test "tcpserver: DEBUG=1 writes one line describing the connection" {
	start_tcpserver SOCKREDIR_DEBUG=1 -- "$LEGACY" hello
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'print:{localport}' expect:hello eof >"$T/port.out"
	kill -TERM "$LISTENER"
	wait_prog
	run grep "^sockredir:" "$T/prog.err"
	assert_output "sockredir: attach: attached to 127.0.0.1 port $(cat "$T/port.out"), local 127.0.0.1 port $PORT, on fd 0 and 1"
}

# attach_with FD0 FD1 PROGRAM ARG...: runs the program in attach mode with
# fds 0 and 1 set up by python: "pair" (one end of a socketpair), "pair2"
# (a second socketpair), "null" (/dev/null), "listen" (a listening socket).
attach_with() {
	local in=$1 out=$2
	shift 2
	"$PYTHON" - "$in" "$out" "$@" <<'PY'
import os, socket, sys
made = {}
def fd(kind):
    if kind == "null":
        return os.open("/dev/null", os.O_RDWR)
    if kind == "listen" and kind not in made:
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); made[kind] = [s]
    if kind not in made:
        made[kind] = socket.socketpair()
    return made[kind][0].fileno()
ins, outs = fd(sys.argv[1]), fd(sys.argv[2])
os.dup2(ins, 0); os.dup2(outs, 1)
os.execvpe(sys.argv[3], sys.argv[3:], dict(os.environ))
PY
}

@test "attach: fds 0 and 1 not one connected stream socket is EX_USAGE naming the fd; HOST, PORT, TIMEOUT ignored" {
	export SOCKREDIR_MODE=attach SOCKREDIR_HOST=no.such.host.invalid SOCKREDIR_PORT=junk \
		SOCKREDIR_TIMEOUT=junk
	run env LD_PRELOAD="$SHIM" "$LEGACY" hello </dev/null
	assert_refused 64 "fd 0 is not a socket"
	run attach_with pair null env LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 "fd 1 is not a socket"
	run attach_with listen listen env LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 "fd 0 is not a connected socket"
	run attach_with pair pair2 env LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 "fd 0 and fd 1 are not the same connection"
}

@test "attach on a Unix socketpair: described as UNIX from SO_PEERCRED" {
	export SOCKREDIR_MODE=attach
	run attach_with pair pair env LD_PRELOAD="$SHIM" sh -c 'echo "$PROTO $UNIXREMOTEPID" >&2'
	assert_success
	assert_output --regexp '^UNIX [0-9]+$'
}
