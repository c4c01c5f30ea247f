// SPDX-License-Identifier: GPL-2.0
/*
 * The c2watch rule core, shared by the module and userspace (see rules.h).
 *
 * A ruleset blob is validated in full, then compiled into a form that makes
 * evaluation cheap:
 *  - each clause's tests are grouped by field; CIDRs of one field become a
 *    sorted array of disjoint address intervals searched by bisection, so a
 *    hundred prefixes cost seven comparisons, not a hundred;
 *  - globs are split at their stars into literal segments once, so matching
 *    is a prefix compare, a suffix compare and a few forward searches;
 *  - a rule's clauses are ordered by cost: network tests first, strings
 *    next, the executable path last, so the path is resolved only when a
 *    rule still needs it.
 * Everything compiled lives in one allocation sized in a first pass.
 */
#include "rules.h"

struct globset {
	const struct c2w_glob *g;
	u32 n;
};

/* Index 0 is source, 1 is destination, for ip and port sets. */
struct cclause {
	u32 fields;		/* C2W_FBIT of every field tested */
	u32 exists;		/* fields tested for existence */
	u32 negate;
	u32 cost;
	u32 memo;		/* bit in c2w_event.memo, or NO_MEMO */
	u32 cmemo;		/* bit in c2w_event.cmemo, or NO_MEMO */
	u32 strs;		/* C2W_FBIT of the fields with globs */
	bool dst_decides;	/* see c2w_rs_dst_excludes() */
	bool proc_decides;	/* see c2w_rs_memo_excludes() */
#ifndef __KERNEL__
	u32 blob_index;		/* c2watchctl eval --explain */
#endif
	const struct c2w_iv4 *ip4[2];
	u32 n_ip4[2];
	u64 oct4[2][4];		/* first bytes in ip4's intervals (in_ip4()) */
	const struct c2w_iv6 *ip6[2];
	u32 n_ip6[2];
	const struct c2w_ivport *port[2];
	u32 n_port[2];
	struct globset str[C2W_FIELD_MAX];
};

/*
 * With an event's two memos in hand (a known executable's attempt, walked
 * with what the rules said of it: c2w_rs_eval()), the clauses they decide
 * alone are tested by masks: @need, the memo bits of the clauses on the
 * executable alone, @want the value each must have for its clause to pass
 * (set: it holds, unless negated); @cneed and @cwant the same of the
 * constant memo. @rest: the clauses left (addresses, ports, the user, a
 * clause on the executable with other tests too, one past the memo bits),
 * by index, in evaluation order; @masked when the rule has at most 64
 * clauses, so that @rest can name them all. The probes' prefilters by the
 * destination and by the executable alone (every_rule_fails()) read two
 * more: @dst_cl, the clauses the destination decides alone (set only when
 * @masked), and @pneed, the memo bits of the clauses the executable
 * decides alone, with @pfail the value of each that fails its clause.
 */
struct crule {
	struct c2w_rule_info info;
	const struct cclause *cl;
	u32 n_cl;
	bool masked;
	u64 need, want, cneed, cwant, rest;
	u64 dst_cl, pneed, pfail;
};

/* Tests on the executable: memoised per process image. */
#define PROC_FIELDS	(C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE) | \
			 C2W_FBIT(C2W_FIELD_PROCESS_NAME))
#define SRC_FIELDS	(C2W_FBIT(C2W_FIELD_SOURCE_IP) | \
			 C2W_FBIT(C2W_FIELD_SOURCE_PORT))
#define NO_MEMO		64

struct c2w_ruleset {
	struct crule *rules;
	u32 n_rules;
	u32 n_memo;		/* clauses with a memo bit */
	u32 n_cmemo;		/* clauses with a constant-memo bit */
	bool dst_all;		/* every enabled rule has a dst_decides clause */
	bool proc_all;		/* every enabled rule has a proc_decides one */
	bool needs_const;	/* see c2w_rs_needs_const() */
	bool reads_src;		/* see c2w_rs_reads_source() */
	bool memo_short;	/* see c2w_rs_memo_whole() */
	u32 blob_size;
	void *blob;		/* the validated blob, owned, for read-back */
};

/* ------------------------------------------------------------------------ */
/* Fields */

static const u8 field_kind[C2W_FIELD_MAX] = {
	[C2W_FIELD_PROCESS_EXECUTABLE]	= C2W_KIND_STR,
	[C2W_FIELD_PROCESS_NAME]	= C2W_KIND_STR,
	[C2W_FIELD_SOURCE_IP]		= C2W_KIND_IP,
	[C2W_FIELD_DESTINATION_IP]	= C2W_KIND_IP,
	[C2W_FIELD_SOURCE_PORT]		= C2W_KIND_PORT,
	[C2W_FIELD_DESTINATION_PORT]	= C2W_KIND_PORT,
	[C2W_FIELD_NETWORK_TRANSPORT]	= C2W_KIND_STR,
	[C2W_FIELD_NETWORK_TYPE]	= C2W_KIND_STR,
	[C2W_FIELD_USER_ID]		= C2W_KIND_STR,
	[C2W_FIELD_EVENT_ACTION]	= C2W_KIND_STR,
	[C2W_FIELD_EVENT_CATEGORY]	= C2W_KIND_STR,
	[C2W_FIELD_EVENT_TYPE]		= C2W_KIND_STR,
	[C2W_FIELD_HOST_OS_TYPE]	= C2W_KIND_STR,
};

/**
 * c2w_field_kind() - the kind of an event field
 * @field: &enum c2w_field
 *
 * Return: &enum c2w_field_kind, %C2W_KIND_NONE for an unknown field.
 */
int c2w_field_kind(int field)
{
	if (field <= C2W_FIELD_NONE || field >= C2W_FIELD_MAX)
		return C2W_KIND_NONE;
	return field_kind[field];
}

static u32 field_cost(int field)
{
	switch (field_kind[field]) {
	case C2W_KIND_IP:
	case C2W_KIND_PORT:
		return 0;
	default:
		if (field == C2W_FIELD_PROCESS_EXECUTABLE ||
		    field == C2W_FIELD_PROCESS_NAME)
			return 2;
		return 1;
	}
}

/* ------------------------------------------------------------------------ */
/* Events */

static const u8 v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/**
 * c2w_event_set_ip() - set an ip field, folding IPv4-mapped IPv6 to IPv4
 * @ev: event
 * @field: %C2W_FIELD_SOURCE_IP or %C2W_FIELD_DESTINATION_IP
 * @family: 4 or 6
 * @addr: 4 or 16 bytes in network order
 */
void c2w_event_set_ip(struct c2w_event *ev, int field, int family,
		      const u8 *addr)
{
	u8 *dst = field == C2W_FIELD_SOURCE_IP ? ev->src : ev->dst;
	u8 *fam = field == C2W_FIELD_SOURCE_IP ? &ev->src_family :
						 &ev->dst_family;

	/* Sizes known to the compiler: moves, not a call (every attempt). */
	memset(dst, 0, 16);
	if (family == 6 && !memcmp(addr, v4mapped_prefix, 12)) {
		family = 4;
		addr += 12;
	}
	if (family == 4)
		memcpy(dst, addr, 4);
	else
		memcpy(dst, addr, 16);
	*fam = family;
	ev->present |= C2W_FBIT(field);
}

