// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl fuzzing: random commands, sizes, payloads and pointers (NULL,
 * unmapped, kernel half), adversarial rulesets and seen-set imports, from
 * root, from an unprivileged user and from root in a user namespace (which
 * must not be able to configure). Afterwards a known-good ruleset still
 * loads and alerts. Seeded and reproducible: C2W_FUZZ_SEED, C2W_FUZZ_ITERS;
 * the seed is printed first.
 */
#include <sched.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "c2w_test.h"

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const unsigned long known_cmds[] = {
	C2W_IOC_GET_VERSION, C2W_IOC_SET_RULES, C2W_IOC_GET_RULES,
	C2W_IOC_GET_CONFIG, C2W_IOC_SET_CONFIG, C2W_IOC_GET_STATS,
	C2W_IOC_SEEN_EXPORT, C2W_IOC_SEEN_IMPORT, C2W_IOC_SEEN_FORGET,
	C2W_IOC_SEEN_CLEAR, C2W_IOC_DETACH_READER,
	/* C2W_IOC_LOCK only where it must fail: it cannot be undone. */
};

struct arena {
	uint8_t *buf;		/* 1 MiB of random and structured bytes */
	size_t size;
	void *unmapped;
	void *good_blob;
	uint32_t good_size;
};

/* A ruleset: the good one mutated, or one with adversarial counts. */
static void *ruleset(struct arena *a, uint32_t *len)
{
	uint8_t *p = a->buf + 4096;
	struct c2w_rs_header *h = (void *)p;
	uint32_t n;

	switch (rnd() % 4) {
	case 0:	/* the good blob, a few bytes flipped */
		memcpy(p, a->good_blob, a->good_size);
		for (n = rnd() % 8; n; n--)
			p[rnd() % a->good_size] = (uint8_t)rnd();
		*len = a->good_size;
		break;
	case 1:	/* huge counts, matching or lying size */
		memset(h, 0, sizeof(*h));
		h->magic = C2W_RS_MAGIC;
		h->n_rules = (uint32_t)rnd();
		h->n_clauses = (uint32_t)rnd();
		h->n_tests = (uint32_t)rnd();
		h->strtab_size = (uint32_t)rnd();
		*len = sizeof(*h) + (uint32_t)(rnd() % 65536);
		h->size = rnd() % 2 ? *len : (uint32_t)rnd();
		break;
	case 2:	/* the good blob with its header size shrunk or grown */
		memcpy(p, a->good_blob, a->good_size);
		*len = (uint32_t)(rnd() % (a->good_size + 64));
		h->size = *len;
		break;
	default: /* deep clauses: one rule, many one-test clauses */
		memcpy(p, a->good_blob, a->good_size);
		h->n_clauses = 1 + (uint32_t)(rnd() % 5000);
		*len = a->good_size;
		break;
	}
	return p;
}

static uint64_t pick_ptr(struct arena *a, uint32_t len)
{
	switch (rnd() % 6) {
	case 0: return 0;
	case 1: return (uintptr_t)a->unmapped;
	case 2: return 0xffff888000000000ULL + (rnd() & 0xffffff);
	case 3: return (uintptr_t)(a->buf + a->size - (len % 4096));
	default: return (uintptr_t)(a->buf + rnd() % (a->size / 2));
	}
}

/* One random ioctl, its command in *@cmdp. Returns the errno (0: success). */
static int one(int fd, struct arena *a, bool lock_ok, unsigned long *cmdp)
	__attribute__((noinline));

