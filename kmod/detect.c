// SPDX-License-Identifier: GPL-2.0
/*
 * Detection: an outbound attempt handed over by a probe is evaluated against
 * the RCU-published ruleset; matches of new-terms rules go through the seen
 * set; what is new becomes an alert record in the stream.
 *
 * Runs in kprobe context: nothing here sleeps or allocates beyond the seen
 * set's GFP_ATOMIC insert. The large buffers (paths, the alert record) are
 * per-CPU scratch, private to this file: kprobe and kretprobe handlers run
 * with preemption disabled and do not nest on a CPU (a probe hit inside a
 * handler is counted missed, not run).
 *
 * The executable (exe.c) is resolved lazily, only when a clause needs it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <net/ipv6.h>

#include "c2watch.h"
#include "compat.h"

/* compat.h: whether struct mnt_namespace's number can be read. */
int c2w_mntns_inum_state;

struct scratch;
struct repeat;
struct exe_kept;

/*
 * The rules a match kept per CPU may have (struct repeat): a program that
 * several rules match at once is judged at the probe as one that a single
 * rule matches, each rule's key in turn. More than this many at once:
 * evaluated in full.
 */
#define REPEAT_RULES 8

/**
 * struct conn - one attempt being evaluated
 * @ev: the rule core's view; string values point into the scratch area
 * @a: what the probe saw
 * @ar: the ruleset being evaluated
 * @scratch: this CPU's scratch area (holds this struct)
 * @exe: the executable, once resolved (see resolve_exe())
 * @aflags: %C2W_AF_* gathered so far
 * @comm: task comm
 * @pid: thread id
 * @tgid: process id
 * @ppid: parent process id
 * @uid: real uid
 * @euid: effective uid
 * @gid: real gid
 * @cgroup_id: cgroup v2 id
 * @mntns_ino: mount namespace inode
 * @mntns_init: the task is in the initial mount namespace
 * @ns_done: @mntns_ino and @mntns_init are filled in
 * @id_done: the identity (fill_identity()) is filled in
 * @exe_due: @exe has something new for the cache (its memo, its seen
 *	hint): c2w_exe_remember() once the evaluation is done
 * @kept: where the key of each rule that matched sits in the seen set,
 *	in index order (a NULL entry for one not recorded, or not a
 *	new-terms rule), for remember_repeat()
 * @rep: the last match this CPU keeps for the current process image
 *	(repeat_holds()): the executable from its copy (resolve_exe())
 * @verdict: else this CPU's verdict on the image (exe_kept_memo()): the
 *	executable from its copy
 * @same: c2w_exe_same() of @rep's key, or @verdict's, held in this
 *	handler (or @verdict was looked up again in it: exe_kept_memo())
 * @from_copy: @exe is from @rep's copy
 * @by_memo: the rules were walked with @walk_memo, what they said of the
 *	executable before this evaluation (@rep's, or @verdict's)
 * @walk_memo: see @by_memo
 * @time_ns: CLOCK_REALTIME of the attempt
 */
struct conn {
	struct c2w_event ev;
	const struct c2w_attempt *a;
	const struct c2w_active_rules *ar;
	struct scratch *scratch;
	struct c2w_exe exe;
	u32 aflags;
	char comm[TASK_COMM_LEN];
	u32 pid;
	u32 tgid;
	u32 ppid;
	u32 uid;
	u32 euid;
	u32 gid;
	u64 cgroup_id;
	u32 mntns_ino;
	bool mntns_init;
	bool ns_done;
	bool id_done;
	bool exe_due;
	struct c2w_seen_hint kept[C2W_MAX_RULES];
	struct repeat *rep;
	struct exe_kept *verdict;
	bool same;
	bool from_copy;
	bool by_memo;
	u64 walk_memo;
	u64 time_ns;
};

/**
 * struct scratch - per-CPU working memory of the probes
 * @conn: the attempt being evaluated
 * @exe_buf: room for the executable's path
 * @uid: user.id as text
 * @key: a new-terms key made of several fields
 * @alert: the alert record being built
 * @alert_buf: room for @alert and its two paths
 */
struct scratch {
	struct conn conn;
	struct c2w_exe_buf exe_buf;
	char uid[12];
	char key[C2W_MAX_KEY];
	union {
		struct c2w_alert alert;
		u8 alert_buf[sizeof(struct c2w_alert) + 2 * C2W_PATH_MAX];
	};
};

static struct scratch **scratch;

/**
 * struct exe_kept - per CPU and process image, the verdict an early
 *	decision found in the cache (its mm: the note %C2W_NOTE_EXE plus its
 *	slot, c2w_execache_note())
 * @excluded: the verdict: every rule excluded it (then good only while
 *	c2w_exe_same() of @key holds), or not (a suspicious program: its
 *	next attempts skip the lookup and go on to the repeat, the walk, the
 *	judgement by this verdict and the evaluation in full, each of which
 *	checks c2w_exe_same() of @key itself before it uses the verdict)
 * @key: what its path was made of
 * @exe: the cache's entry (c2w_exe_peek()): the ruleset generation of the
 *	verdict (@exe.memo_gen), what its rules said of the executable
 *	(@exe.memo, c2w_rs_proc_eval()) and the path, for its evaluations
 *	in full (exe_kept_memo(), resolve_exe())
 */
struct exe_kept {
	bool excluded;
	struct c2w_exe_key key;
	struct c2w_exe_copy exe;
};

/**
 * struct exe_verdicts - per CPU, the verdicts on up to %C2W_NOTE_SLOTS
 *	process images: programs taking turns on a CPU (a browser and a
 *	package manager, two beacons) each keep theirs
 * @clock: counts what is kept and found, for @used
 * @used: per slot, the clock when it was last kept or found
 * @slot: one per image, which the note %C2W_NOTE_EXE plus its index names
 */
struct exe_verdicts {
	u64 clock;
	u64 used[C2W_NOTE_SLOTS];
	struct exe_kept slot[C2W_NOTE_SLOTS];
};

/* Allocated, as struct repeats: each slot holds a path. */
static struct exe_verdicts __percpu *verdicts;

/**
 * struct other_keys - the keys of the match a &struct repeat kept before
 *	its last one, when those were other keys (a beacon taking turns
 *	between two servers, under a key made of the destination): its next
 *	attempt to the first server finds them here, where they sit in the
 *	seen set, rather than making and looking them up (key_found())
 * @valid: of the same process image and rules as the repeat's match
 * @family: 4 or 6
 * @uid: user.id
 * @daddr: the destination, 4 or 16 bytes
 * @seen: as &struct repeat's
 */
struct other_keys {
	bool valid;
	u8 family;
	u32 uid;
	u8 daddr[16];
	struct c2w_seen_hint seen[REPEAT_RULES];
};

/**
 * struct repeat - per CPU and process image, the last match evaluated in
 *	full (or judged from one at the probe with another key:
 *	keep_attempt()) that c2w_detect_early() can repeat, and by which it
 *	and c2w_detect() judge that process image's other attempts (its mm:
 *	the note %C2W_NOTE_REPEAT plus its slot, c2w_execache_note())
 * @key: what its executable's path was made of (a cache hit)
 * @hits: the matching rules (bits of the ruleset's indexes), one to
 *	%REPEAT_RULES of them
 * @n: how many
 * @seen: in index order, each matching rule, its ruleset generation, and
 *	where its key sits in the seen set
 * @nt: what those keys are made of together (%C2W_NT_*): same_key()
 * @memo: c2w_rs_proc_eval() of the executable under that generation
 * @uid: user.id
 * @dport: the destination port
 * @family: 4 or 6
 * @transport: %C2W_TRANSPORT_*
 * @daddr: the destination, 4 or 16 bytes
 * @exe: its executable, for the image's evaluations in full on this CPU
 * @other: the keys of the match before, when they were other keys
 * @ticket: names this match among every CPU's (its CPU's clock when it was
 *	kept, times the number of CPUs, plus its CPU's number plus one): what
 *	c2w_detect_early() hands to the same attempt's c2w_detect() when
 *	this match's image was the attempt's at the entry (repeat_holds())
 */
