// SPDX-License-Identifier: GPL-2.0
/*
 * Does a loaded rule have a chance on this host? The source address of an
 * outbound attempt is one of the host's own addresses. A rule that excludes
 * every address the host has of one family (Elastic's rule excludes the
 * private ranges, and every cloud VM and NATed server is private), or that
 * requires a source range holding none of them, stays silent for that
 * family, and nothing else would say so: the connections are simply counted
 * as "excluded". This check names the rule and the clause instead.
 *
 * Loopback and link-local addresses are left out: connections to the
 * internet never leave from them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/c2watch.h>

#include "hostcheck.h"
#include "kqlout.h"
#include "rules.h"

static bool outbound_source(int family, const uint8_t *a)
{
	if (family == 4)
		return a[0] != 127 && !(a[0] == 169 && a[1] == 254) &&
		       (a[0] | a[1] | a[2] | a[3]);
	/* ::1, ::, fe80::/10 */
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return false;
	for (int i = 0; i < 15; i++)
		if (a[i])
			return true;
	return a[15] > 1;
}

/**
 * host_addrs() - the addresses this host's outbound connections leave from
 * @out: out: malloc'd array
 * @n: out: its length
 *
 * Every address of an interface that is up, loopback and link-local
 * excluded, in the caller's network namespace.
 *
 * Return: 0 or -errno.
 */
int host_addrs(struct host_addr **out, size_t *n)
{
	struct ifaddrs *ifa, *i;
	struct host_addr *a = NULL;
	size_t k = 0;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		struct host_addr h = { 0 };
		struct host_addr *na;

		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			h.family = 4;
			memcpy(h.addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			h.family = 6;
			memcpy(h.addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		if (!outbound_source(h.family, h.addr))
			continue;
		na = realloc(a, (k + 1) * sizeof(*a));
		if (!na) {
			free(a);
			freeifaddrs(ifa);
			return -ENOMEM;
		}
		a = na;
		a[k++] = h;
	}
	freeifaddrs(ifa);
	*out = a;
	*n = k;
	return 0;
}

static bool cidr_holds(const struct c2w_rs_test *t, int family,
		       const uint8_t *addr)
{
	unsigned int bits = t->prefix, bytes = bits / 8;

	if (t->family != family)
		return false;
	if (memcmp(t->addr, addr, bytes))
		return false;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

		return (t->addr[bytes] & mask) == (addr[bytes] & mask);
	}
	return true;
}

/* The source.ip tests of clause @c, and whether it tests nothing else. */
static bool source_tests(const struct c2w_rs_view *v,
			 const struct c2w_rs_clause *c, bool *only)
{
	bool any = false;

	*only = true;
	for (uint32_t i = 0; i < c->n_tests; i++) {
		const struct c2w_rs_test *t = &v->tests[c->first_test + i];

		if (t->field == C2W_FIELD_SOURCE_IP && t->op == C2W_OP_CIDR)
			any = true;
		else
			*only = false;
	}
	return any;
}

/*
 * Does clause @c rule out every connection leaving from @addr? A negated
 * clause does when one of its source.ip ranges holds the address; a plain
 * clause when it tests only source.ip and none of its ranges holds it.
 */
static bool clause_blocks(const struct c2w_rs_view *v,
			  const struct c2w_rs_clause *c, int family,
			  const uint8_t *addr)
{
	bool neg = c->flags & C2W_CLAUSE_NEGATE, only, held = false;

	if (!source_tests(v, c, &only) || (!neg && !only))
		return false;
	for (uint32_t i = 0; i < c->n_tests && !held; i++) {
		const struct c2w_rs_test *t = &v->tests[c->first_test + i];

		held = t->field == C2W_FIELD_SOURCE_IP &&
		       t->op == C2W_OP_CIDR && cidr_holds(t, family, addr);
	}
	return neg ? held : !held;
}

