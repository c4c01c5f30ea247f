// SPDX-License-Identifier: GPL-2.0
/*
 * The seen set: new-terms memory of which keys (by default executable
 * paths) already matched each rule, and when.
 *
 * An rhashtable keyed by (rule id, key). Probes look up under RCU without
 * locks and insert with GFP_ATOMIC; the table is bounded by an entry count
 * and a byte budget. When an entry cannot be recorded the detection fails
 * open: the caller alerts and marks the alert. Entries older than their
 * window are new again on their next match and are reaped off the hot path
 * by a periodic work item. Keyed by rule *id* so a ruleset reload keeps what
 * was seen.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jhash.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "c2watch.h"

#define REAP_INTERVAL		(60 * HZ)

struct seen_entry {
	struct rhash_head node;
	struct rcu_head rcu;
	u64 first;		/* CLOCK_REALTIME seconds */
	u64 last;
	u64 last_event;		/* last alert or C2W_AF_EVENT report, 0: none */
	atomic64_t hits;
	u32 window;		/* window at the last match, for the reaper */
	u32 uid;		/* whose share holds it (uidshare.c) */
	u16 id_len;
	u16 key_len;
	char data[];		/* rule id, then key */
};

struct seen_lookup {
	const char *id;
	const char *key;
	u32 id_len;
	u32 key_len;
	u32 id_hash;
};

static struct rhashtable seen_tbl;
static atomic_t seen_count;
/*
 * Entries removed so far. A hint (struct c2w_seen_hint) names an entry
 * without the table: it holds while this count is what it was before the
 * lookup that found the entry. Every removal from seen_tbl must go
 * through entry_remove(), which counts it.
 */
static atomic64_t seen_removed;
static atomic64_t seen_bytes;
static u32 seen_capacity_max;
static unsigned long seen_max_bytes = 64UL << 20;
/* Set once the record queue can take a config record, cleared at unload. */
static bool seen_live;

/*
 * The one parameter writable at run time goes through the configuration
 * lock like every other setting: refused after C2W_IOC_LOCK, and each
 * change is a config record in the stream.
 */
static int seen_max_bytes_set(const char *val, const struct kernel_param *kp)
{
	unsigned long v;
	int ret;

	/* Below one page no entry fits: every detection would fail open. */
	if (kstrtoul(val, 0, &v) || v < PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&c2w_config_lock);
	if (!seen_live) {
		/* insmod's value, or a write during unload: not recorded. */
		ret = param_set_ulong(val, kp);
	} else if (c2w_locked) {
		ret = -EPERM;
	} else {
		ret = param_set_ulong(val, kp);
		if (!ret)
			c2w_config_record(C2W_CFG_SEEN_MAX_BYTES,
					  READ_ONCE(seen_max_bytes));
	}
	mutex_unlock(&c2w_config_lock);
	return ret;
}

static const struct kernel_param_ops seen_max_bytes_ops = {
	.set = seen_max_bytes_set,
	.get = param_get_ulong,
};

module_param_cb(seen_max_bytes, &seen_max_bytes_ops, &seen_max_bytes, 0644);
__MODULE_PARM_TYPE(seen_max_bytes, "ulong");
MODULE_PARM_DESC(seen_max_bytes, "Memory budget of the seen set in bytes (default 64 MiB); refused after lock, every change recorded");
static struct delayed_work reap_work;

/*
 * The key hashed with its rule's id's hash (c2w_id_hash(), made once per
 * rule) for a seed: the id is not hashed again on every lookup (about 100
 * instructions for a 36-byte id), and a key under two rules still lands
 * in two buckets.
 */
static u32 seen_hashfn(const void *data, u32 len, u32 seed)
{
	const struct seen_lookup *k = data;

	return jhash(k->key, k->key_len, seed ^ k->id_hash);
}

static u32 seen_obj_hashfn(const void *data, u32 len, u32 seed)
{
	const struct seen_entry *e = data;

	return jhash(e->data + e->id_len, e->key_len,
		     seed ^ c2w_id_hash(e->data, e->id_len));
}

/*
 * @n bytes alike, eight at a time (the last eight overlapping), in this
 * file: a found key is compared whole, its rule's id (36 bytes for
 * Elastic's) and the key, on every lookup, where two calls to memcmp()
 * cost half as much again.
 */
