#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check": every gate c2watch has, each reported as a KTAP line, then one
# summary line "N passed, N failed" counted over the gates, the unit tests and
# the selftests run in the VM. Exits non-zero if anything failed.
#
# Gates: userspace build with -Werror, unit tests under ASan/UBSan, module
# build with W=1 (no warnings), sparse C=2 (no warnings), checkpatch --strict
# on kmod/ and include/ (clean), selftests in the VM, installing on a host
# (make install, man pages, Debian packages, DKMS; the installed tree in the
# VM; the packages installed with dpkg in a Debian VM running systemd) and,
# with the debug kernel, module signing under sig_enforce.
#
# Two lanes: the VM runs single-threaded TCG (tests/vm/run.sh), one host
# core each, so the debug-kernel tier (building that kernel first when
# C2W_DEBUG_KERNEL_BUILD=1 and it is not cached) runs in the background on
# the other core, on a copy of the VM payload taken once it is built. Its
# result lines are printed when it ends, before the count; every gate's
# wall time is printed last.
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/check
rm -rf "$out"
mkdir -p "$out"
: > "$out/ktap"
n=0
# Where this lane's gate lines and wall times go (the debug lane has its own).
ktapf=$out/ktap
timesf=$out/times
vmrun=tests/vm/run.sh

# took SINCE NAME: note NAME's wall time for the table at the end.
took() { echo "$((SECONDS - $1)) s	$2" >> "$timesf"; }

# gate NAME LOG CMD...: run CMD, pass if it exits 0 and its output holds no
# compiler/sparse warning. The log is shown when the gate fails.
gate() {
	local name=$1 log=$out/$2 rc t0=$SECONDS
	shift 2
	echo "== $name" >&2
	"$@" > "$log" 2>&1
	rc=$?
	n=$((n + 1))
	if [ $rc -eq 0 ] && ! grep -qE '(warning|error):' "$log"; then
		echo "ok $n $name" | tee -a "$ktapf"
	else
		echo "not ok $n $name (exit $rc)" | tee -a "$ktapf"
		sed 's/^/#   /' "$log" | tail -n 60
	fi
	took $t0 "$name"
}

