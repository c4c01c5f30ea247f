// SPDX-License-Identifier: GPL-2.0
/*
 * C2W_IOC_LOCK: after it no configuration change and no unload until
 * reboot. Irreversible, so the VM job runs this test last.
 */
#include "kselftest_harness.h"
#include "c2w_test.h"

TEST(lock_blocks_configuration_and_unload)
{
	struct c2w_config c;
	int fd;

	if (access(C2W_DEV, F_OK))
		SKIP(return, "c2watch module not loaded");
	if (!getenv("C2W_LOCK_OK"))
		SKIP(return, "set C2W_LOCK_OK=1: locking is irreversible");
	fd = open(C2W_DEV, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, load_seed(fd));
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
	c.enabled = 0;
	EXPECT_EQ(-1, ioctl(fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(EPERM, errno);
	close(fd);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "c2watch", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
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
	}
	close(fd);
}

TEST_HARNESS_MAIN
