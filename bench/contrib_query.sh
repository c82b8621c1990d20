#!/usr/bin/env bash
# Contributor view latency on a large SQLite or PostgreSQL mirror.
#
#   bash bench/contrib_query.sh                    (from the repo root; builds build/ if needed)
#   BACKEND=postgres bash bench/contrib_query.sh   (the same against a throwaway PostgreSQL)
#
# Fills a fresh SQLite mirror with ROWS contributions (default 5,000,000) of PEOPLE people
# (default 50,000), spread over Gerrit (40 %), Phabricator (30 %) and GitHub (30 %: commits, merged
# pull requests, issues) and over the last two years, written straight into `contribution` with
# SQL (the sqlite3 CLI), plus one person `heavy` with HEAVY contributions (default 10,000) over the
# last year. Then starts `forgedb serve --workers 0 --contrib-no-crawl` on it, creates a query for
# heavy (POST /query/add/user/), and measures, over REQUESTS sequential requests (default 200)
# after a warm-up on one kept-alive connection:
#   GET /result/<hash>/                       the person's page of results (default filter: a year)
#   GET /result/<hash>/commits/?day=DAY       one day of it
#   the same /result/ with Accept-Encoding: gzip, and the HTML permalink page /<hash>/ (gzip)
# printing p50 / p95 / p99 against the goal p95 < 20 ms.
#
# BACKEND=postgres does the same against PostgreSQL: it starts a throwaway cluster with
# tools/pg-test-cluster.sh on a free port (stopped and removed on exit), migrates it, and fills
# `contribution` with the same rows through psql (generate_series; the primary key and the
# contribution_account index are dropped for the insert and built afterwards, then VACUUM
# (ANALYZE)), printing a header line with the server's version, the fill time and
# pg_database_size; the measurements are the same.
#
# Environment: BACKEND (sqlite, the default, or postgres), ROWS, PEOPLE, HEAVY, REQUESTS,
# WARMUP (20), FORGEDB_BIN, KEEP=1 keeps the temp dir, DB=PATH (SQLite only) fills that file (when
# it does not exist yet) and keeps it, to measure again later.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${ROWS:-5000000}
PEOPLE=${PEOPLE:-50000}
HEAVY=${HEAVY:-10000}
REQUESTS=${REQUESTS:-200}
WARMUP=${WARMUP:-20}
FORGEDB_BIN=${FORGEDB_BIN:-$REPO/build/forgedb}
BACKEND=${BACKEND:-sqlite}
case $BACKEND in
  sqlite) ;;
  postgres)
    [[ -z ${DB:-} ]] || { echo "contrib_query.sh: DB=PATH is for SQLite only" >&2; exit 1; }
    PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1 ||
      true)
    [[ -n $PSQL ]] || { echo "contrib_query.sh: needs psql" >&2; exit 1; }
    ;;
  *) echo "contrib_query.sh: BACKEND is sqlite or postgres, not $BACKEND" >&2; exit 1 ;;
esac
if [[ ! -x $FORGEDB_BIN ]]; then
  "$REPO/tools/build.sh" -DFORGEDB_BUILD_TESTS=OFF >&2
fi
for tool in curl awk sqlite3 sort python3; do
  [[ $tool == sqlite3 && $BACKEND == postgres ]] && continue
  command -v $tool >/dev/null || { echo "contrib_query.sh: needs $tool" >&2; exit 1; }
done
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