# The kbuild gates need fresh objects, or nothing is compiled and checked.
kclean() { make -s module-clean >/dev/null 2>&1; rm -f kmod/*.o; }

# vm_gate NAME JOB LOG [VAR=value]...: run a VM job with those variables,
# show its KTAP lines, and count the run as a whole as one more gate (a
# kernel splat or a crashed VM fails it even when every test passed).
vm_gate() {
	local name=$1 job=$2 log=$out/$3 rc t0=$SECONDS
	shift 3
	echo "== $name" >&2
	if env "$@" "$vmrun" "$job" > "$log" 2> "$log.err"; then
		rc=0
	else
		rc=1
	fi
	grep -E '^(not )?ok |^# ' "$log"
	n=$((n + 1))
	if [ $rc -eq 0 ]; then
		echo "ok $n $name" | tee -a "$ktapf"
	else
		echo "not ok $n $name" | tee -a "$ktapf"
		cat "$log.err" >&2
	fi
	took $t0 "$name"
}

# ---- the debug lane -----------------------------------------------------
# Waits for the VM payload (the main lane's "module and VM payload build"),
# works on a copy of it in $snap so that the main lane may rebuild freely.
snap=$PWD/build/check-debug
ready=$out/payload-ready
debug_lane() {
	local dbg dmod=build/debug-mod t0=$SECONDS
	ktapf=$out/ktap-debug
	timesf=$out/times-debug
	vmrun=$snap/tests/vm/run.sh
	n=0
	# Second in line for the CPU: the main lane's VM tests time things.
	renice -n 10 -p "$BASHPID" >/dev/null
	if [ "${C2W_DEBUG_KERNEL_BUILD:-}" = 1 ] &&
	   ! tests/vm/debug-kernel.sh path >/dev/null 2>&1; then
		gate "debug test kernel builds (tinyconfig + debug-kernel.config)" \
			debug-kernel-build.log build_debug_kernel
	fi
	if ! dbg=$(tests/vm/debug-kernel.sh path 2>/dev/null); then
		# Not silent: the tier is reported, and counted, as skipped.
		echo "ok $((n + 1)) debug-kernel tier: KASAN, lockdep, kmemleak, fault injection, module signing # SKIP debug kernel not built (make debug-kernel, about 11 min)" |
			tee -a "$ktapf"
		return
	fi
	# Not past the main lane: an interrupted make check ends both.
	while [ ! -e "$ready" ]; do
		kill -0 $$ 2>/dev/null || exit 1
		sleep 5
	done
	if [ "$(cat "$ready")" != ok ]; then
		echo "not ok - debug-kernel tier: the VM payload did not build" |
			tee -a "$ktapf"
		return
	fi
	took $t0 "debug lane: waiting for the debug kernel and the payload"
	rm -rf "$dmod"
	mkdir -p "$dmod/kmod"
	cp -r "$snap/Kbuild" "$snap/include" "$dmod/"
	cp "$snap"/kmod/*.[ch] "$dmod/kmod/"
	gate "module builds for the debug kernel" debug-module.log \
		make -C "$dbg" M="$PWD/$dmod" modules
	vm_gate "debug-kernel VM run clean (KASAN, lockdep, kmemleak, UBSAN)" \
		debug vm-debug.log C2W_VM_KERNEL="$dbg/arch/x86/boot/bzImage" \
		C2W_VM_KO="$PWD/$dmod/c2watch.ko" C2W_VM_MEM=2G \
		C2W_VM_LOG_DIR="$PWD/build/vm-debug" C2W_VM_TIMEOUT=3600

	# make sign (tests/install/sign_test.sh), then the VM loading what it
	# signed and refusing a copy changed after signing.
	gate "make sign KEY= CERT= signs (and re-signs) the module" sign.log \
		"$snap/tests/install/sign_test.sh" "$dbg" "$PWD/build/vm-sign"
	vm_gate "signed module VM job (module.sig_enforce=1) completed cleanly" \
		sign vm-sign.log C2W_VM_KERNEL="$dbg/arch/x86/boot/bzImage" \
		C2W_VM_KO="$PWD/$dmod/c2watch.ko" C2W_VM_MEM=2G \
		C2W_VM_OVERLAY="$PWD/build/vm-sign" \
		C2W_VM_APPEND=module.sig_enforce=1 \
		C2W_VM_LOG_DIR="$PWD/build/vm-sign-log" C2W_VM_TIMEOUT=1200
}
# The kernel's build prints warnings of its own (objtool, Kconfig): only its
# exit status counts, the end of its log is shown when it fails.
build_debug_kernel() {
	tests/vm/debug-kernel.sh build > "$out/debug-kernel-build.full" 2>&1 ||
		{ tail -n 60 "$out/debug-kernel-build.full"; return 1; }
}
rm -rf "$snap"
# Its own process group, ended with make check however that ends.
set -m
debug_lane > "$out/debug-lane.out" 2> "$out/debug-lane.err" &
debug_pid=$!
set +m
trap 'kill -- -"$debug_pid" 2>/dev/null' EXIT
trap 'exit 130' INT TERM

gate "userspace builds with -Werror" userspace.log \
	make -s WERROR=1 userspace selftests
gate "unit tests build under ASan/UBSan" unit-build.log \
	make -s WERROR=1 build/unit-tests
# ktap LOG CMD...: run a program that prints KTAP and keep its lines for the
# count. One that dies (a sanitizer abort) fails even without "not ok".
ktap() {
	local log=$out/$1 rc t0=$SECONDS
	shift
	echo "== $*" >&2
	"$@" | tee "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$log"; then
		echo "not ok - $* exited with status $rc" | tee -a "$log"
	fi
	took $t0 "$*"
}

[ -x build/unit-tests ] && ktap unit.log build/unit-tests
kclean
gate "module builds with W=1, no warnings" module-w1.log make module-w1
kclean
gate "sparse (C=2) clean" sparse.log make sparse
gate "checkpatch --strict clean" checkpatch.log make -s checkpatch
# kbuild's clean (kclean above) removes every *.ko below the tree, the VM
# helpers' test-only module too: build what the VM runs again.
gate "module and VM payload build" module.log make module selftests
# The debug lane's copy: what run.sh and sign_test.sh read from the tree.
if tail -n 1 "$ktapf" | grep -q '^ok ' && mkdir -p "$snap/build" "$snap/kmod" \
	"$snap/userspace" &&
	cp -r Makefile Kbuild include scripts tests "$snap/" &&
	cp kmod/*.[ch] "$snap/kmod/" && cp -r userspace/rules "$snap/userspace/" &&
	cp -a build/c2watchctl build/c2watchd build/selftests build/vm-helpers \
		"$snap/build/"; then
	echo ok > "$ready.tmp"
else
	echo failed > "$ready.tmp"
fi
mv "$ready.tmp" "$ready"	# whole, or the lane could read it empty
gate "no two kmod files call each other, directly or around a loop" \
	layers.log scripts/kmod-layers.sh kmod
# A plain make installs nothing: with a -dev package missing (a stub
# dpkg-query says so) it stops before building, on one line naming it.
plain_make_names_missing() {
	local stub=$out/stub-bin msgs
	mkdir -p "$stub"
	printf '#!/bin/sh\n[ "$3" = libjson-c-dev ] && exit 1\nexec /usr/bin/dpkg-query "$@"\n' \
		> "$stub/dpkg-query"
	chmod +x "$stub/dpkg-query"
	msgs=$(env -u C2W_DEPS_DONE PATH="$stub:$PATH" make -s userspace 2>&1)
	[ $? -ne 0 ] || { echo "make succeeded"; return 1; }
	echo "$msgs"
	[ "$(echo "$msgs" | wc -l)" -eq 1 ] &&
		echo "$msgs" | grep -q "missing Debian packages: libjson-c-dev\."
}
gate "a plain make with a -dev package missing stops on one line naming it" \
	plain-make.log plain_make_names_missing
# The unit as installed, with stand-ins for binaries not on this host. Any
# complaint of systemd-analyze fails it (its messages carry no "warning:"),
# but for the man pages "make install" provides. The same check on a unit
# with an unknown key and a missing ExecStart binary must fail, or the gate
# could not tell a broken unit from a good one.
verify_unit() {
	local msgs
	command -v systemd-analyze >/dev/null ||
		{ echo "systemd-analyze not found (package systemd)"; return 1; }
	msgs=$(systemd-analyze verify "$1" 2>&1 | grep -v "Command 'man ")
	[ -z "$msgs" ] || { echo "$msgs"; return 1; }
}
sed 's|/usr/sbin/c2watchd|/bin/true|; s|/sbin/modprobe|/bin/true|' \
	userspace/c2watchd.service > "$out/c2watchd.service"
mkdir -p "$out/broken"
sed 's|/usr/sbin/c2watchd|/nonexistent/c2watchd|; s|/sbin/modprobe|/bin/true|;
     s|^UMask=|Bogus=1\nUMask=|' userspace/c2watchd.service \
	> "$out/broken/c2watchd.service"
refuses_broken() {
	! verify_unit "$out/broken/c2watchd.service" > "$out/broken/msgs" &&
		grep -q "Bogus" "$out/broken/msgs" &&
		grep -q "/nonexistent/c2watchd" "$out/broken/msgs"
}
gate "systemd unit verifies" systemd.log verify_unit "$out/c2watchd.service"
gate "systemd unit gate refuses a broken unit (unknown key, missing binary)" \
	systemd-broken.log refuses_broken


vm_gate "VM run completed cleanly" check vm.log

# Every kind of document c2watchd wrote in that run, against Elastic's ECS
# field table (npm @elastic/ecs).
ktap ecs.log tests/ecs/validate.sh "$out/vm.log"
# The Elasticsearch assets, structurally, and against those documents.
ktap elastic.log node tests/elastic/check.js \
	"${C2W_CACHE:-$HOME/.cache/c2watch}/npm/node_modules" userspace/elastic \
	"$out/vm.log"
# Fleet mode on those documents: c2watchctl eval per host and --fleet.
ktap fleet.log tests/elastic/fleet.sh "$out/vm.log" build/c2watchctl

# The demo as "make demo" runs it: every alert it announces must appear and
# every silence must be the module's decision. Then the same job with
# Elastic's rule exactly as published, which excludes private sources and so
# is silent on this private-address VM: the job must notice and fail.
vm_gate "make demo: every announced alert and silence held" demo vm-demo.log \
	C2W_VM_LOG_DIR=build/vm-demo
echo "== the demo fails when its alerts do not come (upstream rule)" >&2
t0=$SECONDS
n=$((n + 1))
dlog=$out/vm-demo-upstream.log
if C2W_VM_APPEND=c2w.demo_rules=upstream C2W_VM_LOG_DIR=build/vm-demo-up \
	tests/vm/run.sh demo > "$dlog" 2>&1; then
	rc=1	# it passed: the demo cannot tell silence from detection
else
	grep -q '^not ok .* alert for /tmp/.cache/kworker' "$dlog"
	rc=$?
fi
if [ $rc -eq 0 ]; then
	echo "ok $n the demo fails when its alerts do not come (upstream rule)" |
		tee -a "$out/ktap"
else
	echo "not ok $n the demo fails when its alerts do not come (upstream rule)" |
		tee -a "$out/ktap"
	tail -n 40 "$dlog" | sed 's/^/#   /'
fi
took $t0 "the demo fails when its alerts do not come (upstream rule)"

# The kernels hosts run (tests/vm/kernels.sh): the full selftests on 6.12
# as on 6.1 above; on 5.10 and the newest (sid) the module builds with
# that release's own compiler, loads, and passes the engine selftest.
echo "== kernel matrix: 6.12, 5.10 (quick), newest (quick)" >&2
t0=$SECONDS
tests/vm/matrix.sh --ktap 6.12 5.10:quick newest:quick | tee "$out/matrix.log"
took $t0 "kernel matrix: 6.12, 5.10 (quick), newest (quick)"

# Installing on a host: make install/uninstall into a DESTDIR, man pages,
# the Debian packages with lintian, DKMS building the packaged source
# (build/dkms-vm/c2watch.ko); then, in the VM, the installed tree run as
# the unit runs it and the DKMS-built module loaded.
ktap install.log tests/install/install_test.sh
ktap deb.log tests/install/deb_test.sh
inst=build/vm-install
rm -rf "$inst"
gate "make install into the VM's root" vm-install-root.log \
	make install DESTDIR="$PWD/$inst" PREFIX=/usr MODULES_LOAD=1
mkdir -p "$inst/c2w/dkms"
cp build/dkms-vm/c2watch.ko "$inst/c2w/dkms/" 2>/dev/null
vm_gate "VM install job completed cleanly" install vm-install.log \
	C2W_VM_OVERLAY="$PWD/$inst" C2W_VM_LOG_DIR=build/vm-install-log

# The packages as an administrator installs them: dpkg, DKMS and systemd in
# a Debian 12 system (debootstrap from the host's mirror, cached), booted
# on 6.1; DKMS builds the module for the kernel it runs. One VM, not one per
# kernel: each DKMS build under TCG takes about 9 minutes, the 6.12 module is
# run by the kernel matrix, and its DKMS build for a later kernel is checked
# natively by tests/install/deb_test.sh.
# An upgrade of c2watch to test with: the built package repacked as a
# newer version whose shipped rule file changed, as a real update's would.
upgrade_deb() {
	local t=build/deb/upgrade-tree
	rm -rf "$t" "$1"
	mkdir -p "$1"
	dpkg-deb -R build/deb/c2watch_*_amd64.deb "$t" &&
	sed -i 's/^Version: .*/&+upgrade1/' "$t/DEBIAN/control" &&
	sed -i 's/c2watch local variant: /c2watch local variant (upgraded): /' \
		"$t/etc/c2watch/rules.d/suspicious_network_unknown_executable.ndjson" &&
	dpkg-deb -b "$t" "$1/c2watch_upgrade_amd64.deb" >/dev/null
}

