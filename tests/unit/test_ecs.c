// SPDX-License-Identifier: GPL-2.0
/*
 * ECS alert documents: the /proc enrichment is attached only while the
 * connecting task still runs the program the alert names. The alerts here
 * describe this very process, then variants of it that no longer match.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ecs.h"
#include "record.h"
#include "rulefile.h"
#include "rules.h"

#include "unit.h"

struct alert_buf {
	struct c2w_alert a;
	char exe[C2W_PATH_MAX];
};

/* An alert as the module would write it for this process, now. */
static void self_alert(struct alert_buf *b, const char *exe)
{
	FILE *f;

	memset(b, 0, sizeof(*b));
	b->a.hdr.type = C2W_REC_ALERT;
	b->a.hdr.version = C2W_REC_VERSION;
	b->a.hdr.time_ns = 1;
	b->a.tgid = (uint32_t)getpid();
	b->a.pid = (uint32_t)gettid();
	b->a.ppid = (uint32_t)getppid();
	b->a.family = 4;
	b->a.transport = C2W_TRANSPORT_TCP;
	b->a.dport = 443;
	f = fopen("/proc/self/comm", "r");
	CHECK(f && fgets((char *)b->a.comm, sizeof(b->a.comm), f));
	if (f)
		fclose(f);
	b->a.comm[strcspn((char *)b->a.comm, "\n")] = '\0';
	if (exe) {
		snprintf(b->exe, sizeof(b->exe), "%s", exe);
	} else {
		ssize_t n = readlink("/proc/self/exe", b->exe,
				     sizeof(b->exe) - 1);

		CHECK(n > 0);
	}
	b->a.exe_off = sizeof(b->a);
	b->a.exe_len = (uint32_t)strlen(b->exe);
	b->a.hdr.size = (uint32_t)(sizeof(b->a) +
				   ((b->a.exe_len + 1 + 7) & ~7U));
}

static const char *get(json_object *doc, const char *k1, const char *k2)
{
	json_object *o, *v;

	if (!json_object_object_get_ex(doc, k1, &o) ||
	    !json_object_object_get_ex(o, k2, &v))
		return NULL;
	return json_object_get_string(v);
}

static bool has_hash(json_object *doc)
{
	json_object *p, *h, *v;

	return json_object_object_get_ex(doc, "process", &p) &&
	       json_object_object_get_ex(p, "hash", &h) &&
	       json_object_object_get_ex(h, "sha256", &v) &&
	       strlen(json_object_get_string(v)) == 64;
}

static json_object *doc_for(struct alert_buf *b)
{
	struct ecs_ctx ctx;

	json_object *doc;

	ecs_ctx_init(&ctx);
	ctx.enrich = true;
	doc = ecs_record(&b->a.hdr, &ctx);
	ecs_ctx_free(&ctx);
	return doc;
}

static const char *hash_of(json_object *doc)
{
	json_object *p, *h, *v;

	if (!json_object_object_get_ex(doc, "process", &p) ||
	    !json_object_object_get_ex(p, "hash", &h) ||
	    !json_object_object_get_ex(h, "sha256", &v))
		return NULL;
	return json_object_get_string(v);
}

/*
 * The executable's hash is remembered by file identity (alerts of one
 * beaconing program read it once): the remembered value is the file's.
 */
UNIT_TEST(ecs_executable_hash_remembered_is_the_files)
{
	unsigned char md[32], buf[65536];
	char want[65];
	unsigned int mdlen = 0;
	struct alert_buf b;
	json_object *d1, *d2;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	ssize_t n;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0 && c && EVP_DigestInit_ex(c, EVP_sha256(), NULL));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(c, buf, (size_t)n);
	CHECK(EVP_DigestFinal_ex(c, md, &mdlen) && mdlen == 32);
	EVP_MD_CTX_free(c);
	close(fd);
	for (int i = 0; i < 32; i++)
		sprintf(want + 2 * i, "%02x", md[i]);

	self_alert(&b, NULL);
	d1 = doc_for(&b);
	d2 = doc_for(&b);	/* the second from memory */
	CHECK(hash_of(d1) && !strcmp(hash_of(d1), want));
	CHECK(hash_of(d2) && !strcmp(hash_of(d2), want));
	json_object_put(d1);
	json_object_put(d2);
}

