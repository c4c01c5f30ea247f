// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the KQL compiler, the decompiler, the rule file loader and
 * the offline evaluator, against the seed rule and hand-made cases.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "kql.h"
#include "kqlout.h"
#include "rsbuild.h"
#include "rulefile.h"
#include "rules.h"
#include "unit.h"

/* The rule as Elastic publishes it, and the variant c2watch installs. */
#define SEED_FILE "userspace/rules/upstream/suspicious_network_unknown_executable.ndjson"
#define LOCAL_FILE "userspace/rules/suspicious_network_unknown_executable.ndjson"

static void *load_file(const char *path, uint32_t *size)
{
	char *paths[] = { (char *)path }, err[512];
	void *blob = NULL;

	if (rules_load(paths, 1, &blob, size, err, sizeof(err)))
		unit_fail(__FILE__, __LINE__, "%s: %s", path, err);
	return blob;
}

static void *load_seed(uint32_t *size)
{
	return load_file(SEED_FILE, size);
}

/* Does clause @c hold a glob @pat (or CIDR text @pat) on @field? */
static bool has_value(const struct c2w_rs_view *v, const struct c2w_rs_clause *c,
		      int field, const char *pat)
{
	for (uint32_t i = 0; i < c->n_tests; i++) {
		const struct c2w_rs_test *t = &v->tests[c->first_test + i];
		char buf[64];

		if (t->field != field)
			continue;
		if (t->op == C2W_OP_GLOB && t->str.len == strlen(pat) &&
		    !memcmp(v->strtab + t->str.off, pat, t->str.len))
			return true;
		if (t->op == C2W_OP_CIDR) {
			inet_ntop(t->family == 4 ? AF_INET : AF_INET6, t->addr,
				  buf, sizeof(buf));
			if (t->prefix != (t->family == 4 ? 32 : 128))
				snprintf(buf + strlen(buf), 8, "/%u", t->prefix);
			if (!strcasecmp(buf, pat))
				return true;
		}
	}
	return false;
}

