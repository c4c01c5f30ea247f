#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Turn the RESULT lines of the bench VM job (tests/vm/job-bench.sh) into
# Markdown tables: median and spread (min-max) per configuration, as a ratio
# to the baseline of the same run; and the load held by the module and
# c2watchd, step by step.
awk '
function median(arr, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && arr[j - 1] > arr[j]; j--) {
			t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t
		}
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
# One row per configuration of cfgs (space-separated) measured under
# group: median us, spread, median rate, ratio to the baseline row (of the
# medians, and of the best rounds: under TCG a round is now and then slowed
# by what the host does, and the best round is the least disturbed); with
# memo, the share of sends the module evaluated.
function storm_table(group, cfglist, memo,    cl, nc, c, k, i, m, mr, base, blo, a, r) {
	nc = split(cfglist, cl, " ")
	base = 0; blo = 0
	for (c = 1; c <= nc; c++) {
		k = cl[c] " " group
		if (!n[k]) continue
		for (i = 1; i <= n[k]; i++) { a[i] = us[k, i]; r[i] = rate[k, i] }
		m = median(a, n[k]); mr = median(r, n[k])
		if (cl[c] == "baseline") { base = m; blo = lo[k] }
		printf "| %s | %.1f | %.1f-%.1f | %.0f | %+.1f%% | %+.1f%% |", name[cl[c]], m, lo[k], hi[k], mr, base ? (m / base - 1) * 100 : 0, blo ? (lo[k] / blo - 1) * 100 : 0
		if (memo)
			printf " %s |", sends[k] ? sprintf("%.1f%%", evals[k] / sends[k] * 100) : "-"
		printf "\n"
	}
}
$1 == "RESULT" && ($2 == "storm" || $2 == "sendto") {
	k = $3 " " ($2 == "sendto" ? "sendto-" : "") $4; n[k]++
	us[k, n[k]] = $6; rate[k, n[k]] = $7
	if (!(k in lo) || $6 < lo[k]) lo[k] = $6
	if (!(k in hi) || $6 > hi[k]) hi[k] = $6
}
$1 == "RESULT" && $2 == "sendmemo" {
	k = $3 " sendto-" $4; sends[k] += $6; evals[k] += $7
}
# RESULT pairing PAIRS ATTEMPTS_PER_HALF; RESULT paired CFG KIND PAIR US_OFF US_ON
$1 == "RESULT" && $2 == "pairing" { pairn = $4 }
$1 == "RESULT" && $2 == "paired" && $6 > 0 {
	k = $3 " " $4
	if (!(k in np)) porder[++npk] = k
	np[k]++
	poff[k, np[k]] = $6; pon[k, np[k]] = $7
}
$1 == "RESULT" && $2 == "probe" { pn[$3]++; probe[$3, pn[$3]] = $5 }
$1 == "RESULT" && $2 == "seen" { seen[++ns] = $0 }
$1 == "RESULT" && $2 == "load" {
	k = $3 " " $4
	if (!(k in nl)) order[++nk] = k
	load[k, ++nl[k]] = $0
}
END {
	name["baseline"] = "no module (baseline)"
	name["bare"] = "bare kretprobes, empty handlers"
	name["early"] = "c2watch, seed rule, excluded early by the destination (LAN 10.0.0.1)"
	name["worst"] = "c2watch, seed rule, known suspicious program (/tmp, seen, 1.1.1.1), its repeats judged at the probe"
	name["worst2"] = "c2watch, seed rule, the same alternating two ports: no repeat, the rules walked at the probe with the executable memo"
	name["full"] = "c2watch, seed rule reading the source (as Elastic verbatim rule), the same alternating two ports: judged at the return by the rules walked with the executable memo and the source"
	name["fullkey"] = "c2watch, seed rule with new terms on the executable and the destination, the same alternating two destinations: each walked at the probe, its key looked up there"
	name["nocache"] = "the known suspicious program, exe_cache=0 (before the executable cache; no repeat without it)"
	name["lanbase"] = "no module, to the LAN address (10.0.0.1)"
	name["disabled"] = "c2watch loaded, evaluation disabled (10.0.0.1)"
	name["norules"] = "c2watch without rules: evaluated, excluded at once (10.0.0.1)"
	name["trusted"] = "c2watch, seed rule, trusted program (/usr/local/bin, 1.1.1.1), excluded early by its executable"
	name["auditd"] = "auditd, -S connect rule"
	for (p = 1; p <= 2; p++) {
		proto = p == 1 ? "tcp" : "udp"
		printf "\n%s connect storm (µs per socket+connect+close, median of %d rounds)\n\n", toupper(proto), n["baseline " proto]
		print "| configuration | µs/connect | spread | connects/s | vs baseline | best vs best |"
		print "|---|---|---|---|---|---|"
		storm_table(proto, "baseline lanbase bare disabled norules early trusted worst worst2 full fullkey nocache auditd", 0)
	}

	name["trusted"] = "c2watch, seed rule, trusted program (/usr/local/bin), excluded early by its executable"
	name["suspicious"] = "c2watch, seed rule, suspicious program (/tmp, seen): judged at the probe after the first on each CPU"
	name["lansend"] = "c2watch, seed rule, suspicious program (/tmp), excluded early by the destination"
	name["auditd"] = "auditd, -S sendto rule"
	name["bare"] = "bare kprobe on udp_sendmsg, empty handler"
	title["one"] = "one destination, 1.1.1.1"
	title["many"] = "many destinations, more than the memo holds"
	title["lan"] = "one LAN destination, 10.0.0.1"
	for (p = 1; p <= 3; p++) {
		pat = p == 1 ? "one" : p == 2 ? "many" : "lan"
		if (!n["baseline sendto-" pat]) continue
		printf "\nUDP sendto from one unconnected socket to %s (µs per datagram, median of %d rounds)\n\n", title[pat], n["baseline sendto-" pat]
		print "| configuration | µs/send | spread | sends/s | vs baseline | best vs best | sends evaluated in full |"
		print "|---|---|---|---|---|---|---|"
		storm_table("sendto-" pat, "baseline bare trusted suspicious lansend auditd", 1)
	}

	# median() sorts: the quartiles are read from the sorted ratios.
	pname["none"] = "no module: the bias of the method itself"
	pname["bare"] = "bare kprobes, empty handlers"
	pname["early"] = "c2watch, seed rule, excluded early by the destination (LAN 10.0.0.1)"
	pname["trusted"] = "c2watch, seed rule, trusted program (/usr/local/bin, 1.1.1.1), excluded early by its executable"
	pname["worst"] = "c2watch, seed rule, known suspicious program (/tmp, seen, 1.1.1.1), its repeats judged at the probe"
	pname["worst2"] = "c2watch, seed rule, known suspicious program, no repeat: the rules walked at the probe"
	pname["full"] = "c2watch, seed rule reading the source, known suspicious program, two ports: walked at the return"
	pname["fullkey"] = "c2watch, seed rule keyed on the executable and the destination, known suspicious program, two destinations: walked at the probe, each key looked up there"
	pname["tworules"] = "c2watch, the seed rule twice (two ids), known suspicious program: the match of both rules repeated at the probe (evaluated in full at the return until session 18)"
	pname["turns2"] = "c2watch, seed rule, two images of the known suspicious program taking turns on one CPU (a pipe round trip between attempts): each keeps its match"
	pname["turns5"] = "c2watch, seed rule, five images taking turns, more than a CPU keeps: each attempt judged at the probe by the verdict the CPU keeps on its image (evaluated in full until session 19)"
	pname["fullkey5"] = "c2watch, seed rule keyed on the executable and the destination, five images taking turns to one server: each attempt evaluated in full (the cost of that evaluation itself)"
	pname["trusted2"] = "c2watch, seed rule, two images of the trusted program taking turns on one CPU (a pipe round trip between attempts): each excluded early by its executable"
	pname["noturn5"] = "c2watch, seed rule, five images taking turns to the LAN: excluded early by the destination, for the scale the pipes give the ratios"
	kname["tcp"] = "TCP connect"
	kname["udp"] = "UDP connect"
	kname["lan"] = "sendto, one LAN destination"
	kname["one"] = "sendto, one destination"
	kname["many"] = "sendto, many destinations"
	# A block is two pairs, off-on then on-off: each half of it once
	# right after the switch changed (code patched), once not. The
	# overhead is the median of the ratios of the blocks (armed over disarmed
	# time); the µs columns are the medians of the halves.
	if (npk) {
		printf "\nPaired: each configuration against itself with every kprobe disarmed, alternated every %d attempts; overhead: median of blocks of two pairs\n\n", pairn
		print "| configuration | attempt | pairs | µs disarmed | µs armed | overhead | middle half of blocks |"
		print "|---|---|---|---|---|---|---|"
	}
	for (j = 1; j <= npk; j++) {
		k = porder[j]
		split(k, kf, " ")
		nb = int(np[k] / 2)
		if (!nb) continue
		for (i = 1; i <= np[k]; i++) { a[i] = poff[k, i]; b[i] = pon[k, i] }
		for (i = 1; i <= nb; i++)
			r[i] = (pon[k, 2 * i - 1] + pon[k, 2 * i]) / (poff[k, 2 * i - 1] + poff[k, 2 * i]) - 1
		mo = median(a, np[k]); mn = median(b, np[k]); m = median(r, nb)
		q1 = r[int((nb - 1) / 4) + 1]; q3 = r[int(3 * (nb - 1) / 4) + 1]
		printf "| %s | %s | %d | %.2f | %.2f | %+.1f%% | %+.1f%% to %+.1f%% |\n", pname[kf[1]], kname[kf[2]], np[k], mo, mn, m * 100, q1 * 100, q3 * 100
	}

	name["trusted"] = "c2watch, trusted program, connects and sendto (excluded early by its executable)"
	name["suspicious"] = "c2watch, suspicious program, sendto (one and many destinations)"
	name["lansend"] = "c2watch, suspicious program, sendto to the LAN (excluded early by the destination)"
	print "\nIn-module probe cost (ns per evaluated attempt, median of rounds)\n"
	print "| configuration | ns |"
	print "|---|---|"
	split("norules early worst worst2 full fullkey nocache trusted suspicious lansend", pc, " ")
	for (c = 1; c <= 10; c++) {
		cf = pc[c]
		for (i = 1; i <= pn[cf]; i++) b[i] = probe[cf, i]
		if (pn[cf]) printf "| %s | %d |\n", name[cf], median(b, pn[cf])
	}
	print "\nSeen set: a known program, probe cost and memory by size\n"
	print "| imported entries | probe ns | entries | bytes (counted) | slab growth | bytes/entry (slab) | queue bytes |"
	print "|---|---|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) {
		split(seen[i], f, " ")
		printf "| %d | %d | %d | %d | %d | %s | %d |\n", f[3], f[4], f[5], f[6], f[7], f[3] ? sprintf("%.0f", f[7] / f[3]) : "-", f[8]
	}

	# RESULT load DAEMON PROTO OFFERED ACHIEVED ATTEMPTS ALERTED DROPPED
	#   UID_OVER RECORDS_DROPPED MISSED WRITTEN BACKLOG
	dname["enriched"] = "c2watchd as installed (reads /proc, hashes the executable per alert)"
	dname["plain"] = "c2watchd --no-enrich"
	dname["noshare"] = "c2watchd --no-enrich, module uid_share=100 (one uid may fill the queue)"
	for (j = 1; j <= nk; j++) {
		k = order[j]
		split(k, kf, " ")
		dn = kf[1]
		if (dn in dname) dn = dname[dn]
		printf "\nLoad held: alerting %s connects, %s\n\n", kf[2], dn
		print "| rate offered /s | achieved /s | alerts | dropped by module | written by c2watchd | lost | backlog at end of step |"
		print "|---|---|---|---|---|---|---|"
		held = ""; past = ""; short = ""; kept = ""
		for (i = 1; i <= nl[k]; i++) {
			split(load[k, i], f, " ")
			lost = f[7] - f[13]
			drop = f[9]
			if (f[10] || f[11]) {
				drop = drop " ("
				if (f[10]) drop = drop f[10] " past the uid share"
				if (f[10] && f[11]) drop = drop ", "
				if (f[11]) drop = drop f[11] " queue full"
				drop = drop ")"
			}
			if (f[12]) drop = drop ", " f[12] " missed by the probes"
			lc = lost
			if (lost > 0) lc = sprintf("%d (%.1f%%)", lost, lost / f[7] * 100)
			printf "| %d | %d | %d | %s | %d | %s | %d |\n", f[5], f[6], f[8], drop, f[13], lc, f[14]
			if (past != "") continue
			if (lost > 0) {
				past = f[5] " /s offered, " f[6] " achieved: " lost " of " f[7] " lost"
				continue
			}
			held = f[5] " /s offered, " f[6] " achieved"
			# The queue absorbs a burst: keeping up is also ending
			# the step with less than a second of alerts unread.
			if (f[14] <= f[6]) kept = held
			short = f[6] * 10 < f[5] * 9
		}
		if (held == "") {
			printf "\nHeld: nothing; lost already at the lowest step, %s.\n", past
			continue
		}
		printf "\nHeld with nothing lost: %s", held
		if (past != "")
			printf "; first step past it: %s", past
		else
			printf ", the last step%s", short ? " (the generator could not offer more)" : ""
		printf ".\nKept up (nothing lost, under a second of alerts unread when the step ended): %s.\n", kept == "" ? "no step" : kept
	}
}' "$@"
