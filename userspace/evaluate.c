// SPDX-License-Identifier: GPL-2.0
/*
 * c2watchctl eval. Events are ECS documents, one per line, with flat dotted
 * keys ("process.executable") or nested objects, or both. Each field the
 * rules know is taken from the event itself (an event may be a process
 * event, not a connection); a field the event lacks does not match. Events
 * are evaluated in @timestamp order (input order among equals, and for
 * events without one) so that new-terms windows behave as in Elastic; the
 * answers are printed in input order, one JSON object per event.
 *
 * New terms are per host by default, as the module keeps them: a key seen
 * on one host (host.id, else host.name) is still new on another. --fleet
 * keeps them across all hosts, as Kibana's new_terms rule does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "evaluate.h"
#include "kql.h"
#include "kqlout.h"
#include "rules.h"
#include "seenfile.h"

struct ev_in {
	json_object *doc;
	int line;
	double ts;		/* seconds */
	uint64_t hits;		/* rules matched */
	uint64_t alerts;	/* rules alerted */
	int decider[C2W_MAX_RULES];
};

/* "a.b.c" from a document with flat keys, nested objects, or a mix. */
static json_object *lookup(json_object *doc, const char *path)
{
	json_object *v;
	const char *dot;

	if (json_object_object_get_ex(doc, path, &v))
		return v;
	for (dot = strchr(path, '.'); dot; dot = strchr(dot + 1, '.')) {
		char head[128];
		size_t n = (size_t)(dot - path);

		if (n >= sizeof(head))
			return NULL;
		memcpy(head, path, n);
		head[n] = '\0';
		if (json_object_object_get_ex(doc, head, &v) &&
		    json_object_is_type(v, json_type_object)) {
			json_object *r = lookup(v, dot + 1);

			if (r)
				return r;
		}
	}
	return NULL;
}

static void add_value(struct c2w_event *ev, int field, json_object *v)
{
	const char *s;

	if (!v || json_object_is_type(v, json_type_null))
		return;
	if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);

		for (size_t i = 0; i < n; i++)
			add_value(ev, field, json_object_array_get_idx(v, i));
		return;
	}
	switch (c2w_field_kind(field)) {
	case C2W_KIND_STR:
		if (json_object_is_type(v, json_type_object))
			return;
		s = json_object_get_string(v);
		c2w_event_add_str(ev, field, s,
				  json_object_is_type(v, json_type_string) ?
				  (uint32_t)json_object_get_string_len(v) :
				  (uint32_t)strlen(s));
		return;
	case C2W_KIND_IP: {
		uint8_t a[16];

		if (!json_object_is_type(v, json_type_string))
			return;
		s = json_object_get_string(v);
		if (inet_pton(AF_INET, s, a) == 1)
			c2w_event_set_ip(ev, field, 4, a);
		else if (inet_pton(AF_INET6, s, a) == 1)
			c2w_event_set_ip(ev, field, 6, a);
		return;
	}
	default: {
		int64_t p;

		if (json_object_is_type(v, json_type_int))
			p = json_object_get_int64(v);
		else if (json_object_is_type(v, json_type_string))
			p = strtoll(json_object_get_string(v), NULL, 10);
		else
			return;
		if (p < 0 || p > 65535)
			return;
		if (field == C2W_FIELD_SOURCE_PORT)
			ev->sport = (uint16_t)p;
		else
			ev->dport = (uint16_t)p;
		ev->present |= C2W_FBIT(field);
	}
	}
}

static void build_event(json_object *doc, struct c2w_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	for (int f = 1; f < C2W_FIELD_MAX; f++)
		add_value(ev, f, lookup(doc, kql_field_names[f]));
}