static const char *const seed_exe_in[] = {
	"/etc/crontab", "/etc/rc.local", "./*", "/boot/*", "/dev/shm/*",
	"/etc/cron.*/*", "/etc/init.d/*", "/etc/rc*.d/*", "/etc/update-motd.d/*",
	"/home/*/.*", "/tmp/*", "/usr/lib/update-notifier/*", "/var/log/*",
	"/var/tmp/*",
};
static const char *const seed_exe_out[] = {
	"/tmp/newroot/*", "/tmp/snap.rootfs*", "/etc/cron.hourly/BitdefenderRedline",
	"/tmp/go-build*", "/srv/snp/docker/*", "/run/containerd/*", "/tmp/.mount*",
	"/run/k3s/containerd/*", "/tmp/selenium*", "/tmp/tmp.*/juliainstaller",
	"/tmp/.criu.mntns*", "/home/*/.local/share/containers/*",
	"/etc/update-motd.d/*",
};
static const char *const seed_names_out[] = {
	"apt", "chrome", "curl", "dnf", "dockerd", "dpkg", "firefox-bin",
	"git-remote-https", "java", "kite-update", "kited", "node", "rpm",
	"saml2aws", "selenium-manager", "solana-validator", "wget", "yum",
	"ansible*", "aws*", "php*", "pip*", "python*", "steam*", "terraform*",
	"filebeat", "apk", "cursor", "http",
};
static const char *const seed_src_out[] = {
	"10.0.0.0/8", "127.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
};
static const char *const seed_dst_out[] = {
	"0.0.0.0", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29",
	"192.0.0.10", "192.0.0.170", "192.0.0.171", "192.0.0.8", "192.0.0.9",
	"192.0.2.0/24", "192.168.0.0/16", "192.175.48.0/24", "192.31.196.0/24",
	"192.52.193.0/24", "192.88.99.0/24", "198.18.0.0/15", "198.51.100.0/24",
	"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "::1", "fe80::/10",
	"ff00::/8",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

UNIT_TEST(kql_seed_structure)
{
	uint32_t size;
	void *blob = load_seed(&size);
	struct c2w_rs_view v;
	const struct c2w_rs_clause *c;

	if (!blob)
		return;
	c2w_rs_view(blob, &v);
	CHECK_EQ_INT(v.h->n_rules, 1);
	CHECK_EQ_INT(v.rules[0].flags, C2W_RULE_NEW_TERMS);
	CHECK_EQ_INT(v.rules[0].new_terms, C2W_NT_EXECUTABLE);
	CHECK_EQ_INT(v.rules[0].window_secs, 20 * 86400);
	CHECK_EQ_INT(v.rules[0].severity, C2W_SEV_LOW);
	CHECK_EQ_INT(v.rules[0].risk_score, 21);
	/* host.os.type, event.category, event.action, process.executable,
	 * process.name exists; then not(addresses), not(exe or name).
	 */
	CHECK_EQ_INT(v.rules[0].n_clauses, 7);
	c = v.clauses;
	CHECK(c[0].flags == 0 && c[0].n_tests == 1 &&
	      has_value(&v, &c[0], C2W_FIELD_HOST_OS_TYPE, "linux"));
	CHECK(c[1].flags == 0 && c[1].n_tests == 1 &&
	      has_value(&v, &c[1], C2W_FIELD_EVENT_CATEGORY, "network"));
	CHECK(c[2].flags == 0 && c[2].n_tests == 2 &&
	      has_value(&v, &c[2], C2W_FIELD_EVENT_ACTION, "connection_attempted") &&
	      has_value(&v, &c[2], C2W_FIELD_EVENT_ACTION,
			"ipv4_connection_attempt_event"));
	CHECK_EQ_INT(c[3].flags, 0);
	CHECK_EQ_INT(c[3].n_tests, N(seed_exe_in));
	for (size_t i = 0; i < N(seed_exe_in); i++)
		if (!has_value(&v, &c[3], C2W_FIELD_PROCESS_EXECUTABLE, seed_exe_in[i]))
			unit_fail(__FILE__, __LINE__, "include %s", seed_exe_in[i]);
	CHECK(c[4].flags == 0 && c[4].n_tests == 1 &&
	      v.tests[c[4].first_test].op == C2W_OP_EXISTS &&
	      v.tests[c[4].first_test].field == C2W_FIELD_PROCESS_NAME);
	CHECK_EQ_INT(c[5].flags, C2W_CLAUSE_NEGATE);
	CHECK_EQ_INT(c[5].n_tests, N(seed_src_out) + N(seed_dst_out));
	for (size_t i = 0; i < N(seed_src_out); i++)
		if (!has_value(&v, &c[5], C2W_FIELD_SOURCE_IP, seed_src_out[i]))
			unit_fail(__FILE__, __LINE__, "source %s", seed_src_out[i]);
	for (size_t i = 0; i < N(seed_dst_out); i++)
		if (!has_value(&v, &c[5], C2W_FIELD_DESTINATION_IP, seed_dst_out[i]))
			unit_fail(__FILE__, __LINE__, "destination %s", seed_dst_out[i]);
	CHECK_EQ_INT(c[6].flags, C2W_CLAUSE_NEGATE);
	CHECK_EQ_INT(c[6].n_tests, N(seed_exe_out) + N(seed_names_out));
	for (size_t i = 0; i < N(seed_exe_out); i++)
		if (!has_value(&v, &c[6], C2W_FIELD_PROCESS_EXECUTABLE, seed_exe_out[i]))
			unit_fail(__FILE__, __LINE__, "exclude %s", seed_exe_out[i]);
	for (size_t i = 0; i < N(seed_names_out); i++)
		if (!has_value(&v, &c[6], C2W_FIELD_PROCESS_NAME, seed_names_out[i]))
			unit_fail(__FILE__, __LINE__, "name %s", seed_names_out[i]);
	free(blob);
}

/* Two tests alike in everything that matters, strings by content. */
static bool same_test(const struct c2w_rs_view *va, const struct c2w_rs_test *a,
		      const struct c2w_rs_view *vb, const struct c2w_rs_test *b)
{
	return a->field == b->field && a->op == b->op &&
	       a->family == b->family && a->prefix == b->prefix &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr)) &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       a->str.len == b->str.len &&
	       !memcmp(va->strtab + a->str.off, vb->strtab + b->str.off,
		       a->str.len);
}