WORK=$(mktemp -d /tmp/forgedb-contrib-bench.XXXXXX)
SERVER_PID=""
PG_DIR=""
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  if [[ -n $PG_DIR ]]; then "$REPO/tools/pg-test-cluster.sh" stop "$PG_DIR"; fi
  [[ ${KEEP:-0} == 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

NOW=$(date -u +%s)
if [[ $BACKEND == postgres ]]; then
  # A throwaway cluster (fsync off, as for the tests); the trap stops and removes it.
  PG_ENV=$(FORGEDB_PG_PORT=$(free_port) "$REPO/tools/pg-test-cluster.sh" start)
  eval "$PG_ENV"
  PG_DIR=$FORGEDB_PG_DIR
  DB_URL=$FORGEDB_TEST_PG_URL
  psql_run() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB_URL" "$@"; }
  echo "backend: PostgreSQL $(psql_run -At -c 'SHOW server_version')" \
    "(throwaway cluster, ${DB_URL#*@})"
  "$FORGEDB_BIN" --log-level warn migrate --database "$DB_URL"
  start=$(date +%s.%N)
  # The same rows as the SQLite fill below, in generation order (a heap is not clustered; heavy's
  # rows are inserted together, as there). Commit SHAs and Change-Ids: 40 random hex digits.
  psql_run >/dev/null <<SQL
SET maintenance_work_mem = '2GB';
ALTER SYSTEM SET max_wal_size = '8GB';
SELECT pg_reload_conf();
ALTER TABLE contribution DROP CONSTRAINT contribution_pkey;
DROP INDEX contribution_account;
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url,
                          project, repo_owner, change_id, authored, assigned)
SELECT CASE WHEN p < 8 THEN 'gerrit' WHEN p < 14 THEN 'phabricator' ELSE 'github' END,
       CASE WHEN p < 14 THEN 'wikimedia' ELSE 'github' END,
       CASE WHEN p < 8 THEN 'change' WHEN p < 14 THEN 'task' WHEN p < 17 THEN 'commit'
            WHEN p < 19 THEN 'pull_request' ELSE 'issue' END,
       CASE WHEN p BETWEEN 14 AND 16 THEN substr(md5(random()::text) || md5(random()::text), 1, 40)
            ELSE (1000000 + i)::text END,
       CASE WHEN p BETWEEN 8 AND 13 THEN 'PHID-USER-' || person ELSE 'user' || person END,
       to_timestamp($NOW - age),
       CASE WHEN p < 8 THEN (CASE i % 5 WHEN 0 THEN 'NEW' WHEN 1 THEN 'ABANDONED' ELSE 'MERGED' END)
            WHEN p < 14 THEN (CASE i % 4 WHEN 0 THEN 'Open' WHEN 1 THEN 'Declined' ELSE 'Resolved' END)
            WHEN p < 19 THEN 'merged'
            ELSE (CASE i % 2 WHEN 0 THEN 'open' ELSE 'closed' END) END,
       'Contribution ' || i || ': improve something in module ' || (i % 977),
       CASE WHEN p >= 14 THEN 'https://github.com/wikimedia/repo' || (i % 300) || '/x/' || i
            ELSE '' END,
       CASE WHEN p < 8 THEN 'mediawiki/extensions/Ext' || (i % 500)
            WHEN p >= 14 THEN 'wikimedia/repo' || (i % 300) ELSE '' END,
       CASE WHEN p >= 14 THEN 'wikimedia' ELSE '' END,
       CASE WHEN p < 8 OR p BETWEEN 14 AND 16
            THEN 'I' || substr(md5(random()::text) || md5(random()::text), 1, 40) END,
       true,
       CASE WHEN p BETWEEN 8 AND 13 THEN i % 3 = 0 ELSE true END
FROM (
  SELECT i,
         -- half the rows go to a tenth of the people
         CASE WHEN i % 2 = 0 THEN (i * 2654435761) % $PEOPLE
              ELSE (i * 40503) % ($PEOPLE / 10) END AS person,
         i % 20 AS p,
         (i * 7919) % (2 * 365 * 86400) AS age
  FROM generate_series(1::bigint, $ROWS) AS n(i)
) r;
-- heavy: HEAVY contributions spread evenly over the last year.
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url,
                          project, repo_owner, change_id, authored, assigned)
