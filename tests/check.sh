#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check": every gate c2watch has, each reported as a KTAP line, then one
# summary line "N passed, N failed" counted over the gates, the unit tests and
# the selftests run in the VM. Exits non-zero if anything failed.
#
# Gates: userspace build with -Werror, unit tests under ASan/UBSan, module
# build with W=1 (no warnings), sparse C=2 (no warnings), checkpatch --strict
# on kmod/ and include/ (clean), selftests in the VM.
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/check
rm -rf "$out"
mkdir -p "$out"
: > "$out/ktap"
n=0

# gate NAME LOG CMD...: run CMD, pass if it exits 0 and its output holds no
# compiler/sparse warning. The log is shown when the gate fails.
gate() {
	local name=$1 log=$out/$2 rc
	shift 2
	echo "== $name" >&2
	"$@" > "$log" 2>&1
	rc=$?
	n=$((n + 1))
	if [ $rc -eq 0 ] && ! grep -qE '(warning|error):' "$log"; then
		echo "ok $n $name" | tee -a "$out/ktap"
	else
		echo "not ok $n $name (exit $rc)" | tee -a "$out/ktap"
		sed 's/^/#   /' "$log" | tail -n 60
	fi
}

# The kbuild gates need fresh objects, or nothing is compiled and checked.
kclean() { make -s module-clean >/dev/null 2>&1; rm -f kmod/*.o; }

gate "userspace builds with -Werror" userspace.log \
	make -s WERROR=1 userspace selftests
gate "unit tests build under ASan/UBSan" unit-build.log \
	make -s WERROR=1 build/unit-tests
if [ -x build/unit-tests ]; then
	echo "== unit tests" >&2
	build/unit-tests | tee "$out/unit.log"
	urc=${PIPESTATUS[0]}
	# A runner that dies (a sanitizer abort) fails even without "not ok".
	if [ "$urc" -ne 0 ] && ! grep -q '^not ok' "$out/unit.log"; then
		echo "not ok - unit test runner exited with status $urc" |
			tee -a "$out/unit.log"
	fi
fi
kclean
gate "module builds with W=1, no warnings" module-w1.log make module-w1
kclean
gate "sparse (C=2) clean" sparse.log make sparse
gate "checkpatch --strict clean" checkpatch.log make -s checkpatch
gate "module builds" module.log make module
if command -v systemd-analyze >/dev/null; then
	# The unit as installed, with stand-ins for binaries not on this host.
	sed 's|/usr/sbin/c2watchd|/bin/true|; s|/sbin/modprobe|/bin/true|' \
		userspace/c2watchd.service > "$out/c2watchd.service"
	# Any complaint but the man pages "make install" provides fails it.
	verify_unit() {
		! systemd-analyze verify "$out/c2watchd.service" 2>&1 |
			grep -v "Command 'man " | grep .
	}
	gate "systemd unit verifies" systemd.log verify_unit
fi

# vm_gate NAME JOB LOG [VAR=value]...: run a VM job with those variables,
# show its KTAP lines, and count the run as a whole as one more gate (a
# kernel splat or a crashed VM fails it even when every test passed).
vm_gate() {
	local name=$1 job=$2 log=$out/$3 rc
	shift 3
	echo "== $name" >&2
	if env "$@" tests/vm/run.sh "$job" > "$log" 2> "$log.err"; then
		rc=0
	else
		rc=1
	fi
	grep -E '^(not )?ok |^# ' "$log"
	n=$((n + 1))
	if [ $rc -eq 0 ]; then
		echo "ok $n $name" | tee -a "$out/ktap"
	else
		echo "not ok $n $name" | tee -a "$out/ktap"
		cat "$log.err" >&2
	fi
}

vm_gate "VM run completed cleanly" check vm.log

# The debug kernel tier, whenever the debug kernel is in the cache
# (tests/vm/debug-kernel.sh build; .ci/run builds it when missing).
if dbg=$(tests/vm/debug-kernel.sh path 2>/dev/null); then
	dmod=build/debug-mod
	rm -rf "$dmod"
	mkdir -p "$dmod"
	cp -r Kbuild kmod include "$dmod/"
	gate "module builds for the debug kernel" debug-module.log \
		make -C "$dbg" M="$PWD/$dmod" modules
	vm_gate "debug-kernel VM run clean (KASAN, lockdep, kmemleak, UBSAN)" \
		debug vm-debug.log C2W_VM_KERNEL="$dbg/arch/x86/boot/bzImage" \
		C2W_VM_KO="$dmod/c2watch.ko" C2W_VM_MEM=2G \
		C2W_VM_LOG_DIR=build/vm-debug C2W_VM_TIMEOUT=3000
else
	echo "# debug kernel not built: tests/vm/debug-kernel.sh build (about 6-11 min)" >&2
fi

# Only top-level KTAP result lines count; harness sub-lines start with "#".
all=$(cat "$out/ktap" "$out/unit.log" "$out/vm.log" "$out/vm-debug.log" 2>/dev/null)
skipped=$(grep -cE '^ok .*# SKIP' <<< "$all")
passed=$(grep -E '^ok ' <<< "$all" | grep -cv '# SKIP')
failed=$(grep -cE '^not ok ' <<< "$all")
echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
