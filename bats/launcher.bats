#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
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
	run "$LAUNCHER"
	assert_equal "$status" 125
	assert_line --index 0 "sockredir: no program to run"
	cp "$LAUNCHER" "$T/lonely"
	run "$T/lonely" "$LEGACY" hello
	assert_equal "$status" 125
	assert_line --index 0 --partial "sockredir: cannot find libsockredir.so"
	refute_output --partial "legacy main ran"
}

@test "a syntax error prints what is wrong and where to look, as stdbuf does: two lines, 125" {
	local try="Try 'sockredir --help' for more information."
	run "$LAUNCHER" -z "$LEGACY" hello
	assert_equal "$status" 125
	assert_output "sockredir: invalid option -- 'z'
$try"
	run "$LAUNCHER" --no-such-option "$LEGACY" hello
	assert_equal "$status" 125
	assert_output "sockredir: unrecognized option '--no-such-option'
$try"
	run "$LAUNCHER" -m
	assert_equal "$status" 125
	assert_output "sockredir: option requires an argument -- 'm'
$try"
	run "$LAUNCHER" --debug=yes "$LEGACY" hello
	assert_equal "$status" 125
	assert_output "sockredir: option '--debug' doesn't allow an argument
$try"
	run "$LAUNCHER" --mode=out
	assert_equal "$status" 125
	assert_output "sockredir: no program to run
$try"
}

@test "--help lists every mode and every option; --version prints the version" {
	run "$LAUNCHER" --help
	assert_success
	assert_line --index 0 --partial "usage: sockredir [-m MODE]"
	for mode in out in 'client, both' server inetd attach; do
		assert_line --regexp "^        $mode  "
	done
	for option in -m, --mode= -h, --host= -p, --port= -b, --buffer= -t, --timeout= \
		--linger= --debug --max= --max-per-peer= --session-timeout= --allow= --proxy \
		--stderr= --prefork= --library= --help --version; do
		assert_output --partial " $option"
	done
	run "$LAUNCHER" --version
	assert_success
	assert_output --regexp '^sockredir [0-9]+\.[0-9]+\.[0-9]+$'
}

# The variables a launcher sets, seen by a program run without the shim:
# --library names a library that is not the shim (libm).
launcher_environment() {
	local libm
	libm=$(ldconfig -p | awk '/libm\.so\.6/ {print $NF; exit}')
	env -i PATH="$PATH" "$LAUNCHER" --library="$libm" "$@" \
		sh -c 'env | grep "^SOCKREDIR_" | sort'
}

@test "a long option for every variable; values are passed on as given" {
	run launcher_environment --mode=attach --host=::1 --port=echo --buffer=auto \
		--timeout=2.5 --linger=0 --debug --max=7 --max-per-peer=2 \
		--session-timeout=30 --allow=10.0.0.0/8,::1 --proxy --stderr=connection --prefork=4
	assert_success
	assert_output "SOCKREDIR_ALLOW=10.0.0.0/8,::1
SOCKREDIR_BUFFER=auto
SOCKREDIR_DEBUG=1
SOCKREDIR_HOST=::1
SOCKREDIR_LINGER=0
SOCKREDIR_MAX=7
SOCKREDIR_MAX_PER_PEER=2
SOCKREDIR_MODE=attach
SOCKREDIR_PORT=echo
SOCKREDIR_PREFORK=4
SOCKREDIR_PROXY=1
SOCKREDIR_SESSION_TIMEOUT=30
SOCKREDIR_STDERR=connection
SOCKREDIR_TIMEOUT=2.5"
	run launcher_environment -m inetd -h 127.0.0.1 -p 9 -b none -t 1
	assert_output "SOCKREDIR_BUFFER=none
SOCKREDIR_HOST=127.0.0.1
SOCKREDIR_MODE=inetd
SOCKREDIR_PORT=9
SOCKREDIR_TIMEOUT=1"
}

