#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# Every row of the Errors table: one line "sockredir: ...", the sysexits code,
# and main never runs.

load helper

shim_run() {
	run timeout 20 env "$@" LD_PRELOAD="$SHIM" "$LEGACY" hello
}

@test "an unknown mode is EX_USAGE (64) and quotes the value" {
	shim_run SOCKREDIR_MODE=sideways
	assert_refused 64 'SOCKREDIR_MODE="sideways"'
}

@test "mode names are lower case: CLIENT is EX_USAGE" {
	shim_run SOCKREDIR_MODE=CLIENT
	assert_refused 64 'SOCKREDIR_MODE="CLIENT"'
}

@test "bad ports are EX_USAGE: 0, 65536, -1, abc, 1e3, 25 digits, unknown service" {
	for port in 0 65536 -1 abc 1e3 1234567890123456789012345 no-such-service; do
		shim_run SOCKREDIR_MODE=client SOCKREDIR_PORT="$port"
		assert_refused 64 "SOCKREDIR_PORT=\"$port\""
	done
}

@test "a bad BUFFER is EX_USAGE" {
	shim_run SOCKREDIR_MODE=out SOCKREDIR_BUFFER=weird
	assert_refused 64 'SOCKREDIR_BUFFER="weird"'
}

@test "bad LINGER and TIMEOUT values are EX_USAGE" {
	for value in 1.5s .5 5. -1 inf 86401 0x10; do
		shim_run SOCKREDIR_MODE=client SOCKREDIR_LINGER="$value"
		assert_refused 64 "SOCKREDIR_LINGER=\"$value\""
		shim_run SOCKREDIR_MODE=client SOCKREDIR_TIMEOUT="$value"
		assert_refused 64 "SOCKREDIR_TIMEOUT=\"$value\""
	done
}

@test "a bad DEBUG is EX_USAGE" {
	shim_run SOCKREDIR_MODE=client SOCKREDIR_DEBUG=yes
	assert_refused 64 'SOCKREDIR_DEBUG="yes"'
}

@test "a value with a newline still makes exactly one error line" {
	shim_run SOCKREDIR_MODE=client SOCKREDIR_PORT=$'80\n80'
	assert_refused 64 'SOCKREDIR_PORT="80\x0a80"'
}

@test "a host that does not resolve is EX_NOHOST (68)" {
	shim_run SOCKREDIR_MODE=client SOCKREDIR_HOST=no-such-host.invalid
	assert_refused 68 'no-such-host.invalid'
}

@test "a refused connection is EX_UNAVAILABLE (69)" {
	local port
	port=$(free_port)
	shim_run SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port"
	assert_refused 69 "connect to 127.0.0.1 port $port: Connection refused"
}

@test "a server whose port is in use is EX_UNAVAILABLE (69)" {
	start_peer 127.0.0.1 eof
	shim_run SOCKREDIR_MODE=server SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT"
	# (the reason as the libc's strerror words it: glibc and musl differ)
	assert_refused 69 "listen on 127.0.0.1 port $PORT: Address"
	assert_line --index 0 --regexp ': Address (already )?in use$'
}

@test "a server that nobody calls within TIMEOUT is EX_UNAVAILABLE (69)" {
	local port
	port=$(free_port)
	local started=${EPOCHREALTIME/[.,]/} elapsed_ms
	shim_run SOCKREDIR_MODE=server SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port" \
		SOCKREDIR_TIMEOUT=1
	elapsed_ms=$(((${EPOCHREALTIME/[.,]/} - started) / 1000))
	assert_refused 69 "no connection to 127.0.0.1 port $port within 1.000 seconds"
	# Not before the timeout, and not long after it (five times too late is
	# 5 s): the bound leaves a loaded machine 3 s to start the program.
	((elapsed_ms >= 1000 && elapsed_ms < 4000)) ||
		fail "gave up after $elapsed_ms ms with SOCKREDIR_TIMEOUT=1"
}

@test "values are validated before any lookup: bad LINGER with an unresolvable host is 64" {
	shim_run SOCKREDIR_MODE=client SOCKREDIR_HOST=no-such-host.invalid SOCKREDIR_LINGER=x
	assert_refused 64 'SOCKREDIR_LINGER="x"'
}

@test "values are validated before connecting: bad BUFFER with nobody listening is 64" {
	local port
	port=$(free_port)
	shim_run SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port" \
		SOCKREDIR_BUFFER=lines
	assert_refused 64 'SOCKREDIR_BUFFER="lines"'
}

@test "inactive when MODE is unset or empty: stdio untouched, other variables ignored" {
	run env -u SOCKREDIR_MODE SOCKREDIR_PORT=junk LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_success
	assert_output "legacy main ran
hello"
	run env SOCKREDIR_MODE= SOCKREDIR_BUFFER=junk LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_success
	assert_output "legacy main ran
hello"
}

@test "a failing system call is EX_OSERR (71): accept with no descriptor left" {
	# With a limit of 4 descriptors the listener takes the last one, so the
	# accept of the arriving client fails with EMFILE.
	local port
	port=$(free_port)
	(
		ulimit -n 4
		exec env SOCKREDIR_MODE=server SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port" \
			SOCKREDIR_TIMEOUT=10 LD_PRELOAD="$SHIM" "$LEGACY" hello
	) >"$T/prog.out" 2>"$T/prog.err" 3>&- 4>&- &
	PROG_PID=$!
	connect_peer 127.0.0.1 "$port"
	wait_peer
	wait_prog
	run cat "$T/prog.out" "$T/prog.err"
	status=$PROG_STATUS
	assert_refused 71 "accept on 127.0.0.1 port $port: "
	assert_line --index 0 --regexp ': (Too many open files|No file descriptors available)$'
}
