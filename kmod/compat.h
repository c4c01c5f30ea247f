/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything c2watch needs that differs between kernel versions or is not
 * exported as an interface lives here, and nowhere else. Tested on the
 * Debian cloud kernels 5.10, 6.1, 6.12 and the newest (tests/vm/kernels.sh).
 */
#ifndef _C2W_COMPAT_H
#define _C2W_COMPAT_H

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mm_types.h>
#include <linux/namei.h>
#include <linux/ns_common.h>
#include <linux/nsproxy.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/version.h>
#include <net/genetlink.h>

/* The one place c2watch compares versions: what changed, and since when. */
#define C2W_KERNEL_AT_LEAST(a, b, c) \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(a, b, c))

/* get_unaligned_be32() and friends: <asm/unaligned.h> before 6.12. */
#if C2W_KERNEL_AT_LEAST(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* ---- the executable of an mm ---- */

/*
 * get_mm_exe_file() is not exported by the kernels after 5.10. Files are
 * freed after an RCU grace period (and, since 6.7, SLAB_TYPESAFE_BY_RCU: a
 * file may be reused under RCU, so get_file_rcu() takes the pointer's
 * address and re-checks it). Neither form sleeps or locks.
 */
static inline struct file *c2w_get_exe_file(struct mm_struct *mm)
{
	struct file *exe;

	rcu_read_lock();
#if C2W_KERNEL_AT_LEAST(6, 7, 0)
	exe = get_file_rcu(&mm->exe_file);
#else
	exe = rcu_dereference(mm->exe_file);
	if (exe && !get_file_rcu(exe))
		exe = NULL;
#endif
	rcu_read_unlock();
	return exe;
}

/* ---- the inode number of a mount namespace ---- */

struct mnt_namespace;

/*
 * c2w_mntns_inum_check()'s verdict: 0 not known yet (no /proc to ask when
 * the module loaded; asked again on the next open of the device), 1 the
 * layout holds, -1 it does not. Only 1 lets a number be read.
 */
extern int c2w_mntns_inum_state;

/*
 * struct mnt_namespace is private to fs/ (fs/mount.h) and no exported
 * helper gives its number. Its struct ns_common comes first since 5.11;
 * before, the namespace's own count preceded it. Only that head is assumed,
 * and c2w_mntns_inum_check() verifies it at load against what nsfs says, so
 * a kernel built with CONFIG_RANDSTRUCT or a future layout costs the number
 * in alerts, nothing else.
 */
struct c2w_mnt_namespace_head {
#if !C2W_KERNEL_AT_LEAST(5, 11, 0)
	atomic_t count;
#endif
	struct ns_common ns;
};

static inline unsigned int c2w_mntns_read_inum(struct mnt_namespace *ns)
{
	return ((struct c2w_mnt_namespace_head *)ns)->ns.inum;
}

static inline unsigned int c2w_mntns_inum(struct mnt_namespace *ns)
{
	if (READ_ONCE(c2w_mntns_inum_state) != 1)
		return 0;
	return c2w_mntns_read_inum(ns);
}

/**
 * c2w_mntns_inum_check() - does the layout assumption hold on this kernel?
 *
 * Compares the number read from the caller's struct mnt_namespace with the
 * inode of its /proc/self/ns/mnt (the namespace's nsfs inode, whose number
 * is the namespace's). On a mismatch alerts carry no mount namespace
 * number, for good; when /proc cannot tell (not mounted yet), the question
 * is asked again on the next open of the device. Detection is not affected
 * either way: whether a task is in the initial mount namespace is decided
 * by pointer.
 *
 * Context: process context (module load, open()).
 */
static inline void c2w_mntns_inum_check(void)
{
	struct nsproxy *nsp = current->nsproxy;
	struct path path;
	unsigned long ino;
	unsigned int inum;

	if (READ_ONCE(c2w_mntns_inum_state) || !nsp || !nsp->mnt_ns)
		return;
	inum = c2w_mntns_read_inum(nsp->mnt_ns);
	if (kern_path("/proc/self/ns/mnt", LOOKUP_FOLLOW, &path)) {
		pr_notice_once("no /proc/self/ns/mnt yet: mount namespace numbers checked later\n");
		return;
	}
	ino = d_inode(path.dentry)->i_ino;
	path_put(&path);
	if (ino != inum) {
		pr_warn("struct mnt_namespace layout differs (read %u, nsfs says %lu): alerts carry no mount namespace number\n",
			inum, ino);
		WRITE_ONCE(c2w_mntns_inum_state, -1);
		return;
	}
	WRITE_ONCE(c2w_mntns_inum_state, 1);
}

