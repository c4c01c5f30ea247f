/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The matchers of the rule core (rules.c): KQL wildcard globs compiled into
 * literal segments once, and sorted sets of disjoint IPv4, IPv6 and port
 * intervals searched by bisection. Pure C on core_types.h, shared with
 * userspace like the rest of the core; nothing here allocates.
 */
#ifndef _C2W_MATCH_H
#define _C2W_MATCH_H

#include "core_types.h"

/* ---- globs: '*' matches any run of bytes, '/' included; '\' escapes ---- */

/**
 * struct c2w_seg - one literal run of a glob
 * @off: offset in the glob's literal bytes
 * @len: length
 */
struct c2w_seg {
	u32 off;
	u32 len;
};

/**
 * struct c2w_glob - a compiled glob
 * @lit: unescaped literal bytes of all segments
 * @seg: the segments, in order
 * @n_seg: their number
 * @min_len: sum of the segment lengths
 * @has_star: the pattern has a '*'
 * @lead_star: it starts with one
 * @trail_star: it ends with one
 */
struct c2w_glob {
	const char *lit;
	const struct c2w_seg *seg;
	u32 n_seg;
	u32 min_len;
	u8 has_star;
	u8 lead_star;
	u8 trail_star;
};

int c2w_glob_check(const char *pat, u32 plen, u32 *n_seg);
void c2w_glob_compile(struct c2w_glob *g, const char *pat, u32 plen,
		      char *lit, struct c2w_seg *seg);
bool c2w_glob_test(const struct c2w_glob *g, const char *s, u32 n);
bool c2w_glob_test_head(const struct c2w_glob *g, const char *s, u32 n,
			bool definite);
#ifndef __KERNEL__
bool c2w_glob_match(const char *pat, u32 plen, const char *s, u32 slen);
#endif

/* ---- address and port interval sets ---- */

/**
 * struct c2w_u128 - a 128-bit number (an IPv6 address in host order)
 * @hi: upper 64 bits
 * @lo: lower 64 bits
 */
struct c2w_u128 {
	u64 hi, lo;
};

/**
 * struct c2w_iv4 - IPv4 addresses @lo..@hi (host order)
 * @lo: first
 * @hi: last
 */
struct c2w_iv4 {
	u32 lo, hi;
};

/**
 * struct c2w_iv6 - IPv6 addresses @lo..@hi
 * @lo: first
 * @hi: last
 */
struct c2w_iv6 {
	struct c2w_u128 lo, hi;
};

/**
 * struct c2w_ivport - ports @lo..@hi
 * @lo: first
 * @hi: last
 */
struct c2w_ivport {
	u16 lo, hi;
};

static inline u32 c2w_v4_hostmask(u32 prefix)
{
	return prefix >= 32 ? 0 : ~0U >> prefix;
}

static inline struct c2w_u128 c2w_u128_get(const u8 *p)
{
	struct c2w_u128 v = {
		get_unaligned_be64(p), get_unaligned_be64(p + 8)
	};

	return v;
}

static inline int c2w_u128_cmp(struct c2w_u128 a, struct c2w_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

struct c2w_u128 c2w_u128_hostmask(u32 prefix);

u32 c2w_iv4_merge(struct c2w_iv4 *v, u32 n);
u32 c2w_iv6_merge(struct c2w_iv6 *v, u32 n);
u32 c2w_port_merge(struct c2w_ivport *v, u32 n);
bool c2w_iv4_has(const struct c2w_iv4 *v, u32 n, u32 a);
bool c2w_iv6_has(const struct c2w_iv6 *v, u32 n, struct c2w_u128 a);
bool c2w_port_has(const struct c2w_ivport *v, u32 n, u16 p);

#endif /* _C2W_MATCH_H */
