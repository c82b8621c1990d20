#!/usr/bin/env bash
# Configures and builds forgedb (Release) into ./build, or into $FORGEDB_BUILD_DIR; extra
# arguments go to cmake (a later -DCMAKE_BUILD_TYPE=... overrides Release).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FORGEDB_BUILD_DIR:-build}
# A compiler cache, when the machine has one, makes rebuilds of other checkouts cheap.
if command -v ccache >/dev/null && [[ -z ${CMAKE_CXX_COMPILER_LAUNCHER:-} ]]; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$BUILD_DIR" -j"$(nproc)"
