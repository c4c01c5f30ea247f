// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests for the /dev/c2watch device itself: node, permissions, version
 * ioctl, unknown ioctls and module unload with and without an open fd.
 * Runs as root inside the test VM; skips when the module is not loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/c2watch.h>

#include "kselftest_harness.h"
#include "c2w_test.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(C2W_DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		NEED_DEVICE_FIXTURE();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(dev, node_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(C2W_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
}

TEST_F(dev, version)
{
	struct c2w_version v;

	memset(&v, 0xcc, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_VERSION, &v));
	EXPECT_EQ(C2W_UAPI_VERSION, v.uapi_version);
	EXPECT_EQ(0, v.reserved);
	/* NUL-terminated, and nothing but zeroes after the string. */
	ASSERT_NE(NULL, memchr(v.module_version, 0, sizeof(v.module_version)));
	EXPECT_LT(0, strlen((char *)v.module_version));
	for (size_t i = strlen((char *)v.module_version);
	     i < sizeof(v.module_version); i++)
		EXPECT_EQ(0, v.module_version[i]);
}

TEST_F(dev, version_bad_pointer)
{
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_GET_VERSION, (void *)16));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, unknown_ioctl_is_enotty)
{
	char buf[64];

	memset(buf, 0xcc, sizeof(buf));
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(C2W_IOC_MAGIC, 0x7f, buf), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO('x', 1)));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong size: a different command. */
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(_IOC_READ, C2W_IOC_MAGIC, 0,
					   sizeof(struct c2w_version) + 8), buf));
	EXPECT_EQ(ENOTTY, errno);
	/* Poisoned buffer untouched by rejected commands. */
	for (size_t i = 0; i < sizeof(buf); i++)
		ASSERT_EQ((char)0xcc, buf[i]);
}

TEST(unprivileged_open_refused)
{
	pid_t pid;
	int status;

	NEED_DEVICE();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(3);
		fd = open(C2W_DEV, O_RDONLY);
		if (fd >= 0)
			_exit(1);
		_exit(errno == EACCES ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * With an fd open the module holds a reference: unload is refused. Once it
 * is closed the unload succeeds, the node goes away, and the module can be
 * loaded again (for the tests that follow).
 */
TEST(unload_refused_while_open_then_clean)
{
	const char *ko = getenv("C2W_KO");
	int fd, kofd;

	NEED_DEVICE();
	if (!ko)
		SKIP(return, "C2W_KO not set");
	fd = open(C2W_DEV, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, syscall(SYS_delete_module, "c2watch", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(0, close(fd));

	ASSERT_EQ(0, syscall(SYS_delete_module, "c2watch", O_NONBLOCK));
	EXPECT_EQ(-1, access(C2W_DEV, F_OK));
	EXPECT_EQ(-1, access("/sys/module/c2watch", F_OK));

	kofd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, kofd);
	ASSERT_EQ(0, syscall(SYS_finit_module, kofd, "", 0));
	close(kofd);
	EXPECT_EQ(0, access(C2W_DEV, F_OK));
}

/* Bad parameters stop the load with EINVAL, saying why; none is rounded. */
TEST(module_parameters_are_validated)
{
	static const char *const bad[] = {
		"queue_size=100000",		/* not a power of two */
		"queue_size=4096",		/* below 64 KiB */
		"seen_capacity=0",
		"default_window=0",
		"default_window=400000000",	/* over ten years */
		"seen_max_bytes=0",		/* nothing would fit */
		"queue_size=8388608",		/* more than kmalloc gives */
	};

	NEED_DEVICE();
	if (!getenv("C2W_KO"))
		SKIP(return, "C2W_KO not set");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, reload_module(bad[i])) TH_LOG("%s loaded", bad[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("%s", bad[i]);
		EXPECT_NE(0, access(C2W_DEV, F_OK));
	}
	/* And good ones load. */
	ASSERT_EQ(0, reload_module("queue_size=131072 seen_capacity=1000"));
	ASSERT_EQ(0, reload_module(""));
	EXPECT_EQ(0, access(C2W_DEV, F_OK));
}

TEST_HARNESS_MAIN
