#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VM job for "make demo": show what c2watch does.
set -e
echo "== loading c2watch.ko"
insmod /c2w/c2watch.ko
dmesg | grep c2watch | tail -n 1
echo "== the device"
ls -l /dev/c2watch
echo "== c2watchctl version"
c2watchctl version
echo "== unloading"
rmmod c2watch
[ ! -e /dev/c2watch ] && echo "/dev/c2watch removed"
