// SPDX-License-Identifier: GPL-2.0
/*
 * Stress with an accounting identity. Several processes connect in loops
 * from more distinct /tmp executables than the seen set holds, while the
 * ruleset is reloaded every few milliseconds, the reader opens and closes,
 * the seen set is exported, cleared and imported, and netlink watchers join
 * and leave. Then the counters must balance:
 *   hook hits = ignored + evaluated
 *   evaluated = excluded + suppressed + alerted + dropped + failed
 *   records read by the reader = records_read = records_queued
 *   lost counts reported in-band = records_dropped
 *   alert records read = alerted (one rule: one alert per alerted hit)
 * Then unload under load, and load/unload cycles under load.
 * C2W_STRESS_SECS sets the duration of the first phase (default 30; longer
 * until the seen set has been full once, up to five times that),
 * C2W_STRESS_CYCLES the number of cycles (default 20).
 */
#include <signal.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "c2w_test.h"

#define N_EXE		64
#define CAPACITY	40
#define N_WORKERS	3

struct shared {
	volatile int stop;
	volatile int drain;		/* producers gone: the reader drains */
	volatile int reader_done;
	uint64_t records, alerts, lost, lost_records;
	uint64_t reader_sessions;
};

static uint64_t rng = 88172645463325252ULL;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static pid_t spawn(void (*fn)(struct shared *, int), struct shared *sh,
		   int arg)
{
	pid_t pid = fork();

	if (!pid) {
		rng ^= (uint64_t)getpid() << 20;
		fn(sh, arg);
		_exit(0);
	}
	return pid;
}

static void worker(struct shared *sh, int id)
{
	(void)id;
	while (!sh->stop) {
		char path[64];
		char *args[] = { path, "-n", "3", "1.1.1.1", "80", NULL };

		snprintf(path, sizeof(path), "/tmp/stress/e%llu",
			 (unsigned long long)(xorshift() % N_EXE));
		if (xorshift() % 4 == 0)
			args[3] = "127.0.0.1";	/* excluded */
		if (xorshift() % 5 == 0)
			args[1] = "-m", args[2] = "udp";
		run(path, args);
	}
}

static void count_records(struct shared *sh, const unsigned char *buf,
			  ssize_t n)
{
	for (ssize_t off = 0; off < n;) {
		const struct c2w_record_hdr *h = (const void *)(buf + off);

		sh->records++;
		if (h->type == C2W_REC_ALERT)
			sh->alerts++;
		if (h->type == C2W_REC_LOST) {
			sh->lost += ((const struct c2w_lost *)h)->lost;
			sh->lost_records++;
		}
		off += h->size;
	}
}

/* Opens, reads for a while, closes, again; finally drains. */
static void reader(struct shared *sh, int id)
{
	static unsigned char buf[1 << 16];

	(void)id;
	for (;;) {
		int fd = open(C2W_DEV, O_RDONLY | O_NONBLOCK);
		int ms = 50 + (int)(xorshift() % 250);
		bool last = sh->drain;

		if (fd < 0) {
			usleep(1000);
			continue;
		}
		sh->reader_sessions++;
		for (int t = 0; t < ms / 10 || last; t++) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n > 0) {
				count_records(sh, buf, n);
				continue;
			}
			if (last && n < 0 && errno == EAGAIN)
				break;
			usleep(10000);
		}
		close(fd);
		if (last)
			break;
		usleep((xorshift() % 100) * 1000);
	}
	sh->reader_done = 1;
}

static void reloader(struct shared *sh, int id)
{
	int fd = open(C2W_DEV, O_WRONLY);

	(void)id;
	while (!sh->stop) {
		load_seed(fd);
		usleep(5000);
	}
	close(fd);
}

static void seen_churn(struct shared *sh, int id)
{
	int fd = open(C2W_DEV, O_WRONLY);

	(void)id;
	while (!sh->stop) {
		struct c2w_buf b;
		void *buf;

		memset(&b, 0, sizeof(b));
		ioctl(fd, C2W_IOC_SEEN_EXPORT, &b);
		buf = malloc(b.len + 4096);
		b.ptr = (uintptr_t)buf;
		b.len += 4096;
		b.count = 0;
		if (!ioctl(fd, C2W_IOC_SEEN_EXPORT, &b) && b.len) {
			ioctl(fd, C2W_IOC_SEEN_CLEAR);
			b.count = 0;
			ioctl(fd, C2W_IOC_SEEN_IMPORT, &b);
		}
		free(buf);
		usleep(100000);
	}
	close(fd);
}

static void watchers(struct shared *sh, int id)
{
	(void)id;
	while (!sh->stop) {
		pid_t w = fork();

		if (!w) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			dup2(null, 2);
			execv(CTL, (char *[]){ CTL, "watch", "--json", NULL });
			_exit(127);
		}
		usleep(300000);
		kill(w, SIGINT);
		waitpid(w, NULL, 0);
	}
}

