// SPDX-License-Identifier: GPL-2.0
/*
 * c2watchctl: configure and inspect the c2watch kernel module, and dry-run
 * Elastic rules offline with the very rule core the module runs.
 *
 * Subcommands live in one table; "c2watchctl help" and "--help" are
 * generated from it, and every subcommand answers --help. Talks to the
 * kernel only through include/uapi/linux/c2watch.h.
 * Exit codes: 0 ok, 1 operation failed, 2 usage or input error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/c2watch.h>

#include "device.h"
#include "ecs.h"
#include "evaluate.h"
#include "hostcheck.h"
#include "kqlout.h"
#include "nlclient.h"
#include "record.h"
#include "rulefile.h"
#include "rules.h"
#include "seenfile.h"

#define EXIT_FAIL	1
#define EXIT_USAGE	2

static const char *device_path = "/dev/" C2W_DEVICE_NAME;

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct subcommand *current;

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "c2watchctl %s: ", current->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: c2watchctl %s %s\n", current->name,
		current->args);
	return EXIT_USAGE;
}

/* "--help" as the first argument of a subcommand. */
static bool wants_help(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: c2watchctl %s %s\n%s\n", current->name,
		       current->args, current->help);
		return true;
	}
	return false;
}

/*
 * Configuration opens are write-only: the read side of the device belongs
 * to the daemon, and an ioctl needs no more.
 */
static int open_device(void)
{
	int fd = open(device_path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "c2watchctl: cannot open %s: %s%s\n",
			device_path, strerror(errno),
			errno == ENOENT ? " (is the c2watch module loaded?)" :
			errno == EACCES ? " (run as root)" : "");
	return fd;
}


/* A device call's failure, said once: what failed, why, and the likely fix. */
static int dev_error(int ret, const char *what)
{
	if (!ret)
		return 0;
	fprintf(stderr, "c2watchctl: %s: %s%s\n", what, strerror(-ret),
		ret == -EPERM ? " (needs CAP_SYS_ADMIN, or the configuration is locked)" : "");
	return -1;
}

static int xioctl(int fd, unsigned long cmd, void *arg, const char *what)
{
	return dev_error(ioctl(fd, cmd, arg) ? -errno : 0, what);
}

/* The loaded blob, or NULL (message printed). */
static void *get_rules(int fd, uint32_t *size)
{
	void *buf;

	if (dev_error(c2w_dev_get_rules(fd, &buf, size), "reading the rules"))
		return NULL;
	if (!buf)
		fprintf(stderr, "c2watchctl: no rules are loaded\n");
	return buf;
}

static int set_rules(int fd, void *blob, uint32_t size)
{
	return dev_error(c2w_dev_set_rules(fd, blob, size),
			 "loading the ruleset");
}

/* ---- load / show ---- */

static void warn_stderr(const char *rule_id, const char *rule_name,
			const char *msg, void *arg)
{
	(void)rule_id;
	(void)rule_name;
	(void)arg;
	fprintf(stderr, "c2watchctl: warning: %s\n", msg);
}

/* A rule that cannot match here is loaded anyway, but never silently. */
static void check_host(const void *blob, uint32_t size)
{
	int ret = host_check_here(blob, size, warn_stderr, NULL);

	if (ret < 0)
		fprintf(stderr, "c2watchctl: warning: cannot read this host's addresses (%s): rules not checked against them\n",
			strerror(-ret));
}

