// SPDX-License-Identifier: GPL-2.0
/*
 * ECS documents for c2watch records. Alerts carry the fields the Elastic
 * rule's alerts would (process, user, source/destination, rule, threat,
 * host), the kernel's flags under c2watch.*, and, best effort from /proc
 * and only while the task still runs what connected, the process
 * arguments, parent, executable hash and container id. Lost
 * records and configuration changes are documents of their own
 * (event.kind "event") so that data loss is visible downstream.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ecs.h"
#include "record.h"
#include "rulefile.h"
#include "rules.h"

/* KEY=value or KEY="value" from os-release(5) into @out. */
static void os_release_value(const char *line, const char *key, char *out,
			     size_t len)
{
	size_t k = strlen(key);
	const char *v;

	if (strncmp(line, key, k) || line[k] != '=')
		return;
	v = line + k + 1;
	if (*v == '"' || *v == '\'')
		v++;
	snprintf(out, len, "%s", v);
	out[strcspn(out, "\"'\n")] = '\0';
}

static void os_release(struct ecs_ctx *ctx)
{
	FILE *f = fopen("/etc/os-release", "r");
	char line[256], like[32] = "";

	if (!f)
		f = fopen("/usr/lib/os-release", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		os_release_value(line, "NAME", ctx->os_name,
				 sizeof(ctx->os_name));
		os_release_value(line, "VERSION_ID", ctx->os_version,
				 sizeof(ctx->os_version));
		os_release_value(line, "ID", ctx->os_platform,
				 sizeof(ctx->os_platform));
		os_release_value(line, "ID_LIKE", like, sizeof(like));
	}
	fclose(f);
	like[strcspn(like, " ")] = '\0';
	snprintf(ctx->os_family, sizeof(ctx->os_family), "%s",
		 like[0] ? like : ctx->os_platform);
}

/**
 * ecs_ctx_host_ips() - (re)read the host's addresses for host.ip
 * @ctx: context
 *
 * Every address but loopback, IPv4 and IPv6, as getifaddrs(3) has them now;
 * the daemon calls it again when the rules change and every few minutes.
 */
void ecs_ctx_host_ips(struct ecs_ctx *ctx)
{
	struct ifaddrs *ifa, *i;
	json_object *arr;
	char buf[INET6_ADDRSTRLEN];

	if (getifaddrs(&ifa))
		return;
	arr = json_object_new_array();
	for (i = ifa; i; i = i->ifa_next) {
		const void *addr;

		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			addr = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6)
			addr = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(i->ifa_addr->sa_family, addr, buf, sizeof(buf)))
			json_object_array_add(arr, json_object_new_string(buf));
	}
	freeifaddrs(ifa);
	json_object_put(ctx->host_ip);
	ctx->host_ip = arr;
}

void ecs_ctx_init(struct ecs_ctx *ctx)
{
	struct utsname u;
	FILE *f;

	memset(ctx, 0, sizeof(*ctx));
	if (gethostname(ctx->host_name, sizeof(ctx->host_name) - 1))
		strcpy(ctx->host_name, "unknown");
	f = fopen("/etc/machine-id", "r");
	if (f) {
		if (fgets(ctx->host_id, sizeof(ctx->host_id), f))
			ctx->host_id[strcspn(ctx->host_id, "\n")] = '\0';
		fclose(f);
	}
	if (!uname(&u)) {
		snprintf(ctx->os_kernel, sizeof(ctx->os_kernel), "%s",
			 u.release);
		snprintf(ctx->arch, sizeof(ctx->arch), "%s", u.machine);
	}
	os_release(ctx);
	ecs_ctx_host_ips(ctx);
	ctx->enrich = true;
}

/**
 * ecs_ctx_free() - what ecs_ctx_init() allocated
 * @ctx: context
 */
void ecs_ctx_free(struct ecs_ctx *ctx)
{
	json_object_put(ctx->host_ip);
	ctx->host_ip = NULL;
}

/* A string field, when there is something to say. */
static void set_nonempty(json_object *doc, const char *dotted, const char *v)
{
	if (v[0])
		ecs_set(doc, dotted, json_object_new_string(v));
}

/* Set a dotted key, creating the nested objects on the way. */
void ecs_set(json_object *root, const char *dotted, json_object *val)
{
	char key[128];
	const char *dot;
	json_object *child;

	while ((dot = strchr(dotted, '.'))) {
		size_t n = (size_t)(dot - dotted);

		if (n >= sizeof(key))
			n = sizeof(key) - 1;
		memcpy(key, dotted, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(root, key, &child) ||
		    !json_object_is_type(child, json_type_object)) {
			child = json_object_new_object();
			json_object_object_add(root, key, child);
		}
		root = child;
		dotted = dot + 1;
	}
	json_object_object_add(root, dotted, val);
}

