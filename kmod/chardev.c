// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/c2watch: the misc character device carrying configuration ioctls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <linux/c2watch.h>

#include "c2watch.h"

static long ioctl_get_version(void __user *argp)
{
	struct c2w_version v;

	memset(&v, 0, sizeof(v));
	v.uapi_version = C2W_UAPI_VERSION;
	strscpy(v.module_version, C2W_MODULE_VERSION,
		sizeof(v.module_version));
	if (copy_to_user(argp, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long c2w_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case C2W_IOC_GET_VERSION:
		return ioctl_get_version(argp);
	default:
		/* The VFS turns -ENOIOCTLCMD into -ENOTTY for userspace. */
		return -ENOIOCTLCMD;
	}
}

static const struct file_operations c2w_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= c2w_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= no_llseek,
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
	return misc_register(&c2w_misc);
}

/**
 * c2w_chardev_exit() - remove /dev/c2watch
 */
void c2w_chardev_exit(void)
{
	misc_deregister(&c2w_misc);
}
