#!/usr/bin/env bash
# Sets everything up, lints, and runs every package's type check and tests through Turbo, against the
# PostgreSQL and Redis named by the settings (each run creates and drops its own databases), then
# the API suite once more in embedded mode (TEST_MODE=embedded: PGlite, no Redis) and the job
# runtime's (packages/jobs, apps/worker) with their jobs in the database (TEST_MODE=jobs-table).
# `scripts/test.sh --coverage` also writes coverage reports (packages' coverage/ folders).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

task=test
[ "${1:-}" = "--coverage" ] && task=test:cov
find "$ROOT/apps" "$ROOT/packages" -maxdepth 2 -name 'test-results*.json' -delete 2>/dev/null || true
status=0
# Lint first: the committed OpenAPI document against Redocly's recommended rules (redocly.yaml),
# then the code's format, import order and lint rules with Biome (biome.jsonc), writing nothing.
echo "==> lint: OpenAPI document"
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true pnpm --silent lint:openapi || status=1
echo "==> lint: Biome (format, imports, lint rules)"
pnpm --silent lint || status=1
# test:embedded: the API suite again, on the embedded parts (PGlite, no Redis); test:jobs-table:
# the job runtime's suites again, with their jobs in the database's jobs table (no Redis).
turbo run typecheck "$task" test:embedded test:jobs-table --continue --concurrency=2 --output-logs=full || status=$?
node "$ROOT/scripts/test-summary.mjs" || status=1
exit "$status"
