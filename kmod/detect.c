// SPDX-License-Identifier: GPL-2.0
/*
 * Detection: an outbound attempt gathered by a probe is evaluated against the
 * RCU-published ruleset; matches of new-terms rules go through the seen set;
 * what is new becomes an alert record in the queue.
 *
 * Runs in kprobe context: nothing here sleeps or allocates beyond the seen
 * set's GFP_ATOMIC insert. The large buffers (paths, the alert record) are
 * per-CPU scratch: kretprobe handlers run with preemption disabled and do not
 * nest on a CPU.
 *
 * The executable path is resolved lazily, only when a clause needs it, from
 * mm->exe_file (not argv, not comm), from the root of the task's mount
 * namespace rather than from its chroot, with deleted, memfd and truncated
 * paths flagged; see resolve_exe().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "c2watch.h"
#include "compat.h"

/* compat.h: whether struct mnt_namespace's number can be read. */
int c2w_mntns_inum_state;

#define MAX_WALK	4096	/* dentries climbed for a too-long path */
#define KEY_MAX		(C2W_PATH_MAX + NAME_MAX + 64)

/**
 * struct c2w_scratch - per-CPU working memory of the probes
 * @conn: the attempt being evaluated
 * @path: d_path() output for the executable
 * @root: the chroot directory's own path
 * @name: the executable's basename when the path had to be truncated
 * @uid: user.id as text
 * @key: a new-terms key made of several fields
 * @alert: the alert record being built
 * @alert_buf: room for @alert and its path
 */
struct c2w_scratch {
	struct c2w_conn conn;
	char path[PATH_MAX];
	char root[PATH_MAX];
	char name[NAME_MAX + 1];
	char uid[12];
	char key[KEY_MAX];
	union {
		struct c2w_alert alert;
		u8 alert_buf[sizeof(struct c2w_alert) + C2W_PATH_MAX];
	};
};

DEFINE_PER_CPU(struct c2w_pcpu_stats, c2w_pcpu_stats);
static struct c2w_scratch **scratch;

/**
 * c2w_scratch_get() - this CPU's scratch memory
 *
 * Context: preemption disabled (kprobe handlers).
 * Return: the scratch area, or NULL if it could not be allocated.
 */
struct c2w_scratch *c2w_scratch_get(void)
{
	return scratch[smp_processor_id()];
}

/**
 * c2w_scratch_conn() - the connection slot of a scratch area
 * @s: scratch area
 *
 * Return: the &struct c2w_conn inside @s, cleared.
 */
struct c2w_conn *c2w_scratch_conn(struct c2w_scratch *s)
{
	memset(&s->conn, 0, sizeof(s->conn));
	s->conn.scratch = s;
	s->conn.ev.ctx = &s->conn;
	return &s->conn;
}

/* ---- statistics ---- */

/**
 * c2w_stats_get() - sum the per-CPU counters into @st
 * @st: statistics being filled (other parts come from queue and seen set)
 */
void c2w_stats_get(struct c2w_stats *st)
{
	u64 sum[C2W_ST_MAX] = { };
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct c2w_pcpu_stats *p = per_cpu_ptr(&c2w_pcpu_stats, cpu);

		for (i = 0; i < C2W_ST_MAX; i++)
			sum[i] += READ_ONCE(p->c[i]);
	}
	st->hook_hits[C2W_HOOK_TCP4] = sum[C2W_ST_HOOK_TCP4];
	st->hook_hits[C2W_HOOK_TCP6] = sum[C2W_ST_HOOK_TCP6];
	st->hook_hits[C2W_HOOK_UDP4] = sum[C2W_ST_HOOK_UDP4];
	st->hook_hits[C2W_HOOK_UDP6] = sum[C2W_ST_HOOK_UDP6];
	st->ignored = sum[C2W_ST_IGNORED];
	st->evaluated = sum[C2W_ST_EVALUATED];
	st->excluded = sum[C2W_ST_EXCLUDED];
	st->matched = sum[C2W_ST_MATCHED];
	st->suppressed = sum[C2W_ST_SUPPRESSED];
	st->alerted = sum[C2W_ST_ALERTED];
	st->dropped_alerts = sum[C2W_ST_DROPPED_ALERTS];
	st->failed = sum[C2W_ST_FAILED];
	st->probe_ns_total = sum[C2W_ST_PROBE_NS];
	st->probe_ns_avg = st->evaluated ?
			   div64_u64(st->probe_ns_total, st->evaluated) : 0;
}

