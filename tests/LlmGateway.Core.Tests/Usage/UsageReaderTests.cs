using System.Text;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Usage;

public class UsageReaderTests
{
    // A chat completion as OpenAI returns it (o-series model: cached prompt tokens and reasoning tokens reported).
    private const string ChatCompletion = """
        {
          "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
          "object": "chat.completion",
          "created": 1741570283,
          "model": "o3-mini-2025-01-31",
          "choices": [
            {
              "index": 0,
              "message": {
                "role": "assistant",
                "content": "The \"usage\" of a word: {\"usage\": {\"prompt_tokens\": 999}}",
                "refusal": null,
                "annotations": []
              },
              "logprobs": null,
              "finish_reason": "stop"
            }
          ],
          "usage": {
            "prompt_tokens": 1117,
            "completion_tokens": 946,
            "total_tokens": 2063,
            "prompt_tokens_details": { "cached_tokens": 1024, "audio_tokens": 0 },
            "completion_tokens_details": {
              "reasoning_tokens": 704,
              "audio_tokens": 0,
              "accepted_prediction_tokens": 0,
              "rejected_prediction_tokens": 0
            }
          },
          "service_tier": "default",
          "system_fingerprint": "fp_fc9f1d7035"
        }
        """;

    private const string Embeddings = """
        {
          "object": "list",
          "data": [
            { "object": "embedding", "index": 0, "embedding": [0.0023064255, -0.009327292, -0.0028842222] },
            { "object": "embedding", "index": 1, "embedding": [0.0011, 0.0022, 0.0033] }
          ],
          "model": "text-embedding-3-small",
          "usage": { "prompt_tokens": 8, "total_tokens": 8 }
        }
        """;

    private const string ResponsesObject = """
        {
          "id": "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41",
          "object": "response",
          "created_at": 1741476777,
          "status": "completed",
          "error": null,
          "instructions": null,
          "model": "gpt-4o-2024-08-06",
          "output": [
            {
              "type": "message",
              "id": "msg_67ccd3acc8d48190a77525dc6de64b4104becb25c45c1d41",
              "status": "completed",
              "role": "assistant",
              "content": [ { "type": "output_text", "text": "A lone unicorn.", "annotations": [] } ]
            }
          ],
          "parallel_tool_calls": true,
          "reasoning": { "effort": null, "summary": null },
          "tools": [],
          "usage": {
            "input_tokens": 328,
            "input_tokens_details": { "cached_tokens": 256 },
            "output_tokens": 52,
            "output_tokens_details": { "reasoning_tokens": 12 },
            "total_tokens": 380
          },
          "user": null,
          "metadata": {}
        }
        """;

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void FromBody_ChatCompletionWithDetails_ReadsAllFourCounts()
    {
        var usage = UsageReader.FromBody(Utf8(ChatCompletion));

        usage.Should().Be(new UsageCounts(1117, 946, 1024, 704));
        usage!.Value.TotalTokens.Should().Be(2063);
    }

    [Fact]
    public void FromBody_EmbeddingsBody_ReadsPromptTokensAndNoCompletion()
    {
        UsageReader.FromBody(Utf8(Embeddings)).Should().Be(new UsageCounts(8, 0, 0, 0));
    }

    [Fact]
    public void FromBody_ResponsesObject_ReadsInputOutputCachedAndReasoning()
    {
        UsageReader.FromBody(Utf8(ResponsesObject)).Should().Be(new UsageCounts(328, 52, 256, 12));
    }

    [Fact]
    public void FromBody_UsageBeforeOtherMembers_IsFound()
    {
        var body = """{"usage":{"prompt_tokens":3,"completion_tokens":4},"choices":[{"message":{"content":"x"}}]}""";

        UsageReader.FromBody(Utf8(body)).Should().Be(new UsageCounts(3, 4, 0, 0));
    }

