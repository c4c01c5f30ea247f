#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test VM's network, shaped like a real host's: the VM itself (the
# "host side") has a private IPv4 address and a ULA IPv6 address on eth0,
# with default routes to a gateway. The gateway is a network namespace
# inside the VM, joined by a veth pair, that owns the "internet" addresses
# the tests call (1.1.1.1, 8.8.8.8, 9.9.9.9, 2606:4700:4700::1111, ...)
# and the LAN ones they expect to be excluded (10.0.0.1, 192.168.1.1).
# c2w-gateway there accepts TCP on 443, receives UDP on 53, and the kernel
# answers RST on every other port. QEMU still has no NIC: nothing leaves
# the VM.
#
# So a connection to 1.1.1.1 leaves from 10.0.2.15 (or fd00:c2::15), as it
# does on every cloud VM and NATed server; a rule that excludes private
# source addresses is silent here as it would be there.
#
# Needs iproute2's ip (busybox's has no netns) and veth: built in, loadable
# with modprobe, or /c2w/veth.ko (tests/vm/run.sh copies it from the kernel
# package). Used by tests/vm/init and by the Debian package VM job.
set -eu

HOST4=10.0.2.15
GW4=10.0.2.2
HOST6=fd00:c2::15
GW6=fd00:c2::2

die() { echo "net.sh: $*" >&2; exit 1; }
# busybox sh prefers its own applets to $PATH: name iproute2's ip (run.sh
# puts it in /c2w) explicitly where it is there.
if [ -x /c2w/ip ]; then
	ip() { /c2w/ip "$@"; }
fi

ip link set lo up
# Link-local destinations stay on the loopback: fe80::1 with scope lo is
# what the exclusion tests call.
ip -6 addr add fe80::1/64 dev lo 2>/dev/null || true

if ! ip link add c2wprobe0 type veth peer name c2wprobe1 2>/dev/null; then
	modprobe veth 2>/dev/null || insmod /c2w/veth.ko ||
		die "no veth driver (modprobe veth, /c2w/veth.ko)"
else
	ip link del c2wprobe0
fi

mkdir -p /run/netns
ip netns add gw || die "ip netns add gw failed (iproute2's ip needed)"
ip link add eth0 type veth peer name gw0 netns gw

ip addr add $HOST4/24 dev eth0
ip -6 addr add $HOST6/64 dev eth0 nodad
ip link set eth0 up
ip route add default via $GW4 dev eth0
ip -6 route add default via $GW6 dev eth0

ip -n gw link set lo up
ip -n gw addr add $GW4/24 dev gw0
ip -n gw -6 addr add $GW6/64 dev gw0 nodad
ip -n gw link set gw0 up
for a in 1.1.1.1 8.8.8.8 9.9.9.9 10.0.0.1 192.168.1.1; do
	ip -n gw addr add $a/32 dev lo
done
for a in 2606:4700:4700::1111 2001:4860:4860::8888; do
	ip -n gw -6 addr add $a/128 dev lo
done

ip netns exec gw /c2w/c2w-gateway -t 443 -u 53 ||
	die "c2w-gateway did not start"

# Reach both "internet" stacks once: this resolves the neighbours, and
# proves the gateway answers before any test relies on it.
for a in 1.1.1.1 2606:4700:4700::1111; do
	timeout 20 /c2w/c2w-beacon $a 443 || die "$a:443 unreachable"
done
echo "net.sh: eth0 $HOST4/24 $HOST6/64, default via $GW4 and $GW6 (gateway namespace 'gw')"
