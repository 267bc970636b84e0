# SPDX-License-Identifier: BSD-2-Clause
# assert_hardened FILE...: each ELF file was linked with full RELRO and
# BIND_NOW, and calls the stack protector and a FORTIFY_SOURCE checked
# function (so both reached the compiler).  For build.bats and packaging.bats.
assert_hardened() {
	local file
	command -v readelf >/dev/null || skip "readelf not installed"
	for file in "$@"; do
		run readelf -W --dynamic "$file"
		assert_output --regexp 'BIND_NOW|FLAGS.*NOW'
		run readelf -W --program-headers "$file"
		assert_output --partial GNU_RELRO
		run readelf -W --dyn-syms "$file"
		assert_output --partial __stack_chk_fail
		assert_output --regexp '__[a-z]+_chk@'
	done
}
