#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kmod-layers.sh [DIR]: the file-level call graph of the module, from the
# built objects in DIR (default kmod/): for each object, the other objects
# whose symbols it uses. Prints the edges, then fails when they form a loop:
# no two kmod files may call each other, directly or around a loop (the one
# fan-out, the record stream to netlink, is a registered callback).
set -eu
dir=${1:-kmod}
edges=$(mktemp)
trap 'rm -f "$edges" "$edges.def"' EXIT
# symbol object, for every global definition
for o in "$dir"/*.o; do
	case $o in *.mod.o) continue ;; esac
	nm --defined-only "$o" | awk -v f="$(basename "$o" .o)" \
		'$2 ~ /^[A-Z]$/ { print $3, f }'
done | sort > "$edges.def"
[ -s "$edges.def" ] || { echo "no objects in $dir: build the module first"; exit 1; }
for o in "$dir"/*.o; do
	case $o in *.mod.o) continue ;; esac
	f=$(basename "$o" .o)
	nm -u "$o" | awk '{ print $2 }' | sort |
		join - "$edges.def" | awk -v f="$f" '$2 != f { print f, $2 }'
done | sort -u > "$edges"
sed 's/ / -> /' "$edges"
if ! tsort "$edges" > /dev/null 2>&1; then
	echo "kmod files call each other in a loop:"
	tsort "$edges" 2>&1 >/dev/null | sed 's/^/  /'
	exit 1
fi
echo "no loop: $(wc -l < "$edges") calls between files"
