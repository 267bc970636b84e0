#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# Load: many shimmed programs at once against one listener, and repeated bulk
# transfers in each buffering mode, every byte verified.

load helper

@test "200 shimmed programs at once against one listener, 100 turns each, all verified" {
	mkfifo "$T/ready"
	exec {ready}<>"$T/ready"
	"$BIN/hub" -t 60 -r "$T/ready" 127.0.0.1 200 100 >"$T/hub.out" 2>"$T/hub.err" &
	PEER_PID=$!
	read -r -t 10 -u "$ready" PORT
	exec {ready}<&-
	local pids=() i failed=0
	for i in $(seq 200); do
		env SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
			LD_PRELOAD="$SHIM" "$LEGACY" reply2 </dev/null >/dev/null 2>"$T/prog.$i.err" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { failed=$((failed + 1)); cat "$T/prog.$((i + 1)).err" >&2; }
	done
	wait_peer
	assert_equal "$PEER_STATUS" 0
	assert_equal "$failed" 0
	assert_file_equals "$T/hub.out" "connections 200 turns 20000 verified"
}

bulk() {
	local buffer=$1 round sent
	for round in $(seq "${BULK_ROUNDS:-20}"); do
		start_peer 127.0.0.1 sink
		start_shimmed SOCKREDIR_MODE=out SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
			SOCKREDIR_BUFFER="$buffer" -- "$LEGACY" blast 67108864
		wait_both
		sent=$(cat "$T/prog.err")
		assert_file_equals "$T/peer.out" "received 67108864 fnv ${sent##* }"
	done
}

@test "64 MiB written 20 times with BUFFER=full, every checksum equal" {
	bulk full
}

@test "64 MiB written 20 times with BUFFER=line, every checksum equal" {
	bulk line
}

@test "64 MiB written 20 times with BUFFER=none, every checksum equal" {
	bulk none
}
