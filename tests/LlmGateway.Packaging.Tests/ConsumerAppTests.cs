using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Packaging.Tests.Infrastructure;

namespace LlmGateway.Packaging.Tests;

/// <summary>
/// A fresh app that gets the gateway from the packed packages only, as a user does: it restores them from the local
/// folder, builds, and serves chat completions through them, over HTTP and in-process, with answers that can only
/// have come from the upstream the test runs.
/// </summary>
[Collection(PackedLibrariesDefinition.Name)]
public sealed class ConsumerAppTests(PackedLibraries packages)
{
    [Fact]
    public async Task Restore_LlmGatewayPackages_ComeFromThePackedFolderAtThePackedVersion()
    {
        var app = await packages.ConsumerAsync();

        var libraries = app.Assets.GetProperty("libraries").EnumerateObject()
            .Where(l => l.Name.StartsWith("LlmGateway.", StringComparison.Ordinal))
            .ToDictionary(l => l.Name, l => l.Value.GetProperty("type").GetString());

        // The app does not reference the database package (EF Core and two database providers it does not use).
        var referenced = PackedLibraries.Ids.Where(static id => id != "LlmGateway.EntityFrameworkCore").ToList();
        libraries.Should().BeEquivalentTo(referenced.ToDictionary(id => $"{id}/{packages.Version}", _ => (string?)"package"),
            "the app references AspNetCore, both providers and Redis; Core comes with them");
        foreach (var id in referenced)
        {
            var metadata = Path.Combine(app.GlobalPackagesFolder, id.ToLowerInvariant(), packages.Version.ToLowerInvariant(), ".nupkg.metadata");
            using var restored = JsonDocument.Parse(await File.ReadAllBytesAsync(metadata));
            Path.TrimEndingDirectorySeparator(restored.RootElement.GetProperty("source").GetString()!)
                .Should().Be(packages.PackageFolder, $"{id} was restored from the folder it was packed into");
        }
    }

    [Fact]
    public async Task ChatCompletion_OverHttpForAnOpenAIModel_ReturnsTheOpenAIUpstreamsAnswer()
    {
        var app = await packages.ConsumerAsync();

        using var response = await PostChatAsync(app, "gpt-4o-mini");

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, $"the app answered {body}; it wrote:{Environment.NewLine}{app.Output}");
        JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().Should().Be(app.OpenAIAnswer);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("openai");
        app.Upstream.LogEntries.Where(e => e.RequestMessage.Path == "/v1/chat/completions")
            .Should().Contain(e => e.RequestMessage.Headers!["Authorization"].Contains($"Bearer {ConsumerApp.OpenAIKey}"), "the configured key goes upstream");
    }

    [Fact]
    public async Task ChatCompletion_OverHttpForAGeminiModel_ReturnsTheGeminiUpstreamsAnswerInOpenAIFormat()
    {
        var app = await packages.ConsumerAsync();

        using var response = await PostChatAsync(app, "gemini-2.5-flash");

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, $"the app answered {body}; it wrote:{Environment.NewLine}{app.Output}");
        JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().Should().Be(app.GeminiAnswer);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("gemini");
        app.Upstream.LogEntries.Where(e => e.RequestMessage.Path == "/v1beta/models/gemini-2.5-flash:generateContent")
            .Should().Contain(e => e.RequestMessage.Headers!["x-goog-api-key"].Contains(ConsumerApp.GeminiKey));
    }

    [Fact]
    public async Task ChatCompletion_OverHttpWithoutAGatewayKey_Is401()
    {
        var app = await packages.ConsumerAsync();

        using var response = await PostChatAsync(app, "gpt-4o-mini", key: null);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the library's default auth mode needs a gateway key");
    }

    [Fact]
    public async Task InProcessChatClient_ForAnOpenAIModel_ReturnsTheOpenAIUpstreamsAnswer()
    {
        var app = await packages.ConsumerAsync();
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromMinutes(1) };

        using var response = await client.GetAsync(new Uri("/consumer/in-process?model=gpt-4o-mini", UriKind.Relative));

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, $"the app answered {body}; it wrote:{Environment.NewLine}{app.Output}");
        body.Should().Be(app.OpenAIAnswer, "the app's IChatClient from ILlmGateway.GetChatClient went through the gateway to the upstream");
    }

    private static async Task<HttpResponseMessage> PostChatAsync(ConsumerApp app, string model, string? key = ConsumerApp.GatewayKey)
    {
        using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromMinutes(1) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/chat/completions", UriKind.Relative))
        {
            Content = JsonContent.Create(new { model, messages = new[] { new { role = "user", content = "Say hello" } } }),
        };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await client.SendAsync(request);
    }
}
