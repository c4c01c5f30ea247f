# SPDX-License-Identifier: GPL-2.0
# Sourced by the VM jobs that run the selftests (job-check.sh,
# job-debug.sh): load the module, run every selftest binary but the lock
# test (after it the module cannot be unloaded), unload. Each selftest
# prints KTAP; the host counts the "ok" / "not ok" lines.
#   run_selftests [NOTE]   sets rc=1 when anything failed; returns 1 when
#                          the module did not even load
# c2w.only=NAME[,NAME]... on the kernel command line runs only those
# c2w_NAME_test (the kernel matrix's quick tier: build, load, the engine
# selftest); C2W_SKIP=NAME[,NAME]..., set by a job, leaves those out. Each test's wall time is printed, so a run that grows
# shows where.
run_selftests() {
	if ! insmod /c2w/c2watch.ko; then
		echo "not ok 1 insmod c2watch.ko"
		return 1
	fi
	export C2W_KO=/c2w/c2watch.ko
	# Loaded: from here a missing /dev/c2watch fails a test, not skips it.
	export C2W_MODULE_LOADED=1
	only=$(sed -n 's/.*c2w\.only=\([a-z,]*\).*/\1/p' /proc/cmdline)
	for t in /c2w/c2w_*_test; do
		[ -x "$t" ] || continue
		case "$t" in */c2w_zlock_test) continue ;; esac
		st_name=${t#/c2w/c2w_}
		st_name=${st_name%_test}
		case ",$only," in ,,|*",$st_name,"*) ;; *) continue ;; esac
		case ",${C2W_SKIP:-}," in *",$st_name,"*) continue ;; esac
		echo "# running $(basename "$t")${1:+ ($1)}"
		st_t0=$(date +%s)
		"$t" || rc=1
		echo "# $(basename "$t") took $(( $(date +%s) - st_t0 )) s"
	done
	if ! rmmod c2watch; then
		echo "not ok - rmmod c2watch after the tests"
		rc=1
	fi
	return 0
}
