#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernels c2watch is tested on: the Debian cloud kernels hosts run.
#
#   5.10    Debian 11 (bullseye); built with its own gcc-10 in a bullseye root
#   6.1     Debian 12 (bookworm); the headers "make deps" installs
#   6.12    Debian 12's 6.12 (+deb12, also Debian 13's series); built here
#   newest  Debian unstable (sid); built with its own gcc in a sid root
#
# Exact package versions are resolved from the archive at run time (the
# newest of each series); downloads and build roots are cached under
# $C2W_CACHE/matrix. Another release's packages come through a private apt
# state there: this machine's sources are never touched. A release whose
# build tools need another compiler or glibc than this machine's gets a
# debootstrap root of its own, where its headers are installed with apt.
#
#   kernels.sh list               the series, one per line
#   kernels.sh fetch SERIES       download its kernel; print KREL=, VERSION=,
#                                 VMLINUZ= lines
#   kernels.sh build SERIES DIR   build c2watch.ko from this tree for SERIES
#                                 into DIR; print its path
#   kernels.sh kdir SERIES        a series built on this host (6.1, 6.12):
#                                 fetch its headers; print KREL= and KDIR=
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${C2W_CACHE:-$HOME/.cache/c2watch}
mcache=$cache/matrix
mirror=${C2W_MIRROR:-http://deb.debian.org/debian}
security=${C2W_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

die() { echo "kernels.sh: $*" >&2; exit 1; }

# series -> Debian suite, and how the module is built for it.
suite_of() {
	case $1 in
	5.10) echo bullseye ;;
	6.1|6.12) echo bookworm ;;
	newest) echo sid ;;
	*) die "unknown series '$1' (kernels.sh list)" ;;
	esac
}
builder_of() {
	case $1 in
	5.10|newest) echo root ;;
	*) echo host ;;
	esac
}

# apt with a private state for SUITE (bookworm: this machine's own).
apt_state() {
	local suite=$1 d=$mcache/apt/$1
	if [ "$suite" = bookworm ]; then
		APT=(-o APT::Sandbox::User=root)
		return
	fi
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	: > "$d/status"
	if [ ! -f "$d/sources.list" ]; then
		echo "deb $mirror $suite main" > "$d/sources.list"
		[ "$suite" = sid ] ||
			echo "deb $security $suite-security main" >> "$d/sources.list"
	fi
	APT=(-o "Dir::Etc::sourcelist=$d/sources.list"
	     -o Dir::Etc::sourceparts=/dev/null
	     -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
	     -o "Dir::State::status=$d/status" -o APT::Sandbox::User=root)
	# Once per run of this script family: the lists are at most a day old.
	if [ -z "$(find "$d/lists" -maxdepth 1 -name '*Packages*' -mtime -1 \
		2>/dev/null | head -n 1)" ]; then
		echo "kernels.sh: apt-get update ($suite, private state)" >&2
		apt-get "${APT[@]}" -q update >&2 ||
			die "apt-get update for $suite failed"
	fi
}

candidate() { apt-cache "${APT[@]}" show --no-all-versions "$1" 2>/dev/null |
	sed -n 's/^Version: //p' | head -n 1; }

# The kernel release of SERIES, newest first.
resolve_krel() {
	case $1 in
	6.1)
		"$top/scripts/krel.sh" "$("$top/scripts/kdir.sh")" ;;
	6.12)
		apt-cache "${APT[@]}" search --names-only \
			'^linux-headers-6\.12\.[0-9]+\+deb12-cloud-amd64$' |
			cut -d' ' -f1 | sed 's/^linux-headers-//' | sort -V |
			while read -r k; do
				[ -n "$(candidate "linux-image-$k")" ] && echo "$k"
			done | tail -n 1 ;;
	*)
		apt-cache "${APT[@]}" depends linux-headers-cloud-amd64 |
			sed -n 's/^ *Depends: linux-headers-\([0-9].*\)$/\1/p' |
			head -n 1 ;;
	esac
}

