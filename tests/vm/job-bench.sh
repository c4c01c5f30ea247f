#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for "make bench": connect storms and datagram (sendto) storms
# under each configuration, alternated round-robin so that drift cancels;
# seen-set lookup cost and memory at 10k and 100k entries; and the alert
# rate the module and c2watchd hold together. Prints RESULT lines that
# tests/bench/report.sh turns into tables:
#   RESULT storm CFG tcp|udp ROUND US_PER_CONNECT CONNECTS_PER_S
#   RESULT sendto CFG one|many|lan ROUND US_PER_SEND SENDS_PER_S
#   RESULT sendmemo CFG one|many|lan ROUND SENDS EVALUATED_IN_FULL MEMO_HITS
#   RESULT probe CFG ROUND NS
#   RESULT seen ENTRIES PROBE_NS ENTRIES BYTES SLAB_BYTES QUEUE_BYTES
#   RESULT load DAEMON PROTO OFFERED ACHIEVED ATTEMPTS ALERTED DROPPED
#          UID_OVER RECORDS_DROPPED MISSED WRITTEN BACKLOG
#
# Numbers and argument lists are split into fields on purpose throughout.
# shellcheck disable=SC2046,SC2086
# The host's C2W_BENCH_* knobs, written by tests/vm/run.sh.
[ -r /c2w/bench.env ] && . /c2w/bench.env
N=${C2W_BENCH_N:-12000}
ROUNDS=${C2W_BENCH_ROUNDS:-7}
# Which parts run: all four by default.
PARTS=${C2W_BENCH_PARTS:-rounds paired seen load}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
# The kernel's random number generator ready before anything is timed:
# until it is, every new socket pays for an extraction (30 µs a socket
# under icount, where nothing else feeds it). A blocking read has the
# kernel gather its own jitter entropy (5.4 and later).
head -c 1 /dev/random > /dev/null
cp /c2w/storm /tmp/storm
# The trusted program of the datagram tables: the same binary, where the
# seed rule does not look.
mkdir -p /usr/local/bin
cp /c2w/storm /usr/local/bin/storm
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

# The seed rule with a clause on the source that every attempt holds: as
# Elastic's verbatim rule, it reads source.ip, which a connect chooses as
# it runs, so no attempt is judged at the probe as a known match; each is
# judged at the connect's return (by the rules walked with the executable's
# memo and the source, since session 14).
mkdir -p /tmp/full-rules /tmp/fullkey-rules
sed 's/"query": "/"query": "source.ip:* and /' \
	/c2w/rules/suspicious_network_unknown_executable.ndjson \
	> /tmp/full-rules/seed-reads-source.ndjson
grep -q '"query": "source.ip:\* and ' /tmp/full-rules/seed-reads-source.ndjson ||
	echo "# full: the seed rule's query not found: full is worst2 here"
# The seed rule with new terms on the executable and the destination: a
# known program's attempts to two destinations in turn each have another
# key than the last match's (which a CPU keeps one of): each is walked at
# the probe and its key made and looked up in the seen set there (since
# session 17; until then each was evaluated in full at the return).
sed 's/"new_terms_fields": \["process.executable"\]/"new_terms_fields": ["process.executable", "destination.ip"]/' \
	/c2w/rules/suspicious_network_unknown_executable.ndjson \
	> /tmp/fullkey-rules/seed-keyed-by-destination.ndjson
grep -q '"destination.ip"\]' /tmp/fullkey-rules/seed-keyed-by-destination.ndjson ||
	echo "# fullkey: the seed rule's new terms not found: fullkey is worst2 here"
# The seed rule twice, under two ids: a known program matches both. Until
# session 18 a CPU kept a match of one rule only, so each of its attempts
# was evaluated in full at the return (the executable from the cache, both
# keys looked up); since, the match of both is kept and repeated.
mkdir -p /tmp/tworules-rules
cp /c2w/rules/suspicious_network_unknown_executable.ndjson /tmp/tworules-rules/
sed 's/"rule_id": "[^"]*"/"rule_id": "c2w-bench-second-copy"/' \
	/c2w/rules/suspicious_network_unknown_executable.ndjson \
	> /tmp/tworules-rules/second-copy.ndjson
