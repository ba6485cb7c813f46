#!/usr/bin/env bash
# Two builds of the gateway host side by side against one stand-in upstream: the same configuration as run.sh's
# gateway (a), wrk at 32 connections, alternating 10 s points, so both see the same machine. For a before/after of a
# change, where run.sh's ratios against YARP drift from run to run.
#
#   benchmarks/compare.sh <rev-a> <rev-b>     e.g. benchmarks/compare.sh HEAD~5 HEAD
#
# Ports 5601-5603 on 127.0.0.1 (BENCH_COMPARE_PORT sets the first). BENCH_ROUNDS sets the rounds (default 4),
# BENCH_WARMUP the seconds of load each host gets first for its JIT tiering (default 30).
# Prints per round and side: requests/s, CPU µs per request, peak RSS (VmHWM), bytes allocated per request (the host's
# own dotnet.gc.heap.total_allocated and llmgateway.requests meters, read from /metrics); then the medians and b / a.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,9p' "$0"; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE=${BENCH_COMPARE_PORT:-5601}
ROUNDS=${BENCH_ROUNDS:-4}
KEY=bench-key-0123456789abcdef
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  git -C "$ROOT" worktree remove --force "$WORK/a" 2>/dev/null || true
  git -C "$ROOT" worktree remove --force "$WORK/b" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "compare.sh: wrk is needed (apt-get install wrk)" >&2; exit 1; }

for side in a b; do
  rev=$([ "$side" = a ] && echo "$1" || echo "$2")
  git -C "$ROOT" worktree add --detach -q "$WORK/$side" "$rev"
  dotnet build "$WORK/$side/samples/LlmGateway.Server" -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
done
dotnet build "$ROOT/benchmarks/LlmGateway.Benchmarks.Upstream" -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null

wait_ok() { # port
  local deadline=$((SECONDS + 60))
  until curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v1/chat/completions" -H "authorization: Bearer $KEY" \
    -H 'content-type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' | grep -q 200; do
    [ $SECONDS -lt $deadline ] || { echo "compare.sh: nothing answered on port $1" >&2; exit 1; }
    sleep 0.5
  done
}
dotnet "$ROOT/benchmarks/LlmGateway.Benchmarks.Upstream/bin/Release/net10.0/LlmGateway.Benchmarks.Upstream.dll" \
  --urls "http://127.0.0.1:$BASE" >"$WORK/upstream.log" 2>&1 &
PIDS+=($!)
declare -A PID PORT=([a]=$((BASE + 1)) [b]=$((BASE + 2)))
for side in a b; do
  dir="$WORK/$side/samples/LlmGateway.Server/bin/Release/net10.0"
  env LlmGateway__Auth__Mode=Gateway LlmGateway__Auth__Keys__0__Key=$KEY LlmGateway__Auth__Keys__0__Name=bench \
    LlmGateway__Auth__Keys__0__RequestsPerMinute=1000000000 OPENAI_BASE_URL="http://127.0.0.1:$BASE/v1" \
    GEMINI_API_KEY=bench-dummy-key Logging__LogLevel__Default=Warning \
    dotnet "$dir/LlmGateway.Server.dll" --contentRoot "$dir" --urls "http://127.0.0.1:${PORT[$side]}" >"$WORK/$side.log" 2>&1 &
  PID[$side]=$!
  PIDS+=($!)
done
wait_ok "${PORT[a]}"
wait_ok "${PORT[b]}"

load() { BENCH_MODEL=gpt-4o-mini BENCH_KEY=$KEY wrk -t2 -c32 -d"$2s" -s "$ROOT/benchmarks/chat.lua" "http://127.0.0.1:$1/v1/chat/completions" | grep '^BENCH'; }
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v p="$2" 'index($0, p) == 1 { s += $NF } END { printf "%.0f\n", s }'; }
hz=$(getconf CLK_TCK)
for side in a b; do load "${PORT[$side]}" "${BENCH_WARMUP:-30}" >/dev/null; done
for round in $(seq 1 "$ROUNDS"); do
  for side in a b; do
    load "${PORT[$side]}" 2 >/dev/null
    t0=$(ticks "${PID[$side]}")
    a0=$(metric "${PORT[$side]}" dotnet_gc_heap_total_allocated)
    r0=$(metric "${PORT[$side]}" llmgateway_requests_total)
    read -r _ requests duration _ <<<"$(load "${PORT[$side]}" 10)"
    t1=$(ticks "${PID[$side]}")
    a1=$(metric "${PORT[$side]}" dotnet_gc_heap_total_allocated)
    r1=$(metric "${PORT[$side]}" llmgateway_requests_total)
    alloc=$(( (a1 - a0) / (r1 > r0 ? r1 - r0 : 1) ))
    rps=$(awk -v r="$requests" -v d="$duration" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
    cpu=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v r="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
    hwm=$(awk '$1 == "VmHWM:" { printf "%.0f", $2 / 1024 }' "/proc/${PID[$side]}/status")
    echo "$round $side $rps $cpu $hwm $alloc" >>"$WORK/points"
    echo "round $round, $side: $rps req/s, $cpu µs CPU/request, peak RSS $hwm MiB, $alloc B allocated/request"
  done
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for col in 3 4 5 6; do
  ma=$(awk -v c=$col '$2 == "a" { print $c }' "$WORK/points" | median)
  mb=$(awk -v c=$col '$2 == "b" { print $c }' "$WORK/points" | median)
  case $col in 3) name="requests/s" ;; 4) name="CPU µs/request" ;; 5) name="peak RSS MiB" ;; *) name="B alloc/request" ;; esac
  awk -v n="$name" -v a="$ma" -v b="$mb" 'BEGIN { printf "%-16s a %9.1f  b %9.1f  b/a %.2f\n", n, a, b, b / a }'
done
