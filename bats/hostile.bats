#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The service probed as an attacker would (issue 18): PROXY headers that are
# slow, silent or odd; hundreds of idle connections from many addresses of
# 127.0.0.0/8; a peer that stops reading while the program exits; hostile
# values.  docs/probe-18.md lists each case with its result.

load service

IDLE="$ROOT/test/idle.py"

# idle_clients COUNT ADDRESSES: COUNT connections that never send a byte, from
# 127.0.0.2 ... (ADDRESSES of them, in turn); returns once all are connected
# ($T/idle.ready); they stay until $T/idle.go exists or all were closed.
idle_clients() {
	wait_listening "$PORT"
	"$PYTHON" "$IDLE" "$PORT" "$1" "$2" "$T/idle.ready" "$T/idle.go" 60 >"$T/idle.out" &
	IDLER=$!
	wait_until [ -e "$T/idle.ready" ]
}

end_idle() {
	touch "$T/idle.go"
	wait "$IDLER"
}

HEADER='sendraw:PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n'

@test "inetd PROXY: 200 connections that never send a header do not hold up a client that sends one; the oldest give way, one line each" {
	start_inetd SOCKREDIR_PROXY=1 -- "$LEGACY" hello
	idle_clients 200 1
	"$PEER" -t 30 connect 127.0.0.1 "$PORT" "$HEADER" expect:hello eof
	# Served through the crowd, not once headers began to expire after 5 s.
	run grep -c "within 5 seconds" "$T/prog.err"
	assert_output 0
	run grep -c "dropped for a newer connection: 128 already waiting" "$T/prog.err"
	[[ $output -ge 72 ]] || fail "only $output of the 200 silent connections gave way"
	end_idle
	stop_listener
	run grep -vc "^sockredir: inetd: refused connection from 127\.0\.0\.2 port [0-9]* (\|^legacy main ran$" "$T/prog.err"
	assert_output 0
}

@test "inetd PROXY with ALLOW naming the balancer: silent connections from elsewhere are refused at accept and never wait for a header" {
	start_inetd SOCKREDIR_PROXY=1 SOCKREDIR_ALLOW=127.0.0.1 -- "$LEGACY" hello
	idle_clients 200 50
	wait_until count_is 200 grep -c "not in SOCKREDIR_ALLOW" "$T/prog.err"
	run cat "$T/idle.out"
	assert_output "closed 200 of 200"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" "$HEADER" expect:hello eof
	stop_listener
	run grep -c "PROXY" "$T/prog.err"
	assert_output 0
}

@test "a PROXY header sent one byte a segment, 20 ms apart, is read to its end in inetd, server and attach modes" {
	local v1='PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n'
	local v2='\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x01\xc6\x33\x64\x02\xdc\x04\x01\xbb'
	local program='read -r line; echo "$TCPREMOTEIP $TCPREMOTEPORT [$line]"'
	start_inetd SOCKREDIR_PROXY=1 -- sh -c "$program"
	for header in "$v1" "$v2"; do
		"$PEER" -t 20 connect 127.0.0.1 "$PORT" "dribble:20:${header}x\n" \
			'expect:192.0.2.1 56324 [x]' eof
	done
	stop_listener
	start_server 127.0.0.1 SOCKREDIR_PROXY=1 -- sh -c "$program"
	"$PEER" -t 20 connect 127.0.0.1 "$PORT" "dribble:20:${v2}y\n" 'expect:192.0.2.1 56324 [y]' eof
	wait_prog
	assert_equal "$PROG_STATUS" 0
	start_tcpserver SOCKREDIR_PROXY=1 -- sh -c "$program"
	"$PEER" -t 20 connect 127.0.0.1 "$PORT" "dribble:20:${v1}z\n" 'expect:192.0.2.1 56324 [z]' eof
	kill -TERM "$LISTENER"
	wait_prog
}

@test "after a v1 header, and after a v2 header with 65,000 bytes of TLVs, every byte that follows reaches the program as sent" {
	start_inetd SOCKREDIR_PROXY=1 -- sh -c 'od -An -tx1 -v | tr -d " \n"'
	wait_listening "$PORT"
	"$PYTHON" - "$PORT" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
garbage = bytes(range(256)) * 4 + b"PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n"
tlv = bytes([0xe0]) + struct.pack("!H", 65000 - 3) + b"t" * (65000 - 3)
block = socket.inet_aton("192.0.2.1") + socket.inet_aton("192.0.2.2") + struct.pack("!HH", 1, 2) + tlv
v2 = b"\r\n\r\n\x00\r\nQUIT\n\x21\x11" + struct.pack("!H", len(block)) + block
for header in (b"PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n", v2):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(20)
    s.sendall(header + garbage)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    if got.decode() != garbage.hex():
        sys.exit("the program got %r" % got[:200])
PY
	stop_listener
	run cat "$T/prog.err"
	assert_output ""
}

