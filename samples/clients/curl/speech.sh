#!/usr/bin/env bash
# Text to speech: the audio is streamed back as it arrives; written to a file in the temp folder.
set -euo pipefail
BASE_URL="${LLMGATEWAY_BASE_URL:-http://localhost:5080/v1}"
API_KEY="${LLMGATEWAY_API_KEY:-sample-gateway-key}"

out="${TMPDIR:-/tmp}/llmgateway-speech.mp3"
content_type="$(curl -sS --fail-with-body "$BASE_URL/audio/speech" \
  -H "authorization: Bearer $API_KEY" \
  -H 'content-type: application/json' \
  -d '{"model":"tts-1","voice":"alloy","input":"Hello from the gateway.","response_format":"mp3"}' \
  -o "$out" -w '%{content_type}')"

echo "$(wc -c <"$out") bytes of $content_type written to $out"
echo "starts with: $(head -c 3 "$out")"
