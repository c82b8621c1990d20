#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) into ./build-fuzz and runs each
# for SECONDS (default 30) from its corpus: the seeds built here from tests/data plus the small
# hand-made ones of fuzz/corpus/<target>/. Prints per target the executions, exec/s, crashes,
# sanitizer reports and corpus size; exits 1 when any target crashed (inputs in
# build-fuzz/crashes/<target>/).
#   tools/fuzz.sh [TARGET|all] [SECONDS]
# FUZZ_PARALLEL=N runs N targets at a time (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WANT=${1:-all}
SECONDS_EACH=${2:-30}
PARALLEL=${FUZZ_PARALLEL:-1}
BUILD=$ROOT/build-fuzz

tools/deps.sh clang-14 libfuzzer-14-dev libclang-rt-14-dev
if command -v ccache >/dev/null && [[ -z ${CMAKE_CXX_COMPILER_LAUNCHER:-} ]]; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
fi
CC=clang-14 CXX=clang++-14 cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DFORGEDB_FUZZ=ON -DFORGEDB_BUILD_TESTS=OFF >/dev/null
nice cmake --build "$BUILD" --target forgedb_fuzz -j"$(nproc)"

TARGETS=$(sed -n '/^set(FORGEDB_FUZZ_TARGETS/,/)/p' fuzz/CMakeLists.txt |
  sed 's/set(FORGEDB_FUZZ_TARGETS//; s/)//' | tr -s ' \n' '\n' | grep -v '^$')
if [[ $WANT != all ]]; then
  grep -qx "$WANT" <<<"$TARGETS" || { echo "unknown target '$WANT'; one of:" $TARGETS >&2; exit 2; }
  TARGETS=$WANT
fi

# seed TARGET NAME: writes stdin as seed NAME of TARGET.
seed() { cat >"$BUILD/seeds/$1/$2"; }

