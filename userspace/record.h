/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the records of /dev/c2watch and of the netlink "alerts" group.
 */
#ifndef C2W_RECORD_H
#define C2W_RECORD_H

#include <stdint.h>
#include <linux/c2watch.h>

/*
 * The executable path of alert @a, found through its offset and checked
 * against the record's size; NULL when the record is malformed.
 */
static inline const char *c2w_alert_exe(const struct c2w_alert *a,
					uint32_t *len)
{
	uint64_t end = (uint64_t)a->exe_off + a->exe_len;

	if (a->hdr.size < sizeof(*a) || a->exe_off < sizeof(*a) ||
	    end >= a->hdr.size)
		return NULL;
	*len = a->exe_len;
	return c2w_alert_exe_at(a);
}

#endif /* C2W_RECORD_H */
