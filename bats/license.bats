#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The licence: LICENSE is BSD-2-Clause, and every source file says so in an
# SPDX line among its first three, files added later included.

load helper

# The kinds of file that carry the line: sources, scripts, tests, the build,
# the manual pages.
SOURCES=('*.c' '*.h' '*.sh' '*.bash' '*.bats' '*.py' '*.gp' '*.map' 'Makefile' '*/Makefile'
	'docs/*.[1-9]' '.ci/run' 'debian/rules')

@test "LICENSE is the BSD 2-Clause licence, and so is debian/copyright" {
	run head -1 "$ROOT/LICENSE"
	assert_output "BSD 2-Clause License"
	grep -q '^THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"$' "$ROOT/LICENSE"
	run grep -c '^License: BSD-2-Clause$' "$ROOT/debian/copyright"
	assert_output 2
}

@test "every source file, tracked or new, has an SPDX-License-Identifier: BSD-2-Clause line in its first three" {
	git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 || skip "not a git checkout"
	local file count=0 missing=()
	while IFS= read -r -d '' file; do
		[[ -f $ROOT/$file ]] || continue	# removed from the work tree
		count=$((count + 1))
		head -n 3 "$ROOT/$file" | grep -q 'SPDX-License-Identifier: BSD-2-Clause' ||
			missing+=("$file")
	done < <(git -C "$ROOT" ls-files -z --cached --others --exclude-standard -- "${SOURCES[@]}")
	((count > 40)) || fail "only $count source files found"
	[[ ${#missing[@]} -eq 0 ]] || fail "no SPDX line in: ${missing[*]}"
}
