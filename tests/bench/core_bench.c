// SPDX-License-Identifier: GPL-2.0
/*
 * The rule core, native, in userspace: events per second and nanoseconds
 * per event on a generated mix evaluated against the seed rule, beside a
 * straightforward implementation of the same rule with fnmatch(3) and a
 * linear CIDR scan, in the same run. Both must agree on every event.
 *
 * usage: core_bench [RULEFILE] [EVENTS] [ROUNDS]
 */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rulefile.h"
#include "rules.h"

#define DEFAULT_RULES "userspace/rules/suspicious_network_unknown_executable.ndjson"

struct ev {
	struct c2w_event e;
	char exe[128];
	char uid[12];
};

static unsigned long long rng = 0x2545F4914F6CDD1DULL;

static unsigned long long rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const dirs[] = {
	"/usr/bin/", "/usr/sbin/", "/usr/lib/firefox/", "/opt/app/bin/",
	"/tmp/", "/tmp/.x/", "/dev/shm/", "/var/tmp/", "/home/alice/.cache/",
	"/home/bob/.local/share/containers/", "/tmp/go-build123/b001/",
	"/etc/cron.daily/", "/usr/lib/update-notifier/",
};
static const char *const names[] = {
	"curl", "python3", "implant", "x", "update", "node", "wget", "a.out",
	"kworker", "sshd", "ansible-playbook", "helper",
};

/* A mix that reaches every exit of the rule: most traffic is excluded
 * early (private or loopback), some reaches the path globs.
 */
static void gen(struct ev *v)
{
	uint8_t dst[4], src[4];
	unsigned long long r = rnd();

	memset(&v->e, 0, sizeof(v->e));
	snprintf(v->exe, sizeof(v->exe), "%s%s", dirs[r % 13],
		 names[(r >> 8) % 12]);
	switch ((r >> 16) % 4) {
	case 0: dst[0] = 127; break;
	case 1: dst[0] = 10; break;
	case 2: dst[0] = 172; break;
	default: dst[0] = 1 + (uint8_t)((r >> 24) % 222); break;
	}
	dst[1] = (uint8_t)(r >> 32);
	dst[2] = (uint8_t)(r >> 40);
	dst[3] = (uint8_t)(r >> 48);
	memcpy(src, (r >> 20) % 3 ? "\xc0\xa8\x01\x02" : "\x51\x02\x45\x10", 4);
	c2w_event_set_ip(&v->e, C2W_FIELD_DESTINATION_IP, 4, dst);
	c2w_event_set_ip(&v->e, C2W_FIELD_SOURCE_IP, 4, src);
	v->e.dport = 443;
	v->e.present |= C2W_FBIT(C2W_FIELD_DESTINATION_PORT);
	c2w_event_add_str(&v->e, C2W_FIELD_PROCESS_EXECUTABLE, v->exe,
			  (uint32_t)strlen(v->exe));
	c2w_event_add_str(&v->e, C2W_FIELD_PROCESS_NAME,
			  strrchr(v->exe, '/') + 1,
			  (uint32_t)strlen(strrchr(v->exe, '/') + 1));
	c2w_event_add_str(&v->e, C2W_FIELD_EVENT_ACTION,
			  "connection_attempted", 20);
	c2w_event_add_str(&v->e, C2W_FIELD_EVENT_CATEGORY, "network", 7);
	c2w_event_add_str(&v->e, C2W_FIELD_HOST_OS_TYPE, "linux", 5);
	c2w_event_add_str(&v->e, C2W_FIELD_NETWORK_TRANSPORT, "tcp", 3);
}

/* ---- the straightforward version: fnmatch + linear CIDR scan ---- */

struct naive_test {
	int field, op, family, prefix;
	uint8_t addr[16];
	char *fnm;		/* fnmatch pattern */
};

struct naive_clause {
	bool neg;
	int n;
	struct naive_test *t;
};

struct naive_rule {
	int n;
	struct naive_clause *c;
};

/* KQL glob -> fnmatch pattern: '*' stays, specials escaped. */
static char *to_fnmatch(const char *p, size_t n)
{
	char *o = malloc(2 * n + 1), *q = o;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n) {
			*q++ = '\\';
			*q++ = p[++i];
		} else if (strchr("?[]", p[i])) {
			*q++ = '\\';
			*q++ = p[i];
		} else {
			*q++ = p[i];
		}
	}
	*q = '\0';
	return o;
}

