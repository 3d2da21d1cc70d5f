# Shared by the bench/ scripts (sourced). Each script gets its own temp work dir, its own service on
# free loopback ports with its own DATA_DIR/MEDIA_DIR/RUNNER_WORK_DIR, and a trap that stops what it
# started (by PID) and removes the work dir (KEEP_WORK=1 keeps it, for the logs).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(dirname "$BENCH_DIR")
# BENCH_JAR: another build of the service (e.g. a copy of an older commit's target/, with its lib/)
JAR=${BENCH_JAR:-$ROOT/target/media-orchestrator.jar}
BENCH_NAME=$(basename "$0")

# require CMD:PACKAGE ... — installs what is missing with apt-get as root, else prints the command.
require() {
  local missing="" pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = "0" ]; then
    echo "[$BENCH_NAME] installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >&2 \
      || { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $missing >&2; }
  else
    echo "[$BENCH_NAME] missing:$missing" >&2
    echo "install with:  sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
  fi
}

require java:openjdk-17-jdk-headless curl:curl openssl:openssl python3:python3 ffmpeg:ffmpeg
[ -f "$JAR" ] || { require mvn:maven; echo "[$BENCH_NAME] building $JAR" >&2; (cd "$ROOT" && mvn -B -q -DskipTests package >&2); }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-$BENCH_NAME.XXXXXX")
STARTED_PIDS=()
cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${STARTED_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP_WORK:-0}" = "1" ]; then echo "[$BENCH_NAME] kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$BENCH_NAME] $*" >&2; }
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# ratio A B → A/B with 2 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", (b == 0 ? 0 : a / b)}'; }
# mbps BYTES MS → MB/s (10^6 bytes per second), 1 decimal
mbps() { awk -v b="$1" -v ms="$2" 'BEGIN{printf "%.1f", (ms == 0 ? 0 : b / 1e6 / (ms / 1000))}'; }
# peak resident set size of PID in MiB (VmHWM)
peak_rss_mib() { awk '/^VmHWM/{printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
wait_http() { # URL [tries×0.05s]
  local i
  for i in $(seq "${2:-200}"); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done
  log "nothing answers on $1"; return 1
}

SECRET=$(openssl rand -hex 32)
sign() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //'; }

# start_store — the same S3 server the service embeds, alone in its own JVM (bench/lib/Store.java),
# as R2 or MinIO is in production, at nice STORE_NICE (default 19: R2 runs on other machines, and on
# this one the store should take what the tools leave, not compete with them; STORE_NICE=0 to have it
# compete). Sets STORE_PID STORE_ENV (the service's settings to reach it) and BUCKET_DIR (where its
# objects are files).
start_store() {
  local port ak sk i
  port=$(free_port); ak=bench-$(openssl rand -hex 4); sk=$(openssl rand -hex 16)
  BUCKET_DIR=$WORK/store/vidgen-render
  nice -n "${STORE_NICE:-19}" java ${STORE_JAVA_OPTS:-} -cp "$JAR" "$BENCH_DIR/lib/Store.java" "$WORK/store" "$port" "$ak" "$sk" vidgen-render \
    >"$WORK/store.log" 2>&1 &
  STORE_PID=$!
  STARTED_PIDS+=("$STORE_PID")
  for i in $(seq 600); do
    grep -q 'store listening on' "$WORK/store.log" 2>/dev/null && break
    kill -0 "$STORE_PID" 2>/dev/null || { cat "$WORK/store.log" >&2; log "the store did not start"; exit 1; }
    sleep 0.05
  done
  STORE_ENV=(R2_S3_ENDPOINT="http://127.0.0.1:$port" R2_ACCESS_KEY_ID="$ak" R2_SECRET_ACCESS_KEY="$sk" R2_BUCKET_NAME=vidgen-render)
}

# store_cpu_ms — the CPU time of the STORE=process store so far (0 with the embedded store, whose
# threads are the service's: S3Proxy-Jetty in the per-thread lines).
store_cpu_ms() { if [ -n "${STORE_PID:-}" ]; then proc_own_cpu_ms "$STORE_PID"; else echo 0; fi; }

# start_service [VAR=value ...] — the all-in-one jar on a free port, with $SVC_JAVA_OPTS (set by the
# script) and $BENCH_JAVA_OPTS (yours, e.g. a JFR recording to profile a run: see bench/README.md).
# STORE=process puts the store in its own process (start_store; the service is then in direct mode,
# as with R2) instead of the service's embedded one, so that the service's CPU is its own.
# Sets SVC_PID SVC_PORT SVC_URL SVC_DATA SVC_MEDIA SVC_LOG CALLBACKS BUCKET_DIR.
start_service() {
  SVC_PORT=$(free_port)
  SVC_URL=http://127.0.0.1:$SVC_PORT
  SVC_DATA=$WORK/data
  SVC_MEDIA=$WORK/media
  SVC_LOG=$WORK/service.log
  CALLBACKS=$SVC_DATA/callbacks.jsonl
  BUCKET_DIR=$SVC_DATA/bucket/vidgen-render
  STORE_ENV=()
  mkdir -p "$SVC_DATA" "$SVC_MEDIA" "$WORK/jobs"
  [ "${STORE:-embedded}" = "process" ] && start_store
  # shellcheck disable=SC2086
  env -u NEXT_BASE_URL -u R2_S3_ENDPOINT -u R2_ACCESS_KEY_ID -u R2_SECRET_ACCESS_KEY -u TRANSFER_MODE \
    -u CONTAINER_BASE_URL -u CONTAINER_BASE_URL_DOWNLOADER -u CONTAINER_BASE_URL_REMOTION -u ROLES \
    -u ORCHESTRATOR_BASE_URL_CONTAINER -u ORCHESTRATOR_BASE_URL_NEXT -u MIRROR_INPUTS -u S3_EMBEDDED_DIR \
    PORT="$SVC_PORT" HOST=127.0.0.1 JOB_CALLBACK_HMAC_SECRET="$SECRET" DATA_DIR="$SVC_DATA" MEDIA_DIR="$SVC_MEDIA" \
    RUNNER_WORK_DIR="$WORK/jobs" BURNER_X264_PRESET="${BURNER_X264_PRESET:-medium}" ${STORE_ENV[@]+"${STORE_ENV[@]}"} "$@" \
    java ${SVC_JAVA_OPTS:-} ${BENCH_JAVA_OPTS:-} -jar "$JAR" >"$SVC_LOG" 2>&1 &
  SVC_PID=$!
  STARTED_PIDS+=("$SVC_PID")
  local i
  for i in $(seq 1200); do
    if grep -q 'listening on' "$SVC_LOG" 2>/dev/null \
        && [ "$(curl -s -o /dev/null -w '%{http_code}' "$SVC_URL/jobs/x" || true)" = "404" ]; then
      return 0
    fi
    kill -0 "$SVC_PID" 2>/dev/null || { cat "$SVC_LOG" >&2; log "the service did not start"; exit 1; }
    sleep 0.05
  done
  cat "$SVC_LOG" >&2; log "the service did not start within 60 s"; exit 1
}

# post_job JSON-without-ts-and-closing-brace → prints "jobId t0_ms" (t0 taken just before the
# request is sent; exits on anything but 202). Example: post_job '{"mediaId":"m1","engine":"burner-ffmpeg","options":{}'
post_job() {
  local body sig resp code t0
  body="$1,\"ts\":$(now_ms),\"nonce\":\"$(python3 -c 'import uuid;print(uuid.uuid4())')\"}"
  sig=$(sign "$body")
  t0=$(now_ms)
  resp=$(curl -s -w '\n%{http_code}' -X POST "$SVC_URL/jobs" -H 'content-type: application/json' -H "x-signature: $sig" -d "$body")
  code=${resp##*$'\n'}
  [ "$code" = "202" ] || { log "POST /jobs answered $code: ${resp%$'\n'*}"; tail -20 "$SVC_LOG" >&2; exit 1; }
  printf '%s %s\n' "$(printf '%s\n' "${resp%$'\n'*}" | sed -n 's/.*"jobId":"\([^"]*\)".*/\1/p')" "$t0"
}

# wait_callback JOB_ID FILE [timeout s] → prints "status seen_ms" once FILE (jsonl) has the job's
# terminal callback.
wait_callback() { python3 "$BENCH_DIR/lib/wait_callback.py" "$2" "$1" "${3:-600}"; }

# untimed_job JSON-without-ts-and-closing-brace — a warm-up job: posted (post_job), waited for in
# $CALLBACKS, and the script stopped (with the service log's tail) unless it completed.
untimed_job() {
  local id status
  read -r id _ < <(post_job "$1")
  read -r status _ < <(wait_callback "$id" "$CALLBACKS")
  [ "$status" = "completed" ] || { tail -30 "$SVC_LOG" >&2; log "warm-up job $id $status"; exit 1; }
}

# start_fake_app — bench/lib/fake_app.py on a free port: the app's media and callback endpoints and a
# runner that accepts jobs and does nothing (they never finish: give the service a large
# MAX_ACTIVE_JOBS, or it holds further jobs queued). Sets FAKE_URL FAKE_MEDIA FAKE_RECORD.
start_fake_app() {
  local port
  port=$(free_port)
  FAKE_URL=http://127.0.0.1:$port
  FAKE_MEDIA=$WORK/app-media
  FAKE_RECORD=$WORK/app-record.jsonl
  mkdir -p "$FAKE_MEDIA"
  python3 "$BENCH_DIR/lib/fake_app.py" "$port" "$FAKE_MEDIA" "$FAKE_RECORD" >"$WORK/fake-app.log" 2>&1 &
  STARTED_PIDS+=("$!")
  wait_http "$FAKE_URL/"
}

# render_field JOB_ID FIELD — waits for the /render payload the fake runner got for the job, prints FIELD.
render_field() {
  python3 - "$FAKE_RECORD" "$1" "$2" <<'PY'
import json, sys, time
path, job, field = sys.argv[1:]
for _ in range(2000):
    try:
        for line in open(path):
            doc = json.loads(line).get("render")
            if doc and doc.get("jobId") == job:
                print(doc[field]); sys.exit(0)
    except FileNotFoundError:
        pass
    time.sleep(0.01)
sys.exit("no /render for " + job)
PY
}

# callback_field JOB_ID FIELD FILE — the field of the job's terminal callback recorded in FILE.
callback_field() {
  python3 - "$3" "$1" "$2" <<'PY'
import json, sys
path, job, field = sys.argv[1:]
for line in open(path):
    doc = json.loads(line)
    if doc.get("jobId") == job and doc.get("status") in ("completed", "failed", "canceled"):
        print(doc.get(field)); sys.exit(0)
sys.exit("no terminal callback for " + job)
PY
}

# curl_get URL [curl args...] → "http_code bytes seconds" of a GET to /dev/null
curl_get() { local u=$1; shift; curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' "$@" "$u"; }

# proc_cpu_ms PID — CPU time (user+system) in ms of PID and of every process below it, each with the
# children it has waited for (bench/lib/tree_cpu.py): the service's own work plus its ffmpeg/yt-dlp
# runs, including the yt-dlp runs forked by the downloader's preloader (a child that lives on).
CLK_TCK=$(getconf CLK_TCK)
proc_cpu_ms() { python3 "$BENCH_DIR/lib/tree_cpu.py" "$1"; }
# proc_own_cpu_ms PID — the CPU time of PID's own threads only (utime+stime): the service without its tools.
proc_own_cpu_ms() { awk -v hz="$CLK_TCK" '{sub(/^.*\) /, ""); printf "%d\n", ($12 + $13) * 1000 / hz}' "/proc/$1/stat"; }

# threads_snap NAME / threads_diff NAME — the service's CPU by thread (bench/lib/thread_cpu.py) between
# the two calls: "total N ms: group ms (percent) | ...", the service's own threads only (no tools).
threads_snap() { python3 "$BENCH_DIR/lib/thread_cpu.py" snap "$SVC_PID" "$WORK/threads.$1"; }
threads_diff() {
  python3 "$BENCH_DIR/lib/thread_cpu.py" snap "$SVC_PID" "$WORK/threads.$1.after"
  python3 "$BENCH_DIR/lib/thread_cpu.py" diff "$WORK/threads.$1" "$WORK/threads.$1.after"
}
