// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the shared rule core (kmod/rules.c), the very code the
 * module runs. The fast paths (segment globs, bisected CIDR intervals,
 * cost-ordered clauses) are checked against deliberately naive reference
 * implementations on random inputs, plus the edges that matter for the seed
 * rule.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "rsbuild.h"
#include "unit.h"

/* ---- naive references ---------------------------------------------------- */

/* Recursive KQL wildcard match: '*' any run, '\' escapes. */
static bool ref_glob(const char *p, size_t pl, const char *s, size_t sl)
{
	if (!pl)
		return !sl;
	if (p[0] == '*') {
		for (size_t k = 0; k <= sl; k++)
			if (ref_glob(p + 1, pl - 1, s + k, sl - k))
				return true;
		return false;
	}
	if (p[0] == '\\') {
		p++;
		pl--;
	}
	return sl && p[0] == s[0] && ref_glob(p + 1, pl - 1, s + 1, sl - 1);
}

static bool ref_prefix(const uint8_t *net, int prefix, const uint8_t *a)
{
	for (int i = 0; i < prefix; i++) {
		int bit = 7 - (i % 8);

		if (((net[i / 8] >> bit) & 1) != ((a[i / 8] >> bit) & 1))
			return false;
	}
	return true;
}

static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* ref: does CIDR (family, net, prefix) hold the event address? */
static bool ref_cidr(int family, const uint8_t *net, int prefix, int efam,
		     const uint8_t *ea)
{
	uint8_t a6[16];

	if (family == 4)
		return efam == 4 && ref_prefix(net, prefix, ea);
	/* An IPv4 event is the IPv4-mapped IPv6 address to a v6 CIDR. */
	if (efam == 4) {
		memcpy(a6, mapped, 12);
		memcpy(a6 + 12, ea, 4);
		return ref_prefix(net, prefix, a6);
	}
	return ref_prefix(net, prefix, ea);
}

static bool ref_test(const struct c2w_rs_test *t, const char *strtab,
		     const struct c2w_event *ev, bool negated)
{
	int f = t->field;

	if (!(ev->present & C2W_FBIT(f)))
		return false;
	switch (t->op) {
	case C2W_OP_EXISTS:
		return true;
	case C2W_OP_CIDR:
		if (f == C2W_FIELD_SOURCE_IP)
			return ref_cidr(t->family, t->addr, t->prefix,
					ev->src_family, ev->src);
		return ref_cidr(t->family, t->addr, t->prefix,
				ev->dst_family, ev->dst);
	case C2W_OP_RANGE: {
		uint16_t p = f == C2W_FIELD_SOURCE_PORT ? ev->sport : ev->dport;

		return t->port_lo <= p && p <= t->port_hi;
	}
	case C2W_OP_GLOB:
		for (int v = 0; v < ev->nv[f]; v++) {
			const char *pat = strtab + t->str.off;
			const struct c2w_sv *sv = &ev->sv[f][v];

			if (!(ev->head_only & C2W_FBIT(f))) {
				if (ref_glob(pat, t->str.len, sv->s, sv->len))
					return true;
				continue;
			}
			/*
			 * Head only: try completions of the head. "definite"
			 * for excludes: must match with an arbitrary suffix,
			 * which for star globs is: ends in '*' and matches.
			 */
			if (negated) {
				if (t->str.len && pat[t->str.len - 1] == '*' &&
				    (t->str.len < 2 ||
				     pat[t->str.len - 2] != '\\') &&
				    ref_glob(pat, t->str.len, sv->s, sv->len))
					return true;
			} else {
				/* Possible: a completion exists, i.e. the
				 * literal prefix before the first star agrees
				 * with the head.
				 */
				char lit[256];
				size_t n = 0, i;
				bool star = false;

				for (i = 0; i < t->str.len && n < sizeof(lit);
				     i++) {
					if (pat[i] == '*') {
						star = true;
						break;
					}
					if (pat[i] == '\\')
						i++;
					lit[n++] = pat[i];
				}
				if (memcmp(lit, sv->s, n < sv->len ? n : sv->len))
					continue;
				if (sv->len < n || star)
					return true;
			}
		}
		return false;
	}
	return false;
}

/*
 * A rule as the test wrote it, with no builder in between: the reference
 * evaluates this, so that a builder bug (a CIDR mis-masked, a glob cut
 * short) shows as a disagreement instead of being copied into both sides.
 */
struct ref_t {
	int field;
	int op;
	const char *text;	/* glob or CIDR text */
	uint16_t lo, hi;	/* ports */
};

struct ref_c {
	bool neg;
	int n;
	struct ref_t t[4];
};

struct ref_r {
	int n;
	struct ref_c c[4];
};

/* "a.b.c.d[/p]" or "x::y[/p]": its own parse; host bits left as written. */
static void ref_parse_cidr(const char *text, struct c2w_rs_test *t)
{
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, t->addr) == 1)
		t->family = 4;
	else if (inet_pton(AF_INET6, buf, t->addr) == 1)
		t->family = 6;
	else
		unit_fail(__FILE__, __LINE__, "bad CIDR %s", text);
	t->prefix = slash ? (uint8_t)atoi(slash + 1) :
		    (t->family == 4 ? 32 : 128);
}

static bool ref_rule_text(const struct ref_r *r, const struct c2w_event *ev)
{
	for (int c = 0; c < r->n; c++) {
		bool any = false;

		for (int i = 0; i < r->c[c].n; i++) {
			const struct ref_t *rt = &r->c[c].t[i];
			struct c2w_rs_test t;

			memset(&t, 0, sizeof(t));
			t.field = (uint16_t)rt->field;
			t.op = (uint16_t)rt->op;
			if (rt->op == C2W_OP_GLOB)
				t.str.len = (uint32_t)strlen(rt->text);
			else if (rt->op == C2W_OP_CIDR)
				ref_parse_cidr(rt->text, &t);
			t.port_lo = rt->lo;
			t.port_hi = rt->hi;
			any |= ref_test(&t, rt->text, ev, r->c[c].neg);
		}
		if (any == r->c[c].neg)
			return false;
	}
	return true;
}

/* ---- helpers ---------------------------------------------------------------- */

static struct c2w_ruleset *build(struct rsb *b, void **blobp)
{
	struct c2w_ruleset *rs = NULL;
	struct c2w_rs_error err;
	uint32_t size;
	void *blob;
	int ret;

	CHECK_EQ_INT(rsb_finish(b, &blob, &size), 0);
	ret = c2w_rs_compile(blob, size, &rs, &err);
	if (ret)
		printf("# compile: %s (rule %d clause %d test %d)\n",
		       err.msg, err.rule, err.clause, err.test);
	CHECK_EQ_INT(ret, 0);
	if (blobp)
		*blobp = blob;
	else
		free(blob);
	rsb_free(b);
	return rs;
}

