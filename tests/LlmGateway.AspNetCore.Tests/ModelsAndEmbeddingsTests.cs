using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

public sealed class ModelsAndEmbeddingsTests : IDisposable
{
    private readonly WireMockServer _upstream = WireMockServer.Start();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task EmbeddingsArePassedThrough()
    {
        _upstream.Given(Request.Create().WithPath("/v1/embeddings").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Embeddings));
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1");
        using var client = host.CreateClient();
        const string body = """{"model":"text-embedding-3-small","input":["hello","world"],"encoding_format":"float","dimensions":3}""";

        using var response = await client.PostAsync("/v1/embeddings", new StringContent(body, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be(Bodies.Embeddings);
        var sent = _upstream.LogEntries.Should().ContainSingle().Subject.RequestMessage;
        sent.Path.Should().Be("/v1/embeddings");
        sent.Body.Should().Be(body);
    }

    [Fact]
    public async Task ModelListShowsEachModelUnderTheIdThatRoutesToIt()
    {
        _upstream.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Models));
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?>
        {
            // A second OpenAI-type instance (say a local server) with an explicit list.
            ["LlmGateway:Providers:local:Type"] = "OpenAI",
            ["LlmGateway:Providers:local:BaseUrl"] = _upstream.Urls[0] + "/v1",
            ["LlmGateway:Providers:local:Models:0"] = "qwen2.5",
            ["LlmGateway:Providers:local:Models:1"] = "gpt-4o-mini",
        });
        using var client = host.CreateClient();

        using var response = await client.GetAsync("/v1/models");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        document.RootElement.GetProperty("object").GetString().Should().Be("list");
        var models = document.RootElement.GetProperty("data").EnumerateArray()
            .Select(m => (Id: m.GetProperty("id").GetString(), Owner: m.GetProperty("owned_by").GetString(), Object: m.GetProperty("object").GetString()))
            .ToList();
        models.Should().OnlyContain(m => m.Object == "model");

        // gpt-4o-mini is listed by 'local', so the bare id goes there and openai's copy needs its prefix.
        models.Should().Contain(("gpt-4o-mini", "local", "model"));
        models.Should().Contain(("openai/gpt-4o-mini", "openai", "model"));
        models.Should().Contain(("text-embedding-3-small", "openai", "model"));
        models.Should().Contain(("llama3.2", "openai", "model"));
        models.Should().Contain(("qwen2.5", "local", "model"));
    }

    [Fact]
    public async Task SingleModelIsFoundByItsIdAndAnUnknownOneIs404()
    {
        _upstream.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Models));
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1");
        using var client = host.CreateClient();

        using var found = await client.GetAsync("/v1/models/gpt-4o-mini");
        using var prefixed = await client.GetAsync("/v1/models/openai/gpt-4o-mini");
        using var missing = await client.GetAsync("/v1/models/gpt-5-imaginary");

        found.StatusCode.Should().Be(HttpStatusCode.OK);
        using (var model = JsonDocument.Parse(await found.Content.ReadAsStringAsync()))
        {
            model.RootElement.GetProperty("id").GetString().Should().Be("gpt-4o-mini");
            model.RootElement.GetProperty("created").GetInt64().Should().Be(1721172741);
        }

        prefixed.StatusCode.Should().Be(HttpStatusCode.OK);
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await ChatCompletionsTests.ReadErrorAsync(missing)).GetProperty("code").GetString().Should().Be("model_not_found");
    }

    [Fact]
    public async Task HostWithNoKeyStartsAndSaysWhichSettingToAdd()
    {
        using var host = new GatewayHost(openAIBaseUrl: null);
        using var client = host.CreateClient();

        using var live = await client.GetAsync("/health/live");
        using var ready = await client.GetAsync("/health/ready");
        using var health = await client.GetAsync("/health");
        using var chat = await client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"));

        live.StatusCode.Should().Be(HttpStatusCode.OK);
        ready.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "no instance can be called until a key is set");
        health.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        live.Headers.Contains("x-request-id").Should().BeTrue();
        chat.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        var error = await ChatCompletionsTests.ReadErrorAsync(chat);
        error.GetProperty("code").GetString().Should().Be("provider_not_configured");
        error.GetProperty("message").GetString().Should().Contain("LlmGateway:Providers:openai:ApiKey").And.Contain("OPENAI_API_KEY");
    }
}
