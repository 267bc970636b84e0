#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# Fault injection on loopback: whatever the peer does, the program either
# converses or sees what it would see on a pipe; the shim neither hangs nor
# prints anything of its own, and no byte written is lost while the peer
# still reads.

load helper

@test "peer closes mid-dialog: the program reads EOF, as from an empty pipe" {
	start_peer 127.0.0.1 expect:first
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" hold
	wait_peer
	wait_prog
	# legacy exits 3 when fgets finds EOF; the same as with a closed pipe:
	run "$LEGACY" hold </dev/null
	assert_equal "$PROG_STATUS" "$status"
	assert_equal "$PROG_STATUS" 3
	assert_file_equals "$T/prog.err" ""
}

@test "peer gone: writing gets SIGPIPE, as on a pipe whose reader exited" {
	start_peer 127.0.0.1 shut
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" blast 8388608
	wait_peer
	wait_prog
	local pipe_status
	"$LEGACY" blast 8388608 2>/dev/null | true
	pipe_status=${PIPESTATUS[0]}
	assert_equal "$PROG_STATUS" "$pipe_status"
	assert_equal "$PROG_STATUS" $((128 + 13))
	assert_file_equals "$T/prog.err" ""
}

@test "peer gone, SIGPIPE ignored by the program: writes fail with EPIPE, as on a pipe" {
	start_peer 127.0.0.1 shut
	start_program -- sh -c "trap '' PIPE; exec env SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT=$PORT LD_PRELOAD='$SHIM' '$LEGACY' blast 8388608"
	wait_peer
	wait_prog
	assert_equal "$PROG_STATUS" 0
	run cat "$T/prog.err"
	assert_output --regexp '^sent 8388608 fnv [0-9a-f]{16}$'
}

@test "peer resets the connection (SO_LINGER 0): the program reads EOF, no hang" {
	start_peer 127.0.0.1 expect:first reset
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" hold
	wait_peer
	wait_prog
	assert_equal "$PEER_STATUS" 0
	assert_equal "$PROG_STATUS" 3
	assert_file_equals "$T/prog.err" ""
}