debpkg() {
	local series=$1 krel vmlinuz log=vm-debpkg-$1.log
	local t0=$SECONDS
	echo "== Debian 12 root for the package VM ($series)" >&2
	n=$((n + 1))
	eval "$(tests/vm/kernels.sh fetch "$series" 2> "$out/debian-root-$series.log")"
	krel=${KREL:-}
	vmlinuz=${VMLINUZ:-}
	if [ -n "$krel" ] && base=$(tests/vm/debian-root.sh "$krel" \
		2>> "$out/debian-root-$series.log"); then
		echo "ok $n Debian 12 root for the package VM ($krel)" | tee -a "$out/ktap"
		took $t0 "Debian 12 root for the package VM ($series)"
		rm -rf build/vm-debpkg
		mkdir -p build/vm-debpkg/c2w
		cp build/deb/c2watch_*.deb build/deb/c2watch-dkms_*.deb \
			build/vm-debpkg/c2w/ 2>/dev/null
		upgrade_deb build/vm-debpkg/c2w/upgrade
		vm_gate "Debian package VM job on $krel completed cleanly" \
			debpkg "$log" C2W_VM_BASE_INITRD="$base" \
			C2W_VM_KERNEL="$vmlinuz" \
			C2W_VM_OVERLAY="$PWD/build/vm-debpkg" C2W_VM_MEM=2G \
			C2W_VM_LOG_DIR="build/vm-debpkg-$series-log" \
			C2W_VM_TIMEOUT=1500
	else
		echo "not ok $n Debian 12 root for the package VM ($series)" | tee -a "$out/ktap"
		tail -n 30 "$out/debian-root-$series.log" | sed 's/^/#   /'
	fi
}
debpkg 6.1

