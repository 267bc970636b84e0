#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# SOCKREDIR_PROXY=1: every connection begins with a PROXY protocol header
# (HAProxy's send-proxy, send-proxy-v2); the shim takes exactly the header
# and describes the original client.  Hand-made headers for every rule, then
# HAProxy itself in front of two inetd listeners.

load service

# What the programs print: the description, then the first line they read.
DESCRIBE='read -r line; echo "$PROTO $TCPREMOTEIP $TCPREMOTEPORT $TCPLOCALIP $TCPLOCALPORT [$line]"'

# proxy_v2 proxy|local|udp|unix [SRC SPORT DST DPORT [TLV_BYTES]]: a v2
# header as peer sendraw escapes.
proxy_v2() {
	"$PYTHON" - "$@" <<'PY'
import socket, struct, sys
kind, rest = sys.argv[1], sys.argv[2:]
command, block, family = 0x21, b"", 0x00
if kind == "local":
    command = 0x20
elif kind == "unix":
    family, block = 0x31, bytes(216)
else:
    src, sport, dst, dport = rest[0], int(rest[1]), rest[2], int(rest[3])
    inet = socket.AF_INET6 if ":" in src else socket.AF_INET
    family = (0x20 if inet == socket.AF_INET6 else 0x10) | (2 if kind == "udp" else 1)
    block = (socket.inet_pton(inet, src) + socket.inet_pton(inet, dst) +
             struct.pack("!HH", sport, dport))
    if len(rest) > 4:
        block += bytes([3, 0, int(rest[4]) - 3]) + b"t" * (int(rest[4]) - 3)
data = b"\r\n\r\n\x00\r\nQUIT\n" + bytes([command, family]) + struct.pack("!H", len(block)) + block
print("".join("\\x%02x" % b for b in data))
PY
}

start_proxied_inetd() {
	start_inetd SOCKREDIR_PROXY=1 "$@"
}

@test "server: a v1 header and the payload in one segment: exactly the header is taken, the program sees the client" {
	start_server 127.0.0.1 SOCKREDIR_PROXY=1 -- sh -c "$DESCRIBE"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" \
		'sendraw:PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nhello\n' \
		'expect:TCP 192.0.2.1 56324 198.51.100.2 443 [hello]' eof
	wait_prog
	assert_equal "$PROG_STATUS" 0
}

@test "server: with DEBUG=1 the connection's line names the original client and the address it reached" {
	start_server 127.0.0.1 SOCKREDIR_PROXY=1 SOCKREDIR_DEBUG=1 -- "$LEGACY" once
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" \
		'sendraw:PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\nping\n' 'expect:pong ping' eof
	wait_prog
	assert_equal "$PROG_STATUS" 0
	run cat "$T/prog.err"
	assert_output "sockredir: server: accepted 2001:db8::1 port 56324, local 2001:db8::2 port 443, on fd 0 and 1"
}

@test "inetd: v2 headers with TLVs and the payload in one segment, TCP4 and TCP6; v1 TCP6" {
	start_proxied_inetd -- sh -c "$DESCRIBE"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" \
		"sendraw:$(proxy_v2 proxy 192.0.2.1 56324 198.51.100.2 443 40)hello\n" \
		'expect:TCP 192.0.2.1 56324 198.51.100.2 443 [hello]' eof
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" \
		"sendraw:$(proxy_v2 proxy 2001:db8::1 1 2001:db8::2 65535)six\n" \
		'expect:TCP 2001:db8::1 1 2001:db8::2 65535 [six]' eof
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" \
		'sendraw:PROXY TCP6 2001:db8::7 ::1 40000 8080\r\nv1\n' \
		'expect:TCP 2001:db8::7 40000 ::1 8080 [v1]' eof
	stop_listener
}

