// SPDX-License-Identifier: GPL-2.0
/*
 * Executables replaced after exec. prctl(PR_SET_MM, PR_SET_MM_MAP) with an
 * exe_fd needs only CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE in the
 * process's own user namespace (any process, where unprivileged user
 * namespaces are allowed), PR_SET_MM_EXE_FILE CAP_SYS_RESOURCE: either
 * points mm->exe_file at another file, and a program run from /tmp becomes
 * /usr/bin/curl to the rules, and to /proc/PID/exe.
 *
 * A replacement is remembered: the new file (the key; fork shares it, exec
 * replaces it) maps to the file the process was executed from (for a
 * second replacement, the first one's), both pinned. exe.c then resolves
 * such a process to its original executable and flags the alert. An entry
 * is dropped once nothing but this table holds the new file: no process
 * runs under it any more. Seen by a kprobe on replace_mm_exe_file() (5.14
 * and later), before the swap and without instances to run out of; on
 * older kernels, by a kretprobe on the prctl system call comparing
 * mm->exe_file around a PR_SET_MM.
 *
 * Whatever this follows or misses (a full table, a missed probe), a
 * replaced exe_file is known by its open flags: exec opens with
 * __FMODE_EXEC, which open(2) cannot set (exe.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kprobes.h>
#include <linux/prctl.h>
#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <asm/syscall.h>

#include "c2watch.h"
#include "compat.h"

#define SWAP_MAX	4096		/* processes remembered at once */
#define GC_INTERVAL	(5 * HZ)
/* The kretprobe (before 5.14): a PR_SET_MM holds one until it returns. */
#define SWAP_PROBES	1024

struct swap_entry {
	struct rhash_head node;
	struct file *file;	/* key: the exe_file prctl set, pinned */
	struct file *orig;	/* the file executed, pinned */
	struct list_head gc;
};

static const struct rhashtable_params swap_params = {
	.head_offset		= offsetof(struct swap_entry, node),
	.key_offset		= offsetof(struct swap_entry, file),
	.key_len		= sizeof(struct file *),
	.automatic_shrinking	= true,
};

static struct rhashtable swap_tbl;
static atomic_t swap_count;
/*
 * Moved before every swap: a cached executable may be the old one. Read on
 * every attempt by c2w_execache_stamp(), inline.
 */
atomic_t c2w_exeswap_seq __read_mostly;

static void swap_coming(void)
{
	atomic_inc(&c2w_exeswap_seq);
	/* Pairs with c2w_execache_stamp(): the count before the swap. */
	smp_mb__after_atomic();
}

static struct delayed_work gc_work;

/**
 * c2w_exeswap_orig() - the executable a replaced exe_file stands for
 * @file: a task's mm->exe_file (a reference held by the caller)
 *
 * Context: any, including kprobe context.
 * Return: the file the task was executed from, with a reference the caller
 * puts, or NULL when @file was not set by a replacement.
 */
struct file *c2w_exeswap_orig(struct file *file)
{
	struct swap_entry *e;
	struct file *orig = NULL;

	if (!atomic_read(&swap_count))
		return NULL;
	rcu_read_lock();
	e = rhashtable_lookup(&swap_tbl, &file, swap_params);
	/* The entry's own reference lasts a grace period past removal. */
	if (e)
		orig = get_file(e->orig);
	rcu_read_unlock();
	return orig;
}

/* Remember that @now (referenced) replaced @before (referenced). */
static void remember(struct file *now, struct file *before)
{
	struct swap_entry *e, *old;
	struct file *orig;

	/* A second replacement stands for the first one's original. */
	orig = c2w_exeswap_orig(before) ?: get_file(before);
	if (atomic_inc_return(&swap_count) > SWAP_MAX)
		goto untracked;
	e = kmalloc(sizeof(*e), GFP_ATOMIC | __GFP_NOWARN);
	if (!e)
		goto untracked;
	e->file = now;
	e->orig = orig;
	old = rhashtable_lookup_get_insert_fast(&swap_tbl, &e->node,
						swap_params);
	if (!old) {
		c2w_count(C2W_ST_EXE_REPLACED, 1);
		return;
	}
	kfree(e);
	if (!IS_ERR(old)) {
		/* Another process got there first with this file. */
		atomic_dec(&swap_count);
		c2w_count(C2W_ST_EXE_REPLACED, 1);
		fput(orig);
		fput(now);
		return;
	}
untracked:
	atomic_dec(&swap_count);
	c2w_count(C2W_ST_EXE_REPLACED_UNTRACKED, 1);
	fput(orig);
	fput(now);
}

struct prctl_data {
	struct file *before;
};

static int prctl_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct prctl_data *d = (struct prctl_data *)ri->data;
	unsigned long args[6];

	if (!current->mm || (current->flags & PF_KTHREAD))
		return 1;
	syscall_get_arguments(current, task_pt_regs(current), args);
	if (args[0] != PR_SET_MM || (args[1] != PR_SET_MM_EXE_FILE &&
				     args[1] != PR_SET_MM_MAP))
		return 1;
	swap_coming();
	d->before = c2w_get_exe_file(current->mm);
	return d->before ? 0 : 1;
}

static int prctl_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct prctl_data *d = (struct prctl_data *)ri->data;
	struct file *now = c2w_get_exe_file(current->mm);

	if (now && now != d->before && regs_return_value(regs) == 0) {
		remember(now, d->before);
		now = NULL;
	}
	if (now)
		fput(now);
	fput(d->before);
	return 0;
}

