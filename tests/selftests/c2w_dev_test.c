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

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
 * Reading the stream needs CAP_SYS_ADMIN whatever the node's mode (it shows
 * every user's activity); each reader's attach and detach is a record that
 * names the process: pid, uid, comm and executable.
 */
TEST(reader_needs_cap_sys_admin_and_is_recorded)
{
	char self_exe[C2W_PATH_MAX];
	int seen_attach = 0, seen_detach = 0;
	struct rec_list rl;
	pid_t pid;
	int status, fd;
	ssize_t n;

	NEED_DEVICE();
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	ASSERT_LT(0, n);
	self_exe[n] = '\0';
	ASSERT_EQ(0, chmod(C2W_DEV, 0666));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(3);
		fd = open(C2W_DEV, O_RDONLY);
		if (fd >= 0)
			_exit(1);
		if (errno != EPERM)
			_exit(2);
		/* Configuration-only opens are not the stream. */
		fd = open(C2W_DEV, O_WRONLY);
		_exit(fd >= 0 ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, chmod(C2W_DEV, 0600));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/* Another root process attaches and leaves. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		fd = open(C2W_DEV, O_RDONLY);
		_exit(fd >= 0 && !close(fd) ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	fd = open(C2W_DEV, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, collect(fd, &rl, 100));
	for (size_t off = 0; off < rl.len;) {
		struct c2w_config_rec *c = (void *)(rl.buf + off);

		off += c->hdr.size;
		if (c->hdr.type != C2W_REC_CONFIG || c->pid != (uint32_t)pid)
			continue;
		ASSERT_LT(c->exe_off + c->exe_len, c->hdr.size);
		EXPECT_STREQ(self_exe, (char *)c + c->exe_off);
		EXPECT_EQ(0, c->uid);
		if (c->what == C2W_CFG_READER_ATTACHED)
			seen_attach++;
		if (c->what == C2W_CFG_READER_DETACHED)
			seen_detach++;
	}
	EXPECT_EQ(1, seen_attach);
	EXPECT_EQ(1, seen_detach);
	rl_free(&rl);
	close(fd);
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

/*
 * A kretprobe instance is held from a connect's entry to its return; when
 * none is free the attempt is never evaluated. With one instance per hook
 * and connects racing on every CPU some are missed: each second's misses
 * become a record, as many as the counter says.
 */
FIXTURE(miss) {
	int unused;
};

FIXTURE_SETUP(miss)
{
}

FIXTURE_TEARDOWN(miss)
{
	/* Whatever happened, the probes are armed again for what follows. */
	int efd = open("/sys/kernel/debug/kprobes/enabled", O_WRONLY);

	if (efd >= 0) {
		if (write(efd, "1", 1) != 1)
			perror("kprobes/enabled");
		close(efd);
	}
}

TEST_F_TIMEOUT(miss, probe_misses_are_reported, 600)
{
	struct c2w_stats st;
	struct rec_list rl;
	int fd, rounds;

	NEED_DEVICE();
	if (!getenv("C2W_KO"))
		SKIP(return, "C2W_KO not set");
	ASSERT_EQ(0, reload_module("probe_instances=1"));
	fd = open(C2W_DEV, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	for (rounds = 0; rounds < 20; rounds++) {
		pid_t kids[4];

		for (int k = 0; k < 4; k++) {
			kids[k] = fork();
			if (!kids[k]) {
				struct sockaddr_in sin = {
					.sin_family = AF_INET,
					.sin_port = htons(9),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				};

				for (int i = 0; i < 500; i++) {
					int s = socket(AF_INET, SOCK_STREAM, 0);

					connect(s, (void *)&sin, sizeof(sin));
					close(s);
				}
				_exit(0);
			}
		}
		for (int k = 0; k < 4; k++)
			waitpid(kids[k], NULL, 0);
		ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_STATS, &st));
		if (st.missed)
			break;
	}
	printf("# %d rounds of 2000 racing connects: %llu missed\n",
	       rounds + 1, (unsigned long long)st.missed);
	ASSERT_LT(0, st.missed);
	/* Reported within a second or two, every miss counted. */
	sleep_ms(2500);
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_STATS, &st));
	ASSERT_EQ(0, collect(fd, &rl, 200));
	EXPECT_LT(0, rl.missed);
	EXPECT_EQ(st.missed, rl.missed_count);
	rl_free(&rl);
	close(fd);
	ASSERT_EQ(0, reload_module(""));
}

