#!/usr/bin/env bash
# Black-box test of the Excel export routes. $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/export_test.py" "$1"