static void naive_build(const void *blob, struct naive_rule *nr)
{
	const struct c2w_rs_header *h = blob;
	const struct c2w_rs_rule *r = (const void *)(h + 1);
	const struct c2w_rs_clause *cl = (const void *)(r + h->n_rules);
	const struct c2w_rs_test *t = (const void *)(cl + h->n_clauses);
	const char *str = (const char *)(t + h->n_tests);

	nr->n = (int)r[0].n_clauses;
	nr->c = calloc(nr->n, sizeof(*nr->c));
	for (int i = 0; i < nr->n; i++) {
		const struct c2w_rs_clause *c = &cl[r[0].first_clause + i];

		nr->c[i].neg = c->flags & C2W_CLAUSE_NEGATE;
		nr->c[i].n = (int)c->n_tests;
		nr->c[i].t = calloc(c->n_tests, sizeof(struct naive_test));
		for (uint32_t j = 0; j < c->n_tests; j++) {
			const struct c2w_rs_test *x = &t[c->first_test + j];
			struct naive_test *y = &nr->c[i].t[j];

			y->field = x->field;
			y->op = x->op;
			y->family = x->family;
			y->prefix = x->prefix;
			memcpy(y->addr, x->addr, 16);
			if (x->op == C2W_OP_GLOB)
				y->fnm = to_fnmatch(str + x->str.off, x->str.len);
		}
	}
}

static bool prefix_match(const uint8_t *net, int bits, const uint8_t *a)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(net, a, full))
		return false;
	return !rest || !((net[full] ^ a[full]) & (0xff00 >> rest));
}

