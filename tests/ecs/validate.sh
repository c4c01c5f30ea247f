#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ECS check of c2watchd's documents: the "ECSDOC " lines a VM log holds
# (c2w_daemon_test:every_document_kind_for_ecs_validation prints them),
# against Elastic's @elastic/ecs field table, installed from npm into the
# cache once (pinned). Every document kind must be there. KTAP on stdout.
#   validate.sh VM_LOG
set -eu
here=$(cd "$(dirname "$0")" && pwd)
npmdir=${C2W_CACHE:-$HOME/.cache/c2watch}/npm
ECS_VERSION=9.4.0
if [ ! -f "$npmdir/node_modules/@elastic/ecs/package.json" ] ||
   ! grep -q "\"version\": \"$ECS_VERSION\"" \
	"$npmdir/node_modules/@elastic/ecs/package.json"; then
	mkdir -p "$npmdir"
	npm install --prefix "$npmdir" --no-audit --no-fund --silent \
		"@elastic/ecs@$ECS_VERSION" >&2
fi
docs=$(mktemp)
trap 'rm -f "$docs"' EXIT
grep '^ECSDOC ' "$1" > "$docs" || true
node "$here/validate.js" "$npmdir/node_modules" "$docs" daemon_started \
	configuration_changed alert/connection_attempted \
	event/connection_attempted rule_cannot_match records_lost \
	matches_over_uid_share monitoring_gap
