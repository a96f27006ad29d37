#!/usr/bin/env bash
# Black-box security suite: the authorisation matrix (every route x role x scope), token
# minting rules, data scope of site tokens, hostile token names. $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/security_authz_test.py" "$1"
