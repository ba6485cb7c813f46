using System.Text;
using System.Text.Json;
using LlmGateway.Samples.Extending.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.Samples.Extending.Tests;

/// <summary>
/// A simulated Anthropic Messages API (WireMock) and a gateway in front of it, set up as an application would: the
/// <c>LlmGateway</c> configuration section names the instance <c>anthropic</c> (<c>Type: "Anthropic"</c>) and the alias
/// <c>assistant</c>, and <c>AddAnthropic()</c> registers the provider factory. Tests call the gateway's public API.
/// </summary>
internal sealed class AnthropicUpstream : IDisposable
{
    public const string ApiKey = "test-anthropic-key";
    public const string Model = "claude-sonnet-4-5";
    public const string MessagesPath = "/v1/messages";

    private ServiceProvider? _services;

    public AnthropicUpstream()
    {
        Server = WireMockServer.Start();
    }

    public WireMockServer Server { get; }

    /// <summary>Gets or sets what a test adds to the gateway after <c>AddAnthropic()</c>, before the first call.</summary>
    public Action<ILlmGatewayBuilder>? ConfigureGateway { get; set; }

    /// <summary>Gets the configuration the gateway is built from; tests may change it before the first call.</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ILlmGateway Gateway => Services.GetRequiredService<ILlmGateway>();

    public ServiceProvider Services => _services ??= Build();

    public static string TestData(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", name));

    /// <summary>Answers a POST to <paramref name="path"/> with a file from TestData (.sse files as an event stream).</summary>
    public void PostReturnsFile(string file, int status = 200, string path = MessagesPath) =>
        PostReturns(TestData(file), status, file.EndsWith(".sse", StringComparison.Ordinal) ? "text/event-stream" : "application/json", path);

    public void PostReturns(string body, int status = 200, string contentType = "application/json", string path = MessagesPath, params (string Name, string Value)[] headers)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", contentType).WithBody(body);
        foreach (var (name, value) in headers)
        {
            response = response.WithHeader(name, value);
        }

        Server.Given(Request.Create().WithPath(path).UsingPost()).RespondWith(response);
    }

    /// <summary>Sends an OpenAI chat completions body through <see cref="ILlmGateway.SendAsync"/>.</summary>
    public async Task<GatewayResponse> SendAsync(string openAIJson) =>
        await Gateway.SendAsync(new GatewayRequest(GatewayOperation.ChatCompletions, Encoding.UTF8.GetBytes(openAIJson)));

    /// <summary>The one request the upstream received, checked to be an authenticated Messages API call.</summary>
    public SentRequest SingleRequest(string path = MessagesPath)
    {
        Server.LogEntries.Should().ContainSingle("the gateway should have made exactly one upstream call");
        var sent = new SentRequest(Server.LogEntries.Single().RequestMessage);
        sent.Message.Method.Should().Be("POST");
        sent.Message.Path.Should().Be(path);
        sent.Header("x-api-key").Should().Be(ApiKey, "Anthropic's key travels in the x-api-key header");
        sent.Header("anthropic-version").Should().Be("2023-06-01");
        sent.Header("Authorization").Should().BeNull("Anthropic is not given the key as a bearer token");
        sent.Header("Content-Type").Should().StartWith("application/json");
        return sent;
    }

    public void ShouldHaveNoCalls() => Server.LogEntries.Should().BeEmpty("the provider must refuse the request without calling Anthropic");

    public void Dispose()
    {
        _services?.Dispose();
        Server.Stop();
        Server.Dispose();
    }

    private ServiceProvider Build()
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["LlmGateway:Providers:anthropic:Type"] = "Anthropic",
            ["LlmGateway:Providers:anthropic:ApiKey"] = ApiKey,
            ["LlmGateway:Providers:anthropic:BaseUrl"] = Server.Urls[0],
            ["LlmGateway:Providers:anthropic:Models:0"] = Model,
            ["LlmGateway:Models:assistant:Targets:0:Provider"] = "anthropic",
            ["LlmGateway:Models:assistant:Targets:0:Model"] = Model,
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        var gateway = services.AddLlmGateway(configuration.GetSection(LlmGatewayOptions.SectionName))
            .AddAnthropic()
            .AddRoutingStrategiesFrom(typeof(PreferLocalStrategy).Assembly);
        ConfigureGateway?.Invoke(gateway);
        services.Configure<PreferLocalOptions>(configuration.GetSection(PreferLocalOptions.SectionName));
        return services.BuildServiceProvider();
    }
}

/// <summary>A request the simulated upstream received, with its JSON body parsed.</summary>
internal sealed class SentRequest(IRequestMessage message)
{
    public IRequestMessage Message { get; } = message;

    public JsonElement Body => Json.Parse(Message.Body ?? string.Empty);

    public string? Header(string name) =>
        Message.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.SingleOrDefault();
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

    /// <summary>Reads every streamed event; a stream that throws rethrows after <paramref name="into"/> got the
    /// events before it.</summary>
    public static async Task<List<JsonElement>> ReadEventsAsync(this GatewayResponse response, List<JsonElement>? into = null)
    {
        response.Error.Should().BeNull();
        response.Events.Should().NotBeNull();
        var events = into ?? [];
        await foreach (var item in response.Events!)
        {
            events.Add(Tests.Json.Parse(item.Data));
        }

        return events;
    }
}
