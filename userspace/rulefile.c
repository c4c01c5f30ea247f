// SPDX-License-Identifier: GPL-2.0
/*
 * Loading Elastic rules. Every file and every rule is compiled before
 * anything is returned, so a caller that loads the result into the kernel
 * loads all of it or nothing. Errors name the file, the line of the rule in
 * it, and for queries the line and column inside the query.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "kql.h"
#include "rsbuild.h"
#include "rulefile.h"
#include "rules.h"

/* Elastic's severity names, indexed by enum c2w_severity. */
static const char *const severity_names[] = {
	[C2W_SEV_LOW] = "low",
	[C2W_SEV_MEDIUM] = "medium",
	[C2W_SEV_HIGH] = "high",
	[C2W_SEV_CRITICAL] = "critical",
};

/**
 * rules_severity_name() - Elastic's name of a rule severity
 * @severity: &enum c2w_severity
 *
 * Return: "low" .. "critical"; "low" for an out-of-range value.
 */
const char *rules_severity_name(unsigned int severity)
{
	return severity_names[severity <= C2W_SEV_MAX ? severity : 0];
}

struct loader {
	struct rsb *b;
	char *err;
	size_t errlen;
	int n_rules;
	json_object *meta;	/* rule_id -> the rule, when asked for */
};

