// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of the executable cache (kmod/execache.c): a process image's
 * resolved executable is reused by its next attempts, and resolved again
 * whenever what its path is made of changes under the same process: a
 * rename, a mount moved, a chroot, an unlink, a ruleset reload. Each test
 * keeps one beacon process alive across the change (c2w-beacon -s) and
 * checks what the attempt after it is judged as.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <sys/mount.h>

#include "kselftest_harness.h"
#include "c2w_test.h"

FIXTURE(ec) {
	int fd;
	struct rec_list rl;
};

FIXTURE_SETUP(ec)
{
	struct rec_list drain;

	self->fd = open(C2W_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		NEED_DEVICE_FIXTURE();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, load_seed(self->fd));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	ASSERT_EQ(0, collect(self->fd, &drain, 50));
	rl_free(&drain);
	memset(&self->rl, 0, sizeof(self->rl));
}

FIXTURE_TEARDOWN(ec)
{
	rl_free(&self->rl);
	if (self->fd >= 0) {
		/* What a test that failed half-way may have left. */
		ioctl(self->fd, C2W_IOC_SET_CONFIG, &(struct c2w_config){
			.mask = C2W_CONFIG_EVENTS_INTERVAL });
		close(self->fd);
	}
	rename("/tmp/c2w-rq", "/tmp/c2w-rp");
}

/* The counters; all ones when they cannot be read. */
static struct c2w_stats stats(int fd)
{
	struct c2w_stats st;