/*
 * Before 5.14 (no replace_mm_exe_file(); prctl swapped the file inline):
 * native and, where the kernel has it, 32-bit compat prctl. The syscall
 * wrappers' names do not change, and syscall_get_arguments() reads either
 * ABI.
 */
static struct kretprobe swap_krp[] = {
	{ .kp.symbol_name = C2W_SYSCALL_PREFIX "sys_prctl",
	  .entry_handler = prctl_entry, .handler = prctl_ret,
	  .data_size = sizeof(struct prctl_data), .maxactive = SWAP_PROBES },
#ifdef C2W_COMPAT_SYSCALL_PREFIX
	{ .kp.symbol_name = C2W_COMPAT_SYSCALL_PREFIX "sys_prctl",
	  .entry_handler = prctl_entry, .handler = prctl_ret,
	  .data_size = sizeof(struct prctl_data), .maxactive = SWAP_PROBES },
#endif
};

static bool swap_registered[ARRAY_SIZE(swap_krp)];

static bool follow_exe_swaps = true;
module_param(follow_exe_swaps, bool, 0444);
MODULE_PARM_DESC(follow_exe_swaps, "Follow prctl(PR_SET_MM) executable swaps to the original file (default 1); without, a swapped process is unresolved, flagged");

/* 5.14 and later: the swap's own function, before it swaps. */
static int replace_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct mm_struct *mm = (void *)regs_get_kernel_argument(regs, 0);
	struct file *new = (void *)regs_get_kernel_argument(regs, 1);
	struct file *before;

	swap_coming();
	if (!mm || mm != current->mm || !new)
		return 0;
	before = c2w_get_exe_file(mm);
	if (!before)
		return 0;
	/* A swap that fails later leaves an entry the sweep removes. */
	if (new != before)
		remember(get_file(new), before);
	fput(before);
	return 0;
}

static struct kprobe replace_kp = {
	.symbol_name	= "replace_mm_exe_file",
	.pre_handler	= replace_pre,
};

static bool replace_registered;

/* Drop the entries whose file only this table holds, then free them. */
static void gc(struct work_struct *work)
{
	struct rhashtable_iter it;
	struct swap_entry *e, *tmp;
	LIST_HEAD(dead);

	rhashtable_walk_enter(&swap_tbl, &it);
	rhashtable_walk_start(&it);
	while ((e = rhashtable_walk_next(&it))) {
		if (IS_ERR(e))
			continue;
		if (file_count(e->file) == 1 &&
		    !rhashtable_remove_fast(&swap_tbl, &e->node, swap_params))
			list_add(&e->gc, &dead);
	}
	rhashtable_walk_stop(&it);
	rhashtable_walk_exit(&it);
	if (!list_empty(&dead))
		synchronize_rcu();
	list_for_each_entry_safe(e, tmp, &dead, gc) {
		fput(e->file);
		fput(e->orig);
		kfree(e);
		atomic_dec(&swap_count);
	}
	schedule_delayed_work(&gc_work, GC_INTERVAL);
}

/**
 * c2w_exeswap_missed() - prctl calls the probes could not follow (no
 *	instance free), reported with the connect probes' misses
 *
 * Return: the sum of the kretprobes' miss counters.
 */
u64 c2w_exeswap_missed(void)
{
	u64 n = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(swap_krp); i++)
		n += READ_ONCE(swap_krp[i].nmissed) +
		     READ_ONCE(swap_krp[i].kp.nmissed);
	return n + READ_ONCE(replace_kp.nmissed);
}

/**
 * c2w_exeswap_live() - replaced executables remembered now
 *
 * Return: the number of entries.
 */
u32 c2w_exeswap_live(void)
{
	return atomic_read(&swap_count);
}

/**
 * c2w_exeswap_init() - the table and the prctl probes
 *
 * A kernel without the compat entry point (no IA32 emulation) has only the
 * native one; without the native one nothing is followed, which is said.
 *
 * Return: 0 or -ENOMEM.
 */
int c2w_exeswap_init(void)
{
	int i, ret;

	ret = rhashtable_init(&swap_tbl, &swap_params);
	if (ret)
		return ret;
	atomic_set(&swap_count, 0);
	INIT_DELAYED_WORK(&gc_work, gc);
	if (!follow_exe_swaps)
		return 0;
	replace_registered = !register_kprobe(&replace_kp);
	for (i = 0; i < ARRAY_SIZE(swap_krp) && !replace_registered; i++) {
		ret = register_kretprobe(&swap_krp[i]);
		swap_registered[i] = !ret;
		if (ret)
			pr_warn("%s: cannot probe (%d): executables replaced through it are not followed\n",
				swap_krp[i].kp.symbol_name, ret);
	}
	schedule_delayed_work(&gc_work, GC_INTERVAL);
	return 0;
}

static void free_entry(void *ptr, void *arg)
{
	struct swap_entry *e = ptr;

	fput(e->file);
	fput(e->orig);
	kfree(e);
}

/**
 * c2w_exeswap_exit() - unregister, then free every entry
 *
 * The connect probes, which look entries up, are gone already.
 */
void c2w_exeswap_exit(void)
{
	int i;

	if (replace_registered)
		unregister_kprobe(&replace_kp);
	replace_registered = false;
	for (i = 0; i < ARRAY_SIZE(swap_krp); i++)
		if (swap_registered[i])
			unregister_kretprobe(&swap_krp[i]);
	cancel_delayed_work_sync(&gc_work);
	synchronize_rcu();
	rhashtable_free_and_destroy(&swap_tbl, free_entry, NULL);
}