/*
 * The variant c2watch installs is the upstream rule without the source.ip
 * exclusion: same header, same clauses, same tests in the same order but
 * for the four source ranges, and flagged as a local variant.
 */
UNIT_TEST(kql_local_variant_is_upstream_minus_source)
{
	uint32_t usize, lsize;
	void *up = load_file(SEED_FILE, &usize);
	void *loc = load_file(LOCAL_FILE, &lsize);
	struct c2w_rs_view u, l;
	uint32_t j = 0;

	if (!up || !loc)
		goto out;
	c2w_rs_view(up, &u);
	c2w_rs_view(loc, &l);
	CHECK_EQ_INT(l.h->n_rules, 1);
	CHECK_EQ_INT(u.rules[0].flags, C2W_RULE_NEW_TERMS);
	CHECK_EQ_INT(l.rules[0].flags,
		     C2W_RULE_NEW_TERMS | C2W_RULE_LOCAL_VARIANT);
	CHECK(u.rules[0].id.len == l.rules[0].id.len &&
	      !memcmp(u.strtab + u.rules[0].id.off,
		      l.strtab + l.rules[0].id.off, u.rules[0].id.len));
	CHECK(u.rules[0].name.len == l.rules[0].name.len &&
	      !memcmp(u.strtab + u.rules[0].name.off,
		      l.strtab + l.rules[0].name.off, u.rules[0].name.len));
	CHECK_EQ_INT(l.rules[0].window_secs, u.rules[0].window_secs);
	CHECK_EQ_INT(l.rules[0].new_terms, u.rules[0].new_terms);
	CHECK_EQ_INT(l.rules[0].risk_score, u.rules[0].risk_score);
	CHECK_EQ_INT(l.h->n_clauses, u.h->n_clauses);
	CHECK_EQ_INT(l.h->n_tests, u.h->n_tests - N(seed_src_out));
	for (uint32_t i = 0; i < u.h->n_tests && j < l.h->n_tests; i++) {
		const struct c2w_rs_test *a = &u.tests[i], *b = &l.tests[j];

		if (a->field == C2W_FIELD_SOURCE_IP)
			continue;
		j++;
		if (!same_test(&u, a, &l, b))
			unit_fail(__FILE__, __LINE__, "test %u differs", i);
	}
	CHECK_EQ_INT(j, l.h->n_tests);
	for (uint32_t i = 0; i < l.h->n_tests; i++)
		CHECK(l.tests[i].field != C2W_FIELD_SOURCE_IP);
out:
	free(up);
	free(loc);
}

/* Compile one query into a one-rule blob. */
static int compile1(const char *q, void **blob, uint32_t *size,
		    struct kql_error *ke)
{
	struct rsb *b = rsb_new();
	struct rsb_rule_desc d = { .id = "t" };
	int ret;

	rsb_rule(b, &d);
	ret = kql_compile(b, q, ke);
	if (!ret)
		ret = rsb_finish(b, blob, size);
	rsb_free(b);
	return ret;
}

