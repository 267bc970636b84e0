#!/bin/sh
# Runs the unit tests and the bats suites, all as TAP: against the plain
# build, again with SOCKREDIR_BUFFER=auto as every test's default buffering,
# and against the build with AddressSanitizer and UBSan (whose runtime is
# preloaded ahead of the shim).  A sanitizer report anywhere is a
# failure: ASan's go to build-asan/reports, UBSan's (built not to recover)
# end the program and show on its stderr, which the tests check.  Ends with one line "N passed, N failed"; exits non-zero if
# anything failed.
set -u
cd "$(dirname "$0")/.." || exit 2
log=build/test-results.tap
reports=$PWD/build-asan/reports
mkdir -p build
: >"$log"
rm -rf "$reports"
mkdir -p "$reports"
# A test that hangs is a failure, not a stuck CI run.
export BATS_TEST_TIMEOUT="${BATS_TEST_TIMEOUT:-120}"

tap() {
	tee -a "$log" | grep -v '^ok '
}

echo "== unit tests"
build/test/unit_config | tap
echo "== integration tests"
bats --tap bats | tap

echo "== integration tests again, with SOCKREDIR_BUFFER=auto wherever a test does not choose"
# (not the build, the tools and the benchmark, which choose their own)
SOCKREDIR_TEST_BUFFER=auto bats --tap $(ls bats/*.bats | grep -v -e /build -e /tools -e /bench) | tap

echo "== unit tests under ASan and UBSan"
ASAN_OPTIONS="log_path=$reports/asan" UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan" \
    build-asan/test/unit_config | tap
echo "== integration tests against the library built with ASan and UBSan"
# The host programs (sed, python3 ...) are not ours: their leaks are not
# reported; valgrind checks the shim's own (make valgrind).
SOCKREDIR_LIB=$PWD/build-asan/libsockredir.so \
SOCKREDIR_PRELOAD_FIRST=$(realpath "$(${CC:-cc} -print-file-name=libasan.so)") \
ASAN_OPTIONS="detect_leaks=0:log_path=$reports/asan" \
UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan" \
    bats --tap bats | tap

for report in "$reports"/*; do
	[ -e "$report" ] || continue
	echo "not ok - sanitizer report $report" | tap
	sed 's/^/# /' "$report"
done

passed=$(grep '^ok ' "$log" | grep -vc ' # skip')
skipped=$(grep '^ok ' "$log" | grep -c ' # skip')
failed=$(grep -c '^not ok ' "$log")
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | awk '{n += $1} END {print n + 0}')
# A suite that died before reporting every test counts its missing tests failed.
missing=$((planned - passed - skipped - failed))
[ "$missing" -gt 0 ] && failed=$((failed + missing))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