UNIT_TEST(ecs_enriches_only_the_task_that_connected)
{
	struct alert_buf b;
	json_object *doc;

	/* This process, unchanged: enriched. */
	self_alert(&b, NULL);
	doc = doc_for(&b);
	CHECK_STR(get(doc, "c2watch", "enrichment"), "ok");
	CHECK(has_hash(doc));
	/* Its identity, stable for its life, and its parent, checked. */
	CHECK(get(doc, "process", "entity_id") &&
	      strlen(get(doc, "process", "entity_id")) == 32);
	CHECK(get(doc, "process", "start") &&
	      strchr(get(doc, "process", "start"), 'T'));
	CHECK(get(doc, "process", "command_line"));
	{
		json_object *doc2 = doc_for(&b);

		CHECK(get(doc2, "process", "entity_id") &&
		      !strcmp(get(doc, "process", "entity_id"),
			      get(doc2, "process", "entity_id")));
		json_object_put(doc2);
	}
	json_object_put(doc);

	/* The real parent started before: named. */
	self_alert(&b, NULL);
	doc = doc_for(&b);
	CHECK(!get(doc, "c2watch", "parent_gone"));
	CHECK(get(doc, "process", "parent") &&
	      strstr(get(doc, "process", "parent"), "executable") &&
	      strstr(get(doc, "process", "parent"), "name"));
	json_object_put(doc);

	/* A "parent" that started after the child (a reused pid): not told. */
	{
		pid_t later;

		usleep(20000);	/* a later start, in clock ticks */
		later = fork();
		if (!later) {
			pause();
			_exit(0);
		}
		usleep(20000);
		self_alert(&b, NULL);
		b.a.ppid = (uint32_t)later;
		doc = doc_for(&b);
		CHECK_STR(get(doc, "c2watch", "parent_gone"), "true");
		CHECK(get(doc, "process", "parent") &&
		      !strstr(get(doc, "process", "parent"), "executable"));
		json_object_put(doc);
		kill(later, SIGKILL);
		waitpid(later, NULL, 0);
	}

	/* Same comm, another executable: it exec'd since. */
	self_alert(&b, "/tmp/.x/implant");
	doc = doc_for(&b);
	CHECK_STR(get(doc, "c2watch", "enrichment"), "task_changed");
	CHECK(!has_hash(doc));
	json_object_put(doc);

	/* ... unless the path cannot be compared from here (another mount
	 * namespace): then the comm decides. */
	self_alert(&b, "/tmp/.x/implant");
	b.a.flags = C2W_AF_MNTNS;
	doc = doc_for(&b);
	CHECK_STR(get(doc, "c2watch", "enrichment"), "ok");
	CHECK(has_hash(doc));
	json_object_put(doc);

	/* Another comm: not the program that connected. */
	self_alert(&b, NULL);
	memcpy(b.a.comm, "sleep", 6);
	doc = doc_for(&b);
	CHECK_STR(get(doc, "c2watch", "enrichment"), "task_changed");
	CHECK(!has_hash(doc));
	json_object_put(doc);

	/* A task that is gone (beyond any pid_max). */
	self_alert(&b, NULL);
	b.a.tgid = b.a.pid = 0x7ffffff0;
	doc = doc_for(&b);
	CHECK_STR(get(doc, "c2watch", "enrichment"), "task_gone");
	CHECK(!has_hash(doc));
	json_object_put(doc);

	/* --no-enrich: no /proc, no verdict. */
	{
		struct ecs_ctx ctx;

		self_alert(&b, NULL);
		ecs_ctx_init(&ctx);
		ctx.enrich = false;
		doc = ecs_record(&b.a.hdr, &ctx);
		CHECK(!get(doc, "c2watch", "enrichment"));
		CHECK(!has_hash(doc));
		json_object_put(doc);
		ecs_ctx_free(&ctx);
	}
}

/*
 * As Elastic promotes external alerts: event.severity on the 21/47/73/99
 * scale, the rule's risk score, and a one-line message naming the alert.
 */
