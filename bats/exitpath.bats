#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# Exit without loss with everyday programs: however they end (return, exit,
# _exit) and whatever they did with fds 0 and 1 first (coreutils close both
# in their own exit handler; dd and Tcl close them; dash ends with _exit),
# the peer gets every byte and a clean EOF, never a reset, although the
# program leaves megabytes of input unread and the peer reads slowly.

load helper

FLOOD=4194304	# bytes of input sent to the program, most of them never read

setup_file() {
	seq 1 400000 | sed 's/$/ a line of text the program copies out/' \
		>"$BATS_FILE_TMPDIR/text"	# about 18 MB
}

# expected COMMAND...: what the peer must receive, as "received N fnv H".
expected() {
	"$@" | "$PEER" checksum
}

# converse MODE PROGRAM ARG...: the program in MODE against a peer that sends
# it FLOOD bytes while reading what it writes slowly, to EOF.  The peer
# fails on a reset; both must exit 0.  peer.out holds what it received.
converse() {
	local mode=$1
	shift
	case $mode in
	client | out)
		start_peer 127.0.0.1 "slowflood:$FLOOD"
		start_shimmed SOCKREDIR_MODE="$mode" SOCKREDIR_HOST=127.0.0.1 \
			SOCKREDIR_PORT="$PORT" -- "$@"
		wait_both
		;;
	server)
		start_server 127.0.0.1 -- "$@"
		connect_peer 127.0.0.1 "$PORT" "slowflood:$FLOOD"
		wait_both
		;;
	inetd)
		PORT=$(free_port)
		start_shimmed SOCKREDIR_MODE=inetd SOCKREDIR_HOST=127.0.0.1 \
			SOCKREDIR_PORT="$PORT" -- "$@"
		connect_peer 127.0.0.1 "$PORT" "slowflood:$FLOOD"
		wait_peer
		kill -TERM "$PROG_PID"
		wait_prog
		[[ $PEER_STATUS -eq 0 ]] || fail "peer exited $PEER_STATUS"
		[[ $PROG_STATUS -eq 0 ]] || fail "listener exited $PROG_STATUS"
		;;
	esac
}

@test "head -c 2 MiB (client; closes fds 0 and 1 in its exit handler): every byte, no reset, 10 times" {
	local want
	want=$(expected sh -c "'$PEER' pattern $FLOOD | head -c 2097152")
	for _ in $(seq 10); do
		converse client head -c 2097152
		assert_file_equals "$T/peer.out" "$want"
	done
}

@test "head -c 2 MiB of /dev/zero (out): every byte, no reset" {
	converse out head -c 2097152 /dev/zero
	assert_file_equals "$T/peer.out" "$(expected head -c 2097152 /dev/zero)"
}

@test "head -n 50000 (client and server): every byte, no reset" {
	local want
	want=$(expected sh -c "'$PEER' pattern $FLOOD | head -n 50000")
	converse client head -n 50000
	assert_file_equals "$T/peer.out" "$want"
	converse server head -n 50000
	assert_file_equals "$T/peer.out" "$want"
}

@test "dd (client; closes its fds itself): every byte, no reset" {
	# dd asks aligned_alloc for 80 bytes aligned to 4096, which ASan rejects.
	skip_if_sanitized
	local want
	want=$(expected sh -c "'$PEER' pattern $FLOOD | head -c 2000000")
	converse client dd bs=80 count=25000 iflag=fullblock status=none
	assert_file_equals "$T/peer.out" "$want"
}

@test "cat, sed and tr on an 18 MB file (out): every byte, no reset" {
	local text=$BATS_FILE_TMPDIR/text
	converse out cat "$text"
	assert_file_equals "$T/peer.out" "$(expected cat "$text")"
	converse out sed -n p "$text"
	assert_file_equals "$T/peer.out" "$(expected cat "$text")"
	PROG_STDIN=$text converse out tr a-z A-Z
	assert_file_equals "$T/peer.out" "$(expected tr a-z A-Z <"$text")"
}

@test "dash ending with _exit after its command (inetd, client): every byte, no reset" {
	local text=$BATS_FILE_TMPDIR/text want
	want=$(expected cat "$text")
	converse inetd sh -c "cat '$text'; true"
	assert_file_equals "$T/peer.out" "$want"
	converse client sh -c "cat '$text'; true"
	assert_file_equals "$T/peer.out" "$want"
}

@test "tclsh (client; stdout on a socket writes CRLF): every byte, no reset" {
	command -v tclsh >/dev/null || skip "tclsh is not installed (Debian package tcl)"
	printf '%s\n' 'for {set i 0} {$i < 100000} {incr i} {' \
		'    puts "tcl line $i of a loop that writes some megabytes"' '}' >"$T/loop.tcl"
	converse client tclsh "$T/loop.tcl"
	assert_file_equals "$T/peer.out" "$(expected sh -c "tclsh '$T/loop.tcl' | sed 's/\$/\r/'")"
}

@test "a C program that fcloses stdin and stdout before returning (client, server): every byte" {
	for mode in client server; do
		converse "$mode" "$LEGACY" fclose 8388608
		run cat "$T/prog.err"
		assert_output --regexp '^sent 8388608 fnv [0-9a-f]{16}$'
		assert_file_equals "$T/peer.out" "received 8388608 fnv ${output##* }"
	done
}

@test "a program that closes every descriptor above 2 (close, dup2, closefrom, close_range) still ends without loss" {
	converse client "$LEGACY" closeall 8388608
	run cat "$T/prog.err"
	assert_output --regexp '^sent 8388608 fnv [0-9a-f]{16}$'
	assert_file_equals "$T/peer.out" "received 8388608 fnv ${output##* }"
}

@test "_exit from C ends the conversation: the line sent, the unread input drained, no reset" {
	local want
	want=$(expected sh -c "'$PEER' pattern 64 | sed 's/^/read /'")
	for _ in $(seq 5); do
		converse client "$LEGACY" read_exit
		assert_file_equals "$T/peer.out" "$want"
	done
}

@test "the connector closes fds 0 and 1 and execs a program: the conversation ends first, no reset" {
	local text=$BATS_FILE_TMPDIR/text
	converse client sh -c "cat '$text'; exec </dev/null >/dev/null; exec '$LEGACY' hello"
	assert_file_equals "$T/peer.out" "$(expected cat "$text")"
	assert_file_equals "$T/prog.err" "legacy main ran"
}

@test "EOF timing: the peer reads EOF when the process ends, not when it closes fds 0 and 1" {
	start_peer 127.0.0.1 expect:closing eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "$LEGACY" closed "$T/gate"
	for _ in $(seq 200); do
		grep -q closed "$T/prog.err" && break
		sleep 0.05
	done
	assert_file_equals "$T/prog.err" "closed"
	# fds 0 and 1 are closed; the exit descriptor still holds the connection,
	# so the peer's end has not received a FIN (it would be CLOSE-WAIT).
	run ss -Htn state close-wait "( sport = :$PORT )"
	assert_output ""
	run ss -Htn state established "( sport = :$PORT )"
	assert_output --partial "127.0.0.1:$PORT"
	touch "$T/gate"
	wait_both
}
