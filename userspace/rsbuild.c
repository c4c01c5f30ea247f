// SPDX-License-Identifier: GPL-2.0
/*
 * Ruleset blob builder. Arrays grow as rules, clauses and tests are added;
 * rsb_finish() lays them out as header, rules, clauses, tests, strings.
 * Functions return 0 or -errno; after an error the builder stays usable
 * but the failed item was not added.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rsbuild.h"

struct rsb {
	struct c2w_rs_rule *rules;
	struct c2w_rs_clause *clauses;
	struct c2w_rs_test *tests;
	char *strtab;
	uint32_t n_rules, n_clauses, n_tests, strtab_len;
	uint32_t cap_rules, cap_clauses, cap_tests, cap_strtab;
};

struct rsb *rsb_new(void)
{
	return calloc(1, sizeof(struct rsb));
}

void rsb_free(struct rsb *b)
{
	if (!b)
		return;
	free(b->rules);
	free(b->clauses);
	free(b->tests);
	free(b->strtab);
	free(b);
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t sz)
{
	uint32_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, (size_t)n * sz);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int add_str(struct rsb *b, const char *s, size_t len,
		   struct c2w_str *out)
{
	if (!s || !len) {
		out->off = 0;
		out->len = 0;
		return 0;
	}
	if (len > C2W_MAX_STRTAB || memchr(s, '\0', len))
		return -EINVAL;
	if (grow((void **)&b->strtab, &b->cap_strtab,
		 b->strtab_len + (uint32_t)len, 1))
		return -ENOMEM;
	memcpy(b->strtab + b->strtab_len, s, len);
	out->off = b->strtab_len;
	out->len = (uint32_t)len;
	b->strtab_len += (uint32_t)len;
	return 0;
}

static int add_cstr(struct rsb *b, const char *s, struct c2w_str *out)
{
	return add_str(b, s, s ? strlen(s) : 0, out);
}

int rsb_rule(struct rsb *b, const struct rsb_rule_desc *d)
{
	struct c2w_rs_rule *r;
	int ret;

	if (grow((void **)&b->rules, &b->cap_rules, b->n_rules + 1,
		 sizeof(*r)))
		return -ENOMEM;
	r = &b->rules[b->n_rules];
	memset(r, 0, sizeof(*r));
	ret = add_cstr(b, d->id, &r->id);
	ret = ret ?: add_cstr(b, d->name, &r->name);
	ret = ret ?: add_cstr(b, d->tactic, &r->tactic);
	ret = ret ?: add_cstr(b, d->technique, &r->technique);
	if (ret)
		return ret;
	r->first_clause = b->n_clauses;
	r->window_secs = d->window_secs;
	r->flags = d->flags;
	r->new_terms = d->new_terms;
	r->severity = d->severity;
	r->risk_score = d->risk_score;
	b->n_rules++;
	return 0;
}

int rsb_clause(struct rsb *b, int negate)
{
	struct c2w_rs_clause *c;

	if (!b->n_rules)
		return -EINVAL;
	if (grow((void **)&b->clauses, &b->cap_clauses, b->n_clauses + 1,
		 sizeof(*c)))
		return -ENOMEM;
	c = &b->clauses[b->n_clauses++];
	memset(c, 0, sizeof(*c));
	c->first_test = b->n_tests;
	c->flags = negate ? C2W_CLAUSE_NEGATE : 0;
	b->rules[b->n_rules - 1].n_clauses++;
	return 0;
}

static struct c2w_rs_test *new_test(struct rsb *b, int field, int op)
{
	struct c2w_rs_test *t;

	if (!b->n_clauses)
		return NULL;
	if (grow((void **)&b->tests, &b->cap_tests, b->n_tests + 1,
		 sizeof(*t)))
		return NULL;
	t = &b->tests[b->n_tests];
	memset(t, 0, sizeof(*t));
	t->field = (uint16_t)field;
	t->op = (uint16_t)op;
	return t;
}

static void commit_test(struct rsb *b)
{
	b->n_tests++;
	b->clauses[b->n_clauses - 1].n_tests++;
}

int rsb_glob(struct rsb *b, int field, const char *pat, size_t len)
{
	struct c2w_rs_test *t = new_test(b, field, C2W_OP_GLOB);
	int ret;

	if (!t)
		return -ENOMEM;
	ret = add_str(b, pat, len, &t->str);
	if (ret)
		return ret;
	commit_test(b);
	return 0;
}

int rsb_cidr_bin(struct rsb *b, int field, int family, const uint8_t *addr,
		 int prefix)
{
	struct c2w_rs_test *t = new_test(b, field, C2W_OP_CIDR);

	if (!t)
		return -ENOMEM;
	t->family = (uint8_t)family;
	t->prefix = (uint8_t)prefix;
	memcpy(t->addr, addr, family == 4 ? 4 : 16);
	commit_test(b);
	return 0;
}

/**
 * c2w_parse_cidr() - parse "a.b.c.d[/n]" or "x::y[/n]" (host bits cleared)
 * @text: NUL-terminated text
 * @family: out: 4 or 6
 * @addr: out: address, network order, IPv4 in the first 4 bytes
 * @prefix: out: prefix length (32 or 128 when absent)
 *
 * Return: 0 or -EINVAL.
 */
