/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the c2watch selftests: loading rules, running the
 * beacon from a chosen place, collecting records from the device.
 */
#ifndef C2W_TEST_H
#define C2W_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/c2watch.h>

#include "kql.h"
#include "record.h"
#include "rsbuild.h"
#include "rulefile.h"

/*
 * TCG, and the debug kernel under it, are slow: every test gets minutes,
 * not the harness's 30 seconds. (This header comes after the harness.)
 */
#ifdef TEST_TIMEOUT_DEFAULT
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 600
#endif

/*
 * SKIP() from a FIXTURE_SETUP: this harness still runs the test body after
 * a setup that only skipped, so leave through the harness's own jump, as a
 * failed ASSERT does, and the test ends as skipped without running.
 */
#define SKIP_FIXTURE(reason) SKIP(longjmp(_metadata->env, 1), reason)

/*
 * No /dev/c2watch: a skip where the module may simply not be there, but a
 * failure in the VM jobs, which export C2W_MODULE_LOADED=1 right after
 * loading it (tests/vm/selftests.sh): there a missing device means the
 * module failed to create it, and must not pass as a skip.
 */
static inline bool module_expected(void)
{
	const char *s = getenv("C2W_MODULE_LOADED");

	return s && !strcmp(s, "1");
}

#define NEED_DEVICE_OR(skip_stmt) do {					\
	if (access(C2W_DEV, F_OK)) {					\
		ASSERT_FALSE(module_expected())				\
			TH_LOG("module loaded, but no " C2W_DEV);	\
		skip_stmt;						\
	}								\
} while (0)
/* In a FIXTURE_SETUP. */
#define NEED_DEVICE_FIXTURE() \
	NEED_DEVICE_OR(SKIP_FIXTURE("c2watch module not loaded"))
/* In a test body. */
#define NEED_DEVICE() NEED_DEVICE_OR(SKIP(return, "c2watch module not loaded"))

#define C2W_DEV "/dev/" C2W_DEVICE_NAME
#define BEACON "/c2w/c2w-beacon"
/* The rule as installed: Elastic's, without its source.ip exclusion. */
#define SEED_RULES "/c2w/rules/suspicious_network_unknown_executable.ndjson"
/* The rule exactly as Elastic publishes it. */
#define UPSTREAM_RULES \
	"/c2w/rules/upstream/suspicious_network_unknown_executable.ndjson"
#define SEED_ID "53617418-17b4-4e9c-8a2c-8deb8086ca4b"

/* The VM's own addresses (tests/vm/net.sh): a private host. */
#define HOST4 "10.0.2.15"
#define HOST6 "fd00:c2::15"

/*
 * Waits scale with C2W_TIME_SCALE (the debug kernel runs several times
 * slower than the cloud kernel under TCG).
 */
static inline int time_scale(void)
{
	const char *s = getenv("C2W_TIME_SCALE");

	return s && atoi(s) > 0 ? atoi(s) : 1;
}

static inline void sleep_ms(int ms)
{
	usleep((useconds_t)ms * 1000 * time_scale());
}

static inline int set_rules_blob(int fd, const void *blob, uint32_t size)
{
	struct c2w_buf b;

	memset(&b, 0, sizeof(b));
	b.ptr = (uintptr_t)blob;
	b.len = size;
	return ioctl(fd, C2W_IOC_SET_RULES, &b);
}

static inline int load_rules_file(int fd, const char *path)
{
	char *paths[] = { (char *)path }, err[512];
	uint32_t size;
	void *blob;
	int ret;

	if (rules_load(paths, 1, &blob, &size, err, sizeof(err))) {
		fprintf(stderr, "# %s\n", err);
		return -1;
	}
	ret = set_rules_blob(fd, blob, size);
	free(blob);
	return ret;
}

static inline int load_seed(int fd)
{
	return load_rules_file(fd, SEED_RULES);
}

/*
 * @n rules from KQL, @ids[i] with @queries[i] and new terms @new_terms[i]
 * (0: a plain query rule); window 0 = module default.
 */
