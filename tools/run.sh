#!/usr/bin/env bash
# Installs the packages, builds, and runs `forgedb serve` on an SQLite file. Extra arguments go
# to `forgedb serve` (for example --github-webhook-secret-file FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
tools/build.sh -DFORGEDB_BUILD_TESTS=OFF
if [[ $# -eq 0 && -z ${FORGEDB_GITHUB_WEBHOOK_SECRET:-}${FORGEDB_GITHUB_WEBHOOK_SECRET_FILE:-} ]]; then
  echo "run.sh: no webhook secret given; starting with --insecure-accept-unsigned (local use only)" >&2
  set -- --insecure-accept-unsigned
fi
exec build/forgedb serve --database "${FORGEDB_DATABASE:-sqlite:forgedb.db}" "$@"
