#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Turn the RESULT lines of the bench VM job into Markdown tables: median and
# spread (min-max) per configuration, as a ratio to the baseline of the
# same run.
awk '
function median(arr, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && arr[j - 1] > arr[j]; j--) {
			t = arr[j]; arr[j] = arr[j - 1]; arr[j - 1] = t
		}
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
$1 == "RESULT" && $2 == "storm" {
	k = $3 " " $4; n[k]++; us[k, n[k]] = $6; rate[k, n[k]] = $7
	if (!(k in lo) || $6 < lo[k]) lo[k] = $6
	if (!(k in hi) || $6 > hi[k]) hi[k] = $6
}
$1 == "RESULT" && $2 == "probe" { pn[$3]++; probe[$3, pn[$3]] = $5 }
$1 == "RESULT" && $2 == "seen" { seen[++ns] = $0 }
END {
	split("baseline bare early worst auditd", cfgs, " ")
	name["baseline"] = "no module (baseline)"
	name["bare"] = "bare kretprobes, empty handlers"
	name["early"] = "c2watch, seed rule, excluded early (127.0.0.1)"
	name["worst"] = "c2watch, seed rule, full evaluation (/tmp, seen, 1.1.1.1)"
	name["auditd"] = "auditd, -S connect rule"
	for (p = 1; p <= 2; p++) {
		proto = p == 1 ? "tcp" : "udp"
		base = 0
		printf "\n%s connect storm (µs per socket+connect+close, median of %d rounds)\n\n", toupper(proto), n["baseline " proto]
		print "| configuration | µs/connect | spread | connects/s | vs baseline |"
		print "|---|---|---|---|---|"
		for (c = 1; c <= 5; c++) {
			k = cfgs[c] " " proto
			if (!n[k]) continue
			for (i = 1; i <= n[k]; i++) { a[i] = us[k, i]; r[i] = rate[k, i] }
			m = median(a, n[k]); mr = median(r, n[k])
			if (cfgs[c] == "baseline") base = m
			printf "| %s | %.1f | %.1f-%.1f | %.0f | %+.1f%% |\n", name[cfgs[c]], m, lo[k], hi[k], mr, base ? (m / base - 1) * 100 : 0
		}
	}
	print "\nIn-module probe cost (ns per evaluated attempt, median of rounds)\n"
	print "| configuration | ns |"
	print "|---|---|"
	for (c = 3; c <= 4; c++) {
		cf = cfgs[c]
		for (i = 1; i <= pn[cf]; i++) b[i] = probe[cf, i]
		if (pn[cf]) printf "| %s | %d |\n", name[cf], median(b, pn[cf])
	}
	print "\nSeen set: worst-case probe cost and memory by size\n"
	print "| imported entries | probe ns | entries | bytes (counted) | slab growth | bytes/entry (slab) | queue bytes |"
	print "|---|---|---|---|---|---|---|"
	for (i = 1; i <= ns; i++) {
		split(seen[i], f, " ")
		printf "| %d | %d | %d | %d | %d | %s | %d |\n", f[3], f[4], f[5], f[6], f[7], f[3] ? sprintf("%.0f", f[7] / f[3]) : "-", f[8]
	}
}' "$@"