	memset(&st, 0, sizeof(st));
	if (ioctl(fd, C2W_IOC_GET_STATS, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

static uint64_t cache_hits(int fd)
{
	return stats(fd).exe_cache_hits;
}

static uint32_t cache_live(int fd)
{
	return stats(fd).exe_cache_live;
}

static uint64_t seen_hinted(int fd)
{
	return stats(fd).seen_hinted;
}

/* Two attempts of @s: the second one must come from the cache. */
#define TWO_STEPS_CACHED(s) do {					\
	uint64_t _h;							\
									\
	ASSERT_EQ(0, step(s, 'a'));					\
	_h = cache_hits(self->fd);					\
	ASSERT_EQ(0, step(s, 'a'));					\
	ASSERT_LT(_h, cache_hits(self->fd));				\
} while (0)

/* /var/tmp, a suspicious place on the root filesystem. */
static int var_tmp(void)
{
	mkdir("/var", 0755);
	mkdir("/var/tmp", 01777);
	return access("/var/tmp", W_OK);
}

/* A beacon process taking attempts on command (c2w-beacon -s). */
struct stepper {
	pid_t pid;
	int cmd;	/* its stdin */
	int res;	/* its stdout */
};

/*
 * Start @exe (a beacon) in step mode towards @addr:@port, chrooting into
 * @root on 'r'; with @bind_src, in a private mount namespace where
 * @bind_src is bound over @exe.
 */
static int stepper_start(struct stepper *s, const char *exe, const char *mode,
			 const char *addr, const char *port, const char *root,
			 const char *bind_src)
{
	char *argv[12];
	int in[2], out[2], n = 0;

	argv[n++] = (char *)exe;
	argv[n++] = "-s";
	argv[n++] = "-m";
	argv[n++] = (char *)mode;
	if (root) {
		argv[n++] = "-r";
		argv[n++] = (char *)root;
	}
	argv[n++] = (char *)addr;
	argv[n++] = (char *)port;
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (!s->pid) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(126);
		if (bind_src && (unshare(CLONE_NEWNS) ||
				 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE,
				       NULL) ||
				 mount(bind_src, exe, NULL, MS_BIND, NULL)))
			_exit(125);
		execv(exe, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->cmd = in[1];
	s->res = out[0];
	return 0;
}

/*
 * stepper_start() pinned to the CPU this thread is on, for counts of what a
 * CPU keeps (its last match, its memo); this thread's affinity given back.
 */
static int stepper_start_pinned(struct stepper *s, const char *exe,
				const char *mode, const char *addr,
				const char *port)
{
	cpu_set_t all;
	int ret;

	if (pin_to_this_cpu(&all))
		return -1;
	ret = stepper_start(s, exe, mode, addr, port, NULL, NULL);
	if (unpin(&all))
		ret = -1;
	return ret;
}

/* One attempt ('a'), or a chroot then one ('r'): 0 when it was made. */
static int step(struct stepper *s, char cmd)
{
	char res;

	if (write(s->cmd, &cmd, 1) != 1 || read(s->res, &res, 1) != 1)
		return -1;
	return res == '0' ? 0 : -1;
}

static int stepper_stop(struct stepper *s)
{
	int st;

	close(s->cmd);
	close(s->res);
	if (waitpid(s->pid, &st, 0) != s->pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * /opt/NAME moved to /var/tmp/NAME, where the seed rule looks, and one
 * attempt of @s, which must be judged at the new path: one alert, for
 * /var/tmp/NAME/tool. Moved back after; @a and @b are the stats around
 * the attempt, for the caller's counts.
 */
static void step_moved(struct __test_metadata *_metadata, int fd,
		       struct rec_list *rl, struct stepper *s,
		       const char *name, struct c2w_stats *a,
		       struct c2w_stats *b)
{
	char from[64], to[64], exe[80];

	snprintf(from, sizeof(from), "/opt/%s", name);
	snprintf(to, sizeof(to), "/var/tmp/%s", name);
	snprintf(exe, sizeof(exe), "%s/tool", to);
	ASSERT_EQ(0, var_tmp());
	ASSERT_EQ(0, rename(from, to));
	*a = stats(fd);
	ASSERT_EQ(0, step(s, 'a'));
	*b = stats(fd);
	ASSERT_EQ(1, alerts_after(_metadata, fd, rl));
	EXPECT_STREQ(exe, c2w_alert_exe_at(nth_alert(rl, 0)));
	EXPECT_EQ(0, rename(to, from));
}

/*
 * The point of the cache: a known suspicious executable's repeated
 * attempts, and a trusted program's, are judged from it after the first.
 * Still one alert, with the full identity.
 */
TEST_F(ec, repeated_attempts_use_the_cache)
{
	char *sus[] = { "/tmp/c2w-ec/rep", "-n", "20", "1.1.1.1", "443",
			NULL };
	char *tru[] = { "/opt/c2w-ec/rep", "-n", "20", "-m", "udp",
			"9.9.9.9", "53", NULL };
	struct c2w_alert *a;
	uint64_t h0, h1;
	uint32_t live0;

	ASSERT_EQ(0, install(BEACON, sus[0]));
	ASSERT_EQ(0, install(BEACON, tru[0]));
	/* This process's own entry, if any (its configuration records). */
	live0 = cache_live(self->fd);
	h0 = cache_hits(self->fd);
	ASSERT_EQ(0, run(sus[0], sus));
	h1 = cache_hits(self->fd);
	/* The first attempt fills the entry; a rename elsewhere may cost one. */
	EXPECT_LE(h0 + 15, h1);
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ(sus[0], c2w_alert_exe_at(a));
	EXPECT_STREQ("rep", (char *)a->comm);
	EXPECT_EQ(0, a->flags & (C2W_AF_COMM_DIFFERS | C2W_AF_EXE_DELETED));
	EXPECT_NE(0, a->pid);

	/* A trusted program: excluded, from the cache too. */
	ASSERT_EQ(0, run(tru[0], tru));
	EXPECT_LE(h1 + 15, cache_hits(self->fd));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* Both gone: the sweep lets their process images go (mmdrop). */
	for (int i = 0; i < 50 && cache_live(self->fd) > live0; i++)
		sleep_ms(100);
	EXPECT_GE(live0, cache_live(self->fd));
}

/*
 * A known executable's repeated matches are decided through the cache's
 * hint to its seen-set entry, without looking the key up. Whatever makes
 * the key new again still does: forgetting it, clearing the set, its
 * window running out; and after a reload the hint is not another rule's.
 */
TEST_F(ec, known_key_found_through_the_cache)
{
	const char *exe = "/tmp/c2w-sh/beacon";
	struct stepper s;
	uint64_t h, x;

	ASSERT_EQ(0, install(BEACON, exe));
	ASSERT_EQ(0, load_kql(self->fd, "sh-a",
			      "process.executable:/tmp/c2w-sh/*",
			      C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, stepper_start(&s, exe, "tcp", "1.1.1.1", "443", NULL,
				   NULL));
	/*
	 * New: the insert leaves the hint; the next ones are known by it,
	 * evaluated in full or judged at the probe as repeats (its
	 * executable excludes nothing).
	 */
	h = seen_hinted(self->fd);
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(h, seen_hinted(self->fd));
	x = stats(self->fd).excluded_exe;
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(3, seen_hinted(self->fd) - h);
	EXPECT_EQ(x, stats(self->fd).excluded_exe);
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));

	/* Forgotten: new again, not decided by the hint. */
	ASSERT_EQ(1, seen_forget(self->fd, exe));
	h = seen_hinted(self->fd);
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(h, seen_hinted(self->fd));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(h + 2, seen_hinted(self->fd));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* Cleared: the same. */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* Another rule at the same index: its own key, its own alert. */
	ASSERT_EQ(0, load_kql(self->fd, "sh-b",
			      "process.executable:/tmp/c2w-sh/*",
			      C2W_NT_EXECUTABLE, 2));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_STREQ("sh-b", (char *)nth_alert(&self->rl, 0)->rule_id);

	/* Its window (2 s) run out, the hint still in hand: new again. */
	h = seen_hinted(self->fd);
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(h + 1, seen_hinted(self->fd));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	sleep(4);
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_EQ(0, stepper_stop(&s));
}

/* Counter deltas of one stretch of a test. */
#define DELTA(b, a, field) ((b).field - (a).field)

/* Two new-terms rules on the executable, "rp" and @id2, from KQL. */
static int load_kql2(int fd, const char *q1, const char *id2, const char *q2)
{
	const char *ids[] = { "rp", id2 }, *q[] = { q1, q2 };

	return load_kqls(fd, 2, ids, q, C2W_NT_EXECUTABLE, 0);
}

/*
 * Step @s with @cmd while an event is due on its key (events_interval
 * 1 s, 2 s after the last one): reported by the evaluation in full, one
 * event record. The counters before and after the step in @a and @b.
 */
static void step_event_due(struct __test_metadata *_metadata, int fd,
			   struct rec_list *rl, struct stepper *s, char cmd,
			   struct c2w_stats *a, struct c2w_stats *b)
{
	struct c2w_config c = {
		.mask = C2W_CONFIG_EVENTS_INTERVAL,
		.events_interval = 1,
	};

	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SET_CONFIG, &c));
	sleep(2);
	*a = stats(fd);
	ASSERT_EQ(0, step(s, cmd));
	*b = stats(fd);
	c.events_interval = 0;
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(1, DELTA(*b, *a, events));
	ASSERT_EQ(1, alerts_after(_metadata, fd, rl));
	EXPECT_TRUE(nth_alert(rl, 0)->flags & C2W_AF_EVENT);
}

/*
 * A suspicious process image's first two attempts: the first alerted (new),
 * the second evaluated in full from the cache (known), which makes it its
 * CPU's last match.
 */
static void step_new_then_known(struct __test_metadata *_metadata, int fd,
				struct rec_list *rl, struct stepper *s)
{
	ASSERT_EQ(0, step(s, 'a'));
	ASSERT_EQ(0, step(s, 'a'));
	EXPECT_EQ(1, alerts_after(_metadata, fd, rl));
}

/*
 * A beacon's next attempts to its server are judged at the probe as the
 * repeat of its last match: counted matched, suppressed and repeated, the
 * seen entry refreshed through the hint; to another port, by the rules
 * walked there with the executable's memo (known_at_probe); under a rule
 * on the source, by the same walk at the return. Whatever could change
 * the verdict sends the next attempt to the full evaluation: the walk not
 * giving that one rule alone, the key forgotten, an event due, a rename,
 * a reload, the window run out.
 */
TEST_F(ec, repeated_match_judged_at_the_probe)
{
	const char *kql = "process.executable:/tmp/c2w-r*";
	/* The beacon's port is 443, 'n' the next one. */
	const char *nport = "process.executable:/tmp/c2w-r* and "
			    "not destination.port:444";
	const char *nport_only = "process.executable:/tmp/c2w-r* and "
				 "destination.port:444";
	const char *src = "process.executable:/tmp/c2w-r* and source.ip:*";
	const char *src_nport_only = "process.executable:/tmp/c2w-r* and "
				     "source.ip:* and destination.port:444";
	struct c2w_stats a, b;
	char many[4096];
	cpu_set_t all, one;
	int len;
	struct stepper s;

	ASSERT_EQ(0, install(BEACON, "/tmp/c2w-rp/beacon"));
	ASSERT_EQ(0, install(BEACON, "/opt/c2w-rp/tool"));
	ASSERT_EQ(0, load_kql(self->fd, "rp", kql, C2W_NT_EXECUTABLE, 0));
	/* The last match is kept per CPU: the beacon on one, for exact counts. */
	ASSERT_EQ(0, pin_to_this_cpu(&all));
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ASSERT_EQ(0, stepper_start(&s, "/tmp/c2w-rp/beacon", "udp", "1.1.1.1",
				   "443", NULL, NULL));
	ASSERT_EQ(0, unpin(&all));

	/* New, then known from the cache (kept), then repeats. */
	step_new_then_known(_metadata, self->fd, &self->rl, &s);
	a = stats(self->fd);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(3, DELTA(b, a, repeated));
	EXPECT_EQ(3, DELTA(b, a, evaluated));
	EXPECT_EQ(3, DELTA(b, a, matched));
	EXPECT_EQ(3, DELTA(b, a, suppressed));
	EXPECT_EQ(3, DELTA(b, a, seen_hinted));
	EXPECT_EQ(3, DELTA(b, a, exe_cache_hits));

	/*
	 * Another port: judged at the probe by the rules with the memo (the
	 * last match kept is still port 443's), then 443's repeats.
	 */
	ASSERT_EQ(0, step(&s, 'n'));
	ASSERT_EQ(0, step(&s, 'n'));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	EXPECT_EQ(2, DELTA(a, b, repeated));
	EXPECT_EQ(2, DELTA(a, b, known_at_probe));
	EXPECT_EQ(4, DELTA(a, b, suppressed));
	EXPECT_EQ(4, DELTA(a, b, seen_hinted));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/*
	 * Rules that exclude the other port (the first two attempts make the
	 * last match under them), and rules where a second rule matches it
	 * (its own key: alerted once): each judged in full there.
	 */
	ASSERT_EQ(0, load_kql(self->fd, "rp", nport, C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'n'));
	a = stats(self->fd);
	EXPECT_EQ(0, DELTA(a, b, known_at_probe));
	EXPECT_EQ(1, DELTA(a, b, excluded));
	ASSERT_EQ(0, load_kql2(self->fd, kql, "rp2", nport_only));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	b = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'n'));
	ASSERT_EQ(0, step(&s, 'n'));
	a = stats(self->fd);
	EXPECT_EQ(0, DELTA(a, b, known_at_probe));
	EXPECT_EQ(2, DELTA(a, b, matched));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_STREQ("rp2", (char *)nth_alert(&self->rl, 0)->rule_id);

	/*
	 * 65 clauses on the executable: rp's one, and rp3's 64 (plain ones:
	 * single negated tests would be gathered into one), the last past
	 * the memo bits. Without the path, rp3 could not match at the probe
	 * (that clause reads it): the other port is judged in full, where
	 * rp3 matches, new.
	 */
	len = snprintf(many, sizeof(many), "%s", nport_only);
	for (int i = 1; i < 64; i++)
		len += snprintf(many + len, sizeof(many) - len,
				" and (process.name:beacon or process.name:z%d)",
				i);
	ASSERT_GT(sizeof(many), len);
	ASSERT_EQ(0, load_kql2(self->fd, kql, "rp3", many));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	b = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'n'));
	a = stats(self->fd);
	EXPECT_EQ(0, DELTA(a, b, known_at_probe));
	EXPECT_EQ(1, DELTA(a, b, matched));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_STREQ("rp3", (char *)nth_alert(&self->rl, 0)->rule_id);
	ASSERT_EQ(0, load_kql(self->fd, "rp", kql, C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);

	/* Forgotten (rp's key, rp2's and rp3's): new again, alerted. */
	ASSERT_EQ(3, seen_forget(self->fd, "/tmp/c2w-rp/beacon"));
	ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(0, DELTA(b, a, repeated));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));

	/*
	 * An event due: reported by the full evaluation, for the repeat and
	 * for another port, which the probe would walk.
	 */
	for (const char *p = "an"; *p; p++) {
		step_event_due(_metadata, self->fd, &self->rl, &s, *p, &a, &b);
		/* 'a' would be a repeat, 'n' a walk, but for the event. */
		EXPECT_EQ(0, *p == 'a' ? DELTA(b, a, repeated) :
					 DELTA(b, a, known_at_probe));
	}

	/* Renamed: another path, another key, alerted. */
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, rename("/tmp/c2w-rp", "/tmp/c2w-rq"));
	a = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(0, DELTA(b, a, repeated));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_STREQ("/tmp/c2w-rq/beacon",
		     c2w_alert_exe_at(nth_alert(&self->rl, 0)));
	ASSERT_EQ(0, step(&s, 'a'));

	/* Reloaded: judged in full under the new rules (known). */
	ASSERT_EQ(0, load_kql(self->fd, "rp", kql, C2W_NT_EXECUTABLE, 0));
	a = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(0, DELTA(b, a, repeated));
	EXPECT_EQ(1, DELTA(b, a, suppressed));

	/*
	 * A rule on the source: never judged at the probe (the source is
	 * chosen as the connect runs), but at the return after the first,
	 * by the rules walked with the memo and the source chosen.
	 */
	ASSERT_EQ(0, load_kql(self->fd, "rp", src, C2W_NT_EXECUTABLE, 0));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'n'));
	a = stats(self->fd);
	EXPECT_EQ(0, DELTA(a, b, repeated));
	EXPECT_EQ(3, DELTA(a, b, known_at_probe));
	EXPECT_EQ(4, DELTA(a, b, evaluated));
	EXPECT_EQ(4, DELTA(a, b, matched));
	EXPECT_EQ(4, DELTA(a, b, suppressed));
	EXPECT_EQ(3, DELTA(a, b, seen_hinted));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	/* An event due: reported by the evaluation in full, not walked. */
	step_event_due(_metadata, self->fd, &self->rl, &s, 'n', &b, &a);
	EXPECT_EQ(0, DELTA(a, b, known_at_probe));
	/*
	 * A second rule matching only the other port: the walk at the
	 * return gives two rules, the evaluation in full alerts rp2's key,
	 * with the path.
	 */
	ASSERT_EQ(0, load_kql2(self->fd, src, "rp2", src_nport_only));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	/*
	 * Meanwhile another program evaluated in full on the beacon's CPU
	 * (trusted: the last match kept there stays the beacon's), so that
	 * what the evaluation in full reads is not left from the beacon's.
	 */
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	ASSERT_EQ(0, run("/opt/c2w-rp/tool", (char *[]){ "/opt/c2w-rp/tool",
			 "-m", "udp", "-n", "1", "1.1.1.1", "443", NULL }));
	ASSERT_EQ(0, unpin(&all));
	b = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'n'));
	a = stats(self->fd);
	EXPECT_EQ(0, DELTA(a, b, known_at_probe));
	EXPECT_EQ(1, DELTA(a, b, alerted));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_STREQ("rp2", (char *)nth_alert(&self->rl, 0)->rule_id);
	EXPECT_STREQ("/tmp/c2w-rq/beacon",
		     c2w_alert_exe_at(nth_alert(&self->rl, 0)));
	ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);

	/* A 2 s window run out between two repeats: new again, alerted. */
	ASSERT_EQ(0, load_kql(self->fd, "rp", kql, C2W_NT_EXECUTABLE, 2));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(1, DELTA(b, a, repeated));
	sleep(4);
	ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	EXPECT_EQ(0, DELTA(a, b, repeated));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_EQ(0, stepper_stop(&s));
	EXPECT_EQ(0, rename("/tmp/c2w-rq", "/tmp/c2w-rp"));
}