static void ev_ip(struct c2w_event *ev, int field, const char *text)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, text, a) == 1)
		c2w_event_set_ip(ev, field, 4, a);
	else if (inet_pton(AF_INET6, text, a) == 1)
		c2w_event_set_ip(ev, field, 6, a);
	else
		unit_fail(__FILE__, __LINE__, "bad address %s", text);
}

static void ev_str(struct c2w_event *ev, int field, const char *s)
{
	c2w_event_add_str(ev, field, s, (uint32_t)strlen(s));
}

/* ---- globs ------------------------------------------------------------------ */

UNIT_TEST(glob_examples)
{
	static const struct { const char *p, *s; bool m; } v[] = {
		{ "/tmp/*", "/tmp/x", true },
		{ "/tmp/*", "/tmp/", true },
		{ "/tmp/*", "/tmp", false },
		{ "/tmp/*", "/var/tmp/x", false },
		{ "/home/*/.*", "/home/u/a/.b/c", true },
		{ "/home/*/.*", "/home/u/a/b", false },
		{ "/etc/rc*.d/*", "/etc/rc3.d/S01x", true },
		{ "/etc/rc*.d/*", "/etc/rc.local", false },
		{ "/etc/crontab", "/etc/crontab", true },
		{ "/etc/crontab", "/etc/crontab2", false },
		{ "./*", "./a.out", true },
		{ "*", "", true },
		{ "", "", true },
		{ "", "x", false },
		{ "a\\*b", "a*b", true },
		{ "a\\*b", "axxb", false },
		{ "a*b", "axxb", true },
		{ "python*", "python3.11", true },
		{ "python*", "Python3", false },
		{ "*a*a*a", "aaa", true },
		{ "*a*a*a", "aa", false },
		{ "*ab", "aab", true },
		{ "/tmp/tmp.*/juliainstaller", "/tmp/tmp.x/y/juliainstaller", true },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool m = c2w_glob_match(v[i].p, strlen(v[i].p), v[i].s,
					strlen(v[i].s));
		if (m != v[i].m)
			unit_fail(__FILE__, __LINE__, "glob '%s' on '%s': %d",
				  v[i].p, v[i].s, m);
	}
	/* A lone trailing backslash is not a pattern. */
	CHECK(!c2w_glob_match("a\\", 2, "a", 1));
}

UNIT_TEST(glob_vs_reference)
{
	static const char pa[] = "ab/.**\\";
	static const char sa[] = "ab/.*\\";
	char p[12], s[14];

	for (int it = 0; it < 200000; it++) {
		size_t pl = unit_rand() % sizeof(p), sl = unit_rand() % sizeof(s);

		for (size_t i = 0; i < pl; i++)
			p[i] = pa[unit_rand() % (sizeof(pa) - 1)];
		for (size_t i = 0; i < sl; i++)
			s[i] = sa[unit_rand() % (sizeof(sa) - 1)];
		if (pl && p[pl - 1] == '\\' && (pl < 2 || p[pl - 2] != '\\'))
			p[pl - 1] = 'a';
		/* Reference can't tell "\\" runs apart; keep it simple. */
		bool bad = false;

		for (size_t i = 0; i < pl; i++)
			if (p[i] == '\\') {
				if (i + 1 == pl) {
					bad = true;
					break;
				}
				i++;
			}
		if (bad)
			continue;
		bool want = ref_glob(p, pl, s, sl);
		bool got = c2w_glob_match(p, (uint32_t)pl, s, (uint32_t)sl);

		if (want != got) {
			unit_fail(__FILE__, __LINE__, "'%.*s' on '%.*s': %d want %d",
				  (int)pl, p, (int)sl, s, got, want);
			return;
		}
	}
}

/* ---- CIDRs --------------------------------------------------------------------- */

static struct c2w_ruleset *one_clause(const char **cidrs, size_t n, int field)
{
	struct rsb *b = rsb_new();
	struct rsb_rule_desc d = { .id = "r" };

	CHECK_EQ_INT(rsb_rule(b, &d), 0);
	CHECK_EQ_INT(rsb_clause(b, 0), 0);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(rsb_cidr(b, field, cidrs[i]), 0);
	return build(b, NULL);
}

static bool dst_in(struct c2w_ruleset *rs, const char *addr)
{
	struct c2w_event ev;

	memset(&ev, 0, sizeof(ev));
	ev_ip(&ev, C2W_FIELD_DESTINATION_IP, addr);
	return c2w_rs_eval(rs, &ev) & 1;
}

UNIT_TEST(cidr_edges)
{
	static const char *seed[] = {
		"0.0.0.0", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
		"169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
		"192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "::1",
		"FE80::/10", "FF00::/8",
	};
	static const struct { const char *a; bool in; } v[] = {
		{ "172.15.255.255", false }, { "172.16.0.0", true },
		{ "172.31.255.255", true }, { "172.32.0.0", false },
		{ "1.1.1.1", false }, { "0.0.0.0", true }, { "0.0.0.1", false },
		{ "10.0.0.1", true }, { "9.255.255.255", false },
		{ "11.0.0.0", false }, { "255.255.255.255", true },
		{ "223.255.255.255", false }, { "::1", true }, { "::2", false },
		{ "fe80::1", true }, { "febf:ffff::1", true },
		{ "fec0::1", false }, { "ff02::1", true },
		{ "2606:4700:4700::1111", false },
		{ "::ffff:10.0.0.1", true }, { "::ffff:1.1.1.1", false },
		{ "::ffff:172.31.0.1", true }, { "::", false },
	};
	struct c2w_ruleset *rs = one_clause(seed, sizeof(seed) / sizeof(*seed),
					    C2W_FIELD_DESTINATION_IP);

	if (!rs)
		return;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (dst_in(rs, v[i].a) != v[i].in)
			unit_fail(__FILE__, __LINE__, "%s: got %d", v[i].a,
				  !v[i].in);
	c2w_rs_free(rs);
}

UNIT_TEST(cidr_v4mapped_rules)
{
	static const char *c[] = { "::ffff:10.0.0.0/104" };
	static const char *all6[] = { "::/0" };
	struct c2w_ruleset *rs = one_clause(c, 1, C2W_FIELD_DESTINATION_IP);

	CHECK(dst_in(rs, "10.1.2.3"));
	CHECK(dst_in(rs, "::ffff:10.1.2.3"));
	CHECK(!dst_in(rs, "11.1.2.3"));
	c2w_rs_free(rs);
	rs = one_clause(all6, 1, C2W_FIELD_DESTINATION_IP);
	CHECK(dst_in(rs, "1.2.3.4"));
	CHECK(dst_in(rs, "2001:db8::1"));
	c2w_rs_free(rs);
}

