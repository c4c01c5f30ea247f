// SPDX-License-Identifier: GPL-2.0
/*
 * Where a file lives as the initial mount namespace sees it. A task in
 * another mount namespace resolves paths through its own mounts, which it
 * may have made itself (unshare -Urm needs no privilege where unprivileged
 * user namespaces are allowed): mount --bind /tmp/.e/impl
 * /usr/local/bin/tool, and the implant's own view says /usr/local/bin/tool.
 * Rules, like Elastic's (whose exclusions name /run/containerd and
 * /tmp/newroot), mean the host's view: a file is where a mount of its
 * filesystem in the initial namespace, under which it lies, puts it.
 *
 * The initial namespace's mounts are read from init's
 * /proc/1/mountinfo (the stable interface to them; the VFS's own mount
 * structures are private to fs/) into a table sorted by device, published
 * by RCU. The file stays open and the module waits on it as poll() does:
 * every mount or unmount there wakes a reread, before the processes of a
 * just-started container run.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bsearch.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/kdev_t.h>
#include <linux/mutex.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "c2watch.h"
#include "compat.h"

#define MOUNTINFO_MAX	(16U << 20)	/* a host with 100 000 mounts */

/* One mount of the initial namespace; @root and @point in @tbl->strings. */
struct mnt_entry {
	dev_t dev;
	u32 idx;		/* line in mountinfo: later mounts come later */
	u32 root_off;
	u16 root_len;
	u16 point_len;
	u32 point_off;
};

struct mnt_table {
	struct rcu_head rcu;
	u32 n;
	char *strings;
	struct mnt_entry e[];
};

static struct mnt_table __rcu *table;
static struct file *mountinfo;
static wait_queue_head_t *mi_head;
static struct wait_queue_entry mi_wait;
static struct work_struct refresh_work;
static DEFINE_MUTEX(refresh_lock);	/* one reread at a time */
static bool refresh_failed;
/*
 * Moved by every change of the mounts, and of the table; whether they are
 * followed at all. Read on every attempt by c2w_execache_stamp(), inline:
 * data the probes read, not calls.
 */
atomic_t c2w_mounts_seq __read_mostly;
bool c2w_mounts_on __read_mostly;

