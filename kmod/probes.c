// SPDX-License-Identifier: GPL-2.0
/*
 * kretprobes on the protocol connect functions. Hooking the protocol layer
 * rather than the syscall covers connect(2), compat syscalls, io_uring
 * IORING_OP_CONNECT and TCP Fast Open (sendto(MSG_FASTOPEN) and
 * TCP_FASTOPEN_CONNECT) alike: they all end in sk->sk_prot->connect.
 *
 *   tcp_v4_connect          TCP over IPv4, and IPv6 sockets to ::ffff:a.b.c.d
 *   tcp_v6_connect          TCP over IPv6
 *   __ip4_datagram_connect  UDP over IPv4, and IPv6 sockets to v4-mapped
 *   __ip6_datagram_connect  UDP over IPv6
 *
 * The entry handler saves the destination (the source is chosen inside the
 * function); the return handler reads the source address and port actually
 * chosen and runs detection. An IPv6 socket connecting to an IPv4-mapped
 * address goes through the v4 function too, so the v6 hooks skip those: one
 * attempt, one IPv4 event.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>
#include <linux/sched.h>
#include <linux/net.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "c2watch.h"

struct probe_data {
	struct sock *sk;
	u64 ticket;
	u8 daddr[16];
	u16 dport;
};

static bool is_udp(const struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_UDP ||
	       sk->sk_protocol == IPPROTO_UDPLITE;
}

/*
 * The heartbeat: once a second the module's own worker connects a kernel
 * UDP socket to 127.0.0.1 (nothing is sent). If the probe does not see it,
 * every kprobe was disarmed (debugfs kprobes/enabled): recorded, not
 * counted as a hook hit.
 */
static struct socket *hb_sock;
static bool hb_hit, hb_disarmed;
static int hb_silent;		/* heartbeats in a row the probe did not see */

static int entry(struct kretprobe_instance *ri, struct pt_regs *regs,
		 int hook, int family)
{
	struct sock *sk = (struct sock *)regs_get_kernel_argument(regs, 0);
	void *uaddr = (void *)regs_get_kernel_argument(regs, 1);
	int len = (int)regs_get_kernel_argument(regs, 2);
	struct probe_data *d = (struct probe_data *)ri->data;
	bool udp = hook == C2W_HOOK_UDP4 || hook == C2W_HOOK_UDP6;

	if (unlikely(hb_sock && sk == hb_sock->sk)) {
		WRITE_ONCE(hb_hit, true);
		return 1;
	}
	c2w_count_hook(hook);
	if (!c2w_want_task() || (udp && !is_udp(sk)))
		goto ignore;
	d->sk = sk;
	memset(d->daddr, 0, sizeof(d->daddr));
	if (family == 4) {
		struct sockaddr_in sin;

		/*
		 * A plain read: every caller passes a kernel object of at
		 * least @len bytes (move_addr_to_kernel()'s sockaddr_storage
		 * for connect(2), compat and io_uring; a kernel socket's own
		 * address; tcp_v6_connect()'s sockaddr_in for v4-mapped),
		 * and the function reads it under the same length check.
		 * copy_from_kernel_nofault() cost about as much as the rest
		 * of an early exclusion (docs/performance.md).
		 */
		if (len < (int)sizeof(sin))
			goto ignore;
		memcpy(&sin, uaddr, sizeof(sin));
		if (sin.sin_family != AF_INET)
			goto ignore;
		memcpy(d->daddr, &sin.sin_addr, 4);
		d->dport = ntohs(sin.sin_port);
	} else {
		struct sockaddr_in6 sin6;

		/* v4 sockaddrs and v4-mapped addresses: the v4 hook reports. */
		if (len < SIN6_LEN_RFC2133)
			goto ignore;
		memcpy(&sin6, uaddr, SIN6_LEN_RFC2133);
		if (sin6.sin6_family != AF_INET6 ||
		    ipv6_addr_v4mapped(&sin6.sin6_addr))
			goto ignore;
		memcpy(d->daddr, &sin6.sin6_addr, 16);
		d->dport = ntohs(sin6.sin6_port);
	}
	/*
	 * Ruled out by the executable or the destination, or the repeat of
	 * a known match: no return handler.
	 */
	if (c2w_detect_early(family, udp ? C2W_TRANSPORT_UDP :
					   C2W_TRANSPORT_TCP,
			     d->daddr, d->dport, &d->ticket))
		return 1;
	return 0;

ignore:
	c2w_count(C2W_ST_IGNORED, 1);
	return 1;	/* no return handler for this instance */
}