static void rand_addr(int fam, uint8_t *a, const uint8_t *near, int prefix)
{
	memset(a, 0, 16);
	if (near && unit_rand() % 2) {
		/* Just inside or outside the network's edges. */
		int bytes = fam == 4 ? 4 : 16;

		memcpy(a, near, bytes);
		for (int i = prefix; i < bytes * 8; i++)
			if (unit_rand() % 4 == 0 || (unit_rand() & 1))
				a[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		if (prefix > 0 && unit_rand() % 3 == 0)
			a[(prefix - 1) / 8] ^= (uint8_t)(0x80 >> ((prefix - 1) % 8));
		return;
	}
	for (int i = 0; i < (fam == 4 ? 4 : 16); i++)
		a[i] = (uint8_t)unit_rand();
	if (fam == 6 && unit_rand() % 4 == 0)
		memcpy(a, mapped, 12);
}

UNIT_TEST(cidr_vs_reference)
{
	for (int round = 0; round < 300; round++) {
		struct rsb *b = rsb_new();
		struct rsb_rule_desc d = { .id = "r" };
		int n = 1 + (int)(unit_rand() % 40);
		uint8_t nets[40][16];
		int fams[40], prefs[40];
		struct c2w_ruleset *rs;
		void *blob;

		rsb_rule(b, &d);
		rsb_clause(b, 0);
		for (int i = 0; i < n; i++) {
			fams[i] = unit_rand() % 2 ? 4 : 6;
			prefs[i] = (int)(unit_rand() % (fams[i] == 4 ? 33 : 129));
			if (fams[i] == 6 && unit_rand() % 3 == 0)
				prefs[i] = 96 + (int)(unit_rand() % 33);
			rand_addr(fams[i], nets[i], NULL, 0);
			if (fams[i] == 6 && prefs[i] >= 96 && unit_rand() % 2)
				memcpy(nets[i], mapped, 12);
			for (int k = prefs[i]; k < (fams[i] == 4 ? 32 : 128); k++)
				nets[i][k / 8] &= (uint8_t)~(0x80 >> (k % 8));
			rsb_cidr_bin(b, C2W_FIELD_DESTINATION_IP, fams[i],
				     nets[i], prefs[i]);
		}
		rs = build(b, &blob);
		if (!rs)
			return;
		for (int it = 0; it < 300; it++) {
			struct c2w_event ev;
			int k = (int)(unit_rand() % n);
			int fam = unit_rand() % 2 ? 4 : 6;
			uint8_t a[16];

			rand_addr(fam, a, fam == fams[k] ? nets[k] : NULL,
				  prefs[k]);
			memset(&ev, 0, sizeof(ev));
			c2w_event_set_ip(&ev, C2W_FIELD_DESTINATION_IP, fam, a);
			bool got = c2w_rs_eval(rs, &ev) & 1;
			bool want = false;

			/* From the test's own networks, not the blob's. */
			for (int i = 0; i < n; i++)
				want |= ref_cidr(fams[i], nets[i], prefs[i],
						 ev.dst_family, ev.dst);

			if (got != want) {
				char t[64];

				inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, t,
					  sizeof(t));
				unit_fail(__FILE__, __LINE__,
					  "round %d addr %s: got %d want %d",
					  round, t, got, want);
				c2w_rs_free(rs);
				free(blob);
				return;
			}
		}
		c2w_rs_free(rs);
		free(blob);
	}
}

/* ---- whole rules against the reference evaluator ------------------------------ */

static const char *const rand_strs[] = {
	"/tmp/x", "/tmp/.a/b", "/usr/bin/curl", "/home/u/.cache/x", "curl",
	"x", "tcp", "udp", "ipv4", "connection_attempted", "/dev/shm/y", "",
};
static const char *const rand_pats[] = {
	"/tmp/*", "*", "/home/*/.*", "curl", "cur*", "*x", "tcp", "/usr/*",
	"*/.*", "connection_attempted", "/dev/shm/*", "", "\\*", "*b*",
};

/* CIDRs as a rule writes them, host bits and all. */
static const char *const rand_cidrs[] = {
	"10.0.0.0/8", "::1", "10.1.2.3/8", "192.168.7.1/16", "1.1.1.1",
	"2606:4700::1/32", "::ffff:10.9.9.9/104", "0.0.0.0/0",
	"172.16.0.0/12", "10.200.0.0/9", "100.64.0.0/10", "2606:4700::/31",
};

/* A random event: string, address and port fields, some absent. */
static void rand_event(struct c2w_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	for (int f = 1; f < C2W_FIELD_MAX; f++) {
		if (unit_rand() % 5 == 0)
			continue;
		switch (c2w_field_kind(f)) {
		case C2W_KIND_STR: {
			int nv = 1 + (int)(unit_rand() % 2);

			for (int v = 0; v < nv; v++)
				ev_str(ev, f, rand_strs[unit_rand() % 12]);
			if (nv == 1 && unit_rand() % 6 == 0)
				ev->head_only |= C2W_FBIT(f);
			break;
		}
		case C2W_KIND_IP:
			ev_ip(ev, f, unit_rand() % 2 ? "10.1.1.1" :
			      unit_rand() % 2 ? "::1" :
			      unit_rand() % 2 ? "1.1.1.1" :
			      unit_rand() % 2 ? "192.168.200.1" :
			      unit_rand() % 2 ? "172.31.9.9" :
			      unit_rand() % 2 ? "10.200.1.1" :
			      unit_rand() % 2 ? "100.127.0.1" :
			      unit_rand() % 2 ? "2606:4701::1" :
			      "2606:4700:4700::1111");
			break;
		default:
			if (f == C2W_FIELD_SOURCE_PORT)
				ev->sport = unit_rand() % 160;
			else
				ev->dport = unit_rand() % 160;
			ev->present |= C2W_FBIT(f);
		}
	}
}

/* The string fields of @mask, values and flags, from @src into @dst. */
static void copy_fields(struct c2w_event *dst, const struct c2w_event *src,
			uint32_t mask)
{
	for (int f = 1; f < C2W_FIELD_MAX; f++) {
		if (!(mask & C2W_FBIT(f)))
			continue;
		dst->nv[f] = src->nv[f];
		memcpy(dst->sv[f], src->sv[f], sizeof(src->sv[f]));
		dst->present = (dst->present & ~C2W_FBIT(f)) |
			       (src->present & C2W_FBIT(f));
		dst->head_only = (dst->head_only & ~C2W_FBIT(f)) |
				 (src->head_only & C2W_FBIT(f));
	}
}

#define PROC_BITS (C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE) | \
		   C2W_FBIT(C2W_FIELD_PROCESS_NAME))

