// A chat completion through the gateway with the official `openai` npm package: the gateway is just another
// OpenAI base URL. Prints the answer and the headers the gateway adds (which instance and model served it).
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.LLMGATEWAY_BASE_URL ?? "http://localhost:5080/v1",
  apiKey: process.env.LLMGATEWAY_API_KEY ?? "sample-gateway-key",
});

// .withResponse() gives the HTTP response too, for the gateway's headers.
const { data: completion, response } = await client.chat.completions
  .create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Hello from the openai npm package" }],
  })
  .withResponse();

console.log(completion.choices[0].message.content);
console.log(`model: ${completion.model}, tokens: ${completion.usage?.total_tokens}`);
console.log(
  `served by instance ${response.headers.get("x-llmgateway-provider")} ` +
    `(upstream model ${response.headers.get("x-llmgateway-model")}, ` +
    `attempts ${response.headers.get("x-llmgateway-attempts")}, request id ${response.headers.get("x-request-id")})`,
);
