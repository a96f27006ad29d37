#!/usr/bin/env bash
# Browser test of the dashboard: the real binary with --demo, headless Debian chromium driven by
# playwright-core (web/node_modules). Screenshots go to build/web-screenshots/.
# $1 = dualcarbon binary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
for need in "$repo/web/dist/index.html" "$repo/web/node_modules/playwright-core"; do
  if [ ! -e "$need" ]; then
    echo "web_test: $need is missing: run scripts/setup.sh (it builds the dashboard)" >&2
    exit 1
  fi
done
if ! command -v chromium >/dev/null; then
  echo "web_test: chromium is not installed: run scripts/setup.sh" >&2
  exit 1
fi
exec timeout 600 node "$here/web_test.mjs" "$1" "$repo"
