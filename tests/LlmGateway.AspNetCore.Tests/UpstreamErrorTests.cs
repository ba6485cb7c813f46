using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// What a caller is told when an upstream answers with an error: the gateway's own envelope, never the upstream's body
/// as it came. Internal host names and tokens stay out of it, a refusal of the gateway's own provider key is the
/// operator's 502 rather than the caller's 401, and key-shaped text in an upstream's message is masked.
/// </summary>
public sealed class UpstreamErrorTests : IDisposable
{
    private const string InternalHost = "lb-7.internal.corp.example";
    private const string LeakedToken = "Zx81Qp0aT7Lm2Nc9Vb4Hd6Kf3Rw5Ye1Uo8Ig";
    // Key-shaped test values are built at run time, so no literal in the repository looks like a real key.
    private static readonly string ProjectKey = "sk-proj-" + string.Concat(Enumerable.Repeat("aB3dE6", 7));
    private static readonly string GeminiKey = "AIza" + string.Concat(Enumerable.Repeat("Sy7Te", 7));
    private const string CallerKey = "sk-caller-own-key-1234567890abcdef";
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly CapturingLoggerProvider _logs = new();

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    [Fact]
    public async Task HtmlErrorPage_ReachesTheCallerAsAShortMessageAndOnlyTheDebugLogHasTheTruncatedBody()
    {
        var page = $"<html><head><title>502 Bad Gateway</title></head><body>upstream {InternalHost} failed; trace token {LeakedToken}\n"
            + new string('x', 2000) + "THE-END-OF-THE-PAGE</body></html>";
        GivenChat(Response.Create().WithStatusCode(502).WithHeader("Content-Type", "text/html").WithHeader("Retry-After", "0").WithBody(page));
        using var host = Host(("Logging:LogLevel:LlmGateway", "Debug"));
        using var client = host.CreateClient();

        using var response = await ChatAsync(client);

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        var body = await response.Content.ReadAsStringAsync();
        var error = ErrorOf(body);
        error.GetProperty("message").GetString().Should().Be("The upstream of provider instance 'openai' answered 502 with a non-JSON body.");
        error.GetProperty("code").GetString().Should().Be("upstream_error");
        body.Should().NotContain(InternalHost).And.NotContain(LeakedToken).And.NotContain("<html>");
        var logged = _logs.Lines.Should().ContainSingle(l => l.StartsWith("Debug ", StringComparison.Ordinal) && l.Contains("answered 502 with a body that is not an API error", StringComparison.Ordinal)).Subject;
        logged.Should().Contain(InternalHost).And.Contain("\\n", "control characters are escaped").And.NotContain("THE-END-OF-THE-PAGE", "the body is cut short");
        logged.Should().NotContain(LeakedToken, "a token in it is masked even there");
    }

