// SPDX-License-Identifier: GPL-2.0
/*
 * c2w-ioctl32: the configuration ioctls from 32-bit userspace, built -m32
 * (i386) and static. The buffers travel as __u64 addresses inside the
 * arguments and the argument itself as a 32-bit pointer: the module's
 * compat_ptr_ioctl must turn both into the right user addresses.
 *
 * Run as root with the module loaded and a ruleset in place; prints what it
 * read and exits 0 when every call worked, 1 otherwise.
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

static int fail(const char *what)
{
	printf("%s: %s\n", what, strerror(errno));
	return 1;
}

/* A GET into a buffer: ask the size with an empty one, then read. */
static void *get_buf(int fd, unsigned long cmd, uint32_t *len)
{
	struct c2w_buf b;
	void *p;

	memset(&b, 0, sizeof(b));
	if (!ioctl(fd, cmd, &b)) {
		*len = 0;
		return calloc(1, 1);
	}
	if (errno != ENOSPC)
		return NULL;
	p = malloc(b.len);
	if (!p)
		return NULL;
	b.ptr = (uintptr_t)p;
	if (ioctl(fd, cmd, &b)) {
		free(p);
		return NULL;
	}
	*len = b.len;
	return p;
}

int main(void)
{
	struct c2w_seen_forget f;
	struct c2w_version v;
	struct c2w_stats st;
	struct c2w_config c;
	const struct c2w_rs_header *h;
	uint32_t len;
	void *p;
	int fd;

	if (sizeof(long) != 4)
		printf("warning: not a 32-bit build\n");
	fd = open("/dev/" C2W_DEVICE_NAME, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open");
	if (ioctl(fd, C2W_IOC_GET_VERSION, &v))
		return fail("GET_VERSION");
	printf("version %s uapi %u\n", (char *)v.module_version,
	       v.uapi_version);
	if (ioctl(fd, C2W_IOC_GET_CONFIG, &c) || ioctl(fd, C2W_IOC_GET_STATS, &st))
		return fail("GET_CONFIG/GET_STATS");
	printf("rules %u, queue %u bytes\n", st.rules, c.queue_size);
	p = get_buf(fd, C2W_IOC_GET_RULES, &len);
	if (!p)
		return fail("GET_RULES");
	h = p;
	if (len < sizeof(*h) || h->magic != C2W_RS_MAGIC || h->size != len) {
		printf("GET_RULES: %u bytes, not a ruleset\n", len);
		return 1;
	}
	printf("ruleset %u bytes, %u rules, magic ok\n", len, h->n_rules);
	free(p);
	p = get_buf(fd, C2W_IOC_SEEN_EXPORT, &len);
	if (!p)
		return fail("SEEN_EXPORT");
	printf("seen export %u bytes\n", len);
	free(p);
	memset(&f, 0, sizeof(f));
	f.key = (uintptr_t)"/tmp/compat-forget";
	f.key_len = strlen("/tmp/compat-forget");
	if (ioctl(fd, C2W_IOC_SEEN_FORGET, &f))
		return fail("SEEN_FORGET");
	printf("forgot %u\n", f.removed);
	close(fd);
	return 0;
}