static json_object *jstr_arr(const char *a, const char *b)
{
	json_object *arr = json_object_new_array();

	json_object_array_add(arr, json_object_new_string(a));
	if (b)
		json_object_array_add(arr, json_object_new_string(b));
	return arr;
}

/* A date field, from CLOCK_REALTIME nanoseconds, in milliseconds. */
static void timestamp_key(json_object *doc, const char *key, uint64_t ns)
{
	char buf[64], t[32];
	time_t s = (time_t)(ns / 1000000000ULL);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, sizeof(buf), "%s.%03uZ", t,
		 (unsigned int)(ns / 1000000ULL % 1000));
	ecs_set(doc, key, json_object_new_string(buf));
}

static void timestamp(json_object *doc, uint64_t ns)
{
	timestamp_key(doc, "@timestamp", ns);
}

static json_object *base(const char *kind, const char *action,
			 const struct ecs_ctx *ctx)
{
	json_object *doc = json_object_new_object();

	ecs_set(doc, "ecs.version", json_object_new_string(C2W_ECS_VERSION));
	ecs_set(doc, "event.kind", json_object_new_string(kind));
	ecs_set(doc, "event.module", json_object_new_string("c2watch"));
	ecs_set(doc, "event.action", json_object_new_string(action));
	ecs_set(doc, "host.name", json_object_new_string(ctx->host_name));
	ecs_set(doc, "host.hostname", json_object_new_string(ctx->host_name));
	if (ctx->host_id[0])
		ecs_set(doc, "host.id", json_object_new_string(ctx->host_id));
	ecs_set(doc, "host.os.type", json_object_new_string("linux"));
	set_nonempty(doc, "host.os.kernel", ctx->os_kernel);
	set_nonempty(doc, "host.os.name", ctx->os_name);
	set_nonempty(doc, "host.os.version", ctx->os_version);
	set_nonempty(doc, "host.os.platform", ctx->os_platform);
	set_nonempty(doc, "host.os.family", ctx->os_family);
	set_nonempty(doc, "host.architecture", ctx->arch);
	if (ctx->host_ip && json_object_array_length(ctx->host_ip))
		ecs_set(doc, "host.ip", json_object_get(ctx->host_ip));
	return doc;
}

