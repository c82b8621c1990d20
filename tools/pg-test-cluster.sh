#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on a loopback port in a temporary directory and prints
# `export` lines for it; `pg-test-cluster.sh stop DIR` stops and removes it.
#   eval "$(tools/pg-test-cluster.sh start)"   # sets FORGEDB_TEST_PG_URL and FORGEDB_PG_DIR
#   tools/pg-test-cluster.sh stop "$FORGEDB_PG_DIR"
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PORT=${FORGEDB_PG_PORT:-55432}
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-start}" in
  start)
    DIR=$(mktemp -d /tmp/forgedb-pg.XXXXXX)
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$DIR"
    as_postgres "$PGBIN/initdb" -D "$DIR/data" -U postgres -A trust --no-sync -E UTF8 \
      --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
    as_postgres "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 -o \
      "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c max_connections=200" \
      start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
    "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres forgedb_test
    echo "export FORGEDB_PG_DIR=$DIR"
    echo "export FORGEDB_TEST_PG_URL=postgresql://postgres@127.0.0.1:$PORT/forgedb_test"
    ;;
  stop)
    DIR=${2:?usage: pg-test-cluster.sh stop DIR}
    as_postgres "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
  *) echo "usage: pg-test-cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
