// SPDX-License-Identifier: GPL-2.0
/*
 * KQL compiler: tokenizer, recursive-descent parser, normalisation to the
 * kernel's clause form, emission into a ruleset builder.
 *
 * Normalisation: negations are pushed down to the field tests (NNF), then
 * the expression is distributed into conjunctive normal form with a bound on
 * its size. A CNF clause of plain tests is a plain clause; single negated
 * tests are gathered into negated clauses (not a and not b == not (a or b)),
 * one per cost class so that cheap network exclusions are evaluated before
 * path globs. A clause mixing negated and plain tests (a or not b) has no
 * kernel form and is refused with its position.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kql.h"
#include "rules.h"

const char *const kql_field_names[C2W_FIELD_MAX] = {
	[C2W_FIELD_PROCESS_EXECUTABLE]	= "process.executable",
	[C2W_FIELD_PROCESS_NAME]	= "process.name",
	[C2W_FIELD_SOURCE_IP]		= "source.ip",
	[C2W_FIELD_DESTINATION_IP]	= "destination.ip",
	[C2W_FIELD_SOURCE_PORT]		= "source.port",
	[C2W_FIELD_DESTINATION_PORT]	= "destination.port",
	[C2W_FIELD_NETWORK_TRANSPORT]	= "network.transport",
	[C2W_FIELD_NETWORK_TYPE]	= "network.type",
	[C2W_FIELD_USER_ID]		= "user.id",
	[C2W_FIELD_EVENT_ACTION]	= "event.action",
	[C2W_FIELD_EVENT_CATEGORY]	= "event.category",
	[C2W_FIELD_EVENT_TYPE]		= "event.type",
	[C2W_FIELD_HOST_OS_TYPE]	= "host.os.type",
};

int kql_field_by_name(const char *name, size_t len)
{
	for (int f = 1; f < C2W_FIELD_MAX; f++)
		if (strlen(kql_field_names[f]) == len &&
		    !memcmp(kql_field_names[f], name, len))
			return f;
	return 0;
}

/* ---- tokens ------------------------------------------------------------ */

enum tok_kind {
	T_EOF, T_LPAREN, T_RPAREN, T_COLON, T_WORD, T_QUOTED,
	T_AND, T_OR, T_NOT, T_RANGE, T_BRACE,
};

struct tok {
	enum tok_kind k;
	const char *s;		/* raw text (WORD: with escapes; QUOTED: inside) */
	size_t len;
	int line, col;
};

struct parser {
	const char *p;		/* next character */
	int line, col;
	struct tok t;		/* current token */
	struct kql_error *err;
	bool failed;
	struct node *all;	/* every node, for freeing */
	int depth;
};

static void perr(struct parser *ps, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void perr(struct parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	ps->err->line = line;
	ps->err->col = col;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
}

static void advance_char(struct parser *ps)
{
	if (*ps->p == '\n') {
		ps->line++;
		ps->col = 1;
	} else {
		ps->col++;
	}
	ps->p++;
}

static bool word_char(char c)
{
	return c && !isspace((unsigned char)c) && !strchr("():\"<>={}", c);
}

static bool keyword(const struct tok *t, const char *kw)
{
	return t->len == strlen(kw) && !strncasecmp(t->s, kw, t->len);
}

static void next(struct parser *ps)
{
	struct tok *t = &ps->t;

	while (*ps->p && isspace((unsigned char)*ps->p))
		advance_char(ps);
	t->line = ps->line;
	t->col = ps->col;
	t->s = ps->p;
	t->len = 0;
	if (!*ps->p) {
		t->k = T_EOF;
		return;
	}
	switch (*ps->p) {
	case '(':
		t->k = T_LPAREN;
		break;
	case ')':
		t->k = T_RPAREN;
		break;
	case ':':
		t->k = T_COLON;
		break;
	case '<': case '>': case '=':
		t->k = T_RANGE;
		break;
	case '{': case '}':
		t->k = T_BRACE;
		break;
	case '"':
		advance_char(ps);
		t->s = ps->p;
		while (*ps->p && *ps->p != '"') {
			if (*ps->p == '\\' && ps->p[1])
				advance_char(ps);
			advance_char(ps);
		}
		if (!*ps->p) {
			perr(ps, t->line, t->col,
			     "unterminated quoted value: add the closing '\"'");
			t->k = T_EOF;
			return;
		}
		t->k = T_QUOTED;
		t->len = ps->p - t->s;
		advance_char(ps);
		return;
	default:
		while (word_char(*ps->p)) {
			if (*ps->p == '\\' && ps->p[1])
				advance_char(ps);
			advance_char(ps);
		}
		t->k = T_WORD;
		t->len = ps->p - t->s;
		if (keyword(t, "and"))
			t->k = T_AND;
		else if (keyword(t, "or"))
			t->k = T_OR;
		else if (keyword(t, "not"))
			t->k = T_NOT;
		return;
	}
	t->len = 1;
	advance_char(ps);
}

/* ---- syntax tree ---------------------------------------------------------- */

enum node_kind { N_TEST, N_AND, N_OR, N_NOT };

struct node {
	enum node_kind k;
	struct node *a, *b;	/* AND/OR: both; NOT: a */
	struct node *next_alloc;
	int line, col;
	/* N_TEST */
	int field;
	int op;
	char *glob;
	size_t glob_len;
	int family, prefix;
	uint8_t addr[16];
	uint16_t lo, hi;
};

static struct node *new_node(struct parser *ps, enum node_kind k, int line,
			     int col)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n) {
		perr(ps, line, col, "out of memory");
		return NULL;
	}
	n->k = k;
	n->line = line;
	n->col = col;
	n->next_alloc = ps->all;
	ps->all = n;
	return n;
}