struct repeat {
	u64 ticket;
	struct c2w_exe_key key;
	u64 hits;
	u32 n;
	struct c2w_seen_hint seen[REPEAT_RULES];
	u32 nt;
	u64 memo;
	u32 uid;
	u16 dport;
	u8 family;
	u8 transport;
	u8 daddr[16];
	struct c2w_exe_copy exe;
	struct other_keys other;
};

/**
 * struct repeats - per CPU, the last matches of up to %C2W_NOTE_SLOTS
 *	process images: images that take turns on a CPU (two beacons, the
 *	workers of one tool) each keep theirs
 * @clock: counts what is kept and found, for the tickets and @used
 * @used: per slot, the clock when it was last kept or found
 * @slot: one per image, which the note %C2W_NOTE_REPEAT plus its index
 *	names
 */
struct repeats {
	u64 clock;
	u64 used[C2W_NOTE_SLOTS];
	struct repeat slot[C2W_NOTE_SLOTS];
};

/* Allocated: past what the modules' static per-CPU area has room for. */
static struct repeats __percpu *repeats;

/* The mount namespace: needed to resolve the path, and for alerts. */
static void fill_ns(struct conn *c)
{
	struct nsproxy *ns = current->nsproxy;

	if (c->ns_done)
		return;
	c->ns_done = true;
	c->mntns_ino = 0;
	c->mntns_init = c2w_init_mntns(ns);
	if (!c->mntns_init)
		c->aflags |= C2W_AF_MNTNS;
	if (ns && ns->mnt_ns)
		c->mntns_ino = c2w_mntns_inum(ns->mnt_ns);
}

/*
 * The executable from the copy kept with the image's last match on this
 * CPU (@c->rep), else with this CPU's verdict on it (@c->verdict), unless
 * where it says its executable's key sits in the seen set no longer holds:
 * the cache's may be newer (another CPU's evaluation found the key again).
 * One with no hint is taken as it is: at worst a key made of the
 * executable alone is looked up in full.
 */
static bool exe_from_copy(struct conn *c)
{
	const struct c2w_exe_copy *cp;
	const struct c2w_exe_key *key;

	if (c->rep) {
		cp = &c->rep->exe;
		key = &c->rep->key;
	} else if (c->verdict) {
		cp = &c->verdict->exe;
		key = &c->verdict->key;
	} else {
		return false;
	}
	if ((cp->seen.entry && !c2w_seen_hint_holds(&cp->seen)) ||
	    (!c->same && !c2w_exe_same(key)) ||
	    !c2w_exe_from_copy(&c->exe, cp, key))
		return false;
	c->same = true;
	c->from_copy = !!c->rep;
	return true;
}

/* @c->exe, resolved, into the event, with what the rules say of it. */
static void exe_to_event(struct conn *c)
{
	struct c2w_event *ev = &c->ev;
	struct c2w_exe *exe = &c->exe;

	ev->lazy = 0;
	c->aflags |= exe->flags;
	c2w_event_add_str(ev, C2W_FIELD_PROCESS_EXECUTABLE, exe->path,
			  exe->len);
	c2w_event_add_str(ev, C2W_FIELD_PROCESS_NAME, exe->name,
			  exe->name_len);
	if (exe->head)
		ev->head_only |= C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE);
	if (exe->flags & C2W_AF_PATH_UNRESOLVED)
		ev->head_only |= C2W_FBIT(C2W_FIELD_PROCESS_NAME);
	/*
	 * What the rules say of this executable alone is kept with it: the
	 * next attempts of the process image match no glob (rules.c).
	 */
	if (exe->cacheable && c->ar) {
		if (!exe->hit || exe->memo_gen != c->ar->gen) {
			exe->memo = c2w_rs_proc_eval(c->ar->rs, ev);
			exe->memo_gen = c->ar->gen;
			c->exe_due = true;
		}
		ev->memo = exe->memo;
		ev->memo_set = true;
	}
}

/**
 * resolve_exe() - the rule core's lazy resolver for process.executable and
 *	process.name
 * @ev: the event, embedded in a &struct conn
 *
 * From the copy kept with the image's last match on this CPU, or with this
 * CPU's verdict on it (exe_from_copy()), else resolved (the mount
 * namespace looked at for that; else for an alert: fill_identity()).
 *
 * Context: kprobe context, current is the connecting task.
 * Return: 0, or -ENOENT when the path could not be had (still matched, as
 * an empty head, so that the task cannot escape detection).
 */
static int resolve_exe(struct c2w_event *ev)
{
	struct conn *c = ev->ctx;
	int ret = 0;

	if (exe_from_copy(c)) {
		c2w_count(C2W_ST_EXE_CACHE_HIT, 1);
	} else {
		fill_ns(c);
		ret = c2w_exe_resolve(&c->exe, &c->scratch->exe_buf,
				      c->mntns_init);
	}
	exe_to_event(c);
	return ret;
}

/* ---- the event ---- */

/*
 * Constants: inlined, strlen() of a literal is folded at compile time (a
 * sizeof here once measured a conditional's pointer: 7 bytes of "tcp").
 */
static __always_inline void add_const(struct c2w_event *ev, int field,
				      const char *s)
{
	c2w_event_add_str(ev, field, s, strlen(s));
}

/*
 * The fields an attempt's family and transport decide (C2W_CONST_FIELDS),
 * for the probes and for the ruleset's constant memo alike.
 */
static void fill_const(struct c2w_event *ev, int family, int transport)
{
	add_const(ev, C2W_FIELD_EVENT_ACTION, "connection_attempted");
	add_const(ev, C2W_FIELD_EVENT_CATEGORY, "network");
	add_const(ev, C2W_FIELD_EVENT_TYPE, "connection");
	add_const(ev, C2W_FIELD_EVENT_TYPE, "start");
	add_const(ev, C2W_FIELD_HOST_OS_TYPE, "linux");
	add_const(ev, C2W_FIELD_NETWORK_TRANSPORT,
		  transport == C2W_TRANSPORT_TCP ? "tcp" : "udp");
	if (family == 4) {
		add_const(ev, C2W_FIELD_NETWORK_TYPE, "ipv4");
		add_const(ev, C2W_FIELD_EVENT_ACTION,
			  "ipv4_connection_attempt_event");
	} else {
		add_const(ev, C2W_FIELD_NETWORK_TYPE, "ipv6");
		add_const(ev, C2W_FIELD_EVENT_ACTION,
			  "ipv6_connection_attempt_event");
	}
}

/* Which of c2w_active_rules.cmemo an attempt's constants are. */
static u32 const_variant(int family, int transport)
{
	return (family == 6) * 2 + (transport == C2W_TRANSPORT_UDP);
}

/* Decimal without vsnprintf: this runs for every connection. */
static u32 u32_to_dec(u32 v, char *buf)
{
	char tmp[10];
	u32 n = 0, i;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

/*
 * The rest of the identity, taken only for an alert but still in the
 * probe, so it cannot race with the task's exit or exec. A known
 * executable's repeated connects never pay for it.
 */
static void fill_identity(struct conn *c)
{
	const struct cred *cred = current_cred();
	struct c2w_exe *exe = &c->exe;
	u32 n;

	if (c->id_done)
		return;
	c->id_done = true;
	fill_ns(c);
	get_task_comm(c->comm, current);
	/* comm is the basename cut to TASK_COMM_LEN - 1, unless renamed. */
	n = min_t(u32, exe->name_len, TASK_COMM_LEN - 1);
	if (exe->path && !(exe->flags & C2W_AF_PATH_UNRESOLVED) &&
	    (strncmp(c->comm, exe->name, n) || c->comm[n]))
		c->aflags |= C2W_AF_COMM_DIFFERS;
	c2w_exe_for_alert(exe, &c->scratch->exe_buf);
	c->aflags |= exe->flags & C2W_AF_EXE_DELETED;
	c->pid = task_pid_nr(current);
	c->tgid = task_tgid_nr(current);
	rcu_read_lock();
	c->ppid = task_tgid_nr(rcu_dereference(current->real_parent));
	c->cgroup_id = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
	c->euid = from_kuid(&init_user_ns, cred->euid);
	c->gid = from_kgid(&init_user_ns, cred->gid);
	c->time_ns = ktime_get_real_ns();
}

/*
 * The task's real uid as user.id: from_kuid(&init_user_ns, ...) without
 * the walk of the map, which for the initial namespace is the identity
 * (every kuid is its own uid there, the invalid one too).
 */
static u32 uid_now(void)
{
	return __kuid_val(current_cred()->uid);
}

/*
 * What every evaluation needs of the task: the fields a rule can test
 * without the path (user.id), and the lazy resolver for the path; the rest
 * is taken on a match.
 */
static void fill_task(struct conn *c)
{
	struct c2w_event *ev = &c->ev;

	c->uid = uid_now();
	c2w_event_add_str(ev, C2W_FIELD_USER_ID, c->scratch->uid,
			  u32_to_dec(c->uid, c->scratch->uid));
	ev->lazy = C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE) |
		   C2W_FBIT(C2W_FIELD_PROCESS_NAME);
	ev->resolve = resolve_exe;
}

