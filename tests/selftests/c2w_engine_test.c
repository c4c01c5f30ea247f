// SPDX-License-Identifier: GPL-2.0
/*
 * Selftests of the detection engine, end to end in the VM: a beacon copied
 * to a chosen place connects to "internet" addresses, and the alerts read
 * from /dev/c2watch are checked. The VM is a private-address host
 * (10.0.2.15, fd00:c2::15) whose default routes lead to a gateway network
 * namespace owning those addresses (tests/vm/net.sh), as on a cloud VM.
 */
#include <arpa/inet.h>
#include <grp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>

#include "kselftest_harness.h"
#include "c2w_test.h"

FIXTURE(eng) {
	int fd;		/* the reader */
	struct rec_list rl;
};

FIXTURE_SETUP(eng)
{
	struct rec_list drain;

	self->fd = open(C2W_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		NEED_DEVICE_FIXTURE();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, load_seed(self->fd));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	/* Known keys silent, whatever a failed test left. */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &(struct c2w_config){
		.mask = C2W_CONFIG_EVENTS_INTERVAL }));
	ASSERT_EQ(0, collect(self->fd, &drain, 50));
	rl_free(&drain);
	memset(&self->rl, 0, sizeof(self->rl));
}

FIXTURE_TEARDOWN(eng)
{
	rl_free(&self->rl);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(eng, tmp_alerts_once_then_suppressed)
{
	struct c2w_alert *a;
	char dst[INET_ADDRSTRLEN];

	ASSERT_EQ(0, beacon_at("/tmp/c2w-a", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	ASSERT_NE(NULL, a);
	EXPECT_STREQ("/tmp/c2w-a", c2w_alert_exe_at(a));
	EXPECT_EQ(strlen("/tmp/c2w-a"), a->exe_len);
	EXPECT_STREQ(SEED_ID, (char *)a->rule_id);
	EXPECT_EQ(4, a->family);
	EXPECT_EQ(C2W_TRANSPORT_TCP, a->transport);
	EXPECT_EQ(443, a->dport);
	EXPECT_NE(0, a->sport);
	inet_ntop(AF_INET, a->daddr, dst, sizeof(dst));
	EXPECT_STREQ("1.1.1.1", dst);
	inet_ntop(AF_INET, a->saddr, dst, sizeof(dst));
	EXPECT_STREQ(HOST4, dst);	/* the host's own, private address */
	EXPECT_EQ(0, a->connect_ret);
	EXPECT_NE(0, a->pid);
	EXPECT_EQ(a->pid, a->tgid);
	EXPECT_EQ(getpid(), a->ppid);
	EXPECT_EQ(0, a->uid);
	EXPECT_STREQ("c2w-a", (char *)a->comm);
	EXPECT_EQ(0, a->flags & ~C2W_AF_ALL);
	EXPECT_EQ(0, a->flags & (C2W_AF_COMM_DIFFERS | C2W_AF_EXE_DELETED |
				 C2W_AF_PATH_TRUNCATED | C2W_AF_CHROOT));
	EXPECT_EQ(0, a->severity);
	EXPECT_EQ(21, a->risk_score);
	EXPECT_EQ(0, a->hdr.size % C2W_REC_ALIGN);
	EXPECT_EQ(ns_inode("mnt"), a->mntns_ino);
	EXPECT_EQ(ns_inode("net"), a->netns_ino);
	EXPECT_EQ(0, a->flags & C2W_AF_MNTNS);
	EXPECT_EQ(C2W_REC_VERSION, a->hdr.version);

	/* Second connect of the same executable: seen, suppressed. */
	ASSERT_EQ(0, beacon_at("/tmp/c2w-a", "tcp", "1.1.1.1", "443"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
}

/*
 * The outcomes a real host sees, each from the private address: refused
 * (RST from the far end), established, a UDP connect, IPv6 from the ULA.
 */
TEST_F(eng, private_host_refused_and_established_tcp)
{
	char *refused[] = { "/tmp/.p/refused", "-R", "1.1.1.1", "80", NULL };
	char *estab[] = { "/tmp/.p/estab", "-E", "8.8.8.8", "443", NULL };
	char src[INET_ADDRSTRLEN];
	struct c2w_alert *a;

	ASSERT_EQ(0, install(BEACON, refused[0]));
	ASSERT_EQ(0, run(refused[0], refused));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ(refused[0], c2w_alert_exe_at(a));
	EXPECT_EQ(80, a->dport);
	inet_ntop(AF_INET, a->saddr, src, sizeof(src));
	EXPECT_STREQ(HOST4, src);

	ASSERT_EQ(0, install(BEACON, estab[0]));
	ASSERT_EQ(0, run(estab[0], estab));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ(estab[0], c2w_alert_exe_at(a));
	EXPECT_EQ(443, a->dport);
	inet_ntop(AF_INET, a->saddr, src, sizeof(src));
	EXPECT_STREQ(HOST4, src);
}

TEST_F(eng, private_host_udp_and_ipv6)
{
	char src[INET6_ADDRSTRLEN];
	struct c2w_alert *a;

	ASSERT_EQ(0, beacon_at("/var/tmp/u4", "udp", "8.8.8.8", "53"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(C2W_TRANSPORT_UDP, a->transport);
	inet_ntop(AF_INET, a->saddr, src, sizeof(src));
	EXPECT_STREQ(HOST4, src);

	ASSERT_EQ(0, beacon_at("/var/tmp/t6", "tcp", "2606:4700:4700::1111",
			       "443"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(6, a->family);
	EXPECT_EQ(C2W_TRANSPORT_TCP, a->transport);
	inet_ntop(AF_INET6, a->saddr, src, sizeof(src));
	EXPECT_STREQ(HOST6, src);
}

/*
 * Why the installed rule is a variant: Elastic's rule as published
 * excludes private source addresses, which is every address this host has,
 * so its IPv4 connections are all "excluded" and never alert. Its IPv6
 * ones, from a ULA address outside the exclusion, still do.
 */
TEST_F(eng, upstream_rule_is_silent_for_ipv4_on_a_private_host)
{
	struct c2w_stats before, after;

	ASSERT_EQ(0, load_rules_file(self->fd, UPSTREAM_RULES));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	ASSERT_EQ(0, beacon_at("/tmp/.up/a", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(0, beacon_at("/tmp/.up/b", "udp", "8.8.8.8", "53"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	EXPECT_EQ(2, after.excluded - before.excluded);
	EXPECT_EQ(0, after.alerted - before.alerted);
	ASSERT_EQ(0, beacon_at("/tmp/.up/c", "tcp", "2606:4700:4700::1111",
			       "443"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
}

TEST_F(eng, usr_bin_does_not_alert)
{
	ASSERT_EQ(0, beacon_at("/usr/bin/c2w-b", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
}

TEST_F(eng, name_exclusion_uses_basename_not_comm)
{
	char *args[] = { "/tmp/x", "-c", "curl", "8.8.8.8", "80", NULL };
	struct c2w_alert *a;

	/* A /tmp binary really named curl is excluded by the rule... */
	ASSERT_EQ(0, beacon_at("/tmp/d/curl", "tcp", "8.8.8.8", "80"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	/* ...one that only renames its comm to curl is not. */
	ASSERT_EQ(0, install(BEACON, "/tmp/x"));
	ASSERT_EQ(0, run("/tmp/x", args));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/x", c2w_alert_exe_at(a));
	EXPECT_STREQ("curl", (char *)a->comm);
	EXPECT_TRUE(a->flags & C2W_AF_COMM_DIFFERS);
}

TEST_F(eng, excluded_destinations)
{
	static const char *const dsts[] = {
		"10.0.0.1", "127.0.0.1", "192.168.1.1", "::1", "fe80::1",
		"::ffff:10.0.0.1", "0.0.0.0",
	};
	struct c2w_stats before, after;
	const size_t n = sizeof(dsts) / sizeof(dsts[0]);

	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	for (size_t i = 0; i < n; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/tmp/excl-%zu", i);
		ASSERT_EQ(0, beacon_at(path, "tcp", dsts[i], "80"));
		EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl))
			TH_LOG("destination %s alerted", dsts[i]);
	}
	/* A datagram to the LAN from a /tmp program: the same at the probe. */
	ASSERT_EQ(0, beacon_at("/tmp/excl-send", "sendto", "10.0.0.1", "53"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	/*
	 * Decided by the destination alone, at the probe: all but 0.0.0.0,
	 * which the kernel connects to loopback (judged where it went).
	 */
	EXPECT_EQ(n - 1 + 1, after.excluded_dst - before.excluded_dst);
	EXPECT_EQ(n + 1, after.excluded - before.excluded);
	EXPECT_EQ(n + 1, after.evaluated - before.evaluated);
}

/*
 * A rule with no clause on the destination is evaluated for every address:
 * the probe's early exclusion is the rules', not a list of its own.
 */
TEST_F(eng, destination_prefilter_follows_the_rules)
{
	struct c2w_stats before, after;

	ASSERT_EQ(0, load_kql(self->fd, "any-dst",
			      "process.executable:/tmp/anydst*",
			      C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	ASSERT_EQ(0, beacon_at("/tmp/anydst", "tcp", "127.0.0.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, beacon_at("/tmp/anydst-s", "sendto", "10.0.0.1", "53"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	/* Not new: matched and suppressed, still no early exclusion. */
	ASSERT_EQ(0, beacon_at("/tmp/anydst", "udp", "192.168.1.1", "53"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	EXPECT_EQ(0, after.excluded_dst - before.excluded_dst);
	EXPECT_EQ(3, after.matched - before.matched);
	/* The same addresses once the shipped rule is back. */
	ASSERT_EQ(0, load_seed(self->fd));
	ASSERT_EQ(0, beacon_at("/tmp/anydst", "tcp", "127.0.0.1", "80"));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	EXPECT_EQ(1, before.excluded_dst - after.excluded_dst);
}

TEST_F(eng, v4mapped_is_one_ipv4_event)
{
	struct c2w_alert *a;
	char dst[INET_ADDRSTRLEN];

	ASSERT_EQ(0, beacon_at("/tmp/mapped", "tcp", "::ffff:1.1.1.1", "80"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(4, a->family);
	inet_ntop(AF_INET, a->daddr, dst, sizeof(dst));
	EXPECT_STREQ("1.1.1.1", dst);
}

/*
 * An IPv6 UDP socket connecting to ::ffff:8.8.8.8 goes through both the
 * IPv6 and the IPv4 datagram connect: still one attempt, one IPv4 alert.
 */
TEST_F(eng, v4mapped_udp_is_one_ipv4_event)
{
	struct c2w_stats before, after;
	struct c2w_alert *a;
	char dst[INET_ADDRSTRLEN];

	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	ASSERT_EQ(0, beacon_at("/tmp/mapped-udp", "udp", "::ffff:8.8.8.8",
			       "53"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(4, a->family);
	EXPECT_EQ(C2W_TRANSPORT_UDP, a->transport);
	inet_ntop(AF_INET, a->daddr, dst, sizeof(dst));
	EXPECT_STREQ("8.8.8.8", dst);
	inet_ntop(AF_INET, a->saddr, dst, sizeof(dst));
	EXPECT_STREQ(HOST4, dst);
	EXPECT_EQ(1, after.evaluated - before.evaluated);
	EXPECT_EQ(1, after.alerted - before.alerted);
}

/*
 * A connection from a network namespace of its own (a container's) is
 * seen too, and says which namespace: here one with no route out, so the
 * connect fails, and the attempt still alerts.
 */
TEST_F(eng, connect_from_another_network_namespace)
{
	char *args[] = { "/bin/unshare", "-n", "/tmp/.ns/b", "1.1.1.1", "443",
			 NULL };
	struct c2w_alert *a;

	ASSERT_EQ(0, install(BEACON, "/tmp/.ns/b"));
	/* ENETUNREACH: the beacon says it failed (1), the probe saw it. */
	EXPECT_EQ(1, run(args[0], args));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/.ns/b", c2w_alert_exe_at(a));
	EXPECT_NE(0, a->netns_ino);
	EXPECT_NE(ns_inode("net"), a->netns_ino);
	EXPECT_EQ(-ENETUNREACH, a->connect_ret);
}

/*
 * The constant fields (decided once per ruleset, family and transport):
 * each of the four combinations is told apart by its own rule.
 */
TEST_F(eng, constant_fields_per_family_and_transport)
{
	static const char *const v6 = "2606:4700:4700::1111";

	ASSERT_EQ(0, load_kql(self->fd, "udp6",
			      "network.transport:udp and network.type:ipv6 and "
			      "event.action:ipv6_connection_attempt_event and "
			      "process.executable:/tmp/cf*",
			      C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, beacon_at("/tmp/cf-tcp6", "tcp", v6, "80"));
	ASSERT_EQ(0, beacon_at("/tmp/cf-udp4", "udp", "1.1.1.1", "53"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, beacon_at("/tmp/cf-udp6", "udp", v6, "53"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));

	ASSERT_EQ(0, load_kql(self->fd, "tcp4",
			      "network.transport:tcp and network.type:ipv4 and "
			      "event.action:ipv4_connection_attempt_event and "
			      "event.action:connection_attempted and "
			      "event.category:network and event.type:start and "
			      "event.type:connection and host.os.type:linux and "
			      "process.executable:/tmp/cg*",
			      C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, beacon_at("/tmp/cg-tcp6", "tcp", v6, "80"));
	ASSERT_EQ(0, beacon_at("/tmp/cg-udp4", "udp", "1.1.1.1", "53"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, beacon_at("/tmp/cg-tcp4", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));

	/* A clause of a constant and another field reads the values. */
	ASSERT_EQ(0, load_kql(self->fd, "mixed",
			      "(network.transport:udp or destination.port:9) "
			      "and process.executable:/tmp/ch*",
			      C2W_NT_EXECUTABLE, 0));
	ASSERT_EQ(0, beacon_at("/tmp/ch-tcp4", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, beacon_at("/tmp/ch-udp4", "udp", "1.1.1.1", "53"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
}

TEST_F(eng, ipv6_public_alerts)
{
	struct c2w_alert *a;

	ASSERT_EQ(0, beacon_at("/tmp/six", "tcp", "2606:4700:4700::1111",
			       "443"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(6, a->family);
	EXPECT_EQ(0x26, a->daddr[0]);
}

TEST_F(eng, udp_connect_alerts)
{
	struct c2w_alert *a;

	ASSERT_EQ(0, beacon_at("/tmp/udp4", "udp", "9.9.9.9", "53"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(C2W_TRANSPORT_UDP, a->transport);
	EXPECT_EQ(53, a->dport);
	ASSERT_EQ(0, beacon_at("/tmp/udp6", "udp", "2606:4700:4700::1111",
			       "53"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(6, a->family);
	EXPECT_EQ(C2W_TRANSPORT_UDP, a->transport);
}

TEST_F(eng, io_uring_connect_alerts)
{
	ASSERT_EQ(0, beacon_at("/tmp/uring", "uring", "1.1.1.1", "443"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_STREQ("/tmp/uring", c2w_alert_exe_at(nth_alert(&self->rl, 0)));
}

TEST_F(eng, tcp_fast_open_alerts)
{
	ASSERT_EQ(0, beacon_at("/tmp/tfo", "tfo", "1.1.1.1", "443"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, beacon_at("/tmp/tfo2", "tfo-connect", "1.1.1.1", "443"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_STREQ("/tmp/tfo2", c2w_alert_exe_at(nth_alert(&self->rl, 0)));
}

TEST_F(eng, chroot_reports_global_path)
{
	char *args[] = { "/tmp/jail/bin/x", "-r", "/tmp/jail", "1.1.1.1",
			 "80", NULL };
	struct c2w_alert *a;

	ASSERT_EQ(0, install(BEACON, "/tmp/jail/bin/x"));
	ASSERT_EQ(0, run("/tmp/jail/bin/x", args));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/jail/bin/x", c2w_alert_exe_at(a));
	EXPECT_TRUE(a->flags & C2W_AF_CHROOT);
}

/*
 * A chroot into the root of a mount cannot be placed in the mount
 * namespace (the mountpoint is private to fs/): the path stays relative to
 * the chroot, and the alert says so. (The installed rule's path globs do
 * not match such a path; this rule matches every executable.)
 */
TEST_F(eng, chroot_into_a_mount_root_is_flagged)
{
	char *args[] = { "/tmp/mroot/x", "-r", "/tmp/mroot", "1.1.1.1", "80",
			 NULL };
	struct c2w_alert *a;

	mkdir("/tmp/mroot", 0755);
	ASSERT_EQ(0, mount("tmpfs", "/tmp/mroot", "tmpfs", 0, NULL));
	ASSERT_EQ(0, install(BEACON, "/tmp/mroot/x"));
	ASSERT_EQ(0, load_kql(self->fd, "any",
			      "process.executable:* and destination.ip:1.1.1.1",
			      C2W_NT_EXECUTABLE, 0));
	EXPECT_EQ(0, run(args[0], args));
	EXPECT_EQ(0, umount2("/tmp/mroot", MNT_DETACH));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/x", c2w_alert_exe_at(a));
	EXPECT_TRUE(a->flags & C2W_AF_CHROOT);
	EXPECT_TRUE(a->flags & C2W_AF_CHROOT_UNRESOLVED);
}

TEST_F(eng, deleted_executable_alerts)
{
	char *args[] = { "/tmp/gone", "-u", "1.1.1.1", "80", NULL };
	struct c2w_alert *a;

	ASSERT_EQ(0, install(BEACON, "/tmp/gone"));
	ASSERT_EQ(0, run("/tmp/gone", args));
	ASSERT_EQ(-1, access("/tmp/gone", F_OK));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/gone", c2w_alert_exe_at(a));
	EXPECT_TRUE(a->flags & C2W_AF_EXE_DELETED);
}

TEST_F(eng, invalid_ruleset_keeps_old_one)
{
	struct c2w_rs_header h;

	memset(&h, 0, sizeof(h));
	h.magic = C2W_RS_MAGIC;
	h.size = sizeof(h);
	h.n_rules = 1;	/* but no room for it */
	EXPECT_EQ(-1, set_rules_blob(self->fd, &h, sizeof(h)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, load_kql(self->fd, "", "process.name:*", 0, 0));
	EXPECT_EQ(EINVAL, errno);
	/* The seed rule still works. */
	ASSERT_EQ(0, beacon_at("/tmp/still", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
}

TEST_F(eng, window_expiry_realerts)
{
	/* Longer than two beacon runs take (seconds under KASAN). */
	const unsigned int window = 2 * time_scale();

	ASSERT_EQ(0, load_kql(self->fd, "short",
			      "process.executable:/tmp/* and destination.ip:1.1.1.1",
			      C2W_NT_EXECUTABLE, window));
	ASSERT_EQ(0, beacon_at("/tmp/win", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, beacon_at("/tmp/win", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	sleep(window + 2);
	ASSERT_EQ(0, beacon_at("/tmp/win", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
}

/*
 * Until the reaper (every 60 s) has removed something since @before, or
 * 150 s; the counters then in @after. 0, or -1 when they cannot be read.
 */
static int wait_reaped(int fd, const struct c2w_stats *before,
		       struct c2w_stats *after)
{
	for (int i = 0; i < 150; i++) {
		sleep(1);
		if (ioctl(fd, C2W_IOC_GET_STATS, after))
			return -1;
		if (after->seen_expired > before->seen_expired)
			break;
	}
	return 0;
}

/*
 * The reaper: an entry past its window is removed (and counted) without any
 * new connection touching it. It runs every 60 s, so this test waits.
 */
TEST_F(eng, expired_entries_are_reaped)
{
	struct c2w_stats before, after;

	ASSERT_EQ(0, load_kql(self->fd, "reap",
			      "process.executable:/tmp/* and destination.ip:1.1.1.1",
			      C2W_NT_EXECUTABLE, 1));
	ASSERT_EQ(0, beacon_at("/tmp/reap", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	ASSERT_EQ(1, before.seen_entries);
	ASSERT_EQ(0, wait_reaped(self->fd, &before, &after));
	EXPECT_EQ(1, after.seen_expired - before.seen_expired);
	EXPECT_EQ(0, after.seen_entries);
	EXPECT_EQ(0, after.seen_bytes);
}

/*
 * An imported entry is reaped after its own rule's window, not the default
 * one: with a 2 s default and a rule of one hour, the reaper (every 60 s)
 * must keep the rule's entry, while it reaps the entry of a rule not loaded
 * (the proof that it ran). The executable stays known: no alert.
 */
TEST_F(eng, imported_entries_keep_their_rules_window)
{
	struct c2w_stats before, after;
	struct seen_one rec;
	struct c2w_config c;
	struct c2w_buf b;

	ASSERT_EQ(0, load_kql(self->fd, SEED_ID,
			      "process.executable:/tmp/* and destination.ip:1.1.1.1",
			      C2W_NT_EXECUTABLE, 3600));
	memset(&c, 0, sizeof(c));
	c.mask = C2W_CONFIG_DEFAULT_WINDOW;
	c.default_window = 2;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	seen_one(&rec, &b, "/tmp/.imp/known");
	rec.r.first_seen = rec.r.last_seen = time(NULL) - 10;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_IMPORT, &b))
		TH_LOG("import: %s", strerror(errno));
	/* The control: same key under a rule that is not loaded. */
	memcpy(rec.r.data, "53617418-17b4-4e9c-8a2c-8deb8086ca4c", 36);
	b.count = 0;		/* set by the first import; must be 0 going in */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_IMPORT, &b));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	ASSERT_EQ(2, before.seen_entries);
	ASSERT_EQ(0, wait_reaped(self->fd, &before, &after));
	EXPECT_EQ(1, after.seen_expired - before.seen_expired);
	EXPECT_EQ(1, after.seen_entries);
	c.default_window = C2W_DEFAULT_WINDOW;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	rl_free(&self->rl);
	ASSERT_EQ(0, collect(self->fd, &self->rl, 100));	/* config records */
	ASSERT_EQ(0, beacon_at("/tmp/.imp/known", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
}

/* The byte budget: when it is spent, detection fails open, marked. */
TEST_F(eng, seen_byte_budget_fails_open)
{
	struct c2w_stats before, st;
	char old[32] = "";
	int full = 0;

	ASSERT_EQ(0, get_param("seen_max_bytes", old, sizeof(old)));
	ASSERT_EQ(0, set_param("seen_max_bytes", "4096"));
	rl_free(&self->rl);
	ASSERT_EQ(0, collect(self->fd, &self->rl, 50));	/* the config record */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	for (int i = 0; i < 40; i++) {
		char path[128];

		/* Long keys: a page holds a few entries of about 200 bytes. */
		snprintf(path, sizeof(path), "/tmp/budget/%0100d", i);
		ASSERT_EQ(0, beacon_at(path, "tcp", "1.1.1.1", "80"));
		ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl))
			TH_LOG("%s", path);
		full += !!(nth_alert(&self->rl, 0)->flags & C2W_AF_SEEN_FULL);
	}
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &st));
	EXPECT_LT(0, full);
	EXPECT_GT(40, full);
	EXPECT_LE(st.seen_bytes, 4096);
	EXPECT_EQ(full, st.seen_full - before.seen_full);
	ASSERT_EQ(0, set_param("seen_max_bytes", old));
}

TEST_F(eng, seen_export_clear_import)
{
	struct c2w_buf b;
	struct c2w_stats st;
	void *buf;

	ASSERT_EQ(0, beacon_at("/tmp/exp", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));

	memset(&b, 0, sizeof(b));
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_SEEN_EXPORT, &b));
	ASSERT_EQ(ENOSPC, errno);
	ASSERT_LT(0, b.len);
	buf = malloc(b.len);
	b.ptr = (uintptr_t)buf;
	b.count = 0;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_EXPORT, &b));
	EXPECT_EQ(1, b.count);

	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_CLEAR));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &st));
	EXPECT_EQ(0, st.seen_entries);

	b.count = 0;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SEEN_IMPORT, &b));
	EXPECT_EQ(1, b.count);
	free(buf);
	ASSERT_EQ(0, beacon_at("/tmp/exp", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	/* Config records (clear, import) were reported in the stream. */
	EXPECT_LE(2, self->rl.config + 0);
}

TEST_F(eng, read_semantics)
{
	char small[16];
	int fd2;

	/* Empty and non-blocking. */
	EXPECT_EQ(-1, read(self->fd, small, sizeof(small)));
	EXPECT_EQ(EAGAIN, errno);
	/* A second reader is refused; a config-only open is fine. */
	fd2 = open(C2W_DEV, O_RDONLY);
	EXPECT_EQ(-1, fd2);
	EXPECT_EQ(EBUSY, errno);
	fd2 = open(C2W_DEV, O_WRONLY);
	EXPECT_LE(0, fd2);
	close(fd2);
	/* A buffer smaller than the next record. */
	ASSERT_EQ(0, beacon_at("/tmp/small", "tcp", "1.1.1.1", "80"));
	usleep(100000);
	EXPECT_EQ(-1, read(self->fd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
}

TEST_F(eng, mount_namespace_flagged)
{
	char *args[] = { "/tmp/ns", "1.1.1.1", "80", NULL };
	struct c2w_alert *a;
	pid_t pid;
	int st;

	ASSERT_EQ(0, install(BEACON, "/tmp/ns"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (unshare(CLONE_NEWNS))
			_exit(3);
		execv(args[0], args);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_TRUE(a->flags & C2W_AF_MNTNS);
	EXPECT_NE(0, a->mntns_ino);
	EXPECT_NE(ns_inode("mnt"), a->mntns_ino);
	EXPECT_STREQ("/tmp/ns", c2w_alert_exe_at(a));
	EXPECT_EQ(0, a->ns_exe_len);	/* both namespaces say the same */
}

/* What a child does in its new mount namespace before it execs. */
struct ns_setup {
	const char *bind_src, *bind_dst;	/* mount --bind */
	const char *tmpfs;			/* a tmpfs here, beacon inside */
	const char *tmpfs_exe;
	const char *chroot;
};

/*
 * @argv run by a child in a new mount namespace (private), after @s; with
 * @unprivileged as uid/gid 65534 in a user namespace of its own, as any
 * user may where unprivileged user namespaces are allowed. Its exit status.
 */
static int run_in_mntns(char *const argv[], const struct ns_setup *s,
			bool unprivileged)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (unprivileged && (setgroups(0, NULL) ||
				     setresgid(65534, 65534, 65534) ||
				     setresuid(65534, 65534, 65534)))
			_exit(3);
		if (unshare(CLONE_NEWNS | (unprivileged ? CLONE_NEWUSER : 0)))
			_exit(4);
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(5);
		if (s->bind_src && mount(s->bind_src, s->bind_dst, NULL,
					 MS_BIND, NULL))
			_exit(6);
		if (s->tmpfs && (mount("c2w", s->tmpfs, "tmpfs", 0, NULL) ||
				 install(BEACON, s->tmpfs_exe)))
			_exit(7);
		if (s->chroot && (chroot(s->chroot) || chdir("/")))
			_exit(8);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * unshare -m (and -Urm, unprivileged) then mount --bind /tmp/.e/impl
 * /usr/local/bin/tool: the implant's own mounts say /usr/local/bin, which
 * no rule watches; the file lives in /tmp, and that is what is judged,
 * with the namespace's view beside it.
 */
TEST_F(eng, namespace_bind_mount_is_seen_through)
{
	static const char *const impl[] = { "/tmp/.e/impl", "/tmp/.e/impl2" };
	const char *tool = "/usr/local/bin/tool";
	char *args[] = { (char *)tool, "1.1.1.1", "443", NULL };
	struct c2w_alert *a;
	uint32_t len;

	for (int unpriv = 0; unpriv < 2; unpriv++) {
		struct ns_setup s = { .bind_src = impl[unpriv],
				      .bind_dst = tool };

		ASSERT_EQ(0, install(BEACON, impl[unpriv]));
		ASSERT_EQ(0, install(BEACON, tool));
		ASSERT_EQ(0, chmod("/tmp/.e", 0755));
		ASSERT_EQ(0, run_in_mntns(args, &s, unpriv));
		ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl))
			TH_LOG("unprivileged: %d", unpriv);
		a = nth_alert(&self->rl, 0);
		EXPECT_STREQ(impl[unpriv], c2w_alert_exe_at(a));
		EXPECT_TRUE(a->flags & C2W_AF_MNTNS);
		EXPECT_EQ(0, a->flags & C2W_AF_PATH_UNRESOLVED);
		ASSERT_NE(NULL, c2w_alert_ns_exe(a, &len));
		EXPECT_STREQ(tool, c2w_alert_ns_exe(a, &len));
		EXPECT_EQ(strlen(tool), len);
		EXPECT_EQ(unpriv ? 65534 : 0, a->uid);
	}
	/* The tool itself, run from the host, is nothing to alert on. */
	ASSERT_EQ(0, run(args[0], args));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
}

/*
 * A container as runtimes make one: its root filesystem mounted on the
 * host (Docker's overlay "merged", containerd's "rootfs"), then entered in
 * a mount namespace of its own. Judged where the host has it, which is
 * what Elastic's exclusions (/run/containerd/...) are written against.
 */
TEST_F(eng, container_root_is_judged_at_its_host_path)
{
	const char *rootfs = "/run/c2w-ctr/rootfs";
	char *args[] = { "/usr/bin/app", "1.1.1.1", "443", NULL };
	struct ns_setup s = { .chroot = rootfs };
	struct c2w_alert *a;
	uint32_t len;

	mkdir("/run", 0755);
	mkdir("/run/c2w-ctr", 0755);
	mkdir(rootfs, 0755);
	ASSERT_EQ(0, mount("ctr", rootfs, "tmpfs", 0, NULL));
	ASSERT_EQ(0, install(BEACON, "/run/c2w-ctr/rootfs/usr/bin/app"));
	ASSERT_EQ(0, load_kql(self->fd, "ctr",
			      "process.executable:/run/c2w-ctr/* and destination.ip:1.1.1.1",
			      C2W_NT_EXECUTABLE, 0));
	EXPECT_EQ(0, run_in_mntns(args, &s, false));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	if (a) {
		EXPECT_STREQ("/run/c2w-ctr/rootfs/usr/bin/app",
			     c2w_alert_exe_at(a));
		EXPECT_STREQ("/usr/bin/app", c2w_alert_ns_exe(a, &len));
	}
	EXPECT_EQ(0, umount2(rootfs, MNT_DETACH));
}

/*
 * A tmpfs mounted inside the namespace is mounted nowhere on the host: no
 * host path exists, so the path is unresolved, flagged, and matches every
 * include as an over-long path does. The namespace's view names it, and
 * keeps two such executables apart in the seen set.
 */
TEST_F(eng, namespace_private_filesystem_is_unresolved)
{
	static const char *const exe[] = { "/mnt/c2w-priv/x", "/mnt/c2w-priv/y" };
	struct c2w_alert *a;
	uint32_t len;

	mkdir("/mnt", 0755);
	mkdir("/mnt/c2w-priv", 0755);
	for (int i = 0; i < 2; i++) {
		struct ns_setup s = { .tmpfs = "/mnt/c2w-priv",
				      .tmpfs_exe = exe[i] };
		char *args[] = { (char *)exe[i], "1.1.1.1", "443", NULL };

		ASSERT_EQ(0, run_in_mntns(args, &s, false));
		ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl))
			TH_LOG("%s", exe[i]);
		a = nth_alert(&self->rl, 0);
		EXPECT_TRUE(a->flags & C2W_AF_PATH_UNRESOLVED);
		EXPECT_STREQ("", c2w_alert_exe_at(a));
		EXPECT_STREQ(exe[i], c2w_alert_ns_exe(a, &len));
	}
}

TEST_F(eng, memfd_executable_flagged)
{
	char *args[] = { "beacon", "1.1.1.1", "80", NULL };
	char buf[65536];
	struct c2w_alert *a;
	int mfd, in, st;
	ssize_t n;
	pid_t pid;

	/* The seed rule does not cover memfds; a rule for them does. */
	ASSERT_EQ(0, load_kql(self->fd, "memfd",
			      "process.executable:/memfd\\:*", 0, 0));
	mfd = memfd_create("beacon", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	in = open(BEACON, O_RDONLY);
	ASSERT_LE(0, in);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ASSERT_EQ(n, write(mfd, buf, n));
	close(in);
	rl_free(&self->rl);
	ASSERT_EQ(0, collect(self->fd, &self->rl, 50));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fexecve(mfd, args, environ);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	close(mfd);
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/memfd:beacon", c2w_alert_exe_at(a));
	EXPECT_TRUE(a->flags & C2W_AF_EXE_MEMFD);
	EXPECT_TRUE(a->flags & C2W_AF_EXE_DELETED);
}

/*
 * An executable whose path is longer than PATH_MAX, reached with relative
 * steps only. It must still alert on the /tmp include, flagged truncated.
 */
TEST_F(eng, overlong_path_still_alerts)
{
	char comp[201], cwd[64] = "/tmp";
	char *args[] = { "./x", "1.1.1.1", "80", NULL };
	struct c2w_alert *a;
	pid_t pid;
	int st, dfd;

	memset(comp, 'p', 200);
	comp[200] = '\0';
	dfd = open(cwd, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (fchdir(dfd))
			_exit(3);
		for (int i = 0; i < 25; i++) {
			char c[8];

			snprintf(c, sizeof(c), "%02d", i);
			memcpy(comp, c, 2);
			if ((mkdir(comp, 0755) && errno != EEXIST) || chdir(comp))
				_exit(4);
		}
		if (install(BEACON, "x"))
			_exit(5);
		execv(args[0], args);
		_exit(127);
	}
	close(dfd);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_TRUE(a->flags & C2W_AF_PATH_TRUNCATED);
	EXPECT_EQ(0, strncmp(c2w_alert_exe_at(a), "/tmp/00ppp", 10));
	EXPECT_LT(a->exe_len, C2W_PATH_MAX);
	EXPECT_EQ('/', c2w_alert_exe_at(a)[a->exe_len - 1]);
}

TEST_F(eng, disable_and_enable)
{
	struct c2w_config c;
	struct c2w_stats before, after;

	memset(&c, 0, sizeof(c));
	c.mask = C2W_CONFIG_ENABLED;
	c.enabled = 0;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	ASSERT_EQ(0, beacon_at("/tmp/off", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_EQ(1, self->rl.config);	/* the "disabled" record */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	EXPECT_EQ(before.evaluated, after.evaluated);
	EXPECT_LT(before.ignored, after.ignored);
	c.enabled = 1;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	ASSERT_EQ(0, beacon_at("/tmp/off", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	/* Bad values are refused. */
	c.enabled = 2;
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(EINVAL, errno);
	memset(&c, 0, sizeof(c));
	c.mask = C2W_CONFIG_ENABLED;
	c.enabled = 1;
	c.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(EINVAL, errno);
	/*
	 * No mask: what a uapi 1 "enable" ({ enabled = 1 }, the rest zero)
	 * looks like now. Refused, never a silent change or no-op.
	 */
	memset(&c, 0, sizeof(c));
	c.enabled = 1;
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * Settings change by mask, and the structures are sized by the ioctl
 * number: what an older or newer userspace would send.
 */
TEST_F(eng, config_by_mask_and_sized_structures)
{
	struct {
		struct c2w_config c;
		uint32_t tail[4];
	} big;
	struct {
		struct c2w_stats st;
		uint64_t tail[3];
	} bigst;
	struct c2w_config c, got;
	unsigned int cmd;

	/* What GET returned, changed and sent back: only the mask counts. */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_CONFIG, &c));
	EXPECT_EQ(C2W_CONFIG_ALL, c.mask);
	c.mask = C2W_CONFIG_DEFAULT_WINDOW;
	c.default_window = 7;
	c.seen_capacity = 3;		/* not in the mask: left alone */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_CONFIG, &got));
	EXPECT_EQ(7, got.default_window);
	EXPECT_EQ(65536, got.seen_capacity);
	EXPECT_EQ(1, got.enabled);
	/* Unknown mask bits, and bad values in the mask, are refused. */
	c.mask = C2W_CONFIG_ALL + 1;
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(EINVAL, errno);
	c.mask = C2W_CONFIG_SEEN_CAPACITY;
	c.seen_capacity = 0;
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(EINVAL, errno);
	c.seen_capacity = C2W_MAX_SEEN_CAPACITY + 1;
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(EINVAL, errno);

	/* A newer, larger structure: a zero tail is fine, else E2BIG. */
	cmd = _IOW(C2W_IOC_MAGIC, _IOC_NR(C2W_IOC_SET_CONFIG), big);
	memset(&big, 0, sizeof(big));
	big.c.mask = C2W_CONFIG_DEFAULT_WINDOW;
	big.c.default_window = C2W_DEFAULT_WINDOW;
	ASSERT_EQ(0, ioctl(self->fd, cmd, &big));
	big.tail[2] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, cmd, &big));
	EXPECT_EQ(E2BIG, errno);
	/* Smaller than the first published size: not this command. */
	cmd = _IOW(C2W_IOC_MAGIC, _IOC_NR(C2W_IOC_SET_CONFIG),
		   uint32_t[C2W_CONFIG_SIZE_VER0 / 4 - 1]);
	EXPECT_EQ(-1, ioctl(self->fd, cmd, &big));
	EXPECT_EQ(ENOTTY, errno);

	/* GET: zeros past what the module has; an exact size as well. */
	memset(&bigst, 0xcc, sizeof(bigst));
	cmd = _IOR(C2W_IOC_MAGIC, _IOC_NR(C2W_IOC_GET_STATS), bigst);
	ASSERT_EQ(0, ioctl(self->fd, cmd, &bigst));
	EXPECT_EQ(0, bigst.tail[0] | bigst.tail[1] | bigst.tail[2]);
	EXPECT_LT(0, bigst.st.rules);
	memset(&big, 0xcc, sizeof(big));
	cmd = _IOR(C2W_IOC_MAGIC, _IOC_NR(C2W_IOC_GET_CONFIG), big);
	ASSERT_EQ(0, ioctl(self->fd, cmd, &big));
	EXPECT_EQ(0, big.tail[0] | big.tail[3]);
	EXPECT_EQ(C2W_DEFAULT_WINDOW, big.c.default_window);
	EXPECT_EQ(C2W_CONFIG_SIZE_VER0, sizeof(struct c2w_config));
	/* Grown since: the first published part is where it was. */
	EXPECT_EQ(C2W_STATS_SIZE_VER0, offsetof(struct c2w_stats, send_hits));
}

/*
 * events_interval (c2watchd --events): a known key's match is reported,
 * flagged C2W_AF_EVENT, at most once per interval; the alert counts as the
 * new key's first report. Off again, known keys are silent.
 */
TEST_F(eng, known_keys_reported_as_events_once_per_interval)
{
	struct c2w_config c = { .mask = C2W_CONFIG_EVENTS_INTERVAL };
	/* Longer than two beacon runs take (several seconds under KASAN). */
	const unsigned int interval = 3 * time_scale();
	struct c2w_stats before, after;
	struct c2w_alert *a;

	c.events_interval = C2W_MAX_WINDOW + 1;
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(EINVAL, errno);
	c.events_interval = interval;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_CONFIG, &c));
	EXPECT_EQ(interval, c.events_interval);
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));

	ASSERT_EQ(0, beacon_at("/tmp/c2w-ev", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(0, a->flags & C2W_AF_EVENT);
	/* Known, within the interval of the alert: nothing. */
	ASSERT_EQ(0, beacon_at("/tmp/c2w-ev", "tcp", "1.1.1.1", "443"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	sleep(interval + 1);
	/* Past it: one report, then quiet again. */
	ASSERT_EQ(0, beacon_at("/tmp/c2w-ev", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(0, beacon_at("/tmp/c2w-ev", "udp", "1.1.1.1", "53"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(C2W_AF_EVENT, a->flags & C2W_AF_EVENT);
	EXPECT_STREQ("/tmp/c2w-ev", c2w_alert_exe_at(a));
	EXPECT_STREQ(SEED_ID, (char *)a->rule_id);
	EXPECT_EQ(443, a->dport);
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	EXPECT_EQ(1, after.events - before.events);
	EXPECT_EQ(1, after.alerted - before.alerted);
	EXPECT_EQ(3, after.suppressed - before.suppressed);

	c.mask = C2W_CONFIG_EVENTS_INTERVAL;
	c.events_interval = 0;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	sleep(interval + 1);
	ASSERT_EQ(0, beacon_at("/tmp/c2w-ev", "tcp", "1.1.1.1", "443"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
}

/* Until no replaced executable is remembered, or 30 s; the counters. */
static int wait_swaps_gone(int fd, struct c2w_stats *st)
{
	for (int i = 0; i < 30; i++) {
		if (ioctl(fd, C2W_IOC_GET_STATS, st))
			return -1;
		if (!st->exe_replaced_live)
			break;
		sleep(1);
	}
	return 0;
}

/*
 * An implant in /tmp that points its executable at /usr/bin/curl
 * (prctl PR_SET_MM_EXE_FILE; /proc/PID/exe then says curl, excluded by
 * path and by name) before calling home: judged and reported by the file
 * it was executed from, flagged; so is a child forked after the swap. The
 * memory of it goes with the processes; curl itself is still excluded.
 */
TEST_F(eng, replaced_executable_is_judged_by_the_original)
{
	char *one[] = { "/tmp/.swap/impl", "/usr/bin/curl", "1.1.1.1", "443",
			NULL };
	char *forked[] = { "/tmp/.swap/impl2", "-f", "/usr/bin/curl",
			   "1.1.1.1", "443", NULL };
	struct c2w_stats before, after;
	struct c2w_alert *a;

	ASSERT_EQ(0, install(BEACON, "/usr/bin/curl"));
	ASSERT_EQ(0, install("/c2w/c2w-exeswap", one[0]));
	ASSERT_EQ(0, install("/c2w/c2w-exeswap", forked[0]));
	ASSERT_EQ(0, wait_swaps_gone(self->fd, &before));

	ASSERT_EQ(0, run(one[0], one));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/.swap/impl", c2w_alert_exe_at(a));
	EXPECT_EQ(C2W_AF_EXE_REPLACED, a->flags & C2W_AF_EXE_REPLACED);

	ASSERT_EQ(0, run(forked[0], forked));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/.swap/impl2", c2w_alert_exe_at(a));
	EXPECT_EQ(C2W_AF_EXE_REPLACED, a->flags & C2W_AF_EXE_REPLACED);
	EXPECT_NE(a->tgid, a->ppid);

	ASSERT_EQ(0, wait_swaps_gone(self->fd, &after));
	EXPECT_EQ(2, after.exe_replaced - before.exe_replaced);
	EXPECT_EQ(0, after.exe_replaced_untracked -
		     before.exe_replaced_untracked);
	EXPECT_EQ(0, after.exe_replaced_live);
	ASSERT_EQ(0, beacon_at("/usr/bin/curl", "tcp", "1.1.1.1", "443"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
}

TEST_F(eng, full_seen_set_fails_open)
{
	struct c2w_config c;
	struct c2w_alert *a;

	memset(&c, 0, sizeof(c));
	c.mask = C2W_CONFIG_SEEN_CAPACITY;
	c.seen_capacity = 1;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	ASSERT_EQ(0, beacon_at("/tmp/cap1", "tcp", "1.1.1.1", "80"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	EXPECT_FALSE(nth_alert(&self->rl, 0)->flags & C2W_AF_SEEN_FULL);
	/* Full: still alerts, every time, marked. */
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, beacon_at("/tmp/cap2", "tcp", "1.1.1.1", "80"));
		ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
		a = nth_alert(&self->rl, 0);
		EXPECT_TRUE(a->flags & C2W_AF_SEEN_FULL);
	}
	c.seen_capacity = 65536;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
}

TEST_F(eng, poll_reports_readable)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };

	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, beacon_at("/tmp/poll", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, poll(&p, 1, 1000));
	EXPECT_TRUE(p.revents & POLLIN);
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
}

TEST_F(eng, rules_read_back)
{
	struct c2w_buf b;
	char *buf;

	memset(&b, 0, sizeof(b));
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_GET_RULES, &b));
	ASSERT_EQ(ENOSPC, errno);
	ASSERT_LT(sizeof(struct c2w_rs_header), b.len);
	buf = malloc(b.len);
	b.ptr = (uintptr_t)buf;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_RULES, &b));
	EXPECT_EQ(1, b.count);
	EXPECT_EQ(C2W_RS_MAGIC, ((struct c2w_rs_header *)buf)->magic);
	EXPECT_EQ(b.len, ((struct c2w_rs_header *)buf)->size);
	/* What comes back loads again. */
	EXPECT_EQ(0, set_rules_blob(self->fd, buf, b.len));
	free(buf);
}

/*
 * Configuration needs CAP_SYS_ADMIN in the initial user namespace: every
 * privileged ioctl, each with a valid argument (so that only the
 * privilege can refuse it), from @how: 0 nobody, 1 root in a user
 * namespace. Returns 0, or 100 + the index of the first command that did
 * not fail with EPERM.
 */
static int unprivileged_config(int how, const void *blob, uint32_t size)
{
	pid_t pid = fork();
	int st;

	if (!pid) {
		struct seen_one rec;
		char key[] = "/tmp/x", out[4096];
		struct c2w_seen_forget f;
		struct c2w_stats stats;
		struct c2w_config cfg;
		struct c2w_buf get, set, imp;
		const struct {
			unsigned long cmd;
			void *arg;
		} cmds[] = {
			{ C2W_IOC_SET_RULES, &set },
			{ C2W_IOC_GET_RULES, &get },
			{ C2W_IOC_SET_CONFIG, &cfg },
			{ C2W_IOC_SEEN_EXPORT, &get },
			{ C2W_IOC_SEEN_IMPORT, &imp },
			{ C2W_IOC_SEEN_FORGET, &f },
			{ C2W_IOC_SEEN_CLEAR, NULL },
			{ C2W_IOC_LOCK, NULL },
			{ C2W_IOC_DETACH_READER, NULL },
		};
		int fd;

		if (how == 0 && (setgid(65534) || setuid(65534)))
			_exit(10);
		if (how == 1 && unshare(CLONE_NEWUSER))
			_exit(11);
		fd = open(C2W_DEV, O_WRONLY);
		if (fd < 0) {
			fprintf(stderr, "# open as %d: %s\n", how, strerror(errno));
			_exit(12);
		}
		/* What any user may do. */
		if (ioctl(fd, C2W_IOC_GET_STATS, &stats) ||
		    ioctl(fd, C2W_IOC_GET_CONFIG, &cfg))
			_exit(13);
		cfg.enabled = 0;
		memset(&set, 0, sizeof(set));
		set.ptr = (uintptr_t)blob;
		set.len = size;
		memset(&get, 0, sizeof(get));
		get.ptr = (uintptr_t)out;
		get.len = sizeof(out);
		seen_one(&rec, &imp, key);
		memset(&f, 0, sizeof(f));
		f.key = (uintptr_t)key;
		f.key_len = strlen(key);
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (ioctl(fd, cmds[i].cmd, cmds[i].arg) != -1 ||
			    errno != EPERM)
				_exit(100 + (int)i);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST_F(eng, config_needs_cap_sys_admin)
{
	char *paths[] = { SEED_RULES }, err[256];
	struct c2w_config cfg;
	uint32_t size;
	void *blob;

	ASSERT_EQ(0, rules_load(paths, 1, &blob, &size, err, sizeof(err)));
	/* Even when an administrator opens the node up. */
	ASSERT_EQ(0, chmod(C2W_DEV, 0666));
	EXPECT_EQ(0, unprivileged_config(0, blob, size));
	EXPECT_EQ(0, unprivileged_config(1, blob, size));
	ASSERT_EQ(0, chmod(C2W_DEV, 0600));
	free(blob);
	/* Nothing changed: still enabled, still unlocked. */
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_CONFIG, &cfg));
	EXPECT_EQ(1, cfg.enabled);
	EXPECT_EQ(0, cfg.locked);
}

TEST_F(eng, counters_balance)
{
	struct c2w_stats st;
	uint64_t hooks = 0;
	cpu_set_t all;

	ASSERT_EQ(0, beacon_at("/tmp/bal", "tcp", "1.1.1.1", "80"));
	ASSERT_EQ(0, beacon_at("/tmp/bal", "udp", "1.1.1.1", "80"));
	ASSERT_EQ(0, beacon_at("/tmp/bal", "tcp", "127.0.0.1", "80"));
	/*
	 * What the probes decide at once counts too: datagrams from a
	 * program no rule matches (its executable, from the cache after
	 * the first); a known program's repeats (on one CPU: the last match
	 * is kept per CPU). The memo's hits: see
	 * udp_sends_evaluated_once_per_socket_and_destination.
	 */
	ASSERT_EQ(0, install(BEACON, "/opt/bal/bal"));
	ASSERT_EQ(0, run("/opt/bal/bal", (char *[]){ "/opt/bal/bal", "-m",
			 "sendto-burst", "-n", "3", "9.9.9.9", "53", NULL }));
	ASSERT_EQ(0, pin_to_this_cpu(&all));
	ASSERT_EQ(0, run("/tmp/bal", (char *[]){ "/tmp/bal", "-m", "udp",
			 "-n", "4", "1.1.1.1", "80", NULL }));
	ASSERT_EQ(0, unpin(&all));
	/* Enough evaluations on some CPU for a timed one (1 in 16). */
	ASSERT_EQ(0, run("/opt/bal/bal", (char *[]){ "/opt/bal/bal", "-m",
			 "udp", "-n", "40", "127.0.0.1", "9", NULL }));
	ASSERT_EQ(0, collect(self->fd, &self->rl, 200));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &st));
	for (int i = 0; i < C2W_HOOK_MAX; i++)
		hooks += st.hook_hits[i];
	for (int i = 0; i < C2W_SEND_MAX; i++)
		hooks += st.send_hits[i];
	EXPECT_LT(0, st.excluded_exe);
	EXPECT_LT(0, st.repeated);
	EXPECT_EQ(hooks, st.ignored + st.evaluated + st.send_memo);
	EXPECT_EQ(st.evaluated, st.excluded + st.suppressed + st.alerted +
				st.dropped_alerts + st.failed);
	EXPECT_LE(st.matched, st.evaluated);
	EXPECT_EQ(st.records_queued, st.records_read);
	EXPECT_EQ(1, st.rules);
	EXPECT_LT(0, st.probe_ns_avg);
	EXPECT_LE(1, st.seen_entries);
	EXPECT_LT(0, st.seen_bytes);
}

TEST_F(eng, compat_syscall_connect_alerts)
{
	struct c2w_stats before, after;
	struct c2w_alert *a;

	if (access(BEACON "32", X_OK)) {
		/* The VM image always has it: missing there is a failure. */
		ASSERT_FALSE(module_expected()) TH_LOG("no " BEACON "32");
		SKIP(return, "no i386 beacon");
	}
	ASSERT_EQ(0, install(BEACON "32", "/tmp/compat32"));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	ASSERT_EQ(0, run("/tmp/compat32",
			 (char *[]){ "/tmp/compat32", "1.1.1.1", "80", NULL }));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/compat32", c2w_alert_exe_at(a));
	EXPECT_EQ(C2W_TRANSPORT_TCP, a->transport);
	/*
	 * UDP through the compat connect, from another path so that it is
	 * new: an alert, and the udp4 hook counted it (no alert could also
	 * mean a missing hook).
	 */
	ASSERT_EQ(0, install(BEACON "32", "/tmp/compat32u"));
	ASSERT_EQ(0, run("/tmp/compat32u", (char *[]){ "/tmp/compat32u", "-m",
			 "udp", "8.8.8.8", "53", NULL }));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/compat32u", c2w_alert_exe_at(a));
	EXPECT_EQ(C2W_TRANSPORT_UDP, a->transport);
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	EXPECT_EQ(1, after.hook_hits[C2W_HOOK_TCP4] -
		     before.hook_hits[C2W_HOOK_TCP4]);
	EXPECT_EQ(1, after.hook_hits[C2W_HOOK_UDP4] -
		     before.hook_hits[C2W_HOOK_UDP4]);
}

/*
 * DNS and QUIC channels need no connect(): a UDP datagram sent to an
 * explicit destination is an attempt like a connect, IPv4 and IPv6, on an
 * unconnected socket or one connected to a LAN resolver.
 */
TEST_F(eng, udp_sendto_alerts)
{
	struct c2w_alert *a;
	char dst[64];

	ASSERT_EQ(0, beacon_at("/tmp/dns4", "sendto", "8.8.8.8", "53"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/dns4", c2w_alert_exe_at(a));
	EXPECT_EQ(C2W_TRANSPORT_UDP, a->transport);
	EXPECT_EQ(4, a->family);
	EXPECT_EQ(53, a->dport);
	inet_ntop(AF_INET, a->daddr, dst, sizeof(dst));
	EXPECT_STREQ("8.8.8.8", dst);

	ASSERT_EQ(0, beacon_at("/tmp/dns6", "sendto", "2001:4860:4860::8888",
			       "53"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_EQ(6, a->family);
	EXPECT_EQ(C2W_TRANSPORT_UDP, a->transport);

	/* An AF_UNSPEC name: udp_sendmsg() sends it like AF_INET. */
	ASSERT_EQ(0, beacon_at("/tmp/dnsun", "sendto-unspec", "8.8.8.8", "53"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	EXPECT_STREQ("/tmp/dnsun", c2w_alert_exe_at(a));
	EXPECT_EQ(C2W_TRANSPORT_UDP, a->transport);

	/* Connected to the LAN resolver (excluded), then sendto() 8.8.8.8. */
	ASSERT_EQ(0, beacon_at("/tmp/dnslan", "lan-sendto", "8.8.8.8", "53"));
	ASSERT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	a = nth_alert(&self->rl, 0);
	inet_ntop(AF_INET, a->daddr, dst, sizeof(dst));
	EXPECT_STREQ("8.8.8.8", dst);
	EXPECT_STREQ("/tmp/dnslan", c2w_alert_exe_at(a));
}

/*
 * A resolver or a QUIC client (a trusted program: no rule matches) sends
 * many datagrams to few destinations: the first evaluated in full, which
 * puts its executable in the cache; the rest excluded at the probe by it.
 * A program a rule matches is never excluded so: the seen set decides, one
 * alert, the rest suppressed (after the first two, as repeats of the last
 * match). Sends excluded by a clause on something else than the
 * executable (here the port) are skipped by the memo: one evaluation per
 * socket and destination.
 */
TEST_F(eng, udp_sends_evaluated_once_per_socket_and_destination)
{
	struct c2w_stats before, after;
	cpu_set_t all;

	/* Per CPU, what is known of a process image: keep the sender on one. */
	ASSERT_EQ(0, pin_to_this_cpu(&all));
	ASSERT_EQ(0, install(BEACON, "/opt/quic/quic"));
	ASSERT_EQ(0, install(BEACON, "/tmp/quic"));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	ASSERT_EQ(0, run("/opt/quic/quic", (char *[]){ "/opt/quic/quic",
			 "-m", "sendto-burst", "-n", "50", "9.9.9.9", "443",
			 NULL }));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	EXPECT_EQ(50, after.send_hits[C2W_SEND_UDP4] -
		      before.send_hits[C2W_SEND_UDP4]);
	EXPECT_EQ(0, after.send_memo - before.send_memo);
	EXPECT_EQ(50, after.evaluated - before.evaluated);
	EXPECT_EQ(50, after.excluded - before.excluded);
	EXPECT_EQ(49, after.excluded_exe - before.excluded_exe);

	before = after;
	ASSERT_EQ(0, run("/tmp/quic", (char *[]){ "/tmp/quic", "-m",
			 "sendto-burst", "-n", "20", "9.9.9.9", "443",
			 NULL }));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	EXPECT_EQ(0, after.send_memo - before.send_memo);
	EXPECT_EQ(0, after.excluded - before.excluded);
	EXPECT_EQ(20, after.evaluated - before.evaluated);
	EXPECT_EQ(1, after.alerted - before.alerted);
	EXPECT_EQ(19, after.suppressed - before.suppressed);
	EXPECT_EQ(18, after.repeated - before.repeated);
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));

	ASSERT_EQ(0, load_kql(self->fd, "port", "process.executable:/opt/* "
			      "and destination.port:53", 0, 0));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	ASSERT_EQ(0, run("/opt/quic/quic", (char *[]){ "/opt/quic/quic",
			 "-m", "sendto-burst", "-n", "50", "9.9.9.9", "443",
			 NULL }));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	ASSERT_EQ(0, unpin(&all));
	EXPECT_EQ(50, after.send_hits[C2W_SEND_UDP4] -
		      before.send_hits[C2W_SEND_UDP4]);
	EXPECT_EQ(49, after.send_memo - before.send_memo);
	EXPECT_EQ(1, after.evaluated - before.evaluated);
	EXPECT_EQ(1, after.excluded - before.excluded);
}

/* The configuration ioctls from i386 userspace, through compat_ptr_ioctl. */
TEST_F(eng, compat_ioctls_from_32bit_userspace)
{
	char *out = NULL;

	if (access("/c2w/c2w-ioctl32", X_OK)) {
		ASSERT_FALSE(module_expected()) TH_LOG("no /c2w/c2w-ioctl32");
		SKIP(return, "no i386 ioctl helper");
	}
	EXPECT_EQ(0, run_capture((char *[]){ "/c2w/c2w-ioctl32", NULL }, &out,
				 true)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "1 rules, magic ok"));
	EXPECT_NE(NULL, strstr(out, "seen export"));
	EXPECT_EQ(NULL, strstr(out, "not a 32-bit build"));
	free(out);
}

/*
 * A kernel thread's connect (an in-kernel client: NFS, a tunnel) hits the
 * hook and is ignored, counted as such, never evaluated or alerted.
 */
TEST_F(eng, kernel_threads_are_ignored)
{
	struct c2w_stats before, after;
	int mfd, ret;

	mfd = open("/c2w/c2w_kthread.ko", O_RDONLY | O_CLOEXEC);
	if (mfd < 0) {
		ASSERT_FALSE(module_expected()) TH_LOG("no c2w_kthread.ko");
		SKIP(return, "no c2w_kthread.ko");
	}
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &before));
	ret = (int)syscall(SYS_finit_module, mfd, "", 0);
	close(mfd);
	if (ret && (errno == ENOEXEC || errno == EINVAL))
		SKIP(return, "c2w_kthread.ko is built for another kernel");
	ASSERT_EQ(0, ret) TH_LOG("c2w_kthread: %s", strerror(errno));
	syscall(SYS_delete_module, "c2w_kthread", O_NONBLOCK);
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_STATS, &after));
	EXPECT_EQ(1, after.hook_hits[C2W_HOOK_UDP4] -
		     before.hook_hits[C2W_HOOK_UDP4]);
	EXPECT_EQ(1, after.ignored - before.ignored);
	EXPECT_EQ(0, after.evaluated - before.evaluated);
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
}

TEST_F(eng, seen_forget_realerts)
{
	struct c2w_seen_forget f;
	const char *key = "/tmp/forget";

	ASSERT_EQ(0, beacon_at(key, "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, seen_forget(self->fd, "/tmp/nothere"));
	ASSERT_EQ(1, seen_forget(self->fd, key));
	/* A reserved field set: refused. */
	memset(&f, 0, sizeof(f));
	f.key = (uintptr_t)key;
	f.key_len = strlen(key);
	f.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_SEEN_FORGET, &f));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, beacon_at(key, "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
}

TEST_F(eng, default_window_applies_to_rules_without_one)
{
	/* Longer than two beacon runs take (seconds under KASAN). */
	const unsigned int window = 2 * time_scale();
	struct c2w_config c, got;

	/* Seed rule has its own 20 days; a rule without a window: */
	ASSERT_EQ(0, load_kql(self->fd, "nowindow",
			      "process.executable:/tmp/*", C2W_NT_EXECUTABLE,
			      0));
	memset(&c, 0, sizeof(c));
	c.mask = C2W_CONFIG_DEFAULT_WINDOW;
	c.default_window = window;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_GET_CONFIG, &got));
	EXPECT_EQ(window, got.default_window);
	ASSERT_EQ(0, beacon_at("/tmp/dw", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	ASSERT_EQ(0, beacon_at("/tmp/dw", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(0, alerts_after(_metadata, self->fd, &self->rl));
	sleep(window + 2);
	ASSERT_EQ(0, beacon_at("/tmp/dw", "tcp", "1.1.1.1", "80"));
	EXPECT_EQ(1, alerts_after(_metadata, self->fd, &self->rl));
	c.default_window = C2W_DEFAULT_WINDOW;
	ASSERT_EQ(0, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	c.default_window = C2W_MAX_WINDOW + 1;
	EXPECT_EQ(-1, ioctl(self->fd, C2W_IOC_SET_CONFIG, &c));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(eng, configuration_changes_are_recorded)
{
	struct c2w_config_rec *r = NULL;

	ASSERT_EQ(0, load_seed(self->fd));
	rl_free(&self->rl);
	ASSERT_EQ(0, collect(self->fd, &self->rl, 100));
	ASSERT_EQ(1, self->rl.config);
	r = (struct c2w_config_rec *)self->rl.buf;
	EXPECT_EQ(C2W_REC_CONFIG, r->hdr.type);
	EXPECT_EQ(C2W_CFG_RULES_LOADED, r->what);
	EXPECT_EQ(1, r->value);
	EXPECT_EQ(getpid(), r->pid);
	EXPECT_EQ(0, r->uid);
	/* Who made it: comm and executable, at exe_off. */
	{
		char self_exe[C2W_PATH_MAX], comm[32] = "";
		ssize_t n = readlink("/proc/self/exe", self_exe,
				     sizeof(self_exe) - 1);
		FILE *f = fopen("/proc/self/comm", "r");

		ASSERT_LT(0, n);
		self_exe[n] = '\0';
		ASSERT_NE(NULL, f);
		ASSERT_NE(NULL, fgets(comm, sizeof(comm), f));
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		EXPECT_STREQ(comm, (char *)r->comm);
		ASSERT_LT(r->exe_off + r->exe_len, r->hdr.size);
		EXPECT_EQ(sizeof(*r), r->exe_off);
		EXPECT_STREQ(self_exe, (char *)r + r->exe_off);
	}

	/* The writable module parameter is a configuration change too. */
	{
		char old[32] = "";

		ASSERT_EQ(0, get_param("seen_max_bytes", old, sizeof(old)));
		ASSERT_EQ(0, set_param("seen_max_bytes", "33554432"));
		rl_free(&self->rl);
		ASSERT_EQ(0, collect(self->fd, &self->rl, 100));
		ASSERT_EQ(1, self->rl.config);
		r = (struct c2w_config_rec *)self->rl.buf;
		EXPECT_EQ(C2W_CFG_SEEN_MAX_BYTES, r->what);
		EXPECT_EQ(33554432, r->value);
		EXPECT_EQ(getpid(), r->pid);
		ASSERT_EQ(0, set_param("seen_max_bytes", old));
	}
}

TEST_HARNESS_MAIN
