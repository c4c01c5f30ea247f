/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arrays of a ruleset blob (include/uapi/linux/c2watch.h), for the
 * userspace readers of a blob that c2w_rs_compile() has accepted: the
 * decompiler, the host check, the unit tests.
 */
#ifndef C2W_BLOBVIEW_H
#define C2W_BLOBVIEW_H

#include <linux/c2watch.h>

/**
 * struct blob_view - where each array of a validated blob starts
 * @h: the header
 * @rules: h->n_rules rules
 * @clauses: h->n_clauses clauses
 * @tests: h->n_tests tests
 * @strtab: h->strtab_size bytes of strings
 */
struct blob_view {
	const struct c2w_rs_header *h;
	const struct c2w_rs_rule *rules;
	const struct c2w_rs_clause *clauses;
	const struct c2w_rs_test *tests;
	const char *strtab;
};

static inline void blob_view(const void *blob, struct blob_view *v)
{
	v->h = blob;
	v->rules = (const void *)(v->h + 1);
	v->clauses = (const void *)(v->rules + v->h->n_rules);
	v->tests = (const void *)(v->clauses + v->h->n_clauses);
	v->strtab = (const char *)(v->tests + v->h->n_tests);
}

#endif
