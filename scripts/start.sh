#!/usr/bin/env bash
# Sets everything up, creates the database if it is missing, applies the migrations and starts
# the API (HOST/PORT from the settings; :8000 by default).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
pnpm --silent db:deploy
exec node apps/api/src/start.js
