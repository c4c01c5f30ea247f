# SPDX-License-Identifier: GPL-2.0
# KTAP result lines for the shell tests, on the host and in the VM (POSIX
# sh, busybox included). Source it, then:
#   ok STATUS DESCRIPTION   "ok N DESCRIPTION" when STATUS is 0, else "not ok"
#   ktap_done NAME          the "# NAME: N passed, N failed" line; the
#                           script's exit status (0 when nothing failed)
#   wait_for SECONDS CMD... run CMD every half second until it succeeds;
#                           fails after SECONDS
ktap_n=0
ktap_failed=0

ok() {
	ktap_n=$((ktap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $ktap_n $2"
	else
		echo "not ok $ktap_n $2"
		ktap_failed=$((ktap_failed + 1))
	fi
}

ktap_done() {
	echo "# $1: $((ktap_n - ktap_failed)) passed, $ktap_failed failed"
	[ "$ktap_failed" -eq 0 ]
}

wait_for() {
	ktap_t=$(($1 * 2))
	shift
	while ! "$@" 2>/dev/null; do
		ktap_t=$((ktap_t - 1))
		[ "$ktap_t" -le 0 ] && return 1
		sleep 0.5
	done
}