    [Fact]
    public async Task Upstream401ToTheGatewaysConfiguredKey_Is502UpstreamAuthFailedWithNoUpstreamText()
    {
        GivenChat(Response.Create().WithStatusCode(401).WithHeader("Content-Type", "application/json").WithBody(
            $$$"""{"error":{"message":"Incorrect API key provided: {{{ProjectKey}}}. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"""));
        using var host = Host();
        using var client = host.CreateClient();

        using var response = await ChatAsync(client);

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway, "the caller's own credentials were fine: the gateway's were not");
        var body = await response.Content.ReadAsStringAsync();
        var error = ErrorOf(body);
        error.GetProperty("code").GetString().Should().Be("upstream_auth_failed");
        error.GetProperty("type").GetString().Should().Be("server_error");
        error.GetProperty("message").GetString().Should().Contain("'openai'").And.Contain("rejected the gateway's credentials");
        body.Should().NotContain("sk-").And.NotContain("Incorrect API key");
        _logs.Lines.Should().ContainSingle(l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains("Provider instance openai rejected the gateway's credentials", StringComparison.Ordinal));
        _logs.Lines.Should().NotContain(l => l.Contains(ProjectKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upstream401ToTheCallersOwnKey_KeepsItsStatusWithTheKeyMasked()
    {
        GivenChat(Response.Create().WithStatusCode(401).WithHeader("Content-Type", "application/json").WithBody(
            $$$"""{"error":{"message":"Incorrect API key provided: {{{ProjectKey}}}.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"""));
        using var host = Host(("LlmGateway:Auth:Mode", "Client"));
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, bearer: CallerKey);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the key the upstream refused is the caller's own");
        var body = await response.Content.ReadAsStringAsync();
        var error = ErrorOf(body);
        error.GetProperty("code").GetString().Should().Be("invalid_api_key");
        error.GetProperty("type").GetString().Should().Be("invalid_request_error");
        error.GetProperty("message").GetString().Should().Be("Incorrect API key provided: sk-proj-***");
        body.Should().NotContain("abcDEF1234567890");
    }

    [Fact]
    public async Task Upstream400JsonError_KeepsTypeCodeAndParamAndMasksAKeyInItsMessage()
    {
        GivenChat(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json").WithBody(
            $$$"""{"error":{"message":"Invalid value for 'temperature' (request by key {{{ProjectKey}}}, Bearer {{{LeakedToken}}}).","type":"invalid_request_error","param":"temperature","code":"invalid_value","internal_route":"{{{InternalHost}}}"}}"""));
        using var host = Host();
        using var client = host.CreateClient();

        using var response = await ChatAsync(client);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var body = await response.Content.ReadAsStringAsync();
        var error = ErrorOf(body);
        error.GetProperty("type").GetString().Should().Be("invalid_request_error");
        error.GetProperty("code").GetString().Should().Be("invalid_value");
        error.GetProperty("param").GetString().Should().Be("temperature");
        error.GetProperty("message").GetString().Should().Be("Invalid value for 'temperature' (request by key sk-proj-***, Bearer ***).");
        body.Should().NotContain(InternalHost, "fields the gateway does not know are not passed on").And.NotContain(LeakedToken);
    }

    [Fact]
    public async Task UpstreamErrorEventInAStream_IsRebuiltWithItsMessageMasked()
    {
        var errorEvent = $$$"""{"error":{"message":"The server had an error processing key {{{ProjectKey}}}","type":"server_error","param":null,"code":null,"node":"{{{InternalHost}}}"}}""";
        GivenChat(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody($"data: {Sse.Chunk("c1", "Hel")}\n\ndata: {errorEvent}\n\n"));
        using var host = Host();
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, stream: true);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());
        events.Should().HaveCount(2).And.NotContain("[DONE]");
        events[1].Should().Be("""{"error":{"message":"The server had an error processing key sk-proj-***","type":"server_error","param":null,"code":null}}""");
    }

    [Fact]
    public async Task GeminiApiKeyInvalidToTheGatewaysKey_Is502UpstreamAuthFailed()
    {
        // Gemini's documented answer to a bad key: 400 INVALID_ARGUMENT with an ErrorInfo whose reason is API_KEY_INVALID.
        _upstream.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:generateContent").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json").WithBody("""
                {"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT",
                 "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}
                """));
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:gemini:BaseUrl"] = _upstream.Urls[0] + "/v1beta",
            ["LlmGateway:Providers:gemini:ApiKey"] = GeminiKey,
        }, services => services.AddSingleton<ILoggerProvider>(_logs));
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, model: "gemini-2.5-flash");

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        var body = await response.Content.ReadAsStringAsync();
        ErrorOf(body).GetProperty("code").GetString().Should().Be("upstream_auth_failed");
        body.Should().NotContain("API key not valid").And.NotContain("AIza");
        _logs.Lines.Should().ContainSingle(l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains("Provider instance gemini rejected the gateway's credentials", StringComparison.Ordinal));
    }

    private void GivenChat(IResponseBuilder response) =>
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(response);

    private GatewayHost Host(params (string Key, string? Value)[] extra) =>
        new(_upstream.Urls[0] + "/v1", extra.ToDictionary(e => e.Key, e => e.Value), services => services.AddSingleton<ILoggerProvider>(_logs));

    private static async Task<HttpResponseMessage> ChatAsync(HttpClient client, string model = "gpt-4o-mini", bool stream = false, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static JsonElement ErrorOf(string body)
    {
        using var document = JsonDocument.Parse(body);
        var error = document.RootElement.GetProperty("error");
        error.EnumerateObject().Select(p => p.Name).Should().Equal("message", "type", "param", "code");
        return error.Clone();
    }
}
