#!/usr/bin/env bash
# Black-box test of configured acquisition sources through `dualcarbon serve --config`: an HJ 212
# listener receives packets over TCP; /api/v1/sources, /health and /metrics show it; the values
# are queryable. $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/acquisition_test.py" "$1"
