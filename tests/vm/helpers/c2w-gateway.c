// SPDX-License-Identifier: GPL-2.0
/*
 * c2w-gateway: the far end of the test VM's "internet" (tests/vm/net.sh).
 * Run inside the gateway network namespace, which owns 1.1.1.1, 8.8.8.8,
 * 2606:4700:4700::1111 and the others, it accepts TCP on one port (an
 * established connection), takes UDP datagrams on another, and leaves every
 * other port closed so that the kernel answers RST (a refused connection).
 *
 * usage: c2w-gateway [-t TCPPORT] [-u UDPPORT]   (defaults 443 and 53)
 *
 * It detaches once both sockets listen, so that the caller can start the
 * tests as soon as it returns. Built static with the other VM helpers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One dual-stack socket on [::]:port: IPv4 arrives as ::ffff:a.b.c.d. */
static int dual_stack(int type, int port)
{
	struct sockaddr_in6 a = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(port),
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	int fd = socket(AF_INET6, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int zero = 0, one = 1;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (type == SOCK_STREAM && listen(fd, 4096))) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	int tport = 443, uport = 53, opt;
	struct pollfd p[2];
	char buf[2048];
	pid_t pid;

	while ((opt = getopt(argc, argv, "t:u:")) != -1) {
		switch (opt) {
		case 't': tport = atoi(optarg); break;
		case 'u': uport = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: c2w-gateway [-t TCPPORT] [-u UDPPORT]\n");
			return 2;
		}
	}
	p[0].fd = dual_stack(SOCK_STREAM, tport);
	p[1].fd = dual_stack(SOCK_DGRAM, uport);
	if (p[0].fd < 0 || p[1].fd < 0) {
		fprintf(stderr, "c2w-gateway: tcp/%d, udp/%d: %s\n", tport,
			uport, strerror(errno));
		return 1;
	}
	p[0].events = p[1].events = POLLIN;

	pid = fork();
	if (pid < 0)
		return 1;
	if (pid)
		return 0;	/* listening: the caller may go on */
	setsid();
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents & POLLIN) {
			int c;

			/* Accept the whole backlog; the client only connects. */
			while ((c = accept4(p[0].fd, NULL, NULL,
					    SOCK_CLOEXEC)) >= 0)
				close(c);
		}
		if (p[1].revents & POLLIN)
			while (recv(p[1].fd, buf, sizeof(buf),
				    MSG_DONTWAIT) >= 0)
				;
	}
}
