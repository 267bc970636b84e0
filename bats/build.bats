#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The build's own promises: what the library exports, where it installs, the
# manual page, and a clean build with the sanitizers.

load helper
load hardening

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
	defined=$(ls "$(dirname "$LIB")"/obj/*.o | grep -v /launcher.o | xargs readelf -sW |
		awk '$5 == "GLOBAL" && $6 == "DEFAULT" && $7 != "UND" {print $8}' | sort)
	assert_equal "$defined" "$exported"
	run comm -23 <(echo "$exported") <(nm -D --defined-only "$libc" | awk '{print $3}' |
		sed 's/@.*//' | sort -u)
	assert_output ""
}

@test "the library needs nothing but the libc at run time: libbsd's strlcpy is linked in" {
	skip_if_sanitized	# the sanitized build needs its runtimes too
	run objdump -p "$LIB"
	assert_success
	run sh -c "objdump -p '$LIB' | awk '/NEEDED/ {print \$2}' | sort"
	assert_output "libc.so.6"
	# the library calls strlcpy (the host and the Unix path), and takes it
	# from no shared object
	run nm "$LIB"
	assert_line --regexp ' t strlcpy$'
	run nm -D --undefined-only "$LIB"
	refute_line --partial strlcpy
}

@test "make install honours PREFIX and DESTDIR, and installs the public header as sockredir.h" {
	run make -C "$ROOT" install DESTDIR="$T/root" PREFIX=/opt/sr
	assert_success
	[[ -x $T/root/opt/sr/bin/sockredir ]]
	[[ -f $T/root/opt/sr/lib/libsockredir.so ]]
	[[ -f $T/root/opt/sr/share/man/man7/sockredir.7 ]]
	[[ -f $T/root/opt/sr/share/man/man1/sockredir.1 ]]
	cmp "$ROOT/include/sockredir-public.h" "$T/root/opt/sr/include/sockredir.h"
	refute_output --partial ldconfig
}

@test "make install runs ldconfig when it installs to the live system, not into DESTDIR" {
	run make -C "$ROOT" -n install PREFIX=/usr/local
	assert_success
	assert_line "ldconfig"
	run make -C "$ROOT" -n install PREFIX=/usr/local DESTDIR="$T/root"
	assert_success
	refute_line "ldconfig"
}

@test "the installed header holds only what a user can use, and agrees with the library's own" {
	local public="$ROOT/include/sockredir-public.h"
	run grep -n 'SPEC\|(' "$public"
	assert_output --regexp '^[0-9]+: \*'	# parentheses in comments only
	refute_output --regexp '^[0-9]+:[^ ]'
	refute_output --partial SPEC.md
	# The library's own header takes every public name from it, so the two
	# cannot disagree: it includes it and defines no variable name itself.
	run grep -c '^#include "sockredir-public.h"' "$ROOT/include/sockredir.h"
	assert_output 1
	run grep '^#define SOCKREDIR_\(ENV_\|MODE_\|EXIT_\|VERSION\)' "$ROOT/include/sockredir.h"
	assert_output ""
	cat >"$T/user.c" <<-'EOF'
		#include <sockredir.h>
		#include <stdio.h>
		#include <stdlib.h>
		int main(void) {
			if (setenv(SOCKREDIR_ENV_MODE, SOCKREDIR_MODE_OUT, 1) != 0)
				return 1;
			printf("%s %s %d %d\n", SOCKREDIR_VERSION, getenv("SOCKREDIR_MODE"),
			    SOCKREDIR_EXIT_USAGE, SOCKREDIR_EXIT_LAUNCHER);
			return 0;
		}
	EOF
	make -C "$ROOT" -s install DESTDIR="$T/root" PREFIX=/usr
	cc -Wall -Werror -I"$T/root/usr/include" -o "$T/user" "$T/user.c"
	run "$T/user"
	assert_output --regexp '^[0-9.]+ out 64 125$'
	cat >"$T/both.c" <<-'EOF'
		#include "sockredir-public.h"
		#include "sockredir.h"
		_Static_assert(SOCKREDIR_EXIT_USAGE == EX_USAGE, "usage");
		_Static_assert(SOCKREDIR_EXIT_NOHOST == EX_NOHOST, "nohost");
		_Static_assert(SOCKREDIR_EXIT_UNAVAILABLE == EX_UNAVAILABLE, "unavailable");
		_Static_assert(SOCKREDIR_EXIT_OSERR == EX_OSERR, "oserr");
		int main(void) { return 0; }
	EOF
	cc -std=gnu11 -Wall -Werror -I"$ROOT/include" -c -o "$T/both.o" "$T/both.c"
}