static int lerr(struct loader *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int lerr(struct loader *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->err, ld->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/**
 * rules_parse_window() - "now-20d" (Elastic date math) to seconds
 * @s: text: now-<N><s|m|h|d|w>
 * @secs: out
 *
 * Return: 0 or -EINVAL.
 */
int rules_parse_window(const char *s, uint32_t *secs)
{
	unsigned long long n, mul;
	char *end;

	if (!strncmp(s, "now-", 4))
		s += 4;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	n = strtoull(s, &end, 10);
	switch (*end) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	case 'w': mul = 7 * 86400; break;
	default: return -EINVAL;
	}
	if (end[1] || !n || n > C2W_MAX_WINDOW / mul)
		return -EINVAL;
	*secs = (uint32_t)(n * mul);
	return 0;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int new_terms_bits(struct loader *ld, const char *where,
			  const char *id, json_object *arr, uint32_t *bits)
{
	static const struct { const char *name; uint32_t bit; } map[] = {
		{ "process.executable", C2W_NT_EXECUTABLE },
		{ "process.name", C2W_NT_NAME },
		{ "user.id", C2W_NT_USER_ID },
		{ "destination.ip", C2W_NT_DESTINATION_IP },
		{ "host.id", C2W_NT_HOST_ID },
	};
	size_t n;

	if (!arr || !json_object_is_type(arr, json_type_array) ||
	    !json_object_array_length(arr))
		return lerr(ld, "%s: rule '%s': new_terms needs a non-empty new_terms_fields array",
			    where, id);
	*bits = 0;
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *f = json_object_get_string(e);
		size_t k;

		for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
			if (f && json_object_is_type(e, json_type_string) &&
			    !strcmp(f, map[k].name))
				break;
		if (k == sizeof(map) / sizeof(map[0]))
			return lerr(ld, "%s: rule '%s': new terms field '%s' is not supported (use process.executable, process.name, user.id, destination.ip or host.id)",
				    where, id, f ? f : "?");
		*bits |= map[k].bit;
	}
	return 0;
}

static void threat_ids(json_object *o, const char **tactic,
		       const char **technique)
{
	json_object *threat, *t0, *tac, *tech, *tech0;

	*tactic = *technique = NULL;
	if (!json_object_object_get_ex(o, "threat", &threat) ||
	    !json_object_is_type(threat, json_type_array) ||
	    !json_object_array_length(threat))
		return;
	t0 = json_object_array_get_idx(threat, 0);
	if (json_object_object_get_ex(t0, "tactic", &tac))
		*tactic = get_str(tac, "id");
	if (json_object_object_get_ex(t0, "technique", &tech) &&
	    json_object_is_type(tech, json_type_array) &&
	    json_object_array_length(tech)) {
		tech0 = json_object_array_get_idx(tech, 0);
		*technique = get_str(tech0, "id");
	}
}

/*
 * A rule that deviates on purpose from the published rule whose rule_id it
 * keeps says so with this tag: a tag survives Kibana's import and export,
 * where an unknown key might not.
 */
#define LOCAL_VARIANT_TAG "c2watch: local variant"

static bool has_tag(json_object *o, const char *tag)
{
	json_object *tags;

	if (!json_object_object_get_ex(o, "tags", &tags) ||
	    !json_object_is_type(tags, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(tags); i++) {
		json_object *t = json_object_array_get_idx(tags, i);

		if (json_object_is_type(t, json_type_string) &&
		    !strcmp(json_object_get_string(t), tag))
			return true;
	}
	return false;
}

static int add_rule(struct loader *ld, json_object *o, const char *where)
{
	struct rsb_rule_desc d = { 0 };
	const char *type, *lang, *query, *sev, *win;
	json_object *v;
	struct kql_error ke;
	int ret;

	if (!json_object_is_type(o, json_type_object))
		return lerr(ld, "%s: expected a rule object", where);
	d.id = get_str(o, "rule_id");
	if (!d.id) {
		/* Kibana export trailers and exception lists are not rules. */
		if (json_object_object_get_ex(o, "exported_count", &v) ||
		    json_object_object_get_ex(o, "list_id", &v))
			return 0;
		return lerr(ld, "%s: rule has no \"rule_id\"", where);
	}
	if (!*d.id || strlen(d.id) > C2W_RULE_ID_MAX)
		return lerr(ld, "%s: rule_id must be 1-%d bytes", where,
			    C2W_RULE_ID_MAX);
	d.name = get_str(o, "name");
	if (!d.name)
		return lerr(ld, "%s: rule '%s' has no \"name\"", where, d.id);
	if (strlen(d.name) > C2W_RULE_NAME_MAX)
		return lerr(ld, "%s: rule '%s': name longer than %d bytes",
			    where, d.id, C2W_RULE_NAME_MAX);
	type = get_str(o, "type");
	if (!type)
		return lerr(ld, "%s: rule '%s' has no \"type\"", where, d.id);
	if (!strcmp(type, "new_terms")) {
		d.flags |= C2W_RULE_NEW_TERMS;
		if (!json_object_object_get_ex(o, "new_terms_fields", &v))
			v = NULL;
		ret = new_terms_bits(ld, where, d.id, v, &d.new_terms);
		if (ret)
			return ret;
		win = get_str(o, "history_window_start");
		if (win && rules_parse_window(win, &d.window_secs))
			return lerr(ld, "%s: rule '%s': history_window_start '%s' is not like now-20d (units s, m, h, d, w)",
				    where, d.id, win);
	} else if (strcmp(type, "query")) {
		return lerr(ld, "%s: rule '%s': rule type '%s' is not supported; c2watch evaluates 'query' and 'new_terms' rules in the kernel",
			    where, d.id, type);
	}
	lang = get_str(o, "language");
	if (lang && strcmp(lang, "kuery"))
		return lerr(ld, "%s: rule '%s': query language '%s' is not supported; only kuery (KQL)",
			    where, d.id, lang);
	query = get_str(o, "query");
	if (!query)
		return lerr(ld, "%s: rule '%s' has no \"query\"", where, d.id);
	sev = get_str(o, "severity");
	d.severity = C2W_SEV_LOW;
	if (sev) {
		while (d.severity <= C2W_SEV_MAX &&
		       strcmp(sev, severity_names[d.severity]))
			d.severity++;
		if (d.severity > C2W_SEV_MAX)
			return lerr(ld, "%s: rule '%s': unknown severity '%s'",
				    where, d.id, sev);
	}
	if (json_object_object_get_ex(o, "risk_score", &v)) {
		int r = json_object_get_int(v);

		if (!json_object_is_type(v, json_type_int) || r < 0 || r > 100)
			return lerr(ld, "%s: rule '%s': risk_score must be 0-100",
				    where, d.id);
		d.risk_score = (uint8_t)r;
	}
	if (json_object_object_get_ex(o, "enabled", &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    !json_object_get_boolean(v))
		d.flags |= C2W_RULE_DISABLED;
	if (has_tag(o, LOCAL_VARIANT_TAG))
		d.flags |= C2W_RULE_LOCAL_VARIANT;
	threat_ids(o, &d.tactic, &d.technique);
	if ((d.tactic && strlen(d.tactic) > 32) ||
	    (d.technique && strlen(d.technique) > 32))
		return lerr(ld, "%s: rule '%s': threat ids longer than 32 bytes",
			    where, d.id);

	if (++ld->n_rules > C2W_MAX_RULES)
		return lerr(ld, "%s: more than %d rules", where, C2W_MAX_RULES);
	ret = rsb_rule(ld->b, &d);
	if (ret)
		return lerr(ld, "%s: rule '%s': %s", where, d.id, strerror(-ret));
	ret = kql_compile(ld->b, query, &ke);
	if (ret)
		return lerr(ld, "%s: rule '%s': query line %d column %d: %s",
			    where, d.id, ke.line, ke.col, ke.msg);
	if (ld->meta)
		json_object_object_add(ld->meta, d.id, json_object_get(o));
	return 0;
}

static int load_buffer(struct loader *ld, const char *path, const char *buf,
		       size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	size_t off = 0;
	int ret = 0;

	if (!tok)
		return lerr(ld, "%s: out of memory", path);
	while (!ret) {
		json_object *o;
		char where[512];
		int line = 1;

		while (off < len && strchr(" \t\r\n", buf[off]))
			off++;
		if (off >= len)
			break;
		for (size_t i = 0; i < off; i++)
			line += buf[i] == '\n';
		snprintf(where, sizeof(where), "%s:%d", path, line);
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, buf + off, (int)(len - off));
		if (!o) {
			enum json_tokener_error je = json_tokener_get_error(tok);

			ret = lerr(ld, "%s: invalid JSON: %s", where,
				   je == json_tokener_continue ?
				   "unexpected end of file" :
				   json_tokener_error_desc(je));
			break;
		}
		off += json_tokener_get_parse_end(tok);
		if (json_object_is_type(o, json_type_array)) {
			size_t n = json_object_array_length(o);

			for (size_t i = 0; i < n && !ret; i++)
				ret = add_rule(ld, json_object_array_get_idx(o, i),
					       where);
		} else {
			ret = add_rule(ld, o, where);
		}
		json_object_put(o);
	}
	json_tokener_free(tok);
	return ret;
}

static int load_file(struct loader *ld, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ret;

	if (!f)
		return lerr(ld, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t n;

		if (len + 4096 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > 64 << 20) {
				fclose(f);
				free(buf);
				return lerr(ld, "%s: larger than 64 MiB", path);
			}
			nb = realloc(buf, cap);
			if (!nb) {
				fclose(f);
				free(buf);
				return lerr(ld, "%s: out of memory", path);
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (!n)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return lerr(ld, "%s: read error", path);
	}
	fclose(f);
	ret = load_buffer(ld, path, buf ? buf : "", len);
	free(buf);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* *.ndjson and *.json files of a directory, in name order. */
static int load_dir(struct loader *ld, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	int n = 0, ret = 0;

	if (!d)
		return lerr(ld, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char **nn;

		if (de->d_name[0] == '.' ||
		    !((l > 7 && !strcmp(de->d_name + l - 7, ".ndjson")) ||
		      (l > 5 && !strcmp(de->d_name + l - 5, ".json"))))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn || asprintf(&nn[n], "%s/%s", dir, de->d_name) < 0) {
			names = nn ? nn : names;
			ret = lerr(ld, "%s: out of memory", dir);
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (!ret && !n)
		ret = lerr(ld, "%s: no *.ndjson or *.json rule files", dir);
	if (!ret)
		qsort(names, n, sizeof(*names), cmp_str);
	for (int i = 0; i < n; i++) {
		if (!ret)
			ret = load_file(ld, names[i]);
		free(names[i]);
	}
	free(names);
	return ret;
}

static int finish(struct loader *ld, void **blob, uint32_t *size)
{
	struct c2w_ruleset *rs;
	struct c2w_rs_error re;
	int ret = 0;

	if (!ld->n_rules)
		ret = lerr(ld, "no rules found");
	if (!ret) {
		ret = rsb_finish(ld->b, blob, size);
		if (ret)
			lerr(ld, "ruleset too large: %s", strerror(-ret));
	}
	rsb_free(ld->b);
	if (ret)
		return ret;
	/* The very checks the kernel will make. */
	ret = c2w_rs_compile(*blob, *size, &rs, &re);
	if (ret) {
		free(*blob);
		*blob = NULL;
		return lerr(ld, "ruleset refused by the rule core: %s (rule %d)",
			    re.msg ? re.msg : strerror(-ret), re.rule);
	}
	c2w_rs_free(rs);
	return 0;
}

/**
 * rules_load_text() - compile rules held in memory
 * @name: what to call the text in messages
 * @text: NDJSON or JSON rules
 * @len: its length
 * @blob: out: the blob (malloc'd)
 * @size: out: its size
 * @err: out: message on failure
 * @errlen: size of @err
 *
 * Return: 0, -EINVAL (message in @err), -ENOMEM.
 */
int rules_load_text(const char *name, const char *text, size_t len,
		    void **blob, uint32_t *size, char *err, size_t errlen)
{
	return rules_load_text_meta(name, text, len, blob, size, NULL, err,
				    errlen);
}

/**
 * rules_load_text_meta() - rules_load_text(), keeping each rule's object
 * @name: what to call the text in messages
 * @text: NDJSON or JSON rules
 * @len: its length
 * @blob: out: the blob (malloc'd)
 * @size: out: its size
 * @meta: a json object that gets each rule object under its rule_id (the
 *	metadata alerts carry: version, description, author, threat...), or
 *	NULL
 * @err: out: message on failure
 * @errlen: size of @err
 *
 * Return: 0, -EINVAL (message in @err), -ENOMEM.
 */
int rules_load_text_meta(const char *name, const char *text, size_t len,
			 void **blob, uint32_t *size, json_object *meta,
			 char *err, size_t errlen)
{
	struct loader ld = { .err = err, .errlen = errlen, .meta = meta };
	int ret;

	ld.b = rsb_new();
	if (!ld.b)
		return lerr(&ld, "out of memory");
	ret = load_buffer(&ld, name, text, len);
	if (ret) {
		rsb_free(ld.b);
		return ret;
	}
	return finish(&ld, blob, size);
}

/**
 * rules_load() - compile rule files and directories into one ruleset blob
 * @paths: files (NDJSON or JSON) and directories (their *.ndjson, *.json)
 * @n: number of @paths
 * @blob: out: the blob (malloc'd), validated by the shared rule core
 * @size: out: its size
 * @err: out: message on failure
 * @errlen: size of @err
 *
 * Return: 0, -EINVAL (message in @err), -ENOMEM.
 */
int rules_load(char *const *paths, int n, void **blob, uint32_t *size,
	       char *err, size_t errlen)
{
	return rules_load_meta(paths, n, blob, size, NULL, err, errlen);
}

/**
 * rules_load_meta() - rules_load(), keeping each rule's object
 * @paths: files or directories
 * @n: their number
 * @blob: out: the blob (malloc'd)
 * @size: out: its size
 * @meta: as for rules_load_text_meta(), or NULL
 * @err: out: message on failure
 * @errlen: size of @err
 *
 * Return: 0, -EINVAL (message in @err), -ENOMEM.
 */
int rules_load_meta(char *const *paths, int n, void **blob, uint32_t *size,
		    json_object *meta, char *err, size_t errlen)
{
	struct loader ld = { .err = err, .errlen = errlen, .meta = meta };
	int ret = 0;

	ld.b = rsb_new();
	if (!ld.b)
		return lerr(&ld, "out of memory");
	for (int i = 0; i < n && !ret; i++) {
		struct stat st;

		if (stat(paths[i], &st))
			ret = lerr(&ld, "%s: %s", paths[i], strerror(errno));
		else if (S_ISDIR(st.st_mode))
			ret = load_dir(&ld, paths[i]);
		else
			ret = load_file(&ld, paths[i]);
	}
	if (ret) {
		rsb_free(ld.b);
		return ret;
	}
	return finish(&ld, blob, size);
}
