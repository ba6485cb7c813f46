using System.Text;
using System.Text.Json;
using LlmGateway.Gemini.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary>
/// One simulated Gemini API (WireMock) and the Gemini provider pointed at it, built the way the gateway builds it.
/// Each test class creates one per test (xunit constructs the class per test) and disposes it.
/// </summary>
internal sealed class GeminiUpstream : IDisposable
{
    public const string ApiKey = "test-gemini-key";
    public const string Model = "gemini-2.5-flash";

    /// <summary>The instant the fake clock shows: 2025-06-01T12:00:00Z.</summary>
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services;

    public GeminiUpstream()
    {
        Server = WireMockServer.Start();
        var services = new ServiceCollection();
        services.AddLlmGateway().AddGemini();
        _services = services.BuildServiceProvider();
    }

    public WireMockServer Server { get; }

    public FakeTimeProvider Clock { get; } = new(Now);

    public string BaseUrl => Server.Urls[0] + "/v1beta";

    public static string GeneratePath(string model = Model) => $"/v1beta/models/{model}:generateContent";

    public static string StreamPath(string model = Model) => $"/v1beta/models/{model}:streamGenerateContent";

    public static string TestData(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", name));

    public ILlmProvider CreateProvider(string? apiKey = ApiKey, string? baseUrl = null) =>
        new GeminiProviderFactory(_services.GetRequiredService<IHttpMessageHandlerFactory>(), Clock, NullLoggerFactory.Instance)
            .Create("gemini", new ProviderOptions { Type = "Gemini", ApiKey = apiKey, BaseUrl = baseUrl ?? BaseUrl }, new LlmGatewayOptions());

    /// <summary>Answers a POST to <paramref name="path"/> with a file from TestData (.sse files as an event stream).</summary>
    public void PostReturnsFile(string path, string file, int status = 200) =>
        PostReturns(path, TestData(file), status, file.EndsWith(".sse", StringComparison.Ordinal) ? "text/event-stream" : "application/json");

    public void PostReturns(string path, string body, int status = 200, string contentType = "application/json") =>
        Server.Given(Request.Create().WithPath(path).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", contentType).WithBody(body));

    public Task<GatewayResponse> ChatAsync(string openAiJson, string model = Model, bool stream = false) =>
        SendAsync(GatewayOperation.ChatCompletions, openAiJson, model, stream);

    public async Task<GatewayResponse> SendAsync(GatewayOperation operation, string openAiJson, string model, bool stream = false) =>
        await CreateProvider().SendAsync(new ProviderRequest(operation, Encoding.UTF8.GetBytes(openAiJson), model, stream));

    /// <summary>The one request the upstream received, checked to be an authenticated Gemini call to <paramref name="path"/>.</summary>
    public SentRequest SingleRequest(string path)
    {
        Server.LogEntries.Should().ContainSingle("the provider should have made exactly one upstream call");
        var sent = new SentRequest(Server.LogEntries.Single().RequestMessage);
        sent.ShouldBeGeminiCall("POST", path);
        return sent;
    }

    public void ShouldHaveNoCalls() => Server.LogEntries.Should().BeEmpty("the provider must refuse the request without calling Gemini");

    public void Dispose()
    {
        _services.Dispose();
        Server.Stop();
        Server.Dispose();
    }
}

/// <summary>A request the simulated upstream received, with its JSON body parsed.</summary>
internal sealed class SentRequest(IRequestMessage message)
{
    public IRequestMessage Message { get; } = message;

    public string Path => Message.Path;

    /// <summary>Gets the body parsed with <see cref="JsonDocument"/> (a standalone clone).</summary>
    public JsonElement Body => Json.Parse(Message.Body ?? string.Empty);

    public string? Header(string name) =>
        Message.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.SingleOrDefault();

    public void ShouldBeGeminiCall(string method, string path)
    {
        Message.Method.Should().Be(method);
        Message.Path.Should().Be(path);
        Header("x-goog-api-key").Should().Be(GeminiUpstream.ApiKey, "Gemini's key travels in the x-goog-api-key header");
        Header("Authorization").Should().BeNull("Gemini is not given the key as a bearer token");
        Message.Url.Should().NotContain("key=", "the key must never be in the URL, which ends up in logs");
        (Message.Query ?? new Dictionary<string, WireMock.Types.WireMockList<string>>()).Keys.Should().NotContain("key");
        if (method == "POST")
        {
            Header("Content-Type").Should().StartWith("application/json");
            Body.ValueKind.Should().Be(JsonValueKind.Object, "Gemini takes a JSON object");
        }
    }
}

internal static class Json
{
    public static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public static JsonElement Parse(ReadOnlyMemory<byte> utf8)
    {
        using var document = JsonDocument.Parse(utf8);
        return document.RootElement.Clone();
    }

    /// <summary>Structural equality (property order and number spelling do not matter).</summary>
    public static void ShouldEqualJson(this JsonElement actual, string expected)
    {
        var wanted = Parse(expected);
        JsonElement.DeepEquals(actual, wanted).Should().BeTrue($"expected {JsonSerializer.Serialize(wanted)}{Environment.NewLine}but got  {JsonSerializer.Serialize(actual)}");
    }

    public static JsonElement Path(this JsonElement element, params object[] path)
    {
        var current = element;
        foreach (var step in path)
        {
            current = step switch
            {
                string name => current.TryGetProperty(name, out var child) ? child : throw new KeyNotFoundException($"No '{name}' in {current.GetRawText()}"),
                int index => current[index],
                _ => throw new ArgumentException("Path steps are property names or indexes.", nameof(path)),
            };
        }

        return current;
    }

    public static bool Has(this JsonElement element, string name) => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out _);

    public static string[] PropertyNames(this JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();

    /// <summary>Every value of every property called <paramref name="name"/>, at any depth.</summary>
    public static IEnumerable<JsonElement> FindAll(this JsonElement element, string name)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == name)
                {
                    yield return property.Value;
                }

                foreach (var nested in property.Value.FindAll(name))
                {
                    yield return nested;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var nested in item.FindAll(name))
                {
                    yield return nested;
                }
            }
        }
    }
}

internal static class GatewayResponseExtensions
{
    /// <summary>The OpenAI JSON body of a success, parsed.</summary>
    public static JsonElement Json(this GatewayResponse response)
    {
        response.Error.Should().BeNull();
        response.StatusCode.Should().Be(200);
        response.Events.Should().BeNull();
        return Tests.Json.Parse(response.Body);
    }

    /// <summary>Reads every streamed event; an exception from the stream is rethrown after the events it yielded are kept.</summary>
    public static async Task<List<JsonElement>> ReadEventsAsync(this GatewayResponse response, List<JsonElement>? into = null)
    {
        response.Error.Should().BeNull();
        response.Events.Should().NotBeNull();
        response.EndsWithDone.Should().BeTrue("a chat completions stream that ends cleanly is closed with data: [DONE]");
        var events = into ?? [];
        await foreach (var e in response.Events!)
        {
            e.EventType.Should().BeNull("chat completion chunks are unnamed events");
            events.Add(Tests.Json.Parse(e.Data));
        }

        return events;
    }
}
