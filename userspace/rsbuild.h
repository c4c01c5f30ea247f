/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building a ruleset blob (include/uapi/linux/c2watch.h) in userspace:
 * rules, then their clauses, then each clause's tests, in that order.
 */
#ifndef C2W_RSBUILD_H
#define C2W_RSBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/c2watch.h>

struct rsb;

struct rsb_rule_desc {
	const char *id;
	const char *name;
	const char *tactic;
	const char *technique;
	uint32_t window_secs;
	uint32_t flags;
	uint32_t new_terms;
	uint8_t severity;
	uint8_t risk_score;
};

struct rsb *rsb_new(void);
void rsb_free(struct rsb *b);
int rsb_rule(struct rsb *b, const struct rsb_rule_desc *d);
int rsb_clause(struct rsb *b, int negate);
int rsb_glob(struct rsb *b, int field, const char *pat, size_t len);
int rsb_cidr(struct rsb *b, int field, const char *text);
int rsb_cidr_bin(struct rsb *b, int field, int family, const uint8_t *addr,
		 int prefix);
int rsb_range(struct rsb *b, int field, uint16_t lo, uint16_t hi);
int rsb_exists(struct rsb *b, int field);
int rsb_finish(struct rsb *b, void **blob, uint32_t *size);

int c2w_parse_cidr(const char *text, int *family, uint8_t addr[16],
		   int *prefix);

#endif
