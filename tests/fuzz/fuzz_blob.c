// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the rule core's blob validation, the code that guards the
 * kernel's SET_RULES, and evaluation of what it accepts.
 */
#include <stdint.h>
#include <string.h>

#include "rules.h"

#include "fuzz.h"

int fuzz_blob(const uint8_t *data, size_t size)
{
	static const uint8_t dst[4] = { 1, 1, 1, 1 };
	struct c2w_ruleset *rs;
	struct c2w_event ev;

	if (size > C2W_MAX_RULESET_SIZE ||
	    c2w_rs_compile(data, (uint32_t)size, &rs, NULL))
		return 0;
	memset(&ev, 0, sizeof(ev));
	c2w_event_set_ip(&ev, C2W_FIELD_DESTINATION_IP, 4, dst);
	c2w_event_add_str(&ev, C2W_FIELD_PROCESS_EXECUTABLE, "/tmp/x", 6);
	c2w_event_add_str(&ev, C2W_FIELD_PROCESS_NAME, "x", 1);
	ev.dport = 443;
	ev.present |= C2W_FBIT(C2W_FIELD_DESTINATION_PORT);
	c2w_rs_eval(rs, &ev);
	c2w_rs_free(rs);
	return 0;
}

FUZZ_MAIN(fuzz_blob)