static inline int load_kqls_each(int fd, int n, const char *const *ids,
				 const char *const *queries,
				 const uint32_t *new_terms, uint32_t window)
{
	struct rsb_rule_desc d = { .window_secs = window };
	struct rsb *b = rsb_new();
	struct kql_error ke;
	uint32_t size;
	void *blob;
	int ret;

	for (int i = 0; i < n; i++) {
		d.id = d.name = ids[i];
		d.new_terms = new_terms[i];
		d.flags = new_terms[i] ? C2W_RULE_NEW_TERMS : 0;
		if (rsb_rule(b, &d) || kql_compile(b, queries[i], &ke)) {
			fprintf(stderr, "# kql: %d:%d %s\n", ke.line, ke.col,
				ke.msg);
			rsb_free(b);
			return -1;
		}
	}
	ret = rsb_finish(b, &blob, &size);
	rsb_free(b);
	if (ret)
		return -1;
	ret = set_rules_blob(fd, blob, size);
	free(blob);
	return ret;
}

/* load_kqls_each() with the same new terms @new_terms for every rule. */
static inline int load_kqls(int fd, int n, const char *const *ids,
			    const char *const *queries, uint32_t new_terms,
			    uint32_t window)
{
	uint32_t nts[n];

	for (int i = 0; i < n; i++)
		nts[i] = new_terms;
	return load_kqls_each(fd, n, ids, queries, nts, window);
}

/* One rule from KQL; window 0 = module default; nt 0 = plain query rule. */
static inline int load_kql(int fd, const char *id, const char *query,
			   uint32_t new_terms, uint32_t window)
{
	return load_kqls(fd, 1, &id, &query, new_terms, window);
}

/* Read module parameter @name into @buf (newline kept); 0 or the errno. */
static inline int get_param(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "/sys/module/c2watch/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return errno;
	if (!fgets(buf, (int)len, f))
		ret = EIO;
	fclose(f);
	return ret;
}

/* Write @val to module parameter @name; 0 or the errno. */
static inline int set_param(const char *name, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/module/c2watch/parameters/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = errno;
	close(fd);
	return ret;
}

/* One seen-set record of the seed rule for @key, in a room of its own. */
struct seen_one {
	struct c2w_seen_rec r;
	char data[128];
};

/* @b: a C2W_IOC_SEEN_IMPORT argument pointing at @rec. */
static inline void seen_one(struct seen_one *rec, struct c2w_buf *b,
			    const char *key)
{
	memset(rec, 0, sizeof(*rec));
	rec->r.size = sizeof(*rec);
	rec->r.rule_id_len = strlen(SEED_ID);
	rec->r.key_len = strlen(key);
	memcpy(rec->r.data, SEED_ID, rec->r.rule_id_len);
	memcpy(rec->r.data + rec->r.rule_id_len, key, rec->r.key_len);
	rec->r.first_seen = rec->r.last_seen = time(NULL);
	rec->r.hits = 1;
	memset(b, 0, sizeof(*b));
	b->ptr = (uintptr_t)rec;
	b->len = sizeof(*rec);
}

/* Copy a file (the beacon) to @dst, creating directories on the way. */
static inline int install(const char *src, const char *dst)
{
	char buf[65536], dir[4096];
	int in, out;
	ssize_t n;

	snprintf(dir, sizeof(dir), "%s", dst);
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	unlink(dst);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	close(in);
	close(out);
	return n < 0 ? -1 : 0;
}