static int load_main(int argc, char **argv)
{
	char *def[] = { RULES_DEFAULT_DIR }, err[1024];
	struct c2w_ruleset *rs;
	uint32_t size;
	void *blob;
	int fd, ret;

	if (wants_help(argc, argv))
		return 0;
	if (rules_load(argc > 1 ? argv + 1 : def, argc > 1 ? argc - 1 : 1,
		       &blob, &size, err, sizeof(err))) {
		fprintf(stderr, "c2watchctl: %s\n", err);
		return EXIT_USAGE;
	}
	check_host(blob, size);
	fd = open_device();
	if (fd < 0) {
		free(blob);
		return EXIT_FAIL;
	}
	ret = set_rules(fd, blob, size);
	close(fd);
	if (!ret && !c2w_rs_compile(blob, size, &rs, NULL)) {
		printf("loaded %u rule(s):", c2w_rs_count(rs));
		for (uint32_t i = 0; i < c2w_rs_count(rs); i++)
			printf(" %.*s", (int)c2w_rs_rule(rs, i)->id_len,
			       c2w_rs_rule(rs, i)->id);
		printf("\n");
		c2w_rs_free(rs);
	}
	free(blob);
	return ret ? EXIT_FAIL : 0;
}

static void print_window(uint32_t secs)
{
	if (secs % 86400 == 0)
		printf("now-%ud", secs / 86400);
	else if (secs % 3600 == 0)
		printf("now-%uh", secs / 3600);
	else if (secs % 60 == 0)
		printf("now-%um", secs / 60);
	else
		printf("now-%us", secs);
}

static int show_main(int argc, char **argv)
{
	struct c2w_config c;
	struct c2w_ruleset *rs;
	uint32_t size;
	void *blob;
	int fd;

	if (wants_help(argc, argv))
		return 0;
	if (argc > 1)
		return usage_error("takes no arguments");
	fd = open_device();
	if (fd < 0)
		return EXIT_FAIL;
	blob = get_rules(fd, &size);
	if (!blob || xioctl(fd, C2W_IOC_GET_CONFIG, &c, "reading the configuration")) {
		close(fd);
		free(blob);
		return EXIT_FAIL;
	}
	close(fd);
	if (c2w_rs_compile(blob, size, &rs, NULL)) {
		fprintf(stderr, "c2watchctl: the module returned a ruleset this tool cannot read\n");
		free(blob);
		return EXIT_FAIL;
	}
	for (uint32_t i = 0; i < c2w_rs_count(rs); i++) {
		const struct c2w_rule_info *r = c2w_rs_rule(rs, i);
		char *q = kql_rule_query(blob, size, i);

		printf("# rule %.*s%s\n", (int)r->id_len, r->id,
		       r->flags & C2W_RULE_DISABLED ? " (disabled)" : "");
		printf("# name: %.*s\n", (int)r->name_len, r->name);
		printf("# type: %s", r->flags & C2W_RULE_NEW_TERMS ?
		       "new_terms" : "query");
		if (r->flags & C2W_RULE_NEW_TERMS) {
			printf(", window ");
			print_window(r->window_secs ?: c.default_window);
			printf("%s", r->window_secs ? "" : " (module default)");
		}
		printf(", severity %s, risk score %u\n",
		       rules_severity_name(r->severity),
		       r->risk_score);
		if (r->tactic_len || r->technique_len)
			printf("# threat: %.*s %.*s\n", (int)r->tactic_len,
			       r->tactic, (int)r->technique_len, r->technique);
		if (r->flags & C2W_RULE_LOCAL_VARIANT)
			printf("# variant: local (deviates from the published rule on purpose; its description says how)\n");
		printf("%s\n\n", q ? q : "(out of memory)");
		free(q);
	}
	fflush(stdout);
	check_host(blob, size);
	c2w_rs_free(rs);
	free(blob);
	return 0;
}

/* ---- status ---- */

