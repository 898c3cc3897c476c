#!/usr/bin/env bash
# Sets everything up and runs each benchmark under bench/ (the top-level *.ts files) with node,
# against the PostgreSQL named by the settings; each creates and drops its own database.
# Figures only, never part of the test run. Durations: BENCH_DURATION, BENCH_ROUNDS,
# BENCH_CONNECTIONS, BENCH_WARMUP (see bench/README.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

status=0
for script in "$ROOT"/bench/*.ts; do
  [ -f "$script" ] || continue
  echo "==> bench/$(basename "$script")"
  (cd "$ROOT/bench" && node "$script") || status=$?
done
exit "$status"
