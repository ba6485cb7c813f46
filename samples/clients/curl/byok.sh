#!/usr/bin/env bash
# Bring your own key (gateway Auth mode Hybrid): the gateway key authenticates, the caller's own provider key rides
# in x-llmgateway-provider-key and goes upstream for this call only (never stored or logged). The stand-in upstream
# logs a fingerprint of the key it receives: compare it with the one printed here.
set -euo pipefail
BASE_URL="${LLMGATEWAY_BASE_URL:-http://localhost:5080/v1}"
API_KEY="${LLMGATEWAY_API_KEY:-sample-gateway-key}"
PROVIDER_KEY="${LLMGATEWAY_PROVIDER_KEY:-sk-my-own-provider-key}"

curl -sS --fail-with-body "$BASE_URL/chat/completions" \
  -H "authorization: Bearer $API_KEY" \
  -H "x-llmgateway-provider-key: $PROVIDER_KEY" \
  -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Billed to my own key"}]}' |
  jq -r '.choices[0].message.content'

fingerprint="$(printf '%s' "$PROVIDER_KEY" | sha256sum | cut -c1-12)"
echo "sent provider key sha256:$fingerprint (the stand-in logs key=sha256:$fingerprint)"
