using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>What the thin host adds around the gateway: /metrics, the OpenAPI document, CORS, body limits, JSON logs.</summary>
public sealed class HostingTests : IDisposable
{
    private const string AppOrigin = "https://app.example.com";

    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly List<GatewayHost> _hosts = [];

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }

        _upstream.Dispose();
    }

    [Fact]
    public async Task Metrics_AfterAChatRequest_ReportTheTokensUsedInPrometheusText()
    {
        // A model name of this test's own, so another test's host recording on the same meter name cannot be counted;
        // listed, since a name the configuration does not spell out shows as "unresolved".
        GivenChatCompletion(Bodies.ChatCompletion);
        using var client = Host(new() { ["LlmGateway:Providers:openai:Models:0"] = "hosting-metrics-model" }).CreateClient();
        var request = Bodies.ChatRequest.Replace("\"gpt-4o-mini\"", "\"openai/hosting-metrics-model\"", StringComparison.Ordinal);

        using var chat = await client.PostAsync("/v1/chat/completions", Json(request));
        chat.StatusCode.Should().Be(HttpStatusCode.OK);

        // The exporter caches its answer briefly, so poll until the counter shows up (or give up after 10 s).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string metrics;
        while (true)
        {
            using var scrape = await client.GetAsync("/metrics");
            scrape.StatusCode.Should().Be(HttpStatusCode.OK);
            scrape.Content.Headers.ContentType!.MediaType.Should().Be("text/plain");
            metrics = await scrape.Content.ReadAsStringAsync();
            if (TokenSample("input").IsMatch(metrics) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(50);
        }

        metrics.Should().Contain("# TYPE llmgateway_usage_tokens");
        metrics.Should().MatchRegex(TokenSample("input").ToString() + " 9( |$)", "the upstream reported 9 prompt tokens");
        metrics.Should().MatchRegex(TokenSample("output").ToString() + " 3( |$)", "and 3 completion tokens");

        static Regex TokenSample(string type) =>
            new($"(?m)^llmgateway_usage_tokens[a-z_]*\\{{(?=[^}}]*gen_ai_response_model=\"hosting-metrics-model\")(?=[^}}]*gen_ai_token_type=\"{type}\")[^}}]*\\}}");
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheGatewayEndpointsWithTheirOperationIds()
    {
        using var client = Host().CreateClient();

        using var response = await client.GetAsync("/openapi/v1.json");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        root.GetProperty("openapi").GetString().Should().StartWith("3.");
        root.GetProperty("info").GetProperty("title").GetString().Should().NotBeNullOrEmpty();
        var paths = root.GetProperty("paths");
        paths.GetProperty("/v1/chat/completions").GetProperty("post").GetProperty("operationId").GetString().Should().Be("createChatCompletion");
        paths.GetProperty("/v1/embeddings").GetProperty("post").GetProperty("operationId").GetString().Should().Be("createEmbedding");
        paths.GetProperty("/v1/models").GetProperty("get").GetProperty("operationId").GetString().Should().Be("listModels");
        paths.GetProperty("/v1/chat/completions").GetProperty("post").GetProperty("responses").GetProperty("200").GetProperty("content")
            .EnumerateObject().Select(c => c.Name).Should().BeEquivalentTo("application/json", "text/event-stream");
    }

    [Fact]
    public async Task Cors_PreflightFromAConfiguredOrigin_IsAllowedAndTheAnswerExposesTheGatewayHeaders()
    {
        GivenChatCompletion(Bodies.ChatCompletion);
        using var client = Host(new() { ["LlmGateway:Cors:Origins:0"] = AppOrigin }).CreateClient();

        using var preflight = await client.SendAsync(Preflight("/v1/chat/completions", AppOrigin));

        preflight.StatusCode.Should().Be(HttpStatusCode.NoContent);
        preflight.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal(AppOrigin);
        preflight.Headers.GetValues("Access-Control-Allow-Methods").Single().Split(',').Should().Contain("POST");
        preflight.Headers.GetValues("Access-Control-Allow-Headers").Single().Split(',').Should().Contain(["authorization", "content-type", "x-llmgateway-provider"]);
        preflight.Headers.Contains("Access-Control-Allow-Credentials").Should().BeFalse("callers send their key in a header, never a cookie");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(Bodies.ChatRequest) };
        request.Headers.Add("Origin", AppOrigin);
        using var response = await client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal(AppOrigin);
        response.Headers.GetValues("Access-Control-Expose-Headers").Single().Split(',').Should().Contain(
            ["x-request-id", "x-ratelimit-remaining-requests", "x-ratelimit-reset-tokens", "X-Cache", "X-Cache-Key", "x-llmgateway-provider", "x-llmgateway-attempts"]);
    }

    [Theory]
    [InlineData(AppOrigin)]
    [InlineData(null)]
    public async Task Cors_PreflightFromAnotherOrigin_GetsNoCorsHeaders(string? configuredOrigin)
    {
        var settings = new Dictionary<string, string?>();
        if (configuredOrigin is not null)
        {
            settings["LlmGateway:Cors:Origins:0"] = configuredOrigin;
        }

        using var client = Host(settings).CreateClient();

        using var preflight = await client.SendAsync(Preflight("/v1/chat/completions", "https://elsewhere.example.com"));

        preflight.Headers.Contains("Access-Control-Allow-Origin").Should().BeFalse();
        preflight.Headers.Contains("Access-Control-Allow-Methods").Should().BeFalse();
        _upstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task Cors_AnyOrigin_IsAllowedWithAStar()
    {
        using var client = Host(new() { ["LlmGateway:Cors:Origins:0"] = "*" }).CreateClient();

        using var preflight = await client.SendAsync(Preflight("/v1/embeddings", "http://localhost:5173"));

        preflight.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("*");
    }

    [Theory]
    [InlineData("https://app.example.com/")]
    [InlineData("app.example.com")]
    [InlineData("ftp://app.example.com")]
    [InlineData("https://app.example.com/path")]
    [InlineData("https://app.example.com:443")]
    public async Task Cors_AnOriginThatIsNotOne_StopsTheStartNamingItsKey(string origin)
    {
        // A plain WebApplication rather than the test factory: when an app fails to start, the factory can race the
        // app's disposal and throw ObjectDisposedException instead of the start's own exception.
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LlmGateway:Cors:Origins:0"] = AppOrigin,
            ["LlmGateway:Cors:Origins:1"] = origin,
            ["Urls"] = "http://127.0.0.1:0",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddCors();
        builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName)).AddOpenAI();
        WebApplication app;
        lock (HostBuildGate.Gate)
        {
            app = builder.Build();
        }

        await using (app)
        {
            app.UseCors();
            var start = async () =>
            {
                app.MapLlmGateway();
                await app.StartAsync();
            };

            (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("LlmGateway:Cors:Origins:1");
        }
    }

    [Fact]
    public async Task Cors_OriginsWithoutTheCorsServices_StopMapLlmGatewayWithAnExplanation()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["LlmGateway:Cors:Origins:0"] = AppOrigin });
        builder.Logging.ClearProviders();
        builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName)).AddOpenAI();
        WebApplication app;
        lock (HostBuildGate.Gate)
        {
            app = builder.Build();
        }

        await using (app)
        {
            var map = () => app.MapLlmGateway();

            map.Should().Throw<InvalidOperationException>().WithMessage("*AddCors()*UseCors()*");
        }
    }

    [Fact]
    public async Task BodyLimits_ABodyOverTheChatLimit_Is413NamingTheSettingWhileTheAudioEndpointTakesIt()
    {
        _upstream.Given(Request.Create().WithPath("/v1/audio/transcriptions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"text":"Hi."}"""));
        using var client = Host(new() { ["LlmGateway:MaxRequestBodySizes:Chat"] = "1024" }).CreateClient();
        var chatBody = Bodies.ChatRequest.Replace("\"Hi\"", "\"" + new string('a', 2048) + "\"", StringComparison.Ordinal);
        using var form = new MultipartFormDataContent("b");
        form.Add(new ByteArrayContent(new byte[2048 - 200]), "file", "a.wav");
        form.Add(new StringContent("whisper-1"), "model");
        var upload = await form.ReadAsByteArrayAsync();
        upload.Length.Should().BeGreaterThan(1024);
        var uploadContent = new ByteArrayContent(upload);
        uploadContent.Headers.ContentType = form.Headers.ContentType;

        using var chat = await client.PostAsync("/v1/chat/completions", Json(chatBody));
        using var audio = await client.PostAsync("/v1/audio/transcriptions", uploadContent);

        chat.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        var error = await ChatCompletionsTests.ReadErrorAsync(chat);
        error.GetProperty("code").GetString().Should().Be("request_too_large");
        error.GetProperty("message").GetString().Should().Contain("1024 bytes").And.Contain("LlmGateway:MaxRequestBodySizes:Chat");
        audio.StatusCode.Should().Be(HttpStatusCode.OK);
        _upstream.LogEntries.Select(e => e.RequestMessage.Path).Should().Equal("/v1/audio/transcriptions");
    }

    [Fact]
    public async Task BodyLimits_AnUploadWithoutALengthOverTheAudioLimit_Is413()
    {
        using var client = Host(new() { ["LlmGateway:MaxRequestBodySizes:Audio"] = "1000" }).CreateClient();
        using var body = new StreamContent(new MemoryStream(new byte[4096]));
        body.Headers.ContentType = new MediaTypeHeaderValue("multipart/form-data") { Parameters = { new NameValueHeaderValue("boundary", "b") } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/translations") { Content = body };
        request.Headers.TransferEncodingChunked = true;

        using var response = await client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("message").GetString().Should().Contain("LlmGateway:MaxRequestBodySizes:Audio");
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/models")]
    [InlineData("/foo")]
    public async Task HeaderLimits_HeadersOverTheGatewaysLimit_Are431EnvelopeOverKestrel(string path)
    {
        GivenChatCompletion(Bodies.ChatCompletion);
        var host = Host();
        using var client = new HttpClient { BaseAddress = host.StartKestrel() };
        using var oneLarge = new HttpRequestMessage(path == "/v1/chat/completions" ? HttpMethod.Post : HttpMethod.Get, path);
        oneLarge.Headers.Add("x-large", new string('a', 40 * 1024));
        if (path == "/v1/chat/completions")
        {
            oneLarge.Content = Json(Bodies.ChatRequest);
        }

        using var many = new HttpRequestMessage(HttpMethod.Get, path);
        for (var i = 0; i < 150; i++)
        {
            many.Headers.Add($"x-h{i}", "v");
        }

        using var large = await client.SendAsync(oneLarge);
        using var numerous = await client.SendAsync(many);

        foreach (var response in new[] { large, numerous })
        {
            response.StatusCode.Should().Be(HttpStatusCode.RequestHeaderFieldsTooLarge);
            response.Headers.Contains("x-request-id").Should().BeTrue();
            var error = await ChatCompletionsTests.ReadErrorAsync(response);
            error.GetProperty("code").GetString().Should().Be("request_headers_too_large");
            error.GetProperty("type").GetString().Should().Be("invalid_request_error");
        }

        _upstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task HeaderLimits_AUrlOverTheGatewaysLimit_Is414EnvelopeOverKestrelWhileHeadersUnderItAreServed()
    {
        GivenChatCompletion(Bodies.ChatCompletion);
        var host = Host();
        using var client = new HttpClient { BaseAddress = host.StartKestrel() };
        using var underLimits = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(Bodies.ChatRequest) };
        underLimits.Headers.Add("x-large", new string('a', 24 * 1024));

        using var longUrl = await client.GetAsync("/v1/models?q=" + new string('a', 10 * 1024));
        using var served = await client.SendAsync(underLimits);

        longUrl.StatusCode.Should().Be(HttpStatusCode.RequestUriTooLong);
        (await ChatCompletionsTests.ReadErrorAsync(longUrl)).GetProperty("code").GetString().Should().Be("uri_too_long");
        served.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ErrorEnvelopes_AnExceptionInTheAppIs500WithoutDetailsAndAnUnreadableRequestKeepsItsStatus()
    {
        // Two paths of the app's own, past the gateway's endpoints: one fails, one finds its body over a server limit.
        var host = new GatewayHost(_upstream.Urls[0] + "/v1", configureServices: static services => services.AddTransient<IStartupFilter, FailingPaths>());
        _hosts.Add(host);
        using var client = host.CreateClient();

        using var failed = await client.GetAsync("/app/fails");
        using var tooLarge = await client.GetAsync("/app/too-large");

        failed.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        var error = await ChatCompletionsTests.ReadErrorAsync(failed);
        error.GetProperty("code").GetString().Should().Be("internal_error");
        (await failed.Content.ReadAsStringAsync()).Should().NotContain("secret detail");
        tooLarge.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await ChatCompletionsTests.ReadErrorAsync(tooLarge)).GetProperty("code").GetString().Should().Be("request_too_large");
    }

    [Theory]
    [InlineData("LlmGateway:MaxRequestBodySizes:Embeddings", "0", "must be a positive number")]
    [InlineData("LlmGateway:MaxRequestBodySizes:Audio", "33554433", "caps every endpoint")]
    public void BodyLimits_ABadLimit_StopsTheStartNamingItsKey(string key, string value, string reason)
    {
        using var host = Host(new() { [key] = value });

        var start = () => host.CreateClient();

        start.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain(key).And.Contain(reason);
    }

    [Fact]
    public async Task ConsoleLogs_WithTheJsonFormatterSelected_AreJsonLinesWithTheRequestScope()
    {
        // The real host process, configured the way an operator would: nothing in the host selects the formatter.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "exec", Path.Combine(AppContext.BaseDirectory, "LlmGateway.Server.dll"), "--urls", "http://127.0.0.1:0" },
            Environment =
            {
                ["Logging__Console__FormatterName"] = "json",
                ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
            },
        };
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        start.Environment.Remove("ASPNETCORE_URLS");
        using var process = Process.Start(start)!;
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var address = (await NextLogAsync(process, e => e.GetProperty("Message").GetString()!.StartsWith("Now listening on", StringComparison.Ordinal), cancel.Token))
                .GetProperty("State").GetProperty("address").GetString()!;
            using var client = new HttpClient { BaseAddress = new Uri(address) };

            using var response = await client.GetAsync("/health/live", cancel.Token);

            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var requestLine = await NextLogAsync(process, e => e.GetProperty("Category").GetString() == "Microsoft.AspNetCore.Hosting.Diagnostics", cancel.Token);
            requestLine.GetProperty("LogLevel").GetString().Should().Be("Information");
            requestLine.GetProperty("Scopes").EnumerateArray()
                .Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("RequestPath", out _))
                .Should().ContainSingle("appsettings.json turns scopes on, so each line carries its request's")
                .Which.GetProperty("RequestPath").GetString().Should().Be("/health/live");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>The next console line that is a JSON log entry matching <paramref name="match"/>; any other line fails
    /// the test, since with the JSON formatter every line is one.</summary>
    private static async Task<JsonElement> NextLogAsync(Process process, Func<JsonElement, bool> match, CancellationToken cancellationToken)
    {
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            JsonElement entry;
            try
            {
                entry = JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new Xunit.Sdk.XunitException($"A console line is not JSON: {line}");
            }

            if (match(entry))
            {
                return entry;
            }
        }

        throw new Xunit.Sdk.XunitException($"The host exited before the line came: {await process.StandardError.ReadToEndAsync(cancellationToken)}");
    }

    private GatewayHost Host(Dictionary<string, string?>? settings = null)
    {
        var host = new GatewayHost(_upstream.Urls[0] + "/v1", settings);
        _hosts.Add(host);
        return host;
    }

    private void GivenChatCompletion(string body) =>
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static HttpRequestMessage Preflight(string path, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization, content-type, x-llmgateway-provider");
        return request;
    }

    private sealed class FailingPaths : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Run(static context => context.Request.Path.Value == "/app/fails"
                ? throw new InvalidOperationException("secret detail")
                : throw new Microsoft.AspNetCore.Http.BadHttpRequestException("Request body too large.", 413));
        };
    }
}
