/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The c2watch rule core: validation and compilation of a ruleset blob
 * (include/uapi/linux/c2watch.h) and evaluation of events against it.
 *
 * Pure C with no kernel dependency beyond core_types.h: the same source is
 * built into the module and into userspace (c2watchctl eval, unit tests,
 * benchmarks), so what is tested in userspace is what runs in the probe.
 *
 * Evaluation never allocates, never sleeps and runs in bounded time: it is
 * called from kprobe context.
 */
#ifndef _C2W_RULES_H
#define _C2W_RULES_H

#include "core_types.h"
#include "match.h"
#include <linux/c2watch.h>

#define C2W_EV_MAX_VALS 4

/**
 * struct c2w_sv - one string value of an event field
 * @s: the bytes, not necessarily NUL-terminated
 * @len: their number
 */
struct c2w_sv {
	const char *s;
	u32 len;
};

#define C2W_FBIT(f) (1U << (f))

/*
 * The fields whose values the module's events take from the attempt's
 * address family and transport alone: a clause testing nothing else has
 * one outcome per family and transport (c2w_rs_const_eval()).
 */
#define C2W_CONST_FIELDS (C2W_FBIT(C2W_FIELD_EVENT_ACTION) |		\
			  C2W_FBIT(C2W_FIELD_EVENT_CATEGORY) |		\
			  C2W_FBIT(C2W_FIELD_EVENT_TYPE) |		\
			  C2W_FBIT(C2W_FIELD_HOST_OS_TYPE) |		\
			  C2W_FBIT(C2W_FIELD_NETWORK_TRANSPORT) |	\
			  C2W_FBIT(C2W_FIELD_NETWORK_TYPE))

/**
 * struct c2w_event - the fields of one event, as the rule core sees them
 * @present: C2W_FBIT(field) for every field the event has
 * @lazy: fields @resolve can still fill in; evaluation calls it the first
 *	time a clause needs one of them (path resolution is the costly part
 *	of an event and is skipped when cheap clauses already decide)
 * @head_only: string fields whose single value is only the leading part of
 *	the real value (a path too long to resolve); include tests on them
 *	match when the real value could match, exclude tests only when it
 *	must match, so truncation cannot be used to escape detection
 * @src_family: 4 or 6 when %C2W_FIELD_SOURCE_IP is present
 * @dst_family: 4 or 6 when %C2W_FIELD_DESTINATION_IP is present
 * @sport: source port
 * @dport: destination port
 * @src: source address, IPv4 in the first 4 bytes (network order)
 * @dst: destination address, same layout
 * @nv: number of values of each string field
 * @sv: values of each string field
 * @memo: with @memo_set, whether each clause's tests on process.executable
 *	and process.name hold, by memo index: what c2w_rs_proc_eval() gave
 *	for the same executable under the same ruleset, taken instead of
 *	matching the globs again
 * @memo_set: @memo holds
 * @cmemo: with @cmemo_set, whether each clause testing only
 *	%C2W_CONST_FIELDS holds, by its constant-memo index: what
 *	c2w_rs_const_eval() gave for an event with the same values of those
 *	fields under the same ruleset
 * @cmemo_set: @cmemo holds
 * @resolve: fills @lazy fields (may set @present and @head_only bits);
 *	returns 0 or a negative errno; always clears @lazy. Only
 *	process.executable and process.name may be lazy: a clause's other
 *	tests run before it is called, and with @memo_set only a clause on
 *	them past the memo bits calls it
 * @ctx: for @resolve
 */
struct c2w_event {
	u32 present;
	u32 lazy;
	u32 head_only;
	u8 src_family;
	u8 dst_family;
	u16 sport;
	u16 dport;
	u8 src[16];
	u8 dst[16];
	u64 memo;
	bool memo_set;
	bool cmemo_set;
	u64 cmemo;
	u8 nv[C2W_FIELD_MAX];
	struct c2w_sv sv[C2W_FIELD_MAX][C2W_EV_MAX_VALS];
	int (*resolve)(struct c2w_event *ev);
	void *ctx;
};

/**
 * struct c2w_rule_info - what the rest of c2watch needs to know of a rule
 * @id: rule id (not NUL-terminated), @id_len bytes
 * @id_len: length of @id
 * @name: rule name, @name_len bytes
 * @name_len: length of @name
 * @tactic: MITRE ATT&CK tactic id, @tactic_len bytes
 * @tactic_len: length of @tactic
 * @technique: MITRE ATT&CK technique id, @technique_len bytes
 * @technique_len: length of @technique
 * @window_secs: new-terms window (0: module default)
 * @flags: %C2W_RULE_*
 * @new_terms: %C2W_NT_* (never 0 for a new-terms rule: defaults applied)
 * @severity: &enum c2w_severity
 * @risk_score: 0..100
 * @n_clauses: clauses of the rule
 * @id_hash: c2w_id_hash() of @id, made once: the seen set hashes the id
 *	of a rule's key with it (seen.c)
 */