UNIT_TEST(rules_vs_reference)
{
	int prefiltered = 0, cmemo_used = 0, memo_excluded = 0;
	int both_matched = 0;

	for (int round = 0; round < 400; round++) {
		struct rsb *b = rsb_new();
		int nr = 1 + (int)(unit_rand() % 4);
		struct ref_r ref[4];
		struct c2w_ruleset *rs;
		void *blob;
		char id[16];

		memset(ref, 0, sizeof(ref));
		for (int r = 0; r < nr; r++) {
			struct rsb_rule_desc d = { .id = id };
			int nc = 1 + (int)(unit_rand() % 4);

			snprintf(id, sizeof(id), "r%d", r);
			rsb_rule(b, &d);
			ref[r].n = nc;
			for (int c = 0; c < nc; c++) {
				int nt = 1 + (int)(unit_rand() % 4);
				struct ref_c *rc = &ref[r].c[c];

				rc->neg = unit_rand() % 2;
				rc->n = nt;
				rsb_clause(b, rc->neg);
				for (int t = 0; t < nt; t++) {
					int f = 1 + (int)(unit_rand() %
							  (C2W_FIELD_MAX - 1));
					struct ref_t *rt = &rc->t[t];

					rt->field = f;
					if (unit_rand() % 8 == 0) {
						rt->op = C2W_OP_EXISTS;
						rsb_exists(b, f);
						continue;
					}
					switch (c2w_field_kind(f)) {
					case C2W_KIND_STR:
						rt->op = C2W_OP_GLOB;
						rt->text = rand_pats[unit_rand() % 14];
						rsb_glob(b, f, rt->text,
							 strlen(rt->text));
						break;
					case C2W_KIND_IP:
						rt->op = C2W_OP_CIDR;
						rt->text = rand_cidrs[unit_rand() %
							(sizeof(rand_cidrs) /
							 sizeof(rand_cidrs[0]))];
						CHECK_EQ_INT(rsb_cidr(b, f, rt->text), 0);
						break;
					default:
						rt->op = C2W_OP_RANGE;
						rt->lo = unit_rand() % 100;
						rt->hi = rt->lo + unit_rand() % 50;
						rsb_range(b, f, rt->lo, rt->hi);
					}
				}
			}
		}
		rs = build(b, &blob);
		if (!rs)
			return;
		for (int it = 0; it < 200; it++) {
			struct c2w_event ev, ev2;
			uint64_t got, memo;

			rand_event(&ev);
			got = c2w_rs_eval(rs, &ev);
			/*
			 * The prefilters by their masks give what a walk of
			 * every clause gives (any memo, not only real ones).
			 */
			if (ev.present & C2W_FBIT(C2W_FIELD_DESTINATION_IP))
				CHECK_EQ_INT(c2w_rs_dst_excludes(rs, ev.dst_family,
								 ev.dst),
					     c2w_rs_excludes_walked(rs,
						ev.dst_family, ev.dst, 0,
						false));
			memo = c2w_rs_proc_eval(rs, &ev);
			for (int k = 0; k < 2; k++) {
				CHECK_EQ_INT(c2w_rs_memo_excludes(rs, memo),
					     c2w_rs_excludes_walked(rs, 0, NULL,
								    memo, true));
				memo = ((uint64_t)unit_rand() << 32) ^ unit_rand();
			}
			/*
			 * The destination prefilter: when it rules an address
			 * out, no event to that address matches, whatever its
			 * other fields.
			 */
			if ((ev.present & C2W_FBIT(C2W_FIELD_DESTINATION_IP)) &&
			    c2w_rs_dst_excludes(rs, ev.dst_family, ev.dst)) {
				prefiltered++;
				CHECK_EQ_INT(got == 0, 1);
				for (int k = 0; k < 4; k++) {
					rand_event(&ev2);
					c2w_event_set_ip(&ev2,
							 C2W_FIELD_DESTINATION_IP,
							 ev.dst_family, ev.dst);
					CHECK_EQ_INT(c2w_rs_eval(rs, &ev2) == 0, 1);
				}
			}
			/*
			 * The memo of this executable serves any other event
			 * of it: only clauses on the executable alone are in it.
			 */
			memo = c2w_rs_proc_eval(rs, &ev);
			rand_event(&ev2);
			copy_fields(&ev2, &ev,
				    C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE) |
				    C2W_FBIT(C2W_FIELD_PROCESS_NAME));
			{
				uint64_t plain = c2w_rs_eval(rs, &ev2);

				ev2.memo = memo;
				ev2.memo_set = true;
				CHECK_EQ_INT(c2w_rs_eval(rs, &ev2) == plain, 1);
				/*
				 * With every clause on the executable within
				 * the memo bits, the memo stands for the path:
				 * the event without it is judged the same (the
				 * module's probe walks a known image's
				 * attempts so).
				 */
				CHECK_EQ_INT(c2w_rs_memo_whole(rs), 1);
				ev2.nv[C2W_FIELD_PROCESS_EXECUTABLE] = 0;
				ev2.nv[C2W_FIELD_PROCESS_NAME] = 0;
				ev2.present &= ~PROC_BITS;
				ev2.head_only &= ~PROC_BITS;
				CHECK_EQ_INT(c2w_rs_eval(rs, &ev2) == plain, 1);
				/*
				 * And when the memo alone rules this executable
				 * out, none of its events matches.
				 */
				if (c2w_rs_memo_excludes(rs, memo)) {
					memo_excluded++;
					CHECK_EQ_INT(got == 0, 1);
					CHECK_EQ_INT(plain == 0, 1);
				}
			}
			/*
			 * The constant memo likewise serves any event with the
			 * same values of the constant fields.
			 */
			memo = c2w_rs_const_eval(rs, &ev);
			rand_event(&ev2);
			copy_fields(&ev2, &ev, C2W_CONST_FIELDS);
			{
				uint64_t plain = c2w_rs_eval(rs, &ev2);

				ev2.cmemo = memo;
				ev2.cmemo_set = true;
				CHECK_EQ_INT(c2w_rs_eval(rs, &ev2) == plain, 1);
				cmemo_used += memo != 0;
			}
			/*
			 * Both at once, as the module walks a known image's
			 * attempts: the clauses they decide tested by masks,
			 * the rest one by one; with the executable's values
			 * and without them.
			 */
			rand_event(&ev2);
			copy_fields(&ev2, &ev, PROC_BITS | C2W_CONST_FIELDS);
			{
				uint64_t plain = c2w_rs_eval(rs, &ev2);

				ev2.memo = c2w_rs_proc_eval(rs, &ev);
				ev2.memo_set = true;
				ev2.cmemo = memo;
				ev2.cmemo_set = true;
				CHECK_EQ_INT(c2w_rs_eval(rs, &ev2) == plain, 1);
				ev2.nv[C2W_FIELD_PROCESS_EXECUTABLE] = 0;
				ev2.nv[C2W_FIELD_PROCESS_NAME] = 0;
				ev2.present &= ~PROC_BITS;
				ev2.head_only &= ~PROC_BITS;
				CHECK_EQ_INT(c2w_rs_eval(rs, &ev2) == plain, 1);
				both_matched += plain != 0;
			}
			for (int r = 0; r < nr; r++) {
				bool want = ref_rule_text(&ref[r], &ev);

				if (want != !!(got & (1ULL << r))) {
					unit_fail(__FILE__, __LINE__,
						  "round %d rule %d: got %d want %d",
						  round, r, !want, want);
					c2w_rs_free(rs);
					free(blob);
					return;
				}
			}
		}
		c2w_rs_free(rs);
		free(blob);
	}
	/* Random rules give both something to decide often enough. */
	CHECK(prefiltered > 100);
	CHECK(cmemo_used > 100);
	CHECK(memo_excluded > 100);
	CHECK(both_matched > 100);
	printf("# decided early: %d by the destination, %d by the executable\n",
	       prefiltered, memo_excluded);
}

