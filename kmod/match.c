// SPDX-License-Identifier: GPL-2.0
/*
 * The matchers of the rule core; see match.h. Interval sets are sorted with
 * the kernel's sort() (userspace: the stand-in in core_types.h) and merged,
 * so that a lookup is a bisection over disjoint intervals.
 */
#include "match.h"

/* ------------------------------------------------------------------------ */
/* Globs */

static const char *find(const char *h, u32 hlen, const char *n, u32 nlen)
{
	const char *end;

	if (!nlen)
		return h;
	if (hlen < nlen)
		return NULL;
	end = h + hlen - nlen;
	for (; h <= end; h++) {
		h = memchr(h, n[0], end - h + 1);
		if (!h)
			return NULL;
		if (!memcmp(h, n, nlen))
			return h;
	}
	return NULL;
}

/**
 * c2w_glob_test() - does @s match the compiled glob @g
 * @g: compiled glob
 * @s: subject
 * @n: its length
 *
 * Return: true on a match.
 */
bool c2w_glob_test(const struct c2w_glob *g, const char *s, u32 n)
{
	u32 i = 0, last = g->n_seg, pos = 0, end = n;
	const struct c2w_seg *sg;

	if (n < g->min_len)
		return false;
	if (!g->has_star)
		return n == g->min_len &&
		       !memcmp(s, g->lit, g->min_len);
	if (!g->lead_star) {
		sg = &g->seg[0];
		if (memcmp(s, g->lit + sg->off, sg->len))
			return false;
		pos = sg->len;
		i = 1;
	}
	if (!g->trail_star && i < last) {
		sg = &g->seg[last - 1];
		if (memcmp(s + n - sg->len, g->lit + sg->off, sg->len))
			return false;
		end = n - sg->len;
		last--;
	}
	for (; i < last; i++) {
		const char *f;

		sg = &g->seg[i];
		f = find(s + pos, end - pos, g->lit + sg->off, sg->len);
		if (!f)
			return false;
		pos = f - s + sg->len;
	}
	return true;
}

/**
 * c2w_glob_test_head() - match when @s is only the head of the real value
 * @g: compiled glob
 * @s: the head
 * @n: its length
 * @definite: false: could some value starting with @s match (checked on
 *	the anchored prefix, generous beyond it); true: does every value
 *	starting with @s match
 *
 * Return: the answer to the question @definite asks.
 */
bool c2w_glob_test_head(const struct c2w_glob *g, const char *s, u32 n,
			bool definite)
{
	u32 l;

	if (definite)
		return g->trail_star && c2w_glob_test(g, s, n);
	if (g->lead_star)
		return true;
	l = g->n_seg ? g->seg[0].len : 0;
	if (memcmp(s, g->lit, n < l ? n : l))
		return false;
	/* Without a star the real value, longer than @s, must equal @pat. */
	return n < l || g->has_star;
}

/**
 * c2w_glob_check() - validate a pattern, and size its compiled form
 * @pat: the pattern
 * @plen: its length
 * @n_seg: out: number of literal segments (@plen bounds the literals)
 *
 * Return: 0, or -EINVAL for a NUL byte or a trailing '\'.
 */
int c2w_glob_check(const char *pat, u32 plen, u32 *n_seg)
{
	u32 i, segs = 0;
	bool in_seg = false;

	for (i = 0; i < plen; i++) {
		if (pat[i] == '\0')
			return -EINVAL;
		if (pat[i] == '*') {
			in_seg = false;
			continue;
		}
		if (pat[i] == '\\' && ++i == plen)
			return -EINVAL;
		if (pat[i] == '\0')
			return -EINVAL;
		if (!in_seg)
			segs++;
		in_seg = true;
	}
	*n_seg = segs;
	return 0;
}

/**
 * c2w_glob_compile() - compile a pattern c2w_glob_check() accepted
 * @g: filled in
 * @pat: the pattern
 * @plen: its length
 * @lit: room for @plen literal bytes
 * @seg: room for the segments c2w_glob_check() counted
 */
void c2w_glob_compile(struct c2w_glob *g, const char *pat, u32 plen,
		      char *lit, struct c2w_seg *seg)
{
	u32 i, o = 0, n = 0;
	bool in_seg = false;

	g->lead_star = plen && pat[0] == '*';
	g->trail_star = 0;
	g->has_star = 0;
	for (i = 0; i < plen; i++) {
		if (pat[i] == '*') {
			in_seg = false;
			g->trail_star = 1;
			g->has_star = 1;
			continue;
		}
		g->trail_star = 0;
		if (pat[i] == '\\')
			i++;
		if (!in_seg) {
			seg[n].off = o;
			seg[n].len = 0;
			n++;
		}
		in_seg = true;
		lit[o++] = pat[i];
		seg[n - 1].len++;
	}
	g->lit = lit;
	g->seg = seg;
	g->n_seg = n;
	g->min_len = o;
}

#ifndef __KERNEL__
/**
 * c2w_glob_match() - match a KQL wildcard pattern (uncompiled form)
 * @pat: pattern, '*' any run of bytes, '\' escapes the next byte
 * @plen: its length
 * @s: subject
 * @slen: its length
 *
 * For tools and tests, not built into the module: the hot path uses
 * compiled globs.
 *
 * Return: true on a match; false also for an invalid pattern.
 */
