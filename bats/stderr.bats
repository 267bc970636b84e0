#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# SOCKREDIR_STDERR: keep (the default: fd 2 stays the program's) or
# connection (fd 2 is the connection too, wherever fd 1 is, line buffered,
# in the order the program wrote it), and the shim's own diagnostics never
# in the connection.

load service	# helper.bash, start_inetd, stop_listener, require_tool, wait_listening

# What legacy interleave writes, in the order it writes it (no newline at the end).
interleaved() {
	printf 'out1 err1 out2\nerr2 out3 err3\nout4\nerr4\no5 err5\n'
	printf 'out6 err6: No such file or directory\nerr7 out7\nout8 legacy: err8\n'
	for i in $(seq 0 99); do
		printf 'out line %d\nerr line %d\n' "$i" "$i"
	done
	printf last
}

assert_interleaved() {
	interleaved >"$T/expected"
	diff "$T/expected" "$1" || fail "not the order the program wrote (diff above)"
}

@test "STDERR=connection: python3 -i in server mode, the prompt >>> and a traceback arrive" {
	start_server 127.0.0.1 SOCKREDIR_STDERR=connection -- "$PYTHON" -i
	# The prompt has no newline: it is awaited as bytes, before any input is sent.
	connect_peer 127.0.0.1 "$PORT" 'await:>>> ' send:6*7 expect:42 'await:>>> ' send:1/0 \
		shut raw
	wait_both
	run cat "$T/peer.out"
	assert_line --index 0 "Traceback (most recent call last):"
	assert_line "ZeroDivisionError: division by zero"
	assert_file_equals "$T/prog.err" ""
}

@test "STDERR=keep, and unset: python3 -i's prompt and traceback stay on the program's stderr" {
	for setting in SOCKREDIR_STDERR=keep SOCKREDIR_STDERR= SOCKREDIR_DEBUG=0; do
		start_server 127.0.0.1 "$setting" -- "$PYTHON" -i
		connect_peer 127.0.0.1 "$PORT" send:6*7 send:1/0 send:7*6 shut dump
		wait_both
		assert_file_equals "$T/peer.out" "42
42"
		run cat "$T/prog.err"
		assert_output --partial ">>> "
		assert_output --partial "ZeroDivisionError: division by zero"
	done
}

@test "STDERR=connection: sh -i in server mode, its prompt arrives, and its commands' errors" {
	start_server 127.0.0.1 SOCKREDIR_STDERR=connection PS1='sh> ' -- sh -i
	# At the end of its input an interactive dash ends the line its prompt began.
	connect_peer 127.0.0.1 "$PORT" 'await:sh> ' 'send:echo hi; ls /nonexistent-sockredir' \
		expect:hi 'expect:ls: cannot access '\''/nonexistent-sockredir'\'': No such file or directory' \
		'await:sh> ' 'send:echo bye' expect:bye 'await:sh> ' shut expect: eof
	wait_peer
	wait_prog
	assert_equal "$PEER_STATUS" 0
	assert_file_equals "$T/prog.err" ""
}

@test "STDERR=connection: printf and fprintf(stderr) with no flush calls arrive in the order written, under line, full, auto and none" {
	for buffer in line full auto none; do
		start_peer 127.0.0.1 raw
		start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
			SOCKREDIR_STDERR=connection SOCKREDIR_BUFFER=$buffer -- "$LEGACY" interleave
		wait_both
		assert_interleaved "$T/peer.out"
		assert_file_equals "$T/prog.err" ""
	done
}

@test "STDERR=connection: a stderr line leaves when it ends, before the program waits, under every buffering; a prompt with no newline at auto's flush or before the next output" {
	for buffer in line full none; do
		start_server 127.0.0.1 SOCKREDIR_STDERR=connection SOCKREDIR_BUFFER=$buffer -- \
			"$LEGACY" ask
		connect_peer 127.0.0.1 "$PORT" expect:asking send:bob 'expect:name? hello bob' eof
		wait_both
	done
	start_server 127.0.0.1 SOCKREDIR_STDERR=connection SOCKREDIR_BUFFER=auto -- "$LEGACY" ask
	connect_peer 127.0.0.1 "$PORT" expect:asking 'await:name? ' send:bob 'expect:hello bob' eof
	wait_both
}

