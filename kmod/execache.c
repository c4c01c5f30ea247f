// SPDX-License-Identifier: GPL-2.0
/*
 * The executable cache: what exe.c resolved for a process image, so that
 * the next connects of that image skip d_path(), the chroot check (init's
 * task lock) and the mount placement. A beaconing implant, or a trusted
 * tool that sends to many destinations, would otherwise pay them on every
 * attempt.
 *
 * Keyed by the mm: exec makes a new one, fork copies it, and an entry pins
 * its mm with mmgrab(), so the pointer cannot come back as another process
 * while the entry lives. That keeps the mm_struct and what __mmdrop()
 * frees (the top page table, the LDT, counters: some 10 to 20 KiB), not
 * its pages or its exe_file: no file or mount is kept busy. At most
 * exe_cache entries, for at most a sweep interval after the process is
 * gone. An entry is used only when everything its path was
 * made of is unchanged (exe.c's &struct c2w_exe_key): the same exe_file,
 * the same root, the same side of the initial mount namespace, and the same
 * stamp, which every rename, every mount change in the initial namespace
 * and every executable swap moves. Otherwise it is resolved again and the
 * entry replaced.
 *
 * Lookups are lockless (RCU); inserts take only their bucket's lock and
 * allocate with GFP_ATOMIC, bounded by exe_cache entries: past that, no new
 * entry, the attempt is resolved in full as without a cache. A sweep, armed
 * by inserts, drops the entries of exited processes and stale ones.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "c2watch.h"
#include "compat.h"

#define SWEEP_INTERVAL	HZ
#define EXE_CACHE_MAX	65536

/**
 * struct cached - one process image's executable
 * @node: in the table
 * @rcu: freed after a grace period
 * @gc: on the sweep's list of entries to free
 * @mm: the key, pinned by mmgrab() (the pin moves to a replacing entry)
 * @k: what the path was made of
 * @flags: %C2W_AF_* of the path, but %C2W_AF_EXE_DELETED, checked per alert
 * @len: length of @path
 * @name_off: where the basename starts in @path
 * @name_len: its length
 * @memo_gen: the ruleset @memo was made under
 * @memo: the outcome of the ruleset's clauses on the executable alone
 *	(rules.c, c2w_rs_proc_eval()): a new ruleset makes a new entry
 * @seen: where its new-terms key sits in the seen set (detect.c): a new
 *	hint makes a new entry; an entry never changes once in the table
 * @path: the path, NUL-terminated
 */
struct cached {
	struct rhash_head node;
	struct rcu_head rcu;
	struct list_head gc;
	struct mm_struct *mm;
	struct c2w_exe_key k;
	u32 flags;
	u32 len;
	u32 name_off;
	u32 name_len;
	u64 memo_gen;
	u64 memo;
	struct c2w_seen_hint seen;
	char path[];
};

static const struct rhashtable_params cache_params = {
	.head_offset		= offsetof(struct cached, node),
	.key_offset		= offsetof(struct cached, mm),
	.key_len		= sizeof(struct mm_struct *),
	.automatic_shrinking	= true,
};

static struct rhashtable cache_tbl;
static atomic_t cache_count;

DEFINE_PER_CPU(struct c2w_mm_notes, c2w_mm_notes);
static struct delayed_work sweep_work;
static bool cache_live;

static unsigned int exe_cache = 1024;
module_param(exe_cache, uint, 0444);
MODULE_PARM_DESC(exe_cache, "Process images whose resolved executable is cached, 0..65536 (default 1024, 0: no cache)");

/**
 * c2w_execache_on() - whether the cache may hold anything
 *
 * Context: any, including kprobe context.
 * Return: false with exe_cache=0, and before init or after exit.
 */
bool c2w_execache_on(void)
{
	return READ_ONCE(exe_cache) && READ_ONCE(cache_live);
}

/**
 * c2w_execache_room() - whether an entry could be kept now
 *
 * So that nothing is computed for an entry that cannot be stored (no
 * cache, or a full one).
 *
 * Context: any, including kprobe context.
 * Return: true when the cache is on and not full.
 */
bool c2w_execache_room(void)
{
	return READ_ONCE(cache_live) &&
	       (u32)atomic_read(&cache_count) < READ_ONCE(exe_cache);
}

/**
 * c2w_execache_get() - the cached executable of @mm, when still valid
 * @mm: the current task's mm
 * @k: what its path would be made of now
 * @exe: filled in on a hit, its strings pointing into @buf
 * @buf: room for the path, %PATH_MAX bytes
 *
 * Context: kprobe context, @mm is current's.
 * Return: true on a hit.
 */
bool c2w_execache_get(struct mm_struct *mm, const struct c2w_exe_key *k,
		      struct c2w_exe *exe, char *buf)
{
	const struct cached *e;
	bool hit = false;

