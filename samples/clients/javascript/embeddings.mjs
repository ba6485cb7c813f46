// Embeddings of two inputs. The SDK asks for base64 and decodes it to numbers; the gateway passes the encoding
// through (and translates it for Gemini models).
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.LLMGATEWAY_BASE_URL ?? "http://localhost:5080/v1",
  apiKey: process.env.LLMGATEWAY_API_KEY ?? "sample-gateway-key",
});

const result = await client.embeddings.create({
  model: "text-embedding-3-small",
  input: ["The gateway routes requests.", "Providers answer them."],
});

for (const item of result.data) {
  console.log(`embedding ${item.index}: ${item.embedding.length} dimensions, starts ${item.embedding.slice(0, 3).join(", ")}`);
}
console.log(`${result.data.length} embeddings from ${result.model}, tokens: ${result.usage.total_tokens}`);