int c2w_parse_cidr(const char *text, int *family, uint8_t addr[16],
		   int *prefix)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	int max, i;
	long p;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = 6;
		max = 128;
	} else {
		return -EINVAL;
	}
	p = max;
	if (slash) {
		if (!slash[1] || slash[1] == '-' || slash[1] == '+')
			return -EINVAL;
		p = strtol(slash + 1, &end, 10);
		if (*end || p < 0 || p > max)
			return -EINVAL;
	}
	*prefix = (int)p;
	for (i = 0; i < max / 8; i++) {
		int keep = (int)p - i * 8;

		if (keep <= 0)
			addr[i] = 0;
		else if (keep < 8)
			addr[i] &= (uint8_t)(0xff00 >> keep);
	}
	return 0;
}

int rsb_cidr(struct rsb *b, int field, const char *text)
{
	uint8_t addr[16];
	int family, prefix;

	if (c2w_parse_cidr(text, &family, addr, &prefix))
		return -EINVAL;
	return rsb_cidr_bin(b, field, family, addr, prefix);
}

int rsb_range(struct rsb *b, int field, uint16_t lo, uint16_t hi)
{
	struct c2w_rs_test *t = new_test(b, field, C2W_OP_RANGE);

	if (!t)
		return -ENOMEM;
	t->port_lo = lo;
	t->port_hi = hi;
	commit_test(b);
	return 0;
}

int rsb_exists(struct rsb *b, int field)
{
	struct c2w_rs_test *t = new_test(b, field, C2W_OP_EXISTS);

	if (!t)
		return -ENOMEM;
	commit_test(b);
	return 0;
}

int rsb_finish(struct rsb *b, void **blob, uint32_t *size)
{
	struct c2w_rs_header h;
	size_t sz, o;
	char *p;

	sz = sizeof(h) + (size_t)b->n_rules * sizeof(*b->rules) +
	     (size_t)b->n_clauses * sizeof(*b->clauses) +
	     (size_t)b->n_tests * sizeof(*b->tests) + b->strtab_len;
	if (sz > C2W_MAX_RULESET_SIZE)
		return -E2BIG;
	p = malloc(sz);
	if (!p)
		return -ENOMEM;
	memset(&h, 0, sizeof(h));
	h.magic = C2W_RS_MAGIC;
	h.size = (uint32_t)sz;
	h.n_rules = b->n_rules;
	h.n_clauses = b->n_clauses;
	h.n_tests = b->n_tests;
	h.strtab_size = b->strtab_len;
	memcpy(p, &h, sizeof(h));
	o = sizeof(h);
#define PUT(ptr, n) do { if ((n) != 0) memcpy(p + o, ptr, n); o += n; } while (0)
	PUT(b->rules, (size_t)b->n_rules * sizeof(*b->rules));
	PUT(b->clauses, (size_t)b->n_clauses * sizeof(*b->clauses));
	PUT(b->tests, (size_t)b->n_tests * sizeof(*b->tests));
	PUT(b->strtab, (size_t)b->strtab_len);
#undef PUT
	*blob = p;
	*size = (uint32_t)sz;
	return 0;
}
