// SPDX-License-Identifier: GPL-2.0
/*
 * c2w-exeswap: an implant that disguises itself before calling home. It
 * points its mm->exe_file at another program with prctl(PR_SET_MM,
 * PR_SET_MM_EXE_FILE) - /proc/self/exe then names that program - and
 * connects over TCP (optionally from a child forked after the swap).
 *
 *   c2w-exeswap [-b] [-f] NEW_EXE IPV4 PORT
 *
 *   -b  connect once before the swap too, as itself
 *   -f  connect from a child forked after the swap
 *
 * The kernel refuses the swap while the old executable is still mapped, so
 * the end runs from an anonymous copy of stub(): it unmaps every mapping of
 * this (static) executable, swaps, connects and exits with raw system
 * calls, never returning into the unmapped text.
 *
 * Exit status: 0 the connect reached the kernel (refused counts); 2 usage;
 * 3 setup failed; 10 + errno the prctl failed; 40 the connect failed.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_RANGES 32

struct swap_args {
	unsigned long start[MAX_RANGES];
	unsigned long len[MAX_RANGES];
	long n;
	long fd;
	long fork_child;
	struct sockaddr_in sa;
};

static inline __attribute__((always_inline)) long
sc(long nr, long a, long b, long c, long d, long e)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	long ret;

	__asm__ volatile ("syscall"
			  : "=a"(ret)
			  : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			  : "rcx", "r11", "memory");
	return ret;
}

/* Position independent, no calls, no globals: it runs from a copy. */
__attribute__((noinline, noreturn, no_stack_protector,
	       section(".text.c2w_stub")))
static void stub(struct swap_args *p)
{
	long ret, s, pid;
	int st = 0;

	for (long i = 0; i < p->n; i++)
		sc(SYS_munmap, (long)p->start[i], (long)p->len[i], 0, 0, 0);
	ret = sc(SYS_prctl, PR_SET_MM, PR_SET_MM_EXE_FILE, p->fd, 0, 0);
	if (ret)
		sc(SYS_exit_group, 10 + (-ret & 0xff), 0, 0, 0, 0);
	if (p->fork_child) {
		pid = sc(SYS_fork, 0, 0, 0, 0, 0);
		if (pid > 0) {
			sc(SYS_wait4, pid, (long)&st, 0, 0, 0);
			sc(SYS_exit_group, (st >> 8) & 0xff, 0, 0, 0, 0);
		}
	}
	s = sc(SYS_socket, AF_INET, SOCK_STREAM, 0, 0, 0);
	ret = sc(SYS_connect, s, (long)&p->sa, sizeof(p->sa), 0, 0);
	/* Refused or established: either way the SYN left. */
	sc(SYS_exit_group, ret == 0 || ret == -111 ? 0 : 40, 0, 0, 0, 0);
	for (;;)
		;
}

__attribute__((noinline, section(".text.c2w_stub")))
static void stub_end(void)
{
}

/* Every mapping of @exe in /proc/self/maps. */
static int own_mappings(const char *exe, struct swap_args *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4352];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		char *path = strchr(line, '/');

		if (!path || sscanf(line, "%lx-%lx", &a, &b) != 2)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(path, exe) || p->n == MAX_RANGES)
			continue;
		p->start[p->n] = a;
		p->len[p->n++] = b - a;
	}
	fclose(f);
	return p->n ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct swap_args args;
	size_t size = (size_t)((char *)stub_end - (char *)stub);
	char self[4096];
	void (*copy)(struct swap_args *);
	int a = 1, before = 0;
	ssize_t n;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-f"))
			args.fork_child = 1;
		else if (!strcmp(argv[a], "-b"))
			before = 1;
		else
			break;
	}
	if (argc - a != 3 || inet_pton(AF_INET, argv[a + 1],
				       &args.sa.sin_addr) != 1) {
		fprintf(stderr, "usage: c2w-exeswap [-b] [-f] NEW_EXE IPV4 PORT\n");
		return 2;
	}
	args.sa.sin_family = AF_INET;
	args.sa.sin_port = htons((unsigned short)atoi(argv[a + 2]));
	if (before) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		if (s < 0)
			return 3;
		/* Refused or not: the attempt reached the kernel. */
		(void)!connect(s, (struct sockaddr *)&args.sa, sizeof(args.sa));
		close(s);
	}
	args.fd = open(argv[a], O_RDONLY | O_CLOEXEC);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (args.fd < 0 || n <= 0 || size == 0 || size > 4096)
		return 3;
	self[n] = '\0';
	if (own_mappings(self, &args))
		return 3;
	copy = mmap(NULL, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (copy == MAP_FAILED)
		return 3;
	memcpy((void *)copy, (void *)stub, size);
	/* The arguments live in .bss, which is unmapped: on the stack now. */
	{
		struct swap_args local = args;

		copy(&local);
	}
	return 3;
}
