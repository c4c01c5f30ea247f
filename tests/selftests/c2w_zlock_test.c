// SPDX-License-Identifier: GPL-2.0
/*
 * C2W_IOC_LOCK: after it no configuration change and no unload until
 * reboot: rules, settings, seen-set import, forget and clear, sending the
 * reader away, the writable module parameter, unload. Irreversible, so the
 * VM job runs this test last.
 */
#include <signal.h>

#include "kselftest_harness.h"
#include "c2w_test.h"

TEST(lock_blocks_configuration_and_unload)
{
	const char *implant = "/tmp/.pre/seeded";
	struct seen_one rec;
	struct c2w_seen_forget f;
	struct c2w_buf b;
	struct c2w_config c;
	char *out = NULL;
	int fd;

	NEED_DEVICE();
	if (!getenv("C2W_LOCK_OK"))
		SKIP(return, "set C2W_LOCK_OK=1: locking is irreversible");
	fd = open(C2W_DEV, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, load_seed(fd));
	/* Writable before the lock, as a positive control. */
	ASSERT_EQ(0, set_param("seen_max_bytes", "67108864"));
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_LOCK));
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_LOCK));	/* idempotent */
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_CONFIG, &c));
	EXPECT_EQ(1, c.locked);
	EXPECT_EQ(-1, load_seed(fd));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(fd, C2W_IOC_SEEN_CLEAR));
	EXPECT_EQ(EPERM, errno);
	memset(&c, 0, sizeof(c));
	c.mask = C2W_CONFIG_ENABLED;
	c.enabled = 0;
	EXPECT_EQ(-1, ioctl(fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(EPERM, errno);
	/* Pre-seeding an implant's path, so that it never alerts: refused. */
	seen_one(&rec, &b, implant);
	EXPECT_EQ(-1, ioctl(fd, C2W_IOC_SEEN_IMPORT, &b));
	EXPECT_EQ(EPERM, errno);
	memset(&f, 0, sizeof(f));
	f.key = (uintptr_t)"/tmp/locked";
	f.key_len = strlen("/tmp/locked");
	EXPECT_EQ(-1, ioctl(fd, C2W_IOC_SEEN_FORGET, &f));
	EXPECT_EQ(EPERM, errno);
	/* Nobody may send the reader away. */
	EXPECT_EQ(-1, ioctl(fd, C2W_IOC_DETACH_READER));
	EXPECT_EQ(EPERM, errno);
	/* Nor change the memory budget through sysfs. */
	EXPECT_EQ(EPERM, set_param("seen_max_bytes", "4096"));
	close(fd);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "c2watch", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_NE(0, run_capture((char *[]){ CTL, "unload", NULL }, &out, true));
	EXPECT_EQ(0, access(C2W_DEV, F_OK));
	free(out);
	/* Detection goes on. */
	fd = open(C2W_DEV, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	{
		struct rec_list rl;

		ASSERT_EQ(0, collect(fd, &rl, 50));
		rl_free(&rl);
		ASSERT_EQ(0, beacon_at("/tmp/locked", "tcp", "1.1.1.1", "80"));
		ASSERT_EQ(0, collect(fd, &rl, 200));
		EXPECT_EQ(1, rl.alerts);
		rl_free(&rl);
		/* The path the import tried to pre-seed still alerts. */
		ASSERT_EQ(0, beacon_at(implant, "tcp", "1.1.1.1", "80"));
		ASSERT_EQ(0, collect(fd, &rl, 200));
		EXPECT_EQ(1, rl.alerts);
		rl_free(&rl);
	}
	close(fd);

	/*
	 * The daemon attaching to a locked module (a restart after lock):
	 * its rules are refused, it says so and keeps the module's, and it
	 * still writes the alerts.
	 */
	{
		pid_t pid = fork();
		int st, found = 0;

		if (!pid) {
			int log = open("/tmp/zl.log", O_WRONLY | O_CREAT |
				       O_TRUNC, 0600);

			dup2(log, 2);
			execv("/c2w/c2watchd", (char *[]){ "/c2w/c2watchd",
			      "-f", "-r", "/c2w/rules", "-o", "/tmp/zl.ndjson",
			      "-s", "/tmp/zl.state", NULL });
			_exit(127);
		}
		sleep_ms(1500);
		ASSERT_EQ(0, beacon_at("/tmp/.zl/x", "tcp", "1.1.1.1", "443"));
		out = NULL;
		for (int i = 0; i < 50 && !found; i++) {
			free(out);
			out = NULL;
			run_capture((char *[]){ "/bin/cat", "/tmp/zl.ndjson",
				    NULL }, &out, false);
			found = strstr(out, "\"executable\":\"/tmp/.zl/x\"") != NULL;
			sleep_ms(100);
		}
		EXPECT_TRUE(found);
		free(out);
		kill(pid, SIGTERM);
		EXPECT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		run_capture((char *[]){ "/bin/cat", "/tmp/zl.log", NULL }, &out,
			    false);
		EXPECT_NE(NULL, strstr(out, "configuration locked: keeping the module's rules"))
			TH_LOG("%s", out);
		free(out);
	}
}

TEST_HARNESS_MAIN
