// SPDX-License-Identifier: GPL-2.0
/*
 * The counters of the module, in one place. Every part counts with
 * c2w_count() or c2w_count_hook(), a per-CPU add that is safe in probe
 * context and takes no lock; status.c sums them for the two user surfaces.
 * Gauges (entries in the seen set, the queue's size) stay with the part
 * that owns the state they describe. The sums read other CPUs' u64s
 * without a lock: whole on 64-bit kernels, the only ones c2watch is built
 * and tested for (Debian's amd64 kernels).
 */
#include <linux/math64.h>
#include <linux/percpu.h>

#include "c2watch.h"

DEFINE_PER_CPU(struct c2w_pcpu_stats, c2w_pcpu_stats);

/**
 * c2w_stats_sum() - every counter, summed over the CPUs, into @st
 * @st: statistics being filled; the gauges are left alone
 */
void c2w_stats_sum(struct c2w_stats *st)
{
	struct c2w_pcpu_stats sum = { };
	int cpu, i;

	for_each_possible_cpu(cpu) {
		const struct c2w_pcpu_stats *p = per_cpu_ptr(&c2w_pcpu_stats,
							     cpu);

		for (i = 0; i < C2W_HOOK_MAX; i++)
			sum.hook[i] += READ_ONCE(p->hook[i]);
		for (i = 0; i < C2W_SEND_MAX; i++)
			sum.send[i] += READ_ONCE(p->send[i]);
		for (i = 0; i < C2W_ST_MAX; i++)
			sum.c[i] += READ_ONCE(p->c[i]);
	}
	for (i = 0; i < C2W_HOOK_MAX; i++)
		st->hook_hits[i] = sum.hook[i];
	for (i = 0; i < C2W_SEND_MAX; i++)
		st->send_hits[i] = sum.send[i];
	st->send_memo = sum.c[C2W_ST_SEND_MEMO];
	st->events = sum.c[C2W_ST_EVENTS];
	st->exe_replaced = sum.c[C2W_ST_EXE_REPLACED];
	st->exe_replaced_untracked = sum.c[C2W_ST_EXE_REPLACED_UNTRACKED];
	st->uid_over = sum.c[C2W_ST_UID_OVER];
	st->exe_cache_hits = sum.c[C2W_ST_EXE_CACHE_HIT];
	st->exe_cache_misses = sum.c[C2W_ST_EXE_CACHE_MISS];
	st->excluded_dst = sum.c[C2W_ST_EXCLUDED_DST];
	st->seen_hinted = sum.c[C2W_ST_SEEN_HINTED];
	st->excluded_exe = sum.c[C2W_ST_EXCLUDED_EXE];
	st->repeated = sum.c[C2W_ST_REPEATED];
	st->known_at_probe = sum.c[C2W_ST_KNOWN_AT_PROBE];
	st->exe_cache_lookups = sum.c[C2W_ST_EXE_CACHE_LOOKUP];
	st->ignored = sum.c[C2W_ST_IGNORED];
	st->evaluated = sum.c[C2W_ST_EVALUATED];
	st->excluded = sum.c[C2W_ST_EXCLUDED];
	st->matched = sum.c[C2W_ST_MATCHED];
	st->suppressed = sum.c[C2W_ST_SUPPRESSED];
	st->alerted = sum.c[C2W_ST_ALERTED];
	st->dropped_alerts = sum.c[C2W_ST_DROPPED_ALERTS];
	st->failed = sum.c[C2W_ST_FAILED];
	st->records_queued = sum.c[C2W_ST_RECORDS_QUEUED];
	st->records_read = sum.c[C2W_ST_RECORDS_READ];
	st->records_dropped = sum.c[C2W_ST_RECORDS_DROPPED];
	st->seen_full = sum.c[C2W_ST_SEEN_FULL];
	st->seen_expired = sum.c[C2W_ST_SEEN_EXPIRED];
	st->netlink_sent = sum.c[C2W_ST_NETLINK_SENT];
	st->netlink_failed = sum.c[C2W_ST_NETLINK_FAILED];
	/* Timed one in C2W_PROBE_SAMPLE: the average, and what it makes. */
	st->probe_ns_avg = sum.c[C2W_ST_PROBE_SAMPLES] ?
			   div64_u64(sum.c[C2W_ST_PROBE_NS],
				     sum.c[C2W_ST_PROBE_SAMPLES]) : 0;
	st->probe_ns_total = sum.c[C2W_ST_PROBE_NS] * C2W_PROBE_SAMPLE;
}