SELECT CASE WHEN p < 4 THEN 'gerrit' WHEN p < 7 THEN 'phabricator' ELSE 'github' END,
       CASE WHEN p < 7 THEN 'wikimedia' ELSE 'github' END,
       CASE WHEN p < 4 THEN 'change' WHEN p < 7 THEN 'task' WHEN p < 9 THEN 'commit'
            ELSE 'pull_request' END,
       CASE WHEN p BETWEEN 7 AND 8 THEN substr(md5(random()::text) || md5(random()::text), 1, 40)
            ELSE (9000000 + i)::text END,
       CASE WHEN p BETWEEN 4 AND 6 THEN 'PHID-USER-heavy' ELSE 'heavy' END,
       to_timestamp($NOW - 3600 - age),
       CASE WHEN p < 4 THEN (CASE i % 5 WHEN 0 THEN 'NEW' ELSE 'MERGED' END)
            WHEN p < 7 THEN (CASE i % 3 WHEN 0 THEN 'Open' ELSE 'Resolved' END)
            ELSE 'merged' END,
       'Heavy contribution ' || i,
       CASE WHEN p >= 7 THEN 'https://github.com/wikimedia/heavy/x/' || i ELSE '' END,
       CASE WHEN p < 4 THEN 'mediawiki/core' WHEN p >= 7 THEN 'wikimedia/heavy' ELSE '' END,
       CASE WHEN p >= 7 THEN 'wikimedia' ELSE '' END,
       CASE WHEN p < 4 OR p BETWEEN 7 AND 8
            THEN 'I' || substr(md5(random()::text) || md5(random()::text), 1, 40) END,
       true, true
FROM (
  SELECT i, i % 10 AS p, (i * 31536000 / $HEAVY) AS age
  FROM generate_series(1::bigint, $HEAVY) AS n(i)
) r;
ALTER TABLE contribution ADD CONSTRAINT contribution_pkey
  PRIMARY KEY (platform, instance, kind, source_id, account);
CREATE INDEX contribution_account ON contribution (account, platform, instance, time);
INSERT INTO phabricator_user (instance, phid, id, username, real_name)
  VALUES ('wikimedia', 'PHID-USER-heavy', 1, 'heavy', 'Heavy Person');
INSERT INTO gerrit_account (instance, account_id, username, name)
  VALUES ('wikimedia', 1, 'heavy', 'Heavy Person');
INSERT INTO github_user (id, login, name) VALUES (1, 'heavy', 'Heavy Person');
-- Statistics, and the visibility map set as on a table that has been vacuumed.
VACUUM (ANALYZE);
SQL
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "filled the mirror in %.1f s\n", b - a }'
  echo "contribution rows: $(psql_run -At -c 'SELECT COUNT(*) FROM contribution')," \
    "database $(psql_run -At -c 'SELECT pg_database_size(current_database()) / 1048576') MB"
else
  DB_FILE=${DB:-$WORK/contrib.db}
  DB_URL=sqlite:$DB_FILE
  if [[ ! -s $DB_FILE ]]; then
    "$FORGEDB_BIN" --log-level warn migrate --database "sqlite:$DB_FILE"
    start=$(date +%s.%N)
    # Rows in primary-key order (account, platform, instance, time, ...: the table is clustered by
    # it); the (platform, instance, kind, source_id, account) index is built afterwards.
    sqlite3 "$DB_FILE" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
PRAGMA temp_store = MEMORY;
DROP INDEX contribution_source;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS),
r AS (
  SELECT i,
         -- half the rows go to a tenth of the people
         CASE WHEN i % 2 = 0 THEN (i * 2654435761) % $PEOPLE
              ELSE (i * 40503) % ($PEOPLE / 10) END AS person,
         i % 20 AS p,
         (i * 7919) % (2 * 365 * 86400) AS age
  FROM n
)
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url,
                          project, repo_owner, change_id, authored, assigned)