@test "long options drive the shim: --mode=out --host= --port= --debug" {
	start_peer 127.0.0.1 expect:hello eof
	start_program LD_PRELOAD="$FIRST" -- "$LAUNCHER" --mode=out --host=127.0.0.1 \
		--port="$PORT" --debug "$LEGACY" hello
	wait_both
	run cat "$T/prog.err"
	assert_line --partial "sockredir: out: connected to 127.0.0.1 port $PORT"
}

@test "SOCKREDIR_LIBRARY names the library; --library overrides it; a bad one is 125" {
	# The launcher alone, away from the library, finds it through the variable.
	cp "$LAUNCHER" "$T/alone"
	start_peer 127.0.0.1 dump
	start_program SOCKREDIR_LIBRARY="$LIB" LD_PRELOAD="$FIRST" -- "$T/alone" \
		-m out -h 127.0.0.1 -p "$PORT" sh -c 'echo "$LD_PRELOAD"'
	wait_both
	assert_file_equals "$T/peer.out" "${FIRST:+$FIRST:}$LIB"
	run env LD_PRELOAD="$FIRST" SOCKREDIR_LIBRARY=/nonexistent/libsockredir.so "$T/alone" --library="$LIB" \
		-m no-such-mode "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_MODE="no-such-mode"'
	run env SOCKREDIR_LIBRARY=/nonexistent/libsockredir.so "$LAUNCHER" "$LEGACY" hello
	assert_equal "$status" 125
	assert_output "sockredir: cannot use library: /nonexistent/libsockredir.so"
	run "$LAUNCHER" --library="$T/none.so" "$LEGACY" hello
	assert_equal "$status" 125
	assert_output "sockredir: cannot use library: $T/none.so"
}

@test "installed with DESTDIR, the launcher finds the library at LIBDIR's place beside it" {
	make -C "$ROOT" -s install DESTDIR="$T/root" PREFIX=/opt/sr
	start_peer 127.0.0.1 expect:hello eof
	start_program LD_PRELOAD="$FIRST" -- "$T/root/opt/sr/bin/sockredir" -m out -h 127.0.0.1 -p "$PORT" \
		"$LEGACY" hello
	wait_both
	# The issue's case: BINDIR /usr/local/bin, LIBDIR the multiarch directory.
	make -C "$ROOT" -s install DESTDIR="$T/stage" LIBDIR=/usr/lib/x86_64-linux-gnu
	start_peer 127.0.0.1 dump
	start_program LD_PRELOAD="$FIRST" -- "$T/stage/usr/local/bin/sockredir" -m out -h 127.0.0.1 -p "$PORT" \
		sh -c 'echo "$LD_PRELOAD"'
	wait_both
	assert_file_equals "$T/peer.out" "${FIRST:+$FIRST:}$T/stage/usr/lib/x86_64-linux-gnu/libsockredir.so"
	# The build tree's launcher still finds the library beside it.
	run env LD_PRELOAD="$FIRST" "$ROOT/build/sockredir" -m no-such-mode "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_MODE="no-such-mode"'
}

@test "installed, the launcher also finds the library in the LIBDIR it was installed for" {
	make -C "$ROOT" -s install PREFIX="$T/prefix" LDCONFIG=true
	mkdir -p "$T/elsewhere"
	cp "$T/prefix/bin/sockredir" "$T/elsewhere/"
	start_peer 127.0.0.1 dump
	start_program LD_PRELOAD="$FIRST" -- "$T/elsewhere/sockredir" -m out -h 127.0.0.1 -p "$PORT" \
		sh -c 'echo "$LD_PRELOAD"'
	wait_both
	assert_file_equals "$T/peer.out" "${FIRST:+$FIRST:}$T/prefix/lib/libsockredir.so"
	make -C "$ROOT" -s install DESTDIR="$T/root" PREFIX=/opt/sr
	cp "$T/root/opt/sr/bin/sockredir" "$T/elsewhere/"
	run "$T/elsewhere/sockredir" "$LEGACY" hello
	assert_equal "$status" 125
	assert_output --partial "cannot find libsockredir.so (name it with --library or SOCKREDIR_LIBRARY): /opt/sr/lib/libsockredir.so"
}
