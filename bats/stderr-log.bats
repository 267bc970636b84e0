#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The shim's own messages never stop or kill the process that writes them:
# a stderr pipe whose reader has gone is an ignored EPIPE, and one that
# nobody drains drops the message (counted, and said by the next line that
# can be written) instead of blocking.  Above all an inetd listener, which
# an attacker could otherwise stop by making it log.

load service

# A FIFO for fd 2, held open for reading by fd LOG (bats' own) so that the
# program can open it; close LOG to leave the pipe without a reader.  Its
# capacity is 64 KiB whatever the page size, so that about 600 lines fill it.
log_fifo() {
	rm -f "$T/log"
	mkfifo "$T/log"
	exec {LOG}<>"$T/log"
	"$PYTHON" -c 'import fcntl, sys; fcntl.fcntl(int(sys.argv[1]), fcntl.F_SETPIPE_SZ, 65536)' "$LOG"
	PROG_STDERR=$T/log
}

# SIGPIPE_DEFAULT PROGRAM ARG...: runs it with SIGPIPE at its default, so a
# test of SIGPIPE does not depend on what the suite was started with (an
# ignored signal is inherited, and bash cannot undo it).
SIGPIPE_DEFAULT=("$PYTHON" -c 'import os, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])')

# start_inetd_sigpipe_default VAR=VALUE... -- PROGRAM ARG...: start_inetd,
# SIGPIPE at its default (LD_PRELOAD on the program alone, as ever).
start_inetd_sigpipe_default() {
	local vars=()
	while [[ $1 != -- ]]; do vars+=("$1"); shift; done
	shift
	PORT=$(free_port)
	start_program -- "${SIGPIPE_DEFAULT[@]}" env LD_PRELOAD="$SHIM" SOCKREDIR_MODE=inetd \
		SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" "${vars[@]}" "$@"
	LISTENER=$PROG_PID
}

@test "an inetd listener whose stderr pipe lost its reader refuses, serves and stops; copies keep the program's SIGPIPE" {
	log_fifo
	start_inetd_sigpipe_default SOCKREDIR_ALLOW=127.0.0.1 SOCKREDIR_DEBUG=1 -- sed -u 's/^/got:/'
	# The listener has written to the pipe once: its reader goes only then.
	read -r -t 10 -u "$LOG" line
	assert_regex "$line" '^sockredir: inetd: listening on 127\.0\.0\.1 port '
	exec {LOG}<&-
	# Each refusal is a message into the dead pipe: with SIGPIPE, the first kills.
	"$PEER" -t 10 -n 3 -b 127.0.0.2 connect 127.0.0.1 "$PORT" eof
	alive "$LISTENER"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" send:hi expect:got:hi shut eof
	stop_listener

	# A copy's signal dispositions and mask are those the program started with.
	PROG_STDERR= start_program -- "${SIGPIPE_DEFAULT[@]}" grep -E '^Sig(Blk|Ign):' /proc/self/status
	wait_prog
	plain=$(cat "$T/prog.out")
	[[ $plain == *SigIgn* ]]
	log_fifo
	start_inetd_sigpipe_default SOCKREDIR_ALLOW=127.0.0.1 -- grep -E '^Sig(Blk|Ign):' /proc/self/status
	wait_listening "$PORT"
	exec {LOG}<&-
	"$PEER" -t 10 -b 127.0.0.2 connect 127.0.0.1 "$PORT" eof
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" dump >"$T/copy.out"
	assert_file_equals "$T/copy.out" "$plain"
	stop_listener
}

