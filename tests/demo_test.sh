#!/usr/bin/env bash
# Black-box test of `dualcarbon serve --demo`: backfill time, the demo sites, a non-zero
# inventory for last month that is the same for the same seed, live data through /write.
# $1 = dualcarbon binary.
set -euo pipefail
exec timeout 600 /usr/bin/python3 "$(dirname "$0")/demo_test.py" "$1"
