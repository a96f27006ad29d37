#!/usr/bin/env bash
# Installs every Debian 12 package dualcarbon needs to build, test and benchmark.
# Idempotent: packages already present are skipped by apt-get. Works as root or through sudo.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format clang-tidy
  # libraries (see ARCHITECTURE.md "Dependencies" for why each is here)
  libabsl-dev libboost-dev libboost-system-dev libsqlite3-dev libtomlplusplus-dev nlohmann-json3-dev
  libcli11-dev libspdlog-dev libfmt-dev libsodium-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libmosquitto-dev libmodbus-dev
  libxlsxwriter-dev  # Excel export (src/server/xlsx.cc)
  # test and benchmark peers
  python3 curl influxdb clickhouse-server
  mosquitto mosquitto-clients python3-pymodbus python3-serial socat
  # web dashboard: browser tests (headless chromium) and Chinese fonts for their screenshots
  chromium fonts-noto-cjk
  # MQTT TLS test: certificates made with the openssl command line
  openssl
  python3-serial-asyncio  # pymodbus.server imports it, even for TCP
)
# Node.js and npm build the dashboard: the machine's own when present (Vite needs Node >= 20.19),
# else Debian's.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PACKAGES[@]} packages present"
fi

# The peer servers must not run as system services: tests and benchmarks start their own
# instances on loopback with temporary directories.
for svc in influxdb clickhouse-server; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done

# The web dashboard (web/ -> web/dist), served by `dualcarbon serve` at /.
bash "$(dirname "$0")/build-web.sh"
