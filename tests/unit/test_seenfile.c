// SPDX-License-Identifier: GPL-2.0
/*
 * The seen-set state file: a file that cannot be read is an error of its
 * own (c2watchd then never saves over it), not an empty or corrupt one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seenfile.h"
#include "unit.h"

UNIT_TEST(seenfile_read_errors_are_not_empty_files)
{
	char dir[] = "/tmp/c2w-unit-XXXXXX", path[64], err[256];
	uint32_t len, count;
	void *buf;
	FILE *f;

	if (!mkdtemp(dir)) {
		unit_fail(__FILE__, __LINE__, "mkdtemp");
		return;
	}
	/* Missing: ENOENT (a first start). */
	snprintf(path, sizeof(path), "%s/none", dir);
	CHECK_EQ_INT(seen_read_ndjson(path, &buf, &len, &count, err,
				      sizeof(err)), -ENOENT);
	/* A directory where the file should be: a read error. */
	CHECK_EQ_INT(seen_read_ndjson(dir, &buf, &len, &count, err,
				      sizeof(err)), -EIO);
	CHECK(strstr(err, "Is a directory") != NULL);
	CHECK(buf == NULL);
	/* Empty: nothing, fine. */
	snprintf(path, sizeof(path), "%s/empty", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	CHECK_EQ_INT(seen_read_ndjson(path, &buf, &len, &count, err,
				      sizeof(err)), 0);
	CHECK_EQ_INT(count, 0);
	free(buf);
	/* Garbage: corrupt (set aside by the daemon). */
	f = fopen(path, "w");
	if (f) {
		fputs("not json\n", f);
		fclose(f);
	}
	CHECK_EQ_INT(seen_read_ndjson(path, &buf, &len, &count, err,
				      sizeof(err)), -EINVAL);
	unlink(path);
	rmdir(dir);
}
