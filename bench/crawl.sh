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
# Environment: PULLS (5000), FORGEDB_BIN, FAKE_BIN, KEEP=1 keeps the temp dir.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PULLS=${PULLS:-5000}
FORGEDB_BIN=${FORGEDB_BIN:-$REPO/build/forgedb}
FAKE_BIN=${FAKE_BIN:-$REPO/build/forgedb-fake-forge}
PAGES_BIN=${PAGES_BIN:-$REPO/build/bench/process_pages}
if [[ ! -x $FORGEDB_BIN || ! -x $FAKE_BIN || ! -x $PAGES_BIN ]]; then
  "$REPO/tools/build.sh" -DFORGEDB_BUILD_TESTS=OFF >&2
fi
for tool in curl awk; do command -v $tool >/dev/null || { echo "crawl.sh: needs $tool" >&2; exit 1; }; done

WORK=$(mktemp -d /tmp/forgedb-crawl-bench.XXXXXX)
FAKE_PID=""
cleanup() {
  [[ -n $FAKE_PID ]] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
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
