#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# install-packages.sh WHAT PACKAGE...: install the Debian packages that are
# missing, with apt-get when run as root; otherwise print the line to run and
# fail.  Used by make deps and make deps-bench.
what=$1
shift
missing=""
for package in "$@"; do
	dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null |
		grep -q '^install ok installed' || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "make $what: installing$missing"
	# Packages of another architecture (libc6:arm64): dpkg must know it.
	for arch in $(printf '%s\n' $missing | sed -n 's/.*:\([a-z0-9]*\)$/\1/p' | sort -u); do
		[ "$arch" = "$(dpkg --print-architecture)" ] ||
			dpkg --print-foreign-architectures | grep -qx "$arch" ||
			dpkg --add-architecture "$arch"
	done
	apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
	echo "make $what: missing packages; run as root:"
	echo "  apt-get install -y$missing"
	exit 1
fi