@test "STDERR=connection: the order is kept in a server, an inetd copy and a shell's child (BUFFER=full)" {
	start_server 127.0.0.1 SOCKREDIR_STDERR=connection SOCKREDIR_BUFFER=full -- "$LEGACY" interleave
	connect_peer 127.0.0.1 "$PORT" raw
	wait_both
	assert_interleaved "$T/peer.out"
	start_inetd SOCKREDIR_STDERR=connection SOCKREDIR_BUFFER=full -- "$LEGACY" interleave
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" raw >"$T/copy.out"
	stop_listener
	assert_interleaved "$T/copy.out"
	# The child inherits the connection on fds 1 and 2: its own shim keeps the order.
	start_peer 127.0.0.1 raw
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_STDERR=connection SOCKREDIR_BUFFER=full -- sh -c "\"$LEGACY\" interleave; true"
	wait_both
	assert_interleaved "$T/peer.out"
}

@test "STDERR=connection: a child whose stderr went elsewhere writes it there, its stdout still to the peer" {
	start_peer 127.0.0.1 dump
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_STDERR=connection SOCKREDIR_BUFFER=full -- \
		sh -c "echo from sh >&2; \"$LEGACY\" hello 2>\"$T/child.err\""
	wait_both
	assert_file_equals "$T/peer.out" "from sh
hello"
	assert_file_equals "$T/child.err" "legacy main ran"
}

@test "STDERR=connection: fd 2 is the connection in out, client, server and an inetd copy" {
	start_peer 127.0.0.1 'expect:fds: 0 1 2:conn 100:cloexec:conn' \
		'expect:fds: 0 1 2:conn 100:cloexec:conn' eof
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_STDERR=connection -- "$LEGACY" fds
	wait_both
	start_peer 127.0.0.1 'expect:fds: 0 1 2:conn 100:cloexec:conn' \
		'expect:fds: 0 1 2:conn 100:cloexec:conn' eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_STDERR=connection -- "$LEGACY" fds
	wait_both
	start_server 127.0.0.1 SOCKREDIR_STDERR=connection -- "$LEGACY" fds
	connect_peer 127.0.0.1 "$PORT" 'expect:fds: 0 1 2:conn 100:cloexec:conn' \
		'expect:fds: 0 1 2:conn 100:cloexec:conn' eof
	wait_both
	start_inetd SOCKREDIR_STDERR=connection -- "$LEGACY" fds
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'expect:fds: 0 1 2:conn 100:cloexec:conn' \
		'expect:fds: 0 1 2:conn 100:cloexec:conn' eof
	stop_listener
	assert_file_equals "$T/prog.err" ""
}

@test "STDERR=connection: attach (tcpserver) puts fd 2 on the connection too" {
	start_tcpserver SOCKREDIR_STDERR=connection -- "$LEGACY" interleave
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" raw >"$T/copy.out"
	kill -TERM "$PROG_PID"
	wait_prog
	assert_interleaved "$T/copy.out"
}

@test "STDERR=connection is ignored in in mode (and not validated): fd 2 stays the program's" {
	for value in connection bogus; do
		start_peer 127.0.0.1 eof
		start_shimmed SOCKREDIR_MODE=in SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
			SOCKREDIR_STDERR=$value -- "$LEGACY" fds
		wait_both
		assert_file_equals "$T/prog.err" "fds: 0 1 2 100:cloexec:conn"
	done
}

@test "STDERR: a bad value is 64 with one line on the program's stderr quoting it; empty is keep" {
	for value in Connection conn 1 'keep '; do
		run env SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT=1 \
			SOCKREDIR_STDERR="$value" LD_PRELOAD="$SHIM" "$LEGACY" hello
		assert_refused 64 "SOCKREDIR_STDERR=\"$value\""
	done
	start_peer 127.0.0.1 expect:hello eof
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_STDERR= -- "$LEGACY" hello
	wait_both
	assert_file_equals "$T/prog.err" "legacy main ran"
}

