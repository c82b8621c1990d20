#!/usr/bin/env bash
# Webhook-ingest benchmark: forgedb vs the Node peer baseline, same machine, same run.
#
#   bash bench/webhook_ingest.sh            (from the repo root; Debian 12, as root)
#
# 1. finds the shared benchmark kit (SHARED_BENCH, default ../shared/bench next to
#    this repo) and builds forgedb in build-bench/ unless FORGEDB_BIN is given;
# 2. installs wrk (apt-get) and the Node baseline's node_modules (npm ci) if missing;
# 3. starts `forgedb serve` on a fresh SQLite DB in a temp dir, on a free port,
#    secret bench-secret, waits for /healthz;
# 4. runs the kit's bench.sh with CEILING=0: Node baseline + forgedb, warmed up,
#    RUNS interleaved wrk runs each (POST /replication with signed 28 KB bodies);
# 5. waits (up to DRAIN_WAIT s) for forgedb's workers to process the backlog, then
#    kills forgedb with SIGKILL (a crash: nothing can be flushed any more) and
#    counts the rows of webhook_delivery: every 2xx that wrk saw (warmup, measured
#    and discarded runs) must be there;
# 6. prints a summary: medians of rps/p50/p99 for both, and forgedb_rps / node_rps.
#
# Environment:
#   SHARED_BENCH=<repo>/../shared/bench      the kit (bench.sh, webhook-load/, node-baseline/)
#   FORGEDB_BIN=<repo>/build-bench/forgedb   use this binary, do not build
#   BEFORE_BIN=                              also run this other forgedb binary (e.g. a build
#                                            of an earlier commit) as target "forgedb-before",
#                                            in the same interleaved runs, with its own DB
#   BUILD_DIR=<repo>/build-bench             cmake build dir when building
#   FORGEDB_WORKERS=2                        forgedb serve --workers (0: no processing)
#   FORGEDB_HTTP_THREADS=                    forgedb serve --http-threads (empty: its default)
#   WEBHOOK_SECRET=bench-secret              shared by forgedb and the load script
#   DRAIN_WAIT=60                            seconds to wait for the worker backlog
#   GOAL_RATIO=5                             the forgedb/node rps ratio to report against
#   KEEP_DB=0                                1: keep forgedb's and the baseline's DB files
#   BENCH_TMPDIR=/tmp                        where the per-run directory is created
#   RUNS, WARMUP, DURATION, CONNECTIONS, THREADS, QUIET_*, OTHER_MAX, NOISY_RETRIES:
#                                            passed through to bench.sh / run.sh
#
# Output: everything bench.sh prints, then a summary block (also written to
# summary.txt in the run directory, next to bench.sh's results/wrk logs and
# forgedb.log). Exit status: 0 ok, 1 setup error, 2 benchmark failed,
# 4 durability check failed. Not reaching GOAL_RATIO is reported, not an error.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "[webhook_ingest] $*" >&2; }
die() { log "ERROR: $*"; exit "${2:-1}"; }

# ---- shared kit ---------------------------------------------------------------
SHARED_BENCH=${SHARED_BENCH:-$(dirname "$0")/../../shared/bench}
[[ -d $SHARED_BENCH ]] ||
  die "shared benchmark kit not found at '$SHARED_BENCH' (set SHARED_BENCH=/path/to/shared/bench)"
SHARED_BENCH=$(cd "$SHARED_BENCH" && pwd)
for f in bench.sh webhook-load/run.sh node-baseline/server.mjs node-baseline/package-lock.json; do
  [[ -e $SHARED_BENCH/$f ]] || die "shared benchmark kit at $SHARED_BENCH is incomplete: no $f"
done

WORKERS=${FORGEDB_WORKERS:-2}
HTTP_THREADS=${FORGEDB_HTTP_THREADS:-}
export WEBHOOK_SECRET=${WEBHOOK_SECRET:-bench-secret}
DRAIN_WAIT=${DRAIN_WAIT:-60}
GOAL_RATIO=${GOAL_RATIO:-5}
CONNECTIONS=${CONNECTIONS:-8}

for tool in curl sqlite3 node npm awk; do
  command -v "$tool" >/dev/null || die "$tool is required (apt-get install -y $tool)"
