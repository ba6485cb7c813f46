using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.Core.Tests.Providers;

/// <summary>
/// <c>LlmGateway:Resilience</c> as a host uses it: bound from configuration, reloaded without a restart, validated, and
/// the pipeline's events in Polly's telemetry; against a WireMock upstream on loopback.
/// </summary>
public sealed class UpstreamResilienceSettingsTests : IDisposable
{
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly IConfigurationRoot _configuration;
    private readonly ServiceProvider _services;
    private readonly HttpMessageInvoker _client;
    private readonly string _clientName = "LlmGateway.Test" + Guid.NewGuid().ToString("N");

    public UpstreamResilienceSettingsTests()
    {
        _upstream.Given(Request.Create().WithPath("/fail").UsingPost()).RespondWith(Response.Create().WithStatusCode(HttpStatusCode.ServiceUnavailable));
        _upstream.Given(Request.Create().WithPath("/ok").UsingPost()).RespondWith(Response.Create().WithStatusCode(HttpStatusCode.OK));
        _configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["LlmGateway:Resilience:MaxRetries"] = "2",
                ["LlmGateway:Resilience:BaseDelay"] = "00:00:00.001",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new FakeEnvironmentVariables());
        services.AddLlmGateway(_configuration.GetSection(LlmGatewayOptions.SectionName))
            .ConfigureUpstreamResilience((builder, context) => Configured.Add(context.BuilderName));
        UpstreamHttpClient.Add(services, _clientName);
        _services = services.BuildServiceProvider();
        _client = UpstreamHttpClient.CreateInvoker(_services.GetRequiredService<IHttpMessageHandlerFactory>(), _clientName);
    }

    /// <summary>The builder names the <c>ConfigureUpstreamResilience</c> hook was called with.</summary>
    private ConcurrentBag<string> Configured { get; } = [];

    public void Dispose()
    {
        _client.Dispose();
        _services.Dispose();
        _upstream.Dispose();
    }

    private async Task<HttpStatusCode> SendAsync(string path, bool noRetry = false, string? caller = null, bool patient = false)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, _upstream.Url + path) { Content = new StringContent("{}") };
        if (noRetry)
        {
            message.Options.Set(UpstreamHttpClient.NoRetry, true);
        }

        if (patient)
        {
            message.Options.Set(UpstreamHttpClient.Patient, true);
        }

        if (caller is not null)
        {
            message.Options.Set(UpstreamHttpClient.Caller, caller);
        }

        try
        {
            using var response = await _client.SendAsync(message, CancellationToken.None);
            return response.StatusCode;
        }
        catch (UpstreamCircuitOpenException)
        {
            return HttpStatusCode.ServiceUnavailable | (HttpStatusCode)1000; // told apart from the upstream's own 503
        }
    }

    private int Attempts(string path) => _upstream.LogEntries.Count(e => e.RequestMessage.Path == path);

    private void Reload(string key, string value)
    {
        _configuration["LlmGateway:Resilience:" + key] = value;
        _configuration.Reload();
    }

    [Fact]
    public async Task MaxRetries_ChangedByAReload_ChangesTheNumberOfUpstreamAttempts()
    {
        (await SendAsync("/fail")).Should().Be(HttpStatusCode.ServiceUnavailable);
        Attempts("/fail").Should().Be(3, "the first attempt and two retries");

        Reload("MaxRetries", "0");
        (await SendAsync("/fail")).Should().Be(HttpStatusCode.ServiceUnavailable);
        Attempts("/fail").Should().Be(4, "no retry once MaxRetries is 0");

        Reload("MaxRetries", "4");
        (await SendAsync("/fail")).Should().Be(HttpStatusCode.ServiceUnavailable);
        Attempts("/fail").Should().Be(9, "the first attempt and four retries");
    }

    [Fact]
    public async Task Patience_ChangedByAReload_TurnsPatientRetriesOnAndOff()
    {
        (await SendAsync("/fail", patient: true)).Should().Be(HttpStatusCode.ServiceUnavailable);
        Attempts("/fail").Should().Be(2, "one patient retry after a 503");

        Reload("Patience", "00:00:00");
        (await SendAsync("/fail", patient: true)).Should().Be(HttpStatusCode.ServiceUnavailable);
        Attempts("/fail").Should().Be(3, "no patience: another target is tried at once");
    }

    [Fact]
    public async Task InvalidReload_KeepsTheLastGoodSettings()
    {
        Reload("MaxRetries", "1");
        (await SendAsync("/fail")).Should().Be(HttpStatusCode.ServiceUnavailable);
        Attempts("/fail").Should().Be(2);

        try
        {
            Reload("MaxRetries", "-3");
        }
        catch (AggregateException e) when (e.InnerException is OptionsValidationException)
        {
            // The options monitor itself reports an invalid reload to whoever raised it.
        }

        (await SendAsync("/fail")).Should().Be(HttpStatusCode.ServiceUnavailable);
        Attempts("/fail").Should().Be(4, "the invalid value is refused and one retry stays in force");
    }

    [Fact]
    public async Task BreakerSettings_ChangedByAReload_TakeEffect()
    {
        for (var i = 0; i < 3; i++)
        {
            (await SendAsync("/fail", noRetry: true)).Should().Be(HttpStatusCode.ServiceUnavailable);
        }

        (await SendAsync("/ok")).Should().Be(HttpStatusCode.OK, "3 calls are below the default minimum throughput of 20");

        Reload("MinimumThroughput", "2");
        for (var i = 0; i < 2; i++)
        {
            (await SendAsync("/fail", noRetry: true)).Should().Be(HttpStatusCode.ServiceUnavailable);
        }

        (await SendAsync("/ok")).Should().Be(HttpStatusCode.ServiceUnavailable | (HttpStatusCode)1000, "2 failures of 2 calls trip the circuit now");
        Attempts("/ok").Should().Be(1, "an open circuit sends nothing");
    }

    [Fact]
    public async Task RetriesAndCircuitChanges_AreReportedThroughPollysMeter()
    {
        var events = new ConcurrentQueue<(string Event, string Strategy)>();
        var pipeline = _clientName + "-" + UpstreamResilience.HandlerName;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Polly" && instrument.Name == "resilience.polly.strategy.events")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, _, tags, _) =>
        {
            string? name = null, strategy = null, pipelineName = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "event.name": name = tag.Value as string; break;
                    case "strategy.name": strategy = tag.Value as string; break;
                    case "pipeline.name": pipelineName = tag.Value as string; break;
                }
            }

            if (pipelineName == pipeline)
            {
                events.Enqueue((name!, strategy!));
            }
        });
        listener.Start();

        (await SendAsync("/ok")).Should().Be(HttpStatusCode.OK);
        events.Should().BeEmpty("a call that needs no retry reports nothing");

        (await SendAsync("/fail")).Should().Be(HttpStatusCode.ServiceUnavailable);
        events.Count(e => e == ("OnRetry", UpstreamResilience.RetryName)).Should().Be(2);

        (await SendAsync("/fail", patient: true)).Should().Be(HttpStatusCode.ServiceUnavailable);
        events.Count(e => e == ("OnRetry", UpstreamResilience.RetryName)).Should().Be(3, "a patient retry is reported like any other");

        Reload("MinimumThroughput", "2");
        (await SendAsync("/fail", noRetry: true, caller: "key-a")).Should().Be(HttpStatusCode.ServiceUnavailable);
        events.Should().NotContain(e => e.Strategy == UpstreamResilience.CircuitName);
        (await SendAsync("/fail", noRetry: true, caller: "key-b")).Should().Be(HttpStatusCode.ServiceUnavailable);
        events.Should().Contain(("OnCircuitOpened", UpstreamResilience.CircuitName), "two callers' calls failed");
    }

    [Fact]
    public async Task ConfigureUpstreamResilience_RunsWhenThePipelineIsBuiltAndRebuilt()
    {
        (await SendAsync("/ok")).Should().Be(HttpStatusCode.OK);
        Configured.Should().Equal(_clientName + "-" + UpstreamResilience.HandlerName);

        Reload("MaxRetries", "1");
        (await SendAsync("/ok")).Should().Be(HttpStatusCode.OK);
        Configured.Should().HaveCount(2).And.OnlyContain(name => name == _clientName + "-" + UpstreamResilience.HandlerName);
    }

    [Fact]
    public async Task ConfigureUpstreamResilience_StrategiesAddedRunOncePerAttempt()
    {
        var attempts = 0;
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new FakeEnvironmentVariables());
        services.AddLlmGateway(o => o.Resilience.BaseDelay = TimeSpan.Zero)
            .ConfigureUpstreamResilience((builder, _) => builder.AddStrategy(_ => new CountingStrategy(() => Interlocked.Increment(ref attempts)), new CountingOptions()));
        UpstreamHttpClient.Add(services, "LlmGateway.Counted");
        await using var provider = services.BuildServiceProvider();
        using var client = UpstreamHttpClient.CreateInvoker(provider.GetRequiredService<IHttpMessageHandlerFactory>(), "LlmGateway.Counted");

        using var message = new HttpRequestMessage(HttpMethod.Post, _upstream.Url + "/fail") { Content = new StringContent("{}") };
        using var response = await client.SendAsync(message, CancellationToken.None);

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        attempts.Should().Be(3, "the added strategy runs inside the retry");
    }

    [Theory]
    [InlineData("MaxRetries", "-1", "LlmGateway:Resilience:MaxRetries must be from 0 to 10.")]
    [InlineData("MaxRetries", "11", "LlmGateway:Resilience:MaxRetries must be from 0 to 10.")]
    [InlineData("BaseDelay", "-00:00:01", "LlmGateway:Resilience:BaseDelay must be from 00:00:00 to 00:01:00.")]
    [InlineData("MaxRetryWait", "01:00:00", "LlmGateway:Resilience:MaxRetryWait must be from 00:00:00 to 00:10:00.")]
    [InlineData("Patience", "00:01:01", "LlmGateway:Resilience:Patience must be from 00:00:00 to 00:01:00.")]
    [InlineData("Patience", "-00:00:01", "LlmGateway:Resilience:Patience must be from 00:00:00 to 00:01:00.")]
    [InlineData("FailureRatio", "0", "LlmGateway:Resilience:FailureRatio must be above 0 and at most 1.")]
    [InlineData("FailureRatio", "1.5", "LlmGateway:Resilience:FailureRatio must be above 0 and at most 1.")]
    [InlineData("MinimumThroughput", "1", "LlmGateway:Resilience:MinimumThroughput must be at least 2.")]
    [InlineData("SamplingDuration", "00:00:00.5", "LlmGateway:Resilience:SamplingDuration must be from 00:00:01 to 1.00:00:00.")]
    [InlineData("BreakDuration", "00:00:00", "LlmGateway:Resilience:BreakDuration must be from 00:00:00.5 to 1.00:00:00.")]
    public void OutOfRangeSetting_IsRefusedWithItsKey(string key, string value, string error)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["LlmGateway:Resilience:" + key] = value })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new FakeEnvironmentVariables());
        services.AddLlmGateway(configuration.GetSection(LlmGatewayOptions.SectionName));
        using var provider = services.BuildServiceProvider();

        var read = () => provider.GetRequiredService<IOptions<LlmGatewayOptions>>().Value;

        read.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(error);
    }

    [Fact]
    public void UnknownResilienceKey_IsRefusedWithItsPath()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["LlmGateway:Resilience:MaxRetry"] = "1" })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new FakeEnvironmentVariables());
        services.AddLlmGateway(configuration.GetSection(LlmGatewayOptions.SectionName));
        using var provider = services.BuildServiceProvider();

        var read = () => provider.GetRequiredService<IOptions<LlmGatewayOptions>>().Value;

        read.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f => f.StartsWith("LlmGateway:Resilience:MaxRetry is not a known setting", StringComparison.Ordinal));
    }

    private sealed class CountingOptions : ResilienceStrategyOptions;

    private sealed class CountingStrategy(Action count) : ResilienceStrategy<HttpResponseMessage>
    {
        protected override ValueTask<Outcome<HttpResponseMessage>> ExecuteCore<TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<HttpResponseMessage>>> callback,
            ResilienceContext context,
            TState state)
        {
            count();
            return callback(context, state);
        }
    }
}
