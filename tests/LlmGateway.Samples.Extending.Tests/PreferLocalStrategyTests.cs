using LlmGateway.Samples.Extending.Routing;
using Microsoft.Extensions.Options;

namespace LlmGateway.Samples.Extending.Tests;

/// <summary>The <c>PreferLocal</c> strategy: its ordering alone, and an alias using it through the gateway.</summary>
public sealed class PreferLocalStrategyTests : IDisposable
{
    private const string Chat = """{"model":"private","messages":[{"role":"user","content":"Hi"}]}""";

    private readonly AnthropicUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public void Order_PutsLocalTargetsFirst_ThenByPriority_ThenConfigurationOrder()
    {
        var remoteA = Target("cloud-a", priority: 0);
        var localLate = Target("ollama", priority: 5);
        var remoteB = Target("cloud-b", priority: 0);
        var localEarly = Target("vllm", priority: 1);
        var sut = new PreferLocalStrategy(new StaticOptions(new PreferLocalOptions { Providers = ["OLLAMA", "vllm"] }));

        var ordered = sut.Order(new RoutingContext("private", [remoteA, localLate, remoteB, localEarly]));

        ordered.Should().Equal(localEarly, localLate, remoteA, remoteB);
    }

    [Fact]
    public void Order_NoLocalTargets_KeepsPriorityThenConfigurationOrder()
    {
        var first = Target("a", priority: 1);
        var second = Target("b", priority: 0);
        var third = Target("c", priority: 1);
        var sut = new PreferLocalStrategy(new StaticOptions(new PreferLocalOptions()));

        sut.Order(new RoutingContext("private", [first, second, third])).Should().Equal(second, first, third);
    }

    [Fact]
    public void Order_LocalTargetWhoseCircuitIsOpen_GoesAfterTheRemoteOnes()
    {
        var remote = Target("cloud-a", priority: 0);
        var local = Target("ollama", priority: 0);
        var sut = new PreferLocalStrategy(new StaticOptions(new PreferLocalOptions { Providers = ["ollama"] }));

        var ordered = sut.Order(new RoutingContext("private", [remote, local],
            target => target == local ? new RouteTargetState { Circuit = TargetCircuitState.Open } : default));

        ordered.Should().Equal(remote, local);
    }

    [Fact]
    public async Task Alias_WithPreferLocal_IsServedByTheLocalInstanceAlthoughItIsListedSecond()
    {
        ConfigureRemoteAndLocal();
        _upstream.PostReturnsFile("message-text.json", path: "/remote/v1/messages");
        _upstream.PostReturnsFile("message-text.json", path: "/local/v1/messages");

        await using var response = await _upstream.SendAsync(Chat);

        response.IsSuccess.Should().BeTrue();
        response.ProviderName.Should().Be("local");
        _upstream.SingleRequest("/local/v1/messages").Body.Path("model").GetString().Should().Be("claude-local");
    }

    [Fact]
    public async Task Alias_WithPreferLocal_FailsOverToTheRemoteInstanceWhenTheLocalOneIsOverloaded()
    {
        ConfigureRemoteAndLocal();
        _upstream.PostReturnsFile("message-text.json", path: "/remote/v1/messages");
        _upstream.PostReturns("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", status: 529, path: "/local/v1/messages");

        await using var response = await _upstream.SendAsync(Chat);

        response.ProviderName.Should().Be("remote");
        response.Attempts.Should().Be(2);
        _upstream.Server.LogEntries.Select(e => e.RequestMessage.Path).Should().Equal("/local/v1/messages", "/remote/v1/messages");
    }

    private void ConfigureRemoteAndLocal()
    {
        foreach (var name in new[] { "remote", "local" })
        {
            _upstream.Settings[$"LlmGateway:Providers:{name}:Type"] = "Anthropic";
            _upstream.Settings[$"LlmGateway:Providers:{name}:ApiKey"] = AnthropicUpstream.ApiKey;
            _upstream.Settings[$"LlmGateway:Providers:{name}:BaseUrl"] = $"{_upstream.Server.Urls[0]}/{name}";
        }

        _upstream.Settings["LlmGateway:Models:private:Strategy"] = "PreferLocal";
        _upstream.Settings["LlmGateway:Models:private:Targets:0:Provider"] = "remote";
        _upstream.Settings["LlmGateway:Models:private:Targets:0:Model"] = "claude-remote";
        _upstream.Settings["LlmGateway:Models:private:Targets:1:Provider"] = "local";
        _upstream.Settings["LlmGateway:Models:private:Targets:1:Model"] = "claude-local";
        _upstream.Settings["PreferLocal:Providers:0"] = "local";
    }

    private static RouteTarget Target(string provider, int priority) => new(new NamedProvider(provider), "model", Priority: priority);

    private sealed class StaticOptions(PreferLocalOptions value) : IOptionsMonitor<PreferLocalOptions>
    {
        public PreferLocalOptions CurrentValue => value;

        public PreferLocalOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<PreferLocalOptions, string?> listener) => null;
    }

    private sealed class NamedProvider(string name) : ILlmProvider
    {
        public string Name => name;

        public string Type => "Test";

        public ProviderCapabilities Capabilities => ProviderCapabilities.ChatCompletions;

        public ValueTask<GatewayResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<ModelListResult> ListModelsAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
