/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * c2watch: in-kernel detection of a first outbound connection made by an
 * executable living in a suspicious place.
 *
 * This header is the only contract between the module and userspace. Rules:
 * fixed-width types only, no pointers (addresses travel as __u64), no implicit
 * padding, every reserved field must be zero, commands are never renumbered.
 *
 * Three surfaces:
 *  - ioctls on /dev/c2watch configure the module (rules, seen set, switches);
 *  - read() on /dev/c2watch returns a stream of variable-length records
 *    (alerts, lost-record notices, configuration changes);
 *  - the ruleset is a flat, self-describing blob (struct c2w_rs_header and
 *    the arrays that follow it), validated in full by the module.
 */
#ifndef _UAPI_LINUX_C2WATCH_H
#define _UAPI_LINUX_C2WATCH_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define C2W_UAPI_VERSION	2
#define C2W_DEVICE_NAME		"c2watch"

/* ------------------------------------------------------------------------ */
/* Limits */

#define C2W_MAX_RULES		64	/* rules in one ruleset */
#define C2W_MAX_CLAUSES		4096	/* clauses in one ruleset */
#define C2W_MAX_TESTS		16384	/* field tests in one ruleset */
#define C2W_MAX_STRTAB		(512 * 1024)
#define C2W_MAX_RULESET_SIZE	(2 * 1024 * 1024)
#define C2W_MAX_PATTERN		4096	/* bytes in one glob pattern */
#define C2W_RULE_ID_MAX		64	/* bytes in a rule id, NUL excluded */
#define C2W_RULE_NAME_MAX	256
#define C2W_PATH_MAX		4096	/* executable path in a record, NUL incl. */
#define C2W_COMM_LEN		16
#define C2W_MAX_WINDOW		(10U * 366 * 24 * 3600)	/* seconds */
#define C2W_MAX_SEEN_CAPACITY	(16U << 20)	/* seen-set entries */
#define C2W_MAX_SEEN_IMPORT	(64U << 20)	/* bytes of one import buffer */
#define C2W_MAX_KEY		8192	/* bytes of a new-terms key */
#define C2W_DEFAULT_WINDOW	(20U * 24 * 3600)	/* Elastic's now-20d */

/* ------------------------------------------------------------------------ */
/* Ruleset blob */

/*
 * Event fields a rule can test. String fields are matched with KQL wildcard
 * globs, ip fields with CIDRs, port fields with ranges; every field can be
 * tested for existence.
 */
enum c2w_field {
	C2W_FIELD_NONE = 0,
	C2W_FIELD_PROCESS_EXECUTABLE,	/* string, resolved lazily */
	C2W_FIELD_PROCESS_NAME,		/* string: basename of the executable */
	C2W_FIELD_SOURCE_IP,		/* ip */
	C2W_FIELD_DESTINATION_IP,	/* ip */
	C2W_FIELD_SOURCE_PORT,		/* port */
	C2W_FIELD_DESTINATION_PORT,	/* port */
	C2W_FIELD_NETWORK_TRANSPORT,	/* string: tcp, udp */
	C2W_FIELD_NETWORK_TYPE,		/* string: ipv4, ipv6 */
	C2W_FIELD_USER_ID,		/* string: decimal uid */
	C2W_FIELD_EVENT_ACTION,		/* string, multi-valued */
	C2W_FIELD_EVENT_CATEGORY,	/* string, multi-valued */
	C2W_FIELD_EVENT_TYPE,		/* string, multi-valued */
	C2W_FIELD_HOST_OS_TYPE,		/* string */
	C2W_FIELD_MAX
};

enum c2w_op {
	C2W_OP_NONE = 0,
	C2W_OP_GLOB,	/* string fields: str is a pattern, '*' and '\' */
	C2W_OP_EXISTS,	/* any field: the event has a value for it */
	C2W_OP_CIDR,	/* ip fields: addr/prefix, host bits zero */
	C2W_OP_RANGE,	/* port fields: port_lo <= port <= port_hi */
	C2W_OP_MAX
};

#define C2W_RS_MAGIC		0x52573243	/* "C2WR" little-endian */

/**
 * struct c2w_str - a string in the ruleset's string table
 * @off: offset from the start of the string table
 * @len: length in bytes; strings are not NUL-terminated and hold no NUL
 */
struct c2w_str {
	__u32 off;
	__u32 len;
};