static bool naive_eval(const struct naive_rule *nr, const struct c2w_event *e)
{
	for (int i = 0; i < nr->n; i++) {
		bool any = false;

		for (int j = 0; j < nr->c[i].n && !any; j++) {
			const struct naive_test *t = &nr->c[i].t[j];

			if (!(e->present & C2W_FBIT(t->field)))
				continue;
			if (t->op == C2W_OP_EXISTS) {
				any = true;
			} else if (t->op == C2W_OP_GLOB) {
				for (int v = 0; v < e->nv[t->field] && !any; v++) {
					char buf[256];
					const struct c2w_sv *sv = &e->sv[t->field][v];

					snprintf(buf, sizeof(buf), "%.*s",
						 (int)sv->len, sv->s);
					any = !fnmatch(t->fnm, buf, 0);
				}
			} else if (t->op == C2W_OP_CIDR) {
				int fam = t->field == C2W_FIELD_SOURCE_IP ?
					  e->src_family : e->dst_family;
				const uint8_t *a = t->field == C2W_FIELD_SOURCE_IP ?
						   e->src : e->dst;

				any = fam == t->family &&
				      prefix_match(t->addr, t->prefix, a);
			}
		}
		if (any == nr->c[i].neg)
			return false;
	}
	return true;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char *paths[] = { argc > 1 ? argv[1] : DEFAULT_RULES }, err[512];
	int n = argc > 2 ? atoi(argv[2]) : 200000;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	struct c2w_ruleset *rs;
	struct naive_rule nr;
	struct ev *evs;
	uint32_t size;
	void *blob;
	double best_fast = 1e9, best_naive = 1e9, best_memo = 1e9;
	double best_cmemo = 1e9, best_dst = 1e9;
	uint64_t cmemo;
	long matches = 0, disagree = 0;
	uint64_t *memo;
	volatile unsigned long long sink = 0;

	if (rules_load(paths, 1, &blob, &size, err, sizeof(err))) {
		fprintf(stderr, "core_bench: %s\n", err);
		return 2;
	}
	c2w_rs_compile(blob, size, &rs, NULL);
	naive_build(blob, &nr);
	evs = malloc(sizeof(*evs) * (size_t)n);
	for (int i = 0; i < n; i++)
		gen(&evs[i]);	/* in place: values point into the struct */
	/*
	 * The module's executable memo (rules.c, c2w_rs_proc_eval()): what a
	 * known process image's attempts cost, its tests on the executable
	 * taken from the memo. Made once per event here, outside the timing,
	 * as the module makes it once per process image.
	 */
	memo = malloc(sizeof(*memo) * (size_t)n);
	/*
	 * And its constant memo (c2w_rs_const_eval()): the clauses on
	 * host.os.type, event.* and the like, once per ruleset, family and
	 * transport; every event here has the same constants.
	 */
	cmemo = c2w_rs_const_eval(rs, &evs[0].e);
	for (int i = 0; i < n; i++) {
		bool f = c2w_rs_eval(rs, &evs[i].e) & 1;
		bool g = naive_eval(&nr, &evs[i].e);
		bool h, k, d;

		memo[i] = c2w_rs_proc_eval(rs, &evs[i].e);
		evs[i].e.memo = memo[i];
		evs[i].e.memo_set = true;
		h = c2w_rs_eval(rs, &evs[i].e) & 1;
		evs[i].e.cmemo = cmemo;
		evs[i].e.cmemo_set = true;
		k = c2w_rs_eval(rs, &evs[i].e) & 1;
		evs[i].e.memo_set = false;
		evs[i].e.cmemo_set = false;
		/* The probe's destination prefilter never hides a match. */
		d = c2w_rs_dst_excludes(rs, evs[i].e.dst_family, evs[i].e.dst);
		matches += f;
		disagree += (f != g) + (f != h) + (f != k) + (f && d);
	}
	for (int r = 0; r < rounds; r++) {
		double t0 = now(), t1, t2;

		for (int i = 0; i < n; i++)
			sink += c2w_rs_eval(rs, &evs[i].e);
		t1 = now();
		for (int i = 0; i < n; i++)
			sink += naive_eval(&nr, &evs[i].e);
		t2 = now();
		if (t1 - t0 < best_fast)
			best_fast = t1 - t0;
		if (t2 - t1 < best_naive)
			best_naive = t2 - t1;
		for (int i = 0; i < n; i++)
			evs[i].e.memo_set = true;
		t0 = now();
		for (int i = 0; i < n; i++)
			sink += c2w_rs_eval(rs, &evs[i].e);
		t1 = now();
		if (t1 - t0 < best_memo)
			best_memo = t1 - t0;
		for (int i = 0; i < n; i++)
			evs[i].e.cmemo_set = true;
		t0 = now();
		for (int i = 0; i < n; i++)
			sink += c2w_rs_eval(rs, &evs[i].e);
		t1 = now();
		if (t1 - t0 < best_cmemo)
			best_cmemo = t1 - t0;
		/* As the module: the prefilter at the probe, then the rest. */
		t0 = now();
		for (int i = 0; i < n; i++)
			if (!c2w_rs_dst_excludes(rs, evs[i].e.dst_family,
						 evs[i].e.dst))
				sink += c2w_rs_eval(rs, &evs[i].e);
		t1 = now();
		if (t1 - t0 < best_dst)
			best_dst = t1 - t0;
		for (int i = 0; i < n; i++) {
			evs[i].e.memo_set = false;
			evs[i].e.cmemo_set = false;
		}
	}
	printf("rule core bench: %d events, %ld match the seed rule, %ld disagreements, best of %d rounds\n",
	       n, matches, disagree, rounds);
	printf("| implementation | ns/event | events/s |\n|---|---|---|\n");
	printf("| c2watch rule core | %.1f | %.0f |\n", best_fast * 1e9 / n,
	       n / best_fast);
	printf("| c2watch rule core, executable memo (a known process image) | %.1f | %.0f |\n",
	       best_memo * 1e9 / n, n / best_memo);
	printf("| c2watch rule core, executable and constant memos | %.1f | %.0f |\n",
	       best_cmemo * 1e9 / n, n / best_cmemo);
	printf("| c2watch rule core, both memos, destination prefilter first (as the module) | %.1f | %.0f |\n",
	       best_dst * 1e9 / n, n / best_dst);
	printf("| fnmatch(3) + linear CIDR scan | %.1f | %.0f |\n",
	       best_naive * 1e9 / n, n / best_naive);
	printf("speedup: %.2fx\n", best_naive / best_fast);
	free(memo);
	free(evs);
	c2w_rs_free(rs);
	free(blob);
	return disagree ? 1 : 0;
}
