// SPDX-License-Identifier: GPL-2.0
/*
 * Seen-set records <-> NDJSON (the ioctls that move them: device.c).
 * Saving is atomic: a temporary file in the same directory, fsync, rename,
 * fsync of the directory; a crash leaves the old file or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/c2watch.h>

#include "seenfile.h"

#define REC_ALIGN(n) (((n) + 7) & ~(size_t)7)

void c2w_time_format(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int c2w_time_parse(const char *s, time_t *t)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -EINVAL;
	if (*end == '.')	/* fractions of a second: ignored */
		while (*++end >= '0' && *end <= '9')
			;
	if (strcmp(end, "Z") && strcmp(end, "+00:00"))
		return -EINVAL;
	*t = timegm(&tm);
	return *t == (time_t)-1 ? -EINVAL : 0;
}

int seen_write_ndjson(FILE *out, const void *buf, uint32_t len)
{
	for (uint32_t off = 0; off < len;) {
		const struct c2w_seen_rec *r = (const void *)((const char *)buf + off);
		json_object *o = json_object_new_object();
		char t[32];

		if (r->size < sizeof(*r) || r->size > len - off) {
			json_object_put(o);
			return -EINVAL;
		}
		json_object_object_add(o, "rule_id",
			json_object_new_string_len((const char *)r->data,
						   r->rule_id_len));
		json_object_object_add(o, "key",
			json_object_new_string_len((const char *)r->data +
						   r->rule_id_len, r->key_len));
		c2w_time_format((time_t)r->first_seen, t, sizeof(t));
		json_object_object_add(o, "first_seen", json_object_new_string(t));
		c2w_time_format((time_t)r->last_seen, t, sizeof(t));
		json_object_object_add(o, "last_seen", json_object_new_string(t));
		json_object_object_add(o, "hits", json_object_new_int64((int64_t)r->hits));
		fprintf(out, "%s\n", json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		off += r->size;
	}
	return ferror(out) ? -EIO : 0;
}

static int append_rec(void **buf, uint32_t *len, size_t *cap,
		      const char *id, size_t id_len, const char *key,
		      size_t key_len, time_t first, time_t last, int64_t hits)
{
	size_t sz = REC_ALIGN(sizeof(struct c2w_seen_rec) + id_len + key_len);
	struct c2w_seen_rec *r;

	if (*len + sz > *cap) {
		size_t ncap = *cap ? *cap * 2 : 65536;
		void *n;

		while (ncap < *len + sz)
			ncap *= 2;
		n = realloc(*buf, ncap);
		if (!n)
			return -ENOMEM;
		*buf = n;
		*cap = ncap;
	}
	r = (void *)((char *)*buf + *len);
	memset(r, 0, sz);
	r->size = (uint32_t)sz;
	r->rule_id_len = (uint16_t)id_len;
	r->key_len = (uint16_t)key_len;
	r->first_seen = (uint64_t)first;
	r->last_seen = (uint64_t)last;
	r->hits = (uint64_t)hits;
	memcpy(r->data, id, id_len);
	memcpy(r->data + id_len, key, key_len);
	*len += (uint32_t)sz;
	return 0;
}

static int get_str(json_object *o, const char *name, const char **s,
		   size_t *len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -EINVAL;
	*s = json_object_get_string(v);
	if (len)
		*len = (size_t)json_object_get_string_len(v);
	return 0;
}

/**
 * seen_read_ndjson() - parse a state/export file into import records
 * @path: the file
 * @buf: out: records (malloc'd), NULL when the file is empty
 * @len: out: their size
 * @count: out: their number
 * @err: out: "FILE:LINE: why" on failure
 * @errlen: size of @err
 *
 * Return: 0, -ENOENT (no file), -EINVAL (corrupt: nothing returned).
 */
int seen_read_ndjson(const char *path, void **buf, uint32_t *len,
		     uint32_t *count, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int ret;

	*buf = NULL;
	*len = 0;
	*count = 0;
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = seen_parse_ndjson(f, path, buf, len, count, err, errlen);
	fclose(f);
	return ret;
}

/**
 * seen_parse_ndjson() - seen_read_ndjson() on an open stream
 * @f: the stream
 * @path: its name for messages
 * @buf: out: records (malloc'd), NULL when there are none
 * @len: out: their size
 * @count: out: their number
 * @err: out: "PATH:LINE: why" on failure
 * @errlen: size of @err
 *
 * Return: 0 or -EINVAL (corrupt: nothing returned), -EIO (the stream
 * could not be read: nothing returned), -ENOMEM.
 */
int seen_parse_ndjson(FILE *f, const char *path, void **buf, uint32_t *len,
		      uint32_t *count, char *err, size_t errlen)
{
	char *line = NULL;
	size_t lcap = 0, cap = 0;
	ssize_t n;
	int lineno = 0, ret = 0;

	*buf = NULL;
	*len = 0;
	*count = 0;
	while (!ret && (n = getline(&line, &lcap, f)) >= 0) {
		json_object *o, *v;
		const char *id = NULL, *key = NULL, *fs = NULL, *ls = NULL;
		size_t id_len = 0, key_len = 0;
		time_t first, last;
		int64_t hits = 0;

		lineno++;
		if (strspn(line, " \t\r\n") == (size_t)n)
			continue;
		o = json_tokener_parse(line);
		if (!o || !json_object_is_type(o, json_type_object)) {
			snprintf(err, errlen, "%s:%d: not a JSON object", path,
				 lineno);
			json_object_put(o);
			ret = -EINVAL;
			break;
		}
		if (get_str(o, "rule_id", &id, &id_len) ||
		    get_str(o, "key", &key, &key_len) ||
		    get_str(o, "first_seen", &fs, NULL) ||
		    get_str(o, "last_seen", &ls, NULL)) {
			snprintf(err, errlen, "%s:%d: needs string fields rule_id, key, first_seen and last_seen",
				 path, lineno);
			ret = -EINVAL;
		}
		if (!ret && (c2w_time_parse(fs, &first) ||
			     c2w_time_parse(ls, &last) || first < 0 ||
			     first > last)) {
			snprintf(err, errlen, "%s:%d: bad first_seen/last_seen",
				 path, lineno);
			ret = -EINVAL;
		}
		if (!ret && (!id_len || id_len > C2W_RULE_ID_MAX ||
			     key_len > 8192)) {
			snprintf(err, errlen, "%s:%d: rule_id or key too long",
				 path, lineno);
			ret = -EINVAL;
		}
		if (!ret && json_object_object_get_ex(o, "hits", &v))
			hits = json_object_get_int64(v);
		if (!ret)
			ret = append_rec(buf, len, &cap, id, id_len, key,
					 key_len, first, last, hits);
		if (!ret)
			(*count)++;
		json_object_put(o);
	}
	/* A read error is not the end of the file: never take it as empty. */
	if (!ret && ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno ?: EIO));
		ret = -EIO;
	}
	free(line);
	if (ret) {
		free(*buf);
		*buf = NULL;
		*len = 0;
		*count = 0;
	}
	return ret;
}

int seen_save_atomic(const char *path, const void *buf, uint32_t len,
		     char *err, size_t errlen)
{
	char tmp[4096], dir[4096];
	FILE *f;
	int fd, dfd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	f = fdopen(fd, "w");
	if (!f || seen_write_ndjson(f, buf, len) || fflush(f) ||
	    fsync(fd)) {
		snprintf(err, errlen, "%s: write failed: %s", tmp,
			 strerror(errno));
		if (f)
			fclose(f);
		else
			close(fd);
		unlink(tmp);
		return -EIO;
	}
	fclose(f);
	if (rename(tmp, path)) {
		snprintf(err, errlen, "%s: rename: %s", path, strerror(errno));
		unlink(tmp);
		return -errno;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