/**
 * c2w_event_add_str() - add a value to a string field
 * @ev: event
 * @field: a string field
 * @s: the value (kept by reference)
 * @len: its length
 *
 * Values beyond %C2W_EV_MAX_VALS are ignored.
 */
void c2w_event_add_str(struct c2w_event *ev, int field, const char *s,
		       u32 len)
{
	if (ev->nv[field] >= C2W_EV_MAX_VALS)
		return;
	ev->sv[field][ev->nv[field]].s = s;
	ev->sv[field][ev->nv[field]].len = len;
	ev->nv[field]++;
	ev->present |= C2W_FBIT(field);
}

/* ------------------------------------------------------------------------ */
/* Validation */

static bool str_ok(const struct c2w_rs_view *l, const struct c2w_str *s,
		   u32 max)
{
	if (s->len > max || s->off > l->h->strtab_size ||
	    s->len > l->h->strtab_size - s->off)
		return false;
	return !memchr(l->strtab + s->off, '\0', s->len);
}

static int fail(struct c2w_rs_error *e, int rule, int clause, int test,
		const char *msg)
{
	e->rule = rule;
	e->clause = clause;
	e->test = test;
	e->msg = msg;
	return -EINVAL;
}

static int check_test(const struct c2w_rs_view *l, const struct c2w_rs_test *t,
		      struct c2w_rs_error *e, int ti)
{
	static const struct c2w_rs_test z;
	int kind = c2w_field_kind(t->field);
	u32 n_seg;

	if (kind == C2W_KIND_NONE)
		return fail(e, -1, -1, ti, "unknown field");
	if (t->reserved0 || t->reserved1)
		return fail(e, -1, -1, ti, "reserved field not zero");
	switch (t->op) {
	case C2W_OP_EXISTS:
		if (memcmp(&t->str, &z.str, sizeof(t->str)) ||
		    memchr_inv(t->addr, 0, sizeof(t->addr)) || t->family ||
		    t->prefix || t->port_lo || t->port_hi)
			return fail(e, -1, -1, ti, "exists test with operands");
		return 0;
	case C2W_OP_GLOB:
		if (kind != C2W_KIND_STR)
			return fail(e, -1, -1, ti, "glob on a non-string field");
		if (memchr_inv(t->addr, 0, sizeof(t->addr)) || t->family ||
		    t->prefix || t->port_lo || t->port_hi)
			return fail(e, -1, -1, ti, "glob test with other operands");
		if (!str_ok(l, &t->str, C2W_MAX_PATTERN))
			return fail(e, -1, -1, ti, "pattern out of bounds or has NUL");
		if (c2w_glob_check(l->strtab + t->str.off, t->str.len, &n_seg))
			return fail(e, -1, -1, ti, "pattern ends with a lone '\\'");
		return 0;
	case C2W_OP_CIDR: {
		struct c2w_u128 a, m;

		if (kind != C2W_KIND_IP)
			return fail(e, -1, -1, ti, "CIDR on a non-ip field");
		if (t->str.off || t->str.len || t->port_lo || t->port_hi)
			return fail(e, -1, -1, ti, "CIDR test with other operands");
		if (t->family == 4) {
			if (t->prefix > 32 || memchr_inv(t->addr + 4, 0, 12))
				return fail(e, -1, -1, ti, "bad IPv4 prefix");
			if (get_unaligned_be32(t->addr) & c2w_v4_hostmask(t->prefix))
				return fail(e, -1, -1, ti, "CIDR has host bits set");
			return 0;
		}
		if (t->family != 6)
			return fail(e, -1, -1, ti, "CIDR family not 4 or 6");
		if (t->prefix > 128)
			return fail(e, -1, -1, ti, "bad IPv6 prefix");
		a = c2w_u128_get(t->addr);
		m = c2w_u128_hostmask(t->prefix);
		if ((a.hi & m.hi) || (a.lo & m.lo))
			return fail(e, -1, -1, ti, "CIDR has host bits set");
		return 0;
	}
	case C2W_OP_RANGE:
		if (kind != C2W_KIND_PORT)
			return fail(e, -1, -1, ti, "range on a non-port field");
		if (t->str.off || t->str.len ||
		    memchr_inv(t->addr, 0, sizeof(t->addr)) || t->family || t->prefix)
			return fail(e, -1, -1, ti, "range test with other operands");
		if (t->port_lo > t->port_hi)
			return fail(e, -1, -1, ti, "range with lo > hi");
		return 0;
	default:
		return fail(e, -1, -1, ti, "unknown operator");
	}
}

static int check_blob(const void *blob, u32 size, struct c2w_rs_view *l,
		      struct c2w_rs_error *e)
{
	const struct c2w_rs_header *h = blob;
	u32 i, j, next = 0;
	u64 need;

	if (size < sizeof(*h))
		return fail(e, -1, -1, -1, "blob smaller than its header");
	if (h->magic != C2W_RS_MAGIC)
		return fail(e, -1, -1, -1, "bad magic");
	if (h->size != size)
		return fail(e, -1, -1, -1, "header size does not match blob size");
	if (h->flags || h->reserved)
		return fail(e, -1, -1, -1, "reserved header field not zero");
	if (size > C2W_MAX_RULESET_SIZE)
		return fail(e, -1, -1, -1, "ruleset too large");
	if (!h->n_rules || h->n_rules > C2W_MAX_RULES)
		return fail(e, -1, -1, -1, "rule count out of range");
	if (h->n_clauses > C2W_MAX_CLAUSES || h->n_tests > C2W_MAX_TESTS ||
	    h->strtab_size > C2W_MAX_STRTAB)
		return fail(e, -1, -1, -1, "clause, test or string count too large");
	need = sizeof(*h) + (u64)h->n_rules * sizeof(struct c2w_rs_rule) +
	       (u64)h->n_clauses * sizeof(struct c2w_rs_clause) +
	       (u64)h->n_tests * sizeof(struct c2w_rs_test) + h->strtab_size;
	if (need != size)
		return fail(e, -1, -1, -1, "counts do not add up to the blob size");

	c2w_rs_view(blob, l);

