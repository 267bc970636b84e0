#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The contract's Guarantees: children, exit without loss, IPv6 and loopback,
# descriptors, the environment the children see.

load helper

@test "children never connect again: sh and its commands share one connection" {
	start_peer 127.0.0.1 dump noconn
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- sh -c 'echo one; /bin/echo two; printf "three\n"'
	wait_both
	assert_file_equals "$T/peer.out" "one
two
three"
}

@test "a child gets line buffering while its stdout is still the socket" {
	PEER_TIMEOUT=20 start_peer 127.0.0.1 expect:first send:go 'expect:second [go]' eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- sh -c "\"$LEGACY\" hold; true"
	wait_both
}

@test "exit without loss: 8 MiB written, 1 MiB unread, every byte arrives, 10 times" {
	for i in $(seq 10); do
		start_peer 127.0.0.1 slowflood:1048576
		start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
			-- "$LEGACY" blast 8388608
		wait_both
		run cat "$T/prog.err"
		assert_output --regexp '^sent 8388608 fnv [0-9a-f]{16}$'
		local sent=${output##* }
		assert_file_equals "$T/peer.out" "received 8388608 fnv $sent"
	done
}

@test "exit without loss holds after the connecting process execs another program" {
	start_peer 127.0.0.1 slowflood:1048576
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- sh -c "exec \"$LEGACY\" blast 8388608"
	wait_both
	run cat "$T/prog.err"
	local sent=${output##* }
	assert_file_equals "$T/peer.out" "received 8388608 fnv $sent"
}

@test "LINGER=0 closes at once: input left unread is not drained, the peer sees a reset" {
	# The program never reads what the peer sends after "hello".  The
	# default exit path drains it and the peer reads a clean EOF; LINGER=0
	# closes with the input unread, which the kernel answers with a reset.
	start_peer 127.0.0.1 expect:hello sendlines:2000 eof
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" hello
	wait_both
	start_peer 127.0.0.1 expect:hello sendlines:2000 eof
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_LINGER=0 -- "$LEGACY" hello
	wait_peer
	wait_prog
	assert_equal "$PROG_STATUS" 0
	assert_equal "$PEER_STATUS" 1
	run cat "$T/peer.err"
	assert_output --regexp 'Connection reset by peer|Broken pipe'
}

@test "IPv6: client to ::1 and to [::1]" {
	require_ipv6
	for host in ::1 '[::1]'; do
		start_peer ::1 expect:first send:six 'expect:second [six]' eof
		start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST="$host" SOCKREDIR_PORT="$PORT" \
			-- "$LEGACY" hold
		wait_both
	done
}

@test "IPv6: server on ::1" {
	require_ipv6
	start_server '[::1]' -- "$LEGACY" fds
	connect_peer ::1 "$PORT" 'expect:fds: 0 1 2 100:cloexec:conn' eof
	wait_both
}

@test "no descriptor leaks: a server-mode program holds fds 0, 1, 2 and the exit descriptor (100, close-on-exec, the connection)" {
	start_server 127.0.0.1 -- "$LEGACY" fds
	connect_peer 127.0.0.1 "$PORT" 'expect:fds: 0 1 2 100:cloexec:conn' eof
	wait_both
}

@test "no descriptor leaks: a client-mode program holds fds 0, 1, 2 and the exit descriptor (100, close-on-exec, the connection)" {
	start_peer 127.0.0.1 'expect:fds: 0 1 2 100:cloexec:conn' eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" fds
	wait_both
}

@test "started with fd 0 closed, out mode keeps fd 0 closed" {
	start_peer 127.0.0.1 'expect:fds: 1 2 100:cloexec:conn' eof
	CLOSE_FDS=0 start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" -- "$LEGACY" fds
	wait_both
}

@test "started with fd 1 closed, in mode keeps fd 1 closed" {
	start_peer 127.0.0.1 eof
	CLOSE_FDS=1 start_shimmed SOCKREDIR_MODE=in SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" -- "$LEGACY" fds
	wait_both
	assert_file_equals "$T/prog.err" "fds: 0 2 100:cloexec:conn"
}

@test "started with fds 0 and 1 closed, client mode puts the socket on both" {
	start_peer 127.0.0.1 'expect:fds: 0 1 2 100:cloexec:conn' eof
	CLOSE_FDS="0 1" start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" -- "$LEGACY" fds
	wait_both
}

@test "started with fd 2 closed, client mode leaves it closed and still converses" {
	start_peer 127.0.0.1 'expect:fds: 0 1 100:cloexec:conn' eof
	CLOSE_FDS=2 start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" -- "$LEGACY" fds
	wait_both
}

@test "a relative LD_PRELOAD entry is made absolute for children; other entries kept" {
	local libm
	libm=$(ldconfig -p | awk '/libm\.so\.6 .*x86-64/ {print $NF; exit}')
	[[ -n $libm ]] || libm=$(ldconfig -p | awk '/libm\.so\.6/ {print $NF; exit}')
	# Another library's relative entry, which finds it from / as well as
	# from $ROOT: it is not the shim's, so it stays as it is.
	local uplibm
	uplibm=$(printf '../%.0s' $(seq 40))${libm#/}
	start_peer 127.0.0.1 dump
	(cd "$ROOT" && PRELOAD="${FIRST:+$FIRST:}$libm:$uplibm:${LIB#"$ROOT"/}" start_shimmed \
		SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- sh -c 'cd / && echo "$LD_PRELOAD" && /bin/echo child' && wait_prog \
		&& [[ $PROG_STATUS -eq 0 ]])
	wait_peer
	assert_file_equals "$T/peer.out" "${FIRST:+$FIRST:}$libm:$uplibm:$LIB
child"
}

@test "DEBUG=1 adds one stderr line for the connection, and nothing to stdout" {
	start_peer 127.0.0.1 expect:hello eof
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_DEBUG=1 -- "$LEGACY" hello
	wait_both
	run cat "$T/prog.err"
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp "^sockredir: out: connected to 127\.0\.0\.1 port $PORT, local 127\.0\.0\.1 port [0-9]+, on fd 1$"
	assert_line --index 1 "legacy main ran"
}

@test "the tests cannot pass without the shim: unloaded, the peer gets nothing" {
	# glibc only warns when a preload is missing and runs the program on its
	# own stdio; wait_prog turns that warning into a failure.
	start_peer 127.0.0.1 eof
	PRELOAD=/nonexistent/libsockredir.so start_shimmed SOCKREDIR_MODE=out \
		SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" -- "$LEGACY" hello
	wait "$PROG_PID" || true
	assert_file_equals "$T/prog.out" "hello"
	run wait_prog
	assert_failure
	assert_output --partial "the shim was not loaded"
	kill "$PEER_PID"
}

@test "a stream created as fd 0 or 1 is inherited across exec (close-on-exec cleared)" {
	start_peer 127.0.0.1 'expect:fds: 0 1 2 100:cloexec:conn' eof
	CLOSE_FDS="0 1" start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" -- sh -c "exec \"$LEGACY\" fds"
	wait_both
	start_peer 127.0.0.1 'expect:fds: 0 1 2 100:cloexec:conn' eof
	CLOSE_FDS=1 start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" -- sh -c "exec \"$LEGACY\" fds"
	wait_both
}
