/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KQL (Kibana Query Language) to c2watch clause form.
 *
 * The subset Elastic's Linux network rules use: field:value, field:(a or b),
 * and/or/not with KQL precedence (not > and > or), parentheses, quoted values
 * (literal), backslash escapes, unquoted '*' wildcards, field:* (exists).
 * The boolean structure is normalised into what the kernel evaluates: an AND
 * of clauses, each an OR of field tests, optionally negated as a whole.
 */
#ifndef C2W_KQL_H
#define C2W_KQL_H

#include "rsbuild.h"

/**
 * struct kql_error - why and where a query was refused
 * @line: 1-based line in the query
 * @col: 1-based column in the query
 * @msg: what is wrong and, where it helps, what to do
 */
struct kql_error {
	int line;
	int col;
	char msg[256];
};

/* Limits on the normalised form (a structure that would blow up). */
#define KQL_MAX_CLAUSES		256
#define KQL_MAX_LITERALS	4096

int kql_compile(struct rsb *b, const char *query, struct kql_error *err);

/* Field names, indexed by enum c2w_field. */
extern const char *const kql_field_names[C2W_FIELD_MAX];
int kql_field_by_name(const char *name, size_t len);

#endif
