#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# Build-time checks: static analysis, valgrind, and the fuzzer.  They do not
# depend on which build the suite runs against, so they run once, in the
# plain run.

load helper

setup() {
	require_shim
	skip_if_sanitized
	T="$BATS_TEST_TMPDIR"
	PEER_PID= PROG_PID=
}

# Each tool is optional for make check: without it, its test is skipped.
need() {
	command -v "$1" >/dev/null || skip "$1 not installed"
}

VALGRIND=(valgrind -q --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite,indirect)

@test "cppcheck and clang-tidy run clean over shim/ and launcher/" {
	need cppcheck
	need clang-tidy
	run make -C "$ROOT" -s lint
	assert_success
	refute_output --partial "warning:"
}

@test "valgrind: the unit tests show no memory errors and no leaks" {
	need valgrind
	run "${VALGRIND[@]}" "$BIN/unit_config"
	assert_success
	refute_output --partial "not ok"
}

@test "valgrind: a preloaded dialog shows no memory errors and no leaks" {
	need valgrind
	# ld.so --preload puts the shim into the program alone: valgrind's own
	# launcher (a shell script and a dynamic binary) must not load it.
	start_peer 127.0.0.1 "${SEED_ANSWERS[@]}"
	start_program SOCKREDIR_MODE=client SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$PORT" \
		-- "${VALGRIND[@]}" "$(dynamic_loader)" --preload "$LIB" "$LEGACY" 3
	local client=$PROG_PID server=$PEER_PID
	wait_both
	assert_file_equals "$T/prog.err" \
		"$(printf "client $client got [server $server got [client $client: %d]]\n" 0 1 2)"
}

@test "valgrind: an inetd listener and its child show no memory errors and no leaks" {
	need valgrind
	local port
	port=$(free_port)
	start_program SOCKREDIR_MODE=inetd SOCKREDIR_HOST=127.0.0.1 SOCKREDIR_PORT="$port" \
		SOCKREDIR_ALLOW=127.0.0.1/8,::1 -- "${VALGRIND[@]}" --child-silent-after-fork=no \
		"$(dynamic_loader)" --preload "$LIB" "$LEGACY" hello
	"$PEER" -t 20 -n 3 connect 127.0.0.1 "$port" expect:hello eof
	kill -TERM "$PROG_PID"
	wait_prog
	assert_equal "$PROG_STATUS" 0
	run grep -v "legacy main ran" "$T/prog.err"
	assert_output ""
}

@test "libFuzzer over the parser and the ALLOW matcher: 30 seconds, no finding" {
	need clang
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }' |
		clang -fsanitize=fuzzer -x c -o "$T/probe" - 2>/dev/null ||
		skip "clang's libFuzzer runtime not installed (libclang-rt-14-dev)"
	run make -C "$ROOT" -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}"
	assert_success
	local runs
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' <<<"$output")
	[[ -n $runs ]] || fail "no fuzzer statistics"
	echo "$runs executions in ${FUZZ_SECONDS:-30} s" >"$ROOT/build/fuzz-stats.txt"
	refute_output --partial "ERROR:"
	(( runs > 1000 ))
}

@test "make mutate's mutants all still apply: each text occurs once in its file and its tests exist" {
	# A mutant whose text the code no longer holds breaks nothing and so
	# proves nothing; make mutate would stop on it, but make test must too.
	run "$ROOT/test/mutate.sh" -c
	assert_success
	assert_output --partial "all "
	assert_output --partial " mutants apply"
}
