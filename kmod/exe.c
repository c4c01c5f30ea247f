// SPDX-License-Identifier: GPL-2.0
/*
 * The executable of the connecting task, as rules see it: the path of
 * mm->exe_file (not argv, not comm; the file it was executed from when
 * prctl replaced it since, exeswap.c), as the initial mount namespace sees
 * the file: from its root rather than from a chroot, and through its
 * mounts rather than those of the task's own namespace (mounts.c), which
 * is kept beside. Deleted, memfd and truncated paths are flagged and an
 * unresolvable one is reported as such, never skipped.
 *
 * Runs in kprobe context on the connecting task: nothing here sleeps; the
 * buffers are the caller's (per-CPU scratch).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mount.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "c2watch.h"
#include "compat.h"

#define MAX_WALK	4096	/* dentries climbed for a too-long path */

struct mnt_namespace *c2w_init_mnt_ns __ro_after_init;

/**
 * c2w_exe_init() - take the initial mount namespace for c2w_init_mntns()
 *
 * Context: module init, before any probe is registered.
 */
void c2w_exe_init(void)
{
	c2w_init_mnt_ns = init_task.nsproxy->mnt_ns;
}

/* Paths not cached: the rare, evasive cases are resolved every time. */
#define C2W_EXE_UNCACHED	(C2W_AF_PATH_UNRESOLVED | C2W_AF_EXE_REPLACED | \
				 C2W_AF_CHROOT | C2W_AF_CHROOT_UNRESOLVED | \
				 C2W_AF_PATH_TRUNCATED | C2W_AF_EXE_MEMFD)

/*
 * The root init sees. A task in the initial mount namespace whose root
 * differs from it is chrooted. Called under rcu_read_lock().
 */
static bool init_root(struct path *root)
{
	struct task_struct *init = READ_ONCE(init_pid_ns.child_reaper);
	bool ok = false;

	if (!init)
		return false;
	task_lock(init);
	if (init->fs) {
		c2w_fs_root(init->fs, root);
		ok = true;
	}
	task_unlock(init);
	return ok;
}

/* Length of a d_path() result that ends at buf + len - 1. */
static u32 dpath_len(const char *p, const char *buf, int len)
{
	return buf + len - 1 - p;
}

/*
 * A path too long for the buffer: climb to the deepest ancestor whose path
 * fits in half of it, and report that as the head of the real path. The
 * rule core then treats the value as "head only" so that include patterns
 * still match and exclude patterns only when they must.
 */
static char *path_head(const struct path *path, char *buf, u32 *len)
{
	const struct dentry *d = path->dentry, *root = path->mnt->mnt_root;
	u32 total = 0, steps = 0, budget = PATH_MAX / 2;
	struct path anc = { .mnt = path->mnt };
	char *p;
	int tries;

	while (d != root && steps < MAX_WALK) {
		const struct dentry *parent = READ_ONCE(d->d_parent);

		if (parent == d)
			break;
		total += READ_ONCE(d->d_name.len) + 1;
		d = parent;
		steps++;
	}
	if (steps >= MAX_WALK)
		return NULL;
	for (tries = 0; tries < 4; tries++, budget /= 2) {
		u32 rem = total;

		d = path->dentry;
		while (d != root && rem > budget) {
			rem -= READ_ONCE(d->d_name.len) + 1;
			d = READ_ONCE(d->d_parent);
		}
		anc.dentry = (struct dentry *)d;
		p = d_path(&anc, buf, PATH_MAX - 1);
		if (!IS_ERR(p)) {
			*len = dpath_len(p, buf, PATH_MAX - 1);
			if (*len && p[*len - 1] != '/') {
				p[(*len)++] = '/';
				p[*len] = '\0';
			}
			return p;
		}
	}
	return NULL;
}

/*
 * Prefix @p (inside b->path) with the path of the chroot directory @root,
 * making it relative to the mount namespace root again. Only a chroot into
 * a subdirectory can be placed: for a chroot into a mount root the
 * mountpoint is private to fs/, and the alert says so.
 */
