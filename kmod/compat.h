/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything c2watch needs that differs between kernel versions or is not
 * exported as an interface lives here, and nowhere else.
 */
#ifndef _C2W_COMPAT_H
#define _C2W_COMPAT_H

#include <linux/ns_common.h>

struct mnt_namespace;

/*
 * The inode number of a mount namespace. struct mnt_namespace is private to
 * fs/ (fs/mount.h); it has begun with its struct ns_common since v3.8 and
 * still does in 6.1, and no exported helper gives the number.
 */
static inline unsigned int c2w_mntns_inum(struct mnt_namespace *ns)
{
	return ((struct ns_common *)ns)->inum;
}

#endif /* _C2W_COMPAT_H */
