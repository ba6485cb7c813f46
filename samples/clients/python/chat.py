"""A chat completion and a streamed one through the gateway with the official `openai` package (synchronous client).

The gateway is just another OpenAI base URL. The first call prints the headers the gateway adds (which instance and
model served it); the second prints the deltas as they arrive.
"""

import os

from openai import OpenAI

client = OpenAI(
    base_url=os.environ.get("LLMGATEWAY_BASE_URL", "http://localhost:5080/v1"),
    api_key=os.environ.get("LLMGATEWAY_API_KEY", "sample-gateway-key"),
)

# with_raw_response gives the HTTP response too, for the gateway's headers.
raw = client.chat.completions.with_raw_response.create(
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "Hello from the openai Python package"}],
)
completion = raw.parse()
print(completion.choices[0].message.content)
print(f"model: {completion.model}, tokens: {completion.usage.total_tokens if completion.usage else None}")
print(
    f"served by instance {raw.headers.get('x-llmgateway-provider')} "
    f"(upstream model {raw.headers.get('x-llmgateway-model')}, attempts {raw.headers.get('x-llmgateway-attempts')}, "
    f"request id {raw.headers.get('x-request-id')})"
)

# Streaming: the last chunk carries the usage because stream_options.include_usage asks for it.
stream = client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "Stream this sentence back to me"}],
    stream=True,
    stream_options={"include_usage": True},
)
usage = None
for chunk in stream:
    if chunk.choices:
        print(chunk.choices[0].delta.content or "", end="", flush=True)
    usage = chunk.usage or usage
print()
if usage:
    print(f"tokens: {usage.prompt_tokens} in / {usage.completion_tokens} out")
