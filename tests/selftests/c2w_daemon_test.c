// SPDX-License-Identifier: GPL-2.0
/*
 * c2watchd end to end in the VM: NDJSON alerts, suppression, state kept
 * across restarts, SIGHUP log rotation, module reload, queue overflow and a
 * corrupt state file.
 */
#include <arpa/inet.h>
#include <signal.h>

#include <json-c/json.h>

#include "kselftest_harness.h"
#include "c2w_test.h"

#define DAEMON "/c2w/c2watchd"
#define OUT "/tmp/d/alerts.ndjson"
#define STATE "/tmp/d/seen.ndjson"

static int wait_docs(const char *path, const char *kind, const char *action,
		     int want);
static int count_started(void);

static pid_t start_daemon(const char *extra)
{
	int started = count_started();
	pid_t pid;

	mkdir("/tmp/d", 0700);
	pid = fork();
	if (!pid) {
		int null = open("/tmp/d/daemon.log", O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(null, 2);
		execv(DAEMON, (char *[]){ DAEMON, "-f", "-r", "/c2w/rules",
			      "-o", OUT, "-s", STATE, "-i", "1",
			      (char *)extra, NULL });
		_exit(127);
	}
	/* Attached: rules loaded, state imported, then this document. */
	wait_docs(OUT, "event", "daemon_started", started + 1);
	return pid;
}

static int stop_daemon(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int count_docs(const char *path, const char *kind, const char *action,
		      json_object **last);

static int count_started(void)
{
	return count_docs(OUT, "event", "daemon_started", NULL);
}

/* Documents in @path with event.kind == @kind (NULL: all); the last one. */
static int count_docs(const char *path, const char *kind, const char *action,
		      json_object **last)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	if (last)
		*last = NULL;
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line), *ev, *v;

		if (!o)
			continue;
		if (json_object_object_get_ex(o, "event", &ev) &&
		    (!kind || (json_object_object_get_ex(ev, "kind", &v) &&
			       !strcmp(json_object_get_string(v), kind))) &&
		    (!action || (json_object_object_get_ex(ev, "action", &v) &&
				 !strcmp(json_object_get_string(v), action)))) {
			n++;
			if (last) {
				json_object_put(*last);
				*last = o;
				continue;
			}
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return n;
}

static const char *jget(json_object *o, const char *path)
{
	char buf[128], *save, *tok;
	json_object *v = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(v, tok, &v))
			return NULL;
	return json_object_get_string(v);
}

/*
 * The configuration changes in @path in order, one letter each:
 * R rules loaded, I seen set imported, C seen set cleared, . anything else.
 */
static void config_sequence(const char *path, char *seq, size_t len)
{
	char *line = NULL;
	size_t cap = 0, n = 0;
	FILE *f = fopen(path, "r");

	seq[0] = '\0';
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0 && n + 1 < len) {
		if (!strstr(line, "\"action\":\"configuration_changed\""))
			continue;
		seq[n++] = strstr(line, "\"what\":\"rules_loaded\"") ? 'R' :
			   strstr(line, "\"what\":\"seen_imported\"") ? 'I' :
			   strstr(line, "\"what\":\"seen_cleared\"") ? 'C' : '.';
		seq[n] = '\0';
	}
	free(line);
	fclose(f);
}

/* Connection documents in @path of @kind whose process.executable is @exe. */
static int count_kind_exe(const char *path, const char *kind, const char *exe)
{
	char *line = NULL, want[4200], k[64];
	size_t cap = 0;
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return 0;
	snprintf(want, sizeof(want), "\"executable\":\"%s\"", exe);
	snprintf(k, sizeof(k), "\"kind\":\"%s\"", kind);
	while (getline(&line, &cap, f) > 0)
		n += strstr(line, k) && strstr(line, want) &&
		     strstr(line, "\"action\":\"connection_attempted\"");
	free(line);
	fclose(f);
	return n;
}

/* Alert documents in @path whose process.executable is @exe. */
static int count_exe(const char *path, const char *exe)
{
	return count_kind_exe(path, "alert", exe);
}

static int wait_docs(const char *path, const char *kind, const char *action,
		     int want)
{
	int n = 0;

	for (int i = 0; i < 50 * time_scale(); i++) {
		n = count_docs(path, kind, action, NULL);
		if (n >= want)
			break;
		sleep_ms(100);
	}
	return n;
}

