// Bring your own key (gateway Auth mode Hybrid): the SDK's API key is the gateway key, and the caller's own
// provider key rides in the x-llmgateway-provider-key header; the gateway sends it upstream for this call only,
// never stores or logs it. The stand-in upstream logs a fingerprint of the key it receives: compare it with the one
// printed here.
import { createHash } from "node:crypto";
import OpenAI from "openai";

const providerKey = process.env.LLMGATEWAY_PROVIDER_KEY ?? "sk-my-own-provider-key";
const client = new OpenAI({
  baseURL: process.env.LLMGATEWAY_BASE_URL ?? "http://localhost:5080/v1",
  apiKey: process.env.LLMGATEWAY_API_KEY ?? "sample-gateway-key",
  defaultHeaders: { "x-llmgateway-provider-key": providerKey },
});

const completion = await client.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Billed to my own key" }],
});

console.log(completion.choices[0].message.content);
const fingerprint = createHash("sha256").update(providerKey).digest("hex").slice(0, 12);
console.log(`sent provider key sha256:${fingerprint} (the stand-in logs key=sha256:${fingerprint})`);