	for (i = 0; i < h->n_tests; i++)
		if (check_test(l, &l->tests[i], e, i))
			return -EINVAL;
	for (i = 0; i < h->n_clauses; i++) {
		const struct c2w_rs_clause *c = &l->clauses[i];

		if (c->reserved || (c->flags & ~C2W_CLAUSE_ALL_FLAGS))
			return fail(e, -1, i, -1, "unknown clause flags");
		if (!c->n_tests || c->first_test > h->n_tests ||
		    c->n_tests > h->n_tests - c->first_test)
			return fail(e, -1, i, -1, "clause tests out of range");
		/*
		 * Partitioned: each clause owns the tests after the previous
		 * clause's. Shared or overlapping ranges would let a small
		 * blob cost a compile quadratic in its size.
		 */
		if (c->first_test != next)
			return fail(e, -1, i, -1, "clause tests not after the previous clause's");
		next += c->n_tests;
	}
	if (next != h->n_tests)
		return fail(e, -1, -1, -1, "tests that no clause owns");
	next = 0;
	for (i = 0; i < h->n_rules; i++) {
		const struct c2w_rs_rule *r = &l->rules[i];

		if (r->reserved || (r->flags & ~C2W_RULE_ALL_FLAGS) ||
		    (r->new_terms & ~C2W_NT_ALL))
			return fail(e, i, -1, -1, "unknown rule flags");
		if (!r->id.len || !str_ok(l, &r->id, C2W_RULE_ID_MAX))
			return fail(e, i, -1, -1, "rule id empty, too long or bad");
		if (!str_ok(l, &r->name, C2W_RULE_NAME_MAX) ||
		    !str_ok(l, &r->tactic, 32) ||
		    !str_ok(l, &r->technique, 32))
			return fail(e, i, -1, -1, "rule string out of bounds");
		if (r->severity > C2W_SEV_MAX || r->risk_score > 100)
			return fail(e, i, -1, -1, "severity or risk score out of range");
		if (r->window_secs > C2W_MAX_WINDOW)
			return fail(e, i, -1, -1, "window too long");
		if (!r->n_clauses || r->first_clause > h->n_clauses ||
		    r->n_clauses > h->n_clauses - r->first_clause)
			return fail(e, i, -1, -1, "rule clauses out of range");
		if (r->first_clause != next)
			return fail(e, i, -1, -1, "rule clauses not after the previous rule's");
		next += r->n_clauses;
		for (j = 0; j < i; j++) {
			const struct c2w_rs_rule *o = &l->rules[j];

			if (o->id.len == r->id.len &&
			    !memcmp(l->strtab + o->id.off,
				    l->strtab + r->id.off, r->id.len))
				return fail(e, i, -1, -1, "duplicate rule id");
		}
	}
	if (next != h->n_clauses)
		return fail(e, -1, -1, -1, "clauses that no rule owns");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Compilation */

struct arena {
	char *p;
	size_t used, cap;
};

static void *take(struct arena *a, size_t n)
{
	void *p;

	n = ALIGN(n, 8);
	if (n > a->cap - a->used)	/* sized in pass 1: cannot happen */
		return NULL;
	p = a->p + a->used;
	a->used += n;
	return p;
}

/* How many entries each array of a compiled clause gets, at most. */
struct counts {
	u32 globs[C2W_FIELD_MAX];
	u32 cidrs[2];
	u32 ports[2];
	size_t glob_bytes;
};

static void clause_counts(const struct c2w_rs_view *l,
			  const struct c2w_rs_clause *c, struct counts *n)
{
	u32 i, n_seg;

	memset(n, 0, sizeof(*n));
	for (i = 0; i < c->n_tests; i++) {
		const struct c2w_rs_test *t = &l->tests[c->first_test + i];
		int side = t->field == C2W_FIELD_DESTINATION_IP ||
			   t->field == C2W_FIELD_DESTINATION_PORT;

		if (t->op == C2W_OP_GLOB) {
			c2w_glob_check(l->strtab + t->str.off, t->str.len, &n_seg);
			n->globs[t->field]++;
			n->glob_bytes += ALIGN(n_seg * sizeof(struct c2w_seg), 8) +
					 ALIGN(t->str.len, 8);
		} else if (t->op == C2W_OP_CIDR) {
			n->cidrs[side]++;
		} else if (t->op == C2W_OP_RANGE) {
			n->ports[side]++;
		}
	}
}

/* Bytes the compiled form of one clause needs, at most. */
static size_t clause_mem(const struct c2w_rs_view *l, const struct c2w_rs_clause *c)
{
	struct counts n;
	size_t m;
	u32 f, k;

	clause_counts(l, c, &n);
	m = n.glob_bytes;
	for (f = 0; f < C2W_FIELD_MAX; f++)
		m += ALIGN(n.globs[f] * sizeof(struct c2w_glob), 8);
	/* A v6 CIDR may add one v4 interval (the IPv4-mapped space). */
	for (k = 0; k < 2; k++)
		m += ALIGN(n.cidrs[k] * sizeof(struct c2w_iv4), 8) +
		     ALIGN(n.cidrs[k] * sizeof(struct c2w_iv6), 8) +
		     ALIGN(n.ports[k] * sizeof(struct c2w_ivport), 8);
	return m;
}

#ifdef __KERNEL__
static inline void set_blob_index(struct cclause *cc, u32 ci)
{
}
#else
static inline void set_blob_index(struct cclause *cc, u32 ci)
{
	cc->blob_index = ci;
}
#endif

static const struct c2w_u128 mapped_lo = { 0, 0xffff00000000ULL };
static const struct c2w_u128 mapped_hi = { 0, 0xffffffffffffULL };

static int compile_clause(const struct c2w_rs_view *l, u32 ci, struct cclause *cc,
			  struct arena *a)
{
	const struct c2w_rs_clause *c = &l->clauses[ci];
	struct c2w_iv4 *ip4[2];
	struct c2w_iv6 *ip6[2];
	struct c2w_ivport *port[2];
	struct c2w_glob *globs[C2W_FIELD_MAX];
	struct counts n;
	u32 i, j, k;

	cc->negate = !!(c->flags & C2W_CLAUSE_NEGATE);
	set_blob_index(cc, ci);
	clause_counts(l, c, &n);
	for (k = 0; k < 2; k++) {
		ip4[k] = take(a, n.cidrs[k] * sizeof(struct c2w_iv4));
		ip6[k] = take(a, n.cidrs[k] * sizeof(struct c2w_iv6));
		port[k] = take(a, n.ports[k] * sizeof(struct c2w_ivport));
		if (!ip4[k] || !ip6[k] || !port[k])
			return -ENOMEM;
	}
	for (k = 0; k < C2W_FIELD_MAX; k++) {
		globs[k] = take(a, n.globs[k] * sizeof(struct c2w_glob));
		if (!globs[k])
			return -ENOMEM;
	}