SELECT CASE WHEN p < 8 THEN 'gerrit' WHEN p < 14 THEN 'phabricator' ELSE 'github' END,
       CASE WHEN p < 14 THEN 'wikimedia' ELSE 'github' END,
       CASE WHEN p < 8 THEN 'change' WHEN p < 14 THEN 'task' WHEN p < 17 THEN 'commit'
            WHEN p < 19 THEN 'pull_request' ELSE 'issue' END,
       CASE WHEN p BETWEEN 14 AND 16 THEN lower(hex(randomblob(20)))
            ELSE CAST(1000000 + i AS TEXT) END,
       CASE WHEN p BETWEEN 8 AND 13 THEN 'PHID-USER-' || person ELSE 'user' || person END,
       strftime('%Y-%m-%dT%H:%M:%SZ', $NOW - age, 'unixepoch'),
       CASE WHEN p < 8 THEN (CASE i % 5 WHEN 0 THEN 'NEW' WHEN 1 THEN 'ABANDONED' ELSE 'MERGED' END)
            WHEN p < 14 THEN (CASE i % 4 WHEN 0 THEN 'Open' WHEN 1 THEN 'Declined' ELSE 'Resolved' END)
            WHEN p < 19 THEN 'merged'
            ELSE (CASE i % 2 WHEN 0 THEN 'open' ELSE 'closed' END) END,
       'Contribution ' || i || ': improve something in module ' || (i % 977),
       CASE WHEN p >= 14 THEN 'https://github.com/wikimedia/repo' || (i % 300) || '/x/' || i
            ELSE '' END,
       CASE WHEN p < 8 THEN 'mediawiki/extensions/Ext' || (i % 500)
            WHEN p >= 14 THEN 'wikimedia/repo' || (i % 300) ELSE '' END,
       CASE WHEN p >= 14 THEN 'wikimedia' ELSE '' END,
       CASE WHEN p < 8 OR p BETWEEN 14 AND 16 THEN 'I' || lower(hex(randomblob(20))) END,
       1,
       CASE WHEN p BETWEEN 8 AND 13 THEN i % 3 = 0 ELSE 1 END
FROM r
ORDER BY 5, 1, 2, 6, 3, 4;
-- heavy: HEAVY contributions spread evenly over the last year.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $HEAVY),
r AS (SELECT i, i % 10 AS p, (i * 31536000 / $HEAVY) AS age FROM n)
INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, title, url,
                          project, repo_owner, change_id, authored, assigned)
SELECT CASE WHEN p < 4 THEN 'gerrit' WHEN p < 7 THEN 'phabricator' ELSE 'github' END,
       CASE WHEN p < 7 THEN 'wikimedia' ELSE 'github' END,
       CASE WHEN p < 4 THEN 'change' WHEN p < 7 THEN 'task' WHEN p < 9 THEN 'commit'
            ELSE 'pull_request' END,
       CASE WHEN p BETWEEN 7 AND 8 THEN lower(hex(randomblob(20)))
            ELSE CAST(9000000 + i AS TEXT) END,
       CASE WHEN p BETWEEN 4 AND 6 THEN 'PHID-USER-heavy' ELSE 'heavy' END,
       strftime('%Y-%m-%dT%H:%M:%SZ', $NOW - 3600 - age, 'unixepoch'),
       CASE WHEN p < 4 THEN (CASE i % 5 WHEN 0 THEN 'NEW' ELSE 'MERGED' END)
            WHEN p < 7 THEN (CASE i % 3 WHEN 0 THEN 'Open' ELSE 'Resolved' END)
            ELSE 'merged' END,
       'Heavy contribution ' || i,
       CASE WHEN p >= 7 THEN 'https://github.com/wikimedia/heavy/x/' || i ELSE '' END,
       CASE WHEN p < 4 THEN 'mediawiki/core' WHEN p >= 7 THEN 'wikimedia/heavy' ELSE '' END,
       CASE WHEN p >= 7 THEN 'wikimedia' ELSE '' END,
       CASE WHEN p < 4 OR p BETWEEN 7 AND 8 THEN 'I' || lower(hex(randomblob(20))) END,
       1, 1
FROM r;
CREATE UNIQUE INDEX contribution_source ON contribution (platform, instance, kind, source_id, account);
INSERT INTO phabricator_user (instance, phid, id, username, real_name)
  VALUES ('wikimedia', 'PHID-USER-heavy', 1, 'heavy', 'Heavy Person');
INSERT INTO gerrit_account (instance, account_id, username, name)
  VALUES ('wikimedia', 1, 'heavy', 'Heavy Person');
INSERT INTO github_user (id, login, name) VALUES (1, 'heavy', 'Heavy Person');
ANALYZE;
SQL
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "filled the mirror in %.1f s\n", b - a }'
  fi
  echo "contribution rows: $(sqlite3 "$DB_FILE" 'SELECT COUNT(*) FROM contribution')," \
    "database $(du -m "$DB_FILE" | cut -f1) MB"