/* ---- executable path ---- */

/* Mount namespace and comm: needed to resolve the path, and for alerts. */
static void fill_ns_comm(struct c2w_conn *c)
{
	struct nsproxy *ns = current->nsproxy;

	if (c->ns_done)
		return;
	c->ns_done = true;
	get_task_comm(c->comm, current);
	c->mntns_init = true;
	if (ns && ns->mnt_ns) {
		c->mntns_ino = c2w_mntns_inum(ns->mnt_ns);
		if (ns->mnt_ns != init_task.nsproxy->mnt_ns) {
			c->mntns_init = false;
			c->aflags |= C2W_AF_MNTNS;
		}
	}
}

/*
 * The root init sees. A task in the initial mount namespace whose root
 * differs from it is chrooted. Called under rcu_read_lock().
 */
static bool init_root(struct path *root)
{
	struct task_struct *init = READ_ONCE(init_pid_ns.child_reaper);
	bool ok = false;

	if (!init)
		return false;
	task_lock(init);
	if (init->fs) {
		c2w_fs_root(init->fs, root);
		ok = true;
	}
	task_unlock(init);
	return ok;
}

/* Length of a d_path() result that ends at buf + len - 1. */
static u32 dpath_len(const char *p, const char *buf, int len)
{
	return buf + len - 1 - p;
}

/*
 * A path too long for the buffer: climb to the deepest ancestor whose path
 * fits in half of it, and report that as the head of the real path. The
 * rule core then treats the value as "head only" so that include patterns
 * still match and exclude patterns only when they must.
 */
static char *path_head(const struct path *path, char *buf, u32 *len)
{
	const struct dentry *d = path->dentry, *root = path->mnt->mnt_root;
	u32 total = 0, steps = 0, budget = PATH_MAX / 2;
	struct path anc = { .mnt = path->mnt };
	char *p;
	int tries;

	while (d != root && steps < MAX_WALK) {
		const struct dentry *parent = READ_ONCE(d->d_parent);

		if (parent == d)
			break;
		total += READ_ONCE(d->d_name.len) + 1;
		d = parent;
		steps++;
	}
	if (steps >= MAX_WALK)
		return NULL;
	for (tries = 0; tries < 4; tries++, budget /= 2) {
		u32 rem = total;

		d = path->dentry;
		while (d != root && rem > budget) {
			rem -= READ_ONCE(d->d_name.len) + 1;
			d = READ_ONCE(d->d_parent);
		}
		anc.dentry = (struct dentry *)d;
		p = d_path(&anc, buf, PATH_MAX - 1);
		if (!IS_ERR(p)) {
			*len = dpath_len(p, buf, PATH_MAX - 1);
			if (*len && p[*len - 1] != '/') {
				p[(*len)++] = '/';
				p[*len] = '\0';
			}
			return p;
		}
	}
	return NULL;
}

/*
 * Prefix @p (inside c->scratch->path) with the path of the chroot directory
 * @root, making it relative to the mount namespace root again. Only a chroot
 * into a subdirectory can be placed: for a chroot into a mount root the
 * mountpoint is private to fs/, and the alert says so.
 */
static char *unchroot(struct c2w_conn *c, const struct path *root, char *p,
		      u32 *len)
{
	struct c2w_scratch *s = c->scratch;
	struct name_snapshot name;
	struct path parent;
	char *pre;
	u32 plen, nlen;

	c->aflags |= C2W_AF_CHROOT;
	if (root->dentry == root->mnt->mnt_root) {
		c->aflags |= C2W_AF_CHROOT_UNRESOLVED;
		return p;
	}
	parent.mnt = root->mnt;
	parent.dentry = READ_ONCE(root->dentry->d_parent);
	pre = d_path(&parent, s->root, PATH_MAX - NAME_MAX - 2);
	if (IS_ERR(pre)) {
		c->aflags |= C2W_AF_CHROOT_UNRESOLVED;
		return p;
	}
	plen = dpath_len(pre, s->root, PATH_MAX - NAME_MAX - 2);
	if (plen == 1)		/* "/" */
		plen = 0;
	take_dentry_name_snapshot(&name, root->dentry);
	nlen = name.name.len;
	memmove(s->root, pre, plen);
	s->root[plen++] = '/';
	memcpy(s->root + plen, name.name.name, nlen);
	plen += nlen;
	release_dentry_name_snapshot(&name);

	/* d_path() wrote @p at the end of its buffer: prepend in place. */
	if (plen > (u32)(p - s->path)) {
		c->aflags |= C2W_AF_PATH_TRUNCATED;
		plen = p - s->path;
	}
	p -= plen;
	memcpy(p, s->root, plen);
	*len += plen;
	return p;
}