UNIT_TEST(kql_decompile_round_trip)
{
	static const char *const queries[] = {
		"process.name : curl",
		"process.executable:(/tmp/* or \"/a b\" or a\\*b or \"and\")",
		"not destination.ip : (\"::1\" or 10.0.0.0/8) and network.transport:udp",
		"destination.port : 443 and user.id : 0 and process.name : *",
		"process.name:\"x*y\" and process.name:(a\\\\b or \"c\\\"d\")",
		"(process.name : a or destination.ip : 1.1.1.1) and not (event.type:start or source.port:53)",
		"process.executable : (/a\\(b\\) or \"\" or /c\\:d)",
	};
	uint32_t size, size2;
	void *blob, *blob2;
	struct kql_error ke;

	for (size_t i = 0; i < N(queries); i++) {
		char *text;

		if (compile1(queries[i], &blob, &size, &ke)) {
			unit_fail(__FILE__, __LINE__, "%s: %d:%d %s", queries[i],
				  ke.line, ke.col, ke.msg);
			continue;
		}
		text = kql_rule_query(blob, size, 0);
		if (compile1(text, &blob2, &size2, &ke)) {
			unit_fail(__FILE__, __LINE__, "decompiled '%s': %s", text,
				  ke.msg);
		} else {
			if (size != size2 || memcmp(blob, blob2, size))
				unit_fail(__FILE__, __LINE__, "'%s' -> '%s' differs",
					  queries[i], text);
			free(blob2);
		}
		free(text);
		free(blob);
	}
	/* And the seed rule as a whole. */
	blob = load_seed(&size);
	if (blob) {
		char *text = kql_rule_query(blob, size, 0);
		struct c2w_rs_view v, v2;

		c2w_rs_view(blob, &v);
		CHECK_EQ_INT(compile1(text, &blob2, &size2, &ke), 0);
		/*
		 * Same clauses and the same tests: fields, operators, every
		 * glob's bytes, every CIDR and port (the rule header and the
		 * string offsets may differ).
		 */
		c2w_rs_view(blob2, &v2);
		CHECK_EQ_INT(v2.h->n_clauses, v.h->n_clauses);
		CHECK_EQ_INT(v2.h->n_tests, v.h->n_tests);
		CHECK(!memcmp(v2.clauses, v.clauses,
			      v.h->n_clauses * sizeof(*v.clauses)));
		for (uint32_t t = 0; t < v.h->n_tests && t < v2.h->n_tests; t++)
			if (!same_test(&v, &v.tests[t], &v2, &v2.tests[t]))
				unit_fail(__FILE__, __LINE__, "seed test %u differs after decompiling",
					  t);
		free(blob2);
		free(text);
		free(blob);
	}
}

UNIT_TEST(kql_errors_with_positions)
{
	static const struct {
		const char *q;
		int line, col;
		const char *msg;
	} v[] = {
		{ "process.name:(a or b", 1, 14, "never closed" },
		{ "(process.name:a", 1, 1, "never closed" },
		{ "process.name:a)", 1, 15, "unexpected ')'" },
		{ "process.name:a and", 1, 16, "'and' needs a term" },
		{ "process.name:a or\n  ", 1, 16, "'or' needs a term" },
		{ "process.nam:a", 1, 1, "unknown field 'process.nam'" },
		{ "process.name:a and\n  proc.x : 1", 2, 3, "unknown field" },
		{ "process.name:\"abc", 1, 14, "unterminated quoted value" },
		{ "destination.port > 1024", 1, 18, "range queries" },
		{ "destination.ip : 10.0.*", 1, 18, "IP address or CIDR" },
		{ "destination.port : http", 1, 20, "port number" },
		{ "curl", 1, 1, "free-text" },
		{ "process.name : a or not process.name : b", 1, 21, "mixes negated" },
		{ "process.name : a or\n not (process.name : b)", 2, 2, "mixes negated" },
		{ "process.name:{a}", 1, 14, "nested" },
		{ "", 1, 1, "end of the query" },
		{ "process.name: ", 1, 15, "expected a value" },
		{ "process.name: a\\", 1, 15, "lone" },
	};
	struct kql_error ke;
	uint32_t size;
	void *blob;

	for (size_t i = 0; i < N(v); i++) {
		int ret = compile1(v[i].q, &blob, &size, &ke);

		if (!ret) {
			unit_fail(__FILE__, __LINE__, "'%s' compiled", v[i].q);
			free(blob);
			continue;
		}
		if (ke.line != v[i].line || ke.col != v[i].col ||
		    !strstr(ke.msg, v[i].msg))
			unit_fail(__FILE__, __LINE__,
				  "'%s': got %d:%d '%s', want %d:%d '%s'",
				  v[i].q, ke.line, ke.col, ke.msg, v[i].line,
				  v[i].col, v[i].msg);
	}
}

UNIT_TEST(kql_blowup_refused)
{
	char q[4096] = "";
	struct kql_error ke;
	uint32_t size;
	void *blob;

	/* (a1 and b1) or (a2 and b2) or ... : 2^n clauses in CNF. */
	for (int i = 0; i < 12; i++)
		snprintf(q + strlen(q), sizeof(q) - strlen(q),
			 "%s(process.name:a%d and user.id:%d)", i ? " or " : "",
			 i, i);
	CHECK(compile1(q, &blob, &size, &ke) != 0);
	CHECK(strstr(ke.msg, "too complex") != NULL);
	/* A small one distributes fine. */
	CHECK_EQ_INT(compile1("(process.name:a and user.id:1) or process.name:b",
			      &blob, &size, &ke), 0);
	free(blob);
}

