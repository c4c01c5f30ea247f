// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink side: live watchers beside the daemon, privileges,
 * status for any user, strict policy, and unload while watching.
 */
#include <sched.h>
#include <signal.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "kselftest_harness.h"
#include "c2w_test.h"

/*
 * Start "c2watchctl watch [--json]" with output in @file; returns pid.
 * @uid 0: root; (uid_t)-1: root in a new user namespace; else that user.
 */
static pid_t start_watch(const char *file, bool json, uid_t uid)
{
	pid_t pid = fork();

	if (!pid) {
		int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		if (uid == (uid_t)-1) {
			if (unshare(CLONE_NEWUSER))
				_exit(3);
		} else if (uid && (setgid(uid) || setuid(uid))) {
			_exit(3);
		}
		execv(CTL, json ? (char *[]){ CTL, "watch", "--json", NULL } :
				  (char *[]){ CTL, "watch", NULL });
		_exit(127);
	}
	return pid;
}

static char *slurp(const char *file);

/* Until the watcher says it is subscribed. */
static void wait_watching(const char *file)
{
	for (int i = 0; i < 100 * time_scale(); i++) {
		char *out = slurp(file);
		bool ready = out && strstr(out, "watching");

		free(out);
		if (ready)
			return;
		sleep_ms(50);
	}
}

static char *slurp(const char *file)
{
	char *out = NULL;

	run_capture((char *[]){ "/bin/cat", (char *)file, NULL }, &out, false);
	return out;
}

/* Sum of the watcher's "missed N record(s)" messages. */
static int count_missed(const char *text)
{
	int n = 0;

	for (const char *p = text; p && (p = strstr(p, "missed ")); p += 7)
		n += atoi(p + 7);
	return n;
}

/* event.sequence of the first alert document in @text, or -1. */
static long alert_seq(const char *text)
{
	const char *a = text ? strstr(text, "\"kind\":\"alert\"") : NULL;
	const char *s = a ? strstr(a, "\"sequence\":") : NULL;

	return s ? atol(s + strlen("\"sequence\":")) : -1;
}

static int wait_exit(pid_t pid, int ms)
{
	int st;

	for (int i = 0; i < ms / 50; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -2;
}

TEST(two_watchers_and_the_daemon_see_the_same_alert)
{
	pid_t w1, w2, d;
	char *o1, *o2, *od;
	int fd;

	NEED_DEVICE();
	fd = open(C2W_DEV, O_WRONLY);
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SEEN_CLEAR));
	close(fd);
	w1 = start_watch("/tmp/w1.out", true, 0);
	w2 = start_watch("/tmp/w2.out", false, 0);
	wait_watching("/tmp/w1.out");
	wait_watching("/tmp/w2.out");
	d = fork();
	if (!d) {
		int o = open("/tmp/wd.out", O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(o, 2);
		execv("/c2w/c2watchd", (char *[]){ "/c2w/c2watchd", "-f", "-r",
		      "/c2w/rules", "-o", "/tmp/wd.ndjson", "-s", "/tmp/wd.state",
		      NULL });
		_exit(127);
	}
	sleep_ms(700);
	ASSERT_EQ(0, beacon_at("/tmp/seen-by-all", "tcp", "1.1.1.1", "443"));
	sleep_ms(700);
	kill(w1, SIGINT);
	kill(w2, SIGINT);
	kill(d, SIGTERM);
	EXPECT_EQ(0, wait_exit(w1, 3000 * time_scale()));
	EXPECT_EQ(0, wait_exit(w2, 3000 * time_scale()));
	EXPECT_EQ(0, wait_exit(d, 3000 * time_scale()));
	o1 = slurp("/tmp/w1.out");
	o2 = slurp("/tmp/w2.out");
	od = slurp("/tmp/wd.ndjson");
	EXPECT_NE(NULL, strstr(o1, "\"executable\":\"/tmp/seen-by-all\""));
	EXPECT_NE(NULL, strstr(o1, "\"kind\":\"alert\""));
	EXPECT_NE(NULL, strstr(o2, "/tmp/seen-by-all"));
	EXPECT_NE(NULL, strstr(o2, "1.1.1.1:443/tcp"));
	EXPECT_NE(NULL, strstr(od, "\"executable\":\"/tmp/seen-by-all\""));
	/* The same alert: the same sequence number everywhere. */
	EXPECT_LT(0, alert_seq(o1));
	EXPECT_EQ(alert_seq(o1), alert_seq(od));
	free(o1);
	free(o2);
	free(od);
}