static void set_exe(struct c2w_conn *c, const char *p, u32 len, bool head)
{
	const char *slash;

	c->exe = p;
	c->exe_len = len;
	c2w_event_add_str(&c->ev, C2W_FIELD_PROCESS_EXECUTABLE, p, len);
	if (head) {
		c->ev.head_only |= C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE);
		return;
	}
	slash = strrchr(p, '/');
	c->name = slash ? slash + 1 : p;
	c->name_len = p + len - c->name;
}

static void exe_path(struct c2w_conn *c, struct file *exe)
{
	struct c2w_scratch *s = c->scratch;
	const struct path *path = &exe->f_path;
	struct dentry *dentry = path->dentry;
	struct path root, iroot;
	bool head = false;
	u32 len;
	char *p;

	/*
	 * d_path() marks both with " (deleted)": unlinked files, and files
	 * that never had a name in any mounted filesystem (memfd).
	 */
	if (d_unlinked(dentry))
		c->aflags |= C2W_AF_EXE_DELETED;
	if ((path->mnt->mnt_flags & MNT_INTERNAL) &&
	    !strncmp(dentry->d_name.name, "memfd:", 6))
		c->aflags |= C2W_AF_EXE_MEMFD | C2W_AF_EXE_DELETED;

	p = d_path(path, s->path, PATH_MAX);
	if (IS_ERR(p)) {
		if (PTR_ERR(p) != -ENAMETOOLONG)
			goto unresolved;
		p = path_head(path, s->path, &len);
		if (!p)
			goto unresolved;
		c->aflags |= C2W_AF_PATH_TRUNCATED;
		head = true;
	} else {
		len = dpath_len(p, s->path, PATH_MAX);
		if ((c->aflags & C2W_AF_EXE_DELETED) && len >= 10 &&
		    !memcmp(p + len - 10, " (deleted)", 10))
			len -= 10;
		p[len] = '\0';
	}

	rcu_read_lock();
	if (current->fs) {
		c2w_fs_root(current->fs, &root);
		if (c->mntns_init && init_root(&iroot) &&
		    !path_equal(&root, &iroot) && path_is_under(path, &root))
			p = unchroot(c, &root, p, &len);
	}
	rcu_read_unlock();

	set_exe(c, p, len, head);
	if (head) {
		struct name_snapshot name;

		take_dentry_name_snapshot(&name, dentry);
		c->name_len = min_t(u32, name.name.len, NAME_MAX);
		memcpy(s->name, name.name.name, c->name_len);
		release_dentry_name_snapshot(&name);
		c->name = s->name;
	}
	return;

unresolved:
	/* Nothing to match on: an empty head matches every include. */
	c->aflags |= C2W_AF_PATH_UNRESOLVED;
	s->path[0] = '\0';
	set_exe(c, s->path, 0, true);
	c->name = s->path;
	c->name_len = 0;
}

/**
 * c2w_resolve_exe() - the rule core's lazy resolver for process.executable
 *	and process.name
 * @ev: the event, embedded in a &struct c2w_conn
 *
 * Context: kprobe context, current is the connecting task.
 * Return: 0, or -ENOENT when the task has no executable (still matched as
 * an unresolvable path, so that it cannot escape detection).
 */
int c2w_resolve_exe(struct c2w_event *ev)
{
	struct c2w_conn *c = ev->ctx;
	struct mm_struct *mm = current->mm;
	struct file *exe = NULL;
	u32 n;

	ev->lazy = 0;
	fill_ns_comm(c);
	if (mm)
		exe = c2w_get_exe_file(mm);
	if (!exe) {
		c->aflags |= C2W_AF_PATH_UNRESOLVED;
		c->scratch->path[0] = '\0';
		set_exe(c, c->scratch->path, 0, true);
		c->name = c->scratch->path;
		c->name_len = 0;
		c2w_event_add_str(ev, C2W_FIELD_PROCESS_NAME, c->name, 0);
		ev->head_only |= C2W_FBIT(C2W_FIELD_PROCESS_NAME);
		return -ENOENT;
	}
	exe_path(c, exe);
	fput(exe);
	c2w_event_add_str(ev, C2W_FIELD_PROCESS_NAME, c->name, c->name_len);
	if (c->aflags & C2W_AF_PATH_UNRESOLVED)
		ev->head_only |= C2W_FBIT(C2W_FIELD_PROCESS_NAME);
	/* comm is the basename cut to TASK_COMM_LEN - 1, unless renamed. */
	n = min_t(u32, c->name_len, TASK_COMM_LEN - 1);
	if (strncmp(c->comm, c->name, n) || c->comm[n])
		c->aflags |= C2W_AF_COMM_DIFFERS;
	return 0;
}

