using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LlmGateway.Samples.Extending.Tests;

/// <summary>The Anthropic type's own options (bound from its instance's section and validated) and its readiness.</summary>
public sealed class AnthropicOptionsTests : IDisposable
{
    private readonly AnthropicUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task OwnSettings_AreBoundFromTheInstancesSection_AndSent()
    {
        _upstream.Settings["LlmGateway:Providers:anthropic:AnthropicVersion"] = "2024-01-01";
        _upstream.Settings["LlmGateway:Providers:anthropic:DefaultMaxTokens"] = "77";
        _upstream.PostReturnsFile("message-text.json");

        using var chat = _upstream.Gateway.GetChatClient("assistant");
        await chat.GetResponseAsync("Hello");

        var sent = _upstream.Server.LogEntries.Should().ContainSingle().Subject.RequestMessage;
        sent.Headers!["anthropic-version"].Should().Equal("2024-01-01");
        new SentRequest(sent).Body.Path("max_tokens").GetInt32().Should().Be(77, "the request set no max_tokens");
    }

    [Fact]
    public void UnknownSetting_IsRefusedWithItsPath()
    {
        _upstream.Settings["LlmGateway:Providers:anthropic:AnthropicVersoin"] = "2024-01-01";

        var start = () => _upstream.Gateway;

        start.Should().Throw<Exception>().Which.ToString().Should().Contain("LlmGateway:Providers:anthropic:AnthropicVersoin");
    }

    [Fact]
    public void InvalidDefaultMaxTokens_IsRefusedWithItsPath()
    {
        _upstream.Settings["LlmGateway:Providers:anthropic:DefaultMaxTokens"] = "0";

        var start = () => _upstream.Gateway;

        start.Should().Throw<Exception>().Which.ToString().Should().Contain("LlmGateway:Providers:anthropic:DefaultMaxTokens must be at least 1");
    }

    [Fact]
    public async Task Readiness_WithoutAnApiKey_IsUnhealthyNamingTheSetting()
    {
        _upstream.Settings["LlmGateway:Providers:anthropic:ApiKey"] = "";
        _upstream.Settings["LlmGateway:Auth:Mode"] = "Gateway";

        var report = await _upstream.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"));

        report.Status.Should().Be(HealthStatus.Unhealthy);
        report.Entries.Values.SelectMany(e => e.Data).Should().Contain(d => d.Key == "anthropic" && d.Value.ToString()!.Contains("LlmGateway:Providers:anthropic:ApiKey"));
    }

    [Fact]
    public async Task Readiness_WithAnApiKey_IsHealthy()
    {
        _upstream.Settings["LlmGateway:Auth:Mode"] = "Gateway";

        var report = await _upstream.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"));

        report.Status.Should().Be(HealthStatus.Healthy);
    }
}
