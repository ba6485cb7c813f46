#!/usr/bin/env bash
# Tool calls, the whole loop: the model asks for a function, the script "runs" it and sends the result back, the
# model answers. The default model is a Gemini one, to show the gateway translating tools both ways (the stand-in
# upstream speaks Gemini's API too); LLMGATEWAY_TOOL_MODEL picks another (e.g. gpt-4o-mini with an OpenAI key).
set -euo pipefail
BASE_URL="${LLMGATEWAY_BASE_URL:-http://localhost:5080/v1}"
API_KEY="${LLMGATEWAY_API_KEY:-sample-gateway-key}"
MODEL="${LLMGATEWAY_TOOL_MODEL:-gemini-2.5-flash}"

tools='[{"type":"function","function":{"name":"get_weather","description":"The current weather in a city.",
  "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]'
messages='[{"role":"user","content":"What is the weather in Paris?"}]'

chat() {
  curl -sS --fail-with-body "$BASE_URL/chat/completions" \
    -H "authorization: Bearer $API_KEY" \
    -H 'content-type: application/json' \
    -d "$1"
}

first="$(chat "$(jq -n --arg model "$MODEL" --argjson messages "$messages" --argjson tools "$tools" \
  '{model: $model, messages: $messages, tools: $tools, tool_choice: "required"}')")"
call="$(jq -ce '.choices[0].message.tool_calls[0]' <<<"$first")" || { echo "expected a tool call, got: $first" >&2; exit 1; }
echo "tool call $(jq -r '.id' <<<"$call"): $(jq -r '.function.name' <<<"$call")($(jq -r '.function.arguments' <<<"$call"))"

# The tool's result; the assistant message goes back as it came (with Gemini models it carries the thought signature).
city="$(jq -r '.function.arguments | fromjson | .city' <<<"$call")"
result="$(jq -cn --arg city "$city" '{city: $city, temperature_c: 18, sky: "cloudy"}')"
messages="$(jq -c --argjson assistant "$(jq -c '.choices[0].message' <<<"$first")" --arg id "$(jq -r '.id' <<<"$call")" --arg result "$result" \
  '. + [$assistant, {role: "tool", tool_call_id: $id, content: $result}]' <<<"$messages")"

second="$(chat "$(jq -n --arg model "$MODEL" --argjson messages "$messages" --argjson tools "$tools" \
  '{model: $model, messages: $messages, tools: $tools}')")"
echo "answer: $(jq -r '.choices[0].message.content' <<<"$second")"