/* Run @path with @args (NULL-terminated, argv[0] first); exit status. */
static inline int run(const char *path, char *const args[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		execv(path, args);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * Run a command, capturing stdout (and stderr when @err) into a malloc'd
 * string. Returns the exit status, -1 on failure.
 */
static inline int run_capture(char *const args[], char **out, bool err)
{
	int p[2], st;
	size_t len = 0;
	char *buf = NULL;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(p[1], 1);
		if (err)
			dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execv(args[0], args);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		char chunk[4096];
		ssize_t n = read(p[0], chunk, sizeof(chunk));

		if (n <= 0)
			break;
		buf = realloc(buf, len + n + 1);
		memcpy(buf + len, chunk, n);
		len += n;
	}
	close(p[0]);
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	*out = buf;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* @argv run as uid and gid 65534 (nobody); its exit status. */
static inline int run_as_nobody(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(3);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

#define CTL "/c2w/c2watchctl"

/* The beacon installed at @where, connecting once with @mode. */
static inline int beacon_at(const char *where, const char *mode,
			    const char *addr, const char *port)
{
	char *args[] = { (char *)where, "-m", (char *)mode, (char *)addr,
			 (char *)port, NULL };

	if (install(BEACON, where))
		return -1;
	return run(where, args);
}

struct rec_list {
	unsigned char *buf;
	size_t len;
	int n, alerts, lost, config, missed;
	uint64_t lost_count, missed_count;
};

/*
 * Read every record available within @ms milliseconds of quiet. The fd must
 * be the reader's, opened O_NONBLOCK.
 */
static inline int collect(int fd, struct rec_list *rl, int ms)
{
	unsigned char chunk[65536];

	memset(rl, 0, sizeof(*rl));
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, ms * time_scale()) <= 0)
			break;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0)	/* asked to detach: end of stream */
			break;
		rl->buf = realloc(rl->buf, rl->len + n);
		memcpy(rl->buf + rl->len, chunk, n);
		rl->len += n;
	}
	for (size_t off = 0; off < rl->len;) {
		struct c2w_record_hdr *h = (void *)(rl->buf + off);

		if (h->size < sizeof(*h) || off + h->size > rl->len)
			return -1;
		rl->n++;
		if (h->type == C2W_REC_ALERT)
			rl->alerts++;
		else if (h->type == C2W_REC_LOST) {
			rl->lost++;
			rl->lost_count += ((struct c2w_lost *)h)->lost;
		} else if (h->type == C2W_REC_CONFIG) {
			rl->config++;
		} else if (h->type == C2W_REC_MISSED) {
			rl->missed++;
			rl->missed_count += ((struct c2w_missed *)h)->missed;
		}
		off += h->size;
	}
	return 0;
}

/* The @i-th alert record of @rl, or NULL. */
static inline struct c2w_alert *nth_alert(struct rec_list *rl, int i)
{
	for (size_t off = 0; off < rl->len;) {
		struct c2w_record_hdr *h = (void *)(rl->buf + off);

		if (h->type == C2W_REC_ALERT && !i--)
			return (struct c2w_alert *)h;
		off += h->size;
	}
	return NULL;
}

/* Reload the module with @params ("" for defaults). No fd may be open. */
static inline int reload_module(const char *params)
{
	const char *ko = getenv("C2W_KO");
	int fd, ret;

	if (!ko)
		return -1;
	if (syscall(SYS_delete_module, "c2watch", O_NONBLOCK) &&
	    errno != ENOENT)
		return -1;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = (int)syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret;
}

static inline ino_t ns_inode(const char *which)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", which);
	return stat(path, &st) ? 0 : st.st_ino;
}

static inline void rl_free(struct rec_list *rl)
{
	free(rl->buf);
	memset(rl, 0, sizeof(*rl));
}

/* C2W_IOC_SEEN_FORGET of @key: the entries removed, or -1 (errno set). */
static inline int64_t seen_forget(int fd, const char *key)
{
	struct c2w_seen_forget f;

	memset(&f, 0, sizeof(f));
	f.key = (uintptr_t)key;
	f.key_len = strlen(key);
	if (ioctl(fd, C2W_IOC_SEEN_FORGET, &f))
		return -1;
	return f.removed;
}

/*
 * Keep this process, and what it starts from now on, on the CPU it runs
 * on (the module keeps some state per CPU: exact counts need one);
 * @all gets the mask to give back with unpin().
 */
static inline int pin_to_this_cpu(cpu_set_t *all)
{
	cpu_set_t one;

	if (sched_getaffinity(0, sizeof(*all), all))
		return -1;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	return sched_setaffinity(0, sizeof(one), &one);
}

static inline int unpin(const cpu_set_t *all)
{
	return sched_setaffinity(0, sizeof(*all), all);
}

/* The alerts collected from @fd from now on (a failed read fails the test). */
static inline int alerts_after(struct __test_metadata *_metadata, int fd,
			       struct rec_list *rl)
{
	rl_free(rl);
	ASSERT_EQ(0, collect(fd, rl, 200));
	return rl->alerts;
}

#endif
