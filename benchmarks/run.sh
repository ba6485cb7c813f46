#!/usr/bin/env bash
# The load benchmarks (issue 10): the stand-in upstream directly, a bare YARP proxy, and the gateway host in three
# configurations, measured side by side with wrk in one run. Prints a markdown table and the targets as ratios, and
# writes both into docs/performance.md between its markers. See docs/performance.md for how to read it.
#
#   benchmarks/run.sh            10 s per point
#   benchmarks/run.sh --quick    3 s per point (a smoke run)
#   benchmarks/run.sh --soak     also 5 minutes at 32 connections against gateway (a), RSS sampled every 30 s
#   benchmarks/run.sh --no-write print only; leave docs/performance.md alone
#
# Ports: BENCH_PORT_BASE (default 5401) and the next two, on 127.0.0.1. BENCH_GATEWAY_ENV adds environment variables
# to the gateway processes, e.g. BENCH_GATEWAY_ENV="OTEL_SDK_DISABLED=true" to see what the host's telemetry costs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=10
WARMUP=3
SOAK=0
WRITE=1
for arg in "$@"; do
  case "$arg" in
    --quick) DURATION=3; WARMUP=2 ;;
    --soak) SOAK=1 ;;
    --no-write) WRITE=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

PORT_BASE=${BENCH_PORT_BASE:-5401}
UP_PORT=$PORT_BASE
YARP_PORT=$((PORT_BASE + 1))
GW_PORT=$((PORT_BASE + 2))
KEY=bench-key-0123456789abcdef
TTFE_REQUESTS=200
SOAK_SECONDS=300
SOAK_INTERVAL=30
LUA="$ROOT/benchmarks/chat.lua"
CLK_TCK=$(getconf CLK_TCK)
WORK=$(mktemp -d)
PIDS=()

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

stop() {
  local pid kept=()
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do
    [ "$pid" = "$1" ] || kept+=("$pid")
  done
  PIDS=("${kept[@]}")
}

gateway() { # gateway <name> <model to check> <extra environment...>
  local name=$1 model=$2
  shift 2
  start "$name" "$GW_PORT" "$model" env \
    LlmGateway__Auth__Mode=Gateway \
    LlmGateway__Auth__Keys__0__Key="$KEY" \
    LlmGateway__Auth__Keys__0__Name=bench \
    LlmGateway__Auth__Keys__0__RequestsPerMinute=1000000000 \
    OPENAI_BASE_URL="http://127.0.0.1:$UP_PORT/v1" \
    LlmGateway__Providers__gemini__BaseUrl="http://127.0.0.1:$UP_PORT/v1beta" \
    GEMINI_API_KEY=bench-dummy-key \
    Logging__LogLevel__Default=Warning \
    ${BENCH_GATEWAY_ENV:-} \
    "$@" \
    dotnet "$GW_DIR/LlmGateway.Server.dll" --contentRoot "$GW_DIR" --urls "http://127.0.0.1:$GW_PORT"
}

cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# --- Measurements -------------------------------------------------------------------------------------------------
declare -A RPS P50 P99 CPU HWM TTFE
ORDER=()