static int cmp_dev(const void *a, const void *b)
{
	const struct mnt_entry *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_dev_only(const void *a, const void *b)
{
	const struct mnt_entry *x = a, *y = b;

	return x->dev < y->dev ? -1 : x->dev > y->dev;
}

/* A mountinfo path field, unescaped in place (\040 and the like). */
static u32 unescape(char *s)
{
	char *w = s, *r = s;

	while (*r) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' &&
		    r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (r[1] - '0') << 6 | (r[2] - '0') << 3 |
			       (r[3] - '0');
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return w - s;
}

/* "36 35 98:0 /root /point opts ..." -> dev, root, point (in @line). */
static bool parse_line(char *line, dev_t *dev, char **root, char **point)
{
	char *f[5];
	unsigned int maj, min;
	int i;

	for (i = 0; i < 5; i++) {
		f[i] = strsep(&line, " ");
		if (!f[i])
			return false;
	}
	if (sscanf(f[2], "%u:%u", &maj, &min) != 2)
		return false;
	*dev = MKDEV(maj, min);
	*root = f[3];
	*point = f[4];
	return true;
}

static struct mnt_table *build(char *text, size_t len)
{
	struct mnt_table *t;
	char *line, *p = text;
	u32 n = 0, i = 0;
	size_t k;

	for (k = 0; k < len; k++)
		n += text[k] == '\n';
	t = kvzalloc(struct_size(t, e, n), GFP_KERNEL);
	if (!t)
		return NULL;
	t->strings = text;
	while ((line = strsep(&p, "\n")) && i < n) {
		char *root, *point;
		dev_t dev;
		u32 rl, pl;

		if (!parse_line(line, &dev, &root, &point))
			continue;
		rl = unescape(root);
		pl = unescape(point);
		/* An unlinked mount root: shown with this, matches nothing. */
		if (rl > 9 && !strcmp(root + rl - 9, "//deleted"))
			root[rl -= 9] = '\0';
		if (rl > U16_MAX || pl > U16_MAX)
			continue;
		t->e[i].dev = dev;
		t->e[i].idx = i;
		t->e[i].root_off = root - text;
		t->e[i].root_len = rl;
		t->e[i].point_off = point - text;
		t->e[i].point_len = pl;
		i++;
	}
	t->n = i;
	sort(t->e, t->n, sizeof(t->e[0]), cmp_dev, NULL);
	return t;
}

static void table_free(struct mnt_table *t)
{
	if (!t)
		return;
	kvfree(t->strings);
	kvfree(t);
}

/* The whole of /proc/1/mountinfo, NUL-terminated, or NULL. */
static char *read_all(size_t *len)
{
	size_t cap = 64 << 10;
	char *buf = NULL;
	loff_t pos;
	ssize_t n;

	for (;;) {
		buf = kvmalloc(cap + 1, GFP_KERNEL);
		if (!buf)
			return NULL;
		*len = 0;
		pos = 0;
		while ((n = kernel_read(mountinfo, buf + *len, cap - *len,
					&pos)) > 0)
			*len += n;
		if (n < 0) {
			kvfree(buf);
			return NULL;
		}
		if (*len < cap)
			break;
		kvfree(buf);
		if (cap >= MOUNTINFO_MAX)
			return NULL;
		cap *= 4;
	}
	buf[*len] = '\0';
	return buf;
}

static void refresh(struct work_struct *work)
{
	struct mnt_table *t, *old;
	size_t len;
	char *text;

	mutex_lock(&refresh_lock);
	text = read_all(&len);
	t = text ? build(text, len) : NULL;
	if (!t) {
		kvfree(text);
		if (!refresh_failed)
			pr_warn("cannot read the initial namespace's mounts: paths in other mount namespaces are unresolved\n");
		refresh_failed = true;
		mutex_unlock(&refresh_lock);
		return;
	}
	refresh_failed = false;
	old = rcu_replace_pointer(table, t, lockdep_is_held(&refresh_lock));
	/*
	 * A path placed with the old table is stale from here; pairs with
	 * c2w_execache_stamp(): whoever reads the new count sees the table.
	 */
	smp_mb__before_atomic();
	atomic_inc(&c2w_mounts_seq);
	mutex_unlock(&refresh_lock);
	if (old) {
		synchronize_rcu();
		table_free(old);
	}
}

/* A mount changed in the initial namespace: reread, off this context. */
static int mi_wake(struct wait_queue_entry *wq, unsigned int mode, int sync,
		   void *key)
{
	/*
	 * Called as the change is made (under the mount hash lock): a path
	 * d_path() gives from here on may differ from a cached one.
	 */
	atomic_inc(&c2w_mounts_seq);
	smp_mb__after_atomic();	/* pairs with c2w_execache_stamp() */
	queue_work(system_unbound_wq, &refresh_work);
	return 0;
}

static void mi_queue(struct file *file, wait_queue_head_t *head,
		     poll_table *pt)
{
	mi_head = head;
	init_waitqueue_func_entry(&mi_wait, mi_wake);
	add_wait_queue(head, &mi_wait);
	WRITE_ONCE(c2w_mounts_on, true);
}

/*
 * Among @t's mounts of @dev that @rel lies under, the one with the longest
 * root (the subvolume or directory mounted, rather than a mount of the
 * whole filesystem somewhere aside, such as a btrfs top level in
 * /mnt/pool), the later one of equals (it covers the earlier).
 */
static const struct mnt_entry *find(const struct mnt_table *t, dev_t dev,
				    const char *rel, u32 rel_len)
{
	struct mnt_entry key = { .dev = dev };
	const struct mnt_entry *e, *best = NULL;

	e = bsearch(&key, t->e, t->n, sizeof(t->e[0]), cmp_dev_only);
	if (!e)
		return NULL;
	while (e > t->e && (e - 1)->dev == dev)
		e--;
	for (; e < t->e + t->n && e->dev == dev; e++) {
		const char *root = t->strings + e->root_off;
		u32 rl = e->root_len;

		if (rl == 1 && root[0] == '/')
			rl = 0;		/* the filesystem's root: all of it */
		if (rl > rel_len || memcmp(root, rel, rl) ||
		    (rl < rel_len && rel[rl] != '/'))
			continue;
		if (!best || e->root_len >= best->root_len)
			best = e;
	}
	return best;
}

/**
 * c2w_mounts_place() - a file's path as the initial mount namespace sees it
 * @dev: its filesystem's device (sb->s_dev)
 * @rel: its path from that filesystem's root (dentry_path_raw())
 * @rel_len: length of @rel
 * @out: room for the result
 * @cap: its size
 * @len: the result's length
 *
 * Context: any, including kprobe context.
 * Return: 0; -ENOENT when the filesystem is mounted nowhere in the initial
 * namespace at the last reading (or the table could not be read);
 * -ENAMETOOLONG when the result does not fit (@out then holds its head,
 * cut after a '/').
 */
int c2w_mounts_place(dev_t dev, const char *rel, u32 rel_len, char *out,
		     u32 cap, u32 *len)
{
	const struct mnt_table *t;
	const struct mnt_entry *e;
	u32 pl, rl, n;
	int ret = 0;

	rcu_read_lock();
	t = rcu_dereference(table);
	e = t ? find(t, dev, rel, rel_len) : NULL;
	if (!e) {
		rcu_read_unlock();
		return -ENOENT;
	}
	pl = e->point_len;
	rl = e->root_len == 1 ? 0 : e->root_len;
	/* "/" + "/tmp/x": the mount point's own slash is not doubled. */
	if (pl == 1)
		pl = 0;
	n = pl + rel_len - rl;
	if (n == 0) {
		out[0] = '/';
		n = 1;
	} else if (n < cap) {
		memcpy(out, t->strings + e->point_off, pl);
		memcpy(out + pl, rel + rl, rel_len - rl);
	} else {
		ret = -ENAMETOOLONG;
		memcpy(out, t->strings + e->point_off, min(pl, cap - 1));
		if (pl < cap - 1)
			memcpy(out + pl, rel + rl, cap - 1 - pl);
		n = cap - 1;
		while (n > 1 && out[n - 1] != '/')
			n--;
	}
	rcu_read_unlock();
	out[n] = '\0';
	*len = n;
	return ret;
}

/**
 * c2w_mounts_init() - open init's mountinfo, read it, follow its changes
 *
 * Return: 0. A host where it cannot be read (no /proc in the initial
 * namespace) still loads: tasks in other mount namespaces then have
 * unresolved paths, which match every include, flagged.
 */
int c2w_mounts_init(void)
{
	struct task_struct *init = READ_ONCE(init_pid_ns.child_reaper);
	struct path root = {};
	poll_table pt;

	INIT_WORK(&refresh_work, refresh);
	if (init) {
		task_lock(init);
		if (init->fs)
			get_fs_root(init->fs, &root);
		task_unlock(init);
	}
	if (root.mnt) {
		mountinfo = c2w_file_open_root(&root, "proc/1/mountinfo",
					       O_RDONLY);
		path_put(&root);
	}
	if (IS_ERR_OR_NULL(mountinfo)) {
		pr_warn("cannot open /proc/1/mountinfo (%ld): paths in other mount namespaces are unresolved\n",
			mountinfo ? PTR_ERR(mountinfo) : -ENOENT);
		mountinfo = NULL;
		return 0;
	}
	init_poll_funcptr(&pt, mi_queue);
	vfs_poll(mountinfo, &pt);
	refresh(&refresh_work);
	return 0;
}

/**
 * c2w_mounts_exit() - stop following, free the table
 *
 * The probes, which read the table, are gone already.
 */
void c2w_mounts_exit(void)
{
	struct mnt_table *old;

	WRITE_ONCE(c2w_mounts_on, false);
	if (mi_head)
		remove_wait_queue(mi_head, &mi_wait);
	mi_head = NULL;
	cancel_work_sync(&refresh_work);
	if (mountinfo)
		fput(mountinfo);
	mountinfo = NULL;
	old = rcu_replace_pointer(table, NULL, true);
	synchronize_rcu();
	table_free(old);
}
