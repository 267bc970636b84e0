#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# SOCKREDIR_PREFORK=N: an inetd listener keeps N copies forked in advance,
# each waiting for one connection, which the listener hands it.  The rest of
# inetd mode's guarantees are tested with a pool too: test/run-tests.sh runs
# inetd.bats, limits.bats, proxy.bats and activation.bats again with
# SOCKREDIR_TEST_PREFORK set.

load service

waiting_pids() {
	pgrep -P "$1" | sort
}

@test "PREFORK=3: three copies wait before any connection; each connection is served by a waiting copy, and the pool is filled again" {
	start_inetd SOCKREDIR_PREFORK=3 -- sh -c 'echo "$$"'
	wait_until idle "$LISTENER"
	local before i served
	for i in 1 2 3; do
		before=$(waiting_pids "$LISTENER")
		"$PEER" -t 10 connect 127.0.0.1 "$PORT" recv 'print:{line}' eof >"$T/served.$i"
		served=$(cat "$T/served.$i")
		grep -qx "$served" <<<"$before" ||
			fail "session $i was served by $served, not by a waiting copy ($(echo $before))"
		wait_until idle "$LISTENER"
	done
	stop_listener
}

@test "SIGTERM: waiting copies end at once without running main, while a running copy finishes; then exit 0" {
	# Each main says so on stderr: only the copy that served may.
	start_inetd SOCKREDIR_PREFORK=4 -- sh -c 'echo main ran >&2; exec "$0" hold' "$LEGACY"
	wait_until idle "$LISTENER"
	"$PEER" -t 20 connect 127.0.0.1 "$PORT" expect:first "touch:$T/ready" "gate:$T/go" \
		send:late 'expect:second [late]' eof >"$T/peer.out" 2>"$T/peer.err" &
	PEER_PID=$!
	wait_until [ -e "$T/ready" ]
	wait_until count_is 5 children_of "$LISTENER"	# the pool filled again
	local running waiting
	running=$(serving_copies "$LISTENER")
	waiting=$(waiting_pids "$LISTENER" | grep -vx "$running")
	assert_equal "$(wc -w <<<"$waiting")" 4
	kill -TERM "$LISTENER"
	# The running copy is still there; the waiting ones are not.
	wait_until count_is 1 children_of "$LISTENER"
	assert_equal "$(pgrep -P "$LISTENER")" "$running"
	touch "$T/go"
	wait_peer
	assert_equal "$PEER_STATUS" 0
	wait_prog
	assert_equal "$PROG_STATUS" 0
	run cat "$T/prog.err"
	assert_output "main ran"
}

@test "no copy runs main without a connection: waiting copies that end, killed or stopped, never do" {
	start_inetd SOCKREDIR_PREFORK=3 SOCKREDIR_DEBUG=1 -- "$LEGACY" hello
	wait_until idle "$LISTENER"
	local victim
	victim=$(waiting_pids "$LISTENER" | head -1)
	kill -TERM "$victim"
	wait_until not_alive "$victim"
	# Replaced, and silent: it had no connection.
	wait_until idle "$LISTENER"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:hello eof
	stop_listener
	run grep -c "legacy main ran" "$T/prog.err"
	assert_output 1
	run grep -c "inetd: pid\|inetd: end pid" "$T/prog.err"
	assert_output 2
	run grep -c "pid $victim " "$T/prog.err"
	assert_output 0
}

@test "MAX_PER_PEER is exact with a pool: with 2 copies running for 127.0.0.1, two more clients are refused with one line each, while copies wait" {
	CLIENTS=()
	start_inetd SOCKREDIR_PREFORK=4 SOCKREDIR_MAX_PER_PEER=2 -- "$LEGACY" hold
	local i
	for i in 1 2; do
		"$PEER" -t 20 connect 127.0.0.1 "$PORT" expect:first "touch:$T/ready.$i" \
			"gate:$T/go" send:x 'expect:second [x]' eof >"$T/peer.$i.out" 2>"$T/peer.$i.err" &
		CLIENTS+=($!)
		wait_until [ -e "$T/ready.$i" ]
	done
	for i in 3 4; do
		"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'print:{localport}' eof >>"$T/refused" 2>&1 ||
			fail "client $i: $(cat "$T/refused")"
	done
	assert_equal "$(copies_of "$LISTENER")" 2
	wait_until count_is 6 children_of "$LISTENER"	# 2 serving, 4 waiting
	touch "$T/go"
	for pid in "${CLIENTS[@]}"; do
		wait "$pid" || fail "a held client failed"
	done
	stop_listener
	mapfile -t ports <"$T/refused"
	run grep "^sockredir:" "$T/prog.err"
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 "sockredir: inetd: refused connection from 127.0.0.1 port ${ports[0]} (SOCKREDIR_MAX_PER_PEER=2 copies already running for this address)"
	assert_line --index 1 "sockredir: inetd: refused connection from 127.0.0.1 port ${ports[1]} (SOCKREDIR_MAX_PER_PEER=2 copies already running for this address)"
}

@test "MAX counts waiting copies: PREFORK=MAX=2 keeps two children, and no more than two while both serve" {
	start_inetd SOCKREDIR_MAX=2 SOCKREDIR_PREFORK=2 -- "$LEGACY" hold
	wait_until idle "$LISTENER"
	assert_equal "$(children_of "$LISTENER")" 2
	local i pids=()
	for i in 1 2; do
		"$PEER" -t 20 connect 127.0.0.1 "$PORT" expect:first "touch:$T/ready.$i" \
			"gate:$T/go" send:x 'expect:second [x]' eof &
		pids+=($!)
		wait_until [ -e "$T/ready.$i" ]
	done
	assert_equal "$(children_of "$LISTENER")" 2
	assert_equal "$(copies_of "$LISTENER")" 2
	touch "$T/go"
	for pid in "${pids[@]}"; do
		wait "$pid" || fail "a held client failed"
	done
	wait_until idle "$LISTENER"
	stop_listener
}

@test "bad PREFORK values are EX_USAGE before any lookup: not a number, above MAX; ignored outside inetd mode" {
	for value in -1 x 1.5 41 65536 0x2; do
		run env SOCKREDIR_MODE=inetd SOCKREDIR_HOST=no.such.host.invalid \
			SOCKREDIR_PREFORK="$value" LD_PRELOAD="$SHIM" "$LEGACY" hello
		assert_refused 64 "SOCKREDIR_PREFORK=\"$value\""
	done
	run env SOCKREDIR_MODE=inetd SOCKREDIR_HOST=no.such.host.invalid SOCKREDIR_MAX=2 \
		SOCKREDIR_PREFORK=3 LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_PREFORK="3": not a number of waiting copies from 0 to SOCKREDIR_MAX (2)'
	client_ignores SOCKREDIR_PREFORK=junk
}

@test "a copy of the pool holds the same descriptors as a forked one: none of the listener's (listening socket, other copies' channels)" {
	start_inetd SOCKREDIR_PREFORK=0 -- "$LEGACY" fds
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" dump >"$T/forked"
	stop_listener
	start_inetd SOCKREDIR_PREFORK=4 -- "$LEGACY" fds
	wait_until idle "$LISTENER"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" dump >"$T/pooled"
	stop_listener
	run cat "$T/pooled"
	assert_output "$(cat "$T/forked")"
	assert_output --regexp '^fds: 0 1 2 '
}
