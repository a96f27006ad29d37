#!/usr/bin/env bash
# Black-box test of the site routes (CRUD, inventory, reports, roles, token scope).
# $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/server_sites_test.py" "$1"