/*
 * A new-terms key made of more than the executable (the destination, the
 * user): the attempts with the last match's key are judged at the probe,
 * as repeats or by the walk (at the return under a rule on the source);
 * connects and datagrams alike. An attempt with another key is judged
 * there only when its key, looked up, is known; a new one is left to the
 * evaluation in full and alerted.
 */
TEST_F(ec, key_of_more_than_the_executable_judged_at_the_probe)
{
	const char *kql = "process.executable:/tmp/c2w-rk*";
	const char *src = "process.executable:/tmp/c2w-rk* and source.ip:*";
	char dst[INET_ADDRSTRLEN];
	struct c2w_stats a, b;
	struct stepper s;

	ASSERT_EQ(0, install(BEACON, "/tmp/c2w-rk/beacon"));
	ASSERT_EQ(0, load_kql(self->fd, "rk", kql,
			      C2W_NT_EXECUTABLE | C2W_NT_DESTINATION_IP, 0));
	ASSERT_EQ(0, stepper_start_pinned(&s, "/tmp/c2w-rk/beacon", "udp",
					  "1.1.1.1", "443"));

	/* New, known from the cache, repeats; another port: the same key. */
	step_new_then_known(_metadata, self->fd, &self->rl, &s);
	a = stats(self->fd);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'n'));
	ASSERT_EQ(0, step(&s, 'n'));
	b = stats(self->fd);
	EXPECT_EQ(3, DELTA(b, a, repeated));
	EXPECT_EQ(2, DELTA(b, a, known_at_probe));
	EXPECT_EQ(5, DELTA(b, a, suppressed));
	EXPECT_EQ(5, DELTA(b, a, seen_hinted));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* The next address: another key, new, alerted; then its repeat. */
	ASSERT_EQ(0, step(&s, 'd'));
	a = stats(self->fd);
	EXPECT_EQ(0, DELTA(a, b, known_at_probe));
	EXPECT_EQ(1, DELTA(a, b, alerted));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	inet_ntop(AF_INET, nth_alert(&self->rl, 0)->daddr, dst, sizeof(dst));
	EXPECT_STREQ("1.1.1.2", dst);
	ASSERT_EQ(0, step(&s, 'd'));
	b = stats(self->fd);
	EXPECT_EQ(1, DELTA(b, a, repeated));
	/*
	 * The first address again: not the last match's key; walked at the
	 * probe, its key the match before's, found where that one said.
	 */
	ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	EXPECT_EQ(1, DELTA(a, b, known_at_probe));
	EXPECT_EQ(0, DELTA(a, b, repeated));
	EXPECT_EQ(1, DELTA(a, b, seen_hinted));
	EXPECT_EQ(1, DELTA(a, b, suppressed));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/*
	 * Under a rule on the source, walked at the return: the same; the
	 * other address (known since above) looked up.
	 */
	ASSERT_EQ(0, load_kql(self->fd, "rk", src,
			      C2W_NT_EXECUTABLE | C2W_NT_DESTINATION_IP, 0));
	ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'n'));
	ASSERT_EQ(0, step(&s, 'd'));
	a = stats(self->fd);
	EXPECT_EQ(2, DELTA(a, b, known_at_probe));
	EXPECT_EQ(1, DELTA(a, b, seen_hinted));
	EXPECT_EQ(2, DELTA(a, b, suppressed));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* Keyed on the user: another user's attempt is another key. */
	ASSERT_EQ(0, load_kql(self->fd, "rk", kql,
			      C2W_NT_EXECUTABLE | C2W_NT_USER_ID, 0));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'd'));
	b = stats(self->fd);
	EXPECT_EQ(1, DELTA(b, a, known_at_probe));
	ASSERT_EQ(0, step(&s, 'u'));
	a = stats(self->fd);
	EXPECT_EQ(0, DELTA(a, b, known_at_probe));
	EXPECT_EQ(1, DELTA(a, b, alerted));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_EQ(65534, nth_alert(&self->rl, 0)->uid);
	EXPECT_EQ(0, stepper_stop(&s));

	/*
	 * Datagrams (the send hook), keyed on the destination: the next
	 * address is another key, alerted, however many sends came before.
	 */
	ASSERT_EQ(0, load_kql(self->fd, "rk", kql,
			      C2W_NT_EXECUTABLE | C2W_NT_DESTINATION_IP, 0));
	ASSERT_EQ(0, stepper_start_pinned(&s, "/tmp/c2w-rk/beacon", "sendto",
					  "9.9.9.9", "53"));
	step_new_then_known(_metadata, self->fd, &self->rl, &s);
	a = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'd'));
	b = stats(self->fd);
	EXPECT_EQ(2, DELTA(b, a, repeated));
	EXPECT_EQ(0, DELTA(b, a, known_at_probe));
	EXPECT_EQ(1, DELTA(b, a, alerted));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	inet_ntop(AF_INET, nth_alert(&self->rl, 0)->daddr, dst, sizeof(dst));
	EXPECT_STREQ("9.9.9.10", dst);
	/*
	 * Both keys known: a send to the other one is judged at the probe,
	 * its key the match before's.
	 */
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, step(&s, 'a'));
		ASSERT_EQ(0, step(&s, 'd'));
	}
	a = stats(self->fd);
	EXPECT_EQ(4, DELTA(a, b, known_at_probe));
	EXPECT_EQ(4, DELTA(a, b, suppressed));
	EXPECT_EQ(4, DELTA(a, b, seen_hinted));
	EXPECT_EQ(0, DELTA(a, b, alerted));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_EQ(0, stepper_stop(&s));
}

