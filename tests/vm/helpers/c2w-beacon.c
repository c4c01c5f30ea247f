// SPDX-License-Identifier: GPL-2.0
/*
 * c2w-beacon: a stand-in implant for the c2watch tests and demo. Copied to
 * wherever a test needs an executable to live, it makes outbound attempts
 * the way real programs do. Built static so it also runs inside a chroot.
 *
 * usage: c2w-beacon [options] ADDRESS PORT
 *   -m MODE         how to reach ADDRESS (default tcp):
 *                   tcp, udp      connect()
 *                   uring         io_uring IORING_OP_CONNECT
 *                   tfo           sendto(MSG_FASTOPEN)
 *                   tfo-connect   TCP_FASTOPEN_CONNECT, then connect()
 *                   sendto        UDP sendto() on an unconnected socket
 *                   sendto-unspec the same, the name's family AF_UNSPEC
 *                                 (IPv4: udp_sendmsg() takes it as AF_INET)
 *                   sendto-burst  one UDP socket, COUNT sendto()s
 *                   sendto-keep   sendto() on one UDP socket kept open
 *                                 from attempt to attempt (-s steps)
 *                   lan-sendto    UDP connect() to the LAN resolver
 *                                 10.0.0.1:53, then sendto(ADDRESS)
 *   -n COUNT        attempts (default 1)
 *   -c NAME         set comm to NAME first (prctl PR_SET_NAME)
 *   -u              unlink our own executable first
 *   -r DIR          chroot into DIR first (then ADDRESS is reached from it)
 *   -f              fault injection: opt in to failslab (make-it-fail) just
 *                   before connecting, so exec and startup are spared
 *   -E              TCP: the connection must be established (not refused)
 *   -R              TCP: the connection must be refused (RST)
 *   -s              step: one process, attempts on command, so that a test
 *                   can change the world between two attempts of the same
 *                   process image. Reads a byte from stdin per step: 'a'
 *                   attempt, 'n' attempt to the next port (PORT + 1),
 *                   'd' attempt to the next address (ADDRESS + 1),
 *                   'u' become uid 65534 (nobody) for good and attempt,
 *                   'r' chroot into -r's DIR (deferred until then)
 *                   and attempt; answers '0' (done) or '1' (failed) on
 *                   stdout; ends at end of input
 *
 * Exit status 0 when every attempt reached the protocol connect function;
 * a refused TCP connection still counts (the SYN was sent).
 */
#include <arpa/inet.h>
#include <errno.h>
#ifndef C2W_NO_URING
#include <liburing.h>
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif

static int parse_addr(const char *host, int port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
			s6->sin6_scope_id = 1;	/* lo */
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* -E / -R: what a blocking TCP connect must end in, when asked. */
static int expect;
/* sendto-burst: datagrams on the one socket (-n). */
static int burst = 1;

/* sendto-keep: the same socket every time, as c2watch's send memo keys. */
static int send_kept(struct sockaddr_storage *ss, socklen_t len)
{
	static int fd = -1;
	char byte = 'x';

	if (fd < 0)
		fd = socket(ss->ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, &byte, 1, 0, (struct sockaddr *)ss, len) != 1)
		return -1;
	return 0;
}

static int attempt(const char *mode, struct sockaddr_storage *ss,
		   socklen_t len)
{
	int type = strcmp(mode, "udp") && strncmp(mode, "sendto", 6) &&
		   strcmp(mode, "lan-sendto") ? SOCK_STREAM : SOCK_DGRAM;
	int fd, ret = 0, one = 1;
	char byte = 'x';

	if (!strcmp(mode, "sendto-keep"))
		return send_kept(ss, len);
	fd = socket(ss->ss_family, type, 0);
	if (fd < 0)
		return -1;
	if (!strcmp(mode, "sendto")) {
		if (sendto(fd, &byte, 1, 0, (struct sockaddr *)ss, len) != 1)
			ret = -1;
	} else if (!strcmp(mode, "sendto-unspec")) {
		struct sockaddr_in sin = *(struct sockaddr_in *)ss;

		sin.sin_family = AF_UNSPEC;
		if (sendto(fd, &byte, 1, 0, (struct sockaddr *)&sin,
			   sizeof(sin)) != 1)
			ret = -1;
	} else if (!strcmp(mode, "sendto-ports")) {
		/*
		 * The next port each time, so that no send is one the send
		 * memo knows (sin_port and sin6_port share an offset).
		 */
		static unsigned int next;
		struct sockaddr_storage to = *ss;
		struct sockaddr_in *p = (struct sockaddr_in *)&to;

		p->sin_port = htons(ntohs(p->sin_port) + next++);
		if (sendto(fd, &byte, 1, 0, (struct sockaddr *)&to, len) != 1)
			ret = -1;
	} else if (!strcmp(mode, "sendto-burst")) {
		for (int i = 0; i < burst; i++)
			if (sendto(fd, &byte, 1, 0, (struct sockaddr *)ss,
				   len) != 1)
				ret = -1;
	} else if (!strcmp(mode, "lan-sendto")) {
		struct sockaddr_in lan = { .sin_family = AF_INET,
					   .sin_port = htons(53) };

		inet_pton(AF_INET, "10.0.0.1", &lan.sin_addr);
		if (connect(fd, (struct sockaddr *)&lan, sizeof(lan)) ||
		    sendto(fd, &byte, 1, 0, (struct sockaddr *)ss, len) != 1)
			ret = -1;
	} else if (!strcmp(mode, "tcp") || !strcmp(mode, "udp")) {
		int r = connect(fd, (struct sockaddr *)ss, len);

		if (r && errno != ECONNREFUSED)
			ret = -1;
		else if ((expect == 'E' && r) || (expect == 'R' && !r))
			ret = -1;
	} else if (!strcmp(mode, "tfo")) {
		if (sendto(fd, &byte, 1, MSG_FASTOPEN, (struct sockaddr *)ss,
			   len) < 0 && errno != ECONNREFUSED)
			ret = -1;
	} else if (!strcmp(mode, "tfo-connect")) {
		if (setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one,
			       sizeof(one)) ||
		    (connect(fd, (struct sockaddr *)ss, len) &&
		     errno != ECONNREFUSED))
			ret = -1;
#ifndef C2W_NO_URING
	} else if (!strcmp(mode, "uring")) {
		struct io_uring ring;
		struct io_uring_sqe *sqe;
		struct io_uring_cqe *cqe;

		if (io_uring_queue_init(4, &ring, 0)) {
			close(fd);
			return -1;
		}
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_connect(sqe, fd, (struct sockaddr *)ss, len);
		io_uring_submit(&ring);
		if (io_uring_wait_cqe(&ring, &cqe))
			ret = -1;
		else if (cqe->res < 0 && cqe->res != -ECONNREFUSED)
			ret = -1;
		else
			io_uring_cqe_seen(&ring, cqe);
		io_uring_queue_exit(&ring);
#endif
	} else {
		ret = -1;
	}
	close(fd);
	return ret;
}

