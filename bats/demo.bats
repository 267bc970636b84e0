#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# make demo's script: the seed's five dialogs, each line as the seed prints
# it, and headings that say which side listens.

load helper

@test "the demo runs the five dialogs, three lines each, as the seed prints them" {
	skip_if_sanitized	# the demo runs the plain build
	run "$ROOT/test/demo.sh" 3>&-
	assert_success
	local n='[0-9]+'
	assert_line --regexp "^== dialog 1: .*\(mode out\)$"
	assert_line --regexp "^== dialog 2: .*\(mode in\)$"
	assert_line --regexp "^== dialog 3: .*\(mode client\)"
	assert_line --regexp "^== dialog 4: .*client listens \(mode server\), its server connects$"
	assert_line --regexp "^== dialog 5: .*\(mode client\)$"
	for i in 0 1 2; do
		assert_line --regexp "^server $n got \[client $n: $i\]$"
		assert_line --regexp "^client $n got \[server $n: $i\]$"
		assert_line --regexp "^client $n got \[server $n got \[client $n: $i\]\]$"
		assert_line --regexp "^server $n got \[client $n got \[server $n: $i\]\]$"
	done
	assert_line "All five dialogs ran on an unmodified program with no flush calls."
	# Dialogs 1, 2, 3, and 4 and 5 (the same form): 3 + 3 + 3 + 6 lines.
	run grep -cE '^(server|client) [0-9]+ got \[' <<<"$output"
	assert_output 15
}
