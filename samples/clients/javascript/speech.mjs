// Text to speech: the gateway streams the audio back as it arrives. Written to a file in the temp folder.
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.LLMGATEWAY_BASE_URL ?? "http://localhost:5080/v1",
  apiKey: process.env.LLMGATEWAY_API_KEY ?? "sample-gateway-key",
});

const response = await client.audio.speech.create({
  model: "tts-1",
  voice: "alloy",
  input: "Hello from the gateway.",
  response_format: "mp3",
});

const audio = Buffer.from(await response.arrayBuffer());
const file = join(tmpdir(), "llmgateway-speech.mp3");
await writeFile(file, audio);
console.log(`${audio.length} bytes of ${response.headers.get("content-type")} written to ${file}`);
console.log(`starts with an ID3 tag: ${audio.subarray(0, 3).toString("latin1") === "ID3"}`);
