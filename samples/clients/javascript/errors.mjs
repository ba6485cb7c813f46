// Errors: every failure comes back in OpenAI's envelope {"error":{"message","type","param","code"}}, so the SDK
// raises its usual exceptions with the status, code and type filled in.
import OpenAI from "openai";

const baseURL = process.env.LLMGATEWAY_BASE_URL ?? "http://localhost:5080/v1";
const client = new OpenAI({ baseURL, apiKey: process.env.LLMGATEWAY_API_KEY ?? "sample-gateway-key" });

// A model the gateway does not serve: 404 model_not_found.
try {
  await client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "Hi" }] });
  throw new Error("expected a 404 for an unknown model");
} catch (err) {
  if (!(err instanceof OpenAI.NotFoundError)) {
    throw err;
  }
  console.log(`unknown model: ${err.status} ${err.type} ${err.code} (param ${err.param}), request id ${err.requestID}`);
  console.log(`  envelope: ${JSON.stringify({ error: err.error })}`);
}

// A key the gateway does not know: 401 invalid_api_key (in Auth mode None, the default of the thin host's
// appsettings.json, every key is accepted on loopback).
const stranger = new OpenAI({ baseURL, apiKey: "not-a-gateway-key", maxRetries: 0 });
try {
  await stranger.models.list();
  console.log("wrong key: accepted (the gateway runs in Auth mode None)");
} catch (err) {
  if (!(err instanceof OpenAI.AuthenticationError)) {
    throw err;
  }
  console.log(`wrong key: ${err.status} ${err.code}: ${err.error?.message}`);
}
