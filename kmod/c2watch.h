/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the files of the c2watch module.
 *
 *   main.c     module init/exit, parameters, configuration state
 *   probes.c   kretprobes on the connect paths, event gathering
 *   detect.c   evaluation against the RCU ruleset, alerts, statistics
 *   seen.c     the seen set (rhashtable) with new-terms windows
 *   queue.c    the record queue behind read() on /dev/c2watch
 *   chardev.c  /dev/c2watch: open/read/poll and the ioctls
 *   genl.c     generic netlink: status, and a multicast group of records
 *   rules.c    the pure-C rule core shared with userspace
 */
#ifndef _C2WATCH_H
#define _C2WATCH_H

#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/types.h>
#include <linux/c2watch.h>

#include "rules.h"

#define C2W_MODULE_VERSION "0.2.0"

/* ---- configuration (main.c) ---- */

/**
 * struct c2w_active_rules - the ruleset the probes evaluate, RCU-published
 * @rs: compiled ruleset
 */
struct c2w_active_rules {
	struct c2w_ruleset *rs;
};

extern struct c2w_active_rules __rcu *c2w_rules;
extern struct mutex c2w_config_lock;	/* serialises every configuration change */
extern bool c2w_enabled;
extern bool c2w_locked;
extern u32 c2w_default_window;

/* ---- statistics (detect.c) ---- */

/**
 * struct c2w_pcpu_stats - per-CPU counters, summed by c2w_stats_get()
 * @c: counters indexed by &enum c2w_stat
 */
enum c2w_stat {
	C2W_ST_HOOK_TCP4,
	C2W_ST_HOOK_TCP6,
	C2W_ST_HOOK_UDP4,
	C2W_ST_HOOK_UDP6,
	C2W_ST_IGNORED,
	C2W_ST_EVALUATED,
	C2W_ST_EXCLUDED,
	C2W_ST_MATCHED,
	C2W_ST_SUPPRESSED,
	C2W_ST_ALERTED,
	C2W_ST_DROPPED_ALERTS,
	C2W_ST_FAILED,
	C2W_ST_PROBE_NS,
	C2W_ST_MAX
};

struct c2w_pcpu_stats {
	u64 c[C2W_ST_MAX];
};

DECLARE_PER_CPU(struct c2w_pcpu_stats, c2w_pcpu_stats);

static inline void c2w_count(enum c2w_stat s, u64 n)
{
	this_cpu_add(c2w_pcpu_stats.c[s], n);
}

void c2w_stats_get(struct c2w_stats *st);

/* ---- events and detection (detect.c) ---- */

/**
 * struct c2w_conn - one outbound attempt as seen by a probe
 * @ev: the rule core's view; string values point into the scratch area
 * @scratch: this CPU's scratch area (holds this struct)
 * @exe: executable path once resolved (see c2w_resolve_exe())
 * @exe_len: its length
 * @name: basename of the executable
 * @name_len: its length
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
 * @ns_done: @comm, @mntns_ino and @mntns_init are filled in
 * @netns_ino: the socket's network namespace inode
 * @transport: &enum c2w_transport
 * @ret: the connect function's return value
 * @time_ns: CLOCK_REALTIME of the attempt
 */
struct c2w_scratch;

struct c2w_conn {
	struct c2w_event ev;
	struct c2w_scratch *scratch;
	const char *exe;
	u32 exe_len;
	const char *name;
	u32 name_len;
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
	u32 netns_ino;
	int transport;
	int ret;
	u64 time_ns;
};

int c2w_detect_init(void);
void c2w_detect_exit(void);
void c2w_detect(struct c2w_conn *conn);
struct c2w_scratch *c2w_scratch_get(void);
struct c2w_conn *c2w_scratch_conn(struct c2w_scratch *s);
int c2w_resolve_exe(struct c2w_event *ev);
void c2w_conn_fill_task(struct c2w_conn *c);
void c2w_conn_fill_net(struct c2w_conn *c, int family, int transport,
		       const void *saddr, u16 sport, const void *daddr,
		       u16 dport);

/* ---- probes (probes.c) ---- */

int c2w_probes_init(void);
void c2w_probes_exit(void);
u64 c2w_probes_missed(void);

/* ---- seen set (seen.c) ---- */

enum c2w_seen_verdict {
	C2W_SEEN_NEW,		/* not seen within the window: alert */
	C2W_SEEN_KNOWN,		/* seen within the window: suppress */
	C2W_SEEN_FULL,		/* could not be recorded: alert (fail open) */
};

int c2w_seen_init(u32 capacity);
void c2w_seen_stop(void);
void c2w_seen_exit(void);
enum c2w_seen_verdict c2w_seen_check(const struct c2w_rule_info *rule,
				     const char *key, u32 key_len, u32 window);
int c2w_seen_set_capacity(u32 capacity);
u32 c2w_seen_capacity(void);
void c2w_seen_stats(struct c2w_stats *st);
int c2w_seen_export(void __user *buf, u32 len, u32 *needed, u32 *count);
int c2w_seen_import(const void *buf, u32 len, const struct c2w_ruleset *rs,
		    u32 *count);
u32 c2w_seen_forget(const char *key, u32 key_len);
u32 c2w_seen_clear(void);

/* ---- record queue (queue.c) ---- */

int c2w_queue_init(u32 size);
void c2w_queue_exit(void);
int c2w_queue_put(struct c2w_record_hdr *rec);
ssize_t c2w_queue_read(char __user *buf, size_t count, bool nonblock);
__poll_t c2w_queue_poll(struct file *file, poll_table *wait);
u32 c2w_queue_size(void);
void c2w_queue_stats(struct c2w_stats *st);
void c2w_config_record(u32 what, u64 value);
void c2w_queue_detach(bool on);

/* ---- device (chardev.c) ---- */

int c2w_chardev_init(void);
void c2w_chardev_exit(void);
void c2w_fill_stats(struct c2w_stats *st);
void c2w_fill_config(struct c2w_config *c);

/* ---- generic netlink (genl.c) ---- */

int c2w_genl_init(void);
void c2w_genl_exit(void);
void c2w_genl_record(const struct c2w_record_hdr *rec);
void c2w_genl_stats(struct c2w_stats *st);

#endif /* _C2WATCH_H */
