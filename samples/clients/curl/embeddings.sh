#!/usr/bin/env bash
# Embeddings of two inputs, as floats.
set -euo pipefail
BASE_URL="${LLMGATEWAY_BASE_URL:-http://localhost:5080/v1}"
API_KEY="${LLMGATEWAY_API_KEY:-sample-gateway-key}"

curl -sS --fail-with-body "$BASE_URL/embeddings" \
  -H "authorization: Bearer $API_KEY" \
  -H 'content-type: application/json' \
  -d '{"model":"text-embedding-3-small","input":["The gateway routes requests.","Providers answer them."],"encoding_format":"float"}' |
  jq -r '(.data[] | "embedding \(.index): \(.embedding | length) dimensions"), "\(.data | length) embeddings from \(.model)"'