/* A daemon-side event (start, gap, ...) at the current time. */
json_object *ecs_event(const char *action, const struct ecs_ctx *ctx)
{
	json_object *doc = base("event", action, ctx);
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	timestamp(doc, (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	ecs_set(doc, "event.category", jstr_arr("host", NULL));
	return doc;
}

static char *read_small(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = malloc(65536);
	n = buf ? read(fd, buf, 65535) : -1;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static void proc_args(json_object *doc, uint32_t pid)
{
	char path[64], *buf;
	json_object *arr;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	buf = read_small(path, &len);
	if (!buf || !len) {
		free(buf);
		return;
	}
	arr = json_object_new_array();
	for (size_t off = 0; off < len; off += strlen(buf + off) + 1)
		json_object_array_add(arr, json_object_new_string(buf + off));
	ecs_set(doc, "process.args", arr);
	ecs_set(doc, "process.args_count",
	     json_object_new_int((int)json_object_array_length(arr)));
	/* The arguments joined by spaces, as Elastic Defend reports it. */
	for (size_t i = 0; i + 1 < len; i++)
		if (!buf[i])
			buf[i] = ' ';
	ecs_set(doc, "process.command_line", json_object_new_string(buf));
	free(buf);
}

static void proc_exe(json_object *doc, const char *key, uint32_t pid);

/*
 * Start time of @pid in clock ticks since boot (/proc/PID/stat field 22,
 * after the parenthesised comm, which may itself hold spaces); 0 if gone.
 */
static unsigned long long proc_start_ticks(uint32_t pid)
{
	unsigned long long t = 0;
	char path[64], *buf, *p;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	buf = read_small(path, &len);
	if (!buf)
		return 0;
	p = strrchr(buf, ')');
	/* ") S ppid ..." : field 3 is the state; 22 is 19 fields on. */
	for (int f = 2; p && f < 22; f++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	free(buf);
	return t;
}

/* CLOCK_REALTIME seconds of the boot (/proc/stat btime). */
static long long boot_time(void)
{
	char *buf, *p;
	long long bt = 0;
	size_t len;

	buf = read_small("/proc/stat", &len);
	if (!buf)
		return 0;
	p = strstr(buf, "\nbtime ");
	if (p)
		bt = strtoll(p + 7, NULL, 10);
	free(buf);
	return bt;
}

/*
 * process.start and process.entity_id (stable for the process's life:
 * host id, pid and start, hashed, as Elastic Defend's), and the parent's
 * name and executable only if the parent started before the child: a pid
 * reused since (the parent exited) would describe another process.
 */
static void proc_identity(json_object *doc, const struct ecs_ctx *ctx,
			  const struct c2w_alert *a)
{
	unsigned long long start = proc_start_ticks(a->tgid), pstart;
	unsigned char md[EVP_MAX_MD_SIZE];
	char id[128], hex[33], path[64], *comm;
	long hz = sysconf(_SC_CLK_TCK);
	unsigned int mdlen = 0;
	size_t len;

	if (!start || hz <= 0)
		return;
	timestamp_key(doc, "process.start", (uint64_t)(boot_time() * 1000000000LL +
			start * (1000000000ULL / (unsigned long long)hz)));
	snprintf(id, sizeof(id), "%s:%u:%llu", ctx->host_id, a->tgid, start);
	if (EVP_Digest(id, strlen(id), md, &mdlen, EVP_sha256(), NULL) &&
	    mdlen >= 16) {
		for (int i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		ecs_set(doc, "process.entity_id", json_object_new_string(hex));
	}
	pstart = proc_start_ticks(a->ppid);
	if (!pstart || pstart > start) {
		ecs_set(doc, "c2watch.parent_gone", json_object_new_boolean(1));
		return;
	}
	proc_exe(doc, "process.parent.executable", a->ppid);
	snprintf(path, sizeof(path), "/proc/%u/comm", a->ppid);
	comm = read_small(path, &len);
	if (comm) {
		comm[strcspn(comm, "\n")] = '\0';
		ecs_set(doc, "process.parent.name", json_object_new_string(comm));
		free(comm);
	}
}

static void proc_exe(json_object *doc, const char *key, uint32_t pid)
{
	char path[64], target[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	ecs_set(doc, key, json_object_new_string(target));
}

/*
 * The hashes of the executables alerted on lately, by file identity: an
 * executable cannot be written while it runs (ETXTBSY, where the
 * filesystem enforces it), and any change moves its ctime. A hash is kept
 * only when the file did not change while it was read and its ctime is
 * older than a coarse timestamp's tick (2 s: a rewrite within the tick
 * would keep the ctime), as git treats "racy" index entries. Spares
 * reading a whole binary for every alert of a beaconing program.
 */
#define HASH_CACHE 64

static struct hash_memo {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec ctime;
	char hex[2 * 32 + 1];
} hash_memo[HASH_CACHE];

static struct hash_memo *hash_slot(const struct stat *st, bool *hit)
{
	struct hash_memo *m = &hash_memo[(st->st_ino ^ st->st_dev) %
					 HASH_CACHE];

	*hit = m->hex[0] && m->dev == st->st_dev && m->ino == st->st_ino &&
	       m->size == st->st_size &&
	       m->ctime.tv_sec == st->st_ctim.tv_sec &&
	       m->ctime.tv_nsec == st->st_ctim.tv_nsec;
	return m;
}

static void proc_hash(json_object *doc, uint32_t pid)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	char path[64], hex[2 * EVP_MAX_MD_SIZE + 1];
	struct hash_memo *m = NULL;
	unsigned int mdlen = 0;
	struct stat st, after;
	off_t total = 0;
	EVP_MD_CTX *c;
	bool hit;
	ssize_t n;
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!fstat(fd, &st)) {
		m = hash_slot(&st, &hit);
		if (hit) {
			close(fd);
			ecs_set(doc, "process.hash.sha256",
				json_object_new_string(m->hex));
			return;
		}
	}
	c = EVP_MD_CTX_new();
	ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	while (ok && (n = read(fd, buf, sizeof(buf))) > 0) {
		ok = EVP_DigestUpdate(c, buf, (size_t)n);
		total += n;
	}
	ok = ok && n == 0 && EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (m && (fstat(fd, &after) || total != st.st_size ||
		  after.st_size != st.st_size ||
		  after.st_ctim.tv_sec != st.st_ctim.tv_sec ||
		  after.st_ctim.tv_nsec != st.st_ctim.tv_nsec ||
		  after.st_mtim.tv_sec != st.st_mtim.tv_sec ||
		  after.st_mtim.tv_nsec != st.st_mtim.tv_nsec ||
		  time(NULL) - st.st_ctim.tv_sec < 2))
		m = NULL;	/* changing, or changed too recently to trust */
	close(fd);
	if (!ok)
		return;
	for (unsigned int i = 0; i < mdlen; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	if (m && mdlen == 32) {
		m->dev = st.st_dev;
		m->ino = st.st_ino;
		m->size = st.st_size;
		m->ctime = st.st_ctim;
		memcpy(m->hex, hex, sizeof(m->hex));
	}
	ecs_set(doc, "process.hash.sha256", json_object_new_string(hex));
}

/*
 * /proc shows the task as it is now, not as it was at the connect: it may
 * have exec'd another program since (a dropper starting its payload, a
 * shell exec'ing its last command) or exited and had its PID reused.
 * Enriching from it then would put another program's hash and arguments
 * on the alert. So enrich only while the connecting thread still has the
 * alert's comm and, where the path can be compared from here (a plain path,
 * same mount namespace, no chroot), the process still runs the alert's
 * executable. Returns "ok", "task_changed" or "task_gone", reported as
 * c2watch.enrichment.
 */
#define PATH_NOT_COMPARABLE (C2W_AF_EXE_DELETED | C2W_AF_EXE_MEMFD |	\
	C2W_AF_PATH_TRUNCATED | C2W_AF_MNTNS | C2W_AF_CHROOT |		\
	C2W_AF_CHROOT_UNRESOLVED | C2W_AF_PATH_UNRESOLVED |		\
	C2W_AF_EXE_REPLACED)

static const char *proc_state(const struct c2w_alert *a, const char *comm,
			      const char *exe, uint32_t exe_len)
{
	char path[64], target[C2W_PATH_MAX], *cur;
	size_t len;
	ssize_t n;
	bool same;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", a->tgid, a->pid);
	cur = read_small(path, &len);
	if (!cur)
		return "task_gone";
	if (len && cur[len - 1] == '\n')
		cur[len - 1] = '\0';
	same = !strcmp(cur, comm);
	free(cur);
	if (!same)
		return "task_changed";
	if (a->flags & PATH_NOT_COMPARABLE)
		return "ok";
	snprintf(path, sizeof(path), "/proc/%u/exe", a->tgid);
	n = readlink(path, target, sizeof(target));
	if (n < 0)
		return "task_gone";
	if ((uint32_t)n != exe_len || memcmp(target, exe, exe_len))
		return "task_changed";
	return "ok";
}

/* A 64-hex-digit id in the cgroup path: docker, containerd, podman, k8s. */
static void proc_container(json_object *doc, uint32_t pid)
{
	char path[64], *buf, *p;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	buf = read_small(path, &len);
	if (!buf)
		return;
	for (p = buf; *p; p++) {
		size_t n = 0;

		while (isxdigit((unsigned char)p[n]) && !isupper((unsigned char)p[n]))
			n++;
		if (n == 64 && (p == buf || !isxdigit((unsigned char)p[-1]))) {
			p[64] = '\0';
			ecs_set(doc, "container.id", json_object_new_string(p));
			break;
		}
		if (n)
			p += n - 1;
	}
	free(buf);
}

static void put_ip(json_object *doc, const char *key, int family,
		   const uint8_t *addr)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, sizeof(buf));
	ecs_set(doc, key, json_object_new_string(buf));
}

static const struct c2w_rule_info *find_rule(const struct ecs_ctx *ctx,
					     const char *id)
{
	int i = c2w_rs_find(ctx->rules, id, strlen(id));

	return i < 0 ? NULL : c2w_rs_rule(ctx->rules, i);
}

static const int sev_scale[] = { 21, 47, 73, 99 };

/* Without the rule file: the threat ids the module carries. */
static void kernel_threat(json_object *doc, const struct c2w_rule_info *r)
{
	json_object *arr;

	if (!r || !(r->tactic_len || r->technique_len))
		return;
	ecs_set(doc, "threat.framework", json_object_new_string("MITRE ATT&CK"));
	if (r->tactic_len) {
		arr = json_object_new_array();
		json_object_array_add(arr, json_object_new_string_len(
			r->tactic, (int)r->tactic_len));
		ecs_set(doc, "threat.tactic.id", arr);
	}
	if (r->technique_len) {
		arr = json_object_new_array();
		json_object_array_add(arr, json_object_new_string_len(
			r->technique, (int)r->technique_len));
		ecs_set(doc, "threat.technique.id", arr);
	}
}

/* The threat fields, each an array of keywords (ECS flattens entries). */
enum {
	TAC_ID, TAC_NAME, TAC_REF, TEC_ID, TEC_NAME, TEC_REF, SUB_ID,
	SUB_NAME, SUB_REF, THREAT_FIELDS
};

static const char *const threat_field[THREAT_FIELDS] = {
	"threat.tactic.id", "threat.tactic.name", "threat.tactic.reference",
	"threat.technique.id", "threat.technique.name",
	"threat.technique.reference", "threat.technique.subtechnique.id",
	"threat.technique.subtechnique.name",
	"threat.technique.subtechnique.reference",
};

/* Append @o's id, name and reference to the arrays from @first on. */
static void add_idnameref(json_object **arr, int first, json_object *o)
{
	static const char *const keys[] = { "id", "name", "reference" };
	json_object *v;

	for (int k = 0; k < 3; k++)
		if (json_object_object_get_ex(o, keys[k], &v) &&
		    json_object_is_type(v, json_type_string))
			json_object_array_add(arr[first + k],
					      json_object_get(v));
}

/* An array of objects under @key of @o, or NULL. */
static json_object *obj_array(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/*
 * Every threat entry of the rule (Elastic's "threat" array), flattened the
 * ECS way: arrays of tactic, technique and subtechnique ids, names and
 * references.
 */
static void rule_threat(json_object *doc, json_object *threat)
{
	json_object *arr[THREAT_FIELDS], *fw;
	bool framework = false;

	for (int f = 0; f < THREAT_FIELDS; f++)
		arr[f] = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(threat); i++) {
		json_object *t = json_object_array_get_idx(threat, i), *tac;
		json_object *techs = obj_array(t, "technique");

		if (!framework && json_object_object_get_ex(t, "framework", &fw) &&
		    json_object_is_type(fw, json_type_string)) {
			ecs_set(doc, "threat.framework", json_object_get(fw));
			framework = true;
		}
		if (json_object_object_get_ex(t, "tactic", &tac))
			add_idnameref(arr, TAC_ID, tac);
		for (size_t j = 0; techs && j < json_object_array_length(techs);
		     j++) {
			json_object *te = json_object_array_get_idx(techs, j);
			json_object *subs = obj_array(te, "subtechnique");

			add_idnameref(arr, TEC_ID, te);
			for (size_t k = 0;
			     subs && k < json_object_array_length(subs); k++)
				add_idnameref(arr, SUB_ID,
					      json_object_array_get_idx(subs, k));
		}
	}
	for (int f = 0; f < THREAT_FIELDS; f++) {
		if (json_object_array_length(arr[f]))
			ecs_set(doc, threat_field[f], arr[f]);
		else
			json_object_put(arr[f]);
	}
}

/* A string array of the rule (author, references) as a keyword array. */
static void str_array(json_object *doc, const char *dotted, json_object *m,
		      const char *key)
{
	json_object *v, *arr;

	if (!json_object_object_get_ex(m, key, &v) ||
	    !json_object_is_type(v, json_type_array) ||
	    !json_object_array_length(v))
		return;
	arr = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (json_object_is_type(e, json_type_string))
			json_object_array_add(arr, json_object_get(e));
	}
	ecs_set(doc, dotted, arr);
}

/*
 * rule.* from the rule as loaded from its file: what Elastic's external
 * alerts show. False when the rule file is not known (rules read back from
 * a locked module): the module's ids are all there is.
 */
static bool rule_metadata(json_object *doc, const struct ecs_ctx *ctx,
			  const char *rule_id)
{
	json_object *m, *v;

	if (!ctx->rule_meta ||
	    !json_object_object_get_ex(ctx->rule_meta, rule_id, &m))
		return false;
	if (json_object_object_get_ex(m, "version", &v) &&
	    (json_object_is_type(v, json_type_int) ||
	     json_object_is_type(v, json_type_string)))
		ecs_set(doc, "rule.version",
			json_object_new_string(json_object_get_string(v)));
	if (json_object_object_get_ex(m, "description", &v) &&
	    json_object_is_type(v, json_type_string))
		ecs_set(doc, "rule.description", json_object_get(v));
	if (json_object_object_get_ex(m, "license", &v) &&
	    json_object_is_type(v, json_type_string))
		ecs_set(doc, "rule.license", json_object_get(v));
	if (json_object_object_get_ex(m, "rule_id", &v))
		ecs_set(doc, "rule.uuid", json_object_get(v));
	str_array(doc, "rule.author", m, "author");
	str_array(doc, "rule.reference", m, "references");
	if (json_object_object_get_ex(m, "threat", &v) &&
	    json_object_is_type(v, json_type_array))
		rule_threat(doc, v);
	return true;
}

static const struct { uint32_t bit; const char *name; } flag_names[] = {
	{ C2W_AF_EXE_DELETED, "c2watch.exe_deleted" },
	{ C2W_AF_EXE_MEMFD, "c2watch.exe_memfd" },
	{ C2W_AF_PATH_TRUNCATED, "c2watch.path_truncated" },
	{ C2W_AF_COMM_DIFFERS, "c2watch.comm_differs" },
	{ C2W_AF_MNTNS, "c2watch.mount_namespace_differs" },
	{ C2W_AF_CHROOT, "c2watch.chroot" },
	{ C2W_AF_CHROOT_UNRESOLVED, "c2watch.chroot_unresolved" },
	{ C2W_AF_SEEN_FULL, "c2watch.seen_set_full" },
	{ C2W_AF_PATH_UNRESOLVED, "c2watch.path_unresolved" },
	{ C2W_AF_EXE_REPLACED, "c2watch.exe_replaced" },
};

/* One line that names the match: what ran, who, where it went, why. */
static void message(json_object *doc, const struct c2w_alert *a,
		    const char *exe, uint32_t exe_len,
		    const struct c2w_rule_info *r, bool alert)
{
	char dst[INET6_ADDRSTRLEN], user[64], *m = NULL;
	json_object *v;

	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->daddr, dst,
		  sizeof(dst));
	if (json_object_object_get_ex(doc, "user", &v) &&
	    json_object_object_get_ex(v, "name", &v))
		snprintf(user, sizeof(user), "%s", json_object_get_string(v));
	else
		snprintf(user, sizeof(user), "uid %u", a->uid);
	if (asprintf(&m, "%.*s (pid %u, %s) connected to %s port %u/%s%s: %.*s",
		     (int)exe_len, exe, a->tgid, user, dst,
		     a->dport, a->transport == C2W_TRANSPORT_UDP ? "udp" : "tcp",
		     alert ? " for the first time" : "",
		     r ? (int)r->name_len : 4, r ? r->name : "rule") < 0)
		return;
	ecs_set(doc, "message", json_object_new_string(m));
	free(m);
}