static bool same_bytes(const u8 *a, const u8 *b, u32 n)
{
	u32 i;

	if (n < 8) {
		for (i = 0; i < n; i++)
			if (a[i] != b[i])
				return false;
		return true;
	}
	for (i = 0; i < n - 8; i += 8)
		if (get_unaligned((const u64 *)(a + i)) !=
		    get_unaligned((const u64 *)(b + i)))
			return false;
	return get_unaligned((const u64 *)(a + n - 8)) ==
	       get_unaligned((const u64 *)(b + n - 8));
}

static int seen_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct seen_lookup *k = arg->key;
	const struct seen_entry *e = obj;

	return !(e->id_len == k->id_len && e->key_len == k->key_len &&
		 same_bytes(e->data + e->id_len, k->key, k->key_len) &&
		 same_bytes(e->data, k->id, k->id_len));
}

static const struct rhashtable_params seen_params = {
	.head_offset		= offsetof(struct seen_entry, node),
	.key_len		= sizeof(struct seen_lookup),
	.hashfn			= seen_hashfn,
	.obj_hashfn		= seen_obj_hashfn,
	.obj_cmpfn		= seen_cmpfn,
	.automatic_shrinking	= true,
};

static size_t entry_size(u32 id_len, u32 key_len)
{
	return sizeof(struct seen_entry) + id_len + key_len;
}

/* NULL when the set is full, ERR_PTR(-EDQUOT) when @uid's share is. */
static struct seen_entry *entry_alloc(const struct seen_lookup *k, u64 first,
				      u64 last, u64 hits, u32 window, u32 uid,
				      gfp_t gfp)
{
	size_t sz = entry_size(k->id_len, k->key_len);
	struct seen_entry *e;

	if ((u32)atomic_read(&seen_count) >= READ_ONCE(seen_capacity_max) ||
	    atomic64_read(&seen_bytes) + sz > READ_ONCE(seen_max_bytes))
		return NULL;
	if (!c2w_uid_seen_take(uid))
		return ERR_PTR(-EDQUOT);
	e = kmalloc(sz, gfp | __GFP_NOWARN);
	if (!e) {
		c2w_uid_seen_put(uid);
		return NULL;
	}
	e->uid = uid;
	e->first = first;
	e->last = last;
	e->last_event = 0;
	atomic64_set(&e->hits, hits);
	e->window = window;
	e->id_len = k->id_len;
	e->key_len = k->key_len;
	memcpy(e->data, k->id, k->id_len);
	memcpy(e->data + k->id_len, k->key, k->key_len);
	atomic_inc(&seen_count);
	atomic64_add(sz, &seen_bytes);
	return e;
}

static void entry_free_now(struct seen_entry *e)
{
	c2w_uid_seen_put(e->uid);
	atomic_dec(&seen_count);
	atomic64_sub(entry_size(e->id_len, e->key_len), &seen_bytes);
	kfree(e);
}

static void entry_remove(struct seen_entry *e)
{
	if (rhashtable_remove_fast(&seen_tbl, &e->node, seen_params))
		return;	/* someone else removed it */
	/*
	 * Out of the table, then counted, then freed: a lookup that reads
	 * the count after this cannot find @e; a hint taken before it stops
	 * holding; and a reader who saw the old count and uses @e in the
	 * same RCU read-side section (c2w_seen_check_hint()) is within the
	 * grace period that kfree_rcu() waits for.
	 */
	smp_mb__before_atomic();
	atomic64_inc(&seen_removed);
	c2w_uid_seen_put(e->uid);
	atomic_dec(&seen_count);
	atomic64_sub(entry_size(e->id_len, e->key_len), &seen_bytes);
	kfree_rcu(e, rcu);
}

/*
 * A known key's match is reported when @events is set and the last report
 * is that old; cmpxchg so that one CPU reports it.
 */
static enum c2w_seen_verdict event_due(struct seen_entry *e, u64 now,
				       u32 events)
{
	u64 prev = READ_ONCE(e->last_event);

	if (!events || (s64)(now - prev) < (s64)events)
		return C2W_SEEN_KNOWN;
	if (cmpxchg64(&e->last_event, prev, now) != prev)
		return C2W_SEEN_KNOWN;
	return C2W_SEEN_EVENT;
}

