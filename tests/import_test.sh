#!/usr/bin/env bash
# Black-box test of CSV import (docs/import.md): the UCI steel file by the documented command and
# its monthly kWh against sums computed here; a GBK file through the CLI and POST /api/v1/import;
# bad rows named by line with the good rows kept; the watched folder. $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/import_test.py" "$1"
