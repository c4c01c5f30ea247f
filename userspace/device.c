// SPDX-License-Identifier: GPL-2.0
/*
 * The multi-call ioctl sequences on /dev/c2watch; see device.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "device.h"

/*
 * A GET whose answer may not fit: ask for the size with an empty buffer,
 * then with a buffer a little larger (the answer can grow in between), a
 * few times at most.
 */
static int get_grown(int fd, unsigned long cmd, void **buf, uint32_t *len,
		     uint32_t *count)
{
	struct c2w_buf b;
	void *p = NULL;
	uint32_t size = 0;

	*buf = NULL;
	*len = 0;
	for (int tries = 0; tries < 8; tries++) {
		memset(&b, 0, sizeof(b));
		b.ptr = (uintptr_t)p;
		b.len = size;
		if (!ioctl(fd, cmd, &b)) {
			*buf = p;
			*len = b.len;
			if (count)
				*count = b.count;
			return 0;
		}
		if (errno != ENOSPC) {
			int e = errno;

			free(p);
			return -e;
		}
		size = b.len + b.len / 8 + 4096;
		free(p);
		p = malloc(size);
		if (!p)
			return -ENOMEM;
	}
	free(p);
	return -EAGAIN;
}

/**
 * c2w_dev_get_rules() - the ruleset blob the module has loaded
 * @fd: the device
 * @blob: out: a malloc'd copy, NULL when no rules are loaded or on error
 * @size: out: its size, 0 when none
 *
 * Return: 0 (also when none are loaded), or -errno.
 */
int c2w_dev_get_rules(int fd, void **blob, uint32_t *size)
{
	int ret = get_grown(fd, C2W_IOC_GET_RULES, blob, size, NULL);

	if (!ret && !*size) {
		free(*blob);
		*blob = NULL;
	}
	return ret;
}

/**
 * c2w_dev_set_rules() - load a ruleset blob
 * @fd: the device
 * @blob: the blob
 * @size: its size
 *
 * Return: 0, or -errno (-EINVAL: refused, nothing changed).
 */
int c2w_dev_set_rules(int fd, const void *blob, uint32_t size)
{
	struct c2w_buf b;

	memset(&b, 0, sizeof(b));
	b.ptr = (uintptr_t)blob;
	b.len = size;
	return ioctl(fd, C2W_IOC_SET_RULES, &b) ? -errno : 0;
}

/**
 * c2w_dev_seen_export() - every seen-set entry, as struct c2w_seen_rec
 * @fd: the device
 * @buf: out: malloc'd records (may be NULL when there are none)
 * @len: out: their bytes
 * @count: out: their number
 *
 * Return: 0, or -errno.
 */
int c2w_dev_seen_export(int fd, void **buf, uint32_t *len, uint32_t *count)
{
	return get_grown(fd, C2W_IOC_SEEN_EXPORT, buf, len, count);
}

/**
 * c2w_dev_seen_import() - merge struct c2w_seen_rec records into the set
 * @fd: the device
 * @buf: the records
 * @len: their bytes
 * @count: out: entries imported
 *
 * Return: 0, or -errno.
 */
int c2w_dev_seen_import(int fd, const void *buf, uint32_t len,
			uint32_t *count)
{
	struct c2w_buf b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.ptr = (uintptr_t)buf;
	b.len = len;
	ret = ioctl(fd, C2W_IOC_SEEN_IMPORT, &b) ? -errno : 0;
	*count = b.count;
	return ret;
}
