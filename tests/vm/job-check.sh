#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for "make check": every selftest, then the lock test last, on a
# fresh load: after it the module cannot be unloaded.
. /c2w/selftests.sh
rc=0
run_selftests || exit 1
# The quick tier (c2w.only=...) runs one selftest, not the lock test.
[ -n "$only" ] && exit $rc
insmod /c2w/c2watch.ko || rc=1
echo "# running c2w_zlock_test"
C2W_LOCK_OK=1 /c2w/c2w_zlock_test || rc=1

# What lock cannot stop: rmmod -f (CONFIG_MODULE_FORCE_UNLOAD, Debian's
# default). With a reader holding the device, the unload must wait for the
# file to close rather than leave it pointing at freed code; the host side
# fails the run on any oops.
exec 3</dev/c2watch
# Not inherited by rmmod itself, or it would hold the file it waits on.
rmmod -f c2watch 2>/dev/null 3<&- &
rmpid=$!
sleep 3
if kill -0 $rmpid 2>/dev/null && grep -q '^c2watch ' /proc/modules; then
	echo "ok - rmmod -f waits while a reader holds the device"
else
	echo "not ok - rmmod -f did not wait for the open reader"
	rc=1
fi
exec 3<&-
wait $rmpid
st=$?
if [ $st -eq 0 ] && ! grep -q '^c2watch ' /proc/modules &&
   [ ! -e /dev/c2watch ]; then
	echo "ok - rmmod -f finishes once the reader closed; no oops"
else
	echo "not ok - rmmod -f after the reader closed: status $st"
	rc=1
fi
exit $rc
