#!/usr/bin/env bash
# Black-box HTTP API test (writes, queries, tokens, roles, config, SIGTERM). $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/server_api_test.py" "$1"
