// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the seen-set state file. What parses must be records the
 * kernel's import accepts: sizes and lengths consistent.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/c2watch.h>

#include "seenfile.h"

#include "fuzz.h"

int fuzz_seenfile(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	uint32_t len, count, off, n = 0;
	char err[512];
	void *buf;

	if (!f)
		return 0;
	if (!seen_parse_ndjson(f, "fuzz", &buf, &len, &count, err,
			       sizeof(err))) {
		for (off = 0; off < len; n++) {
			const struct c2w_seen_rec *r = (const void *)
				((const char *)buf + off);

			if (r->size % 8 || r->size < sizeof(*r) ||
			    r->size > len - off || !r->rule_id_len ||
			    r->rule_id_len > C2W_RULE_ID_MAX ||
			    r->first_seen > r->last_seen)
				FUZZ_FAIL();
			off += r->size;
		}
		if (n != count)
			FUZZ_FAIL();
		free(buf);
	}
	fclose(f);
	return 0;
}

FUZZ_MAIN(fuzz_seenfile)
