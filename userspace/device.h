/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl sequences on /dev/c2watch that take more than one call (a GET
 * that learns its size first), written once for c2watchctl and c2watchd.
 * Every function returns 0 or a negative errno.
 */
#ifndef C2W_DEVICE_H
#define C2W_DEVICE_H

#include <stdint.h>
#include <linux/c2watch.h>

int c2w_dev_get_rules(int fd, void **blob, uint32_t *size);
int c2w_dev_set_rules(int fd, const void *blob, uint32_t size);
int c2w_dev_seen_export(int fd, void **buf, uint32_t *len, uint32_t *count);
int c2w_dev_seen_import(int fd, const void *buf, uint32_t len,
			uint32_t *count);

#endif
