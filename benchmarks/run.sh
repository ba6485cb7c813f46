#!/usr/bin/env bash
# The load benchmarks: the stand-in upstream directly, a bare YARP proxy, and the gateway host in three
# configurations, measured side by side with wrk in interleaved rounds. Prints a markdown table and the targets as
# ratios, and writes both into docs/performance.md between its markers. See docs/performance.md for how to read it.
#
#   benchmarks/run.sh            3 rounds, 10 s per point (about 10 minutes)
#   benchmarks/run.sh --quick    1 round, 3 s per point (a smoke run)
#   benchmarks/run.sh --soak     also 5 minutes at 32 connections against gateway (a), RSS sampled every 30 s
#   benchmarks/run.sh --no-write print only; leave docs/performance.md alone
#
# Ports: BENCH_PORT_BASE (default 5401) and the next four, on 127.0.0.1. BENCH_ROUNDS sets the number of rounds.
# BENCH_GATEWAY_ENV adds environment variables to the gateway processes, e.g. BENCH_GATEWAY_ENV="OTEL_SDK_DISABLED=true"
# to see what the host's telemetry costs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=10
WARMUP=2
INITIAL_WARMUP=15
ROUNDS=${BENCH_ROUNDS:-3}
SOAK=0
WRITE=1
for arg in "$@"; do
  case "$arg" in
    --quick) DURATION=3; WARMUP=1; INITIAL_WARMUP=5; ROUNDS=${BENCH_ROUNDS:-1} ;;
    --soak) SOAK=1 ;;
    --no-write) WRITE=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

PORT_BASE=${BENCH_PORT_BASE:-5401}
KEY=bench-key-0123456789abcdef
TTFE_REQUESTS=200
SOAK_SECONDS=300
SOAK_INTERVAL=30
LUA="$ROOT/benchmarks/chat.lua"
CLK_TCK=$(getconf CLK_TCK)
WORK=$(mktemp -d)
PIDS=()

SYSTEMS=(direct yarp gateway-a gateway-b gateway-c)
declare -A PORT=([direct]=$PORT_BASE [yarp]=$((PORT_BASE + 1)) [gateway-a]=$((PORT_BASE + 2)) [gateway-b]=$((PORT_BASE + 3)) [gateway-c]=$((PORT_BASE + 4)))
declare -A MODEL=([direct]=gpt-4o-mini [yarp]=gpt-4o-mini [gateway-a]=gpt-4o-mini [gateway-b]=gemini-2.5-flash [gateway-c]=gpt-4o-mini)
declare -A PID_OF

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Tools ------------------------------------------------------------------------------------------------------
install_packages() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  say "installing $* with apt"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then install_packages "${missing[@]}"; fi
command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is needed on the PATH"

# --- Build --------------------------------------------------------------------------------------------------------
say "building in Release"
for project in benchmarks/LlmGateway.Benchmarks.Upstream benchmarks/LlmGateway.Benchmarks.Yarp samples/LlmGateway.Server; do
  dotnet build "$ROOT/$project" -c Release --nologo -v quiet -clp:ErrorsOnly >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "build of $project failed"; }
done
UP_DLL="$ROOT/benchmarks/LlmGateway.Benchmarks.Upstream/bin/Release/net10.0/LlmGateway.Benchmarks.Upstream.dll"
YARP_DLL="$ROOT/benchmarks/LlmGateway.Benchmarks.Yarp/bin/Release/net10.0/LlmGateway.Benchmarks.Yarp.dll"
GW_DIR="$ROOT/samples/LlmGateway.Server/bin/Release/net10.0"

# --- Processes ----------------------------------------------------------------------------------------------------
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# chat_status <port> <model>: the HTTP status of one chat request
chat_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1/v1/chat/completions" \
    -H "authorization: Bearer $KEY" -H 'content-type: application/json' \
    -d "{\"model\":\"$2\",\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the plot of Hamlet in two short sentences.\"}]}" || true
}

