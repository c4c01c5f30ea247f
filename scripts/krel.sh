#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the kernel release a build directory is for (its UTS_RELEASE): the
# release the module built there loads into, and the /lib/modules folder
# it installs to. Default: $KDIR, else what scripts/kdir.sh picks.
kdir=${1:-${KDIR:-$("$(dirname "$0")/kdir.sh")}}
sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h"
