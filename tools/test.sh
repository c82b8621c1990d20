#!/usr/bin/env bash
# Installs the packages, builds, and runs every test: on SQLite, and on a throwaway PostgreSQL
# cluster that this script starts and stops itself.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
tools/build.sh -DFORGEDB_BUILD_TESTS=ON
if [[ -z ${FORGEDB_TEST_PG_URL:-} ]]; then
  eval "$(tools/pg-test-cluster.sh start)"
  trap 'tools/pg-test-cluster.sh stop "$FORGEDB_PG_DIR"' EXIT
fi
export FORGEDB_TEST_PG_URL
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
