#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for "make demo": a dropped implant calls home and c2watch sees it.
# The VM has no network device; 1.1.1.1 and 8.8.8.8 live on its loopback.
# c2watchd prints its ECS documents to this console as they happen.
say() { sleep 1; printf '\n==== %s\n' "$*"; }

say "loading c2watch.ko into $(uname -r)"
insmod /c2w/c2watch.ko || exit 1
c2watchctl version

say "starting c2watchd with Elastic's rule (KQL, new terms over 20 days)"
c2watchd -f -p -r /c2w/rules -o - -s /tmp/seen.ndjson &
daemon=$!

say "a legitimate program in /usr/bin connects to 1.1.1.1:443 (no alert)"
cp /c2w/c2w-beacon /usr/bin/updater
/usr/bin/updater 1.1.1.1 443

say "an implant dropped in /tmp/.cache connects to 1.1.1.1:443 (alert)"
mkdir -p /tmp/.cache
cp /c2w/c2w-beacon /tmp/.cache/kworker
/tmp/.cache/kworker 1.1.1.1 443

say "it calls home again (already seen within 20 days: no alert)"
/tmp/.cache/kworker 1.1.1.1 443

say "another one calls itself 'curl' to hide behind the rule's exclusions (alert)"
cp /c2w/c2w-beacon /dev/shm/payload
/dev/shm/payload -m udp -c curl 8.8.8.8 53

say "stopping c2watchd (it saves the seen set for the next boot)"
kill -TERM $daemon
wait $daemon
cat /tmp/seen.ndjson

say "module counters"
c2watchctl status
rmmod c2watch