/*
 * A beacon among known servers, under a key made of the destination too:
 * each attempt's key is not the last match's, so the probe walks the
 * rules and finds its key (never recording it): known, the attempt is
 * decided there (known_at_probe), the connect's return never evaluates
 * it. Between two servers, each key is the key of the match before, found
 * where it sits (seen_hinted); among three, each is looked up. A key the
 * seen set no longer holds is left to the return, which alerts with the
 * source it chose.
 */
TEST_F(ec, other_known_keys_looked_up_at_the_probe)
{
	const char *kql = "process.executable:/tmp/c2w-lk*";
	static const uint8_t zero[16];
	const struct c2w_alert *al;
	struct c2w_stats a, b;
	struct stepper s;

	ASSERT_EQ(0, install(BEACON, "/tmp/c2w-lk/beacon"));
	ASSERT_EQ(0, load_kql(self->fd, "lk", kql,
			      C2W_NT_EXECUTABLE | C2W_NT_DESTINATION_IP, 0));
	ASSERT_EQ(0, stepper_start_pinned(&s, "/tmp/c2w-lk/beacon", "udp",
					  "1.1.1.1", "443"));
	step_new_then_known(_metadata, self->fd, &self->rl, &s);
	ASSERT_EQ(0, step(&s, 'd'));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));

	a = stats(self->fd);
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, step(&s, 'a'));
		ASSERT_EQ(0, step(&s, 'd'));
	}
	b = stats(self->fd);
	EXPECT_EQ(8, DELTA(b, a, evaluated));
	EXPECT_EQ(8, DELTA(b, a, known_at_probe));
	EXPECT_EQ(8, DELTA(b, a, suppressed));
	EXPECT_EQ(8, DELTA(b, a, exe_cache_hits));
	EXPECT_EQ(0, DELTA(b, a, exe_cache_lookups));
	EXPECT_EQ(0, DELTA(b, a, repeated));
	EXPECT_EQ(8, DELTA(b, a, seen_hinted));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* A third server: the keys of three in turn are looked up. */
	ASSERT_EQ(0, step(&s, 'e'));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = stats(self->fd);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, step(&s, 'a'));
		ASSERT_EQ(0, step(&s, 'd'));
		ASSERT_EQ(0, step(&s, 'e'));
	}
	b = stats(self->fd);
	EXPECT_EQ(6, DELTA(b, a, known_at_probe));
	EXPECT_EQ(6, DELTA(b, a, suppressed));
	EXPECT_EQ(0, DELTA(b, a, seen_hinted));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* Under a rule on the source: the same walk and lookup, at the return. */
	ASSERT_EQ(0, load_kql(self->fd, "lk",
			      "process.executable:/tmp/c2w-lk* and source.ip:*",
			      C2W_NT_EXECUTABLE | C2W_NT_DESTINATION_IP, 0));
	ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, step(&s, 'd'));
		ASSERT_EQ(0, step(&s, 'a'));
	}
	b = stats(self->fd);
	EXPECT_EQ(4, DELTA(b, a, known_at_probe));
	EXPECT_EQ(4, DELTA(b, a, suppressed));
	/* The first other key looked up, the next ones the keys before. */
	EXPECT_EQ(3, DELTA(b, a, seen_hinted));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* Forgotten: new at the return, alerted once, with its source. */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	EXPECT_EQ(0, DELTA(a, b, known_at_probe));
	EXPECT_EQ(1, DELTA(a, b, alerted));
	EXPECT_EQ(1, DELTA(a, b, exe_cache_hits));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	al = nth_alert(&self->rl, 0);
	EXPECT_NE(0, memcmp(al->saddr, zero, 4));
	EXPECT_NE(0, al->sport);
	ASSERT_EQ(0, step(&s, 'd'));
	b = stats(self->fd);
	EXPECT_EQ(1, DELTA(b, a, alerted));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_EQ(0, stepper_stop(&s));
}

/*
 * A program that several rules match at once (the seed rule and a copy of
 * it under another id, say) is judged at the probe as one that a single
 * rule matches: its repeats and its other ports, each rule's key
 * refreshed; under rules keyed on the destination too, its other known
 * servers, each rule's key that differs looked up. A new key, an event
 * due, a plain query rule among them, more rules than a CPU keeps: each
 * attempt evaluated in full.
 */