grep -q '"rule_id": "c2w-bench-second-copy"' /tmp/tworules-rules/second-copy.ndjson ||
	echo "# tworules: the seed rule's id not found: tworules is worst here"

setup() {
	case $1 in
	bare) insmod /c2w/c2w_bare.ko ;;
	full|fullkey)
		insmod /c2w/c2watch.ko
		c2watchctl load /tmp/$1-rules >/dev/null ;;
	early|worst|worst2|trusted|suspicious|lansend)
		insmod /c2w/c2watch.ko
		c2watchctl load /c2w/rules >/dev/null ;;
	disabled)
		# Loaded, rules loaded, evaluation switched off: the hooks'
		# entry handlers only (ignored attempts).
		insmod /c2w/c2watch.ko
		c2watchctl load /c2w/rules >/dev/null
		c2watchctl disable >/dev/null ;;
	norules)
		# Loaded without rules: every attempt evaluated and excluded
		# at once, the fixed cost of an evaluation (no ruleset decides
		# nothing at the probe).
		insmod /c2w/c2watch.ko ;;
	nocache)
		# The worst case as it was before the executable cache.
		insmod /c2w/c2watch.ko exe_cache=0
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
	disabled) rmmod c2watch ;;
	early|worst|worst2|full|fullkey|nocache|trusted|suspicious|lansend|norules)
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
	# early: a LAN address behind the same veth and gateway as 1.1.1.1
	# (the same path through the stack as the baseline's), excluded by
	# the destination clause before anything about the process is read;
	# worst: a /tmp executable already seen, to a public address (after
	# the first, each attempt the repeat of the last match); worst2: the
	# same alternating between two ports, so that none is a repeat: each
	# judged at the probe by the rules walked with the executable's memo
	# (known_at_probe); full: the same under the seed rule reading the
	# source, each walked at the return; fullkey: the seed rule keyed on
	# the executable and the destination, the program alternating between
	# two destinations (each known), each evaluated in full at the
	# return; trusted: /usr/local/bin, excluded by the executable.
	prog=${2:-/tmp/storm}
	dst=1.1.1.1 nports=1
	case $1 in
	early|lanbase|disabled|norules) dst=10.0.0.1 ;;
	worst2|full) nports=2 ;;
	fullkey) dst=1.1.1.1,8.8.8.8 ;;
	esac
	for proto in tcp udp; do
		set -- $($prog $proto $dst 9 $N $nports)
		echo "RESULT storm $cfg $proto $round $5 $4"
	done
}

# The module's counters NAME... from c2watchctl status, in that order;
# nothing when the module is not loaded.
counters() {
	st=$(c2watchctl status 2>/dev/null) || return 0
	echo "$st" | awk -v want="$*" '
	/^  evaluated:/ { v["evaluated"] = $2 }
	# excluded: N (at the probe: D by the destination alone, E by the
	# executable alone)
	/^    excluded:/ { v["dst"] = $6 + 0; v["exe"] = $11 + 0 }
	# suppressed: N (matched, already seen; E reported as events, R
	# repeats and K other known matches decided at the probe)
	/^    suppressed:/ { v["rep"] = $10 + $13 }
	/^  already judged:/ { v["memo"] = $3 }
	/^    alerted:/ { v["alerted"] = $2 }
	/^    dropped:/ { v["dropped"] = $2; v["uid_over"] = $NF + 0 }
	/^  missed:/ { v["missed"] = $2 }
	/^queue:/ {
		v["queued"] = $6 + 0; v["read"] = $8 + 0
		v["records_dropped"] = $10 + 0
	}
	END {
		n = split(want, w, " ")
		for (i = 1; i <= n; i++)
			printf "%s%s", v[w[i]] + 0, i < n ? " " : "\n"
	}'
}