/* ---- a task's root directory ---- */

/*
 * Lockless, as d_path() reads it: fs_struct's spinlock and seqcount became
 * one seqlock_t in 6.17. (On PREEMPT_RT a reader that finds a write in
 * progress takes the writer's lock, which sleeps there: c2watch is not for
 * RT kernels, and none is tested.)
 */
static inline void c2w_fs_root(struct fs_struct *fs, struct path *root)
{
	unsigned int seq;

#if C2W_KERNEL_AT_LEAST(6, 17, 0)
	do {
		seq = read_seqbegin(&fs->seq);
		*root = fs->root;
	} while (read_seqretry(&fs->seq, seq));
#else
	do {
		seq = read_seqcount_begin(&fs->seq);
		*root = fs->root;
	} while (read_seqcount_retry(&fs->seq, seq));
#endif
}

/*
 * The count of @fs's root and cwd changes (odd during one): a path read
 * with the root taken at one count is the root's only if the count is the
 * same afterwards. Read without the PREEMPT_RT reader's lock.
 */
static inline unsigned int c2w_fs_seq(struct fs_struct *fs)
{
#if C2W_KERNEL_AT_LEAST(6, 17, 0)
	return READ_ONCE(fs->seq.seqcount.seqcount.sequence);
#else
	return READ_ONCE(fs->seq.seqcount.sequence);
#endif
}

/* ---- renames ---- */

/*
 * rename_lock's count: every d_move() on the host moves it (odd during
 * one). Read without waiting, and without the PREEMPT_RT reader's lock.
 */
static inline unsigned int c2w_rename_seq(void)
{
	return READ_ONCE(rename_lock.seqcount.seqcount.sequence);
}

/* ---- generic netlink ---- */

/*
 * The "alerts" group is for CAP_SYS_ADMIN only, which the kernel checks on
 * bind: as GENL_MCAST_CAP_SYS_ADMIN since 6.7 (and 6.1.66), as the
 * cap_sys_admin bit in the 5.10 series since 5.10.204 (the same fix,
 * backported). A kernel with neither cannot restrict the group, so the
 * family offers none there (C2W_GENL_NO_ALERTS_GROUP): no alerts over
 * netlink rather than alerts to every user.
 */
#if defined(GENL_MCAST_CAP_SYS_ADMIN)
#define C2W_GENL_MCGRP_ADMIN_ONLY	.flags = GENL_MCAST_CAP_SYS_ADMIN,
#elif C2W_KERNEL_AT_LEAST(5, 10, 204) && !C2W_KERNEL_AT_LEAST(5, 11, 0)
#define C2W_GENL_MCGRP_ADMIN_ONLY	.cap_sys_admin = 1,
#else
#define C2W_GENL_NO_ALERTS_GROUP	1
#endif

/* Reserved header fields validated for every command (6.1 and later). */
#if C2W_KERNEL_AT_LEAST(6, 1, 0)
#define C2W_GENL_RESV_START_OP(op)	.resv_start_op = (op),
#else
#define C2W_GENL_RESV_START_OP(op)
#endif

/* file_open_root() takes a struct path since 5.12. */
static inline struct file *c2w_file_open_root(const struct path *root,
					      const char *name, int flags)
{
#if C2W_KERNEL_AT_LEAST(5, 12, 0)
	return file_open_root(root, name, flags, 0);
#else
	return file_open_root(root->dentry, root->mnt, name, flags, 0);
#endif
}

/*
 * The system call entry points' symbol prefix (syscall wrappers, 4.17 and
 * later), and the 32-bit compat one where there is IA32 emulation.
 */
#if defined(CONFIG_X86_64)
#define C2W_SYSCALL_PREFIX		"__x64_"
#ifdef CONFIG_IA32_EMULATION
#define C2W_COMPAT_SYSCALL_PREFIX	"__ia32_"
#endif
#elif defined(CONFIG_ARM64)
#define C2W_SYSCALL_PREFIX		"__arm64_"
#else
#error "c2watch: system call symbol prefix unknown for this architecture"
#endif

#endif /* _C2W_COMPAT_H */