UNIT_TEST(ecs_alert_severity_scale_and_message)
{
	static const int want[] = { 21, 47, 73, 99 };
	struct alert_buf b;
	json_object *doc, *ev, *v;

	for (int sev = 0; sev <= C2W_SEV_MAX; sev++) {
		self_alert(&b, "/tmp/.x/implant");
		b.a.severity = (uint8_t)sev;
		b.a.risk_score = 21;
		b.a.daddr[0] = 1;
		b.a.daddr[1] = 1;
		b.a.daddr[2] = 1;
		b.a.daddr[3] = 1;
		doc = doc_for(&b);
		CHECK(json_object_object_get_ex(doc, "event", &ev) &&
		      json_object_object_get_ex(ev, "severity", &v) &&
		      json_object_get_int(v) == want[sev]);
		CHECK(json_object_object_get_ex(ev, "risk_score", &v) &&
		      json_object_get_int(v) == 21);
		CHECK(!json_object_object_get_ex(doc, "rule", &v) ||
		      !json_object_object_get_ex(v, "severity", &v));
		json_object_put(doc);
	}
	doc = doc_for(&b);
	CHECK(json_object_object_get_ex(doc, "message", &v) &&
	      strstr(json_object_get_string(v), "/tmp/.x/implant (pid ") &&
	      strstr(json_object_get_string(v),
		     ") connected to 1.1.1.1 port 443/tcp for the first time"));
	json_object_put(doc);
}

/* The string at a dotted path of @doc, or NULL. */
static json_object *at(json_object *doc, const char *dotted)
{
	char path[128], *p, *save = NULL;
	json_object *cur = doc;

	snprintf(path, sizeof(path), "%s", dotted);
	for (p = strtok_r(path, ".", &save); p; p = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(cur, p, &cur))
			return NULL;
	return cur;
}

static bool array_has(json_object *arr, const char *s)
{
	if (!arr || !json_object_is_type(arr, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(
				json_object_array_get_idx(arr, i)), s))
			return true;
	return false;
}

/*
 * With the rule file known, an alert carries rule.* as Elastic shows
 * external alerts, and every threat entry (the installed rule has two:
 * Command and Control, and Persistence with two techniques and their
 * subtechniques); without it, the module's first ids only.
 */
UNIT_TEST(ecs_alert_rule_metadata_and_every_threat_entry)
{
	char *paths[] = {
		"userspace/rules/suspicious_network_unknown_executable.ndjson"
	};
	json_object *meta = json_object_new_object(), *doc;
	struct c2w_ruleset *rs = NULL;
	struct alert_buf b;
	struct ecs_ctx ctx;
	char err[256];
	uint32_t size;
	void *blob;

	CHECK_EQ_INT(rules_load_meta(paths, 1, &blob, &size, meta, err,
				     sizeof(err)), 0);
	CHECK_EQ_INT(c2w_rs_compile(blob, size, &rs, NULL), 0);
	self_alert(&b, "/tmp/.x/implant");
	snprintf((char *)b.a.rule_id, sizeof(b.a.rule_id), "%s",
		 "53617418-17b4-4e9c-8a2c-8deb8086ca4b");
	ecs_ctx_init(&ctx);
	ctx.enrich = false;
	ctx.rules = rs;
	ctx.rule_meta = meta;
	doc = ecs_record(&b.a.hdr, &ctx);
	CHECK(doc);
	CHECK(at(doc, "rule.version") &&
	      !strcmp(json_object_get_string(at(doc, "rule.version")), "15"));
	CHECK(at(doc, "rule.description") &&
	      strstr(json_object_get_string(at(doc, "rule.description")),
		     "local variant"));
	CHECK(array_has(at(doc, "rule.author"), "Elastic"));
	CHECK(at(doc, "rule.license") &&
	      !strcmp(json_object_get_string(at(doc, "rule.license")),
		      "Elastic License v2"));
	CHECK(at(doc, "rule.ruleset") && at(doc, "rule.uuid"));
	CHECK(array_has(at(doc, "threat.tactic.id"), "TA0011"));
	CHECK(array_has(at(doc, "threat.tactic.id"), "TA0003"));
	CHECK(array_has(at(doc, "threat.tactic.name"), "Persistence"));
	CHECK(array_has(at(doc, "threat.technique.id"), "T1071"));
	CHECK(array_has(at(doc, "threat.technique.id"), "T1053"));
	CHECK(array_has(at(doc, "threat.technique.subtechnique.id"),
			"T1037.004"));
	CHECK(array_has(at(doc, "threat.technique.subtechnique.reference"),
			"https://attack.mitre.org/techniques/T1053/003/"));
	CHECK(at(doc, "threat.framework"));
	json_object_put(doc);

	/* Rules read back from the module only: its ids, no metadata. */
	ctx.rule_meta = NULL;
	doc = ecs_record(&b.a.hdr, &ctx);
	CHECK(!at(doc, "rule.version"));
	CHECK(array_has(at(doc, "threat.tactic.id"), "TA0011"));
	CHECK(!array_has(at(doc, "threat.tactic.id"), "TA0003"));
	/* The host, as Elastic's agents describe it. */
	CHECK(at(doc, "host.hostname") && at(doc, "host.os.kernel") &&
	      at(doc, "host.architecture"));
	json_object_put(doc);
	ecs_ctx_free(&ctx);
	c2w_rs_free(rs);
	free(blob);
	json_object_put(meta);
}

