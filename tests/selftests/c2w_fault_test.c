// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection (debug kernel with failslab): allocations in ruleset
 * loads, seen-set inserts, the record queue's consumers and netlink fail at
 * random. Errors must be returned or counted, nothing may crash or leak
 * (kmemleak is checked by the VM job after rmmod), and detection must fail
 * open: every matching attempt ends as an alert, queued or counted dropped.
 */
#include <signal.h>

#include "kselftest_harness.h"
#include "c2w_test.h"

#define FS "/sys/kernel/debug/failslab/"

static long get(const char *file)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), FS "%s", file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int put(const char *file, const char *val)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), FS "%s", file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(val, f);
	return fclose(f);
}

/* Retried: with failures on, opening the file may itself fail. */
static void make_it_fail(int on)
{
	for (int i = 0; i < 1000; i++) {
		int fd = open("/proc/self/make-it-fail", O_WRONLY);

		if (fd >= 0 && write(fd, on ? "1" : "0", 1) == 1) {
			close(fd);
			return;
		}
		if (fd >= 0)
			close(fd);
	}
}

FIXTURE(fault) {
	int unused;
};

FIXTURE_SETUP(fault)
{
	NEED_DEVICE_FIXTURE();
	if (access(FS "probability", W_OK))
		SKIP_FIXTURE("no failslab (needs the debug kernel)");
	/* Only tasks that opt in fail; sleeping allocations too. */
	ASSERT_EQ(0, put("task-filter", "Y"));
	ASSERT_EQ(0, put("ignore-gfp-wait", "N"));
	ASSERT_EQ(0, put("probability", "25"));
	ASSERT_EQ(0, put("interval", "1"));
	/* A budget, not -1: what is left of it says how many were injected. */
	ASSERT_EQ(0, put("times", "1000000"));
	ASSERT_EQ(0, put("verbose", "0"));
}

FIXTURE_TEARDOWN(fault)
{
	put("probability", "0");
}

TEST_F_TIMEOUT(fault, allocation_failures_fail_open, 900)
{
	struct c2w_stats before, after;
	struct rec_list rl;
	pid_t w;
	int fd, rfd, load_ok = 0, load_enomem = 0, n = 0, ran = 0, st;
	long injected;

	fd = open(C2W_DEV, O_WRONLY);
	ASSERT_LE(0, fd);
	rfd = open(C2W_DEV, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, load_seed(fd));
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SEEN_CLEAR));
	ASSERT_EQ(0, collect(rfd, &rl, 100));
	rl_free(&rl);

	/* Ruleset loads under failing allocations: 0 or ENOMEM, nothing else. */
	make_it_fail(1);
	for (int i = 0; i < 50; i++) {
		if (!load_seed(fd))
			load_ok++;
		else if (errno == ENOMEM)
			load_enomem++;
	}
	make_it_fail(0);
	printf("# ruleset loads: %d ok, %d ENOMEM\n", load_ok, load_enomem);
	EXPECT_EQ(50, load_ok + load_enomem);
	/* Faults were really injected, and refused loads said ENOMEM. */
	EXPECT_LT(0, load_enomem);

	/* A watcher, so that netlink messages are built (and fail). */
	w = fork();
	if (!w) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(CTL, (char *[]){ CTL, "watch", NULL });
		_exit(127);
	}
	sleep_ms(500);
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_STATS, &before));
	ASSERT_EQ(0, install(BEACON, "/tmp/fault/b0"));
	/*
	 * At least 60 beacons, and on until each kind of failure this test
	 * asserts on has happened: which allocation fails is random, and 60
	 * attempts have seen no seen-set insert fail (about 10% of inserts
	 * fail, and only some beacons get that far).
	 */
	for (int i = 0; i < 600; i++) {
		struct c2w_stats now;
		char path[64];

		if (i >= 60) {
			ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_STATS, &now));
			if (now.seen_full > before.seen_full &&
			    now.netlink_failed > before.netlink_failed)
				break;
		}

		snprintf(path, sizeof(path), "/tmp/fault/b%d", i);
		if (i)
			link("/tmp/fault/b0", path);
		/*
		 * Distinct executables, each connecting once. 0: connected;
		 * 1: an attempt failed with an allocation error of its own
		 * (its socket, say), and said so. Anything else (a signal,
		 * exec failing) is a failure of the test.
		 */
		st = run(path, (char *[]){ path, "-f", "1.1.1.1", "80", NULL });
		EXPECT_TRUE(st == 0 || st == 1) TH_LOG("%s exited %d", path, st);
		ran += st == 0;
		n++;
	}
	injected = 1000000 - get("times");
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_STATS, &after));
	kill(w, SIGINT);
	waitpid(w, NULL, 0);
	ASSERT_EQ(0, collect(rfd, &rl, 300));
	printf("# %d attempts: matched %llu, alerted %llu, dropped %llu, suppressed %llu, seen-full %llu, netlink failed %llu, %d alerts read\n",
	       n, (unsigned long long)(after.matched - before.matched),
	       (unsigned long long)(after.alerted - before.alerted),
	       (unsigned long long)(after.dropped_alerts - before.dropped_alerts),
	       (unsigned long long)(after.suppressed - before.suppressed),
	       (unsigned long long)(after.seen_full - before.seen_full),
	       (unsigned long long)(after.netlink_failed - before.netlink_failed),
	       rl.alerts);
	printf("# %ld allocations failed on purpose; %d of %d beacons connected\n",
	       injected, ran, n);
	/* Faults were injected where it matters, and each kind counted. */
	EXPECT_LT(0, injected);
	EXPECT_LT(0, ran);
	EXPECT_LT(0, after.seen_full - before.seen_full);	/* seen inserts */
	EXPECT_LT(0, after.netlink_failed - before.netlink_failed);
	/* Fail open: every match is an alert, queued or counted dropped. */
	EXPECT_LT(0, after.matched - before.matched);
	EXPECT_EQ(after.matched - before.matched,
		  (after.alerted - before.alerted) +
		  (after.dropped_alerts - before.dropped_alerts));
	EXPECT_EQ(0, after.suppressed - before.suppressed);
	EXPECT_EQ(after.alerted - before.alerted, (uint64_t)rl.alerts);
	rl_free(&rl);

	/* Faults off: everything works as before. */
	put("probability", "0");
	ASSERT_EQ(0, load_seed(fd));
	ASSERT_EQ(0, beacon_at("/tmp/fault/after", "tcp", "1.1.1.1", "80"));
	ASSERT_EQ(0, collect(rfd, &rl, 300));
	EXPECT_EQ(1, rl.alerts);
	rl_free(&rl);
	close(rfd);
	close(fd);
}

TEST_HARNESS_MAIN
