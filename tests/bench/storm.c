// SPDX-License-Identifier: GPL-2.0
/*
 * storm: connect and send storms for the c2watch benchmarks.
 *
 *   storm tcp|udp ADDRESS[,ADDRESS...] PORT COUNT [NPORTS]
 *	COUNT attempts of socket, connect, close, cycling over every ADDRESS
 *	and the NPORTS ports from PORT (default 1). TCP connects to a closed
 *	port (the RST comes back at once, no TIME_WAIT build-up); UDP
 *	connects are local only. Two addresses or ports or more: no attempt
 *	repeats the one before, which c2watch would judge at the probe as a
 *	repeat of that match.
 *
 *   storm sendto ADDRESS[,ADDRESS...] PORT COUNT [NPORTS]
 *	One UDP socket that never connects sends COUNT one-byte datagrams,
 *	cycling over every ADDRESS and the NPORTS ports from PORT (default
 *	1): the way DNS and QUIC clients talk, which c2watch sees at
 *	udp_sendmsg. More destinations than the module's per-CPU memo of
 *	excluded sends holds (256 slots) make it evaluate every send.
 *
 *   storm pace tcp|udp ADDRESS PORT RATE SECONDS
 *	RATE connect attempts a second for SECONDS seconds, in batches of
 *	about a millisecond, to offer the module and c2watchd a known load.
 *	A machine that cannot keep pace stops at SECONDS, short of
 *	RATE * SECONDS attempts: the achieved rate says how far short.
 *
 * Prints "MODE COUNT SECONDS PER_S US_PER_ATTEMPT", COUNT the attempts
 * made. Exit status 1 when an attempt failed otherwise than refused or
 * unreachable, 2 on a usage error.
 *
 *   storm -t N tcp|udp ...
 *	The attempts taken in turn by N processes of this program (itself
 *	and N - 1 children forked after the arguments are read), all on the
 *	CPU it started on: attempt i is process i % N's, a child's asked
 *	for and waited on through a pipe. c2watch keeps the last match of a
 *	few process images per CPU: up to that many in turn are judged as
 *	one is, more push each other's matches out. The pipes' round trips
 *	are in every figure, with the module or without.
 *
 *   storm -s SWITCH -p PAIRS tcp|udp|sendto ...
 *	Paired: PAIRS pairs of COUNT timed attempts each, one with "0"
 *	written to the file SWITCH, one with "1" (off then on, then on then
 *	off, and so on), each after COUNT / 10 attempts untimed; "1" is
 *	written at the end, on an error and on SIGINT, SIGTERM or SIGHUP.
 *	With /sys/kernel/debug/kprobes/enabled, which disarms and arms every
 *	kprobe, that is a module's hooks against no hook at all, measured
 *	within milliseconds of each other: the drift of a noisy machine
 *	(TCG: slow and fast stretches lasting seconds) falls on both halves
 *	of a pair alike. Prints "pair MODE I US_OFF US_ON" per pair.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ADDRS	16
#define MAX_TURNS	16

static int usage(void)
{
	fprintf(stderr,
		"usage: storm [-t N] [-s SWITCH -p PAIRS] tcp|udp ADDRESS[,ADDRESS...] PORT COUNT [NPORTS]\n"
		"       storm [-s SWITCH -p PAIRS] sendto ADDRESS[,ADDRESS...] PORT COUNT [NPORTS]\n"
		"       storm pace tcp|udp ADDRESS PORT RATE SECONDS\n");
	return 2;
}

static int parse_num(const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end || *v < lo || *v > hi ? -1 : 0;
}

static int parse_type(const char *s, int *type)
{
	if (!strcmp(s, "tcp"))
		*type = SOCK_STREAM;
	else if (!strcmp(s, "udp"))
		*type = SOCK_DGRAM;
	else
		return -1;
	return 0;
}

static int parse_sin(const char *addr, const char *port,
		     struct sockaddr_in *sin)
{
	long p;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1 ||
	    parse_num(port, 0, 65535, &p))
		return -1;
	sin->sin_port = htons((unsigned short)p);
	return 0;
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void report(const char *mode, long n, double s)
{
	printf("%s %ld %.6f %.1f %.2f\n", mode, n, s, n / s,
	       n ? s * 1e6 / n : 0.0);
}

/* A closed port's refusal is the answer the storms expect. */
static int attempt(int type, const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, type, 0), ret = 0;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) &&
	    errno != ECONNREFUSED)
		ret = -1;
	close(fd);
	return ret;
}

