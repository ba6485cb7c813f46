using LlmGateway.AspNetCore.Tests.Infrastructure;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Hosts that must fail to start. They run alone: WebApplicationFactory intercepts the host being built through a
/// process-wide listener, and a host that throws while another test's host starts can be mixed up with it.
/// </summary>
[Collection(nameof(StartupTests))]
[CollectionDefinition(nameof(StartupTests), DisableParallelization = true)]
public sealed class StartupTests
{
    private const string Upstream = "http://127.0.0.1:9/v1";

    [Fact]
    public void BadConfigurationStopsTheStartWithEveryErrorNamingItsKey()
    {
        using var host = new GatewayHost(Upstream, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:azure:Type"] = "Azure",
            ["LlmGateway:Providers:local:Type"] = "OpenAI",
            ["LlmGateway:Providers:local:BaseUrl"] = "not a url",
            ["LlmGateway:RequestTimeout"] = "-00:00:01",
        });

        var start = () => host.CreateClient();

        var failure = start.Should().Throw<Exception>().Which;
        var message = failure.ToString();
        message.Should().Contain("LlmGateway:Providers:azure:Type");
        message.Should().Contain("LlmGateway:Providers:local:BaseUrl");
        message.Should().Contain("LlmGateway:RequestTimeout");
    }

    [Fact]
    public void UnknownConfigurationKeyStopsTheStart()
    {
        using var host = new GatewayHost(Upstream, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:ApiKeyy"] = "typo",
        });

        var start = () => host.CreateClient();

        start.Should().Throw<Exception>().Which.ToString().Should().Contain("ApiKeyy");
    }
}
