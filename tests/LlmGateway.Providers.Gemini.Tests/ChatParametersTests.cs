using System.Text.Json;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary>OpenAI chat parameters → Gemini <c>generationConfig</c>; the refused and the silently dropped ones.</summary>
public sealed class ChatParametersTests : IDisposable
{
    private readonly GeminiUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task SendAsync_SamplingParameters_MapToGenerationConfig()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],
             "temperature":0.3,"top_p":0.9,"max_tokens":256,"stop":"END","n":1,
             "presence_penalty":0.5,"frequency_penalty":-0.25,"seed":42}
            """);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.GetProperty("generationConfig").ShouldEqualJson("""
            {"temperature":0.3,"topP":0.9,"maxOutputTokens":256,"stopSequences":["END"],"candidateCount":1,
             "presencePenalty":0.5,"frequencyPenalty":-0.25,"seed":42}
            """);
        response.Json().Path("choices", 0, "message", "content").GetString().Should().Be("Hello! How can I help you today?");
    }

    [Theory]
    [InlineData("""{"max_tokens":100,"max_completion_tokens":300}""")]
    [InlineData("""{"max_completion_tokens":300,"max_tokens":100}""")]
    public async Task SendAsync_MaxCompletionTokensAndMaxTokens_MaxCompletionTokensWins(string limits)
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");
        var body = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(limits)!;
        body["model"] = Json.Parse("\"gemini-2.5-flash\"");
        body["messages"] = Json.Parse("""[{"role":"user","content":"Hi"}]""");

        var response = await _upstream.ChatAsync(JsonSerializer.Serialize(body));

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.GetProperty("generationConfig").ShouldEqualJson("""{"maxOutputTokens":300}""");
        response.Json().Path("choices", 0, "finish_reason").GetString().Should().Be("stop");
    }

    [Fact]
    public async Task SendAsync_MaxCompletionTokensAlone_BecomesMaxOutputTokens()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":2048}""");

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("generationConfig", "maxOutputTokens").GetInt32().Should().Be(2048);
        response.IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_StopList_BecomesStopSequences()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"stop":["\n\n","STOP HERE"]}""");

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("generationConfig", "stopSequences").ShouldEqualJson("""["\n\n","STOP HERE"]""");
        response.Json().Path("choices", 0, "message", "content").GetString().Should().NotBeEmpty();
    }

    [Fact]
    public async Task SendAsync_N2_SendsCandidateCountAndAnswersTwoChoices()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-two-candidates.json");

        var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Pick a colour"}],"n":2}""");

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("generationConfig", "candidateCount").GetInt32().Should().Be(2);
        var choices = response.Json().GetProperty("choices");
        choices.EnumerateArray().Select(c => c.GetProperty("index").GetInt32()).Should().Equal(0, 1);
        choices.EnumerateArray().Select(c => c.Path("message", "content").GetString()).Should().Equal("Red.", "Blue, because it is calm.");
        choices.EnumerateArray().Select(c => c.GetProperty("finish_reason").GetString()).Should().Equal("stop", "length");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public async Task SendAsync_NOutOfGeminiRange_Is400(int n)
    {
        var response = await _upstream.ChatAsync($$"""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"n":{{n}}}""");

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("n");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_LogprobsAndTopLogprobs_MapToResponseLogprobsAndLogprobs()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath("gemini-2.0-flash"), "generate-logprobs.json");

        var response = await _upstream.ChatAsync("""{"model":"gemini-2.0-flash","messages":[{"role":"user","content":"Yes or no?"}],"logprobs":true,"top_logprobs":2}""", "gemini-2.0-flash");

        _upstream.SingleRequest(GeminiUpstream.GeneratePath("gemini-2.0-flash")).Body.GetProperty("generationConfig")
            .ShouldEqualJson("""{"responseLogprobs":true,"logprobs":2}""");
        response.Json().Path("choices", 0, "logprobs").ShouldEqualJson("""
            {"content":[{"token":"Yes","logprob":-0.0123,"bytes":[89,101,115],
                         "top_logprobs":[{"token":"Yes","logprob":-0.0123,"bytes":[89,101,115]},{"token":"No","logprob":-4.5,"bytes":[78,111]}]}],
             "refusal":null}
            """);
    }

    [Theory]
    [InlineData("none", 0)]
    [InlineData("minimal", 512)]
    [InlineData("low", 1024)]
    [InlineData("medium", 8192)]
    [InlineData("high", 24576)]
    public async Task SendAsync_ReasoningEffortOnGemini25_BecomesThinkingBudget(string effort, int budget)
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync($$"""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"{{effort}}"}""");

        var thinking = _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("generationConfig", "thinkingConfig");
        thinking.GetProperty("thinkingBudget").GetInt32().Should().Be(budget);
        thinking.Has("thinkingLevel").Should().BeFalse("Gemini refuses a request with both a budget and a level");
        response.IsSuccess.Should().BeTrue();
    }

    [Theory]
    [InlineData("low", "low")]
    [InlineData("medium", "medium")]
    [InlineData("high", "high")]
    [InlineData("minimal", "minimal")]
    public async Task SendAsync_ReasoningEffortOnGemini3_BecomesThinkingLevel(string effort, string level)
    {
        // Gemini 3 Flash takes all four levels (3 Pro only low and high).
        const string Model = "gemini-3-flash-preview";
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(Model), "generate-text.json");

        var response = await _upstream.ChatAsync($$"""{"model":"{{Model}}","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"{{effort}}"}""", Model);

        var thinking = _upstream.SingleRequest(GeminiUpstream.GeneratePath(Model)).Body.Path("generationConfig", "thinkingConfig");
        thinking.GetProperty("thinkingLevel").GetString().Should().Be(level);
        thinking.Has("thinkingBudget").Should().BeFalse("Gemini refuses a request with both a budget and a level");
        response.IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_ReasoningEffortNoneOnGemini25Pro_SendsNoBudgetGeminiRejects()
    {
        // 2.5 Pro cannot stop thinking: its budget is 128 to 32768, and Gemini answers a budget of 0 with 400 "Budget 0
        // is invalid. This model only works in thinking mode." The gateway may refuse 'none' itself (400 naming
        // reasoning_effort) or send something Gemini accepts; it must not forward a request that is sure to fail.
        const string Model = "gemini-2.5-pro";
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(Model), "generate-text.json");

        var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-pro","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"none"}""", Model);

        if (response.IsSuccess)
        {
            var config = _upstream.SingleRequest(GeminiUpstream.GeneratePath(Model)).Body.GetProperty("generationConfig");
            if (config.TryGetProperty("thinkingConfig", out var thinking) && thinking.TryGetProperty("thinkingBudget", out var budget))
            {
                budget.GetInt32().Should().BeGreaterThanOrEqualTo(128, "Gemini 2.5 Pro refuses budgets below 128; sent {0}", thinking.GetRawText());
            }
        }
        else
        {
            response.StatusCode.Should().Be(400);
            response.Error!.Param.Should().Be("reasoning_effort");
            _upstream.ShouldHaveNoCalls();
        }
    }

    [Fact]
    public async Task SendAsync_ReasoningEffortOnModelThatDoesNotThink_SendsNoThinkingConfig()
    {
        // gemini-2.0-flash does not think: Gemini answers any thinkingConfig with 400 "Unable to submit request because
        // thinking is not supported by this model". Dropping the hint or refusing it with a 400 naming it are both fine.
        const string Model = "gemini-2.0-flash";
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(Model), "generate-text.json");

        var response = await _upstream.ChatAsync("""{"model":"gemini-2.0-flash","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"low"}""", Model);

        if (response.IsSuccess)
        {
            var config = _upstream.SingleRequest(GeminiUpstream.GeneratePath(Model)).Body.GetProperty("generationConfig");
            config.Has("thinkingConfig").Should().BeFalse("Gemini refuses thinkingConfig for a model that does not think; sent {0}", config.GetRawText());
        }
        else
        {
            response.StatusCode.Should().Be(400);
            response.Error!.Param.Should().Be("reasoning_effort");
            _upstream.ShouldHaveNoCalls();
        }
    }

    [Fact]
    public async Task SendAsync_UnknownReasoningEffort_Is400()
    {
        var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"extreme"}""");

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("reasoning_effort");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_ResponseFormatJsonObject_SetsResponseMimeTypeOnly()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-json-object.json");

        var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"JSON please"}],"response_format":{"type":"json_object"}}""");

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.GetProperty("generationConfig").ShouldEqualJson("""{"responseMimeType":"application/json"}""");
        Json.Parse(response.Json().Path("choices", 0, "message", "content").GetString()!).ShouldEqualJson("""{"ok":true}""");
    }

    [Fact]
    public async Task SendAsync_ResponseFormatJsonSchema_SendsTheReducedSchema()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync("""
            {"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Extract"}],
             "response_format":{"type":"json_schema","json_schema":{"name":"person","strict":true,"schema":{
               "$schema":"http://json-schema.org/draft-07/schema#",
               "type":"object","additionalProperties":false,
               "properties":{"name":{"type":"string"},"nickname":{"type":["string","null"]},"age":{"type":"integer","format":"int32"}},
               "required":["name","nickname","age"]}}}}
            """);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.GetProperty("generationConfig").ShouldEqualJson("""
            {"responseMimeType":"application/json",
             "responseSchema":{"type":"object",
               "properties":{"name":{"type":"string"},"nickname":{"type":"string","nullable":true},"age":{"type":"integer","format":"int32"}},
               "required":["name","nickname","age"]}}
            """);
        response.IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_ResponseFormatJsonSchemaWithoutSchema_Is400()
    {
        var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x"}}}""");

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("response_format.json_schema.schema");
        _upstream.ShouldHaveNoCalls();
    }

    [Theory]
    [InlineData("logit_bias", """{"50256":-100}""")]
    [InlineData("audio", """{"voice":"alloy","format":"wav"}""")]
    [InlineData("web_search_options", """{"search_context_size":"low"}""")]
    [InlineData("functions", """[{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]""")]
    [InlineData("function_call", "\"auto\"")]
    [InlineData("modalities", """["text","audio"]""")]
    public async Task SendAsync_UnsupportedParameter_Is400NamingItWithoutCallingGemini(string name, string value)
    {
        var response = await _upstream.ChatAsync($$"""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"{{name}}":{{value}}}""");

        response.IsSuccess.Should().BeFalse();
        response.StatusCode.Should().Be(400);
        response.Error!.Type.Should().Be("invalid_request_error");
        response.Error.Param.Should().Be(name);
        response.Error.Code.Should().Be("unsupported_parameter");
        response.Error.Message.Should().Contain(name);
        _upstream.ShouldHaveNoCalls();
    }

    [Theory]
    [InlineData("user", "\"user-7781\"")]
    [InlineData("metadata", """{"trace":"meta-7781"}""")]
    [InlineData("store", "true")]
    [InlineData("service_tier", "\"flex-7781\"")]
    public async Task SendAsync_BookkeepingParameter_IsDroppedSilently(string name, string value)
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync($$"""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"{{name}}":{{value}}}""");

        var sent = _upstream.SingleRequest(GeminiUpstream.GeneratePath());
        sent.Body.PropertyNames().Should().BeEquivalentTo("contents", "generationConfig");
        sent.Body.GetProperty("generationConfig").ShouldEqualJson("{}");
        sent.Message.Body.Should().NotContain("7781");
        response.Json().Path("choices", 0, "message", "content").GetString().Should().Be("Hello! How can I help you today?");
    }

    [Fact]
    public async Task SendAsync_CachedContent_BecomesCachedContentResourceName()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-thinking-usage.json");

        var response = await _upstream.ChatAsync("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"cached_content":"abc123"}""");

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.GetProperty("cachedContent").GetString().Should().Be("cachedContents/abc123");
        response.Json().Path("usage", "prompt_tokens_details", "cached_tokens").GetInt32().Should().Be(1024);
    }
}