@test "STDERR=connection: a failure after the connection, before main (a bad PROXY header), is reported on the original stderr, not into the connection" {
	start_server 127.0.0.1 SOCKREDIR_STDERR=connection SOCKREDIR_PROXY=1 -- "$LEGACY" hello
	connect_peer 127.0.0.1 "$PORT" 'sendraw:NOT A PROXY HEADER\r\n' eof
	wait_peer
	wait_prog
	assert_equal "$PEER_STATUS" 0
	assert_equal "$PROG_STATUS" 69
	run cat "$T/prog.err"
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp '^sockredir: .*127\.0\.0\.1'
}

@test "STDERR=connection, DEBUG=1: the connection's line goes to the original stderr, the program's stderr to the peer" {
	start_peer 127.0.0.1 dump
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_STDERR=connection SOCKREDIR_DEBUG=1 -- "$LEGACY" hello
	wait_both
	assert_file_equals "$T/peer.out" "legacy main ran
hello"
	run cat "$T/prog.err"
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp "^sockredir: client: connected to 127\.0\.0\.1 port $PORT, "
	start_server 127.0.0.1 SOCKREDIR_STDERR=connection SOCKREDIR_DEBUG=1 -- "$LEGACY" hello
	connect_peer 127.0.0.1 "$PORT" 'expect:legacy main ran' expect:hello eof
	wait_both
	run cat "$T/prog.err"
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp "^sockredir: server: accepted "
	start_inetd SOCKREDIR_STDERR=connection SOCKREDIR_DEBUG=1 -- "$LEGACY" hello
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'expect:legacy main ran' expect:hello eof
	stop_listener
	run cat "$T/prog.err"
	assert_line --index 0 --regexp "^sockredir: inetd: listening on "
	assert_line --index 1 --regexp "^sockredir: inetd: pid [0-9]+ from 127\.0\.0\.1 "
	refute_output --partial "legacy main ran"
}

@test "STDERR=connection: TCP_NODELAY set unless BUFFER=full, as without it" {
	for buffer in line auto none full; do
		local expected=1
		[[ $buffer == full ]] && expected=0
		start_peer 127.0.0.1 "expect:nodelay $expected" eof
		start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
			SOCKREDIR_STDERR=connection SOCKREDIR_BUFFER=$buffer -- "$LEGACY" nodelay
		wait_both
	done
}

@test "STDERR=connection: fds 0 and 1 closed, fd 2 still the connection: no reset, EOF at exit" {
	# The peer's 2000 lines are never read: without the drain the kernel
	# would reset the connection; the peer reads EOF only once the program ends.
	start_peer 127.0.0.1 expect:closing expect:closed sendlines:2000 "touch:$T/gate" eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_STDERR=connection -- "$LEGACY" closed "$T/gate"
	wait_both
}

@test "STDERR=connection: an exec with the connection on fd 2 alone keeps the conversation, and _exit ends it cleanly" {
	start_peer 127.0.0.1 sendlines:2000 expect:first expect:second eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_STDERR=connection -- \
		sh -c 'echo first >&2; exec 0<&- 1>&-; exec sh -c "echo second >&2"'
	wait_both
}

@test "STDERR=connection with fd 2 closed at start: fd 2 becomes the connection" {
	start_peer 127.0.0.1 'expect:fds: 0 1 2:conn 100:cloexec:conn' \
		'expect:fds: 0 1 2:conn 100:cloexec:conn' eof
	CLOSE_FDS=2 start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" SOCKREDIR_STDERR=connection -- "$LEGACY" fds
	wait_both
	CLOSE_FDS=2 start_server 127.0.0.1 SOCKREDIR_STDERR=connection -- "$LEGACY" fds
	connect_peer 127.0.0.1 "$PORT" 'expect:fds: 0 1 2:conn 100:cloexec:conn' \
		'expect:fds: 0 1 2:conn 100:cloexec:conn' eof
	wait_both
}