static uint64_t eval2(const char *q, const char *name, const char *uid)
{
	struct c2w_ruleset *rs;
	struct kql_error ke;
	struct c2w_event ev;
	uint32_t size;
	uint64_t hits;
	void *blob;

	if (compile1(q, &blob, &size, &ke)) {
		unit_fail(__FILE__, __LINE__, "%s: %s", q, ke.msg);
		return ~0ULL;
	}
	CHECK_EQ_INT(c2w_rs_compile(blob, size, &rs, NULL), 0);
	memset(&ev, 0, sizeof(ev));
	c2w_event_add_str(&ev, C2W_FIELD_PROCESS_NAME, name, strlen(name));
	c2w_event_add_str(&ev, C2W_FIELD_USER_ID, uid, strlen(uid));
	hits = c2w_rs_eval(rs, &ev);
	c2w_rs_free(rs);
	free(blob);
	return hits;
}

UNIT_TEST(kql_precedence_and_case)
{
	/* and binds tighter than or; keywords in any case. */
	const char *q = "process.name:a OR process.name:b AnD user.id:0";

	CHECK_EQ_INT(eval2(q, "a", "5"), 1);
	CHECK_EQ_INT(eval2(q, "b", "0"), 1);
	CHECK_EQ_INT(eval2(q, "b", "1"), 0);
	/* not binds tighter than and. */
	q = "NOT process.name:a and user.id:0";
	CHECK_EQ_INT(eval2(q, "a", "0"), 0);
	CHECK_EQ_INT(eval2(q, "b", "0"), 1);
	CHECK_EQ_INT(eval2(q, "b", "1"), 0);
	/* not (x or y) with a field group; newlines anywhere. */
	q = "user.id\n:\n0 and not\n process.name : (a or\n b)";
	CHECK_EQ_INT(eval2(q, "a", "0"), 0);
	CHECK_EQ_INT(eval2(q, "c", "0"), 1);
	/* A value that looks like a keyword, quoted. */
	CHECK_EQ_INT(eval2("process.name : \"or\"", "or", "0"), 1);
	CHECK_EQ_INT(eval2("process.name : nothing", "nothing", "0"), 1);
}

static int load_text(const char *text, char *err, size_t errlen)
{
	uint32_t size;
	void *blob = NULL;
	int ret = rules_load_text("t.ndjson", text, strlen(text), &blob, &size,
				  err, errlen);

	free(blob);
	return ret;
}

UNIT_TEST(rule_files)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"eql\",\"query\":\"x\"}",
		  "rule type 'eql' is not supported" },
		{ "{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"threshold\",\"query\":\"x\"}",
		  "'threshold'" },
		{ "{\"name\":\"n\",\"type\":\"query\",\"query\":\"x\"}", "no \"rule_id\"" },
		{ "{\"rule_id\":\"a\",\"type\":\"query\",\"query\":\"x\"}", "no \"name\"" },
		{ "{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"query\"}", "no \"query\"" },
		{ "{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"query\",\"language\":\"lucene\",\"query\":\"x\"}",
		  "'lucene'" },
		{ "{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"new_terms\",\"query\":\"process.name:x\"}",
		  "new_terms_fields" },
		{ "{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"new_terms\",\"new_terms_fields\":[\"host.name\"],\"query\":\"process.name:x\"}",
		  "'host.name' is not supported" },
		{ "{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"new_terms\",\"new_terms_fields\":[\"process.executable\"],\"history_window_start\":\"20 days\",\"query\":\"process.name:x\"}",
		  "history_window_start" },
		{ "{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"query\",\"query\":\"process.name:x\"}\n{\"rule_id\":\"b\",\n\"name\":\"n\",\"type\":\"query\",\"query\":\"bad.field:x\"}",
		  "t.ndjson:2: rule 'b': query line 1 column 1: unknown field" },
		{ "{\"rule_id\":\"a\",", "t.ndjson:1: invalid JSON" },
		{ "{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"query\",\"query\":\"process.name:x\",\"risk_score\":200}",
		  "risk_score" },
		{ "{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"query\",\"query\":\"process.name:x\"}\n{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"query\",\"query\":\"process.name:x\"}",
		  "duplicate rule id" },
	};
	char err[1024];

	for (size_t i = 0; i < N(bad); i++) {
		if (!load_text(bad[i].text, err, sizeof(err)))
			unit_fail(__FILE__, __LINE__, "accepted: %s", bad[i].text);
		else if (!strstr(err, bad[i].msg))
			unit_fail(__FILE__, __LINE__, "'%s': want '%s'", err,
				  bad[i].msg);
	}
	/* host.id is accepted (constant on one host); export trailer skipped. */
	CHECK_EQ_INT(load_text("{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"new_terms\","
			       "\"new_terms_fields\":[\"host.id\",\"process.executable\"],"
			       "\"query\":\"process.name:x\",\"unknown_key\":1}\n"
			       "{\"exported_count\":1,\"missing_rules\":[]}\n",
			       err, sizeof(err)), 0);
	/* A JSON array of rules works too. */
	CHECK_EQ_INT(load_text("[{\"rule_id\":\"a\",\"name\":\"n\",\"type\":\"query\",\"query\":\"process.name:x\"},"
			       "{\"rule_id\":\"b\",\"name\":\"n\",\"type\":\"query\",\"query\":\"process.name:y\"}]",
			       err, sizeof(err)), 0);
}

