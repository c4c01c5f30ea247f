/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the files of the c2watch module.
 */
#ifndef _C2WATCH_H
#define _C2WATCH_H

#define C2W_MODULE_VERSION "0.1.0"

int c2w_chardev_init(void);
void c2w_chardev_exit(void);

#endif /* _C2WATCH_H */
