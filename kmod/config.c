// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration the probes act on: the published ruleset and the
 * settings. Readers (probes) use RCU and READ_ONCE(); every change is made
 * under c2w_config_lock, refused once the module is locked, and recorded
 * in the stream by the code making it.
 */
#include <linux/mutex.h>

#include "c2watch.h"

struct c2w_active_rules __rcu *c2w_rules;
/* Bumped (release) after each publish of c2w_rules: verdicts cached under
 * an older generation are not used.
 */
u64 c2w_rules_gen;
/* Serialises configuration changes: rules, settings, seen set, lock. */
DEFINE_MUTEX(c2w_config_lock);
bool c2w_enabled;
bool c2w_locked;
u32 c2w_default_window;
/* Seconds between reports of a known key's matches; 0: none (C2W_AF_EVENT). */
u32 c2w_events_interval;