static void stop_all(struct shared *sh, pid_t *pids, int n)
{
	sh->stop = 1;
	for (int i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
}

/* A fixture only for the harness timeout: TCG needs minutes here. */
FIXTURE(slow) {
	int unused;
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, stress_counters_balance, 900)
{
	const char *env = getenv("C2W_STRESS_SECS");
	const char *cenv = getenv("C2W_STRESS_CYCLES");
	int secs = env ? atoi(env) : 30, ran, fd, np = 0;
	int cycles = cenv ? atoi(cenv) : 20;
	struct shared *sh;
	struct c2w_config c;
	struct c2w_stats st;
	uint64_t hooks = 0;
	pid_t pids[16], rpid;

	NEED_DEVICE();
	ASSERT_EQ(0, reload_module(""));
	ASSERT_EQ(0, install(BEACON, "/tmp/stress/e0"));
	for (int i = 1; i < N_EXE; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/tmp/stress/e%d", i);
		unlink(p);
		ASSERT_EQ(0, link("/tmp/stress/e0", p));
	}
	fd = open(C2W_DEV, O_WRONLY);
	ASSERT_LE(0, fd);
	memset(&c, 0, sizeof(c));
	c.mask = C2W_CONFIG_ENABLED | C2W_CONFIG_SEEN_CAPACITY;
	c.enabled = 1;
	c.seen_capacity = CAPACITY;	/* fewer than the executables */
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SET_CONFIG, &c));
	ASSERT_EQ(0, load_seed(fd));

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	rpid = spawn(reader, sh, 0);
	for (int i = 0; i < N_WORKERS; i++)
		pids[np++] = spawn(worker, sh, i);
	pids[np++] = spawn(reloader, sh, 0);
	pids[np++] = spawn(seen_churn, sh, 0);
	pids[np++] = spawn(watchers, sh, 0);
	sleep(secs);
	ran = secs;
	/*
	 * Under KASAN and single-threaded TCG a connect takes the better part
	 * of a second: go on until the seen set has been full once (what the
	 * phase is for), for at most four times as long again.
	 */
	for (int t = 0; t < 4 * secs; t++, ran++) {
		if (ioctl(fd, C2W_IOC_GET_STATS, &st) || st.seen_full)
			break;
		sleep(1);
	}
	stop_all(sh, pids, np);
	/* Quiet now: the reader's last session drains the queue. */
	sh->drain = 1;
	waitpid(rpid, NULL, 0);
	ASSERT_EQ(1, sh->reader_done);
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_GET_STATS, &st));
	close(fd);

	for (int i = 0; i < C2W_HOOK_MAX; i++)
		hooks += st.hook_hits[i];
	for (int i = 0; i < C2W_SEND_MAX; i++)
		hooks += st.send_hits[i];
	printf("# %d s: %llu hook hits, %llu evaluated, %llu alerted, %llu suppressed, %llu dropped, %llu failed, %llu seen-full; reader: %llu sessions, %llu records, %llu alerts, %llu lost\n",
	       ran, (unsigned long long)hooks,
	       (unsigned long long)st.evaluated, (unsigned long long)st.alerted,
	       (unsigned long long)st.suppressed,
	       (unsigned long long)st.dropped_alerts,
	       (unsigned long long)st.failed, (unsigned long long)st.seen_full,
	       (unsigned long long)sh->reader_sessions,
	       (unsigned long long)sh->records, (unsigned long long)sh->alerts,
	       (unsigned long long)sh->lost);
	EXPECT_LT(100, hooks);
	EXPECT_LT(0, st.seen_full);	/* more executables than room */
	EXPECT_EQ(hooks, st.ignored + st.evaluated + st.send_memo);
	EXPECT_EQ(st.evaluated, st.excluded + st.suppressed + st.alerted +
				st.dropped_alerts + st.failed);
	EXPECT_EQ(sh->records, st.records_read);
	/* And the last reader's detach record, queued once it had closed. */
	EXPECT_EQ(st.records_read + 1, st.records_queued);
	EXPECT_EQ(sh->lost, st.records_dropped);
	EXPECT_EQ(sh->alerts, st.alerted);

	/* Unload under load, then load/unload cycles under load. */
	sh->stop = 0;
	np = 0;
	for (int i = 0; i < N_WORKERS; i++)
		pids[np++] = spawn(worker, sh, i);
	usleep(300000);
	for (int i = 0; i <= cycles; i++) {
		double t0 = now_s(), t1;

		ASSERT_EQ(0, syscall(SYS_delete_module, "c2watch", O_NONBLOCK))
			TH_LOG("cycle %d", i);
		t1 = now_s();
		ASSERT_EQ(0, reload_module("")) TH_LOG("cycle %d", i);
		fd = open(C2W_DEV, O_WRONLY);
		ASSERT_EQ(0, load_seed(fd));
		close(fd);
		/* Where a slow kernel's time goes (the harness times out). */
		printf("# cycle %d: unload %.1f s, load %.1f s\n", i, t1 - t0,
		       now_s() - t1);
		fflush(stdout);
		usleep(100000);
	}
	stop_all(sh, pids, np);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
