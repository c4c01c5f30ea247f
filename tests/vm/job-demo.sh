#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for "make demo": a dropped implant calls home and c2watch sees it.
#
# The VM is a private-address host (10.0.2.15, fd00:c2::15) whose default
# route leads to a gateway owning 1.1.1.1 and 8.8.8.8 (tests/vm/net.sh), as
# a cloud VM is. Every step announces what must happen; an alert must
# appear in c2watchd's output, a silence must be the module's decision
# (the attempt counted as excluded or already seen), or the demo fails.
# c2w.demo_rules=upstream on the kernel command line runs it with Elastic's
# rule exactly as published instead, which is silent on such a host: make
# check uses that to prove that this job fails when alerts do not come.
. /c2w/ktap.sh

rules=/c2w/rules
case $(cat /proc/cmdline) in
*c2w.demo_rules=upstream*) rules=/c2w/rules/upstream ;;
esac
out=/tmp/alerts.ndjson
shown=0

say() { printf '\n==== %s\n' "$*"; }

# Print the documents c2watchd wrote since the last call.
show_new() {
	n=$(wc -l < $out)
	[ "$n" -gt "$shown" ] && tail -n $((n - shown)) $out
	shown=$n
}

alerts() { grep -c '"kind":"alert"' $out; }

counter() {
	c2watchctl status | sed -n "s/^ *$1: *\([0-9]*\).*/\1/p"
}

# expect_alert EXE: an alert for EXE appears, from the host's own address.
expect_alert() {
	wait_for 20 grep -q "\"executable\":\"$1\"" $out
	r=$?
	show_new
	[ $r -eq 0 ] && grep "\"executable\":\"$1\"" $out |
		grep -q '"source":{"ip":"10.0.2.15"' || r=1
	ok $r "alert for $1, from the host's private address 10.0.2.15"
}

# expect_silence COUNTER BEFORE ALERTS-BEFORE: no alert, and the module
# counted the attempt under COUNTER (it was evaluated, not missed).
expect_silence() {
	sleep 2
	show_new
	[ "$(alerts)" -eq "$3" ] && [ "$(counter "$1")" -gt "$2" ]
	ok $? "no alert; the module counted the attempt as $1"
}

say "loading c2watch.ko into $(uname -r)"
if ! insmod /c2w/c2watch.ko; then
	ok 1 "insmod c2watch.ko"
	ktap_done demo
	exit 1
fi
ok 0 "insmod c2watch.ko"
c2watchctl version
ip -4 addr show dev eth0 | sed -n 's/^ *inet /this host: /p'

say "starting c2watchd with Elastic's rule ($rules: KQL, new terms over 20 days)"
c2watchd -f -r $rules -o $out -s /tmp/seen.ndjson &
daemon=$!
wait_for 20 grep -q daemon_started $out
ok $? "c2watchd started"
show_new

say "a legitimate program in /usr/bin connects to 1.1.1.1:443 (no alert)"
cp /c2w/c2w-beacon /usr/bin/updater
e=$(counter excluded)
a=$(alerts)
/usr/bin/updater 1.1.1.1 443
expect_silence excluded "$e" "$a"

say "an implant dropped in /tmp/.cache connects to 1.1.1.1:443 (alert)"
mkdir -p /tmp/.cache
cp /c2w/c2w-beacon /tmp/.cache/kworker
/tmp/.cache/kworker 1.1.1.1 443
expect_alert /tmp/.cache/kworker

say "it calls home again (already seen within 20 days: no alert)"
s=$(counter suppressed)
a=$(alerts)
/tmp/.cache/kworker 1.1.1.1 443
expect_silence suppressed "$s" "$a"

say "another one calls itself 'curl' to hide behind the rule's exclusions (alert)"
cp /c2w/c2w-beacon /dev/shm/payload
/dev/shm/payload -m udp -c curl 8.8.8.8 53
expect_alert /dev/shm/payload

say "stopping c2watchd (it saves the seen set for the next boot)"
kill -TERM $daemon
wait $daemon
ok $? "c2watchd exited cleanly"
cat /tmp/seen.ndjson
grep -q '"key":"/tmp/.cache/kworker"' /tmp/seen.ndjson &&
	grep -q '"key":"/dev/shm/payload"' /tmp/seen.ndjson
ok $? "the seen set holds both implants"

say "module counters"
c2watchctl status
rmmod c2watch
ok $? "rmmod c2watch"
ktap_done demo