static char *unchroot(struct c2w_exe *exe, struct c2w_exe_buf *b,
		      const struct path *root, char *p, u32 *len)
{
	struct name_snapshot name;
	struct path parent;
	char *pre;
	u32 plen, nlen;

	exe->flags |= C2W_AF_CHROOT;
	if (root->dentry == root->mnt->mnt_root) {
		exe->flags |= C2W_AF_CHROOT_UNRESOLVED;
		return p;
	}
	parent.mnt = root->mnt;
	parent.dentry = READ_ONCE(root->dentry->d_parent);
	pre = d_path(&parent, b->root, PATH_MAX - NAME_MAX - 2);
	if (IS_ERR(pre)) {
		exe->flags |= C2W_AF_CHROOT_UNRESOLVED;
		return p;
	}
	plen = dpath_len(pre, b->root, PATH_MAX - NAME_MAX - 2);
	if (plen == 1)		/* "/" */
		plen = 0;
	take_dentry_name_snapshot(&name, root->dentry);
	nlen = name.name.len;
	memmove(b->root, pre, plen);
	b->root[plen++] = '/';
	memcpy(b->root + plen, name.name.name, nlen);
	plen += nlen;
	release_dentry_name_snapshot(&name);

	/* d_path() wrote @p at the end of its buffer: prepend in place. */
	if (plen > (u32)(p - b->path)) {
		exe->flags |= C2W_AF_PATH_TRUNCATED;
		plen = p - b->path;
	}
	p -= plen;
	memcpy(p, b->root, plen);
	*len += plen;
	return p;
}

/* Nothing to match on: an empty head, which matches every include. */
static void unresolved(struct c2w_exe *exe, struct c2w_exe_buf *b)
{
	exe->flags |= C2W_AF_PATH_UNRESOLVED;
	b->path[0] = '\0';
	exe->path = b->path;
	exe->len = 0;
	exe->name = b->path;
	exe->name_len = 0;
	exe->head = true;
}

static void set_path(struct c2w_exe *exe, struct c2w_exe_buf *b,
		     struct dentry *dentry, const char *p, u32 len)
{
	struct name_snapshot name;
	const char *slash;

	exe->path = p;
	exe->len = len;
	if (!exe->head) {
		slash = strrchr(p, '/');
		exe->name = slash ? slash + 1 : p;
		exe->name_len = p + len - exe->name;
		return;
	}
	/* Only the head of the path: the name comes from the dentry. */
	take_dentry_name_snapshot(&name, dentry);
	exe->name_len = min_t(u32, name.name.len, NAME_MAX);
	memcpy(b->name, name.name.name, exe->name_len);
	release_dentry_name_snapshot(&name);
	exe->name = b->name;
}

/*
 * A task in another mount namespace: the path the initial namespace gives
 * the file (mounts.c), whatever the task's own mounts say; that own view
 * is kept beside it when it differs.
 */
static void own_view(struct c2w_exe *exe, struct c2w_exe_buf *b,
		     const struct path *path)
{
	char *own = d_path(path, b->ns, PATH_MAX);
	u32 len;

	if (IS_ERR(own))
		return;
	len = dpath_len(own, b->ns, PATH_MAX);
	if (((exe->flags & C2W_AF_EXE_DELETED) || d_unlinked(path->dentry)) &&
	    len >= 10 &&
	    !memcmp(own + len - 10, " (deleted)", 10))
		len -= 10;
	own[len] = '\0';
	if (len && (exe->len != len || memcmp(exe->path, own, len))) {
		exe->ns_path = own;
		exe->ns_len = len;
	}
}

static void place_in_init_ns(struct c2w_exe *exe, struct c2w_exe_buf *b,
			     const struct path *path)
{
	u32 len = 0;
	char *rel;
	int ret;

	/*
	 * Deeper than PATH_MAX inside its filesystem, mounted nowhere on the
	 * host, or the host's mounts being reread (a change there, which a
	 * user can cause with fusermount): no host path, and never the own
	 * view, which the task chose. Matched as an empty head, flagged.
	 */
	rel = dentry_path_raw(path->dentry, b->root, PATH_MAX);
	ret = IS_ERR(rel) ? PTR_ERR(rel) :
	      c2w_mounts_place(path->mnt->mnt_sb->s_dev, rel,
			       dpath_len(rel, b->root, PATH_MAX), b->path,
			       PATH_MAX, &len);
	if (ret == -ENAMETOOLONG && !IS_ERR(rel)) {
		exe->flags |= C2W_AF_PATH_TRUNCATED;
		exe->head = true;
		set_path(exe, b, path->dentry, b->path, len);
	} else if (ret) {
		unresolved(exe, b);
	} else {
		set_path(exe, b, path->dentry, b->path, len);
	}
	own_view(exe, b, path);
}

