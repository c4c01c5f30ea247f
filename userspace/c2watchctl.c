// SPDX-License-Identifier: GPL-2.0
/*
 * c2watchctl: configure and inspect the c2watch kernel module.
 *
 * Subcommands live in one table; "c2watchctl help" and "--help" are generated
 * from it. Exit codes: 0 ok, 1 operation failed, 2 usage or input error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/c2watch.h>

#define EXIT_USAGE 2

static const char *device_path = "/dev/" C2W_DEVICE_NAME;

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
};

static int open_device(int flags)
{
	int fd = open(device_path, flags | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "c2watchctl: cannot open %s: %s%s\n",
			device_path, strerror(errno),
			errno == ENOENT ? " (is the c2watch module loaded?)" :
			errno == EACCES ? " (run as root)" : "");
	return fd;
}

static int version_main(int argc, char **argv)
{
	struct c2w_version v;
	int fd;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: c2watchctl version\n");
		return EXIT_USAGE;
	}
	printf("c2watchctl uapi %d\n", C2W_UAPI_VERSION);
	fd = open_device(O_RDONLY);
	if (fd < 0)
		return 1;
	memset(&v, 0, sizeof(v));
	if (ioctl(fd, C2W_IOC_GET_VERSION, &v) < 0) {
		fprintf(stderr, "c2watchctl: C2W_IOC_GET_VERSION: %s\n",
			strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	v.module_version[sizeof(v.module_version) - 1] = '\0';
	printf("module %s uapi %u\n", (char *)v.module_version,
	       v.uapi_version);
	if (v.uapi_version != C2W_UAPI_VERSION) {
		fprintf(stderr, "c2watchctl: module speaks uapi %u, this tool %d\n",
			v.uapi_version, C2W_UAPI_VERSION);
		return 1;
	}
	return 0;
}

static int help_main(int argc, char **argv);

static const struct subcommand subcommands[] = {
	{ "version", version_main, "", "print tool and module versions" },
	{ "help", help_main, "", "show this help" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: c2watchctl [--device PATH] <command> [args]\n\n"
		   "Commands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-10s %-18s %s\n", subcommands[i].name,
			subcommands[i].args, subcommands[i].help);
	fprintf(f, "\nExit status: 0 ok, 1 operation failed, 2 usage error.\n");
}

static int help_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	argv++;
	argc--;
	while (argc > 0 && argv[0][0] == '-') {
		if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[0], "--device") && argc > 1) {
			device_path = argv[1];
			argv += 2;
			argc -= 2;
		} else {
			fprintf(stderr, "c2watchctl: unknown option '%s'\n",
				argv[0]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[0], subcommands[i].name))
			return subcommands[i].fn(argc, argv);
	fprintf(stderr, "c2watchctl: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return EXIT_USAGE;
}
