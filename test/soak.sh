#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make soak: the whole suite (test/run-tests.sh, what make check runs) run
# after run, some runs with the machine loaded, to find the tests that fail
# by chance.  Not part of make test.
#
#   SOAK_RUNS=N     runs (10)
#   SOAK_LOADED=K   of which K with the machine loaded (by default a third
#                   of SOAK_RUNS, rounded up: 4 of 10), spread over the
#                   runs (every third one, then the last ones)
#   SOAK_LOAD=CMD   the load, started before a loaded run and ended (its PID
#                   signalled) after it: "stress-ng --cpu N" with N the
#                   number of CPUs when stress-ng is installed (Debian
#                   package stress-ng, in make deps-test), otherwise one
#                   busy shell loop per CPU
#
# Each run's output and TAP log go to build/soak/run-I.log and run-I.tap.
# Every failing test is named with its pass (plain, auto, asan: the three
# passes of run-tests.sh) and counted over the runs; a suite that died
# before reporting all its tests counts its missing tests as failed, as
# run-tests.sh does.  Ends with the failing names and their counts, then one
# line "N runs, N failed tests"; exits non-zero if any test failed.
set -u
cd "$(dirname "$0")/.." || exit 2
runs=${SOAK_RUNS:-10}
loaded=${SOAK_LOADED:-$(((runs + 2) / 3))}
cpus=$(nproc 2>/dev/null || echo 2)
if [[ -n ${SOAK_LOAD:-} ]]; then
	load=$SOAK_LOAD
elif command -v stress-ng >/dev/null; then
	load="stress-ng --cpu $cpus --quiet"
else
	load="sh -c 'for _ in \$(seq $cpus); do (while :; do :; done) & done; wait'"
fi
out=build/soak
rm -rf "$out"
mkdir -p "$out"
names=$out/failed-names
: >"$names"

# Which runs are loaded: every third first (3, 6, 9 of 10), then the
# others from the last backwards, until K are chosen.
declare -A is_loaded=()
chosen=0
for ((i = 3; i <= runs && chosen < loaded; i += 3)); do
	is_loaded[$i]=1
	chosen=$((chosen + 1))
done
for ((i = runs; i >= 1 && chosen < loaded; i--)); do
	[[ -n ${is_loaded[$i]:-} ]] && continue
	is_loaded[$i]=1
	chosen=$((chosen + 1))
done

total_failed=0
for ((i = 1; i <= runs; i++)); do
	load_pid=
	label=idle
	if [[ -n ${is_loaded[$i]:-} ]]; then
		label="loaded ($load)"
		# A group of its own, so that the end reaches the load's children.
		setsid sh -c "exec $load" </dev/null >/dev/null 2>&1 &
		load_pid=$!
	fi
	start=$(date +%s)
	test/run-tests.sh >"$out/run-$i.log" 2>&1
	status=$?
	if [[ -n $load_pid ]]; then
		kill -TERM -- "-$load_pid" 2>/dev/null
		wait "$load_pid" 2>/dev/null
	fi
	cp build/test-results.tap "$out/run-$i.tap" 2>/dev/null
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out/run-$i.log" | tail -1)
	failed=$(sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' <<<"$summary")
	[[ -n $failed ]] || { failed=1; summary="no summary (exit $status)"; }
	# The failing tests, by pass: run-tests.sh prints a "==" line before each.
	awk -v run="$i" '
		/^== unit tests under ASan/ { pass = "asan unit"; next }
		/^== unit tests/ { pass = "unit"; next }
		/^== integration tests again,/ { pass = "auto"; next }
		/^== integration tests against/ { pass = "asan"; next }
		/^== integration tests/ { pass = "plain"; next }
		/^not ok / { sub(/^not ok [0-9]* *-? */, ""); print pass ": " $0 }
	' "$out/run-$i.log" >"$out/run-$i.failed"
	named=$(wc -l <"$out/run-$i.failed")
	cat "$out/run-$i.failed" >>"$names"
	if ((failed > named)); then
		for ((k = named; k < failed; k++)); do
			echo "(a test not reported: a suite ended early, see $out/run-$i.log)"
		done >>"$names"
	fi
	total_failed=$((total_failed + failed))
	echo "soak: run $i of $runs, $label, $(($(date +%s) - start)) s: $summary"
done

if [[ -s $names ]]; then
	echo "soak: failing tests (count, pass: name):"
	sort "$names" | uniq -c | sort -rn
fi
echo "$runs runs, $total_failed failed tests"
[[ $total_failed -eq 0 ]]