/*
 * @root is the task's root (read under RCU by the caller, who holds it
 * across); returns whether the result may be cached (c2w_exe_key): a path
 * made of the file, the root given, the initial namespace's mounts and
 * renames only.
 */
static bool resolve_file(struct c2w_exe *exe, struct c2w_exe_buf *b,
			 struct file *file, const struct path *root,
			 bool init_mntns)
{
	const struct path *path = &file->f_path;
	struct dentry *dentry = path->dentry;
	bool plain = false;
	struct path iroot;
	u32 len;
	char *p;

	/*
	 * d_path() marks both with " (deleted)": unlinked files, and files
	 * that never had a name in any mounted filesystem (memfd).
	 */
	if (d_unlinked(dentry))
		exe->flags |= C2W_AF_EXE_DELETED;
	if ((path->mnt->mnt_flags & MNT_INTERNAL) &&
	    !strncmp(dentry->d_name.name, "memfd:", 6))
		exe->flags |= C2W_AF_EXE_MEMFD | C2W_AF_EXE_DELETED;

	/* memfds live on an internal mount: their name is all there is. */
	if (!init_mntns && !(path->mnt->mnt_flags & MNT_INTERNAL)) {
		place_in_init_ns(exe, b, path);
		return true;
	}

	p = d_path(path, b->path, PATH_MAX);
	if (IS_ERR(p)) {
		if (PTR_ERR(p) == -ENAMETOOLONG)
			p = path_head(path, b->path, &len);
		if (IS_ERR_OR_NULL(p)) {
			unresolved(exe, b);
			return false;
		}
		exe->flags |= C2W_AF_PATH_TRUNCATED;
		exe->head = true;
	} else {
		/* Unlinked since the check above: d_path() said so. */
		if (d_unlinked(dentry))
			exe->flags |= C2W_AF_EXE_DELETED;
		len = dpath_len(p, b->path, PATH_MAX);
		if ((exe->flags & C2W_AF_EXE_DELETED) && len >= 10 &&
		    !memcmp(p + len - 10, " (deleted)", 10))
			len -= 10;
		p[len] = '\0';
	}

	if (root->mnt && init_mntns && init_root(&iroot)) {
		if (!path_equal(root, &iroot)) {
			if (path_is_under(path, root))
				p = unchroot(exe, b, root, p, &len);
		} else {
			/* Not a file of a mount another namespace lent. */
			plain = path_is_under(path, root);
		}
	}
	set_path(exe, b, dentry, p, len);
	return plain;
}

/*
 * An executable replaced by prctl whose original is not known: what it
 * claims goes beside (as a namespace's own view does), the path is
 * unresolved, which matches every include.
 */
static void claimed_only(struct c2w_exe *exe, struct c2w_exe_buf *b)
{
	u32 n = min_t(u32, exe->len, PATH_MAX - 1);

	if (exe->path != b->ns)
		memmove(b->ns, exe->path, n);
	b->ns[n] = '\0';
	unresolved(exe, b);
	exe->ns_path = b->ns;
	exe->ns_len = n;
}

/*
 * What the task is judged by: the file it was executed from when a swap
 * replaced it (exeswap.c), else its exe_file. Returns whether the result
 * may be cached.
 */
