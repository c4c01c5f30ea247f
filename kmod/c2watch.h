/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the files of the c2watch module, one
 * section per file. Calls go one way, top to bottom of this list; no two
 * files call each other, directly or around a loop:
 *
 *   main.c     module init/exit and parameters
 *   chardev.c  /dev/c2watch: open/read/poll and the ioctls      (surface)
 *   genl.c     generic netlink: status, records to watchers    (surface)
 *   status.c   what both surfaces report: counters and gauges
 *   probes.c   kretprobes on the connect paths
 *   detect.c   evaluation of one attempt, alerts
 *   exe.c      the executable of the connecting task
 *   execache.c what exe.c resolved, per process image
 *   seen.c     the seen set (rhashtable) with new-terms windows
 *   stream.c   the record stream: the reader's queue, and the watcher
 *              (genl.c's multicast, registered: the one fan-out)
 *   stats.c    the counters
 *   config.c   the published ruleset and the settings
 *   rules.c    the pure-C rule core shared with userspace
 */
#ifndef _C2WATCH_H
#define _C2WATCH_H

#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/path.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/c2watch.h>

#include "compat.h"

#include "rules.h"

#define C2W_MODULE_VERSION "0.2.0"

/* ---- configuration (config.c) ---- */

/**
 * struct c2w_active_rules - the ruleset the probes evaluate, RCU-published
 * @rs: compiled ruleset
 * @gen: the c2w_rules_gen it was published as (never 0): what per-process
 *	memos of its clauses are kept under
 * @cmemo: c2w_rs_const_eval() of each address family and transport's
 *	constant fields (c2w_detect_const_memo())
 * @const_fields: some clause still reads the constant fields' values
 *	(c2w_rs_needs_const()); otherwise an attempt's event goes without them
 * @memo_decides: c2w_rs_memo_decides(), which the probes' early decisions
 *	ask on every attempt: kept here, where their first read is
 * @memo_whole: c2w_rs_memo_whole(): a known executable's memo stands for
 *	its path (c2w_detect_early() and c2w_detect() walk the rules
 *	without it)
 */
struct c2w_active_rules {
	struct c2w_ruleset *rs;
	u64 gen;
	u64 cmemo[4];
	bool const_fields;
	bool memo_decides;
	bool memo_whole;
};

extern struct c2w_active_rules __rcu *c2w_rules;
extern u64 c2w_rules_gen;
extern struct mutex c2w_config_lock;	/* serialises every configuration change */
extern bool c2w_enabled;
extern bool c2w_locked;
extern u32 c2w_default_window;
extern u32 c2w_events_interval;

/* ---- counters (stats.c) ---- */

/* Event counters; hook hits are counted apart, per &enum c2w_hook. */
enum c2w_stat {
	C2W_ST_IGNORED,
	C2W_ST_EVALUATED,
	C2W_ST_EXCLUDED,
	C2W_ST_MATCHED,
	C2W_ST_SUPPRESSED,
	C2W_ST_ALERTED,
	C2W_ST_DROPPED_ALERTS,
	C2W_ST_FAILED,
	C2W_ST_PROBE_NS,		/* in the timed (sampled) evaluations */
	C2W_ST_PROBE_SAMPLES,		/* evaluations timed */
	C2W_ST_RECORDS_QUEUED,
	C2W_ST_RECORDS_READ,
	C2W_ST_RECORDS_DROPPED,
	C2W_ST_SEEN_FULL,
	C2W_ST_SEEN_EXPIRED,
	C2W_ST_NETLINK_SENT,
	C2W_ST_NETLINK_FAILED,
	C2W_ST_SEND_MEMO,
	C2W_ST_EVENTS,
	C2W_ST_EXE_REPLACED,
	C2W_ST_EXE_REPLACED_UNTRACKED,
	C2W_ST_UID_OVER,
	C2W_ST_EXE_CACHE_HIT,
	C2W_ST_EXE_CACHE_MISS,
	C2W_ST_EXCLUDED_DST,		/* excluded by its destination, early */
	C2W_ST_SEEN_HINTED,		/* c2w_seen_check_hint() decided */
	C2W_ST_EXCLUDED_EXE,		/* excluded by its executable, early */
	C2W_ST_REPEATED,		/* a repeat suppressed early */
	C2W_ST_KNOWN_AT_PROBE,		/* a known match, walked, suppressed */
	C2W_ST_EXE_CACHE_LOOKUP,	/* the cache looked up, found */
	C2W_ST_MAX
};

/**
 * struct c2w_pcpu_stats - per-CPU counters, summed by c2w_stats_sum()
 * @hook: hits per &enum c2w_hook
 * @send: hits per &enum c2w_send_hook
 * @c: counters indexed by &enum c2w_stat
 * @timer: evaluations since the last timed one (c2w_probe_timed())
 */
struct c2w_pcpu_stats {
	u64 hook[C2W_HOOK_MAX];
	u64 send[C2W_SEND_MAX];
	u64 c[C2W_ST_MAX];
	u32 timer;
};

DECLARE_PER_CPU(struct c2w_pcpu_stats, c2w_pcpu_stats);

static inline void c2w_count(enum c2w_stat s, u64 n)
{
	this_cpu_add(c2w_pcpu_stats.c[s], n);
}

/*
 * One evaluation in C2W_PROBE_SAMPLE is timed: two clock reads on every
 * attempt would cost more than a known executable's evaluation where the
 * clock is slow to read (a VM's). Preemption is disabled (probe context).
 */
#define C2W_PROBE_SAMPLE	16

static inline bool c2w_probe_timed(void)
{
	return !(this_cpu_inc_return(c2w_pcpu_stats.timer) %
		 C2W_PROBE_SAMPLE);
}

/* Whether the next c2w_probe_timed() on this CPU says yes; no count. */
static inline bool c2w_probe_timed_next(void)
{
	return !((this_cpu_read(c2w_pcpu_stats.timer) + 1) %
		 C2W_PROBE_SAMPLE);
}

static inline void c2w_count_hook(enum c2w_hook h)
{
	this_cpu_inc(c2w_pcpu_stats.hook[h]);
}

static inline void c2w_count_send(enum c2w_send_hook h)
{
	this_cpu_inc(c2w_pcpu_stats.send[h]);
}

void c2w_stats_sum(struct c2w_stats *st);

/* ---- status (status.c) ---- */

void c2w_status_stats(struct c2w_stats *st);
void c2w_status_config(struct c2w_config *c);

/* ---- probes (probes.c, sendhook.c) ---- */

/* Tasks whose attempts are evaluated: user processes, while enabled. */
static inline bool c2w_want_task(void)
{
	return in_task() && current->mm &&
	       !(current->flags & PF_KTHREAD) && READ_ONCE(c2w_enabled);
}

int c2w_probes_init(void);
void c2w_probes_exit(void);
u64 c2w_probes_missed(void);
int c2w_sendhook_init(void);
void c2w_sendhook_exit(void);
u64 c2w_sendhook_missed(void);

/* ---- detection (detect.c) ---- */

/**
 * struct c2w_attempt - one outbound attempt as a probe saw it; the task
 *	making it is current
 * @family: 4 or 6 (IPv4-mapped IPv6 is folded to 4 by the rule core)
 * @transport: &enum c2w_transport
 * @ret: the connect function's return value
 * @netns_ino: the socket's network namespace inode
 * @saddr: source address chosen, or NULL when none was
 * @daddr: destination address
 * @sport: source port, 0 when none
 * @dport: destination port
 * @ticket: from c2w_detect_early() of the same attempt, or 0
 */
struct c2w_attempt {
	int family;
	int transport;
	int ret;
	u32 netns_ino;
	const void *saddr;
	const void *daddr;
	u16 sport;
	u16 dport;
	u64 ticket;
};

int c2w_detect_init(void);
void c2w_detect_exit(void);
bool c2w_detect(const struct c2w_attempt *a);
bool c2w_detect_early(int family, int transport, const void *daddr,
		      u16 dport, u64 *ticket);
int c2w_detect_const_memo(struct c2w_active_rules *ar);

/* ---- the executable (exe.c) ---- */

struct seen_entry;

/**
 * struct c2w_seen_hint - where a new-terms key sits in the seen set
 * @entry: its entry (seen.c), or NULL; good while @removed holds
 * @removed: the seen set's count of removed entries before @entry was
 *	found (c2w_seen_hint_holds())
 * @rules_gen: the ruleset generation @rule indexes (detect.c)
 * @rule: the rule whose key it is, by index in that ruleset
 */
struct c2w_seen_hint {
	struct seen_entry *entry;
	u64 removed;
	u64 rules_gen;
	u32 rule;
};

/**
 * struct c2w_exe_stamp - the state of the world a path was resolved in
 * @rename: rename_lock's sequence (even)
 * @vfs: the sum of the counts of mount changes and of executable swaps
 */
struct c2w_exe_stamp {
	u32 rename;
	u32 vfs;
};

/**
 * struct c2w_exe_key - what a process image's executable path is made of
 * @file: its mm->exe_file (compared, never dereferenced from the cache)
 * @root: the task's root, in the initial mount namespace; else zero
 * @init_mntns: the task is in the initial mount namespace
 * @stamp: c2w_execache_stamp(), taken before resolving
 */
struct c2w_exe_key {
	const struct file *file;
	struct path root;
	bool init_mntns;
	struct c2w_exe_stamp stamp;
};

/**
 * struct c2w_exe - the executable of a task, as rules see it
 * @path: its path, NUL-terminated (empty when unresolved)
 * @len: length of @path
 * @name: its basename
 * @name_len: length of @name
 * @flags: %C2W_AF_* about the path
 * @head: @path is only the leading part of the real path
 * @ns_path: for a task in another mount namespace, the path its own
 *	mounts give, when that differs from @path; else NULL
 * @ns_len: length of @ns_path
 * @own_view_due: taken from the cache, @ns_path not looked at yet
 *	(c2w_exe_for_alert())
 * @deleted_due: taken from the cache, whether the file was deleted since
 *	not looked at yet (c2w_exe_for_alert())
 * @cacheable: the path may be kept for the process image
 *	(c2w_exe_remember()); @key says what it was made of
 * @hit: taken from the cache, with @memo_gen, @memo and @seen
 * @key: what the path was made of
 * @memo_gen: the ruleset generation @memo was made under
 * @memo: c2w_rs_proc_eval() of this executable under that ruleset
 * @seen: where a rule's new-terms key of this executable sits in the seen
 *	set (detect.c), kept with it in the cache
 */
struct c2w_exe {
	const char *path;
	u32 len;
	const char *name;
	u32 name_len;
	u32 flags;
	bool head;
	bool own_view_due;
	bool deleted_due;
	const char *ns_path;
	u32 ns_len;
	bool cacheable;
	bool hit;
	struct c2w_exe_key key;
	u64 memo_gen;
	u64 memo;
	struct c2w_seen_hint seen;
};

#define C2W_EXE_COPY_MAX 256	/* a kept path's room, NUL included */

/**
 * struct c2w_exe_copy - a cache hit's executable, kept by a caller for the
 *	same process image's next evaluations (c2w_exe_keep(),
 *	c2w_exe_from_copy())
 * @len: length of @path; 0: not kept (none, or too long for @path)
 * @name_off: where its basename starts in @path
 * @name_len: length of the basename
 * @flags: %C2W_AF_* about the path, but %C2W_AF_EXE_DELETED (looked at
 *	for each alert: c2w_exe_for_alert())
 * @memo_gen: as &struct c2w_exe
 * @memo: as &struct c2w_exe
 * @seen: as &struct c2w_exe
 * @path: the path, NUL-terminated
 */
struct c2w_exe_copy {
	u32 len;
	u32 name_off;
	u32 name_len;
	u32 flags;
	u64 memo_gen;
	u64 memo;
	struct c2w_seen_hint seen;
	char path[C2W_EXE_COPY_MAX];
};

/**
 * struct c2w_exe_buf - room for resolving an executable's path
 * @path: d_path() output
 * @root: the chroot directory's own path
 * @name: the basename when the path had to be truncated
 * @ns: the path in the task's own mount namespace
 */
struct c2w_exe_buf {
	char path[PATH_MAX];
	char root[PATH_MAX];
	char name[NAME_MAX + 1];
	char ns[PATH_MAX];
};

/* The initial mount namespace's view of a file (mounts.c). */
int c2w_mounts_init(void);
void c2w_mounts_exit(void);
int c2w_mounts_place(dev_t dev, const char *rel, u32 rel_len, char *out,
		     u32 cap, u32 *len);

/* Executables replaced by prctl(PR_SET_MM) (exeswap.c). */
int c2w_exeswap_init(void);
void c2w_exeswap_exit(void);
struct file *c2w_exeswap_orig(struct file *file);
u64 c2w_exeswap_missed(void);
u32 c2w_exeswap_live(void);

extern struct mnt_namespace *c2w_init_mnt_ns;

void c2w_exe_init(void);

/*
 * Whether @ns (current->nsproxy) sees the initial mount namespace; no
 * namespace (an exiting task) counts as it. Against a copy taken at load
 * (c2w_exe_init(): init_task's namespace never changes), so that a probe
 * reads one pointer of the module's instead of init_task and its nsproxy.
 */
static inline bool c2w_init_mntns(const struct nsproxy *ns)
{
	return !ns || !ns->mnt_ns || ns->mnt_ns == c2w_init_mnt_ns;
}

int c2w_exe_resolve(struct c2w_exe *exe, struct c2w_exe_buf *b,
		    bool init_mntns);
void c2w_exe_for_alert(struct c2w_exe *exe, struct c2w_exe_buf *b);
void c2w_exe_remember(const struct c2w_exe *exe);
bool c2w_exe_peek(bool init_mntns, struct c2w_exe_copy *cp,
		  struct c2w_exe_key *key);
bool c2w_exe_same(const struct c2w_exe_key *key);
void c2w_exe_keep(struct c2w_exe_copy *cp, const struct c2w_exe *exe);
bool c2w_exe_from_copy(struct c2w_exe *exe, const struct c2w_exe_copy *cp,
		       const struct c2w_exe_key *key);

/* ---- the executable cache (execache.c) ---- */

int c2w_execache_init(void);
void c2w_execache_exit(void);

/*
 * Every probe reads the stamp, most of them only it and a few pointers:
 * inline, the counts read as data (mounts.c, exeswap.c), no calls. Under
 * TCG a call to another page of the module costs about as much as the
 * rest of a known executable's check (docs/performance.md).
 */
extern atomic_t c2w_mounts_seq;		/* every mount change, every reread */
extern bool c2w_mounts_on;		/* mount changes are followed */
extern atomic_t c2w_exeswap_seq;	/* every executable swap, before it */

/**
 * c2w_execache_stamp() - the stamp a path resolved from now will carry
 * @s: filled in
 *
 * Read before anything the path is made of: a rename (rename_lock's
 * sequence, which every d_move() advances), a mount change in the initial
 * namespace or an executable swap after this moves the stamp on, and the
 * entry made with it is stale.
 *
 * Context: any, including kprobe context.
 * Return: false while a rename is in progress, or when mount changes are
 * not followed (mounts.c could not open the mount table): nothing may be
 * cached.
 */
static inline bool c2w_execache_stamp(struct c2w_exe_stamp *s)
{
	s->rename = c2w_rename_seq();
	s->vfs = atomic_read(&c2w_mounts_seq) + atomic_read(&c2w_exeswap_seq);
	smp_rmb();	/* the stamp before what the path is read from */
	return !(s->rename & 1) && READ_ONCE(c2w_mounts_on);
}

static inline bool c2w_execache_stamp_equal(const struct c2w_exe_stamp *a,
					    const struct c2w_exe_stamp *b)
{
	return a->rename == b->rename && a->vfs == b->vfs;
}

/**
 * c2w_execache_key_equal() - whether two paths were made of the same things
 * @a: a key
 * @b: another
 *
 * Context: any; the files and paths are compared, never dereferenced.
 * Return: true when both keys are alike.
 */
static inline bool c2w_execache_key_equal(const struct c2w_exe_key *a,
					  const struct c2w_exe_key *b)
{
	return a->file == b->file && a->root.mnt == b->root.mnt &&
	       a->root.dentry == b->root.dentry &&
	       a->init_mntns == b->init_mntns &&
	       c2w_execache_stamp_equal(&a->stamp, &b->stamp);
}

bool c2w_execache_on(void);
bool c2w_execache_room(void);
bool c2w_execache_get(struct mm_struct *mm, const struct c2w_exe_key *k,
		      struct c2w_exe *exe, char *buf);
bool c2w_execache_copy(struct mm_struct *mm, const struct c2w_exe_key *k,
		       struct c2w_exe_copy *cp);

/*
 * Process images a CPU keeps something of, per purpose (detect.c: the
 * verdicts on their executables, their last matches).
 */
#define C2W_NOTE_SLOTS 4

/*
 * Per CPU, process images the probes remember by their mm pointer, one
 * note per purpose and slot (detect.c): a pointer the cache pinned, which
 * it clears before it lets the pin go (execache.c, free_list()).
 */
enum c2w_mm_note {
	C2W_NOTE_EXE = 0,	/* the verdicts on their executables */
	C2W_NOTE_REPEAT = C2W_NOTE_SLOTS,	/* the matches they can repeat */
	C2W_NOTE_MAX = 2 * C2W_NOTE_SLOTS
};

struct c2w_mm_notes {
	const struct mm_struct *mm[C2W_NOTE_MAX];
};

DECLARE_PER_CPU(struct c2w_mm_notes, c2w_mm_notes);

/*
 * Note @mm on this CPU: only an mm whose cache entry was found in the
 * current RCU read-side section (pinned, and cleared from every note
 * after the grace period that follows the entry's removal), or one noted
 * already, found noted in this section with c2w_exe_same() holding for
 * it: its entry can have gone since only with its stamp moved (the sweep)
 * or replaced (the pin moved to the new entry), and the stamp did not
 * move.
 */
static inline void c2w_execache_note(enum c2w_mm_note n,
				     const struct mm_struct *mm)
{
	this_cpu_write(c2w_mm_notes.mm[n], mm);
}

/* Whether this CPU's note @n is @mm, the current task's (not NULL). */
static inline bool c2w_execache_noted(enum c2w_mm_note n,
				      const struct mm_struct *mm)
{
	return mm && this_cpu_read(c2w_mm_notes.mm[n]) == mm;
}

void c2w_execache_put(struct mm_struct *mm, const struct c2w_exe *exe);
u32 c2w_execache_live(void);

/* ---- seen set (seen.c) ---- */

enum c2w_seen_verdict {
	C2W_SEEN_NEW,		/* not seen within the window: alert */
	C2W_SEEN_KNOWN,		/* seen within the window: suppress */
	C2W_SEEN_FULL,		/* could not be recorded: alert (fail open) */
	C2W_SEEN_EVENT,		/* known, but an event is due (events_interval) */
	C2W_SEEN_OVER,		/* the uid holds its share: summarised */
};

int c2w_seen_init(u32 capacity);
void c2w_seen_stop(void);
void c2w_seen_exit(void);
enum c2w_seen_verdict c2w_seen_check(const struct c2w_rule_info *rule,
				     const char *key, u32 key_len, u32 window,
				     u32 events, u32 uid,
				     struct c2w_seen_hint *hint);
bool c2w_seen_hint_holds(const struct c2w_seen_hint *hint);
bool c2w_seen_check_hint(const struct c2w_seen_hint *hint, u32 window,
			 u32 events, enum c2w_seen_verdict *v);
bool c2w_seen_known(const struct c2w_seen_hint *hint, u32 window, u32 events);
bool c2w_seen_touch_known(const struct c2w_seen_hint *hint, u32 window,
			  u32 events);
bool c2w_seen_find_known(const struct c2w_rule_info *rule, const char *key,
			 u32 key_len, u32 window, u32 events,
			 struct c2w_seen_hint *hint);
bool c2w_seen_touch_found(const struct c2w_seen_hint *hint, u32 window,
			  u32 events);
int c2w_seen_set_capacity(u32 capacity);
u32 c2w_seen_capacity(void);
void c2w_seen_gauges(struct c2w_stats *st);
int c2w_seen_export(void __user *buf, u32 len, u32 *needed, u32 *count);
int c2w_seen_import(const void *buf, u32 len, const struct c2w_ruleset *rs,
		    u32 *count);
u32 c2w_seen_forget(const char *key, u32 key_len);
u32 c2w_seen_clear(void);

/* ---- each uid's share (uidshare.c) ---- */

#define C2W_UID_NONE	((u32)-1)	/* not accounted (imported entries) */

int c2w_uid_init(u32 capacity, u32 queue);
void c2w_uid_exit(void);
void c2w_uid_set_capacity(u32 capacity);
bool c2w_uid_seen_take(u32 uid);
void c2w_uid_seen_put(u32 uid);
bool c2w_uid_queue_take(u32 uid, u32 bytes);
void c2w_uid_queue_put(u32 uid, u32 bytes);
void c2w_uid_over(u32 uid, bool queue, const char *path, u32 len);
void c2w_uid_summarise(int (*put)(struct c2w_record_hdr *rec));

/* ---- record stream (stream.c) ---- */

/**
 * struct c2w_watcher - the record stream's second consumer
 * @record: called with every record, queued or dropped; must not sleep
 */
struct c2w_watcher {
	void (*record)(const struct c2w_record_hdr *rec);
};

int c2w_stream_init(u32 size);
void c2w_stream_exit(void);
int c2w_stream_put(struct c2w_record_hdr *rec);
ssize_t c2w_stream_read(char __user *buf, size_t count, bool nonblock);
__poll_t c2w_stream_poll(struct file *file, poll_table *wait);
u32 c2w_stream_size(void);
void c2w_stream_detach(bool on);
void c2w_stream_set_watcher(const struct c2w_watcher *w);
void c2w_config_record(u32 what, u64 value);
struct c2w_config_rec *c2w_config_record_make(u32 what, u64 value);

/* ---- device (chardev.c) ---- */

int c2w_chardev_init(void);
void c2w_chardev_exit(void);

/* ---- generic netlink (genl.c) ---- */

int c2w_genl_init(void);
void c2w_genl_exit(void);

#endif /* _C2WATCH_H */
