using System.ClientModel;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>The gateway in-process, as an <see cref="IChatClient"/> and an embedding generator: no host, no socket
/// between the app and the gateway (only the stand-in upstream is over HTTP).</summary>
public sealed class InProcessTests : IDisposable
{
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly ServiceProvider _services;
    private readonly ILlmGateway _gateway;

    public InProcessTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new NoEnvironment());
        services.AddLlmGateway(options => options.Providers["openai"] = new ProviderOptions
        {
            BaseUrl = _upstream.Urls[0] + "/v1",
            ApiKey = TestKeys.Upstream,
        }).AddOpenAI();
        _services = services.BuildServiceProvider();
        _gateway = _services.GetRequiredService<ILlmGateway>();
    }

    public void Dispose()
    {
        _services.Dispose();
        _upstream.Dispose();
    }

    [Fact]
    public async Task ChatClientGetsAResponse()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        using var chat = _gateway.GetChatClient("gpt-4o-mini");

        var response = await chat.GetResponseAsync("Hi", new ChatOptions { Temperature = 0.3f });

        response.Text.Should().Be("Hello there!");
        response.FinishReason.Should().Be(ChatFinishReason.Stop);
        response.Usage!.TotalTokenCount.Should().Be(12);
        _upstream.LogEntries.Single().RequestMessage.Body.Should().Contain("\"temperature\":0.3");
    }

    [Fact]
    public async Task EveryInProcessCallIsCountedAsInProcessUsage()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        using var chat = _gateway.GetChatClient("gpt-4o-mini");

        await chat.GetResponseAsync("Hi");
        await chat.GetResponseAsync("Hi again");

        var usage = await _services.GetRequiredService<IUsageStore>().ListAsync("in-process", UsagePeriod.Day, DateTimeOffset.UtcNow, default);
        usage.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Requests = 2L, PromptTokens = 18L, CompletionTokens = 6L });
    }

    [Fact]
    public async Task ChatClientForANamedCaller_IsLimitedAndBilledAsThatCaller()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        var policy = new KeyPolicyOptions { RequestsPerMinute = 1 };
        var caller = new GatewayCaller("tenant:acme", policy);
        policy.RequestsPerMinute = 100; // the caller copied its policy when it was made
        using var chat = _gateway.GetChatClient("gpt-4o-mini", caller);

        await chat.GetResponseAsync("Hi");
        var second = () => chat.GetResponseAsync("Hi again");

        var refused = (await second.Should().ThrowAsync<ClientResultException>()).Which;
        refused.Status.Should().Be(429);
        refused.Message.Should().Contain("rate_limit_exceeded");
        _upstream.LogEntries.Should().ContainSingle("the refused call never reaches the upstream");
        var store = _services.GetRequiredService<IUsageStore>();
        (await store.ListAsync("tenant:acme", UsagePeriod.Day, DateTimeOffset.UtcNow, default))
            .Should().ContainSingle().Which.Should().BeEquivalentTo(new { Requests = 1L, PromptTokens = 9L, CompletionTokens = 3L });
        (await store.ListAsync("in-process", UsagePeriod.Day, DateTimeOffset.UtcNow, default)).Should().BeEmpty();
    }

    [Fact]
    public async Task EmbeddingGeneratorForANamedCaller_IsHeldToItsAllowedModels()
    {
        using var generator = _gateway.GetEmbeddingGenerator("text-embedding-3-small", new GatewayCaller("tenant:chat-only", new KeyPolicyOptions { AllowedModels = ["gpt-4o-mini"] }));

        var call = () => generator.GenerateAsync(["hello"]);

        (await call.Should().ThrowAsync<ClientResultException>()).Which.Status.Should().Be(403);
        _upstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task ChatClientStreams()
    {
        var sse = $"data: {Sse.Chunk("c1", "Hel")}\n\ndata: {Sse.Chunk("c1", "lo")}\n\ndata: {Sse.Chunk("c1", "", "stop")}\n\ndata: [DONE]\n\n";
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
        using var chat = _gateway.GetChatClient();

        var text = new StringBuilder();
        await foreach (var update in chat.GetStreamingResponseAsync("Hi", new ChatOptions { ModelId = "openai/gpt-4o-mini" }))
        {
            text.Append(update.Text);
        }

        text.ToString().Should().Be("Hello");
        _upstream.LogEntries.Single().RequestMessage.Body.Should().Contain("\"model\":\"gpt-4o-mini\"");
    }

    [Fact]
    public async Task ChatClientReturnsToolCalls()
    {
        const string toolCall = """
            {"id":"chatcmpl-t","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":20,"completion_tokens":10,"total_tokens":30}}
            """;
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(toolCall));
        using var chat = _gateway.GetChatClient("gpt-4o-mini");
        var tool = AIFunctionFactory.Create((string city) => "sunny", "get_weather");

        var response = await chat.GetResponseAsync("Weather in Paris?", new ChatOptions { Tools = [tool] });

        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        call.Name.Should().Be("get_weather");
        call.Arguments!["city"]!.ToString().Should().Be("Paris");
        _upstream.LogEntries.Single().RequestMessage.Body.Should().Contain("\"tools\"");
    }

    [Fact]
    public async Task EmbeddingGeneratorGetsVectors()
    {
        _upstream.Given(Request.Create().WithPath("/v1/embeddings").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.EmbeddingsBase64));
        using var generator = _gateway.GetEmbeddingGenerator("text-embedding-3-small");

        var embeddings = await generator.GenerateAsync(["hello"]);

        embeddings.Single().Vector.ToArray().Should().Equal(0.5f, -0.25f, 0.125f);
    }

    [Fact]
    public async Task GatewayErrorsSurfaceWithTheirStatus()
    {
        using var chat = _gateway.GetChatClient("no-such-model");

        var call = () => chat.GetResponseAsync("Hi");

        (await call.Should().ThrowAsync<ClientResultException>()).Which.Status.Should().Be(404);
        _upstream.LogEntries.Should().NotContain(e => e.RequestMessage.Method == "POST", "an unknown model never reaches a chat endpoint");
    }

    private sealed class NoEnvironment : IEnvironmentVariables
    {
        public string? Get(string name) => null;
    }
}