/* Seen keys: rule index + key, last time seen. Open addressing. */
struct seen {
	char **keys;
	size_t *klen;		/* keys hold NUL bytes */
	double *last;
	size_t cap, n;
};

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static double *seen_slot(struct seen *st, const char *key, size_t n)
{
	size_t i;

	if (st->n * 2 >= st->cap) {
		struct seen ns = { .cap = st->cap ? st->cap * 2 : 1024 };

		ns.keys = calloc(ns.cap, sizeof(char *));
		ns.klen = calloc(ns.cap, sizeof(size_t));
		ns.last = calloc(ns.cap, sizeof(double));
		if (!ns.keys || !ns.klen || !ns.last) {
			free(ns.keys);
			free(ns.klen);
			free(ns.last);
			return NULL;
		}
		for (i = 0; i < st->cap; i++) {
			size_t j;

			if (!st->keys[i])
				continue;
			j = fnv(st->keys[i], st->klen[i]) % ns.cap;
			while (ns.keys[j])
				j = (j + 1) % ns.cap;
			ns.keys[j] = st->keys[i];
			ns.klen[j] = st->klen[i];
			ns.last[j] = st->last[i];
			ns.n++;
		}
		free(st->keys);
		free(st->klen);
		free(st->last);
		*st = ns;
	}
	i = fnv(key, n) % st->cap;
	while (st->keys[i]) {
		if (st->klen[i] == n && !memcmp(st->keys[i], key, n))
			return &st->last[i];
		i = (i + 1) % st->cap;
	}
	st->keys[i] = malloc(n ? n : 1);
	if (!st->keys[i])
		return NULL;
	memcpy(st->keys[i], key, n);
	st->klen[i] = n;
	st->last[i] = -1;
	st->n++;
	return &st->last[i];
}

static void seen_free(struct seen *st)
{
	for (size_t i = 0; i < st->cap; i++)
		free(st->keys[i]);
	free(st->keys);
	free(st->klen);
	free(st->last);
}