/*
 * A rule's match: the alert (@alert), or the plain event a SIEM's own
 * new-terms rule reads (c2watchd --events), without severity, risk or the
 * rule's description and threat.
 */
static json_object *match_doc(const struct c2w_alert *a,
			      const struct ecs_ctx *ctx, bool alert)
{
	json_object *doc = base(alert ? "alert" : "event",
				"connection_attempted", ctx);
	char rule_id[C2W_RULE_ID_MAX + 1], comm[C2W_COMM_LEN + 1];
	const struct c2w_rule_info *r;
	const char *name, *slash;
	struct passwd pw, *pwp;
	char pwbuf[1024];
	uint32_t exe_len;
	const char *exe;

	snprintf(rule_id, sizeof(rule_id), "%.*s", C2W_RULE_ID_MAX,
		 (const char *)a->rule_id);
	snprintf(comm, sizeof(comm), "%.*s", C2W_COMM_LEN,
		 (const char *)a->comm);
	/* A path that does not fit its record: the alert still goes out. */
	exe = c2w_alert_exe(a, &exe_len);
	if (!exe) {
		exe = "";
		exe_len = 0;
	}

	timestamp(doc, a->hdr.time_ns);
	ecs_set(doc, "event.category", jstr_arr("network", NULL));
	ecs_set(doc, "event.type", jstr_arr("connection", "start"));
	ecs_set(doc, "event.sequence", json_object_new_int64((int64_t)a->hdr.seq));
	ecs_set(doc, "rule.id", json_object_new_string(rule_id));
	r = find_rule(ctx, rule_id);
	if (r && r->name_len)
		ecs_set(doc, "rule.name",
		     json_object_new_string_len(r->name, (int)r->name_len));
	if (r && (r->flags & C2W_RULE_LOCAL_VARIANT))
		ecs_set(doc, "c2watch.rule.variant", json_object_new_string("local"));
	ecs_set(doc, "rule.ruleset", json_object_new_string("c2watch"));
	if (alert) {
		/*
		 * Elastic's external-alert promotion reads event.severity on
		 * its 21/47/73/99 scale (low, medium, high, critical).
		 */
		ecs_set(doc, "event.severity", json_object_new_int(
			sev_scale[a->severity <= C2W_SEV_MAX ? a->severity : 0]));
		ecs_set(doc, "event.risk_score",
			json_object_new_int(a->risk_score));
		ecs_set(doc, "c2watch.rule.severity", json_object_new_string(
			rules_severity_name(a->severity)));
		if (!rule_metadata(doc, ctx, rule_id))
			kernel_threat(doc, r);
	}

	ecs_set(doc, "process.pid", json_object_new_int64(a->tgid));
	ecs_set(doc, "process.thread.id", json_object_new_int64(a->pid));
	ecs_set(doc, "process.executable", json_object_new_string_len(
		exe, (int)exe_len));
	{
		uint32_t ns_len;
		const char *ns = c2w_alert_ns_exe(a, &ns_len);

		/* The task's own mount namespace names it otherwise. */
		if (ns)
			ecs_set(doc, "c2watch.process.executable_in_namespace",
				json_object_new_string_len(ns, (int)ns_len));
	}
	slash = memrchr(exe, '/', exe_len);
	name = slash ? slash + 1 : exe;
	ecs_set(doc, "process.name", json_object_new_string_len(name,
		(int)(exe_len - (uint32_t)(name - exe))));
	ecs_set(doc, "process.parent.pid", json_object_new_int64(a->ppid));
	{
		char uid[16];

		snprintf(uid, sizeof(uid), "%u", a->uid);
		ecs_set(doc, "user.id", json_object_new_string(uid));
		snprintf(uid, sizeof(uid), "%u", a->euid);
		ecs_set(doc, "user.effective.id", json_object_new_string(uid));
		snprintf(uid, sizeof(uid), "%u", a->gid);
		ecs_set(doc, "group.id", json_object_new_string(uid));
	}
	if (!getpwuid_r(a->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) && pwp)
		ecs_set(doc, "user.name", json_object_new_string(pw.pw_name));
	{
		struct group gr, *grp;

		if (!getgrgid_r(a->gid, &gr, pwbuf, sizeof(pwbuf), &grp) &&
		    grp)
			ecs_set(doc, "group.name",
				json_object_new_string(gr.gr_name));
	}

	if (a->saddr[0] || memcmp(a->saddr, a->saddr + 1, 15))
		put_ip(doc, "source.ip", a->family, a->saddr);
	if (a->sport)
		ecs_set(doc, "source.port", json_object_new_int(a->sport));
	put_ip(doc, "destination.ip", a->family, a->daddr);
	ecs_set(doc, "destination.port", json_object_new_int(a->dport));
	ecs_set(doc, "network.transport", json_object_new_string(
		a->transport == C2W_TRANSPORT_UDP ? "udp" : "tcp"));
	ecs_set(doc, "network.type", json_object_new_string(
		a->family == 4 ? "ipv4" : "ipv6"));
	ecs_set(doc, "network.direction", json_object_new_string("egress"));
	message(doc, a, exe, exe_len, r, alert);

	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		ecs_set(doc, flag_names[i].name,
		     json_object_new_boolean(!!(a->flags & flag_names[i].bit)));
	ecs_set(doc, "c2watch.comm", json_object_new_string(comm));
	ecs_set(doc, "c2watch.connect_ret", json_object_new_int(a->connect_ret));
	ecs_set(doc, "c2watch.netns_inode", json_object_new_int64(a->netns_ino));
	ecs_set(doc, "c2watch.mntns_inode", json_object_new_int64(a->mntns_ino));
	ecs_set(doc, "c2watch.cgroup_id",
	     json_object_new_int64((int64_t)a->cgroup_id));

	if (ctx->enrich) {
		const char *st = proc_state(a, comm, exe, exe_len);

		ecs_set(doc, "c2watch.enrichment", json_object_new_string(st));
		if (!strcmp(st, "ok")) {
			proc_args(doc, a->tgid);
			proc_identity(doc, ctx, a);
			proc_hash(doc, a->tgid);
			proc_container(doc, a->tgid);
		}
	}
	return doc;
}

