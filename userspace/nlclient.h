/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The c2watch generic netlink family from userspace (libnl-genl-3).
 */
#ifndef C2W_NLCLIENT_H
#define C2W_NLCLIENT_H

#include <signal.h>
#include <stddef.h>
#include <linux/c2watch.h>

struct c2w_nl_status {
	unsigned int uapi_version;
	char module_version[32];
	struct c2w_stats stats;
	struct c2w_config config;
};

int c2w_nl_get_status(struct c2w_nl_status *st);

/**
 * struct c2w_nl_watch - callbacks of c2w_nl_watch_records()
 * @record: one record, as read() on the device would return it
 * @missed: the socket overflowed; @n records (by sequence) never arrived
 * @ready: subscribed; records from now on arrive (may be NULL)
 * @arg: for the callbacks
 * @stop: set (e.g. by a signal handler) to return
 */
struct c2w_nl_watch {
	void (*record)(const struct c2w_record_hdr *rec, void *arg);
	void (*missed)(unsigned long long n, void *arg);
	void (*ready)(void *arg);
	void *arg;
	volatile sig_atomic_t *stop;
};

int c2w_nl_watch_records(struct c2w_nl_watch *w);

#endif
