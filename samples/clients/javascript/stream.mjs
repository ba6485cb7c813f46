// A streamed chat completion: each delta is printed as it arrives; the last chunk carries the usage because
// stream_options.include_usage asks for it.
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.LLMGATEWAY_BASE_URL ?? "http://localhost:5080/v1",
  apiKey: process.env.LLMGATEWAY_API_KEY ?? "sample-gateway-key",
});

const stream = await client.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Stream this sentence back to me" }],
  stream: true,
  stream_options: { include_usage: true },
});

let chunks = 0;
let usage;
for await (const chunk of stream) {
  chunks++;
  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
  usage = chunk.usage ?? usage;
}

console.log();
console.log(`${chunks} chunks, tokens: ${usage?.prompt_tokens} in / ${usage?.completion_tokens} out`);
