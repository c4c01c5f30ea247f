#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the kernel build directory to build the module against: the running
# kernel's, or else the newest installed Debian cloud headers (and say so on
# stderr, once per top-level make).
#   kdir.sh [KVER [strict]]   strict: KVER was asked for, no fallback
kver=${1:-$(uname -r)}
if [ -d "/lib/modules/$kver/build" ]; then
	echo "/lib/modules/$kver/build"
	exit 0
fi
if [ "${2:-}" = strict ]; then
	echo "c2watch: no headers for KVER=$kver (/lib/modules/$kver/build):" \
		"install linux-headers-$kver or set KDIR" >&2
	exit 1
fi
dir=$(ls -d /usr/src/linux-headers-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
if [ -z "$dir" ]; then
	echo "c2watch: no kernel headers found; run 'make deps'" >&2
	exit 1
fi
[ -n "${C2W_KDIR_NOTED:-}" ] ||
	echo "c2watch: no headers for running kernel $kver, using $dir" >&2
echo "$dir"
