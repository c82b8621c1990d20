#!/usr/bin/env bash
# Installs the Debian 12 packages forgedb builds and tests with, and any named as arguments.
# Needs root (or sudo).
set -euo pipefail
PACKAGES=(build-essential cmake ninja-build pkg-config libboost1.81-dev nlohmann-json3-dev
          zlib1g-dev libsqlite3-dev sqlite3 libpq-dev libcurl4-openssl-dev libssl-dev libspdlog-dev
          libfmt-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libsimdjson-dev
          postgresql curl
          # the browser test of the web pages (tests/integration/ui_browser_test.cpp)
          chromium python3 python3-websocket
          # more for one job, e.g. tools/fuzz.sh's clang with libFuzzer
          "$@")
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