# Datagrams from one socket that never connects: to one destination, and
# to 3 addresses x 1366 ports, more than the module's per-CPU memo of
# excluded sends holds (256 slots), so that the memo cannot serve them:
# the trusted program is excluded by its executable (from the cache, then
# known to its CPU), the suspicious one judged known by the walk at the
# probe, each after its first send on a CPU. Nothing listens on those
# ports in the gateway: its port unreachables are rate limited, and an
# unconnected socket without IP_RECVERR never hears of them.
# And to one LAN address, which the seed rule excludes by the destination
# alone: early exclusion, decided in the probe before the memo.
sends() {
	prog=$1
	[ "$cfg" = auditd ] && auditctl -D >/dev/null &&
		auditctl -a always,exit -F arch=b64 -S sendto >/dev/null
	for pat in $2; do
		case $pat in
		one) dst="1.1.1.1 1024 $N 1" ;;
		many) dst="1.1.1.1,8.8.8.8,9.9.9.9 1024 $N 1366" ;;
		lan) dst="10.0.0.1 1024 $N 1" ;;
		esac
		c0=$(counters evaluated memo dst exe rep)
		set -- $($prog sendto $dst)
		echo "RESULT sendto $cfg $pat $round $5 $4"
		# How many sends the module evaluated in full, how many its
		# memo skipped (those the destination or the executable
		# excluded at the probe, and the repeats of a match judged
		# there, are neither).
		[ "$c0" ] || continue
		set -- $c0 $(counters evaluated memo dst exe rep)
		echo "RESULT sendmemo $cfg $pat $round $N" \
			"$(($6 - $1 - $8 + $3 - $9 + $4 - ${10} + $5)) $(($7 - $2))"
	done
}

/tmp/storm tcp 1.1.1.1 9 500 >/dev/null	# warm up
/tmp/storm sendto 1.1.1.1,8.8.8.8,9.9.9.9 1024 500 1366 >/dev/null
# Each round starts one configuration further on, so that none always
# follows the same one (a module just unloaded, auditd just stopped).
CFGS="baseline lanbase bare disabled norules early worst worst2 full fullkey nocache trusted suspicious lansend auditd"
rotated() {
	n=$1
	set -- $CFGS
	while [ $n -gt 0 ]; do
		set -- "$@" "$1"
		shift
		n=$((n - 1))
	done
	echo "$*"
}
round=1
part rounds || round=$((ROUNDS + 1))
while [ $round -le $ROUNDS ]; do
	for cfg in $(rotated $(( (round - 1) % $(echo $CFGS | wc -w) ))); do
		setup $cfg
		case $cfg in
		baseline|bare) storm $cfg; sends /tmp/storm "one many lan" ;;
		auditd) storm $cfg; sends /tmp/storm "one many" ;;
		trusted)
			storm $cfg /usr/local/bin/storm
			sends /usr/local/bin/storm "one many" ;;
		suspicious) sends /tmp/storm "one many" ;;
		lansend) sends /tmp/storm lan ;;
		*) storm $cfg ;;
		esac
		teardown $cfg
	done
	round=$((round + 1))
done

# Paired: each configuration against itself with every kprobe disarmed
# (debugfs kprobes/enabled, which puts the probed functions back as they
# are without a module), alternated every PAIR_N attempts by storm -s, so
# that the two halves of a pair run within milliseconds of each other and
# the drift of the host (slow and fast stretches of seconds under TCG,
# which the rounds above cannot cancel) falls on both alike; each half
# after a tenth of its attempts untimed. What that measures is the hooks:
# the module's timers (heartbeat, sweeps) run in both halves. "none" runs
# the same with no module at all: the method's own bias. c2watch's
# heartbeat may meanwhile find its probes disarmed twice in a row and say
# so (a warning and a config record, then "fire again"): expected here.
#   RESULT paired CFG KIND PAIR US_OFF US_ON
SWITCH=/sys/kernel/debug/kprobes/enabled
PAIRS=${C2W_BENCH_PAIRS:-24}	# even: whole blocks of two pairs
PAIR_N=${C2W_BENCH_PAIR_N:-2000}
[ -e $SWITCH ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
# C2W_BENCH_CONFIGS: only these configurations (a quick look at a few).
CONFIGS=${C2W_BENCH_CONFIGS:-}
paired() {
	cfg=$1 kind=$2 prog=$3
	shift 3
	case " ${CONFIGS:-$cfg} " in *" $cfg "*) ;; *) return 0 ;; esac
	$prog -s $SWITCH -p $PAIRS "$@" |
		while read -r _ _ i off on; do
			echo "RESULT paired $cfg $kind $i $off $on"
		done
}
if ! part paired; then
	:
