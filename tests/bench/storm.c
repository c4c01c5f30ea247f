// SPDX-License-Identifier: GPL-2.0
/*
 * storm: a connect storm for the c2watch benchmarks.
 *   storm tcp|udp ADDRESS PORT COUNT
 * TCP connects to a closed port (the RST comes back at once, no TIME_WAIT
 * build-up); UDP connects are local only. Each attempt is socket, connect,
 * close. Prints "MODE COUNT SECONDS CONNECTS_PER_S US_PER_CONNECT".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timespec a, b;
	int type, count, fails = 0;
	double s;

	if (argc != 5 || inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1) {
		fprintf(stderr, "usage: storm tcp|udp ADDRESS PORT COUNT\n");
		return 2;
	}
	type = strcmp(argv[1], "udp") ? SOCK_STREAM : SOCK_DGRAM;
	sin.sin_port = htons((unsigned short)atoi(argv[3]));
	count = atoi(argv[4]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < count; i++) {
		int fd = socket(AF_INET, type, 0);

		if (fd < 0 || (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
			       errno != ECONNREFUSED))
			fails++;
		if (fd >= 0)
			close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%s %d %.6f %.1f %.2f\n", argv[1], count, s, count / s,
	       s * 1e6 / count);
	return fails ? 1 : 0;
}
