using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.ProviderSdk.Tests;

/// <summary>
/// A provider type written against the public API alone (<see cref="AcmeProviderFactory"/>: this project gets no
/// internals of LlmGateway.Core), configured under its own section with a setting of its own, registered through the
/// builder and called over HTTP.
/// </summary>
public sealed class ProviderSdkTests : IDisposable
{
    private const string ChatCompletion = """{"id":"c1","object":"chat.completion","created":1,"model":"acme-model","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from Acme."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}""";

    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly List<ServiceProvider> _providers = [];

    public void Dispose()
    {
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }

        _upstream.Dispose();
    }

    [Fact]
    public async Task ChatCompletion_ConfiguredInstance_GoesToItsDeploymentWithItsKey()
    {
        _upstream.Given(Request.Create().WithPath("/deployments/dep-1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithHeader("x-request-id", "up-1").WithBody(ChatCompletion));
        var gateway = Build(Configured()).GetRequiredService<ILlmGateway>();

        await using var response = await gateway.SendAsync(new GatewayRequest(GatewayOperation.ChatCompletions, Encoding.UTF8.GetBytes("""{"model":"acme-model","messages":[{"role":"user","content":"Hi"}]}""")));

        response.Error.Should().BeNull();
        response.ProviderName.Should().Be("acme");
        response.UpstreamRequestId.Should().Be("up-1");
        Encoding.UTF8.GetString(response.Body.Span).Should().Contain("Hello from Acme.");
        var sent = _upstream.LogEntries.Should().ContainSingle().Subject.RequestMessage;
        sent.Headers!["api-key"].Should().Equal("acme-key");
        sent.Body.Should().Contain("\"content\":\"Hi\"");
    }

    [Fact]
    public async Task StreamingChat_ReadWithTheSseReader_ReachesTheChatClient()
    {
        const string chunk = """{"id":"c1","object":"chat.completion.chunk","created":1,"model":"acme-model","choices":[{"index":0,"delta":{"content":"%"},"finish_reason":null}]}""";
        var sse = $"data: {chunk.Replace("%", "Hel", StringComparison.Ordinal)}\n\ndata: {chunk.Replace("%", "lo", StringComparison.Ordinal)}\n\ndata: [DONE]\n\n";
        _upstream.Given(Request.Create().WithPath("/deployments/dep-1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
        using var chat = Build(Configured()).GetRequiredService<ILlmGateway>().GetChatClient("acme-model");

        var text = new StringBuilder();
        await foreach (var update in chat.GetStreamingResponseAsync("Hi"))
        {
            text.Append(update.Text);
        }

        text.ToString().Should().Be("Hello");
    }

    [Fact]
    public async Task UpstreamError_IsMappedToTheGatewaysErrorWithItsStatusAndRetryAfter()
    {
        _upstream.Given(Request.Create().WithPath("/deployments/dep-1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Content-Type", "application/json").WithHeader("Retry-After", "30")
                .WithBody("""{"error":{"message":"Slow down.","type":"rate_limit_error","code":"rate_limited"}}"""));
        var gateway = Build(Configured()).GetRequiredService<ILlmGateway>();

        await using var response = await gateway.SendAsync(new GatewayRequest(GatewayOperation.ChatCompletions, Encoding.UTF8.GetBytes("""{"model":"acme-model","messages":[{"role":"user","content":"Hi"}]}""")));

        response.Error.Should().NotBeNull();
        response.StatusCode.Should().Be(429);
        response.Error!.Code.Should().Be("rate_limited");
        response.Error.Message.Should().Be("Slow down.");
        response.Error.RetryAfter.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Options_ConfiguredInstance_AreBoundToTheTypesOwnOptionsClass()
    {
        var options = Build(Configured()).GetRequiredService<IOptions<LlmGatewayOptions>>().Value;

        options.Providers["acme"].Should().BeOfType<AcmeProviderOptions>().Which.Deployment.Should().Be("dep-1");
    }

    [Fact]
    public void Start_UnknownKeyInTheInstancesSection_IsRefusedWithItsPath()
    {
        var settings = Configured();
        settings["LlmGateway:Providers:acme:Deploymnet"] = "dep-2";
        var services = Build(settings);

        var act = () => services.GetRequiredService<IOptions<LlmGatewayOptions>>().Value;

        act.Should().Throw<OptionsValidationException>()
            .Which.Failures.Should().ContainSingle(f => f.StartsWith("LlmGateway:Providers:acme:Deploymnet is not a known setting", StringComparison.Ordinal))
            .Which.Should().Contain("Deployment", "the known settings of the type's own options are listed");
    }

    [Fact]
    public void Start_TheTypesOwnKeyUnderAnInstanceOfNoType_IsRefusedWithItsPath()
    {
        var settings = Configured();
        settings["LlmGateway:Providers:other:BaseUrl"] = "http://localhost:1/v1";
        settings["LlmGateway:Providers:other:Deployment"] = "dep-2";
        var services = Build(settings);

        var act = () => services.GetRequiredService<IOptions<LlmGatewayOptions>>().Value;

        act.Should().Throw<OptionsValidationException>()
            .Which.Failures.Should().Contain(f => f.StartsWith("LlmGateway:Providers:other:Deployment is not a known setting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OptionsSetInCode_UseTheTypesOptionsClass()
    {
        _upstream.Given(Request.Create().WithPath("/deployments/in-code/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(ChatCompletion));
        var services = new ServiceCollection();
        var builder = services.AddLlmGateway(o => o.Providers["acme"] = new AcmeProviderOptions
        {
            Type = AcmeProviderFactory.TypeName,
            BaseUrl = _upstream.Urls[0],
            ApiKey = "acme-key",
            Deployment = "in-code",
            Models = ["acme-model"],
        });
        builder.AddProvidersFrom(typeof(AcmeProviderFactory).Assembly).AddUpstreamHttpClient(AcmeProviderFactory.HttpClientName);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        using var chat = provider.GetRequiredService<ILlmGateway>().GetChatClient("acme-model");

        var response = await chat.GetResponseAsync("Hi");

        response.Text.Should().Be("Hello from Acme.");
    }

    [Fact]
    public void Validate_TheFactorysOwnRule_IsReportedAtStart()
    {
        var settings = Configured();
        settings.Remove("LlmGateway:Providers:acme:Deployment");
        var services = Build(settings);

        var act = () => services.GetRequiredService<IOptions<LlmGatewayOptions>>().Value;

        act.Should().Throw<OptionsValidationException>()
            .Which.Failures.Should().Contain("LlmGateway:Providers:acme:Deployment is required for an Acme instance.");
    }

    [Fact]
    public async Task Readiness_InstanceWithoutKey_IsNotReady()
    {
        var settings = Configured();
        settings.Remove("LlmGateway:Providers:acme:ApiKey");
        var health = Build(settings).GetRequiredService<HealthCheckService>();

        var report = await health.CheckHealthAsync();

        report.Entries["llmgateway"].Status.Should().Be(HealthStatus.Unhealthy);
        report.Entries["llmgateway"].Data["acme"].Should().Be("not configured: The provider 'acme' has no API key. Set LlmGateway:Providers:acme:ApiKey.");
    }

    [Fact]
    public void AddProvidersFrom_Twice_RegistersTheFactoryOnce()
    {
        var services = new ServiceCollection();
        services.AddLlmGateway().AddProvidersFrom(typeof(AcmeProviderFactory).Assembly).AddProvidersFrom(typeof(AcmeProviderFactory).Assembly);

        services.Where(static d => d.ServiceType == typeof(ILlmProviderFactory)).Should().ContainSingle()
            .Which.ImplementationType.Should().Be<AcmeProviderFactory>();
    }

    private Dictionary<string, string?> Configured() => new()
    {
        ["LlmGateway:Providers:acme:Type"] = AcmeProviderFactory.TypeName,
        ["LlmGateway:Providers:acme:BaseUrl"] = _upstream.Urls[0],
        ["LlmGateway:Providers:acme:ApiKey"] = "acme-key",
        ["LlmGateway:Providers:acme:Deployment"] = "dep-1",
        ["LlmGateway:Providers:acme:Models:0"] = "acme-model",
    };

    private ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLlmGateway(configuration.GetSection(LlmGatewayOptions.SectionName))
            .AddProvidersFrom(typeof(AcmeProviderFactory).Assembly)
            .AddUpstreamHttpClient(AcmeProviderFactory.HttpClientName);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider;
    }
}
