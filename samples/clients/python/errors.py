"""Errors: every failure comes back in OpenAI's envelope {"error":{"message","type","param","code"}}, so the SDK
raises its usual exceptions with the status, code and type filled in."""

import os

import openai
from openai import OpenAI

base_url = os.environ.get("LLMGATEWAY_BASE_URL", "http://localhost:5080/v1")
client = OpenAI(base_url=base_url, api_key=os.environ.get("LLMGATEWAY_API_KEY", "sample-gateway-key"))

# A model the gateway does not serve: 404 model_not_found.
try:
    client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "Hi"}])
    raise SystemExit("expected a 404 for an unknown model")
except openai.NotFoundError as err:
    print(f"unknown model: {err.status_code} {err.type} {err.code} (param {err.param}), request id {err.request_id}")
    print(f"  envelope: {{'error': {err.body}}}")

# A key the gateway does not know: 401 invalid_api_key (in Auth mode None, the default of the thin host's
# appsettings.json, every key is accepted on loopback).
stranger = OpenAI(base_url=base_url, api_key="not-a-gateway-key", max_retries=0)
try:
    stranger.models.list()
    print("wrong key: accepted (the gateway runs in Auth mode None)")
except openai.AuthenticationError as err:
    print(f"wrong key: {err.status_code} {err.code}: {err.message}")