done

# ---- forgedb binary -------------------------------------------------------------
if [[ -n ${FORGEDB_BIN:-} ]]; then
  [[ -x $FORGEDB_BIN ]] || die "FORGEDB_BIN=$FORGEDB_BIN is not an executable"
else
  BUILD_DIR=${BUILD_DIR:-$REPO/build-bench}
  FORGEDB_BIN=$BUILD_DIR/forgedb
  if [[ ! -f $BUILD_DIR/build.ninja ]]; then
    log "configuring a Release build in $BUILD_DIR"
    cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DFORGEDB_BUILD_TESTS=OFF >&2
  fi
  # always run the build: a no-op when up to date, picks up source edits otherwise
  log "building forgedb ($BUILD_DIR)"
  cmake --build "$BUILD_DIR" -j2 --target forgedb >&2 || die "forgedb build failed"
fi

# ---- prerequisites (bench.sh would do these too; done here so failures are clear) ---
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get install -y wrk >&2 || { apt-get update >&2 && apt-get install -y wrk >&2; } ||
    die "could not install wrk"
fi
NODE_DIR=$SHARED_BENCH/node-baseline
if [[ ! -d $NODE_DIR/node_modules/better-sqlite3 ]]; then
  log "installing node-baseline dependencies (better-sqlite3 builds from source, ~1-2 min)"
  # nodedir: build against the headers shipped with node, node-gyp cannot download them here
  (cd "$NODE_DIR" &&
    npm_config_nodedir=${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")} npm ci >&2) ||
    die "npm ci failed in $NODE_DIR"
fi

# ---- run directory, cleanup ----------------------------------------------------------
RUN_DIR=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/forgedb-webhook-bench.XXXXXX")
BENCH_PID=
# One forgedb per label: "forgedb" (this tree) and, with BEFORE_BIN, "forgedb-before".
LABELS=(forgedb)
declare -A BIN=([forgedb]=$FORGEDB_BIN) PID=() PORTS=() DBS=()
if [[ -n ${BEFORE_BIN:-} ]]; then
  [[ -x $BEFORE_BIN ]] || die "BEFORE_BIN=$BEFORE_BIN is not an executable"
  LABELS+=(forgedb-before)
  BIN[forgedb-before]=$BEFORE_BIN
fi

stop_pid() {  # pid signal seconds: signal it, wait that long for it to exit, then SIGKILL
  local pid=$1 sig=$2 secs=$3
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  # bench.sh stops its own Node servers when it exits; it finishes the wrk run in
  # progress first (up to DURATION), so give it time rather than orphan them
  [[ -n $BENCH_PID ]] && stop_pid "$BENCH_PID" TERM 90
  for label in "${LABELS[@]}"; do
    [[ -n ${PID[$label]:-} ]] && stop_pid "${PID[$label]}" TERM 15
    local db=${DBS[$label]:-}
    if [[ -n $db && ${KEEP_DB:-0} != 1 ]]; then rm -f "$db" "$db"-wal "$db"-shm; fi
  done
  log "logs and results: $RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- forgedb ---------------------------------------------------------------------------
start_forgedb() {  # label: starts BIN[label] on its own DB, sets PID, PORTS and DBS
  local label=$1 db=$RUN_DIR/$1.db log=$RUN_DIR/$1.log pid port=
  # --listen 127.0.0.1:0: the kernel picks a free port, read back from the log (or ss)
  local args=(serve --listen 127.0.0.1:0 --database "sqlite:$db" --workers "$WORKERS")
  [[ -n $HTTP_THREADS ]] && args+=(--http-threads "$HTTP_THREADS")
  # secret through the environment, so it does not show up in ps
  FORGEDB_GITHUB_WEBHOOK_SECRET=$WEBHOOK_SECRET "${BIN[$label]}" "${args[@]}" >"$log" 2>&1 &
  pid=$!
  PID[$label]=$pid
  DBS[$label]=$db
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "$label exited at startup"; }
    port=$(sed -nE 's|.*listening on http://[^ ]*:([0-9]+).*|\1|p' "$log" | head -1)
    if [[ -z $port ]] && command -v ss >/dev/null; then
      port=$(ss -ltnpH 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) {
        n = split($4, a, ":"); print a[n]; exit }')
    fi
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$log" >&2; die "could not find $label's port"; }
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.1
  done
  curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" ||
    die "$label /healthz did not answer on port $port"
  PORTS[$label]=$port
  log "$label (${BIN[$label]}) pid $pid on http://127.0.0.1:$port/replication, db $db," \
      "workers=$WORKERS, http_threads=${HTTP_THREADS:-default}"
}
targets=()
for label in "${LABELS[@]}"; do
  start_forgedb "$label"
  targets+=("$label=http://127.0.0.1:${PORTS[$label]}/replication@${PID[$label]}")
done

# ---- benchmark --------------------------------------------------------------------------
# bench.sh runs in the background (so cleanup can stop it) with its output in a
# file shown live; WORKDIR inside our run directory so its results file is ours.
export WORKDIR=$RUN_DIR/kit KEEP_DB=${KEEP_DB:-0} CONNECTIONS
CEILING=0 "$SHARED_BENCH/bench.sh" "${targets[@]}" >"$RUN_DIR/bench.out" 2>&1 &
BENCH_PID=$!
tail -n +1 -f --pid="$BENCH_PID" "$RUN_DIR/bench.out"
bench_rc=0
wait "$BENCH_PID" || bench_rc=$?
BENCH_PID=
(( bench_rc == 0 )) || die "bench.sh failed (exit $bench_rc), see $RUN_DIR/bench.out" 2
results_files=("$WORKDIR"/results-*.txt)
RESULTS=${results_files[0]}
[[ -f $RESULTS ]] || die "bench.sh wrote no results file in $WORKDIR" 2

# ---- per forgedb: worker backlog, then a crash and the durability count ---------------------
# wrk request counts for a label: measured runs (results file), runs discarded as noisy (also hit
# the server; "# discarded ...: run=N LABEL ..."), warmup (bench.out). bench.sh aborts on any
# non-2xx, so these are all 2xx.
sum_requests() {  # run|discarded|warmup LABEL FILE -> "sum_of_requests number_of_lines"
  awk -v kind="$1" -v label="$2" '
    (kind == "run" && $1 ~ /^run=/ && $2 == label) ||
    (kind == "discarded" && $1 == "#" && $2 == "discarded" && index($0, " " label " ")) ||
    (kind == "warmup" && $1 == "warmup-" label) {
      for (f = 1; f <= NF; f++) if ($f ~ /^requests=/) { split($f, kv, "="); s += kv[2]; n++ } }
    END { printf "%d %d\n", s, n }' "$3"
}
median() {  # label -> "rps p50_ms p99_ms server_cpu" from bench.sh's median block
  awk -v l="$1" '$1 == "#" && $2 == l && $3 ~ /^[0-9.]+$/ { print $3, $4, $5, $6; exit }' "$RESULTS"
}
us_per_req() { awk -v c="${1%\%}" -v r="$2" 'BEGIN { printf "%.0f", (r > 0 ? c * 1e4 / r : 0) }'; }

read -r n_rps n_p50 n_p99 n_cpu < <(median node-baseline) || true
[[ -n ${n_rps:-} ]] || die "no median line for node-baseline in $RESULTS" 2
declare -A SUMMARY=() RPS=() DURABLE=()
all_durable=1
for label in "${LABELS[@]}"; do
  db=${DBS[$label]}
  sql() { sqlite3 -cmd '.timeout 10000' "$db" "$1"; }
  pending=$(sql "SELECT count(*) FROM webhook_delivery WHERE status = 'pending'")
  waited=0
  if (( WORKERS > 0 )); then
    while (( pending > 0 && waited < DRAIN_WAIT )); do
      (( waited == 0 )) && log "waiting up to ${DRAIN_WAIT}s for $label's workers: $pending deliveries pending"
      sleep 2; waited=$((waited + 2))
      pending=$(sql "SELECT count(*) FROM webhook_delivery WHERE status = 'pending'")
    done
  fi
  pid=${PID[$label]}
  server_cpu_s=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); split($0, a, " ");
    printf "%.1f", (a[12] + a[13]) / hz }' "/proc/$pid/stat")
  # SIGKILL: no shutdown path runs, so only deliveries really committed are counted.
  kill -KILL "$pid"
  { wait "$pid"; } 2>/dev/null || true   # (braces: also silences bash's "Killed")
  PID[$label]=
  rows=$(sql "SELECT count(*) FROM webhook_delivery")
  processed=$(sql "SELECT count(*) FROM webhook_delivery WHERE status != 'pending'")
  by_status=$(sql "SELECT group_concat(status || '=' || n, ' ') FROM
                   (SELECT status, count(*) AS n FROM webhook_delivery GROUP BY status ORDER BY status)")
  read -r measured n_measured < <(sum_requests run "$label" "$RESULTS")
  read -r discarded n_discarded < <(sum_requests discarded "$label" "$RESULTS")
  read -r warmup n_warmup < <(sum_requests warmup "$label" "$RUN_DIR/bench.out")
  total=$((measured + discarded + warmup))
  # each wrk invocation can leave up to CONNECTIONS requests in flight at its end: committed by
  # forgedb, but not counted by wrk
  slack=$(( CONNECTIONS * (n_measured + n_discarded + n_warmup) ))
  durable=FAILED
  (( rows >= total && rows <= total + slack )) && durable=OK
  [[ $durable == OK ]] || all_durable=0
  read -r f_rps f_p50 f_p99 f_cpu < <(median "$label") || true
  [[ -n ${f_rps:-} ]] || die "no median line for $label in $RESULTS" 2
  RPS[$label]=$f_rps
  ratio=$(awk -v f="$f_rps" -v n="$n_rps" 'BEGIN { printf "%.2f", (n > 0 ? f / n : 0) }')
  SUMMARY[$label]=$(
    printf '%-15s rps=%-6s p50=%-9s p99=%-9s server_cpu=%-5s server_us/req=%-5s ratio_to_node=%sx\n' \
      "$label" "$f_rps" "${f_p50}ms" "${f_p99}ms" "$f_cpu" "$(us_per_req "$f_cpu" "$f_rps")" "$ratio"
    echo "  durability: $durable: $rows rows in webhook_delivery after SIGKILL; wrk 2xx: measured runs" \
         "$measured + warmup $warmup + discarded runs $discarded = $total (allowed in-flight extra <= $slack)"
    if (( WORKERS > 0 )); then
      echo "  processed by workers: $processed of $rows (status != 'pending'; waited ${waited}s after the runs): $by_status"
    else
      echo "  processed by workers: none (--workers 0): $by_status"
    fi
    echo "  binary ${BIN[$label]}, total server cpu ${server_cpu_s}s"
  )
done

# ---- summary ------------------------------------------------------------------------------------
ratio=$(awk -v f="${RPS[forgedb]}" -v n="$n_rps" 'BEGIN { printf "%.2f", (n > 0 ? f / n : 0) }')
goal=$(awk -v r="$ratio" -v g="$GOAL_RATIO" 'BEGIN { print (r >= g ? "MET" : "NOT MET") }')
{
  echo "==================== webhook-ingest summary ($(basename "$RESULTS" .txt)) ===================="
  echo "medians of the runs (wrk -t${THREADS:-2} -c$CONNECTIONS -d${DURATION:-10s}, 28 KB signed pull_request);" \
       "forgedb: workers=$WORKERS http_threads=${HTTP_THREADS:-default}"
  for label in "${LABELS[@]}"; do echo "${SUMMARY[$label]}"; done
  printf '%-15s rps=%-6s p50=%-9s p99=%-9s server_cpu=%-5s server_us/req=%s\n' \
    node-baseline "$n_rps" "${n_p50}ms" "${n_p99}ms" "$n_cpu" "$(us_per_req "$n_cpu" "$n_rps")"
  echo "ratio forgedb_rps / node_rps = ${ratio}x   (goal >= ${GOAL_RATIO}x: $goal)"
  echo "files: $RUN_DIR"
  echo "========================================================================================"
} | tee "$RUN_DIR/summary.txt"

(( all_durable )) || exit 4
