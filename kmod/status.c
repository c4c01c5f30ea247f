// SPDX-License-Identifier: GPL-2.0
/*
 * The status both user surfaces report: /dev/c2watch (C2W_IOC_GET_STATS,
 * C2W_IOC_GET_CONFIG) and generic netlink (C2W_CMD_GET_STATUS). Each asks
 * here, never the other surface: the counters from stats.c, the gauges from
 * the parts that own them.
 */
#include <linux/string.h>

#include "c2watch.h"

/**
 * c2w_status_stats() - every counter and gauge
 * @st: filled in (fully: no kernel memory leaks out)
 */
void c2w_status_stats(struct c2w_stats *st)
{
	struct c2w_active_rules *ar;

	memset(st, 0, sizeof(*st));
	c2w_stats_sum(st);
	c2w_seen_gauges(st);
	st->missed = c2w_probes_missed();
	st->exe_replaced_live = c2w_exeswap_live();
	st->exe_cache_live = c2w_execache_live();
	rcu_read_lock();
	ar = rcu_dereference(c2w_rules);
	st->rules = ar ? c2w_rs_count(ar->rs) : 0;
	rcu_read_unlock();
}

/**
 * c2w_status_config() - the settings
 * @c: filled in (fully: no kernel memory leaks out)
 */
void c2w_status_config(struct c2w_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mask = C2W_CONFIG_ALL;
	c->enabled = READ_ONCE(c2w_enabled);
	c->locked = READ_ONCE(c2w_locked);
	c->seen_capacity = c2w_seen_capacity();
	c->default_window = READ_ONCE(c2w_default_window);
	c->queue_size = c2w_stream_size();
	c->events_interval = READ_ONCE(c2w_events_interval);
}
