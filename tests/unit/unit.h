/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny unit-test runner for the userspace-testable parts of c2watch.
 * Tests register themselves with UNIT_TEST(); main() runs each one in order
 * and prints KTAP ("ok N name" / "not ok N name"). A failed CHECK() reports
 * file:line and the expression, and the test goes on so that one run shows
 * every failure.
 */
#ifndef C2W_UNIT_H
#define C2W_UNIT_H

#include <stdio.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define UNIT_TEST(tname)						\
	static void tname(void);					\
	static struct unit_test tname##_desc = { #tname, tname, NULL };	\
	__attribute__((constructor)) static void tname##_reg(void)	\
	{ unit_register(&tname##_desc); }				\
	static void tname(void)

#define CHECK(expr) do {						\
	if (!(expr))							\
		unit_fail(__FILE__, __LINE__, "CHECK(%s)", #expr);	\
} while (0)

#define CHECK_EQ_INT(a, b) do {						\
	long long _a = (a), _b = (b);					\
	if (_a != _b)							\
		unit_fail(__FILE__, __LINE__, "%s == %lld, want %s == %lld", \
			  #a, _a, #b, _b);				\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (!_a || !_b || strcmp(_a, _b))				\
		unit_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", \
			  #a, _a ? _a : "(null)", _b ? _b : "(null)");	\
} while (0)

/* Deterministic PRNG for randomized comparisons; seed printed on failure. */
unsigned long long unit_rand(void);
extern unsigned long long unit_seed;

#endif