static int status_main(int argc, char **argv)
{
	struct c2w_nl_status ns;
	struct c2w_config c;
	struct c2w_stats st;
	uint64_t hooks = 0;
	int ret;

	if (wants_help(argc, argv))
		return 0;
	if (argc > 1)
		return usage_error("takes no arguments");
	/* Generic netlink: any user may ask, the daemon is not disturbed. */
	ret = c2w_nl_get_status(&ns);
	if (ret) {
		fprintf(stderr, "c2watchctl: status over generic netlink: %s%s\n",
			strerror(-ret), ret == -ENOENT ?
			" (is the c2watch module loaded?)" : "");
		return EXIT_FAIL;
	}
	st = ns.stats;
	c = ns.config;
	for (int i = 0; i < C2W_HOOK_MAX; i++)
		hooks += st.hook_hits[i];
	for (int i = 0; i < C2W_SEND_MAX; i++)
		hooks += st.send_hits[i];
#define U(x) ((unsigned long long)(x))
	printf("module:           %s (uapi %u)\n", ns.module_version,
	       ns.uapi_version);
	printf("enabled:          %s%s\n", c.enabled ? "yes" : "no",
	       c.locked ? " (locked until reboot)" : "");
	printf("rules:            %u\n", st.rules);
	printf("default window:   ");
	print_window(c.default_window);
	printf("\nevents:           ");
	if (c.events_interval) {
		printf("every match, at most one per key per ");
		print_window(c.events_interval);
		printf(" (c2watchd --events)");
	} else {
		printf("off (new keys only)");
	}
	printf("\nattempts:         %llu (connect tcp4 %llu, tcp6 %llu, udp4 %llu, udp6 %llu; sendto udp4 %llu, udp6 %llu)\n",
	       U(hooks), U(st.hook_hits[C2W_HOOK_TCP4]),
	       U(st.hook_hits[C2W_HOOK_TCP6]), U(st.hook_hits[C2W_HOOK_UDP4]),
	       U(st.hook_hits[C2W_HOOK_UDP6]), U(st.send_hits[C2W_SEND_UDP4]),
	       U(st.send_hits[C2W_SEND_UDP6]));
	printf("  ignored:        %llu (kernel threads, disabled, duplicates, datagrams on connected sockets)\n",
	       U(st.ignored));
	printf("  already judged: %llu (datagrams to a destination this socket was evaluated for)\n",
	       U(st.send_memo));
	printf("  evaluated:      %llu\n", U(st.evaluated));
	printf("    excluded:     %llu (at the probe: %llu by the destination alone, %llu by the executable alone)\n",
	       U(st.excluded), U(st.excluded_dst), U(st.excluded_exe));
	printf("    suppressed:   %llu (matched, already seen; %llu reported as events, %llu repeats and %llu other known matches decided at the probe)\n",
	       U(st.suppressed), U(st.events), U(st.repeated),
	       U(st.known_at_probe));
	printf("    alerted:      %llu\n", U(st.alerted));
	printf("    dropped:      %llu (queue full, or the uid past its share: %llu)\n",
	       U(st.dropped_alerts), U(st.uid_over));
	printf("    failed:       %llu\n", U(st.failed));
	printf("  missed:         %llu (probe instances unavailable)\n",
	       U(st.missed));
	printf("probe cost:       %llu ns per evaluated attempt\n",
	       U(st.probe_ns_avg));
	printf("exe cache:        %u process images; hits %llu, misses %llu; looked up and found %llu\n",
	       st.exe_cache_live, U(st.exe_cache_hits),
	       U(st.exe_cache_misses), U(st.exe_cache_lookups));
	printf("queue:            %u bytes; records queued %llu, read %llu, dropped %llu\n",
	       c.queue_size, U(st.records_queued), U(st.records_read),
	       U(st.records_dropped));
	printf("netlink:          records sent %llu, failed %llu\n",
	       U(st.netlink_sent), U(st.netlink_failed));
	printf("seen set:         %llu of %llu entries, %llu bytes; full %llu times, %llu expired\n",
	       U(st.seen_entries), U(st.seen_capacity), U(st.seen_bytes),
	       U(st.seen_full), U(st.seen_expired));
	printf("                  %llu matches found through the exe cache, not looked up\n",
	       U(st.seen_hinted));
	printf("replaced exes:    %llu (prctl PR_SET_MM), %u followed now, %llu not followed (table full)\n",
	       U(st.exe_replaced), st.exe_replaced_live,
	       U(st.exe_replaced_untracked));
#undef U
	return 0;
}