/**
 * struct c2w_rs_header - start of a ruleset blob
 * @magic: %C2W_RS_MAGIC
 * @size: size of the whole blob in bytes
 * @n_rules: number of &struct c2w_rs_rule following the header
 * @n_clauses: number of &struct c2w_rs_clause following the rules
 * @n_tests: number of &struct c2w_rs_test following the clauses
 * @strtab_size: bytes of string table following the tests (end of blob)
 * @flags: zero
 * @reserved: zero
 *
 * The blob is exactly: header, rules[], clauses[], tests[], strtab[].
 * The arrays are partitioned in order: each rule owns the n_clauses clauses
 * after the previous rule's (the first from 0), each clause the n_tests
 * tests after the previous clause's, and every clause and test is owned.
 */
struct c2w_rs_header {
	__u32 magic;
	__u32 size;
	__u32 n_rules;
	__u32 n_clauses;
	__u32 n_tests;
	__u32 strtab_size;
	__u32 flags;
	__u32 reserved;
};

enum c2w_severity {
	C2W_SEV_LOW = 0,
	C2W_SEV_MEDIUM,
	C2W_SEV_HIGH,
	C2W_SEV_CRITICAL,
	C2W_SEV_MAX = C2W_SEV_CRITICAL
};

#define C2W_RULE_NEW_TERMS	(1U << 0)	/* alert once per key per window */
#define C2W_RULE_DISABLED	(1U << 1)	/* loaded but not evaluated */
/*
 * A local variant of the published rule its id names: it deviates from that
 * definition on purpose (its description says how). The module only carries
 * the flag; alerts report it (c2watch.rule.variant in the daemon's output).
 */
#define C2W_RULE_LOCAL_VARIANT	(1U << 2)
#define C2W_RULE_ALL_FLAGS	(C2W_RULE_NEW_TERMS | C2W_RULE_DISABLED | \
				 C2W_RULE_LOCAL_VARIANT)

/* Fields forming the new-terms key of a rule. host.id is constant on one host
 * and therefore accepted but contributes nothing to the key.
 */
#define C2W_NT_EXECUTABLE	(1U << 0)
#define C2W_NT_NAME		(1U << 1)
#define C2W_NT_USER_ID		(1U << 2)
#define C2W_NT_DESTINATION_IP	(1U << 3)
#define C2W_NT_HOST_ID		(1U << 4)
#define C2W_NT_ALL		((1U << 5) - 1)

/**
 * struct c2w_rs_rule - one rule
 * @id: rule id (e.g. Elastic rule_id), 1..%C2W_RULE_ID_MAX bytes, unique
 * @name: human-readable name, up to %C2W_RULE_NAME_MAX bytes
 * @tactic: MITRE ATT&CK tactic id carried into alerts, may be empty
 * @technique: MITRE ATT&CK technique id carried into alerts, may be empty
 * @first_clause: index of the rule's first clause
 * @n_clauses: number of clauses (1 or more); the rule is their AND
 * @window_secs: new-terms history window; 0 means the module default
 * @flags: %C2W_RULE_*
 * @new_terms: %C2W_NT_* fields of the new-terms key (0: process.executable)
 * @severity: &enum c2w_severity
 * @risk_score: 0..100
 * @reserved: zero
 */
struct c2w_rs_rule {
	struct c2w_str id;
	struct c2w_str name;
	struct c2w_str tactic;
	struct c2w_str technique;
	__u32 first_clause;
	__u32 n_clauses;
	__u32 window_secs;
	__u32 flags;
	__u32 new_terms;
	__u8 severity;
	__u8 risk_score;
	__u16 reserved;
};

#define C2W_CLAUSE_NEGATE	(1U << 0)
#define C2W_CLAUSE_ALL_FLAGS	C2W_CLAUSE_NEGATE

/**
 * struct c2w_rs_clause - an OR of field tests, optionally negated
 * @first_test: index of the first test
 * @n_tests: number of tests (1 or more)
 * @flags: %C2W_CLAUSE_*
 * @reserved: zero
 */
