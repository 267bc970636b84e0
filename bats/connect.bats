#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# Connecting and listening beyond plain TCP: retry with a timeout, and
# Unix-domain sockets with their stale-socket rules.

load helper

@test "TIMEOUT: a client started before its listener retries until it is there" {
	local port
	port=$(free_port)
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port" \
		SOCKREDIR_TIMEOUT=20 -- "$LEGACY" hold
	# Nothing listens for the first half second: a client that tried once
	# would have given up by then.
	sleep 0.5
	local state
	state=$(ps -o stat= -p "$PROG_PID") && [[ $state != Z* ]] ||
		{ cat "$T/prog.err" >&2; fail "the client did not wait for its listener"; }
	PEER_PORT=$port start_peer 127.0.0.1 expect:first send:late 'expect:second [late]' eof
	wait_both
}

@test "TIMEOUT: a client gives up after the timeout with EX_UNAVAILABLE" {
	local port
	port=$(free_port)
	local started=${EPOCHREALTIME/[.,]/} elapsed_ms
	run timeout 20 env SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$port" SOCKREDIR_TIMEOUT=1 LD_PRELOAD="$SHIM" "$LEGACY" hello
	elapsed_ms=$(((${EPOCHREALTIME/[.,]/} - started) / 1000))
	assert_refused 69 "Connection refused"
	# Not before the timeout (one refused try takes a millisecond), and not
	# long after it (five times too late is 5 s): the bound leaves a loaded
	# machine 3 s to start the program under the sanitizer runtime.
	((elapsed_ms >= 1000 && elapsed_ms < 4000)) ||
		fail "gave up after $elapsed_ms ms with SOCKREDIR_TIMEOUT=1"
}

@test "unix: a client converses over a Unix socket, PORT ignored" {
	start_peer "unix:$T/s" expect:first send:u 'expect:second [u]' eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST="unix:$T/s" SOCKREDIR_PORT=junk \
		-- "$LEGACY" hold
	wait_both
}

@test "unix: a client whose path does not exist is EX_UNAVAILABLE" {
	run timeout 20 env SOCKREDIR_MODE=client SOCKREDIR_HOST="unix:$T/none" \
		LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 69 "unix:$T/none: No such file or directory"
}

@test "unix: a server accepts one client and removes its socket file" {
	start_shimmed SOCKREDIR_MODE=server SOCKREDIR_HOST="unix:$T/s" SOCKREDIR_TIMEOUT=10 \
		-- "$LEGACY" 4
	connect_peer "unix:$T/s" 0 send:a recv 'print:{line}' send:b recv 'print:{line}' \
		send:c recv 'print:{line}' eof
	local client=$PROG_PID
	wait_both
	assert_file_equals "$T/peer.out" "client $client got [a]
client $client got [b]
client $client got [c]"
	[[ ! -e $T/s ]]
}

@test "unix: a server replaces a stale socket left by a dead server" {
	"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/s"
	[[ -S $T/s ]]
	start_shimmed SOCKREDIR_MODE=server SOCKREDIR_HOST="unix:$T/s" SOCKREDIR_TIMEOUT=10 \
		-- "$LEGACY" hello
	connect_peer "unix:$T/s" 0 expect:hello eof
	wait_both
}

@test "unix: a server refuses a path someone listens on, and leaves it in place" {
	# The shim tells a live listener from a stale socket by connecting to
	# it: the listener sees one connection that closes at once.
	start_peer "unix:$T/s" eof
	run timeout 20 env SOCKREDIR_MODE=server SOCKREDIR_HOST="unix:$T/s" \
		LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 69 "another server is listening there"
	wait_peer
	assert_equal "$PEER_STATUS" 0
	[[ -S $T/s ]]
}

@test "unix: a server never removes what is not a socket: file, directory, FIFO, symlink" {
	echo precious >"$T/file"
	mkdir "$T/dir"
	mkfifo "$T/fifo"
	"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/stale"
	ln -s "$T/stale" "$T/link"
	# (TIMEOUT: a server that took the path anyway gives up in a second.)
	for path in file dir fifo link; do
		run timeout 20 env SOCKREDIR_MODE=server SOCKREDIR_HOST="unix:$T/$path" \
			SOCKREDIR_TIMEOUT=1 LD_PRELOAD="$SHIM" "$LEGACY" hello
		assert_refused 69 "exists and is not a socket; left untouched"
	done
	assert_file_equals "$T/file" precious
	[[ -d $T/dir && -p $T/fifo && -L $T/link && -S $T/stale ]]
}

@test "TIMEOUT bounds a connect to a host that never answers (SYNs dropped)" {
	# A listener whose backlog is full drops new SYNs: the connect neither
	# succeeds nor is refused.  The port is told through a FIFO when ready.
	mkfifo "$T/ready"
	"$PYTHON" - "$T/ready" <<'PY' &
import select, socket, sys, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(0)
held = []
for _ in range(3):
    client = socket.socket()
    client.setblocking(False)
    client.connect_ex(listener.getsockname())
    held.append(client)
# Ready once the first is connected: the backlog (of one) is full then.
select.select([], [held[0]], [], 10)
if held[0].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
    sys.exit("the first client did not connect")
with open(sys.argv[1], "w") as ready:
    ready.write("%d\n" % listener.getsockname()[1])
time.sleep(30)
PY
	PEER_PID=$!
	local port
	read -r -t 10 port <"$T/ready"
	run timeout 20 env SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port" \
		SOCKREDIR_TIMEOUT=0.5 LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 69 "connect to 127.0.0.1 port $port: Connection timed out"
}
