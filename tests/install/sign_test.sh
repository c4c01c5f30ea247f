#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sign_test.sh DBG OVERLAY: "make sign" twice (the second relinks the
# signed module first) with the test key the debug kernel DBG trusts, in a
# copy of the tree; then OVERLAY/c2w/signed/c2watch.ko, and
# OVERLAY/c2w/tampered/c2watch.ko changed after signing, for the VM job
# that must load the first and refuse the second (tests/vm/job-sign.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
dbg=$1 overlay=$2
key=$dbg/c2w-test-signing
sgn=build/debug-sign
rm -rf "$sgn" "$overlay"
mkdir -p "$sgn/kmod" "$overlay/c2w/signed" "$overlay/c2w/tampered"
cp Makefile Kbuild "$sgn/"
cp -r include scripts "$sgn/"
cp kmod/*.[ch] "$sgn/kmod/"

m=(make -C "$sgn" C2W_DEPS_DONE=1 KDIR="$dbg" KEY="$key.key"
   CERT="$key.der" sign)
"${m[@]}" || exit 1
"${m[@]}" > build/sign2.log 2>&1
r=$?
cat build/sign2.log
[ $r -eq 0 ] && grep -q 'already signed, relinking' build/sign2.log || exit 1
signer=$(modinfo -F signer "$sgn/c2watch.ko")
[ "$signer" = "c2watch test module signing key" ] ||
	{ echo "signer is '$signer'"; exit 1; }

cp "$sgn/c2watch.ko" "$overlay/c2w/signed/"
t=$overlay/c2w/tampered/c2watch.ko
cp "$sgn/c2watch.ko" "$t"
# Flip one byte of .text: still a valid ELF, no longer what was signed.
off=$(readelf -SW "$t" | sed -n \
	's/.*] \.text  *PROGBITS  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
off=$((0x$off + 16))
b=$(od -An -tu1 -j "$off" -N1 "$t" | tr -d ' ')
printf "\\$(printf %o $(( (b + 1) % 256 )))" |
	dd of="$t" bs=1 seek="$off" conv=notrunc status=none
if cmp -s "$sgn/c2watch.ko" "$t"; then
	echo "tampering failed"
	exit 1
fi
