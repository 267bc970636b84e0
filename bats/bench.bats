#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The benchmark's smoke test: a quick run in which every variant completes and
# is verified (each reply line checked, each transfer checksummed), and the
# variants without stdbuf deadlock as expected.  No timing is asserted.

load helper

@test "make bench, quick: every variant completes and verifies, or deadlocks where expected" {
	skip_if_sanitized
	# fd 3 closed: a server left behind would otherwise hold bats' output open.
	run env BENCH_QUICK=1 BENCH_OUT="$T/bench" "$ROOT/test/bench/run.sh" 3>&-
	assert_success
	assert_output --partial "every variant completed and verified"
	refute_output --partial "| failed"
	refute_output --partial "corrupt"
	# The seed's deadlock, shown: socat without stdbuf cannot converse.
	if command -v socat >/dev/null; then
		assert_output --regexp '\| socat EXEC, no stdbuf \| - \| - \| - \| 1 \| deadlock'
	fi
	[[ -s $T/bench/results.tsv && -s $T/bench/table.md ]]
	# Every tool it started has been stopped.
	run pgrep -f "$ROOT/build/test/(legacy|floor)"
	assert_failure
}