static const char *const config_names[] = {
	[C2W_CFG_RULES_LOADED] = "rules_loaded",
	[C2W_CFG_ENABLED] = "enabled",
	[C2W_CFG_SEEN_CLEARED] = "seen_cleared",
	[C2W_CFG_SEEN_IMPORTED] = "seen_imported",
	[C2W_CFG_SEEN_FORGOTTEN] = "seen_forgotten",
	[C2W_CFG_CAPACITY] = "seen_capacity",
	[C2W_CFG_WINDOW] = "default_window",
	[C2W_CFG_LOCKED] = "locked",
	[C2W_CFG_DETACH] = "reader_detach",
	[C2W_CFG_SEEN_MAX_BYTES] = "seen_max_bytes",
	[C2W_CFG_READER_ATTACHED] = "reader_attached",
	[C2W_CFG_READER_DETACHED] = "reader_detached",
	[C2W_CFG_PROBES_DISARMED] = "probes_disarmed",
	[C2W_CFG_EVENTS_INTERVAL] = "events_interval",
};

/* A record that counts something lost: how many now, how many in all. */
static json_object *count_doc(const struct c2w_record_hdr *h,
			      const struct ecs_ctx *ctx, const char *action,
			      const char *prefix, uint64_t count,
			      uint64_t total, const char *message)
{
	json_object *doc = base("event", action, ctx);
	char key[64];

	timestamp(doc, h->time_ns);
	ecs_set(doc, "event.category", jstr_arr("host", NULL));
	ecs_set(doc, "event.sequence", json_object_new_int64((int64_t)h->seq));
	snprintf(key, sizeof(key), "%s.count", prefix);
	ecs_set(doc, key, json_object_new_int64((int64_t)count));
	snprintf(key, sizeof(key), "%s.total", prefix);
	ecs_set(doc, key, json_object_new_int64((int64_t)total));
	ecs_set(doc, "message", json_object_new_string(message));
	return doc;
}

