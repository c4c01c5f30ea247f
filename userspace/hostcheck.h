/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rules that cannot match on this host: a source.ip exclusion that covers
 * every address the host connects from (Elastic's rule excludes private
 * sources, and every cloud VM's addresses are private), or a required
 * source.ip range holding none of them.
 */
#ifndef C2W_HOSTCHECK_H
#define C2W_HOSTCHECK_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct host_addr - an address outbound connections can leave from
 * @family: 4 or 6
 * @addr: the address, IPv4 in the first 4 bytes
 */
struct host_addr {
	int family;
	uint8_t addr[16];
};

typedef void (*host_warn_fn)(const char *rule_id, const char *rule_name,
			     const char *msg, void *arg);

int host_addrs(struct host_addr **out, size_t *n);
int host_check_rules(const void *blob, uint32_t size,
		     const struct host_addr *addrs, size_t n,
		     host_warn_fn warn, void *arg);
int host_check_here(const void *blob, uint32_t size, host_warn_fn warn,
		    void *arg);

#endif
