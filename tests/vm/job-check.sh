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
exit $rc