/*
 * A user past its share of the seen set or the queue: how much of its
 * activity went unrecorded, and one executable among it.
 */
static json_object *uid_over_doc(const struct c2w_uid_over *o,
				 const struct ecs_ctx *ctx)
{
	uint64_t end = (uint64_t)o->sample_off + o->sample_len;
	json_object *doc;
	char uid[16], *m = NULL, pwbuf[1024];
	const char *sample = "";
	struct passwd pw, *pwp;

	if (o->hdr.size < sizeof(*o))
		return NULL;
	/* A malformed offset is not followed: no sample. */
	if (o->sample_off >= sizeof(*o) && end < o->hdr.size)
		sample = (const char *)o + o->sample_off;
	doc = base("event", "matches_over_uid_share", ctx);
	timestamp(doc, o->hdr.time_ns);
	ecs_set(doc, "event.category", jstr_arr("host", NULL));
	ecs_set(doc, "event.sequence", json_object_new_int64((int64_t)o->hdr.seq));
	snprintf(uid, sizeof(uid), "%u", o->uid);
	ecs_set(doc, "user.id", json_object_new_string(uid));
	if (!getpwuid_r(o->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) && pwp)
		ecs_set(doc, "user.name", json_object_new_string(pw.pw_name));
	if (*sample)
		ecs_set(doc, "process.executable",
			json_object_new_string_len(sample, (int)o->sample_len));
	ecs_set(doc, "c2watch.uid_share.seen",
		json_object_new_int64((int64_t)o->seen));
	ecs_set(doc, "c2watch.uid_share.queued",
		json_object_new_int64((int64_t)o->queued));
	ecs_set(doc, "c2watch.uid_share.total",
		json_object_new_int64((int64_t)o->total));
	if (asprintf(&m, "uid %u went past its share of c2watch: %llu new executable(s) not recorded, %llu alert(s) not queued%s%s",
		     o->uid, (unsigned long long)o->seen,
		     (unsigned long long)o->queued, *sample ? ", e.g. " : "",
		     sample) >= 0) {
		ecs_set(doc, "message", json_object_new_string(m));
		free(m);
	}
	return doc;
}

