#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for make check, on the debug kernel booted with
# module.sig_enforce=1, which trusts the test key debug-kernel.sh made (as a
# Secure Boot host trusts an enrolled MOK): the module "make sign" signed
# loads, the unsigned build and a tampered copy of the signed one do not.
# KTAP on stdout.
. /c2w/ktap.sh

grep -q 'module.sig_enforce=1' /proc/cmdline &&
	[ "$(cat /sys/module/module/parameters/sig_enforce)" = Y ]
ok $? "the kernel enforces module signatures"

# The kernel says "Loading of unsigned module is rejected" for a module
# without a signature; one whose signature does not verify is refused
# without that line.
unsigned_notes() { dmesg | grep -c 'Loading of unsigned module is rejected'; }

insmod /c2w/c2watch.ko 2> /tmp/err
r=$?
sed 's/^/# /' /tmp/err
[ $r -ne 0 ] && [ ! -e /sys/module/c2watch ] && [ "$(unsigned_notes)" -gt 0 ]
ok $? "the unsigned module is refused as unsigned"

before=$(unsigned_notes)
insmod /c2w/tampered/c2watch.ko 2> /tmp/err
r=$?
sed 's/^/# /' /tmp/err
[ $r -ne 0 ] && [ ! -e /sys/module/c2watch ] &&
	[ "$(unsigned_notes)" -eq "$before" ]
ok $? "a signed module changed after signing is refused: bad signature"

insmod /c2w/signed/c2watch.ko
ok $? "the module signed by make sign loads"
# Per-module taint: E would mean it loaded unverified.
t=$(cat /sys/module/c2watch/taint 2>/dev/null)
echo "# taint of c2watch: '$t'"
case "$t" in *E*) false ;; *) [ -e /sys/module/c2watch ] ;; esac
ok $? "it loaded verified (no E taint)"
c2watchctl version | sed 's/^/# /'
rmmod c2watch
ok $? "rmmod c2watch"
ktap_done "sign job"
