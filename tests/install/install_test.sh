#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make install" / "make uninstall" into a DESTDIR: the exact file list with
# modes, the unit pointing at the installed daemon, an administrator's edited
# rule file surviving both, PREFIX honoured, the man pages rendering without
# a groff warning, and "make sign" refusing to run without a key (signing
# itself is tested against the debug kernel, in check.sh). KTAP on
# stdout. Needs the module and the userspace programs built.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=build/install-test
rm -rf "$out"
mkdir -p "$out"
. tests/ktap.sh

# Files and folders under a root, with their modes, as "mode path".
tree() { (cd "$1" && find . -mindepth 1 -printf '%m %P\n' | sort -k2); }

# What is different between an expected list (stdin) and a tree, shown.
same_tree() {
	local want=$out/want.txt
	cat > "$want"
	if ! tree "$1" | diff -u "$want" - > "$out/diff.txt"; then
		sed 's/^/# /' "$out/diff.txt"
		return 1
	fi
}

kver=$(scripts/krel.sh 2>/dev/null)
rules=suspicious_network_unknown_executable.ndjson
d=$PWD/$out/root
inst() { make -s --no-print-directory "$@" > "$out/make.log" 2>&1 ||
	{ sed 's/^/# /' "$out/make.log"; return 1; }; }

inst install DESTDIR="$d" MODULES_LOAD=1
ok $? "make install DESTDIR=... MODULES_LOAD=1 succeeds"
same_tree "$d" <<LIST
755 etc
755 etc/c2watch
755 etc/c2watch/rules.d
644 etc/c2watch/rules.d/$rules
755 etc/logrotate.d
644 etc/logrotate.d/c2watchd
755 etc/modules-load.d
644 etc/modules-load.d/c2watch.conf
755 lib
755 lib/modules
755 lib/modules/$kver
755 lib/modules/$kver/updates
644 lib/modules/$kver/updates/c2watch.ko
755 usr
755 usr/local
755 usr/local/lib
755 usr/local/lib/systemd
755 usr/local/lib/systemd/system
644 usr/local/lib/systemd/system/c2watchd.service
755 usr/local/sbin
755 usr/local/sbin/c2watchctl
755 usr/local/sbin/c2watchd
755 usr/local/share
755 usr/local/share/c2watch
755 usr/local/share/c2watch/elastic
644 usr/local/share/c2watch/elastic/filebeat.yml
644 usr/local/share/c2watch/elastic/index-template.json
644 usr/local/share/c2watch/elastic/ingest-pipeline.json
644 usr/local/share/c2watch/elastic/kibana-rules.ndjson
755 usr/local/share/c2watch/upstream
644 usr/local/share/c2watch/upstream/$rules
755 usr/local/share/man
755 usr/local/share/man/man4
644 usr/local/share/man/man4/c2watch.4
755 usr/local/share/man/man8
644 usr/local/share/man/man8/c2watchctl.8
644 usr/local/share/man/man8/c2watchd.8
755 var
755 var/lib
700 var/lib/c2watch
755 var/log
750 var/log/c2watch
LIST
ok $? "installed file list and modes are exactly as expected"

# The clause as it sits in the JSON query string, on a line of its own.
srcx='\n  source.ip:(10.0.0.0/8 or 127.0.0.0/8 or 172.16.0.0/12 or 192.168.0.0/16) or\n'
cmp -s "userspace/rules/$rules" "$d/etc/c2watch/rules.d/$rules" &&
	cmp -s "userspace/rules/upstream/$rules" \
		"$d/usr/local/share/c2watch/upstream/$rules" &&
	grep -q '"c2watch: local variant"' "$d/etc/c2watch/rules.d/$rules" &&
	! grep -qF "$srcx" "$d/etc/c2watch/rules.d/$rules" &&
	grep -qF "$srcx" "$d/usr/local/share/c2watch/upstream/$rules"
ok $? "the active rule is the local variant; Elastic's own rule lies beside it, inactive"

cmp -s c2watch.ko "$d/lib/modules/$kver/updates/c2watch.ko" &&
	grep -qx c2watch "$d/etc/modules-load.d/c2watch.conf" &&
	grep -q 'depmod not run' "$out/make.log"
ok $? "module installed for $kver, modules-load.d entry, depmod left to the target"

grep -qx 'ExecStart=/usr/local/sbin/c2watchd --foreground $C2WATCHD_OPTS' \
	"$d/usr/local/lib/systemd/system/c2watchd.service" &&
	! grep -q /usr/sbin/ "$d/usr/local/lib/systemd/system/c2watchd.service"
ok $? "the installed unit starts the installed daemon"

"$d/usr/local/sbin/c2watchd" --version | grep -q "^c2watchd $(
	sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf) uapi "
