#!/usr/bin/env bash
# Sets up the machine (which builds the dashboard), builds dualcarbon and runs the server with the
# demo plants (`serve --demo`): it prints the dashboard's URL and the login token.
# Usage: scripts/run.sh [extra dualcarbon serve flags]
# Environment: DC_DATA_DIR (default ./data/demo; a restart continues its history),
# DC_LISTEN (default 127.0.0.1:8086).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build dualcarbon
exec ./build/bin/dualcarbon serve --demo --data-dir "${DC_DATA_DIR:-./data/demo}" \
  --listen "${DC_LISTEN:-127.0.0.1:8086}" "$@"
