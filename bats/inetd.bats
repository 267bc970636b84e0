#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# inetd mode: the program's process becomes a forking server; each child
# converses with one client and runs main; the listener never does.

load service	# helper.bash, start_inetd, stop_listener, wait_until, count_is, children_of

files_exist() {
	local n=$1 pattern=$2
	[[ $(compgen -G "$pattern" | wc -l) -eq $n ]]
}

@test "20 concurrent clients each converse with their own copy of the program" {
	start_inetd -- "$LEGACY" hold
	local peers=() i
	for i in $(seq 20); do
		"$PEER" -t 20 connect 127.0.0.1 "$PORT" expect:first "touch:$T/ready.$i" \
			"gate:$T/go" 'send:{pid}' 'expect:second [{pid}]' eof \
			>"$T/peer.$i.out" 2>"$T/peer.$i.err" &
		peers+=($!)
	done
	# All 20 wait at the gate at once: 20 copies are alive together.
	wait_until files_exist 20 "$T/ready.*"
	assert_equal "$(copies_of "$LISTENER")" 20
	touch "$T/go"
	for i in "${!peers[@]}"; do
		wait "${peers[$i]}" || fail "client $((i + 1)) failed: $(cat "$T/peer.$((i + 1)).err")"
	done
	wait_until idle "$LISTENER"
	stop_listener
}

@test "MAX: at most MAX children at once; the next connection waits in the backlog" {
	start_inetd SOCKREDIR_MAX=2 -- "$LEGACY" hold
	local i pids=()
	for i in 1 2 3; do
		"$PEER" -t 20 connect 127.0.0.1 "$PORT" "touch:$T/connected.$i" expect:first \
			"touch:$T/ready.$i" "gate:$T/go.$i" send:x 'expect:second [x]' eof \
			>"$T/peer.$i.out" 2>"$T/peer.$i.err" &
		pids+=($!)
		wait_until files_exist "$i" "$T/connected.*"
		[[ $i -lt 3 ]] && wait_until [ -e "$T/ready.$i" ]
	done
	# The third is connected in the kernel's backlog.  Give a listener that
	# ignored MAX time to fork a third child, then check that it did not.
	sleep 0.5
	[[ ! -e $T/ready.3 ]] || fail "a third child ran while MAX=2"
	assert_equal "$(children_of "$LISTENER")" 2
	touch "$T/go.1"
	wait "${pids[0]}"
	wait_until [ -e "$T/ready.3" ]
	touch "$T/go.2" "$T/go.3"
	wait "${pids[1]}"
	wait "${pids[2]}"
	stop_listener
}

@test "ALLOW: a peer outside the list is closed at once with one stderr line, DEBUG or not" {
	start_inetd SOCKREDIR_ALLOW=127.0.0.1/32 SOCKREDIR_DEBUG=1 -- "$LEGACY" hello
	"$PEER" -t 10 -b 127.0.0.2 connect 127.0.0.1 "$PORT" 'print:{localport}' eof \
		>"$T/refused.out" 2>"$T/refused.err" || fail "$(cat "$T/refused.err")"
	local refused_port
	refused_port=$(cat "$T/refused.out")
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:hello eof
	wait_until idle "$LISTENER"
	stop_listener
	run grep -c "127.0.0.2" "$T/prog.err"
	assert_output 1
	run grep "127.0.0.2" "$T/prog.err"
	assert_output "sockredir: inetd: refused connection from 127.0.0.2 port $refused_port (not in SOCKREDIR_ALLOW)"
	run grep -c "legacy main ran" "$T/prog.err"
	assert_output 1
}