/* ---- watch ---- */

static volatile sig_atomic_t watch_stop;

static void on_watch_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

struct watch_out {
	bool json;
	struct ecs_ctx ecs;
	struct c2w_ruleset *rs;
};

static void watch_record(const struct c2w_record_hdr *rec, void *arg)
{
	struct watch_out *o = arg;
	char when[32], dst[INET6_ADDRSTRLEN + 8];
	time_t t = (time_t)(rec->time_ns / 1000000000ULL);
	struct tm tm;

	if (o->json) {
		json_object *doc = ecs_record(rec, &o->ecs);

		if (doc) {
			printf("%s\n", ecs_to_string(doc));
			json_object_put(doc);
		}
		fflush(stdout);
		return;
	}
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	if (rec->type == C2W_REC_ALERT && rec->size >= C2W_ALERT_SIZE_VER0) {
		const struct c2w_alert *a = (const void *)rec;
		uint32_t exe_len = 0;
		const char *exe = c2w_alert_exe(a, &exe_len);

		inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->daddr, dst,
			  sizeof(dst));
		printf("%-19s %7u %6u  %-32.*s %s%s%s:%u/%s  %.8s\n", when,
		       a->tgid, a->uid, (int)exe_len, exe ? exe : "",
		       a->family == 6 ? "[" : "", dst, a->family == 6 ? "]" : "",
		       a->dport, a->transport == C2W_TRANSPORT_UDP ? "udp" : "tcp",
		       (const char *)a->rule_id);
	} else if (rec->type == C2W_REC_LOST) {
		printf("%-19s # the reader's queue lost %llu record(s)\n", when,
		       (unsigned long long)((const struct c2w_lost *)rec)->lost);
	} else if (rec->type == C2W_REC_UID_OVER &&
		   rec->size >= sizeof(struct c2w_uid_over)) {
		const struct c2w_uid_over *u = (const void *)rec;

		printf("%-19s # uid %u past its share: %llu new executable(s) not recorded, %llu alert(s) not queued\n",
		       when, u->uid, (unsigned long long)u->seen,
		       (unsigned long long)u->queued);
	} else if (rec->type == C2W_REC_MISSED) {
		printf("%-19s # %llu connection attempt(s) not evaluated (no probe instance)\n",
		       when, (unsigned long long)((const struct c2w_missed *)rec)->missed);
	} else if (rec->type == C2W_REC_CONFIG) {
		const struct c2w_config_rec *c = (const void *)rec;

		uint32_t exe_len = 0;
		const char *exe = c2w_config_exe(c, &exe_len);

		printf("%-19s # configuration change %u (value %llu) by pid %u %.*s\n",
		       when, c->what, (unsigned long long)c->value, c->pid,
		       (int)exe_len, exe ? exe : "");
	}
	fflush(stdout);
}

static void watch_ready(void *arg)
{
	(void)arg;
	fprintf(stderr, "c2watchctl: watching; Ctrl-C to stop\n");
}

static void watch_missed(unsigned long long n, void *arg)
{
	(void)arg;
	fprintf(stderr, "c2watchctl: missed %llu record(s): this watcher was too slow (socket buffer overflow)\n",
		n);
}