static struct node *binary(struct parser *ps, enum node_kind k,
			   struct node *a, struct node *b, const struct tok *op)
{
	struct node *n;

	if (!a || !b)
		return NULL;
	n = new_node(ps, k, op->line, op->col);
	if (n) {
		n->a = a;
		n->b = b;
	}
	return n;
}

/* Unquoted KQL value to glob: '\x' is literal x, '*' a wildcard. */
static char *word_to_glob(const struct tok *t, size_t *out_len, bool quoted)
{
	char *g = malloc(2 * t->len + 1);
	size_t o = 0;

	if (!g)
		return NULL;
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];
		bool lit = quoted;

		if (c == '\\' && i + 1 < t->len) {
			c = t->s[++i];
			lit = true;
		}
		if (lit && (c == '*' || c == '\\'))
			g[o++] = '\\';
		g[o++] = c;
	}
	g[o] = '\0';
	*out_len = o;
	return g;
}

/* Plain text of a value (escapes removed), for ip and port fields. */
static bool value_text(const struct tok *t, char *buf, size_t size,
		       bool *wild)
{
	size_t o = 0;

	*wild = false;
	for (size_t i = 0; i < t->len; i++) {
		char c = t->s[i];

		if (c == '\\' && i + 1 < t->len)
			c = t->s[++i];
		else if (c == '*' && t->k == T_WORD)
			*wild = true;
		if (o + 1 >= size)
			return false;
		buf[o++] = c;
	}
	buf[o] = '\0';
	return true;
}

static struct node *parse_value(struct parser *ps, int field)
{
	struct tok t = ps->t;
	struct node *n;
	char text[128];
	bool wild;

	if (t.k != T_WORD && t.k != T_QUOTED) {
		if (t.k == T_EOF)
			perr(ps, t.line, t.col, "expected a value for %s",
			     kql_field_names[field]);
		else
			perr(ps, t.line, t.col,
			     "expected a value for %s, found '%.*s'",
			     kql_field_names[field], (int)(t.len ? t.len : 1),
			     t.s);
		return NULL;
	}
	if (t.k == T_WORD && t.s[t.len - 1] == '\\' &&
	    (t.len < 2 || t.s[t.len - 2] != '\\')) {
		perr(ps, t.line, t.col, "value ends with a lone '\\'");
		return NULL;
	}
	n = new_node(ps, N_TEST, t.line, t.col);
	if (!n)
		return NULL;
	n->field = field;
	next(ps);
	if (t.k == T_WORD && t.len == 1 && t.s[0] == '*') {
		n->op = C2W_OP_EXISTS;
		return n;
	}
	switch (c2w_field_kind(field)) {
	case C2W_KIND_STR:
		n->op = C2W_OP_GLOB;
		n->glob = word_to_glob(&t, &n->glob_len, t.k == T_QUOTED);
		if (!n->glob)
			perr(ps, t.line, t.col, "out of memory");
		return n;
	case C2W_KIND_IP:
		n->op = C2W_OP_CIDR;
		if (!value_text(&t, text, sizeof(text), &wild) || wild ||
		    c2w_parse_cidr(text, &n->family, n->addr, &n->prefix)) {
			perr(ps, t.line, t.col,
			     "%s needs an IP address or CIDR (no wildcards), not '%.*s'",
			     kql_field_names[field], (int)t.len, t.s);
			return NULL;
		}
		return n;
	default: {
		char *end;
		long v;

		n->op = C2W_OP_RANGE;
		if (!value_text(&t, text, sizeof(text), &wild) || wild ||
		    !text[0]) {
			v = -1;
		} else {
			v = strtol(text, &end, 10);
			if (*end)
				v = -1;
		}
		if (v < 0 || v > 65535) {
			perr(ps, t.line, t.col,
			     "%s needs a port number 0-65535, not '%.*s'",
			     kql_field_names[field], (int)t.len, t.s);
			return NULL;
		}
		n->lo = n->hi = (uint16_t)v;
		return n;
	}
	}
}

