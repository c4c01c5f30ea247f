// SPDX-License-Identifier: GPL-2.0
/*
 * c2watchctl: configure and inspect the c2watch kernel module.
 *
 * Subcommands live in one table; "c2watchctl help" and "--help" are generated
 * from it. Exit codes: 0 ok, 1 operation failed, 2 usage or input error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/c2watch.h>

#include "rulefile.h"

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
	fd = open_device(O_WRONLY);
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

static int ioctl_or_report(int fd, unsigned long cmd, void *arg,
			   const char *what)
{
	if (ioctl(fd, cmd, arg) == 0)
		return 0;
	fprintf(stderr, "c2watchctl: %s: %s%s\n", what, strerror(errno),
		errno == EPERM ? " (needs CAP_SYS_ADMIN, or the configuration is locked)" : "");
	return -1;
}

static int load_main(int argc, char **argv)
{
	char *def[] = { RULES_DEFAULT_DIR }, err[1024];
	struct c2w_buf b;
	uint32_t size;
	void *blob;
	int fd, ret;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: c2watchctl load [FILE|DIR]...\n"
		       "Compile Elastic rules (Kibana NDJSON/JSON export, KQL queries) and load\n"
		       "them as one ruleset, atomically: on any error nothing changes.\n"
		       "Default: %s\n", RULES_DEFAULT_DIR);
		return 0;
	}
	if (rules_load(argc > 1 ? argv + 1 : def, argc > 1 ? argc - 1 : 1,
		       &blob, &size, err, sizeof(err))) {
		fprintf(stderr, "c2watchctl: %s\n", err);
		return EXIT_USAGE;
	}
	fd = open_device(O_WRONLY);
	if (fd < 0) {
		free(blob);
		return 1;
	}
	memset(&b, 0, sizeof(b));
	b.ptr = (uintptr_t)blob;
	b.len = size;
	ret = ioctl_or_report(fd, C2W_IOC_SET_RULES, &b, "loading the ruleset");
	close(fd);
	free(blob);
	if (ret)
		return 1;
	printf("loaded %u bytes of rules\n", size);
	return 0;
}

static int status_main(int argc, char **argv)
{
	struct c2w_config c;
	struct c2w_stats st;
	int fd;

	(void)argc;
	(void)argv;
	fd = open_device(O_WRONLY);
	if (fd < 0)
		return 1;
	memset(&st, 0, sizeof(st));
	memset(&c, 0, sizeof(c));
	if (ioctl_or_report(fd, C2W_IOC_GET_CONFIG, &c, "reading the configuration") ||
	    ioctl_or_report(fd, C2W_IOC_GET_STATS, &st, "reading statistics")) {
		close(fd);
		return 1;
	}
	close(fd);
	printf("enabled %u locked %u rules %u\n", c.enabled, c.locked, st.rules);
	printf("hook_hits tcp4 %llu tcp6 %llu udp4 %llu udp6 %llu\n",
	       (unsigned long long)st.hook_hits[C2W_HOOK_TCP4],
	       (unsigned long long)st.hook_hits[C2W_HOOK_TCP6],
	       (unsigned long long)st.hook_hits[C2W_HOOK_UDP4],
	       (unsigned long long)st.hook_hits[C2W_HOOK_UDP6]);
#define P(f) printf("%s %llu\n", #f, (unsigned long long)st.f)
	P(ignored); P(evaluated); P(excluded); P(matched); P(suppressed);
	P(alerted); P(dropped_alerts); P(failed); P(missed);
	P(records_queued); P(records_read); P(records_dropped);
	P(seen_entries); P(seen_capacity); P(seen_bytes); P(seen_full);
	P(seen_expired); P(probe_ns_avg);
#undef P
	return 0;
}

static int help_main(int argc, char **argv);

static const struct subcommand subcommands[] = {
	{ "load", load_main, "[FILE|DIR]...", "compile Elastic rules and load them" },
	{ "status", status_main, "", "counters and settings" },
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
