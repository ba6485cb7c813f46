"""The asyncio client: three questions sent concurrently, then a streamed answer read with `async for`."""

import asyncio
import os

from openai import AsyncOpenAI


async def main() -> None:
    async with AsyncOpenAI(
        base_url=os.environ.get("LLMGATEWAY_BASE_URL", "http://localhost:5080/v1"),
        api_key=os.environ.get("LLMGATEWAY_API_KEY", "sample-gateway-key"),
    ) as client:
        questions = ["First question", "Second question", "Third question"]
        answers = await asyncio.gather(
            *(
                client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": q}])
                for q in questions
            )
        )
        for question, answer in zip(questions, answers):
            print(f"{question} -> {answer.choices[0].message.content}")

        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "Stream this sentence back to me"}],
            stream=True,
        )
        async for chunk in stream:
            if chunk.choices:
                print(chunk.choices[0].delta.content or "", end="", flush=True)
        print()


asyncio.run(main())