TEST_F(ec, match_of_several_rules_judged_at_the_probe)
{
	const char *kql = "process.executable:/tmp/c2w-mr*";
	const char *ids[] = { "mr1", "mr2", "mr3", "mr4", "mr5", "mr6", "mr7",
			      "mr8", "mr9" };
	const char *q[] = { kql, kql, kql, kql, kql, kql, kql, kql, kql };
	const uint32_t exe_dst[] = {
		C2W_NT_EXECUTABLE,
		C2W_NT_EXECUTABLE | C2W_NT_DESTINATION_IP,
	}, exe_query[] = { C2W_NT_EXECUTABLE, 0 };
	struct c2w_config c = { .mask = C2W_CONFIG_EVENTS_INTERVAL };
	struct c2w_stats a, b;
	struct stepper s;

	ASSERT_EQ(0, install(BEACON, "/tmp/c2w-mr/beacon"));
	/*
	 * A window of 3 s, passed by the repeats: only keys refreshed on
	 * every attempt stay known.
	 */
	ASSERT_EQ(0, load_kqls(self->fd, 2, ids, q, C2W_NT_EXECUTABLE, 3));
	ASSERT_EQ(0, stepper_start_pinned(&s, "/tmp/c2w-mr/beacon", "udp",
					  "1.1.1.1", "443"));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(2, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	for (int i = 0; i < 6; i++) {
		ASSERT_EQ(0, step(&s, 'a'));
		sleep(1);
	}
	ASSERT_EQ(0, step(&s, 'n'));
	ASSERT_EQ(0, step(&s, 'n'));
	b = stats(self->fd);
	EXPECT_EQ(8, DELTA(b, a, evaluated));
	EXPECT_EQ(6, DELTA(b, a, repeated));
	EXPECT_EQ(2, DELTA(b, a, known_at_probe));
	EXPECT_EQ(8, DELTA(b, a, suppressed));
	EXPECT_EQ(16, DELTA(b, a, seen_hinted));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/*
	 * An event due on both keys (each reported last by its alert, more
	 * than 6 s ago): reported, two events, in full.
	 */
	c.events_interval = 1;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	ASSERT_EQ(0, step(&s, 'a'));
	c.events_interval = 0;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	a = stats(self->fd);
	EXPECT_EQ(0, DELTA(a, b, repeated));
	EXPECT_EQ(2, DELTA(a, b, events));
	EXPECT_EQ(2, alerts_after(_metadata, self->fd, &self->rl));

	/*
	 * mr2 keyed on the destination too: the other server new, alerted
	 * in full; then each server known at the probe, mr1's key through
	 * its hint, mr2's through the match before's. The set cleared first, so that no
	 * entry of a 3 s window is removed as it expires (every hint would
	 * stop holding).
	 */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	ASSERT_EQ(0, load_kqls_each(self->fd, 2, ids, q, exe_dst, 0));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(2, alerts_after(_metadata, self->fd, &self->rl));
	a = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'd'));
	b = stats(self->fd);
	EXPECT_EQ(0, DELTA(b, a, known_at_probe));
	EXPECT_EQ(1, DELTA(b, a, alerted));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_STREQ("mr2", (char *)nth_alert(&self->rl, 0)->rule_id);
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(0, step(&s, 'a'));
		ASSERT_EQ(0, step(&s, 'd'));
	}
	a = stats(self->fd);
	EXPECT_EQ(8, DELTA(a, b, evaluated));
	EXPECT_EQ(8, DELTA(a, b, known_at_probe));
	EXPECT_EQ(8, DELTA(a, b, suppressed));
	EXPECT_EQ(16, DELTA(a, b, seen_hinted));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* A plain query rule among them: alerts on every attempt. */
	ASSERT_EQ(0, load_kqls_each(self->fd, 2, ids, q, exe_query, 0));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(0, DELTA(b, a, repeated));
	EXPECT_EQ(3, alerts_after(_metadata, self->fd, &self->rl));

	/*
	 * Eight rules kept per CPU (the match that alerted kept too), a
	 * ninth more than it keeps.
	 */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	ASSERT_EQ(0, load_kqls(self->fd, 8, ids, q, C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(8, alerts_after(_metadata, self->fd, &self->rl));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	EXPECT_EQ(3, DELTA(a, b, repeated));
	EXPECT_EQ(24, DELTA(a, b, seen_hinted));
	ASSERT_EQ(0, load_kqls(self->fd, 9, ids, q, C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(0, DELTA(b, a, repeated));
	EXPECT_EQ(3, DELTA(b, a, suppressed));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_EQ(0, stepper_stop(&s));
}

/*
 * Process images taking turns on one CPU (the workers of one tool, two
 * beacons) each keep their last match there: after its first attempt,
 * each one's next ones are repeats, judged at the probe. A CPU keeps four;
 * five in turn push each other's out: each attempt is then judged at the
 * probe by the CPU's verdict on its image, its key (made of the executable
 * alone) where the cache said it sits (still suppressed).
 */
TEST_F(ec, images_taking_turns_keep_their_matches)
{
	struct stepper s[5];
	struct c2w_stats a, b;
	cpu_set_t all;

	ASSERT_EQ(0, install(BEACON, "/tmp/c2w-tt/beacon"));
	ASSERT_EQ(0, load_kql(self->fd, "tt", "process.executable:/tmp/c2w-tt*",
			      C2W_NT_EXECUTABLE, 0));
	/* Every worker on this thread's CPU: they inherit its affinity. */
	ASSERT_EQ(0, pin_to_this_cpu(&all));
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, stepper_start(&s[i], "/tmp/c2w-tt/beacon", "udp",
					   "1.1.1.1", "443", NULL, NULL));
	ASSERT_EQ(0, unpin(&all));

	/* Each one's first attempt fills the cache, the second is kept. */
	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, step(&s[i % 4], 'a'));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = stats(self->fd);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 4; i++)
			ASSERT_EQ(0, step(&s[i], 'a'));
	b = stats(self->fd);
	EXPECT_EQ(12, DELTA(b, a, repeated));
	EXPECT_EQ(12, DELTA(b, a, suppressed));

	ASSERT_EQ(0, step(&s[4], 'a'));
	ASSERT_EQ(0, step(&s[4], 'a'));
	a = stats(self->fd);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5; i++)
			ASSERT_EQ(0, step(&s[i], 'a'));
	b = stats(self->fd);
	EXPECT_EQ(0, DELTA(b, a, repeated));
	EXPECT_EQ(10, DELTA(b, a, known_at_probe));
	EXPECT_EQ(10, DELTA(b, a, suppressed));
	EXPECT_EQ(10, DELTA(b, a, seen_hinted));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* Forgotten: the next attempt alerts (one key: one alert). */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, step(&s[i], 'a'));
	a = stats(self->fd);
	EXPECT_EQ(1, DELTA(a, b, alerted));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	/* Each evaluation told the cache where the key sits again. */
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, step(&s[i], 'a'));
	b = stats(self->fd);
	EXPECT_EQ(5, DELTA(b, a, known_at_probe));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(0, stepper_stop(&s[i]));
}

/*
 * What a CPU keeps for a process image spares lookups of the cache. Five
 * suspicious images in turn, more than a CPU keeps: each attempt is
 * evaluated in full, with the verdict and the path from the one lookup
 * its entry makes, and each alert names its own image. Two trusted
 * programs in turn: after their first attempts, excluded with no lookup.
 */
TEST_F(ec, images_in_turn_judged_by_what_the_cpu_kept)
{
	static const char *const sus[5] = {
		"/tmp/c2w-tk/b0", "/tmp/c2w-tk/b1", "/tmp/c2w-tk/b2",
		"/tmp/c2w-tk/b3", "/tmp/c2w-tk/b4",
	};
	static const char *const ok[2] = { "/opt/c2w-tk/t0", "/opt/c2w-tk/t1" };
	struct stepper s[5], t[2];
	struct c2w_stats a, b;
	cpu_set_t all;

	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, install(BEACON, sus[i]));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, install(BEACON, ok[i]));
	ASSERT_EQ(0, load_kql(self->fd, "tk", "process.executable:/tmp/c2w-tk*",
			      C2W_NT_EXECUTABLE | C2W_NT_DESTINATION_IP, 0));
	ASSERT_EQ(0, pin_to_this_cpu(&all));
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, stepper_start(&s[i], sus[i], "udp", "1.1.1.1",
					   "443", NULL, NULL));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, stepper_start(&t[i], ok[i], "udp", "1.1.1.1",
					   "443", NULL, NULL));
	ASSERT_EQ(0, unpin(&all));

	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, step(&s[i], 'a'));
	ASSERT_EQ(5, alerts_after(_metadata, self->fd, &self->rl));
	for (int i = 0; i < 5; i++)
		EXPECT_STREQ(sus[i], c2w_alert_exe_at(nth_alert(&self->rl, i)));
	a = stats(self->fd);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5; i++)
			ASSERT_EQ(0, step(&s[i], 'a'));
	b = stats(self->fd);
	EXPECT_EQ(10, DELTA(b, a, evaluated));
	EXPECT_EQ(0, DELTA(b, a, repeated));
	EXPECT_EQ(10, DELTA(b, a, suppressed));
	EXPECT_EQ(10, DELTA(b, a, exe_cache_hits));
	EXPECT_EQ(10, DELTA(b, a, exe_cache_lookups));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* New keys, from the path kept with each verdict: each its own. */
	for (int i = 0; i < 5; i++)
		ASSERT_EQ(0, step(&s[i], 'd'));
	a = stats(self->fd);
	EXPECT_EQ(5, DELTA(a, b, exe_cache_lookups));
	EXPECT_EQ(0, DELTA(a, b, exe_cache_misses));
	ASSERT_EQ(5, alerts_after(_metadata, self->fd, &self->rl));
	for (int i = 0; i < 5; i++)
		EXPECT_STREQ(sus[i], c2w_alert_exe_at(nth_alert(&self->rl, i)));
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(0, stepper_stop(&s[i]));

	/* The first fills the cache, the second keeps the verdict. */
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 2; i++)
			ASSERT_EQ(0, step(&t[i], 'a'));
	a = stats(self->fd);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 2; i++)
			ASSERT_EQ(0, step(&t[i], 'a'));
	b = stats(self->fd);
	EXPECT_EQ(6, DELTA(b, a, excluded_exe));
	EXPECT_EQ(6, DELTA(b, a, exe_cache_hits));
	EXPECT_EQ(0, DELTA(b, a, exe_cache_lookups));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(0, stepper_stop(&t[i]));
}

