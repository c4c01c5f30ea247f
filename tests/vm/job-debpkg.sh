#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for make check, in a Debian 12 system booted with systemd
# (tests/vm/debian-root.sh): the packages as an administrator installs
# them. c2watch-dkms builds the module with DKMS for the running kernel,
# c2watch enables and starts c2watchd.service with its sandbox, an implant
# gets caught, then remove and purge clean up. KTAP on stdout.
. /c2w/ktap.sh
export DEBIAN_FRONTEND=noninteractive

# implant PATH: a copy of bash at PATH calls 1.1.1.1:443 once.
implant() {
	mkdir -p "$(dirname "$1")"
	cp /bin/bash "$1"
	"$1" -c 'exec 3<>/dev/tcp/1.1.1.1/443' 2>/dev/null
}
kver=$(uname -r)
log=/var/log/c2watch/alerts.ndjson

# A private-address host behind a gateway, as tests/vm/init makes it.
sh /c2w/net.sh > /tmp/net.log 2>&1
r=$?
sed 's/^/# /' /tmp/net.log
ok $r "network: private host 10.0.2.15 behind a gateway to 1.1.1.1"

dpkg -i /c2w/c2watch-dkms_*.deb > /tmp/dkms.log 2>&1
r=$?
sed 's/^/# /' /tmp/dkms.log | tail -n 15
ok $r "dpkg -i c2watch-dkms (DKMS builds the module for $kver)"
m=$(modinfo -n c2watch 2>/dev/null)
echo "# modinfo -n c2watch: $m"
case "$m" in */updates/dkms/c2watch.ko*) true ;; *) false ;; esac
ok $? "modprobe finds the DKMS module in updates/dkms"

dpkg -i /c2w/c2watch_*.deb > /tmp/pkg.log 2>&1
r=$?
sed 's/^/# /' /tmp/pkg.log | tail -n 10
ok $r "dpkg -i c2watch"
wait_for 60 systemctl -q is-active c2watchd.service &&
	[ -c /dev/c2watch ] && systemctl -q is-enabled c2watchd.service
r=$?
[ $r -eq 0 ] || systemctl status --no-pager c2watchd.service | sed 's/^/# /'
ok $r "c2watchd.service enabled and running, module loaded by its ExecStartPre"
[ "$(stat -c %a /var/lib/c2watch)" = 700 ] &&
	[ "$(stat -c %a /var/log/c2watch)" = 750 ]
ok $? "state folder 0700, log folder 0750"

wait_for 30 sh -c 'c2watchctl show | grep -q 53617418'
ok $? "the daemon loaded /etc/c2watch/rules.d"
# The implant: a copy of bash that connects, then stays alive long enough
# for the daemon to read its /proc entries. The dropper connects, then
# execs another program, whose hash must not end up on its alert.
mkdir -p /tmp/.x /tmp/.y
cp /bin/bash /tmp/.x/implant
cp /bin/bash /tmp/.y/dropper
sum=$(sha256sum /tmp/.x/implant | cut -d' ' -f1)
# The daemon waits (SIGSTOP) until the dropper has become sleep: what it
# then finds in /proc is the situation to test, not a race it may win.
dpid=$(systemctl show -p MainPID --value c2watchd.service)
kill -STOP "$dpid"
/tmp/.x/implant -c 'exec 3<>/dev/tcp/1.1.1.1/443; sleep 20; :' 2>/dev/null &
/tmp/.y/dropper -c 'exec 3<>/dev/tcp/1.1.1.1/443; exec sleep 20' 2>/dev/null &
drop=$!
wait_for 20 grep -qx sleep /proc/$drop/comm
kill -CONT "$dpid"
wait_for 30 grep -q '"executable":"/tmp/.x/implant"' $log &&
	wait_for 30 grep -q '"executable":"/tmp/.y/dropper"' $log
r=$?
grep '"executable":"/tmp/.x/implant"' $log > /tmp/implant.json
grep '"executable":"/tmp/.y/dropper"' $log > /tmp/dropper.json
grep -q '"kind":"alert"' /tmp/implant.json &&
	grep -q '"kind":"alert"' /tmp/dropper.json || r=1
[ $r -eq 0 ] || { tail -n 5 $log; journalctl -u c2watchd --no-pager; } |
	sed 's/^/# /'
ok $r "two programs in /tmp calling 1.1.1.1: two alerts in $log"
# Inside its sandbox the daemon can still read other processes' /proc.
grep -q '"enrichment":"ok"' /tmp/implant.json &&
	grep -q "\"sha256\":\"$sum\"" /tmp/implant.json
r=$?
[ $r -eq 0 ] || sed 's/^/# /' /tmp/implant.json
ok $r "the sandboxed daemon hashed the running implant's executable"
grep -q '"enrichment":"task_changed"' /tmp/dropper.json &&
	! grep -q '"sha256"' /tmp/dropper.json
