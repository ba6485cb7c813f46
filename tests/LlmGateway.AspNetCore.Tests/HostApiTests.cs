using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// The host-facing public API of LlmGateway.Core (what LlmGateway.AspNetCore is built on, and what another server
/// integration would use), exercised without ASP.NET Core: public types resolved from <c>AddLlmGateway</c> (the
/// environment stand-in is the only internal one, so that no machine setting leaks in).
/// </summary>
public sealed class HostApiTests : IDisposable
{
    private const string Chat = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"temperature":0}""";
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly ServiceProvider _services;
    private readonly ILlmGateway _gateway;

    public HostApiTests()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody((string? b) => b is not null && !b.Contains("\"stream\":true", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody((string? b) => b is not null && b.Contains("\"stream\":true", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream")
                .WithBody($"data: {Sse.Chunk("c1", "Hel")}\n\ndata: {Sse.Chunk("c1", "lo", "stop")}\n\ndata: [DONE]\n\n"));
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new NoEnvironment());
        services.AddLlmGateway(options =>
        {
            options.Providers["openai"] = new ProviderOptions { BaseUrl = _upstream.Urls[0] + "/v1", ApiKey = TestKeys.Upstream };
            options.Cache.Enabled = true;
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
    public async Task CacheDirectives_NoCacheAnswersFreshAndTheCacheReportSaysSo()
    {
        await using (var first = await SendChatAsync())
        {
            first.Cache.Should().NotBeNull();
            first.Cache!.Hit.Should().BeFalse();
        }

        await using (var second = await SendChatAsync())
        {
            second.Cache!.Hit.Should().BeTrue();
            second.Cache.Key.Should().StartWith("v1:");
        }

        await using (var fresh = await SendChatAsync(new CacheDirectives(NoCache: true, NoStore: false, Ttl: null)))
        {
            fresh.Cache!.Hit.Should().BeFalse();
        }

        ChatCalls().Should().Be(2);
    }

    [Fact]
    public async Task CachePurge_RemovesTheMatchingEntriesOnly()
    {
        await (await SendChatAsync()).DisposeAsync();
        var cache = _services.GetRequiredService<ILlmGatewayCache>();

        (await cache.PurgeAsync(new CachePurgeFilter { Provider = "other" })).Should().Be(0);
        await using (var stillCached = await SendChatAsync())
        {
            stillCached.Cache!.Hit.Should().BeTrue();
        }

        (await cache.PurgeAsync(new CachePurgeFilter { Model = "GPT-4O-MINI" })).Should().Be(1);
        await using (var afterPurge = await SendChatAsync())
        {
            afterPurge.Cache!.Hit.Should().BeFalse();
        }

        ChatCalls().Should().Be(2);
    }

    [Fact]
    public async Task WriteEventStreamAsync_WritesOpenAIsFramingAndTheTelemetryIsThere()
    {
        var body = """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}"""u8.ToArray();
        await using var response = await _gateway.SendAsync(new GatewayRequest(GatewayOperation.ChatCompletions, body));
        var pipe = new Pipe();

        await response.WriteEventStreamAsync(pipe.Writer);
        await pipe.Writer.CompleteAsync();
        var written = await pipe.Reader.ReadAsync();
        var text = Encoding.UTF8.GetString(written.Buffer.ToArray());

        text.Should().Be($"data: {Sse.Chunk("c1", "Hel")}\n\ndata: {Sse.Chunk("c1", "lo", "stop")}\n\ndata: [DONE]\n\n");
        response.Telemetry.Should().NotBeNull();
        response.Telemetry!.Attempts.Should().Be(1);
        response.Telemetry.ErrorType.Should().BeNull();
    }

    [Fact]
    public async Task WriteEventStreamAsync_RefusesAResponseThatIsNotAStream()
    {
        await using var response = await SendChatAsync();

        var write = () => response.WriteEventStreamAsync(new Pipe().Writer);

        await write.Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public void WriteEnvelope_WritesOpenAIsErrorEnvelope()
    {
        var error = new GatewayError(GatewayErrorKind.ModelNotFound, "The model 'x' does not exist.", "model");
        var output = new ArrayBufferWriter<byte>();

        error.WriteEnvelope(output);

        Encoding.UTF8.GetString(output.WrittenSpan).Should().Be(
            """{"error":{"message":"The model 'x' does not exist.","type":"invalid_request_error","param":"model","code":"model_not_found"}}""");
    }

    [Fact]
    public void Runtime_GivesTheOptionsInForceAndFindsProviderInstancesByName()
    {
        var runtime = _services.GetRequiredService<ILlmGatewayRuntime>();

        runtime.Options.Cache.Enabled.Should().BeTrue();
        runtime.ShutdownDrainTimeout.Should().Be(runtime.Options.ShutdownDrainTimeout);
        runtime.ShutdownDrainExpired.IsCancellationRequested.Should().BeFalse();
        runtime.GetProvider("OpenAI")!.Name.Should().Be("openai");
        runtime.GetProvider("gemini").Should().BeNull();
    }

    [Fact]
    public async Task Runtime_AStartedCheckThatThrowsRefusesTheHostsStart()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton<IEnvironmentVariables>(new NoEnvironment());
        builder.Services.AddLlmGateway(options => options.Providers["openai"] = new ProviderOptions { BaseUrl = _upstream.Urls[0] + "/v1", ApiKey = TestKeys.Upstream }).AddOpenAI();
        using var host = builder.Build();
        host.Services.GetRequiredService<ILlmGatewayRuntime>().AddStartedCheck(() => throw new InvalidOperationException("refused by the check"));

        var start = () => host.StartAsync();

        await start.Should().ThrowAsync<InvalidOperationException>().WithMessage("refused by the check");
        await host.StopAsync();
    }

    [Fact]
    public void TryParseRequestBody_AppliesTheGatewaysChecks()
    {
        LlmGatewayJson.TryParseRequestBody("""{"a":1,"a":2}"""u8.ToArray(), out var duplicate, out var duplicateError).Should().BeFalse();
        duplicate.Should().BeNull();
        duplicateError!.Kind.Should().Be(GatewayErrorKind.InvalidJson);

        LlmGatewayJson.TryParseRequestBody("""{"a":"\ud800"}"""u8.ToArray(), out _, out var surrogateError).Should().BeFalse();
        surrogateError!.Message.Should().Contain("lone UTF-16 surrogate");

        LlmGatewayJson.TryParseRequestBody("""{"a":1}"""u8.ToArray(), out var document, out var error).Should().BeTrue();
        using (document)
        {
            error.Should().BeNull();
            document!.RootElement.GetProperty("a").GetInt32().Should().Be(1);
        }
    }

    private async Task<GatewayResponse> SendChatAsync(CacheDirectives directives = default) =>
        await _gateway.SendAsync(new GatewayRequest(GatewayOperation.ChatCompletions, Encoding.UTF8.GetBytes(Chat)) { CacheDirectives = directives });

    private int ChatCalls() => _upstream.LogEntries.Count(e => e.RequestMessage.Path == "/v1/chat/completions");

    private sealed class NoEnvironment : IEnvironmentVariables
    {
        public string? Get(string name) => null;
    }
}
