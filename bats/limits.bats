#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# inetd mode's limits: MAX_PER_PEER (no address takes every slot) and
# SESSION_TIMEOUT (SIGTERM to the copy's process group, SIGKILL 2 s later).

load service

# hold_client N SOURCE: a client from SOURCE that converses once it may
# ($T/go.N), after telling the test it was served ($T/ready.N).
hold_client() {
	"$PEER" -t 20 -b "$2" connect 127.0.0.1 "$PORT" expect:first "touch:$T/ready.$1" \
		"gate:$T/go.$1" send:x 'expect:second [x]' eof >"$T/peer.$1.out" 2>"$T/peer.$1.err" &
	CLIENTS+=($!)
}

@test "MAX_PER_PEER: a third copy for 127.0.0.1 is refused at once with one line, while 127.0.0.2 still gets a slot of MAX" {
	CLIENTS=()
	start_inetd SOCKREDIR_MAX=3 SOCKREDIR_MAX_PER_PEER=2 -- "$LEGACY" hold
	hold_client 1 127.0.0.1
	hold_client 2 127.0.0.1
	wait_until [ -e "$T/ready.1" ] && wait_until [ -e "$T/ready.2" ]
	# Closed at once: the client reads EOF where a copy would say "first".
	"$PEER" -t 10 -b 127.0.0.1 connect 127.0.0.1 "$PORT" 'print:{localport}' eof \
		>"$T/refused.out" 2>"$T/refused.err" || fail "$(cat "$T/refused.err")"
	hold_client 3 127.0.0.2
	wait_until [ -e "$T/ready.3" ]
	assert_equal "$(children_of "$LISTENER")" 3
	touch "$T/go.1" "$T/go.2" "$T/go.3"
	for pid in "${CLIENTS[@]}"; do
		wait "$pid" || fail "a held client failed"
	done
	# A slot freed for 127.0.0.1 serves it again.
	wait_until idle "$LISTENER"
	"$PEER" -t 10 -b 127.0.0.1 connect 127.0.0.1 "$PORT" expect:first send:z 'expect:second [z]' eof
	stop_listener
	run grep "^sockredir:" "$T/prog.err"
	assert_output "sockredir: inetd: refused connection from 127.0.0.1 port $(cat "$T/refused.out") (SOCKREDIR_MAX_PER_PEER=2 copies already running for this address)"
}

@test "MAX_PER_PEER counts an IPv4 client of an IPv6 socket as IPv4" {
	require_ipv6
	PORT=$(free_port)
	start_shimmed SOCKREDIR_MODE=inetd SOCKREDIR_HOST=:: SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_MAX_PER_PEER=1 -- "$LEGACY" hold
	LISTENER=$PROG_PID
	CLIENTS=()
	"$PEER" -t 20 connect 127.0.0.1 "$PORT" expect:first "touch:$T/ready" "gate:$T/go" \
		send:x 'expect:second [x]' eof &
	CLIENTS+=($!)
	wait_until [ -e "$T/ready" ]
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" eof
	touch "$T/go"
	wait "${CLIENTS[0]}"
	stop_listener
	run grep -c "refused connection from 127.0.0.1 port" "$T/prog.err"
	assert_output 1
}

# The limits are 1 s: the copy must have set itself up (its trap, its child)
# before they fire, and on a loaded machine a fresh copy may wait its turn.
@test "SESSION_TIMEOUT: SIGTERM to the copy's process group, its children included" {
	# The copy's child says it got SIGTERM: SIGKILL 2 s later, which would
	# end it as well, says nothing.
	start_inetd SOCKREDIR_DEBUG=1 SOCKREDIR_SESSION_TIMEOUT=1 TERMED="$T/termed" -- sh -c \
		'(trap "echo TERM >\"\$TERMED\"; exit 0" TERM; sleep 30 & wait) & echo "$!"; wait'
	# Not waiting for EOF, which comes only when the sleeper (holding the
	# connection) is gone.
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" recv 'print:{line}' >"$T/sleep.pid"
	local sleeper
	sleeper=$(cat "$T/sleep.pid")
	wait_until grep -q "end pid" "$T/prog.err"
	wait_until grep -qs TERM "$T/termed"
	wait_until not_alive "$sleeper"
	run grep "end pid" "$T/prog.err"
	assert_output --regexp "^sockredir: inetd: end pid [0-9]+ signal 15 \(0/40\)$"
	stop_listener
}

@test "SESSION_TIMEOUT: a copy that ignores SIGTERM, and its children, get SIGKILL 2 s later" {
	start_inetd SOCKREDIR_DEBUG=1 SOCKREDIR_SESSION_TIMEOUT=1 -- sh -c \
		'trap "" TERM; sleep 30 & echo "$!"; wait; wait'
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" recv 'print:{line}' eof >"$T/sleep.pid"
	local sleeper
	sleeper=$(cat "$T/sleep.pid")
	wait_until grep -q "end pid" "$T/prog.err"
	# SIGKILL went to the group at once; the sleeper ends when it next runs.
	wait_until not_alive "$sleeper"
	run grep "end pid" "$T/prog.err"
	assert_output --regexp "^sockredir: inetd: end pid [0-9]+ signal 9 \(0/40\)$"
	stop_listener
}

@test "SESSION_TIMEOUT: what the copy started and left behind, ignoring SIGTERM, gets SIGKILL 2 s later" {
	start_inetd SOCKREDIR_DEBUG=1 SOCKREDIR_SESSION_TIMEOUT=1 -- sh -c \
		'sh -c "trap \"\" TERM; exec sleep 30" & echo "$!"; wait'
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" recv 'print:{line}' >"$T/sleep.pid"
	local sleeper
	sleeper=$(cat "$T/sleep.pid")
	wait_until grep -q "end pid .* signal 15" "$T/prog.err"
	wait_until not_alive "$sleeper"
	stop_listener
}

@test "SESSION_TIMEOUT still applies to copies running after the listener was asked to stop" {
	start_inetd SOCKREDIR_SESSION_TIMEOUT=1 -- "$LEGACY" hold
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:first "touch:$T/ready" eof &
	PEER_PID=$!
	wait_until [ -e "$T/ready" ]
	kill -TERM "$LISTENER"
	wait_peer
	assert_equal "$PEER_STATUS" 0
	wait_prog
	assert_equal "$PROG_STATUS" 0
}

@test "bad MAX_PER_PEER and SESSION_TIMEOUT are EX_USAGE before any lookup; both ignored outside inetd mode" {
	for value in 0 65536 -1 1.5 x; do
		run env SOCKREDIR_MODE=inetd SOCKREDIR_HOST=no.such.host.invalid \
			SOCKREDIR_MAX_PER_PEER="$value" LD_PRELOAD="$SHIM" "$LEGACY" hello
		assert_refused 64 "SOCKREDIR_MAX_PER_PEER=\"$value\""
	done
	for value in 1e3 1.5s -1 86401 .5; do
		run env SOCKREDIR_MODE=inetd SOCKREDIR_HOST=no.such.host.invalid \
			SOCKREDIR_SESSION_TIMEOUT="$value" LD_PRELOAD="$SHIM" "$LEGACY" hello
		assert_refused 64 "SOCKREDIR_SESSION_TIMEOUT=\"$value\""
	done
	client_ignores SOCKREDIR_MAX_PER_PEER=junk SOCKREDIR_SESSION_TIMEOUT=junk
}
