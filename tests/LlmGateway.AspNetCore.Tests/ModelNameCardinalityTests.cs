using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Model names a client makes up (routed by a pattern such as <c>gpt-…</c> or <c>openai/…</c>, or not at all) must not
/// become metric tag values, span attributes or usage rows: they show as <c>unresolved</c>, so what a scrape returns
/// does not grow with the number of names sent. The stand-in upstream answers every model, as a permissive
/// OpenAI-compatible server would.
/// </summary>
public sealed class ModelNameCardinalityTests : IDisposable
{
    private const string Key = "lgw-cardinality-test-key";
    private readonly WireMockServer _upstream = WireMockServer.Start();

    public ModelNameCardinalityTests()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        _upstream.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Models));
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    [Fact]
    public async Task RandomModelNames_DoNotGrowTheTagValuesAndLeaveNoUsageRowsUnderTheirNames()
    {
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?>
        {
            ["LlmGateway:Auth:Mode"] = "Gateway",
            ["LlmGateway:Auth:Keys:0:Key"] = Key,
            ["LlmGateway:Auth:Keys:0:Name"] = "team-a",
        });
        using var client = host.CreateClient();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var series = new ConcurrentDictionary<string, bool>();
        using var listener = Listen(factory, series);
        var trace = ActivityTraceId.CreateRandom();
        var spans = new ConcurrentQueue<Activity>();
        using var spanListener = ListenToSpans(trace, spans);
        var sent = new List<string>();

        async Task SendAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var made = Guid.NewGuid().ToString("N");
                foreach (var model in new[] { $"gpt-{made}", $"openai/{made}", $"no-such-{made}" })
                {
                    sent.Add(made);
                    using var response = await ChatAsync(client, model, trace);
                    response.StatusCode.Should().BeOneOf(HttpStatusCode.OK, HttpStatusCode.NotFound);
                }
            }
        }

        await SendAsync(5);
        listener.RecordObservableInstruments();
        var afterFive = series.Keys.ToHashSet();
        await SendAsync(45);
        listener.RecordObservableInstruments();

        series.Keys.Should().BeEquivalentTo(afterFive, "45 more made-up names add no series");
        series.Keys.Should().NotContain(k => sent.Any(s => k.Contains(s, StringComparison.Ordinal)));
        series.Keys.Should().Contain("gen_ai.client.operation.duration gen_ai.request.model=unresolved");
        spans.Should().NotBeEmpty().And.OnlyContain(s => !sent.Any(m => s.DisplayName.Contains(m, StringComparison.Ordinal))
            && s.TagObjects.All(t => !sent.Any(m => (t.Value as string ?? string.Empty).Contains(m, StringComparison.Ordinal))));
        var usage = await host.Services.GetRequiredService<IUsageStore>().ListAsync("team-a", UsagePeriod.Day, DateTimeOffset.UtcNow, default);
        usage.Should().NotBeEmpty("the tokens were used all the same").And.OnlyContain(u => u.Model == "unresolved");
    }

    [Fact]
    public async Task ConfiguredAndCatalogModels_KeepTheirNames()
    {
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:Models:0"] = "my-finetune",
        });
        using var client = host.CreateClient();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var series = new ConcurrentDictionary<string, bool>();
        using var listener = Listen(factory, series);

        foreach (var model in new[] { "my-finetune", "OPENAI/my-finetune", "gpt-4o-mini" })
        {
            using var response = await ChatAsync(client, model, ActivityTraceId.CreateRandom());
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        series.Keys.Where(k => k.StartsWith("gen_ai.client.operation.duration gen_ai.request.model=", StringComparison.Ordinal))
            .Should().BeEquivalentTo(
                "gen_ai.client.operation.duration gen_ai.request.model=my-finetune",
                "gen_ai.client.operation.duration gen_ai.request.model=openai/my-finetune",
                "gen_ai.client.operation.duration gen_ai.request.model=gpt-4o-mini");
    }

    private static MeterListener Listen(IMeterFactory factory, ConcurrentDictionary<string, bool> series)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Meter.Name == "LlmGateway")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            foreach (var (name, tag) in tags)
            {
                series[$"{instrument.Name} {name}={tag}"] = true;
            }
        }

        listener.SetMeasurementEventCallback<double>(Record);
        listener.SetMeasurementEventCallback<long>(Record);
        listener.SetMeasurementEventCallback<int>(Record);
        listener.Start();
        return listener;
    }

    private static ActivityListener ListenToSpans(ActivityTraceId trace, ConcurrentQueue<Activity> spans)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name == "LlmGateway",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == trace)
                {
                    spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static async Task<HttpResponseMessage> ChatAsync(HttpClient client, string model, ActivityTraceId trace)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        return await client.SendAsync(request);
    }
}
