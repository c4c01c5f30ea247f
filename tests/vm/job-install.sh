#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for make check: c2watch as "make install" put it on a host (the
# initramfs carries a DESTDIR install, PREFIX=/usr, MODULES_LOAD=1), run
# the way the unit runs it, then the module DKMS built from the
# c2watch-dkms package. KTAP on stdout.
. /c2w/ktap.sh
kver=$(uname -r)

# As on a host after "make install": depmod, then what modules-load.d and
# the unit's ExecStartPre do.
depmod "$kver"
grep -q 'updates/c2watch.ko:' "/lib/modules/$kver/modules.dep"
ok $? "depmod finds the installed module in updates/"
modprobe "$(cat /etc/modules-load.d/c2watch.conf)" && [ -c /dev/c2watch ]
ok $? "modprobe c2watch (the modules-load.d name) creates /dev/c2watch"

# The installed daemon with its defaults: rules from /etc/c2watch/rules.d,
# alerts to /var/log/c2watch, state in /var/lib/c2watch.
/usr/sbin/c2watchd --foreground 2> /tmp/c2watchd.err &
daemon=$!
wait_for 20 sh -c '/usr/sbin/c2watchctl show | grep -q 53617418'
ok $? "c2watchd loaded the installed rule from /etc/c2watch/rules.d"

mkdir -p /tmp/.x
cp /c2w/c2w-beacon /tmp/.x/implant
/tmp/.x/implant 1.1.1.1 443
log=/var/log/c2watch/alerts.ndjson
wait_for 20 grep -q '"executable":"/tmp/.x/implant"' $log &&
	grep '"executable":"/tmp/.x/implant"' $log | grep -q '"kind":"alert"'
ok $? "an implant in /tmp calling 1.1.1.1 is an alert in $log"

kill -TERM $daemon
wait $daemon
dr=$?
[ $dr -eq 0 ] && grep -q '/tmp/.x/implant' /var/lib/c2watch/seen.ndjson
ok $? "c2watchd exits cleanly and keeps the seen set in /var/lib/c2watch"
[ -s /tmp/c2watchd.err ] && sed 's/^/# c2watchd: /' /tmp/c2watchd.err
modprobe -r c2watch && [ ! -e /sys/module/c2watch ]
ok $? "modprobe -r c2watch"

# The module DKMS built from the packaged source.
insmod /c2w/dkms/c2watch.ko
ok $? "insmod the DKMS-built module"
/usr/sbin/c2watchctl version > /tmp/version 2>&1
r=$?
sed 's/^/# /' /tmp/version
[ $r -eq 0 ] && grep -q "^module $(modinfo -F version /c2w/dkms/c2watch.ko) uapi " /tmp/version
ok $? "the DKMS module answers with its version"
rmmod c2watch
ok $? "rmmod the DKMS-built module"
ktap_done "install job"