/*
 * Past the 64 memo bits a clause on the executable reads the path again:
 * then the memo no longer stands for it (c2w_rs_memo_whole()), unless
 * that clause's rule is disabled.
 */
UNIT_TEST(memo_whole_only_within_the_memo_bits)
{
	for (int n = 64; n <= 66; n++) {
		struct rsb_rule_desc d = { .id = "many" };
		struct rsb_rule_desc off = {
			.id = "off", .flags = C2W_RULE_DISABLED,
		};
		struct rsb *b = rsb_new();
		struct c2w_ruleset *rs;
		void *blob;

		rsb_rule(b, &d);
		for (int i = 0; i < (n == 66 ? 64 : n); i++) {
			rsb_clause(b, 1);
			rsb_glob(b, C2W_FIELD_PROCESS_NAME, "x*", 2);
		}
		if (n == 66) {
			/* 66: the 65th clause in a disabled rule. */
			rsb_rule(b, &off);
			rsb_clause(b, 1);
			rsb_glob(b, C2W_FIELD_PROCESS_NAME, "y*", 2);
		}
		rs = build(b, &blob);
		if (!rs)
			return;
		CHECK_EQ_INT(c2w_rs_memo_whole(rs), n != 65);
		c2w_rs_free(rs);
		free(blob);
	}
}

/*
 * The constant memo is used, not just harmless: an event whose constants
 * say otherwise is judged by the memo it is handed (as the module hands
 * each attempt the memo of its family and transport).
 */
UNIT_TEST(constant_memo_decides_constant_clauses)
{
	struct rsb *b = rsb_new();
	struct rsb_rule_desc d = { .id = "c" };
	struct c2w_ruleset *rs;
	struct c2w_event ev;
	uint64_t linux_memo;
	void *blob;

	rsb_rule(b, &d);
	rsb_clause(b, 0);
	rsb_glob(b, C2W_FIELD_HOST_OS_TYPE, "linux", 5);
	rsb_clause(b, 0);
	rsb_glob(b, C2W_FIELD_NETWORK_TRANSPORT, "udp", 3);
	rs = build(b, &blob);
	if (!rs)
		return;
	memset(&ev, 0, sizeof(ev));
	ev_str(&ev, C2W_FIELD_HOST_OS_TYPE, "linux");
	ev_str(&ev, C2W_FIELD_NETWORK_TRANSPORT, "udp");
	CHECK_EQ_INT(c2w_rs_eval(rs, &ev) == 1, 1);
	linux_memo = c2w_rs_const_eval(rs, &ev);
	CHECK_EQ_INT(linux_memo == 3, 1);

	memset(&ev, 0, sizeof(ev));
	ev_str(&ev, C2W_FIELD_HOST_OS_TYPE, "windows");
	ev_str(&ev, C2W_FIELD_NETWORK_TRANSPORT, "tcp");
	CHECK_EQ_INT(c2w_rs_eval(rs, &ev) == 0, 1);
	CHECK_EQ_INT(c2w_rs_const_eval(rs, &ev) == 0, 1);
	ev.cmemo = linux_memo;
	ev.cmemo_set = true;
	CHECK_EQ_INT(c2w_rs_eval(rs, &ev) == 1, 1);
	/* Every clause on constants has its bit: their values go unread. */
	CHECK_EQ_INT(c2w_rs_needs_const(rs), 0);
	ev.nv[C2W_FIELD_HOST_OS_TYPE] = 0;
	ev.nv[C2W_FIELD_NETWORK_TRANSPORT] = 0;
	ev.present = 0;
	CHECK_EQ_INT(c2w_rs_eval(rs, &ev) == 1, 1);
	c2w_rs_free(rs);
	free(blob);

	/*
	 * A constant and a port in one clause: the values are read; and a
	 * source port: the source is read. Not when that rule is disabled,
	 * its clauses never are.
	 */
	for (int k = 0; k < 4; k++) {
		bool disabled = k & 1, src = k & 2;

		b = rsb_new();
		d.flags = disabled ? C2W_RULE_DISABLED : 0;
		rsb_rule(b, &d);
		rsb_clause(b, 0);
		if (src) {
			rsb_range(b, C2W_FIELD_SOURCE_PORT, 1024, 65535);
		} else {
			rsb_glob(b, C2W_FIELD_NETWORK_TRANSPORT, "udp", 3);
			rsb_range(b, C2W_FIELD_DESTINATION_PORT, 9, 9);
		}
		rs = build(b, NULL);
		if (!rs)
			return;
		CHECK_EQ_INT(c2w_rs_needs_const(rs), !src && !disabled);
		CHECK_EQ_INT(c2w_rs_reads_source(rs), src && !disabled);
		c2w_rs_free(rs);
	}
}
/* ---- truncated paths and lazy resolution --------------------------------------- */

static int resolve_calls;

static int fake_resolve(struct c2w_event *ev)
{
	resolve_calls++;
	ev_str(ev, C2W_FIELD_PROCESS_EXECUTABLE, (const char *)ev->ctx);
	return 0;
}

UNIT_TEST(lazy_path_only_when_needed)
{
	struct rsb *b = rsb_new();
	struct rsb_rule_desc d = { .id = "r" };
	struct c2w_ruleset *rs;
	struct c2w_event ev;

	rsb_rule(b, &d);
	rsb_clause(b, 0);
	rsb_glob(b, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/*", 6);
	/* Added after the path clause, but cheaper: evaluated first. */
	rsb_clause(b, 1);
	rsb_cidr(b, C2W_FIELD_DESTINATION_IP, "127.0.0.0/8");
	rs = build(b, NULL);

	memset(&ev, 0, sizeof(ev));
	ev_ip(&ev, C2W_FIELD_DESTINATION_IP, "127.0.0.1");
	ev.lazy = C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE);
	ev.resolve = fake_resolve;
	ev.ctx = "/tmp/x";
	resolve_calls = 0;
	CHECK_EQ_INT(c2w_rs_eval(rs, &ev), 0);
	CHECK_EQ_INT(resolve_calls, 0);

	memset(&ev, 0, sizeof(ev));
	ev_ip(&ev, C2W_FIELD_DESTINATION_IP, "1.1.1.1");
	ev.lazy = C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE);
	ev.resolve = fake_resolve;
	ev.ctx = "/tmp/x";
	CHECK_EQ_INT(c2w_rs_eval(rs, &ev), 1);
	CHECK_EQ_INT(resolve_calls, 1);
	c2w_rs_free(rs);
}

/*
 * With its memo set, a known executable's path is not resolved for the
 * clauses the memo decides, alone or beside other tests (the module hands
 * the memo of the CPU's last match to the evaluation in full); a clause on
 * it past the memo bits still resolves it.
 */
