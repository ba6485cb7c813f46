#!/usr/bin/env bash
# A streamed chat completion: the server-sent events as they arrive (curl -N turns off curl's own buffering). The
# stream ends with "data: [DONE]" only when the upstream finished cleanly; a cut stream ends with an error event
# instead, and this script then exits non-zero.
set -euo pipefail
BASE_URL="${LLMGATEWAY_BASE_URL:-http://localhost:5080/v1}"
API_KEY="${LLMGATEWAY_API_KEY:-sample-gateway-key}"

curl -sS -N --fail-with-body "$BASE_URL/chat/completions" \
  -H "authorization: Bearer $API_KEY" \
  -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},
       "messages":[{"role":"user","content":"Stream this sentence back to me"}]}' |
  {
    complete=false
    while IFS= read -r line; do
      if [ -n "$line" ]; then printf '%s\n' "$line"; fi
      if [ "$line" = 'data: [DONE]' ]; then complete=true; fi
    done
    if $complete; then echo "stream complete"; else echo "stream cut: no [DONE]" >&2; exit 1; fi
  }
