#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# lanes-setup.sh: what the lanes of test/lane.sh need beyond packages.  As
# root: binfmt_misc mounted and qemu-user-static's qemu-aarch64 entry
# enabled, so that the kernel runs arm64 programs under qemu.  Then the arm64
# and i386 programs (dash, coreutils, sed) downloaded and unpacked.  A step
# that cannot be done is said, not fatal: its lane skips with the reason.
cd "$(dirname "$0")/.." || exit 2
entry=/proc/sys/fs/binfmt_misc/qemu-aarch64
if ! grep -qsx enabled "$entry"; then
	if [ "$(id -u)" = 0 ]; then
		mountpoint -q /proc/sys/fs/binfmt_misc ||
			mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
		update-binfmts --enable qemu-aarch64 2>/dev/null ||
			update-binfmts --import qemu-aarch64
	fi
	grep -qsx enabled "$entry" ||
		echo "make deps-lanes: qemu-aarch64 is not registered with binfmt_misc (as root: make deps-lanes); the arm64 lane will skip"
fi
for platform in arm64 i386; do
	test/lane.sh fetch "$platform" || echo "make deps-lanes: the $platform lane will run without real programs"
done
exit 0