/*
 * What a storm repeats: connects (type set) or datagrams from one socket
 * (fd set), attempt i going to the i-th port or address of the cycle.
 */
struct run {
	const char *mode;
	int type;
	int fd;
	struct sockaddr_in dst[MAX_ADDRS];
	int naddr;
	long port;
	long nports;
	int nturns;		/* processes taking turns, 1: none */
	int ask[MAX_TURNS];	/* to child k: the attempt's index */
	int done[MAX_TURNS];	/* from child k: its result */
	pid_t pid[MAX_TURNS];
};

/* Every address, then the next port: naddr * nports in all. */
static struct sockaddr_in dest(const struct run *r, long i)
{
	struct sockaddr_in d = r->dst[i % r->naddr];

	d.sin_port = htons((unsigned short)(r->port + i / r->naddr % r->nports));
	return d;
}

static int send_one(const struct run *r, long i)
{
	struct sockaddr_in d = dest(r, i);
	const char byte = 0;

	/*
	 * An unconnected socket is told of ICMP errors (the gateway's port
	 * unreachables) only with IP_RECVERR, which is not set; a refusal or
	 * an unreachable host would not be a failure of the sender anyway.
	 */
	if (sendto(r->fd, &byte, 1, 0, (struct sockaddr *)&d, sizeof(d)) < 0 &&
	    errno != ECONNREFUSED && errno != EHOSTUNREACH)
		return -1;
	return 0;
}

/* Attempt i of a connect storm: the next address or port of the cycle. */
static int connect_one(const struct run *r, long i)
{
	struct sockaddr_in sin = dest(r, i);

	return attempt(r->type, &sin);
}

/* Attempt i by child k (storm -t): asked for, then its result. */
static int by_child(const struct run *r, int k, long i)
{
	char res;

	if (write(r->ask[k], &i, sizeof(i)) != sizeof(i) ||
	    read(r->done[k], &res, 1) != 1)
		return -1;
	return res == '0' ? 0 : -1;
}

/* Attempts from .. from + n - 1; the failures. */
static long run(const struct run *r, long from, long n)
{
	long i, fails = 0;

	for (i = from; i < from + n; i++) {
		int k = r->nturns > 1 ? (int)(i % r->nturns) : 0;

		if (k ? by_child(r, k, i) :
		    r->fd >= 0 ? send_one(r, i) : connect_one(r, i))
			fails++;
	}
	return fails;
}

/* A child of storm -t: the attempts it is asked for, until end of file. */
static void serve(const struct run *r, int ask, int done)
{
	long i;

	while (read(ask, &i, sizeof(i)) == sizeof(i)) {
		char res = connect_one(r, i) ? '1' : '0';

		if (write(done, &res, 1) != 1)
			break;
	}
	_exit(0);
}

/*
 * The N - 1 children of storm -t, on this CPU with this process. Attempts
 * are connects: the children inherit nothing else of @r's to send from.
 */
static int start_turns(struct run *r)
{
	int k, cpu;
	cpu_set_t one;

	if (r->nturns < 2)
		return 0;
	/* A child gone: its pipe's EPIPE is a failed attempt, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	cpu = sched_getcpu();
	CPU_ZERO(&one);
	if (cpu >= 0)
		CPU_SET(cpu, &one);
	if (cpu < 0 || sched_setaffinity(0, sizeof(one), &one)) {
		perror("storm: sched_setaffinity");
		return -1;
	}
	for (k = 1; k < r->nturns; k++) {
		int to[2], from[2];

		if (pipe(to) || pipe(from)) {
			perror("storm: pipe");
			return -1;
		}
		r->pid[k] = fork();
		if (r->pid[k] < 0) {
			perror("storm: fork");
			return -1;
		}
		if (!r->pid[k]) {
			/* Only its own ends: the others' end of file. */
			while (--k > 0) {
				close(r->ask[k]);
				close(r->done[k]);
			}
			close(to[1]);
			close(from[0]);
			serve(r, to[0], from[1]);
		}
		close(to[0]);
		close(from[1]);
		r->ask[k] = to[1];
		r->done[k] = from[0];
	}
	return 0;
}