elif [ -w $SWITCH ]; then
	echo "RESULT pairing $PAIRS $PAIR_N"
	paired none tcp /tmp/storm tcp 10.0.0.1 9 $PAIR_N
	paired none udp /tmp/storm udp 10.0.0.1 9 $PAIR_N
	paired none lan /tmp/storm sendto 10.0.0.1 1024 $PAIR_N
	insmod /c2w/c2w_bare.ko
	paired bare tcp /tmp/storm tcp 10.0.0.1 9 $PAIR_N
	paired bare udp /tmp/storm udp 10.0.0.1 9 $PAIR_N
	paired bare lan /tmp/storm sendto 10.0.0.1 1024 $PAIR_N
	rmmod c2w_bare
	insmod /c2w/c2watch.ko
	c2watchctl load /c2w/rules >/dev/null
	paired early tcp /tmp/storm tcp 10.0.0.1 9 $PAIR_N
	paired early udp /tmp/storm udp 10.0.0.1 9 $PAIR_N
	paired early lan /tmp/storm sendto 10.0.0.1 1024 $PAIR_N
	paired trusted tcp /usr/local/bin/storm tcp 1.1.1.1 9 $PAIR_N
	paired trusted udp /usr/local/bin/storm udp 1.1.1.1 9 $PAIR_N
	paired trusted one /usr/local/bin/storm sendto 1.1.1.1 1024 $PAIR_N
	paired trusted many /usr/local/bin/storm \
		sendto 1.1.1.1,8.8.8.8,9.9.9.9 1024 $PAIR_N 1366
	paired worst tcp /tmp/storm tcp 1.1.1.1 9 $PAIR_N
	paired worst udp /tmp/storm udp 1.1.1.1 9 $PAIR_N
	paired worst one /tmp/storm sendto 1.1.1.1 1024 $PAIR_N
	paired worst2 tcp /tmp/storm tcp 1.1.1.1 9 $PAIR_N 2
	paired worst2 udp /tmp/storm udp 1.1.1.1 9 $PAIR_N 2
	paired worst2 many /tmp/storm \
		sendto 1.1.1.1,8.8.8.8,9.9.9.9 1024 $PAIR_N 1366
	rmmod c2watch
	insmod /c2w/c2watch.ko
	c2watchctl load /tmp/full-rules >/dev/null
	paired full tcp /tmp/storm tcp 1.1.1.1 9 $PAIR_N 2
	paired full udp /tmp/storm udp 1.1.1.1 9 $PAIR_N 2
	rmmod c2watch
	insmod /c2w/c2watch.ko
	c2watchctl load /tmp/fullkey-rules >/dev/null
	paired fullkey tcp /tmp/storm tcp 1.1.1.1,8.8.8.8 9 $PAIR_N
	paired fullkey udp /tmp/storm udp 1.1.1.1,8.8.8.8 9 $PAIR_N
	# Five images in turn (as turns5 below), under a key the CPU's
	# verdict on an image cannot judge (since session 19, turns5's
	# attempts are judged at the probe by it): each attempt evaluated in
	# full, the cost of that evaluation itself.
	paired fullkey5 tcp /tmp/storm -t 5 tcp 1.1.1.1 9 $PAIR_N
	paired fullkey5 udp /tmp/storm -t 5 udp 1.1.1.1 9 $PAIR_N
	rmmod c2watch
	insmod /c2w/c2watch.ko
	c2watchctl load /tmp/tworules-rules >/dev/null
	paired tworules tcp /tmp/storm tcp 1.1.1.1 9 $PAIR_N
	paired tworules udp /tmp/storm udp 1.1.1.1 9 $PAIR_N
	rmmod c2watch
	# Process images of the known program taking turns on one CPU (storm
	# -t, a pipe's round trip between two attempts, in both halves): two
	# keep their matches there (since session 18; until then, each
	# attempt was evaluated in full); five, more than a CPU keeps, push
	# each other's out: each attempt judged at the probe by the CPU's
	# verdict on its image (since session 19; until then evaluated in
	# full: fullkey5 above measures that now).
	insmod /c2w/c2watch.ko
	c2watchctl load /c2w/rules >/dev/null
	paired turns2 tcp /tmp/storm -t 2 tcp 1.1.1.1 9 $PAIR_N
	paired turns2 udp /tmp/storm -t 2 udp 1.1.1.1 9 $PAIR_N
	paired turns5 tcp /tmp/storm -t 5 tcp 1.1.1.1 9 $PAIR_N
	paired turns5 udp /tmp/storm -t 5 udp 1.1.1.1 9 $PAIR_N
	paired noturn5 udp /tmp/storm -t 5 udp 10.0.0.1 9 $PAIR_N
	# Two trusted images in turn: each keeps the CPU's verdict on its
	# executable (since session 18; until then each attempt looked the
	# image up in the cache again).
	paired trusted2 tcp /usr/local/bin/storm -t 2 tcp 1.1.1.1 9 $PAIR_N
	paired trusted2 udp /usr/local/bin/storm -t 2 udp 1.1.1.1 9 $PAIR_N
	rmmod c2watch
	# storm re-arms on every way out; the rest of the job needs the
	# probes armed, so make sure.
	echo 1 > $SWITCH
	[ "$(cat $SWITCH)" = 1 ] || echo "# paired: kprobes left disarmed"