TEST(unprivileged_watcher_is_refused_but_status_is_not)
{
	pid_t w;
	char *out = NULL;

	NEED_DEVICE();
	w = start_watch("/tmp/wn.out", false, 65534);
	EXPECT_EQ(1, wait_exit(w, 3000 * time_scale()));
	out = slurp("/tmp/wn.out");
	EXPECT_NE(NULL, strstr(out, "needs CAP_SYS_ADMIN"));
	free(out);
	/* Root of its own user namespace is not root of the host's. */
	w = start_watch("/tmp/wu.out", false, (uid_t)-1);
	EXPECT_EQ(1, wait_exit(w, 3000 * time_scale()));
	out = slurp("/tmp/wu.out");
	EXPECT_NE(NULL, strstr(out, "needs CAP_SYS_ADMIN"));
	free(out);
	w = fork();
	if (!w) {
		int fd = open("/tmp/sn.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		if (setgid(65534) || setuid(65534))
			_exit(3);
		execv(CTL, (char *[]){ CTL, "status", NULL });
		_exit(127);
	}
	EXPECT_EQ(0, wait_exit(w, 3000 * time_scale()));
	out = slurp("/tmp/sn.out");
	EXPECT_NE(NULL, strstr(out, "netlink:          records sent"));
	EXPECT_NE(NULL, strstr(out, "rules:"));
	free(out);
}

TEST(get_status_rejects_attributes)
{
	struct nl_sock *sk;
	struct nl_msg *msg;
	int family, ret;

	NEED_DEVICE();
	sk = nl_socket_alloc();
	ASSERT_EQ(0, genl_connect(sk));
	family = genl_ctrl_resolve(sk, C2W_GENL_NAME);
	ASSERT_LT(0, family);
	msg = nlmsg_alloc();
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK,
		    C2W_CMD_GET_STATUS, C2W_GENL_VERSION);
	nla_put_u32(msg, C2W_A_VERSION, 1);
	ASSERT_LE(0, nl_send_auto(sk, msg));
	ret = nl_wait_for_ack(sk);
	EXPECT_EQ(-NLE_INVAL, ret);
	nlmsg_free(msg);
	/* An unknown command. */
	msg = nlmsg_alloc();
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_ACK,
		    C2W_CMD_RECORD, C2W_GENL_VERSION);
	ASSERT_LE(0, nl_send_auto(sk, msg));
	EXPECT_NE(0, nl_wait_for_ack(sk));
	nlmsg_free(msg);
	nl_socket_free(sk);
}

TEST(overflowing_watcher_says_what_it_missed)
{
	char *args[] = { "/tmp/flood3", "-n", "400", "1.1.1.1", "80", NULL };
	int fd, alerts = 0, missed;
	char *out;
	pid_t w;

	NEED_DEVICE();
	fd = open(C2W_DEV, O_WRONLY);
	ASSERT_EQ(0, load_kql(fd, "flood", "process.executable:/tmp/flood3",
			      0, 0));
	setenv("C2W_WATCH_RCVBUF", "8192", 1);
	w = start_watch("/tmp/wo.out", false, 0);
	unsetenv("C2W_WATCH_RCVBUF");
	wait_watching("/tmp/wo.out");
	kill(w, SIGSTOP);
	ASSERT_EQ(0, install(BEACON, args[0]));
	ASSERT_EQ(0, run(args[0], args));
	kill(w, SIGCONT);
	sleep_ms(500);
	/* One more record after the burst shows the gap. */
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SEEN_CLEAR));
	sleep_ms(500);
	kill(w, SIGINT);
	EXPECT_EQ(0, wait_exit(w, 3000 * time_scale()));
	close(fd);
	out = slurp("/tmp/wo.out");
	missed = count_missed(out);
	for (char *p = out; (p = strstr(p, "/tmp/flood3")); p++)
		alerts++;
	free(out);
	EXPECT_LT(0, missed);
	EXPECT_GT(400, alerts);
	EXPECT_LE(400, alerts + missed);
}

TEST(unload_ends_watchers_cleanly)
{
	char *out;
	pid_t w;

	NEED_DEVICE();
	w = start_watch("/tmp/wu.out", false, 0);
	wait_watching("/tmp/wu.out");
	ASSERT_EQ(0, run(CTL, (char *[]){ CTL, "unload", NULL }));
	EXPECT_EQ(0, wait_exit(w, 5000 * time_scale()));
	out = slurp("/tmp/wu.out");
	EXPECT_NE(NULL, strstr(out, "module was unloaded"));
	free(out);
	ASSERT_EQ(0, reload_module(""));
}

TEST_HARNESS_MAIN
