using Microsoft.Extensions.AI;

namespace LlmGateway.Samples.Extending.Tests;

/// <summary>OpenAI function tools ↔ Anthropic <c>tools</c>, <c>tool_use</c> and <c>tool_result</c> blocks.</summary>
public sealed class AnthropicToolsTests : IDisposable
{
    private readonly AnthropicUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task SendAsync_ToolsAndToolHistory_AreSentAsAnthropicToolsAndBlocks()
    {
        _upstream.PostReturnsFile("message-text.json");

        await using var response = await _upstream.SendAsync("""
            {"model":"assistant",
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather",
               "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
               {"type":"function","function":{"name":"get_time"}}],
             "tool_choice":"required","parallel_tool_calls":false,
             "messages":[
               {"role":"user","content":"Weather and time in Paris?"},
               {"role":"assistant","content":null,"tool_calls":[
                 {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                 {"id":"call_2","type":"function","function":{"name":"get_time","arguments":""}}]},
               {"role":"tool","tool_call_id":"call_1","content":"18°C, sunny"},
               {"role":"tool","tool_call_id":"call_2","content":"14:05"}]}
            """);

        var sent = _upstream.SingleRequest().Body;
        sent.Path("tools").ShouldEqualJson("""
            [{"name":"get_weather","description":"Current weather",
              "input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
             {"name":"get_time","input_schema":{"type":"object","properties":{}}}]
            """);
        sent.Path("tool_choice").ShouldEqualJson("""{"type":"any","disable_parallel_tool_use":true}""");
        sent.Path("messages").ShouldEqualJson("""
            [{"role":"user","content":"Weather and time in Paris?"},
             {"role":"assistant","content":[
               {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}},
               {"type":"tool_use","id":"call_2","name":"get_time","input":{}}]},
             {"role":"user","content":[
               {"type":"tool_result","tool_use_id":"call_1","content":"18°C, sunny"},
               {"type":"tool_result","tool_use_id":"call_2","content":"14:05"}]}]
            """);
        response.IsSuccess.Should().BeTrue();
    }

    [Theory]
    [InlineData("\"none\"", """{"type":"none"}""")]
    [InlineData("\"auto\"", """{"type":"auto"}""")]
    [InlineData("""{"type":"function","function":{"name":"get_time"}}""", """{"type":"tool","name":"get_time"}""")]
    public async Task SendAsync_ToolChoice_IsMapped(string openAIChoice, string anthropicChoice)
    {
        _upstream.PostReturnsFile("message-text.json");

        await using var response = await _upstream.SendAsync($$$"""
            {"model":"assistant","tool_choice":{{{openAIChoice}}},"messages":[{"role":"user","content":"Time?"}],
             "tools":[{"type":"function","function":{"name":"get_time"}}]}
            """);

        _upstream.SingleRequest().Body.Path("tool_choice").ShouldEqualJson(anthropicChoice);
    }

    [Fact]
    public async Task SendAsync_ToolUseAnswer_BecomesToolCalls()
    {
        _upstream.PostReturnsFile("message-tool-use.json");

        await using var response = await _upstream.SendAsync("""
            {"model":"assistant","messages":[{"role":"user","content":"Weather in Paris?"}],
             "tools":[{"type":"function","function":{"name":"get_weather"}}]}
            """);

        var choice = response.Json().Path("choices", 0);
        choice.Path("finish_reason").GetString().Should().Be("tool_calls");
        choice.Path("message", "content").GetString().Should().Be("I'll check the weather in Paris.");
        var call = choice.Path("message", "tool_calls", 0);
        call.Path("id").GetString().Should().Be("toolu_01A09q90qw90lq917835lq9");
        call.Path("type").GetString().Should().Be("function");
        call.Path("function", "name").GetString().Should().Be("get_weather");
        Json.Parse(call.Path("function", "arguments").GetString()!).ShouldEqualJson("""{"city":"Paris","unit":"celsius"}""");
        response.Json().Path("usage").ShouldEqualJson("""{"prompt_tokens":480,"completion_tokens":54,"total_tokens":534,"prompt_tokens_details":{"cached_tokens":100}}""");
    }

    [Fact]
    public async Task ChatClient_FunctionCall_RoundTripsThroughTheGateway()
    {
        _upstream.PostReturnsFile("message-tool-use.json");
        var chat = _upstream.Gateway.GetChatClient("assistant");
        var tool = AIFunctionFactory.Create((string city, string unit) => $"{city}: 18 {unit}", "get_weather", "Current weather");

        var response = await chat.GetResponseAsync("Weather in Paris?", new ChatOptions { Tools = [tool] });

        var sentTool = _upstream.SingleRequest().Body.Path("tools", 0);
        sentTool.Path("name").GetString().Should().Be("get_weather");
        sentTool.Path("input_schema", "properties").Has("city").Should().BeTrue();
        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        call.CallId.Should().Be("toolu_01A09q90qw90lq917835lq9");
        call.Name.Should().Be("get_weather");
        call.Arguments!["city"]!.ToString().Should().Be("Paris");
        response.FinishReason.Should().Be(ChatFinishReason.ToolCalls);
    }

    [Fact]
    public async Task SendAsync_NonFunctionTool_IsRefusedAsUnsupported()
    {
        await using var response = await _upstream.SendAsync("""
            {"model":"assistant","messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"custom","custom":{"name":"grammar"}}]}
            """);

        response.Error!.Code.Should().Be("unsupported_operation");
        response.Error.Param.Should().Be("tools");
        _upstream.ShouldHaveNoCalls();
    }
}