/**
 * ecs_record() - the ECS document for one record
 * @h: the record (validated size)
 * @ctx: context
 *
 * Return: a new json-c object, or NULL for an unknown record type.
 */
json_object *ecs_record(const struct c2w_record_hdr *h,
			const struct ecs_ctx *ctx)
{
	json_object *doc;

	switch (h->type) {
	case C2W_REC_ALERT:
		if (h->size < C2W_ALERT_SIZE_VER0)
			return NULL;
		return match_doc((const struct c2w_alert *)h, ctx,
				 !(((const struct c2w_alert *)h)->flags &
				   C2W_AF_EVENT));
	case C2W_REC_LOST: {
		const struct c2w_lost *l = (const void *)h;

		if (h->size < sizeof(*l))
			return NULL;
		return count_doc(h, ctx, "records_lost", "c2watch.lost",
				 l->lost, l->total,
				 "c2watch alert queue was full: alerts were lost");
	}
	case C2W_REC_MISSED: {
		const struct c2w_missed *m = (const void *)h;

		if (h->size < sizeof(*m))
			return NULL;
		return count_doc(h, ctx, "attempts_not_evaluated",
				 "c2watch.missed", m->missed, m->total,
				 "c2watch could not follow every outbound connection attempt: some were not evaluated");
	}
	case C2W_REC_UID_OVER:
		return uid_over_doc((const void *)h, ctx);
	case C2W_REC_CONFIG: {
		const struct c2w_config_rec *c = (const void *)h;
		const char *what = "unknown";

		if (h->size < sizeof(*c))
			return NULL;
		if (c->what < sizeof(config_names) / sizeof(config_names[0]) &&
		    config_names[c->what])
			what = config_names[c->what];
		doc = base("event", "configuration_changed", ctx);
		timestamp(doc, h->time_ns);
		ecs_set(doc, "event.category", jstr_arr("configuration", NULL));
		ecs_set(doc, "event.type", jstr_arr("change", NULL));
		ecs_set(doc, "event.sequence", json_object_new_int64((int64_t)h->seq));
		ecs_set(doc, "c2watch.config.what", json_object_new_string(what));
		ecs_set(doc, "c2watch.config.value", json_object_new_int64((int64_t)c->value));
		ecs_set(doc, "process.pid", json_object_new_int64(c->pid));
		{
			char uid[16], comm[C2W_COMM_LEN + 1];
			const char *exe;
			uint32_t len;

			snprintf(uid, sizeof(uid), "%u", c->uid);
			ecs_set(doc, "user.id", json_object_new_string(uid));
			snprintf(comm, sizeof(comm), "%.*s", C2W_COMM_LEN,
				 (const char *)c->comm);
			ecs_set(doc, "c2watch.comm", json_object_new_string(comm));
			exe = c2w_config_exe(c, &len);
			if (exe && len)
				ecs_set(doc, "process.executable",
					json_object_new_string_len(exe,
								   (int)len));
		}
		return doc;
	}
	default:
		return NULL;
	}
}

/**
 * ecs_match_event() - the plain event of an alert's match (c2watchd --events)
 * @a: the alert record (validated size)
 * @ctx: context
 *
 * Return: a new json-c object: event.kind "event", no severity.
 */
json_object *ecs_match_event(const struct c2w_alert *a,
			     const struct ecs_ctx *ctx)
{
	return match_doc(a, ctx, false);
}

const char *ecs_to_string(json_object *doc)
{
	return json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
}
