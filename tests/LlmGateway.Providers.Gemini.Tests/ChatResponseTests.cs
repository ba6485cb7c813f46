using System.Text.Json;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary>Gemini <c>GenerateContentResponse</c> → OpenAI <c>chat.completion</c>.</summary>
public sealed class ChatResponseTests : IDisposable
{
    private const string Chat = """{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]}""";

    private readonly GeminiUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    private void SentChatShouldBeHi() =>
        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.GetProperty("contents").ShouldEqualJson("""[{"role":"user","parts":[{"text":"Hi"}]}]""");

    [Fact]
    public async Task SendAsync_TextAnswer_IsAChatCompletionWithIdCreatedModelAndUsage()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync(Chat);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Hi");
        response.ContentType.Should().BeNull("null means application/json");
        var body = response.Json();
        body.GetProperty("id").GetString().Should().Be("chatcmpl-Tz1uaJ2gL9SUz7IPx-3v4A0");
        body.GetProperty("object").GetString().Should().Be("chat.completion");
        body.GetProperty("created").GetInt64().Should().Be(GeminiUpstream.Now.ToUnixTimeSeconds());
        body.GetProperty("model").GetString().Should().Be("gemini-2.5-flash");
        body.GetProperty("choices").ShouldEqualJson("""
            [{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}]
            """);
        body.GetProperty("usage").ShouldEqualJson("""
            {"prompt_tokens":6,"completion_tokens":9,"total_tokens":15,
             "prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}
            """);
    }

    [Theory]
    [InlineData("generate-text.json", "stop")]
    [InlineData("finish-max-tokens.json", "length")]
    [InlineData("finish-safety.json", "content_filter")]
    [InlineData("finish-recitation.json", "content_filter")]
    [InlineData("finish-prohibited-content.json", "content_filter")]
    public async Task SendAsync_FinishReason_MapsToOpenAIFinishReason(string file, string expected)
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), file);

        var response = await _upstream.ChatAsync(Chat);

        SentChatShouldBeHi();
        var choice = response.Json().Path("choices", 0);
        choice.GetProperty("finish_reason").GetString().Should().Be(expected);
        choice.Path("message", "content").ValueKind.Should().Be(JsonValueKind.String, "a blocked candidate still has a (possibly empty) content string");
    }

    [Fact]
    public async Task SendAsync_MaxTokens_KeepsThePartialText()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "finish-max-tokens.json");

        var response = await _upstream.ChatAsync(Chat);

        SentChatShouldBeHi();
        response.Json().Path("choices", 0, "message", "content").GetString().Should().Be("The first three prime numbers are 2, 3 and");
    }

    [Fact]
    public async Task SendAsync_MalformedFunctionCall_Is502WithCodeMalformedFunctionCall()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-malformed-function-call.json");

        var response = await _upstream.ChatAsync(Chat);

        SentChatShouldBeHi();
        response.IsSuccess.Should().BeFalse();
        response.StatusCode.Should().Be(502);
        response.Error!.Code.Should().Be("malformed_function_call");
        response.Error.Type.Should().Be("server_error");
        response.Error.Message.Should().Contain("MALFORMED_FUNCTION_CALL").And.Contain("print(default_api.get_weather");
    }

    [Fact]
    public async Task SendAsync_PromptBlocked_Is400ContentFilter()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-prompt-blocked.json");

        var response = await _upstream.ChatAsync(Chat);

        SentChatShouldBeHi();
        response.StatusCode.Should().Be(400);
        response.Error!.Type.Should().Be("invalid_request_error");
        response.Error.Code.Should().Be("content_filter");
        response.Error.Param.Should().Be("messages");
        response.Error.Message.Should().Contain("PROHIBITED_CONTENT");
    }

    [Fact]
    public async Task SendAsync_ThinkingAndCachedTokens_AreReportedInUsageDetails()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-thinking-usage.json");

        var response = await _upstream.ChatAsync(Chat);

        SentChatShouldBeHi();
        response.Json().GetProperty("usage").ShouldEqualJson("""
            {"prompt_tokens":1200,"completion_tokens":129,"total_tokens":1329,
             "prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":122}}
            """);
    }

    [Fact]
    public async Task SendAsync_ThoughtParts_BecomeReasoningContentNotContent()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-thinking-usage.json");

        var response = await _upstream.ChatAsync(Chat);

        SentChatShouldBeHi();
        var message = response.Json().Path("choices", 0, "message");
        message.GetProperty("content").GetString().Should().Be("2 + 2 = 4.");
        message.GetProperty("reasoning_content").GetString().Should().Be("**Adding the numbers**\n\nTwo plus two is a basic sum.");
    }

    [Fact]
    public async Task SendAsync_TwoCandidates_BecomeTwoChoices()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-two-candidates.json");

        var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Pick"}],"n":2}""");

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("generationConfig", "candidateCount").GetInt32().Should().Be(2);
        response.Json().GetProperty("choices").ShouldEqualJson("""
            [{"index":0,"message":{"role":"assistant","content":"Red.","refusal":null},"logprobs":null,"finish_reason":"stop"},
             {"index":1,"message":{"role":"assistant","content":"Blue, because it is calm.","refusal":null},"logprobs":null,"finish_reason":"length"}]
            """);
    }

    [Fact]
    public async Task SendAsync_AnswerWithoutResponseIdOrModelVersion_StillHasAnIdAndTheRequestedModel()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-minimal.json");

        var response = await _upstream.ChatAsync(Chat);

        SentChatShouldBeHi();
        var body = response.Json();
        body.GetProperty("id").GetString().Should().StartWith("chatcmpl-").And.HaveLength("chatcmpl-".Length + 24);
        body.GetProperty("model").GetString().Should().Be("gemini-2.5-flash");
        body.Has("usage").Should().BeFalse();
    }

    [Fact]
    public async Task SendAsync_SuccessBodyThatIsNotJson_Is502InvalidResponse()
    {
        _upstream.PostReturns(GeminiUpstream.GeneratePath(), "<html>upstream proxy</html>", contentType: "text/html");

        var response = await _upstream.ChatAsync(Chat);

        SentChatShouldBeHi();
        response.StatusCode.Should().Be(502);
        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamInvalidResponse);
        response.Error.Code.Should().Be("upstream_invalid_response");
    }
}
