#!/usr/bin/env bash
# Sets everything up on a fresh clone: the pinned Node and pnpm (scripts/toolchain.sh), the
# workspace's packages, and the generated Prisma client. Safe to run again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
cd "$ROOT"

echo "==> node $(node --version), pnpm $(pnpm --version)"
if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile --reporter=append-only
else
  pnpm install --reporter=append-only
fi
pnpm --silent db:generate
