#!/usr/bin/env bash
# Errors: every failure comes back in OpenAI's envelope {"error":{"message","type","param","code"}} with its status.
# This script expects the errors below and exits non-zero if one does not come.
set -euo pipefail
BASE_URL="${LLMGATEWAY_BASE_URL:-http://localhost:5080/v1}"
API_KEY="${LLMGATEWAY_API_KEY:-sample-gateway-key}"

body="$(mktemp)"
trap 'rm -f "$body"' EXIT

# A model the gateway does not serve: 404 model_not_found.
status="$(curl -sS -o "$body" -w '%{http_code}' "$BASE_URL/chat/completions" \
  -H "authorization: Bearer $API_KEY" \
  -H 'content-type: application/json' \
  -d '{"model":"no-such-model","messages":[{"role":"user","content":"Hi"}]}')"
echo "unknown model: HTTP $status"
jq . "$body"
[ "$status" = 404 ] && [ "$(jq -r .error.code "$body")" = model_not_found ] || { echo "expected 404 model_not_found" >&2; exit 1; }

# A key the gateway does not know: 401 invalid_api_key (in Auth mode None, the default of the thin host's
# appsettings.json, every key is accepted on loopback).
status="$(curl -sS -o "$body" -w '%{http_code}' "$BASE_URL/models" -H 'authorization: Bearer not-a-gateway-key')"
if [ "$status" = 200 ]; then
  echo "wrong key: accepted (the gateway runs in Auth mode None)"
else
  echo "wrong key: HTTP $status $(jq -r '.error.code' "$body")"
  [ "$status" = 401 ] || { echo "expected 401" >&2; exit 1; }
fi
