#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for "make check": load the module and run every selftest binary.
# Each selftest prints KTAP; the host counts the "ok" / "not ok" lines.
# The lock test goes last: after it the module cannot be unloaded.
if ! insmod /c2w/c2watch.ko; then
	echo "not ok 1 insmod c2watch.ko"
	exit 1
fi
export C2W_KO=/c2w/c2watch.ko
rc=0
for t in /c2w/c2w_*_test; do
	[ -x "$t" ] || continue
	case "$t" in */c2w_zlock_test) continue ;; esac
	echo "# running $(basename "$t")"
	"$t" || rc=1
done
if ! rmmod c2watch; then
	echo "not ok - rmmod c2watch after the tests"
	rc=1
fi
insmod /c2w/c2watch.ko || rc=1
echo "# running c2w_zlock_test"
C2W_LOCK_OK=1 /c2w/c2w_zlock_test || rc=1
exit $rc
