/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tiny shim that lets the rule core (rules.c) build both in the kernel
 * and in userspace: fixed-width types, memory, string helpers. Nothing else
 * of the kernel may be used by the core.
 */
#ifndef _C2W_CORE_TYPES_H
#define _C2W_CORE_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/mm.h>		/* kvzalloc(), kvfree() before 5.17 */
#include <linux/slab.h>
#include <linux/errno.h>
#include <linux/kernel.h>

static inline void *c2w_zalloc(size_t n)
{
	return kvzalloc(n, GFP_KERNEL);
}

static inline void c2w_free(void *p)
{
	kvfree(p);
}

/* An address as text, IPv6 compressed (RFC 5952), as inet_ntop() does. */
static inline u32 c2w_ip_text(int family, const u8 *addr, char *buf, u32 cap)
{
	if (family == 4)
		return scnprintf(buf, cap, "%pI4", addr);
	return scnprintf(buf, cap, "%pI6c", addr);
}
#else
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

static inline void *c2w_zalloc(size_t n)
{
	return calloc(1, n);
}

static inline void c2w_free(void *p)
{
	free(p);
}

static inline u32 c2w_ip_text(int family, const u8 *addr, char *buf, u32 cap)
{
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, cap))
		return 0;
	return (u32)strlen(buf);
}

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif
#endif /* __KERNEL__ */

#define C2W_IP_TEXT_MAX 48	/* INET6_ADDRSTRLEN, rounded up */

#endif /* _C2W_CORE_TYPES_H */