static bool resolve_exe_file(struct c2w_exe *exe, struct c2w_exe_buf *b,
			     struct file *file, const struct path *root,
			     bool init_mntns)
{
	struct file *orig = c2w_exeswap_orig(file);
	bool plain;

	if (orig) {
		exe->flags |= C2W_AF_EXE_REPLACED;
		resolve_file(exe, b, orig, root, init_mntns);
		fput(orig);
		return false;
	}
	plain = resolve_file(exe, b, file, root, init_mntns);
	if (!(file->f_flags & __FMODE_EXEC)) {
		/* Not opened by exec, and the original not known. */
		exe->flags |= C2W_AF_EXE_REPLACED;
		claimed_only(exe, b);
		return false;
	}
	return plain;
}

/*
 * What a cache hit of @key (from the cache or the copy of one) is besides
 * the path and what was kept with it. Whether the file was deleted since
 * (%C2W_AF_EXE_DELETED) and its own namespace's view are for alerts
 * alone: looked at when one is made (c2w_exe_for_alert()).
 */
static void as_hit(struct c2w_exe *exe, const struct c2w_exe_key *key)
{
	exe->deleted_due = true;
	exe->own_view_due = !key->init_mntns;
	exe->hit = true;
	exe->cacheable = true;
	exe->key = *key;
}

/**
 * c2w_exe_resolve() - the executable of the current task
 * @exe: filled in; its strings point into @b
 * @b: room for the path
 * @init_mntns: the task is in the initial mount namespace (where a chroot
 *	can be undone; elsewhere the file is placed through that
 *	namespace's mounts)
 *
 * Taken from the cache of resolved executables when nothing it was made
 * of changed (@exe->hit); otherwise @exe->cacheable says whether
 * c2w_exe_remember() may keep it.
 *
 * Context: kprobe context, current is the connecting task.
 * Return: 0, or -ENOENT when the path could not be had (@exe then says
 * %C2W_AF_PATH_UNRESOLVED: an empty head, which still matches includes so
 * that the task cannot escape detection).
 */
int c2w_exe_resolve(struct c2w_exe *exe, struct c2w_exe_buf *b,
		    bool init_mntns)
{
	struct fs_struct *fs = init_mntns ? current->fs : NULL;
	struct c2w_exe_key k = { .init_mntns = init_mntns };
	struct mm_struct *mm = current->mm;
	struct file *file = NULL;
	bool cache, plain;
	int tries;

	memset(exe, 0, sizeof(*exe));
	cache = c2w_execache_stamp(&k.stamp);
	if (mm)
		file = c2w_get_exe_file(mm);
	if (!file) {
		unresolved(exe, b);
		return -ENOENT;
	}
	k.file = file;
	/*
	 * Exec opens with __FMODE_EXEC, open(2) cannot: a file a swap put
	 * there lacks it (but for binfmt_misc's O flag, which hands an
	 * interpreter the exec-opened file; the swap generation and the
	 * file pointer still tell such a swap).
	 */
	cache = cache && (file->f_flags & __FMODE_EXEC) &&
		(!init_mntns || fs);
	rcu_read_lock();
	for (tries = 0;; tries++) {
		unsigned int seq = 0;

		if (fs) {
			seq = c2w_fs_seq(fs);
			smp_rmb();	/* the count, then the root */
			c2w_fs_root(fs, &k.root);
		}
		if (!tries && cache &&
		    c2w_execache_get(mm, &k, exe, b->path)) {
			rcu_read_unlock();
			as_hit(exe, &k);
			fput(file);
			return 0;
		}
		plain = resolve_exe_file(exe, b, file, &k.root, init_mntns);
		if (!fs)
			break;
		/*
		 * d_path() read the root again: the path is that root's only
		 * if no chroot came in between (another thread sharing the
		 * fs_struct can make one at any time).
		 */
		smp_rmb();
		if (!(seq & 1) && c2w_fs_seq(fs) == seq)
			break;
		memset(exe, 0, sizeof(*exe));
		if (tries == 2) {
			/* A root that keeps changing: nothing to trust. */
			unresolved(exe, b);
			exe->flags |= C2W_AF_CHROOT;
			plain = false;
			break;
		}
	}
	rcu_read_unlock();
	if (cache && plain && !(exe->flags & C2W_EXE_UNCACHED) &&
	    c2w_execache_room()) {
		exe->cacheable = true;
		exe->key = k;
	}
	fput(file);
	return exe->flags & C2W_AF_PATH_UNRESOLVED ? -ENOENT : 0;
}