@test "hardened by default: stack protector, FORTIFY, full RELRO, BIND_NOW, a PIE launcher" {
	skip_if_sanitized	# the shipped build, not the sanitizer's
	assert_hardened "$LIB" "$LAUNCHER"
	run readelf -W --file-header "$LAUNCHER"
	assert_output --regexp 'Type: +DYN'
	run readelf -W --dynamic "$LAUNCHER"
	assert_output --regexp 'FLAGS_1.*PIE'
}

@test "CPPFLAGS, CFLAGS, LDFLAGS and LDLIBS reach every compile and link line" {
	run make -C "$ROOT" -n -B B="$T/b" CPPFLAGS=-DUSER_CPPFLAGS CFLAGS="-O2 -DUSER_CFLAGS" \
		LDFLAGS=-Wl,-zuserldflags LDLIBS=-luserldlibs \
		"$T/b/libsockredir.so" "$T/b/sockredir" "$T/b/test/legacy"
	assert_success
	local line compiles=0 links=0
	while IFS= read -r line; do
		[[ $line == cc\ * ]] || continue
		[[ $line == *-DUSER_CPPFLAGS* && $line == *-DUSER_CFLAGS* ]] ||
			fail "flags missing: $line"
		if [[ $line == *\ -c\ * ]]; then
			compiles=$((compiles + 1))
		else
			links=$((links + 1))
			[[ $line == *-Wl,-zuserldflags*-luserldlibs* ]] || fail "link flags missing: $line"
		fi
	done < <(sed -e :a -e '/\\$/N; s/\\\n//; ta' <<<"$output")
	((compiles > 5 && links == 3)) || fail "$compiles compiles, $links links"
	# A FORTIFY level of the user's own replaces the default one.
	run make -C "$ROOT" -n -B B="$T/b" CPPFLAGS=-D_FORTIFY_SOURCE=3 "$T/b/obj/config.o"
	assert_output --partial -D_FORTIFY_SOURCE=3
	refute_output --partial -D_FORTIFY_SOURCE=2
}

@test "header dependencies are generated: a header change rebuilds what includes it" {
	skip_if_sanitized
	run cat "$ROOT/build/obj/config.d"
	assert_output --regexp '^[^ ]*config\.o: '
	assert_output --partial include/sockredir.h
	assert_line "include/sockredir.h:"	# -MP: a removed header breaks no build
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

# man_sections PAGE: the section headings of a manual page, one a line.
man_sections() {
	LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$ROOT/docs/$1" 2>/dev/null | sed -n 's/^\([A-Z][A-Z ]*\)$/\1/p'
}

# man_section PAGE NAME: the text of one section.
man_section() {
	LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$ROOT/docs/$1" 2>/dev/null |
		sed -n "/^$2\$/,/^[A-Z][A-Z ]*\$/p"
}

@test "sockredir(1) has ENVIRONMENT, EXIT STATUS, BUGS, SEE ALSO and COPYRIGHT, and every mode and option" {
	run man_sections sockredir.1
	local section option mode
	for section in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT 'EXIT STATUS' EXAMPLES BUGS \
		'SEE ALSO' COPYRIGHT; do
		assert_line "$section"
	done
	run man_section sockredir.1 'SEE ALSO'
	for page in 'sockredir(7)' 'stdbuf(1)' 'socat(1)' 'tcpserver(1)'; do
		assert_output --partial "$page"
	done
	run man_section sockredir.1 ENVIRONMENT
	assert_output --partial SOCKREDIR_LIBRARY
	run man_section sockredir.1 OPTIONS
	for mode in out in client both server inetd attach; do
		assert_output --regexp "[ (]$mode[ ),.]"
	done
	# Every long option of the launcher's --help is in the manual page.
	for option in $("$LAUNCHER" --help | grep -o -- '--[a-z-]*' | sort -u); do
		assert_output --partial -- "$option"
	done
}

@test "sockredir(7) has one example per mode, and agrees with README.md on Java" {
	run man_section sockredir.7 EXAMPLES
	local mode
	for mode in out in client server inetd attach; do
		assert_output --regexp "SOCKREDIR_MODE=$mode |-m $mode "
	done
	grep -q '^| Java 17 (`System.out.println`) | converses |' "$ROOT/README.md"
	run man_section sockredir.7 BUGS
	assert_output --regexp "Java's System.out.println and Node.js's console.log converse"
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
