#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for "make check": load the module and run every selftest binary.
# Each selftest prints KTAP; the host counts the "ok" / "not ok" lines.
if ! insmod /c2w/c2watch.ko; then
	echo "not ok 1 insmod c2watch.ko"
	exit 1
fi
export C2W_KO=/c2w/c2watch.ko
rc=0
for t in /c2w/c2w_*_test; do
	[ -x "$t" ] || continue
	echo "# running $(basename "$t")"
	"$t" || rc=1
done
if [ -e /sys/module/c2watch ] && ! rmmod c2watch; then
	echo "not ok - final rmmod c2watch"
	rc=1
fi
exit $rc