UNIT_TEST(windows)
{
	uint32_t s;

	CHECK(!rules_parse_window("now-20d", &s) && s == 20 * 86400);
	CHECK(!rules_parse_window("12h", &s) && s == 12 * 3600);
	CHECK(!rules_parse_window("now-90s", &s) && s == 90);
	CHECK(!rules_parse_window("2w", &s) && s == 14 * 86400);
	CHECK(rules_parse_window("now-20", &s));
	CHECK(rules_parse_window("now-0d", &s));
	CHECK(rules_parse_window("now-20y", &s));
	CHECK(rules_parse_window("now-99999d", &s));
	CHECK(rules_parse_window("-5d", &s));
}

/*
 * New terms per host (the module's view) by default, across hosts with
 * --fleet (Kibana's): the second host's first match of the same
 * executable is new on that host, not in the fleet.
 */
UNIT_TEST(eval_per_host_and_fleet)
{
	static const char events[] =
		"{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"host.id\":\"a\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/x\",\"process.name\":\"x\",\"destination.ip\":\"8.8.8.8\"}\n"
		"{\"@timestamp\":\"2026-01-01T01:00:00Z\",\"host\":{\"name\":\"b\",\"os\":{\"type\":\"linux\"}},\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/x\",\"process.name\":\"x\",\"destination.ip\":\"8.8.8.8\"}\n"
		"{\"@timestamp\":\"2026-01-01T02:00:00Z\",\"host.id\":\"a\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/x\",\"process.name\":\"x\",\"destination.ip\":\"8.8.8.8\"}\n";
	static const char *const want[2][3] = {
		{ "{\"match\":true,\"alert\":true,",
		  "{\"match\":true,\"alert\":true,",
		  "{\"match\":true,\"alert\":false," },
		{ "{\"match\":true,\"alert\":true,",
		  "{\"match\":true,\"alert\":false,",
		  "{\"match\":true,\"alert\":false," },
	};
	uint32_t size;
	void *blob = load_seed(&size);

	for (int fleet = 0; fleet < 2; fleet++) {
		char *out = NULL, err[256], *line;
		size_t outlen = 0;
		FILE *in = fmemopen((void *)events, sizeof(events) - 1, "r");
		FILE *o = open_memstream(&out, &outlen);

		CHECK_EQ_INT(eval_events(blob, size, in, "events", o, false,
					 fleet, err, sizeof(err)), 0);
		fclose(o);
		fclose(in);
		line = out;
		for (size_t i = 0; i < 3; i++) {
			char *nl = line ? strchr(line, '\n') : NULL;

			if (!nl || strncmp(line, want[fleet][i],
					   strlen(want[fleet][i])))
				unit_fail(__FILE__, __LINE__,
					  "fleet %d, event %zu: %.*s", fleet,
					  i + 1, nl ? (int)(nl - line) : 10,
					  line ? line : "");
			line = nl ? nl + 1 : NULL;
		}
		free(out);
	}
	free(blob);
}

