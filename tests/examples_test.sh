#!/usr/bin/env bash
# Every example site under examples/ accounted by the real binary, checked against figures
# recomputed in Python from the example's readings (tests/examples_test.py).
# Usage: tests/examples_test.sh path/to/dualcarbon
set -euo pipefail
BIN=${1:?usage: $0 path/to/dualcarbon}
exec /usr/bin/python3 "$(dirname "$0")/examples_test.py" "$BIN"