/*
 * Addresses and ports (IPv4-mapped is folded by the core); the constants
 * are c2w_detect()'s, when a clause reads them.
 */
static void fill_net(struct conn *c)
{
	const struct c2w_attempt *a = c->a;
	struct c2w_event *ev = &c->ev;

	if (a->saddr)
		c2w_event_set_ip(ev, C2W_FIELD_SOURCE_IP, a->family, a->saddr);
	c2w_event_set_ip(ev, C2W_FIELD_DESTINATION_IP, a->family, a->daddr);
	if (a->sport) {
		ev->sport = a->sport;
		ev->present |= C2W_FBIT(C2W_FIELD_SOURCE_PORT);
	}
	ev->dport = a->dport;
	ev->present |= C2W_FBIT(C2W_FIELD_DESTINATION_PORT);
}

/* ---- detection ---- */

static int emit_alert(struct conn *c, const struct c2w_rule_info *rule,
		      u32 extra_flags)
{
	struct c2w_alert *a = &c->scratch->alert;
	/* Through the buffer the union gives the path room in (FORTIFY). */
	u8 *a_exe = c->scratch->alert_buf + sizeof(*a);
	u32 exe_len = min_t(u32, c->exe.len, C2W_PATH_MAX - 1);
	u32 ns_len, size;

	fill_identity(c);
	ns_len = c->exe.ns_path ? min_t(u32, c->exe.ns_len,
					C2W_PATH_MAX - 1) : 0;
	size = ALIGN(sizeof(*a) + exe_len + 1 + (ns_len ? ns_len + 1 : 0),
		     C2W_REC_ALIGN);
	memset(a, 0, size);
	a->hdr.size = size;
	a->hdr.type = C2W_REC_ALERT;
	a->hdr.time_ns = c->time_ns;
	a->pid = c->pid;
	a->tgid = c->tgid;
	a->ppid = c->ppid;
	a->uid = c->uid;
	a->euid = c->euid;
	a->gid = c->gid;
	a->netns_ino = c->a->netns_ino;
	a->mntns_ino = c->mntns_ino;
	a->cgroup_id = c->cgroup_id;
	a->flags = c->aflags | extra_flags;
	if (exe_len < c->exe.len)
		a->flags |= C2W_AF_PATH_TRUNCATED;
	a->connect_ret = c->a->ret;
	a->family = c->ev.dst_family;
	a->transport = c->a->transport;
	a->severity = rule->severity;
	a->risk_score = rule->risk_score;
	a->sport = c->ev.sport;
	a->dport = c->ev.dport;
	if (c->ev.present & C2W_FBIT(C2W_FIELD_SOURCE_IP))
		memcpy(a->saddr, c->ev.src, sizeof(a->saddr));
	memcpy(a->daddr, c->ev.dst, sizeof(a->daddr));
	memcpy(a->comm, c->comm, sizeof(a->comm));
	memcpy(a->rule_id, rule->id, min_t(u32, rule->id_len,
					   sizeof(a->rule_id) - 1));
	a->exe_off = sizeof(*a);
	a->exe_len = exe_len;
	memcpy(a_exe, c->exe.path, exe_len);
	if (ns_len) {
		a->ns_exe_off = sizeof(*a) + exe_len + 1;
		a->ns_exe_len = ns_len;
		memcpy(a_exe + exe_len + 1, c->exe.ns_path, ns_len);
	}
	return c2w_stream_put(&a->hdr);
}

/*
 * The new-terms key of @rule. An executable placed nowhere in the initial
 * mount namespace has an empty path: its own namespace's view is added to
 * the key, so that one such alert does not make every other one known.
 */
static const char *nt_key(struct conn *c, const struct c2w_rule_info *rule,
			  u32 *klen)
{
	char *buf = c->scratch->key;
	const char *key;
	u32 n, room;

	key = c2w_nt_key(rule, &c->ev, buf, sizeof(c->scratch->key), klen);
	if (!(c->exe.flags & C2W_AF_PATH_UNRESOLVED) || !c->exe.ns_path)
		return key;
	if (key != buf)
		memmove(buf, key, *klen);
	n = *klen;
	if (n < sizeof(c->scratch->key))
		buf[n++] = '\0';
	room = sizeof(c->scratch->key) - n;
	memcpy(buf + n, c->exe.ns_path, min(room, c->exe.ns_len));
	*klen = n + min(room, c->exe.ns_len);
	return buf;
}

/*
 * What the rules @ar keep per family and transport: the constant memo
 * (and the constants' values, when a clause still reads them).
 */
static void add_rules(struct conn *c, const struct c2w_active_rules *ar)
{
	int family = c->ev.dst_family, transport = c->a->transport;

	c->ar = ar;
	c->ev.cmemo = ar->cmemo[const_variant(family, transport)];
	c->ev.cmemo_set = true;
	/* Every clause on them has its memo bit: seldom needed. */
	if (ar->const_fields)
		fill_const(&c->ev, family, transport);
}

/* Prepare this CPU's scratch conn for @a. */
static struct conn *conn_start(struct scratch *sc, const struct c2w_attempt *a)
{
	struct conn *c = &sc->conn;

	/*
	 * Every evaluation, excluded ones too, so only what is read before
	 * it is written: not the event's value slots (a kilobyte), read only
	 * below the counts in nv[]; not the executable (c2w_exe_resolve()
	 * fills it whole before anything reads it) or the identity
	 * (fill_ns(), fill_identity()).
	 */
	memset(&c->ev, 0, offsetof(struct c2w_event, sv));
	c->ev.resolve = NULL;
	c->aflags = 0;
	c->ns_done = false;
	c->id_done = false;
	c->exe_due = false;
	c->rep = NULL;
	c->verdict = NULL;
	c->same = false;
	c->from_copy = false;
	c->by_memo = false;
	c->a = a;
	c->scratch = sc;
	c->ev.ctx = c;
	fill_task(c);
	fill_net(c);
	return c;
}

/*
 * The seen set's verdict on the key of rule @i. An executable from the cache
 * keeps where its key sits, for one rule whose key is made of the
 * executable alone: its next matches refresh that entry without hashing
 * and looking up the key, until an entry is removed (forget, clear,
 * expiry), the rules change or the executable is resolved again (a
 * rename, a mount change: a cache miss starts without a hint). Where
 * any key sits is kept for this evaluation (@found): remember_repeat()
 * may keep it for the attempts with the same key.
 */
static enum c2w_seen_verdict seen_check(struct conn *c, u32 i,
					const struct c2w_rule_info *rule,
					u32 window, u32 events,
					struct c2w_seen_hint *found)
{
	struct c2w_seen_hint *h = &c->exe.seen;
	bool exe_key = c->exe.cacheable &&
		       !(rule->new_terms & ~(C2W_NT_EXECUTABLE | C2W_NT_NAME));
	enum c2w_seen_verdict v;
	const char *key;
	u32 klen;

	if (exe_key && h->rule == i && h->rules_gen == c->ar->gen &&
	    c2w_seen_check_hint(h, window, events, &v)) {
		*found = *h;
		return v;
	}
	key = nt_key(c, rule, &klen);
	v = c2w_seen_check(rule, key, klen, window, events, c->uid, found);
	found->rule = i;
	found->rules_gen = c->ar->gen;
	/*
	 * One hint per executable: a rule's, kept until it stops holding;
	 * then the next rule looked up (in index order) takes it.
	 */
	if (exe_key && found->entry &&
	    (h->rule == i || h->rules_gen != c->ar->gen ||
	     !c2w_seen_hint_holds(h))) {
		*h = *found;
		c->exe_due = true;
	}
	return v;
}