static int watch_main(int argc, char **argv)
{
	struct watch_out o = { .json = false };
	struct c2w_nl_watch w = {
		.record = watch_record, .missed = watch_missed, .arg = &o,
		.stop = &watch_stop,
	};
	struct sigaction sa;
	uint32_t size;
	void *blob;
	int fd, ret;

	if (wants_help(argc, argv))
		return 0;
	if (argc == 2 && !strcmp(argv[1], "--json"))
		o.json = true;
	else if (argc > 1)
		return usage_error("unknown argument '%s'", argv[1]);
	ecs_ctx_init(&o.ecs);
	/* Rule names for --json, when the device lets us read them. */
	fd = open(device_path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (!c2w_dev_get_rules(fd, &blob, &size) && blob &&
		    c2w_rs_compile(blob, size, &o.rs, NULL))
			o.rs = NULL;
		free(blob);
		close(fd);
	}
	o.ecs.rules = o.rs;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_watch_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (!o.json)
		printf("%-19s %7s %6s  %-32s %s  %s\n", "TIME", "PID", "UID",
		       "EXECUTABLE", "DESTINATION", "RULE");
	fflush(stdout);
	w.ready = watch_ready;
	ret = c2w_nl_watch_records(&w);
	c2w_rs_free(o.rs);
	ecs_ctx_free(&o.ecs);
	switch (ret) {
	case 0:
		return 0;
	case -ENODEV:
		fprintf(stderr, "c2watchctl: the c2watch module was unloaded; stopping\n");
		return 0;
	case -ENOENT:
		fprintf(stderr, "c2watchctl: the c2watch module is not loaded\n");
		return EXIT_FAIL;
	case -EPERM:
		fprintf(stderr, "c2watchctl: watching alerts needs CAP_SYS_ADMIN (alerts reveal other users' activity)\n");
		return EXIT_FAIL;
	case -EOPNOTSUPP:
		fprintf(stderr, "c2watchctl: this kernel cannot restrict a netlink group to CAP_SYS_ADMIN, so the module offers no alerts group; read alerts from c2watchd's output\n");
		return EXIT_FAIL;
	default:
		fprintf(stderr, "c2watchctl: watch: %s\n", strerror(-ret));
		return EXIT_FAIL;
	}
}

/* ---- seen ---- */

static int seen_list(int fd, FILE *out)
{
	uint32_t len, count;
	void *buf;
	int ret = c2w_dev_seen_export(fd, &buf, &len, &count);

	if (ret) {
		fprintf(stderr, "c2watchctl: exporting the seen set: %s\n",
			strerror(-ret));
		return EXIT_FAIL;
	}
	ret = seen_write_ndjson(out, buf, len);
	free(buf);
	return ret ? EXIT_FAIL : 0;
}

static int seen_main(int argc, char **argv)
{
	char err[1024];
	int fd, ret = 0;

	if (wants_help(argc, argv))
		return 0;
	if (argc < 2)
		return usage_error("missing action");
	if (!strcmp(argv[1], "import")) {
		uint32_t len, count, done;
		void *buf;

		if (argc != 3)
			return usage_error("import needs FILE");
		ret = seen_read_ndjson(argv[2], &buf, &len, &count, err,
				       sizeof(err));
		if (ret) {
			fprintf(stderr, "c2watchctl: %s\n", err);
			return EXIT_USAGE;
		}
		if (!len) {
			printf("nothing to import\n");
			return 0;
		}
		fd = open_device();
		if (fd < 0) {
			free(buf);
			return EXIT_FAIL;
		}
		ret = c2w_dev_seen_import(fd, buf, len, &done);
		close(fd);
		free(buf);
		if (ret) {
			fprintf(stderr, "c2watchctl: import: %s (%u of %u imported)\n",
				strerror(-ret), done, count);
			return EXIT_FAIL;
		}
		printf("imported %u entries\n", done);
		return 0;
	}
	fd = open_device();
	if (fd < 0)
		return EXIT_FAIL;
	if (!strcmp(argv[1], "list") && argc == 2) {
		ret = seen_list(fd, stdout);
	} else if (!strcmp(argv[1], "export") && argc == 3) {
		FILE *f = strcmp(argv[2], "-") ? fopen(argv[2], "w") : stdout;

		if (!f) {
			fprintf(stderr, "c2watchctl: %s: %s\n", argv[2],
				strerror(errno));
			ret = EXIT_FAIL;
		} else {
			ret = seen_list(fd, f);
			if (f != stdout && fclose(f))
				ret = EXIT_FAIL;
		}
	} else if (!strcmp(argv[1], "forget") && argc == 3) {
		struct c2w_seen_forget f;

		memset(&f, 0, sizeof(f));
		f.key = (uintptr_t)argv[2];
		f.key_len = (uint32_t)strlen(argv[2]);
		if (xioctl(fd, C2W_IOC_SEEN_FORGET, &f, "forget"))
			ret = EXIT_FAIL;
		else
			printf("forgot %u entries\n", f.removed);
	} else if (!strcmp(argv[1], "clear") && argc == 2) {
		if (xioctl(fd, C2W_IOC_SEEN_CLEAR, NULL, "clear"))
			ret = EXIT_FAIL;
	} else {
		ret = usage_error("unknown action or wrong arguments");
	}
	close(fd);
	return ret;
}

