#!/usr/bin/env bash
# Black-box test of hostile input (issue 7): request smuggling through Transfer-Encoding and
# Content-Length, a 100k-field line beside a small write, 408 for slow senders, series-key rules
# and backslash round trips, 405 Allow with HEAD, CREATE DATABASE rules, JSON write times.
# $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/security_http_test.py" "$1"