UNIT_TEST(memo_stands_for_the_lazy_path)
{
	struct c2w_ruleset *rs;
	struct c2w_event ev;
	uint64_t memo, cmemo;

	for (int mixed = 0; mixed < 2; mixed++) {
		struct rsb *b = rsb_new();
		struct rsb_rule_desc d = { .id = "r" };

		rsb_rule(b, &d);
		rsb_clause(b, 0);
		rsb_glob(b, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/*", 6);
		/* Not from 10/8, unless from /usr: beside an address. */
		rsb_clause(b, 1);
		rsb_cidr(b, C2W_FIELD_DESTINATION_IP, "10.0.0.0/8");
		if (mixed)
			rsb_glob(b, C2W_FIELD_PROCESS_EXECUTABLE, "/usr/*", 6);
		rsb_clause(b, 0);
		rsb_glob(b, C2W_FIELD_HOST_OS_TYPE, "linux", 5);
		rs = build(b, NULL);
		if (!rs)
			return;

		memset(&ev, 0, sizeof(ev));
		ev_str(&ev, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/x");
		memo = c2w_rs_proc_eval(rs, &ev);
		memset(&ev, 0, sizeof(ev));
		ev_str(&ev, C2W_FIELD_HOST_OS_TYPE, "linux");
		cmemo = c2w_rs_const_eval(rs, &ev);

		for (int dst = 0; dst < 2; dst++) {
			memset(&ev, 0, sizeof(ev));
			ev_ip(&ev, C2W_FIELD_DESTINATION_IP,
			      dst ? "10.1.1.1" : "1.1.1.1");
			ev_str(&ev, C2W_FIELD_HOST_OS_TYPE, "linux");
			ev.lazy = C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE);
			ev.resolve = fake_resolve;
			ev.ctx = "/tmp/x";
			ev.memo = memo;
			ev.memo_set = true;
			ev.cmemo = cmemo;
			ev.cmemo_set = true;
			resolve_calls = 0;
			CHECK_EQ_INT(c2w_rs_eval(rs, &ev), !dst);
			CHECK_EQ_INT(resolve_calls, 0);
			CHECK_EQ_INT(ev.lazy != 0, 1);
			/*
			 * Without the memo: the same verdict, the path
			 * resolved when a clause reached it: always for a
			 * match; to 10/8 only beside the address (in cost
			 * order the path's clause comes first, the address
			 * alone before it).
			 */
			ev.memo_set = false;
			ev.cmemo_set = false;
			CHECK_EQ_INT(c2w_rs_eval(rs, &ev), !dst);
			CHECK_EQ_INT(resolve_calls, dst ? mixed : 1);
		}
		c2w_rs_free(rs);
	}
}

UNIT_TEST(truncated_path_cannot_escape)
{
	struct rsb *b = rsb_new();
	struct rsb_rule_desc d = { .id = "r" };
	struct c2w_ruleset *rs;
	struct c2w_event ev;

	rsb_rule(b, &d);
	rsb_clause(b, 0);
	rsb_glob(b, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/*", 6);
	rsb_glob(b, C2W_FIELD_PROCESS_EXECUTABLE, "/etc/crontab", 12);
	rsb_clause(b, 1);
	rsb_glob(b, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/go-build*", 14);
	rsb_glob(b, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/aaa/x", 10);
	rs = build(b, NULL);

	struct { const char *head; bool alert; } v[] = {
		{ "/tmp/aaa", true },	/* possible include, exclude unsure */
		{ "/tmp/go-build1/a", false },	/* exclude certain */
		{ "/tmp/go-bu", true },	/* exclude only possible */
		{ "/var/x", false },	/* include impossible */
		{ "/et", true },	/* /etc/crontab still possible */
		{ "/etc/crontab", false },	/* the real path is longer */
		{ "", true },		/* nothing resolved: fail open */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		ev_str(&ev, C2W_FIELD_PROCESS_EXECUTABLE, v[i].head);
		ev.head_only = C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE);
		if ((c2w_rs_eval(rs, &ev) & 1) != v[i].alert)
			unit_fail(__FILE__, __LINE__, "head '%s'", v[i].head);
	}
	c2w_rs_free(rs);
}

/* ---- validation ---------------------------------------------------------------- */

static int compile_blob(void *blob, uint32_t size, const char **msg)
{
	struct c2w_ruleset *rs = NULL;
	struct c2w_rs_error err;
	int ret = c2w_rs_compile(blob, size, &rs, &err);

	*msg = err.msg;
	if (!ret)
		c2w_rs_free(rs);
	else
		CHECK(rs == NULL);
	return ret;
}

static void *good_blob(uint32_t *size)
{
	struct rsb *b = rsb_new();
	struct rsb_rule_desc d = { .id = "r1", .name = "n" };
	void *blob;

	rsb_rule(b, &d);
	rsb_clause(b, 0);
	rsb_glob(b, C2W_FIELD_PROCESS_NAME, "x", 1);
	rsb_clause(b, 1);
	rsb_cidr(b, C2W_FIELD_DESTINATION_IP, "10.0.0.0/8");
	rsb_finish(b, &blob, size);
	rsb_free(b);
	return blob;
}

