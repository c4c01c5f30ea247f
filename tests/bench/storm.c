// SPDX-License-Identifier: GPL-2.0
/*
 * storm: connect and send storms for the c2watch benchmarks.
 *
 *   storm tcp|udp ADDRESS PORT COUNT [NPORTS]
 *	COUNT attempts of socket, connect, close, cycling over the NPORTS
 *	ports from PORT (default 1). TCP connects to a closed port (the RST
 *	comes back at once, no TIME_WAIT build-up); UDP connects are local
 *	only. Two ports or more: no attempt repeats the one before, which
 *	c2watch would judge at the probe as a repeat of that match.
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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ADDRS	16

static int usage(void)
{
	fprintf(stderr,
		"usage: storm tcp|udp ADDRESS PORT COUNT [NPORTS]\n"
		"       storm sendto ADDRESS[,ADDRESS...] PORT COUNT [NPORTS]\n"
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

static int storm_main(int argc, char **argv)
{
	long count, i, fails = 0, nports = 1;
	struct sockaddr_in sin;
	struct timespec t0;
	int type, port;

	if (argc < 5 || argc > 6 || parse_type(argv[1], &type) ||
	    parse_sin(argv[2], argv[3], &sin) ||
	    parse_num(argv[4], 1, 1000000000, &count))
		return usage();
	port = ntohs(sin.sin_port);
	if (argc == 6 && parse_num(argv[5], 1, 65536 - port, &nports))
		return usage();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		sin.sin_port = htons((unsigned short)(port + i % nports));
		if (attempt(type, &sin))
			fails++;
	}
	report(argv[1], count, since(&t0));
	return fails ? 1 : 0;
}

static int sendto_main(int argc, char **argv)
{
	struct sockaddr_in dst[MAX_ADDRS];
	const char byte = 0;
	long port, count, nports = 1, i, fails = 0;
	struct timespec t0;
	char *list, *a, *save;
	int naddr = 0, fd;

	if (argc < 4 || argc > 5 || parse_num(argv[2], 0, 65535, &port) ||
	    parse_num(argv[3], 1, 1000000000, &count) ||
	    (argc == 5 && parse_num(argv[4], 1, 65536 - port, &nports)))
		return usage();
	list = strdup(argv[1]);
	if (!list)
		return 1;
	for (a = strtok_r(list, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		if (naddr == MAX_ADDRS || parse_sin(a, argv[2], &dst[naddr])) {
			free(list);
			return usage();
		}
		naddr++;
	}
	free(list);
	if (!naddr)
		return usage();
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("storm: socket");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		/* Every address, then the next port: naddr * nports in all. */
		struct sockaddr_in *d = &dst[i % naddr];

		d->sin_port = htons((unsigned short)(port + i / naddr % nports));
		/*
		 * An unconnected socket is told of ICMP errors (the
		 * gateway's port unreachables) only with IP_RECVERR, which
		 * is not set; a refusal or an unreachable host would not
		 * be a failure of the sender anyway.
		 */
		if (sendto(fd, &byte, 1, 0, (struct sockaddr *)d,
			   sizeof(*d)) < 0 &&
		    errno != ECONNREFUSED && errno != EHOSTUNREACH)
			fails++;
	}
	report("sendto", count, since(&t0));
	close(fd);
	return fails ? 1 : 0;
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
	if (argc > 1 && !strcmp(argv[1], "sendto"))
		return sendto_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "pace"))
		return pace_main(argc - 1, argv + 1);
	return storm_main(argc, argv);
}