static int one(int fd, struct arena *a, bool lock_ok, unsigned long *cmdp)
{
	/*
	 * As large as the largest size any command number can declare:
	 * GET_STATS and GET_CONFIG take theirs from it and fill it all,
	 * zeroing past their structure. A random number of someone else's
	 * magic (case 1) is now and then ours, with up to 16383 bytes: a
	 * smaller buffer was overwritten, the stack with it. Random bytes
	 * in the first 512, as many as the other cases declare.
	 */
	uint8_t arg[1 << _IOC_SIZEBITS];
	unsigned long cmd;
	void *argp = arg;
	long ret;

	for (size_t i = 0; i < 512; i++)
		arg[i] = (uint8_t)rnd();
	switch (rnd() % 8) {
	case 0:	/* any command number of our magic, any size and direction */
		cmd = _IOC(rnd() % 4, C2W_IOC_MAGIC, rnd() % 256,
			   rnd() % 512);
		break;
	case 1:	/* someone else's magic */
		cmd = (unsigned long)rnd() & 0xffffffff;
		break;
	default:
		cmd = known_cmds[rnd() % (sizeof(known_cmds) /
					   sizeof(known_cmds[0]))];
	}
	if (cmd == C2W_IOC_LOCK && !lock_ok)
		cmd = C2W_IOC_GET_STATS;
	if (cmd == C2W_IOC_SET_RULES || cmd == C2W_IOC_SEEN_IMPORT ||
	    cmd == C2W_IOC_GET_RULES || cmd == C2W_IOC_SEEN_EXPORT) {
		struct c2w_buf *b = (void *)arg;
		uint32_t len = (uint32_t)rnd() % 70000;

		if (rnd() % 3) {
			memset(b, 0, sizeof(*b));
			if (cmd == C2W_IOC_SET_RULES && rnd() % 2) {
				b->ptr = (uintptr_t)ruleset(a, &len);
			} else {
				b->ptr = pick_ptr(a, len);
			}
			b->len = rnd() % 8 ? len : (uint32_t)rnd();
		}
	} else if (cmd == C2W_IOC_SEEN_FORGET && rnd() % 2) {
		struct c2w_seen_forget *f = (void *)arg;

		memset(f, 0, sizeof(*f));
		f->key_len = (uint32_t)rnd() % 10000;
		f->key = pick_ptr(a, f->key_len);
	} else if (cmd == C2W_IOC_SET_CONFIG && rnd() % 2) {
		struct c2w_config *c = (void *)arg;

		memset(c, 0, sizeof(*c));
		/* Any mask, unknown bits too; never left disabled. */
		c->mask = (uint32_t)rnd() % 16;
		c->enabled = 1;
		c->seen_capacity = (uint32_t)rnd() % 100000;
		c->default_window = rnd() % 3 ? 0 : (uint32_t)rnd();
	}
	switch (rnd() % 10) {
	case 0: argp = NULL; break;
	case 1: argp = a->unmapped; break;
	case 2: argp = (void *)(uintptr_t)0xffff888000000000ULL; break;
	default: break;
	}
	*cmdp = cmd;
	ret = ioctl(fd, cmd, argp);
	return ret ? errno : 0;
}

/* @cmd is @base with any size from @min on (the sized commands). */
static bool sized(unsigned long cmd, unsigned long base, size_t min)
{
	return _IOC_TYPE(cmd) == _IOC_TYPE(base) &&
	       _IOC_NR(cmd) == _IOC_NR(base) &&
	       _IOC_DIR(cmd) == _IOC_DIR(base) && _IOC_SIZE(cmd) >= min;
}

/*
 * What any user may do with an open device; everything else needs root.
 * GET_CONFIG and GET_STATS in any size (a newer or older header's).
 */
static bool unprivileged_cmd(unsigned long cmd)
{
	return cmd == C2W_IOC_GET_VERSION ||
	       sized(cmd, C2W_IOC_GET_CONFIG, C2W_CONFIG_SIZE_VER0) ||
	       sized(cmd, C2W_IOC_GET_STATS, C2W_STATS_SIZE_VER0);
}

/*
 * @lock_ok: also try C2W_IOC_LOCK (callers for whom it must fail).
 * @priv_ok: out, privileged commands that succeeded (none may, unprivileged)
 */
static void fuzz(int fd, struct arena *a, long iters, bool lock_ok,
		 long *ok, long *eperm, long *priv_ok)
{
	for (long i = 0; i < iters; i++) {
		unsigned long cmd;
		int e = one(fd, a, lock_ok, &cmd);

		*ok += !e;
		*eperm += e == EPERM;
		*priv_ok += !e && !unprivileged_cmd(cmd);
	}
}

static void setup_arena(struct arena *a)
{
	char *paths[] = { SEED_RULES }, err[256];

	a->size = 1 << 20;
	a->buf = mmap(NULL, a->size + 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < a->size; i++)
		a->buf[i] = (uint8_t)rnd();
	/* The page after the arena is unmapped: reads run off its end. */
	munmap(a->buf + a->size, 4096);
	a->unmapped = a->buf + a->size;
	rules_load(paths, 1, &a->good_blob, &a->good_size, err, sizeof(err));
}