struct c2w_rule_info {
	const char *id;
	u32 id_len;
	u32 id_hash;
	const char *name;
	u32 name_len;
	const char *tactic;
	u32 tactic_len;
	const char *technique;
	u32 technique_len;
	u32 window_secs;
	u32 flags;
	u32 new_terms;
	u8 severity;
	u8 risk_score;
	u32 n_clauses;
};

/**
 * struct c2w_rs_error - where and why a ruleset blob was refused
 * @rule: index of the offending rule, or -1
 * @clause: index of the offending clause, or -1
 * @test: index of the offending test, or -1
 * @msg: static description
 */
struct c2w_rs_error {
	int rule;
	int clause;
	int test;
	const char *msg;
};

/**
 * struct c2w_rs_view - where each array of a ruleset blob starts
 * @h: the header
 * @rules: h->n_rules rules
 * @clauses: h->n_clauses clauses
 * @tests: h->n_tests tests
 * @strtab: h->strtab_size bytes of strings
 */
struct c2w_rs_view {
	const struct c2w_rs_header *h;
	const struct c2w_rs_rule *rules;
	const struct c2w_rs_clause *clauses;
	const struct c2w_rs_test *tests;
	const char *strtab;
};

/*
 * The one view of a blob's layout, for the validator and for the readers of
 * a blob it accepted (the decompiler, the host check, the daemon, tests).
 * Computed from the header alone: check the sizes first.
 */
static inline void c2w_rs_view(const void *blob, struct c2w_rs_view *v)
{
	v->h = (const struct c2w_rs_header *)blob;
	v->rules = (const struct c2w_rs_rule *)(v->h + 1);
	v->clauses = (const struct c2w_rs_clause *)(v->rules + v->h->n_rules);
	v->tests = (const struct c2w_rs_test *)(v->clauses + v->h->n_clauses);
	v->strtab = (const char *)(v->tests + v->h->n_tests);
}

struct c2w_ruleset;

#ifndef __KERNEL__
int c2w_rs_compile(const void *blob, u32 size, struct c2w_ruleset **out,
		   struct c2w_rs_error *err);
#endif
int c2w_rs_compile_owned(void *blob, u32 size, struct c2w_ruleset **out,
			 struct c2w_rs_error *err);
void c2w_rs_free(struct c2w_ruleset *rs);
u32 c2w_rs_count(const struct c2w_ruleset *rs);
const struct c2w_rule_info *c2w_rs_rule(const struct c2w_ruleset *rs, u32 i);
const void *c2w_rs_blob(const struct c2w_ruleset *rs, u32 *size);
u64 c2w_rs_eval(const struct c2w_ruleset *rs, struct c2w_event *ev);
bool c2w_rs_dst_excludes(const struct c2w_ruleset *rs, int family,
			 const u8 *addr);
u64 c2w_rs_const_eval(const struct c2w_ruleset *rs, struct c2w_event *ev);
bool c2w_rs_needs_const(const struct c2w_ruleset *rs);
bool c2w_rs_reads_source(const struct c2w_ruleset *rs);
bool c2w_rs_memo_excludes(const struct c2w_ruleset *rs, u64 memo);
#ifndef __KERNEL__
bool c2w_rs_excludes_walked(const struct c2w_ruleset *rs, int family,
			    const u8 *addr, u64 memo, bool by_memo);
#endif
bool c2w_rs_memo_decides(const struct c2w_ruleset *rs);
bool c2w_rs_memo_whole(const struct c2w_ruleset *rs);
u64 c2w_rs_proc_eval(const struct c2w_ruleset *rs, struct c2w_event *ev);
int c2w_rs_find(const struct c2w_ruleset *rs, const char *id, u32 id_len);
u32 c2w_id_hash(const char *id, u32 len);
const char *c2w_nt_key(const struct c2w_rule_info *rule,
		       const struct c2w_event *ev, char *buf, u32 cap,
		       u32 *len);

#ifndef __KERNEL__
/* For tools and tests (c2watchctl eval --explain); not in the module. */
bool c2w_rule_eval(const struct c2w_ruleset *rs, u32 i, struct c2w_event *ev,
		   int *decider);
#endif
void c2w_event_set_ip(struct c2w_event *ev, int field, int family,
		      const u8 *addr);
void c2w_event_add_str(struct c2w_event *ev, int field, const char *s,
		       u32 len);
int c2w_field_kind(int field);

enum c2w_field_kind {
	C2W_KIND_NONE = 0,
	C2W_KIND_STR,
	C2W_KIND_IP,
	C2W_KIND_PORT,
};

#endif /* _C2W_RULES_H */
