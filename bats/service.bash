# SPDX-License-Identifier: BSD-2-Clause
# Shared set-up for the service tests (activation, attach, proxy, limits):
# the helpers of helper.bash plus waits on conditions seen from outside.

load helper

# wait_until COMMAND...: bounded wait (10 s) for a condition seen from outside.
wait_until() {
	for _ in $(seq 200); do
		"$@" && return 0
		sleep 0.05
	done
	fail "timed out waiting for: $*"
}

# count_is N COMMAND...: the command prints N; for wait_until, which runs it
# afresh each time round (a "$(...)" in its arguments would run only once).
count_is() {
	[ "$("${@:2}")" -eq "$1" ] 2>/dev/null
}

children_of() {
	pgrep -c -P "$1" || true
}

# serving_copies PID: the listener's children that hold a connection on fd 1
# (a copy of the pool waiting for one holds the listener's stdout there).
serving_copies() {
	local child
	for child in $(pgrep -P "$1"); do
		[[ $(readlink "/proc/$child/fd/1" 2>/dev/null) == socket:* ]] && echo "$child"
	done
	return 0
}

copies_of() {
	serving_copies "$1" | wc -l
}

# idle PID: every copy that served has been reaped, and the pool (POOL, see
# start_shimmed) is full again.
idle() {
	count_is "${POOL:-0}" children_of "$1"
}

# client_ignores VAR=VALUE...: a client-mode program given these (bad)
# values still converses: a variable that does not apply is not validated.
client_ignores() {
	start_peer 127.0.0.1 expect:hello eof
	start_shimmed SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		"$@" -- "$LEGACY" hello
	wait_both
}

# require_tool COMMAND PACKAGE: skip, saying why, when a tool is missing.
require_tool() {
	command -v "$1" >/dev/null || skip "$1 is not installed (Debian package $2)"
}

# start_inetd VAR=VALUE... -- PROGRAM ARG...: an inetd listener on a free
# loopback port (PORT); LISTENER is its PID.
start_inetd() {
	PORT=$(free_port)
	start_shimmed SOCKREDIR_MODE=inetd SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" "$@"
	LISTENER=$PROG_PID
}

stop_listener() {
	kill -TERM "$LISTENER"
	wait_prog
	assert_equal "$PROG_STATUS" 0
}

# start_tcpserver VAR=VALUE... -- PROGRAM ARG...: ucspi-tcp's tcpserver on a
# free loopback port (PORT), running the program in attach mode for each
# connection; LD_PRELOAD is given to the program alone.
start_tcpserver() {
	require_tool tcpserver ucspi-tcp
	local vars=()
	while [[ $1 != -- ]]; do vars+=("$1"); shift; done
	shift
	PORT=$(free_port)
	start_program -- tcpserver -R -H 127.0.0.1 "$PORT" env LD_PRELOAD="$SHIM" \
		SOCKREDIR_MODE=attach "${vars[@]}" "$@"
	LISTENER=$PROG_PID
	wait_listening "$PORT"
}

# not_alive PID: gone, or a zombie (for wait_until).
not_alive() {
	! alive "$1"
}

# socket_inode PID FD: "socket:[N]" of a process's descriptor.
socket_inode() {
	readlink "/proc/$1/fd/$2"
}

# alive PID: running, not a zombie left for its new parent to reap.
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $state && $state != Z && $state != X ]]
}
