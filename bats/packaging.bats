#!/usr/bin/env bats
# SPDX-License-Identifier: BSD-2-Clause
# The Debian package: make deb builds it in a copy of the tree (never in the
# tree itself, whose build/ the other tests use), with the library in the
# multiarch directory; extracted with dpkg-deb -x, its launcher finds its
# library and converses; lintian finds only what README.md lists.  The
# arm64 package, cross-built, converses too, under qemu-user.

bats_require_minimum_version 1.5.0
load helper
load hardening

# Built once for the file; a reason to skip is left for setup() to give
# (bats 1.8 cannot skip from setup_file).
setup_file() {
	local tool
	[[ -z ${SOCKREDIR_PRELOAD_FIRST:-} ]] || {
		echo "packaged once, in the plain run" >"$BATS_FILE_TMPDIR/skip"
		return 0
	}
	for tool in dpkg-buildpackage dh dpkg-deb dpkg-architecture dpkg-parsechangelog; do
		command -v "$tool" >/dev/null || {
			echo "$tool not installed (make deps-deb)" >"$BATS_FILE_TMPDIR/skip"
			return 0
		}
	done
	OUT="$BATS_FILE_TMPDIR/deb"
	make -C "$BATS_TEST_DIRNAME/.." deb DEB_OUT="$OUT" >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
		echo failed >"$BATS_FILE_TMPDIR/build.failed"
}

setup() {
	[[ ! -e $BATS_FILE_TMPDIR/skip ]] || skip "$(cat "$BATS_FILE_TMPDIR/skip")"
	require_shim
	T="$BATS_TEST_TMPDIR"
	PEER_PID= PROG_PID=
	OUT="$BATS_FILE_TMPDIR/deb"
	VERSION=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
	MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
	DEB="$OUT/sockredir_${VERSION}_$(dpkg-architecture -qDEB_HOST_ARCH).deb"
	if [[ -e $BATS_FILE_TMPDIR/build.failed ]]; then
		cat "$BATS_FILE_TMPDIR/build.log" >&2
		fail "make deb failed"
	fi
}

@test "make deb builds sockredir_VERSION_ARCH.deb outside the tree, whose build/ stays" {
	[[ -f $DEB ]]
	[[ -f $LIB ]]
	[[ ! -e $ROOT/debian/sockredir && ! -e $ROOT/debian/.debhelper ]]
	# The package is the library's own version.
	run grep -c "^#define SOCKREDIR_VERSION \"$VERSION\"\$" "$ROOT/include/sockredir-public.h"
	assert_output 1
}

@test "the package holds the library in the multiarch directory, the launcher, the manual pages and the docs" {
	run dpkg-deb -c "$DEB"
	assert_success
	local path
	for path in "./usr/lib/$MULTIARCH/libsockredir.so" ./usr/bin/sockredir \
		./usr/share/man/man1/sockredir.1.gz ./usr/share/man/man7/sockredir.7.gz \
		./usr/include/sockredir.h ./usr/share/doc/sockredir/README.md.gz \
		./usr/share/doc/sockredir/copyright; do
		assert_line --regexp " $path\$"
	done
	# libbsd is linked in (libbsd-dev builds it), so the package needs only the libc
	run dpkg-deb -f "$DEB" Depends
	assert_output --regexp '^libc6 \(>= [0-9.]+\)$'
}

@test "the extracted launcher finds the extracted library and converses with a peer" {
	dpkg-deb -x "$DEB" "$T/x"
	start_peer 127.0.0.1 send:ping 'expect:pong ping' dump
	start_program LD_PRELOAD="$FIRST" -- "$T/x/usr/bin/sockredir" --host=127.0.0.1 \
		--port="$PORT" sh -c 'read -r line; echo "pong $line"; echo "$LD_PRELOAD"'
	wait_both
	assert_file_equals "$T/peer.out" "$T/x/usr/lib/$MULTIARCH/libsockredir.so"
	run env LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$T/x/usr/share/man/man1/sockredir.1.gz"
	assert_success
	assert_output --partial SOCKREDIR_LIBRARY
}

@test "the package is built hardened with Debian's flags" {
	dpkg-deb -x "$DEB" "$T/x"
	assert_hardened "$T/x/usr/lib/$MULTIARCH/libsockredir.so" "$T/x/usr/bin/sockredir"
	run grep -c -- '-ffile-prefix-map=' "$BATS_FILE_TMPDIR/build.log"
	refute_output 0	# dpkg-buildflags' CFLAGS reached the compiler
}

@test "lintian reports only the findings README.md lists, with their reasons" {
	command -v lintian >/dev/null || skip "lintian not installed (make deps-deb)"
	run lintian --no-tag-display-limit -EIL +pedantic --color never "$OUT"/sockredir_*.changes
	local tags listed
	tags=$(sed -n 's/^[EWIPX]: [^ ]*\( changes\)\{0,1\}: \([a-z0-9-]*\).*/\2/p' <<<"$output" | sort -u)
	listed=$(sed -n '/^<!-- lintian findings -->$/,/^<!-- end -->$/s/^| `\([a-z0-9-]*\)`.*/\1/p' \
		"$ROOT/README.md" | sort -u)
	[[ -n $listed ]] || fail "README.md lists no lintian findings"
	run comm -23 <(echo "$tags") <(echo "$listed")
	assert_output ""
}

# The arm64 package (make deb cross-builds it): present unless its cross
# compiler is missing, and its launcher runs under qemu-user (binfmt_misc)
# and converses, running Debian's arm64 dash (test/lane.sh fetch arm64).
require_arm64_package() {
	ARM64_DEB="$OUT/sockredir_${VERSION}_arm64.deb"
	if [[ ! -f $ARM64_DEB ]]; then
		command -v aarch64-linux-gnu-gcc >/dev/null ||
			skip "aarch64-linux-gnu-gcc not installed (make deps-lanes): no arm64 package"
		fail "make deb built no arm64 package"
	fi
}

@test "make deb cross-builds the arm64 package: the arm64 library in the arm64 multiarch directory, an arm64 launcher" {
	require_arm64_package
	run dpkg-deb -f "$ARM64_DEB" Architecture
	assert_output arm64
	dpkg-deb -x "$ARM64_DEB" "$T/a"
	local file
	for file in "$T/a/usr/lib/aarch64-linux-gnu/libsockredir.so" "$T/a/usr/bin/sockredir"; do
		run readelf -h "$file"
		assert_output --regexp 'Machine: +AArch64'
	done
	assert_hardened "$T/a/usr/lib/aarch64-linux-gnu/libsockredir.so" "$T/a/usr/bin/sockredir"
}

@test "the extracted arm64 launcher, under qemu, finds its library and converses with a peer through arm64 dash" {
	require_arm64_package
	grep -qsx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 ||
		skip "no binfmt_misc entry for qemu-aarch64 (make deps-lanes, as root)"
	"$ROOT/test/lane.sh" fetch arm64 || skip "no arm64 dash to run (test/lane.sh fetch arm64 failed)"
	local dash=$ROOT/build-arm64/root/bin/dash
	run readelf -h "$dash"
	assert_output --regexp 'Machine: +AArch64'
	dpkg-deb -x "$ARM64_DEB" "$T/a"
	start_peer 127.0.0.1 send:ping 'expect:pong ping' dump
	start_program -- "$T/a/usr/bin/sockredir" --host=127.0.0.1 --port="$PORT" \
		"$dash" -c 'read -r line; echo "pong $line"; echo "$LD_PRELOAD"'
	wait_both
	assert_file_equals "$T/peer.out" "$T/a/usr/lib/aarch64-linux-gnu/libsockredir.so"
}
