// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the KQL compiler. Besides not crashing, whatever compiles must
 * pass the kernel's validation and decompile to KQL that compiles to the
 * very same blob.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kql.h"
#include "kqlout.h"
#include "rsbuild.h"
#include "rules.h"

static int compile(const char *q, void **blob, uint32_t *size)
{
	struct rsb_rule_desc d = { .id = "fuzz" };
	struct rsb *b = rsb_new();
	struct kql_error ke;
	int ret = rsb_rule(b, &d);

	if (!ret)
		ret = kql_compile(b, q, &ke);
	if (!ret)
		ret = rsb_finish(b, blob, size);
	rsb_free(b);
	return ret;
}

#include "fuzz.h"

int fuzz_kql(const uint8_t *data, size_t size)
{
	char *q = malloc(size + 1), *text;
	struct c2w_ruleset *rs;
	void *blob, *blob2;
	uint32_t bs, bs2;

	memcpy(q, data, size);
	q[size] = '\0';
	if (compile(q, &blob, &bs)) {
		free(q);
		return 0;
	}
	if (c2w_rs_compile(blob, bs, &rs, NULL))
		FUZZ_FAIL();	/* the compiler made a blob the kernel refuses */
	c2w_rs_free(rs);
	text = kql_rule_query(blob, bs, 0);
	if (!text || compile(text, &blob2, &bs2))
		FUZZ_FAIL();	/* decompiled KQL does not compile */
	if (bs != bs2 || memcmp(blob, blob2, bs))
		FUZZ_FAIL();	/* ... or compiles to something else */
	free(blob2);
	free(text);
	free(blob);
	free(q);
	return 0;
}

FUZZ_MAIN(fuzz_kql)
