#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make matrix": c2watch on every kernel of tests/vm/kernels.sh. For each,
# build the module against that kernel's headers, boot that kernel in the
# VM, run the selftests; then a table
#   kernel | build | selftests: N passed, N failed
#
#   matrix.sh [--ktap] [SERIES[:quick]]...
#     SERIES     5.10, 6.1, 6.12, newest (default: all of them, in full)
#     :quick     build, load and the engine selftest only
#     --ktap     also print each VM run's KTAP result lines and one line
#                per kernel, for make check's count
# Logs in build/matrix/SERIES/. Exit status 0 when every kernel passed.
set -uo pipefail
cd "$(dirname "$0")/../.."

ktap=
if [ "${1:-}" = --ktap ]; then
	ktap=1
	shift
fi
[ $# -gt 0 ] || set -- $(tests/vm/kernels.sh list)

rows=()
fails=0
for arg in "$@"; do
	series=${arg%:quick}
	quick=
	[ "$series" != "$arg" ] && quick=1
	dir=build/matrix/$series
	mkdir -p "$dir"
	krel=$series
	build=failed
	tests="not run"
	echo "== kernel $series${quick:+ (quick: build, load, engine selftest)}" >&2
	if ko=$(tests/vm/kernels.sh build "$series" "$dir" 2> "$dir/build.log"); then
		build=ok
		eval "$(tests/vm/kernels.sh fetch "$series" 2>> "$dir/build.log")"
		krel=$KREL
		append=
		[ -n "$quick" ] && append=c2w.only=engine
		C2W_VM_KERNEL=$VMLINUZ C2W_VM_KO=$ko C2W_VM_LOG_DIR=$dir/vm \
			C2W_VM_APPEND=$append tests/vm/run.sh check \
			> "$dir/vm.log" 2> "$dir/vm.err"
		vmrc=$?
		passed=$(grep -E '^ok ' "$dir/vm.log" | grep -cv '# SKIP')
		skipped=$(grep -cE '^ok .*# SKIP' "$dir/vm.log")
		failed=$(grep -cE '^not ok ' "$dir/vm.log")
		tests="$passed passed, $failed failed${skipped:+, $skipped skipped}"
		[ "$skipped" = 0 ] && tests="$passed passed, $failed failed"
		[ -n "$ktap" ] && grep -E '^(not )?ok |^# ' "$dir/vm.log"
		if [ $vmrc -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
			fails=$((fails + 1))
			[ $vmrc -ne 0 ] && tests="$tests; VM run failed"
			tail -n 40 "$dir/vm.err" | sed 's/^/# /' >&2
			[ -n "$ktap" ] && echo "not ok - kernel $krel: $tests"
		else
			[ -n "$ktap" ] && echo "ok - kernel $krel: module builds and loads, $tests"
		fi
	else
		fails=$((fails + 1))
		tail -n 30 "$dir/build.log" | sed 's/^/# /' >&2
		[ -n "$ktap" ] && echo "not ok - kernel $series: module does not build"
	fi
	rows+=("$(printf '%-32s | %-5s | %s%s' "$krel" "$build" "$tests" \
		"${quick:+ (engine only)}")")
done

{
	printf '%-32s | %-5s | %s\n' kernel build selftests
	printf '%s\n' "${rows[@]}"
} | if [ -n "$ktap" ]; then sed 's/^/# /'; else cat; fi
[ $fails -eq 0 ]