UNIT_TEST(validation_rejects_bad_blobs)
{
	uint32_t size;
	char *blob = good_blob(&size);
	struct c2w_rs_header *h = (void *)blob;
	struct c2w_rs_rule *r = (void *)(h + 1);
	struct c2w_rs_clause *c = (void *)(r + 1);
	struct c2w_rs_test *t = (void *)(c + 2);
	const char *msg;
	char *copy = malloc(size);

#define MUTATE(stmt, want) do {						\
	memcpy(copy, blob, size);					\
	h = (void *)copy; r = (void *)(h + 1); c = (void *)(r + 1);	\
	t = (void *)(c + 2);						\
	stmt;								\
	CHECK_EQ_INT(compile_blob(copy, size, &msg), -EINVAL);		\
	if (!msg || !strstr(msg, want))					\
		unit_fail(__FILE__, __LINE__, "%s: got '%s' want '%s'",	\
			  #stmt, msg ? msg : "(none)", want);		\
} while (0)

	CHECK_EQ_INT(compile_blob(blob, size, &msg), 0);
	CHECK_EQ_INT(compile_blob(blob, size - 1, &msg), -EINVAL);
	CHECK_EQ_INT(compile_blob(blob, 3, &msg), -EINVAL);
	MUTATE(h->magic++, "magic");
	MUTATE(h->reserved = 1, "reserved");
	MUTATE(h->n_tests++, "add up");
	MUTATE(h->n_rules = 0, "rule count");
	MUTATE(h->n_rules = 65, "rule count");
	MUTATE(r->flags = 1U << 20, "flags");
	MUTATE(r->id.len = 0, "id");
	MUTATE(r->id.off = 1U << 30, "id");
	MUTATE(r->name.len = 1U << 31, "string");
	MUTATE(r->severity = 9, "severity");
	MUTATE(r->risk_score = 101, "risk");
	MUTATE(r->n_clauses = 3, "clauses out of range");
	MUTATE(r->first_clause = 0xffffffff, "clauses out of range");
	MUTATE(c->flags = 2, "clause flags");
	MUTATE(c->n_tests = 0, "clause tests");
	MUTATE(c[1].first_test = 0xfffffffe, "clause tests");
	MUTATE(t[0].field = C2W_FIELD_MAX, "unknown field");
	MUTATE(t[0].op = C2W_OP_MAX, "operator");
	MUTATE(t[0].field = C2W_FIELD_SOURCE_IP, "glob on a non-string");
	MUTATE(t[0].reserved0 = 1, "reserved");
	MUTATE(t[0].prefix = 1, "other operands");
	MUTATE(t[1].prefix = 33, "prefix");
	MUTATE(t[1].prefix = 4, "host bits");
	MUTATE(t[1].family = 5, "family");
	MUTATE(t[1].op = C2W_OP_RANGE, "range");
	MUTATE(t[1].str.len = 1, "operands");
	MUTATE((h->n_rules = 2, h->size = size), "add up");
	/* Partitioned: no shared or overlapping ranges, nothing unowned. */
	MUTATE(c[1].first_test = 0, "after the previous clause");
	MUTATE(r->n_clauses = 1, "clauses that no rule owns");
	MUTATE((c[0].n_tests = 2, c[1].first_test = 0, c[1].n_tests = 2),
	       "after the previous clause");
	free(copy);
	free(blob);

	{
		struct rsb *pb = rsb_new();
		struct rsb_rule_desc pd = { .id = "p" };
		struct c2w_rs_clause *pc;
		void *pbl;

		rsb_rule(pb, &pd);
		rsb_clause(pb, 0);
		rsb_exists(pb, C2W_FIELD_PROCESS_NAME);
		rsb_clause(pb, 0);
		rsb_exists(pb, C2W_FIELD_PROCESS_NAME);
		rsb_exists(pb, C2W_FIELD_USER_ID);
		rsb_finish(pb, &pbl, &size);
		CHECK_EQ_INT(compile_blob(pbl, size, &msg), 0);
		pc = (void *)((struct c2w_rs_rule *)
			      ((struct c2w_rs_header *)pbl + 1) + 1);
		pc[1].n_tests = 1;	/* the last test: nobody's */
		CHECK_EQ_INT(compile_blob(pbl, size, &msg), -EINVAL);
		CHECK(msg && strstr(msg, "tests that no clause owns"));
		free(pbl);
		rsb_free(pb);
	}

	/* Duplicate ids, trailing backslash, NUL in a pattern. */
	struct rsb *b = rsb_new();
	struct rsb_rule_desc d = { .id = "same" };
	void *bl;

	rsb_rule(b, &d);
	rsb_clause(b, 0);
	rsb_exists(b, C2W_FIELD_PROCESS_NAME);
	rsb_rule(b, &d);
	rsb_clause(b, 0);
	rsb_glob(b, C2W_FIELD_PROCESS_NAME, "a\\", 2);
	rsb_finish(b, &bl, &size);
	CHECK_EQ_INT(compile_blob(bl, size, &msg), -EINVAL);
	CHECK(msg && strstr(msg, "'\\'"));
	free(bl);
	rsb_free(b);
#undef MUTATE
}

UNIT_TEST(truncated_blobs_never_crash)
{
	uint32_t size;
	char *blob = good_blob(&size);
	const char *msg;

	/* Every prefix of a good blob, with the header's size patched. */
	for (uint32_t n = 0; n < size; n++) {
		char *p = malloc(n ? n : 1);

		memcpy(p, blob, n);
		if (n >= sizeof(struct c2w_rs_header))
			((struct c2w_rs_header *)p)->size = n;
		CHECK_EQ_INT(compile_blob(p, n, &msg), -EINVAL);
		free(p);
	}
	/* Random byte flips: either valid or -EINVAL, never a crash. */
	for (int it = 0; it < 20000; it++) {
		char *p = malloc(size);

		memcpy(p, blob, size);
		for (int k = 0; k < 3; k++)
			p[unit_rand() % size] = (char)unit_rand();
		int ret = compile_blob(p, size, &msg);

		CHECK(ret == 0 || ret == -EINVAL);
		free(p);
	}
	free(blob);
}

