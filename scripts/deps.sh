#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The Debian packages c2watch needs, and the caches read from them.
# Installing is for "make deps", "make demo" and "make check" only; every
# other target only asks what is missing and stops with one line naming it.
#   deps.sh ensure       what make check needs, installing only what is
#                        missing, then the caches (make check, make demo, CI)
#   deps.sh install      apt-get for everything, the extras of make fuzz and
#                        make bench included (make deps)
#   deps.sh missing SET  print the packages of SET not installed, nothing
#                        else: SET is build (make, make install, make sign),
#                        deb (make deb), fuzz, bench or full (the rest)
#   deps.sh caches       the kernel tooling read from linux-source-6.1
# Caches live in $C2W_CACHE (default ~/.cache/c2watch), never in the tree.
set -eu

BUILD_PKGS="gcc make pkg-config libc6-dev kmod libnl-3-dev libnl-genl-3-dev
libjson-c-dev libssl-dev"
DEB_PKGS="$BUILD_PKGS debhelper dh-dkms dpkg-dev"
PKGS="$DEB_PKGS linux-headers-cloud-amd64 linux-source-6.1 iproute2 dwarves
xz-utils perl sparse qemu-system-x86 busybox-static cpio gzip
bc bison flex libelf-dev liburing-dev gcc-multilib
openssl dkms lintian man-db groff-base debootstrap systemd"
FUZZ_PKGS="clang libclang-rt-14-dev"
BENCH_PKGS="auditd"

CACHE=${C2W_CACHE:-$HOME/.cache/c2watch}
mode=${1:-ensure}

# missing LIST: the packages of LIST not installed
missing() {
	for p in $1; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null ||
		     true)
		[ "$st" = installed ] || printf '%s ' "$p"
	done
}

apt_install() {
	echo "c2watch: installing Debian packages: $*" >&2
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "$@" >&2
}

caches() {
	# Kernel tooling we read from Debian's linux-source-6.1 tarball: the
	# kselftest harness headers and checkpatch with its data files.
	[ -f "$CACHE/kernel-tools/.done" ] && return 0
	src=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
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
}

case "$mode" in
missing)
	case "${2:-full}" in
	build) missing "$BUILD_PKGS" ;;
	deb) missing "$DEB_PKGS" ;;
	fuzz) missing "$PKGS $FUZZ_PKGS" ;;
	bench) missing "$PKGS $BENCH_PKGS" ;;
	*) missing "$PKGS" ;;
	esac
	exit 0 ;;
caches)
	caches
	exit 0 ;;
install)
	# shellcheck disable=SC2086
	apt_install $PKGS $FUZZ_PKGS $BENCH_PKGS ;;
ensure)
	need=$(missing "$PKGS")
	# shellcheck disable=SC2086
	[ -z "$need" ] || apt_install $need ;;
*)
	echo "usage: deps.sh ensure|install|missing SET|caches" >&2
	exit 2 ;;
esac

# Node.js and npm for the ECS check (npm's @elastic/ecs): Debian's, where
# the machine has none of its own.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt_install nodejs npm
fi

caches