# Download and unpack PACKAGES (exact VERSION) into DIR.
unpack() {
	local dir=$1 ver=$2 p deb
	shift 2
	mkdir -p "$dir/deb"
	for p in "$@"; do
		(cd "$dir/deb" && apt-get "${APT[@]}" -q download "$p=$ver" >&2) ||
			die "apt-get download $p=$ver failed"
	done
	for deb in "$dir"/deb/*.deb; do
		dpkg -x "$deb" "$dir"
	done
	rm -rf "$dir/deb"
}

# boot/vmlinuz-RELEASE, or usr/lib/modules/RELEASE/vmlinuz (newer releases).
vmlinuz() {
	find "$1/boot" "$1/usr/lib/modules" -maxdepth 2 -name 'vmlinuz*' \
		-type f 2>/dev/null | head -n 1
}

fetch() {
	local series=$1 suite krel ver dir
	suite=$(suite_of "$series")
	apt_state "$suite"
	krel=$(resolve_krel "$series")
	[ -n "$krel" ] || die "no cloud kernel found for $series in $suite"
	# 6.1: the headers installed here, whatever the archive has since.
	if [ "$series" = 6.1 ]; then
		ver=$(dpkg-query -W -f='${Version}' "linux-headers-$krel")
	else
		ver=$(candidate "linux-headers-$krel")
	fi
	[ -n "$ver" ] || die "linux-headers-$krel not in $suite"
	dir=$cache/kernel/$krel-$ver
	if [ -z "$(vmlinuz "$dir")" ]; then
		echo "kernels.sh: fetching the $series kernel $krel ($ver)" >&2
		rm -rf "$dir"
		# Newer releases split the image into binary and modules.
		if [ -n "$(candidate "linux-binary-$krel")" ]; then
			unpack "$dir" "$ver" "linux-binary-$krel" \
				"linux-modules-$krel"
		else
			unpack "$dir" "$ver" "linux-image-$krel"
		fi
	fi
	echo "KREL=$krel"
	echo "VERSION=$ver"
	echo "VMLINUZ=$(vmlinuz "$dir")"
}

# Headers of a bookworm kernel unpacked into the cache, not installed: the
# package's top Makefile names /usr/src, which is made to name the cache.
host_kdir() {
	local krel=$1 ver=$2 dir=$mcache/headers/$1 deps
	if [ "$series" = 6.1 ]; then
		"$top/scripts/kdir.sh"
		return
	fi
	if [ ! -f "$dir/.done-$ver" ]; then
		rm -rf "$dir"
		deps=$(apt-cache "${APT[@]}" depends "linux-headers-$krel" |
			sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p')
		# shellcheck disable=SC2086
		unpack "$dir" "$ver" "linux-headers-$krel" $deps
		sed -i "s|/usr/src/|$dir/usr/src/|g" \
			"$dir/usr/src/linux-headers-$krel/Makefile"
		touch "$dir/.done-$ver"
	fi
	echo "$dir/usr/src/linux-headers-$krel"
}

# A minimal root of SUITE with its compiler and the headers of KREL.
build_root() {
	local suite=$1 krel=$2 ver=$3 root=$mcache/root-$1
	if [ ! -f "$root/.c2watch-root" ]; then
		echo "kernels.sh: debootstrap $suite into $root (once)" >&2
		rm -rf "$root"
		debootstrap --variant=minbase "$suite" "$root" "$mirror" >&2 ||
			die "debootstrap $suite failed"
		cp "$mcache/apt/$suite/sources.list" "$root/etc/apt/sources.list"
		printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
		chmod +x "$root/usr/sbin/policy-rc.d"
		touch "$root/.c2watch-root"
	fi
	if ! chroot "$root" dpkg-query -W -f='${Status}' \
		"linux-headers-$krel" 2>/dev/null | grep -q 'ok installed'; then
		echo "kernels.sh: installing linux-headers-$krel in the $suite root" >&2
		chroot "$root" apt-get -q update >&2
		DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install \
			-y -q --no-install-recommends make libc6-dev \
			"linux-headers-$krel=$ver" >&2 ||
			die "installing linux-headers-$krel in the $suite root failed"
		chroot "$root" apt-get clean
	fi
	echo "$root"
}

build() {
	local series=$1 out=$2 krel ver kdir root src
	eval "$(fetch "$series")"
	apt_state "$(suite_of "$series")"
	krel=$KREL
	ver=$VERSION
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	src=(Kbuild kmod include)
	if [ "$(builder_of "$series")" = host ]; then
		kdir=$(host_kdir "$krel" "$ver")
		rm -rf "$out/src"
		mkdir -p "$out/src"
		(cd "$top" && cp -r "${src[@]}" "$out/src/")
		rm -f "$out"/src/kmod/*.o
		make -C "$kdir" M="$out/src" modules >&2 ||
			die "building c2watch for $krel failed"
		cp "$out/src/c2watch.ko" "$out/c2watch.ko"
	else
		root=$(build_root "$(suite_of "$series")" "$krel" "$ver")
		rm -rf "$root/build"
		mkdir -p "$root/build/c2watch"
		(cd "$top" && cp -r "${src[@]}" "$root/build/c2watch/")
		rm -f "$root"/build/c2watch/kmod/*.o
		# objtool reads /proc; nothing else of the host is needed.
		mount -t proc proc "$root/proc"
		if ! chroot "$root" make -C "/usr/src/linux-headers-$krel" \
			M=/build/c2watch modules >&2; then
			umount "$root/proc"
			die "building c2watch for $krel in the $(suite_of "$series") root failed"
		fi
		umount "$root/proc"
		cp "$root/build/c2watch/c2watch.ko" "$out/c2watch.ko"
	fi
	echo "$out/c2watch.ko"
}

kdir() {
	local series=$1
	[ "$(builder_of "$series")" = host ] ||
		die "$series is built in a $(suite_of "$series") root, not on this host"
	eval "$(fetch "$series")"
	apt_state "$(suite_of "$series")"
	echo "KREL=$KREL"
	echo "KDIR=$(host_kdir "$KREL" "$VERSION")"
}

case "${1:-}" in
list)	printf '%s\n' 5.10 6.1 6.12 newest ;;
fetch)	series=${2:?usage: kernels.sh fetch SERIES}; fetch "$series" ;;
build)	series=${2:?usage: kernels.sh build SERIES DIR}
	build "$series" "${3:?usage: kernels.sh build SERIES DIR}" ;;
kdir)	series=${2:?usage: kernels.sh kdir SERIES}; kdir "$series" ;;
*)	echo "usage: kernels.sh list | fetch SERIES | build SERIES DIR | kdir SERIES" >&2
	exit 2 ;;
esac
