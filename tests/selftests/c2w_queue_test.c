// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests that reload the module: a full queue must produce a lost-records
 * record with the right count, and unloading while connections are being
 * made in a loop must be clean. They run without the device open.
 */
#include <signal.h>

#include "kselftest_harness.h"
#include "c2w_test.h"

#define FLOOD 600

TEST(full_queue_reports_lost_records)
{
	struct rec_list rl;
	struct c2w_stats st;
	char *args[] = { "/tmp/flood", "-n", "600", "1.1.1.1", "80", NULL };
	uint64_t prev_seq = 0, gaps = 0;
	int fd, seen_lost_at = -1, i = 0;

	NEED_DEVICE();
	/* One uid fills the queue only without per-uid shares. */
	ASSERT_EQ(0, reload_module("queue_size=65536 uid_share=100"));
	fd = open(C2W_DEV, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* A query rule: every match alerts, nothing is suppressed. */
	ASSERT_EQ(0, load_kql(fd, "flood", "process.executable:/tmp/flood", 0,
			      0));
	ASSERT_EQ(0, collect(fd, &rl, 50));
	ASSERT_EQ(2, rl.config);	/* this reader's attach, the rules */
	rl_free(&rl);

	ASSERT_EQ(0, install(BEACON, args[0]));
	ASSERT_EQ(0, run(args[0], args));
	ASSERT_EQ(0, collect(fd, &rl, 300));
	EXPECT_LT(100, rl.alerts);
	EXPECT_GT(FLOOD, rl.alerts);
	EXPECT_EQ(1, rl.lost);
	EXPECT_EQ(FLOOD, rl.alerts + rl.lost_count);
	/* Sequence numbers: the gap before the lost record is its count. */
	for (size_t off = 0; off < rl.len; i++) {
		struct c2w_record_hdr *h = (void *)(rl.buf + off);

		if (prev_seq && h->seq != prev_seq + 1)
			gaps += h->seq - prev_seq - 1;
		if (h->type == C2W_REC_LOST)
			seen_lost_at = i;
		prev_seq = h->seq;
		off += h->size;
	}
	EXPECT_EQ(rl.lost_count, gaps);
	EXPECT_EQ(rl.n - 1, seen_lost_at);	/* after the queued alerts */
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_STATS, &st));
	EXPECT_EQ(rl.lost_count, st.records_dropped);
	EXPECT_EQ(st.records_queued, st.records_read);
	EXPECT_EQ(FLOOD, st.alerted + st.dropped_alerts);
	rl_free(&rl);

	/* The queue works again afterwards. */
	ASSERT_EQ(0, run(args[0], (char *[]){ args[0], "1.1.1.1", "80", NULL }));
	ASSERT_EQ(0, collect(fd, &rl, 200));
	EXPECT_EQ(1, rl.alerts);
	EXPECT_EQ(0, rl.lost);
	rl_free(&rl);
	close(fd);
	ASSERT_EQ(0, reload_module(""));
}

TEST(unload_while_connecting)
{
	char *args[] = { "/tmp/loop", "-n", "1000000", "1.1.1.1", "80", NULL };
	pid_t pids[2];
	int fd;

	NEED_DEVICE();
	fd = open(C2W_DEV, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, load_seed(fd));
	close(fd);
	ASSERT_EQ(0, install(BEACON, args[0]));
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			execv(args[0], args);
			_exit(127);
		}
	}
	for (int round = 0; round < 5; round++) {
		usleep(200000);
		ASSERT_EQ(0, syscall(SYS_delete_module, "c2watch", O_NONBLOCK));
		usleep(50000);
		ASSERT_EQ(0, reload_module(""));
		fd = open(C2W_DEV, O_WRONLY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, load_seed(fd));
		close(fd);
	}
	for (int i = 0; i < 2; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

TEST_HARNESS_MAIN