/* The value of the last PROBES_DISARMED record in @rl, -1 if none. */
static int last_disarmed(struct rec_list *rl)
{
	int v = -1;

	for (size_t off = 0; off < rl->len;) {
		struct c2w_config_rec *c = (void *)(rl->buf + off);

		off += c->hdr.size;
		if (c->hdr.type == C2W_REC_CONFIG &&
		    c->what == C2W_CFG_PROBES_DISARMED)
			v = (int)c->value;
	}
	return v;
}

/*
 * Disarming every kprobe (debugfs) is a root's way to blind c2watch without
 * unloading it: the module's heartbeat notices within a second or two and
 * says so in the stream, and again when the probes fire again.
 */
TEST_F_TIMEOUT(miss, disarmed_probes_are_recorded, 120)
{
	const char *en = "/sys/kernel/debug/kprobes/enabled";
	struct rec_list rl;
	int fd, efd;

	NEED_DEVICE();
	efd = open(en, O_WRONLY);
	if (efd < 0)
		SKIP(return, "no %s", en);
	fd = open(C2W_DEV, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, collect(fd, &rl, 50));
	rl_free(&rl);
	ASSERT_EQ(1, write(efd, "0", 1));
	sleep_ms(4000);		/* two silent heartbeats, a second apart */
	ASSERT_EQ(0, collect(fd, &rl, 100));
	EXPECT_EQ(1, last_disarmed(&rl));
	rl_free(&rl);
	ASSERT_EQ(1, pwrite(efd, "1", 1, 0));
	sleep_ms(2500);
	ASSERT_EQ(0, collect(fd, &rl, 100));
	EXPECT_EQ(0, last_disarmed(&rl));
	rl_free(&rl);
	close(efd);
	close(fd);
}

TEST_HARNESS_MAIN

/* The uid-over records of @rl: how many, and their sums. */
static int uid_overs(struct rec_list *rl, uint32_t uid, uint64_t *seen,
		     uint64_t *queued, char *sample, size_t len)
{
	int n = 0;

	*seen = *queued = 0;
	for (size_t off = 0; off < rl->len;) {
		struct c2w_record_hdr *h = (void *)(rl->buf + off);

		if (h->type == C2W_REC_UID_OVER) {
			struct c2w_uid_over *o = (void *)h;

			if (o->uid == uid) {
				n++;
				*seen += o->seen;
				*queued += o->queued;
				snprintf(sample, len, "%.*s", (int)o->sample_len,
					 (char *)o + o->sample_off);
			}
		}
		off += h->size;
	}
	return n;
}

/* Alert records of @rl from @uid. */
static int alerts_of(struct rec_list *rl, uint32_t uid)
{
	int n = 0;

	for (int i = 0; nth_alert(rl, i); i++)
		n += nth_alert(rl, i)->uid == uid;
	return n;
}

/*
 * One uid cannot blind the others through the seen set: with capacity 40
 * and uid_share 25, nobody's 15 new programs in /tmp take 10 entries and
 * alert 10 times; the other 5 are summarised (count, a sample), not
 * alerted; root's implant then alerts once and is remembered, where a full
 * set would have failed open on every attempt.
 */
TEST(one_uid_cannot_fill_the_seen_set)
{
	char sample[300] = "", path[64];
	uint64_t seen, queued;
	struct c2w_stats st;
	struct rec_list rl;
	int fd;

	NEED_DEVICE();
	if (!getenv("C2W_KO"))
		SKIP(return, "C2W_KO not set");
	ASSERT_EQ(0, reload_module("seen_capacity=40 uid_share=25"));
	fd = open(C2W_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, load_seed(fd));
	for (int i = 0; i < 15; i++) {
		char *args[] = { path, "1.1.1.1", "443", NULL };

		snprintf(path, sizeof(path), "/tmp/.flood/p%02d", i);
		ASSERT_EQ(0, install(BEACON, path));
		ASSERT_EQ(0, run_as_nobody(args));
	}
	sleep_ms(1500);		/* the summaries go out once a second */
	ASSERT_EQ(0, collect(fd, &rl, 300));
	EXPECT_EQ(10, alerts_of(&rl, 65534));
	EXPECT_LE(1, uid_overs(&rl, 65534, &seen, &queued, sample,
			       sizeof(sample)));
	EXPECT_EQ(5, seen);
	EXPECT_EQ(0, queued);
	EXPECT_EQ(0, strncmp(sample, "/tmp/.flood/p", 13)) TH_LOG("%s", sample);
	rl_free(&rl);

	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, beacon_at("/tmp/.root/impl", "tcp", "1.1.1.1",
				       "443"));
		ASSERT_EQ(0, collect(fd, &rl, 300));
		EXPECT_EQ(i ? 0 : 1, alerts_of(&rl, 0));
		if (!i && nth_alert(&rl, 0))
			EXPECT_EQ(0, nth_alert(&rl, 0)->flags &
				     C2W_AF_SEEN_FULL);
		rl_free(&rl);
	}
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_STATS, &st));
	EXPECT_EQ(5, st.uid_over);
	EXPECT_EQ(0, st.seen_full);
	EXPECT_EQ(11, st.seen_entries);
	close(fd);
	ASSERT_EQ(0, reload_module(""));
}