/*
 * 0.0.0.0 and :: (and ::ffff:0.0.0.0): the kernel connects them to
 * loopback. Nothing is decided for them at the probe: c2w_detect() reports
 * where the attempt went.
 */
static bool dst_any(int family, const void *daddr)
{
	if (family == 6 && ipv6_addr_v4mapped(daddr))
		return !((const struct in6_addr *)daddr)->s6_addr32[3];
	return family == 4 ? !*(const __be32 *)daddr :
			     ipv6_addr_any((const struct in6_addr *)daddr);
}

/* What the keys of the rules @hits under @ar are made of together. */
static u32 nt_of(const struct c2w_active_rules *ar, u64 hits)
{
	u32 nt = 0;

	for (; hits; hits &= hits - 1)
		nt |= c2w_rs_rule(ar->rs, __ffs64(hits))->new_terms;
	return nt;
}

/*
 * An attempt of a process image by @uid to @daddr has the same key made
 * of @nt as one of that image by @kuid to @kdaddr: what c2w_nt_key()
 * makes it of besides the executable (its path and name) is the same.
 * Anything it does not know: not the same.
 */
static bool same_key_as(u32 nt, int family, const void *daddr, u32 uid,
			int kfamily, const u8 *kdaddr, u32 kuid)
{
	if (nt & ~(C2W_NT_EXECUTABLE | C2W_NT_NAME | C2W_NT_USER_ID |
		   C2W_NT_DESTINATION_IP))
		return false;
	if ((nt & C2W_NT_USER_ID) && uid != kuid)
		return false;
	return !(nt & C2W_NT_DESTINATION_IP) ||
	       (family == kfamily &&
		!memcmp(daddr, kdaddr, family == 4 ? 4 : 16));
}

/* The same key as @r's match's (same_key_as()). */
static bool same_key_of(const struct repeat *r, u32 nt, int family,
			const void *daddr, u32 uid)
{
	return same_key_as(nt, family, daddr, uid, r->family, r->daddr,
			   r->uid);
}

/*
 * Where the key made of @nt of an attempt of @r's process image by @uid
 * to @daddr sits, when it is one of @r's other keys (struct other_keys),
 * for @r's @k-th rule.
 */
static const struct c2w_seen_hint *other_key(const struct repeat *r, u32 k,
					     u32 nt, int family,
					     const void *daddr, u32 uid)
{
	const struct other_keys *o = &r->other;

	if (!o->valid ||
	    !same_key_as(nt, family, daddr, uid, o->family, o->daddr, o->uid))
		return NULL;
	return &o->seen[k];
}

/* The same keys as @r's match, for each of its rules (same_key_of()). */
static bool same_key(const struct repeat *r, int family, const void *daddr,
		     u32 uid)
{
	return same_key_of(r, r->nt, family, daddr, uid);
}

/*
 * @r is now @c's attempt's match, of @r's process image and rules, their
 * keys where @h says (@r->n of them): a new ticket, and the attempt's
 * fields. @same_rules: @r held a match of the same image and rules
 * before, whose keys, when they are not the attempt's, are kept as the
 * other keys (struct other_keys); else those are dropped.
 */
static void keep_attempt(struct repeat *r, const struct conn *c,
			 const struct c2w_seen_hint *h, bool same_rules)
{
	struct repeats *rs = this_cpu_ptr(repeats);
	const struct c2w_attempt *a = c->a;
	struct other_keys *o = &r->other;

	if (!same_rules) {
		o->valid = false;
	} else if (!same_key(r, a->family, a->daddr, c->uid)) {
		o->valid = true;
		o->family = r->family;
		o->uid = r->uid;
		memcpy(o->daddr, r->daddr, sizeof(o->daddr));
		memcpy(o->seen, r->seen, r->n * sizeof(*h));
	}
	rs->used[r - rs->slot] = ++rs->clock;
	r->ticket = rs->clock * nr_cpu_ids + smp_processor_id() + 1;
	memcpy(r->seen, h, r->n * sizeof(*h));
	r->uid = c->uid;
	r->dport = a->dport;
	r->family = a->family;
	r->transport = a->transport;
	if (a->family == 4) {
		memset(r->daddr, 0, sizeof(r->daddr));
		memcpy(r->daddr, a->daddr, 4);
	} else {
		memcpy(r->daddr, a->daddr, 16);
	}
}

/* The slot of the notes from @base (C2W_NOTE_*) that notes @mm, or -1. */
static int slot_of(int base, const struct mm_struct *mm)
{
	int s;

	for (s = 0; s < C2W_NOTE_SLOTS; s++)
		if (c2w_execache_noted(base + s, mm))
			return s;
	return -1;
}

/*
 * The slot of the notes from @base for the current process image: its
 * own, else one no image holds (its note cleared with its cache entry),
 * else the one least recently used (@used: per slot, a clock).
 */
static int slot_for(int base, const u64 *used)
{
	int s = slot_of(base, current->mm), v = 0;

	if (s >= 0)
		return s;
	for (s = 0; s < C2W_NOTE_SLOTS; s++) {
		if (!this_cpu_read(c2w_mm_notes.mm[base + s]))
			return s;
		if (used[s] < used[v])
			v = s;
	}
	return v;
}

/*
 * After an evaluation in full that matched: keep it for its repeats
 * (c2w_detect_early()) and the image's other attempts (known_at_probe(),
 * known_at_return()) when one can be judged without evaluating it. That
 * is one to %REPEAT_RULES matching rules, each a new-terms rule whose
 * key's seen entry this evaluation found or made (@c->kept); an
 * executable from the cache (its mm pinned); and a destination the probes
 * see at entry (a connect to 0.0.0.0 or :: is reported where it went).
 * Under rules that read the source, only the return judges from it (the
 * entry does not know the source).
 */
static void remember_repeat(const struct conn *c, u64 hits)
{
	const struct c2w_attempt *a = c->a;
	u32 n = hweight64(hits), k;
	struct repeats *rs;
	struct repeat *r;
	bool same;

	/*
	 * A hit, cacheable: resolve_exe() set the memo it keeps. From the
	 * cache: found in this section, pinned, noted here. From the copy
	 * kept with the image's last match on this CPU (resolve_exe()):
	 * repeat_holds() found this mm noted in this section, and
	 * c2w_exe_same() held in it, which keeps it pinned
	 * (c2w_execache_note()); noted already. From the copy kept with this
	 * CPU's verdict on the image: exe_kept_memo() or verdict_known()
	 * found it noted in this section, c2w_exe_same() holding, or the
	 * cache entry it was copied from found in this section; noted here.
	 */
	if (!c->exe.hit || n > REPEAT_RULES || dst_any(a->family, a->daddr) ||
	    !current->mm)
		return;
	for (k = 0; k < n; k++)
		if (!c->kept[k].entry)
			return;
	/*
	 * Walked with an earlier memo (the last match's, this CPU's verdict),
	 * the executable then resolved anew (its path changed during the
	 * attempt, or since its entry): @hits may not be what the rules say
	 * of it now; not kept.
	 */
	if (c->by_memo && !c->from_copy && c->exe.memo != c->walk_memo)
		return;
	/* The slot repeat_holds() found, else the image's own or a free one. */
	rs = this_cpu_ptr(repeats);
	r = c->rep ?: &rs->slot[slot_for(C2W_NOTE_REPEAT, rs->used)];
	if (c->from_copy) {
		/*
		 * @r's own copy (c->rep is @r): the same image, path and memo;
		 * only where its executable's key sits may have changed.
		 */
		r->exe.seen = c->exe.seen;
	} else {
		c2w_execache_note(C2W_NOTE_REPEAT + (r - rs->slot), current->mm);
		r->key = c->exe.key;
		r->memo = c->exe.memo;
		c2w_exe_keep(&r->exe, &c->exe);
	}
	same = c->from_copy && hits == r->hits;
	if (!same)
		r->nt = nt_of(c->ar, hits);
	r->hits = hits;
	r->n = n;
	keep_attempt(r, c, c->kept, same);
}

/* How an evaluation ended, and its time when it was the timed one. */
static void count_evaluated(enum c2w_stat outcome, bool timed, u64 t0)
{
	c2w_count(C2W_ST_EVALUATED, 1);
	c2w_count(outcome, 1);
	if (timed) {
		c2w_count(C2W_ST_PROBE_NS, local_clock() - t0);
		c2w_count(C2W_ST_PROBE_SAMPLES, 1);
	}
}

