"""Embeddings of two inputs. The SDK asks for base64 and decodes it; the gateway passes the encoding through."""

import os

from openai import OpenAI

client = OpenAI(
    base_url=os.environ.get("LLMGATEWAY_BASE_URL", "http://localhost:5080/v1"),
    api_key=os.environ.get("LLMGATEWAY_API_KEY", "sample-gateway-key"),
)

result = client.embeddings.create(
    model="text-embedding-3-small",
    input=["The gateway routes requests.", "Providers answer them."],
)
for item in result.data:
    print(f"embedding {item.index}: {len(item.embedding)} dimensions, starts {item.embedding[:3]}")
print(f"{len(result.data)} embeddings from {result.model}, tokens: {result.usage.total_tokens}")