/* -s: attempts on command, from one process image. */
static int steps(const char *mode, struct sockaddr_storage *ss, socklen_t len,
		 const char *root)
{
	char cmd, res;

	while (read(0, &cmd, 1) == 1) {
		int ret = 0;

		struct sockaddr_storage to = *ss;

		if (cmd == 'r' && (!root || chroot(root) || chdir("/")))
			ret = -1;
		/* sin_port and sin6_port share an offset. */
		if (cmd == 'n')
			((struct sockaddr_in *)&to)->sin_port =
				htons(ntohs(((struct sockaddr_in *)ss)->sin_port) + 1);
		/* 'd', 'e': the next destination, the one after. */
		if ((cmd == 'd' || cmd == 'e') && to.ss_family == AF_INET)
			((struct sockaddr_in *)&to)->sin_addr.s_addr =
				htonl(ntohl(((struct sockaddr_in *)ss)->sin_addr.s_addr) +
				      (cmd == 'e' ? 2 : 1));
		if ((cmd == 'd' || cmd == 'e') && to.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&to)->sin6_addr.s6_addr[15] +=
				cmd == 'e' ? 2 : 1;
		if (cmd == 'u' && setresuid(65534, 65534, 65534))
			ret = -1;
		if (!ret)
			ret = attempt(mode, &to, len);
		res = ret ? '1' : '0';
		if (write(1, &res, 1) != 1)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = "tcp", *comm = NULL, *root = NULL;
	struct sockaddr_storage ss;
	int opt, count = 1, unlink_self = 0, failed = 0, make_fail = 0;
	int step = 0;
	socklen_t len;

	while ((opt = getopt(argc, argv, "m:n:c:ur:fERs")) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'n': count = atoi(optarg); break;
		case 'c': comm = optarg; break;
		case 'u': unlink_self = 1; break;
		case 'r': root = optarg; break;
		case 'f': make_fail = 1; break;
		case 'E': case 'R': expect = opt; break;
		case 's': step = 1; break;
		default: return 2;
		}
	}
	if (argc - optind != 2 ||
	    parse_addr(argv[optind], atoi(argv[optind + 1]), &ss, &len)) {
		fprintf(stderr, "usage: c2w-beacon [-m mode] [-n count] [-c comm] [-u] [-r dir] [-f] [-E|-R] [-s] ADDRESS PORT\n");
		return 2;
	}
	if (comm && prctl(PR_SET_NAME, comm))
		return 3;
	if (unlink_self) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n < 0)
			return 3;
		self[n] = '\0';
		if (unlink(self))
			return 3;
	}
	if (step)
		return steps(mode, &ss, len, root);
	if (root && (chroot(root) || chdir("/")))
		return 3;
	if (make_fail) {
		FILE *f = fopen("/proc/self/make-it-fail", "w");

		if (!f || fputs("1", f) < 0 || fclose(f))
			return 3;
	}
	if (!strcmp(mode, "sendto-burst")) {
		burst = count;
		count = 1;
	}
	for (int i = 0; i < count; i++)
		failed += attempt(mode, &ss, len) != 0;
	if (failed)
		fprintf(stderr, "c2w-beacon: %d of %d attempts failed: %s\n",
			failed, count, strerror(errno));
	return failed ? 1 : 0;
}