UNIT_TEST(eval_seed_events)
{
	static const char events[] =
		"{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/x\",\"process.name\":\"x\",\"source.ip\":\"1.2.3.4\",\"destination.ip\":\"8.8.8.8\"}\n"
		"{\"@timestamp\":\"2026-01-02T00:00:00Z\",\"host\":{\"os\":{\"type\":\"linux\"}},\"event\":{\"category\":[\"network\"],\"action\":\"connection_attempted\"},\"process\":{\"executable\":\"/tmp/x\",\"name\":\"x\"},\"destination\":{\"ip\":\"8.8.8.8\"}}\n"
		"{\"@timestamp\":\"2026-02-01T00:00:00Z\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/x\",\"process.name\":\"x\",\"destination.ip\":\"8.8.8.8\"}\n"
		"{\"@timestamp\":\"2026-02-01T00:00:01Z\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/curl\",\"process.name\":\"curl\",\"destination.ip\":\"8.8.8.8\"}\n"
		"{\"@timestamp\":\"2026-02-01T00:00:02Z\",\"host.os.type\":\"linux\",\"event.category\":\"process\",\"event.action\":\"exec\",\"process.executable\":\"/tmp/y\",\"process.name\":\"y\"}\n"
		"{\"@timestamp\":\"2026-02-01T00:00:03Z\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"ipv4_connection_attempt_event\",\"process.executable\":\"/tmp/z\",\"process.name\":\"z\",\"destination.ip\":\"::ffff:10.1.1.1\"}\n"
		"{\"@timestamp\":\"2026-01-01T12:00:00Z\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/x\",\"process.name\":\"x\",\"destination.ip\":\"1.1.1.1\"}\n"
		"{\"@timestamp\":\"2026-02-01T00:00:04Z\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/var/tmp/w\",\"destination.ip\":\"1.1.1.1\"}\n"
		/* As Kibana: a private source is excluded by the upstream rule. */
		"{\"@timestamp\":\"2026-02-01T00:00:05Z\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/p\",\"process.name\":\"p\",\"source.ip\":\"10.0.2.15\",\"destination.ip\":\"1.1.1.1\"}\n"
		"{\"@timestamp\":\"2026-02-01T00:00:06Z\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/p\",\"process.name\":\"p\",\"source.ip\":\"fd00:c2::15\",\"destination.ip\":\"2606:4700:4700::1111\"}\n";
	static const char *const want[] = {
		"{\"match\":true,\"alert\":true,",	/* new */
		"{\"match\":true,\"alert\":false,",	/* seen 12h earlier */
		"{\"match\":true,\"alert\":true,",	/* 30 days later: new again */
		"{\"match\":false,",			/* curl excluded */
		"{\"match\":false,",			/* a process event */
		"{\"match\":false,",			/* v4-mapped private */
		"{\"match\":true,\"alert\":false,",	/* out of order: 2nd in time */
		"{\"match\":false,",			/* no process.name */
		"{\"match\":false,",			/* private source */
		"{\"match\":true,\"alert\":true,",	/* ULA source */
	};
	uint32_t size;
	void *blob = load_seed(&size);
	char *out = NULL, err[256], *line;
	size_t outlen = 0;
	FILE *in = fmemopen((void *)events, sizeof(events) - 1, "r");
	FILE *o = open_memstream(&out, &outlen);

	CHECK_EQ_INT(eval_events(blob, size, in, "events", o, false, false, err,
				 sizeof(err)), 0);
	fclose(o);
	fclose(in);
	line = out;
	for (size_t i = 0; i < N(want); i++) {
		char *nl = line ? strchr(line, '\n') : NULL;

		if (!nl || strncmp(line, want[i], strlen(want[i])))
			unit_fail(__FILE__, __LINE__, "event %zu: %.*s", i + 1,
				  nl ? (int)(nl - line) : 10, line ? line : "");
		line = nl ? nl + 1 : NULL;
	}
	free(out);
	free(blob);
}

/* A rule file compiled, or NULL (the failure reported). */
static struct c2w_ruleset *compile_file(const char *path)
{
	struct c2w_ruleset *rs = NULL;
	uint32_t size;
	void *blob = load_file(path, &size);

