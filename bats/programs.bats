#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# Unmodified programs converse line by line: the shim's buffering, not theirs.

load helper

@test "line buffering: the peer gets the first line while the program still runs, blocked on input" {
	# Fully buffered, "first" would sit in the program's buffer while it
	# waits for "go": the seed's deadlock, caught by the peer's time limit.
	PEER_TIMEOUT=20 start_peer 127.0.0.1 expect:first send:go 'expect:second [go]' eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" hold
	wait_both
}

@test "BUFFER=full holds output back until exit, as a pipe would" {
	PEER_TIMEOUT=1 start_peer 127.0.0.1 expect:first
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_BUFFER=full -- "$LEGACY" hold
	wait_peer
	wait_prog
	assert_equal "$PEER_STATUS" 1
	run cat "$T/peer.err"
	assert_output --partial "timed out"
}

@test "BUFFER=none delivers each write at once" {
	PEER_TIMEOUT=20 start_peer 127.0.0.1 expect:first send:go 'expect:second [go]' eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_BUFFER=none -- "$LEGACY" hold
	wait_both
}

@test "BUFFER=none sends a partial line at once: it has left when the program dies, unlike with line" {
	# Perl with PERLIO=:stdio writes through C stdio's stdout (runtimes.bats).
	command -v perl >/dev/null || skip "perl not installed"
	local buffer
	for buffer in none line; do
		start_peer 127.0.0.1 sink
		start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
			SOCKREDIR_BUFFER=$buffer PERLIO=:stdio -- perl -e 'print "part"; kill "KILL", $$'
		wait_peer
		wait_prog
		assert_equal "$PROG_STATUS" $((128 + 9))
		cp "$T/peer.out" "$T/peer.$buffer"
	done
	assert_file_equals "$T/peer.none" "$(printf part | "$PEER" checksum)"
	assert_file_equals "$T/peer.line" "$("$PEER" checksum </dev/null)"
}

@test "GNU sed without -u answers line by line" {
	PEER_TIMEOUT=20 start_peer 127.0.0.1 send:alpha 'expect:sed: alpha' \
		send:beta 'expect:sed: beta' shut eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- sed -e 's/^/sed: /'
	wait_both
}

@test "cat echoes a dialog back" {
	PEER_TIMEOUT=20 start_peer 127.0.0.1 send:one expect:one send:two expect:two shut eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- cat
	wait_both
}

@test "a Python script converses without -u and without PYTHONUNBUFFERED in its environment" {
	PEER_TIMEOUT=20 start_peer 127.0.0.1 send:alpha 'expect:py: alpha' \
		send:beta 'expect:py: beta' shut eof
	start_shimmed -u PYTHONUNBUFFERED SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" -- "$PYTHON" "$ROOT/test/echo.py"
	wait_both
}

@test "the same Python script deadlocks without the shim's PYTHONUNBUFFERED (BUFFER=full)" {
	PEER_TIMEOUT=1 start_peer 127.0.0.1 send:alpha 'expect:py: alpha'
	start_shimmed -u PYTHONUNBUFFERED SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" SOCKREDIR_BUFFER=full -- "$PYTHON" "$ROOT/test/echo.py"
	wait_peer
	wait_prog
	assert_equal "$PEER_STATUS" 1
	run cat "$T/peer.err"
	assert_output --partial "timed out"
}

@test "PYTHONUNBUFFERED: set to 1 when unset or empty, a user's own value kept" {
	local script='import os; print(os.environ.get("PYTHONUNBUFFERED"))'
	for given in unset "" 0; do
		start_peer 127.0.0.1 dump
		if [[ $given == unset ]]; then
			start_shimmed -u PYTHONUNBUFFERED SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 \
				SOCKREDIR_PORT="$PORT" -- "$PYTHON" -c "$script"
		else
			start_shimmed PYTHONUNBUFFERED="$given" SOCKREDIR_MODE=out \
				SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" -- "$PYTHON" -c "$script"
		fi
		wait_both
		case $given in
		0) assert_file_equals "$T/peer.out" "0" ;;
		*) assert_file_equals "$T/peer.out" "1" ;;
		esac
	done
}

@test "two reply lines a request: 200 round trips without a delayed-ACK stall" {
	# Without TCP_NODELAY each turn waits ~40 ms for the peer's delayed ACK
	# (Linux's shortest), 8 s in all however idle the machine; with it, a few
	# ms.  The bound, 30 ms a turn on average, is for a loaded machine.
	start_peer 127.0.0.1 turns:200:2 shut eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" reply2
	wait_both
	run cat "$T/peer.out"
	assert_output --regexp '^turns 200 ms [0-9]+\.[0-9]+$'
	local ms=${output##* }
	ms=${ms%.*}
	(( ms < 6000 )) || fail "200 round trips took $ms ms: Nagle is on"
}

@test "TCP_NODELAY is set unless BUFFER=full" {
	for buffer in line none full; do
		start_peer 127.0.0.1 eof
		start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
			SOCKREDIR_BUFFER=$buffer -- "$LEGACY" nodelay
		wait_both
		if [[ $buffer == full ]]; then
			assert_file_equals "$T/prog.err" "nodelay 0"
		else
			assert_file_equals "$T/prog.err" "nodelay 1"
		fi
	done
}