/*
 * A match reported for fleet-wide new terms (the module's C2W_AF_EVENT
 * records, and the event c2watchd writes beside each alert with --events)
 * is an event: the query's fields, the rule's id, no severity, no threat.
 */
UNIT_TEST(ecs_match_event_is_an_event_not_an_alert)
{
	struct alert_buf b;
	struct ecs_ctx ctx;
	json_object *doc, *twin;

	self_alert(&b, "/tmp/.x/implant");
	b.a.severity = 2;
	b.a.risk_score = 73;
	b.a.daddr[0] = 8;
	snprintf((char *)b.a.rule_id, sizeof(b.a.rule_id), "r1");
	ecs_ctx_init(&ctx);
	twin = ecs_match_event(&b.a, &ctx);
	b.a.flags |= C2W_AF_EVENT;
	doc = ecs_record(&b.a.hdr, &ctx);
	for (int i = 0; i < 2; i++) {
		json_object *d = i ? twin : doc;

		CHECK(d && !strcmp(json_object_get_string(at(d, "event.kind")),
				   "event"));
		CHECK(!strcmp(json_object_get_string(at(d, "event.action")),
			      "connection_attempted"));
		CHECK(array_has(at(d, "event.category"), "network"));
		CHECK(!strcmp(json_object_get_string(at(d, "process.executable")),
			      "/tmp/.x/implant"));
		CHECK(!strcmp(json_object_get_string(at(d, "process.name")),
			      "implant"));
		CHECK(!strcmp(json_object_get_string(at(d, "destination.ip")),
			      "8.0.0.0"));
		CHECK(!strcmp(json_object_get_string(at(d, "host.os.type")),
			      "linux"));
		CHECK(!strcmp(json_object_get_string(at(d, "rule.id")), "r1"));
		CHECK(!at(d, "event.severity") && !at(d, "event.risk_score"));
		CHECK(!at(d, "threat"));
		CHECK(!strstr(json_object_get_string(at(d, "message")),
			      "first time"));
	}
	json_object_put(doc);
	json_object_put(twin);
	b.a.flags &= ~C2W_AF_EVENT;
	doc = ecs_record(&b.a.hdr, &ctx);
	CHECK(!strcmp(json_object_get_string(at(doc, "event.kind")), "alert"));
	CHECK(json_object_get_int(at(doc, "event.risk_score")) == 73);
	json_object_put(doc);
	ecs_ctx_free(&ctx);
}

/*
 * The task's own mount namespace's view of the executable, when it differs,
 * follows the path; a record from before that field (208 bytes, the path
 * right after) still reads, without it.
 */