@test "v1 UNKNOWN, v2 LOCAL (a health check), v2 UDP and UNIX: the connection's own addresses" {
	start_proxied_inetd -- sh -c "$DESCRIBE"
	local header
	for header in 'PROXY UNKNOWN\r\n' 'PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n' "$(proxy_v2 local)" \
		"$(proxy_v2 udp 192.0.2.1 1 192.0.2.2 2)" "$(proxy_v2 unix)"; do
		"$PEER" -t 10 connect 127.0.0.1 "$PORT" "sendraw:${header}own\n" \
			"expect:TCP 127.0.0.1 {localport} 127.0.0.1 {remoteport} [own]" eof
	done
	stop_listener
}

@test "inetd: no header, a malformed one, a connection closed mid-header: closed at once, one line naming the peer, no copy" {
	start_proxied_inetd -- "$LEGACY" hello
	local payload
	for payload in 'hello\n' 'PROXY TCP4 192.0.2.1 198.51.100.2 99999 443\r\n' \
		'\r\n\r\n\x00\r\nQUIT\n\x22\x11\x00\x0c'; do
		"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'print:{localport}' "sendraw:$payload" eof \
			>>"$T/ports"
	done
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'print:{localport}' 'sendraw:PROXY TCP4 1.2' shut eof \
		>>"$T/ports"
	mapfile -t ports <"$T/ports"
	wait_until count_is 4 grep -c refused "$T/prog.err"
	stop_listener
	run cat "$T/prog.err"
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 "sockredir: inetd: refused connection from 127.0.0.1 port ${ports[0]} (not a PROXY protocol header)"
	assert_line --index 1 "sockredir: inetd: refused connection from 127.0.0.1 port ${ports[1]} (not a PROXY protocol header)"
	assert_line --index 2 "sockredir: inetd: refused connection from 127.0.0.1 port ${ports[2]} (not a PROXY protocol header)"
	assert_line --index 3 "sockredir: inetd: refused connection from 127.0.0.1 port ${ports[3]} (connection closed before the end of its PROXY header)"
}

@test "server: a missing header is exit 69 with one line naming the peer; main never runs" {
	start_server 127.0.0.1 SOCKREDIR_PROXY=1 -- "$LEGACY" hello
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'print:{localport}' 'sendraw:hello\n' eof >"$T/port"
	wait_prog
	assert_equal "$PROG_STATUS" 69
	run cat "$T/prog.err"
	assert_output "sockredir: server: refused connection from 127.0.0.1 port $(cat "$T/port") (not a PROXY protocol header)"
}

@test "a header arriving in pieces is read to its end and no further" {
	start_proxied_inetd -- sh -c "$DESCRIBE"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'sendraw:PROXY TCP4 192.0.2.1 198.5' "touch:$T/part" \
		"gate:$T/go" 'sendraw:1.100.2 56324 443\r' "touch:$T/cr" "gate:$T/go2" 'sendraw:\nrest\n' \
		'expect:TCP 192.0.2.1 56324 198.51.100.2 443 [rest]' eof &
	PEER_PID=$!
	wait_until [ -e "$T/part" ]
	touch "$T/go"
	wait_until [ -e "$T/cr" ]
	touch "$T/go2"
	wait_peer
	assert_equal "$PEER_STATUS" 0
	stop_listener
}

@test "a slow header is dropped after 5 s with one line, and never holds up the other connections" {
	start_proxied_inetd -- sh -c "$DESCRIBE"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'print:{localport}' 'sendraw:PROXY TCP4 192.0.2.1' \
		"touch:$T/slow" eof >"$T/slow.port" 2>"$T/slow.err" &
	local slow=$!
	wait_until [ -e "$T/slow" ]
	"$PEER" -t 10 -n 5 connect 127.0.0.1 "$PORT" 'sendraw:PROXY TCP4 192.0.2.9 192.0.2.8 9 8\r\nquick\n' \
		'expect:TCP 192.0.2.9 9 192.0.2.8 8 [quick]' eof
	kill -0 "$slow" || fail "the slow connection was closed before its deadline"
	wait "$slow" || fail "the slow connection was not closed: $(cat "$T/slow.err")"
	stop_listener
	run cat "$T/prog.err"
	assert_output "sockredir: inetd: refused connection from 127.0.0.1 port $(cat "$T/slow.port") (no complete PROXY header within 5 seconds)"
}