    [Fact]
    public void FromBody_UsageInsideAMessage_IsNotTakenForTheTopLevelUsage()
    {
        var body = """{"choices":[{"message":{"usage":{"prompt_tokens":999,"completion_tokens":999}}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}""";

        UsageReader.FromBody(Utf8(body)).Should().Be(new UsageCounts(1, 2, 0, 0));
    }

    [Theory]
    [InlineData("""{"id":"x","usage":null}""")]
    [InlineData("""{"id":"x"}""")]
    [InlineData("""{"usage":{}}""")]
    [InlineData("""{"usage":{"total_tokens":5}}""")]
    [InlineData("""{"usage":7}""")]
    [InlineData("""[{"usage":{"prompt_tokens":1}}]""")]
    [InlineData("null")]
    [InlineData("")]
    public void FromBody_NoUsageReported_ReturnsNull(string body)
    {
        UsageReader.FromBody(Utf8(body)).Should().BeNull();
    }

    [Theory]
    [InlineData("""{"choices":[{"message":{"content":"trunc""")]
    [InlineData("""{"choices":[}],"usage":{"prompt_tokens":1,"completion_tokens":2}}""")]
    [InlineData("""{"usage":{"prompt_tokens":1,"completion_tokens":""")]
    [InlineData("""{"usage":{"prompt_tokens":1 "completion_tokens":2}}""")]
    [InlineData("not json at all")]
    [InlineData("{\"usage\":{\"prompt_tokens\":\u0001}}")]
    public void FromBody_MalformedJson_ReturnsNullWithoutThrowing(string body)
    {
        UsageReader.FromBody(Utf8(body)).Should().BeNull();
    }

    [Fact]
    public void FromBody_MissingOrNullDetails_CountZero()
    {
        var body = """{"usage":{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":null,"completion_tokens_details":{}}}""";

        UsageReader.FromBody(Utf8(body)).Should().Be(new UsageCounts(10, 5, 0, 0));
    }

    [Fact]
    public void FromBody_NullCountsAndUnexpectedValues_CountZero()
    {
        var body = """{"usage":{"prompt_tokens":null,"completion_tokens":-4,"prompt_tokens_details":{"cached_tokens":[1,2]},"extra":{"a":[{}]}}}""";

        UsageReader.FromBody(Utf8(body)).Should().Be(new UsageCounts(0, 0, 0, 0));
    }

    [Fact]
    public void FromBody_FloatingPointCounts_AreTruncated()
    {
        var body = """{"usage":{"prompt_tokens":12.0,"completion_tokens":1e3}}""";

        UsageReader.FromBody(Utf8(body)).Should().Be(new UsageCounts(12, 1000, 0, 0));
    }

    [Fact]
    public void FromChunk_UsageOnlyChunk_ReturnsUsageAndIsUsageOnly()
    {
        var chunk = """
            {"id":"chatcmpl-AZz","object":"chat.completion.chunk","created":1732000000,"model":"gpt-4o-mini-2024-07-18",
             "system_fingerprint":"fp_0705bf87c0","choices":[],
             "usage":{"prompt_tokens":2048,"completion_tokens":31,"total_tokens":2079,
                      "prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},
                      "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}
            """;

        var usage = UsageReader.FromChunk(Utf8(chunk), out var isUsageOnly);

        usage.Should().Be(new UsageCounts(2048, 31, 1920, 0));
        isUsageOnly.Should().BeTrue();
    }

    [Fact]
    public void FromChunk_ContentChunkWithNullUsage_ReturnsNull()
    {
        var chunk = """{"id":"chatcmpl-AZz","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null}""";

        var usage = UsageReader.FromChunk(Utf8(chunk), out var isUsageOnly);

        usage.Should().BeNull();
        isUsageOnly.Should().BeFalse();
    }

    [Fact]
    public void FromChunk_UsageOnAChunkWithChoices_ReturnsUsageButIsNotUsageOnly()
    {
        var chunk = """{"usage":{"prompt_tokens":5,"completion_tokens":6},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""";

        var usage = UsageReader.FromChunk(Utf8(chunk), out var isUsageOnly);

        usage.Should().Be(new UsageCounts(5, 6, 0, 0));
        isUsageOnly.Should().BeFalse();
    }

