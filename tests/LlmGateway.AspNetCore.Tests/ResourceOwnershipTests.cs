using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Stored responses and Gemini context caches belong to the gateway key that created them: another key is answered
/// exactly as if they did not exist, on every verb and when a request builds on them, and nothing of its request
/// reaches the upstream or is counted.
/// </summary>
public sealed class ResourceOwnershipTests : IDisposable
{
    private const string AdminKey = "ownership-admin-key";
    private const string Created = """
        {"id":"resp_owned1","object":"response","created_at":1741476542,"status":"completed","model":"gpt-4.1","output":[],"usage":{"input_tokens":10,"output_tokens":4,"total_tokens":14}}
        """;

    private const string GeminiCache = """{"name":"cachedContents/owned1","model":"models/gemini-2.5-flash","expireTime":"2030-01-01T00:00:00Z"}""";

    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly GatewayHost _host;
    private readonly HttpClient _admin;

    public ResourceOwnershipTests()
    {
        _host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?>
        {
            ["LlmGateway:Auth:Mode"] = "Hybrid",
            ["LlmGateway:Auth:AdminKey"] = AdminKey,
            ["LlmGateway:Providers:openai:UseResponsesApi"] = "true",
            ["LlmGateway:Providers:gemini:ApiKey"] = "gemini-upstream-key",
            ["LlmGateway:Providers:gemini:BaseUrl"] = _upstream.Urls[0] + "/v1beta",
        });
        _admin = _host.CreateClient();
        _admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost()).RespondWith(Json(Created));
        _upstream.Given(Request.Create().WithPath("/v1/responses/*").UsingAnyMethod()).RespondWith(Json(Created));
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(Json(Bodies.ChatCompletion));
        _upstream.Given(Request.Create().WithPath("/v1beta/cachedContents").UsingPost()).RespondWith(Json(GeminiCache));
        _upstream.Given(Request.Create().WithPath("/v1beta/cachedContents").UsingGet()).RespondWith(Json($$"""{"cachedContents":[{{GeminiCache}}]}"""));
        _upstream.Given(Request.Create().WithPath("/v1beta/cachedContents/owned1").UsingAnyMethod()).RespondWith(Json(GeminiCache));
        _upstream.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:generateContent").UsingPost()).RespondWith(Json("""
            {"candidates":[{"content":{"role":"model","parts":[{"text":"Page 3."}]},"finishReason":"STOP","index":0}],
             "usageMetadata":{"promptTokenCount":4106,"cachedContentTokenCount":4096,"candidatesTokenCount":3,"totalTokenCount":4109}}
            """));
    }

    public void Dispose()
    {
        _admin.Dispose();
        _host.Dispose();
        _upstream.Dispose();
    }

    [Fact]
    public async Task AnotherKeyGetsNotFoundOnEveryVerbOfAStoredResponseAndTheOwnerKeepsIt()
    {
        var a = await CreateKeyAsync("""{"name":"a"}""");
        var b = await CreateKeyAsync("""{"name":"b","allowed_models":["gpt-4o-mini"]}""");
        using var client = _host.CreateClient();
        (await SendAsync(client, a.Secret, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"hi"}""")).Status.Should().Be(HttpStatusCode.OK);
        var unknown = await SendAsync(client, b.Secret, HttpMethod.Get, "/v1/responses/resp_neverseen");
        _upstream.ResetLogEntries();

        foreach (var (method, path) in Verbs("resp_owned1"))
        {
            var refused = await SendAsync(client, b.Secret, method, path);

            refused.Status.Should().Be(HttpStatusCode.NotFound, $"{method} {path} is another key's");
            refused.Body.Should().Be(unknown.Body.Replace("resp_neverseen", "resp_owned1", StringComparison.Ordinal), "another key's response looks exactly like one that does not exist");
        }

        _upstream.LogEntries.Should().BeEmpty("nothing of another key's requests reaches the upstream");
        foreach (var (method, path) in Verbs("resp_owned1"))
        {
            (await SendAsync(client, a.Secret, method, path)).Status.Should().Be(HttpStatusCode.OK, $"{method} {path} is the owner's");
        }

        _upstream.LogEntries.Should().HaveCount(4);
        unknown.Status.Should().Be(HttpStatusCode.NotFound);
        using var envelope = JsonDocument.Parse(unknown.Body);
        envelope.RootElement.GetProperty("error").GetProperty("message").GetString().Should().Be("Response with id 'resp_neverseen' not found.");
    }

    [Fact]
    public async Task AnotherKeyCannotContinueAStoredResponseAndIsNotCountedForTrying()
    {
        var a = await CreateKeyAsync("""{"name":"a"}""");
        var b = await CreateKeyAsync("""{"name":"b","requests_per_minute":1}""");
        using var client = _host.CreateClient();
        (await SendAsync(client, a.Secret, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"hi"}""")).Status.Should().Be(HttpStatusCode.OK);
        _upstream.ResetLogEntries();

        var refused = await SendAsync(client, b.Secret, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"more","previous_response_id":"resp_owned1"}""");
        var again = await SendAsync(client, b.Secret, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"more","previous_response_id":"resp_owned1"}""");

        refused.Status.Should().Be(HttpStatusCode.NotFound);
        again.Body.Should().Be(refused.Body);
        using (var envelope = JsonDocument.Parse(refused.Body))
        {
            var error = envelope.RootElement.GetProperty("error");
            error.GetProperty("message").GetString().Should().Be("Previous response with id 'resp_owned1' not found.");
            error.GetProperty("param").GetString().Should().Be("previous_response_id");
        }

        _upstream.LogEntries.Should().BeEmpty();
        (await SendAsync(client, b.Secret, HttpMethod.Post, "/v1/chat/completions", """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}"""))
            .Status.Should().Be(HttpStatusCode.OK, "the refused requests took nothing from b's one request a minute");
        (await SendAsync(client, a.Secret, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"more","previous_response_id":"resp_owned1"}"""))
            .Status.Should().Be(HttpStatusCode.OK);
        using var sent = JsonDocument.Parse(_upstream.LogEntries[^1].RequestMessage.Body!);
        sent.RootElement.GetProperty("previous_response_id").GetString().Should().Be("resp_owned1");
    }

    [Fact]
    public async Task ARotatedKeyKeepsItsStoredResponses()
    {
        var a = await CreateKeyAsync("""{"name":"a"}""");
        var b = await CreateKeyAsync("""{"name":"b"}""");
        using var client = _host.CreateClient();
        (await SendAsync(client, a.Secret, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"hi"}""")).Status.Should().Be(HttpStatusCode.OK);

        using var rotation = await _admin.PostAsync($"/admin/keys/{a.Id}/rotate", null);
        rotation.StatusCode.Should().Be(HttpStatusCode.OK);
        using var rotated = JsonDocument.Parse(await rotation.Content.ReadAsStringAsync());
        var secret = rotated.RootElement.GetProperty("key").GetString()!;

        foreach (var (method, path) in Verbs("resp_owned1"))
        {
            (await SendAsync(client, secret, method, path)).Status.Should().Be(HttpStatusCode.OK, $"{method} {path} after the rotation");
        }

        (await SendAsync(client, secret, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"more","previous_response_id":"resp_owned1"}"""))
            .Status.Should().Be(HttpStatusCode.OK);
        (await SendAsync(client, a.Secret, HttpMethod.Get, "/v1/responses/resp_owned1")).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await SendAsync(client, b.Secret, HttpMethod.Get, "/v1/responses/resp_owned1")).Status.Should().Be(HttpStatusCode.NotFound, "the rotated key's responses are still no one else's");
    }

    [Fact]
    public async Task AStreamedResponseBelongsToTheKeyThatStartedIt()
    {
        const string sse = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_streamed\",\"status\":\"in_progress\"}}\n\n"
            + "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":1,\"response\":{\"id\":\"resp_streamed\",\"status\":\"completed\",\"output\":[]}}\n\n";
        _upstream.ResetMappings();
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_streamed").UsingGet()).RespondWith(Json(Created));
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
        var a = await CreateKeyAsync("""{"name":"a"}""");
        var b = await CreateKeyAsync("""{"name":"b"}""");
        using var client = _host.CreateClient();

        (await SendAsync(client, a.Secret, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"hi","stream":true}""")).Status.Should().Be(HttpStatusCode.OK);

        (await SendAsync(client, b.Secret, HttpMethod.Get, "/v1/responses/resp_streamed")).Status.Should().Be(HttpStatusCode.NotFound);
        (await SendAsync(client, a.Secret, HttpMethod.Get, "/v1/responses/resp_streamed")).Status.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnIdTheGatewayDidNotHandOutIsUnknownWithItsKeyButPassesWithTheCallersOwn()
    {
        var a = await CreateKeyAsync("""{"name":"a"}""");
        using var client = _host.CreateClient();

        var withGatewayKey = await SendAsync(client, a.Secret, HttpMethod.Get, "/v1/responses/resp_madeelsewhere");
        _upstream.LogEntries.Should().BeEmpty();
        var withOwnKey = await SendAsync(client, a.Secret, HttpMethod.Get, "/v1/responses/resp_madeelsewhere", providerKey: "callers-own-upstream-key");

        withGatewayKey.Status.Should().Be(HttpStatusCode.NotFound);
        withOwnKey.Status.Should().Be(HttpStatusCode.OK, "the caller's own upstream account decides what it may read");
        _upstream.LogEntries.Should().ContainSingle().Which.RequestMessage.Headers!["Authorization"].Should().Equal("Bearer callers-own-upstream-key");
    }

    [Theory]
    [InlineData("\"conv_elsewhere\"")]
    [InlineData("{\"id\":\"conv_elsewhere\"}")]
    public async Task AConversationIsUnknownWithTheGatewaysKeyButPassesWithTheCallersOwn(string conversation)
    {
        var a = await CreateKeyAsync("""{"name":"a"}""");
        using var client = _host.CreateClient();
        var body = $$"""{"model":"gpt-4.1","input":"hi","conversation":{{conversation}}}""";

        var withGatewayKey = await SendAsync(client, a.Secret, HttpMethod.Post, "/v1/responses", body);
        _upstream.LogEntries.Should().BeEmpty("the gateway creates no conversations, so its key must not reach one");
        var withOwnKey = await SendAsync(client, a.Secret, HttpMethod.Post, "/v1/responses", body, providerKey: "callers-own-upstream-key");

        withGatewayKey.Status.Should().Be(HttpStatusCode.NotFound);
        using (var envelope = JsonDocument.Parse(withGatewayKey.Body))
        {
            envelope.RootElement.GetProperty("error").GetProperty("param").GetString().Should().Be("conversation");
        }

        withOwnKey.Status.Should().Be(HttpStatusCode.OK);
        _upstream.LogEntries.Should().ContainSingle();
    }

    [Fact]
    public async Task AGeminiContextCacheCreatedForOneKeyDoesNotExistForAnother()
    {
        var a = await CreateKeyAsync("""{"name":"a"}""");
        var b = await CreateKeyAsync("""{"name":"b"}""");
        var caches = _host.Services.GetRequiredService<GeminiContextCaches>();
        var prefix = Encoding.UTF8.GetBytes("""{"model":"gemini-2.5-flash","messages":[{"role":"system","content":"You know the manual."},{"role":"user","content":"<a long manual>"}]}""");
        var created = await caches.ForKey(a.Id).CreateAsync("gemini", prefix, TimeSpan.FromMinutes(10));
        var ofB = caches.ForKey(b.Id);
        using var client = _host.CreateClient();
        _upstream.ResetLogEntries();

        var get = await ofB.Invoking(c => c.GetAsync("gemini", created.Name)).Should().ThrowAsync<LlmGatewayException>();
        var extend = await ofB.Invoking(c => c.ExtendAsync("gemini", "owned1", TimeSpan.FromHours(1))).Should().ThrowAsync<LlmGatewayException>();
        var delete = await ofB.Invoking(c => c.DeleteAsync("gemini", created.Name)).Should().ThrowAsync<LlmGatewayException>();
        var listedForB = await ofB.ListAsync("gemini");
        var chat = """{"model":"gemini-2.5-flash","cached_content":"cachedContents/owned1","messages":[{"role":"user","content":"Where is the reset button?"}]}""";
        var refused = await SendAsync(client, b.Secret, HttpMethod.Post, "/v1/chat/completions", chat);
        var refusedResponses = await SendAsync(client, b.Secret, HttpMethod.Post, "/v1/responses", """{"model":"gemini-2.5-flash","cached_content":"owned1","input":"Where?"}""");
        var unknown = await SendAsync(client, b.Secret, HttpMethod.Post, "/v1/chat/completions", chat.Replace("owned1", "neverseen", StringComparison.Ordinal));

        foreach (var error in new[] { get.Which.Error, extend.Which.Error, delete.Which.Error })
        {
            error.StatusCode.Should().Be(404);
            error.Message.Should().Be("Cached content 'cachedContents/owned1' not found.");
        }

        listedForB.Should().BeEmpty();
        refused.Status.Should().Be(HttpStatusCode.NotFound);
        refused.Body.Should().Be(unknown.Body.Replace("neverseen", "owned1", StringComparison.Ordinal));
        refusedResponses.Status.Should().Be(HttpStatusCode.NotFound);
        using (var envelope = JsonDocument.Parse(refused.Body))
        {
            envelope.RootElement.GetProperty("error").GetProperty("param").GetString().Should().Be("cached_content");
        }

        _upstream.LogEntries.Where(e => e.RequestMessage.Path.Contains(":generateContent", StringComparison.Ordinal) || e.RequestMessage.Method != "GET")
            .Should().BeEmpty("nothing of b's reaches Gemini but the listing");

        var ofA = caches.ForKey(a.Id);
        (await ofA.ListAsync("gemini")).Should().ContainSingle().Which.Name.Should().Be("cachedContents/owned1");
        (await ofA.GetAsync("gemini", created.Name)).Name.Should().Be("cachedContents/owned1");
        (await caches.ListAsync("gemini")).Should().BeEmpty("the in-process caller is an owner of its own");
        var served = await SendAsync(client, a.Secret, HttpMethod.Post, "/v1/chat/completions", chat);
        served.Status.Should().Be(HttpStatusCode.OK);
        using var sent = JsonDocument.Parse(_upstream.LogEntries[^1].RequestMessage.Body!);
        sent.RootElement.GetProperty("cachedContent").GetString().Should().Be("cachedContents/owned1");
    }

    private static IEnumerable<(HttpMethod Method, string Path)> Verbs(string id) =>
    [
        (HttpMethod.Get, $"/v1/responses/{id}"),
        (HttpMethod.Get, $"/v1/responses/{id}/input_items?limit=5"),
        (HttpMethod.Post, $"/v1/responses/{id}/cancel"),
        (HttpMethod.Delete, $"/v1/responses/{id}"),
    ];

    private async Task<(string Id, string Secret)> CreateKeyAsync(string body)
    {
        using var response = await _admin.PostAsync("/admin/keys", new StringContent(body, Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        using var key = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (key.RootElement.GetProperty("id").GetString()!, key.RootElement.GetProperty("key").GetString()!);
    }

    internal static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client, string key, HttpMethod method, string path, string? body = null, string? providerKey = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (providerKey is not null)
        {
            request.Headers.Add("x-llmgateway-provider-key", providerKey);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static IResponseBuilder Json(string body) => Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body);
}