# The debug lane's results, once it has finished.
echo "== waiting for the debug lane" >&2
wait "$debug_pid"
rc=$?
sed 's/^/[debug lane] /' "$out/debug-lane.err" >&2
cat "$out/debug-lane.out"
# A lane that died (a signal, the OOM killer) must not pass by saying nothing.
if [ $rc -ne 0 ] || [ ! -s "$out/ktap-debug" ]; then
	echo "not ok - the debug lane ended with status $rc, ktap-debug: $(wc -l < "$out/ktap-debug" 2>/dev/null || echo none)" |
		tee -a "$out/ktap"
fi

# Where the time went: every gate, in each lane, longest first.
echo "# wall time per gate (main lane; the debug lane ran beside it):"
sort -rn "$out/times" | sed 's/^/#   /'
echo "# debug lane:"
sort -rn "$out/times-debug" 2>/dev/null | sed 's/^/#   /'
echo "# make check took $SECONDS s"

# Only top-level KTAP result lines count; harness sub-lines start with "#".
all=$(cd "$out" && cat ktap ktap-debug unit.log ecs.log elastic.log fleet.log install.log deb.log vm.log vm-demo.log \
	matrix.log vm-install.log vm-debpkg-*.log vm-debug.log vm-sign.log \
	2>/dev/null)
skips=$(grep -E '^ok .*# SKIP' <<< "$all")
skipped=$(grep -c . <<< "$skips")
passed=$(grep -E '^ok ' <<< "$all" | grep -cv '# SKIP')
failed=$(grep -cE '^not ok ' <<< "$all")
echo "# $skipped skipped:"
[ "$skipped" -eq 0 ] || sed 's/^ok [0-9-]* */#   /' <<< "$skips"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