/* Config commands from @how: 0 nobody, 1 root in a user namespace. */
static int fuzz_unprivileged(struct arena *a, int how, long iters)
{
	pid_t pid = fork();
	int st;

	if (!pid) {
		long ok = 0, eperm = 0, priv_ok = 0;
		struct c2w_stats before, after;
		int fd;

		rng += how + 1;	/* not the same sequence as the other child */
		if (how == 0 && (setgid(65534) || setuid(65534)))
			_exit(10);
		if (how == 1 && unshare(CLONE_NEWUSER))
			_exit(11);
		fd = open(C2W_DEV, O_WRONLY);
		if (fd < 0)
			_exit(12);
		if (ioctl(fd, C2W_IOC_GET_STATS, &before))
			_exit(13);
		fuzz(fd, a, iters, true, &ok, &eperm, &priv_ok);
		/* Every configuring command must have failed. */
		if (priv_ok) {
			printf("# %ld privileged ioctls succeeded\n", priv_ok);
			_exit(18);
		}
		if (!ioctl(fd, C2W_IOC_LOCK) || errno != EPERM)
			_exit(14);
		if (!ioctl(fd, C2W_IOC_SEEN_CLEAR) || errno != EPERM)
			_exit(15);
		if (ioctl(fd, C2W_IOC_GET_STATS, &after) ||
		    after.rules != before.rules)
			_exit(16);
		printf("# %s: %ld ioctls, %ld succeeded, %ld EPERM\n",
		       how ? "root in a user namespace" : "nobody", iters, ok,
		       eperm);
		_exit(eperm ? 0 : 17);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
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

TEST_F_TIMEOUT(slow, ioctl_fuzz, 900)
{
	const char *s = getenv("C2W_FUZZ_SEED"), *n = getenv("C2W_FUZZ_ITERS");
	long iters = n ? atol(n) : 20000, ok = 0, eperm = 0, priv_ok = 0;
	uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	struct rec_list rl;
	struct c2w_config c;
	struct arena a;
	int fd, rfd;

	NEED_DEVICE();
	printf("# C2W_FUZZ_SEED=%llu C2W_FUZZ_ITERS=%ld\n",
	       (unsigned long long)seed, iters);
	rng = seed;
	setup_arena(&a);
	ASSERT_NE(NULL, a.good_blob);
	fd = open(C2W_DEV, O_WRONLY);
	ASSERT_LE(0, fd);
	rfd = open(C2W_DEV, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, rfd);

	fuzz(fd, &a, iters, false, &ok, &eperm, &priv_ok);
	printf("# root: %ld ioctls, %ld succeeded (%ld privileged)\n", iters,
	       ok, priv_ok);
	EXPECT_LT(0, ok);
	/* Root's privileged calls do succeed: the count below can see them. */
	EXPECT_LT(0, priv_ok);
	EXPECT_EQ(0, eperm);
	/* Random reads of the stream in between. */
	for (int i = 0; i < 100; i++) {
		char buf[512];

		read(rfd, buf, rnd() % sizeof(buf));
	}
	/* The node opened up, as an administrator might: still refused. */
	ASSERT_EQ(0, chmod(C2W_DEV, 0666));
	EXPECT_EQ(0, fuzz_unprivileged(&a, 0, iters / 10 + 1))
		TH_LOG("seed %llu", (unsigned long long)seed);
	EXPECT_EQ(0, fuzz_unprivileged(&a, 1, iters / 10 + 1))
		TH_LOG("seed %llu", (unsigned long long)seed);
	ASSERT_EQ(0, chmod(C2W_DEV, 0600));
	/* A detach request may have been fuzzed in: a fresh reader. */
	close(rfd);
	rfd = open(C2W_DEV, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, rfd);

	/* Known-good state again: everything still works. */
	memset(&c, 0, sizeof(c));
	c.mask = C2W_CONFIG_ALL;
	c.enabled = 1;
	c.seen_capacity = 65536;
	c.default_window = C2W_DEFAULT_WINDOW;
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SET_CONFIG, &c));
	ASSERT_EQ(0, load_seed(fd));
	ASSERT_EQ(0, ioctl(fd, C2W_IOC_SEEN_CLEAR));
	ASSERT_EQ(0, collect(rfd, &rl, 100));
	rl_free(&rl);
	ASSERT_EQ(0, beacon_at("/tmp/after-fuzz", "tcp", "1.1.1.1", "443"));
	ASSERT_EQ(0, collect(rfd, &rl, 300));
	EXPECT_EQ(1, rl.alerts) TH_LOG("seed %llu", (unsigned long long)seed);
	rl_free(&rl);
	close(rfd);
	close(fd);
}

TEST_HARNESS_MAIN
