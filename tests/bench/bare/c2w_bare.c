// SPDX-License-Identifier: GPL-2.0
/*
 * c2w_bare: kretprobes on the same four functions as c2watch, with handlers
 * that do nothing. Its cost is the floor any kprobe-based design pays; the
 * benchmarks report c2watch against it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/module.h>

static int entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static int ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

#define BARE(sym) { .kp.symbol_name = sym, .entry_handler = entry, \
		    .handler = ret, .maxactive = 64 }

static struct kretprobe krp[] = {
	BARE("tcp_v4_connect"),
	BARE("tcp_v6_connect"),
	BARE("__ip4_datagram_connect"),
	BARE("__ip6_datagram_connect"),
};

static struct kretprobe *ptrs[ARRAY_SIZE(krp)];

static int __init bare_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(krp); i++)
		ptrs[i] = &krp[i];
	return register_kretprobes(ptrs, ARRAY_SIZE(krp));
}

static void __exit bare_exit(void)
{
	unregister_kretprobes(ptrs, ARRAY_SIZE(krp));
}

module_init(bare_init);
module_exit(bare_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Benchmark floor: empty kretprobes on c2watch's hooks");
