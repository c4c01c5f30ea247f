#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the Debian cloud kernel matching the installed headers in QEMU with a
# busybox initramfs holding c2watch.ko, the userspace programs and the
# selftests, run a job inside, and return its exit status.
#
#   run.sh JOB     runs tests/vm/job-JOB.sh in the VM:
#     check        the selftests (KTAP on stdout)
#     demo         show c2watch at work
#     debug        the selftests on the debug kernel (C2W_VM_KERNEL)
#     install      a "make install" tree and the DKMS module (C2W_VM_OVERLAY)
#     sign         signed, unsigned and tampered modules under sig_enforce
#     debpkg       the Debian packages installed in a Debian system
#     bench        the benchmarks (make bench)
#
# The VM never gets a network device (-nic none): tests/vm/net.sh makes the
# VM a private-address host whose default route leads to a gateway network
# namespace inside the VM that owns the "internet" addresses. The whole serial console is kept
# in $C2W_VM_LOG_DIR/console.log and printed when anything fails; a kernel
# oops, BUG, WARNING, refcount_t or sanitizer line fails the run.
#
# Environment: KDIR (headers the module was built against), C2W_CACHE,
# C2W_VM_ACCEL (tcg by default; kvm is an opt-in for real hosts),
# C2W_VM_TCG_THREAD (single by default, see below), C2W_VM_ICOUNT (below),
# C2W_VM_TIMEOUT (seconds, default 900), C2W_VM_KERNEL (a bzImage to boot
# instead of the Debian one), C2W_VM_KO (the module to put in the VM),
# C2W_VM_LOG_DIR, C2W_VM_OVERLAY (a folder copied over the initramfs root,
# e.g. a "make install" DESTDIR), C2W_VM_APPEND (more kernel parameters),
# C2W_VM_BASE_INITRD (boot this root instead of busybox: debian-root.sh).
set -euo pipefail

job=${1:?usage: run.sh check|demo|debug|install|sign|bench}
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${C2W_CACHE:-$HOME/.cache/c2watch}
kdir=${KDIR:-$("$top/scripts/kdir.sh")}
accel=${C2W_VM_ACCEL:-tcg}
tmo=${C2W_VM_TIMEOUT:-900}
logdir=${C2W_VM_LOG_DIR:-$top/build/vm}
mkdir -p "$logdir"
console=$logdir/console.log
results=$logdir/results.log

die() { echo "run.sh: $*" >&2; exit 1; }