/*
 * A match on an existing entry: refresh last-seen; new again when the
 * previous match is older than the window. cmpxchg so that of several CPUs
 * racing on an expired entry exactly one alerts.
 */
static enum c2w_seen_verdict touch(struct seen_entry *e, u64 now, u32 window,
				   u32 events)
{
	int tries;

	atomic64_inc(&e->hits);
	WRITE_ONCE(e->window, window);
	for (tries = 0; tries < 4; tries++) {
		u64 last = READ_ONCE(e->last);

		if ((s64)(now - last) <= (s64)window) {
			if (now > last)
				cmpxchg64(&e->last, last, now);
			return event_due(e, now, events);
		}
		if (cmpxchg64(&e->last, last, now) == last) {
			WRITE_ONCE(e->first, now);
			/* The alert is this key's report for the interval. */
			WRITE_ONCE(e->last_event, now);
			c2w_count(C2W_ST_SEEN_EXPIRED, 1);
			return C2W_SEEN_NEW;
		}
	}
	return C2W_SEEN_KNOWN;
}

/* @rule's @key as the table looks it up, cut at %C2W_MAX_KEY. */
static struct seen_lookup lookup_key(const struct c2w_rule_info *rule,
				     const char *key, u32 key_len)
{
	return (struct seen_lookup){
		.id = rule->id, .id_len = rule->id_len,
		.id_hash = rule->id_hash,
		.key = key, .key_len = min_t(u32, key_len, C2W_MAX_KEY),
	};
}

/*
 * @k's entry, or NULL; @hint->removed the count of removals read before
 * the lookup (see entry_remove()). Under rcu_read_lock().
 */
static struct seen_entry *find(const struct seen_lookup *k,
			       struct c2w_seen_hint *hint)
{
	hint->removed = atomic64_read(&seen_removed);
	smp_rmb();	/* the count before the lookup: see entry_remove() */
	return rhashtable_lookup(&seen_tbl, k, seen_params);
}

/**
 * c2w_seen_check() - record a match of @rule on @key and say if it is new
 * @rule: the matching rule
 * @key: new-terms key
 * @key_len: its length
 * @window: the rule's window in seconds
 * @events: seconds between reports of a known key's matches, 0 for none
 * @uid: whose share a new entry counts against
 * @hint: NULL, or where the key sits when the set holds it afterwards
 *	(@hint->entry is NULL otherwise), for c2w_seen_check_hint()
 *
 * Context: any, including kprobe context; never sleeps.
 * Return: %C2W_SEEN_NEW (alert), %C2W_SEEN_KNOWN (suppress),
 * %C2W_SEEN_EVENT (known, report it as an event), %C2W_SEEN_FULL (not
 * recorded: alert, fail open) or %C2W_SEEN_OVER (not recorded, @uid holds
 * its share: summarised, not alerted).
 */
enum c2w_seen_verdict c2w_seen_check(const struct c2w_rule_info *rule,
				     const char *key, u32 key_len, u32 window,
				     u32 events, u32 uid,
				     struct c2w_seen_hint *hint)
{
	struct seen_lookup k = lookup_key(rule, key, key_len);
	u64 now = ktime_get_real_seconds();
	struct c2w_seen_hint dummy;
	enum c2w_seen_verdict v;
	struct seen_entry *e, *old;

	if (!hint)
		hint = &dummy;
	hint->entry = NULL;
	rcu_read_lock();
	e = find(&k, hint);
	if (e) {
		v = touch(e, now, window, events);
		rcu_read_unlock();
		hint->entry = e;
		return v;
	}
	rcu_read_unlock();

	e = entry_alloc(&k, now, now, 1, window, uid, GFP_ATOMIC);
	if (IS_ERR(e))
		return C2W_SEEN_OVER;
	if (!e) {
		c2w_count(C2W_ST_SEEN_FULL, 1);
		return C2W_SEEN_FULL;
	}
	e->last_event = now;
	rcu_read_lock();
	old = rhashtable_lookup_get_insert_key(&seen_tbl, &k, &e->node,
					       seen_params);
	if (IS_ERR(old)) {
		rcu_read_unlock();
		entry_free_now(e);
		c2w_count(C2W_ST_SEEN_FULL, 1);
		return C2W_SEEN_FULL;
	}
	if (old) {
		/* Another CPU inserted the key first: it alerts, we don't. */
		v = touch(old, now, window, events);
		rcu_read_unlock();
		entry_free_now(e);
		hint->entry = old;
		return v;
	}
	rcu_read_unlock();
	hint->entry = e;
	return C2W_SEEN_NEW;
}

