#!/usr/bin/env bash
# Black-box test of the live stream (GET /api/v1/stream, server-sent events).
# $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/stream_test.py" "$1"
