-- wrk script for benchmarks/run.sh: posts a realistic ~100-byte chat request (model from BENCH_MODEL, gateway key
-- from BENCH_KEY) and prints one machine-readable line at the end:
-- BENCH <requests> <duration µs> <p50 µs> <p99 µs> <non-2xx/3xx responses> <socket errors>
local model = os.getenv("BENCH_MODEL") or "gpt-4o-mini"
local key = os.getenv("BENCH_KEY") or ""

wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.headers["Content-Type"] = "application/json"
if key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end
wrk.body = '{"model":"' .. model .. '","messages":[{"role":"user","content":"Summarise the plot of Hamlet in two short sentences."}]}'

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %.0f %.0f %.0f %.0f %.0f %.0f\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
