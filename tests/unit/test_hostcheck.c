// SPDX-License-Identifier: GPL-2.0
/*
 * The host check: the upstream Elastic rule cannot match IPv4 on a host
 * whose addresses are private, the local variant can; required source
 * ranges; disabled rules; families the host does not have; and this
 * machine's own address list (no loopback, no link-local).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "hostcheck.h"
#include "kql.h"
#include "rsbuild.h"
#include "rulefile.h"
#include "unit.h"

#define UPSTREAM "userspace/rules/upstream/suspicious_network_unknown_executable.ndjson"
#define LOCAL "userspace/rules/suspicious_network_unknown_executable.ndjson"

struct warns {
	int n;
	char last[2048];
	char last_id[128];
};

static void collect(const char *id, const char *name, const char *msg,
		    void *arg)
{
	struct warns *w = arg;

	(void)name;
	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
	snprintf(w->last_id, sizeof(w->last_id), "%s", id);
}

static void *load(const char *path, uint32_t *size)
{
	char *paths[] = { (char *)path }, err[512];
	void *blob = NULL;

	if (rules_load(paths, 1, &blob, size, err, sizeof(err)))
		unit_fail(__FILE__, __LINE__, "%s: %s", path, err);
	return blob;
}

/* Addresses from text: "10.0.2.15", "fd00:c2::15", ... */
static size_t addrs(struct host_addr *a, const char *const *text, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		if (inet_pton(AF_INET, text[i], a[i].addr) == 1)
			a[i].family = 4;
		else if (inet_pton(AF_INET6, text[i], a[i].addr) == 1)
			a[i].family = 6;
		else
			unit_fail(__FILE__, __LINE__, "bad address %s", text[i]);
	}
	return n;
}

static int check(const void *blob, uint32_t size, const char *const *text,
		 size_t n, struct warns *w)
{
	struct host_addr a[8];

	memset(w, 0, sizeof(*w));
	return host_check_rules(blob, size, a, addrs(a, text, n), collect, w);
}

UNIT_TEST(hostcheck_upstream_rule_on_private_hosts)
{
	static const char *const cloud[] = { "10.0.2.15", "fd00:c2::15" };
	static const char *const lan[] = { "192.168.1.20" };
	static const char *const mixed[] = { "10.0.2.15", "198.51.100.7" };
	static const char *const public6[] = { "2001:db8::5" };
	uint32_t size;
	void *blob = load(UPSTREAM, &size);
	struct warns w;

	if (!blob)
		return;
	/* IPv4 is excluded from a private host; its IPv6 address is not. */
	CHECK_EQ_INT(check(blob, size, cloud, 2, &w), 1);
	CHECK_EQ_INT(w.n, 1);
	CHECK_STR(w.last_id, "53617418-17b4-4e9c-8a2c-8deb8086ca4b");
	CHECK(strstr(w.last, "cannot match any IPv4 connection"));
	CHECK(strstr(w.last, "clause 6"));
	CHECK(strstr(w.last, "not source.ip : (\"10.0.0.0/8\" or \"127.0.0.0/8\" or \"172.16.0.0/12\" or \"192.168.0.0/16\")"));
	CHECK(!strstr(w.last, "destination.ip"));
	CHECK(strstr(w.last, "(10.0.2.15)"));
	CHECK(strstr(w.last, "Suspicious Network Activity"));
	CHECK_EQ_INT(check(blob, size, lan, 1, &w), 1);
	CHECK(strstr(w.last, "(192.168.1.20)"));
	/* One public address is enough for the rule to have a chance. */
	CHECK_EQ_INT(check(blob, size, mixed, 2, &w), 0);
	CHECK_EQ_INT(check(blob, size, public6, 1, &w), 0);
	/* No addresses at all: nothing to say. */
	CHECK_EQ_INT(check(blob, size, NULL, 0, &w), 0);
	free(blob);
}

UNIT_TEST(hostcheck_local_variant_is_quiet)
{
	static const char *const cloud[] = { "10.0.2.15", "172.17.0.1",
					     "fd00:c2::15" };
	uint32_t size;
	void *blob = load(LOCAL, &size);
	struct warns w;

	if (!blob)
		return;
	CHECK_EQ_INT(check(blob, size, cloud, 3, &w), 0);
	free(blob);
}

static void *kql_blob(const char *query, uint32_t flags, uint32_t *size)
{
	struct rsb_rule_desc d = { .id = "r", .name = "n", .flags = flags };
	struct rsb *b = rsb_new();
	struct kql_error ke;
	void *blob = NULL;

	if (rsb_rule(b, &d) || kql_compile(b, query, &ke) ||
	    rsb_finish(b, &blob, size))
		unit_fail(__FILE__, __LINE__, "%s: %s", query, ke.msg);
	rsb_free(b);
	return blob;
}

UNIT_TEST(hostcheck_required_source_and_disabled)
{
	static const char *const ten[] = { "10.1.1.1" };
	static const char *const lan[] = { "192.168.7.7" };
	static const char *const six[] = { "2001:db8::1" };
	uint32_t size;
	void *blob;
	struct warns w;

	/* 2023's first version: a private source required. */
	blob = kql_blob("process.name : x and source.ip : 192.168.0.0/16", 0,
			&size);
	CHECK_EQ_INT(check(blob, size, ten, 1, &w), 1);
	CHECK(strstr(w.last, "leaves out"));
	CHECK(strstr(w.last, "clause 2, source.ip : \"192.168.0.0/16\""));
	CHECK_EQ_INT(check(blob, size, lan, 1, &w), 0);
	/* An IPv6 host is left out by an IPv4-only requirement, too. */
	CHECK_EQ_INT(check(blob, size, six, 1, &w), 1);
	CHECK(strstr(w.last, "IPv6"));
	free(blob);

	/* A clause that also tests another field does not rule anything out. */
	blob = kql_blob("(source.ip : 192.168.0.0/16 or process.name : x)", 0,
			&size);
	CHECK_EQ_INT(check(blob, size, ten, 1, &w), 0);
	free(blob);

	blob = kql_blob("not source.ip : 10.0.0.0/8", C2W_RULE_DISABLED, &size);
	CHECK_EQ_INT(check(blob, size, ten, 1, &w), 0);
	free(blob);
	blob = kql_blob("not source.ip : 10.0.0.0/9", 0, &size);
	CHECK_EQ_INT(check(blob, size, ten, 1, &w), 1);
	free(blob);
	/* Prefix boundaries: 10.128.0.1 is outside 10.0.0.0/9. */
	blob = kql_blob("not source.ip : 10.0.0.0/9", 0, &size);
	{
		static const char *const hi[] = { "10.128.0.1" };

		CHECK_EQ_INT(check(blob, size, hi, 1, &w), 0);
	}
	free(blob);
}

UNIT_TEST(hostcheck_own_addresses)
{
	struct host_addr *a = NULL;
	size_t n = 0;

	CHECK_EQ_INT(host_addrs(&a, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (a[i].family == 4)
			CHECK(a[i].addr[0] != 127);
		else
			CHECK(!(a[i].addr[0] == 0xfe &&
				(a[i].addr[1] & 0xc0) == 0x80) &&
			      memcmp(a[i].addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1",
				     16));
	}
	free(a);
}
