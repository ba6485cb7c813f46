using System.Text.Json;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary>Tools, tool choice, function calls in answers and tool results in history, with thought signatures.</summary>
public sealed class ChatToolsTests : IDisposable
{
    private const string Tools = """
        [{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
         {"type":"function","function":{"name":"get_time","description":"Time in a zone","parameters":{"type":"object","properties":{"timezone":{"type":"string"}},"required":["timezone"]}}}]
        """;

    private readonly GeminiUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task SendAsync_Tools_BecomeFunctionDeclarationsWithReducedSchemas()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-function-calls.json");

        var response = await _upstream.ChatAsync(Fill("""
            {"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Weather?"}],"tools":[
              {"type":"function","function":{"name":"get_weather","description":"Weather for a city","strict":true,"parameters":{
                "$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
                "properties":{
                  "city":{"type":"string","description":"City name"},
                  "unit":{"$ref":"#/$defs/unit"},
                  "when":{"type":["string","null"],"format":"date-time"},
                  "mode":{"oneOf":[{"type":"string","const":"fast"},{"type":"integer","minimum":1}]}},
                "required":["city","unit","when","mode"],
                "$defs":{"unit":{"type":"string","enum":["celsius","fahrenheit"]}}}}},
              {"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{}}}}]}
            """));

