#!/usr/bin/env bash
# Black-box test of broken and hostile HTTP clients (truncated, chunked, huge headers, UTF-8,
# slowloris, idle). $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/server_faults_test.py" "$1"
