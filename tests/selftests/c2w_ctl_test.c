// SPDX-License-Identifier: GPL-2.0
/*
 * c2watchctl against the real module: load (all or nothing), show (KQL
 * that loads back), status, seen list/export/import/forget/clear, switches,
 * and exit codes.
 */
#include "kselftest_harness.h"
#include "c2w_test.h"

FIXTURE(ctl) {
	char *out;
};

FIXTURE_SETUP(ctl)
{
	self->out = NULL;
	NEED_DEVICE_FIXTURE();
	ASSERT_EQ(0, run_capture((char *[]){ CTL, "load", SEED_RULES, NULL },
				 &self->out, true));
	free(self->out);
	self->out = NULL;
}

FIXTURE_TEARDOWN(ctl)
{
	free(self->out);
}

static int ctl(struct __test_metadata *_metadata, char **out,
	       char *const args[])
{
	free(*out);
	*out = NULL;
	return run_capture(args, out, true);
}

#define CTL_RUN(...) ctl(_metadata, &self->out, (char *[]){ CTL, __VA_ARGS__, NULL })

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

TEST_F(ctl, load_is_all_or_nothing)
{
	write_file("/tmp/good.ndjson",
		   "{\"rule_id\":\"good\",\"name\":\"g\",\"type\":\"query\",\"query\":\"process.name:x\"}\n");
	write_file("/tmp/bad.ndjson",
		   "{\"rule_id\":\"bad\",\"name\":\"b\",\"type\":\"query\",\n\"query\":\"process.name:(x\"}\n");
	EXPECT_EQ(2, CTL_RUN("load", "/tmp/good.ndjson", "/tmp/bad.ndjson"));
	EXPECT_NE(NULL, strstr(self->out, "/tmp/bad.ndjson:1: rule 'bad': query line 1 column 14: unbalanced"));
	/* Still the seed rule. */
	ASSERT_EQ(0, CTL_RUN("show"));
	EXPECT_NE(NULL, strstr(self->out, SEED_ID));
	EXPECT_EQ(NULL, strstr(self->out, "good"));
	EXPECT_EQ(2, CTL_RUN("load", "/nonexistent"));
	EXPECT_EQ(2, CTL_RUN("load", "/tmp/bad.ndjson"));
	EXPECT_EQ(0, CTL_RUN("load", "/tmp/good.ndjson"));
	EXPECT_NE(NULL, strstr(self->out, "loaded 1 rule(s): good"));
}

/*
 * Elastic's rule as published excludes private sources: on this host
 * (10.0.2.15) load and show say that it cannot match IPv4, and why; the
 * installed variant draws no warning.
 */
TEST_F(ctl, warns_when_a_rule_cannot_match_here)
{
	static const char want[] =
		"c2watchctl: warning: rule " SEED_ID " (Suspicious Network Activity to the Internet by Previously Unknown Executable) cannot match any IPv4 connection on this host: its clause 6, not source.ip : (\"10.0.0.0/8\" or \"127.0.0.0/8\" or \"172.16.0.0/12\" or \"192.168.0.0/16\"), excludes every IPv4 address the host connects from (" HOST4 ")";

	EXPECT_EQ(0, CTL_RUN("load", UPSTREAM_RULES));
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "loaded 1 rule(s)"));
	/* Its IPv6 address is not excluded: no IPv6 warning. */
	EXPECT_EQ(NULL, strstr(self->out, "IPv6"));
	EXPECT_EQ(0, CTL_RUN("show"));
	EXPECT_NE(NULL, strstr(self->out, want));
	EXPECT_EQ(0, CTL_RUN("load", SEED_RULES));
	EXPECT_EQ(NULL, strstr(self->out, "warning"));
}