	for (i = 0; i < c->n_tests; i++) {
		const struct c2w_rs_test *t = &l->tests[c->first_test + i];
		int side = t->field == C2W_FIELD_DESTINATION_IP ||
			   t->field == C2W_FIELD_DESTINATION_PORT;

		cc->fields |= C2W_FBIT(t->field);
		if (field_cost(t->field) > cc->cost)
			cc->cost = field_cost(t->field);
		switch (t->op) {
		case C2W_OP_EXISTS:
			cc->exists |= C2W_FBIT(t->field);
			break;
		case C2W_OP_RANGE:
			port[side][cc->n_port[side]].lo = t->port_lo;
			port[side][cc->n_port[side]++].hi = t->port_hi;
			break;
		case C2W_OP_CIDR: {
			struct c2w_u128 lo = c2w_u128_get(t->addr), m, hi;

			if (t->family == 4) {
				u32 v = get_unaligned_be32(t->addr);
				u32 hm = c2w_v4_hostmask(t->prefix);

				ip4[side][cc->n_ip4[side]].lo = v;
				ip4[side][cc->n_ip4[side]++].hi = v | hm;
				break;
			}
			m = c2w_u128_hostmask(t->prefix);
			hi.hi = lo.hi | m.hi;
			hi.lo = lo.lo | m.lo;
			ip6[side][cc->n_ip6[side]].lo = lo;
			ip6[side][cc->n_ip6[side]++].hi = hi;
			/*
			 * IPv4-mapped space ::ffff:0:0/96 is IPv4 (events fold
			 * it): a prefix inside it is an IPv4 CIDR, one that
			 * holds all of it holds all of IPv4.
			 */
			if (lo.hi == 0 && (lo.lo >> 32) == 0xffff &&
			    t->prefix >= 96) {
				u32 v = (u32)lo.lo, hm = (u32)m.lo;

				ip4[side][cc->n_ip4[side]].lo = v;
				ip4[side][cc->n_ip4[side]++].hi = v | hm;
			} else if (c2w_u128_cmp(lo, mapped_lo) <= 0 &&
				   c2w_u128_cmp(hi, mapped_hi) >= 0) {
				ip4[side][cc->n_ip4[side]].lo = 0;
				ip4[side][cc->n_ip4[side]++].hi = ~0U;
			}
			break;
		}
		case C2W_OP_GLOB: {
			struct globset *gs = &cc->str[t->field];
			u32 n_seg;
			char *lit;
			struct c2w_seg *seg;

			c2w_glob_check(l->strtab + t->str.off, t->str.len, &n_seg);
			seg = take(a, n_seg * sizeof(*seg));
			lit = take(a, t->str.len);
			if ((n_seg && !seg) || (t->str.len && !lit))
				return -ENOMEM;
			c2w_glob_compile(&globs[t->field][gs->n],
					 l->strtab + t->str.off, t->str.len,
					 lit, seg);
			gs->g = globs[t->field];
			gs->n++;
			break;
		}
		}
	}
	for (k = 0; k < 2; k++) {
		cc->n_ip4[k] = c2w_iv4_merge(ip4[k], cc->n_ip4[k]);
		for (i = 0; i < cc->n_ip4[k]; i++) {
			u32 last = ip4[k][i].hi >> 24;

			for (j = ip4[k][i].lo >> 24; j <= last; j++)
				cc->oct4[k][j / 64] |= BIT_ULL(j % 64);
		}
		cc->n_ip6[k] = c2w_iv6_merge(ip6[k], cc->n_ip6[k]);
		cc->n_port[k] = c2w_port_merge(port[k], cc->n_port[k]);
		cc->ip4[k] = ip4[k];
		cc->ip6[k] = ip6[k];
		cc->port[k] = port[k];
	}
	return 0;
}

/*
 * Clause @j of rule @cr in its masks (struct crule): one on constants alone
 * is its constant-memo bit; one on the executable alone its memo bit
 * (clause_holds() returns either bit as it is, once the memo is set).
 */
static void mask_clause(struct crule *cr, const struct cclause *c, u32 j)
{
	u64 want = c->negate ? 0 : ~0ULL;

	if (c->cmemo != NO_MEMO) {
		cr->cneed |= BIT_ULL(c->cmemo);
		cr->cwant |= want & BIT_ULL(c->cmemo);
	} else if (c->memo != NO_MEMO && !(c->fields & ~PROC_FIELDS)) {
		cr->need |= BIT_ULL(c->memo);
		cr->want |= want & BIT_ULL(c->memo);
	} else {
		cr->rest |= BIT_ULL(j);
	}
	if (c->dst_decides)
		cr->dst_cl |= BIT_ULL(j);
}

/*
 * A clause the destination address decides alone, whatever else the event
 * holds: a negated one with destination CIDRs fails when one of them holds
 * the address; one that tests nothing but destination CIDRs fails when
 * none does.
 */
static void set_dst_decides(struct cclause *c)
{
	if (c->negate)
		c->dst_decides = c->n_ip4[1] || c->n_ip6[1];
	else
		c->dst_decides = c->fields == C2W_FBIT(C2W_FIELD_DESTINATION_IP) &&
				 !c->exists;
}

static void set_info(const struct c2w_rs_view *l, const struct c2w_rs_rule *r,
		     struct c2w_rule_info *in)
{
	in->id = l->strtab + r->id.off;
	in->id_len = r->id.len;
	in->id_hash = c2w_id_hash(in->id, in->id_len);
	in->name = l->strtab + r->name.off;
	in->name_len = r->name.len;
	in->tactic = l->strtab + r->tactic.off;
	in->tactic_len = r->tactic.len;
	in->technique = l->strtab + r->technique.off;
	in->technique_len = r->technique.len;
	in->window_secs = r->window_secs;
	in->flags = r->flags;
	in->new_terms = r->new_terms & ~C2W_NT_HOST_ID;
	if ((r->flags & C2W_RULE_NEW_TERMS) && !in->new_terms)
		in->new_terms = C2W_NT_EXECUTABLE;
	in->severity = r->severity;
	in->risk_score = r->risk_score;
	in->n_clauses = r->n_clauses;
}

/**
 * c2w_rs_compile_owned() - validate a ruleset blob and compile it, taking
 *	the blob over
 * @blob: the blob, allocated as c2w_free() frees it (the module's copy
 *	from userspace); the ruleset keeps it, c2w_rs_free() frees it, and so
 *	does a failure here: validated once, never copied again
 * @size: its size in bytes
 * @out: the compiled ruleset, to be freed with c2w_rs_free()
 * @err: on -EINVAL, where and why (may be NULL)
 *
 * Context: process context (allocates with c2w_zalloc()).
 * Return: 0, -EINVAL for a bad blob, -ENOMEM.
 */
int c2w_rs_compile_owned(void *blob, u32 size, struct c2w_ruleset **out,
			 struct c2w_rs_error *err)
{
	struct c2w_rs_error dummy;
	struct c2w_ruleset *rs;
	struct c2w_rs_view l;
	bool dst_all = true, proc_all = true;
	struct arena a;
	size_t mem;
	u32 i, j, k;
	int ret;

	if (!err)
		err = &dummy;
	fail(err, -1, -1, -1, NULL);
	*out = NULL;
	ret = check_blob(blob, size, &l, err);
	if (ret) {
		c2w_free(blob);
		return ret;
	}

	mem = ALIGN(sizeof(*rs), 8) +
	      ALIGN(l.h->n_rules * sizeof(struct crule), 8);
	for (i = 0; i < l.h->n_rules; i++) {
		const struct c2w_rs_rule *r = &l.rules[i];

		mem += ALIGN(r->n_clauses * sizeof(struct cclause), 8);
		for (j = 0; j < r->n_clauses; j++)
			mem += clause_mem(&l, &l.clauses[r->first_clause + j]);
	}
	a.p = c2w_zalloc(mem);
	if (!a.p) {
		c2w_free(blob);
		return -ENOMEM;
	}
	a.used = 0;
	a.cap = mem;

