/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the c2watch selftests. */
#ifndef C2W_TEST_H
#define C2W_TEST_H

#define C2W_DEV "/dev/" C2W_DEVICE_NAME

#endif