/* The children of storm -t told to stop, and waited for. */
static void stop_turns(struct run *r)
{
	int k;

	for (k = 1; k < r->nturns; k++) {
		if (r->pid[k] <= 0)
			continue;
		close(r->ask[k]);
		close(r->done[k]);
	}
	for (k = 1; k < r->nturns; k++)
		if (r->pid[k] > 0)
			waitpid(r->pid[k], NULL, 0);
}

static const char *armed_switch;	/* to write "1" to on a signal */

static int set_switch(const char *path, int on)
{
	int fd = open(path, O_WRONLY), ret = 0;
	ssize_t n = fd < 0 ? -1 : write(fd, on ? "1\n" : "0\n", 2);

	if (n != 2) {
		fprintf(stderr, "storm: %s: %s\n", path,
			n < 0 ? strerror(errno) : "short write");
		ret = -1;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Never leave the machine with its probes disarmed. */
static void rearm(int sig)
{
	int fd = open(armed_switch, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1\n", 2) != 2)
			sig = SIGKILL;	/* nothing more to try */
		close(fd);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static int paired(const struct run *r, long count, const char *sw,
		  long pairs)
{
	struct sigaction sa = { .sa_handler = rearm };
	long fails = 0, p, k;
	struct timespec t0;
	double s[2];

	armed_switch = sw;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return 1;
	for (p = 0; p < pairs; p++) {
		for (k = 0; k < 2; k++) {
			/* Off then on, then on then off: order cancels. */
			int on = (int)((k + p) % 2);
			long at = (2 * p + k) * (count + count / 10);

			if (set_switch(sw, on))
				goto out;
			/* Code patched or not: settled before the clock. */
			fails += run(r, at, count / 10);
			clock_gettime(CLOCK_MONOTONIC, &t0);
			fails += run(r, at + count / 10, count);
			s[on] = since(&t0);
		}
		printf("pair %s %ld %.2f %.2f\n", r->mode, p + 1,
		       s[0] * 1e6 / count, s[1] * 1e6 / count);
	}
out:
	if (set_switch(sw, 1) || p < pairs)
		return 1;
	return fails ? 1 : 0;
}

/* COUNT attempts, or PAIRS pairs of COUNT with the switch off and on. */
static int measure(const struct run *r, long count, const char *sw,
		   long pairs)
{
	struct timespec t0;
	long fails;

	if (sw)
		return paired(r, count, sw, pairs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fails = run(r, 0, count);
	report(r->mode, count, since(&t0));
	return fails ? 1 : 0;
}

/* ADDRESS[,ADDRESS...] PORT into @r; -1 when it is not that. */
static int parse_dests(struct run *r, const char *addrs, const char *port)
{
	char *list = strdup(addrs), *a, *save;

	if (!list || parse_num(port, 0, 65535, &r->port))
		goto bad;
	for (a = strtok_r(list, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		if (r->naddr == MAX_ADDRS ||
		    parse_sin(a, port, &r->dst[r->naddr]))
			goto bad;
		r->naddr++;
	}
	free(list);
	return r->naddr ? 0 : -1;
bad:
	free(list);
	return -1;
}

static int storm_main(int argc, char **argv, const char *sw, long pairs,
		      long turns)
{
	struct run r = {
		.mode = argv[1], .fd = -1, .nports = 1, .nturns = (int)turns,
	};
	long count;
	int ret = 1;

	if (argc < 5 || argc > 6 || parse_type(argv[1], &r.type) ||
	    parse_dests(&r, argv[2], argv[3]) ||
	    parse_num(argv[4], 1, 1000000000, &count) ||
	    (argc == 6 && parse_num(argv[5], 1, 65536 - r.port, &r.nports)))
		return usage();
	if (!start_turns(&r))
		ret = measure(&r, count, sw, pairs);
	stop_turns(&r);
	return ret;
}

static int sendto_main(int argc, char **argv, const char *sw, long pairs)
{
	struct run r = { .mode = "sendto", .nports = 1 };
	long count;
	int ret;

	if (argc < 4 || argc > 5 || parse_dests(&r, argv[1], argv[2]) ||
	    parse_num(argv[3], 1, 1000000000, &count) ||
	    (argc == 5 && parse_num(argv[4], 1, 65536 - r.port, &r.nports)))
		return usage();
	r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (r.fd < 0) {
		perror("storm: socket");
		return 1;
	}
	ret = measure(&r, count, sw, pairs);
	close(r.fd);
	return ret;
}

static int pace_main(int argc, char **argv)
{
	struct timespec t0, wake;
	long rate, secs, total, batch, done = 0, fails = 0;
	struct sockaddr_in sin;
	char mode[16];
	double s;
	int type;

	if (argc != 6 || parse_type(argv[1], &type) ||
	    parse_sin(argv[2], argv[3], &sin) ||
	    parse_num(argv[4], 1, 10000000, &rate) ||
	    parse_num(argv[5], 1, 3600, &secs))
		return usage();
	total = rate * secs;
	/*
	 * A millisecond's worth of attempts per wake-up: one sleep per
	 * attempt would cost more than the attempt at high rates (the
	 * timer slack alone is 50 us).
	 */
	batch = rate / 1000 ? rate / 1000 : 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (done < total) {
		long due, n, next;
		double at;

		/*
		 * Out of time: stop unless only the last batch is left (a
		 * late wake-up, not a machine that cannot keep pace).
		 */
		s = since(&t0);
		if (s >= secs && total - done > batch)
			break;
		/* Attempt i is due at i / rate. */
		due = (long)(s * rate) + 1;
		if (due > total)
			due = total;
		if (done < due) {
			/* At most a batch between looks at the clock. */
			for (n = 0; n < batch && done < due; n++, done++)
				if (attempt(type, &sin))
					fails++;
			continue;
		}
		/* Ahead: sleep until a whole batch is due. */
		next = done + batch - 1 < total ? done + batch - 1 : total - 1;
		at = (double)next / rate;
		wake = t0;
		wake.tv_sec += (time_t)at;
		wake.tv_nsec += (long)((at - (double)(time_t)at) * 1e9);
		if (wake.tv_nsec >= 1000000000L) {
			wake.tv_sec++;
			wake.tv_nsec -= 1000000000L;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL);
	}
	/* The step lasts SECONDS even when its last attempt came earlier. */
	s = since(&t0);
	if (s < secs)
		s = secs;
	snprintf(mode, sizeof(mode), "pace-%s", argv[1]);
	report(mode, done, s);
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *sw = NULL;
	long pairs = 0, turns = 1;
	int opt;

	while ((opt = getopt(argc, argv, "+s:p:t:")) != -1) {
		if (opt == 's')
			sw = optarg;
		else if (opt == 't' ? parse_num(optarg, 1, MAX_TURNS, &turns) :
			 opt != 'p' || parse_num(optarg, 1, 100000, &pairs))
			return usage();
	}
	/* The mode's own arguments start at its name, as argv[0]. */
	argc -= optind - 1;
	argv += optind - 1;
	if (!sw != !pairs)
		return usage();
	if (turns > 1 && argc > 1 && (!strcmp(argv[1], "sendto") ||
				      !strcmp(argv[1], "pace")))
		return usage();
	if (argc > 1 && !strcmp(argv[1], "sendto"))
		return sendto_main(argc - 1, argv + 1, sw, pairs);
	if (argc > 1 && !strcmp(argv[1], "pace") && !sw)
		return pace_main(argc - 1, argv + 1);
	return storm_main(argc, argv, sw, pairs, turns);
}