/*
 * A suspicious image's verdict on its CPU outlives a rename elsewhere on
 * the host. Under a rule with no new terms (each attempt alerts, nothing
 * is kept as a match), each evaluation in full walks by the CPU's verdict
 * and takes the path from its copy: no lookup of the cache. A rename of
 * some other file moves the stamp: the next attempts look the image up
 * again (the cache's own entry went stale too: resolved, then copied),
 * and from then on, none.
 */
TEST_F(ec, verdict_refreshed_after_a_rename_elsewhere)
{
	struct c2w_stats a, b;
	struct stepper s;
	int fd;

	ASSERT_EQ(0, install(BEACON, "/tmp/c2w-vr/beacon"));
	fd = open("/tmp/c2w-vr/x", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, load_kql(self->fd, "vr", "process.executable:/tmp/c2w-vr*",
			      0, 0));
	ASSERT_EQ(0, stepper_start_pinned(&s, "/tmp/c2w-vr/beacon", "udp",
					  "1.1.1.1", "443"));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(3, DELTA(b, a, alerted));
	EXPECT_EQ(0, DELTA(b, a, exe_cache_lookups));
	EXPECT_EQ(0, DELTA(b, a, exe_cache_misses));

	ASSERT_EQ(0, rename("/tmp/c2w-vr/x", "/tmp/c2w-vr/y"));
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	EXPECT_EQ(1, DELTA(a, b, exe_cache_misses));
	EXPECT_EQ(1, DELTA(a, b, exe_cache_lookups));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(3, DELTA(b, a, alerted));
	EXPECT_EQ(0, DELTA(b, a, exe_cache_lookups));
	EXPECT_EQ(0, DELTA(b, a, exe_cache_misses));
	EXPECT_EQ(10, alerts_after(_metadata, self->fd, &self->rl));
	for (int i = 0; i < 10; i++)
		EXPECT_STREQ("/tmp/c2w-vr/beacon",
			     c2w_alert_exe_at(nth_alert(&self->rl, i)));
	EXPECT_EQ(0, stepper_stop(&s));
	EXPECT_EQ(0, unlink("/tmp/c2w-vr/y"));
	EXPECT_EQ(0, unlink("/tmp/c2w-vr/beacon"));
	EXPECT_EQ(0, rmdir("/tmp/c2w-vr"));
}

/*
 * A trusted program's attempts are excluded at the probe by its cached
 * executable once its first one has been evaluated in full, connects and
 * datagrams alike; moved into a suspicious place it is judged again; and a
 * rule that no executable alone can fail leaves every attempt to the full
 * evaluation.
 */
