using System.Text.Json;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary>Gemini's <c>streamGenerateContent?alt=sse</c> events → OpenAI <c>chat.completion.chunk</c> events.</summary>
public sealed class StreamingTests : IDisposable
{
    private const string Tools = """
        [{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]
        """;

    private readonly GeminiUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task SendAsync_StreamWithLfFraming_YieldsRoleThenContentDeltasThenFinishReason()
    {
        _upstream.PostReturnsFile(GeminiUpstream.StreamPath(), "stream-text.sse");

        await using var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Say hello"}]}""", stream: true);
        var events = await response.ReadEventsAsync();

        var sent = _upstream.SingleRequest(GeminiUpstream.StreamPath());
        sent.Message.Query!["alt"].Should().Equal("sse");
        sent.Body.GetProperty("contents").ShouldEqualJson("""[{"role":"user","parts":[{"text":"Say hello"}]}]""");
        sent.Body.Has("stream").Should().BeFalse();
        events.Should().HaveCount(3, "no usage chunk unless stream_options.include_usage asks for it");
        events.Should().AllSatisfy(e =>
        {
            e.GetProperty("id").GetString().Should().Be("chatcmpl-c3RyZWFtLWxm");
            e.GetProperty("object").GetString().Should().Be("chat.completion.chunk");
            e.GetProperty("created").GetInt64().Should().Be(GeminiUpstream.Now.ToUnixTimeSeconds());
            e.GetProperty("model").GetString().Should().Be("gemini-2.5-flash");
            e.Has("usage").Should().BeFalse();
        });
        events.Select(e => e.GetProperty("choices")).Should().SatisfyRespectively(
            first => first.ShouldEqualJson("""[{"index":0,"delta":{"role":"assistant","content":"Hello"},"logprobs":null,"finish_reason":null}]"""),
            second => second.ShouldEqualJson("""[{"index":0,"delta":{"content":", world"},"logprobs":null,"finish_reason":null}]"""),
            last => last.ShouldEqualJson("""[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":"stop"}]"""));
    }

    [Fact]
    public async Task SendAsync_StreamWithCrlfFramingAndIncludeUsage_EndsWithAUsageChunkWithEmptyChoices()
    {
        GeminiUpstream.TestData("stream-text-crlf.sse").Should().Contain("\r\n\r\n", "this file keeps Gemini's CRLF framing");
        _upstream.PostReturnsFile(GeminiUpstream.StreamPath(), "stream-text-crlf.sse");

        await using var response = await _upstream.ChatAsync(
            """{"model":"gemini-2.5-flash","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Salut"}]}""",
            stream: true);
        var events = await response.ReadEventsAsync();

        var sent = _upstream.SingleRequest(GeminiUpstream.StreamPath());
        sent.Message.Query!["alt"].Should().Equal("sse");
        sent.Body.Has("stream_options").Should().BeFalse();
        sent.Body.GetProperty("generationConfig").ShouldEqualJson("{}");
        events.Should().HaveCount(3);
        events.Take(2).Select(e => e.Path("choices", 0, "delta", "content").GetString()).Should().Equal("Bonjour", " le monde");
        events[0].Path("choices", 0, "delta", "role").GetString().Should().Be("assistant");
        events[1].Path("choices", 0, "delta").Has("role").Should().BeFalse("the role comes in the first delta only");
        events[1].Path("choices", 0, "finish_reason").GetString().Should().Be("stop");
        events[2].GetProperty("choices").GetArrayLength().Should().Be(0);
        events[2].GetProperty("id").GetString().Should().Be("chatcmpl-c3RyZWFtLWNybGY");
        events[2].GetProperty("usage").ShouldEqualJson("""
            {"prompt_tokens":5,"completion_tokens":11,"total_tokens":16,
             "prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":8}}
            """);
    }

    [Fact]
    public async Task SendAsync_StreamedFunctionCalls_BecomeToolCallDeltasWithIndexes()
    {
        _upstream.PostReturnsFile(GeminiUpstream.StreamPath(), "stream-function-calls.sse");

        await using var response = await _upstream.ChatAsync($$"""{"model":"gemini-2.5-flash","stream":true,"tools":{{Tools}},"messages":[{"role":"user","content":"Weather in Tokyo and Osaka?"}]}""", stream: true);
        var events = await response.ReadEventsAsync();

        _upstream.SingleRequest(GeminiUpstream.StreamPath()).Body.Path("tools", 0, "functionDeclarations", 0, "name").GetString().Should().Be("get_weather");
        var choice = events.Should().ContainSingle().Subject.Path("choices", 0);
        choice.GetProperty("finish_reason").GetString().Should().Be("tool_calls");
        choice.Path("delta", "role").GetString().Should().Be("assistant");
        var calls = choice.Path("delta", "tool_calls").EnumerateArray().ToArray();
        calls.Select(c => c.GetProperty("index").GetInt32()).Should().Equal(0, 1);
        calls.Select(c => c.GetProperty("type").GetString()).Should().Equal("function", "function");
        calls.Select(c => c.GetProperty("id").GetString()).Should().OnlyHaveUniqueItems().And.AllSatisfy(id => id.Should().NotBeNullOrEmpty());
        calls.Select(c => c.Path("function", "name").GetString()).Should().Equal("get_weather", "get_weather");
        Json.Parse(calls[0].Path("function", "arguments").GetString()!).ShouldEqualJson("""{"city":"Tokyo"}""");
        Json.Parse(calls[1].Path("function", "arguments").GetString()!).ShouldEqualJson("""{"city":"Osaka"}""");
        calls[0].Path("extra_content", "google", "thought_signature").GetString().Should().Be("CikBcsjafFK168IbtVtoxVV0Tsn8O+eU45rzJahzwuKGmMbdMdfpmNpgBwplAXLI2nyA");
        calls[1].Has("extra_content").Should().BeFalse();
    }

    [Fact]
    public async Task SendAsync_StreamedFunctionCallsWithParallelToolCallsFalse_KeepsOnlyTheFirst()
    {
        _upstream.PostReturnsFile(GeminiUpstream.StreamPath(), "stream-function-calls.sse");

        await using var response = await _upstream.ChatAsync(
            $$"""{"model":"gemini-2.5-flash","stream":true,"parallel_tool_calls":false,"tools":{{Tools}},"messages":[{"role":"user","content":"Weather?"}]}""",
            stream: true);
        var events = await response.ReadEventsAsync();

        _upstream.SingleRequest(GeminiUpstream.StreamPath()).Body.Has("parallel_tool_calls").Should().BeFalse();
        var calls = events.Should().ContainSingle().Subject.Path("choices", 0, "delta", "tool_calls");
        calls.GetArrayLength().Should().Be(1);
        calls.Path(0, "index").GetInt32().Should().Be(0);
    }

    [Fact]
    public async Task SendAsync_StreamCutBeforeFinishReason_ThrowsStreamInterruptedAfterYieldingWhatCame()
    {
        _upstream.PostReturnsFile(GeminiUpstream.StreamPath(), "stream-cut.sse");

        await using var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Tell a story"}]}""", stream: true);
        var events = new List<JsonElement>();
        var read = async () => await response.ReadEventsAsync(events);

        var thrown = await read.Should().ThrowAsync<LlmGatewayException>();
        thrown.Which.Error.Kind.Should().Be(GatewayErrorKind.StreamInterrupted);
        thrown.Which.Error.StatusCode.Should().Be(502);
        thrown.Which.Error.Code.Should().Be("stream_interrupted");
        _upstream.SingleRequest(GeminiUpstream.StreamPath()).Body.Path("contents", 0, "role").GetString().Should().Be("user");
        events.Select(e => e.Path("choices", 0, "delta", "content").GetString()).Should().Equal("Once upon", " a time");
        events.Should().AllSatisfy(e => e.Path("choices", 0, "finish_reason").ValueKind.Should().Be(JsonValueKind.Null));
    }

    [Fact]
    public async Task SendAsync_ErrorEventMidStream_ThrowsTheTranslatedErrorAfterYieldingWhatCame()
    {
        _upstream.PostReturnsFile(GeminiUpstream.StreamPath(), "stream-error.sse");

        await using var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Hi"}]}""", stream: true);
        var events = new List<JsonElement>();
        var read = async () => await response.ReadEventsAsync(events);

        var thrown = await read.Should().ThrowAsync<LlmGatewayException>();
        _upstream.SingleRequest(GeminiUpstream.StreamPath()).Body.Path("contents", 0, "role").GetString().Should().Be("user");
        events.Should().ContainSingle().Which.Path("choices", 0, "delta", "content").GetString().Should().Be("Partial");
        thrown.Which.Error.Kind.Should().Be(GatewayErrorKind.StreamInterrupted, "after the first event a failure is a stream error");
        thrown.Which.Error.Message.Should().Be("The model is overloaded. Please try again later.");
        thrown.Which.Error.Code.Should().Be("unavailable");
    }

    [Fact]
    public async Task SendAsync_StreamRefusedBeforeTheFirstEvent_IsAnOrdinaryErrorResponse()
    {
        _upstream.PostReturnsFile(GeminiUpstream.StreamPath(), "error-invalid-argument.json", 400);

        await using var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Hi"}]}""", stream: true);

        _upstream.SingleRequest(GeminiUpstream.StreamPath()).Message.Query!["alt"].Should().Equal("sse");
        response.Events.Should().BeNull();
        response.StatusCode.Should().Be(400);
        response.Error!.Type.Should().Be("invalid_request_error");
        response.Error.Code.Should().Be("invalid_argument");
        response.Error.Message.Should().Contain("max_output_tokens");
    }

    [Fact]
    public async Task SendAsync_StreamWhosePromptIsBlocked_ThrowsContentFilter()
    {
        _upstream.PostReturnsFile(GeminiUpstream.StreamPath(), "stream-prompt-blocked.sse");

        await using var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Hi"}]}""", stream: true);
        var events = new List<JsonElement>();
        var read = async () => await response.ReadEventsAsync(events);

        var thrown = await read.Should().ThrowAsync<LlmGatewayException>();
        _upstream.SingleRequest(GeminiUpstream.StreamPath()).Body.Path("contents", 0, "role").GetString().Should().Be("user");
        events.Should().BeEmpty();
        thrown.Which.Error.Code.Should().Be("content_filter");
        thrown.Which.Error.StatusCode.Should().Be(400);
    }
}