/* ---- switches ---- */

static int set_config(struct c2w_config *c)
{
	int fd = open_device(), ret;

	if (fd < 0)
		return EXIT_FAIL;
	ret = xioctl(fd, C2W_IOC_SET_CONFIG, c, "changing the configuration");
	close(fd);
	return ret ? EXIT_FAIL : 0;
}

static int enable_main(int argc, char **argv)
{
	struct c2w_config c;

	if (wants_help(argc, argv))
		return 0;
	if (argc > 1)
		return usage_error("takes no arguments");
	memset(&c, 0, sizeof(c));
	c.mask = C2W_CONFIG_ENABLED;
	c.enabled = !strcmp(argv[0], "enable");
	return set_config(&c);
}

static int capacity_main(int argc, char **argv)
{
	struct c2w_config c;
	char *end;
	long v;

	if (wants_help(argc, argv))
		return 0;
	if (argc != 2)
		return usage_error("needs N");
	v = strtol(argv[1], &end, 10);
	if (*end || v < 1 || v > C2W_MAX_SEEN_CAPACITY)
		return usage_error("N must be 1-%u", C2W_MAX_SEEN_CAPACITY);
	memset(&c, 0, sizeof(c));
	c.mask = C2W_CONFIG_SEEN_CAPACITY;
	c.seen_capacity = (uint32_t)v;
	return set_config(&c);
}

static int window_main(int argc, char **argv)
{
	struct c2w_ruleset *rs;
	uint32_t size, secs;
	void *blob;
	int fd, ret = EXIT_FAIL;

	if (wants_help(argc, argv))
		return 0;
	if (argc != 3)
		return usage_error("needs RULE and DURATION");
	if (rules_parse_window(argv[2], &secs))
		return usage_error("DURATION is like 20d, 12h, 30m, 90s or now-20d");
	if (!strcmp(argv[1], "default")) {
		struct c2w_config c;

		memset(&c, 0, sizeof(c));
		c.mask = C2W_CONFIG_DEFAULT_WINDOW;
		c.default_window = secs;
		return set_config(&c);
	}
	fd = open_device();
	if (fd < 0)
		return EXIT_FAIL;
	blob = get_rules(fd, &size);
	if (blob && !c2w_rs_compile(blob, size, &rs, NULL)) {
		struct c2w_rs_rule *rules = (void *)((struct c2w_rs_header *)blob + 1);

		int i = c2w_rs_find(rs, argv[1], strlen(argv[1]));

		if (i < 0) {
			fprintf(stderr, "c2watchctl: no loaded rule has id '%s'\n",
				argv[1]);
			ret = EXIT_USAGE;
		} else {
			/* Same ruleset, one window changed: reloaded atomically. */
			rules[i].window_secs = secs;
			ret = set_rules(fd, blob, size) ? EXIT_FAIL : 0;
		}
		c2w_rs_free(rs);
	}
	free(blob);
	close(fd);
	return ret;
}