fi

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
"$FORGEDB_BIN" --log-level warn serve --listen "127.0.0.1:$PORT" --database "$DB_URL" \
  --workers 0 --gerrit wikimedia=http://127.0.0.1:9/r --phabricator wikimedia=http://127.0.0.1:9 \
  --contrib-github-org wikimedia --contrib-no-crawl --insecure-accept-unsigned \
  >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do
  curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "$BASE/healthz" >/dev/null || {
  echo "contrib_query.sh: serve did not start" >&2; cat "$WORK/serve.log" >&2; exit 1;
}

BODY='{"file": -1, "users": [{"fullname": "Heavy Person", "gerrit_username": "heavy",
  "phabricator_username": "heavy", "github_username": "heavy"}]}'
LOCATION=$(curl -s -o "$WORK/add.json" -D - -H 'Content-Type: application/json' \
  --data "$BODY" "$BASE/query/add/user/" | tr -d '\r' |
  awk 'tolower($1) == "location:" { print $2 }')
HASH=$(sed -n 's|.*/result/\([^/]*\)/.*|\1|p' <<<"$LOCATION")
[[ -n $HASH ]] || {
  echo "contrib_query.sh: no /result/ redirect from POST /query/add/user/" >&2
  cat "$WORK/add.json" >&2; exit 1;
}
# A day with items: heavy's busiest day of the last month.
if [[ $BACKEND == postgres ]]; then
  DAY=$(psql_run -At -c "SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d
    FROM contribution WHERE account IN ('heavy', 'PHID-USER-heavy')
      AND time >= to_timestamp($NOW - 30 * 86400)
    GROUP BY d ORDER BY COUNT(*) DESC, d LIMIT 1")
else
  DAY=$(sqlite3 "$DB_FILE" "SELECT substr(time, 1, 10) AS d FROM contribution
    WHERE account IN ('heavy', 'PHID-USER-heavy')
      AND time >= strftime('%Y-%m-%dT%H:%M:%SZ', $NOW - 30 * 86400, 'unixepoch')
    GROUP BY d ORDER BY COUNT(*) DESC, d LIMIT 1")
fi

# measure NAME URL: REQUESTS sequential GETs on one kept-alive connection after WARMUP, in ms.
# Further arguments go to curl (headers).
measure() {
  local name=$1 url=$2 args=() i status
  shift 2
  status=$(curl -s "$@" -o "$WORK/sample.json" -w '%{http_code}' "$url")
  for ((i = 0; i < WARMUP + REQUESTS; i++)); do args+=(-o /dev/null "$url"); done
  curl -s "$@" -w '%{time_total}\n' "${args[@]}" | tail -n "$REQUESTS" |
    awk '{ print $1 * 1000 }' | sort -n >"$WORK/times"
  awk -v name="$name" -v status="$status" -v bytes="$(wc -c <"$WORK/sample.json")" '
    { t[NR] = $1 }
    END {
      n = NR
      p50 = t[int(n * 0.50 + 0.5)]; p95 = t[int(n * 0.95 + 0.5)]; p99 = t[int(n * 0.99 + 0.5)]
      printf "%-32s HTTP %s, %7d bytes, %d requests: p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms" \
        "  (goal p95 < 20 ms: %s)\n", name, status, bytes, n, p50, p95, p99,
        (p95 < 20 ? "met" : "MISSED")
    }' "$WORK/times"
}

echo "query $HASH; day $DAY"
measure "GET /result/<hash>/" "$BASE/result/$HASH/"
measure "GET /result/<hash>/commits/" "$BASE/result/$HASH/commits/?day=$DAY"
# What a browser gets: the same answer gzipped (the bytes are those on the wire).
measure "GET /result/<hash>/ gzip" "$BASE/result/$HASH/" -H 'Accept-Encoding: gzip'
measure "GET /<hash>/ (the page)" "$BASE/$HASH/" -H 'Accept-Encoding: gzip'
