// SPDX-License-Identifier: GPL-2.0
/*
 * Each user's share of the seen set and of the reader's queue. Without
 * one, a single unprivileged uid running many programs from /tmp fills
 * the seen set (after which every detection fails open and alerts on every
 * attempt) or the queue (after which another user's alert is only a
 * number in a lost-records notice). A uid holds at most uid_share percent
 * of either; past it, its excess is counted per uid, with one of its
 * executables as a sample, and summarised once a second in a
 * C2W_REC_UID_OVER record, while every other uid is served as before.
 *
 * Accounts live in an rhashtable keyed by uid, created on a uid's first
 * entry or queued alert (GFP_ATOMIC, from the probes) and freed by the
 * summary once they hold nothing and owe no summary. The summary runs in
 * the probes' once-a-second work, which hands it the record stream's put:
 * the stream itself calls in here to account what it queues and hands out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "c2watch.h"

#define SAMPLE_MAX	256

struct uid_acct {
	struct rhash_head node;
	struct rcu_head rcu;
	u32 uid;
	atomic_t entries;		/* seen-set entries held */
	atomic_t queued;		/* bytes of alerts in the queue */
	atomic64_t over_seen;		/* since the last summary */
	atomic64_t over_queue;
	atomic64_t total;
	spinlock_t sample_lock;		/* @sample; probes only trylock */
	u16 sample_len;
	char sample[SAMPLE_MAX];
};

static const struct rhashtable_params acct_params = {
	.head_offset		= offsetof(struct uid_acct, node),
	.key_offset		= offsetof(struct uid_acct, uid),
	.key_len		= sizeof(u32),
	.automatic_shrinking	= true,
};

static struct rhashtable acct_tbl;
static u32 seen_share, queue_share;

static unsigned int uid_share = 25;
module_param(uid_share, uint, 0444);
MODULE_PARM_DESC(uid_share, "Percent of the seen set and of the queue one uid may hold; its excess is summarised per uid (default 25, 100: no limit)");

/* The account of @uid, made if need be. Under rcu_read_lock(). */
static struct uid_acct *acct_get(u32 uid)
{
	struct uid_acct *a, *old;

	a = rhashtable_lookup(&acct_tbl, &uid, acct_params);
	if (a)
		return a;
	a = kzalloc(sizeof(*a), GFP_ATOMIC | __GFP_NOWARN);
	if (!a)
		return NULL;
	a->uid = uid;
	spin_lock_init(&a->sample_lock);
	old = rhashtable_lookup_get_insert_fast(&acct_tbl, &a->node,
						acct_params);
	if (old) {
		kfree(a);
		return IS_ERR(old) ? NULL : old;
	}
	return a;
}

/* Hold one more of @limit in @counter, or say that @uid is over. */
static bool take(atomic_t *counter, int n, u32 limit)
{
	int cur = atomic_read(counter);

	do {
		if (cur + n > (int)limit && cur)
			return false;
	} while (!atomic_try_cmpxchg(counter, &cur, cur + n));
	return true;
}

/**
 * c2w_uid_seen_take() - account a new seen-set entry to @uid
 * @uid: the connecting task's uid; %C2W_UID_NONE is not accounted
 *
 * Context: any; never sleeps.
 * Return: true, or false when @uid holds its share already. Without an
 * account (no memory) the entry is allowed: the global limits still hold.
 */
bool c2w_uid_seen_take(u32 uid)
{
	struct uid_acct *a;
	bool ok = true;

	if (uid == C2W_UID_NONE || uid_share >= 100)
		return true;
	rcu_read_lock();
	a = acct_get(uid);
	if (a)
		ok = take(&a->entries, 1, seen_share);
	rcu_read_unlock();
	return ok;
}

/**
 * c2w_uid_seen_put() - an entry of @uid left the seen set
 * @uid: as given to c2w_uid_seen_take()
 */
void c2w_uid_seen_put(u32 uid)
{
	struct uid_acct *a;

	if (uid == C2W_UID_NONE || uid_share >= 100)
		return;
	rcu_read_lock();
	a = rhashtable_lookup(&acct_tbl, &uid, acct_params);
	if (a && atomic_read(&a->entries) > 0)
		atomic_dec(&a->entries);
	rcu_read_unlock();
}

/**
 * c2w_uid_queue_take() - account an alert of @bytes to @uid in the queue
 * @uid: the alert's uid
 * @bytes: its size
 *
 * Context: any; never sleeps.
 * Return: true, or false when @uid's alerts fill its share of the queue.
 */
bool c2w_uid_queue_take(u32 uid, u32 bytes)
{
	struct uid_acct *a;
	bool ok = true;

	if (uid_share >= 100)
		return true;
	rcu_read_lock();
	a = acct_get(uid);
	if (a)
		ok = take(&a->queued, bytes, queue_share);
	rcu_read_unlock();
	return ok;
}

