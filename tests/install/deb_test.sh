#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages: "make deb" builds them, lintian finds no error, their
# contents are what they should be, the programs and man pages of c2watch
# work from an unpacked package, and DKMS builds the module from the
# unpacked c2watch-dkms source against the installed Debian cloud headers,
# and "dkms autoinstall" builds it for a kernel installed later (6.12).
# The DKMS-built module is left in build/dkms-vm/c2watch.ko for the VM
# install job, which loads it. KTAP on stdout.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=build/deb-test
rm -rf "$out" build/dkms-vm
mkdir -p "$out" build/dkms-vm
. tests/ktap.sh
show() { sed 's/^/# /' "$@" | tail -n 40; }

v=$(sed -n 's/^#define C2W_MODULE_VERSION "\(.*\)"/\1/p' kmod/c2watch.h)
kdir=${KDIR:-$(scripts/kdir.sh 2>/dev/null)}
kver=$(scripts/krel.sh "$kdir")
deb=build/deb/c2watch_${v}_amd64.deb
dkmsdeb=build/deb/c2watch-dkms_${v}_all.deb

# The unit tests already ran in make check: nocheck.
DEB_BUILD_OPTIONS=nocheck make -s deb > "$out/build.log" 2>&1
r=$?
[ $r -eq 0 ] && [ -f "$deb" ] && [ -f "$dkmsdeb" ] || { show "$out/build.log"; r=1; }
ok $r "make deb builds c2watch and c2watch-dkms $v"

lintian --fail-on error --display-level '>=pedantic' \
	"build/deb/c2watch_${v}_amd64.changes" > "$out/lintian.log" 2>&1
r=$?
grep -E '^[EWIPX]: ' "$out/lintian.log" | sed 's/^/# lintian: /'
ok $r "lintian reports no error"

# Regular files and symlinks only: folders follow from them.
files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print $6 }' | sort; }
files "$deb" > "$out/c2watch.files"
diff -u - "$out/c2watch.files" > "$out/diff" <<LIST
./etc/c2watch/rules.d/suspicious_network_unknown_executable.ndjson
./etc/logrotate.d/c2watchd
./lib/systemd/system/c2watchd.service
./usr/sbin/c2watchctl
./usr/sbin/c2watchd
./usr/share/c2watch/elastic/filebeat.yml
./usr/share/c2watch/elastic/index-template.json
./usr/share/c2watch/elastic/ingest-pipeline.json
./usr/share/c2watch/elastic/kibana-rules.ndjson
./usr/share/c2watch/upstream/suspicious_network_unknown_executable.ndjson
./usr/share/doc/c2watch/changelog.gz
./usr/share/doc/c2watch/copyright
./usr/share/man/man4/c2watch.4.gz
./usr/share/man/man8/c2watchctl.8.gz
./usr/share/man/man8/c2watchd.8.gz
LIST
r=$?
[ $r -eq 0 ] || show "$out/diff"
ok $r "c2watch holds the programs, unit, rules, logrotate and man pages"

dpkg-deb -e "$deb" "$out/control"
grep -qx /etc/c2watch/rules.d/suspicious_network_unknown_executable.ndjson \
	"$out/control/conffiles" &&
	grep -qx /etc/logrotate.d/c2watchd "$out/control/conffiles" &&
	grep -q 'install -d -m 0700 /var/lib/c2watch' "$out/control/postinst" &&
	grep -q 'c2watchd.service' "$out/control/postinst"
ok $? "rules and logrotate are conffiles; postinst makes the state folder and enables the unit"

x=$out/c2watch
dpkg-deb -x "$deb" "$x"
r=0
"$x/usr/sbin/c2watchd" --version | grep -q "^c2watchd $v " || r=1
"$x/usr/sbin/c2watchctl" help | grep -q '^ *load ' || r=1
# The packaged rule compiles (eval needs no module).
echo '{"@timestamp":"2026-11-27T00:00:00Z","host.os.type":"linux","event.category":"network","event.action":"connection_attempted","process.executable":"/tmp/x","process.name":"x","source.ip":"1.2.3.4","destination.ip":"1.1.1.1"}' > "$out/ev.ndjson"
"$x/usr/sbin/c2watchctl" eval \
	"$x/etc/c2watch/rules.d/suspicious_network_unknown_executable.ndjson" \
	"$out/ev.ndjson" | grep -q '"alert": *true' || r=1
