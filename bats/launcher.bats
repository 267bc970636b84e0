#!/usr/bin/env bats
# The sockredir launcher: options to variables, the library appended to
# LD_PRELOAD, stdbuf's exit codes.

bats_require_minimum_version 1.5.0
load helper

@test "-h and -p pick the peer; the mode defaults to client" {
	start_peer 127.0.0.1 expect:first send:go 'expect:second [go]' eof
	start_program -u SOCKREDIR_MODE LD_PRELOAD="$FIRST" -- "$LAUNCHER" -h 127.0.0.1 -p "$PORT" \
		"$LEGACY" hold
	wait_both
}

@test "an empty SOCKREDIR_MODE counts as not given: client" {
	start_peer 127.0.0.1 expect:first send:go 'expect:second [go]' eof
	start_program SOCKREDIR_MODE= LD_PRELOAD="$FIRST" -- "$LAUNCHER" -h 127.0.0.1 -p "$PORT" "$LEGACY" hold
	wait_both
}

@test "-m sets the mode; a mode already in the environment is kept without -m" {
	start_peer 127.0.0.1 recv 'print:{line}' recv recv eof
	start_program SOCKREDIR_MODE=server LD_PRELOAD="$FIRST" -- "$LAUNCHER" -m out -h 127.0.0.1 -p "$PORT" \
		"$LEGACY" 1
	local client=$PROG_PID
	wait_both
	assert_file_equals "$T/peer.out" "client $client: 0"
	start_peer 127.0.0.1 'send:x' eof
	start_program SOCKREDIR_MODE=in LD_PRELOAD="$FIRST" -- "$LAUNCHER" -h 127.0.0.1 -p "$PORT" \
		sh -c 'read -r line; echo "got $line"'
	wait_both
	assert_file_equals "$T/prog.out" "got x"
}

@test "an option overrides the variable in the environment: -p over SOCKREDIR_PORT" {
	start_peer 127.0.0.1 expect:hello eof
	start_program SOCKREDIR_PORT=1 SOCKREDIR_HOST=example.invalid LD_PRELOAD="$FIRST" -- \
		"$LAUNCHER" -m out \
		-h 127.0.0.1 -p "$PORT" "$LEGACY" hello
	wait_both
}

@test "-b sets the buffering: full leaves Nagle on" {
	start_peer 127.0.0.1 eof
	start_program LD_PRELOAD="$FIRST" -- "$LAUNCHER" -m out -h 127.0.0.1 -p "$PORT" -b full \
		"$LEGACY" nodelay
	wait_both
	assert_file_equals "$T/prog.err" "nodelay 0"
}

@test "-t sets the timeout: a client started before its listener waits for it" {
	local port
	port=$(free_port)
	start_program LD_PRELOAD="$FIRST" -- "$LAUNCHER" -h 127.0.0.1 -p "$port" -t 20 \
		"$LEGACY" hold
	# Nothing listens for the first half second: a client without the
	# timeout would have given up by then.
	sleep 0.5
	local state
	state=$(ps -o stat= -p "$PROG_PID") && [[ $state != Z* ]] ||
		{ cat "$T/prog.err" >&2; fail "the client did not wait for its listener"; }
	PEER_PORT=$port start_peer 127.0.0.1 expect:first send:go 'expect:second [go]' eof
	wait_both
}

@test "-b weird is passed on for the shim to reject with 64" {
	run env LD_PRELOAD="$FIRST" "$LAUNCHER" -b weird -h 127.0.0.1 "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_BUFFER="weird"'
}

@test "an existing LD_PRELOAD is kept, the library appended after it" {
	local libm
	libm=$(ldconfig -p | awk '/libm\.so\.6/ {print $NF; exit}')
	start_peer 127.0.0.1 dump
	start_program LD_PRELOAD="${FIRST:+$FIRST:}$libm" -- "$LAUNCHER" -m out -h 127.0.0.1 \
		-p "$PORT" sh -c 'echo "$LD_PRELOAD"'
	wait_both
	assert_file_equals "$T/peer.out" "${FIRST:+$FIRST:}$libm:$LIB"
}

@test "exit codes: 127 not found, 126 cannot run, 125 for the launcher's own failures" {
	run -127 "$LAUNCHER" /nonexistent/program
	assert_equal "$status" 127
	assert_output --partial "sockredir: cannot run /nonexistent/program"
	run -126 "$LAUNCHER" "$ROOT/README.md"
	assert_equal "$status" 126
	run "$LAUNCHER" -z "$LEGACY" hello
	assert_equal "$status" 125
	assert_line --index 0 "sockredir: unknown option -z"
	run "$LAUNCHER"
	assert_equal "$status" 125
	assert_line --index 0 "sockredir: no program to run"
	run "$LAUNCHER" -m
	assert_equal "$status" 125
	cp "$LAUNCHER" "$T/lonely"
	run "$T/lonely" "$LEGACY" hello
	assert_equal "$status" 125
	assert_line --index 0 --partial "sockredir: cannot find libsockredir.so"
}

@test "--help and -? print the usage and exit 0; --version prints the version" {
	run "$LAUNCHER" --help
	assert_success
	assert_line --index 0 --partial "usage: sockredir [-m MODE]"
	run "$LAUNCHER" '-?'
	assert_success
	assert_line --index 0 --partial "usage: sockredir"
	run "$LAUNCHER" --version
	assert_success
	assert_output --regexp '^sockredir [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "installed, the launcher finds the library in ../lib" {
	make -C "$ROOT" -s install DESTDIR="$T/root" PREFIX=/opt/sr
	start_peer 127.0.0.1 expect:hello eof
	start_program LD_PRELOAD="$FIRST" -- "$T/root/opt/sr/bin/sockredir" -m out -h 127.0.0.1 -p "$PORT" \
		"$LEGACY" hello
	wait_both
}
