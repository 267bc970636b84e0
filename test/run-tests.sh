#!/bin/sh
# Runs the unit tests and the bats suites, all as TAP, and ends with one line
# "N passed, N failed".  Exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.." || exit 2
log=build/test-results.tap
mkdir -p build
: >"$log"

echo "== unit tests (build/test/unit_config)"
build/test/unit_config | tee -a "$log" | grep -v '^ok '
echo "== integration tests (bats/)"
# A test that hangs is a failure, not a stuck CI run.
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120} bats --tap bats | tee -a "$log" | grep -v '^ok '

passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | awk '{n += $1} END {print n + 0}')
# A suite that died before reporting every test counts its missing tests failed.
missing=$((planned - passed - failed))
[ "$missing" -gt 0 ] && failed=$((failed + missing))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