else
	echo "# paired: no $SWITCH (debugfs), skipped"
fi

# Seen-set lookups and memory: a known program's matches (two ports
# alternating: after the first, each judged at the probe through the
# executable cache's hint of where its key sits) with 10k and 100k entries.
for n in $(part seen && echo 0 10000 100000); do
	insmod /c2w/c2watch.ko seen_capacity=200000
	c2watchctl load /c2w/rules >/dev/null
	slab0=$(sed -n 's/^Slab: *\([0-9]*\).*/\1/p' /proc/meminfo)
	[ $n -gt 0 ] && c2watchctl seen import /c2w/seen-$n.ndjson >/dev/null
	slab1=$(sed -n 's/^Slab: *\([0-9]*\).*/\1/p' /proc/meminfo)
	/tmp/storm tcp 1.1.1.1 9 $N 2 >/dev/null
	st=$(c2watchctl status)
	probe=$(echo "$st" | sed -n 's/^probe cost: *\([0-9]*\).*/\1/p')
	entries=$(echo "$st" | sed -n 's/^seen set: *\([0-9]*\) of.*/\1/p')
	bytes=$(echo "$st" | sed -n 's/^seen set:.* entries, \([0-9]*\) bytes.*/\1/p')
	queue=$(echo "$st" | sed -n 's/^queue: *\([0-9]*\) bytes.*/\1/p')
	echo "RESULT seen $n $probe $entries $bytes $(( (slab1 - slab0) * 1024 )) $queue"
	rmmod c2watch
done

