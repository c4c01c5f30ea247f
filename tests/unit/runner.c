// SPDX-License-Identifier: GPL-2.0
/*
 * Runner for tests/unit: KTAP output, one line per registered test.
 * Usage: unit-tests [--seed N] [NAME-SUBSTRING]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"

static struct unit_test *head, **tail = &head;
static int failures;
unsigned long long unit_seed;
static unsigned long long rng_state;

void unit_register(struct unit_test *t)
{
	*tail = t;
	tail = &t->next;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

/* splitmix64: small, good enough, reproducible from the seed. */
unsigned long long unit_rand(void)
{
	unsigned long long z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	struct unit_test *t;
	int n = 0, i = 0, failed = 0;

	unit_seed = (unsigned long long)time(NULL);
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			unit_seed = strtoull(argv[++a], NULL, 0);
		else
			filter = argv[a];
	}
	for (t = head; t; t = t->next)
		if (!filter || strstr(t->name, filter))
			n++;
	printf("KTAP version 1\n1..%d\n# seed %llu\n", n, unit_seed);
	for (t = head; t; t = t->next) {
		int before = failures;

		if (filter && !strstr(t->name, filter))
			continue;
		rng_state = unit_seed;
		t->fn();
		i++;
		if (failures != before) {
			printf("not ok %d %s # seed %llu\n", i, t->name,
			       unit_seed);
			failed++;
		} else {
			printf("ok %d %s\n", i, t->name);
		}
	}
	printf("# unit: %d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
