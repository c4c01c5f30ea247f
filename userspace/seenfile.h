/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seen set outside the kernel: exported records (struct c2w_seen_rec)
 * to and from NDJSON, one entry per line:
 *   {"rule_id":"...","key":"/tmp/x","first_seen":"2026-11-27T20:00:00Z",
 *    "last_seen":"2026-11-27T21:00:00Z","hits":3}
 * c2watchd keeps it as its state file; c2watchctl seen export/import use it.
 * Only the file format: the device side is in device.c.
 */
#ifndef C2W_SEENFILE_H
#define C2W_SEENFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

int seen_write_ndjson(FILE *out, const void *buf, uint32_t len);
int seen_read_ndjson(const char *path, void **buf, uint32_t *len,
		     uint32_t *count, char *err, size_t errlen);
int seen_parse_ndjson(FILE *f, const char *path, void **buf, uint32_t *len,
		      uint32_t *count, char *err, size_t errlen);
int seen_save_atomic(const char *path, const void *buf, uint32_t len,
		     char *err, size_t errlen);
void c2w_time_format(time_t t, char *buf, size_t len);
int c2w_time_parse(const char *s, time_t *t);

#endif
