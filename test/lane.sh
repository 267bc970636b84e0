#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# lane.sh PLATFORM (arm64, i386 or musl): the library, the launcher and the
# test programs built for PLATFORM in build-PLATFORM, and a part of the suite
# run against them as TAP: the unit tests, the five seed dialogs (make
# demo's script and seed.bats), the exit path with unread input and a slow
# reader, each mode, BUFFER=auto around fork, exec, vfork and _exit, and the
# error codes.  arm64 runs under qemu-user (binfmt_misc); i386 runs on the
# x86_64 kernel itself; musl runs programs built with musl-gcc.
#
# Real programs of the platform: Debian's dash, coreutils and sed for arm64
# and i386, downloaded with apt-get download and unpacked into
# build-PLATFORM/root, first in the PATH of the programs the tests start
# with the shim; the libraries they need are installed for the platform by
# make deps-lanes (Multi-Arch: same, beside the host's).  Debian has no dynamically linked musl
# programs, so the musl lane runs the tests whose programs are ours.
#
# lane.sh fetch PLATFORM only downloads and unpacks those programs (make
# deps does it).  A lane that cannot run here (no compiler, no binfmt entry
# for qemu, not an x86_64 host) is one skipped test with the reason.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
fetch_only=
if [ "${1:-}" = fetch ]; then
	fetch_only=1
	shift
fi
platform=${1:?usage: lane.sh [fetch] arm64|i386|musl}
B=build-$platform
PROGRAMS="dash coreutils sed"
# What they need beyond libc (their Pre-Depends), as the Makefile's LANE_PACKAGES.
LIBRARIES="libacl1 libattr1 libgmp10 libselinux1 libpcre2-8-0"

case $platform in
arm64) cc=aarch64-linux-gnu-gcc triplet=aarch64-linux-gnu qemu=qemu-aarch64 arch=arm64 ;;
i386) cc=i686-linux-gnu-gcc triplet=i386-linux-gnu qemu= arch=i386 ;;
musl) cc=musl-gcc triplet= qemu= arch= ;;
*) echo "lane.sh: unknown platform $platform" >&2; exit 2 ;;
esac

# The real programs, unpacked once; "" when there are none to be had.
fetch_programs() {
	[ -n "$arch" ] || return 1
	for p in $LIBRARIES; do
		dpkg-query -W -f='${Status}\n' "$p:$arch" 2>/dev/null |
			grep -q '^install ok installed' || { missing_library="$p:$arch"; return 1; }
	done
	[ -x "$B/root/bin/dash" ] && return 0
	mkdir -p "$B/debs" && rm -rf "$B/root" && mkdir -p "$B/root" || return 1
	(cd "$B/debs" && for p in $PROGRAMS; do
		ls ./"$p"_*_"$arch".deb >/dev/null 2>&1 || apt-get download -q "$p:$arch" || exit 1
	done) >"$B/debs/download.log" 2>&1 || return 1
	for deb in "$B"/debs/*.deb; do
		dpkg-deb -x "$deb" "$B/root" || return 1
	done
	ln -sf dash "$B/root/bin/sh"
}

if [ -n "$fetch_only" ]; then
	fetch_programs || { echo "lane.sh: no $platform programs (${missing_library:+$missing_library not installed; }see $B/debs/download.log)" >&2; exit 1; }
	exit 0
fi

skip_lane() {
	printf '1..1\nok 1 %s lane # skip %s\n' "$platform" "$1"
	exit 0
}

[ "$(uname -m)" = x86_64 ] || skip_lane "the lanes are defined for an x86_64 host, this is $(uname -m)"
command -v "$cc" >/dev/null || skip_lane "$cc is not installed (make deps-lanes)"
if [ -n "$qemu" ]; then
	grep -qsx enabled "/proc/sys/fs/binfmt_misc/$qemu" ||
		skip_lane "no binfmt_misc entry for $qemu (make deps-lanes, as root, registers qemu-user-static)"
fi
[ -f build/libsockredir.so ] && [ -x build/test/peer ] ||
	skip_lane "the host's build is missing (make check builds it)"

started=$(date +%s)
mkdir -p "$B"
echo "1..3"
# pkg-config answers for the target: its multiarch directory.
[ -n "$triplet" ] && export PKG_CONFIG_LIBDIR=/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig
if make -s B="$B" CC="$cc" "$B/libsockredir.so" "$B/sockredir" "$B/test/unit_config" "$B/test/legacy" \
    >"$B/build.log" 2>&1; then
	echo "ok 1 $platform: the library, the launcher and the test programs build with -Werror"
else
	echo "not ok 1 $platform: the build failed"
	sed 's/^/# /' "$B/build.log"
	exit 0
fi
# What the library exports: vfork (its stub) everywhere; glibc's own names
# only on glibc.
exported=$(readelf -W --dyn-syms "$B/libsockredir.so" |
	awk '$7 != "UND" && $5 == "GLOBAL" {sub(/@.*/, "", $8); print $8}')