/**
 * c2w_uid_queue_put() - an alert of @uid left the queue (read or dropped)
 * @uid: as given to c2w_uid_queue_take()
 * @bytes: its size
 */
void c2w_uid_queue_put(u32 uid, u32 bytes)
{
	struct uid_acct *a;

	if (uid_share >= 100)
		return;
	rcu_read_lock();
	a = rhashtable_lookup(&acct_tbl, &uid, acct_params);
	if (a)
		atomic_sub(min_t(int, bytes, atomic_read(&a->queued)),
			   &a->queued);
	rcu_read_unlock();
}

/**
 * c2w_uid_over() - @uid went past its share: count it, keep a sample
 * @uid: the uid
 * @queue: the queue share (else the seen-set share)
 * @path: one of the executables concerned
 * @len: its length
 *
 * Context: any; never sleeps.
 */
void c2w_uid_over(u32 uid, bool queue, const char *path, u32 len)
{
	struct uid_acct *a;

	c2w_count(C2W_ST_UID_OVER, 1);
	rcu_read_lock();
	a = acct_get(uid);
	if (a) {
		atomic64_inc(queue ? &a->over_queue : &a->over_seen);
		atomic64_inc(&a->total);
		/* The first one since the last summary; never waits. */
		if (!a->sample_len && spin_trylock(&a->sample_lock)) {
			a->sample_len = min_t(u32, len, SAMPLE_MAX - 1);
			memcpy(a->sample, path, a->sample_len);
			a->sample[a->sample_len] = '\0';
			spin_unlock(&a->sample_lock);
		}
	}
	rcu_read_unlock();
}

static void summarise(struct uid_acct *a, u64 seen, u64 queued,
		      int (*put)(struct c2w_record_hdr *rec))
{
	struct {
		struct c2w_uid_over r;
		char sample[SAMPLE_MAX];
	} rec;
	u32 len;

	memset(&rec, 0, sizeof(rec));
	spin_lock(&a->sample_lock);
	len = a->sample_len;
	memcpy(rec.sample, a->sample, len);
	a->sample_len = 0;
	spin_unlock(&a->sample_lock);
	rec.r.hdr.type = C2W_REC_UID_OVER;
	rec.r.hdr.size = ALIGN(sizeof(rec.r) + len + 1, C2W_REC_ALIGN);
	rec.r.uid = a->uid;
	rec.r.seen = seen;
	rec.r.queued = queued;
	rec.r.total = atomic64_read(&a->total);
	rec.r.sample_off = sizeof(rec.r);
	rec.r.sample_len = len;
	put(&rec.r.hdr);
}

/**
 * c2w_uid_summarise() - a summary record per uid over its share since the
 *	last call; idle accounts freed
 * @put: queues a record (c2w_stream_put())
 *
 * Context: process context, once a second.
 */
void c2w_uid_summarise(int (*put)(struct c2w_record_hdr *rec))
{
	struct rhashtable_iter it;
	struct uid_acct *a;

	rhashtable_walk_enter(&acct_tbl, &it);
	rhashtable_walk_start(&it);
	while ((a = rhashtable_walk_next(&it))) {
		u64 seen, queued;

		if (IS_ERR(a))
			continue;
		seen = atomic64_xchg(&a->over_seen, 0);
		queued = atomic64_xchg(&a->over_queue, 0);
		if (seen || queued) {
			summarise(a, seen, queued, put);
			continue;
		}
		if (!atomic_read(&a->entries) && !atomic_read(&a->queued) &&
		    !rhashtable_remove_fast(&acct_tbl, &a->node, acct_params))
			kfree_rcu(a, rcu);
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
}

/**
 * c2w_uid_init() - the accounts, and the shares of @capacity and @queue
 * @capacity: seen-set entries
 * @queue: bytes of the queue
 *
 * Return: 0, -EINVAL for a uid_share out of 1..100, or -ENOMEM.
 */
int c2w_uid_init(u32 capacity, u32 queue)
{
	if (!uid_share || uid_share > 100) {
		pr_err("uid_share must be 1..100 (percent)\n");
		return -EINVAL;
	}
	c2w_uid_set_capacity(capacity);
	queue_share = max_t(u32, (u64)queue * uid_share / 100,
			    sizeof(struct c2w_alert) + C2W_PATH_MAX);
	return rhashtable_init(&acct_tbl, &acct_params);
}

/**
 * c2w_uid_set_capacity() - the seen set's capacity changed
 * @capacity: its new capacity
 */
void c2w_uid_set_capacity(u32 capacity)
{
	WRITE_ONCE(seen_share, max_t(u32, (u64)capacity * uid_share / 100, 1));
}

static void free_acct(void *ptr, void *arg)
{
	kfree(ptr);
}

/**
 * c2w_uid_exit() - free the accounts; nothing takes or puts any more
 */
void c2w_uid_exit(void)
{
	rhashtable_free_and_destroy(&acct_tbl, free_acct, NULL);
	rcu_barrier();
}