	if (!READ_ONCE(exe_cache))
		return false;
	rcu_read_lock();
	/* Also reached from configuration records, before init or after exit. */
	if (!smp_load_acquire(&cache_live)) {
		rcu_read_unlock();
		return false;
	}
	e = rhashtable_lookup(&cache_tbl, &mm, cache_params);
	if (e && c2w_execache_key_equal(&e->k, k)) {
		memcpy(buf, e->path, e->len + 1);
		exe->path = buf;
		exe->len = e->len;
		exe->name = buf + e->name_off;
		exe->name_len = e->name_len;
		exe->flags |= e->flags;
		exe->memo_gen = e->memo_gen;
		exe->memo = e->memo;
		exe->seen = e->seen;
		hit = true;
	}
	rcu_read_unlock();
	c2w_count(hit ? C2W_ST_EXE_CACHE_HIT : C2W_ST_EXE_CACHE_MISS, 1);
	if (hit)
		c2w_count(C2W_ST_EXE_CACHE_LOOKUP, 1);
	return hit;
}

/**
 * c2w_execache_copy() - @mm's cached executable, for the caller to keep
 * @mm: the current task's mm
 * @k: what its path would be made of now
 * @cp: on a hit, filled as c2w_exe_keep() fills it from a cache hit (the
 *	path not kept when it is too long for @cp); untouched otherwise
 *
 * c2w_execache_get() into a caller's copy. Only the lookup is counted
 * (%C2W_ST_EXE_CACHE_LOOKUP): the caller counts what it decides with it.
 *
 * Context: kprobe context, @mm is current's.
 * Return: true on a hit.
 */
bool c2w_execache_copy(struct mm_struct *mm, const struct c2w_exe_key *k,
		       struct c2w_exe_copy *cp)
{
	const struct cached *e;
	bool hit = false;

	if (!READ_ONCE(exe_cache))
		return false;
	rcu_read_lock();
	/* Pairs with init's release, as in c2w_execache_get(). */
	if (smp_load_acquire(&cache_live)) {
		e = rhashtable_lookup(&cache_tbl, &mm, cache_params);
		if (e && c2w_execache_key_equal(&e->k, k)) {
			cp->len = 0;
			if (e->len < sizeof(cp->path)) {
				memcpy(cp->path, e->path, e->len + 1);
				cp->len = e->len;
			}
			cp->name_off = e->name_off;
			cp->name_len = e->name_len;
			cp->flags = e->flags;
			cp->memo_gen = e->memo_gen;
			cp->memo = e->memo;
			cp->seen = e->seen;
			hit = true;
		}
	}
	rcu_read_unlock();
	if (hit)
		c2w_count(C2W_ST_EXE_CACHE_LOOKUP, 1);
	return hit;
}

/* Under rcu_read_lock() with cache_live seen: exit waits for it. */
static void sweep_arm(void)
{
	if (!delayed_work_pending(&sweep_work))
		queue_delayed_work(system_unbound_wq, &sweep_work,
				   SWEEP_INTERVAL);
}

/**
 * c2w_execache_put() - remember what @exe resolved to for @mm
 * @mm: the current task's mm
 * @exe: the resolved executable, @exe->key what it was made of (taken
 *	before resolving it); a whole, placed path: exe.c decides. Kept with
 *	it: @exe->memo (its clauses' outcome under ruleset @exe->memo_gen)
 *	and @exe->seen (where its key sits in the seen set)
 *
 * Replaces a stale entry of @mm, or one with another ruleset's memo or
 * another seen hint; does nothing when the stamp moved since the path was
 * resolved (at the end of the evaluation: a rename anywhere meanwhile),
 * when the table is full or memory is short (never from the atomic
 * reserves): the next attempt resolves in full again.
 *
 * Context: kprobe context, @mm is current's.
 */