static int ret_common(struct kretprobe_instance *ri, struct pt_regs *regs,
		      int family, int transport)
{
	struct probe_data *d = (struct probe_data *)ri->data;
	const struct inet_sock *inet = inet_sk(d->sk);
	struct sock *sk = d->sk;
	struct c2w_attempt a = {
		.family = family,
		.transport = transport,
		.ret = (int)regs_return_value(regs),
		.netns_ino = sock_net(sk)->ns.inum,
		.sport = ntohs(inet->inet_sport),
		.daddr = d->daddr,
		.dport = d->dport,
		.ticket = d->ticket,
	};

	if (family == 4) {
		if (inet->inet_saddr)
			a.saddr = &inet->inet_saddr;
		/* connect to 0.0.0.0 is loopback: report where it went. */
		if (!a.ret && inet->inet_daddr)
			a.daddr = &inet->inet_daddr;
	} else {
		if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr))
			a.saddr = &sk->sk_v6_rcv_saddr;
		if (!a.ret && !ipv6_addr_any(&sk->sk_v6_daddr))
			a.daddr = &sk->sk_v6_daddr;
	}
	c2w_detect(&a);
	return 0;
}

static int tcp4_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return entry(ri, regs, C2W_HOOK_TCP4, 4);
}

static int tcp6_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return entry(ri, regs, C2W_HOOK_TCP6, 6);
}

static int udp4_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return entry(ri, regs, C2W_HOOK_UDP4, 4);
}

static int udp6_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return entry(ri, regs, C2W_HOOK_UDP6, 6);
}

static int tcp4_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return ret_common(ri, regs, 4, C2W_TRANSPORT_TCP);
}

static int tcp6_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return ret_common(ri, regs, 6, C2W_TRANSPORT_TCP);
}

static int udp4_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return ret_common(ri, regs, 4, C2W_TRANSPORT_UDP);
}

static int udp6_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return ret_common(ri, regs, 6, C2W_TRANSPORT_UDP);
}

#define C2W_KRETPROBE(sym, e, h) {			\
	.kp.symbol_name	= sym,				\
	.entry_handler	= e,				\
	.handler	= h,				\
	.data_size	= sizeof(struct probe_data),	\
}

static struct kretprobe krp[C2W_HOOK_MAX] = {
	[C2W_HOOK_TCP4] = C2W_KRETPROBE("tcp_v4_connect", tcp4_entry, tcp4_ret),
	[C2W_HOOK_TCP6] = C2W_KRETPROBE("tcp_v6_connect", tcp6_entry, tcp6_ret),
	[C2W_HOOK_UDP4] = C2W_KRETPROBE("__ip4_datagram_connect", udp4_entry,
					udp4_ret),
	[C2W_HOOK_UDP6] = C2W_KRETPROBE("__ip6_datagram_connect", udp6_entry,
					udp6_ret),
};

static struct kretprobe *krp_ptrs[C2W_HOOK_MAX];

static unsigned int probe_instances;
module_param(probe_instances, uint, 0444);
MODULE_PARM_DESC(probe_instances, "Connects each hook can follow at once; more are counted missed and reported (default: 32 per CPU, at least 1024)");

/* Misses and the heartbeat are checked off the hot path, once a second. */
static struct delayed_work missed_work;
static u64 missed_reported;

