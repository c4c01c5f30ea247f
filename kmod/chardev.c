// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/c2watch: the alert stream (read/poll) and the configuration ioctls.
 *
 * One reader owns the stream: an open for reading needs CAP_SYS_ADMIN (the
 * stream shows every user's activity) and gets -EBUSY while another reader
 * holds the device; each attach and detach is a record naming the process.
 * Write-only opens are for configuration and any number may exist.
 * Configuration, seen-set contents and the loaded rules require
 * CAP_SYS_ADMIN in the initial user namespace whatever the device node's
 * mode; after C2W_IOC_LOCK no configuration changes and the module cannot
 * be unloaded until reboot (but see c2w_chardev_exit()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "c2watch.h"
#include "compat.h"

static atomic_t has_reader = ATOMIC_INIT(0);
/* Files open on the device: a forced unload waits for them to close. */
static atomic_t open_files = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(files_closed);

static int c2w_open(struct inode *inode, struct file *file)
{
	/* Loaded before /proc was there: settle the question now. */
	c2w_mntns_inum_check();
	if (file->f_mode & FMODE_READ) {
		struct c2w_config_rec *r;

		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		if (atomic_cmpxchg(&has_reader, 0, 1))
			return -EBUSY;
		/* A request meant for the previous reader is not for us. */
		c2w_stream_detach(false);
		/*
		 * Who attached, kept for the detach record: the release of a
		 * reader that exits runs after its mm and namespaces are
		 * gone, or in a kworker (delayed fput).
		 */
		r = c2w_config_record_make(C2W_CFG_READER_ATTACHED, 1);
		if (r)
			c2w_stream_put(&r->hdr);
		else
			c2w_config_record(C2W_CFG_READER_ATTACHED, 1);
		file->private_data = r;
	}
	atomic_inc(&open_files);
	return nonseekable_open(inode, file);
}

static int c2w_release(struct inode *inode, struct file *file)
{
	if (file->f_mode & FMODE_READ) {
		struct c2w_config_rec *r = file->private_data;

		c2w_stream_detach(false);
		if (r) {
			r->what = C2W_CFG_READER_DETACHED;
			r->hdr.time_ns = 0;
			c2w_stream_put(&r->hdr);
			kfree(r);
		} else {
			c2w_config_record(C2W_CFG_READER_DETACHED, 1);
		}
		atomic_set(&has_reader, 0);
	}
	if (atomic_dec_and_test(&open_files))
		wake_up(&files_closed);
	return 0;
}

static ssize_t c2w_read(struct file *file, char __user *buf, size_t count,
			loff_t *ppos)
{
	return c2w_stream_read(buf, count, file->f_flags & O_NONBLOCK);
}

static __poll_t c2w_poll(struct file *file, poll_table *wait)
{
	return c2w_stream_poll(file, wait);
}

static struct c2w_active_rules *rules_locked(void)
{
	return rcu_dereference_protected(c2w_rules,
					 lockdep_is_held(&c2w_config_lock));
}

static long ioctl_get_version(void __user *argp)
{
	struct c2w_version v;

	memset(&v, 0, sizeof(v));
	v.uapi_version = C2W_UAPI_VERSION;
	strscpy(v.module_version, C2W_MODULE_VERSION,
		sizeof(v.module_version));
	return copy_to_user(argp, &v, sizeof(v)) ? -EFAULT : 0;
}

static int get_buf(void __user *argp, struct c2w_buf *b)
{
	if (copy_from_user(b, argp, sizeof(*b)))
		return -EFAULT;
	if (b->flags || b->reserved || b->count)
		return -EINVAL;
	return 0;
}

static long ioctl_set_rules(void __user *argp)
{
	struct c2w_active_rules *ar, *old;
	struct c2w_ruleset *rs;
	struct c2w_rs_error err;
	struct c2w_buf b;
	void *blob;
	int ret;

	ret = get_buf(argp, &b);
	if (ret)
		return ret;
	if (b.len < sizeof(struct c2w_rs_header) ||
	    b.len > C2W_MAX_RULESET_SIZE)
		return -EINVAL;
	/* Checked again under the lock; this spares a locked module the work. */
	if (READ_ONCE(c2w_locked))
		return -EPERM;
	blob = vmemdup_user(u64_to_user_ptr(b.ptr), b.len);
	if (IS_ERR(blob))
		return PTR_ERR(blob);
	/* The ruleset takes the copy over, or frees it. */
	ret = c2w_rs_compile_owned(blob, b.len, &rs, &err);
	if (ret) {
		if (ret == -EINVAL)
			pr_info_ratelimited("ruleset refused: %s (rule %d clause %d test %d)\n",
					    err.msg, err.rule, err.clause,
					    err.test);
		return ret;
	}
	ar = kmalloc(sizeof(*ar), GFP_KERNEL);
	if (!ar) {
		c2w_rs_free(rs);
		return -ENOMEM;
	}
	ar->rs = rs;
	ret = c2w_detect_const_memo(ar);
	if (ret) {
		c2w_rs_free(rs);
		kfree(ar);
		return ret;
	}

	mutex_lock(&c2w_config_lock);
	if (c2w_locked) {
		mutex_unlock(&c2w_config_lock);
		c2w_rs_free(rs);
		kfree(ar);
		return -EPERM;
	}
	ar->gen = c2w_rules_gen + 1;
	old = rcu_replace_pointer(c2w_rules, ar,
				  lockdep_is_held(&c2w_config_lock));
	/* After the pointer: pairs with the send memo's acquire. */
	smp_store_release(&c2w_rules_gen, c2w_rules_gen + 1);
	c2w_config_record(C2W_CFG_RULES_LOADED, c2w_rs_count(rs));
	mutex_unlock(&c2w_config_lock);

	synchronize_rcu();
	if (old) {
		c2w_rs_free(old->rs);
		kfree(old);
	}
	return 0;
}

static long ioctl_get_rules(void __user *argp)
{
	struct c2w_active_rules *ar;
	const void *blob = NULL;
	struct c2w_buf b;
	u32 size = 0;
	int ret;

	ret = get_buf(argp, &b);
	if (ret)
		return ret;
	mutex_lock(&c2w_config_lock);
	ar = rules_locked();
	if (ar)
		blob = c2w_rs_blob(ar->rs, &size);
	if (size > b.len)
		ret = -ENOSPC;
	else if (size && copy_to_user(u64_to_user_ptr(b.ptr), blob, size))
		ret = -EFAULT;
	else
		b.count = ar ? c2w_rs_count(ar->rs) : 0;
	mutex_unlock(&c2w_config_lock);
	b.len = size;
	if (ret != -EFAULT && copy_to_user(argp, &b, sizeof(b)))
		ret = -EFAULT;
	return ret;
}

/*
 * A structure whose size comes from the ioctl number: the caller gets the
 * first @usize bytes of it, and zeros past what this module has.
 */
static int copy_sized_to_user(void __user *dst, size_t usize, const void *src,
			      size_t ksize)
{
	if (copy_to_user(dst, src, min(usize, ksize)))
		return -EFAULT;
	if (usize > ksize && clear_user(dst + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

static long ioctl_get_config(void __user *argp, size_t usize)
{
	struct c2w_config c;

	c2w_status_config(&c);
	return copy_sized_to_user(argp, usize, &c, sizeof(c));
}

static long ioctl_set_config(void __user *argp, size_t usize)
{
	struct c2w_config c;
	int ret;

	/* A larger structure from a newer header: its tail must be zero. */
	ret = copy_struct_from_user(&c, sizeof(c), argp, usize);
	if (ret)
		return ret;
	/* No mask at all is what a uapi 1 caller sends: refused, not a no-op. */
	if (!c.mask || (c.mask & ~C2W_CONFIG_ALL) || c.reserved)
		return -EINVAL;
	if ((c.mask & C2W_CONFIG_ENABLED) && c.enabled > 1)
		return -EINVAL;
	if ((c.mask & C2W_CONFIG_DEFAULT_WINDOW) &&
	    (!c.default_window || c.default_window > C2W_MAX_WINDOW))
		return -EINVAL;
	if ((c.mask & C2W_CONFIG_SEEN_CAPACITY) &&
	    (!c.seen_capacity || c.seen_capacity > C2W_MAX_SEEN_CAPACITY))
		return -EINVAL;
	if ((c.mask & C2W_CONFIG_EVENTS_INTERVAL) &&
	    c.events_interval > C2W_MAX_WINDOW)
		return -EINVAL;

	mutex_lock(&c2w_config_lock);
	if (c2w_locked) {
		ret = -EPERM;
		goto out;
	}
	if (c.mask & C2W_CONFIG_SEEN_CAPACITY) {
		ret = c2w_seen_set_capacity(c.seen_capacity);
		if (ret)
			goto out;
		c2w_config_record(C2W_CFG_CAPACITY, c.seen_capacity);
	}
	if (c.mask & C2W_CONFIG_DEFAULT_WINDOW) {
		WRITE_ONCE(c2w_default_window, c.default_window);
		c2w_config_record(C2W_CFG_WINDOW, c.default_window);
	}
	if (c.mask & C2W_CONFIG_EVENTS_INTERVAL) {
		WRITE_ONCE(c2w_events_interval, c.events_interval);
		c2w_config_record(C2W_CFG_EVENTS_INTERVAL, c.events_interval);
	}
	if (c.mask & C2W_CONFIG_ENABLED) {
		WRITE_ONCE(c2w_enabled, c.enabled);
		c2w_config_record(C2W_CFG_ENABLED, c.enabled);
	}
out:
	mutex_unlock(&c2w_config_lock);
	return ret;
}

static long ioctl_get_stats(void __user *argp, size_t usize)
{
	struct c2w_stats st;

	c2w_status_stats(&st);
	return copy_sized_to_user(argp, usize, &st, sizeof(st));
}

static long ioctl_seen_export(void __user *argp)
{
	struct c2w_buf b;
	u32 needed, count;
	int ret;

	ret = get_buf(argp, &b);
	if (ret)
		return ret;
	mutex_lock(&c2w_config_lock);
	ret = c2w_seen_export(u64_to_user_ptr(b.ptr), b.len, &needed, &count);
	mutex_unlock(&c2w_config_lock);
	if (ret && ret != -ENOSPC)
		return ret;
	b.len = needed;
	b.count = count;
	if (copy_to_user(argp, &b, sizeof(b)))
		return -EFAULT;
	return ret;
}

static long ioctl_seen_import(void __user *argp)
{
	struct c2w_buf b;
	u32 count = 0;
	void *buf;
	int ret;

	ret = get_buf(argp, &b);
	if (ret)
		return ret;
	if (!b.len || b.len > C2W_MAX_SEEN_IMPORT)
		return -EINVAL;
	buf = vmemdup_user(u64_to_user_ptr(b.ptr), b.len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	mutex_lock(&c2w_config_lock);
	if (c2w_locked) {
		ret = -EPERM;
	} else {
		struct c2w_active_rules *ar = rules_locked();

		ret = c2w_seen_import(buf, b.len, ar ? ar->rs : NULL, &count);
		if (count)
			c2w_config_record(C2W_CFG_SEEN_IMPORTED, count);
	}
	mutex_unlock(&c2w_config_lock);
	kvfree(buf);
	b.count = count;
	if (ret != -EPERM && copy_to_user(argp, &b, sizeof(b)))
		return -EFAULT;
	return ret;
}

static long ioctl_seen_forget(void __user *argp)
{
	struct c2w_seen_forget f;
	void *key;
	int ret = 0;

	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	if (f.flags || f.reserved || f.removed || !f.key_len ||
	    f.key_len > C2W_MAX_KEY)
		return -EINVAL;
	key = memdup_user(u64_to_user_ptr(f.key), f.key_len);
	if (IS_ERR(key))
		return PTR_ERR(key);
	mutex_lock(&c2w_config_lock);
	if (c2w_locked) {
		ret = -EPERM;
	} else {
		f.removed = c2w_seen_forget(key, f.key_len);
		c2w_config_record(C2W_CFG_SEEN_FORGOTTEN, f.removed);
	}
	mutex_unlock(&c2w_config_lock);
	kfree(key);
	if (!ret && copy_to_user(argp, &f, sizeof(f)))
		ret = -EFAULT;
	return ret;
}

static long ioctl_seen_clear(void)
{
	int ret = 0;

	mutex_lock(&c2w_config_lock);
	if (c2w_locked)
		ret = -EPERM;
	else
		c2w_config_record(C2W_CFG_SEEN_CLEARED, c2w_seen_clear());
	mutex_unlock(&c2w_config_lock);
	return ret;
}

static long ioctl_lock(void)
{
	mutex_lock(&c2w_config_lock);
	if (!c2w_locked) {
		/* A reference never put: rmmod refuses until reboot. */
		__module_get(THIS_MODULE);
		WRITE_ONCE(c2w_locked, true);
		c2w_config_record(C2W_CFG_LOCKED, 1);
		pr_notice("configuration locked until reboot\n");
	}
	mutex_unlock(&c2w_config_lock);
	return 0;
}

static long ioctl_detach_reader(void)
{
	int ret = 0;

	mutex_lock(&c2w_config_lock);
	if (c2w_locked) {
		ret = -EPERM;
	} else if (!atomic_read(&has_reader)) {
		ret = -ENOENT;
	} else {
		c2w_config_record(C2W_CFG_DETACH, 1);
		c2w_stream_detach(true);
	}
	mutex_unlock(&c2w_config_lock);
	return ret;
}

/* Everything but the version, settings and counters: what is watched. */
static int need_admin(void)
{
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

/*
 * @cmd is @base with a structure of any size from the first published one
 * on: the size is the caller's, the command is @base.
 */
static bool sized_cmd(unsigned int cmd, unsigned int base, size_t min)
{
	return _IOC_TYPE(cmd) == _IOC_TYPE(base) &&
	       _IOC_NR(cmd) == _IOC_NR(base) &&
	       _IOC_DIR(cmd) == _IOC_DIR(base) && _IOC_SIZE(cmd) >= min;
}

static long c2w_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	size_t usize = _IOC_SIZE(cmd);

	if (sized_cmd(cmd, C2W_IOC_GET_CONFIG, C2W_CONFIG_SIZE_VER0))
		cmd = C2W_IOC_GET_CONFIG;
	else if (sized_cmd(cmd, C2W_IOC_SET_CONFIG, C2W_CONFIG_SIZE_VER0))
		cmd = C2W_IOC_SET_CONFIG;
	else if (sized_cmd(cmd, C2W_IOC_GET_STATS, C2W_STATS_SIZE_VER0))
		cmd = C2W_IOC_GET_STATS;

	switch (cmd) {
	case C2W_IOC_GET_VERSION:
		return ioctl_get_version(argp);
	case C2W_IOC_GET_CONFIG:
		return ioctl_get_config(argp, usize);
	case C2W_IOC_GET_STATS:
		return ioctl_get_stats(argp, usize);
	case C2W_IOC_GET_RULES:
		return need_admin() ?: ioctl_get_rules(argp);
	case C2W_IOC_SEEN_EXPORT:
		return need_admin() ?: ioctl_seen_export(argp);
	case C2W_IOC_SET_RULES:
		return need_admin() ?: ioctl_set_rules(argp);
	case C2W_IOC_SET_CONFIG:
		return need_admin() ?: ioctl_set_config(argp, usize);
	case C2W_IOC_SEEN_IMPORT:
		return need_admin() ?: ioctl_seen_import(argp);
	case C2W_IOC_SEEN_FORGET:
		return need_admin() ?: ioctl_seen_forget(argp);
	case C2W_IOC_SEEN_CLEAR:
		return need_admin() ?: ioctl_seen_clear();
	case C2W_IOC_LOCK:
		return need_admin() ?: ioctl_lock();
	case C2W_IOC_DETACH_READER:
		return need_admin() ?: ioctl_detach_reader();
	default:
		/* The VFS turns -ENOIOCTLCMD into -ENOTTY for userspace. */
		return -ENOIOCTLCMD;
	}
}

static const struct file_operations c2w_fops = {
	.owner		= THIS_MODULE,
	.open		= c2w_open,
	.release	= c2w_release,
	.read		= c2w_read,
	.poll		= c2w_poll,
	.unlocked_ioctl	= c2w_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	/* No .llseek: nonseekable_open() makes lseek fail with ESPIPE. */
};

static struct miscdevice c2w_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= C2W_DEVICE_NAME,
	.fops	= &c2w_fops,
	.mode	= 0600,
};

/**
 * c2w_chardev_init() - register /dev/c2watch
 *
 * Return: 0 or a negative errno from misc_register().
 */
int c2w_chardev_init(void)
{
	/* The first published sizes (sized ioctls) and layouts stay. */
	BUILD_BUG_ON(sizeof(struct c2w_config) != C2W_CONFIG_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct c2w_stats, send_hits) !=
		     C2W_STATS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct c2w_alert, exe_len) != 200);
	BUILD_BUG_ON(offsetof(struct c2w_alert, ns_exe_len) !=
		     C2W_ALERT_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct c2w_alert) != 216);
	BUILD_BUG_ON(sizeof(struct c2w_alert) + 2 * C2W_PATH_MAX >
		     C2W_RECORD_MAX);
	BUILD_BUG_ON(sizeof(struct c2w_alert) % C2W_REC_ALIGN ||
		     C2W_PATH_MAX % C2W_REC_ALIGN);
	return misc_register(&c2w_misc);
}

/**
 * c2w_chardev_exit() - remove /dev/c2watch
 *
 * An open file holds a reference on the module, so only a forced unload
 * (rmmod -f, CONFIG_MODULE_FORCE_UNLOAD) gets here with files open. Their
 * fops would point into freed code: ask the reader to let go and wait
 * until the last file is closed, however long that takes. This narrows a
 * forced unload's damage, it cannot make one safe: the VFS still drops the
 * module reference of the last file after our release() returned, and an
 * open racing with the unload may get in. Hosts that must not lose the
 * module set kernel.modules_disabled=1 (docs/threat-model.md).
 */
void c2w_chardev_exit(void)
{
	misc_deregister(&c2w_misc);
	if (!atomic_read(&open_files))
		return;
	c2w_stream_detach(true);
	/* Uninterruptible, but never long: no hung-task report. */
	while (!wait_event_timeout(files_closed, !atomic_read(&open_files),
				   10 * HZ))
		pr_warn("forced unload: waiting for the %d open file(s) of /dev/%s to close\n",
			atomic_read(&open_files), C2W_DEVICE_NAME);
	/* Let the last closer leave __fput() before our code is freed. */
	msleep(100);
}
