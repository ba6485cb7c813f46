"""Bring your own key (gateway Auth mode Hybrid): the SDK's API key is the gateway key, and the caller's own provider
key rides in the x-llmgateway-provider-key header; the gateway sends it upstream for this call only, never stores or
logs it. The stand-in upstream logs a fingerprint of the key it receives: compare it with the one printed here."""

import hashlib
import os

from openai import OpenAI

provider_key = os.environ.get("LLMGATEWAY_PROVIDER_KEY", "sk-my-own-provider-key")
client = OpenAI(
    base_url=os.environ.get("LLMGATEWAY_BASE_URL", "http://localhost:5080/v1"),
    api_key=os.environ.get("LLMGATEWAY_API_KEY", "sample-gateway-key"),
    default_headers={"x-llmgateway-provider-key": provider_key},
)

completion = client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "Billed to my own key"}],
)
print(completion.choices[0].message.content)
fingerprint = hashlib.sha256(provider_key.encode()).hexdigest()[:12]
print(f"sent provider key sha256:{fingerprint} (the stand-in logs key=sha256:{fingerprint})")
