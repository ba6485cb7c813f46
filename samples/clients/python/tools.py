"""Tool calls, the whole loop: the model asks for a function, the script runs it and sends the result back, the model
answers. The default model is a Gemini one, to show the gateway translating tools both ways (the stand-in upstream
speaks Gemini's API too); LLMGATEWAY_TOOL_MODEL picks another (e.g. gpt-4o-mini with an OpenAI key)."""

import json
import os

from openai import OpenAI

client = OpenAI(
    base_url=os.environ.get("LLMGATEWAY_BASE_URL", "http://localhost:5080/v1"),
    api_key=os.environ.get("LLMGATEWAY_API_KEY", "sample-gateway-key"),
)
model = os.environ.get("LLMGATEWAY_TOOL_MODEL", "gemini-2.5-flash")

tools = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "The city, e.g. Paris"}},
                "required": ["city"],
            },
        },
    }
]


def get_weather(city: str) -> dict:
    return {"city": city, "temperature_c": 18, "sky": "cloudy"}


messages = [{"role": "user", "content": "What is the weather in Paris?"}]
first = client.chat.completions.create(model=model, messages=messages, tools=tools, tool_choice="required")
request = first.choices[0].message
if not request.tool_calls:
    raise SystemExit(f"expected a tool call, got: {request}")

# The assistant message goes back as it came (model_dump keeps the fields the SDK does not know, such as the
# thought signature Gemini models need on the next call).
messages.append(request.model_dump(exclude_none=True))
for call in request.tool_calls:
    print(f"tool call {call.id}: {call.function.name}({call.function.arguments})")
    result = get_weather(**json.loads(call.function.arguments))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})

second = client.chat.completions.create(model=model, messages=messages, tools=tools)
print(f"answer: {second.choices[0].message.content}")