static void heartbeat(void)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(9),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct kretprobe *rp = &krp[C2W_HOOK_UDP4];
	unsigned long missed;
	bool hit;
	int ret;

	WRITE_ONCE(hb_hit, false);
	missed = READ_ONCE(rp->nmissed) + READ_ONCE(rp->kp.nmissed);
	/* void *: struct sockaddr_unsized * since 6.19, sockaddr * before. */
	ret = kernel_connect(hb_sock, (void *)&sin, sizeof(sin), 0);
	hit = READ_ONCE(hb_hit);
	/*
	 * Inconclusive: the connect failed before the hooked function (a
	 * cgroup BPF program, say), or the probe had no instance free.
	 */
	if (!hit && (ret || missed != READ_ONCE(rp->nmissed) +
				     READ_ONCE(rp->kp.nmissed)))
		return;
	/* Twice in a row before crying wolf. */
	hb_silent = hit ? 0 : hb_silent + 1;
	if (hit == !hb_disarmed || (!hit && hb_silent < 2))
		return;
	hb_disarmed = !hit;
	if (hb_disarmed)
		pr_warn("the probes no longer fire (kprobes disarmed?): connects are not evaluated\n");
	else
		pr_info("the probes fire again\n");
	c2w_config_record(C2W_CFG_PROBES_DISARMED, hb_disarmed);
}

static void report_missed(struct work_struct *work)
{
	u64 total = c2w_probes_missed();
	struct c2w_missed m;

	heartbeat();
	c2w_uid_summarise(c2w_stream_put);
	if (total != missed_reported) {
		memset(&m, 0, sizeof(m));
		m.hdr.size = sizeof(m);
		m.hdr.type = C2W_REC_MISSED;
		m.missed = total - missed_reported;
		m.total = total;
		missed_reported = total;
		c2w_stream_put(&m.hdr);
	}
	schedule_delayed_work(&missed_work, HZ);
}

/**
 * c2w_probes_missed() - hook hits the module never saw
 *
 * Return: the sum of the kretprobes' nmissed counters (no instance free),
 * the datagram send kprobes' and the prctl probes' (exeswap.c).
 */
u64 c2w_probes_missed(void)
{
	u64 n = 0;
	int i;

	for (i = 0; i < C2W_HOOK_MAX; i++)
		n += READ_ONCE(krp[i].nmissed) + READ_ONCE(krp[i].kp.nmissed);
	return n + c2w_sendhook_missed() + c2w_exeswap_missed();
}

/**
 * c2w_probes_init() - register the kretprobes
 *
 * Return: 0 or the error of register_kretprobes() (e.g. -ENOENT when IPv6
 * is a module that is not loaded: load it first).
 */
int c2w_probes_init(void)
{
	int i, ret, n = probe_instances;

	/*
	 * A connect can sleep between entry and return (cond_resched() in
	 * the port search, GFP_KERNEL allocations): every task inside one
	 * holds an instance. Room for many; a miss is still reported.
	 */
	if (!n)
		n = max_t(int, 1024, 32 * num_possible_cpus());
	for (i = 0; i < C2W_HOOK_MAX; i++) {
		krp[i].maxactive = n;
		krp_ptrs[i] = &krp[i];
	}
	ret = register_kretprobes(krp_ptrs, C2W_HOOK_MAX);
	if (ret) {
		pr_err("registering kretprobes failed: %d\n", ret);
		return ret;
	}
	ret = sock_create_kern(&init_net, AF_INET, SOCK_DGRAM, IPPROTO_UDP,
			       &hb_sock);
	if (ret) {
		unregister_kretprobes(krp_ptrs, C2W_HOOK_MAX);
		return ret;
	}
	missed_reported = 0;
	hb_disarmed = false;
	INIT_DELAYED_WORK(&missed_work, report_missed);
	schedule_delayed_work(&missed_work, HZ);
	return 0;
}

/**
 * c2w_probes_exit() - unregister the kretprobes
 *
 * After this returns no handler runs any more (the kprobes core waits for
 * running handlers); instances still on a task's return path are orphaned
 * by the core and never call back into the module.
 */
void c2w_probes_exit(void)
{
	cancel_delayed_work_sync(&missed_work);
	unregister_kretprobes(krp_ptrs, C2W_HOOK_MAX);
	sock_release(hb_sock);
	hb_sock = NULL;
}
