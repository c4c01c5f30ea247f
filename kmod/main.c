// SPDX-License-Identifier: GPL-2.0
/*
 * c2watch module entry: parameters, and bringing the parts up in
 * dependency order and down in the exact reverse. The probes start before
 * the device so that nothing reachable from userspace sees a half-initialised
 * module; the device, the user-visible surface, is registered last and
 * removed first.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/log2.h>
#include <linux/sizes.h>

#include "c2watch.h"

static unsigned int seen_capacity = 65536;
module_param(seen_capacity, uint, 0444);
MODULE_PARM_DESC(seen_capacity, "Maximum seen-set entries (default 65536)");

static unsigned int queue_size = 1 << 20;
module_param(queue_size, uint, 0444);
MODULE_PARM_DESC(queue_size, "Bytes of the alert queue, a power of two from 64 KiB to 4 MiB (default 1 MiB)");

static unsigned int default_window = C2W_DEFAULT_WINDOW;
module_param(default_window, uint, 0444);
MODULE_PARM_DESC(default_window, "New-terms window in seconds for rules without one (default 20 days)");

static bool enabled = true;
module_param(enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "Evaluate connections from load on (default yes)");

static int __init c2w_init(void)
{
	int ret;

	if (!default_window || default_window > C2W_MAX_WINDOW) {
		pr_err("default_window must be 1..%u seconds\n", C2W_MAX_WINDOW);
		return -EINVAL;
	}
	/*
	 * kfifo would round another size up, silently, and allocates with
	 * kmalloc, which cannot give more than 4 MiB.
	 */
	if (queue_size < SZ_64K || queue_size > SZ_4M ||
	    !is_power_of_2(queue_size)) {
		pr_err("queue_size must be a power of two, %u..%u bytes\n",
		       SZ_64K, SZ_4M);
		return -EINVAL;
	}
	c2w_default_window = default_window;
	WRITE_ONCE(c2w_enabled, enabled);
	c2w_exe_init();

	ret = c2w_stream_init(queue_size);
	if (ret)
		return ret;
	ret = c2w_uid_init(seen_capacity, queue_size);
	if (ret)
		goto err_queue;
	ret = c2w_seen_init(seen_capacity);
	if (ret)
		goto err_uid;
	ret = c2w_detect_init();
	if (ret)
		goto err_seen;
	ret = c2w_genl_init();
	if (ret)
		goto err_detect;
	/* Before the connect probes, which read their tables. */
	ret = c2w_mounts_init();
	if (ret)
		goto err_genl;
	ret = c2w_exeswap_init();
	if (ret)
		goto err_mounts;
	ret = c2w_execache_init();
	if (ret)
		goto err_exeswap;
	ret = c2w_probes_init();
	if (ret)
		goto err_execache;
	ret = c2w_sendhook_init();
	if (ret)
		goto err_probes;
	ret = c2w_chardev_init();
	if (ret)
		goto err_sendhook;

	pr_info("version %s loaded\n", C2W_MODULE_VERSION);
	return 0;

err_sendhook:
	c2w_sendhook_exit();
err_probes:
	c2w_probes_exit();
err_execache:
	c2w_execache_exit();
err_exeswap:
	c2w_exeswap_exit();
err_mounts:
	c2w_mounts_exit();
err_genl:
	c2w_seen_stop();
	c2w_genl_exit();
err_detect:
	synchronize_rcu();
	c2w_detect_exit();
err_seen:
	c2w_seen_exit();
err_uid:
	c2w_uid_exit();
err_queue:
	c2w_stream_exit();
	return ret;
}

static void __exit c2w_exit(void)
{
	struct c2w_active_rules *ar;

	/* Its sysfs file outlives this function: no records from it now. */
	c2w_seen_stop();
	c2w_chardev_exit();
	c2w_sendhook_exit();
	c2w_probes_exit();
	c2w_execache_exit();
	c2w_exeswap_exit();
	c2w_mounts_exit();
	/* Nothing produces records any more. */
	c2w_genl_exit();
	/* No probe runs any more; unpublish the rules, wait, free. */
	ar = rcu_replace_pointer(c2w_rules, NULL, true);
	synchronize_rcu();
	if (ar) {
		c2w_rs_free(ar->rs);
		kfree(ar);
	}
	c2w_detect_exit();
	c2w_seen_exit();
	c2w_uid_exit();
	c2w_stream_exit();
	pr_info("unloaded\n");
}

module_init(c2w_init);
module_exit(c2w_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Detect first outbound connections of executables in suspicious places");
MODULE_AUTHOR("c2watch developers");
MODULE_VERSION(C2W_MODULE_VERSION);
