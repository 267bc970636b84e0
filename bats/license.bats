#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The licence: LICENSE is BSD-2-Clause, and every source file says so in an
# SPDX line among its first three, files added later included.

load helper

@test "LICENSE is the BSD 2-Clause licence, and so is debian/copyright" {
	run head -1 "$ROOT/LICENSE"
	assert_output "BSD 2-Clause License"
	grep -q '^THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"$' "$ROOT/LICENSE"
	run grep -c '^License: BSD-2-Clause$' "$ROOT/debian/copyright"
	assert_output 2
}

@test "every source file, tracked or new, has an SPDX-License-Identifier: BSD-2-Clause line in its first three" {
	git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 || skip "not a git checkout"
	# test/spdx.sh names the kinds of file; --fix adds the missing lines.
	run "$ROOT/test/spdx.sh"
	[[ $status -eq 0 ]] || fail "no SPDX line in (test/spdx.sh --fix adds it): $output"
	run git -C "$ROOT" ls-files -- '*.c' '*.cc' '*.bats' Makefile
	((${#lines[@]} > 30)) || fail "only ${#lines[@]} source files found"
}