/*
 * What the current task's executable path would be made of now, read as
 * c2w_exe_same() and c2w_exe_peek() need it: no reference taken, the
 * exe_file read under RCU and compared, never dereferenced past its flags
 * (the mm a caller finds in the cache or noted is pinned; a file swapped
 * into it moves the stamp). False for a task with no mm or fs, a file
 * exec did not open (as c2w_exe_resolve() requires of a cached one), or
 * no stamp.
 */
static bool current_key(bool init_mntns, struct c2w_exe_key *k)
{
	struct fs_struct *fs = init_mntns ? current->fs : NULL;
	struct mm_struct *mm = current->mm;
	const struct file *file;
	bool exec;

	memset(k, 0, sizeof(*k));
	k->init_mntns = init_mntns;
	if (!mm || (init_mntns && !fs) || !c2w_execache_stamp(&k->stamp))
		return false;
	rcu_read_lock();
	file = rcu_dereference(mm->exe_file);
	exec = file && (READ_ONCE(file->f_flags) & __FMODE_EXEC);
	rcu_read_unlock();
	if (!exec)
		return false;
	k->file = file;
	if (fs)
		c2w_fs_root(fs, &k->root);
	return true;
}

/**
 * c2w_exe_peek() - the current task's executable from the cache, into a
 *	caller's copy
 * @init_mntns: the task is in the initial mount namespace
 * @cp: filled on a hit, as c2w_exe_keep() of that hit (with what the
 *	ruleset said of the executable, @cp->memo_gen and @cp->memo); else
 *	untouched
 * @key: out: what its path was made of, for c2w_exe_same() and
 *	c2w_exe_from_copy()
 *
 * What c2w_exe_resolve() would take from the cache, for a probe that
 * decides by the executable alone before building the event, and keeps
 * the path for the evaluation that may follow. No file reference is
 * taken, as for c2w_exe_same().
 *
 * Context: kprobe context, current is the connecting task.
 * Return: true when the cache holds it and nothing it was made of changed.
 */
bool c2w_exe_peek(bool init_mntns, struct c2w_exe_copy *cp,
		  struct c2w_exe_key *key)
{
	/* No stamp read for a cache that holds nothing. */
	if (!c2w_execache_on() || !current_key(init_mntns, key))
		return false;
	return c2w_execache_copy(current->mm, key, cp);
}

/**
 * c2w_exe_same() - whether the current process image and its executable
 *	path are still those a cache hit gave
 * @key: what the path was made of, from that hit (c2w_exe_resolve() or
 *	c2w_exe_peek()) for the mm the caller saw then, and sees again now
 *
 * For a probe that repeats a verdict on the executable without looking it
 * up: the caller noted the mm pointer of that hit (c2w_execache_note()),
 * which the cache pins until it clears the note, so the
 * current mm being that pointer is the same process image, not a new one
 * at the same address. The same exe_file (still one exec opened, as a
 * lookup requires), root, side of the initial mount namespace and stamp
 * (no rename, mount change or executable swap since) make the same path,
 * as for a cache hit. No reference is taken: the file is read under RCU.
 *
 * Context: kprobe context, current is the connecting task.
 * Return: true when nothing the path was made of changed.
 */
bool c2w_exe_same(const struct c2w_exe_key *key)
{
	bool init_mntns = c2w_init_mntns(current->nsproxy);
	struct c2w_exe_key k;

	return init_mntns == key->init_mntns && current_key(init_mntns, &k) &&
	       c2w_execache_key_equal(&k, key);
}

/**
 * c2w_exe_keep() - keep a cache hit's executable for c2w_exe_from_copy()
 * @cp: where
 * @exe: from c2w_exe_resolve() or c2w_exe_from_copy(), a cache hit (a
 *	copy's is one; one from @cp itself points at its path); anything
 *	else, or a path of %C2W_EXE_COPY_MAX bytes or more, is not kept
 */
