#!/usr/bin/env bash
# Builds the web dashboard (web/ -> web/dist) with the lockfile's exact packages:
# `npm ci && npm run build`, skipped when web/dist is newer than every source file.
# Usage: scripts/build-web.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/../web"

stamp=dist/index.html
if [ "${1:-}" != "--force" ] && [ -f "$stamp" ] && [ -d node_modules ] &&
   [ -z "$(find package.json package-lock.json index.html vite.config.ts tsconfig.json src public \
            -newer "$stamp" -print -quit)" ]; then
  echo "build-web: web/dist is up to date"
  exit 0
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