static struct node *parse_vor(struct parser *ps, int field);

static struct node *parse_vnot(struct parser *ps, int field)
{
	struct tok t = ps->t;

	if (++ps->depth > 200) {
		perr(ps, t.line, t.col, "nesting too deep");
		return NULL;
	}
	if (t.k == T_NOT) {
		struct node *n = new_node(ps, N_NOT, t.line, t.col);

		next(ps);
		if (n)
			n->a = parse_vnot(ps, field);
		ps->depth--;
		return n && n->a ? n : NULL;
	}
	if (t.k == T_LPAREN) {
		struct node *n;

		next(ps);
		n = parse_vor(ps, field);
		if (!ps->failed && ps->t.k != T_RPAREN)
			perr(ps, t.line, t.col,
			     "unbalanced parentheses: this '(' is never closed");
		next(ps);
		ps->depth--;
		return n;
	}
	ps->depth--;
	return parse_value(ps, field);
}

static struct node *parse_vand(struct parser *ps, int field)
{
	struct node *n = parse_vnot(ps, field);

	while (n && ps->t.k == T_AND) {
		struct tok op = ps->t;

		next(ps);
		n = binary(ps, N_AND, n, parse_vnot(ps, field), &op);
	}
	return n;
}

static struct node *parse_vor(struct parser *ps, int field)
{
	struct node *n = parse_vand(ps, field);

	while (n && ps->t.k == T_OR) {
		struct tok op = ps->t;

		next(ps);
		n = binary(ps, N_OR, n, parse_vand(ps, field), &op);
	}
	return n;
}

static struct node *parse_or(struct parser *ps);

static struct node *parse_field(struct parser *ps)
{
	struct tok f = ps->t;
	int field;

	next(ps);
	if (ps->t.k == T_RANGE) {
		perr(ps, ps->t.line, ps->t.col,
		     "range queries (<, >, <=, >=) are not supported");
		return NULL;
	}
	if (ps->t.k != T_COLON) {
		perr(ps, f.line, f.col,
		     "expected 'field : value', found '%.*s' without a field (free-text search is not supported)",
		     (int)f.len, f.s);
		return NULL;
	}
	field = kql_field_by_name(f.s, f.len);
	if (!field) {
		perr(ps, f.line, f.col,
		     "unknown field '%.*s' (c2watch knows process.executable, process.name, source.ip, destination.ip, source.port, destination.port, network.transport, network.type, user.id, event.action, event.category, event.type, host.os.type)",
		     (int)f.len, f.s);
		return NULL;
	}
	next(ps);
	if (ps->t.k == T_BRACE) {
		perr(ps, ps->t.line, ps->t.col,
		     "nested field queries ({ }) are not supported");
		return NULL;
	}
	if (ps->t.k == T_LPAREN) {
		struct tok open = ps->t;
		struct node *n;

		next(ps);
		n = parse_vor(ps, field);
		if (!ps->failed && ps->t.k != T_RPAREN)
			perr(ps, open.line, open.col,
			     "unbalanced parentheses: this '(' is never closed");
		next(ps);
		return n;
	}
	return parse_value(ps, field);
}

static struct node *parse_not(struct parser *ps)
{
	struct tok t = ps->t;
	struct node *n;

	if (++ps->depth > 200) {
		perr(ps, t.line, t.col, "nesting too deep");
		return NULL;
	}
	switch (t.k) {
	case T_NOT:
		next(ps);
		n = new_node(ps, N_NOT, t.line, t.col);
		if (n)
			n->a = parse_not(ps);
		if (n && !n->a)
			n = NULL;
		break;
	case T_LPAREN:
		next(ps);
		n = parse_or(ps);
		if (!ps->failed && ps->t.k != T_RPAREN)
			perr(ps, t.line, t.col,
			     "unbalanced parentheses: this '(' is never closed");
		next(ps);
		break;
	case T_WORD:
		n = parse_field(ps);
		break;
	case T_EOF:
		perr(ps, t.line, t.col, "expected a term, found the end of the query");
		n = NULL;
		break;
	case T_RPAREN:
		perr(ps, t.line, t.col, "unbalanced parentheses: unexpected ')'");
		n = NULL;
		break;
	default:
		perr(ps, t.line, t.col, "expected a term, found '%.*s'",
		     (int)(t.len ? t.len : 1), t.s);
		n = NULL;
	}
	ps->depth--;
	return n;
}

