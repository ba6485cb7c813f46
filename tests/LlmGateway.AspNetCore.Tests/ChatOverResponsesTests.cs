using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Chat completions sent over the Responses API (<c>UseResponsesApi</c>, on by default for OpenAI's own API): the
/// client still sees chat completions, event by event.
/// </summary>
public sealed class ChatOverResponsesTests : IDisposable
{
    private const string ToolCallResponse = """
        {"id":"resp_67ccd2bed1ec8190","object":"response","created_at":1741476542,"status":"completed","model":"gpt-4.1-2025-04-14",
         "output":[{"type":"reasoning","id":"rs_1","summary":[]},
                   {"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Let me check.","annotations":[]}]},
                   {"type":"function_call","id":"fc_1","call_id":"call_abc","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"}],
         "usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":4},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":30},"total_tokens":123}}
        """;

    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly GatewayHost _host;
    private readonly HttpClient _client;

    public ChatOverResponsesTests()
    {
        _host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?> { ["LlmGateway:Providers:openai:UseResponsesApi"] = "true" });
        _client = _host.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _host.Dispose();
        _upstream.Dispose();
    }

    [Fact]
    public async Task ChatCompletionGoesOverTheResponsesApiAndComesBackAsAChatCompletion()
    {
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost()).RespondWith(Json(ToolCallResponse));
        const string chat = """
            {"model":"gpt-4.1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image_url","image_url":{"url":"https://example.com/sky.png"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_0","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
              {"role":"tool","tool_call_id":"call_0","content":"cold"}],
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}}],
             "tool_choice":{"type":"function","function":{"name":"get_weather"}},"max_tokens":300,"reasoning_effort":"low","response_format":{"type":"json_object"}}
            """;

        using var response = await _client.PostAsync("/v1/chat/completions", new StringContent(chat, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var completion = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = completion.RootElement;
        root.GetProperty("object").GetString().Should().Be("chat.completion");
        root.GetProperty("id").GetString().Should().Be("chatcmpl-67ccd2bed1ec8190");
        var choice = root.GetProperty("choices")[0];
        choice.GetProperty("finish_reason").GetString().Should().Be("tool_calls");
        choice.GetProperty("message").GetProperty("content").GetString().Should().Be("Let me check.");
        var call = choice.GetProperty("message").GetProperty("tool_calls")[0];
        call.GetProperty("id").GetString().Should().Be("call_abc");
        call.GetProperty("function").GetProperty("arguments").GetString().Should().Be("""{"city":"Paris"}""");
        var usage = root.GetProperty("usage");
        usage.GetProperty("prompt_tokens").GetInt32().Should().Be(36);
        usage.GetProperty("completion_tokens").GetInt32().Should().Be(87);
        usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32().Should().Be(4);
        usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32().Should().Be(30);

        var sent = _upstream.LogEntries.Should().ContainSingle().Subject.RequestMessage;
        sent.Path.Should().Be("/v1/responses");
        using var request = JsonDocument.Parse(sent.Body!);
        var body = request.RootElement;
        body.GetProperty("store").GetBoolean().Should().BeFalse();
        body.GetProperty("max_output_tokens").GetInt32().Should().Be(300);
        body.GetProperty("reasoning").GetProperty("effort").GetString().Should().Be("low");
        body.GetProperty("text").GetProperty("format").GetProperty("type").GetString().Should().Be("json_object");
        body.GetProperty("tools")[0].GetProperty("name").GetString().Should().Be("get_weather");
        body.GetProperty("tool_choice").GetProperty("name").GetString().Should().Be("get_weather");
        var input = body.GetProperty("input");
        input[0].GetProperty("role").GetString().Should().Be("system");
        input[1].GetProperty("content")[1].GetProperty("type").GetString().Should().Be("input_image");
        input[2].GetProperty("type").GetString().Should().Be("function_call");
        input[2].GetProperty("call_id").GetString().Should().Be("call_0");
        input[3].GetProperty("type").GetString().Should().Be("function_call_output");
        input[3].GetProperty("output").GetString().Should().Be("cold");
    }

    [Fact]
    public async Task StreamBecomesChatChunksEventByEvent()
    {
        var sse = new StringBuilder()
            .Append("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_s\",\"object\":\"response\",\"created_at\":1700000000,\"status\":\"in_progress\",\"model\":\"gpt-4.1\",\"output\":[]}}\n\n")
            .Append("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"Hi \"}\n\n")
            .Append("event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"sequence_number\":2,\"output_index\":1,\"item\":{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_x\",\"name\":\"lookup\",\"arguments\":\"\",\"status\":\"in_progress\"}}\n\n")
            .Append("event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"sequence_number\":3,\"item_id\":\"fc_1\",\"output_index\":1,\"delta\":\"{\\\"q\\\":\"}\n\n")
            .Append("event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"sequence_number\":4,\"item_id\":\"fc_1\",\"output_index\":1,\"delta\":\"\\\"x\\\"}\"}\n\n")
            .Append("event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":5,\"response\":{\"id\":\"resp_s\",\"object\":\"response\",\"created_at\":1700000000,\"status\":\"completed\",\"model\":\"gpt-4.1\",\"output\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":7,\"total_tokens\":12}}}\n\n")
            .ToString();
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));

        using var response = await _client.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"gpt-4.1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"));

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());
        events[^1].Should().Be("[DONE]");
        var chunks = events.Take(events.Count - 1).Select(e => JsonDocument.Parse(e).RootElement).ToList();
        chunks.Should().OnlyContain(c => c.GetProperty("object").GetString() == "chat.completion.chunk" && c.GetProperty("id").GetString() == "chatcmpl-s");
        var deltas = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0).Select(c => c.GetProperty("choices")[0]).ToList();
        deltas[0].GetProperty("delta").GetProperty("role").GetString().Should().Be("assistant");
        deltas[1].GetProperty("delta").GetProperty("content").GetString().Should().Be("Hi ");
        var first = deltas[2].GetProperty("delta").GetProperty("tool_calls")[0];
        (first.GetProperty("index").GetInt32(), first.GetProperty("id").GetString(), first.GetProperty("function").GetProperty("name").GetString()).Should().Be((0, "call_x", "lookup"));
        string.Concat(deltas.Skip(3).Take(2).Select(d => d.GetProperty("delta").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString()))
            .Should().Be("""{"q":"x"}""");
        deltas[3].GetProperty("delta").GetProperty("tool_calls")[0].GetProperty("index").GetInt32().Should().Be(0);
        deltas[^1].GetProperty("finish_reason").GetString().Should().Be("tool_calls");
        chunks[^1].GetProperty("choices").GetArrayLength().Should().Be(0);
        chunks[^1].GetProperty("usage").GetProperty("total_tokens").GetInt32().Should().Be(12);
    }

    [Fact]
    public async Task FailedResponseMidStreamEndsWithAnErrorEventAndNoDone()
    {
        const string sse = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_f\",\"created_at\":1,\"status\":\"in_progress\",\"model\":\"gpt-4.1\"}}\n\n"
            + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"delta\":\"Hi\"}\n\n"
            + "event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_f\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"The model crashed.\"}}}\n\n";
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));

        using var response = await _client.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"));

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());
        events.Should().NotContain("[DONE]");
        using var error = JsonDocument.Parse(events[^1]);
        error.RootElement.GetProperty("error").GetProperty("message").GetString().Should().Be("The model crashed.");
    }

    [Theory]
    [InlineData("max_output_tokens", "length")]
    [InlineData("content_filter", "content_filter")]
    public async Task IncompleteResponseIsATruncatedChatCompletionNotASuccess(string reason, string finishReason)
    {
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost()).RespondWith(Json($$$"""
            {"id":"resp_i","object":"response","created_at":1,"status":"incomplete","incomplete_details":{"reason":"{{{reason}}}"},"model":"gpt-4.1",
             "output":[{"type":"message","id":"msg_i","status":"incomplete","role":"assistant","content":[{"type":"output_text","text":"Half an ans","annotations":[]}]}],
             "usage":{"input_tokens":3,"output_tokens":16,"total_tokens":19}}
            """));

        using var response = await _client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt-4.1","max_tokens":16,"messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"));

        using var completion = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var choice = completion.RootElement.GetProperty("choices")[0];
        choice.GetProperty("finish_reason").GetString().Should().Be(finishReason);
        choice.GetProperty("message").GetProperty("content").GetString().Should().Be("Half an ans");
    }

    [Fact]
    public async Task IncompleteStreamEndsWithItsFinishReason()
    {
        const string sse = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_j\",\"created_at\":1,\"status\":\"in_progress\",\"model\":\"gpt-4.1\"}}\n\n"
            + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"delta\":\"Half\"}\n\n"
            + "event: response.incomplete\ndata: {\"type\":\"response.incomplete\",\"sequence_number\":2,\"response\":{\"id\":\"resp_j\",\"status\":\"incomplete\",\"incomplete_details\":{\"reason\":\"max_output_tokens\"}}}\n\n";
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));

        using var response = await _client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"));

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());
        events[^1].Should().Be("[DONE]");
        using var last = JsonDocument.Parse(events[^2]);
        last.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString().Should().Be("length");
    }

    [Fact]
    public async Task UpstreamWithoutTheResponsesApiFallsBackToChatAndRemembers()
    {
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost()).RespondWith(Response.Create().WithStatusCode(404).WithBody("404 page not found"));
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(Json(Bodies.ChatCompletion));

        using var first = await _client.PostAsync("/v1/chat/completions", new StringContent(Bodies.ChatRequest, Encoding.UTF8, "application/json"));
        using var second = await _client.PostAsync("/v1/chat/completions", new StringContent(Bodies.ChatRequest, Encoding.UTF8, "application/json"));

        (await first.Content.ReadAsStringAsync()).Should().Be(Bodies.ChatCompletion);
        (await second.Content.ReadAsStringAsync()).Should().Be(Bodies.ChatCompletion);
        _upstream.LogEntries.Select(e => e.RequestMessage.Path).Should().Equal("/v1/responses", "/v1/chat/completions", "/v1/chat/completions");
        _upstream.LogEntries[1].RequestMessage.Body.Should().Be(Bodies.ChatRequest, "the fallback sends the client's body unchanged");
    }

    [Theory]
    [InlineData("""{"model":"gpt-4.1","n":2,"messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("""{"model":"gpt-4.1","logprobs":true,"messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("""{"model":"gpt-4.1","stop":["\n"],"messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("""{"model":"gpt-4o-audio-preview","modalities":["text","audio"],"audio":{"voice":"alloy","format":"wav"},"messages":[{"role":"user","content":"Hi"}]}""")]
    public async Task WhatOnlyChatCompletionsExpressGoesToChatCompletions(string body)
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(Json(Bodies.ChatCompletion));

        using var response = await _client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _upstream.LogEntries.Should().ContainSingle().Which.RequestMessage.Path.Should().Be("/v1/chat/completions");
    }

    [Fact]
    public async Task SdkChatClientCannotTellTheDifference()
    {
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost()).RespondWith(Json(ToolCallResponse));
        var sdk = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri(_host.Server.BaseAddress, "/v1"),
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(_host.CreateClient()),
        });

        ChatCompletion completion = await sdk.GetChatClient("gpt-4.1").CompleteChatAsync([new UserChatMessage("Weather in Paris?")]);

        completion.FinishReason.Should().Be(ChatFinishReason.ToolCalls);
        completion.ToolCalls.Single().FunctionName.Should().Be("get_weather");
        completion.Content.Single().Text.Should().Be("Let me check.");
        completion.Usage.OutputTokenDetails.ReasoningTokenCount.Should().Be(30);
    }

    [Fact]
    public async Task BackgroundModePollsUntilTheResponseIsDoneThenDeletesIt()
    {
        var time = new ArmingTimeProvider();
        using var host = BackgroundHost(time);
        using var client = host.CreateClient();
        const string queued = """{"id":"resp_bg","object":"response","created_at":1,"status":"queued","model":"o3-pro","output":[]}""";
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost()).RespondWith(Json(queued));
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_bg").UsingGet()).InScenario("bg").WillSetStateTo("done")
            .RespondWith(Json(queued.Replace("queued", "in_progress", StringComparison.Ordinal)));
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_bg").UsingGet()).InScenario("bg").WhenStateIs("done")
            .RespondWith(Json(ToolCallResponse.Replace("resp_67ccd2bed1ec8190", "resp_bg", StringComparison.Ordinal)));
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_bg").UsingDelete()).RespondWith(Json("""{"id":"resp_bg","object":"response.deleted","deleted":true}"""));

        var call = client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"o3-pro","messages":[{"role":"user","content":"Think hard."}]}""", Encoding.UTF8, "application/json"));
        await time.WaitForArmedAsync(TimeSpan.FromSeconds(1)).WaitAsync(TimeSpan.FromSeconds(20));
        time.Fake.Advance(TimeSpan.FromSeconds(1));
        await time.WaitForArmedAsync(TimeSpan.FromSeconds(2)).WaitAsync(TimeSpan.FromSeconds(20));
        time.Fake.Advance(TimeSpan.FromSeconds(2));
        using var response = await call.WaitAsync(TimeSpan.FromSeconds(20));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var completion = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        completion.RootElement.GetProperty("id").GetString().Should().Be("chatcmpl-bg");
        completion.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().Should().Be("Let me check.");
        _upstream.LogEntries.Select(e => (e.RequestMessage.Method, e.RequestMessage.Path)).Should().Equal(
            ("POST", "/v1/responses"), ("GET", "/v1/responses/resp_bg"), ("GET", "/v1/responses/resp_bg"), ("DELETE", "/v1/responses/resp_bg"));
        using var created = JsonDocument.Parse(_upstream.LogEntries[0].RequestMessage.Body!);
        created.RootElement.GetProperty("background").GetBoolean().Should().BeTrue();
        created.RootElement.GetProperty("store").GetBoolean().Should().BeTrue("background mode needs a stored response");
    }

    [Fact]
    public async Task ClientThatGoesAwayCancelsTheBackgroundResponse()
    {
        var time = new ArmingTimeProvider();
        using var host = BackgroundHost(time);
        using var client = host.CreateClient();
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost())
            .RespondWith(Json("""{"id":"resp_gone","object":"response","created_at":1,"status":"queued","model":"o3-pro","output":[]}"""));
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_gone/cancel").UsingPost())
            .RespondWith(Response.Create().WithCallback(_ =>
            {
                cancelled.TrySetResult();
                return new WireMock.ResponseMessage { StatusCode = 200, BodyData = new WireMock.Util.BodyData { BodyAsString = """{"id":"resp_gone","status":"cancelled"}""", DetectedBodyType = WireMock.Types.BodyType.String } };
            }));
        using var gone = new CancellationTokenSource();

        var call = client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"o3-pro","messages":[{"role":"user","content":"Think."}]}""", Encoding.UTF8, "application/json"), gone.Token);
        await time.WaitForArmedAsync(TimeSpan.FromSeconds(1)).WaitAsync(TimeSpan.FromSeconds(20));
        await gone.CancelAsync();

        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await FluentActions.Awaiting(() => call.WaitAsync(TimeSpan.FromSeconds(20))).Should().ThrowAsync<OperationCanceledException>();
    }

    /// <summary>A host whose OpenAI instance uses the Responses API in background mode, on the given clock.</summary>
    private GatewayHost BackgroundHost(TimeProvider time) => new(
        _upstream.Urls[0] + "/v1",
        new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:UseResponsesApi"] = "true",
            ["LlmGateway:Providers:openai:UseBackgroundMode"] = "true",
        },
        services => services.AddSingleton(time));

    private static IResponseBuilder Json(string body) => Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body);
}