        var sent = _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body;
        sent.GetProperty("tools").ShouldEqualJson("""
            [{"functionDeclarations":[
              {"name":"get_weather","description":"Weather for a city","parameters":{
                "type":"object",
                "properties":{
                  "city":{"type":"string","description":"City name"},
                  "unit":{"type":"string","enum":["celsius","fahrenheit"]},
                  "when":{"type":"string","nullable":true,"format":"date-time"},
                  "mode":{"anyOf":[{"type":"string","enum":["fast"]},{"type":"integer","minimum":1}]}},
                "required":["city","unit","when","mode"]}},
              {"name":"get_time"}]}]
            """);
        sent.Has("toolConfig").Should().BeFalse();
        response.Json().Path("choices", 0, "finish_reason").GetString().Should().Be("tool_calls");
    }

    [Theory]
    [InlineData("\"auto\"", """{"mode":"AUTO"}""")]
    [InlineData("\"none\"", """{"mode":"NONE"}""")]
    [InlineData("\"required\"", """{"mode":"ANY"}""")]
    [InlineData("""{"type":"function","function":{"name":"get_time"}}""", """{"mode":"ANY","allowedFunctionNames":["get_time"]}""")]
    public async Task SendAsync_ToolChoice_BecomesFunctionCallingConfig(string toolChoice, string expected)
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync(Fill("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"tools":@tools,"tool_choice":@choice}""", toolChoice));

        var sent = _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body;
        sent.Path("toolConfig", "functionCallingConfig").ShouldEqualJson(expected);
        sent.Path("tools", 0, "functionDeclarations").GetArrayLength().Should().Be(2);
        response.IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_UnknownToolChoice_Is400()
    {
        var response = await _upstream.ChatAsync(Fill("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"tools":@tools,"tool_choice":"sometimes"}"""));

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("tool_choice");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_NonFunctionTool_Is400NamingIt()
    {
        var response = await _upstream.ChatAsync(Fill("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"custom","custom":{"name":"grammar"}}]}"""));

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("tools[0].type");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_FunctionCallParts_BecomeToolCallsWithTheThoughtSignature()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-function-calls.json");

        var response = await _upstream.ChatAsync(Fill("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Weather in Paris and time in London?"}],"tools":@tools}"""));

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("tools", 0, "functionDeclarations", 0, "name").GetString().Should().Be("get_weather");
        var choice = response.Json().Path("choices", 0);
        choice.GetProperty("finish_reason").GetString().Should().Be("tool_calls");
        var message = choice.GetProperty("message");
        message.GetProperty("role").GetString().Should().Be("assistant");
        message.GetProperty("content").ValueKind.Should().Be(JsonValueKind.Null);
        var calls = message.GetProperty("tool_calls").EnumerateArray().ToArray();
        calls.Should().HaveCount(2);
        calls.Select(c => c.GetProperty("id").GetString()).Should().OnlyHaveUniqueItems().And.AllSatisfy(id => id.Should().NotBeNullOrWhiteSpace());
        calls.Select(c => c.GetProperty("type").GetString()).Should().Equal("function", "function");
        calls.Select(c => c.Path("function", "name").GetString()).Should().Equal("get_weather", "get_time");
        calls[0].Path("function", "arguments").ValueKind.Should().Be(JsonValueKind.String, "OpenAI sends arguments as a JSON string");
        calls[0].Path("function", "arguments").GetString().Should().Be("""{"city":"Paris","unit":"celsius"}""", "OpenAI sends compact JSON, whatever whitespace Gemini used");
        calls[1].Path("function", "arguments").GetString().Should().Be("""{"timezone":"Europe/London"}""");
        calls[0].GetProperty("extra_content").ShouldEqualJson("""{"google":{"thought_signature":"CiQBcsjafPvYUhkQ0p5wYnl0ZXNPZlRob3VnaHRTaWduYXR1cmVBAQ=="}}""");
        calls[1].Has("extra_content").Should().BeFalse("only the first parallel call carries a signature");
    }

    [Fact]
    public async Task SendAsync_ParallelToolCallsFalse_KeepsOnlyTheFirstCall()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-function-calls.json");

        var response = await _upstream.ChatAsync(Fill("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Weather?"}],"tools":@tools,"parallel_tool_calls":false}"""));

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Has("parallel_tool_calls").Should().BeFalse();
        var calls = response.Json().Path("choices", 0, "message", "tool_calls");
        calls.GetArrayLength().Should().Be(1);
        calls.Path(0, "function", "name").GetString().Should().Be("get_weather");
    }

    [Fact]
    public async Task SendAsync_HistoryWithToolCallsAndResults_SendsSignedCallsThenOneTurnOfResponsesInCallOrder()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync(Fill("""
            {"model":"gemini-2.5-flash","tools":@tools,"messages":[
              {"role":"user","content":"Weather in Paris and time in London?"},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_w","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"},"extra_content":{"google":{"thought_signature":"c2lnbmF0dXJlLWZvci13ZWF0aGVy"}}},
                {"id":"call_t","type":"function","function":{"name":"get_time","arguments":"{\"timezone\":\"Europe/London\"}"}}]},
              {"role":"tool","tool_call_id":"call_t","content":"14:05"},
              {"role":"tool","tool_call_id":"call_w","content":"{\"temperature\":21,\"sky\":\"clear\"}"}]}
            """));

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.GetProperty("contents").ShouldEqualJson("""
            [{"role":"user","parts":[{"text":"Weather in Paris and time in London?"}]},
             {"role":"model","parts":[
               {"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"c2lnbmF0dXJlLWZvci13ZWF0aGVy"},
               {"functionCall":{"name":"get_time","args":{"timezone":"Europe/London"}}}]},
             {"role":"user","parts":[
               {"functionResponse":{"name":"get_weather","response":{"temperature":21,"sky":"clear"}}},
               {"functionResponse":{"name":"get_time","response":{"result":"14:05"}}}]}]
            """);
        response.Json().Path("choices", 0, "message", "content").GetString().Should().Be("Hello! How can I help you today?");
    }

    [Fact]
    public async Task SendAsync_ToolResultsInReverseOrderFollowedByUserText_ResponsesStillInCallOrder()
    {
        // Frameworks add a user message right after the tool results (an image a tool produced, a nudge), which
        // lands in the same Gemini user turn as the function responses.
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync(Fill("""
            {"model":"gemini-2.5-flash","tools":@tools,"messages":[
              {"role":"user","content":"Weather in Paris and time in London?"},
              {"role":"assistant","tool_calls":[
                {"id":"call_w","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"},"extra_content":{"google":{"thought_signature":"c2ln"}}},
                {"id":"call_t","type":"function","function":{"name":"get_time","arguments":"{\"timezone\":\"Europe/London\"}"}}]},
              {"role":"tool","tool_call_id":"call_t","content":"14:05"},
              {"role":"tool","tool_call_id":"call_w","content":"sunny"},
              {"role":"user","content":"Answer in one sentence."}]}
            """));

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 2).ShouldEqualJson("""
            {"role":"user","parts":[
              {"functionResponse":{"name":"get_weather","response":{"result":"sunny"}}},
              {"functionResponse":{"name":"get_time","response":{"result":"14:05"}}},
              {"text":"Answer in one sentence."}]}
            """);
        response.IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_CallsSplitOverConsecutiveAssistantMessages_ResponsesFollowTheMergedTurnsCallOrder()
    {
        // Some clients store each parallel call as its own assistant message. Gemini gets one model turn with both
        // calls; with the same function twice, responses out of order give each call the other's result.
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "generate-text.json");

        var response = await _upstream.ChatAsync(Fill("""
            {"model":"gemini-2.5-flash","tools":@tools,"messages":[
              {"role":"user","content":"Weather in Paris and London?"},
              {"role":"assistant","tool_calls":[{"id":"call_p","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"},"extra_content":{"google":{"thought_signature":"c2ln"}}}]},
              {"role":"assistant","tool_calls":[{"id":"call_l","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"London\"}"}}]},
              {"role":"tool","tool_call_id":"call_l","content":"rain"},
              {"role":"tool","tool_call_id":"call_p","content":"sun"}]}
            """));

        var contents = _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.GetProperty("contents");
        contents.GetArrayLength().Should().Be(3);
        contents.Path(1, "parts").EnumerateArray().Select(p => p.Path("functionCall", "args", "city").GetString()).Should().Equal("Paris", "London");
        contents.Path(2, "parts").ShouldEqualJson("""
            [{"functionResponse":{"name":"get_weather","response":{"result":"sun"}}},
             {"functionResponse":{"name":"get_weather","response":{"result":"rain"}}}]
            """);
        response.IsSuccess.Should().BeTrue();
    }

    [Theory]
    [InlineData("gemini-2.5-flash")]
    [InlineData("gemini-2.5-pro")]
    [InlineData("gemini-3-pro-preview")]
    public async Task SendAsync_HistoryWithoutSignatureOnThinkingModel_FirstCallOfTheTurnGetsTheSkipSentinel(string model)
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(model), "generate-text.json");

        var response = await _upstream.ChatAsync(HistoryWithoutSignatures(model), model);

        var contents = _upstream.SingleRequest(GeminiUpstream.GeneratePath(model)).Body.GetProperty("contents");
        contents.Path(1, "parts", 0, "thoughtSignature").GetString().Should().Be("skip_thought_signature_validator");
        contents.Path(1, "parts", 1).Has("thoughtSignature").Should().BeFalse("only the first call of the turn is validated");
        contents.Path(1, "parts", 1, "functionCall", "name").GetString().Should().Be("get_time");
        response.IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_HistoryWithoutSignatureOnNonThinkingModel_SendsNoSignature()
    {
        const string Model = "gemini-2.0-flash";
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(Model), "generate-text.json");

        var response = await _upstream.ChatAsync(HistoryWithoutSignatures(Model), Model);

        var sent = _upstream.SingleRequest(GeminiUpstream.GeneratePath(Model)).Body;
        sent.FindAll("thoughtSignature").Should().BeEmpty();
        sent.Path("contents", 1, "parts").GetArrayLength().Should().Be(2);
        response.IsSuccess.Should().BeTrue();
    }

    [Fact]
    public async Task SendAsync_ToolCallIdMatchingNoCall_Is400NamingIt()
    {
        var response = await _upstream.ChatAsync(Fill("""
            {"model":"gemini-2.5-flash","tools":@tools,"messages":[
              {"role":"user","content":"Weather?"},
              {"role":"assistant","tool_calls":[{"id":"call_w","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_unknown","content":"sunny"}]}
            """));

        response.StatusCode.Should().Be(400);
        response.Error!.Type.Should().Be("invalid_request_error");
        response.Error.Param.Should().Be("messages[2].tool_call_id");
        response.Error.Message.Should().Contain("call_unknown");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_ToolCallWithInvalidArgumentsJson_Is400NamingIt()
    {
        var response = await _upstream.ChatAsync(Fill("""
            {"model":"gemini-2.5-flash","tools":@tools,"messages":[
              {"role":"user","content":"Weather?"},
              {"role":"assistant","tool_calls":[{"id":"call_w","type":"function","function":{"name":"get_weather","arguments":"{city: Paris"}}]},
              {"role":"tool","tool_call_id":"call_w","content":"sunny"}]}
            """));

        response.StatusCode.Should().Be(400);
        response.Error!.Param.Should().Be("messages[1].tool_calls[0].function.arguments");
        _upstream.ShouldHaveNoCalls();
    }

    private static string HistoryWithoutSignatures(string model) => Fill("""
        {"model":"@model","tools":@tools,"messages":[
          {"role":"user","content":"Weather in Paris and time in London?"},
          {"role":"assistant","content":"","tool_calls":[
            {"id":"call_w","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
            {"id":"call_t","type":"function","function":{"name":"get_time","arguments":"{\"timezone\":\"Europe/London\"}"}}]},
          {"role":"tool","tool_call_id":"call_w","content":"sunny"},
          {"role":"tool","tool_call_id":"call_t","content":"14:05"}]}
        """, model: model);

    private static string Fill(string template, string? choice = null, string? model = null) =>
        template.Replace("@tools", Tools, StringComparison.Ordinal)
            .Replace("@choice", choice ?? "null", StringComparison.Ordinal)
            .Replace("@model", model ?? GeminiUpstream.Model, StringComparison.Ordinal);
}
