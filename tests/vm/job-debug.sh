#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for the debug kernel (KASAN, lockdep, kmemleak, UBSAN, failslab):
# the selftests that drive the module's own code paths (the device, the
# rules, the caches, fault injection, the ioctl fuzzer, netlink, the queue,
# the stress test), then a kmemleak scan after rmmod. Anything the kernel
# reports fails the run on the host side; a leak fails it here.
# c2w_ctl_test and c2w_daemon_test are left to the plain VM run: what they
# add is userspace behaviour, and under KASAN and TCG they alone took more
# than 12 minutes. A selftest added later runs here unless listed.
. /c2w/selftests.sh
KL=/sys/kernel/debug/kmemleak
rc=0

# Boot-time leaks are not ours: scan once and mark them seen. No scans but
# ours: kmemleak's own thread scans every 10 minutes, minutes each under
# KASAN and single-threaded TCG, and what it finds is only reported later.
if [ -w $KL ]; then
	echo scan=off > $KL
	t0=$(date +%s)
	echo scan > $KL
	echo clear > $KL
	echo "# kmemleak: boot-time scan took $(( $(date +%s) - t0 )) s"
fi
export C2W_SKIP="${C2W_SKIP:-ctl,daemon}"
export C2W_FUZZ_ITERS=${C2W_FUZZ_ITERS:-100000}
export C2W_STRESS_SECS=${C2W_STRESS_SECS:-60}
# Each load/unload cycle under load takes half a minute or more here; the
# plain VM run does 20.
export C2W_STRESS_CYCLES=${C2W_STRESS_CYCLES:-3}
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
