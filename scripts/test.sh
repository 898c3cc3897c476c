#!/usr/bin/env bash
# Sets everything up and runs every package's type check and tests through Turbo, against the
# PostgreSQL and Redis named by the settings (each run creates and drops its own databases).
# `scripts/test.sh --coverage` also writes coverage reports (packages' coverage/ folders).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

task=test
[ "${1:-}" = "--coverage" ] && task=test:cov
find "$ROOT/apps" "$ROOT/packages" -maxdepth 2 -name test-results.json -delete 2>/dev/null || true
status=0
turbo run typecheck "$task" --continue --concurrency=2 --output-logs=full || status=$?
node "$ROOT/scripts/test-summary.mjs" || status=1
exit "$status"
