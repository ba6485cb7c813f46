using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Hosts that must refuse to start. They are built here the way the thin host's Program.cs builds itself, rather than
/// through WebApplicationFactory, whose deferred host can report a failed start as an ObjectDisposedException.
/// </summary>
public sealed class StartupTests
{
    [Fact]
    public async Task BadConfigurationStopsTheStartWithEveryErrorNamingItsKey()
    {
        await using var app = Build(new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:azure:Type"] = "Azure",
            ["LlmGateway:Providers:local:Type"] = "OpenAI",
            ["LlmGateway:Providers:local:BaseUrl"] = "not a url",
            ["LlmGateway:RequestTimeout"] = "-00:00:01",
        });

        var start = () => app.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.Failures.Should().HaveCount(3);
        failure.Message.Should().Contain("LlmGateway:Providers:azure:Type")
            .And.Contain("LlmGateway:Providers:local:BaseUrl")
            .And.Contain("LlmGateway:RequestTimeout");
    }

    [Fact]
    public async Task BadAliasesStopTheStartNamingTheirKeys()
    {
        await using var app = Build(new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:ApiKey"] = "k",
            ["LlmGateway:Models:smart:Strategy"] = "Fastest",
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "nowhere",
            ["LlmGateway:Models:heavy:Strategy"] = "Weighted",
            ["LlmGateway:Models:heavy:Targets:0:Provider"] = "openai",
            ["LlmGateway:Models:heavy:Targets:0:Weight"] = "0",
            ["LlmGateway:MaxAttempts"] = "0",
        });

        var start = () => app.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.Message.Should().Contain("LlmGateway:Models:smart:Strategy")
            .And.Contain("LlmGateway:Models:smart:Targets:0:Provider")
            .And.Contain("LlmGateway:Models:heavy")
            .And.Contain("LlmGateway:MaxAttempts");
    }

    [Fact]
    public async Task UnknownConfigurationKeyStopsTheStart()
    {
        await using var app = Build(new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:ApiKeyy"] = "typo",
            ["LlmGateway:Timeout"] = "00:01:00",
        });

        var start = () => app.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.Failures.Should().HaveCount(2);
        failure.Message.Should().Contain("LlmGateway:Providers:openai:ApiKeyy").And.Contain("LlmGateway:Timeout");
    }

    [Fact]
    public async Task ValueThatCannotBeBoundStopsTheStartNamingItsKey()
    {
        // Without the check the binder drops the key: the host starts and the key's owner gets 401.
        await using var app = Build(new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:ApiKey"] = "k",
            ["LlmGateway:Auth:Keys:0:Key"] = "lgw-0123456789abcdef",
            ["LlmGateway:Auth:Keys:0:Name"] = "team-a",
            ["LlmGateway:Auth:Keys:0:TokensPerMinute"] = "abc",
        });

        var start = () => app.StartAsync();

        var failure = (await start.Should().ThrowAsync<OptionsValidationException>()).Which;
        failure.Failures.Should().ContainSingle().Which.Should().StartWith("LlmGateway:Auth:Keys:0:TokensPerMinute: 'abc' is not a whole number");
    }

    [Fact]
    public async Task GoodConfigurationStarts()
    {
        await using var app = Build(new Dictionary<string, string?> { ["LlmGateway:Providers:openai:ApiKey"] = "k" });

        await app.StartAsync();

        await app.StopAsync();
    }

    private static WebApplication Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IEnvironmentVariables>(new NoEnvironment());
        builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName)).AddOpenAI().AddGemini();
        WebApplication app;
        lock (HostBuildGate.Gate)
        {
            app = builder.Build();
        }

        app.MapLlmGateway();
        return app;
    }

    private sealed class NoEnvironment : IEnvironmentVariables
    {
        public string? Get(string name) => null;
    }
}
