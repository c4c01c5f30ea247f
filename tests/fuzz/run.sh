#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make fuzz": run every libFuzzer harness for FUZZ_SECS seconds each on a
# working copy of the committed seed corpus (tests/fuzz/corpus/NAME/).
# Crashes are written to build/fuzz/crash-NAME-*; turn each into a file in
# tests/fuzz/regressions/NAME/, which the unit tests replay.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
rc=0
for f in build/fuzz/fuzz_*; do
	name=${f##*/fuzz_}
	work=build/fuzz/corpus-$name
	mkdir -p "$work"
	echo "== fuzz_$name for ${secs}s"
	"$f" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="build/fuzz/crash-$name-" "$work" \
		"tests/fuzz/corpus/$name" > "build/fuzz/$name.log" 2>&1
	frc=$?
	grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|crash-' \
		"build/fuzz/$name.log"
	if [ $frc -ne 0 ]; then
		echo "not ok fuzz_$name: see build/fuzz/crash-$name-*"
		rc=1
	else
		echo "ok fuzz_$name"
	fi
done
exit $rc
