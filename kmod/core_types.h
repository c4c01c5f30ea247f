/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tiny shim that lets the rule core (rules.c, match.c) build both in the
 * kernel and in userspace. The core is written as ordinary kernel C (u32,
 * ALIGN(), get_unaligned_be32(), memchr_inv(), sort()); the userspace build
 * gets stand-ins for those here, as tools/testing/radix-tree and lib/xz do.
 * Nothing else of the kernel may be used by the core.
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
#include <linux/sort.h>
#include <linux/bitops.h>

#include "compat.h"		/* get_unaligned_be32() */

/* Sizes come from userspace: a refusal, not a warning, when too large. */
static inline void *c2w_zalloc(size_t n)
{
	return kvzalloc(n, GFP_KERNEL | __GFP_NOWARN);
}

static inline void c2w_free(void *p)
{
	kvfree(p);
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

#ifndef ALIGN
#define ALIGN(x, a) ({ __typeof__(x) _x = (x), _m = (__typeof__(x))(a) - 1; \
			(_x + _m) & ~_m; })
#endif

static inline u32 get_unaligned_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static inline u64 get_unaligned_be64(const void *p)
{
	return (u64)get_unaligned_be32(p) << 32 |
	       get_unaligned_be32((const u8 *)p + 4);
}

/* The first byte of @p that is not @c, as the kernel's; NULL if none. */
static inline void *memchr_inv(const void *p, int c, size_t n)
{
	const u8 *b = p;

	for (; n; n--, b++)
		if (*b != (u8)c)
			return (void *)b;
	return NULL;
}

/* The kernel's sort(); the swap function is optional there too. */
static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *),
			void (*swap)(void *, void *, int))
{
	(void)swap;
	if (num > 1)
		qsort(base, num, size, cmp);
}

/* The lowest set bit of a non-zero word, as <linux/bitops.h> has it. */
static inline unsigned long __ffs(unsigned long word)
{
	return (unsigned long)__builtin_ctzl(word);
}

/* The same of a 64-bit word. */
static inline unsigned int __ffs64(unsigned long long word)
{
	return (unsigned int)__builtin_ctzll(word);
}

#ifndef BIT_ULL
#define BIT_ULL(nr) (1ULL << (nr))
#endif

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif
#endif /* __KERNEL__ */

#define C2W_IP_TEXT_MAX 48	/* INET6_ADDRSTRLEN, rounded up */

/*
 * Addresses as text, in the form inet_ntop() gives, and without printf: a
 * new-terms key with the destination makes it on every evaluation, where
 * vsnprintf() cost as much as the rest of building the key. The module,
 * c2watchctl eval and the daemon's ECS (inet_ntop()) then agree on every
 * address, which the kernel's %pI6c did not (ISATAP, IPv4-compatible).
 */

/* @n bytes of @tmp into @buf, cut and NUL-terminated as scnprintf(). */
static inline u32 c2w_text_out(const char *tmp, u32 n, char *buf, u32 cap)
{
	if (!cap)
		return 0;
	if (n > cap - 1)
		n = cap - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return n;
}

/*
 * IPv4 dotted decimal into @out, which has room for 16 bytes: the text
 * and one byte past it written, no NUL. A new-terms key is written so in
 * place (c2w_nt_key()).
 *
 * Return: the length of the text.
 */
static inline u32 c2w_ip4_put(const u8 *addr, char *out)
{
	char *p = out;
	u32 i;

	for (i = 0; i < 4; i++) {
		u32 b = addr[i];

		if (b >= 100) {
			*p++ = '0' + b / 100;
			b %= 100;
			*p++ = '0' + b / 10;
		} else if (b >= 10) {
			*p++ = '0' + b / 10;
		}
		*p++ = '0' + b % 10;
		*p++ = '.';
	}
	return p - out - 1;
}

/* IPv4: dotted decimal. */
static inline u32 c2w_ip4_text(const u8 *addr, char *buf, u32 cap)
{
	char tmp[16];

	return c2w_text_out(tmp, c2w_ip4_put(addr, tmp), buf, cap);
}

/*
 * IPv6 (RFC 5952): groups in lowercase hex without leading zeros, the
 * first of the longest runs of two or more zero groups written "::"; an
 * IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d) address
 * ends in dotted decimal.
 */
static inline u32 c2w_ip6_text(const u8 *addr, char *buf, u32 cap)
{
	char tmp[C2W_IP_TEXT_MAX];
	int zbase = -1, zlen = 0, i, j, s;
	u32 n = 0;
	u16 w[8];

	for (i = 0; i < 8; i++)
		w[i] = addr[2 * i] << 8 | addr[2 * i + 1];
	for (i = 0; i < 8; i = j + 1) {
		for (j = i; j < 8 && !w[j]; j++)
			;
		if (j - i > zlen) {
			zbase = i;
			zlen = j - i;
		}
	}
	if (zlen < 2) {
		zbase = -1;
		zlen = 0;
	}
	for (i = 0; i < 8; i++) {
		if (i == zbase) {
			tmp[n++] = ':';
			tmp[n++] = ':';
			i += zlen - 1;
			continue;
		}
		if (i && i != zbase + zlen)
			tmp[n++] = ':';
		if (i == 6 && zbase == 0 &&
		    (zlen == 6 || (zlen == 5 && w[5] == 0xffff))) {
			n += c2w_ip4_text(addr + 12, tmp + n, sizeof(tmp) - n);
			break;
		}
		for (s = 12; s > 0 && !(w[i] >> s); s -= 4)
			;
		for (; s >= 0; s -= 4)
			tmp[n++] = "0123456789abcdef"[(w[i] >> s) & 15];
	}
	return c2w_text_out(tmp, n, buf, cap);
}

/* An address as text, the form inet_ntop() gives (scnprintf()'s return). */
static inline u32 c2w_ip_text(int family, const u8 *addr, char *buf, u32 cap)
{
	return family == 4 ? c2w_ip4_text(addr, buf, cap) :
			     c2w_ip6_text(addr, buf, cap);
}

#endif /* _C2W_CORE_TYPES_H */
