#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A minimal Debian 12 system for the package test VM, built once into the
# cache with debootstrap from the host's own Debian mirror: systemd as init,
# dpkg, dkms with gcc (and pahole, which 6.12's headers need) and the
# headers of the kernel the VM boots, the
# libraries c2watch links, iproute2 and logrotate. Packed as a gzip'd cpio
# whose /init is systemd, so QEMU can boot it as an initramfs (no disk
# image, no root privileges for loop mounts). The unit c2w-job.service runs
# /c2w/job.sh the way tests/vm/init does for the busybox VM: its output on
# ttyS1, then C2W-VM-EXIT=<status>, then power off.
#
#   debian-root.sh KREL   print the path of the cpio.gz for kernel KREL
set -euo pipefail

krel=${1:?usage: debian-root.sh KERNEL-RELEASE}
cache=${C2W_CACHE:-$HOME/.cache/c2watch}
# The headers installed here, or else the archive's (6.12 is not installed
# on the build machine: tests/vm/kernels.sh only unpacks it).
hver=$(dpkg-query -W -f='${Version}' "linux-headers-$krel" 2>/dev/null ||
	apt-cache show --no-all-versions "linux-headers-$krel" |
	sed -n 's/^Version: //p' | head -n 1)
[ -n "$hver" ] || { echo "debian-root: no linux-headers-$krel" >&2; exit 1; }
pkgs="systemd systemd-sysv dbus iproute2 dkms gcc make libc6-dev kmod
openssl logrotate libjson-c5 libnl-3-200 libnl-genl-3-200 libssl3 dwarves
linux-headers-$krel=$hver"
key=$( (echo "$pkgs"; cat "$0") | sha256sum | cut -c1-16)
dir=$cache/debian-root/$key
out=$dir/root.cpio.gz
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' \
	/etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}
rm -rf "$dir"
mkdir -p "$dir"
r=$dir/root
echo "debian-root: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$r" "$mirror" >&2
# The host's sources (security updates carry the current kernel headers).
rm -f "$r/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$r/etc/apt/sources.list.d/" 2>/dev/null ||
	cp /etc/apt/sources.list "$r/etc/apt/"
# No service starts inside the chroot while packages install.
printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"
chmod +x "$r/usr/sbin/policy-rc.d"
chroot "$r" apt-get update -qq >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive chroot "$r" apt-get install -y -qq \
	--no-install-recommends $pkgs >&2
rm -f "$r/usr/sbin/policy-rc.d"
rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* \
	"$r"/usr/share/doc "$r"/usr/share/man "$r"/usr/share/locale \
	"$r"/usr/share/info

echo c2watch-deb-vm > "$r/etc/hostname"
: > "$r/etc/machine-id"
ln -sf /sbin/init "$r/init"
# Nothing waits on a terminal or a disk that is not there.
for u in serial-getty@ttyS0.service getty@tty1.service \
	 systemd-networkd-wait-online.service; do
	ln -sf /dev/null "$r/etc/systemd/system/$u"
done
cat > "$r/etc/systemd/system/c2w-job.service" <<'UNIT'
[Unit]
Description=c2watch VM test job
After=multi-user.target dbus.service
[Service]
Type=oneshot
StandardOutput=journal+console
ExecStart=/bin/sh -c '/c2w/job.sh > /dev/ttyS1 2>&1; echo "C2W-VM-EXIT=$?" > /dev/ttyS1; dmesg > /dev/ttyS0; sync; systemctl poweroff --force --force'
[Install]
WantedBy=multi-user.target
UNIT
mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
ln -sf ../c2w-job.service "$r/etc/systemd/system/multi-user.target.wants/"

echo "debian-root: packing $(du -sh "$r" | cut -f1)" >&2
(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
rm -rf "$r"
mv "$out.tmp" "$out"
echo "$out"