# The Debian image package whose version matches the headers exactly.
fetch_kernel() {
	local krel pkgver dir deb
	krel=$(basename "$kdir" | sed 's/^linux-headers-//')
	[ -f "$kdir/include/generated/utsrelease.h" ] &&
		krel=$("$top/scripts/krel.sh" "$kdir")
	pkgver=$(dpkg-query -W -f='${Version}' "linux-headers-$krel") ||
		die "linux-headers-$krel is not a Debian package; set C2W_VM_KERNEL"
	dir=$cache/kernel/$krel-$pkgver
	if [ ! -f "$dir/boot/vmlinuz-$krel" ]; then
		echo "run.sh: fetching linux-image-$krel=$pkgver" >&2
		mkdir -p "$dir/deb"
		(cd "$dir/deb" && apt-get download -q \
			"linux-image-$krel=$pkgver" >&2 2>/dev/null) ||
			die "apt-get download linux-image-$krel=$pkgver failed"
		deb=$(ls "$dir"/deb/*.deb | head -n 1)
		dpkg -x "$deb" "$dir"
		rm -rf "$dir/deb"
	fi
	echo "$dir/boot/vmlinuz-$krel"
}

kernel=${C2W_VM_KERNEL:-$(fetch_kernel)}
ko=${C2W_VM_KO:-$top/c2watch.ko}
[ -f "$ko" ] || die "$ko not built (make module)"

# --- initramfs -------------------------------------------------------------
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
if [ -n "${C2W_VM_BASE_INITRD:-}" ]; then
	# A whole system to boot (tests/vm/debian-root.sh): this archive only
	# adds /c2w, unpacked by the kernel after the base one.
	mkdir -p "$root/c2w"
	cp "$top"/build/vm-helpers/c2w-beacon \
		"$top"/build/vm-helpers/c2w-gateway "$root/c2w/"
else
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root,c2w,usr/bin,usr/sbin}
	cp /bin/busybox "$root/bin/busybox"
	cp "$ko" "$root/c2w/"
	# Test-only modules (built for the default kernel; a test skips
	# where they do not load).
	cp "$top"/build/vm-helpers/*.ko "$root/c2w/" 2>/dev/null || true

	# An ELF and every shared library ldd says it needs, at the same paths.
	add_elf() {
		local f=$1 lib
		cp "$f" "$root/c2w/"
		for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	}
	# iproute2's ip: busybox's cannot make network namespaces (net.sh).
	for f in "$top"/build/c2watchctl "$top"/build/c2watchd \
		 "$top"/build/selftests/* "$top"/build/vm-helpers/* \
		 "$(command -v ip)"; do
		[ -f "$f" ] && [ -x "$f" ] && add_elf "$f"
	done
	# The benchmark job's extras: storm, the bare-kprobe module, auditd, and
	# generated seen sets.
	if [ "$job" = bench ]; then
		for f in "$top"/build/bench/*; do
			[ -f "$f" ] || continue
			case "$f" in
			*.ko|*.ndjson) cp "$f" "$root/c2w/" ;;
			*) [ -x "$f" ] && add_elf "$f" ;;
			esac
		done
		add_elf /usr/sbin/auditd
		add_elf /usr/sbin/auditctl
		# The knobs (C2W_BENCH_N, _ROUNDS, _LOAD_RATES, ...): the VM
		# has no environment of ours, job-bench.sh reads this.
		env | grep '^C2W_BENCH_[A-Z_]*=' |
			sed "s/'/'\\\\''/g; s/=\(.*\)/='\1'/" \
			> "$root/c2w/bench.env" || true
	fi
	cp "$top/tests/vm/init" "$root/init"
	chmod +x "$root/init"
	[ -d "$top/userspace/rules" ] && cp -r "$top/userspace/rules" "$root/c2w/"
fi
if [ -n "${C2W_VM_OVERLAY:-}" ]; then
	cp -a "$C2W_VM_OVERLAY"/. "$root"/
	chmod 755 "$root"
fi
cp "$top/tests/vm/job-$job.sh" "$root/c2w/job.sh"
cp "$top/tests/ktap.sh" "$top/tests/vm/selftests.sh" "$top/tests/vm/net.sh" \
	"$root/c2w/"
# veth for net.sh, from the booted kernel's own modules when it has them
# (the debug kernel has it built in), uncompressed for busybox's insmod.
# The modules sit in ../lib/modules beside boot/vmlinuz, or around the
# vmlinuz in usr/lib/modules/RELEASE/ (the split packages of newer releases).
vko=$(find "$(dirname "$kernel")" "$(dirname "$kernel")/../lib/modules" \
	-name 'veth.ko*' 2>/dev/null | head -n 1 || true)
case "$vko" in
*.xz) xz -dc "$vko" > "$root/c2w/veth.ko" ;;
*.zst) zstd -qdc "$vko" > "$root/c2w/veth.ko" ;;
?*) cp "$vko" "$root/c2w/veth.ko" ;;
esac
chmod +x "$root/c2w/job.sh"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$logdir/job.cpio.gz"
cat ${C2W_VM_BASE_INITRD:+"$C2W_VM_BASE_INITRD"} "$logdir/job.cpio.gz" \
	> "$logdir/initramfs.gz"

# --- boot --------------------------------------------------------------------
# Single-threaded TCG by default: with thread=multi we saw a vCPU spin for
# minutes on a stale int3 at tcp_v4_connect+0 after another vCPU had
# patched the kprobe away (kprobe register/unregister under a connect
# storm), which real hardware's cross-modifying-code rules do not allow.
# C2W_VM_TCG_THREAD=multi brings the faster mode back.
accel_args=(-accel "tcg,thread=${C2W_VM_TCG_THREAD:-single}")
[ "$accel" = kvm ] && accel_args=(-accel kvm -cpu host)
# C2W_VM_ICOUNT=SHIFT: the guest's clocks count instructions, 2^SHIFT ns
# each, instead of following the host's (QEMU -icount; TCG only). Timings
# inside the VM then measure the work done, whatever the host's load. One
# vCPU: QEMU 7.2 did not finish bringing the second one up under icount.
smp=2
if [ -n "${C2W_VM_ICOUNT:-}" ]; then
	if [ "$accel" != tcg ] || [ "${C2W_VM_TCG_THREAD:-single}" != single ]; then
		die "C2W_VM_ICOUNT needs single-threaded TCG"
	fi
	accel_args+=(-icount "shift=$C2W_VM_ICOUNT,sleep=off")
	smp=1
fi

: > "$console"
rm -f "$results"
echo "run.sh: booting $(basename "$kernel") ($accel), console in $console" >&2
set +e
timeout --foreground -k 10 "$tmo" qemu-system-x86_64 "${accel_args[@]}" \
	-smp "$smp" -m "${C2W_VM_MEM:-1G}" -no-reboot -nic none -display none -monitor none \
	-chardev "file,id=con,path=$console" -serial chardev:con \
	-chardev stdio,id=out,signal=off -serial chardev:out \
	-kernel "$kernel" -initrd "$logdir/initramfs.gz" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=5 c2w.job=$job ${C2W_VM_APPEND:-}" \
	< /dev/null | sed -u 's/\r$//' | tee "$results"
qrc=${PIPESTATUS[0]}
set -e

fail=
rc=$(sed -n 's/^C2W-VM-EXIT=\([0-9]*\)$/\1/p' "$results" | tail -n 1)
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	fail="VM timed out after ${tmo}s"
elif [ -z "$rc" ]; then
	fail="VM ended without reporting an exit status (qemu rc $qrc)"
elif [ "$rc" -ne 0 ]; then
	fail="job '$job' exited with status $rc"
fi
splat=$(grep -E -m 5 'Oops|BUG:|WARNING:|refcount_t:|UBSAN:|KASAN:|Kernel panic|general protection fault|kmemleak:.*unreferenced|unreferenced object|rcu_.*detected stall|possible circular locking|possible recursive locking|inconsistent lock state|sleeping function called|suspicious RCU usage|ODEBUG:' \
	"$console" || true)
[ -n "$splat" ] && fail="${fail:+$fail; }kernel reported a problem: $splat"

if [ -n "$fail" ]; then
	echo "run.sh: FAILED: $fail" >&2
	echo "----- VM console ($console) -----" >&2
	cat "$console" >&2
	echo "----- end of VM console -----" >&2
	exit 1
fi
exit 0