	if (!blob)
		return NULL;
	CHECK_EQ_INT(c2w_rs_compile(blob, size, &rs, NULL), 0);
	free(blob);
	return rs;
}

/*
 * The shipped rules by the executable alone (the probe's decision from the
 * executable cache): a trusted place, or a trusted name or path under a
 * suspicious place, is out whatever the destination; a suspicious one not.
 */
UNIT_TEST(shipped_rules_excluded_by_executable_alone)
{
	static const char *const out[] = {
		"/usr/bin/ssh", "/usr/local/bin/tool", "/opt/app/bin/agent",
		"/tmp/curl", "/tmp/go-build123/b001/x.test",
		"/home/u/.local/share/containers/x",
	};
	static const char *const in[] = {
		"/tmp/x", "/dev/shm/.k", "/var/tmp/a", "/home/u/.cache/x",
		"/etc/cron.daily/job",
	};
	const char *files[] = { SEED_FILE, LOCAL_FILE };

	for (size_t f = 0; f < N(files); f++) {
		struct c2w_ruleset *rs = compile_file(files[f]);

		if (!rs)
			return;
		CHECK_EQ_INT(c2w_rs_memo_decides(rs), 1);
		for (size_t i = 0; i < N(out) + N(in); i++) {
			const char *p = i < N(out) ? out[i] : in[i - N(out)];
			const char *name = strrchr(p, '/') + 1;
			struct c2w_event ev;

			memset(&ev, 0, sizeof(ev));
			c2w_event_add_str(&ev, C2W_FIELD_PROCESS_EXECUTABLE,
					  p, strlen(p));
			c2w_event_add_str(&ev, C2W_FIELD_PROCESS_NAME, name,
					  strlen(name));
			if (c2w_rs_memo_excludes(rs, c2w_rs_proc_eval(rs, &ev)) !=
			    (i < N(out)))
				unit_fail(__FILE__, __LINE__, "%s: %s %s",
					  files[f], p, i < N(out) ?
					  "not excluded" : "excluded");
		}
		c2w_rs_free(rs);
	}
}

/*
 * The probes' destination prefilter on the shipped rule and Elastic's: a
 * private, loopback or reserved destination rules both out before anything
 * else of the attempt is read; a public one never does.
 */
UNIT_TEST(shipped_rules_excluded_by_destination_alone)
{
	static const char *const out[] = {
		"10.0.0.1", "192.168.1.1", "172.16.5.5", "127.0.0.1",
		"169.254.1.1", "100.64.0.1", "224.0.0.251", "::1", "fe80::1",
		"ff02::fb", "::ffff:10.1.1.1", "::ffff:192.168.0.1",
	};
	static const char *const in[] = {
		"1.1.1.1", "8.8.8.8", "2606:4700:4700::1111", "fd00::1",
		"::ffff:1.1.1.1", "11.0.0.1", "172.32.0.1",
	};
	const char *files[] = { SEED_FILE, LOCAL_FILE };

	for (size_t f = 0; f < N(files); f++) {
		struct c2w_ruleset *rs = compile_file(files[f]);
		uint8_t a[16];

		if (!rs)
			return;
		/* And their clauses on constants go by the memo alone. */
		CHECK_EQ_INT(c2w_rs_needs_const(rs), 0);
		/*
		 * Elastic's reads the source (the clause the local variant
		 * drops); the local variant's repeats are judged at once.
		 */
		CHECK_EQ_INT(c2w_rs_reads_source(rs), f == 0);
		for (size_t i = 0; i < N(out) + N(in); i++) {
			const char *t = i < N(out) ? out[i] : in[i - N(out)];
			int fam = strchr(t, ':') ? 6 : 4;

			CHECK_EQ_INT(inet_pton(fam == 4 ? AF_INET : AF_INET6,
					       t, a), 1);
			if (c2w_rs_dst_excludes(rs, fam, a) != (i < N(out)))
				unit_fail(__FILE__, __LINE__, "%s: %s %s",
					  files[f], t, i < N(out) ?
					  "not excluded" : "excluded");
		}
		c2w_rs_free(rs);
	}
}