@test "MAX_PER_PEER=4: 300 idle connections from one address hold 4 copies, the other 296 are refused at once, another address is served" {
	start_inetd SOCKREDIR_MAX_PER_PEER=4 -- "$LEGACY" hold
	idle_clients 300 1
	wait_until count_is 296 grep -c "MAX_PER_PEER=4 copies already running" "$T/prog.err"
	assert_equal "$(children_of "$LISTENER")" 4
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:first send:x 'expect:second [x]' eof
	end_idle
	run cat "$T/idle.out"
	assert_output "closed 296 of 300"
	stop_listener
}

@test "300 idle connections from 100 addresses fill MAX; SESSION_TIMEOUT frees the slots, every one ends, and a client queued behind them is served" {
	start_inetd SOCKREDIR_MAX=60 SOCKREDIR_MAX_PER_PEER=4 SOCKREDIR_SESSION_TIMEOUT=1 -- "$LEGACY" hold
	idle_clients 300 100
	wait_until count_is 60 children_of "$LISTENER"
	# In the backlog behind the 240 others; each round of 60 lasts 1 s.
	"$PEER" -t 60 connect 127.0.0.1 "$PORT" expect:first send:x 'expect:second [x]' eof
	# Without SESSION_TIMEOUT none of them would ever be closed.
	wait "$IDLER"
	run cat "$T/idle.out"
	assert_output "closed 300 of 300"
	stop_listener
	run grep -c "refused" "$T/prog.err"
	assert_output 0
}

# blast_to_paused_peer MODE LINGER: the program writes 1 MiB and exits while
# the peer reads nothing (it sent 50 KB the program never reads); the peer
# reads only once the program has ended.
blast_to_paused_peer() {
	rm -f "$T/go"
	start_peer 127.0.0.1 sendlines:5000 "gate:$T/go" sink
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_LINGER="$2" -- "$LEGACY" blast 1048576
	wait_prog
	assert_equal "$PROG_STATUS" 0
	touch "$T/go"
	wait_peer
}

@test "a peer that stops reading for longer than LINGER while the program exits still gets every byte of 1 MiB (LINGER=0 loses them)" {
	blast_to_paused_peer client 0.3
	assert_equal "$PEER_STATUS" 0
	run cat "$T/peer.out"
	assert_output "$(sed -n 's/^sent /received /p' "$T/prog.err")"
	# The same with no drain: the unread input makes close a reset.
	blast_to_paused_peer client 0
	[[ $PEER_STATUS -ne 0 ]] || fail "LINGER=0 lost nothing: the test proves nothing"
	grep -qi "reset" "$T/peer.err"
}

@test "hostile values in the inetd variables, the host and ALLOW: one line each, status 64, never a crash or a hang" {
	local huge value
	huge=$(head -c 120000 /dev/zero | tr '\0' 9)
	for variable in MAX_PER_PEER SESSION_TIMEOUT PROXY; do
		for value in "$huge" 99999999999999999999999 18446744073709551617 -0 +1 ' 5' $'1\n' \
			86400.0000000001; do
			run timeout 20 env SOCKREDIR_MODE=inetd SOCKREDIR_HOST=no.such.host.invalid \
				"SOCKREDIR_$variable=$value" LD_PRELOAD="$SHIM" "$LEGACY" hello
			assert_refused 64 "SOCKREDIR_$variable=\""
			(( ${#output} < 300 )) || fail "a ${#output}-byte error line"
		done
	done
	local allow
	allow=$(for i in $(seq 10000); do printf '10.%d.%d.%d,' $((i / 65536)) $((i / 256 % 256)) $((i % 256)); done)
	run timeout 20 env SOCKREDIR_MODE=inetd "SOCKREDIR_ALLOW=${allow%,}" LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 "SOCKREDIR_ALLOW: more than 128 entries"
	run timeout 20 env SOCKREDIR_MODE=inetd $'SOCKREDIR_ALLOW=127.0.0.1\nsockredir: forged' \
		LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'bad entry "127.0.0.1\x0asockredir: forged"'
	run timeout 20 env SOCKREDIR_MODE=inetd $'SOCKREDIR_HOST=127.0.0.1\nsockredir: forged' \
		LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 68 'SOCKREDIR_HOST="127.0.0.1\x0asockredir: forged"'
	run timeout 20 env SOCKREDIR_MODE=client SOCKREDIR_HOST='[]' LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_HOST="[]": empty address'
	run timeout 20 env SOCKREDIR_MODE=server "SOCKREDIR_HOST=unix:/tmp/$(head -c 200 /dev/zero | tr '\0' a)" \
		LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 "socket path longer than 107 bytes"
	run timeout 20 env SOCKREDIR_MODE=client "SOCKREDIR_HOST=[$huge]" LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_HOST="[9999'
}