void c2w_exe_keep(struct c2w_exe_copy *cp, const struct c2w_exe *exe)
{
	cp->len = 0;
	if (!exe->hit || !exe->len || exe->len >= sizeof(cp->path))
		return;
	if (exe->path != cp->path) {
		memcpy(cp->path, exe->path, exe->len);
		cp->path[exe->len] = '\0';
	}
	cp->len = exe->len;
	cp->name_off = exe->name - exe->path;
	cp->name_len = exe->name_len;
	cp->flags = exe->flags & ~C2W_AF_EXE_DELETED;
	cp->memo_gen = exe->memo_gen;
	cp->memo = exe->memo;
	cp->seen = exe->seen;
}

/**
 * c2w_exe_from_copy() - c2w_exe_resolve() of a process image whose cache
 *	hit the caller kept, without looking the cache up
 * @exe: filled as by that cache hit; its path is @cp's, which must stay
 *	unchanged while @exe is used
 * @cp: from c2w_exe_keep() or c2w_exe_peek() of that hit
 * @key: that hit's key, for the mm the caller noted then and sees again
 *	now, c2w_exe_same() of which the caller found holding in the current
 *	handler: the same process image, its path made of the same things (a
 *	rename, mount change, swap or chroot since sends the caller to the
 *	resolution)
 *
 * The cache then holds what @cp holds for that key, but for where a key
 * sits in the seen set (@cp->seen), which another CPU's evaluation may
 * have found again since: the caller checks that hint first. Whether the
 * file was deleted is looked at as for a hit: for an alert
 * (c2w_exe_for_alert()).
 *
 * Context: kprobe context, current is the connecting task.
 * Return: false when no path was kept (the caller resolves it). The
 * caller counts the hit (%C2W_ST_EXE_CACHE_HIT), when the attempt is
 * judged with it.
 */
bool c2w_exe_from_copy(struct c2w_exe *exe, const struct c2w_exe_copy *cp,
		       const struct c2w_exe_key *key)
{
	if (!cp->len)
		return false;
	memset(exe, 0, sizeof(*exe));
	exe->path = cp->path;
	exe->len = cp->len;
	exe->name = cp->path + cp->name_off;
	exe->name_len = cp->name_len;
	exe->flags = cp->flags;
	exe->memo_gen = cp->memo_gen;
	exe->memo = cp->memo;
	exe->seen = cp->seen;
	as_hit(exe, key);
	return true;
}

/**
 * c2w_exe_for_alert() - what an alert shows of an executable taken from the
 *	cache that its evaluation did not need: whether the file was deleted
 *	since (%C2W_AF_EXE_DELETED), and the path its task's own mount
 *	namespace gives it, when that differs
 * @exe: from c2w_exe_resolve() or c2w_exe_from_copy() for the current task
 * @b: the same room
 *
 * A resolution in full sets both at once.
 *
 * Context: kprobe context, current is the connecting task.
 */
void c2w_exe_for_alert(struct c2w_exe *exe, struct c2w_exe_buf *b)
{
	bool deleted = exe->deleted_due, view = exe->own_view_due;
	struct file *file;

	if (!deleted && !view)
		return;
	exe->deleted_due = false;
	exe->own_view_due = false;
	file = current->mm ? c2w_get_exe_file(current->mm) : NULL;
	if (!file)
		return;
	/* Only of the file the path is: not one swapped in since. */
	if (file == exe->key.file) {
		if (deleted && d_unlinked(file->f_path.dentry))
			exe->flags |= C2W_AF_EXE_DELETED;
		if (view)
			own_view(exe, b, &file->f_path);
	}
	fput(file);
}

/**
 * c2w_exe_remember() - keep a cacheable executable for the current process
 *	image, with what the ruleset said of it
 * @exe: from c2w_exe_resolve(), @exe->cacheable set; @exe->memo is
 *	c2w_rs_proc_eval() of it under ruleset @exe->memo_gen, @exe->seen
 *	where its key sits in the seen set
 *
 * Context: kprobe context, current is the connecting task.
 */
void c2w_exe_remember(const struct c2w_exe *exe)
{
	if (exe->cacheable && current->mm)
		c2w_execache_put(current->mm, exe);
}
