#!/usr/bin/env bash
# Black-box: meter swaps (API, CLI) used by inventories and queries; quality in raw queries.
# $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/meter_events_test.py" "$1"
