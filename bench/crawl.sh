#!/usr/bin/env bash
# GitHub crawl benchmark against the fake GitHub (tools/fake_forge), on SQLite.
#
#   bash bench/crawl.sh            (from the repo root; builds build/ if needed)
#
# Prints, for a generated repository of PULLS pull requests (default 5,000):
#   1. requests per item of a full backfill (`forgedb load repos/O/R/pulls --wait`), next to the
#      floor ceil(items/100) pages, and the goal (<= 1.02 x floor);
#   2. requests charged to the rate limit by an unchanged second crawl (goal 0: only 304s);
#   3. items upserted per second from pages already fetched: bench/process_pages turns the same
#      pages, taken from the fake without a network, into rows (goal >= 50,000/s on SQLite); the
#      wall time of the second crawl, which re-processes its cached 304 bodies, is shown too.
#
#   4. requests per item of a Gerrit owner's changes (GERRIT_CHANGES, default 3,000:
#      `forgedb load "gerrit/bench/changes?q=owner:alice" --wait`) and of a Phabricator user's
#      authored and assigned tasks (PHAB_TASKS, default 3,000 authored), next to their page floors.
#
# Environment: PULLS (5000), GERRIT_CHANGES (3000), PHAB_TASKS (3000), FORGEDB_BIN, FAKE_BIN,
# KEEP=1 keeps the temp dir.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PULLS=${PULLS:-5000}
GERRIT_CHANGES=${GERRIT_CHANGES:-3000}
PHAB_TASKS=${PHAB_TASKS:-3000}
FORGEDB_BIN=${FORGEDB_BIN:-$REPO/build/forgedb}
FAKE_BIN=${FAKE_BIN:-$REPO/build/forgedb-fake-forge}
PAGES_BIN=${PAGES_BIN:-$REPO/build/bench/process_pages}
if [[ ! -x $FORGEDB_BIN || ! -x $FAKE_BIN || ! -x $PAGES_BIN ]]; then
  "$REPO/tools/build.sh" -DFORGEDB_BUILD_TESTS=OFF >&2
fi
for tool in curl awk; do command -v $tool >/dev/null || { echo "crawl.sh: needs $tool" >&2; exit 1; }; done

WORK=$(mktemp -d /tmp/forgedb-crawl-bench.XXXXXX)
FAKE_PID=""
FAKE2_PID=""
cleanup() {
  [[ -n $FAKE_PID ]] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
  [[ -n $FAKE2_PID ]] && kill "$FAKE2_PID" 2>/dev/null && wait "$FAKE2_PID" 2>/dev/null
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

"$FAKE_BIN" --listen 127.0.0.1:0 --generate "octo/big:$PULLS" >"$WORK/fake.log" 2>&1 &
FAKE_PID=$!
for _ in $(seq 100); do
  URL=$(grep -o 'http://[0-9.]*:[0-9]*' "$WORK/fake.log" | head -1 || true)
  [[ -n $URL ]] && break
  sleep 0.1
done
[[ -n ${URL:-} ]] || { echo "crawl.sh: the fake forge did not start" >&2; cat "$WORK/fake.log" >&2; exit 1; }

DB="sqlite:$WORK/crawl.db"
TOKEN=bench-token
stat_field() {  # stat_field FIELD -> number from GET /_fake/stats
  curl -sf "$URL/_fake/stats" | tr ',{}' '\n\n\n' | awk -F: -v k="\"$1\"" '$1 == k { print $2; exit }'
}
pulls_requests() {
  curl -sf "$URL/_fake/stats" | tr ',{}' '\n\n\n' |
    awk -F: '$1 == "\"/repos/octo/big/pulls\"" { print $2; exit }'
}
budget_used() {
  curl -sf "$URL/_fake/budgets/$TOKEN" | tr ',{}' '\n\n\n' | awk -F: '$1 == "\"remaining\"" { r = $2 }
    $1 == "\"limit\"" { l = $2 } END { print l - r }'
}
load() {
  local start end
  start=$(date +%s.%N)
  "$FORGEDB_BIN" --log-level warn load repos/octo/big/pulls --database "$DB" --github-api-url "$URL" \
    --github-token "$TOKEN" --wait 2>>"$WORK/load.log" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

"$FORGEDB_BIN" --log-level warn migrate --database "$DB"
curl -sf -X DELETE "$URL/_fake/stats" >/dev/null
secs1=$(load)
req1=$(pulls_requests)
total1=$(stat_field total)
used1=$(budget_used)
rows=$(sqlite3 "$WORK/crawl.db" "SELECT COUNT(*) FROM github_pull_request WHERE deleted_at IS NULL")

curl -sf -X DELETE "$URL/_fake/stats" >/dev/null
secs2=$(load)
total2=$(stat_field total)
notmod2=$(stat_field not_modified)
used2=$(budget_used)

floor=$(( (PULLS + 99) / 100 ))
echo "==================== crawl benchmark ($PULLS pull requests, SQLite) ===================="
awk -v req="$req1" -v total="$total1" -v items="$PULLS" -v floor="$floor" -v rows="$rows" -v s="$secs1" 'BEGIN {
  printf "full backfill:   %d list requests (+%d others) for %d items = %.4f requests/item; floor %d pages; ratio to floor %.3f (goal <= 1.02); %d rows; %.2f s\n",
         req, total - req, items, req / items, floor, req / floor, rows, s }'
echo "unchanged crawl: $total2 requests, $notmod2 of them 304; charged to the rate limit: $((used2 - used1)) (goal 0)"
awk -v items="$PULLS" -v s="$secs2" 'BEGIN {
  printf "unchanged crawl wall time: %d items in %.2f s = %.0f items/s (whole command: start-up, 304 round trips, jobs)\n",
         items, s, items / s }'
