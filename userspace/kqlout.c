// SPDX-License-Identifier: GPL-2.0
/*
 * Blob to KQL. Each clause becomes "field : (v1 or v2)" when it tests one
 * field, "(f1 : v1 or f2 : v2)" otherwise, wrapped in "not (...)" when
 * negated; a rule is its clauses joined with "and". Values are escaped so
 * that the KQL compiler reads back exactly the same tests. The blob must
 * have passed c2w_rs_compile().
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <linux/c2watch.h>

#include "kql.h"
#include "kqlout.h"
#include "rules.h"

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static bool is_keyword(const char *s, size_t n)
{
	return (n == 3 && (!strncasecmp(s, "and", 3) || !strncasecmp(s, "not", 3))) ||
	       (n == 2 && !strncasecmp(s, "or", 2));
}

/* A glob pattern as an unquoted KQL value. */
static void put_glob(struct sbuf *b, const char *pat, size_t n)
{
	if (!n) {
		puts_(b, "\"\"");
		return;
	}
	if (is_keyword(pat, n)) {
		/* Quoted: literal, which a keyword is. */
		put(b, "\"", 1);
		put(b, pat, n);
		put(b, "\"", 1);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char c = pat[i];

		if (c == '\\' && i + 1 < n) {
			/* Glob escape: '\*' or '\\' stay escaped in KQL. */
			put(b, "\\", 1);
			put(b, &pat[++i], 1);
			continue;
		}
		/* Whatever would end or change an unquoted KQL word. */
		if (c != '*' && (isspace((unsigned char)c) ||
				 strchr("\\():<>\"{}=", c)))
			put(b, "\\", 1);
		put(b, &c, 1);
	}
}

static void put_test_value(struct sbuf *b, const struct c2w_rs_view *v,
			   const struct c2w_rs_test *t)
{
	char buf[INET6_ADDRSTRLEN + 8];

	switch (t->op) {
	case C2W_OP_EXISTS:
		puts_(b, "*");
		break;
	case C2W_OP_GLOB:
		put_glob(b, v->strtab + t->str.off, t->str.len);
		break;
	case C2W_OP_CIDR: {
		int max = t->family == 4 ? 32 : 128;

		inet_ntop(t->family == 4 ? AF_INET : AF_INET6, t->addr, buf,
			  sizeof(buf));
		if (t->prefix != max)
			snprintf(buf + strlen(buf), 8, "/%u", t->prefix);
		put(b, "\"", 1);
		puts_(b, buf);
		put(b, "\"", 1);
		break;
	}
	default:
		snprintf(buf, sizeof(buf), "%u", t->port_lo);
		puts_(b, buf);
		if (t->port_hi != t->port_lo) {
			/* Not KQL c2watch compiles; shown for completeness. */
			snprintf(buf, sizeof(buf), "..%u", t->port_hi);
			puts_(b, buf);
		}
	}
}

static void put_clause(struct sbuf *b, const struct c2w_rs_view *v,
		       const struct c2w_rs_clause *c, bool multiline)
{
	const struct c2w_rs_test *t = &v->tests[c->first_test];
	bool one_field = true, neg = c->flags & C2W_CLAUSE_NEGATE;

	for (uint32_t i = 1; i < c->n_tests; i++)
		one_field &= t[i].field == t[0].field;
	if (neg)
		puts_(b, "not ");
	if (one_field) {
		puts_(b, kql_field_names[t[0].field]);
		puts_(b, " : ");
		if (c->n_tests > 1)
			put(b, "(", 1);
		for (uint32_t i = 0; i < c->n_tests; i++) {
			if (i)
				puts_(b, multiline && i % 6 == 0 ? " or\n    " : " or ");
			put_test_value(b, v, &t[i]);
		}
		if (c->n_tests > 1)
			put(b, ")", 1);
		return;
	}
	put(b, "(", 1);
	for (uint32_t i = 0; i < c->n_tests; i++) {
		if (i)
			puts_(b, multiline ? " or\n    " : " or ");
		puts_(b, kql_field_names[t[i].field]);
		puts_(b, " : ");
		put_test_value(b, v, &t[i]);
	}
	put(b, ")", 1);
}

/**
 * kql_rule_query() - rule @rule of a validated blob as KQL
 * @blob: the blob
 * @size: its size
 * @rule: rule index
 *
 * Return: a malloc'd string, NULL when out of memory.
 */
char *kql_rule_query(const void *blob, uint32_t size, uint32_t rule)
{
	struct sbuf b = { 0 };
	struct c2w_rs_view v;
	const struct c2w_rs_rule *r;

	(void)size;
	c2w_rs_view(blob, &v);
	r = &v.rules[rule];
	for (uint32_t i = 0; i < r->n_clauses; i++) {
		if (i)
			puts_(&b, " and\n");
		put_clause(&b, &v, &v.clauses[r->first_clause + i], true);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

/**
 * kql_clause_text() - one clause (by blob index) as KQL, on one line
 * @blob: the blob
 * @size: its size
 * @clause: clause index
 *
 * Return: a malloc'd string, NULL when out of memory.
 */
char *kql_clause_text(const void *blob, uint32_t size, uint32_t clause)
{
	struct sbuf b = { 0 };
	struct c2w_rs_view v;

	(void)size;
	c2w_rs_view(blob, &v);
	put_clause(&b, &v, &v.clauses[clause], false);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/**
 * kql_clause_field_text() - the tests of one clause on one field, as KQL
 * @blob: the blob
 * @size: its size
 * @clause: clause index
 * @field: &enum c2w_field
 *
 * "not source.ip : (a or b)" for the source.ip tests of a negated clause
 * that also tests other fields: what a message about that part names.
 *
 * Return: a malloc'd string ("" when the clause does not test @field),
 * NULL when out of memory.
 */
char *kql_clause_field_text(const void *blob, uint32_t size, uint32_t clause,
			    int field)
{
	struct sbuf b = { 0 };
	const struct c2w_rs_clause *c;
	struct c2w_rs_view v;
	uint32_t n = 0;

	(void)size;
	c2w_rs_view(blob, &v);
	c = &v.clauses[clause];
	for (uint32_t i = 0; i < c->n_tests; i++)
		n += v.tests[c->first_test + i].field == field;
	if (!n)
		return strdup("");
	if (c->flags & C2W_CLAUSE_NEGATE)
		puts_(&b, "not ");
	puts_(&b, kql_field_names[field]);
	puts_(&b, n > 1 ? " : (" : " : ");
	for (uint32_t i = 0, k = 0; i < c->n_tests; i++) {
		const struct c2w_rs_test *t = &v.tests[c->first_test + i];

		if (t->field != field)
			continue;
		if (k++)
			puts_(&b, " or ");
		put_test_value(&b, &v, t);
	}
	if (n > 1)
		put(&b, ")", 1);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