/*
 * An attempt decided at the probe, counted as @decision (which of those
 * decisions) and as an evaluation that ended as @outcome; one count of the
 * sampling timer per attempt, as c2w_detect().
 */
static void count_at_probe(enum c2w_stat decision, enum c2w_stat outcome,
			   bool timed, u64 t0)
{
	c2w_probe_timed();
	c2w_count(decision, 1);
	count_evaluated(outcome, timed, t0);
}

/*
 * No rule can match an attempt to @daddr (c2w_rs_dst_excludes(); the seed
 * rule's private and reserved networks).
 */
static bool dst_excludes(const struct c2w_active_rules *ar, int family,
			 const void *daddr)
{
	return !dst_any(family, daddr) &&
	       c2w_rs_dst_excludes(ar->rs, family, daddr);
}

/* This CPU's verdict on the current process image, if it keeps one. */
static struct exe_kept *exe_kept_of(struct exe_verdicts *v)
{
	int s = slot_of(C2W_NOTE_EXE, current->mm);

	if (s < 0)
		return NULL;
	v->used[s] = ++v->clock;
	return &v->slot[s];
}

/*
 * This CPU's verdict on the current process image (struct exe_kept), when
 * it has one under @ar: excluded, while c2w_exe_same() holds. A verdict
 * that does not exclude (a suspicious program) only spares the lookup
 * (@known: out: that one, else NULL): whatever judges the attempt by it
 * checks c2w_exe_same() first (verdict_known(), exe_kept_memo(), which
 * refreshes it when that fails).
 */
static bool exe_kept_excludes(const struct c2w_active_rules *ar,
			      struct exe_kept **known)
{
	struct exe_kept *kept;

	*known = NULL;
	if (!ar->memo_decides)
		return false;
	kept = exe_kept_of(this_cpu_ptr(verdicts));
	if (!kept || kept->exe.memo_gen != ar->gen)
		return false;
	if (!kept->excluded)
		*known = kept;
	return kept->excluded && c2w_exe_same(&kept->key);
}

/*
 * The current process image's verdict from the executable cache, kept for
 * this CPU's next attempts (exe_kept_excludes()) in the image's slot, else
 * a free one or the least recently used, with its path for their
 * evaluations in full (exe_kept_memo()); @found: out: that slot, filled
 * in this section, else NULL. The cache's entry is copied
 * straight into the slot: on a hit the slot is the image's (or, under
 * another ruleset than @ar, no image's), else it is left as it was.
 */
static bool exe_lookup_excludes(const struct c2w_active_rules *ar,
				struct exe_kept **found)
{
	struct exe_verdicts *v = this_cpu_ptr(verdicts);
	struct c2w_exe_key key;
	struct exe_kept *kept;
	int s;

	*found = NULL;
	if (!ar->memo_decides)
		return false;
	s = slot_for(C2W_NOTE_EXE, v->used);
	kept = &v->slot[s];
	if (!c2w_exe_peek(c2w_init_mntns(current->nsproxy), &kept->exe, &key))
		return false;
	/*
	 * Under another ruleset (a reload under way): no verdict, and the
	 * slot, whose copy the peek took, no image's.
	 */
	if (kept->exe.memo_gen != ar->gen) {
		c2w_execache_note(C2W_NOTE_EXE + s, NULL);
		return false;
	}
	c2w_execache_note(C2W_NOTE_EXE + s, current->mm);
	v->used[s] = ++v->clock;
	kept->key = key;
	kept->excluded = c2w_rs_memo_excludes(ar->rs, kept->exe.memo);
	*found = kept;
	return kept->excluded;
}

/*
 * This CPU's verdict on the current process image (struct exe_kept, the
 * cache's entry found by an early decision, usually this attempt's
 * entry), under the rules @ar, while nothing its path is made of changed
 * (c2w_exe_same()): so that an evaluation in full of an image with no
 * match kept here walks the rules by its memo, as one from its last match
 * does, and takes the path, for a match, from its copy.
 *
 * A suspicious program's verdict that no longer holds (a rename or mount
 * change anywhere on the host since) is looked up again here, into the
 * image's slot: the entry does not look up an image it has a verdict on
 * (exe_kept_excludes()), and its slot, in use, is never the least
 * recently used, so nothing else would ever refresh it. A hit replaces
 * resolve_exe()'s lookup; when the cache's entry went stale too, the
 * lookup misses, resolve_exe() resolves the path and fills the entry, and
 * the next attempt's return refreshes the slot.
 */
static struct exe_kept *exe_kept_memo(const struct c2w_active_rules *ar)
{
	struct exe_kept *kept = exe_kept_of(this_cpu_ptr(verdicts));

	if (!kept || kept->exe.memo_gen != ar->gen)
		return NULL;
	if (c2w_exe_same(&kept->key))
		return kept;
	exe_lookup_excludes(ar, &kept);
	return kept;
}

/*
 * The last match this CPU keeps for the current process image
 * (remember_repeat(); one of struct repeats' slots), when nothing its path
 * is made of changed, under the same rules @ar.
 *
 * @ticket: the match's, when this held at the entry of the same attempt
 * (c2w_detect_early()), else 0. Then, when the image's match on this CPU
 * is still that one (the task did not move to another CPU, no other match
 * was kept in its slot meanwhile: every one kept on a CPU has its own
 * ticket) and still noted for this image, c2w_exe_same() is not
 * asked again: the attempt is judged by what the rules said of its
 * executable at its entry, as the early decisions judge theirs. The path
 * itself, when an evaluation needs it, is checked again (exe_from_copy()).
 * About 100 instructions of an evaluation in full (docs/performance.md).
 *
 * @same: out: c2w_exe_same() was asked here, and held.
 */
static struct repeat *repeat_holds(const struct c2w_active_rules *ar,
				   u64 ticket, bool *same)
{
	struct repeats *rs = this_cpu_ptr(repeats);
	int s = slot_of(C2W_NOTE_REPEAT, current->mm);
	struct repeat *r;

	if (s < 0)
		return NULL;
	r = &rs->slot[s];
	if (ar->gen != r->seen[0].rules_gen)
		return NULL;
	if (!ticket || ticket != r->ticket) {
		if (!c2w_exe_same(&r->key))
			return NULL;
		*same = true;
	}
	rs->used[s] = ++rs->clock;
	return r;
}

/* The new-terms window of @rule. */
static u32 window_of(const struct c2w_rule_info *rule)
{
	return rule->window_secs ?: READ_ONCE(c2w_default_window);
}

/* The window of the rule of @r's @k-th key. */
static u32 kept_window(const struct c2w_active_rules *ar,
		       const struct repeat *r, u32 k)
{
	return window_of(c2w_rs_rule(ar->rs, r->seen[k].rule));
}

/* Each of @r's keys known (c2w_seen_known()): nothing touched. */
static bool all_known(const struct c2w_active_rules *ar,
		      const struct repeat *r, u32 events)
{
	u32 k;

	for (k = 0; k < r->n; k++)
		if (!c2w_seen_known(&r->seen[k], kept_window(ar, r, k),
				    events))
			return false;
	return true;
}

/*
 * Each of @r's keys touched as known (c2w_seen_touch_known()); with
 * several, after all_known() said so. Should one stop being known in
 * between (removed, or its event fell due as the second turned), the
 * evaluation in full that follows touches those before it again: one
 * match counted twice in their entries' hits, nothing lost.
 */
static bool touch_all(const struct c2w_active_rules *ar,
		      const struct repeat *r, u32 events)
{
	u32 k;

	for (k = 0; k < r->n; k++)
		if (!c2w_seen_touch_known(&r->seen[k], kept_window(ar, r, k),
					  events))
			return false;
	return true;
}

/*
 * The rules @ar that match the attempt in @c, walked with @memo, what
 * they said of its executable before (nothing its path is made of changed
 * since). Without the path, so the callers ask it only when no clause
 * reads it past its memo bit (c2w_rs_memo_whole()), and never for 0.0.0.0
 * or ::.
 */