static void addr_list(char *buf, size_t len, const struct host_addr *a,
		      size_t n, int family)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		char t[INET6_ADDRSTRLEN];

		if (a[i].family != family)
			continue;
		inet_ntop(family == 4 ? AF_INET : AF_INET6, a[i].addr, t,
			  sizeof(t));
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					off ? ", " : "", t);
	}
}

/* One rule, one family: warn when no address of the family can match. */
static int check_family(const void *blob, uint32_t size,
			const struct c2w_rs_view *v, uint32_t r,
			const struct host_addr *addrs, size_t n, int family,
			host_warn_fn warn, void *arg)
{
	const struct c2w_rs_rule *rule = &v->rules[r];
	uint32_t blocker = UINT32_MAX;
	char id[C2W_RULE_ID_MAX + 1], name[C2W_RULE_NAME_MAX + 1];
	char list[512], msg[2048];
	size_t have = 0;
	char *text;

	for (size_t i = 0; i < n; i++) {
		uint32_t c, k;

		if (addrs[i].family != family)
			continue;
		have++;
		for (k = 0; k < rule->n_clauses; k++) {
			c = rule->first_clause + k;
			if (clause_blocks(v, &v->clauses[c], family,
					  addrs[i].addr))
				break;
		}
		if (k == rule->n_clauses)
			return 0;	/* this address can match */
		if (blocker == UINT32_MAX)
			blocker = k;
	}
	if (!have)
		return 0;
	snprintf(id, sizeof(id), "%.*s", (int)rule->id.len,
		 v->strtab + rule->id.off);
	snprintf(name, sizeof(name), "%.*s", (int)rule->name.len,
		 v->strtab + rule->name.off);
	addr_list(list, sizeof(list), addrs, n, family);
	text = kql_clause_field_text(blob, size, rule->first_clause + blocker,
				     C2W_FIELD_SOURCE_IP);
	snprintf(msg, sizeof(msg),
		 "rule %s (%s) cannot match any IPv%d connection on this host: its clause %u, %s, %s every IPv%d address the host connects from (%s)",
		 id, name, family, blocker + 1, text ? text : "(out of memory)",
		 v->clauses[rule->first_clause + blocker].flags &
		 C2W_CLAUSE_NEGATE ? "excludes" : "leaves out",
		 family, list);
	free(text);
	warn(id, name, msg, arg);
	return 1;
}

/**
 * host_check_rules() - warn about rules that cannot match from @addrs
 * @blob: a ruleset blob accepted by c2w_rs_compile()
 * @size: its size
 * @addrs: the host's outbound source addresses (host_addrs())
 * @n: their number
 * @warn: called once per rule and address family that cannot match
 * @arg: for @warn
 *
 * Disabled rules are skipped. A family the host has no address of is not
 * reported: no connection of that family leaves the host anyway.
 *
 * Return: the number of warnings.
 */
int host_check_rules(const void *blob, uint32_t size,
		     const struct host_addr *addrs, size_t n,
		     host_warn_fn warn, void *arg)
{
	struct c2w_rs_view v;
	int warned = 0;

	c2w_rs_view(blob, &v);
	for (uint32_t r = 0; r < v.h->n_rules; r++) {
		if (v.rules[r].flags & C2W_RULE_DISABLED)
			continue;
		warned += check_family(blob, size, &v, r, addrs, n, 4, warn,
				       arg);
		warned += check_family(blob, size, &v, r, addrs, n, 6, warn,
				       arg);
	}
	return warned;
}

/**
 * host_check_here() - host_check_rules() against this host's addresses
 * @blob: a ruleset blob accepted by c2w_rs_compile()
 * @size: its size
 * @warn: see host_check_rules()
 * @arg: for @warn
 *
 * Return: the number of warnings, or -errno when the addresses could not
 * be read.
 */
int host_check_here(const void *blob, uint32_t size, host_warn_fn warn,
		    void *arg)
{
	struct host_addr *a = NULL;
	size_t n = 0;
	int ret;

	ret = host_addrs(&a, &n);
	if (ret)
		return ret;
	ret = host_check_rules(blob, size, a, n, warn, arg);
	free(a);
	return ret;
}
