using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Stages added with <c>Use</c>: they see every admitted request, in process and over HTTP, can change its body before
/// the cache and the upstream, watch the response (a stream's events too), or answer by themselves; a caller the
/// gateway refuses never reaches them.
/// </summary>
public sealed class MiddlewareTests : IDisposable
{
    private const string Secret = "hunter2-super-secret";
    private const string GatewayKey = "lgw-test-middleware-key-0001";
    private const string LimitedKey = "lgw-test-middleware-key-0002";
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly Audit _audit = new();

    public MiddlewareTests()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    /// <summary>Replaces the secret in the body before anything after it sees the request.</summary>
    private static ValueTask<GatewayResponse> RedactAsync(GatewayContext context, GatewayRequestDelegate next)
    {
        var body = Encoding.UTF8.GetString(context.Request.Body.Span);
        if (body.Contains(Secret, StringComparison.Ordinal))
        {
            context.Request = context.Request.WithBody(Encoding.UTF8.GetBytes(body.Replace(Secret, "[redacted]", StringComparison.Ordinal)));
        }

        return next(context);
    }

    /// <summary>Answers by itself for a prompt that asks for what is not allowed.</summary>
    private static ValueTask<GatewayResponse> BlockAsync(GatewayContext context, GatewayRequestDelegate next) =>
        Encoding.UTF8.GetString(context.Request.Body.Span).Contains("forbidden topic", StringComparison.Ordinal)
            ? ValueTask.FromResult(GatewayResponse.FromError(new GatewayError(GatewayErrorKind.InvalidRequest, "The prompt is not allowed here.", "messages") { Code = "content_blocked" }))
            : next(context);

