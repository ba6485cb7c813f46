// Tool calls, the whole loop: the model asks for a function, the script runs it and sends the result back, the
// model answers. The default model is a Gemini one, to show the gateway translating tools both ways (the stand-in
// upstream speaks Gemini's API too); LLMGATEWAY_TOOL_MODEL picks another (e.g. gpt-4o-mini with an OpenAI key).
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.LLMGATEWAY_BASE_URL ?? "http://localhost:5080/v1",
  apiKey: process.env.LLMGATEWAY_API_KEY ?? "sample-gateway-key",
});
const model = process.env.LLMGATEWAY_TOOL_MODEL ?? "gemini-2.5-flash";

const tools = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "The current weather in a city.",
      parameters: {
        type: "object",
        properties: { city: { type: "string", description: "The city, e.g. Paris" } },
        required: ["city"],
      },
    },
  },
];

function getWeather({ city }) {
  return { city, temperature_c: 18, sky: "cloudy" };
}

const messages = [{ role: "user", content: "What is the weather in Paris?" }];
const first = await client.chat.completions.create({ model, messages, tools, tool_choice: "required" });
const request = first.choices[0].message;
if (!request.tool_calls?.length) {
  throw new Error(`expected a tool call, got: ${JSON.stringify(request)}`);
}

// The assistant message goes back as it came: with Gemini models it carries the thought signature the next call needs.
messages.push(request);
for (const call of request.tool_calls) {
  console.log(`tool call ${call.id}: ${call.function.name}(${call.function.arguments})`);
  const result = getWeather(JSON.parse(call.function.arguments));
  messages.push({ role: "tool", tool_call_id: call.id, content: JSON.stringify(result) });
}

const second = await client.chat.completions.create({ model, messages, tools });
console.log(`answer: ${second.choices[0].message.content}`);
