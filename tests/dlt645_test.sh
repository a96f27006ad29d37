#!/usr/bin/env bash
# Black-box test of the DL/T 645 poller through `dualcarbon serve --config`: a bus over a socat
# pty pair (two meters and a dead address) and one over TCP (a discovered lone meter), served by
# tests/dlt645_sim.py. $1 = dualcarbon binary.
set -euo pipefail
exec timeout 300 /usr/bin/python3 "$(dirname "$0")/dlt645_test.py" "$1"
