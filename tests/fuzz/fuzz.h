/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Each harness is a function fuzz_NAME(data, size). Built for libFuzzer it
 * becomes LLVMFuzzerTestOneInput and a broken invariant aborts; built into
 * the unit tests (C2W_UNIT) the committed corpus and regressions are
 * replayed through it and a broken invariant is a test failure.
 */
#ifndef C2W_FUZZ_H
#define C2W_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int fuzz_kql(const uint8_t *data, size_t size);
int fuzz_rulefile(const uint8_t *data, size_t size);
int fuzz_seenfile(const uint8_t *data, size_t size);
int fuzz_blob(const uint8_t *data, size_t size);

#ifdef C2W_UNIT
void fuzz_invariant_failed(const char *file, int line);
#define FUZZ_FAIL() fuzz_invariant_failed(__FILE__, __LINE__)
#define FUZZ_MAIN(fn)
#else
#define FUZZ_FAIL() abort()
#define FUZZ_MAIN(fn)							\
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);	\
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)	\
	{ return fn(data, size); }
#endif

#endif
