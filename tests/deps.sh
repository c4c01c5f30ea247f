#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages c2watch needs and prepare the caches.
#   deps.sh ensure   everything make check needs, only what is missing
#   deps.sh install  always run apt-get for that whole list
#   deps.sh build    only what building and installing on a host needs
#                    (make, make install, make sign): no VM, no test tools
#   deps.sh deb      build plus the packaging tools (make deb)
#   deps.sh fuzz     also clang and its libFuzzer runtime (make fuzz)
#   deps.sh bench    also auditd, the comparison in make bench
# Caches live in $C2W_CACHE (default ~/.cache/c2watch), never in the tree.
set -eu

BUILD_PKGS="gcc make pkg-config libc6-dev kmod libnl-3-dev libnl-genl-3-dev
libjson-c-dev libssl-dev"
DEB_PKGS="$BUILD_PKGS debhelper dh-dkms dpkg-dev"
PKGS="$DEB_PKGS linux-headers-cloud-amd64 linux-source-6.1 iproute2 dwarves
xz-utils perl sparse qemu-system-x86 busybox-static cpio gzip
bc bison flex libelf-dev liburing-dev gcc-multilib
openssl dkms lintian man-db groff-base debootstrap systemd"

CACHE=${C2W_CACHE:-$HOME/.cache/c2watch}
mode=${1:-ensure}

[ "$mode" = build ] && PKGS=$BUILD_PKGS
[ "$mode" = deb ] && PKGS=$DEB_PKGS
[ "$mode" = fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev"
[ "$mode" = bench ] && PKGS="$PKGS auditd"

missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done

if [ "$mode" = install ] || [ -n "$missing" ]; then
	[ "$mode" = install ] && missing=
	echo "c2watch: installing Debian packages:${missing:- $PKGS}" >&2
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq >&2
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends $PKGS >&2
fi

case "$mode" in build|deb) exit 0 ;; esac

# Node.js and npm for the ECS check (npm's @elastic/ecs): Debian's, where
# the machine has none of its own.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "c2watch: installing Debian packages: nodejs npm" >&2
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends nodejs npm >&2
fi

# Kernel tooling we read from Debian's linux-source-6.1 tarball: the
# kselftest harness headers and checkpatch with its data files.
src=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
if [ ! -f "$CACHE/kernel-tools/.done" ]; then
	[ -n "$src" ] || { echo "c2watch: linux-source-6.1 missing" >&2; exit 1; }
	echo "c2watch: extracting kselftest and checkpatch into $CACHE" >&2
	mkdir -p "$CACHE/kernel-tools"
	tar -C "$CACHE/kernel-tools" --strip-components=1 -xJf "$src" \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	touch "$CACHE/kernel-tools/.done"
fi