# Load held: the highest rate of alerting attempts a second that the
# module and c2watchd hold together on the VM's 2 CPUs with nothing lost,
# and the first step past it. Besides the seed rule, a query rule (no new
# terms) alerts on every attempt of /tmp/loadgen; after a warm-up the seed
# rule knows it, so each attempt is one alert. c2watchd writes NDJSON to
# tmpfs, as it is, and with --no-enrich (no /proc reads, no SHA-256 of the
# executable per alert), to tell its own cost from the module's. Each step
# offers RATE attempts a second for LOAD_SECS seconds, then waits for the
# daemon to drain; lost is attempts minus alerts written. The steps stop at
# the first loss, or when the generator falls short of its rate.
LOAD_RATES=${C2W_BENCH_LOAD_RATES:-20 100 500 1000 1500 2000 3000 4000 5000 10000 20000}
LOAD_SECS=${C2W_BENCH_LOAD_SECONDS:-5}
LOAD_PROTOS=${C2W_BENCH_LOAD_PROTOS:-udp}
out=/tmp/load.ndjson
cp /c2w/storm /tmp/loadgen
mkdir -p /tmp/load-rules
cp /c2w/rules/*.ndjson /tmp/load-rules/
cat > /tmp/load-rules/bench-load.ndjson <<'RULE'
{"rule_id": "c2watch-bench-load", "name": "c2watch bench: every attempt of /tmp/loadgen", "description": "make bench only: alerts on every match (a query rule, no new terms), to measure the alert rate that the module and c2watchd hold.", "type": "query", "language": "kuery", "query": "process.executable : /tmp/loadgen*", "severity": "low", "risk_score": 21}
RULE

alerts_written() { grep -c '"kind":"alert"' $out; }

# Until the daemon has read every queued record and its output has not
# grown for a second; at most a minute.
drain() {
	last=-1 t=120
	while [ $t -gt 0 ]; do
		set -- $(counters queued read)
		n=$(wc -l < $out)
		[ "$1" = "$2" ] && [ "$n" = "$last" ] && return 0
		last=$n t=$((t - 1))
		sleep 0.5
	done
	echo "# load: c2watchd still writing after a minute"
	return 1
}

# noshare: the same with uid_share=100, so that past the limit the queue
# fills (records lost, counted in-band) rather than root's share.
for daemon in $(part load && echo enriched plain noshare); do
	for proto in $LOAD_PROTOS; do
		opt='' param=''
		[ $daemon = enriched ] || opt=--no-enrich
		[ $daemon = noshare ] && param=uid_share=100
		insmod /c2w/c2watch.ko $param
		rm -f $out /tmp/load-seen.ndjson
		c2watchd -f -r /tmp/load-rules -o $out -s /tmp/load-seen.ndjson \
			$opt 2>>/tmp/c2watchd-load.log &
		pid=$!
		t=60
		until grep -q daemon_started $out 2>/dev/null; do
			t=$((t - 1))
			[ $t -gt 0 ] || { echo "# load: c2watchd did not start"; break; }
			sleep 0.5
		done
		# The seed rule's one alert for /tmp/loadgen, out of the way.
		/tmp/loadgen pace $proto 1.1.1.1 9 10 1 >/dev/null
		drain
		for rate in $LOAD_RATES; do
			: > $out	# one step's documents at a time in RAM
			c0=$(counters alerted dropped uid_over records_dropped missed)
			set -- $(/tmp/loadgen pace $proto 1.1.1.1 9 $rate $LOAD_SECS)
			attempts=$2 achieved=${4%.*}
			# Queued, not yet read, when the generator stopped.
			set -- $(counters queued read)
			backlog=$(($1 - $2))
			drain
			written=$(alerts_written)
			set -- $c0 $(counters alerted dropped uid_over records_dropped missed)
			echo "RESULT load $daemon $proto $rate $achieved $attempts" \
				"$(($6 - $1)) $(($7 - $2)) $(($8 - $3)) $(($9 - $4))" \
				"$((${10} - $5)) $written $backlog"
			[ "$written" -lt "$attempts" ] && break
			[ $((achieved * 10)) -lt $((rate * 9)) ] && break
		done
		kill -TERM $pid
		wait $pid
		rmmod c2watch
	done
done
if [ -r /tmp/c2watchd-load.log ]; then
	sed -n "s/^/# /p" /tmp/c2watchd-load.log | tail -n 5
fi