TEST_F(ec, trusted_program_excluded_by_its_executable)
{
	struct c2w_stats a, b;
	struct stepper s, d;
	cpu_set_t all;

	ASSERT_EQ(0, install(BEACON, "/opt/c2w-tx/tool"));
	/*
	 * On one CPU, which then knows the process image: its next
	 * attempts are excluded without a lookup, and that too must see
	 * the rename below.
	 */
	ASSERT_EQ(0, pin_to_this_cpu(&all));
	ASSERT_EQ(0, stepper_start(&s, "/opt/c2w-tx/tool", "tcp", "1.1.1.1",
				   "443", NULL, NULL));
	a = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(1, b.excluded - a.excluded);
	EXPECT_EQ(0, b.excluded_exe - a.excluded_exe);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	EXPECT_EQ(3, a.evaluated - b.evaluated);
	EXPECT_EQ(3, a.excluded_exe - b.excluded_exe);
	EXPECT_EQ(3, a.excluded - b.excluded);

	/* Datagrams, each to a port the send memo has not seen. */
	ASSERT_EQ(0, stepper_start(&d, "/opt/c2w-tx/tool", "sendto-ports",
				   "1.1.1.1", "5300", NULL, NULL));
	ASSERT_EQ(0, unpin(&all));
	ASSERT_EQ(0, step(&d, 'a'));
	a = stats(self->fd);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, step(&d, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(0, b.send_memo - a.send_memo);
	EXPECT_EQ(3, b.evaluated - a.evaluated);
	EXPECT_EQ(3, b.excluded_exe - a.excluded_exe);
	EXPECT_EQ(0, stepper_stop(&d));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	/* Moved to /var/tmp: the cache is stale, the attempt judged in full. */
	step_moved(_metadata, self->fd, &self->rl, &s, "c2w-tx", &a, &b);
	EXPECT_EQ(0, b.excluded_exe - a.excluded_exe);

	/* A rule on the destination alone: every attempt evaluated in full. */
	ASSERT_EQ(0, load_kql(self->fd, "dst", "destination.ip:1.1.1.1", 0,
			      0));
	ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(0, b.excluded_exe - a.excluded_exe);
	EXPECT_EQ(2, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_EQ(0, stepper_stop(&s));
}

/*
 * The memo of excluded sends keeps the stamp of renames too: a program's
 * datagrams to one destination on one socket, excluded by no rule's
 * clause on the executable alone (a second rule tests only the port), so
 * that the second one is skipped by the memo, not by the executable; its
 * directory then moved into /var/tmp, the next one is judged at the new
 * path.
 */
TEST_F(ec, send_memo_sees_a_rename)
{
	static const char *const ids[] = { "var-tmp", "port" };
	static const char *const kql[] = {
		"process.executable:/var/tmp/*", "destination.port:1",
	};
	struct c2w_stats a, b;
	struct stepper d;

	ASSERT_EQ(0, load_kqls(self->fd, 2, ids, kql, C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, install(BEACON, "/opt/c2w-sm/tool"));
	/* The memo is per CPU. */
	ASSERT_EQ(0, stepper_start_pinned(&d, "/opt/c2w-sm/tool", "sendto-keep",
					  "1.1.1.1", "5399"));
	ASSERT_EQ(0, step(&d, 'a'));
	a = stats(self->fd);
	ASSERT_EQ(0, step(&d, 'a'));
	b = stats(self->fd);
	EXPECT_EQ(1, b.send_memo - a.send_memo);
	EXPECT_EQ(0, b.excluded_exe - a.excluded_exe);
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	step_moved(_metadata, self->fd, &self->rl, &d, "c2w-sm", &a, &b);
	EXPECT_EQ(0, b.send_memo - a.send_memo);
	EXPECT_EQ(0, stepper_stop(&d));
}

/*
 * A cached trusted program whose directory is renamed into a suspicious
 * place: its next attempt is judged at the new path.
 */
TEST_F(ec, rename_is_seen_by_a_cached_process)
{
	struct stepper s;
	struct c2w_alert *a;
	uint64_t h;

	rmdir("/var/tmp/c2w-ren");
	ASSERT_EQ(0, install(BEACON, "/opt/c2w-ren/tool"));
	ASSERT_EQ(0, stepper_start(&s, "/opt/c2w-ren/tool", "tcp", "1.1.1.1",
				   "443", NULL, NULL));
	ASSERT_EQ(0, step(&s, 'a'));
	h = cache_hits(self->fd);
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_LT(h, cache_hits(self->fd));	/* cached, and excluded */
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	ASSERT_EQ(0, var_tmp());
	ASSERT_EQ(0, rename("/opt/c2w-ren", "/var/tmp/c2w-ren"));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(0, stepper_stop(&s));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/var/tmp/c2w-ren/tool", c2w_alert_exe_at(a));
	EXPECT_EQ(0, unlink("/var/tmp/c2w-ren/tool"));
	EXPECT_EQ(0, rmdir("/var/tmp/c2w-ren"));
}

/*
 * The same for a mount moved: the executable's filesystem mounted under
 * /mnt, then moved to /var/tmp. (Attaching a mount also moves rename_lock
 * on 6.1, d_set_mounted(); the unmount test below is the one that only
 * the mount generation can pass.)
 */
TEST_F(ec, mount_move_is_seen_by_a_cached_process)
{
	struct stepper s;
	struct c2w_alert *a;

	mkdir("/mnt", 0755);
	mkdir("/mnt/c2w-mv", 0755);
	ASSERT_EQ(0, var_tmp());
	mkdir("/var/tmp/c2w-mv", 0755);
	ASSERT_EQ(0, mount("c2w", "/mnt/c2w-mv", "tmpfs", 0, NULL));
	ASSERT_EQ(0, install(BEACON, "/mnt/c2w-mv/tool"));
	ASSERT_EQ(0, stepper_start(&s, "/mnt/c2w-mv/tool", "tcp", "1.1.1.1",
				   "443", NULL, NULL));
	TWO_STEPS_CACHED(&s);
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	ASSERT_EQ(0, mount("/mnt/c2w-mv", "/var/tmp/c2w-mv", NULL, MS_MOVE,
			   NULL));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(0, stepper_stop(&s));
	EXPECT_EQ(0, umount2("/var/tmp/c2w-mv", MNT_DETACH));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/var/tmp/c2w-mv/tool", c2w_alert_exe_at(a));
}

/*
 * An unmount alone: a mount detached (umount -l) from under a cached
 * process. Its executable's path is then what d_path() gives a detached
 * mount, from that mount's root: /opt/c2w-um/tmp/x becomes /tmp/x. No
 * rename is involved (attaching a mount takes rename_lock on some kernels,
 * detaching never): only the mount generation tells the cache.
 */
TEST_F(ec, unmount_is_seen_by_a_cached_process)
{
	struct stepper s;
	struct c2w_alert *a;

	mkdir("/opt", 0755);
	mkdir("/opt/c2w-um", 0755);
	ASSERT_EQ(0, mount("c2w", "/opt/c2w-um", "tmpfs", 0, NULL));
	ASSERT_EQ(0, install(BEACON, "/opt/c2w-um/tmp/x"));
	ASSERT_EQ(0, stepper_start(&s, "/opt/c2w-um/tmp/x", "tcp", "1.1.1.1",
				   "443", NULL, NULL));
	TWO_STEPS_CACHED(&s);
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));

	ASSERT_EQ(0, umount2("/opt/c2w-um", MNT_DETACH));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(0, stepper_stop(&s));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/x", c2w_alert_exe_at(a));
}

/* A cached process that chroots: the next alert says so. */
TEST_F(ec, chroot_after_caching_is_seen)
{
	struct stepper s;
	struct c2w_alert *a;

	ASSERT_EQ(0, install(BEACON, "/tmp/c2w-jail/bin/x"));
	ASSERT_EQ(0, stepper_start(&s, "/tmp/c2w-jail/bin/x", "tcp",
				   "1.1.1.1", "443", "/tmp/c2w-jail", NULL));
	TWO_STEPS_CACHED(&s);
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(0, a->flags & C2W_AF_CHROOT);

	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	ASSERT_EQ(0, step(&s, 'r'));
	EXPECT_EQ(0, stepper_stop(&s));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/c2w-jail/bin/x", c2w_alert_exe_at(a));
	EXPECT_TRUE(a->flags & C2W_AF_CHROOT);
}

/* One alert, of @exe, flagged deleted. */
static void one_alert_deleted(struct __test_metadata *_metadata, int fd,
			      struct rec_list *rl, const char *exe)
{
	struct c2w_alert *a;

	ASSERT_EQ(1, alerts_after(_metadata, fd, rl));
	a = nth_alert(rl, 0);
	EXPECT_STREQ(exe, c2w_alert_exe_at(a));
	EXPECT_TRUE(a->flags & C2W_AF_EXE_DELETED);
}

/* Unlinked while cached: the next alert is flagged deleted. */
TEST_F(ec, unlink_after_caching_is_flagged)
{
	struct stepper s;

	ASSERT_EQ(0, install(BEACON, "/tmp/c2w-ec/gone"));
	ASSERT_EQ(0, stepper_start(&s, "/tmp/c2w-ec/gone", "udp", "1.1.1.1",
				   "443", NULL, NULL));
	TWO_STEPS_CACHED(&s);
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_EQ(0, nth_alert(&self->rl, 0)->flags & C2W_AF_EXE_DELETED);

	ASSERT_EQ(0, unlink("/tmp/c2w-ec/gone"));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(0, stepper_stop(&s));
	one_alert_deleted(_metadata, self->fd, &self->rl, "/tmp/c2w-ec/gone");
}

/*
 * The same for the process image of its CPU's last match, whose
 * evaluations in full take the path from the copy kept with that match
 * (under a key with the destination, the next address is one): the
 * deletion is looked at again.
 */
TEST_F(ec, unlink_is_flagged_through_the_last_match)
{
	struct c2w_stats a, b;
	struct stepper s;

	ASSERT_EQ(0, install(BEACON, "/tmp/c2w-ul/gone"));
	ASSERT_EQ(0, load_kql(self->fd, "ul", "process.executable:/tmp/c2w-ul/*",
			      C2W_NT_EXECUTABLE | C2W_NT_DESTINATION_IP, 0));
	ASSERT_EQ(0, stepper_start_pinned(&s, "/tmp/c2w-ul/gone", "udp",
					  "1.1.1.1", "443"));
	step_new_then_known(_metadata, self->fd, &self->rl, &s);
	ASSERT_EQ(0, unlink("/tmp/c2w-ul/gone"));
	a = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'd'));
	b = stats(self->fd);
	EXPECT_EQ(1, DELTA(b, a, alerted));
	EXPECT_EQ(1, DELTA(b, a, exe_cache_hits));
	EXPECT_EQ(0, stepper_stop(&s));
	one_alert_deleted(_metadata, self->fd, &self->rl, "/tmp/c2w-ul/gone");
}

/*
 * The copy kept with the last match holds paths shorter than 256 bytes
 * (C2W_EXE_COPY_MAX); a longer one is resolved through the cache. Both
 * alert with the whole path, through the last match.
 */
TEST_F(ec, paths_at_the_copy_s_limit_alert_whole)
{
	for (int len = 254; len <= 257; len++) {
		char path[320], dir[260];
		struct stepper s;
		int n;

		/* /tmp/c2w-lp/aaa...a/beacon, @len bytes. */
		n = len - (int)strlen("/tmp/c2w-lp/") - (int)strlen("/beacon");
		memset(dir, 'a', n);
		dir[n] = '\0';
		snprintf(path, sizeof(path), "/tmp/c2w-lp/%s/beacon", dir);
		ASSERT_EQ(len, (int)strlen(path));
		ASSERT_EQ(0, install(BEACON, path));
		ASSERT_EQ(0, load_kql(self->fd, "lp",
				      "process.executable:/tmp/c2w-lp/*",
				      C2W_NT_EXECUTABLE |
				      C2W_NT_DESTINATION_IP, 0));
		ASSERT_EQ(0, stepper_start_pinned(&s, path, "udp", "1.1.1.1",
						  "443"));
		step_new_then_known(_metadata, self->fd, &self->rl, &s);
		ASSERT_EQ(0, step(&s, 'd'));
		EXPECT_EQ(0, stepper_stop(&s));
		ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
		EXPECT_STREQ(path, c2w_alert_exe_at(nth_alert(&self->rl, 0)));
		EXPECT_EQ(0, unlink(path));
	}
}

/*
 * The evaluation in full of the process image of its CPU's last match
 * takes what the rules said of its executable from that match, and its
 * path from the copy kept with it, only while nothing the path is made of
 * changed: renamed from where one rule watches to where another does, the
 * next attempt is that other rule's, alerted with the new path, and the
 * first rule's no longer match.
 */