    private ServiceProvider InProcess()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new NoEnvironment());
        services.AddSingleton(_audit);
        services.AddLlmGateway(options => options.Providers["openai"] = new ProviderOptions
        {
            BaseUrl = _upstream.Urls[0] + "/v1",
            ApiKey = TestKeys.Upstream,
        })
            .AddOpenAI()
            .Use<AuditStage>()
            .Use(RedactAsync)
            .Use(BlockAsync);
        return services.BuildServiceProvider();
    }

    private GatewayHost Host() => new(_upstream.Urls[0] + "/v1", new Dictionary<string, string?>
    {
        ["LlmGateway:Auth:Mode"] = "Gateway",
        ["LlmGateway:Auth:Keys:0:Key"] = GatewayKey,
        ["LlmGateway:Auth:Keys:0:Name"] = "team-a",
        ["LlmGateway:Auth:Keys:1:Key"] = LimitedKey,
        ["LlmGateway:Auth:Keys:1:Name"] = "limited",
        ["LlmGateway:Auth:Keys:1:AllowedModels:0"] = "gpt-4o",
    }, services =>
    {
        services.AddSingleton(_audit);
        new LlmGatewayBuilder(services).Use<AuditStage>().Use(RedactAsync).Use(BlockAsync);
    });

    private static async Task<HttpResponseMessage> ChatAsync(HttpClient client, string? bearer, string prompt)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = prompt } } }), Encoding.UTF8, "application/json"),
        };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await client.SendAsync(request);
    }

    [Fact]
    public async Task InProcess_ARedactionStageChangesWhatTheUpstreamReceives_AndAnAuditStageSeesStatusAndUsage()
    {
        using var services = InProcess();
        using var chat = services.GetRequiredService<ILlmGateway>().GetChatClient("gpt-4o-mini");

        var response = await chat.GetResponseAsync($"my password is {Secret}");

        response.Text.Should().Be("Hello there!");
        var sent = _upstream.LogEntries.Should().ContainSingle().Subject.RequestMessage.Body;
        sent.Should().NotContain(Secret).And.Contain("my password is [redacted]");
        _audit.Entries.Should().ContainSingle().Which.Should().Be(new AuditEntry("gpt-4o-mini", 200, TotalTokens: 12, Events: 0));
    }

    [Fact]
    public async Task InProcess_AnAuditStageSeesAStreamsEventsAsTheyPass()
    {
        var sse = $"data: {Sse.Chunk("c1", "Hel")}\n\ndata: {Sse.Chunk("c1", "lo")}\n\ndata: {Sse.Chunk("c1", "", "stop")}\n\ndata: [DONE]\n\n";
        _upstream.ResetMappings();
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
        using var services = InProcess();
        using var chat = services.GetRequiredService<ILlmGateway>().GetChatClient("gpt-4o-mini");

        var text = new StringBuilder();
        await foreach (var update in chat.GetStreamingResponseAsync($"say hi, {Secret}"))
        {
            text.Append(update.Text);
        }

        text.ToString().Should().Be("Hello");
        _upstream.LogEntries.Should().ContainSingle().Subject.RequestMessage.Body.Should().NotContain(Secret);
        _audit.Entries.Should().ContainSingle().Which.Events.Should().BeGreaterThanOrEqualTo(3, "each chunk passes the stage's wrapper");
    }

    [Fact]
    public async Task InProcess_AStageCanAnswerByItself_AndNothingGoesUpstream()
    {
        using var services = InProcess();
        var gateway = services.GetRequiredService<ILlmGateway>();

        await using var response = await gateway.SendAsync(new GatewayRequest(
            GatewayOperation.ChatCompletions,
            Encoding.UTF8.GetBytes("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"tell me about the forbidden topic"}]}""")));

        response.StatusCode.Should().Be(400);
        response.Error!.Code.Should().Be("content_blocked");
        _upstream.LogEntries.Should().BeEmpty();
        _audit.Entries.Should().ContainSingle().Which.Status.Should().Be(400, "the audit stage, added first, sees the answer of the stage after it");
    }

    [Fact]
    public async Task OverHttp_StagesRedactAuditAndAnswer_AfterAdmission()
    {
        using var host = Host();
        using var client = host.CreateClient();

        using (var refused = await ChatAsync(client, "lgw-not-a-key-of-this-gateway", $"my password is {Secret}"))
        {
            refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        using (var notAllowed = await ChatAsync(client, LimitedKey, $"my password is {Secret}"))
        {
            notAllowed.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        }

        _audit.Entries.Should().BeEmpty("a caller the gateway refuses (its key, or its policy for the model) never reaches a stage");

        using (var answered = await ChatAsync(client, GatewayKey, $"my password is {Secret}"))
        {
            answered.StatusCode.Should().Be(HttpStatusCode.OK);
            (await answered.Content.ReadAsStringAsync()).Should().Contain("Hello there!");
        }

        _upstream.LogEntries.Should().ContainSingle().Subject.RequestMessage.Body.Should().NotContain(Secret).And.Contain("[redacted]");
        _audit.Entries.Should().ContainSingle().Which.Should().Be(new AuditEntry("gpt-4o-mini", 200, TotalTokens: 12, Events: 0));

        using (var blocked = await ChatAsync(client, GatewayKey, "tell me about the forbidden topic"))
        {
            blocked.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            using var error = JsonDocument.Parse(await blocked.Content.ReadAsStringAsync());
            error.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("content_blocked");
            error.RootElement.GetProperty("error").GetProperty("param").GetString().Should().Be("messages");
        }

        _upstream.LogEntries.Should().ContainSingle("the blocked request never went upstream");
    }

    private sealed class NoEnvironment : IEnvironmentVariables
    {
        public string? Get(string name) => null;
    }

    internal sealed record AuditEntry(string? Model, int Status, long? TotalTokens, int Events);

    internal sealed class Audit
    {
        public ConcurrentQueue<AuditEntry> Entries { get; } = new();
    }

    /// <summary>An audit stage as a class, created from the container: records what each request got.</summary>
    internal sealed class AuditStage(Audit audit) : ILlmGatewayMiddleware
    {
        public async ValueTask<GatewayResponse> InvokeAsync(GatewayContext context, GatewayRequestDelegate next)
        {
            var response = await next(context);
            if (response.Events is { } events)
            {
                return response.WithEvents(CountAsync(events, context.Model));
            }

            long? total = null;
            if (response.IsSuccess && !response.Body.IsEmpty)
            {
                using var body = JsonDocument.Parse(response.Body);
                total = body.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt64();
            }

            audit.Entries.Enqueue(new AuditEntry(context.Model, response.StatusCode, total, Events: 0));
            return response;
        }

        private async IAsyncEnumerable<GatewayEvent> CountAsync(IAsyncEnumerable<GatewayEvent> events, string? model)
        {
            var count = 0;
            try
            {
                await foreach (var item in events)
                {
                    count++;
                    yield return item;
                }
            }
            finally
            {
                audit.Entries.Enqueue(new AuditEntry(model, 200, null, count));
            }
        }
    }
}