if echo "$exported" | grep -qx vfork; then
	echo "ok 2 $platform: the library wraps vfork (its stub flushes first)"
else
	echo "not ok 2 $platform: the library does not export vfork"
fi
glibc_names=$(echo "$exported" | grep -E '^(__isoc99_|_IO_|__uflow$|__underflow$|__overflow$|__getdelim$)|_chk$')
if [ "$platform" = musl ]; then
	[ -z "$glibc_names" ] && echo "ok 3 musl: the library wraps none of glibc's own names" ||
		echo "not ok 3 musl: the library wraps glibc's names:" $glibc_names
else
	[ -n "$glibc_names" ] && echo "ok 3 $platform: the library wraps glibc's own names too (__uflow, *_chk ...)" ||
		echo "not ok 3 $platform: the library wraps none of glibc's own names"
fi
# Runs at all (an i386 kernel without IA32 emulation, a broken qemu).
"$B/test/unit_config" >/dev/null 2>&1 || [ $? -ne 126 ] ||
	skip_lane "this machine cannot run $platform programs"

# LD_PRELOAD names the library with ld.so's $LIB, which glibc expands to
# the multiarch directory of each program's platform: a platform's program
# loads the platform's build, a host program that it starts (system's
# /bin/sh) the host's.  musl's ld.so does not expand $LIB: for it the
# directory is named "$LIB" itself.
lane=$ROOT/$B/lane
rm -rf "$lane"
mkdir -p "$lane/lib/x86_64-linux-gnu"
ln -s "$ROOT/build/libsockredir.so" "$lane/lib/x86_64-linux-gnu/libsockredir.so"
if [ -n "$triplet" ]; then
	own="$lane/lib/$triplet"
else
	own="$lane/\$LIB"
fi
mkdir -p "$own"
ln -s "$ROOT/$B/libsockredir.so" "$own/libsockredir.so"

echo "== $platform: unit tests"
"$B/test/unit_config"

# The tests whose programs are ours (legacy and the peer) run in every lane;
# those with the platform's real programs where it has them.  Not here:
# tests that count the program's threads or trace it (qemu-user adds a
# thread of its own and strace sees qemu), and the timing bounds of a few
# milliseconds, which an emulated CPU on a loaded machine misses.
ours='^dialog [1-5],|^both is the same mode|^the demo runs the five dialogs'
ours="$ours|EX_USAGE|EX_NOHOST|EX_UNAVAILABLE|EX_OSERR|exactly one error line|inactive when MODE"
ours="$ours|^a C program that fcloses|closes every descriptor above 2|^_exit from C ends|^EOF timing"
ours="$ours|^auto: the seed's dialogs|^auto: printf, write|^auto: a line before (vfork|pclose|_exit)|^auto: a wait that no wrapper sees"
ours="$ours|^auto: around fork|^auto: 4 threads|^auto: once the program writes stdout without"
ours="$ours|^auto: a reply leaves when the program waits"
ours="$ours|^20 concurrent clients|^tcpserver: attach arms the exit path"
real='^head -c 2 MiB of /dev/zero|^head -n 50000|^dd \(client|^cat, sed and tr'
real="$real|^dash ending with _exit|^the connector closes fds 0 and 1|^auto: a shimmed shell"
files="bats/demo.bats bats/seed.bats bats/errors.bats bats/exitpath.bats bats/auto.bats
    bats/inetd.bats bats/attach.bats"

filter=$ours
path=
if fetch_programs; then
	filter="$ours|$real"
	path=$ROOT/$B/root/usr/bin:$ROOT/$B/root/bin
fi
echo "== $platform: integration tests"
SOCKREDIR_LIB=$ROOT/$B/libsockredir.so SOCKREDIR_TESTBIN=$ROOT/$B/test \
SOCKREDIR_TEST_PRELOAD="$lane/\$LIB/libsockredir.so" SOCKREDIR_TEST_PEER=$ROOT/build/test/peer \
SOCKREDIR_TEST_PATH=$path PEER_TIMEOUT=${PEER_TIMEOUT:-40} \
    bats --tap -f "$filter" $files
if [ -z "$path" ]; then
	if [ -n "${missing_library:-}" ]; then
		reason="$missing_library is not installed (make deps-lanes)"
	elif [ -n "$arch" ]; then
		reason="could not download Debian's $arch programs (see $B/debs/download.log)"
	else
		reason="Debian has no dynamically linked musl programs; the lane runs ours"
	fi
	printf '1..1\nok 1 %s: the tests with real programs # skip %s\n' "$platform" "$reason"
fi
echo "# $platform lane: $(($(date +%s) - started)) s"