struct c2w_rs_clause {
	__u32 first_test;
	__u32 n_tests;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct c2w_rs_test - one field test
 * @field: &enum c2w_field
 * @op: &enum c2w_op, valid for the field's kind
 * @reserved0: zero
 * @str: %C2W_OP_GLOB pattern; zero otherwise
 * @addr: %C2W_OP_CIDR network address (IPv4 in the first 4 bytes, network
 *	byte order); zero otherwise
 * @family: %C2W_OP_CIDR: 4 or 6; zero otherwise
 * @prefix: %C2W_OP_CIDR prefix length; zero otherwise
 * @port_lo: %C2W_OP_RANGE lower bound (host byte order)
 * @port_hi: %C2W_OP_RANGE upper bound
 * @reserved1: zero
 */
struct c2w_rs_test {
	__u16 field;
	__u16 op;
	__u32 reserved0;
	struct c2w_str str;
	__u8 addr[16];
	__u8 family;
	__u8 prefix;
	__u16 port_lo;
	__u16 port_hi;
	__u16 reserved1;
};

/* ------------------------------------------------------------------------ */
/* Records read from /dev/c2watch */

enum c2w_record_type {
	C2W_REC_ALERT = 1,
	C2W_REC_LOST,
	C2W_REC_CONFIG,
	C2W_REC_MISSED,
	C2W_REC_UID_OVER,
};

#define C2W_REC_VERSION		2
#define C2W_REC_ALIGN		8

/**
 * struct c2w_record_hdr - start of every record
 * @size: bytes of the whole record, a multiple of %C2W_REC_ALIGN
 * @type: &enum c2w_record_type
 * @version: %C2W_REC_VERSION
 * @seq: sequence number; every record and every dropped record takes one,
 *	so a gap in the stream shows exactly how much was lost
 * @time_ns: CLOCK_REALTIME of the event
 *
 * Records grow at their end: a reader takes the fields it knows, skips
 * @size bytes to the next record, and ignores types it does not know. A
 * variable part (the path of an alert) is found through its offset, never
 * by the size of the structure the reader was built with.
 */
struct c2w_record_hdr {
	__u32 size;
	__u16 type;
	__u16 version;
	__u64 seq;
	__u64 time_ns;
};

/* Flags of an alert, reported as c2watch.* in the daemon's output. */
#define C2W_AF_EXE_DELETED	(1U << 0)	/* executable unlinked */
#define C2W_AF_EXE_MEMFD	(1U << 1)	/* executable is a memfd */
#define C2W_AF_PATH_TRUNCATED	(1U << 2)	/* path longer than the buffer */
#define C2W_AF_COMM_DIFFERS	(1U << 3)	/* comm is not the exe basename */
#define C2W_AF_MNTNS		(1U << 4)	/* not the initial mount ns */
#define C2W_AF_CHROOT		(1U << 5)	/* task is chrooted */
#define C2W_AF_CHROOT_UNRESOLVED (1U << 6)	/* chroot root not placeable */
#define C2W_AF_SEEN_FULL	(1U << 7)	/* seen set full: failed open */
#define C2W_AF_PATH_UNRESOLVED	(1U << 8)	/* no path at all */
/*
 * Not an alert: a match of a key already in the seen set, sent at most once
 * per key per &struct c2w_config.events_interval so that a SIEM can compute
 * new terms across hosts (c2watchd --events).
 */
#define C2W_AF_EVENT		(1U << 9)
/*
 * The process replaced its executable (prctl PR_SET_MM): the path is the
 * one it was executed from, not what /proc/PID/exe now shows.
 */
#define C2W_AF_EXE_REPLACED	(1U << 10)
#define C2W_AF_ALL		((1U << 11) - 1)

enum c2w_transport {
	C2W_TRANSPORT_TCP = 6,
	C2W_TRANSPORT_UDP = 17,
};

/**
 * struct c2w_alert - %C2W_REC_ALERT: a rule matched a new key (flagged
 *	%C2W_AF_EVENT: a known key, reported for fleet-wide new terms)
 * @hdr: common header
 * @pid: thread id of the connecting task
 * @tgid: process id
 * @ppid: parent process id
 * @uid: real uid
 * @euid: effective uid
 * @gid: real gid
 * @netns_ino: inode of the socket's network namespace
 * @mntns_ino: inode of the task's mount namespace
 * @cgroup_id: cgroup v2 id of the task
 * @flags: %C2W_AF_*
 * @connect_ret: return value of the protocol connect (0 or -errno)
 * @family: 4 or 6 (IPv4-mapped IPv6 destinations are reported as 4)
 * @transport: &enum c2w_transport
 * @severity: rule severity
 * @risk_score: rule risk score
 * @sport: source port, 0 when not known (host byte order)
 * @dport: destination port (host byte order)
 * @saddr: source address chosen for the connection (zero when unknown)
 * @daddr: destination address; IPv4 in the first 4 bytes
 * @comm: task comm, NUL-terminated
 * @rule_id: id of the rule that matched, NUL-terminated
 * @exe_len: length of the executable path without its NUL
 * @exe_off: offset of the path from the start of the record
 *	(c2w_alert_exe_at()); the path is NUL-terminated, from the mount
 *	namespace root (not the chroot), and followed by padding to
 *	%C2W_REC_ALIGN. Fields added later go before it. 0 in records of
 *	uapi 1, where the path follows the structure. For a task in another
 *	mount namespace, the path as the initial namespace sees the file
 *	(through a mount of its filesystem there); empty and flagged
 *	%C2W_AF_PATH_UNRESOLVED when its filesystem is mounted nowhere there
 * @ns_exe_len: length of the path as the task's own mount namespace shows
 *	it, when that differs from the one at @exe_off; 0 when it does not
 *	(and in records from before this field: check @exe_off first)
 * @ns_exe_off: its offset from the start of the record, NUL-terminated,
 *	after the one at @exe_off
 */
struct c2w_alert {
	struct c2w_record_hdr hdr;
	__u32 pid;
	__u32 tgid;
	__u32 ppid;
	__u32 uid;
	__u32 euid;
	__u32 gid;
	__u32 netns_ino;
	__u32 mntns_ino;
	__u64 cgroup_id;
	__u32 flags;
	__s32 connect_ret;
	__u8 family;
	__u8 transport;
	__u8 severity;
	__u8 risk_score;
	__u16 sport;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
	__u8 comm[C2W_COMM_LEN];
	__u8 rule_id[C2W_RULE_ID_MAX + 8];
	__u32 exe_len;
	__u32 exe_off;
	__u32 ns_exe_len;
	__u32 ns_exe_off;
};

#define C2W_ALERT_SIZE_VER0	208	/* before ns_exe_len */

/*
 * The largest record the module writes (an alert with both paths): a
 * read() buffer this size always takes the next record.
 */
#define C2W_RECORD_MAX		(216 + 2 * C2W_PATH_MAX)

/*
 * The path of alert @a. A reader checks first that exe_off + exe_len + 1
 * is within hdr.size.
 */
static __inline__ const char *c2w_alert_exe_at(const struct c2w_alert *a)
{
	return (const char *)a + (a->exe_off ? a->exe_off :
				  C2W_ALERT_SIZE_VER0);
}

/**
 * struct c2w_lost - %C2W_REC_LOST: records dropped because the queue was full
 * @hdr: common header
 * @lost: records dropped since the previous lost record
 * @total: records dropped since the module was loaded
 */
struct c2w_lost {
	struct c2w_record_hdr hdr;
	__u64 lost;
	__u64 total;
};

/**
 * struct c2w_uid_over - %C2W_REC_UID_OVER: a user went past its share
 *	(the uid_share parameter) of the seen set or of the queue; its
 *	excess, summarised here once a second, displaced no other user
 * @hdr: common header
 * @uid: the user
 * @reserved: zero
 * @seen: new keys of its not recorded (nor alerted) since the previous
 *	such record: its seen-set entries were its share
 * @queued: its alerts not queued since then: its alerts in the queue were
 *	its share
 * @total: both, since the module was loaded
 * @sample_len: length of @sample_off's path
 * @sample_off: offset of one of the executables concerned, NUL-terminated
 *	(cut to 255 bytes)
 */
struct c2w_uid_over {
	struct c2w_record_hdr hdr;
	__u32 uid;
	__u32 reserved;
	__u64 seen;
	__u64 queued;
	__u64 total;
	__u32 sample_len;
	__u32 sample_off;
};

/**
 * struct c2w_missed - %C2W_REC_MISSED: outbound attempts never evaluated
 * @hdr: common header
 * @missed: attempts the kernel gave no probe instance for, since the
 *	previous such record (checked every second)
 * @total: since the module was loaded (&struct c2w_stats.missed)
 */
struct c2w_missed {
	struct c2w_record_hdr hdr;
	__u64 missed;
	__u64 total;
};

enum c2w_config_what {
	C2W_CFG_RULES_LOADED = 1,	/* value: number of rules */
	C2W_CFG_ENABLED,		/* value: 1 enabled, 0 disabled */
	C2W_CFG_SEEN_CLEARED,		/* value: entries removed */
	C2W_CFG_SEEN_IMPORTED,		/* value: entries imported */
	C2W_CFG_SEEN_FORGOTTEN,		/* value: entries removed */
	C2W_CFG_CAPACITY,		/* value: new seen-set capacity */
	C2W_CFG_WINDOW,			/* value: new default window, seconds */
	C2W_CFG_LOCKED,			/* value: 1 */
	C2W_CFG_DETACH,			/* value: 1, the reader is asked to go */
	C2W_CFG_SEEN_MAX_BYTES,		/* value: new seen-set memory budget */
	C2W_CFG_READER_ATTACHED,	/* value: 1; the process is the reader */
	C2W_CFG_READER_DETACHED,	/* value: 1; the reader closed the device */
	/*
	 * value: 1 the probes stopped firing (every kprobe disarmed), 0 they
	 * fire again; the process named is the module's own worker, not who
	 * did it.
	 */
	C2W_CFG_PROBES_DISARMED,
	C2W_CFG_EVENTS_INTERVAL,	/* value: new events interval, seconds */
};

/**
 * struct c2w_config_rec - %C2W_REC_CONFIG: the configuration changed, or
 *	the reader changed
 * @hdr: common header
 * @what: &enum c2w_config_what
 * @pid: process that made the change
 * @uid: its real uid
 * @exe_len: length of its executable's path (0: none known)
 * @value: what changed to, see &enum c2w_config_what
 * @comm: its comm, NUL-terminated
 * @exe_off: offset of its executable's path from the start of the record,
 *	as in &struct c2w_alert (NUL-terminated, padded)
 * @flags: %C2W_AF_* about that path
 */
struct c2w_config_rec {
	struct c2w_record_hdr hdr;
	__u32 what;
	__u32 pid;
	__u32 uid;
	__u32 exe_len;
	__u64 value;
	__u8 comm[C2W_COMM_LEN];
	__u32 exe_off;
	__u32 flags;
};

/* ------------------------------------------------------------------------ */
/* ioctls */

#define C2W_IOC_MAGIC		0xC2

/**
 * struct c2w_version - answer of %C2W_IOC_GET_VERSION
 * @uapi_version: %C2W_UAPI_VERSION the module was built with
 * @reserved: zero
 * @module_version: NUL-terminated module version string
 */
struct c2w_version {
	__u32 uapi_version;
	__u32 reserved;
	__u8 module_version[32];
};

/**
 * struct c2w_buf - a userspace buffer
 * @ptr: address of the buffer
 * @len: its length in bytes; on return of a GET, the length needed
 * @flags: zero
 * @count: GET: number of items returned; SET: unused, zero
 * @reserved: zero
 */
struct c2w_buf {
	__u64 ptr;
	__u32 len;
	__u32 flags;
	__u32 count;
	__u32 reserved;
};

/* Settings a %C2W_IOC_SET_CONFIG changes: &struct c2w_config.mask. */
#define C2W_CONFIG_ENABLED		(1U << 0)
#define C2W_CONFIG_SEEN_CAPACITY	(1U << 1)
#define C2W_CONFIG_DEFAULT_WINDOW	(1U << 2)
#define C2W_CONFIG_EVENTS_INTERVAL	(1U << 3)
#define C2W_CONFIG_ALL			((1U << 4) - 1)

/**
 * struct c2w_config - module settings (%C2W_IOC_GET_CONFIG/SET_CONFIG)
 * @enabled: 1 evaluate connections, 0 do not
 * @locked: 1 after %C2W_IOC_LOCK (read-only: SET ignores it)
 * @seen_capacity: maximum seen-set entries, 1..%C2W_MAX_SEEN_CAPACITY
 * @default_window: window for rules with window_secs 0, 1..%C2W_MAX_WINDOW
 * @queue_size: bytes of the alert queue (read-only: SET ignores it)
 * @events_interval: 0 (the default) only new keys are reported; else a
 *	match of a key already seen is also reported, as a record flagged
 *	%C2W_AF_EVENT, at most once per key per this many seconds
 *	(1..%C2W_MAX_WINDOW): the raw matches a fleet-wide new-terms rule
 *	needs
 * @mask: SET: the %C2W_CONFIG_* settings to change, the others are left
 *	as they are whatever their field holds (so that what GET returned
 *	can be changed and sent back); unknown bits, and no bit at all (what
 *	a uapi 1 caller, which had no mask, sends), are refused. GET: every
 *	setting this module has.
 * @reserved: zero
 *
 * Extensible: the size is the one encoded in the ioctl number, so a
 * larger structure from a newer userspace is accepted when its unknown
 * tail is zero (else -E2BIG), and a smaller one from an older userspace
 * gets the fields it knows.
 */
struct c2w_config {
	__u32 enabled;
	__u32 locked;
	__u32 seen_capacity;
	__u32 default_window;
	__u32 queue_size;
	__u32 mask;
	__u32 events_interval;
	__u32 reserved;
};

#define C2W_CONFIG_SIZE_VER0	32	/* the first published size */

/* Hooks, indexing &struct c2w_stats.hook_hits. */
enum c2w_hook {
	C2W_HOOK_TCP4 = 0,
	C2W_HOOK_TCP6,
	C2W_HOOK_UDP4,
	C2W_HOOK_UDP6,
	C2W_HOOK_MAX
};

/* Datagram send hooks, indexing &struct c2w_stats.send_hits. */
enum c2w_send_hook {
	C2W_SEND_UDP4 = 0,
	C2W_SEND_UDP6,
	C2W_SEND_MAX
};

/**
 * struct c2w_stats - counters (%C2W_IOC_GET_STATS)
 *
 * Every hit of an outbound hook that is evaluated ends as exactly one of
 * @excluded, @suppressed, @alerted, @dropped_alerts or @failed, so
 * evaluated == excluded + suppressed + alerted + dropped_alerts + failed;
 * and every hook hit, connect or datagram send, is one of @ignored,
 * @evaluated or @send_memo.
 *
 * @hook_hits: hits per &enum c2w_hook, kernel threads and disabled state
 *	included
 * @ignored: hits not evaluated (kernel threads, module disabled, duplicates)
 * @evaluated: hits evaluated against the ruleset
 * @excluded: evaluated, no rule matched
 * @matched: evaluated, at least one rule matched
 * @suppressed: matched, but every key was already in the seen set
 * @alerted: alert records queued
 * @dropped_alerts: alerts dropped because the queue was full
 * @failed: evaluation failures (e.g. allocation), counted, never silent
 * @missed: kretprobe instances missed (hook hits the module never saw)
 * @records_queued: all records queued (alerts, config, lost notices)
 * @records_read: records handed to the reader
 * @records_dropped: records dropped because the queue was full
 * @seen_entries: entries in the seen set now
 * @seen_capacity: its capacity
 * @seen_bytes: memory held by seen-set entries
 * @seen_full: times the seen set was full and a detection failed open
 * @seen_expired: entries reaped after their window
 * @probe_ns_total: nanoseconds spent in evaluated hits, estimated from
 *	the timed ones (16 times their total)
 * @probe_ns_avg: nanoseconds per evaluation, averaged over the timed ones
 *	(one in 16)
 * @netlink_sent: records multicast to the generic netlink "alerts" group
 * @netlink_failed: records that could not be (allocation, socket errors)
 * @rules: rules loaded
 * @reserved: zero
 * @send_hits: hits per &enum c2w_send_hook: UDP datagrams sent with an
 *	explicit destination (sendto(), sendmsg() with a name), connected
 *	or not; datagrams without one are counted ignored (their socket's
 *	connect was evaluated)
 * @send_memo: datagram sends not evaluated because this socket of this
 *	process already was for this destination under these rules
 * @events: records flagged %C2W_AF_EVENT queued: matches of keys already
 *	seen, reported because &struct c2w_config.events_interval is set
 *	(such a match is counted suppressed, not alerted)
 * @exe_replaced: executables replaced by prctl(PR_SET_MM) and remembered:
 *	the process is judged by the file it was executed from
 * @exe_replaced_untracked: replacements that could not be remembered
 *	(table full, no memory); a prctl the probe missed counts in @missed
 * @exe_replaced_live: processes' replaced executables remembered now
 * @reserved2: zero
 * @uid_over: matches and alerts not recorded or queued because their uid
 *	held its share of the seen set or of the queue (summarised in
 *	%C2W_REC_UID_OVER records; a match counts in @dropped_alerts)
 * @exe_cache_hits: evaluations whose executable came from the cache of
 *	resolved executables (per process image; parameter exe_cache), or
 *	from the copy the CPU kept with its last match of that process
 *	image, itself from the cache
 * @exe_cache_misses: evaluations that resolved it in full and could have
 *	used the cache (stale, new, or the path is never cached)
 * @exe_cache_live: process images cached now
 * @reserved3: zero
 * @excluded_dst: of @excluded, attempts the destination alone ruled out,
 *	decided by the probe at once (every enabled rule excludes that
 *	address; nothing else of the attempt is read)
 * @seen_hinted: of the matches looked up in the seen set, those decided
 *	by where the executable cache said the key sits, without hashing
 *	and looking up the key (a known executable's repeated matches)
 * @excluded_exe: of @excluded, attempts the executable alone ruled out,
 *	decided by the probe at once from the executable cache (every
 *	enabled rule has a clause that this executable fails whatever else
 *	the attempt holds; nothing else of it is read). Also counted in
 *	@exe_cache_hits
 * @repeated: of @suppressed, matches the probe decided at once as a
 *	repeat of the last match evaluated in full on that CPU for the
 *	process image (a CPU keeps those of a few images): the same
 *	process image (its executable from the cache, nothing its path is
 *	made of changed), user, protocol, destination and port, under the
 *	same rules, and the seen-set entry of each matching rule's key
 *	still within its window with no event due (refreshed through
 *	@seen_hinted's shortcut, one count per key). The
 *	rules then read nothing else of the attempt: a connect's return
 *	probe does not run. Also counted in @exe_cache_hits and
 *	@seen_hinted
 * @known_at_probe: of @suppressed, matches the probe decided at once for
 *	a process image whose last match that CPU keeps (evaluated in full,
 *	or judged at the probe from one), to
 *	another destination, port, family or transport, or as another user
 *	(never 0.0.0.0 or ::): the rules walked with what they said of the
 *	executable then (nothing its path is made of changed, and no enabled
 *	clause on it is past their memo bits), the same rules matching,
 *	their keys' seen-set entries as for @repeated; or, for an attempt
 *	with another key than that match's (under a key made of the
 *	destination or the user too), each rule's key that differs looked
 *	up in the seen set (never recorded there), within its window with
 *	no event due; a key that was the key of the match before (a beacon
 *	between two servers), known where that one's sits, without the
 *	lookup. Also, for a process image that CPU keeps no match of but
 *	has found in the executable cache (a suspicious program's first
 *	attempt there, images taking turns, more than a CPU keeps): the
 *	rules walked with what the cache said of its executable, one rule
 *	matching, whose key is made of the executable alone and known where
 *	the cache said it sits, with no event due; that match is then kept
 *	for the repeats. Under
 *	rules that read the source, which a connect chooses as it runs,
 *	decided in the evaluation instead (a connect's return, a datagram's
 *	send), with the source it has there, the repeats included (nothing
 *	is @repeated then). Also counted in @exe_cache_hits, and in
 *	@seen_hinted for each key but those looked up
 * @exe_cache_lookups: lookups of the executable cache that found the
 *	process image, by an evaluation or by a probe's early decision. An
 *	attempt whose executable came from the cache (@exe_cache_hits)
 *	made one (two when the path could not be taken from what its CPU
 *	kept: 256 bytes or more, a hint that no longer holds, a task that
 *	moved to another CPU or a ruleset loaded while it connected; one
 *	more when the evaluation found its CPU's verdict on the process
 *	image stale, a rename or mount change anywhere since, and looked
 *	it up again); one judged by what its CPU kept for its process image
 *	(its verdict on the executable, its last match, each with the
 *	path), none
 *
 * Extensible as &struct c2w_config: counters are added at the end; an
 * older userspace gets the ones it knows, a newer one zeros after the ones
 * this module has.
 */
struct c2w_stats {
	__u64 hook_hits[C2W_HOOK_MAX];
	__u64 ignored;
	__u64 evaluated;
	__u64 excluded;
	__u64 matched;
	__u64 suppressed;
	__u64 alerted;
	__u64 dropped_alerts;
	__u64 failed;
	__u64 missed;
	__u64 records_queued;
	__u64 records_read;
	__u64 records_dropped;
	__u64 seen_entries;
	__u64 seen_capacity;
	__u64 seen_bytes;
	__u64 seen_full;
	__u64 seen_expired;
	__u64 probe_ns_total;
	__u64 probe_ns_avg;
	__u64 netlink_sent;
	__u64 netlink_failed;
	__u32 rules;
	__u32 reserved;
	__u64 send_hits[C2W_SEND_MAX];
	__u64 send_memo;
	__u64 events;
	__u64 exe_replaced;
	__u64 exe_replaced_untracked;
	__u32 exe_replaced_live;
	__u32 reserved2;
	__u64 uid_over;
	__u64 exe_cache_hits;
	__u64 exe_cache_misses;
	__u32 exe_cache_live;
	__u32 reserved3;
	__u64 excluded_dst;
	__u64 seen_hinted;
	__u64 excluded_exe;
	__u64 repeated;
	__u64 known_at_probe;
	__u64 exe_cache_lookups;
};

#define C2W_STATS_SIZE_VER0	208	/* the first published size */

/**
 * struct c2w_seen_rec - one seen-set entry in an export/import buffer
 * @size: bytes of this record including @data, multiple of 8
 * @rule_id_len: bytes of rule id at the start of @data
 * @key_len: bytes of key following the rule id
 * @first_seen: CLOCK_REALTIME seconds
 * @last_seen: CLOCK_REALTIME seconds
 * @hits: matches counted
 * @data: rule id then key, not NUL-terminated, padded to 8
 *
 * The key of a rule whose new-terms field is process.executable is the path.
 * With several new-terms fields the values are joined with a NUL byte.
 */
struct c2w_seen_rec {
	__u32 size;
	__u16 rule_id_len;
	__u16 key_len;
	__u64 first_seen;
	__u64 last_seen;
	__u64 hits;
	__u8 data[];
};

/**
 * struct c2w_seen_forget - %C2W_IOC_SEEN_FORGET argument
 * @key: address of the key
 * @key_len: its length
 * @flags: zero
 * @removed: out: entries removed (one per rule holding the key)
 * @reserved: zero
 */
struct c2w_seen_forget {
	__u64 key;
	__u32 key_len;
	__u32 flags;
	__u32 removed;
	__u32 reserved;
};

#define C2W_IOC_GET_VERSION	_IOR(C2W_IOC_MAGIC, 0x00, struct c2w_version)
/* Load a ruleset blob atomically; -EINVAL and nothing changes on error. */
#define C2W_IOC_SET_RULES	_IOW(C2W_IOC_MAGIC, 0x01, struct c2w_buf)
/* Copy the loaded blob out; -ENOSPC with len set when the buffer is short. */
#define C2W_IOC_GET_RULES	_IOWR(C2W_IOC_MAGIC, 0x02, struct c2w_buf)
/*
 * These three take the size of their structure from the ioctl number
 * (_IOC_SIZE), as pidfd's PIDFD_GET_INFO does: at least the first
 * published size, and any larger size a later header defines.
 */
#define C2W_IOC_GET_CONFIG	_IOR(C2W_IOC_MAGIC, 0x03, struct c2w_config)
#define C2W_IOC_SET_CONFIG	_IOW(C2W_IOC_MAGIC, 0x04, struct c2w_config)
#define C2W_IOC_GET_STATS	_IOR(C2W_IOC_MAGIC, 0x05, struct c2w_stats)
/* Export all seen entries as c2w_seen_rec; -ENOSPC with len when short. */
#define C2W_IOC_SEEN_EXPORT	_IOWR(C2W_IOC_MAGIC, 0x06, struct c2w_buf)
/*
 * Import c2w_seen_rec entries (merged: earliest first, latest last seen),
 * each kept for its rule's window as loaded now (else the default window).
 */
#define C2W_IOC_SEEN_IMPORT	_IOWR(C2W_IOC_MAGIC, 0x07, struct c2w_buf)
#define C2W_IOC_SEEN_FORGET	_IOWR(C2W_IOC_MAGIC, 0x08, struct c2w_seen_forget)
#define C2W_IOC_SEEN_CLEAR	_IO(C2W_IOC_MAGIC, 0x09)
/* No configuration change and no unload until reboot. */
#define C2W_IOC_LOCK		_IO(C2W_IOC_MAGIC, 0x0a)
/*
 * Ask the reader to let go of the device (before an unload): once the queue
 * is drained its read() returns 0 and poll() reports EPOLLHUP. Cleared when
 * the reader closes the device.
 */
#define C2W_IOC_DETACH_READER	_IO(C2W_IOC_MAGIC, 0x0b)

/* ------------------------------------------------------------------------ */
/* Generic netlink */

#define C2W_GENL_NAME		"c2watch"
#define C2W_GENL_VERSION	1
#define C2W_GENL_MCGRP_ALERTS	"alerts"

/*
 * The family "c2watch" serves operators who want to watch without
 * disturbing the daemon, which owns /dev/c2watch. Configuration stays on the
 * ioctl path. Only the initial network namespace is served.
 *
 * C2W_CMD_GET_STATUS: any user (the reply holds aggregate counters and
 * settings, no paths, no addresses). Request: no attributes. Reply:
 *
 *    C2W_A_VERSION: NLA_U32, C2W_UAPI_VERSION
 *    C2W_A_MODULE_VERSION: NLA_NUL_STRING
 *    C2W_A_STATS: NLA_BINARY, struct c2w_stats
 *    C2W_A_CONFIG: NLA_BINARY, struct c2w_config
 *
 *    Both are extensible the way the ioctls are: the attribute's length is
 *    the module's size of the structure; a reader takes what it knows of
 *    it and zero-fills the rest when the attribute is shorter.
 *
 * C2W_CMD_RECORD, multicast on the group "alerts", which only CAP_SYS_ADMIN
 * may join (alerts reveal other users' activity). One message per record
 * the device queue receives, including those the queue had to drop; built
 * only while the group has listeners:
 *
 *    C2W_A_RECORD: NLA_BINARY, the record exactly as read() returns it
 *                  (struct c2w_record_hdr first); its seq lets a listener
 *                  count what it missed
 */
enum c2w_genl_cmd {
	C2W_CMD_UNSPEC,
	C2W_CMD_GET_STATUS,
	C2W_CMD_RECORD,
	__C2W_CMD_MAX
};

#define C2W_CMD_MAX (__C2W_CMD_MAX - 1)

enum c2w_genl_attr {
	C2W_A_UNSPEC,
	C2W_A_PAD,
	C2W_A_VERSION,
	C2W_A_MODULE_VERSION,
	C2W_A_STATS,
	C2W_A_CONFIG,
	C2W_A_RECORD,
	__C2W_A_MAX
};

#define C2W_A_MAX (__C2W_A_MAX - 1)

#endif /* _UAPI_LINUX_C2WATCH_H */
