#!/usr/bin/env bash
# Audio transcription: a multipart upload the gateway forwards byte for byte. The audio is one second of silence
# made here (16 kHz, 16-bit mono WAV), so the sample needs no file.
set -euo pipefail
BASE_URL="${LLMGATEWAY_BASE_URL:-http://localhost:5080/v1}"
API_KEY="${LLMGATEWAY_API_KEY:-sample-gateway-key}"

wav="$(mktemp --suffix .wav)"
trap 'rm -f "$wav"' EXIT
# The 44-byte WAV header (little-endian): RIFF size 32036, fmt chunk 16, PCM, mono, 16000 Hz, 32000 bytes/s,
# block align 2, 16 bits; then a data chunk of 32000 zero bytes.
printf 'RIFF\x24\x7d\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00data\x00\x7d\x00\x00' >"$wav"
head -c 32000 /dev/zero >>"$wav"

curl -sS --fail-with-body "$BASE_URL/audio/transcriptions" \
  -H "authorization: Bearer $API_KEY" \
  -F model=whisper-1 \
  -F "file=@$wav;filename=silence.wav;type=audio/wav" |
  jq -r '"transcription: \(.text)"'
