#!/usr/bin/env bash
# Black-box test: hostile or mistaken command-line input gets a clear error naming the argument
# and a non-zero exit code that is not a signal. $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/security_cli_test.py" "$1"