bool c2w_glob_match(const char *pat, u32 plen, const char *s, u32 slen)
{
	struct c2w_seg segbuf[64];
	char litbuf[512];
	struct c2w_glob g;
	u32 n_seg;

	if (plen > sizeof(litbuf) || c2w_glob_check(pat, plen, &n_seg) ||
	    n_seg > 64)
		return false;
	c2w_glob_compile(&g, pat, plen, litbuf, segbuf);
	return c2w_glob_test(&g, s, slen);
}
#endif /* !__KERNEL__: tools and tests */

/* ------------------------------------------------------------------------ */
/* Intervals */

/**
 * c2w_u128_hostmask() - the host part of an IPv6 prefix
 * @prefix: 0..128
 *
 * Return: a mask with the low (128 - @prefix) bits set.
 */
struct c2w_u128 c2w_u128_hostmask(u32 prefix)
{
	struct c2w_u128 m;

	if (prefix >= 64) {
		m.hi = 0;
		m.lo = prefix >= 128 ? 0 : ~0ULL >> (prefix - 64);
	} else {
		m.hi = prefix ? ~0ULL >> prefix : ~0ULL;
		m.lo = ~0ULL;
	}
	return m;
}

static int cmp_iv4(const void *a, const void *b)
{
	const struct c2w_iv4 *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_iv6(const void *a, const void *b)
{
	const struct c2w_iv6 *x = a, *y = b;

	return c2w_u128_cmp(x->lo, y->lo);
}

static int cmp_port(const void *a, const void *b)
{
	const struct c2w_ivport *x = a, *y = b;

	return (int)x->lo - (int)y->lo;
}

/**
 * c2w_iv4_merge() - sort IPv4 intervals and merge overlapping or adjacent
 *	ones
 * @v: the intervals, rewritten in place
 * @n: their number
 *
 * Return: the number of disjoint intervals left at the start of @v.
 */
u32 c2w_iv4_merge(struct c2w_iv4 *v, u32 n)
{
	u32 i, o;

	sort(v, n, sizeof(*v), cmp_iv4, NULL);
	for (i = 0, o = 0; i < n; i++) {
		if (o && (v[o - 1].hi == 0xffffffffU ||
			  v[i].lo <= v[o - 1].hi + 1)) {
			if (v[i].hi > v[o - 1].hi)
				v[o - 1].hi = v[i].hi;
		} else {
			v[o++] = v[i];
		}
	}
	return o;
}

/**
 * c2w_iv6_merge() - c2w_iv4_merge() for IPv6
 * @v: the intervals, rewritten in place
 * @n: their number
 *
 * Return: the number of disjoint intervals left at the start of @v.
 */
u32 c2w_iv6_merge(struct c2w_iv6 *v, u32 n)
{
	u32 i, o;

	sort(v, n, sizeof(*v), cmp_iv6, NULL);
	for (i = 0, o = 0; i < n; i++) {
		bool touch = false;

		/* Overlapping or adjacent: lo <= prev.hi + 1. */
		if (o) {
			struct c2w_u128 next = v[o - 1].hi;

			next.lo++;
			if (!next.lo)
				next.hi++;
			touch = (!~v[o - 1].hi.hi && !~v[o - 1].hi.lo) ||
				c2w_u128_cmp(v[i].lo, next) <= 0;
		}
		if (touch) {
			if (c2w_u128_cmp(v[i].hi, v[o - 1].hi) > 0)
				v[o - 1].hi = v[i].hi;
		} else {
			v[o++] = v[i];
		}
	}
	return o;
}

/**
 * c2w_port_merge() - c2w_iv4_merge() for ports
 * @v: the intervals, rewritten in place
 * @n: their number
 *
 * Return: the number of disjoint intervals left at the start of @v.
 */
u32 c2w_port_merge(struct c2w_ivport *v, u32 n)
{
	u32 i, o;

	sort(v, n, sizeof(*v), cmp_port, NULL);
	for (i = 0, o = 0; i < n; i++) {
		if (o && (u32)v[i].lo <= (u32)v[o - 1].hi + 1) {
			if (v[i].hi > v[o - 1].hi)
				v[o - 1].hi = v[i].hi;
		} else {
			v[o++] = v[i];
		}
	}
	return o;
}

/**
 * c2w_iv4_has() - is @a in one of the merged intervals @v
 * @v: sorted, disjoint intervals
 * @n: their number
 * @a: the address, host order
 *
 * Return: true when it is.
 */
bool c2w_iv4_has(const struct c2w_iv4 *v, u32 n, u32 a)
{
	u32 lo = 0, hi = n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (a < v[mid].lo)
			hi = mid;
		else if (a > v[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/**
 * c2w_iv6_has() - c2w_iv4_has() for IPv6
 * @v: sorted, disjoint intervals
 * @n: their number
 * @a: the address
 *
 * Return: true when it is in one of them.
 */
bool c2w_iv6_has(const struct c2w_iv6 *v, u32 n, struct c2w_u128 a)
{
	u32 lo = 0, hi = n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (c2w_u128_cmp(a, v[mid].lo) < 0)
			hi = mid;
		else if (c2w_u128_cmp(a, v[mid].hi) > 0)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/**
 * c2w_port_has() - is port @p in one of the merged intervals @v
 * @v: sorted, disjoint intervals (a few: scanned, not bisected)
 * @n: their number
 * @p: the port
 *
 * Return: true when it is.
 */
bool c2w_port_has(const struct c2w_ivport *v, u32 n, u16 p)
{
	u32 i;

	for (i = 0; i < n && v[i].lo <= p; i++)
		if (p <= v[i].hi)
			return true;
	return false;
}