@test "an inetd listener whose stderr is never read: 1,000 refused peers, a client served, SIGTERM honoured, every message written or counted" {
	log_fifo
	start_inetd SOCKREDIR_ALLOW=127.0.0.1 -- sed -u 's/^/got:/'
	wait_listening "$PORT"
	# About 600 refusals fill the pipe (64 KiB); a write would then block.
	"$PEER" -t 60 -n 1000 -b 127.0.0.2 connect 127.0.0.1 "$PORT" eof
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" send:hi expect:got:hi shut eof
	alive "$LISTENER"
	# Read what the pipe holds: every line a refusal of 127.0.0.2.
	written=0
	while read -r -t 1 -u "$LOG" line; do
		[[ $line == "sockredir: inetd: refused connection from 127.0.0.2 port "* ]] ||
			fail "unexpected line: $line"
		written=$((written + 1))
		[[ $written -le 1000 ]] || fail "more lines than refusals"
	done
	[[ $written -gt 0 && $written -lt 1000 ]] || fail "$written of 1000 written: the pipe never filled"
	# The next refusal says how many were dropped: with those written, all 1,000.
	"$PEER" -t 10 -b 127.0.0.2 connect 127.0.0.1 "$PORT" eof
	read -r -t 10 -u "$LOG" line
	assert_equal "$line" "sockredir: $((1000 - written)) earlier messages dropped: stderr could not take them at once"
	read -r -t 10 -u "$LOG" line
	assert_regex "$line" '^sockredir: inetd: refused connection from 127\.0\.0\.2 port [0-9]+ '

	# Full again, and a stop: honoured although no message can be written.
	"$PEER" -t 60 -n 1000 -b 127.0.0.2 connect 127.0.0.1 "$PORT" eof
	kill -TERM "$LISTENER"
	wait_until not_alive "$LISTENER"
	wait_prog
	assert_equal "$PROG_STATUS" 0
	exec {LOG}<&-
}

# DEAD_STDERR PROGRAM ARG...: runs it with fd 2 a pipe whose reader has
# gone before it started, and SIGPIPE at its default (Python's own is ignore).
DEAD_STDERR=("$PYTHON" -c 'import os, signal, sys
r, w = os.pipe()
os.close(r)
os.dup2(w, 2)
os.close(w)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])')

# A FIFO for fd 2 that is full and never read: a blocking write would wait forever.
full_fifo() {
	log_fifo
	"$PYTHON" -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
for size in 4096, 1:	# then the last bytes of a page
    try:
        while True:
            os.write(fd, b"x" * size)
    except BlockingIOError:
        pass' "$T/log"
}

@test "before main, a stderr pipe without a reader is no SIGPIPE: server and attach with DEBUG serve, bad values and refusals keep their codes" {
	PORT=$(free_port)
	start_program -- "${DEAD_STDERR[@]}" env LD_PRELOAD="$SHIM" SOCKREDIR_MODE=server \
		SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" SOCKREDIR_TIMEOUT=10 \
		SOCKREDIR_DEBUG=1 sed -u 's/^/got:/'
	connect_peer 127.0.0.1 "$PORT" send:hi expect:got:hi shut eof
	wait_both

	run "${DEAD_STDERR[@]}" env LD_PRELOAD="$SHIM" SOCKREDIR_MODE=client \
		SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$(free_port)" "$LEGACY" hello
	assert_equal "$status" 69
	run "${DEAD_STDERR[@]}" env LD_PRELOAD="$SHIM" SOCKREDIR_MODE=sideways "$LEGACY" hello
	assert_equal "$status" 64

	require_tool tcpserver ucspi-tcp
	PORT=$(free_port)
	start_program -- "${DEAD_STDERR[@]}" tcpserver -R -H 127.0.0.1 "$PORT" env \
		LD_PRELOAD="$SHIM" SOCKREDIR_MODE=attach SOCKREDIR_DEBUG=1 sed -u 's/^/got:/'
	LISTENER=$PROG_PID
	wait_listening "$PORT"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" send:hi expect:got:hi shut eof
	kill -TERM "$LISTENER"
	wait_prog
}

@test "before main, a full stderr pipe never blocks: server with DEBUG serves, a refused client exits 69 at once" {
	full_fifo
	start_server 127.0.0.1 SOCKREDIR_DEBUG=1 -- sed -u 's/^/got:/'
	connect_peer 127.0.0.1 "$PORT" send:hi expect:got:hi shut eof
	wait_both
	status=0
	timeout 30 env LD_PRELOAD="$SHIM" SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$(free_port)" "$LEGACY" hello >"$T/client.out" 2>"$T/log" || status=$?
	assert_equal "$status" 69
	assert_file_equals "$T/client.out" ""
	exec {LOG}<&-
}
