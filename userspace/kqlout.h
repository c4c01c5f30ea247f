/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decompiler: a ruleset blob printed back as KQL that compiles to the
 * same blob (c2watchctl show, --explain).
 */
#ifndef C2W_KQLOUT_H
#define C2W_KQLOUT_H

#include <stdint.h>
#include <stdio.h>

char *kql_rule_query(const void *blob, uint32_t size, uint32_t rule);
char *kql_clause_text(const void *blob, uint32_t size, uint32_t clause);
char *kql_clause_field_text(const void *blob, uint32_t size, uint32_t clause,
			    int field);

#endif
