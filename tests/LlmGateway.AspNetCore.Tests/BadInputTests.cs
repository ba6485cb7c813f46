using System.Net;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>A client's mistake is a 4xx error envelope naming what is wrong, never a 500 or a stack trace.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly GatewayHost _host;
    private readonly HttpClient _client;

    public BadInputTests()
    {
        _host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?> { ["LlmGateway:MaxRequestBodySize"] = "1024" });
        _client = _host.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _host.Dispose();
        _upstream.Dispose();
    }

    [Theory]
    [InlineData("/v1/chat/completions", "not json", "invalid_json", null)]
    [InlineData("/v1/chat/completions", "{\"model\":\"gpt-4o\",", "invalid_json", null)]
    [InlineData("/v1/chat/completions", "", "invalid_json", null)]
    [InlineData("/v1/chat/completions", "[1,2]", "invalid_request", null)]
    [InlineData("/v1/chat/completions", "\"text\"", "invalid_request", null)]
    [InlineData("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "missing_required_parameter", "model")]
    [InlineData("/v1/chat/completions", "{\"model\":\"gpt-4o\"}", "missing_required_parameter", "messages")]
    [InlineData("/v1/chat/completions", "{\"model\":42,\"messages\":[]}", "invalid_type", "model")]
    [InlineData("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":\"hi\"}", "invalid_type", "messages")]
    [InlineData("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":1}]}", "invalid_type", "messages[0].role")]
    [InlineData("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[{\"content\":\"x\"}]}", "missing_required_parameter", "messages[0].role")]
    [InlineData("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}", "invalid_type", "temperature")]
    [InlineData("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}", "invalid_type", "stream")]
    [InlineData("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":\"ten\"}", "invalid_type", "max_tokens")]
    [InlineData("/v1/embeddings", "{\"model\":\"text-embedding-3-small\"}", "missing_required_parameter", "input")]
    [InlineData("/v1/embeddings", "{\"model\":\"text-embedding-3-small\",\"input\":5}", "invalid_type", "input")]
    public async Task ClientMistakeIsA400NamingTheParameter(string path, string body, string code, string? param)
    {
        using var response = await _client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Headers.Contains("x-request-id").Should().BeTrue();
        var error = await ChatCompletionsTests.ReadErrorAsync(response);
        error.GetProperty("type").GetString().Should().Be("invalid_request_error");
        error.GetProperty("code").GetString().Should().Be(code);
        if (param is null)
        {
            error.GetProperty("param").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Null);
        }
        else
        {
            error.GetProperty("param").GetString().Should().Be(param);
        }

        _upstream.LogEntries.Should().BeEmpty("a bad request never reaches the upstream");
    }

    [Fact]
    public async Task BodyOverTheLimitIs413()
    {
        var body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 2000) + "\"}]}";

        using var response = await _client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("code").GetString().Should().Be("request_too_large");
    }

    [Fact]
    public async Task ChunkedBodyOverTheLimitIs413()
    {
        var body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 2000) + "\"}]}";
        using var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task UnknownRouteIs404Envelope()
    {
        using var response = await _client.GetAsync("/v1/no/such/thing");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Headers.Contains("x-request-id").Should().BeTrue();
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("code").GetString().Should().Be("unknown_url");
    }

    [Theory]
    [InlineData("GET", "/foo")]
    [InlineData("GET", "/v2/models")]
    [InlineData("POST", "/v2/x")]
    [InlineData("DELETE", "/")]
    [InlineData("GET", "/health/nope")]
    public async Task UnknownPathOutsideV1Is404Envelope(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await _client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Headers.Contains("x-request-id").Should().BeTrue();
        var error = await ChatCompletionsTests.ReadErrorAsync(response);
        error.GetProperty("code").GetString().Should().Be("unknown_url");
        error.GetProperty("type").GetString().Should().Be("invalid_request_error");
        error.GetProperty("message").GetString().Should().Contain(path);
    }

    [Fact]
    public async Task WrongMethodOnAHostEndpointIs405EnvelopeWithAllow()
    {
        using var response = await _client.PostAsync("/openapi/v1.json", null);

        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.Should().Contain("GET");
        response.Headers.Contains("x-request-id").Should().BeTrue();
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("code").GetString().Should().Be("method_not_allowed");
    }

    [Theory]
    [InlineData("GET", "/v1/chat/completions", "POST")]
    [InlineData("PUT", "/v1/embeddings", "POST")]
    [InlineData("POST", "/v1/models", "GET")]
    [InlineData("DELETE", "/v1/models/gpt-4o", "GET")]
    public async Task WrongMethodIs405EnvelopeWithAllow(string method, string path, string allowed)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await _client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.Should().Equal(allowed);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("code").GetString().Should().Be("method_not_allowed");
    }
}