/**
 * c2w_seen_hint_holds() - whether @hint still names its key's entry
 * @hint: from c2w_seen_check()
 *
 * Context: under rcu_read_lock(), which must also cover any use of the
 * entry after this returns true.
 */
bool c2w_seen_hint_holds(const struct c2w_seen_hint *hint)
{
	return hint->entry &&
	       hint->removed == (u64)atomic64_read(&seen_removed);
}

/**
 * c2w_seen_check_hint() - c2w_seen_check() of a key whose entry is known
 * @hint: from c2w_seen_check() of the same rule and key
 * @window: as c2w_seen_check()
 * @events: as c2w_seen_check()
 * @v: out: the verdict, when the hint held
 *
 * The same refresh and verdict as the lookup would give, without hashing
 * the key: for an executable's repeated matches (detect.c keeps the hint
 * in the executable cache). No entry has been removed since the hint was
 * taken, so its entry is the key's.
 *
 * Context: under rcu_read_lock(), any context; never sleeps.
 * Return: false when the hint no longer holds (look the key up).
 */
bool c2w_seen_check_hint(const struct c2w_seen_hint *hint, u32 window,
			 u32 events, enum c2w_seen_verdict *v)
{
	if (!c2w_seen_hint_holds(hint))
		return false;
	*v = touch(hint->entry, ktime_get_real_seconds(), window, events);
	c2w_count(C2W_ST_SEEN_HINTED, 1);
	return true;
}

/* Within @window of its last match @last at @now, and no event due. */
static bool known_at(const struct seen_entry *e, u64 now, u64 last,
		     u32 window, u32 events)
{
	return (s64)(now - last) <= (s64)window &&
	       (!events ||
		(s64)(now - READ_ONCE(e->last_event)) < (s64)events);
}

/*
 * @e's match refreshed as touch() does when the previous one is within
 * @window and no event is due; else nothing changed. Last-seen only moves
 * forward, so a match found within the window stays within it.
 */
static bool touch_known(struct seen_entry *e, u32 window, u32 events)
{
	u64 now = ktime_get_real_seconds(), last = READ_ONCE(e->last);

	if (!known_at(e, now, last, window, events))
		return false;
	atomic64_inc(&e->hits);
	WRITE_ONCE(e->window, window);
	if (now > last)
		cmpxchg64(&e->last, last, now);
	return true;
}

/**
 * c2w_seen_known() - whether c2w_seen_touch_known() would find the match
 *	known, without touching anything
 * @hint: as c2w_seen_check_hint()
 * @window: as c2w_seen_check()
 * @events: as c2w_seen_check()
 *
 * For a probe that has more to judge before it may touch (detect.c).
 *
 * Context: under rcu_read_lock(), any context; never sleeps.
 * Return: true when the hint holds, within the window, no event due.
 */
bool c2w_seen_known(const struct c2w_seen_hint *hint, u32 window, u32 events)
{
	return c2w_seen_hint_holds(hint) &&
	       known_at(hint->entry, ktime_get_real_seconds(),
			READ_ONCE(hint->entry->last), window, events);
}

/* c2w_seen_touch_known() without the count of matches found through a hint. */
static bool touch_hinted(const struct c2w_seen_hint *hint, u32 window,
			 u32 events)
{
	return c2w_seen_hint_holds(hint) &&
	       touch_known(hint->entry, window, events);
}

/**
 * c2w_seen_touch_known() - c2w_seen_check_hint(), only when the match is
 *	known
 * @hint: as c2w_seen_check_hint()
 * @window: as c2w_seen_check()
 * @events: as c2w_seen_check()
 *
 * For a probe that repeats a match without its event: the entry is
 * refreshed as touch() does when the previous match is within the window
 * and no event is due; otherwise nothing is changed, and the caller
 * evaluates the attempt in full (which then alerts, or reports the event).
 * Last-seen only moves forward, so a match found within the window stays
 * within it.
 *
 * Context: under rcu_read_lock(), any context; never sleeps.
 * Return: true when the match was recorded and is known (suppress).
 */