UNIT_TEST(lazy_path_after_cheap_tests_in_one_clause)
{
	struct rsb *b = rsb_new();
	struct rsb_rule_desc d = { .id = "r" };
	struct c2w_ruleset *rs;
	struct c2w_event ev;

	/* One clause mixing a CIDR and a path glob: the CIDR decides. */
	rsb_rule(b, &d);
	rsb_clause(b, 1);
	rsb_glob(b, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/go-build*", 14);
	rsb_cidr(b, C2W_FIELD_DESTINATION_IP, "10.0.0.0/8");
	rs = build(b, NULL);

	memset(&ev, 0, sizeof(ev));
	ev_ip(&ev, C2W_FIELD_DESTINATION_IP, "10.1.1.1");
	ev.lazy = C2W_FBIT(C2W_FIELD_PROCESS_EXECUTABLE);
	ev.resolve = fake_resolve;
	ev.ctx = "/tmp/x";
	resolve_calls = 0;
	CHECK_EQ_INT(c2w_rs_eval(rs, &ev), 0);
	CHECK_EQ_INT(resolve_calls, 0);
	c2w_rs_free(rs);
}

/*
 * The new-terms key, one form for the module, c2watchctl eval and the saved
 * sets: executable alone is the path; more fields are joined by NUL bytes.
 */
UNIT_TEST(new_terms_key_form)
{
	struct c2w_rule_info r = { .new_terms = C2W_NT_EXECUTABLE };
	char buf[C2W_MAX_KEY], want[64];
	struct c2w_event ev;
	const char *k;
	uint32_t len;

	memset(&ev, 0, sizeof(ev));
	c2w_event_add_str(&ev, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/a", 6);
	c2w_event_add_str(&ev, C2W_FIELD_PROCESS_NAME, "a", 1);
	c2w_event_add_str(&ev, C2W_FIELD_USER_ID, "1000", 4);
	ev_ip(&ev, C2W_FIELD_DESTINATION_IP, "2606:4700:4700::1111");

	k = c2w_nt_key(&r, &ev, buf, sizeof(buf), &len);
	CHECK(k != buf);		/* the path itself, not copied */
	CHECK_EQ_INT(len, 6);
	CHECK(!memcmp(k, "/tmp/a", 6));

	r.new_terms = C2W_NT_EXECUTABLE | C2W_NT_NAME | C2W_NT_USER_ID |
		      C2W_NT_DESTINATION_IP;
	k = c2w_nt_key(&r, &ev, buf, sizeof(buf), &len);
	memcpy(want, "/tmp/a\0a\0" "1000\0" "2606:4700:4700::1111", 34);
	CHECK_EQ_INT(len, 34);
	CHECK(k == buf && !memcmp(buf, want, 34));

	/* Without the executable, every field is still preceded by NUL. */
	r.new_terms = C2W_NT_NAME | C2W_NT_DESTINATION_IP;
	memset(&ev.present, 0, sizeof(ev.present));
	ev_ip(&ev, C2W_FIELD_DESTINATION_IP, "1.1.1.1");
	k = c2w_nt_key(&r, &ev, buf, sizeof(buf), &len);
	CHECK_EQ_INT(len, 10);
	CHECK(!memcmp(buf, "\0a\0" "1.1.1.1", 10));
}

/*
 * The destination in a key is written without printf in the module: the
 * same text as inet_ntop() for every value of every byte, and bounded.
 */
UNIT_TEST(ipv4_text_is_inet_ntop)
{
	char got[C2W_IP_TEXT_MAX], want[INET_ADDRSTRLEN];
	uint8_t a[4];

	for (int pos = 0; pos < 4; pos++) {
		for (int v = 0; v < 256; v++) {
			memcpy(a, (uint8_t[]){ 1, 20, 200, 9 }, 4);
			a[pos] = (uint8_t)v;
			inet_ntop(AF_INET, a, want, sizeof(want));
			CHECK_EQ_INT(c2w_ip_text(4, a, got, sizeof(got)),
				     strlen(want));
			CHECK(!strcmp(got, want));
		}
	}
	memcpy(a, (uint8_t[]){ 255, 255, 255, 255 }, 4);
	CHECK_EQ_INT(c2w_ip_text(4, a, got, sizeof(got)), 15);
	CHECK(!strcmp(got, "255.255.255.255"));
	/* Cut as scnprintf() cuts: NUL-terminated, its length returned. */
	CHECK_EQ_INT(c2w_ip_text(4, a, got, 5), 4);
	CHECK(!strcmp(got, "255."));
	got[0] = 'x';
	CHECK_EQ_INT(c2w_ip_text(4, a, got, 0), 0);
	CHECK(got[0] == 'x');
}

/*
 * IPv6 likewise: inet_ntop()'s text for the special forms (mapped,
 * compatible, ISATAP, runs at either end, ties) and for random addresses
 * with runs of zero groups of every length and place.
 */
UNIT_TEST(ipv6_text_is_inet_ntop)
{
	static const char *const special[] = {
		"::", "::1", "1::", "::ffff:1.2.3.4", "::1.2.3.4", "::0.0.1.2",
		"::ffff:0.0.0.0", "2001:db8::5efe:c000:201", "fe80::1",
		"2606:4700:4700::1111", "1:0:1:1:1:1:1:1", "1:0:0:1:0:0:1:1",
		"1:0:0:1:0:0:0:1", "0:0:1::", "::ffff:0:1.2.3.4", "64:ff9b::1.2.3.4",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	char got[C2W_IP_TEXT_MAX], want[INET6_ADDRSTRLEN];
	uint8_t a[16];

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		CHECK(inet_pton(AF_INET6, special[i], a) == 1);
		inet_ntop(AF_INET6, a, want, sizeof(want));
		CHECK_EQ_INT(c2w_ip_text(6, a, got, sizeof(got)), strlen(want));
		CHECK(!strcmp(got, want));
	}
	for (int k = 0; k < 100000; k++) {
		for (int g = 0; g < 8; g++) {
			int r = rand() % 4;
			uint16_t v = r == 0 ? 0 : r == 1 ? rand() % 16 :
				     r == 2 ? 0xffff : rand() & 0xffff;

			a[2 * g] = v >> 8;
			a[2 * g + 1] = v & 0xff;
		}
		inet_ntop(AF_INET6, a, want, sizeof(want));
		CHECK_EQ_INT(c2w_ip_text(6, a, got, sizeof(got)), strlen(want));
		if (strcmp(got, want)) {
			CHECK(!strcmp(got, want));
			break;
		}
	}
	/* Cut as scnprintf() cuts. */
	CHECK(inet_pton(AF_INET6, "2606:4700:4700::1111", a) == 1);
	CHECK_EQ_INT(c2w_ip_text(6, a, got, 6), 5);
	CHECK(!strcmp(got, "2606:"));
}

/*
 * Bounded: a path of PATH_MAX and a 1024-byte name (FUSE allows them) fill
 * the buffer exactly and never more.
 */
UNIT_TEST(new_terms_key_is_bounded)
{
	struct c2w_rule_info r = {
		.new_terms = C2W_NT_EXECUTABLE | C2W_NT_NAME | C2W_NT_USER_ID,
	};
	static char path[4096], name[1024], buf[C2W_MAX_KEY + 64];
	struct c2w_event ev;
	uint32_t len;

	memset(path, 'p', sizeof(path));
	memset(name, 'n', sizeof(name));
	memset(&ev, 0, sizeof(ev));
	c2w_event_add_str(&ev, C2W_FIELD_PROCESS_EXECUTABLE, path,
			  sizeof(path));
	c2w_event_add_str(&ev, C2W_FIELD_PROCESS_NAME, name, sizeof(name));
	c2w_event_add_str(&ev, C2W_FIELD_USER_ID, "1000", 4);
	c2w_nt_key(&r, &ev, buf, sizeof(buf), &len);
	CHECK_EQ_INT(len, 4096 + 1 + 1024 + 1 + 4);
	/* A small buffer: cut at its end, nothing written past it. */
	memset(buf, 0x5a, sizeof(buf));
	c2w_nt_key(&r, &ev, buf, 5000, &len);
	CHECK_EQ_INT(len, 5000);
	CHECK(buf[5000] == 0x5a);
	/* Never more than C2W_MAX_KEY, whatever the buffer says. */
	r.new_terms = C2W_NT_EXECUTABLE;
	c2w_event_add_str(&ev, C2W_FIELD_PROCESS_EXECUTABLE, path, 0);
	ev.nv[C2W_FIELD_PROCESS_EXECUTABLE] = 0;
	c2w_event_add_str(&ev, C2W_FIELD_PROCESS_EXECUTABLE, buf,
			  C2W_MAX_KEY + 10);
	c2w_nt_key(&r, &ev, buf, sizeof(buf), &len);
	CHECK_EQ_INT(len, C2W_MAX_KEY);
}

UNIT_TEST(rule_found_by_id)
{
	struct rsb *b = rsb_new();
	struct rsb_rule_desc d1 = { .id = "first" }, d2 = { .id = "second" };
	struct c2w_ruleset *rs;

	rsb_rule(b, &d1);
	rsb_clause(b, 0);
	rsb_glob(b, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/*", 6);
	rsb_rule(b, &d2);
	rsb_clause(b, 0);
	rsb_glob(b, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/*", 6);
	rs = build(b, NULL);
	CHECK(rs);
	CHECK_EQ_INT(c2w_rs_find(rs, "second", 6), 1);
	CHECK_EQ_INT(c2w_rs_find(rs, "first", 5), 0);
	CHECK_EQ_INT(c2w_rs_find(rs, "firs", 4), -1);
	CHECK_EQ_INT(c2w_rs_find(NULL, "first", 5), -1);
	c2w_rs_free(rs);
}
