/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Elastic rule files (Kibana's export format: NDJSON, one rule per line, or
 * a JSON object or array) into a ruleset blob, through the KQL compiler.
 */
#ifndef C2W_RULEFILE_H
#define C2W_RULEFILE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define RULES_DEFAULT_DIR	"/etc/c2watch/rules.d"

int rules_load(char *const *paths, int n, void **blob, uint32_t *size,
	       char *err, size_t errlen);
int rules_load_text(const char *name, const char *text, size_t len,
		    void **blob, uint32_t *size, char *err, size_t errlen);
int rules_load_meta(char *const *paths, int n, void **blob, uint32_t *size,
		    json_object *meta, char *err, size_t errlen);
int rules_load_text_meta(const char *name, const char *text, size_t len,
			 void **blob, uint32_t *size, json_object *meta,
			 char *err, size_t errlen);
int rules_parse_window(const char *s, uint32_t *secs);
const char *rules_severity_name(unsigned int severity);

#endif
