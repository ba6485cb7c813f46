using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Samples.Tests.Infrastructure;

namespace LlmGateway.Samples.Tests;

/// <summary>samples/LlmGateway.Samples.AspNetCore: the app run as built, with the key of its appsettings.json and the
/// gateway's OpenAI instance pointed at the stand-in upstream. Its own endpoints and the gateway's, mounted under
/// /llm, are behind its own authentication.</summary>
[Collection(SamplesDefinition.Name)]
public sealed class AspNetCoreSampleTests(SampleServers servers) : IAsyncLifetime
{
    private const string AppKey = "sample-app-key-alice";

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private string BaseUrl { get; set; } = string.Empty;

    public async Task InitializeAsync() => BaseUrl = await servers.AspNetCoreSampleAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("GET", "/api/me", null)]
    [InlineData("POST", "/api/ask", """{"question":"Hi"}""")]
    [InlineData("GET", "/llm/v1/models", null)]
    [InlineData("POST", "/llm/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData("GET", "/llm/health", null)]
    public async Task Endpoint_WithoutTheAppsKey_Answers401InOpenAIsEnvelope(string method, string path, string? body)
    {
        foreach (var authorization in new[] { null, "Bearer not-a-key-of-this-app" })
        {
            using var response = await SendAsync(method, path, body, authorization);

            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, $"{method} {path} with {authorization ?? "no key"}");
            response.Headers.WwwAuthenticate.ToString().Should().Be("Bearer");
            using var envelope = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            envelope.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("invalid_api_key");
        }
    }

    [Fact]
    public async Task GatewayChat_WithTheAppsKey_AnswersThroughTheGatewayWithoutSendingTheAppsKeyUpstream()
    {
        var question = "Through the app " + Guid.NewGuid().ToString("N");

        using var response = await SendAsync("POST", "/llm/v1/chat/completions", $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{{question}}"}]}""", "Bearer " + AppKey);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("openai");
        using var completion = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        completion.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().Should().Be("Echo: " + question);
        servers.StandIn.Output.Should().NotContain(ClientScript.Fingerprint(AppKey), "the gateway sends its own provider key (none for the stand-in), never the app's key");
    }

    [Fact]
    public async Task OwnEndpoints_WithTheAppsKey_AnswerForTheCallerAndThroughTheGatewayInProcess()
    {
        using var me = await SendAsync("GET", "/api/me", null, "Bearer " + AppKey);
        using var ask = await SendAsync("POST", "/api/ask", """{"question":"What is in-process?"}""", "Bearer " + AppKey);

        me.StatusCode.Should().Be(HttpStatusCode.OK);
        (await me.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("caller").GetString().Should().Be("alice");
        ask.StatusCode.Should().Be(HttpStatusCode.OK);
        var answer = await ask.Content.ReadFromJsonAsync<JsonElement>();
        answer.GetProperty("answer").GetString().Should().Be("Echo: What is in-process?");
        answer.GetProperty("model").GetString().Should().Be("gpt-4o-mini");
    }

    [Fact]
    public async Task ChatScript_WithTheAppsKeyAndPrefix_TheOpenAISdkWorksThroughTheApp()
    {
        await NodeModules.EnsureInstalledAsync();

        var output = await ClientScript.RunAsync(servers, "node", "javascript", "chat.mjs", new Dictionary<string, string>
        {
            ["LLMGATEWAY_BASE_URL"] = BaseUrl + "/llm/v1",
            ["LLMGATEWAY_API_KEY"] = AppKey,
        });

        output.Should().Contain("Echo: Hello from the openai npm package").And.Contain("served by instance openai");
    }

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? body, string? authorization)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(BaseUrl + path));
        if (body is not null)
        {
            request.Content = new StringContent(body, new MediaTypeHeaderValue("application/json"));
        }

        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await s_http.SendAsync(request);
    }
}