TEST_F(ctl, show_prints_kql_that_loads_back)
{
	char *q, *end;
	FILE *f;

	ASSERT_EQ(0, CTL_RUN("show"));
	EXPECT_NE(NULL, strstr(self->out, "window now-20d"));
	EXPECT_NE(NULL, strstr(self->out, "process.executable : (/etc/crontab or"));
	EXPECT_NE(NULL, strstr(self->out, "not destination.ip : (\"0.0.0.0\""));
	EXPECT_EQ(NULL, strstr(self->out, "source.ip"));
	EXPECT_NE(NULL, strstr(self->out, "# variant: local"));
	EXPECT_EQ(NULL, strstr(self->out, "warning"));
	/* The query text (after the comment lines) compiles to the same rule. */
	q = strstr(self->out, "\nhost.os.type");
	ASSERT_NE(NULL, q);
	end = strstr(q, "\n\n");
	ASSERT_NE(NULL, end);
	*end = '\0';
	f = fopen("/tmp/shown.ndjson", "w");
	fprintf(f, "{\"rule_id\":\"%s\",\"name\":\"Suspicious Network Activity to the Internet by Previously Unknown Executable\",\"type\":\"new_terms\",\"new_terms_fields\":[\"process.executable\"],\"history_window_start\":\"now-20d\",\"severity\":\"low\",\"risk_score\":21,\"threat\":[{\"tactic\":{\"id\":\"TA0011\"},\"technique\":[{\"id\":\"T1071\"}]}],\"query\":\"", SEED_ID);
	for (char *p = q + 1; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fprintf(f, "\"}\n");
	fclose(f);
	{
		struct c2w_buf b1, b2;
		char *blob1, *blob2;
		int fd = open(C2W_DEV, O_WRONLY);

		memset(&b1, 0, sizeof(b1));
		ioctl(fd, C2W_IOC_GET_RULES, &b1);
		blob1 = malloc(b1.len);
		b1.ptr = (uintptr_t)blob1;
		ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_RULES, &b1));
		ASSERT_EQ(0, CTL_RUN("load", "/tmp/shown.ndjson"));
		memset(&b2, 0, sizeof(b2));
		ioctl(fd, C2W_IOC_GET_RULES, &b2);
		blob2 = malloc(b2.len);
		b2.ptr = (uintptr_t)blob2;
		ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_RULES, &b2));
		/* Same header, rules, clauses and tests (strings may move). */
		struct c2w_rs_header *h = (void *)blob1;
		size_t n = b1.len - h->strtab_size;

		EXPECT_EQ(b1.len - h->strtab_size,
			  b2.len - ((struct c2w_rs_header *)blob2)->strtab_size);
		EXPECT_EQ(0, memcmp(blob1 + sizeof(*h) + sizeof(struct c2w_rs_rule),
				    blob2 + sizeof(*h) + sizeof(struct c2w_rs_rule),
				    n - sizeof(*h) - sizeof(struct c2w_rs_rule)));
		free(blob1);
		free(blob2);
		close(fd);
	}
}

TEST_F(ctl, status_and_switches)
{
	ASSERT_EQ(0, CTL_RUN("status"));
	EXPECT_NE(NULL, strstr(self->out, "enabled:          yes"));
	EXPECT_NE(NULL, strstr(self->out, "rules:            1"));
	ASSERT_EQ(0, CTL_RUN("disable"));
	ASSERT_EQ(0, CTL_RUN("status"));
	EXPECT_NE(NULL, strstr(self->out, "enabled:          no"));
	ASSERT_EQ(0, CTL_RUN("enable"));
	ASSERT_EQ(0, CTL_RUN("capacity", "1000"));
	ASSERT_EQ(0, CTL_RUN("status"));
	EXPECT_NE(NULL, strstr(self->out, "of 1000 entries"));
	ASSERT_EQ(0, CTL_RUN("capacity", "65536"));
	EXPECT_EQ(2, CTL_RUN("capacity", "0"));
	EXPECT_EQ(2, CTL_RUN("capacity", "lots"));
	ASSERT_EQ(0, CTL_RUN("window", SEED_ID, "3d"));
	ASSERT_EQ(0, CTL_RUN("show"));
	EXPECT_NE(NULL, strstr(self->out, "window now-3d"));
	EXPECT_EQ(2, CTL_RUN("window", "no-such-rule", "3d"));
	EXPECT_EQ(2, CTL_RUN("window", SEED_ID, "3 days"));
	ASSERT_EQ(0, CTL_RUN("window", "default", "7d"));
	ASSERT_EQ(0, CTL_RUN("status"));
	EXPECT_NE(NULL, strstr(self->out, "default window:   now-7d"));
	ASSERT_EQ(0, CTL_RUN("window", "default", "20d"));
	EXPECT_EQ(2, CTL_RUN("lock"));		/* needs --yes */
	EXPECT_EQ(2, CTL_RUN("frobnicate"));
	EXPECT_EQ(0, CTL_RUN("seen", "--help"));
	EXPECT_NE(NULL, strstr(self->out, "usage: c2watchctl seen"));
	EXPECT_EQ(1, ctl(_metadata, &self->out, (char *[]){ CTL, "--device",
			 "/dev/nope", "show", NULL }));
}