bool c2w_seen_touch_known(const struct c2w_seen_hint *hint, u32 window,
			  u32 events)
{
	if (!touch_hinted(hint, window, events))
		return false;
	c2w_count(C2W_ST_SEEN_HINTED, 1);
	return true;
}

/**
 * c2w_seen_find_known() - c2w_seen_known() of a key looked up
 * @rule: as c2w_seen_check()
 * @key: as c2w_seen_check()
 * @key_len: as c2w_seen_check()
 * @window: as c2w_seen_check()
 * @events: as c2w_seen_check()
 * @hint: where the key sits (its entry, or NULL), for
 *	c2w_seen_touch_found() when this returns true
 *
 * For a probe that judges a match before its attempt is done (detect.c),
 * and may have several keys to find before it touches any: nothing is
 * changed, and a key the set does not hold is not recorded; the caller
 * then leaves the attempt to c2w_seen_check().
 *
 * Context: under rcu_read_lock(), any context; never sleeps.
 * Return: true when the set holds the key, within the window, no event due.
 */
bool c2w_seen_find_known(const struct c2w_rule_info *rule, const char *key,
			 u32 key_len, u32 window, u32 events,
			 struct c2w_seen_hint *hint)
{
	struct seen_lookup k = lookup_key(rule, key, key_len);
	struct seen_entry *e = find(&k, hint);

	hint->entry = e;
	return e && known_at(e, ktime_get_real_seconds(), READ_ONCE(e->last),
			     window, events);
}

/**
 * c2w_seen_touch_found() - c2w_seen_touch_known() of a key that
 *	c2w_seen_find_known() found, not counted as found through a hint
 * @hint: from c2w_seen_find_known()
 * @window: as c2w_seen_check()
 * @events: as c2w_seen_check()
 *
 * Context: under rcu_read_lock(), any context; never sleeps.
 * Return: true when the match was recorded and is known (suppress).
 */
bool c2w_seen_touch_found(const struct c2w_seen_hint *hint, u32 window,
			  u32 events)
{
	return touch_hinted(hint, window, events);
}