	rs = take(&a, sizeof(*rs));
	rs->blob_size = size;
	rs->blob = blob;
	rs->n_rules = l.h->n_rules;
	rs->rules = take(&a, rs->n_rules * sizeof(struct crule));

	for (i = 0; i < rs->n_rules; i++) {
		const struct c2w_rs_rule *r = &l.rules[i];
		struct crule *cr = &rs->rules[i];
		bool dst_rule = false, proc_rule = false;
		struct cclause *cl;

		set_info(&l, r, &cr->info);
		cl = take(&a, r->n_clauses * sizeof(*cl));
		for (j = 0; j < r->n_clauses; j++) {
			ret = compile_clause(&l, r->first_clause + j, &cl[j],
					     &a);
			if (ret) {
				c2w_rs_free(rs);
				return ret;
			}
		}
		/* Cheapest first; stable so equal costs keep rule order. */
		for (j = 1; j < r->n_clauses; j++) {
			struct cclause x = cl[j];

			for (k = j; k > 0 && cl[k - 1].cost > x.cost; k--)
				cl[k] = cl[k - 1];
			cl[k] = x;
		}
		cr->cl = cl;
		cr->n_cl = r->n_clauses;
		/* The first 64 clauses testing the executable. */
		for (j = 0; j < r->n_clauses; j++) {
			for (k = 1; k < C2W_FIELD_MAX; k++)
				if (cl[j].str[k].n)
					cl[j].strs |= C2W_FBIT(k);
			cl[j].memo = NO_MEMO;
			if ((cl[j].fields & PROC_FIELDS) && rs->n_memo < NO_MEMO)
				cl[j].memo = rs->n_memo++;
			cl[j].cmemo = NO_MEMO;
			if (!(cl[j].fields & ~C2W_CONST_FIELDS) &&
			    rs->n_cmemo < NO_MEMO)
				cl[j].cmemo = rs->n_cmemo++;
			if ((cl[j].fields & C2W_CONST_FIELDS) &&
			    cl[j].cmemo == NO_MEMO &&
			    !(cr->info.flags & C2W_RULE_DISABLED))
				rs->needs_const = true;
			if ((cl[j].fields & SRC_FIELDS) &&
			    !(cr->info.flags & C2W_RULE_DISABLED))
				rs->reads_src = true;
			if ((cl[j].fields & PROC_FIELDS) &&
			    cl[j].memo == NO_MEMO &&
			    !(cr->info.flags & C2W_RULE_DISABLED))
				rs->memo_short = true;
			set_dst_decides(&cl[j]);
			dst_rule |= cl[j].dst_decides;
			/*
			 * The memo bit can fail it alone: a negated clause
			 * whose tests on the executable hold, or a clause of
			 * tests on the executable alone, none of which holds.
			 */
			cl[j].proc_decides = cl[j].memo != NO_MEMO &&
					     (cl[j].negate ||
					      !(cl[j].fields & ~PROC_FIELDS));
			proc_rule |= cl[j].proc_decides;
			if (cl[j].proc_decides) {
				cr->pneed |= BIT_ULL(cl[j].memo);
				if (cl[j].negate)
					cr->pfail |= BIT_ULL(cl[j].memo);
			}
			if (j < 64)
				mask_clause(cr, &cl[j], j);
		}
		cr->masked = r->n_clauses <= 64;
		if (!(cr->info.flags & C2W_RULE_DISABLED)) {
			dst_all &= dst_rule;
			proc_all &= proc_rule;
		}
	}
	rs->dst_all = dst_all;
	rs->proc_all = proc_all;
	*out = rs;
	return 0;
}

/**
 * c2w_rs_free() - free a compiled ruleset
 * @rs: ruleset, may be NULL
 */
void c2w_rs_free(struct c2w_ruleset *rs)
{
	if (!rs)
		return;
	c2w_free(rs->blob);
	c2w_free(rs);	/* the arena starts with the ruleset itself */
}

#ifndef __KERNEL__
/**
 * c2w_rs_compile() - c2w_rs_compile_owned() on a copy of @blob
 * @blob: the blob; the caller keeps it
 * @size: its size in bytes
 * @out: the compiled ruleset, to be freed with c2w_rs_free()
 * @err: on -EINVAL, where and why (may be NULL)
 *
 * For tools and tests; not built into the module.
 *
 * Return: 0, -EINVAL for a bad blob, -ENOMEM.
 */
int c2w_rs_compile(const void *blob, u32 size, struct c2w_ruleset **out,
		   struct c2w_rs_error *err)
{
	void *own;

