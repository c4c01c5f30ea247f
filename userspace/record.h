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
	/* 0: a uapi 1 record, the path right after the structure. */
	uint64_t off = a->exe_off ? a->exe_off : C2W_ALERT_SIZE_VER0;

	if (a->hdr.size < C2W_ALERT_SIZE_VER0 || off < C2W_ALERT_SIZE_VER0 ||
	    off + a->exe_len >= a->hdr.size)
		return NULL;
	*len = a->exe_len;
	return (const char *)a + off;
}

/*
 * The executable's path in the task's own mount namespace, when it differs
 * (a record new enough to say so: its path comes after these fields);
 * NULL otherwise, or when malformed.
 */
static inline const char *c2w_alert_ns_exe(const struct c2w_alert *a,
					   uint32_t *len)
{
	uint64_t end = (uint64_t)a->ns_exe_off + a->ns_exe_len;

	if (a->hdr.size < sizeof(*a) || a->exe_off < sizeof(*a) ||
	    !a->ns_exe_len || a->ns_exe_off < sizeof(*a) ||
	    end >= a->hdr.size)
		return NULL;
	*len = a->ns_exe_len;
	return (const char *)a + a->ns_exe_off;
}

/* The same for the process named by a configuration record; NULL if none. */
static inline const char *c2w_config_exe(const struct c2w_config_rec *c,
					 uint32_t *len)
{
	uint64_t end = (uint64_t)c->exe_off + c->exe_len;

	if (c->hdr.size < sizeof(*c) || c->exe_off < sizeof(*c) ||
	    end >= c->hdr.size)
		return NULL;
	*len = c->exe_len;
	return (const char *)c + c->exe_off;
}

#endif /* C2W_RECORD_H */
