#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build c2watch's debug test kernel (KASAN, lockdep, kmemleak, UBSAN, ...)
# from Debian's linux-source-6.1 into the cache, once per config fragment:
#   tinyconfig + tests/vm/debug-kernel.config (merge_config.sh) + olddefconfig
# Prints the build directory (usable as KDIR) on stdout.
#   debug-kernel.sh build   build if missing
#   debug-kernel.sh path    print the directory if built, fail otherwise
# The build also makes a test signing key the kernel trusts, for the module
# signing test: $out/c2w-test-signing.key (PEM) and .der (the certificate,
# in the form mokutil takes).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${C2W_CACHE:-$HOME/.cache/c2watch}
frag=$top/tests/vm/debug-kernel.config
dir=$cache/debug-kernel
src=$dir/linux-source-6.1
out=$dir/build
stamp=$out/.c2watch-$(sha256sum "$frag" | cut -c1-16)

case "${1:-build}" in
path)
	[ -f "$stamp" ] || exit 1
	echo "$out"
	exit 0
	;;
build) ;;
*) echo "usage: debug-kernel.sh build|path" >&2; exit 2 ;;
esac

if [ -f "$stamp" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$dir"
if [ ! -f "$src/Makefile" ]; then
	echo "debug-kernel: extracting linux-source-6.1" >&2
	tar -C "$dir" -xJf /usr/src/linux-source-6.1.tar.xz
fi
rm -rf "$out"
mkdir -p "$out"
mk() { make -C "$src" O="$out" ARCH=x86_64 "$@"; }
echo "debug-kernel: configuring (tinyconfig + $(basename "$frag"))" >&2
mk tinyconfig >&2
key=$out/c2w-test-signing
openssl req -new -x509 -newkey rsa:2048 -sha256 -nodes -days 36500 \
	-subj "/CN=c2watch test module signing key/" \
	-keyout "$key.key" -out "$key.pem" 2>/dev/null
openssl x509 -in "$key.pem" -outform DER -out "$key.der"
echo "CONFIG_SYSTEM_TRUSTED_KEYS=\"$key.pem\"" > "$out/keys.config"
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" \
	"$out/keys.config" >&2
mk olddefconfig >&2
missing=
while read -r line; do
	case "$line" in CONFIG_*) grep -qx "$line" "$out/.config" ||
		missing="$missing $line" ;; esac
done < <(cat "$frag" "$out/keys.config")
if [ -n "$missing" ]; then
	echo "debug-kernel: olddefconfig dropped:$missing" >&2
	exit 1
fi
echo "debug-kernel: building (about 11 minutes on 2 cores)" >&2
start=$(date +%s)
# The default target writes Module.symvers; modules_prepare readies the
# tree for external modules.
mk -j"$(nproc)" >&2
mk modules_prepare >&2
echo "debug-kernel: built in $(( $(date +%s) - start ))s" >&2
touch "$stamp"
echo "$out"
