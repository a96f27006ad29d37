#!/usr/bin/env bash
# Black-box load and crash test: 1,000 keep-alive connections; SIGKILL / SIGTERM during
# concurrent HTTP ingest. $1 = dualcarbon binary.
set -euo pipefail
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec timeout 600 /usr/bin/python3 "$(dirname "$0")/server_load_test.py" "$1"
