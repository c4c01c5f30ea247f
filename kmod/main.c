// SPDX-License-Identifier: GPL-2.0
/*
 * c2watch module entry: brings the parts up in dependency order and tears
 * them down in the exact reverse. The user-visible device is registered last
 * and removed first, so nobody can reach a half-initialised module.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "c2watch.h"

static int __init c2w_init(void)
{
	int ret;

	ret = c2w_chardev_init();
	if (ret)
		return ret;

	pr_info("version %s loaded\n", C2W_MODULE_VERSION);
	return 0;
}

static void __exit c2w_exit(void)
{
	c2w_chardev_exit();
	pr_info("unloaded\n");
}

module_init(c2w_init);
module_exit(c2w_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Detect first outbound connections of executables in suspicious places");
MODULE_AUTHOR("c2watch developers");
MODULE_VERSION(C2W_MODULE_VERSION);