UNIT_TEST(ecs_namespace_view_and_older_records)
{
	static const char ns[] = "/usr/local/bin/tool";
	struct alert_buf b;
	struct ecs_ctx ctx;
	json_object *doc;
	uint32_t len;

	ecs_ctx_init(&ctx);
	self_alert(&b, "/tmp/.e/impl");
	b.a.ns_exe_off = b.a.exe_off + b.a.exe_len + 1;
	b.a.ns_exe_len = sizeof(ns) - 1;
	memcpy((char *)&b.a + b.a.ns_exe_off, ns, sizeof(ns));
	b.a.hdr.size = (b.a.ns_exe_off + sizeof(ns) + 7) & ~7U;
	CHECK(c2w_alert_ns_exe(&b.a, &len) && len == sizeof(ns) - 1);
	doc = ecs_record(&b.a.hdr, &ctx);
	CHECK(!strcmp(json_object_get_string(at(doc, "process.executable")),
		      "/tmp/.e/impl"));
	CHECK(!strcmp(json_object_get_string(
		at(doc, "c2watch.process.executable_in_namespace")), ns));
	json_object_put(doc);
	/* Past the record's end: not read. */
	b.a.ns_exe_len = b.a.hdr.size;
	CHECK(!c2w_alert_ns_exe(&b.a, &len));
	doc = ecs_record(&b.a.hdr, &ctx);
	CHECK(!at(doc, "c2watch.process.executable_in_namespace"));
	json_object_put(doc);

	/* A 208-byte record: the path where that size put it. */
	self_alert(&b, "/tmp/old");
	memmove((char *)&b.a + C2W_ALERT_SIZE_VER0, "/tmp/old", 9);
	b.a.exe_off = C2W_ALERT_SIZE_VER0;
	b.a.hdr.size = C2W_ALERT_SIZE_VER0 + 16;
	CHECK(c2w_alert_exe(&b.a, &len) && len == 8);
	CHECK(!c2w_alert_ns_exe(&b.a, &len));
	doc = ecs_record(&b.a.hdr, &ctx);
	CHECK(doc && !strcmp(json_object_get_string(
		at(doc, "process.executable")), "/tmp/old"));
	json_object_put(doc);
	ecs_ctx_free(&ctx);
}

/* A uid past its share: counts, total, a sample; a bad offset is not read. */
UNIT_TEST(ecs_uid_over_share_document)
{
	struct {
		struct c2w_uid_over o;
		char sample[24];
	} r;
	struct ecs_ctx ctx;
	json_object *doc;

	memset(&r, 0, sizeof(r));
	r.o.hdr.type = C2W_REC_UID_OVER;
	r.o.hdr.size = sizeof(r);
	r.o.uid = 65534;
	r.o.seen = 5;
	r.o.queued = 7;
	r.o.total = 12;
	r.o.sample_off = sizeof(r.o);
	r.o.sample_len = 12;
	memcpy(r.sample, "/tmp/.flood1", 13);
	ecs_ctx_init(&ctx);
	doc = ecs_record(&r.o.hdr, &ctx);
	CHECK(doc && !strcmp(json_object_get_string(at(doc, "event.action")),
			     "matches_over_uid_share"));
	CHECK(!strcmp(json_object_get_string(at(doc, "user.id")), "65534"));
	CHECK(json_object_get_int64(at(doc, "c2watch.uid_share.seen")) == 5);
	CHECK(json_object_get_int64(at(doc, "c2watch.uid_share.queued")) == 7);
	CHECK(json_object_get_int64(at(doc, "c2watch.uid_share.total")) == 12);
	CHECK(!strcmp(json_object_get_string(at(doc, "process.executable")),
		      "/tmp/.flood1"));
	CHECK(strstr(json_object_get_string(at(doc, "message")),
		     "e.g. /tmp/.flood1"));
	json_object_put(doc);
	r.o.sample_len = 100;		/* past the record */
	doc = ecs_record(&r.o.hdr, &ctx);
	CHECK(doc && !at(doc, "process.executable"));
	json_object_put(doc);
	r.o.hdr.size = sizeof(r.o) - 8;	/* too short to be one */
	CHECK(!ecs_record(&r.o.hdr, &ctx));
	ecs_ctx_free(&ctx);
}