# start <name> <port> <model to check> <command...>: starts a process alone on its port, waits until it answers a
# chat request with 200, and sets STARTED_PID
start() {
  local name=$1 port=$2 model=$3
  shift 3
  if port_busy "$port"; then die "port $port (for $name) is busy; free it or set BENCH_PORT_BASE"; fi
  "$@" >"$WORK/$name.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  local deadline=$((SECONDS + 60)) status
  while true; do
    kill -0 "$STARTED_PID" 2>/dev/null || { cat "$WORK/$name.log" >&2; die "$name exited at start-up"; }
    status=$(chat_status "$port" "$model")
    [ "$status" = 200 ] && break
    [ $SECONDS -lt $deadline ] || { cat "$WORK/$name.log" >&2; die "$name did not answer 200 on port $port within 60 s (last status: $status)"; }
    sleep 0.5
  done
  say "$name is up (pid $STARTED_PID, port $port)"
}

gateway() { # gateway <name> <extra environment...>
  local name=$1
  shift
  start "$name" "${PORT[$name]}" "${MODEL[$name]}" env \
    LlmGateway__Auth__Mode=Gateway \
    LlmGateway__Auth__Keys__0__Key="$KEY" \
    LlmGateway__Auth__Keys__0__Name=bench \
    LlmGateway__Auth__Keys__0__RequestsPerMinute=1000000000 \
    OPENAI_BASE_URL="http://127.0.0.1:${PORT[direct]}/v1" \
    LlmGateway__Providers__gemini__BaseUrl="http://127.0.0.1:${PORT[direct]}/v1beta" \
    GEMINI_API_KEY=bench-dummy-key \
    Logging__LogLevel__Default=Warning \
    ${BENCH_GATEWAY_ENV:-} \
    "$@" \
    dotnet "$GW_DIR/LlmGateway.Server.dll" --contentRoot "$GW_DIR" --urls "http://127.0.0.1:${PORT[$name]}"
  PID_OF[$name]=$STARTED_PID
}

cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# --- Measurements -------------------------------------------------------------------------------------------------
# Figures are kept per system, connection count and round: RPS[label,conns,round] and so on.
declare -A RPS P50 P99 CPU HWM TTFE

# load <label> <connections> <threads> <seconds> [--latency]: wrk against a system, its BENCH line in $WORK/wrk.out
load() {
  local label=$1 conns=$2 threads=$3 seconds=$4
  shift 4
  BENCH_MODEL=${MODEL[$label]} BENCH_KEY=$KEY wrk -t"$threads" -c"$conns" -d"${seconds}s" "$@" -s "$LUA" \
    "http://127.0.0.1:${PORT[$label]}/v1/chat/completions" >"$WORK/wrk.out"
}