static u64 walk_by_memo(struct conn *c, const struct c2w_active_rules *ar,
			u64 memo)
{
	c->ev.lazy = 0;
	c->ev.resolve = NULL;
	c->ev.memo = memo;
	c->ev.memo_set = true;
	return c2w_rs_eval(ar->rs, &c->ev);
}

/*
 * The attempt in @c, of @r's process image, walked by what the rules said
 * of its executable in @r's evaluation (walk_by_memo()): the same rules
 * match.
 */
static bool walk_known(struct conn *c, const struct c2w_active_rules *ar,
		       const struct repeat *r)
{
	return walk_by_memo(c, ar, r->memo) == r->hits;
}

/*
 * @c's attempt, of @r's process image, walked as known (walk_known()),
 * with another new-terms key than @r's match (another destination or
 * user, under a key made of it): each rule's key that is not its key in
 * @r's match, made with the path of @r's copy (a cache hit's: never
 * unresolved, nor cut; c2w_exe_same() held for it in this section,
 * repeat_holds()), looked up in the seen set and never recorded
 * (c2w_seen_find_known()); a rule's key that is the same, known by @r's
 * hint; one that is the key of the match before (struct other_keys),
 * known by that one's hint, else looked up. Every one known, with no
 * event due, then touched: the attempt is the match of those keys, kept
 * as the image's last match on this CPU, of the same image and rules
 * (keep_attempt()), @r's keys kept as the other ones.
 */
static bool key_found(struct conn *c, const struct c2w_active_rules *ar,
		      struct repeat *r, u32 events)
{
	const struct c2w_exe_copy *cp = &r->exe;
	struct c2w_seen_hint *found = c->kept;
	u32 k, looked = 0;

	if (!cp->len)
		return false;
	c2w_event_add_str(&c->ev, C2W_FIELD_PROCESS_EXECUTABLE, cp->path,
			  cp->len);
	c2w_event_add_str(&c->ev, C2W_FIELD_PROCESS_NAME,
			  cp->path + cp->name_off, cp->name_len);
	for (k = 0; k < r->n; k++) {
		const struct c2w_rule_info *rule =
			c2w_rs_rule(ar->rs, r->seen[k].rule);
		const struct c2w_seen_hint *other;
		u32 window = window_of(rule), klen;
		const char *key;

		if (same_key_of(r, rule->new_terms, c->a->family, c->a->daddr,
				c->uid)) {
			if (!c2w_seen_known(&r->seen[k], window, events))
				return false;
			found[k] = r->seen[k];
			continue;
		}
		/* The key before, where it still sits: touched as known. */
		other = other_key(r, k, rule->new_terms, c->a->family,
				  c->a->daddr, c->uid);
		if (other && c2w_seen_known(other, window, events)) {
			found[k] = *other;
			continue;
		}
		key = c2w_nt_key(rule, &c->ev, c->scratch->key,
				 sizeof(c->scratch->key), &klen);
		if (!c2w_seen_find_known(rule, key, klen, window, events,
					 &found[k]))
			return false;
		found[k].rule = r->seen[k].rule;
		found[k].rules_gen = ar->gen;
		looked |= BIT(k);
	}
	/* Touched once all are known: see touch_all(). */
	for (k = 0; k < r->n; k++) {
		u32 window = kept_window(ar, r, k);

		if (!(looked & BIT(k) ?
		      c2w_seen_touch_found(&found[k], window, events) :
		      c2w_seen_touch_known(&found[k], window, events)))
			return false;
	}
	keep_attempt(r, c, found, true);
	return true;
}

/*
 * At the probe, attempt @a of @r's process image that is not its repeat:
 * walk_known(), without the source, which @ar does not read; with @lookup
 * (another key than @r's match), key_found() after it. The early
 * decisions that walk the rules (as c2w_detect() would, less the path;
 * with the path of @r's copy and a lookup, the dearest), so the last
 * asked. One not decided here is walked again by the evaluation in full
 * (at a connect's return): about a third of it, for a key that is new
 * (its alert) or an event due.
 */
static bool known_at_probe(const struct c2w_active_rules *ar,
			   struct repeat *r, const struct c2w_attempt *a,
			   bool lookup, u32 events)
{
	struct scratch *sc = scratch[smp_processor_id()];
	struct conn *c;
	bool known;

	if (!ar->memo_whole || unlikely(!sc) || dst_any(a->family, a->daddr))
		return false;
	c = conn_start(sc, a);
	add_rules(c, ar);
	known = walk_known(c, ar, r) &&
		(!lookup || key_found(c, ar, r, events));
	/* Nothing of this attempt outlives it: @a is on the probe's stack. */
	c->a = NULL;
	c->ar = NULL;
	return known;
}

/*
 * The attempt is a match of the image's last match on this CPU
 * (remember_repeat()), known: see c2w_detect_early(). @decision: which of
 * the two, the repeat of that match or another attempt of its image.
 * @held: out: set when this CPU keeps a match of the image under @ar.
 */
static bool repeat_known(const struct c2w_active_rules *ar,
			 const struct c2w_attempt *a, enum c2w_stat *decision,
			 u64 *ticket, bool *held)
{
	u32 events = READ_ONCE(c2w_events_interval), uid;
	int family = a->family;
	const void *daddr = a->daddr;
	struct repeat *r;
	bool same;

	/* The source is chosen as the connect runs: see known_at_return(). */
	if (c2w_rs_reads_source(ar->rs))
		return false;
	r = repeat_holds(ar, 0, &same);
	if (!r)
		return false;
	*held = true;
	*ticket = r->ticket;
	uid = uid_now();
	if (r->family == family && r->transport == a->transport &&
	    r->dport == a->dport &&
	    !memcmp(r->daddr, daddr, family == 4 ? 4 : 16) && r->uid == uid) {
		*decision = C2W_ST_REPEATED;
		/* One key: touched at once; several once all are known. */
		if (r->n > 1 && !all_known(ar, r, events))
			return false;
	} else if (!same_key(r, family, daddr, uid)) {
		/* Another key: looked up, and touched there when known. */
		*decision = C2W_ST_KNOWN_AT_PROBE;
		return known_at_probe(ar, r, a, true, events);
	} else if (all_known(ar, r, events) &&
		   known_at_probe(ar, r, a, false, events)) {
		/* The entries asked before the walk: none for an event due. */
		*decision = C2W_ST_KNOWN_AT_PROBE;
	} else {
		return false;
	}
	return touch_all(ar, r, events);
}

/*
 * In c2w_detect(), under rules that read the source (which a connect's
 * entry cannot judge, c2w_detect_early()): an attempt of the process
 * image of a last match this CPU keeps, judged by walk_known() with the
 * source the attempt has there (a connect's return: the one it chose; a
 * datagram: its socket's, if bound), as at the probe: with its key
 * (same_key()), known with no event due, known when the same rules
 * match; with another key, when its keys are then found known
 * (key_found()). Counted known_at_probe, as at the probe. The executable
 * is not resolved. After a walk that did not end so, @c is started again
 * for the evaluation in full.
 */
static bool known_at_return(struct conn *c, const struct c2w_active_rules *ar,
			    struct repeat *r)
{
	u32 events = READ_ONCE(c2w_events_interval);
	bool same;

	if (!c2w_rs_reads_source(ar->rs) || !ar->memo_whole ||
	    dst_any(c->a->family, c->a->daddr))
		return false;
	same = same_key(r, c->a->family, c->a->daddr, c->uid);
	if (same && !all_known(ar, r, events))
		return false;
	/*
	 * Another key: looked up (key_found()). No ticket under rules that
	 * read the source (repeat_known()): repeat_holds() asked
	 * c2w_exe_same() in this section.
	 */
	if (walk_known(c, ar, r) &&
	    (same ? touch_all(ar, r, events) : key_found(c, ar, r, events)))
		return true;
	conn_start(c->scratch, c->a);
	add_rules(c, ar);
	return false;
}

/*
 * At the probe, an attempt of a process image this CPU keeps no match of,
 * but a verdict on (@v: a suspicious program's; @fresh: found in the cache
 * in this section, else asked c2w_exe_same() here): the rules walked with
 * the destination, the user and what they said of its executable
 * (walk_by_memo(), by @v's memo). When one rule matches, whose key is
 * made of the executable alone, and the cache said where that key sits
 * (@v's hint, c2w_seen_check()'s), known with no event due: that match,
 * the entry touched (counted known_at_probe), and kept as the image's
 * last match on this CPU (remember_repeat(), with the verdict's path) for
 * its repeats. Images taking turns on a CPU, more than it keeps matches
 * of, and the first attempt of an image on a CPU are then judged here,
 * not in full at the return. Not under rules that read the source
 * (repeat_known()). @decision: out, when known.
 */