@test "ALLOW applies to the proxy that connects, not to the client its header names" {
	start_proxied_inetd SOCKREDIR_ALLOW=127.0.0.1 SOCKREDIR_DEBUG=1 -- sh -c "$DESCRIBE"
	# Refused before its header is read: EOF or a reset, as its bytes meet the close.
	"$PEER" -t 10 -b 127.0.0.2 connect 127.0.0.1 "$PORT" 'print:{localport}' \
		'sendraw:PROXY TCP4 127.0.0.1 127.0.0.1 5 6\r\nx\n' dump >"$T/refused.out" 2>/dev/null || true
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'sendraw:PROXY TCP4 203.0.113.7 127.0.0.1 5 6\r\nx\n' \
		'expect:TCP 203.0.113.7 5 127.0.0.1 6 [x]' eof
	stop_listener
	run grep -v "listening on\|end pid" "$T/prog.err"
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 "sockredir: inetd: refused connection from 127.0.0.2 port $(head -1 "$T/refused.out") (not in SOCKREDIR_ALLOW)"
	assert_line --index 1 --regexp "^sockredir: inetd: pid [0-9]+ from 203\.0\.113\.7 port 5 \(1/40\)$"
}

@test "MAX_PER_PEER counts by the original client, not by the proxy" {
	start_proxied_inetd SOCKREDIR_MAX_PER_PEER=1 -- "$LEGACY" hold
	"$PEER" -t 20 connect 127.0.0.1 "$PORT" 'sendraw:PROXY TCP4 192.0.2.1 127.0.0.1 1000 1\r\n' \
		expect:first "touch:$T/one" "gate:$T/go" send:x 'expect:second [x]' eof &
	PEER_PID=$!
	wait_until [ -e "$T/one" ]
	# The same proxy for another client: served alongside.
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'sendraw:PROXY TCP4 192.0.2.2 127.0.0.1 1000 1\r\n' \
		expect:first send:y 'expect:second [y]' eof
	# The first client again: refused at once.
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'sendraw:PROXY TCP4 192.0.2.1 127.0.0.1 1001 1\r\n' eof
	touch "$T/go"
	wait_peer
	assert_equal "$PEER_STATUS" 0
	stop_listener
	run cat "$T/prog.err"
	assert_output "sockredir: inetd: refused connection from 192.0.2.1 port 1001 (SOCKREDIR_MAX_PER_PEER=1 copies already running for this address)"
}

@test "behind a unix: listener a TCP header describes the client with the TCP names" {
	PORT=
	start_shimmed SOCKREDIR_MODE=inetd SOCKREDIR_HOST="unix:$T/s" SOCKREDIR_PROXY=1 -- sh -c "$DESCRIBE"
	LISTENER=$PROG_PID
	"$PEER" -t 10 connect "unix:$T/s" 0 'sendraw:PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nu\n' \
		'expect:TCP 192.0.2.1 56324 198.51.100.2 443 [u]' eof
	stop_listener
}

@test "attach under tcpserver: the header is taken before the program runs; a missing one ends it with 69" {
	require_tool tcpserver ucspi-tcp
	PORT=$(free_port)
	start_program -- tcpserver -R -H 127.0.0.1 "$PORT" sh -c \
		'env LD_PRELOAD="$0" SOCKREDIR_MODE=attach SOCKREDIR_PROXY=1 sh -c "$1"; echo "exit $?" >&2' \
		"$SHIM" "$DESCRIBE"
	LISTENER=$PROG_PID
	wait_listening "$PORT"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'sendraw:PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nhi\n' \
		'expect:TCP 192.0.2.1 56324 198.51.100.2 443 [hi]' eof
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'print:{localport}' 'sendraw:hi\n' eof >"$T/port"
	wait_until count_is 2 grep -c "^exit" "$T/prog.err"
	kill -TERM "$LISTENER"
	wait_prog
	run cat "$T/prog.err"
	assert_line --index 0 "exit 0"
	assert_line --index 1 "sockredir: attach: refused connection from 127.0.0.1 port $(cat "$T/port") (not a PROXY protocol header)"
	assert_line --index 2 "exit 69"
}

