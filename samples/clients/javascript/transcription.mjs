// Audio transcription: a multipart upload that the gateway forwards byte for byte. The audio is one second of
// silence made here (16 kHz, 16-bit mono WAV), so the sample needs no file.
import OpenAI, { toFile } from "openai";

const client = new OpenAI({
  baseURL: process.env.LLMGATEWAY_BASE_URL ?? "http://localhost:5080/v1",
  apiKey: process.env.LLMGATEWAY_API_KEY ?? "sample-gateway-key",
});

function silenceWav(seconds = 1, sampleRate = 16000) {
  const data = seconds * sampleRate * 2;
  const wav = Buffer.alloc(44 + data);
  wav.write("RIFF", 0);
  wav.writeUInt32LE(36 + data, 4);
  wav.write("WAVEfmt ", 8);
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write("data", 36);
  wav.writeUInt32LE(data, 40);
  return wav;
}

const transcription = await client.audio.transcriptions.create({
  model: "whisper-1",
  file: await toFile(silenceWav(), "silence.wav", { type: "audio/wav" }),
});

console.log(`transcription: ${JSON.stringify(transcription.text)}`);