/* The host an event comes from: host.id, else host.name, else none. */
static const char *host_of(json_object *doc)
{
	json_object *v = lookup(doc, "host.id");

	if (!v || !json_object_is_type(v, json_type_string))
		v = lookup(doc, "host.name");
	if (!v || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/*
 * The seen-set key: the rule index, the host (length first, so that no
 * host name can run into the key) unless @host is NULL, then the module's
 * own key.
 */
static size_t make_key(const struct c2w_rule_info *r, uint32_t ri,
		       const char *host, const struct c2w_event *ev, char *k,
		       size_t cap)
{
	size_t n = host ? (size_t)snprintf(k, cap, "%u:%zu:%.256s", ri,
					   strlen(host), host) :
			  (size_t)snprintf(k, cap, "%u:", ri);
	const char *key;
	uint32_t len;

	if (n >= cap)
		n = cap - 1;

	key = c2w_nt_key(r, ev, k + n, (uint32_t)(cap - n), &len);
	if (key != k + n)
		memmove(k + n, key, len);
	return n + len;
}

static double timestamp(json_object *doc, double prev)
{
	json_object *v = lookup(doc, "@timestamp");
	const char *s;
	char buf[64];
	time_t t;
	double frac = 0;
	char *dot;

	if (!v || !json_object_is_type(v, json_type_string))
		return prev;
	s = json_object_get_string(v);
	snprintf(buf, sizeof(buf), "%s", s);
	dot = strchr(buf, '.');
	if (dot) {
		char *end;

		frac = strtod(dot, &end);
		memmove(dot, end, strlen(end) + 1);
	}
	if (c2w_time_parse(buf, &t))
		return prev;
	return (double)t + frac;
}

static int cmp_ts(const void *a, const void *b)
{
	const struct ev_in *x = *(struct ev_in *const *)a;
	const struct ev_in *y = *(struct ev_in *const *)b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->line - y->line;
}

/**
 * eval_events() - evaluate ECS events from @in and print the answers
 * @blob: validated ruleset blob
 * @size: its size
 * @in: NDJSON events
 * @name: name of @in for messages
 * @out: one JSON object per event
 * @explain: say, per rule, which clause decided
 * @fleet: new terms across every host, as Kibana; else per host (the
 *	module)
 * @err: message on failure
 * @errlen: its size
 *
 * Return: 0, -EINVAL (bad input, message in @err), -ENOMEM.
 */
int eval_events(const void *blob, uint32_t size, FILE *in, const char *name,
		FILE *out, bool explain, bool fleet, char *err, size_t errlen)
{
	struct c2w_ruleset *rs;
	struct ev_in *evs = NULL, **order = NULL;
	size_t n = 0, cap = 0, lcap = 0;
	struct seen st = { 0 };
	char *line = NULL, key[C2W_MAX_KEY + 300];
	double prev = 0;
	int ret = 0, lineno = 0;
	ssize_t len;

	if (c2w_rs_compile(blob, size, &rs, NULL)) {
		snprintf(err, errlen, "ruleset does not compile");
		return -EINVAL;
	}
	while ((len = getline(&line, &lcap, in)) >= 0) {
		json_object *doc;

		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)len)
			continue;
		doc = json_tokener_parse(line);
		if (!doc || !json_object_is_type(doc, json_type_object)) {
			json_object_put(doc);
			snprintf(err, errlen, "%s:%d: not a JSON object", name,
				 lineno);
			ret = -EINVAL;
			goto out;
		}
		if (n == cap) {
			struct ev_in *ne;

			cap = cap ? cap * 2 : 256;
			ne = realloc(evs, cap * sizeof(*evs));
			if (!ne) {
				json_object_put(doc);
				ret = -ENOMEM;
				goto out;
			}
			evs = ne;
		}
		memset(&evs[n], 0, sizeof(evs[n]));
		evs[n].doc = doc;
		evs[n].line = lineno;
		evs[n].ts = prev = timestamp(doc, prev);
		n++;
	}
	order = malloc((n ? n : 1) * sizeof(*order));
	if (!order) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = &evs[i];
	qsort(order, n, sizeof(*order), cmp_ts);

	for (size_t i = 0; i < n; i++) {
		struct ev_in *e = order[i];
		struct c2w_event ev;

		build_event(e->doc, &ev);
		for (uint32_t r = 0; r < c2w_rs_count(rs); r++) {
			const struct c2w_rule_info *ri = c2w_rs_rule(rs, r);
			double *last;
			size_t kl;

			if (!c2w_rule_eval(rs, r, &ev, &e->decider[r]) ||
			    (ri->flags & C2W_RULE_DISABLED))
				continue;
			e->hits |= 1ULL << r;
			if (!(ri->flags & C2W_RULE_NEW_TERMS)) {
				e->alerts |= 1ULL << r;
				continue;
			}
			kl = make_key(ri, r, fleet ? NULL : host_of(e->doc),
				      &ev, key, sizeof(key));
			last = seen_slot(&st, key, kl);
			if (!last) {
				ret = -ENOMEM;
				goto out;
			}
			if (*last < 0 || e->ts - *last >
			    (double)(ri->window_secs ?: C2W_DEFAULT_WINDOW))
				e->alerts |= 1ULL << r;
			*last = e->ts;
		}
	}

	for (size_t i = 0; i < n; i++) {
		struct ev_in *e = &evs[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "match", json_object_new_boolean(e->hits != 0));
		json_object_object_add(o, "alert", json_object_new_boolean(e->alerts != 0));
		if (e->hits) {
			json_object *ids = json_object_new_array();
			int first = __builtin_ctzll(e->hits);
			const struct c2w_rule_info *ri = c2w_rs_rule(rs, first);

			json_object_object_add(o, "rule_id",
				json_object_new_string_len(ri->id, (int)ri->id_len));
			for (uint32_t r = 0; r < c2w_rs_count(rs); r++)
				if (e->hits & (1ULL << r)) {
					ri = c2w_rs_rule(rs, r);
					json_object_array_add(ids,
						json_object_new_string_len(ri->id, (int)ri->id_len));
				}
			json_object_object_add(o, "rule_ids", ids);
		}
		if (explain) {
			json_object *arr = json_object_new_array();

			for (uint32_t r = 0; r < c2w_rs_count(rs); r++) {
				const struct c2w_rule_info *ri = c2w_rs_rule(rs, r);
				json_object *x = json_object_new_object();
				char *txt;

				json_object_object_add(x, "rule_id",
					json_object_new_string_len(ri->id, (int)ri->id_len));
				json_object_object_add(x, "match",
					json_object_new_boolean(!!(e->hits & (1ULL << r))));
				if (e->decider[r] >= 0) {
					txt = kql_clause_text(blob, size, (uint32_t)e->decider[r]);
					json_object_object_add(x, "failed_clause",
						json_object_new_string(txt ? txt : "?"));
					free(txt);
				} else {
					json_object_object_add(x, "failed_clause", NULL);
				}
				json_object_array_add(arr, x);
			}
			json_object_object_add(o, "explain", arr);
		}
		fprintf(out, "%s\n", json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
out:
	for (size_t i = 0; i < n; i++)
		json_object_put(evs[i].doc);
	free(evs);
	free(order);
	free(line);
	seen_free(&st);
	c2w_rs_free(rs);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}