# measure <label> <port> <pid of the system under test> <connections> <threads> <model>
measure() {
  local label=$1 port=$2 pid=$3 conns=$4 threads=$5 model=$6 line before after
  local url="http://127.0.0.1:$port/v1/chat/completions"
  BENCH_MODEL=$model BENCH_KEY=$KEY wrk -t"$threads" -c"$conns" -d"${WARMUP}s" -s "$LUA" "$url" >/dev/null
  before=$(cpu_ticks "$pid")
  BENCH_MODEL=$model BENCH_KEY=$KEY wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency -s "$LUA" "$url" >"$WORK/wrk.out"
  after=$(cpu_ticks "$pid")
  line=$(grep '^BENCH ' "$WORK/wrk.out") || { cat "$WORK/wrk.out" >&2; die "wrk gave no result for $label"; }
  read -r _ requests duration p50 p99 bad errors <<<"$line"
  [ "$bad" = 0 ] || die "$label at $conns connections: $bad responses were not 2xx/3xx"
  [ "$errors" = 0 ] || die "$label at $conns connections: $errors socket errors"
  [ "$requests" -gt 0 ] || die "$label at $conns connections: no request completed"
  local k="$label,$conns"
  RPS[$k]=$(awk -v r="$requests" -v d="$duration" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  P50[$k]=$p50
  P99[$k]=$p99
  CPU[$k]=$(awk -v t="$((after - before))" -v hz="$CLK_TCK" -v r="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
  HWM[$k]=$(status_kb "$pid" VmHWM)
  say "$label c=$conns: ${RPS[$k]} req/s, p50 ${p50} µs, p99 ${p99} µs, ${CPU[$k]} µs CPU/request, peak RSS ${HWM[$k]} kB"
}

measure_both() { # measure_both <label> <port> <pid> <model>
  ORDER+=("$1")
  measure "$1" "$2" "$3" 1 1 "$4"
  measure "$1" "$2" "$3" 32 2 "$4"
}

# ttfe <label> <port>: median over TTFE_REQUESTS sequential streamed requests of the time from sending the request
# to the first byte of the answer (the gateway sends its headers with the first event), in µs
ttfe() {
  local label=$1 port=$2 i
  local body='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Summarise the plot of Hamlet in two short sentences."}]}'
  for i in $(seq 1 $((TTFE_REQUESTS + 20))); do
    curl -s -o /dev/null -w '%{time_pretransfer} %{time_starttransfer}\n' "http://127.0.0.1:$port/v1/chat/completions" \
      -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d "$body"
  done | tail -n "$TTFE_REQUESTS" | awk '{ printf "%.0f\n", ($2 - $1) * 1e6 }' | sort -n >"$WORK/ttfe.txt"
  TTFE[$label]=$(awk '{ v[NR] = $1 } END { printf "%.0f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }' "$WORK/ttfe.txt")
  say "$label: median time to first streamed byte ${TTFE[$label]} µs"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "upstream"
start upstream "$UP_PORT" gpt-4o-mini dotnet "$UP_DLL" --urls "http://127.0.0.1:$UP_PORT"
UP_PID=$STARTED_PID
measure_both direct "$UP_PORT" "$UP_PID" gpt-4o-mini
ttfe direct "$UP_PORT"

say "YARP"
start yarp "$YARP_PORT" gpt-4o-mini dotnet "$YARP_DLL" --urls "http://127.0.0.1:$YARP_PORT" --upstream "http://127.0.0.1:$UP_PORT"
measure_both yarp "$YARP_PORT" "$STARTED_PID" gpt-4o-mini
ttfe yarp "$YARP_PORT"
stop "$STARTED_PID"

say "gateway (a): OpenAI pass-through, gateway key, usage accounting, cache off"
gateway gateway-a gpt-4o-mini
GA_PID=$STARTED_PID
measure_both gateway-a "$GW_PORT" "$GA_PID" gpt-4o-mini
ttfe gateway-a "$GW_PORT"
SOAK_SAMPLES=()
if [ "$SOAK" = 1 ]; then
  say "soak: ${SOAK_SECONDS} s at 32 connections against gateway (a), RSS every ${SOAK_INTERVAL} s"
  BENCH_MODEL=gpt-4o-mini BENCH_KEY=$KEY wrk -t2 -c32 -d"${SOAK_SECONDS}s" -s "$LUA" "http://127.0.0.1:$GW_PORT/v1/chat/completions" >"$WORK/soak.out" &
  SOAK_WRK=$!
  PIDS+=("$SOAK_WRK")
  for _ in $(seq 1 $((SOAK_SECONDS / SOAK_INTERVAL))); do
    sleep "$SOAK_INTERVAL"
    SOAK_SAMPLES+=("$(status_kb "$GA_PID" VmRSS)")
    say "soak RSS: ${SOAK_SAMPLES[-1]} kB"
  done
  wait "$SOAK_WRK" || true
  read -r _ _ _ _ _ soak_bad soak_errors <<<"$(grep '^BENCH ' "$WORK/soak.out")"
  [ "$soak_bad" = 0 ] && [ "$soak_errors" = 0 ] || die "soak: $soak_bad bad responses, $soak_errors socket errors"
fi
stop "$GA_PID"

say "gateway (b): Gemini-translated model"
gateway gateway-b gemini-2.5-flash
measure_both gateway-b "$GW_PORT" "$STARTED_PID" gemini-2.5-flash
stop "$STARTED_PID"

say "gateway (c): cache on, every request a hit"
gateway gateway-c gpt-4o-mini LlmGateway__Cache__Enabled=true
GC_PID=$STARTED_PID
cache_header=$(curl -s -o /dev/null -D - "http://127.0.0.1:$GW_PORT/v1/chat/completions" -H "authorization: Bearer $KEY" -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Summarise the plot of Hamlet in two short sentences."}]}' | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache" { print $2 }')
[ "$cache_header" = HIT ] || die "gateway (c): the repeated request was not a cache hit (X-Cache: '$cache_header')"
measure_both gateway-c "$GW_PORT" "$GC_PID" gpt-4o-mini
stop "$GC_PID"

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- Report -------------------------------------------------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
added_ms() { awk -v u="$1" -v d="$2" 'BEGIN { printf "%.2f", (u - d) / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
# verdict <value> <op> <limit>
verdict() { awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == ">=") ? v >= l : (op == "<=") ? v <= l : v < l; print (v == "n/a") ? "not measured" : (ok ? "**met**" : "**not met**") }'; }

declare -A NAMES=([direct]="upstream directly" [yarp]="YARP pass-through" [gateway-a]="gateway (a) OpenAI pass-through" [gateway-b]="gateway (b) Gemini-translated" [gateway-c]="gateway (c) cache hits")
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'): ${DURATION} s per point (after ${WARMUP} s of warm-up), $(nproc) cores (${CPU_MODEL}),"
  echo ".NET $(dotnet --version), $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'). Threads: 1 at 1 connection, 2 at 32. Load average"
  echo "(1, 5, 15 min) before: ${LOAD_START}; after: ${LOAD_END}.${BENCH_GATEWAY_ENV:+ Gateway environment: \`${BENCH_GATEWAY_ENV}\`.}"
  echo
  echo "| System under test | Connections | Requests/s | p50 ms | p99 ms | Added p50 ms | CPU µs/request | Peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for label in "${ORDER[@]}"; do
    for c in 1 32; do
      k="$label,$c"
      printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "${NAMES[$label]}" "$c" "${RPS[$k]}" "$(ms "${P50[$k]}")" "$(ms "${P99[$k]}")" \
        "$( [ "$label" = direct ] && echo – || added_ms "${P50[$k]}" "${P50[direct,$c]}")" "${CPU[$k]}" "$(awk -v k="${HWM[$k]}" 'BEGIN { printf "%.0f", k / 1024 }')"
    done
  done
  echo
  echo "Peak RSS is VmHWM, the peak since the process started (its 1-connection run came first). CPU is the system under"
  echo "test's user + system time during the measured run, divided by the requests completed."
  echo
  echo "| Time to the first streamed event (median of $TTFE_REQUESTS) | ms | Added ms |"
  echo "|---|---:|---:|"
  echo "| upstream directly | $(ms "${TTFE[direct]}") | – |"
  echo "| YARP pass-through | $(ms "${TTFE[yarp]}") | $(added_ms "${TTFE[yarp]}" "${TTFE[direct]}") |"
  echo "| gateway (a) | $(ms "${TTFE[gateway-a]}") | $(added_ms "${TTFE[gateway-a]}" "${TTFE[direct]}") |"
  echo
  echo "| Target | Ratio or value | Goal | |"
  echo "|---|---:|---:|---|"
  r=$(ratio "${RPS[gateway-a,32]}" "${RPS[yarp,32]}")
  echo "| requests/s, gateway (a) / YARP, 32 connections | $r | ≥ 0.9 | $(verdict "$r" ">=" 0.9) |"
  r=$(ratio "${CPU[gateway-a,32]}" "${CPU[yarp,32]}")
  echo "| CPU per request, gateway (a) / YARP, 32 connections | $r | ≤ 1.2 | $(verdict "$r" "<=" 1.2) |"
  r=$(ratio "$(awk -v g="${P50[gateway-a,1]}" -v d="${P50[direct,1]}" 'BEGIN { print g - d }')" "$(awk -v y="${P50[yarp,1]}" -v d="${P50[direct,1]}" 'BEGIN { print y - d }')")
  echo "| added p50, gateway (a) / YARP, 1 connection | $r | ≤ 1.3 | $(verdict "$r" "<=" 1.3) |"
  r=$(added_ms "${TTFE[gateway-a]}" "${TTFE[direct]}")
  echo "| added time to first streamed event, gateway (a), ms | $r | < 0.5 | $(verdict "$r" "<" 0.5) |"
  r=$(ratio "${RPS[gateway-b,32]}" "${RPS[gateway-a,32]}")
  echo "| requests/s, gateway (b) Gemini / gateway (a), 32 connections | $r | ≥ 0.6 | $(verdict "$r" ">=" 0.6) |"
  r=$(ratio "${RPS[gateway-c,32]}" "${RPS[gateway-a,32]}")
  echo "| requests/s, gateway (c) cache hits / gateway (a), 32 connections | $r | ≥ 1.0 | $(verdict "$r" ">=" 1.0) |"
  r=$(ratio "${HWM[gateway-a,32]}" "${HWM[yarp,32]}")
  echo "| peak RSS, gateway (a) / YARP, 32 connections | $r | ≤ 1.3 | $(verdict "$r" "<=" 1.3) |"
  if [ "$SOAK" = 1 ]; then
    r=$(ratio "${SOAK_SAMPLES[-1]}" "${SOAK_SAMPLES[0]}")
    echo "| RSS after ${SOAK_SECONDS} s / after ${SOAK_INTERVAL} s of soak, gateway (a), 32 connections | $r | ≤ 1.1 | $(verdict "$r" "<=" 1.1) |"
  else
    echo "| RSS growth over a 5-minute soak, gateway (a) | not run | ≤ 1.1 | run with \`--soak\` |"
  fi
  if [ "$SOAK" = 1 ]; then
    echo
    echo "Soak RSS samples (MiB, every ${SOAK_INTERVAL} s): $(for s in "${SOAK_SAMPLES[@]}"; do awk -v k="$s" 'BEGIN { printf "%.0f ", k / 1024 }'; done)"
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
