/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records from /dev/c2watch as Elastic Common Schema documents (json-c).
 */
#ifndef C2W_ECS_H
#define C2W_ECS_H

#include <stdbool.h>
#include <json-c/json.h>
#include <linux/c2watch.h>

#define C2W_ECS_VERSION "8.11.0"

struct c2w_ruleset;

/**
 * struct ecs_ctx - what a document needs beyond the record
 * @rules: the loaded ruleset (names, threat ids), may be NULL
 * @rule_meta: rule_id -> the rule's JSON object as loaded from its file
 *	(rules_load_meta()): version, description, author, references,
 *	license and every threat entry, for alerts; may be NULL
 * @host_name: gethostname()
 * @host_id: /etc/machine-id, may be empty
 * @os_kernel: uname() release
 * @arch: uname() machine
 * @os_name: /etc/os-release NAME, may be empty
 * @os_version: its VERSION_ID
 * @os_platform: its ID (debian, ubuntu...)
 * @os_family: its ID_LIKE's first word, else ID
 * @host_ip: the host's addresses, but loopback (ecs_ctx_host_ips()), may
 *	be NULL
 * @enrich: read /proc for args, parent, hash, container (best effort, and
 *	only while the task still runs the alert's program: c2watch.enrichment)
 */
struct ecs_ctx {
	const struct c2w_ruleset *rules;
	json_object *rule_meta;
	char host_name[256];
	char host_id[64];
	char os_kernel[65];
	char arch[65];
	char os_name[64];
	char os_version[32];
	char os_platform[32];
	char os_family[32];
	json_object *host_ip;
	bool enrich;
};

void ecs_ctx_init(struct ecs_ctx *ctx);
void ecs_ctx_host_ips(struct ecs_ctx *ctx);
void ecs_ctx_free(struct ecs_ctx *ctx);
json_object *ecs_record(const struct c2w_record_hdr *h,
			const struct ecs_ctx *ctx);
json_object *ecs_event(const char *action, const struct ecs_ctx *ctx);
json_object *ecs_match_event(const struct c2w_alert *a,
			     const struct ecs_ctx *ctx);
void ecs_set(json_object *root, const char *dotted, json_object *val);
const char *ecs_to_string(json_object *doc);

#endif
