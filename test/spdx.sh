#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# spdx.sh [--fix]: lists the source files, tracked or new, that have no
# SPDX-License-Identifier line among their first three, and exits 1 if there
# are any.  With --fix it adds the line in each file's comment syntax (after
# a #! line) and lists what it changed.
set -eu
cd "$(dirname "$0")/.."
tag='SPDX-License-Identifier: BSD-2-Clause'
lacking=$(git ls-files --cached --others --exclude-standard -- '*.c' '*.cc' '*.h' '*.sh' '*.bash' \
    '*.bats' '*.py' '*.gp' '*.map' 'Makefile' '*/Makefile' 'docs/*.[1-9]' '.ci/run' \
    'debian/rules' | while IFS= read -r file; do
	[ -f "$file" ] || continue	# removed from the work tree
	head -n 3 "$file" | grep -q "$tag" || echo "$file"
done)
[ -n "$lacking" ] || exit 0
echo "$lacking"
[ "${1:-}" = --fix ] || exit 1
echo "$lacking" | while IFS= read -r file; do
	case $file in
	*.c | *.cc | *.h | *.map) sed -i "1i /* $tag */" "$file" ;;
	docs/*) sed -i "1i .\\\\\" $tag" "$file" ;;
	*) if head -n 1 "$file" | grep -q '^#!'; then
		sed -i "1a # $tag" "$file"
	else
		sed -i "1i # $tag" "$file"
	fi ;;
	esac
done