r=$?
[ $r -eq 0 ] || sed 's/^/# /' /tmp/dropper.json
ok $r "the dropper that exec'd sleep gets no hash, marked task_changed"

# Restart=on-failure: a daemon killed outright comes back, and with it
# detection (a new program in /tmp is still caught).
old=$(systemctl show -p MainPID --value c2watchd.service)
kill -9 "$old"
wait_for 30 sh -c "[ \"\$(systemctl show -p MainPID --value c2watchd.service)\" != 0 ] &&
	[ \"\$(systemctl show -p MainPID --value c2watchd.service)\" != $old ] &&
	systemctl -q is-active c2watchd.service"
r=$?
implant /tmp/.z/after-restart
[ $r -eq 0 ] && wait_for 30 grep -q '"executable":"/tmp/.z/after-restart"' $log
r=$?
[ $r -eq 0 ] || systemctl status --no-pager c2watchd.service | sed 's/^/# /'
ok $r "c2watchd killed with SIGKILL: systemd restarts it, detection goes on"

# logrotate as the installed snippet does it: the old log is kept, the
# sandboxed daemon reopens (SIGHUP from postrotate) and writes the new one.
logrotate -f /etc/logrotate.d/c2watchd > /tmp/rot.log 2>&1
r=$?
implant /tmp/.r/after-rotate
[ $r -eq 0 ] && ls /var/log/c2watch/alerts.ndjson.1* >/dev/null 2>&1 &&
	wait_for 30 grep -q '"executable":"/tmp/.r/after-rotate"' $log
r=$?
[ $r -eq 0 ] || { cat /tmp/rot.log; ls -la /var/log/c2watch; } | sed 's/^/# /'
ok $r "logrotate: old log kept, the daemon writes the new one"

# The module reloaded under the running unit: the daemon lets go,
# reattaches, and says how long nobody watched.
c2watchctl unload > /tmp/unload.log 2>&1 && modprobe c2watch
r=$?
[ $r -eq 0 ] && wait_for 60 grep -q '"action":"monitoring_gap"' $log
r=$?
implant /tmp/.m/after-reload
[ $r -eq 0 ] && wait_for 30 grep -q '"executable":"/tmp/.m/after-reload"' $log
r=$?
[ $r -eq 0 ] || sed 's/^/# /' /tmp/unload.log
ok $r "module reloaded under the running unit: gap reported, detection back"

# An upgrade keeps the administrator's edit of the rule file (a conffile)
# and puts the new shipped version beside it; the daemon runs again.
rule=/etc/c2watch/rules.d/suspicious_network_unknown_executable.ndjson
sed -i 's/"risk_score": 21/"risk_score": 50/' $rule
dpkg -i --force-confold /c2w/upgrade/c2watch_upgrade_amd64.deb > /tmp/up.log 2>&1
r=$?
[ $r -eq 0 ] && dpkg-query -W -f='${Version}' c2watch | grep -q '+upgrade1' &&
	grep -q '"risk_score": 50' $rule &&
	grep -q 'local variant (upgraded)' $rule.dpkg-dist &&
	wait_for 60 systemctl -q is-active c2watchd.service
r=$?
[ $r -eq 0 ] || sed 's/^/# /' /tmp/up.log
ok $r "package upgrade: the edited rule file kept, the new one as .dpkg-dist"

systemctl stop c2watchd.service
grep -q '/tmp/.x/implant' /var/lib/c2watch/seen.ndjson
ok $? "systemctl stop: the seen set is saved in /var/lib/c2watch"
journalctl -u c2watchd --no-pager -o cat | sed 's/^/# journal: /' | tail -n 8

dpkg -r c2watch > /tmp/rm.log 2>&1 &&
	[ ! -e /usr/sbin/c2watchd ] &&
	[ -f /etc/c2watch/rules.d/suspicious_network_unknown_executable.ndjson ] &&
	[ -f /var/lib/c2watch/seen.ndjson ] && [ -f $log ]
ok $? "dpkg -r c2watch: programs gone; rules, seen set, alerts kept"
dpkg -P c2watch > /tmp/rm.log 2>&1 && [ ! -e /etc/c2watch ] &&
	[ ! -e /var/lib/c2watch ] && [ ! -e /var/log/c2watch ]
ok $? "dpkg -P c2watch: configuration, seen set and alerts removed"
rmmod c2watch 2>/dev/null
dpkg -P c2watch-dkms > /tmp/rm.log 2>&1 &&
	[ -z "$(find /lib/modules -name 'c2watch.ko*')" ] &&
	[ -z "$(ls -d /usr/src/c2watch-* 2>/dev/null)" ] &&
	! dkms status 2>/dev/null | grep -q c2watch
r=$?
[ $r -eq 0 ] || sed 's/^/# /' /tmp/rm.log
ok $r "dpkg -P c2watch-dkms: the module is gone from every place"
ktap_done "Debian package job"
