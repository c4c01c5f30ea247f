// SPDX-License-Identifier: GPL-2.0
/*
 * c2w_bare: kretprobes on the same four connect functions as c2watch and
 * kprobes on the same two datagram send functions, with handlers that do
 * nothing. Its cost is the floor any kprobe-based design pays; the
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

static int pre(struct kprobe *p, struct pt_regs *regs)
{
	return 0;
}

static struct kprobe kp[] = {
	{ .symbol_name = "udp_sendmsg", .pre_handler = pre },
	{ .symbol_name = "udpv6_sendmsg", .pre_handler = pre },
};

static struct kprobe *kp_ptrs[ARRAY_SIZE(kp)];

static int __init bare_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(krp); i++)
		ptrs[i] = &krp[i];
	for (i = 0; i < ARRAY_SIZE(kp); i++)
		kp_ptrs[i] = &kp[i];
	ret = register_kretprobes(ptrs, ARRAY_SIZE(krp));
	if (ret)
		return ret;
	ret = register_kprobes(kp_ptrs, ARRAY_SIZE(kp));
	if (ret)
		unregister_kretprobes(ptrs, ARRAY_SIZE(krp));
	return ret;
}

static void __exit bare_exit(void)
{
	unregister_kprobes(kp_ptrs, ARRAY_SIZE(kp));
	unregister_kretprobes(ptrs, ARRAY_SIZE(krp));
}

module_init(bare_init);
module_exit(bare_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Benchmark floor: empty probes on c2watch's hooks");