/* ---- the event ---- */

/* Constants: the length is known at compile time. */
#define add_const(ev, field, s) \
	c2w_event_add_str(ev, field, s, sizeof(s) - 1)

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
 * The rest of the identity, taken only once a rule matched but still in
 * the probe, so it cannot race with the task's exit or exec.
 */
static void fill_identity(struct c2w_conn *c)
{
	const struct cred *cred = current_cred();

	fill_ns_comm(c);
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

/**
 * c2w_conn_fill_task() - what every evaluation needs of the task: the
 *	fields a rule can test without the path (user.id and the constants),
 *	and the lazy resolver for the path; the rest is taken on a match
 * @c: the attempt
 */
void c2w_conn_fill_task(struct c2w_conn *c)
{
	struct c2w_event *ev = &c->ev;

	c->uid = from_kuid(&init_user_ns, current_cred()->uid);
	add_const(ev, C2W_FIELD_EVENT_ACTION, "connection_attempted");
	add_const(ev, C2W_FIELD_EVENT_CATEGORY, "network");
	add_const(ev, C2W_FIELD_EVENT_TYPE, "connection");
	add_const(ev, C2W_FIELD_EVENT_TYPE, "start");
	add_const(ev, C2W_FIELD_HOST_OS_TYPE, "linux");
	c2w_event_add_str(ev, C2W_FIELD_USER_ID, c->scratch->uid,
			  u32_to_dec(c->uid, c->scratch->uid));
	ev->lazy = C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE) |
		   C2W_FBIT(C2W_FIELD_PROCESS_NAME);
	ev->resolve = c2w_resolve_exe;
}

/**
 * c2w_conn_fill_net() - addresses, ports, transport of the attempt
 * @c: the attempt
 * @family: 4 or 6 (IPv4-mapped IPv6 is folded to 4 by the rule core)
 * @transport: &enum c2w_transport
 * @saddr: source address chosen, or NULL when none was
 * @sport: source port, 0 when none
 * @daddr: destination address
 * @dport: destination port
 */
void c2w_conn_fill_net(struct c2w_conn *c, int family, int transport,
		       const void *saddr, u16 sport, const void *daddr,
		       u16 dport)
{
	struct c2w_event *ev = &c->ev;

	c->transport = transport;
	if (saddr)
		c2w_event_set_ip(ev, C2W_FIELD_SOURCE_IP, family, saddr);
	c2w_event_set_ip(ev, C2W_FIELD_DESTINATION_IP, family, daddr);
	if (sport) {
		ev->sport = sport;
		ev->present |= C2W_FBIT(C2W_FIELD_SOURCE_PORT);
	}
	ev->dport = dport;
	ev->present |= C2W_FBIT(C2W_FIELD_DESTINATION_PORT);
	add_const(ev, C2W_FIELD_NETWORK_TRANSPORT,
		  transport == C2W_TRANSPORT_TCP ? "tcp" : "udp");
	if (ev->dst_family == 4) {
		add_const(ev, C2W_FIELD_NETWORK_TYPE, "ipv4");
		add_const(ev, C2W_FIELD_EVENT_ACTION,
			  "ipv4_connection_attempt_event");
	} else {
		add_const(ev, C2W_FIELD_NETWORK_TYPE, "ipv6");
		add_const(ev, C2W_FIELD_EVENT_ACTION,
			  "ipv6_connection_attempt_event");
	}
}

/* ---- detection ---- */

