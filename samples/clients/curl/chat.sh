#!/usr/bin/env bash
# A chat completion through the gateway; prints the answer and the headers the gateway adds.
set -euo pipefail
BASE_URL="${LLMGATEWAY_BASE_URL:-http://localhost:5080/v1}"
API_KEY="${LLMGATEWAY_API_KEY:-sample-gateway-key}"

headers="$(mktemp)"
trap 'rm -f "$headers"' EXIT

body="$(curl -sS --fail-with-body -D "$headers" "$BASE_URL/chat/completions" \
  -H "authorization: Bearer $API_KEY" \
  -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello from curl"}]}')"

jq -r '.choices[0].message.content' <<<"$body"
jq -r '"model: \(.model), tokens: \(.usage.total_tokens)"' <<<"$body"
grep -i '^x-llmgateway-\|^x-request-id' "$headers" | tr -d '\r'