echo "pages already fetched (goal >= 50,000 items/s):"
"$PAGES_BIN" "$PULLS" | sed 's/^/  /'

# ---- Gerrit and Phabricator: requests per item against the page-size floor ----
"$FAKE_BIN" --listen 127.0.0.1:0 --gerrit-listen 127.0.0.1:0 --gerrit-generate "alice:$GERRIT_CHANGES" \
  --phabricator-listen 127.0.0.1:0 --phabricator-generate "bob:$PHAB_TASKS" >"$WORK/fake2.log" 2>&1 &
FAKE2_PID=$!
for _ in $(seq 100); do
  GERRIT_URL=$(grep -o 'fake gerrit listening on http://[^ ]*' "$WORK/fake2.log" | awk '{ print $5 }' || true)
  PHAB_URL=$(grep -o 'fake phabricator listening on http://[^ ]*' "$WORK/fake2.log" | awk '{ print $5 }' || true)
  [[ -n $GERRIT_URL && -n $PHAB_URL ]] && break
  sleep 0.1
done
[[ -n ${GERRIT_URL:-} && -n ${PHAB_URL:-} ]] || { echo "crawl.sh: the fake Gerrit/Phabricator did not start" >&2; cat "$WORK/fake2.log" >&2; exit 1; }
GERRIT_ROOT=$(echo "$GERRIT_URL" | grep -o 'http://[0-9.]*:[0-9]*')
total_of() {  # total_of ROOT_URL -> requests served
  curl -sf "$1/_fake/stats" | tr ',{}' '\n\n\n' | awk -F: '$1 == "\"total\"" { print $2; exit }'
}
DB2="sqlite:$WORK/forges.db"
echo "bench-token" >"$WORK/phab-token"
"$FORGEDB_BIN" --log-level warn migrate --database "$DB2"
forge_load() {  # forge_load PATH -> seconds
  local start end
  start=$(date +%s.%N)
  "$FORGEDB_BIN" --log-level warn load "$1" --database "$DB2" --gerrit "bench=$GERRIT_URL" \
    --phabricator "bench=$PHAB_URL" --phabricator-token "bench=$WORK/phab-token" --wait \
    2>>"$WORK/load.log" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}
curl -sf -X DELETE "$GERRIT_ROOT/_fake/stats" >/dev/null
gsecs=$(forge_load "gerrit/bench/changes?q=owner:alice")
greq=$(total_of "$GERRIT_ROOT")
grows=$(sqlite3 "$WORK/forges.db" "SELECT COUNT(*) FROM gerrit_change WHERE owner_username = 'alice'")
gfloor=$(( (GERRIT_CHANGES + 99) / 100 ))
awk -v req="$greq" -v items="$grows" -v floor="$gfloor" -v n="$GERRIT_CHANGES" -v s="$gsecs" 'BEGIN {
  printf "gerrit owner:    %d requests for %d changes (%d generated) = %.4f requests/item; floor %d pages; ratio to floor %.3f; %.2f s\n",
         req, items, n, req / items, floor, req / floor, s }'

curl -sf -X DELETE "$PHAB_URL/_fake/stats" >/dev/null
psecs_a=$(forge_load "phabricator/bench/tasks?author=bob")
preq_a=$(total_of "$PHAB_URL")
curl -sf -X DELETE "$PHAB_URL/_fake/stats" >/dev/null
psecs_o=$(forge_load "phabricator/bench/tasks?assigned=bob")
preq_o=$(total_of "$PHAB_URL")
read -r authored assigned both < <(sqlite3 -separator ' ' "$WORK/forges.db" "
  SELECT SUM(t.author_phid = u.phid), SUM(t.owner_phid = u.phid),
         SUM(t.author_phid = u.phid AND t.owner_phid = u.phid)
  FROM phabricator_task t JOIN phabricator_user u ON u.instance = t.instance AND u.username = 'bob'")
pfloor=$(( (authored + 99) / 100 + (assigned + 99) / 100 ))
awk -v ra="$preq_a" -v ro="$preq_o" -v a="$authored" -v o="$assigned" -v b="$both" -v floor="$pfloor" \
    -v s="$psecs_a" -v t="$psecs_o" 'BEGIN {
  items = a + o - b
  printf "phabricator user: %d + %d requests (authored, assigned; user lookup included) for %d authored + %d assigned tasks (%d distinct) = %.4f requests/item; floor %d pages; ratio to floor %.3f; %.2f s + %.2f s\n",
         ra, ro, a, o, items, (ra + ro) / items, floor, (ra + ro) / floor, s, t }'