/* Walk every entry; @fn returns false to stop. Process context. */
static void walk(bool (*fn)(struct seen_entry *e, void *arg), void *arg)
{
	struct rhashtable_iter it;
	struct seen_entry *e;

	rhashtable_walk_enter(&seen_tbl, &it);
	rhashtable_walk_start(&it);
	for (;;) {
		e = rhashtable_walk_next(&it);
		if (!e)
			break;
		if (IS_ERR(e)) {
			if (PTR_ERR(e) == -EAGAIN)
				continue;
			break;
		}
		if (!fn(e, arg))
			break;
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
}

static bool reap_one(struct seen_entry *e, void *arg)
{
	u64 now = *(u64 *)arg;

	if ((s64)(now - READ_ONCE(e->last)) > (s64)READ_ONCE(e->window)) {
		entry_remove(e);
		c2w_count(C2W_ST_SEEN_EXPIRED, 1);
	}
	return true;
}

static void reap(struct work_struct *work)
{
	u64 now = ktime_get_real_seconds();

	walk(reap_one, &now);
	schedule_delayed_work(&reap_work, REAP_INTERVAL);
}

struct export_ctx {
	char *buf;
	u32 len;
	u64 needed;
	u32 count;
};

static bool export_one(struct seen_entry *e, void *arg)
{
	struct export_ctx *x = arg;
	u32 sz = ALIGN(sizeof(struct c2w_seen_rec) + e->id_len + e->key_len,
		       8);
	struct c2w_seen_rec *r;

	if (x->needed + sz <= x->len) {
		r = (struct c2w_seen_rec *)(x->buf + x->needed);
		memset(r, 0, sz);
		r->size = sz;
		r->rule_id_len = e->id_len;
		r->key_len = e->key_len;
		r->first_seen = READ_ONCE(e->first);
		r->last_seen = READ_ONCE(e->last);
		r->hits = atomic64_read(&e->hits);
		memcpy(r->data, e->data, e->id_len + e->key_len);
		x->count++;
	}
	x->needed += sz;
	return true;
}

static bool measure_one(struct seen_entry *e, void *arg)
{
	*(u64 *)arg += ALIGN(sizeof(struct c2w_seen_rec) + e->id_len +
			     e->key_len, 8);
	return true;
}

/**
 * c2w_seen_export() - copy every entry out as &struct c2w_seen_rec records
 * @buf: user buffer
 * @len: its size
 * @needed: out: bytes the whole set takes
 * @count: out: records copied
 *
 * The kernel buffer is sized by what the set holds, never by @len alone,
 * so a huge @len costs nothing.
 *
 * Context: process context, c2w_config_lock held.
 * Return: 0, -ENOSPC when @len < @needed (nothing copied), -ENOMEM, -EFAULT.
 */
int c2w_seen_export(void __user *buf, u32 len, u32 *needed, u32 *count)
{
	struct export_ctx x = { };
	u64 size = 0;
	int ret = 0;

	walk(measure_one, &size);
	*count = 0;
	if (size > len) {
		*needed = min_t(u64, size, U32_MAX);
		return -ENOSPC;
	}
	/* Room for entries inserted by probes since the measurement. */
	x.len = min_t(u64, len, size + 64 * 1024);
	if (x.len) {
		x.buf = kvmalloc(x.len, GFP_KERNEL | __GFP_NOWARN);
		if (!x.buf)
			return -ENOMEM;
	}
	walk(export_one, &x);
	*needed = min_t(u64, x.needed, U32_MAX);
	*count = x.count;
	if (x.needed > x.len) {
		*count = 0;
		ret = -ENOSPC;
	} else if (x.needed && copy_to_user(buf, x.buf, x.needed)) {
		ret = -EFAULT;
	}
	kvfree(x.buf);
	return ret;
}

/*
 * The window of the rule @id in @rs, as a match would use it: the rule's
 * own, or the default for a rule without one or not loaded.
 */
static u32 rule_window(const struct c2w_ruleset *rs, const char *id,
		       u32 id_len)
{
	u32 window = READ_ONCE(c2w_default_window);
	int i = c2w_rs_find(rs, id, id_len);

	if (i < 0)
		return window;
	return c2w_rs_rule(rs, i)->window_secs ?: window;
}

/**
 * c2w_seen_import() - merge &struct c2w_seen_rec records into the set
 * @buf: kernel copy of the records
 * @len: its size
 * @rs: the loaded rules (may be NULL), for each entry's window
 * @count: out: records imported or merged
 *
 * A key already present keeps the earliest first-seen and the latest
 * last-seen. Each entry is reaped after its own rule's window, as it would
 * be had it matched here; entries of rules not loaded take the default.
 * Everything is validated before anything is imported.
 *
 * Context: process context, c2w_config_lock held.
 * Return: 0, -EINVAL for a malformed buffer (nothing imported), -ENOSPC
 * when the set filled up (@count says how many went in).
 */
int c2w_seen_import(const void *buf, u32 len, const struct c2w_ruleset *rs,
		    u32 *count)
{
	const struct c2w_seen_rec *r;
	u32 off;

	*count = 0;
	for (off = 0; off < len; off += r->size) {
		if (len - off < sizeof(*r))
			return -EINVAL;
		r = buf + off;
		if (r->size < sizeof(*r) || r->size % 8 || r->size > len - off ||
		    !r->rule_id_len || r->rule_id_len > C2W_RULE_ID_MAX ||
		    r->key_len > C2W_MAX_KEY ||
		    sizeof(*r) + r->rule_id_len + r->key_len > r->size ||
		    r->first_seen > r->last_seen)
			return -EINVAL;
	}
	for (off = 0; off < len; off += r->size) {
		struct seen_lookup k;
		struct seen_entry *e, *old;

		r = buf + off;
		k.id = (const char *)r->data;
		k.id_len = r->rule_id_len;
		k.id_hash = c2w_id_hash(k.id, k.id_len);
		k.key = (const char *)r->data + r->rule_id_len;
		k.key_len = r->key_len;
		e = entry_alloc(&k, r->first_seen, r->last_seen, r->hits,
				rule_window(rs, k.id, k.id_len), C2W_UID_NONE,
				GFP_KERNEL);
		if (!e)
			return -ENOSPC;
		/* Reported then, if at all: no burst of events on import. */
		e->last_event = r->last_seen;
		rcu_read_lock();
		old = rhashtable_lookup_get_insert_key(&seen_tbl, &k, &e->node,
						       seen_params);
		if (old && !IS_ERR(old)) {
			if (r->first_seen < READ_ONCE(old->first))
				WRITE_ONCE(old->first, r->first_seen);
			if (r->last_seen > READ_ONCE(old->last))
				WRITE_ONCE(old->last, r->last_seen);
			atomic64_add(r->hits, &old->hits);
		}
		rcu_read_unlock();
		if (old)
			entry_free_now(e);
		if (IS_ERR(old))
			return PTR_ERR(old) == -ENOMEM ? -ENOSPC : PTR_ERR(old);
		(*count)++;
	}
	return 0;
}

struct forget_ctx {
	const char *key;
	u32 key_len;
	u32 removed;
};

static bool forget_one(struct seen_entry *e, void *arg)
{
	struct forget_ctx *f = arg;

	if (!f->key || (e->key_len == f->key_len &&
			!memcmp(e->data + e->id_len, f->key, f->key_len))) {
		entry_remove(e);
		f->removed++;
	}
	return true;
}

/**
 * c2w_seen_forget() - remove @key for every rule
 * @key: the key
 * @key_len: its length
 *
 * Context: process context.
 * Return: entries removed.
 */
u32 c2w_seen_forget(const char *key, u32 key_len)
{
	struct forget_ctx f = { .key = key, .key_len = key_len };

	walk(forget_one, &f);
	return f.removed;
}

/**
 * c2w_seen_clear() - remove every entry
 *
 * Context: process context.
 * Return: entries removed.
 */
u32 c2w_seen_clear(void)
{
	struct forget_ctx f = { };

	walk(forget_one, &f);
	return f.removed;
}

/**
 * c2w_seen_set_capacity() - change the maximum number of entries
 * @capacity: 1 .. 16M; lowering it below the current size only stops
 *	inserts (detections fail open) until entries expire or are cleared
 *
 * Return: 0 or -EINVAL.
 */
int c2w_seen_set_capacity(u32 capacity)
{
	if (!capacity || capacity > C2W_MAX_SEEN_CAPACITY)
		return -EINVAL;
	WRITE_ONCE(seen_capacity_max, capacity);
	c2w_uid_set_capacity(capacity);
	return 0;
}

/**
 * c2w_seen_capacity() - the maximum number of entries
 *
 * Return: capacity.
 */
u32 c2w_seen_capacity(void)
{
	return READ_ONCE(seen_capacity_max);
}

/**
 * c2w_seen_gauges() - the seen set's size into @st (its event counters
 *	are in stats.c)
 * @st: statistics being filled
 */
void c2w_seen_gauges(struct c2w_stats *st)
{
	st->seen_entries = atomic_read(&seen_count);
	st->seen_capacity = READ_ONCE(seen_capacity_max);
	st->seen_bytes = atomic64_read(&seen_bytes);
}

static void free_entry(void *ptr, void *arg)
{
	kfree(ptr);
}

/**
 * c2w_seen_init() - create the seen set
 * @capacity: maximum entries
 *
 * Return: 0 or -errno.
 */
int c2w_seen_init(u32 capacity)
{
	int ret = c2w_seen_set_capacity(capacity);

	if (ret)
		return ret;
	ret = rhashtable_init(&seen_tbl, &seen_params);
	if (ret)
		return ret;
	INIT_DELAYED_WORK(&reap_work, reap);
	schedule_delayed_work(&reap_work, REAP_INTERVAL);
	mutex_lock(&c2w_config_lock);
	seen_live = true;
	mutex_unlock(&c2w_config_lock);
	return 0;
}

/**
 * c2w_seen_stop() - no more config records from seen_max_bytes writes
 *
 * Its sysfs file stays until the module is gone, after module_exit(): from
 * the start of unloading a write only sets the value.
 */
void c2w_seen_stop(void)
{
	mutex_lock(&c2w_config_lock);
	seen_live = false;
	mutex_unlock(&c2w_config_lock);
}

/**
 * c2w_seen_exit() - free the seen set
 *
 * Context: the probes are unregistered and an RCU grace period has passed.
 */
void c2w_seen_exit(void)
{
	c2w_seen_stop();
	cancel_delayed_work_sync(&reap_work);
	rhashtable_free_and_destroy(&seen_tbl, free_entry, NULL);
	/* Entries removed earlier are freed by kfree_rcu(): wait for them. */
	rcu_barrier();
}
