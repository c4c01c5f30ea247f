#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for "make bench": a connect storm under each configuration,
# alternated round-robin so that drift cancels, plus seen-set lookup cost
# and memory at 10k and 100k entries. Prints RESULT lines that
# tests/bench/report.sh turns into tables.
N=${C2W_BENCH_N:-4000}
ROUNDS=${C2W_BENCH_ROUNDS:-5}
cp /c2w/storm /tmp/storm
mkdir -p /etc/audit /var/log/audit /var/run
cat > /etc/audit/auditd.conf <<'CONF'
log_file = /tmp/audit.log
log_format = RAW
write_logs = yes
flush = NONE
freq = 0
num_logs = 2
max_log_file = 1000
max_log_file_action = ROTATE
space_left = 10
space_left_action = IGNORE
admin_space_left = 5
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
local_events = yes
CONF

setup() {
	case $1 in
	bare) insmod /c2w/c2w_bare.ko ;;
	early|worst)
		insmod /c2w/c2watch.ko
		c2watchctl load /c2w/rules >/dev/null ;;
	auditd)
		auditd -n >/dev/null 2>&1 &
		sleep 1
		auditctl -e 1 >/dev/null
		auditctl -a always,exit -F arch=b64 -S connect >/dev/null ;;
	esac
}

teardown() {
	case $1 in
	bare) rmmod c2w_bare ;;
	early|worst)
		probe=$(c2watchctl status | sed -n 's/^probe cost: *\([0-9]*\).*/\1/p')
		echo "RESULT probe $1 $round $probe"
		rmmod c2watch ;;
	auditd)
		auditctl -D >/dev/null
		auditctl -e 0 >/dev/null
		kill %1 2>/dev/null
		killall auditd 2>/dev/null
		wait 2>/dev/null ;;
	esac
}

storm() {
	# early: loopback destination, excluded by the first clause;
	# worst: a /tmp executable already seen, to a public address.
	dst=1.1.1.1
	[ "$1" = early ] && dst=127.0.0.1
	for proto in tcp udp; do
		set -- $(/tmp/storm $proto $dst 9 $N)
		echo "RESULT storm $cfg $proto $round $5 $4"
	done
}

/tmp/storm tcp 1.1.1.1 9 500 >/dev/null	# warm up
round=1
while [ $round -le $ROUNDS ]; do
	for cfg in baseline bare early worst auditd; do
		setup $cfg
		storm $cfg
		teardown $cfg
	done
	round=$((round + 1))
done

# Seen-set lookups and memory: the worst case with 10k and 100k entries.
for n in 0 10000 100000; do
	insmod /c2w/c2watch.ko seen_capacity=200000
	c2watchctl load /c2w/rules >/dev/null
	slab0=$(sed -n 's/^Slab: *\([0-9]*\).*/\1/p' /proc/meminfo)
	[ $n -gt 0 ] && c2watchctl seen import /c2w/seen-$n.ndjson >/dev/null
	slab1=$(sed -n 's/^Slab: *\([0-9]*\).*/\1/p' /proc/meminfo)
	/tmp/storm tcp 1.1.1.1 9 $N >/dev/null
	st=$(c2watchctl status)
	probe=$(echo "$st" | sed -n 's/^probe cost: *\([0-9]*\).*/\1/p')
	entries=$(echo "$st" | sed -n 's/^seen set: *\([0-9]*\) of.*/\1/p')
	bytes=$(echo "$st" | sed -n 's/^seen set:.* entries, \([0-9]*\) bytes.*/\1/p')
	queue=$(echo "$st" | sed -n 's/^queue: *\([0-9]*\) bytes.*/\1/p')
	echo "RESULT seen $n $probe $entries $bytes $(( (slab1 - slab0) * 1024 )) $queue"
	rmmod c2watch
done