@test "PROXY: a bad value is EX_USAGE before any lookup; ignored in client modes" {
	run env SOCKREDIR_MODE=inetd SOCKREDIR_HOST=no.such.host.invalid SOCKREDIR_PROXY=yes \
		LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_PROXY="yes"'
	client_ignores SOCKREDIR_PROXY=yes
}

@test "HAProxy send-proxy-v2 in front of two inetd listeners: 200 sessions, each sees the client's own address and port, both serve, health checks are not clients" {
	require_tool haproxy haproxy
	local program='read -r line; echo "$TCPREMOTEIP $TCPREMOTEPORT [$line]"' one two
	mkdir -p "$T/one" "$T/two" "$T/haproxy"
	T="$T/one" start_proxied_inetd SOCKREDIR_DEBUG=1 -- sh -c "$program"
	one=$LISTENER
	local port_one=$PORT
	T="$T/two" start_proxied_inetd SOCKREDIR_DEBUG=1 -- sh -c "$program"
	two=$LISTENER
	local port_two=$PORT front
	front=$(free_port)
	T="$T/haproxy" start_program SOCKREDIR_FRONT="127.0.0.1:$front" \
		SOCKREDIR_LISTENER1="127.0.0.1:$port_one" SOCKREDIR_LISTENER2="127.0.0.1:$port_two" \
		-- haproxy -db -f "$ROOT/docs/deploy/haproxy.cfg"
	local haproxy=$PROG_PID
	# Ready: HAProxy listens, and has checked each listener once.
	wait_listening "$front"
	wait_until grep -q "from 127.0.0.1 port" "$T/one/prog.err"
	wait_until grep -q "from 127.0.0.1 port" "$T/two/prog.err"
	# The clients come from 127.0.0.2; HAProxy connects from 127.0.0.1.
	"$PEER" -t 10 -n 200 -b 127.0.0.2 connect 127.0.0.1 "$front" 'send:{localport}' \
		'expect:127.0.0.2 {localport} [{localport}]' eof
	kill -TERM "$haproxy"
	wait "$haproxy" || true
	kill -TERM "$one" "$two"
	wait "$one" || fail "listener one exited $?"
	wait "$two" || fail "listener two exited $?"
	PROG_PID=
	local served_one served_two checks_one checks_two
	served_one=$(grep -c "from 127.0.0.2 port" "$T/one/prog.err")
	served_two=$(grep -c "from 127.0.0.2 port" "$T/two/prog.err")
	checks_one=$(grep -c "from 127.0.0.1 port" "$T/one/prog.err")
	checks_two=$(grep -c "from 127.0.0.1 port" "$T/two/prog.err")
	echo "HAProxy: listener one served $served_one sessions and $checks_one checks, two $served_two and $checks_two" >&3
	assert_equal "$((served_one + served_two))" 200
	[[ $served_one -gt 0 && $served_two -gt 0 ]] || fail "one listener served nothing"
	run grep -h "refused" "$T/one/prog.err" "$T/two/prog.err"
	assert_output ""
	# Every session's copy ended well (a check's copy may die of SIGPIPE
	# writing to a balancer that has gone).
	[[ $(cat "$T/one/prog.err" "$T/two/prog.err" | grep -c "end pid [0-9]* status 0") -ge 200 ]] ||
		fail "a session's copy failed"
}
