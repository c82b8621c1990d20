#!/usr/bin/env bash
# Searches the output of a test run (ctest's LastTest.log) for the secrets the tests configure:
# every string literal of tests/ assigned to a name ending in Secret, Token or Password (any
# case), of 8 characters or more, and its base64 form. The suite runs with debug logging
# (FORGEDB_TEST_LOG_LEVEL=debug, set by tools/test.sh), so a secret that any log line, error or
# answer printed by a test carries is found here.
#   tools/check-test-logs.sh LOG
set -euo pipefail
cd "$(dirname "$0")/.."
LOG=$1
[[ -s $LOG ]] || { echo "check-test-logs: no test output at $LOG" >&2; exit 2; }
mapfile -t SECRETS < <(grep -rhoE '(secret|token|password)[A-Za-z_]*\s*=\s*"[^"]{8,}"' -i tests/ |
  sed -E 's/^[^"]*"(.*)"$/\1/' | grep -v ' + ' | sort -u)
found=0
for s in "${SECRETS[@]}"; do
  for form in "$s" "$(printf '%s' "$s" | base64 -w0)"; do
    if grep -qF -- "$form" "$LOG"; then
      echo "check-test-logs: a configured secret appears in the test output: ${s:0:3}..." >&2
      grep -nF -- "$form" "$LOG" | head -3 | cut -c1-200 >&2
      found=1
    fi
  done
done
echo "check-test-logs: ${#SECRETS[@]} secrets searched in $(wc -l <"$LOG") lines of test output"
exit $found
