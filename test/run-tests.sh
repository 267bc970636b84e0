#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs the unit tests and the bats suites, all as TAP: against the plain
# build, again with SOCKREDIR_BUFFER=auto as every test's default buffering,
# the inetd tests again with a pool of pre-forked copies (SOCKREDIR_PREFORK),
# against the build with AddressSanitizer and UBSan (whose runtime is
# preloaded ahead of the shim), and a lane for each other platform
# (test/lane.sh: arm64 under qemu-user, i386, x86_64 with musl).  A sanitizer report anywhere is a
# failure: ASan's go to build-asan/reports, UBSan's (built not to recover)
# end the program and show on its stderr, which the tests check.  Ends with
# one line "N passed, N failed, N skipped"; exits non-zero if anything
# failed.  Runs with what is installed: a test whose tool is missing is
# skipped, and the reasons are listed before the summary.
set -u
cd "$(dirname "$0")/.." || exit 2
log=build/test-results.tap
reports=$PWD/build-asan/reports
mkdir -p build
: >"$log"
rm -rf "$reports"
mkdir -p "$reports"
# The tests run make themselves: the same whether this script was started by
# make (whose MAKEFLAGS would add "Entering directory" lines) or by hand.
unset MAKEFLAGS MFLAGS MAKELEVEL
# A test that hangs is a failure, not a stuck CI run.
export BATS_TEST_TIMEOUT="${BATS_TEST_TIMEOUT:-120}"

tap() {
	tee -a "$log" | grep -v '^ok '
}

command -v bats >/dev/null ||
	echo "not ok - bats is not installed (make deps-test installs it)" | tap

echo "== unit tests"
build/test/unit_config | tap
echo "== integration tests"
bats --tap bats | tap

echo "== integration tests again, with SOCKREDIR_BUFFER=auto wherever a test does not choose"
# (not the files whose tests choose their own buffering or never start a
# program through start_shimmed: they would run the same tests again)
SOCKREDIR_TEST_BUFFER=auto bats --tap $(ls bats/*.bats | grep -v -e /build -e /tools -e /bench \
    -e /packaging -e /license -e /readme -e /demo -e /launcher) | tap

echo "== inetd tests again, with a pool of 4 waiting copies (SOCKREDIR_PREFORK) wherever a test does not choose"
SOCKREDIR_TEST_PREFORK=4 bats --tap bats/inetd.bats bats/limits.bats bats/proxy.bats \
    bats/activation.bats | tap

echo "== unit tests under ASan and UBSan"
ASAN_OPTIONS="log_path=$reports/asan" UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan" \
    build-asan/test/unit_config | tap
echo "== integration tests against the library built with ASan and UBSan"
# The host programs (sed, python3 ...) are not ours: their leaks are not
# reported; valgrind checks the shim's own (bats/tools.bats, in the plain run).
SOCKREDIR_LIB=$PWD/build-asan/libsockredir.so \
SOCKREDIR_PRELOAD_FIRST=$(realpath "$(${CC:-cc} -print-file-name=libasan.so)") \
ASAN_OPTIONS="detect_leaks=0:log_path=$reports/asan" \
UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan" \
    bats --tap bats | tap

# The other platforms (test/lane.sh): arm64 under qemu-user, i386, musl.
for platform in arm64 i386 musl; do
	echo "== the $platform lane"
	test/lane.sh "$platform" | tap
done

for report in "$reports"/*; do
	[ -e "$report" ] || continue
	echo "not ok - sanitizer report $report" | tap
	sed 's/^/# /' "$report"
done

if grep -q ' # skip' "$log"; then
	echo "== skipped, with the reasons (count, reason):"
	sed -n 's/^ok .* # skip *//p' "$log" | sort | uniq -c | sort -rn
fi

passed=$(grep '^ok ' "$log" | grep -vc ' # skip')
skipped=$(grep '^ok ' "$log" | grep -c ' # skip')
failed=$(grep -c '^not ok ' "$log")
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | awk '{n += $1} END {print n + 0}')
# A suite that died before reporting every test counts its missing tests failed.
missing=$((planned - passed - skipped - failed))
[ "$missing" -gt 0 ] && failed=$((failed + missing))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