static bool verdict_known(const struct c2w_active_rules *ar,
			  const struct exe_kept *v, bool fresh,
			  const struct c2w_attempt *a, enum c2w_stat *decision)
{
	struct scratch *sc = scratch[smp_processor_id()];
	const struct c2w_seen_hint *h;
	const struct c2w_rule_info *rule;
	struct conn *c;
	bool known;
	u64 hits;

	if (!v || v->exe.memo_gen != ar->gen || !ar->memo_whole ||
	    unlikely(!sc) || c2w_rs_reads_source(ar->rs) ||
	    dst_any(a->family, a->daddr))
		return false;
	h = &v->exe.seen;
	if (!h->entry || h->rules_gen != ar->gen)
		return false;
	rule = c2w_rs_rule(ar->rs, h->rule);
	if (!(rule->flags & C2W_RULE_NEW_TERMS) ||
	    (rule->new_terms & ~(C2W_NT_EXECUTABLE | C2W_NT_NAME)) ||
	    (!fresh && !c2w_exe_same(&v->key)))
		return false;
	c = conn_start(sc, a);
	add_rules(c, ar);
	hits = walk_by_memo(c, ar, v->exe.memo);
	known = hits == BIT_ULL(h->rule) &&
		c2w_seen_touch_known(h, window_of(rule),
				     READ_ONCE(c2w_events_interval));
	/* Kept, with the verdict's path, for the next attempts' repeats. */
	if (known && c2w_exe_from_copy(&c->exe, &v->exe, &v->key)) {
		c->kept[0] = *h;
		remember_repeat(c, hits);
	}
	/* Nothing of this attempt outlives it: @a is on the probe's stack. */
	c->a = NULL;
	c->ar = NULL;
	if (known)
		*decision = C2W_ST_KNOWN_AT_PROBE;
	return known;
}

/**
 * c2w_detect() - evaluate one outbound attempt and alert on what is new
 * @a: what the probe saw of the attempt; the task is current
 *
 * Every call ends as exactly one of excluded, suppressed, alerted (at least
 * one alert queued), dropped (alerts due, none queued) or failed. A known
 * key's match reported as an event (%C2W_AF_EVENT) is suppressed: it is
 * counted apart, as events. Under rules that read the source, an attempt
 * of a process image whose last match this CPU keeps can end suppressed
 * without the evaluation in full (known_at_return()).
 *
 * Context: kprobe context (preemption disabled).
 * Return: true when no rule matched (excluded), whatever the seen set.
 */
bool c2w_detect(const struct c2w_attempt *a)
{
	struct scratch *sc = scratch[smp_processor_id()];
	const struct c2w_active_rules *ar;
	u32 events = READ_ONCE(c2w_events_interval), nk = 0;
	struct repeat *r = NULL;
	/*
	 * Timed one evaluation in C2W_PROBE_SAMPLE, with the CPU's own clock
	 * (sched_clock, the TSC): this runs on one CPU with preemption
	 * disabled, and ktime_get_ns() reads the clocksource, which on some
	 * hosts is a device (HPET) costing more than the evaluation.
	 */
	bool timed = c2w_probe_timed();
	u64 t0 = timed ? local_clock() : 0, hits;
	int queued = 0, dropped = 0, reported = 0;
	enum c2w_stat outcome;
	bool same = false;
	struct conn *c;
	u32 i;

	if (unlikely(!sc)) {
		count_evaluated(C2W_ST_FAILED, false, 0);
		return false;
	}
	c = conn_start(sc, a);
	rcu_read_lock();
	ar = rcu_dereference(c2w_rules);
	c->ar = ar;
	if (ar) {
		add_rules(c, ar);
		r = repeat_holds(ar, a->ticket, &same);
	}
	if (r && known_at_return(c, ar, r)) {
		c2w_count(C2W_ST_EXE_CACHE_HIT, 1);
		c2w_count(C2W_ST_MATCHED, 1);
		c2w_count(C2W_ST_KNOWN_AT_PROBE, 1);
		outcome = C2W_ST_SUPPRESSED;
		goto out;
	}
	/*
	 * An image whose last match this CPU keeps, nothing its path is made of
	 * changed: what the rules said of its executable then is what they
	 * say now, so the walk tests those clauses by the memo (c2w_rs_eval()
	 * by masks). The path, resolved after a match (for the keys and the
	 * alerts) or for a clause past the memo bits, is the copy kept with
	 * that match (resolve_exe()). Another image this CPU has a verdict on
	 * (most often from this attempt's entry): walked by that memo, the
	 * path, after a match, the copy kept with that verdict.
	 */
	if (r) {
		c->ev.memo = r->memo;
		c->ev.memo_set = true;
		c->rep = r;
		c->same = same;
	} else if (ar) {
		c->verdict = exe_kept_memo(ar);
		c->same = c->verdict;
		if (c->verdict) {
			c->ev.memo = c->verdict->exe.memo;
			c->ev.memo_set = true;
		}
	}
	c->by_memo = c->ev.memo_set;
	c->walk_memo = c->ev.memo;
	hits = ar ? c2w_rs_eval(ar->rs, &c->ev) : 0;
	if (!hits) {
		/* Its executable judged from the cache all the same. */
		if (c->by_memo && c->ev.lazy)
			c2w_count(C2W_ST_EXE_CACHE_HIT, 1);
		outcome = C2W_ST_EXCLUDED;
		goto out;
	}
	c2w_count(C2W_ST_MATCHED, 1);
	if (c->ev.lazy)
		resolve_exe(&c->ev);
	for (i = 0; i < c2w_rs_count(ar->rs); i++) {
		struct c2w_seen_hint *kept;
		const struct c2w_rule_info *rule;
		u32 extra = 0;

		if (!(hits & (1ULL << i)))
			continue;
		/* Where its key sits: for remember_repeat(). */
		kept = &c->kept[nk++];
		kept->entry = NULL;
		rule = c2w_rs_rule(ar->rs, i);
		if (rule->flags & C2W_RULE_NEW_TERMS) {
			switch (seen_check(c, i, rule, window_of(rule), events,
					   kept)) {
			case C2W_SEEN_KNOWN:
				continue;
			case C2W_SEEN_OVER:
				/* Due, not alerted: in the uid's summary. */
				c2w_uid_over(c->uid, false, c->exe.path,
					     c->exe.len);
				dropped++;
				continue;
			case C2W_SEEN_EVENT:
				/* A lost one is counted by the stream. */
				if (!emit_alert(c, rule, C2W_AF_EVENT))
					reported++;
				continue;
			case C2W_SEEN_FULL:
				extra = C2W_AF_SEEN_FULL;
				break;
			case C2W_SEEN_NEW:
				break;
			}
		}
		if (emit_alert(c, rule, extra))
			dropped++;
		else
			queued++;
	}
	remember_repeat(c, hits);
	if (reported)
		c2w_count(C2W_ST_EVENTS, reported);
	if (queued)
		outcome = C2W_ST_ALERTED;
	else if (dropped)
		outcome = C2W_ST_DROPPED_ALERTS;
	else
		outcome = C2W_ST_SUPPRESSED;
	/*
	 * Where the key sits, as this evaluation found it (through the
	 * cache, or anew): for the CPU's verdict on the image too
	 * (verdict_known(), the path's copy), still of that image.
	 */
	if (c->verdict && c->exe.cacheable &&
	    c2w_execache_key_equal(&c->exe.key, &c->verdict->key))
		c->verdict->exe.seen = c->exe.seen;
out:
	rcu_read_unlock();
	if (c->exe_due)
		c2w_exe_remember(&c->exe);
	count_evaluated(outcome, timed, t0);
	return outcome == C2W_ST_EXCLUDED;
}