static struct node *parse_and(struct parser *ps)
{
	struct node *n = parse_not(ps);

	while (n && ps->t.k == T_AND) {
		struct tok op = ps->t;
		struct node *rhs;

		next(ps);
		if (ps->t.k == T_EOF || ps->t.k == T_RPAREN) {
			perr(ps, op.line, op.col, "'and' needs a term after it");
			return NULL;
		}
		rhs = parse_not(ps);
		n = binary(ps, N_AND, n, rhs, &op);
	}
	return n;
}

static struct node *parse_or(struct parser *ps)
{
	struct node *n = parse_and(ps);

	while (n && ps->t.k == T_OR) {
		struct tok op = ps->t;
		struct node *rhs;

		next(ps);
		if (ps->t.k == T_EOF || ps->t.k == T_RPAREN) {
			perr(ps, op.line, op.col, "'or' needs a term after it");
			return NULL;
		}
		rhs = parse_and(ps);
		n = binary(ps, N_OR, n, rhs, &op);
	}
	return n;
}

/* ---- normalisation ------------------------------------------------------- */

struct lit {
	const struct node *t;
	const struct node *negated_by;	/* the 'not' that made it negative */
	bool neg;
};

struct clause {
	struct lit *l;
	int n;
};

struct cnf {
	struct clause *c;
	int n;
};

static void cnf_free(struct cnf *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->c[i].l);
	free(f->c);
	f->c = NULL;
	f->n = 0;
}

static int cnf_concat(struct cnf *a, struct cnf *b)
{
	struct clause *c = realloc(a->c, (a->n + b->n) * sizeof(*c));

	if (!c)
		return -ENOMEM;
	memcpy(c + a->n, b->c, b->n * sizeof(*c));
	a->c = c;
	a->n += b->n;
	free(b->c);
	b->c = NULL;
	b->n = 0;
	return 0;
}

/* (a1 & a2 ..) | (b1 & b2 ..) == &_{i,j} (ai | bj) */
static int cnf_product(struct cnf *a, struct cnf *b, struct cnf *out)
{
	long total = (long)a->n * b->n;

	out->n = 0;
	out->c = NULL;
	if (total > KQL_MAX_CLAUSES)
		return -E2BIG;
	out->c = calloc(total ? total : 1, sizeof(*out->c));
	if (!out->c)
		return -ENOMEM;
	for (int i = 0; i < a->n; i++) {
		for (int j = 0; j < b->n; j++) {
			struct clause *c = &out->c[out->n++];

			c->n = a->c[i].n + b->c[j].n;
			if (c->n > KQL_MAX_LITERALS)
				return -E2BIG;
			c->l = malloc(c->n * sizeof(*c->l));
			if (!c->l)
				return -ENOMEM;
			memcpy(c->l, a->c[i].l, a->c[i].n * sizeof(*c->l));
			memcpy(c->l + a->c[i].n, b->c[j].l,
			       b->c[j].n * sizeof(*c->l));
		}
	}
	return 0;
}

static int to_cnf(const struct node *n, bool neg, const struct node *by,
		  struct cnf *out)
{
	struct cnf a = { 0 }, b = { 0 };
	int ret;

	out->c = NULL;
	out->n = 0;
	if (n->k == N_TEST) {
		out->c = calloc(1, sizeof(*out->c));
		if (!out->c)
			return -ENOMEM;
		out->c[0].l = malloc(sizeof(struct lit));
		if (!out->c[0].l) {
			free(out->c);
			out->c = NULL;
			return -ENOMEM;
		}
		out->c[0].l[0].t = n;
		out->c[0].l[0].neg = neg;
		out->c[0].l[0].negated_by = neg ? by : NULL;
		out->c[0].n = 1;
		out->n = 1;
		return 0;
	}
	if (n->k == N_NOT)
		return to_cnf(n->a, !neg, n, out);
	ret = to_cnf(n->a, neg, by, &a);
	if (!ret)
		ret = to_cnf(n->b, neg, by, &b);
	if (!ret) {
		/* AND, or a negated OR (De Morgan), is a conjunction. */
		if ((n->k == N_AND) != neg) {
			ret = cnf_concat(&a, &b);
			if (!ret) {
				*out = a;
				a.c = NULL;
				a.n = 0;
			}
			if (!ret && out->n > KQL_MAX_CLAUSES)
				ret = -E2BIG;
		} else {
			ret = cnf_product(&a, &b, out);
		}
	}
	cnf_free(&a);
	cnf_free(&b);
	if (ret)
		cnf_free(out);
	return ret;
}

