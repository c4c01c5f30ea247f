#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for the debug kernel (KASAN, lockdep, kmemleak, UBSAN, failslab):
# every selftest, the fault injection test, then a kmemleak scan after
# rmmod. Anything the kernel reports fails the run on the host side; a leak
# fails it here.
. /c2w/selftests.sh
KL=/sys/kernel/debug/kmemleak
rc=0

# Boot-time leaks are not ours: scan once and mark them seen.
if [ -w $KL ]; then
	echo scan > $KL
	echo clear > $KL
fi
export C2W_FUZZ_ITERS=${C2W_FUZZ_ITERS:-100000}
export C2W_STRESS_SECS=${C2W_STRESS_SECS:-60}
# KASAN, lockdep and kmemleak under TCG: several times slower.
export C2W_TIME_SCALE=${C2W_TIME_SCALE:-6}
run_selftests "debug kernel" || exit 1
if [ -w $KL ]; then
	# Two scans: kmemleak reports an object only once it has stayed
	# unreferenced over a scan; freed-by-RCU objects need a grace period.
	sleep 2
	echo scan > $KL
	sleep 2
	echo scan > $KL
	if grep -q unreferenced $KL; then
		echo "not ok - kmemleak after rmmod"
		cat $KL
		rc=1
	else
		echo "ok - kmemleak after rmmod: nothing"
	fi
else
	echo "ok - kmemleak after rmmod # SKIP no kmemleak"
fi
exit $rc
