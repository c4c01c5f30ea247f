// SPDX-License-Identifier: GPL-2.0
/*
 * Replays the committed fuzz corpus and every crash the fuzzers ever found
 * (tests/fuzz/regressions/NAME/) through the harnesses' invariants, under
 * ASan/UBSan, on every "make check".
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "unit.h"

static const char *current;

void fuzz_invariant_failed(const char *file, int line)
{
	unit_fail(file, line, "fuzz invariant broken by %s", current);
}

static int replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[512];
		uint8_t *buf;
		long len;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		buf = malloc(len ? len : 1);
		if (fread(buf, 1, len, f) != (size_t)len)
			unit_fail(__FILE__, __LINE__, "reading %s", path);
		fclose(f);
		current = path;
		fn(buf, (size_t)len);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static void replay(const char *name, int (*fn)(const uint8_t *, size_t))
{
	char dir[256];
	int n;

	snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", name);
	n = replay_dir(dir, fn);
	snprintf(dir, sizeof(dir), "tests/fuzz/regressions/%s", name);
	n += replay_dir(dir, fn);
	if (!n)
		unit_fail(__FILE__, __LINE__, "no corpus for %s", name);
}

UNIT_TEST(fuzz_corpus_kql) { replay("kql", fuzz_kql); }
UNIT_TEST(fuzz_corpus_rulefile) { replay("rulefile", fuzz_rulefile); }
UNIT_TEST(fuzz_corpus_seenfile) { replay("seenfile", fuzz_seenfile); }
UNIT_TEST(fuzz_corpus_blob) { replay("blob", fuzz_blob); }