@test "DEBUG=1 log: a line per listening socket, per copy with its pid and count, per end with status or signal" {
	start_inetd SOCKREDIR_DEBUG=1 SOCKREDIR_MAX=7 -- sh -c \
		'read -r line; [ "$line" = kill ] && kill -TERM $$; exit "$line"'
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'print:{localport}' send:3 eof >"$T/first.out"
	wait_until grep -q "end pid" "$T/prog.err"
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" 'print:{localport}' send:kill eof >"$T/second.out"
	wait_until count_is 2 grep -c "end pid" "$T/prog.err" || { cat "$T/prog.err" >&2; false; }
	stop_listener
	run cat "$T/prog.err"
	assert_equal "${#lines[@]}" 5
	assert_line --index 0 "sockredir: inetd: listening on 127.0.0.1 port $PORT, max 7"
	assert_line --index 1 --regexp "^sockredir: inetd: pid [0-9]+ from 127\.0\.0\.1 port $(cat "$T/first.out") \(1/7\)$"
	local first=${lines[1]#sockredir: inetd: pid }
	first=${first%% *}
	assert_line --index 2 "sockredir: inetd: end pid $first status 3 (0/7)"
	assert_line --index 3 --regexp "^sockredir: inetd: pid [0-9]+ from 127\.0\.0\.1 port $(cat "$T/second.out") \(1/7\)$"
	local second=${lines[3]#sockredir: inetd: pid }
	second=${second%% *}
	assert_line --index 4 "sockredir: inetd: end pid $second signal 15 (0/7)"
}

@test "without DEBUG the listener writes nothing for connections that are served" {
	start_inetd -- "$LEGACY" hello
	"$PEER" -t 10 -n 3 connect 127.0.0.1 "$PORT" expect:hello eof
	stop_listener
	run grep -v "legacy main ran" "$T/prog.err"
	assert_output ""
}

@test "SIGTERM: the listener stops accepting, lets a running child finish, exits 0" {
	start_inetd -- "$LEGACY" hold
	"$PEER" -t 20 connect 127.0.0.1 "$PORT" expect:first "touch:$T/ready" "gate:$T/go" \
		send:late 'expect:second [late]' eof >"$T/peer.out" 2>"$T/peer.err" &
	PEER_PID=$!
	wait_until [ -e "$T/ready" ]
	kill -TERM "$LISTENER"
	refused() { ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
	wait_until refused
	kill -0 "$LISTENER" || fail "the listener did not wait for its child"
	touch "$T/go"
	wait_peer
	assert_equal "$PEER_STATUS" 0
	wait_prog
	assert_equal "$PROG_STATUS" 0
}

@test "SIGHUP: the listener stops, a running conversation finishes, exit 0" {
	start_inetd -- "$LEGACY" hold
	"$PEER" -t 20 connect 127.0.0.1 "$PORT" expect:first "touch:$T/ready" "gate:$T/go" \
		send:late 'expect:second [late]' eof >"$T/peer.out" 2>"$T/peer.err" &
	PEER_PID=$!
	wait_until [ -e "$T/ready" ]
	kill -HUP "$LISTENER"
	refused() { ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
	wait_until refused
	kill -0 "$LISTENER" || fail "SIGHUP killed the listener, or it did not wait for its child"
	touch "$T/go"
	wait_peer
	assert_equal "$PEER_STATUS" 0
	wait_prog
	assert_equal "$PROG_STATUS" 0
}

@test "each copy runs in a process group of its own: Ctrl-C (SIGINT to the listener's group) stops only the listener" {
	PORT=$(free_port)
	# setsid makes the listener lead a group of its own, as a shell's job would.
	start_program -- setsid env LD_PRELOAD="$SHIM" SOCKREDIR_MODE=inetd SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" $(test_pool) "$LEGACY" hold
	LISTENER=$PROG_PID
	"$PEER" -t 20 connect 127.0.0.1 "$PORT" expect:first "touch:$T/ready" "gate:$T/go" \
		send:late 'expect:second [late]' eof >"$T/peer.out" 2>"$T/peer.err" &
	PEER_PID=$!
	wait_until [ -e "$T/ready" ]
	local copy
	copy=$(serving_copies "$LISTENER")
	assert_equal "$(ps -o pgid= -p "$copy" | tr -d ' ')" "$copy"
	assert_equal "$(ps -o pgid= -p "$LISTENER" | tr -d ' ')" "$LISTENER"
	kill -INT -- "-$LISTENER"
	refused() { ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
	wait_until refused
	kill -0 "$copy" || fail "the copy got the listener group's SIGINT"
	touch "$T/go"
	wait_peer
	assert_equal "$PEER_STATUS" 0
	wait_prog
	assert_equal "$PROG_STATUS" 0
}

# cpu_ticks PID: user and system time so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

@test "accept failing (EMFILE): one line per burst, no spin (CPU < 10%), SIGTERM honoured within 2 s, exit 0" {
	PORT=$(free_port)
	# fds 0, 1, 2 and the listening socket: no descriptor left for accept.
	start_program -- prlimit --nofile=4:4 env LD_PRELOAD="$SHIM" SOCKREDIR_MODE=inetd \
		SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" $(test_pool) "$LEGACY" hello
	LISTENER=$PROG_PID
	wait_listening "$PORT"
	local client
	exec {client}<>"/dev/tcp/127.0.0.1/$PORT"
	wait_until grep -q "accept: Too many open files" "$T/prog.err"
	local before after hz
	hz=$(getconf CLK_TCK)
	before=$(cpu_ticks "$LISTENER")
	sleep 1	# the measuring interval, not a synchronisation
	after=$(cpu_ticks "$LISTENER")
	echo "CPU while accept fails: $((after - before)) of $hz ticks in 1 s" >&3
	[[ $((after - before)) -lt $((hz / 10)) ]] || fail "the listener spun: $((after - before)) ticks in 1 s"
	run grep -c "accept:" "$T/prog.err"
	assert_output 1
	local start=$(date +%s%N) stopped=0
	kill -TERM "$LISTENER"
	for _ in $(seq 40); do
		kill -0 "$LISTENER" 2>/dev/null || { stopped=1; break; }
		sleep 0.05
	done
	local elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	echo "stop latency while accept fails: ${elapsed_ms} ms" >&3
	[[ $stopped -eq 1 ]] || fail "still running 2 s after SIGTERM"
	exec {client}>&-
	wait_prog
	assert_equal "$PROG_STATUS" 0
}

@test "fork failing (RLIMIT_NPROC): the connection is dropped, one line per burst, the listener goes on and stops on SIGTERM" {
	[[ $(id -u) -eq 0 ]] || skip "needs root to run the listener as another user"
	command -v setpriv >/dev/null || skip "setpriv is not installed (Debian package util-linux)"
	[[ -z $(pgrep -u 65534) ]] || skip "processes of uid 65534 are running: RLIMIT_NPROC counts them"
	PORT=$(free_port)
	# One process allowed to uid 65534: the listener itself; every fork fails.
	start_program -- setpriv --reuid=65534 --regid=65534 --clear-groups prlimit --nproc=1:1 \
		env LD_PRELOAD="$SHIM" SOCKREDIR_MODE=inetd SOCKREDIR_HOST=127.0.0.1 \
		SOCKREDIR_PORT="$PORT" $(test_pool) "$LEGACY" hello
	LISTENER=$PROG_PID
	local i
	for i in 1 2 3; do
		"$PEER" -t 10 connect 127.0.0.1 "$PORT" eof 2>/dev/null || true
	done
	wait_until grep -q "fork:" "$T/prog.err"
	kill -0 "$LISTENER" || fail "the listener died of a failing fork"
	run grep -c "fork:" "$T/prog.err"
	assert_output 1
	run grep -c "legacy main ran" "$T/prog.err"
	assert_output 0
	stop_listener
}

@test "SIGINT stops the listener too, exit 0" {
	start_inetd -- "$LEGACY" hello
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:hello eof
	kill -INT "$LISTENER"
	wait_prog
	assert_equal "$PROG_STATUS" 0
}

@test "1,000 sequential connections leave the listener's fds and children where they started" {
	start_inetd -- "$LEGACY" hello
	"$PEER" -t 10 connect 127.0.0.1 "$PORT" expect:hello eof
	wait_until idle "$LISTENER"
	local fds_before
	fds_before=$(ls "/proc/$LISTENER/fd" | wc -l)
	"$PEER" -t 10 -n 1000 connect 127.0.0.1 "$PORT" expect:hello eof
	wait_until idle "$LISTENER"
	assert_equal "$(ls "/proc/$LISTENER/fd" | wc -l)" "$fds_before"
	run ps -o stat= --ppid "$LISTENER"
	refute_output --partial Z
	stop_listener
}

@test "each child sees its own connection in the UCSPI variables" {
	start_inetd -- sh -c 'echo "$PROTO $TCPREMOTEPORT $TCPLOCALPORT"'
	"$PEER" -t 10 -n 3 connect 127.0.0.1 "$PORT" 'expect:TCP {localport} {remoteport}' eof
	stop_listener
}

@test "unix: inetd over a Unix socket; the socket file is removed when it stops" {
	PORT=
	start_shimmed SOCKREDIR_MODE=inetd SOCKREDIR_HOST="unix:$T/s" -- "$LEGACY" hello
	LISTENER=$PROG_PID
	"$PEER" -t 10 -n 3 connect "unix:$T/s" 0 expect:hello eof
	[[ -S $T/s ]]
	stop_listener
	[[ ! -e $T/s ]]
}

@test "bad inetd values are EX_USAGE: MAX, ALLOW entries, ALLOW with a unix: host" {
	for max in 0 65536 -1 1.5; do
		run timeout 20 env SOCKREDIR_MODE=inetd SOCKREDIR_MAX="$max" LD_PRELOAD="$SHIM" \
			"$LEGACY" hello
		assert_refused 64 "SOCKREDIR_MAX=\"$max\""
	done
	run timeout 20 env SOCKREDIR_MODE=inetd SOCKREDIR_ALLOW='127.0.0.1,10.0.0.0/40' \
		LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'bad entry "10.0.0.0/40"'
	run timeout 20 env SOCKREDIR_MODE=inetd SOCKREDIR_HOST="unix:$T/s" \
		SOCKREDIR_ALLOW=127.0.0.1 LD_PRELOAD="$SHIM" "$LEGACY" hello
	assert_refused 64 'SOCKREDIR_ALLOW="127.0.0.1": does not apply to a unix: host'
}
