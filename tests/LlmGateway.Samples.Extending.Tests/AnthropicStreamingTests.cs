using System.Text;
using Microsoft.Extensions.AI;

namespace LlmGateway.Samples.Extending.Tests;

/// <summary>Streamed chat through the gateway: Anthropic's event stream in, OpenAI chat completion chunks out.</summary>
public sealed class AnthropicStreamingTests : IDisposable
{
    private readonly AnthropicUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task ChatClient_Streaming_SendsStreamTrueAndYieldsTheTextDeltas()
    {
        _upstream.PostReturnsFile("stream-text.sse");
        var chat = _upstream.Gateway.GetChatClient("assistant");

        var text = new StringBuilder();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync("Hello"))
        {
            updates.Add(update);
            text.Append(update.Text);
        }

        var sent = _upstream.SingleRequest().Body;
        sent.Path("stream").GetBoolean().Should().BeTrue();
        sent.Path("messages").ShouldEqualJson("""[{"role":"user","content":"Hello"}]""");
        sent.Has("stream_options").Should().BeFalse("Anthropic has no stream_options; it always reports usage");

        text.ToString().Should().Be("Hello there!");
        updates.Select(u => u.FinishReason).Should().Contain(ChatFinishReason.Stop);
        updates.Select(u => u.ModelId).Should().Contain("claude-sonnet-4-5-20250929");
    }

    [Fact]
    public async Task SendAsync_StreamWithIncludeUsage_YieldsOpenAIChunksAndAUsageChunk()
    {
        _upstream.PostReturnsFile("stream-text.sse");

        await using var response = await _upstream.SendAsync("""
            {"model":"assistant","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hello"}]}
            """);
        var events = await response.ReadEventsAsync();

        response.EndsWithDone.Should().BeTrue("a chat completions stream ends with data: [DONE]");
        events.Should().AllSatisfy(e =>
        {
            e.Path("object").GetString().Should().Be("chat.completion.chunk");
            e.Path("id").GetString().Should().Be("msg_01StreamText");
        });
        events[0].Path("choices", 0, "delta", "role").GetString().Should().Be("assistant");
        events.Where(e => e.Path("choices").GetArrayLength() > 0 && e.Path("choices", 0, "delta").Has("content"))
            .Select(e => e.Path("choices", 0, "delta", "content").GetString())
            .Should().Equal("", "Hello", " there!");
        events.Where(e => e.Path("choices").GetArrayLength() > 0 && e.Path("choices", 0, "finish_reason").ValueKind == System.Text.Json.JsonValueKind.String)
            .Select(e => e.Path("choices", 0, "finish_reason").GetString())
            .Should().Equal("stop");
        var last = events[^1];
        last.Path("choices").GetArrayLength().Should().Be(0);
        last.Path("usage").ShouldEqualJson("""{"prompt_tokens":25,"completion_tokens":15,"total_tokens":40,"prompt_tokens_details":{"cached_tokens":0}}""");
    }

    [Fact]
    public async Task SendAsync_StreamWithoutIncludeUsage_HasNoUsageChunk()
    {
        _upstream.PostReturnsFile("stream-text.sse");

        await using var response = await _upstream.SendAsync("""{"model":"assistant","stream":true,"messages":[{"role":"user","content":"Hello"}]}""");
        var events = await response.ReadEventsAsync();

        events.Should().NotContain(e => e.Has("usage"));
        events[^1].Path("choices", 0, "finish_reason").GetString().Should().Be("stop");
    }

    [Fact]
    public async Task SendAsync_StreamedToolUse_BecomesToolCallDeltas()
    {
        _upstream.PostReturnsFile("stream-tool-use.sse");

        await using var response = await _upstream.SendAsync("""
            {"model":"assistant","stream":true,"messages":[{"role":"user","content":"Weather in Paris?"}],
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}
            """);
        var events = await response.ReadEventsAsync();

        var calls = events.Where(e => e.Path("choices").GetArrayLength() > 0 && e.Path("choices", 0, "delta").Has("tool_calls"))
            .Select(e => e.Path("choices", 0, "delta", "tool_calls", 0)).ToList();
        calls[0].ShouldEqualJson("""{"index":0,"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","type":"function","function":{"name":"get_weather","arguments":""}}""");
        calls.Should().AllSatisfy(c => c.Path("index").GetInt32().Should().Be(0, "the first tool_use block is the first tool call, whatever its block index"));
        string.Concat(calls.Select(c => c.Path("function", "arguments").GetString())).Should().Be("""{"city": "Paris"}""");
        events.Single(e => e.Path("choices").GetArrayLength() > 0 && e.Path("choices", 0, "finish_reason").ValueKind == System.Text.Json.JsonValueKind.String)
            .Path("choices", 0, "finish_reason").GetString().Should().Be("tool_calls");
    }

    [Fact]
    public async Task SendAsync_ErrorEventMidStream_EndsTheStreamWithTheError()
    {
        _upstream.PostReturnsFile("stream-error.sse");

        await using var response = await _upstream.SendAsync("""{"model":"assistant","stream":true,"messages":[{"role":"user","content":"Hello"}]}""");
        var events = new List<System.Text.Json.JsonElement>();
        var act = () => response.ReadEventsAsync(events);

        var thrown = await act.Should().ThrowAsync<LlmGatewayException>();
        thrown.Which.Error.Kind.Should().Be(GatewayErrorKind.StreamInterrupted);
        thrown.Which.Error.Message.Should().Be("Overloaded");
        thrown.Which.Error.Code.Should().Be("overloaded_error");
        events.Should().Contain(e => e.Path("choices").GetArrayLength() > 0 && e.Path("choices", 0, "delta").Has("content")
            && e.Path("choices", 0, "delta", "content").GetString() == "Partial", "what arrived before the error was passed on");
    }

    [Fact]
    public async Task SendAsync_StreamCutBeforeMessageStop_IsNotACleanEnd()
    {
        _upstream.PostReturnsFile("stream-truncated.sse");

        await using var response = await _upstream.SendAsync("""{"model":"assistant","stream":true,"messages":[{"role":"user","content":"Hello"}]}""");
        var act = () => response.ReadEventsAsync();

        (await act.Should().ThrowAsync<LlmGatewayException>()).Which.Error.Message.Should().Contain("message_stop");
    }

    [Fact]
    public async Task ChatClient_StreamErrorBeforeAnyEvent_IsAnErrorStatus()
    {
        _upstream.PostReturns("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", status: 529);
        var chat = _upstream.Gateway.GetChatClient("assistant");

        var act = async () =>
        {
            await foreach (var _ in chat.GetStreamingResponseAsync("Hello"))
            {
            }
        };

        (await act.Should().ThrowAsync<System.ClientModel.ClientResultException>()).Which.Status.Should().Be(503);
    }
}