ok $? "installed c2watchd runs and reports the version dkms.conf builds"

# An administrator's edit survives a reinstall and an uninstall.
echo '{"edited": true}' >> "$d/etc/c2watch/rules.d/$rules"
cp "$d/etc/c2watch/rules.d/$rules" "$out/edited"
inst install-userspace DESTDIR="$d"
cmp -s "$out/edited" "$d/etc/c2watch/rules.d/$rules" &&
	cmp -s "userspace/rules/$rules" "$d/etc/c2watch/rules.d/$rules.dist" &&
	grep -q "kept your edited" "$out/make.log"
ok $? "reinstall keeps an edited rule file, ships the new one as .dist"

inst uninstall DESTDIR="$d"
same_tree "$d" <<LIST
755 etc
755 etc/c2watch
755 etc/c2watch/rules.d
644 etc/c2watch/rules.d/$rules
755 etc/logrotate.d
755 etc/modules-load.d
755 lib
755 lib/modules
755 lib/modules/$kver
755 lib/modules/$kver/updates
755 usr
755 usr/local
755 usr/local/lib
755 usr/local/lib/systemd
755 usr/local/lib/systemd/system
755 usr/local/sbin
755 usr/local/share
755 usr/local/share/man
755 usr/local/share/man/man4
755 usr/local/share/man/man8
755 var
755 var/lib
700 var/lib/c2watch
755 var/log
750 var/log/c2watch
LIST
ok $? "uninstall removes every file but the edited rules, state and logs"
cmp -s "$out/edited" "$d/etc/c2watch/rules.d/$rules"
ok $? "uninstall leaves the edited rule file as it was"

# Unedited: the shipped file is replaced and removed again, no .dist.
rm -rf "$d"
inst install-userspace DESTDIR="$d" PREFIX=/usr &&
	inst install-userspace DESTDIR="$d" PREFIX=/usr
r=$?
[ $r -eq 0 ] && [ ! -e "$d/etc/c2watch/rules.d/$rules.dist" ] &&
	[ -x "$d/usr/sbin/c2watchd" ] && [ -x "$d/usr/sbin/c2watchctl" ] &&
	[ -f "$d/usr/lib/systemd/system/c2watchd.service" ] &&
	[ -f "$d/usr/share/man/man8/c2watchd.8" ] &&
	grep -qx 'ExecStart=/usr/sbin/c2watchd --foreground $C2WATCHD_OPTS' \
		"$d/usr/lib/systemd/system/c2watchd.service"
ok $? "PREFIX=/usr installs into /usr/sbin, /usr/lib/systemd, /usr/share/man"
inst uninstall DESTDIR="$d" PREFIX=/usr
[ -z "$(find "$d" -type f)" ] && [ ! -e "$d/etc/c2watch" ]
ok $? "uninstall of an unedited install leaves no file and no /etc/c2watch"

for m in docs/man/*.[48]; do
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$m" \
		> "$out/man.txt" 2> "$out/man.err"
	r=$?
	[ -s "$out/man.err" ] && { sed 's/^/# /' "$out/man.err"; r=1; }
	# The page has its sections (a page that failed to parse has none).
	grep -q '^NAME' "$out/man.txt" && grep -q '^SEE ALSO' "$out/man.txt" ||
		r=1
	ok $r "man -l $(basename "$m") renders without warnings"
done

# KDIR (exported by make check) would take precedence over KVER.
env -u KDIR make -s install DESTDIR="$d" KVER=0.0.0-none > "$out/kver.log" 2>&1
[ $? -ne 0 ] && grep -q 'no headers for KVER=0.0.0-none' "$out/kver.log" &&
	[ ! -e "$d/lib/modules" ]
ok $? "make install KVER=<a kernel without headers> stops and says so"

make -s sign > "$out/sign.log" 2>&1
[ $? -eq 2 ] && grep -q 'usage: make sign KEY=' "$out/sign.log"
ok $? "make sign without KEY/CERT refuses with a usage message"
make -s sign KEY=/nonexistent.key CERT=dkms.conf > "$out/sign.log" 2>&1
[ $? -eq 2 ] && grep -q 'cannot read /nonexistent.key' "$out/sign.log"
ok $? "make sign with an unreadable key says which file"

# One version everywhere: module, dkms.conf, Debian changelog.
v=$(sed -n 's/^#define C2W_MODULE_VERSION "\(.*\)"/\1/p' kmod/c2watch.h)
[ -n "$v" ] && grep -qx "PACKAGE_VERSION=\"$v\"" dkms.conf &&
	head -n 1 debian/changelog | grep -q "^c2watch ($v)" &&
	grep -q "c2watch $v" docs/man/c2watch.4
ok $? "module, dkms.conf, debian/changelog and man pages agree on version $v"

ktap_done install