void c2w_execache_put(struct mm_struct *mm, const struct c2w_exe *exe)
{
	const struct c2w_exe_key *k = &exe->key;
	struct c2w_exe_stamp now;
	struct cached *e, *old;

	/* Whole paths only: a head's name lives outside the path. */
	if (!READ_ONCE(exe_cache) || exe->head || exe->len >= PATH_MAX ||
	    exe->name < exe->path || exe->name + exe->name_len !=
	    exe->path + exe->len)
		return;
	if (!c2w_execache_stamp(&now) ||
	    !c2w_execache_stamp_equal(&now, &k->stamp))
		return;
	e = kmalloc(struct_size(e, path, exe->len + 1),
		    GFP_NOWAIT | __GFP_NOWARN);
	if (!e)
		return;
	e->mm = mm;
	e->k = *k;
	e->flags = exe->flags & ~C2W_AF_EXE_DELETED;
	e->len = exe->len;
	e->name_off = exe->name - exe->path;
	e->name_len = exe->name_len;
	e->memo_gen = exe->memo_gen;
	e->memo = exe->memo;
	e->seen = exe->seen;
	memcpy(e->path, exe->path, exe->len);
	e->path[exe->len] = '\0';

	rcu_read_lock();
	if (!smp_load_acquire(&cache_live))	/* pairs with init's release */
		goto out;
	old = rhashtable_lookup(&cache_tbl, &mm, cache_params);
	if (old) {
		/* The stale entry's pin moves to the new one. */
		if (rhashtable_replace_fast(&cache_tbl, &old->node, &e->node,
					    cache_params))
			goto out;	/* another CPU replaced it first */
		rcu_read_unlock();
		kfree_rcu(old, rcu);
		return;
	}
	if (atomic_inc_return(&cache_count) > READ_ONCE(exe_cache))
		goto full;
	mmgrab(mm);
	old = rhashtable_lookup_get_insert_fast(&cache_tbl, &e->node,
						cache_params);
	if (old) {
		/* Raced with another CPU's insert, or no memory. */
		mmdrop(mm);	/* not the last reference: current holds one */
		goto full;
	}
	sweep_arm();
	rcu_read_unlock();
	return;
full:
	atomic_dec(&cache_count);
out:
	rcu_read_unlock();
	kfree(e);
}

/*
 * Clear every CPU's notes of @mm (c2w_execache_note()). After the grace
 * period that followed the removal of its entry, no probe that found the
 * entry is still writing one, and none can find it any more. A probe
 * reading a note meanwhile could only be @mm's own process, alive only if
 * the entry went stale (its stamp moved: c2w_exe_same() fails).
 */
static void forget_notes(const struct mm_struct *mm)
{
	int cpu, n;

	for_each_possible_cpu(cpu)
		for (n = 0; n < C2W_NOTE_MAX; n++)
			cmpxchg(&per_cpu_ptr(&c2w_mm_notes, cpu)->mm[n], mm,
				NULL);
}

/*
 * Free entries out of the table: their pins, after a grace period, and
 * after the probes' notes of their mm pointers are cleared: once an mm is
 * freed, its address may be another process's.
 */
static void free_list(struct list_head *dead)
{
	struct cached *e, *tmp;

	if (list_empty(dead))
		return;
	synchronize_rcu();
	list_for_each_entry_safe(e, tmp, dead, gc) {
		forget_notes(e->mm);
		mmdrop(e->mm);
		kfree(e);
		atomic_dec(&cache_count);
	}
}

/*
 * Drop the entries of images no task runs any more, and those whose stamp
 * has moved on (they could only be replaced). Re-armed while entries are
 * left.
 */
static void sweep(struct work_struct *work)
{
	struct c2w_exe_stamp now;
	struct rhashtable_iter it;
	struct cached *e;
	LIST_HEAD(dead);

	c2w_execache_stamp(&now);
	rhashtable_walk_enter(&cache_tbl, &it);
	rhashtable_walk_start(&it);
	while ((e = rhashtable_walk_next(&it))) {
		if (IS_ERR(e))
			continue;
		if ((!atomic_read(&e->mm->mm_users) ||
		     !c2w_execache_stamp_equal(&e->k.stamp, &now)) &&
		    !rhashtable_remove_fast(&cache_tbl, &e->node, cache_params))
			list_add(&e->gc, &dead);
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
	free_list(&dead);
	if (atomic_read(&cache_count))
		sweep_arm();
}

/**
 * c2w_execache_live() - process images cached now
 *
 * Return: the number of entries.
 */
u32 c2w_execache_live(void)
{
	return atomic_read(&cache_count);
}

/**
 * c2w_execache_init() - the empty table
 *
 * Return: 0, -EINVAL (exe_cache out of range) or -ENOMEM.
 */
int c2w_execache_init(void)
{
	int ret;

	if (exe_cache > EXE_CACHE_MAX) {
		pr_err("exe_cache must be 0..%u entries\n", EXE_CACHE_MAX);
		return -EINVAL;
	}
	ret = rhashtable_init(&cache_tbl, &cache_params);
	if (ret)
		return ret;
	atomic_set(&cache_count, 0);
	INIT_DELAYED_WORK(&sweep_work, sweep);
	smp_store_release(&cache_live, true);	/* the table, then live */
	return 0;
}

static void free_entry(void *ptr, void *arg)
{
	struct cached *e = ptr;

	mmdrop(e->mm);
	kfree(e);
}

/**
 * c2w_execache_exit() - free every entry and its pin
 *
 * The probes, which look entries up and insert them, are gone already.
 */
void c2w_execache_exit(void)
{
	/* No lookup or insert starts from here; wait for those under way. */
	WRITE_ONCE(cache_live, false);
	synchronize_rcu();
	cancel_delayed_work_sync(&sweep_work);
	rhashtable_free_and_destroy(&cache_tbl, free_entry, NULL);
}