TEST_F(ctl, seen_commands)
{
	char *line;

	ASSERT_EQ(0, CTL_RUN("seen", "clear"));
	ASSERT_EQ(0, beacon_at("/tmp/seen-a", "tcp", "1.1.1.1", "80"));
	ASSERT_EQ(0, beacon_at("/tmp/seen-b", "tcp", "1.1.1.1", "80"));
	ASSERT_EQ(0, CTL_RUN("seen", "list"));
	EXPECT_NE(NULL, strstr(self->out, "\"key\":\"/tmp/seen-a\""));
	EXPECT_NE(NULL, strstr(self->out, "\"key\":\"/tmp/seen-b\""));
	line = strstr(self->out, "\"first_seen\":\"20");
	EXPECT_NE(NULL, line);
	ASSERT_EQ(0, CTL_RUN("seen", "export", "/tmp/seen.ndjson"));
	ASSERT_EQ(0, CTL_RUN("seen", "forget", "/tmp/seen-a"));
	EXPECT_NE(NULL, strstr(self->out, "forgot 1 entries"));
	ASSERT_EQ(0, CTL_RUN("seen", "list"));
	EXPECT_EQ(NULL, strstr(self->out, "/tmp/seen-a"));
	ASSERT_EQ(0, CTL_RUN("seen", "clear"));
	ASSERT_EQ(0, CTL_RUN("seen", "list"));
	EXPECT_STREQ("", self->out);
	ASSERT_EQ(0, CTL_RUN("seen", "import", "/tmp/seen.ndjson"));
	EXPECT_NE(NULL, strstr(self->out, "imported 2 entries"));
	ASSERT_EQ(0, CTL_RUN("seen", "list"));
	EXPECT_NE(NULL, strstr(self->out, "/tmp/seen-a"));
	write_file("/tmp/corrupt.ndjson", "{\"rule_id\":\"x\"}\n");
	EXPECT_EQ(2, CTL_RUN("seen", "import", "/tmp/corrupt.ndjson"));
	EXPECT_NE(NULL, strstr(self->out, "corrupt.ndjson:1:"));
}

TEST_F(ctl, eval_needs_no_module)
{
	write_file("/tmp/events.ndjson",
		   "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/x\",\"process.name\":\"x\",\"destination.ip\":\"8.8.8.8\"}\n"
		   "{\"@timestamp\":\"2026-01-01T00:01:00Z\",\"host.os.type\":\"linux\",\"event.category\":\"network\",\"event.action\":\"connection_attempted\",\"process.executable\":\"/tmp/x\",\"process.name\":\"x\",\"destination.ip\":\"8.8.8.8\"}\n");
	ASSERT_EQ(0, CTL_RUN("eval", SEED_RULES, "/tmp/events.ndjson"));
	EXPECT_NE(NULL, strstr(self->out, "{\"match\":true,\"alert\":true,\"rule_id\":\"" SEED_ID));
	EXPECT_NE(NULL, strstr(self->out, "{\"match\":true,\"alert\":false"));
	ASSERT_EQ(0, CTL_RUN("eval", "--explain", SEED_RULES, "/tmp/events.ndjson"));
	EXPECT_NE(NULL, strstr(self->out, "\"failed_clause\":null"));
	write_file("/tmp/unk.ndjson",
		   "{\"rule_id\":\"u\",\"name\":\"u\",\"type\":\"query\",\"query\":\"file.path:x\"}\n");
	EXPECT_EQ(2, CTL_RUN("eval", "/tmp/unk.ndjson", "/tmp/events.ndjson"));
	EXPECT_NE(NULL, strstr(self->out, "unknown field 'file.path'"));
	/* As nobody, who cannot open the device: works the same. */
	{
		pid_t pid = fork();
		int st;

		ASSERT_LE(0, pid);
		if (!pid) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			if (setgid(65534) || setuid(65534))
				_exit(3);
			execv(CTL, (char *[]){ CTL, "eval", SEED_RULES,
					       "/tmp/events.ndjson", NULL });
			_exit(127);
		}
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_EQ(0, WEXITSTATUS(st));
	}
}

TEST_HARNESS_MAIN