# The seeds of every target, rebuilt from tests/data at each run (fixtures stay out of fuzz/).
build_seeds() {
  for t in $TARGETS; do
    rm -rf "$BUILD/seeds/$t"
    mkdir -p "$BUILD/seeds/$t"
    if [[ -d fuzz/corpus/$t ]]; then cp fuzz/corpus/"$t"/* "$BUILD/seeds/$t/"; fi
  done
  local f event name n=0
  for f in tests/data/github/webhooks/*/*.json; do
    event=$(basename "$(dirname "$f")")
    name=$event.$(basename "$f" .json)
    n=$((n + 1))
    if [[ -d $BUILD/seeds/github_webhook ]]; then
      { printf '/replication\nX-GitHub-Event: %s\nX-GitHub-Delivery: fixture-%d\n' "$event" "$n"
        printf 'X-Hub-Signature-256: sign\nContent-Type: application/json\n\n'
        cat "$f"; } | seed github_webhook "$name"
    fi
    if [[ -d $BUILD/seeds/process_github ]]; then
      { printf '%s\n' "$event"; cat "$f"; } | seed process_github "$name"
    fi
  done
  for f in tests/data/github/rest/recorded/*.json; do
    [[ -d $BUILD/seeds/process_github ]] || break
    # A crawled object beside its webhook event name: the same process functions read both.
    case $(basename "$f") in
      pull.* | repo.*) ;;
      *) continue ;;
    esac
    case $(basename "$f") in
      pull.*) { printf 'pull_request\n{"action":"synchronize","pull_request":'; cat "$f"; printf '}'; } ;;
      repo.*) { printf 'repository\n{"action":"edited","repository":'; cat "$f"; printf '}'; } ;;
    esac | seed process_github "rest.$(basename "$f" .json)"
  done
  for f in tests/data/gerrit/*/*.json; do
    name=$(basename "$f" .json)
    [[ -d $BUILD/seeds/process_gerrit ]] && seed process_gerrit "$name" <"$f"
    case $name in
      webhook.* | stream-event*)
        if [[ -d $BUILD/seeds/gerrit_events ]]; then
          { printf '/replication/gerrit/wikimedia?secret=s3cret\nContent-Type: application/json\n\n'
            cat "$f"; } | seed gerrit_events "$name"
        fi ;;
      changes-query.* | change.*)
        if [[ -d $BUILD/seeds/gerrit_paging ]]; then
          { printf ")]}'\n"; cat "$f"; } | seed gerrit_paging "$name"
        fi ;;
    esac
  done
  for f in tests/data/phabricator/*/*.json; do
    [[ -d $BUILD/seeds/process_phabricator ]] && seed process_phabricator "$(basename "$f" .json)" <"$f"
  done
  for f in tests/data/gitlab/webhooks/*.json; do
    name=$(basename "$f" .json)
    case $name in
      merge_request) event="Merge Request Hook" ;;
      issue) event="Issue Hook" ;;
      note_*) event="Note Hook" ;;
      push) event="Push Hook" ;;
      tag_push) event="Tag Push Hook" ;;
      member) event="Member Hook" ;;
      release) event="Release Hook" ;;
      *) event="System Hook" ;;
    esac
    if [[ -d $BUILD/seeds/process_gitlab ]]; then
      { printf '%s\n' "$event"; cat "$f"; } | seed process_gitlab "$name"
    fi
    if [[ -d $BUILD/seeds/gitlab_webhook ]]; then
      { printf '/replication/gitlab/wikimedia\nX-Gitlab-Event: %s\nX-Gitlab-Token: fuzz-token\n' "$event"
        printf 'Content-Type: application/json\n\n'
        cat "$f"; } | seed gitlab_webhook "$name"
    fi
  done
  return 0
}

dict_of() {
  case $1 in
    process_* | gerrit_paging) echo "$ROOT/fuzz/json.dict" ;;
    link_header | multipart | config | router | contrib_csv) echo "$ROOT/fuzz/http.dict" ;;
    *) cat "$ROOT/fuzz/json.dict" "$ROOT/fuzz/http.dict" >"$BUILD/dicts/$1.dict"; echo "$BUILD/dicts/$1.dict" ;;
  esac
}

run_target() {
  local t=$1 log=$BUILD/logs/$1.log
  mkdir -p "$BUILD/corpus/$t" "$BUILD/crashes/$t"
  # The process runs from a scratch directory: libFuzzer may write its files there.
  (cd "$BUILD/crashes/$t" &&
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    nice "$BUILD/fuzz/$t" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=25 \
      -dict="$(dict_of "$t")" -artifact_prefix="$BUILD/crashes/$t/" -print_final_stats=1 \
      "$BUILD/corpus/$t" "$BUILD/seeds/$t") >"$log" 2>&1 || true
}

report() {
  local t=$1 log=$BUILD/logs/$1.log
  local execs rate crashes reports corpus
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  crashes=$(find "$BUILD/crashes/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
    -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" || true)
  corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | sed 's/corp: //')
  if [[ -z $execs ]]; then
    # No final statistics: the target died before libFuzzer finished (crash, OOM, timeout).
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    rate=?
  fi
  printf '%-20s %12s %8s %8s %10s %14s\n' "$t" "${execs:-0}" "${rate:-0}" "$crashes" \
    "$reports" "${corpus:-?}"
  [[ $crashes -eq 0 && $reports -eq 0 ]]
}

mkdir -p "$BUILD/logs" "$BUILD/dicts"
build_seeds
running=0
for t in $TARGETS; do
  echo "fuzzing $t for ${SECONDS_EACH}s" >&2
  run_target "$t" &
  running=$((running + 1))
  if ((running >= PARALLEL)); then
    wait -n
    running=$((running - 1))
  fi
done
wait

status=0
printf '%-20s %12s %8s %8s %10s %14s\n' target executions exec/s crashes sanitizer corpus
for t in $TARGETS; do report "$t" || status=1; done
if ((status)); then
  echo "crashes or sanitizer reports: see build-fuzz/logs/ and build-fuzz/crashes/" >&2
fi
exit $status