static int lock_main(int argc, char **argv)
{
	int fd, ret;

	if (wants_help(argc, argv))
		return 0;
	if (argc != 2 || strcmp(argv[1], "--yes"))
		return usage_error("locking lasts until reboot: confirm with --yes");
	fd = open_device();
	if (fd < 0)
		return EXIT_FAIL;
	ret = xioctl(fd, C2W_IOC_LOCK, NULL, "lock");
	close(fd);
	if (!ret)
		printf("configuration locked and unload refused until reboot\n");
	return ret ? EXIT_FAIL : 0;
}

/*
 * Unload the module with the daemon running: ask the reader to let go, wait
 * for it, then remove the module. c2watchd reattaches when it is back.
 */
static int unload_main(int argc, char **argv)
{
	int fd, i;

	if (wants_help(argc, argv))
		return 0;
	if (argc > 1)
		return usage_error("takes no arguments");
	fd = open_device();
	if (fd < 0)
		return EXIT_FAIL;
	if (ioctl(fd, C2W_IOC_DETACH_READER) && errno != ENOENT) {
		xioctl(fd, C2W_IOC_DETACH_READER, NULL, "asking the reader to detach");
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	for (i = 0; i < 50; i++) {
		if (!syscall(SYS_delete_module, "c2watch", O_NONBLOCK)) {
			printf("c2watch unloaded\n");
			return 0;
		}
		if (errno != EWOULDBLOCK && errno != EAGAIN)
			break;
		usleep(100000);
	}
	fprintf(stderr, "c2watchctl: unloading c2watch: %s\n", strerror(errno));
	return EXIT_FAIL;
}

/* ---- eval ---- */

static int eval_main(int argc, char **argv)
{
	bool explain = false, fleet = false;
	char err[1024];
	uint32_t size;
	void *blob;
	FILE *in;
	int ret, a = 1;

	if (wants_help(argc, argv))
		return 0;
	for (; a < argc && argv[a][0] == '-' && argv[a][1]; a++) {
		if (!strcmp(argv[a], "--explain"))
			explain = true;
		else if (!strcmp(argv[a], "--fleet"))
			fleet = true;
		else
			return usage_error("unknown option");
	}
	if (argc - a != 2)
		return usage_error("needs RULEFILE and EVENTS");
	if (rules_load(argv + a, 1, &blob, &size, err, sizeof(err))) {
		fprintf(stderr, "c2watchctl: %s\n", err);
		return EXIT_USAGE;
	}
	in = strcmp(argv[a + 1], "-") ? fopen(argv[a + 1], "r") : stdin;
	if (!in) {
		fprintf(stderr, "c2watchctl: %s: %s\n", argv[a + 1],
			strerror(errno));
		free(blob);
		return EXIT_USAGE;
	}
	ret = eval_events(blob, size, in, argv[a + 1], stdout, explain, fleet,
			  err, sizeof(err));
	if (in != stdin)
		fclose(in);
	free(blob);
	if (ret) {
		fprintf(stderr, "c2watchctl: %s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- version, help ---- */

static int version_main(int argc, char **argv)
{
	struct c2w_version v;
	int fd;

	if (wants_help(argc, argv))
		return 0;
	printf("c2watchctl %s uapi %d\n", C2W_VERSION, C2W_UAPI_VERSION);
	fd = open_device();
	if (fd < 0)
		return EXIT_FAIL;
	memset(&v, 0, sizeof(v));
	if (xioctl(fd, C2W_IOC_GET_VERSION, &v, "C2W_IOC_GET_VERSION")) {
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	v.module_version[sizeof(v.module_version) - 1] = '\0';
	printf("module %s uapi %u\n", (char *)v.module_version,
	       v.uapi_version);
	if (v.uapi_version != C2W_UAPI_VERSION) {
		fprintf(stderr, "c2watchctl: module speaks uapi %u, this tool %d\n",
			v.uapi_version, C2W_UAPI_VERSION);
		return EXIT_FAIL;
	}
	return 0;
}

static int help_main(int argc, char **argv);

static const struct subcommand subcommands[] = {
	{ "load", load_main, "[FILE|DIR]...",
	  "Compile Elastic rules (Kibana NDJSON/JSON export, KQL) and load them\n"
	  "as one ruleset, atomically: on any error nothing changes.\n"
	  "Default: " RULES_DEFAULT_DIR },
	{ "show", show_main, "",
	  "Print the loaded rules back as KQL, with ids and windows." },
	{ "status", status_main, "",
	  "Settings and counters: attempts, alerts, drops, seen set, probe cost.\n"
	  "Over generic netlink: any user may ask." },
	{ "watch", watch_main, "[--json]",
	  "Print alerts live as they happen (generic netlink), beside the\n"
	  "daemon; --json prints the daemon's ECS documents. Needs CAP_SYS_ADMIN." },
	{ "seen", seen_main, "list | export FILE | import FILE | forget PATH | clear",
	  "The seen set, one JSON object per line: rule_id, key, first_seen,\n"
	  "last_seen (ISO-8601 UTC), hits. export - writes to stdout." },
	{ "enable", enable_main, "", "Evaluate connections." },
	{ "disable", enable_main, "", "Stop evaluating connections." },
	{ "window", window_main, "RULE|default DURATION",
	  "Set a rule's new-terms history window (20d, 12h, now-20d ...), or\n"
	  "the module default for rules without one." },
	{ "capacity", capacity_main, "N", "Set the seen-set capacity." },
	{ "lock", lock_main, "--yes",
	  "Refuse every configuration change and unload until reboot." },
	{ "unload", unload_main, "",
	  "Ask the reader (c2watchd) to let go and unload the module;\n"
	  "c2watchd reattaches when the module is loaded again." },
	{ "eval", eval_main, "[--explain] [--fleet] RULEFILE EVENTS.ndjson",
	  "Offline dry run with the module's own rule core: prints\n"
	  "{\"match\":..,\"alert\":..} per ECS event (flat or nested keys),\n"
	  "applying new-terms windows in @timestamp order. No module, no root.\n"
	  "New terms are per host (host.id, else host.name), as the module\n"
	  "keeps them; --fleet keeps them across hosts, as Kibana's new_terms\n"
	  "rule does. --explain names, per rule, the clause that failed." },
	{ "version", version_main, "", "Tool and module versions." },
	{ "help", help_main, "", "This text." },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: c2watchctl [--device PATH] <command> [args]\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < N_SUBCOMMANDS; i++) {
		const char *nl = strchr(subcommands[i].help, '\n');

		int n = nl ? (int)(nl - subcommands[i].help) :
			     (int)strlen(subcommands[i].help);

		if (strlen(subcommands[i].args) > 26)
			fprintf(f, "  %-9s %s\n  %-9s %-26s %.*s\n",
				subcommands[i].name, subcommands[i].args, "",
				"", n, subcommands[i].help);
		else
			fprintf(f, "  %-9s %-26s %.*s\n", subcommands[i].name,
				subcommands[i].args, n, subcommands[i].help);
	}
	fprintf(f, "\n'c2watchctl COMMAND --help' for more. Exit status: 0 ok,\n"
		   "1 operation failed, 2 usage or input error.\n");
}

static int help_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	argv++;
	argc--;
	while (argc > 0 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[0], "--device") && argc > 1) {
			device_path = argv[1];
			argv += 2;
			argc -= 2;
		} else {
			fprintf(stderr, "c2watchctl: unknown option '%s'\n",
				argv[0]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < N_SUBCOMMANDS; i++) {
		if (!strcmp(argv[0], subcommands[i].name)) {
			current = &subcommands[i];
			return subcommands[i].fn(argc, argv);
		}
	}
	fprintf(stderr, "c2watchctl: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return EXIT_USAGE;
}