/* ---- emission --------------------------------------------------------- */

static int emit_test(struct rsb *b, const struct node *t)
{
	switch (t->op) {
	case C2W_OP_EXISTS:
		return rsb_exists(b, t->field);
	case C2W_OP_GLOB:
		return rsb_glob(b, t->field, t->glob, t->glob_len);
	case C2W_OP_CIDR:
		return rsb_cidr_bin(b, t->field, t->family, t->addr,
				    t->prefix);
	default:
		return rsb_range(b, t->field, t->lo, t->hi);
	}
}

static int cost_class(int field)
{
	if (field == C2W_FIELD_PROCESS_EXECUTABLE ||
	    field == C2W_FIELD_PROCESS_NAME)
		return 2;
	return c2w_field_kind(field) == C2W_KIND_STR ? 1 : 0;
}

static int emit(struct rsb *b, const struct cnf *f, struct kql_error *err)
{
	int ret = 0;

	for (int i = 0; i < f->n; i++) {
		const struct clause *c = &f->c[i];
		int negs = 0;

		for (int j = 0; j < c->n; j++)
			negs += c->l[j].neg;
		if (negs && c->n > 1) {
			const struct node *t = NULL;

			for (int j = 0; j < c->n && !t; j++)
				if (c->l[j].neg)
					t = c->l[j].negated_by ?: c->l[j].t;
			err->line = t->line;
			err->col = t->col;
			snprintf(err->msg, sizeof(err->msg),
				 "the kernel cannot evaluate an OR that mixes negated and plain terms (a or not b); rewrite this part");
			return -EINVAL;
		}
		if (negs)
			continue;
		ret = rsb_clause(b, 0);
		for (int j = 0; !ret && j < c->n; j++)
			ret = emit_test(b, c->l[j].t);
		if (ret)
			return ret;
	}
	/* Single negated tests, one negated clause per cost class. */
	for (int cls = 0; cls < 3; cls++) {
		bool open = false;

		for (int i = 0; i < f->n && !ret; i++) {
			const struct clause *c = &f->c[i];

			if (!c->l[0].neg || cost_class(c->l[0].t->field) != cls)
				continue;
			if (!open) {
				ret = rsb_clause(b, 1);
				open = true;
			}
			if (!ret)
				ret = emit_test(b, c->l[0].t);
		}
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kql_compile() - compile a KQL query into clauses of the current rule
 * @b: builder; rsb_rule() was called for the rule
 * @query: NUL-terminated KQL
 * @err: on -EINVAL, where and why
 *
 * Return: 0, -EINVAL (syntax or unsupported construct), -ENOMEM.
 */
int kql_compile(struct rsb *b, const char *query, struct kql_error *err)
{
	struct parser ps = { .p = query, .line = 1, .col = 1, .err = err };
	struct cnf f = { 0 };
	struct node *root;
	int ret;

	memset(err, 0, sizeof(*err));
	next(&ps);
	root = parse_or(&ps);
	if (!ps.failed && ps.t.k != T_EOF) {
		if (ps.t.k == T_RPAREN)
			perr(&ps, ps.t.line, ps.t.col,
			     "unbalanced parentheses: unexpected ')'");
		else
			perr(&ps, ps.t.line, ps.t.col,
			     "expected 'and', 'or' or the end of the query, found '%.*s'",
			     (int)(ps.t.len ? ps.t.len : 1), ps.t.s);
	}
	if (ps.failed || !root) {
		if (!ps.failed)
			perr(&ps, 1, 1, "empty query");
		ret = -EINVAL;
		goto out;
	}
	ret = to_cnf(root, false, NULL, &f);
	if (ret == -E2BIG) {
		err->line = root->line;
		err->col = root->col;
		snprintf(err->msg, sizeof(err->msg),
			 "query too complex: its normal form exceeds %d clauses of %d terms; simplify the or/and nesting",
			 KQL_MAX_CLAUSES, KQL_MAX_LITERALS);
		ret = -EINVAL;
		goto out;
	}
	if (!ret)
		ret = emit(b, &f, err);
	if (ret == -ENOMEM)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
out:
	cnf_free(&f);
	while (ps.all) {
		struct node *n = ps.all;

		ps.all = n->next_alloc;
		free(n->glob);
		free(n);
	}
	return ret;
}
