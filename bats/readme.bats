#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# README.md's examples, run as written: each "one example per mode" block is
# taken from README.md itself (only its port is replaced by a free one), run
# from the top of the tree, and must show exactly the lines marked "#>".

load helper

setup() {
	require_shim
	skip_if_sanitized	# the examples name build/libsockredir.so
	T="$BATS_TEST_TMPDIR"
	PEER_PID= PROG_PID=
}

# The README section that holds the examples.
examples_section() {
	sed -n '/^## One example per mode$/,/^## /p' "$ROOT/README.md"
}

# example MODE: the first code block after the paragraph that begins `MODE`.
example() {
	examples_section | awk -v mode="\`$1\`" '
		index($0, mode) == 1 { found = 1; next }
		found && /^```sh$/ { inside = 1; next }
		inside && /^```$/ { exit }
		inside { print }'
}

# run_example MODE: the section's set-up block, then the mode's block, in a
# session of its own (killed whole at the end), bounded to 30 s.
run_example() {
	local port pid status=0
	example "$1" >"$T/block"
	[[ -s $T/block ]] || fail "README.md has no example for $1"
	grep '^#> ' "$T/block" | cut -c4- >"$T/expected"
	[[ -s $T/expected ]] || fail "the example for $1 shows no output"
	port=$(free_port)
	{
		examples_section | awk '/^```sh$/ { inside = 1; next } inside && /^```$/ { exit } inside'
		grep -v '^#> ' "$T/block"
	} | sed "s/9000/$port/g" >"$T/script"
	(cd "$ROOT" && exec setsid bash "$T/script" </dev/null >"$T/out" 2>&1 3>&-) &
	pid=$!
	for _ in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" || status=$?
	[[ $status -eq 0 ]] || { cat "$T/script" "$T/out" >&2; fail "the example exited $status"; }
	assert_file_equals "$T/out" "$(cat "$T/expected")"
}

@test "README: the set-up line names the library by an absolute path in the build tree" {
	run sh -c "sed -n '/^## One example per mode\$/,/^## /p' '$ROOT/README.md' | grep -c '^LIB=\$PWD/build/libsockredir.so\$'"
	assert_output 1
}

@test "README, mode out: the example runs as written" {
	run_example out
}

@test "README, mode in: the example runs as written" {
	run_example in
}

@test "README, mode client: the example runs as written" {
	run_example client
}

@test "README, mode server: the example runs as written" {
	command -v bc >/dev/null || skip "bc not installed"
	run_example server
}

@test "README, mode inetd: the example runs as written" {
	run_example inetd
}

@test "README, mode attach: the example runs as written" {
	command -v tcpserver >/dev/null || skip "tcpserver not installed (ucspi-tcp, make deps-test)"
	local status=0
	SOCKREDIR_MODE=attach LD_PRELOAD="$LIB" /bin/true </dev/null 2>"$T/err" || status=$?
	if [[ $status -eq 64 ]] && grep -q 'SOCKREDIR_MODE="attach"' "$T/err"; then
		skip "this build has no attach mode yet"
	fi
	run_example attach
}

@test "README: every mode has its example, and every example block is run above" {
	local mode blocks
	for mode in out in client server inetd attach; do
		[[ -n $(example "$mode") ]] || fail "no example for $mode"
	done
	blocks=$(examples_section | grep -c '^```sh$')
	assert_equal "$blocks" 7	# the set-up and six modes
}

@test "README: the Quick start installs exactly the build set, and every set is named" {
	local set packages package
	packages=$(make -C "$ROOT" -s --no-print-directory -f Makefile -f - print-BUILD_PACKAGES <<<'print-%: ; @echo $($*)')
	run grep -c "^apt-get update && apt-get install -y $packages\$" "$ROOT/README.md"
	assert_output 1
	for set in BUILD_PACKAGES DEB_PACKAGES DEB_BUILD_PACKAGES BENCH_PACKAGES LANE_PACKAGES; do
		packages=$(make -C "$ROOT" -s --no-print-directory -f Makefile -f - "print-$set" <<<'print-%: ; @echo $($*)')
		for package in $packages; do
			grep -q "\`$package\`" "$ROOT/README.md" || fail "README.md does not name $package ($set)"
		done
	done
}