/* The new-terms key of @rule for this attempt. */
static const char *make_key(struct c2w_conn *c,
			    const struct c2w_rule_info *rule, u32 *len)
{
	char *k = c->scratch->key;
	u32 n = 0;

	if (rule->new_terms == C2W_NT_EXECUTABLE) {
		*len = c->exe_len;
		return c->exe;
	}
	if (rule->new_terms & C2W_NT_EXECUTABLE) {
		memcpy(k, c->exe, c->exe_len);
		n = c->exe_len;
	}
	if (rule->new_terms & C2W_NT_NAME) {
		k[n++] = '\0';
		memcpy(k + n, c->name, c->name_len);
		n += c->name_len;
	}
	if (rule->new_terms & C2W_NT_USER_ID)
		n += scnprintf(k + n, KEY_MAX - n, "%c%u", 0, c->uid);
	if (rule->new_terms & C2W_NT_DESTINATION_IP) {
		if (c->ev.dst_family == 4)
			n += scnprintf(k + n, KEY_MAX - n, "%c%pI4", 0,
				       c->ev.dst);
		else
			n += scnprintf(k + n, KEY_MAX - n, "%c%pI6c", 0,
				       c->ev.dst);
	}
	*len = n;
	return k;
}

static int emit_alert(struct c2w_conn *c, const struct c2w_rule_info *rule,
		      u32 extra_flags)
{
	struct c2w_alert *a = &c->scratch->alert;
	u32 exe_len = min_t(u32, c->exe_len, C2W_PATH_MAX - 1);
	u32 size = ALIGN(sizeof(*a) + exe_len + 1, C2W_REC_ALIGN);

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
	a->netns_ino = c->netns_ino;
	a->mntns_ino = c->mntns_ino;
	a->cgroup_id = c->cgroup_id;
	a->flags = c->aflags | extra_flags;
	if (exe_len < c->exe_len)
		a->flags |= C2W_AF_PATH_TRUNCATED;
	a->connect_ret = c->ret;
	a->family = c->ev.dst_family;
	a->transport = c->transport;
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
	a->exe_len = exe_len;
	memcpy(a->exe, c->exe, exe_len);
	return c2w_queue_put(&a->hdr);
}

/**
 * c2w_detect() - evaluate one outbound attempt and alert on what is new
 * @c: the attempt, task and network parts filled in
 *
 * Every call ends as exactly one of excluded, suppressed, alerted (at least
 * one alert queued), dropped (alerts due, none queued) or failed.
 *
 * Context: kprobe context.
 */
void c2w_detect(struct c2w_conn *c)
{
	const struct c2w_active_rules *ar;
	u64 t0 = ktime_get_ns(), hits;
	int queued = 0, dropped = 0;
	enum c2w_stat outcome;
	u32 i;

	rcu_read_lock();
	ar = rcu_dereference(c2w_rules);
	hits = ar ? c2w_rs_eval(ar->rs, &c->ev) : 0;
	if (!hits) {
		outcome = C2W_ST_EXCLUDED;
		goto out;
	}
	c2w_count(C2W_ST_MATCHED, 1);
	if (c->ev.lazy)
		c2w_resolve_exe(&c->ev);
	fill_identity(c);
	for (i = 0; i < c2w_rs_count(ar->rs); i++) {
		const struct c2w_rule_info *rule;
		u32 extra = 0;

		if (!(hits & (1ULL << i)))
			continue;
		rule = c2w_rs_rule(ar->rs, i);
		if (rule->flags & C2W_RULE_NEW_TERMS) {
			u32 window = rule->window_secs ?:
				     READ_ONCE(c2w_default_window);
			const char *key;
			u32 klen;

			key = make_key(c, rule, &klen);
			switch (c2w_seen_check(rule, key, klen, window)) {
			case C2W_SEEN_KNOWN:
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
	if (queued)
		outcome = C2W_ST_ALERTED;
	else if (dropped)
		outcome = C2W_ST_DROPPED_ALERTS;
	else
		outcome = C2W_ST_SUPPRESSED;
out:
	rcu_read_unlock();
	c2w_count(C2W_ST_EVALUATED, 1);
	c2w_count(outcome, 1);
	c2w_count(C2W_ST_PROBE_NS, ktime_get_ns() - t0);
}

/**
 * c2w_detect_init() - allocate the per-CPU scratch areas
 *
 * Return: 0 or -ENOMEM.
 */
int c2w_detect_init(void)
{
	int cpu;

	c2w_mntns_inum_check();
	scratch = kcalloc(nr_cpu_ids, sizeof(*scratch), GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;
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
 * c2w_detect_exit() - free the scratch areas; the probes are gone
 */
void c2w_detect_exit(void)
{
	int cpu;

	if (!scratch)
		return;
	for_each_possible_cpu(cpu)
		kvfree(scratch[cpu]);
	kfree(scratch);
	scratch = NULL;
}