    [Theory]
    [InlineData("""{"choices":[],"usage":null}""")]
    [InlineData("""{"choices":[]}""")]
    [InlineData("""{"usage":{"prompt_tokens":1,"completion_tokens":1}}""")]
    [InlineData("""{"choices":null,"usage":{"prompt_tokens":1,"completion_tokens":1}}""")]
    public void FromChunk_NotBothEmptyChoicesAndUsageObject_IsNotUsageOnly(string chunk)
    {
        UsageReader.FromChunk(Utf8(chunk), out var isUsageOnly);

        isUsageOnly.Should().BeFalse();
    }

    [Fact]
    public void FromChunk_UsageBeforeEmptyChoices_IsUsageOnly()
    {
        var usage = UsageReader.FromChunk(Utf8("""{"usage":{"prompt_tokens":1,"completion_tokens":2},"choices":[ ]}"""), out var isUsageOnly);

        usage.Should().Be(new UsageCounts(1, 2, 0, 0));
        isUsageOnly.Should().BeTrue();
    }

    [Theory]
    [InlineData("""{"choices":[],"usage":{"prompt_tokens":1,""")]
    [InlineData("[DONE]")]
    [InlineData("")]
    public void FromChunk_Malformed_ReturnsNullAndNotUsageOnly(string chunk)
    {
        var usage = UsageReader.FromChunk(Utf8(chunk), out var isUsageOnly);

        usage.Should().BeNull();
        isUsageOnly.Should().BeFalse();
    }

    [Theory]
    [InlineData("response.completed")]
    [InlineData("response.incomplete")]
    [InlineData("response.failed")]
    public void FromResponsesEvent_FinalEvent_ReadsResponseUsage(string type)
    {
        var data = """
            {"type":"TYPE","sequence_number":42,"response":{"id":"resp_1","object":"response","status":"completed",
             "output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"\"usage\":{}"}]}],
             "usage":{"input_tokens":37,"input_tokens_details":{"cached_tokens":0},"output_tokens":11,
                      "output_tokens_details":{"reasoning_tokens":0},"total_tokens":48}}}
            """.Replace("TYPE", type, StringComparison.Ordinal);

        UsageReader.FromResponsesEvent(Utf8(data)).Should().Be(new UsageCounts(37, 11, 0, 0));
    }

    [Fact]
    public void FromResponsesEvent_TypeAfterResponse_StillReadsUsage()
    {
        var data = """{"response":{"usage":{"input_tokens":3,"output_tokens":4,"input_tokens_details":{"cached_tokens":2}},"status":"completed"},"type":"response.completed"}""";

        UsageReader.FromResponsesEvent(Utf8(data)).Should().Be(new UsageCounts(3, 4, 2, 0));
    }

    [Theory]
    [InlineData("""{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi","sequence_number":5}""")]
    [InlineData("""{"type":"response.created","response":{"id":"resp_1","status":"in_progress","usage":null}}""")]
    [InlineData("""{"type":"response.in_progress","response":{"usage":{"input_tokens":3,"output_tokens":4}}}""")]
    [InlineData("""{"response":{"usage":{"input_tokens":3,"output_tokens":4}},"type":"response.in_progress"}""")]
    [InlineData("""{"response":{"usage":{"input_tokens":3,"output_tokens":4}}}""")]
    [InlineData("""{"type":"response.completed","response":{"usage":null}}""")]
    [InlineData("""{"type":"response.completed","usage":{"input_tokens":3,"output_tokens":4}}""")]
    [InlineData("""{"type":"response.completed","response":{"usage":{"input_tokens":3,""")]
    [InlineData("""{"type":7}""")]
    public void FromResponsesEvent_NoFinalUsage_ReturnsNull(string data)
    {
        UsageReader.FromResponsesEvent(Utf8(data)).Should().BeNull();
    }
}
