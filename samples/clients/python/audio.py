"""Audio: a transcription (a multipart upload the gateway forwards byte for byte) and speech (streamed back as it
arrives, written to a file in the temp folder). The audio to transcribe is one second of silence made here."""

import io
import os
import tempfile
import wave

from openai import OpenAI

client = OpenAI(
    base_url=os.environ.get("LLMGATEWAY_BASE_URL", "http://localhost:5080/v1"),
    api_key=os.environ.get("LLMGATEWAY_API_KEY", "sample-gateway-key"),
)

# One second of 16 kHz, 16-bit mono silence as a WAV file, in memory.
buffer = io.BytesIO()
with wave.open(buffer, "wb") as wav:
    wav.setnchannels(1)
    wav.setsampwidth(2)
    wav.setframerate(16000)
    wav.writeframes(b"\x00\x00" * 16000)

transcription = client.audio.transcriptions.create(
    model="whisper-1",
    file=("silence.wav", buffer.getvalue(), "audio/wav"),
)
print(f"transcription: {transcription.text!r}")

path = os.path.join(tempfile.gettempdir(), "llmgateway-speech.mp3")
with client.audio.speech.with_streaming_response.create(
    model="tts-1",
    voice="alloy",
    input="Hello from the gateway.",
    response_format="mp3",
) as response:
    content_type = response.headers.get("content-type")
    response.stream_to_file(path)
print(f"{os.path.getsize(path)} bytes of {content_type} written to {path}")