FIXTURE(d) {
	pid_t pid;
};

FIXTURE_SETUP(d)
{
	int fd;

	self->pid = 0;
	NEED_DEVICE_FIXTURE();
	fd = open(C2W_DEV, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SEEN_CLEAR));
	close(fd);
	unlink(OUT);
	unlink(STATE);
	self->pid = start_daemon(NULL);
	ASSERT_LT(0, self->pid);
}

FIXTURE_TEARDOWN(d)
{
	if (self->pid > 0)
		stop_daemon(self->pid);
}

TEST_F(d, one_alert_line_then_suppressed_and_restart_restores)
{
	json_object *a;
	int fd;

	ASSERT_EQ(0, beacon_at("/tmp/.hidden/implant", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	count_docs(OUT, "alert", NULL, &a);
	ASSERT_NE(NULL, a);
	EXPECT_STREQ("/tmp/.hidden/implant", jget(a, "process.executable"));
	EXPECT_STREQ("implant", jget(a, "process.name"));
	EXPECT_NE(NULL, jget(a, "process.pid"));
	EXPECT_STREQ("1.1.1.1", jget(a, "destination.ip"));
	EXPECT_STREQ("443", jget(a, "destination.port"));
	EXPECT_STREQ(HOST4, jget(a, "source.ip"));
	EXPECT_STREQ(SEED_ID, jget(a, "rule.id"));
	/* The upstream rule's identity, and the variant that produced it. */
	EXPECT_STREQ("local", jget(a, "c2watch.rule.variant"));
	EXPECT_STREQ("Suspicious Network Activity to the Internet by Previously Unknown Executable",
		     jget(a, "rule.name"));
	EXPECT_STREQ("tcp", jget(a, "network.transport"));
	EXPECT_STREQ("egress", jget(a, "network.direction"));
	EXPECT_STREQ("linux", jget(a, "host.os.type"));
	EXPECT_STREQ("root", jget(a, "user.name"));
	EXPECT_STREQ("false", jget(a, "c2watch.exe_deleted"));
	EXPECT_NE(NULL, jget(a, "@timestamp"));
	EXPECT_NE(NULL, jget(a, "threat.tactic.id"));
	json_object_put(a);

	ASSERT_EQ(0, beacon_at("/tmp/.hidden/implant", "tcp", "1.1.1.1", "443"));
	/*
	 * Settled, not timed: a new executable's alert comes after whatever
	 * the repeat produced (the stream is in order), so once it is there
	 * a second implant alert would be too.
	 */
	ASSERT_EQ(0, beacon_at("/tmp/.hidden/marker1", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(2, wait_docs(OUT, "alert", NULL, 2));
	EXPECT_EQ(1, count_exe(OUT, "/tmp/.hidden/implant"));

	/* Restart with the kernel's memory wiped, as after a reboot. */
	ASSERT_EQ(0, stop_daemon(self->pid));
	self->pid = 0;
	ASSERT_EQ(0, access(STATE, F_OK));
	fd = open(C2W_DEV, O_WRONLY);
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SEEN_CLEAR));
	close(fd);
	self->pid = start_daemon(NULL);
	ASSERT_EQ(0, beacon_at("/tmp/.hidden/implant", "tcp", "1.1.1.1", "443"));
	/* A new one still alerts, and marks the point where all is written. */
	ASSERT_EQ(0, beacon_at("/tmp/.hidden/other", "tcp", "1.1.1.1", "443"));
	EXPECT_EQ(3, wait_docs(OUT, "alert", NULL, 3));
	EXPECT_EQ(1, count_exe(OUT, "/tmp/.hidden/other"));
	/* The restored seen set kept the implant quiet. */
	EXPECT_EQ(1, count_exe(OUT, "/tmp/.hidden/implant"));
	/*
	 * In that order: rules loaded quiet, the seen set imported, rules
	 * loaded live. Nothing known could alert in between.
	 */
	{
		char seq[64];

		config_sequence(OUT, seq, sizeof(seq));
		EXPECT_NE(NULL, strstr(seq, "RIR")) TH_LOG("%s", seq);
	}
}

/*
 * A rule that cannot match on this host is loaded, and said so: on stderr
 * (the journal) and as a document of its own, naming rule and clause.
 */
TEST_F(d, warns_about_a_rule_that_cannot_match_here)
{
	json_object *w;
	pid_t pid;

	EXPECT_EQ(0, count_docs(OUT, "event", "rule_cannot_match", NULL));
	ASSERT_EQ(0, stop_daemon(self->pid));
	self->pid = 0;
	pid = fork();
	if (!pid) {
		int log = open("/tmp/d/upstream.log",
			       O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(log, 2);
		execv(DAEMON, (char *[]){ DAEMON, "-f", "-r", UPSTREAM_RULES,
			      "-o", OUT, "-s", STATE, NULL });
		_exit(127);
	}
	self->pid = pid;
	ASSERT_EQ(1, wait_docs(OUT, "event", "rule_cannot_match", 1));
	count_docs(OUT, "event", "rule_cannot_match", &w);
	ASSERT_NE(NULL, w);
	EXPECT_STREQ(SEED_ID, jget(w, "rule.id"));
	EXPECT_STREQ("warning", jget(w, "log.level"));
	EXPECT_NE(NULL, strstr(jget(w, "message"),
			       "cannot match any IPv4 connection"));
	EXPECT_NE(NULL, strstr(jget(w, "message"), "not source.ip : ("));
	EXPECT_NE(NULL, strstr(jget(w, "message"), "(" HOST4 ")"));
	json_object_put(w);
	ASSERT_EQ(0, stop_daemon(self->pid));
	self->pid = 0;
	{
		char *log = NULL;

		ASSERT_EQ(0, run_capture((char *[]){ "/bin/cat",
				"/tmp/d/upstream.log", NULL }, &log, false));
		EXPECT_NE(NULL, strstr(log, "cannot match any IPv4 connection"));
		free(log);
	}
	/* The installed variant: no warning. */
	self->pid = start_daemon(NULL);
	sleep_ms(300);
	EXPECT_EQ(1, count_docs(OUT, "event", "rule_cannot_match", NULL));
}

TEST_F(d, sighup_reopens_the_output)
{
	ASSERT_EQ(0, beacon_at("/tmp/rot1", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	ASSERT_EQ(0, rename(OUT, OUT ".1"));
	kill(self->pid, SIGHUP);
	sleep_ms(300);
	ASSERT_EQ(0, beacon_at("/tmp/rot2", "tcp", "1.1.1.1", "443"));
	EXPECT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	EXPECT_EQ(1, count_docs(OUT ".1", "alert", NULL, NULL));
	unlink(OUT ".1");
}

TEST_F(d, module_reload_is_survived)
{
	json_object *gap;

	ASSERT_EQ(0, beacon_at("/tmp/before", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	ASSERT_EQ(0, run(CTL, (char *[]){ CTL, "unload", NULL }));
	EXPECT_EQ(-1, access(C2W_DEV, F_OK));
	sleep_ms(1000);
	ASSERT_EQ(0, reload_module(""));
	/* The daemon reattaches, reloads rules and the seen set. */
	ASSERT_EQ(1, wait_docs(OUT, "event", "monitoring_gap", 1));
	count_docs(OUT, "event", "monitoring_gap", &gap);
	EXPECT_NE(NULL, jget(gap, "c2watch.gap.seconds"));
	json_object_put(gap);
	ASSERT_EQ(0, beacon_at("/tmp/before", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(0, beacon_at("/tmp/after", "tcp", "1.1.1.1", "443"));
	EXPECT_EQ(2, wait_docs(OUT, "alert", NULL, 2));
	sleep_ms(300);
	EXPECT_EQ(2, count_docs(OUT, "alert", NULL, NULL));
}

/* IPv6 in the documents: the host's own ULA source, the destination. */
TEST_F(d, ipv6_addresses_in_documents)
{
	json_object *a;

	ASSERT_EQ(0, beacon_at("/tmp/.v6/x", "tcp", "2606:4700:4700::1111",
			       "443"));
	ASSERT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	count_docs(OUT, "alert", NULL, &a);
	ASSERT_NE(NULL, a);
	EXPECT_STREQ(HOST6, jget(a, "source.ip"));
	EXPECT_STREQ("2606:4700:4700::1111", jget(a, "destination.ip"));
	EXPECT_STREQ("ipv6", jget(a, "network.type"));
	json_object_put(a);
}

/* Run c2watchd with @argv (after the program name), stderr to @log. */
static pid_t spawn_daemon(const char *log, char *const argv[])
{
	pid_t pid = fork();

	if (!pid) {
		char *args[16] = { DAEMON };
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		for (int i = 0; argv[i] && i < 14; i++)
			args[i + 1] = argv[i];
		dup2(fd, 2);
		execv(DAEMON, args);
		_exit(127);
	}
	return pid;
}

static char *slurp(const char *path)
{
	char *out = NULL;

	run_capture((char *[]){ "/bin/cat", (char *)path, NULL }, &out, false);
	return out;
}

/*
 * Daemons started by the test itself, on a freshly loaded module (no
 * records of earlier tests queued); the teardown kills what a failed
 * assertion left running, so that one failure does not hold the device
 * for every test after it.
 */
FIXTURE(own) {
	pid_t pid;
};

FIXTURE_SETUP(own)
{
	self->pid = 0;
	NEED_DEVICE_FIXTURE();
	ASSERT_EQ(0, reload_module(""));
	mkdir("/tmp/d", 0700);
	unlink(OUT);
	unlink(STATE);
}

FIXTURE_TEARDOWN(own)
{
	if (self->pid > 0) {
		kill(self->pid, SIGKILL);
		waitpid(self->pid, NULL, 0);
	}
}

static uint32_t module_events_interval(void)
{
	struct c2w_config c = { 0 };
	int fd = open(C2W_DEV, O_WRONLY);

	if (fd < 0 || ioctl(fd, C2W_IOC_GET_CONFIG, &c))
		c.events_interval = UINT32_MAX;
	if (fd >= 0)
		close(fd);
	return c.events_interval;
}

/*
 * --events (fleet-wide new terms in Kibana): the alert, an event beside it,
 * and a known executable's later matches as events, at most one per
 * interval. The module is told; without --events it is told to stop.
 */
TEST_F(own, events_mode_writes_every_match_once_per_interval)
{
	const char *exe = "/tmp/.ev/implant";

	self->pid = spawn_daemon("/tmp/d/ev.log", (char *[]){ "-f", "-r",
			"/c2w/rules", "-o", OUT, "-s", STATE,
			"--events-interval", "3s", NULL });
	ASSERT_EQ(1, wait_docs(OUT, "event", "daemon_started", 1));
	EXPECT_EQ(3, module_events_interval());
	ASSERT_EQ(0, beacon_at(exe, "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(0, beacon_at(exe, "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	sleep(4);
	ASSERT_EQ(0, beacon_at(exe, "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(0, beacon_at(exe, "tcp", "1.1.1.1", "443"));
	/* The alert's twin and the one report past the interval. */
	ASSERT_EQ(2, wait_docs(OUT, "event", "connection_attempted", 2));
	/* A marker: whatever the repeats produced is written before it. */
	ASSERT_EQ(0, beacon_at("/tmp/.ev/marker", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(2, wait_docs(OUT, "alert", NULL, 2));
	/* Its twin is written just after the alert. */
	for (int i = 0; i < 50 * time_scale() &&
	     !count_kind_exe(OUT, "event", "/tmp/.ev/marker"); i++)
		sleep_ms(100);
	EXPECT_EQ(1, count_kind_exe(OUT, "event", "/tmp/.ev/marker"));
	EXPECT_EQ(1, count_kind_exe(OUT, "alert", exe));
	EXPECT_EQ(2, count_kind_exe(OUT, "event", exe));
	kill(self->pid, SIGTERM);
	waitpid(self->pid, NULL, 0);

	/* Without --events: the module stops reporting, no twins. */
	self->pid = spawn_daemon("/tmp/d/ev2.log", (char *[]){ "-f", "-r",
			"/c2w/rules", "-o", OUT, "-s", STATE, NULL });
	ASSERT_EQ(2, wait_docs(OUT, "event", "daemon_started", 2));
	EXPECT_EQ(0, module_events_interval());
	sleep(4);
	ASSERT_EQ(0, beacon_at(exe, "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(0, beacon_at("/tmp/.ev/marker2", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(3, wait_docs(OUT, "alert", NULL, 3));
	EXPECT_EQ(2, count_kind_exe(OUT, "event", exe));
	EXPECT_EQ(0, count_kind_exe(OUT, "event", "/tmp/.ev/marker2"));
	/* A bad interval is a usage error. */
	EXPECT_EQ(2, run(DAEMON, (char *[]){ DAEMON, "--events-interval",
					     "soon", NULL }));
}

/* No rules directory at all: the built-in rule (the installed one) works. */
TEST_F(own, builtin_seed_rule_when_no_rules_directory)
{
	char *log;
	json_object *a;
	pid_t pid;

	pid = self->pid = spawn_daemon("/tmp/d/builtin.log", (char *[]){ "-f", "-r",
			   "/nonexistent/rules.d", "-o", OUT, "-s", STATE, NULL });
	ASSERT_EQ(1, wait_docs(OUT, "event", "daemon_started", 1));
	ASSERT_EQ(0, beacon_at("/tmp/.builtin/x", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	count_docs(OUT, "alert", NULL, &a);
	EXPECT_STREQ(SEED_ID, jget(a, "rule.id"));
	EXPECT_STREQ("local", jget(a, "c2watch.rule.variant"));
	json_object_put(a);
	EXPECT_EQ(0, stop_daemon(pid));
	self->pid = 0;
	log = slurp("/tmp/d/builtin.log");
	EXPECT_NE(NULL, strstr(log, "using the built-in seed rule"));
	free(log);
}

/*
 * A state file that cannot be read (here a directory in its place) is
 * never replaced: the daemon says so and does not save over it.
 */
TEST_F(own, unreadable_state_is_not_overwritten)
{
	char *log;
	pid_t pid;

	ASSERT_EQ(0, mkdir(STATE, 0700));
	pid = self->pid = spawn_daemon("/tmp/d/unreadable.log", (char *[]){ "-f", "-r",
			   "/c2w/rules", "-o", OUT, "-s", STATE, "-i", "1",
			   NULL });
	ASSERT_EQ(1, wait_docs(OUT, "event", "daemon_started", 1));
	ASSERT_EQ(0, beacon_at("/tmp/.unread/x", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	sleep_ms(2500);		/* two flush intervals */
	EXPECT_EQ(0, stop_daemon(pid));
	self->pid = 0;
	log = slurp("/tmp/d/unreadable.log");
	EXPECT_NE(NULL, strstr(log, "will not be overwritten"));
	EXPECT_TRUE(strstr(log, "saving state") == NULL);	/* never tried */
	free(log);
	EXPECT_EQ(0, rmdir(STATE));	/* still the empty directory */
}

/*
 * SIGKILL: nothing is saved at exit. A new key (an alert) is on disk within
 * a second, whatever --flush-interval says, so it survives a restart.
 */
TEST_F(own, sigkill_then_restart_keeps_new_keys)
{
	pid_t pid;
	int fd;

	/* The default flush interval, 60 s: only the new-key save can help. */
	pid = self->pid = spawn_daemon("/tmp/d/kill.log", (char *[]){ "-f", "-r",
			   "/c2w/rules", "-o", OUT, "-s", STATE, NULL });
	ASSERT_EQ(1, wait_docs(OUT, "event", "daemon_started", 1));
	ASSERT_EQ(0, beacon_at("/tmp/.kill/flushed", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	sleep_ms(2500);		/* a second for the save, and some room */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* As after a reboot: the kernel forgets, the state file remembers. */
	fd = open(C2W_DEV, O_WRONLY);
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SEEN_CLEAR));
	close(fd);
	pid = self->pid = spawn_daemon("/tmp/d/kill2.log", (char *[]){ "-f", "-r",
			   "/c2w/rules", "-o", OUT, "-s", STATE, NULL });
	ASSERT_EQ(2, wait_docs(OUT, "event", "daemon_started", 2));
	ASSERT_EQ(0, beacon_at("/tmp/.kill/flushed", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(0, beacon_at("/tmp/.kill/marker", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(2, wait_docs(OUT, "alert", NULL, 2));
	EXPECT_EQ(1, count_exe(OUT, "/tmp/.kill/flushed"));
	EXPECT_EQ(0, stop_daemon(pid));
	self->pid = 0;
}

/* Output that cannot be written: counted, said, and the daemon goes on. */
TEST_F(own, output_write_errors_are_counted)
{
	char *log;
	pid_t pid;

	pid = self->pid = spawn_daemon("/tmp/d/full.log", (char *[]){ "-f", "-r",
			   "/c2w/rules", "-o", "/dev/full", "-s", STATE, NULL });
	sleep_ms(1000);
	ASSERT_EQ(0, beacon_at("/tmp/.full/x", "tcp", "1.1.1.1", "443"));
	sleep_ms(1000);
	ASSERT_EQ(0, kill(pid, 0));	/* still running */
	EXPECT_EQ(0, stop_daemon(pid));
	self->pid = 0;
	log = slurp("/tmp/d/full.log");
	EXPECT_TRUE(strstr(log, " 0 write errors") == NULL) TH_LOG("%s", log);
	EXPECT_NE(NULL, strstr(log, "write errors")) TH_LOG("%s", log);
	free(log);
}

/* --syslog: one line per alert to syslog, beside the NDJSON. */
TEST_F(own, syslog_summary_per_alert)
{
	char *msgs = NULL;
	pid_t sl, pid;

	unlink("/tmp/d/messages");
	sl = fork();
	if (!sl) {
		execl("/bin/syslogd", "syslogd", "-n", "-O", "/tmp/d/messages",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 50 && access("/dev/log", F_OK); i++)
		sleep_ms(100);
	ASSERT_EQ(0, access("/dev/log", F_OK));
	pid = self->pid = spawn_daemon("/tmp/d/syslog.log", (char *[]){ "-f", "-l", "-r",
			   "/c2w/rules", "-o", OUT, "-s", STATE, NULL });
	ASSERT_EQ(1, wait_docs(OUT, "event", "daemon_started", 1));
	ASSERT_EQ(0, beacon_at("/tmp/.sys/x", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	for (int i = 0; i < 50; i++) {
		free(msgs);
		msgs = slurp("/tmp/d/messages");
		if (msgs && strstr(msgs, "/tmp/.sys/x"))
			break;
		sleep_ms(100);
	}
	EXPECT_NE(NULL, strstr(msgs, "alert: /tmp/.sys/x connected to 1.1.1.1 port 443 (rule " SEED_ID ")"))
		TH_LOG("%s", msgs);
	free(msgs);
	EXPECT_EQ(0, stop_daemon(pid));
	self->pid = 0;
	kill(sl, SIGTERM);
	waitpid(sl, NULL, 0);
}

/*
 * Every kind of document c2watchd writes, made on purpose in one output and
 * printed with an "ECSDOC " prefix: make check validates each field name
 * and value type against Elastic's own ECS table (tests/ecs/validate.js).
 * The kinds: daemon start, configuration changes, an alert and its event
 * (--events), a rule that cannot match here, a uid past its share, lost
 * records, a monitoring gap.
 */
TEST_F(own, every_document_kind_for_ecs_validation)
{
	char *args[] = { "/tmp/ecsflood", "-n", "600", "1.1.1.1", "80", NULL };
	char *out = NULL;
	pid_t pid;
	int fd;

	/* Two uids' shares (60% each) are more than the queue. */
	ASSERT_EQ(0, reload_module("queue_size=65536 uid_share=60"));
	pid = self->pid = spawn_daemon("/tmp/d/ecs.log", (char *[]){ "-f",
			   "-r", "/c2w/rules", "-o", OUT, "-s", STATE,
			   "--events", NULL });
	ASSERT_EQ(1, wait_docs(OUT, "event", "daemon_started", 1));
	/* An alert, over IPv4 and IPv6. */
	ASSERT_EQ(0, beacon_at("/tmp/.ecs/a", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(0, beacon_at("/tmp/.ecs/b", "udp", "2606:4700:4700::1111",
			       "53"));
	ASSERT_EQ(2, wait_docs(OUT, "alert", NULL, 2));
	/* A rule that cannot match here (a config change, too). */
	ASSERT_EQ(0, run(CTL, (char *[]){ CTL, "load", UPSTREAM_RULES, NULL }));
	ASSERT_EQ(1, wait_docs(OUT, "event", "rule_cannot_match", 1));
	/*
	 * The reader stalls under a flood of a plain rule: root's alerts go
	 * past its share (summarised), then nobody's fill the rest of the
	 * queue (lost records).
	 */
	fd = open(C2W_DEV, O_WRONLY);
	ASSERT_EQ(0, load_kql(fd, "flood", "process.executable:/tmp/ecsflood",
			      0, 0));
	close(fd);
	sleep_ms(300);
	kill(pid, SIGSTOP);
	ASSERT_EQ(0, install(BEACON, args[0]));
	ASSERT_EQ(0, run(args[0], args));
	sleep_ms(1500);		/* root's summary goes in first */
	ASSERT_EQ(0, run_as_nobody(args));
	kill(pid, SIGCONT);
	ASSERT_EQ(1, wait_docs(OUT, "event", "records_lost", 1));
	ASSERT_LE(1, wait_docs(OUT, "event", "matches_over_uid_share", 1));
	/* A monitoring gap: the module unloaded and back. */
	ASSERT_EQ(0, run(CTL, (char *[]){ CTL, "unload", NULL }));
	sleep_ms(500);
	ASSERT_EQ(0, reload_module(""));
	ASSERT_EQ(1, wait_docs(OUT, "event", "monitoring_gap", 1));
	EXPECT_EQ(0, stop_daemon(pid));
	self->pid = 0;
	ASSERT_EQ(0, run_capture((char *[]){ "/bin/sed", "s/^/ECSDOC /", OUT,
				 NULL }, &out, false));
	fputs(out, stdout);
	free(out);
}

TEST(queue_overflow_becomes_a_document)
{
	char *args[] = { "/tmp/flood2", "-n", "600", "1.1.1.1", "80", NULL };
	json_object *lost;
	pid_t pid;
	int fd;

	NEED_DEVICE();
	/* One uid fills the queue only without per-uid shares. */
	ASSERT_EQ(0, reload_module("queue_size=65536 uid_share=100"));
	unlink(OUT);
	unlink(STATE);
	pid = start_daemon(NULL);
	fd = open(C2W_DEV, O_WRONLY);
	/* Every match alerts: a plain query rule. */
	ASSERT_EQ(0, load_kql(fd, "flood", "process.executable:/tmp/flood2",
			      0, 0));
	close(fd);
	sleep_ms(300);
	kill(pid, SIGSTOP);	/* the reader stalls */
	ASSERT_EQ(0, install(BEACON, args[0]));
	ASSERT_EQ(0, run(args[0], args));
	kill(pid, SIGCONT);
	ASSERT_EQ(1, wait_docs(OUT, "event", "records_lost", 1));
	count_docs(OUT, "event", "records_lost", &lost);
	sleep_ms(300);
	EXPECT_EQ(600, count_docs(OUT, "alert", NULL, NULL) +
		  atoi(jget(lost, "c2watch.lost.count")));
	json_object_put(lost);
	EXPECT_EQ(0, stop_daemon(pid));
	ASSERT_EQ(0, reload_module(""));
}

TEST(corrupt_state_is_set_aside)
{
	char *log = NULL;
	pid_t pid;
	FILE *f;

	NEED_DEVICE();
	mkdir("/tmp/d", 0700);
	unlink(OUT);
	unlink("/tmp/d/daemon.log");
	f = fopen(STATE, "w");
	fputs("{\"rule_id\": \"x\", \"key\": 42\nthis is not json\n", f);
	fclose(f);
	pid = start_daemon(NULL);
	ASSERT_EQ(0, beacon_at("/tmp/fresh", "tcp", "1.1.1.1", "443"));
	EXPECT_EQ(1, wait_docs(OUT, "alert", NULL, 1));
	EXPECT_EQ(0, stop_daemon(pid));
	/* Warned, moved aside (not lost), and a fresh state written. */
	ASSERT_EQ(0, run_capture((char *[]){ "/bin/sh", "-c",
		"cat /tmp/d/daemon.log; ls /tmp/d", NULL }, &log, false));
	EXPECT_NE(NULL, strstr(log, "state file is corrupt"));
	EXPECT_NE(NULL, strstr(log, "seen.ndjson.corrupt-"));
	free(log);
	EXPECT_EQ(0, access(STATE, F_OK));
}

TEST(bad_rules_directory_is_an_error)
{
	char *out = NULL;
	FILE *f;

	mkdir("/tmp/badrules", 0700);
	f = fopen("/tmp/badrules/x.ndjson", "w");

	fputs("{\"rule_id\":\"x\",\"name\":\"x\",\"type\":\"eql\",\"query\":\"a\"}\n", f);
	fclose(f);
	EXPECT_EQ(2, run_capture((char *[]){ DAEMON, "-f", "-r", "/tmp/badrules",
				 "-o", "-", NULL }, &out, true));
	EXPECT_NE(NULL, strstr(out, "/tmp/badrules/x.ndjson:1: rule 'x': rule type 'eql' is not supported"));
	free(out);
	EXPECT_EQ(0, run_capture((char *[]){ DAEMON, "--help", NULL }, &out, false));
	EXPECT_NE(NULL, strstr(out, "--flush-interval"));
	free(out);
}

TEST_HARNESS_MAIN
