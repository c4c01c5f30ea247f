// SPDX-License-Identifier: GPL-2.0
/*
 * UDP datagrams sent to an explicit destination: sendto() and sendmsg()
 * with a name, on a socket that never connected or one connected elsewhere
 * (a LAN resolver, then 8.8.8.8). DNS and QUIC channels need no connect(),
 * so the connect probes alone would never see them.
 *
 *   udp_sendmsg    IPv4, and IPv6 sockets sending to v4-mapped or AF_INET
 *   udpv6_sendmsg  IPv6 (v4-mapped left to udp_sendmsg: one event)
 *
 * A kprobe at entry (nothing to wait for: the destination is the caller's).
 * Resolvers and QUIC clients send many datagrams to few destinations, and
 * they are trusted programs: a per-CPU memo remembers, slot by slot, the
 * last send that no rule matched, keyed by socket, process image (tgid and
 * exec count), uid, source and destination, and ruleset generation, and
 * skips the evaluation when that repeats; the slot also holds the stamp of
 * renames, mount changes and executable swaps (c2w_execache_stamp()), so
 * that a trusted program moved into /tmp is judged at its new path, as its
 * connects are. Only exclusions are remembered:
 * a send that matched goes to the seen set every time (windows, forget,
 * clear, failing open when full), as a connect does: evaluated in full, or
 * judged known from the last match (c2w_detect_early(), c2w_detect()),
 * which leaves a new alert or an event to the full evaluation.
 *
 * A trusted program is excluded by its executable before the memo is
 * looked at (c2w_detect_early(): from the executable cache once per CPU,
 * then without the lookup while nothing its path is made of changes); one
 * known not to be excluded (a suspicious program) is not looked up again.
 * The memo serves the rest: executables the cache does not hold, and
 * sends that other clauses exclude. A match's repeat is judged before the
 * memo too: a beacon's datagrams to its server never hit it (only
 * exclusions are remembered, and a repeat matched under the same rules,
 * path and stamp).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jhash.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/socket.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "c2watch.h"

#define MEMO_SLOTS	256

struct memo_slot {
	const struct sock *sk;
	u64 gen;		/* c2w_rules_gen of the verdict */
	struct c2w_exe_stamp stamp;	/* what paths were made of then */
	pid_t tgid;
	u32 exec_id;		/* self_exec_id: a new image is new */
	u32 uid;
	u32 shash;		/* the source address, hashed */
	u16 port;
	u8 family;
	u8 addr[16];
};

struct memo {
	struct memo_slot slot[MEMO_SLOTS];
};

static struct memo __percpu *memo;

/*
 * The slot of this send, and whether it holds this send's exclusion;
 * @key (padding zeroed: slots are compared with memcmp()) is filled in for
 * the caller to store there once the send is excluded. NULL while nothing
 * may be remembered: a rename in progress, mount changes not followed.
 */
static struct memo_slot *memo_find(const struct c2w_attempt *a,
				   const struct sock *sk, u64 gen,
				   struct memo_slot *key, bool *hit)
{
	u32 alen = a->family == 4 ? 4 : 16, h;
	struct memo_slot *s;

	*hit = false;
	memset(key, 0, sizeof(*key));
	/* Before the evaluation reads any path: a later change misses. */
	if (!c2w_execache_stamp(&key->stamp))
		return NULL;
	key->sk = sk;
	key->gen = gen;
	key->tgid = current->tgid;
	key->exec_id = current->self_exec_id;
	key->uid = __kuid_val(current_uid());
	key->shash = a->saddr ? jhash(a->saddr, alen, 0) : 0;
	key->port = a->dport;
	key->family = a->family;
	memcpy(key->addr, a->daddr, alen);
	h = jhash(key, sizeof(*key), 0);
	s = &this_cpu_ptr(memo)->slot[h % MEMO_SLOTS];
	*hit = !memcmp(s, key, sizeof(*key));
	return s;
}

/* Connected to this very destination: its connect was evaluated. */
static bool to_peer(const struct sock *sk, const struct c2w_attempt *a)
{
	if (READ_ONCE(sk->sk_state) != TCP_ESTABLISHED)
		return false;
	if (a->family == 4)
		return !memcmp(a->daddr, &inet_sk(sk)->inet_daddr, 4) &&
		       a->dport == ntohs(inet_sk(sk)->inet_dport);
	return ipv6_addr_equal(a->daddr, &sk->sk_v6_daddr) &&
	       a->dport == ntohs(inet_sk(sk)->inet_dport);
}