/**
 * c2w_detect_early() - judge an attempt at its probe, before its event
 * @family: 4 or 6
 * @transport: %C2W_TRANSPORT_*
 * @daddr: the destination asked for, 4 or 16 bytes in network order
 * @dport: the destination port
 * @ticket: out: for the same attempt's c2w_detect() (&c2w_attempt.ticket),
 *	when it is not decided here
 *
 * Called by a probe as soon as it has the destination. What needs nothing
 * of the attempt but that and its task is decided here, under one read of
 * the rules, cheapest first:
 *
 * - excluded by the executable of a process image this CPU knows (one of
 *   the last %C2W_NOTE_SLOTS it found in the cache: struct exe_verdicts; a
 *   trusted program's next attempt, to anywhere: no lookup);
 * - excluded by the destination: no rule can match an attempt to @daddr;
 * - excluded by the executable, from the cache, for a process image this
 *   CPU does not know (exe_lookup_excludes()): when the cache holds its
 *   executable with the memo of the rules now loaded, and by that memo
 *   every enabled rule has a clause this executable fails whatever else
 *   the attempt holds (c2w_rs_memo_excludes(); the seed rule's suspicious
 *   places, for a trusted program). Either way the CPU knows the image
 *   from then on: one that is excluded is excluded again without the
 *   lookup while c2w_exe_same() holds (the same process image, pinned by
 *   the cache, with nothing its path is made of changed); one that is not
 *   (a suspicious program) is not looked up again here (its evaluation
 *   in full does, when c2w_exe_same() fails). The first attempt of
 *   a process image, and the first after anything its path is made of
 *   changed (a rename or mount change anywhere on the host), is evaluated
 *   in full, which fills the cache; paths never cached always are;
 * - the repeat of the last match this CPU keeps for the process image
 *   (a beacon's next connect to its
 *   server): the same process image with nothing its path is made of
 *   changed (c2w_exe_same()), the same user, family, transport,
 *   destination and port, under the same ruleset, which does not read the
 *   source (c2w_rs_reads_source()): c2w_rs_eval() would give the same
 *   match, of one to %REPEAT_RULES rules. When each one's key's seen-set
 *   entry is then still within the window with no event due
 *   (c2w_seen_touch_known()), the attempt is that match, known: counted
 *   matched and suppressed (and repeated), the entries refreshed;
 * - another attempt of that process image (another destination, port,
 *   protocol or user) with the same new-terms key (same_key(): under a
 *   key made of the destination or the user too, the same one), its key
 *   known as above: the rules walked with the destination, the user and
 *   what they said of the executable in that evaluation (known_at_probe(),
 *   a rule walk without the path). When the same rules match, the same
 *   (counted known_at_probe);
 * - another attempt of that process image with another key (a key made
 *   of the destination or the user too: a beacon among several servers),
 *   walked as above; when the same rules match, each one's key that
 *   differs made with that match's executable (the copy kept with it)
 *   and looked up in the seen set without recording it (key_found(), the
 *   dearest step); a rule's key that is the key of the match before
 *   (struct other_keys: a beacon between two servers) known by where that
 *   one's sits, without the lookup. All known with no event due: that
 *   match (counted known_at_probe);
 * - an attempt of a suspicious process image this CPU keeps no match of,
 *   but a verdict on (verdict_known()): walked as above, by that verdict's
 *   memo; one rule matching, its key made of the executable alone and
 *   known where the cache said it sits, with no event due: that match,
 *   kept for the repeats (counted known_at_probe).
 *
 * Anything else is left to c2w_detect(): a new alert or an event always
 * comes from the evaluation in full.
 *
 * A decided attempt is counted evaluated, and nothing else of it is read
 * (for a connect, no return handler runs: it is judged under the rules and
 * the paths of its entry). Without a ruleset nothing is decided here: rules
 * loaded while a connect runs judge it at its return.
 *
 * Context: kprobe context (preemption disabled).
 * Return: true when the attempt was decided and counted.
 */
bool c2w_detect_early(int family, int transport, const void *daddr,
		      u16 dport, u64 *ticket)
{
	const struct c2w_active_rules *ar;
	bool timed = c2w_probe_timed_next();
	u64 t0 = timed ? local_clock() : 0;
	const struct c2w_attempt a = {
		.family = family,
		.transport = transport,
		.daddr = daddr,
		.dport = dport,
	};
	struct exe_kept *known, *found = NULL;
	enum c2w_stat decision;
	bool held = false;

	*ticket = 0;
	rcu_read_lock();
	ar = rcu_dereference(c2w_rules);
	if (!ar)
		goto none;
	if (exe_kept_excludes(ar, &known))
		decision = C2W_ST_EXCLUDED_EXE;
	else if (dst_excludes(ar, family, daddr))
		decision = C2W_ST_EXCLUDED_DST;
	else if (!known && exe_lookup_excludes(ar, &found))
		decision = C2W_ST_EXCLUDED_EXE;
	else if (!repeat_known(ar, &a, &decision, ticket, &held) &&
		 (held || !verdict_known(ar, known ?: found, !known, &a,
					 &decision)))
		goto none;
	rcu_read_unlock();
	if (decision == C2W_ST_REPEATED ||
	    decision == C2W_ST_KNOWN_AT_PROBE) {
		c2w_count(C2W_ST_EXE_CACHE_HIT, 1);
		c2w_count(C2W_ST_MATCHED, 1);
		count_at_probe(decision, C2W_ST_SUPPRESSED, timed, t0);
		return true;
	}
	if (decision == C2W_ST_EXCLUDED_EXE)
		c2w_count(C2W_ST_EXE_CACHE_HIT, 1);
	count_at_probe(decision, C2W_ST_EXCLUDED, timed, t0);
	return true;
none:
	rcu_read_unlock();
	return false;
}

/**
 * c2w_detect_const_memo() - what @ar's clauses on constants say, per family
 *	and transport
 * @ar: rules about to be published
 *
 * Fills @ar->cmemo with c2w_rs_const_eval() of the constants fill_const()
 * gives each family and transport, so that an evaluation tests those
 * clauses (host.os.type, event.category, event.action...) with a bit,
 * @ar->const_fields, whether an attempt's event still needs their
 * values (c2w_rs_needs_const()), and @ar->memo_decides.
 *
 * Context: process context.
 * Return: 0 or -ENOMEM.
 */
int c2w_detect_const_memo(struct c2w_active_rules *ar)
{
	static const int families[] = { 4, 6 };
	static const int transports[] = { C2W_TRANSPORT_TCP, C2W_TRANSPORT_UDP };
	struct c2w_event *ev;
	u32 f, t, v;

	ev = kmalloc(sizeof(*ev), GFP_KERNEL);
	if (!ev)
		return -ENOMEM;
	for (f = 0; f < ARRAY_SIZE(families); f++) {
		for (t = 0; t < ARRAY_SIZE(transports); t++) {
			memset(ev, 0, sizeof(*ev));
			fill_const(ev, families[f], transports[t]);
			v = const_variant(families[f], transports[t]);
			ar->cmemo[v] = c2w_rs_const_eval(ar->rs, ev);
		}
	}
	ar->const_fields = c2w_rs_needs_const(ar->rs);
	ar->memo_decides = c2w_rs_memo_decides(ar->rs);
	ar->memo_whole = c2w_rs_memo_whole(ar->rs);
	kfree(ev);
	return 0;
}

/**
 * c2w_detect_init() - allocate the per-CPU scratch areas and last matches
 *
 * Return: 0 or -ENOMEM.
 */
int c2w_detect_init(void)
{
	int cpu;

	c2w_mntns_inum_check();
	repeats = alloc_percpu(struct repeats);
	verdicts = alloc_percpu(struct exe_verdicts);
	scratch = kcalloc(nr_cpu_ids, sizeof(*scratch), GFP_KERNEL);
	if (!repeats || !verdicts || !scratch) {
		c2w_detect_exit();
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		scratch[cpu] = kvmalloc_node(sizeof(*scratch[cpu]),
					     GFP_KERNEL, cpu_to_node(cpu));
		if (!scratch[cpu]) {
			c2w_detect_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * c2w_detect_exit() - free the scratch areas, last matches and verdicts;
 *	the probes are gone
 */
void c2w_detect_exit(void)
{
	int cpu;

	free_percpu(repeats);
	repeats = NULL;
	free_percpu(verdicts);
	verdicts = NULL;
	if (!scratch)
		return;
	for_each_possible_cpu(cpu)
		kvfree(scratch[cpu]);
	kfree(scratch);
	scratch = NULL;
}