/*
 * Nor through the queue: a rule that alerts on every attempt, nobody's
 * program making 200 of them while the reader is stalled. Its alerts stop
 * at its quarter of the 64 KiB queue and the rest is summarised; root's
 * alert after it (the same rule) is queued, and nothing is lost.
 */
TEST(one_uid_cannot_fill_the_queue)
{
	char *args[] = { "/tmp/.qflood/q", "-n", "200", "1.1.1.1", "80", NULL };
	char *root[] = { "/tmp/.qflood/root", "1.1.1.1", "80", NULL };
	char sample[300] = "";
	uint64_t seen, queued;
	struct rec_list rl;
	int fd, mine;

	NEED_DEVICE();
	if (!getenv("C2W_KO"))
		SKIP(return, "C2W_KO not set");
	ASSERT_EQ(0, reload_module("queue_size=65536 uid_share=25"));
	fd = open(C2W_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, load_seed(fd));
	ASSERT_EQ(0, load_kql(fd, "every", "process.executable:/tmp/.qflood/*",
			      0, 0));
	ASSERT_EQ(0, install(BEACON, args[0]));
	ASSERT_EQ(0, run_as_nobody(args));
	ASSERT_EQ(0, install(BEACON, root[0]));
	ASSERT_EQ(0, run(root[0], root));
	sleep_ms(1500);
	ASSERT_EQ(0, collect(fd, &rl, 300));
	mine = alerts_of(&rl, 65534);
	EXPECT_LT(0, mine);
	EXPECT_GT(200, mine);
	EXPECT_LE(1, uid_overs(&rl, 65534, &seen, &queued, sample,
			       sizeof(sample)));
	EXPECT_EQ(200, mine + (int)queued);
	EXPECT_STREQ(args[0], sample);
	EXPECT_EQ(1, alerts_of(&rl, 0));
	EXPECT_EQ(0, rl.lost);
	rl_free(&rl);
	close(fd);
	ASSERT_EQ(0, reload_module(""));
}

/*
 * A swapped executable whose original is not known (follow_exe_swaps=0
 * here; a full table or a missed probe elsewhere) still cannot pass for
 * curl: exec opens with __FMODE_EXEC, open(2) cannot, so the swap shows.
 * The path is unresolved (every include matches), flagged, and what it
 * claims rides beside.
 */
TEST(unfollowed_swap_is_unresolved_not_curl)
{
	char *args[] = { "/tmp/.swap3/impl", "/usr/bin/curl", "1.1.1.1",
			 "443", NULL };
	struct c2w_alert *a;
	struct rec_list rl;
	uint32_t len;
	int fd;

	NEED_DEVICE();
	if (!getenv("C2W_KO"))
		SKIP(return, "C2W_KO not set");
	ASSERT_EQ(0, reload_module("follow_exe_swaps=0"));
	fd = open(C2W_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, load_seed(fd));
	ASSERT_EQ(0, collect(fd, &rl, 50));
	rl_free(&rl);
	ASSERT_EQ(0, install(BEACON, "/usr/bin/curl"));
	ASSERT_EQ(0, install("/c2w/c2w-exeswap", args[0]));
	ASSERT_EQ(0, run(args[0], args));
	ASSERT_EQ(0, collect(fd, &rl, 300));
	ASSERT_EQ(1, rl.alerts);
	a = nth_alert(&rl, 0);
	EXPECT_EQ(C2W_AF_EXE_REPLACED | C2W_AF_PATH_UNRESOLVED,
		  a->flags & (C2W_AF_EXE_REPLACED | C2W_AF_PATH_UNRESOLVED));
	EXPECT_STREQ("", c2w_alert_exe_at(a));
	EXPECT_STREQ("/usr/bin/curl", c2w_alert_ns_exe(a, &len));
	rl_free(&rl);
	/* curl run as itself is still curl: excluded. */
	ASSERT_EQ(0, beacon_at("/usr/bin/curl", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(0, collect(fd, &rl, 300));
	EXPECT_EQ(0, rl.alerts);
	rl_free(&rl);
	close(fd);
	ASSERT_EQ(0, reload_module(""));
}