static int send_pre(struct pt_regs *regs, enum c2w_send_hook hook)
{
	struct sock *sk = (struct sock *)regs_get_kernel_argument(regs, 0);
	struct msghdr *msg = (struct msghdr *)regs_get_kernel_argument(regs, 1);
	const struct inet_sock *inet = inet_sk(sk);
	struct c2w_attempt a = {
		.transport = C2W_TRANSPORT_UDP,
		.netns_ino = sock_net(sk)->ns.inum,
		.sport = ntohs(inet->inet_sport),
	};
	struct memo_slot key, *slot;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	bool hit;
	void *name;
	u64 gen;
	int len;

	c2w_count_send(hook);
	name = READ_ONCE(msg->msg_name);
	len = READ_ONCE(msg->msg_namelen);
	/* No name: a connected socket, whose connect was evaluated. */
	if (!name || !c2w_want_task())
		goto ignore;
	if (hook == C2W_SEND_UDP4) {
		/*
		 * A plain read, as the connect probes do: the name is a
		 * kernel object of at least @len bytes (the sockaddr_storage
		 * of move_addr_to_kernel() for sendto(2), sendmsg(2), compat
		 * and io_uring; a kernel socket's own address; kernel threads
		 * were turned away above). udp_sendmsg() takes AF_UNSPEC
		 * names as AF_INET ones.
		 */
		if (len < (int)sizeof(sin))
			goto ignore;
		memcpy(&sin, name, sizeof(sin));
		if (sin.sin_family != AF_INET && sin.sin_family != AF_UNSPEC)
			goto ignore;
		/* 0.0.0.0 is this host. */
		if (!sin.sin_addr.s_addr)
			goto ignore;
		a.family = 4;
		a.daddr = &sin.sin_addr;
		a.dport = ntohs(sin.sin_port);
		if (inet->inet_saddr)
			a.saddr = &inet->inet_saddr;
	} else {
		/*
		 * AF_INET names and v4-mapped: udp_sendmsg() reports them;
		 * AF_UNSPEC is a send to the connected peer; :: is this host.
		 */
		if (len < SIN6_LEN_RFC2133)
			goto ignore;
		memcpy(&sin6, name, SIN6_LEN_RFC2133);
		if (sin6.sin6_family != AF_INET6 ||
		    ipv6_addr_v4mapped(&sin6.sin6_addr) ||
		    ipv6_addr_any(&sin6.sin6_addr))
			goto ignore;
		a.family = 6;
		a.daddr = &sin6.sin6_addr;
		a.dport = ntohs(sin6.sin6_port);
		if (!ipv6_addr_any(&sk->sk_v6_rcv_saddr))
			a.saddr = &sk->sk_v6_rcv_saddr;
	}
	/* Also the name udpv6_sendmsg() makes for a v4-mapped peer. */
	if (to_peer(sk, &a))
		goto ignore;
	/*
	 * Ruled out by the executable (of a process image this CPU knows,
	 * else from the cache), by the destination, or the repeat of a
	 * match: no memo needed.
	 */
	if (c2w_detect_early(a.family, a.transport, a.daddr, a.dport,
			     &a.ticket))
		return 0;
	/*
	 * No ticket for a send (c2w_detect()'s repeat_holds() asks
	 * c2w_exe_same() again): the memo's stamp is read below, and a
	 * verdict it keeps must not rest on a check made before it.
	 */
	a.ticket = 0;
	/*
	 * Before detect reads the rules: a generation seen here was bumped
	 * after its ruleset was published, so a verdict is never stored
	 * under a newer generation than the rules it was made with.
	 */
	gen = smp_load_acquire(&c2w_rules_gen);
	slot = memo_find(&a, sk, gen, &key, &hit);
	if (hit) {
		c2w_count(C2W_ST_SEND_MEMO, 1);
		return 0;
	}
	if (c2w_detect(&a) && slot)
		memcpy(slot, &key, sizeof(key));	/* padding included */
	return 0;

ignore:
	c2w_count(C2W_ST_IGNORED, 1);
	return 0;
}

static int udp4_send_pre(struct kprobe *p, struct pt_regs *regs)
{
	return send_pre(regs, C2W_SEND_UDP4);
}

static int udp6_send_pre(struct kprobe *p, struct pt_regs *regs)
{
	return send_pre(regs, C2W_SEND_UDP6);
}

static struct kprobe kp[C2W_SEND_MAX] = {
	[C2W_SEND_UDP4] = {
		.symbol_name = "udp_sendmsg", .pre_handler = udp4_send_pre,
	},
	[C2W_SEND_UDP6] = {
		.symbol_name = "udpv6_sendmsg", .pre_handler = udp6_send_pre,
	},
};

static struct kprobe *kp_ptrs[C2W_SEND_MAX];

/**
 * c2w_sendhook_missed() - send hook hits the kprobes core could not handle
 *
 * Return: the sum of the kprobes' nmissed counters.
 */
u64 c2w_sendhook_missed(void)
{
	u64 n = 0;
	int i;

	for (i = 0; i < C2W_SEND_MAX; i++)
		n += READ_ONCE(kp[i].nmissed);
	return n;
}

/**
 * c2w_sendhook_init() - the memo, then the kprobes
 *
 * Return: 0, -ENOMEM, or the error of register_kprobes().
 */
int c2w_sendhook_init(void)
{
	int i, ret;

	memo = alloc_percpu(struct memo);
	if (!memo)
		return -ENOMEM;
	for (i = 0; i < C2W_SEND_MAX; i++)
		kp_ptrs[i] = &kp[i];
	ret = register_kprobes(kp_ptrs, C2W_SEND_MAX);
	if (ret) {
		pr_err("registering the datagram send kprobes failed: %d\n",
		       ret);
		free_percpu(memo);
		memo = NULL;
	}
	return ret;
}

/**
 * c2w_sendhook_exit() - unregister the kprobes, free the memo
 *
 * After unregister_kprobes() no handler runs any more.
 */
void c2w_sendhook_exit(void)
{
	unregister_kprobes(kp_ptrs, C2W_SEND_MAX);
	free_percpu(memo);
	memo = NULL;
}