ok $r "the packaged programs run and the packaged rule alerts on /tmp/x"

r=0
for m in "$x"/usr/share/man/man*/*.gz; do
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$m" \
		2>&1 >/dev/null | sed 's/^/# /' | grep . && r=1
done
ok $r "the packaged man pages render without warnings"

files "$dkmsdeb" | grep "^./usr/src/" | sed "s|^./usr/src/c2watch-$v/||" \
	> "$out/dkms.files"
(echo dkms.conf; echo Kbuild; echo include/uapi/linux/c2watch.h;
 ls kmod/*.c kmod/*.h) | sort > "$out/dkms.want"
diff -u "$out/dkms.want" "$out/dkms.files" > "$out/diff"
r=$?
[ $r -eq 0 ] || show "$out/diff"
dpkg-deb -f "$dkmsdeb" Depends | grep -q dkms || r=1
ok $r "c2watch-dkms holds exactly the module source and depends on dkms"

# DKMS in scratch trees, so the host's /var/lib/dkms is not touched.
y=$PWD/$out/dkms
mkdir -p "$y/tree"
dpkg-deb -x "$dkmsdeb" "$y/root"
dk() { dkms --sourcetree "$y/root/usr/src" --dkmstree "$y/tree" "$@"; }
dk add -m c2watch -v "$v" > "$out/dkms.log" 2>&1 &&
	dk build -m c2watch -v "$v" -k "$kver" --kernelsourcedir "$kdir" \
		>> "$out/dkms.log" 2>&1
r=$?
ko=$y/tree/c2watch/$v/$kver/x86_64/module/c2watch.ko
[ $r -eq 0 ] && [ -f "$ko" ] || { show "$out/dkms.log"; r=1; }
ok $r "dkms add/build of the packaged source for $kver"

[ -f "$ko" ] && cp "$ko" build/dkms-vm/c2watch.ko &&
	[ "$(modinfo -F version "$ko")" = "$v" ] &&
	modinfo -F vermagic "$ko" | grep -q "^$kver " &&
	[ "$(modinfo -F srcversion "$ko")" = "$(modinfo -F srcversion c2watch.ko)" ]
ok $? "the DKMS module is version $v for $kver, built from the same source as make's"

# A kernel installed after the package, as every kernel update brings one:
# its headers package runs DKMS's header_postinst.d hook, which is "dkms
# autoinstall" for that kernel, and AUTOINSTALL="yes" in dkms.conf is what
# makes c2watch one of the modules it builds. The same autoinstall here for
# 6.12's headers, into a scratch install tree (the package VM used to do it
# inside the VM: 9 minutes of compiling under TCG for what a native build
# shows as well).
r=1
later=
if eval "$(tests/vm/kernels.sh kdir 6.12 2> "$out/later-fetch.log")" &&
	[ -n "${KREL:-}" ] && [ -d "${KDIR:-}" ]; then
	later=$KREL
	mkdir -p "$y/lib/$later"
	dk --installtree "$y/lib" --no-depmod autoinstall -k "$later" \
		--kernelsourcedir "$KDIR" > "$out/later.log" 2>&1
	r=$?
	lko=$y/lib/$later/updates/dkms/c2watch.ko
	[ $r -eq 0 ] && [ -f "$lko" ] &&
		modinfo -F vermagic "$lko" | grep -q "^$later " || r=1
	[ $r -eq 0 ] || show "$out/later.log"
else
	show "$out/later-fetch.log"
fi
ok $r "a kernel installed later (${later:-6.12}): dkms autoinstall builds and installs c2watch for it"

ktap_done deb
