#!/usr/bin/env bash
# Sets up the machine, builds dualcarbon and runs the server on the embedded store.
# Usage: scripts/run.sh [extra dualcarbon serve flags]
# Environment: DC_DATA_DIR (default ./data), DC_LISTEN (default 127.0.0.1:8086).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build dualcarbon
exec ./build/bin/dualcarbon serve --data-dir "${DC_DATA_DIR:-./data}" --listen "${DC_LISTEN:-127.0.0.1:8086}" "$@"
