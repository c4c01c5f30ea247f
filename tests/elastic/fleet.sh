#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fleet mode on real output: the connection_attempted events c2watchd wrote
# with --events in the VM run (the "ECSDOC" lines of every_document_kind),
# evaluated by "c2watchctl eval" with the rule c2watch ships, as Kibana's
# fleet rule (kibana-rules.ndjson) would read them:
#  - every event matches the rule's query (it is what the module matched);
#  - the same events from a second host: new on that host (per host, the
#    module's view), already known with --fleet (Kibana's).
# KTAP on stdout.
#   fleet.sh VM_LOG C2WATCHCTL
set -eu
log=$1
ctl=$2
rule=userspace/rules/suspicious_network_unknown_executable.ndjson
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n fleet: $2"
	else
		failed=$((failed + 1))
		echo "not ok $n fleet: $2"
	fi
}

grep '^ECSDOC ' "$log" | sed 's/^ECSDOC //' |
	grep '"kind":"event"' | grep '"action":"connection_attempted"' \
	> "$tmp/ev" || true
events=$(wc -l < "$tmp/ev")
# The second host: the same documents, another host.id and host.name.
sed -e 's/"id":"[^"]*","os"/"id":"c2w-second-host","os"/' \
    -e 's/"name":"[^"]*","hostname"/"name":"second","hostname"/' \
	"$tmp/ev" > "$tmp/ev2"
cat "$tmp/ev" "$tmp/ev2" > "$tmp/both"

"$ctl" eval "$rule" "$tmp/ev" > "$tmp/one"
matched=$(grep -c '"match":true' "$tmp/one" || true)
[ "$events" -gt 0 ] && [ "$matched" -eq "$events" ]
ok $? "$events event(s) from c2watchd --events, $matched matching the shipped rule"
grep -q '"host":{[^}]*"name":"second"' "$tmp/ev2" &&
	! grep -q '"name":"second"' "$tmp/ev"
ok $? "a second host's copy differs in host.name"

"$ctl" eval "$rule" "$tmp/both" > "$tmp/host"
"$ctl" eval --fleet "$rule" "$tmp/both" > "$tmp/fleet"
per_host=$(tail -n "$events" "$tmp/host" | grep -c '"alert":true' || true)
fleet=$(tail -n "$events" "$tmp/fleet" | grep -c '"alert":true' || true)
first=$(grep -c '"alert":true' "$tmp/one" || true)
[ "$first" -gt 0 ] && [ "$per_host" -eq "$first" ]
ok $? "per host: the second host's copies alert as the first's did ($per_host of $first)"
[ "$first" -gt 0 ] && [ "$fleet" -eq 0 ]
ok $? "fleet-wide (--fleet): the second host's copies are known ($fleet alerts)"
echo "# fleet: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