@test "a slow reader gets all of 64 MiB, checksum equal" {
	start_peer 127.0.0.1 slowsink
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" blast 67108864
	wait_both
	run cat "$T/prog.err"
	local sent=${output##* }
	assert_file_equals "$T/peer.out" "received 67108864 fnv $sent"
}

@test "peer sends and half-closes at once; the program answers after EOF; every answer arrives" {
	start_peer 127.0.0.1 sendlines:5000 shut dump
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- tac
	wait_both
	assert_file_equals "$T/peer.out" "$(seq 5000 -1 1 | sed 's/^/line /')"
}

@test "the program exits while the peer is still sending: the exit path ends after LINGER" {
	start_peer 127.0.0.1 spew clock
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_LINGER=0.5 -- "$LEGACY" hello
	wait_both
	assert_file_equals "$T/prog.out" ""
	run cat "$T/peer.out"
	assert_line --index 0 --regexp '^spewed [0-9]+$'
	# This peer never stops sending: the drain ends when LINGER (0.5 s) is
	# over, not before, and well before the default 2 s.  Both bounds are on
	# the connection's life, from the peer's accept to the close that ended
	# its spew: the program's start, however slow on a loaded machine, is
	# not in it.  The peer's clock starts at its accept, a little after the
	# program's connect: 400 ms, not 500 (a drain that ended at once would
	# show a few).
	assert_line --index 1 --regexp '^ms [0-9]+\.[0-9]+$'
	local ms=${lines[1]#ms }
	ms=${ms%.*}
	((ms >= 400 && ms < 1800)) || fail "the connection lived $ms ms with SOCKREDIR_LINGER=0.5"
}

@test "the exit path shuts down the write side: a peer waiting for EOF gets it at once, not after LINGER" {
	start_peer 127.0.0.1 expect:hello eof clock
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_LINGER=5 -- "$LEGACY" hello
	wait_both
	# The peer closes as soon as it reads EOF, which ends the drain; without
	# the shutdown both would wait for the other until LINGER (5 s) is over.
	# From the peer's accept to its EOF, the program's start not counted.
	run cat "$T/peer.out"
	assert_output --regexp '^ms [0-9]+\.[0-9]+$'
	local ms=${output#ms }
	ms=${ms%.*}
	((ms < 3000)) || fail "the peer read EOF $ms ms after the connection began"
}

@test "server mode: a client that connects and leaves at once gives the program EOF" {
	start_server 127.0.0.1 -- "$LEGACY" 4
	connect_peer 127.0.0.1 "$PORT"
	wait_peer
	wait_prog
	assert_equal "$PROG_STATUS" 3
	assert_file_equals "$T/prog.err" ""
}

@test "exit sends what stdout holds before the write side is shut down: a fully buffered line arrives" {
	start_peer 127.0.0.1 dump
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_BUFFER=full -- "$LEGACY" hello
	wait_both
	assert_file_equals "$T/peer.out" "hello"
}

@test "_exit flushes no stdio buffer: a line-buffered line has left, a fully buffered one is lost" {
	start_peer 127.0.0.1 dump
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" _exit
	wait_both
	assert_file_equals "$T/peer.out" "before _exit"
	start_peer 127.0.0.1 dump
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_BUFFER=full -- "$LEGACY" _exit
	wait_both
	assert_file_equals "$T/peer.out" ""
}

@test "death by a signal skips the exit path: what line buffering sent has left, the rest is lost" {
	start_peer 127.0.0.1 dump
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_BUFFER=line -- "$LEGACY" killed
	wait_peer
	wait_prog
	assert_equal "$PROG_STATUS" $((128 + 9))
	assert_file_equals "$T/peer.out" "before the signal"
	start_peer 127.0.0.1 dump
	start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_BUFFER=full -- "$LEGACY" killed
	wait_peer
	wait_prog
	assert_file_equals "$T/peer.out" ""
}

@test "inetd: 200 clients leaving at random points, 50 at a time: the listener survives, counts return" {
	PORT=$(free_port)
	start_shimmed SOCKREDIR_MODE=inetd SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		SOCKREDIR_LINGER=1 -- "$LEGACY" hold
	local listener=$PROG_PID
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:first send:x 'expect:second [x]' eof
	local fds_before
	fds_before=$(ls "/proc/$listener/fd" | wc -l)
	local scripts=(
		""
		"expect:first"
		"reset"
		"expect:first send:x reset"
		"send:x"
		"expect:first send:x expect:second\ [x] eof"
	)
	worker() {
		local w=$1 i script
		RANDOM=$w
		for i in 1 2 3 4; do
			script=${scripts[RANDOM % ${#scripts[@]}]}
			eval "\"$PEER\" -t 10 connect 127.0.0.1 $PORT $script" >/dev/null 2>"$T/w.$w.$i.err" ||
				{ [[ $script == *eof ]] && echo "worker $w round $i: $(cat "$T/w.$w.$i.err")" >>"$T/failures"; }
		done
	}
	local pids=() w
	for w in $(seq 50); do
		worker "$w" &
		pids+=($!)
	done
	for w in "${pids[@]}"; do wait "$w"; done
	[[ ! -s $T/failures ]] || fail "full conversations failed: $(cat "$T/failures")"
	kill -0 "$listener"
	for _ in $(seq 200); do
		[[ $(pgrep -c -P "$listener") -eq 0 ]] && break
		sleep 0.05
	done
	assert_equal "$(pgrep -c -P "$listener")" 0
	assert_equal "$(ls "/proc/$listener/fd" | wc -l)" "$fds_before"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:first send:y 'expect:second [y]' eof
	kill -TERM "$listener"
	wait_prog
	assert_equal "$PROG_STATUS" 0
}