TEST_F(ec, rename_between_two_rules_is_seen_by_the_last_match)
{
	struct c2w_stats a, b;
	struct stepper s;

	/* /opt and /var/tmp: one filesystem, for the rename. */
	ASSERT_EQ(0, var_tmp());
	ASSERT_EQ(0, install(BEACON, "/opt/c2w-rr/beacon"));
	ASSERT_EQ(0, load_kql2(self->fd, "process.executable:/opt/c2w-rr/* "
			       "and destination.port:443", "rr",
			       "process.executable:/var/tmp/c2w-rr/* and "
			       "destination.port:444"));
	ASSERT_EQ(0, stepper_start_pinned(&s, "/opt/c2w-rr/beacon", "udp",
					  "1.1.1.1", "443"));
	step_new_then_known(_metadata, self->fd, &self->rl, &s);
	ASSERT_EQ(0, rename("/opt/c2w-rr", "/var/tmp/c2w-rr"));
	a = stats(self->fd);
	ASSERT_EQ(0, step(&s, 'n'));
	b = stats(self->fd);
	EXPECT_EQ(1, DELTA(b, a, alerted));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_STREQ("rr", (char *)nth_alert(&self->rl, 0)->rule_id);
	EXPECT_STREQ("/var/tmp/c2w-rr/beacon",
		     c2w_alert_exe_at(nth_alert(&self->rl, 0)));
	/* Its port to the first rule: that rule no longer watches it. */
	ASSERT_EQ(0, step(&s, 'a'));
	a = stats(self->fd);
	EXPECT_EQ(1, DELTA(a, b, excluded));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_EQ(0, stepper_stop(&s));
	EXPECT_EQ(0, rename("/var/tmp/c2w-rr", "/opt/c2w-rr"));
}

/*
 * A cached trusted program, then rules that watch it: what the old rules
 * said of the executable (the memo) is kept under their generation, so
 * the reload applies at once.
 */
TEST_F(ec, rule_reload_applies_to_a_cached_process)
{
	struct stepper s;

	ASSERT_EQ(0, install(BEACON, "/opt/c2w-rl/tool"));
	ASSERT_EQ(0, stepper_start(&s, "/opt/c2w-rl/tool", "tcp", "1.1.1.1",
				   "443", NULL, NULL));
	TWO_STEPS_CACHED(&s);
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, load_kql(self->fd, "opt",
			      "process.executable:/opt/c2w-rl/*",
			      C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_EQ(0, stepper_stop(&s));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_STREQ("/opt/c2w-rl/tool",
		     c2w_alert_exe_at(nth_alert(&self->rl, 0)));
}

/*
 * A process in a mount namespace of its own, judged from the cache: its
 * own view (a bind mount over a trusted path) is still in the alert.
 */
TEST_F(ec, namespace_view_survives_the_cache)
{
	const char *tool = "/usr/local/bin/c2w-ec-tool";
	struct stepper s;
	struct c2w_alert *a;
	uint32_t len;
	uint64_t h;

	ASSERT_EQ(0, install(BEACON, "/tmp/.c2w-ec/impl"));
	ASSERT_EQ(0, install(BEACON, tool));
	ASSERT_EQ(0, stepper_start(&s, tool, "tcp", "1.1.1.1", "443", NULL,
				   "/tmp/.c2w-ec/impl"));
	ASSERT_EQ(0, step(&s, 'a'));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	h = cache_hits(self->fd);
	ASSERT_EQ(0, step(&s, 'a'));
	EXPECT_LT(h, cache_hits(self->fd));
	EXPECT_EQ(0, stepper_stop(&s));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/.c2w-ec/impl", c2w_alert_exe_at(a));
	EXPECT_TRUE(a->flags & C2W_AF_MNTNS);
	ASSERT_NE(NULL, c2w_alert_ns_exe(a, &len));
	EXPECT_STREQ(tool, c2w_alert_ns_exe(a, &len));
}

/*
 * Short-lived processes, alternately trusted and suspicious: exec makes a
 * new process image every time, and an exited one's entry (its mm pinned)
 * can never stand for the next one.
 */
TEST_F(ec, every_new_image_is_judged_afresh)
{
	char path[64];
	int alerts = 0;
	uint64_t h = cache_hits(self->fd);

	ASSERT_EQ(0, install(BEACON, "/opt/c2w-ec/t"));
	for (int i = 0; i < 12; i++) {
		char *argv[] = { path, "-n", "3", "1.1.1.1", "443", NULL };

		snprintf(path, sizeof(path), "/opt/c2w-ec/t");
		ASSERT_EQ(0, run(path, argv));
		snprintf(path, sizeof(path), "/tmp/c2w-ec/s%d", i);
		ASSERT_EQ(0, install(BEACON, path));
		ASSERT_EQ(0, run(path, argv));
	}
	/* Each image's second and third attempts: from its own entry. */
	EXPECT_LE(h + 24, cache_hits(self->fd));
	rl_free(&self->rl);
	ASSERT_EQ(0, collect(self->fd, &self->rl, 200));
	for (int i = 0; i < 12; i++) {
		struct c2w_alert *a = nth_alert(&self->rl, i);

		ASSERT_NE(NULL, a);
		snprintf(path, sizeof(path), "/tmp/c2w-ec/s%d", i);
		EXPECT_STREQ(path, c2w_alert_exe_at(a));
		alerts++;
	}
	EXPECT_EQ(12, self->rl.alerts);
	EXPECT_EQ(12, alerts);
}

/*
 * A process that connects as itself (cached), then swaps its executable
 * for /usr/bin/curl (prctl) and connects again: judged by the original,
 * flagged, not by a stale entry. Every match alerts (no new terms).
 */
TEST_F(ec, swap_after_caching_is_seen)
{
	char *args[] = { "/tmp/.c2w-ec/swap", "-b", "/usr/bin/curl", "1.1.1.1",
			 "443", NULL };
	struct c2w_alert *a;

	ASSERT_EQ(0, install(BEACON, "/usr/bin/curl"));
	ASSERT_EQ(0, install("/c2w/c2w-exeswap", args[0]));
	ASSERT_EQ(0, load_kql(self->fd, "every",
			      "process.executable:/tmp/* and destination.ip:1.1.1.1",
			      0, 0));
	ASSERT_EQ(0, run(args[0], args));
	ASSERT_EQ(2, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ(args[0], c2w_alert_exe_at(a));
	EXPECT_EQ(0, a->flags & C2W_AF_EXE_REPLACED);
	a = nth_alert(&self->rl, 1);
	EXPECT_STREQ(args[0], c2w_alert_exe_at(a));
	EXPECT_EQ(C2W_AF_EXE_REPLACED, a->flags & C2W_AF_EXE_REPLACED);
}

/* exe_cache=0: no cache at all, the same verdicts; out of range refused. */
TEST(cache_can_be_switched_off)
{
	char *sus[] = { "/tmp/c2w-ec/off", "-n", "10", "1.1.1.1", "443",
			NULL };
	struct c2w_stats st = {};
	struct rec_list rl = {};
	int fd;

	NEED_DEVICE();
	EXPECT_NE(0, reload_module("exe_cache=65537"));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, reload_module("exe_cache=0"));
	fd = open(C2W_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && !load_seed(fd) && !install(BEACON, sus[0]) &&
	    !run(sus[0], sus) && !collect(fd, &rl, 200) &&
	    !ioctl(fd, C2W_IOC_GET_STATS, &st)) {
		EXPECT_EQ(1, rl.alerts);
		EXPECT_EQ(0, st.exe_cache_hits);
		EXPECT_EQ(0, st.exe_cache_live);
		EXPECT_LE(10, st.evaluated);
	} else {
		EXPECT_TRUE(false) TH_LOG("setup failed with exe_cache=0");
	}
	rl_free(&rl);
	if (fd >= 0)
		close(fd);
	/* Back to the defaults whatever happened above. */
	ASSERT_EQ(0, reload_module(""));
}

TEST_HARNESS_MAIN
