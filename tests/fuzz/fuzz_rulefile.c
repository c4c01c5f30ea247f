// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: Elastic rule files (JSON/NDJSON) through to a validated blob. */
#include <stdint.h>
#include <stdlib.h>

#include "rulefile.h"

#include "fuzz.h"

int fuzz_rulefile(const uint8_t *data, size_t size)
{
	char err[1024];
	uint32_t bs;
	void *blob = NULL;

	if (!rules_load_text("fuzz", (const char *)data, size, &blob, &bs,
			     err, sizeof(err)))
		free(blob);
	return 0;
}

FUZZ_MAIN(fuzz_rulefile)
