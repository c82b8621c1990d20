#!/usr/bin/env bash
# Installs the packages, builds, and runs every test: on SQLite, and on a throwaway PostgreSQL
# cluster that this script starts and stops itself.
#   tools/test.sh [--sanitize] [ctest arguments...]
# --sanitize builds everything with AddressSanitizer and UBSan into ./build-asan and runs the
# same tests there; a leak, a memory error or undefined behaviour fails the test that met it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=build
if [[ ${1:-} == --sanitize ]]; then
  shift
  BUILD_DIR=build-asan
fi
tools/deps.sh
if [[ $BUILD_DIR == build-asan ]]; then
  FORGEDB_BUILD_DIR=build-asan tools/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFORGEDB_SANITIZE=ON -DFORGEDB_BUILD_TESTS=ON
  # Inherited by the forgedb and fake forge processes the tests start, which are sanitized too.
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
else
  tools/build.sh -DFORGEDB_BUILD_TESTS=ON
fi
if [[ -z ${FORGEDB_TEST_PG_URL:-} ]]; then
  eval "$(tools/pg-test-cluster.sh start)"
  trap 'tools/pg-test-cluster.sh stop "$FORGEDB_PG_DIR"' EXIT
fi
export FORGEDB_TEST_PG_URL
# Every test logs at debug level, and its output is then searched for the secrets the tests use.
export FORGEDB_TEST_LOG_LEVEL=${FORGEDB_TEST_LOG_LEVEL:-debug}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" "$@"
tools/check-test-logs.sh "$BUILD_DIR/Testing/Temporary/LastTest.log"
