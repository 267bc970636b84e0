#!/usr/bin/env bats
# The build's own promises: what the library exports, where it installs, the
# manual page, and a clean build with the sanitizers.

load helper

@test "the library exports only the libc calls it wraps, exactly those its version script lists" {
	local libc exported listed
	libc=$(ldd "$LIB" | awk '$1 ~ /^libc\.so/ {print $3}')
	exported=$(nm -D --defined-only "$LIB" | awk '{print $3}' | sort)
	listed=$(sed -n '/global:/,/local:/p' "$ROOT/shim/sockredir.map" | tr -s ' \t;' '\n' |
		grep -E '^[A-Za-z_][A-Za-z0-9_]*$' | grep -vx 'global\|local' | sort)
	assert_equal "$exported" "$listed"
	# and every function the sources define for the program (default
	# visibility) is among them: a wrapper left out of the list is not one
	local defined
	defined=$(readelf -sW "$(dirname "$LIB")"/obj/*.o |
		awk '$5 == "GLOBAL" && $6 == "DEFAULT" && $7 != "UND" {print $8}' | sort)
	assert_equal "$defined" "$exported"
	run comm -23 <(echo "$exported") <(nm -D --defined-only "$libc" | awk '{print $3}' |
		sed 's/@.*//' | sort -u)
	assert_output ""
}

@test "the library is built with libbsd and needs nothing but libbsd and libc" {
	skip_if_sanitized	# the sanitized build needs its runtimes too
	run objdump -p "$LIB"
	assert_success
	run sh -c "objdump -p '$LIB' | awk '/NEEDED/ {print \$2}' | sort"
	assert_output "libbsd.so.0
libc.so.6"
}

@test "make install honours PREFIX and DESTDIR" {
	run make -C "$ROOT" install DESTDIR="$T/root" PREFIX=/opt/sr
	assert_success
	[[ -x $T/root/opt/sr/bin/sockredir ]]
	[[ -x $T/root/opt/sr/lib/libsockredir.so ]]
	[[ -f $T/root/opt/sr/include/sockredir.h ]]
	[[ -f $T/root/opt/sr/share/man/man7/sockredir.7 ]]
	[[ -f $T/root/opt/sr/share/man/man1/sockredir.1 ]]
}

@test "the manual pages render without warnings" {
	for page in sockredir.7 sockredir.1; do
		run env LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$ROOT/docs/$page"
		assert_success
		assert_output --partial "SOCKREDIR_MODE"
		run sh -c "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l '$ROOT/docs/$page' 2>&1 >/dev/null"
		assert_output ""
	done
}

@test "the build passes with -fsanitize=address,undefined, and so do the unit tests" {
	skip_if_sanitized
	run make -C "$ROOT" asan
	assert_success
	run "$ROOT/build-asan/test/unit_config"
	assert_success
	refute_output --partial "not ok"
	refute_output --partial "runtime error"
}