	*out = NULL;
	if (size > C2W_MAX_RULESET_SIZE) {
		if (err)
			fail(err, -1, -1, -1, "ruleset too large");
		return -EINVAL;
	}
	own = c2w_zalloc(size ?: 1);
	if (!own)
		return -ENOMEM;
	memcpy(own, blob, size);
	return c2w_rs_compile_owned(own, size, out, err);
}
#endif /* !__KERNEL__: the module compiles its own copy */

/**
 * c2w_rs_count() - number of rules
 * @rs: ruleset
 *
 * Return: rules in @rs.
 */
u32 c2w_rs_count(const struct c2w_ruleset *rs)
{
	return rs->n_rules;
}

/**
 * c2w_rs_rule() - description of rule @i
 * @rs: ruleset
 * @i: index, below c2w_rs_count()
 *
 * Return: the rule's info, valid as long as @rs.
 */
const struct c2w_rule_info *c2w_rs_rule(const struct c2w_ruleset *rs, u32 i)
{
	return &rs->rules[i].info;
}

/**
 * c2w_rs_blob() - the blob @rs was compiled from
 * @rs: ruleset
 * @size: out: its size
 *
 * Return: the blob, valid as long as @rs.
 */
const void *c2w_rs_blob(const struct c2w_ruleset *rs, u32 *size)
{
	*size = rs->blob_size;
	return rs->blob;
}

/* ------------------------------------------------------------------------ */
/* Evaluation */

static bool match_strs(const struct globset *gs, const struct c2w_event *ev,
		       int field, bool negated)
{
	bool head = ev->head_only & C2W_FBIT(field);
	u32 i, v;

	for (v = 0; v < ev->nv[field]; v++) {
		const struct c2w_sv *sv = &ev->sv[field][v];

		for (i = 0; i < gs->n; i++) {
			const struct c2w_glob *g = &gs->g[i];

			if (head ? c2w_glob_test_head(g, sv->s, sv->len,
						      negated) :
				   c2w_glob_test(g, sv->s, sv->len))
				return true;
		}
	}
	return false;
}

/*
 * IPv4 address @a in clause @c's intervals of @side: the first byte's bit
 * before the search, which a public address misses in the seed rule's
 * list of private and reserved networks (about 60 instructions of each
 * test of its destination, docs/performance.md).
 */
static bool in_ip4(const struct cclause *c, int side, u32 a)
{
	return (c->oct4[side][a >> 30] >> ((a >> 24) & 63) & 1) &&
	       c2w_iv4_has(c->ip4[side], c->n_ip4[side], a);
}

static bool match_addr(const struct cclause *c, int side, u8 fam,
		       const u8 *addr)
{
	if (fam == 4)
		return in_ip4(c, side, get_unaligned_be32(addr));
	return c->n_ip6[side] &&
	       c2w_iv6_has(c->ip6[side], c->n_ip6[side], c2w_u128_get(addr));
}

static bool match_ip(const struct cclause *c, const struct c2w_event *ev,
		     int side)
{
	return side ? match_addr(c, 1, ev->dst_family, ev->dst) :
		      match_addr(c, 0, ev->src_family, ev->src);
}

/* Whether a test of the clause on the executable alone holds. */
static bool proc_part_holds(const struct cclause *c,
			    const struct c2w_event *ev, u32 have)
{
	int f;

	if (c->exists & have & PROC_FIELDS)
		return true;
	for (f = C2W_FIELD_PROCESS_EXECUTABLE; f <= C2W_FIELD_PROCESS_NAME;
	     f++) {
		if (c->str[f].n && (have & C2W_FBIT(f)) &&
		    match_strs(&c->str[f], ev, f, c->negate))
			return true;
	}
	return false;
}

/* Whether at least one test of the clause holds (before negation). */
static bool clause_holds(const struct cclause *c, struct c2w_event *ev)
{
	u32 f, m, have = ev->present & c->fields;

	/* Known for this family and transport: event.*, host.os.type... */
	if (c->cmemo != NO_MEMO && ev->cmemo_set)
		return (ev->cmemo >> c->cmemo) & 1;
	/* Cheap tests first: addresses and ports never need resolving. */
	if ((have & C2W_FBIT(C2W_FIELD_DESTINATION_IP)) && match_ip(c, ev, 1))
		return true;
	if ((have & C2W_FBIT(C2W_FIELD_SOURCE_IP)) && match_ip(c, ev, 0))
		return true;
	if ((have & C2W_FBIT(C2W_FIELD_DESTINATION_PORT)) &&
	    c2w_port_has(c->port[1], c->n_port[1], ev->dport))
		return true;
	if ((have & C2W_FBIT(C2W_FIELD_SOURCE_PORT)) &&
	    c2w_port_has(c->port[0], c->n_port[0], ev->sport))
		return true;
	if (c->exists & have & ~PROC_FIELDS)
		return true;
	for (m = c->strs & have & ~PROC_FIELDS; m; m &= m - 1) {
		f = __ffs(m);
		if (match_strs(&c->str[f], ev, f, c->negate))
			return true;
	}
	if (!(c->fields & PROC_FIELDS))
		return false;
	/*
	 * The tests on the executable: known for this executable under this
	 * ruleset, no glob to match and nothing to resolve (an exclusion
	 * list of names and paths beside addresses, in one clause, is the
	 * common case).
	 */
	if (c->memo != NO_MEMO && ev->memo_set)
		return (ev->memo >> c->memo) & 1;
	if (unlikely(c->fields & ev->lazy)) {
		/*
		 * The executable path: resolved once, only now that a
		 * clause still needs it. A path that cannot be resolved
		 * is reported as an empty head (matches every include).
		 */
		ev->resolve(ev);
		ev->lazy = 0;
		have = ev->present & c->fields;
	}
	return proc_part_holds(c, ev, have);
}

/* The first clause (in evaluation order) that fails; -1: the rule holds. */
static int rule_fails_at(const struct crule *r, struct c2w_event *ev)
{
	u32 i;

	for (i = 0; i < r->n_cl; i++) {
		const struct cclause *c = &r->cl[i];

		if (clause_holds(c, ev) == !!c->negate)
			return i;
	}
	return -1;
}

/*
 * rule_fails_at() < 0 for an event with both memos set: the clauses they
 * decide tested at once (struct crule), then the rest in order. The
 * executable is not resolved for a clause with its memo bit (the memo
 * stands for it); one past the memo bits still resolves it. A known
 * program's walk of the seed rule reading the source went from about 590
 * instructions to about 300 (docs/performance.md, session 16).
 */
static bool rule_holds_by_memo(const struct crule *r, struct c2w_event *ev)
{
	u64 m;

	if ((ev->memo & r->need) != r->want ||
	    (ev->cmemo & r->cneed) != r->cwant)
		return false;
	for (m = r->rest; m; m &= m - 1) {
		const struct cclause *c = &r->cl[__ffs64(m)];

		if (clause_holds(c, ev) == !!c->negate)
			return false;
	}
	return true;
}

/**
 * c2w_rs_eval() - evaluate an event against every enabled rule
 * @rs: ruleset
 * @ev: event; may be resolved lazily (ev->resolve)
 *
 * Context: any; no allocation, no sleeping.
 * Return: bit i set when rule i matched.
 */
u64 c2w_rs_eval(const struct c2w_ruleset *rs, struct c2w_event *ev)
{
	bool memos = ev->memo_set && ev->cmemo_set;
	u64 hits = 0;
	u32 i;

	for (i = 0; i < rs->n_rules; i++) {
		const struct crule *r = &rs->rules[i];

		if (r->info.flags & C2W_RULE_DISABLED)
			continue;
		if (memos && r->masked ? rule_holds_by_memo(r, ev) :
					  rule_fails_at(r, ev) < 0)
			hits |= 1ULL << i;
	}
	return hits;
}

/* Rule @r has a clause @addr alone fails (set_dst_decides()). */
static bool fails_by_dst(const struct crule *r, int family, const u8 *addr,
			 bool walk)
{
	const struct cclause *c;
	u64 m;
	u32 j;

	if (r->masked && !walk) {
		for (m = r->dst_cl; m; m &= m - 1) {
			c = &r->cl[__ffs64(m)];
			if (match_addr(c, 1, family, addr) == !!c->negate)
				return true;
		}
		return false;
	}
	for (j = 0; j < r->n_cl; j++) {
		c = &r->cl[j];
		if (c->dst_decides &&
		    match_addr(c, 1, family, addr) == !!c->negate)
			return true;
	}
	return false;
}

/*
 * Rule @r has a clause the executable fails alone, by its memo @memo: a
 * memo bit of @r->pneed at its value in @r->pfail. @walk: clause by
 * clause instead, as the masks were made (the unit tests' reference).
 */
static bool fails_by_memo(const struct crule *r, u64 memo, bool walk)
{
	u32 j;

	if (!walk)
		return ~(memo ^ r->pfail) & r->pneed;
	for (j = 0; j < r->n_cl; j++) {
		const struct cclause *c = &r->cl[j];

		if (c->proc_decides && ((memo >> c->memo) & 1) == !!c->negate)
			return true;
	}
	return false;
}

/*
 * Whether every enabled rule has a clause that fails by the destination
 * @addr alone (@by_memo false) or by the executable's memo @memo alone:
 * one walk of the rules for both, each rule's clauses by its masks (the
 * seed rule's destination prefilter: about 250 instructions for a public
 * address when it walked all 13 clauses, docs/performance.md).
 */
static inline bool every_rule_fails(const struct c2w_ruleset *rs, int family,
				    const u8 *addr, u64 memo, bool by_memo,
				    bool walk)
{
	u32 i;

	for (i = 0; i < rs->n_rules; i++) {
		const struct crule *r = &rs->rules[i];

		if (r->info.flags & C2W_RULE_DISABLED)
			continue;
		if (by_memo ? !fails_by_memo(r, memo, walk) :
			      !fails_by_dst(r, family, addr, walk))
			return false;
	}
	return true;
}

/*
 * c2w_rs_dst_excludes() (@by_memo false; IPv4-mapped folded to IPv4) or
 * c2w_rs_memo_excludes(), by the masks or, with @walk, clause by clause.
 */
static inline bool excludes(const struct c2w_ruleset *rs, int family,
			    const u8 *addr, u64 memo, bool by_memo, bool walk)
{
	if (by_memo)
		return rs->proc_all &&
		       every_rule_fails(rs, 0, NULL, memo, true, walk);
	if (!rs->dst_all)
		return false;
	if (family == 6 && !memcmp(addr, v4mapped_prefix, 12)) {
		family = 4;
		addr += 12;
	}
	return every_rule_fails(rs, family, addr, 0, false, walk);
}

/**
 * c2w_rs_dst_excludes() - whether the destination alone rules out every rule
 * @rs: ruleset
 * @family: 4 or 6
 * @addr: the destination, 4 or 16 bytes in network order (IPv4-mapped is
 *	folded to IPv4, as c2w_event_set_ip() does)
 *
 * For the probes, before anything else of an attempt is read: when every
 * enabled rule has a clause that fails for this destination whatever the
 * rest of the event holds (a negated clause one of whose destination CIDRs
 * holds @addr, or a clause of destination CIDRs alone, none of which does),
 * c2w_rs_eval() of any event to @addr returns 0. The seed rule's
 * exclusion of private and reserved networks is such a clause.
 *
 * Context: any; no allocation, no sleeping.
 * Return: true when no event to @addr can match a rule of @rs.
 */
bool c2w_rs_dst_excludes(const struct c2w_ruleset *rs, int family,
			 const u8 *addr)
{
	return excludes(rs, family, addr, 0, false, false);
}

/**
 * c2w_rs_memo_excludes() - whether an executable alone rules out every rule
 * @rs: ruleset
 * @memo: c2w_rs_proc_eval() of the executable under @rs
 *
 * For the probes, from an executable's cached memo before anything else
 * of an attempt is read: when every enabled rule has a clause that fails
 * for this executable whatever else the event holds, c2w_rs_eval() of any
 * event of this executable returns 0. Such a clause tests only
 * process.executable and process.name, none of which holds (the seed
 * rule's list of suspicious places, for a program elsewhere), or is
 * negated and one of its tests on them holds (its list of trusted paths
 * and names, for /tmp/go-build* or a curl).
 *
 * Context: any; no allocation, no sleeping.
 * Return: true when no event of the executable can match a rule of @rs.
 */
bool c2w_rs_memo_excludes(const struct c2w_ruleset *rs, u64 memo)
{
	return excludes(rs, 0, NULL, memo, true, false);
}

#ifndef __KERNEL__
/**
 * c2w_rs_excludes_walked() - c2w_rs_dst_excludes() (@by_memo false) or
 *	c2w_rs_memo_excludes() by a walk of every clause, without the masks
 * @rs: ruleset
 * @family: as c2w_rs_dst_excludes()
 * @addr: as c2w_rs_dst_excludes()
 * @memo: as c2w_rs_memo_excludes()
 * @by_memo: which of the two
 *
 * The unit tests' reference for the masks. Not built into the module.
 */
bool c2w_rs_excludes_walked(const struct c2w_ruleset *rs, int family,
			    const u8 *addr, u64 memo, bool by_memo)
{
	return excludes(rs, family, addr, memo, by_memo, true);
}
#endif

/**
 * c2w_rs_memo_decides() - whether c2w_rs_memo_excludes() can ever be true
 * @rs: ruleset
 *
 * Return: true when every enabled rule has a clause that the executable
 * alone may fail.
 */
bool c2w_rs_memo_decides(const struct c2w_ruleset *rs)
{
	return rs->proc_all;
}

/**
 * c2w_rs_memo_whole() - whether the memo alone stands for the executable
 * @rs: ruleset
 *
 * With @ev->memo_set, c2w_rs_eval() reads process.executable and
 * process.name only in a clause past the 64 memo bits. When no enabled
 * clause is, an event may go without them (@ev->lazy clear): its verdict
 * is that of the event with the executable the memo was made of.
 *
 * Return: true when every enabled clause testing the executable has its
 * memo bit.
 */
bool c2w_rs_memo_whole(const struct c2w_ruleset *rs)
{
	return !rs->memo_short;
}

/* The memo bits of every enabled rule's clauses, of one memo or the other. */
static u64 memo_bits(const struct c2w_ruleset *rs, struct c2w_event *ev,
		     bool proc)
{
	u64 memo = 0;
	u32 i, j;

	for (i = 0; i < rs->n_rules; i++) {
		const struct crule *r = &rs->rules[i];

		if (r->info.flags & C2W_RULE_DISABLED)
			continue;
		for (j = 0; j < r->n_cl; j++) {
			const struct cclause *c = &r->cl[j];
			u32 bit = proc ? c->memo : c->cmemo;

			if (bit == NO_MEMO)
				continue;
			if (proc ? proc_part_holds(c, ev, ev->present & c->fields) :
				   clause_holds(c, ev))
				memo |= 1ULL << bit;
		}
	}
	return memo;
}

/**
 * c2w_rs_needs_const() - whether evaluating @rs reads the constant fields
 * @rs: ruleset
 *
 * False when every clause testing one of %C2W_CONST_FIELDS tests nothing
 * else and has its constant-memo bit: with @ev->cmemo_set, c2w_rs_eval()
 * then never reads their values, and an event may go without them (no
 * new-terms key is made of them: c2w_nt_key()).
 *
 * Return: true when some clause still reads them.
 */
bool c2w_rs_needs_const(const struct c2w_ruleset *rs)
{
	return rs->needs_const;
}

/**
 * c2w_rs_reads_source() - whether some enabled rule tests the source
 * @rs: ruleset
 *
 * The source address and port are the only fields of an attempt that a
 * connect chooses as it runs (the port anew each time). Without them,
 * c2w_rs_eval() of an event depends on its executable, user.id, family,
 * transport, destination address and port alone: two attempts alike in
 * those get the same verdict (detect.c repeats one at the probe).
 *
 * Return: true when an enabled rule has a clause on source.ip or
 * source.port.
 */
bool c2w_rs_reads_source(const struct c2w_ruleset *rs)
{
	return rs->reads_src;
}

/**
 * c2w_rs_const_eval() - the outcome of every clause on constant fields only
 * @rs: ruleset
 * @ev: event holding the values of %C2W_CONST_FIELDS to evaluate for
 *
 * What the module keeps per ruleset, address family and transport, and
 * hands back in @ev->cmemo with @ev->cmemo_set: a clause testing only
 * those fields (host.os.type, event.category, event.action...) then
 * costs a bit test.
 *
 * Return: bit i set when the clause with constant-memo index i holds
 * (before its negation).
 */
u64 c2w_rs_const_eval(const struct c2w_ruleset *rs, struct c2w_event *ev)
{
	bool set = ev->cmemo_set;
	u64 memo;

	ev->cmemo_set = false;
	memo = memo_bits(rs, ev, false);
	ev->cmemo_set = set;
	return memo;
}

/**
 * c2w_rs_proc_eval() - the outcome of every clause's tests on the executable
 * @rs: ruleset
 * @ev: event whose process.executable and process.name are resolved
 *	(@ev->lazy clear)
 *
 * What the caller may keep for the same executable (path, name and their
 * head flags) and the same @rs, and hand back in @ev->memo with
 * @ev->memo_set: the tests on process.executable and process.name then
 * cost a bit test, whatever else their clause tests (an exclusion of
 * names, paths and addresses in one clause). They depend on nothing else
 * of the event.
 *
 * Return: bit i set when, in the clause with memo index i, a test on the
 * executable holds (before the clause's negation).
 */
u64 c2w_rs_proc_eval(const struct c2w_ruleset *rs, struct c2w_event *ev)
{
	return memo_bits(rs, ev, true);
}

#ifndef __KERNEL__
/**
 * c2w_rule_eval() - evaluate one rule, saying which clause decided
 * @rs: ruleset
 * @i: rule index
 * @ev: event
 * @decider: out: blob index of the first clause that failed, -1 on a match
 *
 * For c2watchctl eval --explain; not built into the module.
 *
 * Return: true when the rule matched (disabled rules are evaluated too).
 */
bool c2w_rule_eval(const struct c2w_ruleset *rs, u32 i, struct c2w_event *ev,
		   int *decider)
{
	const struct crule *r = &rs->rules[i];
	int at = rule_fails_at(r, ev);

	*decider = at < 0 ? -1 : (int)r->cl[at].blob_index;
	return at < 0;
}
#endif /* !__KERNEL__ */

/**
 * c2w_rs_find() - a rule by its id
 * @rs: compiled ruleset, may be NULL
 * @id: the rule id (not NUL-terminated)
 * @id_len: its length
 *
 * Return: the rule's index, or -1 when @rs has no rule @id.
 */
int c2w_rs_find(const struct c2w_ruleset *rs, const char *id, u32 id_len)
{
	u32 i;

	for (i = 0; rs && i < rs->n_rules; i++) {
		const struct c2w_rule_info *ri = &rs->rules[i].info;

		if (ri->id_len == id_len && !memcmp(ri->id, id, id_len))
			return i;
	}
	return -1;
}

/*
 * Append @n bytes of @s to the key, as many as fit. Inline, as the
 * separators: a key is made on every lookup of a rule keyed on more than
 * the executable, where the calls cost a fifth of it (docs/performance.md).
 */
static inline u32 key_add(char *buf, u32 cap, u32 at, const char *s, u32 n)
{
	if (at >= cap)
		return at;
	if (n > cap - at)
		n = cap - at;
	memcpy(buf + at, s, n);
	return at + n;
}

static inline u32 key_sep(char *buf, u32 cap, u32 at)
{
	if (at < cap)
		buf[at++] = '\0';
	return at;
}

static inline u32 key_add_field(char *buf, u32 cap, u32 at,
				const struct c2w_event *ev, int field,
				bool sep)
{
	if (sep)
		at = key_sep(buf, cap, at);
	if (!ev->nv[field])
		return at;
	return key_add(buf, cap, at, ev->sv[field][0].s, ev->sv[field][0].len);
}

/**
 * c2w_id_hash() - a hash of a rule id (FNV-1a)
 * @id: the id, @len bytes
 * @len: its length
 *
 * Made once per rule when a ruleset is compiled (&c2w_rule_info.id_hash),
 * and for an id read back from the seen set: the seen set mixes it into
 * the hash of a key (seen.c), so that a lookup does not hash the id again.
 *
 * Return: the hash.
 */
u32 c2w_id_hash(const char *id, u32 len)
{
	u32 h = 2166136261u;

	while (len--)
		h = (h ^ (u8)*id++) * 16777619u;
	return h;
}

/**
 * c2w_nt_key() - the new-terms key of a rule for an event
 * @rule: a new-terms rule
 * @ev: the event, its key fields resolved
 * @buf: room for a key made of several fields
 * @cap: bytes of @buf, at most %C2W_MAX_KEY are used
 * @len: out: length of the key
 *
 * The first value of each key field, in the order process.executable,
 * process.name, user.id, destination.ip (as text), each but the
 * executable preceded by a NUL byte; a key of the executable alone is the
 * path itself, not copied. The module, c2watchctl eval and the saved seen
 * sets all use this one form. Every append is bounded: a longer key is
 * cut at @cap.
 *
 * Return: the key, in @buf or in the event's own strings.
 */
const char *c2w_nt_key(const struct c2w_rule_info *rule,
		       const struct c2w_event *ev, char *buf, u32 cap,
		       u32 *len)
{
	const int exe = C2W_FIELD_PROCESS_EXECUTABLE;
	u32 n = 0;

	if (cap > C2W_MAX_KEY)
		cap = C2W_MAX_KEY;
	if (rule->new_terms == C2W_NT_EXECUTABLE) {
		*len = ev->nv[exe] ? ev->sv[exe][0].len : 0;
		if (*len > cap)
			*len = cap;
		return ev->nv[exe] ? ev->sv[exe][0].s : "";
	}
	if (rule->new_terms & C2W_NT_EXECUTABLE)
		n = key_add_field(buf, cap, n, ev, exe, false);
	if (rule->new_terms & C2W_NT_NAME)
		n = key_add_field(buf, cap, n, ev, C2W_FIELD_PROCESS_NAME, true);
	if (rule->new_terms & C2W_NT_USER_ID)
		n = key_add_field(buf, cap, n, ev, C2W_FIELD_USER_ID, true);
	if (rule->new_terms & C2W_NT_DESTINATION_IP) {
		n = key_sep(buf, cap, n);
		if (!(ev->present & C2W_FBIT(C2W_FIELD_DESTINATION_IP)))
			goto out;
		if (ev->dst_family == 4 && cap - n >= 16) {
			/* IPv4 written in place when it fits whole. */
			n += c2w_ip4_put(ev->dst, buf + n);
		} else {
			/* Here: the kernel zeroes it where it is declared. */
			char ip[C2W_IP_TEXT_MAX];

			n = key_add(buf, cap, n, ip,
				    c2w_ip_text(ev->dst_family, ev->dst, ip,
						sizeof(ip)));
		}
	}
out:
	*len = n;
	return buf;
}