# measure <label> <connections> <threads> <round>
measure() {
  local label=$1 conns=$2 threads=$3 round=$4 pid=${PID_OF[$1]} line before after
  load "$label" "$conns" "$threads" "$WARMUP"
  before=$(cpu_ticks "$pid")
  load "$label" "$conns" "$threads" "$DURATION" --latency
  after=$(cpu_ticks "$pid")
  line=$(grep '^BENCH ' "$WORK/wrk.out") || { cat "$WORK/wrk.out" >&2; die "wrk gave no result for $label"; }
  read -r _ requests duration p50 p99 bad errors <<<"$line"
  [ "$bad" = 0 ] || die "$label at $conns connections: $bad responses were not 2xx/3xx"
  [ "$errors" = 0 ] || die "$label at $conns connections: $errors socket errors"
  [ "$requests" -gt 0 ] || die "$label at $conns connections: no request completed"
  local k="$label,$conns,$round"
  RPS[$k]=$(awk -v r="$requests" -v d="$duration" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  P50[$k]=$p50
  P99[$k]=$p99
  CPU[$k]=$(awk -v t="$((after - before))" -v hz="$CLK_TCK" -v r="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
  HWM[$k]=$(status_kb "$pid" VmHWM)
  say "round $round, $label c=$conns: ${RPS[$k]} req/s, p50 ${p50} µs, p99 ${p99} µs, ${CPU[$k]} µs CPU/request, peak RSS ${HWM[$k]} kB"
}

# ttfe <label> <round>: median over TTFE_REQUESTS sequential streamed requests of the time from sending the request
# to the first byte of the answer (the gateway sends its headers with the first event), in µs
ttfe() {
  local label=$1 round=$2 i
  local body='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Summarise the plot of Hamlet in two short sentences."}]}'
  for i in $(seq 1 $((TTFE_REQUESTS + 20))); do
    curl -s -o /dev/null -w '%{time_pretransfer} %{time_starttransfer}\n' "http://127.0.0.1:${PORT[$label]}/v1/chat/completions" \
      -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d "$body"
  done | tail -n "$TTFE_REQUESTS" | awk '{ printf "%.0f\n", ($2 - $1) * 1e6 }' | sort -n >"$WORK/ttfe.txt"
  TTFE[$label,$round]=$(median <"$WORK/ttfe.txt")
  say "round $round, $label: median time to first streamed byte ${TTFE[$label,$round]} µs"
}

# median: of the numbers on standard input, one per line
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "starting the upstream, YARP and the three gateway configurations"
start direct "${PORT[direct]}" gpt-4o-mini dotnet "$UP_DLL" --urls "http://127.0.0.1:${PORT[direct]}"
PID_OF[direct]=$STARTED_PID
start yarp "${PORT[yarp]}" gpt-4o-mini dotnet "$YARP_DLL" --urls "http://127.0.0.1:${PORT[yarp]}" --upstream "http://127.0.0.1:${PORT[direct]}"
PID_OF[yarp]=$STARTED_PID
gateway gateway-a
gateway gateway-b
gateway gateway-c LlmGateway__Cache__Enabled=true
cache_header=$(curl -s -o /dev/null -D - "http://127.0.0.1:${PORT[gateway-c]}/v1/chat/completions" -H "authorization: Bearer $KEY" -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Summarise the plot of Hamlet in two short sentences."}]}' | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache" { print $2 }')
[ "$cache_header" = HIT ] || die "gateway (c): the repeated request was not a cache hit (X-Cache: '$cache_header')"

# Each process gets its JIT's tiering done under load before anything is measured: the gateway has far more code
# than the bare proxy, and a short warm-up measured its tiered compiler rather than its requests.
for label in "${SYSTEMS[@]}"; do
  say "warming up $label for ${INITIAL_WARMUP} s at 32 connections"
  load "$label" 32 2 "$INITIAL_WARMUP"
done

# Interleaved rounds: within a round each system is measured right after the others, so a ratio compares points
# measured minutes apart at most; the report takes the median over rounds.
for round in $(seq 1 "$ROUNDS"); do
  for label in "${SYSTEMS[@]}"; do
    measure "$label" 1 1 "$round"
    measure "$label" 32 2 "$round"
  done
  for label in direct yarp gateway-a; do
    ttfe "$label" "$round"
  done
done

SOAK_SAMPLES=()
if [ "$SOAK" = 1 ]; then
  say "soak: ${SOAK_SECONDS} s at 32 connections against gateway (a), RSS every ${SOAK_INTERVAL} s"
  BENCH_MODEL=gpt-4o-mini BENCH_KEY=$KEY wrk -t2 -c32 -d"${SOAK_SECONDS}s" -s "$LUA" "http://127.0.0.1:${PORT[gateway-a]}/v1/chat/completions" >"$WORK/soak.out" &
  SOAK_WRK=$!
  PIDS+=("$SOAK_WRK")
  for _ in $(seq 1 $((SOAK_SECONDS / SOAK_INTERVAL))); do
    sleep "$SOAK_INTERVAL"
    SOAK_SAMPLES+=("$(status_kb "${PID_OF[gateway-a]}" VmRSS)")
    say "soak RSS: ${SOAK_SAMPLES[-1]} kB"
  done
  wait "$SOAK_WRK" || true
  read -r _ _ _ _ _ soak_bad soak_errors <<<"$(grep '^BENCH ' "$WORK/soak.out")"
  [ "$soak_bad" = 0 ] && [ "$soak_errors" = 0 ] || die "soak: $soak_bad bad responses, $soak_errors socket errors"
fi

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Report -------------------------------------------------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
# verdict <value> <op> <limit>
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == ">=") ? v >= l : (op == "<=") ? v <= l : v < l; print (v == "n/a") ? "not measured" : (ok ? "**met**" : "**not met**") }'; }
# med <array name> <key prefix>: the median over rounds of ARRAY[prefix,round]
med() {
  local -n values=$1
  local round
  for round in $(seq 1 "$ROUNDS"); do echo "${values[$2,$round]}"; done | median
}
# per_round <expression over a and b> <array a> <key a> <array b> <key b>: one value per round, a b → expression
per_round() {
  local expr=$1 round
  local -n va=$2 vb=$4
  for round in $(seq 1 "$ROUNDS"); do
    awk -v a="${va[$3,$round]}" -v b="${vb[$5,$round]}" "BEGIN { if (b == 0) print \"n/a\"; else printf \"%.2f\\n\", $expr }"
  done
}
# target <label> <values, one per line> <op> <limit>: a row of the targets table, the median of the rounds' values
target() {
  local label=$1 values=$2 op=$3 limit=$4 m
  m=$(median <<<"$values")
  m=$(awk -v m="$m" 'BEGIN { if (m == "n/a") print m; else printf "%.2f", m }')
  echo "| $label | $m | $(paste -sd' ' <<<"$values" | sed 's/ /, /g') | $(sed 's/>=/≥/; s/<=/≤/' <<<"$op") $limit | $(verdict "$m" "$op" "$limit") |"
}
declare -A ADDED_P50
for round in $(seq 1 "$ROUNDS"); do
  for label in "${SYSTEMS[@]}"; do
    for c in 1 32; do
      ADDED_P50[$label,$c,$round]=$(awk -v g="${P50[$label,$c,$round]}" -v d="${P50[direct,$c,$round]}" 'BEGIN { print g - d }')
    done
  done
done

declare -A NAMES=([direct]="upstream directly" [yarp]="YARP pass-through" [gateway-a]="gateway (a) OpenAI pass-through" [gateway-b]="gateway (b) Gemini-translated" [gateway-c]="gateway (c) cache hits")
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'): ${ROUNDS} interleaved round(s), ${DURATION} s per point after ${WARMUP} s of warm-up"
  echo "(and ${INITIAL_WARMUP} s per process at start), $(nproc) cores (${CPU_MODEL}), .NET $(dotnet --version),"
  echo "$(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'). Threads: 1 at 1 connection, 2 at 32. Load average (1, 5, 15 min) before: ${LOAD_START};"
  echo "after: ${LOAD_END}.${BENCH_GATEWAY_ENV:+ Gateway environment: \`${BENCH_GATEWAY_ENV}\`.}"
  echo
  echo "Medians over the rounds:"
  echo
  echo "| System under test | Connections | Requests/s | p50 ms | p99 ms | Added p50 ms | CPU µs/request | Peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for label in "${SYSTEMS[@]}"; do
    for c in 1 32; do
      printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "${NAMES[$label]}" "$c" "$(med RPS "$label,$c")" "$(ms "$(med P50 "$label,$c")")" \
        "$(ms "$(med P99 "$label,$c")")" "$( [ "$label" = direct ] && echo – || ms "$(med ADDED_P50 "$label,$c")")" "$(med CPU "$label,$c")" \
        "$(awk -v k="${HWM[$label,$c,$ROUNDS]}" 'BEGIN { printf "%.0f", k / 1024 }')"
    done
  done
  echo
  echo "Peak RSS is VmHWM after the last round: the peak since the process started. CPU is the system under test's user +"
  echo "system time during the measured run, divided by the requests completed."
  echo
  echo "| Time to the first streamed event (median of $TTFE_REQUESTS, median over rounds) | ms | Added ms |"
  echo "|---|---:|---:|"
  echo "| upstream directly | $(ms "$(med TTFE direct)") | – |"
  for label in yarp gateway-a; do
    echo "| ${NAMES[$label]} | $(ms "$(med TTFE "$label")") | $(per_round '(a - b) / 1000' TTFE "$label" TTFE direct | median | awk '{ printf "%.2f", $1 }') |"
  done
  echo
  echo "Each target is the median of the rounds' own ratios (each from points measured side by side in that round):"
  echo
  echo "| Target | Median | Rounds | Goal | |"
  echo "|---|---:|---|---:|---|"
  target "requests/s, gateway (a) / YARP, 32 connections" "$(per_round 'a / b' RPS gateway-a,32 RPS yarp,32)" ">=" 0.9
  target "CPU per request, gateway (a) / YARP, 32 connections" "$(per_round 'a / b' CPU gateway-a,32 CPU yarp,32)" "<=" 1.2
  target "added p50, gateway (a) / YARP, 1 connection" "$(per_round 'a / b' ADDED_P50 gateway-a,1 ADDED_P50 yarp,1)" "<=" 1.3
  target "added time to first streamed event, gateway (a), ms" "$(per_round '(a - b) / 1000' TTFE gateway-a TTFE direct)" "<" 0.5
  target "requests/s, gateway (b) Gemini / gateway (a), 32 connections" "$(per_round 'a / b' RPS gateway-b,32 RPS gateway-a,32)" ">=" 0.6
  target "requests/s, gateway (c) cache hits / gateway (a), 32 connections" "$(per_round 'a / b' RPS gateway-c,32 RPS gateway-a,32)" ">=" 1.0
  target "peak RSS, gateway (a) / YARP, 32 connections" "$(per_round 'a / b' HWM gateway-a,32 HWM yarp,32)" "<=" 1.3
  if [ "$SOAK" = 1 ]; then
    r=$(ratio "${SOAK_SAMPLES[-1]}" "${SOAK_SAMPLES[0]}")
    echo "| RSS after ${SOAK_SECONDS} s / after ${SOAK_INTERVAL} s of soak, gateway (a), 32 connections | $r | – | ≤ 1.1 | $(verdict "$r" "<=" 1.1) |"
    echo
    echo "Soak RSS samples (MiB, every ${SOAK_INTERVAL} s): $(for v in "${SOAK_SAMPLES[@]}"; do awk -v k="$v" 'BEGIN { printf "%.0f ", k / 1024 }'; done)"
  else
    echo "| RSS growth over a 5-minute soak, gateway (a) | not run | – | ≤ 1.1 | run with \`--soak\` |"
  fi
} >"$WORK/results.md"

echo
cat "$WORK/results.md"

if [ "$WRITE" = 1 ]; then
  DOC="$ROOT/docs/performance.md"
  start_marker='<!-- benchmark-results:start -->'
  end_marker='<!-- benchmark-results:end -->'
  grep -qF "$start_marker" "$DOC" && grep -qF "$end_marker" "$DOC" || die "$DOC lacks the markers $start_marker / $end_marker"
  awk -v s="$start_marker" -v e="$end_marker" -v f="$WORK/results.md" '
    $0 == s { print; while ((getline line < f) > 0) print line; skip = 1; next }
    $0 == e { skip = 0 }
    !skip { print }' "$DOC" >"$WORK/performance.md"
  cp "$WORK/performance.md" "$DOC"
  say "wrote the results into docs/performance.md"
fi
