/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Offline evaluation of ECS events with the kernel's own rule core
 * (c2watchctl eval): the query, then the new-terms window, in timestamp
 * order; per host (as the module) or across hosts (--fleet, as Kibana).
 */
#ifndef C2W_EVALUATE_H
#define C2W_EVALUATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

int eval_events(const void *blob, uint32_t size, FILE *in, const char *name,
		FILE *out, bool explain, bool fleet, char *err, size_t errlen);

#endif
